//! The fault model: what can go wrong in the cluster, in virtual time.
//!
//! A [`Fault`] is a [`FaultKind`] with an optional duration. The cluster
//! ([`crate::cluster::Cluster::inject_fault`]) starts it at the current instant,
//! records `fault-start` in the trace, and, when it has a duration, ends it
//! that much later (`fault-end`). Faults compose: [`FaultState`] counts the
//! active faults of each kind and target, so two overlapping partitions of one
//! node heal only when both have ended, and two slow-API-server faults add
//! their latencies.
//!
//! Random faults ([`FaultKind::RandomNodeCrashes`]) become node crashes at
//! exponential inter-failure times ([`exponential`]) with the given mean,
//! drawn from dedicated ChaCha streams as the run goes, so a run stays
//! deterministic for its seed.

use std::borrow::Borrow;
use std::collections::BTreeMap;

use rand::RngCore;
use rand_chacha::ChaCha8Rng;

use crate::time::SimDuration;

/// A control-plane process that runs as a static pod on the control-plane
/// node (what scheduler and controller-manager faults stop).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ControlPlaneProcess {
    /// kube-scheduler.
    Scheduler,
    /// kube-controller-manager.
    ControllerManager,
}

impl ControlPlaneProcess {
    /// The process's name, which is also its static pod's container name.
    pub fn name(self) -> &'static str {
        match self {
            ControlPlaneProcess::Scheduler => "kube-scheduler",
            ControlPlaneProcess::ControllerManager => "kube-controller-manager",
        }
    }
}

/// What goes wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// The node loses power: its kubelet stops and its containers are gone.
    NodeCrash {
        /// The node.
        node: String,
    },
    /// A crashed node boots: its kubelet starts afresh with an empty runtime.
    NodePowerOn {
        /// The node.
        node: String,
    },
    /// The kubelet process stops; the containers keep running.
    KubeletStop {
        /// The node.
        node: String,
    },
    /// A stopped kubelet starts again and resyncs with the runtime.
    KubeletStart {
        /// The node.
        node: String,
    },
    /// The node cannot reach the control plane, nor the control plane the node.
    Partition {
        /// The node.
        node: String,
    },
    /// A container's process exits with a code.
    ContainerCrash {
        /// The pod's namespace.
        namespace: String,
        /// The pod.
        pod: String,
        /// The container.
        container: String,
        /// The exit code.
        exit_code: i32,
    },
    /// Image pulls fail.
    RegistryOutage,
    /// Every request to the API server takes this much longer.
    ApiserverSlow {
        /// The added latency.
        latency: SimDuration,
    },
    /// The API server refuses every request.
    ApiserverStop,
    /// The scheduler is stopped.
    SchedulerStop,
    /// The controller manager is stopped.
    ControllerManagerStop,
    /// Every write takes this much longer to commit.
    EtcdSlow {
        /// The added latency.
        latency: SimDuration,
    },
    /// The NFS server at this address stops answering: mounts time out, I/O
    /// on its mounts fails (`Connection timed out`), servers reading from
    /// them block.
    NfsOutage {
        /// The server's address.
        server: String,
    },
    /// Worker nodes crash at random (exponential inter-failure times with mean
    /// `mtbf`) and power on `recover_after` later.
    RandomNodeCrashes {
        /// Mean time between failures, per node.
        mtbf: SimDuration,
        /// How long a crashed node stays down.
        recover_after: SimDuration,
    },
}

/// The names of the fault kinds, as written in scenarios and in the shell.
pub const KINDS: &[&str] = &[
    "node-crash",
    "node-power-on",
    "kubelet-stop",
    "kubelet-start",
    "partition",
    "container-crash",
    "registry-outage",
    "apiserver-slow",
    "apiserver-stop",
    "scheduler-stop",
    "controller-manager-stop",
    "etcd-slow",
    "random-node-crashes",
    "nfs-outage",
];

