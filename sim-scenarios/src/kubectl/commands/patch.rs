//! `kubectl patch`: strategic merge (the default), JSON merge and JSON patches
//! (k8s.io/kubectl pkg/cmd/patch/patch.go). The patch may be JSON or YAML.

use std::sync::Arc;

use serde_json::Value;
use sim_core::api::{ApiError, Object, ObjectKey};
use sim_core::apiserver::{PatchType, Request};
use sim_core::cluster::Cluster;

use crate::kubectl::client::{kind_ref, CLIENT};
use crate::kubectl::grammar::Command;
use crate::kubectl::outcome::Outcome;
use crate::kubectl::prepared::Prepared;
use crate::kubectl::resources::{resolve, Target};

/// Runs the command.
pub(crate) fn execute(cluster: &mut Cluster, out: &mut Outcome, cmd: &Prepared, ns: &str) {
    let Command::Patch(args) = &cmd.cli.command else {
        return;
    };
    let patch_type = match args.type_.to_ascii_lowercase().as_str() {
        "strategic" => PatchType::Strategic,
        "merge" => PatchType::Merge,
        "json" => PatchType::Json,
        other => {
            return out.fail(format!(
                "error: --type must be one of [json merge strategic], not \"{other}\""
            ))
        }
    };
    if args.patch.trim().is_empty() {
        return out.fail("error: must specify -p to patch");
    }
    let patch: Value = match crate::yaml::value_from_str(&args.patch) {
        Ok(v) => v,
        Err(e) => return out.fail(format!("error: unable to parse \"{}\": {e}", args.patch)),
    };
    patch_each(
        cluster,
        out,
        &args.resources,
        ns,
        &patch,
        patch_type,
        |out, patched| match patched {
            Ok((o, changed)) => out.line(format!(
                "{} patched{}",
                kind_ref(&o),
                if changed { "" } else { " (no change)" }
            )),
            Err((_, e)) => out.error(&e),
        },
    );
}

/// Sends `patch` to each object `resources` names (namespaced kinds in
/// `ns`) and hands `report` what came of it: the patched object and whether
/// it changed (its resourceVersion moved), or the target and the API error.
/// A GET that fails is reported as kubectl does and the target skipped.
pub(crate) fn patch_each(
    cluster: &mut Cluster,
    out: &mut Outcome,
    resources: &[String],
    ns: &str,
    patch: &Value,
    patch_type: PatchType,
    mut report: impl FnMut(&mut Outcome, Result<(Arc<Object>, bool), (&Target, ApiError)>),
) {
    let targets = match resolve(resources) {
        Ok(t) => t,
        Err(e) => return out.fail(e),
    };
    for t in &targets {
        let Some(name) = &t.name else {
            return out.fail("error: resource(s) were provided, but no name was specified");
        };
        let tns = if t.kind.namespaced() { ns } else { "" };
        let key = ObjectKey::new(t.kind, tns, name.clone());
        let before = match cluster.request(CLIENT, Request::Get(key.clone())) {
            Ok(r) => r.object().cloned(),
            Err(e) => {
                out.error(&e);
                continue;
            }
        };
        match cluster.request(
            CLIENT,
            Request::PatchAs {
                key,
                patch: patch.clone(),
                patch_type,
            },
        ) {
            Ok(r) => {
                if let Some(o) = r.object() {
                    let changed =
                        before.is_none_or(|b| b.resource_version() != o.resource_version());
                    report(out, Ok((o.clone(), changed)));
                }
            }
            Err(e) => report(out, Err((t, e))),
        }
    }
}
