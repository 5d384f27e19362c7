//! Stage one of scenario parsing: the scenario file exactly as written.
//!
//! Every struct refuses unknown fields, so a misspelt key is an error with its
//! line and column. Values stay strings here (`"2m"`, `"8Gi"`); stage two
//! ([`crate::scenario`]) turns them into typed units and cross-checks them.
//! [`scheduler`] is `cluster.scheduler`, a KubeSchedulerConfiguration as
//! written.

use std::collections::BTreeMap;

use serde::Deserialize;

pub(crate) mod scheduler;

/// A scenario file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(expecting = "a scenario: a mapping with name, description, seed, cluster and steps")]
pub(crate) struct RawScenario {
    /// The scenario's name.
    pub name: String,
    /// What it shows.
    #[serde(default)]
    pub description: Option<String>,
    /// The seed of every random stream (default 1).
    #[serde(default)]
    pub seed: Option<u64>,
    /// The cluster to simulate.
    #[serde(default)]
    pub cluster: RawCluster,
    /// What happens, in order.
    #[serde(default)]
    pub steps: Vec<RawStep>,
}

/// The `cluster` section.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(
    expecting = "a cluster: a mapping with nodes, images, defaultImage, timings, latencies, corednsReplicas, defaultTolerationSeconds, networking, storage, scheduler"
)]
pub(crate) struct RawCluster {
    /// Node pools; default: one control-plane node and two workers.
    #[serde(default)]
    pub nodes: Option<Vec<RawNodePool>>,
    /// Image profiles by image reference or repository.
    #[serde(default)]
    pub images: BTreeMap<String, RawImage>,
    /// The profile of images not listed.
    #[serde(default)]
    pub default_image: Option<RawImage>,
    /// Component timing overrides.
    #[serde(default)]
    pub timings: RawTimings,
    /// Latency overrides.
    #[serde(default)]
    pub latencies: RawLatencies,
    /// Replicas of the coredns Deployment (2).
    #[serde(default)]
    pub coredns_replicas: Option<i32>,
    /// `--default-not-ready-toleration-seconds` and `--default-unreachable-toleration-seconds` (300).
    #[serde(default)]
    pub default_toleration_seconds: Option<i64>,
    /// The pod network ([`RawNetworking`]).
    #[serde(default)]
    pub networking: Option<RawNetworking>,
    /// Storage beside the cluster ([`RawStorage`]).
    #[serde(default)]
    pub storage: Option<RawStorage>,
    /// The kube-scheduler's KubeSchedulerConfiguration: inline, or the path
    /// of a YAML file holding one ([`scheduler`]).
    #[serde(default)]
    pub scheduler: Option<scheduler::RawSchedulerSource>,
}

/// `cluster.storage`: the NFS servers and the disks beside the cluster.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(expecting = "a mapping with nfsServers and disks")]
pub(crate) struct RawStorage {
    /// The NFS servers.
    #[serde(default)]
    pub nfs_servers: Vec<RawNfsServer>,
    /// The disks of the disk service.
    #[serde(default)]
    pub disks: Vec<RawDisk>,
}

/// A disk: `{id: data-1}`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(expecting = "a disk: a mapping with id")]
pub(crate) struct RawDisk {
    /// Its id (a PersistentVolume's `csi.volumeHandle`).
    pub id: String,
}

/// An NFS server: `{address: 192.168.11.101, exports: [/nfs/data]}`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(expecting = "an NFS server: a mapping with address and exports")]
pub(crate) struct RawNfsServer {
    /// Its IPv4 address (a node's: that node serves).
    pub address: String,
    /// The exported directories, absolute.
    pub exports: Vec<String>,
}

/// `cluster.networking`: kubeadm's `networking.podSubnet` and
/// kube-controller-manager's `--node-cidr-mask-size`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(expecting = "a mapping with podSubnet and nodeCidrMaskSize")]
pub(crate) struct RawNetworking {
    /// The pod subnet, `a.b.c.d/n`.
    #[serde(default)]
    pub pod_subnet: Option<String>,
    /// The prefix length of each node's pod CIDR.
    #[serde(default)]
    pub node_cidr_mask_size: Option<u8>,
    /// The addresses LoadBalancer Services get, `a.b.c.d/n`.
    #[serde(default)]
    pub load_balancer_pool: Option<String>,
    /// The first node's InternalIP (the others count up from it).
    #[serde(default)]
    pub first_node_address: Option<String>,
}

