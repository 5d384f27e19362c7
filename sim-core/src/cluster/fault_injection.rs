//! Fault injection: how the cluster starts and ends a [`Fault`].
//!
//! A fault changes what the cluster delivers ([`FaultState`]: stopped or
//! partitioned components get nothing, a stopped control-plane component's
//! events are held until it resumes), restarts kubelets as new incarnations,
//! and tells the control-plane kubelet when a static pod's process stops or
//! comes back. Overlapping faults compose through counters; ending a fault
//! that never started is a bug and panics.
//!
//! A `random-node-crashes` fault draws each worker's next crash only when
//! the previous one has healed, from a stream of its own
//! (`faults/random/<n>/<node>`), so its memory does not grow with its
//! duration or its rate.

use rand_chacha::ChaCha8Rng;

use super::{Cluster, FaultNotice};
use crate::api::Kind;
use crate::components::{ControlPlaneProcess, Event, Role};
use crate::faults::{self, ComponentFault, Fault, FaultKind, FaultState};
use crate::time::{SimDuration, SimTime};

/// How long a `random-node-crashes` fault without a duration lasts.
const RANDOM_CRASHES_DEFAULT_SPAN: SimDuration = SimDuration::from_secs(24 * 3600);

/// Why a fault cannot be injected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    /// The fault names a node the cluster does not have.
    #[error("nodes \"{node}\" not found")]
    NodeNotFound {
        /// The node named.
        node: String,
    },
}

/// A running `random-node-crashes` fault: each worker's stream and the end.
#[derive(Debug)]
pub(super) struct RandomCrashes {
    /// The fault's id (its crashes stop when it ends).
    fault: u64,
    /// Worker nodes, with their random streams.
    workers: Vec<(String, ChaCha8Rng)>,
    mtbf: SimDuration,
    recover_after: SimDuration,
    end: SimTime,
}

impl Cluster {
    /// Injects a fault now: it starts at the current instant and, with a
    /// duration, ends that much later.
    pub fn inject_fault(&mut self, fault: Fault) -> Result<(), FaultError> {
        if let Some(node) = fault.kind.node() {
            if self.id_of(&Role::Kubelet(node.to_owned())).is_none() {
                return Err(FaultError::NodeNotFound {
                    node: node.to_owned(),
                });
            }
        }
        self.start_fault(fault);
        Ok(())
    }

    /// The faults in progress, with their start times, in the order they started.
    pub fn active_faults(&self) -> Vec<(SimTime, &Fault)> {
        self.active_faults.values().map(|(t, f)| (*t, f)).collect()
    }

    /// The state of the active faults.
    pub fn fault_state(&self) -> &FaultState {
        &self.faults
    }

    /// The fault starts and ends since the last call, in order.
    pub fn take_fault_notices(&mut self) -> Vec<FaultNotice> {
        std::mem::take(&mut self.notices)
    }

    /// Tells the control-plane kubelet that the process of one of its static
    /// pods stopped or came back, so that the mirror pod shows it.
    fn tell_static_pod(&mut self, process: ControlPlaneProcess, running: bool) {
        let Some(cp) = self.config.nodes.iter().find(|n| n.control_plane) else {
            return;
        };
        if let Some(id) = self.id_of(&Role::Kubelet(cp.name.clone())) {
            let why = ComponentFault::StaticPodProcess { process, running };
            self.dispatch(id, |c, ctx| c.on_fault(ctx, &why));
        }
    }

    fn notice(&mut self, started: bool, fault: &Fault) {
        let now = self.queue.now();
        let text = fault.describe();
        self.trace.record(
            now,
            "fault-injector",
            if started { "fault-start" } else { "fault-end" },
            fault.kind.object(),
            None,
            text.clone(),
        );
        self.notices.push(FaultNotice {
            at: now,
            started,
            text,
        });
    }

