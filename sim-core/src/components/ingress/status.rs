//! ingress-nginx's status sync (internal/ingress/status): the controller
//! that leads its election writes where its Ingresses are reached into
//! their `status.loadBalancer.ingress`, the `ADDRESS` of `kubectl get
//! ing`.
//!
//! One component stands for the status sync of every ingress-nginx
//! controller pod (a pod with a container of an ingress-nginx image,
//! `ServerProfile::IngressNginx`), as their leader election leaves only
//! one of them doing it. The addresses, as the controller finds them:
//! - `--publish-status-address=A,B`: those;
//! - `--publish-service=NS/NAME`: that Service's, by its type (a
//!   LoadBalancer's ingress addresses and external IPs; a NodePort's
//!   external IPs, else its cluster IP; a ClusterIP's cluster IP; an
//!   ExternalName's name);
//! - otherwise the addresses of the nodes where the controller's Running
//!   and Ready pods run (a node's ExternalIP, else its InternalIP;
//!   `--report-node-internal-ip-address` takes the InternalIP).
//!
//! The leader syncs when it starts leading and then every
//! [`UPDATE_INTERVAL`] (a new Ingress gets its address within a minute),
//! updating each Ingress it serves whose addresses differ. A leader shutting
//! down while no other controller pod exists clears them
//! (`--update-status-on-shutdown`, true by default).
//!
//! Simplified: the leader is the oldest controller pod whose container
//! runs, chosen at once (no lease to wait out when it goes).

use std::any::Any;
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::networking::v1::{
    Ingress, IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressStatus,
};

use super::{nginx_classes, serves};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::watch::WatchSpec;
use crate::apiserver::Request;
use crate::components::addon_pod::{addon_container, container_running, created};
use crate::components::informer::Informer;
use crate::components::{Component, Ctx, Role, Tag, TagSpace, WatchEvent};
use crate::config::ServerProfile;
use crate::etcd::ChangeType;
use crate::time::SimDuration;

/// How often the leader syncs the status (`UpdateInterval`, 60 s).
pub const UPDATE_INTERVAL: SimDuration = SimDuration::from_secs(60);

/// Labels a controller leaves out when it looks for its sibling pods (set
/// by the workload controllers, different between revisions).
const REVISION_LABELS: [&str; 3] = [
    "pod-template-hash",
    "controller-revision-hash",
    "pod-template-generation",
];

/// The status sync's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StatusTag {
    /// The periodic sync of one leadership term (its serial).
    Sync,
}

impl TagSpace for StatusTag {
    const ALL: &'static [Self] = &[Self::Sync];
    fn id(self) -> u8 {
        0
    }
}

/// One ingress-nginx controller pod, as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ControllerPod {
    /// The controller container's image.
    image: String,
    /// The controller container's arguments.
    args: Vec<String>,
    /// Its labels, without the revision labels.
    labels: BTreeMap<String, String>,
    /// Its node, once bound.
    node: Option<String>,
    /// `metadata.creationTimestamp` (RFC 3339: orders as time).
    created: String,
    /// Its controller container is running (the process could lead).
    running: bool,
    /// Phase Running and condition Ready (its node's address is published).
    ready: bool,
    /// Its deletion has begun.
    deleting: bool,
}

impl ControllerPod {
    /// The controller pod `pod` is, if it runs an ingress-nginx image.
    fn of(pod: &Pod, is_controller: impl Fn(&str) -> bool) -> Option<Self> {
        let spec = pod.spec.as_ref()?;
        let ctr = addon_container(pod, is_controller)?;
        let status = pod.status.as_ref();
        let running = container_running(pod, &ctr.name);
        let ready = status.and_then(|s| s.phase.as_deref()) == Some("Running")
            && status
                .and_then(|s| s.conditions.as_ref())
                .into_iter()
                .flatten()
                .any(|c| c.type_ == "Ready" && c.status == "True");
        let mut labels = pod.metadata.labels.clone().unwrap_or_default();
        for l in REVISION_LABELS {
            labels.remove(l);
        }
        Some(ControllerPod {
            image: ctr.image.clone().unwrap_or_default(),
            args: ctr.args.clone().unwrap_or_default(),
            labels,
            node: spec.node_name.clone().filter(|n| !n.is_empty()),
            created: created(pod),
            running,
            ready,
            deleting: pod.metadata.deletion_timestamp.is_some(),
        })
    }

