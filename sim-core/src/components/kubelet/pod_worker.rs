//! The kubelet's per-pod state machine and the pod status it reports
//! (pkg/kubelet/kubelet_pods.go getPhase, pkg/kubelet/status/generate.go).

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, HostIP, PodCondition, PodIP, PodStatus,
};

use super::container_env::EnvList;
use super::prober::{ProbeKind, ProbeState};
use crate::api::meta::time;
use crate::api::resources::Resources;
use crate::api::Object;
use crate::rng::stable_hash;
use crate::time::{SimDuration, SimTime};

/// The state of one container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CState {
    /// Not running: `ContainerCreating`, `PodInitializing`, `ErrImagePull`, `CrashLoopBackOff`, ...
    Waiting {
        /// The reason shown in STATUS.
        reason: &'static str,
        /// Detail.
        message: Option<String>,
    },
    /// Running since `started_at`.
    Running {
        /// Start time.
        started_at: SimTime,
    },
    /// Exited.
    Terminated {
        /// Exit code.
        exit_code: i32,
        /// `Completed` or `Error`.
        reason: &'static str,
        /// Start time.
        started_at: SimTime,
        /// Exit time.
        finished_at: SimTime,
    },
}

/// One container of a pod as the kubelet runs it.
#[derive(Clone, Debug)]
pub(crate) struct Ctr {
    /// Container name.
    pub name: String,
    /// Image reference.
    pub image: String,
    /// `imagePullPolicy`.
    pub pull_policy: String,
    /// True for init containers (including sidecars).
    pub init: bool,
    /// A sidecar: an init container with `restartPolicy: Always`. It starts in
    /// init order, keeps running beside the regular containers, is restarted
    /// whatever the pod's restart policy, and its readiness counts.
    pub sidecar: bool,
    /// Current state.
    pub state: CState,
    /// The previous termination, shown as `lastState`.
    pub last: Option<CState>,
    /// Restarts so far.
    pub restarts: i32,
    /// Readiness.
    pub ready: bool,
    /// Incremented at every start, to recognise stale timers.
    pub run: u32,
    /// Current CrashLoopBackOff delay (zero: none yet).
    pub backoff: SimDuration,
    /// When the back-off entry was last updated.
    pub backoff_at: SimTime,
    /// Current image pull back-off delay.
    pub pull_backoff: SimDuration,
    /// Has started at least once.
    pub started_once: bool,
    /// The runtime's id of the current container.
    pub container_id: Option<String>,
    /// The process environment, resolved when the container was created.
    pub env: Option<EnvList>,
    /// The files the container's command and args name (absolute paths), as
    /// they were when it last started: a process reads its configuration
    /// file once, so a later ConfigMap change is not seen until a restart.
    pub files_at_start: BTreeMap<String, String>,
    /// The probe workers of the container.
    pub probes: Vec<ProbeState>,
    /// The keyspace of the redis-server it runs (empty for other programs).
    pub redis_data: BTreeMap<String, String>,
}

impl Ctr {
    /// A container not yet created.
    pub(crate) fn new(name: &str, image: &str, pull_policy: &str, init: bool) -> Self {
        Self {
            name: name.to_owned(),
            image: image.to_owned(),
            pull_policy: pull_policy.to_owned(),
            init,
            sidecar: false,
            state: CState::Waiting {
                reason: if init {
                    "PodInitializing"
                } else {
                    "ContainerCreating"
                },
                message: None,
            },
            last: None,
            restarts: 0,
            ready: false,
            run: 0,
            backoff: SimDuration::ZERO,
            backoff_at: SimTime::ZERO,
            pull_backoff: SimDuration::ZERO,
            started_once: false,
            container_id: None,
            env: None,
            files_at_start: BTreeMap::new(),
            probes: Vec::new(),
            redis_data: BTreeMap::new(),
        }
    }

    fn probe_result(&self, kind: ProbeKind) -> Option<Option<bool>> {
        self.probes.iter().find(|p| p.spec.kind == kind).map(|p| {
            if p.run == self.run {
                p.result
            } else {
                kind.initial()
            }
        })
    }

    /// Running, and its startup probe (if any) has succeeded.
    pub(crate) fn started(&self) -> bool {
        self.is_running()
            && self
                .probe_result(ProbeKind::Startup)
                .is_none_or(|r| r == Some(true))
    }

    /// Readiness as the probes give it: started, and its readiness probe (if
    /// any) succeeds. Init containers are never Ready.
    pub(crate) fn probed_ready(&self) -> bool {
        (!self.init || self.sidecar)
            && self.started()
            && self
                .probe_result(ProbeKind::Readiness)
                .is_none_or(|r| r == Some(true))
    }

    /// True while running.
    pub(crate) fn is_running(&self) -> bool {
        matches!(self.state, CState::Running { .. })
    }
}

