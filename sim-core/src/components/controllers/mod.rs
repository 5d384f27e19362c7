//! kube-controller-manager: one process, many control loops.
//!
//! The controllers share the manager's informers (one watch per kind) and
//! each keeps a work queue of object keys. A watch event marks keys dirty; a
//! sync runs at the next instant and performs the controller's API writes, as
//! a real controller's worker does. Controllers read only their informer
//! caches and write only through the API.

pub(crate) mod attach_detach;
pub(crate) mod controller_utils;
pub(crate) mod daemonset;
pub mod deployment;
pub(crate) mod endpoints;
pub(crate) mod endpointslice;
pub(crate) use endpointslice::SERVICE_NAME_LABEL;
pub(crate) mod garbage_collector;
pub(crate) mod job;
pub(crate) mod namespace;
pub(crate) mod node_lifecycle;
pub(crate) mod persistent_volume;
pub(crate) mod pod_gc;
pub(crate) mod replicaset;
pub(crate) mod service_lb;
pub(crate) mod serviceaccount;
pub(crate) mod storage_protection;
pub(crate) mod taint_eviction;

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};

use super::event_recorder::EventRecorder;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;

use super::informer::Informer;
use super::{Component, ControlPlaneProcess, Ctx, Role, Tag, TagSpace, WatchEvent};
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

/// What the controller manager's timer and response tags are for: one
/// space per controller purpose, so no two controllers can take each
/// other's tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControllerTag {
    /// The manager's sync of every controller, at the next instant.
    Sync,
    /// The namespace controller's resync of terminating namespaces.
    NamespaceResync,
    /// A Deployment requeued after a delay.
    DeploymentRequeue,
    /// A ReplicaSet requeued after a delay.
    ReplicaSetRequeue,
    /// The response to a ReplicaSet's pod creation.
    ReplicaSetCreate,
    /// The response to a DaemonSet's pod creation.
    DaemonSetCreate,
    /// The node lifecycle controller's monitor pass.
    NodeMonitor,
    /// The node lifecycle controller's NoExecute tainting pass.
    NodeTaintPass,
    /// The response to a node taint patch.
    NodePatch,
    /// A taint eviction due.
    TaintEviction,
    /// The pod garbage collector's pass.
    PodGc,
    /// A Job synced again after a delay (`AddAfter`).
    JobRequeue,
    /// The response to a Job's pod creation.
    JobCreate,
    /// The response to another request of a Job's sync (status writes,
    /// finalizer removals, pod deletions).
    JobWrite,
    /// The response to an EndpointSlice write.
    EndpointSliceWrite,
    /// The PV controller's periodic resync of claims and volumes.
    PvResync,
    /// The attach/detach controller's next deadline (a force detach).
    AttachDetachWake,
}

impl TagSpace for ControllerTag {
    const ALL: &'static [Self] = &[
        Self::Sync,
        Self::NamespaceResync,
        Self::DeploymentRequeue,
        Self::ReplicaSetRequeue,
        Self::ReplicaSetCreate,
        Self::DaemonSetCreate,
        Self::NodeMonitor,
        Self::NodeTaintPass,
        Self::NodePatch,
        Self::TaintEviction,
        Self::PodGc,
        Self::JobRequeue,
        Self::JobCreate,
        Self::JobWrite,
        Self::EndpointSliceWrite,
        Self::PvResync,
        Self::AttachDetachWake,
    ];
    fn id(self) -> u8 {
        self as u8
    }
}

impl ControllerTag {
    /// The tag of a timer or request of this kind that needs no serial number.
    pub fn tag(self) -> Tag {
        Tag::new(self, 0)
    }
}

/// Serial numbers of one tag space, handed out in order.
#[derive(Debug)]
pub struct Serials {
    space: ControllerTag,
    next: u64,
}

impl Serials {
    /// Serials of `space`.
    pub fn new(space: ControllerTag) -> Self {
        Self { space, next: 0 }
    }

    /// Takes the next tag.
    pub fn take(&mut self) -> Tag {
        let tag = Tag::new(self.space, self.next);
        self.next += 1;
        tag
    }
}

