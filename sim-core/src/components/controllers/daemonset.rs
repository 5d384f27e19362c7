//! The DaemonSet controller (pkg/controller/daemon), reduced to what a
//! kubeadm cluster needs: one pod per eligible node (node selector matched,
//! NoSchedule/NoExecute taints tolerated), removed when the node goes, and
//! the DaemonSet status.
//!
//! The real controller creates each pod with a required node affinity on
//! `metadata.name` and lets the default scheduler bind it; kubesim creates the
//! same pod with that affinity and `spec.nodeName` already set (see
//! docs/fidelity.md).

use super::ControllerTag;
use crate::components::Tag;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::{
    Affinity, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod,
    Toleration,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::controller_utils::is_active;
use super::{Informers, PodCreations, WorkQueue};
use crate::api::conditions::pod_ready_since;
use crate::api::meta::{controller_of, owner_reference};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{ApiResult, DeleteOptions, Request};
use crate::components::event_recorder::EventRecorder;
use crate::components::scheduler::plugins::taint_toleration::tolerates;
use crate::components::{Ctx, WatchEvent};
use crate::etcd::ChangeType;

/// The controller.
pub(crate) struct DaemonSetController {
    recorder: EventRecorder,
    creations: PodCreations,
    queue: WorkQueue,
    all: bool,
    pending: BTreeSet<(String, String)>,
}

/// The tolerations the DaemonSet controller adds to every daemon pod
/// (pkg/controller/daemon/util: AddOrUpdateDaemonPodTolerations).
fn daemon_tolerations() -> Vec<Toleration> {
    let t = |key: &str, effect: &str| Toleration {
        key: Some(key.into()),
        operator: Some("Exists".into()),
        effect: Some(effect.into()),
        value: None,
        toleration_seconds: None,
    };
    vec![
        t("node.kubernetes.io/not-ready", "NoExecute"),
        t("node.kubernetes.io/unreachable", "NoExecute"),
        t("node.kubernetes.io/disk-pressure", "NoSchedule"),
        t("node.kubernetes.io/memory-pressure", "NoSchedule"),
        t("node.kubernetes.io/pid-pressure", "NoSchedule"),
        t("node.kubernetes.io/unschedulable", "NoSchedule"),
    ]
}

impl DaemonSetController {
    /// A controller recording events with `recorder`.
    pub(crate) fn new(recorder: EventRecorder) -> Self {
        Self {
            recorder,
            creations: PodCreations::new(ControllerTag::DaemonSetCreate),
            queue: WorkQueue::default(),
            all: false,
            pending: BTreeSet::new(),
        }
    }

    /// The response to a pod creation. Returns false when the tag is not this controller's.
    pub(crate) fn on_response(&mut self, ctx: &mut Ctx<'_>, tag: Tag, result: &ApiResult) -> bool {
        match self
            .creations
            .on_response(ctx, &mut self.recorder, tag, result)
        {
            None => false,
            Some((ds, failed)) => {
                if failed {
                    // Forget the DaemonSet's creations in flight so that the
                    // next sync creates the missing pods again.
                    self.pending.retain(|(uid, _)| uid != ds.uid());
                    self.all = true;
                }
                true
            }
        }
    }

    /// Queues the DaemonSets a change concerns.
    pub(crate) fn observe(&mut self, event: &WatchEvent) {
        let obj = &event.object;
        match obj.kind() {
            Kind::DaemonSet if event.change != ChangeType::Deleted => {
                self.queue.add(ObjectKey::of(obj))
            }
            Kind::Node => self.all = true,
            Kind::Pod => {
                if let Some(owner) = controller_of(obj.meta()).filter(|r| r.kind == "DaemonSet") {
                    if event.change == ChangeType::Added {
                        let node = obj.field("spec.nodeName").unwrap_or_default();
                        self.pending.remove(&(owner.uid.clone(), node));
                    }
                    self.queue.add(ObjectKey::new(
                        Kind::DaemonSet,
                        obj.namespace(),
                        owner.name.clone(),
                    ));
                }
            }
            _ => {}
        }
    }

    /// Syncs dirty DaemonSets.
    pub(crate) fn sync(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        if std::mem::take(&mut self.all) {
            for ds in informers.of(Kind::DaemonSet).iter() {
                self.queue.add(ObjectKey::of(ds));
            }
        }
        for key in self.queue.drain() {
            let Some(obj) = informers.of(Kind::DaemonSet).get(&key).cloned() else {
                continue;
            };
            let Object::DaemonSet(ds) = &*obj else {
                continue;
            };
            if obj.meta().deletion_timestamp.is_some() {
                continue;
            }
            self.sync_one(ctx, informers, &obj, ds);
        }
    }

    fn sync_one(&mut self, ctx: &mut Ctx<'_>, informers: &Informers, obj: &Object, ds: &DaemonSet) {
        let spec = ds.spec.clone().unwrap_or_default();
        let template = spec.template.clone();
        let pod_spec = template.spec.clone().unwrap_or_default();
        let mut tolerations = pod_spec.tolerations.clone().unwrap_or_default();
        for t in daemon_tolerations() {
            if !tolerations
                .iter()
                .any(|x| x.key == t.key && x.effect == t.effect)
            {
                tolerations.push(t);
            }
        }
        let mut pods_by_node: BTreeMap<String, Vec<&Object>> = BTreeMap::new();
        let pods: Vec<_> = informers
            .of(Kind::Pod)
            .iter()
            .filter(|p| {
                p.namespace() == obj.namespace()
                    && controller_of(p.meta()).is_some_and(|r| r.uid == obj.uid())
            })
            .cloned()
            .collect();
        for p in &pods {
            if p.as_pod().is_some_and(is_active) {
                pods_by_node
                    .entry(p.field("spec.nodeName").unwrap_or_default())
                    .or_default()
                    .push(p);
            }
        }
        let (mut desired, mut current, mut ready) = (0, 0, 0);
        for node in informers.of(Kind::Node).iter() {
            let Some(n) = node.as_node() else { continue };
            let selector_ok = pod_spec
                .node_selector
                .iter()
                .flatten()
                .all(|(k, v)| node.labels().get(k) == Some(v));
            let taints = n
                .spec
                .as_ref()
                .and_then(|s| s.taints.clone())
                .unwrap_or_default();
            let tolerated = taints
                .iter()
                .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
                .all(|t| tolerations.iter().any(|tol| tolerates(tol, t)));
            if !(selector_ok && tolerated) {
                continue;
            }
            desired += 1;
            let name = node.name().to_owned();
            match pods_by_node.get(&name) {
                Some(list) if !list.is_empty() => {
                    current += 1;
                    if list
                        .iter()
                        .any(|p| p.as_pod().and_then(pod_ready_since).is_some())
                    {
                        ready += 1;
                    }
                }
                _ => {
                    if self.pending.insert((obj.uid().to_owned(), name.clone())) {
                        let pod = daemon_pod(obj, &template, &tolerations, &name);
                        self.creations.send(ctx, Arc::new(obj.clone()), pod);
                    }
                }
            }
        }
        // Pods on nodes that are gone.
        for (node, list) in &pods_by_node {
            let exists = informers
                .of(Kind::Node)
                .get(&ObjectKey::new(Kind::Node, "", node.clone()))
                .is_some();
            if !exists {
                for p in list {
                    ctx.send(Request::Delete {
                        key: ObjectKey::of(p),
                        options: DeleteOptions::default(),
                    });
                }
            }
        }
        let status = DaemonSetStatus {
            current_number_scheduled: current,
            desired_number_scheduled: desired,
            number_ready: ready,
            number_available: Some(ready),
            number_unavailable: (desired - ready > 0).then_some(desired - ready),
            number_misscheduled: 0,
            updated_number_scheduled: Some(current),
            observed_generation: obj.meta().generation,
            ..Default::default()
        };
        if ds.status.as_ref() != Some(&status) {
            let mut updated = ds.clone();
            updated.status = Some(status);
            updated.metadata.resource_version = None;
            ctx.send(Request::UpdateStatus(Object::from(updated)));
        }
    }
}

fn daemon_pod(
    owner: &Object,
    template: &k8s_openapi::api::core::v1::PodTemplateSpec,
    tolerations: &[Toleration],
    node: &str,
) -> Pod {
    let meta = template.metadata.clone().unwrap_or_default();
    let mut labels = meta.labels.unwrap_or_default();
    let generation = owner.meta().generation.unwrap_or(1);
    let hash = super::deployment::template_hash(template, None);
    labels.insert("controller-revision-hash".into(), hash);
    labels.insert("pod-template-generation".into(), generation.to_string());
    let mut spec = template.spec.clone().unwrap_or_default();
    spec.tolerations = Some(tolerations.to_vec());
    spec.affinity = Some(Affinity {
        node_affinity: Some(NodeAffinity {
            required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                node_selector_terms: vec![NodeSelectorTerm {
                    match_fields: Some(vec![NodeSelectorRequirement {
                        key: "metadata.name".into(),
                        operator: "In".into(),
                        values: Some(vec![node.to_owned()]),
                    }]),
                    match_expressions: None,
                }],
            }),
            preferred_during_scheduling_ignored_during_execution: None,
        }),
        ..Default::default()
    });
    spec.node_name = Some(node.to_owned());
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-", owner.name())),
            namespace: Some(owner.namespace().to_owned()),
            labels: Some(labels),
            annotations: meta.annotations,
            owner_references: Some(vec![owner_reference(owner, true)]),
            ..Default::default()
        },
        spec: Some(spec),
        status: None,
    }
}
