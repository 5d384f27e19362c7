//! The per-node memo of what a pod's *shape* decides on a node.
//!
//! Three filters and three scores of the default profile read nothing of the
//! pod but its requests and tolerations, and nothing of the node but its
//! resources, pod count, taints and `spec.unschedulable`: NodeUnschedulable,
//! TaintToleration and NodeResourcesFit at Filter, NodeResourcesFit,
//! NodeResourcesBalancedAllocation and TaintToleration at Score. Pods of one
//! workload share that shape, and between two visits of the rotating node
//! search most nodes have not changed. So each node slot remembers the
//! verdict for the last shape asked until the node or its pods change
//! ([`super::node_slots::NodeSlots`] forgets it then); a visit with the same
//! shape reuses it instead of running the plugins again.
//!
//! The memo is exact: a verdict is what the plugins return for these inputs,
//! and a node whose verdict says a filter rejects is filtered again in full,
//! so rejections keep the real plugin's order and words.

use std::hash::{Hash, Hasher};

use k8s_openapi::api::core::v1::Toleration;
use rustc_hash::{FxHashMap, FxHasher};

use super::compiled_profile::CompiledProfile;
use super::node_info::NodeInfo;
use super::plugins::{
    balanced_allocation, node_resources_fit, node_unschedulable, taint_toleration, PluginId,
};
use super::pod_info::PodInfo;
use crate::api::resources::Resources;

/// The filters whose result a [`Verdict`] holds.
pub(crate) const MEMOIZED_FILTERS: [PluginId; 3] = [
    PluginId::NodeUnschedulable,
    PluginId::TaintToleration,
    PluginId::NodeResourcesFit,
];

/// What the memoized plugins read of a pod, under one profile.
#[derive(Clone, Debug)]
struct ShapeKey {
    profile: usize,
    requests: Resources,
    non_zero: Resources,
    extended: Vec<(String, i64)>,
    tolerations: Vec<Toleration>,
}

/// Tolerations as the plugins read them (`tolerationSeconds` plays no part in scheduling).
fn same_toleration(a: &Toleration, b: &Toleration) -> bool {
    a.key == b.key && a.operator == b.operator && a.value == b.value && a.effect == b.effect
}

impl ShapeKey {
    fn of(profile: usize, pod: &PodInfo) -> Self {
        Self {
            profile,
            requests: pod.requests,
            non_zero: pod.non_zero,
            extended: pod.extended.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            tolerations: pod.tolerations.clone(),
        }
    }

    fn matches(&self, profile: usize, pod: &PodInfo) -> bool {
        self.profile == profile
            && self.requests == pod.requests
            && self.non_zero == pod.non_zero
            && self.extended.len() == pod.extended.len()
            && self
                .extended
                .iter()
                .zip(&pod.extended)
                .all(|((k, v), (pk, pv))| k == pk && v == pv)
            && self.tolerations.len() == pod.tolerations.len()
            && self
                .tolerations
                .iter()
                .zip(&pod.tolerations)
                .all(|(a, b)| same_toleration(a, b))
    }

    /// A hash of what [`ShapeKey::matches`] compares.
    fn hash_of(profile: usize, pod: &PodInfo) -> u64 {
        let mut h = FxHasher::default();
        profile.hash(&mut h);
        pod.requests.hash(&mut h);
        pod.non_zero.hash(&mut h);
        pod.extended.hash(&mut h);
        for t in &pod.tolerations {
            (&t.key, &t.operator, &t.value, &t.effect).hash(&mut h);
        }
        h.finish()
    }
}

/// Interns pod shapes to small ids (1, 2, …; 0 means "not interned").
#[derive(Debug, Default)]
pub(crate) struct Shapes {
    /// Shapes by hash (looked up, never iterated), each with its id.
    by_hash: FxHashMap<u64, Vec<(ShapeKey, u32)>>,
    count: u32,
}

impl Shapes {
    /// The id of the pod's shape under profile number `profile`.
    pub(crate) fn intern(&mut self, profile: usize, pod: &PodInfo) -> u32 {
        let candidates = self
            .by_hash
            .entry(ShapeKey::hash_of(profile, pod))
            .or_default();
        if let Some((_, id)) = candidates.iter().find(|(k, _)| k.matches(profile, pod)) {
            return *id;
        }
        if self.count >= MAX_SHAPE {
            // Out of ids: the pod's verdicts are computed every time.
            return 0;
        }
        self.count += 1;
        candidates.push((ShapeKey::of(profile, pod), self.count));
        self.count
    }
}

