//! The Services as kube-proxy sees them: each Service port with its
//! addresses and its endpoints merged from the Service's EndpointSlices
//! (pkg/proxy/serviceport.go, pkg/proxy/endpointslicecache.go), and what
//! the rules made of them do with a connection (pkg/proxy/topology.go's
//! endpoint categories, the iptables proxier's chains; [`super::iptables`]
//! prints the same table as rules).
//!
//! Every kube-proxy watches the same Services and EndpointSlices, so every
//! node's informer holds the same objects: the simulation keeps them once
//! ([`ServiceCache`], fed by the API server's stream of changes) and a
//! node's kube-proxy takes the current [`ServiceTable`] (an `Arc`, shared by
//! every node that synced it) when it syncs. What differs per node (the
//! node's own endpoints under a `Local` traffic policy, its own addresses
//! for NodePorts) is worked out when a connection is routed or the rules
//! are printed, never stored per node.

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;

use crate::api::{Kind, Object};
use crate::components::controllers::SERVICE_NAME_LABEL;
use crate::etcd::{Change, ChangeType};

/// A Service port's name as kube-proxy prints it: `ns/name:port`, or
/// `ns/name` for an unnamed port (`ServicePortName.String()`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServicePortName {
    /// The Service's namespace.
    pub namespace: String,
    /// The Service's name.
    pub name: String,
    /// The port's name (empty for an unnamed port).
    pub port: String,
}

impl fmt::Display for ServicePortName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)?;
        if !self.port.is_empty() {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

/// A Service port's protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// TCP (the default).
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

impl Protocol {
    /// From the API's spelling (`TCP`); anything else is TCP, the default.
    fn parse(s: Option<&str>) -> Self {
        match s {
            Some("UDP") => Self::Udp,
            Some("SCTP") => Self::Sctp,
            _ => Self::Tcp,
        }
    }

    /// iptables' spelling (`tcp`).
    pub fn iptables_name(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
            Self::Sctp => "sctp",
        }
    }
}

/// One endpoint of a Service port, from a slice.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Endpoint {
    /// The pod's address.
    pub ip: Ipv4Addr,
    /// The target port.
    pub port: u16,
    /// The node it runs on (empty when the slice does not say).
    pub node: String,
    /// Ready: takes new connections.
    pub ready: bool,
    /// Serving: would take them, terminating or not.
    pub serving: bool,
    /// Being deleted.
    pub terminating: bool,
}

impl Endpoint {
    /// `ip:port`, what its chain's name hashes and its DNAT targets.
    pub fn address(&self) -> String {
        format!("{}:{}", self.ip, self.port)
    }
}

/// A Service port with what kube-proxy needs of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePort {
    /// `ns/name:port`.
    pub name: ServicePortName,
    /// Its protocol.
    pub protocol: Protocol,
    /// The Service's cluster IP (None: headless, which gets no rules).
    pub cluster_ip: Option<Ipv4Addr>,
    /// The Service port.
    pub port: u16,
    /// The node port (NodePort and LoadBalancer Services).
    pub node_port: Option<u16>,
    /// `spec.externalIPs`.
    pub external_ips: Vec<Ipv4Addr>,
    /// `status.loadBalancer.ingress[].ip`.
    pub load_balancer_ips: Vec<Ipv4Addr>,
    /// `internalTrafficPolicy: Local`.
    pub internal_local: bool,
    /// `externalTrafficPolicy: Local` (only for Services with external
    /// addresses or node ports).
    pub external_local: bool,
    /// `sessionAffinity: ClientIP`'s timeout in seconds (None: no affinity).
    pub affinity_timeout_s: Option<u32>,
    /// Its endpoints, ordered by their `ip:port` string, each once.
    pub endpoints: Vec<Endpoint>,
}

impl ServicePort {
    /// True when traffic to it has an external path (node port, external
    /// or load-balancer address): the `KUBE-EXT-` chain.
    pub fn has_external(&self) -> bool {
        self.node_port.is_some()
            || !self.external_ips.is_empty()
            || !self.load_balancer_ips.is_empty()
    }

    /// The endpoints cluster-wide traffic may use: the ready ones, or when
    /// none is ready the serving terminating ones (`CategorizeEndpoints`).
    pub fn cluster_endpoints(&self) -> Vec<&Endpoint> {
        usable(self.endpoints.iter())
    }