    /// The value of flag `--name` (`--name=v` or `--name v`), with
    /// `$(POD_NAMESPACE)` expanded.
    fn flag(&self, name: &str, namespace: &str) -> Option<String> {
        let long = format!("--{name}");
        let mut it = self.args.iter();
        while let Some(a) = it.next() {
            let value = if let Some(v) = a.strip_prefix(&format!("{long}=")) {
                Some(v.to_owned())
            } else if *a == long {
                it.next().cloned()
            } else {
                None
            };
            if let Some(v) = value {
                return Some(v.replace("$(POD_NAMESPACE)", namespace));
            }
        }
        None
    }

    /// Whether boolean flag `--name` is set (`--name`, `--name=true`).
    fn switch(&self, name: &str) -> bool {
        let long = format!("--{name}");
        self.args
            .iter()
            .any(|a| *a == long || *a == format!("{long}=true"))
    }
}

/// The status sync of the cluster's ingress-nginx controllers.
#[derive(Debug, Default)]
pub struct IngressStatusSync {
    /// The controller pods.
    controllers: BTreeMap<ObjectKey, ControllerPod>,
    /// Every Ingress.
    ingresses: Informer,
    /// Every IngressClass.
    classes: Informer,
    /// Every Service (for `--publish-service`).
    services: Informer,
    /// Each node's (InternalIP, ExternalIP).
    node_addresses: BTreeMap<String, (Option<String>, Option<String>)>,
    /// The pod leading the election.
    leader: Option<ObjectKey>,
    /// The current leadership term (its periodic timer's serial).
    term: u64,
}

impl IngressStatusSync {
    /// The status sync, before it has seen anything.
    pub fn new() -> Self {
        Self::default()
    }

    fn watch_all(&self, ctx: &mut Ctx<'_>) {
        for kind in [
            Kind::Pod,
            Kind::Ingress,
            Kind::IngressClass,
            Kind::Service,
            Kind::Node,
        ] {
            ctx.watch(WatchSpec::all(kind));
        }
    }

    /// The pod that leads now: the oldest whose controller runs.
    fn elect(&self) -> Option<ObjectKey> {
        self.controllers
            .iter()
            .filter(|(_, c)| c.running && !c.deleting)
            .min_by(|(ka, a), (kb, b)| (&a.created, ka).cmp(&(&b.created, kb)))
            .map(|(k, _)| k.clone())
    }

    /// Follows a change of leader: the new one syncs at once and then
    /// every interval; one shutting down alone clears the status.
    fn reelect(&mut self, ctx: &mut Ctx<'_>, gone: Option<ControllerPod>) {
        let leader = self.elect();
        if leader == self.leader {
            return;
        }
        let previous = self.leader.take();
        self.leader = leader;
        self.term += 1;
        if self.leader.is_some() {
            self.sync(ctx);
            ctx.set_timer(UPDATE_INTERVAL, Tag::new(StatusTag::Sync, self.term));
        } else if let Some(prev) = previous {
            let others = self.controllers.keys().any(|k| *k != prev);
            let pod = self.controllers.get(&prev).cloned().or(gone);
            if let (false, Some(pod)) = (others, pod) {
                self.update_all(ctx, &pod, &[]);
            }
        }
    }

