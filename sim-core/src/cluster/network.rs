//! The network between the nodes as pods and hosts see it: the flat pod
//! network (a request to a pod IP reaches the kubelet of the node whose
//! pod CIDR holds it, which serves it from that pod; a powered-off node
//! answers nothing), the cluster DNS (CoreDNS's kubernetes plugin over the
//! API's Services and EndpointSlices) and the Service rules: a connection
//! to a Service address goes where the rules kube-proxy last wrote on the
//! client's node send it ([`crate::components::kube_proxy`]), and one to a
//! node's address and NodePort where that node's rules send it. A DNAT
//! picks one of the usable endpoints, each equally likely, from the seeded
//! stream [`DNAT_STREAM`].

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use super::Slot;
use crate::api::{Kind, Object};
use crate::components::controllers::SERVICE_NAME_LABEL;
use crate::components::ingress;
use crate::components::ingress::routing::{BackendPort, Routes};
use crate::components::kube_proxy::service_table::{ServiceTable, Verdict};
use crate::components::kube_proxy::KubeProxy;
use crate::components::kubelet::container_fs::{ContainerFs, VolumeStore};
use crate::components::kubelet::http::{Client, HttpRequest, HttpResponse, NetError, Network};
use crate::components::kubelet::Kubelet;
use crate::components::{ComponentId, Role};
use crate::config::network::{Cidr, SERVICE_SUBNET};
use crate::time::{SimDuration, SimTime};

/// The random stream of the Service rules' choice of an endpoint.
pub(super) const DNAT_STREAM: &str = "network/dnat";

/// Which node an address belongs to: the nodes' own addresses, and the
/// pod CIDRs by their first address (a lookup is a map search, not a scan
/// of the nodes).
#[derive(Debug, Default)]
pub(super) struct AddressBook {
    nodes: BTreeMap<Ipv4Addr, String>,
    /// First address of each pod CIDR: the CIDR, its kubelet, its node.
    cidrs: BTreeMap<Ipv4Addr, (Cidr, ComponentId, String)>,
}

impl AddressBook {
    /// Records a node's kubelet.
    pub(super) fn add(&mut self, node: &str, host_ip: &str, cidr: Cidr, kubelet: ComponentId) {
        if let Ok(ip) = host_ip.parse() {
            self.nodes.insert(ip, node.to_owned());
        }
        self.cidrs
            .insert(cidr.network(), (cidr, kubelet, node.to_owned()));
    }

    /// The node whose address is `ip`.
    fn node(&self, ip: Ipv4Addr) -> Option<&str> {
        self.nodes.get(&ip).map(String::as_str)
    }

    /// The kubelet and node whose pod CIDR holds `ip`.
    fn pods(&self, ip: Ipv4Addr) -> Option<(ComponentId, &str)> {
        let (_, (cidr, id, node)) = self.cidrs.range(..=ip).next_back()?;
        cidr.contains(ip).then_some((*id, node.as_str()))
    }
}

/// The cluster's network as one connection sees it.
pub(super) struct ClusterNetwork<'a> {
    pub slots: &'a mut [Slot],
    pub roles: &'a BTreeMap<Role, ComponentId>,
    pub addresses: &'a AddressBook,
    pub faults: &'a crate::faults::FaultState,
    pub images: &'a crate::config::ImageCatalog,
    pub etcd: &'a crate::etcd::Etcd,
    pub rng: &'a mut rand_chacha::ChaCha8Rng,
    pub affinity: &'a mut Affinity,
    pub now: SimTime,
}

/// `sessionAffinity: ClientIP`'s memory (the `recent` match of kube-proxy's
/// rules, in each node's kernel): per node, Service port and client
/// address, the endpoint and when it was last used.
pub(crate) type Affinity = BTreeMap<(String, String, Ipv4Addr), ((Ipv4Addr, u16), SimTime)>;

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

/// True while the `kube-dns` Service has a ready endpoint (a CoreDNS pod
/// that is Ready): without one, lookups time out. Read from its slices, so
/// the check does not grow with the pods of kube-system.
fn dns_serving(etcd: &crate::etcd::Etcd) -> bool {
    !ready_endpoints(etcd, "kube-system", "kube-dns", "dns").is_empty()
}

