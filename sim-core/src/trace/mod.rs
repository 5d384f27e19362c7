//! The trace: the record of everything that happened in a run.
//!
//! Every API write (by whichever component made it) and every notable
//! component action (a pull started, a container started, a scheduling
//! decision) is one [`TraceRecord`]; with `explain_scheduling`, every
//! scheduling attempt is also explained, in full or summarized
//! ([`scheduling::Attempt`]).
//! Records arrive in execution order, which is the engine's (time,
//! sequence) order, so the trace is deterministic.
//!
//! A trace keeps what it is asked to keep, and nothing more:
//! [`Trace::disabled`] keeps nothing (a run nobody records costs no memory
//! for its history, however long), [`Trace::new`] keeps everything in
//! memory (tests and library users that inspect it), and
//! [`Trace::streaming`] hands each record to a [`RecordSink`] as it
//! happens (`sim run --out` writes them to files as the run goes). sim-core
//! itself does no I/O: a sink is the caller's.

pub mod scheduling;

use serde::Serialize;

use self::scheduling::Attempt;
use crate::time::{SimDuration, SimTime};

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

/// A sample of the cluster's size and activity, taken every
/// [`RecordSink::metrics_interval`] of virtual time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MetricsRow {
    /// Virtual time, nanoseconds.
    pub t_ns: u64,
    /// Nodes stored.
    pub nodes: u64,
    /// Nodes whose Ready condition is True.
    pub nodes_ready: u64,
    /// Pods by phase.
    pub pods_pending: u64,
    /// Pods Running.
    pub pods_running: u64,
    /// Pods Succeeded.
    pub pods_succeeded: u64,
    /// Pods Failed.
    pub pods_failed: u64,
    /// Objects stored, of every kind.
    pub objects: u64,
    /// Store writes so far (creates, updates, deletes).
    pub api_writes: u64,
    /// Engine events processed so far.
    pub events: u64,
    /// Watch deliveries so far.
    pub watch_deliveries: u64,
}

/// Where a streaming trace sends its records, as they happen.
pub trait RecordSink {
    /// A record of the trace.
    fn record(&mut self, record: &TraceRecord);
    /// An explained scheduling attempt.
    fn attempt(&mut self, attempt: &Attempt);
    /// How often the sink wants a [`MetricsRow`] (None: never).
    fn metrics_interval(&self) -> Option<SimDuration> {
        None
    }
    /// A metrics sample.
    fn metrics(&mut self, _row: &MetricsRow) {}
}

/// What a trace keeps.
enum Keep {
    Nothing,
    Memory {
        records: Vec<TraceRecord>,
        attempts: Vec<Attempt>,
    },
    Sink(Box<dyn RecordSink>),
}

/// The record of one run.
pub struct Trace {
    keep: Keep,
}

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keeps = match &self.keep {
            Keep::Nothing => "nothing",
            Keep::Memory { .. } => "memory",
            Keep::Sink(_) => "sink",
        };
        f.debug_struct("Trace").field("keeps", &keeps).finish()
    }
}

impl Default for Trace {
    fn default() -> Self {
        Self::new()
    }
}

impl Trace {
    /// A trace that keeps everything in memory ([`Trace::records`],
    /// [`Trace::attempts`]).
    pub fn new() -> Self {
        Self {
            keep: Keep::Memory {
                records: Vec::new(),
                attempts: Vec::new(),
            },
        }
    }

    /// A trace that keeps nothing.
    pub fn disabled() -> Self {
        Self {
            keep: Keep::Nothing,
        }
    }

    /// A trace that hands every record to `sink` as it happens and keeps
    /// nothing itself.
    pub fn streaming(sink: Box<dyn RecordSink>) -> Self {
        Self {
            keep: Keep::Sink(sink),
        }
    }

    /// True when records go somewhere (so that callers can skip formatting
    /// them when they do not).
    pub fn is_enabled(&self) -> bool {
        !matches!(self.keep, Keep::Nothing)
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
        if !self.is_enabled() {
            return;
        }
        let record = TraceRecord {
            t_ns: t.as_nanos(),
            component: component.to_owned(),
            action: action.to_owned(),
            object,
            revision,
            detail,
        };
        match &mut self.keep {
            Keep::Nothing => {}
            Keep::Memory { records, .. } => records.push(record),
            Keep::Sink(sink) => sink.record(&record),
        }
    }

    /// Appends an explained scheduling attempt.
    pub fn attempt(&mut self, attempt: Attempt) {
        match &mut self.keep {
            Keep::Nothing => {}
            Keep::Memory { attempts, .. } => attempts.push(attempt),
            Keep::Sink(sink) => sink.attempt(&attempt),
        }
    }

    /// How often the trace wants metrics samples (only a sink that asks).
    pub fn metrics_interval(&self) -> Option<SimDuration> {
        match &self.keep {
            Keep::Sink(sink) => sink.metrics_interval(),
            _ => None,
        }
    }

    /// Hands a metrics sample to the sink that asked for them.
    pub fn metrics(&mut self, row: &MetricsRow) {
        if let Keep::Sink(sink) = &mut self.keep {
            sink.metrics(row);
        }
    }

    /// Every record kept so far, in order (none unless the trace keeps
    /// them in memory).
    pub fn records(&self) -> &[TraceRecord] {
        match &self.keep {
            Keep::Memory { records, .. } => records,
            _ => &[],
        }
    }

    /// Every explained attempt kept so far, in order (none unless the
    /// trace keeps them in memory).
    pub fn attempts(&self) -> &[Attempt] {
        match &self.keep {
            Keep::Memory { attempts, .. } => attempts,
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;

    #[derive(Default)]
    struct Collect(Rc<RefCell<Vec<String>>>);

    impl RecordSink for Collect {
        fn record(&mut self, record: &TraceRecord) {
            self.0.borrow_mut().push(record.action.clone());
        }
        fn attempt(&mut self, attempt: &Attempt) {
            self.0.borrow_mut().push(attempt.pod.clone());
        }
    }

    fn attempt() -> Attempt {
        Attempt {
            t_ns: 0,
            pod: "default/p".into(),
            profile: "default-scheduler".into(),
            result: "scheduled",
            node: Some("worker-1".into()),
            message: None,
            explanation: scheduling::Explanation::Full {
                nodes: Default::default(),
            },
            preemption: None,
        }
    }

    fn feed(trace: &mut Trace) {
        trace.record(
            SimTime::ZERO,
            "kubectl",
            "create",
            "pod/default/p".into(),
            Some(1),
            String::new(),
        );
        trace.attempt(attempt());
    }

    #[test]
    fn each_mode_keeps_what_it_says() {
        let mut off = Trace::disabled();
        feed(&mut off);
        assert!(off.records().is_empty() && off.attempts().is_empty());

        let mut memory = Trace::new();
        feed(&mut memory);
        assert_eq!(memory.records().len(), 1);
        assert_eq!(memory.attempts().len(), 1);

        let seen = Rc::new(RefCell::new(Vec::new()));
        let mut streaming = Trace::streaming(Box::new(Collect(seen.clone())));
        feed(&mut streaming);
        assert!(
            streaming.records().is_empty(),
            "a streaming trace keeps nothing"
        );
        assert_eq!(*seen.borrow(), ["create", "default/p"]);
    }
}
