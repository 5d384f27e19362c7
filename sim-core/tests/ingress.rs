//! An ingress-nginx controller pod proxies by host and path to the
//! endpoints of the Services its Ingresses name: reached through its
//! NodePort Service from a node's shell, from a pod, or on its own node;
//! nginx's 404 when no rule matches, 503 when the backend has no endpoint;
//! a 1.x controller serves only Ingresses of its IngressClass, a 0.x one
//! class-less Ingresses too.

use serde_json::{json, Value};
use sim_core::api::Kind;
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::Cluster;
use sim_core::config::ClusterConfig;
use sim_core::trace::Trace;

mod common;

use common::{at, create, exec_in};

fn host(c: &mut Cluster, node: &str, line: &str) -> (String, String, i32) {
    let out = c.host_exec(node, line).expect("ssh");
    (out.stdout, out.stderr, out.status)
}

fn deployment(name: &str, ns: &str, image: &str, replicas: i32) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": name, "namespace": ns},
           "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": {"app": name}},
                                 "spec": {"containers": [{"name": name, "image": image}]}}}})
}

fn service(name: &str, ns: &str, port: i32, node_port: Option<i32>) -> Value {
    let mut p = json!({"port": port});
    let mut spec = json!({"selector": {"app": name}});
    if let Some(np) = node_port {
        p["nodePort"] = json!(np);
        spec["type"] = json!("NodePort");
    }
    spec["ports"] = json!([p]);
    json!({"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": name, "namespace": ns}, "spec": spec})
}

fn ingress(name: &str, class: Option<&str>, host: &str, svc: &str, port: i32) -> Value {
    let mut spec = json!({"rules": [{"host": host, "http": {"paths": [
        {"path": "/", "pathType": "Prefix",
         "backend": {"service": {"name": svc, "port": {"number": port}}}}]}}]});
    if let Some(c) = class {
        spec["ingressClassName"] = json!(c);
    }
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
           "metadata": {"name": name, "namespace": "default"}, "spec": spec})
}

/// Namespace ingress-nginx and IngressClass nginx of ingress-nginx.
fn namespace_and_class(c: &mut Cluster) {
    create(
        c,
        Kind::Namespace,
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ingress-nginx"}}),
    );
    create(
        c,
        Kind::IngressClass,
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
               "metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx"}}),
    );
}

/// tomcat behind Service my-tomcat, an ingress-nginx controller of `image`
/// behind NodePort 30080, IngressClass nginx.
fn cluster(image: &str) -> Cluster {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(2), 21, Trace::new());
    c.run_until(at(10)).unwrap();
    namespace_and_class(&mut c);
    for (kind, v) in [
        (
            Kind::Deployment,
            deployment("my-tomcat", "default", "tomcat:9.0.55", 2),
        ),
        (Kind::Service, service("my-tomcat", "default", 8080, None)),
        (
            Kind::Deployment,
            deployment("controller", "ingress-nginx", image, 1),
        ),
        (
            Kind::Service,
            service("controller", "ingress-nginx", 80, Some(30080)),
        ),
    ] {
        create(&mut c, kind, v);
    }
    c.run_until(at(60)).unwrap();
    c
}

#[test]
fn requests_go_by_host_to_the_backends_endpoints() {
    let mut c = cluster("registry.k8s.io/ingress-nginx/controller:v1.12.1");
    create(
        &mut c,
        Kind::Ingress,
        ingress("web", Some("nginx"), "tomcat.tuling.com", "my-tomcat", 8080),
    );
    c.run_until(at(62)).unwrap();
    let ip = c.kubelet("worker-1").unwrap().host_ip().to_owned();
    // From the master: its host entry, then the NodePort of the controller.
    let line = format!("echo '{ip} tomcat.tuling.com' >> /etc/hosts");
    assert_eq!(host(&mut c, "control-plane", &line).2, 0);
    let (out, err, status) = host(&mut c, "control-plane", "curl -si tomcat.tuling.com:30080/");
    assert_eq!(status, 0, "{err}");
    // tomcat's own 404 report (its webapps are empty), through nginx.
    assert!(
        out.starts_with("HTTP/1.1 404 \nServer: nginx\nDate: "),
        "{out:?}"
    );
    assert!(out.contains("Apache Tomcat/9.0.55"), "{out}");
    // Another host: the controller's default backend.
    let (out, _, _) = host(
        &mut c,
        "control-plane",
        &format!("curl -s -H 'Host: other.com' {ip}:30080/"),
    );
    assert!(
        out.contains("<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>"),
        "{out}"
    );
    // From a pod, by the Service of the controller.
    create(
        &mut c,
        Kind::Pod,
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "client", "namespace": "default"},
               "spec": {"containers": [{"name": "c", "image": "tomcat:9.0.55", "command": ["sleep", "3600"]}]}}),
    );
    c.run_until(at(70)).unwrap();
    let (out, err, _) = exec_in(
        &mut c,
        "client",
        "c",
        &[
            "curl",
            "-s",
            "-H",
            "Host: tomcat.tuling.com",
            "controller.ingress-nginx/",
        ],
    );
    assert!(out.contains("Apache Tomcat/9.0.55"), "{out}{err}");
    // No endpoints: 503.
    let mut d = c
        .etcd()
        .get(Kind::Deployment, "default", "my-tomcat")
        .unwrap()
        .to_json();
    d["spec"]["replicas"] = json!(0);
    c.request(
        "test",
        sim_core::apiserver::Request::Update(Kind::Deployment.decode(&d).unwrap()),
    )
    .unwrap();
    c.run_until(at(120)).unwrap();
    let (out, _, _) = host(&mut c, "control-plane", "curl -sI tomcat.tuling.com:30080/");
    assert!(
        out.starts_with("HTTP/1.1 503 Service Temporarily Unavailable"),
        "{out}"
    );
}

