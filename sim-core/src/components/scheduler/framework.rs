//! The scheduling framework (pkg/scheduler/framework/runtime): a profile's
//! plugins run at PreFilter, Filter and PreScore/Score/NormalizeScore, in the
//! profile's order, with per-pod state computed once per cycle. Plugins whose
//! PreFilter or PreScore says Skip are not run for that pod, as in the real
//! framework; that is what keeps the common case fast.
//!
//! [`score_nodes`] returns the weighted totals and, when asked, every
//! plugin's raw, normalized and weighted score per node for a full
//! explanation in `scheduling.jsonl`; otherwise [`Scores::weighted_parts`]
//! gives one node's weighted scores afterwards (for a summary's best nodes)
//! from what scoring computed anyway.

use std::collections::BTreeMap;

use super::compiled_profile::CompiledProfile;
use super::node_info::{NodeInfo, SpreadKeys};
use super::plugins::image_locality::ImageSpread;
use super::plugins::inter_pod_affinity::NamespaceLabels;
use super::plugins::spread_domains::KeptCounts;
use super::plugins::{
    balanced_allocation, default_normalize_one, image_locality, inter_pod_affinity, node_affinity,
    node_name, node_ports, node_resources_fit, node_unschedulable, pod_topology_spread,
    taint_toleration, volume_binding, volume_restrictions, PluginId, Rejection, Scored,
};
use super::pod_info::PodInfo;
use super::verdicts::{Verdict, Verdicts, MEMOIZED_FILTERS};
use crate::api::labels::Selector;
use crate::config::scheduler::MAX_NODE_SCORE;
use crate::trace::scheduling::ScoreParts;

/// What the plugins may read about the whole cluster (the cache snapshot).
pub(crate) struct ClusterView<'a> {
    /// Every node slot (deleted ones have an empty name).
    pub nodes: &'a [NodeInfo],
    /// Live nodes.
    pub num_nodes: usize,
    /// Namespace labels.
    pub namespaces: &'a NamespaceLabels,
    /// How many nodes report each image.
    pub image_nodes: &'a BTreeMap<String, usize>,
    /// True when some placed pod has required anti-affinity.
    pub any_required_anti_affinity: bool,
    /// True when some placed pod has any inter-pod (anti-)affinity.
    pub any_affinity: bool,
    /// The System-default spreading selector for the pod (Services,
    /// ReplicaSets, StatefulSets selecting it); everything = none.
    pub default_selector: Selector,
    /// The PersistentVolumeClaims and the delayed-binding classes.
    pub claims: volume_binding::Claims<'a>,
    /// PodTopologySpread's interned selectors.
    pub spread_keys: &'a SpreadKeys,
    /// PodTopologySpread's kept counts of matching pods.
    pub spread_counts: KeptCounts<'a>,
}

/// Per-pod state of one cycle (the framework's CycleState).
#[derive(Clone, Debug, Default)]
pub(crate) struct CycleState {
    spread: Option<pod_topology_spread::FilterState>,
    inter_pod: Option<inter_pod_affinity::FilterState>,
    /// VolumeRestrictions: a ReadWriteOncePod claim of the pod is in use.
    rwop_conflict: bool,
    /// The filters that run for this pod, in profile order: those whose
    /// PreFilter said Skip are left out.
    filters: Vec<PluginId>,
    /// The same without the filters a [`Verdict`] holds.
    unmemoized: Vec<PluginId>,
}

impl CycleState {
    /// The filters that run for this pod and that a [`Verdict`] does not hold.
    pub(crate) fn unmemoized_filters(&self) -> &[PluginId] {
        &self.unmemoized
    }
}

