//! Stage two of scenario parsing: a validated scenario with typed units
//! (durations as virtual time, quantities as integers, manifests as API
//! objects, kubectl lines parsed) and cross-checks (one action per step,
//! unique node names, times that move forward).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Taint;
use sim_core::api::labels::Selector;
use sim_core::api::quantity::{parse_bytes, parse_cpu_millis};
use sim_core::api::Kind;
use sim_core::config::{ClusterConfig, ExitBehaviour, HealthChange, ImageProfile, NodeConfig};
use sim_core::time::{SimDuration, SimTime};

use crate::error::{Location, ScenarioError};
use crate::expect::{Condition, Expectation, Target};
use crate::kubectl::exec::Prepared;
use crate::kubectl::grammar::{self, Command};
use crate::kubectl::resources::resolve;
use crate::manifest::{self, ManifestObject};
use crate::raw::{RawCluster, RawExpect, RawFault, RawImage, RawNodePool, RawScenario, RawStep};
use crate::yaml::{self, YamlErrorKind};

/// The seed used when a scenario names none.
pub const DEFAULT_SEED: u64 = 1;

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The scenario's name.
    pub name: String,
    /// What it shows.
    pub description: Option<String>,
    /// Its seed.
    pub seed: u64,
    /// The file it came from.
    pub path: PathBuf,
    /// The cluster.
    pub cluster: ClusterConfig,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// When a step runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// At an absolute virtual time.
    At(SimTime),
    /// This long after the previous step finished.
    After(SimDuration),
}

/// One validated step.
#[derive(Clone, Debug)]
pub struct Step {
    /// Index in the scenario.
    pub index: usize,
    /// Where it is written.
    pub location: Location,
    /// When it runs.
    pub when: When,
    /// Its label.
    pub name: Option<String>,
    /// What it does.
    pub action: Action,
}

/// What a step does.
#[derive(Clone, Debug)]
pub enum Action {
    /// Apply manifests (as `kubectl apply -f`).
    Apply {
        /// What was applied (a file name, or `inline`).
        source: String,
        /// The command, with the manifests loaded.
        command: Box<Prepared>,
    },
    /// A kubectl command (delete steps are kubectl deletes too).
    Kubectl(Box<Prepared>),
    /// Advance virtual time.
    Wait(SimDuration),
    /// Check a condition, waiting up to a deadline.
    Expect(Expectation),
    /// Inject a fault (docs/faults.md).
    Fault(sim_core::faults::Fault),
}

fn parse_duration(
    s: &str,
    file: &Path,
    line: Option<usize>,
    path: &str,
) -> Result<SimDuration, ScenarioError> {
    s.parse::<SimDuration>().map_err(|e| {
        let mut msg = e.to_string();
        // A bare number is the classic mistake (`wait: 10`).
        if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.') {
            msg.push_str(&format!("; did you mean {s}s?"));
        }
        ScenarioError::at(file, line, path, msg)
    })
}

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => {
                "no such file; expected the path of a scenario YAML file".to_owned()
            }
            std::io::ErrorKind::InvalidData => {
                "the file is not UTF-8 text; expected a scenario YAML file".to_owned()
            }
            _ if path.is_dir() => "is a directory; expected a scenario YAML file".to_owned(),
            _ => format!("cannot read the scenario file: {e}"),
        };
        ScenarioError::new(
            Location {
                file: path.to_owned(),
                ..Default::default()
            },
            why,
        )
    })?;
    parse(&text, path)
}

/// Validates scenario text read from `path` (relative manifest paths resolve
/// from its directory). Every error names the file, the line when it can be
/// known, the YAML path, and what was expected.
pub fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let raw: RawScenario = yaml::from_str(text).map_err(|e| {
        let message = match e.kind {
            YamlErrorKind::Syntax => format!("invalid YAML: {}", e.message),
            YamlErrorKind::Empty => "the scenario file holds no YAML document (it is empty or only comments); expected a mapping with at least name and steps".to_owned(),
            YamlErrorKind::MultipleDocuments => {
                format!("{}; a scenario file holds one YAML document", e.message)
            }
            YamlErrorKind::Shape => e.message,
        };
        ScenarioError::new(
            Location {
                file: path.to_owned(),
                line: e.line,
                column: e.column,
                path: None,
            },
            message,
        )
    })?;
    validate(raw, text, path).map_err(|mut e| {
        // Errors found after deserializing carry a YAML path; the parser finds its line.
        if e.location.line.is_none() && e.location.file == path {
            if let Some(p) = &e.location.path {
                e.location.line = line_of(text, p);
            }
        }
        e
    })
}

/// The 1-based line of a YAML path in the scenario text; if the node is not
/// there (a default), the line of its nearest ancestor below the top level.
pub(crate) fn line_of(text: &str, path: &str) -> Option<usize> {
    let segments = yaml::split_path(path);
    (1..=segments.len())
        .rev()
        .find_map(|n| yaml::locate(text, &segments[..n]))
        .map(|(line, _)| line)
}

fn validate(raw: RawScenario, text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    if raw.name.trim().is_empty() {
        return Err(ScenarioError::at(
            path,
            None,
            "name",
            "a scenario needs a non-empty name",
        ));
    }
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let cluster = cluster(&raw.cluster, path)?;
    let mut steps = Vec::new();
    for (i, rs) in raw.steps.iter().enumerate() {
        steps.push(step(i, rs, path, &base, text, &cluster)?);
    }
    // Absolute times must not go backwards.
    let mut last_at = SimTime::ZERO;
    for s in &steps {
        if let When::At(t) = s.when {
            if t < last_at {
                return Err(ScenarioError::at(
                    path,
                    None,
                    format!("steps[{}].at", s.index),
                    format!("step time {t} is before an earlier step's time {last_at}; steps run in order"),
                ));
            }
            last_at = t;
        }
    }
    Ok(Scenario {
        name: raw.name,
        description: raw.description,
        seed: raw.seed.unwrap_or(DEFAULT_SEED),
        path: path.to_owned(),
        cluster,
        steps,
    })
}

