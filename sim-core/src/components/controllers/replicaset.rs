//! The ReplicaSet controller (pkg/controller/replicaset/replica_set.go):
//! keeps `spec.replicas` active pods, using expectations so that it never acts
//! twice on the same stale view, and reports replicas, ready and available
//! counts in the status.
//!
//! Pods are created from the template with `generateName: <rs>-` and a
//! controller owner reference, in slow-start batches of 1, 2, 4, ... pods,
//! each batch sent once every response of the previous one has arrived
//! (`slowStartBatch`), stopping after a batch with an error. When scaling
//! down, pods are ranked as `getPodsToDelete` and `ActivePodsWithRanks.Less`
//! (pkg/controller/controller_utils.go) rank them: unassigned before
//! assigned, Pending < Unknown < Running, not ready before ready, lower
//! pod-deletion-cost first, more co-located pods of the same owner first,
//! then the most recently ready, more restarts, and the newest first, the
//! times compared in logarithmic buckets with the UID as the tie-breaker.

use super::ControllerTag;
use crate::components::Tag;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetStatus};
use k8s_openapi::api::core::v1::Pod;

use super::controller_utils::{self, deletion_less, is_active, node_of};
use super::{Informers, PodCreations, Requeue, WorkQueue};
use crate::api::conditions::pod_ready_since;
use crate::api::meta::controller_of;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::ApiResult;
use crate::apiserver::{DeleteOptions, Request};
use crate::components::event_recorder::EventRecorder;
use crate::components::{Ctx, WatchEvent};
use crate::etcd::ChangeType;
use crate::time::{SimDuration, SimTime};

/// Most pods created or deleted in one sync (`BurstReplicas`).
pub(crate) const BURST_REPLICAS: i64 = 500;

/// The controller.
pub(crate) struct ReplicaSetController {
    recorder: EventRecorder,
    queue: WorkQueue,
    /// The pods each ReplicaSet owns (by its uid), as last delivered: the
    /// sync reads them here instead of looking each one up in the informer.
    /// The maps by uid are hash maps: looked up, never iterated.
    pods_by_owner: FxHashMap<String, BTreeMap<ObjectKey, Arc<Object>>>,
    /// Their counts, by owner uid, where kept ([`Counted`]).
    counted: FxHashMap<String, Counted>,
    expectations: FxHashMap<String, (i64, i64)>,
    requeue: Requeue,
    creations: PodCreations,
    slow_start: FxHashMap<String, SlowStart>,
}

/// A `slowStartBatch` in progress for one ReplicaSet.
struct SlowStart {
    owner: Arc<Object>,
    rs: ReplicaSet,
    /// Pods not sent yet.
    remaining: i64,
    /// Pods of the current batch still waiting for their response.
    in_flight: i64,
    /// The size of the current batch.
    batch: i64,
    /// A creation of the current batch failed.
    failed: bool,
}

/// What a sync counts of a ReplicaSet's active pods (the status fields).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ActiveCounts {
    active: usize,
    /// With every label of the pod template.
    fully_labeled: usize,
    ready: usize,
    /// Ready for more than minReadySeconds.
    available: usize,
}

impl ActiveCounts {
    /// What one owned pod counts for (nothing unless it is active).
    fn of_pod(
        pod: &Object,
        template_labels: Option<&BTreeMap<String, String>>,
        min_ready: SimDuration,
        now: SimTime,
    ) -> Self {
        let mut counts = Self::default();
        let Some(p) = pod.as_pod().filter(|p| is_active(p)) else {
            return counts;
        };
        counts.active = 1;
        let labels = pod.labels();
        if template_labels
            .into_iter()
            .flatten()
            .all(|(k, v)| labels.get(k) == Some(v))
        {
            counts.fully_labeled = 1;
        }
        if let Some(since) = pod_ready_since(p) {
            counts.ready = 1;
            // podutil.IsPodAvailable: the Ready transition plus
            // minReadySeconds strictly before now.
            if min_ready == SimDuration::ZERO || since + min_ready < now {
                counts.available = 1;
            }
        }
        counts
    }

