//! The kubelet across its own restarts, crashes of its node and healed
//! partitions: what it forgets, how it relists the pods and drives them on
//! from the runtime's state, static pod processes that stop and return, and
//! fault-injected container crashes.

use std::collections::BTreeSet;

use super::container_env::ConfigCache;
use super::pod_worker::CState;
use super::{Kubelet, Timer};
use crate::api::resources::Resources;
use crate::api::{Kind, ObjectKey};
use crate::apiserver::watch::WatchSpec;
use crate::components::Ctx;
use crate::time::SimDuration;

/// The objects a pod references by name in its namespace: (kind, name).
fn references(pod: &k8s_openapi::api::core::v1::Pod) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    let Some(spec) = pod.spec.as_ref() else {
        return out;
    };
    for v in spec.volumes.iter().flatten() {
        if let Some(c) = &v.persistent_volume_claim {
            out.push((Kind::PersistentVolumeClaim, c.claim_name.clone()));
        }
        if let Some(cm) = &v.config_map {
            out.push((Kind::ConfigMap, cm.name.clone()));
        }
        if let Some(s) = v.secret.as_ref().and_then(|s| s.secret_name.clone()) {
            out.push((Kind::Secret, s));
        }
        for src in v.projected.iter().flat_map(|p| p.sources.iter().flatten()) {
            if let Some(cm) = &src.config_map {
                out.push((Kind::ConfigMap, cm.name.clone()));
            }
            if let Some(s) = &src.secret {
                out.push((Kind::Secret, s.name.clone()));
            }
        }
    }
    let containers = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten());
    for c in containers {
        for e in c.env_from.iter().flatten() {
            if let Some(r) = &e.config_map_ref {
                out.push((Kind::ConfigMap, r.name.clone()));
            }
            if let Some(r) = &e.secret_ref {
                out.push((Kind::Secret, r.name.clone()));
            }
        }
        for e in c.env.iter().flatten() {
            let from = e.value_from.as_ref();
            if let Some(r) = from.and_then(|f| f.config_map_key_ref.as_ref()) {
                out.push((Kind::ConfigMap, r.name.clone()));
            }
            if let Some(r) = from.and_then(|f| f.secret_key_ref.as_ref()) {
                out.push((Kind::Secret, r.name.clone()));
            }
        }
    }
    for r in spec.image_pull_secrets.iter().flatten() {
        out.push((Kind::Secret, r.name.clone()));
    }
    out
}

impl Kubelet {
    /// Watches what the kubelet watches: its pods, its node, every Service
    /// (the Service informer, for environments), and one by one what the
    /// pods it has reference: ConfigMaps and Secrets (as the real ConfigMap
    /// and Secret managers watch each referenced object), claims and their
    /// volumes.
    pub(super) fn watch_all(&mut self, ctx: &mut Ctx<'_>) {
        ctx.watch(WatchSpec::with_field(
            Kind::Pod,
            "spec.nodeName",
            self.node_name.clone(),
        ));
        ctx.watch(WatchSpec::with_field(
            Kind::Node,
            "metadata.name",
            self.node_name.clone(),
        ));
        // The kubelet's Service informer.
        ctx.watch(WatchSpec::all(Kind::Service));
        // What its pods reference (the volume manager GETs claims and
        // volumes; a watch of each keeps the model event-driven), so that no
        // kubelet holds the cluster's ConfigMaps, Secrets or claims.
        self.object_watches.clear();
        let pods: Vec<_> = self.workers.values().map(|w| w.pod.clone()).collect();
        for pod in pods {
            self.watch_references_of(ctx, &pod);
        }
    }

    /// Watches what pod `obj` references (each object once): the
    /// ConfigMaps and Secrets of its volumes (projected ones too), of its
    /// containers' `env` and `envFrom`, its image pull Secrets, and its
    /// claims.
    pub(super) fn watch_references_of(&mut self, ctx: &mut Ctx<'_>, obj: &crate::api::Object) {
        let Some(pod) = obj.as_pod() else { return };
        let ns = pod
            .metadata
            .namespace
            .as_deref()
            .unwrap_or("default")
            .to_owned();
        for (kind, name) in references(pod) {
            self.watch_one(ctx, kind, &ns, &name);
        }
    }

    /// Watches one object by name, unless it is watched already.
    pub(super) fn watch_one(&mut self, ctx: &mut Ctx<'_>, kind: Kind, ns: &str, name: &str) {
        let key = (kind, ns.to_owned(), name.to_owned());
        if self.object_watches.contains(&key) {
            return;
        }
        self.object_watches.insert(key);
        ctx.watch(WatchSpec {
            kind,
            namespace: kind.namespaced().then(|| ns.to_owned()),
            field: Some(("metadata.name", name.to_owned())),
        });
    }