fn quantity(
    v: Option<&str>,
    parse: fn(&str) -> Result<i64, sim_core::api::quantity::QuantityError>,
    file: &Path,
    path: &str,
    default: i64,
) -> Result<i64, ScenarioError> {
    match v {
        None => Ok(default),
        Some(s) => match parse(s) {
            Ok(n) if n >= 0 => Ok(n),
            Ok(_) => Err(ScenarioError::at(
                file,
                None,
                path,
                format!("{s:?} is negative; expected a non-negative quantity such as 4, 500m, 8Gi or 10M"),
            )),
            Err(e) => Err(ScenarioError::at(
                file,
                None,
                path,
                format!("{e}{}", quantity_hint(s, parse)),
            )),
        },
    }
}

/// For `8GB`, `512MiB` or `1KB`: "; did you mean 8G or 8Gi?" (Kubernetes
/// quantities have no B).
fn quantity_hint(
    s: &str,
    parse: fn(&str) -> Result<i64, sim_core::api::quantity::QuantityError>,
) -> String {
    let Some(stem) = s.strip_suffix(['B', 'b']) else {
        return String::new();
    };
    let mut candidates = Vec::new();
    if stem.ends_with('i') {
        candidates.push(stem.to_owned());
    } else {
        candidates.push(stem.replace('K', "k"));
        candidates.push(format!("{}i", stem.replace('k', "K")));
    }
    let ok: Vec<String> = candidates
        .into_iter()
        .filter(|c| parse(c).is_ok())
        .collect();
    if ok.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", ok.join(" or "))
    }
}

/// Parses a taint in kubectl syntax: `key[=value]:Effect`.
pub fn parse_taint(s: &str) -> Result<Taint, String> {
    let (kv, effect) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("invalid taint spec: {s}, expected key[=value]:Effect"))?;
    if !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
        return Err(format!("invalid taint effect: {effect}, unsupported taint effect (expected NoSchedule, PreferNoSchedule or NoExecute)"));
    }
    let (key, value) = match kv.split_once('=') {
        Some((k, v)) => (k, Some(v.to_owned())),
        None => (kv, None),
    };
    if key.is_empty() {
        return Err(format!(
            "invalid taint spec: {s}, the key must not be empty"
        ));
    }
    Ok(Taint {
        key: key.into(),
        value,
        effect: effect.into(),
        time_added: None,
    })
}

fn image(
    raw: &RawImage,
    file: &Path,
    path: &str,
    base: &ImageProfile,
) -> Result<ImageProfile, ScenarioError> {
    let d = |v: &Option<String>, field: &str| -> Result<Option<SimDuration>, ScenarioError> {
        v.as_deref()
            .map(|s| parse_duration(s, file, None, &format!("{path}.{field}")))
            .transpose()
    };
    let size = quantity(
        raw.size.as_deref(),
        parse_bytes,
        file,
        &format!("{path}.size"),
        i64::try_from(base.size_bytes).unwrap_or(0),
    )?;
    let exit = match &raw.exit {
        None => base.exit,
        Some(e) => Some(ExitBehaviour {
            after: parse_duration(&e.after, file, None, &format!("{path}.exit.after"))?,
            code: e.code.unwrap_or(0),
        }),
    };
    Ok(ImageProfile {
        size_bytes: u64::try_from(size).unwrap_or(0),
        pull_duration: d(&raw.pull_time, "pullTime")?.or(base.pull_duration),
        startup: d(&raw.startup, "startup")?.unwrap_or(base.startup),
        stop: d(&raw.stop, "stop")?.unwrap_or(base.stop),
        exit,
        missing: raw.missing.unwrap_or(base.missing),
        logs: if raw.logs.is_empty() {
            base.logs.clone()
        } else {
            raw.logs.clone()
        },
        env: {
            // Variables are set on top of the base profile's (in place when
            // already defined), as a Dockerfile ENV does.
            let mut env = base.env.clone();
            if let Some(map) = &raw.env {
                for (k, v) in image_env(map, file, &format!("{path}.env"))? {
                    match env.iter_mut().find(|(n, _)| *n == k) {
                        Some(e) => e.1 = v,
                        None => env.push((k, v)),
                    }
                }
            }
            env
        },
        files: match &raw.files {
            None => base.files.clone(),
            Some(files) => {
                for p in files.keys() {
                    if !p.starts_with('/') {
                        return Err(ScenarioError::at(
                            file,
                            None,
                            format!("{path}.files"),
                            format!("\"{p}\" is not an absolute path"),
                        ));
                    }
                }
                // Added to (or replacing entries of) the base profile's files.
                let mut all = base.files.clone();
                all.extend(files.clone());
                all
            }
        },
        memory_bytes: match raw.memory.as_deref() {
            None => base.memory_bytes,
            Some(m) => Some(quantity(
                Some(m),
                parse_bytes,
                file,
                &format!("{path}.memory"),
                0,
            )?),
        },
        health: if raw.health.is_empty() {
            base.health.clone()
        } else {
            let mut changes = Vec::new();
            for (i, h) in raw.health.iter().enumerate() {
                let at = format!("{path}.health[{i}]");
                let pass = |v: &Option<String>, field: &str| match v.as_deref() {
                    None => Ok(None),
                    Some("pass") => Ok(Some(true)),
                    Some("fail") => Ok(Some(false)),
                    Some(other) => Err(ScenarioError::at(
                        file,
                        None,
                        format!("{at}.{field}"),
                        format!("\"{other}\" is not pass or fail"),
                    )),
                };
                let change = HealthChange {
                    after: parse_duration(&h.after, file, None, &format!("{at}.after"))?,
                    liveness: pass(&h.liveness, "liveness")?,
                    readiness: pass(&h.readiness, "readiness")?,
                    memory_bytes: h
                        .memory
                        .as_deref()
                        .map(|m| quantity(Some(m), parse_bytes, file, &format!("{at}.memory"), 0))
                        .transpose()?,
                };
                if changes
                    .last()
                    .is_some_and(|l: &HealthChange| l.after > change.after)
                {
                    return Err(ScenarioError::at(
                        file,
                        None,
                        format!("{at}.after"),
                        "health changes must be in time order".to_owned(),
                    ));
                }
                changes.push(change);
            }
            changes
        },
        private: raw.private.unwrap_or(base.private),
    })
}

