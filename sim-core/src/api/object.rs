//! API objects: the kinds kubesim stores, as real k8s-openapi types.
//!
//! [`Object`] is one stored object of any supported kind; [`Kind`] is the
//! registry of those kinds with their REST names (plural, short names, group,
//! version, scope) as kubectl and the API server know them. Objects are held in
//! `Arc`s and shared between etcd, the watch stream and every informer cache,
//! so a cluster of 150,000 pods keeps one copy of each pod.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::strict::{decode_strict, StrictError};

macro_rules! kinds {
    ($( $variant:ident => $ty:ty, plural $plural:literal, namespaced $namespaced:literal, short [$($short:literal),*] );* $(;)?) => {
        /// A kind of API object that kubesim stores.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum Kind {
            $(
                #[doc = concat!("`", stringify!($variant), "`")]
                $variant,
            )*
        }

        /// One API object of a supported kind.
        ///
        /// Every variant is boxed, so an object costs its own size: the
        /// k8s-openapi types range from a few hundred bytes to several
        /// kilobytes, and an unboxed enum would make each Event or Lease as
        /// large as the largest workload type.
        #[derive(Clone, Debug, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum Object {
            $(
                #[doc = concat!("A `", stringify!($variant), "`.")]
                $variant(Box<$ty>),
            )*
        }

        $(
            impl From<$ty> for Object {
                fn from(o: $ty) -> Self {
                    Object::$variant(Box::new(o))
                }
            }
        )*

        impl Kind {
            /// Every supported kind, in a fixed order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            /// The `kind` field value (`Pod`, `Deployment`, ...).
            pub fn name(self) -> &'static str {
                match self { $(Kind::$variant => <$ty as k8s_openapi::Resource>::KIND),* }
            }

            /// The `apiVersion` field value (`v1`, `apps/v1`, ...).
            pub fn api_version(self) -> &'static str {
                match self { $(Kind::$variant => <$ty as k8s_openapi::Resource>::API_VERSION),* }
            }

            /// The API group (`""` for core, `apps`, ...).
            pub fn group(self) -> &'static str {
                match self { $(Kind::$variant => <$ty as k8s_openapi::Resource>::GROUP),* }
            }

            /// The lower-case plural resource name (`pods`, `deployments`).
            pub fn plural(self) -> &'static str {
                match self { $(Kind::$variant => $plural),* }
            }

            /// True for namespaced kinds, false for cluster-scoped ones.
            pub fn namespaced(self) -> bool {
                match self { $(Kind::$variant => $namespaced),* }
            }

            /// kubectl's short names (`po`, `deploy`, ...).
            pub fn short_names(self) -> &'static [&'static str] {
                match self { $(Kind::$variant => &[$($short),*]),* }
            }

            /// Decodes a JSON object of this kind, refusing unknown fields as the
            /// API server's strict field validation does.
            pub fn decode(self, value: &serde_json::Value) -> Result<Object, StrictError> {
                match self { $(Kind::$variant => decode_strict::<$ty>(value).map(Object::from)),* }
            }
        }

        impl Object {
            /// The object's kind.
            pub fn kind(&self) -> Kind {
                match self { $(Object::$variant(_) => Kind::$variant),* }
            }

            /// The object's metadata.
            pub fn meta(&self) -> &ObjectMeta {
                match self { $(Object::$variant(o) => &o.metadata),* }
            }

            /// The object's metadata, mutable.
            pub fn meta_mut(&mut self) -> &mut ObjectMeta {
                match self { $(Object::$variant(o) => &mut o.metadata),* }
            }
        }
    };
}

use k8s_openapi::api::{
    admissionregistration, apps, batch, coordination, core, discovery, networking, rbac,
    scheduling, storage,
};

