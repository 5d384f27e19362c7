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
//! Simplified: the reconciler runs on changes and at deadlines rather than
//! every 100 ms; there is no periodic `syncStates` check and no
//! exponential backoff of failed operations (a refused attach is retried
//! when the driver retries it).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, PersistentVolume, Pod};
use k8s_openapi::api::storage::v1::{
    VolumeAttachment, VolumeAttachmentSource, VolumeAttachmentSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sha2::{Digest, Sha256};

use super::{ControllerTag, Informers};
use crate::api::conditions::is_node_ready;
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

/// One volume wanted on one node.
#[derive(Debug)]
struct Wanted {
    /// The PersistentVolume.
    pv: Arc<Object>,
    /// The pods that need it there.
    pods: Vec<ObjectKey>,
}

/// The controller.
#[derive(Debug)]
pub(crate) struct AttachDetachController {
    recorder: EventRecorder,
    /// Scheduled, unterminated pods that use claims.
    pods: BTreeMap<ObjectKey, PodClaims>,
    /// (volume, node) -> when its detach was first wanted.
    detach_requested: BTreeMap<(String, String), SimTime>,
    /// (volume, node) whose Multi-Attach error was reported.
    multi_attach_reported: BTreeSet<(String, String)>,
    /// (volume, node) -> the last attach error reported.
    attach_errors: BTreeMap<(String, String), String>,
    /// (volume, node) whose attachment was reported to its pods.
    attach_reported: BTreeSet<(String, String)>,
    /// A deadline timer is set for this time.
    wake_at: Option<SimTime>,
    /// Some attachment exists (node changes then matter).
    any_attached: bool,
    dirty: bool,
}

impl Default for AttachDetachController {
    fn default() -> Self {
        Self {
            recorder: EventRecorder::new("attachdetach-controller", None),
            pods: BTreeMap::new(),
            detach_requested: BTreeMap::new(),
            multi_attach_reported: BTreeSet::new(),
            attach_errors: BTreeMap::new(),
            attach_reported: BTreeSet::new(),
            wake_at: None,
            any_attached: false,
            dirty: false,
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
    let claims: Vec<String> = spec
        .volumes
        .iter()
        .flatten()
        .filter_map(|v| v.persistent_volume_claim.as_ref())
        .map(|c| c.claim_name.clone())
        .collect();
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

/// `util.IsMultiAttachAllowed` for a volume: it lists ReadWriteMany or
/// ReadOnlyMany.
fn multi_attach_allowed(pv: &PersistentVolume) -> bool {
    pv.spec
        .as_ref()
        .and_then(|s| s.access_modes.as_ref())
        .is_some_and(|m| {
            m.iter()
                .any(|m| m == "ReadWriteMany" || m == "ReadOnlyMany")
        })
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

/// An attachment of this controller's kind (for a PersistentVolume).
fn attachment(o: &Object) -> Option<(&VolumeAttachment, &str)> {
    match o {
        Object::VolumeAttachment(va) => {
            let pv = va.spec.source.persistent_volume_name.as_deref()?;
            Some((va, pv))
        }
        _ => None,
    }
}

fn attached(va: &VolumeAttachment) -> bool {
    va.metadata.deletion_timestamp.is_none() && va.status.as_ref().is_some_and(|s| s.attached)
}

impl AttachDetachController {
    /// Follows pods that use claims; any change of a pod with claims, a
    /// claim, a volume, an attachment or (while anything is attached or
    /// wanted) a node reconciles.
    pub(crate) fn observe(&mut self, event: &WatchEvent) {
        match &*event.object {
            Object::Pod(p) => {
                let key = ObjectKey::of(&event.object);
                let now = if event.change == ChangeType::Deleted {
                    None
                } else {
                    pod_claims(p)
                };
                if self.pods.get(&key) != now.as_ref() {
                    match now {
                        Some(c) => self.pods.insert(key, c),
                        None => self.pods.remove(&key),
                    };
                    self.dirty = true;
                }
            }
            Object::PersistentVolumeClaim(_)
            | Object::PersistentVolume(_)
            | Object::VolumeAttachment(_) => self.dirty = true,
            // A node's readiness, taints and volumes in use decide detaches,
            // and its volumesAttached is kept as the attachments say (a
            // kubelet's status write may have crossed this controller's).
            Object::Node(_) if !self.pods.is_empty() || self.any_attached => self.dirty = true,
            _ => {}
        }
    }

    /// A deadline (a force detach) came.
    pub(crate) fn on_timer(&mut self) {
        self.wake_at = None;
        self.dirty = true;
    }

    /// The volume wanted on each node.
    fn desired(&self, informers: &Informers) -> BTreeMap<(String, String), Wanted> {
        let nodes = informers.of(Kind::Node);
        let claims = informers.of(Kind::PersistentVolumeClaim);
        let volumes = informers.of(Kind::PersistentVolume);
        let mut wanted: BTreeMap<(String, String), Wanted> = BTreeMap::new();
        for (key, p) in &self.pods {
            if nodes
                .get(&ObjectKey::new(Kind::Node, "", &p.node))
                .is_none()
            {
                continue;
            }
            for c in &p.claims {
                let Some(Object::PersistentVolumeClaim(claim)) = claims
                    .get(&ObjectKey::new(
                        Kind::PersistentVolumeClaim,
                        &p.namespace,
                        c,
                    ))
                    .map(|o| &**o)
                else {
                    continue;
                };
                let Some(pv_name) = claim
                    .spec
                    .as_ref()
                    .and_then(|s| s.volume_name.as_deref())
                    .filter(|v| !v.is_empty())
                else {
                    continue;
                };
                let Some(pv) = volumes.get(&ObjectKey::new(Kind::PersistentVolume, "", pv_name))
                else {
                    continue;
                };
                if as_pv(pv).and_then(csi_of).is_none() {
                    continue;
                }
                wanted
                    .entry((pv_name.to_owned(), p.node.clone()))
                    .or_insert_with(|| Wanted {
                        pv: Arc::clone(pv),
                        pods: Vec::new(),
                    })
                    .pods
                    .push(key.clone());
            }
        }
        wanted
    }

    /// Detaches what no pod needs, attaches what pods need, and writes the
    /// nodes' `status.volumesAttached`.
    pub(crate) fn sync(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        if !std::mem::take(&mut self.dirty) {
            return;
        }
        let now = ctx.now();
        let wanted = self.desired(informers);
        let vas = informers.of(Kind::VolumeAttachment);
        let nodes = informers.of(Kind::Node);
        let volumes = informers.of(Kind::PersistentVolume);
        // Every attachment by (volume, node).
        let mut actual: BTreeMap<(String, String), &VolumeAttachment> = BTreeMap::new();
        for o in vas.iter() {
            if let Some((va, pv)) = attachment(o) {
                actual.insert((pv.to_owned(), va.spec.node_name.clone()), va);
            }
        }
        let node_of = |name: &str| {
            nodes
                .get(&ObjectKey::new(Kind::Node, "", name))
                .and_then(|o| as_node(o))
        };
        self.any_attached = !actual.is_empty();
        let mut next_wake: Option<SimTime> = None;
        // Detaches sent now: no longer reported as attached.
        let mut detaching: BTreeSet<&(String, String)> = BTreeSet::new();

        // Detach first, so that a volume a rescheduled pod needs elsewhere
        // is freed before it is attached there.
        self.detach_requested
            .retain(|k, _| actual.contains_key(k) && !wanted.contains_key(k));
        for (k, va) in &actual {
            if wanted.contains_key(k) || va.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let requested = *self.detach_requested.entry(k.clone()).or_insert(now);
            let node = node_of(&k.1);
            let unique = volumes
                .get(&ObjectKey::new(Kind::PersistentVolume, "", &k.0))
                .and_then(|o| as_pv(o))
                .and_then(csi_of)
                .map(|(d, h)| unique_name(d, h));
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
            let expired = now > deadline;
            let force = expired && !healthy;
            if attached(va) && mounted && !force && !out_of_service {
                if !healthy {
                    // The first instant past the deadline.
                    let at = deadline + SimDuration::from_nanos(1);
                    next_wake = Some(next_wake.map_or(at, |w| w.min(at)));
                }
                continue;
            }
            detaching.insert(k);
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
        for (k, w) in &wanted {
            let Some(pv) = as_pv(&w.pv) else { continue };
            let Some((driver, handle)) = csi_of(pv) else {
                continue;
            };
            if let Some(va) = actual.get(k) {
                if va.metadata.deletion_timestamp.is_none() {
                    if attached(va) {
                        self.multi_attach_reported.remove(k);
                        self.attach_errors.remove(k);
                        if self.attach_reported.insert(k.clone()) {
                            let msg =
                                format!("AttachVolume.Attach succeeded for volume \"{}\" ", k.0);
                            self.record_on(
                                ctx,
                                informers,
                                &w.pods,
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
                    {
                        if self.attach_errors.get(k) != Some(&err) {
                            self.attach_errors.insert(k.clone(), err.clone());
                            let msg = format!(
                                "AttachVolume.Attach failed for volume \"{}\" : {err}",
                                k.0
                            );
                            self.record_on(
                                ctx,
                                informers,
                                &w.pods,
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
                let elsewhere: Vec<&String> = actual
                    .keys()
                    .filter(|(v, n)| *v == k.0 && *n != k.1)
                    .map(|(_, n)| n)
                    .collect();
                if !elsewhere.is_empty() {
                    if self.multi_attach_reported.insert(k.clone()) {
                        self.report_multi_attach(ctx, informers, &wanted, k, w, &elsewhere);
                    }
                    continue;
                }
            }
            if actual.contains_key(k) {
                // Its own detach is still running.
                continue;
            }
            self.attach_reported.remove(k);
            ctx.send(Request::Create(Object::from(VolumeAttachment {
                metadata: ObjectMeta {
                    name: Some(attachment_name(handle, driver, &k.1)),
                    ..Default::default()
                },
                spec: VolumeAttachmentSpec {
                    attacher: driver.to_owned(),
                    node_name: k.1.clone(),
                    source: VolumeAttachmentSource {
                        persistent_volume_name: Some(k.0.clone()),
                        ..Default::default()
                    },
                },
                status: None,
            })));
        }
        self.multi_attach_reported
            .retain(|k| wanted.contains_key(k));
        self.attach_errors.retain(|k, _| wanted.contains_key(k));
        self.attach_reported.retain(|k| actual.contains_key(k));

        // Node status: what is attached (and not being detached) there.
        let mut per_node: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        for (k, va) in &actual {
            if !attached(va) || detaching.contains(k) {
                continue;
            }
            let (pv, node) = k;
            if let Some((d, h)) = volumes
                .get(&ObjectKey::new(Kind::PersistentVolume, "", pv))
                .and_then(|o| as_pv(o))
                .and_then(csi_of)
            {
                per_node
                    .entry(node.as_str())
                    .or_default()
                    .insert(unique_name(d, h));
            }
        }
        for o in nodes.iter() {
            let Some(n) = as_node(o) else { continue };
            let name = n.metadata.name.as_deref().unwrap_or("");
            let want: Vec<&String> = per_node.get(name).into_iter().flatten().collect();
            let have: Vec<&String> = n
                .status
                .as_ref()
                .and_then(|s| s.volumes_attached.as_ref())
                .into_iter()
                .flatten()
                .map(|v| &v.name)
                .collect();
            if want == have {
                continue;
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

        if let Some(at) = next_wake {
            if self.wake_at.is_none_or(|w| at < w) {
                self.wake_at = Some(at);
                ctx.set_timer(
                    at.saturating_since(now),
                    ControllerTag::AttachDetachWake.tag(),
                );
            }
        }
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
        wanted: &BTreeMap<(String, String), Wanted>,
        k: &(String, String),
        w: &Wanted,
        elsewhere: &[&String],
    ) {
        let holders: Vec<&ObjectKey> = elsewhere
            .iter()
            .filter_map(|n| wanted.get(&(k.0.clone(), (*n).clone())))
            .flat_map(|o| o.pods.iter())
            .collect();
        for key in &w.pods {
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
                format!("Multi-Attach error for volume \"{}\" {suffix}", k.0),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_names_are_the_csi_attachers() {
        // sha256("data-1" "disk.csi.kubesim.io" "worker-1"), as Go's
        // fmt.Sprintf("csi-%x", sha256.Sum256(...)) prints it.
        let name = attachment_name("data-1", "disk.csi.kubesim.io", "worker-1");
        assert_eq!(name.len(), 68);
        assert!(name.starts_with("csi-"));
        let digest = Sha256::digest(b"data-1disk.csi.kubesim.ioworker-1");
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(name, format!("csi-{hex}"));
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