/// An image's `env` mapping, in the order written; values are scalars.
fn image_env(
    map: &crate::yaml::OrderedMapping,
    file: &Path,
    path: &str,
) -> Result<Vec<(String, String)>, ScenarioError> {
    crate::yaml::scalar_entries(map)
        .into_iter()
        .map(|(k, v)| match (k, v) {
            (Some(k), Some(v)) if !k.is_empty() && !k.contains('=') => Ok((k, v)),
            _ => Err(ScenarioError::at(
                file,
                None,
                path,
                "each entry must be NAME: value (a scalar)",
            )),
        })
        .collect()
}

fn cluster(raw: &RawCluster, file: &Path) -> Result<ClusterConfig, ScenarioError> {
    let mut config = ClusterConfig::kubeadm(2);
    if let Some(pools) = &raw.nodes {
        config.nodes.clear();
        for (i, pool) in pools.iter().enumerate() {
            config.nodes.extend(node_pool(pool, file, i)?);
        }
        let mut names = BTreeSet::new();
        for n in &config.nodes {
            if !names.insert(n.name.clone()) {
                return Err(ScenarioError::at(
                    file,
                    None,
                    "cluster.nodes",
                    format!(
                        "node name {:?} is used twice; node names must be unique",
                        n.name
                    ),
                ));
            }
            let errs = sim_core::api::validation::is_dns1123_subdomain(&n.name);
            if let Some(e) = errs.first() {
                return Err(ScenarioError::at(
                    file,
                    None,
                    "cluster.nodes",
                    format!("invalid node name {:?}: {e}", n.name),
                ));
            }
        }
        let control_planes = config.nodes.iter().filter(|n| n.control_plane).count();
        if control_planes != 1 {
            return Err(ScenarioError::at(file, None, "cluster.nodes", format!("a kubeadm cluster has exactly one control-plane node (controlPlane: true); found {control_planes}")));
        }
        // The control plane first, as kubeadm init comes before kubeadm join.
        config.nodes.sort_by_key(|n| !n.control_plane);
    }
    if let Some(d) = &raw.default_image {
        config.images.default = image(
            d,
            file,
            "cluster.defaultImage",
            &config.images.default.clone(),
        )?;
    }
    for (name, raw_img) in &raw.images {
        let base = config.images.lookup(name).clone();
        let profile = image(raw_img, file, &format!("cluster.images[{name}]"), &base)?;
        config.images.profiles.insert(name.clone(), profile);
    }
    let t = &raw.timings;
    let timings = &mut config.timings;
    let overrides: [(&Option<String>, &str, &mut SimDuration); 14] = [
        (
            &t.node_lease_duration,
            "nodeLeaseDuration",
            &mut timings.node_lease_duration,
        ),
        (
            &t.lease_renew_interval,
            "leaseRenewInterval",
            &mut timings.lease_renew_interval,
        ),
        (
            &t.node_status_update_frequency,
            "nodeStatusUpdateFrequency",
            &mut timings.node_status_update_frequency,
        ),
        (
            &t.node_status_report_frequency,
            "nodeStatusReportFrequency",
            &mut timings.node_status_report_frequency,
        ),
        (
            &t.pod_sandbox_setup,
            "podSandboxSetup",
            &mut timings.pod_sandbox_setup,
        ),
        (
            &t.scheduling_cycle,
            "schedulingCycle",
            &mut timings.scheduling_cycle,
        ),
        (
            &t.scheduling_per_node,
            "schedulingPerNode",
            &mut timings.scheduling_per_node,
        ),
        (
            &t.etcd_compaction_interval,
            "etcdCompactionInterval",
            &mut timings.etcd_compaction_interval,
        ),
        (
            &t.kubelet_startup,
            "kubeletStartup",
            &mut timings.kubelet_startup,
        ),
        (
            &t.node_monitor_period,
            "nodeMonitorPeriod",
            &mut timings.node_monitor_period,
        ),
        (
            &t.node_monitor_grace_period,
            "nodeMonitorGracePeriod",
            &mut timings.node_monitor_grace_period,
        ),
        (
            &t.node_startup_grace_period,
            "nodeStartupGracePeriod",
            &mut timings.node_startup_grace_period,
        ),
        (
            &t.node_eviction_interval,
            "nodeEvictionInterval",
            &mut timings.node_eviction_interval,
        ),
        (&t.pod_gc_period, "podGcPeriod", &mut timings.pod_gc_period),
    ];
    for (raw_value, field, target) in overrides {
        if let Some(s) = raw_value.as_deref() {
            *target = parse_duration(s, file, None, &format!("cluster.timings.{field}"))?;
        }
    }
    for (v, field) in [
        (config.timings.lease_renew_interval, "leaseRenewInterval"),
        (
            config.timings.node_status_update_frequency,
            "nodeStatusUpdateFrequency",
        ),
        (
            config.timings.etcd_compaction_interval,
            "etcdCompactionInterval",
        ),
    ] {
        if v == SimDuration::ZERO {
            return Err(ScenarioError::at(
                file,
                None,
                format!("cluster.timings.{field}"),
                "must be greater than zero (a zero period would loop forever)",
            ));
        }
    }
    let l = &raw.latencies;
    if let Some(s) = &l.api_request {
        config.latencies.api_request =
            parse_duration(s, file, None, "cluster.latencies.apiRequest")?;
    }
    if let Some(s) = &l.watch_delivery {
        config.latencies.watch_delivery =
            parse_duration(s, file, None, "cluster.latencies.watchDelivery")?;
    }
    if let Some(r) = raw.coredns_replicas {
        if r < 0 {
            return Err(ScenarioError::at(
                file,
                None,
                "cluster.corednsReplicas",
                "must be 0 or more",
            ));
        }
        config.coredns_replicas = r;
    }
    if let Some(s) = raw.default_toleration_seconds {
        if s < 0 {
            return Err(ScenarioError::at(
                file,
                None,
                "cluster.defaultTolerationSeconds",
                "must be 0 or more",
            ));
        }
        config.default_toleration_secs = s;
    }
    if let Some(source) = &raw.scheduler {
        let scheduler = crate::scheduler_config::load(source, file)?;
        // validate() guarantees 0 < initial <= max.
        config.timings.pod_initial_backoff = SimDuration::from_secs(
            u64::try_from(scheduler.pod_initial_backoff_seconds).unwrap_or(1),
        );
        config.timings.pod_max_backoff =
            SimDuration::from_secs(u64::try_from(scheduler.pod_max_backoff_seconds).unwrap_or(10));
        config.scheduler = scheduler;
    }
    Ok(config)
}

