//! Requests from a pod to a Service (issue 12's first steps): names
//! resolved by the cluster DNS as the pod's resolver asks for them (search
//! domains of its namespace), a Service address rewritten to one of its
//! ready endpoints (each one chosen, drawn from the seeded stream), a
//! Service without endpoints refused, a port the Service does not serve
//! timing out, and every name unresolvable while no DNS pod is Ready.

use serde_json::json;
use sim_core::api::Kind;
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::Cluster;
use sim_core::components::kubelet::ExecRequest;
use sim_core::config::ClusterConfig;
use sim_core::trace::Trace;

mod common;

use common::{at, cluster_ip, create, exec_in, pod_ip, scale_coredns};

fn wget(c: &mut Cluster, url: &str) -> (String, String, i32) {
    let out = c
        .exec(
            "test",
            ExecRequest {
                namespace: "default".into(),
                pod: "client".into(),
                container: "c".into(),
                command: ["wget", "-q", "-O", "-", url]
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
                ..ExecRequest::default()
            },
        )
        .expect("exec");
    (out.stdout, out.stderr, out.status)
}

#[test]
fn a_service_name_reaches_its_ready_endpoints() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(2), 5, Trace::new());
    c.run_until(at(10)).unwrap();
    // Two nginx pods behind one Service.
    for name in ["a", "b"] {
        create(
            &mut c,
            Kind::Pod,
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": name, "namespace": "default", "labels": {"app": "web"}},
                   "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2"}]}}),
        );
    }
    create(
        &mut c,
        Kind::Pod,
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "client", "namespace": "default"},
               "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"]}]}}),
    );
    for (name, selector) in [("web", "web"), ("empty", "none")] {
        create(
            &mut c,
            Kind::Service,
            json!({"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": name, "namespace": "default"},
                   "spec": {"selector": {"app": selector}, "ports": [{"port": 80}]}}),
        );
    }
    c.run_until(at(60)).unwrap();

    let page = wget(&mut c, "http://web/");
    assert_eq!(page.2, 0, "{page:?}");
    assert!(page.0.contains("Welcome to nginx!"));
    // Short options bundled as BusyBox's getopt reads them.
    for bundled in [
        &["wget", "-qO-", "http://web/"][..],
        &["wget", "-qO", "-", "http://web/"],
        &["wget", "-T", "2", "-qO-", "http://web/"],
    ] {
        assert_eq!(exec_in(&mut c, "client", "c", bundled), page, "{bundled:?}");
    }
    let unknown = exec_in(&mut c, "client", "c", &["wget", "-qZ", "http://web/"]);
    assert_eq!(unknown.2, 1, "{unknown:?}");
    for name in [
        "web.default",
        "web.default.svc",
        "web.default.svc.cluster.local",
    ] {
        assert_eq!(wget(&mut c, &format!("http://{name}/")).2, 0, "{name}");
    }
    // Both endpoints are chosen over a few requests (each is logged by its
    // own nginx).
    for _ in 0..20 {
        wget(&mut c, "http://web/");
    }
    for pod in ["a", "b"] {
        let node = c
            .etcd()
            .get(Kind::Pod, "default", pod)
            .and_then(|o| o.as_pod().and_then(|p| p.spec.as_ref()?.node_name.clone()))
            .expect("scheduled");
        let log = c
            .container_log(&node, "default", pod, "nginx")
            .expect("log");
        assert!(!log.is_empty(), "pod {pod} served none of 24 requests");
    }
    let refused = wget(&mut c, "http://empty/").1;
    assert!(refused.ends_with("Connection refused\n"), "{refused}");
    let timeout = wget(&mut c, "http://web:81/").1;
    assert!(timeout.ends_with("Connection timed out\n"), "{timeout}");
    assert_eq!(
        wget(&mut c, "http://nosuch/").1,
        "wget: bad address 'nosuch'\n"
    );

    // No DNS pod Ready: no name resolves.
    scale_coredns(&mut c, 0);
    c.run_until(at(120)).unwrap();
    assert_eq!(wget(&mut c, "http://web/").1, "wget: bad address 'web'\n");
}

