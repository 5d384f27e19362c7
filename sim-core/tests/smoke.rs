//! Smoke test: a kubeadm cluster comes up.
use sim_core::api::Kind;
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::config::ClusterConfig;
use sim_core::trace::Trace;
use sim_core::SimTime;

#[test]
fn cluster_comes_up() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(2), 1, Trace::new());
    c.run_until(SimTime::from_nanos(60_000_000_000));
    for kind in [
        Kind::Node,
        Kind::Pod,
        Kind::ReplicaSet,
        Kind::Deployment,
        Kind::DaemonSet,
        Kind::Lease,
        Kind::ServiceAccount,
    ] {
        for o in c.etcd().list(kind, None) {
            let extra = match &*o {
                sim_core::api::Object::Pod(p) => format!(
                    "{:?} node={:?} ip={:?}",
                    p.status.as_ref().and_then(|s| s.phase.clone()),
                    p.spec.as_ref().and_then(|s| s.node_name.clone()),
                    p.status.as_ref().and_then(|s| s.pod_ip.clone())
                ),
                _ => String::new(),
            };
            eprintln!("{:?} {}/{} {}", kind, o.namespace(), o.name(), extra);
        }
    }
    eprintln!("stats {:?} trace {}", c.stats(), c.trace().records().len());
    for r in c
        .trace()
        .records()
        .iter()
        .filter(|r| r.detail.contains("Error"))
        .take(20)
    {
        eprintln!("{r:?}");
    }
    assert_eq!(c.etcd().count(Kind::Node), 3);
}