fn node_pool(
    pool: &RawNodePool,
    file: &Path,
    index: usize,
) -> Result<Vec<NodeConfig>, ScenarioError> {
    let path = format!("cluster.nodes[{index}]");
    let control_plane = pool.control_plane.unwrap_or(false);
    let names: Vec<String> = match (&pool.names, pool.count, &pool.name) {
        (Some(names), None, _) => names.clone(),
        (None, Some(count), Some(prefix)) => (1..=count).map(|i| format!("{prefix}-{i}")).collect(),
        (None, Some(count), None) => (1..=count)
            .map(|i| {
                format!(
                    "{}-{i}",
                    if control_plane {
                        "control-plane"
                    } else {
                        "worker"
                    }
                )
            })
            .collect(),
        (None, None, Some(name)) => vec![name.clone()],
        (None, None, None) => {
            return Err(ScenarioError::at(
                file,
                None,
                path,
                "a node pool needs a name, names, or a count",
            ))
        }
        (Some(_), Some(_), _) => {
            return Err(ScenarioError::at(
                file,
                None,
                path,
                "give either names or count, not both",
            ))
        }
    };
    let mut template = NodeConfig::new("x", control_plane);
    template.capacity.cpu_millis = quantity(
        pool.cpu.as_deref(),
        parse_cpu_millis,
        file,
        &format!("{path}.cpu"),
        template.capacity.cpu_millis,
    )?;
    template.capacity.memory_bytes = quantity(
        pool.memory.as_deref(),
        parse_bytes,
        file,
        &format!("{path}.memory"),
        template.capacity.memory_bytes,
    )?;
    template.capacity.ephemeral_storage_bytes = quantity(
        pool.ephemeral_storage.as_deref(),
        parse_bytes,
        file,
        &format!("{path}.ephemeralStorage"),
        template.capacity.ephemeral_storage_bytes,
    )?;
    if let Some(p) = pool.pods {
        if p <= 0 {
            return Err(ScenarioError::at(
                file,
                None,
                format!("{path}.pods"),
                "must be at least 1",
            ));
        }
        template.capacity.pods = p;
    }
    let bw = quantity(
        pool.pull_bandwidth.as_deref(),
        parse_bytes,
        file,
        &format!("{path}.pullBandwidth"),
        i64::try_from(template.pull_bandwidth_bytes_per_sec).unwrap_or(1),
    )?;
    if bw == 0 {
        return Err(ScenarioError::at(
            file,
            None,
            format!("{path}.pullBandwidth"),
            "must be greater than zero",
        ));
    }
    template.pull_bandwidth_bytes_per_sec = u64::try_from(bw).unwrap_or(1);
    for (k, v) in &pool.labels {
        if let Some(e) = sim_core::api::validation::is_qualified_name(k).first() {
            return Err(ScenarioError::at(
                file,
                None,
                format!("{path}.labels"),
                format!("invalid label key {k:?}: {e}"),
            ));
        }
        if let Some(e) = sim_core::api::validation::is_valid_label_value(v).first() {
            return Err(ScenarioError::at(
                file,
                None,
                format!("{path}.labels[{k}]"),
                format!("invalid label value {v:?}: {e}"),
            ));
        }
    }
    template.labels = pool.labels.clone();
    if let Some(d) = &pool.join_at {
        if control_plane {
            return Err(ScenarioError::at(
                file,
                None,
                format!("{path}.joinAt"),
                "the control-plane node is there from the start (kubeadm init); joinAt is for workers",
            ));
        }
        template.join_at = Some(parse_duration(d, file, None, &format!("{path}.joinAt"))?);
    }
    for (i, t) in pool.taints.iter().enumerate() {
        template.taints.push(
            parse_taint(t)
                .map_err(|e| ScenarioError::at(file, None, format!("{path}.taints[{i}]"), e))?,
        );
    }
    Ok(names
        .into_iter()
        .map(|name| NodeConfig {
            name,
            ..template.clone()
        })
        .collect())
}