    /// The endpoints on `node` that node-local traffic may use, chosen as
    /// [`ServicePort::cluster_endpoints`] among the node's own.
    pub fn local_endpoints(&self, node: &str) -> Vec<&Endpoint> {
        usable(self.endpoints.iter().filter(|e| e.node == node))
    }
}

/// Ready endpoints, else serving terminating ones.
fn usable<'a>(eps: impl Iterator<Item = &'a Endpoint> + Clone) -> Vec<&'a Endpoint> {
    let ready: Vec<&Endpoint> = eps.clone().filter(|e| e.ready).collect();
    if !ready.is_empty() {
        return ready;
    }
    eps.filter(|e| e.serving && e.terminating).collect()
}

/// How a connection reached a Service port: through which address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Its cluster IP (internal traffic policy applies).
    ClusterIp,
    /// A node port, an external IP or a load-balancer address (external
    /// traffic policy applies).
    External,
}

/// What a node's rules do with a connection to a Service address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict<'a> {
    /// DNAT to one of these endpoints (each equally likely: the rules'
    /// `--probability 1/(n-i)` cascade), the Service port they serve.
    Endpoints(&'a ServicePort, Vec<&'a Endpoint>),
    /// REJECT (`icmp-port-unreachable`): the Service has no endpoints.
    Reject,
    /// DROP: a `Local` policy and no endpoint on this node.
    Drop,
}

/// The Service ports of the cluster, indexed by what a packet matches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceTable {
    ports: BTreeMap<ServicePortName, Arc<ServicePort>>,
    by_cluster_ip: BTreeMap<(Ipv4Addr, u16, Protocol), ServicePortName>,
    by_node_port: BTreeMap<(u16, Protocol), ServicePortName>,
    by_external_ip: BTreeMap<(Ipv4Addr, u16, Protocol), ServicePortName>,
}

impl ServiceTable {
    /// Every Service port, in name order (the order the rules are printed).
    pub fn ports(&self) -> impl Iterator<Item = &ServicePort> {
        self.ports.values().map(|p| &**p)
    }

    /// True when no Service port has rules.
    pub fn is_empty(&self) -> bool {
        self.ports.is_empty()
    }

    /// The Service port a TCP connection to `ip:port` matches on `node`,
    /// whose addresses are `node_ips`, and through what: its cluster IP, an
    /// external or load-balancer address, or a node port on one of the
    /// node's own addresses (`--dst-type LOCAL`).
    pub fn lookup(
        &self,
        ip: Ipv4Addr,
        port: u16,
        node_ips: &[Ipv4Addr],
    ) -> Option<(&ServicePort, Entry)> {
        let key = (ip, port, Protocol::Tcp);
        if let Some(name) = self.by_cluster_ip.get(&key) {
            return Some((&self.ports[name], Entry::ClusterIp));
        }
        if let Some(name) = self.by_external_ip.get(&key) {
            return Some((&self.ports[name], Entry::External));
        }
        if ip.is_loopback() || node_ips.contains(&ip) {
            if let Some(name) = self.by_node_port.get(&(port, Protocol::Tcp)) {
                return Some((&self.ports[name], Entry::External));
            }
        }
        None
    }

