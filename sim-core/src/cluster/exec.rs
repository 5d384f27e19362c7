//! `pods/exec`: the API server's exec subresource
//! (pkg/registry/core/pod/rest/subresources.go, `ExecLocation` in
//! pkg/registry/core/pod/strategy.go). The API server finds the pod, checks
//! the container and that the pod has a node, and proxies the stream to
//! that node's kubelet, which runs the command in the container
//! ([`Kubelet::exec`]). One path for `kubectl exec` steps, `sim shell` and
//! any other client. Also `pods/log` ([`Cluster::container_log`]) and the
//! pod network between nodes (a container's request to another node's pod
//! IP reaches that node's kubelet).

use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::Pod;

use super::Cluster;
use crate::api::{ApiError, Kind, Object, ObjectKey, Reason};
use crate::apiserver::request::Request;
use crate::components::controllers::SERVICE_NAME_LABEL;
use crate::components::kubelet::container_fs::{ContainerFs, VolumeStore};
use crate::components::kubelet::http::{Client, HttpRequest, HttpResponse, NetError, Network};
use crate::components::kubelet::{ExecOutput, ExecRequest, Kubelet, SessionId, SessionOutput};
use crate::components::Role;
use crate::time::{SimDuration, SimTime};

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
        if self.faults.crashed.get(node).is_some_and(|&n| n > 0) {
            return Err(dial("connect: no route to host"));
        }
        if self.faults.is_partitioned(node) {
            return Err(dial("i/o timeout"));
        }
        if self.faults.kubelet_down(node) || !self.is_running(&role) {
            return Err(dial("connect: connection refused"));
        }
        let now = self.queue.now();
        let config = std::sync::Arc::clone(&self.config);
        let Some(id) = self.roles.get(&role).copied() else {
            return Err(dial("connect: no route to host"));
        };
        // The kubelet is taken out of its slot for the call, so that
        // requests to the other nodes' pods can reach their kubelets.
        let Some(mut component) = self.slots[id.index()].component.take() else {
            return Err(dial("connect: connection refused"));
        };
        let result = match component.as_any_mut().downcast_mut::<Kubelet>() {
            Some(kubelet) => {
                let streams = self.streams;
                let rng = self
                    .client_rngs
                    .entry(DNAT_STREAM.to_owned())
                    .or_insert_with(|| streams.stream(DNAT_STREAM));
                let mut net = ClusterNetwork {
                    slots: &mut self.slots,
                    faults: &self.faults,
                    images: &config.images,
                    etcd: self.api.etcd(),
                    rng,
                    affinity: &mut self.affinity,
                    now,
                };
                Ok(f(kubelet, &config.images, now, &mut net))
            }
            None => Err(dial("connect: connection refused")),
        };
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
        if self.faults.crashed.get(node).is_some_and(|&n| n > 0) {
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

/// The random stream of the Service rules' choice of an endpoint.
const DNAT_STREAM: &str = "network/dnat";

/// The pod network between nodes: a request to a pod IP reaches the
/// kubelet of the node whose pod CIDR holds it, which serves it from that
/// pod (a powered-off node answers nothing). Also the cluster DNS (CoreDNS's
/// kubernetes plugin over the API's Services and EndpointSlices) and the
/// Service rules (a Service address and port rewritten to one of its ready
/// endpoints, each equally likely, drawn from the seeded stream
/// [`DNAT_STREAM`]). Simplified until kube-proxy is modelled: the rules are
/// the API's current state on every node, with no sync delay.
struct ClusterNetwork<'a> {
    slots: &'a mut [super::Slot],
    faults: &'a crate::faults::FaultState,
    images: &'a crate::config::ImageCatalog,
    etcd: &'a crate::etcd::Etcd,
    rng: &'a mut rand_chacha::ChaCha8Rng,
    affinity: &'a mut Affinity,
    now: SimTime,
}

