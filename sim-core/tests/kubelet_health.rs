//! Integration tests of the kubelet's probes, memory limits, admission and
//! private registries: liveness failures kill and restart a container after
//! `failureThreshold` (3) failures `periodSeconds` (10 s) apart, readiness
//! failures flip the pod's Ready condition and back, a startup probe holds
//! off the other probes, a process over its memory limit is OOMKilled (137),
//! a pod bound by hand past the scheduler that does not fit is rejected with
//! OutOfcpu, and a private image needs imagePullSecrets.
//!
//! Expected behaviour: pkg/kubelet/prober/worker.go, pkg/kubelet/lifecycle/
//! predicate.go, kubelet.go rejectPod (`/work/shared/k8s-semantics.md` §5.4–5.6).

use serde_json::{json, Value};
use sim_core::api::Kind;
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::Cluster;
use sim_core::config::{ClusterConfig, HealthChange, ImageProfile};
use sim_core::trace::Trace;
use sim_core::SimDuration;

mod common;

use common::{at, create, get_pod};

fn cluster(images: Vec<(&str, ImageProfile)>) -> Cluster {
    let mut config = ClusterConfig::kubeadm(1);
    for (name, p) in images {
        config.images.profiles.insert(name.to_owned(), p);
    }
    let mut c = kubeadm_cluster(config, 7, Trace::new());
    c.run_until(at(10)).unwrap();
    c
}

fn pod(c: &mut Cluster, name: &str, spec: Value) {
    create(
        c,
        Kind::Pod,
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": "default"}, "spec": spec}),
    );
}

fn events(c: &Cluster, pod: &str) -> Vec<Value> {
    c.etcd()
        .list(Kind::Event, Some("default"))
        .iter()
        .map(|e| e.to_json())
        .filter(|e| e["involvedObject"]["name"] == pod)
        .collect()
}

fn ready(p: &Value) -> bool {
    p["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

fn secs_of(ts: &Value) -> i64 {
    // RFC 3339 with second resolution from 1970-01-01T00:00:00Z plus the
    // simulation's epoch: compare differences only.
    let s = ts.as_str().expect("a timestamp");
    let t = &s[11..19];
    let parts: Vec<i64> = t.split(':').map(|x| x.parse().expect("digits")).collect();
    let day: i64 = s[8..10].parse().expect("day");
    ((day * 24 + parts[0]) * 60 + parts[1]) * 60 + parts[2]
}

fn image(health: Vec<HealthChange>) -> ImageProfile {
    ImageProfile {
        size_bytes: 1_000_000,
        health,
        ..ImageProfile::default()
    }
}

fn change(after: u64, liveness: Option<bool>, readiness: Option<bool>) -> HealthChange {
    HealthChange {
        after: SimDuration::from_secs(after),
        liveness,
        readiness,
        memory_bytes: None,
    }
}

#[test]
fn liveness_failure_restarts_after_three_failures_ten_seconds_apart() {
    let mut c = cluster(vec![(
        "example/app:1",
        image(vec![change(30, Some(false), None)]),
    )]);
    pod(
        &mut c,
        "app",
        json!({"containers": [{"name": "app", "image": "example/app:1",
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}}}]}),
    );
    c.run_until(at(40)).unwrap();
    let p = get_pod(&mut c, "app");
    assert!(ready(&p), "no readiness probe: Ready at once");
    let started = secs_of(&p["status"]["containerStatuses"][0]["state"]["running"]["startedAt"]);
    // The new container is healthy for its first 30 s again.
    c.run_until(at(90)).unwrap();
    let p = get_pod(&mut c, "app");
    let cs = &p["status"]["containerStatuses"][0];
    assert_eq!(cs["restartCount"], 1, "{cs}");
    assert!(cs["state"]["running"].is_object(), "{cs}");
    let ev = events(&c, "app");
    let unhealthy = ev
        .iter()
        .find(|e| e["reason"] == "Unhealthy")
        .expect("Unhealthy events");
    assert_eq!(
        unhealthy["message"],
        "Liveness probe failed: HTTP probe failed with statuscode: 500"
    );
    assert_eq!(unhealthy["count"], 3, "{unhealthy}");
    let first = secs_of(&unhealthy["firstTimestamp"]);
    let last = secs_of(&unhealthy["lastTimestamp"]);
    assert_eq!(last - first, 20, "3 failures, 10 s apart");
    assert!(
        (30..=40).contains(&(first - started)),
        "first failing probe within a period of the 30 s mark: {}",
        first - started
    );
    let killing = ev
        .iter()
        .find(|e| e["reason"] == "Killing")
        .expect("a Killing event");
    assert_eq!(
        killing["message"],
        "Container app failed liveness probe, will be restarted"
    );
    let term = &cs["lastState"]["terminated"];
    assert_eq!(term["exitCode"], 137);
    let finished = secs_of(&term["finishedAt"]);
    assert!((0..=1).contains(&(finished - last)), "stopped right after");
}

