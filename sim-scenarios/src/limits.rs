//! The largest (and, for periods, smallest) values a scenario file, a
//! manifest or a `sim shell` line may ask for. Each keeps a run within the
//! memory and time of one machine while leaving room for kubesim's scale
//! targets (clusters of 10,000 nodes, 10,000 pods per node). They are
//! documented in docs/scenario-format.md (section 8) and docs/shell.md; a
//! value past one is refused at validation with the field and the limit.

use sim_core::time::SimDuration;

/// Nodes in a cluster (all pools together). The pod CIDRs kubesim hands out
/// (10.244.0.0/16, then 10.64.0.0/10) run out after 16,640 nodes, and each
/// node costs about 160 KB of memory before it runs a pod.
pub const MAX_NODES: u64 = 15_000;

/// A node's `pods` capacity (maxPods).
pub const MAX_PODS_PER_NODE: i64 = 100_000;

/// Any duration a user gives (step `at`, `after`, `wait`, `within`, image and
/// fault durations, timings, `--until`, the shell's `sleep`): 1,000 hours
/// (about 41 days) of virtual time. A default three-node cluster runs about
/// 40 virtual hours per second of wall time; a bigger one, proportionally
/// less.
pub const MAX_DURATION: SimDuration = SimDuration::from_hours(1000);

/// The smallest mean time between failures of `random-node-crashes`: below
/// it, crashes would be planned faster than anything else happens.
pub const MIN_MTBF: SimDuration = SimDuration::from_secs(1);

/// The smallest period of a component's periodic work (lease renewal, node
/// status, node monitor, pod GC, etcd compaction): each period is an event
/// per node (or per cluster) per period.
pub const MIN_PERIOD: SimDuration = SimDuration::from_millis(100);

/// CPU of a node, in millicores: one million cores.
pub const MAX_CPU_MILLIS: i64 = 1_000_000_000;

/// A size in bytes (node memory and ephemeral storage, image size and memory
/// use, pull bandwidth per second): 1Pi. Products of such sizes with score
/// factors stay within 64-bit integers.
pub const MAX_BYTES: i64 = 1 << 50;

/// `terminatedPodGcThreshold`: the pod garbage collector keeps at most this
/// many terminated pods (the Kubernetes supported maximum is 150,000 pods).
pub const MAX_TERMINATED_POD_GC_THRESHOLD: u64 = 1_000_000;

/// The `corednsReplicas` of a cluster.
pub const MAX_COREDNS_REPLICAS: i32 = 1_000;

/// The size of one file kubesim reads (scenario, manifest, scheduler
/// configuration, `--from-file` source): 64 MiB.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// `exitCode` of a fault and `code` of an image's exit: a process exit status.
pub const MAX_EXIT_CODE: i32 = 255;

/// The most paths an image's HTTP server answers.
pub const MAX_HTTP_ROUTES: usize = 1_000;

/// The longest body an HTTP route answers with, bytes.
pub const MAX_HTTP_BODY_BYTES: usize = 64 << 10;
