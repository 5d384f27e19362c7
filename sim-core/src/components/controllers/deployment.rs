//! The Deployment controller (pkg/controller/deployment): rolling updates with
//! the real maxSurge/maxUnavailable resolution, Recreate, proportional scaling,
//! pod-template-hash naming, revision annotations, history cleanup, pause, and
//! the Available and Progressing conditions.
//!
//! ReplicaSet writes carry the resourceVersion of the cached object, so a
//! decision made on a stale view fails with 409 Conflict instead of acting
//! twice; the next watch event brings a fresh sync, as in the real controller.

use super::ControllerTag;
use crate::components::Tag;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet, ReplicaSetSpec,
};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Informers, Requeue, WorkQueue};
use crate::api::annotations::{self, DESIRED_REPLICAS, MAX_REPLICAS, REVISION, REVISION_HISTORY};
use crate::api::meta::{controller_of, owner_reference, sim_time_of, time, NAME_SUFFIX_ALPHABET};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{DeleteOptions, Request};
use crate::components::event_recorder::EventRecorder;
use crate::components::{Ctx, WatchEvent};
use crate::etcd::ChangeType;
use crate::time::{SimDuration, SimTime};

/// The label that ties a ReplicaSet and its pods to one pod template.
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";

const SKIPPED_ANNOTATIONS: [&str; 6] = [
    annotations::LAST_APPLIED,
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
];

/// The controller.
pub struct DeploymentController {
    recorder: EventRecorder,
    queue: WorkQueue,
    requeue: Requeue,
    pending_rs: BTreeSet<ObjectKey>,
}

/// `GetScaledValueFromIntOrPercent`: ints as they are, percents of `total`
/// rounded up or down.
pub fn scaled_value(v: Option<&IntOrString>, total: i32, round_up: bool) -> i32 {
    match v {
        None => 0,
        Some(IntOrString::Int(i)) => *i,
        Some(IntOrString::String(s)) => {
            let pct: i64 = s.trim_end_matches('%').parse().unwrap_or(0);
            let num = pct * i64::from(total);
            let v = if round_up {
                (num + 99).div_euclid(100)
            } else {
                num.div_euclid(100)
            };
            i32::try_from(v).unwrap_or(i32::MAX)
        }
    }
}

/// `ResolveFenceposts`: (maxSurge, maxUnavailable) for `replicas`, with the 0/0 rule.
pub fn resolve_fenceposts(d: &Deployment) -> (i32, i32) {
    let spec = d.spec.as_ref();
    let replicas = spec.and_then(|s| s.replicas).unwrap_or(1);
    let strategy = spec.and_then(|s| s.strategy.as_ref());
    if strategy.and_then(|s| s.type_.as_deref()) != Some("RollingUpdate") {
        return (0, 0);
    }
    let ru = strategy.and_then(|s| s.rolling_update.as_ref());
    let surge = scaled_value(ru.and_then(|r| r.max_surge.as_ref()), replicas, true);
    let mut unavailable =
        scaled_value(ru.and_then(|r| r.max_unavailable.as_ref()), replicas, false);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable)
}

/// `MaxUnavailable`: 0 for Recreate or zero replicas, else at most `replicas`.
pub fn max_unavailable(d: &Deployment) -> i32 {
    let replicas = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    if replicas == 0 {
        return 0;
    }
    resolve_fenceposts(d).1.min(replicas)
}

/// The pod-template-hash of a template: FNV-32a of its canonical JSON (and the
/// collision count), printed in decimal and mapped through SafeEncodeString,
/// so it uses only the characters `4-9bcdf` as the real hash does.
pub fn template_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let mut h: u32 = 0x811c_9dc5;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u32::from(*b);
            h = h.wrapping_mul(0x0100_0193);
        }
    };
    feed(
        serde_json::to_string(template)
            .unwrap_or_default()
            .as_bytes(),
    );
    if let Some(c) = collision_count {
        let mut buf = [0u8; 8];
        buf[..4].copy_from_slice(&c.to_le_bytes());
        feed(&buf);
    }
    h.to_string()
        .bytes()
        .map(|b| char::from(NAME_SUFFIX_ALPHABET[usize::from(b) % NAME_SUFFIX_ALPHABET.len()]))
        .collect()
}