fn step(
    index: usize,
    raw: &RawStep,
    file: &Path,
    base: &Path,
    text: &str,
    cluster: &ClusterConfig,
) -> Result<Step, ScenarioError> {
    let path = format!("steps[{index}]");
    let location = Location {
        file: file.to_owned(),
        line: line_of(text, &path),
        column: None,
        path: Some(path.clone()),
    };
    // Errors carry no line: `parse` finds the line of their YAML path.
    let at = |field: &str| Location {
        file: file.to_owned(),
        line: None,
        column: None,
        path: Some(format!("{path}{field}")),
    };
    let err = |field: &str, msg: String| ScenarioError::new(at(field), msg);
    let when = match (&raw.at, &raw.after) {
        (Some(_), Some(_)) => {
            return Err(err(
                "",
                "give either at (an absolute time) or after (a delay), not both".into(),
            ))
        }
        (Some(at), None) => {
            When::At(SimTime::ZERO + parse_duration(at, file, None, &format!("{path}.at"))?)
        }
        (None, Some(after)) => {
            When::After(parse_duration(after, file, None, &format!("{path}.after"))?)
        }
        (None, None) => When::After(SimDuration::ZERO),
    };
    let actions: Vec<&str> = [
        ("apply", raw.apply.is_some()),
        ("delete", raw.delete.is_some()),
        ("kubectl", raw.kubectl.is_some()),
        ("wait", raw.wait.is_some()),
        ("expect", raw.expect.is_some()),
        ("fault", raw.fault.is_some()),
    ]
    .into_iter()
    .filter(|(_, present)| *present)
    .map(|(name, _)| name)
    .collect();
    if actions.len() != 1 {
        let found = if actions.is_empty() {
            "found none".to_owned()
        } else {
            format!("found {} ({})", actions.len(), actions.join(" and "))
        };
        return Err(err(
            "",
            format!("a step needs exactly one of apply, delete, kubectl, wait or expect (or fault); {found}"),
        ));
    }
    if raw.namespace.is_some() && raw.delete.is_none() && raw.apply.is_none() {
        return Err(err(
            ".namespace",
            "namespace applies to apply and delete steps; put it inside expect for expectations, or use -n in a kubectl line"
                .into(),
        ));
    }
    let action = if let Some(apply) = &raw.apply {
        let (source, manifests) = apply_source(apply, file, base, text, &path, &at(".apply"))?;
        if manifests.is_empty() {
            return Err(err(".apply", "error: no objects passed to apply".into()));
        }
        let mut cli_line = format!("apply -f {source}");
        if let Some(ns) = &raw.namespace {
            cli_line.push_str(&format!(" -n {ns}"));
        }
        let cli = grammar::parse(&cli_line).map_err(|e| err(".apply", e.0))?;
        Action::Apply {
            source: source.clone(),
            command: Box::new(Prepared {
                line: cli_line,
                cli,
                manifests,
                files: Default::default(),
                edit_patch: None,
            }),
        }
    } else if let Some(delete) = &raw.delete {
        let targets = delete.items();
        let mut cli_line = format!(
            "delete {}",
            targets
                .iter()
                .map(|t| shlex::try_quote(t)
                    .map(|c| c.into_owned())
                    .unwrap_or_else(|_| t.clone()))
                .collect::<Vec<_>>()
                .join(" ")
        );
        if let Some(ns) = &raw.namespace {
            cli_line.push_str(&format!(" -n {ns}"));
        }
        Action::Kubectl(Box::new(prepare_kubectl(
            &cli_line,
            base,
            &at(".delete"),
            &err,
            ".delete",
        )?))
    } else if let Some(k) = &raw.kubectl {
        let mut prepared = prepare_kubectl(k, base, &at(".kubectl"), &err, ".kubectl")?;
        let is_edit = matches!(prepared.cli.command, Command::Edit(_));
        match (&raw.patch, is_edit) {
            (Some(p), true) if p.is_object() => prepared.edit_patch = Some(p.clone()),
            (Some(_), true) => {
                return Err(err(".patch", "the patch of an edit step must be a mapping (a strategic merge patch of the fields you would change)".into()))
            }
            (None, true) => {
                return Err(err(".kubectl", "kubectl edit opens an editor; in a scenario give the change as `patch:` (a strategic merge patch of the fields you would change in the editor)".into()))
            }
            (Some(_), false) => return Err(err(".patch", "patch goes with `kubectl: edit TYPE NAME` only (use `kubectl patch` for other patches)".into())),
            (None, false) => {}
        }
        Action::Kubectl(Box::new(prepared))
    } else if let Some(w) = &raw.wait {
        Action::Wait(parse_duration(w, file, None, &format!("{path}.wait"))?)
    } else if let Some(e) = &raw.expect {
        Action::Expect(expectation(e, file, &format!("{path}.expect"))?)
    } else if let Some(f) = &raw.fault {
        let node_names: Vec<&str> = cluster.nodes.iter().map(|n| n.name.as_str()).collect();
        Action::Fault(
            fault(f, &node_names).map_err(|(field, msg)| err(&format!(".fault{field}"), msg))?,
        )
    } else {
        return Err(err("", "empty step".into()));
    };
    Ok(Step {
        index,
        location,
        when,
        name: raw.name.clone(),
        action,
    })
}

