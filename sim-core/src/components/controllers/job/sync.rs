//! One `syncJob` of the Job controller (pkg/controller/job/job_controller.go:
//! `syncJob`, `manageJob`, `deleteActivePods`, `deleteJobPods`,
//! `trackJobStatusAndRemoveFinalizers`, `flushUncountedAndRemoveFinalizers`,
//! `enactJobFinished`, `recordJobFinished`).
//!
//! The real worker makes its API calls one step after another, waiting for
//! each step's answers: pod deletions or slow-start batches of creations,
//! then the status write that records newly terminated pods in
//! `uncountedTerminatedPods`, then the finalizer removals, then the status
//! write that moves them into the counters (with the terminal condition when
//! the Job is done). A [`Run`] is that sync in progress: each step sends its
//! requests and the last answer moves it to the next step. A Job whose sync
//! is running is synced again after it, never concurrently.

use std::collections::BTreeSet;
use std::sync::Arc;

use k8s_openapi::api::batch::v1::{Job, JobCondition, JobStatus};

use super::util::{
    self, clean_uncounted, ensure_condition, find_condition, has_tracking_finalizer, is_pod_failed,
    is_terminating, new_condition, phase, push_uncounted, uncounted_len, BackoffRecord, Uncounted,
    COMPLETE, FAILED, FAILURE_TARGET, SUCCESS_CRITERIA_MET, SUSPENDED,
};
use super::{as_job, pod_from_template, remove_finalizer_request, JobController};
use crate::api::conditions::is_pod_ready;
use crate::api::meta::sim_time_of;
use crate::api::{ApiError, Kind, Object, ObjectKey, Reason};
use crate::apiserver::{ApiResult, DeleteOptions, Request};
use crate::components::controllers::controller_utils::{is_active, removal_order};
use crate::components::controllers::Informers;
use crate::components::Ctx;
use crate::time::SimDuration;

/// A request a sync waits for.
#[derive(Debug)]
pub(crate) enum Call {
    /// A status write (`updateJobStatus`).
    Status,
    /// A pod deletion (`DeletePod`), recording `SuccessfulDelete` or `FailedDelete`.
    Delete { name: String },
    /// A finalizer removal of `trackJobStatusAndRemoveFinalizers`.
    Unfinalize { uid: String },
    /// The finalizer removal `deleteJobPods` makes before deleting the pod.
    UnfinalizeThenDelete { pod: ObjectKey, ready: bool },
}

/// What a running sync waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// `deleteActivePods` of a Job that failed.
    Terminating,
    /// `deleteJobPods` of `manageJob` (too many pods, or suspended).
    Scaling,
    /// A slow-start batch of creations.
    Creating,
    /// The status write with the newly terminated pods.
    Flushing,
    /// The finalizer removals.
    Unfinalizing,
    /// The status write after a failed finalizer removal; the sync then fails.
    FlushingPartial,
    /// The last status write; `finished` when it adds the terminal condition.
    Finishing { finished: bool },
}

/// A `syncJob` in progress.
pub(crate) struct Run {
    key: ObjectKey,
    /// The Job as the informer had it when the sync started.
    owner: Arc<Object>,
    /// The working copy; its status is rewritten as the sync goes.
    job: Job,
    /// The status as last stored (the API server compares against it).
    stored: JobStatus,
    pods: Vec<Arc<Object>>,
    active_pods: Vec<Arc<Object>>,
    active: i32,
    ready: i32,
    terminating: i32,
    succeeded: i32,
    satisfied: bool,
    finished: Option<JobCondition>,
    manage_called: bool,
    suspend_changed: bool,
    backoff: BackoffRecord,
    uncounted: Uncounted,
    expected_rm: BTreeSet<String>,
    step: Step,
    pending: usize,
    /// A request of the current step failed.
    step_failed: bool,
    /// The sync returns an error (retried with back-off).
    error: bool,
    deleted: i32,
    deleted_ready: i32,
    /// Creations not sent yet, and the current batch size.
    to_create: i32,
    batch: i32,
    remove: Vec<(ObjectKey, String)>,
    with_finalizer: BTreeSet<String>,
    needs_flush: bool,
    reached_max: bool,
}

