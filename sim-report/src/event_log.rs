//! The event log (`events.jsonl`), the Kubernetes Events file
//! (`k8s-events.jsonl`) and the scheduling explanations (`scheduling.jsonl`):
//! one JSON object per line, in run order.
//!
//! [`json_lines_sink`] streams a run's trace as it happens: each record and
//! each explained attempt is written when the run makes it, so that a long
//! or large run keeps no history in memory.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Event;
use sim_core::api::Object;
use sim_core::trace::scheduling::Attempt;
use sim_core::trace::{RecordSink, TraceRecord};

/// Writes one JSON object per trace record: `{"t_ns", "component", "action", "object", ...}`.
pub fn write_trace(records: &[TraceRecord], out: &mut impl Write) -> io::Result<()> {
    write_json_lines(records, out)
}

/// Writes each item as one line of JSON.
pub fn write_json_lines<T: serde::Serialize>(items: &[T], out: &mut impl Write) -> io::Result<()> {
    for item in items {
        serde_json::to_writer(&mut *out, item)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Writes the Kubernetes Events among `objects`, one per line, ordered by
/// first timestamp, then namespace and name.
pub fn write_events(objects: &[Arc<Object>], out: &mut impl Write) -> io::Result<()> {
    let mut sorted: Vec<&Event> = objects
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) => Some(&**e),
            _ => None,
        })
        .collect();
    sorted.sort_by(|a, b| {
        let key = |e: &Event| {
            (
                e.first_timestamp.clone(),
                e.metadata.namespace.clone(),
                e.metadata.name.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    for e in sorted {
        serde_json::to_writer(&mut *out, e)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Writers of a streamed trace (taken back by the handle), and the first
/// error writing them.
struct JsonLines<R, A> {
    writers: Option<(R, A)>,
    error: Option<io::Error>,
}

impl<R: Write, A: Write> JsonLines<R, A> {
    /// Writes `item` as one line to the record writer or the attempt writer.
    fn line(&mut self, item: &impl serde::Serialize, to_attempts: bool) {
        let Some((records, attempts)) = self.writers.as_mut() else {
            return;
        };
        if self.error.is_some() {
            return;
        }
        let out: &mut dyn Write = if to_attempts { attempts } else { records };
        let result = serde_json::to_writer(&mut *out, item)
            .map_err(io::Error::from)
            .and_then(|()| out.write_all(b"\n"));
        self.error = result.err();
    }
}

/// The sink half of [`json_lines_sink`]: the trace writes through it.
struct SharedSink<R, A>(Rc<RefCell<JsonLines<R, A>>>);

impl<R: Write, A: Write> RecordSink for SharedSink<R, A> {
    fn record(&mut self, record: &TraceRecord) {
        self.0.borrow_mut().line(record, false);
    }

    fn attempt(&mut self, attempt: &Attempt) {
        self.0.borrow_mut().line(attempt, true);
    }
}

/// The caller's half of [`json_lines_sink`]: gives the writers back.
pub struct JsonLinesHandle<R, A>(Rc<RefCell<JsonLines<R, A>>>);

impl<R, A> JsonLinesHandle<R, A> {
    /// The writers, or the first error writing to them. Call it once the
    /// run is over (the trace holding the sink may still be alive: it
    /// writes nothing more).
    pub fn finish(self) -> io::Result<(R, A)> {
        let mut s = self.0.borrow_mut();
        if let Some(e) = s.error.take() {
            return Err(e);
        }
        s.writers
            .take()
            .ok_or_else(|| io::Error::other("the trace's writers were taken already"))
    }
}

/// A [`RecordSink`] writing each trace record to `records` and each
/// explained scheduling attempt to `attempts`, one JSON object per line;
/// the handle gives the writers back after the run, with the first error.
pub fn json_lines_sink<R: Write + 'static, A: Write + 'static>(
    records: R,
    attempts: A,
) -> (Box<dyn RecordSink>, JsonLinesHandle<R, A>) {
    let shared = Rc::new(RefCell::new(JsonLines {
        writers: Some((records, attempts)),
        error: None,
    }));
    (
        Box::new(SharedSink(shared.clone())),
        JsonLinesHandle(shared),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_lines_are_json_objects() {
        let r = TraceRecord {
            t_ns: 5,
            component: "kube-scheduler".into(),
            action: "bind".into(),
            object: "pod/default/x".into(),
            revision: Some(7),
            detail: "worker-1".into(),
        };
        let mut buf = Vec::new();
        write_trace(&[r], &mut buf).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "{\"t_ns\":5,\"component\":\"kube-scheduler\",\"action\":\"bind\",\"object\":\"pod/default/x\",\"revision\":7,\"detail\":\"worker-1\"}\n"
        );
    }

    #[test]
    fn a_streamed_trace_is_the_same_lines() {
        let (sink, handle) = json_lines_sink(Vec::new(), Vec::new());
        let mut trace = sim_core::trace::Trace::streaming(sink);
        trace.record(
            sim_core::SimTime::from_nanos(5),
            "kube-scheduler",
            "bind",
            "pod/default/x".into(),
            Some(7),
            "worker-1".into(),
        );
        let (records, attempts) = handle.finish().unwrap();
        assert_eq!(
            String::from_utf8(records).unwrap(),
            "{\"t_ns\":5,\"component\":\"kube-scheduler\",\"action\":\"bind\",\"object\":\"pod/default/x\",\"revision\":7,\"detail\":\"worker-1\"}\n"
        );
        assert!(attempts.is_empty());
    }
}