#[test]
fn readiness_failure_unreadies_the_pod_and_success_readies_it_again() {
    let mut c = cluster(vec![(
        "example/app:1",
        image(vec![
            change(60, None, Some(false)),
            change(120, None, Some(true)),
        ]),
    )]);
    pod(
        &mut c,
        "app",
        json!({"containers": [{"name": "app", "image": "example/app:1",
            "readinessProbe": {"tcpSocket": {"port": 8080}}}]}),
    );
    c.run_until(at(12)).unwrap();
    let p = get_pod(&mut c, "app");
    assert_eq!(p["status"]["phase"], "Running");
    assert!(!ready(&p), "readiness starts as Failure");
    c.run_until(at(30)).unwrap();
    let p = get_pod(&mut c, "app");
    assert!(ready(&p), "ready after the first successful probe");
    c.run_until(at(75)).unwrap();
    assert!(ready(&get_pod(&mut c, "app")), "one failure is not enough");
    c.run_until(at(105)).unwrap();
    let p = get_pod(&mut c, "app");
    assert!(!ready(&p), "three failures: not ready");
    assert_eq!(p["status"]["containerStatuses"][0]["restartCount"], 0);
    c.run_until(at(150)).unwrap();
    assert!(ready(&get_pod(&mut c, "app")), "one success: ready again");
    let msg = events(&c, "app")
        .into_iter()
        .find(|e| e["reason"] == "Unhealthy")
        .expect("Unhealthy");
    assert!(msg["message"]
        .as_str()
        .unwrap_or_default()
        .starts_with("Readiness probe failed: dial tcp 10.244."));
}

#[test]
fn startup_probe_holds_off_liveness_and_readiness() {
    // Unhealthy for the first 25 s: the startup probe (failureThreshold 6)
    // fails, then succeeds; liveness never runs meanwhile, so no restart.
    let mut c = cluster(vec![(
        "example/slow:1",
        image(vec![
            change(0, Some(false), Some(false)),
            change(25, Some(true), Some(true)),
        ]),
    )]);
    pod(
        &mut c,
        "slow",
        json!({"containers": [{"name": "slow", "image": "example/slow:1",
            "startupProbe": {"httpGet": {"path": "/", "port": 80}, "failureThreshold": 6},
            "livenessProbe": {"httpGet": {"path": "/", "port": 80}}}]}),
    );
    c.run_until(at(20)).unwrap();
    let p = get_pod(&mut c, "slow");
    let cs = &p["status"]["containerStatuses"][0];
    assert_eq!(cs["started"], false);
    assert!(!ready(&p));
    c.run_until(at(90)).unwrap();
    let p = get_pod(&mut c, "slow");
    let cs = &p["status"]["containerStatuses"][0];
    assert_eq!(cs["started"], true);
    assert_eq!(cs["restartCount"], 0);
    assert!(ready(&p));
    assert!(events(&c, "slow")
        .iter()
        .filter(|e| e["reason"] == "Unhealthy")
        .all(|e| e["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Startup probe failed")));
}