impl ClusterNetwork<'_> {
    fn kube_proxy(&self, node: &str) -> Option<&KubeProxy> {
        let id = self.roles.get(&Role::KubeProxy(node.to_owned()))?;
        self.slots[id.index()]
            .component
            .as_deref()?
            .as_any()
            .downcast_ref::<KubeProxy>()
    }

    /// The node whose address is `ip`, if any.
    fn node_with_ip(&self, ip: Ipv4Addr) -> Option<String> {
        self.addresses.node(ip).map(str::to_owned)
    }

    fn node_down(&self, node: &str) -> bool {
        self.faults.is_crashed(node)
    }

    /// What the rules of `node` do with a connection to `ip:port` from
    /// `client`: None when they do not match it.
    fn route(
        &mut self,
        node: &str,
        ip: Ipv4Addr,
        port: u16,
        client: &Client,
    ) -> Option<Result<(Ipv4Addr, u16), NetError>> {
        use rand::Rng;
        let proxy = self.kube_proxy(node)?;
        let node_ip = proxy.node_ip();
        let rules = proxy.rules()?.table.clone();
        let (sp, entry) = rules.lookup(ip, port, &[node_ip])?;
        let endpoints = match ServiceTable::verdict(sp, entry, node) {
            Verdict::Endpoints(_, eps) => eps,
            Verdict::Reject => return Some(Err(NetError::Refused)),
            Verdict::Drop => return Some(Err(NetError::Timeout)),
        };
        let client_ip: Ipv4Addr = client.ip.parse().unwrap_or(Ipv4Addr::UNSPECIFIED);
        let key = (node.to_owned(), sp.name.to_string(), client_ip);
        if let Some(timeout_s) = sp.affinity_timeout_s {
            // The endpoint this client last reached, while it is usable and
            // the affinity has not timed out.
            let timeout = SimDuration::from_secs(u64::from(timeout_s));
            if let Some(&(ep, at)) = self.affinity.get(&key) {
                let alive = endpoints.iter().any(|e| (e.ip, e.port) == ep);
                if alive && self.now - at <= timeout {
                    self.affinity.insert(key, (ep, self.now));
                    return Some(Ok(ep));
                }
            }
        }
        let e = endpoints[self.rng.random_range(0..endpoints.len())];
        let target = (e.ip, e.port);
        if sp.affinity_timeout_s.is_some() {
            self.affinity.insert(key, (target, self.now));
        }
        Some(Ok(target))
    }

    /// The slot of the kubelet whose pod CIDR holds `ip`, and its node.
    fn kubelet_for(&self, ip: Ipv4Addr) -> Option<(usize, String)> {
        self.addresses
            .pods(ip)
            .map(|(id, node)| (id.index(), node.to_owned()))
    }

    /// A connection to pod address `ip`: the kubelet of the node whose pod
    /// CIDR holds it serves it; an ingress controller there answers itself
    /// (404, 503) or forwards the request ([`NetError::Forward`]) for the
    /// connecting node to deliver.
    fn connect_pod(
        &mut self,
        ip: Ipv4Addr,
        port: u16,
        req: &HttpRequest,
    ) -> Result<HttpResponse, NetError> {
        let (i, node) = self.kubelet_for(ip).ok_or(NetError::NoRoute)?;
        if self.node_down(&node) {
            return Err(NetError::NoRoute);
        }
        let host = ip.to_string();
        let images = self.images;
        if let Some(image) = self
            .kubelet_at(i)
            .and_then(|k| k.ingress_controller_at(images, &host, port))
        {
            return match self.ingress(&image, req) {
                Ok((to, to_port)) => Err(NetError::Forward(to, to_port)),
                Err(status) => Ok(crate::components::kubelet::http::as_ingress_response(
                    crate::components::kubelet::http::ingress_page(status, self.now),
                    &req.method,
                    self.now,
                )),
            };
        }
        let now = self.now;
        let kubelet = self.slots[i]
            .component
            .as_deref_mut()
            .and_then(|c| c.as_any_mut().downcast_mut::<Kubelet>())
            .ok_or(NetError::NoRoute)?;
        kubelet.serve(images, now, &host, port, req)
    }

    fn kubelet_at(&self, i: usize) -> Option<&Kubelet> {
        self.slots[i]
            .component
            .as_deref()?
            .as_any()
            .downcast_ref::<Kubelet>()
    }

    /// The Ingresses an ingress-nginx controller of image `image` serves
    /// ([`crate::components::ingress::serves`]).
    fn ingresses_served(&self, image: &str) -> Vec<Arc<Object>> {
        let classes = ingress::nginx_classes(self.etcd.list(Kind::IngressClass, None).iter());
        self.etcd
            .list(Kind::Ingress, None)
            .into_iter()
            .filter(
                |o| matches!(&**o, Object::Ingress(ing) if ingress::serves(ing, &classes, image)),
            )
            .collect()
    }
}

