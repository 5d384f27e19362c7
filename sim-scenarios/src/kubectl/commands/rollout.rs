//! `kubectl rollout status|history|undo|pause|resume|restart` for
//! Deployments, worded as k8s.io/kubectl v1.32 words them
//! (pkg/cmd/rollout/*.go, pkg/polymorphichelpers/{rollout_status,history,
//! rollback,objectpauser,objectresumer,objectrestarter}.go).
//!
//! `rollout status` watches: [`execute`] prints the first status line and,
//! when the rollout is not done, hands the runner a [`RolloutWatch`] that it
//! polls as virtual time advances, printing the status line for each change
//! of the deployment (kubectl's watch events), each distinct line once.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec};
use sim_core::api::fields::FieldSelector;
use sim_core::api::labels::Selector;
use sim_core::api::meta::time;
use sim_core::api::{ApiError, Kind, Object, ObjectKey};
use sim_core::apiserver::Request;
use sim_core::cluster::Cluster;
use sim_core::etcd::Etcd;
use sim_core::time::SimDuration;

use crate::kubectl::client::{get_object, kind_ref, list, now_ts, CLIENT};
use crate::kubectl::grammar::{Command, RolloutWhat};
use crate::kubectl::outcome::Outcome;
use crate::kubectl::prepared::Prepared;
use crate::kubectl::resources::{resolve, ResourceError};
use crate::limits::MAX_DURATION;

pub(crate) use sim_core::api::annotations::CHANGE_CAUSE;
use sim_core::api::annotations::{self, RESTARTED_AT, REVISION};
use sim_core::components::controllers::deployment::POD_TEMPLATE_HASH;
/// The annotations `rollout undo` keeps from the deployment (rollback.go annotationsToSkip).
const ANNOTATIONS_TO_SKIP: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];
/// How long a `rollout status` without `--timeout` watches before the runner gives up.
pub(crate) const ROLLOUT_STATUS_LIMIT: SimDuration = SimDuration::from_mins(30);

/// Why the arguments do not name exactly one object, in kubectl's words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TargetError {
    /// The arguments do not resolve.
    #[error(transparent)]
    Resource(#[from] ResourceError),
    /// A type with neither names nor a selector (the resource builder's error).
    #[error("error: resource(s) were provided, but no name was specified")]
    NoName,
    /// Nothing at all.
    #[error("error: required resource not specified")]
    NotSpecified,
    /// More than one object.
    #[error("error: only one resource is supported here")]
    SeveralResources,
}

/// One `TYPE NAME` or `TYPE/NAME` target.
pub(crate) fn one_target(resources: &[String]) -> Result<(Kind, String), TargetError> {
    let targets = resolve(resources)?;
    match targets.as_slice() {
        [t] => match &t.name {
            Some(n) => Ok((t.kind, n.clone())),
            None => Err(TargetError::NoName),
        },
        [] => Err(TargetError::NotSpecified),
        _ => Err(TargetError::SeveralResources),
    }
}

/// The pod template of a workload.
fn template_mut(obj: &mut Object) -> Option<&mut PodTemplateSpec> {
    match obj {
        Object::Deployment(d) => d.spec.as_mut().map(|s| &mut s.template),
        Object::DaemonSet(d) => d.spec.as_mut().map(|s| &mut s.template),
        Object::StatefulSet(d) => d.spec.as_mut().map(|s| &mut s.template),
        Object::ReplicaSet(d) => d.spec.as_mut().and_then(|s| s.template.as_mut()),
        _ => None,
    }
}

/// The pod spec of a pod or of a workload's template.
pub(crate) fn pod_spec_mut(obj: &mut Object) -> Option<&mut PodSpec> {
    if let Object::Pod(p) = obj {
        return p.spec.as_mut();
    }
    template_mut(obj).and_then(|t| t.spec.as_mut())
}

fn deployment_of(obj: &Object) -> Option<&Deployment> {
    match obj {
        Object::Deployment(d) => Some(d),
        _ => None,
    }
}

fn revision_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> Option<i64> {
    annotations::parse(meta, REVISION)
}

/// The template without the pod-template-hash label (rollback.go equalIgnoreHash).
fn without_hash(t: &PodTemplateSpec) -> PodTemplateSpec {
    let mut t = t.clone();
    if let Some(m) = t.metadata.as_mut() {
        if let Some(l) = m.labels.as_mut() {
            l.remove(POD_TEMPLATE_HASH);
            if l.is_empty() {
                m.labels = None;
            }
        }
        if m.annotations.as_ref().is_some_and(BTreeMap::is_empty) {
            m.annotations = None;
        }
    }
    t
}