fn without_hash(t: &PodTemplateSpec) -> PodTemplateSpec {
    let mut t = t.clone();
    if let Some(labels) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        labels.remove(POD_TEMPLATE_HASH);
        if labels.is_empty() {
            if let Some(m) = t.metadata.as_mut() {
                m.labels = None;
            }
        }
    }
    t
}

fn rs_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0)
}

fn rs_available(rs: &ReplicaSet) -> i32 {
    rs.status
        .as_ref()
        .and_then(|s| s.available_replicas)
        .unwrap_or(0)
}

fn revision_of(rs: &ReplicaSet) -> i64 {
    annotations::parse(&rs.metadata, REVISION).unwrap_or(0)
}

fn created(meta: &ObjectMeta) -> SimTime {
    meta.creation_timestamp
        .as_ref()
        .map(|t| sim_time_of(&t.0))
        .unwrap_or(SimTime::ZERO)
}

/// One sync's working state: the RSs with the replica counts decided so far.
struct Plan {
    d: Deployment,
    d_obj: Arc<Object>,
    replicas: i32,
    surge: i32,
    new_rs: Option<ReplicaSet>,
    old: Vec<ReplicaSet>,
    /// The name of the new RS this sync created (getNewReplicaSet then sets
    /// Progressing to NewReplicaSetCreated, refreshing the progress clock).
    created: Option<String>,
}

impl Plan {
    fn all(&self) -> impl Iterator<Item = &ReplicaSet> {
        self.new_rs.iter().chain(self.old.iter())
    }
}

impl DeploymentController {
    /// A controller recording events with `recorder`.
    pub fn new(recorder: EventRecorder) -> Self {
        Self {
            recorder,
            queue: WorkQueue::default(),
            requeue: Requeue::new(ControllerTag::DeploymentRequeue),
            pending_rs: BTreeSet::new(),
        }
    }

    /// A timer of this controller fired; true when it asks for a sync.
    pub fn on_timer(&mut self, tag: Tag) -> bool {
        self.requeue.fire(tag, &mut self.queue)
    }

    /// Queues the deployments a change concerns.
    pub fn observe(&mut self, event: &WatchEvent, informers: &Informers) {
        let obj = &event.object;
        match obj.kind() {
            Kind::Deployment if event.change != ChangeType::Deleted => {
                self.queue.add(ObjectKey::of(obj))
            }
            Kind::ReplicaSet => {
                self.pending_rs.remove(&ObjectKey::of(obj));
                if let Some(owner) = controller_of(obj.meta()).filter(|r| r.kind == "Deployment") {
                    self.queue.add(ObjectKey::new(
                        Kind::Deployment,
                        obj.namespace(),
                        owner.name.clone(),
                    ));
                }
            }
            Kind::Pod if event.change == ChangeType::Deleted => {
                // Recreate waits for old pods to be gone.
                let Some(rs_ref) = controller_of(obj.meta()).filter(|r| r.kind == "ReplicaSet")
                else {
                    return;
                };
                let rs_key = ObjectKey::new(Kind::ReplicaSet, obj.namespace(), rs_ref.name.clone());
                if let Some(rs) = informers.of(Kind::ReplicaSet).get(&rs_key) {
                    if let Some(owner) = controller_of(rs.meta()).filter(|r| r.kind == "Deployment")
                    {
                        self.queue.add(ObjectKey::new(
                            Kind::Deployment,
                            obj.namespace(),
                            owner.name.clone(),
                        ));
                    }
                }
            }
            _ => {}
        }
    }

    /// Syncs dirty deployments.
    pub fn sync(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        for key in self.queue.drain() {
            let Some(obj) = informers.of(Kind::Deployment).get(&key).cloned() else {
                continue;
            };
            let Object::Deployment(d) = &*obj else {
                continue;
            };
            self.sync_one(ctx, informers, obj.clone(), (**d).clone());
        }
    }

