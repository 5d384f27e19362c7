//! What the API says about storage: the annotations of binding and
//! provisioning, the protection finalizers of claims and volumes, the
//! volume a provisioner makes for a claim, and which storage class is the
//! default
//! (`storageclass.kubernetes.io/is-default-class`), as the DefaultStorageClass
//! admission plugin (plugin/pkg/admission/storage/storageclass/setdefault)
//! and the PersistentVolume controller's retroactive assignment pick it.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, PersistentVolumeSpec};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::Object;

/// `pv.kubernetes.io/bind-completed`: the claim's binding is done.
pub const ANN_BIND_COMPLETED: &str = "pv.kubernetes.io/bind-completed";
/// `pv.kubernetes.io/bound-by-controller`: a controller (not the
/// object's author) made the binding.
pub const ANN_BOUND_BY_CONTROLLER: &str = "pv.kubernetes.io/bound-by-controller";
/// `pv.kubernetes.io/provisioned-by`: the provisioner that made a volume.
pub const ANN_PROVISIONED_BY: &str = "pv.kubernetes.io/provisioned-by";
/// `volume.kubernetes.io/selected-node`: where the scheduler put the
/// claim's first consumer.
pub const ANN_SELECTED_NODE: &str = "volume.kubernetes.io/selected-node";
/// The provisioner a claim is handed to (GA and beta annotations).
pub const ANN_STORAGE_PROVISIONER: [&str; 2] = [
    "volume.kubernetes.io/storage-provisioner",
    "volume.beta.kubernetes.io/storage-provisioner",
];

/// The finalizer of a claim while a pod may use it.
pub const PVC_PROTECTION: &str = "kubernetes.io/pvc-protection";
/// The finalizer of a volume while it is bound.
pub const PV_PROTECTION: &str = "kubernetes.io/pv-protection";

/// The annotations that make a StorageClass the default (GA and beta).
pub const DEFAULT_CLASS_ANNOTATIONS: [&str; 2] = [
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
];

/// The default class among `classes`: of those marked default, the newest,
/// and of equally new ones the first by name.
pub fn default_class<'a>(
    classes: impl Iterator<Item = &'a Arc<Object>>,
) -> Option<&'a Arc<Object>> {
    classes
        .filter(|o| {
            let annotations = o.meta().annotations.as_ref();
            DEFAULT_CLASS_ANNOTATIONS
                .iter()
                .any(|a| annotations.and_then(|m| m.get(*a)).map(String::as_str) == Some("true"))
        })
        .max_by(|a, b| {
            let created = |o: &Object| o.meta().creation_timestamp.as_ref().map(|t| t.0);
            created(a)
                .cmp(&created(b))
                .then_with(|| b.name().cmp(a.name()))
        })
}

/// The volume a provisioner makes for `claim` of `class`, named `pv_name`
/// (`pvc-<claim uid>`), without its source: the claim's requested size,
/// access modes and volume mode, the class's reclaim policy (`Delete`
/// when unset) and mount options, a `claimRef` to the claim and
/// `pv.kubernetes.io/provisioned-by: PROVISIONER`.
pub fn provisioned_volume(
    claim: &PersistentVolumeClaim,
    class: &StorageClass,
    pv_name: &str,
    provisioner: &str,
) -> PersistentVolume {
    let spec = claim.spec.as_ref();
    let mut annotations = BTreeMap::new();
    annotations.insert(ANN_PROVISIONED_BY.to_owned(), provisioner.to_owned());
    PersistentVolume {
        metadata: ObjectMeta {
            name: Some(pv_name.to_owned()),
            annotations: Some(annotations),
            ..Default::default()
        },
        spec: Some(PersistentVolumeSpec {
            capacity: spec
                .and_then(|s| s.resources.as_ref())
                .and_then(|r| r.requests.clone()),
            access_modes: spec.and_then(|s| s.access_modes.clone()),
            persistent_volume_reclaim_policy: Some(
                class
                    .reclaim_policy
                    .clone()
                    .unwrap_or_else(|| "Delete".into()),
            ),
            storage_class_name: class.metadata.name.clone(),
            mount_options: class.mount_options.clone(),
            volume_mode: spec.and_then(|s| s.volume_mode.clone()),
            claim_ref: Some(super::volume_matching::claim_reference(claim)),
            ..Default::default()
        }),
        status: None,
    }
}

/// The names of the claims a pod's volumes name (`persistentVolumeClaim`).
pub fn claim_names(pod: &k8s_openapi::api::core::v1::Pod) -> impl Iterator<Item = &str> {
    pod.spec
        .iter()
        .flat_map(|s| s.volumes.iter().flatten())
        .filter_map(|v| v.persistent_volume_claim.as_ref())
        .map(|c| c.claim_name.as_str())
}

/// `util.IsMultiAttachAllowed` for a volume: it lists ReadWriteMany or
/// ReadOnlyMany (any other volume is attached to one node at a time).
pub fn multi_attach_allowed(pv: &PersistentVolume) -> bool {
    pv.spec
        .as_ref()
        .and_then(|s| s.access_modes.as_ref())
        .is_some_and(|m| {
            m.iter()
                .any(|m| m == "ReadWriteMany" || m == "ReadOnlyMany")
        })
}
