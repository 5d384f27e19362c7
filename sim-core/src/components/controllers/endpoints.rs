//! The endpoints controller (pkg/controller/endpoint): for each Service with
//! a selector, an Endpoints object of the same name listing the selected
//! pods that have an IP and are not terminal: Ready pods in `addresses`, the
//! others in `notReadyAddresses`; terminating pods are left out (unless
//! `publishNotReadyAddresses`). So when the node controller marks the pods of
//! an Unknown node Ready=False, they move to `notReadyAddresses`.
//! EndpointSlices are [`super::endpointslice`]'s.
//!
//! An Endpoints object holds at most [`MAX_CAPACITY`] addresses (1,000):
//! beyond, the controller keeps the first ones in address order, ready
//! ones first, and annotates it `endpoints.kubernetes.io/over-capacity:
//! truncated` (`truncateEndpoints`); the annotation goes when it fits
//! again. So an Endpoints write costs the same for a Service of 1,000 pods
//! as for one of 100,000.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{
    EndpointAddress, EndpointPort, EndpointSubset, Endpoints, ObjectReference, Pod, Service,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Informers, WorkQueue};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{DeleteOptions, Request};
use crate::components::{Ctx, WatchEvent};

/// The most addresses an Endpoints object holds (`maxCapacity`).
pub(crate) const MAX_CAPACITY: usize = 1_000;

/// The annotation of a truncated Endpoints object.
pub(crate) const OVER_CAPACITY: &str = "endpoints.kubernetes.io/over-capacity";

/// The controller.
#[derive(Debug, Default)]
pub(crate) struct EndpointsController {
    queue: WorkQueue,
}

/// The Service selects the pod (a Service without a selector selects none).
pub(super) fn selects(svc: &Service, pod: &Object) -> bool {
    let Some(sel) = svc
        .spec
        .as_ref()
        .and_then(|s| s.selector.as_ref())
        .filter(|s| !s.is_empty())
    else {
        return false;
    };
    sel.iter().all(|(k, v)| pod.labels().get(k) == Some(v))
}

/// The port a Service port targets on a pod: a number, or a named container port.
pub(super) fn target_port(
    port: &k8s_openapi::api::core::v1::ServicePort,
    pod: &Pod,
) -> Option<i32> {
    match port.target_port.as_ref() {
        None => Some(port.port),
        Some(IntOrString::Int(n)) => Some(*n),
        Some(IntOrString::String(name)) => pod
            .spec
            .as_ref()?
            .containers
            .iter()
            .flat_map(|c| c.ports.iter().flatten())
            .find(|p| p.name.as_deref() == Some(name.as_str()))
            .map(|p| p.container_port),
    }
}