/// A pool of identical nodes.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(
    expecting = "a node pool: a mapping with name, names or count, and optionally controlPlane, cpu, memory, pods, ephemeralStorage, labels, taints, pullBandwidth, joinAt"
)]
pub(crate) struct RawNodePool {
    /// Pool name: the node name when `count` is absent, else the prefix of `<name>-1`, `<name>-2`, ...
    #[serde(default)]
    pub name: Option<String>,
    /// Explicit node names.
    #[serde(default)]
    pub names: Option<Vec<String>>,
    /// Number of nodes.
    #[serde(default)]
    pub count: Option<u32>,
    /// The kubeadm control-plane node.
    #[serde(default)]
    pub control_plane: Option<bool>,
    /// CPU capacity (quantity, `4`, `3500m`).
    #[serde(default)]
    pub cpu: Option<String>,
    /// Memory capacity (quantity, `8Gi`).
    #[serde(default)]
    pub memory: Option<String>,
    /// Pod capacity (110).
    #[serde(default)]
    pub pods: Option<i64>,
    /// Ephemeral storage capacity (quantity).
    #[serde(default)]
    pub ephemeral_storage: Option<String>,
    /// Extra node labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Taints in kubectl syntax: `key=value:Effect` or `key:Effect`.
    #[serde(default)]
    pub taints: Vec<String>,
    /// Image pull bandwidth in bytes per second (quantity, `20M`).
    #[serde(default)]
    pub pull_bandwidth: Option<String>,
    /// When the nodes join the cluster (a duration from the start, `2m`).
    #[serde(default)]
    pub join_at: Option<String>,
}

/// How an image behaves.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(
    expecting = "an image profile: a mapping with size, pullTime, startup, stop, exit, missing, logs, env, files, memory, health, private"
)]
pub(crate) struct RawImage {
    /// Size (quantity, `44M`).
    #[serde(default)]
    pub size: Option<String>,
    /// Fixed pull time (duration); otherwise size / bandwidth.
    #[serde(default)]
    pub pull_time: Option<String>,
    /// Time from container create to running (duration).
    #[serde(default)]
    pub startup: Option<String>,
    /// Time to stop after SIGTERM (duration).
    #[serde(default)]
    pub stop: Option<String>,
    /// Exit on its own.
    #[serde(default)]
    pub exit: Option<RawExit>,
    /// The image does not exist (pulls fail with ErrImagePull).
    #[serde(default)]
    pub missing: Option<bool>,
    /// Lines printed by `kubectl logs`.
    #[serde(default)]
    pub logs: Vec<String>,
    /// The image's own environment (`NAME: value`, in image order).
    #[serde(default)]
    pub env: Option<crate::yaml::OrderedMapping>,
    /// Files of the image, path → content (a path ending in `/` is a directory).
    #[serde(default)]
    pub files: Option<BTreeMap<String, String>>,
    /// The image's working directory (an absolute path).
    #[serde(default)]
    pub working_dir: Option<String>,
    /// The image this one is built FROM: its files, environment and working
    /// directory are the starting point (a built-in image).
    #[serde(default)]
    pub from: Option<String>,
    /// The HTTP server the image's main process runs.
    #[serde(default)]
    pub http: Option<RawHttp>,
    /// Memory the process uses from its start (quantity, `300Mi`).
    #[serde(default)]
    pub memory: Option<String>,
    /// Health changes over time since container start.
    #[serde(default)]
    pub health: Vec<RawHealth>,
    /// The image is private: pulls need imagePullSecrets for its registry.
    #[serde(default)]
    pub private: Option<bool>,
}

/// One health change of an image profile.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(
    expecting = "a health change: a mapping with after (a duration), liveness, readiness (pass or fail) and memory"
)]
pub(crate) struct RawHealth {
    /// Time from container start (duration).
    pub after: String,
    /// `pass` or `fail`: liveness and startup probes.
    #[serde(default)]
    pub liveness: Option<String>,
    /// `pass` or `fail`: readiness probes.
    #[serde(default)]
    pub readiness: Option<String>,
    /// Memory use from then on (quantity).
    #[serde(default)]
    pub memory: Option<String>,
}

/// An exit: when and with which code.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(expecting = "an exit: a mapping with after (a duration) and code")]
pub(crate) struct RawExit {
    /// Time from start to exit (duration).
    pub after: String,
    /// Exit code (0).
    #[serde(default)]
    pub code: Option<i32>,
}

