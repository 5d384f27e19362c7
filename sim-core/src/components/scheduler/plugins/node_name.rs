//! NodeName (pkg/scheduler/framework/plugins/nodename): a pod that names a
//! node in `spec.nodeName` fits only there.

use super::Rejection;
use crate::components::scheduler::node_info::NodeInfo;
use crate::components::scheduler::pod_info::PodInfo;

/// The filter.
pub(crate) fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    match pod.node_name.as_deref() {
        Some(n) if !n.is_empty() && n != node.name => Err(Rejection::new(
            "NodeName",
            "node(s) didn't match the requested node name",
            true,
        )),
        _ => Ok(()),
    }
}
