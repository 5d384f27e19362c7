//! The typed configuration of a simulated cluster: nodes, image profiles,
//! component timings and latencies. The scenario layer builds it from YAML;
//! every default here is the real Kubernetes default where one exists.

mod builtin_images;
pub mod image_fs;
mod images;
pub mod network;
pub mod scheduler;

pub use builtin_images::{host_files, DEFAULT_PATH, RECYCLER_IMAGE};
pub use images::{
    image_repository, normalized_image, Addon, ExitBehaviour, Health, HealthChange, HttpRoute,
    ImageCatalog, ImageProfile, ServerProfile,
};

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Taint;

use crate::api::labels::Selector;
use crate::api::resources::Resources;
use crate::time::SimDuration;

/// The Kubernetes version the simulated cluster reports.
pub const KUBERNETES_VERSION: &str = "v1.33.0";

/// One node of the cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeConfig {
    /// The node (and host) name.
    pub name: String,
    /// True for the kubeadm control-plane node (runs the static control-plane pods).
    pub control_plane: bool,
    /// Capacity: cpu, memory, pods, ephemeral storage.
    pub capacity: Resources,
    /// Labels beyond the ones the kubelet sets itself.
    pub labels: BTreeMap<String, String>,
    /// Taints registered with the node.
    pub taints: Vec<Taint>,
    /// Image pull bandwidth, bytes per second.
    pub pull_bandwidth_bytes_per_sec: u64,
    /// When the node joins (its kubelet starts and registers), from the start
    /// of the run; `None` = at cluster bring-up (`kubelet_startup`).
    pub join_at: Option<SimDuration>,
}

/// Timings of the components (kubelet, controller-manager, scheduler, API server).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timings {
    /// kubelet `nodeLeaseDurationSeconds` (40 s).
    pub node_lease_duration: SimDuration,
    /// Lease renew interval (10 s; the kubelet renews at a quarter of
    /// `nodeLeaseDurationSeconds`, but here it is a setting of its own).
    pub lease_renew_interval: SimDuration,
    /// kubelet `nodeStatusUpdateFrequency` (10 s).
    pub node_status_update_frequency: SimDuration,
    /// kubelet `nodeStatusReportFrequency` (5 min).
    pub node_status_report_frequency: SimDuration,
    /// Time from a kubelet seeing a pod to its sandbox being ready (sandbox + CNI).
    pub pod_sandbox_setup: SimDuration,
    /// Modelled cost of one scheduling cycle.
    pub scheduling_cycle: SimDuration,
    /// Modelled scheduler work per node examined (filtered, and scored when feasible).
    pub scheduling_per_node: SimDuration,
    /// Scheduler `podInitialBackoffSeconds` (1 s).
    pub pod_initial_backoff: SimDuration,
    /// Scheduler `podMaxBackoffSeconds` (10 s).
    pub pod_max_backoff: SimDuration,
    /// Longest stay in the unschedulable pool (5 min).
    pub pod_max_in_unschedulable: SimDuration,
    /// kube-apiserver `--etcd-compaction-interval` (5 min).
    pub etcd_compaction_interval: SimDuration,
    /// Delay before the namespace controller re-checks a terminating namespace.
    pub namespace_resync: SimDuration,
    /// Time for a kubelet to start after the node boots.
    pub kubelet_startup: SimDuration,
    /// kube-controller-manager `--node-monitor-period` (5 s): how often the
    /// node lifecycle controller checks node health.
    pub node_monitor_period: SimDuration,
    /// `--node-monitor-grace-period` (50 s since v1.32): silence after which
    /// a node is marked Unknown.
    pub node_monitor_grace_period: SimDuration,
    /// `--node-startup-grace-period` (60 s): the grace of a node that never
    /// posted a Ready condition.
    pub node_startup_grace_period: SimDuration,
    /// `--node-eviction-rate` (0.1 nodes/s) as the interval between two
    /// NoExecute taintings in one zone (10 s; burst 1).
    pub node_eviction_interval: SimDuration,
    /// `--secondary-node-eviction-rate` (0.01 nodes/s) as an interval (100 s),
    /// used in partially disrupted zones larger than 50 nodes.
    pub secondary_node_eviction_interval: SimDuration,
    /// The pod garbage collector's period (`gcCheckPeriod`, 20 s).
    pub pod_gc_period: SimDuration,
    /// `--terminated-pod-gc-threshold` (12500; 0 disables the rule).
    pub terminated_pod_gc_threshold: u64,
    /// kube-apiserver `--event-ttl` (1 h): how long an Event is kept after
    /// its last write (zero: for ever).
    pub event_ttl: SimDuration,
    /// kube-proxy `iptables.minSyncPeriod` (1 s): the sync runner gets a
    /// token back this often (a burst of two).
    pub kube_proxy_min_sync_period: SimDuration,
    /// kube-controller-manager `--pvclaimbinder-sync-period` (15 s): the
    /// PV controller syncs every claim and volume this often.
    pub pv_claim_binder_sync_period: SimDuration,
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            node_lease_duration: SimDuration::from_secs(40),
            lease_renew_interval: SimDuration::from_secs(10),
            node_status_update_frequency: SimDuration::from_secs(10),
            node_status_report_frequency: SimDuration::from_mins(5),
            pod_sandbox_setup: SimDuration::from_millis(300),
            scheduling_cycle: SimDuration::from_millis(2),
            scheduling_per_node: SimDuration::from_micros(1),
            pod_initial_backoff: SimDuration::from_secs(1),
            pod_max_backoff: SimDuration::from_secs(10),
            pod_max_in_unschedulable: SimDuration::from_mins(5),
            etcd_compaction_interval: SimDuration::from_mins(5),
            namespace_resync: SimDuration::from_secs(1),
            kubelet_startup: SimDuration::from_secs(1),
            node_monitor_period: SimDuration::from_secs(5),
            node_monitor_grace_period: SimDuration::from_secs(50),
            node_startup_grace_period: SimDuration::from_secs(60),
            node_eviction_interval: SimDuration::from_secs(10),
            secondary_node_eviction_interval: SimDuration::from_secs(100),
            pod_gc_period: SimDuration::from_secs(20),
            terminated_pod_gc_threshold: 12_500,
            event_ttl: SimDuration::from_hours(1),
            kube_proxy_min_sync_period: SimDuration::from_secs(1),
            pv_claim_binder_sync_period: SimDuration::from_secs(15),
        }
    }
}

