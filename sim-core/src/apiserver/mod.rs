//! The kube-apiserver model: the only door to etcd.
//!
//! [`ApiServer::handle`] runs one request to completion at one virtual instant:
//! it names (generateName), admits (namespace lifecycle, default service
//! account, priority, default tolerations), defaults, validates, enforces
//! optimistic concurrency (a stale resourceVersion is a 409 Conflict),
//! implements graceful and finalizer-driven deletion, and writes to etcd. The
//! changes it produced are returned so that the cluster can fan them out to
//! the watches (see `watch`) with the modelled delivery latency.

pub(crate) mod admission;
pub mod defaults;
pub mod event_ttl;
pub(crate) mod json_patch;
pub mod merge_patch;
pub(crate) mod request;
#[cfg(test)]
mod request_tests;
pub(crate) mod strategic_merge_patch;
pub mod validation;
pub(crate) mod watch;

use std::collections::BTreeSet;
use std::sync::Arc;

use k8s_openapi::api::core::v1::PodCondition;
use rand_chacha::ChaCha8Rng;

use crate::api::meta::{generate_name, new_uid, time};
use crate::api::resources::qos_class;
use crate::api::{ApiError, Kind, Object, ObjectKey, Reason};
use crate::etcd::{Change, Etcd, UpdateError};
use crate::time::{SimDuration, SimTime};

pub use admission::AdmissionSettings;
use event_ttl::EventLeases;
pub use request::{ApiResult, DeleteOptions, PatchType, Propagation, Request, Response};

/// The kinds whose `status` is a subresource: a main-resource update keeps the
/// stored status and a status update keeps everything else.
fn has_status_subresource(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Pod
            | Kind::Node
            | Kind::Namespace
            | Kind::Service
            | Kind::Deployment
            | Kind::ReplicaSet
            | Kind::DaemonSet
            | Kind::StatefulSet
            | Kind::Job
            | Kind::PersistentVolume
            | Kind::PersistentVolumeClaim
            | Kind::Ingress
            | Kind::VolumeAttachment
    )
}

/// The kinds whose strategy tracks `metadata.generation` (bumped on spec changes).
fn tracks_generation(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Deployment | Kind::ReplicaSet | Kind::DaemonSet | Kind::StatefulSet | Kind::Job
    )
}

macro_rules! status_kinds {
    ($target:expr, $src:expr, [$($k:ident),*]) => {
        match ($target, $src) {
            $((Object::$k(t), Object::$k(s)) => t.status = s.status.clone(),)*
            _ => {}
        }
    };
}

/// Copies `status` from `src` into `target` (same kind).
fn copy_status(target: &mut Object, src: &Object) {
    status_kinds!(
        target,
        src,
        [
            Pod,
            Node,
            Namespace,
            Service,
            Deployment,
            ReplicaSet,
            DaemonSet,
            StatefulSet,
            Job,
            PersistentVolume,
            PersistentVolumeClaim,
            Ingress,
            VolumeAttachment
        ]
    );
}

/// True when `spec` differs (for generation tracking).
fn spec_changed(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Deployment(x), Object::Deployment(y)) => x.spec != y.spec,
        (Object::ReplicaSet(x), Object::ReplicaSet(y)) => x.spec != y.spec,
        (Object::DaemonSet(x), Object::DaemonSet(y)) => x.spec != y.spec,
        (Object::StatefulSet(x), Object::StatefulSet(y)) => x.spec != y.spec,
        (Object::Job(x), Object::Job(y)) => x.spec != y.spec,
        _ => false,
    }
}

/// What one request did: its result and the store changes to fan out.
#[derive(Debug)]
pub struct Outcome {
    /// The response or the error.
    pub result: ApiResult,
    /// The changes written, in revision order.
    pub changes: Vec<Change>,
}

/// The API server and the etcd behind it.
#[derive(Debug)]
pub struct ApiServer {
    etcd: Etcd,
    rng: ChaCha8Rng,
    /// The names and uids of EndpointSlices: a stream of their own (the same
    /// key, another ChaCha stream), so that the slices the controller
    /// writes leave every other object's name and uid as they were.
    slice_rng: ChaCha8Rng,
    admission: AdmissionSettings,
    cluster_ips: BTreeSet<u32>,
    node_ports: BTreeSet<i32>,
    event_leases: EventLeases,
}

/// The ChaCha stream of EndpointSlice names and uids.
const SLICE_STREAM: u64 = 0x5_1ce;

