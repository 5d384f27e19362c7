//! VolumeBinding (pkg/scheduler/framework/plugins/volumebinding), its
//! PreFilter: pods without PersistentVolumeClaims are skipped as the real
//! plugin skips them; a claim that does not exist or is being deleted, or
//! one not yet bound whose class binds at once (`Immediate`, or no class),
//! makes the pod unschedulable until the claim changes. Claims of a
//! `WaitForFirstConsumer` class are let through.
//!
//! Not yet modelled: the Filter and PreBind of delayed binding (choosing a
//! volume for the node, `volume.kubernetes.io/selected-node` for a
//! provisioner, waiting for the binding) and volume node affinity.

use std::collections::{BTreeMap, BTreeSet};

use super::Rejection;
use crate::components::scheduler::pod_info::PodInfo;

/// A claim as the scheduler sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ClaimState {
    /// `spec.volumeName` is set.
    pub bound: bool,
    /// Its deletion has begun.
    pub deleting: bool,
    /// Its `storageClassName` (`""`: none).
    pub class: String,
    /// Its access modes include `ReadWriteOncePod`.
    pub read_write_once_pod: bool,
}

/// What PreFilter reads: the claims by `namespace/name`, the classes that
/// bind when a pod is scheduled.
pub(crate) struct Claims<'a> {
    /// Every claim.
    pub claims: &'a BTreeMap<String, ClaimState>,
    /// The names of the `WaitForFirstConsumer` StorageClasses.
    pub delayed_classes: &'a BTreeSet<String>,
    /// How many assigned pods use each claim.
    pub users: &'a BTreeMap<String, usize>,
}

/// PreFilter: the pod's claims must exist, not be being deleted, and be
/// bound unless their class delays binding (`pod has unbound immediate
/// PersistentVolumeClaims`); each refusal is resolvable only by a change of
/// the claims.
pub(crate) fn pre_filter(pod: &PodInfo, view: &Claims<'_>) -> Result<(), Rejection> {
    let mut unbound_immediate = false;
    for claim in &pod.claims {
        let reject = |message: String| Err(Rejection::new("VolumeBinding", message, true));
        let Some(state) = view.claims.get(&format!("{}/{claim}", pod.namespace)) else {
            return reject(format!("persistentvolumeclaim \"{claim}\" not found"));
        };
        if state.deleting {
            return reject(format!(
                "persistentvolumeclaim \"{claim}\" is being deleted"
            ));
        }
        if !state.bound && !view.delayed_classes.contains(&state.class) {
            unbound_immediate = true;
        }
    }
    if unbound_immediate {
        return Err(Rejection::new(
            "VolumeBinding",
            "pod has unbound immediate PersistentVolumeClaims".to_owned(),
            true,
        ));
    }
    Ok(())
}