/// `sessionAffinity: ClientIP`'s memory (the `recent` match of kube-proxy's
/// rules): per Service port and client address, the endpoint and when it
/// was last used.
pub(crate) type Affinity = std::collections::BTreeMap<(String, String), ((String, u16), SimTime)>;

/// The ready endpoints of Service `ns/name` for its port named `port_name`:
/// (pod IP, target port, node), in slice and address order.
fn ready_endpoints(
    etcd: &crate::etcd::Etcd,
    ns: &str,
    name: &str,
    port_name: &str,
) -> Vec<(String, u16, String)> {
    let mut out = Vec::new();
    for o in etcd.list(Kind::EndpointSlice, Some(ns)) {
        let Object::EndpointSlice(s) = &*o else {
            continue;
        };
        let labels = s.metadata.labels.as_ref();
        if labels
            .and_then(|l| l.get(SERVICE_NAME_LABEL))
            .map(String::as_str)
            != Some(name)
        {
            continue;
        }
        let Some(port) = s
            .ports
            .iter()
            .flatten()
            .find(|p| p.name.as_deref().unwrap_or("") == port_name)
            .and_then(|p| p.port)
            .and_then(|p| u16::try_from(p).ok())
        else {
            continue;
        };
        for e in &s.endpoints {
            let ready = e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true);
            if ready {
                let node = e.node_name.clone().unwrap_or_default();
                out.extend(e.addresses.iter().map(|a| (a.clone(), port, node.clone())));
            }
        }
    }
    out
}

/// True while a cluster DNS pod (`k8s-app=kube-dns` in kube-system) is
/// Ready: without one, lookups time out.
fn dns_serving(etcd: &crate::etcd::Etcd) -> bool {
    etcd.list(Kind::Pod, Some("kube-system")).iter().any(|o| {
        o.labels().get("k8s-app").map(String::as_str) == Some("kube-dns")
            && o.as_pod().is_some_and(crate::api::conditions::is_pod_ready)
    })
}

