//! The probe workers of the kubelet's prober manager
//! (`prober_manager.go`, `worker.go` doProbe): each probe of a container
//! ticks every period from when the pod was accepted; a failed liveness or
//! startup probe kills the container (restarted by the pod's policy), a
//! readiness result sets the container's readiness. See [`super::prober`]
//! for the probe specs and thresholds.

use super::container_lookup::find_container;
use super::pod_worker::CState;
use super::prober::{self, ProbeKind};
use super::{Kubelet, Timer};
use crate::components::Ctx;
use crate::time::SimDuration;

impl Kubelet {
    /// Starts (or, after a kubelet restart, restarts) the probe workers of a
    /// pod: each ticks every period from now (prober_manager.go AddPod).
    pub(super) fn start_probers(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let mut ticks = Vec::new();
        for (idx, c) in w.ctrs.iter_mut().enumerate() {
            let run = c.run;
            for (probe, p) in c.probes.iter_mut().enumerate() {
                p.reset(run);
                ticks.push((idx, probe, p.spec.period));
            }
        }
        for (idx, probe, period) in ticks {
            let uid = uid.to_owned();
            self.timer(ctx, period, Timer::Probe { uid, idx, probe });
        }
    }

    /// One tick of a probe worker (worker.go doProbe).
    pub(super) fn probe_tick(&mut self, ctx: &mut Ctx<'_>, uid: &str, idx: usize, probe: usize) {
        let now = ctx.now();
        let host_ip = self.host_ip.clone();
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        if w.terminating {
            return;
        }
        let pod = w.pod.clone();
        let pod_ip = w.ip.clone().unwrap_or(host_ip);
        let Some(c) = w.ctrs.get_mut(idx) else { return };
        let Some(spec) = c.probes.get(probe).map(|p| p.spec.clone()) else {
            return;
        };
        let uid_s = uid.to_owned();
        self.timer(
            ctx,
            spec.period,
            Timer::Probe {
                uid: uid_s,
                idx,
                probe,
            },
        );
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let Some(c) = w.ctrs.get_mut(idx) else { return };
        let CState::Running { started_at } = c.state else {
            return;
        };
        let started = c.started();
        let run = c.run;
        let st = &mut c.probes[probe];
        if st.run != run {
            st.reset(run);
        }
        if st.on_hold
            || (spec.kind != ProbeKind::Startup && !started)
            || (spec.kind == ProbeKind::Startup && started)
        {
            return;
        }
        let since = now.saturating_since(started_at);
        if since < spec.initial_delay {
            return;
        }
        let health = ctx.config().images.lookup(&c.image).health_at(since);
        let ok = match spec.kind {
            ProbeKind::Readiness => health.readiness,
            _ => health.liveness,
        };
        let changed = st.observe(ok);
        let name = c.name.clone();
        let path = format!("spec.containers{{{name}}}");
        if !ok {
            let output = pod
                .as_pod()
                .and_then(|p| find_container(p, &name))
                .map(|cs| prober::failure_output(cs, spec.kind, &pod_ip, spec.timeout))
                .unwrap_or_default();
            self.recorder.record_with_field_path(
                ctx,
                &pod,
                Some(path.clone()),
                "Warning",
                "Unhealthy",
                format!("{} probe failed: {output}", spec.kind.label()),
            );
        }
        let Some(result) = changed else { return };
        if !result && spec.kind != ProbeKind::Readiness {
            self.probe_kill(ctx, uid, idx, &spec, path);
            return;
        }
        if let Some(c) = self.workers.get_mut(uid).and_then(|w| w.ctrs.get_mut(idx)) {
            c.ready = c.probed_ready();
        }
        self.post_status(ctx, uid);
    }

    /// Kills a container whose liveness or startup probe failed
    /// (kuberuntime_manager.go computePodActions, killContainer).
    pub(super) fn probe_kill(
        &mut self,
        ctx: &mut Ctx<'_>,
        uid: &str,
        idx: usize,
        spec: &prober::ProbeSpec,
        path: String,
    ) {
        let Some(w) = self.workers.get(uid) else {
            return;
        };
        let Some(c) = w.ctrs.get(idx) else { return };
        let pod = w.pod.clone();
        let p = pod.as_pod();
        let never = p
            .and_then(|p| p.spec.as_ref())
            .and_then(|s| s.restart_policy.as_deref())
            == Some("Never");
        let pod_grace = p
            .and_then(|p| p.spec.as_ref())
            .and_then(|s| s.termination_grace_period_seconds)
            .and_then(|s| u64::try_from(s).ok())
            .map_or(SimDuration::from_secs(30), SimDuration::from_secs);
        let grace = spec.grace.unwrap_or(pod_grace);
        let stop = ctx.config().images.lookup(&c.image).stop.min(grace);
        let kind = if spec.kind == ProbeKind::Startup {
            "startup"
        } else {
            "liveness"
        };
        let mut msg = format!("Container {} failed {kind} probe", c.name);
        if !never {
            msg.push_str(", will be restarted");
        }
        let run = c.run;
        self.recorder
            .record_with_field_path(ctx, &pod, Some(path), "Normal", "Killing", msg);
        self.timer(
            ctx,
            stop,
            Timer::ProbeKilled {
                uid: uid.to_owned(),
                idx,
                run,
            },
        );
    }
}
