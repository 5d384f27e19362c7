//! The kube-scheduler model end to end: the default profile's decisions and
//! explained scores against values computed by hand from the real formulas,
//! summarized explanations against full ones,
//! the FailedScheduling messages, node selectors and taints, topology spread,
//! inter-pod anti-affinity, host ports and preemption; and a property test
//! that no node is over-committed, no required anti-affinity is broken and a
//! pod left Pending fits nowhere.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use serde_json::{json, Value};
use sim_core::api::labels::Selector;
use sim_core::api::quantity::parse_cpu_millis;
use sim_core::api::{Kind, Object};
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::Cluster;
use sim_core::config::{ClusterConfig, ExplainScheduling, NodeConfig};
use sim_core::invariants::InvariantChecker;
use sim_core::trace::scheduling::{Attempt, FilterVerdict, TOP_NODES};
use sim_core::trace::Trace;

use common::{at, create, get_pod};

const CONTROL_PLANE_TAINT: &str =
    "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }";

/// A kubeadm cluster without coredns (so workers start empty but for
/// kube-proxy), keeping explanations.
fn config(workers: usize) -> ClusterConfig {
    let mut c = ClusterConfig::kubeadm(workers);
    c.coredns_replicas = 0;
    c.explain_scheduling = ExplainScheduling::Auto;
    c
}

fn start(config: ClusterConfig, seed: u64) -> Cluster {
    let mut c = kubeadm_cluster(config, seed, Trace::new());
    c.run_until(at(10)).unwrap();
    c
}

fn pod(name: &str, spec: Value) -> Value {
    pod_labelled(name, json!({}), spec)
}

fn pod_labelled(name: &str, labels: Value, spec: Value) -> Value {
    let mut spec = spec;
    if spec.get("containers").is_none() {
        spec["containers"] = json!([{"name": "app", "image": "nginx:1.25"}]);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": labels},
        "spec": spec,
    })
}

fn requests(cpu: &str, memory: &str) -> Value {
    json!([{"name": "app", "image": "nginx:1.25",
            "resources": {"requests": {"cpu": cpu, "memory": memory}}}])
}

