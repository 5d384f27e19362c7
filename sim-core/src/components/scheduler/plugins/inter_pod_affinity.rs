//! InterPodAffinity (pkg/scheduler/framework/plugins/interpodaffinity:
//! filtering.go, scoring.go). The filter enforces the pod's required affinity
//! (with the "first pod of a series" exception) and anti-affinity, and the
//! required anti-affinity of pods already placed. The score adds, per
//! topology domain, the weights of preferred terms in both directions and
//! `hardPodAffinityWeight` for existing pods' required affinity terms that
//! the pod matches; normalized as `100 × (s − min) / (max − min)`.

use std::collections::BTreeMap;

use super::{Rejection, Scored};
use crate::components::scheduler::node_info::NodeInfo;
use crate::components::scheduler::pod_info::{AffinityTerm, PodInfo};
use crate::config::scheduler::MAX_NODE_SCORE;

/// `ErrReasonAffinityRulesNotMatch`.
pub(crate) const REASON_AFFINITY: &str = "node(s) didn't match pod affinity rules";
/// `ErrReasonAntiAffinityRulesNotMatch`.
pub(crate) const REASON_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
/// `ErrReasonExistingAntiAffinityRulesNotMatch`.
pub(crate) const REASON_EXISTING_ANTI_AFFINITY: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";

/// Namespace labels by namespace name (for namespaceSelector).
pub(crate) type NamespaceLabels = BTreeMap<String, BTreeMap<String, String>>;

type Pairs = BTreeMap<(String, String), i64>;

/// PreFilter state (filtering.go: preFilterState).
#[derive(Clone, Debug, Default)]
pub(crate) struct FilterState {
    existing_anti: Pairs,
    affinity: Pairs,
    anti: Pairs,
}

fn pair(term: &AffinityTerm, node: &NodeInfo) -> Option<(String, String)> {
    node.labels
        .get(&term.topology_key)
        .map(|v| (term.topology_key.clone(), v.clone()))
}

/// PreFilter; `None` (Skip) when neither the pod nor any placed pod has a
/// required (anti-)affinity term that concerns it. `any_required_anti` tells
/// whether some placed pod has required anti-affinity at all.
pub(crate) fn pre_filter(
    pod: &PodInfo,
    all: &[NodeInfo],
    namespaces: &NamespaceLabels,
    any_required_anti: bool,
) -> Option<FilterState> {
    let a = &pod.affinity;
    if !any_required_anti && a.required_affinity.is_empty() && a.required_anti_affinity.is_empty() {
        return None;
    }
    let own_ns = namespaces.get(&pod.namespace);
    let mut s = FilterState::default();
    for node in all.iter().filter(|n| !n.name.is_empty()) {
        if any_required_anti && node.pods_with_required_anti_affinity > 0 {
            for existing in &node.pods {
                for t in &existing.affinity.required_anti_affinity {
                    if t.matches(&pod.namespace, &pod.labels, own_ns) {
                        if let Some(p) = pair(t, node) {
                            *s.existing_anti.entry(p).or_default() += 1;
                        }
                    }
                }
            }
        }
        if a.required_affinity.is_empty() && a.required_anti_affinity.is_empty() {
            continue;
        }
        for existing in &node.pods {
            let ns = namespaces.get(&existing.namespace);
            if !a.required_affinity.is_empty()
                && a.required_affinity
                    .iter()
                    .all(|t| t.matches(&existing.namespace, &existing.labels, ns))
            {
                for t in &a.required_affinity {
                    if let Some(p) = pair(t, node) {
                        *s.affinity.entry(p).or_default() += 1;
                    }
                }
            }
            for t in &a.required_anti_affinity {
                if t.matches(&existing.namespace, &existing.labels, ns) {
                    if let Some(p) = pair(t, node) {
                        *s.anti.entry(p).or_default() += 1;
                    }
                }
            }
        }
    }
    if s.existing_anti.is_empty()
        && a.required_affinity.is_empty()
        && a.required_anti_affinity.is_empty()
    {
        return None;
    }
    Some(s)
}