/// The ReplicaSets a deployment controls, in name order.
fn replica_sets(cluster: &mut Cluster, d: &Object) -> Result<Vec<ReplicaSet>, ApiError> {
    Ok(list(
        cluster,
        Kind::ReplicaSet,
        Some(d.namespace().to_owned()),
        Selector::default(),
        FieldSelector::everything(),
    )?
    .iter()
    .filter(|rs| {
        rs.meta()
            .owner_references
            .iter()
            .flatten()
            .any(|r| r.controller == Some(true) && r.uid == d.uid())
    })
    .filter_map(|o| match &**o {
        Object::ReplicaSet(rs) => Some((**rs).clone()),
        _ => None,
    })
    .collect())
}

/// Why `rollout status` stops watching with an error, in kubectl's words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RolloutStatusError {
    /// `--revision` given, but the deployment has no revision annotation.
    #[error("cannot get the revision of deployment \"{name}\": revision annotation missing")]
    NoRevision {
        /// The deployment.
        name: String,
    },
    /// `--revision` is not the running revision.
    #[error("desired revision ({desired}) is different from the running revision ({current})")]
    RevisionMismatch {
        /// `--revision`.
        desired: i64,
        /// The deployment's revision.
        current: i64,
    },
    /// The Progressing condition says ProgressDeadlineExceeded.
    #[error("deployment \"{name}\" exceeded its progress deadline")]
    DeadlineExceeded {
        /// The deployment.
        name: String,
    },
}

/// `DeploymentStatusViewer.Status`: the line kubectl prints and whether the
/// rollout is done, or the error that ends the watch.
pub(crate) fn deployment_status(
    d: &Deployment,
    revision: i64,
) -> Result<(String, bool), RolloutStatusError> {
    let name = d.metadata.name.clone().unwrap_or_default();
    if revision > 0 {
        let Some(current) = revision_of(&d.metadata) else {
            return Err(RolloutStatusError::NoRevision { name });
        };
        if revision != current {
            return Err(RolloutStatusError::RevisionMismatch {
                desired: revision,
                current,
            });
        }
    }
    let status = d.status.clone().unwrap_or_default();
    if d.metadata.generation.unwrap_or(0) <= status.observed_generation.unwrap_or(0) {
        let timed_out = status.conditions.iter().flatten().any(|c| {
            c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
        });
        if timed_out {
            return Err(RolloutStatusError::DeadlineExceeded { name });
        }
        let spec_replicas = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let updated = status.updated_replicas.unwrap_or(0);
        let replicas = status.replicas.unwrap_or(0);
        let available = status.available_replicas.unwrap_or(0);
        let waiting = format!("Waiting for deployment \"{name}\" rollout to finish: ");
        if updated < spec_replicas {
            return Ok((
                format!(
                    "{waiting}{updated} out of {spec_replicas} new replicas have been updated...\n"
                ),
                false,
            ));
        }
        if replicas > updated {
            return Ok((
                format!(
                    "{waiting}{} old replicas are pending termination...\n",
                    replicas - updated
                ),
                false,
            ));
        }
        if available < updated {
            return Ok((
                format!("{waiting}{available} of {updated} updated replicas are available...\n"),
                false,
            ));
        }
        return Ok((
            format!("deployment \"{name}\" successfully rolled out\n"),
            true,
        ));
    }
    Ok((
        "Waiting for deployment spec update to be observed...\n".into(),
        false,
    ))
}

/// A `rollout status` still watching.
#[derive(Clone, Debug)]
pub(crate) struct RolloutWatch {
    key: ObjectKey,
    revision: i64,
    watch: bool,
    /// `--timeout` (None: kubectl waits forever; the runner stops at [`ROLLOUT_STATUS_LIMIT`]).
    pub timeout: Option<SimDuration>,
    last_rv: Option<u64>,
    last_line: String,
}

