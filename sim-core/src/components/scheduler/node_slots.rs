//! The scheduler cache's node slots: one [`NodeInfo`] per node ever seen
//! (a deleted node's slot is emptied, never reused) and, beside each, the
//! node's remembered [`Verdict`](super::verdicts::Verdict).
//!
//! Every change to a node or to the pods on it goes through these methods,
//! which forget the node's verdict; that is what makes the verdict memo
//! safe without the hot loop reading the node itself, and note the slot in
//! the [`NodeChanges`] log, which lets PodTopologySpread keep its per-domain
//! totals up to date without a pass over every node.

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
    changes: NodeChanges,
}

/// The changes to the slots, in order, as a log whose older part is
/// dropped: a reader remembers how far it read ([`NodeChanges::end`]) and
/// asks for what came since; one that fell behind the log reads every slot
/// instead.
#[derive(Debug, Default)]
pub(crate) struct NodeChanges {
    /// The position of `log[0]` since the first change.
    start: u64,
    /// The changes, oldest first.
    log: Vec<NodeChange>,
}

/// One change to a node slot.
#[derive(Clone, Debug)]
pub(crate) enum NodeChange {
    /// A pod was accounted on the node (`added`) or removed from it.
    Pod {
        /// The slot.
        slot: u32,
        /// Accounted (true) or removed.
        added: bool,
        /// The pod as accounted.
        pod: SharedPodInfo,
    },
    /// The slot was added, emptied or relabelled.
    Node(u32),
}

fn slot_id(slot: usize) -> u32 {
    u32::try_from(slot).expect("fewer than 2^32 node slots")
}

impl NodeChanges {
    /// The fewest entries kept when the log is trimmed.
    const MIN_KEPT: usize = 4096;

    fn note(&mut self, change: NodeChange, slots: usize) {
        // Keep the log within a few times the number of slots: dropping
        // the older half costs a pass over it, once per that many changes.
        if self.log.len() >= Self::MIN_KEPT.max(4 * slots) {
            let half = self.log.len() / 2;
            self.log.drain(..half);
            self.start += half as u64;
        }
        self.log.push(change);
    }

    /// The position after the last change.
    pub(crate) fn end(&self) -> u64 {
        self.start + self.log.len() as u64
    }

    /// The changes since position `seen` (None when the log no longer
    /// reaches back that far).
    pub(crate) fn since(&self, seen: u64) -> Option<&[NodeChange]> {
        let from = usize::try_from(seen.checked_sub(self.start)?).ok()?;
        self.log.get(from..)
    }
}

impl NodeSlots {
    /// Every slot, in slot order (emptied slots have an empty name).
    pub(crate) fn infos(&self) -> &[NodeInfo] {
        &self.infos
    }

    /// The slots to read, the verdicts to consult and the change log, at
    /// once.
    pub(crate) fn with_verdicts(&mut self) -> (&[NodeInfo], &mut Verdicts, &NodeChanges) {
        (&self.infos, &mut self.verdicts, &self.changes)
    }

    /// Adds a slot for a new node; returns its index.
    pub(crate) fn push(&mut self, info: NodeInfo) -> usize {
        self.infos.push(info);
        self.verdicts.ensure(self.infos.len());
        let i = self.infos.len() - 1;
        self.changes
            .note(NodeChange::Node(slot_id(i)), self.infos.len());
        i
    }

    /// Refreshes a node's fields from a new Node object.
    pub(crate) fn update_node(&mut self, i: usize, node: Arc<Object>) {
        let relabelled = self.infos[i].update_node(node);
        self.verdicts.forget(i);
        if relabelled {
            self.changes
                .note(NodeChange::Node(slot_id(i)), self.infos.len());
        }
    }

    /// Accounts a pod on a node.
    pub(crate) fn add_pod(&mut self, i: usize, pod: SharedPodInfo) {
        self.infos[i].add_pod(pod.clone());
        self.verdicts.forget(i);
        let change = NodeChange::Pod {
            slot: slot_id(i),
            added: true,
            pod,
        };
        self.changes.note(change, self.infos.len());
    }

    /// Removes a pod from a node; false if it was not there.
    pub(crate) fn remove_pod(&mut self, i: usize, uid: &str) -> bool {
        self.verdicts.forget(i);
        let Some(pod) = self.infos[i].remove_pod(uid) else {
            return false;
        };
        let change = NodeChange::Pod {
            slot: slot_id(i),
            added: false,
            pod,
        };
        self.changes.note(change, self.infos.len());
        true
    }

    /// Empties the slot of a deleted node.
    pub(crate) fn clear(&mut self, i: usize) {
        self.infos[i].name.clear();
        self.infos[i].pods.clear();
        self.verdicts.forget(i);
        self.changes
            .note(NodeChange::Node(slot_id(i)), self.infos.len());
    }
}

impl Index<usize> for NodeSlots {
    type Output = NodeInfo;

    fn index(&self, i: usize) -> &NodeInfo {
        &self.infos[i]
    }
}