kinds! {
    Namespace => core::v1::Namespace, plural "namespaces", namespaced false, short ["ns"];
    Node => core::v1::Node, plural "nodes", namespaced false, short ["no"];
    Pod => core::v1::Pod, plural "pods", namespaced true, short ["po"];
    Service => core::v1::Service, plural "services", namespaced true, short ["svc"];
    Endpoints => core::v1::Endpoints, plural "endpoints", namespaced true, short ["ep"];
    ConfigMap => core::v1::ConfigMap, plural "configmaps", namespaced true, short ["cm"];
    Secret => core::v1::Secret, plural "secrets", namespaced true, short [];
    ServiceAccount => core::v1::ServiceAccount, plural "serviceaccounts", namespaced true, short ["sa"];
    Event => core::v1::Event, plural "events", namespaced true, short ["ev"];
    PersistentVolume => core::v1::PersistentVolume, plural "persistentvolumes", namespaced false, short ["pv"];
    PersistentVolumeClaim => core::v1::PersistentVolumeClaim, plural "persistentvolumeclaims", namespaced true, short ["pvc"];
    Deployment => apps::v1::Deployment, plural "deployments", namespaced true, short ["deploy"];
    ReplicaSet => apps::v1::ReplicaSet, plural "replicasets", namespaced true, short ["rs"];
    DaemonSet => apps::v1::DaemonSet, plural "daemonsets", namespaced true, short ["ds"];
    StatefulSet => apps::v1::StatefulSet, plural "statefulsets", namespaced true, short ["sts"];
    Job => batch::v1::Job, plural "jobs", namespaced true, short [];
    Lease => coordination::v1::Lease, plural "leases", namespaced true, short [];
    EndpointSlice => discovery::v1::EndpointSlice, plural "endpointslices", namespaced true, short [];
    Ingress => networking::v1::Ingress, plural "ingresses", namespaced true, short ["ing"];
    PriorityClass => scheduling::v1::PriorityClass, plural "priorityclasses", namespaced false, short ["pc"];
    StorageClass => storage::v1::StorageClass, plural "storageclasses", namespaced false, short ["sc"];
    VolumeAttachment => storage::v1::VolumeAttachment, plural "volumeattachments", namespaced false, short [];
    IngressClass => networking::v1::IngressClass, plural "ingressclasses", namespaced false, short [];
    ClusterRole => rbac::v1::ClusterRole, plural "clusterroles", namespaced false, short [];
    ClusterRoleBinding => rbac::v1::ClusterRoleBinding, plural "clusterrolebindings", namespaced false, short [];
    Role => rbac::v1::Role, plural "roles", namespaced true, short [];
    RoleBinding => rbac::v1::RoleBinding, plural "rolebindings", namespaced true, short [];
    ValidatingWebhookConfiguration => admissionregistration::v1::ValidatingWebhookConfiguration, plural "validatingwebhookconfigurations", namespaced false, short [];
    MutatingWebhookConfiguration => admissionregistration::v1::MutatingWebhookConfiguration, plural "mutatingwebhookconfigurations", namespaced false, short [];
}

impl Kind {
    /// The singular lower-case resource name (`pod`, `deployment`).
    pub fn singular(self) -> String {
        self.name().to_ascii_lowercase()
    }

    /// The resource name qualified by its group, as kubectl prints it in
    /// `-o name` and in messages: `pod`, `deployment.apps`, `lease.coordination.k8s.io`.
    pub fn qualified_singular(self) -> String {
        match self.group() {
            "" => self.singular(),
            group => format!("{}.{group}", self.singular()),
        }
    }

    /// The plural resource name qualified by its group (`deployments.apps`), as
    /// the API server names it in error messages.
    pub fn qualified_plural(self) -> String {
        match self.group() {
            "" => self.plural().to_owned(),
            group => format!("{}.{group}", self.plural()),
        }
    }

    /// Looks a kind up by the `apiVersion` and `kind` of a manifest.
    pub fn from_api_version_kind(api_version: &str, kind: &str) -> Option<Kind> {
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.api_version() == api_version && k.name() == kind)
    }

    /// Looks a kind up by `kind` alone (any version kubesim supports).
    pub fn from_kind_name(kind: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == kind)
    }

    /// Resolves a resource name as kubectl accepts it: plural, singular, short
    /// name or kind, optionally qualified by group (`deployments.apps`, `deploy`,
    /// `Pod`, `po`). Case-insensitive as kubectl is.
    pub fn from_resource_name(name: &str) -> Option<Kind> {
        let lower = name.to_ascii_lowercase();
        let (resource, group) = match lower.split_once('.') {
            Some((r, g)) => (r.to_owned(), Some(g.to_owned())),
            None => (lower, None),
        };
        Kind::ALL.iter().copied().find(|k| {
            let name_matches = resource == k.plural()
                || resource == k.singular()
                || k.short_names().contains(&resource.as_str());
            let group_matches = match &group {
                None => true,
                Some(g) => g == k.group() || (g.is_empty() && k.group().is_empty()),
            };
            name_matches && group_matches
        })
    }
}