/// PreFilter of every filter plugin of the profile. A rejection here applies
/// to every node.
pub(crate) fn pre_filter(
    profile: &CompiledProfile,
    pod: &PodInfo,
    view: &ClusterView<'_>,
) -> Result<CycleState, Rejection> {
    let mut state = CycleState::default();
    for &id in &profile.filters {
        let runs = match id {
            PluginId::NodeAffinity => {
                !pod.node_selector.is_empty() || pod.required_node_terms.is_some()
            }
            PluginId::NodePorts => !pod.host_ports.is_empty(),
            PluginId::NodeName => pod.node_name.is_some(),
            PluginId::VolumeBinding => {
                volume_binding::pre_filter(pod, &view.claims)?;
                !pod.claims.is_empty()
            }
            PluginId::VolumeRestrictions => {
                match volume_restrictions::pre_filter(pod, &view.claims) {
                    Some(conflict) => {
                        state.rwop_conflict = conflict;
                        true
                    }
                    None => false,
                }
            }
            PluginId::PodTopologySpread => {
                let mut constraints =
                    pod_topology_spread::pod_constraints(pod, "DoNotSchedule", view.spread_keys);
                if pod.spread_constraints.is_empty() {
                    constraints = pod_topology_spread::default_constraints(
                        &profile.args.spread_default_constraints,
                        &pod.namespace,
                        &view.default_selector,
                        true,
                        view.spread_keys,
                    );
                }
                state.spread = pod_topology_spread::pre_filter(pod, constraints, view.nodes);
                state.spread.is_some()
            }
            PluginId::InterPodAffinity => {
                state.inter_pod = inter_pod_affinity::pre_filter(
                    pod,
                    view.nodes,
                    view.namespaces,
                    view.any_required_anti_affinity,
                );
                state.inter_pod.is_some()
            }
            _ => true,
        };
        if runs {
            state.filters.push(id);
            if !MEMOIZED_FILTERS.contains(&id) {
                state.unmemoized.push(id);
            }
        }
    }
    Ok(state)
}

/// Runs the filters on one node; the first rejection decides.
pub(crate) fn run_filters(
    profile: &CompiledProfile,
    state: &CycleState,
    pod: &PodInfo,
    node: &NodeInfo,
    view: &ClusterView<'_>,
) -> Result<(), Rejection> {
    run_filter_list(&state.filters, profile, state, pod, node, view)
}

