//! NodePorts (pkg/scheduler/framework/plugins/nodeports): a pod asking for a
//! host port fits only on nodes where no pod holds a conflicting one
//! (same protocol and port, and the same host IP or a wildcard).

use super::Rejection;
use crate::components::scheduler::node_info::NodeInfo;
use crate::components::scheduler::pod_info::PodInfo;

/// The reason the real plugin gives (`ErrReason`).
pub(crate) const REASON: &str = "node(s) didn't have free ports for the requested pod ports";

/// The filter (PreFilter skips pods without host ports).
pub(crate) fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    let clash = pod
        .host_ports
        .iter()
        .any(|want| node.used_ports.iter().any(|used| used.conflicts(want)));
    if clash {
        Err(Rejection::new("NodePorts", REASON, false))
    } else {
        Ok(())
    }
}