    fn sync_one(
        &mut self,
        ctx: &mut Ctx<'_>,
        informers: &Informers,
        d_obj: Arc<Object>,
        d: Deployment,
    ) {
        let spec = d.spec.clone().unwrap_or_default();
        let mut rss: Vec<ReplicaSet> = informers
            .of(Kind::ReplicaSet)
            .iter()
            .filter(|o| o.namespace() == d_obj.namespace())
            .filter(|o| controller_of(o.meta()).is_some_and(|r| r.uid == d_obj.uid()))
            .filter_map(|o| match &**o {
                Object::ReplicaSet(rs) => Some((**rs).clone()),
                _ => None,
            })
            .collect();
        rss.sort_by(|a, b| {
            (created(&a.metadata), &a.metadata.name).cmp(&(created(&b.metadata), &b.metadata.name))
        });
        let template = without_hash(&spec.template);
        let new_idx = rss.iter().position(|rs| {
            rs.spec
                .as_ref()
                .and_then(|s| s.template.as_ref())
                .is_some_and(|t| without_hash(t) == template)
        });
        let new_rs = new_idx.map(|i| rss.remove(i));
        let (surge, _) = resolve_fenceposts(&d);
        let mut plan = Plan {
            replicas: spec.replicas.unwrap_or(1),
            surge,
            d: d.clone(),
            d_obj: d_obj.clone(),
            new_rs,
            old: rss,
            created: None,
        };
        if d_obj.meta().deletion_timestamp.is_some() {
            self.sync_status(ctx, &plan);
            return;
        }
        let paused = spec.paused.unwrap_or(false);
        let scaling_event = plan.all().filter(|rs| rs_replicas(rs) > 0).any(|rs| {
            annotations::parse::<i32>(&rs.metadata, DESIRED_REPLICAS) != Some(plan.replicas)
        });
        if paused || scaling_event {
            // sync.go sync: getAllReplicaSetsAndSyncRevision(false), scale,
            // cleanup when paused, syncDeploymentStatus (no progress check).
            self.sync_new_rs_revision(ctx, &mut plan);
            self.proportional_scale(ctx, &mut plan);
            if paused {
                self.cleanup(ctx, &plan);
            }
            self.write_status(ctx, &plan, false);
            return;
        }
        let recreate = spec.strategy.as_ref().and_then(|s| s.type_.as_deref()) == Some("Recreate");
        if recreate {
            self.rollout_recreate(ctx, informers, &mut plan);
        } else {
            self.rollout_rolling(ctx, &mut plan);
        }
    }

    fn scale(&mut self, ctx: &mut Ctx<'_>, plan: &Plan, rs: &mut ReplicaSet, to: i32) -> bool {
        let from = rs_replicas(rs);
        let desired = plan.replicas.to_string();
        let max = (plan.replicas + plan.surge).to_string();
        let ann = rs.metadata.annotations.get_or_insert_with(BTreeMap::new);
        let annotations_changed =
            ann.get(DESIRED_REPLICAS) != Some(&desired) || ann.get(MAX_REPLICAS) != Some(&max);
        if from == to && !annotations_changed {
            return false;
        }
        ann.insert(DESIRED_REPLICAS.into(), desired);
        ann.insert(MAX_REPLICAS.into(), max);
        rs.spec.get_or_insert_with(Default::default).replicas = Some(to);
        ctx.send(Request::Update(Object::from(rs.clone())));
        if from != to {
            let dir = if to > from { "up" } else { "down" };
            let name = rs.metadata.name.clone().unwrap_or_default();
            self.recorder.record(
                ctx,
                &plan.d_obj,
                "Normal",
                "ScalingReplicaSet",
                format!("Scaled {dir} replica set {name} to {to} from {from}"),
            );
            return true;
        }
        false
    }

