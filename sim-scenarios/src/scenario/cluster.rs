//! The `cluster` section: node pools, timings, latencies, the coredns and
//! toleration settings and the scheduler configuration, into sim-core's
//! [`ClusterConfig`].

use std::collections::BTreeSet;
use std::path::Path;

use k8s_openapi::api::core::v1::Taint;
use sim_core::api::quantity::{parse_bytes, parse_cpu_millis};
use sim_core::config::{ClusterConfig, NodeConfig};
use sim_core::time::SimDuration;

use super::images::image;
use super::units::{parse_duration, quantity};
use crate::error::ScenarioError;
use crate::raw::{RawCluster, RawNodePool};

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

pub(super) fn cluster(raw: &RawCluster, file: &Path) -> Result<ClusterConfig, ScenarioError> {
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
