//! `pods/exec`: the API server's exec subresource
//! (pkg/registry/core/pod/rest/subresources.go, `ExecLocation` in
//! pkg/registry/core/pod/strategy.go). The API server finds the pod, checks
//! the container and that the pod has a node, and proxies the stream to
//! that node's kubelet, which runs the command in the container
//! ([`Kubelet::exec`]). One path for `kubectl exec` steps, `sim shell` and
//! any other client. Also `pods/log` ([`Cluster::container_log`]). A
//! command's connections cross the cluster's network (`network.rs`).

use k8s_openapi::api::core::v1::Pod;

use super::network::{ClusterNetwork, DNAT_STREAM};
use super::Cluster;
use crate::api::{ApiError, Kind, ObjectKey, Reason};
use crate::apiserver::request::Request;
use crate::components::kubelet::http::Network;
use crate::components::kubelet::{ExecOutput, ExecRequest, Kubelet, SessionId, SessionOutput};
use crate::components::Role;
use crate::time::SimTime;

/// Why an exec request got no stream.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExecFailure {
    /// The API server refused it (no such pod, container not valid, no node).
    #[error("{}", .0.kubectl_line())]
    Api(ApiError),
    /// The stream could not be opened to the kubelet, or the kubelet
    /// refused it (kubectl: `error: unable to upgrade connection: ...`).
    #[error("error: unable to upgrade connection: {0}")]
    Upgrade(String),
}

/// The containers an exec may name: regular, init and ephemeral.
fn container_names(pod: &Pod) -> Vec<String> {
    let Some(spec) = pod.spec.as_ref() else {
        return Vec::new();
    };
    spec.containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .map(|c| c.name.clone())
        .chain(
            spec.ephemeral_containers
                .iter()
                .flatten()
                .map(|c| c.name.clone()),
        )
        .collect()
}

/// An interactive exec session open on a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenSession {
    /// The node whose kubelet holds it.
    pub node: String,
    /// Its id there.
    pub id: SessionId,
}

impl Cluster {
    /// The API server's part of `pods/exec`: the pod, its container (an
    /// empty one: the pod's only container, written into `req`), its node.
    fn exec_location(
        &mut self,
        client: &str,
        req: &mut ExecRequest,
    ) -> Result<String, ExecFailure> {
        let key = ObjectKey::new(Kind::Pod, &req.namespace, &req.pod);
        let obj = match self.request(client, Request::Get(key)) {
            Ok(crate::apiserver::Response::Object(o)) => o,
            Ok(_) => {
                return Err(ExecFailure::Api(ApiError::new(
                    Reason::InternalError,
                    "unexpected response",
                )))
            }
            Err(e) => return Err(ExecFailure::Api(e)),
        };
        let pod = obj.as_pod().cloned().unwrap_or_default();
        let names = container_names(&pod);
        let bad = |m: String| ExecFailure::Api(ApiError::new(Reason::BadRequest, m));
        if req.container.is_empty() {
            match pod.spec.as_ref().map(|s| s.containers.as_slice()) {
                Some([only]) => req.container = only.name.clone(),
                _ => {
                    return Err(bad(format!(
                        "a container name must be specified for pod {}, choose one of: [{}]",
                        req.pod,
                        names.join(" ")
                    )))
                }
            }
        }
        if !names.contains(&req.container) {
            return Err(bad(format!(
                "container {} is not valid for pod {}",
                req.container, req.pod
            )));
        }
        pod.spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .filter(|n| !n.is_empty())
            .ok_or_else(|| bad(format!("pod {} does not have a host assigned", req.pod)))
    }

    /// Runs `f` on the kubelet of `node` with the pod network of the other
    /// nodes, or the error of a stream that cannot reach it.
    fn at_kubelet<R>(
        &mut self,
        node: &str,
        f: impl FnOnce(&mut Kubelet, &crate::config::ImageCatalog, SimTime, &mut dyn Network) -> R,
    ) -> Result<R, ExecFailure> {
        let role = Role::Kubelet(node.to_owned());
        let host_ip = self
            .kubelet(node)
            .map(|k| k.host_ip().to_owned())
            .unwrap_or_default();
        let dial = |why: &str| {
            ExecFailure::Upgrade(format!(
                "error dialing backend: dial tcp {host_ip}:10250: {why}"
            ))
        };
        if self.faults.is_crashed(node) {
            return Err(dial("connect: no route to host"));
        }
        if self.faults.is_partitioned(node) {
            return Err(dial("i/o timeout"));
        }
        if self.faults.kubelet_down(node) || !self.is_running(&role) {
            return Err(dial("connect: connection refused"));
        }
        self.with_kubelet(node, f)
            .ok_or_else(|| dial("connect: connection refused"))
    }

