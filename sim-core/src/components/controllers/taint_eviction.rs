//! The taint eviction controller (pkg/controller/tainteviction): pods on
//! nodes with NoExecute taints are deleted at once when some taint is not
//! tolerated, otherwise after the smallest matching `tolerationSeconds`
//! (counted from when the controller saw the taint; no seconds = never).
//! The deletion is cancelled when the taints go. Before deleting it records
//! `TaintManagerEviction` ("Marking for deletion Pod ns/name") and sets the
//! pod's `DisruptionTarget` condition (reason `DeletionByTaintManager`); the
//! delete itself is graceful.

use super::{ControllerTag, Serials};
use crate::components::Tag;
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PodCondition, Taint, Toleration};

use super::Informers;
use crate::api::meta::time;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{DeleteOptions, Request};
use crate::components::event_recorder::EventRecorder;
use crate::components::scheduler::plugins::taint_toleration::tolerates;
use crate::components::{Ctx, WatchEvent};
use crate::etcd::ChangeType;
use crate::event_queue::EventId;
use crate::time::{SimDuration, SimTime};

#[derive(Debug)]
struct Work {
    created: SimTime,
    fire: SimTime,
    /// The pending timer, None once the deletion ran.
    timer: Option<(Tag, EventId)>,
}

/// The controller.
#[derive(Debug)]
pub(crate) struct TaintEvictionController {
    recorder: EventRecorder,
    tainted: BTreeMap<String, Vec<Taint>>,
    work: BTreeMap<ObjectKey, Work>,
    timers: BTreeMap<Tag, ObjectKey>,
    serials: Serials,
    dirty_nodes: Vec<String>,
    dirty_pods: Vec<ObjectKey>,
}

impl Default for TaintEvictionController {
    fn default() -> Self {
        Self {
            recorder: EventRecorder::new("taint-eviction-controller", None),
            tainted: BTreeMap::new(),
            work: BTreeMap::new(),
            timers: BTreeMap::new(),
            serials: Serials::new(ControllerTag::TaintEviction),
            dirty_nodes: Vec::new(),
            dirty_pods: Vec::new(),
        }
    }
}

