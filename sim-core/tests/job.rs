//! The Job controller in a whole cluster (pkg/controller/job, v1.33):
//! pods with the tracking finalizer, counting through
//! `uncountedTerminatedPods`, `SuccessCriteriaMet` then `Complete`, the pod
//! failure back-off, `backoffLimit` (`FailureTarget` then `Failed`),
//! parallelism with and without completions, suspend, the active deadline,
//! and the finalizers of a deleted Job's pods.
//!
//! Job pods run images whose profile exits on its own: `job/ok` exits 0
//! after 5 s, `job/fail` exits 1 after 5 s, `job/minute:1` exits 0 after a
//! minute, `job/long` runs until stopped.

mod common;

use std::sync::Arc;

use serde_json::{json, Value};
use sim_core::api::{Kind, Object, ObjectKey};
use sim_core::apiserver::{DeleteOptions, PatchType, Propagation, Request};
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::Cluster;
use sim_core::config::{ClusterConfig, ExitBehaviour};
use sim_core::faults::{Fault, FaultKind};
use sim_core::trace::Trace;
use sim_core::SimDuration;

use common::{at, create, ok};

fn cluster(workers: usize) -> Cluster {
    let mut config = ClusterConfig::kubeadm(workers);
    let base = config.images.default.clone();
    let mut add = |name: &str, exit: Option<ExitBehaviour>| {
        let mut p = base.clone();
        p.size_bytes = 1_000_000;
        p.startup = SimDuration::from_millis(500);
        p.exit = exit;
        config.images.profiles.insert(name.into(), p);
    };
    let after = SimDuration::from_secs(5);
    add("job/ok", Some(ExitBehaviour { after, code: 0 }));
    add("job/fail", Some(ExitBehaviour { after, code: 1 }));
    add("job/long", None);
    let minute = SimDuration::from_secs(60);
    add(
        "job/minute:1",
        Some(ExitBehaviour {
            after: minute,
            code: 0,
        }),
    );
    kubeadm_cluster(config, 1, Trace::new())
}

fn run(c: &mut Cluster, secs: u64) {
    c.run_until(at(secs)).expect("no stall");
}

fn job(name: &str, image: &str, spec: Value) -> Value {
    let mut s = json!({
        "template": {"spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "main", "image": image}]
        }}
    });
    for (k, v) in spec.as_object().cloned().unwrap_or_default() {
        s[k] = v;
    }
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "default"},
        "spec": s
    })
}

fn start(c: &mut Cluster, name: &str, image: &str, spec: Value) -> Arc<Object> {
    run(c, 4);
    create(c, Kind::Job, job(name, image, spec))
}

fn get_job(c: &Cluster, name: &str) -> Value {
    c.etcd()
        .get(Kind::Job, "default", name)
        .map(|o| o.to_json())
        .unwrap_or(Value::Null)
}

fn job_pods(c: &Cluster, name: &str) -> Vec<Value> {
    c.etcd()
        .list(Kind::Pod, Some("default"))
        .into_iter()
        .map(|p| p.to_json())
        .filter(|p| p["metadata"]["labels"]["batch.kubernetes.io/job-name"] == name)
        .collect()
}

