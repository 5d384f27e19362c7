//! The Deployment controller (pkg/controller/deployment): rolling updates with
//! the real maxSurge/maxUnavailable resolution, Recreate, proportional scaling,
//! pod-template-hash naming, revision annotations, history cleanup, pause, and
//! the Available and Progressing conditions. Its ReplicaSets are claimed by
//! controllerRef uid, adopting selected orphans and releasing unselected
//! children (`ClaimReplicaSets`).
//!
//! ReplicaSet writes carry the resourceVersion of the cached object, so a
//! decision made on a stale view fails with 409 Conflict instead of acting
//! twice; the next watch event brings a fresh sync, as in the real controller.

mod progress;
mod rollout;
mod util;

pub use util::{
    append_revision_history, max_surge, max_unavailable, proportional_sizes, resolve_fenceposts,
    scaled_value, template_hash, Share,
};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::{ControllerTag, Informers, Requeue, WorkQueue};
use crate::api::annotations::{self, DESIRED_REPLICAS, MAX_REPLICAS, REVISION, REVISION_HISTORY};
use crate::api::labels::Selector;
use crate::api::meta::{controller_of, owner_reference, sim_time_of};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{PatchType, Request};
use crate::components::event_recorder::EventRecorder;
use crate::components::Tag;
use crate::components::{Ctx, WatchEvent};
use crate::etcd::ChangeType;
use crate::time::SimTime;

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
                match controller_of(obj.meta()) {
                    Some(owner) if owner.kind == "Deployment" => self.queue.add(ObjectKey::new(
                        Kind::Deployment,
                        obj.namespace(),
                        owner.name.clone(),
                    )),
                    Some(_) => {}
                    // An orphan: the Deployments selecting it may adopt it
                    // (getDeploymentsForReplicaSet, which skips empty selectors).
                    None if event.change != ChangeType::Deleted => {
                        for d in informers.of(Kind::Deployment).iter() {
                            let Object::Deployment(dep) = &**d else {
                                continue;
                            };
                            let selects = dep.spec.as_ref().is_some_and(|s| {
                                Selector::from_label_selector(&s.selector).is_ok_and(|sel| {
                                    !sel.is_everything()
                                        && sel.matches_opt(obj.meta().labels.as_ref())
                                })
                            });
                            if d.namespace() == obj.namespace() && selects {
                                self.queue.add(ObjectKey::of(d));
                            }
                        }
                    }
                    None => {}
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
        let mut rss = self.claim_replica_sets(ctx, informers, &d_obj, &spec.selector);
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
        let mut plan = Plan {
            replicas: spec.replicas.unwrap_or(1),
            surge: max_surge(&d),
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
        } else if resolve_fenceposts(&d).is_ok() {
            self.rollout_rolling(ctx, &mut plan);
        }
        // Else maxSurge or maxUnavailable is neither an int nor a percentage,
        // which the API server refuses (only an object stored before that
        // validation gets here). rolloutRolling then fails in
        // NewRSNewReplicas (GetScaledValueFromIntOrPercent of maxSurge) and
        // syncDeployment returns the error, writing nothing and retrying
        // with back-off until the Deployment changes; reading the value as 0
        // would instead roll out with surge 0, unavailable 1. (For a bad
        // maxUnavailable alone the real controller gets a little further,
        // taking it as 0 when scaling old ReplicaSets down; the sync is
        // skipped here too.)
    }

    /// `getReplicaSetsForDeployment`: the ReplicaSets of the namespace as
    /// `ClaimReplicaSets` claims them (pkg/controller/controller_ref_manager.go
    /// ClaimObject), matching the controllerRef by uid. Owned and selected:
    /// kept. Owned but no longer selected: released (the ownerReference
    /// deleted by a patch) unless the Deployment is being deleted. An orphan
    /// the selector matches is adopted (a strategic merge patch adding the
    /// controllerRef) and kept, unless the Deployment or the ReplicaSet is
    /// being deleted. Owned by another controller: ignored. (The real
    /// adoption first re-reads the Deployment from the API server,
    /// `RecheckDeletionTimestamp`; kubesim trusts its cache.)
    fn claim_replica_sets(
        &mut self,
        ctx: &mut Ctx<'_>,
        informers: &Informers,
        d_obj: &Arc<Object>,
        selector: &LabelSelector,
    ) -> Vec<ReplicaSet> {
        let selector = Selector::from_label_selector(selector).ok();
        let deleting = d_obj.meta().deletion_timestamp.is_some();
        let mut claimed = Vec::new();
        for o in informers.of(Kind::ReplicaSet).iter() {
            let Object::ReplicaSet(rs) = &**o else {
                continue;
            };
            if o.namespace() != d_obj.namespace() {
                continue;
            }
            let selected = selector
                .as_ref()
                .is_some_and(|s| s.matches_opt(o.meta().labels.as_ref()));
            match controller_of(o.meta()) {
                Some(r) if r.uid != d_obj.uid() => {}
                Some(_) if selected || selector.is_none() => claimed.push((**rs).clone()),
                Some(_) if deleting => {}
                Some(_) => {
                    let patch = serde_json::json!({"metadata": {
                        "ownerReferences": [{"$patch": "delete", "uid": d_obj.uid()}],
                        "uid": o.uid(),
                    }});
                    ctx.send(Request::PatchAs {
                        key: ObjectKey::of(o),
                        patch,
                        patch_type: PatchType::Strategic,
                    });
                }
                None if !selected || deleting || o.meta().deletion_timestamp.is_some() => {}
                None => {
                    let owner = owner_reference(d_obj, true);
                    let patch = serde_json::json!({"metadata": {
                        "ownerReferences": [owner],
                        "uid": o.uid(),
                    }});
                    ctx.send(Request::PatchAs {
                        key: ObjectKey::of(o),
                        patch,
                        patch_type: PatchType::Strategic,
                    });
                    let mut adopted = (**rs).clone();
                    adopted.metadata.owner_references = Some(vec![owner]);
                    claimed.push(adopted);
                }
            }
        }
        claimed
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
}
