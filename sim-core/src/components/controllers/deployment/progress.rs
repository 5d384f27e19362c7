//! Deployment status (`sync.go` calculateStatus, `progress.go`
//! syncRolloutStatus): the replica counts, the Available condition and the
//! Progressing condition with its deadline.

use k8s_openapi::api::apps::v1::{DeploymentCondition, DeploymentStatus, ReplicaSet};

use super::util::max_unavailable;
use super::{rs_available, rs_replicas, DeploymentController, Plan};
use crate::api::meta::{sim_time_of, time};
use crate::api::{Object, ObjectKey};
use crate::apiserver::Request;
use crate::components::Ctx;
use crate::time::{SimDuration, SimTime};

/// The replica counts of `calculateStatus`, summed over the ReplicaSets.
#[derive(Clone, Copy, Debug)]
struct Counts {
    /// Σ `status.replicas`.
    replicas: i32,
    /// The new ReplicaSet's `status.replicas`.
    updated: i32,
    /// Σ `status.readyReplicas`.
    ready: i32,
    /// Σ `status.availableReplicas`.
    available: i32,
    /// Σ `spec.replicas`.
    total_spec: i32,
}

impl Counts {
    fn of(plan: &Plan) -> Self {
        let sum = |f: fn(&ReplicaSet) -> i32| plan.all().map(f).sum::<i32>();
        Self {
            replicas: sum(|rs| rs.status.as_ref().map_or(0, |s| s.replicas)),
            updated: plan
                .new_rs
                .as_ref()
                .and_then(|rs| rs.status.as_ref())
                .map_or(0, |s| s.replicas),
            ready: sum(|rs| {
                rs.status
                    .as_ref()
                    .and_then(|s| s.ready_replicas)
                    .unwrap_or(0)
            }),
            available: sum(rs_available),
            total_spec: sum(rs_replicas),
        }
    }

    /// `DeploymentComplete`: every replica updated and available.
    fn complete(&self, replicas: i32) -> bool {
        self.updated == replicas && self.replicas == replicas && self.available == replicas
    }

    /// `DeploymentProgressing`: more updated, fewer old, more ready or more
    /// available replicas than the status last written says.
    fn progressed_since(&self, old: &DeploymentStatus) -> bool {
        let old_updated = old.updated_replicas.unwrap_or(0);
        self.updated > old_updated
            || (self.replicas - self.updated) < (old.replicas.unwrap_or(0) - old_updated)
            || self.ready > old.ready_replicas.unwrap_or(0)
            || self.available > old.available_replicas.unwrap_or(0)
    }
}

impl DeploymentController {
    pub(super) fn sync_status(&mut self, ctx: &mut Ctx<'_>, plan: &Plan) {
        self.write_status(ctx, plan, true);
    }

    /// calculateStatus, then (with `progress`) syncRolloutStatus's
    /// Progressing condition; without it only checkPausedConditions runs.
    /// The status is written when it differs from the cached one.
    pub(super) fn write_status(&mut self, ctx: &mut Ctx<'_>, plan: &Plan, progress: bool) {
        let now = ctx.now();
        let counts = Counts::of(plan);
        let old_status = plan.d.status.clone().unwrap_or_default();
        let mut conditions = old_status.conditions.clone().unwrap_or_default();
        let min_available = plan.replicas - max_unavailable(&plan.d);
        let (st, reason, msg) = if counts.available >= min_available {
            (
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
            )
        } else {
            (
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            )
        };
        set_condition(&mut conditions, "Available", st, reason, msg, now);
        let deadline = plan
            .d
            .spec
            .as_ref()
            .and_then(|s| s.progress_deadline_seconds)
            .filter(|&s| s != i32::MAX);
        if let Some(deadline) = deadline {
            let check = ProgressCheck {
                counts,
                old_status: &old_status,
                deadline,
                progress,
            };
            self.progressing(ctx, plan, &check, &mut conditions);
        }
        let status = DeploymentStatus {
            observed_generation: plan.d.metadata.generation,
            replicas: Some(counts.replicas),
            updated_replicas: Some(counts.updated),
            ready_replicas: Some(counts.ready),
            available_replicas: Some(counts.available),
            unavailable_replicas: Some((counts.total_spec - counts.available).max(0)),
            conditions: Some(conditions),
            collision_count: old_status.collision_count,
            terminating_replicas: None,
        };
        if plan.d.status.as_ref().map(normalized) != Some(normalized(&status)) {
            let mut d = plan.d.clone();
            d.status = Some(status);
            // No resourceVersion (the real controller sends the cached one
            // and retries a conflict with back-off; kubesim writes without
            // it), but the uid stays: a write computed for a Deployment
            // deleted and recreated under its name fails the API server's
            // UID precondition instead of giving the new one the old counts.
            d.metadata.resource_version = None;
            ctx.send(Request::UpdateStatus(Object::from(d)));
        }
    }