/// First address of the service network, 10.96.0.0/12 (the kubeadm default).
const SERVICE_NET_BASE: u32 = (10 << 24) | (96 << 16);
const SERVICE_NET_SIZE: u32 = 1 << 20;
const CLUSTER_IP_STATIC_BAND: u32 = 256;
const NODE_PORT_MIN: i32 = 30000;
const NODE_PORT_MAX: i32 = 32767;
const NODE_PORT_STATIC_BAND: i32 = 86;

impl ApiServer {
    /// An API server over an empty store, drawing names and uids from `rng`,
    /// keeping Events for `event_ttl` after their last write (`--event-ttl`;
    /// zero: for ever).
    pub fn new(rng: ChaCha8Rng, admission: AdmissionSettings, event_ttl: SimDuration) -> Self {
        let mut slice_rng = rng.clone();
        slice_rng.set_stream(SLICE_STREAM);
        Self {
            etcd: Etcd::new(),
            rng,
            slice_rng,
            admission,
            cluster_ips: BTreeSet::new(),
            node_ports: BTreeSet::new(),
            event_leases: EventLeases::new(event_ttl),
        }
    }

    /// When etcd next revokes the lease of an expired Event, if any Event
    /// is stored.
    pub fn next_event_expiry(&self) -> Option<SimTime> {
        self.event_leases.next_pass()
    }

    /// etcd's lease revocation at `now`: deletes the Events whose lease has
    /// ended; returns the changes to fan out.
    pub fn expire_events(&mut self, now: SimTime) -> Vec<Change> {
        self.etcd.set_clock(now);
        let mut changes = Vec::new();
        for key in self.event_leases.expired(now) {
            if let Some(change) = self.etcd.delete(key.kind, &key.namespace, &key.name) {
                changes.push(change);
            }
        }
        changes
    }

    /// Read access to the store (for expectations and reports; components use the API).
    pub fn etcd(&self) -> &Etcd {
        &self.etcd
    }

    /// Compacts etcd history up to `revision`.
    pub fn compact(&mut self, revision: u64) {
        self.etcd.compact(revision);
    }

    /// Runs one request at time `now`.
    pub fn handle(&mut self, now: SimTime, req: Request) -> Outcome {
        self.etcd.set_clock(now);
        let mut changes = Vec::new();
        let result = match req {
            Request::Create(obj) => self.create(now, obj, &mut changes).map(Response::Object),
            Request::Update(obj) => self
                .update(now, obj, false, &mut changes)
                .map(Response::Object),
            Request::UpdateStatus(obj) => self
                .update(now, obj, true, &mut changes)
                .map(Response::Object),
            Request::Patch { key, patch } => self
                .patch(now, &key, &patch, PatchType::Merge, &mut changes)
                .map(Response::Object),
            Request::PatchAs {
                key,
                patch,
                patch_type,
            } => self
                .patch(now, &key, &patch, patch_type, &mut changes)
                .map(Response::Object),
            Request::Evict {
                namespace,
                name,
                options,
            } => self.delete(
                now,
                &ObjectKey::new(Kind::Pod, namespace, name),
                &options,
                &mut changes,
            ),
            Request::Delete { key, options } => self.delete(now, &key, &options, &mut changes),
            Request::DeleteCollection { kind, namespace } => {
                let items = self.etcd.list(kind, Some(&namespace));
                let mut remaining = 0;
                for item in items {
                    let key = ObjectKey::of(&item);
                    if let Ok(Response::Deleted { gone: false, .. }) =
                        self.delete(now, &key, &DeleteOptions::default(), &mut changes)
                    {
                        remaining += 1;
                    }
                }
                Ok(Response::Remaining(remaining))
            }
            Request::Bind {
                namespace,
                name,
                node,
            } => self
                .bind(now, &namespace, &name, &node, &mut changes)
                .map(Response::Object),
            Request::FinalizeNamespace { name, finalizers } => {
                self.finalize_namespace(&name, finalizers, &mut changes)
            }
            Request::Get(key) => self
                .etcd
                .get(key.kind, &key.namespace, &key.name)
                .cloned()
                .map(Response::Object)
                .ok_or_else(|| ApiError::not_found(key.kind, &key.name)),
            Request::List {
                kind,
                namespace,
                labels,
                fields,
            } => {
                for f in fields.fields() {
                    let supported = matches!(f, "metadata.name" | "metadata.namespace")
                        || crate::api::fields_supported(kind, f);
                    if !supported {
                        return Outcome {
                            result: Err(ApiError::new(
                                Reason::BadRequest,
                                format!("field label not supported: {f}"),
                            )),
                            changes,
                        };
                    }
                }
                let items = self
                    .etcd
                    .list(kind, namespace.as_deref())
                    .into_iter()
                    .filter(|o| labels.matches(o.labels()) && fields.matches(|f| o.field(f)))
                    .collect();
                Ok(Response::List {
                    items,
                    revision: self.etcd.revision(),
                })
            }
        };
        self.event_leases.observe(now, &changes);
        Outcome { result, changes }
    }

