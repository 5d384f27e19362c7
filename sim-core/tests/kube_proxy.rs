//! kube-proxy, one per node: the rules a connection meets are the ones the
//! node's kube-proxy last wrote, which lag the API by its sync runner
//! (a burst of two syncs, then one per `minSyncPeriod`), stay frozen while
//! the node cannot hear the API server, are gone after a power loss until
//! kube-proxy runs again, and answer NodePorts on every node's address.

use serde_json::json;
use sim_core::api::Kind;
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::Cluster;
use sim_core::config::ClusterConfig;
use sim_core::faults::{Fault, FaultKind};
use sim_core::trace::Trace;
use sim_core::{SimDuration, SimTime};

mod common;

use common::{at, cluster_ip, create, delete, exec_in, pod_ip};

fn ms(t: SimTime, ms: u64) -> SimTime {
    t + SimDuration::from_millis(ms)
}

/// `wget` from pod `client` in default; (stdout, stderr, status).
fn wget(c: &mut Cluster, url: &str) -> (String, String, i32) {
    exec_in(c, "client", "c", &["wget", "-q", "-T", "1", "-O", "-", url])
}

/// A cluster with nginx pod `web-a` on worker-1 behind Service `web`, and a
/// busybox `client` on `client_node`; run to 60 s.
fn cluster(seed: u64, client_node: &str) -> Cluster {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(2), seed, Trace::new());
    c.run_until(at(10)).unwrap();
    create(
        &mut c,
        Kind::Pod,
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "web-a", "namespace": "default", "labels": {"app": "web"}},
               "spec": {"nodeName": "worker-1", "containers": [{"name": "nginx", "image": "nginx:1.14.2"}]}}),
    );
    create(
        &mut c,
        Kind::Pod,
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "client", "namespace": "default"},
               "spec": {"nodeName": client_node,
                        "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"]}]}}),
    );
    service(&mut c, "web", json!({"app": "web"}), json!({}));
    c.run_until(at(60)).unwrap();
    c
}

fn service(c: &mut Cluster, name: &str, selector: serde_json::Value, extra: serde_json::Value) {
    let mut spec = json!({"ports": [{"port": 80}]});
    if !selector.is_null() {
        spec["selector"] = selector;
    }
    for (k, v) in extra.as_object().into_iter().flatten() {
        spec[k] = v.clone();
    }
    create(
        c,
        Kind::Service,
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": name, "namespace": "default"}, "spec": spec}),
    );
}

/// The Services (by name) the rules of `node` hold.
fn ruled(c: &Cluster, node: &str) -> Vec<String> {
    let proxy = c.kube_proxy(node).expect("kube-proxy");
    let mut names: Vec<String> = proxy
        .rules()
        .map(|r| r.table.ports().map(|p| p.name.name.clone()).collect())
        .unwrap_or_default();
    names.dedup();
    names
}

#[test]
fn rules_lag_the_api_by_the_sync_runner() {
    let mut c = cluster(3, "worker-1");
    assert_eq!(wget(&mut c, "http://web/").2, 0);
    // Three Services without selectors (no slices follow them), 100 ms
    // apart after a quiet minute: the first two are synced as their watch
    // events arrive, the third waits for the runner's next token.
    let t = at(60);
    for (i, name) in ["svc-a", "svc-b", "svc-c"].iter().enumerate() {
        c.run_until(ms(t, 100 * i as u64)).unwrap();
        service(&mut c, name, serde_json::Value::Null, json!({}));
    }
    c.run_until(ms(t, 300)).unwrap();
    let now = ruled(&c, "worker-1");
    assert!(now.contains(&"svc-b".to_owned()), "{now:?}");
    assert!(!now.contains(&"svc-c".to_owned()), "{now:?}");
    // Without a rule, the Service address goes nowhere: the connection
    // times out; once synced, a Service without endpoints is rejected.
    let ip = cluster_ip(&c, "svc-c");
    let early = wget(&mut c, &format!("http://{ip}/")).1;
    assert!(early.ends_with("Connection timed out\n"), "{early}");
    c.run_until(ms(t, 1_100)).unwrap();
    assert!(ruled(&c, "worker-1").contains(&"svc-c".to_owned()));
    let late = wget(&mut c, &format!("http://{ip}/")).1;
    assert!(late.ends_with("Connection refused\n"), "{late}");
    // Every node syncs the same table: it is stored once.
    let tables: Vec<_> = ["control-plane", "worker-1", "worker-2"]
        .iter()
        .map(|n| c.kube_proxy(n).unwrap().rules().unwrap().table.clone())
        .collect();
    assert!(std::sync::Arc::ptr_eq(&tables[0], &tables[1]));
    assert!(std::sync::Arc::ptr_eq(&tables[1], &tables[2]));
}

#[test]
fn a_partitioned_node_keeps_its_rules_until_it_hears_the_api_again() {
    let mut c = cluster(4, "worker-1");
    c.inject_fault(Fault {
        kind: FaultKind::Partition {
            node: "worker-2".into(),
        },
        duration: None,
    })
    .unwrap();
    delete(&mut c, Kind::Service, "default", "web");
    c.run_until(at(65)).unwrap();
    assert!(!ruled(&c, "worker-1").contains(&"web".to_owned()));
    assert!(ruled(&c, "worker-2").contains(&"web".to_owned()));
    // From worker-1 the deleted Service's address now goes nowhere.
    assert_eq!(wget(&mut c, "http://web/").1, "wget: bad address 'web'\n");
}

