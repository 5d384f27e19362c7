//! The pod garbage collector (pkg/controller/podgc), every `gcCheckPeriod`
//! (20 s): terminated pods beyond `--terminated-pod-gc-threshold` (oldest
//! first, evicted ones before), pods bound to a node that has been gone for
//! the 40 s quarantine, and terminating pods that were never scheduled. The
//! last two are force-deleted after their phase is set to Failed (orphans also
//! get `DisruptionTarget`, reason `DeletionByPodGC`). So are pods being
//! deleted on a node that is not Ready and has the
//! `node.kubernetes.io/out-of-service` taint (`gcTerminating`).

use super::ControllerTag;
use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::PodCondition;
use rustc_hash::FxHashSet;

use super::attach_detach::OUT_OF_SERVICE_TAINT;
use super::Informers;
use crate::api::meta::time;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{DeleteOptions, Request};
use crate::components::Ctx;
use crate::time::{SimDuration, SimTime};
use std::sync::Arc;

/// `quarantineTime`: how long a node must be missing before its pods go.
const QUARANTINE: SimDuration = SimDuration::from_secs(40);

/// The controller.
#[derive(Debug, Default)]
pub(crate) struct PodGc {
    started: bool,
    /// Missing node -> when first seen missing.
    quarantine: BTreeMap<String, SimTime>,
    requested: BTreeSet<String>,
}