    /// Runs `f` on the kubelet component of `node` (whatever its process
    /// does) with the network of the rest of the cluster; None when the
    /// node has no kubelet.
    pub(super) fn with_kubelet<R>(
        &mut self,
        node: &str,
        f: impl FnOnce(&mut Kubelet, &crate::config::ImageCatalog, SimTime, &mut dyn Network) -> R,
    ) -> Option<R> {
        let now = self.queue.now();
        let config = std::sync::Arc::clone(&self.config);
        let id = self.roles.get(&Role::Kubelet(node.to_owned())).copied()?;
        // The kubelet is taken out of its slot for the call, so that
        // requests to the other nodes' pods can reach their kubelets.
        let mut component = self.slots[id.index()].component.take()?;
        let result = component
            .as_any_mut()
            .downcast_mut::<Kubelet>()
            .map(|kubelet| {
                let streams = self.streams;
                let rng = self
                    .client_rngs
                    .entry(DNAT_STREAM.to_owned())
                    .or_insert_with(|| streams.stream(DNAT_STREAM));
                let mut net = ClusterNetwork {
                    slots: &mut self.slots,
                    roles: &self.roles,
                    addresses: &self.addresses,
                    faults: &self.faults,
                    images: &config.images,
                    etcd: self.api.etcd(),
                    rng,
                    affinity: &mut self.affinity,
                    now,
                };
                f(kubelet, &config.images, now, &mut net)
            });
        self.slots[id.index()].component = Some(component);
        result
    }

    /// Runs `req` in its container at the current instant, through the API
    /// server to the kubelet of the pod's node. An empty `req.container`
    /// means the pod's only container.
    pub fn exec(&mut self, client: &str, mut req: ExecRequest) -> Result<ExecOutput, ExecFailure> {
        let node = self.exec_location(client, &mut req)?;
        self.at_kubelet(&node, |k, images, now, net| {
            k.exec(images, now, &req, Some(net))
        })?
        .map_err(|e| ExecFailure::Upgrade(e.to_string()))
    }

    /// Opens an interactive session (`kubectl exec -it POD -- sh` at a
    /// terminal): the session and the first prompt; None when the command
    /// is not an interactive program (run it with [`Cluster::exec`]).
    pub fn exec_open(
        &mut self,
        client: &str,
        mut req: ExecRequest,
    ) -> Result<Option<(OpenSession, String)>, ExecFailure> {
        let node = self.exec_location(client, &mut req)?;
        let opened = self
            .at_kubelet(&node, |k, images, now, _| k.exec_open(images, now, &req))?
            .map_err(|e| ExecFailure::Upgrade(e.to_string()))?;
        Ok(opened.map(|(id, prompt)| (OpenSession { node, id }, prompt)))
    }

    /// Types a line into an open session.
    pub fn exec_input(
        &mut self,
        session: &OpenSession,
        line: &str,
    ) -> Result<SessionOutput, ExecFailure> {
        self.at_kubelet(&session.node, |k, images, now, net| {
            k.exec_input(images, now, session.id, line, Some(net))
        })?
        .map_err(|e| ExecFailure::Upgrade(e.to_string()))
    }

    /// Closes an open session.
    pub fn exec_close(&mut self, session: &OpenSession) {
        let _ = self.at_kubelet(&session.node, |k, _, _, _| k.exec_close(session.id));
    }
}

impl Cluster {
    /// `pods/log`: what container `container` of pod `namespace/pod` printed,
    /// from the kubelet of `node` (the pod's node, which the caller read
    /// from the pod). Err: kubectl's line when the kubelet cannot be
    /// reached or does not run the pod.
    pub fn container_log(
        &self,
        node: &str,
        namespace: &str,
        pod: &str,
        container: &str,
    ) -> Result<Vec<String>, String> {
        let kubelet = self.kubelet(node);
        let ip = kubelet.map(|k| k.host_ip().to_owned()).unwrap_or_default();
        let url = format!("https://{ip}:10250/containerLogs/{namespace}/{pod}/{container}");
        let down =
            |why: &str| format!("Error from server: Get \"{url}\": dial tcp {ip}:10250: {why}");
        if self.faults.is_crashed(node) {
            return Err(down("connect: no route to host"));
        }
        if self.faults.is_partitioned(node) {
            return Err(down("i/o timeout"));
        }
        let running = self.is_running(&Role::Kubelet(node.to_owned()));
        match kubelet.filter(|_| running && !self.faults.kubelet_down(node)) {
            None => Err(down("connect: connection refused")),
            Some(k) => k
                .container_log(&self.config.images, namespace, pod, container)
                .ok_or_else(|| {
                    format!("Error from server (NotFound): the server could not find the requested resource ( pods/log {pod})")
                }),
        }
    }
}
