//! The cluster: the event loop that drives the API server and the components.
//!
//! [`Cluster`] owns the pending-event set, the API server (and etcd), the watch
//! hub and the components. [`Cluster::step`] pops the next event in (time,
//! sequence) order and dispatches it:
//!
//! - a request reaches the API server, which runs it and returns the changes;
//!   each change is fanned out to the watches it reaches, scheduled for
//!   delivery after the watch latency (never earlier than the previous delivery
//!   on the same watch, so every watcher sees changes in revision order);
//! - a delivery, timer or response is handed to its component.
//!
//! Clients outside the cluster (kubectl steps of a scenario) call
//! [`Cluster::request`], which runs at the current instant.
//!
//! Faults ([`crate::faults`]) are injected with [`Cluster::inject_fault`]
//! (`fault_injection.rs`): the cluster keeps their state, drops what a stopped
//! or partitioned component would not get, holds the events of a stopped
//! control-plane component until it resumes, and restarts kubelets cleanly
//! (a new incarnation: its old watches, timers and responses are dropped).
//!
//! Components are found by what they are ([`Role`]): [`Cluster::kubelet`],
//! [`Cluster::scheduler`] and [`Cluster::controller_manager`] hand out the
//! typed component.
//!
//! A run that keeps scheduling work at one instant without the clock ever
//! moving (a livelock between components) is stopped after
//! [`MAX_EVENTS_PER_INSTANT`] events with a [`Stall`] naming the components
//! that ran them, instead of hanging.

mod census;
mod exec;
mod fault_injection;
mod host;
mod network;
mod traffic;

pub use exec::{ExecFailure, OpenSession};
pub use host::SshError;
pub use traffic::{
    Origin, Outcomes, Percentiles, Traffic, TrafficError, TrafficSpec, MAX_RATE_PER_SEC,
    MAX_SOURCES,
};

pub use fault_injection::FaultError;

use std::collections::BTreeMap;
use std::sync::Arc;

use rand_chacha::ChaCha8Rng;

use crate::api::{Kind, Object};
use crate::apiserver::watch::{WatchHub, WatchId, WatchSpec};
use crate::apiserver::{AdmissionSettings, ApiResult, ApiServer, Request};
use crate::components::controllers::ControllerManager;
use crate::components::kube_proxy::iptables::NodeRules;
use crate::components::kube_proxy::service_table::ServiceCache;
use crate::components::kube_proxy::KubeProxy;
use crate::components::kubelet::Kubelet;
use crate::components::scheduler::Scheduler;
use crate::components::{
    Component, ComponentId, ControlPlaneProcess, Ctx, Event, Role, WatchEvent,
};
use crate::config::ClusterConfig;
use crate::etcd::{Change, ChangeType, Etcd};
use crate::event_queue::EventQueue;
use crate::faults::{ComponentFault, Fault, FaultState};
use crate::rng::RngStreams;
use crate::time::{SimDuration, SimTime};
use crate::trace::{MetricsRow, Trace};

/// How many events may run at one instant before the run is declared
/// stalled. Legitimate bursts are far smaller: creating 150,000 pods at one
/// instant delivers each to a few watchers.
pub const MAX_EVENTS_PER_INSTANT: u64 = 20_000_000;

/// How many events of a stalled instant are attributed to components for
/// the [`Stall`] report.
const STALL_SAMPLE: u64 = 100_000;

/// The run stopped making progress: events kept running at one virtual
/// instant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the simulation stalled at {at}: more than {events} events ran without the virtual clock moving; busiest: {}",
    busiest.iter().map(|(c, n)| format!("{c} ({n} of the last {sampled} events)")).collect::<Vec<_>>().join(", ")
)]
pub struct Stall {
    /// The instant.
    pub at: SimTime,
    /// Events run at it before the sample.
    pub events: u64,
    /// Events sampled to find the busiest components.
    pub sampled: u64,
    /// The components that handled the sampled events, busiest first, with
    /// their counts (`kube-apiserver` for requests).
    pub busiest: Vec<(String, u64)>,
}

