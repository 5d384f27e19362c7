//! The PersistentVolume controller (pkg/controller/volume/persistentvolume,
//! `pv_controller.go`): it binds claims to volumes and follows both through
//! their phases.
//!
//! - A claim without a volume gets the best match of [`crate::api::volume_matching`] and is
//!   bound to it: the volume's `claimRef` (annotated
//!   `pv.kubernetes.io/bound-by-controller`), phase `Bound`; the claim's
//!   `volumeName` and `pv.kubernetes.io/bind-completed`, phase `Bound`
//!   with the volume's capacity and access modes. Without a match the
//!   claim stays `Pending` with the real event: `FailedBinding` (no class),
//!   `WaitForFirstConsumer` (a delayed-binding class), `ExternalProvisioning`
//!   (a class whose provisioner is expected to make the volume; the claim
//!   is annotated with it), `ProvisioningFailed` (a class that does not
//!   exist). A claim naming its volume (`volumeName`) binds to that one if
//!   it fits.
//! - A claim without a class gets the default class once one exists (the
//!   retroactive assignment of v1.28).
//! - A bound claim whose volume is gone or taken is `Lost`.
//! - A volume without a claim is `Available`; a claim deleted leaves it
//!   `Released`, and its reclaim policy decides: `Retain` keeps it
//!   `Released` (and its data) until an administrator clears its
//!   `claimRef`; `Recycle` (NFS and hostPath only) runs the recycler pod
//!   `recycler-for-<volume>` (the upstream template: the volume at
//!   `/scrub`, `find /scrub -mindepth 1 -delete`), and when it has
//!   succeeded deletes it and makes the volume `Available` again
//!   (`VolumeRecycled`; a failed pod leaves it `Failed`,
//!   `VolumeFailedRecycle`);
//!   `Delete` of a dynamically provisioned volume is its provisioner's,
//!   and of any other volume fails (`VolumeFailedDelete`, phase `Failed`:
//!   no in-tree deleter for NFS or hostPath).
//!
//! Every claim and volume is synced again every
//! `timings.pvClaimBinderSyncPeriod` (15 s, `--pvclaimbinder-sync-period`),
//! so an event of a claim still waiting repeats.
//!
//! Simplified: the recycler pod's own events are not relayed to the
//! volume (`RecyclerPod`); the volume's writes are sent at once, in the order the real
//! controller makes them, and remembered until the watch brings them back
//! (the real controller's cache update after each write).

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{ObjectReference, PersistentVolume, PersistentVolumeClaim};

use super::{Informers, WorkQueue};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::Request;
use crate::components::event_recorder::EventRecorder;
use crate::components::{Ctx, WatchEvent};
use crate::etcd::ChangeType;

use crate::api::storage::{
    ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_PROVISIONED_BY, ANN_SELECTED_NODE,
    ANN_STORAGE_PROVISIONER,
};
use crate::api::volume_matching::{self as matching, claim_class, find_best_match, is_bound_to};

/// The recycler pod's name prefix (`recycler-for-<volume>`).
const RECYCLER_PREFIX: &str = "recycler-for-";

/// The controller.
#[derive(Debug)]
pub(crate) struct PersistentVolumeController {
    claims: WorkQueue,
    volumes: WorkQueue,
    recorder: EventRecorder,
    /// Objects this controller wrote, newer than the informers until the
    /// watch delivers them.
    assumed: BTreeMap<ObjectKey, Arc<Object>>,
    /// Volumes whose recycler pod was created.
    recycling: std::collections::BTreeSet<String>,
    /// Volumes whose recycler pod changed.
    recycler_pods: std::collections::BTreeSet<String>,
    /// The recycler pods whose Events are watched.
    recycler_event_watches: std::collections::BTreeSet<String>,
    /// Events of recycler pods to relay to their volumes: (volume, type,
    /// message).
    relay: Vec<(String, String, String)>,
}

impl Default for PersistentVolumeController {
    fn default() -> Self {
        Self {
            claims: WorkQueue::default(),
            volumes: WorkQueue::default(),
            recorder: EventRecorder::new("persistentvolume-controller", None),
            assumed: BTreeMap::new(),
            recycling: std::collections::BTreeSet::new(),
            recycler_pods: std::collections::BTreeSet::new(),
            recycler_event_watches: std::collections::BTreeSet::new(),
            relay: Vec::new(),
        }
    }
}

