//! The pods the scheduler tracks, by a compact id.
//!
//! A pod gets an id the first time a watch event names its uid; the queue,
//! the cache and the bindings in flight refer to it by that id, so a cycle
//! looks a uid up once instead of in every map. The id is released when the
//! pod has left them all, and a released id is given to the next new pod
//! (last released first), so the table stays as large as the pods alive.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::pod_info::SharedPodInfo;
use crate::api::Object;

/// A pod's id in the [`PodTable`].
pub(crate) type PodId = u32;

/// A pod placed on a node (bound, or assumed while its binding is in flight).
#[derive(Clone, Debug)]
pub(crate) struct Assigned {
    /// The node's name.
    pub node: String,
    /// What the scheduler read of the pod.
    pub info: SharedPodInfo,
    /// The latest pod object.
    pub object: Arc<Object>,
}

/// What the scheduler holds of one pod.
#[derive(Clone, Debug, Default)]
pub(crate) struct PodSlot {
    /// The pod's uid (empty for a free slot).
    pub uid: String,
    /// What the scheduler read of the pod while it waits to be scheduled
    /// (extracted once per pod version, when its watch event arrives).
    pub queued_info: Option<SharedPodInfo>,
    /// Where the pod is placed, once it is.
    pub assigned: Option<Assigned>,
    /// Bind requests in flight for the pod.
    pub bindings: u32,
}

impl PodSlot {
    fn unused(&self) -> bool {
        self.queued_info.is_none() && self.assigned.is_none() && self.bindings == 0
    }
}

/// The tracked pods.
#[derive(Debug, Default)]
pub(crate) struct PodTable {
    /// Id by uid (looked up, never iterated).
    ids: FxHashMap<String, PodId>,
    slots: Vec<PodSlot>,
    free: Vec<PodId>,
}

impl PodTable {
    /// The id of a tracked pod.
    pub(crate) fn get(&self, uid: &str) -> Option<PodId> {
        self.ids.get(uid).copied()
    }

    /// The id of a pod, tracking it if it is new.
    pub(crate) fn id(&mut self, uid: &str) -> PodId {
        if let Some(&id) = self.ids.get(uid) {
            return id;
        }
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.slots.push(PodSlot::default());
                PodId::try_from(self.slots.len() - 1).unwrap_or(PodId::MAX)
            }
        };
        self.slots[id as usize].uid = uid.to_owned();
        self.ids.insert(uid.to_owned(), id);
        id
    }

    /// A pod's slot.
    pub(crate) fn slot(&self, id: PodId) -> &PodSlot {
        &self.slots[id as usize]
    }

    /// A pod's slot, to change.
    pub(crate) fn slot_mut(&mut self, id: PodId) -> &mut PodSlot {
        &mut self.slots[id as usize]
    }

    /// Every tracked pod's slot with its id, in id order.
    pub(crate) fn slots(&self) -> impl Iterator<Item = (PodId, &PodSlot)> {
        (0..).zip(&self.slots).filter(|(_, s)| !s.uid.is_empty())
    }

    /// Stops tracking a pod that nothing refers to any more; `in_queue` says
    /// whether the scheduling queue still holds it.
    pub(crate) fn release_if_unused(&mut self, id: PodId, in_queue: bool) {
        let slot = &mut self.slots[id as usize];
        if in_queue || slot.uid.is_empty() || !slot.unused() {
            return;
        }
        let uid = std::mem::take(&mut slot.uid);
        self.ids.remove(&uid);
        self.free.push(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_kept_while_used_and_reused_after() {
        let mut t = PodTable::default();
        let a = t.id("a");
        let b = t.id("b");
        assert_eq!((a, b), (0, 1));
        assert_eq!(t.id("a"), a, "the same uid keeps its id");
        t.slot_mut(a).bindings = 1;
        t.release_if_unused(a, false);
        assert_eq!(t.get("a"), Some(a), "a binding is in flight");
        t.slot_mut(a).bindings = 0;
        t.release_if_unused(a, true);
        assert_eq!(t.get("a"), Some(a), "still queued");
        t.release_if_unused(a, false);
        assert_eq!(t.get("a"), None);
        assert_eq!(t.get("b"), Some(b));
        assert_eq!(t.id("c"), a, "the released id goes to the next new pod");
        assert_eq!(t.slot(a).uid, "c");
        let ids: Vec<PodId> = t.slots().map(|(id, _)| id).collect();
        assert_eq!(ids, [0, 1]);
    }
}
