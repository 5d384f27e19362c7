//! The event log (`events.jsonl`), the Kubernetes Events file
//! (`k8s-events.jsonl`) and the scheduling explanations (`scheduling.jsonl`):
//! one JSON object per line, in run order.

use std::io::{self, Write};

use k8s_openapi::api::core::v1::Event;
use sim_core::api::Object;
use sim_core::trace::TraceRecord;
use std::sync::Arc;

/// Writes one JSON object per trace record: `{"t_ns", "component", "action", "object", ...}`.
pub fn write_trace(records: &[TraceRecord], out: &mut impl Write) -> io::Result<()> {
    write_json_lines(records, out)
}

/// Writes each item as one line of JSON (used for `scheduling.jsonl`, one
/// scheduling attempt per line).
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
}
