//! The EndpointSlice controller (pkg/controller/endpointslice, its
//! reconciler in staging/src/k8s.io/endpointslice): for each Service with a
//! selector, EndpointSlices of at most [`MAX_ENDPOINTS_PER_SLICE`]
//! endpoints (`--max-endpoints-per-slice`, 100) listing the selected pods
//! that have an IP and are not terminal, with the real conditions: `ready`
//! (the pod is Ready and not terminating, or the Service publishes
//! not-ready addresses), `serving` (Ready, terminating or not),
//! `terminating` (being deleted); the pod's node, its zone
//! (`topology.kubernetes.io/zone` of the node) and a `targetRef` to it.
//!
//! Slices are labelled `kubernetes.io/service-name` and
//! `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io`
//! (with the Service's own labels), owned by the Service (so the garbage
//! collector deletes them with it), named by the API server from
//! `generateName: <service>-`. One slice per set of ports (a named
//! `targetPort` may resolve differently per pod). Reconciling keeps each
//! endpoint in the slice that holds it (updated in place when its
//! conditions change), fills slices that have room before creating new
//! ones, and deletes slices left empty; a Service without endpoints keeps
//! one empty placeholder slice. Endpoints are in IP order within a slice.
//!
//! Like the real controller's endpointSliceTracker, it does not reconcile a
//! Service while its own writes are in flight or its cache has not caught
//! up with them (a slice it created or updated not yet seen at that
//! resourceVersion, one it deleted still there): acting on a stale cache
//! would create duplicate slices.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Service, ServicePort};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::endpoints::{endpoint_pods, pod_reference, target_port};
use super::{ControllerTag, Informers, Serials, WorkQueue};
use crate::api::meta::owner_reference;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{ApiResult, DeleteOptions, Request};
use crate::components::{Ctx, Tag, WatchEvent};

/// `--max-endpoints-per-slice` (default 100).
pub(crate) const MAX_ENDPOINTS_PER_SLICE: usize = 100;

/// The `endpointslice.kubernetes.io/managed-by` value of this controller.
pub(crate) const MANAGED_BY: &str = "endpointslice-controller.k8s.io";

/// The label naming a slice's Service.
pub(crate) const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";

/// What the controller expects its cache to show of a slice it wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Expected {
    /// Present at this resourceVersion or later.
    AtLeast(u64),
    /// Gone.
    Gone,
}

/// A write of the controller.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Write {
    /// A new slice.
    Create,
    /// An update of the named slice.
    Update,
    /// The deletion of the named slice.
    Delete(String),
}

/// The controller.
#[derive(Debug)]
pub(crate) struct EndpointSliceController {
    queue: WorkQueue,
    /// Writes in flight: their tag's Service and what they do.
    in_flight: BTreeMap<Tag, (ObjectKey, Write)>,
    /// Per Service, what its slices must look like in the cache first.
    expected: BTreeMap<ObjectKey, BTreeMap<String, Expected>>,
    serials: Serials,
}

impl Default for EndpointSliceController {
    fn default() -> Self {
        Self {
            queue: WorkQueue::default(),
            in_flight: BTreeMap::new(),
            expected: BTreeMap::new(),
            serials: Serials::new(ControllerTag::EndpointSliceWrite),
        }
    }
}

fn resource_version(o: &Object) -> u64 {
    o.meta()
        .resource_version
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A Service's ports as a pod serves them: (name, port, protocol), sorted.
type PortSet = Vec<(String, i32, String)>;

/// The slices this controller manages for Service `ns/name`, by name.
fn owned_slices<'a>(informers: &'a Informers, ns: &str, name: &str) -> Vec<&'a EndpointSlice> {
    informers
        .of(Kind::EndpointSlice)
        .iter()
        .filter(|o| o.namespace() == ns)
        .filter_map(|o| match &**o {
            Object::EndpointSlice(s) => Some(&**s),
            _ => None,
        })
        .filter(|s| {
            let labels = s.metadata.labels.as_ref();
            labels
                .and_then(|l| l.get(SERVICE_NAME_LABEL))
                .map(String::as_str)
                == Some(name)
                && labels
                    .and_then(|l| l.get(MANAGED_BY_LABEL))
                    .map(String::as_str)
                    == Some(MANAGED_BY)
        })
        .collect()
}

