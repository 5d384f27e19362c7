//! Property tests of the Deployment and ReplicaSet controllers through the
//! library API: random sequences of scale, set image, undo, pause and resume.
//!
//! Properties (pkg/controller/deployment/rolling.go, sync.go):
//! - at every API change during a rollout started from a settled deployment,
//!   the active pods never exceed `replicas + maxSurge` and the available
//!   pods never drop below `replicas - maxUnavailable`;
//! - once resumed and left alone, the deployment converges: status.replicas,
//!   updatedReplicas and availableReplicas equal spec.replicas, the observed
//!   generation is the generation, and every active pod runs the template's image.

use proptest::prelude::*;
use serde_json::{json, Value};
use sim_core::api::meta::time;
use sim_core::api::{Kind, Object, ObjectKey};
use sim_core::apiserver::Request;
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::Cluster;
use sim_core::config::ClusterConfig;
use sim_core::invariants::InvariantChecker;
use sim_core::time::{SimDuration, SimTime};
use sim_core::trace::Trace;

const IMAGES: [&str; 3] = ["nginx:1.14.2", "nginx", "redis"];
const CLIENT: &str = "kubectl";

#[derive(Clone, Debug)]
enum Op {
    Scale(i32),
    SetImage(usize),
    Undo,
    Pause,
    Resume,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..5i32).prop_map(Op::Scale),
        (0..3usize).prop_map(Op::SetImage),
        Just(Op::Undo),
        Just(Op::Pause),
        Just(Op::Resume),
    ]
}

fn key() -> ObjectKey {
    ObjectKey::new(Kind::Deployment, "default", "web")
}

fn deployment(c: &Cluster) -> Value {
    c.etcd()
        .get(Kind::Deployment, "default", "web")
        .map(|o| o.to_json())
        .unwrap_or(Value::Null)
}

