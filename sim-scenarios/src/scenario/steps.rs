//! One step: its time (`at` or `after`), its one action, and the checks
//! that tie fields to actions (`namespace` on apply and delete, `patch` on
//! edit).

use std::path::Path;

use sim_core::config::ClusterConfig;
use sim_core::time::{SimDuration, SimTime};

use super::apply_sources::apply_source;
use super::expectations::expectation;
use super::faults::fault;
use super::kubectl_lines::prepare_kubectl;
use super::units::parse_duration;
use crate::error::{Location, ScenarioError};
use crate::expect::Expectation;
use crate::kubectl::grammar::{self, Command};
use crate::kubectl::prepared::Prepared;
use crate::raw::RawStep;
use crate::yaml;

/// When a step runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// At an absolute virtual time.
    At(SimTime),
    /// This long after the previous step finished.
    After(SimDuration),
}

/// One validated step.
#[derive(Clone, Debug)]
pub struct Step {
    /// Index in the scenario.
    pub index: usize,
    /// Where it is written.
    pub location: Location,
    /// When it runs.
    pub when: When,
    /// Its label.
    pub name: Option<String>,
    /// What it does.
    pub action: Action,
}

/// What a step does.
#[derive(Clone, Debug)]
pub enum Action {
    /// Apply manifests (as `kubectl apply -f`).
    Apply {
        /// What was applied (a file name, or `inline`).
        source: String,
        /// The command, with the manifests loaded.
        command: Box<Prepared>,
    },
    /// A kubectl command (delete steps are kubectl deletes too).
    Kubectl(Box<Prepared>),
    /// Advance virtual time.
    Wait(SimDuration),
    /// Check a condition, waiting up to a deadline.
    Expect(Expectation),
    /// Inject a fault (docs/faults.md).
    Fault(sim_core::faults::Fault),
}

pub(super) fn step(
    index: usize,
    raw: &RawStep,
    file: &Path,
    base: &Path,
    text: &str,
    cluster: &ClusterConfig,
) -> Result<Step, ScenarioError> {
    let path = format!("steps[{index}]");
    let location = Location {
        file: file.to_owned(),
        line: yaml::line_of(text, &path),
        column: None,
        path: Some(path.clone()),
    };
    // Errors carry no line: `parse` finds the line of their YAML path.
    let at = |field: &str| Location {
        file: file.to_owned(),
        line: None,
        column: None,
        path: Some(format!("{path}{field}")),
    };
    let err = |field: &str, msg: String| ScenarioError::new(at(field), msg);
    let when = match (&raw.at, &raw.after) {
        (Some(_), Some(_)) => {
            return Err(err(
                "",
                "give either at (an absolute time) or after (a delay), not both".into(),
            ))
        }
        (Some(at), None) => {
            When::At(SimTime::ZERO + parse_duration(at, file, None, &format!("{path}.at"))?)
        }
        (None, Some(after)) => {
            When::After(parse_duration(after, file, None, &format!("{path}.after"))?)
        }
        (None, None) => When::After(SimDuration::ZERO),
    };
    let actions: Vec<&str> = [
        ("apply", raw.apply.is_some()),
        ("delete", raw.delete.is_some()),
        ("kubectl", raw.kubectl.is_some()),
        ("wait", raw.wait.is_some()),
        ("expect", raw.expect.is_some()),
        ("fault", raw.fault.is_some()),
    ]
    .into_iter()
    .filter(|(_, present)| *present)
    .map(|(name, _)| name)
    .collect();
    if actions.len() != 1 {
        let found = if actions.is_empty() {
            "found none".to_owned()
        } else {
            format!("found {} ({})", actions.len(), actions.join(" and "))
        };
        return Err(err(
            "",
            format!("a step needs exactly one of apply, delete, kubectl, wait or expect (or fault); {found}"),
        ));
    }
    if raw.namespace.is_some() && raw.delete.is_none() && raw.apply.is_none() {
        return Err(err(
            ".namespace",
            "namespace applies to apply and delete steps; put it inside expect for expectations, or use -n in a kubectl line"
                .into(),
        ));
    }
    let action = if let Some(apply) = &raw.apply {
        let (source, manifests) = apply_source(apply, file, base, text, &path, &at(".apply"))?;
        if manifests.is_empty() {
            return Err(err(".apply", "error: no objects passed to apply".into()));
        }
        let mut cli_line = format!("apply -f {source}");
        if let Some(ns) = &raw.namespace {
            cli_line.push_str(&format!(" -n {ns}"));
        }
        let cli = grammar::parse(&cli_line).map_err(|e| err(".apply", e.0))?;
        Action::Apply {
            source: source.clone(),
            command: Box::new(Prepared {
                line: cli_line,
                cli,
                manifests,
                files: Default::default(),
                edit_patch: None,
            }),
        }
    } else if let Some(delete) = &raw.delete {
        let targets = delete.items();
        let mut cli_line = format!(
            "delete {}",
            targets
                .iter()
                .map(|t| shlex::try_quote(t)
                    .map(|c| c.into_owned())
                    .unwrap_or_else(|_| t.clone()))
                .collect::<Vec<_>>()
                .join(" ")
        );
        if let Some(ns) = &raw.namespace {
            cli_line.push_str(&format!(" -n {ns}"));
        }
        Action::Kubectl(Box::new(prepare_kubectl(
            &cli_line,
            base,
            &at(".delete"),
            &err,
            ".delete",
        )?))
    } else if let Some(k) = &raw.kubectl {
        let mut prepared = prepare_kubectl(k, base, &at(".kubectl"), &err, ".kubectl")?;
        let is_edit = matches!(prepared.cli.command, Command::Edit(_));
        match (&raw.patch, is_edit) {
            (Some(p), true) if p.is_object() => prepared.edit_patch = Some(p.clone()),
            (Some(_), true) => {
                return Err(err(".patch", "the patch of an edit step must be a mapping (a strategic merge patch of the fields you would change)".into()))
            }
            (None, true) => {
                return Err(err(".kubectl", "kubectl edit opens an editor; in a scenario give the change as `patch:` (a strategic merge patch of the fields you would change in the editor)".into()))
            }
            (Some(_), false) => return Err(err(".patch", "patch goes with `kubectl: edit TYPE NAME` only (use `kubectl patch` for other patches)".into())),
            (None, false) => {}
        }
        Action::Kubectl(Box::new(prepared))
    } else if let Some(w) = &raw.wait {
        Action::Wait(parse_duration(w, file, None, &format!("{path}.wait"))?)
    } else if let Some(e) = &raw.expect {
        Action::Expect(expectation(e, file, &format!("{path}.expect"))?)
    } else if let Some(f) = &raw.fault {
        let node_names: Vec<&str> = cluster.nodes.iter().map(|n| n.name.as_str()).collect();
        Action::Fault(
            fault(f, &node_names).map_err(|(field, msg)| err(&format!(".fault{field}"), msg))?,
        )
    } else {
        return Err(err("", "empty step".into()));
    };
    Ok(Step {
        index,
        location,
        when,
        name: raw.name.clone(),
        action,
    })
}