impl Run {
    fn status(&mut self) -> &mut JobStatus {
        self.job.status.get_or_insert_with(JobStatus::default)
    }

    fn spec_completions(&self) -> Option<i32> {
        self.job.spec.as_ref().and_then(|s| s.completions)
    }

    fn suspended(&self) -> bool {
        self.job.spec.as_ref().and_then(|s| s.suspend) == Some(true)
    }
}

/// `int32` fields with `omitempty`: zero is left out.
fn nonzero(n: i32) -> Option<i32> {
    (n != 0).then_some(n)
}

/// `ensureJobConditionStatus` on a status whose conditions may be absent.
fn set_condition(
    status: &mut JobStatus,
    type_: &str,
    value: &str,
    reason: &str,
    message: &str,
    now: crate::time::SimTime,
) -> bool {
    let mut list = status.conditions.take().unwrap_or_default();
    let changed = ensure_condition(&mut list, type_, value, reason, message, now);
    status.conditions = (!list.is_empty()).then_some(list);
    changed
}

/// The status rule of the v1.33 API server (`RejectMoreReadyThanActivePods`,
/// on with JobManagedBy) the controller itself can break: kubesim's API
/// server does not validate Job status, so the controller applies the
/// refusal it would meet (kubernetes#139428: `manageJob` reports 0 active
/// pods while a replacement waits for its back-off).
fn refused(stored: &JobStatus, new: &JobStatus, name: &str) -> Option<ApiError> {
    let changed = stored.active != new.active || stored.ready != new.ready;
    let (ready, active) = (new.ready.unwrap_or(0), new.active.unwrap_or(0));
    (changed && ready > active).then(|| {
        let cause =
            format!("status.ready: Invalid value: {ready}: cannot set more ready pods than active");
        ApiError::invalid(Kind::Job, name, &[cause])
    })
}

impl JobController {
    /// `syncJob` up to its first API call.
    pub(super) fn start(&mut self, ctx: &mut Ctx<'_>, informers: &Informers, key: ObjectKey) {
        let Some(owner) = informers.of(Kind::Job).get(&key).cloned() else {
            // The Job is gone: forget it.
            self.expectations.remove(&key);
            self.finalizers_expected.remove(&key);
            self.backoff.remove(&key);
            self.failures.remove(&key);
            return;
        };
        let Some(job) = as_job(&owner) else { return };
        if util::is_finished(job) {
            self.backoff.remove(&key);
            return;
        }
        let mode = job.spec.as_ref().and_then(|s| s.completion_mode.as_deref());
        match mode {
            None | Some("NonIndexed") => {}
            // Indexed Jobs are not modelled: nothing acts on them.
            Some("Indexed") => return,
            Some(_) => {
                self.recorder.record(
                    ctx,
                    &owner,
                    "Warning",
                    "UnknownCompletionMode",
                    "Skipped Job sync because completion mode is unknown".into(),
                );
                return;
            }
        }
        let mut run = self.new_run(ctx, key, owner);
        if run.finished.is_some() {
            self.terminate(ctx, run);
        } else if run.satisfied && run.job.metadata.deletion_timestamp.is_none() {
            run.manage_called = true;
            self.manage(ctx, run);
        } else {
            self.after_manage(ctx, run);
        }
    }