#[test]
fn a_node_that_lost_power_has_no_rules_until_kube_proxy_runs_again() {
    let mut c = cluster(5, "worker-1");
    assert!(c.kube_proxy("worker-2").unwrap().rules().is_some());
    c.inject_fault(Fault {
        kind: FaultKind::NodeCrash {
            node: "worker-2".into(),
        },
        duration: Some(SimDuration::from_secs(30)),
    })
    .unwrap();
    // Powered on at 90 s: the kernel's rules are gone with the old boot.
    c.run_until(ms(at(90), 1)).unwrap();
    assert!(c.kube_proxy("worker-2").unwrap().rules().is_none());
    let save = c
        .node_rules("worker-2")
        .unwrap()
        .save(Some("nat"), "X")
        .unwrap();
    assert!(!save.contains("KUBE-SERVICES"), "{save}");
    // The kubelet starts the kube-proxy container again and it syncs.
    c.run_until(at(150)).unwrap();
    let proxy = c.kube_proxy("worker-2").unwrap();
    assert!(proxy.is_running());
    assert!(proxy.rules().is_some_and(|r| r.at > at(90)));
}

#[test]
fn node_ports_answer_on_every_nodes_address_and_local_policy_drops_elsewhere() {
    let mut c = cluster(6, "worker-2");
    service(
        &mut c,
        "np",
        json!({"app": "web"}),
        json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}),
    );
    service(
        &mut c,
        "np-local",
        json!({"app": "web"}),
        json!({"type": "NodePort", "externalTrafficPolicy": "Local",
               "ports": [{"port": 80, "nodePort": 30081}]}),
    );
    c.run_until(at(70)).unwrap();
    let ips: Vec<String> = ["control-plane", "worker-1", "worker-2"]
        .iter()
        .map(|n| c.kubelet(n).unwrap().host_ip().to_owned())
        .collect();
    for ip in &ips {
        let page = wget(&mut c, &format!("http://{ip}:30080/"));
        assert_eq!(page.2, 0, "{ip}: {page:?}");
        assert!(page.0.contains("Welcome to nginx!"));
    }
    // Local: only worker-1 (web-a's node) answers; the others drop it.
    assert_eq!(wget(&mut c, &format!("http://{}:30081/", ips[1])).2, 0);
    for ip in [&ips[0], &ips[2]] {
        let dropped = wget(&mut c, &format!("http://{ip}:30081/")).1;
        assert!(
            dropped.ends_with("Connection timed out\n"),
            "{ip}: {dropped}"
        );
    }
    // A port no Service has on a node's address: nothing listens.
    let refused = wget(&mut c, &format!("http://{}:30999/", ips[1])).1;
    assert!(refused.ends_with("Connection refused\n"), "{refused}");
}

#[test]
fn iptables_save_shows_the_nodes_rules() {
    let mut c = cluster(7, "worker-1");
    service(
        &mut c,
        "np",
        json!({"app": "web"}),
        json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}),
    );
    service(&mut c, "empty", json!({"app": "none"}), json!({}));
    c.run_until(at(70)).unwrap();
    let web_ip = cluster_ip(&c, "web");
    let empty_ip = cluster_ip(&c, "empty");
    let pod_ip = pod_ip(&c, "web-a");
    let rules = c.node_rules("worker-2").unwrap();
    let save = rules.save(None, "Mon Dec  7 18:33:39 2026").unwrap();
    assert!(save.starts_with(
        "# Generated by iptables-save v1.8.9 (nf_tables) on Mon Dec  7 18:33:39 2026\n*mangle\n"
    ));
    for line in [
        format!("-A KUBE-SERVICES -d {web_ip}/32 -p tcp -m comment --comment \"default/web cluster IP\" -m tcp --dport 80 -j KUBE-SVC-"),
        format!("-A KUBE-SERVICES -d {empty_ip}/32 -p tcp -m comment --comment \"default/empty has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable"),
        "-A KUBE-NODEPORTS -p tcp -m comment --comment \"default/np\" -m tcp --dport 30080 -j KUBE-EXT-".to_owned(),
        format!("-p tcp -m comment --comment \"default/web\" -m tcp -j DNAT --to-destination {pod_ip}:80"),
        "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS".to_owned(),
        "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000".to_owned(),
    ] {
        assert!(save.contains(&line), "missing {line}\n{save}");
    }
    // The kube-dns Service's two endpoints: the 1/2 cascade.
    assert!(save.contains("-m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-"));
    let listed = rules
        .list("nat", Some("KUBE-SERVICES"), true)
        .unwrap()
        .unwrap();
    assert!(listed.starts_with(
        "Chain KUBE-SERVICES (2 references)\ntarget     prot opt source               destination         \n"
    ), "{listed}");
    assert!(
        listed.contains(&format!(
            "  tcp  --  0.0.0.0/0            {web_ip:<19}  /* default/web cluster IP */ tcp dpt:80"
        )),
        "{listed}"
    );
}