/// The largest shape id: ids are stored shifted left by one beside the
/// verdict's pass bit.
const MAX_SHAPE: u32 = u32::MAX >> 1;

/// The memoized plugins' results for one shape on one node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// Every memoized filter the profile enables passes.
    pub passes: bool,
    /// NodeResourcesFit's raw score.
    pub fit: i32,
    /// NodeResourcesBalancedAllocation's raw score.
    pub balanced: i32,
    /// TaintToleration's raw score (untolerated PreferNoSchedule taints).
    pub taint: i32,
    /// NodeResourcesFit's and (unless its PreScore skips the pod)
    /// BalancedAllocation's scores times their weights: their part of the
    /// node's total, neither being normalized.
    pub weighted: i64,
}

impl Verdict {
    /// Runs the memoized plugins for `pod` on `node`.
    pub(crate) fn compute(profile: &CompiledProfile, pod: &PodInfo, node: &NodeInfo) -> Self {
        let passes = profile.filters.iter().all(|id| match id {
            PluginId::NodeUnschedulable => node_unschedulable::filter(pod, node).is_ok(),
            PluginId::TaintToleration => taint_toleration::filter(pod, node).is_ok(),
            PluginId::NodeResourcesFit => {
                node_resources_fit::filter(pod, node, &profile.args.fit_ignored_resources).is_ok()
            }
            _ => true,
        });
        let narrow = |s: i64| i32::try_from(s).unwrap_or(if s < 0 { i32::MIN } else { i32::MAX });
        let fit = node_resources_fit::score(pod, node, &profile.fit_scorer, &profile.fit_resources);
        let balanced = balanced_allocation::score(pod, node, &profile.balanced_resources);
        let w = profile.memoized_weights;
        let balanced_weight = if balanced_allocation::skips(pod, &profile.balanced_resources) {
            0
        } else {
            w.balanced
        };
        Self {
            passes,
            fit: narrow(fit),
            balanced: narrow(balanced),
            taint: narrow(taint_toleration::score(pod, node)),
            weighted: fit * w.fit + balanced * balanced_weight,
        }
    }
}

/// One remembered verdict per node slot. The shape and the pass bit of each
/// slot sit in a dense array of their own, which is all the search reads of a
/// node whose verdict is current.
#[derive(Debug, Default)]
pub(crate) struct Verdicts {
    /// Per slot: `shape << 1 | passes`; 0 when empty or forgotten (shape ids
    /// start at 1).
    keys: Vec<u32>,
    /// Per slot: the verdict (its `passes` repeats the key's bit).
    values: Vec<Verdict>,
}

impl Verdicts {
    /// Makes room for `slots` node slots.
    pub(crate) fn ensure(&mut self, slots: usize) {
        if self.keys.len() < slots {
            self.keys.resize(slots, 0);
            self.values.resize(slots, Verdict::default());
        }
    }

    /// The verdict last computed for node slot `index`.
    #[inline]
    pub(crate) fn slot(&self, index: usize) -> &Verdict {
        &self.values[index]
    }

    /// Forgets the verdict of node slot `index` (the node or its pods changed).
    #[inline]
    pub(crate) fn forget(&mut self, index: usize) {
        if let Some(key) = self.keys.get_mut(index) {
            *key = 0;
        }
    }

    fn key(shape: u32, passes: bool) -> u32 {
        shape << 1 | u32::from(passes)
    }

    /// True when slot `index` holds a verdict for `shape` (never for 0).
    #[inline]
    fn current(&self, index: usize, shape: u32) -> bool {
        shape != 0 && self.keys[index] >> 1 == shape
    }

    fn store(&mut self, index: usize, shape: u32, verdict: Verdict) {
        // Shape 0 (not interned) is never remembered.
        self.keys[index] = if shape == 0 {
            0
        } else {
            Self::key(shape, verdict.passes)
        };
        self.values[index] = verdict;
    }

    /// What [`Verdicts::key_of`] holds for a node where `shape` passes: the
    /// search's one comparison per node whose verdict is current.
    pub(crate) fn passing_key(shape: u32) -> u32 {
        if shape == 0 {
            // Matches no slot: keys of shape 0 are never stored.
            u32::MAX
        } else {
            Self::key(shape, true)
        }
    }