    /// The sync context (`syncJobCtx`): the pods, what they count, the
    /// back-off and whether the Job has failed.
    fn new_run(&mut self, ctx: &mut Ctx<'_>, key: ObjectKey, owner: Arc<Object>) -> Run {
        let now = ctx.now();
        let mut job = as_job(&owner).cloned().unwrap_or_default();
        let status = job.status.get_or_insert_with(JobStatus::default);
        status
            .uncounted_terminated_pods
            .get_or_insert_with(Default::default);
        let stored = status.clone();
        let satisfied = self
            .expectations
            .get(&key)
            .is_none_or(|&(a, d)| a <= 0 && d <= 0);
        let pods: Vec<Arc<Object>> = self
            .pods
            .get(owner.uid())
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        let active_pods: Vec<Arc<Object>> = pods
            .iter()
            .filter(|p| p.as_pod().is_some_and(is_active))
            .cloned()
            .collect();
        let ready = active_pods
            .iter()
            .filter(|p| p.as_pod().is_some_and(is_pod_ready))
            .count() as i32;
        let terminating = pods
            .iter()
            .filter(|p| p.as_pod().is_some_and(is_terminating))
            .count() as i32;
        let uncounted = Uncounted::of(status);
        let expected_rm = self
            .finalizers_expected
            .get(&key)
            .cloned()
            .unwrap_or_default();
        // getNewFinishedPods: finished pods still carrying the finalizer.
        let fresh = |p: &&Arc<Object>, set: &BTreeSet<String>| {
            has_tracking_finalizer(p.meta())
                && !set.contains(p.uid())
                && !expected_rm.contains(p.uid())
        };
        let new_succeeded: Vec<_> = pods
            .iter()
            .filter(|p| fresh(p, &uncounted.succeeded))
            .filter_map(|p| p.as_pod())
            .filter(|p| phase(p) == "Succeeded")
            .collect();
        let new_failed: Vec<_> = pods
            .iter()
            .filter(|p| fresh(p, &uncounted.failed))
            .filter_map(|p| p.as_pod())
            .filter(|p| is_pod_failed(p))
            .collect();
        let count = |n: usize, set: &BTreeSet<String>| (n + set.len()) as i32;
        let succeeded =
            status.succeeded.unwrap_or(0) + count(new_succeeded.len(), &uncounted.succeeded);
        let failed = status.failed.unwrap_or(0) + count(new_failed.len(), &uncounted.failed);
        let suspended = job.spec.as_ref().and_then(|s| s.suspend) == Some(true);
        let status = job.status.get_or_insert_with(JobStatus::default);
        if status.start_time.is_none() && !suspended {
            status.start_time = Some(crate::api::meta::time(now));
        }
        let backoff = self
            .backoff
            .get(&key)
            .copied()
            .unwrap_or_default()
            .next(&new_succeeded, &new_failed);
        let finished = self.failure(ctx, &key, &job, &pods, failed);
        Run {
            key,
            owner,
            job,
            stored,
            active: active_pods.len() as i32,
            pods,
            active_pods,
            ready,
            terminating,
            succeeded,
            satisfied,
            finished,
            manage_called: false,
            suspend_changed: false,
            backoff,
            uncounted,
            expected_rm,
            step: Step::Flushing,
            pending: 0,
            step_failed: false,
            error: false,
            deleted: 0,
            deleted_ready: 0,
            to_create: 0,
            batch: 0,
            remove: Vec::new(),
            with_finalizer: BTreeSet::new(),
            needs_flush: false,
            reached_max: false,
        }
    }