    /// The counts of all `owned` pods.
    fn of<'a>(
        owned: impl Iterator<Item = &'a Arc<Object>>,
        template_labels: Option<&BTreeMap<String, String>>,
        min_ready: SimDuration,
        now: SimTime,
    ) -> Self {
        let mut counts = Self::default();
        for pod in owned {
            counts.add(Self::of_pod(pod, template_labels, min_ready, now));
        }
        counts
    }

    fn add(&mut self, other: Self) {
        self.active += other.active;
        self.fully_labeled += other.fully_labeled;
        self.ready += other.ready;
        self.available += other.available;
    }

    fn sub(&mut self, other: Self) {
        self.active -= other.active;
        self.fully_labeled -= other.fully_labeled;
        self.ready -= other.ready;
        self.available -= other.available;
    }
}

/// A ReplicaSet's counts kept up to date as its pods change, for a
/// ReplicaSet without minReadySeconds (whose availability does not depend
/// on the time): a sync then reads them instead of a pass over its pods.
struct Counted {
    /// The ReplicaSet's `metadata.generation` they were made for (its
    /// template's labels cannot have changed since).
    generation: Option<i64>,
    template_labels: Option<BTreeMap<String, String>>,
    counts: ActiveCounts,
}

impl Counted {
    /// An owned pod changed from `old` to `new` (either absent).
    fn update(&mut self, old: Option<&Object>, new: Option<&Object>) {
        let labels = self.template_labels.as_ref();
        let of = |pod| ActiveCounts::of_pod(pod, labels, SimDuration::ZERO, SimTime::ZERO);
        if let Some(old) = old {
            self.counts.sub(of(old));
        }
        if let Some(new) = new {
            self.counts.add(of(new));
        }
    }
}

impl ReplicaSetController {
    /// A controller recording events with `recorder`.
    pub(crate) fn new(recorder: EventRecorder) -> Self {
        Self {
            recorder,
            queue: WorkQueue::default(),
            pods_by_owner: FxHashMap::default(),
            counted: FxHashMap::default(),
            expectations: FxHashMap::default(),
            requeue: Requeue::new(ControllerTag::ReplicaSetRequeue),
            creations: PodCreations::new(ControllerTag::ReplicaSetCreate),
            slow_start: FxHashMap::default(),
        }
    }

    /// A timer of this controller fired; true when it asks for a sync.
    pub(crate) fn on_timer(&mut self, tag: Tag) -> bool {
        self.requeue.fire(tag, &mut self.queue)
    }

    /// The response to a pod creation: on failure the expectation is lowered
    /// and the ReplicaSet synced again. Returns false when the tag is not this controller's.
    pub(crate) fn on_response(&mut self, ctx: &mut Ctx<'_>, tag: Tag, result: &ApiResult) -> bool {
        let Some((rs, failed)) = self
            .creations
            .on_response(ctx, &mut self.recorder, tag, result)
        else {
            return false;
        };
        let uid = rs.uid().to_owned();
        if failed {
            if let Some(exp) = self.expectations.get_mut(&uid) {
                exp.0 -= 1;
            }
        }
        let Some(state) = self.slow_start.get_mut(&uid) else {
            if failed {
                self.queue.add(ObjectKey::of(&rs));
            }
            return true;
        };
        state.in_flight -= 1;
        state.failed |= failed;
        if state.in_flight > 0 {
            return true;
        }
        if state.failed || state.remaining == 0 {
            // Pods never attempted are not expected any more.
            let skipped = state.remaining;
            let stopped = state.failed;
            self.slow_start.remove(&uid);
            if let Some(exp) = self.expectations.get_mut(&uid) {
                exp.0 -= skipped;
            }
            if stopped {
                self.queue.add(ObjectKey::of(&rs));
            }
            return true;
        }
        let batch = (state.batch * 2).min(state.remaining);
        state.batch = batch;
        state.remaining -= batch;
        state.in_flight = batch;
        let (owner, template) = (state.owner.clone(), state.rs.clone());
        for _ in 0..batch {
            let pod = pod_from_template(&owner, &template);
            self.creations.send(ctx, owner.clone(), pod);
        }
        true
    }

