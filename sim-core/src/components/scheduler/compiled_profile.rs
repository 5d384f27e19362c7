//! A scheduler profile compiled for running: the configured profile's
//! plugins that kubesim models, as ids in profile order, with their weights
//! and arguments resolved once (frameworkruntime.NewFramework builds the
//! same from a KubeSchedulerProfile).

use super::plugins::node_resources_fit::{self, compile_resources, WeightedResource};
use super::plugins::PluginId;
use crate::config::scheduler::{PluginArgs, Profile};

/// A profile ready to run: modelled plugins only, in order.
#[derive(Clone, Debug)]
pub(crate) struct CompiledProfile {
    /// schedulerName.
    pub name: String,
    /// Filter plugins in order.
    pub filters: Vec<PluginId>,
    /// Score plugins with weights, in order.
    pub scores: Vec<(PluginId, i64)>,
    /// DefaultPreemption enabled at PostFilter.
    pub preemption: bool,
    /// SchedulingGates enabled at PreEnqueue.
    pub scheduling_gates: bool,
    /// Plugin arguments.
    pub args: PluginArgs,
    /// NodeResourcesFit's scorer.
    pub fit_scorer: node_resources_fit::Scorer,
    /// NodeResourcesFit's scored resources.
    pub fit_resources: Vec<WeightedResource>,
    /// BalancedAllocation's resources.
    pub balanced_resources: Vec<WeightedResource>,
    /// The profile's percentageOfNodesToScore, if set.
    pub percentage_of_nodes_to_score: Option<i64>,
    /// The weights of the score plugins a [`Verdict`](super::verdicts::Verdict) holds.
    pub memoized_weights: MemoizedWeights,
}

impl CompiledProfile {
    /// Compiles a configured profile.
    pub(crate) fn compile(p: &Profile) -> Self {
        Self {
            name: p.scheduler_name.clone(),
            filters: p
                .filters
                .iter()
                .filter_map(|n| PluginId::from_name(n))
                .collect(),
            scores: p
                .scores
                .iter()
                .filter_map(|(n, w)| PluginId::from_name(n).map(|id| (id, *w)))
                .collect(),
            preemption: p.post_filters.iter().any(|n| n == "DefaultPreemption"),
            scheduling_gates: p.pre_enqueue.iter().any(|n| n == "SchedulingGates"),
            args: p.args.clone(),
            fit_scorer: node_resources_fit::Scorer::new(&p.args.fit_strategy),
            fit_resources: compile_resources(&p.args.fit_resources),
            balanced_resources: compile_resources(&p.args.balanced_resources),
            percentage_of_nodes_to_score: p.percentage_of_nodes_to_score,
            memoized_weights: MemoizedWeights::of(p),
        }
    }
}

/// The weights of the score plugins a [`Verdict`](super::verdicts::Verdict) holds, 0 for those the
/// profile does not enable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MemoizedWeights {
    /// NodeResourcesFit.
    pub fit: i64,
    /// NodeResourcesBalancedAllocation.
    pub balanced: i64,
    /// TaintToleration.
    pub taint: i64,
}

impl MemoizedWeights {
    fn of(p: &Profile) -> Self {
        let mut w = Self::default();
        for (name, weight) in &p.scores {
            match PluginId::from_name(name) {
                Some(PluginId::NodeResourcesFit) => w.fit = *weight,
                Some(PluginId::BalancedAllocation) => w.balanced = *weight,
                Some(PluginId::TaintToleration) => w.taint = *weight,
                _ => {}
            }
        }
        w
    }
}