/// Runs some of the cycle's filters on one node, in the order given.
pub(crate) fn run_filter_list(
    filters: &[PluginId],
    profile: &CompiledProfile,
    state: &CycleState,
    pod: &PodInfo,
    node: &NodeInfo,
    view: &ClusterView<'_>,
) -> Result<(), Rejection> {
    for &id in filters {
        match id {
            PluginId::NodeUnschedulable => node_unschedulable::filter(pod, node)?,
            PluginId::NodeName => node_name::filter(pod, node)?,
            PluginId::TaintToleration => taint_toleration::filter(pod, node)?,
            PluginId::NodeAffinity => node_affinity::filter(pod, node)?,
            PluginId::NodePorts => node_ports::filter(pod, node)?,
            PluginId::VolumeRestrictions => volume_restrictions::filter(state.rwop_conflict)?,
            PluginId::VolumeBinding => volume_binding::filter(pod, node, &view.claims)?,
            PluginId::NodeResourcesFit => {
                node_resources_fit::filter(pod, node, &profile.args.fit_ignored_resources)?
            }
            PluginId::PodTopologySpread => {
                if let Some(s) = &state.spread {
                    pod_topology_spread::filter(s, pod, node)?;
                }
            }
            PluginId::InterPodAffinity => {
                if let Some(s) = &state.inter_pod {
                    inter_pod_affinity::filter(s, pod, node, view.namespaces)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The result of scoring: totals per feasible node and, when explained, the
/// parts per plugin.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scores {
    /// Weighted sum per feasible node.
    pub totals: Vec<i64>,
    /// Per plugin (in profile order), per feasible node (explained only).
    pub parts: Vec<(&'static str, Vec<ScoreParts>)>,
    /// Unexplained: the scores of the plugins a [`Verdict`] does not hold,
    /// with their weights, in profile order (kept for
    /// [`Scores::weighted_parts`]; they were computed anyway).
    kept: Vec<(PluginId, i64, Scored)>,
    /// Unexplained: the highest TaintToleration raw score among the
    /// feasible nodes (its NormalizeScore's maximum).
    taint_max: i64,
    /// BalancedAllocation scores the pod (its PreScore does not skip it).
    balanced_runs: bool,
}

fn per_node(nodes: &[NodeInfo], feasible: &[usize], f: impl Fn(&NodeInfo) -> i64) -> Vec<i64> {
    feasible.iter().map(|&i| f(&nodes[i])).collect()
}

impl Scores {
    /// Adds a plugin's computed scores to the totals (and the parts, or
    /// keeps them).
    fn add(&mut self, id: PluginId, weight: i64, scored: Scored, explain: bool) {
        for (t, s) in self.totals.iter_mut().zip(&scored.normalized) {
            *t += s * weight;
        }
        if !explain {
            self.kept.push((id, weight, scored));
        } else {
            let parts = scored
                .raw
                .iter()
                .zip(&scored.normalized)
                .map(|(&raw, &normalized)| ScoreParts {
                    raw,
                    normalized,
                    weighted: normalized * weight,
                })
                .collect();
            self.parts.push((id.name(), parts));
        }
    }

    /// Each score plugin's weighted score on the `j`-th feasible node (node
    /// slot `node`), by plugin name, from unexplained scores: the memoized
    /// plugins' from the node's verdict, the others' from the scores kept.
    /// They add up to `totals[j]`; the plugins are those a full explanation
    /// lists but ImageLocality when it scored every node 0.
    pub(crate) fn weighted_parts(
        &self,
        j: usize,
        node: usize,
        profile: &CompiledProfile,
        verdicts: &Verdicts,
    ) -> BTreeMap<&'static str, i64> {
        let v = verdicts.slot(node);
        let mut out = BTreeMap::new();
        for &(id, weight) in &profile.scores {
            let normalized = match id {
                PluginId::TaintToleration => {
                    default_normalize_one(i64::from(v.taint), self.taint_max, true)
                }
                PluginId::NodeResourcesFit => i64::from(v.fit),
                PluginId::BalancedAllocation if self.balanced_runs => i64::from(v.balanced),
                _ => continue,
            };
            out.insert(id.name(), normalized * weight);
        }
        for (id, weight, scored) in &self.kept {
            out.insert(id.name(), scored.normalized[j] * weight);
        }
        debug_assert_eq!(
            out.values().sum::<i64>(),
            self.totals[j],
            "the weighted parts add up to the total"
        );
        out
    }
}

/// The feasible nodes as the search hands them to scoring.
#[derive(Debug)]
pub(crate) struct Feasible<'a> {
    /// Node indexes into `view.nodes`; their [`Verdicts`] slots are current.
    pub nodes: &'a [usize],
    /// A buffer for the totals.
    pub totals: Vec<i64>,
}

/// The totals of the plugins a [`Verdict`] holds, without explanation: each
/// verdict's weighted sum of the unnormalized memoized scores, then
/// TaintToleration's DefaultNormalizeScore (reversed), which needs the
/// maximum.
/// Returns the maximum TaintToleration raw score.
fn memoized_totals(
    profile: &CompiledProfile,
    feasible: &[usize],
    verdicts: &Verdicts,
    totals: &mut Vec<i64>,
) -> i64 {
    let mut max = 0;
    totals.extend(feasible.iter().map(|&i| {
        let v = verdicts.slot(i);
        max = max.max(v.taint);
        v.weighted
    }));
    let w = profile.memoized_weights.taint;
    if w != 0 {
        let taint = |i: usize| i64::from(verdicts.slot(i).taint);
        let max = i64::from(max);
        if max == 0 {
            totals.iter_mut().for_each(|t| *t += MAX_NODE_SCORE * w);
        } else {
            for (t, &i) in totals.iter_mut().zip(feasible) {
                *t += default_normalize_one(taint(i), max, true) * w;
            }
        }
    }
    i64::from(max)
}

/// ImageLocality's scores; None (unexplained) when no node has any of the
/// pod's images, since every node then scores the same 0.
fn image_locality_scores(
    pod: &PodInfo,
    feasible: &[usize],
    view: &ClusterView<'_>,
    explain: bool,
) -> Option<Scored> {
    let images: Vec<ImageSpread> = pod
        .images
        .iter()
        .map(|i| ImageSpread {
            image: i.clone(),
            num_nodes: view.image_nodes.get(i).copied().unwrap_or(0),
        })
        .collect();
    let raw = if images.iter().all(|i| i.num_nodes == 0) {
        if !explain {
            return None;
        }
        vec![0; feasible.len()]
    } else {
        per_node(view.nodes, feasible, |n| {
            image_locality::score(&images, view.num_nodes, n)
        })
    };
    Some(Scored::unnormalized(raw))
}

/// PreScore, Score, NormalizeScore and weighting over the feasible nodes. The
/// plugins a [`Verdict`] holds are read from `verdicts`, not run again.
pub(crate) fn score_nodes(
    profile: &CompiledProfile,
    pod: &PodInfo,
    feasible: Feasible<'_>,
    verdicts: &Verdicts,
    view: &ClusterView<'_>,
    explain: bool,
) -> Scores {
    let Feasible {
        nodes: feasible,
        mut totals,
    } = feasible;
    totals.clear();
    let mut taint_max = 0;
    if explain {
        // The parts are added plugin by plugin below.
        totals.resize(feasible.len(), 0);
    } else {
        taint_max = memoized_totals(profile, feasible, verdicts, &mut totals);
    }
    let args = &profile.args;
    let balanced_runs = !balanced_allocation::skips(pod, &profile.balanced_resources);
    let mut out = Scores {
        totals,
        parts: Vec::new(),
        kept: Vec::new(),
        taint_max,
        balanced_runs,
    };
    // The memoized plugins' raw scores, read from the verdicts (explained
    // path only: otherwise their part of the totals is already in).
    let memoized = |raw_of: fn(&Verdict) -> i32| -> Vec<i64> {
        feasible
            .iter()
            .map(|&i| i64::from(raw_of(verdicts.slot(i))))
            .collect()
    };
    for &(id, weight) in &profile.scores {
        let scored: Option<Scored> = match id {
            PluginId::TaintToleration
            | PluginId::NodeResourcesFit
            | PluginId::BalancedAllocation
                if !explain =>
            {
                None
            }
            PluginId::TaintToleration => {
                Some(Scored::default_normalized(memoized(|v| v.taint), true))
            }
            PluginId::NodeResourcesFit => Some(Scored::unnormalized(memoized(|v| v.fit))),
            PluginId::BalancedAllocation if balanced_runs => {
                Some(Scored::unnormalized(memoized(|v| v.balanced)))
            }
            PluginId::NodeAffinity if !pod.preferred_node_terms.is_empty() => {
                let raw = per_node(view.nodes, feasible, |n| node_affinity::score(pod, n));
                Some(Scored::default_normalized(raw, false))
            }
            PluginId::ImageLocality => image_locality_scores(pod, feasible, view, explain),
            PluginId::PodTopologySpread => {
                let mut constraints =
                    pod_topology_spread::pod_constraints(pod, "ScheduleAnyway", view.spread_keys);
                let defaulted = pod.spread_constraints.is_empty();
                if defaulted {
                    constraints = pod_topology_spread::default_constraints(
                        &args.spread_default_constraints,
                        &pod.namespace,
                        &view.default_selector,
                        false,
                        view.spread_keys,
                    );
                }
                let require_all = !defaulted || !args.spread_system_defaulting;
                pod_topology_spread::score(
                    pod,
                    &constraints,
                    require_all,
                    feasible,
                    view.nodes,
                    view.spread_counts,
                )
            }
            PluginId::InterPodAffinity => inter_pod_affinity::score(
                pod,
                feasible,
                view.nodes,
                view.namespaces,
                view.any_affinity,
                args.hard_pod_affinity_weight,
                args.ignore_preferred_terms_of_existing_pods,
            ),
            _ => None,
        };
        let Some(scored) = scored else { continue };
        out.add(id, weight, scored, explain);
    }
    out
}