/// Keys to sync again after a delay (AddAfter of client-go's delaying queue):
/// a controller's timer tags map to the keys they requeue.
#[derive(Debug)]
pub struct Requeue {
    pending: BTreeMap<Tag, ObjectKey>,
    serials: Serials,
}

impl Requeue {
    /// Requeues whose timers are tagged in `space`.
    pub fn new(space: ControllerTag) -> Self {
        Self {
            pending: BTreeMap::new(),
            serials: Serials::new(space),
        }
    }

    /// Syncs `key` again after `delay`.
    pub fn after(&mut self, ctx: &mut Ctx<'_>, delay: crate::time::SimDuration, key: ObjectKey) {
        let tag = self.serials.take();
        self.pending.insert(tag, key);
        ctx.set_timer(delay, tag);
    }

    /// A timer of this requeue fired: its key goes back on `queue`; true
    /// when there was one (the controller should sync).
    pub fn fire(&mut self, tag: Tag, queue: &mut WorkQueue) -> bool {
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
    owners: BTreeMap<Tag, Arc<Object>>,
    serials: Serials,
}

impl PodCreations {
    /// Creations whose requests are tagged in `space`.
    pub fn new(space: ControllerTag) -> Self {
        Self {
            owners: BTreeMap::new(),
            serials: Serials::new(space),
        }
    }

    /// Sends the creation of `pod` on behalf of `owner`.
    pub fn send(&mut self, ctx: &mut Ctx<'_>, owner: Arc<Object>, pod: Pod) {
        let tag = self.serials.take();
        self.owners.insert(tag, owner);
        ctx.send_tagged(Request::Create(Object::from(pod)), tag);
    }

