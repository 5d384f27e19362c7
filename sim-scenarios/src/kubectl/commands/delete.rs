//! `kubectl delete`: by name, file or selector, with grace periods and cascading.

use sim_core::api::fields::FieldSelector;
use sim_core::api::labels::Selector;
use sim_core::api::ObjectKey;
use sim_core::apiserver::{DeleteOptions, Propagation, Request, Response};
use sim_core::cluster::Cluster;

use crate::kubectl::resources::resolve;

use crate::kubectl::client::{list, set_namespace, CLIENT};
use crate::kubectl::outcome::Outcome;
use crate::kubectl::prepared::Prepared;

pub(crate) fn delete(
    cluster: &mut Cluster,
    out: &mut Outcome,
    cmd: &Prepared,
    args: &crate::kubectl::grammar::DeleteArgs,
    ns: &str,
) {
    let grace = if args.now {
        Some(1)
    } else if args.grace_period >= 0 {
        Some(args.grace_period)
    } else if args.force {
        Some(0)
    } else {
        None
    };
    // kubectl warns before it looks anything up.
    if args.force && grace == Some(0) {
        out.line("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.");
    }
    let mut keys: Vec<ObjectKey> = Vec::new();
    for m in &cmd.manifests {
        let mut obj = m.object.clone();
        if set_namespace(&mut obj, cmd.cli.namespace.as_deref()).is_ok() {
            keys.push(ObjectKey::of(&obj));
        }
    }
    if !args.resources.is_empty() {
        match resolve(&args.resources) {
            Err(e) => {
                return out.fail(e);
            }
            Ok(targets) => {
                for t in targets {
                    let kns = if t.kind.namespaced() {
                        ns.to_owned()
                    } else {
                        String::new()
                    };
                    match t.name {
                        Some(name) => keys.push(ObjectKey::new(t.kind, kns, name)),
                        None => {
                            let labels =
                                match args.selector.as_deref().map(Selector::parse).transpose() {
                                    Ok(s) => s.unwrap_or_default(),
                                    Err(e) => {
                                        return out.fail(format!("error: {e}"));
                                    }
                                };
                            let fields = match args
                                .field_selector
                                .as_deref()
                                .map(FieldSelector::parse)
                                .transpose()
                            {
                                Ok(f) => f.unwrap_or_default(),
                                Err(e) => return out.fail(format!("error: {e}")),
                            };
                            if !args.all && args.selector.is_none() && args.field_selector.is_none()
                            {
                                return out.fail(
                                    "error: resource(s) were provided, but no name was specified",
                                );
                            }
                            let scope = (!args.all_namespaces && t.kind.namespaced())
                                .then(|| ns.to_owned());
                            let list = match list(cluster, t.kind, scope, labels, fields) {
                                Ok(l) => l,
                                Err(e) => return out.error(&e),
                            };
                            if list.is_empty() {
                                out.line("No resources found");
                            }
                            keys.extend(list.iter().map(|o| ObjectKey::of(o)));
                        }
                    }
                }
            }
        }
    }
    let propagation = match args.cascade.as_str() {
        "foreground" => Some(Propagation::Foreground),
        "orphan" | "false" => Some(Propagation::Orphan),
        _ => Some(Propagation::Background),
    };
    for key in keys {
        let options = DeleteOptions {
            grace_period_secs: grace,
            propagation,
            precondition_uid: None,
        };
        match cluster.request(
            CLIENT,
            Request::Delete {
                key: key.clone(),
                options,
            },
        ) {
            Ok(Response::Deleted { gone, .. }) => {
                let forced = if args.force && grace == Some(0) {
                    " (force)"
                } else {
                    ""
                };
                out.line(format!(
                    "{} \"{}\" {}deleted",
                    key.kind.qualified_singular(),
                    key.name,
                    if forced.is_empty() { "" } else { "force " }
                ));
                if !gone && args.wait {
                    out.wait_for_gone.push(key);
                }
            }
            Ok(_) => {}
            Err(e) => out.error(&e),
        }
    }
}
