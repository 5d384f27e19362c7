//! Stage two of scenario parsing: a validated scenario with typed units
//! (durations as virtual time, quantities as integers, manifests as API
//! objects, kubectl lines parsed) and cross-checks (one action per step,
//! unique node names, times that move forward).

use std::path::{Path, PathBuf};

use sim_core::config::ClusterConfig;
use sim_core::time::SimTime;

use crate::error::{Location, ScenarioError};
use crate::files::{self, FileError};
use crate::raw::RawScenario;
use crate::yaml::{self, YamlErrorKind};

mod apply_sources;
mod cluster;
mod context;
mod expectations;
mod faults;
mod images;
mod kubectl_lines;
mod steps;
mod units;

pub(crate) use faults::fault;
pub use steps::{Action, HostCommand, Step, TrafficStep, When, MAX_HOST_LINES};

/// The seed used when a scenario names none.
pub const DEFAULT_SEED: u64 = 1;

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The scenario's name.
    pub name: String,
    /// What it shows.
    pub description: Option<String>,
    /// Its seed.
    pub seed: u64,
    /// The file it came from.
    pub path: PathBuf,
    /// The cluster.
    pub cluster: ClusterConfig,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = files::read_yaml_text(path).map_err(|e| {
        let why = match e {
            FileError::Missing => {
                "no such file; expected the path of a scenario YAML file".to_owned()
            }
            FileError::NotUtf8 => {
                "the file is not UTF-8 text; expected a scenario YAML file".to_owned()
            }
            FileError::Directory => "is a directory; expected a scenario YAML file".to_owned(),
            FileError::Os(e) => format!("cannot read the scenario file: {e}"),
            other => format!("{other}; expected a scenario YAML file"),
        };
        ScenarioError::new(
            Location {
                file: path.to_owned(),
                ..Default::default()
            },
            why,
        )
    })?;
    parse(&text, path)
}

/// Validates scenario text read from `path` (relative manifest paths resolve
/// from its directory). Every error names the file, the line when it can be
/// known, the YAML path, and what was expected.
pub fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let text = yaml::strip_bom(text);
    let raw: RawScenario = yaml::from_str(text).map_err(|e| {
        let message = match e.kind {
            YamlErrorKind::Syntax => format!("invalid YAML: {}", e.message),
            YamlErrorKind::Empty => "the scenario file holds no YAML document (it is empty or only comments); expected a mapping with at least name and steps".to_owned(),
            YamlErrorKind::MultipleDocuments => {
                format!("{}; a scenario file holds one YAML document", e.message)
            }
            YamlErrorKind::Shape => e.message,
        };
        ScenarioError::new(
            Location {
                file: path.to_owned(),
                line: e.line,
                column: e.column,
                path: None,
            },
            message,
        )
    })?;
    let lines = yaml::LineIndex::new(text);
    validate(raw, &lines, path).map_err(|mut e| {
        // Errors found after deserializing carry a YAML path; the parser finds its line.
        if e.location.line.is_none() && e.location.file == path {
            if let Some(p) = &e.location.path {
                e.location.line = lines.line_of(p);
            }
        }
        e
    })
}

fn validate(
    raw: RawScenario,
    lines: &yaml::LineIndex<'_>,
    path: &Path,
) -> Result<Scenario, ScenarioError> {
    if raw.name.trim().is_empty() {
        return Err(ScenarioError::at(
            path,
            None,
            "name",
            "a scenario needs a non-empty name",
        ));
    }
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let cluster = cluster::cluster(&raw.cluster, path)?;
    let ctx = context::StepContext {
        file: path,
        base: &base,
        lines,
        cluster: &cluster,
    };
    let steps = raw
        .steps
        .iter()
        .enumerate()
        .map(|(i, rs)| steps::step(&ctx, i, rs))
        .collect::<Result<Vec<_>, _>>()?;
    // Absolute times must not go backwards.
    let mut last_at = SimTime::ZERO;
    for s in &steps {
        if let When::At(t) = s.when {
            if t < last_at {
                return Err(ScenarioError::at(
                    path,
                    None,
                    format!("steps[{}].at", s.index),
                    format!("step time {t} is before an earlier step's time {last_at}; steps run in order"),
                ));
            }
            last_at = t;
        }
    }
    Ok(Scenario {
        name: raw.name,
        description: raw.description,
        seed: raw.seed.unwrap_or(DEFAULT_SEED),
        path: path.to_owned(),
        cluster,
        steps,
    })
}
