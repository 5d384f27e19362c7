//! PodTopologySpread (pkg/scheduler/framework/plugins/podtopologyspread:
//! common.go, filtering.go, scoring.go). DoNotSchedule constraints filter:
//! `skew = matching pods in the node's domain + (1 if the pod matches its own
//! selector) − the minimum over eligible domains` must not exceed maxSkew.
//! ScheduleAnyway constraints (and the System defaults for pods without
//! constraints, whose selector is the union of the Services', ReplicaSets',
//! StatefulSets' and ReplicationControllers' selecting the pod) score:
//! `Σ count × ln(domains + 2) + (maxSkew − 1)`, rounded, normalized as
//! `100 × (max + min − s) / max`.

use std::collections::BTreeMap;

use super::spread_domains::KeptCounts;
use super::{node_affinity, taint_toleration, Rejection, Scored};
use crate::api::labels::Selector;
use crate::components::scheduler::node_info::{NodeInfo, SpreadKey, SpreadKeys};
use crate::components::scheduler::pod_info::PodInfo;
use crate::config::scheduler::DefaultSpreadConstraint;
use crate::config::scheduler::MAX_NODE_SCORE;

/// `ErrReasonConstraintsNotMatch`.
pub(crate) const REASON: &str = "node(s) didn't match pod topology spread constraints";
/// `ErrReasonNodeLabelNotMatch`.
pub(crate) const REASON_MISSING_LABEL: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";
pub(crate) use super::spread_domains::HOSTNAME;

/// A constraint, defaulted (common.go: filterTopologySpreadConstraints).
#[derive(Clone, Debug)]
pub(crate) struct Constraint {
    /// maxSkew.
    pub max_skew: i64,
    /// topologyKey.
    pub topology_key: String,
    /// The selector (labelSelector plus matchLabelKeys).
    pub selector: Selector,
    /// minDomains (1 when unset).
    pub min_domains: i64,
    /// nodeAffinityPolicy Honor (the default).
    pub honor_node_affinity: bool,
    /// nodeTaintsPolicy Honor (default Ignore).
    pub honor_node_taints: bool,
    /// The namespace and selector, the key of the per-node count memo.
    pub memo_key: SpreadKey,
}

impl Constraint {
    /// The matching pods on `node` (`countPodsMatchSelector` for this
    /// constraint's selector in its namespace), remembered per node.
    fn count(&self, node: &NodeInfo, namespace: &str) -> i64 {
        if let Some(count) = node
            .spread_memo
            .borrow()
            .get(node.pods_generation, self.memo_key)
        {
            return count;
        }
        let count = count_matching(node, &self.selector, namespace);
        node.spread_memo
            .borrow_mut()
            .insert(node.pods_generation, self.memo_key, count);
        count
    }

    /// True when [`Constraint::includes`] is true of every node for this pod.
    fn includes_every_node(&self, pod: &PodInfo) -> bool {
        (!self.honor_node_affinity
            || (pod.node_selector.is_empty() && pod.required_node_terms.is_none()))
            && !self.honor_node_taints
    }

    fn includes(&self, pod: &PodInfo, node: &NodeInfo) -> bool {
        (!self.honor_node_affinity || node_affinity::required_matches(pod, node))
            && (!self.honor_node_taints || taint_toleration::filter(pod, node).is_ok())
    }
}

/// The pod's own constraints with `whenUnsatisfiable == when`.
pub(crate) fn pod_constraints(pod: &PodInfo, when: &str, keys: &SpreadKeys) -> Vec<Constraint> {
    pod.spread_constraints
        .iter()
        .filter(|c| c.when_unsatisfiable == when)
        .map(|c| {
            let selector = Selector::from_label_selector_opt(c.label_selector.as_ref())
                .unwrap_or_else(|_| Selector::nothing());
            let selector = selector.with_label_keys(
                &pod.labels,
                c.match_label_keys.as_deref().unwrap_or_default(),
                &[],
            );
            Constraint {
                max_skew: i64::from(c.max_skew),
                topology_key: c.topology_key.clone(),
                memo_key: keys.of(&pod.namespace, &selector),
                selector,
                min_domains: i64::from(c.min_domains.unwrap_or(1)),
                honor_node_affinity: c.node_affinity_policy.as_deref() != Some("Ignore"),
                honor_node_taints: c.node_taints_policy.as_deref() == Some("Honor"),
            }
        })
        .collect()
}

