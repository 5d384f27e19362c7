//! VolumeBinding (pkg/scheduler/framework/plugins/volumebinding), a seam:
//! pods without PersistentVolumeClaims are skipped at PreFilter as the real
//! plugin skips them. Claims are checked only for existence until the storage
//! issue models PersistentVolumes and their binding.

use super::Rejection;
use crate::components::scheduler::pod_info::PodInfo;

/// PreFilter: a pod whose claims are not all known is unschedulable
/// (`persistentvolumeclaim "<name>" not found`), resolvable by nothing but
/// the claim's creation. `claim_exists` answers for `namespace/name`.
pub(crate) fn pre_filter(
    pod: &PodInfo,
    claim_exists: impl Fn(&str) -> bool,
) -> Result<(), Rejection> {
    for claim in &pod.claims {
        if !claim_exists(&format!("{}/{claim}", pod.namespace)) {
            return Err(Rejection::new(
                "VolumeBinding",
                format!("persistentvolumeclaim \"{claim}\" not found"),
                true,
            ));
        }
    }
    Ok(())
}