#[test]
fn over_the_memory_limit_is_oom_killed_and_restarted() {
    let mut c = cluster(vec![(
        "example/hungry:1",
        ImageProfile {
            memory_bytes: Some(300 * 1024 * 1024),
            ..ImageProfile::default()
        },
    )]);
    pod(
        &mut c,
        "hungry",
        json!({"containers": [{"name": "hungry", "image": "example/hungry:1",
            "resources": {"limits": {"memory": "256Mi"}}}]}),
    );
    pod(
        &mut c,
        "roomy",
        json!({"containers": [{"name": "roomy", "image": "example/hungry:1",
            "resources": {"limits": {"memory": "512Mi"}}}]}),
    );
    c.run_until(at(60)).unwrap();
    let p = get_pod(&mut c, "hungry");
    let cs = &p["status"]["containerStatuses"][0];
    assert!(cs["restartCount"].as_i64().unwrap_or(0) >= 2, "{cs}");
    let term = if cs["state"]["terminated"].is_object() {
        &cs["state"]["terminated"]
    } else {
        &cs["lastState"]["terminated"]
    };
    assert_eq!(term["reason"], "OOMKilled");
    assert_eq!(term["exitCode"], 137);
    let roomy = get_pod(&mut c, "roomy");
    assert_eq!(roomy["status"]["containerStatuses"][0]["restartCount"], 0);
    assert!(ready(&roomy));
}

#[test]
fn a_pod_bound_by_hand_that_does_not_fit_is_rejected() {
    let mut c = cluster(vec![]);
    pod(
        &mut c,
        "big",
        json!({"nodeName": "worker-1", "containers": [{"name": "c", "image": "nginx",
            "resources": {"requests": {"cpu": "5"}}}]}),
    );
    c.run_until(at(15)).unwrap();
    let p = get_pod(&mut c, "big");
    assert_eq!(p["status"]["phase"], "Failed");
    assert_eq!(p["status"]["reason"], "OutOfcpu");
    let msg = p["status"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.starts_with(
            "Pod was rejected: Node didn't have enough resource: cpu, requested: 5000, used: "
        ) && msg.ends_with(", capacity: 4000"),
        "{msg}"
    );
    let ev = events(&c, "big");
    assert!(ev.iter().any(|e| e["reason"] == "OutOfcpu"
        && e["type"] == "Warning"
        && msg.ends_with(e["message"].as_str().unwrap_or("?"))));
    // A pod that fits still runs.
    pod(
        &mut c,
        "small",
        json!({"nodeName": "worker-1", "containers": [{"name": "c", "image": "nginx",
            "resources": {"requests": {"cpu": "500m"}}}]}),
    );
    c.run_until(at(30)).unwrap();
    assert_eq!(get_pod(&mut c, "small")["status"]["phase"], "Running");
}

#[test]
fn a_terminated_or_deleted_pod_gives_its_requests_back_to_admission() {
    let mut c = cluster(vec![(
        "batch:1",
        ImageProfile {
            exit: Some(sim_core::config::ExitBehaviour {
                after: SimDuration::from_secs(100),
                code: 0,
            }),
            ..ImageProfile::default()
        },
    )]);
    let bound = |image: &str, cpu: &str| {
        json!({"nodeName": "worker-1", "restartPolicy": "Never",
            "containers": [{"name": "c", "image": image,
            "resources": {"requests": {"cpu": cpu}}}]})
    };
    pod(&mut c, "first", bound("batch:1", "3"));
    c.run_until(at(40)).unwrap();
    assert_eq!(get_pod(&mut c, "first")["status"]["phase"], "Running");
    // While it runs, another 3 cpu do not fit the 4 of worker-1.
    pod(&mut c, "early", bound("batch:1", "3"));
    c.run_until(at(42)).unwrap();
    assert_eq!(get_pod(&mut c, "early")["status"]["reason"], "OutOfcpu");
    // Once it has Succeeded, they do; and a deleted pod's do too.
    c.run_until(at(150)).unwrap();
    assert_eq!(get_pod(&mut c, "first")["status"]["phase"], "Succeeded");
    pod(&mut c, "second", bound("nginx", "3"));
    c.run_until(at(180)).unwrap();
    assert_eq!(get_pod(&mut c, "second")["status"]["phase"], "Running");
    common::delete(&mut c, Kind::Pod, "default", "second");
    c.run_until(at(230)).unwrap();
    pod(&mut c, "third", bound("nginx", "3"));
    c.run_until(at(260)).unwrap();
    assert_eq!(get_pod(&mut c, "third")["status"]["phase"], "Running");
}

