//! Objects and clock helpers shared by the describe unit tests.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, Event, EventSource, Node, NodeAddress, NodeCondition, NodeSpec, NodeStatus,
    NodeSystemInfo, ObjectReference, Pod, PodSpec, ResourceRequirements, Taint,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;

use super::resources::ResourceList;

/// The tests' "now", in seconds since the epoch.
pub(super) const NOW: i64 = 1_750_000_000; // Sun, 15 Jun 2025 15:06:40 +0000

/// [`NOW`] as a timestamp.
pub(super) fn now() -> Timestamp {
    Timestamp::from_second(NOW).unwrap()
}

/// The time `secs` seconds before [`NOW`].
pub(super) fn ago(secs: i64) -> Time {
    Time(Timestamp::from_second(NOW - secs).unwrap())
}

/// A string map (labels, annotations) from pairs.
pub(super) fn map(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// A resource list from (name, quantity text) pairs.
pub(super) fn q(pairs: &[(&str, &str)]) -> Option<ResourceList> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), K8sQuantity(v.to_string())))
            .collect(),
    )
}

/// A Normal event in `default` with its first and last times, count and source component.
pub(super) fn event(
    name: &str,
    reason: &str,
    msg: &str,
    first_ago: i64,
    last_ago: i64,
    count: i32,
    from: &str,
) -> Event {
    Event {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("default".into()),
            ..Default::default()
        },
        involved_object: ObjectReference::default(),
        reason: Some(reason.into()),
        message: Some(msg.into()),
        type_: Some("Normal".into()),
        source: Some(EventSource {
            component: Some(from.into()),
            host: None,
        }),
        first_timestamp: Some(ago(first_ago)),
        last_timestamp: Some(ago(last_ago)),
        count: Some(count),
        ..Default::default()
    }
}

/// A one-container pod on `kind-control-plane` with the given requests and limits.
pub(super) fn res_pod(
    ns: &str,
    name: &str,
    age_secs: i64,
    req: &[(&str, &str)],
    lim: &[(&str, &str)],
) -> Pod {
    Pod {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(ns.into()),
            creation_timestamp: Some(ago(age_secs)),
            ..Default::default()
        },
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "c".into(),
                resources: Some(ResourceRequirements {
                    requests: if req.is_empty() { None } else { q(req) },
                    limits: if lim.is_empty() { None } else { q(lim) },
                    ..Default::default()
                }),
                ..Default::default()
            }],
            node_name: Some("kind-control-plane".into()),
            ..Default::default()
        }),
        status: None,
    }
}

/// A kind control-plane node with its conditions, addresses, capacity and system info.
pub(super) fn control_plane() -> Node {
    let cond = |t: &str, s: &str, reason: &str, msg: &str| NodeCondition {
        type_: t.into(),
        status: s.into(),
        last_heartbeat_time: Some(ago(20)),
        last_transition_time: Some(ago(3600)),
        reason: Some(reason.into()),
        message: Some(msg.into()),
    };
    let resources = q(&[
        ("cpu", "8"),
        ("ephemeral-storage", "102626232Ki"),
        ("hugepages-1Gi", "0"),
        ("hugepages-2Mi", "0"),
        ("memory", "16331208Ki"),
        ("pods", "110"),
    ]);
    Node {
        metadata: ObjectMeta {
            name: Some("kind-control-plane".into()),
            uid: Some("7d1b6c1e".into()),
            labels: map(&[
                ("kubernetes.io/arch", "amd64"),
                ("kubernetes.io/hostname", "kind-control-plane"),
                ("node-role.kubernetes.io/control-plane", ""),
            ]),
            annotations: map(&[
                (
                    "kubeadm.alpha.kubernetes.io/cri-socket",
                    "unix:///run/containerd/containerd.sock",
                ),
                ("node.alpha.kubernetes.io/ttl", "0"),
            ]),
            creation_timestamp: Some(ago(3600)),
            ..Default::default()
        },
        spec: Some(NodeSpec {
            pod_cidr: Some("10.244.0.0/24".into()),
            pod_cidrs: Some(vec!["10.244.0.0/24".into()]),
            provider_id: Some("kind://docker/kind/kind-control-plane".into()),
            taints: Some(vec![Taint {
                effect: "NoSchedule".into(),
                key: "node-role.kubernetes.io/control-plane".into(),
                time_added: None,
                value: None,
            }]),
            ..Default::default()
        }),
        status: Some(NodeStatus {
            conditions: Some(vec![
                cond(
                    "MemoryPressure",
                    "False",
                    "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available",
                ),
                cond(
                    "Ready",
                    "True",
                    "KubeletReady",
                    "kubelet is posting ready status",
                ),
            ]),
            addresses: Some(vec![
                NodeAddress {
                    type_: "InternalIP".into(),
                    address: "172.18.0.2".into(),
                },
                NodeAddress {
                    type_: "Hostname".into(),
                    address: "kind-control-plane".into(),
                },
            ]),
            capacity: resources.clone(),
            allocatable: resources,
            node_info: Some(NodeSystemInfo {
                machine_id: "b0d5f1c2".into(),
                system_uuid: "3f0e9a7b".into(),
                boot_id: "e4c1a9d8".into(),
                kernel_version: "6.8.0-1021-azure".into(),
                os_image: "Debian GNU/Linux 12 (bookworm)".into(),
                operating_system: "linux".into(),
                architecture: "amd64".into(),
                container_runtime_version: "containerd://2.1.1".into(),
                kubelet_version: "v1.33.1".into(),
                kube_proxy_version: "".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
    }
}