/// The filter: affinity, then the pod's anti-affinity, then existing pods' anti-affinity.
pub(crate) fn filter(
    state: &FilterState,
    pod: &PodInfo,
    node: &NodeInfo,
    namespaces: &NamespaceLabels,
) -> Result<(), Rejection> {
    let a = &pod.affinity;
    let mut pods_exist = true;
    for t in &a.required_affinity {
        match pair(t, node) {
            None => return Err(Rejection::new("InterPodAffinity", REASON_AFFINITY, true)),
            Some(p) => {
                if state.affinity.get(&p).copied().unwrap_or(0) <= 0 {
                    pods_exist = false;
                }
            }
        }
    }
    if !pods_exist {
        let own_ns = namespaces.get(&pod.namespace);
        let first_of_series = state.affinity.is_empty()
            && a.required_affinity
                .iter()
                .all(|t| t.matches(&pod.namespace, &pod.labels, own_ns));
        if !first_of_series {
            return Err(Rejection::new("InterPodAffinity", REASON_AFFINITY, true));
        }
    }
    if !state.anti.is_empty() {
        for t in &a.required_anti_affinity {
            if let Some(p) = pair(t, node) {
                if state.anti.get(&p).copied().unwrap_or(0) > 0 {
                    return Err(Rejection::new(
                        "InterPodAffinity",
                        REASON_ANTI_AFFINITY,
                        false,
                    ));
                }
            }
        }
    }
    if !state.existing_anti.is_empty() {
        for (k, v) in &node.labels {
            if state
                .existing_anti
                .get(&(k.clone(), v.clone()))
                .copied()
                .unwrap_or(0)
                > 0
            {
                return Err(Rejection::new(
                    "InterPodAffinity",
                    REASON_EXISTING_ANTI_AFFINITY,
                    false,
                ));
            }
        }
    }
    Ok(())
}

/// PreScore, Score and NormalizeScore; `None` when PreScore skips (no
/// topology score anywhere).
pub(crate) fn score(
    pod: &PodInfo,
    feasible: &[usize],
    all: &[NodeInfo],
    namespaces: &NamespaceLabels,
    any_affinity: bool,
    hard_pod_affinity_weight: i64,
    ignore_preferred_terms_of_existing_pods: bool,
) -> Option<Scored> {
    let a = &pod.affinity;
    let has_constraints = !a.preferred_affinity.is_empty() || !a.preferred_anti_affinity.is_empty();
    if (ignore_preferred_terms_of_existing_pods || !any_affinity) && !has_constraints {
        // Without preferred terms only nodes with pods having affinity count.
        return None;
    }
    let own_ns = namespaces.get(&pod.namespace);
    let mut topology: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    let mut add = |term: &AffinityTerm, node: &NodeInfo, w: i64| {
        if let Some(v) = node.labels.get(&term.topology_key) {
            *topology
                .entry(term.topology_key.clone())
                .or_default()
                .entry(v.clone())
                .or_default() += w;
        }
    };
    for node in all.iter().filter(|n| !n.name.is_empty()) {
        if node.labels.is_empty() || (!has_constraints && node.pods_with_affinity == 0) {
            continue;
        }
        for existing in &node.pods {
            if !has_constraints && existing.affinity.is_empty() {
                continue;
            }
            let ns = namespaces.get(&existing.namespace);
            for t in &a.preferred_affinity {
                if t.matches(&existing.namespace, &existing.labels, ns) {
                    add(t, node, t.weight);
                }
            }
            for t in &a.preferred_anti_affinity {
                if t.matches(&existing.namespace, &existing.labels, ns) {
                    add(t, node, -t.weight);
                }
            }
            let e = &existing.affinity;
            if hard_pod_affinity_weight > 0 {
                for t in &e.required_affinity {
                    if t.matches(&pod.namespace, &pod.labels, own_ns) {
                        add(t, node, hard_pod_affinity_weight);
                    }
                }
            }
            for t in &e.preferred_affinity {
                if t.matches(&pod.namespace, &pod.labels, own_ns) {
                    add(t, node, t.weight);
                }
            }
            for t in &e.preferred_anti_affinity {
                if t.matches(&pod.namespace, &pod.labels, own_ns) {
                    add(t, node, -t.weight);
                }
            }
        }
    }
    if topology.is_empty() {
        return None;
    }
    let raw: Vec<i64> = feasible
        .iter()
        .map(|&i| {
            let node = &all[i];
            topology
                .iter()
                .filter_map(|(k, values)| node.labels.get(k).and_then(|v| values.get(v)))
                .sum()
        })
        .collect();
    let min = raw.iter().copied().min().unwrap_or(0);
    let max = raw.iter().copied().max().unwrap_or(0);
    let diff = max - min;
    let normalized = raw
        .iter()
        .map(|&s| {
            if diff > 0 {
                (MAX_NODE_SCORE as f64 * ((s - min) as f64 / diff as f64)) as i64
            } else {
                0
            }
        })
        .collect();
    Some(Scored { raw, normalized })
}
