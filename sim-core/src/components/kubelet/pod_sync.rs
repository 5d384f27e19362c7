//! A pod's life on the node (`kubelet.go` SyncPod, `kubelet_pods.go`,
//! the pod workers): a pod bound to the node is admitted and gets a worker,
//! its sandbox (an address from the node's /24, as the bridge CNI's
//! host-local IPAM hands out) and its containers; deletion kills the
//! containers within the grace period, then the kubelet deletes the pod
//! with grace 0.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::PodSpec;

use super::pod_worker::{self, CState, Ctr, Worker};
use super::prober::{self, ProbeState};
use super::{Kubelet, Timer};
use crate::api::{Object, ObjectKey};
use crate::apiserver::{DeleteOptions, Request};
use crate::components::Ctx;
use crate::time::SimDuration;

impl Kubelet {
    pub(super) fn pod_added(&mut self, ctx: &mut Ctx<'_>, obj: &Arc<Object>) {
        let Some(pod) = obj.as_pod() else { return };
        let uid = obj.uid().to_owned();
        if let Some(w) = self.workers.get_mut(&uid) {
            w.pod = obj.clone();
            // The status manager keeps the API in line with what the kubelet
            // knows: a status another component changed (the node controller
            // marking pods NotReady while the node looked dead) is posted again.
            let drifted = w
                .last_posted
                .as_ref()
                .is_some_and(|want| !pod_worker::kubelet_status_matches(want, pod.status.as_ref()));
            if drifted {
                w.last_posted = None;
            }
            if pod.metadata.deletion_timestamp.is_some() && !w.terminating {
                self.kill_pod(ctx, &uid);
            } else if drifted {
                self.post_status(ctx, &uid);
            }
            return;
        }
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        if matches!(phase, Some("Succeeded" | "Failed")) || self.rejected.contains(&uid) {
            return;
        }
        // A pod's references never change: watched once, for a new worker.
        self.watch_references_of(ctx, obj);
        if pod.metadata.deletion_timestamp.is_none() {
            if let Some((reason, message)) = self.admit(pod) {
                self.reject(ctx, obj, reason, message);
                return;
            }
        }
        let no_spec = Default::default();
        let spec: &PodSpec = pod.spec.as_ref().unwrap_or(&no_spec);
        let mut ctrs: Vec<Ctr> = spec
            .init_containers
            .iter()
            .flatten()
            .map(|c| {
                let mut ctr = Ctr::new(
                    &c.name,
                    c.image.as_deref().unwrap_or(""),
                    c.image_pull_policy.as_deref().unwrap_or("IfNotPresent"),
                    true,
                );
                ctr.sidecar = c.restart_policy.as_deref() == Some("Always");
                if ctr.sidecar {
                    ctr.probes = prober::probe_specs(c)
                        .into_iter()
                        .map(ProbeState::new)
                        .collect();
                }
                ctr
            })
            .collect();
        let n_init = ctrs.len();
        ctrs.extend(spec.containers.iter().map(|c| {
            let mut ctr = Ctr::new(
                &c.name,
                c.image.as_deref().unwrap_or(""),
                c.image_pull_policy.as_deref().unwrap_or("IfNotPresent"),
                false,
            );
            ctr.probes = prober::probe_specs(c)
                .into_iter()
                .map(ProbeState::new)
                .collect();
            ctr
        }));
        let worker = Worker {
            pod: obj.clone(),
            ip: None,
            sandbox_ready: false,
            ctrs,
            n_init,
            init_done: 0,
            start_time: ctx.now(),
            terminating: false,
            delete_sent: false,
            last_posted: None,
            transitions: BTreeMap::new(),
            admitted: Some(Self::admission_requests(pod)),
            mount_failures: 0,
            attachable: None,
        };
        if let Some(r) = &worker.admitted {
            self.admitted.add(r);
        }
        self.workers.insert(uid.clone(), worker);
        ctx.trace("sync-pod", ObjectKey::of(obj).to_string(), String::new());
        self.post_status(ctx, &uid);
        if pod.metadata.deletion_timestamp.is_some() {
            self.kill_pod(ctx, &uid);
            return;
        }
        self.start_probers(ctx, &uid);
        let delay = ctx.config().timings.pod_sandbox_setup;
        self.timer(ctx, delay, Timer::SandboxReady(uid));
    }

