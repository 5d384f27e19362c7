//! kube-scheduler: the scheduling queue, the scheduling cycle and binding.
//!
//! The rooms, as a newcomer would look for them:
//! - `event_handlers.rs`: informer events keep the cache (nodes and the
//!   pods on them) and feed the `queue`;
//! - `schedule_one.rs`: one cycle, from popping a pod to binding it or
//!   recording why it cannot be scheduled;
//! - `framework`, `plugins` and `compiled_profile`: the scheduling
//!   framework and the default profile's plugins, run in profile order;
//! - `node_search`, `node_slots` and `verdicts`: the hot loop over
//!   nodes, with per-node memoized verdicts;
//! - `preemption`: the DefaultPreemption plugin;
//! - [`crate::config::scheduler`]: the KubeSchedulerConfiguration, typed.
//!
//! This module holds the component itself: its state, its timers and the
//! binding cycle (the Bind response).

pub(crate) mod compiled_profile;
mod event_handlers;
pub(crate) mod framework;
pub(crate) mod node_info;
pub(crate) mod node_search;
pub(crate) mod node_slots;
pub(crate) mod plugins;
pub(crate) mod pod_info;
pub(crate) mod pod_table;
pub(crate) mod preemption;
pub(crate) mod queue;
mod schedule_one;
pub(crate) mod verdicts;

use std::any::Any;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use self::compiled_profile::CompiledProfile;
use self::node_info::SpreadKeys;
use self::node_search::Found;
use self::node_slots::NodeSlots;
use self::plugins::inter_pod_affinity::NamespaceLabels;
use self::plugins::spread_domains::SpreadDomains;
use self::plugins::volume_binding;
use self::pod_info::SharedPodInfo;
use self::pod_table::{PodId, PodTable};
use self::queue::SchedulingQueue;
use self::verdicts::Shapes;
use super::event_recorder::EventRecorder;
use super::{Component, ControlPlaneProcess, Ctx, Role, Tag, TagSpace, WatchEvent};
use crate::api::labels::Selector;
use crate::api::{Kind, Object};
use crate::apiserver::watch::WatchSpec;
use crate::apiserver::ApiResult;
pub use crate::config::scheduler::DEFAULT_SCHEDULER_NAME;
use crate::time::SimDuration;

pub use self::schedule_one::{
    fit_error_message, num_feasible_nodes_to_find, MIN_FEASIBLE_NODES_PERCENTAGE,
    MIN_FEASIBLE_NODES_TO_FIND,
};

/// What the scheduler's tags are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SchedulerTag {
    /// The next scheduling cycle.
    Cycle,
    /// flushBackoffQCompleted, every second.
    FlushBackoff,
    /// flushUnschedulablePodsLeftover, every 30 s.
    FlushUnschedulable,
    /// A bind response; the serial number keys `Scheduler::binding`.
    Bind,
    /// VolumeBinding's PreBind checks its claims again (every second); the
    /// serial number keys `Scheduler::volume_waits`.
    VolumeWait,
}

impl TagSpace for SchedulerTag {
    const ALL: &'static [Self] = &[
        Self::Cycle,
        Self::FlushBackoff,
        Self::FlushUnschedulable,
        Self::Bind,
        Self::VolumeWait,
    ];
    fn id(self) -> u8 {
        self as u8
    }
}

/// The tag of a timer that needs no serial number.
fn timer(space: SchedulerTag) -> Tag {
    Tag::new(space, 0)
}

/// A bind request in flight.
#[derive(Clone, Debug)]
struct Binding {
    id: PodId,
    pod: Arc<Object>,
    node: String,
    attempts: u32,
}

/// Scheduling counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SchedulerStats {
    /// Scheduling attempts.
    pub attempts: u64,
    /// Pods bound.
    pub scheduled: u64,
    /// Attempts that found no node.
    pub unschedulable: u64,
}

