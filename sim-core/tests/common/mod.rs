//! Helpers shared by the sim-core integration tests: virtual instants, and
//! create / get requests sent to a cluster's API server as a test client.
//!
//! Each test binary compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::sync::Arc;

use serde_json::Value;
use sim_core::api::{Kind, Object, ObjectKey};
use sim_core::apiserver::{ApiResult, Request, Response};
use sim_core::cluster::Cluster;
use sim_core::{SimDuration, SimTime};

/// The instant `secs` seconds after the start of the run.
pub(crate) fn at(secs: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs(secs)
}

/// The object an API request answered with; panics on anything else.
pub(crate) fn ok(result: ApiResult) -> Arc<Object> {
    match result {
        Ok(Response::Object(o)) => o,
        other => panic!("request failed: {other:?}"),
    }
}

/// Creates the object `v` describes, of `kind`, as the client "test".
pub(crate) fn create(c: &mut Cluster, kind: Kind, v: Value) -> Arc<Object> {
    let obj = kind.decode(&v).expect("test object decodes");
    ok(c.request("test", Request::Create(obj)))
}

/// Deletes an object (with its default grace period) as the client "test".
pub(crate) fn delete(c: &mut Cluster, kind: Kind, namespace: &str, name: &str) {
    let result = c.request(
        "test",
        Request::Delete {
            key: ObjectKey::new(kind, namespace, name),
            options: Default::default(),
        },
    );
    assert!(
        matches!(result, Ok(Response::Deleted { .. } | Response::Object(_))),
        "delete failed: {result:?}"
    );
}

/// The pod `name` in namespace default, read through the API server.
pub(crate) fn get_pod(c: &mut Cluster, name: &str) -> Value {
    ok(c.request(
        "test",
        Request::Get(ObjectKey::new(Kind::Pod, "default", name)),
    ))
    .to_json()
}

/// The messages of the Events of `reason` about object `name` in namespace
/// default.
pub(crate) fn event_messages(c: &Cluster, name: &str, reason: &str) -> Vec<String> {
    c.etcd()
        .list(Kind::Event, Some("default"))
        .iter()
        .map(|e| e.to_json())
        .filter(|e| e["involvedObject"]["name"] == name && e["reason"] == reason)
        .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The cluster IP of Service `name` in namespace default.
pub(crate) fn cluster_ip(c: &Cluster, name: &str) -> String {
    cluster_ip_in(c, "default", name)
}

/// The cluster IP of Service `namespace/name`.
pub(crate) fn cluster_ip_in(c: &Cluster, namespace: &str, name: &str) -> String {
    c.etcd()
        .get(Kind::Service, namespace, name)
        .and_then(|o| match &**o {
            Object::Service(s) => s.spec.as_ref()?.cluster_ip.clone(),
            _ => None,
        })
        .expect("the Service has a cluster IP")
}

/// The IP of pod `name` in namespace default.
pub(crate) fn pod_ip(c: &Cluster, name: &str) -> String {
    c.etcd()
        .get(Kind::Pod, "default", name)
        .and_then(|o| o.as_pod()?.status.as_ref()?.pod_ip.clone())
        .expect("the pod has an IP")
}

/// Runs `command` in container `container` of pod `pod` (namespace
/// default) as the client "test": (stdout, stderr, status).
pub(crate) fn exec_in(
    c: &mut Cluster,
    pod: &str,
    container: &str,
    command: &[&str],
) -> (String, String, i32) {
    let out = c
        .exec(
            "test",
            sim_core::components::kubelet::ExecRequest {
                namespace: "default".into(),
                pod: pod.into(),
                container: container.into(),
                command: command.iter().map(|s| (*s).to_owned()).collect(),
                ..Default::default()
            },
        )
        .expect("exec");
    (out.stdout, out.stderr, out.status)
}

/// Scales Deployment `kube-system/coredns` to `replicas` (a merge patch
/// as the client "test").
pub(crate) fn scale_coredns(c: &mut Cluster, replicas: u32) {
    let result = c.request(
        "test",
        Request::Patch {
            key: ObjectKey::new(Kind::Deployment, "kube-system", "coredns"),
            patch: serde_json::json!({"spec": {"replicas": replicas}}),
        },
    );
    assert!(result.is_ok(), "{result:?}");
}

/// Service `web` (pods labelled `app: web`, port 80) of type NodePort on
/// 30080, in namespace default.
pub(crate) fn web_node_port(c: &mut Cluster) {
    create(
        c,
        Kind::Service,
        serde_json::json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "web", "namespace": "default"},
               "spec": {"type": "NodePort", "selector": {"app": "web"},
                        "ports": [{"port": 80, "nodePort": 30080}]}}),
    );
}
