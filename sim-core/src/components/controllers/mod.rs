//! kube-controller-manager: one process, many control loops.
//!
//! The controllers share the manager's informers (one watch per kind) and
//! each keeps a work queue of object keys. A watch event marks keys dirty; a
//! sync runs at the next instant and performs the controller's API writes, as
//! a real controller's worker does. Controllers read only their informer
//! caches and write only through the API.

pub mod daemonset;
pub mod deployment;
pub mod endpoints;
pub mod garbage_collector;
pub mod namespace;
pub mod node_lifecycle;
pub mod pod_gc;
pub mod replicaset;
pub mod serviceaccount;
pub mod taint_eviction;

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};

use super::event_recorder::EventRecorder;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;

use super::informer::Informer;
use super::{Component, ControlPlaneProcess, Ctx, Role, WatchEvent};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::watch::WatchSpec;
use crate::apiserver::{ApiResult, Request};
use crate::time::SimDuration;

/// The informers the controllers share, one per kind.
#[derive(Debug, Default)]
pub struct Informers {
    by_kind: BTreeMap<Kind, Informer>,
}

impl Informers {
    /// The cache of a kind (empty when not watched).
    pub fn of(&self, kind: Kind) -> &Informer {
        static EMPTY: std::sync::OnceLock<Informer> = std::sync::OnceLock::new();
        self.by_kind
            .get(&kind)
            .unwrap_or_else(|| EMPTY.get_or_init(Informer::new))
    }

    fn apply(&mut self, event: &WatchEvent) {
        self.by_kind
            .entry(event.object.kind())
            .or_default()
            .apply(event);
    }
}

/// A set of keys waiting to be synced, processed in key order.
#[derive(Debug, Default)]
pub struct WorkQueue {
    dirty: BTreeSet<ObjectKey>,
}

impl WorkQueue {
    /// Marks a key for the next sync.
    pub fn add(&mut self, key: ObjectKey) {
        self.dirty.insert(key);
    }

    /// Takes every dirty key.
    pub fn drain(&mut self) -> Vec<ObjectKey> {
        std::mem::take(&mut self.dirty).into_iter().collect()
    }

    /// True when nothing is dirty.
    pub fn is_empty(&self) -> bool {
        self.dirty.is_empty()
    }
}

/// Keys to sync again after a delay (AddAfter of client-go's delaying queue):
/// a controller's timer tags map to the keys they requeue.
#[derive(Debug)]
pub struct Requeue {
    pending: BTreeMap<u64, ObjectKey>,
    next_tag: u64,
}

impl Requeue {
    /// Tags from `tag_base` on (each controller takes its own range).
    pub fn new(tag_base: u64) -> Self {
        Self {
            pending: BTreeMap::new(),
            next_tag: tag_base,
        }
    }

    /// Syncs `key` again after `delay`.
    pub fn after(&mut self, ctx: &mut Ctx<'_>, delay: crate::time::SimDuration, key: ObjectKey) {
        let tag = self.next_tag;
        self.next_tag += 1;
        self.pending.insert(tag, key);
        ctx.set_timer(delay, tag);
    }

    /// A timer fired: when the tag is one of these, its key goes back on
    /// `queue` and the answer is true (the controller should sync).
    pub fn fire(&mut self, tag: u64, queue: &mut WorkQueue) -> bool {
        match self.pending.remove(&tag) {
            Some(key) => {
                queue.add(key);
                true
            }
            None => false,
        }
    }
}

/// Pod creations in flight: a controller's create requests are tagged so
/// that, when the API answers, it records the real `SuccessfulCreate`
/// ("Created pod: NAME") or `FailedCreate` event on the owner.
#[derive(Debug)]
pub struct PodCreations {
    owners: BTreeMap<u64, Arc<Object>>,
    next_tag: u64,
}

impl PodCreations {
    /// Tags from `tag_base` on (each controller takes its own range).
    pub fn new(tag_base: u64) -> Self {
        Self {
            owners: BTreeMap::new(),
            next_tag: tag_base,
        }
    }

    /// Sends the creation of `pod` on behalf of `owner`.
    pub fn send(&mut self, ctx: &mut Ctx<'_>, owner: Arc<Object>, pod: Pod) {
        let tag = self.next_tag;
        self.next_tag += 1;
        self.owners.insert(tag, owner);
        ctx.send_tagged(Request::Create(Object::from(pod)), tag);
    }

    /// Records the event for a response. Returns the owner and whether the
    /// creation failed, or None when the tag is not one of these creations.
    pub fn on_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        recorder: &mut EventRecorder,
        tag: u64,
        result: &ApiResult,
    ) -> Option<(Arc<Object>, bool)> {
        let owner = self.owners.remove(&tag)?;
        match result {
            Ok(resp) => {
                let name = resp
                    .object()
                    .map(|o| o.name().to_owned())
                    .unwrap_or_default();
                recorder.record(
                    ctx,
                    &owner,
                    "Normal",
                    "SuccessfulCreate",
                    format!("Created pod: {name}"),
                );
                Some((owner, false))
            }
            Err(e) => {
                recorder.record(
                    ctx,
                    &owner,
                    "Warning",
                    "FailedCreate",
                    format!("Error creating: {}", e.message),
                );
                Some((owner, true))
            }
        }
    }
}

