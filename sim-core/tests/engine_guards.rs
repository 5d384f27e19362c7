//! The engine's guards: a livelock at one instant stops with a `Stall`
//! naming the component, random crash plans stay bounded in memory,
//! components are found by role, and the invariant checker finds what it
//! is there to find.

use std::any::Any;

use sim_core::api::{Kind, Object};
use sim_core::apiserver::Request;
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::{Cluster, FaultError};
use sim_core::components::{Component, ControlPlaneProcess, Ctx, Role, Tag, TagSpace, WatchEvent};
use sim_core::config::ClusterConfig;
use sim_core::faults::{Fault, FaultKind};
use sim_core::invariants::{InvariantChecker, Violation};
use sim_core::trace::Trace;
use sim_core::{SimDuration, SimTime};

/// A component that sets a zero-delay timer from every timer: the clock
/// never moves again.
struct Spinner;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SpinTag {
    Spin,
}

impl TagSpace for SpinTag {
    const ALL: &'static [Self] = &[Self::Spin];
    fn id(self) -> u8 {
        0
    }
}

impl Component for Spinner {
    fn role(&self) -> Role {
        Role::ControlPlane(ControlPlaneProcess::ControllerManager)
    }
    fn start(&mut self, ctx: &mut Ctx<'_>) {
        ctx.set_timer(SimDuration::ZERO, Tag::new(SpinTag::Spin, 0));
    }
    fn on_watch(&mut self, _ctx: &mut Ctx<'_>, _event: &WatchEvent) {}
    fn on_timer(&mut self, ctx: &mut Ctx<'_>, _tag: Tag) {
        ctx.set_timer(SimDuration::ZERO, Tag::new(SpinTag::Spin, 0));
    }
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

#[test]
fn a_livelock_at_one_instant_is_a_stall_naming_the_component() {
    let mut c = Cluster::empty(ClusterConfig::kubeadm(0), 1, Trace::disabled());
    c.set_max_events_per_instant(10_000);
    let at = SimTime::ZERO + SimDuration::from_secs(1);
    c.add_component(Box::new(Spinner), at);
    let stall = c
        .run_until(at + SimDuration::from_secs(1))
        .expect_err("the spinner never lets the clock move");
    assert_eq!(stall.at, at);
    assert_eq!(stall.busiest[0].0, "kube-controller-manager");
    let text = stall.to_string();
    assert!(
        text.starts_with("the simulation stalled at 1s: more than 10000 events ran without the virtual clock moving; busiest: kube-controller-manager ("),
        "{text}"
    );
}

#[test]
fn a_busy_instant_under_the_budget_is_not_a_stall() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(1), 1, Trace::disabled());
    c.run_until(SimTime::ZERO + SimDuration::from_secs(60))
        .expect("a cluster coming up never stalls");
}

#[test]
fn random_crashes_are_drawn_one_at_a_time() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(3), 1, Trace::disabled());
    c.run_until(SimTime::ZERO + SimDuration::from_secs(30))
        .unwrap();
    let before = c.pending_events();
    // A thousand days of crashes every second on average: planned up
    // front, that is billions of events.
    c.inject_fault(Fault {
        kind: FaultKind::RandomNodeCrashes {
            mtbf: SimDuration::from_secs(1),
            recover_after: SimDuration::from_secs(1),
        },
        duration: Some(SimDuration::from_secs(1000 * 24 * 3600)),
    })
    .unwrap();
    // One pending crash per worker, and the fault's end.
    assert!(
        c.pending_events() <= before + 3 + 1,
        "{}",
        c.pending_events()
    );
    c.take_fault_notices();
    c.run_until(c.now() + SimDuration::from_secs(120)).unwrap();
    let crashes = c
        .take_fault_notices()
        .iter()
        .filter(|n| n.started && n.text.starts_with("node-crash"))
        .count();
    assert!(
        crashes > 30,
        "about one crash per worker every 2 s: {crashes}"
    );
    assert!(
        c.pending_events() < before + 1_000,
        "{}",
        c.pending_events()
    );
}

#[test]
fn components_are_found_by_role() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(2), 1, Trace::disabled());
    assert!(c.kubelet("worker-1").is_some());
    assert!(c.kubelet("worker-9").is_none());
    assert!(c.scheduler().is_some());
    assert!(c.controller_manager().is_some());
    assert!(c.set_running(&Role::Kubelet("worker-2".into()), false));
    assert!(!c.is_running(&Role::Kubelet("worker-2".into())));
    assert!(!c.set_running(&Role::Kubelet("nope".into()), false));
    let err = c
        .inject_fault(Fault {
            kind: FaultKind::NodeCrash {
                node: "nope".into(),
            },
            duration: None,
        })
        .unwrap_err();
    assert_eq!(
        err,
        FaultError::NodeNotFound {
            node: "nope".into()
        }
    );
    assert_eq!(err.to_string(), "nodes \"nope\" not found");
}

fn pod_json(name: &str, node: &str, cpu: &str) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "nodeName": node,
            "containers": [{"name": "app", "image": "nginx", "resources": {"requests": {"cpu": cpu}}}]
        }
    })
}

#[test]
fn the_invariant_checker_finds_a_pod_on_a_missing_node() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(1), 1, Trace::disabled());
    let mut checker = InvariantChecker::new();
    checker
        .run_until(&mut c, SimTime::ZERO + SimDuration::from_secs(30))
        .expect("a cluster coming up keeps every invariant");
    let pod = Kind::Pod
        .decode(&pod_json("ghost", "nowhere", "100m"))
        .unwrap();
    c.request("kubectl", Request::Create(pod)).unwrap();
    let v = checker.check(&c).unwrap_err();
    assert!(
        matches!(&v, Violation::PodOnMissingNode { pod, node, .. } if pod == "default/ghost" && node == "nowhere"),
        "{v}"
    );
}

