//! Integration tests of what a container sees, as the kubelet resolves it:
//! environment precedence (image env, envFrom with prefix, env with
//! configMapKeyRef / secretKeyRef / fieldRef / `$(VAR)`, service links),
//! `CreateContainerConfigError` with the kubelet's messages and the retry
//! that starts the container once the ConfigMap exists, env kept from the
//! start while volume files follow the ConfigMap, and the files of
//! configMap / secret / emptyDir volumes.
//!
//! Expected behaviour: pkg/kubelet/kubelet_pods.go `makeEnvironmentVariables`,
//! pkg/kubelet/envvars, containerd's env merge (`/work/shared/k8s-semantics.md`
//! §5, §7.3, §8).

use serde_json::{json, Value};
use sim_core::api::{Kind, ObjectKey};
use sim_core::apiserver::Request;
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::Cluster;
use sim_core::cluster::ExecFailure;
use sim_core::components::kubelet::{ExecOutput, ExecRequest};
use sim_core::config::ClusterConfig;
use sim_core::trace::Trace;

mod common;

use common::{at, create, get_pod, ok};

fn cluster() -> Cluster {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(1), 7, Trace::new());
    c.run_until(at(10)).unwrap();
    c
}

fn config_map(c: &mut Cluster, name: &str, data: Value) {
    create(
        c,
        Kind::ConfigMap,
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": name, "namespace": "default"}, "data": data}),
    );
}

fn pod(c: &mut Cluster, name: &str, container: Value, volumes: Value) {
    create(
        c,
        Kind::Pod,
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": "default"},
               "spec": {"containers": [container], "volumes": volumes}}),
    );
}

/// `kubectl exec POD -c CONTAINER -- ARGV`, through the API server.
fn exec(
    c: &mut Cluster,
    pod: &str,
    container: &str,
    argv: &[&str],
) -> Result<ExecOutput, ExecFailure> {
    c.exec(
        "test",
        ExecRequest {
            namespace: "default".into(),
            pod: pod.into(),
            container: container.into(),
            command: argv.iter().map(|a| (*a).to_owned()).collect(),
            ..ExecRequest::default()
        },
    )
}

/// What `env` prints in the container.
#[derive(Debug)]
struct View {
    env: Vec<(String, String)>,
}

