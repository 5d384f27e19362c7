//! The typed configuration of a simulated cluster: nodes, image profiles,
//! component timings and latencies. The scenario layer builds it from YAML;
//! every default here is the real Kubernetes default where one exists.

pub mod network;
pub mod scheduler;

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

/// What a container does when it exits on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitBehaviour {
    /// Time from start to exit.
    pub after: SimDuration,
    /// The exit code.
    pub code: i32,
}

/// How an image behaves: its size, how long it takes to pull and start, and how it exits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageProfile {
    /// Size as the node reports it in `status.images`, bytes.
    pub size_bytes: u64,
    /// Fixed pull time; when None, size / node bandwidth.
    pub pull_duration: Option<SimDuration>,
    /// Time from container start to running.
    pub startup: SimDuration,
    /// Time to stop after SIGTERM.
    pub stop: SimDuration,
    /// Exit on its own, when set; otherwise runs until stopped.
    pub exit: Option<ExitBehaviour>,
    /// The image does not exist in any registry (pulls fail).
    pub missing: bool,
    /// Log lines the container writes when it starts.
    pub logs: Vec<String>,
    /// The image's own environment (its config `Env`), in image order; an
    /// empty list means the runtime default `PATH` only.
    pub env: Vec<(String, String)>,
    /// Files of the image's filesystem, path → content; a path ending in `/`
    /// is a directory (its content ignored).
    pub files: BTreeMap<String, String>,
    /// Memory the process uses from its start, bytes (None: negligible). A
    /// container whose use exceeds its memory limit is OOM-killed.
    pub memory_bytes: Option<i64>,
    /// Changes of the process's health and memory use over time, measured
    /// from each container start, in time order (empty: healthy throughout).
    pub health: Vec<HealthChange>,
    /// The image is in a private repository: pulls need an `imagePullSecrets`
    /// entry with credentials for its registry.
    pub private: bool,
}

/// From `after` (since the container started) on: what the probes answer and
/// how much memory the process uses; a field left None keeps its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthChange {
    /// Time from container start.
    pub after: SimDuration,
    /// Liveness (and startup) probes succeed.
    pub liveness: Option<bool>,
    /// Readiness probes succeed.
    pub readiness: Option<bool>,
    /// Memory use, bytes.
    pub memory_bytes: Option<i64>,
}

/// The health of a container process at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Health {
    /// Liveness and startup probes succeed.
    pub liveness: bool,
    /// Readiness probes succeed.
    pub readiness: bool,
    /// Memory use, bytes (None: negligible).
    pub memory_bytes: Option<i64>,
}

impl ImageProfile {
    /// The process's health `since_start` after its container started.
    pub fn health_at(&self, since_start: SimDuration) -> Health {
        let mut h = Health {
            liveness: true,
            readiness: true,
            memory_bytes: self.memory_bytes,
        };
        for c in self.health.iter().filter(|c| c.after <= since_start) {
            h.liveness = c.liveness.unwrap_or(h.liveness);
            h.readiness = c.readiness.unwrap_or(h.readiness);
            h.memory_bytes = c.memory_bytes.or(h.memory_bytes);
        }
        h
    }

    /// When (since start) the memory use first exceeds `limit` bytes.
    pub fn oom_after(&self, limit: i64) -> Option<SimDuration> {
        if self.memory_bytes.is_some_and(|m| m > limit) {
            return Some(SimDuration::ZERO);
        }
        self.health
            .iter()
            .find(|c| c.memory_bytes.is_some_and(|m| m > limit))
            .map(|c| c.after)
    }
}

impl Default for ImageProfile {
    fn default() -> Self {
        Self {
            size_bytes: 100 * 1000 * 1000,
            pull_duration: None,
            startup: SimDuration::from_millis(500),
            stop: SimDuration::from_millis(200),
            exit: None,
            missing: false,
            logs: Vec::new(),
            env: Vec::new(),
            files: BTreeMap::new(),
            memory_bytes: None,
            health: Vec::new(),
            private: false,
        }
    }
}

