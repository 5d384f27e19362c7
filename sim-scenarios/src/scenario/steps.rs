//! One step: its time (`at` or `after`), its one action, and the checks
//! that tie fields to actions (`namespace` on apply and delete, `patch` on
//! edit).

use std::path::Path;

use sim_core::time::{SimDuration, SimTime};

use super::apply_sources::apply_source;
use super::context::StepContext;
use super::expectations::expectation;
use super::faults::fault;
use super::kubectl_lines::prepare_kubectl;
use super::units::parse_duration;
use crate::error::{Location, ScenarioError};
use crate::expect::Expectation;
use crate::kubectl::grammar::{self, Command};
use crate::kubectl::prepared::Prepared;
use crate::raw::RawStep;

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
    /// Type command lines into a node's own shell.
    Host(HostCommand),
    /// Start a traffic source.
    Traffic(TrafficStep),
}

/// A `traffic` step: the source, and how many of its requests may fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrafficStep {
    /// The source.
    pub spec: sim_core::cluster::TrafficSpec,
    /// The URL as written.
    pub url: String,
    /// The most requests that may fail (an expectation).
    pub max_failed: Option<u32>,
    /// The largest share of the requests sent that may fail, in hundredths
    /// of a percent (an expectation; `maxFailedPercent: 2` is 200).
    pub max_failed_basis_points: Option<u32>,
    /// The fewest requests that must fail (an expectation of downtime).
    pub min_failed: Option<u32>,
}

/// A `host` step: lines typed into a node's login shell, and what their
/// output must show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostCommand {
    /// The node.
    pub node: String,
    /// The lines, typed one after the other.
    pub lines: Vec<String>,
    /// Text the output must contain.
    pub output: Option<String>,
    /// The exit status the last line must end with.
    pub status: Option<i32>,
}

impl HostCommand {
    /// Whether the step checks anything.
    pub fn checks(&self) -> bool {
        self.output.is_some() || self.status.is_some()
    }
}

/// The most lines one host step types.
pub const MAX_HOST_LINES: usize = 1_000;

/// Where a field of a step is. Errors carry no line: `parse` finds the line
/// of their YAML path.
struct StepPath<'a> {
    file: &'a Path,
    /// `steps[3]`.
    path: String,
}

impl StepPath<'_> {
    /// The location of a field (`.apply`; `` for the step itself).
    fn at(&self, field: &str) -> Location {
        Location {
            file: self.file.to_owned(),
            line: None,
            column: None,
            path: Some(format!("{}{field}", self.path)),
        }
    }

    /// An error at a field.
    fn err(&self, field: &str, message: String) -> ScenarioError {
        ScenarioError::new(self.at(field), message)
    }
}