#[test]
fn class_less_ingresses_are_served_by_a_0_x_controller_only() {
    for (image, want) in [
        (
            "registry.k8s.io/ingress-nginx/controller:v1.12.1",
            "404 Not Found",
        ),
        (
            "registry.cn-hangzhou.aliyuncs.com/lfy_k8s_images/ingress-nginx-controller:v0.46.0",
            "Apache Tomcat/9.0.55",
        ),
    ] {
        let mut c = cluster(image);
        create(
            &mut c,
            Kind::Ingress,
            ingress("web", None, "tomcat.tuling.com", "my-tomcat", 8080),
        );
        c.run_until(at(62)).unwrap();
        let (out, _, _) = host(
            &mut c,
            "control-plane",
            "curl -s -H 'Host: tomcat.tuling.com' localhost:30080/",
        );
        assert!(out.contains(want), "{image}: {out}");
    }
}

/// The addresses in an Ingress's status.
fn ingress_addresses(c: &Cluster, name: &str) -> Vec<String> {
    let o = c
        .etcd()
        .get(Kind::Ingress, "default", name)
        .expect("ingress");
    let v = o.to_json();
    v["status"]["loadBalancer"]["ingress"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| {
                    i["ip"]
                        .as_str()
                        .or(i["hostname"].as_str())
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The controller's node's address.
fn controller_node_ip(c: &Cluster) -> String {
    let pods = c.etcd().list(Kind::Pod, Some("ingress-nginx"));
    let node = pods
        .iter()
        .find_map(|o| o.as_pod()?.spec.as_ref()?.node_name.clone())
        .expect("the controller is bound");
    let n = c.etcd().get(Kind::Node, "", &node).expect("node").to_json();
    n["status"]["addresses"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["type"] == "InternalIP"))
        .and_then(|x| x["address"].as_str())
        .expect("an InternalIP")
        .to_owned()
}

#[test]
fn the_leader_publishes_its_nodes_address_at_its_next_sync_and_clears_it_on_shutdown() {
    let mut c = cluster("registry.k8s.io/ingress-nginx/controller:v1.12.1");
    create(
        &mut c,
        Kind::Ingress,
        ingress("web", Some("nginx"), "tomcat.tuling.com", "my-tomcat", 8080),
    );
    create(
        &mut c,
        Kind::Ingress,
        ingress("other", Some("traefik"), "x.example.com", "my-tomcat", 8080),
    );
    c.run_until(at(62)).unwrap();
    // Not at once: the status sync runs once a minute.
    assert!(ingress_addresses(&c, "web").is_empty());
    c.run_until(at(125)).unwrap();
    assert_eq!(ingress_addresses(&c, "web"), [controller_node_ip(&c)]);
    // An Ingress of another class is not this controller's.
    assert!(ingress_addresses(&c, "other").is_empty());
    // The only controller shutting down clears what it published.
    common::delete(&mut c, Kind::Deployment, "ingress-nginx", "controller");
    c.run_until(at(200)).unwrap();
    assert!(ingress_addresses(&c, "web").is_empty());
}

#[test]
fn publish_status_address_and_publish_service_are_honoured() {
    for (arg, want) in [
        (
            "--publish-status-address=203.0.113.7, lb.example.com",
            vec!["203.0.113.7", "lb.example.com"],
        ),
        (
            "--publish-service=$(POD_NAMESPACE)/controller",
            vec!["CLUSTER_IP"],
        ),
    ] {
        let mut c = kubeadm_cluster(ClusterConfig::kubeadm(1), 23, Trace::new());
        c.run_until(at(10)).unwrap();
        namespace_and_class(&mut c);
        let mut d = deployment(
            "controller",
            "ingress-nginx",
            "registry.k8s.io/ingress-nginx/controller:v1.12.1",
            1,
        );
        d["spec"]["template"]["spec"]["containers"][0]["args"] =
            json!(["/nginx-ingress-controller", arg]);
        create(&mut c, Kind::Deployment, d);
        create(
            &mut c,
            Kind::Service,
            service("controller", "ingress-nginx", 80, Some(30080)),
        );
        create(
            &mut c,
            Kind::Ingress,
            ingress("web", Some("nginx"), "tomcat.tuling.com", "my-tomcat", 8080),
        );
        c.run_until(at(60)).unwrap();
        let cluster_ip = common::cluster_ip_in(&c, "ingress-nginx", "controller");
        let want: Vec<String> = want
            .iter()
            .map(|w| w.replace("CLUSTER_IP", &cluster_ip))
            .collect();
        assert_eq!(ingress_addresses(&c, "web"), want, "{arg}");
    }
}