    /// The condition a failed Job gets (or the one it already has), and the
    /// requeue at the active deadline.
    fn failure(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: &ObjectKey,
        job: &Job,
        pods: &[Arc<Object>],
        failed: i32,
    ) -> Option<JobCondition> {
        let now = ctx.now();
        if let Some(c) = find_condition(job, SUCCESS_CRITERIA_MET).filter(|c| c.status == "True") {
            return Some(c.clone());
        }
        if let Some(c) = find_condition(job, FAILURE_TARGET).filter(|c| c.status == "True") {
            let (reason, message) = (c.reason.as_deref(), c.message.as_deref());
            return Some(new_condition(
                FAILED,
                "True",
                reason.unwrap_or(""),
                message.unwrap_or(""),
                now,
            ));
        }
        let spec = job.spec.as_ref();
        let limit = spec.and_then(|s| s.backoff_limit).unwrap_or(6);
        let on_failure =
            util::past_backoff_limit_on_failure(job, pods.iter().filter_map(|p| p.as_pod()));
        if failed > limit || on_failure {
            return Some(new_condition(
                FAILURE_TARGET,
                "True",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                now,
            ));
        }
        let suspended = spec.and_then(|s| s.suspend) == Some(true);
        let start = job.status.as_ref().and_then(|s| s.start_time.as_ref());
        let ads = spec.and_then(|s| s.active_deadline_seconds);
        if let (Some(ads), Some(start), false) = (ads, start, suspended) {
            let allowed = SimDuration::from_secs(u64::try_from(ads).unwrap_or(0));
            let since = now.saturating_since(sim_time_of(&start.0));
            if since >= allowed {
                return Some(new_condition(
                    FAILURE_TARGET,
                    "True",
                    "DeadlineExceeded",
                    "Job was active longer than specified deadline",
                    now,
                ));
            }
            self.delayed.add_after(
                ctx,
                allowed.checked_sub(since).unwrap_or(SimDuration::ZERO),
                key.clone(),
            );
        }
        None
    }

    /// `deleteActivePods`: a failed Job's active pods are deleted, their
    /// finalizers kept.
    fn terminate(&mut self, ctx: &mut Ctx<'_>, mut run: Run) {
        run.step = Step::Terminating;
        run.deleted = run.active_pods.len() as i32;
        for pod in run.active_pods.clone() {
            if pod.as_pod().is_some_and(is_pod_ready) {
                run.deleted_ready += 1;
            }
            let name = pod.name().to_owned();
            self.delete_pod(ctx, &mut run, ObjectKey::of(&pod), name);
        }
        self.wait(ctx, run);
    }

    fn delete_pod(&mut self, ctx: &mut Ctx<'_>, run: &mut Run, pod: ObjectKey, name: String) {
        run.pending += 1;
        let request = Request::Delete {
            key: pod,
            options: DeleteOptions::default(),
        };
        self.call(ctx, &run.key.clone(), Call::Delete { name }, request);
    }

    /// Keeps a run that waits for answers, or moves it on when nothing is pending.
    fn wait(&mut self, ctx: &mut Ctx<'_>, run: Run) {
        if run.pending > 0 {
            self.running.insert(run.key.clone(), run);
        } else {
            self.advance(ctx, run);
        }
    }

    /// The current step is answered: the next one.
    fn advance(&mut self, ctx: &mut Ctx<'_>, mut run: Run) {
        match run.step {
            Step::Terminating => {
                let before = run.active;
                run.active -= run.deleted;
                run.terminating += run.deleted;
                run.ready -= run.deleted_ready;
                if run.deleted != before || !run.satisfied {
                    // Not finished yet: pods remain, or are not all seen.
                    run.finished = None;
                }
                run.error |= run.step_failed;
                self.track(ctx, run);
            }
            Step::Scaling => {
                run.active -= run.deleted;
                run.terminating += run.deleted;
                run.ready -= run.deleted_ready;
                run.error |= run.step_failed;
                self.after_manage(ctx, run);
            }
            Step::Creating => self.next_batch(ctx, run),
            Step::Flushing => self.unfinalize(ctx, run),
            Step::Unfinalizing => self.after_unfinalize(ctx, run),
            Step::FlushingPartial | Step::Finishing { .. } => self.end(ctx, run),
        }
    }