fn node_of(c: &mut Cluster, name: &str) -> String {
    get_pod(c, name)["spec"]["nodeName"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn scheduled_message(c: &mut Cluster, name: &str) -> String {
    let p = get_pod(c, name);
    p["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "PodScheduled"))
        .and_then(|c| c["message"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn attempts(c: &Cluster) -> Vec<Attempt> {
    c.trace().attempts().to_vec()
}

fn last_attempt(c: &Cluster, pod: &str) -> Attempt {
    attempts(c)
        .into_iter()
        .rev()
        .find(|a| a.pod == format!("default/{pod}"))
        .unwrap_or_else(|| panic!("no attempt for {pod}"))
}

fn labelled_node(name: &str, labels: &[(&str, &str)]) -> NodeConfig {
    let mut n = NodeConfig::new(name, false);
    n.labels = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    n
}

#[test]
fn explained_scores_follow_the_default_profile_formulas() {
    let mut c = start(config(2), 1);
    create(
        &mut c,
        Kind::Pod,
        pod("p", json!({"containers": requests("1", "1Gi")})),
    );
    c.run_until(at(20)).unwrap();
    let a = last_attempt(&c, "p");
    assert_eq!(a.result, "scheduled");
    assert_eq!(a.profile, "default-scheduler");
    // The control plane is filtered out by its taint.
    assert_eq!(
        a.nodes().unwrap()["control-plane"].filter,
        FilterVerdict::Rejected {
            plugin: "TaintToleration",
            reason: CONTROL_PLANE_TAINT.into()
        }
    );
    // A worker: 4000m and 8Gi - 100Mi (eviction threshold) = 8092Mi allocatable;
    // kube-proxy requests nothing, so it counts 100m / 200Mi for scoring only.
    let w = &a.nodes().unwrap()["worker-1"];
    assert_eq!(w.filter, FilterVerdict::OK);
    let s = |plugin: &str| w.scores[plugin];
    // least_allocated.go: cpu (4000 - 1100) * 100 / 4000 = 72,
    // memory (8092 - 1224) * 100 / 8092 = 84; (72 + 84) / 2 = 78.
    assert_eq!(s("NodeResourcesFit").raw, 78);
    assert_eq!(s("NodeResourcesFit").weighted, 78);
    // balanced_allocation.go: fractions 1000/4000 = 0.25 and 1024/8092;
    // std = |0.25 - 0.12654| / 2; int64((1 - std) * 100) = 93.
    assert_eq!(s("NodeResourcesBalancedAllocation").raw, 93);
    // taint_toleration.go: no PreferNoSchedule taints -> 0, reversed -> 100, weight 3.
    assert_eq!(s("TaintToleration").raw, 0);
    assert_eq!(s("TaintToleration").normalized, 100);
    assert_eq!(s("TaintToleration").weighted, 300);
    // image_locality.go: the image is on no node -> 0.
    assert_eq!(s("ImageLocality").raw, 0);
    // A bare pod: no spreading selector, no inter-pod affinity -> both skipped.
    assert!(!w.scores.contains_key("PodTopologySpread"));
    assert!(!w.scores.contains_key("InterPodAffinity"));
    assert_eq!(w.total, Some(300 + 78 + 93));
    assert_eq!(
        a.nodes().unwrap()["worker-2"].total,
        Some(471),
        "both workers tie"
    );
    assert!(a.node.as_deref().is_some_and(|n| n.starts_with("worker-")));
}

#[test]
fn node_selector_and_taints_steer_pods() {
    let mut cfg = config(0);
    cfg.nodes.push(labelled_node("plain", &[]));
    cfg.nodes
        .push(labelled_node("fast", &[("disktype", "ssd")]));
    let mut gpu = labelled_node("gpu", &[("accelerator", "gpu")]);
    gpu.taints = vec![k8s_openapi::api::core::v1::Taint {
        key: "dedicated".into(),
        value: Some("gpu".into()),
        effect: "NoSchedule".into(),
        time_added: None,
    }];
    cfg.nodes.push(gpu);
    let mut c = start(cfg, 2);
    create(
        &mut c,
        Kind::Pod,
        pod("ssd", json!({"nodeSelector": {"disktype": "ssd"}})),
    );
    create(
        &mut c,
        Kind::Pod,
        pod(
            "trainer",
            json!({"nodeSelector": {"accelerator": "gpu"},
                   "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]}),
        ),
    );
    create(
        &mut c,
        Kind::Pod,
        pod("nowhere", json!({"nodeSelector": {"disktype": "nvme"}})),
    );
    for i in 0..6 {
        create(&mut c, Kind::Pod, pod(&format!("web-{i}"), json!({})));
    }
    c.run_until(at(30)).unwrap();
    assert_eq!(node_of(&mut c, "ssd"), "fast");
    assert_eq!(node_of(&mut c, "trainer"), "gpu");
    for i in 0..6 {
        let n = node_of(&mut c, &format!("web-{i}"));
        assert!(n == "plain" || n == "fast", "web-{i} on {n}");
    }
    assert_eq!(node_of(&mut c, "nowhere"), "");
    assert_eq!(
        scheduled_message(&mut c, "nowhere"),
        format!(
            "0/4 nodes are available: 1 node(s) had untolerated taint {{dedicated: gpu}}, 1 {CONTROL_PLANE_TAINT}, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling."
        )
    );
}

#[test]
fn preferred_node_affinity_scores_by_weight() {
    let mut cfg = config(0);
    cfg.nodes.push(labelled_node("a", &[("tier", "gold")]));
    cfg.nodes.push(labelled_node("b", &[("tier", "silver")]));
    let mut c = start(cfg, 3);
    create(
        &mut c,
        Kind::Pod,
        pod(
            "p",
            json!({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 80, "preference": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["gold"]}]}},
                {"weight": 20, "preference": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["silver"]}]}}
            ]}}}),
        ),
    );
    c.run_until(at(20)).unwrap();
    let a = last_attempt(&c, "p");
    let na = a.nodes().unwrap()["a"].scores["NodeAffinity"];
    let nb = a.nodes().unwrap()["b"].scores["NodeAffinity"];
    // node_affinity.go: raw = sum of matching weights; DefaultNormalizeScore:
    // 100 * s / max; weight 2.
    assert_eq!((na.raw, na.normalized, na.weighted), (80, 100, 200));
    assert_eq!((nb.raw, nb.normalized, nb.weighted), (20, 25, 50));
    assert_eq!(node_of(&mut c, "p"), "a");
}

