//! The status manager (`pkg/kubelet/status/status_manager.go`): the pod
//! status the kubelet computes is posted when it changed since the last
//! post, and posted again when another component changed it in the API
//! (the node controller marking pods NotReady while the node looked dead).

use super::Kubelet;
use crate::api::Object;
use crate::apiserver::Request;
use crate::components::Ctx;

impl Kubelet {
    pub(super) fn post_status(&mut self, ctx: &mut Ctx<'_>, uid: &str) {
        self.release_if_terminal(uid);
        let host_ip = self.host_ip.clone();
        let Some(w) = self.workers.get_mut(uid) else {
            return;
        };
        if w.delete_sent {
            return;
        }
        let status = w.status(ctx.now(), &host_ip);
        if w.last_posted.as_ref() == Some(&status) {
            return;
        }
        w.last_posted = Some(status.clone());
        let Some(mut pod) = w.pod.as_pod().cloned() else {
            return;
        };
        pod.status = Some(status);
        pod.metadata.resource_version = None;
        ctx.send(Request::UpdateStatus(Object::from(pod)));
    }
}