    /// `manageJob`: deletes pods beyond what is wanted, or creates the
    /// missing ones once the pod failure back-off has passed.
    fn manage(&mut self, ctx: &mut Ctx<'_>, mut run: Run) {
        let active = run.active;
        let want = util::want_active(&run.job, active, run.succeeded);
        let remove = if run.suspended() {
            active as usize
        } else {
            ((active - want).max(0) as usize).min(util::MAX_POD_CREATE_DELETE_PER_SYNC as usize)
        };
        if run.suspended() || remove > 0 {
            // activePodsForRemoval.
            let mut victims: Vec<Arc<Object>> = run.active_pods.clone();
            victims.sort_by(|a, b| match (a.as_pod(), b.as_pod()) {
                (Some(a), Some(b)) => removal_order(a, b),
                _ => std::cmp::Ordering::Equal,
            });
            victims.truncate(remove);
            self.expectations
                .insert(run.key.clone(), (0, remove as i64));
            run.step = Step::Scaling;
            run.deleted = remove as i32;
            for pod in victims {
                let ready = pod.as_pod().is_some_and(is_pod_ready);
                self.delete_job_pod(ctx, &mut run, &pod, ready);
            }
            return self.wait(ctx, run);
        }
        let diff = want - active;
        if diff <= 0 {
            return self.after_manage(ctx, run);
        }
        let remaining = run.backoff.remaining(ctx.now());
        if remaining > SimDuration::ZERO {
            let delay = remaining.max(util::SYNC_JOB_BATCH_PERIOD);
            self.delayed.add_after(ctx, delay, run.key.clone());
            // manageJob returns 0 active pods here (kubernetes#139428).
            run.active = 0;
            return self.after_manage(ctx, run);
        }
        let diff = diff.min(util::MAX_POD_CREATE_DELETE_PER_SYNC);
        self.expectations
            .insert(run.key.clone(), (i64::from(diff), 0));
        run.active += diff;
        run.step = Step::Creating;
        run.to_create = diff;
        run.batch = 0;
        self.next_batch(ctx, run);
    }

    /// `deleteJobPods` for one pod: the finalizer goes first, then the pod.
    fn delete_job_pod(&mut self, ctx: &mut Ctx<'_>, run: &mut Run, pod: &Arc<Object>, ready: bool) {
        let key = ObjectKey::of(pod);
        if has_tracking_finalizer(pod.meta()) {
            run.pending += 1;
            let call = Call::UnfinalizeThenDelete {
                pod: key.clone(),
                ready,
            };
            self.call(ctx, &run.key.clone(), call, remove_finalizer_request(key));
        } else {
            if ready {
                run.deleted_ready += 1;
            }
            self.delete_pod(ctx, run, key, pod.name().to_owned());
        }
    }

    /// The slow start of `manageJob`: batches of 1, 2, 4, ... pods, each sent
    /// once the previous one is answered, the rest skipped after a batch
    /// with an error.
    fn next_batch(&mut self, ctx: &mut Ctx<'_>, mut run: Run) {
        if run.batch > 0 && run.step_failed && run.to_create > 0 {
            let skipped = run.to_create;
            run.active -= skipped;
            let key = run.key.clone();
            self.observed(&key, i64::from(skipped), 0);
            run.to_create = 0;
        }
        if run.to_create == 0 {
            run.error |= run.step_failed;
            return self.after_manage(ctx, run);
        }
        run.error |= run.step_failed;
        run.step_failed = false;
        run.batch = if run.batch == 0 {
            1
        } else {
            (run.batch * 2).min(run.to_create)
        };
        run.to_create -= run.batch;
        let template = as_job(&run.owner).cloned().unwrap_or_default();
        for _ in 0..run.batch {
            let pod = pod_from_template(&run.owner, &template);
            self.creations.send(ctx, run.owner.clone(), pod);
        }
        run.pending = run.batch as usize;
        self.running.insert(run.key.clone(), run);
    }

    /// A creation was answered.
    pub(super) fn created(&mut self, ctx: &mut Ctx<'_>, key: ObjectKey, failed: bool) {
        let Some(mut run) = self.running.remove(&key) else {
            return;
        };
        if failed {
            self.observed(&key, 1, 0);
            run.active -= 1;
            run.step_failed = true;
        }
        run.pending -= 1;
        self.wait(ctx, run);
    }