/// The identity of a stored object: kind, namespace (empty for cluster-scoped
/// kinds) and name. Orders by kind, then namespace, then name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectKey {
    /// The kind.
    pub kind: Kind,
    /// The namespace, or empty for cluster-scoped kinds.
    pub namespace: String,
    /// The name.
    pub name: String,
}

impl ObjectKey {
    /// A key from its parts.
    pub fn new(kind: Kind, namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind,
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// The key of a stored object.
    pub fn of(obj: &Object) -> Self {
        let meta = obj.meta();
        Self::new(
            obj.kind(),
            meta.namespace.clone().unwrap_or_default(),
            meta.name.clone().unwrap_or_default(),
        )
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}/{}", self.kind.singular(), self.name)
        } else {
            write!(
                f,
                "{}/{}/{}",
                self.kind.singular(),
                self.namespace,
                self.name
            )
        }
    }
}

impl Object {
    /// The object's namespace, or `""` for cluster-scoped objects.
    pub fn namespace(&self) -> &str {
        self.meta().namespace.as_deref().unwrap_or("")
    }

    /// The object's name.
    pub fn name(&self) -> &str {
        self.meta().name.as_deref().unwrap_or("")
    }

    /// The object's uid.
    pub fn uid(&self) -> &str {
        self.meta().uid.as_deref().unwrap_or("")
    }

    /// The object's resourceVersion parsed as the etcd revision, if set.
    pub fn resource_version(&self) -> Option<u64> {
        self.meta()
            .resource_version
            .as_deref()
            .and_then(|rv| rv.parse().ok())
    }

    /// The object's labels (empty map when none).
    pub fn labels(&self) -> &std::collections::BTreeMap<String, String> {
        static EMPTY: std::collections::BTreeMap<String, String> =
            std::collections::BTreeMap::new();
        self.meta().labels.as_ref().unwrap_or(&EMPTY)
    }

    /// The object as JSON, with `apiVersion` and `kind` set.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The pod inside, if this is a Pod.
    pub fn as_pod(&self) -> Option<&core::v1::Pod> {
        match self {
            Object::Pod(p) => Some(p),
            _ => None,
        }
    }

    /// The node inside, if this is a Node.
    pub fn as_node(&self) -> Option<&core::v1::Node> {
        match self {
            Object::Node(n) => Some(n),
            _ => None,
        }
    }

    /// The namespace inside, if this is a Namespace.
    pub fn as_namespace(&self) -> Option<&core::v1::Namespace> {
        match self {
            Object::Namespace(n) => Some(n),
            _ => None,
        }
    }