struct Slot {
    component: Option<Box<dyn Component>>,
    rng: ChaCha8Rng,
    role: Role,
    name: String,
    running: bool,
    /// Incremented at every restart; older timers and responses are dropped.
    epoch: u64,
    /// Some while frozen (a stopped control-plane component): its events wait here.
    held: Option<Vec<Event>>,
}

/// A fault as the transcript reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultNotice {
    /// When.
    pub at: SimTime,
    /// True when the fault started, false when it ended.
    pub started: bool,
    /// The fault, described.
    pub text: String,
}

/// Counters of one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events processed (metrics samples aside).
    pub events: u64,
    /// API requests processed.
    pub requests: u64,
    /// Store writes (creates, updates, deletes).
    pub writes: u64,
    /// Watch deliveries made.
    pub deliveries: u64,
    /// The most objects the store held at once.
    pub peak_objects: u64,
}

/// A simulated cluster.
pub struct Cluster {
    queue: EventQueue<Event>,
    api: ApiServer,
    hub: WatchHub<ComponentId>,
    watch_last_delivery: Vec<SimTime>,
    /// The revision of the last change each watch delivered.
    watch_last_revision: Vec<u64>,
    slots: Vec<Slot>,
    trace: Trace,
    streams: RngStreams,
    config: Arc<ClusterConfig>,
    stats: Stats,
    new_watches: Vec<(ComponentId, WatchSpec)>,
    targets: Vec<(WatchId, ChangeType)>,
    client_rngs: BTreeMap<String, ChaCha8Rng>,
    /// Service session affinity (the pod network's Service rules).
    affinity: network::Affinity,
    /// The Services and EndpointSlices as every kube-proxy holds them.
    services: ServiceCache,
    /// The nodes' addresses and pod CIDRs, fixed when their kubelets are
    /// added: what a connection's destination address belongs to.
    addresses: network::AddressBook,
    /// The traffic sources, in start order.
    traffic: Vec<traffic::Traffic>,
    /// The NFS servers beside the cluster (the faults' handle on them).
    nfs: std::rc::Rc<crate::storage::nfs::NfsServers>,
    /// Watches of an earlier incarnation of their owner (indexed by WatchId).
    dropped_watches: Vec<bool>,
    /// The components by role.
    roles: BTreeMap<Role, ComponentId>,
    faults: FaultState,
    active_faults: BTreeMap<u64, (SimTime, Fault)>,
    next_fault: u64,
    random_faults: u64,
    /// The running `random-node-crashes` faults.
    random_crashes: Vec<fault_injection::RandomCrashes>,
    notices: Vec<FaultNotice>,
    /// Events run at the current instant, for the stall guard.
    instant: (SimTime, u64),
    /// Pods by phase and nodes, kept from every change.
    census: census::Census,
    /// The time of the pending Event lease revocation pass, if any.
    expiry_scheduled: Option<SimTime>,
    /// The stall guard's budget ([`MAX_EVENTS_PER_INSTANT`] unless lowered).
    max_events_per_instant: u64,
    /// Per-component counts while a stalled instant is sampled.
    stall_sample: Option<BTreeMap<String, u64>>,
    /// The instant of the last metrics row, if any.
    last_sample: Option<SimTime>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("now", &self.queue.now())
            .field("stats", &self.stats)
            .finish()
    }
}