/// The kubelet's view of one pod.
#[derive(Debug)]
pub(crate) struct Worker {
    /// The latest pod object seen.
    pub pod: Arc<Object>,
    /// Pod IP once the sandbox is up.
    pub ip: Option<String>,
    /// Sandbox (and network) ready.
    pub sandbox_ready: bool,
    /// Init containers, then regular containers.
    pub ctrs: Vec<Ctr>,
    /// How many of `ctrs` are init containers.
    pub n_init: usize,
    /// How many init containers completed.
    pub init_done: usize,
    /// When the kubelet accepted the pod.
    pub start_time: SimTime,
    /// Deletion in progress.
    pub terminating: bool,
    /// Delete request sent.
    pub delete_sent: bool,
    /// The last status sent.
    pub last_posted: Option<PodStatus>,
    /// Last transition time of each condition type, with its status.
    pub transitions: BTreeMap<&'static str, (&'static str, SimTime)>,
    /// What the pod holds of the node's admitted requests; None once it
    /// is terminal.
    pub admitted: Option<Resources>,
    /// Failed attempts to mount its volumes in a row (the volume manager's
    /// backoff).
    pub mount_failures: u32,
    /// The unique names of the attachable volumes it needs, once all its
    /// claims were found bound (a claim's volume does not change after).
    pub attachable: Option<Vec<String>>,
}

fn cstate(s: &CState) -> ContainerState {
    match s {
        CState::Waiting { reason, message } => ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some((*reason).to_owned()),
                message: message.clone(),
            }),
            ..Default::default()
        },
        CState::Running { started_at } => ContainerState {
            running: Some(ContainerStateRunning {
                started_at: Some(time(*started_at)),
            }),
            ..Default::default()
        },
        CState::Terminated {
            exit_code,
            reason,
            started_at,
            finished_at,
        } => ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: *exit_code,
                reason: Some((*reason).to_owned()),
                started_at: Some(time(*started_at)),
                finished_at: Some(time(*finished_at)),
                ..Default::default()
            }),
            ..Default::default()
        },
    }
}

/// The pod conditions the kubelet owns and writes.
pub(crate) const KUBELET_CONDITIONS: [&str; 4] = [
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
];

/// True when the API's pod status agrees with what the kubelet last posted,
/// in the parts the kubelet owns: phase, container statuses and its conditions.
pub(crate) fn kubelet_status_matches(want: &PodStatus, have: Option<&PodStatus>) -> bool {
    let Some(have) = have else { return false };
    let owned = |s: &PodStatus| -> Vec<(String, String)> {
        s.conditions
            .iter()
            .flatten()
            .filter(|c| KUBELET_CONDITIONS.contains(&c.type_.as_str()))
            .map(|c| (c.type_.clone(), c.status.clone()))
            .collect()
    };
    want.phase == have.phase
        && want.container_statuses == have.container_statuses
        && want.init_container_statuses == have.init_container_statuses
        && owned(want) == owned(have)
}

/// A deterministic image digest for an image reference.
pub(crate) fn image_id(image: &str) -> String {
    let repo = crate::config::image_repository(image);
    let full = if repo.contains('/') {
        repo.to_owned()
    } else {
        format!("docker.io/library/{repo}")
    };
    let h = stable_hash(image);
    format!(
        "{full}@sha256:{:016x}{:016x}{:016x}{:016x}",
        h,
        h.rotate_left(16),
        h.rotate_left(32),
        h.rotate_left(48)
    )
}

