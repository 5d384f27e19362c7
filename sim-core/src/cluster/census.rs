//! The cluster's census: counts kept up to date from every store change, so
//! that a metrics sample or the end-of-run statistics cost nothing to read
//! (no pass over the pods): pods by phase, nodes and Ready nodes, and the
//! largest number of objects the store held.

use crate::api::conditions::is_node_ready;
use crate::api::{Kind, Object};
use crate::etcd::{Change, ChangeType, Etcd};

/// Counts of the store's pods and nodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Census {
    pub(crate) pods_pending: u64,
    pub(crate) pods_running: u64,
    pub(crate) pods_succeeded: u64,
    pub(crate) pods_failed: u64,
    pub(crate) nodes: u64,
    pub(crate) nodes_ready: u64,
}

/// Which count an object falls in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Pending,
    Running,
    Succeeded,
    Failed,
    Node { ready: bool },
    Other,
}

fn slot(obj: &Object) -> Slot {
    match obj {
        Object::Pod(p) => match p.status.as_ref().and_then(|s| s.phase.as_deref()) {
            Some("Running") => Slot::Running,
            Some("Succeeded") => Slot::Succeeded,
            Some("Failed") => Slot::Failed,
            _ => Slot::Pending,
        },
        Object::Node(n) => Slot::Node {
            ready: is_node_ready(n),
        },
        _ => Slot::Other,
    }
}

impl Census {
    /// Counts the store's pods and nodes afresh (a pass over them: what
    /// [`Census::observe`] saves; the invariant checker compares the two).
    pub(crate) fn of_store(etcd: &Etcd) -> Self {
        let mut census = Self::default();
        for kind in [Kind::Pod, Kind::Node] {
            for obj in etcd.list(kind, None) {
                census.count(slot(&obj), true);
            }
        }
        census
    }

    /// Takes one store change into account.
    pub(crate) fn observe(&mut self, change: &Change) {
        if !matches!(change.object.kind(), Kind::Pod | Kind::Node) {
            return;
        }
        let before = match change.change {
            ChangeType::Added => None,
            ChangeType::Modified => Some(slot(
                change
                    .prev
                    .as_deref()
                    .expect("a modification carries the object before it"),
            )),
            ChangeType::Deleted => Some(slot(&change.object)),
        };
        let after = match change.change {
            ChangeType::Deleted => None,
            _ => Some(slot(&change.object)),
        };
        if before == after {
            return;
        }
        if let Some(s) = before {
            self.count(s, false);
        }
        if let Some(s) = after {
            self.count(s, true);
        }
    }

    fn count(&mut self, s: Slot, add: bool) {
        let bump = |n: &mut u64| {
            if add {
                *n += 1;
            } else {
                *n = n.checked_sub(1).expect("the census counts what was stored");
            }
        };
        match s {
            Slot::Pending => bump(&mut self.pods_pending),
            Slot::Running => bump(&mut self.pods_running),
            Slot::Succeeded => bump(&mut self.pods_succeeded),
            Slot::Failed => bump(&mut self.pods_failed),
            Slot::Node { ready } => {
                bump(&mut self.nodes);
                if ready {
                    bump(&mut self.nodes_ready);
                }
            }
            Slot::Other => {}
        }
    }
}
