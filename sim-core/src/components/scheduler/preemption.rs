//! DefaultPreemption, the PostFilter (pkg/scheduler/framework/preemption/
//! preemption.go, plugins/defaultpreemption/default_preemption.go).
//!
//! When no node fits, every node whose rejection removing pods could resolve
//! is a candidate. On each, all lower-priority pods are removed; if the pod
//! then fits, victims are reprieved highest-priority first (earlier start
//! first among equals) while the pod still fits, leaving a minimal victim set.
//! The node is picked by: lowest highest-victim priority, lowest sum of
//! victim priorities, fewest victims, latest start among the highest-priority
//! victims, then the first candidate. No PodDisruptionBudgets are modelled,
//! so the PDB-violation criterion never separates candidates.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use super::compiled_profile::CompiledProfile;
use super::framework::{run_filters, ClusterView, CycleState};
use super::node_info::NodeInfo;
use super::plugins::Rejection;
use super::pod_info::{PodInfo, SharedPodInfo};

/// A node chosen for preemption and the pods to evict from it.
#[derive(Clone, Debug)]
pub(crate) struct Candidate {
    /// Index of the node in the scheduler's node slots.
    pub node: usize,
    /// The victims, most important first.
    pub victims: Vec<SharedPodInfo>,
}

/// `MoreImportantPod`: higher priority first, then earlier start time.
fn importance(p: &PodInfo) -> (Reverse<i32>, i128) {
    (Reverse(p.priority), p.start_time_ns.unwrap_or(i128::MAX))
}

/// The number of candidates to evaluate (GetOffsetAndNumCandidates).
pub(crate) fn num_candidates(num_nodes: usize, percentage: i64, absolute: i64) -> usize {
    let n = (num_nodes as i64 * percentage / 100).max(absolute);
    (n.max(0) as usize).min(num_nodes)
}

/// SelectVictimsOnNode: `Err` carries the node's status when preemption
/// cannot help there.
pub(crate) fn select_victims(
    profile: &CompiledProfile,
    state: &CycleState,
    pod: &PodInfo,
    node: &NodeInfo,
    view: &ClusterView<'_>,
) -> Result<Vec<SharedPodInfo>, Rejection> {
    let mut potential: Vec<SharedPodInfo> = node
        .pods
        .iter()
        .filter(|p| p.priority < pod.priority)
        .cloned()
        .collect();
    if potential.is_empty() {
        return Err(Rejection::new(
            "DefaultPreemption",
            "No preemption victims found for incoming pod",
            true,
        ));
    }
    let mut trial = node.clone();
    for v in &potential {
        trial.remove_pod(&v.uid);
    }
    run_filters(profile, state, pod, &trial, view)?;
    potential.sort_by_key(|p| importance(p));
    let mut victims = Vec::new();
    for v in potential {
        trial.add_pod(v.clone());
        if run_filters(profile, state, pod, &trial, view).is_err() {
            trial.remove_pod(&v.uid);
            victims.push(v);
        }
    }
    Ok(victims)
}

/// pickOneNodeForPreemption over candidates in evaluation order.
pub(crate) fn pick_one(candidates: Vec<Candidate>) -> Option<Candidate> {
    let key = |c: &Candidate| {
        let highest = c
            .victims
            .iter()
            .map(|v| v.priority)
            .max()
            .unwrap_or(i32::MIN);
        let sum: i128 = c
            .victims
            .iter()
            .map(|v| i128::from(v.priority) + i128::from(i32::MAX) + 1)
            .sum();
        // Latest earliest-start among the highest-priority victims wins.
        let earliest = c
            .victims
            .iter()
            .filter(|v| v.priority == highest)
            .map(|v| v.start_time_ns.unwrap_or(i128::MAX))
            .min()
            .unwrap_or(i128::MAX);
        (highest, sum, c.victims.len(), Reverse(earliest))
    };
    if let Some(i) = candidates.iter().position(|c| c.victims.is_empty()) {
        return candidates.into_iter().nth(i);
    }
    let mut best: Option<(Candidate, _)> = None;
    for c in candidates {
        let k = key(&c);
        if best.as_ref().is_none_or(|(_, bk)| k < *bk) {
            best = Some((c, k));
        }
    }
    best.map(|(c, _)| c)
}