/// Network latencies between components and the API server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Latencies {
    /// From a client's request to the API server having processed it (including the etcd write).
    pub api_request: SimDuration,
    /// From a write to a watcher's informer having the change.
    pub watch_delivery: SimDuration,
}

impl Default for Latencies {
    fn default() -> Self {
        Self {
            api_request: SimDuration::from_millis(2),
            watch_delivery: SimDuration::from_millis(5),
        }
    }
}

/// The most nodes a cluster may have for [`ExplainScheduling::Auto`] to
/// explain every attempt in full.
pub const FULL_EXPLANATION_MAX_NODES: usize = 500;

/// Which scheduling attempts the scheduler explains, and how
/// ([`crate::trace::scheduling::Explanation`]): in full (every examined
/// node, its filter verdict and scores) or summarized (counts and the best
/// nodes, a size that does not grow with the cluster).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ExplainScheduling {
    /// No attempt is explained.
    #[default]
    Off,
    /// Every attempt: in full when the cluster has at most
    /// [`FULL_EXPLANATION_MAX_NODES`] nodes (its configured nodes, control
    /// plane included), summarized beyond.
    Auto,
    /// Every attempt: in full for the pods the selector matches (by their
    /// labels at the attempt), summarized for the others.
    /// [`Selector::everything`] explains every attempt in full,
    /// [`Selector::nothing`] none.
    FullFor(Selector),
}

impl ExplainScheduling {
    /// Which pods' attempts are explained in full in a cluster of `nodes`
    /// nodes (the others are summarized); None when no attempt is explained.
    pub fn full_for(&self, nodes: usize) -> Option<Selector> {
        match self {
            ExplainScheduling::Off => None,
            ExplainScheduling::Auto if nodes <= FULL_EXPLANATION_MAX_NODES => {
                Some(Selector::everything())
            }
            ExplainScheduling::Auto => Some(Selector::nothing()),
            ExplainScheduling::FullFor(selector) => Some(selector.clone()),
        }
    }
}

/// The most NFS servers a cluster holds.
pub const MAX_NFS_SERVERS: usize = 64;
/// The most exports one server holds.
pub const MAX_NFS_EXPORTS: usize = 64;

/// The most disks a scenario declares.
pub const MAX_DISKS: usize = 150_000;

/// A block disk as a scenario declares it ([`crate::storage::disks`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskConfig {
    /// Its id: the `volumeHandle` that names it in a PersistentVolume.
    pub id: String,
}

/// An NFS server as a scenario declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NfsServerConfig {
    /// Its address (a node's address: that node is the server).
    pub address: std::net::Ipv4Addr,
    /// The exported directories (absolute, normalized).
    pub exports: Vec<String>,
}

/// Everything needed to build a cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterConfig {
    /// The nodes, control plane first.
    pub nodes: Vec<NodeConfig>,
    /// Image behaviour.
    pub images: ImageCatalog,
    /// Component timings.
    pub timings: Timings,
    /// Latencies.
    pub latencies: Latencies,
    /// Default toleration seconds added by admission (300).
    pub default_toleration_secs: i64,
    /// Replicas of the coredns Deployment (kubeadm: 2).
    pub coredns_replicas: i32,
    /// The kube-scheduler's configuration (KubeSchedulerConfiguration).
    pub scheduler: scheduler::SchedulerConfiguration,
    /// Which scheduling attempts are explained, and how (`scheduling.jsonl`).
    pub explain_scheduling: ExplainScheduling,
    /// The pod network; None: [`network::PodNetwork::default_for`] the
    /// number of nodes.
    pub pod_network: Option<network::PodNetwork>,
    /// The addresses LoadBalancer Services get (as a load-balancer
    /// implementation such as MetalLB hands them out); None: they stay
    /// `<pending>`.
    pub load_balancer_pool: Option<network::Cidr>,
    /// The first node's InternalIP (the control plane's), the others
    /// counting up from it; None: `172.18.0.2` up.
    pub first_node_address: Option<std::net::Ipv4Addr>,
    /// The NFS servers beside the cluster (one at a node's address is that
    /// node).
    pub nfs_servers: Vec<NfsServerConfig>,
    /// The disks of the disk service beside the cluster.
    pub disks: Vec<DiskConfig>,
}

