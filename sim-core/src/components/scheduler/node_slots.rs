//! The scheduler cache's node slots: one [`NodeInfo`] per node ever seen
//! (a deleted node's slot is emptied, never reused) and, beside each, the
//! node's remembered [`Verdict`](super::verdicts::Verdict).
//!
//! Every change to a node or to the pods on it goes through these methods,
//! which forget the node's verdict; that is what makes the verdict memo
//! safe without the hot loop reading the node itself.

use std::ops::Index;
use std::sync::Arc;

use super::node_info::NodeInfo;
use super::pod_info::SharedPodInfo;
use super::verdicts::Verdicts;
use crate::api::Object;

/// The node slots and their verdicts.
#[derive(Debug, Default)]
pub(crate) struct NodeSlots {
    infos: Vec<NodeInfo>,
    verdicts: Verdicts,
}

impl NodeSlots {
    /// Every slot, in slot order (emptied slots have an empty name).
    pub(crate) fn infos(&self) -> &[NodeInfo] {
        &self.infos
    }

    /// The slots to read and the verdicts to consult, at once.
    pub(crate) fn with_verdicts(&mut self) -> (&[NodeInfo], &mut Verdicts) {
        (&self.infos, &mut self.verdicts)
    }

    /// Adds a slot for a new node; returns its index.
    pub(crate) fn push(&mut self, info: NodeInfo) -> usize {
        self.infos.push(info);
        self.verdicts.ensure(self.infos.len());
        self.infos.len() - 1
    }

    /// Refreshes a node's fields from a new Node object.
    pub(crate) fn update_node(&mut self, i: usize, node: Arc<Object>) {
        self.infos[i].update_node(node);
        self.verdicts.forget(i);
    }

    /// Accounts a pod on a node.
    pub(crate) fn add_pod(&mut self, i: usize, pod: SharedPodInfo) {
        self.infos[i].add_pod(pod);
        self.verdicts.forget(i);
    }

    /// Removes a pod from a node; false if it was not there.
    pub(crate) fn remove_pod(&mut self, i: usize, uid: &str) -> bool {
        self.verdicts.forget(i);
        self.infos[i].remove_pod(uid)
    }

    /// Empties the slot of a deleted node.
    pub(crate) fn clear(&mut self, i: usize) {
        self.infos[i].name.clear();
        self.infos[i].pods.clear();
        self.verdicts.forget(i);
    }
}

impl Index<usize> for NodeSlots {
    type Output = NodeInfo;

    fn index(&self, i: usize) -> &NodeInfo {
        &self.infos[i]
    }
}
