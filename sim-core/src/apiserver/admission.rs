//! Admission: the plugins of a default kube-apiserver that change or refuse
//! pods, claims and namespaced objects: NamespaceLifecycle, ServiceAccount
//! (the default service account name), Priority, DefaultTolerationSeconds,
//! DefaultStorageClass and StorageObjectInUseProtection.

use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Toleration};

use crate::api::{annotations, ApiError, Kind, Object, Reason};
use crate::etcd::Etcd;

/// The namespaces that can never be deleted (plugin/namespace/lifecycle).
pub(crate) const IMMORTAL_NAMESPACES: [&str; 3] = ["default", "kube-system", "kube-public"];

/// Priority of the built-in class `system-node-critical`.
pub(crate) const SYSTEM_NODE_CRITICAL: i32 = 2_000_001_000;
/// Priority of the built-in class `system-cluster-critical`.
pub(crate) const SYSTEM_CLUSTER_CRITICAL: i32 = 2_000_000_000;

/// Settings of the admission plugins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdmissionSettings {
    /// `--default-not-ready-toleration-seconds` (300).
    pub default_not_ready_toleration_secs: i64,
    /// `--default-unreachable-toleration-seconds` (300).
    pub default_unreachable_toleration_secs: i64,
}

impl Default for AdmissionSettings {
    fn default() -> Self {
        Self {
            default_not_ready_toleration_secs: 300,
            default_unreachable_toleration_secs: 300,
        }
    }
}

/// NamespaceLifecycle: a namespaced object may only be created in a namespace
/// that exists and is not terminating.
pub(crate) fn namespace_lifecycle(etcd: &Etcd, obj: &Object) -> Result<(), ApiError> {
    if !obj.kind().namespaced() {
        return Ok(());
    }
    let ns = obj.namespace();
    match etcd.get(Kind::Namespace, "", ns) {
        None => Err(ApiError::not_found(Kind::Namespace, ns)),
        Some(n) if n.meta().deletion_timestamp.is_some() && obj.kind() != Kind::Event => Err(ApiError::new(
            Reason::Forbidden,
            format!(
                "{} \"{}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                obj.kind().qualified_plural(),
                obj.name()
            ),
        )),
        Some(_) => Ok(()),
    }
}

/// DefaultStorageClass: a claim created without `storageClassName` gets
/// the default class, when there is one.
pub(crate) fn default_storage_class(etcd: &Etcd, claim: &mut PersistentVolumeClaim) {
    let spec = claim.spec.get_or_insert_with(Default::default);
    if spec.storage_class_name.is_some() {
        return;
    }
    let classes = etcd.list(Kind::StorageClass, None);
    if let Some(class) = crate::api::storage::default_class(classes.iter()) {
        spec.storage_class_name = Some(class.name().to_owned());
    }
}

/// StorageObjectInUseProtection: new claims and volumes carry the
/// protection finalizer their controller removes once nothing uses them.
pub(crate) fn storage_object_in_use_protection(obj: &mut Object) {
    let finalizer = match obj {
        Object::PersistentVolumeClaim(_) => crate::api::storage::PVC_PROTECTION,
        Object::PersistentVolume(_) => crate::api::storage::PV_PROTECTION,
        _ => return,
    };
    let list = obj.meta_mut().finalizers.get_or_insert_with(Vec::new);
    if !list.iter().any(|f| f == finalizer) {
        list.push(finalizer.to_owned());
    }
}

/// The mutating pod plugins, in the order the API server runs them.
pub(crate) fn admit_pod(
    etcd: &Etcd,
    pod: &mut Pod,
    settings: &AdmissionSettings,
) -> Result<(), ApiError> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    // ServiceAccount (plugin/pkg/admission/serviceaccount): mirror pods are
    // left alone; others get the default account, which must exist, and its
    // imagePullSecrets when they name none.
    let mirror = annotations::has(&pod.metadata, annotations::CONFIG_MIRROR);
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let Some(spec) = pod.spec.as_mut() else {
        return Ok(());
    };
    if !mirror {
        if spec
            .service_account_name
            .as_deref()
            .is_none_or(str::is_empty)
        {
            spec.service_account_name = Some("default".into());
        }
        let sa_name = spec.service_account_name.clone().unwrap_or_default();
        let Some(sa) = etcd.get(Kind::ServiceAccount, &namespace, &sa_name) else {
            return Err(ApiError::new(
                Reason::Forbidden,
                format!("pods \"{name}\" is forbidden: error looking up service account {namespace}/{sa_name}: serviceaccount \"{sa_name}\" not found"),
            ));
        };
        if spec.service_account.is_none() {
            spec.service_account = spec.service_account_name.clone();
        }
        if spec.image_pull_secrets.as_ref().is_none_or(Vec::is_empty) {
            if let Object::ServiceAccount(sa) = &**sa {
                if let Some(secrets) = sa.image_pull_secrets.clone().filter(|s| !s.is_empty()) {
                    spec.image_pull_secrets = Some(secrets);
                }
            }
        }
    }
    // Priority: resolve priorityClassName.
    let priority = match spec.priority_class_name.as_deref() {
        Some("system-node-critical") => SYSTEM_NODE_CRITICAL,
        Some("system-cluster-critical") => SYSTEM_CLUSTER_CRITICAL,
        Some(class) if !class.is_empty() => match etcd
            .get(Kind::PriorityClass, "", class)
            .map(|o| (**o).clone())
        {
            Some(Object::PriorityClass(pc)) => {
                if spec.preemption_policy.is_none() {
                    spec.preemption_policy = pc.preemption_policy.clone();
                }
                pc.value
            }
            _ => {
                return Err(ApiError::new(
                    Reason::Forbidden,
                    format!(
                    "pods \"{name}\" is forbidden: no PriorityClass with name {class} was found"
                ),
                ))
            }
        },
        _ => etcd
            .list(Kind::PriorityClass, None)
            .iter()
            .find_map(|o| match &**o {
                Object::PriorityClass(pc) if pc.global_default == Some(true) => {
                    spec.priority_class_name = pc.metadata.name.clone();
                    Some(pc.value)
                }
                _ => None,
            })
            .unwrap_or(0),
    };
    match spec.priority {
        Some(p) if p != priority => {
            return Err(ApiError::new(
                Reason::Forbidden,
                format!("pods \"{name}\" is forbidden: the integer value of priority ({p}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name"),
            ))
        }
        _ => spec.priority = Some(priority),
    }
    spec.preemption_policy
        .get_or_insert_with(|| "PreemptLowerPriority".into());
    // DefaultTolerationSeconds.
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for (key, secs) in [
        (
            "node.kubernetes.io/not-ready",
            settings.default_not_ready_toleration_secs,
        ),
        (
            "node.kubernetes.io/unreachable",
            settings.default_unreachable_toleration_secs,
        ),
    ] {
        if !tolerations.iter().any(|t| tolerates_no_execute(t, key)) {
            tolerations.push(Toleration {
                key: Some(key.into()),
                operator: Some("Exists".into()),
                effect: Some("NoExecute".into()),
                toleration_seconds: Some(secs),
                value: None,
            });
        }
    }
    Ok(())
}

/// True when `t` tolerates a NoExecute taint with key `key` (any value).
fn tolerates_no_execute(t: &Toleration, key: &str) -> bool {
    let effect_ok = t
        .effect
        .as_deref()
        .is_none_or(|e| e.is_empty() || e == "NoExecute");
    let key_ok = match t.key.as_deref() {
        None | Some("") => t.operator.as_deref() == Some("Exists"),
        Some(k) => k == key,
    };
    effect_ok && key_ok
}