/// The scheduler component.
pub struct Scheduler {
    recorder: EventRecorder,
    queue: SchedulingQueue,
    profiles: Vec<Arc<CompiledProfile>>,
    percentage_of_nodes_to_score: usize,
    nodes: NodeSlots,
    /// Node slot by node name (looked up, never iterated).
    node_index: FxHashMap<String, usize>,
    order: Vec<usize>,
    /// The pods the scheduler tracks (queued, placed or being bound).
    pods: PodTable,
    /// Pods waiting with `status.nominatedNodeName`, by uid.
    nominated: BTreeMap<String, (String, SharedPodInfo)>,
    image_nodes: BTreeMap<String, usize>,
    namespaces: NamespaceLabels,
    /// Service selectors by (namespace, name).
    services: BTreeMap<(String, String), BTreeMap<String, String>>,
    /// ReplicaSet and StatefulSet selectors by (kind, namespace, name).
    workloads: BTreeMap<(&'static str, String, String), Selector>,
    /// Claims, volumes, classes.
    storage: volume_binding::StorageCache,
    required_anti_affinity_pods: usize,
    affinity_pods: usize,
    order_dirty: bool,
    next_start_node_index: usize,
    cycle_pending: bool,
    stats: SchedulerStats,
    /// Bind requests in flight by their tag's serial number.
    binding: BTreeMap<u64, Binding>,
    next_bind_serial: u64,
    /// Bindings whose PreBind waits for their claims to be bound, by the
    /// binding's serial number.
    volume_waits: BTreeMap<u64, volume_binding::VolumeWait>,
    /// Which pods' attempts are explained in full (the others are
    /// summarized); None: no attempt is explained.
    explain: Option<Selector>,
    /// Pod shapes seen, interned for the node slots' verdicts.
    shapes: Shapes,
    /// PodTopologySpread's selectors seen, interned for the node slots'
    /// memos of matching pods.
    spread_keys: SpreadKeys,
    /// PodTopologySpread's matching pods per topology domain.
    spread_domains: RefCell<SpreadDomains>,
    /// The last search's result, kept for its buffers.
    found: Found,
}

impl Default for Scheduler {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheduler {
    /// A scheduler; its configuration is read from the cluster config at start.
    pub fn new() -> Self {
        Self {
            recorder: EventRecorder::new(DEFAULT_SCHEDULER_NAME, None),
            queue: SchedulingQueue::new(
                SimDuration::from_secs(1),
                SimDuration::from_secs(10),
                SimDuration::from_mins(5),
            ),
            profiles: Vec::new(),
            percentage_of_nodes_to_score: 0,
            nodes: NodeSlots::default(),
            node_index: FxHashMap::default(),
            order: Vec::new(),
            pods: PodTable::default(),
            nominated: BTreeMap::new(),
            image_nodes: BTreeMap::new(),
            namespaces: BTreeMap::new(),
            services: BTreeMap::new(),
            workloads: BTreeMap::new(),
            storage: volume_binding::StorageCache::default(),
            required_anti_affinity_pods: 0,
            affinity_pods: 0,
            order_dirty: false,
            next_start_node_index: 0,
            cycle_pending: false,
            stats: SchedulerStats::default(),
            binding: BTreeMap::new(),
            next_bind_serial: 0,
            volume_waits: BTreeMap::new(),
            explain: None,
            shapes: Shapes::default(),
            spread_keys: SpreadKeys::default(),
            spread_domains: RefCell::default(),
            found: Found::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> SchedulerStats {
        self.stats
    }

    fn profile_index(&self, scheduler_name: &str) -> Option<usize> {
        self.profiles.iter().position(|p| p.name == scheduler_name)
    }

    fn kick(&mut self, ctx: &mut Ctx<'_>) {
        if !self.cycle_pending && self.queue.has_active() {
            self.cycle_pending = true;
            ctx.set_timer(SimDuration::ZERO, timer(SchedulerTag::Cycle));
        }
    }
}

impl Component for Scheduler {
    fn role(&self) -> Role {
        Role::ControlPlane(ControlPlaneProcess::Scheduler)
    }

    fn start(&mut self, ctx: &mut Ctx<'_>) {
        let t = ctx.config().timings;
        self.queue = SchedulingQueue::new(
            t.pod_initial_backoff,
            t.pod_max_backoff,
            t.pod_max_in_unschedulable,
        );
        let config = &ctx.config().scheduler;
        self.profiles = config
            .profiles
            .iter()
            .map(|p| Arc::new(CompiledProfile::compile(p)))
            .collect();
        self.percentage_of_nodes_to_score =
            usize::try_from(config.percentage_of_nodes_to_score).unwrap_or(0);
        self.explain = ctx
            .config()
            .explain_scheduling
            .full_for(ctx.config().nodes.len());
        for kind in [
            Kind::Node,
            Kind::Pod,
            Kind::Namespace,
            Kind::Service,
            Kind::ReplicaSet,
            Kind::StatefulSet,
            Kind::PersistentVolumeClaim,
            Kind::PersistentVolume,
            Kind::StorageClass,
        ] {
            ctx.watch(WatchSpec::all(kind));
        }
        ctx.set_timer(SimDuration::from_secs(1), timer(SchedulerTag::FlushBackoff));
        ctx.set_timer(
            SimDuration::from_secs(30),
            timer(SchedulerTag::FlushUnschedulable),
        );
    }

    fn on_watch(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
        match event.object.kind() {
            Kind::Node => self.on_node(ctx, event),
            Kind::Pod => self.on_pod(ctx, event),
            _ => self.on_other(ctx, event),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, tag: Tag) {
        match tag.space() {
            Some(SchedulerTag::Cycle) => self.cycle(ctx),
            Some(SchedulerTag::FlushBackoff) => {
                self.queue.flush_backoff(ctx.now());
                self.kick(ctx);
                ctx.set_timer(SimDuration::from_secs(1), tag);
            }
            Some(SchedulerTag::FlushUnschedulable) => {
                self.queue.flush_unschedulable_leftover(ctx.now());
                self.kick(ctx);
                ctx.set_timer(SimDuration::from_secs(30), tag);
            }
            Some(SchedulerTag::VolumeWait) => self.check_volume_wait(ctx, tag.serial()),
            Some(SchedulerTag::Bind) | None => {}
        }
    }

    fn on_response(&mut self, ctx: &mut Ctx<'_>, tag: Tag, result: &ApiResult) {
        if tag.space() != Some(SchedulerTag::Bind) {
            return;
        }
        let Some(binding) = self.binding.remove(&tag.serial()) else {
            return;
        };
        match result {
            Ok(_) => {
                let slot = self.pods.slot_mut(binding.id);
                slot.bindings = slot.bindings.saturating_sub(1);
                self.stats.scheduled += 1;
                let pod = &binding.pod;
                let msg = format!(
                    "Successfully assigned {}/{} to {}",
                    pod.namespace(),
                    pod.name(),
                    binding.node
                );
                self.recorder.record(ctx, pod, "Normal", "Scheduled", msg);
            }
            Err(e) => {
                let requeue = e.reason != crate::api::Reason::NotFound;
                self.binding_failed(ctx, binding, &e.message, requeue);
            }
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
