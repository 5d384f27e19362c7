//! The ReplicaSet controller (pkg/controller/replicaset/replica_set.go):
//! keeps `spec.replicas` active pods, using expectations so that it never acts
//! twice on the same stale view, and reports replicas, ready and available
//! counts in the status.
//!
//! Pods are created from the template with `generateName: <rs>-` and a
//! controller owner reference. When scaling down, pods are ranked as
//! `ActivePodsWithRanks` ranks them: unassigned before assigned, Pending before
//! Running, not ready before ready, then the most recently ready and the newest
//! first.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetStatus};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{Informers, PodCreations, WorkQueue};
use crate::api::meta::{controller_of, owner_reference, sim_time_of};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::ApiResult;
use crate::apiserver::{DeleteOptions, Request};
use crate::components::event_recorder::EventRecorder;
use crate::components::{Ctx, WatchEvent};
use crate::etcd::ChangeType;
use crate::time::{SimDuration, SimTime};

/// Most pods created or deleted in one sync (`BurstReplicas`).
pub const BURST_REPLICAS: i64 = 500;

const TIMER_BASE: u64 = 1_000_000_000;
const CREATE_TAG_BASE: u64 = 1_500_000_000;

/// The controller.
pub struct ReplicaSetController {
    recorder: EventRecorder,
    queue: WorkQueue,
    pods_by_owner: BTreeMap<String, BTreeSet<ObjectKey>>,
    expectations: BTreeMap<String, (i64, i64)>,
    requeue: BTreeMap<u64, ObjectKey>,
    creations: PodCreations,
    next_timer: u64,
}

/// True when the pod counts toward a ReplicaSet: not terminal and not being deleted.
pub fn is_active(pod: &Pod) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    !matches!(phase, Some("Succeeded" | "Failed")) && pod.metadata.deletion_timestamp.is_none()
}

/// The pod's Ready condition and when it last changed.
pub fn ready_since(pod: &Pod) -> Option<SimTime> {
    pod.status
        .as_ref()?
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "Ready" && c.status == "True")
        .map(|c| {
            c.last_transition_time
                .as_ref()
                .map(|t| sim_time_of(&t.0))
                .unwrap_or(SimTime::ZERO)
        })
}

/// Ready for more than `min_ready` (podutil.IsPodAvailable: the Ready
/// transition plus minReadySeconds must be strictly before now).
pub fn is_available(pod: &Pod, min_ready: SimDuration, now: SimTime) -> bool {
    match ready_since(pod) {
        None => false,
        Some(_) if min_ready == SimDuration::ZERO => true,
        Some(t) => t + min_ready < now,
    }
}

impl ReplicaSetController {
    /// A controller recording events with `recorder`.
    pub fn new(recorder: EventRecorder) -> Self {
        Self {
            recorder,
            queue: WorkQueue::default(),
            pods_by_owner: BTreeMap::new(),
            expectations: BTreeMap::new(),
            requeue: BTreeMap::new(),
            creations: PodCreations::new(CREATE_TAG_BASE),
            next_timer: TIMER_BASE,
        }
    }

    /// A timer of this controller fired; true when it asks for a sync.
    pub fn on_timer(&mut self, tag: u64) -> bool {
        match self.requeue.remove(&tag) {
            Some(key) => {
                self.queue.add(key);
                true
            }
            None => false,
        }
    }

    /// The response to a pod creation: on failure the expectation is lowered
    /// and the ReplicaSet synced again. Returns false when the tag is not this controller's.
    pub fn on_response(&mut self, ctx: &mut Ctx<'_>, tag: u64, result: &ApiResult) -> bool {
        let Some((rs, failed)) = self
            .creations
            .on_response(ctx, &mut self.recorder, tag, result)
        else {
            return false;
        };
        if failed {
            if let Some(exp) = self.expectations.get_mut(rs.uid()) {
                exp.0 -= 1;
            }
            self.queue.add(ObjectKey::of(&rs));
        }
        true
    }

