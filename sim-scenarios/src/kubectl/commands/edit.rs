//! `kubectl edit`. kubectl opens the object in an editor and sends what
//! changed as a patch; a scenario step gives that change as `patch:` (a
//! strategic merge patch), and the output is kubectl's: `TYPE/NAME edited`,
//! or `Edit cancelled, no changes made.` when nothing changed.

use sim_core::api::ObjectKey;
use sim_core::apiserver::{PatchType, Request};
use sim_core::cluster::Cluster;

use crate::kubectl::exec::{kind_ref, Outcome, Prepared, CLIENT};
use crate::kubectl::grammar::Command;
use crate::kubectl::resources::resolve;

/// Runs the command.
pub(crate) fn execute(cluster: &mut Cluster, out: &mut Outcome, cmd: &Prepared, ns: &str) {
    let Command::Edit(args) = &cmd.cli.command else {
        return;
    };
    let Some(patch) = &cmd.edit_patch else {
        out.line("error: kubesim has no editor; give the change with kubectl patch TYPE NAME -p '...' (or, in a scenario, as the edit step's patch:)");
        out.exit_code = 1;
        return;
    };
    let targets = match resolve(&args.resources) {
        Ok(t) => t,
        Err(e) => {
            return out.fail(e);
        }
    };
    for t in targets {
        let Some(name) = t.name else {
            return out.fail("error: resource(s) were provided, but no name was specified");
        };
        let key = ObjectKey::new(
            t.kind,
            if t.kind.namespaced() { ns } else { "" },
            name.clone(),
        );
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
                patch_type: PatchType::Strategic,
            },
        ) {
            Ok(r) => {
                let Some(o) = r.object() else { continue };
                if before.is_some_and(|b| b.resource_version() == o.resource_version()) {
                    out.line("Edit cancelled, no changes made.");
                } else {
                    out.line(format!("{} edited", kind_ref(o)));
                }
            }
            Err(e) => {
                out.fail(format!(
                    "error: {} \"{name}\" could not be patched: {}",
                    t.kind.qualified_plural(),
                    e.message
                ));
            }
        }
    }
}
