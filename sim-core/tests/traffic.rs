//! Traffic sources: requests at a fixed rate from a node, through its
//! rules, counted per second; a deleted pod's requests fail until its
//! replacement is ready and in the rules.

use serde_json::json;
use sim_core::api::Kind;
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::{Cluster, Origin, TrafficSpec};
use sim_core::config::ClusterConfig;
use sim_core::trace::Trace;
use sim_core::SimDuration;

mod common;

use common::{at, create, delete, scale_coredns};

fn cluster() -> Cluster {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(2), 31, Trace::new());
    c.run_until(at(10)).unwrap();
    create(
        &mut c,
        Kind::Deployment,
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "default"},
               "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2"}]}}}}),
    );
    common::web_node_port(&mut c);
    c.run_until(at(60)).unwrap();
    c
}

#[test]
fn requests_are_counted_per_second_and_a_lost_pod_shows() {
    let mut c = cluster();
    let id = c
        .start_traffic(TrafficSpec {
            name: "web".into(),
            from: Origin::Node("control-plane".into()),
            host: "localhost".into(),
            port: 30080,
            path: "/".into(),
            rate_per_sec: 10,
            duration: SimDuration::from_secs(60),
        })
        .unwrap();
    c.run_until(at(70)).unwrap();
    let pod = c
        .etcd()
        .list(Kind::Pod, Some("default"))
        .first()
        .map(|o| o.name().to_owned())
        .unwrap();
    delete(&mut c, Kind::Pod, "default", &pod);
    c.run_until(at(130)).unwrap();
    let t = &c.traffic()[id];
    let total = t.totals();
    assert_eq!(total.sent, 600, "{total:?}");
    assert_eq!(t.seconds.len(), 60);
    // Steady before the deletion, steady again at the end.
    assert!(
        t.seconds[..10].iter().all(|s| s.ok == 10),
        "{:?}",
        &t.seconds[..10]
    );
    assert!(
        t.seconds[50..].iter().all(|s| s.ok == 10),
        "{:?}",
        &t.seconds[50..]
    );
    // In between, requests found no endpoint (refused) or a pod gone.
    assert!(total.failed() > 0, "{total:?}");
    assert_eq!(total.failed(), total.sent - total.ok);
}

#[test]
fn a_pod_source_resolves_by_the_cluster_dns_and_stops_with_its_pod() {
    let mut c = cluster();
    create(
        &mut c,
        Kind::Pod,
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "client", "namespace": "default"},
               "spec": {"containers": [{"name": "bb", "image": "busybox",
                                        "command": ["sleep", "3600"]}]}}),
    );
    c.run_until(at(90)).unwrap();
    let id = c
        .start_traffic(TrafficSpec {
            name: "by-name".into(),
            from: Origin::Pod {
                namespace: "default".into(),
                name: "client".into(),
            },
            host: "web".into(),
            port: 80,
            path: "/".into(),
            rate_per_sec: 10,
            duration: SimDuration::from_secs(240),
        })
        .unwrap();
    c.run_until(at(120)).unwrap();
    // With CoreDNS gone, names stop resolving; back, they resolve again.
    scale_coredns(&mut c, 0);
    c.run_until(at(180)).unwrap();
    scale_coredns(&mut c, 2);
    c.run_until(at(270)).unwrap();
    delete(&mut c, Kind::Pod, "default", "client");
    c.run_until(at(400)).unwrap();
    let t = &c.traffic()[id];
    let s = &t.seconds;
    assert_eq!(s.len(), 240);
    // Seconds 0..30 (t=90..120): every request answered by nginx.
    assert!(s[..30].iter().all(|o| o.ok == 10), "{:?}", &s[..30]);
    // Some seconds after the scale-down: every name unresolved.
    assert!(
        s[40..90].iter().any(|o| o.unresolved == 10),
        "{:?}",
        &s[30..90]
    );
    // Answered again before the client pod is deleted (t=270 is second 180).
    assert!(s[170..180].iter().all(|o| o.ok == 10), "{:?}", &s[170..180]);
    // The client's pod gone: nothing sent, counted apart, never as failed.
    assert!(s[230..].iter().all(|o| o.not_sent == 10 && o.sent == 0));
    let total = t.totals();
    assert_eq!(total.sent + total.not_sent, 2400);
    assert_eq!(total.failed(), total.unresolved, "{total:?}");
}

#[test]
fn a_source_from_a_missing_node_is_refused() {
    let mut c = cluster();
    let err = c
        .start_traffic(TrafficSpec {
            name: "x".into(),
            from: Origin::Node("nowhere".into()),
            host: "localhost".into(),
            port: 80,
            path: "/".into(),
            rate_per_sec: 1,
            duration: SimDuration::from_secs(1),
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "nodes \"nowhere\" not found");
}