    /// What `node`'s rules do with a connection that reached `sp` through
    /// `entry`.
    pub fn verdict<'a>(sp: &'a ServicePort, entry: Entry, node: &str) -> Verdict<'a> {
        let local = match entry {
            Entry::ClusterIp => sp.internal_local,
            Entry::External => sp.external_local,
        };
        let cluster = sp.cluster_endpoints();
        if local {
            let mine = sp.local_endpoints(node);
            if !mine.is_empty() {
                return Verdict::Endpoints(sp, mine);
            }
            // No endpoint at all: rejected as any Service without endpoints;
            // endpoints elsewhere only: dropped here.
            return if cluster.is_empty() {
                Verdict::Reject
            } else {
                Verdict::Drop
            };
        }
        if cluster.is_empty() {
            Verdict::Reject
        } else {
            Verdict::Endpoints(sp, cluster)
        }
    }

    /// Replaces the ports of Service `ns/name` by `ports`.
    fn replace(&mut self, namespace: &str, name: &str, ports: Vec<ServicePort>) {
        let first = ServicePortName {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            port: String::new(),
        };
        let old: Vec<ServicePortName> = self
            .ports
            .range(first..)
            .take_while(|(k, _)| k.namespace == namespace && k.name == name)
            .map(|(k, _)| k.clone())
            .collect();
        for key in old {
            if let Some(sp) = self.ports.remove(&key) {
                self.unindex(&sp);
            }
        }
        for sp in ports {
            let key = sp.name.clone();
            if let Some(ip) = sp.cluster_ip {
                self.by_cluster_ip
                    .insert((ip, sp.port, sp.protocol), key.clone());
            }
            if let Some(np) = sp.node_port {
                self.by_node_port.insert((np, sp.protocol), key.clone());
            }
            for ip in sp.external_ips.iter().chain(&sp.load_balancer_ips) {
                self.by_external_ip
                    .insert((*ip, sp.port, sp.protocol), key.clone());
            }
            self.ports.insert(key, Arc::new(sp));
        }
    }

    /// Drops the index entries of `sp` (those still naming it).
    fn unindex(&mut self, sp: &ServicePort) {
        let mine = |k: &ServicePortName| *k == sp.name;
        if let Some(ip) = sp.cluster_ip {
            let key = (ip, sp.port, sp.protocol);
            if self.by_cluster_ip.get(&key).is_some_and(mine) {
                self.by_cluster_ip.remove(&key);
            }
        }
        if let Some(np) = sp.node_port {
            if self.by_node_port.get(&(np, sp.protocol)).is_some_and(mine) {
                self.by_node_port.remove(&(np, sp.protocol));
            }
        }
        for ip in sp.external_ips.iter().chain(&sp.load_balancer_ips) {
            let key = (*ip, sp.port, sp.protocol);
            if self.by_external_ip.get(&key).is_some_and(mine) {
                self.by_external_ip.remove(&key);
            }
        }
    }
}

/// The objects every kube-proxy's informers hold, stored once, and the
/// table made of them (rebuilt per Service as its objects change).
#[derive(Debug, Default)]
pub struct ServiceCache {
    services: BTreeMap<(String, String), Arc<Object>>,
    /// Per Service (namespace, name): its slices by name.
    slices: BTreeMap<(String, String), BTreeMap<String, Arc<Object>>>,
    table: Arc<ServiceTable>,
}

impl ServiceCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current table (shared: a copy is made only when it changes
    /// while a kube-proxy holds it).
    pub fn table(&self) -> Arc<ServiceTable> {
        Arc::clone(&self.table)
    }

    /// Takes in a stored change; only Services and EndpointSlices matter.
    pub fn observe(&mut self, change: &Change) {
        let deleted = change.change == ChangeType::Deleted;
        let service = match &*change.object {
            Object::Service(s) => {
                let key = (namespace_of(&s.metadata), name_of(&s.metadata));
                if deleted {
                    self.services.remove(&key);
                } else {
                    self.services
                        .insert(key.clone(), Arc::clone(&change.object));
                }
                key
            }
            Object::EndpointSlice(s) => {
                let Some(svc) = s
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(SERVICE_NAME_LABEL))
                else {
                    return;
                };
                let key = (namespace_of(&s.metadata), svc.clone());
                let slice = name_of(&s.metadata);
                if deleted {
                    if let Some(m) = self.slices.get_mut(&key) {
                        m.remove(&slice);
                        if m.is_empty() {
                            self.slices.remove(&key);
                        }
                    }
                } else {
                    self.slices
                        .entry(key.clone())
                        .or_default()
                        .insert(slice, Arc::clone(&change.object));
                }
                key
            }
            _ => return,
        };
        debug_assert!(matches!(
            change.object.kind(),
            Kind::Service | Kind::EndpointSlice
        ));
        let ports = self.service_ports(&service);
        Arc::make_mut(&mut self.table).replace(&service.0, &service.1, ports);
    }

    /// The ports of Service `key` with their endpoints (none when the
    /// Service is gone, headless or an ExternalName).
    fn service_ports(&self, key: &(String, String)) -> Vec<ServicePort> {
        let Some(Object::Service(svc)) = self.services.get(key).map(|o| &**o) else {
            return Vec::new();
        };
        let slices: Vec<&EndpointSlice> = self
            .slices
            .get(key)
            .into_iter()
            .flat_map(BTreeMap::values)
            .filter_map(|o| match &**o {
                Object::EndpointSlice(s) => Some(&**s),
                _ => None,
            })
            .collect();
        ports_of(svc, &slices)
    }
}

