//! ImageLocality (pkg/scheduler/framework/plugins/imagelocality/image_locality.go):
//! prefers nodes that already hold the pod's images, using the image lists the
//! kubelets report in `status.images`. Each present image adds its size scaled
//! by the fraction of nodes that have it (so an image everywhere does not
//! attract pods to one node); the sum is clamped to
//! `[23 MiB, 1000 MiB × containers]` and mapped linearly onto 0..100.

use crate::components::scheduler::node_info::NodeInfo;
use crate::config::scheduler::MAX_NODE_SCORE;

/// `minThreshold`: 23 MiB.
pub(crate) const MIN_THRESHOLD_BYTES: i64 = 23 * 1024 * 1024;
/// `maxContainerThreshold`: 1000 MiB per container.
pub(crate) const MAX_CONTAINER_THRESHOLD_BYTES: i64 = 1000 * 1024 * 1024;

/// One of the pod's images with the number of nodes that hold it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ImageSpread {
    /// Normalized image name.
    pub image: String,
    /// Nodes reporting the image.
    pub num_nodes: usize,
}

/// `scaledImageScore`: size × (nodes with the image / all nodes), truncated.
pub(crate) fn scaled_image_score(size_bytes: i64, num_nodes: usize, total_nodes: usize) -> i64 {
    let spread = num_nodes as f64 / total_nodes as f64;
    (size_bytes as f64 * spread) as i64
}

/// `calculatePriority`: clamp and scale the summed image scores.
pub(crate) fn calculate_priority(sum: i64, num_containers: usize) -> i64 {
    let max = MAX_CONTAINER_THRESHOLD_BYTES * num_containers as i64;
    let sum = sum.clamp(MIN_THRESHOLD_BYTES, max.max(MIN_THRESHOLD_BYTES));
    if max <= MIN_THRESHOLD_BYTES {
        return 0;
    }
    MAX_NODE_SCORE * (sum - MIN_THRESHOLD_BYTES) / (max - MIN_THRESHOLD_BYTES)
}

/// The score of a node for a pod whose containers use `images` (one entry per
/// container, init containers included).
pub(crate) fn score(images: &[ImageSpread], total_nodes: usize, node: &NodeInfo) -> i64 {
    let mut sum = 0;
    if total_nodes > 0 {
        for i in images {
            if let Some(&size) = node.images.get(&i.image) {
                sum += scaled_image_score(size, i.num_nodes, total_nodes);
            }
        }
    }
    calculate_priority(sum, images.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_locality_formula() {
        // image_locality.go: a 300 MiB image on 1 of 4 nodes -> 75 MiB;
        // 100 * (75 MiB - 23 MiB) / (1000 MiB - 23 MiB) = 5 (integer division).
        let s = scaled_image_score(300 * 1024 * 1024, 1, 4);
        assert_eq!(s, 75 * 1024 * 1024);
        assert_eq!(calculate_priority(s, 1), 5);
        // Below the minimum threshold -> 0; above the maximum -> 100.
        assert_eq!(calculate_priority(1024, 1), 0);
        assert_eq!(calculate_priority(5000 * 1024 * 1024, 2), 100);
        // Two containers: max threshold 2000 MiB; 1000 MiB present on all nodes.
        assert_eq!(
            calculate_priority(scaled_image_score(1000 * 1024 * 1024, 4, 4), 2),
            100 * (1000 - 23) / (2000 - 23)
        );
    }
}
