//! The `cluster` section: node pools, timings, latencies, the coredns and
//! toleration settings and the scheduler configuration, into sim-core's
//! [`ClusterConfig`].

use std::collections::BTreeSet;
use std::path::Path;

use sim_core::api::taints;
use sim_core::config::network::{Cidr, PodNetwork};
use sim_core::config::{ClusterConfig, ImageProfile, NodeConfig};
use sim_core::time::SimDuration;

use super::images::image;
use super::units::{parse_duration, quantity, Measure};
use crate::error::ScenarioError;
use crate::limits::{
    MAX_COREDNS_REPLICAS, MAX_DURATION, MAX_NODES, MAX_PODS_PER_NODE,
    MAX_TERMINATED_POD_GC_THRESHOLD, MIN_PERIOD,
};
use crate::raw::{RawCluster, RawNetworking, RawNodePool, RawTimings};

/// The `cluster` section (the default cluster where it is absent).
pub(super) fn cluster(raw: &RawCluster, file: &Path) -> Result<ClusterConfig, ScenarioError> {
    let mut config = ClusterConfig::kubeadm(2);
    if let Some(pools) = &raw.nodes {
        config.nodes = nodes(pools, file)?;
    }
    if let Some(d) = &raw.default_image {
        config.images.default = image(
            d,
            file,
            "cluster.defaultImage",
            &config.images.default.clone(),
        )?;
    }
    let builtin = sim_core::config::ImageCatalog::builtin();
    for (name, raw_img) in &raw.images {
        let base = match &raw_img.from {
            // `from: IMAGE`: what the image holds starts from that one.
            Some(from) => {
                let known = builtin.profiles.contains_key(from.as_str())
                    || builtin
                        .profiles
                        .contains_key(sim_core::config::image_repository(from));
                if !known {
                    return Err(ScenarioError::at(
                        file,
                        None,
                        format!("cluster.images[{name}].from"),
                        format!(
                            "{from:?} is not a built-in image; expected one of: {}",
                            builtin
                                .profiles
                                .keys()
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                let parent = builtin.lookup(from);
                ImageProfile {
                    env: parent.env.clone(),
                    files: parent.files.clone(),
                    workdir: parent.workdir.clone(),
                    ..config.images.lookup(name).clone()
                }
            }
            None => config.images.lookup(name).clone(),
        };
        let profile = image(raw_img, file, &format!("cluster.images[{name}]"), &base)?;
        config.images.profiles.insert(name.clone(), profile);
    }
    timings(&raw.timings, file, &mut config.timings)?;
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
        if !(0..=MAX_COREDNS_REPLICAS).contains(&r) {
            return Err(ScenarioError::at(
                file,
                None,
                "cluster.corednsReplicas",
                format!("must be 0 or more, and at most {MAX_COREDNS_REPLICAS}"),
            ));
        }
        config.coredns_replicas = r;
    }
    if let Some(s) = raw.default_toleration_seconds {
        let max = i64::try_from(MAX_DURATION.as_secs()).unwrap_or(i64::MAX);
        if !(0..=max).contains(&s) {
            return Err(ScenarioError::at(
                file,
                None,
                "cluster.defaultTolerationSeconds",
                format!("must be 0 or more, and at most {max} ({MAX_DURATION})"),
            ));
        }
        config.default_toleration_secs = s;
    }
    if let Some(n) = &raw.networking {
        config.pod_network = Some(networking(n, config.nodes.len(), file)?);
        config.load_balancer_pool = load_balancer_pool(n, config.pod_network, file)?;
        config.first_node_address = first_node_address(n, &config, file)?;
    } else if let Err(e) = config.pod_network().check_nodes(config.nodes.len()) {
        return Err(ScenarioError::at(
            file,
            None,
            "cluster.nodes",
            e.to_string(),
        ));
    }
    if let Some(storage) = &raw.storage {
        config.nfs_servers = nfs_servers(storage, &config, file)?;
        config.disks = disks(storage, file)?;
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

/// `cluster.storage.nfsServers`: each an IPv4 address outside the pod and
/// service networks (a node's address makes that node the server), with
/// 1 to 64 absolute export paths; at most 64 servers, each address once.
fn nfs_servers(
    raw: &crate::raw::RawStorage,
    config: &ClusterConfig,
    file: &Path,
) -> Result<Vec<sim_core::storage::nfs::NfsServerConfig>, ScenarioError> {
    use sim_core::storage::nfs::{NfsServerConfig, MAX_EXPORTS, MAX_SERVERS};
    if raw.nfs_servers.len() > MAX_SERVERS {
        return Err(ScenarioError::at(
            file,
            None,
            "cluster.storage.nfsServers",
            format!("{} servers; at most {MAX_SERVERS}", raw.nfs_servers.len()),
        ));
    }
    let services = "10.96.0.0/12".parse::<Cidr>().expect("a valid block");
    let mut servers: Vec<NfsServerConfig> = Vec::new();
    for (i, s) in raw.nfs_servers.iter().enumerate() {
        let at = |field: &str| format!("cluster.storage.nfsServers[{i}].{field}");
        let address: std::net::Ipv4Addr = s.address.parse().map_err(|_| {
            ScenarioError::at(
                file,
                None,
                at("address"),
                format!(
                    "{:?} is not an IPv4 address; expected one such as 192.168.11.101",
                    s.address
                ),
            )
        })?;
        for (block, what) in [
            (services, "the service network"),
            (config.pod_network().subnet(), "the pod subnet"),
        ] {
            if block.contains(address) {
                return Err(ScenarioError::at(
                    file,
                    None,
                    at("address"),
                    format!("{address} is in {what} ({block}); an NFS server stands on the node network or beside it"),
                ));
            }
        }
        if servers.iter().any(|o| o.address == address) {
            return Err(ScenarioError::at(
                file,
                None,
                at("address"),
                format!("{address} is already an NFS server; give each server once, with all its exports"),
            ));
        }
        if s.exports.is_empty() || s.exports.len() > MAX_EXPORTS {
            return Err(ScenarioError::at(
                file,
                None,
                at("exports"),
                format!(
                    "{} exports; a server exports 1 to {MAX_EXPORTS} directories",
                    s.exports.len()
                ),
            ));
        }
        for (j, e) in s.exports.iter().enumerate() {
            if !e.starts_with('/') || e.len() > 4096 {
                return Err(ScenarioError::at(
                    file,
                    None,
                    format!("cluster.storage.nfsServers[{i}].exports[{j}]"),
                    format!("{e:?} is not an absolute path (such as /nfs/data, at most 4096 characters)"),
                ));
            }
        }
        servers.push(NfsServerConfig {
            address,
            exports: s.exports.clone(),
        });
    }
    Ok(servers)
}

/// `cluster.storage.disks`: at most 150,000, each id once, 1 to 128 letters,
/// digits, `-`, `_` or `.`.
fn disks(
    raw: &crate::raw::RawStorage,
    file: &Path,
) -> Result<Vec<sim_core::storage::disks::DiskConfig>, ScenarioError> {
    use sim_core::storage::disks::{DiskConfig, MAX_DISKS};
    if raw.disks.len() > MAX_DISKS {
        return Err(ScenarioError::at(
            file,
            None,
            "cluster.storage.disks",
            format!("{} disks; at most {MAX_DISKS}", raw.disks.len()),
        ));
    }
    let mut disks: Vec<DiskConfig> = Vec::with_capacity(raw.disks.len());
    let mut seen: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for (i, d) in raw.disks.iter().enumerate() {
        let at = format!("cluster.storage.disks[{i}].id");
        let valid = (1..=128).contains(&d.id.len())
            && d.id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            return Err(ScenarioError::at(
                file,
                None,
                at,
                format!(
                    "{:?} is not a disk id; expected 1 to 128 letters, digits, '-', '_' or '.' (such as data-1)",
                    d.id
                ),
            ));
        }
        if !seen.insert(&d.id) {
            return Err(ScenarioError::at(
                file,
                None,
                at,
                format!("disk {} is declared twice", d.id),
            ));
        }
        disks.push(DiskConfig { id: d.id.clone() });
    }
    Ok(disks)
}

/// `cluster.networking`: the pod subnet (default kubeadm's, for the number
/// of nodes) and the node mask size (24), which must hold a CIDR for every
/// node.
fn networking(raw: &RawNetworking, nodes: usize, file: &Path) -> Result<PodNetwork, ScenarioError> {
    let default = PodNetwork::default_for(nodes);
    let subnet = match &raw.pod_subnet {
        Some(s) => s.parse::<Cidr>().map_err(|e| {
            ScenarioError::at(file, None, "cluster.networking.podSubnet", e.to_string())
        })?,
        None => default.subnet(),
    };
    let mask = raw.node_cidr_mask_size.unwrap_or(default.node_mask());
    let network = PodNetwork::new(subnet, mask).map_err(|e| {
        ScenarioError::at(
            file,
            None,
            "cluster.networking.nodeCidrMaskSize",
            e.to_string(),
        )
    })?;
    network
        .check_nodes(nodes)
        .map_err(|e| ScenarioError::at(file, None, "cluster.networking", e.to_string()))?;
    Ok(network)
}

/// `cluster.networking.loadBalancerPool`: a block of addresses that does not
/// overlap the pod network or the service network (10.96.0.0/12).
fn load_balancer_pool(
    raw: &RawNetworking,
    pods: Option<PodNetwork>,
    file: &Path,
) -> Result<Option<Cidr>, ScenarioError> {
    let Some(text) = &raw.load_balancer_pool else {
        return Ok(None);
    };
    let field = "cluster.networking.loadBalancerPool";
    let pool = text
        .parse::<Cidr>()
        .map_err(|e| ScenarioError::at(file, None, field, e.to_string()))?;
    let services = "10.96.0.0/12".parse::<Cidr>().expect("a valid block");
    let overlaps = |a: Cidr, b: Cidr| a.contains(b.network()) || b.contains(a.network());
    let pod_subnet = pods.map(|p| p.subnet());
    for (other, what) in [
        (Some(services), "the service network"),
        (pod_subnet, "the pod subnet"),
    ] {
        if let Some(other) = other.filter(|o| overlaps(pool, *o)) {
            return Err(ScenarioError::at(
                file,
                None,
                field,
                format!("{pool} overlaps {what} ({other}); expected a block of the node network, such as 192.168.11.240/28"),
            ));
        }
    }
    Ok(Some(pool))
}

/// `cluster.networking.firstNodeAddress`: the node network's first address
/// (the control plane's, as the course's master 192.168.11.101); every
/// node's address must stay in its /24 (last octet 1 to 254) and out of the
/// pod subnet, the service network and the LoadBalancer pool.
fn first_node_address(
    raw: &RawNetworking,
    config: &ClusterConfig,
    file: &Path,
) -> Result<Option<std::net::Ipv4Addr>, ScenarioError> {
    let Some(text) = &raw.first_node_address else {
        return Ok(None);
    };
    let field = "cluster.networking.firstNodeAddress";
    let err = |msg: String| ScenarioError::at(file, None, field, msg);
    let first: std::net::Ipv4Addr = text.parse().map_err(|_| {
        err(format!(
            "{text:?} is not an IPv4 address; expected one such as 192.168.11.101"
        ))
    })?;
    let last_octet = usize::from(first.octets()[3]) + config.nodes.len().saturating_sub(1);
    if first.octets()[3] == 0 || last_octet > 254 {
        return Err(err(format!(
            "{} nodes from {first} leave its /24 (the last node would be .{last_octet}); expected a first address whose last part leaves room for every node, at most .254",
            config.nodes.len()
        )));
    }
    let services = "10.96.0.0/12".parse::<Cidr>().expect("a valid block");
    let taken = [
        Some((services, "the service network")),
        Some((config.pod_network().subnet(), "the pod subnet")),
        config
            .load_balancer_pool
            .map(|p| (p, "the LoadBalancer pool")),
    ];
    let addresses =
        (0..config.nodes.len() as u32).map(|i| std::net::Ipv4Addr::from(u32::from(first) + i));
    let addresses: Vec<std::net::Ipv4Addr> = addresses.collect();
    for (block, what) in taken.into_iter().flatten() {
        if addresses.iter().any(|ip| block.contains(*ip)) {
            return Err(err(format!(
                "node addresses from {first} fall in {what} ({block})"
            )));
        }
    }
    Ok(Some(first))
}

/// The nodes of `cluster.nodes`: at most [`MAX_NODES`] (counted before any
/// is made), unique valid names, exactly one control plane, placed first.
fn nodes(pools: &[RawNodePool], file: &Path) -> Result<Vec<NodeConfig>, ScenarioError> {
    let mut total: u64 = 0;
    for (i, pool) in pools.iter().enumerate() {
        let (count, field) = match (&pool.names, pool.count) {
            (Some(names), None) => (names.len() as u64, "names"),
            (_, Some(count)) => (u64::from(count), "count"),
            (None, None) => (1, "name"),
        };
        total = total.saturating_add(count);
        if total > MAX_NODES {
            return Err(ScenarioError::at(
                file,
                None,
                format!("cluster.nodes[{i}].{field}"),
                format!("{count} nodes make the cluster too large; a cluster has at most {MAX_NODES} nodes"),
            ));
        }
    }
    let mut nodes = Vec::new();
    for (i, pool) in pools.iter().enumerate() {
        nodes.extend(node_pool(pool, file, i)?);
    }
    let mut names = BTreeSet::new();
    for n in &nodes {
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
    let control_planes = nodes.iter().filter(|n| n.control_plane).count();
    if control_planes != 1 {
        return Err(ScenarioError::at(file, None, "cluster.nodes", format!("a kubeadm cluster has exactly one control-plane node (controlPlane: true); found {control_planes}")));
    }
    // The control plane first, as kubeadm init comes before kubeadm join.
    nodes.sort_by_key(|n| !n.control_plane);
    Ok(nodes)
}

/// `cluster.timings` over the defaults; periods of periodic work are zero
/// only where zero disables it, and otherwise at least [`MIN_PERIOD`].
fn timings(
    t: &RawTimings,
    file: &Path,
    timings: &mut sim_core::config::Timings,
) -> Result<(), ScenarioError> {
    let overrides: [(&Option<String>, &str, &mut SimDuration); 17] = [
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
        (&t.event_ttl, "eventTTL", &mut timings.event_ttl),
        (
            &t.kube_proxy_min_sync_period,
            "kubeProxyMinSyncPeriod",
            &mut timings.kube_proxy_min_sync_period,
        ),
        (
            &t.pv_claim_binder_sync_period,
            "pvClaimBinderSyncPeriod",
            &mut timings.pv_claim_binder_sync_period,
        ),
    ];
    for (raw_value, field, target) in overrides {
        if let Some(s) = raw_value.as_deref() {
            *target = parse_duration(s, file, None, &format!("cluster.timings.{field}"))?;
        }
    }
    if let Some(n) = t.terminated_pod_gc_threshold {
        if n > MAX_TERMINATED_POD_GC_THRESHOLD {
            return Err(ScenarioError::at(
                file,
                None,
                "cluster.timings.terminatedPodGcThreshold",
                format!("{n} is too large; at most {MAX_TERMINATED_POD_GC_THRESHOLD} (0 turns the rule off)"),
            ));
        }
        timings.terminated_pod_gc_threshold = n;
    }
    check_periods(timings, file)
}

/// Refuses a period of periodic work that is zero where zero would loop for
/// ever, or shorter than [`MIN_PERIOD`].
fn check_periods(timings: &sim_core::config::Timings, file: &Path) -> Result<(), ScenarioError> {
    // (period, field, zero disables it)
    for (v, field, may_be_zero) in [
        (timings.lease_renew_interval, "leaseRenewInterval", false),
        (
            timings.node_status_update_frequency,
            "nodeStatusUpdateFrequency",
            false,
        ),
        (
            timings.etcd_compaction_interval,
            "etcdCompactionInterval",
            false,
        ),
        (timings.node_monitor_period, "nodeMonitorPeriod", true),
        (timings.pod_gc_period, "podGcPeriod", true),
        (
            timings.pv_claim_binder_sync_period,
            "pvClaimBinderSyncPeriod",
            false,
        ),
    ] {
        let message = if v == SimDuration::ZERO && !may_be_zero {
            "must be greater than zero (a zero period would loop forever)".to_owned()
        } else if v != SimDuration::ZERO && v < MIN_PERIOD {
            format!(
                "{v} is too short; a period is at least {MIN_PERIOD}{}",
                if may_be_zero {
                    " (or 0, which disables it)"
                } else {
                    ""
                }
            )
        } else {
            continue;
        };
        return Err(ScenarioError::at(
            file,
            None,
            format!("cluster.timings.{field}"),
            message,
        ));
    }
    Ok(())
}

/// The nodes of one pool, each a copy of the pool's template.
fn node_pool(
    pool: &RawNodePool,
    file: &Path,
    index: usize,
) -> Result<Vec<NodeConfig>, ScenarioError> {
    let path = format!("cluster.nodes[{index}]");
    let control_plane = pool.control_plane.unwrap_or(false);
    let names = pool_names(pool, control_plane, file, &path)?;
    let template = node_template(pool, control_plane, file, &path)?;
    Ok(names
        .into_iter()
        .map(|name| NodeConfig {
            name,
            ..template.clone()
        })
        .collect())
}

/// A pool's node names: `names`, `<name>-1`... for a count, or `name`.
fn pool_names(
    pool: &RawNodePool,
    control_plane: bool,
    file: &Path,
    path: &str,
) -> Result<Vec<String>, ScenarioError> {
    Ok(match (&pool.names, pool.count, &pool.name) {
        (Some(names), None, _) => names.clone(),
        (None, Some(count), Some(prefix)) => (1..=count).map(|i| format!("{prefix}-{i}")).collect(),
        (None, Some(count), None) => {
            let prefix = if control_plane {
                "control-plane"
            } else {
                "worker"
            };
            (1..=count).map(|i| format!("{prefix}-{i}")).collect()
        }
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
    })
}

/// What every node of a pool has: capacity, bandwidth, labels, taints, join time.
fn node_template(
    pool: &RawNodePool,
    control_plane: bool,
    file: &Path,
    path: &str,
) -> Result<NodeConfig, ScenarioError> {
    let err =
        |field: &str, msg: String| ScenarioError::at(file, None, format!("{path}{field}"), msg);
    let mut template = NodeConfig::new("x", control_plane);
    let capacity = &mut template.capacity;
    capacity.cpu_millis = quantity(
        pool.cpu.as_deref(),
        Measure::Cpu,
        file,
        &format!("{path}.cpu"),
        capacity.cpu_millis,
    )?;
    capacity.memory_bytes = quantity(
        pool.memory.as_deref(),
        Measure::Bytes,
        file,
        &format!("{path}.memory"),
        capacity.memory_bytes,
    )?;
    capacity.ephemeral_storage_bytes = quantity(
        pool.ephemeral_storage.as_deref(),
        Measure::Bytes,
        file,
        &format!("{path}.ephemeralStorage"),
        capacity.ephemeral_storage_bytes,
    )?;
    if let Some(p) = pool.pods {
        if p <= 0 {
            return Err(err(".pods", "must be at least 1".into()));
        }
        if p > MAX_PODS_PER_NODE {
            return Err(err(
                ".pods",
                format!("{p} is too large; a node takes at most {MAX_PODS_PER_NODE} pods"),
            ));
        }
        capacity.pods = p;
    }
    let bw = quantity(
        pool.pull_bandwidth.as_deref(),
        Measure::Bytes,
        file,
        &format!("{path}.pullBandwidth"),
        i64::try_from(template.pull_bandwidth_bytes_per_sec).unwrap_or(1),
    )?;
    if bw == 0 {
        return Err(err(".pullBandwidth", "must be greater than zero".into()));
    }
    template.pull_bandwidth_bytes_per_sec = u64::try_from(bw).unwrap_or(1);
    for (k, v) in &pool.labels {
        if let Some(e) = sim_core::api::validation::is_qualified_name(k).first() {
            return Err(err(".labels", format!("invalid label key {k:?}: {e}")));
        }
        if let Some(e) = sim_core::api::validation::is_valid_label_value(v).first() {
            return Err(err(
                &format!(".labels[{k}]"),
                format!("invalid label value {v:?}: {e}"),
            ));
        }
    }
    template.labels = pool.labels.clone();
    if let Some(d) = &pool.join_at {
        if control_plane {
            return Err(err(
                ".joinAt",
                "the control-plane node is there from the start (kubeadm init); joinAt is for workers".into(),
            ));
        }
        template.join_at = Some(parse_duration(d, file, None, &format!("{path}.joinAt"))?);
    }
    for (i, t) in pool.taints.iter().enumerate() {
        template.taints.push(
            taints::parse_taint_to_add(t).map_err(|e| {
                ScenarioError::at(
                    file,
                    None,
                    format!("{path}.taints[{i}]"),
                    format!("{e}; expected key[=value]:Effect, Effect one of NoSchedule, PreferNoSchedule, NoExecute"),
                )
            })?,
        );
    }
    Ok(template)
}
