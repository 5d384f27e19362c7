//! Node lifecycle in virtual time: a worker whose kubelet stops is marked
//! Unknown after the grace period, its pods go NotReady, the unreachable
//! NoExecute taint evicts them after their tolerationSeconds and the
//! ReplicaSet's replacements run elsewhere (k8s-semantics §4.2, §4.4, §4.5);
//! cordoned nodes carry the unschedulable taint; the per-zone rate limit
//! spaces taints; pod GC removes pods of deleted nodes (§4.6).

use sim_core::components::Role;
use std::sync::Arc;

use serde_json::{json, Value};
use sim_core::api::{Kind, Object, ObjectKey};
use sim_core::apiserver::{DeleteOptions, Request};
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::Cluster;
use sim_core::config::ClusterConfig;
use sim_core::trace::Trace;
use sim_core::{SimDuration, SimTime};

mod common;

use common::at;

fn secs(t: SimTime) -> f64 {
    t.as_nanos() as f64 / 1e9
}

fn node(c: &Cluster, name: &str) -> Value {
    c.etcd()
        .get(Kind::Node, "", name)
        .map(|n| n.to_json())
        .unwrap_or(Value::Null)
}

fn node_condition(c: &Cluster, name: &str, type_: &str) -> Value {
    node(c, name)["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|x| x["type"] == type_).cloned())
        .unwrap_or(Value::Null)
}

fn has_taint(c: &Cluster, name: &str, key: &str, effect: &str) -> bool {
    node(c, name)["spec"]["taints"]
        .as_array()
        .is_some_and(|ts| ts.iter().any(|t| t["key"] == key && t["effect"] == effect))
}

fn pods(c: &Cluster) -> Vec<Arc<Object>> {
    c.etcd().list(Kind::Pod, Some("default"))
}

fn pod_node(p: &Object) -> String {
    p.to_json()["spec"]["nodeName"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn pod_ready(p: &Object) -> String {
    p.to_json()["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|x| x["type"] == "Ready").cloned())
        .map(|c| c["status"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

/// A ReplicaSet of `replicas` nginx pods, optionally tolerating
/// `unreachable:NoExecute` for `toleration_secs`.
fn replicaset(replicas: i32, toleration_secs: Option<i64>) -> Object {
    let mut spec = json!({"containers": [{"name": "web", "image": "nginx:1.14.2"}]});
    if let Some(s) = toleration_secs {
        spec["tolerations"] = json!([{
            "key": "node.kubernetes.io/unreachable", "operator": "Exists",
            "effect": "NoExecute", "tolerationSeconds": s
        }]);
    }
    Kind::ReplicaSet
        .decode(&json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}}
        }))
        .expect("decodes")
}

struct Outcome {
    unknown: f64,
    taint: f64,
    deleted: f64,
    replaced_running: f64,
}

/// Runs a 2-worker cluster with a ReplicaSet, stops worker-1's kubelet at
/// 60 s and returns when things happened (seconds after the stop).
fn kill_worker(toleration_secs: Option<i64>) -> (Cluster, Outcome) {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(2), 7, Trace::new());
    c.run_until(at(10)).unwrap();
    c.request("kubectl", Request::Create(replicaset(4, toleration_secs)))
        .expect("created");
    c.run_until(at(60)).unwrap();
    let victims: Vec<String> = pods(&c)
        .iter()
        .filter(|p| pod_node(p) == "worker-1")
        .map(|p| p.name().to_owned())
        .collect();
    assert!(!victims.is_empty(), "some pods run on worker-1");
    assert!(c.set_running(&Role::Kubelet("worker-1".into()), false));
    let stop = c.now();
    let (mut unknown, mut taint, mut deleted, mut replaced) = (None, None, None, None);
    while c.now() < stop + SimDuration::from_secs(600) && replaced.is_none() {
        let next = c.now() + SimDuration::from_millis(100);
        c.run_until(next).unwrap();
        let since = secs(c.now()) - secs(stop);
        if unknown.is_none() && node_condition(&c, "worker-1", "Ready")["status"] == "Unknown" {
            unknown = Some(since);
            // Pods go NotReady at once (within the delivery latency).
            c.run_until(c.now() + SimDuration::from_millis(100))
                .unwrap();
            for p in pods(&c)
                .iter()
                .filter(|p| victims.contains(&p.name().to_owned()))
            {
                assert_eq!(pod_ready(p), "False", "pod {} NotReady", p.name());
            }
        }
        if taint.is_none()
            && has_taint(
                &c,
                "worker-1",
                "node.kubernetes.io/unreachable",
                "NoExecute",
            )
        {
            taint = Some(since);
        }
        if deleted.is_none()
            && pods(&c).iter().any(|p| {
                victims.contains(&p.name().to_owned()) && p.meta().deletion_timestamp.is_some()
            })
        {
            deleted = Some(since);
        }
        if deleted.is_some() {
            let running_elsewhere = pods(&c)
                .iter()
                .filter(|p| p.meta().deletion_timestamp.is_none())
                .filter(|p| pod_node(p) == "worker-2")
                .filter(|p| p.to_json()["status"]["phase"] == "Running")
                .count();
            if running_elsewhere == 4 {
                replaced = Some(since);
            }
        }
    }
    let out = Outcome {
        unknown: unknown.expect("node went Unknown"),
        taint: taint.expect("unreachable NoExecute taint"),
        deleted: deleted.expect("pods deleted"),
        replaced_running: replaced.expect("replacements running"),
    };
    (c, out)
}

#[test]
fn dead_kubelet_node_goes_unknown_and_pods_are_replaced_after_about_six_minutes() {
    let (c, o) = kill_worker(None);
    assert!(
        (50.0..=65.0).contains(&o.unknown),
        "Unknown at {}",
        o.unknown
    );
    let ready = node_condition(&c, "worker-1", "Ready");
    assert_eq!(ready["reason"], "NodeStatusUnknown");
    assert_eq!(ready["message"], "Kubelet stopped posting node status.");
    for t in ["MemoryPressure", "DiskPressure", "PIDPressure"] {
        let cond = node_condition(&c, "worker-1", t);
        assert_eq!(cond["status"], "Unknown", "{t}");
        assert_eq!(cond["reason"], "NodeStatusUnknown", "{t}");
    }
    assert!(has_taint(
        &c,
        "worker-1",
        "node.kubernetes.io/unreachable",
        "NoSchedule"
    ));
    assert!(
        o.taint >= o.unknown && o.taint <= o.unknown + 6.0,
        "taint at {}",
        o.taint
    );
    let after_taint = o.deleted - o.taint;
    assert!(
        (299.0..=301.0).contains(&after_taint),
        "deleted {after_taint}s after the taint"
    );
    assert!(
        (350.0..=375.0).contains(&o.replaced_running),
        "replaced at {}",
        o.replaced_running
    );
    // The old pods stay Terminating with DisruptionTarget: no kubelet confirms.
    let terminating: Vec<_> = pods(&c)
        .into_iter()
        .filter(|p| p.meta().deletion_timestamp.is_some())
        .collect();
    assert!(!terminating.is_empty());
    for p in &terminating {
        let conds = p.to_json()["status"]["conditions"].clone();
        assert!(
            conds.as_array().unwrap().iter().any(|x| x["type"] == "DisruptionTarget"
                && x["reason"] == "DeletionByTaintManager"),
            "{conds}"
        );
    }
    let events = c.etcd().list(Kind::Event, None);
    let reasons: Vec<String> = events
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e.to_json()["reason"].as_str().unwrap_or(""),
                e.to_json()["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert!(reasons
        .iter()
        .any(|r| r == "NodeNotReady Node worker-1 status is now: NodeNotReady"));
    assert!(reasons
        .iter()
        .any(|r| r.starts_with("TaintManagerEviction Marking for deletion Pod default/web-")));
}

#[test]
fn toleration_seconds_30_evicts_about_90_seconds_after_the_stop() {
    let (_, o) = kill_worker(Some(30));
    assert!((29.0..=31.0).contains(&(o.deleted - o.taint)));
    assert!(
        (80.0..=100.0).contains(&o.replaced_running),
        "replaced at {}",
        o.replaced_running
    );
}

#[test]
fn cordoned_node_gets_the_unschedulable_taint_and_loses_it_when_uncordoned() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(1), 3, Trace::new());
    c.run_until(at(10)).unwrap();
    let key = ObjectKey::new(Kind::Node, "", "worker-1");
    let patch = |u: bool| Request::Patch {
        key: key.clone(),
        patch: json!({"spec": {"unschedulable": u}}),
    };
    c.request("kubectl", patch(true)).expect("cordon");
    c.run_until(at(11)).unwrap();
    assert!(has_taint(
        &c,
        "worker-1",
        "node.kubernetes.io/unschedulable",
        "NoSchedule"
    ));
    c.request("kubectl", patch(false)).expect("uncordon");
    c.run_until(at(12)).unwrap();
    assert!(!has_taint(
        &c,
        "worker-1",
        "node.kubernetes.io/unschedulable",
        "NoSchedule"
    ));
}