impl FaultKind {
    /// The kind's name (`node-crash`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::NodeCrash { .. } => "node-crash",
            FaultKind::NodePowerOn { .. } => "node-power-on",
            FaultKind::KubeletStop { .. } => "kubelet-stop",
            FaultKind::KubeletStart { .. } => "kubelet-start",
            FaultKind::Partition { .. } => "partition",
            FaultKind::ContainerCrash { .. } => "container-crash",
            FaultKind::RegistryOutage => "registry-outage",
            FaultKind::ApiserverSlow { .. } => "apiserver-slow",
            FaultKind::ApiserverStop => "apiserver-stop",
            FaultKind::SchedulerStop => "scheduler-stop",
            FaultKind::ControllerManagerStop => "controller-manager-stop",
            FaultKind::EtcdSlow { .. } => "etcd-slow",
            FaultKind::RandomNodeCrashes { .. } => "random-node-crashes",
            FaultKind::NfsOutage { .. } => "nfs-outage",
        }
    }

    /// The node the fault concerns, if one.
    pub fn node(&self) -> Option<&str> {
        match self {
            FaultKind::NodeCrash { node }
            | FaultKind::NodePowerOn { node }
            | FaultKind::KubeletStop { node }
            | FaultKind::KubeletStart { node }
            | FaultKind::Partition { node } => Some(node),
            _ => None,
        }
    }

    /// The object the trace names (`node/worker-1`, `pod/default/x`), or empty.
    pub fn object(&self) -> String {
        match self {
            FaultKind::ContainerCrash { namespace, pod, .. } => format!("pod/{namespace}/{pod}"),
            FaultKind::NfsOutage { server } => format!("nfs/{server}"),
            k => k.node().map(|n| format!("node/{n}")).unwrap_or_default(),
        }
    }

    /// True for the kinds that happen at an instant and take no duration.
    pub fn instantaneous(&self) -> bool {
        matches!(
            self,
            FaultKind::NodePowerOn { .. }
                | FaultKind::KubeletStart { .. }
                | FaultKind::ContainerCrash { .. }
        )
    }
}

/// A fault to inject: a kind and, optionally, how long it lasts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// What goes wrong.
    pub kind: FaultKind,
    /// How long; None: until ended by another fault (`node-power-on`,
    /// `kubelet-start`) or for the rest of the run.
    pub duration: Option<SimDuration>,
}

impl Fault {
    /// The fault as the transcript and the shell write it:
    /// `node-crash worker-1 for 10m0s`.
    pub fn describe(&self) -> String {
        let mut s = self.kind.name().to_owned();
        match &self.kind {
            FaultKind::ContainerCrash {
                namespace,
                pod,
                container,
                exit_code,
            } => s.push_str(&format!(
                " pod/{pod} -n {namespace} container {container} exit code {exit_code}"
            )),
            FaultKind::ApiserverSlow { latency } | FaultKind::EtcdSlow { latency } => {
                s.push_str(&format!(" +{latency}"))
            }
            FaultKind::RandomNodeCrashes {
                mtbf,
                recover_after,
            } => s.push_str(&format!(" mtbf {mtbf} recover after {recover_after}")),
            FaultKind::NfsOutage { server } => s.push_str(&format!(" {server}")),
            k => {
                if let Some(n) = k.node() {
                    s.push(' ');
                    s.push_str(n);
                }
            }
        }
        if let Some(d) = self.duration {
            s.push_str(&format!(" for {d}"));
        }
        s
    }
}

/// What a fault asks of one component ([`crate::components::Component::on_fault`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ComponentFault {
    /// The component starts again after a stop; `crashed`: the node lost
    /// power meanwhile (the containers are gone). The cluster has dropped its
    /// watches and calls `start` right after.
    Restart {
        /// The node crashed (rather than only the process stopping).
        crashed: bool,
    },
    /// A network partition healed: the cluster has dropped the component's
    /// watches; it must watch again and reconcile.
    Resync,
    /// A container exits with a code.
    CrashContainer {
        /// The pod's namespace.
        namespace: String,
        /// The pod.
        pod: String,
        /// The container.
        container: String,
        /// The exit code.
        exit_code: i32,
    },
    /// A control-plane process stopped (`running: false`) or came back: the
    /// control-plane kubelet shows it on the static pod's mirror pod.
    StaticPodProcess {
        /// The process; its name is also the static pod's container name.
        process: ControlPlaneProcess,
        /// Whether the process runs now.
        running: bool,
    },
}

/// The active faults, counted so that overlapping faults compose.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultState {
    /// Active crashes per node.
    pub crashed: BTreeMap<String, u32>,
    /// Active kubelet stops per node.
    pub kubelet_stopped: BTreeMap<String, u32>,
    /// Nodes that crashed since their kubelet last ran.
    pub lost_power: BTreeMap<String, bool>,
    /// Active partitions per node.
    pub partitioned: BTreeMap<String, u32>,
    /// Active registry outages.
    pub registry_outages: u32,
    /// Sum of the active API server slowdowns.
    pub apiserver_latency: SimDuration,
    /// Active API server stops.
    pub apiserver_stops: u32,
    /// Active stops per control-plane process.
    pub component_stops: BTreeMap<ControlPlaneProcess, u32>,
    /// Sum of the active etcd slowdowns.
    pub etcd_latency: SimDuration,
    /// Active outages per NFS server address.
    pub nfs_outages: BTreeMap<String, u32>,
}

impl FaultState {
    /// True while the node is without power.
    pub fn is_crashed(&self, node: &str) -> bool {
        self.crashed.get(node).is_some_and(|&n| n > 0)
    }