/// Validates step `index`.
pub(super) fn step(
    ctx: &StepContext<'_>,
    index: usize,
    raw: &RawStep,
) -> Result<Step, ScenarioError> {
    let here = StepPath {
        file: ctx.file,
        path: format!("steps[{index}]"),
    };
    let location = Location {
        file: ctx.file.to_owned(),
        line: ctx.lines.line_of(&here.path),
        column: None,
        path: Some(here.path.clone()),
    };
    let when = when(raw, &here)?;
    check_one_action(raw, &here)?;
    if raw.host.is_none() {
        for (field, given) in [
            ("run", raw.run.is_some()),
            ("output", raw.output.is_some()),
            ("status", raw.status.is_some()),
        ] {
            if given {
                return Err(here.err(
                    &format!(".{field}"),
                    format!("{field} belongs to a host step (host: NODE with run: COMMAND)"),
                ));
            }
        }
    }
    if raw.namespace.is_some() && raw.delete.is_none() && raw.apply.is_none() {
        return Err(here.err(
            ".namespace",
            "namespace applies to apply and delete steps; put it inside expect for expectations, or use -n in a kubectl line"
                .into(),
        ));
    }
    let action = if let Some(apply) = &raw.apply {
        apply_action(ctx, apply, raw.namespace.as_deref(), &here)?
    } else if let Some(delete) = &raw.delete {
        delete_action(ctx, &delete.items(), raw.namespace.as_deref(), &here)?
    } else if let Some(k) = &raw.kubectl {
        kubectl_action(ctx, k, raw.patch.as_ref(), raw.input.as_deref(), &here)?
    } else if let Some(w) = &raw.wait {
        Action::Wait(parse_duration(
            w,
            ctx.file,
            None,
            &format!("{}.wait", here.path),
        )?)
    } else if let Some(e) = &raw.expect {
        Action::Expect(expectation(e, ctx.file, &format!("{}.expect", here.path))?)
    } else if let Some(node) = &raw.host {
        host_action(ctx, node, raw, &here)?
    } else if let Some(t) = &raw.traffic {
        traffic_action(ctx, t, &here)?
    } else if let Some(f) = &raw.fault {
        let node_names: Vec<&str> = ctx.cluster.nodes.iter().map(|n| n.name.as_str()).collect();
        Action::Fault(
            fault(f, &node_names)
                .map_err(|e| here.err(&format!(".fault{}", e.field()), e.to_string()))?,
        )
    } else {
        return Err(here.err("", "empty step".into()));
    };
    Ok(Step {
        index,
        location,
        when,
        name: raw.name.clone(),
        action,
    })
}

/// `at` or `after`, not both.
fn when(raw: &RawStep, here: &StepPath<'_>) -> Result<When, ScenarioError> {
    let path = &here.path;
    Ok(match (&raw.at, &raw.after) {
        (Some(_), Some(_)) => {
            return Err(here.err(
                "",
                "give either at (an absolute time) or after (a delay), not both".into(),
            ))
        }
        (Some(at), None) => {
            When::At(SimTime::ZERO + parse_duration(at, here.file, None, &format!("{path}.at"))?)
        }
        (None, Some(after)) => When::After(parse_duration(
            after,
            here.file,
            None,
            &format!("{path}.after"),
        )?),
        (None, None) => When::After(SimDuration::ZERO),
    })
}

/// Exactly one of apply, delete, kubectl, wait, expect or fault.
fn check_one_action(raw: &RawStep, here: &StepPath<'_>) -> Result<(), ScenarioError> {
    let actions: Vec<&str> = [
        ("apply", raw.apply.is_some()),
        ("delete", raw.delete.is_some()),
        ("kubectl", raw.kubectl.is_some()),
        ("wait", raw.wait.is_some()),
        ("expect", raw.expect.is_some()),
        ("fault", raw.fault.is_some()),
        ("host", raw.host.is_some()),
        ("traffic", raw.traffic.is_some()),
    ]
    .into_iter()
    .filter(|(_, present)| *present)
    .map(|(name, _)| name)
    .collect();
    if actions.len() == 1 {
        return Ok(());
    }
    let found = if actions.is_empty() {
        "found none".to_owned()
    } else {
        format!("found {} ({})", actions.len(), actions.join(" and "))
    };
    Err(here.err(
        "",
        format!("a step needs exactly one of apply, delete, kubectl, host, traffic, wait or expect (or fault); {found}"),
    ))
}

