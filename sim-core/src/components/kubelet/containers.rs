//! Containers of a pod (`kuberuntime_container.go`, `kuberuntime_manager.go`):
//! init containers one at a time, sidecars (init containers with
//! `restartPolicy: Always`), then the regular containers; create and start
//! with the image profile's timings; exits by the profile or an OOM kill;
//! restarts by the pod's restart policy with CrashLoopBackOff (first restart
//! immediate, then 10 s doubling to 300 s, reset after 10 min).

use std::sync::Arc;

use super::container_lookup::find_container;
use super::pod_worker::CState;
use super::{Kubelet, Timer};
use crate::api::{Object, ObjectKey};
use crate::components::Ctx;
use crate::time::SimDuration;

/// The first CrashLoopBackOff and image pull back-off.
pub(super) const INITIAL_BACKOFF: SimDuration = SimDuration::from_secs(10);
/// The longest back-off.
pub(super) const MAX_BACKOFF: SimDuration = SimDuration::from_secs(300);
/// The pod worker's back-off after a failed sync (`backOffPeriod`, 10 s; the
/// real one adds up to 50 % jitter): how soon a container whose config failed
/// is tried again.
const CONFIG_RETRY: SimDuration = SimDuration::from_secs(10);

impl Kubelet {
    /// Starts the next init container, or all regular containers once init is done.
    pub(super) fn start_next_containers(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let Some(w) = self.workers.get(uid) else {
            return;
        };
        let targets: Vec<usize> = if w.init_done < w.n_init {
            vec![w.init_done]
        } else {
            (w.n_init..w.ctrs.len())
                .filter(|&i| !w.ctrs[i].started_once && w.ctrs[i].container_id.is_none())
                .collect()
        };
        for idx in targets {
            self.ensure_image(ctx, uid, idx);
        }
    }

    pub(super) fn container_ref(
        &self,
        uid: &str,
        idx: usize,
    ) -> Option<(Arc<Object>, String, String, String)> {
        let w = self.workers.get(uid)?;
        let c = w.ctrs.get(idx)?;
        let path = if c.init {
            format!("spec.initContainers{{{}}}", c.name)
        } else {
            format!("spec.containers{{{}}}", c.name)
        };
        Some((w.pod.clone(), path, c.image.clone(), c.pull_policy.clone()))
    }

    pub(super) fn create_container(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize) {
        let Some((pod, path, image, _)) = self.container_ref(uid, idx) else {
            return;
        };
        let startup = ctx.config().images.lookup(&image).startup;
        let Some(env) = self.resolve_env(ctx, uid, idx) else {
            return;
        };
        match env {
            Ok(env) => {
                if let Some(c) = self.workers.get_mut(uid).and_then(|w| w.ctrs.get_mut(idx)) {
                    c.env = Some(env);
                }
            }
            Err(e) => {
                let msg = e.to_string();
                // kuberuntime_container.go startContainer: generateContainerConfig failed.
                self.recorder.record_with_field_path(
                    ctx,
                    &pod,
                    Some(path),
                    "Warning",
                    "Failed",
                    format!("Error: {msg}"),
                );
                if let Some(c) = self.workers.get_mut(uid).and_then(|w| w.ctrs.get_mut(idx)) {
                    c.state = CState::Waiting {
                        reason: "CreateContainerConfigError",
                        message: Some(msg),
                    };
                }
                self.post_status(ctx, uid);
                self.timer(
                    ctx,
                    CONFIG_RETRY,
                    Timer::RetryConfig {
                        uid: uid.to_owned(),
                        idx,
                    },
                );
                return;
            }
        }
        let id = {
            use rand::Rng;
            let a: u64 = ctx.rng().random();
            let b: u64 = ctx.rng().random();
            let c: u64 = ctx.rng().random();
            let d: u64 = ctx.rng().random();
            format!("containerd://{a:016x}{b:016x}{c:016x}{d:016x}")
        };
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        if w.terminating {
            return;
        }
        let Some(c) = w.ctrs.get_mut(idx) else { return };
        c.run += 1;
        c.container_id = Some(id);
        let run = c.run;
        let name = c.name.clone();
        self.recorder.record_with_field_path(
            ctx,
            &pod,
            Some(path),
            "Normal",
            "Created",
            format!("Created container: {name}"),
        );
        self.timer(
            ctx,
            startup,
            Timer::Started {
                uid: uid.to_owned(),
                idx,
                run,
            },
        );
    }