impl RolloutWatch {
    /// Looks at the deployment; on a change appends what kubectl prints to
    /// `out`. True when kubectl stops watching.
    pub(crate) fn poll(&mut self, etcd: &Etcd, out: &mut String) -> bool {
        let Some(obj) = etcd.get(self.key.kind, &self.key.namespace, &self.key.name) else {
            out.push_str("error: object has been deleted\n");
            return true;
        };
        if obj.resource_version() == self.last_rv {
            return false;
        }
        self.last_rv = obj.resource_version();
        let Some(d) = deployment_of(obj) else {
            return true;
        };
        match deployment_status(d, self.revision) {
            Err(e) => {
                out.push_str(&format!("error: {e}\n"));
                true
            }
            Ok((line, done)) => {
                // Each distinct line once: a status write that changes no
                // counter kubectl shows prints nothing new.
                if line != self.last_line {
                    out.push_str(&line);
                    self.last_line = line;
                }
                done || !self.watch
            }
        }
    }
}

/// Runs the command.
pub(crate) fn execute(
    cluster: &mut Cluster,
    out: &mut Outcome,
    cmd: &Prepared,
    ns: &str,
) -> Option<RolloutWatch> {
    let Command::Rollout(args) = &cmd.cli.command else {
        return None;
    };
    let resources = match &args.what {
        RolloutWhat::Status { resources, .. }
        | RolloutWhat::History { resources, .. }
        | RolloutWhat::Undo { resources, .. }
        | RolloutWhat::Pause { resources }
        | RolloutWhat::Resume { resources }
        | RolloutWhat::Restart { resources } => resources,
    };
    let (kind, name) = match one_target(resources) {
        Ok(t) => t,
        Err(e) => {
            out.fail(e);
            return None;
        }
    };
    let key = ObjectKey::new(kind, ns, name);
    let obj = match get_object(cluster, &key) {
        Ok(o) => o,
        Err(e) => {
            out.error(&e);
            return None;
        }
    };
    if kind != Kind::Deployment {
        out.fail(format!(
            "error: kubesim implements `kubectl rollout` for deployments only, not {}",
            kind.qualified_plural()
        ));
        return None;
    }
    match &args.what {
        RolloutWhat::Status {
            revision,
            watch,
            timeout,
            ..
        } => {
            let timeout = match timeout.as_deref().map(str::parse::<SimDuration>) {
                None => None,
                Some(Ok(t)) if t == SimDuration::ZERO => None,
                Some(Ok(t)) if t > MAX_DURATION => {
                    out.fail(format!(
                        "error: invalid argument for \"--timeout\" flag: {t} is too long; kubesim waits at most {MAX_DURATION}"
                    ));
                    return None;
                }
                Some(Ok(t)) => Some(t),
                Some(Err(e)) => {
                    out.fail(format!(
                        "error: invalid argument for \"--timeout\" flag: {e}"
                    ));
                    return None;
                }
            };
            let mut w = RolloutWatch {
                key,
                revision: *revision,
                watch: *watch,
                timeout,
                last_rv: None,
                last_line: String::new(),
            };
            let mut text = String::new();
            let done = w.poll(cluster.etcd(), &mut text);
            out.output.push_str(&text);
            if text.starts_with("error:") {
                out.exit_code = 1;
            }
            return (!done).then_some(w);
        }
        RolloutWhat::History { revision, .. } => history(cluster, out, &obj, *revision),
        RolloutWhat::Undo { to_revision, .. } => undo(cluster, out, &obj, *to_revision),
        RolloutWhat::Pause { .. } => set_paused(cluster, out, &obj, true),
        RolloutWhat::Resume { .. } => set_paused(cluster, out, &obj, false),
        RolloutWhat::Restart { .. } => restart(cluster, out, &obj),
    }
    None
}

fn fail(out: &mut Outcome, msg: impl std::fmt::Display) {
    out.fail(msg);
}