    pub(super) fn start_fault(&mut self, fault: Fault) {
        self.notice(true, &fault);
        let id = self.next_fault;
        self.next_fault += 1;
        let now = self.queue.now();
        match &fault.kind {
            FaultKind::NodeCrash { node } => {
                self.faults.lost_power.insert(node.clone(), true);
                faults::inc(&mut self.faults.crashed, node);
                self.set_running(&Role::Kubelet(node.clone()), false);
                self.set_running(&Role::KubeProxy(node.clone()), false);
            }
            FaultKind::KubeletStop { node } => {
                faults::inc(&mut self.faults.kubelet_stopped, node);
                self.set_running(&Role::Kubelet(node.clone()), false);
            }
            FaultKind::NodePowerOn { node } | FaultKind::KubeletStart { node } => {
                let crash = matches!(fault.kind, FaultKind::NodePowerOn { .. });
                self.end_node_faults(node, crash);
                self.notice(false, &fault);
                return;
            }
            FaultKind::Partition { node } => faults::inc(&mut self.faults.partitioned, node),
            FaultKind::ContainerCrash {
                namespace,
                pod,
                container,
                exit_code,
            } => {
                let node = self
                    .api
                    .etcd()
                    .get(Kind::Pod, namespace, pod)
                    .and_then(|p| p.field("spec.nodeName"));
                if let Some(kubelet) = node.and_then(|n| self.id_of(&Role::Kubelet(n))) {
                    let why = ComponentFault::CrashContainer {
                        namespace: namespace.clone(),
                        pod: pod.clone(),
                        container: container.clone(),
                        exit_code: *exit_code,
                    };
                    self.dispatch(kubelet, |c, ctx| c.on_fault(ctx, &why));
                }
                self.notice(false, &fault);
                return;
            }
            FaultKind::RegistryOutage => self.faults.registry_outages += 1,
            FaultKind::NfsOutage { server } => {
                faults::inc(&mut self.faults.nfs_outages, server);
                if let Ok(address) = server.parse() {
                    self.nfs.set_up(address, false);
                }
            }
            FaultKind::ApiserverSlow { latency } => self.faults.apiserver_latency += *latency,
            FaultKind::EtcdSlow { latency } => self.faults.etcd_latency += *latency,
            FaultKind::ApiserverStop => self.faults.apiserver_stops += 1,
            FaultKind::SchedulerStop | FaultKind::ControllerManagerStop => {
                let process = stopped_process(&fault.kind);
                faults::inc(&mut self.faults.component_stops, &process);
                if let Some(cid) = self.id_of(&Role::ControlPlane(process)) {
                    self.slots[cid.index()].held.get_or_insert_with(Vec::new);
                }
                self.tell_static_pod(process, false);
            }
            FaultKind::RandomNodeCrashes {
                mtbf,
                recover_after,
            } => self.start_random_crashes(id, *mtbf, *recover_after, fault.duration),
        }
        if let Some(d) = fault.duration {
            self.queue.schedule_at(now + d, Event::FaultEnd(id));
        }
        self.active_faults.insert(id, (now, fault));
    }

    /// Ends every active crash (`crash`) or kubelet stop of `node`.
    fn end_node_faults(&mut self, node: &str, crash: bool) {
        let ended: Vec<u64> = self
            .active_faults
            .iter()
            .filter(|(_, (_, f))| match &f.kind {
                FaultKind::NodeCrash { node: n } => crash && n == node,
                FaultKind::KubeletStop { node: n } => !crash && n == node,
                _ => false,
            })
            .map(|(id, _)| *id)
            .collect();
        for id in ended {
            self.end_fault(id);
        }
    }

    pub(super) fn end_fault(&mut self, id: u64) {
        let Some((_, fault)) = self.active_faults.remove(&id) else {
            return;
        };
        self.notice(false, &fault);
        match &fault.kind {
            FaultKind::NodeCrash { node } => {
                faults::dec(&mut self.faults.crashed, node);
                self.maybe_restart_kubelet(node);
            }
            FaultKind::KubeletStop { node } => {
                faults::dec(&mut self.faults.kubelet_stopped, node);
                self.maybe_restart_kubelet(node);
            }
            FaultKind::Partition { node } => {
                if faults::dec(&mut self.faults.partitioned, node) {
                    self.heal_partition(node);
                }
            }
            FaultKind::RegistryOutage => faults::dec_count(&mut self.faults.registry_outages),
            FaultKind::NfsOutage { server } => {
                if faults::dec(&mut self.faults.nfs_outages, server.as_str()) {
                    if let Ok(address) = server.parse() {
                        self.nfs.set_up(address, true);
                    }
                }
            }
            FaultKind::ApiserverSlow { latency } => {
                faults::sub_latency(&mut self.faults.apiserver_latency, *latency)
            }
            FaultKind::EtcdSlow { latency } => {
                faults::sub_latency(&mut self.faults.etcd_latency, *latency)
            }
            FaultKind::ApiserverStop => faults::dec_count(&mut self.faults.apiserver_stops),
            FaultKind::SchedulerStop | FaultKind::ControllerManagerStop => {
                let process = stopped_process(&fault.kind);
                if faults::dec(&mut self.faults.component_stops, &process) {
                    self.resume(process);
                }
            }
            FaultKind::RandomNodeCrashes { .. } => self.random_crashes.retain(|r| r.fault != id),
            FaultKind::NodePowerOn { .. }
            | FaultKind::KubeletStart { .. }
            | FaultKind::ContainerCrash { .. } => {}
        }
    }

