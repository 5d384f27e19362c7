//! NodeResourcesFit (pkg/scheduler/framework/plugins/noderesources: fit.go,
//! resource_allocation.go, least_allocated.go, most_allocated.go,
//! requested_to_capacity_ratio.go). The filter rejects nodes without room for
//! the pod's requests (pods, cpu, memory, ephemeral-storage and the scalar
//! resources: extended, hugepages, `*kubernetes.io/` and attachable
//! volumes); the score follows the configured strategy over the configured
//! resources and weights.

use super::Rejection;
use crate::api::resources::is_extended_resource_name;
use crate::components::scheduler::node_info::NodeInfo;
use crate::components::scheduler::pod_info::PodInfo;
use crate::config::scheduler::MAX_NODE_SCORE;
use crate::config::scheduler::{ResourceWeight, ScoringStrategy, MAX_CUSTOM_PRIORITY_SCORE};

/// The filter: `Too many pods`, then `Insufficient <resource>` for each
/// resource the node lacks (fit.go: fitsRequest), in that order. The
/// rejection is unresolvable (preemption cannot help) when some lacking
/// resource is requested beyond the node's whole allocatable.
pub(crate) fn filter(pod: &PodInfo, node: &NodeInfo, ignored: &[String]) -> Result<(), Rejection> {
    let mut reasons = Vec::new();
    let mut unresolvable = false;
    if node.pod_count + 1 > node.allocatable.pods {
        reasons.push("Too many pods".to_owned());
    }
    let req = &pod.requests;
    let alloc = &node.allocatable;
    let used = &node.requested;
    if req.cpu_millis > 0 && req.cpu_millis > alloc.cpu_millis - used.cpu_millis {
        reasons.push("Insufficient cpu".to_owned());
        unresolvable |= req.cpu_millis > alloc.cpu_millis;
    }
    if req.memory_bytes > 0 && req.memory_bytes > alloc.memory_bytes - used.memory_bytes {
        reasons.push("Insufficient memory".to_owned());
        unresolvable |= req.memory_bytes > alloc.memory_bytes;
    }
    if req.ephemeral_storage_bytes > 0
        && req.ephemeral_storage_bytes
            > alloc.ephemeral_storage_bytes - used.ephemeral_storage_bytes
    {
        reasons.push("Insufficient ephemeral-storage".to_owned());
        unresolvable |= req.ephemeral_storage_bytes > alloc.ephemeral_storage_bytes;
    }
    for (name, want) in &pod.extended {
        // ignoredResources applies to extended resources only, not to
        // hugepages or *kubernetes.io/ names (fit.go fitsRequest).
        if is_extended_resource_name(name) && ignored.iter().any(|i| i == name) {
            continue;
        }
        let have = node.extended_allocatable.get(name).copied().unwrap_or(0);
        let in_use = node.extended_requested.get(name).copied().unwrap_or(0);
        if *want > have - in_use {
            reasons.push(format!("Insufficient {name}"));
            unresolvable |= *want > have;
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(Rejection {
            plugin: "NodeResourcesFit",
            reasons,
            unresolvable,
        })
    }
}

/// `(capacity − requested) × 100 / capacity`, 0 when over capacity or capacity is 0
/// (least_allocated.go: leastRequestedScore).
pub(crate) fn least_requested(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

/// `requested × 100 / capacity`, requested capped at capacity
/// (most_allocated.go: mostRequestedScore).
pub(crate) fn most_requested(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    requested.min(capacity) * MAX_NODE_SCORE / capacity
}

/// `helper.BuildBrokenLinearFunction` over shape points already scaled to 0..100.
pub(crate) fn broken_linear(shape: &[(i64, i64)], p: i64) -> i64 {
    for (i, &(u, s)) in shape.iter().enumerate() {
        if p <= u {
            if i == 0 {
                return s;
            }
            let (pu, ps) = shape[i - 1];
            return ps + (s - ps) * (p - pu) / (u - pu);
        }
    }
    shape.last().map(|&(_, s)| s).unwrap_or(0)
}

/// A resource as scoring reads it, resolved once from its configured name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ScoredResource {
    /// `cpu` (millicores).
    Cpu,
    /// `memory` (bytes).
    Memory,
    /// `ephemeral-storage` (bytes).
    EphemeralStorage,
    /// An extended (scalar) resource.
    Extended(String),
}

/// A scored resource with its weight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WeightedResource {
    /// The resource.
    pub resource: ScoredResource,
    /// Its weight.
    pub weight: i64,
}

