//! The Job controller's pure helpers: the constants of
//! `pkg/controller/job/job_controller.go`, Job conditions
//! (`newCondition`, `ensureJobConditionStatus`, `findConditionByType`,
//! `util.IsJobFinished`), pod predicates (`isPodFailed`,
//! `hasJobTrackingFinalizer`, `controller.IsPodTerminating`), the pod failure
//! back-off of `backoff_utils.go` (`backoffRecord`, `getFinishedTime`,
//! `getRemainingTimeForFailuresCount`) and the uncounted-pods bookkeeping of
//! `cleanUncountedPodsWithoutFinalizers`.

use std::collections::BTreeSet;

use k8s_openapi::api::batch::v1::{Job, JobCondition, JobStatus, UncountedTerminatedPods};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::api::conditions;
use crate::api::meta::{sim_time_of, time};
use crate::time::{SimDuration, SimTime};

/// `batch.JobTrackingFinalizer`: on every pod until the controller counted it.
pub(crate) const JOB_TRACKING_FINALIZER: &str = "batch.kubernetes.io/job-tracking";
/// `syncJobBatchPeriod`: pod events and status updates sync the Job this much later.
pub(crate) const SYNC_JOB_BATCH_PERIOD: SimDuration = SimDuration::from_secs(1);
/// `DefaultJobApiBackOff`: the first retry after a failed sync.
pub(crate) const DEFAULT_API_BACKOFF: SimDuration = SimDuration::from_secs(1);
/// `MaxJobApiBackOff`.
pub(crate) const MAX_API_BACKOFF: SimDuration = SimDuration::from_mins(1);
/// `DefaultJobPodFailureBackOff`: the delay before replacing a pod after one failure.
pub(crate) const DEFAULT_POD_FAILURE_BACKOFF: SimDuration = SimDuration::from_secs(10);
/// `MaxJobPodFailureBackOff` (10 minutes since v1.28; six minutes before).
pub(crate) const MAX_POD_FAILURE_BACKOFF: SimDuration = SimDuration::from_mins(10);
/// `MaxUncountedPods`: most pod uids in `status.uncountedTerminatedPods`.
pub(crate) const MAX_UNCOUNTED_PODS: usize = 500;
/// `MaxPodCreateDeletePerSync`.
pub(crate) const MAX_POD_CREATE_DELETE_PER_SYNC: i32 = 500;

/// Condition types (`batch.JobConditionType`).
pub(crate) const COMPLETE: &str = "Complete";
pub(crate) const FAILED: &str = "Failed";
pub(crate) const FAILURE_TARGET: &str = "FailureTarget";
pub(crate) const SUCCESS_CRITERIA_MET: &str = "SuccessCriteriaMet";
pub(crate) const SUSPENDED: &str = "Suspended";

/// A pod's phase ("" when unset).
pub(crate) fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

/// `podutil.IsPodTerminal`: Succeeded or Failed.
pub(crate) fn is_terminal(pod: &Pod) -> bool {
    matches!(phase(pod), "Succeeded" | "Failed")
}

/// `controller.IsPodTerminating`: being deleted and not terminal yet.
pub(crate) fn is_terminating(pod: &Pod) -> bool {
    !is_terminal(pod) && pod.metadata.deletion_timestamp.is_some()
}

/// `hasJobTrackingFinalizer`.
pub(crate) fn has_tracking_finalizer(meta: &ObjectMeta) -> bool {
    meta.finalizers
        .iter()
        .flatten()
        .any(|f| f == JOB_TRACKING_FINALIZER)
}

/// `isPodFailed` with podReplacementPolicy `TerminatingOrFailed` and no pod
/// failure policy: Failed, or being deleted before it succeeded (a deleted
/// pod counts as a failure).
pub(crate) fn is_pod_failed(pod: &Pod) -> bool {
    phase(pod) == "Failed"
        || (pod.metadata.deletion_timestamp.is_some() && phase(pod) != "Succeeded")
}

