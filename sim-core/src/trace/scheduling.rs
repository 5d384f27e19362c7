//! Explanations of scheduling attempts, one per attempt, as the scheduler
//! records them in the trace and `sim run --out` writes them to
//! `scheduling.jsonl`: for every node examined, the filter verdict (`"ok"`
//! or the rejecting plugin and its reason) and, for feasible nodes, each
//! score plugin's raw, normalized and weighted score and the total. Nodes
//! the sampling did not examine are absent.

use std::collections::BTreeMap;

use serde::Serialize;

/// One plugin's score for one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ScoreParts {
    /// What Score returned.
    pub raw: i64,
    /// After NormalizeScore.
    pub normalized: i64,
    /// Times the plugin's weight.
    pub weighted: i64,
}

/// A node's filter verdict: `"ok"` or `{"plugin": ..., "reason": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum FilterVerdict {
    /// Passed every filter (serialized as `"ok"`).
    Passed(&'static str),
    /// Rejected.
    Rejected {
        /// The rejecting plugin.
        plugin: &'static str,
        /// Its reason(s), joined with ", ".
        reason: String,
    },
}

impl FilterVerdict {
    /// The passing verdict.
    pub const OK: FilterVerdict = FilterVerdict::Passed("ok");
}

/// One node in an attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeVerdict {
    /// The filter verdict.
    pub filter: FilterVerdict,
    /// Score plugin results (feasible nodes only; empty when one node was feasible,
    /// since the real scheduler does not score then).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub scores: BTreeMap<&'static str, ScoreParts>,
    /// The weighted total (feasible nodes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// What preemption decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PreemptionOutcome {
    /// The nominated node.
    pub node: String,
    /// The victims, `namespace/name`.
    pub victims: Vec<String>,
}

/// One scheduling attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attempt {
    /// Virtual time of the attempt, nanoseconds.
    pub t_ns: u64,
    /// `namespace/name`.
    pub pod: String,
    /// The profile (schedulerName).
    pub profile: String,
    /// `scheduled`, `unschedulable` or `error`.
    pub result: &'static str,
    /// The chosen node.
    pub node: Option<String>,
    /// The FailedScheduling message, for failed attempts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The nodes the cycle examined, by name (the sampling leaves the rest out).
    pub nodes: BTreeMap<String, NodeVerdict>,
    /// Preemption's decision, when it nominated a node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preemption: Option<PreemptionOutcome>,
}
