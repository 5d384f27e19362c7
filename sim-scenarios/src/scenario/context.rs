//! What the validation of every step needs: the scenario file, its
//! directory, its line index and the validated cluster.

use std::path::Path;

use sim_core::config::ClusterConfig;

use crate::yaml::LineIndex;

/// What the validation of every step needs.
pub(super) struct StepContext<'a> {
    /// The scenario file.
    pub(super) file: &'a Path,
    /// Its directory: relative paths start there.
    pub(super) base: &'a Path,
    /// The line of every YAML path of the scenario.
    pub(super) lines: &'a LineIndex<'a>,
    /// The validated cluster (fault steps name its nodes).
    pub(super) cluster: &'a ClusterConfig,
}
