//! The Pod table: READY, STATUS and RESTARTS as `printPod` computes them
//! (`k8s.io/kubernetes/pkg/printers/internalversion/printers.go`), and the
//! `-o wide` columns.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use super::{col, name_of, obj_age, wide, Column, Printable};
use crate::age::age;

/// Strict ordering of optional timestamps where `None` is Go's zero time.
fn later(a: Option<Timestamp>, b: Option<Timestamp>) -> bool {
    a > b
}

fn is_restartable_init(pod: &Pod, name: &str) -> bool {
    // `initContainers[name]`: a map filled in order, so the last one wins.
    pod.spec
        .as_ref()
        .and_then(|s| s.init_containers.as_ref())
        .and_then(|ics| ics.iter().rev().find(|c| c.name == name))
        .map(|c| c.restart_policy.as_deref() == Some("Always"))
        .unwrap_or(false)
}

/// Whether the pod has a condition of `type_` with status True, read as
/// kubectl's printer reads it: `hasPodReadyCondition` accepts any matching
/// condition (`first_only: false`), `podutil.IsPodConditionTrue` for
/// Initialized only the first one. (sim_core::api::conditions answers the
/// API's own question, the first condition of a type; the printer keeps
/// kubectl's.)
fn pod_condition_true(pod: &Pod, type_: &str, first_only: bool) -> bool {
    let conds = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for c in conds {
        if c.type_ == type_ {
            if c.status == "True" {
                return true;
            }
            if first_only {
                return false;
            }
        }
    }
    false
}

/// What `printPod` accumulates while it walks a pod's container statuses:
/// the restart counts and latest restart times (all containers, and the
/// restartable init containers alone), the ready count and the STATUS
/// reason so far.
struct StatusTally {
    restarts: i64,
    restartable_init_restarts: i64,
    ready: usize,
    last_restart: Option<Timestamp>,
    last_restartable_init_restart: Option<Timestamp>,
    reason: String,
}

/// The READY, STATUS and RESTARTS cells of a pod (`printPod`).
fn pod_ready_status_restarts(pod: &Pod, now: Timestamp) -> (String, String, String) {
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let containers = spec.map(|s| s.containers.as_slice()).unwrap_or(&[]);
    let init_containers = spec
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or(&[]);
    let mut total = containers.len();
    for c in init_containers {
        if c.restart_policy.as_deref() == Some("Always") {
            total += 1;
        }
    }
    let phase = status
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "Pending".to_string());
    let mut tally = StatusTally {
        restarts: 0,
        restartable_init_restarts: 0,
        ready: 0,
        last_restart: None,
        last_restartable_init_restart: None,
        reason: initial_reason(pod, &phase),
    };

    let initializing = tally_init_containers(pod, init_containers.len(), &mut tally);
    if !initializing || pod_condition_true(pod, "Initialized", true) {
        tally_containers(pod, &mut tally);
    }

    let mut reason = tally.reason;
    if pod.metadata.deletion_timestamp.is_some()
        && status.and_then(|s| s.reason.as_deref()) == Some("NodeLost")
    {
        reason = "Unknown".to_string();
    } else if pod.metadata.deletion_timestamp.is_some() && phase != "Failed" && phase != "Succeeded"
    {
        reason = "Terminating".to_string();
    }

    let restarts_str = match tally.last_restart {
        Some(t) if tally.restarts != 0 => {
            format!("{} ({} ago)", tally.restarts, age(Some(&Time(t)), now))
        }
        _ => tally.restarts.to_string(),
    };
    (format!("{}/{}", tally.ready, total), reason, restarts_str)
}

/// The STATUS before any container is looked at: `status.reason`, else the
/// phase; `SchedulingGated` when a PodScheduled condition says so.
fn initial_reason(pod: &Pod, phase: &str) -> String {
    let status = pod.status.as_ref();
    let mut reason = match status.and_then(|s| s.reason.as_deref()) {
        Some(r) if !r.is_empty() => r.to_string(),
        _ => phase.to_string(),
    };
    for c in status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]) {
        if c.type_ == "PodScheduled" && c.reason.as_deref() == Some("SchedulingGated") {
            reason = "SchedulingGated".to_string();
        }
    }
    reason
}