    /// Updates the pod index and expectations from a change (`prev`: the cached object before it).
    pub(crate) fn observe(&mut self, event: &WatchEvent, prev: Option<&Object>) {
        let obj = &event.object;
        match obj.kind() {
            Kind::ReplicaSet => {
                if event.change == ChangeType::Deleted {
                    self.expectations.remove(obj.uid());
                    self.counted.remove(obj.uid());
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
                        let old = self
                            .pods_by_owner
                            .entry(owner.uid.clone())
                            .or_default()
                            .insert(key, event.object.clone());
                        if let Some(c) = self.counted.get_mut(&owner.uid) {
                            c.update(old.as_deref(), Some(obj));
                        }
                    }
                    ChangeType::Modified => {
                        // A deletion is observed when the pod starts terminating.
                        if obj.meta().deletion_timestamp.is_some() && !was_deleting {
                            exp.1 -= 1;
                        }
                        let old = self
                            .pods_by_owner
                            .entry(owner.uid.clone())
                            .or_default()
                            .insert(key, event.object.clone());
                        if let Some(c) = self.counted.get_mut(&owner.uid) {
                            c.update(old.as_deref(), Some(obj));
                        }
                    }
                    ChangeType::Deleted => {
                        if let Some(set) = self.pods_by_owner.get_mut(&owner.uid) {
                            let old = set.remove(&key);
                            if let Some(c) = self.counted.get_mut(&owner.uid) {
                                c.update(old.as_deref(), None);
                            }
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
    pub(crate) fn sync(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
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
        let spec = rs.spec.as_ref();
        let replicas = i64::from(spec.and_then(|s| s.replicas).unwrap_or(1));
        let min_ready = SimDuration::from_secs(
            u64::try_from(spec.and_then(|s| s.min_ready_seconds).unwrap_or(0)).unwrap_or(0),
        );
        let template_labels = spec
            .and_then(|s| s.template.as_ref())
            .and_then(|t| t.metadata.as_ref())
            .and_then(|m| m.labels.as_ref());
        let counts = self.counts(obj, template_labels, min_ready, now);
        let owned = || {
            self.pods_by_owner
                .get(&uid)
                .into_iter()
                .flat_map(|m| m.values())
                .filter(|p| p.as_pod().is_some_and(is_active))
        };
        let (adds, dels) = self.expectations.get(&uid).copied().unwrap_or((0, 0));
        let satisfied = adds <= 0 && dels <= 0;
        if satisfied && obj.meta().deletion_timestamp.is_none() {
            let diff = counts.active as i64 - replicas;
            if diff < 0 {
                let n = (-diff).min(BURST_REPLICAS);
                self.expectations.insert(uid.clone(), (n, 0));
                // slowStartBatch with SlowStartInitialBatchSize = 1.
                let batch = n.min(1);
                self.slow_start.insert(
                    uid.clone(),
                    SlowStart {
                        owner: obj.clone(),
                        rs: rs.clone(),
                        remaining: n - batch,
                        in_flight: batch,
                        batch,
                        failed: false,
                    },
                );
                for _ in 0..batch {
                    let pod = pod_from_template(obj, rs);
                    self.creations.send(ctx, obj.clone(), pod);
                }
            } else if diff > 0 {
                let n = diff.min(BURST_REPLICAS) as usize;
                let active: Vec<Arc<Object>> = owned().cloned().collect();
                let active: Vec<&Arc<Object>> = active.iter().collect();
                let victims = self.pods_to_delete(informers, obj, &active, n, now);
                self.expectations.insert(uid.clone(), (0, n as i64));
                for victim in victims {
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
        let ActiveCounts {
            active,
            fully_labeled,
            ready,
            available,
        } = counts;
        if min_ready > SimDuration::ZERO && ready > available {
            self.requeue.after(ctx, min_ready, ObjectKey::of(obj));
        }
        let to_i32 = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        let status = ReplicaSetStatus {
            replicas: to_i32(active),
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
            // updateReplicaSetStatus retries a conflict on a fresh GET of the
            // name: in effect unconditional, even on a ReplicaSet recreated
            // under that name (neither resourceVersion nor uid is checked).
            updated.metadata.resource_version = None;
            updated.metadata.uid = None;
            ctx.send(Request::UpdateStatus(Object::from(updated)));
        }
    }
}

impl ReplicaSetController {
    /// The counts of the ReplicaSet's pods: kept ones when it has no
    /// minReadySeconds (made by one pass over its pods the first time, and
    /// again after a change to its spec), else a pass over its pods. Debug
    /// builds check kept counts against a pass.
    fn counts(
        &mut self,
        rs: &Object,
        template_labels: Option<&BTreeMap<String, String>>,
        min_ready: SimDuration,
        now: SimTime,
    ) -> ActiveCounts {
        let uid = rs.uid();
        let owned = self
            .pods_by_owner
            .get(uid)
            .into_iter()
            .flat_map(|m| m.values());
        if min_ready != SimDuration::ZERO {
            self.counted.remove(uid);
            return ActiveCounts::of(owned, template_labels, min_ready, now);
        }
        let generation = rs.meta().generation;
        match self.counted.get(uid) {
            Some(c) if c.generation == generation => {
                debug_assert_eq!(
                    c.counts,
                    ActiveCounts::of(owned, template_labels, min_ready, now),
                    "kept counts of {uid}"
                );
                c.counts
            }
            _ => {
                let counts = ActiveCounts::of(owned, template_labels, min_ready, now);
                let counted = Counted {
                    generation,
                    template_labels: template_labels.cloned(),
                    counts,
                };
                self.counted.insert(uid.to_owned(), counted);
                counts
            }
        }
    }

    /// `getPodsToDelete`: all of them when every pod goes, else the first `n`
    /// after ranking by co-located related pods (`getIndirectlyRelatedPods`:
    /// the pods of every ReplicaSet with the same controlling owner).
    fn pods_to_delete<'a>(
        &self,
        informers: &Informers,
        rs: &Object,
        active: &[&'a Arc<Object>],
        n: usize,
        now: SimTime,
    ) -> Vec<&'a Arc<Object>> {
        if n >= active.len() {
            return active.to_vec();
        }
        let mut owners: BTreeSet<String> = BTreeSet::from([rs.uid().to_owned()]);
        if let Some(owner) = controller_of(rs.meta()) {
            for sibling in informers.of(Kind::ReplicaSet).iter() {
                if sibling.namespace() == rs.namespace()
                    && controller_of(sibling.meta()).is_some_and(|r| r.uid == owner.uid)
                {
                    owners.insert(sibling.uid().to_owned());
                }
            }
        }
        let mut on_node: BTreeMap<String, i64> = BTreeMap::new();
        for uid in &owners {
            for pod in self
                .pods_by_owner
                .get(uid)
                .into_iter()
                .flat_map(|m| m.values())
            {
                if let Some(pod) = pod.as_pod() {
                    if is_active(pod) {
                        *on_node.entry(node_of(pod).to_owned()).or_default() += 1;
                    }
                }
            }
        }
        let mut ranked: Vec<(&'a Arc<Object>, i64)> = active
            .iter()
            .map(|p| {
                let node = p.as_pod().map(node_of).unwrap_or_default();
                (*p, on_node.get(node).copied().unwrap_or(0))
            })
            .collect();
        // An insertion sort: Less is not a strict weak order once times are
        // bucketed, and the standard sorts may refuse such a comparator.
        for i in 1..ranked.len() {
            let mut j = i;
            while j > 0 {
                let (a, ra) = ranked[j];
                let (b, rb) = ranked[j - 1];
                let (Some(pa), Some(pb)) = (a.as_pod(), b.as_pod()) else {
                    break;
                };
                if !deletion_less(pa, ra, pb, rb, now) {
                    break;
                }
                ranked.swap(j, j - 1);
                j -= 1;
            }
        }
        ranked.into_iter().take(n).map(|(p, _)| p).collect()
    }
}

/// A pod from a ReplicaSet's template (controller.GetPodFromTemplate).
pub(crate) fn pod_from_template(owner: &Object, rs: &ReplicaSet) -> Pod {
    let template = rs.spec.as_ref().and_then(|s| s.template.as_ref());
    controller_utils::pod_from_template(owner, template)
}