/// The configured default constraints for a pod without constraints
/// (plugin.go: buildDefaultConstraints); none when the default selector is empty.
pub(crate) fn default_constraints(
    defaults: &[DefaultSpreadConstraint],
    namespace: &str,
    selector: &Selector,
    do_not_schedule: bool,
    keys: &SpreadKeys,
) -> Vec<Constraint> {
    if selector.is_everything() {
        return Vec::new();
    }
    let key = keys.of(namespace, selector);
    defaults
        .iter()
        .filter(|d| d.do_not_schedule == do_not_schedule)
        .map(|d| Constraint {
            max_skew: i64::from(d.max_skew),
            topology_key: d.topology_key.clone(),
            selector: selector.clone(),
            memo_key: key,
            min_domains: 1,
            honor_node_affinity: true,
            honor_node_taints: false,
        })
        .collect()
}

/// `countPodsMatchSelector`: pods on the node in the namespace, not terminating,
/// matching the selector (an empty selector counts nothing).
pub(crate) fn count_matching(node: &NodeInfo, selector: &Selector, namespace: &str) -> i64 {
    if selector.is_everything() {
        return 0;
    }
    node.pods
        .iter()
        .filter(|p| counts_toward(p, selector, namespace))
        .count() as i64
}

/// Whether `countPodsMatchSelector` counts the pod (an empty selector
/// counts nothing).
fn counts_toward(pod: &PodInfo, selector: &Selector, namespace: &str) -> bool {
    !pod.terminating
        && pod.namespace == namespace
        && !selector.is_everything()
        && selector.matches(&pod.labels)
}

/// Adds `n` to a domain's count, creating the domain (without allocating a
/// key for domains already present: there are few domains and many nodes).
fn bump(counts: &mut BTreeMap<String, i64>, value: &str, n: i64) {
    match counts.get_mut(value) {
        Some(c) => *c += n,
        None => {
            counts.insert(value.to_owned(), n);
        }
    }
}

fn has_all_keys(node: &NodeInfo, constraints: &[Constraint]) -> bool {
    constraints
        .iter()
        .all(|c| node.labels.contains_key(&c.topology_key))
}

/// PreFilter state: matching pods per domain for each constraint.
#[derive(Clone, Debug)]
pub(crate) struct FilterState {
    constraints: Vec<Constraint>,
    counts: Vec<BTreeMap<String, i64>>,
}

/// PreFilter over all nodes; `None` (Skip) when there is no hard constraint.
pub(crate) fn pre_filter(
    pod: &PodInfo,
    constraints: Vec<Constraint>,
    all: &[NodeInfo],
) -> Option<FilterState> {
    if constraints.is_empty() {
        return None;
    }
    let mut counts = vec![BTreeMap::new(); constraints.len()];
    for node in all.iter().filter(|n| !n.name.is_empty()) {
        if !has_all_keys(node, &constraints) {
            continue;
        }
        for (i, c) in constraints.iter().enumerate() {
            if !c.includes(pod, node) {
                continue;
            }
            let n = c.count(node, &pod.namespace);
            bump(&mut counts[i], &node.labels[&c.topology_key], n);
        }
    }
    Some(FilterState {
        constraints,
        counts,
    })
}

/// The filter.
pub(crate) fn filter(state: &FilterState, pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    for (i, c) in state.constraints.iter().enumerate() {
        let Some(value) = node.labels.get(&c.topology_key) else {
            return Err(Rejection::new(
                "PodTopologySpread",
                REASON_MISSING_LABEL,
                true,
            ));
        };
        let domains = &state.counts[i];
        let min = if (domains.len() as i64) < c.min_domains {
            0
        } else {
            domains
                .values()
                .copied()
                .min()
                .unwrap_or(i64::from(i32::MAX))
        };
        let self_match = i64::from(c.selector.matches(&pod.labels));
        let skew = domains.get(value).copied().unwrap_or(0) + self_match - min;
        if skew > c.max_skew {
            return Err(Rejection::new("PodTopologySpread", REASON, false));
        }
    }
    Ok(())
}

