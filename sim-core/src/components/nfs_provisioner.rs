//! nfs-subdir-external-provisioner (kubernetes-sigs), the course's dynamic
//! provisioner: the process of the pods of its image, configured by their
//! environment (`PROVISIONER_NAME`, `NFS_SERVER`, `NFS_PATH`). Its pods
//! elect a leader per provisioner name; the leader (the oldest whose
//! container runs) serves the claims of the StorageClasses naming it.
//!
//! - A claim without a volume that the PersistentVolume controller handed to
//!   it (annotated `volume.kubernetes.io/storage-provisioner: NAME`, of a
//!   class of provisioner NAME) gets a directory
//!   `${namespace}-${pvcName}-${pvName}` in the export (mode 0777) and a
//!   PersistentVolume `pvc-<claim uid>` for it: the claim's size and access
//!   modes, the class's reclaim policy (`Delete` by default) and mount
//!   options, `nfs: {server: NFS_SERVER, path: NFS_PATH/dir}`, a
//!   `claimRef` to the claim and `pv.kubernetes.io/provisioned-by: NAME`;
//!   events `Provisioning` and `ProvisioningSucceeded` on the claim. The PV
//!   controller then binds them.
//! - A volume it provisioned, `Released` with reclaim policy `Delete`: its
//!   directory is renamed `archived-<dir>` (the class's `archiveOnDelete`,
//!   unless `"false"`, which removes it; `onDelete: delete` removes it,
//!   `onDelete: retain` keeps it), then the volume is deleted.
//!
//! With no provisioner pod running, nothing provisions: claims wait with
//! the PV controller's `ExternalProvisioning` event.
//!
//! Simplified: the directory is made on the export the environment names
//! (the real process writes through its own `/persistentvolumes` mount of
//! it); `pathPattern` is not read; the leader is chosen at once.

use std::any::Any;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{NFSVolumeSource, PersistentVolume, PersistentVolumeClaim, Pod};

use crate::api::storage::{ANN_PROVISIONED_BY, ANN_STORAGE_PROVISIONER};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::watch::WatchSpec;
use crate::apiserver::Request;
use crate::components::addon_pod::{addon_container, container_running, created};
use crate::components::event_recorder::EventRecorder;
use crate::components::informer::Informer;
use crate::components::{Component, Ctx, Role, Tag, WatchEvent};
use crate::config::image_fs::{join, FsEntry};
use crate::config::Addon;
use crate::etcd::ChangeType;
use crate::storage::nfs::NfsServers;

/// One provisioner pod, as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ProvisionerPod {
    /// `PROVISIONER_NAME`, `NFS_SERVER`, `NFS_PATH`.
    name: String,
    server: String,
    path: String,
    /// `metadata.creationTimestamp` (orders as time), for the election.
    created: String,
    /// Its container runs.
    running: bool,
    /// The events' source (`NAME_POD_UID`).
    identity: String,
}

impl ProvisionerPod {
    fn of(pod: &Pod, is_provisioner: impl Fn(&str) -> bool) -> Option<Self> {
        let ctr = addon_container(pod, is_provisioner)?;
        let env = |k: &str| {
            ctr.env
                .iter()
                .flatten()
                .find(|e| e.name == k)
                .and_then(|e| e.value.clone())
                .unwrap_or_default()
        };
        let running =
            pod.metadata.deletion_timestamp.is_none() && container_running(pod, &ctr.name);
        let name = env("PROVISIONER_NAME");
        Some(ProvisionerPod {
            identity: format!(
                "{name}_{}_{}",
                pod.metadata.name.as_deref().unwrap_or(""),
                pod.metadata.uid.as_deref().unwrap_or("")
            ),
            name,
            server: env("NFS_SERVER"),
            path: env("NFS_PATH"),
            created: created(pod),
            running,
        })
    }
}

/// The provisioner pods' work.
#[derive(Debug)]
pub struct NfsProvisioner {
    pods: BTreeMap<ObjectKey, ProvisionerPod>,
    claims: Informer,
    volumes: Informer,
    classes: Informer,
    /// The NFS servers (the provisioner writes through its mount of one).
    nfs: Rc<NfsServers>,
    /// The uids of the claims provisioned for (until the claim goes).
    provisioned: std::collections::BTreeSet<String>,
    /// Volumes whose deletion was sent.
    deleted: std::collections::BTreeSet<String>,
    /// Claims and volumes changed since the last sync.
    dirty: std::collections::BTreeSet<ObjectKey>,
    /// Claims whose provisioning failed: looked at again at every sync.
    retry: std::collections::BTreeSet<ObjectKey>,
    /// The leaders or the classes changed: the next sync looks at every
    /// claim and volume.
    everything: bool,
    sync_pending: bool,
}

