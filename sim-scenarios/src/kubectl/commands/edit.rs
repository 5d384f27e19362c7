//! `kubectl edit`. kubectl opens the object in an editor and sends what
//! changed as a patch; a scenario step gives that change as `patch:` (a
//! strategic merge patch), and the output is kubectl's: `TYPE/NAME edited`,
//! or `Edit cancelled, no changes made.` when nothing changed.

use sim_core::apiserver::PatchType;
use sim_core::cluster::Cluster;

use super::patch::patch_each;
use crate::kubectl::client::kind_ref;
use crate::kubectl::grammar::Command;
use crate::kubectl::outcome::Outcome;
use crate::kubectl::prepared::Prepared;

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
    patch_each(
        cluster,
        out,
        &args.resources,
        ns,
        patch,
        PatchType::Strategic,
        |out, patched| match patched {
            Ok((_, false)) => out.line("Edit cancelled, no changes made."),
            Ok((o, true)) => out.line(format!("{} edited", kind_ref(&o))),
            Err((t, e)) => out.fail(format!(
                "error: {} \"{}\" could not be patched: {}",
                t.kind.qualified_plural(),
                t.name.as_deref().unwrap_or_default(),
                e.message
            )),
        },
    );
}
