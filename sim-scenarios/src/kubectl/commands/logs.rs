//! `kubectl logs`: kubectl's checks (the container, whether it started),
//! then the lines from the kubelet of the pod's node (`pods/log`): the
//! image's start-up lines stamped with the run's start, and what its server
//! logged since.

use k8s_openapi::api::core::v1::Container;
use sim_core::api::{ApiError, Kind, ObjectKey, Reason};
use sim_core::cluster::Cluster;

use super::first_pod::pod_for;
use crate::kubectl::client::{default_container, get_object};
use crate::kubectl::outcome::Outcome;

pub(crate) fn logs(
    cluster: &mut Cluster,
    out: &mut Outcome,
    pod_ref: &str,
    container: Option<&str>,
    tail: i64,
    ns: &str,
) {
    // A workload's logs are those of its most active pod, as kubectl
    // picks it (with its note when there are several).
    let (name, found) = match pod_for(cluster, pod_ref, ns) {
        Ok(p) => p,
        Err(e) => return out.fail(e),
    };
    if found > 1 {
        out.line(format!("Found {found} pods, using pod/{name}"));
    }
    let name = name.as_str();
    let key = ObjectKey::new(Kind::Pod, ns, name);
    let pod = match get_object(cluster, &key) {
        Ok(o) => o,
        Err(e) => return out.error(&e),
    };
    let Some(p) = pod.as_pod() else { return };
    let containers: Vec<&Container> = p
        .spec
        .as_ref()
        .map(|s| s.containers.iter().collect())
        .unwrap_or_default();
    let chosen = match container {
        Some(c) => match containers.iter().find(|x| x.name == c) {
            Some(x) => *x,
            None => {
                out.error(&ApiError::new(
                    Reason::BadRequest,
                    format!("container {c} is not valid for pod {name}"),
                ));
                return;
            }
        },
        None => {
            let Some(name) = default_container(p, out) else {
                return;
            };
            match containers.iter().find(|x| x.name == name) {
                Some(x) => *x,
                None => return,
            }
        }
    };
    let status = p
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.name == chosen.name));
    let started = status.is_some_and(|s| {
        s.state
            .as_ref()
            .is_some_and(|st| st.running.is_some() || st.terminated.is_some())
            || s.last_state
                .as_ref()
                .is_some_and(|l| l.terminated.is_some())
    });
    if !started {
        let reason = status
            .and_then(|s| s.state.as_ref())
            .and_then(|st| st.waiting.as_ref())
            .and_then(|w| w.reason.clone())
            .unwrap_or_else(|| "ContainerCreating".into());
        out.error(&ApiError::new(
            Reason::BadRequest,
            format!(
                "container \"{}\" in pod \"{name}\" is waiting to start: {reason}",
                chosen.name
            ),
        ));
        return;
    }
    // The kubelet of the pod's node has the lines (pods/log).
    let node = p
        .spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .unwrap_or_default();
    let lines = match cluster.container_log(&node, ns, name, &chosen.name) {
        Ok(lines) => lines,
        Err(line) => return out.fail(line),
    };
    let skip = if tail >= 0 {
        lines
            .len()
            .saturating_sub(usize::try_from(tail).unwrap_or(0))
    } else {
        0
    };
    for l in lines.iter().skip(skip) {
        out.line(l);
    }
}