    pub(super) fn container_started(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize, run: u32) {
        let Some((pod, path, image, _)) = self.container_ref(uid, idx) else {
            return;
        };
        let profile = ctx.config().images.lookup(&image).clone();
        let now = ctx.now();
        // A new instance: a fresh layer from the image, an empty keyspace.
        self.files.container_started(&(uid.to_owned(), idx));
        if profile.addon == Some(crate::config::Addon::VolumeRecycler) {
            // The recycler's script: `find /scrub -mindepth 1 -delete`.
            if let Some(volume) = self.volume_mounted_at(uid, idx, "/scrub") {
                self.files.scrub(uid, &volume);
            }
        }
        let files = self.files_named_by_command(uid, idx, &profile);
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let Some(c) = w.ctrs.get_mut(idx) else { return };
        if c.run != run || w.terminating {
            return;
        }
        c.state = CState::Running { started_at: now };
        c.files_at_start = files;
        c.redis_data.clear();
        c.started_once = true;
        c.ready = c.probed_ready();
        let name = c.name.clone();
        let sidecar = c.sidecar;
        // A sidecar runs like a regular container; the next init container
        // (or the regular ones) start once it has started.
        let init = c.init && !sidecar;
        let first_start_of_sidecar = sidecar && w.init_done == idx;
        if first_start_of_sidecar {
            w.init_done += 1;
        }
        self.recorder.record_with_field_path(
            ctx,
            &pod,
            Some(path),
            "Normal",
            "Started",
            format!("Started container {name}"),
        );
        if first_start_of_sidecar {
            self.start_next_containers(ctx, uid);
        }
        ctx.trace("start-container", ObjectKey::of(&pod).to_string(), name);
        let exit = match (profile.exit, init) {
            (Some(e), _) => Some((e.after, e.code)),
            (None, true) => Some((SimDuration::ZERO, 0)),
            (None, false) => None,
        };
        let oom = self
            .memory_limit(uid, idx)
            .and_then(|limit| profile.oom_after(limit))
            .filter(|oom| exit.is_none_or(|(after, _)| *oom < after));
        if let Some(after) = oom {
            self.timer(
                ctx,
                after,
                Timer::Oom {
                    uid: uid.to_owned(),
                    idx,
                    run,
                },
            );
        } else if let Some((after, _)) = exit {
            self.timer(
                ctx,
                after,
                Timer::Exit {
                    uid: uid.to_owned(),
                    idx,
                    run,
                },
            );
        }
        self.post_status(ctx, uid);
    }

    pub(super) fn container_exited(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize, run: u32) {
        let Some((_, _, image, _)) = self.container_ref(uid, idx) else {
            return;
        };
        let code = ctx
            .config()
            .images
            .lookup(&image)
            .exit
            .map_or(0, |e| e.code);
        let current = self
            .workers
            .get(uid)
            .and_then(|w| w.ctrs.get(idx))
            .is_some_and(|c| c.run == run && c.is_running());
        if current {
            self.finish_container(ctx, uid, idx, code);
        }
    }

    /// The current run of container `idx` exits with `code`.
    pub(super) fn finish_container(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize, code: i32) {
        let reason = if code == 0 { "Completed" } else { "Error" };
        self.end_container(ctx, uid, idx, code, reason, false);
    }

