//! # sim-core: the engine and the cluster model of kubesim
//!
//! kubesim is a deterministic discrete-event simulator of a Kubernetes v1.33
//! cluster. This crate holds everything that runs inside a simulation and
//! nothing that touches the outside world: no files, no network, no YAML, no
//! wall clock.
//!
//! ## The model
//!
//! A [`cluster::Cluster`] owns:
//!
//! - one [`event_queue::EventQueue`] of pending events and the virtual clock
//!   ([`time::SimTime`], integer nanoseconds);
//! - the [`apiserver::ApiServer`] and its [`etcd::Etcd`]: the only place where
//!   cluster state lives;
//! - the components (`kubelet/<node>`, `kube-scheduler`,
//!   `kube-controller-manager`), each a [`components::Component`] that reacts to
//!   watch events, timers and API responses. Components talk only through the
//!   API server: they send requests that arrive after the modelled request
//!   latency, and they learn about the cluster through watches that deliver
//!   changes after the modelled watch latency into their own informer caches,
//!   so they act on slightly stale views, as real components do.
//!
//! ## The ordering guarantee
//!
//! Events run in order of (virtual time, sequence number). The sequence number
//! is assigned when an event is scheduled, so events due at the same instant
//! run in the order they were scheduled (FIFO), and a watch delivers changes to
//! each watcher in revision order. All randomness comes from seeded
//! [`rng::RngStreams`] (ChaCha8, one stream per component), and no iteration
//! over a hash map reaches a decision. The same scenario and seed therefore
//! produce the same run, event for event, on every machine.

pub mod api;
pub mod apiserver;
pub mod etcd;
pub mod event_queue;
pub mod faults;
pub mod invariants;
pub mod rng;
pub mod time;
pub mod trace;

pub use time::{SimDuration, SimTime};
pub mod bootstrap;
pub mod cluster;
pub mod components;
pub mod config;
pub mod scheduler_perf;