    /// True when the node's kubelet is down (crashed or stopped).
    pub fn kubelet_down(&self, node: &str) -> bool {
        self.is_crashed(node) || self.kubelet_stopped.get(node).is_some_and(|&n| n > 0)
    }

    /// True while the node is cut off from the control plane.
    pub fn is_partitioned(&self, node: &str) -> bool {
        self.partitioned.get(node).is_some_and(|&n| n > 0)
    }
}

/// Adds one to a counter.
pub(crate) fn inc<K, Q>(map: &mut BTreeMap<K, u32>, key: &Q)
where
    K: Borrow<Q> + Ord,
    Q: ToOwned<Owned = K> + Ord + ?Sized,
{
    *map.entry(key.to_owned()).or_default() += 1;
}

/// Takes one from a counter; true when it reached zero.
///
/// # Panics
/// When the counter is not set: a fault ended that never started.
pub(crate) fn dec<K, Q>(map: &mut BTreeMap<K, u32>, key: &Q) -> bool
where
    K: Borrow<Q> + Ord,
    Q: Ord + std::fmt::Debug + ?Sized,
{
    match map.get_mut(key) {
        Some(n) if *n > 1 => {
            *n -= 1;
            false
        }
        Some(_) => {
            map.remove(key);
            true
        }
        None => panic!("fault counter {key:?} ended more often than it started"),
    }
}

/// Takes one from a count of active faults.
///
/// # Panics
/// When it is zero: a fault ended that never started.
pub(crate) fn dec_count(count: &mut u32) {
    *count = count
        .checked_sub(1)
        .expect("a fault ended more often than it started");
}

/// Takes an ended slowdown off the sum of the active ones.
///
/// # Panics
/// When the sum is smaller: a slowdown ended that never started.
pub(crate) fn sub_latency(sum: &mut SimDuration, ended: SimDuration) {
    *sum = SimDuration::from_nanos(
        sum.as_nanos()
            .checked_sub(ended.as_nanos())
            .expect("a slowdown ended more often than it started"),
    );
}

/// An exponentially distributed duration of mean `mean`, computed with basic
/// IEEE operations only (no platform `ln`), so every machine draws the same.
pub fn exponential(rng: &mut ChaCha8Rng, mean: SimDuration) -> SimDuration {
    // u in (0, 1].
    let u = ((rng.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64;
    let x = -ln(u) * mean.as_nanos() as f64;
    SimDuration::from_nanos(if x >= u64::MAX as f64 {
        u64::MAX
    } else {
        x as u64
    })
}

/// Natural logarithm of a positive normal number, by range reduction to
/// [1, 2) and the atanh series.
fn ln(x: f64) -> f64 {
    const LN2: f64 = std::f64::consts::LN_2;
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    for k in 0..40 {
        sum += term / f64::from(2 * k + 1);
        term *= s2;
    }
    e as f64 * LN2 + 2.0 * sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RngStreams;

    #[test]
    fn ln_matches_std() {
        for &x in &[1.0, 0.5, 0.25, 0.1, 0.999, 1e-10, 0.73] {
            assert!((ln(x) - x.ln()).abs() < 1e-12, "{x}");
        }
    }

    #[test]
    fn exponential_mean_is_close() {
        let mut rng = RngStreams::new(7).stream("faults/test");
        let mean = SimDuration::from_secs(100);
        let n = 20_000u64;
        let total: u64 = (0..n).map(|_| exponential(&mut rng, mean).as_secs()).sum();
        let avg = total / n;
        assert!((95..=105).contains(&avg), "{avg}");
    }

    #[test]
    fn counters_compose() {
        let mut s = FaultState::default();
        inc(&mut s.partitioned, "w");
        inc(&mut s.partitioned, "w");
        assert!(!dec(&mut s.partitioned, "w"));
        assert!(s.is_partitioned("w"));
        assert!(dec(&mut s.partitioned, "w"));
        assert!(!s.is_partitioned("w"));
    }

    #[test]
    #[should_panic(expected = "ended more often than it started")]
    fn an_unmatched_end_is_a_bug() {
        let mut s = FaultState::default();
        dec(&mut s.partitioned, "w");
    }

    #[test]
    #[should_panic(expected = "ended more often than it started")]
    fn an_unmatched_slowdown_end_is_a_bug() {
        let mut s = FaultState::default();
        sub_latency(&mut s.apiserver_latency, SimDuration::from_secs(1));
    }

    #[test]
    fn describe() {
        let f = Fault {
            kind: FaultKind::NodeCrash {
                node: "worker-1".into(),
            },
            duration: Some(SimDuration::from_secs(600)),
        };
        assert_eq!(f.describe(), "node-crash worker-1 for 10m0s");
        assert_eq!(f.kind.object(), "node/worker-1");
    }
}