    /// The value of a field for field selectors, or None when the field is not
    /// selectable for this kind (as the API server's per-kind field label
    /// conversion functions decide).
    pub fn field(&self, field: &str) -> Option<String> {
        match field {
            "metadata.name" => return Some(self.name().to_owned()),
            "metadata.namespace" if self.kind().namespaced() => {
                return Some(self.namespace().to_owned())
            }
            _ => {}
        }
        match self {
            Object::Pod(p) => {
                let spec = p.spec.as_ref();
                let status = p.status.as_ref();
                match field {
                    "spec.nodeName" => {
                        Some(spec.and_then(|s| s.node_name.clone()).unwrap_or_default())
                    }
                    "spec.restartPolicy" => Some(
                        spec.and_then(|s| s.restart_policy.clone())
                            .unwrap_or_default(),
                    ),
                    "spec.schedulerName" => Some(
                        spec.and_then(|s| s.scheduler_name.clone())
                            .unwrap_or_default(),
                    ),
                    "spec.serviceAccountName" => Some(
                        spec.and_then(|s| s.service_account_name.clone())
                            .unwrap_or_default(),
                    ),
                    "spec.hostNetwork" => Some(
                        spec.and_then(|s| s.host_network)
                            .unwrap_or(false)
                            .to_string(),
                    ),
                    "status.phase" => {
                        Some(status.and_then(|s| s.phase.clone()).unwrap_or_default())
                    }
                    "status.podIP" => {
                        Some(status.and_then(|s| s.pod_ip.clone()).unwrap_or_default())
                    }
                    "status.nominatedNodeName" => Some(
                        status
                            .and_then(|s| s.nominated_node_name.clone())
                            .unwrap_or_default(),
                    ),
                    _ => None,
                }
            }
            Object::Node(n) => match field {
                "spec.unschedulable" => Some(
                    n.spec
                        .as_ref()
                        .and_then(|s| s.unschedulable)
                        .unwrap_or(false)
                        .to_string(),
                ),
                _ => None,
            },
            Object::Namespace(n) => match field {
                "status.phase" => Some(
                    n.status
                        .as_ref()
                        .and_then(|s| s.phase.clone())
                        .unwrap_or_default(),
                ),
                _ => None,
            },
            Object::Event(e) => {
                let io = &e.involved_object;
                match field {
                    "involvedObject.kind" => Some(io.kind.clone().unwrap_or_default()),
                    "involvedObject.namespace" => Some(io.namespace.clone().unwrap_or_default()),
                    "involvedObject.name" => Some(io.name.clone().unwrap_or_default()),
                    "involvedObject.uid" => Some(io.uid.clone().unwrap_or_default()),
                    "involvedObject.apiVersion" => Some(io.api_version.clone().unwrap_or_default()),
                    "involvedObject.resourceVersion" => {
                        Some(io.resource_version.clone().unwrap_or_default())
                    }
                    "involvedObject.fieldPath" => Some(io.field_path.clone().unwrap_or_default()),
                    "reason" => Some(e.reason.clone().unwrap_or_default()),
                    "reportingComponent" => Some(e.reporting_component.clone().unwrap_or_default()),
                    "source" => Some(
                        e.source
                            .as_ref()
                            .and_then(|s| s.component.clone())
                            .unwrap_or_default(),
                    ),
                    "type" => Some(e.type_.clone().unwrap_or_default()),
                    _ => None,
                }
            }
            Object::Secret(s) => match field {
                "type" => Some(s.type_.clone().unwrap_or_default()),
                _ => None,
            },
            Object::ReplicaSet(r) => match field {
                "status.replicas" => Some(
                    r.status
                        .as_ref()
                        .map(|s| s.replicas)
                        .unwrap_or(0)
                        .to_string(),
                ),
                _ => None,
            },
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_resolve_as_kubectl_resolves_them() {
        assert_eq!(Kind::from_resource_name("po"), Some(Kind::Pod));
        assert_eq!(Kind::from_resource_name("pods"), Some(Kind::Pod));
        assert_eq!(Kind::from_resource_name("Pod"), Some(Kind::Pod));
        assert_eq!(Kind::from_resource_name("deploy"), Some(Kind::Deployment));
        assert_eq!(
            Kind::from_resource_name("deployments.apps"),
            Some(Kind::Deployment)
        );
        assert_eq!(Kind::from_resource_name("namespace"), Some(Kind::Namespace));
        assert_eq!(Kind::from_resource_name("ns"), Some(Kind::Namespace));
        assert_eq!(Kind::from_resource_name("podz"), None);
        assert_eq!(Kind::from_resource_name("deployments.batch"), None);
    }

    #[test]
    fn kind_metadata_comes_from_k8s_openapi() {
        assert_eq!(Kind::Deployment.api_version(), "apps/v1");
        assert_eq!(Kind::Pod.api_version(), "v1");
        assert_eq!(Kind::Lease.group(), "coordination.k8s.io");
        assert_eq!(Kind::Deployment.qualified_singular(), "deployment.apps");
        assert!(!Kind::Node.namespaced());
    }
}