    /// The current run of container `idx` ends with `code` and `reason`;
    /// `killed`: the kubelet killed it (a failed probe), so it is restarted
    /// unless the restart policy is Never, whatever its exit code.
    pub(super) fn end_container(
        &mut self,
        ctx: &mut Ctx<'_>,
        uid: &str,
        idx: usize,
        code: i32,
        reason: &'static str,
        killed: bool,
    ) {
        let now = ctx.now();
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let pod_key = ObjectKey::of(&w.pod).to_string();
        let restart_policy = w
            .pod
            .as_pod()
            .and_then(|p| p.spec.as_ref())
            .and_then(|s| s.restart_policy.clone())
            .unwrap_or_else(|| "Always".into());
        let Some(c) = w.ctrs.get_mut(idx) else { return };
        if w.terminating {
            return;
        }
        let started_at = match c.state {
            CState::Running { started_at } => started_at,
            _ => now,
        };
        c.state = CState::Terminated {
            exit_code: code,
            reason,
            started_at,
            finished_at: now,
        };
        c.ready = false;
        let init = c.init && !c.sidecar;
        let sidecar = c.sidecar;
        ctx.trace(
            "container-exit",
            pod_key,
            format!("{} exit code {code}", c.name),
        );
        if init && code == 0 {
            w.init_done += 1;
            self.start_next_containers(ctx, uid);
            self.post_status(ctx, uid);
            return;
        }
        let restart = sidecar
            || match restart_policy.as_str() {
                "Always" => true,
                "OnFailure" => code != 0 || killed,
                _ => false,
            };
        if restart {
            self.schedule_restart(ctx, uid, idx);
        }
        self.post_status(ctx, uid);
    }

    /// CrashLoopBackOff (kuberuntime_manager.go doBackOff; flowcontrol.Backoff):
    /// the first restart is immediate, then 10 s doubling to 300 s; an entry not
    /// touched for 10 min starts over.
    pub(super) fn schedule_restart(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize) {
        let now = ctx.now();
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let pod = w.pod.clone();
        let pod_desc = format!("{}_{}({})", pod.name(), pod.namespace(), uid);
        let Some(c) = w.ctrs.get_mut(idx) else { return };
        if c.backoff != SimDuration::ZERO
            && now.saturating_since(c.backoff_at) > MAX_BACKOFF.saturating_mul(2)
        {
            c.backoff = SimDuration::ZERO;
        }
        let delay = c.backoff;
        c.backoff = if c.backoff == SimDuration::ZERO {
            INITIAL_BACKOFF
        } else {
            c.backoff.saturating_mul(2).min(MAX_BACKOFF)
        };
        c.backoff_at = now;
        let name = c.name.clone();
        if delay > SimDuration::ZERO {
            c.last = Some(c.state.clone());
            c.state = CState::Waiting {
                reason: "CrashLoopBackOff",
                message: Some(format!(
                    "back-off {} restarting failed container={name} pod={pod_desc}",
                    delay
                )),
            };
            let path = format!("spec.containers{{{name}}}");
            self.recorder.record_with_field_path(
                ctx,
                &pod,
                Some(path),
                "Warning",
                "BackOff",
                format!("Back-off restarting failed container {name} in pod {pod_desc}"),
            );
        }
        self.timer(
            ctx,
            delay,
            Timer::Restart {
                uid: uid.to_owned(),
                idx,
            },
        );
    }

    pub(super) fn restart(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        if w.terminating {
            return;
        }
        let Some(c) = w.ctrs.get_mut(idx) else { return };
        if let CState::Terminated { .. } = c.state {
            c.last = Some(c.state.clone());
        }
        c.restarts += 1;
        self.ensure_image(ctx, uid, idx);
    }

    /// The memory limit of container `idx`, bytes.
    pub(super) fn memory_limit(&self, uid: &str, idx: usize) -> Option<i64> {
        let w = self.workers.get(uid)?;
        let spec = find_container(w.pod.as_pod()?, &w.ctrs.get(idx)?.name)?;
        let q = spec.resources.as_ref()?.limits.as_ref()?.get("memory")?;
        crate::api::quantity::parse_bytes(&q.0).ok()
    }

    /// True when run `run` of container `idx` is the current one and running.
    pub(super) fn is_current(&self, uid: &str, idx: usize, run: u32) -> bool {
        self.workers
            .get(uid)
            .filter(|w| !w.terminating)
            .and_then(|w| w.ctrs.get(idx))
            .is_some_and(|c| c.run == run && c.is_running())
    }

    /// A container whose config failed (CreateContainerConfigError) is tried
    /// again, unless it has moved on meanwhile.
    pub(super) fn retry_config(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize) {
        let waiting = self
            .workers
            .get(uid)
            .filter(|w| !w.terminating)
            .and_then(|w| w.ctrs.get(idx))
            .is_some_and(|c| {
                matches!(
                    c.state,
                    CState::Waiting {
                        reason: "CreateContainerConfigError",
                        ..
                    }
                )
            });
        if waiting {
            self.ensure_image(ctx, uid, idx);
        }
    }
}
