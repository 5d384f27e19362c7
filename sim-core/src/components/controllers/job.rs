//! The Job controller (pkg/controller/job/job_controller.go, backoff_utils.go,
//! tracking_utils.go), as in Kubernetes v1.33, for NonIndexed Jobs.
//!
//! Pods are created from the template with `generateName: <job>-`, a
//! controller owner reference and the `batch.kubernetes.io/job-tracking`
//! finalizer, in slow-start batches of 1, 2, 4, ... (at most 500 per sync),
//! under expectations so that a sync never acts twice on a stale view. A
//! terminated pod is first recorded in `status.uncountedTerminatedPods`, then
//! its finalizer is removed, then it moves into `succeeded` or `failed`
//! (`trackJobStatusAndRemoveFinalizers`); the steps of one sync follow each
//! other as the real worker's calls do, each waiting for the API server's
//! answers (`sync.rs`). Failed pods are replaced after the pod failure
//! back-off (10 s doubling to 10 minutes); past `backoffLimit` or
//! `activeDeadlineSeconds` the Job gets `FailureTarget`, its active pods are
//! deleted and, once none is terminating, `Failed`; when `completions` pods
//! succeeded it gets `SuccessCriteriaMet` and `Complete`. `suspend` deletes
//! the active pods and sets the `Suspended` condition.
//!
//! Pod events sync their Job one second later (`syncJobBatchPeriod`), Job
//! creations, deletions and spec changes at once; a failed sync is retried
//! after 1 s doubling to a minute. Each Job's pods are indexed by its uid
//! from the pod watch, so a sync costs the Job's own pods. Pods whose Job is
//! gone or finished lose their finalizer (`syncOrphanPod`).

mod sync;
pub(crate) mod util;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use self::sync::{Call, Run};
use self::util::{has_tracking_finalizer, is_finished, JOB_TRACKING_FINALIZER};
use super::{controller_utils, ControllerTag, Informers, PodCreations, Serials, WorkQueue};
use crate::api::meta::{controller_of, sim_time_of};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{ApiResult, PatchType, Request};
use crate::components::event_recorder::EventRecorder;
use crate::components::{Ctx, Tag, WatchEvent};
use crate::etcd::ChangeType;
use crate::event_queue::EventId;
use crate::time::{SimDuration, SimTime};

/// The controller.
pub(crate) struct JobController {
    recorder: EventRecorder,
    /// Jobs to sync at the next sync.
    queue: WorkQueue,
    /// Jobs to sync later (`AddAfter`).
    delayed: Delayed,
    /// The pods of each Job, by the Job's uid, as last delivered.
    pods: BTreeMap<String, BTreeMap<ObjectKey, Arc<Object>>>,
    /// `ControllerExpectations`: creations and deletions still to be seen, per Job.
    expectations: BTreeMap<ObjectKey, (i64, i64)>,
    /// `uidTrackingExpectations`: pods whose finalizer removal is not seen yet.
    finalizers_expected: BTreeMap<ObjectKey, BTreeSet<String>>,
    /// `backoffStore`: the pod failure back-off of each Job.
    backoff: BTreeMap<ObjectKey, util::BackoffRecord>,
    /// Consecutive failed syncs of each Job (the work queue's rate limiter).
    failures: BTreeMap<ObjectKey, u32>,
    /// Syncs waiting for the API server's answers.
    running: BTreeMap<ObjectKey, Run>,
    /// Jobs queued again while their sync was running.
    rerun: BTreeSet<ObjectKey>,
    /// Pods whose finalizer may have to be removed (`orphanQueue`).
    orphans: BTreeSet<ObjectKey>,
    creations: PodCreations,
    /// Other requests awaiting an answer: for which Job and what.
    calls: BTreeMap<Tag, (ObjectKey, Call)>,
    serials: Serials,
}

/// `AddAfter` of client-go's delaying queue: a key waits until its time,
/// the earliest requested time winning.
struct Delayed {
    waiting: BTreeMap<ObjectKey, (SimTime, Tag, EventId)>,
    tags: BTreeMap<Tag, ObjectKey>,
    serials: Serials,
}