/// Resolves configured resource names.
pub(crate) fn compile_resources(list: &[ResourceWeight]) -> Vec<WeightedResource> {
    list.iter()
        .map(|r| WeightedResource {
            resource: match r.name.as_str() {
                "cpu" => ScoredResource::Cpu,
                "memory" => ScoredResource::Memory,
                "ephemeral-storage" => ScoredResource::EphemeralStorage,
                other => ScoredResource::Extended(other.to_owned()),
            },
            weight: r.weight,
        })
        .collect()
}

/// Allocatable and requested amounts of one resource as scoring sees them
/// (resource_allocation.go: calculateResourceAllocatableRequest). With
/// `use_requested` (BalancedAllocation) the actual requests count; otherwise
/// cpu and memory use the non-zero defaults. `None` when the resource is
/// skipped: nothing allocatable, or an extended resource the pod does not request.
#[inline]
pub(crate) fn allocatable_and_requested(
    pod: &PodInfo,
    node: &NodeInfo,
    resource: &ScoredResource,
    use_requested: bool,
) -> Option<(i64, i64)> {
    let (alloc, requested) = match resource {
        ScoredResource::Cpu if use_requested => (
            node.allocatable.cpu_millis,
            node.requested.cpu_millis + pod.requests.cpu_millis,
        ),
        ScoredResource::Cpu => (
            node.allocatable.cpu_millis,
            node.non_zero_requested.cpu_millis + pod.non_zero.cpu_millis,
        ),
        ScoredResource::Memory if use_requested => (
            node.allocatable.memory_bytes,
            node.requested.memory_bytes + pod.requests.memory_bytes,
        ),
        ScoredResource::Memory => (
            node.allocatable.memory_bytes,
            node.non_zero_requested.memory_bytes + pod.non_zero.memory_bytes,
        ),
        ScoredResource::EphemeralStorage => (
            node.allocatable.ephemeral_storage_bytes,
            node.requested.ephemeral_storage_bytes + pod.requests.ephemeral_storage_bytes,
        ),
        ScoredResource::Extended(name) => {
            let want = pod.extended.get(name).copied().unwrap_or(0);
            if want == 0 {
                return None;
            }
            (
                node.extended_allocatable.get(name).copied().unwrap_or(0),
                node.extended_requested.get(name).copied().unwrap_or(0) + want,
            )
        }
    };
    (alloc != 0).then_some((alloc, requested))
}

/// A scoring strategy ready to run (RequestedToCapacityRatio's shape scaled
/// by MaxNodeScore / MaxCustomPriorityScore once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Scorer {
    /// leastResourceScorer.
    LeastAllocated,
    /// mostResourceScorer.
    MostAllocated,
    /// requestedToCapacityRatioScorer with the scaled shape.
    RequestedToCapacityRatio(Vec<(i64, i64)>),
}

impl Scorer {
    /// Compiles a configured strategy.
    pub(crate) fn new(strategy: &ScoringStrategy) -> Self {
        match strategy {
            ScoringStrategy::LeastAllocated => Scorer::LeastAllocated,
            ScoringStrategy::MostAllocated => Scorer::MostAllocated,
            ScoringStrategy::RequestedToCapacityRatio(shape) => Scorer::RequestedToCapacityRatio(
                shape
                    .iter()
                    .map(|&(u, s)| (u, s * (MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE)))
                    .collect(),
            ),
        }
    }
}