impl ClusterConfig {
    /// A kubeadm-shaped cluster: one control-plane node and `workers` worker nodes,
    /// named `control-plane`, `worker-1`, `worker-2`, ...
    pub fn kubeadm(workers: usize) -> Self {
        let mut nodes = vec![NodeConfig::new("control-plane", true)];
        nodes.extend((1..=workers).map(|i| NodeConfig::new(&format!("worker-{i}"), false)));
        Self {
            nodes,
            images: ImageCatalog::builtin(),
            timings: Timings::default(),
            latencies: Latencies::default(),
            default_toleration_secs: 300,
            coredns_replicas: 2,
            scheduler: Default::default(),
            explain_scheduling: ExplainScheduling::Off,
            pod_network: None,
            load_balancer_pool: None,
            first_node_address: None,
            nfs_servers: Vec::new(),
            disks: Vec::new(),
        }
    }

    /// The InternalIP of the `index`-th node (control plane first): counted
    /// up from `first_node_address`, else `172.18.0.2`, `172.18.0.3`, ...
    /// (249 a block of the third octet).
    pub fn node_address(&self, index: usize) -> String {
        match self.first_node_address {
            Some(first) => {
                let n = u32::from(first).saturating_add(u32::try_from(index).unwrap_or(u32::MAX));
                std::net::Ipv4Addr::from(n).to_string()
            }
            None => {
                let octet = index + 2;
                format!("172.18.{}.{}", octet / 250, octet % 250)
            }
        }
    }

    /// The pod network: the one configured, else kubeadm's default for
    /// this many nodes.
    pub fn pod_network(&self) -> network::PodNetwork {
        self.pod_network
            .unwrap_or_else(|| network::PodNetwork::default_for(self.nodes.len()))
    }
}

impl NodeConfig {
    /// A node with 4 CPUs, 8 GiB, 110 pods and 100 GB of ephemeral storage.
    pub fn new(name: &str, control_plane: bool) -> Self {
        Self {
            name: name.to_owned(),
            control_plane,
            capacity: Resources {
                cpu_millis: 4000,
                memory_bytes: 8 * 1024 * 1024 * 1024,
                ephemeral_storage_bytes: 100 * 1000 * 1000 * 1000,
                pods: 110,
            },
            labels: BTreeMap::new(),
            taints: if control_plane {
                vec![Taint {
                    key: "node-role.kubernetes.io/control-plane".into(),
                    effect: "NoSchedule".into(),
                    value: None,
                    time_added: None,
                }]
            } else {
                Vec::new()
            },
            pull_bandwidth_bytes_per_sec: 20 * 1000 * 1000,
            join_at: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names() {
        assert_eq!(image_repository("nginx:1.14.2"), "nginx");
        assert_eq!(
            image_repository("localhost:5000/app:v1"),
            "localhost:5000/app"
        );
        assert_eq!(image_repository("localhost:5000/app"), "localhost:5000/app");
        assert_eq!(normalized_image("nginx"), "nginx:latest");
        assert_eq!(normalized_image("nginx:1.14.2"), "nginx:1.14.2");
        let c = ImageCatalog::builtin();
        assert_eq!(c.lookup("nginx:1.14.2").size_bytes, 44_000_000);
        assert_eq!(c.lookup("nginx:1.25").size_bytes, 70_000_000);
        assert_eq!(
            c.lookup("unknown/img:1").size_bytes,
            ImageProfile::default().size_bytes
        );
    }

    #[test]
    fn explanations_are_full_up_to_500_nodes_by_default() {
        let labels = BTreeMap::from([("app".to_owned(), "web".to_owned())]);
        let full = |e: &ExplainScheduling, nodes| e.full_for(nodes).map(|s| s.matches(&labels));
        assert_eq!(full(&ExplainScheduling::Off, 3), None);
        assert_eq!(full(&ExplainScheduling::Auto, 3), Some(true));
        assert_eq!(full(&ExplainScheduling::Auto, 500), Some(true));
        assert_eq!(full(&ExplainScheduling::Auto, 501), Some(false));
        let web = ExplainScheduling::FullFor(Selector::parse("app=web").unwrap());
        assert_eq!(full(&web, 3), Some(true));
        let db = ExplainScheduling::FullFor(Selector::parse("app=db").unwrap());
        assert_eq!(full(&db, 10_000), Some(false));
        assert_eq!(
            full(&ExplainScheduling::FullFor(Selector::nothing()), 3),
            Some(false)
        );
    }
}