    fn create(
        &mut self,
        now: SimTime,
        mut obj: Object,
        changes: &mut Vec<Change>,
    ) -> Result<Arc<Object>, ApiError> {
        let kind = obj.kind();
        {
            let meta = obj.meta_mut();
            if kind.namespaced() {
                if meta.namespace.as_deref().is_none_or(str::is_empty) {
                    meta.namespace = Some("default".into());
                }
            } else {
                meta.namespace = None;
            }
            if meta.name.as_deref().is_none_or(str::is_empty) {
                if let Some(base) = meta.generate_name.clone().filter(|b| !b.is_empty()) {
                    let rng = if kind == Kind::EndpointSlice {
                        &mut self.slice_rng
                    } else {
                        &mut self.rng
                    };
                    meta.name = Some(generate_name(&base, rng));
                }
            }
        }
        if obj.name().is_empty() {
            return Err(ApiError::invalid(
                kind,
                "",
                &["metadata.name: Required value: name or generateName is required".into()],
            ));
        }
        if obj
            .meta()
            .resource_version
            .as_deref()
            .is_some_and(|rv| !rv.is_empty())
        {
            // etcd3 store Create (storage.ErrResourceVersionSetOnCreate).
            return Err(ApiError::new(
                Reason::Unknown,
                "resourceVersion should not be set on objects to be created",
            ));
        }
        admission::namespace_lifecycle(&self.etcd, &obj)?;
        defaults::apply(&mut obj);
        if let Object::Pod(pod) = &mut obj {
            admission::admit_pod(&self.etcd, pod, &self.admission)?;
        }
        if let Object::PersistentVolumeClaim(claim) = &mut obj {
            admission::default_storage_class(&self.etcd, claim);
        }
        admission::storage_object_in_use_protection(&mut obj);
        validation::validate_create(&obj)?;
        if self.etcd.get(kind, obj.namespace(), obj.name()).is_some() {
            return Err(ApiError::already_exists(kind, obj.name()));
        }
        if let Object::Service(svc) = &mut obj {
            self.allocate_service(svc)?;
        }
        let uid = if kind == Kind::EndpointSlice {
            new_uid(&mut self.slice_rng)
        } else {
            new_uid(&mut self.rng)
        };
        {
            let meta = obj.meta_mut();
            meta.uid = Some(uid);
            meta.creation_timestamp = Some(time(now));
            meta.resource_version = None;
            meta.deletion_timestamp = None;
            meta.deletion_grace_period_seconds = None;
            meta.generation = tracks_generation(kind).then_some(1);
        }
        defaults::prepare_job(&mut obj);
        match &mut obj {
            Object::Pod(p) => {
                let qos = p.spec.as_ref().map(qos_class).unwrap_or("BestEffort");
                let status = p.status.get_or_insert_with(Default::default);
                *status = k8s_openapi::api::core::v1::PodStatus {
                    phase: Some("Pending".into()),
                    qos_class: Some(qos.into()),
                    ..Default::default()
                };
            }
            Object::Deployment(d) => d.status = None,
            Object::ReplicaSet(r) => r.status = None,
            Object::DaemonSet(d) => d.status = None,
            _ => {}
        }
        let name = obj.name().to_owned();
        let change = self
            .etcd
            .create(obj)
            .map_err(|_| ApiError::already_exists(kind, &name))?;
        let stored = change.object.clone();
        changes.push(change);
        Ok(stored)
    }

