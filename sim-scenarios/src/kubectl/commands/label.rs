//! `kubectl label` and `kubectl annotate` (k8s.io/kubectl pkg/cmd/label,
//! pkg/cmd/annotate): `TYPE NAME k=v k2-`, `TYPE/NAME ...`, `-l`, `--all`,
//! `--overwrite`, sent as a JSON merge patch of the metadata.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Map, Value};
use sim_core::api::fields::FieldSelector;
use sim_core::api::labels::Selector;
use sim_core::api::{Object, ObjectKey};
use sim_core::apiserver::Request;
use sim_core::cluster::Cluster;

use crate::kubectl::client::{get_object, kind_ref, list, LookupError, CLIENT};
use crate::kubectl::grammar::{Command, LabelArgs};
use crate::kubectl::outcome::Outcome;
use crate::kubectl::prepared::Prepared;
use crate::kubectl::resources::resolve;

/// The objects named by `TYPE NAME...`, `TYPE/NAME...`, or `TYPE` with `-l`/`--all`.
pub(crate) fn objects(
    cluster: &mut Cluster,
    resources: &[String],
    selector: Option<&str>,
    all: bool,
    ns: &str,
) -> Result<Vec<Arc<Object>>, LookupError> {
    let targets = resolve(resources)?;
    let mut out = Vec::new();
    for t in targets {
        let tns = if t.kind.namespaced() { ns } else { "" };
        match t.name {
            Some(name) => match get_object(cluster, &ObjectKey::new(t.kind, tns, name)) {
                Ok(o) => out.push(o),
                Err(e) => return Err(e.into()),
            },
            None => {
                if selector.is_none() && !all {
                    return Err(LookupError::NoName);
                }
                let labels = selector
                    .map(Selector::parse)
                    .transpose()?
                    .unwrap_or_default();
                let scope = t.kind.namespaced().then(|| ns.to_owned());
                out.extend(list(
                    cluster,
                    t.kind,
                    scope,
                    labels,
                    FieldSelector::everything(),
                )?);
            }
        }
    }
    Ok(out)
}

/// A `k=v` / `k-` argument kubectl refuses; `what` is `label` or `annotation`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
enum ChangeError {
    /// Neither `k=v` nor `k-`, or an empty key.
    #[error("error: invalid {what} spec: {spec}")]
    Invalid {
        /// `label` or `annotation`.
        what: String,
        /// The argument.
        spec: String,
    },
    /// The same key set and removed.
    #[error(
        "error: can not both modify and remove the following {what}(s) in the same command: {key}"
    )]
    SetAndRemoved {
        /// `label` or `annotation`.
        what: String,
        /// The key.
        key: String,
    },
}

/// Splits `k=v` / `k-` arguments (kubectl's parseLabels / parseAnnotations).
fn parse_changes(
    changes: &[String],
    what: &str,
) -> Result<(BTreeMap<String, String>, Vec<String>), ChangeError> {
    let mut set = BTreeMap::new();
    let mut remove = Vec::new();
    let invalid = |c: &str| ChangeError::Invalid {
        what: what.to_owned(),
        spec: c.to_owned(),
    };
    for c in changes {
        if let Some((k, v)) = c.split_once('=') {
            if k.is_empty() {
                return Err(invalid(c));
            }
            set.insert(k.to_owned(), v.to_owned());
        } else if let Some(k) = c.strip_suffix('-') {
            remove.push(k.to_owned());
        } else {
            return Err(invalid(c));
        }
    }
    if let Some(k) = remove.iter().find(|k| set.contains_key(*k)) {
        return Err(ChangeError::SetAndRemoved {
            what: what.to_owned(),
            key: k.clone(),
        });
    }
    Ok((set, remove))
}

/// Runs the command.
pub(crate) fn execute(cluster: &mut Cluster, out: &mut Outcome, cmd: &Prepared, ns: &str) {
    let (args, annotate): (&LabelArgs, bool) = match &cmd.cli.command {
        Command::Label(a) => (a, false),
        Command::Annotate(a) => (a, true),
        _ => return,
    };
    let what = if annotate { "annotation" } else { "label" };
    // Resources come first; changes are the arguments with `=` or a trailing `-`.
    let split = args
        .args
        .iter()
        .position(|a| a.contains('=') || (a.ends_with('-') && !a.contains('/')))
        .unwrap_or(args.args.len());
    let (resources, changes) = args.args.split_at(split);
    if changes.is_empty() {
        return out.fail(format!("error: at least one {what} update is required"));
    }
    let (set, remove) = match parse_changes(changes, what) {
        Ok(c) => c,
        Err(e) => return out.fail(e),
    };
    let objs = match objects(cluster, resources, args.selector.as_deref(), args.all, ns) {
        Ok(o) => o,
        Err(e) => return out.fail(e),
    };
    for obj in objs {
        let meta = obj.meta();
        let current = if annotate {
            meta.annotations.clone().unwrap_or_default()
        } else {
            meta.labels.clone().unwrap_or_default()
        };
        if !args.overwrite {
            let clashes: Vec<String> = set
                .iter()
                .filter_map(|(k, v)| {
                    current
                        .get(k)
                        .filter(|cur| *cur != v)
                        .map(|cur| format!("'{k}' already has a value ({cur})"))
                })
                .collect();
            if !clashes.is_empty() {
                let msg = if annotate {
                    format!(
                        "error: --overwrite is false but found the following declared annotation(s): {}",
                        clashes.join("; ")
                    )
                } else if clashes.len() == 1 {
                    format!("error: {}, and --overwrite is false", clashes[0])
                } else {
                    format!(
                        "error: [{}]",
                        clashes
                            .iter()
                            .map(|c| format!("{c}, and --overwrite is false"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                out.fail(msg);
                continue;
            }
        }
        let mut patch = Map::new();
        for (k, v) in &set {
            patch.insert(k.clone(), Value::String(v.clone()));
        }
        for k in &remove {
            if !current.contains_key(k) && !annotate {
                out.line(format!("label \"{k}\" not found."));
            }
            patch.insert(k.clone(), Value::Null);
        }
        let field = if annotate { "annotations" } else { "labels" };
        let body = json!({ "metadata": { field: Value::Object(patch) } });
        match cluster.request(
            CLIENT,
            Request::Patch {
                key: ObjectKey::of(&obj),
                patch: body,
            },
        ) {
            Ok(_) => {
                // label.go: updateDataChangeMsg compares the object's JSON before
                // and after the change: equal → "not labeled", shorter without
                // --overwrite → "unlabeled", else "labeled".
                let mut after = current.clone();
                for (k, v) in &set {
                    after.insert(k.clone(), v.clone());
                }
                for k in &remove {
                    after.remove(k);
                }
                let len =
                    |m: &BTreeMap<String, String>| serde_json::to_vec(m).map_or(0, |v| v.len());
                let verb = if annotate {
                    "annotated"
                } else if after == current {
                    "not labeled"
                } else if !args.overwrite && len(&after) < len(&current) {
                    "unlabeled"
                } else {
                    "labeled"
                };
                out.line(format!("{} {verb}", kind_ref(&obj)));
            }
            Err(e) => out.error(&e),
        }
    }
}
