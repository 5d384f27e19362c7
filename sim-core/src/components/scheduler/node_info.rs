//! The scheduler cache's view of a node (framework.NodeInfo): allocatable and
//! requested resource vectors, the pods on it (assumed ones included), the
//! host ports in use, taints, labels and the images the kubelet reports. The
//! hot path never touches API objects.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Taint;

use super::pod_info::{HostPort, SharedPodInfo};
use crate::api::labels::Selector;
use crate::api::resources::{extended_of, node_allocatable, Resources};
use crate::api::Object;

/// One node as the scheduler sees it.
///
/// `repr(C)` keeps the fields every filter and score reads (resources, pod
/// count, `unschedulable`, taints, extended resources) together at the start,
/// in two cache lines: a cycle reads them on hundreds of nodes.
#[derive(Clone, Debug)]
#[repr(C)]
pub(crate) struct NodeInfo {
    /// Allocatable resources.
    pub allocatable: Resources,
    /// Sum of the requests of the pods on the node (including assumed ones).
    pub requested: Resources,
    /// Same, with the 100m / 200Mi non-zero defaults (for scoring).
    pub non_zero_requested: Resources,
    /// Pods on the node.
    pub pod_count: i64,
    /// `spec.taints`.
    pub taints: Vec<Taint>,
    /// `spec.unschedulable`.
    pub unschedulable: bool,
    /// Allocatable extended resources, by name.
    pub extended_allocatable: BTreeMap<String, i64>,
    /// Sum of the extended resource requests of the pods on the node.
    pub extended_requested: BTreeMap<String, i64>,
    /// Node name.
    pub name: String,
    /// The latest Node object.
    pub node: Arc<Object>,
    /// The pods on the node.
    pub pods: Vec<SharedPodInfo>,
    /// Pods on the node with any inter-pod affinity or anti-affinity.
    pub pods_with_affinity: usize,
    /// Pods on the node with required anti-affinity.
    pub pods_with_required_anti_affinity: usize,
    /// Host ports in use.
    pub used_ports: Vec<HostPort>,
    /// The node's labels.
    pub labels: BTreeMap<String, String>,
    /// Images on the node (each reported name) with their sizes.
    pub images: BTreeMap<String, i64>,
    /// Bumped on every change to the node or its pods.
    pub generation: u64,
    /// Bumped on every change to its pods (not to the node).
    pub pods_generation: u64,
    /// The counts of matching pods PodTopologySpread asked for since the
    /// node last changed.
    pub spread_memo: RefCell<SpreadMemo>,
}

/// A namespace and selector whose matching pods PodTopologySpread counts,
/// interned by [`SpreadKeys`]: the key of a node's [`SpreadMemo`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SpreadKey(u32);

/// The scheduler's interner of [`SpreadKey`]s: one per namespace and
/// selector ever counted, so as many as there were workloads and Services
/// spreading pods, never one per pod.
#[derive(Debug, Default)]
pub(crate) struct SpreadKeys(RefCell<BTreeMap<String, SpreadKey>>);

impl SpreadKeys {
    /// The key of `selector` in `namespace`.
    pub(crate) fn of(&self, namespace: &str, selector: &Selector) -> SpreadKey {
        let text = format!("{namespace}\u{0}{selector}");
        let mut keys = self.0.borrow_mut();
        if let Some(&key) = keys.get(&text) {
            return key;
        }
        let next = u32::try_from(keys.len()).expect("fewer than 2^32 spreading selectors");
        keys.insert(text, SpreadKey(next));
        SpreadKey(next)
    }
}

/// Remembered counts of the node's pods matching a selector in a namespace
/// (PodTopologySpread's `countPodsMatchSelector`), each valid while the
/// node's pods stay as they were ([`NodeInfo::pods_generation`]). Pods of one
/// workload share their spreading selector, and most nodes' pods do not
/// change between two cycles, so a count is reused by every pod of the
/// workload until a pod comes or goes on the node; a cycle that counts the
/// matching pods on every node (the System defaults' zone constraint on nodes
/// without a zone label) then costs a lookup per node instead of a pass over
/// its pods. Indexed by [`SpreadKey`]: the first [`SpreadMemo::CAPACITY`]
/// keys are remembered (16 bytes each per node), later ones counted each
/// time.
#[derive(Clone, Debug, Default)]
pub(crate) struct SpreadMemo {
    /// By key: the pods generation the count was made at, plus one (0: no
    /// count), and the count.
    counts: Vec<(u64, i64)>,
}

impl SpreadMemo {
    /// The most keys remembered.
    pub(crate) const CAPACITY: usize = 512;

    /// The count for `key` if it was made at `pods_generation`.
    pub(crate) fn get(&self, pods_generation: u64, key: SpreadKey) -> Option<i64> {
        let &(made, count) = self.counts.get(key.0 as usize)?;
        (made == pods_generation + 1).then_some(count)
    }