impl View {
    fn get(&self, k: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
}

fn view(c: &mut Cluster, pod: &str, container: &str) -> Result<View, ExecFailure> {
    let out = exec(c, pod, container, &["env"])?;
    assert_eq!(out.status, 0, "{out:?}");
    Ok(View {
        env: out
            .stdout
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    })
}

fn env_of(v: &View) -> Vec<String> {
    v.env.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

fn events(c: &Cluster, pod: &str) -> Vec<(String, String)> {
    c.etcd()
        .list(Kind::Event, Some("default"))
        .iter()
        .map(|e| e.to_json())
        .filter(|e| e["involvedObject"]["name"] == pod)
        .map(|e| {
            (
                e["reason"].as_str().unwrap_or_default().to_owned(),
                e["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn env_follows_kubernetes_precedence_and_containerd_order() {
    let mut c = cluster();
    config_map(
        &mut c,
        "a",
        json!({"X": "from-a", "Y": "y", "JAVA_HOME": "/cm"}),
    );
    create(
        &mut c,
        Kind::Secret,
        json!({"apiVersion": "v1", "kind": "Secret",
               "metadata": {"name": "s", "namespace": "default"},
               "data": {"X": "ZnJvbS1z", "PASS": "czNjcjN0"}}),
    );
    create(
        &mut c,
        Kind::Service,
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "my-svc", "namespace": "default"},
               "spec": {"selector": {"app": "x"},
                        "ports": [{"name": "http", "port": 8080, "targetPort": 8080}]}}),
    );
    c.run_until(at(12)).unwrap();
    pod(
        &mut c,
        "p",
        json!({"name": "app", "image": "tomcat:9.0.55",
               "envFrom": [{"configMapRef": {"name": "a"}},
                           {"secretRef": {"name": "s"}},
                           {"configMapRef": {"name": "a"}, "prefix": "P_"},
                           {"configMapRef": {"name": "absent", "optional": true}}],
               "env": [{"name": "Z", "value": "z=$(Y) $(NOPE) $$(Y)"},
                       {"name": "PASS2", "valueFrom": {"secretKeyRef": {"name": "s", "key": "PASS"}}},
                       {"name": "ME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                       {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                       {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                       {"name": "OPT", "valueFrom": {"configMapKeyRef": {"name": "a", "key": "nokey", "optional": true}}},
                       {"name": "Y", "value": "explicit"}]}),
        json!([]),
    );
    c.run_until(at(40)).unwrap();
    let p = get_pod(&mut c, "p");
    assert_eq!(p["status"]["phase"], "Running", "{p}");
    let ip = p["status"]["podIP"].as_str().unwrap().to_owned();
    let v = view(&mut c, "p", "app").expect("running container");
    let env = env_of(&v);
    assert_eq!(
        env[..3],
        [
            "PATH=/usr/local/tomcat/bin:/usr/local/openjdk-11/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
            "HOSTNAME=p".to_owned(),
            // The ConfigMap's JAVA_HOME replaces the image's in place.
            "JAVA_HOME=/cm".to_owned(),
        ]
    );
    let get = |k: &str| v.get(k).map(str::to_owned);
    assert_eq!(get("CATALINA_HOME").as_deref(), Some("/usr/local/tomcat"));
    // The later envFrom source wins; env wins over envFrom.
    assert_eq!(get("X").as_deref(), Some("from-s"));
    assert_eq!(get("Y").as_deref(), Some("explicit"));
    assert_eq!(get("P_X").as_deref(), Some("from-a"));
    // $(Y) expands to the value defined so far; unknown refs stay; $$ escapes.
    assert_eq!(get("Z").as_deref(), Some("z=y $(NOPE) $(Y)"));
    assert_eq!(get("PASS").as_deref(), Some("s3cr3t"));
    assert_eq!(get("PASS2").as_deref(), Some("s3cr3t"));
    assert_eq!(get("ME").as_deref(), Some("p"));
    assert_eq!(get("NODE").as_deref(), Some("worker-1"));
    assert_eq!(get("IP"), Some(ip));
    assert_eq!(get("OPT"), None);
    // Service links: kubernetes (default namespace) and my-svc.
    assert_eq!(get("KUBERNETES_SERVICE_HOST").as_deref(), Some("10.96.0.1"));
    assert_eq!(get("KUBERNETES_SERVICE_PORT").as_deref(), Some("443"));
    assert_eq!(get("KUBERNETES_SERVICE_PORT_HTTPS").as_deref(), Some("443"));
    assert_eq!(
        get("KUBERNETES_PORT").as_deref(),
        Some("tcp://10.96.0.1:443")
    );
    assert_eq!(
        get("KUBERNETES_PORT_443_TCP_ADDR").as_deref(),
        Some("10.96.0.1")
    );
    assert_eq!(get("MY_SVC_SERVICE_PORT").as_deref(), Some("8080"));
    assert_eq!(get("MY_SVC_SERVICE_PORT_HTTP").as_deref(), Some("8080"));
    assert_eq!(get("MY_SVC_PORT_8080_TCP_PROTO").as_deref(), Some("tcp"));
    let svc_ip = get("MY_SVC_SERVICE_HOST").expect("service host");
    assert_eq!(
        get("MY_SVC_PORT").as_deref(),
        Some(format!("tcp://{svc_ip}:8080").as_str())
    );
    // The pod's variables come before the service links.
    let pos = |k: &str| env.iter().position(|e| e.starts_with(&format!("{k}=")));
    assert!(pos("ME") < pos("KUBERNETES_SERVICE_HOST"));
}

#[test]
fn a_missing_config_map_blocks_the_container_until_it_exists() {
    let mut c = cluster();
    pod(
        &mut c,
        "late",
        json!({"name": "app", "image": "busybox:1.36",
               "env": [{"name": "F", "valueFrom": {"configMapKeyRef": {"name": "late", "key": "f"}}}]}),
        json!([]),
    );
    c.run_until(at(15)).unwrap();
    let p = get_pod(&mut c, "late");
    let waiting = &p["status"]["containerStatuses"][0]["state"]["waiting"];
    assert_eq!(waiting["reason"], "CreateContainerConfigError", "{p}");
    assert_eq!(waiting["message"], "configmap \"late\" not found");
    assert_eq!(p["status"]["phase"], "Pending");
    assert!(events(&c, "late").contains(&(
        "Failed".to_owned(),
        "Error: configmap \"late\" not found".to_owned()
    )));
    assert_eq!(
        view(&mut c, "late", "app").unwrap_err().to_string(),
        "error: unable to upgrade connection: container not found (\"app\")"
    );

    // The object without the key: the kubelet's second message.
    config_map(&mut c, "late", json!({"other": "x"}));
    c.run_until(at(30)).unwrap();
    let p = get_pod(&mut c, "late");
    assert_eq!(
        p["status"]["containerStatuses"][0]["state"]["waiting"]["message"],
        "couldn't find key f in ConfigMap default/late"
    );

    // With the key, the next retry (every 10 s) starts the container.
    let mut cm = ok(c.request(
        "test",
        Request::Get(ObjectKey::new(Kind::ConfigMap, "default", "late")),
    ))
    .to_json();
    cm["data"] = json!({"f": "on"});
    ok(c.request(
        "test",
        Request::Update(Kind::ConfigMap.decode(&cm).unwrap()),
    ));
    c.run_until(at(45)).unwrap();
    let p = get_pod(&mut c, "late");
    assert_eq!(p["status"]["phase"], "Running", "{p}");
    let v = view(&mut c, "late", "app").expect("running");
    assert_eq!(v.get("F"), Some("on"));
}

#[test]
fn env_is_kept_from_the_start_while_volume_files_follow_the_config_map() {
    let mut c = cluster();
    config_map(&mut c, "cfg", json!({"mode": "one", "app.conf": "a=1\n"}));
    create(
        &mut c,
        Kind::Secret,
        json!({"apiVersion": "v1", "kind": "Secret",
               "metadata": {"name": "sec", "namespace": "default"},
               "data": {"key": "YWJj"}}),
    );
    pod(
        &mut c,
        "v",
        json!({"name": "app", "image": "nginx:1.14.2",
               "env": [{"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "mode"}}}],
               "volumeMounts": [{"name": "cfg", "mountPath": "/etc/config"},
                                {"name": "sec", "mountPath": "/etc/sec"},
                                {"name": "scratch", "mountPath": "/scratch"}]}),
        json!([{"name": "cfg", "configMap": {"name": "cfg", "items": [{"key": "app.conf", "path": "conf/app.conf"}]}},
               {"name": "sec", "secret": {"secretName": "sec", "defaultMode": 256}},
               {"name": "scratch", "emptyDir": {}}]),
    );
    c.run_until(at(30)).unwrap();
    let v = view(&mut c, "v", "app").expect("running");
    assert_eq!(v.get("MODE"), Some("one"));
    let run = |c: &mut Cluster, argv: &[&str]| {
        let out = exec(c, "v", "app", argv).expect("exec");
        (out.stdout, out.stderr, out.status)
    };
    assert_eq!(
        run(&mut c, &["cat", "/etc/config/conf/app.conf"]).0,
        "a=1\n"
    );
    assert_eq!(
        run(&mut c, &["cat", "/etc/config/mode"]),
        (
            String::new(),
            "cat: /etc/config/mode: No such file or directory\n".into(),
            1
        ),
        "items select keys"
    );
    assert_eq!(run(&mut c, &["cat", "/etc/sec/key"]).0, "abc");
    let listing = run(&mut c, &["ls", "-l", "/etc/sec/..data/key"]).0;
    assert!(
        listing.starts_with("-r-------- 1 root root 3 "),
        "{listing}"
    );
    assert_eq!(run(&mut c, &["ls", "-A", "/scratch"]).0, "");
    let root = run(&mut c, &["ls", "/"]).0;
    for d in ["bin", "etc", "scratch", "usr", "var"] {
        assert!(root.lines().any(|l| l == d), "{root}");
    }
    assert_eq!(run(&mut c, &["cat", "/etc/hostname"]).0, "v\n");
    // The config volumes are read-only; the emptyDir is not.
    let (_, err, status) = run(&mut c, &["touch", "/etc/config/new"]);
    assert_eq!(
        (err.as_str(), status),
        (
            "touch: cannot touch '/etc/config/new': Read-only file system\n",
            1
        )
    );
    assert_eq!(run(&mut c, &["touch", "/scratch/new"]).2, 0);

    let mut cm = ok(c.request(
        "test",
        Request::Get(ObjectKey::new(Kind::ConfigMap, "default", "cfg")),
    ))
    .to_json();
    cm["data"] = json!({"mode": "two", "app.conf": "a=2\n"});
    ok(c.request(
        "test",
        Request::Update(Kind::ConfigMap.decode(&cm).unwrap()),
    ));
    c.run_until(at(40)).unwrap();
    let v = view(&mut c, "v", "app").expect("running");
    assert_eq!(v.get("MODE"), Some("one"), "env is never updated");
    assert_eq!(
        exec(&mut c, "v", "app", &["cat", "/etc/config/conf/app.conf"])
            .expect("exec")
            .stdout,
        "a=2\n"
    );
    // What the container wrote into its emptyDir stays with the pod.
    assert_eq!(
        exec(&mut c, "v", "app", &["ls", "/scratch"])
            .expect("exec")
            .stdout,
        "new\n"
    );
}

#[test]
fn a_missing_secret_is_reported_with_the_kubelet_message() {
    let mut c = cluster();
    pod(
        &mut c,
        "s",
        json!({"name": "app", "image": "nginx:1.14.2",
               "envFrom": [{"secretRef": {"name": "nope"}}]}),
        json!([]),
    );
    c.run_until(at(20)).unwrap();
    let p = get_pod(&mut c, "s");
    assert_eq!(
        p["status"]["containerStatuses"][0]["state"]["waiting"]["message"],
        "secret \"nope\" not found"
    );
}

/// Random command lines, direct and through `sh`, one-shot and as sessions
/// on a terminal, into a tomcat and a busybox container: the runtime never
/// panics, every status is an exit status, and output stays bounded.
#[test]
fn random_exec_requests_always_answer() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let mut c = cluster();
    pod(
        &mut c,
        "t",
        json!({"name": "app", "image": "tomcat:9.0.55",
               "volumeMounts": [{"name": "d", "mountPath": "/data"}]}),
        json!([{"name": "d", "emptyDir": {}}]),
    );
    pod(
        &mut c,
        "b",
        json!({"name": "app", "image": "busybox", "command": ["sleep", "3600"]}),
        json!([]),
    );
    c.run_until(at(120)).unwrap();
    for p in ["t", "b"] {
        assert_eq!(
            exec(&mut c, p, "app", &["true"]).map(|o| o.status),
            Ok(0),
            "{p} runs"
        );
    }
    let c = std::cell::RefCell::new(c);
    let words = prop::sample::select(vec![
        "ls",
        "-l",
        "-a",
        "cat",
        "echo",
        "x",
        "/",
        "/data",
        "/data/f",
        ">",
        ">>",
        "<",
        "|",
        "&&",
        "||",
        ";",
        "rm",
        "-rf",
        "mv",
        "cp",
        "-r",
        "mkdir",
        "-p",
        "cd",
        "..",
        "curl",
        "-s",
        "localhost:8080",
        "wget",
        "-O",
        "-",
        "localhost",
        "grep",
        "sort",
        "wc",
        "head",
        "'a b'",
        "\"$HOME\"",
        "$?",
        "exit",
        "env",
        "date",
        "uname",
        "-a",
        "nope",
        "webapps.dist",
        "webapps",
        "redis-cli",
        "PING",
    ]);
    let line = prop::collection::vec(words, 0..12).prop_map(|w| w.join(" "));
    let session = prop::collection::vec(line.clone(), 0..5).prop_map(|l| l.join("\n"));
    let strategy = (
        prop::sample::select(vec!["t", "b"]),
        line,
        session,
        any::<bool>(),
    );
    let mut runner = TestRunner::new(Config {
        cases: 64,
        ..Config::default()
    });
    runner
        .run(&strategy, |(pod, line, session, tty)| {
            let argv: Vec<String> = line
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect();
            for req in [
                ExecRequest {
                    command: argv.clone(),
                    tty,
                    ..ExecRequest::default()
                },
                ExecRequest {
                    command: vec!["sh".into(), "-c".into(), line.clone()],
                    tty,
                    ..ExecRequest::default()
                },
                ExecRequest {
                    command: vec!["sh".into()],
                    stdin: session.clone(),
                    tty,
                    ..ExecRequest::default()
                },
            ] {
                let req = ExecRequest {
                    namespace: "default".into(),
                    pod: pod.into(),
                    container: "app".into(),
                    ..req
                };
                let out = c.borrow_mut().exec("test", req);
                let out = match out {
                    Ok(out) => out,
                    Err(e) => return Err(TestCaseError::fail(e.to_string())),
                };
                prop_assert!((0..=255).contains(&out.status), "{out:?}");
                prop_assert!(out.stdout.len() + out.stderr.len() <= 4 << 20);
            }
            Ok(())
        })
        .expect("every request answered");
}

/// downwardAPI and projected volumes: the pod's fields and labels as the
/// kubelet writes them (`key="value"` lines sorted by key), a projected
/// volume merging a ConfigMap's key and a field, all read-only.
#[test]
fn downward_api_and_projected_volumes_hold_their_files() {
    let mut c = cluster();
    config_map(&mut c, "cfg", json!({"mode": "blue"}));
    create(
        &mut c,
        Kind::Pod,
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "d", "namespace": "default",
                            "labels": {"zone": "b", "app": "web"}},
               "spec": {"containers": [{"name": "app", "image": "busybox", "command": ["sleep", "3600"],
                          "volumeMounts": [{"name": "info", "mountPath": "/etc/podinfo"},
                                           {"name": "all", "mountPath": "/etc/all"}]}],
                        "volumes": [
                          {"name": "info", "downwardAPI": {"items": [
                              {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                              {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}}]}},
                          {"name": "all", "projected": {"sources": [
                              {"configMap": {"name": "cfg"}},
                              {"downwardAPI": {"items": [
                                  {"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}]}}]}}),
    );
    c.run_until(at(40)).unwrap();
    let cat =
        |c: &mut Cluster, path: &str| exec(c, "d", "app", &["cat", path]).expect("exec").stdout;
    assert_eq!(
        cat(&mut c, "/etc/podinfo/labels"),
        "app=\"web\"\nzone=\"b\""
    );
    assert_eq!(cat(&mut c, "/etc/podinfo/name"), "d");
    assert_eq!(cat(&mut c, "/etc/all/mode"), "blue");
    assert_eq!(cat(&mut c, "/etc/all/ns"), "default");
    let out = exec(&mut c, "d", "app", &["touch", "/etc/podinfo/x"]).expect("exec");
    assert_eq!(
        (out.stderr.as_str(), out.status),
        ("touch: /etc/podinfo/x: Read-only file system\n", 1)
    );
}