    /// The addresses the leader publishes.
    fn addresses(
        &self,
        key: &ObjectKey,
        leader: &ControllerPod,
    ) -> Vec<IngressLoadBalancerIngress> {
        let ns = key.namespace.as_str();
        let mut addrs: Vec<IngressLoadBalancerIngress> = Vec::new();
        let mut add = |name: &str| {
            let entry = address_entry(name);
            if !addrs.contains(&entry) {
                addrs.push(entry);
            }
        };
        if let Some(list) = leader.flag("publish-status-address", ns) {
            for a in list.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                add(a);
            }
        } else if let Some(svc) = leader.flag("publish-service", ns) {
            let (svc_ns, name) = svc.split_once('/').unwrap_or((ns, svc.as_str()));
            let key = ObjectKey::new(Kind::Service, svc_ns, name);
            if let Some(Object::Service(s)) = self.services.get(&key).map(|o| &**o) {
                for a in service_addresses(s) {
                    add(&a);
                }
            }
        } else {
            let internal = leader.switch("report-node-internal-ip-address");
            for (k, pod) in &self.controllers {
                let sibling = k.namespace == key.namespace
                    && leader
                        .labels
                        .iter()
                        .all(|(l, v)| pod.labels.get(l) == Some(v));
                let Some(node) = pod.node.as_ref().filter(|_| sibling && pod.ready) else {
                    continue;
                };
                let (int, ext) = self.node_addresses.get(node).cloned().unwrap_or_default();
                let ip = if internal { int } else { ext.or(int) };
                add(ip.as_deref().unwrap_or(node));
            }
        }
        addrs.sort_by(|a, b| (&a.hostname, &a.ip).cmp(&(&b.hostname, &b.ip)));
        addrs
    }

    /// The leader's sync: every Ingress it serves gets its addresses.
    fn sync(&mut self, ctx: &mut Ctx<'_>) {
        let Some(key) = self.leader.clone() else {
            return;
        };
        let Some(leader) = self.controllers.get(&key).cloned() else {
            return;
        };
        let addrs = self.addresses(&key, &leader);
        self.update_all(ctx, &leader, &addrs);
    }

    /// Writes `addrs` into each Ingress `controller` serves that holds others.
    fn update_all(
        &self,
        ctx: &mut Ctx<'_>,
        controller: &ControllerPod,
        addrs: &[IngressLoadBalancerIngress],
    ) {
        let classes = nginx_classes(self.classes.iter());
        for o in self.ingresses.iter() {
            let Object::Ingress(ing) = &**o else {
                continue;
            };
            if !serves(ing, &classes, &controller.image) || current(ing) == addrs {
                continue;
            }
            let mut updated: Ingress = (**ing).clone();
            updated.status = Some(IngressStatus {
                load_balancer: Some(IngressLoadBalancerStatus {
                    ingress: (!addrs.is_empty()).then(|| addrs.to_vec()),
                }),
            });
            ctx.send(Request::UpdateStatus(Object::from(updated)));
        }
    }

    fn observe_pod(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
        let Object::Pod(pod) = &*event.object else {
            return;
        };
        let images = &ctx.config().images;
        let is_controller = |image: &str| {
            matches!(
                images.lookup(image).server,
                Some(ServerProfile::IngressNginx)
            )
        };
        let key = ObjectKey::of(&event.object);
        let gone = if event.change == ChangeType::Deleted {
            self.controllers.remove(&key)
        } else {
            match ControllerPod::of(pod, is_controller) {
                Some(c) => {
                    self.controllers.insert(key, c);
                    None
                }
                None => self.controllers.remove(&key),
            }
        };
        self.reelect(ctx, gone);
    }
}

/// The addresses `svc` publishes, by its type.
fn service_addresses(svc: &k8s_openapi::api::core::v1::Service) -> Vec<String> {
    let spec = svc.spec.clone().unwrap_or_default();
    let external = spec.external_ips.clone().unwrap_or_default();
    let cluster_ip = spec.cluster_ip.clone().into_iter().collect::<Vec<_>>();
    match spec.type_.as_deref().unwrap_or("ClusterIP") {
        "ExternalName" => spec.external_name.into_iter().collect(),
        "NodePort" if external.is_empty() => cluster_ip,
        "NodePort" => external,
        "LoadBalancer" => {
            let mut addrs: Vec<String> = svc
                .status
                .iter()
                .flat_map(|s| s.load_balancer.iter())
                .flat_map(|lb| lb.ingress.iter().flatten())
                .filter_map(|i| i.ip.clone().or_else(|| i.hostname.clone()))
                .collect();
            for ip in external {
                if !addrs.contains(&ip) {
                    addrs.push(ip);
                }
            }
            addrs
        }
        _ => cluster_ip,
    }
}