impl Cluster {
    /// An empty cluster (no components, empty store) with the clock at zero.
    /// Most callers want [`crate::bootstrap::kubeadm_cluster`].
    pub fn empty(config: ClusterConfig, seed: u64, trace: Trace) -> Self {
        let streams = RngStreams::new(seed);
        let admission = AdmissionSettings {
            default_not_ready_toleration_secs: config.default_toleration_secs,
            default_unreachable_toleration_secs: config.default_toleration_secs,
        };
        let api = ApiServer::new(
            streams.stream("kube-apiserver"),
            admission,
            config.timings.event_ttl,
        );
        let mut queue = EventQueue::with_capacity(1 << 16);
        queue.schedule_after(
            config.timings.etcd_compaction_interval,
            Event::Compact { revision: 0 },
        );
        if trace.metrics_interval().is_some() {
            queue.schedule_after(SimDuration::ZERO, Event::Sample);
        }
        Self {
            queue,
            api,
            hub: WatchHub::default(),
            watch_last_delivery: Vec::new(),
            watch_last_revision: Vec::new(),
            slots: Vec::new(),
            trace,
            streams,
            config: Arc::new(config),
            stats: Stats::default(),
            new_watches: Vec::new(),
            targets: Vec::new(),
            client_rngs: BTreeMap::new(),
            affinity: network::Affinity::new(),
            services: ServiceCache::new(),
            addresses: network::AddressBook::default(),
            traffic: Vec::new(),
            nfs: Default::default(),
            dropped_watches: Vec::new(),
            roles: BTreeMap::new(),
            faults: FaultState::default(),
            active_faults: BTreeMap::new(),
            next_fault: 0,
            random_faults: 0,
            random_crashes: Vec::new(),
            notices: Vec::new(),
            instant: (SimTime::ZERO, 0),
            max_events_per_instant: MAX_EVENTS_PER_INSTANT,
            last_sample: None,
            expiry_scheduled: None,
            census: census::Census::default(),
            stall_sample: None,
        }
    }

    /// The NFS servers the cluster's nodes mount (its faults start and end
    /// their outages).
    pub fn set_nfs(&mut self, nfs: std::rc::Rc<crate::storage::nfs::NfsServers>) {
        self.nfs = nfs;
    }

    /// Adds a component; it starts at `at`.
    ///
    /// # Panics
    /// When a component with the same role was added before (two kubelets
    /// of one node, two schedulers): a cluster is built wrong.
    pub fn add_component(&mut self, component: Box<dyn Component>, at: SimTime) -> ComponentId {
        let id = ComponentId::from_index(self.slots.len());
        let role = component.role();
        let name = role.name();
        let previous = self.roles.insert(role.clone(), id);
        assert!(previous.is_none(), "two components are {name}");
        if let (Some(k), Some(node)) = (component.as_any().downcast_ref::<Kubelet>(), role.node()) {
            self.addresses.add(node, k.host_ip(), k.pod_cidr(), id);
        }
        self.slots.push(Slot {
            rng: self.streams.stream(&name),
            component: Some(component),
            role,
            name,
            running: true,
            epoch: 0,
            held: None,
        });
        self.queue.schedule_at(at, Event::Start(id));
        id
    }

    /// The current virtual time.
    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// The configuration the cluster was built from.
    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// The store, for reading (expectations, reports).
    pub fn etcd(&self) -> &Etcd {
        self.api.etcd()
    }

    /// The trace so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The census kept from every change, and the one counted afresh from
    /// the store (for the invariant checker: they must agree).
    pub(crate) fn census_kept_and_counted(&self) -> (census::Census, census::Census) {
        (self.census, census::Census::of_store(self.api.etcd()))
    }

    /// The seed of the run.
    pub fn seed(&self) -> u64 {
        self.streams.seed()
    }

    /// The component with `role`, if the cluster has one.
    pub fn component(&self, role: &Role) -> Option<&dyn Component> {
        let id = self.roles.get(role)?;
        self.slots[id.index()].component.as_deref()
    }

    fn typed<T: Component>(&self, role: &Role) -> Option<&T> {
        self.component(role)?.as_any().downcast_ref::<T>()
    }

    /// The kubelet of `node`.
    pub fn kubelet(&self, node: &str) -> Option<&Kubelet> {
        self.typed(&Role::Kubelet(node.to_owned()))
    }

    /// The kube-proxy of `node`.
    pub fn kube_proxy(&self, node: &str) -> Option<&KubeProxy> {
        self.typed(&Role::KubeProxy(node.to_owned()))
    }

    /// The Service rules in `node`'s kernel as `iptables-save` and
    /// `iptables -L` show them (None: no such node).
    pub fn node_rules(&self, node: &str) -> Option<NodeRules> {
        let proxy = self.kube_proxy(node)?;
        let table = proxy.rules().map(|r| &*r.table);
        Some(NodeRules::build(
            table,
            node,
            self.config.pod_network().subnet(),
        ))
    }

