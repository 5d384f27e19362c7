//! Explanations of scheduling attempts, one per attempt, as the scheduler
//! records them in the trace and `sim run --out` writes them to
//! `scheduling.jsonl`. An attempt is explained in one of two forms
//! ([`Explanation`]):
//!
//! - in full: for every node examined, the filter verdict (`"ok"` or the
//!   rejecting plugin and its reason) and, for feasible nodes, each score
//!   plugin's raw, normalized and weighted score and the total. Nodes the
//!   sampling did not examine are absent. Its size grows with the nodes
//!   examined (up to 500 a pod, however large the cluster);
//! - as a [`Summary`], whose size does not depend on the number of nodes:
//!   how many nodes were examined and found feasible, the filtered ones
//!   counted by plugin and reason, and the [`TOP_NODES`] best scored.

use std::cmp::Ordering;
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

/// How many scored nodes a [`Summary`] keeps: the chosen one and the
/// runners-up.
pub const TOP_NODES: usize = 3;

/// One of the best scored nodes of a summarized attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TopNode {
    /// The node.
    pub node: String,
    /// The weighted total (absent when one node was feasible: the real
    /// scheduler does not score it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
    /// Each score plugin's weighted score, by plugin name (the plugins that
    /// scored: those skipped at PreScore, and ImageLocality when no node has
    /// any of the pod's images, are absent).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub scores: BTreeMap<&'static str, i64>,
}

/// An attempt summarized: counts instead of the examined nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Nodes examined (those the full form lists).
    pub examined: usize,
    /// Of them, the nodes that passed every filter.
    pub feasible: usize,
    /// The others, counted by rejecting plugin, then by reason (a node's
    /// reasons joined with ", ", as the full form's `reason`): each filtered
    /// node counts once, so the counts add up to `examined - feasible`.
    pub filtered: BTreeMap<&'static str, BTreeMap<String, usize>>,
    /// Up to [`TOP_NODES`] scored nodes, best first (see [`rank_top`]).
    pub top: Vec<TopNode>,
}

impl Summary {
    /// Counts one examined node that a filter rejected.
    pub fn count_filtered(&mut self, plugin: &'static str, reasons: &[String]) {
        self.examined += 1;
        let by_reason = self.filtered.entry(plugin).or_default();
        // One reason is the common case: look it up without building a key.
        if let [reason] = reasons {
            if let Some(count) = by_reason.get_mut(reason.as_str()) {
                *count += 1;
                return;
            }
        }
        *by_reason.entry(reasons.join(", ")).or_default() += 1;
    }

    /// Counts `count` examined nodes that passed every filter.
    pub fn count_feasible(&mut self, count: usize) {
        self.examined += count;
        self.feasible += count;
    }
}

/// The positions of the best scored nodes among `nodes` (name and total,
/// in any order), at most [`TOP_NODES`], best first: by total, highest
/// first; among equal totals the chosen node (position `chosen`) first,
/// then by name. The chosen node has the best total (ties are broken at
/// random), so it comes first. Costs one pass over the nodes.
pub fn rank_top<'a>(nodes: impl IntoIterator<Item = (&'a str, i64)>, chosen: usize) -> Vec<usize> {
    // (position, name, total), best first.
    let mut best: Vec<(usize, &str, i64)> = Vec::with_capacity(TOP_NODES + 1);
    let better = |a: &(usize, &str, i64), b: &(usize, &str, i64)| -> Ordering {
        b.2.cmp(&a.2)
            .then_with(|| (b.0 == chosen).cmp(&(a.0 == chosen)))
            .then_with(|| a.1.cmp(b.1))
    };
    for (position, (name, total)) in nodes.into_iter().enumerate() {
        let entry = (position, name, total);
        if best.len() == TOP_NODES
            && best
                .last()
                .is_some_and(|last| better(&entry, last) != Ordering::Less)
        {
            continue;
        }
        let at = best.partition_point(|b| better(b, &entry) == Ordering::Less);
        best.insert(at, entry);
        best.truncate(TOP_NODES);
    }
    best.into_iter().map(|(position, _, _)| position).collect()
}

/// How an attempt is explained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Explanation {
    /// Every examined node (serialized as `"nodes": {...}`).
    Full {
        /// The nodes the cycle examined, by name (the sampling leaves the rest out).
        nodes: BTreeMap<String, NodeVerdict>,
    },
    /// Counts and the best nodes (serialized as the [`Summary`]'s fields).
    Summary(Summary),
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
    /// The nodes, in full or summarized (its fields are the attempt's).
    #[serde(flatten)]
    pub explanation: Explanation,
    /// Preemption's decision, when it nominated a node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preemption: Option<PreemptionOutcome>,
}

impl Attempt {
    /// The examined nodes, when the attempt is explained in full.
    pub fn nodes(&self) -> Option<&BTreeMap<String, NodeVerdict>> {
        match &self.explanation {
            Explanation::Full { nodes } => Some(nodes),
            Explanation::Summary(_) => None,
        }
    }