/// An address as the status holds it: an IP, else a host name.
fn address_entry(name: &str) -> IngressLoadBalancerIngress {
    if name.parse::<std::net::IpAddr>().is_ok() {
        IngressLoadBalancerIngress {
            ip: Some(name.to_owned()),
            ..Default::default()
        }
    } else {
        IngressLoadBalancerIngress {
            hostname: Some(name.to_owned()),
            ..Default::default()
        }
    }
}

/// The addresses `ing`'s status holds, sorted as the sync sorts them.
fn current(ing: &Ingress) -> Vec<IngressLoadBalancerIngress> {
    let mut addrs: Vec<IngressLoadBalancerIngress> = ing
        .status
        .iter()
        .flat_map(|s| s.load_balancer.iter())
        .flat_map(|lb| lb.ingress.iter().flatten())
        .cloned()
        .collect();
    addrs.sort_by(|a, b| (&a.hostname, &a.ip).cmp(&(&b.hostname, &b.ip)));
    addrs
}

/// A node's (InternalIP, ExternalIP).
fn node_addresses(node: &k8s_openapi::api::core::v1::Node) -> (Option<String>, Option<String>) {
    let addresses = node
        .status
        .as_ref()
        .and_then(|s| s.addresses.as_ref())
        .cloned()
        .unwrap_or_default();
    let of = |t: &str| {
        addresses
            .iter()
            .find(|a| a.type_ == t && !a.address.is_empty())
            .map(|a| a.address.clone())
    };
    (of("InternalIP"), of("ExternalIP"))
}

impl Component for IngressStatusSync {
    fn role(&self) -> Role {
        Role::IngressStatusSync
    }

    fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.watch_all(ctx);
    }

    fn on_watch(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
        match event.object.kind() {
            Kind::Pod => self.observe_pod(ctx, event),
            Kind::Ingress => {
                self.ingresses.apply(event);
            }
            Kind::IngressClass => {
                self.classes.apply(event);
            }
            Kind::Service => {
                self.services.apply(event);
            }
            Kind::Node => {
                let name = event.object.name().to_owned();
                match (&*event.object, event.change) {
                    (_, ChangeType::Deleted) => {
                        self.node_addresses.remove(&name);
                    }
                    (Object::Node(n), _) => {
                        self.node_addresses.insert(name, node_addresses(n));
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, tag: Tag) {
        if tag.space() != Some(StatusTag::Sync) || tag.serial() != self.term {
            return;
        }
        if self.leader.is_some() {
            self.sync(ctx);
            ctx.set_timer(UPDATE_INTERVAL, Tag::new(StatusTag::Sync, self.term));
        }
    }

    fn on_fault(&mut self, ctx: &mut Ctx<'_>, fault: &crate::faults::ComponentFault) {
        if let crate::faults::ComponentFault::Resync = fault {
            self.watch_all(ctx);
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(args: &[&str]) -> ControllerPod {
        ControllerPod {
            image: "registry.k8s.io/ingress-nginx/controller:v1.12.1".into(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            labels: BTreeMap::new(),
            node: None,
            created: String::new(),
            running: true,
            ready: true,
            deleting: false,
        }
    }

    #[test]
    fn flags_are_read_in_both_forms_with_the_namespace_expanded() {
        let p = pod(&[
            "/nginx-ingress-controller",
            "--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller",
            "--publish-status-address",
            "10.0.0.1, lb.example.com",
            "--report-node-internal-ip-address",
        ]);
        assert_eq!(
            p.flag("publish-service", "ingress-nginx").as_deref(),
            Some("ingress-nginx/ingress-nginx-controller")
        );
        assert_eq!(
            p.flag("publish-status-address", "x").as_deref(),
            Some("10.0.0.1, lb.example.com")
        );
        assert!(p.switch("report-node-internal-ip-address"));
        assert!(!p.switch("update-status"));
        assert_eq!(p.flag("election-id", "x"), None);
    }

    #[test]
    fn addresses_are_ips_or_host_names() {
        assert_eq!(address_entry("10.0.0.1").ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(
            address_entry("lb.example.com").hostname.as_deref(),
            Some("lb.example.com")
        );
    }
}