    fn update(
        &mut self,
        now: SimTime,
        mut obj: Object,
        status_only: bool,
        changes: &mut Vec<Change>,
    ) -> Result<Arc<Object>, ApiError> {
        let kind = obj.kind();
        if kind.namespaced() && obj.namespace().is_empty() {
            obj.meta_mut().namespace = Some("default".into());
        }
        let Some(old) = self.etcd.get(kind, obj.namespace(), obj.name()).cloned() else {
            return Err(ApiError::not_found(kind, obj.name()));
        };
        uid_precondition(&obj, &old)?;
        let expected = obj.resource_version();
        if expected.is_some_and(|rv| Some(rv) != old.resource_version()) {
            return Err(ApiError::conflict(kind, obj.name()));
        }
        let mut merged = if status_only {
            let mut m = (*old).clone();
            copy_status(&mut m, &obj);
            m
        } else {
            if has_status_subresource(kind) {
                copy_status(&mut obj, &old);
            }
            obj
        };
        {
            let (om, nm) = (old.meta(), merged.meta_mut());
            nm.uid = om.uid.clone();
            nm.creation_timestamp = om.creation_timestamp.clone();
            nm.generation = om.generation;
            nm.deletion_timestamp = om.deletion_timestamp.clone();
            nm.deletion_grace_period_seconds = om.deletion_grace_period_seconds;
            nm.resource_version = om.resource_version.clone();
            if status_only {
                nm.labels = om.labels.clone();
                nm.annotations = om.annotations.clone();
            }
        }
        if !status_only {
            defaults::apply(&mut merged);
            validation::validate_update(&old, &merged)?;
            if tracks_generation(kind) && spec_changed(&old, &merged) {
                let g = merged.meta().generation.unwrap_or(0) + 1;
                merged.meta_mut().generation = Some(g);
            }
        }
        if merged == *old {
            return Ok(old);
        }
        // An object awaiting deletion whose last finalizer was removed goes now.
        let finalizers_done = merged.meta().finalizers.as_ref().is_none_or(Vec::is_empty);
        let graceful_pod_pending = matches!(&merged, Object::Pod(_))
            && merged
                .meta()
                .deletion_grace_period_seconds
                .is_some_and(|g| g > 0);
        if merged.meta().deletion_timestamp.is_some()
            && finalizers_done
            && !graceful_pod_pending
            && kind != Kind::Namespace
        {
            let change = self
                .etcd
                .delete(kind, merged.namespace(), merged.name())
                .ok_or_else(|| ApiError::not_found(kind, merged.name()))?;
            let last = change.object.clone();
            changes.push(change);
            let _ = now;
            return Ok(last);
        }
        match self.etcd.update(merged, None) {
            Ok(change) => {
                let stored = change.object.clone();
                changes.push(change);
                Ok(stored)
            }
            Err(UpdateError::NotFound | UpdateError::Exists) => {
                Err(ApiError::not_found(kind, old.name()))
            }
            Err(UpdateError::Conflict) => Err(ApiError::conflict(kind, old.name())),
        }
    }

    fn patch(
        &mut self,
        now: SimTime,
        key: &ObjectKey,
        patch: &serde_json::Value,
        patch_type: PatchType,
        changes: &mut Vec<Change>,
    ) -> Result<Arc<Object>, ApiError> {
        let Some(old) = self.etcd.get(key.kind, &key.namespace, &key.name).cloned() else {
            return Err(ApiError::not_found(key.kind, &key.name));
        };
        let mut doc = old.to_json();
        let before_rv = doc.pointer("/metadata/resourceVersion").cloned();
        match patch_type {
            PatchType::Merge => merge_patch::apply(&mut doc, patch),
            PatchType::Json => json_patch::apply(&mut doc, patch)
                .map_err(|e| ApiError::new(Reason::Invalid, e.0))?,
            PatchType::Strategic => strategic_merge_patch::apply(&mut doc, patch)
                .map_err(|e| ApiError::new(Reason::BadRequest, e.0))?,
        }
        let precondition = match patch_type {
            PatchType::Json => doc.pointer("/metadata/resourceVersion").cloned() != before_rv,
            _ => patch.pointer("/metadata/resourceVersion").is_some(),
        };
        if !precondition {
            if let Some(meta) = doc.get_mut("metadata").and_then(|m| m.as_object_mut()) {
                meta.remove("resourceVersion");
            }
        }
        let mut new = key
            .kind
            .decode(&doc)
            .map_err(|e| ApiError::new(Reason::BadRequest, e.to_string()))?;
        // A patch has no uid precondition (the patch handler's
        // DefaultUpdatedObjectInfo has no object to take one from).
        new.meta_mut().uid = None;
        if new.name() != key.name {
            return Err(ApiError::new(
                Reason::BadRequest,
                "the name of the object does not match the name on the URL",
            ));
        }
        let status_patch =
            patch.get("status").is_some() && patch.as_object().is_some_and(|m| m.len() == 1);
        self.update(
            now,
            new,
            status_patch && has_status_subresource(key.kind),
            changes,
        )
    }