fn annotation<'a>(
    meta: &'a k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    key: &str,
) -> Option<&'a str> {
    meta.annotations.as_ref()?.get(key).map(String::as_str)
}

fn set_annotation(
    meta: &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    key: &str,
    value: &str,
) {
    meta.annotations
        .get_or_insert_with(Default::default)
        .insert(key.to_owned(), value.to_owned());
}

fn phase_of_volume(pv: &PersistentVolume) -> &str {
    pv.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

fn phase_of_claim(c: &PersistentVolumeClaim) -> &str {
    c.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

fn volume_name_of(c: &PersistentVolumeClaim) -> &str {
    c.spec
        .as_ref()
        .and_then(|s| s.volume_name.as_deref())
        .unwrap_or("")
}

fn claim_ref(pv: &PersistentVolume) -> Option<&ObjectReference> {
    pv.spec.as_ref()?.claim_ref.as_ref()
}

/// The default StorageClass, if any ([`crate::api::storage::default_class`]).
fn default_class(informers: &Informers) -> Option<Arc<Object>> {
    crate::api::storage::default_class(informers.of(Kind::StorageClass).iter()).cloned()
}

impl PersistentVolumeController {
    /// Queues what a change concerns: a volume and the claim it names, a
    /// claim and its volume.
    pub(crate) fn observe(&mut self, event: &WatchEvent) {
        let key = ObjectKey::of(&event.object);
        match &*event.object {
            Object::PersistentVolume(pv) => {
                self.assumed.remove(&key);
                self.volumes.add(key);
                if let Some(r) = claim_ref(pv) {
                    self.claims.add(ObjectKey::new(
                        Kind::PersistentVolumeClaim,
                        r.namespace.as_deref().unwrap_or(""),
                        r.name.as_deref().unwrap_or(""),
                    ));
                }
            }
            Object::Pod(_)
                if key.namespace == "default" && key.name.starts_with(RECYCLER_PREFIX) =>
            {
                self.recycler_pods
                    .insert(key.name[RECYCLER_PREFIX.len()..].to_owned());
            }
            Object::Event(e) if event.change != ChangeType::Deleted => {
                let io = &e.involved_object;
                let name = io.name.as_deref().unwrap_or("");
                if io.kind.as_deref() == Some("Pod")
                    && io.namespace.as_deref() == Some("default")
                    && name.starts_with(RECYCLER_PREFIX)
                {
                    self.relay.push((
                        name[RECYCLER_PREFIX.len()..].to_owned(),
                        e.type_.clone().unwrap_or_else(|| "Normal".into()),
                        e.message.clone().unwrap_or_default(),
                    ));
                }
            }
            Object::PersistentVolumeClaim(c) => {
                self.assumed.remove(&key);
                if event.change != ChangeType::Deleted {
                    self.claims.add(key);
                }
                let volume = volume_name_of(c);
                if !volume.is_empty() {
                    self.volumes
                        .add(ObjectKey::new(Kind::PersistentVolume, "", volume));
                }
            }
            _ => {}
        }
    }

    /// Queues every claim and volume (the periodic resync).
    pub(crate) fn resync(&mut self, informers: &Informers) {
        for o in informers.of(Kind::PersistentVolumeClaim).iter() {
            self.claims.add(ObjectKey::of(o));
        }
        for o in informers.of(Kind::PersistentVolume).iter() {
            self.volumes.add(ObjectKey::of(o));
        }
    }

    /// True when something is queued (the manager should sync again).
    pub(crate) fn has_work(&self) -> bool {
        !self.claims.is_empty() || !self.volumes.is_empty()
    }

    fn get(&self, informers: &Informers, key: &ObjectKey) -> Option<Arc<Object>> {
        self.assumed
            .get(key)
            .or_else(|| informers.of(key.kind).get(key))
            .cloned()
    }

    /// Every volume as this controller knows it.
    fn volumes_now(&self, informers: &Informers) -> Vec<Arc<Object>> {
        let mut by_key: BTreeMap<ObjectKey, Arc<Object>> = informers
            .of(Kind::PersistentVolume)
            .iter()
            .map(|o| (ObjectKey::of(o), Arc::clone(o)))
            .collect();
        for (k, o) in &self.assumed {
            if k.kind == Kind::PersistentVolume {
                by_key.insert(k.clone(), Arc::clone(o));
            }
        }
        by_key.into_values().collect()
    }

    /// Sends a write and remembers its result until the watch brings it.
    fn write(&mut self, ctx: &mut Ctx<'_>, obj: Object, status: bool) {
        let key = ObjectKey::of(&obj);
        let mut sent = obj.clone();
        sent.meta_mut().resource_version = None;
        self.assumed.insert(key, Arc::new(obj));
        ctx.send(if status {
            Request::UpdateStatus(sent)
        } else {
            Request::Update(sent)
        });
    }

    /// Writes the volume's phase (and message) unless it has them: the
    /// volume as written, or None when nothing changed (nothing is copied
    /// then: a resync of a settled volume costs no clone).
    fn set_volume_phase(
        &mut self,
        ctx: &mut Ctx<'_>,
        pv: &PersistentVolume,
        phase: &str,
        message: Option<String>,
    ) -> Option<PersistentVolume> {
        if phase_of_volume(pv) == phase
            && pv.status.as_ref().and_then(|s| s.message.as_ref()) == message.as_ref()
        {
            return None;
        }
        let mut v = pv.clone();
        let status = v.status.get_or_insert_with(Default::default);
        status.phase = Some(phase.to_owned());
        status.message = message;
        self.write(ctx, Object::from(v.clone()), true);
        Some(v)
    }

    fn set_claim_phase(
        &mut self,
        ctx: &mut Ctx<'_>,
        claim: &PersistentVolumeClaim,
        phase: &str,
        volume: Option<&PersistentVolume>,
    ) {
        let (modes, capacity) = match volume.and_then(|v| v.spec.as_ref()) {
            Some(s) => (s.access_modes.as_ref(), s.capacity.as_ref()),
            None => (None, None),
        };
        let current = claim.status.as_ref();
        if current.and_then(|s| s.phase.as_deref()) == Some(phase)
            && current.and_then(|s| s.access_modes.as_ref()) == modes
            && current.and_then(|s| s.capacity.as_ref()) == capacity
        {
            return;
        }
        let (modes, capacity) = (modes.cloned(), capacity.cloned());
        let mut c = claim.clone();
        let status = c.status.get_or_insert_with(Default::default);
        status.phase = Some(phase.to_owned());
        status.access_modes = modes;
        status.capacity = capacity;
        self.write(ctx, Object::from(c), true);
    }

    /// Syncs the queued claims, then the queued volumes, then the
    /// recycles whose pod changed.
    pub(crate) fn sync(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        for (volume, type_, message) in std::mem::take(&mut self.relay) {
            if let Some(pv) = self.get(
                informers,
                &ObjectKey::new(Kind::PersistentVolume, "", &volume),
            ) {
                self.recorder.record(
                    ctx,
                    &pv,
                    &type_,
                    "RecyclerPod",
                    format!("Recycler pod: {message}"),
                );
            }
        }
        for volume in std::mem::take(&mut self.recycler_pods) {
            self.recycler_done(ctx, informers, &volume);
        }
        for key in self.claims.drain() {
            if let Some(o) = self.get(informers, &key) {
                if let Object::PersistentVolumeClaim(c) = &*o {
                    self.sync_claim(ctx, informers, &o, c);
                }
            }
        }
        for key in self.volumes.drain() {
            if let Some(o) = self.get(informers, &key) {
                if let Object::PersistentVolume(pv) = &*o {
                    self.sync_volume(ctx, informers, &o, pv);
                }
            }
        }
    }

    fn sync_claim(
        &mut self,
        ctx: &mut Ctx<'_>,
        informers: &Informers,
        obj: &Arc<Object>,
        claim: &PersistentVolumeClaim,
    ) {
        let has_class = claim
            .spec
            .as_ref()
            .is_some_and(|s| s.storage_class_name.is_some());
        if !has_class {
            // A class-less claim gets the default class once there is one.
            if let Some(class) = default_class(informers) {
                let mut c = claim.clone();
                c.spec
                    .get_or_insert_with(Default::default)
                    .storage_class_name = Some(class.name().to_owned());
                self.write(ctx, Object::from(c), false);
                return;
            }
        }
        if annotation(&claim.metadata, ANN_BIND_COMPLETED).is_none() {
            self.sync_unbound_claim(ctx, informers, obj, claim);
        } else {
            self.sync_bound_claim(ctx, informers, obj, claim);
        }
    }

    fn class(&self, informers: &Informers, name: &str) -> Option<Arc<Object>> {
        informers
            .of(Kind::StorageClass)
            .get(&ObjectKey::new(Kind::StorageClass, "", name))
            .cloned()
    }

    fn delay_binding(&self, informers: &Informers, claim: &PersistentVolumeClaim) -> bool {
        let class = claim_class(claim);
        !class.is_empty()
            && self.class(informers, class).is_some_and(|o| match &*o {
                Object::StorageClass(sc) => {
                    sc.volume_binding_mode.as_deref() == Some("WaitForFirstConsumer")
                }
                _ => false,
            })
    }

    fn sync_unbound_claim(
        &mut self,
        ctx: &mut Ctx<'_>,
        informers: &Informers,
        obj: &Arc<Object>,
        claim: &PersistentVolumeClaim,
    ) {
        let wanted = volume_name_of(claim).to_owned();
        if wanted.is_empty() {
            let delay = self.delay_binding(informers, claim);
            let volumes = self.volumes_now(informers);
            let found = find_best_match(
                claim,
                volumes.iter().filter_map(|o| match &**o {
                    Object::PersistentVolume(pv) => Some(&**pv),
                    _ => None,
                }),
                delay,
            )
            .cloned();
            if let Some(pv) = found {
                self.bind(ctx, &pv, claim);
                return;
            }
            let class = claim_class(claim).to_owned();
            if delay && annotation(&claim.metadata, ANN_SELECTED_NODE).is_none() {
                self.recorder.record(
                    ctx,
                    obj,
                    "Normal",
                    "WaitForFirstConsumer",
                    "waiting for first consumer to be created before binding".into(),
                );
            } else if !class.is_empty() {
                self.provision(ctx, informers, obj, claim, &class);
            } else {
                self.recorder.record(
                    ctx,
                    obj,
                    "Normal",
                    "FailedBinding",
                    "no persistent volumes available for this claim and no storage class is set"
                        .into(),
                );
            }
            self.set_claim_phase(ctx, claim, "Pending", None);
            return;
        }
        let key = ObjectKey::new(Kind::PersistentVolume, "", &wanted);
        let Some(vo) = self.get(informers, &key) else {
            // The volume it names does not exist (yet).
            self.set_claim_phase(ctx, claim, "Pending", None);
            return;
        };
        let Object::PersistentVolume(pv) = &*vo else {
            return;
        };
        match claim_ref(pv) {
            None => match mismatch(pv, claim) {
                None => self.bind(ctx, pv, claim),
                Some(why) => {
                    self.recorder.record(
                        ctx,
                        obj,
                        "Warning",
                        "VolumeMismatch",
                        format!("Cannot bind to requested volume \"{wanted}\": {why}"),
                    );
                    self.set_claim_phase(ctx, claim, "Pending", None);
                }
            },
            Some(_) if is_bound_to(pv, claim) => self.bind(ctx, pv, claim),
            Some(_) => {
                if annotation(&claim.metadata, ANN_BOUND_BY_CONTROLLER).is_none() {
                    self.recorder.record(
                        ctx,
                        obj,
                        "Warning",
                        "FailedBinding",
                        format!("volume \"{wanted}\" already bound to a different claim."),
                    );
                }
                self.set_claim_phase(ctx, claim, "Pending", None);
            }
        }
    }

    /// A claim of `class` without a volume: the class's provisioner is
    /// expected to make one.
    fn provision(
        &mut self,
        ctx: &mut Ctx<'_>,
        informers: &Informers,
        obj: &Arc<Object>,
        claim: &PersistentVolumeClaim,
        class: &str,
    ) {
        let Some(sc) = self.class(informers, class) else {
            self.recorder.record(
                ctx,
                obj,
                "Warning",
                "ProvisioningFailed",
                format!("storageclass.storage.k8s.io \"{class}\" not found"),
            );
            return;
        };
        let Object::StorageClass(sc) = &*sc else {
            return;
        };
        let provisioner = &sc.provisioner;
        if annotation(&claim.metadata, ANN_STORAGE_PROVISIONER[0]) != Some(provisioner.as_str()) {
            let mut c = claim.clone();
            for a in ANN_STORAGE_PROVISIONER {
                set_annotation(&mut c.metadata, a, provisioner);
            }
            self.write(ctx, Object::from(c), false);
        }
        self.recorder.record(ctx, obj, "Normal", "ExternalProvisioning", format!("Waiting for a volume to be created either by the external provisioner '{provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."));
    }

    /// Binds `pv` and `claim` to each other, writing only what differs:
    /// the volume's claim reference, its phase, the claim's volume and
    /// annotations, its status.
    fn bind(&mut self, ctx: &mut Ctx<'_>, pv: &PersistentVolume, claim: &PersistentVolumeClaim) {
        // Copies are made only of what changes (a resync of a bound pair
        // writes and copies nothing).
        let r = matching::claim_reference(claim);
        let same = claim_ref(pv)
            .is_some_and(|c| c.name == r.name && c.namespace == r.namespace && c.uid == r.uid);
        let rebound;
        let pv = if same {
            pv
        } else {
            let mut v = pv.clone();
            let by_controller = !is_bound_to(pv, claim);
            v.spec.get_or_insert_with(Default::default).claim_ref = Some(r);
            if by_controller {
                set_annotation(&mut v.metadata, ANN_BOUND_BY_CONTROLLER, "yes");
            }
            self.write(ctx, Object::from(v.clone()), false);
            rebound = v;
            &rebound
        };
        self.set_volume_phase(ctx, pv, "Bound", None);
        let name = pv.metadata.name.as_deref().unwrap_or("");
        let needs_name = volume_name_of(claim) != name;
        let needs_completed = annotation(&claim.metadata, ANN_BIND_COMPLETED).is_none();
        let updated;
        let claim = if needs_name || needs_completed {
            let mut c = claim.clone();
            if needs_name {
                c.spec.get_or_insert_with(Default::default).volume_name = Some(name.to_owned());
                set_annotation(&mut c.metadata, ANN_BOUND_BY_CONTROLLER, "yes");
            }
            if needs_completed {
                set_annotation(&mut c.metadata, ANN_BIND_COMPLETED, "yes");
            }
            self.write(ctx, Object::from(c.clone()), false);
            updated = c;
            &updated
        } else {
            claim
        };
        self.set_claim_phase(ctx, claim, "Bound", Some(pv));
    }

    fn sync_bound_claim(
        &mut self,
        ctx: &mut Ctx<'_>,
        informers: &Informers,
        obj: &Arc<Object>,
        claim: &PersistentVolumeClaim,
    ) {
        let name = volume_name_of(claim).to_owned();
        let lost = |this: &mut Self, ctx: &mut Ctx<'_>, reason: &str, message: &str| {
            if phase_of_claim(claim) != "Lost" {
                this.set_claim_phase(ctx, claim, "Lost", None);
                this.recorder
                    .record(ctx, obj, "Warning", reason, message.to_owned());
            }
        };
        if name.is_empty() {
            lost(
                self,
                ctx,
                "ClaimLost",
                "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!",
            );
            return;
        }
        let Some(vo) = self.get(
            informers,
            &ObjectKey::new(Kind::PersistentVolume, "", &name),
        ) else {
            lost(
                self,
                ctx,
                "ClaimLost",
                "Bound claim has lost its PersistentVolume. Data on the volume is lost!",
            );
            return;
        };
        let Object::PersistentVolume(pv) = &*vo else {
            return;
        };
        match claim_ref(pv) {
            None => self.bind(ctx, pv, claim),
            Some(r) if r.uid == claim.metadata.uid => self.bind(ctx, pv, claim),
            Some(_) => lost(
                self,
                ctx,
                "ClaimMisbound",
                "Two claims are bound to the same volume, this one is bound incorrectly",
            ),
        }
    }

    fn sync_volume(
        &mut self,
        ctx: &mut Ctx<'_>,
        informers: &Informers,
        obj: &Arc<Object>,
        pv: &PersistentVolume,
    ) {
        let Some(r) = claim_ref(pv) else {
            self.set_volume_phase(ctx, pv, "Available", None);
            return;
        };
        if r.uid.as_deref().unwrap_or("").is_empty() {
            // Pre-bound by its author to a claim not yet bound.
            self.set_volume_phase(ctx, pv, "Available", None);
            return;
        }
        let key = ObjectKey::new(
            Kind::PersistentVolumeClaim,
            r.namespace.as_deref().unwrap_or(""),
            r.name.as_deref().unwrap_or(""),
        );
        let claim = self.get(informers, &key).filter(|o| o.meta().uid == r.uid);
        let Some(co) = claim else {
            let phase = phase_of_volume(pv);
            let released = if phase != "Released" && phase != "Failed" {
                self.set_volume_phase(ctx, pv, "Released", None)
            } else {
                None
            };
            self.reclaim(ctx, obj, released.as_ref().unwrap_or(pv));
            return;
        };
        let Object::PersistentVolumeClaim(claim) = &*co else {
            return;
        };
        let volume = pv.metadata.name.as_deref().unwrap_or("");
        let claimed = volume_name_of(claim);
        if claimed.is_empty() {
            // The claim's sync finishes the binding.
            self.claims.add(key);
        } else if claimed == volume {
            self.set_volume_phase(ctx, pv, "Bound", None);
        } else if annotation(&pv.metadata, ANN_PROVISIONED_BY).is_some()
            && reclaim_policy(pv) == "Delete"
        {
            let released = self.set_volume_phase(ctx, pv, "Released", None);
            self.reclaim(ctx, obj, released.as_ref().unwrap_or(pv));
        } else {
            self.unbind(ctx, pv);
        }
    }

    /// Frees a volume: its claim reference dropped when the controller set
    /// it, else only the claim's UID (still reserved for that claim).
    fn unbind(&mut self, ctx: &mut Ctx<'_>, pv: &PersistentVolume) {
        let mut v = pv.clone();
        let by_controller = annotation(&pv.metadata, ANN_BOUND_BY_CONTROLLER).is_some();
        let spec = v.spec.get_or_insert_with(Default::default);
        if by_controller {
            spec.claim_ref = None;
            if let Some(a) = v.metadata.annotations.as_mut() {
                a.remove(ANN_BOUND_BY_CONTROLLER);
            }
        } else if let Some(r) = spec.claim_ref.as_mut() {
            r.uid = None;
        }
        self.write(ctx, Object::from(v.clone()), false);
        self.set_volume_phase(ctx, &v, "Available", None);
    }

    /// A released volume's reclaim policy.
    fn reclaim(&mut self, ctx: &mut Ctx<'_>, obj: &Arc<Object>, pv: &PersistentVolume) {
        let name = pv.metadata.name.clone().unwrap_or_default();
        match reclaim_policy(pv) {
            "Recycle" => {
                let spec = pv.spec.as_ref();
                let recyclable = spec.is_some_and(|s| s.nfs.is_some() || s.host_path.is_some());
                if !recyclable {
                    if phase_of_volume(pv) != "Failed" {
                        let msg = "No recycler plugin found for the volume!".to_owned();
                        self.set_volume_phase(ctx, pv, "Failed", Some(msg.clone()));
                        self.recorder
                            .record(ctx, obj, "Warning", "VolumeFailedRecycle", msg);
                    }
                } else if self.recycling.insert(name.clone()) {
                    ctx.send(Request::Create(Object::from(recycler_pod(&name, pv))));
                    // The recycler client relays the pod's events to the
                    // volume (`RecyclerPod`).
                    let pod = format!("{RECYCLER_PREFIX}{name}");
                    if self.recycler_event_watches.insert(pod.clone()) {
                        ctx.watch(crate::apiserver::watch::WatchSpec {
                            kind: Kind::Event,
                            namespace: Some("default".into()),
                            field: Some(("involvedObject.name", pod)),
                        });
                    }
                }
            }
            // A dynamically provisioned volume is deleted by its
            // provisioner; NFS and hostPath have no in-tree deleter.
            "Delete"
                if annotation(&pv.metadata, ANN_PROVISIONED_BY).is_none()
                    && phase_of_volume(pv) != "Failed" =>
            {
                let msg = format!("error getting deleter volume plugin for volume \"{name}\": no deletable volume plugin matched");
                self.set_volume_phase(ctx, pv, "Failed", Some(msg.clone()));
                self.recorder
                    .record(ctx, obj, "Warning", "VolumeFailedDelete", msg);
            }
            // Retain: the volume and its data stay, Released.
            _ => {}
        }
    }

    /// The recycler pod of a volume changed: once it has succeeded the
    /// volume is Available again (and the pod deleted); failed, the volume
    /// is `Failed`.
    fn recycler_done(&mut self, ctx: &mut Ctx<'_>, informers: &Informers, volume: &str) {
        let pod_key = ObjectKey::new(Kind::Pod, "default", format!("{RECYCLER_PREFIX}{volume}"));
        let Some(pod) = informers.of(Kind::Pod).get(&pod_key).cloned() else {
            return;
        };
        let phase = pod
            .as_pod()
            .and_then(|p| p.status.as_ref()?.phase.clone())
            .unwrap_or_default();
        if phase != "Succeeded" && phase != "Failed" {
            return;
        }
        self.recycling.remove(volume);
        ctx.send(Request::Delete {
            key: pod_key,
            options: Default::default(),
        });
        let Some(o) = self.get(
            informers,
            &ObjectKey::new(Kind::PersistentVolume, "", volume),
        ) else {
            return;
        };
        let Object::PersistentVolume(pv) = &*o else {
            return;
        };
        if phase_of_volume(pv) != "Released" {
            return;
        }
        if phase == "Succeeded" {
            self.recorder.record(
                ctx,
                &o,
                "Normal",
                "VolumeRecycled",
                "Volume recycled".into(),
            );
            self.unbind(ctx, pv);
        } else {
            let msg = format!("Recycle failed: recycler pod {RECYCLER_PREFIX}{volume} failed");
            self.set_volume_phase(ctx, pv, "Failed", Some(msg.clone()));
            self.recorder
                .record(ctx, &o, "Warning", "VolumeFailedRecycle", msg);
        }
    }
}

/// The recycler pod of volume `name` (`NewPersistentVolumeRecyclerPodTemplate`
/// with the volume's source as `vol`).
fn recycler_pod(name: &str, pv: &PersistentVolume) -> k8s_openapi::api::core::v1::Pod {
    use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, Volume, VolumeMount};
    let spec = pv.spec.clone().unwrap_or_default();
    Pod {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some(format!("{RECYCLER_PREFIX}{name}")),
            namespace: Some("default".into()),
            ..Default::default()
        },
        spec: Some(PodSpec {
            active_deadline_seconds: Some(300),
            restart_policy: Some("Never".into()),
            volumes: Some(vec![Volume {
                name: "vol".into(),
                nfs: spec.nfs,
                host_path: spec.host_path,
                ..Default::default()
            }]),
            containers: vec![Container {
                name: "pv-recycler".into(),
                image: Some(crate::config::RECYCLER_IMAGE.into()),
                command: Some(vec!["/bin/sh".into()]),
                args: Some(vec![
                    "-c".into(),
                    "test -e /scrub && find /scrub -mindepth 1 -delete && test -z \"$(ls -A /scrub)\" || exit 1".into(),
                ]),
                volume_mounts: Some(vec![VolumeMount {
                    name: "vol".into(),
                    mount_path: "/scrub".into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }],
            ..Default::default()
        }),
        status: None,
    }
}

/// A volume's reclaim policy (`Retain` when unset, as defaulted).
fn reclaim_policy(pv: &PersistentVolume) -> &str {
    pv.spec
        .as_ref()
        .and_then(|s| s.persistent_volume_reclaim_policy.as_deref())
        .unwrap_or("Retain")
}

/// Why `pv` cannot serve `claim` that names it (`checkVolumeSatisfyClaim`).
fn mismatch(pv: &PersistentVolume, claim: &PersistentVolumeClaim) -> Option<&'static str> {
    if matching::capacity_bytes(pv) < matching::request_bytes(claim) {
        return Some("requested PV is too small");
    }
    if matching::volume_class(pv) != claim_class(claim) {
        return Some("storageClassName does not match");
    }
    let mode = |m: Option<&String>| m.map_or("Filesystem", String::as_str).to_owned();
    if mode(pv.spec.as_ref().and_then(|s| s.volume_mode.as_ref()))
        != mode(claim.spec.as_ref().and_then(|s| s.volume_mode.as_ref()))
    {
        return Some("incompatible volumeMode");
    }
    let has = pv
        .spec
        .as_ref()
        .and_then(|s| s.access_modes.clone())
        .unwrap_or_default();
    let wants = claim
        .spec
        .as_ref()
        .and_then(|s| s.access_modes.clone())
        .unwrap_or_default();
    if !wants.iter().all(|w| has.contains(w)) {
        return Some("incompatible accessMode");
    }
    None
}