impl Network for ClusterNetwork<'_> {
    fn ingress(&mut self, image: &str, req: &HttpRequest) -> Result<(String, u16), u16> {
        use rand::Rng;
        let served = self.ingresses_served(image);
        let routes = Routes::new(served.iter().filter_map(|o| match &**o {
            Object::Ingress(i) => Some(&**i),
            _ => None,
        }));
        let backend = routes.route(&req.host, &req.path).ok_or(404u16)?;
        // The Service's port the backend names, then its ready endpoints
        // (ingress-nginx balances over the endpoints itself).
        let svc = self
            .etcd
            .get(Kind::Service, &backend.namespace, &backend.service)
            .ok_or(503u16)?;
        let Object::Service(svc) = &**svc else {
            return Err(503);
        };
        let port = svc
            .spec
            .as_ref()
            .and_then(|s| s.ports.as_ref())
            .into_iter()
            .flatten()
            .find(|p| match &backend.port {
                BackendPort::Number(n) => p.port == *n,
                BackendPort::Name(name) => p.name.as_deref() == Some(name.as_str()),
            })
            .ok_or(503u16)?;
        let endpoints = ready_endpoints(
            self.etcd,
            &backend.namespace,
            &backend.service,
            port.name.as_deref().unwrap_or(""),
        );
        if endpoints.is_empty() {
            return Err(503);
        }
        let (ip, port, _) = endpoints[self.rng.random_range(0..endpoints.len())].clone();
        Ok((ip, port))
    }

    fn connect_upstream(
        &mut self,
        ip: &str,
        port: u16,
        req: &HttpRequest,
    ) -> Result<HttpResponse, NetError> {
        let ip: Ipv4Addr = ip.parse().map_err(|_| NetError::NoRoute)?;
        self.connect_pod(ip, port, req)
    }

    fn echo(&mut self, ip: &str) -> Option<u8> {
        let addr: Ipv4Addr = ip.parse().ok()?;
        if let Some(node) = self.node_with_ip(addr) {
            return (!self.node_down(&node)).then_some(0);
        }
        // A pod on another node: one router (the node) between.
        let (i, node) = self.kubelet_for(addr)?;
        let kubelet = self.kubelet_at(i)?;
        (!self.node_down(&node) && kubelet.has_pod_ip(ip)).then_some(1)
    }

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
        let ip: Ipv4Addr = ip.parse().ok()?;
        match self.route(&client.node, ip, port, client) {
            Some(r) => Some(r.map(|(ip, port)| (ip.to_string(), port))),
            // A Service address the node has no rule for goes out the
            // default route and is never answered.
            None if SERVICE_SUBNET.contains(ip) => Some(Err(NetError::Timeout)),
            None => None,
        }
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
        if let Some(node) = self.node_with_ip(ip) {
            // A node's own address: its NodePorts (its rules), else nothing
            // listens there for a client.
            if self.node_down(&node) {
                return Err(NetError::NoRoute);
            }
            let client = Client {
                ip: req.from_ip.clone(),
                node: node.clone(),
            };
            return match self.route(&node, ip, port, &client) {
                Some(Ok((ip, port))) => self.connect_pod(ip, port, req),
                Some(Err(e)) => Err(e),
                None => Err(NetError::Refused),
            };
        }
        self.connect_pod(ip, port, req)
    }
}