fn phases(c: &Cluster, name: &str) -> Vec<String> {
    job_pods(c, name)
        .iter()
        .map(|p| p["status"]["phase"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn condition_types(job: &Value) -> Vec<String> {
    job["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            format!(
                "{}={}",
                c["type"].as_str().unwrap(),
                c["status"].as_str().unwrap()
            )
        })
        .collect()
}

/// The job-controller Events of a Job, as `reason: message`, oldest first.
fn events(c: &Cluster, name: &str) -> Vec<String> {
    let mut evs: Vec<Value> = c
        .etcd()
        .list(Kind::Event, Some("default"))
        .into_iter()
        .map(|e| e.to_json())
        .filter(|e| e["involvedObject"]["name"] == name && e["involvedObject"]["kind"] == "Job")
        .collect();
    evs.sort_by_key(|e| e["metadata"]["name"].as_str().unwrap_or("").to_owned());
    evs.iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["reason"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn secs_of(t: &Value) -> i64 {
    let s = t.as_str().expect("a timestamp");
    let ts: k8s_openapi::jiff::Timestamp = s.parse().expect("RFC 3339");
    ts.as_second()
}

#[test]
fn a_job_runs_its_pod_to_completion_and_counts_it() {
    let mut c = cluster(2);
    let created = start(&mut c, "pi", "job/ok", json!({}));
    let uid = created.uid().to_owned();
    run(&mut c, 6);
    let pods = job_pods(&c, "pi");
    assert_eq!(pods.len(), 1);
    let pod = &pods[0];
    assert!(pod["metadata"]["name"].as_str().unwrap().starts_with("pi-"));
    assert_eq!(pod["metadata"]["generateName"], "pi-");
    assert_eq!(
        pod["metadata"]["finalizers"],
        json!(["batch.kubernetes.io/job-tracking"])
    );
    let owner = &pod["metadata"]["ownerReferences"][0];
    assert_eq!(owner["kind"], "Job");
    assert_eq!(owner["apiVersion"], "batch/v1");
    assert_eq!(owner["controller"], true);
    assert_eq!(owner["blockOwnerDeletion"], true);
    assert_eq!(pod["metadata"]["labels"]["controller-uid"], uid.as_str());
    assert_eq!(pod["metadata"]["labels"]["job-name"], "pi");
    let running = get_job(&c, "pi");
    assert_eq!(running["status"]["active"], 1);
    assert_eq!(running["status"]["terminating"], 0);
    assert_eq!(running["status"]["uncountedTerminatedPods"], json!({}));
    assert!(running["status"]["startTime"].is_string());
    run(&mut c, 30);
    let done = get_job(&c, "pi");
    assert_eq!(
        condition_types(&done),
        ["SuccessCriteriaMet=True", "Complete=True"]
    );
    for cond in done["status"]["conditions"].as_array().unwrap() {
        assert_eq!(cond["reason"], "CompletionsReached");
        assert_eq!(cond["message"], "Reached expected number of succeeded pods");
    }
    assert_eq!(done["status"]["succeeded"], 1);
    assert_eq!(done["status"]["ready"], 0);
    assert!(done["status"].get("active").is_none(), "0 is omitted");
    assert!(done["status"].get("failed").is_none());
    assert_eq!(done["status"]["uncountedTerminatedPods"], json!({}));
    assert_eq!(
        done["status"]["completionTime"],
        done["status"]["conditions"][1]["lastTransitionTime"]
    );
    let pod = &job_pods(&c, "pi")[0];
    assert_eq!(pod["status"]["phase"], "Succeeded");
    assert!(no_finalizer(pod));
    let name = pod["metadata"]["name"].as_str().unwrap();
    assert_eq!(
        events(&c, "pi"),
        [
            format!("SuccessfulCreate: Created pod: {name}"),
            "Completed: Job completed".into()
        ]
    );
}

/// When the controller created each pod of a Job, in ms of virtual time.
fn creations_ms(c: &Cluster, name: &str) -> Vec<u64> {
    let prefix = format!("pod/default/{name}-");
    c.trace()
        .records()
        .iter()
        .filter(|r| r.component == "kube-controller-manager" && r.action == "create")
        .filter(|r| r.object.starts_with(&prefix))
        .map(|r| r.t_ns / 1_000_000)
        .collect()
}

/// kubesim's API server keeps an emptied list as `[]` where Kubernetes
/// omits it: either means no finalizer.
fn no_finalizer(pod: &Value) -> bool {
    pod["metadata"]
        .get("finalizers")
        .is_none_or(|f| f == &json!([]))
}

fn delete(c: &mut Cluster, kind: Kind, name: &str, propagation: Option<Propagation>) {
    let options = DeleteOptions {
        propagation,
        ..Default::default()
    };
    let key = ObjectKey::new(kind, "default", name);
    c.request("test", Request::Delete { key, options })
        .expect("deleted");
}

fn patch(c: &mut Cluster, kind: Kind, name: &str, patch: Value) {
    ok(c.request(
        "test",
        Request::PatchAs {
            key: ObjectKey::new(kind, "default", name),
            patch,
            patch_type: PatchType::Merge,
        },
    ));
}

#[test]
fn the_api_server_defaults_a_job_and_generates_its_selector() {
    let mut c = cluster(1);
    let one = start(&mut c, "one", "job/long", json!({"suspend": true})).to_json();
    let spec = &one["spec"];
    assert_eq!(spec["completions"], 1);
    assert_eq!(spec["parallelism"], 1);
    assert_eq!(spec["backoffLimit"], 6);
    assert_eq!(spec["completionMode"], "NonIndexed");
    assert_eq!(spec["podReplacementPolicy"], "TerminatingOrFailed");
    assert_eq!(spec["manualSelector"], false);
    let uid = one["metadata"]["uid"].as_str().unwrap();
    assert_eq!(
        spec["selector"],
        json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
    );
    let labels = json!({
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": "one",
        "controller-uid": uid,
        "job-name": "one"
    });
    assert_eq!(spec["template"]["metadata"]["labels"], labels);
    // A Job without labels shows its template's.
    assert_eq!(one["metadata"]["labels"], labels);
    // Parallelism alone leaves completions unset (a work-queue Job); a Job
    // with labels of its own keeps them.
    let mut queue = job(
        "queue",
        "job/long",
        json!({"parallelism": 3, "suspend": true}),
    );
    queue["metadata"]["labels"] = json!({"team": "a"});
    queue["spec"]["template"]["metadata"] = json!({"labels": {"app": "q"}});
    let queue = create(&mut c, Kind::Job, queue).to_json();
    assert!(queue["spec"].get("completions").is_none());
    assert_eq!(queue["spec"]["parallelism"], 3);
    assert_eq!(queue["metadata"]["labels"], json!({"team": "a"}));
    assert_eq!(queue["spec"]["template"]["metadata"]["labels"]["app"], "q");
}

#[test]
fn failed_pods_are_replaced_after_the_back_off_until_the_limit() {
    let mut c = cluster(2);
    start(&mut c, "fails", "job/fail", json!({"backoffLimit": 2}));
    run(&mut c, 120);
    // Each pod fails ~5.9 s after its creation; the next one waits 10 s,
    // then 20 s after the failure (finishedAt has second precision).
    let created = creations_ms(&c, "fails");
    assert_eq!(created.len(), 3, "{created:?}");
    let gaps: Vec<u64> = created.windows(2).map(|w| w[1] - w[0]).collect();
    assert!((14_000..17_000).contains(&gaps[0]), "{gaps:?}");
    assert!((24_000..27_000).contains(&gaps[1]), "{gaps:?}");
    let done = get_job(&c, "fails");
    assert_eq!(
        condition_types(&done),
        ["FailureTarget=True", "Failed=True"]
    );
    for cond in done["status"]["conditions"].as_array().unwrap() {
        assert_eq!(cond["reason"], "BackoffLimitExceeded");
        assert_eq!(
            cond["message"],
            "Job has reached the specified backoff limit"
        );
    }
    assert_eq!(done["status"]["failed"], 3);
    assert!(done["status"].get("completionTime").is_none());
    assert!(done["status"].get("succeeded").is_none());
    assert_eq!(phases(&c, "fails"), ["Failed", "Failed", "Failed"]);
    let evs = events(&c, "fails");
    assert_eq!(
        evs.last().map(String::as_str),
        Some("BackoffLimitExceeded: Job has reached the specified backoff limit")
    );
    assert_eq!(evs.len(), 4, "{evs:?}");
    for p in job_pods(&c, "fails") {
        assert!(no_finalizer(&p), "counted pods lose the finalizer");
    }
}

#[test]
fn parallelism_caps_the_active_pods_until_the_completions() {
    let mut c = cluster(3);
    start(
        &mut c,
        "par",
        "job/ok",
        json!({"completions": 5, "parallelism": 2}),
    );
    let mut most = 0;
    for t in 5..60 {
        run(&mut c, t);
        let active = job_pods(&c, "par")
            .iter()
            .filter(|p| !matches!(p["status"]["phase"].as_str(), Some("Succeeded" | "Failed")))
            .count();
        most = most.max(active);
    }
    assert_eq!(most, 2);
    let done = get_job(&c, "par");
    assert_eq!(done["status"]["succeeded"], 5);
    assert_eq!(
        condition_types(&done),
        ["SuccessCriteriaMet=True", "Complete=True"]
    );
    assert_eq!(job_pods(&c, "par").len(), 5);
}

#[test]
fn pods_are_created_in_slow_start_batches() {
    let mut c = cluster(3);
    start(
        &mut c,
        "wide",
        "job/long",
        json!({"completions": 7, "parallelism": 7}),
    );
    run(&mut c, 10);
    let created = creations_ms(&c, "wide");
    assert_eq!(created.len(), 7);
    // Batches of 1, 2 and 4, each sent when the previous one is answered
    // (2 ms there, 2 ms back).
    let t0 = created[0];
    let rel: Vec<u64> = created.iter().map(|t| t - t0).collect();
    assert_eq!(rel, [0, 4, 4, 8, 8, 8, 8]);
    assert_eq!(get_job(&c, "wide")["status"]["active"], 7);
    assert_eq!(get_job(&c, "wide")["status"]["ready"], 7);
}

#[test]
fn a_job_without_completions_stops_at_its_first_success() {
    let mut c = cluster(3);
    start(&mut c, "queue", "job/ok", json!({"parallelism": 3}));
    run(&mut c, 60);
    let done = get_job(&c, "queue");
    assert_eq!(
        condition_types(&done),
        ["SuccessCriteriaMet=True", "Complete=True"]
    );
    assert_eq!(done["status"]["succeeded"], 3);
    assert_eq!(
        job_pods(&c, "queue").len(),
        3,
        "no pod after the first success"
    );
}

#[test]
fn suspend_deletes_the_active_pods_and_resume_recreates_them() {
    let mut c = cluster(2);
    start(
        &mut c,
        "s",
        "job/long",
        json!({"suspend": true, "parallelism": 2, "completions": 4}),
    );
    run(&mut c, 10);
    let suspended = get_job(&c, "s");
    assert_eq!(condition_types(&suspended), ["Suspended=True"]);
    let cond = &suspended["status"]["conditions"][0];
    assert_eq!(cond["reason"], "JobSuspended");
    assert_eq!(cond["message"], "Job suspended");
    assert!(suspended["status"].get("startTime").is_none());
    assert!(job_pods(&c, "s").is_empty());
    patch(&mut c, Kind::Job, "s", json!({"spec": {"suspend": false}}));
    run(&mut c, 20);
    let resumed = get_job(&c, "s");
    assert_eq!(condition_types(&resumed), ["Suspended=False"]);
    assert_eq!(resumed["status"]["conditions"][0]["reason"], "JobResumed");
    assert_eq!(
        secs_of(&resumed["status"]["startTime"]),
        secs_of(&json!("2025-04-23T00:00:10Z"))
    );
    assert_eq!(resumed["status"]["active"], 2);
    patch(&mut c, Kind::Job, "s", json!({"spec": {"suspend": true}}));
    run(&mut c, 30);
    let again = get_job(&c, "s");
    assert_eq!(condition_types(&again), ["Suspended=True"]);
    assert!(
        job_pods(&c, "s").is_empty(),
        "pods deleted, finalizers removed first"
    );
    assert!(
        again["status"].get("failed").is_none(),
        "suspended pods are not failures"
    );
    assert!(again["status"].get("active").is_none());
    let evs = events(&c, "s");
    assert_eq!(
        evs.iter()
            .filter(|e| e.starts_with("SuccessfulDelete: Deleted pod: s-"))
            .count(),
        2
    );
    // The second suspension repeats the first Event (its count goes to 2).
    assert_eq!(
        evs.iter()
            .filter(|e| e.starts_with("Suspended") || e.starts_with("Resumed"))
            .cloned()
            .collect::<Vec<_>>(),
        ["Suspended: Job suspended", "Resumed: Job resumed"]
    );
    let counts: Vec<i64> = c
        .etcd()
        .list(Kind::Event, Some("default"))
        .iter()
        .map(|e| e.to_json())
        .filter(|e| e["reason"] == "Suspended")
        .map(|e| e["count"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(counts, [2]);
}

#[test]
fn the_active_deadline_fails_the_job() {
    let mut c = cluster(2);
    start(
        &mut c,
        "slow",
        "job/long",
        json!({"activeDeadlineSeconds": 10}),
    );
    run(&mut c, 40);
    let done = get_job(&c, "slow");
    assert_eq!(
        condition_types(&done),
        ["FailureTarget=True", "Failed=True"]
    );
    let cond = &done["status"]["conditions"][0];
    assert_eq!(cond["reason"], "DeadlineExceeded");
    assert_eq!(
        cond["message"],
        "Job was active longer than specified deadline"
    );
    let failed_at = secs_of(&cond["lastTransitionTime"]);
    assert_eq!(failed_at - secs_of(&done["status"]["startTime"]), 10);
    assert_eq!(
        done["status"]["failed"], 1,
        "the deleted active pod counts as failed"
    );
    let evs = events(&c, "slow");
    assert!(evs
        .iter()
        .any(|e| e.starts_with("SuccessfulDelete: Deleted pod: slow-")));
    assert_eq!(
        evs.last().map(String::as_str),
        Some("DeadlineExceeded: Job was active longer than specified deadline")
    );
    assert!(job_pods(&c, "slow").is_empty(), "the deleted pod is gone");
}

#[test]
fn on_failure_restarts_count_toward_the_backoff_limit() {
    let mut c = cluster(2);
    let mut j = job("restarts", "job/fail", json!({"backoffLimit": 2}));
    j["spec"]["template"]["spec"]["restartPolicy"] = json!("OnFailure");
    run(&mut c, 4);
    create(&mut c, Kind::Job, j);
    run(&mut c, 120);
    let done = get_job(&c, "restarts");
    assert_eq!(
        condition_types(&done),
        ["FailureTarget=True", "Failed=True"]
    );
    assert_eq!(done["status"]["failed"], 1);
    assert_eq!(
        creations_ms(&c, "restarts").len(),
        1,
        "the kubelet restarts, no new pod"
    );
    assert!(
        job_pods(&c, "restarts").is_empty(),
        "the pod is deleted when the Job fails"
    );
}

#[test]
fn deleting_a_job_removes_its_pods_and_their_finalizers() {
    let mut c = cluster(2);
    start(
        &mut c,
        "gone",
        "job/long",
        json!({"parallelism": 3, "completions": 3}),
    );
    run(&mut c, 10);
    assert_eq!(job_pods(&c, "gone").len(), 3);
    delete(&mut c, Kind::Job, "gone", Some(Propagation::Background));
    run(&mut c, 20);
    assert!(job_pods(&c, "gone").is_empty());
}

#[test]
fn an_orphan_pod_loses_the_tracking_finalizer() {
    let mut c = cluster(1);
    run(&mut c, 4);
    create(
        &mut c,
        Kind::Pod,
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "stray", "namespace": "default",
                         "finalizers": ["batch.kubernetes.io/job-tracking"]},
            "spec": {"containers": [{"name": "c", "image": "job/long"}]}
        }),
    );
    run(&mut c, 5);
    let pod = common::get_pod(&mut c, "stray");
    assert!(no_finalizer(&pod), "{pod}");
}

fn crash(c: &mut Cluster, pod: &str) {
    let kind = FaultKind::ContainerCrash {
        namespace: "default".into(),
        pod: pod.into(),
        container: "main".into(),
        exit_code: 1,
    };
    c.inject_fault(Fault {
        kind,
        duration: None,
    })
    .expect("the pod exists");
}

#[test]
fn while_a_replacement_waits_the_refused_status_stays_as_it_was() {
    // kubernetes#139428: while the replacement waits for the back-off,
    // manageJob reports 0 active pods, the v1.33 API server refuses
    // ready > active, and the status (and the failed pod's finalizer) stay
    // as they were until the replacement is created.
    let mut c = cluster(2);
    start(
        &mut c,
        "two",
        "job/long",
        json!({"parallelism": 2, "completions": 2}),
    );
    run(&mut c, 10);
    let before = get_job(&c, "two");
    assert_eq!(before["status"]["active"], 2);
    assert_eq!(before["status"]["ready"], 2);
    let victim = job_pods(&c, "two")[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    crash(&mut c, &victim);
    run(&mut c, 15);
    let during = get_job(&c, "two");
    assert_eq!(during["status"], before["status"], "refused, unchanged");
    let failed = common::get_pod(&mut c, &victim);
    assert_eq!(failed["status"]["phase"], "Failed");
    assert!(!no_finalizer(&failed), "not counted yet");
    run(&mut c, 25);
    let after = get_job(&c, "two");
    assert_eq!(after["status"]["failed"], 1);
    assert_eq!(after["status"]["active"], 2);
    let created = creations_ms(&c, "two");
    assert_eq!(created.len(), 3);
    // 10 s after the failure (finishedAt 10 s), at the back-off requeue.
    assert!((20_000..20_100).contains(&created[2]), "{created:?}");
    assert!(no_finalizer(&common::get_pod(&mut c, &victim)));
}

#[test]
fn a_deleted_pod_counts_as_failed_and_is_replaced() {
    let mut c = cluster(2);
    start(
        &mut c,
        "del",
        "job/long",
        json!({"parallelism": 2, "completions": 2}),
    );
    run(&mut c, 10);
    let victim = job_pods(&c, "del")[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    delete(&mut c, Kind::Pod, &victim, None);
    run(&mut c, 90);
    let after = get_job(&c, "del");
    assert_eq!(after["status"]["failed"], 1, "{after}");
    assert_eq!(after["status"]["active"], 2);
    assert_eq!(creations_ms(&c, "del").len(), 3);
    assert!(c.etcd().get(Kind::Pod, "default", &victim).is_none());
}

#[test]
fn at_most_500_pods_are_created_per_sync() {
    let mut c = cluster(1);
    start(
        &mut c,
        "big",
        "job/long",
        json!({"completions": 600, "parallelism": 600}),
    );
    run(&mut c, 10);
    let created = creations_ms(&c, "big");
    assert_eq!(created.len(), 600, "no pod created twice");
    let t0 = created[0];
    // Slow start 1, 2, 4, ..., 128 then the 245 left of 500, 4 ms apart;
    // the other 100 at the next sync, a second later.
    let first = created.iter().filter(|&&t| t < t0 + 100).count();
    assert_eq!(first, 500);
    assert_eq!(created[499] - t0, 8 * 4);
    assert!(created[500] - t0 >= 1_000, "{}", created[500] - t0);
}

#[test]
fn at_most_500_terminated_pods_are_counted_per_sync() {
    let mut c = cluster(6);
    start(
        &mut c,
        "many",
        "job/minute:1",
        json!({"completions": 600, "parallelism": 600}),
    );
    run(&mut c, 40);
    let running = job_pods(&c, "many")
        .iter()
        .filter(|p| p["status"]["phase"] == "Running")
        .count();
    assert_eq!(running, 600);
    // The controller manager stops while every pod finishes: when it
    // returns, one sync sees 600 terminated pods.
    c.inject_fault(Fault {
        kind: FaultKind::ControllerManagerStop,
        duration: Some(SimDuration::from_secs(60)),
    })
    .expect("stopped");
    let from = c.etcd().revision();
    run(&mut c, 110);
    // Every stored version of the Job's status since: (succeeded, uncounted).
    let mut seen: Vec<(i64, usize)> = Vec::new();
    for change in c.etcd().changes_since(Kind::Job, from).expect("history") {
        let status = change.object.to_json()["status"].clone();
        let uncounted = status["uncountedTerminatedPods"]["succeeded"]
            .as_array()
            .map_or(0, Vec::len);
        let point = (status["succeeded"].as_i64().unwrap_or(0), uncounted);
        if seen.last() != Some(&point) {
            seen.push(point);
        }
    }
    assert_eq!(seen, [(0, 500), (500, 0), (500, 100), (600, 0)]);
    assert_eq!(
        condition_types(&get_job(&c, "many")),
        ["SuccessCriteriaMet=True", "Complete=True"]
    );
}

#[test]
fn indexed_jobs_are_not_run() {
    let mut c = cluster(1);
    start(
        &mut c,
        "ix",
        "job/ok",
        json!({"completionMode": "Indexed", "completions": 2}),
    );
    run(&mut c, 20);
    assert!(job_pods(&c, "ix").is_empty());
}

#[test]
fn a_job_deleted_in_the_foreground_goes_after_its_pods() {
    let mut c = cluster(2);
    start(
        &mut c,
        "fg",
        "job/long",
        json!({"parallelism": 2, "completions": 2}),
    );
    run(&mut c, 10);
    delete(&mut c, Kind::Job, "fg", Some(Propagation::Foreground));
    run(&mut c, 11);
    assert!(get_job(&c, "fg")["metadata"]["deletionTimestamp"].is_string());
    run(&mut c, 30);
    assert!(job_pods(&c, "fg").is_empty());
    assert_eq!(
        get_job(&c, "fg"),
        Value::Null,
        "the Job goes once its pods are gone"
    );
}
