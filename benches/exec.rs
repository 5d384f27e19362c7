//! The cost of `kubectl exec` (issue 11): one request through the API
//! server's pods/exec checks into a running container, for a one-shot
//! program, a shell line with a pipe, and an HTTP request to the pod's own
//! server; and, printed once, the memory a container costs once it has been
//! stepped into (its layer and its pod's volumes), measured as the growth of
//! the process's resident set over 1,000 first execs. And (issue 12) a
//! request through a Service from a pod on a cluster of 1,000 workers: the
//! name resolved by the cluster DNS, the address rewritten by the client
//! node's kube-proxy rules, the page served by a pod on another node.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use sim_core::api::{Kind, Object};
use sim_core::apiserver::Request;
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::Cluster;
use sim_core::components::kubelet::ExecRequest;
use sim_core::config::ClusterConfig;
use sim_core::time::{SimDuration, SimTime};
use sim_core::trace::Trace;

/// A cluster with `pods` tomcat pods (a worker for each 100), each with an emptyDir and
/// a ConfigMap volume, all Running.
fn cluster(pods: usize) -> Cluster {
    // At most 110 pods a node (the kubelet's maxPods).
    let workers = pods / 100 + 1;
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(workers), 1, Trace::disabled());
    c.run_until(SimTime::ZERO + SimDuration::from_secs(10))
        .expect("boots");
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "cfg", "namespace": "default"},
                    "data": {"app.properties": "a=1\n"}});
    c.request(
        "bench",
        Request::Create(Kind::ConfigMap.decode(&cm).expect("a ConfigMap")),
    )
    .expect("created");
    for i in 0..pods {
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("t{i}"), "namespace": "default"},
            "spec": {"containers": [{"name": "app", "image": "tomcat:9.0.55",
                        "volumeMounts": [{"name": "d", "mountPath": "/data"},
                                         {"name": "c", "mountPath": "/etc/config"}]}],
                     "volumes": [{"name": "d", "emptyDir": {}},
                                 {"name": "c", "configMap": {"name": "cfg"}}]}});
        let obj: Object = Kind::Pod.decode(&pod).expect("a pod");
        c.request("bench", Request::Create(obj)).expect("created");
    }
    c.run_until(SimTime::ZERO + SimDuration::from_secs(300))
        .expect("runs");
    c
}

fn request(pod: &str, argv: &[&str]) -> ExecRequest {
    ExecRequest {
        namespace: "default".into(),
        pod: pod.into(),
        container: "app".into(),
        command: argv.iter().map(|a| (*a).to_owned()).collect(),
        ..ExecRequest::default()
    }
}

/// The resident set of this process, bytes (Linux).
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

// The memory figure is this benchmark's report, printed beside criterion's.
#[allow(clippy::print_stderr)]
fn bench_exec(c: &mut Criterion) {
    let mut cl = cluster(1);
    // Made on the first exec; the benchmark measures the ones after.
    let first = cl.exec("bench", request("t0", &["true"])).expect("runs");
    assert_eq!(first.status, 0);
    c.bench_function("exec_ls", |b| {
        b.iter(|| {
            black_box(
                cl.exec("bench", request("t0", &["ls", "/usr/local/tomcat"]))
                    .expect("runs"),
            )
        })
    });
    c.bench_function("exec_sh_pipe", |b| {
        b.iter(|| {
            black_box(
                cl.exec(
                    "bench",
                    request(
                        "t0",
                        &["sh", "-c", "cat /etc/os-release | grep VERSION | wc -l"],
                    ),
                )
                .expect("runs"),
            )
        })
    });
    c.bench_function("exec_curl_localhost", |b| {
        b.iter(|| {
            black_box(
                cl.exec("bench", request("t0", &["curl", "-s", "localhost:8080"]))
                    .expect("runs"),
            )
        })
    });

    // Memory: 1,000 containers stepped into for the first time.
    let pods = 1_000;
    let mut cl = cluster(pods);
    let before = rss_bytes();
    for i in 0..pods {
        let out = cl
            .exec(
                "bench",
                request(
                    &format!("t{i}"),
                    &["sh", "-c", "echo hi > /data/f; touch /tmp/x"],
                ),
            )
            .expect("runs");
        assert_eq!(out.status, 0, "{out:?}");
    }
    let after = rss_bytes();
    if let (Some(a), Some(b)) = (before, after) {
        eprintln!(
            "memory of a container stepped into: {} bytes ({pods} containers: resident set {} -> {} bytes)",
            b.saturating_sub(a) / pods as u64,
            a,
            b
        );
    }
}

/// 1,000 workers, ten nginx pods behind Service `web`, a busybox client.
fn routed_cluster() -> Cluster {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(1_000), 1, Trace::disabled());
    c.run_until(SimTime::ZERO + SimDuration::from_secs(10))
        .expect("boots");
    let objects = [
        (
            Kind::Deployment,
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "web", "namespace": "default"},
                   "spec": {"replicas": 10, "selector": {"matchLabels": {"app": "web"}},
                            "template": {"metadata": {"labels": {"app": "web"}},
                                         "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2"}]}}}}),
        ),
        (
            Kind::Service,
            json!({"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": "web", "namespace": "default"},
                   "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}),
        ),
        (
            Kind::Pod,
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": "client", "namespace": "default"},
                   "spec": {"containers": [{"name": "app", "image": "busybox", "command": ["sleep", "3600"]}]}}),
        ),
    ];
    for (kind, v) in objects {
        let obj: Object = kind.decode(&v).expect("decodes");
        c.request("bench", Request::Create(obj)).expect("created");
    }
    c.run_until(SimTime::ZERO + SimDuration::from_secs(120))
        .expect("runs");
    c
}

fn bench_routing(c: &mut Criterion) {
    let mut cl = routed_cluster();
    let first = cl
        .exec(
            "bench",
            request("client", &["wget", "-q", "-O", "-", "http://web/"]),
        )
        .expect("runs");
    assert_eq!(first.status, 0, "{first:?}");
    c.bench_function("request_through_service_1000_nodes", |b| {
        b.iter(|| {
            black_box(
                cl.exec(
                    "bench",
                    request("client", &["wget", "-q", "-O", "-", "http://web/"]),
                )
                .expect("runs"),
            )
        })
    });
}

criterion_group!(benches, bench_exec, bench_routing);
criterion_main!(benches);