    /// Updates the pod index and expectations from a change (`prev`: the cached object before it).
    pub fn observe(&mut self, event: &WatchEvent, prev: Option<&Object>) {
        let obj = &event.object;
        match obj.kind() {
            Kind::ReplicaSet => {
                if event.change == ChangeType::Deleted {
                    self.expectations.remove(obj.uid());
                } else {
                    self.queue.add(ObjectKey::of(obj));
                }
            }
            Kind::Pod => {
                let Some(owner) = controller_of(obj.meta()).filter(|r| r.kind == "ReplicaSet")
                else {
                    return;
                };
                let key = ObjectKey::of(obj);
                let rs_key = ObjectKey::new(Kind::ReplicaSet, obj.namespace(), owner.name.clone());
                let exp = self.expectations.entry(owner.uid.clone()).or_insert((0, 0));
                let was_deleting = prev.is_some_and(|p| p.meta().deletion_timestamp.is_some());
                match event.change {
                    ChangeType::Added => {
                        exp.0 -= 1;
                        self.pods_by_owner
                            .entry(owner.uid.clone())
                            .or_default()
                            .insert(key);
                    }
                    ChangeType::Modified => {
                        // A deletion is observed when the pod starts terminating.
                        if obj.meta().deletion_timestamp.is_some() && !was_deleting {
                            exp.1 -= 1;
                        }
                        self.pods_by_owner
                            .entry(owner.uid.clone())
                            .or_default()
                            .insert(key);
                    }
                    ChangeType::Deleted => {
                        if let Some(set) = self.pods_by_owner.get_mut(&owner.uid) {
                            set.remove(&key);
                        }
                        if !was_deleting {
                            exp.1 -= 1;
                        }
                    }
                }
                self.queue.add(rs_key);
            }
            _ => {}
        }
    }

    /// Syncs dirty ReplicaSets.
    pub fn sync(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        for key in self.queue.drain() {
            let Some(obj) = informers.of(Kind::ReplicaSet).get(&key).cloned() else {
                continue;
            };
            let Object::ReplicaSet(rs) = &*obj else {
                continue;
            };
            self.sync_one(ctx, informers, &obj, rs);
        }
    }