    fn delete(
        &mut self,
        now: SimTime,
        key: &ObjectKey,
        options: &DeleteOptions,
        changes: &mut Vec<Change>,
    ) -> ApiResult {
        let Some(old) = self.etcd.get(key.kind, &key.namespace, &key.name).cloned() else {
            return Err(ApiError::not_found(key.kind, &key.name));
        };
        if let Some(uid) = &options.precondition_uid {
            if uid != old.uid() {
                return Err(ApiError::new(
                    Reason::Conflict,
                    format!(
                        "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                        old.uid()
                    ),
                ));
            }
        }
        let mut obj = (*old).clone();
        match &mut obj {
            Object::Namespace(_) => {
                return self.start_namespace_deletion(now, key, old, obj, changes)
            }
            Object::Pod(pod) => {
                let grace = pod_grace_period(pod, options);
                if grace > 0 {
                    return self.graceful_pod_deletion(now, old, obj, grace, changes);
                }
                pod.metadata.deletion_grace_period_seconds = Some(0);
            }
            _ => {}
        }
        let finalizer = match options.propagation {
            Some(Propagation::Foreground) => Some("foregroundDeletion"),
            Some(Propagation::Orphan) => Some("orphan"),
            _ => None,
        };
        let meta = obj.meta_mut();
        if let Some(f) = finalizer {
            let list = meta.finalizers.get_or_insert_with(Vec::new);
            if !list.iter().any(|x| x == f) {
                list.push(f.into());
            }
        }
        if meta.finalizers.as_ref().is_some_and(|f| !f.is_empty()) {
            if meta.deletion_timestamp.is_none() {
                meta.deletion_timestamp = Some(time(now));
                meta.deletion_grace_period_seconds = Some(0);
            }
            return self.write(obj, changes).map(|object| Response::Deleted {
                object,
                gone: false,
            });
        }
        let change = self
            .etcd
            .delete(key.kind, &key.namespace, &key.name)
            .ok_or_else(|| ApiError::not_found(key.kind, &key.name))?;
        let object = change.object.clone();
        changes.push(change);
        Ok(Response::Deleted { object, gone: true })
    }

    /// Deleting a namespace starts its termination (`deletionTimestamp`,
    /// phase Terminating); the namespace controller empties it and the
    /// finalizers go. `default`, `kube-system` and `kube-public` may not be
    /// deleted.
    fn start_namespace_deletion(
        &mut self,
        now: SimTime,
        key: &ObjectKey,
        old: Arc<Object>,
        mut obj: Object,
        changes: &mut Vec<Change>,
    ) -> ApiResult {
        if admission::IMMORTAL_NAMESPACES.contains(&key.name.as_str()) {
            return Err(ApiError::new(
                Reason::Forbidden,
                format!(
                    "namespaces \"{}\" is forbidden: this namespace may not be deleted",
                    key.name
                ),
            ));
        }
        let Object::Namespace(ns) = &mut obj else {
            unreachable!("a namespace key names a namespace");
        };
        if ns.metadata.deletion_timestamp.is_some() {
            return Ok(Response::Deleted {
                object: old,
                gone: false,
            });
        }
        ns.metadata.deletion_timestamp = Some(time(now));
        ns.status.get_or_insert_with(Default::default).phase = Some("Terminating".into());
        self.write(obj, changes).map(|object| Response::Deleted {
            object,
            gone: false,
        })
    }

