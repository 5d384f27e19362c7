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
//! Simplified: the controller reads the API's current Ingresses when a
//! request arrives (no sync delay, no reload), picks an endpoint at random
//! from the seeded stream `network/dnat` rather than round-robin, writes no
//! access log and no Ingress status (`ADDRESS` stays empty), and serves
//! plain HTTP only. The cluster's network carries it as a forward: the node
//! the request started on delivers it to the chosen endpoint.

pub mod routing;
