//! `kubectl label` and `kubectl annotate`.

use sim_core::cluster::Cluster;

use crate::kubectl::exec::{Outcome, Prepared};

/// Runs the command.
pub(crate) fn execute(_cluster: &mut Cluster, out: &mut Outcome, cmd: &Prepared, _ns: &str) {
    out.line(format!(
        "error: kubesim does not implement `kubectl {}` yet",
        cmd.line
    ));
    out.exit_code = 1;
}
