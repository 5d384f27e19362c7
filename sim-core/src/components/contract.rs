//! The component contract: what a component is ([`Component`]), what it may
//! do ([`Ctx`]), what it receives ([`WatchEvent`], timers, responses,
//! faults), and the engine's [`Event`]s that carry all of it.
//!
//! A [`Component`] reacts to a change delivered by one of its watches, a
//! timer it set, the response to a request it sent, and a fault. It acts
//! through its [`Ctx`]: requests to the API server (which arrive after the
//! modelled request latency; Kubernetes Events too are such requests, made
//! by its event recorder), timers, watches and trace records. It never
//! touches another component or etcd directly. The
//! [`crate::cluster::Cluster`] runs the events and hands each to its
//! component; both sides depend on this module and on nothing of each other.

use std::any::Any;
use std::sync::Arc;

use rand_chacha::ChaCha8Rng;

use crate::api::Object;
use crate::apiserver::watch::{WatchId, WatchSpec};
use crate::apiserver::{ApiResult, Request};
use crate::components::kube_proxy::service_table::{ServiceCache, ServiceTable};
use crate::config::ClusterConfig;
use crate::etcd::ChangeType;
use crate::event_queue::{EventId, EventQueue};
pub use crate::faults::ControlPlaneProcess;
use crate::time::{SimDuration, SimTime};
use crate::trace::Trace;

/// A component of a cluster: its index in the order components were added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComponentId(u32);

impl ComponentId {
    /// The id of the `index`-th component added.
    pub(crate) fn from_index(index: usize) -> Self {
        Self(u32::try_from(index).expect("fewer than 2^32 components"))
    }

    /// Its index in the order components were added.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A timer's or a response's tag: what it is for (a component's
/// [`TagSpace`]) and a serial number within that space. Two parts of one
/// component can never mistake each other's tags, whatever their numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag(u64);

/// Serial numbers of a tag space are below this.
const SERIAL_LIMIT: u64 = 1 << 56;

impl Tag {
    /// The tag `serial` of `space`.
    ///
    /// # Panics
    /// When `serial` is 2^56 or more (a component would need to set a timer
    /// every nanosecond for two years of virtual time to get there).
    pub fn new<S: TagSpace>(space: S, serial: u64) -> Self {
        assert!(serial < SERIAL_LIMIT, "tag serial {serial} out of range");
        Self(u64::from(space.id()) << 56 | serial)
    }

    /// The tag's space, if it is one of `S`.
    pub fn space<S: TagSpace>(self) -> Option<S> {
        let id = (self.0 >> 56) as u8;
        S::ALL.iter().copied().find(|s| s.id() == id)
    }

    /// The tag's serial number.
    pub fn serial(self) -> u64 {
        self.0 & (SERIAL_LIMIT - 1)
    }
}

/// The kinds of tags a component uses: a small enum listing what its timers
/// and requests are for.
pub trait TagSpace: Copy + Eq + 'static {
    /// Every space of the component.
    const ALL: &'static [Self];
    /// The space's number (distinct within the component).
    fn id(self) -> u8;
}

/// What a component is: how the cluster and its clients find it without
/// building names.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// The kubelet of the named node.
    Kubelet(String),
    /// The kube-proxy of the named node.
    KubeProxy(String),
    /// A control-plane process.
    ControlPlane(ControlPlaneProcess),
    /// The status sync of the ingress-nginx controller pods (their
    /// leader's), [`crate::components::ingress::status`].
    IngressStatusSync,
    /// The nfs-subdir-external-provisioner pods' work (their leaders'),
    /// [`crate::components::nfs_provisioner`].
    NfsProvisioner,
    /// The disk service's CSI driver, its controller side
    /// ([`crate::components::disk_driver`]).
    DiskDriver,
    /// The disk service's CSI driver, its external-provisioner
    /// ([`crate::components::disk_provisioner`]).
    DiskProvisioner,
}

impl Role {
    /// The component's name (`kubelet/worker-1`, `kube-scheduler`): what the
    /// trace shows and what names its random stream.
    pub fn name(&self) -> String {
        match self {
            Role::Kubelet(node) => format!("kubelet/{node}"),
            Role::KubeProxy(node) => format!("kube-proxy/{node}"),
            Role::ControlPlane(p) => p.name().to_owned(),
            Role::IngressStatusSync => "ingress-nginx-status".to_owned(),
            Role::NfsProvisioner => "nfs-subdir-external-provisioner".to_owned(),
            Role::DiskDriver => "csi-attacher".to_owned(),
            Role::DiskProvisioner => "csi-provisioner".to_owned(),
        }
    }