    /// Another request of a sync was answered.
    pub(super) fn answered(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: ObjectKey,
        call: Call,
        result: &ApiResult,
    ) {
        let Some(mut run) = self.running.remove(&key) else {
            return;
        };
        run.pending -= 1;
        let not_found = matches!(result, Err(e) if e.reason == Reason::NotFound);
        match call {
            Call::Status => match result {
                Ok(resp) => {
                    if let Some(job) = resp.object().and_then(|o| as_job(o)) {
                        run.job = job.clone();
                        run.stored = job.status.clone().unwrap_or_default();
                    }
                    if run.step == Step::Flushing {
                        self.backoff.insert(key, run.backoff);
                        run.needs_flush = false;
                    }
                    if let Step::Finishing { finished: true } = run.step {
                        self.record_finished(ctx, &run);
                    }
                }
                Err(_) => {
                    run.error = true;
                    return self.end(ctx, run);
                }
            },
            Call::Delete { name } => match result {
                Ok(_) => self.recorder.record(
                    ctx,
                    &run.owner,
                    "Normal",
                    "SuccessfulDelete",
                    format!("Deleted pod: {name}"),
                ),
                Err(e) => {
                    if run.step == Step::Scaling {
                        self.observed(&key, 0, 1);
                    }
                    if !not_found {
                        self.recorder.record(
                            ctx,
                            &run.owner,
                            "Warning",
                            "FailedDelete",
                            format!("Error deleting: {}", e.message),
                        );
                        run.deleted -= 1;
                        run.step_failed = true;
                    }
                }
            },
            Call::UnfinalizeThenDelete { pod, ready } => {
                if result.is_ok() {
                    if ready {
                        run.deleted_ready += 1;
                    }
                    let name = pod.name.clone();
                    self.delete_pod(ctx, &mut run, pod, name);
                } else {
                    self.observed(&key, 0, 1);
                    if !not_found {
                        run.deleted -= 1;
                        run.step_failed = true;
                    }
                }
            }
            Call::Unfinalize { uid } => {
                if result.is_ok() || not_found {
                    run.with_finalizer.remove(&uid);
                }
                if result.is_err() {
                    self.finalizer_removal_observed(&key, &uid);
                    run.step_failed |= !not_found;
                }
            }
        }
        self.wait(ctx, run)
    }

    /// After `manageJob`: the success check and the `Suspended` condition.
    fn after_manage(&mut self, ctx: &mut Ctx<'_>, mut run: Run) {
        let now = ctx.now();
        let complete = match run.spec_completions() {
            None => run.succeeded > 0 && run.active == 0,
            Some(c) => run.succeeded >= c && run.active == 0,
        };
        if complete {
            run.finished = Some(new_condition(
                SUCCESS_CRITERIA_MET,
                "True",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                now,
            ));
        } else if run.manage_called {
            let suspended = run.suspended();
            let (status, reason, message, event) = if suspended {
                ("True", "JobSuspended", "Job suspended", "Suspended")
            } else {
                ("False", "JobResumed", "Job resumed", "Resumed")
            };
            if set_condition(run.status(), SUSPENDED, status, reason, message, now) {
                run.suspend_changed = true;
                self.recorder
                    .record(ctx, &run.owner, "Normal", event, message.into());
                if !suspended {
                    // A resumed Job starts its active deadline again.
                    run.status().start_time = Some(crate::api::meta::time(now));
                }
            }
        }
        self.track(ctx, run);
    }

