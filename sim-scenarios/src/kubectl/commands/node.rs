//! `kubectl cordon`, `uncordon`, `drain` and `taint` (k8s.io/kubectl
//! pkg/cmd/drain, pkg/drain, pkg/cmd/taint).
//!
//! `drain` cordons the node, sorts its pods through kubectl's filters
//! (DaemonSet-managed, mirror, local storage, unreplicated), evicts the rest
//! through the pods/eviction subresource, and waits in virtual time for them
//! to be gone. The transcript prints every line at once, in kubectl's order.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Pod, Taint};
use serde_json::{json, Value};
use sim_core::api::annotations;
use sim_core::api::fields::FieldSelector;
use sim_core::api::labels::Selector;
use sim_core::api::taints;
use sim_core::api::{Kind, Object, ObjectKey};
use sim_core::apiserver::{DeleteOptions, Request, Response};
use sim_core::cluster::Cluster;
use sim_core::time::SimDuration;

use crate::kubectl::client::{get_object, list, CLIENT};
use crate::kubectl::grammar::{Command, DrainArgs, TaintArgs};
use crate::kubectl::outcome::Outcome;
use crate::kubectl::prepared::Prepared;
use crate::limits::MAX_DURATION;

fn fail(out: &mut Outcome, e: String) {
    out.fail(e);
}

fn get_node(cluster: &mut Cluster, out: &mut Outcome, name: &str) -> Option<Arc<Object>> {
    match get_object(cluster, &ObjectKey::new(Kind::Node, "", name)) {
        Ok(o) => Some(o),
        Err(e) => {
            out.error(&e);
            None
        }
    }
}

fn unschedulable(node: &Object) -> bool {
    node.as_node()
        .and_then(|n| n.spec.as_ref())
        .and_then(|s| s.unschedulable)
        .unwrap_or(false)
}

/// Cordons or uncordons; prints `node/x cordoned` or `node/x already cordoned`.
/// False when the node could not be read or written.
fn set_cordon(cluster: &mut Cluster, out: &mut Outcome, name: &str, desired: bool) -> bool {
    let Some(node) = get_node(cluster, out, name) else {
        return false;
    };
    let verb = if desired { "cordoned" } else { "uncordoned" };
    if unschedulable(&node) == desired {
        out.line(format!("node/{name} already {verb}"));
        return true;
    }
    let value = if desired { json!(true) } else { Value::Null };
    let patch = json!({ "spec": { "unschedulable": value } });
    match cluster.request(
        CLIENT,
        Request::Patch {
            key: ObjectKey::of(&node),
            patch,
        },
    ) {
        Ok(_) => {
            out.line(format!("node/{name} {verb}"));
            true
        }
        Err(e) => {
            out.error(&e);
            false
        }
    }
}

/// Runs the command.
pub(crate) fn execute(cluster: &mut Cluster, out: &mut Outcome, cmd: &Prepared, _ns: &str) {
    match &cmd.cli.command {
        Command::Cordon(a) => {
            set_cordon(cluster, out, &a.node, true);
        }
        Command::Uncordon(a) => {
            set_cordon(cluster, out, &a.node, false);
        }
        Command::Drain(a) => drain(cluster, out, a),
        Command::Taint(a) => taint(cluster, out, a),
        _ => {}
    }
}

fn pod_ref(p: &Pod) -> String {
    format!(
        "{}/{}",
        p.metadata.namespace.as_deref().unwrap_or_default(),
        p.metadata.name.as_deref().unwrap_or_default()
    )
}

/// Why a pod is refused or warned about (pkg/drain/filters.go), in kubectl's words.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Filter {
    DaemonSet,
    LocalStorage,
    Unmanaged,
}