/// Image profiles by image reference, with a default for unknown images.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ImageCatalog {
    /// Profiles keyed by full reference (`nginx:1.14.2`) or repository (`nginx`).
    pub profiles: BTreeMap<String, ImageProfile>,
    /// The profile of images not listed.
    pub default: ImageProfile,
}

impl ImageCatalog {
    /// The built-in catalog: the images of a kubeadm control plane and of the
    /// course, with their real sizes (as `crictl images` reports them, rounded).
    pub fn builtin() -> Self {
        let mut profiles = BTreeMap::new();
        let mut add = |name: &str, size_mb: u64, startup_ms: u64| {
            let (env, files) = builtin_image_content(name);
            profiles.insert(
                name.to_owned(),
                ImageProfile {
                    size_bytes: size_mb * 1000 * 1000,
                    startup: SimDuration::from_millis(startup_ms),
                    env,
                    files,
                    ..ImageProfile::default()
                },
            );
        };
        add("registry.k8s.io/etcd:3.5.21-0", 58, 1000);
        add("registry.k8s.io/kube-apiserver:v1.33.0", 30, 2000);
        add("registry.k8s.io/kube-controller-manager:v1.33.0", 27, 1000);
        add("registry.k8s.io/kube-scheduler:v1.33.0", 21, 1000);
        add("registry.k8s.io/kube-proxy:v1.33.0", 31, 500);
        add("registry.k8s.io/coredns/coredns:v1.12.0", 20, 1000);
        add("registry.k8s.io/pause:3.10", 1, 100);
        add("nginx", 70, 300);
        add("nginx:1.14.2", 44, 300);
        add("tomcat", 180, 3000);
        add("tomcat:9.0.55", 284, 3000);
        add("tomcat:10.1.11", 190, 3000);
        add("redis", 45, 300);
        add("busybox", 2, 100);
        Self {
            profiles,
            default: ImageProfile::default(),
        }
    }

    /// The profile of an image: exact reference first, then the repository
    /// without tag or digest, then the default.
    pub fn lookup(&self, image: &str) -> &ImageProfile {
        if let Some(p) = self.profiles.get(image) {
            return p;
        }
        let repo = image_repository(image);
        self.profiles.get(repo).unwrap_or(&self.default)
    }
}

/// The runtime's default `PATH` (containerd `oci.WithDefaultPathEnv`), which
/// also is the `PATH` of most Debian- and busybox-based images.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The root directory of a Debian-based image as `ls /` shows it in a container.
const DEBIAN_ROOT: &[&str] = &[
    "bin", "boot", "dev", "etc", "home", "lib", "lib64", "media", "mnt", "opt", "proc", "root",
    "run", "sbin", "srv", "sys", "tmp", "usr", "var",
];

/// `/usr/share/nginx/html/index.html` of nginx 1.14 (612 bytes, the size in
/// its access log lines).
const NGINX_INDEX_HTML: &str = r#"<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
    body {
        width: 35em;
        margin: 0 auto;
        font-family: Tahoma, Verdana, Arial, sans-serif;
    }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"#;

