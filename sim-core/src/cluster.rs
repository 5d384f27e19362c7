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
//! Faults ([`crate::faults`]) are injected with [`Cluster::inject_fault`]:
//! the cluster keeps their state, drops what a stopped or partitioned
//! component would not get, holds the events of a stopped control-plane
//! component until it resumes, and restarts kubelets cleanly (a new
//! incarnation: its old watches, timers and responses are dropped).

use std::sync::Arc;

use rand_chacha::ChaCha8Rng;

use crate::api::{Kind, Object};
use crate::apiserver::watch::{WatchHub, WatchId, WatchSpec};
use crate::apiserver::{AdmissionSettings, ApiResult, ApiServer, Request};
use crate::components::{Component, ComponentId, Ctx, WatchEvent};
use crate::config::ClusterConfig;
use crate::etcd::{Change, ChangeType, Etcd};
use crate::event_queue::EventQueue;
use crate::faults::{self, ComponentFault, Fault, FaultKind, FaultState};
use crate::rng::RngStreams;
use crate::time::{SimDuration, SimTime};
use crate::trace::Trace;

/// An event of the simulation.
#[derive(Debug)]
pub enum Event {
    /// Start a component.
    Start(ComponentId),
    /// A request arrives at the API server.
    Request {
        /// The sender.
        from: ComponentId,
        /// The request (boxed: it can carry a whole object, and every pending
        /// event is as large as the largest variant).
        request: Box<Request>,
        /// Deliver the response with this tag, when set.
        tag: Option<u64>,
        /// The sender's incarnation.
        epoch: u64,
    },
    /// A response arrives at a component.
    Response {
        /// The receiver.
        to: ComponentId,
        /// The tag given with the request.
        tag: u64,
        /// The outcome.
        result: ApiResult,
        /// The incarnation that sent the request.
        epoch: u64,
    },
    /// A watch delivers a change.
    Deliver {
        /// The watch.
        watch: WatchId,
        /// The change as that watch sees it.
        event: WatchEvent,
    },
    /// A component's timer fires.
    Timer {
        /// The component.
        to: ComponentId,
        /// Its tag.
        tag: u64,
        /// The incarnation that set it.
        epoch: u64,
    },
    /// The API server's periodic etcd compaction.
    Compact {
        /// Compact up to this revision (the one observed one interval ago).
        revision: u64,
    },
    /// A fault starts (a planned random fault).
    FaultStart(Box<Fault>),
    /// A fault with a duration ends.
    FaultEnd(u64),
}

struct Slot {
    component: Option<Box<dyn Component>>,
    rng: ChaCha8Rng,
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
    /// Events processed.
    pub events: u64,
    /// API requests processed.
    pub requests: u64,
    /// Watch deliveries made.
    pub deliveries: u64,
}

