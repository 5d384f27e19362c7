//! The event log (`events.jsonl`), the Kubernetes Events file
//! (`k8s-events.jsonl`) and the scheduling explanations (`scheduling.jsonl`):
//! one JSON object per line, in run order.
//!
//! [`record_sink`] streams a run's record as it happens: each trace record
//! and each explained attempt is written when the run makes it, and a
//! metrics sample (`metrics.csv`) every 10 s of virtual time, so that a long
//! or large run keeps no history in memory.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Event;
use sim_core::api::Object;
use sim_core::trace::scheduling::Attempt;
use sim_core::trace::{MetricsRow, RecordSink, TraceRecord};
use sim_core::SimDuration;

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

/// The writers of a streamed run record.
#[derive(Debug)]
pub struct RecordWriters<R, A, M> {
    /// Receives the trace, one JSON object per line (`events.jsonl`).
    pub trace: R,
    /// Receives the explained scheduling attempts, one JSON object per line
    /// (`scheduling.jsonl`).
    pub scheduling: A,
    /// Receives the metrics samples, as CSV with a header (`metrics.csv`).
    pub metrics: M,
}

/// How often a streamed run record samples the cluster's metrics.
pub const METRICS_INTERVAL: SimDuration = SimDuration::from_secs(10);

/// A streamed run record's writers (taken back by the handle), and the
/// first error writing them.
struct Streams<R, A, M: Write> {
    writers: Option<(R, A, csv::Writer<M>)>,
    error: Option<io::Error>,
}

impl<R: Write, A: Write, M: Write> Streams<R, A, M> {
    /// Writes `item` as one JSON line to the trace or the scheduling writer.
    fn line(&mut self, item: &impl serde::Serialize, to_scheduling: bool) {
        let Some((trace, scheduling, _)) = self.writers.as_mut() else {
            return;
        };
        if self.error.is_some() {
            return;
        }
        let out: &mut dyn Write = if to_scheduling { scheduling } else { trace };
        let result = serde_json::to_writer(&mut *out, item)
            .map_err(io::Error::from)
            .and_then(|()| out.write_all(b"\n"));
        self.error = result.err();
    }

    fn row(&mut self, row: &MetricsRow) {
        let Some((_, _, metrics)) = self.writers.as_mut() else {
            return;
        };
        if self.error.is_none() {
            self.error = metrics.serialize(row).err().map(io::Error::from);
        }
    }
}

/// The sink half of [`record_sink`]: the trace writes through it.
struct SharedSink<R, A, M: Write>(Rc<RefCell<Streams<R, A, M>>>);

impl<R: Write, A: Write, M: Write> RecordSink for SharedSink<R, A, M> {
    fn record(&mut self, record: &TraceRecord) {
        self.0.borrow_mut().line(record, false);
    }

    fn attempt(&mut self, attempt: &Attempt) {
        self.0.borrow_mut().line(attempt, true);
    }

    fn metrics_interval(&self) -> Option<SimDuration> {
        Some(METRICS_INTERVAL)
    }

    fn metrics(&mut self, row: &MetricsRow) {
        self.0.borrow_mut().row(row);
    }
}

/// The caller's half of [`record_sink`]: gives the writers back.
pub struct RecordHandle<R, A, M: Write>(Rc<RefCell<Streams<R, A, M>>>);

impl<R, A, M: Write> RecordHandle<R, A, M> {
    /// The writers, or the first error writing to them. Call it once the
    /// run is over (the trace holding the sink may still be alive: it
    /// writes nothing more).
    pub fn finish(self) -> io::Result<RecordWriters<R, A, M>> {
        let mut s = self.0.borrow_mut();
        if let Some(e) = s.error.take() {
            return Err(e);
        }
        let (trace, scheduling, metrics) = s
            .writers
            .take()
            .ok_or_else(|| io::Error::other("the record's writers were taken already"))?;
        let metrics = metrics.into_inner().map_err(|e| e.into_error())?;
        Ok(RecordWriters {
            trace,
            scheduling,
            metrics,
        })
    }
}

/// A [`RecordSink`] streaming a run's record as it happens: each trace
/// record and each explained scheduling attempt as one JSON line, and a
/// metrics sample every [`METRICS_INTERVAL`] as a CSV row (columns named
/// as [`MetricsRow`]'s fields). The handle gives the writers back after the
/// run, with the first error.
pub fn record_sink<R: Write + 'static, A: Write + 'static, M: Write + 'static>(
    writers: RecordWriters<R, A, M>,
) -> (Box<dyn RecordSink>, RecordHandle<R, A, M>) {
    let shared = Rc::new(RefCell::new(Streams {
        writers: Some((
            writers.trace,
            writers.scheduling,
            csv::Writer::from_writer(writers.metrics),
        )),
        error: None,
    }));
    (Box::new(SharedSink(shared.clone())), RecordHandle(shared))
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
        let (sink, handle) = record_sink(RecordWriters {
            trace: Vec::new(),
            scheduling: Vec::new(),
            metrics: Vec::new(),
        });
        let mut trace = sim_core::trace::Trace::streaming(sink);
        trace.record(
            sim_core::SimTime::from_nanos(5),
            "kube-scheduler",
            "bind",
            "pod/default/x".into(),
            Some(7),
            "worker-1".into(),
        );
        trace.metrics(&MetricsRow {
            t_ns: 10_000_000_000,
            pods_running: 3,
            ..MetricsRow::default()
        });
        let RecordWriters {
            trace: records,
            scheduling: attempts,
            metrics,
        } = handle.finish().unwrap();
        assert_eq!(
            String::from_utf8(metrics).unwrap(),
            "t_ns,nodes,nodes_ready,pods_pending,pods_running,pods_succeeded,pods_failed,objects,api_writes,events,watch_deliveries\n10000000000,0,0,0,3,0,0,0,0,0,0\n"
        );
        assert_eq!(
            String::from_utf8(records).unwrap(),
            "{\"t_ns\":5,\"component\":\"kube-scheduler\",\"action\":\"bind\",\"object\":\"pod/default/x\",\"revision\":7,\"detail\":\"worker-1\"}\n"
        );
        assert!(attempts.is_empty());
    }
}