/// `printPod`'s walk over the init container statuses, in order. Returns
/// whether the pod is still initializing (an init container that has not
/// completed and is not a started sidecar), in which case the reason is
/// set to `Init:...`.
fn tally_init_containers(pod: &Pod, init_count: usize, t: &mut StatusTally) -> bool {
    let init_statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.init_container_statuses.as_deref())
        .unwrap_or(&[]);
    for (i, cs) in init_statuses.iter().enumerate() {
        let restartable = is_restartable_init(pod, &cs.name);
        t.restarts += i64::from(cs.restart_count);
        if let Some(term) = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref()) {
            let finished = term.finished_at.as_ref().map(|t| t.0);
            if later(finished, t.last_restart) {
                t.last_restart = finished;
            }
            if restartable && later(finished, t.last_restartable_init_restart) {
                t.last_restartable_init_restart = finished;
            }
        }
        if restartable {
            t.restartable_init_restarts += i64::from(cs.restart_count);
        }
        let state = cs.state.as_ref();
        let terminated = state.and_then(|s| s.terminated.as_ref());
        let waiting = state.and_then(|s| s.waiting.as_ref());
        if terminated.map(|t| t.exit_code == 0).unwrap_or(false) {
            continue;
        }
        if restartable && cs.started == Some(true) {
            if cs.ready {
                t.ready += 1;
            }
            continue;
        }
        if let Some(term) = terminated {
            t.reason = match term.reason.as_deref() {
                Some(r) if !r.is_empty() => format!("Init:{r}"),
                _ => match term.signal {
                    Some(sig) if sig != 0 => format!("Init:Signal:{sig}"),
                    _ => format!("Init:ExitCode:{}", term.exit_code),
                },
            };
        } else if let Some(r) = waiting
            .and_then(|w| w.reason.as_deref())
            .filter(|r| !r.is_empty() && *r != "PodInitializing")
        {
            t.reason = format!("Init:{r}");
        } else {
            t.reason = format!("Init:{}/{}", i, init_count);
        }
        return true;
    }
    false
}

/// `printPod`'s walk over the regular container statuses (last to first),
/// once the pod is initialized: the restarts start again from the
/// restartable init containers' own, and a waiting or terminated container
/// gives the reason.
fn tally_containers(pod: &Pod, t: &mut StatusTally) {
    t.restarts = t.restartable_init_restarts;
    t.last_restart = t.last_restartable_init_restart;
    let mut has_running = false;
    let statuses = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or(&[]);
    for cs in statuses.iter().rev() {
        t.restarts += i64::from(cs.restart_count);
        if let Some(term) = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref()) {
            let finished = term.finished_at.as_ref().map(|t| t.0);
            if later(finished, t.last_restart) {
                t.last_restart = finished;
            }
        }
        let state = cs.state.as_ref();
        let waiting_reason = state
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.as_deref())
            .filter(|r| !r.is_empty());
        let terminated = state.and_then(|s| s.terminated.as_ref());
        if let Some(r) = waiting_reason {
            t.reason = r.to_string();
        } else if let Some(term) = terminated {
            t.reason = match term.reason.as_deref() {
                Some(r) if !r.is_empty() => r.to_string(),
                _ => match term.signal {
                    Some(sig) if sig != 0 => format!("Signal:{sig}"),
                    _ => format!("ExitCode:{}", term.exit_code),
                },
            };
        } else if cs.ready && state.and_then(|s| s.running.as_ref()).is_some() {
            has_running = true;
            t.ready += 1;
        }
    }
    if t.reason == "Completed" && has_running {
        t.reason = if pod_condition_true(pod, "Ready", false) {
            "Running".to_string()
        } else {
            "NotReady".to_string()
        };
    }
}