/// A simulated cluster.
pub struct Cluster {
    queue: EventQueue<Event>,
    api: ApiServer,
    hub: WatchHub<ComponentId>,
    watch_last_delivery: Vec<SimTime>,
    slots: Vec<Slot>,
    trace: Trace,
    streams: RngStreams,
    config: Arc<ClusterConfig>,
    stats: Stats,
    new_watches: Vec<(ComponentId, WatchSpec)>,
    targets: Vec<(WatchId, ChangeType)>,
    client_rngs: std::collections::BTreeMap<String, ChaCha8Rng>,
    /// Watches of an earlier incarnation of their owner (indexed by WatchId).
    dropped_watches: Vec<bool>,
    faults: FaultState,
    active_faults: std::collections::BTreeMap<u64, (SimTime, Fault)>,
    next_fault: u64,
    random_faults: u64,
    notices: Vec<FaultNotice>,
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
        let api = ApiServer::new(streams.stream("kube-apiserver"), admission);
        let mut queue = EventQueue::with_capacity(1 << 16);
        queue.schedule_after(
            config.timings.etcd_compaction_interval,
            Event::Compact { revision: 0 },
        );
        Self {
            queue,
            api,
            hub: WatchHub::default(),
            watch_last_delivery: Vec::new(),
            slots: Vec::new(),
            trace,
            streams,
            config: Arc::new(config),
            stats: Stats::default(),
            new_watches: Vec::new(),
            targets: Vec::new(),
            client_rngs: std::collections::BTreeMap::new(),
            dropped_watches: Vec::new(),
            faults: FaultState::default(),
            active_faults: std::collections::BTreeMap::new(),
            next_fault: 0,
            random_faults: 0,
            notices: Vec::new(),
        }
    }

    /// Adds a component; it starts at `at`.
    pub fn add_component(&mut self, component: Box<dyn Component>, at: SimTime) -> ComponentId {
        let id = self.slots.len();
        let name = component.name().to_owned();
        self.slots.push(Slot {
            rng: self.streams.stream(&name),
            component: Some(component),
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

    /// The seed of the run.
    pub fn seed(&self) -> u64 {
        self.streams.seed()
    }

    /// A component by name, for inspection.
    pub fn component(&self, name: &str) -> Option<&dyn Component> {
        self.slots
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.component.as_deref())
    }

    /// Stops or resumes a component by name (the seam of fault injection):
    /// while stopped it receives nothing (timers, deliveries and responses due
    /// to it are dropped) and its requests are lost. Returns false when no
    /// component has that name.
    pub fn set_running(&mut self, name: &str, running: bool) -> bool {
        match self.slots.iter_mut().find(|s| s.name == name) {
            Some(slot) => {
                slot.running = running;
                true
            }
            None => false,
        }
    }

    /// True when the named component exists and runs.
    pub fn is_running(&self, name: &str) -> bool {
        self.slots.iter().any(|s| s.name == name && s.running)
    }

    /// The names of the components, in the order they were added.
    pub fn component_names(&self) -> Vec<&str> {
        self.slots.iter().map(|s| s.name.as_str()).collect()
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

    /// Runs every event due at or before `until`, then sets the clock to `until`.
    pub fn run_until(&mut self, until: SimTime) {
        while self.queue.peek_time().is_some_and(|t| t <= until) {
            self.step();
        }
        self.queue.advance_to(until);
    }

    /// Runs the next event. Returns false when none is pending.
    pub fn step(&mut self) -> bool {
        let Some((_, _, event)) = self.queue.pop() else {
            return false;
        };
        self.stats.events += 1;
        match event {
            Event::Start(id) => self.dispatch(id, |c, ctx| c.start(ctx)),
            Event::Timer { to, tag, epoch } => {
                if self.slots[to].epoch != epoch {
                    return true;
                }
                if let Some(held) = self.slots[to].held.as_mut() {
                    held.push(Event::Timer { to, tag, epoch });
                    return true;
                }
                self.dispatch(to, |c, ctx| c.on_timer(ctx, tag))
            }
            Event::Deliver { watch, event } => {
                if self.dropped_watches[watch] {
                    return true;
                }
                let to = self.hub.owner(watch);
                if self.partitioned(to) {
                    return true;
                }
                if let Some(held) = self.slots[to].held.as_mut() {
                    held.push(Event::Deliver { watch, event });
                    return true;
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
                if self.partitioned(to) || self.slots[to].epoch != epoch {
                    return true;
                }
                if let Some(held) = self.slots[to].held.as_mut() {
                    held.push(Event::Response {
                        to,
                        tag,
                        result,
                        epoch,
                    });
                    return true;
                }
                self.dispatch(to, |c, ctx| c.on_response(ctx, tag, &result))
            }
            Event::Request {
                from,
                request,
                tag,
                epoch,
            } => {
                if !self.slots[from].running || self.partitioned(from) {
                    return true;
                }
                let result = if self.faults.apiserver_stops > 0 {
                    Err(apiserver_down())
                } else {
                    let client = self.slots[from].name.clone();
                    self.execute(&client, *request)
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
            Event::FaultStart(fault) => self.start_fault(*fault),
            Event::FaultEnd(id) => self.end_fault(id),
            Event::Compact { revision } => {
                self.api.compact(revision);
                let next = self.api.etcd().revision();
                self.queue.schedule_after(
                    self.config.timings.etcd_compaction_interval,
                    Event::Compact { revision: next },
                );
            }
        }
        true
    }

    /// Injects a fault now: it starts at the current instant and, with a
    /// duration, ends that much later. Errors name a node or component that
    /// does not exist.
    pub fn inject_fault(&mut self, fault: Fault) -> Result<(), String> {
        if let Some(node) = fault.kind.node() {
            if self.slot_id(&format!("kubelet/{node}")).is_none() {
                return Err(format!("nodes \"{node}\" not found"));
            }
        }
        self.start_fault(fault);
        Ok(())
    }

    /// The faults in progress, with their start times, in the order they started.
    pub fn active_faults(&self) -> Vec<(SimTime, &Fault)> {
        self.active_faults.values().map(|(t, f)| (*t, f)).collect()
    }

    /// The state of the active faults.
    pub fn fault_state(&self) -> &FaultState {
        &self.faults
    }

    /// The fault starts and ends since the last call, in order.
    pub fn take_fault_notices(&mut self) -> Vec<FaultNotice> {
        std::mem::take(&mut self.notices)
    }

    /// Restarts a component as a new incarnation: its watches are dropped from
    /// the hub, its pending timers and responses will be dropped, it is told
    /// why ([`Component::on_fault`]) and started again. False when no
    /// component has that name.
    pub fn restart_component(&mut self, name: &str, why: &ComponentFault) -> bool {
        let Some(id) = self.slot_id(name) else {
            return false;
        };
        self.drop_watches(id);
        let slot = &mut self.slots[id];
        slot.epoch += 1;
        slot.running = true;
        slot.held = None;
        self.dispatch(id, |c, ctx| c.on_fault(ctx, why));
        self.dispatch(id, |c, ctx| c.start(ctx));
        true
    }

    /// Tells the control-plane kubelet that the process of one of its static
    /// pods stopped or came back, so that the mirror pod shows it.
    fn tell_static_pod(&mut self, component: &str, running: bool) {
        let Some(cp) = self
            .config
            .nodes
            .iter()
            .find(|n| n.control_plane)
            .map(|n| n.name.clone())
        else {
            return;
        };
        if let Some(id) = self.slot_id(&format!("kubelet/{cp}")) {
            let why = ComponentFault::StaticPodProcess {
                component: component.to_owned(),
                running,
            };
            self.dispatch(id, |c, ctx| c.on_fault(ctx, &why));
        }
    }

    fn slot_id(&self, name: &str) -> Option<ComponentId> {
        self.slots.iter().position(|s| s.name == name)
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
            && self.slots[id]
                .name
                .strip_prefix("kubelet/")
                .is_some_and(|n| self.faults.is_partitioned(n))
    }

    fn notice(&mut self, started: bool, fault: &Fault) {
        let now = self.queue.now();
        let text = fault.describe();
        self.trace.record(
            now,
            "fault-injector",
            if started { "fault-start" } else { "fault-end" },
            fault.kind.object(),
            None,
            text.clone(),
        );
        self.notices.push(FaultNotice {
            at: now,
            started,
            text,
        });
    }

    fn start_fault(&mut self, fault: Fault) {
        self.notice(true, &fault);
        let id = self.next_fault;
        self.next_fault += 1;
        let now = self.queue.now();
        match &fault.kind {
            FaultKind::NodeCrash { node } => {
                let node = node.clone();
                self.faults.lost_power.insert(node.clone(), true);
                faults::inc(&mut self.faults.crashed, &node);
                self.set_running(&format!("kubelet/{node}"), false);
            }
            FaultKind::KubeletStop { node } => {
                let node = node.clone();
                faults::inc(&mut self.faults.kubelet_stopped, &node);
                self.set_running(&format!("kubelet/{node}"), false);
            }
            FaultKind::NodePowerOn { node } | FaultKind::KubeletStart { node } => {
                let node = node.clone();
                let crash = matches!(fault.kind, FaultKind::NodePowerOn { .. });
                // Ends every active crash (or stop) of the node.
                let ended: Vec<u64> = self
                    .active_faults
                    .iter()
                    .filter(|(_, (_, f))| match &f.kind {
                        FaultKind::NodeCrash { node: n } => crash && *n == node,
                        FaultKind::KubeletStop { node: n } => !crash && *n == node,
                        _ => false,
                    })
                    .map(|(id, _)| *id)
                    .collect();
                for id in ended {
                    self.end_fault(id);
                }
                self.notice(false, &fault);
                return;
            }
            FaultKind::Partition { node } => {
                let node = node.clone();
                faults::inc(&mut self.faults.partitioned, &node);
            }
            FaultKind::ContainerCrash {
                namespace,
                pod,
                container,
                exit_code,
            } => {
                let node = self
                    .api
                    .etcd()
                    .get(Kind::Pod, namespace, pod)
                    .and_then(|p| p.field("spec.nodeName"));
                if let Some(id) = node.and_then(|n| self.slot_id(&format!("kubelet/{n}"))) {
                    let why = ComponentFault::CrashContainer {
                        namespace: namespace.clone(),
                        pod: pod.clone(),
                        container: container.clone(),
                        exit_code: *exit_code,
                    };
                    self.dispatch(id, |c, ctx| c.on_fault(ctx, &why));
                }
                self.notice(false, &fault);
                return;
            }
            FaultKind::RegistryOutage => self.faults.registry_outages += 1,
            FaultKind::ApiserverSlow { latency } => self.faults.apiserver_latency += *latency,
            FaultKind::EtcdSlow { latency } => self.faults.etcd_latency += *latency,
            FaultKind::ApiserverStop => self.faults.apiserver_stops += 1,
            FaultKind::SchedulerStop | FaultKind::ControllerManagerStop => {
                let name = control_plane_component(&fault.kind);
                faults::inc(&mut self.faults.component_stops, name);
                if let Some(id) = self.slot_id(name) {
                    if self.slots[id].held.is_none() {
                        self.slots[id].held = Some(Vec::new());
                    }
                }
                self.tell_static_pod(name, false);
            }
            FaultKind::RandomNodeCrashes {
                mtbf,
                recover_after,
            } => {
                let mut rng = self
                    .streams
                    .stream(&format!("faults/random/{}", self.random_faults));
                self.random_faults += 1;
                let workers: Vec<String> = self
                    .config
                    .nodes
                    .iter()
                    .filter(|n| !n.control_plane)
                    .map(|n| n.name.clone())
                    .collect();
                let span = fault.duration.unwrap_or(SimDuration::from_secs(24 * 3600));
                let plan = faults::plan_random_node_crashes(
                    &mut rng,
                    &workers,
                    now,
                    span,
                    *mtbf,
                    *recover_after,
                );
                for (at, node) in plan {
                    self.queue.schedule_at(
                        at,
                        Event::FaultStart(Box::new(Fault {
                            kind: FaultKind::NodeCrash { node },
                            duration: Some(*recover_after),
                        })),
                    );
                }
            }
        }
        if let Some(d) = fault.duration {
            self.queue.schedule_at(now + d, Event::FaultEnd(id));
        }
        self.active_faults.insert(id, (now, fault));
    }

    fn end_fault(&mut self, id: u64) {
        let Some((_, fault)) = self.active_faults.remove(&id) else {
            return;
        };
        self.notice(false, &fault);
        match &fault.kind {
            FaultKind::NodeCrash { node } => {
                faults::dec(&mut self.faults.crashed, node);
                self.maybe_restart_kubelet(node);
            }
            FaultKind::KubeletStop { node } => {
                faults::dec(&mut self.faults.kubelet_stopped, node);
                self.maybe_restart_kubelet(node);
            }
            FaultKind::Partition { node } => {
                if faults::dec(&mut self.faults.partitioned, node) {
                    if let Some(kid) = self.slot_id(&format!("kubelet/{node}")) {
                        if self.slots[kid].running {
                            self.drop_watches(kid);
                            self.dispatch(kid, |c, ctx| c.on_fault(ctx, &ComponentFault::Resync));
                        }
                    }
                }
            }
            FaultKind::RegistryOutage => {
                self.faults.registry_outages = self.faults.registry_outages.saturating_sub(1)
            }
            FaultKind::ApiserverSlow { latency } => {
                self.faults.apiserver_latency = SimDuration::from_nanos(
                    self.faults
                        .apiserver_latency
                        .as_nanos()
                        .saturating_sub(latency.as_nanos()),
                )
            }
            FaultKind::EtcdSlow { latency } => {
                self.faults.etcd_latency = SimDuration::from_nanos(
                    self.faults
                        .etcd_latency
                        .as_nanos()
                        .saturating_sub(latency.as_nanos()),
                )
            }
            FaultKind::ApiserverStop => {
                self.faults.apiserver_stops = self.faults.apiserver_stops.saturating_sub(1)
            }
            FaultKind::SchedulerStop | FaultKind::ControllerManagerStop => {
                let name = control_plane_component(&fault.kind);
                if faults::dec(&mut self.faults.component_stops, name) {
                    if let Some(cid) = self.slot_id(name) {
                        // Resume: what it missed arrives now, in order.
                        let now = self.queue.now();
                        for e in self.slots[cid].held.take().unwrap_or_default() {
                            self.queue.schedule_at(now, e);
                        }
                    }
                    self.tell_static_pod(name, true);
                }
            }
            FaultKind::NodePowerOn { .. }
            | FaultKind::KubeletStart { .. }
            | FaultKind::ContainerCrash { .. }
            | FaultKind::RandomNodeCrashes { .. } => {}
        }
    }

    /// Starts a node's kubelet again once no crash or stop holds it down.
    fn maybe_restart_kubelet(&mut self, node: &str) {
        if self.faults.kubelet_down(node) {
            return;
        }
        let crashed = self.faults.lost_power.remove(node).unwrap_or(false);
        self.restart_component(
            &format!("kubelet/{node}"),
            &ComponentFault::Restart { crashed },
        );
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
        for change in &outcome.changes {
            if self.trace.is_enabled() {
                let action = match change.change {
                    ChangeType::Added => "create",
                    ChangeType::Modified => {
                        if verb == "bind" {
                            "bind"
                        } else {
                            "update"
                        }
                    }
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
        outcome.result
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
        let slot = &mut self.slots[id];
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
            };
            f(component.as_mut(), &mut ctx);
        }
        self.slots[id].component = Some(component);
        if !self.new_watches.is_empty() {
            self.start_watches();
        }
    }

    fn start_watches(&mut self) {
        let latency = self.config.latencies.watch_delivery;
        for (owner, spec) in std::mem::take(&mut self.new_watches) {
            let kind: Kind = spec.kind;
            let items = self.api.etcd().list(kind, spec.namespace.as_deref());
            let watch = self.hub.add(spec, owner);
            let at = self.queue.now() + latency;
            self.watch_last_delivery.push(at);
            self.dropped_watches.push(false);
            for object in items {
                if self.hub.spec(watch).selects(&object) {
                    self.queue.schedule_at(
                        at,
                        Event::Deliver {
                            watch,
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

fn control_plane_component(kind: &FaultKind) -> &'static str {
    match kind {
        FaultKind::SchedulerStop => "kube-scheduler",
        _ => "kube-controller-manager",
    }
}
