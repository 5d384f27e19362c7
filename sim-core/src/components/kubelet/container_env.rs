//! What a container sees: the environment the kubelet resolves when it starts
//! the container (pkg/kubelet/kubelet_pods.go `makeEnvironmentVariables`,
//! pkg/kubelet/envvars `FromServices`) as containerd merges it with the
//! image's own `Env` (the files are the kubelet's `node_files`).
//!
//! Ordering. The kubelet builds the container's variables from Go maps, so a
//! real cluster shows them in a random order; kubesim fixes one: containerd's
//! `PATH`, then `HOSTNAME` (containerd's CRI plugin adds it before the image
//! env), then the image's `Env` in image order, then the pod's variables
//! (`envFrom` sources in order, each source's keys sorted, then `env` in
//! declaration order; a later definition replaces an earlier one in place),
//! then the service-link variables (Services sorted by name, each in
//! `FromServices` order). A variable defined again keeps its first position
//! (containerd `replaceOrAppendEnvValues`). `HOME=/root` ends the list of an
//! exec'd process when nothing set it (runc).

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{ConfigMap, Container, ObjectFieldSelector, Pod, Secret, Service};

use super::super::WatchEvent;
use crate::api::{Kind, Object};
pub use crate::config::image_fs::normalize;
use crate::config::{ImageProfile, DEFAULT_PATH};
use crate::etcd::ChangeType;

/// The ConfigMaps, Secrets, Services, PersistentVolumeClaims and
/// PersistentVolumes the kubelet knows (its watch caches).
#[derive(Debug, Default)]
pub struct ConfigCache {
    objects: BTreeMap<(Kind, String, String), Arc<Object>>,
}

impl ConfigCache {
    /// Applies a watch event; true when it concerned a cached kind.
    pub fn apply(&mut self, event: &WatchEvent) -> bool {
        let kind = event.object.kind();
        if !matches!(
            kind,
            Kind::ConfigMap
                | Kind::Secret
                | Kind::Service
                | Kind::PersistentVolumeClaim
                | Kind::PersistentVolume
        ) {
            return false;
        }
        let key = (
            kind,
            event.object.namespace().to_owned(),
            event.object.name().to_owned(),
        );
        if event.change == ChangeType::Deleted {
            self.objects.remove(&key);
        } else {
            self.objects.insert(key, event.object.clone());
        }
        true
    }

    fn get(&self, kind: Kind, ns: &str, name: &str) -> Option<&Object> {
        self.objects
            .get(&(kind, ns.to_owned(), name.to_owned()))
            .map(|o| &**o)
    }

    /// The PersistentVolume claim `ns/name` is bound to: the claim, and its
    /// volume once bound.
    pub fn claim(
        &self,
        ns: &str,
        name: &str,
    ) -> Option<(
        &k8s_openapi::api::core::v1::PersistentVolumeClaim,
        Option<&k8s_openapi::api::core::v1::PersistentVolume>,
    )> {
        let Object::PersistentVolumeClaim(c) = self.get(Kind::PersistentVolumeClaim, ns, name)?
        else {
            return None;
        };
        let volume = c
            .spec
            .as_ref()
            .and_then(|s| s.volume_name.as_deref())
            .filter(|v| !v.is_empty())
            .and_then(|v| match self.get(Kind::PersistentVolume, "", v)? {
                Object::PersistentVolume(pv) => Some(&**pv),
                _ => None,
            });
        Some((&**c, volume))
    }

    /// A ConfigMap.
    pub fn config_map(&self, ns: &str, name: &str) -> Option<&ConfigMap> {
        match self.get(Kind::ConfigMap, ns, name)? {
            Object::ConfigMap(c) => Some(&**c),
            _ => None,
        }
    }

    /// A Secret.
    pub fn secret(&self, ns: &str, name: &str) -> Option<&Secret> {
        match self.get(Kind::Secret, ns, name)? {
            Object::Secret(s) => Some(&**s),
            _ => None,
        }
    }

    /// The Services of namespace `ns` (a range of the cache: what else it
    /// holds, and the other namespaces, are not looked at).
    fn services_in<'a>(&'a self, ns: &str) -> impl Iterator<Item = &'a Service> + 'a {
        let from = (Kind::Service, ns.to_owned(), String::new());
        let ns = ns.to_owned();
        self.objects
            .range(from..)
            .take_while(move |((k, n, _), _)| *k == Kind::Service && *n == ns)
            .filter_map(|(_, o)| match &**o {
                Object::Service(s) => Some(&**s),
                _ => None,
            })
    }
}

