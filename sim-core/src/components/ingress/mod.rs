//! Ingress controllers: what an ingress-nginx controller pod does with the
//! Ingresses of its class. [`routing`] is its choice of a backend for a
//! request (host, then path, then the default backend).

pub mod routing;
