//! The kubelet's volume manager, as far as the model needs it: before a
//! pod's sandbox is made, its network volumes (`nfs`, and claims bound to
//! NFS, hostPath or disk volumes) are mounted ([`super::node_files`]). A
//! disk (a `csi` volume) is mounted only once the node's
//! `status.volumesAttached` lists it (`VerifyControllerAttachedVolume`);
//! until then the pod waits, retried with the same backoff, and the node's
//! `status.volumesInUse` lists every disk its pods need, so that the
//! attach/detach controller does not detach one still mounted. While one
//! does not mount, the pod stays `ContainerCreating` and each attempt
//! records the kubelet's `FailedMount` event: `mount.nfs`'s own words
//! (`Connection timed out` when no server answers, `access denied by
//! server` for a path not exported), or why a claim has no volume. Attempts
//! back off as the operation executor's do (500 ms doubling up to 2 min
//! 2 s); a mount that times out takes `mount.nfs`'s two minutes first.
//!
//! Simplified: the event of a timed-out mount is recorded when the attempt
//! starts; the periodic "Unable to attach or mount volumes ... timed out
//! waiting for the condition" summary is not.

use std::rc::Rc;

use super::node_files::MountFailure;
use super::Kubelet;
use super::Timer;
use crate::components::Ctx;
use crate::storage::disks::{unique_name, Disks};
use crate::storage::nfs::{MountError, NfsServers};
use crate::time::SimDuration;
use k8s_openapi::api::core::v1::Volume;

/// The first retry's delay (the executor's `initialDurationBeforeRetry`).
const FIRST_RETRY: SimDuration = SimDuration::from_millis(500);
/// The longest delay between retries (`maxDurationBeforeRetry`, 2 m 2 s).
const MAX_RETRY: SimDuration = SimDuration::from_secs(122);
/// How long `mount.nfs` keeps trying a server that does not answer (its
/// `retry=2` minutes for foreground mounts).
const NFS_MOUNT_TIMEOUT: SimDuration = SimDuration::from_secs(120);

impl Kubelet {
    /// Joins the cluster's NFS servers (a node that is one keeps its files
    /// in the server's tree).
    pub fn set_nfs(&mut self, nfs: Rc<NfsServers>) {
        self.files.set_nfs(nfs, &self.node_name);
    }

    /// Joins the cluster's disk service.
    pub fn set_disks(&mut self, disks: Rc<Disks>) {
        self.files.set_disks(disks);
    }

    /// The unique name of the attachable (CSI) volume behind pod volume
    /// `v`, a claim bound to a `csi` PersistentVolume.
    fn attachable(&self, v: &Volume, ns: &str) -> Option<String> {
        let c = v.persistent_volume_claim.as_ref()?;
        let (_, pv) = self.cache.claim(ns, &c.claim_name)?;
        let csi = pv?.spec.as_ref()?.csi.as_ref()?;
        Some(unique_name(&csi.driver, &csi.volume_handle))
    }

    /// `status.volumesInUse`: the attachable volumes the node's pods need,
    /// sorted (what the attach/detach controller must not detach while
    /// they are mounted). A pod's are resolved once its claims are bound
    /// (kept in its worker); until then, at every report.
    pub(super) fn volumes_in_use(&self) -> Vec<String> {
        let mut in_use = std::collections::BTreeSet::new();
        for w in self.workers.values() {
            match &w.attachable {
                Some(names) => in_use.extend(names.iter().cloned()),
                None => {
                    if let Some(pod) = w.pod.as_pod() {
                        in_use.extend(self.resolve_attachable(pod).into_iter().flatten());
                    }
                }
            }
        }
        in_use.into_iter().collect()
    }