fn namespace_of(m: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    m.namespace.clone().unwrap_or_default()
}

fn name_of(m: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    m.name.clone().unwrap_or_default()
}

fn parse_ip(s: &str) -> Option<Ipv4Addr> {
    s.parse().ok()
}

/// kube-proxy's view of Service `svc` with its `slices`.
fn ports_of(svc: &Service, slices: &[&EndpointSlice]) -> Vec<ServicePort> {
    let Some(spec) = svc.spec.as_ref() else {
        return Vec::new();
    };
    if spec.type_.as_deref() == Some("ExternalName") {
        return Vec::new();
    }
    let Some(cluster_ip) = spec.cluster_ip.as_deref().and_then(parse_ip) else {
        // Headless (or not yet allocated): no rules.
        return Vec::new();
    };
    let external_ips: Vec<Ipv4Addr> = spec
        .external_ips
        .iter()
        .flatten()
        .filter_map(|s| parse_ip(s))
        .collect();
    let load_balancer_ips: Vec<Ipv4Addr> = if spec.type_.as_deref() == Some("LoadBalancer") {
        svc.status
            .as_ref()
            .and_then(|s| s.load_balancer.as_ref())
            .and_then(|lb| lb.ingress.as_ref())
            .into_iter()
            .flatten()
            .filter_map(|i| i.ip.as_deref().and_then(parse_ip))
            .collect()
    } else {
        Vec::new()
    };
    let affinity_timeout_s = (spec.session_affinity.as_deref() == Some("ClientIP")).then(|| {
        spec.session_affinity_config
            .as_ref()
            .and_then(|c| c.client_ip.as_ref())
            .and_then(|c| c.timeout_seconds)
            .and_then(|t| u32::try_from(t).ok())
            .unwrap_or(10_800)
    });
    let node_ports = matches!(spec.type_.as_deref(), Some("NodePort" | "LoadBalancer"));
    let mut out = Vec::new();
    for p in spec.ports.iter().flatten() {
        let Ok(port) = u16::try_from(p.port) else {
            continue;
        };
        let port_name = p.name.clone().unwrap_or_default();
        let mut sp = ServicePort {
            name: ServicePortName {
                namespace: namespace_of(&svc.metadata),
                name: name_of(&svc.metadata),
                port: port_name.clone(),
            },
            protocol: Protocol::parse(p.protocol.as_deref()),
            cluster_ip: Some(cluster_ip),
            port,
            node_port: p
                .node_port
                .filter(|_| node_ports)
                .and_then(|n| u16::try_from(n).ok()),
            external_ips: external_ips.clone(),
            load_balancer_ips: load_balancer_ips.clone(),
            internal_local: spec.internal_traffic_policy.as_deref() == Some("Local"),
            external_local: false,
            affinity_timeout_s,
            endpoints: endpoints_of(slices, &port_name, p.protocol.as_deref()),
        };
        sp.external_local =
            sp.has_external() && spec.external_traffic_policy.as_deref() == Some("Local");
        out.push(sp);
    }
    out
}