/// `findConditionByType`: the first condition of the type.
pub(crate) fn find_condition<'a>(job: &'a Job, type_: &str) -> Option<&'a JobCondition> {
    job.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
}

/// `util.IsJobFinished`: Complete or Failed is True.
pub(crate) fn is_finished(job: &Job) -> bool {
    job.status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten())
        .any(|c| (c.type_ == COMPLETE || c.type_ == FAILED) && c.status == "True")
}

/// `newCondition`: both times now; an empty reason or message is left out
/// (`omitempty`).
pub(crate) fn new_condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: SimTime,
) -> JobCondition {
    let text = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    JobCondition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        reason: text(reason),
        message: text(message),
        last_probe_time: Some(time(now)),
        last_transition_time: Some(time(now)),
    }
}

/// `ensureJobConditionStatus`: replaces the condition of the type when its
/// status, reason or message differ, appends it when absent unless its status
/// is False. True when the list changed.
pub(crate) fn ensure_condition(
    list: &mut Vec<JobCondition>,
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: SimTime,
) -> bool {
    let same = |c: &JobCondition| {
        c.status == status
            && c.reason.as_deref().unwrap_or("") == reason
            && c.message.as_deref().unwrap_or("") == message
    };
    if let Some(c) = list.iter_mut().find(|c| c.type_ == type_) {
        if same(c) {
            return false;
        }
        *c = new_condition(type_, status, reason, message, now);
        return true;
    }
    if status == "False" {
        return false;
    }
    list.push(new_condition(type_, status, reason, message, now));
    true
}

/// The pods `manageJob` keeps active: `parallelism`, or with `completions`
/// the completions still missing, at most `parallelism`; a Job without
/// completions stops adding pods after its first success.
pub(crate) fn want_active(job: &Job, active: i32, succeeded: i32) -> i32 {
    let spec = job.spec.as_ref();
    let parallelism = spec.and_then(|s| s.parallelism).unwrap_or(1);
    match spec.and_then(|s| s.completions) {
        None if succeeded > 0 => active,
        None => parallelism,
        Some(c) => (c - succeeded).min(parallelism).max(0),
    }
}

/// `pastBackoffLimitOnFailure`: with restartPolicy OnFailure, the restarts of
/// the Pending and Running pods' containers reach `backoffLimit` (any
/// restart when it is 0).
pub(crate) fn past_backoff_limit_on_failure<'a>(
    job: &Job,
    pods: impl Iterator<Item = &'a Pod>,
) -> bool {
    let spec = job.spec.as_ref();
    let policy = spec
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|s| s.restart_policy.as_deref());
    if policy != Some("OnFailure") {
        return false;
    }
    let restarts: i32 = pods
        .filter(|p| matches!(phase(p), "Running" | "Pending"))
        .flat_map(|p| p.status.iter())
        .flat_map(|s| {
            s.init_container_statuses
                .iter()
                .flatten()
                .chain(s.container_statuses.iter().flatten())
        })
        .map(|c| c.restart_count)
        .sum();
    let limit = spec.and_then(|s| s.backoff_limit).unwrap_or(6);
    if limit == 0 {
        restarts > 0
    } else {
        restarts >= limit
    }
}

/// `getFinishedTime`: the last container's `finishedAt` when every container
/// terminated, else a False Ready condition's transition, else the deletion
/// timestamp minus the grace period, else the creation time.
pub(crate) fn finished_time(pod: &Pod) -> SimTime {
    let status = pod.status.as_ref();
    let mut last: Option<SimTime> = None;
    let mut all = true;
    for c in status
        .iter()
        .flat_map(|s| s.container_statuses.iter().flatten())
    {
        match c
            .state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .and_then(|t| t.finished_at.as_ref())
        {
            Some(t) => last = last.max(Some(sim_time_of(&t.0))),
            None => all = false,
        }
    }
    if all {
        if let Some(t) = last {
            return t;
        }
    }
    if let Some(c) = conditions::pod_condition(pod, conditions::READY) {
        if let (true, Some(t)) = (c.status == "False", c.last_transition_time.as_ref()) {
            return sim_time_of(&t.0);
        }
    }
    if let Some(d) = pod.metadata.deletion_timestamp.as_ref() {
        let grace = pod.metadata.deletion_grace_period_seconds.unwrap_or(0);
        let secs = SimDuration::from_secs(u64::try_from(grace).unwrap_or(0));
        let at = sim_time_of(&d.0);
        return SimTime::from_nanos(at.as_nanos().saturating_sub(secs.as_nanos()));
    }
    pod.metadata
        .creation_timestamp
        .as_ref()
        .map_or(SimTime::ZERO, |t| sim_time_of(&t.0))
}