/// The text of a ConfigMap key (data, else binaryData as UTF-8).
pub fn config_map_value(cm: &ConfigMap, key: &str) -> Option<String> {
    cm.data
        .as_ref()
        .and_then(|d| d.get(key).cloned())
        .or_else(|| {
            cm.binary_data
                .as_ref()
                .and_then(|d| d.get(key))
                .map(|b| String::from_utf8_lossy(&b.0).into_owned())
        })
}

/// The decoded text of a Secret key.
pub fn secret_value(s: &Secret, key: &str) -> Option<String> {
    s.data
        .as_ref()
        .and_then(|d| d.get(key))
        .map(|b| String::from_utf8_lossy(&b.0).into_owned())
        .or_else(|| s.string_data.as_ref().and_then(|d| d.get(key).cloned()))
}

pub(crate) fn config_map_keys(cm: &ConfigMap) -> Vec<String> {
    let mut keys: Vec<String> = cm.data.iter().flatten().map(|(k, _)| k.clone()).collect();
    keys.extend(cm.binary_data.iter().flatten().map(|(k, _)| k.clone()));
    keys.sort();
    keys.dedup();
    keys
}

pub(crate) fn secret_keys(s: &Secret) -> Vec<String> {
    let mut keys: Vec<String> = s.data.iter().flatten().map(|(k, _)| k.clone()).collect();
    keys.extend(s.string_data.iter().flatten().map(|(k, _)| k.clone()));
    keys.sort();
    keys.dedup();
    keys
}

/// An ordered environment where a redefinition replaces in place.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvList(pub Vec<(String, String)>);

impl EnvList {
    /// Sets `name`, in place when already present (containerd `replaceOrAppendEnvValues`).
    pub fn set(&mut self, name: &str, value: String) {
        match self.0.iter_mut().find(|(k, _)| k == name) {
            Some(entry) => entry.1 = value,
            None => self.0.push((name.to_owned(), value)),
        }
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the kubelet knows about the pod when it starts a container.
pub struct PodContext<'a> {
    /// The pod.
    pub pod: &'a Pod,
    /// The pod IP (empty while none).
    pub pod_ip: &'a str,
    /// The node's InternalIP.
    pub host_ip: &'a str,
    /// The node name.
    pub node_name: &'a str,
}

/// The hostname of the pod's containers: `spec.hostname`, else the pod name
/// (the node name for hostNetwork pods).
pub fn pod_hostname(pod: &Pod, node_name: &str) -> String {
    let spec = pod.spec.as_ref();
    if spec.and_then(|s| s.host_network).unwrap_or(false) {
        return node_name.to_owned();
    }
    spec.and_then(|s| s.hostname.clone())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| pod.metadata.name.clone().unwrap_or_default())
}

/// `makeEnvVariableName`: upper case, `-` → `_`.
fn env_name(s: &str) -> String {
    s.to_ascii_uppercase().replace('-', "_")
}

/// The service-link variables of one Service (envvars.FromServices).
fn service_vars(svc: &Service, out: &mut Vec<(String, String)>) {
    let Some(spec) = svc.spec.as_ref() else {
        return;
    };
    let ip = spec.cluster_ip.clone().unwrap_or_default();
    if ip.is_empty() || ip == "None" {
        return;
    }
    let ports = spec.ports.clone().unwrap_or_default();
    let Some(first) = ports.first() else {
        return;
    };
    let prefix = env_name(svc.metadata.name.as_deref().unwrap_or_default());
    out.push((format!("{prefix}_SERVICE_HOST"), ip.clone()));
    let port_name = format!("{prefix}_SERVICE_PORT");
    out.push((port_name.clone(), first.port.to_string()));
    for p in &ports {
        if let Some(n) = p.name.as_deref().filter(|n| !n.is_empty()) {
            out.push((format!("{port_name}_{}", env_name(n)), p.port.to_string()));
        }
    }
    for (i, p) in ports.iter().enumerate() {
        let proto = p.protocol.clone().unwrap_or_else(|| "TCP".into());
        let lower = proto.to_ascii_lowercase();
        let url = format!("{lower}://{ip}:{}", p.port);
        if i == 0 {
            out.push((format!("{prefix}_PORT"), url.clone()));
        }
        let pp = format!("{prefix}_PORT_{}_{}", p.port, proto.to_ascii_uppercase());
        out.push((pp.clone(), url));
        out.push((format!("{pp}_PROTO"), lower));
        out.push((format!("{pp}_PORT"), p.port.to_string()));
        out.push((format!("{pp}_ADDR"), ip.clone()));
    }
}