    /// The shape and pass bit remembered for node slot `index`.
    #[inline]
    pub(crate) fn key_of(&self, index: usize) -> u32 {
        self.keys[index]
    }

    /// The verdict for `pod` on node slot `index` of `nodes`, reused when the
    /// pod's shape is the remembered one (the node is read only when the
    /// verdict must be computed again). The slot must exist
    /// ([`Verdicts::ensure`]).
    #[inline]
    pub(crate) fn get(
        &mut self,
        index: usize,
        profile: &CompiledProfile,
        pod: &PodInfo,
        nodes: &[NodeInfo],
    ) -> &Verdict {
        if !self.current(index, pod.shape) {
            let verdict = Verdict::compute(profile, pod, &nodes[index]);
            self.store(index, pod.shape, verdict);
        }
        &self.values[index]
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::api::{Kind, Object};
    use crate::components::scheduler::node_slots::NodeSlots;
    use crate::config::scheduler::Profile;

    fn node(cpu: &str) -> NodeInfo {
        let alloc = json!({"cpu": cpu, "memory": "8Gi", "pods": "110"});
        let v = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"},
                       "status": {"allocatable": alloc, "capacity": alloc}});
        let obj: Object = Kind::Node.decode(&v).expect("node decodes");
        NodeInfo::from_node(Arc::new(obj))
    }

    fn pod(uid: &str, cpu_millis: i64) -> PodInfo {
        let mut p = PodInfo {
            uid: uid.into(),
            ..PodInfo::default()
        };
        p.requests.cpu_millis = cpu_millis;
        p.non_zero.cpu_millis = cpu_millis.max(100);
        p.non_zero.memory_bytes = 200 << 20;
        p
    }

    #[test]
    fn shapes_intern_by_what_the_plugins_read() {
        let mut shapes = Shapes::default();
        let a = shapes.intern(0, &pod("a", 100));
        assert_eq!(a, 1);
        assert_eq!(
            shapes.intern(0, &pod("b", 100)),
            a,
            "same requests, same shape"
        );
        assert_ne!(shapes.intern(0, &pod("c", 200)), a);
        assert_ne!(shapes.intern(1, &pod("d", 100)), a, "another profile");
        let mut tolerant = pod("e", 100);
        tolerant.tolerations.push(Toleration {
            operator: Some("Exists".into()),
            ..Toleration::default()
        });
        assert_ne!(shapes.intern(0, &tolerant), a);
    }

    #[test]
    fn a_verdict_is_reused_until_the_node_changes() {
        let profile = CompiledProfile::compile(&Profile::default_named("default-scheduler"));
        let mut shapes = Shapes::default();
        let mut slots = NodeSlots::default();
        let i = slots.push(node("2"));
        let mut p = pod("a", 1000);
        p.shape = shapes.intern(0, &p);
        let verdict = |slots: &mut NodeSlots| {
            let (infos, verdicts, _) = slots.with_verdicts();
            *verdicts.get(i, &profile, &p, infos)
        };
        let first = verdict(&mut slots);
        assert!(first.passes);
        // least_allocated.go: cpu (2000 − 1000) × 100 / 2000 = 50, memory
        // (8Gi − 200Mi) × 100 / 8Gi = 97 → (50 + 97) / 2 = 73.
        assert_eq!(first.fit, 73);
        assert_eq!(verdict(&mut slots), first);
        // A pod of 1 CPU lands: the next pod of the same shape still fits, then
        // not after a second one; each change is seen.
        let mut placed = pod("x", 1000);
        placed.requests.pods = 0;
        slots.add_pod(i, Arc::new(placed.clone()));
        let second = verdict(&mut slots);
        assert!(second.passes);
        // cpu (2000 − 2000) → 0, memory (8Gi − 400Mi) × 100 / 8Gi = 95 → 47.
        assert_eq!(second.fit, 47);
        assert_eq!(second, Verdict::compute(&profile, &p, &slots[i]));
        slots.add_pod(
            i,
            Arc::new(PodInfo {
                uid: "y".into(),
                ..placed
            }),
        );
        assert!(!verdict(&mut slots).passes);
        assert!(slots.remove_pod(i, "y"));
        assert!(verdict(&mut slots).passes, "forgotten again on removal");
    }
}
