//! Rollouts (`rolling.go`, `recreate.go`, `sync.go`): the new ReplicaSet
//! and its revision, RollingUpdate's reconcileNewReplicaSet and
//! reconcileOldReplicaSets, Recreate, proportional scaling, and the
//! revision-history cleanup of a complete rollout.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::util::{
    append_revision_history, max_unavailable, proportional_sizes, template_hash, Share,
};
use super::{
    created, revision_of, rs_available, rs_replicas, without_hash, DeploymentController, Plan,
    POD_TEMPLATE_HASH, SKIPPED_ANNOTATIONS,
};
use crate::api::annotations::{self, DESIRED_REPLICAS, MAX_REPLICAS, REVISION, REVISION_HISTORY};
use crate::api::meta::{controller_of, owner_reference};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{DeleteOptions, Request};
use crate::components::controllers::Informers;
use crate::components::Ctx;

impl DeploymentController {
    pub(super) fn create_new_rs(&mut self, ctx: &mut Ctx<'_>, plan: &mut Plan, replicas: i32) {
        let spec = plan.d.spec.clone().unwrap_or_default();
        let collision = plan.d.status.as_ref().and_then(|s| s.collision_count);
        let hash = template_hash(&without_hash(&spec.template), collision);
        let name = format!("{}-{hash}", plan.d_obj.name());
        let key = ObjectKey::new(Kind::ReplicaSet, plan.d_obj.namespace(), name.clone());
        if self.pending_rs.contains(&key) {
            return;
        }
        let mut template = spec.template.clone();
        template
            .metadata
            .get_or_insert_with(Default::default)
            .labels
            .get_or_insert_with(BTreeMap::new)
            .insert(POD_TEMPLATE_HASH.into(), hash.clone());
        let mut selector: LabelSelector = spec.selector.clone();
        selector
            .match_labels
            .get_or_insert_with(BTreeMap::new)
            .insert(POD_TEMPLATE_HASH.into(), hash);
        let max_old_revision = plan.old.iter().map(revision_of).max().unwrap_or(0);
        let mut annotations: BTreeMap<String, String> = plan
            .d
            .metadata
            .annotations
            .clone()
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| !SKIPPED_ANNOTATIONS.contains(&k.as_str()))
            .collect();
        annotations.insert(REVISION.into(), (max_old_revision + 1).to_string());
        annotations.insert(DESIRED_REPLICAS.into(), plan.replicas.to_string());
        annotations.insert(
            MAX_REPLICAS.into(),
            (plan.replicas + plan.surge).to_string(),
        );
        let rs = ReplicaSet {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(plan.d_obj.namespace().to_owned()),
                labels: template.metadata.as_ref().and_then(|m| m.labels.clone()),
                annotations: Some(annotations),
                owner_references: Some(vec![owner_reference(&plan.d_obj, true)]),
                ..Default::default()
            },
            spec: Some(ReplicaSetSpec {
                replicas: Some(replicas),
                min_ready_seconds: spec.min_ready_seconds,
                selector,
                template: Some(template),
            }),
            status: None,
        };
        self.pending_rs.insert(key);
        ctx.send(Request::Create(Object::from(rs)));
        plan.created = Some(name.clone());
        if replicas > 0 {
            self.recorder.record(
                ctx,
                &plan.d_obj,
                "Normal",
                "ScalingReplicaSet",
                format!("Scaled up replica set {name} from 0 to {replicas}"),
            );
        }
        self.set_revision(ctx, plan, max_old_revision + 1);
    }

    pub(super) fn set_revision(&mut self, ctx: &mut Ctx<'_>, plan: &Plan, revision: i64) {
        let current = annotations::get(&plan.d.metadata, REVISION);
        if current == Some(&revision.to_string()) {
            return;
        }
        let patch = serde_json::json!({ "metadata": { "annotations": { REVISION: revision.to_string() } } });
        ctx.send(Request::Patch {
            key: ObjectKey::of(&plan.d_obj),
            patch,
        });
    }

    /// An existing new RS (sync.go getNewReplicaSet, deployment_util.go
    /// SetNewReplicaSetAnnotations): the deployment's annotations copied, its
    /// revision raised to max(old)+1 with the replaced one appended to
    /// revision-history (this is what a rollback does), minReadySeconds kept
    /// in sync; the deployment's revision annotation follows it.
    pub(super) fn sync_new_rs_revision(&mut self, ctx: &mut Ctx<'_>, plan: &mut Plan) {
        let Some(mut rs) = plan.new_rs.clone() else {
            return;
        };
        let new_revision = plan.old.iter().map(revision_of).max().unwrap_or(0) + 1;
        let min_ready = plan.d.spec.as_ref().and_then(|s| s.min_ready_seconds);
        let mut changed = false;
        let ann = rs.metadata.annotations.get_or_insert_with(BTreeMap::new);
        for (k, v) in plan.d.metadata.annotations.iter().flatten() {
            if SKIPPED_ANNOTATIONS.contains(&k.as_str()) || ann.get(k) == Some(v) {
                continue;
            }
            ann.insert(k.clone(), v.clone());
            changed = true;
        }
        let old_revision = ann.get(REVISION).cloned();
        let old_int: i64 = old_revision
            .as_deref()
            .and_then(|r| r.parse().ok())
            .unwrap_or(0);
        if old_int < new_revision {
            ann.insert(REVISION.into(), new_revision.to_string());
            changed = true;
            if let Some(old) = old_revision {
                let history = ann.get(REVISION_HISTORY).cloned().unwrap_or_default();
                ann.insert(
                    REVISION_HISTORY.into(),
                    append_revision_history(&history, &old),
                );
            }
        }
        let spec = rs.spec.get_or_insert_with(Default::default);
        if spec.min_ready_seconds != min_ready {
            spec.min_ready_seconds = min_ready;
            changed = true;
        }
        if changed {
            ctx.send(Request::Update(Object::from(rs.clone())));
        }
        let revision = revision_of(&rs);
        plan.new_rs = Some(rs);
        self.set_revision(ctx, plan, revision);
    }

    pub(super) fn rollout_rolling(&mut self, ctx: &mut Ctx<'_>, plan: &mut Plan) {
        let r = plan.replicas;
        let max_total = r + plan.surge;
        if plan.new_rs.is_none() {
            let current: i32 = plan.old.iter().map(rs_replicas).sum();
            let start = if current >= max_total {
                0
            } else {
                (max_total - current).min(r)
            };
            self.create_new_rs(ctx, plan, start);
            self.sync_status(ctx, plan);
            return;
        }
        self.sync_new_rs_revision(ctx, plan);
        // reconcileNewReplicaSet
        let mut new_rs = plan.new_rs.clone().unwrap_or_default();
        let new_replicas = rs_replicas(&new_rs);
        let target = if new_replicas > r {
            Some(r)
        } else if new_replicas < r {
            let current: i32 = plan.all().map(rs_replicas).sum();
            (current < max_total)
                .then(|| new_replicas + (max_total - current).min(r - new_replicas))
        } else {
            None
        };
        if let Some(to) = target {
            if self.scale(ctx, plan, &mut new_rs, to) {
                plan.new_rs = Some(new_rs);
                self.sync_status(ctx, plan);
                return;
            }
        } else {
            self.scale(ctx, plan, &mut new_rs, new_replicas);
        }
        plan.new_rs = Some(new_rs.clone());
        // reconcileOldReplicaSets
        let mut scaled = false;
        let active_old = plan.old.iter().any(|rs| rs_replicas(rs) > 0);
        if active_old {
            let all_pods: i32 = plan.all().map(rs_replicas).sum();
            let min_available = r - max_unavailable(&plan.d);
            let new_unavailable = rs_replicas(&new_rs) - rs_available(&new_rs);
            let max_scaled_down = all_pods - min_available - new_unavailable;
            if max_scaled_down > 0 {
                let mut old = std::mem::take(&mut plan.old);
                // cleanupUnhealthyReplicas, oldest first.
                let mut done = 0;
                for rs in old.iter_mut() {
                    if done >= max_scaled_down {
                        break;
                    }
                    let reps = rs_replicas(rs);
                    let avail = rs_available(rs);
                    if reps == 0 || reps <= avail {
                        continue;
                    }
                    let down = (max_scaled_down - done).min(reps - avail);
                    if self.scale(ctx, plan, rs, reps - down) {
                        scaled = true;
                    }
                    done += down;
                }
                // scaleDownOldReplicaSetsForRollingUpdate.
                let available: i32 = plan.new_rs.iter().chain(old.iter()).map(rs_available).sum();
                if available > min_available {
                    let mut remaining = available - min_available;
                    for rs in old.iter_mut() {
                        if remaining == 0 {
                            break;
                        }
                        let reps = rs_replicas(rs);
                        if reps == 0 {
                            continue;
                        }
                        let down = reps.min(remaining);
                        if self.scale(ctx, plan, rs, reps - down) {
                            scaled = true;
                        }
                        remaining -= down;
                    }
                }
                plan.old = old;
            }
        }
        if !scaled && self.is_complete(plan) {
            self.cleanup(ctx, plan);
        }
        self.sync_status(ctx, plan);
    }

    pub(super) fn rollout_recreate(
        &mut self,
        ctx: &mut Ctx<'_>,
        informers: &Informers,
        plan: &mut Plan,
    ) {
        let mut old = std::mem::take(&mut plan.old);
        let mut scaled = false;
        for rs in old.iter_mut().filter(|rs| rs_replicas(rs) > 0) {
            scaled |= self.scale(ctx, plan, rs, 0);
        }
        plan.old = old;
        if scaled {
            self.sync_status(ctx, plan);
            return;
        }
        let old_uids: BTreeSet<&str> = plan
            .old
            .iter()
            .filter_map(|rs| rs.metadata.uid.as_deref())
            .collect();
        let old_replicas: i32 = plan
            .old
            .iter()
            .map(|rs| rs.status.as_ref().map_or(0, |s| s.replicas))
            .sum();
        let old_pods_running = informers.of(Kind::Pod).iter().any(|p| {
            p.namespace() == plan.d_obj.namespace()
                && controller_of(p.meta()).is_some_and(|r| old_uids.contains(r.uid.as_str()))
                && p.as_pod().is_some_and(|pod| {
                    !matches!(
                        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
                        Some("Succeeded" | "Failed")
                    )
                })
        });
        if old_replicas > 0 || old_pods_running {
            self.sync_status(ctx, plan);
            return;
        }
        match plan.new_rs.clone() {
            None => self.create_new_rs(ctx, plan, plan.replicas),
            Some(mut rs) => {
                self.sync_new_rs_revision(ctx, plan);
                self.scale(ctx, plan, &mut rs, plan.replicas);
                plan.new_rs = Some(rs);
                if self.is_complete(plan) {
                    self.cleanup(ctx, plan);
                }
            }
        }
        self.sync_status(ctx, plan);
    }

    /// Proportional scaling (sync.go scale): used when paused or when the
    /// replica count changed during a rollout.
    pub(super) fn proportional_scale(&mut self, ctx: &mut Ctx<'_>, plan: &mut Plan) {
        let r = plan.replicas;
        let active: Vec<usize> = {
            let all: Vec<&ReplicaSet> = plan.all().collect();
            (0..all.len())
                .filter(|&i| rs_replicas(all[i]) > 0)
                .collect()
        };
        let mut all: Vec<ReplicaSet> = plan.all().cloned().collect();
        if active.len() <= 1 {
            // FindActiveOrLatest: the active one, else the new RS, else the newest old one.
            let latest = if plan.new_rs.is_some() {
                0
            } else {
                all.len().saturating_sub(1)
            };
            let i = active.first().copied().unwrap_or(latest);
            if let Some(mut rs) = all.get(i).cloned() {
                self.scale(ctx, plan, &mut rs, r);
                all[i] = rs;
            }
        } else {
            let saturated = plan.new_rs.as_ref().is_some_and(|n| {
                // IsSaturated: replicas, desired-replicas annotation and availability.
                rs_replicas(n) == r
                    && rs_available(n) == r
                    && annotations::parse::<i32>(&n.metadata, DESIRED_REPLICAS) == Some(r)
            });
            if saturated {
                for rs in all.iter_mut().skip(1) {
                    if rs_replicas(rs) > 0 {
                        self.scale(ctx, plan, rs, 0);
                    }
                }
            } else {
                let rolling = plan
                    .d
                    .spec
                    .as_ref()
                    .and_then(|s| s.strategy.as_ref())
                    .and_then(|s| s.type_.as_deref())
                    == Some("RollingUpdate");
                if rolling {
                    let shares: Vec<Share> = active
                        .iter()
                        .map(|&i| Share {
                            replicas: rs_replicas(&all[i]),
                            max_annotation: annotations::parse(&all[i].metadata, MAX_REPLICAS),
                            created: created(&all[i].metadata),
                            name: all[i].metadata.name.clone().unwrap_or_default(),
                        })
                        .collect();
                    let status_replicas =
                        plan.d.status.as_ref().and_then(|s| s.replicas).unwrap_or(0);
                    for (k, to) in proportional_sizes(&shares, r, plan.surge, status_replicas) {
                        let i = active[k];
                        let mut rs = all[i].clone();
                        self.scale(ctx, plan, &mut rs, to);
                        all[i] = rs;
                    }
                }
            }
        }
        if plan.new_rs.is_some() {
            plan.new_rs = Some(all.remove(0));
        }
        plan.old = all;
    }

    pub(super) fn is_complete(&self, plan: &Plan) -> bool {
        let r = plan.replicas;
        let new = plan.new_rs.as_ref();
        let updated = new
            .and_then(|rs| rs.status.as_ref())
            .map_or(0, |s| s.replicas);
        let total: i32 = plan
            .all()
            .map(|rs| rs.status.as_ref().map_or(0, |s| s.replicas))
            .sum();
        let available: i32 = plan.all().map(rs_available).sum();
        updated == r && total == r && available == r
    }

    /// Revision history cleanup (sync.go cleanupDeployment).
    pub(super) fn cleanup(&mut self, ctx: &mut Ctx<'_>, plan: &Plan) {
        let Some(limit) = plan.d.spec.as_ref().and_then(|s| s.revision_history_limit) else {
            return;
        };
        let mut candidates: Vec<&ReplicaSet> = plan
            .old
            .iter()
            .filter(|rs| rs.metadata.deletion_timestamp.is_none())
            .collect();
        let diff = candidates.len() as i64 - i64::from(limit);
        if diff <= 0 {
            return;
        }
        candidates.sort_by(|a, b| {
            (revision_of(a), created(&a.metadata)).cmp(&(revision_of(b), created(&b.metadata)))
        });
        for rs in candidates.into_iter().take(diff as usize) {
            let idle = rs_replicas(rs) == 0
                && rs.status.as_ref().map_or(0, |s| s.replicas) == 0
                && rs.metadata.generation <= rs.status.as_ref().and_then(|s| s.observed_generation);
            if idle {
                let key = ObjectKey::new(
                    Kind::ReplicaSet,
                    plan.d_obj.namespace(),
                    rs.metadata.name.clone().unwrap_or_default(),
                );
                ctx.send(Request::Delete {
                    key,
                    options: DeleteOptions::default(),
                });
            }
        }
    }
}