    /// The end of `syncJob` and `trackJobStatusAndRemoveFinalizers`: the
    /// counts, the terminated pods to record and whose finalizer goes.
    fn track(&mut self, ctx: &mut Ctx<'_>, mut run: Run) {
        let now = ctx.now();
        let (active, ready, terminating) = (run.active, run.ready, run.terminating);
        let status = run.status();
        let mut needs = status.active.unwrap_or(0) != active
            || status.ready != Some(ready)
            || status.terminating != Some(terminating);
        status.active = nonzero(active);
        status.ready = Some(ready);
        status.terminating = Some(terminating);
        needs |= run.suspend_changed;
        run.with_finalizer = run
            .pods
            .iter()
            .filter(|p| has_tracking_finalizer(p.meta()) && !run.expected_rm.contains(p.uid()))
            .map(|p| p.uid().to_owned())
            .collect();
        let with_finalizer = run.with_finalizer.clone();
        needs |= clean_uncounted(run.status(), &with_finalizer);
        let ending = run
            .finished
            .as_ref()
            .map(|c| c.type_ != SUCCESS_CRITERIA_MET);
        let deleting = run.job.metadata.deletion_timestamp.is_some();
        for pod in run.pods.clone() {
            let uid = pod.uid();
            let Some(p) = pod.as_pod() else { continue };
            if !has_tracking_finalizer(pod.meta()) || run.expected_rm.contains(uid) {
                continue;
            }
            let failed = is_pod_failed(p);
            // canRemoveFinalizer.
            if !(deleting || run.finished.is_some() || phase(p) == "Succeeded" || failed) {
                continue;
            }
            run.remove.push((ObjectKey::of(&pod), uid.to_owned()));
            if phase(p) == "Succeeded" && !run.uncounted.failed.contains(uid) {
                if !run.uncounted.succeeded.contains(uid) {
                    needs = true;
                    push_uncounted(run.status(), true, uid);
                }
            } else if (failed || ending == Some(true)) && !run.uncounted.failed.contains(uid) {
                needs = true;
                push_uncounted(run.status(), false, uid);
            }
            if uncounted_len(run.status()) >= util::MAX_UNCOUNTED_PODS {
                run.reached_max = true;
                break;
            }
        }
        if let Some(cond) = run.finished.clone() {
            let (reason, message) = (
                cond.reason.clone().unwrap_or_default(),
                cond.message.clone().unwrap_or_default(),
            );
            let conditions = run.status().conditions.get_or_insert_with(Vec::new);
            if cond.type_ == FAILURE_TARGET {
                conditions.push(cond);
                needs = true;
                run.finished = Some(new_condition(FAILED, "True", &reason, &message, now));
            } else if cond.type_ == SUCCESS_CRITERIA_MET {
                if !conditions
                    .iter()
                    .any(|c| c.type_ == SUCCESS_CRITERIA_MET && c.status == "True")
                {
                    conditions.push(cond);
                    needs = true;
                }
                run.finished = Some(new_condition(COMPLETE, "True", &reason, &message, now));
            }
        }
        run.needs_flush = needs;
        if needs {
            self.flush(ctx, run, Step::Flushing);
        } else {
            self.unfinalize(ctx, run);
        }
    }

    /// Writes the status; the run waits for the answer in `step`.
    fn flush(&mut self, ctx: &mut Ctx<'_>, mut run: Run, step: Step) {
        let status = run.job.status.clone().unwrap_or_default();
        if let Some(e) = refused(&run.stored, &status, run.owner.name()) {
            // Traced as the API server traces a refused write.
            ctx.trace("update-status", String::new(), e.kubectl_line());
            run.error = true;
            return self.end(ctx, run);
        }
        run.step = step;
        run.pending = 1;
        let request = Request::UpdateStatus(Object::from(run.job.clone()));
        self.call(ctx, &run.key.clone(), Call::Status, request);
        self.running.insert(run.key.clone(), run);
    }

    /// Removes the finalizer of the pods just recorded (`removeTrackingFinalizerFromPods`).
    fn unfinalize(&mut self, ctx: &mut Ctx<'_>, mut run: Run) {
        if run.remove.is_empty() {
            return self.after_unfinalize(ctx, run);
        }
        let expected = self.finalizers_expected.entry(run.key.clone()).or_default();
        expected.extend(run.remove.iter().map(|(_, uid)| uid.clone()));
        run.step = Step::Unfinalizing;
        run.step_failed = false;
        for (pod, uid) in std::mem::take(&mut run.remove) {
            run.pending += 1;
            self.call(
                ctx,
                &run.key.clone(),
                Call::Unfinalize { uid },
                remove_finalizer_request(pod),
            );
        }
        self.running.insert(run.key.clone(), run);
    }

