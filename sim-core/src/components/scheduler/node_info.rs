//! The scheduler cache's view of a node (framework.NodeInfo): allocatable and
//! requested resource vectors, the pods on it (assumed ones included), the
//! host ports in use, taints, labels and the images the kubelet reports. The
//! hot path never touches API objects.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Taint;

use super::pod_info::{HostPort, SharedPodInfo};
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
    /// The last count of matching pods PodTopologySpread asked for.
    pub spread_memo: RefCell<Option<SpreadMemo>>,
}

/// A remembered count of the node's pods matching one selector in one
/// namespace. Pods of one workload share their spreading selector and most
/// nodes do not change between two cycles, so the count is reused until the
/// node's generation moves.
#[derive(Clone, Debug)]
pub(crate) struct SpreadMemo {
    /// The node generation it was counted at.
    pub generation: u64,
    /// `namespace` and selector, as [`crate::components::scheduler::plugins::pod_topology_spread::Constraint::memo_key`].
    pub key: Arc<str>,
    /// The count.
    pub count: i64,
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
            spread_memo: RefCell::new(None),
        }
    }

    /// Refreshes the node fields, keeping the pod accounting.
    pub(crate) fn update_node(&mut self, node: Arc<Object>) {
        let fresh = Self::from_node(node);
        self.allocatable = fresh.allocatable;
        self.extended_allocatable = fresh.extended_allocatable;
        self.unschedulable = fresh.unschedulable;
        self.taints = fresh.taints;
        self.labels = fresh.labels;
        self.images = fresh.images;
        self.node = fresh.node;
        self.generation += 1;
    }

    /// Accounts a pod on the node.
    pub(crate) fn add_pod(&mut self, pod: SharedPodInfo) {
        self.generation += 1;
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

    /// Removes a pod's accounting; false if the pod was not on the node.
    pub(crate) fn remove_pod(&mut self, uid: &str) -> bool {
        let Some(i) = self.pods.iter().position(|p| p.uid == uid) else {
            return false;
        };
        let pod = self.pods.swap_remove(i);
        self.generation += 1;
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
        true
    }

    /// The zone label, for the node tree order.
    pub(crate) fn zone(&self) -> &str {
        self.labels
            .get("topology.kubernetes.io/zone")
            .map(String::as_str)
            .unwrap_or("")
    }
}
