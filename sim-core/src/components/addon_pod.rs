//! The pods of an add-on image as the add-on's own process reads them
//! (the ingress-nginx status sync, the NFS provisioner): the container
//! that runs the add-on, whether it runs, and the pod's age, by which the
//! model elects the add-on's leader (the oldest pod whose container runs).

use k8s_openapi::api::core::v1::{Container, Pod};

/// The pod's container whose image `is_addon` recognizes.
pub(crate) fn addon_container(pod: &Pod, is_addon: impl Fn(&str) -> bool) -> Option<&Container> {
    pod.spec
        .as_ref()?
        .containers
        .iter()
        .find(|c| c.image.as_deref().is_some_and(&is_addon))
}

/// True while container `name` of the pod is running, as its status says.
pub(crate) fn container_running(pod: &Pod, name: &str) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .into_iter()
        .flatten()
        .any(|c| c.name == name && c.state.as_ref().is_some_and(|s| s.running.is_some()))
}

/// `metadata.creationTimestamp` as text (RFC 3339: orders as time).
pub(crate) fn created(pod: &Pod) -> String {
    pod.metadata
        .creation_timestamp
        .as_ref()
        .map(|t| t.0.to_string())
        .unwrap_or_default()
}