/// `backoffRecord`: failures since the last success and when the last one
/// happened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct BackoffRecord {
    pub(crate) failures: i32,
    pub(crate) last_failure: Option<SimTime>,
}

impl BackoffRecord {
    /// `newBackoffRecord`: the stored record updated with the pods that
    /// finished since the last count.
    pub(crate) fn next(self, succeeded: &[&Pod], failed: &[&Pod]) -> BackoffRecord {
        let mut failed_at: Vec<SimTime> = failed.iter().map(|p| finished_time(p)).collect();
        failed_at.sort();
        let last_success = succeeded.iter().map(|p| finished_time(p)).max();
        match last_success {
            None if failed_at.is_empty() => self,
            None => BackoffRecord {
                failures: self.failures + failed_at.len() as i32,
                last_failure: failed_at.last().copied(),
            },
            Some(success) => {
                let after: Vec<SimTime> = failed_at.into_iter().filter(|t| *t > success).collect();
                BackoffRecord {
                    failures: after.len() as i32,
                    last_failure: after.last().copied(),
                }
            }
        }
    }

    /// `getRemainingTime`: 10 s doubled per failure after the first, at most
    /// 10 minutes, less the time since the last failure.
    pub(crate) fn remaining(&self, now: SimTime) -> SimDuration {
        let (Some(last), true) = (self.last_failure, self.failures > 0) else {
            return SimDuration::ZERO;
        };
        let mut backoff = DEFAULT_POD_FAILURE_BACKOFF;
        for _ in 1..self.failures {
            backoff = backoff.saturating_mul(2);
            if backoff >= MAX_POD_FAILURE_BACKOFF {
                backoff = MAX_POD_FAILURE_BACKOFF;
                break;
            }
        }
        let elapsed = now.saturating_since(last);
        backoff.checked_sub(elapsed).unwrap_or(SimDuration::ZERO)
    }
}

/// The uids of `status.uncountedTerminatedPods` as sets.
#[derive(Clone, Debug, Default)]
pub(crate) struct Uncounted {
    pub(crate) succeeded: BTreeSet<String>,
    pub(crate) failed: BTreeSet<String>,
}

impl Uncounted {
    pub(crate) fn of(status: &JobStatus) -> Self {
        let u = status.uncounted_terminated_pods.as_ref();
        let set = |l: Option<&Vec<String>>| l.into_iter().flatten().cloned().collect();
        Uncounted {
            succeeded: set(u.and_then(|u| u.succeeded.as_ref())),
            failed: set(u.and_then(|u| u.failed.as_ref())),
        }
    }
}

/// `cleanUncountedPodsWithoutFinalizers`: the uncounted pods that no longer
/// carry the finalizer move into the `succeeded` and `failed` counters. True
/// when the status changed.
pub(crate) fn clean_uncounted(status: &mut JobStatus, with_finalizer: &BTreeSet<String>) -> bool {
    let uncounted = status
        .uncounted_terminated_pods
        .get_or_insert_with(UncountedTerminatedPods::default);
    let mut moved = [0i32; 2];
    for (i, list) in [&mut uncounted.succeeded, &mut uncounted.failed]
        .into_iter()
        .enumerate()
    {
        let before = list.as_ref().map_or(0, Vec::len);
        let kept: Vec<String> = list
            .take()
            .into_iter()
            .flatten()
            .filter(|u| with_finalizer.contains(u))
            .collect();
        moved[i] = (before - kept.len()) as i32;
        *list = (!kept.is_empty()).then_some(kept);
    }
    let add = |field: &mut Option<i32>, n: i32| {
        let v = field.unwrap_or(0) + n;
        *field = (v != 0).then_some(v);
    };
    add(&mut status.succeeded, moved[0]);
    add(&mut status.failed, moved[1]);
    moved != [0, 0]
}