impl NfsProvisioner {
    /// The provisioner of a cluster whose NFS servers are `nfs`.
    pub fn new(nfs: Rc<NfsServers>) -> Self {
        Self {
            pods: BTreeMap::new(),
            claims: Informer::new(),
            volumes: Informer::new(),
            classes: Informer::new(),
            nfs,
            provisioned: std::collections::BTreeSet::new(),
            deleted: std::collections::BTreeSet::new(),
            dirty: std::collections::BTreeSet::new(),
            retry: std::collections::BTreeSet::new(),
            everything: false,
            sync_pending: false,
        }
    }

    fn watch_all(&self, ctx: &mut Ctx<'_>) {
        for kind in [
            Kind::Pod,
            Kind::PersistentVolumeClaim,
            Kind::PersistentVolume,
            Kind::StorageClass,
        ] {
            ctx.watch(WatchSpec::all(kind));
        }
    }

    /// The leader of each provisioner name: the oldest running pod.
    fn leaders(&self) -> BTreeMap<String, ProvisionerPod> {
        let mut leaders: BTreeMap<String, (&ObjectKey, &ProvisionerPod)> = BTreeMap::new();
        for (k, p) in self
            .pods
            .iter()
            .filter(|(_, p)| p.running && !p.name.is_empty())
        {
            let better = leaders
                .get(&p.name)
                .is_none_or(|(lk, lp)| (&p.created, k) < (&lp.created, *lk));
            if better {
                leaders.insert(p.name.clone(), (k, p));
            }
        }
        leaders
            .into_iter()
            .map(|(n, (_, p))| (n, p.clone()))
            .collect()
    }

    fn class_of(&self, name: &str) -> Option<&k8s_openapi::api::storage::v1::StorageClass> {
        match &**self
            .classes
            .get(&ObjectKey::new(Kind::StorageClass, "", name))?
        {
            Object::StorageClass(sc) => Some(sc),
            _ => None,
        }
    }

    /// Looks at the claims and volumes that changed, or at all of them
    /// when the leaders or the classes changed.
    fn sync(&mut self, ctx: &mut Ctx<'_>) {
        let leaders = self.leaders();
        let mut dirty = std::mem::take(&mut self.dirty);
        dirty.append(&mut self.retry);
        let everything = std::mem::take(&mut self.everything);
        if leaders.is_empty() {
            // A leader's arrival looks at everything.
            return;
        }
        let (claims, volumes): (Vec<Arc<Object>>, Vec<Arc<Object>>) = if everything {
            (
                self.claims.iter().cloned().collect(),
                self.volumes.iter().cloned().collect(),
            )
        } else {
            (
                dirty
                    .iter()
                    .filter_map(|k| self.claims.get(k).cloned())
                    .collect(),
                dirty
                    .iter()
                    .filter_map(|k| self.volumes.get(k).cloned())
                    .collect(),
            )
        };
        for o in claims {
            if let Object::PersistentVolumeClaim(c) = &*o {
                self.maybe_provision(ctx, &leaders, &o, c);
            }
        }
        for o in volumes {
            if let Object::PersistentVolume(pv) = &*o {
                self.maybe_delete(ctx, &leaders, pv);
            }
        }
    }

    fn maybe_provision(
        &mut self,
        ctx: &mut Ctx<'_>,
        leaders: &BTreeMap<String, ProvisionerPod>,
        obj: &Arc<Object>,
        claim: &PersistentVolumeClaim,
    ) {
        let spec = claim.spec.clone().unwrap_or_default();
        if spec.volume_name.as_deref().is_some_and(|v| !v.is_empty())
            || claim.metadata.deletion_timestamp.is_some()
        {
            return;
        }
        let annotations = claim.metadata.annotations.clone().unwrap_or_default();
        let Some(name) = ANN_STORAGE_PROVISIONER
            .iter()
            .find_map(|a| annotations.get(*a))
        else {
            return;
        };
        let Some(leader) = leaders.get(name) else {
            return;
        };
        let class_name = spec.storage_class_name.clone().unwrap_or_default();
        let Some(class) = self.class_of(&class_name).cloned() else {
            return;
        };
        if class.provisioner != *name {
            return;
        }
        let uid = claim.metadata.uid.clone().unwrap_or_default();
        let pv_name = format!("pvc-{uid}");
        if self.provisioned.contains(&uid)
            || self
                .volumes
                .get(&ObjectKey::new(Kind::PersistentVolume, "", &pv_name))
                .is_some()
        {
            return;
        }
        let ns = claim.metadata.namespace.clone().unwrap_or_default();
        let claim_name = claim.metadata.name.clone().unwrap_or_default();
        let mut recorder = EventRecorder::new(&leader.identity, None);
        recorder.record(
            ctx,
            obj,
            "Normal",
            "Provisioning",
            format!("External provisioner is provisioning volume for claim \"{ns}/{claim_name}\""),
        );
        let dir = format!("{ns}-{claim_name}-{pv_name}");
        let path = join(&leader.path, &dir);
        match self.nfs.mount(&leader.server, &leader.path) {
            Ok((tree, base)) => {
                tree.borrow_mut()
                    .insert_with_parents(&join(&base, &dir), FsEntry::Dir);
            }
            Err(e) => {
                recorder.record(
                    ctx,
                    obj,
                    "Warning",
                    "ProvisioningFailed",
                    format!("failed to provision volume with StorageClass \"{class_name}\": unable to create directory to provision new pv: {e}"),
                );
                // Tried again at the next sync.
                self.retry.insert(ObjectKey::of(obj));
                return;
            }
        }
        let mut pv = crate::api::storage::provisioned_volume(claim, &class, &pv_name, name);
        if let Some(spec) = pv.spec.as_mut() {
            spec.nfs = Some(NFSVolumeSource {
                server: leader.server.clone(),
                path,
                read_only: None,
            });
        }
        ctx.send(Request::Create(Object::from(pv)));
        recorder.record(
            ctx,
            obj,
            "Normal",
            "ProvisioningSucceeded",
            format!("Successfully provisioned volume {pv_name}"),
        );
        self.provisioned.insert(uid);
    }