    /// Records the event for a response. Returns the owner and whether the
    /// creation failed, or None when the tag is not one of these creations.
    pub fn on_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        recorder: &mut EventRecorder,
        tag: Tag,
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

/// The controller manager component.
pub struct ControllerManager {
    informers: Informers,
    namespace: namespace::NamespaceController,
    serviceaccount: serviceaccount::ServiceAccountController,
    gc: garbage_collector::GarbageCollector,
    replicaset: replicaset::ReplicaSetController,
    deployment: deployment::DeploymentController,
    daemonset: daemonset::DaemonSetController,
    job: job::JobController,
    endpoints: endpoints::EndpointsController,
    endpoint_slices: endpointslice::EndpointSliceController,
    service_lb: service_lb::ServiceLbController,
    persistent_volume: persistent_volume::PersistentVolumeController,
    storage_protection: storage_protection::StorageProtection,
    attach_detach: attach_detach::AttachDetachController,
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
            endpoint_slices: endpointslice::EndpointSliceController::default(),
            service_lb: service_lb::ServiceLbController::default(),
            persistent_volume: persistent_volume::PersistentVolumeController::default(),
            storage_protection: storage_protection::StorageProtection::default(),
            attach_detach: attach_detach::AttachDetachController::default(),
            daemonset: daemonset::DaemonSetController::new(EventRecorder::new(
                "daemonset-controller",
                None,
            )),
            job: job::JobController::new(EventRecorder::new("job-controller", None)),
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
            ctx.set_timer(SimDuration::ZERO, ControllerTag::Sync.tag());
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
        let period = ctx.config().timings.pv_claim_binder_sync_period;
        ctx.set_timer(period, ControllerTag::PvResync.tag());
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
        self.job
            .observe(ctx, event, prev.as_deref(), &self.informers);
        // The Services a pod change concerns, found once for both
        // controllers that follow them.
        let selecting = endpoints::services_selecting(event, prev.as_deref(), &self.informers);
        self.endpoints.observe(event, &selecting);
        self.endpoint_slices.observe(event, &selecting);
        self.service_lb.observe(event, &self.informers);
        self.persistent_volume.observe(event);
        self.storage_protection.observe(event);
        self.attach_detach.observe(event, prev.as_deref());
        self.node_lifecycle.observe(event);
        self.taint_eviction.observe(event, prev.as_deref());
        self.schedule_sync(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, tag: Tag) {
        let Some(space) = tag.space::<ControllerTag>() else {
            return;
        };
        match space {
            ControllerTag::Sync => {
                self.sync_pending = false;
                self.gc.sync(ctx, &self.informers);
                let ns_waiting = self.namespace.sync(ctx, &self.informers);
                if ns_waiting && !self.namespace_resync_pending {
                    self.namespace_resync_pending = true;
                    let delay = ctx.config().timings.namespace_resync;
                    ctx.set_timer(delay, ControllerTag::NamespaceResync.tag());
                }
                self.serviceaccount.sync(ctx, &self.informers);
                self.deployment.sync(ctx, &self.informers);
                self.replicaset.sync(ctx, &self.informers);
                self.daemonset.sync(ctx, &self.informers);
                self.job.sync(ctx, &self.informers);
                self.endpoints.sync(ctx, &self.informers);
                self.endpoint_slices.sync(ctx, &self.informers);
                self.service_lb.sync(ctx, &self.informers);
                self.persistent_volume.sync(ctx, &self.informers);
                self.storage_protection.sync(ctx, &self.informers);
                self.attach_detach.sync(ctx, &self.informers);
                self.node_lifecycle.sync(ctx, &self.informers);
                self.taint_eviction.sync(ctx, &self.informers);
                if self.persistent_volume.has_work() {
                    // A volume's sync queued its claim.
                    self.schedule_sync(ctx);
                }
            }
            ControllerTag::PvResync => {
                self.persistent_volume.resync(&self.informers);
                let period = ctx.config().timings.pv_claim_binder_sync_period;
                ctx.set_timer(period, ControllerTag::PvResync.tag());
                self.schedule_sync(ctx);
            }
            ControllerTag::NamespaceResync => {
                self.namespace_resync_pending = false;
                self.namespace.requeue_terminating(&self.informers);
                self.schedule_sync(ctx);
            }
            ControllerTag::NodeMonitor => self.node_lifecycle.on_monitor(ctx, &self.informers),
            ControllerTag::NodeTaintPass => self.node_lifecycle.on_taint_pass(ctx, &self.informers),
            ControllerTag::TaintEviction => self.taint_eviction.on_timer(ctx, &self.informers, tag),
            ControllerTag::PodGc => self.pod_gc.on_timer(ctx, &self.informers),
            ControllerTag::AttachDetachWake => {
                self.attach_detach.on_timer(ctx.now());
                self.schedule_sync(ctx);
            }
            ControllerTag::DeploymentRequeue => {
                if self.deployment.on_timer(tag) {
                    self.schedule_sync(ctx);
                }
            }
            ControllerTag::ReplicaSetRequeue => {
                if self.replicaset.on_timer(tag) {
                    self.schedule_sync(ctx);
                }
            }
            ControllerTag::JobRequeue => {
                if self.job.on_timer(tag) {
                    self.schedule_sync(ctx);
                }
            }
            ControllerTag::ReplicaSetCreate
            | ControllerTag::DaemonSetCreate
            | ControllerTag::JobCreate
            | ControllerTag::JobWrite
            | ControllerTag::EndpointSliceWrite
            | ControllerTag::NodePatch => {}
        }
    }

    fn on_response(&mut self, ctx: &mut Ctx<'_>, tag: Tag, result: &ApiResult) {
        let answered = match tag.space::<ControllerTag>() {
            Some(ControllerTag::ReplicaSetCreate) => self.replicaset.on_response(ctx, tag, result),
            Some(ControllerTag::DaemonSetCreate) => self.daemonset.on_response(ctx, tag, result),
            Some(ControllerTag::NodePatch) => self.node_lifecycle.on_response(tag, result),
            Some(ControllerTag::JobCreate | ControllerTag::JobWrite) => {
                self.job.on_response(ctx, tag, result)
            }
            Some(ControllerTag::EndpointSliceWrite) => {
                self.endpoint_slices.on_response(tag, result)
            }
            _ => false,
        };
        if answered {
            self.schedule_sync(ctx);
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
