//! The workloads of kube-scheduler's own benchmark suite
//! (kubernetes/test/integration/scheduler_perf, config/performance-config.yaml)
//! as simulated clusters: only the API server and the scheduler run, nodes
//! are Node objects made from `node-default.yaml` (4 CPU, 32Gi, 110 pods, no
//! kubelet). [`build`] creates the nodes and the workload's initial pods and
//! schedules those (the `createPods` steps without `collectMetrics`), then
//! creates the measured pods through the API; [`run_to_completion`] runs
//! until every pod is bound, which is the measured part.
//!
//! The pods follow the real templates: `pod-default.yaml` (100m / 500Mi),
//! `pod-with-node-affinity.yaml` (required zone In [zone1, zone2]) and
//! `pod-with-topology-spreading.yaml` (maxSkew 5 over zones, DoNotSchedule).
//! Nodes get the workloads' zone labels (`labelNodePrepareStrategy`):
//! zone1 for NodeAffinity, moon-1..3 round-robin for TopologySpreading.

use serde_json::{json, Value};

use crate::api::{Kind, Object};
use crate::apiserver::Request;
use crate::cluster::Cluster;
use crate::components::scheduler::Scheduler;
use crate::config::ClusterConfig;
use crate::time::SimTime;
use crate::trace::Trace;

/// Which pods are scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// SchedulingBasic: pod-default.yaml on node-default.yaml nodes.
    SchedulingBasic,
    /// SchedulingNodeAffinity: pod-with-node-affinity.yaml (initial pods too); nodes in zone1.
    NodeAffinity,
    /// TopologySpreading: initial pods from pod-default.yaml, measured pods from
    /// pod-with-topology-spreading.yaml; nodes in moon-1..3.
    TopologySpreading,
}

impl Workload {
    fn zones(self) -> &'static [&'static str] {
        match self {
            Workload::SchedulingBasic => &[],
            Workload::NodeAffinity => &["zone1"],
            Workload::TopologySpreading => &["moon-1", "moon-2", "moon-3"],
        }
    }

    fn initial_pod(self, i: usize) -> Value {
        let mut pod = match self {
            Workload::TopologySpreading => Workload::SchedulingBasic.pod(i),
            _ => self.pod(i),
        };
        pod["metadata"]["name"] = json!(format!("init-pod-{i}"));
        pod
    }

    fn pod(self, i: usize) -> Value {
        let container = json!([{
            "name": "pause",
            "image": "registry.k8s.io/pause:3.10",
            "ports": [{"containerPort": 80}],
            "resources": {
                "limits": {"cpu": "100m", "memory": "500Mi"},
                "requests": {"cpu": "100m", "memory": "500Mi"}
            }
        }]);
        let mut pod = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": format!("pod-{i}"), "namespace": "default"},
            "spec": {"containers": container},
        });
        match self {
            Workload::SchedulingBasic => {}
            Workload::NodeAffinity => {
                pod["spec"]["affinity"] = json!({"nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{
                        "matchExpressions": [{"key": "topology.kubernetes.io/zone",
                                              "operator": "In", "values": ["zone1", "zone2"]}]
                    }]}
                }});
            }
            Workload::TopologySpreading => {
                pod["metadata"]["labels"] = json!({"color": "blue"});
                pod["spec"]["topologySpreadConstraints"] = json!([{
                    "maxSkew": 5,
                    "topologyKey": "topology.kubernetes.io/zone",
                    "whenUnsatisfiable": "DoNotSchedule",
                    "labelSelector": {"matchLabels": {"color": "blue"}}
                }]);
            }
        }
        pod
    }
}

fn node(i: usize, zones: &[&str]) -> Value {
    let name = format!("scheduler-perf-{i}");
    let mut labels = json!({"kubernetes.io/hostname": name});
    if !zones.is_empty() {
        labels["topology.kubernetes.io/zone"] = json!(zones[i % zones.len()]);
    }
    let capacity = json!({"pods": "110", "cpu": "4", "memory": "32Gi"});
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {},
        "status": {
            "capacity": capacity,
            "allocatable": capacity,
            "conditions": [{"type": "Ready", "status": "True"}],
            "phase": "Running"
        }
    })
}

fn create(c: &mut Cluster, client: &str, kind: Kind, v: &Value) {
    // The objects are built above from fixed templates; a refusal is a bug.
    let obj: Object = kind
        .decode(v)
        .unwrap_or_else(|e| panic!("scheduler_perf template does not decode: {e}"));
    if let Err(e) = c.request(client, Request::Create(obj)) {
        panic!("scheduler_perf object refused: {e}");
    }
}