impl EndpointSliceController {
    /// Records the answer to one of its writes; true when it was one.
    pub(crate) fn on_response(&mut self, tag: Tag, result: &ApiResult) -> bool {
        let Some((svc, write)) = self.in_flight.remove(&tag) else {
            return false;
        };
        if let Ok(resp) = result {
            let expected = self.expected.entry(svc.clone()).or_default();
            match (write, resp.object()) {
                (Write::Delete(name), _) => {
                    expected.insert(name, Expected::Gone);
                }
                (Write::Create | Write::Update, Some(o)) => {
                    expected.insert(o.name().to_owned(), Expected::AtLeast(resource_version(o)));
                }
                (Write::Create | Write::Update, None) => {}
            }
        }
        // A failed write (or any answer) lets the Service be synced again.
        self.queue.add(svc);
        true
    }

    /// True when the cache shows every write made for `svc`, and none is in
    /// flight (the expectations are then forgotten).
    fn caught_up(&mut self, svc: &ObjectKey, informers: &Informers) -> bool {
        if self.in_flight.values().any(|(s, _)| s == svc) {
            return false;
        }
        let Some(expected) = self.expected.get(svc) else {
            return true;
        };
        let seen = expected.iter().all(|(name, want)| {
            let cached = informers.of(Kind::EndpointSlice).get(&ObjectKey::new(
                Kind::EndpointSlice,
                &svc.namespace,
                name,
            ));
            match (want, cached) {
                (Expected::Gone, None) => true,
                (Expected::AtLeast(rv), Some(o)) => resource_version(o) >= *rv,
                _ => false,
            }
        });
        if seen {
            self.expected.remove(svc);
        }
        seen
    }

    fn send(&mut self, ctx: &mut Ctx<'_>, svc: &ObjectKey, write: Write, request: Request) {
        let tag = self.serials.take();
        self.in_flight.insert(tag, (svc.clone(), write));
        ctx.send_tagged(request, tag);
    }

    /// Queues the Services a change concerns: a changed Service, those
    /// selecting a changed pod (`selecting`, from
    /// [`super::endpoints::services_selecting`]), and the Service of one of
    /// its slices changed or deleted by someone else (it is put right).
    pub(crate) fn observe(&mut self, event: &WatchEvent, selecting: &[ObjectKey]) {
        let obj = &event.object;
        match obj.kind() {
            Kind::Service => self.queue.add(ObjectKey::of(obj)),
            Kind::EndpointSlice => {
                if let Some(name) = obj.labels().get(SERVICE_NAME_LABEL) {
                    if obj.labels().get(MANAGED_BY_LABEL).map(String::as_str) == Some(MANAGED_BY) {
                        self.queue
                            .add(ObjectKey::new(Kind::Service, obj.namespace(), name));
                    }
                }
            }
            _ => {}
        }
        for key in selecting {
            self.queue.add(key.clone());
        }
    }

    /// Reconciles the slices of the dirty Services.
    pub(crate) fn sync(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        for key in self.queue.drain() {
            if !self.caught_up(&key, informers) {
                // Synced again when its writes are answered or seen.
                continue;
            }
            let svc_obj = informers.of(Kind::Service).get(&key).cloned();
            let existing = owned_slices(informers, &key.namespace, &key.name);
            let svc = match svc_obj.as_deref() {
                Some(Object::Service(s)) => s,
                // Gone: the garbage collector deletes the owned slices.
                _ => continue,
            };
            let has_selector = svc
                .spec
                .as_ref()
                .and_then(|s| s.selector.as_ref())
                .is_some_and(|s| !s.is_empty());
            if !has_selector {
                continue;
            }
            let desired = desired_endpoints(svc, &key.namespace, informers);
            let plan = reconcile(&existing, &desired);
            let owner = svc_obj.as_deref().expect("matched above");
            for slice in plan.create {
                let request = Request::Create(Object::from(new_slice(svc, owner, slice)));
                self.send(ctx, &key, Write::Create, request);
            }
            for (name, slice) in plan.update {
                let Some(have) = existing
                    .iter()
                    .find(|s| s.metadata.name.as_deref() == Some(&name))
                else {
                    continue;
                };
                let mut updated = (*have).clone();
                updated.endpoints = slice.endpoints;
                updated.ports = slice.ports;
                updated.metadata.labels = Some(slice_labels(svc));
                updated.metadata.resource_version = None;
                self.send(
                    ctx,
                    &key,
                    Write::Update,
                    Request::Update(Object::from(updated)),
                );
            }
            for name in plan.delete {
                let request = Request::Delete {
                    key: ObjectKey::new(Kind::EndpointSlice, &key.namespace, &name),
                    options: DeleteOptions::default(),
                };
                self.send(ctx, &key, Write::Delete(name), request);
            }
        }
    }
}

