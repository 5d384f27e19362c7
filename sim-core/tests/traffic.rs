//! Traffic sources: requests at a fixed rate from a node, through its
//! rules, counted per second; a deleted pod's requests fail until its
//! replacement is ready and in the rules.

use serde_json::json;
use sim_core::api::Kind;
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::{Cluster, TrafficSpec};
use sim_core::config::ClusterConfig;
use sim_core::trace::Trace;
use sim_core::SimDuration;

mod common;

use common::{at, create, delete};

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
    create(
        &mut c,
        Kind::Service,
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "web", "namespace": "default"},
               "spec": {"type": "NodePort", "selector": {"app": "web"},
                        "ports": [{"port": 80, "nodePort": 30080}]}}),
    );
    c.run_until(at(60)).unwrap();
    c
}

#[test]
fn requests_are_counted_per_second_and_a_lost_pod_shows() {
    let mut c = cluster();
    let id = c
        .start_traffic(TrafficSpec {
            name: "web".into(),
            node: "control-plane".into(),
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