    fn sync_one(
        &mut self,
        ctx: &mut Ctx<'_>,
        informers: &Informers,
        obj: &Arc<Object>,
        rs: &ReplicaSet,
    ) {
        let now = ctx.now();
        let uid = obj.uid().to_owned();
        let spec = rs.spec.clone().unwrap_or_default();
        let replicas = i64::from(spec.replicas.unwrap_or(1));
        let min_ready =
            SimDuration::from_secs(u64::try_from(spec.min_ready_seconds.unwrap_or(0)).unwrap_or(0));
        let pods: Vec<Arc<Object>> = self
            .pods_by_owner
            .get(&uid)
            .into_iter()
            .flatten()
            .filter_map(|k| informers.of(Kind::Pod).get(k).cloned())
            .collect();
        let active: Vec<&Arc<Object>> = pods
            .iter()
            .filter(|p| p.as_pod().is_some_and(is_active))
            .collect();
        let (adds, dels) = self.expectations.get(&uid).copied().unwrap_or((0, 0));
        let satisfied = adds <= 0 && dels <= 0;
        if satisfied && obj.meta().deletion_timestamp.is_none() {
            let diff = active.len() as i64 - replicas;
            if diff < 0 {
                let n = (-diff).min(BURST_REPLICAS);
                self.expectations.insert(uid.clone(), (n, 0));
                for _ in 0..n {
                    let pod = pod_from_template(obj, rs);
                    self.creations.send(ctx, obj.clone(), pod);
                }
            } else if diff > 0 {
                let n = diff.min(BURST_REPLICAS) as usize;
                let mut ranked: Vec<&Arc<Object>> = active.clone();
                ranked.sort_by_cached_key(|p| deletion_rank(p, now));
                self.expectations.insert(uid.clone(), (0, n as i64));
                for victim in ranked.into_iter().take(n) {
                    let key = ObjectKey::of(victim);
                    let options = DeleteOptions {
                        precondition_uid: Some(victim.uid().to_owned()),
                        ..Default::default()
                    };
                    ctx.send(Request::Delete { key, options });
                    self.recorder.record(
                        ctx,
                        obj,
                        "Normal",
                        "SuccessfulDelete",
                        format!("Deleted pod: {}", victim.name()),
                    );
                }
            }
        }
        // Status.
        let template_labels = spec
            .template
            .as_ref()
            .and_then(|t| t.metadata.as_ref())
            .and_then(|m| m.labels.clone())
            .unwrap_or_default();
        let fully_labeled = active
            .iter()
            .filter(|p| {
                template_labels
                    .iter()
                    .all(|(k, v)| p.labels().get(k) == Some(v))
            })
            .count();
        let ready = active
            .iter()
            .filter(|p| p.as_pod().and_then(ready_since).is_some())
            .count();
        let available = active
            .iter()
            .filter(|p| p.as_pod().is_some_and(|p| is_available(p, min_ready, now)))
            .count();
        if min_ready > SimDuration::ZERO && ready > available {
            let tag = self.next_timer;
            self.next_timer += 1;
            self.requeue.insert(tag, ObjectKey::of(obj));
            ctx.set_timer(min_ready, tag);
        }
        let to_i32 = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        let status = ReplicaSetStatus {
            replicas: to_i32(active.len()),
            fully_labeled_replicas: Some(to_i32(fully_labeled)),
            ready_replicas: Some(to_i32(ready)),
            available_replicas: Some(to_i32(available)),
            observed_generation: obj.meta().generation,
            conditions: rs.status.as_ref().and_then(|s| s.conditions.clone()),
            terminating_replicas: None,
        };
        if rs.status.as_ref() != Some(&status) {
            let mut updated = rs.clone();
            updated.status = Some(status);
            // updateReplicaSetStatus retries a conflict on a fresh GET: in effect unconditional.
            updated.metadata.resource_version = None;
            ctx.send(Request::UpdateStatus(Object::from(updated)));
        }
    }
}

/// The ranking key: lower sorts first and is deleted first (ActivePodsWithRanks.Less, simplified to one ReplicaSet).
fn deletion_rank(
    obj: &Object,
    now: SimTime,
) -> (
    u8,
    u8,
    u8,
    std::cmp::Reverse<SimTime>,
    std::cmp::Reverse<SimTime>,
    String,
) {
    let pod = obj.as_pod();
    let assigned = pod
        .and_then(|p| p.spec.as_ref())
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty());
    let phase = pod
        .and_then(|p| p.status.as_ref())
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending");
    let phase_rank = match phase {
        "Pending" => 0,
        "Unknown" => 1,
        _ => 2,
    };
    let ready = pod.and_then(ready_since);
    let created = obj
        .meta()
        .creation_timestamp
        .as_ref()
        .map(|t| sim_time_of(&t.0))
        .unwrap_or(now);
    (
        u8::from(assigned),
        phase_rank,
        u8::from(ready.is_some()),
        std::cmp::Reverse(ready.unwrap_or(now)),
        std::cmp::Reverse(created),
        obj.uid().to_owned(),
    )
}

/// A pod from a ReplicaSet's template (controller.GetPodFromTemplate).
pub fn pod_from_template(owner: &Object, rs: &ReplicaSet) -> Pod {
    let template = rs
        .spec
        .as_ref()
        .and_then(|s| s.template.clone())
        .unwrap_or_default();
    let tmeta = template.metadata.unwrap_or_default();
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-", owner.name())),
            namespace: Some(owner.namespace().to_owned()),
            labels: tmeta.labels,
            annotations: tmeta.annotations,
            finalizers: tmeta.finalizers,
            owner_references: Some(vec![owner_reference(owner, true)]),
            ..Default::default()
        },
        spec: template.spec,
        status: None,
    }
}