#[test]
fn topology_spread_keeps_zones_within_max_skew() {
    let mut cfg = config(0);
    cfg.nodes
        .push(labelled_node("a1", &[("topology.kubernetes.io/zone", "a")]));
    cfg.nodes
        .push(labelled_node("a2", &[("topology.kubernetes.io/zone", "a")]));
    cfg.nodes
        .push(labelled_node("b1", &[("topology.kubernetes.io/zone", "b")]));
    let mut c = start(cfg, 4);
    let spread = json!({"topologySpreadConstraints": [{
        "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
        "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"app": "web"}}
    }]});
    for i in 0..6 {
        create(
            &mut c,
            Kind::Pod,
            pod_labelled(&format!("web-{i}"), json!({"app": "web"}), spread.clone()),
        );
        c.run_until(at(12 + 2 * i)).unwrap();
    }
    c.run_until(at(30)).unwrap();
    let mut zones: BTreeMap<&str, i32> = BTreeMap::new();
    for i in 0..6 {
        let n = node_of(&mut c, &format!("web-{i}"));
        let zone = if n == "b1" { "b" } else { "a" };
        *zones.entry(zone).or_default() += 1;
    }
    assert_eq!(zones, BTreeMap::from([("a", 3), ("b", 3)]));
    // Pods confined to zone a that count zone b too (nodeAffinityPolicy:
    // Ignore): the first makes a 4 / b 3 (skew 1), the second would make the
    // skew 2 and is rejected with the real reason.
    let confined = json!({"nodeSelector": {"topology.kubernetes.io/zone": "a"},
    "topologySpreadConstraints": [{
        "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
        "whenUnsatisfiable": "DoNotSchedule", "nodeAffinityPolicy": "Ignore",
        "labelSelector": {"matchLabels": {"app": "web"}}
    }]});
    for name in ["web-a", "web-b"] {
        create(
            &mut c,
            Kind::Pod,
            pod_labelled(name, json!({"app": "web"}), confined.clone()),
        );
        c.run_until(at(35)).unwrap();
    }
    c.run_until(at(45)).unwrap();
    assert!(node_of(&mut c, "web-a").starts_with('a'));
    assert_eq!(node_of(&mut c, "web-b"), "");
    assert_eq!(
        scheduled_message(&mut c, "web-b"),
        format!("0/4 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 {CONTROL_PLANE_TAINT}, 2 node(s) didn't match pod topology spread constraints. preemption: 0/4 nodes are available: 2 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.")
    );
}

#[test]
fn system_default_spreading_scores_pods_a_service_selects() {
    let mut c = start(config(2), 8);
    create(
        &mut c,
        Kind::Service,
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}),
    );
    create(
        &mut c,
        Kind::Pod,
        pod_labelled(
            "web-0",
            json!({"app": "web"}),
            json!({"nodeName": "worker-1"}),
        ),
    );
    c.run_until(at(20)).unwrap();
    create(
        &mut c,
        Kind::Pod,
        pod_labelled("web-1", json!({"app": "web"}), json!({})),
    );
    c.run_until(at(30)).unwrap();
    let a = last_attempt(&c, "web-1");
    let s1 = a.nodes().unwrap()["worker-1"].scores["PodTopologySpread"];
    let s2 = a.nodes().unwrap()["worker-2"].scores["PodTopologySpread"];
    // scoring.go with the System defaults (hostname maxSkew 3, zone maxSkew 5;
    // no zone labels, tolerated under System defaulting): hostname weight
    // ln(2 + 2); worker-1 holds one matching pod: round(1 * 1.386 + 2) = 3,
    // worker-2: 2. Normalized 100 * (max + min - s) / max: 66 and 100; weight 2.
    assert_eq!((s1.raw, s1.normalized, s1.weighted), (3, 66, 132));
    assert_eq!((s2.raw, s2.normalized, s2.weighted), (2, 100, 200));
    assert_eq!(node_of(&mut c, "web-1"), "worker-2");
}

#[test]
fn required_anti_affinity_puts_replicas_on_distinct_nodes() {
    let mut c = start(config(2), 5);
    let anti = json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
        "labelSelector": {"matchLabels": {"app": "db"}},
        "topologyKey": "kubernetes.io/hostname"
    }]}}});
    for i in 0..3 {
        create(
            &mut c,
            Kind::Pod,
            pod_labelled(&format!("db-{i}"), json!({"app": "db"}), anti.clone()),
        );
    }
    c.run_until(at(30)).unwrap();
    let nodes: Vec<String> = (0..3)
        .map(|i| node_of(&mut c, &format!("db-{i}")))
        .collect();
    let placed: Vec<&String> = nodes.iter().filter(|n| !n.is_empty()).collect();
    assert_eq!(placed.len(), 2);
    assert_ne!(placed[0], placed[1]);
    let pending = (0..3).find(|i| nodes[*i].is_empty()).expect("one pending");
    assert_eq!(
        scheduled_message(&mut c, &format!("db-{pending}")),
        format!("0/3 nodes are available: 1 {CONTROL_PLANE_TAINT}, 2 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.")
    );
}