    pub(super) fn sandbox_ready(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        if !self.volumes_mounted(ctx, uid) {
            return;
        }
        let host_network = self
            .workers
            .get(uid)
            .and_then(|w| w.pod.as_pod())
            .and_then(|p| p.spec.as_ref())
            .and_then(|s| s.host_network)
            .unwrap_or(false);
        let ip = if host_network {
            None
        } else {
            match self.allocate_ip() {
                Some(ip) => Some(ip),
                None => {
                    // No address left: the sandbox fails and the kubelet retries.
                    if let Some(pod) = self.workers.get(uid).map(|w| w.pod.clone()) {
                        let cidr = self.pod_cidr();
                        let (first, last) = (
                            cidr.address(1),
                            cidr.address(u32::try_from(cidr.size() - 2).unwrap_or(u32::MAX)),
                        );
                        let msg = format!(
                            "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox: plugin type=\"bridge\" failed (add): failed to allocate for range 0: no IP addresses available in range set: {first}-{last}"
                        );
                        self.recorder
                            .record(ctx, &pod, "Warning", "FailedCreatePodSandBox", msg);
                    }
                    self.timer(
                        ctx,
                        SimDuration::from_secs(10),
                        Timer::SandboxReady(uid.to_owned()),
                    );
                    return;
                }
            }
        };
        let Some(w) = self.workers.get_mut(uid) else {
            if let Some(ip) = ip {
                self.release_ip(&ip);
            }
            return;
        };
        if w.terminating {
            if let Some(ip) = ip {
                self.release_ip(&ip);
            }
            return;
        }
        w.ip = ip;
        w.sandbox_ready = true;
        self.start_next_containers(ctx, uid);
        self.post_status(ctx, uid);
    }

    /// The lowest free address of the node's CIDR (the bridge CNI's
    /// host-local IPAM), or None when all are taken.
    pub(super) fn allocate_ip(&mut self) -> Option<String> {
        self.pod_ips.allocate().map(|ip| ip.to_string())
    }

    pub(super) fn release_ip(&mut self, ip: &str) {
        if let Ok(ip) = ip.parse() {
            self.pod_ips.release(ip);
        }
    }

    pub(super) fn kill_pod(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        w.terminating = true;
        let pod = w.pod.clone();
        let grace = pod
            .meta()
            .deletion_grace_period_seconds
            .unwrap_or(30)
            .max(0);
        let grace = SimDuration::from_secs(u64::try_from(grace).unwrap_or(0));
        let mut stops = Vec::new();
        for (idx, c) in w.ctrs.iter_mut().enumerate() {
            if c.is_running() {
                let path = if c.init {
                    format!("spec.initContainers{{{}}}", c.name)
                } else {
                    format!("spec.containers{{{}}}", c.name)
                };
                let hook = pod
                    .as_pod()
                    .and_then(|p| super::container_lookup::find_container(p, &c.name))
                    .map_or(SimDuration::ZERO, pre_stop_duration);
                stops.push((idx, c.run, c.name.clone(), c.image.clone(), path, hook));
            }
        }
        for (idx, run, name, image, path, hook) in stops {
            self.recorder.record_with_field_path(
                ctx,
                &pod,
                Some(path),
                "Normal",
                "Killing",
                format!("Stopping container {name}"),
            );
            // The preStop hook runs first (the container keeps serving),
            // then the process stops on SIGTERM; the grace period bounds both.
            let stop = (hook + ctx.config().images.lookup(&image).stop).min(grace);
            self.timer(
                ctx,
                stop,
                Timer::Stopped {
                    uid: uid.to_owned(),
                    idx,
                    run,
                },
            );
        }
        self.runtime.forget_pod(uid);
        self.maybe_finish_termination(ctx, uid);
    }