    /// The Progressing condition (`checkPausedConditions`, then
    /// `syncRolloutStatus`'s cases in order); requeues the Deployment for
    /// the moment its progress deadline would pass.
    fn progressing(
        &mut self,
        ctx: &mut Ctx<'_>,
        plan: &Plan,
        check: &ProgressCheck<'_>,
        conditions: &mut Vec<DeploymentCondition>,
    ) {
        let now = ctx.now();
        let counts = check.counts;
        let rs_name = plan
            .new_rs
            .as_ref()
            .and_then(|rs| rs.metadata.name.clone())
            .unwrap_or_default();
        let paused = plan.d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
        let current = conditions
            .iter()
            .find(|c| c.type_ == "Progressing")
            .cloned();
        let current_reason = current
            .as_ref()
            .and_then(|c| c.reason.clone())
            .unwrap_or_default();
        let mut set = |status: &str, reason: &str, message: &str| {
            set_condition(conditions, "Progressing", status, reason, message, now);
        };
        if paused {
            if current_reason != "DeploymentPaused" && current_reason != "ProgressDeadlineExceeded"
            {
                set("Unknown", "DeploymentPaused", "Deployment is paused");
            }
        } else if current_reason == "DeploymentPaused" {
            set("Unknown", "DeploymentResumed", "Deployment is resumed");
        } else if !check.progress {
            // sync.go syncDeploymentStatus: the Progressing condition is kept.
        } else if counts.replicas == counts.updated && current_reason == "NewReplicaSetAvailable" {
            // Complete and reported: nothing changes.
        } else if counts.complete(plan.replicas) && plan.new_rs.is_some() {
            set(
                "True",
                "NewReplicaSetAvailable",
                &format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
            );
        } else if let Some(created) = &plan.created {
            set(
                "True",
                "NewReplicaSetCreated",
                &format!("Created new replica set \"{created}\""),
            );
        } else if current.is_none() && plan.new_rs.is_none() {
            // No new RS yet (Recreate waiting for old pods): nothing to report.
        } else if current.is_none() {
            set(
                "True",
                "FoundNewReplicaSet",
                &format!("Found new replica set \"{rs_name}\""),
            );
        } else if counts.progressed_since(check.old_status) {
            update_progressing(
                conditions,
                &format!("ReplicaSet \"{rs_name}\" is progressing."),
                now,
            );
        } else if current_reason != "ProgressDeadlineExceeded" {
            let last_update = current
                .as_ref()
                .and_then(|c| c.last_update_time.as_ref())
                .map(|t| sim_time_of(&t.0))
                .unwrap_or(now);
            let due =
                last_update + SimDuration::from_secs(u64::try_from(check.deadline).unwrap_or(0));
            if due < now {
                set(
                    "False",
                    "ProgressDeadlineExceeded",
                    &format!("ReplicaSet \"{rs_name}\" has timed out progressing."),
                );
            } else {
                let delay = due.saturating_since(now) + SimDuration::from_secs(1);
                self.requeue.after(ctx, delay, ObjectKey::of(&plan.d_obj));
            }
        }
    }
}

/// What the Progressing condition is decided from.
struct ProgressCheck<'a> {
    counts: Counts,
    /// The status the cached Deployment has.
    old_status: &'a DeploymentStatus,
    /// `progressDeadlineSeconds`.
    deadline: i32,
    /// False for a sync that only scales (paused, or a scaling event): the
    /// condition is kept as it is, but for pause and resume.
    progress: bool,
}

/// A status with zero counts written as absent (the API omits zeros), so
/// that equal statuses compare equal.
fn normalized(s: &DeploymentStatus) -> DeploymentStatus {
    let mut s = s.clone();
    for v in [
        &mut s.replicas,
        &mut s.updated_replicas,
        &mut s.ready_replicas,
        &mut s.available_replicas,
        &mut s.unavailable_replicas,
    ] {
        if *v == Some(0) {
            *v = None;
        }
    }
    s
}

fn set_condition(
    conditions: &mut Vec<DeploymentCondition>,
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: SimTime,
) {
    if let Some(c) = conditions.iter_mut().find(|c| c.type_ == type_) {
        if c.status == status && c.reason.as_deref() == Some(reason) {
            return;
        }
        if c.status != status {
            c.last_transition_time = Some(time(now));
        }
        c.status = status.into();
        c.reason = Some(reason.into());
        c.message = Some(message.into());
        c.last_update_time = Some(time(now));
        return;
    }
    conditions.push(DeploymentCondition {
        type_: type_.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_update_time: Some(time(now)),
        last_transition_time: Some(time(now)),
    });
}

fn update_progressing(conditions: &mut [DeploymentCondition], message: &str, now: SimTime) {
    if let Some(c) = conditions.iter_mut().find(|c| c.type_ == "Progressing") {
        if c.status != "True" {
            c.last_transition_time = Some(time(now));
        }
        c.status = "True".into();
        c.reason = Some("ReplicaSetUpdated".into());
        c.message = Some(message.into());
        c.last_update_time = Some(time(now));
    }
}
