//! The PVC and PV protection controllers
//! (pkg/controller/volume/pvcprotection and pvprotection), with the
//! StorageObjectInUseProtection admission plugin's finalizers
//! (`kubernetes.io/pvc-protection`, `kubernetes.io/pv-protection`): a claim
//! being deleted stays `Terminating` while a pod that is not finished uses
//! it, and a volume while it is `Bound`; the finalizer is removed once
//! nothing uses them, and the deletion completes.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Pod;

use super::{Informers, WorkQueue};
use crate::api::storage::{claim_names, PVC_PROTECTION, PV_PROTECTION};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::Request;
use crate::components::{Ctx, WatchEvent};
use crate::etcd::ChangeType;

/// Both controllers.
#[derive(Debug, Default)]
pub(crate) struct StorageProtection {
    queue: WorkQueue,
    /// The pods (by key) that have not finished, of each claim they name
    /// (namespace, claim): kept from the pod events (a pod's volumes never
    /// change, so its event names the claims to update), so that whether a
    /// claim is in use is a lookup, not a pass over every pod.
    users: BTreeMap<(String, String), BTreeSet<ObjectKey>>,
}

/// True while the pod holds its claims: not finished (a terminal pod no
/// longer holds its volumes).
fn holds_claims(p: &Pod) -> bool {
    !matches!(
        p.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

impl StorageProtection {
    /// Queues claims and volumes being deleted, and the claims of a pod
    /// that changed.
    pub(crate) fn observe(&mut self, event: &WatchEvent) {
        match &*event.object {
            Object::PersistentVolumeClaim(_) | Object::PersistentVolume(_)
                if event.object.meta().deletion_timestamp.is_some() =>
            {
                self.queue.add(ObjectKey::of(&event.object));
            }
            Object::Pod(p) => {
                if claim_names(p).next().is_none() {
                    // A pod's volumes never change: one without claims
                    // never held any.
                    return;
                }
                let key = ObjectKey::of(&event.object);
                let ns = p.metadata.namespace.as_deref().unwrap_or("");
                let holds = event.change != ChangeType::Deleted && holds_claims(p);
                for c in claim_names(p) {
                    self.queue
                        .add(ObjectKey::new(Kind::PersistentVolumeClaim, ns, c));
                    let claim = (ns.to_owned(), c.to_owned());
                    if holds {
                        self.users.entry(claim).or_default().insert(key.clone());
                    } else if let Some(set) = self.users.get_mut(&claim) {
                        set.remove(&key);
                        if set.is_empty() {
                            self.users.remove(&claim);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Removes the finalizer of each queued claim or volume being deleted
    /// that nothing uses any more.
    pub(crate) fn sync(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        for key in self.queue.drain() {
            let Some(o) = informers.of(key.kind).get(&key) else {
                continue;
            };
            let meta = o.meta();
            if meta.deletion_timestamp.is_none() {
                continue;
            }
            let (finalizer, used) = match &**o {
                Object::PersistentVolumeClaim(_) => (
                    PVC_PROTECTION,
                    self.users
                        .contains_key(&(key.namespace.clone(), key.name.clone())),
                ),
                Object::PersistentVolume(pv) => (
                    PV_PROTECTION,
                    pv.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound"),
                ),
                _ => continue,
            };
            let has = meta
                .finalizers
                .as_ref()
                .is_some_and(|f| f.iter().any(|x| x == finalizer));
            if !has || used {
                continue;
            }
            let mut updated = (**o).clone();
            let m = updated.meta_mut();
            if let Some(f) = m.finalizers.as_mut() {
                f.retain(|x| x != finalizer);
            }
            m.resource_version = None;
            ctx.send(Request::Update(updated));
        }
    }
}