fn prepare_kubectl(
    line: &str,
    base: &Path,
    location: &Location,
    err: &dyn Fn(&str, String) -> ScenarioError,
    field: &str,
) -> Result<Prepared, ScenarioError> {
    let cli = grammar::parse(line).map_err(|e| err(field, e.0))?;
    let files: Vec<PathBuf> = match &cli.command {
        Command::Apply(a) => a.filenames.iter().map(PathBuf::from).collect(),
        Command::Create(c) => c.filenames.iter().map(PathBuf::from).collect(),
        Command::Delete(d) => d.filenames.iter().map(PathBuf::from).collect(),
        _ => Vec::new(),
    };
    let resources: Option<&Vec<String>> = match &cli.command {
        Command::Get(g) => Some(&g.resources),
        Command::Describe(d) => Some(&d.resources),
        Command::Delete(d) if !d.resources.is_empty() => Some(&d.resources),
        _ => None,
    };
    if let Some(r) = resources {
        resolve(r).map_err(|e| err(field, e))?;
    }
    if let Command::Create(c) = &cli.command {
        if c.what.is_none() && c.filenames.is_empty() {
            return Err(err(field, "error: must specify one of -f and -k, or a subcommand such as namespace or deployment".into()));
        }
    }
    if let Command::Delete(d) = &cli.command {
        if d.resources.is_empty() && d.filenames.is_empty() {
            return Err(err(
                field,
                "error: You must provide one or more resources by argument or filename.".into(),
            ));
        }
    }
    if let Command::Delete(d) = &cli.command {
        if !matches!(
            d.cascade.as_str(),
            "background" | "foreground" | "orphan" | "true" | "false"
        ) {
            return Err(err(
                field,
                format!("error: invalid cascade value ({}). Must be \"background\", \"foreground\", or \"orphan\".", d.cascade),
            ));
        }
    }
    let recursive = matches!(&cli.command, Command::Apply(a) if a.recursive);
    let manifests = manifest::load_paths(&files, base, location, recursive)?;
    let verb = match &cli.command {
        Command::Apply(_) => Some("apply"),
        Command::Create(c) if c.what.is_none() => Some("create"),
        _ => None,
    };
    if let Some(verb) = verb {
        if manifests.is_empty() {
            return Err(err(field, format!("error: no objects passed to {verb}")));
        }
    }
    let files =
        crate::kubectl::commands::create::load_sources(&cli, base).map_err(|e| err(field, e))?;
    Ok(Prepared {
        line: line.to_owned(),
        cli,
        manifests,
        files,
        edit_patch: None,
    })
}

fn apply_source(
    apply: &serde_json::Value,
    file: &Path,
    base: &Path,
    text: &str,
    step_path: &str,
    location: &Location,
) -> Result<(String, Vec<ManifestObject>), ScenarioError> {
    let apply_path = format!("{step_path}.apply");
    let origin = |path: String| Location {
        file: file.to_owned(),
        line: line_of(text, &path),
        column: None,
        path: Some(path),
    };
    match apply {
        serde_json::Value::String(s) if !s.contains('\n') => {
            let objs = manifest::load_paths(&[PathBuf::from(s)], base, location, false)?;
            Ok((s.clone(), objs))
        }
        serde_json::Value::String(s) => {
            // Inline YAML: report lines as lines of the scenario file. In a
            // literal block (`apply: |`) line k of the text is k lines below
            // the `|`; in any other multi-line string, lines do not map, so
            // errors point at the string.
            let at = yaml::locate(text, &yaml::split_path(&apply_path));
            let literal = at.filter(|&(line, column)| {
                text.lines()
                    .nth(line.saturating_sub(1))
                    .and_then(|l| l.chars().nth(column.saturating_sub(1)))
                    == Some('|')
            });
            let offset = literal.map_or(0, |(line, _)| line);
            let objs = manifest::load_text(s, file, offset).map_err(|mut e| {
                if e.location.file == file {
                    e.location.column = None;
                    if e.location.path.is_none() {
                        e.location.path = Some(apply_path.clone());
                    }
                    if literal.is_none() {
                        e.location.line = at.map(|(line, _)| line);
                    }
                }
                e
            })?;
            Ok(("inline".into(), objs))
        }
        serde_json::Value::Object(_) => {
            let obj = manifest::decode(apply.clone(), origin(apply_path.clone()))?;
            Ok(("inline".into(), vec![obj]))
        }
        serde_json::Value::Array(items) => {
            let mut objs = Vec::new();
            for (i, item) in items.iter().enumerate() {
                objs.push(manifest::decode(
                    item.clone(),
                    origin(format!("{apply_path}[{i}]")),
                )?);
            }
            manifest::check_duplicates(&objs)?;
            Ok(("inline".into(), objs))
        }
        _ => Err(ScenarioError::new(
            origin(apply_path.clone()),
            "apply takes a file path, inline YAML text, a manifest, or a list of manifests",
        )),
    }
}

