//! NodeResourcesFit (pkg/scheduler/framework/plugins/noderesources/fit.go,
//! least_allocated.go): the filter rejects nodes without room for the pod's
//! requests; the LeastAllocated score prefers emptier nodes.

use super::Rejection;
use crate::components::scheduler::node_info::NodeInfo;
use crate::components::scheduler::PodInfo;
use crate::config::MAX_NODE_SCORE;

/// The filter: `Too many pods`, `Insufficient cpu`, `Insufficient memory`,
/// `Insufficient ephemeral-storage` (each lacking resource is a reason).
pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    let mut reasons = Vec::new();
    if node.pod_count + 1 > node.allocatable.pods {
        reasons.push("Too many pods".to_owned());
    }
    let req = &pod.requests;
    let alloc = &node.allocatable;
    let used = &node.requested;
    if req.cpu_millis > 0 && req.cpu_millis > alloc.cpu_millis - used.cpu_millis {
        reasons.push("Insufficient cpu".to_owned());
    }
    if req.memory_bytes > 0 && req.memory_bytes > alloc.memory_bytes - used.memory_bytes {
        reasons.push("Insufficient memory".to_owned());
    }
    if req.ephemeral_storage_bytes > 0
        && req.ephemeral_storage_bytes
            > alloc.ephemeral_storage_bytes - used.ephemeral_storage_bytes
    {
        reasons.push("Insufficient ephemeral-storage".to_owned());
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(Rejection {
            plugin: "NodeResourcesFit",
            reasons,
            unresolvable: false,
        })
    }
}

/// `(capacity − requested) × 100 / capacity`, 0 when over capacity or capacity is 0.
fn least_requested(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

/// The LeastAllocated score over cpu and memory with weights 1 and 1.
pub fn score_least_allocated(pod: &PodInfo, node: &NodeInfo) -> i64 {
    let cpu = least_requested(
        node.non_zero_requested.cpu_millis + pod.non_zero.cpu_millis,
        node.allocatable.cpu_millis,
    );
    let mem = least_requested(
        node.non_zero_requested.memory_bytes + pod.non_zero.memory_bytes,
        node.allocatable.memory_bytes,
    );
    (cpu + mem) / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_requested_formula() {
        // least_allocated.go: ((capacity - requested) * MaxNodeScore) / capacity
        assert_eq!(least_requested(1000, 4000), 75);
        assert_eq!(least_requested(0, 4000), 100);
        assert_eq!(least_requested(5000, 4000), 0);
        assert_eq!(least_requested(1, 0), 0);
        assert_eq!(least_requested(3333, 10000), 66);
    }
}
