//! A step's kubectl line, parsed and checked as kubectl would check it, with
//! the files its `-f`, `--from-file` and `--from-env-file` flags name read
//! at validation time.

use std::path::{Path, PathBuf};

use crate::error::{Location, ScenarioError};
use crate::kubectl::grammar::{self, Command};
use crate::kubectl::prepared::Prepared;
use crate::kubectl::resources::resolve;
use crate::manifest;

pub(super) fn prepare_kubectl(
    line: &str,
    base: &Path,
    location: &Location,
    err: &dyn Fn(&str, String) -> ScenarioError,
    field: &str,
) -> Result<Prepared, ScenarioError> {
    let cli = grammar::parse(line).map_err(|e| err(field, e.0))?;
    let files: Vec<PathBuf> = match &cli.command {
        Command::Apply(a) => a.filenames.iter().map(PathBuf::from).collect(),
        Command::Create(c) => c.filenames.iter().map(PathBuf::from).collect(),
        Command::Delete(d) => d.filenames.iter().map(PathBuf::from).collect(),
        _ => Vec::new(),
    };
    let resources: Option<&Vec<String>> = match &cli.command {
        Command::Get(g) => Some(&g.resources),
        Command::Describe(d) => Some(&d.resources),
        Command::Delete(d) if !d.resources.is_empty() => Some(&d.resources),
        _ => None,
    };
    if let Some(r) = resources {
        resolve(r).map_err(|e| err(field, e.to_string()))?;
    }
    if let Command::Create(c) = &cli.command {
        if c.what.is_none() && c.filenames.is_empty() {
            return Err(err(field, "error: must specify one of -f and -k, or a subcommand such as namespace or deployment".into()));
        }
    }
    if let Command::Delete(d) = &cli.command {
        if d.resources.is_empty() && d.filenames.is_empty() {
            return Err(err(
                field,
                "error: You must provide one or more resources by argument or filename.".into(),
            ));
        }
    }
    if let Command::Delete(d) = &cli.command {
        if !matches!(
            d.cascade.as_str(),
            "background" | "foreground" | "orphan" | "true" | "false"
        ) {
            return Err(err(
                field,
                format!("error: invalid cascade value ({}). Must be \"background\", \"foreground\", or \"orphan\".", d.cascade),
            ));
        }
    }
    let recursive = matches!(&cli.command, Command::Apply(a) if a.recursive);
    let manifests = manifest::load_paths(&files, base, location, recursive)?;
    let verb = match &cli.command {
        Command::Apply(_) => Some("apply"),
        Command::Create(c) if c.what.is_none() => Some("create"),
        _ => None,
    };
    if let Some(verb) = verb {
        if manifests.is_empty() {
            return Err(err(field, format!("error: no objects passed to {verb}")));
        }
    }
    let files = crate::kubectl::commands::create::load_sources(&cli, base)
        .map_err(|e| err(field, e.to_string()))?;
    Ok(Prepared {
        line: line.to_owned(),
        cli,
        manifests,
        files,
        edit_patch: None,
        stdin: None,
    })
}