impl Delayed {
    fn add_after(&mut self, ctx: &mut Ctx<'_>, delay: SimDuration, key: ObjectKey) {
        let at = ctx.now() + delay;
        if let Some((t, tag, id)) = self.waiting.get(&key) {
            if *t <= at {
                return;
            }
            ctx.cancel_timer(*id);
            self.tags.remove(tag);
        }
        let tag = self.serials.take();
        let id = ctx.set_timer(delay, tag);
        self.waiting.insert(key.clone(), (at, tag, id));
        self.tags.insert(tag, key);
    }

    fn fire(&mut self, tag: Tag, queue: &mut WorkQueue) -> bool {
        let Some(key) = self.tags.remove(&tag) else {
            return false;
        };
        self.waiting.remove(&key);
        queue.add(key);
        true
    }
}

/// The Job a controller reference names, if the informer has that very Job
/// (`resolveControllerRef`).
fn resolve<'a>(
    informers: &'a Informers,
    namespace: &str,
    owner: &OwnerReference,
) -> Option<&'a Arc<Object>> {
    if owner.kind != "Job" {
        return None;
    }
    let key = ObjectKey::new(Kind::Job, namespace, owner.name.clone());
    informers
        .of(Kind::Job)
        .get(&key)
        .filter(|j| j.uid() == owner.uid)
}

fn as_job(obj: &Object) -> Option<&Job> {
    match obj {
        Object::Job(j) => Some(j),
        _ => None,
    }
}

/// The strategic merge patch that removes the tracking finalizer
/// (`removeTrackingFinalizerPatch`).
fn remove_finalizer_request(pod: ObjectKey) -> Request {
    Request::PatchAs {
        key: pod,
        patch: serde_json::json!({
            "metadata": { "$deleteFromPrimitiveList/finalizers": [JOB_TRACKING_FINALIZER] }
        }),
        patch_type: PatchType::Strategic,
    }
}

/// A pod from the Job's template (`GetPodFromTemplate` with
/// `appendJobCompletionFinalizerIfNotFound`).
fn pod_from_template(owner: &Object, job: &Job) -> Pod {
    let template = job.spec.as_ref().map(|s| &s.template);
    let mut pod = controller_utils::pod_from_template(owner, template);
    let finalizers = pod.metadata.finalizers.get_or_insert_with(Vec::new);
    if !finalizers.iter().any(|f| f == JOB_TRACKING_FINALIZER) {
        finalizers.push(JOB_TRACKING_FINALIZER.to_owned());
    }
    pod
}

impl JobController {
    /// A controller recording events with `recorder`.
    pub(crate) fn new(recorder: EventRecorder) -> Self {
        Self {
            recorder,
            queue: WorkQueue::default(),
            delayed: Delayed {
                waiting: BTreeMap::new(),
                tags: BTreeMap::new(),
                serials: Serials::new(ControllerTag::JobRequeue),
            },
            pods: BTreeMap::new(),
            expectations: BTreeMap::new(),
            finalizers_expected: BTreeMap::new(),
            backoff: BTreeMap::new(),
            failures: BTreeMap::new(),
            running: BTreeMap::new(),
            rerun: BTreeSet::new(),
            orphans: BTreeSet::new(),
            creations: PodCreations::new(ControllerTag::JobCreate),
            calls: BTreeMap::new(),
            serials: Serials::new(ControllerTag::JobWrite),
        }
    }

    /// A requeue timer fired; true when a Job is due (the manager should sync).
    pub(crate) fn on_timer(&mut self, tag: Tag) -> bool {
        self.delayed.fire(tag, &mut self.queue)
    }

    /// `enqueueSyncJobBatched`.
    fn enqueue_batched(&mut self, ctx: &mut Ctx<'_>, key: ObjectKey) {
        self.delayed
            .add_after(ctx, util::SYNC_JOB_BATCH_PERIOD, key);
    }

    /// `CreationObserved` / `DeletionObserved`: only a recorded expectation is lowered.
    fn observed(&mut self, key: &ObjectKey, adds: i64, dels: i64) {
        if let Some(e) = self.expectations.get_mut(key) {
            e.0 -= adds;
            e.1 -= dels;
        }
    }

