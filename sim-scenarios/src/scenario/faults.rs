//! `fault` steps (and the shell's `fault` command): the fault kind and the
//! fields that kind takes (docs/faults.md); a field of another kind is
//! refused rather than ignored.

use sim_core::faults::{Fault, FaultKind, KINDS};
use sim_core::time::{DurationError, SimDuration};

use crate::limits::{MAX_DURATION, MAX_EXIT_CODE, MIN_MTBF};
use crate::raw::RawFault;
use crate::suggest::closest;

/// A fault that cannot be injected as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FaultError {
    /// The kind is not one kubesim injects.
    #[error("unknown fault kind {kind:?}; {hint}expected one of {}", KINDS.join(", "))]
    UnknownKind {
        /// The kind written.
        kind: String,
        /// `did you mean ...? ` or nothing.
        hint: String,
    },
    /// A field the kind needs is missing.
    #[error("a {kind} fault needs {field}")]
    Missing {
        /// The fault kind.
        kind: String,
        /// The missing field.
        field: &'static str,
    },
    /// A field of another kind.
    #[error("a {kind} fault takes no {field}; it takes {}", takes(kind))]
    NotTaken {
        /// The fault kind.
        kind: String,
        /// The field written.
        field: &'static str,
    },
    /// `duration` on a fault that happens at an instant.
    #[error("a {0} fault happens at an instant and takes no duration")]
    Instantaneous(String),
    /// The node is not in the cluster.
    #[error("no node named {name:?}; the cluster's nodes are {nodes}")]
    UnknownNode {
        /// The node written.
        name: String,
        /// The cluster's nodes, comma-separated.
        nodes: String,
    },
    /// A duration that does not parse.
    #[error("{source}{hint}")]
    Duration {
        /// The field.
        field: &'static str,
        /// Why it does not parse.
        source: DurationError,
        /// `; did you mean 10s?` for a bare number.
        hint: String,
    },
    /// A duration past [`MAX_DURATION`].
    #[error("{value} is too long; the longest duration accepted is {MAX_DURATION}")]
    TooLong {
        /// The field.
        field: &'static str,
        /// The duration given.
        value: SimDuration,
    },
    /// An mtbf below [`MIN_MTBF`].
    #[error("mtbf {0} is too short; the shortest mtbf accepted is {MIN_MTBF}")]
    MtbfTooShort(SimDuration),
    /// An exit code outside 0..=255.
    #[error("exit code {0} is out of range; expected 0 to {MAX_EXIT_CODE}")]
    ExitCode(i32),
    /// A server that is not an IPv4 address.
    #[error("{0:?} is not an IPv4 address; expected an NFS server's, such as 192.168.11.101")]
    Server(String),
}

impl FaultError {
    /// The field at fault, as a YAML path suffix (`.node`; `` for the fault
    /// itself).
    pub(crate) fn field(&self) -> String {
        match self {
            FaultError::UnknownKind { .. } => ".kind".into(),
            FaultError::Missing { .. } => String::new(),
            FaultError::NotTaken { field, .. }
            | FaultError::Duration { field, .. }
            | FaultError::TooLong { field, .. } => format!(".{field}"),
            FaultError::Instantaneous(_) => ".duration".into(),
            FaultError::UnknownNode { .. } => ".node".into(),
            FaultError::MtbfTooShort(_) => ".mtbf".into(),
            FaultError::ExitCode(_) => ".exitCode".into(),
            FaultError::Server(_) => ".server".into(),
        }
    }
}

/// The fields each kind takes (besides `kind`), as docs/faults.md lists them.
fn fields_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "node-crash" | "kubelet-stop" | "partition" => &["node", "duration"],
        "node-power-on" | "kubelet-start" => &["node"],
        "container-crash" => &["pod", "container", "namespace", "exitCode"],
        "apiserver-slow" | "etcd-slow" => &["latency", "duration"],
        "random-node-crashes" => &["mtbf", "recoverAfter", "duration"],
        "nfs-outage" => &["server", "duration"],
        _ => &["duration"],
    }
}

/// `node and duration`: the fields of a kind, for messages.
fn takes(kind: &str) -> String {
    match fields_of(kind) {
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
        [] => "no fields".to_owned(),
    }
}