const TIMER_SYNC: u64 = 1;
const TIMER_NAMESPACE_RESYNC: u64 = 2;

/// The controller manager component.
pub struct ControllerManager {
    informers: Informers,
    namespace: namespace::NamespaceController,
    serviceaccount: serviceaccount::ServiceAccountController,
    gc: garbage_collector::GarbageCollector,
    replicaset: replicaset::ReplicaSetController,
    deployment: deployment::DeploymentController,
    daemonset: daemonset::DaemonSetController,
    endpoints: endpoints::EndpointsController,
    node_lifecycle: node_lifecycle::NodeLifecycleController,
    taint_eviction: taint_eviction::TaintEvictionController,
    pod_gc: pod_gc::PodGc,
    sync_pending: bool,
    namespace_resync_pending: bool,
}

impl Default for ControllerManager {
    fn default() -> Self {
        Self::new()
    }
}

impl ControllerManager {
    /// A controller manager with every controller enabled.
    pub fn new() -> Self {
        Self {
            informers: Informers::default(),
            namespace: namespace::NamespaceController::default(),
            serviceaccount: serviceaccount::ServiceAccountController::default(),
            gc: garbage_collector::GarbageCollector::default(),
            replicaset: replicaset::ReplicaSetController::new(EventRecorder::new(
                "replicaset-controller",
                None,
            )),
            deployment: deployment::DeploymentController::new(EventRecorder::new(
                "deployment-controller",
                None,
            )),
            endpoints: endpoints::EndpointsController::default(),
            daemonset: daemonset::DaemonSetController::new(EventRecorder::new(
                "daemonset-controller",
                None,
            )),
            node_lifecycle: node_lifecycle::NodeLifecycleController::default(),
            taint_eviction: taint_eviction::TaintEvictionController::default(),
            pod_gc: pod_gc::PodGc::default(),
            sync_pending: false,
            namespace_resync_pending: false,
        }
    }

    fn schedule_sync(&mut self, ctx: &mut Ctx<'_>) {
        if !self.sync_pending {
            self.sync_pending = true;
            ctx.set_timer(SimDuration::ZERO, TIMER_SYNC);
        }
    }
}

impl Component for ControllerManager {
    fn role(&self) -> Role {
        Role::ControlPlane(ControlPlaneProcess::ControllerManager)
    }

    fn start(&mut self, ctx: &mut Ctx<'_>) {
        for &kind in Kind::ALL {
            // Events are not owned by anything the garbage collector must track.
            if kind != Kind::Event {
                ctx.watch(WatchSpec::all(kind));
            }
        }
        self.node_lifecycle.start(ctx);
        self.pod_gc.start(ctx);
    }

    fn on_watch(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
        let prev = self
            .informers
            .by_kind
            .get(&event.object.kind())
            .and_then(|i| i.get(&ObjectKey::of(&event.object)).cloned());
        self.informers.apply(event);
        self.gc.observe(event, prev.as_deref());
        self.namespace.observe(event);
        self.serviceaccount.observe(event);
        self.replicaset.observe(event, prev.as_deref());
        self.deployment.observe(event, &self.informers);
        self.daemonset.observe(event);
        self.endpoints
            .observe(event, prev.as_deref(), &self.informers);
        self.node_lifecycle.observe(event);
        self.taint_eviction.observe(event, prev.as_deref());
        self.schedule_sync(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, tag: u64) {
        match tag {
            TIMER_SYNC => {
                self.sync_pending = false;
                self.gc.sync(ctx, &self.informers);
                let ns_waiting = self.namespace.sync(ctx, &self.informers);
                if ns_waiting && !self.namespace_resync_pending {
                    self.namespace_resync_pending = true;
                    let delay = ctx.config().timings.namespace_resync;
                    ctx.set_timer(delay, TIMER_NAMESPACE_RESYNC);
                }
                self.serviceaccount.sync(ctx, &self.informers);
                self.deployment.sync(ctx, &self.informers);
                self.replicaset.sync(ctx, &self.informers);
                self.daemonset.sync(ctx, &self.informers);
                self.endpoints.sync(ctx, &self.informers);
                self.node_lifecycle.sync(ctx, &self.informers);
                self.taint_eviction.sync(ctx, &self.informers);
            }
            TIMER_NAMESPACE_RESYNC => {
                self.namespace_resync_pending = false;
                self.namespace.requeue_terminating(&self.informers);
                self.schedule_sync(ctx);
            }
            other
                if self.node_lifecycle.on_timer(ctx, &self.informers, other)
                    || self.taint_eviction.on_timer(ctx, &self.informers, other)
                    || self.pod_gc.on_timer(ctx, &self.informers, other) => {}
            other => {
                if self.deployment.on_timer(other) || self.replicaset.on_timer(other) {
                    self.schedule_sync(ctx);
                }
            }
        }
    }

    fn on_response(&mut self, ctx: &mut Ctx<'_>, tag: u64, result: &ApiResult) {
        if self.replicaset.on_response(ctx, tag, result)
            || self.daemonset.on_response(ctx, tag, result)
            || self.node_lifecycle.on_response(tag, result)
        {
            self.schedule_sync(ctx);
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
