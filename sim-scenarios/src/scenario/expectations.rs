//! `expect` steps: one subject (`object`, `pods` or `podCount`) and the
//! conditions that apply to it and to the object's kind.

use std::path::Path;

use sim_core::api::labels::Selector;
use sim_core::api::Kind;
use sim_core::time::SimDuration;

use super::units::parse_duration;
use crate::error::ScenarioError;
use crate::expect::{Condition, Expectation, Target};
use crate::raw::RawExpect;

/// An `expect` step's expectation.
pub(super) fn expectation(
    raw: &RawExpect,
    file: &Path,
    path: &str,
) -> Result<Expectation, ScenarioError> {
    let err =
        |field: &str, msg: String| ScenarioError::at(file, None, format!("{path}{field}"), msg);
    let within = raw
        .within
        .as_deref()
        .map(|s| parse_duration(s, file, None, &format!("{path}.within")))
        .transpose()?
        .unwrap_or(SimDuration::ZERO);
    check_fields(raw, &err)?;
    let namespace = raw.namespace.clone().unwrap_or_else(|| "default".into());
    let all_namespaces = raw.all_namespaces.unwrap_or(false);
    let (target, conditions) = if let Some(obj) = &raw.object {
        object(raw, obj, namespace, &err)?
    } else if let Some(sel) = &raw.pods {
        pods(raw, sel, (!all_namespaces).then_some(namespace), &err)?
    } else {
        pod_count(raw, (!all_namespaces).then_some(namespace), &err)?
    };
    Ok(Expectation {
        target,
        conditions,
        within,
    })
}

/// An error at a field of the expectation (`.phase`; `` for the expectation).
type FieldError<'a> = dyn Fn(&str, String) -> ScenarioError + 'a;

/// Exactly one subject, and only fields that mean something for it.
fn check_fields(raw: &RawExpect, err: &FieldError<'_>) -> Result<(), ScenarioError> {
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
    Ok(())
}

/// Singular kind names, comma-separated.
fn kind_names(kinds: &[Kind]) -> String {
    kinds
        .iter()
        .map(|k| k.singular())
        .collect::<Vec<_>>()
        .join(", ")
}

/// An `object: TYPE/NAME` expectation and its conditions (no condition:
/// `exists: true`).
fn object(
    raw: &RawExpect,
    obj: &str,
    namespace: String,
    err: &FieldError<'_>,
) -> Result<(Target, Vec<Condition>), ScenarioError> {
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
                kind_names(Kind::ALL)
            ),
        )
    })?;
    let target = Target::Object {
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
            return Ok(());
        }
        Err(err(
            &format!(".{field}"),
            format!(
                "{field} is not supported for {} (supported for: {})",
                kind.singular(),
                kind_names(kinds)
            ),
        ))
    };
    let mut conditions = Vec::new();
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
    Ok((target, conditions))
}

/// A `pods: SELECTOR` expectation: phase, ready or count.
fn pods(
    raw: &RawExpect,
    sel: &str,
    namespace: Option<String>,
    err: &FieldError<'_>,
) -> Result<(Target, Vec<Condition>), ScenarioError> {
    let selector =
        Selector::parse(sel).map_err(|e| err(".pods", format!("invalid label selector: {e}")))?;
    let target = Target::Pods {
        namespace,
        selector,
    };
    let mut conditions = Vec::new();
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
            return Err(err(
                &format!(".{field}"),
                format!(
                    "{field} is not supported for a set of pods (supported: phase, ready, count)"
                ),
            ));
        }
    }
    if conditions.is_empty() {
        return Err(err(
            "",
            "a pods expectation needs phase, ready or count".into(),
        ));
    }
    Ok((target, conditions))
}

/// A `podCount: {PHASE: N}` expectation over every pod of the namespace.
fn pod_count(
    raw: &RawExpect,
    namespace: Option<String>,
    err: &FieldError<'_>,
) -> Result<(Target, Vec<Condition>), ScenarioError> {
    let counts = raw.pod_count.clone().unwrap_or_default();
    for phase in counts.keys() {
        if !matches!(
            phase.as_str(),
            "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown"
        ) {
            return Err(err(".podCount", format!("unknown pod phase {phase:?} (expected Pending, Running, Succeeded, Failed or Unknown)")));
        }
    }
    let target = Target::Pods {
        namespace,
        selector: Selector::everything(),
    };
    Ok((target, vec![Condition::PhaseCounts(counts)]))
}