#[test]
fn private_images_need_pull_secrets_for_their_registry() {
    let mut c = cluster(vec![(
        "example/private:1",
        ImageProfile {
            private: true,
            ..ImageProfile::default()
        },
    )]);
    pod(
        &mut c,
        "denied",
        json!({"containers": [{"name": "c", "image": "example/private:1"}]}),
    );
    c.run_until(at(30)).unwrap();
    let p = get_pod(&mut c, "denied");
    let waiting = &p["status"]["containerStatuses"][0]["state"]["waiting"];
    assert_eq!(waiting["reason"], "ImagePullBackOff", "{waiting}");
    assert!(events(&c, "denied").iter().any(|e| e["message"]
        == "Failed to pull image \"example/private:1\": rpc error: code = Unknown desc = failed to pull and unpack image \"docker.io/example/private:1\": failed to resolve reference \"docker.io/example/private:1\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"));
    // {"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"}}}
    create(
        &mut c,
        Kind::Secret,
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
               "metadata": {"name": "hub", "namespace": "default"},
               "data": {".dockerconfigjson":
                   "eyJhdXRocyI6eyJodHRwczovL2luZGV4LmRvY2tlci5pby92MS8iOnsiYXV0aCI6ImRUcHcifX19"}}),
    );
    pod(
        &mut c,
        "allowed",
        json!({"imagePullSecrets": [{"name": "hub"}],
               "containers": [{"name": "c", "image": "example/private:1"}]}),
    );
    c.run_until(at(60)).unwrap();
    assert_eq!(get_pod(&mut c, "allowed")["status"]["phase"], "Running");
}

/// The times (s) at which `kubelet/worker-1` wrote its node's status.
fn status_writes(c: &Cluster) -> Vec<u64> {
    c.trace()
        .records()
        .iter()
        .filter(|r| {
            r.component == "kubelet/worker-1" && r.action == "update" && r.object == "node/worker-1"
        })
        .map(|r| r.t_ns / 1_000_000_000)
        .collect()
}

#[test]
fn node_status_is_posted_on_change_and_every_five_minutes() {
    // kubelet_node_status.go: the status is sent when it changed (heartbeat
    // times aside) or nodeStatusReportFrequency (5 min) after the last one.
    let mut c = cluster(vec![]);
    c.run_until(at(660)).unwrap();
    let idle = status_writes(&c);
    assert!(
        idle.windows(2).all(|w| w[1] - w[0] >= 300),
        "an idle node reports every 5 minutes, not more: {idle:?}"
    );
    assert!(idle.len() >= 2, "{idle:?}");
    // A new image in the node's cache changes the status: posted within
    // the 10 s update period.
    pod(
        &mut c,
        "fresh",
        json!({"containers": [{"name": "c", "image": "redis:7"}]}),
    );
    c.run_until(at(720)).unwrap();
    let after: Vec<u64> = status_writes(&c).into_iter().filter(|t| *t > 660).collect();
    assert!(!after.is_empty(), "the pulled image is reported");
    let node = c
        .etcd()
        .get(Kind::Node, "", "worker-1")
        .expect("node")
        .to_json();
    let images = node["status"]["images"].to_string();
    assert!(images.contains("redis:7"), "{images}");
}
