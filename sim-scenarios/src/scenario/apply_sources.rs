//! What an `apply` step applies: a file or directory path, inline YAML text,
//! one manifest or a list of them, read and checked at validation time.

use std::path::PathBuf;

use super::context::StepContext;
use crate::error::{Location, ScenarioError};
use crate::manifest::{self, ManifestObject};
use crate::yaml;

/// The source (a path, or `inline`) and the manifests of an `apply` step;
/// errors in a manifest file name that file, errors in inline YAML lines of
/// the scenario file.
pub(super) fn apply_source(
    ctx: &StepContext<'_>,
    apply: &serde_json::Value,
    step_path: &str,
    location: &Location,
) -> Result<(String, Vec<ManifestObject>), ScenarioError> {
    let (file, base) = (ctx.file, ctx.base);
    let apply_path = format!("{step_path}.apply");
    let origin = |path: String| Location {
        file: file.to_owned(),
        line: ctx.lines.line_of(&path),
        column: None,
        path: Some(path),
    };
    match apply {
        serde_json::Value::String(s) if !s.contains('\n') => {
            let objs = manifest::load_paths(&[PathBuf::from(s)], base, location, false)?;
            Ok((s.clone(), objs))
        }
        serde_json::Value::String(s) => {
            // Inline YAML: report lines as lines of the scenario file. In a
            // literal block (`apply: |`) line k of the text is k lines below
            // the `|`; in any other multi-line string, lines do not map, so
            // errors point at the string.
            let at = ctx.lines.locate(&yaml::split_path(&apply_path));
            let literal = at.filter(|&(line, column)| ctx.lines.char_at(line, column) == Some('|'));
            let offset = literal.map_or(0, |(line, _)| line);
            let objs = manifest::load_text(s, file, offset).map_err(|mut e| {
                if e.location.file == file {
                    e.location.column = None;
                    if e.location.path.is_none() {
                        e.location.path = Some(apply_path.clone());
                    }
                    if literal.is_none() {
                        e.location.line = at.map(|(line, _)| line);
                    }
                }
                e
            })?;
            Ok(("inline".into(), objs))
        }
        serde_json::Value::Object(_) => {
            let obj = manifest::decode(apply.clone(), origin(apply_path.clone()))?;
            Ok(("inline".into(), vec![obj]))
        }
        serde_json::Value::Array(items) => {
            let mut objs = Vec::new();
            for (i, item) in items.iter().enumerate() {
                objs.push(manifest::decode(
                    item.clone(),
                    origin(format!("{apply_path}[{i}]")),
                )?);
            }
            manifest::check_duplicates(&objs)?;
            Ok(("inline".into(), objs))
        }
        _ => Err(ScenarioError::new(
            origin(apply_path.clone()),
            "apply takes a file path, inline YAML text, a manifest, or a list of manifests",
        )),
    }
}