/// Appends a uid to one list of `status.uncountedTerminatedPods`.
pub(crate) fn push_uncounted(status: &mut JobStatus, succeeded: bool, uid: &str) {
    let u = status
        .uncounted_terminated_pods
        .get_or_insert_with(UncountedTerminatedPods::default);
    let list = if succeeded {
        &mut u.succeeded
    } else {
        &mut u.failed
    };
    list.get_or_insert_with(Vec::new).push(uid.to_owned());
}

/// The number of uids in `status.uncountedTerminatedPods`.
pub(crate) fn uncounted_len(status: &JobStatus) -> usize {
    status.uncounted_terminated_pods.as_ref().map_or(0, |u| {
        u.succeeded.as_ref().map_or(0, Vec::len) + u.failed.as_ref().map_or(0, Vec::len)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::controllers::controller_utils::is_active;
    use k8s_openapi::api::batch::v1::JobSpec;
    use k8s_openapi::api::core::v1::{
        ContainerState, ContainerStateTerminated, ContainerStatus, PodCondition, PodStatus,
    };

    fn at(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    fn finished_pod(phase: &str, finished: u64) -> Pod {
        Pod {
            status: Some(PodStatus {
                phase: Some(phase.into()),
                container_statuses: Some(vec![ContainerStatus {
                    name: "c".into(),
                    state: Some(ContainerState {
                        terminated: Some(ContainerStateTerminated {
                            finished_at: Some(time(at(finished))),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn pod_failure_backoff_doubles_from_ten_seconds_to_ten_minutes() {
        // backoff_utils.go getRemainingTimeForFailuresCount.
        let rec = |failures| BackoffRecord {
            failures,
            last_failure: Some(at(100)),
        };
        assert_eq!(rec(0).remaining(at(100)), SimDuration::ZERO);
        assert_eq!(rec(1).remaining(at(100)), SimDuration::from_secs(10));
        assert_eq!(rec(1).remaining(at(104)), SimDuration::from_secs(6));
        assert_eq!(rec(2).remaining(at(100)), SimDuration::from_secs(20));
        assert_eq!(rec(3).remaining(at(100)), SimDuration::from_secs(40));
        // 10 s x 2^6 = 640 s: capped at 600 s.
        assert_eq!(rec(7).remaining(at(100)), SimDuration::from_secs(600));
        assert_eq!(rec(60).remaining(at(100)), SimDuration::from_secs(600));
        assert_eq!(rec(1).remaining(at(111)), SimDuration::ZERO);
    }

    #[test]
    fn a_success_resets_the_failures_before_it() {
        // backoff_utils.go newBackoffRecord.
        let old = BackoffRecord {
            failures: 3,
            last_failure: Some(at(5)),
        };
        let (f1, f2, s) = (
            finished_pod("Failed", 10),
            finished_pod("Failed", 30),
            finished_pod("Succeeded", 20),
        );
        assert_eq!(
            old.next(&[], &[&f2, &f1]),
            BackoffRecord {
                failures: 5,
                last_failure: Some(at(30))
            }
        );
        assert_eq!(
            old.next(&[&s], &[&f1, &f2]),
            BackoffRecord {
                failures: 1,
                last_failure: Some(at(30))
            }
        );
        assert_eq!(old.next(&[&s], &[]), BackoffRecord::default());
        assert_eq!(old.next(&[], &[]), old);
    }

    #[test]
    fn finished_time_falls_back_to_ready_deletion_and_creation() {
        let mut p = Pod::default();
        p.metadata.creation_timestamp = Some(time(at(3)));
        assert_eq!(finished_time(&p), at(3));
        p.metadata.deletion_timestamp = Some(time(at(40)));
        p.metadata.deletion_grace_period_seconds = Some(30);
        assert_eq!(finished_time(&p), at(10));
        p.status = Some(PodStatus {
            conditions: Some(vec![PodCondition {
                type_: "Ready".into(),
                status: "False".into(),
                last_transition_time: Some(time(at(7))),
                ..Default::default()
            }]),
            ..Default::default()
        });
        assert_eq!(finished_time(&p), at(7));
        assert_eq!(finished_time(&finished_pod("Failed", 9)), at(9));
    }

    #[test]
    fn active_pods_follow_parallelism_and_remaining_completions() {
        let job = |parallelism, completions| Job {
            spec: Some(JobSpec {
                parallelism: Some(parallelism),
                completions,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(want_active(&job(3, Some(10)), 0, 0), 3);
        assert_eq!(want_active(&job(3, Some(10)), 3, 8), 2);
        assert_eq!(want_active(&job(3, Some(10)), 0, 12), 0);
        // Without completions: parallelism until the first success, then
        // whatever runs keeps running.
        assert_eq!(want_active(&job(4, None), 0, 0), 4);
        assert_eq!(want_active(&job(4, None), 2, 1), 2);
    }

    #[test]
    fn a_deleted_pod_counts_as_failed_unless_it_succeeded() {
        let mut p = finished_pod("Running", 0);
        assert!(!is_pod_failed(&p));
        p.metadata.deletion_timestamp = Some(time(at(1)));
        assert!(is_pod_failed(&p) && is_terminating(&p) && !is_active(&p));
        let mut s = finished_pod("Succeeded", 0);
        s.metadata.deletion_timestamp = Some(time(at(1)));
        assert!(!is_pod_failed(&s) && !is_terminating(&s));
        assert!(is_pod_failed(&finished_pod("Failed", 0)));
    }

    #[test]
    fn ensure_condition_updates_in_place_and_never_adds_false() {
        let mut list = Vec::new();
        assert!(!ensure_condition(
            &mut list,
            SUSPENDED,
            "False",
            "JobResumed",
            "Job resumed",
            at(1)
        ));
        assert!(list.is_empty());
        assert!(ensure_condition(
            &mut list,
            SUSPENDED,
            "True",
            "JobSuspended",
            "Job suspended",
            at(1)
        ));
        assert!(!ensure_condition(
            &mut list,
            SUSPENDED,
            "True",
            "JobSuspended",
            "Job suspended",
            at(2)
        ));
        assert!(ensure_condition(
            &mut list,
            SUSPENDED,
            "False",
            "JobResumed",
            "Job resumed",
            at(3)
        ));
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].status, "False");
        assert_eq!(list[0].last_transition_time, Some(time(at(3))));
    }

    #[test]
    fn counted_pods_leave_the_uncounted_lists() {
        let mut status = JobStatus {
            succeeded: Some(2),
            ..Default::default()
        };
        push_uncounted(&mut status, true, "a");
        push_uncounted(&mut status, true, "b");
        push_uncounted(&mut status, false, "c");
        assert_eq!(uncounted_len(&status), 3);
        let still = BTreeSet::from(["b".to_owned()]);
        assert!(clean_uncounted(&mut status, &still));
        assert_eq!(status.succeeded, Some(3));
        assert_eq!(status.failed, Some(1));
        assert_eq!(Uncounted::of(&status).succeeded, still);
        assert!(Uncounted::of(&status).failed.is_empty());
        assert!(!clean_uncounted(&mut status, &still));
        // The lists serialize as Go's omitempty slices: {} when both are empty.
        assert!(clean_uncounted(&mut status, &BTreeSet::new()));
        assert_eq!(
            serde_json::to_value(&status.uncounted_terminated_pods).unwrap(),
            serde_json::json!({})
        );
    }
}