#[test]
fn host_ports_conflict() {
    let mut c = start(config(1), 6);
    let ports = json!({"containers": [{"name": "app", "image": "nginx:1.25",
        "ports": [{"containerPort": 80, "hostPort": 8080}]}]});
    create(&mut c, Kind::Pod, pod("first", ports.clone()));
    c.run_until(at(15)).unwrap();
    create(&mut c, Kind::Pod, pod("second", ports));
    c.run_until(at(30)).unwrap();
    assert_eq!(node_of(&mut c, "first"), "worker-1");
    assert_eq!(node_of(&mut c, "second"), "");
    assert_eq!(
        scheduled_message(&mut c, "second"),
        // FitError sorts "<count> <reason>" as strings.
        format!("0/2 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 1 {CONTROL_PLANE_TAINT}. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.")
    );
}

#[test]
fn a_higher_priority_pod_preempts_the_fewest_lowest_priority_pods() {
    let mut c = start(config(1), 7);
    for (name, value) in [("low", 100), ("high", 1000)] {
        create(
            &mut c,
            Kind::PriorityClass,
            json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                   "metadata": {"name": name}, "value": value}),
        );
    }
    for i in 0..3 {
        create(
            &mut c,
            Kind::Pod,
            pod(
                &format!("low-{i}"),
                json!({"priorityClassName": "low", "containers": requests("1", "100Mi")}),
            ),
        );
        c.run_until(at(11 + i)).unwrap();
    }
    c.run_until(at(30)).unwrap();
    create(
        &mut c,
        Kind::Pod,
        pod(
            "urgent",
            json!({"priorityClassName": "high", "containers": requests("2", "100Mi")}),
        ),
    );
    c.run_until(at(31)).unwrap();
    // One victim is enough (3 CPUs used of 4; the pod needs 2): the
    // reprieve keeps the two earliest-started low pods.
    let a = last_attempt(&c, "urgent");
    let outcome = a.preemption.expect("preemption nominated a node");
    assert_eq!(outcome.node, "worker-1");
    assert_eq!(outcome.victims, ["default/low-2"]);
    // No "preemption:" part when preemption succeeded (default_preemption.go).
    assert_eq!(
        a.message.as_deref(),
        Some(
            format!("0/2 nodes are available: 1 Insufficient cpu, 1 {CONTROL_PLANE_TAINT}.")
                .as_str()
        )
    );
    assert_eq!(
        get_pod(&mut c, "urgent")["status"]["nominatedNodeName"],
        "worker-1"
    );
    let victim_events: Vec<Value> = c
        .etcd()
        .list(Kind::Event, Some("default"))
        .iter()
        .map(|e| e.to_json())
        .filter(|e| e["reason"] == "Preempted")
        .collect();
    assert_eq!(victim_events.len(), 1);
    let uid = get_pod(&mut c, "urgent")["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        victim_events[0]["message"],
        format!("Preempted by pod {uid} on node worker-1")
    );
    assert_eq!(victim_events[0]["involvedObject"]["name"], "low-2");
    c.run_until(at(90)).unwrap();
    assert_eq!(node_of(&mut c, "urgent"), "worker-1");
    assert_eq!(node_of(&mut c, "low-0"), "worker-1");
    assert_eq!(node_of(&mut c, "low-1"), "worker-1");
    assert!(
        c.etcd().get(Kind::Pod, "default", "low-2").is_none(),
        "the victim is gone"
    );
}

