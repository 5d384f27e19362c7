//! VolumeRestrictions (pkg/scheduler/framework/plugins/volumerestrictions),
//! its ReadWriteOncePod part: a claim with the `ReadWriteOncePod` access
//! mode may be used by one pod in the whole cluster. PreFilter counts the
//! pod's such claims that an assigned pod already uses; Filter then refuses
//! every node (`node has pod using PersistentVolumeClaim with the same name
//! and ReadWriteOncePod access mode`), resolvable by that pod going. Pods
//! without such claims skip the plugin.
//!
//! Not modelled: the conflicts of inline disk volumes (GCE PD, AWS EBS,
//! RBD, iSCSI), which kubesim's volumes never are.

use super::Rejection;
use crate::components::scheduler::plugins::volume_binding::Claims;
use crate::components::scheduler::pod_info::PodInfo;

/// The Filter's refusal (`ErrReasonReadWriteOncePodConflict`).
pub(crate) const READ_WRITE_ONCE_POD_CONFLICT: &str =
    "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode";

/// PreFilter: true when the pod must be refused on every node (one of its
/// ReadWriteOncePod claims is in use); None when the plugin is skipped
/// (no such claim).
pub(crate) fn pre_filter(pod: &PodInfo, view: &Claims<'_>) -> Option<bool> {
    let mut any = false;
    let mut conflict = false;
    for claim in &pod.claims {
        let key = format!("{}/{claim}", pod.namespace);
        if view.claims.get(&key).is_some_and(|c| c.read_write_once_pod) {
            any = true;
            conflict |= view.users.get(&key).is_some_and(|n| *n > 0);
        }
    }
    any.then_some(conflict)
}

/// Filter: the PreFilter's verdict, on every node.
pub(crate) fn filter(conflict: bool) -> Result<(), Rejection> {
    if conflict {
        return Err(Rejection::new(
            "VolumeRestrictions",
            READ_WRITE_ONCE_POD_CONFLICT,
            false,
        ));
    }
    Ok(())
}
