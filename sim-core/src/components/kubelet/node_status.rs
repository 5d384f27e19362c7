//! The node as the kubelet reports it (`kubelet_node_status.go`,
//! `nodestatus/setters.go`, `nodelease`): registration with the real labels
//! and annotations, capacity and allocatable (allocatable keeps back the
//! default hard eviction threshold `memory.available<100Mi` and 10 % of
//! ephemeral storage), conditions, addresses, node info and images; the
//! Lease renewed every 10 s; status posted when it changes or every 5 min;
//! the mirror pods of the static pods.

use std::collections::BTreeMap;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{
    ContainerImage, DaemonEndpoint, Node, NodeAddress, NodeCondition, NodeDaemonEndpoints,
    NodeSpec, NodeStatus, NodeSystemInfo,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::pod_worker::{self};
use super::{Kubelet, KubeletTag, Timer};
use crate::api::meta::{micro_time, owner_reference, time};
use crate::api::resources::Resources;
use crate::api::Object;
use crate::apiserver::{ApiResult, Request, Response};
use crate::components::Ctx;
use crate::components::Tag;
use crate::config::KUBERNETES_VERSION;
use crate::time::{SimDuration, SimTime};

/// Memory the kubelet keeps back from allocatable: the default hard eviction
/// threshold `memory.available<100Mi`.
const EVICTION_HARD_MEMORY_BYTES: i64 = 100 * 1024 * 1024;

impl Kubelet {
    /// What pods may use of the node: capacity less the default hard
    /// eviction thresholds (`memory.available<100Mi`,
    /// `nodefs.available<10%`); no system or kube reservations.
    pub(super) fn allocatable(&self) -> Resources {
        let cap = &self.node_config.capacity;
        Resources {
            cpu_millis: cap.cpu_millis,
            memory_bytes: cap.memory_bytes - EVICTION_HARD_MEMORY_BYTES,
            ephemeral_storage_bytes: cap.ephemeral_storage_bytes / 10 * 9,
            pods: cap.pods,
        }
    }

    /// The labels the kubelet registers its node with (its own and the
    /// node pool's).
    pub(super) fn node_labels(&self) -> BTreeMap<String, String> {
        let mut labels = BTreeMap::new();
        labels.insert("beta.kubernetes.io/arch".into(), "amd64".into());
        labels.insert("beta.kubernetes.io/os".into(), "linux".into());
        labels.insert("kubernetes.io/arch".into(), "amd64".into());
        labels.insert("kubernetes.io/hostname".into(), self.node_name.clone());
        labels.insert("kubernetes.io/os".into(), "linux".into());
        if self.node_config.control_plane {
            labels.insert(
                "node-role.kubernetes.io/control-plane".into(),
                String::new(),
            );
            labels.insert(
                "node.kubernetes.io/exclude-from-external-load-balancers".into(),
                String::new(),
            );
        }
        labels.extend(self.node_config.labels.clone());
        labels
    }

    pub(super) fn node_status(&self, now: SimTime) -> NodeStatus {
        let cap = &self.node_config.capacity;
        let q = |v: i64| K8sQuantity(v.to_string());
        let capacity: BTreeMap<String, K8sQuantity> = [
            ("cpu".to_owned(), K8sQuantity(format_cpu(cap.cpu_millis))),
            (
                "ephemeral-storage".to_owned(),
                q(cap.ephemeral_storage_bytes),
            ),
            ("hugepages-1Gi".to_owned(), q(0)),
            ("hugepages-2Mi".to_owned(), q(0)),
            (
                "memory".to_owned(),
                K8sQuantity(format!("{}Ki", cap.memory_bytes / 1024)),
            ),
            ("pods".to_owned(), q(cap.pods)),
        ]
        .into();
        let reserved = self.allocatable();
        let mut allocatable = capacity.clone();
        allocatable.insert(
            "memory".into(),
            K8sQuantity(format!("{}Ki", reserved.memory_bytes / 1024)),
        );
        allocatable.insert(
            "ephemeral-storage".into(),
            q(reserved.ephemeral_storage_bytes),
        );
        let heartbeat = time(now);
        let registered = self
            .node
            .as_ref()
            .and_then(|n| n.meta().creation_timestamp.clone())
            .unwrap_or_else(|| time(now));
        let cond = |type_: &str, status: &str, reason: &str, message: &str| NodeCondition {
            type_: type_.into(),
            status: status.into(),
            reason: Some(reason.into()),
            message: Some(message.into()),
            last_heartbeat_time: Some(heartbeat.clone()),
            last_transition_time: Some(registered.clone()),
        };
        let mut images: Vec<ContainerImage> = self
            .runtime
            .images()
            .iter()
            .map(|(name, size)| ContainerImage {
                names: Some(vec![pod_worker::image_id(name), name.clone()]),
                size_bytes: Some(i64::try_from(*size).unwrap_or(i64::MAX)),
            })
            .collect();
        images.sort_by_key(|i| std::cmp::Reverse(i.size_bytes));
        NodeStatus {
            capacity: Some(capacity),
            allocatable: Some(allocatable),
            conditions: Some(vec![
                cond(
                    "MemoryPressure",
                    "False",
                    "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available",
                ),
                cond(
                    "DiskPressure",
                    "False",
                    "KubeletHasNoDiskPressure",
                    "kubelet has no disk pressure",
                ),
                cond(
                    "PIDPressure",
                    "False",
                    "KubeletHasSufficientPID",
                    "kubelet has sufficient PID available",
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
                    address: self.host_ip.clone(),
                },
                NodeAddress {
                    type_: "Hostname".into(),
                    address: self.node_name.clone(),
                },
            ]),
            daemon_endpoints: Some(NodeDaemonEndpoints {
                kubelet_endpoint: Some(DaemonEndpoint { port: 10250 }),
            }),
            node_info: Some(NodeSystemInfo {
                architecture: "amd64".into(),
                boot_id: self.boot_id.clone(),
                container_runtime_version: "containerd://2.0.5".into(),
                kernel_version: "6.8.0-1027-gcp".into(),
                kube_proxy_version: String::new(),
                kubelet_version: KUBERNETES_VERSION.into(),
                machine_id: format!("{:032x}", crate::rng::stable_hash(&self.node_name)),
                operating_system: "linux".into(),
                os_image: "Ubuntu 24.04.2 LTS".into(),
                system_uuid: self.boot_id.clone(),
                ..Default::default()
            }),
            images: Some(images),
            volumes_in_use: Some(self.volumes_in_use()).filter(|v| !v.is_empty()),
            ..Default::default()
        }
    }

    pub(super) fn register(&mut self, ctx: &mut Ctx<'_>) {
        let mut annotations = BTreeMap::new();
        annotations.insert(
            "kubeadm.alpha.kubernetes.io/cri-socket".into(),
            "unix:///var/run/containerd/containerd.sock".into(),
        );
        annotations.insert("node.alpha.kubernetes.io/ttl".into(), "0".into());
        annotations.insert(
            "volumes.kubernetes.io/controller-managed-attach-detach".into(),
            "true".into(),
        );
        let node = Node {
            metadata: ObjectMeta {
                name: Some(self.node_name.clone()),
                labels: Some(self.node_labels()),
                annotations: Some(annotations),
                ..Default::default()
            },
            spec: Some(NodeSpec {
                pod_cidr: Some(self.pod_cidr().to_string()),
                pod_cidrs: Some(vec![self.pod_cidr().to_string()]),
                taints: (!self.node_config.taints.is_empty())
                    .then(|| self.node_config.taints.clone()),
                ..Default::default()
            }),
            status: Some(self.node_status(ctx.now())),
        };
        ctx.trace(
            "register-node",
            format!("node/{}", self.node_name),
            String::new(),
        );
        ctx.send_tagged(
            Request::Create(Object::from(node)),
            Tag::new(KubeletTag::Register, 0),
        );
        // registerWithAPIServer retries until the API answers (backing off to 7 s).
        self.registered = false;
        self.timer(ctx, SimDuration::from_secs(7), Timer::RegisterRetry);
    }

    pub(super) fn renew_lease(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        match self.lease.as_mut() {
            Some(lease) => {
                if let Some(spec) = lease.spec.as_mut() {
                    spec.renew_time = Some(micro_time(now));
                }
                lease.metadata.resource_version = None;
                ctx.send(Request::Update(Object::from(lease.clone())));
            }
            None => {
                let Some(node) = self.node.clone() else {
                    return;
                };
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(self.node_name.clone()),
                        namespace: Some("kube-node-lease".into()),
                        owner_references: Some(vec![{
                            let mut r = owner_reference(&node, false);
                            r.controller = None;
                            r.block_owner_deletion = None;
                            r
                        }]),
                        ..Default::default()
                    },
                    spec: Some(LeaseSpec {
                        holder_identity: Some(self.node_name.clone()),
                        lease_duration_seconds: i32::try_from(
                            ctx.config().timings.node_lease_duration.as_secs(),
                        )
                        .ok(),
                        renew_time: Some(micro_time(now)),
                        ..Default::default()
                    }),
                };
                self.lease = Some(lease.clone());
                ctx.send_tagged(
                    Request::Create(Object::from(lease)),
                    Tag::new(KubeletTag::Lease, 0),
                );
            }
        }
        let every = ctx.config().timings.lease_renew_interval;
        self.timer(ctx, every, Timer::LeaseRenew);
    }

    /// What the node status is built from besides the clock: while it is
    /// the same as at the last report, so is the status (heartbeats aside).
    fn status_basis(&self) -> StatusBasis {
        StatusBasis {
            images: self.runtime.images_generation(),
            boot_id: self.boot_id.clone(),
            registered: self
                .node
                .as_ref()
                .and_then(|n| n.meta().creation_timestamp.clone()),
            volumes_in_use: self.volumes_in_use(),
        }
    }

    /// The periodic status update (`nodeStatusUpdateFrequency`, 10 s): the
    /// status is posted when it changed (heartbeat times aside) or when the
    /// last report is `nodeStatusReportFrequency` (5 min) old. A status
    /// whose basis has not moved since the last report is known unchanged
    /// without building it.
    pub(super) fn update_node_status(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let every = ctx.config().timings.node_status_update_frequency;
        self.timer(ctx, every, Timer::StatusUpdate);
        let Some(node) = self.node.clone() else {
            return;
        };
        let report_due = now.saturating_since(self.last_node_report)
            >= ctx.config().timings.node_status_report_frequency;
        let basis = self.status_basis();
        let unchanged_basis = self
            .last_node_status
            .as_ref()
            .is_some_and(|last| last.basis.as_ref() == Some(&basis));
        if unchanged_basis && !report_due {
            return;
        }
        let mut status = self.node_status(now);
        let changed = match self.last_node_status.as_mut() {
            Some(last) => !same_ignoring_heartbeats(&mut last.status, &mut status),
            None => true,
        };
        if !changed && !report_due {
            if let Some(last) = self.last_node_status.as_mut() {
                last.basis = Some(basis);
            }
            return;
        }
        let Object::Node(node) = &*node else {
            return;
        };
        let mut node = (**node).clone();
        self.last_node_report = now;
        self.last_node_status = Some(Reported {
            status: status.clone(),
            basis: Some(basis),
        });
        // The kubelet's patch leaves what the attach/detach controller
        // writes alone.
        status.volumes_attached = node.status.take().and_then(|s| s.volumes_attached);
        node.status = Some(status);
        node.metadata.resource_version = None;
        ctx.send(Request::UpdateStatus(Object::from(node)));
    }

    pub(super) fn create_mirror_pods(&mut self, ctx: &mut Ctx<'_>) {
        let Some(node) = self.node.clone() else {
            return;
        };
        for mut pod in std::mem::take(&mut self.static_pods) {
            let mut owner = owner_reference(&node, true);
            owner.block_owner_deletion = None;
            pod.metadata.owner_references = Some(vec![owner]);
            ctx.send(Request::Create(Object::from(pod)));
        }
    }

    /// The API answered the registration: the node exists (created now, or
    /// already there for a restarted kubelet, which takes it from its
    /// watch), so the lease and status loops and the mirror pods start.
    pub(super) fn registration_answered(&mut self, ctx: &mut Ctx<'_>, result: &ApiResult) {
        if self.registered {
            return;
        }
        self.registered = true;
        let created = match result {
            Ok(Response::Object(node)) => {
                self.node = Some(node.clone());
                self.last_node_report = ctx.now();
                // What the status was built from is not known here: the
                // next update builds it and compares.
                self.last_node_status =
                    node.as_node()
                        .and_then(|n| n.status.clone())
                        .map(|status| Reported {
                            status,
                            basis: None,
                        });
                true
            }
            _ => false,
        };
        self.renew_lease(ctx);
        let every = ctx.config().timings.node_status_update_frequency;
        self.timer(ctx, every, Timer::StatusUpdate);
        if created {
            self.create_mirror_pods(ctx);
        }
    }

    /// The API answered the Lease creation: later renewals update it.
    pub(super) fn lease_created(&mut self, result: &ApiResult) {
        if let Ok(Response::Object(obj)) = result {
            if let Object::Lease(l) = &**obj {
                self.lease = Some((**l).clone());
            }
        }
    }
}