/// The cpu requested by the pods bound to each node and not finished.
fn cpu_used_per_node(c: &Cluster) -> BTreeMap<String, i64> {
    let mut used = BTreeMap::new();
    for p in c.etcd().list(Kind::Pod, None) {
        let Some(pod) = p.as_pod() else { continue };
        let Some(spec) = pod.spec.as_ref() else {
            continue;
        };
        let Some(node) = spec.node_name.as_deref().filter(|n| !n.is_empty()) else {
            continue;
        };
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        if matches!(phase, Some("Succeeded" | "Failed")) {
            continue;
        }
        for ctr in &spec.containers {
            let requests = ctr.resources.as_ref().and_then(|r| r.requests.as_ref());
            if let Some(q) = requests.and_then(|r| r.get("cpu")) {
                *used.entry(node.to_owned()).or_default() += parse_cpu_millis(&q.0).expect("cpu");
            }
        }
    }
    used
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, rng_seed: proptest::test_runner::RngSeed::Fixed(20_251_125), ..ProptestConfig::default() })]

    /// Pods of random sizes, priorities and anti-affinity: no node is ever
    /// over-committed (after any event), no two pods of an anti-affine group
    /// share a node, and a pod still Pending at the end fits on no worker.
    #[test]
    fn placements_respect_resources_priorities_and_anti_affinity(
        seed in 0u64..1_000,
        workers in 1usize..=3,
        pods in prop::collection::vec((100i64..=2_500, 0usize..3, any::<bool>()), 1..=10),
    ) {
        let mut c = start(config(workers), seed);
        for (name, value) in [("p0", 0), ("p1", 100), ("p2", 200)] {
            create(&mut c, Kind::PriorityClass, json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name}, "value": value}));
        }
        for (i, (cpu, prio, anti)) in pods.iter().enumerate() {
            let mut spec = json!({"priorityClassName": format!("p{prio}"), "containers": requests(&format!("{cpu}m"), "64Mi")});
            let labels = if *anti {
                spec["affinity"] = json!({"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
                    "labelSelector": {"matchLabels": {"group": "solo"}}, "topologyKey": "kubernetes.io/hostname"}]}});
                json!({"group": "solo"})
            } else {
                json!({})
            };
            create(&mut c, Kind::Pod, pod_labelled(&format!("p{i}"), labels, spec));
        }
        // No node is ever over-committed: checked after every event, each
        // bind included, not only at the end.
        let end = at(150);
        let mut invariants = InvariantChecker::new();
        while c.now() < end && c.step().unwrap() {
            if let Err(v) = invariants.check(&c) {
                prop_assert!(false, "{v}");
            }
            for (node, cpu) in &cpu_used_per_node(&c) {
                prop_assert!(*cpu <= 4000, "{node} over-committed at {:?}: {cpu}m", c.now());
            }
        }
        let used = cpu_used_per_node(&c);
        let all: Vec<Arc<Object>> = c.etcd().list(Kind::Pod, Some("default"));
        let mut solo_nodes: BTreeMap<String, usize> = BTreeMap::new();
        for p in &all {
            let v = p.to_json();
            let node = v["spec"]["nodeName"].as_str().unwrap_or_default();
            if !node.is_empty() && v["metadata"]["labels"]["group"] == "solo" && v["metadata"]["deletionTimestamp"].is_null() {
                *solo_nodes.entry(node.to_owned()).or_default() += 1;
            }
        }
        for (node, n) in &solo_nodes {
            prop_assert!(*n <= 1, "{n} anti-affine pods share {node}");
        }
        for p in &all {
            let v = p.to_json();
            if !v["spec"]["nodeName"].as_str().unwrap_or_default().is_empty() {
                continue;
            }
            let cpu = parse_cpu_millis(v["spec"]["containers"][0]["resources"]["requests"]["cpu"].as_str().unwrap()).unwrap();
            let solo = v["metadata"]["labels"]["group"] == "solo";
            for w in 1..=workers {
                let node = format!("worker-{w}");
                let free = 4000 - used.get(&node).copied().unwrap_or(0);
                let blocked = solo && solo_nodes.contains_key(&node);
                prop_assert!(cpu > free || blocked, "{} ({cpu}m) is Pending but fits {node} ({free}m free)", v["metadata"]["name"]);
            }
        }
    }
}

#[test]
fn preferred_pod_affinity_scores_the_topology_of_matching_pods() {
    let mut c = start(config(2), 9);
    create(
        &mut c,
        Kind::Pod,
        pod_labelled("db", json!({"app": "db"}), json!({"nodeName": "worker-1"})),
    );
    c.run_until(at(15)).unwrap();
    create(
        &mut c,
        Kind::Pod,
        pod(
            "web",
            json!({"affinity": {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                "weight": 50,
                "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "db"}},
                                    "topologyKey": "kubernetes.io/hostname"}
            }]}}}),
        ),
    );
    c.run_until(at(25)).unwrap();
    let a = last_attempt(&c, "web");
    let s1 = a.nodes().unwrap()["worker-1"].scores["InterPodAffinity"];
    let s2 = a.nodes().unwrap()["worker-2"].scores["InterPodAffinity"];
    // interpodaffinity/scoring.go: +50 for the hostname domain holding the db
    // pod; normalized 100 * (s - min) / (max - min); weight 2.
    assert_eq!((s1.raw, s1.normalized, s1.weighted), (50, 100, 200));
    assert_eq!((s2.raw, s2.normalized, s2.weighted), (0, 0, 0));
    assert_eq!(node_of(&mut c, "web"), "worker-1");
}

