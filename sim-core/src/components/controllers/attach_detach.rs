//! The attach/detach controller (pkg/controller/volume/attachdetach): it
//! attaches the CSI volumes that scheduled pods need to their nodes and
//! detaches them once no pod there needs them.
//!
//! - The desired state: for each pod bound to a node and not terminated
//!   (not Succeeded or Failed, and not being deleted with every container
//!   stopped), each claim bound to a volume with a `csi` source is wanted
//!   on that node.
//! - The actual state is the VolumeAttachments this controller creates
//!   (`csi-` and the SHA-256 of handle, driver and node, as the CSI
//!   attacher names them); the driver's attacher marks them attached. A
//!   node's `status.volumesAttached` lists what is attached there, which is
//!   what its kubelet waits for before mounting.
//! - Detaching comes first. A volume no pod on its node needs is detached
//!   once the node no longer lists it in `status.volumesInUse` (its kubelet
//!   unmounted it). A node that is not Ready cannot say so: its volumes are
//!   force-detached after `maxWaitForUnmountDuration` (6 minutes) from the
//!   first detach request, or at once when the node has the
//!   `node.kubernetes.io/out-of-service` taint or is gone.
//! - A volume that is not ReadWriteMany or ReadOnlyMany is attached to one
//!   node at a time: a pod on another node waits, with the real
//!   `FailedAttachVolume` `Multi-Attach error` event (once per volume and
//!   node), naming the pods that hold it when they are in its namespace.
//! - Attaching records `SuccessfulAttachVolume` on the pods; an attach the
//!   driver refuses records `FailedAttachVolume` with the driver's error.
//!
//! The state is kept per volume and updated from watch events, so a sync
//! reconciles only the volumes something changed for (a pod using one of
//! their claims, the claim, the volume, an attachment, or the node of an
//! attachment) and writes the status only of the nodes concerned: what a
//! pod costs does not grow with the number of other pods.
//!
//! Simplified: the reconciler runs on changes and at deadlines rather than
//! every 100 ms; there is no periodic `syncStates` check and no
//! exponential backoff of failed operations (a refused attach is retried
//! when the driver retries it).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Node, PersistentVolume, Pod};
use k8s_openapi::api::storage::v1::{
    VolumeAttachment, VolumeAttachmentSource, VolumeAttachmentSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sha2::{Digest, Sha256};

use super::{ControllerTag, Informers};
use crate::api::conditions::is_node_ready;
use crate::api::storage::{claim_names, multi_attach_allowed};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{DeleteOptions, Request};
use crate::components::event_recorder::EventRecorder;
use crate::components::{Ctx, WatchEvent};
use crate::etcd::ChangeType;
use crate::storage::disks::unique_name;
use crate::time::{SimDuration, SimTime};

/// `maxWaitForUnmountDuration`: how long a volume on a node that is not
/// Ready may stay mounted before it is detached anyway.
pub(crate) const MAX_WAIT_FOR_UNMOUNT: SimDuration = SimDuration::from_secs(6 * 60);

/// How long the CSI attacher waits for a driver's external-attacher to
/// mark an attachment attached (`csiTimeout`).
const ATTACHER_TIMEOUT: SimDuration = SimDuration::from_secs(2 * 60);

/// The taint that lets volumes go at once (`v1.TaintNodeOutOfService`).
pub(crate) const OUT_OF_SERVICE_TAINT: &str = "node.kubernetes.io/out-of-service";

/// The name the CSI attacher gives a VolumeAttachment
/// (`getAttachmentName`): `csi-` and the hex SHA-256 of volume handle,
/// driver and node.
pub(crate) fn attachment_name(handle: &str, driver: &str, node: &str) -> String {
    let digest = Sha256::digest(format!("{handle}{driver}{node}").as_bytes());
    let mut name = String::with_capacity(68);
    name.push_str("csi-");
    for b in digest {
        name.push_str(&format!("{b:02x}"));
    }
    name
}

/// What a scheduled pod needs attached: its node and its claims.
#[derive(Debug, Clone, PartialEq)]
struct PodClaims {
    node: String,
    namespace: String,
    claims: Vec<String>,
}

/// A claim: (namespace, name).
type ClaimKey = (String, String);

/// What the controller keeps of one volume, by node.
#[derive(Debug, Default)]
struct VolumeState {
    /// Node -> the name of its VolumeAttachment.
    attachments: BTreeMap<String, String>,
    /// The nodes whose attachment is attached (and not being deleted).
    attached_on: BTreeSet<String>,
    /// The volume's unique name, as its last reconcile saw it.
    unique: Option<String>,
    /// Node -> when the detach was first wanted.
    detach_requested: BTreeMap<String, SimTime>,
    /// Nodes whose Multi-Attach error was reported.
    multi_attach_reported: BTreeSet<String>,
    /// Node -> the last attach error reported.
    attach_errors: BTreeMap<String, String>,
    /// Nodes whose attachment was reported to their pods.
    attach_reported: BTreeSet<String>,
}

impl VolumeState {
    fn is_empty(&self) -> bool {
        self.attachments.is_empty()
            && self.detach_requested.is_empty()
            && self.multi_attach_reported.is_empty()
            && self.attach_errors.is_empty()
            && self.attach_reported.is_empty()
    }
}

/// The controller.
#[derive(Debug)]
pub(crate) struct AttachDetachController {
    recorder: EventRecorder,
    /// Scheduled, unterminated pods that use claims.
    pods: BTreeMap<ObjectKey, PodClaims>,
    /// Each claim's pods (of `pods`).
    claim_pods: BTreeMap<ClaimKey, BTreeSet<ObjectKey>>,
    /// Each claim's `spec.volumeName`, as last seen.
    claim_volume: BTreeMap<ClaimKey, String>,
    /// Per volume.
    volumes: BTreeMap<String, VolumeState>,
    /// Node -> the volumes with an attachment there.
    node_volumes: BTreeMap<String, BTreeSet<String>>,
    dirty_claims: BTreeSet<ClaimKey>,
    dirty_volumes: BTreeSet<String>,
    dirty_nodes: BTreeSet<String>,
    /// Force-detach deadlines: when -> the volumes to look at again.
    deadlines: BTreeMap<SimTime, BTreeSet<String>>,
    /// A deadline timer is set for this time.
    wake_at: Option<SimTime>,
}

impl Default for AttachDetachController {
    fn default() -> Self {
        Self {
            recorder: EventRecorder::new("attachdetach-controller", None),
            pods: BTreeMap::new(),
            claim_pods: BTreeMap::new(),
            claim_volume: BTreeMap::new(),
            volumes: BTreeMap::new(),
            node_volumes: BTreeMap::new(),
            dirty_claims: BTreeSet::new(),
            dirty_volumes: BTreeSet::new(),
            dirty_nodes: BTreeSet::new(),
            deadlines: BTreeMap::new(),
            wake_at: None,
        }
    }
}

/// `util.IsPodTerminated`: finished, or being deleted with no container
/// running.
fn terminated(pod: &Pod) -> bool {
    let status = pod.status.as_ref();
    if matches!(
        status.and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    ) {
        return true;
    }
    pod.metadata.deletion_timestamp.is_some()
        && !status
            .and_then(|s| s.container_statuses.as_ref())
            .into_iter()
            .flatten()
            .any(|c| c.state.as_ref().is_some_and(|s| s.running.is_some()))
}

fn pod_claims(pod: &Pod) -> Option<PodClaims> {
    let spec = pod.spec.as_ref()?;
    let node = spec.node_name.as_deref().filter(|n| !n.is_empty())?;
    let claims: Vec<String> = claim_names(pod).map(str::to_owned).collect();
    if claims.is_empty() || terminated(pod) {
        return None;
    }
    Some(PodClaims {
        node: node.to_owned(),
        namespace: pod.metadata.namespace.clone().unwrap_or_default(),
        claims,
    })
}

/// The CSI source of a volume: (driver, handle).
fn csi_of(pv: &PersistentVolume) -> Option<(&str, &str)> {
    let csi = pv.spec.as_ref()?.csi.as_ref()?;
    Some((csi.driver.as_str(), csi.volume_handle.as_str()))
}

fn as_pv(o: &Object) -> Option<&PersistentVolume> {
    match o {
        Object::PersistentVolume(pv) => Some(pv),
        _ => None,
    }
}

fn as_node(o: &Object) -> Option<&Node> {
    match o {
        Object::Node(n) => Some(n),
        _ => None,
    }
}

/// True when a node change touches what this controller reads of a node:
/// its readiness, its taints, its volumes in use or attached.
fn node_matters_changed(before: &Node, now: &Node) -> bool {
    let taints = |n: &Node| n.spec.as_ref().and_then(|s| s.taints.clone());
    let status = |n: &Node| {
        n.status.as_ref().map(|s| {
            (
                s.volumes_in_use.clone(),
                s.volumes_attached
                    .as_ref()
                    .map(|v| v.iter().map(|a| a.name.clone()).collect::<Vec<_>>()),
            )
        })
    };
    is_node_ready(before) != is_node_ready(now)
        || taints(before) != taints(now)
        || status(before) != status(now)
}

fn attached(va: &VolumeAttachment) -> bool {
    va.metadata.deletion_timestamp.is_none() && va.status.as_ref().is_some_and(|s| s.attached)
}

impl AttachDetachController {
    /// Keeps the per-volume state and marks what a change concerns: a
    /// pod's claims, a claim, a volume, the volume and node of an
    /// attachment, the volumes attached to a node.
    pub(crate) fn observe(&mut self, event: &WatchEvent, prev: Option<&Object>) {
        let deleted = event.change == ChangeType::Deleted;
        match &*event.object {
            Object::Pod(p) => {
                let key = ObjectKey::of(&event.object);
                let now = if deleted { None } else { pod_claims(p) };
                let before = self.pods.get(&key);
                if before == now.as_ref() {
                    return;
                }
                if let Some(b) = before {
                    for c in &b.claims {
                        let ck = (b.namespace.clone(), c.clone());
                        if let Some(set) = self.claim_pods.get_mut(&ck) {
                            set.remove(&key);
                            if set.is_empty() {
                                self.claim_pods.remove(&ck);
                            }
                        }
                        self.dirty_claims.insert(ck);
                    }
                }
                match now {
                    Some(n) => {
                        for c in &n.claims {
                            let ck = (n.namespace.clone(), c.clone());
                            self.claim_pods
                                .entry(ck.clone())
                                .or_default()
                                .insert(key.clone());
                            self.dirty_claims.insert(ck);
                        }
                        self.pods.insert(key, n);
                    }
                    None => {
                        self.pods.remove(&key);
                    }
                }
            }
            Object::PersistentVolumeClaim(_) => {
                let o = &event.object;
                self.dirty_claims
                    .insert((o.namespace().to_owned(), o.name().to_owned()));
            }
            Object::PersistentVolume(_) => {
                self.dirty_volumes.insert(event.object.name().to_owned());
            }
            Object::VolumeAttachment(va) => {
                let Some(pv) = va.spec.source.persistent_volume_name.clone() else {
                    return;
                };
                let node = va.spec.node_name.clone();
                let name = va.metadata.name.clone().unwrap_or_default();
                if deleted {
                    if let Some(state) = self.volumes.get_mut(&pv) {
                        if state.attachments.get(&node) == Some(&name) {
                            state.attachments.remove(&node);
                            state.attached_on.remove(&node);
                        }
                    }
                    if let Some(set) = self.node_volumes.get_mut(&node) {
                        set.remove(&pv);
                        if set.is_empty() {
                            self.node_volumes.remove(&node);
                        }
                    }
                } else {
                    let state = self.volumes.entry(pv.clone()).or_default();
                    state.attachments.insert(node.clone(), name);
                    if attached(va) {
                        state.attached_on.insert(node.clone());
                    } else {
                        state.attached_on.remove(&node);
                    }
                    self.node_volumes
                        .entry(node.clone())
                        .or_default()
                        .insert(pv.clone());
                }
                self.dirty_volumes.insert(pv);
                self.dirty_nodes.insert(node);
            }
            Object::Node(n) => {
                let name = event.object.name();
                let added_or_gone = event.change == ChangeType::Added || deleted;
                if !added_or_gone && !self.node_volumes.contains_key(name) {
                    // Nothing attached there: nothing of it matters yet.
                    return;
                }
                let before = match prev {
                    Some(Object::Node(p)) => Some(&**p),
                    _ => None,
                };
                if before.is_some_and(|p| !node_matters_changed(p, n)) {
                    // A heartbeat, an image list: nothing a detach reads.
                    return;
                }
                if let Some(set) = self.node_volumes.get(name) {
                    // Readiness, taints and volumes in use decide the
                    // detaches waiting there (attaches do not read the
                    // node); a kubelet's status write may have crossed this
                    // controller's volumesAttached.
                    let waiting = set.iter().filter(|pv| {
                        self.volumes
                            .get(*pv)
                            .is_some_and(|s| s.detach_requested.contains_key(name))
                    });
                    self.dirty_volumes.extend(waiting.cloned());
                    self.dirty_nodes.insert(name.to_owned());
                }
                if event.change == ChangeType::Added || deleted {
                    // Pods wait for their node to exist (rarely: a node
                    // that registers again).
                    for p in self.pods.values().filter(|p| p.node == name) {
                        for c in &p.claims {
                            self.dirty_claims.insert((p.namespace.clone(), c.clone()));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// A deadline (a force detach) came: its volumes are looked at again.
    pub(crate) fn on_timer(&mut self, now: SimTime) {
        self.wake_at = None;
        let due: Vec<SimTime> = self.deadlines.range(..=now).map(|(t, _)| *t).collect();
        for t in due {
            if let Some(v) = self.deadlines.remove(&t) {
                self.dirty_volumes.extend(v);
            }
        }
    }

    /// Reconciles the volumes something changed for, then writes the
    /// `status.volumesAttached` of the nodes concerned.
    pub(crate) fn sync(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        if self.dirty_claims.is_empty()
            && self.dirty_volumes.is_empty()
            && self.dirty_nodes.is_empty()
        {
            return;
        }
        // A claim's volume, old and new, is what its change concerns.
        let claims = informers.of(Kind::PersistentVolumeClaim);
        for ck in std::mem::take(&mut self.dirty_claims) {
            let now = claims
                .get(&ObjectKey::new(Kind::PersistentVolumeClaim, &ck.0, &ck.1))
                .and_then(|o| match &**o {
                    Object::PersistentVolumeClaim(c) => c.spec.as_ref()?.volume_name.clone(),
                    _ => None,
                })
                .filter(|v| !v.is_empty());
            let before = match &now {
                Some(v) => self.claim_volume.insert(ck, v.clone()),
                None => self.claim_volume.remove(&ck),
            };
            self.dirty_volumes.extend(before);
            self.dirty_volumes.extend(now);
        }
        if self.dirty_volumes.is_empty() && self.dirty_nodes.is_empty() {
            return;
        }
        // Detaches sent now: no longer reported as attached.
        let mut detaching: BTreeSet<(String, String)> = BTreeSet::new();
        for pv in std::mem::take(&mut self.dirty_volumes) {
            self.reconcile(ctx, informers, &pv, &mut detaching);
        }
        for node in std::mem::take(&mut self.dirty_nodes) {
            self.write_node_status(ctx, informers, &node, &detaching);
        }
        if let Some((&at, _)) = self.deadlines.iter().next() {
            if self.wake_at.is_none_or(|w| at < w) {
                self.wake_at = Some(at);
                ctx.set_timer(
                    at.saturating_since(ctx.now()),
                    ControllerTag::AttachDetachWake.tag(),
                );
            }
        }
    }

    /// The nodes volume `pv` is wanted on, with the pods that want it
    /// there: those of the claim it is bound to (both ways).
    fn wanted(
        &self,
        informers: &Informers,
        pv: &PersistentVolume,
        name: &str,
    ) -> BTreeMap<String, Vec<ObjectKey>> {
        let mut wanted: BTreeMap<String, Vec<ObjectKey>> = BTreeMap::new();
        if csi_of(pv).is_none() {
            return wanted;
        }
        let Some(claim) = pv.spec.as_ref().and_then(|s| s.claim_ref.as_ref()) else {
            return wanted;
        };
        let ck = (
            claim.namespace.clone().unwrap_or_default(),
            claim.name.clone().unwrap_or_default(),
        );
        if self.claim_volume.get(&ck).map(String::as_str) != Some(name) {
            return wanted;
        }
        let nodes = informers.of(Kind::Node);
        for key in self.claim_pods.get(&ck).into_iter().flatten() {
            let Some(p) = self.pods.get(key) else {
                continue;
            };
            if nodes
                .get(&ObjectKey::new(Kind::Node, "", &p.node))
                .is_some()
            {
                wanted.entry(p.node.clone()).or_default().push(key.clone());
            }
        }
        wanted
    }

    /// Detaches volume `name` from the nodes no pod needs it on, then
    /// attaches it where pods need it.
    fn reconcile(
        &mut self,
        ctx: &mut Ctx<'_>,
        informers: &Informers,
        name: &str,
        detaching: &mut BTreeSet<(String, String)>,
    ) {
        let now = ctx.now();
        let pv_obj = informers
            .of(Kind::PersistentVolume)
            .get(&ObjectKey::new(Kind::PersistentVolume, "", name))
            .cloned();
        let pv = pv_obj.as_deref().and_then(as_pv);
        let wanted = pv
            .map(|pv| self.wanted(informers, pv, name))
            .unwrap_or_default();
        let unique = pv.and_then(csi_of).map(|(d, h)| unique_name(d, h));
        let vas = informers.of(Kind::VolumeAttachment);
        let nodes = informers.of(Kind::Node);
        let mut state = self.volumes.remove(name).unwrap_or_default();
        state.unique.clone_from(&unique);
        let actual: BTreeMap<String, &VolumeAttachment> = state
            .attachments
            .iter()
            .filter_map(|(node, va)| {
                match vas
                    .get(&ObjectKey::new(Kind::VolumeAttachment, "", va))
                    .map(|o| &**o)
                {
                    Some(Object::VolumeAttachment(va)) => Some((node.clone(), &**va)),
                    _ => None,
                }
            })
            .collect();

        // Detach first, so that a volume a rescheduled pod needs elsewhere
        // is freed before it is attached there.
        state
            .detach_requested
            .retain(|n, _| actual.contains_key(n) && !wanted.contains_key(n));
        for (node_name, va) in &actual {
            if wanted.contains_key(node_name) || va.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let requested = *state
                .detach_requested
                .entry(node_name.clone())
                .or_insert(now);
            let node = nodes
                .get(&ObjectKey::new(Kind::Node, "", node_name))
                .and_then(|o| as_node(o));
            let mounted = match (node, &unique) {
                (Some(n), Some(u)) => n
                    .status
                    .as_ref()
                    .and_then(|s| s.volumes_in_use.as_ref())
                    .is_some_and(|v| v.contains(u)),
                _ => false,
            };
            let healthy = node.is_some_and(is_node_ready);
            let out_of_service = node
                .and_then(|n| n.spec.as_ref())
                .and_then(|s| s.taints.as_ref())
                .is_some_and(|t| t.iter().any(|t| t.key == OUT_OF_SERVICE_TAINT));
            let deadline = requested + MAX_WAIT_FOR_UNMOUNT;
            let force = now > deadline && !healthy;
            if attached(va) && mounted && !force && !out_of_service {
                if !healthy {
                    // Looked at again the first instant past the deadline.
                    let at = deadline + SimDuration::from_nanos(1);
                    self.deadlines
                        .entry(at)
                        .or_default()
                        .insert(name.to_owned());
                }
                continue;
            }
            detaching.insert((name.to_owned(), node_name.clone()));
            self.dirty_nodes.insert(node_name.clone());
            ctx.send(Request::Delete {
                key: ObjectKey::new(
                    Kind::VolumeAttachment,
                    "",
                    va.metadata.name.as_deref().unwrap_or(""),
                ),
                options: DeleteOptions::default(),
            });
        }

        // Attach.
        if let Some((pv, (driver, handle))) = pv.and_then(|pv| Some((pv, csi_of(pv)?))) {
            for (node_name, pods) in &wanted {
                if let Some(va) = actual.get(node_name) {
                    if va.metadata.deletion_timestamp.is_none() {
                        if attached(va) {
                            state.multi_attach_reported.remove(node_name);
                            state.attach_errors.remove(node_name);
                            if state.attach_reported.insert(node_name.clone()) {
                                let msg =
                                    format!("AttachVolume.Attach succeeded for volume \"{name}\" ");
                                self.record_on(
                                    ctx,
                                    informers,
                                    pods,
                                    "Normal",
                                    "SuccessfulAttachVolume",
                                    &msg,
                                );
                            }
                        } else if let Some(err) = va
                            .status
                            .as_ref()
                            .and_then(|s| s.attach_error.as_ref())
                            .and_then(|e| e.message.clone())
                            .or_else(|| {
                                // No attacher answered (a driver nobody
                                // runs): the CSI attacher gives up waiting.
                                let created = va.metadata.creation_timestamp.as_ref()?;
                                let due = crate::api::meta::sim_time_of(&created.0) + ATTACHER_TIMEOUT;
                                if now < due {
                                    self.deadlines
                                        .entry(due)
                                        .or_default()
                                        .insert(name.to_owned());
                                    return None;
                                }
                                Some(format!(
                                    "timed out waiting for external-attacher of {driver} CSI driver to attach volume {handle}"
                                ))
                            })
                        {
                            if state.attach_errors.get(node_name) != Some(&err) {
                                state.attach_errors.insert(node_name.clone(), err.clone());
                                let msg = format!(
                                    "AttachVolume.Attach failed for volume \"{name}\" : {err}"
                                );
                                self.record_on(
                                    ctx,
                                    informers,
                                    pods,
                                    "Warning",
                                    "FailedAttachVolume",
                                    &msg,
                                );
                            }
                        }
                        continue;
                    }
                }
                if !multi_attach_allowed(pv) {
                    let elsewhere: Vec<&String> =
                        actual.keys().filter(|n| *n != node_name).collect();
                    if !elsewhere.is_empty() {
                        if state.multi_attach_reported.insert(node_name.clone()) {
                            let holders: Vec<&ObjectKey> = elsewhere
                                .iter()
                                .filter_map(|n| wanted.get(*n))
                                .flatten()
                                .collect();
                            self.report_multi_attach(ctx, informers, name, pods, &holders);
                        }
                        continue;
                    }
                }
                if actual.contains_key(node_name) {
                    // Its own detach is still running.
                    continue;
                }
                state.attach_reported.remove(node_name);
                ctx.send(Request::Create(Object::from(VolumeAttachment {
                    metadata: ObjectMeta {
                        name: Some(attachment_name(handle, driver, node_name)),
                        ..Default::default()
                    },
                    spec: VolumeAttachmentSpec {
                        attacher: driver.to_owned(),
                        node_name: node_name.clone(),
                        source: VolumeAttachmentSource {
                            persistent_volume_name: Some(name.to_owned()),
                            ..Default::default()
                        },
                    },
                    status: None,
                })));
            }
        }
        state
            .multi_attach_reported
            .retain(|n| wanted.contains_key(n));
        state.attach_errors.retain(|n, _| wanted.contains_key(n));
        state.attach_reported.retain(|n| actual.contains_key(n));
        if !state.is_empty() {
            self.volumes.insert(name.to_owned(), state);
        }
    }

    /// Writes node `name`'s `status.volumesAttached`: its attached volumes
    /// not being detached, when that differs from what it lists.
    fn write_node_status(
        &self,
        ctx: &mut Ctx<'_>,
        informers: &Informers,
        name: &str,
        detaching: &BTreeSet<(String, String)>,
    ) {
        let Some(node) = informers
            .of(Kind::Node)
            .get(&ObjectKey::new(Kind::Node, "", name))
            .and_then(|o| as_node(o))
        else {
            return;
        };
        let mut want: BTreeSet<&String> = BTreeSet::new();
        for pv in self.node_volumes.get(name).into_iter().flatten() {
            if detaching.contains(&(pv.clone(), name.to_owned())) {
                continue;
            }
            let Some(state) = self.volumes.get(pv) else {
                continue;
            };
            if let (true, Some(unique)) = (state.attached_on.contains(name), &state.unique) {
                want.insert(unique);
            }
        }
        let have: Vec<&String> = node
            .status
            .as_ref()
            .and_then(|s| s.volumes_attached.as_ref())
            .into_iter()
            .flatten()
            .map(|v| &v.name)
            .collect();
        if want.iter().copied().eq(have.iter().copied()) {
            return;
        }
        let list: Vec<serde_json::Value> = want
            .iter()
            .map(|v| serde_json::json!({"name": v, "devicePath": ""}))
            .collect();
        let value = if list.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::Value::Array(list)
        };
        ctx.send(Request::Patch {
            key: ObjectKey::new(Kind::Node, "", name),
            patch: serde_json::json!({"status": {"volumesAttached": value}}),
        });
    }

    /// Records an event on each of `pods` that still exists.
    fn record_on(
        &mut self,
        ctx: &mut Ctx<'_>,
        informers: &Informers,
        pods: &[ObjectKey],
        type_: &str,
        reason: &str,
        message: &str,
    ) {
        for key in pods {
            if let Some(pod) = informers.of(Kind::Pod).get(key).cloned() {
                self.recorder
                    .record(ctx, &pod, type_, reason, message.to_owned());
            }
        }
    }

    /// `reportMultiAttachError`: each waiting pod is told which pods hold
    /// the volume on the other nodes (by name in its own namespace, by
    /// count in others), or that the volume is attached elsewhere when no
    /// pod there needs it any more.
    fn report_multi_attach(
        &mut self,
        ctx: &mut Ctx<'_>,
        informers: &Informers,
        volume: &str,
        waiting: &[ObjectKey],
        holders: &[&ObjectKey],
    ) {
        for key in waiting {
            let Some(pod) = informers.of(Kind::Pod).get(key).cloned() else {
                continue;
            };
            let suffix = if holders.is_empty() {
                "Volume is already exclusively attached to one node and can't be attached to another"
                    .to_owned()
            } else {
                let local: Vec<&str> = holders
                    .iter()
                    .filter(|h| h.namespace == key.namespace)
                    .map(|h| h.name.as_str())
                    .collect();
                let others = holders.len() - local.len();
                match (local.is_empty(), others) {
                    (false, 0) => format!("Volume is already used by pod(s) {}", local.join(", ")),
                    (false, n) => format!(
                        "Volume is already used by pod(s) {} and {n} pod(s) in different namespaces",
                        local.join(", ")
                    ),
                    (true, n) => {
                        format!("Volume is already used by {n} pod(s) in different namespaces")
                    }
                }
            };
            self.recorder.record(
                ctx,
                &pod,
                "Warning",
                "FailedAttachVolume",
                format!("Multi-Attach error for volume \"{volume}\" {suffix}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_names_are_the_csi_attachers() {
        // Go's fmt.Sprintf("csi-%x", sha256.Sum256([]byte("data-1" +
        // "disk.csi.kubesim.io" + "worker-1"))), computed apart (Python's
        // hashlib).
        assert_eq!(
            attachment_name("data-1", "disk.csi.kubesim.io", "worker-1"),
            "csi-1d7b355fd681279be80f755c3e2237a4dd670ce387aa4a95a3c38b6bf826efa7"
        );
    }

    #[test]
    fn only_many_modes_allow_multi_attach() {
        let pv = |modes: &[&str]| PersistentVolume {
            spec: Some(k8s_openapi::api::core::v1::PersistentVolumeSpec {
                access_modes: Some(modes.iter().map(|m| (*m).to_owned()).collect()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(!multi_attach_allowed(&pv(&["ReadWriteOnce"])));
        assert!(!multi_attach_allowed(&pv(&["ReadWriteOncePod"])));
        assert!(!multi_attach_allowed(&pv(&[])));
        assert!(multi_attach_allowed(&pv(&[
            "ReadWriteOnce",
            "ReadOnlyMany"
        ])));
        assert!(multi_attach_allowed(&pv(&["ReadWriteMany"])));
    }
}