    /// `finalizerRemovalObserved`.
    fn finalizer_removal_observed(&mut self, key: &ObjectKey, uid: &str) {
        if let Some(set) = self.finalizers_expected.get_mut(key) {
            set.remove(uid);
        }
    }

    /// Updates the pod index, the expectations and the queues from a change
    /// (`prev`: the cached object before it), as the Job and pod event
    /// handlers of `NewController` do.
    pub(crate) fn observe(
        &mut self,
        ctx: &mut Ctx<'_>,
        event: &WatchEvent,
        prev: Option<&Object>,
        informers: &Informers,
    ) {
        match event.object.kind() {
            Kind::Job => self.observe_job(ctx, event, prev),
            Kind::Pod => self.observe_pod(ctx, event, prev, informers),
            _ => {}
        }
    }

    /// `addJob`, `updateJob`, `deleteJob`.
    fn observe_job(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent, prev: Option<&Object>) {
        let obj = &event.object;
        let key = ObjectKey::of(obj);
        let Some(job) = as_job(obj) else { return };
        match event.change {
            ChangeType::Added => self.queue.add(key),
            ChangeType::Deleted => {
                self.queue.add(key);
                self.cleanup_pod_finalizers(obj);
            }
            ChangeType::Modified => {
                let old = prev.and_then(as_job);
                if prev.and_then(|p| p.meta().generation) == obj.meta().generation {
                    self.enqueue_batched(ctx, key.clone());
                } else {
                    self.queue.add(key.clone());
                }
                if is_finished(job) {
                    self.cleanup_pod_finalizers(obj);
                }
                let deadline = |j: Option<&Job>| j?.spec.as_ref()?.active_deadline_seconds;
                let start = job.status.as_ref().and_then(|s| s.start_time.as_ref());
                if let (Some(start), Some(ads)) = (start, deadline(Some(job))) {
                    if deadline(old) != Some(ads) {
                        let total = SimDuration::from_secs(u64::try_from(ads).unwrap_or(0));
                        let passed = ctx.now().saturating_since(sim_time_of(&start.0));
                        let delay = total.checked_sub(passed).unwrap_or(SimDuration::ZERO);
                        self.delayed.add_after(ctx, delay, key);
                    }
                }
            }
        }
    }

    /// `cleanupPodFinalizers`: the Job's pods that still have the finalizer
    /// go to the orphan queue.
    fn cleanup_pod_finalizers(&mut self, job: &Object) {
        for (key, pod) in self.pods.get(job.uid()).into_iter().flatten() {
            if has_tracking_finalizer(pod.meta()) {
                self.orphans.insert(key.clone());
            }
        }
    }

    /// Keeps the pod under the uid of the Job that controls it.
    fn index_pod(&mut self, event: &WatchEvent, prev: Option<&Object>) {
        let key = ObjectKey::of(&event.object);
        let job_uid = |o: &Object| {
            controller_of(o.meta())
                .filter(|r| r.kind == "Job")
                .map(|r| r.uid.clone())
        };
        let new = job_uid(&event.object).filter(|_| event.change != ChangeType::Deleted);
        let olds = [prev.and_then(job_uid), job_uid(&event.object)];
        for old in olds
            .into_iter()
            .flatten()
            .filter(|o| Some(o) != new.as_ref())
        {
            if let Some(set) = self.pods.get_mut(&old) {
                set.remove(&key);
                if set.is_empty() {
                    self.pods.remove(&old);
                }
            }
        }
        if let Some(uid) = new {
            self.pods
                .entry(uid)
                .or_default()
                .insert(key, event.object.clone());
        }
    }