    /// The pods whose finalizer went are counted; a failed removal ends the
    /// sync with an error after writing the progress made.
    fn after_unfinalize(&mut self, ctx: &mut Ctx<'_>, mut run: Run) {
        let with_finalizer = run.with_finalizer.clone();
        if clean_uncounted(run.status(), &with_finalizer) {
            run.needs_flush = true;
        }
        if run.step == Step::Unfinalizing && run.step_failed {
            run.error = true;
            return if run.needs_flush {
                self.flush(ctx, run, Step::FlushingPartial)
            } else {
                self.end(ctx, run)
            };
        }
        let finished = !run.reached_max && self.enact_finished(ctx, &mut run);
        if finished || run.needs_flush {
            self.flush(ctx, run, Step::Finishing { finished });
        } else {
            self.end(ctx, run);
        }
    }

    /// `enactJobFinished`: the terminal condition, once no pod is uncounted
    /// or terminating.
    fn enact_finished(&mut self, ctx: &mut Ctx<'_>, run: &mut Run) -> bool {
        let Some(cond) = run.finished.clone() else {
            return false;
        };
        if uncounted_len(run.status()) > 0 || run.terminating > 0 {
            return false;
        }
        let now = ctx.now();
        let status = run.status();
        let reason = cond.reason.as_deref().unwrap_or("");
        let message = cond.message.as_deref().unwrap_or("");
        set_condition(status, &cond.type_, &cond.status, reason, message, now);
        if cond.type_ == COMPLETE {
            status.completion_time = cond.last_transition_time.clone();
        }
        true
    }

    /// `recordJobFinished`: the events of a finished Job.
    fn record_finished(&mut self, ctx: &mut Ctx<'_>, run: &Run) {
        let Some(cond) = run.finished.as_ref() else {
            return;
        };
        if cond.type_ == COMPLETE {
            let succeeded = run
                .job
                .status
                .as_ref()
                .and_then(|s| s.succeeded)
                .unwrap_or(0);
            if run.spec_completions().is_some_and(|c| succeeded > c) {
                self.recorder.record(
                    ctx,
                    &run.owner,
                    "Warning",
                    "TooManySucceededPods",
                    "Too many succeeded pods running after completion count reached".into(),
                );
            }
            self.recorder.record(
                ctx,
                &run.owner,
                "Normal",
                "Completed",
                "Job completed".into(),
            );
        } else {
            let reason = cond.reason.clone().unwrap_or_default();
            let message = cond.message.clone().unwrap_or_default();
            self.recorder
                .record(ctx, &run.owner, "Warning", &reason, message);
        }
    }

    /// The sync is over: a failed one is retried after the rate limiter's
    /// delay (1 s doubling to a minute), and a Job queued meanwhile syncs again.
    fn end(&mut self, ctx: &mut Ctx<'_>, run: Run) {
        let key = run.key;
        if run.error {
            let n = self.failures.entry(key.clone()).or_insert(0);
            let delay = util::DEFAULT_API_BACKOFF
                .saturating_mul(1u64 << (*n).min(20))
                .min(util::MAX_API_BACKOFF);
            *n += 1;
            self.delayed.add_after(ctx, delay, key.clone());
        } else {
            self.failures.remove(&key);
        }
        if self.rerun.remove(&key) {
            self.queue.add(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_server_refuses_more_ready_than_active_pods_only_when_they_change() {
        let status = |active: i32, ready: i32| JobStatus {
            active: nonzero(active),
            ready: Some(ready),
            ..Default::default()
        };
        let e = refused(&status(2, 2), &status(0, 1), "pi").expect("refused");
        assert_eq!(
            e.kubectl_line(),
            "Error from server (Invalid): Job.batch \"pi\" is invalid: status.ready: Invalid value: 1: cannot set more ready pods than active"
        );
        assert!(refused(&status(2, 2), &status(1, 1), "pi").is_none());
        // Unchanged counters are not checked again.
        assert!(refused(&status(0, 1), &status(0, 1), "pi").is_none());
    }
}
