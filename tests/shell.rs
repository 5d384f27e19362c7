//! End-to-end tests of `sim shell`: the `sim` binary driven by a script on
//! stdin (kubectl commands, sleep, clock, run until, a typo, save), the saved
//! session replayed by `sim run`, and `kubectl get -w` rows in a scenario.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `sim shell ARGS` in `dir` with `script` on stdin.
fn shell(dir: &Path, args: &[&str], script: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sim"))
        .arg("shell")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sim starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("script written");
    child.wait_with_output().expect("sim ends")
}

fn text(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

/// Each `$ kubectl` line with what it printed, up to the next stamped line.
fn kubectl_blocks(transcript: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in transcript.lines() {
        // Stamped lines and the run's summary line end a block.
        if line.starts_with('[') || line.contains(" expectations: ") {
            blocks.extend(current.take());
            if line.contains("] $ kubectl ") {
                current = Some(format!("{line}\n"));
            }
        } else if let Some(c) = &mut current {
            c.push_str(line);
            c.push('\n');
        }
    }
    blocks.extend(current);
    blocks
}

const SCRIPT: &str = "\
kubectl create deployment web --image=nginx:1.14.2 --replicas=2
run until deployment/web available
get deployment web
# a comment, ignored
gte pods
clock
sleep 10s
run pinger --image=busybox
run until pod/pinger running
get pods -o wide
apply -f manifests/my-namespace.yaml
get ns
fault node worker-1 down
save session.yaml
";

#[test]
fn script_session_runs_and_replays() {
    let dir = tempfile::tempdir().expect("temp dir");
    let manifests = dir.path().join("manifests");
    std::fs::create_dir(&manifests).expect("mkdir");
    std::fs::copy(
        root().join("scenarios/course/manifests/my-namespace.yaml"),
        manifests.join("my-namespace.yaml"),
    )
    .expect("manifest copied");
    let out = shell(dir.path(), &[], SCRIPT);
    assert!(out.status.success(), "{out:?}");
    let t = text(&out);
    assert!(t.starts_with("kubesim shell: the default cluster (seed 1, Kubernetes v1.33.0)\n"));
    assert!(t.contains("] cluster ready: 3 nodes Ready"), "{t}");
    assert!(t.contains("] $ kubectl create deployment web --image=nginx:1.14.2 --replicas=2\ndeployment.apps/web created\n"), "{t}");
    assert!(t.contains("] deployment/web available after "), "{t}");
    assert!(t.contains("web    2/2     2            2"), "{t}");
    // A line that is no kubectl command runs in the control-plane node's
    // shell; a misspelt kubectl command gets a hint.
    assert!(
        t.contains("] root@control-plane:~# gte pods\nbash: gte: command not found\nkubesim: did you mean \"kubectl get\"?"),
        "{t}"
    );
    assert!(t.contains("] pod/pinger running after "), "{t}");
    assert!(t.contains("namespace/tulingmall created"), "{t}");
    assert!(t.contains("error: unknown fault kind \"node\""), "{t}");
    assert!(t.contains("saved 10 steps to session.yaml"), "{t}");
    // `clock` prints the virtual time of its own line.
    let clock_at = t
        .lines()
        .find(|l| l.ends_with("] clock"))
        .and_then(|l| l.split(']').next())
        .map(|s| s.trim_start_matches('[').trim().to_owned())
        .expect("clock echoed");
    assert!(t.contains(&format!("] clock\n{clock_at}\n")), "{t}");

    // The saved session replays with `sim run`, printing the same kubectl output.
    let saved = dir.path().join("session.yaml");
    let run = Command::new(env!("CARGO_BIN_EXE_sim"))
        .arg("run")
        .arg(&saved)
        .current_dir(dir.path())
        .output()
        .expect("sim run");
    let replay = text(&run);
    assert!(run.status.success(), "{replay}");
    let typed: Vec<String> = kubectl_blocks(&t)
        .into_iter()
        .filter(|b| !b.contains("$ kubectl gte"))
        .collect();
    assert_eq!(typed.len(), 6, "{t}");
    assert_eq!(kubectl_blocks(&replay), typed);
}

#[test]
fn same_script_same_bytes() {
    let a = shell(
        &root(),
        &[],
        "run x --image=nginx\nsleep 10s\nget pods\nclock\n",
    );
    let b = shell(
        &root(),
        &[],
        "run x --image=nginx\nsleep 10s\nget pods\nclock\n",
    );
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    assert!(
        text(&a).contains("x      1/1     Running   0          10s"),
        "{}",
        text(&a)
    );
}

#[test]
fn save_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("keep.yaml"), "precious").expect("write");
    let out = shell(
        dir.path(),
        &[],
        "sleep 1s\nsave keep.yaml\nsave --force keep.yaml\nexit\nclock\n",
    );
    let t = text(&out);
    assert!(
        t.contains("error: keep.yaml exists; use save --force keep.yaml to replace it"),
        "{t}"
    );
    assert!(t.contains("saved 1 step to keep.yaml"), "{t}");
    // Nothing runs after exit.
    assert!(!t.contains("] clock"), "{t}");
    let saved = std::fs::read_to_string(dir.path().join("keep.yaml")).expect("saved");
    assert!(saved.contains("    wait: 1s\n"), "{saved}");
}