#[test]
fn a_missing_or_unbound_claim_rejects_every_node_at_prefilter() {
    let mut c = start(config(1), 10);
    create(
        &mut c,
        Kind::Pod,
        pod(
            "needs-claim",
            json!({"volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]}),
        ),
    );
    c.run_until(at(15)).unwrap();
    assert_eq!(node_of(&mut c, "needs-claim"), "");
    assert_eq!(
        scheduled_message(&mut c, "needs-claim"),
        "0/2 nodes are available: persistentvolumeclaim \"data\" not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    );
    create(
        &mut c,
        Kind::PersistentVolumeClaim,
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": {"name": "data", "namespace": "default"},
               "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}),
    );
    c.run_until(at(30)).unwrap();
    // The claim exists but no volume is bound to it.
    assert_eq!(node_of(&mut c, "needs-claim"), "");
    assert_eq!(
        scheduled_message(&mut c, "needs-claim"),
        "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    );
    create(
        &mut c,
        Kind::PersistentVolume,
        json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "disk"},
               "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                        "hostPath": {"path": "/mnt/disk"}}}),
    );
    // Bound at the PV controller's next resync; the claim's change moves
    // the pod out of the pool.
    c.run_until(at(60)).unwrap();
    assert_eq!(node_of(&mut c, "needs-claim"), "worker-1");
}

#[test]
fn delayed_binding_picks_a_volume_that_fits_the_node() {
    let mut c = start(config(2), 10);
    create(
        &mut c,
        Kind::StorageClass,
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
               "metadata": {"name": "local"}, "provisioner": "kubernetes.io/no-provisioner",
               "volumeBindingMode": "WaitForFirstConsumer"}),
    );
    let claim = |name: &str| {
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": {"name": name, "namespace": "default"},
               "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "local",
                        "resources": {"requests": {"storage": "1Gi"}}}})
    };
    create(&mut c, Kind::PersistentVolumeClaim, claim("data"));
    let volume = |claim: &str| json!({"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": claim}}]});
    create(&mut c, Kind::Pod, pod("early", volume("data")));
    c.run_until(at(20)).unwrap();
    // No volume, no provisioner: no node will do.
    assert_eq!(node_of(&mut c, "early"), "");
    assert_eq!(
        scheduled_message(&mut c, "early"),
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't find available persistent volumes to bind. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    );
    // A local volume on worker-2: the pod goes there, the volume is its claim's.
    create(
        &mut c,
        Kind::PersistentVolume,
        json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "local-w2"},
               "spec": {"capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteOnce"],
                        "storageClassName": "local", "hostPath": {"path": "/mnt/disks/1"},
                        "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                            {"key": "kubernetes.io/hostname", "operator": "In", "values": ["worker-2"]}]}]}}}}),
    );
    c.run_until(at(60)).unwrap();
    assert_eq!(node_of(&mut c, "early"), "worker-2");
    let pv = c
        .etcd()
        .get(Kind::PersistentVolume, "", "local-w2")
        .unwrap()
        .to_json();
    assert_eq!(pv["spec"]["claimRef"]["name"], "data");
    let pvc = c
        .etcd()
        .get(Kind::PersistentVolumeClaim, "default", "data")
        .unwrap()
        .to_json();
    assert_eq!(pvc["status"]["phase"], "Bound");
    // Bound, the claim holds its pods to the volume's node.
    create(&mut c, Kind::Pod, pod("later", volume("data")));
    c.run_until(at(70)).unwrap();
    assert_eq!(node_of(&mut c, "later"), "worker-2");
}

/// A 1Gi claim `data` of `class`, and a pod `app` using it.
fn claim_and_pod(c: &mut Cluster, class: &str) {
    create(
        c,
        Kind::PersistentVolumeClaim,
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": {"name": "data", "namespace": "default"},
               "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": class,
                        "resources": {"requests": {"storage": "1Gi"}}}}),
    );
    create(
        c,
        Kind::Pod,
        pod(
            "app",
            json!({"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}),
        ),
    );
}

#[test]
fn a_pod_with_a_delayed_claim_is_bound_only_once_its_claim_is() {
    let mut c = start(config(1), 12);
    create(
        &mut c,
        Kind::StorageClass,
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
               "metadata": {"name": "local"}, "provisioner": "kubernetes.io/no-provisioner",
               "volumeBindingMode": "WaitForFirstConsumer"}),
    );
    create(
        &mut c,
        Kind::PersistentVolume,
        json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "local-w1"},
               "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                        "storageClassName": "local", "hostPath": {"path": "/mnt/disks/1"}}}),
    );
    claim_and_pod(&mut c, "local");
    // Step by step: the claim's binding comes first, the pod's within the
    // binder's one-second poll after it.
    let (mut claim_bound, mut pod_bound) = (None, None);
    while c.now() < at(40) && pod_bound.is_none() {
        let next = c.now() + sim_core::SimDuration::from_millis(50);
        c.run_until(next).unwrap();
        let claim = c
            .etcd()
            .get(Kind::PersistentVolumeClaim, "default", "data")
            .unwrap()
            .to_json();
        if claim_bound.is_none() && claim["spec"]["volumeName"] == "local-w1" {
            claim_bound = Some(c.now());
        }
        if !node_of(&mut c, "app").is_empty() {
            pod_bound = Some(c.now());
        }
    }
    let (claim_bound, pod_bound) = (claim_bound.unwrap(), pod_bound.unwrap());
    assert!(pod_bound > claim_bound, "the pod waited for its claim");
    assert!(
        pod_bound.saturating_since(claim_bound) <= sim_core::SimDuration::from_millis(1100),
        "bound {:?} after its claim",
        pod_bound.saturating_since(claim_bound)
    );
}