/// The node status last reported, and (when known) what it was built from.
#[derive(Debug)]
pub(super) struct Reported {
    pub(super) status: NodeStatus,
    pub(super) basis: Option<StatusBasis>,
}

/// What a node status is built from besides the clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct StatusBasis {
    /// The image cache's generation.
    images: u64,
    /// The boot id (a new one after a crash).
    boot_id: String,
    /// The node object's creation time (the conditions' transition time).
    registered: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
    /// The attachable volumes the node's pods need.
    volumes_in_use: Vec<String>,
}

/// True when two statuses differ at most in their conditions' heartbeat
/// times. Compares in place, without copying either: the conditions are set
/// aside while the rest is compared.
fn same_ignoring_heartbeats(a: &mut NodeStatus, b: &mut NodeStatus) -> bool {
    let (ca, cb) = (a.conditions.take(), b.conditions.take());
    let rest_equal = a == b;
    let conditions_equal = match (&ca, &cb) {
        (Some(x), Some(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).all(|(p, q)| {
                    p.type_ == q.type_
                        && p.status == q.status
                        && p.reason == q.reason
                        && p.message == q.message
                        && p.last_transition_time == q.last_transition_time
                })
        }
        (x, y) => x.is_none() && y.is_none(),
    };
    a.conditions = ca;
    b.conditions = cb;
    rest_equal && conditions_equal
}

/// CPU capacity as the kubelet reports it: whole cores when integral.
fn format_cpu(millis: i64) -> String {
    if millis % 1000 == 0 {
        (millis / 1000).to_string()
    } else {
        format!("{millis}m")
    }
}
