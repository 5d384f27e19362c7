//! Ingress controllers: what an ingress-nginx controller pod does with the
//! Ingresses it serves. The controller is the process of a pod whose image
//! is ingress-nginx's (`ServerProfile::IngressNginx`, nginx on port 80):
//! a request reaching it, through its Service's NodePort or cluster IP or
//! by its pod IP, is answered by the endpoint of the backend [`routing`]
//! chooses (ingress-nginx balances over a Service's ready endpoints itself,
//! not through its cluster IP), with nginx's own `Server` and `Date`; by
//! nginx's 404 page when no rule and no default backend matches; by 503
//! when the backend has no ready endpoint; 502 when the endpoint does not
//! answer.
//!
//! It serves the Ingresses of an IngressClass whose controller is
//! `k8s.io/ingress-nginx`; a 0.x controller (the course's v0.46.0, which
//! predates IngressClass) also those without a class.
//!
//! The controller also publishes where its Ingresses are reached
//! ([`status`]): the `ADDRESS` of `kubectl get ing`.
//!
//! Simplified: the controller reads the API's current Ingresses when a
//! request arrives (no sync delay, no reload), picks an endpoint at random
//! from the seeded stream `network/dnat` rather than round-robin, writes no
//! access log, and serves plain HTTP only. The cluster's network carries
//! it as a forward: the node the request started on delivers it to the
//! chosen endpoint.

pub mod routing;
pub mod status;

use std::sync::Arc;

use k8s_openapi::api::networking::v1::Ingress;

use crate::api::Object;

/// The controller name of ingress-nginx's IngressClass.
pub const INGRESS_NGINX_CONTROLLER: &str = "k8s.io/ingress-nginx";

/// The names of the IngressClasses among `objects` whose controller is
/// ingress-nginx's.
pub fn nginx_classes<'a>(objects: impl Iterator<Item = &'a Arc<Object>>) -> Vec<String> {
    objects
        .filter_map(|o| match &**o {
            Object::IngressClass(c) => c
                .spec
                .as_ref()
                .and_then(|s| s.controller.as_deref())
                .filter(|c| *c == INGRESS_NGINX_CONTROLLER)
                .map(|_| c.metadata.name.clone().unwrap_or_default()),
            _ => None,
        })
        .collect()
}

/// Whether an ingress-nginx controller of image `image` serves `ing`: an
/// Ingress of one of its `classes`, or, for a 0.x controller (which
/// predates IngressClass), one without a class.
pub fn serves(ing: &Ingress, classes: &[String], image: &str) -> bool {
    match ing
        .spec
        .as_ref()
        .and_then(|s| s.ingress_class_name.as_ref())
    {
        Some(class) => classes.contains(class),
        None => image.rsplit(':').next().unwrap_or("").starts_with("v0."),
    }
}