/// A cluster of `nodes` nodes where `initial_pods` pods of the workload are
/// already scheduled and `pods` measured pods are created and waiting; the
/// scheduler runs. Returns the cluster and the number of pods that will be
/// bound once the measured ones are ([`run_to_completion`]'s target).
pub fn build(
    workload: Workload,
    nodes: usize,
    initial_pods: usize,
    pods: usize,
    seed: u64,
) -> (Cluster, u64) {
    let mut config = ClusterConfig::kubeadm(0);
    config.nodes.clear();
    let mut c = Cluster::empty(config, seed, Trace::disabled());
    create(
        &mut c,
        "kube-apiserver",
        Kind::Namespace,
        &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}),
    );
    create(
        &mut c,
        "kube-controller-manager",
        Kind::ServiceAccount,
        &json!({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": "default", "namespace": "default"}}),
    );
    for i in 0..nodes {
        create(
            &mut c,
            "scheduler-perf",
            Kind::Node,
            &node(i, workload.zones()),
        );
    }
    for i in 0..initial_pods {
        create(
            &mut c,
            "scheduler-perf",
            Kind::Pod,
            &workload.initial_pod(i),
        );
    }
    c.add_component(Box::new(Scheduler::new()), c.now());
    let (bound, _) = run_to_completion(&mut c, initial_pods as u64);
    for i in 0..pods {
        create(&mut c, "scheduler-perf", Kind::Pod, &workload.pod(i));
    }
    (c, bound + pods as u64)
}

/// Runs until `pods` pods are bound (or nothing is left to do); returns the
/// number bound and the virtual time at which the last one was. The count is
/// checked after every event, so the run stops at the bind response that
/// completes it (idle periodic timers and compactions after it are not run).
///
/// # Panics
/// When the run stalls (a bug: these workloads never livelock).
pub fn run_to_completion(c: &mut Cluster, pods: u64) -> (u64, SimTime) {
    loop {
        let bound = scheduled(c);
        if bound >= pods || !c.step().expect("a scheduler_perf workload never stalls") {
            return (bound, c.now());
        }
    }
}

/// Pods bound so far.
pub fn scheduled(c: &Cluster) -> u64 {
    c.scheduler().map(|s| s.stats().scheduled).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn scheduling_basic_binds_every_pod_within_node_capacity() {
        let (mut c, target) = build(Workload::SchedulingBasic, 120, 0, 600, 1);
        let (bound, _) = run_to_completion(&mut c, target);
        assert_eq!(bound, 600);
        let mut per_node: BTreeMap<String, i64> = BTreeMap::new();
        for p in c.etcd().list(Kind::Pod, Some("default")) {
            let node = p
                .as_pod()
                .and_then(|p| p.spec.as_ref())
                .and_then(|s| s.node_name.clone())
                .expect("every pod is bound");
            *per_node.entry(node).or_default() += 1;
        }
        // 120 nodes, 600 pods of 100m: LeastAllocated spreads them evenly (5 each).
        assert_eq!(per_node.len(), 120);
        assert!(per_node.values().all(|&n| n == 5), "{per_node:?}");
    }

    /// The index of every pod's node (`scheduler-perf-<i>`); panics on an unbound pod.
    fn node_indexes(c: &Cluster) -> Vec<usize> {
        c.etcd()
            .list(Kind::Pod, Some("default"))
            .iter()
            .map(|p| {
                let node = p
                    .as_pod()
                    .and_then(|p| p.spec.as_ref())
                    .and_then(|s| s.node_name.clone())
                    .expect("every pod is bound");
                node.trim_start_matches("scheduler-perf-")
                    .parse()
                    .expect("a scheduler-perf node")
            })
            .collect()
    }

    #[test]
    fn node_affinity_and_spreading_workloads_respect_their_constraints() {
        let (mut c, target) = build(Workload::NodeAffinity, 60, 50, 200, 2);
        assert_eq!(target, 250);
        assert_eq!(run_to_completion(&mut c, target).0, 250);
        assert_eq!(node_indexes(&c).len(), 250);
        let (mut c, target) = build(Workload::TopologySpreading, 60, 0, 200, 3);
        assert_eq!(run_to_completion(&mut c, target).0, 200);
        let mut zones = [0i64; 3];
        for i in node_indexes(&c) {
            zones[i % 3] += 1;
        }
        let skew = zones.iter().max().unwrap() - zones.iter().min().unwrap();
        assert!(skew <= 5, "{zones:?}");
    }
}