    fn create_new_rs(&mut self, ctx: &mut Ctx<'_>, plan: &mut Plan, replicas: i32) {
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

    fn set_revision(&mut self, ctx: &mut Ctx<'_>, plan: &Plan, revision: i64) {
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
    fn sync_new_rs_revision(&mut self, ctx: &mut Ctx<'_>, plan: &mut Plan) {
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

    fn rollout_rolling(&mut self, ctx: &mut Ctx<'_>, plan: &mut Plan) {
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

    fn rollout_recreate(&mut self, ctx: &mut Ctx<'_>, informers: &Informers, plan: &mut Plan) {
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
    fn proportional_scale(&mut self, ctx: &mut Ctx<'_>, plan: &mut Plan) {
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

    fn is_complete(&self, plan: &Plan) -> bool {
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
    fn cleanup(&mut self, ctx: &mut Ctx<'_>, plan: &Plan) {
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

    fn sync_status(&mut self, ctx: &mut Ctx<'_>, plan: &Plan) {
        self.write_status(ctx, plan, true);
    }

    /// calculateStatus, then (with `progress`) syncRolloutStatus's
    /// Progressing condition; without it only checkPausedConditions runs.
    fn write_status(&mut self, ctx: &mut Ctx<'_>, plan: &Plan, progress: bool) {
        let now = ctx.now();
        let r = plan.replicas;
        let sum = |f: fn(&ReplicaSet) -> i32| plan.all().map(f).sum::<i32>();
        let replicas = sum(|rs| rs.status.as_ref().map_or(0, |s| s.replicas));
        let updated = plan
            .new_rs
            .as_ref()
            .and_then(|rs| rs.status.as_ref())
            .map_or(0, |s| s.replicas);
        let ready = sum(|rs| {
            rs.status
                .as_ref()
                .and_then(|s| s.ready_replicas)
                .unwrap_or(0)
        });
        let available = sum(rs_available);
        let total_spec = sum(rs_replicas);
        let old_status = plan.d.status.clone().unwrap_or_default();
        let mut conditions = old_status.conditions.clone().unwrap_or_default();
        let min_available = r - max_unavailable(&plan.d);
        let (st, reason, msg) = if available >= min_available {
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
        let rs_name = plan
            .new_rs
            .as_ref()
            .and_then(|rs| rs.metadata.name.clone())
            .unwrap_or_default();
        let deadline = plan
            .d
            .spec
            .as_ref()
            .and_then(|s| s.progress_deadline_seconds);
        let paused = plan.d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
        if let Some(deadline) = deadline.filter(|&s| s != i32::MAX) {
            let current = conditions
                .iter()
                .find(|c| c.type_ == "Progressing")
                .cloned();
            let current_reason = current
                .as_ref()
                .and_then(|c| c.reason.clone())
                .unwrap_or_default();
            let complete = updated == r && replicas == r && available == r;
            if paused {
                if current_reason != "DeploymentPaused"
                    && current_reason != "ProgressDeadlineExceeded"
                {
                    set_condition(
                        &mut conditions,
                        "Progressing",
                        "Unknown",
                        "DeploymentPaused",
                        "Deployment is paused",
                        now,
                    );
                }
            } else if current_reason == "DeploymentPaused" {
                set_condition(
                    &mut conditions,
                    "Progressing",
                    "Unknown",
                    "DeploymentResumed",
                    "Deployment is resumed",
                    now,
                );
            } else if !progress {
                // sync.go syncDeploymentStatus: the Progressing condition is kept.
            } else if !(replicas == updated && current_reason == "NewReplicaSetAvailable") {
                let progressed = updated > old_status.updated_replicas.unwrap_or(0)
                    || (replicas - updated)
                        < (old_status.replicas.unwrap_or(0)
                            - old_status.updated_replicas.unwrap_or(0))
                    || ready > old_status.ready_replicas.unwrap_or(0)
                    || available > old_status.available_replicas.unwrap_or(0);
                if complete && plan.new_rs.is_some() {
                    set_condition(
                        &mut conditions,
                        "Progressing",
                        "True",
                        "NewReplicaSetAvailable",
                        &format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
                        now,
                    );
                } else if let Some(created) = &plan.created {
                    set_condition(
                        &mut conditions,
                        "Progressing",
                        "True",
                        "NewReplicaSetCreated",
                        &format!("Created new replica set \"{created}\""),
                        now,
                    );
                } else if current.is_none() && plan.new_rs.is_none() {
                    // No new RS yet (Recreate waiting for old pods): nothing to report.
                } else if current.is_none() {
                    set_condition(
                        &mut conditions,
                        "Progressing",
                        "True",
                        "FoundNewReplicaSet",
                        &format!("Found new replica set \"{rs_name}\""),
                        now,
                    );
                } else if progressed {
                    update_progressing(
                        &mut conditions,
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
                        last_update + SimDuration::from_secs(u64::try_from(deadline).unwrap_or(0));
                    if due < now {
                        set_condition(
                            &mut conditions,
                            "Progressing",
                            "False",
                            "ProgressDeadlineExceeded",
                            &format!("ReplicaSet \"{rs_name}\" has timed out progressing."),
                            now,
                        );
                    } else {
                        let delay = due.saturating_since(now) + SimDuration::from_secs(1);
                        self.requeue.after(ctx, delay, ObjectKey::of(&plan.d_obj));
                    }
                }
            }
        }
        let status = DeploymentStatus {
            observed_generation: plan.d.metadata.generation,
            replicas: Some(replicas),
            updated_replicas: Some(updated),
            ready_replicas: Some(ready),
            available_replicas: Some(available),
            unavailable_replicas: Some((total_spec - available).max(0)),
            conditions: Some(conditions),
            collision_count: old_status.collision_count,
            terminating_replicas: None,
        };
        let normalized = |s: &DeploymentStatus| {
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
        };
        if plan.d.status.as_ref().map(normalized) != Some(normalized(&status)) {
            let mut d = plan.d.clone();
            d.status = Some(status);
            d.metadata.resource_version = None;
            ctx.send(Request::UpdateStatus(Object::from(d)));
        }
    }
}

/// One active ReplicaSet as proportional scaling sees it.
#[derive(Clone, Debug)]
pub struct Share {
    /// `spec.replicas`.
    pub replicas: i32,
    /// The `max-replicas` annotation, if parseable.
    pub max_annotation: Option<i32>,
    /// Creation time.
    pub created: SimTime,
    /// Name (the creation-time tie-breaker).
    pub name: String,
}

/// `sync.go scale`, RollingUpdate branch, for the active ReplicaSets
/// `shares`: (index into `shares`, new size) in the order the controller
/// writes them. `allowed = R + surge` (0 when R is 0); the RSs are sorted by
/// size, ties newer first when adding and older first when removing
/// (`ReplicaSetsBySizeNewer/Older`); each gets `GetProportion` of the
/// difference (`getReplicaSetFraction`: round(replicas * (R + surge) /
/// max-replicas annotation, falling back to status.replicas) - replicas);
/// the first takes the leftover, floored at 0.
pub fn proportional_sizes(
    shares: &[Share],
    replicas: i32,
    surge: i32,
    status_replicas: i32,
) -> Vec<(usize, i32)> {
    let allowed = if replicas == 0 { 0 } else { replicas + surge };
    let to_add = allowed - shares.iter().map(|s| s.replicas).sum::<i32>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&shares[a], &shares[b]);
        let by_age = (x.created, &x.name).cmp(&(y.created, &y.name));
        y.replicas
            .cmp(&x.replicas)
            .then(if to_add > 0 { by_age.reverse() } else { by_age })
    });
    let mut added = 0;
    let mut sizes: Vec<(usize, i32)> = Vec::with_capacity(order.len());
    for &i in &order {
        let s = &shares[i];
        if to_add == 0 {
            sizes.push((i, s.replicas));
            continue;
        }
        let proportion = if s.replicas == 0 || to_add == added {
            0
        } else {
            let fraction = if replicas == 0 {
                -s.replicas
            } else {
                let before = s
                    .max_annotation
                    .filter(|&m| m != 0)
                    .unwrap_or(status_replicas);
                if before == 0 {
                    0
                } else {
                    let exact =
                        f64::from(s.replicas) * f64::from(replicas + surge) / f64::from(before);
                    exact.round() as i32 - s.replicas
                }
            };
            if to_add > 0 {
                fraction.min(to_add - added)
            } else {
                fraction.max(to_add - added)
            }
        };
        sizes.push((i, s.replicas + proportion));
        added += proportion;
    }
    if let Some(first) = sizes.first_mut() {
        if to_add != 0 {
            first.1 = (first.1 + to_add - added).max(0);
        }
    }
    sizes
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

/// The longest revision-history annotation (sync.go maxRevHistoryLengthInChars).
const MAX_REV_HISTORY_LENGTH: usize = 2000;

/// `SetNewReplicaSetAnnotations`: `history` with `old` appended, dropping
/// the oldest entries while the result would exceed 2000 characters.
pub fn append_revision_history(history: &str, old: &str) -> String {
    if history.is_empty() {
        return old.to_owned();
    }
    let entries: Vec<&str> = history.split(',').collect();
    let mut total = history.len() + old.len() + 1;
    let mut start = 0;
    while total > MAX_REV_HISTORY_LENGTH && start < entries.len() {
        total -= entries[start].len() + 1;
        start += 1;
    }
    if total <= MAX_REV_HISTORY_LENGTH {
        let mut kept: Vec<&str> = entries[start..].to_vec();
        kept.push(old);
        kept.join(",")
    } else {
        old.to_owned()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::{DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment};

    fn d(replicas: i32, surge: &str, unavailable: &str) -> Deployment {
        Deployment {
            spec: Some(DeploymentSpec {
                replicas: Some(replicas),
                strategy: Some(DeploymentStrategy {
                    type_: Some("RollingUpdate".into()),
                    rolling_update: Some(RollingUpdateDeployment {
                        max_surge: Some(IntOrString::String(surge.into())),
                        max_unavailable: Some(IntOrString::String(unavailable.into())),
                    }),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn fenceposts_match_the_worked_values() {
        // k8s-semantics §1.2 (deployment_util.go ResolveFenceposts).
        for (r, surge, unavail) in [
            (1, 1, 0),
            (2, 1, 0),
            (3, 1, 0),
            (4, 1, 1),
            (10, 3, 2),
            (100, 25, 25),
        ] {
            assert_eq!(
                resolve_fenceposts(&d(r, "25%", "25%")),
                (surge, unavail),
                "R={r}"
            );
        }
        assert_eq!(
            resolve_fenceposts(&d(3, "0%", "25%")),
            (0, 1),
            "0/0 after rounding gives unavailable 1"
        );
        assert_eq!(max_unavailable(&d(0, "25%", "25%")), 0);
    }

    #[test]
    fn proportional_scaling_matches_the_documented_example() {
        // sync.go scale / deployment_util.go GetProportion, the example of the
        // Deployments concept page: R=10, maxSurge=3 mid-rollout with old 8 and
        // new 5 (max-replicas 13), scaled to 15: allowed 18, toAdd 5;
        // old: round(8*18/13 = 11.08) - 8 = 3; new: round(5*18/13 = 6.92) - 5 = 2.
        let at = |s| SimTime::ZERO + SimDuration::from_secs(s);
        let share = |replicas, created, name: &str| Share {
            replicas,
            max_annotation: Some(13),
            created: at(created),
            name: name.into(),
        };
        let shares = [share(5, 20, "new"), share(8, 10, "old")];
        assert_eq!(
            proportional_sizes(&shares, 15, 3, 13),
            vec![(1, 11), (0, 7)]
        );
        // Scaling down to R=5 (surge 3, allowed 8, toAdd -5), older first on ties:
        // old: max(round(8*8/13 = 4.92) - 8 = -3, -5) = -3; new: max(round(5*8/13 = 3.08) - 5 = -2, -2) = -2.
        assert_eq!(proportional_sizes(&shares, 5, 3, 13), vec![(1, 5), (0, 3)]);
        // Equal sizes: scaling up goes to the newer first, the leftover to it.
        let even = [share(2, 10, "a"), share(2, 20, "b")];
        // allowed 6 (R=5, surge 1), toAdd 2; b: round(2*6/13 = 0.92) - 2 = -1 -> min(-1, 2) = -1;
        // a: round(0.92) - 2 = -1 -> min(-1, 3) = -1; leftover 2 - (-2) = 4 to b: 2 - 1 + 4 = 5.
        assert_eq!(proportional_sizes(&even, 5, 1, 4), vec![(1, 5), (0, 1)]);
        // To zero: every RS gives up all its replicas.
        assert_eq!(proportional_sizes(&shares, 0, 3, 13), vec![(1, 0), (0, 0)]);
    }

    #[test]
    fn revision_history_appends_and_caps_at_2000_chars() {
        // deployment_util.go SetNewReplicaSetAnnotations (maxRevHistoryLengthInChars = 2000).
        assert_eq!(append_revision_history("", "1"), "1");
        assert_eq!(append_revision_history("1,3", "5"), "1,3,5");
        // "1,2,...,999" is 9 + 180 + 2700 digits + 998 commas = 3887 chars;
        // with ",1000" the total is 3892, so at least 1892 must go. Dropping
        // 1-9 frees 9*2 = 18, 10-99 frees 90*3 = 270 (288), then 4 per entry
        // from 100: ceil((1892 - 288) / 4) = 401 entries (100..=500), so the
        // first entry kept is 501.
        let long: Vec<String> = (1..=999).map(|i| i.to_string()).collect();
        let out = append_revision_history(&long.join(","), "1000");
        assert!(out.len() <= 2000, "{}", out.len());
        assert!(out.ends_with(",998,999,1000"));
        let first: i64 = out.split(',').next().unwrap().parse().unwrap();
        assert_eq!(first, 501);
    }

    #[test]
    fn template_hash_uses_the_safe_alphabet() {
        let h = template_hash(&PodTemplateSpec::default(), None);
        assert!(!h.is_empty() && h.len() <= 10);
        assert!(h.chars().all(|c| "456789bcdf".contains(c)), "{h}");
        assert_ne!(h, template_hash(&PodTemplateSpec::default(), Some(1)));
    }
}