#[test]
fn scenario_cluster_and_usage_errors() {
    let out = shell(
        &root(),
        &["scenarios/course/2.3-pods.yaml", "--seed", "7"],
        "get nodes\nsleep ten\nsleep 10\nrun until pod/x sleeping\nrun until pod/missing running\n",
    );
    let t = text(&out);
    assert!(
        t.starts_with("kubesim shell: the cluster of scenario \"course-2.3-pods\" (seed 7,"),
        "{t}"
    );
    assert!(t.contains("control-plane   Ready    control-plane"), "{t}");
    assert!(t.contains("error: sleep 10: "), "{t}");
    assert!(t.contains("did you mean 10s?"), "{t}");
    assert!(t.contains("error: usage: run until"), "{t}");
    assert!(
        t.contains("gave up after 5m0s: pod/missing is not running"),
        "{t}"
    );
}

#[test]
fn get_watch_prints_self_healing_rows() {
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["run", "scenarios/workloads/watch-self-healing.yaml"])
        .current_dir(root())
        .output()
        .expect("sim run");
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    let rows: Vec<&str> = t
        .lines()
        .skip_while(|l| !l.contains("$ kubectl delete pod"))
        .filter(|l| l.starts_with("my-tomcat-"))
        .collect();
    let status = |s: &str| rows.iter().any(|r| r.split_whitespace().nth(2) == Some(s));
    for s in ["Terminating", "Pending", "ContainerCreating", "Running"] {
        assert!(status(s), "no {s} row in {t}");
    }
}

#[test]
fn shell_watch_rows_come_when_time_advances() {
    let out = shell(
        &root(),
        &[],
        "run web --image=nginx:1.14.2\nget pod web -w\nclock\nsleep 10s\n",
    );
    let t = text(&out);
    let after_clock = t.split("] clock\n").nth(1).expect("clock");
    assert!(
        after_clock.contains("web    0/1     ContainerCreating"),
        "{t}"
    );
    assert!(after_clock.contains("web    1/1     Running"), "{t}");
}

/// Runs `sim shell` in `dir` with raw bytes on stdin.
fn shell_bytes(dir: &Path, script: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sim"))
        .arg("shell")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sim starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script)
        .expect("script written");
    child.wait_with_output().expect("sim ends")
}

#[test]
fn a_line_that_is_not_utf8_is_an_error_for_that_line_only() {
    let out = shell_bytes(&root(), b"clock\nget pods \xff\xfe\nsleep 1s\nclock\n");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("error: line 2: not UTF-8 text"), "{t}");
    assert!(
        t.contains("] sleep 1s\n"),
        "the session ended at the bad line: {t}"
    );
    assert!(t.ends_with("4.313s\n"), "{t}");
}

