//! The kubelet: one per node.
//!
//! It registers its Node (labels, capacity, allocatable, conditions, addresses,
//! node info, images), renews its Lease in `kube-node-lease` every 10 s, posts
//! node status when it changes or every 5 min, creates the mirror pods of its
//! static pods, and runs the pods bound to it through the container runtime
//! model: sandbox, image pulls (per-node cache, serialized pulls), container
//! create and start, exits per image profile with restarts and
//! CrashLoopBackOff, liveness / readiness / startup probes answered by the
//! image profile's health timeline, OOM kills over the memory limit,
//! resource admission (`OutOfcpu`, ...), private-registry credentials from
//! `imagePullSecrets`, graceful termination, and pod status with the real
//! phases and conditions.

pub mod container_env;
pub mod pod_worker;
pub mod prober;
pub mod registry;
pub mod runtime;

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{
    ContainerImage, DaemonEndpoint, Node, NodeAddress, NodeCondition, NodeDaemonEndpoints,
    NodeSpec, NodeStatus, NodeSystemInfo, Pod,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use self::container_env::{ConfigCache, EnvList, FsEntry, FsView, PodContext};
use self::pod_worker::{CState, Ctr, Worker};
use self::prober::{ProbeKind, ProbeState};
use self::runtime::{PullJob, Runtime};
use super::event_recorder::EventRecorder;
use super::{Component, Ctx, Role, WatchEvent};
use crate::api::meta::{micro_time, owner_reference, time};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::watch::WatchSpec;
use crate::apiserver::{ApiResult, DeleteOptions, Request, Response};
use crate::config::{ImageCatalog, ImageProfile, NodeConfig, KUBERNETES_VERSION};
use crate::etcd::ChangeType;
use crate::faults::ComponentFault;
use crate::time::{SimDuration, SimTime};

/// Memory the kubelet keeps back from allocatable: the default hard eviction
/// threshold `memory.available<100Mi`.
const EVICTION_HARD_MEMORY_BYTES: i64 = 100 * 1024 * 1024;

const MAX_BACKOFF: SimDuration = SimDuration::from_secs(300);
const INITIAL_BACKOFF: SimDuration = SimDuration::from_secs(10);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Timer {
    /// Registration got no answer (lost to a partition or an API outage): try again.
    RegisterRetry,
    LeaseRenew,
    StatusUpdate,
    SandboxReady(String),
    PullDone,
    Started {
        uid: String,
        idx: usize,
        run: u32,
    },
    Exit {
        uid: String,
        idx: usize,
        run: u32,
    },
    Stopped {
        uid: String,
        idx: usize,
        run: u32,
    },
    Restart {
        uid: String,
        idx: usize,
    },
    RetryPull {
        uid: String,
        idx: usize,
    },
    /// ErrImagePull turns into ImagePullBackOff while the back-off runs.
    PullBackOff(String),
    RetryConfig {
        uid: String,
        idx: usize,
    },
    /// The relist after a restart or a healed partition has arrived.
    ResyncDone,
    /// Probe worker `probe` of container `idx` ticks.
    Probe {
        uid: String,
        idx: usize,
        probe: usize,
    },
    /// A container killed for a failed liveness or startup probe has stopped.
    ProbeKilled {
        uid: String,
        idx: usize,
        run: u32,
    },
    /// A container's memory use exceeds its limit.
    Oom {
        uid: String,
        idx: usize,
        run: u32,
    },
}

/// The pod worker's back-off after a failed sync (`backOffPeriod`, 10 s; the
/// real one adds up to 50 % jitter): how soon a container whose config failed
/// is tried again.
const CONFIG_RETRY: SimDuration = SimDuration::from_secs(10);

const TAG_REGISTER: u64 = 1;
const TAG_LEASE: u64 = 2;

/// The kubelet of one node.
pub struct Kubelet {
    /// The API answered the last registration (so the lease and status loops run).
    registered: bool,
    node_name: String,
    node_config: NodeConfig,
    node_index: usize,
    host_ip: String,
    recorder: EventRecorder,
    runtime: Runtime,
    workers: BTreeMap<String, Worker>,
    timers: BTreeMap<u64, Timer>,
    next_tag: u64,
    node: Option<Arc<Object>>,
    lease: Option<Lease>,
    static_pods: Vec<Pod>,
    used_ips: BTreeSet<u8>,
    last_node_status: Option<NodeStatus>,
    last_node_report: SimTime,
    boot_id: String,
    cache: ConfigCache,
    /// Set by a restart: `start` then resyncs with the runtime.
    restarted: bool,
    /// During a resync: the pods the relist brought.
    resync_seen: Option<BTreeSet<String>>,
    /// After a restart: the pods to drive on from the runtime's state.
    to_revive: BTreeSet<String>,
    /// Pods this kubelet rejected at admission.
    rejected: BTreeSet<String>,
}

impl Kubelet {
    /// A kubelet for `node` (the `node_index`-th node of the cluster), with images
    /// pre-pulled and the static pods it runs (control plane only).
    pub fn new(
        node: NodeConfig,
        node_index: usize,
        preloaded: Vec<(String, u64)>,
        static_pods: Vec<Pod>,
    ) -> Self {
        let bandwidth = node.pull_bandwidth_bytes_per_sec;
        let octet = node_index + 2;
        Self {
            registered: false,
            node_name: node.name.clone(),
            node_index,
            host_ip: format!("172.18.{}.{}", octet / 250, octet % 250),
            recorder: EventRecorder::new("kubelet", Some(&node.name)),
            runtime: Runtime::new(bandwidth, preloaded),
            node_config: node,
            workers: BTreeMap::new(),
            timers: BTreeMap::new(),
            next_tag: 100,
            node: None,
            lease: None,
            static_pods,
            used_ips: BTreeSet::new(),
            last_node_status: None,
            last_node_report: SimTime::ZERO,
            boot_id: String::new(),
            cache: ConfigCache::default(),
            restarted: false,
            resync_seen: None,
            to_revive: BTreeSet::new(),
            rejected: BTreeSet::new(),
        }
    }

    /// The node's InternalIP.
    pub fn host_ip(&self) -> &str {
        &self.host_ip
    }

    /// The node's pod CIDR: a /24 per node, `10.244.<index>.0/24` (flannel's
    /// kubeadm layout, 10.244.0.0/16) for the first 256 nodes, then
    /// consecutive /24s of 10.64.0.0/10 (room for 16,384 nodes), as a larger
    /// `--cluster-cidr` would give.
    pub fn pod_cidr(&self) -> String {
        format!("{}.0/24", self.pod_net_prefix())
    }

    fn pod_net_prefix(&self) -> String {
        let i = self.node_index;
        if i < 256 {
            format!("10.244.{i}")
        } else {
            let j = i - 256;
            format!("10.{}.{}", 64 + j / 256, j % 256)
        }
    }

    /// The environment of container `idx` of pod `uid` as the runtime would
    /// start it, or the CreateContainerConfigError message.
    fn resolve_env(&self, ctx: &Ctx<'_>, uid: &str, idx: usize) -> Result<EnvList, String> {
        let w = self.workers.get(uid).ok_or_else(String::new)?;
        let pod = w.pod.as_pod().ok_or_else(String::new)?;
        let c = w.ctrs.get(idx).ok_or_else(String::new)?;
        let spec = find_container(pod, &c.name).ok_or_else(String::new)?;
        let pctx = PodContext {
            pod,
            pod_ip: w.ip.as_deref().unwrap_or(&self.host_ip),
            host_ip: &self.host_ip,
            node_name: &self.node_name,
        };
        let vars = container_env::kubelet_env(spec, &pctx, &self.cache)?;
        let profile = ctx.config().images.lookup(&c.image);
        let hostname = container_env::pod_hostname(pod, &self.node_name);
        Ok(container_env::container_env(profile, &hostname, &vars))
    }

    /// The regular files that the command and args of container `idx` name by
    /// absolute path, with their content in the container's filesystem now
    /// (called when the container starts: what its process reads then).
    fn files_named_by_command(
        &self,
        uid: &str,
        idx: usize,
        profile: &ImageProfile,
    ) -> BTreeMap<String, String> {
        let mut files = BTreeMap::new();
        let Some(w) = self.workers.get(uid) else {
            return files;
        };
        let Some(pod) = w.pod.as_pod() else {
            return files;
        };
        let Some(spec) = w.ctrs.get(idx).and_then(|c| find_container(pod, &c.name)) else {
            return files;
        };
        let paths: Vec<&String> = spec
            .command
            .iter()
            .flatten()
            .chain(spec.args.iter().flatten())
            .filter(|a| a.starts_with('/'))
            .collect();
        if paths.is_empty() {
            return files;
        }
        let pctx = PodContext {
            pod,
            pod_ip: w.ip.as_deref().unwrap_or(&self.host_ip),
            host_ip: &self.host_ip,
            node_name: &self.node_name,
        };
        let fs = container_env::container_fs(spec, &pctx, profile, &self.cache);
        for p in paths {
            if let Some((_, FsEntry::File { content, .. })) = fs.resolve(p) {
                files.insert(container_env::normalize(p), content.clone());
            }
        }
        files
    }

    /// What `kubectl exec` reaches through the API server: a running
    /// container's environment (resolved at its start) and filesystem, or the
    /// kubelet's error (`pod does not exist`, `container not found ("x")`).
    pub fn container_view(
        &self,
        images: &ImageCatalog,
        namespace: &str,
        pod: &str,
        container: &str,
    ) -> Result<ContainerView, String> {
        let w = self
            .workers
            .values()
            .find(|w| w.pod.namespace() == namespace && w.pod.name() == pod && !w.delete_sent)
            .ok_or_else(|| "pod does not exist".to_owned())?;
        let not_found = || format!("container not found (\"{container}\")");
        let c = w
            .ctrs
            .iter()
            .find(|c| c.name == container && c.is_running())
            .ok_or_else(not_found)?;
        let p = w.pod.as_pod().ok_or_else(not_found)?;
        let spec = find_container(p, container).ok_or_else(not_found)?;
        let pctx = PodContext {
            pod: p,
            pod_ip: w.ip.as_deref().unwrap_or(&self.host_ip),
            host_ip: &self.host_ip,
            node_name: &self.node_name,
        };
        let profile = images.lookup(&c.image);
        Ok(ContainerView {
            env: c.env.clone().unwrap_or_default(),
            command: spec.command.clone().unwrap_or_default(),
            args: spec.args.clone().unwrap_or_default(),
            files_at_start: c.files_at_start.clone(),
            fs: container_env::container_fs(spec, &pctx, profile, &self.cache),
            hostname: container_env::pod_hostname(p, &self.node_name),
            image: c.image.clone(),
            started_at: match c.state {
                CState::Running { started_at } => started_at,
                _ => SimTime::ZERO,
            },
        })
    }

    /// The waiting reason and message of a container of a pod this kubelet runs.
    pub fn container_waiting(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
    ) -> Option<(String, Option<String>)> {
        let w = self
            .workers
            .values()
            .find(|w| w.pod.namespace() == namespace && w.pod.name() == pod)?;
        match &w.ctrs.iter().find(|c| c.name == container)?.state {
            CState::Waiting { reason, message } => Some(((*reason).to_owned(), message.clone())),
            _ => None,
        }
    }

    fn timer(&mut self, ctx: &mut Ctx<'_>, delay: SimDuration, t: Timer) {
        let tag = self.next_tag;
        self.next_tag += 1;
        self.timers.insert(tag, t);
        ctx.set_timer(delay, tag);
    }

    fn node_labels(&self) -> BTreeMap<String, String> {
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

    fn node_status(&self, now: SimTime) -> NodeStatus {
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
        let mut allocatable = capacity.clone();
        allocatable.insert(
            "memory".into(),
            K8sQuantity(format!(
                "{}Ki",
                (cap.memory_bytes - EVICTION_HARD_MEMORY_BYTES) / 1024
            )),
        );
        allocatable.insert(
            "ephemeral-storage".into(),
            q(cap.ephemeral_storage_bytes / 10 * 9),
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
            ..Default::default()
        }
    }

    fn register(&mut self, ctx: &mut Ctx<'_>) {
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
                pod_cidr: Some(self.pod_cidr()),
                pod_cidrs: Some(vec![self.pod_cidr()]),
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
        ctx.send_tagged(Request::Create(Object::from(node)), TAG_REGISTER);
        // registerWithAPIServer retries until the API answers (backing off to 7 s).
        self.registered = false;
        self.timer(ctx, SimDuration::from_secs(7), Timer::RegisterRetry);
    }

    fn renew_lease(&mut self, ctx: &mut Ctx<'_>) {
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
                ctx.send_tagged(Request::Create(Object::from(lease)), TAG_LEASE);
            }
        }
        let every = ctx.config().timings.lease_renew_interval;
        self.timer(ctx, every, Timer::LeaseRenew);
    }

    fn update_node_status(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        let every = ctx.config().timings.node_status_update_frequency;
        self.timer(ctx, every, Timer::StatusUpdate);
        let Some(node) = self.node.clone() else {
            return;
        };
        let Object::Node(mut node) = (*node).clone() else {
            return;
        };
        let status = self.node_status(now);
        let changed = self
            .last_node_status
            .as_ref()
            .is_none_or(|last| !same_ignoring_heartbeats(last, &status));
        let report_due = now.saturating_since(self.last_node_report)
            >= ctx.config().timings.node_status_report_frequency;
        if !changed && !report_due {
            return;
        }
        self.last_node_report = now;
        self.last_node_status = Some(status.clone());
        node.status = Some(status);
        node.metadata.resource_version = None;
        ctx.send(Request::UpdateStatus(Object::Node(node)));
    }

    fn create_mirror_pods(&mut self, ctx: &mut Ctx<'_>) {
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

    /// The lowest free address of the node's /24 (the bridge CNI's host-local
    /// IPAM hands out .2 to .254), or None when all are taken.
    fn allocate_ip(&mut self) -> Option<String> {
        let host = (2u8..=254).find(|h| !self.used_ips.contains(h))?;
        self.used_ips.insert(host);
        Some(format!("{}.{host}", self.pod_net_prefix()))
    }

    fn pod_added(&mut self, ctx: &mut Ctx<'_>, obj: &Arc<Object>) {
        let Some(pod) = obj.as_pod() else { return };
        let uid = obj.uid().to_owned();
        if let Some(w) = self.workers.get_mut(&uid) {
            w.pod = obj.clone();
            // The status manager keeps the API in line with what the kubelet
            // knows: a status another component changed (the node controller
            // marking pods NotReady while the node looked dead) is posted again.
            let drifted = w
                .last_posted
                .as_ref()
                .is_some_and(|want| !pod_worker::kubelet_status_matches(want, pod.status.as_ref()));
            if drifted {
                w.last_posted = None;
            }
            if pod.metadata.deletion_timestamp.is_some() && !w.terminating {
                self.kill_pod(ctx, &uid);
            } else if drifted {
                self.post_status(ctx, &uid);
            }
            return;
        }
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        if matches!(phase, Some("Succeeded" | "Failed")) || self.rejected.contains(&uid) {
            return;
        }
        if pod.metadata.deletion_timestamp.is_none() {
            if let Some((reason, message)) = self.admit(pod) {
                self.reject(ctx, obj, reason, message);
                return;
            }
        }
        let spec = pod.spec.clone().unwrap_or_default();
        let mut ctrs: Vec<Ctr> = spec
            .init_containers
            .iter()
            .flatten()
            .map(|c| {
                let mut ctr = Ctr::new(
                    &c.name,
                    c.image.as_deref().unwrap_or(""),
                    c.image_pull_policy.as_deref().unwrap_or("IfNotPresent"),
                    true,
                );
                ctr.sidecar = c.restart_policy.as_deref() == Some("Always");
                if ctr.sidecar {
                    ctr.probes = prober::probe_specs(c)
                        .into_iter()
                        .map(ProbeState::new)
                        .collect();
                }
                ctr
            })
            .collect();
        let n_init = ctrs.len();
        ctrs.extend(spec.containers.iter().map(|c| {
            let mut ctr = Ctr::new(
                &c.name,
                c.image.as_deref().unwrap_or(""),
                c.image_pull_policy.as_deref().unwrap_or("IfNotPresent"),
                false,
            );
            ctr.probes = prober::probe_specs(c)
                .into_iter()
                .map(ProbeState::new)
                .collect();
            ctr
        }));
        let worker = Worker {
            pod: obj.clone(),
            uid: uid.clone(),
            ip: None,
            sandbox_ready: false,
            ctrs,
            n_init,
            init_done: 0,
            start_time: ctx.now(),
            terminating: false,
            delete_sent: false,
            last_posted: None,
            transitions: BTreeMap::new(),
        };
        self.workers.insert(uid.clone(), worker);
        ctx.trace("sync-pod", ObjectKey::of(obj).to_string(), String::new());
        self.post_status(ctx, &uid);
        if pod.metadata.deletion_timestamp.is_some() {
            self.kill_pod(ctx, &uid);
            return;
        }
        self.start_probers(ctx, &uid);
        let delay = ctx.config().timings.pod_sandbox_setup;
        self.timer(ctx, delay, Timer::SandboxReady(uid));
    }

    fn post_status(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let host_ip = self.host_ip.clone();
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        if w.delete_sent {
            return;
        }
        let status = w.status(ctx.now(), &host_ip);
        if w.last_posted.as_ref() == Some(&status) {
            return;
        }
        w.last_posted = Some(status.clone());
        let Some(mut pod) = w.pod.as_pod().cloned() else {
            return;
        };
        pod.status = Some(status);
        pod.metadata.resource_version = None;
        ctx.send(Request::UpdateStatus(Object::from(pod)));
    }

    fn sandbox_ready(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let host_network = self
            .workers
            .get(uid)
            .and_then(|w| w.pod.as_pod())
            .and_then(|p| p.spec.as_ref())
            .and_then(|s| s.host_network)
            .unwrap_or(false);
        let ip = if host_network {
            None
        } else {
            match self.allocate_ip() {
                Some(ip) => Some(ip),
                None => {
                    // No address left: the sandbox fails and the kubelet retries.
                    if let Some(pod) = self.workers.get(uid).map(|w| w.pod.clone()) {
                        let prefix = self.pod_net_prefix();
                        let msg = format!(
                            "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox: plugin type=\"bridge\" failed (add): failed to allocate for range 0: no IP addresses available in range set: {prefix}.1-{prefix}.254"
                        );
                        self.recorder
                            .record(ctx, &pod, "Warning", "FailedCreatePodSandBox", msg);
                    }
                    self.timer(
                        ctx,
                        SimDuration::from_secs(10),
                        Timer::SandboxReady(uid.to_owned()),
                    );
                    return;
                }
            }
        };
        let Some(w) = self.workers.get_mut(uid) else {
            if let Some(ip) = ip {
                self.release_ip(&ip);
            }
            return;
        };
        if w.terminating {
            if let Some(ip) = ip {
                self.release_ip(&ip);
            }
            return;
        }
        w.ip = ip;
        w.sandbox_ready = true;
        self.start_next_containers(ctx, uid);
        self.post_status(ctx, uid);
    }

    fn release_ip(&mut self, ip: &str) {
        if let Some(h) = ip.rsplit('.').next().and_then(|h| h.parse::<u8>().ok()) {
            self.used_ips.remove(&h);
        }
    }

    /// Starts the next init container, or all regular containers once init is done.
    fn start_next_containers(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let Some(w) = self.workers.get(uid) else {
            return;
        };
        let targets: Vec<usize> = if w.init_done < w.n_init {
            vec![w.init_done]
        } else {
            (w.n_init..w.ctrs.len())
                .filter(|&i| !w.ctrs[i].started_once && w.ctrs[i].container_id.is_none())
                .collect()
        };
        for idx in targets {
            self.ensure_image(ctx, uid, idx);
        }
    }

    fn container_ref(
        &self,
        uid: &str,
        idx: usize,
    ) -> Option<(Arc<Object>, String, String, String)> {
        let w = self.workers.get(uid)?;
        let c = w.ctrs.get(idx)?;
        let path = if c.init {
            format!("spec.initContainers{{{}}}", c.name)
        } else {
            format!("spec.containers{{{}}}", c.name)
        };
        Some((w.pod.clone(), path, c.image.clone(), c.pull_policy.clone()))
    }

    fn ensure_image(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize) {
        let Some((pod, path, image, policy)) = self.container_ref(uid, idx) else {
            return;
        };
        let present = self.runtime.has_image(&image);
        if present && policy != "Always" {
            self.recorder.record_with_field_path(
                ctx,
                &pod,
                Some(path),
                "Normal",
                "Pulled",
                format!("Container image \"{image}\" already present on machine"),
            );
            self.create_container(ctx, uid, idx);
            return;
        }
        if !present && policy == "Never" {
            let msg =
                format!("Container image \"{image}\" is not present with pull policy of Never");
            self.recorder.record_with_field_path(
                ctx,
                &pod,
                Some(path),
                "Warning",
                "ErrImageNeverPull",
                msg.clone(),
            );
            if let Some(c) = self.workers.get_mut(uid).and_then(|w| w.ctrs.get_mut(idx)) {
                c.state = CState::Waiting {
                    reason: "ErrImageNeverPull",
                    message: Some(msg),
                };
            }
            self.post_status(ctx, uid);
            return;
        }
        let job = PullJob {
            pod_uid: uid.to_owned(),
            container: idx,
            image,
            requested_at: ctx.now(),
            started_at: ctx.now(),
        };
        if let Some(start) = self.runtime.enqueue(job, ctx.now()) {
            self.start_pull(ctx, start);
        }
    }

    fn start_pull(&mut self, ctx: &mut Ctx<'_>, job: PullJob) {
        let catalog = &ctx.config().images;
        let mut duration = self.runtime.pull_duration(catalog, &job.image);
        if self.runtime.has_image(&job.image) || self.pull_denied(catalog, &job) {
            // An Always pull of a cached image only resolves the digest; a
            // pull without credentials fails there.
            duration = SimDuration::from_millis(400);
        }
        if let Some((pod, path, image, _)) = self.container_ref(&job.pod_uid, job.container) {
            self.recorder.record_with_field_path(
                ctx,
                &pod,
                Some(path),
                "Normal",
                "Pulling",
                format!("Pulling image \"{image}\""),
            );
        }
        ctx.trace("pull-image", job.image.clone(), format!("{}", duration));
        self.timer(ctx, duration, Timer::PullDone);
    }

    fn pull_done(&mut self, ctx: &mut Ctx<'_>) {
        let current_missing = self
            .runtime
            .current()
            .is_some_and(|j| ctx.config().images.lookup(&j.image).missing);
        let registry_down = !ctx.registry_available();
        let denied = !current_missing
            && self
                .runtime
                .current()
                .is_some_and(|j| self.pull_denied(&ctx.config().images, j));
        let (done, next) = self.runtime.finish(
            &ctx.config().images,
            !current_missing && !registry_down && !denied,
            ctx.now(),
        );
        if let Some(job) = done {
            let waited = ctx.now().saturating_since(job.requested_at);
            let took = ctx.now().saturating_since(job.started_at);
            if let Some((pod, path, image, _)) = self.container_ref(&job.pod_uid, job.container) {
                if current_missing || registry_down || denied {
                    let msg = if current_missing {
                        format!("Failed to pull image \"{image}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found")
                    } else if denied && !registry_down {
                        let full = registry::full_reference(&image);
                        format!("Failed to pull image \"{image}\": rpc error: code = Unknown desc = failed to pull and unpack image \"{full}\": failed to resolve reference \"{full}\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed")
                    } else {
                        format!("Failed to pull image \"{image}\": rpc error: code = Unavailable desc = failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": dial tcp: lookup registry: i/o timeout")
                    };
                    self.recorder.record_with_field_path(
                        ctx,
                        &pod,
                        Some(path.clone()),
                        "Warning",
                        "Failed",
                        msg.clone(),
                    );
                    self.recorder.record_with_field_path(
                        ctx,
                        &pod,
                        Some(path),
                        "Warning",
                        "Failed",
                        "Error: ErrImagePull".into(),
                    );
                    let uid = job.pod_uid.clone();
                    let idx = job.container;
                    let mut retry = None;
                    if let Some(c) = self.workers.get_mut(&uid).and_then(|w| w.ctrs.get_mut(idx)) {
                        c.state = CState::Waiting {
                            reason: "ErrImagePull",
                            message: Some(msg),
                        };
                        c.pull_backoff = if c.pull_backoff == SimDuration::ZERO {
                            INITIAL_BACKOFF
                        } else {
                            (c.pull_backoff.saturating_mul(2)).min(MAX_BACKOFF)
                        };
                        retry = Some(c.pull_backoff);
                    }
                    self.post_status(ctx, &uid);
                    if let Some(delay) = retry {
                        self.timer(
                            ctx,
                            SimDuration::from_millis(1),
                            Timer::PullBackOff(uid.clone()),
                        );
                        self.timer(ctx, delay, Timer::RetryPull { uid, idx });
                    }
                } else {
                    let size = ctx.config().images.lookup(&image).size_bytes;
                    let msg = format!(
                        "Successfully pulled image \"{image}\" in {} ({} including waiting). Image size: {size} bytes.",
                        short(took),
                        short(waited)
                    );
                    self.recorder.record_with_field_path(
                        ctx,
                        &pod,
                        Some(path),
                        "Normal",
                        "Pulled",
                        msg,
                    );
                    self.create_container(ctx, &job.pod_uid, job.container);
                }
            }
        }
        if let Some(next) = next {
            self.start_pull(ctx, next);
        }
    }

    fn create_container(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize) {
        let Some((pod, path, image, _)) = self.container_ref(uid, idx) else {
            return;
        };
        let startup = ctx.config().images.lookup(&image).startup;
        match self.resolve_env(ctx, uid, idx) {
            Ok(env) => {
                if let Some(c) = self.workers.get_mut(uid).and_then(|w| w.ctrs.get_mut(idx)) {
                    c.env = Some(env);
                }
            }
            Err(msg) => {
                // kuberuntime_container.go startContainer: generateContainerConfig failed.
                self.recorder.record_with_field_path(
                    ctx,
                    &pod,
                    Some(path),
                    "Warning",
                    "Failed",
                    format!("Error: {msg}"),
                );
                if let Some(c) = self.workers.get_mut(uid).and_then(|w| w.ctrs.get_mut(idx)) {
                    c.state = CState::Waiting {
                        reason: "CreateContainerConfigError",
                        message: Some(msg),
                    };
                }
                self.post_status(ctx, uid);
                self.timer(
                    ctx,
                    CONFIG_RETRY,
                    Timer::RetryConfig {
                        uid: uid.to_owned(),
                        idx,
                    },
                );
                return;
            }
        }
        let id = {
            use rand::Rng;
            let a: u64 = ctx.rng().random();
            let b: u64 = ctx.rng().random();
            let c: u64 = ctx.rng().random();
            let d: u64 = ctx.rng().random();
            format!("containerd://{a:016x}{b:016x}{c:016x}{d:016x}")
        };
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        if w.terminating {
            return;
        }
        let Some(c) = w.ctrs.get_mut(idx) else { return };
        c.run += 1;
        c.container_id = Some(id);
        let run = c.run;
        let name = c.name.clone();
        self.recorder.record_with_field_path(
            ctx,
            &pod,
            Some(path),
            "Normal",
            "Created",
            format!("Created container: {name}"),
        );
        self.timer(
            ctx,
            startup,
            Timer::Started {
                uid: uid.to_owned(),
                idx,
                run,
            },
        );
    }

    fn container_started(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize, run: u32) {
        let Some((pod, path, image, _)) = self.container_ref(uid, idx) else {
            return;
        };
        let profile = ctx.config().images.lookup(&image).clone();
        let now = ctx.now();
        let files = self.files_named_by_command(uid, idx, &profile);
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let Some(c) = w.ctrs.get_mut(idx) else { return };
        if c.run != run || w.terminating {
            return;
        }
        c.state = CState::Running { started_at: now };
        c.files_at_start = files;
        c.started_once = true;
        c.ready = c.probed_ready();
        let name = c.name.clone();
        let sidecar = c.sidecar;
        // A sidecar runs like a regular container; the next init container
        // (or the regular ones) start once it has started.
        let init = c.init && !sidecar;
        let first_start_of_sidecar = sidecar && w.init_done == idx;
        if first_start_of_sidecar {
            w.init_done += 1;
        }
        self.recorder.record_with_field_path(
            ctx,
            &pod,
            Some(path),
            "Normal",
            "Started",
            format!("Started container {name}"),
        );
        if first_start_of_sidecar {
            self.start_next_containers(ctx, uid);
        }
        ctx.trace("start-container", ObjectKey::of(&pod).to_string(), name);
        let exit = match (profile.exit, init) {
            (Some(e), _) => Some((e.after, e.code)),
            (None, true) => Some((SimDuration::ZERO, 0)),
            (None, false) => None,
        };
        let oom = self
            .memory_limit(uid, idx)
            .and_then(|limit| profile.oom_after(limit))
            .filter(|oom| exit.is_none_or(|(after, _)| *oom < after));
        if let Some(after) = oom {
            self.timer(
                ctx,
                after,
                Timer::Oom {
                    uid: uid.to_owned(),
                    idx,
                    run,
                },
            );
        } else if let Some((after, _)) = exit {
            self.timer(
                ctx,
                after,
                Timer::Exit {
                    uid: uid.to_owned(),
                    idx,
                    run,
                },
            );
        }
        self.post_status(ctx, uid);
    }

    fn container_exited(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize, run: u32) {
        let Some((_, _, image, _)) = self.container_ref(uid, idx) else {
            return;
        };
        let code = ctx
            .config()
            .images
            .lookup(&image)
            .exit
            .map_or(0, |e| e.code);
        let current = self
            .workers
            .get(uid)
            .and_then(|w| w.ctrs.get(idx))
            .is_some_and(|c| c.run == run && c.is_running());
        if current {
            self.finish_container(ctx, uid, idx, code);
        }
    }

    /// The current run of container `idx` exits with `code`.
    fn finish_container(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize, code: i32) {
        let reason = if code == 0 { "Completed" } else { "Error" };
        self.end_container(ctx, uid, idx, code, reason, false);
    }

    /// The current run of container `idx` ends with `code` and `reason`;
    /// `killed`: the kubelet killed it (a failed probe), so it is restarted
    /// unless the restart policy is Never, whatever its exit code.
    fn end_container(
        &mut self,
        ctx: &mut Ctx<'_>,
        uid: &str,
        idx: usize,
        code: i32,
        reason: &'static str,
        killed: bool,
    ) {
        let now = ctx.now();
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let pod_key = ObjectKey::of(&w.pod).to_string();
        let restart_policy = w
            .pod
            .as_pod()
            .and_then(|p| p.spec.as_ref())
            .and_then(|s| s.restart_policy.clone())
            .unwrap_or_else(|| "Always".into());
        let Some(c) = w.ctrs.get_mut(idx) else { return };
        if w.terminating {
            return;
        }
        let started_at = match c.state {
            CState::Running { started_at } => started_at,
            _ => now,
        };
        c.state = CState::Terminated {
            exit_code: code,
            reason,
            started_at,
            finished_at: now,
        };
        c.ready = false;
        let init = c.init && !c.sidecar;
        let sidecar = c.sidecar;
        ctx.trace(
            "container-exit",
            pod_key,
            format!("{} exit code {code}", c.name),
        );
        if init && code == 0 {
            w.init_done += 1;
            self.start_next_containers(ctx, uid);
            self.post_status(ctx, uid);
            return;
        }
        let restart = sidecar
            || match restart_policy.as_str() {
                "Always" => true,
                "OnFailure" => code != 0 || killed,
                _ => false,
            };
        if restart {
            self.schedule_restart(ctx, uid, idx);
        }
        self.post_status(ctx, uid);
    }

    /// CrashLoopBackOff (kuberuntime_manager.go doBackOff; flowcontrol.Backoff):
    /// the first restart is immediate, then 10 s doubling to 300 s; an entry not
    /// touched for 10 min starts over.
    fn schedule_restart(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize) {
        let now = ctx.now();
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let pod = w.pod.clone();
        let pod_desc = format!("{}_{}({})", pod.name(), pod.namespace(), uid);
        let Some(c) = w.ctrs.get_mut(idx) else { return };
        if c.backoff != SimDuration::ZERO
            && now.saturating_since(c.backoff_at) > MAX_BACKOFF.saturating_mul(2)
        {
            c.backoff = SimDuration::ZERO;
        }
        let delay = c.backoff;
        c.backoff = if c.backoff == SimDuration::ZERO {
            INITIAL_BACKOFF
        } else {
            c.backoff.saturating_mul(2).min(MAX_BACKOFF)
        };
        c.backoff_at = now;
        let name = c.name.clone();
        if delay > SimDuration::ZERO {
            c.last = Some(c.state.clone());
            c.state = CState::Waiting {
                reason: "CrashLoopBackOff",
                message: Some(format!(
                    "back-off {} restarting failed container={name} pod={pod_desc}",
                    delay
                )),
            };
            let path = format!("spec.containers{{{name}}}");
            self.recorder.record_with_field_path(
                ctx,
                &pod,
                Some(path),
                "Warning",
                "BackOff",
                format!("Back-off restarting failed container {name} in pod {pod_desc}"),
            );
        }
        self.timer(
            ctx,
            delay,
            Timer::Restart {
                uid: uid.to_owned(),
                idx,
            },
        );
    }

    fn restart(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        if w.terminating {
            return;
        }
        let Some(c) = w.ctrs.get_mut(idx) else { return };
        if let CState::Terminated { .. } = c.state {
            c.last = Some(c.state.clone());
        }
        c.restarts += 1;
        self.ensure_image(ctx, uid, idx);
    }

    fn kill_pod(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        w.terminating = true;
        let pod = w.pod.clone();
        let grace = pod
            .meta()
            .deletion_grace_period_seconds
            .unwrap_or(30)
            .max(0);
        let grace = SimDuration::from_secs(u64::try_from(grace).unwrap_or(0));
        let mut stops = Vec::new();
        for (idx, c) in w.ctrs.iter_mut().enumerate() {
            if c.is_running() {
                let path = if c.init {
                    format!("spec.initContainers{{{}}}", c.name)
                } else {
                    format!("spec.containers{{{}}}", c.name)
                };
                stops.push((idx, c.run, c.name.clone(), c.image.clone(), path));
            }
        }
        for (idx, run, name, image, path) in stops {
            self.recorder.record_with_field_path(
                ctx,
                &pod,
                Some(path),
                "Normal",
                "Killing",
                format!("Stopping container {name}"),
            );
            let stop = ctx.config().images.lookup(&image).stop.min(grace);
            self.timer(
                ctx,
                stop,
                Timer::Stopped {
                    uid: uid.to_owned(),
                    idx,
                    run,
                },
            );
        }
        self.runtime.forget_pod(uid);
        self.maybe_finish_termination(ctx, uid);
    }

    fn container_stopped(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize, run: u32) {
        let now = ctx.now();
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let Some(c) = w.ctrs.get_mut(idx) else { return };
        if c.run != run {
            return;
        }
        if let CState::Running { started_at } = c.state {
            c.state = CState::Terminated {
                exit_code: 0,
                reason: "Completed",
                started_at,
                finished_at: now,
            };
            c.ready = false;
        }
        self.maybe_finish_termination(ctx, uid);
    }

    fn maybe_finish_termination(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        if !w.terminating || w.delete_sent || w.ctrs.iter().any(Ctr::is_running) {
            return;
        }
        w.delete_sent = true;
        let key = ObjectKey::of(&w.pod);
        ctx.trace("pod-terminated", key.to_string(), String::new());
        ctx.send(Request::Delete {
            key,
            options: DeleteOptions {
                grace_period_secs: Some(0),
                propagation: None,
                precondition_uid: Some(uid.to_owned()),
            },
        });
    }

    fn pod_deleted(&mut self, uid: &str) {
        if let Some(w) = self.workers.remove(uid) {
            if let Some(ip) = w.ip {
                self.release_ip(&ip);
            }
            self.runtime.forget_pod(uid);
        }
    }
}

/// What a running container looks like from inside (for `kubectl exec`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerView {
    /// The process environment, as resolved when the container started.
    pub env: EnvList,
    /// The container's `command` (empty: the image's entrypoint).
    pub command: Vec<String>,
    /// The container's `args` (empty with no `command`: the image's cmd).
    pub args: Vec<String>,
    /// The files its command and args name by absolute path, as they were
    /// when it started (what its process read then).
    pub files_at_start: BTreeMap<String, String>,
    /// The filesystem.
    pub fs: FsView,
    /// The hostname.
    pub hostname: String,
    /// The image reference.
    pub image: String,
    /// When the container started.
    pub started_at: SimTime,
}

fn find_container<'a>(
    pod: &'a Pod,
    name: &str,
) -> Option<&'a k8s_openapi::api::core::v1::Container> {
    let spec = pod.spec.as_ref()?;
    spec.containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .find(|c| c.name == name)
}

