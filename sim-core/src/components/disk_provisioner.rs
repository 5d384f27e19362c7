//! The disk service's CSI driver, its external-provisioner: the dynamic
//! provisioning of disks for the StorageClasses whose provisioner is
//! [`DRIVER`].
//!
//! - A claim the PersistentVolume controller handed to the driver
//!   (annotated `volume.kubernetes.io/storage-provisioner:
//!   disk.csi.kubesim.io`, of a class of that provisioner, no volume yet) is
//!   provisioned: for a `WaitForFirstConsumer` class only once the
//!   scheduler chose its node (`volume.kubernetes.io/selected-node`). The
//!   claim gets `Provisioning`; after the service's creation time a disk
//!   `pvc-<claim uid>` exists and so does a PersistentVolume of the same
//!   name (the claim's size and access modes, the class's reclaim policy,
//!   `csi: {driver, volumeHandle, fsType}` with the class's
//!   `csi.storage.k8s.io/fstype` or ext4, a `claimRef` to the claim,
//!   `pv.kubernetes.io/provisioned-by`), and the claim `ProvisioningSucceeded`.
//!   The PV controller then binds them.
//! - A volume it provisioned, `Released` with reclaim policy `Delete`: the
//!   disk is deleted (refused while it is still attached somewhere:
//!   `VolumeFailedDelete` on the volume, tried again after a back-off),
//!   then the volume.
//!
//! Changes are followed claim by claim and volume by volume: a sync looks
//! only at what changed.
//!
//! Simplified: it runs beside the control plane and is always up (no
//! leader election, no pod); its events come from
//! `disk.csi.kubesim.io_csi-disk-controller`; no topology (a provisioned
//! disk may attach to any node), no volume expansion or snapshots.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use k8s_openapi::api::core::v1::{
    CSIPersistentVolumeSource, PersistentVolume, PersistentVolumeClaim,
};
use k8s_openapi::api::storage::v1::StorageClass;

use crate::api::storage::{
    provisioned_volume, ANN_PROVISIONED_BY, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER,
};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::watch::WatchSpec;
use crate::apiserver::Request;
use crate::components::event_recorder::EventRecorder;
use crate::components::informer::Informer;
use crate::components::{Component, Ctx, Role, Tag, TagSpace, WatchEvent};
use crate::etcd::ChangeType;
use crate::storage::disks::{Disks, DRIVER};
use crate::time::SimDuration;

/// How long the service takes to create a disk.
pub const CREATE_TIME: SimDuration = SimDuration::from_secs(2);
/// How long a refused deletion waits before it is tried again.
const DELETE_RETRY: SimDuration = SimDuration::from_secs(10);

/// The provisioner's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ProvisionerTag {
    /// A sync at the next instant.
    Sync,
    /// A disk's creation finished; the serial keys `creating`.
    Created,
    /// A refused deletion is due again; the serial keys `retrying`.
    DeleteAgain,
}

impl TagSpace for ProvisionerTag {
    const ALL: &'static [Self] = &[Self::Sync, Self::Created, Self::DeleteAgain];
    fn id(self) -> u8 {
        self as u8
    }
}

/// The external-provisioner of the disk driver.
#[derive(Debug)]
pub struct DiskProvisioner {
    disks: Rc<Disks>,
    claims: Informer,
    volumes: Informer,
    classes: Informer,
    recorder: EventRecorder,
    /// Claims and volumes changed since the last sync.
    dirty: BTreeSet<ObjectKey>,
    /// Creations in flight: serial -> the claim.
    creating: BTreeMap<u64, ObjectKey>,
    /// Volumes whose deletion waits for a retry: serial -> volume.
    retrying: BTreeMap<u64, ObjectKey>,
    /// Claims (by uid) provisioned for or being provisioned.
    provisioned: BTreeSet<String>,
    /// Volumes whose deletion was sent.
    deleted: BTreeSet<String>,
    next_serial: u64,
    sync_pending: bool,
}

impl DiskProvisioner {
    /// The provisioner of a cluster whose disk service is `disks`.
    pub fn new(disks: Rc<Disks>) -> Self {
        Self {
            disks,
            claims: Informer::new(),
            volumes: Informer::new(),
            classes: Informer::new(),
            recorder: EventRecorder::new(&format!("{DRIVER}_csi-disk-controller"), None),
            dirty: BTreeSet::new(),
            creating: BTreeMap::new(),
            retrying: BTreeMap::new(),
            provisioned: BTreeSet::new(),
            deleted: BTreeSet::new(),
            next_serial: 0,
            sync_pending: false,
        }
    }