    /// kube-scheduler.
    pub fn scheduler(&self) -> Option<&Scheduler> {
        self.typed(&Role::ControlPlane(ControlPlaneProcess::Scheduler))
    }

    /// kube-controller-manager.
    pub fn controller_manager(&self) -> Option<&ControllerManager> {
        self.typed(&Role::ControlPlane(ControlPlaneProcess::ControllerManager))
    }

    /// Stops or resumes a component (the seam of fault injection): while
    /// stopped it receives nothing (timers, deliveries and responses due to
    /// it are dropped) and its requests are lost. Returns false when the
    /// cluster has no component with that role.
    pub fn set_running(&mut self, role: &Role, running: bool) -> bool {
        match self.roles.get(role) {
            Some(id) => {
                self.slots[id.index()].running = running;
                true
            }
            None => false,
        }
    }

    /// True when a component with `role` exists and runs.
    pub fn is_running(&self, role: &Role) -> bool {
        self.roles
            .get(role)
            .is_some_and(|id| self.slots[id.index()].running)
    }

    /// How many events are pending.
    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }

    /// Lowers (or raises) the number of events one instant may run before
    /// the run is declared stalled; tests use a small budget to find a
    /// livelock quickly.
    pub fn set_max_events_per_instant(&mut self, events: u64) {
        self.max_events_per_instant = events.max(1);
    }

    /// The time of the next pending event.
    pub fn next_event_time(&mut self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// The random stream of an outside client (`kubectl` draws generated
    /// container-name suffixes from it), derived from the seed like every
    /// component's stream.
    pub fn client_rng(&mut self, client: &str) -> &mut ChaCha8Rng {
        let streams = self.streams;
        self.client_rngs
            .entry(client.to_owned())
            .or_insert_with(|| streams.stream(&format!("client/{client}")))
    }

    /// Runs a request from an outside client (`kubectl`) at the current instant.
    pub fn request(&mut self, client: &str, request: Request) -> ApiResult {
        if self.faults.apiserver_stops > 0 {
            return Err(apiserver_down());
        }
        self.execute(client, request)
    }

    /// Runs every event due at or before `until`, then sets the clock to
    /// `until`. Stops early with a [`Stall`] when one instant never ends.
    pub fn run_until(&mut self, until: SimTime) -> Result<(), Stall> {
        while self.queue.peek_time().is_some_and(|t| t <= until) {
            self.step()?;
        }
        self.queue.advance_to(until);
        Ok(())
    }

    /// Runs the next event. Returns false when none is pending, and a
    /// [`Stall`] when more than [`MAX_EVENTS_PER_INSTANT`] events have run
    /// at the current instant.
    pub fn step(&mut self) -> Result<bool, Stall> {
        let Some((at, _, event)) = self.queue.pop() else {
            return Ok(false);
        };
        if matches!(event, Event::Sample) {
            self.sample();
            if let Some(every) = self.trace.metrics_interval() {
                self.queue.schedule_after(every, Event::Sample);
            }
            return Ok(true);
        }
        self.stats.events += 1;
        self.count_instant(at, &event)?;
        self.handle(event);
        Ok(true)
    }

    /// Counts an event against its instant's budget; samples who runs the
    /// events of an instant that exceeds it, then reports the stall.
    fn count_instant(&mut self, at: SimTime, event: &Event) -> Result<(), Stall> {
        if at != self.instant.0 {
            self.instant = (at, 0);
            self.stall_sample = None;
        }
        self.instant.1 += 1;
        let budget = self.max_events_per_instant;
        if self.instant.1 <= budget {
            return Ok(());
        }
        let handler = self.handler_name(event);
        let sample = self.stall_sample.get_or_insert_with(BTreeMap::new);
        *sample.entry(handler).or_default() += 1;
        if self.instant.1 < budget + STALL_SAMPLE.min(budget) {
            return Ok(());
        }
        let mut busiest: Vec<(String, u64)> = self
            .stall_sample
            .take()
            .unwrap_or_default()
            .into_iter()
            .collect();
        busiest.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        busiest.truncate(5);
        Err(Stall {
            at,
            events: budget,
            sampled: STALL_SAMPLE.min(budget),
            busiest,
        })
    }

    /// The name of what handles `event`.
    fn handler_name(&self, event: &Event) -> String {
        let id = match event {
            Event::Start(id) => *id,
            Event::Timer { to, .. } | Event::Response { to, .. } => *to,
            Event::Deliver { watch, .. } => self.hub.owner(*watch),
            Event::Request { .. } => return "kube-apiserver".into(),
            Event::Sample => return "metrics".into(),
            Event::Traffic(_) => return "traffic".into(),
            Event::Compact { .. } | Event::ExpireEvents { .. } => return "etcd".into(),
            Event::FaultEnd(_) | Event::RandomCrash { .. } => return "fault-injector".into(),
        };
        self.slots[id.index()].name.clone()
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Start(id) => self.dispatch(id, |c, ctx| c.start(ctx)),
            Event::Timer { to, tag, epoch } => {
                if self.slots[to.index()].epoch != epoch {
                    return;
                }
                if let Some(held) = self.slots[to.index()].held.as_mut() {
                    held.push(Event::Timer { to, tag, epoch });
                    return;
                }
                self.dispatch(to, |c, ctx| c.on_timer(ctx, tag))
            }
            Event::Deliver {
                watch,
                revision,
                event,
            } => {
                if self.dropped_watches[watch] {
                    return;
                }
                if revision > 0 {
                    // A watch delivers its changes in revision order.
                    let last = &mut self.watch_last_revision[watch];
                    assert!(
                        revision > *last,
                        "watch {watch} delivered revision {revision} after {last}"
                    );
                    *last = revision;
                }
                let to = self.hub.owner(watch);
                if self.partitioned(to) {
                    return;
                }
                if let Some(held) = self.slots[to.index()].held.as_mut() {
                    // Checked for order already: delivered again on resume.
                    held.push(Event::Deliver {
                        watch,
                        revision: 0,
                        event,
                    });
                    return;
                }
                self.stats.deliveries += 1;
                self.dispatch(to, |c, ctx| c.on_watch(ctx, &event));
            }
            Event::Response {
                to,
                tag,
                result,
                epoch,
            } => {
                if self.partitioned(to) || self.slots[to.index()].epoch != epoch {
                    return;
                }
                if let Some(held) = self.slots[to.index()].held.as_mut() {
                    held.push(Event::Response {
                        to,
                        tag,
                        result,
                        epoch,
                    });
                    return;
                }
                self.dispatch(to, |c, ctx| c.on_response(ctx, tag, &result))
            }
            Event::Request {
                from,
                request,
                tag,
                epoch,
            } => {
                if !self.slots[from.index()].running || self.partitioned(from) {
                    return;
                }
                let result = if self.faults.apiserver_stops > 0 {
                    Err(apiserver_down())
                } else {
                    let client = std::mem::take(&mut self.slots[from.index()].name);
                    let result = self.execute(&client, *request);
                    self.slots[from.index()].name = client;
                    result
                };
                if let Some(tag) = tag {
                    let at = self.queue.now()
                        + self.config.latencies.api_request
                        + self.faults.apiserver_latency;
                    self.queue.schedule_at(
                        at,
                        Event::Response {
                            to: from,
                            tag,
                            result,
                            epoch,
                        },
                    );
                }
            }
            Event::FaultEnd(id) => self.end_fault(id),
            Event::RandomCrash { fault, worker } => self.random_crash(fault, worker),
            Event::ExpireEvents { at } => {
                if self.expiry_scheduled == Some(at) {
                    self.expiry_scheduled = None;
                    let changes = self.api.expire_events(at);
                    self.apply_changes("etcd", "expire", &changes);
                    self.schedule_event_expiry();
                }
            }
            Event::Sample => self.sample(),
            Event::Traffic(id) => self.traffic_tick(id),
            Event::Compact { revision } => {
                self.api.compact(revision);
                let next = self.api.etcd().revision();
                self.queue.schedule_after(
                    self.config.timings.etcd_compaction_interval,
                    Event::Compact { revision: next },
                );
            }
        }
    }

    /// Restarts a component as a new incarnation: its watches are dropped from
    /// the hub, its pending timers and responses will be dropped, it is told
    /// why ([`Component::on_fault`]) and started again. False when the
    /// cluster has no component with that role.
    pub fn restart_component(&mut self, role: &Role, why: &ComponentFault) -> bool {
        let Some(&id) = self.roles.get(role) else {
            return false;
        };
        self.drop_watches(id);
        let slot = &mut self.slots[id.index()];
        slot.epoch += 1;
        slot.running = true;
        slot.held = None;
        self.dispatch(id, |c, ctx| c.on_fault(ctx, why));
        self.dispatch(id, |c, ctx| c.start(ctx));
        true
    }

    /// The id of the component with `role`.
    fn id_of(&self, role: &Role) -> Option<ComponentId> {
        self.roles.get(role).copied()
    }

    fn drop_watches(&mut self, id: ComponentId) {
        for (w, dropped) in self.dropped_watches.iter_mut().enumerate() {
            if !*dropped && self.hub.owner(w) == id {
                *dropped = true;
            }
        }
    }

    fn partitioned(&self, id: ComponentId) -> bool {
        !self.faults.partitioned.is_empty()
            && self.slots[id.index()]
                .role
                .node()
                .is_some_and(|n| self.faults.is_partitioned(n))
    }

    fn execute(&mut self, client: &str, request: Request) -> ApiResult {
        self.stats.requests += 1;
        let now = self.queue.now();
        let verb = request.verb();
        let is_read = request.is_read();
        let outcome = self.api.handle(now, request);
        if !is_read && self.trace.is_enabled() {
            if let Err(e) = &outcome.result {
                self.trace
                    .record(now, client, verb, String::new(), None, e.kubectl_line());
            }
        }
        self.apply_changes(client, verb, &outcome.changes);
        if !is_read {
            self.schedule_event_expiry();
        }
        outcome.result
    }

    /// Traces the store changes a request (`verb`) of `client` made and fans
    /// them out to the watches.
    fn apply_changes(&mut self, client: &str, verb: &str, changes: &[Change]) {
        let now = self.queue.now();
        for change in changes {
            self.stats.writes += 1;
            self.census.observe(change);
            self.services.observe(change);
            if self.trace.is_enabled() {
                let action = match change.change {
                    ChangeType::Added => "create",
                    ChangeType::Modified if verb == "bind" => "bind",
                    ChangeType::Modified => "update",
                    ChangeType::Deleted => "delete",
                };
                let detail = match (&*change.object, verb) {
                    (Object::Pod(p), "bind") => p
                        .spec
                        .as_ref()
                        .and_then(|s| s.node_name.clone())
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                let key = crate::api::ObjectKey::of(&change.object).to_string();
                self.trace
                    .record(now, client, action, key, Some(change.revision), detail);
            }
            self.fan_out(change);
        }
        if !changes.is_empty() {
            let objects = self.api.etcd().len() as u64;
            self.stats.peak_objects = self.stats.peak_objects.max(objects);
        }
    }

    /// Writes a metrics sample to the trace and schedules the next. Samples
    /// change nothing in the cluster (they are not counted as events).
    fn sample(&mut self) {
        let now = self.queue.now();
        if self.last_sample == Some(now) {
            return;
        }
        self.last_sample = Some(now);
        let census = self.census;
        let stats = self.stats;
        self.trace.metrics(&MetricsRow {
            t_ns: self.queue.now().as_nanos(),
            nodes: census.nodes,
            nodes_ready: census.nodes_ready,
            pods_pending: census.pods_pending,
            pods_running: census.pods_running,
            pods_succeeded: census.pods_succeeded,
            pods_failed: census.pods_failed,
            objects: self.api.etcd().len() as u64,
            api_writes: stats.writes,
            events: stats.events,
            watch_deliveries: stats.deliveries,
        });
    }

    /// Records a metrics row for the present instant, if the trace takes
    /// metrics and has none for it yet: the last row of a run, which ends
    /// between two periodic samples.
    pub fn sample_metrics(&mut self) {
        if self.trace.metrics_interval().is_some() {
            self.sample();
        }
    }

    /// Makes sure etcd's next lease revocation pass is scheduled when an
    /// Event's lease will need it.
    fn schedule_event_expiry(&mut self) {
        let Some(at) = self.api.next_event_expiry() else {
            return;
        };
        if self.expiry_scheduled.is_none_or(|t| at < t) {
            self.expiry_scheduled = Some(at);
            self.queue.schedule_at(at, Event::ExpireEvents { at });
        }
    }

    fn fan_out(&mut self, change: &Change) {
        let mut targets = std::mem::take(&mut self.targets);
        targets.clear();
        self.hub.targets(change, &mut targets);
        let latency = self.config.latencies.watch_delivery;
        for &(watch, ty) in &targets {
            if self.dropped_watches[watch] {
                continue;
            }
            let at = (self.queue.now() + latency).max(self.watch_last_delivery[watch]);
            self.watch_last_delivery[watch] = at;
            self.queue.schedule_at(
                at,
                Event::Deliver {
                    watch,
                    revision: change.revision,
                    event: WatchEvent {
                        change: ty,
                        object: change.object.clone(),
                    },
                },
            );
        }
        self.targets = targets;
    }

    fn dispatch(&mut self, id: ComponentId, f: impl FnOnce(&mut dyn Component, &mut Ctx<'_>)) {
        let slot = &mut self.slots[id.index()];
        if !slot.running {
            return;
        }
        let Some(mut component) = slot.component.take() else {
            return;
        };
        {
            let mut ctx = Ctx {
                now: self.queue.now(),
                me: id,
                name: &slot.name,
                queue: &mut self.queue,
                rng: &mut slot.rng,
                trace: &mut self.trace,
                config: &self.config,
                new_watches: &mut self.new_watches,
                epoch: slot.epoch,
                request_latency: self.config.latencies.api_request + self.faults.apiserver_latency,
                write_latency: self.faults.etcd_latency,
                registry_down: self.faults.registry_outages > 0,
                services: &self.services,
            };
            f(component.as_mut(), &mut ctx);
        }
        self.slots[id.index()].component = Some(component);
        if !self.new_watches.is_empty() {
            self.start_watches();
        }
    }

    fn start_watches(&mut self) {
        let latency = self.config.latencies.watch_delivery;
        for (owner, spec) in std::mem::take(&mut self.new_watches) {
            let kind: Kind = spec.kind;
            // A watch of one object by name starts from that object alone
            // (not a list of its namespace: a kubelet's watch of one claim
            // costs nothing per other claim).
            let items = match &spec.field {
                Some(("metadata.name", name)) => self
                    .api
                    .etcd()
                    .get(kind, spec.namespace.as_deref().unwrap_or(""), name)
                    .cloned()
                    .into_iter()
                    .collect(),
                _ => self.api.etcd().list(kind, spec.namespace.as_deref()),
            };
            let watch = self.hub.add(spec, owner);
            let at = self.queue.now() + latency;
            self.watch_last_delivery.push(at);
            self.watch_last_revision.push(0);
            self.dropped_watches.push(false);
            for object in items {
                if self.hub.spec(watch).selects(&object) {
                    self.queue.schedule_at(
                        at,
                        Event::Deliver {
                            watch,
                            revision: 0,
                            event: WatchEvent {
                                change: ChangeType::Added,
                                object,
                            },
                        },
                    );
                }
            }
        }
    }
}

/// The error a request gets while the API server is stopped.
fn apiserver_down() -> crate::api::ApiError {
    crate::api::ApiError::new(
        crate::api::Reason::ServiceUnavailable,
        "the server is currently unable to handle the request",
    )
}
