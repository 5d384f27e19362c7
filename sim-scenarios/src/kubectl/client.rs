//! kubectl as a client of the API server: its name in requests, the
//! requests every command makes (get, list, create) and the conventions they
//! share (namespaces of objects from files, `TYPE/NAME` references, the
//! default container of a pod).

use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use sim_core::api::fields::FieldSelector;
use sim_core::api::labels::{Selector, SelectorError};
use sim_core::api::meta::timestamp;
use sim_core::api::{ApiError, Kind, Object, ObjectKey};
use sim_core::apiserver::{Request, Response};
use sim_core::cluster::Cluster;

use super::outcome::Outcome;
use super::resources::ResourceError;

/// The client name of every request kubectl makes.
pub(crate) const CLIENT: &str = "kubectl";
use sim_core::api::annotations;
/// The annotation `kubectl apply` keeps the applied configuration in.
pub(crate) use sim_core::api::annotations::LAST_APPLIED;

/// GET one object as kubectl (the client every command shares); an answer
/// without an object counts as NotFound.
pub(crate) fn get_object(cluster: &mut Cluster, key: &ObjectKey) -> Result<Arc<Object>, ApiError> {
    match cluster.request(CLIENT, Request::Get(key.clone()))? {
        Response::Object(o) => Ok(o),
        _ => Err(ApiError::not_found(key.kind, &key.name)),
    }
}

/// Why kubectl could not find the objects a command names, as kubectl
/// prints it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LookupError {
    /// The resource arguments do not resolve.
    #[error(transparent)]
    Resource(#[from] ResourceError),
    /// The API server refused a request.
    #[error("{}", .0.kubectl_line())]
    Server(#[from] ApiError),
    /// `-l` does not parse.
    #[error("error: {0}")]
    Selector(#[from] SelectorError),
    /// A type with neither names, nor `-l`, nor `--all`.
    #[error("error: resource(s) were provided, but no name was specified")]
    NoName,
}

/// An object from a file whose namespace is not the one of `-n`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("error: the namespace from the provided object \"{object}\" does not match the namespace \"{flag}\". You must pass '--namespace={object}' to perform this operation.")]
pub(crate) struct NamespaceMismatch {
    /// The namespace written in the object.
    pub object: String,
    /// The namespace of `-n`.
    pub flag: String,
}

/// Gives an object read from a file the namespace of `-n` (or `default`),
/// refusing a different namespace written in the object, as kubectl does.
pub(crate) fn set_namespace(obj: &mut Object, flag: Option<&str>) -> Result<(), NamespaceMismatch> {
    if !obj.kind().namespaced() {
        return Ok(());
    }
    let own = obj.meta().namespace.clone().filter(|n| !n.is_empty());
    match (own, flag) {
        (Some(o), Some(f)) if o != f => Err(NamespaceMismatch {
            object: o,
            flag: f.to_owned(),
        }),
        (Some(_), _) => Ok(()),
        (None, f) => {
            obj.meta_mut().namespace = Some(f.unwrap_or("default").to_owned());
            Ok(())
        }
    }
}

/// `deployment.apps/web`: how kubectl names an object it acted on.
pub(crate) fn kind_ref(obj: &Object) -> String {
    format!("{}/{}", obj.kind().qualified_singular(), obj.name())
}

/// Creates an object and prints `TYPE/NAME created`, or the server's error.
pub(crate) fn created(cluster: &mut Cluster, out: &mut Outcome, obj: Object) {
    match cluster.request(CLIENT, Request::Create(obj)) {
        Ok(resp) => {
            if let Some(o) = resp.object() {
                out.line(format!("{} created", kind_ref(o)));
            }
        }
        Err(e) => out.error(&e),
    }
}

/// LIST objects as kubectl; the server's error (ServiceUnavailable while
/// the API server is stopped, ...) is the caller's to print.
pub(crate) fn list(
    cluster: &mut Cluster,
    kind: Kind,
    namespace: Option<String>,
    labels: Selector,
    fields: FieldSelector,
) -> Result<Vec<Arc<Object>>, ApiError> {
    match cluster.request(
        CLIENT,
        Request::List {
            kind,
            namespace,
            labels,
            fields,
        },
    )? {
        Response::List { items, .. } => Ok(items),
        _ => Ok(Vec::new()),
    }
}

/// The cluster's virtual time as an API timestamp.
pub(crate) fn now_ts(cluster: &Cluster) -> k8s_openapi::jiff::Timestamp {
    timestamp(cluster.now())
}

/// The names kubectl lists in its "Defaulted container" line
/// (podcmd.AllContainerNames): containers, then `name (init)`, then `name (ephem)`.
fn all_container_names(pod: &Pod) -> String {
    let Some(spec) = pod.spec.as_ref() else {
        return String::new();
    };
    let mut names: Vec<String> = spec.containers.iter().map(|c| c.name.clone()).collect();
    names.extend(
        spec.init_containers
            .iter()
            .flatten()
            .map(|c| format!("{} (init)", c.name)),
    );
    names.extend(
        spec.ephemeral_containers
            .iter()
            .flatten()
            .map(|c| format!("{} (ephem)", c.name)),
    );
    names.join(", ")
}

/// kubectl's default container (podcmd.FindOrDefaultContainerByName): the
/// `kubectl.kubernetes.io/default-container` annotation, else the first
/// container, with the "Defaulted container" line when there is a choice.
pub(crate) fn default_container(pod: &Pod, out: &mut Outcome) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    if let Some(name) = annotations::get(&pod.metadata, annotations::DEFAULT_CONTAINER) {
        if spec.containers.iter().any(|c| c.name == name) {
            return Some(name.to_owned());
        }
        out.line(format!(
            "Warning: default container name \"{name}\" not found in pod {}",
            pod.metadata.name.as_deref().unwrap_or_default()
        ));
    }
    let first = spec.containers.first()?;
    let others = spec.containers.len() > 1
        || spec.init_containers.as_ref().is_some_and(|v| !v.is_empty())
        || spec
            .ephemeral_containers
            .as_ref()
            .is_some_and(|v| !v.is_empty());
    if others {
        out.line(format!(
            "Defaulted container \"{}\" out of: {}",
            first.name,
            all_container_names(pod)
        ));
    }
    Some(first.name.clone())
}
