//! What the API says about storage: the annotations of binding and
//! provisioning, the protection finalizers of claims and volumes, and
//! which storage class is the default
//! (`storageclass.kubernetes.io/is-default-class`), as the DefaultStorageClass
//! admission plugin (plugin/pkg/admission/storage/storageclass/setdefault)
//! and the PersistentVolume controller's retroactive assignment pick it.

use std::sync::Arc;

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