/// The outcome of the PostFilter.
pub(crate) enum Outcome {
    /// A node was nominated.
    Nominated(Candidate),
    /// Preemption cannot help; the message follows `preemption: `.
    NotHelpful(String),
}

/// Runs DefaultPreemption for a pod that fits nowhere. `statuses` are the
/// filter rejections per node index; `offset` is the random start.
pub(crate) fn preempt(
    profile: &CompiledProfile,
    state: &CycleState,
    pod: &PodInfo,
    statuses: &[(usize, Rejection)],
    view: &ClusterView<'_>,
    offset: usize,
) -> Outcome {
    if pod.never_preempts {
        return Outcome::NotHelpful("not eligible due to preemptionPolicy=Never.".into());
    }
    let candidates_idx: Vec<&(usize, Rejection)> =
        statuses.iter().filter(|(_, r)| !r.unresolvable).collect();
    let mut dry_run: BTreeMap<String, usize> = BTreeMap::new();
    let mut failed_nodes = 0;
    let mut found = Vec::new();
    if !candidates_idx.is_empty() {
        let n = candidates_idx.len();
        let want = num_candidates(
            n,
            profile.args.min_candidate_nodes_percentage,
            profile.args.min_candidate_nodes_absolute,
        );
        let start = offset % n;
        for k in 0..n {
            if found.len() >= want {
                break;
            }
            let (i, _) = candidates_idx[(start + k) % n];
            match select_victims(profile, state, pod, &view.nodes[*i], view) {
                Ok(victims) => found.push(Candidate { node: *i, victims }),
                Err(r) => {
                    failed_nodes += 1;
                    for reason in r.reasons {
                        *dry_run.entry(reason).or_default() += 1;
                    }
                }
            }
        }
    }
    if let Some(c) = pick_one(found) {
        return Outcome::Nominated(c);
    }
    // Nodes not dry-run get AbsentNodesStatus: "Preemption is not helpful".
    let not_helpful = view.num_nodes.saturating_sub(failed_nodes);
    let mut parts: Vec<String> = dry_run.iter().map(|(r, c)| format!("{c} {r}")).collect();
    if not_helpful > 0 {
        parts.push(format!(
            "{not_helpful} Preemption is not helpful for scheduling"
        ));
    }
    parts.sort();
    Outcome::NotHelpful(format!(
        "0/{} nodes are available: {}.",
        view.num_nodes,
        parts.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn victim(uid: &str, priority: i32, start: i128) -> SharedPodInfo {
        Arc::new(PodInfo {
            uid: uid.into(),
            priority,
            start_time_ns: Some(start),
            ..PodInfo::default()
        })
    }

    #[test]
    fn candidate_count_follows_the_args() {
        // default_preemption.go: max(numNodes * 10%, 100), capped at numNodes.
        assert_eq!(num_candidates(50, 10, 100), 50);
        assert_eq!(num_candidates(5000, 10, 100), 500);
        assert_eq!(num_candidates(500, 10, 100), 100);
    }

    #[test]
    fn pick_one_node_for_preemption_criteria() {
        let c = |node, victims| Candidate { node, victims };
        // (2) lowest highest-victim priority wins.
        let picked = pick_one(vec![
            c(0, vec![victim("a", 10, 0)]),
            c(1, vec![victim("b", 5, 0), victim("c", 5, 0)]),
        ])
        .unwrap();
        assert_eq!(picked.node, 1);
        // (3) then the smaller priority sum; (4) then fewer victims.
        let picked = pick_one(vec![
            c(0, vec![victim("a", 5, 0), victim("b", 5, 0)]),
            c(1, vec![victim("c", 5, 0)]),
        ])
        .unwrap();
        assert_eq!(picked.node, 1);
        // (5) then the latest start among the highest-priority victims.
        let picked = pick_one(vec![
            c(0, vec![victim("a", 5, 100)]),
            c(1, vec![victim("b", 5, 200)]),
        ])
        .unwrap();
        assert_eq!(picked.node, 1);
        // (6) then the first.
        let picked = pick_one(vec![
            c(3, vec![victim("a", 5, 1)]),
            c(4, vec![victim("b", 5, 1)]),
        ])
        .unwrap();
        assert_eq!(picked.node, 3);
    }
}