impl Filter {
    fn fatal(self) -> &'static str {
        match self {
            Filter::DaemonSet => "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)",
            Filter::LocalStorage => {
                "Pods with local storage (use --delete-emptydir-data to override)"
            }
            Filter::Unmanaged => "Pods declaring no controller (use --force to override)",
        }
    }
    fn warning(self) -> &'static str {
        match self {
            Filter::DaemonSet => "ignoring DaemonSet-managed Pods",
            // Overwritten by the unreplicated filter in kubectl; kept for completeness.
            Filter::LocalStorage => "deleting Pods with local storage",
            Filter::Unmanaged => "deleting Pods that declare no controller",
        }
    }
}

/// Pods of a node grouped by the filter that refuses or warns about them.
type PodsByFilter = Vec<(Filter, Vec<String>)>;

/// `kubectl drain NODE`: cordon, sort the node's pods through kubectl's
/// filters, evict the rest and wait for them to be gone.
fn drain(cluster: &mut Cluster, out: &mut Outcome, args: &DrainArgs) {
    let name = args.node.as_str();
    // --timeout bounds the wait for evicted pods; 0 means no limit (capped at a day).
    if let Some(t) = &args.timeout {
        match t.parse::<SimDuration>() {
            Ok(d) if d > MAX_DURATION => {
                return out.fail(format!(
                    "error: invalid argument \"{t}\" for \"--timeout\" flag: too long; kubesim waits at most {MAX_DURATION}"
                ))
            }
            Ok(d) if d > SimDuration::ZERO => out.wait_timeout = Some(d),
            Ok(_) => out.wait_timeout = Some(SimDuration::from_hours(24)),
            Err(e) => {
                return out.fail(format!(
                    "error: invalid argument \"{t}\" for \"--timeout\" flag: {e}"
                ))
            }
        }
    }
    if !set_cordon(cluster, out, name, true) {
        return;
    }
    let fields = FieldSelector::parse(&format!("spec.nodeName={name}")).unwrap_or_default();
    let pods = match list(cluster, Kind::Pod, None, Selector::default(), fields) {
        Ok(p) => p,
        Err(e) => return out.error(&e),
    };
    let (mut errors, mut warnings, evict) = sort_pods(args, &pods);
    if !errors.is_empty() {
        errors.sort();
        let errs: Vec<String> = errors
            .iter()
            .map(|(f, pods)| format!("cannot delete {}: {}", f.fatal(), pods.join(", ")))
            .collect();
        let agg = if errs.len() == 1 {
            errs[0].clone()
        } else {
            format!("[{}]", errs.join(", "))
        };
        out.line(format!(
            "error: unable to drain node \"{name}\" due to error: {agg}, continuing command..."
        ));
        out.line("There are pending nodes to be drained:");
        out.line(format!(" {name}"));
        return fail(out, format!("error: {agg}"));
    }
    if !warnings.is_empty() {
        warnings.sort();
        let w: Vec<String> = warnings
            .iter()
            .map(|(f, pods)| format!("{}: {}", f.warning(), pods.join(", ")))
            .collect();
        out.line(format!("Warning: {}", w.join("; ")));
    }
    evict_pods(cluster, out, &evict, args.grace_period);
    if out.exit_code == 0 {
        out.line(format!("node/{name} drained"));
    }
}