/// The score under a strategy: per-resource scores combined by weight.
pub(crate) fn score(
    pod: &PodInfo,
    node: &NodeInfo,
    scorer: &Scorer,
    resources: &[WeightedResource],
) -> i64 {
    let mut node_score = 0i64;
    let mut weight_sum = 0i64;
    for r in resources {
        let Some((alloc, requested)) = allocatable_and_requested(pod, node, &r.resource, false)
        else {
            continue;
        };
        let s = match scorer {
            Scorer::LeastAllocated => least_requested(requested, alloc),
            Scorer::MostAllocated => most_requested(requested, alloc),
            Scorer::RequestedToCapacityRatio(shape) => {
                let utilization = if requested > alloc {
                    100
                } else {
                    requested * 100 / alloc
                };
                let s = broken_linear(shape, utilization);
                if s <= 0 {
                    // requested_to_capacity_ratio.go counts only positive resource scores.
                    continue;
                }
                s
            }
        };
        node_score += s * r.weight;
        weight_sum += r.weight;
    }
    if weight_sum == 0 {
        return 0;
    }
    match scorer {
        // math.Round(nodeScore / weightSum)
        Scorer::RequestedToCapacityRatio(_) => (node_score * 2 + weight_sum) / (2 * weight_sum),
        _ => node_score / weight_sum,
    }
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

    #[test]
    fn most_requested_formula() {
        // most_allocated.go: requested (capped at capacity) * MaxNodeScore / capacity
        assert_eq!(most_requested(1000, 4000), 25);
        assert_eq!(most_requested(5000, 4000), 100);
        assert_eq!(most_requested(3, 0), 0);
    }

    #[test]
    fn broken_linear_function() {
        // helper/shape_score.go: BuildBrokenLinearFunction; shape {0:0, 100:10}
        // scaled by MaxNodeScore / MaxCustomPriorityScore = 10.
        let shape = [(0, 0), (100, 100)];
        assert_eq!(broken_linear(&shape, 0), 0);
        assert_eq!(broken_linear(&shape, 37), 37);
        assert_eq!(broken_linear(&shape, 100), 100);
        let shape = [(20, 100), (80, 0)];
        assert_eq!(broken_linear(&shape, 10), 100);
        assert_eq!(broken_linear(&shape, 50), 50);
        assert_eq!(broken_linear(&shape, 90), 0);
    }
}

