//! LoadBalancer addresses (issue 12): what a load-balancer implementation
//! (a cloud's service controller, MetalLB on bare metal) does for a
//! `type: LoadBalancer` Service: it takes the lowest free address of the
//! scenario's pool (`cluster.networking.loadBalancerPool`; the network and
//! broadcast addresses of a block of more than two are left out) and
//! writes it to `status.loadBalancer.ingress` (`ipMode: VIP`), so `kubectl
//! get svc` shows it as EXTERNAL-IP. Without a pool, or with the pool
//! exhausted, the Service stays `<pending>`. An address is free when no
//! Service's status holds it; a Service that stops being a LoadBalancer
//! loses its address; when a Service goes, the ones still waiting are
//! looked at again.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::{LoadBalancerIngress, LoadBalancerStatus, Service, ServiceStatus};

use super::{Informers, WorkQueue};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::Request;
use crate::components::{Ctx, WatchEvent};
use crate::config::network::Cidr;
use crate::etcd::ChangeType;

/// The controller.
#[derive(Debug, Default)]
pub(crate) struct ServiceLbController {
    queue: WorkQueue,
}

fn is_load_balancer(svc: &Service) -> bool {
    svc.spec.as_ref().and_then(|s| s.type_.as_deref()) == Some("LoadBalancer")
}

fn ingress_ips(svc: &Service) -> Vec<String> {
    svc.status
        .iter()
        .flat_map(|s| s.load_balancer.iter())
        .flat_map(|lb| lb.ingress.iter().flatten())
        .filter_map(|i| i.ip.clone())
        .collect()
}

/// The pool's usable addresses, in order.
fn pool_addresses(pool: Cidr) -> impl Iterator<Item = Ipv4Addr> {
    let size = pool.size();
    let (first, last) = if size > 2 {
        (1, size - 2)
    } else {
        (0, size - 1)
    };
    (first..=last).map(move |i| pool.address(u32::try_from(i).unwrap_or(u32::MAX)))
}

impl ServiceLbController {
    /// Queues the Services a change concerns: the one changed, and when
    /// one goes (its address freed) every Service still waiting.
    pub(crate) fn observe(&mut self, event: &WatchEvent, informers: &Informers) {
        if event.object.kind() != Kind::Service {
            return;
        }
        self.queue.add(ObjectKey::of(&event.object));
        if event.change == ChangeType::Deleted {
            for o in informers.of(Kind::Service).iter() {
                if let Object::Service(s) = &**o {
                    if is_load_balancer(s) && ingress_ips(s).is_empty() {
                        self.queue.add(ObjectKey::of(o));
                    }
                }
            }
        }
    }

    /// Gives the queued LoadBalancer Services an address.
    pub(crate) fn sync(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        let keys = self.queue.drain();
        let Some(pool) = ctx.config().load_balancer_pool else {
            return;
        };
        let mut used: BTreeSet<String> = informers
            .of(Kind::Service)
            .iter()
            .filter_map(|o| match &**o {
                Object::Service(s) => Some(ingress_ips(s)),
                _ => None,
            })
            .flatten()
            .collect();
        for key in keys {
            let Some(Object::Service(svc)) = informers.of(Kind::Service).get(&key).map(|o| &**o)
            else {
                continue;
            };
            let has = ingress_ips(svc);
            let ingress = if is_load_balancer(svc) {
                if !has.is_empty() {
                    continue;
                }
                let Some(ip) = pool_addresses(pool)
                    .map(|a| a.to_string())
                    .find(|a| !used.contains(a))
                else {
                    // The pool is exhausted: the Service stays pending.
                    continue;
                };
                used.insert(ip.clone());
                Some(vec![LoadBalancerIngress {
                    ip: Some(ip),
                    ip_mode: Some("VIP".into()),
                    ..Default::default()
                }])
            } else if has.is_empty() {
                continue;
            } else {
                None
            };
            let mut updated = (**svc).clone();
            updated.status = Some(ServiceStatus {
                load_balancer: Some(LoadBalancerStatus { ingress }),
                ..updated.status.unwrap_or_default()
            });
            updated.metadata.resource_version = None;
            ctx.send(Request::UpdateStatus(Object::from(updated)));
        }
    }
}
