//! The scheduler cache's compact view of a node: allocatable and requested
//! resource vectors, taints, labels. The hot path never touches API objects.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Taint;

use crate::api::resources::{node_allocatable, Resources};
use crate::api::Object;

/// One node as the scheduler sees it.
#[derive(Clone, Debug)]
pub struct NodeInfo {
    /// Node name.
    pub name: String,
    /// The latest Node object.
    pub node: Arc<Object>,
    /// Allocatable resources.
    pub allocatable: Resources,
    /// Sum of the requests of the pods on the node (including assumed ones).
    pub requested: Resources,
    /// Same, with the 100m / 200Mi non-zero defaults (for scoring).
    pub non_zero_requested: Resources,
    /// Pods on the node.
    pub pod_count: i64,
    /// `spec.unschedulable`.
    pub unschedulable: bool,
    /// `spec.taints`.
    pub taints: Vec<Taint>,
    /// The node's labels.
    pub labels: BTreeMap<String, String>,
}

impl NodeInfo {
    /// Builds the view of a Node object (no pods yet).
    pub fn from_node(node: Arc<Object>) -> Self {
        let n = node.as_node().cloned().unwrap_or_default();
        let spec = n.spec.unwrap_or_default();
        Self {
            name: node.name().to_owned(),
            allocatable: node.as_node().map(node_allocatable).unwrap_or_default(),
            requested: Resources::default(),
            non_zero_requested: Resources::default(),
            pod_count: 0,
            unschedulable: spec.unschedulable.unwrap_or(false),
            taints: spec.taints.unwrap_or_default(),
            labels: n.metadata.labels.unwrap_or_default(),
            node,
        }
    }

    /// Refreshes the node fields, keeping the pod accounting.
    pub fn update_node(&mut self, node: Arc<Object>) {
        let fresh = Self::from_node(node);
        self.allocatable = fresh.allocatable;
        self.unschedulable = fresh.unschedulable;
        self.taints = fresh.taints;
        self.labels = fresh.labels;
        self.node = fresh.node;
    }

    /// Accounts a pod on the node.
    pub fn add_pod(&mut self, requests: &Resources, non_zero: &Resources) {
        self.requested.add(requests);
        self.non_zero_requested.add(non_zero);
        self.pod_count += 1;
    }

    /// Removes a pod's accounting.
    pub fn remove_pod(&mut self, requests: &Resources, non_zero: &Resources) {
        self.requested.sub(requests);
        self.non_zero_requested.sub(non_zero);
        self.pod_count -= 1;
    }

    /// The zone label, for the node tree order.
    pub fn zone(&self) -> &str {
        self.labels
            .get("topology.kubernetes.io/zone")
            .map(String::as_str)
            .unwrap_or("")
    }
}