#[test]
fn sleep_has_a_longest_duration() {
    let out = shell(&root(), &[], "sleep 100000h\nclock\n");
    let t = text(&out);
    assert!(
        t.contains("error: sleep 100000h: too long; the longest sleep is 1000h0m0s"),
        "{t}"
    );
    assert!(t.ends_with("\n3.313s\n"), "time moved: {t}");
}

/// `kubectl exec -it POD -- sh` in a script: the following lines go to the
/// container's shell, each echoed after its prompt, until `exit`; the
/// session's state (working directory, variables, files) lasts between
/// lines, and what it wrote stays in the container afterwards.
#[test]
fn a_container_session_takes_the_lines_until_exit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = "\
kubectl run my-tomcat --image tomcat:9.0.55
run until pod/my-tomcat running
kubectl exec -it my-tomcat -- sh
cd webapps.dist; X=ROOT
ls $X | head -2
curl -s -o /dev/null localhost:8080; echo $?
echo kept > /tmp/f
exit
kubectl exec my-tomcat -- cat /tmp/f
kubectl exec -it my-tomcat -- redis-cli
kubectl exec -i my-tomcat -- bash
pwd
";
    let out = shell(dir.path(), &[], script);
    assert!(out.status.success(), "{out:?}");
    let t = text(&out);
    assert!(
        t.contains("$ kubectl exec -it my-tomcat -- sh\n# cd webapps.dist; X=ROOT\n# ls $X | head -2\nRELEASE-NOTES.txt\nWEB-INF\n"),
        "{t}"
    );
    assert!(t.contains("# echo kept > /tmp/f\n# exit\n["), "{t}");
    assert!(
        t.contains("$ kubectl exec my-tomcat -- cat /tmp/f\nkept\n"),
        "{t}"
    );
    assert!(
        t.contains("OCI runtime exec failed: exec failed: unable to start container process: exec: \"redis-cli\": executable file not found in $PATH: unknown\ncommand terminated with exit code 126\n"),
        "the image has no redis-cli: {t}"
    );
    // Without a terminal there is no prompt; the input's end closes it.
    assert!(
        t.ends_with("$ kubectl exec -i my-tomcat -- bash\npwd\n/usr/local/tomcat\n"),
        "{t}"
    );
}

/// The course's NFS steps typed on the master, and an NFS outage injected
/// from the shell: saved, the session replays them (the host lines and the
/// fault with its server).
#[test]
fn a_master_becomes_an_nfs_server_and_its_outage_is_saved() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = "mkdir -p /nfs/data\n\
echo '/nfs/data/ *(insecure,rw,sync,no_root_squash)' > /etc/exports\n\
exportfs -rv\n\
exportfs\n\
fault nfs-outage 172.18.0.2 30s\n\
fault nfs-outage nfs.example.com\n\
sleep 40s\n\
save nfs.yaml\n";
    let out = shell(dir.path(), &[], script);
    assert!(out.status.success(), "{out:?}");
    let t = text(&out);
    assert!(t.contains("# exportfs -rv\nexporting *:/nfs/data\n"), "{t}");
    assert!(t.contains("# exportfs\n/nfs/data     \t<world>\n"), "{t}");
    assert!(
        t.contains("fault starts: nfs-outage 172.18.0.2 for 30s"),
        "{t}"
    );
    assert!(
        t.contains("fault ends: nfs-outage 172.18.0.2 for 30s"),
        "{t}"
    );
    assert!(
        t.contains("\"nfs.example.com\" is not an IPv4 address"),
        "{t}"
    );
    let saved = std::fs::read_to_string(dir.path().join("nfs.yaml")).expect("saved");
    assert!(saved.contains("server: \"172.18.0.2\""), "{saved}");
    let run = Command::new(env!("CARGO_BIN_EXE_sim"))
        .arg("run")
        .arg(dir.path().join("nfs.yaml"))
        .current_dir(dir.path())
        .output()
        .expect("sim run");
    let replay = text(&run);
    assert!(run.status.success(), "{replay}");
    assert!(replay.contains("exporting *:/nfs/data"), "{replay}");
    assert!(
        replay.contains("fault starts: nfs-outage 172.18.0.2 for 30s"),
        "{replay}"
    );
}