fn expectation(raw: &RawExpect, file: &Path, path: &str) -> Result<Expectation, ScenarioError> {
    let err =
        |field: &str, msg: String| ScenarioError::at(file, None, format!("{path}{field}"), msg);
    let within = raw
        .within
        .as_deref()
        .map(|s| parse_duration(s, file, None, &format!("{path}.within")))
        .transpose()?
        .unwrap_or(SimDuration::ZERO);
    let namespace = raw.namespace.clone().unwrap_or_else(|| "default".into());
    let all_namespaces = raw.all_namespaces.unwrap_or(false);
    let subjects = [
        raw.object.is_some(),
        raw.pods.is_some(),
        raw.pod_count.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if subjects != 1 {
        return Err(err(
            "",
            format!(
                "an expectation needs exactly one of object, pods or podCount; found {subjects}"
            ),
        ));
    }
    // Every field given must mean something for this kind of expectation.
    let given = [
        ("exists", raw.exists.is_some()),
        ("phase", raw.phase.is_some()),
        ("ready", raw.ready.is_some()),
        ("count", raw.count.is_some()),
        ("replicas", raw.replicas.is_some()),
        ("readyReplicas", raw.ready_replicas.is_some()),
        ("availableReplicas", raw.available_replicas.is_some()),
        ("updatedReplicas", raw.updated_replicas.is_some()),
        ("node", raw.node.is_some()),
        ("restarts", raw.restarts.is_some()),
        ("allNamespaces", raw.all_namespaces.is_some()),
    ];
    let (subject, allowed): (&str, &[&str]) = if raw.object.is_some() {
        (
            "object",
            &[
                "exists",
                "phase",
                "ready",
                "replicas",
                "readyReplicas",
                "availableReplicas",
                "updatedReplicas",
                "node",
                "restarts",
            ],
        )
    } else if raw.pods.is_some() {
        ("pods", &["phase", "ready", "count", "allNamespaces"])
    } else {
        ("podCount", &["allNamespaces"])
    };
    if let Some((field, _)) = given.iter().find(|(f, set)| *set && !allowed.contains(f)) {
        return Err(err(
            &format!(".{field}"),
            format!(
                "{field} is not supported in {} {subject} expectation (supported: {})",
                if subject == "object" { "an" } else { "a" },
                allowed.join(", ")
            ),
        ));
    }
    let mut conditions = Vec::new();
    let target;
    if let Some(obj) = &raw.object {
        let (kind_s, name) = obj.split_once('/').ok_or_else(|| {
            err(
                ".object",
                format!("{obj:?}: expected TYPE/NAME, for example deployment/my-tomcat"),
            )
        })?;
        let kind = Kind::from_resource_name(kind_s).ok_or_else(|| {
            err(
                ".object",
                format!(
                    "unsupported object kind {kind_s:?}; expectations support: {}",
                    Kind::ALL
                        .iter()
                        .map(|k| k.singular())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        target = Target::Object {
            kind,
            namespace: if kind.namespaced() {
                namespace
            } else {
                String::new()
            },
            name: name.to_owned(),
        };
        let allowed = |field: &str, kinds: &[Kind]| -> Result<(), ScenarioError> {
            if kinds.contains(&kind) {
                Ok(())
            } else {
                Err(err(
                    &format!(".{field}"),
                    format!(
                        "{field} is not supported for {} (supported for: {})",
                        kind.singular(),
                        kinds
                            .iter()
                            .map(|k| k.singular())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ))
            }
        };
        if let Some(e) = raw.exists {
            conditions.push(Condition::Exists(e));
        }
        if let Some(p) = &raw.phase {
            allowed(
                "phase",
                &[
                    Kind::Pod,
                    Kind::Namespace,
                    Kind::PersistentVolume,
                    Kind::PersistentVolumeClaim,
                ],
            )?;
            conditions.push(Condition::Phase(p.clone()));
        }
        if let Some(r) = raw.ready {
            allowed("ready", &[Kind::Pod, Kind::Node])?;
            conditions.push(Condition::Ready(r));
        }
        let workloads = [
            Kind::Deployment,
            Kind::ReplicaSet,
            Kind::StatefulSet,
            Kind::DaemonSet,
        ];
        for (v, field, f) in [
            (
                raw.replicas,
                "replicas",
                Condition::Replicas as fn(i32) -> Condition,
            ),
            (
                raw.ready_replicas,
                "readyReplicas",
                Condition::ReadyReplicas,
            ),
            (
                raw.available_replicas,
                "availableReplicas",
                Condition::AvailableReplicas,
            ),
            (
                raw.updated_replicas,
                "updatedReplicas",
                Condition::UpdatedReplicas,
            ),
        ] {
            if let Some(v) = v {
                allowed(field, &workloads)?;
                conditions.push(f(v));
            }
        }
        if let Some(n) = &raw.node {
            allowed("node", &[Kind::Pod])?;
            conditions.push(Condition::OnNode(n.clone()));
        }
        if let Some(r) = raw.restarts {
            allowed("restarts", &[Kind::Pod])?;
            conditions.push(Condition::Restarts(r));
        }
        if raw.count.is_some() {
            return Err(err(
                ".count",
                "count applies to pods expectations, not to one object".into(),
            ));
        }
        if conditions.is_empty() {
            conditions.push(Condition::Exists(true));
        }
    } else if let Some(sel) = &raw.pods {
        let selector = Selector::parse(sel)
            .map_err(|e| err(".pods", format!("invalid label selector: {e}")))?;
        target = Target::Pods {
            namespace: (!all_namespaces).then_some(namespace),
            selector,
        };
        if let Some(p) = &raw.phase {
            conditions.push(Condition::Phase(p.clone()));
        }
        if let Some(r) = raw.ready {
            conditions.push(Condition::Ready(r));
        }
        if let Some(c) = raw.count {
            conditions.push(Condition::Count(c));
        }
        for (present, field) in [
            (raw.replicas.is_some(), "replicas"),
            (raw.available_replicas.is_some(), "availableReplicas"),
            (raw.exists.is_some(), "exists"),
            (raw.node.is_some(), "node"),
        ] {
            if present {
                return Err(err(&format!(".{field}"), format!("{field} is not supported for a set of pods (supported: phase, ready, count)")));
            }
        }
        if conditions.is_empty() {
            return Err(err(
                "",
                "a pods expectation needs phase, ready or count".into(),
            ));
        }
    } else {
        let counts = raw.pod_count.clone().unwrap_or_default();
        for phase in counts.keys() {
            if !matches!(
                phase.as_str(),
                "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown"
            ) {
                return Err(err(".podCount", format!("unknown pod phase {phase:?} (expected Pending, Running, Succeeded, Failed or Unknown)")));
            }
        }
        target = Target::Pods {
            namespace: (!all_namespaces).then_some(namespace),
            selector: Selector::everything(),
        };
        conditions.push(Condition::PhaseCounts(counts));
    }
    Ok(Expectation {
        target,
        conditions,
        within,
    })
}

/// A fault step's fault, or the field (`.node`, ``) and what is wrong.
pub(crate) fn fault(
    raw: &RawFault,
    nodes: &[&str],
) -> Result<sim_core::faults::Fault, (String, String)> {
    use sim_core::faults::{Fault, FaultKind, KINDS};
    let bad = |field: &str, msg: String| (field.to_owned(), msg);
    let dur = |field: &str, v: &Option<String>| -> Result<Option<SimDuration>, (String, String)> {
        v.as_deref()
            .map(|s| {
                s.parse::<SimDuration>().map_err(|e| {
                    let mut msg = e.to_string();
                    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.') {
                        msg.push_str(&format!("; did you mean {s}s?"));
                    }
                    bad(field, msg)
                })
            })
            .transpose()
    };
    let need = |field: &str, v: Option<SimDuration>| {
        v.ok_or_else(|| bad("", format!("a {} fault needs {field}", raw.kind)))
    };
    let node = || -> Result<String, (String, String)> {
        let n = raw
            .node
            .clone()
            .ok_or_else(|| bad("", format!("a {} fault needs node", raw.kind)))?;
        if !nodes.contains(&n.as_str()) {
            return Err(bad(
                ".node",
                format!(
                    "no node named {n:?}; the cluster's nodes are {}",
                    nodes.join(", ")
                ),
            ));
        }
        Ok(n)
    };
    let duration = dur(".duration", &raw.duration)?;
    let latency = dur(".latency", &raw.latency)?;
    let mtbf = dur(".mtbf", &raw.mtbf)?;
    let recover_after = dur(".recoverAfter", &raw.recover_after)?;
    let kind = match raw.kind.as_str() {
        "node-crash" => FaultKind::NodeCrash { node: node()? },
        "node-power-on" => FaultKind::NodePowerOn { node: node()? },
        "kubelet-stop" => FaultKind::KubeletStop { node: node()? },
        "kubelet-start" => FaultKind::KubeletStart { node: node()? },
        "partition" => FaultKind::Partition { node: node()? },
        "container-crash" => FaultKind::ContainerCrash {
            namespace: raw.namespace.clone().unwrap_or_else(|| "default".into()),
            pod: raw
                .pod
                .clone()
                .ok_or_else(|| bad("", "a container-crash fault needs pod".into()))?,
            container: raw
                .container
                .clone()
                .ok_or_else(|| bad("", "a container-crash fault needs container".into()))?,
            exit_code: raw.exit_code.unwrap_or(1),
        },
        "registry-outage" => FaultKind::RegistryOutage,
        "apiserver-slow" => FaultKind::ApiserverSlow {
            latency: need("latency", latency)?,
        },
        "apiserver-stop" => FaultKind::ApiserverStop,
        "scheduler-stop" => FaultKind::SchedulerStop,
        "controller-manager-stop" => FaultKind::ControllerManagerStop,
        "etcd-slow" => FaultKind::EtcdSlow {
            latency: need("latency", latency)?,
        },
        "random-node-crashes" => FaultKind::RandomNodeCrashes {
            mtbf: need("mtbf", mtbf)?,
            recover_after: need("recoverAfter", recover_after)?,
        },
        other => {
            let hint = crate::suggest::closest(other, KINDS.iter().copied(), 3)
                .map(|s| format!("did you mean {s}? "))
                .unwrap_or_default();
            return Err(bad(
                ".kind",
                format!(
                    "unknown fault kind {other:?}; {hint}expected one of {}",
                    KINDS.join(", ")
                ),
            ));
        }
    };
    if kind.instantaneous() && duration.is_some() {
        return Err(bad(
            ".duration",
            format!(
                "a {} fault happens at an instant and takes no duration",
                raw.kind
            ),
        ));
    }
    if matches!(kind, FaultKind::RandomNodeCrashes { .. }) && duration.is_none() {
        return Err(bad("", "a random-node-crashes fault needs duration".into()));
    }
    if mtbf == Some(SimDuration::ZERO) {
        return Err(bad(".mtbf", "mtbf must be greater than zero".into()));
    }
    let fields_used: &[(&str, bool)] = &[
        ("node", raw.node.is_some() && kind.node().is_none()),
        (
            "pod",
            raw.pod.is_some() && !matches!(kind, FaultKind::ContainerCrash { .. }),
        ),
        (
            "latency",
            raw.latency.is_some()
                && !matches!(
                    kind,
                    FaultKind::ApiserverSlow { .. } | FaultKind::EtcdSlow { .. }
                ),
        ),
        (
            "mtbf",
            raw.mtbf.is_some() && !matches!(kind, FaultKind::RandomNodeCrashes { .. }),
        ),
    ];
    if let Some((f, _)) = fields_used.iter().find(|(_, b)| *b) {
        return Err(bad(
            &format!(".{f}"),
            format!("a {} fault takes no {f}", raw.kind),
        ));
    }
    Ok(Fault { kind, duration })
}