    /// Remembers a count made at `pods_generation`.
    pub(crate) fn insert(&mut self, pods_generation: u64, key: SpreadKey, count: i64) {
        let i = key.0 as usize;
        if i >= Self::CAPACITY {
            return;
        }
        if self.counts.len() <= i {
            self.counts.resize(i + 1, (0, 0));
        }
        self.counts[i] = (pods_generation + 1, count);
    }
}

fn extended_allocatable(node: &Object) -> BTreeMap<String, i64> {
    let status = node.as_node().and_then(|n| n.status.as_ref());
    extended_of(status.and_then(|s| s.allocatable.as_ref().or(s.capacity.as_ref())))
}

fn node_images(node: &Object) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    let status = node.as_node().and_then(|n| n.status.as_ref());
    for image in status.and_then(|s| s.images.as_ref()).into_iter().flatten() {
        for name in image.names.iter().flatten() {
            out.insert(name.clone(), image.size_bytes.unwrap_or(0));
        }
    }
    out
}

impl NodeInfo {
    /// Builds the view of a Node object (no pods yet).
    pub(crate) fn from_node(node: Arc<Object>) -> Self {
        let n = node.as_node().cloned().unwrap_or_default();
        let spec = n.spec.unwrap_or_default();
        Self {
            name: node.name().to_owned(),
            allocatable: node.as_node().map(node_allocatable).unwrap_or_default(),
            extended_allocatable: extended_allocatable(&node),
            requested: Resources::default(),
            non_zero_requested: Resources::default(),
            extended_requested: BTreeMap::new(),
            pod_count: 0,
            pods: Vec::new(),
            pods_with_affinity: 0,
            pods_with_required_anti_affinity: 0,
            used_ports: Vec::new(),
            unschedulable: spec.unschedulable.unwrap_or(false),
            taints: spec.taints.unwrap_or_default(),
            labels: n.metadata.labels.unwrap_or_default(),
            images: node_images(&node),
            node,
            generation: 0,
            pods_generation: 0,
            spread_memo: RefCell::default(),
        }
    }

    /// Refreshes the node fields, keeping the pod accounting; true when the
    /// node's labels changed.
    pub(crate) fn update_node(&mut self, node: Arc<Object>) -> bool {
        let fresh = Self::from_node(node);
        self.allocatable = fresh.allocatable;
        self.extended_allocatable = fresh.extended_allocatable;
        self.unschedulable = fresh.unschedulable;
        self.taints = fresh.taints;
        let relabelled = self.labels != fresh.labels;
        self.labels = fresh.labels;
        self.images = fresh.images;
        self.node = fresh.node;
        self.generation += 1;
        relabelled
    }

    /// Accounts a pod on the node.
    pub(crate) fn add_pod(&mut self, pod: SharedPodInfo) {
        self.generation += 1;
        self.pods_generation += 1;
        self.requested.add(&pod.requests);
        self.non_zero_requested.add(&pod.non_zero);
        for (k, v) in &pod.extended {
            *self.extended_requested.entry(k.clone()).or_default() += v;
        }
        self.used_ports.extend(pod.host_ports.iter().cloned());
        if !pod.affinity.is_empty() {
            self.pods_with_affinity += 1;
        }
        if !pod.affinity.required_anti_affinity.is_empty() {
            self.pods_with_required_anti_affinity += 1;
        }
        self.pod_count += 1;
        self.pods.push(pod);
    }

    /// Removes a pod's accounting and returns it; None if the pod was not
    /// on the node.
    pub(crate) fn remove_pod(&mut self, uid: &str) -> Option<SharedPodInfo> {
        let i = self.pods.iter().position(|p| p.uid == uid)?;
        let pod = self.pods.swap_remove(i);
        self.generation += 1;
        self.pods_generation += 1;
        self.requested.sub(&pod.requests);
        self.non_zero_requested.sub(&pod.non_zero);
        for (k, v) in &pod.extended {
            if let Some(e) = self.extended_requested.get_mut(k) {
                *e -= v;
            }
        }
        for hp in &pod.host_ports {
            if let Some(j) = self.used_ports.iter().position(|u| u == hp) {
                self.used_ports.swap_remove(j);
            }
        }
        if !pod.affinity.is_empty() {
            self.pods_with_affinity -= 1;
        }
        if !pod.affinity.required_anti_affinity.is_empty() {
            self.pods_with_required_anti_affinity -= 1;
        }
        self.pod_count -= 1;
        Some(pod)
    }

    /// The zone label, for the node tree order.
    pub(crate) fn zone(&self) -> &str {
        self.labels
            .get("topology.kubernetes.io/zone")
            .map(String::as_str)
            .unwrap_or("")
    }
}
