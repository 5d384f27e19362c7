//! What the whole-cluster benchmarks share: a shipped scenario parsed once,
//! and a run of it end to end with its output discarded.

use std::path::PathBuf;

use sim_scenarios::RunOptions;

/// The shipped scenario at `rel` (from the repository root), parsed.
pub(crate) fn scenario(rel: &str) -> sim_scenarios::Scenario {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel);
    sim_scenarios::load(&path).unwrap_or_else(|e| panic!("shipped scenario {rel} is invalid: {e}"))
}

/// Runs the scenario to its end; its expectations must hold.
pub(crate) fn run(s: &sim_scenarios::Scenario) -> usize {
    let result = sim_scenarios::run(s, &RunOptions::default(), &mut std::io::sink())
        .expect("writing to a sink cannot fail");
    assert!(result.success(), "the scenario's expectations must hold");
    result.passed
}