/// A `host` step: `host: NODE` with `run: LINES` (and `output`, `status`).
fn host_action(
    ctx: &StepContext<'_>,
    node: &str,
    raw: &RawStep,
    here: &StepPath<'_>,
) -> Result<Action, ScenarioError> {
    if !ctx.cluster.nodes.iter().any(|n| n.name == node) {
        let names: Vec<&str> = ctx.cluster.nodes.iter().map(|n| n.name.as_str()).collect();
        return Err(here.err(
            ".host",
            format!(
                "no node {node:?} in the cluster (its nodes: {})",
                names.join(", ")
            ),
        ));
    }
    let Some(run) = &raw.run else {
        return Err(here.err(
            "",
            "a host step needs run: the command line(s) typed into the node's shell".into(),
        ));
    };
    let lines: Vec<String> = run
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    if lines.is_empty() {
        return Err(here.err(".run", "run is empty: give a command line".into()));
    }
    if lines.len() > MAX_HOST_LINES {
        return Err(here.err(
            ".run",
            format!(
                "run has {} lines; a host step types at most {MAX_HOST_LINES}",
                lines.len()
            ),
        ));
    }
    if let Some(status) = raw.status {
        if !(0..=crate::limits::MAX_EXIT_CODE).contains(&status) {
            return Err(here.err(
                ".status",
                format!(
                    "status {status} is not an exit status (0 to {})",
                    crate::limits::MAX_EXIT_CODE
                ),
            ));
        }
    }
    Ok(Action::Host(HostCommand {
        node: node.to_owned(),
        lines,
        output: raw.output.clone(),
        status: raw.status,
    }))
}

/// A `traffic` step.
fn traffic_action(
    ctx: &StepContext<'_>,
    t: &crate::raw::RawTraffic,
    here: &StepPath<'_>,
) -> Result<Action, ScenarioError> {
    use sim_core::cluster::{Origin, TrafficSpec, MAX_RATE_PER_SEC};
    let from = match t.from.as_deref().map(|f| (f, f.strip_prefix("pod/"))) {
        Some((_, Some(pod))) => {
            let namespace = t.namespace.clone().unwrap_or_else(|| "default".into());
            for (field, value) in [(".traffic.from", pod), (".traffic.namespace", &namespace)] {
                let errs = sim_core::api::validation::is_dns1123_subdomain(value);
                if !errs.is_empty() {
                    return Err(here.err(field, format!("{value:?}: {}", errs.join("; "))));
                }
            }
            Origin::Pod {
                namespace,
                name: pod.to_owned(),
            }
        }
        other => {
            if t.namespace.is_some() {
                return Err(here.err(
                    ".traffic.namespace",
                    "namespace applies to a traffic source in a pod (from: pod/NAME)".into(),
                ));
            }
            let node = match other {
                Some((n, None)) => n.to_owned(),
                _ => ctx
                    .cluster
                    .nodes
                    .iter()
                    .find(|n| n.control_plane)
                    .or(ctx.cluster.nodes.first())
                    .map(|n| n.name.clone())
                    .unwrap_or_default(),
            };
            if !ctx.cluster.nodes.iter().any(|n| n.name == node) {
                let names: Vec<&str> = ctx.cluster.nodes.iter().map(|n| n.name.as_str()).collect();
                return Err(here.err(
                    ".traffic.from",
                    format!(
                        "no node {node:?} in the cluster (its nodes: {}; or pod/NAME for a client in a pod)",
                        names.join(", ")
                    ),
                ));
            }
            Origin::Node(node)
        }
    };
    let max_failed_basis_points = match t.max_failed_percent {
        None => None,
        Some(p) if (0.0..=100.0).contains(&p) => Some((p * 100.0).round() as u32),
        Some(p) => {
            return Err(here.err(
                ".traffic.maxFailedPercent",
                format!("{p} is out of range: a percentage from 0 to 100"),
            ))
        }
    };
    if !(1..=MAX_RATE_PER_SEC).contains(&t.rate) {
        return Err(here.err(
            ".traffic.rate",
            format!(
                "rate {} is out of range: 1 to {MAX_RATE_PER_SEC} requests a second",
                t.rate
            ),
        ));
    }
    let duration = parse_duration(
        &t.duration,
        ctx.file,
        None,
        &format!("{}.traffic.duration", here.path),
    )?;
    if duration.is_zero() || duration > crate::limits::MAX_DURATION {
        return Err(here.err(
            ".traffic.duration",
            format!(
                "duration {} is out of range: above 0 and at most {}",
                t.duration,
                crate::limits::MAX_DURATION
            ),
        ));
    }
    let bad_url = || {
        here.err(
            ".traffic.url",
            format!("{:?} is not an http URL (http://HOST[:PORT][/PATH])", t.url),
        )
    };
    let rest = t.url.strip_prefix("http://").ok_or_else(bad_url)?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_owned()),
        None => (rest, "/".to_owned()),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad_url())?),
        None => (authority, 80),
    };
    if host.is_empty() {
        return Err(bad_url());
    }
    Ok(Action::Traffic(TrafficStep {
        spec: TrafficSpec {
            name: t.name.clone(),
            from,
            host: host.to_owned(),
            port,
            path,
            rate_per_sec: t.rate,
            duration,
        },
        url: t.url.clone(),
        max_failed: t.max_failed,
        max_failed_basis_points,
        min_failed: t.min_failed,
    }))
}