#[test]
fn a_delayed_claim_no_provisioner_serves_fails_the_binding_after_ten_minutes() {
    let mut c = start(config(1), 13);
    create(
        &mut c,
        Kind::StorageClass,
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
               "metadata": {"name": "cloud"}, "provisioner": "example.com/nobody",
               "volumeBindingMode": "WaitForFirstConsumer"}),
    );
    claim_and_pod(&mut c, "cloud");
    c.run_until(at(20)).unwrap();
    let claim = c
        .etcd()
        .get(Kind::PersistentVolumeClaim, "default", "data")
        .unwrap()
        .to_json();
    assert_eq!(
        claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"], "worker-1",
        "PreBind chose the node for the provisioner"
    );
    let failures = |c: &Cluster| common::event_messages(c, "app", "FailedScheduling");
    c.run_until(at(600)).unwrap();
    assert_eq!(node_of(&mut c, "app"), "", "waiting for the claim");
    assert!(failures(&c).is_empty());
    c.run_until(at(625)).unwrap();
    assert_eq!(
        failures(&c),
        vec![
            "running PreBind plugin \"VolumeBinding\": binding volumes: context deadline exceeded"
        ]
    );
    assert_eq!(node_of(&mut c, "app"), "", "tried again, waiting again");
}

/// The same run explained in full and summarized, for every plugin that
/// scores: a Service's default spreading, preferred node and pod affinity,
/// a PreferNoSchedule taint, images already on nodes, a lone feasible node
/// and a pod that fits nowhere.
fn mixed_run(explain: ExplainScheduling) -> Vec<Attempt> {
    let mut cfg = config(3);
    cfg.explain_scheduling = explain;
    let mut gold = labelled_node("gold", &[("tier", "gold")]);
    gold.taints.push(k8s_openapi::api::core::v1::Taint {
        key: "spot".into(),
        effect: "PreferNoSchedule".into(),
        ..Default::default()
    });
    cfg.nodes.push(gold);
    let mut c = start(cfg, 11);
    create(
        &mut c,
        Kind::Service,
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}),
    );
    let mut t = 12;
    let mut add = |c: &mut Cluster, name: &str, labels: Value, spec: Value| {
        create(c, Kind::Pod, pod_labelled(name, labels, spec));
        t += 5;
        c.run_until(at(t)).unwrap();
    };
    for i in 0..4 {
        let spec = json!({"containers": requests(&format!("{}m", 300 + 100 * i), "256Mi")});
        add(&mut c, &format!("web-{i}"), json!({"app": "web"}), spec);
    }
    add(
        &mut c,
        "gold-lover",
        json!({}),
        json!({"tolerations": [{"key": "spot", "operator": "Exists"}],
               "affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 60, "preference": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["gold"]}]}}
        ]}}}),
    );
    add(
        &mut c,
        "near-web",
        json!({}),
        json!({"affinity": {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
            "weight": 50,
            "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "web"}},
                                "topologyKey": "kubernetes.io/hostname"}
        }]}}}),
    );
    add(
        &mut c,
        "only-gold",
        json!({}),
        json!({"nodeSelector": {"tier": "gold"}}),
    );
    add(
        &mut c,
        "huge",
        json!({}),
        json!({"containers": requests("100", "1Gi")}),
    );
    c.run_until(at(t + 20)).unwrap();
    attempts(&c)
}