fn phase(obj: &Object) -> &str {
    obj.as_pod()
        .and_then(|p| p.status.as_ref())
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

/// The node a pod is bound to ("" when unscheduled).
fn node_name(obj: &Object) -> &str {
    obj.as_pod()
        .and_then(|p| p.spec.as_ref())
        .and_then(|s| s.node_name.as_deref())
        .unwrap_or("")
}

/// `byEvictionAndCreationTimestamp`: evicted pods first, then the oldest
/// (then by key, for a total order).
fn by_eviction_and_creation(a: &Object, b: &Object) -> std::cmp::Ordering {
    let evicted = |p: &Object| {
        phase(p) == "Failed"
            && p.as_pod()
                .and_then(|p| p.status.as_ref())
                .and_then(|s| s.reason.as_deref())
                == Some("Evicted")
    };
    let created = |p: &Object| p.meta().creation_timestamp.as_ref().map(|c| c.0);
    evicted(b)
        .cmp(&evicted(a))
        .then_with(|| created(a).cmp(&created(b)))
        .then_with(|| ObjectKey::of(a).cmp(&ObjectKey::of(b)))
}

impl PodGc {
    /// Starts the periodic pass (once).
    pub(crate) fn start(&mut self, ctx: &mut Ctx<'_>) {
        if !self.started {
            self.started = true;
            let period = ctx.config().timings.pod_gc_period;
            if !period.is_zero() {
                ctx.set_timer(period, ControllerTag::PodGc.tag());
            }
        }
    }

    /// The periodic pass.
    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        let t = ctx.config().timings;
        ctx.set_timer(t.pod_gc_period, ControllerTag::PodGc.tag());
        let pods: Vec<_> = informers.of(Kind::Pod).iter().cloned().collect();
        // Deletions asked for and since done are forgotten (a set lookup per
        // request: the pass stays linear in the pods).
        if !self.requested.is_empty() {
            let uids: FxHashSet<&str> = pods.iter().map(|p| p.uid()).collect();
            self.requested.retain(|uid| uids.contains(uid.as_str()));
        }
        // Terminated pods beyond the threshold.
        let threshold = usize::try_from(t.terminated_pod_gc_threshold).unwrap_or(usize::MAX);
        if threshold > 0 {
            let mut terminated: Vec<_> = pods
                .iter()
                .filter(|p| matches!(phase(p), "Succeeded" | "Failed"))
                .collect();
            if terminated.len() > threshold {
                terminated.sort_by(|a, b| by_eviction_and_creation(a, b));
                let excess = terminated.len() - threshold;
                for p in terminated.into_iter().take(excess) {
                    self.delete(ctx, p, None, None);
                }
            }
        }
        // Orphans: pods bound to nodes missing for the quarantine time.
        let now = ctx.now();
        let nodes = informers.of(Kind::Node);
        let existing: FxHashSet<&str> = nodes.iter().map(|n| n.name()).collect();
        let mut missing: BTreeSet<String> = BTreeSet::new();
        for p in &pods {
            let node = node_name(p);
            if !node.is_empty() && !existing.contains(node) && !missing.contains(node) {
                missing.insert(node.to_owned());
            }
        }
        self.quarantine.retain(|n, _| missing.contains(n));
        for n in &missing {
            self.quarantine.entry(n.clone()).or_insert(now);
        }
        let gone: BTreeSet<String> = self
            .quarantine
            .iter()
            .filter(|(_, since)| now.saturating_since(**since) >= QUARANTINE)
            .map(|(n, _)| n.clone())
            .collect();
        let cond = PodCondition {
            type_: "DisruptionTarget".into(),
            status: "True".into(),
            reason: Some("DeletionByPodGC".into()),
            message: Some("PodGC: node no longer exists".into()),
            last_transition_time: Some(time(now)),
            ..Default::default()
        };
        for p in &pods {
            let node = node_name(p);
            if gone.contains(node) {
                self.delete(ctx, p, Some(cond.clone()), Some("orphaned"));
            } else if node.is_empty() && p.meta().deletion_timestamp.is_some() {
                self.delete(ctx, p, None, Some("unscheduled terminating"));
            }
        }
        // gcTerminating: pods being deleted on a node that is not Ready and
        // carries the out-of-service taint (its owner says it is down).
        let out_of_service = |name: &str| {
            nodes
                .get(&ObjectKey::new(Kind::Node, "", name))
                .and_then(|o| o.as_node())
                .is_some_and(|n| {
                    !crate::api::conditions::is_node_ready(n)
                        && n.spec
                            .as_ref()
                            .and_then(|s| s.taints.as_ref())
                            .is_some_and(|t| t.iter().any(|t| t.key == OUT_OF_SERVICE_TAINT))
                })
        };
        let mut terminating: Vec<&Arc<Object>> = pods
            .iter()
            .filter(|p| {
                p.meta().deletion_timestamp.is_some()
                    && !matches!(phase(p), "Succeeded" | "Failed")
                    && !node_name(p).is_empty()
                    && out_of_service(node_name(p))
            })
            .collect();
        terminating.sort_by(|a, b| by_eviction_and_creation(a, b));
        for p in terminating {
            self.delete(ctx, p, None, Some("out-of-service"));
        }
    }

    /// `markFailedAndDeletePodWithCondition`: phase Failed (and the
    /// condition) unless terminal, then a delete with grace period 0.
    fn delete(
        &mut self,
        ctx: &mut Ctx<'_>,
        obj: &Object,
        cond: Option<PodCondition>,
        forced: Option<&str>,
    ) {
        if !self.requested.insert(obj.uid().to_owned()) {
            return;
        }
        let key = ObjectKey::of(obj);
        ctx.trace(
            "pod-gc",
            key.to_string(),
            forced.unwrap_or("terminated").to_owned(),
        );
        if !matches!(phase(obj), "Succeeded" | "Failed") {
            if let Some(pod) = obj.as_pod() {
                let mut pod = pod.clone();
                let status = pod.status.get_or_insert_with(Default::default);
                status.phase = Some("Failed".into());
                if let Some(c) = cond {
                    let conds = status.conditions.get_or_insert_with(Vec::new);
                    conds.retain(|x| x.type_ != c.type_);
                    conds.push(c);
                }
                pod.metadata.resource_version = None;
                ctx.send(Request::UpdateStatus(Object::from(pod)));
            }
        }
        ctx.send(Request::Delete {
            key,
            options: DeleteOptions {
                grace_period_secs: Some(0),
                precondition_uid: Some(obj.uid().to_owned()),
                ..Default::default()
            },
        });
    }
}
