//! The components of the cluster and the interface they share.
//!
//! A [`Component`] reacts to three things: a change delivered by one of its
//! watches, a timer it set, and the response to a request it sent. It acts
//! through its [`Ctx`]: requests to the API server (which arrive after the
//! modelled request latency), timers, watches, trace records and Kubernetes
//! Events. It never touches another component or etcd directly.

pub mod controllers;
pub mod event_recorder;
pub mod informer;
pub mod kubelet;
pub mod scheduler;

use std::any::Any;
use std::sync::Arc;

use rand_chacha::ChaCha8Rng;

use crate::api::Object;
use crate::apiserver::watch::WatchSpec;
use crate::apiserver::{ApiResult, Request};
use crate::cluster::Event;
use crate::config::ClusterConfig;
use crate::etcd::ChangeType;
use crate::event_queue::{EventId, EventQueue};
use crate::time::{SimDuration, SimTime};
use crate::trace::Trace;

/// Index of a component in its cluster.
pub type ComponentId = usize;

/// A change as a watcher receives it.
#[derive(Clone, Debug)]
pub struct WatchEvent {
    /// ADDED, MODIFIED or DELETED (as this watch sees it).
    pub change: ChangeType,
    /// The object (for DELETED: its last state).
    pub object: Arc<Object>,
}

/// A simulated control-plane or node component.
pub trait Component: Any {
    /// The component's name (`kube-scheduler`, `kubelet/worker-1`), also the name of its random stream.
    fn name(&self) -> &str;
    /// Called once when the component starts.
    fn start(&mut self, ctx: &mut Ctx<'_>);
    /// A watched object changed.
    fn on_watch(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent);
    /// A timer set with [`Ctx::set_timer`] fired.
    fn on_timer(&mut self, ctx: &mut Ctx<'_>, tag: u64);
    /// The response to a request sent with [`Ctx::send_tagged`].
    fn on_response(&mut self, _ctx: &mut Ctx<'_>, _tag: u64, _result: &ApiResult) {}
    /// A fault reaches the component (restart, resync, container crash); most
    /// components ignore faults.
    fn on_fault(&mut self, _ctx: &mut Ctx<'_>, _fault: &crate::faults::ComponentFault) {}
    /// The component as `Any`, so that tests and reports can inspect it.
    fn as_any(&self) -> &dyn Any;
}

/// What a component may do while it handles an event.
pub struct Ctx<'a> {
    pub(crate) now: SimTime,
    pub(crate) me: ComponentId,
    pub(crate) name: &'a str,
    pub(crate) queue: &'a mut EventQueue<Event>,
    pub(crate) rng: &'a mut ChaCha8Rng,
    pub(crate) trace: &'a mut Trace,
    pub(crate) config: &'a ClusterConfig,
    pub(crate) new_watches: &'a mut Vec<(ComponentId, WatchSpec)>,
    /// The component's incarnation: events of an earlier one are dropped.
    pub(crate) epoch: u64,
    /// Latency of a request (the modelled latency plus any slow-API-server fault).
    pub(crate) request_latency: SimDuration,
    /// Latency added to writes (slow etcd).
    pub(crate) write_latency: SimDuration,
    /// True while an image registry outage lasts.
    pub(crate) registry_down: bool,
}

impl Ctx<'_> {
    /// The current virtual time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// This component's random stream.
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        self.rng
    }

    /// The cluster configuration (timings, images, nodes).
    pub fn config(&self) -> &ClusterConfig {
        self.config
    }

    /// True unless an image registry outage is in progress.
    pub fn registry_available(&self) -> bool {
        !self.registry_down
    }

    fn send_request(&mut self, request: Request, tag: Option<u64>) {
        let mut at = self.now + self.request_latency;
        if !request.is_read() {
            at += self.write_latency;
        }
        self.queue.schedule_at(
            at,
            Event::Request {
                from: self.me,
                request: Box::new(request),
                tag,
                epoch: self.epoch,
            },
        );
    }

    /// Sends a request; its outcome reaches this component only through its watches.
    pub fn send(&mut self, request: Request) {
        self.send_request(request, None);
    }

    /// Sends a request whose response is delivered to [`Component::on_response`] with `tag`.
    pub fn send_tagged(&mut self, request: Request, tag: u64) {
        self.send_request(request, Some(tag));
    }

    /// Sets a timer that fires [`Component::on_timer`] with `tag` after `delay`.
    pub fn set_timer(&mut self, delay: SimDuration, tag: u64) -> EventId {
        self.queue.schedule_after(
            delay,
            Event::Timer {
                to: self.me,
                tag,
                epoch: self.epoch,
            },
        )
    }

    /// Cancels a timer; false if it already fired.
    pub fn cancel_timer(&mut self, id: EventId) -> bool {
        self.queue.cancel(id)
    }

    /// Starts a watch (list, then watch): the current objects arrive as ADDED events.
    pub fn watch(&mut self, spec: WatchSpec) {
        self.new_watches.push((self.me, spec));
    }

    /// Records a component action in the trace.
    pub fn trace(&mut self, action: &str, object: String, detail: String) {
        let now = self.now;
        self.trace
            .record(now, self.name, action, object, None, detail);
    }

    /// True when the trace keeps records (so that callers can skip formatting).
    pub fn tracing(&self) -> bool {
        self.trace.is_enabled()
    }
}
