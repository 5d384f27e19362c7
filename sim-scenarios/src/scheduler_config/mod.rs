//! `cluster.scheduler`: a KubeSchedulerConfiguration
//! (`kubescheduler.config.k8s.io/v1`), inline or in a file, turned into
//! sim-core's typed [`SchedulerConfiguration`].
//!
//! The steps are kube-scheduler's own, in its order:
//!
//! 1. strict decoding: unknown fields are refused with their path
//!    ([`RawKubeSchedulerConfiguration`] and everything under it refuse
//!    unknown keys), and only `apiVersion: kubescheduler.config.k8s.io/v1`,
//!    `kind: KubeSchedulerConfiguration` is accepted;
//! 2. v1 defaulting (pkg/scheduler/apis/config/v1/defaults.go): no profiles
//!    gives one, a single unnamed profile is `default-scheduler`, each
//!    profile's plugins are merged with the default MultiPoint set
//!    (`mergePluginSet`), plugin args get their defaults;
//! 3. validation (validation.go, validation_pluginargs.go): every error is
//!    listed, with its field path, in kube-scheduler's words;
//! 4. building the profiles (framework.go `NewFramework`): per-point plugin
//!    lists, MultiPoint expansion, score weights; the first error stops, as
//!    `initializing profiles: creating profile for scheduler name ...: ...`.
//!
//! Fields of the v1 type that kubesim does not model but that change
//! scheduling (extenders, NodeAffinity `addedAffinity`, NodeResourcesFit
//! `ignoredResourceGroups`, ...) are refused with a message saying so rather
//! than silently ignored; `leaderElection`, `clientConnection` and the
//! profiling switches are accepted and ignored (they do not change where pods
//! go).

use std::path::{Path, PathBuf};

use sim_core::config::scheduler::SchedulerConfiguration;

use crate::error::{Location, ScenarioError};
use crate::raw::scheduler::{RawKubeSchedulerConfiguration, RawSchedulerSource};
use crate::yaml::{self, YamlErrorKind};

mod args;
mod build;
mod plugins;
mod problem;

pub(crate) use crate::raw::scheduler::API_VERSION;
pub(crate) use build::build;
pub(crate) use problem::Problem;

/// Reads `cluster.scheduler` (inline, or the file it names relative to the
/// scenario) into the typed configuration; errors name the file, the YAML
/// path and line, and kube-scheduler's reason.
pub(crate) fn load(
    source: &RawSchedulerSource,
    scenario: &Path,
) -> Result<SchedulerConfiguration, ScenarioError> {
    match source {
        RawSchedulerSource::Inline(raw) => build(raw).map_err(|problems| {
            to_error(
                &problems,
                |path| Location {
                    file: scenario.to_owned(),
                    line: None, // found by scenario::parse from the path
                    column: None,
                    path: Some(if path.is_empty() {
                        "cluster.scheduler".to_owned()
                    } else {
                        format!("cluster.scheduler.{path}")
                    }),
                },
                "",
            )
        }),
        RawSchedulerSource::File(name) => {
            let base = scenario.parent().map(Path::to_path_buf).unwrap_or_default();
            let file: PathBuf = base.join(name);
            let text = crate::files::read_yaml_text(&file).map_err(|e| {
                let why = match e {
                    crate::files::FileError::Missing => "no such file".to_owned(),
                    other => other.to_string(),
                };
                ScenarioError::at(
                    scenario,
                    None,
                    "cluster.scheduler",
                    format!("cannot read {name:?} ({}): {why}; expected the path (relative to the scenario file) of a YAML file holding a KubeSchedulerConfiguration, or the configuration itself as a mapping", file.display()),
                )
            })?;
            let from = format!(
                " (the KubeSchedulerConfiguration named by cluster.scheduler in {})",
                scenario.display()
            );
            let raw: RawKubeSchedulerConfiguration = yaml::from_str(&text).map_err(|e| {
                let message = match e.kind {
                    YamlErrorKind::Syntax => format!("invalid YAML: {}", e.message),
                    YamlErrorKind::Empty => format!("the file holds no YAML document; expected a KubeSchedulerConfiguration with apiVersion: {API_VERSION}"),
                    YamlErrorKind::MultipleDocuments | YamlErrorKind::Shape => e.message,
                };
                ScenarioError::new(
                    Location {
                        file: file.clone(),
                        line: e.line,
                        column: e.column,
                        path: None,
                    },
                    format!("{message}{from}"),
                )
            })?;
            build(&raw).map_err(|problems| {
                to_error(
                    &problems,
                    |path| Location {
                        file: file.clone(),
                        line: if path.is_empty() {
                            None
                        } else {
                            yaml::line_of(&text, path)
                        },
                        column: None,
                        path: (!path.is_empty()).then(|| path.to_owned()),
                    },
                    &from,
                )
            })
        }
    }
}

fn to_error(
    problems: &[Problem],
    location: impl Fn(&str) -> Location,
    suffix: &str,
) -> ScenarioError {
    let first = &problems[0];
    let message = if problems.len() == 1 {
        format!("invalid KubeSchedulerConfiguration: {}", first.text)
    } else {
        let all: Vec<&str> = problems.iter().map(|p| p.text.as_str()).collect();
        format!(
            "invalid KubeSchedulerConfiguration ({} errors): {}",
            problems.len(),
            all.join("; ")
        )
    };
    ScenarioError::new(location(&first.path), format!("{message}{suffix}"))
}