    /// `addPod`, `updatePod`, `deletePod`.
    fn observe_pod(
        &mut self,
        ctx: &mut Ctx<'_>,
        event: &WatchEvent,
        prev: Option<&Object>,
        informers: &Informers,
    ) {
        self.index_pod(event, prev);
        let pod = &event.object;
        let deleting = pod.meta().deletion_timestamp.is_some();
        match event.change {
            ChangeType::Deleted => self.pod_deleted(ctx, pod, true, informers),
            _ if deleting => self.pod_deleted(ctx, pod, false, informers),
            change => {
                let has_finalizer = has_tracking_finalizer(pod.meta());
                let old_ref = prev.and_then(|p| controller_of(p.meta()).cloned());
                let cur_ref = controller_of(pod.meta()).cloned();
                if change == ChangeType::Modified && old_ref.is_some() && old_ref != cur_ref {
                    // The controller reference changed: the old Job syncs too.
                    if let Some(job) =
                        old_ref.and_then(|r| resolve(informers, pod.namespace(), &r).cloned())
                    {
                        let job_key = ObjectKey::of(&job);
                        if !has_finalizer {
                            self.finalizer_removal_observed(&job_key, pod.uid());
                        }
                        self.enqueue_batched(ctx, job_key);
                    }
                }
                let Some(owner) = cur_ref else {
                    // An orphan: its finalizer goes (no adoption is modelled).
                    if has_finalizer {
                        self.orphans.insert(ObjectKey::of(pod));
                    }
                    return;
                };
                let Some(job) = resolve(informers, pod.namespace(), &owner) else {
                    return;
                };
                let job_key = ObjectKey::of(job);
                if change == ChangeType::Added {
                    self.observed(&job_key, 1, 0);
                } else if !has_finalizer {
                    self.finalizer_removal_observed(&job_key, pod.uid());
                }
                self.enqueue_batched(ctx, job_key);
            }
        }
    }

    /// `deletePod`: a pod being deleted (`last`: gone from the store).
    fn pod_deleted(&mut self, ctx: &mut Ctx<'_>, pod: &Object, last: bool, informers: &Informers) {
        let has_finalizer = has_tracking_finalizer(pod.meta());
        let job = controller_of(pod.meta()).and_then(|r| resolve(informers, pod.namespace(), r));
        let Some(job) = job.filter(|j| as_job(j).is_some_and(|j| !is_finished(j))) else {
            if has_finalizer {
                self.orphans.insert(ObjectKey::of(pod));
            }
            return;
        };
        let job_key = ObjectKey::of(job);
        self.observed(&job_key, 0, 1);
        if last || !has_finalizer {
            self.finalizer_removal_observed(&job_key, pod.uid());
        }
        self.enqueue_batched(ctx, job_key);
    }

    /// Removes the finalizer of orphan pods, then syncs the dirty Jobs.
    pub(crate) fn sync(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        for key in std::mem::take(&mut self.orphans) {
            self.sync_orphan(ctx, informers, &key);
        }
        for key in self.queue.drain() {
            if self.running.contains_key(&key) {
                self.rerun.insert(key);
            } else {
                self.start(ctx, informers, key);
            }
        }
    }

    /// `syncOrphanPod`: the finalizer goes unless a running Job owns the pod.
    fn sync_orphan(&mut self, ctx: &mut Ctx<'_>, informers: &Informers, key: &ObjectKey) {
        let Some(pod) = informers.of(Kind::Pod).get(key) else {
            return;
        };
        if let Some(owner) = controller_of(pod.meta()) {
            if owner.kind != "Job" || owner.api_version != "batch/v1" {
                return;
            }
            if resolve(informers, pod.namespace(), owner)
                .and_then(|j| as_job(j))
                .is_some_and(|j| !is_finished(j))
            {
                return;
            }
        }
        if has_tracking_finalizer(pod.meta()) {
            ctx.send(remove_finalizer_request(key.clone()));
        }
    }

    /// The response to a request of this controller; false when the tag is
    /// not its. True asks the manager for a sync.
    pub(crate) fn on_response(&mut self, ctx: &mut Ctx<'_>, tag: Tag, result: &ApiResult) -> bool {
        if let Some((owner, failed)) =
            self.creations
                .on_response(ctx, &mut self.recorder, tag, result)
        {
            self.created(ctx, ObjectKey::of(&owner), failed);
            return true;
        }
        let Some((key, call)) = self.calls.remove(&tag) else {
            return false;
        };
        self.answered(ctx, key, call, result);
        true
    }

    /// Sends a request whose answer the sync of `key` waits for.
    fn call(&mut self, ctx: &mut Ctx<'_>, key: &ObjectKey, call: Call, request: Request) {
        let tag = self.serials.take();
        self.calls.insert(tag, (key.clone(), call));
        ctx.send_tagged(request, tag);
    }
}