    /// A graceful pod deletion: `deletionTimestamp` = now + `grace`, for the
    /// kubelet to stop the containers. A second delete may only shorten the
    /// grace period, and the new one counts from the first delete
    /// (apiserver/pkg/registry/rest/delete.go BeforeDelete).
    fn graceful_pod_deletion(
        &mut self,
        now: SimTime,
        old: Arc<Object>,
        mut obj: Object,
        grace: i64,
        changes: &mut Vec<Change>,
    ) -> ApiResult {
        let Object::Pod(pod) = &mut obj else {
            unreachable!("a pod key names a pod");
        };
        let current = pod.metadata.deletion_grace_period_seconds;
        if current.is_some_and(|c| c <= grace) {
            return Ok(Response::Deleted {
                object: old,
                gone: false,
            });
        }
        let deadline = match (&pod.metadata.deletion_timestamp, current) {
            (Some(ts), Some(old_grace)) => {
                let first = crate::api::meta::sim_time_of(&ts.0)
                    .saturating_since(SimTime::ZERO)
                    .checked_sub(crate::api::meta::secs(old_grace))
                    .unwrap_or_default();
                SimTime::ZERO + first + crate::api::meta::secs(grace)
            }
            _ => now + crate::api::meta::secs(grace),
        };
        pod.metadata.deletion_timestamp = Some(time(deadline));
        pod.metadata.deletion_grace_period_seconds = Some(grace);
        self.write(obj, changes).map(|object| Response::Deleted {
            object,
            gone: false,
        })
    }

    /// Writes an object unconditionally (the server's own bookkeeping writes).
    fn write(&mut self, obj: Object, changes: &mut Vec<Change>) -> Result<Arc<Object>, ApiError> {
        let kind = obj.kind();
        let name = obj.name().to_owned();
        let change = self
            .etcd
            .update(obj, None)
            .map_err(|_| ApiError::not_found(kind, &name))?;
        let stored = change.object.clone();
        changes.push(change);
        Ok(stored)
    }

    fn bind(
        &mut self,
        now: SimTime,
        namespace: &str,
        name: &str,
        node: &str,
        changes: &mut Vec<Change>,
    ) -> Result<Arc<Object>, ApiError> {
        let Some(old) = self.etcd.get(Kind::Pod, namespace, name).cloned() else {
            return Err(ApiError::not_found(Kind::Pod, name));
        };
        let Object::Pod(mut pod) = (*old).clone() else {
            return Err(ApiError::not_found(Kind::Pod, name));
        };
        if pod.metadata.deletion_timestamp.is_some() {
            return Err(ApiError::new(Reason::Conflict, format!("Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is being deleted, cannot be assigned to a host")));
        }
        let spec = pod.spec.get_or_insert_with(Default::default);
        if let Some(current) = spec.node_name.as_deref().filter(|n| !n.is_empty()) {
            return Err(ApiError::new(
                Reason::Conflict,
                format!("Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is already assigned to node \"{current}\""),
            ));
        }
        spec.node_name = Some(node.to_owned());
        let status = pod.status.get_or_insert_with(Default::default);
        let conditions = status.conditions.get_or_insert_with(Vec::new);
        conditions.retain(|c| c.type_ != "PodScheduled");
        conditions.push(PodCondition {
            type_: "PodScheduled".into(),
            status: "True".into(),
            last_transition_time: Some(time(now)),
            ..Default::default()
        });
        self.write(Object::Pod(pod), changes)
    }

    fn finalize_namespace(
        &mut self,
        name: &str,
        finalizers: Vec<String>,
        changes: &mut Vec<Change>,
    ) -> ApiResult {
        let Some(old) = self.etcd.get(Kind::Namespace, "", name).cloned() else {
            return Err(ApiError::not_found(Kind::Namespace, name));
        };
        let Object::Namespace(mut ns) = (*old).clone() else {
            return Err(ApiError::not_found(Kind::Namespace, name));
        };
        ns.spec.get_or_insert_with(Default::default).finalizers = Some(finalizers.clone());
        let done =
            finalizers.is_empty() && ns.metadata.finalizers.as_ref().is_none_or(Vec::is_empty);
        if ns.metadata.deletion_timestamp.is_some() && done {
            let change = self
                .etcd
                .delete(Kind::Namespace, "", name)
                .ok_or_else(|| ApiError::not_found(Kind::Namespace, name))?;
            let object = change.object.clone();
            changes.push(change);
            return Ok(Response::Deleted { object, gone: true });
        }
        self.write(Object::Namespace(ns), changes)
            .map(Response::Object)
    }