    /// A control-plane process of a static pod stopped or came back: while it
    /// is down its container shows the exit and CrashLoopBackOff, not ready;
    /// when it is back it runs again with one more restart.
    pub(super) fn static_pod_process(&mut self, ctx: &mut Ctx<'_>, component: &str, running: bool) {
        let pod_name = format!("{component}-{}", self.node_name);
        let now = ctx.now();
        let Some(uid) = self
            .workers
            .iter()
            .find(|(_, w)| w.pod.name() == pod_name && w.pod.namespace() == "kube-system")
            .map(|(u, _)| u.clone())
        else {
            return;
        };
        let Some(w) = self.workers.get_mut(&uid) else {
            return;
        };
        let pod_desc = format!("{}_kube-system({uid})", pod_name);
        let Some(c) = w.ctrs.iter_mut().find(|c| c.name == component) else {
            return;
        };
        if running {
            if !c.is_running() {
                c.restarts += 1;
                c.state = CState::Running { started_at: now };
                c.ready = true;
                c.run += 1;
            }
        } else if let CState::Running { started_at } = c.state {
            c.last = Some(CState::Terminated {
                exit_code: 1,
                reason: "Error",
                started_at,
                finished_at: now,
            });
            c.state = CState::Waiting {
                reason: "CrashLoopBackOff",
                message: Some(format!(
                    "back-off 10s restarting failed container={component} pod={pod_desc}"
                )),
            };
            c.ready = false;
            c.run += 1;
        }
        self.post_status(ctx, &uid);
    }

    /// Forgets the in-memory state of the kubelet process; with `crashed`,
    /// the node lost power and the runtime's containers are gone too.
    pub(super) fn reset(&mut self, crashed: bool) {
        self.restarted = true;
        self.timers.clear();
        self.runtime.reset_pulls();
        self.node = None;
        self.last_node_status = None;
        self.cache = ConfigCache::default();
        if crashed {
            self.workers.clear();
            self.files.power_loss();
            self.sessions.clear();
            self.host_sessions.clear();
            self.admitted = Resources::default();
            self.pod_ips.clear();
            self.boot_id.clear();
        }
        self.to_revive = self.workers.keys().cloned().collect();
    }

    /// Starts a resync: the relist of the pods arrives after the watch
    /// latency; when it has, pods the API no longer has are killed and the
    /// others are driven on from the runtime's state.
    pub(super) fn begin_resync(&mut self, ctx: &mut Ctx<'_>) {
        self.resync_seen = Some(BTreeSet::new());
        let after = ctx.config().latencies.watch_delivery + SimDuration::from_millis(1);
        self.timer(ctx, after, Timer::ResyncDone);
    }

    pub(super) fn resync_done(&mut self, ctx: &mut Ctx<'_>) {
        let seen = self.resync_seen.take().unwrap_or_default();
        let uids: Vec<String> = self.workers.keys().cloned().collect();
        for uid in uids {
            if !seen.contains(&uid) {
                // Deleted from the API while this kubelet could not see it.
                if let Some(w) = self.workers.get(&uid) {
                    ctx.trace(
                        "kill-pod",
                        ObjectKey::of(&w.pod).to_string(),
                        "deleted from the API server".into(),
                    );
                }
                self.pod_deleted(&uid);
            } else if self.restarted_worker(&uid) {
                self.revive(ctx, &uid);
            }
        }
    }

    /// True (once) for a pod whose timers a restart dropped.
    pub(super) fn restarted_worker(&mut self, uid: &str) -> bool {
        self.to_revive.remove(uid)
    }