/// The fields written in a fault, by name, in the order of the format.
fn written(raw: &RawFault) -> [(&'static str, bool); 10] {
    [
        ("node", raw.node.is_some()),
        ("pod", raw.pod.is_some()),
        ("namespace", raw.namespace.is_some()),
        ("container", raw.container.is_some()),
        ("exitCode", raw.exit_code.is_some()),
        ("duration", raw.duration.is_some()),
        ("latency", raw.latency.is_some()),
        ("mtbf", raw.mtbf.is_some()),
        ("recoverAfter", raw.recover_after.is_some()),
        ("server", raw.server.is_some()),
    ]
}

/// A duration field of a fault, checked against [`MAX_DURATION`].
fn duration(field: &'static str, v: Option<&str>) -> Result<Option<SimDuration>, FaultError> {
    let Some(s) = v else { return Ok(None) };
    let d = s
        .parse::<SimDuration>()
        .map_err(|source| FaultError::Duration {
            field,
            source,
            hint: if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.') {
                format!("; did you mean {s}s?")
            } else {
                String::new()
            },
        })?;
    if d > MAX_DURATION {
        return Err(FaultError::TooLong { field, value: d });
    }
    Ok(Some(d))
}

/// A fault step's fault: the kind, the fields it takes (and no other), the
/// node among the cluster's `nodes`.
pub(crate) fn fault(raw: &RawFault, nodes: &[&str]) -> Result<Fault, FaultError> {
    let kind_name = raw.kind.as_str();
    if !KINDS.contains(&kind_name) {
        let hint = closest(kind_name, KINDS.iter().copied(), 3)
            .map(|s| format!("did you mean {s}? "))
            .unwrap_or_default();
        return Err(FaultError::UnknownKind {
            kind: raw.kind.clone(),
            hint,
        });
    }
    let allowed = fields_of(kind_name);
    for (field, present) in written(raw) {
        if present && !allowed.contains(&field) {
            if field == "duration" {
                return Err(FaultError::Instantaneous(raw.kind.clone()));
            }
            return Err(FaultError::NotTaken {
                kind: raw.kind.clone(),
                field,
            });
        }
    }
    let duration_ = duration("duration", raw.duration.as_deref())?;
    let kind = kind(raw, nodes)?;
    if matches!(kind, FaultKind::RandomNodeCrashes { .. }) && duration_.is_none() {
        return Err(FaultError::Missing {
            kind: raw.kind.clone(),
            field: "duration",
        });
    }
    Ok(Fault {
        kind,
        duration: duration_,
    })
}

/// The kind with its own fields, checked.
fn kind(raw: &RawFault, nodes: &[&str]) -> Result<FaultKind, FaultError> {
    let missing = |field: &'static str| FaultError::Missing {
        kind: raw.kind.clone(),
        field,
    };
    let node = || -> Result<String, FaultError> {
        let n = raw.node.clone().ok_or_else(|| missing("node"))?;
        if !nodes.contains(&n.as_str()) {
            return Err(FaultError::UnknownNode {
                name: n,
                nodes: nodes.join(", "),
            });
        }
        Ok(n)
    };
    let need = |field: &'static str, v: Option<&str>| -> Result<SimDuration, FaultError> {
        duration(field, v)?.ok_or_else(|| missing(field))
    };
    Ok(match raw.kind.as_str() {
        "node-crash" => FaultKind::NodeCrash { node: node()? },
        "node-power-on" => FaultKind::NodePowerOn { node: node()? },
        "kubelet-stop" => FaultKind::KubeletStop { node: node()? },
        "kubelet-start" => FaultKind::KubeletStart { node: node()? },
        "partition" => FaultKind::Partition { node: node()? },
        "container-crash" => {
            let exit_code = raw.exit_code.unwrap_or(1);
            if !(0..=MAX_EXIT_CODE).contains(&exit_code) {
                return Err(FaultError::ExitCode(exit_code));
            }
            FaultKind::ContainerCrash {
                namespace: raw.namespace.clone().unwrap_or_else(|| "default".into()),
                pod: raw.pod.clone().ok_or_else(|| missing("pod"))?,
                container: raw.container.clone().ok_or_else(|| missing("container"))?,
                exit_code,
            }
        }
        "registry-outage" => FaultKind::RegistryOutage,
        "apiserver-slow" => FaultKind::ApiserverSlow {
            latency: need("latency", raw.latency.as_deref())?,
        },
        "apiserver-stop" => FaultKind::ApiserverStop,
        "scheduler-stop" => FaultKind::SchedulerStop,
        "controller-manager-stop" => FaultKind::ControllerManagerStop,
        "etcd-slow" => FaultKind::EtcdSlow {
            latency: need("latency", raw.latency.as_deref())?,
        },
        "nfs-outage" => {
            let server = raw.server.clone().ok_or_else(|| missing("server"))?;
            if server.parse::<std::net::Ipv4Addr>().is_err() {
                return Err(FaultError::Server(server));
            }
            FaultKind::NfsOutage { server }
        }
        _ => {
            let mtbf = need("mtbf", raw.mtbf.as_deref())?;
            let recover_after = need("recoverAfter", raw.recover_after.as_deref())?;
            if mtbf < MIN_MTBF {
                return Err(FaultError::MtbfTooShort(mtbf));
            }
            FaultKind::RandomNodeCrashes {
                mtbf,
                recover_after,
            }
        }
    })
}