/// The pods a Service's endpoints come from, with their IPs: those of
/// `namespace` it selects that have an IP and are not terminal
/// (`ShouldPodBeInEndpoints`), in the informer's order.
pub(super) fn endpoint_pods<'a>(
    svc: &'a Service,
    namespace: &'a str,
    informers: &'a Informers,
) -> impl Iterator<Item = (&'a Pod, String)> + 'a {
    informers
        .of(Kind::Pod)
        .iter()
        .filter(move |p| p.namespace() == namespace && selects(svc, p))
        .filter_map(|p| {
            let pod = p.as_pod()?;
            let status = pod.status.as_ref();
            let ip = status
                .and_then(|s| s.pod_ip.clone())
                .filter(|ip| !ip.is_empty())?;
            let terminal = matches!(
                status.and_then(|s| s.phase.as_deref()),
                Some("Succeeded" | "Failed")
            );
            (!terminal).then_some((pod, ip))
        })
}

/// The Services of a changed pod's namespace that select it now or
/// selected it before the change (`prev`): the ones whose Endpoints and
/// EndpointSlices the change concerns. Empty for other kinds.
pub(super) fn services_selecting(
    event: &WatchEvent,
    prev: Option<&Object>,
    informers: &Informers,
) -> Vec<ObjectKey> {
    let obj = &event.object;
    if obj.kind() != Kind::Pod {
        return Vec::new();
    }
    informers
        .of(Kind::Service)
        .iter()
        .filter(|s| s.namespace() == obj.namespace())
        .filter(|svc| {
            let Object::Service(s) = &***svc else {
                return false;
            };
            selects(s, obj) || prev.is_some_and(|p| selects(s, p))
        })
        .map(|svc| ObjectKey::of(svc))
        .collect()
}

impl EndpointsController {
    /// Queues the Services a change concerns: a changed Service, or those
    /// selecting a changed pod (`selecting`, from [`services_selecting`]).
    pub(crate) fn observe(&mut self, event: &WatchEvent, selecting: &[ObjectKey]) {
        if event.object.kind() == Kind::Service {
            self.queue.add(ObjectKey::of(&event.object));
        }
        for key in selecting {
            self.queue.add(key.clone());
        }
    }

    /// Writes the Endpoints of the dirty Services.
    pub(crate) fn sync(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        for key in self.queue.drain() {
            let ep_key = ObjectKey::new(Kind::Endpoints, key.namespace.clone(), key.name.clone());
            let existing = informers.of(Kind::Endpoints).get(&ep_key).cloned();
            let svc = informers.of(Kind::Service).get(&key).cloned();
            let Some(Object::Service(svc)) = svc.as_deref() else {
                // The Service is gone: so are its Endpoints.
                if existing.is_some() {
                    ctx.send(Request::Delete {
                        key: ep_key,
                        options: DeleteOptions::default(),
                    });
                }
                continue;
            };
            if svc
                .spec
                .as_ref()
                .and_then(|s| s.selector.as_ref())
                .is_none_or(|s| s.is_empty())
            {
                continue;
            }
            let mut subsets = subsets(svc, &key.namespace, informers);
            let truncated = truncate(subsets.as_mut());
            let want = Endpoints {
                metadata: ObjectMeta {
                    name: Some(key.name.clone()),
                    namespace: Some(key.namespace.clone()),
                    labels: svc.metadata.labels.clone(),
                    annotations: truncated
                        .then(|| [(OVER_CAPACITY.to_owned(), "truncated".to_owned())].into()),
                    ..Default::default()
                },
                subsets,
            };
            let annotated = |e: &Endpoints| {
                e.metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(OVER_CAPACITY))
                    .is_some()
            };
            match existing.as_deref() {
                None => ctx.send(Request::Create(Object::from(want))),
                Some(Object::Endpoints(have))
                    if have.subsets != want.subsets
                        || have.metadata.labels != want.metadata.labels
                        || annotated(have) != truncated =>
                {
                    let mut updated = (**have).clone();
                    updated.subsets = want.subsets;
                    updated.metadata.labels = want.metadata.labels;
                    let annotations = updated.metadata.annotations.get_or_insert_default();
                    if truncated {
                        annotations.insert(OVER_CAPACITY.to_owned(), "truncated".to_owned());
                    } else {
                        annotations.remove(OVER_CAPACITY);
                    }
                    if annotations.is_empty() {
                        updated.metadata.annotations = None;
                    }
                    updated.metadata.resource_version = None;
                    ctx.send(Request::Update(Object::from(updated)));
                }
                _ => {}
            }
        }
    }
}

/// An endpoint's `targetRef`: the pod it is.
pub(super) fn pod_reference(pod: &Pod) -> ObjectReference {
    ObjectReference {
        kind: Some("Pod".into()),
        name: pod.metadata.name.clone(),
        namespace: pod.metadata.namespace.clone(),
        uid: pod.metadata.uid.clone(),
        ..Default::default()
    }
}

/// Keeps at most [`MAX_CAPACITY`] addresses (`truncateEndpoints`): when the
/// ready ones are too many, the first of them and no not-ready one; else
/// every ready one and the first not-ready ones. True when it cut any.
fn truncate(subsets: Option<&mut Vec<EndpointSubset>>) -> bool {
    let Some(subsets) = subsets else {
        return false;
    };
    let count = |f: fn(&EndpointSubset) -> usize| subsets.iter().map(f).sum::<usize>();
    let ready = count(|s| s.addresses.as_ref().map_or(0, Vec::len));
    let not_ready = count(|s| s.not_ready_addresses.as_ref().map_or(0, Vec::len));
    if ready + not_ready <= MAX_CAPACITY {
        return false;
    }
    let truncate_ready = ready > MAX_CAPACITY;
    let (max, total) = if truncate_ready {
        (MAX_CAPACITY, ready)
    } else {
        (MAX_CAPACITY - ready, not_ready)
    };
    let mut room = max;
    let last = subsets.len().saturating_sub(1);
    for (i, subset) in subsets.iter_mut().enumerate() {
        let list = if truncate_ready {
            subset.not_ready_addresses = None;
            &mut subset.addresses
        } else {
            &mut subset.not_ready_addresses
        };
        let here = list.as_ref().map_or(0, Vec::len);
        // Each subset's share of the room in proportion to its addresses
        // (rounded up), the last one the rest.
        let share = if i < last {
            (here * max).div_ceil(total.max(1))
        } else {
            room
        };
        let keep = share.min(room).min(here);
        if let Some(l) = list.as_mut() {
            l.truncate(keep);
        }
        room -= keep;
    }
    true
}