/// LoadBalancer Services take the lowest free addresses of the pool (not
/// its network or broadcast address) and stay pending once it is used up;
/// a deleted Service's address goes to one still waiting.
#[test]
fn load_balancer_services_take_addresses_from_the_pool() {
    let mut config = ClusterConfig::kubeadm(1);
    config.load_balancer_pool = Some("192.168.11.240/30".parse().expect("a block"));
    let mut c = kubeadm_cluster(config, 5, Trace::new());
    c.run_until(at(10)).unwrap();
    for name in ["lb1", "lb2", "lb3"] {
        create(
            &mut c,
            Kind::Service,
            json!({"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": name, "namespace": "default"},
                   "spec": {"type": "LoadBalancer", "selector": {"app": name}, "ports": [{"port": 80}]}}),
        );
        c.run_until(c.now() + sim_core::time::SimDuration::from_secs(1))
            .unwrap();
    }
    let ip = |c: &Cluster, name: &str| {
        c.etcd()
            .get(Kind::Service, "default", name)
            .map(|o| o.to_json()["status"]["loadBalancer"]["ingress"][0]["ip"].clone())
    };
    assert_eq!(ip(&c, "lb1"), Some(json!("192.168.11.241")));
    assert_eq!(ip(&c, "lb2"), Some(json!("192.168.11.242")));
    assert_eq!(
        ip(&c, "lb3"),
        Some(serde_json::Value::Null),
        "the pool of two is used up"
    );
    common::delete(&mut c, Kind::Service, "default", "lb1");
    c.run_until(c.now() + sim_core::time::SimDuration::from_secs(1))
        .unwrap();
    assert_eq!(
        ip(&c, "lb3"),
        Some(json!("192.168.11.241")),
        "the freed address goes to the waiting Service"
    );
}

/// `sessionAffinity: ClientIP` keeps a client on one endpoint;
/// `internalTrafficPolicy: Local` keeps it on its own node's endpoints
/// (none there: the connection times out).
#[test]
fn affinity_and_local_traffic_policy() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(2), 9, Trace::new());
    c.run_until(at(10)).unwrap();
    for (name, node, app) in [
        ("a", "worker-1", "web"),
        ("b", "worker-2", "web"),
        ("far", "worker-2", "far"),
    ] {
        create(
            &mut c,
            Kind::Pod,
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": name, "namespace": "default", "labels": {"app": app}},
                   "spec": {"nodeName": node, "containers": [{"name": "nginx", "image": "nginx:1.14.2"}]}}),
        );
    }
    create(
        &mut c,
        Kind::Pod,
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "client", "namespace": "default"},
               "spec": {"nodeName": "worker-1",
                        "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"]}]}}),
    );
    for (name, app, extra) in [
        ("sticky", "web", json!({"sessionAffinity": "ClientIP"})),
        ("local", "web", json!({"internalTrafficPolicy": "Local"})),
        ("farlocal", "far", json!({"internalTrafficPolicy": "Local"})),
    ] {
        let mut spec = json!({"selector": {"app": app}, "ports": [{"port": 80}]});
        for (k, v) in extra.as_object().unwrap() {
            spec[k] = v.clone();
        }
        create(
            &mut c,
            Kind::Service,
            json!({"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": name, "namespace": "default"}, "spec": spec}),
        );
    }
    c.run_until(at(60)).unwrap();
    let served = |c: &Cluster| {
        ["a", "b"]
            .iter()
            .map(|p| {
                let node = if *p == "a" { "worker-1" } else { "worker-2" };
                c.container_log(node, "default", p, "nginx")
                    .map_or(0, |l| l.len())
            })
            .collect::<Vec<_>>()
    };
    for _ in 0..10 {
        assert_eq!(wget(&mut c, "http://sticky/").2, 0);
    }
    let counts = served(&c);
    assert!(
        counts.contains(&10) && counts.contains(&0),
        "one endpoint took all: {counts:?}"
    );
    for _ in 0..10 {
        assert_eq!(wget(&mut c, "http://local/").2, 0);
    }
    let after = served(&c);
    assert_eq!(
        after[0] - counts[0],
        10,
        "the client's node's endpoint took every request: {after:?}"
    );
    let timeout = wget(&mut c, "http://farlocal/").1;
    assert!(timeout.ends_with("Connection timed out\n"), "{timeout}");
}