    fn maybe_delete(
        &mut self,
        ctx: &mut Ctx<'_>,
        leaders: &BTreeMap<String, ProvisionerPod>,
        pv: &PersistentVolume,
    ) {
        let name = pv.metadata.name.clone().unwrap_or_default();
        let Some(by) = pv
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(ANN_PROVISIONED_BY))
        else {
            return;
        };
        let spec = pv.spec.clone().unwrap_or_default();
        let released = pv.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Released");
        if !released
            || spec.persistent_volume_reclaim_policy.as_deref() != Some("Delete")
            || pv.metadata.deletion_timestamp.is_some()
            || self.deleted.contains(&name)
        {
            return;
        }
        let Some(leader) = leaders.get(by) else {
            return;
        };
        let params = spec
            .storage_class_name
            .as_deref()
            .and_then(|c| self.class_of(c))
            .and_then(|c| c.parameters.clone())
            .unwrap_or_default();
        if let Some(nfs) = &spec.nfs {
            if let Ok((tree, path)) = self.nfs.mount(&leader.server, &nfs.path) {
                let on_delete = params.get("onDelete").map(String::as_str);
                let archive = params.get("archiveOnDelete").map(String::as_str) != Some("false");
                let mut tree = tree.borrow_mut();
                match on_delete {
                    Some("retain") => {}
                    Some("delete") => tree.remove_dir_all(&path),
                    _ if !archive => tree.remove_dir_all(&path),
                    _ => {
                        let dir = crate::config::image_fs::parent(&path).to_owned();
                        let base = path.rsplit('/').next().unwrap_or("").to_owned();
                        tree.rename_dir(&path, &join(&dir, &format!("archived-{base}")));
                    }
                }
            }
        }
        ctx.send(Request::Delete {
            key: ObjectKey::new(Kind::PersistentVolume, "", &name),
            options: Default::default(),
        });
        self.deleted.insert(name);
    }

    fn request_sync(&mut self, ctx: &mut Ctx<'_>) {
        if !self.sync_pending {
            self.sync_pending = true;
            ctx.set_timer(crate::time::SimDuration::ZERO, Tag::new(SyncTag, 0));
        }
    }
}

/// The provisioner's only timer: a sync at the next instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SyncTag;

impl crate::components::TagSpace for SyncTag {
    const ALL: &'static [Self] = &[SyncTag];
    fn id(self) -> u8 {
        0
    }
}

impl Component for NfsProvisioner {
    fn role(&self) -> Role {
        Role::NfsProvisioner
    }

    fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.watch_all(ctx);
    }

    fn on_watch(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
        match &*event.object {
            Object::Pod(pod) => {
                let key = ObjectKey::of(&event.object);
                let images = &ctx.config().images;
                let is_provisioner =
                    |image: &str| images.lookup(image).addon == Some(Addon::NfsSubdirProvisioner);
                let now = match event.change {
                    ChangeType::Deleted => None,
                    _ => ProvisionerPod::of(pod, is_provisioner),
                };
                let changed = match now {
                    Some(p) => self.pods.insert(key, p.clone()).as_ref() != Some(&p),
                    None => self.pods.remove(&key).is_some(),
                };
                if changed {
                    self.everything = true;
                    self.request_sync(ctx);
                }
            }
            Object::PersistentVolumeClaim(_) => {
                if event.change == ChangeType::Deleted {
                    self.provisioned.remove(event.object.uid());
                }
                self.claims.apply(event);
                self.dirty.insert(ObjectKey::of(&event.object));
                self.request_sync(ctx);
            }
            Object::PersistentVolume(_) => {
                if event.change == ChangeType::Deleted {
                    self.deleted.remove(event.object.name());
                }
                self.volumes.apply(event);
                self.dirty.insert(ObjectKey::of(&event.object));
                self.request_sync(ctx);
            }
            Object::StorageClass(_) => {
                self.classes.apply(event);
                self.everything = true;
                self.request_sync(ctx);
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, tag: Tag) {
        if tag.space::<SyncTag>().is_some() {
            self.sync_pending = false;
            self.sync(ctx);
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