fn same_ignoring_heartbeats(a: &NodeStatus, b: &NodeStatus) -> bool {
    let strip = |s: &NodeStatus| {
        let mut s = s.clone();
        for c in s.conditions.iter_mut().flatten() {
            c.last_heartbeat_time = None;
        }
        s
    };
    strip(a) == strip(b)
}

/// CPU capacity as the kubelet reports it: whole cores when integral.
fn format_cpu(millis: i64) -> String {
    if millis % 1000 == 0 {
        (millis / 1000).to_string()
    } else {
        format!("{millis}m")
    }
}

/// A duration as Go prints `time.Duration` rounded to milliseconds (pull messages).
fn short(d: SimDuration) -> String {
    SimDuration::from_millis(d.as_millis()).to_string()
}

impl Component for Kubelet {
    fn role(&self) -> Role {
        Role::Kubelet(self.node_name.clone())
    }

    fn start(&mut self, ctx: &mut Ctx<'_>) {
        use rand::Rng;
        if std::mem::take(&mut self.restarted) {
            self.begin_resync(ctx);
        }
        if !self.boot_id.is_empty() {
            self.watch_all(ctx);
            self.register(ctx);
            return;
        }
        let (a, b): (u64, u64) = (ctx.rng().random(), ctx.rng().random());
        self.boot_id = format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        );
        self.watch_all(ctx);
        self.register(ctx);
    }

    fn on_fault(&mut self, ctx: &mut Ctx<'_>, fault: &ComponentFault) {
        match fault {
            ComponentFault::Restart { crashed } => self.reset(*crashed),
            ComponentFault::Resync => {
                self.watch_all(ctx);
                self.begin_resync(ctx);
                // Statuses posted during the partition were lost: post again.
                self.last_node_status = None;
                let uids: Vec<String> = self.workers.keys().cloned().collect();
                for uid in uids {
                    if let Some(w) = self.workers.get_mut(&uid) {
                        w.last_posted = None;
                    }
                    self.post_status(ctx, &uid);
                }
            }
            ComponentFault::CrashContainer {
                namespace,
                pod,
                container,
                exit_code,
            } => self.crash_container(ctx, namespace, pod, container, *exit_code),
            ComponentFault::StaticPodProcess { process, running } => {
                self.static_pod_process(ctx, process.name(), *running)
            }
        }
    }

    fn on_watch(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
        match event.object.kind() {
            Kind::Node if event.change != ChangeType::Deleted => {
                self.node = Some(event.object.clone())
            }
            Kind::Pod => match event.change {
                ChangeType::Deleted => self.pod_deleted(event.object.uid()),
                _ => {
                    if let Some(seen) = self.resync_seen.as_mut() {
                        seen.insert(event.object.uid().to_owned());
                    }
                    self.pod_added(ctx, &event.object)
                }
            },
            _ => {
                self.cache.apply(event);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, tag: u64) {
        let Some(t) = self.timers.remove(&tag) else {
            return;
        };
        match t {
            Timer::RegisterRetry => {
                if !self.registered {
                    self.register(ctx);
                }
            }
            Timer::LeaseRenew => self.renew_lease(ctx),
            Timer::StatusUpdate => self.update_node_status(ctx),
            Timer::SandboxReady(uid) => self.sandbox_ready(ctx, &uid),
            Timer::PullDone => self.pull_done(ctx),
            Timer::Started { uid, idx, run } => self.container_started(ctx, &uid, idx, run),
            Timer::Exit { uid, idx, run } => self.container_exited(ctx, &uid, idx, run),
            Timer::Stopped { uid, idx, run } => self.container_stopped(ctx, &uid, idx, run),
            Timer::Restart { uid, idx } => self.restart(ctx, &uid, idx),
            Timer::ResyncDone => self.resync_done(ctx),
            Timer::RetryConfig { uid, idx } => {
                let waiting = self
                    .workers
                    .get(&uid)
                    .filter(|w| !w.terminating)
                    .and_then(|w| w.ctrs.get(idx))
                    .is_some_and(|c| {
                        matches!(
                            c.state,
                            CState::Waiting {
                                reason: "CreateContainerConfigError",
                                ..
                            }
                        )
                    });
                if waiting {
                    self.ensure_image(ctx, &uid, idx);
                }
            }
            Timer::RetryPull { uid, idx } => self.ensure_image(ctx, &uid, idx),
            Timer::Probe { uid, idx, probe } => self.probe_tick(ctx, &uid, idx, probe),
            Timer::ProbeKilled { uid, idx, run } => {
                if self.is_current(&uid, idx, run) {
                    self.end_container(ctx, &uid, idx, 137, "Error", true);
                }
            }
            Timer::Oom { uid, idx, run } => {
                if self.is_current(&uid, idx, run) {
                    self.end_container(ctx, &uid, idx, 137, "OOMKilled", false);
                }
            }
            Timer::PullBackOff(uid) => {
                let mut changed = false;
                if let Some(w) = self.workers.get_mut(&uid) {
                    for c in &mut w.ctrs {
                        if matches!(
                            c.state,
                            CState::Waiting {
                                reason: "ErrImagePull",
                                ..
                            }
                        ) {
                            let msg = format!("Back-off pulling image \"{}\"", c.image);
                            c.state = CState::Waiting {
                                reason: "ImagePullBackOff",
                                message: Some(msg),
                            };
                            changed = true;
                        }
                    }
                }
                if changed {
                    self.post_status(ctx, &uid);
                }
            }
        }
    }

    fn on_response(&mut self, ctx: &mut Ctx<'_>, tag: u64, result: &ApiResult) {
        match (tag, result) {
            (TAG_REGISTER, _) if self.registered => {}
            (TAG_REGISTER, Ok(Response::Object(node))) => {
                self.registered = true;
                self.node = Some(node.clone());
                self.last_node_report = ctx.now();
                self.last_node_status = node.as_node().and_then(|n| n.status.clone());
                self.renew_lease(ctx);
                let every = ctx.config().timings.node_status_update_frequency;
                self.timer(ctx, every, Timer::StatusUpdate);
                self.create_mirror_pods(ctx);
            }
            (TAG_REGISTER, Err(_)) => {
                self.registered = true;
                // Already registered (a restarted kubelet): take the node from the watch.
                self.renew_lease(ctx);
                let every = ctx.config().timings.node_status_update_frequency;
                self.timer(ctx, every, Timer::StatusUpdate);
            }
            (TAG_LEASE, Ok(Response::Object(obj))) => {
                if let Object::Lease(l) = &**obj {
                    self.lease = Some((**l).clone());
                }
            }
            _ => {}
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Probes, memory limits and admission.
impl Kubelet {
    /// True when run `run` of container `idx` is the current one and running.
    fn is_current(&self, uid: &str, idx: usize, run: u32) -> bool {
        self.workers
            .get(uid)
            .filter(|w| !w.terminating)
            .and_then(|w| w.ctrs.get(idx))
            .is_some_and(|c| c.run == run && c.is_running())
    }

    /// True when `job` pulls a private image without credentials for its
    /// registry among the pod's `imagePullSecrets`.
    fn pull_denied(&self, catalog: &ImageCatalog, job: &PullJob) -> bool {
        catalog.lookup(&job.image).private
            && !self
                .workers
                .get(&job.pod_uid)
                .and_then(|w| w.pod.as_pod())
                .is_some_and(|p| {
                    registry::has_credentials(p, &job.image, |ns, n| self.cache.secret(ns, n))
                })
    }

    /// The memory limit of container `idx`, bytes.
    fn memory_limit(&self, uid: &str, idx: usize) -> Option<i64> {
        let w = self.workers.get(uid)?;
        let spec = find_container(w.pod.as_pod()?, &w.ctrs.get(idx)?.name)?;
        let q = spec.resources.as_ref()?.limits.as_ref()?.get("memory")?;
        crate::api::quantity::parse_bytes(&q.0).ok()
    }

    /// Starts (or, after a kubelet restart, restarts) the probe workers of a
    /// pod: each ticks every period from now (prober_manager.go AddPod).
    fn start_probers(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let mut ticks = Vec::new();
        for (idx, c) in w.ctrs.iter_mut().enumerate() {
            let run = c.run;
            for (probe, p) in c.probes.iter_mut().enumerate() {
                p.reset(run);
                ticks.push((idx, probe, p.spec.period));
            }
        }
        for (idx, probe, period) in ticks {
            let uid = uid.to_owned();
            self.timer(ctx, period, Timer::Probe { uid, idx, probe });
        }
    }

    /// One tick of a probe worker (worker.go doProbe).
    fn probe_tick(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize, probe: usize) {
        let now = ctx.now();
        let host_ip = self.host_ip.clone();
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        if w.terminating {
            return;
        }
        let pod = w.pod.clone();
        let pod_ip = w.ip.clone().unwrap_or(host_ip);
        let Some(c) = w.ctrs.get_mut(idx) else { return };
        let Some(spec) = c.probes.get(probe).map(|p| p.spec.clone()) else {
            return;
        };
        let uid_s = uid.to_owned();
        self.timer(
            ctx,
            spec.period,
            Timer::Probe {
                uid: uid_s,
                idx,
                probe,
            },
        );
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let Some(c) = w.ctrs.get_mut(idx) else { return };
        let CState::Running { started_at } = c.state else {
            return;
        };
        let started = c.started();
        let run = c.run;
        let st = &mut c.probes[probe];
        if st.run != run {
            st.reset(run);
        }
        if st.on_hold
            || (spec.kind != ProbeKind::Startup && !started)
            || (spec.kind == ProbeKind::Startup && started)
        {
            return;
        }
        let since = now.saturating_since(started_at);
        if since < spec.initial_delay {
            return;
        }
        let health = ctx.config().images.lookup(&c.image).health_at(since);
        let ok = match spec.kind {
            ProbeKind::Readiness => health.readiness,
            _ => health.liveness,
        };
        let changed = st.observe(ok);
        let name = c.name.clone();
        let path = format!("spec.containers{{{name}}}");
        if !ok {
            let output = pod
                .as_pod()
                .and_then(|p| find_container(p, &name))
                .map(|cs| prober::failure_output(cs, spec.kind, &pod_ip, spec.timeout))
                .unwrap_or_default();
            self.recorder.record_with_field_path(
                ctx,
                &pod,
                Some(path.clone()),
                "Warning",
                "Unhealthy",
                format!("{} probe failed: {output}", spec.kind.label()),
            );
        }
        let Some(result) = changed else { return };
        if !result && spec.kind != ProbeKind::Readiness {
            self.probe_kill(ctx, uid, idx, &spec, path);
            return;
        }
        if let Some(c) = self.workers.get_mut(uid).and_then(|w| w.ctrs.get_mut(idx)) {
            c.ready = c.probed_ready();
        }
        self.post_status(ctx, uid);
    }

    /// Kills a container whose liveness or startup probe failed
    /// (kuberuntime_manager.go computePodActions, killContainer).
    fn probe_kill(
        &mut self,
        ctx: &mut Ctx<'_>,
        uid: &str,
        idx: usize,
        spec: &prober::ProbeSpec,
        path: String,
    ) {
        let Some(w) = self.workers.get(uid) else {
            return;
        };
        let Some(c) = w.ctrs.get(idx) else { return };
        let pod = w.pod.clone();
        let p = pod.as_pod();
        let never = p
            .and_then(|p| p.spec.as_ref())
            .and_then(|s| s.restart_policy.as_deref())
            == Some("Never");
        let pod_grace = p
            .and_then(|p| p.spec.as_ref())
            .and_then(|s| s.termination_grace_period_seconds)
            .and_then(|s| u64::try_from(s).ok())
            .map_or(SimDuration::from_secs(30), SimDuration::from_secs);
        let grace = spec.grace.unwrap_or(pod_grace);
        let stop = ctx.config().images.lookup(&c.image).stop.min(grace);
        let kind = if spec.kind == ProbeKind::Startup {
            "startup"
        } else {
            "liveness"
        };
        let mut msg = format!("Container {} failed {kind} probe", c.name);
        if !never {
            msg.push_str(", will be restarted");
        }
        let run = c.run;
        self.recorder
            .record_with_field_path(ctx, &pod, Some(path), "Normal", "Killing", msg);
        self.timer(
            ctx,
            stop,
            Timer::ProbeKilled {
                uid: uid.to_owned(),
                idx,
                run,
            },
        );
    }

    /// The kubelet's resource admission of a pod bound to this node
    /// (lifecycle/predicate.go: the requests of the admitted, non-terminal
    /// pods plus this one against allocatable): the rejection reason and
    /// message when it does not fit.
    fn admit(&self, pod: &Pod) -> Option<(String, String)> {
        let spec = pod.spec.as_ref()?;
        let cap = &self.node_config.capacity;
        let allocatable = crate::api::resources::Resources {
            cpu_millis: cap.cpu_millis,
            memory_bytes: cap.memory_bytes - EVICTION_HARD_MEMORY_BYTES,
            ephemeral_storage_bytes: cap.ephemeral_storage_bytes / 10 * 9,
            pods: cap.pods,
        };
        let mut used = crate::api::resources::Resources::default();
        let mut pods = 0;
        for w in self.workers.values() {
            if matches!(w.phase(), "Succeeded" | "Failed") {
                continue;
            }
            if let Some(s) = w.pod.as_pod().and_then(|p| p.spec.as_ref()) {
                used.add(&crate::api::resources::pod_requests(s));
            }
            pods += 1;
        }
        used.pods = pods;
        let req = crate::api::resources::pod_requests(spec);
        let checks = [
            ("pods", 1, used.pods, allocatable.pods),
            (
                "cpu",
                req.cpu_millis,
                used.cpu_millis,
                allocatable.cpu_millis,
            ),
            (
                "memory",
                req.memory_bytes,
                used.memory_bytes,
                allocatable.memory_bytes,
            ),
            (
                "ephemeral-storage",
                req.ephemeral_storage_bytes,
                used.ephemeral_storage_bytes,
                allocatable.ephemeral_storage_bytes,
            ),
        ];
        checks
            .into_iter()
            .find(|&(_, r, u, c)| r > 0 && u + r > c)
            .map(|(name, r, u, c)| {
                (
                    format!("OutOf{name}"),
                    format!(
                        "Node didn't have enough resource: {name}, requested: {r}, used: {u}, capacity: {c}"
                    ),
                )
            })
    }

    /// Rejects a pod at admission (kubelet.go rejectPod).
    fn reject(&mut self, ctx: &mut Ctx<'_>, obj: &Arc<Object>, reason: String, message: String) {
        self.rejected.insert(obj.uid().to_owned());
        ctx.trace(
            "reject-pod",
            ObjectKey::of(obj).to_string(),
            message.clone(),
        );
        self.recorder
            .record(ctx, obj, "Warning", &reason, message.clone());
        let Some(mut pod) = obj.as_pod().cloned() else {
            return;
        };
        let qos = pod.status.as_ref().and_then(|s| s.qos_class.clone());
        pod.status = Some(k8s_openapi::api::core::v1::PodStatus {
            phase: Some("Failed".into()),
            reason: Some(reason),
            message: Some(format!("Pod was rejected: {message}")),
            qos_class: qos,
            ..Default::default()
        });
        pod.metadata.resource_version = None;
        ctx.send(Request::UpdateStatus(Object::from(pod)));
    }
}

/// Restarts, resyncs and fault-injected container crashes.
impl Kubelet {
    fn watch_all(&mut self, ctx: &mut Ctx<'_>) {
        ctx.watch(WatchSpec::with_field(
            Kind::Pod,
            "spec.nodeName",
            self.node_name.clone(),
        ));
        ctx.watch(WatchSpec::with_field(
            Kind::Node,
            "metadata.name",
            self.node_name.clone(),
        ));
        // The kubelet's Service informer and its ConfigMap and Secret managers.
        ctx.watch(WatchSpec::all(Kind::Service));
        ctx.watch(WatchSpec::all(Kind::ConfigMap));
        ctx.watch(WatchSpec::all(Kind::Secret));
    }

    /// Forgets the in-memory state of the kubelet process; with `crashed`,
    /// the node lost power and the runtime's containers are gone too.
    /// A control-plane process of a static pod stopped or came back: while it
    /// is down its container shows the exit and CrashLoopBackOff, not ready;
    /// when it is back it runs again with one more restart.
    fn static_pod_process(&mut self, ctx: &mut Ctx<'_>, component: &str, running: bool) {
        let pod_name = format!("{component}-{}", self.node_name);
        let now = ctx.now();
        let Some(uid) = self
            .workers
            .iter()
            .find(|(_, w)| w.pod.name() == pod_name && w.pod.namespace() == "kube-system")
            .map(|(u, _)| u.clone())
        else {
            return;
        };
        let Some(w) = self.workers.get_mut(&uid) else {
            return;
        };
        let pod_desc = format!("{}_kube-system({uid})", pod_name);
        let Some(c) = w.ctrs.iter_mut().find(|c| c.name == component) else {
            return;
        };
        if running {
            if !c.is_running() {
                c.restarts += 1;
                c.state = CState::Running { started_at: now };
                c.ready = true;
                c.run += 1;
            }
        } else if let CState::Running { started_at } = c.state {
            c.last = Some(CState::Terminated {
                exit_code: 1,
                reason: "Error",
                started_at,
                finished_at: now,
            });
            c.state = CState::Waiting {
                reason: "CrashLoopBackOff",
                message: Some(format!(
                    "back-off 10s restarting failed container={component} pod={pod_desc}"
                )),
            };
            c.ready = false;
            c.run += 1;
        }
        self.post_status(ctx, &uid);
    }

    fn reset(&mut self, crashed: bool) {
        self.restarted = true;
        self.timers.clear();
        self.runtime.reset_pulls();
        self.node = None;
        self.last_node_status = None;
        self.cache = ConfigCache::default();
        if crashed {
            self.workers.clear();
            self.used_ips.clear();
            self.boot_id.clear();
        }
        self.to_revive = self.workers.keys().cloned().collect();
    }

    /// Starts a resync: the relist of the pods arrives after the watch
    /// latency; when it has, pods the API no longer has are killed and the
    /// others are driven on from the runtime's state.
    fn begin_resync(&mut self, ctx: &mut Ctx<'_>) {
        self.resync_seen = Some(BTreeSet::new());
        let after = ctx.config().latencies.watch_delivery + SimDuration::from_millis(1);
        self.timer(ctx, after, Timer::ResyncDone);
    }

    fn resync_done(&mut self, ctx: &mut Ctx<'_>) {
        let seen = self.resync_seen.take().unwrap_or_default();
        let uids: Vec<String> = self.workers.keys().cloned().collect();
        for uid in uids {
            if !seen.contains(&uid) {
                // Deleted from the API while this kubelet could not see it.
                if let Some(w) = self.workers.get(&uid) {
                    ctx.trace(
                        "kill-pod",
                        ObjectKey::of(&w.pod).to_string(),
                        "deleted from the API server".into(),
                    );
                }
                self.pod_deleted(&uid);
            } else if self.restarted_worker(&uid) {
                self.revive(ctx, &uid);
            }
        }
    }

    /// True (once) for a pod whose timers a restart dropped.
    fn restarted_worker(&mut self, uid: &str) -> bool {
        self.to_revive.remove(uid)
    }

    /// Drives a pod on after a kubelet restart, from what the runtime has:
    /// running containers keep running; the rest are started (the in-memory
    /// back-off is gone, as in a real kubelet).
    fn revive(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        w.last_posted = None;
        if w.terminating {
            w.terminating = false;
            if !w.delete_sent {
                self.kill_pod(ctx, uid);
            }
            return;
        }
        let sandbox_ready = w.sandbox_ready;
        self.start_probers(ctx, uid);
        if !sandbox_ready {
            let delay = ctx.config().timings.pod_sandbox_setup;
            self.timer(ctx, delay, Timer::SandboxReady(uid.to_owned()));
            self.post_status(ctx, uid);
            return;
        }
        let limits: Vec<Option<i64>> = (0..self.workers.get(uid).map_or(0, |w| w.ctrs.len()))
            .map(|idx| self.memory_limit(uid, idx))
            .collect();
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let restart_policy = w
            .pod
            .as_pod()
            .and_then(|p| p.spec.as_ref())
            .and_then(|s| s.restart_policy.clone())
            .unwrap_or_else(|| "Always".into());
        let now = ctx.now();
        let mut exits = Vec::new();
        let mut starts = Vec::new();
        let mut restarts = Vec::new();
        for (idx, c) in w.ctrs.iter_mut().enumerate() {
            let turn = if c.init {
                idx == w.init_done
            } else {
                w.init_done >= w.n_init
            };
            match &c.state {
                CState::Running { started_at } => {
                    let profile = ctx.config().images.lookup(&c.image);
                    let after = match (profile.exit, c.init) {
                        (Some(e), _) => Some(e.after),
                        (None, true) => Some(SimDuration::ZERO),
                        (None, false) => None,
                    };
                    let oom = limits[idx]
                        .and_then(|l| profile.oom_after(l))
                        .filter(|oom| after.is_none_or(|a| *oom < a));
                    if let Some(after) = oom.or(after) {
                        let left = SimDuration::from_nanos(
                            after
                                .as_nanos()
                                .saturating_sub(now.saturating_since(*started_at).as_nanos()),
                        );
                        exits.push((idx, c.run, left, oom.is_some()));
                    }
                }
                CState::Waiting { reason, .. } if turn => {
                    c.backoff = SimDuration::ZERO;
                    if *reason == "CrashLoopBackOff" {
                        restarts.push(idx);
                    } else {
                        starts.push(idx);
                    }
                }
                CState::Terminated { exit_code, .. } if turn => {
                    let again = match restart_policy.as_str() {
                        "Always" => true,
                        "OnFailure" => *exit_code != 0,
                        _ => false,
                    };
                    if again && !(c.init && *exit_code == 0) {
                        c.backoff = SimDuration::ZERO;
                        restarts.push(idx);
                    }
                }
                _ => {}
            }
        }
        for (idx, run, left, oom) in exits {
            let uid = uid.to_owned();
            let t = if oom {
                Timer::Oom { uid, idx, run }
            } else {
                Timer::Exit { uid, idx, run }
            };
            self.timer(ctx, left, t);
        }
        for idx in starts {
            self.ensure_image(ctx, uid, idx);
        }
        for idx in restarts {
            self.restart(ctx, uid, idx);
        }
        self.post_status(ctx, uid);
    }

    /// A container's process exits with `exit_code` (a fault).
    fn crash_container(
        &mut self,
        ctx: &mut Ctx<'_>,
        namespace: &str,
        pod: &str,
        container: &str,
        exit_code: i32,
    ) {
        let Some((uid, idx)) = self.workers.iter().find_map(|(uid, w)| {
            (w.pod.namespace() == namespace && w.pod.name() == pod && !w.terminating)
                .then(|| {
                    w.ctrs
                        .iter()
                        .position(|c| c.name == container && c.is_running())
                        .map(|i| (uid.clone(), i))
                })
                .flatten()
        }) else {
            return;
        };
        self.finish_container(ctx, &uid, idx, exit_code);
    }
}