/// An `apply` step: `kubectl apply -f SOURCE [-n NS]` with its manifests read.
fn apply_action(
    ctx: &StepContext<'_>,
    apply: &serde_json::Value,
    namespace: Option<&str>,
    here: &StepPath<'_>,
) -> Result<Action, ScenarioError> {
    let (source, manifests) = apply_source(ctx, apply, &here.path, &here.at(".apply"))?;
    if manifests.is_empty() {
        return Err(here.err(".apply", "error: no objects passed to apply".into()));
    }
    let mut cli_line = format!("apply -f {source}");
    if let Some(ns) = namespace {
        cli_line.push_str(&format!(" -n {ns}"));
    }
    let cli = grammar::parse(&cli_line).map_err(|e| here.err(".apply", e.0))?;
    Ok(Action::Apply {
        source,
        command: Box::new(Prepared {
            line: cli_line,
            cli,
            manifests,
            files: Default::default(),
            edit_patch: None,
            stdin: None,
        }),
    })
}

/// A `delete` step: `kubectl delete TARGET... [-n NS]`.
fn delete_action(
    ctx: &StepContext<'_>,
    targets: &[String],
    namespace: Option<&str>,
    here: &StepPath<'_>,
) -> Result<Action, ScenarioError> {
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
    if let Some(ns) = namespace {
        cli_line.push_str(&format!(" -n {ns}"));
    }
    let err = |field: &str, msg: String| here.err(field, msg);
    Ok(Action::Kubectl(Box::new(prepare_kubectl(
        &cli_line,
        ctx.base,
        &here.at(".delete"),
        &err,
        ".delete",
    )?)))
}

/// A `kubectl` step, with the `patch` of an edit step.
fn kubectl_action(
    ctx: &StepContext<'_>,
    line: &str,
    patch: Option<&serde_json::Value>,
    input: Option<&str>,
    here: &StepPath<'_>,
) -> Result<Action, ScenarioError> {
    let err = |field: &str, msg: String| here.err(field, msg);
    let mut prepared = prepare_kubectl(line, ctx.base, &here.at(".kubectl"), &err, ".kubectl")?;
    if let Some(text) = input {
        match &prepared.cli.command {
            Command::Exec(a) if a.stdin => {}
            Command::Exec(_) => {
                return Err(err(".input", "input goes to the command's standard input: add -i (or -it for a terminal) to kubectl exec".into()))
            }
            _ => return Err(err(".input", "input goes with `kubectl: exec -i POD -- COMMAND` only".into())),
        }
        let lines = text.lines().count();
        if lines > sim_core::components::kubelet::MAX_INPUT_LINES {
            return Err(err(
                ".input",
                format!(
                    "{lines} lines of input; an exec step takes at most {}",
                    sim_core::components::kubelet::MAX_INPUT_LINES
                ),
            ));
        }
        prepared.stdin = Some(text.to_owned());
    }
    let is_edit = matches!(prepared.cli.command, Command::Edit(_));
    match (patch, is_edit) {
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
    Ok(Action::Kubectl(Box::new(prepared)))
}