    /// The summary, when the attempt is summarized.
    pub fn summary(&self) -> Option<&Summary> {
        match &self.explanation {
            Explanation::Full { .. } => None,
            Explanation::Summary(s) => Some(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(explanation: Explanation) -> Attempt {
        Attempt {
            t_ns: 5,
            pod: "default/p".into(),
            profile: "default-scheduler".into(),
            result: "scheduled",
            node: Some("b".into()),
            message: None,
            explanation,
            preemption: None,
        }
    }

    #[test]
    fn the_counts_add_up_to_the_examined_nodes() {
        let mut s = Summary::default();
        let cpu = vec!["Insufficient cpu".to_owned()];
        let both = vec![
            "Insufficient cpu".to_owned(),
            "Insufficient memory".to_owned(),
        ];
        let taint = vec!["node(s) had untolerated taint {a: }".to_owned()];
        for reasons in [&cpu, &both, &cpu, &cpu] {
            s.count_filtered("NodeResourcesFit", reasons);
        }
        s.count_filtered("TaintToleration", &taint);
        s.count_feasible(7);
        assert_eq!(s.examined, 12);
        assert_eq!(s.feasible, 7);
        let filtered: usize = s.filtered.values().flat_map(|r| r.values()).sum();
        assert_eq!(filtered, s.examined - s.feasible);
        assert_eq!(
            s.filtered["NodeResourcesFit"],
            BTreeMap::from([
                ("Insufficient cpu".to_owned(), 3),
                ("Insufficient cpu, Insufficient memory".to_owned(), 1)
            ])
        );
        assert_eq!(s.filtered["TaintToleration"][&taint[0]], 1);
    }

    #[test]
    fn the_top_is_ordered_by_total_then_name_with_the_chosen_node_first() {
        let nodes = [("d", 10), ("c", 30), ("a", 20), ("b", 30), ("e", 5)];
        // The chosen node has the best total; among its ties, it comes first.
        assert_eq!(rank_top(nodes, 1), [1, 3, 2]);
        assert_eq!(rank_top(nodes, 3), [3, 1, 2]);
        // Equal totals go by name.
        let tied = [("z", 7), ("y", 7), ("x", 7), ("w", 7)];
        assert_eq!(rank_top(tied, 0), [0, 3, 2]);
        assert_eq!(rank_top(tied, 3), [3, 2, 1]);
        // Fewer nodes than the top: all of them.
        assert_eq!(rank_top([("n", 1), ("m", 2)], 1), [1, 0]);
        assert_eq!(rank_top([("n", 1)], 0), [0]);
        assert!(rank_top([], 0).is_empty());
        // Many nodes: one pass gives the same as sorting them all.
        let many: Vec<(String, i64)> = (0..500)
            .map(|i| (format!("worker-{i}"), (i * 7919) % 101))
            .collect();
        let chosen = many.iter().position(|(_, t)| *t == 100).unwrap();
        let mut sorted: Vec<usize> = (0..many.len()).collect();
        sorted.sort_by(|&a, &b| {
            many[b]
                .1
                .cmp(&many[a].1)
                .then((b == chosen).cmp(&(a == chosen)))
                .then(many[a].0.cmp(&many[b].0))
        });
        let top = rank_top(many.iter().map(|(n, t)| (n.as_str(), *t)), chosen);
        assert_eq!(top, sorted[..TOP_NODES]);
        assert_eq!(top[0], chosen);
    }

    #[test]
    fn a_full_attempt_lists_its_nodes() {
        let mut nodes = BTreeMap::new();
        nodes.insert(
            "a".to_owned(),
            NodeVerdict {
                filter: FilterVerdict::Rejected {
                    plugin: "NodeResourcesFit",
                    reason: "Insufficient cpu".into(),
                },
                scores: BTreeMap::new(),
                total: None,
            },
        );
        nodes.insert(
            "b".to_owned(),
            NodeVerdict {
                filter: FilterVerdict::OK,
                scores: BTreeMap::from([(
                    "NodeResourcesFit",
                    ScoreParts {
                        raw: 78,
                        normalized: 78,
                        weighted: 78,
                    },
                )]),
                total: Some(78),
            },
        );
        let a = attempt(Explanation::Full { nodes });
        assert_eq!(a.nodes().map(BTreeMap::len), Some(2));
        assert!(a.summary().is_none());
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"t_ns":5,"pod":"default/p","profile":"default-scheduler","result":"scheduled","node":"b","nodes":{"a":{"filter":{"plugin":"NodeResourcesFit","reason":"Insufficient cpu"}},"b":{"filter":"ok","scores":{"NodeResourcesFit":{"raw":78,"normalized":78,"weighted":78}},"total":78}}}"#
        );
    }

    #[test]
    fn a_summarized_attempt_has_counts_and_the_best_nodes() {
        let mut s = Summary::default();
        s.count_filtered("NodeResourcesFit", &["Insufficient cpu".to_owned()]);
        s.count_feasible(2);
        s.top = vec![
            TopNode {
                node: "b".into(),
                total: Some(378),
                scores: BTreeMap::from([("NodeResourcesFit", 78), ("TaintToleration", 300)]),
            },
            TopNode {
                node: "c".into(),
                total: Some(350),
                scores: BTreeMap::from([("NodeResourcesFit", 50), ("TaintToleration", 300)]),
            },
        ];
        let mut a = attempt(Explanation::Summary(s));
        a.preemption = Some(PreemptionOutcome {
            node: "b".into(),
            victims: vec![],
        });
        assert!(a.nodes().is_none());
        assert_eq!(a.summary().map(|s| s.examined), Some(3));
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"t_ns":5,"pod":"default/p","profile":"default-scheduler","result":"scheduled","node":"b","examined":3,"feasible":2,"filtered":{"NodeResourcesFit":{"Insufficient cpu":1}},"top":[{"node":"b","total":378,"scores":{"NodeResourcesFit":78,"TaintToleration":300}},{"node":"c","total":350,"scores":{"NodeResourcesFit":50,"TaintToleration":300}}],"preemption":{"node":"b","victims":[]}}"#
        );
    }
}
