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
//!
//! It also answers what the API server proxies to it: `kubectl exec`
//! ([`Kubelet::exec`], and interactive sessions) runs a command in a
//! container modelled in memory (its image's files under a writable layer
//! with the pod's volumes, a small POSIX shell and the programs its image's
//! `PATH` holds, the image's server on its port, the flat pod network), and
//! `kubectl logs` ([`Kubelet::container_log`]) reads what a container
//! printed.

mod admission;
pub mod container_env;
pub mod container_fs;
mod container_lookup;
mod containers;
mod dns_tools;
mod exec;
mod host;
mod host_tools;
pub mod http;
mod images;
mod net_tools;
mod node_files;
mod node_status;
mod pod_network;
mod pod_sync;
pub(crate) mod pod_worker;
mod probe_workers;
pub(crate) mod prober;
pub mod redis;
pub(crate) mod registry;
mod restart;
pub(crate) mod runtime;
pub mod shell;
pub mod shell_grammar;
pub mod shell_tools;
mod status_manager;
pub mod tool_ctx;
mod volume_manager;

pub use exec::{
    ExecError, ExecOutput, ExecRequest, SessionId, SessionOutput, MAX_INPUT_LINES, MAX_SESSIONS,
};
/// The most lines a container's log keeps beyond its image's start-up lines.
pub const MAX_LOG_LINES: usize = node_files::MAX_LOG_LINES;

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Pod;

use self::container_env::ConfigCache;
use self::pod_worker::Worker;
use self::runtime::Runtime;
use super::event_recorder::EventRecorder;
use super::{Component, Ctx, Role, Tag, TagSpace, WatchEvent};
use crate::api::resources::Resources;
use crate::api::{Kind, Object};
use crate::apiserver::ApiResult;
use crate::config::network::{Cidr, PodIpPool};
use crate::config::NodeConfig;
use crate::etcd::ChangeType;
use crate::faults::ComponentFault;
use crate::time::{SimDuration, SimTime};

/// What a kubelet timer is for (its tag maps to one of these).
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

/// What the kubelet's tags are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KubeletTag {
    /// A timer; its serial number keys [`Timer`] in `Kubelet::timers`.
    Timer,
    /// The response to the node registration.
    Register,
    /// The response to the Lease creation.
    Lease,
}

impl TagSpace for KubeletTag {
    const ALL: &'static [Self] = &[Self::Timer, Self::Register, Self::Lease];
    fn id(self) -> u8 {
        self as u8
    }
}

/// The kubelet of one node.
pub struct Kubelet {
    /// The API answered the last registration (so the lease and status loops run).
    registered: bool,
    node_name: String,
    node_config: NodeConfig,
    host_ip: String,
    recorder: EventRecorder,
    runtime: Runtime,
    workers: BTreeMap<String, Worker>,
    /// Pending timers by their tag's serial number.
    timers: BTreeMap<u64, Timer>,
    next_timer_serial: u64,
    node: Option<Arc<Object>>,
    lease: Option<Lease>,
    static_pods: Vec<Pod>,
    /// The requests (and pod slots) of the admitted pods not yet terminal.
    admitted: Resources,
    /// The pod addresses of the node's CIDR.
    pod_ips: PodIpPool,
    /// The node status last reported, and what it was built from.
    last_node_status: Option<node_status::Reported>,
    last_node_report: SimTime,
    boot_id: String,
    cache: ConfigCache,
    /// The objects watched one by one (kind, namespace, name): the
    /// ConfigMaps, Secrets, claims and volumes the node's pods use.
    object_watches: std::collections::BTreeSet<(Kind, String, String)>,
    /// Set by a restart: `start` then resyncs with the runtime.
    restarted: bool,
    /// During a resync: the pods the relist brought.
    resync_seen: Option<BTreeSet<String>>,
    /// After a restart: the pods to drive on from the runtime's state.
    to_revive: BTreeSet<String>,
    /// Pods this kubelet rejected at admission.
    rejected: BTreeSet<String>,
    /// The node's files: its own disk, pod volumes, container layers.
    files: node_files::NodeFiles,
    /// Open interactive exec sessions.
    sessions: BTreeMap<exec::SessionId, exec::Session>,
    /// Open login sessions on the node itself.
    host_sessions: BTreeMap<exec::SessionId, shell::Shell>,
    next_session: u64,
}

impl Kubelet {
    /// A kubelet for `node` (whose InternalIP is `host_ip` and whose pods
    /// take addresses of `pod_cidr`), with images
    /// pre-pulled and the static pods it runs (control plane only).
    pub fn new(
        node: NodeConfig,
        host_ip: String,
        pod_cidr: Cidr,
        preloaded: Vec<(String, u64)>,
        static_pods: Vec<Pod>,
    ) -> Self {
        let bandwidth = node.pull_bandwidth_bytes_per_sec;
        Self {
            registered: false,
            node_name: node.name.clone(),
            host_ip,
            recorder: EventRecorder::new("kubelet", Some(&node.name)),
            runtime: Runtime::new(bandwidth, preloaded),
            node_config: node,
            workers: BTreeMap::new(),
            timers: BTreeMap::new(),
            next_timer_serial: 0,
            node: None,
            lease: None,
            static_pods,
            admitted: Resources::default(),
            pod_ips: PodIpPool::new(pod_cidr),
            last_node_status: None,
            last_node_report: SimTime::ZERO,
            boot_id: String::new(),
            cache: ConfigCache::default(),
            object_watches: std::collections::BTreeSet::new(),
            restarted: false,
            resync_seen: None,
            to_revive: BTreeSet::new(),
            rejected: BTreeSet::new(),
            files: node_files::NodeFiles::default(),
            sessions: BTreeMap::new(),
            host_sessions: BTreeMap::new(),
            next_session: 0,
        }
    }

    /// The node's InternalIP.
    pub fn host_ip(&self) -> &str {
        &self.host_ip
    }

    /// The node's pod CIDR (`spec.podCIDR`).
    pub fn pod_cidr(&self) -> Cidr {
        self.pod_ips.cidr()
    }

    fn timer(&mut self, ctx: &mut Ctx<'_>, delay: SimDuration, t: Timer) {
        let serial = self.next_timer_serial;
        self.next_timer_serial += 1;
        self.timers.insert(serial, t);
        ctx.set_timer(delay, Tag::new(KubeletTag::Timer, serial));
    }
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
            ComponentFault::Resync => self.resync_after_partition(ctx),
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
                if let Object::PersistentVolumeClaim(c) = &*event.object {
                    // A bound claim's volume is watched next.
                    let volume = c.spec.as_ref().and_then(|s| s.volume_name.as_deref());
                    if let Some(v) = volume.filter(|v| !v.is_empty()) {
                        if event.change != ChangeType::Deleted {
                            self.watch_one(ctx, Kind::PersistentVolume, "", v);
                        }
                    }
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, tag: Tag) {
        if tag.space() != Some(KubeletTag::Timer) {
            return;
        }
        let Some(t) = self.timers.remove(&tag.serial()) else {
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
            Timer::RetryConfig { uid, idx } => self.retry_config(ctx, &uid, idx),
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
            Timer::PullBackOff(uid) => self.pull_back_off(ctx, &uid),
        }
    }

    fn on_response(&mut self, ctx: &mut Ctx<'_>, tag: Tag, result: &ApiResult) {
        match tag.space() {
            Some(KubeletTag::Register) => self.registration_answered(ctx, result),
            Some(KubeletTag::Lease) => self.lease_created(result),
            Some(KubeletTag::Timer) | None => {}
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