/// kubectl's drain filters (pkg/drain/filters.go): the pods that stop the
/// drain, those it warns about, and those to evict. Mirror pods are skipped.
fn sort_pods(args: &DrainArgs, pods: &[Arc<Object>]) -> (PodsByFilter, PodsByFilter, Vec<Pod>) {
    let mut errors: PodsByFilter = Vec::new();
    let mut warnings: PodsByFilter = Vec::new();
    let note = |v: &mut PodsByFilter, f: Filter, p: &Pod| match v.iter_mut().find(|(g, _)| *g == f)
    {
        Some((_, list)) => list.push(pod_ref(p)),
        None => v.push((f, vec![pod_ref(p)])),
    };
    let mut evict: Vec<Pod> = Vec::new();
    for obj in pods {
        let Object::Pod(pod) = &**obj else { continue };
        if annotations::has(&pod.metadata, annotations::CONFIG_MIRROR) {
            continue;
        }
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        let terminal = matches!(phase, Some("Succeeded" | "Failed"));
        let controller = pod
            .metadata
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true));
        if controller.is_some_and(|c| c.kind == "DaemonSet") {
            if args.ignore_daemonsets {
                note(&mut warnings, Filter::DaemonSet, pod);
            } else {
                note(&mut errors, Filter::DaemonSet, pod);
            }
            continue;
        }
        // The filters run in order and the last one to run decides
        // (pkg/drain/filters.go): the local-storage warning of a pod is
        // replaced by the unreplicated filter's verdict.
        let empty_dir = pod
            .spec
            .iter()
            .flat_map(|s| s.volumes.iter().flatten())
            .any(|v| v.empty_dir.is_some());
        if empty_dir && !terminal && !args.delete_emptydir_data {
            note(&mut errors, Filter::LocalStorage, pod);
            continue;
        }
        if controller.is_none() && !terminal {
            if args.force {
                note(&mut warnings, Filter::Unmanaged, pod);
            } else {
                note(&mut errors, Filter::Unmanaged, pod);
                continue;
            }
        }
        evict.push((**pod).clone());
    }
    (errors, warnings, evict)
}

/// Evicts each pod through pods/eviction; the caller waits for the ones not
/// gone at once.
fn evict_pods(cluster: &mut Cluster, out: &mut Outcome, evict: &[Pod], grace_period: i64) {
    let options = DeleteOptions {
        grace_period_secs: (grace_period >= 0).then_some(grace_period),
        ..Default::default()
    };
    let mut evicted = Vec::new();
    for pod in evict {
        out.line(format!("evicting pod {}", pod_ref(pod)));
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let pname = pod.metadata.name.clone().unwrap_or_default();
        match cluster.request(
            CLIENT,
            Request::Evict {
                namespace: ns.clone(),
                name: pname.clone(),
                options: options.clone(),
            },
        ) {
            Ok(Response::Deleted { gone, .. }) => {
                if !gone {
                    out.wait_for_gone
                        .push(ObjectKey::new(Kind::Pod, ns, pname.clone()));
                }
                evicted.push(pname);
            }
            Ok(_) => evicted.push(pname),
            // A pod already gone counts as done, without an "evicted" line.
            Err(e) if e.code() == 404 => {}
            Err(e) => {
                out.fail(format!(
                    "error: error when evicting pods/\"{pname}\" -n \"{ns}\": {}",
                    e.message
                ));
            }
        }
    }
    for p in evicted {
        out.line(format!("pod/{p} evicted"));
    }
}

/// `kubectl taint nodes NODE SPEC...` (or `-l`, `--all`): adds and removes
/// taints, node by node.
fn taint(cluster: &mut Cluster, out: &mut Outcome, args: &TaintArgs) {
    let Some((node_names, specs)) = taint_targets(out, args) else {
        return;
    };
    if specs.is_empty() {
        return fail(out, "error: at least one taint update is required".into());
    }
    let (add, remove) = match taints::parse_taints(specs) {
        Ok(parsed) => parsed,
        Err(e) => return fail(out, format!("error: {e}")),
    };
    let nodes: Vec<Arc<Object>> = if node_names.is_empty() {
        let sel = match args.selector.as_deref().map(Selector::parse).transpose() {
            Ok(s) => s.unwrap_or_default(),
            Err(e) => return fail(out, format!("error: {e}")),
        };
        match list(cluster, Kind::Node, None, sel, FieldSelector::everything()) {
            Ok(nodes) => nodes,
            Err(e) => return out.error(&e),
        }
    } else {
        node_names
            .iter()
            .filter_map(|n| get_node(cluster, out, n))
            .collect()
    };
    for node in nodes {
        taint_node(cluster, out, &node, &add, &remove, args.overwrite);
    }
}

