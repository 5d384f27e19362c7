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
//!   watch events, timers, API responses and faults. Components talk only through the
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
//! [`rng::RngStreams`] (ChaCha8, one stream per component, outside client and
//! random fault, each keyed by its name), and no iteration
//! over a hash map reaches a decision. The same scenario and seed therefore
//! produce the same run, event for event, on every machine.
//!
//! ## Using it as a library
//!
//! Build a kubeadm-shaped cluster, act on it as an outside client through
//! the API server, and run it in virtual time; property tests check the
//! cluster-wide invariants after every event with
//! [`invariants::InvariantChecker`]:
//!
//! ```
//! use sim_core::api::Kind;
//! use sim_core::apiserver::Request;
//! use sim_core::bootstrap::kubeadm_cluster;
//! use sim_core::config::ClusterConfig;
//! use sim_core::invariants::InvariantChecker;
//! use sim_core::trace::Trace;
//! use sim_core::{SimDuration, SimTime};
//!
//! let mut cluster = kubeadm_cluster(ClusterConfig::kubeadm(2), 42, Trace::disabled());
//! let mut invariants = InvariantChecker::new();
//! // The nodes register and the controllers create the default service
//! // accounts in the first seconds.
//! let at = |s| SimTime::ZERO + SimDuration::from_secs(s);
//! invariants.run_until(&mut cluster, at(10)).expect("no invariant breaks");
//! let pod = Kind::Pod
//!     .decode(&serde_json::json!({
//!         "apiVersion": "v1",
//!         "kind": "Pod",
//!         "metadata": {"name": "web", "namespace": "default"},
//!         "spec": {"containers": [{"name": "web", "image": "nginx:1.14.2"}]}
//!     }))
//!     .expect("a valid pod");
//! cluster.request("kubectl", Request::Create(pod)).expect("created");
//!
//! invariants.run_until(&mut cluster, at(60)).expect("no invariant breaks");
//! let web = cluster.etcd().get(Kind::Pod, "default", "web").expect("stored");
//! assert_eq!(web.field("status.phase").as_deref(), Some("Running"));
//! assert!(cluster.kubelet("worker-1").is_some());
//! ```

pub mod api;
pub mod apiserver;
pub mod etcd;
pub mod event_queue;
pub mod faults;
pub mod invariants;
pub mod rng;
pub mod time;
pub mod trace;

pub mod bootstrap;
pub mod cluster;
pub mod components;
pub mod config;
pub mod scheduler_perf;
pub mod storage;

pub use time::{SimDuration, SimTime};
