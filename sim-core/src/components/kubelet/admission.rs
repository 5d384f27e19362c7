//! The kubelet's admission of a pod bound to its node
//! (`lifecycle/predicate.go`): the requests of the admitted, non-terminal
//! pods plus the new one must fit allocatable, else the pod is rejected
//! (`OutOfcpu`, `OutOfmemory`, `OutOfpods`, ...) and marked Failed with the
//! real message.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;

use super::Kubelet;
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
        let mut used = crate::api::resources::Resources::default();
        let mut pods = 0;
        for w in self.workers.values() {
            if matches!(w.phase(), "Succeeded" | "Failed") {
                continue;
            }
            if let Some(s) = w.pod.as_pod().and_then(|p| p.spec.as_ref()) {
                used.add(&crate::api::resources::pod_requests(s));
            }
            pods += 1;
        }
        used.pods = pods;
        let req = crate::api::resources::pod_requests(spec);
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