    fn watch_all(&self, ctx: &mut Ctx<'_>) {
        for kind in [
            Kind::PersistentVolumeClaim,
            Kind::PersistentVolume,
            Kind::StorageClass,
        ] {
            ctx.watch(WatchSpec::all(kind));
        }
    }

    fn request_sync(&mut self, ctx: &mut Ctx<'_>) {
        if !self.sync_pending {
            self.sync_pending = true;
            ctx.set_timer(SimDuration::ZERO, Tag::new(ProvisionerTag::Sync, 0));
        }
    }

    fn serial(&mut self) -> u64 {
        let s = self.next_serial;
        self.next_serial += 1;
        s
    }

    fn class(&self, name: &str) -> Option<&StorageClass> {
        match &**self
            .classes
            .get(&ObjectKey::new(Kind::StorageClass, "", name))?
        {
            Object::StorageClass(c) => Some(c),
            _ => None,
        }
    }

    /// The class of a claim this driver should provision now.
    fn wants_provisioning(&self, claim: &PersistentVolumeClaim) -> Option<&StorageClass> {
        let spec = claim.spec.as_ref()?;
        if spec.volume_name.as_deref().is_some_and(|v| !v.is_empty())
            || claim.metadata.deletion_timestamp.is_some()
            || self
                .provisioned
                .contains(claim.metadata.uid.as_deref().unwrap_or(""))
        {
            return None;
        }
        let annotations = claim.metadata.annotations.as_ref()?;
        let handed = ANN_STORAGE_PROVISIONER
            .iter()
            .any(|a| annotations.get(*a).map(String::as_str) == Some(DRIVER));
        let class = self.class(spec.storage_class_name.as_deref()?)?;
        if !handed || class.provisioner != DRIVER {
            return None;
        }
        let delayed = class.volume_binding_mode.as_deref() == Some("WaitForFirstConsumer");
        if delayed && !annotations.contains_key(ANN_SELECTED_NODE) {
            return None;
        }
        Some(class)
    }

    fn sync(&mut self, ctx: &mut Ctx<'_>) {
        for key in std::mem::take(&mut self.dirty) {
            match key.kind {
                Kind::PersistentVolumeClaim => self.maybe_provision(ctx, &key),
                Kind::PersistentVolume => self.maybe_delete(ctx, &key),
                _ => {}
            }
        }
    }

    fn maybe_provision(&mut self, ctx: &mut Ctx<'_>, key: &ObjectKey) {
        let Some(obj) = self.claims.get(key).cloned() else {
            return;
        };
        let Object::PersistentVolumeClaim(claim) = &*obj else {
            return;
        };
        if self.wants_provisioning(claim).is_none() {
            return;
        }
        self.provisioned
            .insert(claim.metadata.uid.clone().unwrap_or_default());
        self.recorder.record(
            ctx,
            &obj,
            "Normal",
            "Provisioning",
            format!(
                "External provisioner is provisioning volume for claim \"{}/{}\"",
                key.namespace, key.name
            ),
        );
        let serial = self.serial();
        self.creating.insert(serial, key.clone());
        ctx.set_timer(CREATE_TIME, Tag::new(ProvisionerTag::Created, serial));
    }