/// The endpoints of a Service port named `port_name` across `slices`,
/// ordered as kube-proxy orders them (by the `ip:port` string, so
/// `10.244.1.10:80` before `10.244.1.5:80`), each once (a pod may briefly
/// be in two slices; the first seen wins, as in the EndpointSliceCache).
fn endpoints_of(
    slices: &[&EndpointSlice],
    port_name: &str,
    protocol: Option<&str>,
) -> Vec<Endpoint> {
    let mut out: BTreeMap<String, Endpoint> = BTreeMap::new();
    for s in slices {
        if s.address_type != "IPv4" {
            continue;
        }
        let Some(port) = s
            .ports
            .iter()
            .flatten()
            .find(|p| {
                p.name.as_deref().unwrap_or("") == port_name
                    && Protocol::parse(p.protocol.as_deref()) == Protocol::parse(protocol)
            })
            .and_then(|p| p.port)
            .and_then(|p| u16::try_from(p).ok())
        else {
            continue;
        };
        for e in &s.endpoints {
            let c = e.conditions.as_ref();
            // Unset conditions: ready and serving (the API's documented default).
            let ready = c.and_then(|c| c.ready).unwrap_or(true);
            let serving = c.and_then(|c| c.serving).unwrap_or(ready);
            let terminating = c.and_then(|c| c.terminating).unwrap_or(false);
            for a in &e.addresses {
                let Some(ip) = parse_ip(a) else {
                    continue;
                };
                out.entry(format!("{ip}:{port}"))
                    .or_insert_with(|| Endpoint {
                        ip,
                        port,
                        node: e.node_name.clone().unwrap_or_default(),
                        ready,
                        serving,
                        terminating,
                    });
            }
        }
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(ip: &str, node: &str, ready: bool, serving: bool, terminating: bool) -> Endpoint {
        Endpoint {
            ip: ip.parse().unwrap(),
            port: 80,
            node: node.into(),
            ready,
            serving,
            terminating,
        }
    }

    fn port(endpoints: Vec<Endpoint>) -> ServicePort {
        ServicePort {
            name: ServicePortName {
                namespace: "default".into(),
                name: "web".into(),
                port: String::new(),
            },
            protocol: Protocol::Tcp,
            cluster_ip: Some("10.96.0.10".parse().unwrap()),
            port: 80,
            node_port: Some(30080),
            external_ips: Vec::new(),
            load_balancer_ips: Vec::new(),
            internal_local: false,
            external_local: false,
            affinity_timeout_s: None,
            endpoints,
        }
    }

    #[test]
    fn port_names_print_as_kube_proxy_prints_them() {
        let mut n = ServicePortName {
            namespace: "default".into(),
            name: "web".into(),
            port: String::new(),
        };
        assert_eq!(n.to_string(), "default/web");
        n.port = "http".into();
        assert_eq!(n.to_string(), "default/web:http");
    }

    #[test]
    fn terminating_serving_endpoints_are_used_only_when_none_is_ready() {
        let sp = port(vec![
            ep("10.244.1.2", "a", false, true, true),
            ep("10.244.1.3", "a", true, true, false),
        ]);
        let ips: Vec<String> = sp.cluster_endpoints().iter().map(|e| e.address()).collect();
        assert_eq!(ips, ["10.244.1.3:80"]);
        let sp = port(vec![
            ep("10.244.1.2", "a", false, true, true),
            ep("10.244.1.4", "a", false, false, true),
            ep("10.244.1.5", "a", false, false, false),
        ]);
        let ips: Vec<String> = sp.cluster_endpoints().iter().map(|e| e.address()).collect();
        assert_eq!(ips, ["10.244.1.2:80"]);
    }

    #[test]
    fn local_policy_drops_on_nodes_without_endpoints_and_rejects_without_any() {
        let mut sp = port(vec![ep("10.244.1.2", "a", true, true, false)]);
        sp.external_local = true;
        assert!(matches!(
            ServiceTable::verdict(&sp, Entry::External, "a"),
            Verdict::Endpoints(_, e) if e.len() == 1
        ));
        assert_eq!(
            ServiceTable::verdict(&sp, Entry::External, "b"),
            Verdict::Drop
        );
        // The cluster IP path keeps the Cluster policy.
        assert!(matches!(
            ServiceTable::verdict(&sp, Entry::ClusterIp, "b"),
            Verdict::Endpoints(..)
        ));
        sp.endpoints.clear();
        assert_eq!(
            ServiceTable::verdict(&sp, Entry::External, "a"),
            Verdict::Reject
        );
    }

    #[test]
    fn lookup_matches_node_ports_only_on_the_nodes_own_addresses() {
        let mut t = ServiceTable::default();
        t.replace("default", "web", vec![port(Vec::new())]);
        let me: Ipv4Addr = "192.168.11.102".parse().unwrap();
        let other: Ipv4Addr = "192.168.11.103".parse().unwrap();
        assert!(t.lookup(me, 30080, &[me]).is_some());
        assert!(t.lookup(other, 30080, &[me]).is_none());
        assert!(matches!(
            t.lookup("10.96.0.10".parse().unwrap(), 80, &[me]),
            Some((_, Entry::ClusterIp))
        ));
        t.replace("default", "web", Vec::new());
        assert!(t.is_empty());
        assert!(t.lookup(me, 30080, &[me]).is_none());
    }
}
