//! The trace: a record of everything that happened in a run.
//!
//! Every API write (by whichever component made it) and every notable component
//! action (a pull started, a container started, a scheduling decision) appends
//! one [`TraceRecord`]. The report layer turns the trace into the event log
//! (`events.jsonl`). Records are appended in execution order, which is the
//! engine's (time, sequence) order, so the trace is deterministic.

use serde::Serialize;

use crate::time::SimTime;

/// One thing that happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceRecord {
    /// Virtual time, nanoseconds.
    pub t_ns: u64,
    /// The component that acted (`kube-apiserver`, `kubelet/worker-1`, `kube-scheduler`, ...).
    pub component: String,
    /// What it did (`create`, `update`, `delete`, `bind`, `pull-image`, `start-container`, ...).
    pub action: String,
    /// The object acted on, as `kind/namespace/name` or `kind/name`; empty when none.
    pub object: String,
    /// The etcd revision this action produced, for API writes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    /// Free-form detail (a node name, an error, a duration).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// The growing record of one run.
#[derive(Debug, Default)]
pub struct Trace {
    records: Vec<TraceRecord>,
    disabled: bool,
}

impl Trace {
    /// A trace that records.
    pub fn new() -> Self {
        Self::default()
    }

    /// A trace that drops everything (for benchmarks that measure the engine alone).
    pub fn disabled() -> Self {
        Self {
            records: Vec::new(),
            disabled: true,
        }
    }

    /// True when records are kept.
    pub fn is_enabled(&self) -> bool {
        !self.disabled
    }

    /// Appends one record.
    pub fn record(
        &mut self,
        t: SimTime,
        component: &str,
        action: &str,
        object: String,
        revision: Option<u64>,
        detail: String,
    ) {
        if self.disabled {
            return;
        }
        self.records.push(TraceRecord {
            t_ns: t.as_nanos(),
            component: component.to_owned(),
            action: action.to_owned(),
            object,
            revision,
            detail,
        });
    }

    /// Everything recorded so far, in order.
    pub fn records(&self) -> &[TraceRecord] {
        &self.records
    }
}