    fn allocate_service(
        &mut self,
        svc: &mut k8s_openapi::api::core::v1::Service,
    ) -> Result<(), ApiError> {
        use rand::Rng;
        let Some(spec) = svc.spec.as_mut() else {
            return Ok(());
        };
        let ty = spec.type_.clone().unwrap_or_default();
        if ty != "ExternalName" && spec.cluster_ip.as_deref().is_none_or(str::is_empty) {
            let mut offset = self
                .rng
                .random_range(CLUSTER_IP_STATIC_BAND..SERVICE_NET_SIZE - 1);
            while self.cluster_ips.contains(&offset) {
                offset = offset % (SERVICE_NET_SIZE - 2) + 1;
            }
            self.cluster_ips.insert(offset);
            let ip = std::net::Ipv4Addr::from(SERVICE_NET_BASE + offset).to_string();
            spec.cluster_ip = Some(ip.clone());
            spec.cluster_ips = Some(vec![ip]);
            spec.ip_families.get_or_insert_with(|| vec!["IPv4".into()]);
            spec.ip_family_policy
                .get_or_insert_with(|| "SingleStack".into());
        } else if let Some(ip) = spec.cluster_ip.clone().filter(|ip| ip != "None") {
            if let Ok(addr) = ip.parse::<std::net::Ipv4Addr>() {
                let offset = u32::from(addr).wrapping_sub(SERVICE_NET_BASE);
                if offset >= SERVICE_NET_SIZE || !self.cluster_ips.insert(offset) {
                    return Err(ApiError::invalid(Kind::Service, svc.metadata.name.as_deref().unwrap_or(""), &[format!(
                        "spec.clusterIPs: Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: provided IP is already allocated"
                    )]));
                }
            }
            spec.cluster_ips.get_or_insert_with(|| vec![ip]);
        }
        if ty == "NodePort" || ty == "LoadBalancer" {
            for port in spec.ports.iter_mut().flatten() {
                match port.node_port {
                    Some(p) if p != 0 => {
                        if !(NODE_PORT_MIN..=NODE_PORT_MAX).contains(&p)
                            || !self.node_ports.insert(p)
                        {
                            return Err(ApiError::invalid(Kind::Service, svc.metadata.name.as_deref().unwrap_or(""), &[format!(
                                "spec.ports[0].nodePort: Invalid value: {p}: provided port is already allocated"
                            )]));
                        }
                    }
                    _ => {
                        let mut p = self
                            .rng
                            .random_range(NODE_PORT_MIN + NODE_PORT_STATIC_BAND..=NODE_PORT_MAX);
                        while self.node_ports.contains(&p) {
                            p = if p == NODE_PORT_MAX {
                                NODE_PORT_MIN
                            } else {
                                p + 1
                            };
                        }
                        self.node_ports.insert(p);
                        port.node_port = Some(p);
                    }
                }
            }
        }
        Ok(())
    }
}

/// The grace period a pod deletion gets: the request's, else the pod's
/// `terminationGracePeriodSeconds`, else 30 s; 0 for a pod that never ran
/// (unscheduled) or has ended.
fn pod_grace_period(pod: &k8s_openapi::api::core::v1::Pod, options: &DeleteOptions) -> i64 {
    let spec = pod.spec.as_ref();
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    let unscheduled = spec
        .and_then(|s| s.node_name.as_deref())
        .is_none_or(str::is_empty);
    let terminal = matches!(phase, Some("Succeeded" | "Failed"));
    if unscheduled || terminal {
        return 0;
    }
    options
        .grace_period_secs
        .or(spec.and_then(|s| s.termination_grace_period_seconds))
        .unwrap_or(30)
        .max(0)
}

/// The UID precondition of an update (k8s.io/apiserver/pkg/registry/rest
/// `defaultUpdatedObjectInfo.Preconditions`): an object sent with a
/// `metadata.uid` may only replace the object of that uid, so a write made
/// from a cached copy of an object since deleted and recreated under the same
/// name fails instead of landing on the new one. The storage's
/// `Preconditions.Check` error (an invalid-object StorageError on the etcd
/// key) becomes a 409 Conflict (`storage.InterpretUpdateError`).
fn uid_precondition(new: &Object, stored: &Object) -> Result<(), ApiError> {
    let Some(uid) = new.meta().uid.as_deref().filter(|u| !u.is_empty()) else {
        return Ok(());
    };
    if uid == stored.uid() {
        return Ok(());
    }
    let kind = stored.kind();
    Err(ApiError::new(
        Reason::Conflict,
        format!(
            "Operation cannot be fulfilled on {} \"{}\": StorageError: invalid object, Code: 4, Key: {}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
            kind.qualified_plural(),
            stored.name(),
            crate::etcd::storage_key(kind, stored.namespace(), stored.name()),
            stored.uid()
        ),
    ))
}