#[cfg(test)]
mod node_tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::api::{Kind, Object};

    fn node(cpu: &str, memory: &str, gpus: Option<&str>) -> NodeInfo {
        let mut alloc = json!({"cpu": cpu, "memory": memory, "pods": "110"});
        if let Some(g) = gpus {
            alloc["example.com/gpu"] = json!(g);
        }
        let v = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"},
                       "status": {"allocatable": alloc, "capacity": alloc}});
        let obj: Object = Kind::Node.decode(&v).expect("node decodes");
        NodeInfo::from_node(Arc::new(obj))
    }

    fn pod(cpu_millis: i64, memory_bytes: i64, gpus: i64) -> PodInfo {
        let mut p = PodInfo::default();
        p.requests.cpu_millis = cpu_millis;
        p.requests.memory_bytes = memory_bytes;
        p.non_zero.cpu_millis = cpu_millis.max(100);
        p.non_zero.memory_bytes = memory_bytes.max(200 << 20);
        if gpus > 0 {
            p.extended.insert("example.com/gpu".into(), gpus);
        }
        p
    }

    #[test]
    fn extended_resources_filter_and_unresolvable_rule() {
        // fit.go: Insufficient <name>; unresolvable beyond the whole allocatable.
        let n = node("4", "8Gi", Some("2"));
        assert!(filter(&pod(100, 0, 2), &n, &[]).is_ok());
        let r = filter(&pod(100, 0, 3), &n, &[]).unwrap_err();
        assert_eq!(r.reasons, ["Insufficient example.com/gpu"]);
        assert!(r.unresolvable, "3 GPUs exceed the node's 2");
        let plain = node("4", "8Gi", None);
        let r = filter(&pod(5000, 0, 1), &plain, &[]).unwrap_err();
        assert_eq!(
            r.reasons,
            ["Insufficient cpu", "Insufficient example.com/gpu"]
        );
        assert!(
            filter(&pod(100, 0, 1), &plain, &["example.com/gpu".into()]).is_ok(),
            "ignoredResources are not checked"
        );
    }

    fn node_with(allocatable: serde_json::Value) -> NodeInfo {
        let obj = Kind::Node
            .decode(&serde_json::json!({
                "apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"},
                "status": {"allocatable": allocatable}
            }))
            .unwrap();
        NodeInfo::from_node(Arc::new(obj))
    }

    fn pod_requesting(requests: serde_json::Value) -> PodInfo {
        let obj: Object = Kind::Pod
            .decode(&serde_json::json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p", "namespace": "default", "uid": "u"},
                "spec": {"containers": [{"name": "c", "image": "i",
                    "resources": {"requests": requests, "limits": requests}}]}
            }))
            .unwrap();
        PodInfo::of(&obj)
    }

    fn reasons(pod: &PodInfo, node: &NodeInfo, ignored: &[String]) -> Vec<String> {
        filter(pod, node, ignored)
            .err()
            .map(|r| r.reasons)
            .unwrap_or_default()
    }

    #[test]
    fn prefixed_native_and_other_scalar_resources_are_counted() {
        // fit.go fitsRequest checks every scalar resource of the request
        // (framework.Resource.Add keeps what schedutil.IsScalarResourceName
        // accepts): extended, hugepages, *kubernetes.io/ and
        // attachable-volumes-* names, each "Insufficient <name>".
        let base = serde_json::json!({"cpu": "4", "memory": "8Gi", "pods": "110"});
        let bare = node_with(base.clone());
        for name in [
            "kubernetes.io/something",
            "subdomain.kubernetes.io/something",
            "example.com/dongle",
            "hugepages-2Mi",
            "attachable-volumes-csi-x",
        ] {
            let p = pod_requesting(serde_json::json!({ name: "1" }));
            assert_eq!(
                reasons(&p, &bare, &[]),
                [format!("Insufficient {name}")],
                "{name}"
            );
            let mut alloc = base.clone();
            alloc[name] = serde_json::json!("2");
            assert!(filter(&p, &node_with(alloc), &[]).is_ok(), "{name}");
        }
        // ignoredResources only skips extended resources.
        let ignored = [
            "example.com/dongle".to_owned(),
            "kubernetes.io/something".to_owned(),
        ];
        let p = pod_requesting(
            serde_json::json!({"example.com/dongle": "1", "kubernetes.io/something": "1"}),
        );
        assert_eq!(
            reasons(&p, &bare, &ignored),
            ["Insufficient kubernetes.io/something"]
        );
    }

    #[test]
    fn strategies_on_a_node() {
        // 4 CPU / 8Gi node, empty; pod 1 CPU / 2Gi.
        let n = node("4", "8Gi", None);
        let p = pod(1000, 2 << 30, 0);
        let res = compile_resources(&[
            ResourceWeight::new("cpu", 1),
            ResourceWeight::new("memory", 1),
        ]);
        // LeastAllocated: cpu 75, memory 75 -> 75.
        assert_eq!(score(&p, &n, &Scorer::LeastAllocated, &res), 75);
        // MostAllocated: 25 and 25 -> 25.
        assert_eq!(score(&p, &n, &Scorer::MostAllocated, &res), 25);
        // RequestedToCapacityRatio, shape {0:0, 100:10} (scaled x10): utilisation
        // 25 % -> 25 on both -> 25; with cpu weight 3: (25*3 + 25) / 4 = 25.
        let rtcr = Scorer::new(&ScoringStrategy::RequestedToCapacityRatio(vec![
            (0, 0),
            (100, 10),
        ]));
        assert_eq!(score(&p, &n, &rtcr, &res), 25);
        // Weighted LeastAllocated with memory weight 3: pod 2 CPU / 2Gi:
        // cpu 50, memory 75 -> (50 + 3*75) / 4 = 68 (integer division).
        let weighted = compile_resources(&[
            ResourceWeight::new("cpu", 1),
            ResourceWeight::new("memory", 3),
        ]);
        assert_eq!(
            score(
                &pod(2000, 2 << 30, 0),
                &n,
                &Scorer::LeastAllocated,
                &weighted
            ),
            68
        );
        // An extended resource the pod does not request is skipped.
        let with_gpu = compile_resources(&[
            ResourceWeight::new("cpu", 1),
            ResourceWeight::new("example.com/gpu", 5),
        ]);
        assert_eq!(score(&p, &n, &Scorer::LeastAllocated, &with_gpu), 75);
    }
}
