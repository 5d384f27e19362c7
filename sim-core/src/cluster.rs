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

use std::sync::Arc;

use rand_chacha::ChaCha8Rng;

use crate::api::{Kind, Object};
use crate::apiserver::watch::{WatchHub, WatchId, WatchSpec};
use crate::apiserver::{AdmissionSettings, ApiResult, ApiServer, Request};
use crate::components::{Component, ComponentId, Ctx, WatchEvent};
use crate::config::ClusterConfig;
use crate::etcd::{Change, ChangeType, Etcd};
use crate::event_queue::EventQueue;
use crate::rng::RngStreams;
use crate::time::SimTime;
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
    },
    /// A response arrives at a component.
    Response {
        /// The receiver.
        to: ComponentId,
        /// The tag given with the request.
        tag: u64,
        /// The outcome.
        result: ApiResult,
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
    },
    /// The API server's periodic etcd compaction.
    Compact {
        /// Compact up to this revision (the one observed one interval ago).
        revision: u64,
    },
}

struct Slot {
    component: Option<Box<dyn Component>>,
    rng: ChaCha8Rng,
    name: String,
    running: bool,
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
            Event::Timer { to, tag } => self.dispatch(to, |c, ctx| c.on_timer(ctx, tag)),
            Event::Deliver { watch, event } => {
                self.stats.deliveries += 1;
                let to = self.hub.owner(watch);
                self.dispatch(to, |c, ctx| c.on_watch(ctx, &event));
            }
            Event::Response { to, tag, result } => {
                self.dispatch(to, |c, ctx| c.on_response(ctx, tag, &result))
            }
            Event::Request { from, request, tag } => {
                if !self.slots[from].running {
                    return true;
                }
                let client = self.slots[from].name.clone();
                let result = self.execute(&client, *request);
                if let Some(tag) = tag {
                    let at = self.queue.now() + self.config.latencies.api_request;
                    self.queue.schedule_at(
                        at,
                        Event::Response {
                            to: from,
                            tag,
                            result,
                        },
                    );
                }
            }
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