    /// A partition healed: the node's components (kubelet, kube-proxy)
    /// watch again and resync.
    fn heal_partition(&mut self, node: &str) {
        for role in [
            Role::Kubelet(node.to_owned()),
            Role::KubeProxy(node.to_owned()),
        ] {
            let Some(id) = self.id_of(&role) else {
                continue;
            };
            if self.slots[id.index()].running {
                self.drop_watches(id);
                self.dispatch(id, |c, ctx| c.on_fault(ctx, &ComponentFault::Resync));
            }
        }
    }

    /// A stopped control-plane process resumes: what it missed arrives now,
    /// in order.
    fn resume(&mut self, process: ControlPlaneProcess) {
        if let Some(cid) = self.id_of(&Role::ControlPlane(process)) {
            let now = self.queue.now();
            for e in self.slots[cid.index()].held.take().unwrap_or_default() {
                self.queue.schedule_at(now, e);
            }
        }
        self.tell_static_pod(process, true);
    }

    /// Starts a node's kubelet again once no crash or stop holds it down.
    fn maybe_restart_kubelet(&mut self, node: &str) {
        if self.faults.kubelet_down(node) {
            return;
        }
        let crashed = self.faults.lost_power.remove(node).unwrap_or(false);
        self.restart_component(
            &Role::Kubelet(node.to_owned()),
            &ComponentFault::Restart { crashed },
        );
        // kube-proxy runs on whatever stopped the kubelet, but not through
        // a power loss: it comes back with the node.
        if crashed {
            self.restart_component(
                &Role::KubeProxy(node.to_owned()),
                &ComponentFault::Restart { crashed },
            );
        }
    }

    /// Starts a `random-node-crashes` fault: every worker gets its first
    /// crash time.
    fn start_random_crashes(
        &mut self,
        fault: u64,
        mtbf: SimDuration,
        recover_after: SimDuration,
        duration: Option<SimDuration>,
    ) {
        let n = self.random_faults;
        self.random_faults += 1;
        let streams = self.streams;
        let workers: Vec<(String, ChaCha8Rng)> = self
            .config
            .nodes
            .iter()
            .filter(|node| !node.control_plane)
            .map(|node| {
                let rng = streams.stream(&format!("faults/random/{n}/{}", node.name));
                (node.name.clone(), rng)
            })
            .collect();
        let now = self.queue.now();
        let plan = RandomCrashes {
            fault,
            workers,
            mtbf,
            recover_after,
            end: now + duration.unwrap_or(RANDOM_CRASHES_DEFAULT_SPAN),
        };
        let count = plan.workers.len();
        self.random_crashes.push(plan);
        for worker in 0..count {
            self.schedule_random_crash(fault, worker, now);
        }
    }

    /// Draws the next crash of `worker` after `from`, if it falls before
    /// the fault ends.
    fn schedule_random_crash(&mut self, fault: u64, worker: usize, from: SimTime) {
        let Some(plan) = self.random_crashes.iter_mut().find(|r| r.fault == fault) else {
            return;
        };
        let at = from + faults::exponential(&mut plan.workers[worker].1, plan.mtbf);
        if at < plan.end {
            let worker = u32::try_from(worker).expect("fewer than 2^32 workers");
            self.queue
                .schedule_at(at, Event::RandomCrash { fault, worker });
        }
    }

    /// A planned random crash is due: the worker crashes for the plan's
    /// recovery time, and its next crash is drawn from its recovery on.
    pub(super) fn random_crash(&mut self, fault: u64, worker: u32) {
        let worker = worker as usize;
        let Some(plan) = self.random_crashes.iter().find(|r| r.fault == fault) else {
            return;
        };
        let node = plan.workers[worker].0.clone();
        let recover_after = plan.recover_after;
        self.start_fault(Fault {
            kind: FaultKind::NodeCrash { node },
            duration: Some(recover_after),
        });
        let recovered = self.queue.now() + recover_after;
        self.schedule_random_crash(fault, worker, recovered);
    }
}

/// The control-plane process a stop fault stops.
fn stopped_process(kind: &FaultKind) -> ControlPlaneProcess {
    match kind {
        FaultKind::SchedulerStop => ControlPlaneProcess::Scheduler,
        _ => ControlPlaneProcess::ControllerManager,
    }
}