#[test]
fn a_summary_agrees_with_the_full_explanation() {
    let full = mixed_run(ExplainScheduling::Auto);
    let summarized = mixed_run(ExplainScheduling::FullFor(Selector::nothing()));
    assert_eq!(full.len(), summarized.len());
    let mut scored = 0;
    for (f, s) in full.iter().zip(&summarized) {
        let what = format!("{} at {}", f.pod, f.t_ns);
        // The same decision, only explained differently.
        assert_eq!(
            (
                &f.t_ns,
                &f.pod,
                &f.result,
                &f.node,
                &f.message,
                &f.preemption
            ),
            (
                &s.t_ns,
                &s.pod,
                &s.result,
                &s.node,
                &s.message,
                &s.preemption
            ),
            "{what}"
        );
        let nodes = f.nodes().expect("in full");
        let sum = s.summary().expect("summarized");
        assert_eq!(sum.examined, nodes.len(), "{what}");
        let feasible: Vec<(&String, Option<i64>)> = nodes
            .iter()
            .filter(|(_, v)| v.filter == FilterVerdict::OK)
            .map(|(n, v)| (n, v.total))
            .collect();
        assert_eq!(sum.feasible, feasible.len(), "{what}");
        let mut filtered: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
        for v in nodes.values() {
            if let FilterVerdict::Rejected { plugin, reason } = &v.filter {
                *filtered
                    .entry(*plugin)
                    .or_default()
                    .entry(reason.clone())
                    .or_default() += 1;
            }
        }
        assert_eq!(sum.filtered, filtered, "{what}");
        // The best nodes: by total, the chosen one first among equals, then by name.
        let mut ranked = feasible.clone();
        ranked.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| (Some(b.0) == f.node.as_ref()).cmp(&(Some(a.0) == f.node.as_ref())))
                .then_with(|| a.0.cmp(b.0))
        });
        ranked.truncate(TOP_NODES);
        let top: Vec<(&String, Option<i64>)> = sum.top.iter().map(|t| (&t.node, t.total)).collect();
        assert_eq!(top, ranked, "{what}");
        if let Some(first) = sum.top.first() {
            assert_eq!(
                Some(&first.node),
                f.node.as_ref(),
                "{what}: the chosen node leads"
            );
        }
        for t in &sum.top {
            let full_scores = &nodes[&t.node].scores;
            for (plugin, parts) in full_scores {
                match t.scores.get(plugin) {
                    Some(&w) => assert_eq!(w, parts.weighted, "{what}: {plugin} on {}", t.node),
                    None => assert!(
                        *plugin == "ImageLocality" && parts.weighted == 0,
                        "{what}: {plugin} missing on {}",
                        t.node
                    ),
                }
            }
            assert!(
                t.scores.keys().all(|p| full_scores.contains_key(p)),
                "{what}"
            );
            if t.total.is_some() {
                scored += 1;
            }
        }
    }
    // Every plugin of the default profile scored somewhere.
    let plugins: std::collections::BTreeSet<&str> = summarized
        .iter()
        .flat_map(|a| a.summary().unwrap().top.iter())
        .flat_map(|t| t.scores.iter().filter(|(_, w)| **w != 0).map(|(p, _)| *p))
        .collect();
    assert!(scored > 0);
    assert_eq!(
        plugins.into_iter().collect::<Vec<_>>(),
        [
            "ImageLocality",
            "InterPodAffinity",
            "NodeAffinity",
            "NodeResourcesBalancedAllocation",
            "NodeResourcesFit",
            "PodTopologySpread",
            "TaintToleration"
        ]
    );
    for pod in ["default/only-gold", "default/huge"] {
        assert!(summarized.iter().any(|a| a.pod == pod), "{pod} attempted");
    }
    let lone = summarized
        .iter()
        .find(|a| a.pod == "default/only-gold")
        .unwrap();
    let top = &lone.summary().unwrap().top;
    assert_eq!(top.len(), 1);
    assert_eq!((top[0].node.as_str(), top[0].total), ("gold", None));
    let huge = summarized.iter().find(|a| a.pod == "default/huge").unwrap();
    assert!(huge.summary().unwrap().top.is_empty());
}

#[test]
fn a_read_write_once_pod_claim_admits_one_pod_in_the_cluster() {
    let mut c = start(config(1), 10);
    create(
        &mut c,
        Kind::PersistentVolume,
        json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "disk"},
               "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOncePod"],
                        "hostPath": {"path": "/mnt/disk"}}}),
    );
    c.run_until(at(12)).unwrap();
    create(
        &mut c,
        Kind::PersistentVolumeClaim,
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": {"name": "data", "namespace": "default"},
               "spec": {"accessModes": ["ReadWriteOncePod"], "storageClassName": "",
                        "resources": {"requests": {"storage": "1Gi"}}}}),
    );
    c.run_until(at(14)).unwrap();
    let volume =
        json!({"volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]});
    create(&mut c, Kind::Pod, pod("first", volume.clone()));
    c.run_until(at(20)).unwrap();
    assert_eq!(node_of(&mut c, "first"), "worker-1");
    create(&mut c, Kind::Pod, pod("second", volume));
    c.run_until(at(30)).unwrap();
    assert_eq!(node_of(&mut c, "second"), "");
    // The control plane's taint is checked first (profile order).
    assert_eq!(
        scheduled_message(&mut c, "second"),
        "0/2 nodes are available: 1 node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling."
    );
    common::delete(&mut c, Kind::Pod, "default", "first");
    c.run_until(at(120)).unwrap();
    assert_ne!(node_of(&mut c, "second"), "");
}