impl Worker {
    /// The pod phase (getPhase).
    pub(crate) fn phase(&self) -> &'static str {
        let restart_policy = self
            .pod
            .as_pod()
            .and_then(|p| p.spec.as_ref())
            .and_then(|s| s.restart_policy.as_deref())
            .unwrap_or("Always");
        let init = &self.ctrs[..self.n_init];
        let regular = &self.ctrs[self.n_init..];
        if restart_policy == "Never"
            && init
                .iter()
                .any(|c| matches!(c.state, CState::Terminated { exit_code, .. } if exit_code != 0))
        {
            return "Failed";
        }
        let (mut running, mut waiting_never_run, mut stopped, mut succeeded) = (0, 0, 0, 0);
        for c in regular {
            match &c.state {
                CState::Running { .. } => running += 1,
                CState::Terminated { exit_code, .. } => {
                    stopped += 1;
                    if *exit_code == 0 {
                        succeeded += 1;
                    }
                }
                CState::Waiting { .. } if c.last.is_some() => stopped += 1,
                CState::Waiting { .. } => waiting_never_run += 1,
            }
        }
        if self.init_done < self.n_init && running == 0 && stopped == 0 {
            return "Pending";
        }
        if waiting_never_run > 0 {
            return "Pending";
        }
        if running > 0 {
            return "Running";
        }
        if stopped > 0 {
            return match restart_policy {
                "Always" => "Running",
                _ if stopped == succeeded => "Succeeded",
                "Never" => "Failed",
                _ => "Running",
            };
        }
        "Pending"
    }

    fn condition(
        &mut self,
        now: SimTime,
        type_: &'static str,
        ok: bool,
        reason: Option<&str>,
        message: Option<String>,
    ) -> PodCondition {
        let status = if ok { "True" } else { "False" };
        let entry = self.transitions.entry(type_).or_insert((status, now));
        if entry.0 != status {
            *entry = (status, now);
        }
        PodCondition {
            type_: type_.to_owned(),
            status: status.to_owned(),
            last_transition_time: Some(time(entry.1)),
            last_probe_time: None,
            reason: (!ok)
                .then(|| reason.unwrap_or_default().to_owned())
                .filter(|r| !r.is_empty()),
            message: if ok { None } else { message },
            observed_generation: None,
        }
    }

    /// The status to report (generate.go order of conditions).
    pub(crate) fn status(&mut self, now: SimTime, host_ip: &str) -> PodStatus {
        let existing = self
            .pod
            .as_pod()
            .and_then(|p| p.status.clone())
            .unwrap_or_default();
        let regular_names: Vec<String> = self.ctrs[..self.n_init]
            .iter()
            .filter(|c| c.sidecar)
            .chain(self.ctrs[self.n_init..].iter())
            .filter(|c| !c.ready)
            .map(|c| c.name.clone())
            .collect();
        let init_pending: Vec<String> = self.ctrs[..self.n_init]
            .iter()
            .skip(self.init_done)
            .map(|c| c.name.clone())
            .collect();
        let phase = self.phase();
        let terminal = phase == "Succeeded" || phase == "Failed";
        let initialized = self.init_done >= self.n_init;
        let containers_ready = regular_names.is_empty() && initialized;
        let sandbox = self.sandbox_ready && !terminal;
        let mut conditions =
            vec![self.condition(now, "PodReadyToStartContainers", sandbox, None, None)];
        conditions.push(self.condition(
            now,
            "Initialized",
            initialized,
            Some("ContainersNotInitialized"),
            Some(format!(
                "containers with incomplete status: [{}]",
                init_pending.join(" ")
            )),
        ));
        let not_ready_reason = if terminal {
            "PodCompleted"
        } else {
            "ContainersNotReady"
        };
        let not_ready_msg = (!terminal).then(|| {
            format!(
                "containers with unready status: [{}]",
                regular_names.join(" ")
            )
        });
        conditions.push(self.condition(
            now,
            "Ready",
            containers_ready && !terminal,
            Some(not_ready_reason),
            not_ready_msg.clone(),
        ));
        conditions.push(self.condition(
            now,
            "ContainersReady",
            containers_ready && !terminal,
            Some(not_ready_reason),
            not_ready_msg,
        ));
        // Conditions the kubelet does not own (PodScheduled from the binding,
        // DisruptionTarget from an eviction, ...) are kept as they are.
        for c in existing.conditions.iter().flatten() {
            if !KUBELET_CONDITIONS.contains(&c.type_.as_str()) {
                conditions.push(c.clone());
            }
        }
        let statuses = |ctrs: &[Ctr]| -> Vec<ContainerStatus> {
            let mut v: Vec<ContainerStatus> = ctrs
                .iter()
                .map(|c| ContainerStatus {
                    name: c.name.clone(),
                    image: c.image.clone(),
                    image_id: if c.started_once {
                        image_id(&c.image)
                    } else {
                        String::new()
                    },
                    container_id: c.container_id.clone(),
                    ready: c.ready,
                    restart_count: c.restarts,
                    started: Some(c.started()),
                    state: Some(cstate(&c.state)),
                    last_state: Some(c.last.as_ref().map(cstate).unwrap_or_default()),
                    ..Default::default()
                })
                .collect();
            v.sort_by(|a, b| a.name.cmp(&b.name));
            v
        };
        let host_network = self
            .pod
            .as_pod()
            .and_then(|p| p.spec.as_ref())
            .and_then(|s| s.host_network)
            .unwrap_or(false);
        let ip = if host_network {
            Some(host_ip.to_owned())
        } else {
            self.ip.clone()
        };
        PodStatus {
            phase: Some(phase.to_owned()),
            conditions: Some(conditions),
            host_ip: Some(host_ip.to_owned()),
            host_ips: Some(vec![HostIP {
                ip: host_ip.to_owned(),
            }]),
            pod_ip: ip.clone(),
            pod_ips: ip.map(|ip| vec![PodIP { ip }]),
            start_time: Some(time(self.start_time)),
            qos_class: existing.qos_class.clone(),
            container_statuses: Some(statuses(&self.ctrs[self.n_init..])),
            init_container_statuses: (self.n_init > 0).then(|| statuses(&self.ctrs[..self.n_init])),
            ..Default::default()
        }
    }
}
