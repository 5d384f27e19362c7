//! The kubelet's admission of a pod bound to its node
//! (`lifecycle/predicate.go`): the requests of the admitted, non-terminal
//! pods plus the new one must fit allocatable, else the pod is rejected
//! (`OutOfcpu`, `OutOfmemory`, `OutOfpods`, ...) and marked Failed with the
//! real message. The sum of the admitted requests is kept as pods are
//! admitted, end and go, so admitting a pod costs the same on a node of ten
//! pods as on one of ten thousand.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;

use super::pod_worker::Worker;
use super::Kubelet;
use crate::api::resources::{pod_requests, Resources};
use crate::api::{Object, ObjectKey};
use crate::apiserver::Request;
use crate::components::Ctx;

impl Kubelet {
    /// The kubelet's resource admission of a pod bound to this node
    /// (lifecycle/predicate.go: the requests of the admitted, non-terminal
    /// pods plus this one against allocatable): the rejection reason and
    /// message when it does not fit.
    pub(super) fn admit(&self, pod: &Pod) -> Option<(String, String)> {
        let spec = pod.spec.as_ref()?;
        let allocatable = self.allocatable();
        let used = self.admitted;
        debug_assert_eq!(
            used,
            self.admitted_recounted(),
            "the admitted requests drifted"
        );
        let req = pod_requests(spec);
        let checks = [
            ("pods", 1, used.pods, allocatable.pods),
            (
                "cpu",
                req.cpu_millis,
                used.cpu_millis,
                allocatable.cpu_millis,
            ),
            (
                "memory",
                req.memory_bytes,
                used.memory_bytes,
                allocatable.memory_bytes,
            ),
            (
                "ephemeral-storage",
                req.ephemeral_storage_bytes,
                used.ephemeral_storage_bytes,
                allocatable.ephemeral_storage_bytes,
            ),
        ];
        checks
            .into_iter()
            .find(|&(_, r, u, c)| r > 0 && u + r > c)
            .map(|(name, r, u, c)| {
                (
                    format!("OutOf{name}"),
                    format!(
                        "Node didn't have enough resource: {name}, requested: {r}, used: {u}, capacity: {c}"
                    ),
                )
            })
    }

    /// What an admitted pod holds of the node while it is not terminal: its
    /// requests and one pod slot.
    pub(super) fn admission_requests(pod: &Pod) -> Resources {
        let mut r = pod.spec.as_ref().map(pod_requests).unwrap_or_default();
        r.pods = 1;
        r
    }

    /// Takes a pod out of the admitted requests once it is terminal (a
    /// terminal pod never runs again; called whenever its status is built).
    pub(super) fn release_if_terminal(&mut self, uid: &str) {
        if let Some(w) = self.workers.get_mut(uid) {
            if matches!(w.phase(), "Succeeded" | "Failed") {
                if let Some(r) = w.admitted.take() {
                    self.admitted.sub(&r);
                }
            }
        }
    }

    /// Takes a pod's worker away, with what it held of the admitted requests.
    pub(super) fn remove_worker(&mut self, uid: &str) -> Option<Worker> {
        let w = self.workers.remove(uid)?;
        self.files.forget_pod(uid);
        self.end_sessions_of(w.pod.namespace(), w.pod.name());
        if let Some(r) = &w.admitted {
            self.admitted.sub(r);
        }
        Some(w)
    }

    /// The admitted requests summed afresh (what `admitted` must equal).
    fn admitted_recounted(&self) -> Resources {
        let mut used = Resources::default();
        for w in self.workers.values() {
            if !matches!(w.phase(), "Succeeded" | "Failed") {
                used.add(
                    &w.pod
                        .as_pod()
                        .map(Self::admission_requests)
                        .unwrap_or_default(),
                );
            }
        }
        used
    }

    /// Rejects a pod at admission (kubelet.go rejectPod).
    pub(super) fn reject(
        &mut self,
        ctx: &mut Ctx<'_>,
        obj: &Arc<Object>,
        reason: String,
        message: String,
    ) {
        self.rejected.insert(obj.uid().to_owned());
        ctx.trace(
            "reject-pod",
            ObjectKey::of(obj).to_string(),
            message.clone(),
        );
        self.recorder
            .record(ctx, obj, "Warning", &reason, message.clone());
        let Some(mut pod) = obj.as_pod().cloned() else {
            return;
        };
        let qos = pod.status.as_ref().and_then(|s| s.qos_class.clone());
        pod.status = Some(k8s_openapi::api::core::v1::PodStatus {
            phase: Some("Failed".into()),
            reason: Some(reason),
            message: Some(format!("Pod was rejected: {message}")),
            qos_class: qos,
            ..Default::default()
        });
        pod.metadata.resource_version = None;
        ctx.send(Request::UpdateStatus(Object::from(pod)));
    }
}