/// The service environment (kubelet `getServiceEnvVarMap`): the `kubernetes`
/// Service of `default` always, and with `enableServiceLinks` every Service of
/// the pod's namespace, sorted by name.
fn service_env(cache: &ConfigCache, ns: &str, links: bool) -> Vec<(String, String)> {
    let mut chosen: BTreeMap<String, &Service> = BTreeMap::new();
    if links {
        for s in cache.services_in(ns) {
            chosen.insert(s.metadata.name.clone().unwrap_or_default(), s);
        }
    }
    if let Some(Object::Service(k)) = cache.get(Kind::Service, "default", "kubernetes") {
        chosen.entry("kubernetes".to_owned()).or_insert(k);
    }
    let mut out = Vec::new();
    for s in chosen.values() {
        service_vars(s, &mut out);
    }
    out
}

/// `$(VAR)` expansion (third_party/forked/golang/expansion): known
/// references are replaced, `$$` escapes, unknown references stay as written.
fn expand(input: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let bytes: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == '$' && i + 1 < bytes.len() {
            match bytes[i + 1] {
                '$' => {
                    out.push('$');
                    i += 2;
                    continue;
                }
                '(' => {
                    if let Some(end) = bytes[i + 2..].iter().position(|&c| c == ')') {
                        let name: String = bytes[i + 2..i + 2 + end].iter().collect();
                        match lookup(&name) {
                            Some(v) => out.push_str(&v),
                            None => {
                                out.push_str("$(");
                                out.push_str(&name);
                                out.push(')');
                            }
                        }
                        i += end + 3;
                        continue;
                    }
                }
                _ => {}
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Why the kubelet cannot build a container's configuration: the container
/// waits in `CreateContainerConfigError` with this message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContainerConfigError {
    /// A ConfigMap the environment names does not exist.
    #[error("configmap \"{name}\" not found")]
    ConfigMapNotFound {
        /// The ConfigMap.
        name: String,
    },
    /// A Secret the environment names does not exist.
    #[error("secret \"{name}\" not found")]
    SecretNotFound {
        /// The Secret.
        name: String,
    },
    /// A key of a ConfigMap the environment names is missing.
    #[error("couldn't find key {key} in ConfigMap {namespace}/{name}")]
    ConfigMapKeyNotFound {
        /// The namespace.
        namespace: String,
        /// The ConfigMap.
        name: String,
        /// The key.
        key: String,
    },
    /// A key of a Secret the environment names is missing.
    #[error("couldn't find key {key} in Secret {namespace}/{name}")]
    SecretKeyNotFound {
        /// The namespace.
        namespace: String,
        /// The Secret.
        name: String,
        /// The key.
        key: String,
    },
    /// A `fieldRef` to a field the downward API does not offer.
    #[error("unsupported fieldPath: {path}")]
    UnsupportedFieldPath {
        /// The field path.
        path: String,
    },
}

/// `podFieldSelectorRuntimeValue`.
pub(crate) fn field_value(
    sel: &ObjectFieldSelector,
    ctx: &PodContext<'_>,
) -> Result<String, ContainerConfigError> {
    let meta = &ctx.pod.metadata;
    let spec = ctx.pod.spec.as_ref();
    let path = sel.field_path.as_str();
    let from_map = |m: &Option<BTreeMap<String, String>>, prefix: &str| {
        let key = path
            .strip_prefix(prefix)
            .and_then(|r| r.strip_suffix("']"))
            .unwrap_or_default();
        m.as_ref()
            .and_then(|m| m.get(key).cloned())
            .unwrap_or_default()
    };
    Ok(match path {
        "metadata.name" => meta.name.clone().unwrap_or_default(),
        "metadata.namespace" => meta.namespace.clone().unwrap_or_default(),
        "metadata.uid" => meta.uid.clone().unwrap_or_default(),
        "spec.nodeName" => ctx.node_name.to_owned(),
        "spec.serviceAccountName" => spec
            .and_then(|s| s.service_account_name.clone())
            .unwrap_or_default(),
        "status.hostIP" | "status.hostIPs" => ctx.host_ip.to_owned(),
        "status.podIP" | "status.podIPs" => ctx.pod_ip.to_owned(),
        p if p.starts_with("metadata.labels['") => from_map(&meta.labels, "metadata.labels['"),
        p if p.starts_with("metadata.annotations['") => {
            from_map(&meta.annotations, "metadata.annotations['")
        }
        p => return Err(ContainerConfigError::UnsupportedFieldPath { path: p.to_owned() }),
    })
}

/// The variables the kubelet passes to the runtime for `container`
/// (`makeEnvironmentVariables`), or the error that makes the container
/// `CreateContainerConfigError`.
pub fn kubelet_env(
    container: &Container,
    ctx: &PodContext<'_>,
    cache: &ConfigCache,
) -> Result<EnvList, ContainerConfigError> {
    let ns = ctx.pod.metadata.namespace.as_deref().unwrap_or("default");
    let config_map_missing = |name: &str| ContainerConfigError::ConfigMapNotFound {
        name: name.to_owned(),
    };
    let secret_missing = |name: &str| ContainerConfigError::SecretNotFound {
        name: name.to_owned(),
    };
    let links = ctx
        .pod
        .spec
        .as_ref()
        .and_then(|s| s.enable_service_links)
        .unwrap_or(true);
    let services = service_env(cache, ns, links);
    let mut tmp = EnvList::default();
    for src in container.env_from.iter().flatten() {
        let prefix = src.prefix.clone().unwrap_or_default();
        if let Some(r) = &src.config_map_ref {
            match cache.config_map(ns, &r.name) {
                Some(cm) => {
                    for k in config_map_keys(cm) {
                        let v = config_map_value(cm, &k).unwrap_or_default();
                        tmp.set(&format!("{prefix}{k}"), v);
                    }
                }
                None if r.optional == Some(true) => {}
                None => return Err(config_map_missing(&r.name)),
            }
        } else if let Some(r) = &src.secret_ref {
            match cache.secret(ns, &r.name) {
                Some(s) => {
                    for k in secret_keys(s) {
                        let v = secret_value(s, &k).unwrap_or_default();
                        tmp.set(&format!("{prefix}{k}"), v);
                    }
                }
                None if r.optional == Some(true) => {}
                None => return Err(secret_missing(&r.name)),
            }
        }
    }
    for var in container.env.iter().flatten() {
        let value = match (&var.value, &var.value_from) {
            (Some(v), _) if !v.is_empty() => {
                let lookup = |n: &str| {
                    tmp.get(n).map(str::to_owned).or_else(|| {
                        services
                            .iter()
                            .find(|(k, _)| k == n)
                            .map(|(_, v)| v.clone())
                    })
                };
                expand(v, &lookup)
            }
            (_, Some(from)) => {
                if let Some(f) = &from.field_ref {
                    field_value(f, ctx)?
                } else if let Some(r) = &from.config_map_key_ref {
                    let optional = r.optional == Some(true);
                    match cache.config_map(ns, &r.name) {
                        None if optional => continue,
                        None => return Err(config_map_missing(&r.name)),
                        Some(cm) => match config_map_value(cm, &r.key) {
                            Some(v) => v,
                            None if optional => continue,
                            None => {
                                return Err(ContainerConfigError::ConfigMapKeyNotFound {
                                    namespace: ns.to_owned(),
                                    name: r.name.clone(),
                                    key: r.key.clone(),
                                })
                            }
                        },
                    }
                } else if let Some(r) = &from.secret_key_ref {
                    let optional = r.optional == Some(true);
                    match cache.secret(ns, &r.name) {
                        None if optional => continue,
                        None => return Err(secret_missing(&r.name)),
                        Some(s) => match secret_value(s, &r.key) {
                            Some(v) => v,
                            None if optional => continue,
                            None => {
                                return Err(ContainerConfigError::SecretKeyNotFound {
                                    namespace: ns.to_owned(),
                                    name: r.name.clone(),
                                    key: r.key.clone(),
                                })
                            }
                        },
                    }
                } else {
                    String::new()
                }
            }
            _ => String::new(),
        };
        tmp.set(&var.name, value);
    }
    for (k, v) in services {
        if tmp.get(&k).is_none() {
            tmp.0.push((k, v));
        }
    }
    Ok(tmp)
}

/// The container process's environment as containerd builds it: default
/// `PATH`, `HOSTNAME`, the image `Env`, then the kubelet's variables.
pub fn container_env(image: &ImageProfile, hostname: &str, kubelet: &EnvList) -> EnvList {
    let mut env = EnvList::default();
    env.set("PATH", DEFAULT_PATH.to_owned());
    env.set("HOSTNAME", hostname.to_owned());
    for (k, v) in &image.env {
        env.set(k, v.clone());
    }
    for (k, v) in &kubelet.0 {
        env.set(k, v.clone());
    }
    env
}
