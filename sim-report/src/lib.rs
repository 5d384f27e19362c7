//! # sim-report: turning a kubesim run into something to read
//!
//! kubectl's output, reproduced column for column, and the run's logs:
//!
//! - [`printers`]: `kubectl get` tables (`-o wide`, `-A`, `--show-labels`,
//!   `--no-headers`) and the "No resources found" message.
//!   [`printers::print_table`] renders a list of one kind; every kind
//!   implements [`printers::Printable`] in the room of its group:
//!   `printers/pod.rs`, `node.rs`, `config.rs` (Namespace, ConfigMap,
//!   Secret, ServiceAccount, Lease, PriorityClass), `workloads.rs`
//!   (Deployment, ReplicaSet, DaemonSet, StatefulSet, Job), `network.rs`
//!   (Service, Ingress, Endpoints, EndpointSlice), `storage.rs` (PV, PVC,
//!   StorageClass) and `event.rs`; label selectors as text are in
//!   `selector.rs`.
//! - [`describe`]: `kubectl describe` for pods, nodes, namespaces and
//!   deployments ([`describe::describe_pod`], [`describe::describe_node`],
//!   [`describe::describe_namespace`], [`describe::describe_deployment`]),
//!   one room per kind (`describe/pod.rs`, `node.rs`, `namespace.rs`,
//!   `deployment.rs`) and one per shared piece: `containers.rs`
//!   (containers, probes, environment, mounts), `volumes.rs`,
//!   `resources.rs` (requests, limits, QoS class), `placement.rs`
//!   (tolerations, topology spread constraints), `events.rs` and
//!   `go_sort.rs` (Go's unstable sort, so that equal keys keep kubectl's
//!   order). `describe/mod.rs` holds the `PrefixWriter` and the small print
//!   helpers they share.
//! - [`table`]: the tab writers both commands align their text with;
//!   [`age`]: AGE and other durations as kubectl prints them.
//! - [`event_log`]: the run's trace and its Kubernetes Events as JSON lines.
//!
//! Nothing here reads the wall clock: "now" is always the run's virtual time,
//! passed in as a timestamp.

pub mod age;
pub mod describe;
pub mod event_log;
pub mod printers;
pub mod table;
pub mod traffic;
