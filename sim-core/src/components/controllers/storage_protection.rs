//! The PVC and PV protection controllers
//! (pkg/controller/volume/pvcprotection and pvprotection), with the
//! StorageObjectInUseProtection admission plugin's finalizers
//! (`kubernetes.io/pvc-protection`, `kubernetes.io/pv-protection`): a claim
//! being deleted stays `Terminating` while a pod that is not finished uses
//! it, and a volume while it is `Bound`; the finalizer is removed once
//! nothing uses them, and the deletion completes.

use k8s_openapi::api::core::v1::Pod;

use super::{Informers, WorkQueue};
use crate::api::storage::{PVC_PROTECTION, PV_PROTECTION};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::Request;
use crate::components::{Ctx, WatchEvent};

/// Both controllers.
#[derive(Debug, Default)]
pub(crate) struct StorageProtection {
    queue: WorkQueue,
}

/// The claims a pod's volumes name.
fn claims_of(pod: &Pod) -> impl Iterator<Item = &str> {
    pod.spec
        .iter()
        .flat_map(|s| s.volumes.iter().flatten())
        .filter_map(|v| {
            v.persistent_volume_claim
                .as_ref()
                .map(|c| c.claim_name.as_str())
        })
}

/// True while a pod uses the claim: not finished (a terminal pod no longer
/// holds its volumes).
fn in_use(informers: &Informers, ns: &str, claim: &str) -> bool {
    informers.of(Kind::Pod).iter().any(|o| match &**o {
        Object::Pod(p) => {
            p.metadata.namespace.as_deref() == Some(ns)
                && !matches!(
                    p.status.as_ref().and_then(|s| s.phase.as_deref()),
                    Some("Succeeded" | "Failed")
                )
                && claims_of(p).any(|c| c == claim)
        }
        _ => false,
    })
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
                let ns = p.metadata.namespace.as_deref().unwrap_or("");
                for c in claims_of(p) {
                    self.queue
                        .add(ObjectKey::new(Kind::PersistentVolumeClaim, ns, c));
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
                Object::PersistentVolumeClaim(_) => {
                    (PVC_PROTECTION, in_use(informers, &key.namespace, &key.name))
                }
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