fn no_execute(obj: &Object) -> Vec<Taint> {
    obj.as_node()
        .and_then(|n| n.spec.as_ref())
        .and_then(|s| s.taints.as_ref())
        .map(|ts| {
            ts.iter()
                .filter(|t| t.effect == "NoExecute")
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// `getMinTolerationTime`: None = tolerated forever.
fn min_toleration(used: &[&Toleration]) -> Option<SimDuration> {
    let mut min: Option<i64> = None;
    for t in used {
        if let Some(s) = t.toleration_seconds {
            let s = s.max(0);
            min = Some(min.map_or(s, |m| m.min(s)));
        }
    }
    if used.is_empty() {
        return Some(SimDuration::ZERO);
    }
    min.map(|s| SimDuration::from_secs(u64::try_from(s).unwrap_or(0)))
}

impl TaintEvictionController {
    /// Notes node taint changes and pod changes.
    pub(crate) fn observe(&mut self, event: &WatchEvent, prev: Option<&Object>) {
        let obj = &event.object;
        match obj.kind() {
            Kind::Node => {
                let name = obj.name().to_owned();
                let taints = if event.change == ChangeType::Deleted {
                    Vec::new()
                } else {
                    no_execute(obj)
                };
                let old = prev.map(no_execute).unwrap_or_default();
                if taints.is_empty() {
                    self.tainted.remove(&name);
                } else {
                    self.tainted.insert(name.clone(), taints.clone());
                }
                if old != taints {
                    self.dirty_nodes.push(name);
                }
            }
            Kind::Pod => {
                let key = ObjectKey::of(obj);
                if event.change == ChangeType::Deleted {
                    self.cancel(&key, None);
                } else {
                    self.dirty_pods.push(key);
                }
            }
            _ => {}
        }
    }

    fn cancel(&mut self, key: &ObjectKey, ctx: Option<(&mut Ctx<'_>, &Object)>) {
        if let Some(w) = self.work.remove(key) {
            if let Some((tag, id)) = w.timer {
                self.timers.remove(&tag);
                if let Some((ctx, pod)) = ctx {
                    ctx.cancel_timer(id);
                    self.recorder.record(
                        ctx,
                        pod,
                        "Normal",
                        "TaintManagerEviction",
                        format!("Cancelling deletion of Pod {}/{}", key.namespace, key.name),
                    );
                }
            }
        }
    }

    /// `processPodOnNode` for the pods whose node or self changed.
    pub(crate) fn sync(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        let mut pods: Vec<ObjectKey> = std::mem::take(&mut self.dirty_pods);
        let nodes: std::collections::BTreeSet<String> =
            std::mem::take(&mut self.dirty_nodes).into_iter().collect();
        if !nodes.is_empty() {
            for obj in informers.of(Kind::Pod).iter() {
                let node = obj
                    .as_pod()
                    .and_then(|p| p.spec.as_ref())
                    .and_then(|s| s.node_name.as_deref());
                if node.is_some_and(|n| nodes.contains(n)) {
                    pods.push(ObjectKey::of(obj));
                }
            }
        }
        pods.sort();
        pods.dedup();
        let now = ctx.now();
        for key in pods {
            let Some(obj) = informers.of(Kind::Pod).get(&key).cloned() else {
                continue;
            };
            let Some(pod) = obj.as_pod() else { continue };
            let spec = pod.spec.as_ref();
            let Some(node) = spec.and_then(|s| s.node_name.as_deref()) else {
                continue;
            };
            let taints = self.tainted.get(node).cloned().unwrap_or_default();
            if taints.is_empty() {
                self.cancel(&key, Some((ctx, &obj)));
                continue;
            }
            let tolerations = spec.and_then(|s| s.tolerations.as_deref()).unwrap_or(&[]);
            let mut used: Vec<&Toleration> = Vec::new();
            let mut all = true;
            for t in &taints {
                let matching: Vec<&Toleration> =
                    tolerations.iter().filter(|tol| tolerates(tol, t)).collect();
                if matching.is_empty() {
                    all = false;
                }
                used.extend(matching);
            }
            let wait = if all {
                match min_toleration(&used) {
                    Some(d) => d,
                    None => {
                        self.cancel(&key, Some((ctx, &obj)));
                        continue;
                    }
                }
            } else {
                SimDuration::ZERO
            };
            let mut start = now;
            if let Some(w) = self.work.get(&key) {
                if w.timer.is_none() {
                    continue; // already done, as the timed worker queue keeps it
                }
                start = w.created;
                if w.fire <= start + wait && all {
                    continue;
                }
                if !all && w.fire <= now {
                    continue;
                }
                self.cancel(&key, None);
            }
            let fire = if all { start + wait } else { now };
            let tag = self.serials.take();
            let id = ctx.set_timer(fire.saturating_since(now), tag);
            self.timers.insert(tag, key.clone());
            self.work.insert(
                key,
                Work {
                    created: start,
                    fire,
                    timer: Some((tag, id)),
                },
            );
        }
    }

    /// A deletion is due: records the event, sets DisruptionTarget and
    /// deletes.
    pub(crate) fn on_timer(&mut self, ctx: &mut Ctx<'_>, informers: &Informers, tag: Tag) {
        let Some(key) = self.timers.remove(&tag) else {
            return;
        };
        if let Some(w) = self.work.get_mut(&key) {
            w.timer = None;
        }
        let Some(obj) = informers.of(Kind::Pod).get(&key).cloned() else {
            return;
        };
        self.recorder.record(
            ctx,
            &obj,
            "Normal",
            "TaintManagerEviction",
            format!("Marking for deletion Pod {}/{}", key.namespace, key.name),
        );
        ctx.trace(
            "taint-evict",
            key.to_string(),
            "NoExecute taint not tolerated".into(),
        );
        if let Some(pod) = obj.as_pod() {
            let mut pod = pod.clone();
            let status = pod.status.get_or_insert_with(Default::default);
            let conds = status.conditions.get_or_insert_with(Vec::new);
            let cond = PodCondition {
                type_: "DisruptionTarget".into(),
                status: "True".into(),
                reason: Some("DeletionByTaintManager".into()),
                message: Some("Taint manager: deleting due to NoExecute taint".into()),
                last_transition_time: Some(time(ctx.now())),
                ..Default::default()
            };
            let changed = match conds.iter_mut().find(|c| c.type_ == "DisruptionTarget") {
                Some(c) if c.status == "True" => false,
                Some(c) => {
                    *c = cond;
                    true
                }
                None => {
                    conds.push(cond);
                    true
                }
            };
            if changed {
                pod.metadata.resource_version = None;
                ctx.send(Request::UpdateStatus(Object::from(pod)));
            }
        }
        ctx.send(Request::Delete {
            key,
            options: DeleteOptions::default(),
        });
    }
}