#[test]
fn the_invariant_checker_finds_an_over_committed_node() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(1), 1, Trace::disabled());
    c.run_until(SimTime::ZERO + SimDuration::from_secs(30))
        .unwrap();
    let mut checker = InvariantChecker::new();
    checker.check(&c).unwrap();
    // A pod written as running on worker-1 with more cpu than it has (the
    // kubelet would have refused it: OutOfcpu).
    let pod = Kind::Pod
        .decode(&pod_json("big", "worker-1", "100"))
        .unwrap();
    let created = c.request("kubectl", Request::Create(pod)).unwrap();
    let mut obj = (**created.object().unwrap()).clone();
    if let Object::Pod(p) = &mut obj {
        p.status.get_or_insert_with(Default::default).phase = Some("Running".into());
    }
    c.request("kubectl", Request::UpdateStatus(obj)).unwrap();
    let v = checker.check(&c).unwrap_err();
    assert!(
        matches!(&v, Violation::OverCommitted { node, resource: "cpu", requested, .. } if node == "worker-1" && *requested >= 100_000),
        "{v}"
    );
}

/// The latest time an Event was written (its lastTimestamp, or its
/// eventTime for the events.k8s.io form).
fn last_written(e: &Object) -> SimTime {
    let Object::Event(e) = e else {
        panic!("not an Event");
    };
    let t = e
        .last_timestamp
        .as_ref()
        .map(|t| t.0)
        .or_else(|| e.event_time.as_ref().map(|t| t.0))
        .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| t.0))
        .expect("an Event has a time");
    sim_core::api::meta::sim_time_of(&t)
}

#[test]
fn events_expire_an_hour_after_their_last_write() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(2), 1, Trace::disabled());
    c.run_until(SimTime::ZERO + SimDuration::from_mins(5))
        .unwrap();
    let early = c.etcd().count(Kind::Event);
    assert!(early > 10, "the cluster records Events coming up: {early}");
    // A node crash and its recovery produce more Events along the way.
    c.inject_fault(Fault {
        kind: FaultKind::NodeCrash {
            node: "worker-1".into(),
        },
        duration: Some(SimDuration::from_mins(10)),
    })
    .unwrap();
    let end = SimTime::ZERO + SimDuration::from_hours(3);
    c.run_until(end).unwrap();
    let ttl = SimDuration::from_hours(1) + SimDuration::from_millis(500);
    for e in c.etcd().list(Kind::Event, None) {
        let age = end.saturating_since(last_written(&e));
        assert!(age <= ttl, "{} kept {age} after its last write", e.name());
    }
    assert!(
        c.etcd().count(Kind::Event) < early,
        "the Events of the start are gone"
    );
    assert!(
        c.trace().records().is_empty(),
        "a disabled trace keeps nothing"
    );
}

#[test]
fn a_zero_event_ttl_keeps_events() {
    let mut config = ClusterConfig::kubeadm(1);
    config.timings.event_ttl = SimDuration::ZERO;
    let mut c = kubeadm_cluster(config, 1, Trace::disabled());
    c.run_until(SimTime::ZERO + SimDuration::from_mins(5))
        .unwrap();
    let early = c.etcd().count(Kind::Event);
    c.run_until(SimTime::ZERO + SimDuration::from_hours(2))
        .unwrap();
    assert!(c.etcd().count(Kind::Event) >= early);
}

#[test]
fn a_repeat_of_an_expired_event_creates_it_again_with_its_count() {
    // client-go's recordToSink: a patch that finds the Event gone (expired
    // after --event-ttl) falls back to creating it, count and all.
    let mut config = ClusterConfig::kubeadm(1);
    config.timings.event_ttl = SimDuration::from_secs(30);
    let mut crashing = config.images.default.clone();
    crashing.exit = Some(sim_core::config::ExitBehaviour {
        after: SimDuration::from_secs(1),
        code: 1,
    });
    config.images.profiles.insert("crash:1".into(), crashing);
    let mut c = kubeadm_cluster(config, 1, Trace::new());
    c.run_until(SimTime::ZERO + SimDuration::from_secs(10))
        .unwrap();
    let pod = Kind::Pod
        .decode(&serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "crash", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "crash:1"}]}
        }))
        .unwrap();
    c.request("kubectl", Request::Create(pod)).unwrap();
    // Back-offs of 10, 20, 40, 80, 160 s: the BackOff Event's repeats come
    // more than 30 s apart from the fourth on, after it expired; each such
    // repeat creates it again under the same name.
    let mut counts = Vec::new();
    while c.now() < SimTime::ZERO + SimDuration::from_secs(400) {
        c.step().unwrap();
        for e in c.etcd().list(Kind::Event, Some("default")) {
            let v = e.to_json();
            if v["reason"] == "BackOff" {
                counts.push((e.name().to_owned(), v["count"].as_i64().unwrap_or(0)));
            }
        }
    }
    let names: std::collections::BTreeSet<&String> = counts.iter().map(|(n, _)| n).collect();
    assert_eq!(
        names.len(),
        1,
        "one BackOff Event, under one name: {names:?}"
    );
    let creates = c
        .trace()
        .records()
        .iter()
        .filter(|r| {
            r.action == "create" && r.object.ends_with(names.iter().next().unwrap().as_str())
        })
        .count();
    assert!(creates >= 2, "created again after it expired: {creates}");
    let max = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
    assert!(max >= 5, "the count goes on across expiries: {max}");
}