/// Timing overrides (durations).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(expecting = "timings: a mapping of durations")]
pub(crate) struct RawTimings {
    /// kubelet `nodeLeaseDurationSeconds` (40s).
    pub node_lease_duration: Option<String>,
    /// Lease renew interval (10s).
    pub lease_renew_interval: Option<String>,
    /// kubelet `nodeStatusUpdateFrequency` (10s).
    pub node_status_update_frequency: Option<String>,
    /// kubelet `nodeStatusReportFrequency` (5m).
    pub node_status_report_frequency: Option<String>,
    /// Pod sandbox setup (300ms).
    pub pod_sandbox_setup: Option<String>,
    /// Cost of one scheduling cycle (2ms).
    pub scheduling_cycle: Option<String>,
    /// Scheduler cost per node examined (1us).
    pub scheduling_per_node: Option<String>,
    /// `--etcd-compaction-interval` (5m).
    pub etcd_compaction_interval: Option<String>,
    /// kubelet start after boot (1s).
    pub kubelet_startup: Option<String>,
    /// `--node-monitor-period` (5s).
    pub node_monitor_period: Option<String>,
    /// `--node-monitor-grace-period` (50s).
    pub node_monitor_grace_period: Option<String>,
    /// `--node-startup-grace-period` (60s).
    pub node_startup_grace_period: Option<String>,
    /// Interval between NoExecute taintings in a zone, 1/`--node-eviction-rate` (10s).
    pub node_eviction_interval: Option<String>,
    /// Pod GC period (20s).
    pub pod_gc_period: Option<String>,
    /// kube-apiserver `--event-ttl` (1h; 0 keeps Events for ever).
    #[serde(rename = "eventTTL")]
    pub event_ttl: Option<String>,
    /// kube-proxy `iptables.minSyncPeriod` (1s).
    pub kube_proxy_min_sync_period: Option<String>,
    /// kube-controller-manager `--pvclaimbinder-sync-period` (15s).
    pub pv_claim_binder_sync_period: Option<String>,
    /// kube-controller-manager `--terminated-pod-gc-threshold` (12500; 0
    /// turns the rule off).
    pub terminated_pod_gc_threshold: Option<u64>,
}

/// Latency overrides (durations).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(expecting = "latencies: a mapping of durations (apiRequest, watchDelivery)")]
pub(crate) struct RawLatencies {
    /// Client request to the API server (2ms).
    pub api_request: Option<String>,
    /// Watch delivery (5ms).
    pub watch_delivery: Option<String>,
}

/// An image's HTTP server: `{port: 8080, routes: {/: {status: 200, body: hi}}}`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawHttp {
    /// The port it listens on.
    pub port: u16,
    /// Each path's answer.
    #[serde(default)]
    pub routes: BTreeMap<String, RawRoute>,
    /// How long an answer takes (duration).
    #[serde(default)]
    pub latency: Option<String>,
}

/// One path's answer.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawRoute {
    /// The status code (default 200).
    #[serde(default)]
    pub status: Option<u16>,
    /// The body (default empty).
    #[serde(default)]
    pub body: Option<String>,
}

/// One step.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(
    expecting = "a step: a mapping with one of apply, delete, kubectl, host, traffic, wait, expect or fault (and optionally at or after, name, namespace)"
)]
pub(crate) struct RawStep {
    /// Absolute virtual time (duration since start).
    #[serde(default)]
    pub at: Option<String>,
    /// Delay after the previous step (duration).
    #[serde(default)]
    pub after: Option<String>,
    /// A label printed with the step.
    #[serde(default)]
    pub name: Option<String>,
    /// Kubernetes YAML to apply: a file path, inline YAML text, one manifest or a list of them.
    #[serde(default)]
    pub apply: Option<serde_json::Value>,
    /// Objects to delete: `TYPE/NAME` or a list of them.
    #[serde(default)]
    pub delete: Option<StringOrList>,
    /// The namespace of an `apply` or `delete` step (default `default`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// A kubectl command line (without the leading `kubectl`).
    #[serde(default)]
    pub kubectl: Option<String>,
    /// With `kubectl: edit TYPE NAME`: the change made in the editor, as a
    /// strategic merge patch (a mapping).
    #[serde(default)]
    pub patch: Option<serde_json::Value>,
    /// With `kubectl: exec -i ...`: what is typed into the command's
    /// standard input (a session's lines).
    #[serde(default)]
    pub input: Option<String>,
    /// Advance virtual time (duration).
    #[serde(default)]
    pub wait: Option<String>,
    /// An expectation.
    #[serde(default)]
    pub expect: Option<RawExpect>,
    /// A fault to inject (docs/faults.md).
    #[serde(default)]
    pub fault: Option<RawFault>,
    /// The node whose shell runs `run` (a login session kept per node).
    #[serde(default)]
    pub host: Option<String>,
    /// With `host`: the command lines typed into the node's shell.
    #[serde(default)]
    pub run: Option<String>,
    /// With `host`: text the output must contain (an expectation).
    #[serde(default)]
    pub output: Option<String>,
    /// With `host`: the exit status the last line must end with (an
    /// expectation).
    #[serde(default)]
    pub status: Option<i32>,
    /// A traffic source to start.
    #[serde(default)]
    pub traffic: Option<RawTraffic>,
}

