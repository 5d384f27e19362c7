//! `kubectl describe`: pods, nodes, namespaces, deployments and jobs with their Events.

use std::sync::Arc;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use sim_core::api::fields::FieldSelector;
use sim_core::api::labels::Selector;
use sim_core::api::{ApiError, Kind, Object};
use sim_core::cluster::Cluster;
use sim_report::printers::{self};

use crate::kubectl::resources::Target;

use crate::kubectl::client::{list, now_ts};
use crate::kubectl::outcome::Outcome;

pub(crate) fn events_for(
    cluster: &Cluster,
    obj: &Object,
) -> Vec<k8s_openapi::api::core::v1::Event> {
    let ns = if obj.namespace().is_empty() {
        "default"
    } else {
        obj.namespace()
    };
    cluster
        .etcd()
        .list(Kind::Event, Some(ns))
        .iter()
        .filter_map(|e| match &**e {
            Object::Event(ev) if ev.involved_object.uid.as_deref() == Some(obj.uid()) => {
                Some((**ev).clone())
            }
            _ => None,
        })
        .collect()
}

pub(crate) fn describe(
    cluster: &mut Cluster,
    out: &mut Outcome,
    targets: &[Target],
    ns: &str,
    all_namespaces: bool,
    selector: Selector,
) {
    let now = now_ts(cluster);
    for t in targets {
        let scope = (!all_namespaces && t.kind.namespaced()).then(|| ns.to_owned());
        let candidates = match list(
            cluster,
            t.kind,
            scope,
            selector.clone(),
            FieldSelector::everything(),
        ) {
            Ok(c) => c,
            Err(e) => {
                out.error(&e);
                continue;
            }
        };
        let chosen: Vec<&Arc<Object>> = match &t.name {
            Some(name) => {
                let exact: Vec<_> = candidates.iter().filter(|o| o.name() == name).collect();
                if exact.is_empty() {
                    candidates
                        .iter()
                        .filter(|o| o.name().starts_with(name.as_str()))
                        .collect()
                } else {
                    exact
                }
            }
            None => candidates.iter().collect(),
        };
        if chosen.is_empty() {
            match &t.name {
                Some(name) => out.error(&ApiError::not_found(t.kind, name)),
                None => out.line(printers::no_resources_message(
                    (t.kind.namespaced() && !all_namespaces).then_some(ns),
                )),
            }
            continue;
        }
        for (i, o) in chosen.iter().enumerate() {
            if i > 0 {
                out.line("\n");
            }
            match render(cluster, o, now) {
                Some(text) => out.output.push_str(&text),
                None => {
                    out.line(format!(
                        "error: kubesim does not describe {} yet; use kubectl get {} {} -o yaml",
                        o.kind().plural(),
                        o.kind().plural(),
                        o.name()
                    ));
                    out.exit_code = 1;
                }
            }
        }
    }
}

/// What `kubectl describe` prints for one object; None for a kind kubesim
/// does not describe.
fn render(cluster: &Cluster, o: &Arc<Object>, now: k8s_openapi::jiff::Timestamp) -> Option<String> {
    let events = events_for(cluster, o);
    let ev_refs: Vec<&k8s_openapi::api::core::v1::Event> = events.iter().collect();
    Some(match &**o {
        Object::Pod(p) => sim_report::describe::describe_pod(p, &ev_refs, now),
        Object::Namespace(n) => sim_report::describe::describe_namespace(n),
        Object::Node(n) => {
            let pods: Vec<k8s_openapi::api::core::v1::Pod> = cluster
                .etcd()
                .list(Kind::Pod, None)
                .iter()
                .filter_map(|p| p.as_pod().cloned())
                .filter(|p| {
                    p.spec.as_ref().and_then(|s| s.node_name.as_deref())
                        == n.metadata.name.as_deref()
                })
                .filter(|p| {
                    !matches!(
                        p.status.as_ref().and_then(|s| s.phase.as_deref()),
                        Some("Succeeded" | "Failed")
                    )
                })
                .collect();
            let pod_refs: Vec<&k8s_openapi::api::core::v1::Pod> = pods.iter().collect();
            let lease = cluster
                .etcd()
                .get(Kind::Lease, "kube-node-lease", o.name())
                .and_then(|l| match &**l {
                    Object::Lease(l) => Some((**l).clone()),
                    _ => None,
                });
            sim_report::describe::describe_node(n, &pod_refs, lease.as_ref(), &ev_refs, now)
        }
        Object::Deployment(d) => {
            let rss: Vec<k8s_openapi::api::apps::v1::ReplicaSet> = cluster
                .etcd()
                .list(Kind::ReplicaSet, Some(o.namespace()))
                .iter()
                .filter(|r| {
                    sim_core::api::meta::controller_of(r.meta()).is_some_and(|c| c.uid == o.uid())
                })
                .filter_map(|r| match &**r {
                    Object::ReplicaSet(rs) => Some((**rs).clone()),
                    _ => None,
                })
                .collect();
            let template = d.spec.as_ref().map(|s| s.template.clone());
            let strip = |t: &PodTemplateSpec| {
                let mut t = t.clone();
                if let Some(l) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
                    l.remove("pod-template-hash");
                }
                t
            };
            let new_rs = rss.iter().find(|rs| {
                rs.spec
                    .as_ref()
                    .and_then(|s| s.template.as_ref())
                    .map(strip)
                    == template.as_ref().map(strip)
            });
            let old: Vec<&k8s_openapi::api::apps::v1::ReplicaSet> =
                rss.iter().filter(|rs| Some(*rs) != new_rs).collect();
            sim_report::describe::describe_deployment(d, &old, new_rs, &ev_refs, now)
        }
        Object::Job(j) => sim_report::describe::describe_job(j, &ev_refs, now),
        Object::PersistentVolume(pv) => {
            sim_report::describe::describe_persistent_volume(pv, &ev_refs, now)
        }
        Object::PersistentVolumeClaim(pvc) => {
            let pods: Vec<k8s_openapi::api::core::v1::Pod> = cluster
                .etcd()
                .list(Kind::Pod, Some(o.namespace()))
                .iter()
                .filter_map(|p| p.as_pod().cloned())
                .collect();
            let pod_refs: Vec<&k8s_openapi::api::core::v1::Pod> = pods.iter().collect();
            sim_report::describe::describe_persistent_volume_claim(pvc, &pod_refs, &ev_refs, now)
        }
        _ => return None,
    })
}