impl Printable for Pod {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Ready"),
            col("Status"),
            col("Restarts"),
            col("Age"),
            wide("IP"),
            wide("Node"),
            wide("Nominated Node"),
            wide("Readiness Gates"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let (ready, status, restarts) = pod_ready_status_restarts(self, now);
        let st = self.status.as_ref();
        let mut pod_ip = st
            .and_then(|s| s.pod_ips.as_ref())
            .and_then(|ips| ips.first())
            .map(|ip| ip.ip.clone())
            .or_else(|| st.and_then(|s| s.pod_ip.clone()))
            .unwrap_or_default();
        if pod_ip.is_empty() {
            pod_ip = "<none>".to_string();
        }
        let or_none = |v: Option<&String>| match v {
            Some(x) if !x.is_empty() => x.clone(),
            _ => "<none>".to_string(),
        };
        let node = or_none(self.spec.as_ref().and_then(|s| s.node_name.as_ref()));
        let nominated = or_none(st.and_then(|s| s.nominated_node_name.as_ref()));
        let gates = self
            .spec
            .as_ref()
            .and_then(|s| s.readiness_gates.as_deref())
            .unwrap_or(&[]);
        let readiness = if gates.is_empty() {
            "<none>".to_string()
        } else {
            let conds = st.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
            let true_count = gates
                .iter()
                .filter(|g| {
                    conds
                        .iter()
                        .find(|c| c.type_ == g.condition_type)
                        .map(|c| c.status == "True")
                        .unwrap_or(false)
                })
                .count();
            format!("{}/{}", true_count, gates.len())
        };
        vec![
            name_of(&self.metadata),
            ready,
            status,
            restarts,
            obj_age(&self.metadata, now),
            pod_ip,
            node,
            nominated,
            readiness,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printers::test_fixtures::*;
    use crate::printers::{print_table, PrintOptions};
    use k8s_openapi::api::core::v1::{
        ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
        ContainerStatus, PodCondition, PodIP, PodSpec, PodStatus,
    };

    fn running_status(name: &str, started_ago: i64) -> ContainerStatus {
        ContainerStatus {
            name: name.to_string(),
            ready: true,
            started: Some(true),
            state: Some(ContainerState {
                running: Some(ContainerStateRunning {
                    started_at: Some(ago(started_ago)),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn cond(type_: &str, status: &str) -> PodCondition {
        PodCondition {
            type_: type_.to_string(),
            status: status.to_string(),
            ..Default::default()
        }
    }

    fn nginx_pod() -> Pod {
        Pod {
            metadata: meta(Some("default"), "nginx", 300),
            spec: Some(PodSpec {
                containers: vec![container("nginx", "nginx:1.27")],
                node_name: Some("worker-1".into()),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Running".into()),
                pod_ip: Some("10.244.1.5".into()),
                pod_ips: Some(vec![PodIP {
                    ip: "10.244.1.5".into(),
                }]),
                conditions: Some(vec![cond("Ready", "True")]),
                container_statuses: Some(vec![running_status("nginx", 290)]),
                ..Default::default()
            }),
        }
    }

    fn creating_pod() -> Pod {
        Pod {
            metadata: meta(Some("default"), "web-5d8f7c9b4-x2x9z", 12),
            spec: Some(PodSpec {
                containers: vec![container("web", "nginx")],
                node_name: Some("worker-2".into()),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Pending".into()),
                container_statuses: Some(vec![ContainerStatus {
                    name: "web".into(),
                    state: Some(ContainerState {
                        waiting: Some(ContainerStateWaiting {
                            reason: Some("ContainerCreating".into()),
                            message: None,
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        }
    }

    fn crashing_pod() -> Pod {
        Pod {
            metadata: meta(Some("default"), "crasher", 1800),
            spec: Some(PodSpec {
                containers: vec![container("app", "busybox")],
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Running".into()),
                container_statuses: Some(vec![ContainerStatus {
                    name: "app".into(),
                    restart_count: 3,
                    state: Some(ContainerState {
                        waiting: Some(ContainerStateWaiting {
                            reason: Some("CrashLoopBackOff".into()),
                            message: None,
                        }),
                        ..Default::default()
                    }),
                    last_state: Some(ContainerState {
                        terminated: Some(ContainerStateTerminated {
                            exit_code: 1,
                            reason: Some("Error".into()),
                            finished_at: Some(ago(312)),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        }
    }

    fn terminating_pod() -> Pod {
        let mut p = nginx_pod();
        p.metadata.name = Some("old-nginx".into());
        p.metadata.deletion_timestamp = Some(ago(-30));
        p
    }

    #[test]
    fn pods_table() {
        let pods = [
            nginx_pod(),
            creating_pod(),
            crashing_pod(),
            terminating_pod(),
        ];
        let refs: Vec<&Pod> = pods.iter().collect();
        let out = print_table(&refs, now(), &PrintOptions::default());
        let want = "\
NAME                  READY   STATUS              RESTARTS        AGE
nginx                 1/1     Running             0               5m
web-5d8f7c9b4-x2x9z   0/1     ContainerCreating   0               12s
crasher               0/1     CrashLoopBackOff    3 (5m12s ago)   30m
old-nginx             1/1     Terminating         0               5m
";
        assert_eq!(out, want);
    }

    #[test]
    fn pods_wide_all_namespaces_labels() {
        let mut p = nginx_pod();
        p.metadata.labels = labels(&[("run", "nginx"), ("app", "web")]);
        let c = creating_pod();
        let refs = vec![&p, &c];
        let opts = PrintOptions {
            wide: true,
            with_namespace: true,
            show_labels: true,
            no_headers: false,
            with_kind: None,
        };
        let want = "\
NAMESPACE   NAME                  READY   STATUS              RESTARTS   AGE   IP           NODE       NOMINATED NODE   READINESS GATES   LABELS
default     nginx                 1/1     Running             0          5m    10.244.1.5   worker-1   <none>           <none>            app=web,run=nginx
default     web-5d8f7c9b4-x2x9z   0/1     ContainerCreating   0          12s   <none>       worker-2   <none>           <none>            <none>
";
        assert_eq!(print_table(&refs, now(), &opts), want);
    }

    #[test]
    fn pod_status_reasons() {
        let status_of = |p: &Pod| p.cells(now())[2].clone();
        // Init containers.
        let mut p = creating_pod();
        p.spec.as_mut().unwrap().init_containers = Some(vec![
            container("init-a", "busybox"),
            container("init-b", "busybox"),
        ]);
        p.status.as_mut().unwrap().init_container_statuses = Some(vec![
            ContainerStatus {
                name: "init-a".into(),
                state: Some(ContainerState {
                    terminated: Some(ContainerStateTerminated {
                        exit_code: 0,
                        reason: Some("Completed".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ContainerStatus {
                name: "init-b".into(),
                state: Some(ContainerState {
                    running: Some(ContainerStateRunning { started_at: None }),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ]);
        assert_eq!(status_of(&p), "Init:1/2");
        // A failed init container.
        p.status
            .as_mut()
            .unwrap()
            .init_container_statuses
            .as_mut()
            .unwrap()[1]
            .state = Some(ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: 2,
                ..Default::default()
            }),
            ..Default::default()
        });
        assert_eq!(status_of(&p), "Init:ExitCode:2");
        // Completed pod.
        let mut done = nginx_pod();
        done.status.as_mut().unwrap().phase = Some("Succeeded".into());
        done.status.as_mut().unwrap().container_statuses = Some(vec![ContainerStatus {
            name: "nginx".into(),
            state: Some(ContainerState {
                terminated: Some(ContainerStateTerminated {
                    exit_code: 0,
                    reason: Some("Completed".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }]);
        assert_eq!(status_of(&done), "Completed");
        // Terminal pods being deleted keep their status.
        done.metadata.deletion_timestamp = Some(ago(1));
        assert_eq!(status_of(&done), "Completed");
        // NodeLost.
        let mut lost = nginx_pod();
        lost.status.as_mut().unwrap().reason = Some("NodeLost".into());
        assert_eq!(status_of(&lost), "NodeLost");
        lost.metadata.deletion_timestamp = Some(ago(1));
        assert_eq!(status_of(&lost), "Unknown");
        // Scheduling gated and unschedulable pods.
        let mut gated = Pod {
            metadata: meta(Some("default"), "gated", 5),
            ..Default::default()
        };
        assert_eq!(status_of(&gated), "Pending");
        gated.status = Some(PodStatus {
            phase: Some("Pending".into()),
            conditions: Some(vec![PodCondition {
                reason: Some("SchedulingGated".into()),
                ..cond("PodScheduled", "False")
            }]),
            ..Default::default()
        });
        assert_eq!(status_of(&gated), "SchedulingGated");
        // An empty pod does not panic.
        let empty = Pod::default();
        assert_eq!(
            empty.cells(now()),
            vec![
                "",
                "0/0",
                "Pending",
                "0",
                "<unknown>",
                "<none>",
                "<none>",
                "<none>",
                "<none>"
            ]
        );
    }
}