#[test]
fn eviction_rate_limit_spaces_taints_of_one_zone_ten_seconds_apart() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(6), 5, Trace::new());
    c.run_until(at(60)).unwrap();
    for w in ["worker-1", "worker-2", "worker-3"] {
        assert!(c.set_running(&Role::Kubelet(w.to_string()), false));
    }
    let mut times: Vec<Option<f64>> = vec![None; 3];
    while c.now() < at(240) && times.iter().any(Option::is_none) {
        c.run_until(c.now() + SimDuration::from_millis(100))
            .unwrap();
        for (i, w) in ["worker-1", "worker-2", "worker-3"].iter().enumerate() {
            if times[i].is_none() && has_taint(&c, w, "node.kubernetes.io/unreachable", "NoExecute")
            {
                times[i] = Some(secs(c.now()));
            }
        }
    }
    let mut t: Vec<f64> = times.into_iter().map(|x| x.expect("tainted")).collect();
    t.sort_by(f64::total_cmp);
    assert!(t[1] - t[0] >= 9.9 && t[2] - t[1] >= 9.9, "{t:?}");
}

#[test]
fn pod_gc_deletes_pods_of_a_deleted_node_after_the_quarantine() {
    let (mut c, _) = {
        let mut c = kubeadm_cluster(ClusterConfig::kubeadm(2), 7, Trace::new());
        c.run_until(at(10)).unwrap();
        c.request("kubectl", Request::Create(replicaset(4, None)))
            .expect("created");
        c.run_until(at(60)).unwrap();
        (c, ())
    };
    assert!(c.set_running(&Role::Kubelet("worker-1".into()), false));
    let on_node = |c: &Cluster| pods(c).iter().filter(|p| pod_node(p) == "worker-1").count();
    assert!(on_node(&c) > 0);
    c.request(
        "kubectl",
        Request::Delete {
            key: ObjectKey::new(Kind::Node, "", "worker-1"),
            options: DeleteOptions::default(),
        },
    )
    .expect("node deleted");
    let deleted_at = c.now();
    c.run_until(deleted_at + SimDuration::from_secs(39))
        .unwrap();
    assert!(on_node(&c) > 0, "not before the 40 s quarantine");
    let mut gone = None;
    while c.now() < deleted_at + SimDuration::from_secs(90) && gone.is_none() {
        c.run_until(c.now() + SimDuration::from_millis(500))
            .unwrap();
        if on_node(&c) == 0 {
            gone = Some(secs(c.now()) - secs(deleted_at));
        }
    }
    let gone = gone.expect("pods of the deleted node removed");
    assert!(
        (40.0..=80.0).contains(&gone),
        "orphans removed {gone:.1}s after the node deletion"
    );
}