/// The subsets of a Service's Endpoints: the addresses of the pods it
/// selects (ready, or not ready unless `publishNotReadyAddresses`), sorted
/// by IP, with the ports they serve (`endpoints_controller.go` syncService).
fn subsets(svc: &Service, namespace: &str, informers: &Informers) -> Option<Vec<EndpointSubset>> {
    let publish_not_ready = svc
        .spec
        .as_ref()
        .and_then(|s| s.publish_not_ready_addresses)
        .unwrap_or(false);
    let mut ready: Vec<EndpointAddress> = Vec::new();
    let mut not_ready: Vec<EndpointAddress> = Vec::new();
    let mut ports: BTreeSet<(String, i32, String)> = BTreeSet::new();
    for (pod, ip) in endpoint_pods(svc, namespace, informers) {
        if pod.metadata.deletion_timestamp.is_some() && !publish_not_ready {
            continue;
        }
        for sp in svc
            .spec
            .as_ref()
            .and_then(|s| s.ports.as_ref())
            .into_iter()
            .flatten()
        {
            if let Some(tp) = target_port(sp, pod) {
                ports.insert((
                    sp.name.clone().unwrap_or_default(),
                    tp,
                    sp.protocol.clone().unwrap_or_else(|| "TCP".into()),
                ));
            }
        }
        let address = EndpointAddress {
            ip,
            node_name: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
            target_ref: Some(pod_reference(pod)),
            hostname: None,
        };
        if crate::api::conditions::is_pod_ready(pod) || publish_not_ready {
            ready.push(address);
        } else {
            not_ready.push(address);
        }
    }
    if ready.is_empty() && not_ready.is_empty() {
        return None;
    }
    ready.sort_by(|a, b| a.ip.cmp(&b.ip));
    not_ready.sort_by(|a, b| a.ip.cmp(&b.ip));
    Some(vec![EndpointSubset {
        addresses: (!ready.is_empty()).then_some(ready),
        not_ready_addresses: (!not_ready.is_empty()).then_some(not_ready),
        ports: Some(
            ports
                .into_iter()
                .map(|(name, port, protocol)| EndpointPort {
                    name: (!name.is_empty()).then_some(name),
                    port,
                    protocol: Some(protocol),
                    app_protocol: None,
                })
                .collect(),
        ),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses(n: usize, from: usize) -> Option<Vec<EndpointAddress>> {
        Some(
            (from..from + n)
                .map(|i| EndpointAddress {
                    ip: format!("10.0.{}.{}", i / 256, i % 256),
                    ..Default::default()
                })
                .collect(),
        )
    }

    #[test]
    fn endpoints_are_cut_at_the_capacity_ready_ones_first() {
        let mut subsets = vec![EndpointSubset {
            addresses: addresses(600, 0),
            not_ready_addresses: addresses(600, 1000),
            ports: None,
        }];
        assert!(truncate(Some(&mut subsets)));
        assert_eq!(subsets[0].addresses.as_ref().unwrap().len(), 600);
        let nr = subsets[0].not_ready_addresses.as_ref().unwrap();
        assert_eq!(nr.len(), 400);
        assert_eq!(nr[0].ip, "10.0.3.232");
        let mut subsets = vec![EndpointSubset {
            addresses: addresses(1200, 0),
            not_ready_addresses: addresses(5, 2000),
            ports: None,
        }];
        assert!(truncate(Some(&mut subsets)));
        assert_eq!(subsets[0].addresses.as_ref().unwrap().len(), 1000);
        assert!(subsets[0].not_ready_addresses.is_none());
        let mut small = vec![EndpointSubset {
            addresses: addresses(1000, 0),
            not_ready_addresses: None,
            ports: None,
        }];
        assert!(!truncate(Some(&mut small)));
    }
}