    /// Pod `pod`'s attachable volumes, once every claim it names is bound
    /// (None while one is not).
    fn resolve_attachable(&self, pod: &k8s_openapi::api::core::v1::Pod) -> Option<Vec<String>> {
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        let mut names = Vec::new();
        for v in pod.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
            let Some(c) = v.persistent_volume_claim.as_ref() else {
                continue;
            };
            let (_, pv) = self.cache.claim(ns, &c.claim_name)?;
            if let Some(csi) = pv?.spec.as_ref().and_then(|s| s.csi.as_ref()) {
                names.push(unique_name(&csi.driver, &csi.volume_handle));
            }
        }
        Some(names)
    }

    /// True when the node's status lists volume `unique` as attached (the
    /// kubelet's `VerifyControllerAttachedVolume`).
    fn attached_here(&self, unique: &str) -> bool {
        self.node
            .as_ref()
            .and_then(|n| n.as_node())
            .and_then(|n| n.status.as_ref())
            .and_then(|s| s.volumes_attached.as_ref())
            .is_some_and(|v| v.iter().any(|a| a.name == unique))
    }

    /// The name of the volume container `idx` of pod `uid` mounts at `path`.
    pub(super) fn volume_mounted_at(&self, uid: &str, idx: usize, path: &str) -> Option<String> {
        let w = self.workers.get(uid)?;
        let name = &w.ctrs.get(idx)?.name;
        let pod = w.pod.as_pod()?;
        let spec = pod.spec.as_ref()?;
        spec.containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
            .find(|c| c.name == *name)?
            .volume_mounts
            .iter()
            .flatten()
            .find(|m| m.mount_path == path)
            .map(|m| m.name.clone())
    }

    /// Mounts pod `uid`'s network volumes: true when all are mounted; else
    /// the failure is recorded and the sandbox is tried again later.
    pub(super) fn volumes_mounted(&mut self, ctx: &mut Ctx<'_>, uid: &str) -> bool {
        let Some(obj) = self.workers.get(uid).map(|w| w.pod.clone()) else {
            return false;
        };
        let Some(pod) = obj.as_pod() else {
            return false;
        };
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        let volumes = pod.spec.as_ref().and_then(|s| s.volumes.as_ref());
        if self
            .workers
            .get(uid)
            .is_some_and(|w| w.attachable.is_none())
        {
            let resolved = self.resolve_attachable(pod);
            if let Some(w) = self.workers.get_mut(uid) {
                w.attachable = resolved;
            }
        }
        let mut failure = None;
        for v in volumes.into_iter().flatten() {
            let not_attached = self
                .attachable(v, ns)
                .is_some_and(|u| !self.attached_here(&u));
            let mounted = if not_attached {
                Err(MountFailure::NotAttached)
            } else {
                self.files
                    .mount_network(uid, v, ns, &self.cache, &self.node_name)
            };
            if let Err(f) = mounted {
                failure = Some((v.name.clone(), f));
                break;
            }
        }
        let Some(w) = self.workers.get_mut(uid) else {
            return false;
        };
        let Some((name, failure)) = failure else {
            w.mount_failures = 0;
            return true;
        };
        let backoff = FIRST_RETRY
            .saturating_mul(1u64 << w.mount_failures.min(16))
            .min(MAX_RETRY);
        w.mount_failures = w.mount_failures.saturating_add(1);
        let unprocessed = |why: String| {
            format!(
                "Unable to attach or mount volumes: unmounted volumes=[{name}], unattached volumes=[{name}], failed to process volumes=[{name}]: {why}"
            )
        };
        let (message, delay) = match failure {
            MountFailure::NotAttached => {
                // Waiting for the attach/detach controller: no event (the
                // controller's own events say why).
                self.timer(ctx, backoff, Timer::SandboxReady(uid.to_owned()));
                return false;
            }
            MountFailure::ClaimNotFound(c) => (
                unprocessed(format!(
                    "error processing PVC {ns}/{c}: failed to fetch PVC from API server: persistentvolumeclaims \"{c}\" not found"
                )),
                backoff,
            ),
            MountFailure::ClaimNotBound(c) => (
                unprocessed(format!("error processing PVC {ns}/{c}: PVC is not bound")),
                backoff,
            ),
            MountFailure::Nfs {
                volume,
                target,
                error,
            } => (
                format!(
                    "MountVolume.SetUp failed for volume \"{volume}\" : mount failed: exit status 32\nMounting command: mount\nMounting arguments: -t nfs {target} /var/lib/kubelet/pods/{uid}/volumes/kubernetes.io~nfs/{volume}\nOutput: {error}"
                ),
                if error == MountError::TimedOut {
                    backoff.max(NFS_MOUNT_TIMEOUT)
                } else {
                    backoff
                },
            ),
        };
        self.recorder
            .record(ctx, &obj, "Warning", "FailedMount", message);
        self.timer(ctx, delay, Timer::SandboxReady(uid.to_owned()));
        false
    }
}