    /// The service made the disk: the volume is created for the claim.
    fn created(&mut self, ctx: &mut Ctx<'_>, serial: u64) {
        let Some(key) = self.creating.remove(&serial) else {
            return;
        };
        let Some(obj) = self.claims.get(&key).cloned() else {
            return;
        };
        let Object::PersistentVolumeClaim(claim) = &*obj else {
            return;
        };
        let uid = claim.metadata.uid.clone().unwrap_or_default();
        let Some(class) = claim
            .spec
            .as_ref()
            .and_then(|s| s.storage_class_name.as_deref())
            .and_then(|c| self.class(c))
            .cloned()
        else {
            self.provisioned.remove(&uid);
            return;
        };
        let pv_name = format!("pvc-{uid}");
        if !self.disks.exists(&pv_name) && !self.disks.create(&pv_name) {
            self.provisioned.remove(&uid);
            self.recorder.record(
                ctx,
                &obj,
                "Warning",
                "ProvisioningFailed",
                format!(
                    "failed to provision volume with StorageClass \"{}\": rpc error: code = ResourceExhausted desc = the disk service holds its limit of disks",
                    class.metadata.name.as_deref().unwrap_or("")
                ),
            );
            return;
        }
        let mut pv = provisioned_volume(claim, &class, &pv_name, DRIVER);
        let fs_type = class
            .parameters
            .as_ref()
            .and_then(|p| p.get("csi.storage.k8s.io/fstype").cloned())
            .unwrap_or_else(|| "ext4".into());
        if let Some(spec) = pv.spec.as_mut() {
            spec.csi = Some(CSIPersistentVolumeSource {
                driver: DRIVER.to_owned(),
                volume_handle: pv_name.clone(),
                fs_type: Some(fs_type),
                ..Default::default()
            });
        }
        ctx.send(Request::Create(Object::from(pv)));
        self.recorder.record(
            ctx,
            &obj,
            "Normal",
            "ProvisioningSucceeded",
            format!("Successfully provisioned volume {pv_name}"),
        );
    }

    fn maybe_delete(&mut self, ctx: &mut Ctx<'_>, key: &ObjectKey) {
        let Some(obj) = self.volumes.get(key).cloned() else {
            return;
        };
        let Object::PersistentVolume(pv) = &*obj else {
            return;
        };
        if !released_for_deletion(pv) || self.deleted.contains(&key.name) {
            return;
        }
        let handle = pv
            .spec
            .as_ref()
            .and_then(|s| s.csi.as_ref())
            .map(|c| c.volume_handle.clone())
            .unwrap_or_default();
        if let Err(e) = self.disks.delete(&handle) {
            self.recorder
                .record(ctx, &obj, "Warning", "VolumeFailedDelete", e.to_string());
            let serial = self.serial();
            self.retrying.insert(serial, key.clone());
            ctx.set_timer(DELETE_RETRY, Tag::new(ProvisionerTag::DeleteAgain, serial));
            return;
        }
        self.deleted.insert(key.name.clone());
        ctx.send(Request::Delete {
            key: key.clone(),
            options: Default::default(),
        });
    }
}

/// A volume this driver provisioned, released, whose policy is Delete.
fn released_for_deletion(pv: &PersistentVolume) -> bool {
    let by_driver = pv
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANN_PROVISIONED_BY))
        .map(String::as_str)
        == Some(DRIVER);
    let spec = pv.spec.as_ref();
    by_driver
        && pv.metadata.deletion_timestamp.is_none()
        && pv.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Released")
        && spec.and_then(|s| s.persistent_volume_reclaim_policy.as_deref()) == Some("Delete")
        && spec.and_then(|s| s.csi.as_ref()).is_some()
}

impl Component for DiskProvisioner {
    fn role(&self) -> Role {
        Role::DiskProvisioner
    }

    fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.watch_all(ctx);
    }

    fn on_watch(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
        let key = ObjectKey::of(&event.object);
        let deleted = event.change == ChangeType::Deleted;
        match &*event.object {
            Object::PersistentVolumeClaim(_) => {
                self.claims.apply(event);
                if deleted {
                    self.provisioned.remove(event.object.uid());
                } else {
                    self.dirty.insert(key);
                }
            }
            Object::PersistentVolume(_) => {
                self.volumes.apply(event);
                if deleted {
                    self.deleted.remove(&key.name);
                } else {
                    self.dirty.insert(key);
                }
            }
            Object::StorageClass(_) => {
                self.classes.apply(event);
                return;
            }
            _ => return,
        }
        self.request_sync(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, tag: Tag) {
        match tag.space::<ProvisionerTag>() {
            Some(ProvisionerTag::Sync) => {
                self.sync_pending = false;
                self.sync(ctx);
            }
            Some(ProvisionerTag::Created) => self.created(ctx, tag.serial()),
            Some(ProvisionerTag::DeleteAgain) => {
                if let Some(key) = self.retrying.remove(&tag.serial()) {
                    self.dirty.insert(key);
                    self.request_sync(ctx);
                }
            }
            None => {}
        }
    }

    fn on_fault(&mut self, ctx: &mut Ctx<'_>, fault: &crate::faults::ComponentFault) {
        if let crate::faults::ComponentFault::Resync = fault {
            self.watch_all(ctx);
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
