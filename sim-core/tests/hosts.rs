//! A shell on the node itself (`ssh NODE`): its own files (the ones
//! `hostPath` volumes mount), its `/etc/hosts`, its kernel's rules and
//! addresses, and the cluster's network as a host sees it (NodePorts on
//! localhost and every node's address, Service addresses through its
//! rules, no cluster DNS, no ICMP answer from a Service address).

use serde_json::json;
use sim_core::api::Kind;
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::Cluster;
use sim_core::config::ClusterConfig;
use sim_core::faults::{Fault, FaultKind};
use sim_core::trace::Trace;

mod common;

use common::{at, cluster_ip, create, exec_in, pod_ip};

fn host(c: &mut Cluster, node: &str, line: &str) -> (String, String, i32) {
    let out = c.host_exec(node, line).expect("ssh");
    (out.stdout, out.stderr, out.status)
}

fn cluster() -> Cluster {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(2), 11, Trace::new());
    c.run_until(at(10)).unwrap();
    create(
        &mut c,
        Kind::Pod,
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
               "spec": {"nodeName": "worker-1",
                        "volumes": [{"name": "data", "hostPath": {"path": "/data"}}],
                        "containers": [{"name": "nginx", "image": "nginx:1.14.2",
                                        "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}}),
    );
    common::web_node_port(&mut c);
    c.run_until(at(60)).unwrap();
    c
}

#[test]
fn a_nodes_shell_sees_its_own_files_and_hostpath_data() {
    let mut c = cluster();
    assert_eq!(
        host(&mut c, "worker-1", "hostname; pwd; cat /etc/hostname"),
        ("worker-1\n/root\nworker-1\n".into(), String::new(), 0)
    );
    let release = host(&mut c, "worker-1", "grep PRETTY /etc/os-release").0;
    assert_eq!(release, "PRETTY_NAME=\"Ubuntu 24.04.2 LTS\"\n");
    // A file the pod writes through its hostPath volume is on the node.
    let out = exec_in(
        &mut c,
        "web",
        "nginx",
        &["sh", "-c", "echo from-pod > /data/note"],
    );
    assert_eq!(out.2, 0, "{out:?}");
    assert_eq!(host(&mut c, "worker-1", "cat /data/note").0, "from-pod\n");
    // ... and not on another node.
    let other = host(&mut c, "worker-2", "cat /data/note");
    assert_eq!(other.2, 1, "{other:?}");
    // A login session keeps its directory; the prompt shows it.
    let (s, prompt) = c.host_open("control-plane").unwrap();
    assert_eq!(prompt, "root@control-plane:~# ");
    let out = c.host_input(&s, "cd /etc").unwrap();
    assert_eq!(out.prompt, "root@control-plane:/etc# ");
    let out = c.host_input(&s, "exit").unwrap();
    assert_eq!(out.ended, Some(0));
}

#[test]
fn a_host_reaches_node_ports_and_services_through_its_rules() {
    let mut c = cluster();
    let ips: Vec<String> = ["control-plane", "worker-1", "worker-2"]
        .iter()
        .map(|n| c.kubelet(n).unwrap().host_ip().to_owned())
        .collect();
    // NodePort on localhost, on the node's own address and another node's.
    for url in [
        "localhost:30080".to_owned(),
        format!("{}:30080", ips[0]),
        format!("{}:30080", ips[2]),
    ] {
        let (page, err, status) = host(&mut c, "control-plane", &format!("curl -s {url}"));
        assert_eq!(status, 0, "{url}: {err}");
        assert!(page.contains("Welcome to nginx!"), "{url}");
    }
    // Nothing listens on the host's other ports.
    let refused = host(&mut c, "control-plane", "curl -sS localhost:8080").1;
    assert!(refused.contains("Connection refused"), "{refused}");
    // The host's resolver is /etc/hosts, not the cluster DNS.
    let err = host(&mut c, "control-plane", "curl -sS web").1;
    assert_eq!(err, "curl: (6) Could not resolve host: web\n");
    let line = format!("echo '{} tomcat.tuling.com' >> /etc/hosts", ips[1]);
    assert_eq!(host(&mut c, "control-plane", &line).2, 0);
    let page = host(&mut c, "control-plane", "curl -s tomcat.tuling.com:30080").0;
    assert!(page.contains("Welcome to nginx!"));
    // The Service's cluster IP answers TCP through the rules, not ping.
    let cip = cluster_ip(&c, "web");
    assert_eq!(host(&mut c, "worker-2", &format!("curl -s {cip}")).2, 0);
    let ping = host(&mut c, "worker-2", &format!("ping -c 2 {cip}"));
    assert_eq!(ping.2, 1);
    assert!(ping
        .0
        .contains("2 packets transmitted, 0 received, 100% packet loss"));
    let pod_ip = pod_ip(&c, "web");
    let ping = host(&mut c, "worker-2", &format!("ping -c 1 {pod_ip}"));
    assert_eq!(ping.2, 0, "{ping:?}");
    assert!(ping
        .0
        .contains(&format!("64 bytes from {pod_ip}: icmp_seq=1 ttl=63")));
}

#[test]
fn a_host_shows_its_kernel() {
    let mut c = cluster();
    let ip = c.kubelet("worker-2").unwrap().host_ip().to_owned();
    let addr = host(&mut c, "worker-2", "ip addr").0;
    assert!(addr.contains(&format!("    inet {ip}/24 brd ")), "{addr}");
    // One interface, by name or with `dev`.
    for line in ["ip addr show eth0", "ip a s dev eth0"] {
        let eth0 = host(&mut c, "worker-2", line).0;
        assert!(eth0.starts_with("2: eth0: "), "{line}: {eth0}");
        assert_eq!(eth0.lines().count(), 4, "{line}: {eth0}");
        assert!(eth0.contains(&format!("inet {ip}/24")));
    }
    let cni0 = host(&mut c, "worker-2", "ip addr show cni0").0;
    assert!(
        cni0.starts_with("4: cni0: ") && !cni0.contains("eth0"),
        "{cni0}"
    );
    assert_eq!(
        host(&mut c, "worker-2", "ip addr show wlan0"),
        (
            String::new(),
            "Device \"wlan0\" does not exist.\n".into(),
            1
        )
    );
    let save = host(&mut c, "worker-2", "iptables-save -t nat").0;
    assert!(
        save.starts_with(
            "# Generated by iptables-save v1.8.9 (nf_tables) on Wed Apr 23 00:01:00 2025\n*nat\n"
        ),
        "{save}"
    );
    assert!(save.contains("--comment \"default/web\" -m tcp --dport 30080 -j KUBE-EXT-"));
    let list = host(&mut c, "worker-2", "iptables -t nat -L KUBE-NODEPORTS -n").0;
    assert!(
        list.starts_with("Chain KUBE-NODEPORTS (1 references)\n"),
        "{list}"
    );
    assert!(list.contains("/* default/web */ tcp dpt:30080"), "{list}");
    let bad = host(&mut c, "worker-2", "iptables -t nat -L NOPE -n");
    assert_eq!(bad.1, "iptables: No chain/target/match by that name.\n");
}

#[test]
fn a_node_that_is_down_cannot_be_logged_into() {
    let mut c = cluster();
    let ip = c.kubelet("worker-1").unwrap().host_ip().to_owned();
    let (s, _) = c.host_open("worker-1").unwrap();
    c.inject_fault(Fault {
        kind: FaultKind::NodeCrash {
            node: "worker-1".into(),
        },
        duration: None,
    })
    .unwrap();
    assert_eq!(
        c.host_exec("worker-1", "true").unwrap_err().to_string(),
        format!("ssh: connect to host {ip} port 22: No route to host")
    );
    assert_eq!(
        c.host_input(&s, "ls").unwrap_err().to_string(),
        "Connection to worker-1 closed by remote host."
    );
    assert_eq!(
        c.host_exec("nosuch", "true").unwrap_err().to_string(),
        "ssh: Could not resolve hostname nosuch: Name or service not known"
    );
}