/// The DNS answers beyond a ClusterIP: a headless Service's name is its
/// ready endpoints' addresses, a pod's `a-b-c-d.ns.pod.cluster.local` its
/// address, an ExternalName's name does not resolve here (a CNAME to a name
/// outside the cluster).
#[test]
fn headless_pod_and_external_names() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(1), 11, Trace::new());
    c.run_until(at(10)).unwrap();
    create(
        &mut c,
        Kind::Pod,
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
               "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2"}]}}),
    );
    create(
        &mut c,
        Kind::Pod,
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "client", "namespace": "default"},
               "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"]}]}}),
    );
    create(
        &mut c,
        Kind::Service,
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "hl", "namespace": "default"},
               "spec": {"clusterIP": "None", "selector": {"app": "web"}, "ports": [{"port": 80}]}}),
    );
    create(
        &mut c,
        Kind::Service,
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "ext", "namespace": "default"},
               "spec": {"type": "ExternalName", "externalName": "example.com"}}),
    );
    c.run_until(at(60)).unwrap();
    let ip = c
        .etcd()
        .get(Kind::Pod, "default", "web")
        .and_then(|o| o.as_pod()?.status.as_ref()?.pod_ip.clone())
        .expect("a pod IP");
    // The headless name goes straight to the pod (port 80, its nginx).
    let page = wget(&mut c, "http://hl/");
    assert_eq!(page.2, 0, "{page:?}");
    let verbose = c
        .exec(
            "test",
            ExecRequest {
                namespace: "default".into(),
                pod: "client".into(),
                container: "c".into(),
                command: ["wget", "-O", "-", "http://hl/"]
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
                ..ExecRequest::default()
            },
        )
        .expect("exec");
    assert!(
        verbose
            .stderr
            .starts_with(&format!("Connecting to hl ({ip}:80)\n")),
        "{verbose:?}"
    );
    let dashed = ip.replace('.', "-");
    assert_eq!(
        wget(
            &mut c,
            &format!("http://{dashed}.default.pod.cluster.local/")
        )
        .2,
        0
    );
    assert_eq!(wget(&mut c, "http://ext/").1, "wget: bad address 'ext'\n");
}

/// BusyBox's nslookup asks the cluster DNS as the pod's resolver would
/// (search domains, ndots:5) and prints the first name answered; its ping
/// reaches pods (one TTL less per forwarding node) but never a Service's
/// address.
#[test]
fn nslookup_and_ping_from_a_pod() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(2), 13, Trace::new());
    c.run_until(at(10)).unwrap();
    for (name, node) in [("a", "worker-1"), ("client", "worker-2")] {
        create(
            &mut c,
            Kind::Pod,
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": name, "namespace": "default", "labels": {"app": "web"}},
                   "spec": {"nodeName": node, "containers": [{"name": if name == "a" { "nginx" } else { "c" },
                            "image": if name == "a" { "nginx:1.14.2" } else { "busybox" },
                            "command": if name == "a" { json!(null) } else { json!(["sleep", "3600"]) }}]}}),
        );
    }
    create(
        &mut c,
        Kind::Service,
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "web", "namespace": "default"},
               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}),
    );
    c.run_until(at(60)).unwrap();
    let run = |c: &mut Cluster, cmd: &[&str]| exec_in(c, "client", "c", cmd);
    let cip = cluster_ip(&c, "web");
    let (out, err, status) = run(&mut c, &["nslookup", "web"]);
    assert_eq!(status, 0, "{out}{err}");
    assert_eq!(
        out,
        format!("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tweb.default.svc.cluster.local\nAddress: {cip}\n\n")
    );
    let (_, err, status) = run(&mut c, &["nslookup", "nosuch"]);
    assert_eq!(
        (err.as_str(), status),
        ("** server can't find nosuch: NXDOMAIN\n\n", 1)
    );
    let pod_ip = pod_ip(&c, "a");
    let (out, _, status) = run(&mut c, &["ping", "-c", "1", &pod_ip]);
    assert_eq!(status, 0, "{out}");
    assert!(
        out.contains(&format!(
            "64 bytes from {pod_ip}: seq=0 ttl=62 time=0.350 ms"
        )),
        "{out}"
    );
    let (out, _, status) = run(&mut c, &["ping", "-c", "2", &cip]);
    assert_eq!(status, 1);
    assert!(
        out.ends_with("2 packets transmitted, 0 packets received, 100% packet loss\n"),
        "{out}"
    );
}