/// The endpoints a Service should have, grouped by the ports they serve,
/// each group in IP order.
fn desired_endpoints(
    svc: &Service,
    namespace: &str,
    informers: &Informers,
) -> BTreeMap<PortSet, Vec<Endpoint>> {
    let spec = svc.spec.as_ref();
    let publish_not_ready = spec
        .and_then(|s| s.publish_not_ready_addresses)
        .unwrap_or(false);
    let ports: Vec<&ServicePort> = spec
        .and_then(|s| s.ports.as_ref())
        .into_iter()
        .flatten()
        .collect();
    let mut groups: BTreeMap<PortSet, Vec<Endpoint>> = BTreeMap::new();
    for (pod, ip) in endpoint_pods(svc, namespace, informers) {
        let set: PortSet = ports
            .iter()
            .filter_map(|sp| {
                Some((
                    sp.name.clone().unwrap_or_default(),
                    target_port(sp, pod)?,
                    sp.protocol.clone().unwrap_or_else(|| "TCP".into()),
                ))
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let terminating = pod.metadata.deletion_timestamp.is_some();
        let pod_ready = crate::api::conditions::is_pod_ready(pod);
        let node_name = pod.spec.as_ref().and_then(|s| s.node_name.clone());
        let zone = node_name.as_ref().and_then(|n| {
            informers
                .of(Kind::Node)
                .get(&ObjectKey::new(Kind::Node, "", n))
                .and_then(|node| node.labels().get("topology.kubernetes.io/zone").cloned())
        });
        let hostname = pod
            .spec
            .as_ref()
            .filter(|s| s.subdomain.as_deref() == svc.metadata.name.as_deref())
            .and_then(|s| s.hostname.clone());
        groups.entry(set).or_default().push(Endpoint {
            addresses: vec![ip],
            conditions: Some(EndpointConditions {
                ready: Some((pod_ready && !terminating) || publish_not_ready),
                serving: Some(pod_ready || publish_not_ready),
                terminating: Some(terminating),
            }),
            hostname,
            node_name,
            zone,
            target_ref: Some(pod_reference(pod)),
            ..Default::default()
        });
    }
    for eps in groups.values_mut() {
        eps.sort_by(|a, b| a.addresses.cmp(&b.addresses));
    }
    groups
}

/// The content of one slice.
#[derive(Clone, Debug, PartialEq)]
struct SliceContent {
    endpoints: Vec<Endpoint>,
    ports: Option<Vec<EndpointPort>>,
}

/// What to write.
#[derive(Debug, Default)]
struct Plan {
    create: Vec<SliceContent>,
    update: Vec<(String, SliceContent)>,
    delete: Vec<String>,
}

impl Plan {
    /// New slices of at most [`MAX_ENDPOINTS_PER_SLICE`] for `endpoints`
    /// serving `set`.
    fn create_for(&mut self, endpoints: &[Endpoint], set: &PortSet) {
        for chunk in endpoints.chunks(MAX_ENDPOINTS_PER_SLICE) {
            self.create.push(SliceContent {
                endpoints: chunk.to_vec(),
                ports: endpoint_ports(set),
            });
        }
    }
}

fn endpoint_ports(set: &PortSet) -> Option<Vec<EndpointPort>> {
    Some(
        set.iter()
            .map(|(name, port, protocol)| EndpointPort {
                name: Some(name.clone()),
                port: Some(*port),
                protocol: Some(protocol.clone()),
                app_protocol: None,
            })
            .collect(),
    )
}

fn port_set(slice: &EndpointSlice) -> PortSet {
    slice
        .ports
        .iter()
        .flatten()
        .map(|p| {
            (
                p.name.clone().unwrap_or_default(),
                p.port.unwrap_or_default(),
                p.protocol.clone().unwrap_or_else(|| "TCP".into()),
            )
        })
        .collect()
}

fn address_of(e: &Endpoint) -> &str {
    e.addresses.first().map_or("", String::as_str)
}

/// The writes that make `existing` hold `desired`: each endpoint stays in
/// the slice that has it, new ones fill slices with room (in name order)
/// then new slices; slices left empty go, but a Service without endpoints
/// keeps one (the placeholder).
fn reconcile(existing: &[&EndpointSlice], desired: &BTreeMap<PortSet, Vec<Endpoint>>) -> Plan {
    let mut plan = Plan::default();
    let mut sorted: Vec<&EndpointSlice> = existing.to_vec();
    sorted.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    let mut kept_any = false;
    // Slices whose port set is no longer wanted are emptied.
    let mut by_ports: BTreeMap<PortSet, Vec<&EndpointSlice>> = BTreeMap::new();
    for s in &sorted {
        by_ports.entry(port_set(s)).or_default().push(s);
    }
    let no_endpoints = desired.values().all(Vec::is_empty);
    for (set, slices) in &by_ports {
        let want: BTreeMap<&str, &Endpoint> = desired
            .get(set)
            .into_iter()
            .flatten()
            .map(|e| (address_of(e), e))
            .collect();
        let mut placed: BTreeSet<&str> = BTreeSet::new();
        let mut contents: Vec<(String, Vec<Endpoint>, bool)> = Vec::new();
        for s in slices {
            let name = s.metadata.name.clone().unwrap_or_default();
            let mut eps: Vec<Endpoint> = Vec::new();
            for e in &s.endpoints {
                let a = address_of(e);
                if let Some(w) = want.get(a) {
                    if placed.insert(a) {
                        eps.push((*w).clone());
                    }
                }
            }
            let changed = eps != s.endpoints;
            contents.push((name, eps, changed));
        }
        // New endpoints fill the slices with room, then new slices.
        let mut fresh: Vec<Endpoint> = want
            .iter()
            .filter(|(a, _)| !placed.contains(*a))
            .map(|(_, e)| (*e).clone())
            .collect();
        for (_, eps, changed) in &mut contents {
            while eps.len() < MAX_ENDPOINTS_PER_SLICE && !fresh.is_empty() {
                eps.push(fresh.remove(0));
                *changed = true;
            }
            eps.sort_by(|a, b| a.addresses.cmp(&b.addresses));
        }
        plan.create_for(&fresh, set);
        for (name, eps, changed) in contents {
            // An emptied slice goes, but for the one placeholder a Service
            // without endpoints keeps.
            let placeholder = eps.is_empty() && no_endpoints && !kept_any && plan.create.is_empty();
            if eps.is_empty() && !placeholder {
                plan.delete.push(name);
                continue;
            }
            kept_any = true;
            if changed {
                let ports = if eps.is_empty() {
                    None
                } else {
                    endpoint_ports(set)
                };
                plan.update.push((
                    name,
                    SliceContent {
                        endpoints: eps,
                        ports,
                    },
                ));
            }
        }
    }
    // Port sets no slice serves yet.
    for (set, eps) in desired {
        if by_ports.contains_key(set) || eps.is_empty() {
            continue;
        }
        plan.create_for(eps, set);
    }
    if no_endpoints && existing.is_empty() {
        plan.create.push(SliceContent {
            endpoints: Vec::new(),
            ports: None,
        });
    }
    plan
}

fn slice_labels(svc: &Service) -> BTreeMap<String, String> {
    let mut labels = svc.metadata.labels.clone().unwrap_or_default();
    labels.insert(
        SERVICE_NAME_LABEL.into(),
        svc.metadata.name.clone().unwrap_or_default(),
    );
    labels.insert(MANAGED_BY_LABEL.into(), MANAGED_BY.into());
    labels
}

fn new_slice(svc: &Service, owner: &Object, content: SliceContent) -> EndpointSlice {
    let name = svc.metadata.name.clone().unwrap_or_default();
    EndpointSlice {
        metadata: ObjectMeta {
            generate_name: Some(format!("{name}-")),
            namespace: svc.metadata.namespace.clone(),
            labels: Some(slice_labels(svc)),
            owner_references: Some(vec![owner_reference(owner, true)]),
            ..Default::default()
        },
        address_type: "IPv4".into(),
        endpoints: content.endpoints,
        ports: content.ports,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(ip: &str) -> Endpoint {
        Endpoint {
            addresses: vec![ip.to_owned()],
            ..Default::default()
        }
    }

    fn set() -> PortSet {
        vec![("".into(), 8080, "TCP".into())]
    }

    fn slice(name: &str, ips: &[&str]) -> EndpointSlice {
        EndpointSlice {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            address_type: "IPv4".into(),
            endpoints: ips.iter().map(|i| ep(i)).collect(),
            ports: endpoint_ports(&set()),
        }
    }

    fn ips(n: usize) -> Vec<Endpoint> {
        (0..n)
            .map(|i| ep(&format!("10.0.{}.{}", i / 250, i % 250)))
            .collect()
    }

    #[test]
    fn endpoints_fill_slices_of_at_most_a_hundred() {
        let desired = BTreeMap::from([(set(), ips(250))]);
        let plan = reconcile(&[], &desired);
        let sizes: Vec<usize> = plan.create.iter().map(|s| s.endpoints.len()).collect();
        assert_eq!(sizes, [100, 100, 50]);
        assert!(plan.update.is_empty() && plan.delete.is_empty());
    }

    #[test]
    fn endpoints_stay_where_they_are_and_new_ones_fill_room_first() {
        let a = slice("web-aaaaa", &["10.0.0.1", "10.0.0.2"]);
        let desired = BTreeMap::from([(set(), vec![ep("10.0.0.2"), ep("10.0.0.3")])]);
        let plan = reconcile(&[&a], &desired);
        assert!(plan.create.is_empty() && plan.delete.is_empty());
        assert_eq!(plan.update.len(), 1);
        let (name, content) = &plan.update[0];
        assert_eq!(name, "web-aaaaa");
        let got: Vec<&str> = content.endpoints.iter().map(address_of).collect();
        assert_eq!(got, ["10.0.0.2", "10.0.0.3"]);
        // Nothing to change: no write.
        let same = slice("web-aaaaa", &["10.0.0.2", "10.0.0.3"]);
        let plan = reconcile(&[&same], &desired);
        assert!(plan.create.is_empty() && plan.update.is_empty() && plan.delete.is_empty());
    }

    #[test]
    fn empty_slices_go_but_a_service_without_endpoints_keeps_a_placeholder() {
        let a = slice("web-aaaaa", &["10.0.0.1"]);
        let b = slice("web-bbbbb", &["10.0.0.2"]);
        let desired = BTreeMap::from([(set(), vec![ep("10.0.0.2")])]);
        let plan = reconcile(&[&a, &b], &desired);
        assert_eq!(plan.delete, ["web-aaaaa"]);
        let none: BTreeMap<PortSet, Vec<Endpoint>> = BTreeMap::new();
        let plan = reconcile(&[&a, &b], &none);
        assert_eq!(
            plan.delete,
            ["web-bbbbb"],
            "one slice stays as the placeholder"
        );
        assert_eq!(plan.update.len(), 1);
        assert!(plan.update[0].1.endpoints.is_empty());
        let plan = reconcile(&[], &none);
        assert_eq!(plan.create.len(), 1, "a placeholder is made");
        assert!(plan.create[0].endpoints.is_empty());
    }
}
