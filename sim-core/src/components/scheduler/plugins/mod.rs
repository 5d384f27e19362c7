//! Scheduler plugins of the default profile. Each filter returns `Ok` or the
//! reason a node was rejected, worded as the real plugin words it, and whether
//! preemption could help (UnschedulableAndUnresolvable vs Unschedulable).
//! Each score plugin gives a raw score per node; [`default_normalize_score`]
//! is the framework helper several of them normalize with.

pub(crate) mod balanced_allocation;
pub(crate) mod image_locality;
pub(crate) mod inter_pod_affinity;
pub(crate) mod node_affinity;
pub(crate) mod node_name;
pub(crate) mod node_ports;
pub(crate) mod node_resources_fit;
pub(crate) mod node_unschedulable;
pub(crate) mod pod_topology_spread;
pub(crate) mod spread_domains;
pub(crate) mod taint_toleration;
pub(crate) mod volume_binding;
pub(crate) mod volume_restrictions;

use crate::config::scheduler::MAX_NODE_SCORE;

/// A filter's rejection of one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The plugin that rejected the node.
    pub plugin: &'static str,
    /// The reasons (a node can lack several resources at once).
    pub reasons: Vec<String>,
    /// True when removing pods from the node would not help (UnschedulableAndUnresolvable).
    pub unresolvable: bool,
}

impl Rejection {
    /// A rejection with one reason.
    pub fn new(plugin: &'static str, reason: impl Into<String>, unresolvable: bool) -> Self {
        Self {
            plugin,
            reasons: vec![reason.into()],
            unresolvable,
        }
    }
}

/// Raw and normalized scores of a plugin that scores all feasible nodes at
/// once (PreScore + Score + NormalizeScore).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Scored {
    /// Raw scores, in feasible-node order.
    pub raw: Vec<i64>,
    /// After NormalizeScore.
    pub normalized: Vec<i64>,
}

impl Scored {
    /// A plugin without NormalizeScore: the raw scores are final.
    pub(crate) fn unnormalized(raw: Vec<i64>) -> Self {
        Self {
            normalized: raw.clone(),
            raw,
        }
    }

    /// A plugin normalizing with [`default_normalize_score`].
    pub(crate) fn default_normalized(raw: Vec<i64>, reverse: bool) -> Self {
        let mut normalized = raw.clone();
        default_normalize_score(&mut normalized, reverse);
        Self { raw, normalized }
    }
}

/// The plugins whose behaviour kubesim models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PluginId {
    /// NodeUnschedulable.
    NodeUnschedulable,
    /// NodeName.
    NodeName,
    /// TaintToleration.
    TaintToleration,
    /// NodeAffinity.
    NodeAffinity,
    /// NodePorts.
    NodePorts,
    /// NodeResourcesFit.
    NodeResourcesFit,
    /// VolumeRestrictions (ReadWriteOncePod claims).
    VolumeRestrictions,
    /// VolumeBinding (claims bound, or of a delayed-binding class).
    VolumeBinding,
    /// PodTopologySpread.
    PodTopologySpread,
    /// InterPodAffinity.
    InterPodAffinity,
    /// NodeResourcesBalancedAllocation.
    BalancedAllocation,
    /// ImageLocality.
    ImageLocality,
}

impl PluginId {
    /// The plugin for a configured name; `None` for plugins that are accepted
    /// but have no modelled effect (NodeVolumeLimits, VolumeZone,
    /// DynamicResources).
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "NodeUnschedulable" => Self::NodeUnschedulable,
            "NodeName" => Self::NodeName,
            "TaintToleration" => Self::TaintToleration,
            "NodeAffinity" => Self::NodeAffinity,
            "NodePorts" => Self::NodePorts,
            "NodeResourcesFit" => Self::NodeResourcesFit,
            "VolumeRestrictions" => Self::VolumeRestrictions,
            "VolumeBinding" => Self::VolumeBinding,
            "PodTopologySpread" => Self::PodTopologySpread,
            "InterPodAffinity" => Self::InterPodAffinity,
            "NodeResourcesBalancedAllocation" => Self::BalancedAllocation,
            "ImageLocality" => Self::ImageLocality,
            _ => return None,
        })
    }

    /// The plugin's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::NodeUnschedulable => "NodeUnschedulable",
            Self::NodeName => "NodeName",
            Self::TaintToleration => "TaintToleration",
            Self::NodeAffinity => "NodeAffinity",
            Self::NodePorts => "NodePorts",
            Self::NodeResourcesFit => "NodeResourcesFit",
            Self::VolumeRestrictions => "VolumeRestrictions",
            Self::VolumeBinding => "VolumeBinding",
            Self::PodTopologySpread => "PodTopologySpread",
            Self::InterPodAffinity => "InterPodAffinity",
            Self::BalancedAllocation => "NodeResourcesBalancedAllocation",
            Self::ImageLocality => "ImageLocality",
        }
    }
}

/// `helper.DefaultNormalizeScore` (plugins/helper/normalize_score.go): scale
/// to 0..100 by the maximum; `reverse` turns the result around. All zero stays
/// zero, or becomes 100 when reversed.
pub(crate) fn default_normalize_score(scores: &mut [i64], reverse: bool) {
    let max = scores.iter().copied().max().unwrap_or(0);
    for s in scores.iter_mut() {
        *s = default_normalize_one(*s, max, reverse);
    }
}

/// One score of [`default_normalize_score`], given the maximum over all nodes.
#[inline]
pub(crate) fn default_normalize_one(score: i64, max: i64, reverse: bool) -> i64 {
    let s = if max == 0 {
        0
    } else {
        MAX_NODE_SCORE * score / max
    };
    if reverse {
        MAX_NODE_SCORE - s
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_normalize_score_formula() {
        // plugins/helper/normalize_score.go
        let mut s = [2, 4, 0];
        default_normalize_score(&mut s, false);
        assert_eq!(s, [50, 100, 0]);
        let mut s = [1, 3, 0];
        default_normalize_score(&mut s, true);
        assert_eq!(s, [67, 0, 100]);
        let mut s = [0, 0];
        default_normalize_score(&mut s, true);
        assert_eq!(s, [100, 100]);
    }
}