    pub(super) fn container_stopped(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize, run: u32) {
        let now = ctx.now();
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let Some(c) = w.ctrs.get_mut(idx) else { return };
        if c.run != run {
            return;
        }
        if let CState::Running { started_at } = c.state {
            c.state = CState::Terminated {
                exit_code: 0,
                reason: "Completed",
                started_at,
                finished_at: now,
            };
            c.ready = false;
        }
        self.maybe_finish_termination(ctx, uid);
    }

    pub(super) fn maybe_finish_termination(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        if !w.terminating || w.delete_sent || w.ctrs.iter().any(Ctr::is_running) {
            return;
        }
        w.delete_sent = true;
        let key = ObjectKey::of(&w.pod);
        ctx.trace("pod-terminated", key.to_string(), String::new());
        ctx.send(Request::Delete {
            key,
            options: DeleteOptions {
                grace_period_secs: Some(0),
                propagation: None,
                precondition_uid: Some(uid.to_owned()),
            },
        });
    }

    pub(super) fn pod_deleted(&mut self, uid: &str) {
        if let Some(w) = self.remove_worker(uid) {
            if let Some(ip) = w.ip {
                self.release_ip(&ip);
            }
            self.runtime.forget_pod(uid);
        }
    }
}

/// How long a container's preStop hook keeps it running before SIGTERM: a
/// `sleep` action's seconds, or an exec hook that sleeps (`sleep N`, `sh -c
/// "sleep N"`); other hooks finish at once.
fn pre_stop_duration(c: &k8s_openapi::api::core::v1::Container) -> SimDuration {
    let Some(hook) = c.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref()) else {
        return SimDuration::ZERO;
    };
    if let Some(sleep) = &hook.sleep {
        return SimDuration::from_secs(u64::try_from(sleep.seconds).unwrap_or(0));
    }
    let argv: Vec<&str> = hook
        .exec
        .as_ref()
        .and_then(|e| e.command.as_ref())
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let words: Vec<&str> = match argv.as_slice() {
        [shell, "-c", line] if shell.ends_with("sh") => line.split_whitespace().collect(),
        other => other.to_vec(),
    };
    match words.as_slice() {
        [sleep, secs, ..] if sleep.ends_with("sleep") => secs
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map_or(SimDuration::ZERO, |s| {
                SimDuration::from_millis((s.min(1e9) * 1000.0) as u64)
            }),
        _ => SimDuration::ZERO,
    }
}

#[cfg(test)]
mod pre_stop_tests {
    use super::*;

    fn container(lifecycle: serde_json::Value) -> k8s_openapi::api::core::v1::Container {
        serde_json::from_value(serde_json::json!({"name": "c", "lifecycle": lifecycle})).unwrap()
    }

    #[test]
    fn sleeping_hooks_keep_the_container_running() {
        let secs = |v| pre_stop_duration(&container(v)).as_millis();
        assert_eq!(
            secs(serde_json::json!({"preStop": {"sleep": {"seconds": 5}}})),
            5_000
        );
        assert_eq!(
            secs(serde_json::json!({"preStop": {"exec": {"command": ["sleep", "2.5"]}}})),
            2_500
        );
        assert_eq!(
            secs(
                serde_json::json!({"preStop": {"exec": {"command": ["/bin/sh", "-c", "sleep 10"]}}})
            ),
            10_000
        );
        assert_eq!(
            secs(serde_json::json!({"preStop": {"exec": {"command": ["nginx", "-s", "quit"]}}})),
            0
        );
        assert_eq!(secs(serde_json::json!({})), 0);
    }
}