    /// Drives a pod on after a kubelet restart, from what the runtime has:
    /// running containers keep running; the rest are started (the in-memory
    /// back-off is gone, as in a real kubelet).
    pub(super) fn revive(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        w.last_posted = None;
        if w.terminating {
            w.terminating = false;
            if !w.delete_sent {
                self.kill_pod(ctx, uid);
            }
            return;
        }
        let sandbox_ready = w.sandbox_ready;
        self.start_probers(ctx, uid);
        if !sandbox_ready {
            let delay = ctx.config().timings.pod_sandbox_setup;
            self.timer(ctx, delay, Timer::SandboxReady(uid.to_owned()));
            self.post_status(ctx, uid);
            return;
        }
        let limits: Vec<Option<i64>> = (0..self.workers.get(uid).map_or(0, |w| w.ctrs.len()))
            .map(|idx| self.memory_limit(uid, idx))
            .collect();
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        let restart_policy = w
            .pod
            .as_pod()
            .and_then(|p| p.spec.as_ref())
            .and_then(|s| s.restart_policy.clone())
            .unwrap_or_else(|| "Always".into());
        let now = ctx.now();
        let mut exits = Vec::new();
        let mut starts = Vec::new();
        let mut restarts = Vec::new();
        for (idx, c) in w.ctrs.iter_mut().enumerate() {
            let turn = if c.init {
                idx == w.init_done
            } else {
                w.init_done >= w.n_init
            };
            match &c.state {
                CState::Running { started_at } => {
                    let profile = ctx.config().images.lookup(&c.image);
                    let after = match (profile.exit, c.init) {
                        (Some(e), _) => Some(e.after),
                        (None, true) => Some(SimDuration::ZERO),
                        (None, false) => None,
                    };
                    let oom = limits[idx]
                        .and_then(|l| profile.oom_after(l))
                        .filter(|oom| after.is_none_or(|a| *oom < a));
                    if let Some(after) = oom.or(after) {
                        let left = SimDuration::from_nanos(
                            after
                                .as_nanos()
                                .saturating_sub(now.saturating_since(*started_at).as_nanos()),
                        );
                        exits.push((idx, c.run, left, oom.is_some()));
                    }
                }
                CState::Waiting { reason, .. } if turn => {
                    c.backoff = SimDuration::ZERO;
                    if *reason == "CrashLoopBackOff" {
                        restarts.push(idx);
                    } else {
                        starts.push(idx);
                    }
                }
                CState::Terminated { exit_code, .. } if turn => {
                    let again = match restart_policy.as_str() {
                        "Always" => true,
                        "OnFailure" => *exit_code != 0,
                        _ => false,
                    };
                    if again && !(c.init && *exit_code == 0) {
                        c.backoff = SimDuration::ZERO;
                        restarts.push(idx);
                    }
                }
                _ => {}
            }
        }
        for (idx, run, left, oom) in exits {
            let uid = uid.to_owned();
            let t = if oom {
                Timer::Oom { uid, idx, run }
            } else {
                Timer::Exit { uid, idx, run }
            };
            self.timer(ctx, left, t);
        }
        for idx in starts {
            self.ensure_image(ctx, uid, idx);
        }
        for idx in restarts {
            self.restart(ctx, uid, idx);
        }
        self.post_status(ctx, uid);
    }

    /// A container's process exits with `exit_code` (a fault).
    pub(super) fn crash_container(
        &mut self,
        ctx: &mut Ctx<'_>,
        namespace: &str,
        pod: &str,
        container: &str,
        exit_code: i32,
    ) {
        let Some((uid, idx)) = self.workers.iter().find_map(|(uid, w)| {
            (w.pod.namespace() == namespace && w.pod.name() == pod && !w.terminating)
                .then(|| {
                    w.ctrs
                        .iter()
                        .position(|c| c.name == container && c.is_running())
                        .map(|i| (uid.clone(), i))
                })
                .flatten()
        }) else {
            return;
        };
        self.finish_container(ctx, &uid, idx, exit_code);
    }

    /// A partition healed: watch again, relist, and post the node and pod
    /// statuses again (those posted during the partition were lost).
    pub(super) fn resync_after_partition(&mut self, ctx: &mut Ctx<'_>) {
        self.watch_all(ctx);
        self.begin_resync(ctx);
        self.last_node_status = None;
        let uids: Vec<String> = self.workers.keys().cloned().collect();
        for uid in uids {
            if let Some(w) = self.workers.get_mut(&uid) {
                w.last_posted = None;
            }
            self.post_status(ctx, &uid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_references_what_its_volumes_environment_and_pull_secrets_name() {
        let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": {
                "imagePullSecrets": [{"name": "pull"}],
                "volumes": [
                    {"name": "a", "configMap": {"name": "cm-vol"}},
                    {"name": "b", "secret": {"secretName": "sec-vol"}},
                    {"name": "c", "persistentVolumeClaim": {"claimName": "data"}},
                    {"name": "d", "projected": {"sources": [
                        {"configMap": {"name": "cm-proj"}}, {"secret": {"name": "sec-proj"}}]}},
                    {"name": "e", "emptyDir": {}}
                ],
                "initContainers": [{"name": "i", "image": "busybox",
                    "envFrom": [{"secretRef": {"name": "sec-from"}}]}],
                "containers": [{"name": "c", "image": "nginx",
                    "envFrom": [{"configMapRef": {"name": "cm-from"}}],
                    "env": [
                        {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cm-key", "key": "k"}}},
                        {"name": "B", "valueFrom": {"secretKeyRef": {"name": "sec-key", "key": "k"}}},
                        {"name": "C", "value": "plain"}
                    ]}]
            }
        }))
        .expect("a pod");
        let mut got = references(&pod);
        got.sort();
        let want = [
            (Kind::ConfigMap, "cm-from"),
            (Kind::ConfigMap, "cm-key"),
            (Kind::ConfigMap, "cm-proj"),
            (Kind::ConfigMap, "cm-vol"),
            (Kind::Secret, "pull"),
            (Kind::Secret, "sec-from"),
            (Kind::Secret, "sec-key"),
            (Kind::Secret, "sec-proj"),
            (Kind::Secret, "sec-vol"),
            (Kind::PersistentVolumeClaim, "data"),
        ];
        let mut want: Vec<(Kind, String)> =
            want.iter().map(|(k, n)| (*k, (*n).to_owned())).collect();
        want.sort();
        assert_eq!(got, want);
    }
}