/// The "Pod Template:" section kubectl's DescribePodTemplate prints.
fn describe_template(cluster: &Cluster, template: &PodTemplateSpec) -> String {
    let d = Deployment {
        spec: Some(k8s_openapi::api::apps::v1::DeploymentSpec {
            template: template.clone(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let text = sim_report::describe::describe_deployment(&d, &[], None, &[], now_ts(cluster));
    let mut section = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line == "Pod Template:" {
            inside = true;
        } else if inside && !line.starts_with(' ') {
            break;
        }
        if inside {
            section.push_str(line);
            section.push('\n');
        }
    }
    section
}

/// `rollout history` (history.go DeploymentHistoryViewer.ViewHistory).
fn history(cluster: &mut Cluster, out: &mut Outcome, obj: &Object, revision: i64) {
    if revision < 0 {
        return fail(
            out,
            format!("error: revision must be a positive integer: {revision}"),
        );
    }
    let mut info: BTreeMap<i64, (PodTemplateSpec, Option<String>)> = BTreeMap::new();
    let rss = match replica_sets(cluster, obj) {
        Ok(rss) => rss,
        Err(e) => return out.error(&e),
    };
    for rs in rss {
        let Some(v) = revision_of(&rs.metadata) else {
            continue;
        };
        let cause = rs
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(CHANGE_CAUSE))
            .filter(|c| !c.is_empty())
            .cloned();
        let template = rs.spec.and_then(|s| s.template).unwrap_or_default();
        info.insert(v, (template, cause));
    }
    let body = if info.is_empty() {
        "No rollout history found.".to_owned()
    } else if revision > 0 {
        let Some((template, cause)) = info.get(&revision) else {
            return fail(out, "error: unable to find the specified revision");
        };
        let mut t = template.clone();
        if let Some(c) = cause {
            t.metadata
                .get_or_insert_with(Default::default)
                .annotations
                .get_or_insert_with(BTreeMap::new)
                .insert(CHANGE_CAUSE.into(), c.clone());
        }
        describe_template(cluster, &t)
    } else {
        let width = info
            .keys()
            .map(|r| r.to_string().len())
            .max()
            .unwrap_or(0)
            .max("REVISION".len())
            + 2;
        let mut s = format!("{:<width$}CHANGE-CAUSE\n", "REVISION");
        for (r, (_, cause)) in &info {
            s.push_str(&format!(
                "{:<width$}{}\n",
                r.to_string(),
                cause.as_deref().unwrap_or("<none>")
            ));
        }
        s
    };
    let with_revision = if revision > 0 {
        format!("with revision #{revision}")
    } else {
        String::new()
    };
    out.output
        .push_str(&format!("{} {with_revision}\n{body}\n", kind_ref(obj)));
}

/// `rollout undo` (rollback.go DeploymentRollbacker.Rollback).
fn undo(cluster: &mut Cluster, out: &mut Outcome, obj: &Object, to_revision: i64) {
    let Some(d) = deployment_of(obj) else {
        return;
    };
    let name = obj.name().to_owned();
    if to_revision < 0 {
        return fail(
            out,
            format!("error: unable to find specified revision {to_revision} in history"),
        );
    }
    let rss = match replica_sets(cluster, obj) {
        Ok(rss) => rss,
        Err(e) => return out.error(&e),
    };
    let target: Option<&ReplicaSet>;
    if to_revision > 0 {
        target = rss
            .iter()
            .find(|rs| revision_of(&rs.metadata) == Some(to_revision));
        if target.is_none() {
            return fail(
                out,
                format!("error: unable to find specified revision {to_revision} in history"),
            );
        }
    } else {
        let mut revs: Vec<(i64, &ReplicaSet)> = rss
            .iter()
            .filter_map(|rs| revision_of(&rs.metadata).map(|v| (v, rs)))
            .collect();
        revs.sort_by_key(|(v, _)| std::cmp::Reverse(*v));
        revs.dedup_by_key(|(v, _)| *v);
        target = revs.get(1).map(|(_, rs)| *rs);
        if target.is_none() {
            return fail(
                out,
                format!("error: no rollout history found for deployment \"{name}\""),
            );
        }
    }
    let Some(rs) = target else { return };
    let spec = d.spec.clone().unwrap_or_default();
    if spec.paused == Some(true) {
        return fail(out, "error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again");
    }
    let rs_template = rs
        .spec
        .as_ref()
        .and_then(|s| s.template.clone())
        .unwrap_or_default();
    if without_hash(&rs_template) == without_hash(&spec.template) {
        out.line(format!(
            "{} skipped rollback (current template already matches revision {to_revision})",
            kind_ref(obj)
        ));
        return;
    }
    let mut annotations: BTreeMap<String, String> = BTreeMap::new();
    let own = d.metadata.annotations.clone().unwrap_or_default();
    for k in ANNOTATIONS_TO_SKIP {
        if let Some(v) = own.get(k) {
            annotations.insert(k.into(), v.clone());
        }
    }
    for (k, v) in rs.metadata.annotations.iter().flatten() {
        if !ANNOTATIONS_TO_SKIP.contains(&k.as_str()) {
            annotations.insert(k.clone(), v.clone());
        }
    }
    let mut new = d.clone();
    new.metadata.annotations = Some(annotations);
    let mut template = rs_template;
    if let Some(l) = template.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        l.remove(POD_TEMPLATE_HASH);
    }
    new.spec.get_or_insert_with(Default::default).template = template;
    match cluster.request(CLIENT, Request::Update(Object::from(new))) {
        Ok(_) => out.line(format!("{} rolled back", kind_ref(obj))),
        Err(e) => fail(
            out,
            format!(
                "error: failed restoring revision {to_revision}: {}",
                e.message
            ),
        ),
    }
}

/// `rollout pause` / `rollout resume` (objectpauser.go, objectresumer.go).
fn set_paused(cluster: &mut Cluster, out: &mut Outcome, obj: &Object, pause: bool) {
    let Some(d) = deployment_of(obj) else {
        return;
    };
    let paused = d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
    let (done, already) = if pause {
        ("paused", "already paused")
    } else {
        ("resumed", "already resumed")
    };
    if paused == pause {
        out.line(format!("{} {already}", kind_ref(obj)));
        return;
    }
    let value = if pause {
        serde_json::Value::Bool(true)
    } else {
        serde_json::Value::Null
    };
    let patch = serde_json::json!({ "spec": { "paused": value } });
    match cluster.request(
        CLIENT,
        Request::Patch {
            key: ObjectKey::of(obj),
            patch,
        },
    ) {
        Ok(_) => out.line(format!("{} {done}", kind_ref(obj))),
        Err(e) => fail(out, format!("failed to patch: {}", e.message)),
    }
}

/// `rollout restart` (objectrestarter.go): the restartedAt template annotation.
fn restart(cluster: &mut Cluster, out: &mut Outcome, obj: &Object) {
    let Some(d) = deployment_of(obj) else {
        return;
    };
    if d.spec.as_ref().and_then(|s| s.paused) == Some(true) {
        return fail(
            out,
            format!(
                "error: {} \"{}\" can't restart paused deployment (run rollout resume first)",
                obj.kind().qualified_plural(),
                obj.name()
            ),
        );
    }
    let at = time(cluster.now()).0.to_string();
    let current = d
        .spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.get(RESTARTED_AT));
    if current == Some(&at) {
        return fail(out, format!("error: failed to create patch for {}: if restart has already been triggered within the past second, please wait before attempting to trigger another", obj.name()));
    }
    let patch = serde_json::json!({
        "spec": { "template": { "metadata": { "annotations": { RESTARTED_AT: at } } } }
    });
    match cluster.request(
        CLIENT,
        Request::Patch {
            key: ObjectKey::of(obj),
            patch,
        },
    ) {
        Ok(_) => out.line(format!("{} restarted", kind_ref(obj))),
        Err(e) => fail(out, format!("error: failed to patch: {}", e.message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::{DeploymentSpec, DeploymentStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn d(gen: i64, observed: i64, replicas: i32, st: (i32, i32, i32)) -> Deployment {
        Deployment {
            metadata: ObjectMeta {
                name: Some("x".into()),
                generation: Some(gen),
                ..Default::default()
            },
            spec: Some(DeploymentSpec {
                replicas: Some(replicas),
                ..Default::default()
            }),
            status: Some(DeploymentStatus {
                observed_generation: Some(observed),
                replicas: Some(st.0),
                updated_replicas: Some(st.1),
                available_replicas: Some(st.2),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn status_lines_follow_the_status_viewer() {
        // kubectl pkg/polymorphichelpers/rollout_status.go DeploymentStatusViewer.Status.
        let s = |d: &Deployment| deployment_status(d, 0).unwrap();
        assert_eq!(
            s(&d(2, 1, 3, (3, 3, 3))).0,
            "Waiting for deployment spec update to be observed...\n"
        );
        assert_eq!(s(&d(2, 2, 3, (4, 1, 3))).0, "Waiting for deployment \"x\" rollout to finish: 1 out of 3 new replicas have been updated...\n");
        assert_eq!(s(&d(2, 2, 3, (4, 3, 3))).0, "Waiting for deployment \"x\" rollout to finish: 1 old replicas are pending termination...\n");
        assert_eq!(s(&d(2, 2, 3, (3, 3, 2))).0, "Waiting for deployment \"x\" rollout to finish: 2 of 3 updated replicas are available...\n");
        assert_eq!(
            s(&d(2, 2, 3, (3, 3, 3))),
            ("deployment \"x\" successfully rolled out\n".into(), true)
        );
    }
}
