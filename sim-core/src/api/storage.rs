//! What the API says about storage: the protection finalizers of claims
//! and volumes, and which storage class is the default
//! (`storageclass.kubernetes.io/is-default-class`), as the DefaultStorageClass
//! admission plugin (plugin/pkg/admission/storage/storageclass/setdefault)
//! and the PersistentVolume controller's retroactive assignment pick it.

use std::sync::Arc;

use super::Object;

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
