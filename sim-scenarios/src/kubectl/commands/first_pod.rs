//! The pod a `POD` or `TYPE/NAME` argument of `kubectl exec` and `kubectl
//! logs` names (kubectl's `AttachablePodForObject`).

use sim_core::api::conditions;
use sim_core::api::fields::FieldSelector;
use sim_core::api::labels::{Selector, SelectorError};
use sim_core::api::{ApiError, Kind, Object, ObjectKey};
use sim_core::cluster::Cluster;

use crate::kubectl::client::{get_object, list};

/// Why kubectl finds no pod for its argument, in kubectl's words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PodForError {
    /// A kind kubesim's exec does not take.
    #[error("error: cannot attach to {kind}/{name}: kubesim takes pods, deployments and replicasets here")]
    NotAttachable {
        /// The kind as written.
        kind: String,
        /// The name.
        name: String,
    },
    /// The workload could not be read.
    #[error("{}", .0.kubectl_line())]
    Server(#[from] ApiError),
    /// The workload's selector is not a valid label selector.
    #[error("error: {0}")]
    Selector(#[from] SelectorError),
    /// The workload has no pod (kubectl waits for one, then gives up).
    #[error("error: timed out waiting for the condition")]
    NoPod,
}

/// The pod a `POD` or `TYPE/NAME` argument names. For a Deployment or
/// ReplicaSet, kubectl's `GetFirstPod` with `sort.Reverse(ActivePods)`: the
/// most active of its pods (assigned, Running, Ready, fewest restarts, oldest).
pub(crate) fn pod_for(
    cluster: &mut Cluster,
    arg: &str,
    ns: &str,
) -> Result<(String, usize), PodForError> {
    let Some((kind, name)) = arg.split_once('/') else {
        return Ok((arg.to_owned(), 1));
    };
    let kind = match kind {
        "pod" | "pods" | "po" => return Ok((name.to_owned(), 1)),
        "deployment" | "deployments" | "deploy" | "deployment.apps" => Kind::Deployment,
        "replicaset" | "replicasets" | "rs" | "replicaset.apps" => Kind::ReplicaSet,
        other => {
            return Err(PodForError::NotAttachable {
                kind: other.to_owned(),
                name: name.to_owned(),
            })
        }
    };
    let obj = get_object(cluster, &ObjectKey::new(kind, ns, name))?;
    let labels = match &*obj {
        Object::Deployment(d) => d
            .spec
            .as_ref()
            .and_then(|s| s.selector.match_labels.clone()),
        Object::ReplicaSet(r) => r
            .spec
            .as_ref()
            .and_then(|s| s.selector.match_labels.clone()),
        _ => None,
    }
    .unwrap_or_default();
    let selector = Selector::from_map(&labels)?;
    let pods = list(
        cluster,
        Kind::Pod,
        Some(ns.to_owned()),
        selector,
        FieldSelector::default(),
    )?;
    let rank = |o: &Object| {
        let p = o.as_pod().cloned().unwrap_or_default();
        let st = p.status.clone().unwrap_or_default();
        let assigned = p.spec.as_ref().and_then(|s| s.node_name.clone()).is_some();
        let phase = match st.phase.as_deref() {
            Some("Running") => 2,
            Some("Unknown") => 1,
            _ => 0,
        };
        let ready = conditions::is_pod_ready(&p);
        let restarts: i32 = st
            .container_statuses
            .iter()
            .flatten()
            .map(|c| c.restart_count)
            .sum();
        let created = p.metadata.creation_timestamp.clone().map(|t| t.0);
        (
            std::cmp::Reverse(assigned),
            std::cmp::Reverse(phase),
            std::cmp::Reverse(ready),
            restarts,
            created,
            o.name().to_owned(),
        )
    };
    pods.iter()
        .min_by_key(|p| rank(p))
        .map(|p| (p.name().to_owned(), pods.len()))
        .ok_or(PodForError::NoPod)
}
