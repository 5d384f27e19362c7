//! NodeResourcesBalancedAllocation
//! (pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go):
//! prefers nodes whose resource utilisation fractions, counting the pod's
//! actual requests, are close to each other. Score =
//! `int64((1 − std) × 100)` with std the standard deviation of the fractions
//! (the half difference for two resources). No normalization.

use super::node_resources_fit::{allocatable_and_requested, ScoredResource, WeightedResource};
use crate::components::scheduler::node_info::NodeInfo;
use crate::components::scheduler::pod_info::PodInfo;
use crate::config::scheduler::MAX_NODE_SCORE;

/// PreScore: best-effort pods (no request for any configured resource) are
/// skipped (kubernetes/kubernetes#129138, v1.33).
pub(crate) fn skips(pod: &PodInfo, resources: &[WeightedResource]) -> bool {
    resources.iter().all(|r| match &r.resource {
        ScoredResource::Cpu => pod.requests.cpu_millis == 0,
        ScoredResource::Memory => pod.requests.memory_bytes == 0,
        ScoredResource::EphemeralStorage => pod.requests.ephemeral_storage_bytes == 0,
        ScoredResource::Extended(name) => pod.extended.get(name).copied().unwrap_or(0) == 0,
    })
}

/// The formula over (requested, allocatable) pairs (balancedResourceScorer).
pub(crate) fn balanced_score(pairs: &[(i64, i64)]) -> i64 {
    let fraction = |&(requested, alloc): &(i64, i64)| (requested as f64 / alloc as f64).min(1.0);
    let n = pairs.len();
    let std = match n {
        0 | 1 => 0.0,
        2 => ((fraction(&pairs[0]) - fraction(&pairs[1])) / 2.0).abs(),
        _ => {
            let mean = pairs.iter().map(fraction).sum::<f64>() / n as f64;
            let sum: f64 = pairs
                .iter()
                .map(|p| {
                    let d = fraction(p) - mean;
                    d * d
                })
                .sum();
            (sum / n as f64).sqrt()
        }
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

/// The score of a node.
pub(crate) fn score(pod: &PodInfo, node: &NodeInfo, resources: &[WeightedResource]) -> i64 {
    if let [a, b] = resources {
        // The common case (cpu and memory), without the general loop.
        let pairs = [
            allocatable_and_requested(pod, node, &a.resource, true),
            allocatable_and_requested(pod, node, &b.resource, true),
        ];
        return match pairs {
            [Some((aa, ra)), Some((ab, rb))] => balanced_score(&[(ra, aa), (rb, ab)]),
            [Some((al, r)), None] | [None, Some((al, r))] => balanced_score(&[(r, al)]),
            [None, None] => balanced_score(&[]),
        };
    }
    // At most a handful of resources: keep them on the stack.
    let mut buf = [(0i64, 0i64); 8];
    let mut n = 0;
    let mut spill = Vec::new();
    for r in resources {
        if let Some((alloc, requested)) = allocatable_and_requested(pod, node, &r.resource, true) {
            if n < buf.len() {
                buf[n] = (requested, alloc);
                n += 1;
            } else {
                spill.push((requested, alloc));
            }
        }
    }
    if spill.is_empty() {
        balanced_score(&buf[..n])
    } else {
        let mut all = buf.to_vec();
        all.extend(spill);
        balanced_score(&all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_formula() {
        // balanced_allocation.go: cpu 1000/4000 = 0.25, memory 2Gi/8Gi = 0.25 -> std 0 -> 100
        assert_eq!(balanced_score(&[(1000, 4000), (2 << 30, 8 << 30)]), 100);
        // 0.5 and 0.1 -> std 0.2 -> int64((1 - 0.2) * 100), truncated as Go truncates
        let s = balanced_score(&[(2000, 4000), (1, 10)]);
        assert_eq!(s, ((1.0 - (0.5f64 - 0.1) / 2.0) * 100.0) as i64);
        // fractions above 1 are capped: 1.0 and 0.0 -> std 0.5 -> 50
        assert_eq!(balanced_score(&[(5000, 4000), (0, 10)]), 50);
        // three resources: population standard deviation of 0.1, 0.2, 0.3
        let std = ((0.01f64 + 0.0 + 0.01) / 3.0).sqrt();
        assert_eq!(
            balanced_score(&[(1, 10), (2, 10), (3, 10)]),
            ((1.0 - std) * 100.0) as i64
        );
    }
}