/// The node names and the taint specs of `nodes NODE SPEC...`,
/// `node/NODE SPEC...` or `nodes SPEC... -l SEL|--all` (no names: every
/// selected node); None after printing kubectl's error.
fn taint_targets<'a>(
    out: &mut Outcome,
    args: &'a TaintArgs,
) -> Option<(Vec<String>, &'a [String])> {
    match args.args.first().map(String::as_str) {
        Some(first) if first.contains('/') => {
            let (t, n) = first.split_once('/').unwrap_or_default();
            if Kind::from_resource_name(t) != Some(Kind::Node) {
                fail(out, "error: taint is only applicable to nodes".into());
                return None;
            }
            Some((vec![n.to_owned()], &args.args[1..]))
        }
        Some(t) if Kind::from_resource_name(t) == Some(Kind::Node) => {
            if args.all || args.selector.is_some() {
                Some((Vec::new(), &args.args[1..]))
            } else {
                let Some(n) = args.args.get(1) else {
                    fail(out, "error: at least one taint update is required".into());
                    return None;
                };
                Some((vec![n.clone()], &args.args[2..]))
            }
        }
        Some(t) => {
            if Kind::from_resource_name(t).is_some() {
                fail(out, "error: taint is only applicable to nodes".into());
            } else {
                fail(
                    out,
                    format!("error: the server doesn't have a resource type \"{t}\""),
                );
            }
            None
        }
        None => None,
    }
}

/// Adds `add` and removes `remove` on one node (reorganizeTaints), as a
/// patch of `spec.taints`.
fn taint_node(
    cluster: &mut Cluster,
    out: &mut Outcome,
    node: &Arc<Object>,
    add: &[Taint],
    remove: &[Taint],
    overwrite: bool,
) {
    let old: Vec<Taint> = node
        .as_node()
        .and_then(|n| n.spec.as_ref())
        .and_then(|s| s.taints.clone())
        .unwrap_or_default();
    if !overwrite {
        let exists: Vec<&str> = add
            .iter()
            .filter(|t| old.iter().any(|o| o.key == t.key && o.effect == t.effect))
            .map(|t| t.key.as_str())
            .collect();
        if !exists.is_empty() {
            return fail(
                out,
                format!(
                    "error: node {} already has {} taint(s) with same effect(s) and --overwrite is false",
                    node.name(),
                    exists.join(",")
                ),
            );
        }
    }
    // reorganizeTaints: the new taints first, then the old ones not replaced.
    let mut new = add.to_vec();
    for o in &old {
        if !add.iter().any(|t| t.key == o.key && t.effect == o.effect) {
            new.push(o.clone());
        }
    }
    let added = new.len() != old.len();
    let mut errs = Vec::new();
    let mut deleted = false;
    for r in remove {
        let before = new.len();
        new.retain(|t| !(t.key == r.key && (r.effect.is_empty() || t.effect == r.effect)));
        deleted = new.len() != before;
        if !deleted {
            errs.push(format!("taint \"{}\" not found", taints::to_spec(r)));
        }
    }
    if !errs.is_empty() {
        let agg = if errs.len() == 1 {
            errs[0].clone()
        } else {
            format!("[{}]", errs.join(", "))
        };
        return fail(out, format!("error: {agg}"));
    }
    let op = if (added && deleted) || overwrite {
        "modified"
    } else if added {
        "tainted"
    } else {
        "untainted"
    };
    let taints = serde_json::to_value(&new).unwrap_or(Value::Null);
    let patch = json!({ "spec": { "taints": if new.is_empty() { Value::Null } else { taints } } });
    match cluster.request(
        CLIENT,
        Request::Patch {
            key: ObjectKey::of(node),
            patch,
        },
    ) {
        Ok(_) => out.line(format!("node/{} {op}", node.name())),
        Err(e) => out.error(&e),
    }
}