/// A traffic step: `{name: web, url: http://localhost:30080/, rate: 10,
/// duration: 2m, from: control-plane, maxFailed: 0}`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(
    expecting = "a traffic source: a mapping with name, url, rate and duration (and optionally from, namespace, maxFailed, maxFailedPercent and minFailed)"
)]
pub(crate) struct RawTraffic {
    /// Its name in the report.
    pub name: String,
    /// `http://HOST[:PORT][/PATH]`.
    pub url: String,
    /// Requests a second.
    pub rate: u32,
    /// How long it sends (duration).
    pub duration: String,
    /// Where its client stands: a node's name (default: the
    /// control-plane node) or `pod/NAME`.
    #[serde(default)]
    pub from: Option<String>,
    /// The namespace of a `pod/NAME` client (default: `default`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// The most requests that may fail (an expectation checked when it
    /// ends).
    #[serde(default)]
    pub max_failed: Option<u32>,
    /// The largest share of the requests sent that may fail, percent (an
    /// expectation checked when it ends).
    #[serde(default)]
    pub max_failed_percent: Option<f64>,
    /// The fewest requests that must fail (an expectation of downtime,
    /// checked when it ends).
    #[serde(default)]
    pub min_failed: Option<u32>,
}

/// A fault step: `{kind: node-crash, node: worker-1, duration: 10m}`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(
    expecting = "a fault: a mapping with kind and the fields that kind takes (node, pod, container, exitCode, duration, latency, mtbf, recoverAfter, server)"
)]
pub(crate) struct RawFault {
    /// `node-crash`, `partition`, ... (docs/faults.md).
    pub kind: String,
    /// The node (node and kubelet faults, partitions).
    #[serde(default)]
    pub node: Option<String>,
    /// The pod (container-crash).
    #[serde(default)]
    pub pod: Option<String>,
    /// The pod's namespace (default `default`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// The container (container-crash).
    #[serde(default)]
    pub container: Option<String>,
    /// The exit code (container-crash; default 1).
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// How long the fault lasts (duration).
    #[serde(default)]
    pub duration: Option<String>,
    /// Added latency (apiserver-slow, etcd-slow).
    #[serde(default)]
    pub latency: Option<String>,
    /// Mean time between failures (random-node-crashes).
    #[serde(default)]
    pub mtbf: Option<String>,
    /// How long a crashed node stays down (random-node-crashes).
    #[serde(default)]
    pub recover_after: Option<String>,
    /// The NFS server's address (nfs-outage).
    #[serde(default)]
    pub server: Option<String>,
}

/// Either one string or several.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
#[serde(expecting = "TYPE/NAME or a list of them")]
pub(crate) enum StringOrList {
    /// One.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl StringOrList {
    /// The strings.
    pub(crate) fn items(&self) -> Vec<String> {
        match self {
            StringOrList::One(s) => vec![s.clone()],
            StringOrList::Many(v) => v.clone(),
        }
    }
}

/// An expectation, with an optional deadline.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(
    expecting = "an expectation: a mapping with one of object, pods or podCount, and conditions"
)]
pub(crate) struct RawExpect {
    /// One object, `TYPE/NAME` (`deployment/my-tomcat`, `pod/mynginx`, `namespace/tuling`).
    #[serde(default)]
    pub object: Option<String>,
    /// A set of pods by label selector (`app=x`; empty: all pods).
    #[serde(default)]
    pub pods: Option<String>,
    /// Pod counts by phase (`{Running: 3, Pending: 0}`).
    #[serde(default)]
    pub pod_count: Option<BTreeMap<String, usize>>,
    /// Namespace (default `default`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Look in every namespace (pods and podCount).
    #[serde(default)]
    pub all_namespaces: Option<bool>,
    /// Deadline (duration); absent: must hold at once.
    #[serde(default)]
    pub within: Option<String>,
    /// The object exists (true) or not (false).
    #[serde(default)]
    pub exists: Option<bool>,
    /// Phase of the pod / of every selected pod / of the namespace.
    #[serde(default)]
    pub phase: Option<String>,
    /// Pod Ready condition / node Ready condition.
    #[serde(default)]
    pub ready: Option<bool>,
    /// Number of selected pods.
    #[serde(default)]
    pub count: Option<usize>,
    /// Workload `status.replicas`.
    #[serde(default)]
    pub replicas: Option<i32>,
    /// Workload `status.readyReplicas`.
    #[serde(default)]
    pub ready_replicas: Option<i32>,
    /// Workload `status.availableReplicas`.
    #[serde(default)]
    pub available_replicas: Option<i32>,
    /// Workload `status.updatedReplicas`.
    #[serde(default)]
    pub updated_replicas: Option<i32>,
    /// The node a pod runs on.
    #[serde(default)]
    pub node: Option<String>,
    /// Total container restarts of a pod.
    #[serde(default)]
    pub restarts: Option<i32>,
}