/// BIND's `nslookup` and `dig` in the DNS-debugging image: nslookup
/// applies the search domains, dig asks for the name as written (`+search`
/// for the list), `+short` prints the addresses, and with no CoreDNS Ready
/// dig times out with its exit status 9.
#[test]
fn dig_and_bind_nslookup_from_the_dnsutils_image() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(1), 17, Trace::new());
    c.run_until(at(10)).unwrap();
    create(
        &mut c,
        Kind::Pod,
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "dnsutils", "namespace": "default"},
               "spec": {"containers": [{"name": "dnsutils",
                        "image": "registry.k8s.io/e2e-test-images/jessie-dnsutils:1.3",
                        "command": ["sleep", "infinity"]}]}}),
    );
    c.run_until(at(60)).unwrap();
    let run = |c: &mut Cluster, cmd: &[&str]| exec_in(c, "dnsutils", "dnsutils", cmd);
    let (out, _, status) = run(&mut c, &["nslookup", "kubernetes.default"]);
    assert_eq!(status, 0, "{out}");
    assert_eq!(
        out,
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n\n"
    );
    let (out, _, status) = run(&mut c, &["nslookup", "nosuch"]);
    assert_eq!(status, 1);
    assert!(
        out.ends_with("** server can't find nosuch: NXDOMAIN\n\n"),
        "{out}"
    );

    let (out, _, status) = run(&mut c, &["dig", "kubernetes.default.svc.cluster.local"]);
    assert_eq!(status, 0, "{out}");
    assert!(out.starts_with("\n; <<>> DiG 9.9.5-9+deb8u19-Debian <<>> kubernetes.default.svc.cluster.local\n;; global options: +cmd\n;; Got answer:\n"), "{out}");
    assert!(out.contains(", status: NOERROR, id: "), "{out}");
    assert!(out.contains(";; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1\n"));
    assert!(
        out.contains(
            "\n;; ANSWER SECTION:\nkubernetes.default.svc.cluster.local. 30 IN A\t10.96.0.1\n"
        ),
        "{out}"
    );
    assert!(out.contains(";; SERVER: 10.96.0.10#53(10.96.0.10)\n"));
    // The message: 12 + 38 + 4 (question) + 16 (one A) + 11 (OPT).
    assert!(out.contains(";; MSG SIZE  rcvd: 81\n"), "{out}");
    // As written, without the search list: no such name in the zone.
    let (out, _, _) = run(&mut c, &["dig", "kubernetes.default"]);
    assert!(out.contains("status: NXDOMAIN"), "{out}");
    let (out, _, _) = run(&mut c, &["dig", "+search", "+short", "kubernetes.default"]);
    assert_eq!(out, "10.96.0.1\n");
    let (out, _, _) = run(&mut c, &["dig", "nosuch.default.svc.cluster.local"]);
    assert!(out.contains("\n;; AUTHORITY SECTION:\ncluster.local.\t\t30\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. "), "{out}");

    // CoreDNS gone: no server answers.
    scale_coredns(&mut c, 0);
    c.run_until(at(120)).unwrap();
    let (out, _, status) = run(&mut c, &["dig", "kubernetes.default.svc.cluster.local"]);
    assert_eq!(status, 9);
    assert!(
        out.ends_with(
            ";; global options: +cmd\n;; connection timed out; no servers could be reached\n"
        ),
        "{out}"
    );
    let (out, _, status) = run(&mut c, &["nslookup", "kubernetes"]);
    assert_eq!(
        (out.as_str(), status),
        (";; connection timed out; no servers could be reached\n", 1)
    );
}