    /// The node of a node component.
    pub fn node(&self) -> Option<&str> {
        match self {
            Role::Kubelet(node) | Role::KubeProxy(node) => Some(node),
            Role::ControlPlane(_)
            | Role::IngressStatusSync
            | Role::NfsProvisioner
            | Role::DiskDriver
            | Role::DiskProvisioner => None,
        }
    }
}

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
    /// What the component is; its name ([`Role::name`]) names its random stream.
    fn role(&self) -> Role;
    /// Called once when the component starts.
    fn start(&mut self, ctx: &mut Ctx<'_>);
    /// A watched object changed.
    fn on_watch(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent);
    /// A timer set with [`Ctx::set_timer`] fired.
    fn on_timer(&mut self, ctx: &mut Ctx<'_>, tag: Tag);
    /// The response to a request sent with [`Ctx::send_tagged`].
    fn on_response(&mut self, _ctx: &mut Ctx<'_>, _tag: Tag, _result: &ApiResult) {}
    /// A fault reaches the component (restart, resync, container crash); most
    /// components ignore faults.
    fn on_fault(&mut self, _ctx: &mut Ctx<'_>, _fault: &crate::faults::ComponentFault) {}
    /// The component as `Any`, so that [`crate::cluster::Cluster`]'s typed
    /// accessors can hand it out.
    fn as_any(&self) -> &dyn Any;
    /// The component as mutable `Any` (the API server's exec proxy reaches
    /// the kubelet through it).
    fn as_any_mut(&mut self) -> &mut dyn Any;
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
    /// The Services and EndpointSlices as every kube-proxy's informers hold them.
    pub(crate) services: &'a ServiceCache,
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

    /// The Service table made of the Services and EndpointSlices the
    /// component's watches hold (kube-proxy's informer cache, kept once
    /// for all nodes).
    pub fn service_table(&self) -> Arc<ServiceTable> {
        self.services.table()
    }

    /// True unless an image registry outage is in progress.
    pub fn registry_available(&self) -> bool {
        !self.registry_down
    }

    fn send_request(&mut self, request: Request, tag: Option<Tag>) {
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
    pub fn send_tagged(&mut self, request: Request, tag: Tag) {
        self.send_request(request, Some(tag));
    }

    /// Sets a timer that fires [`Component::on_timer`] with `tag` after `delay`.
    pub fn set_timer(&mut self, delay: SimDuration, tag: Tag) -> EventId {
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

    /// Records an explained scheduling attempt in the trace.
    pub fn explain(&mut self, attempt: crate::trace::scheduling::Attempt) {
        self.trace.attempt(attempt);
    }
}

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
        tag: Option<Tag>,
        /// The sender's incarnation.
        epoch: u64,
    },
    /// A response arrives at a component.
    Response {
        /// The receiver.
        to: ComponentId,
        /// The tag given with the request.
        tag: Tag,
        /// The outcome.
        result: ApiResult,
        /// The incarnation that sent the request.
        epoch: u64,
    },
    /// A watch delivers a change.
    Deliver {
        /// The watch.
        watch: WatchId,
        /// The store revision of the change; 0 for the objects of the
        /// watch's initial list.
        revision: u64,
        /// The change as that watch sees it.
        event: WatchEvent,
    },
    /// A component's timer fires.
    Timer {
        /// The component.
        to: ComponentId,
        /// Its tag.
        tag: Tag,
        /// The incarnation that set it.
        epoch: u64,
    },
    /// etcd's pass revoking the leases of expired Events.
    ExpireEvents {
        /// The pass's time (a pass superseded by an earlier one is skipped).
        at: SimTime,
    },
    /// A metrics sample for the trace (only when its sink asks for them).
    Sample,
    /// The API server's periodic etcd compaction.
    Compact {
        /// Compact up to this revision (the one observed one interval ago).
        revision: u64,
    },
    /// A fault with a duration ends.
    FaultEnd(u64),
    /// The next crash of a `random-node-crashes` fault is due.
    RandomCrash {
        /// The random fault.
        fault: u64,
        /// The worker, by its index among the fault's workers.
        worker: u32,
    },
    /// A traffic source's next request is due.
    Traffic(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum A {
        One,
        Two,
    }

    impl TagSpace for A {
        const ALL: &'static [Self] = &[Self::One, Self::Two];
        fn id(self) -> u8 {
            self as u8
        }
    }

    #[test]
    fn tags_keep_their_space_and_serial() {
        let t = Tag::new(A::Two, 12_345);
        assert_eq!(t.space(), Some(A::Two));
        assert_eq!(t.serial(), 12_345);
        assert_ne!(Tag::new(A::One, 7), Tag::new(A::Two, 7));
        let last = Tag::new(A::One, (1 << 56) - 1);
        assert_eq!(last.space(), Some(A::One));
        assert_eq!(last.serial(), (1 << 56) - 1);
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn a_serial_cannot_spill_into_the_space() {
        Tag::new(A::One, 1 << 56);
    }
}