fn int(v: &Value, ptr: &str) -> i64 {
    v.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

/// The deployment's active pods (not terminating, not terminal) and how many are Ready.
fn pods(c: &Cluster) -> Vec<Value> {
    c.etcd()
        .list(Kind::Pod, Some("default"))
        .iter()
        .map(|p| p.to_json())
        .filter(|p| p.pointer("/metadata/labels/app") == Some(&json!("web")))
        .filter(|p| p.pointer("/metadata/deletionTimestamp").is_none())
        .filter(|p| {
            !matches!(
                p.pointer("/status/phase").and_then(Value::as_str),
                Some("Succeeded" | "Failed")
            )
        })
        .collect()
}

/// `podutil.IsPodAvailable`: Ready, and for minReadySeconds > 0 Ready since
/// more than that (the transition time has second precision).
fn available(p: &Value, min_ready: u64, now: SimTime) -> bool {
    if !ready(p) {
        return false;
    }
    if min_ready == 0 {
        return true;
    }
    let Some(since) = p
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
        .and_then(|c| c["lastTransitionTime"].as_str())
    else {
        return false;
    };
    // since + minReady < now  <=>  since < now - minReady; the RFC 3339
    // strings of one format compare as the instants do.
    let Some(limit) = now.as_nanos().checked_sub(min_ready * 1_000_000_000) else {
        return false;
    };
    let limit = SimTime::from_nanos(limit);
    let whole = limit.as_nanos() % 1_000_000_000 == 0;
    let limit_str = time(limit).0.to_string();
    if whole {
        since < limit_str.as_str()
    } else {
        since <= limit_str.as_str()
    }
}

fn ready(p: &Value) -> bool {
    p.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

/// `ResolveFenceposts` for the strategies the test uses.
fn fenceposts(surge: &Value, unavailable: &Value, r: i64) -> (i64, i64) {
    let resolve = |v: &Value, up: bool| match v {
        Value::String(s) => {
            let pct: i64 = s.trim_end_matches('%').parse().unwrap_or(0);
            if up {
                (pct * r + 99) / 100
            } else {
                pct * r / 100
            }
        }
        other => other.as_i64().unwrap_or(0),
    };
    let (s, mut u) = (resolve(surge, true), resolve(unavailable, false));
    if s == 0 && u == 0 {
        u = 1;
    }
    (s, u.min(r))
}

fn settled(c: &Cluster) -> bool {
    let d = deployment(c);
    let r = int(&d, "/spec/replicas");
    let p = pods(c);
    int(&d, "/metadata/generation") == int(&d, "/status/observedGeneration")
        && int(&d, "/status/replicas") == r
        && int(&d, "/status/updatedReplicas") == r
        && int(&d, "/status/availableReplicas") == r
        && p.len() as i64 == r
        && p.iter().all(ready)
}

fn apply(c: &mut Cluster, op: &Op) {
    let d = deployment(c);
    let patch = match op {
        Op::Scale(n) => json!({ "spec": { "replicas": n } }),
        Op::Pause => json!({ "spec": { "paused": true } }),
        Op::Resume => json!({ "spec": { "paused": null } }),
        Op::SetImage(i) => {
            json!({ "spec": { "template": { "spec": { "containers": [ { "name": "web", "image": IMAGES[*i] } ] } } } })
        }
        Op::Undo => {
            // rollback.go DeploymentRollbacker: the second-highest revision;
            // refused while paused.
            if d.pointer("/spec/paused") == Some(&json!(true)) {
                return;
            }
            let uid = d.pointer("/metadata/uid").cloned().unwrap_or_default();
            let mut rss: Vec<(i64, Value)> = c
                .etcd()
                .list(Kind::ReplicaSet, Some("default"))
                .iter()
                .map(|o| o.to_json())
                .filter(|rs| rs.pointer("/metadata/ownerReferences/0/uid") == Some(&uid))
                .filter_map(|rs| {
                    let rev = rs
                        .pointer("/metadata/annotations/deployment.kubernetes.io~1revision")
                        .and_then(Value::as_str)
                        .and_then(|s| s.parse().ok())?;
                    Some((rev, rs))
                })
                .collect();
            rss.sort_by_key(|(v, _)| std::cmp::Reverse(*v));
            let Some((_, rs)) = rss.get(1) else {
                return;
            };
            let mut template = rs["spec"]["template"].clone();
            if let Some(l) = template
                .pointer_mut("/metadata/labels")
                .and_then(Value::as_object_mut)
            {
                l.remove("pod-template-hash");
            }
            let mut new = d.clone();
            new["spec"]["template"] = template;
            if let Some(m) = new["metadata"].as_object_mut() {
                m.remove("resourceVersion");
            }
            let obj = Kind::Deployment.decode(&new).expect("a deployment");
            c.request(CLIENT, Request::Update(obj)).expect("undo");
            return;
        }
    };
    // Setting the image through a merge patch replaces the container list.
    let patch = if let Op::SetImage(_) = op {
        let mut containers = d["spec"]["template"]["spec"]["containers"].clone();
        containers[0]["image"] =
            patch["spec"]["template"]["spec"]["containers"][0]["image"].clone();
        json!({ "spec": { "template": { "spec": { "containers": containers } } } })
    } else {
        patch
    };
    c.request(CLIENT, Request::Patch { key: key(), patch })
        .expect("patch");
}

/// Runs until `until`, checking the rollout bounds at every API change when `bounds` is set.
/// Per ReplicaSet of the deployment (by uid): spec.replicas, and whether its
/// status is stale (status.replicas differs from its active pods, or the
/// spec change is not observed yet).
fn rs_view(c: &Cluster) -> std::collections::BTreeMap<String, (i64, bool)> {
    let active = pods(c);
    c.etcd()
        .list(Kind::ReplicaSet, Some("default"))
        .iter()
        .map(|o| o.to_json())
        .map(|rs| {
            let uid = rs["metadata"]["uid"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let owned = active
                .iter()
                .filter(|p| p["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"])
                .count() as i64;
            let stale = int(&rs, "/status/replicas") != owned
                || int(&rs, "/status/observedGeneration") < int(&rs, "/metadata/generation");
            (uid, (int(&rs, "/spec/replicas"), stale))
        })
        .collect()
}

/// Runs until `until`, checking the rollout bounds at every API change when
/// `bounds` is set. The availability bound is the one the real controller
/// keeps when its view is fresh: `scaleDownOldReplicaSetsForRollingUpdate`
/// counts `status.availableReplicas`, which the ReplicaSet controller
/// refreshes only after it observes its own pod deletions, so a scale-down
/// decided while a ReplicaSet status is stale can take availability below
/// `R - maxUnavailable` in Kubernetes too; after such a decision only the
/// surge bound is checked.
fn run_checked(
    c: &mut Cluster,
    until: SimTime,
    bounds: Option<(i64, i64, i64)>,
    min_ready: u64,
) -> Result<(), String> {
    let mut revision = c.etcd().revision();
    let mut view = rs_view(c);
    let mut stale_decision = false;
    let mut invariants = InvariantChecker::new();
    while c.next_event_time().is_some_and(|t| t <= until) {
        c.step().map_err(|e| e.to_string())?;
        invariants.check(c).map_err(|e| e.to_string())?;
        if c.etcd().revision() == revision {
            continue;
        }
        revision = c.etcd().revision();
        let next = rs_view(c);
        let scaled_down = next
            .iter()
            .any(|(uid, (spec, _))| view.get(uid).is_some_and(|(before, _)| spec < before));
        if scaled_down && view.values().any(|(_, stale)| *stale) {
            stale_decision = true;
        }
        view = next;
        if let Some((r, surge, unavailable)) = bounds {
            let p = pods(c);
            let total = p.len() as i64;
            let now = c.now();
            let available = p.iter().filter(|p| available(p, min_ready, now)).count() as i64;
            if total > r + surge {
                return Err(format!("{total} pods > {r} + {surge} at {}", c.now()));
            }
            if available < r - unavailable && !stale_decision {
                return Err(format!(
                    "{available} available < {r} - {unavailable} at {}",
                    c.now()
                ));
            }
        }
    }
    c.run_until(until).unwrap();
    Ok(())
}

fn scenario(
    replicas: i32,
    min_ready: u64,
    strategy: (Value, Value),
    ops: Vec<(Op, u64)>,
    seed: u64,
) -> Result<(), TestCaseError> {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(2), seed, Trace::new());
    c.run_until(SimTime::ZERO + SimDuration::from_secs(20))
        .unwrap();
    let manifest = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": "web", "namespace": "default" },
        "spec": {
            "replicas": replicas,
            "minReadySeconds": min_ready,
            "selector": { "matchLabels": { "app": "web" } },
            "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": strategy.0, "maxUnavailable": strategy.1 } },
            "template": {
                "metadata": { "labels": { "app": "web" } },
                "spec": { "containers": [ { "name": "web", "image": IMAGES[0] } ] }
            }
        }
    });
    let obj: Object = Kind::Deployment.decode(&manifest).expect("a deployment");
    c.request(CLIENT, Request::Create(obj)).expect("create");
    let mut until = c.now() + SimDuration::from_secs(60);
    run_checked(&mut c, until, None, min_ready).map_err(TestCaseError::fail)?;
    for (op, wait) in ops {
        let was_settled = settled(&c);
        let before = deployment(&c);
        apply(&mut c, &op);
        let after = deployment(&c);
        let template_changed = before["spec"]["template"] != after["spec"]["template"];
        let paused = after.pointer("/spec/paused") == Some(&json!(true));
        let bounds = (was_settled && template_changed && !paused).then(|| {
            let r = int(&after, "/spec/replicas");
            let (s, u) = fenceposts(&strategy.0, &strategy.1, r);
            (r, s, u)
        });
        until = c.now() + SimDuration::from_secs(wait);
        run_checked(&mut c, until, bounds, min_ready)
            .map_err(|e| TestCaseError::fail(format!("after {op:?}: {e}")))?;
    }
    if deployment(&c).pointer("/spec/paused") == Some(&json!(true)) {
        apply(&mut c, &Op::Resume);
    }
    until = c.now() + SimDuration::from_secs(180);
    run_checked(&mut c, until, None, min_ready).map_err(TestCaseError::fail)?;
    let d = deployment(&c);
    let r = int(&d, "/spec/replicas");
    let image = d["spec"]["template"]["spec"]["containers"][0]["image"].clone();
    prop_assert_eq!(
        int(&d, "/status/observedGeneration"),
        int(&d, "/metadata/generation")
    );
    prop_assert_eq!(
        int(&d, "/status/replicas"),
        r,
        "status.replicas of {}",
        d["status"]
    );
    prop_assert_eq!(
        int(&d, "/status/updatedReplicas"),
        r,
        "updatedReplicas of {}",
        d["status"]
    );
    prop_assert_eq!(
        int(&d, "/status/availableReplicas"),
        r,
        "availableReplicas of {}",
        d["status"]
    );
    let p = pods(&c);
    prop_assert_eq!(p.len() as i64, r);
    for pod in &p {
        prop_assert_eq!(&pod["spec"]["containers"][0]["image"], &image);
        prop_assert!(available(pod, min_ready, c.now()));
    }
    Ok(())
}

fn strategy() -> impl Strategy<Value = (Value, Value)> {
    prop_oneof![
        Just((json!("25%"), json!("25%"))),
        Just((json!(1), json!(0))),
        Just((json!(0), json!(1))),
        Just((json!(2), json!(1))),
    ]
}

/// A fixed seed: CI runs the same cases every time (a failure replays
/// exactly); change it locally to explore other cases.
const PROPTEST_SEED: u64 = 20_250_423;

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, rng_seed: proptest::test_runner::RngSeed::Fixed(PROPTEST_SEED), ..ProptestConfig::default() })]

    #[test]
    fn deployments_roll_within_bounds_and_converge(
        replicas in 1..4i32,
        min_ready in prop_oneof![Just(0u64), Just(0), Just(3)],
        strategy in strategy(),
        ops in prop::collection::vec((op(), prop_oneof![Just(0u64), Just(2), Just(6), Just(40)]), 1..7),
        seed in 1..1000u64,
    ) {
        scenario(replicas, min_ready, strategy, ops, seed)?;
    }
}
