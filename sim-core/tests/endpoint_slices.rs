//! The EndpointSlice controller in a running cluster: a Service's pods in
//! slices of at most 100 endpoints with the real labels, owner and
//! conditions; a deleted pod's endpoint terminating (not ready, still
//! serving) until it is gone; a Service selecting nothing keeps an empty
//! placeholder; the slices go with their Service.
//!
//! Expected behaviour: pkg/controller/endpointslice and its reconciler
//! (`/work/shared/k8s-semantics.md` §6).

use serde_json::{json, Value};
use sim_core::api::Kind;
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::Cluster;
use sim_core::config::ClusterConfig;
use sim_core::trace::Trace;

mod common;

use common::{at, create, delete};

/// The slices of Service `svc` in `default`, as JSON, by name.
fn slices(c: &Cluster, svc: &str) -> Vec<Value> {
    c.etcd()
        .list(Kind::EndpointSlice, Some("default"))
        .iter()
        .map(|o| o.to_json())
        .filter(|s| s["metadata"]["labels"]["kubernetes.io/service-name"] == svc)
        .collect()
}

fn endpoints(slices: &[Value]) -> Vec<Value> {
    slices
        .iter()
        .flat_map(|s| s["endpoints"].as_array().cloned().unwrap_or_default())
        .collect()
}

#[test]
fn slices_hold_at_most_a_hundred_endpoints_with_their_conditions() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(2), 3, Trace::new());
    c.run_until(at(10)).unwrap();
    create(
        &mut c,
        Kind::Service,
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "web", "namespace": "default", "labels": {"tier": "front"}},
               "spec": {"selector": {"app": "web"},
                        "ports": [{"name": "http", "port": 80, "targetPort": "web"}]}}),
    );
    create(
        &mut c,
        Kind::Service,
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "nothing", "namespace": "default"},
               "spec": {"selector": {"app": "none"}, "ports": [{"port": 80}]}}),
    );
    create(
        &mut c,
        Kind::Deployment,
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "default"},
               "spec": {"replicas": 150, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2",
                                              "ports": [{"name": "web", "containerPort": 8080}]}]}}}}),
    );
    c.run_until(at(120)).unwrap();
    let s = slices(&c, "web");
    let mut sizes: Vec<usize> = s
        .iter()
        .map(|s| s["endpoints"].as_array().map_or(0, Vec::len))
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [50, 100], "150 endpoints in slices of at most 100");
    for slice in &s {
        let name = slice["metadata"]["name"].as_str().unwrap();
        assert!(name.starts_with("web-") && name.len() == 9, "{name}");
        assert_eq!(slice["addressType"], "IPv4");
        assert_eq!(
            slice["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"],
            "endpointslice-controller.k8s.io"
        );
        assert_eq!(
            slice["metadata"]["labels"]["tier"], "front",
            "the Service's labels"
        );
        let owner = &slice["metadata"]["ownerReferences"][0];
        assert_eq!(
            (owner["kind"].as_str(), owner["controller"].as_bool()),
            (Some("Service"), Some(true))
        );
        assert_eq!(
            slice["ports"],
            json!([{"name": "http", "port": 8080, "protocol": "TCP"}]),
            "the named targetPort resolved"
        );
    }
    let eps = endpoints(&s);
    assert!(eps
        .iter()
        .all(|e| e["conditions"] == json!({"ready": true, "serving": true, "terminating": false})));
    assert!(eps
        .iter()
        .all(|e| e["targetRef"]["kind"] == "Pod" && e["nodeName"].is_string()));

    // A deleted pod: terminating, not ready, still serving, then gone.
    let victim = eps[0]["targetRef"]["name"].as_str().unwrap().to_owned();
    delete(&mut c, Kind::Pod, "default", &victim);
    c.run_until(at(120) + sim_core::time::SimDuration::from_millis(100))
        .unwrap();
    let e = endpoints(&slices(&c, "web"))
        .into_iter()
        .find(|e| e["targetRef"]["name"] == victim.as_str())
        .expect("the terminating pod is still listed");
    assert_eq!(
        e["conditions"],
        json!({"ready": false, "serving": true, "terminating": true})
    );
    c.run_until(at(200)).unwrap();
    let eps = endpoints(&slices(&c, "web"));
    assert_eq!(eps.len(), 150, "its replacement is in, it is out");
    assert!(eps
        .iter()
        .all(|e| e["targetRef"]["name"] != victim.as_str()));

    // A Service selecting nothing keeps one empty slice.
    let empty = slices(&c, "nothing");
    assert_eq!(empty.len(), 1);
    assert!(endpoints(&empty).is_empty());

    // The slices go with their Service (the garbage collector).
    delete(&mut c, Kind::Service, "default", "web");
    c.run_until(at(230)).unwrap();
    assert!(slices(&c, "web").is_empty());
}