/// The config `Env` and a few files of the course images (from their
/// Dockerfiles on Docker Hub: nginx, tomcat on openjdk:11-jre-slim, redis,
/// busybox).
fn builtin_image_content(name: &str) -> (Vec<(String, String)>, BTreeMap<String, String>) {
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    let mut dirs: Vec<&str> = Vec::new();
    let mut files: Vec<(&str, &str)> = Vec::new();
    let env = match name {
        "nginx:1.14.2" => {
            dirs.extend(DEBIAN_ROOT);
            dirs.extend(["usr/share/nginx/html", "etc/nginx/conf.d"]);
            files.push(("/usr/share/nginx/html/index.html", NGINX_INDEX_HTML));
            vec![
                pair("PATH", DEFAULT_PATH),
                pair("NGINX_VERSION", "1.14.2-1~stretch"),
                pair("NJS_VERSION", "1.14.2.0.2.6-1~stretch"),
            ]
        }
        "nginx" => {
            dirs.extend(DEBIAN_ROOT);
            dirs.extend([
                "docker-entrypoint.d",
                "usr/share/nginx/html",
                "etc/nginx/conf.d",
            ]);
            files.push((
                "/docker-entrypoint.sh",
                "#!/bin/sh\n# vim:sw=4:ts=4:et\n\nset -e\n",
            ));
            vec![
                pair("PATH", DEFAULT_PATH),
                pair("NGINX_VERSION", "1.27.5"),
                pair("NJS_VERSION", "0.8.10"),
                pair("NJS_RELEASE", "1~bookworm"),
                pair("PKG_RELEASE", "1~bookworm"),
                pair("DYNPKG_RELEASE", "1~bookworm"),
            ]
        }
        "tomcat" | "tomcat:9.0.55" | "tomcat:10.1.11" => {
            dirs.extend(DEBIAN_ROOT);
            dirs.extend([
                "usr/local/tomcat/bin",
                "usr/local/tomcat/conf",
                "usr/local/tomcat/lib",
                "usr/local/tomcat/logs",
                "usr/local/tomcat/native-jni-lib",
                "usr/local/tomcat/temp",
                "usr/local/tomcat/webapps",
                "usr/local/tomcat/webapps.dist",
                "usr/local/tomcat/work",
            ]);
            let (java_home, java_version, major, version) = match name {
                "tomcat:9.0.55" => ("/usr/local/openjdk-11", "11.0.13", "9", "9.0.55"),
                "tomcat:10.1.11" => ("/opt/java/openjdk", "jdk-17.0.7+7", "10", "10.1.11"),
                _ => ("/opt/java/openjdk", "jdk-21.0.7+6", "11", "11.0.7"),
            };
            let mut env = vec![
                pair(
                    "PATH",
                    &format!("/usr/local/tomcat/bin:{java_home}/bin:{DEFAULT_PATH}"),
                ),
                pair("JAVA_HOME", java_home),
                pair(
                    "LANG",
                    if name == "tomcat:9.0.55" {
                        "C.UTF-8"
                    } else {
                        "en_US.UTF-8"
                    },
                ),
            ];
            if name != "tomcat:9.0.55" {
                env.push(pair("LANGUAGE", "en_US:en"));
                env.push(pair("LC_ALL", "en_US.UTF-8"));
            }
            env.extend([
                pair("JAVA_VERSION", java_version),
                pair("CATALINA_HOME", "/usr/local/tomcat"),
                pair("TOMCAT_NATIVE_LIBDIR", "/usr/local/tomcat/native-jni-lib"),
                pair("LD_LIBRARY_PATH", "/usr/local/tomcat/native-jni-lib"),
                pair("TOMCAT_MAJOR", major),
                pair("TOMCAT_VERSION", version),
            ]);
            env
        }
        "redis" => {
            dirs.extend(DEBIAN_ROOT);
            dirs.push("data");
            vec![
                pair("PATH", DEFAULT_PATH),
                pair("GOSU_VERSION", "1.17"),
                pair("REDIS_VERSION", "7.4.2"),
            ]
        }
        "busybox" => {
            dirs.extend([
                "bin", "dev", "etc", "home", "lib", "lib64", "proc", "root", "sys", "tmp", "usr",
                "var",
            ]);
            vec![pair("PATH", DEFAULT_PATH)]
        }
        _ => Vec::new(),
    };
    let mut map: BTreeMap<String, String> = dirs
        .into_iter()
        .map(|d| (format!("/{d}/"), String::new()))
        .collect();
    map.extend(files.into_iter().map(|(p, c)| (p.to_owned(), c.to_owned())));
    (env, map)
}

/// The repository part of an image reference (no tag, no digest).
pub fn image_repository(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let slash = no_digest.rfind('/').map_or(0, |i| i + 1);
    match no_digest[slash..].find(':') {
        Some(colon) => &no_digest[..slash + colon],
        None => no_digest,
    }
}

/// The image reference as the node lists it: with `:latest` when there is no tag
/// (as ImageLocality normalises it).
pub fn normalized_image(image: &str) -> String {
    if image.contains('@') || image_repository(image).len() != image.len() {
        image.to_owned()
    } else {
        format!("{image}:latest")
    }
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
