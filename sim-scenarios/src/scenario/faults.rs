//! `fault` steps (and the shell's `fault` command): the fault kind and the
//! fields that kind takes (docs/faults.md).

use sim_core::time::SimDuration;

use crate::raw::RawFault;

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