impl Network for ClusterNetwork<'_> {
    fn query(&mut self, fqdn: &str) -> Result<Vec<String>, NetError> {
        if !dns_serving(self.etcd) {
            return Err(NetError::Unresolved(fqdn.to_owned()));
        }
        let labels: Vec<&str> = fqdn.trim_end_matches('.').split('.').collect();
        match labels.as_slice() {
            [svc, ns, "svc", "cluster", "local"] => {
                let Some(o) = self.etcd.get(Kind::Service, ns, svc) else {
                    return Ok(Vec::new());
                };
                let Object::Service(service) = &**o else {
                    return Ok(Vec::new());
                };
                let Some(spec) = service.spec.clone() else {
                    return Ok(Vec::new());
                };
                if spec.type_.as_deref() == Some("ExternalName") {
                    // A CNAME to a name outside the cluster, which nothing
                    // here resolves.
                    let external = spec.external_name.unwrap_or_default();
                    return Err(NetError::Unresolved(external));
                }
                match spec.cluster_ip.as_deref() {
                    Some("None") => {
                        let mut ips: Vec<String> = ready_endpoints(self.etcd, ns, svc, "")
                            .into_iter()
                            .map(|(ip, _, _)| ip)
                            .collect();
                        // A headless Service's ports may be named: any port's endpoints.
                        if ips.is_empty() {
                            for p in spec.ports.iter().flatten() {
                                let name = p.name.clone().unwrap_or_default();
                                ips.extend(
                                    ready_endpoints(self.etcd, ns, svc, &name)
                                        .into_iter()
                                        .map(|(ip, _, _)| ip),
                                );
                            }
                        }
                        ips.sort();
                        ips.dedup();
                        Ok(ips)
                    }
                    Some(ip) if !ip.is_empty() => Ok(vec![ip.to_owned()]),
                    _ => Ok(Vec::new()),
                }
            }
            [dashed, _ns, "pod", "cluster", "local"] => {
                let ip = dashed.replace('-', ".");
                Ok(ip.parse::<Ipv4Addr>().map(|_| vec![ip]).unwrap_or_default())
            }
            _ => Ok(Vec::new()),
        }
    }

    fn translate(
        &mut self,
        ip: &str,
        port: u16,
        client: &Client,
    ) -> Option<Result<(String, u16), NetError>> {
        use rand::Rng;
        let services = self.etcd.list(Kind::Service, None);
        let svc = services
            .iter()
            .filter_map(|o| match &**o {
                Object::Service(s) => Some(s),
                _ => None,
            })
            .find(|s| s.spec.as_ref().and_then(|sp| sp.cluster_ip.as_deref()) == Some(ip))?;
        let spec = svc.spec.as_ref()?;
        let ns = svc.metadata.namespace.clone().unwrap_or_default();
        let name = svc.metadata.name.clone().unwrap_or_default();
        let Some(sp) = spec
            .ports
            .iter()
            .flatten()
            .find(|p| i32::from(port) == p.port)
        else {
            return Some(Err(NetError::Timeout));
        };
        let mut endpoints =
            ready_endpoints(self.etcd, &ns, &name, sp.name.as_deref().unwrap_or(""));
        if endpoints.is_empty() {
            // kube-proxy's REJECT for a Service without endpoints.
            return Some(Err(NetError::Refused));
        }
        if spec.internal_traffic_policy.as_deref() == Some("Local") {
            // Only the client node's endpoints; none there: dropped.
            endpoints.retain(|(_, _, node)| *node == client.node);
            if endpoints.is_empty() {
                return Some(Err(NetError::Timeout));
            }
        }
        // sessionAffinity: ClientIP: the endpoint a client last reached, while
        // it is ready and the affinity has not timed out (10800 s by default).
        let sticky = spec.session_affinity.as_deref() == Some("ClientIP");
        let key = (format!("{ns}/{name}:{port}"), client.ip.clone());
        if sticky {
            let timeout = spec
                .session_affinity_config
                .as_ref()
                .and_then(|c| c.client_ip.as_ref())
                .and_then(|c| c.timeout_seconds)
                .unwrap_or(10_800);
            let timeout = SimDuration::from_secs(u64::try_from(timeout).unwrap_or(0));
            if let Some((ep, at)) = self.affinity.get(&key) {
                let alive = endpoints.iter().any(|(a, p, _)| (a, p) == (&ep.0, &ep.1));
                if alive && self.now - *at <= timeout {
                    let ep = ep.clone();
                    self.affinity.insert(key, (ep.clone(), self.now));
                    return Some(Ok(ep));
                }
            }
        }
        let i = self.rng.random_range(0..endpoints.len());
        let (ip, port, _) = endpoints.swap_remove(i);
        if sticky {
            self.affinity.insert(key, ((ip.clone(), port), self.now));
        }
        Some(Ok((ip, port)))
    }

    fn connect(
        &mut self,
        host: &str,
        port: u16,
        req: &HttpRequest,
        _here: (&ContainerFs, &VolumeStore),
    ) -> Result<HttpResponse, NetError> {
        let ip: Ipv4Addr = host
            .parse()
            .map_err(|_| NetError::Unresolved(host.to_owned()))?;
        for slot in self.slots.iter_mut() {
            let Some(kubelet) = slot
                .component
                .as_deref_mut()
                .and_then(|c| c.as_any_mut().downcast_mut::<Kubelet>())
            else {
                continue;
            };
            if !kubelet.pod_cidr().contains(ip) {
                continue;
            }
            let node = slot.role.node().unwrap_or_default();
            if self.faults.crashed.get(node).is_some_and(|&n| n > 0) {
                return Err(NetError::NoRoute);
            }
            return kubelet.serve(self.images, self.now, host, port, req);
        }
        Err(NetError::NoRoute)
    }
}