/// PreScore, Score and NormalizeScore over the feasible nodes. `require_all`
/// is false only for System-defaulted constraints (nodes without a zone label
/// are then scored on their hostname domain alone).
pub(crate) fn score(
    pod: &PodInfo,
    constraints: &[Constraint],
    require_all: bool,
    feasible: &[usize],
    all: &[NodeInfo],
    kept: KeptCounts<'_>,
) -> Option<Scored> {
    if constraints.is_empty() || feasible.is_empty() {
        return None;
    }
    // initPreScoreState over the feasible nodes.
    let mut ignored = vec![false; feasible.len()];
    let mut counts: Vec<BTreeMap<String, i64>> = vec![BTreeMap::new(); constraints.len()];
    for (j, node) in feasible.iter().map(|&i| &all[i]).enumerate() {
        if require_all && !has_all_keys(node, constraints) {
            ignored[j] = true;
            continue;
        }
        for (i, c) in constraints.iter().enumerate() {
            if c.topology_key == HOSTNAME {
                continue;
            }
            let value = node.labels.get(&c.topology_key).map_or("", String::as_str);
            bump(&mut counts[i], value, 0);
        }
    }
    let num_ignored = ignored.iter().filter(|&&x| x).count();
    let weights: Vec<f64> = constraints
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let size = if c.topology_key == HOSTNAME {
                feasible.len() - num_ignored
            } else {
                counts[i].len()
            };
            ((size + 2) as f64).ln()
        })
        .collect();
    // Count matching pods over all nodes, for the domains of the feasible
    // ones: from the kept totals where no node can be left out for this pod
    // but by its domain (spread_domains.rs), else node by node.
    let from_totals: Vec<bool> = constraints
        .iter()
        .map(|c| c.topology_key != HOSTNAME && !require_all && c.includes_every_node(pod))
        .collect();
    for (i, c) in constraints
        .iter()
        .enumerate()
        .filter(|&(i, _)| from_totals[i])
    {
        let mut domains = kept.domains.borrow_mut();
        let totals = domains.totals(
            c.memo_key,
            &c.topology_key,
            all,
            kept.changes,
            |node| c.count(node, &pod.namespace),
            |p| counts_toward(p, &c.selector, &pod.namespace),
        );
        for (domain, n) in counts[i].iter_mut() {
            *n = totals.get(domain);
        }
    }
    let summed = |i: usize, c: &Constraint| c.topology_key != HOSTNAME && !from_totals[i];
    if constraints.iter().enumerate().any(|(i, c)| summed(i, c)) {
        for node in all.iter().filter(|n| !n.name.is_empty()) {
            if require_all && !has_all_keys(node, constraints) {
                continue;
            }
            for (i, c) in constraints.iter().enumerate() {
                if !summed(i, c) || !c.includes(pod, node) {
                    continue;
                }
                let value = node
                    .labels
                    .get(&c.topology_key)
                    .map(String::as_str)
                    .unwrap_or("");
                if let Some(n) = counts[i].get_mut(value) {
                    *n += c.count(node, &pod.namespace);
                }
            }
        }
    }
    // The hostname constraints' counts on each feasible node, from the kept
    // per-node counts.
    let on_feasible: Vec<Vec<i64>> = constraints
        .iter()
        .map(|c| {
            if c.topology_key != HOSTNAME {
                return Vec::new();
            }
            let mut domains = kept.domains.borrow_mut();
            let on_node = domains.totals(
                c.memo_key,
                HOSTNAME,
                all,
                kept.changes,
                |node| c.count(node, &pod.namespace),
                |p| counts_toward(p, &c.selector, &pod.namespace),
            );
            feasible.iter().map(|&i| on_node.on_node(i)).collect()
        })
        .collect();
    let raw: Vec<i64> = feasible
        .iter()
        .map(|&i| &all[i])
        .enumerate()
        .map(|(j, node)| {
            if ignored[j] {
                return 0;
            }
            let mut s = 0f64;
            for (i, c) in constraints.iter().enumerate() {
                let Some(value) = node.labels.get(&c.topology_key) else {
                    continue;
                };
                let cnt = if c.topology_key == HOSTNAME {
                    on_feasible[i][j]
                } else {
                    counts[i].get(value).copied().unwrap_or(0)
                };
                s += cnt as f64 * weights[i] + (c.max_skew - 1) as f64;
            }
            s.round() as i64
        })
        .collect();
    let mut min = i64::MAX;
    let mut max = 0;
    for (j, &s) in raw.iter().enumerate() {
        if !ignored[j] {
            min = min.min(s);
            max = max.max(s);
        }
    }
    let normalized = raw
        .iter()
        .enumerate()
        .map(|(j, &s)| {
            if ignored[j] {
                0
            } else if max == 0 {
                MAX_NODE_SCORE
            } else {
                MAX_NODE_SCORE * (max + min - s) / max
            }
        })
        .collect();
    Some(Scored { raw, normalized })
}
