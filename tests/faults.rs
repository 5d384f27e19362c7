//! Fault injection end to end: the scenarios under tests/fixtures/faults run
//! with `sim run`, pass, print each fault as it starts and ends, record the
//! faults in the event log, and give the same bytes for the same seed.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs a fixture with `--out`; returns (exit code, stdout, events.jsonl).
fn run(name: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_sim"))
        .arg("run")
        .arg(format!("tests/fixtures/faults/{name}"))
        .arg("--out")
        .arg(&out)
        .current_dir(root())
        .output()
        .expect("sim runs");
    let events = std::fs::read_to_string(out.join("events.jsonl")).unwrap_or_default();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        events,
    )
}

fn passes(name: &str) -> (String, String) {
    let (code, t, events) = run(name);
    assert_eq!(code, 0, "{t}");
    assert!(t.contains(", 0 failed"), "{t}");
    (t, events)
}

#[test]
fn kubelet_stop_and_start() {
    let (t, _) = passes("kubelet-stop.yaml");
    assert!(
        t.contains("] fault starts: kubelet-stop worker-1 for 1m0s"),
        "{t}"
    );
    assert!(
        t.contains("] fault ends: kubelet-stop worker-1 for 1m0s"),
        "{t}"
    );
}

#[test]
fn partition_keeps_pods_running() {
    let (t, _) = passes("partition.yaml");
    assert!(
        t.contains("] fault starts: partition worker-1 for 3m0s"),
        "{t}"
    );
    assert!(
        t.contains("] fault ends: partition worker-1 for 3m0s"),
        "{t}"
    );
}

#[test]
fn registry_outage_leaves_image_pull_back_off() {
    let (t, _) = passes("registry-outage.yaml");
    assert!(t.contains("ImagePullBackOff"), "{t}");
    let end = t.find("fault ends: registry-outage").expect("outage ends");
    let running = t.find("PASS pod/box phase=Running").expect("runs");
    assert!(running > end, "{t}");
}

#[test]
fn container_crash_backs_off_ten_seconds() {
    let (t, _) = passes("container-crash.yaml");
    assert!(t.contains("CrashLoopBackOff"), "{t}");
    assert!(t.contains("PASS pod/web restarts=1: restarts=1"), "{t}");
}

#[test]
fn event_log_records_fault_start_and_end() {
    let (_, events) = passes("kubelet-stop.yaml");
    assert!(events.contains("fault-start"), "{events}");
    assert!(events.contains("fault-end"), "{events}");
}

#[test]
fn random_faults_same_seed_same_bytes() {
    let a = run("random.yaml");
    let b = run("random.yaml");
    assert_eq!(a.0, 0, "{}", a.1);
    assert!(a.1.contains("fault starts: node-crash worker-"), "{}", a.1);
    assert_eq!(a, b);
}

#[test]
fn apiserver_stop_makes_kubectl_fail_with_service_unavailable() {
    let (t, _) = passes("apiserver-stop.yaml");
    let during: String = t
        .split("fault starts: ")
        .nth(1)
        .and_then(|s| s.split("fault ends: ").next())
        .expect("the fault starts and ends")
        .to_owned();
    let unavailable =
        "Error from server (ServiceUnavailable): the server is currently unable to handle the request";
    for cmd in [
        "describe pod p",
        "describe pods",
        "delete pods --all",
        "get pods",
        "label pods --all x=y",
        "exec deployment/nothing -- env",
    ] {
        let block = during
            .split(&format!("$ kubectl {cmd}\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("no {cmd} in {during}"));
        let first = block.lines().next().unwrap_or_default();
        assert_eq!(first, unavailable, "{cmd}: {during}");
    }
    assert!(!during.contains("NotFound"), "{during}");
    assert!(!during.contains("No resources found"), "{during}");
}
