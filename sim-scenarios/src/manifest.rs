//! Manifests: Kubernetes YAML (files, directories or inline text), decoded
//! into API objects and checked as the API server would check them, so that
//! a broken manifest is refused before the run with its file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sim_core::api::{Kind, Object};

use crate::error::{Location, ScenarioError};
use crate::files::{self, Entry, FileError};
use crate::yaml;

/// One object from a manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct ManifestObject {
    /// The decoded object.
    pub object: Object,
    /// The document as written (for `last-applied-configuration`).
    pub json: Value,
    /// Where it was written.
    pub origin: Location,
}

/// Reads every object of the files named by `-f` (files or directories;
/// directories contribute their `.yaml`, `.yml` and `.json` files in name
/// order). Paths are relative to `base` (the scenario's directory); a path
/// that does not exist is reported at `referenced_from`, in kubectl's words.
pub(crate) fn load_paths(
    paths: &[PathBuf],
    base: &Path,
    referenced_from: &Location,
    recursive: bool,
) -> Result<Vec<ManifestObject>, ScenarioError> {
    let mut out = Vec::new();
    for p in paths {
        let full = if p.is_absolute() {
            p.clone()
        } else {
            base.join(p)
        };
        let entry = files::entry(&full).map_err(|e| {
            let message = match e {
                FileError::Missing => format!(
                    "error: the path \"{}\" does not exist (looked for {}; manifest paths are relative to the scenario file)",
                    p.display(),
                    full.display()
                ),
                other => format!(
                    "error: the path \"{}\" ({}) cannot be read: {other}; expected a manifest file or a directory of manifests",
                    p.display(),
                    full.display()
                ),
            };
            ScenarioError::new(referenced_from.clone(), message)
        })?;
        let files = if entry == Entry::Directory {
            manifest_files(&full, recursive).map_err(|e| {
                ScenarioError::new(
                    referenced_from.clone(),
                    format!("cannot read directory {}: {e}", full.display()),
                )
            })?
        } else {
            vec![full]
        };
        for file in files {
            let text = files::read_yaml_text(&file).map_err(|e| {
                let why = match e {
                    FileError::NotUtf8 => {
                        "it is not UTF-8 text; expected a YAML or JSON manifest".to_owned()
                    }
                    FileError::Special(_) => {
                        format!("it {e}; expected a YAML or JSON manifest")
                    }
                    other => other.to_string(),
                };
                ScenarioError::new(
                    referenced_from.clone(),
                    format!("error: cannot read manifest \"{}\": {why}", file.display()),
                )
            })?;
            out.extend(load_text(&text, &file, 0)?);
        }
    }
    check_duplicates(&out)?;
    Ok(out)
}

/// The manifest files of a directory (`.yaml`, `.yml`, `.json`) in name order;
/// with `recursive` (`kubectl apply -R`), those of its subdirectories too.
fn manifest_files(dir: &Path, recursive: bool) -> std::io::Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let mut out = Vec::new();
    for p in entries {
        if p.is_dir() {
            if recursive {
                out.extend(manifest_files(&p, true)?);
            }
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Reads every object of a YAML text; `line_offset` is added to line numbers
/// (for YAML inlined in a scenario).
pub(crate) fn load_text(
    text: &str,
    file: &Path,
    line_offset: usize,
) -> Result<Vec<ManifestObject>, ScenarioError> {
    let text = yaml::strip_bom(text);
    let docs = yaml::parse_documents(text).map_err(|e| {
        ScenarioError::new(
            Location {
                file: file.to_owned(),
                line: e.line.map(|l| l + line_offset),
                column: e.column,
                path: None,
            },
            match e.kind {
                yaml::YamlErrorKind::Syntax => {
                    format!("invalid YAML: {}", shift_lines(&e.message, line_offset))
                }
                _ => format!("error converting YAML to JSON: {}", e.message),
            },
        )
    })?;
    let mut out = Vec::new();
    for doc in docs {
        let origin = Location {
            file: file.to_owned(),
            line: Some(doc.line + line_offset),
            column: None,
            path: None,
        };
        out.push(decode(doc.value, origin)?);
    }
    check_duplicates(&out)?;
    Ok(out)
}

/// Rewrites the positions inside a YAML error message ("while parsing a flow
/// sequence at line 8 column 12") as lines of the enclosing file, for YAML
/// inlined `offset` lines down (columns are dropped: the inline text is
/// indented).
fn shift_lines(message: &str, offset: usize) -> String {
    if offset == 0 {
        return message.to_owned();
    }
    let mut out = String::new();
    let mut rest = message;
    while let Some(i) = rest.find(" at line ") {
        let (head, tail) = rest.split_at(i + " at line ".len());
        out.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        match tail[..digits].parse::<usize>() {
            Ok(n) => {
                out.push_str(&(n + offset).to_string());
                rest = &tail[digits..];
                if let Some(after) = rest.strip_prefix(" column ") {
                    let d = after.chars().take_while(char::is_ascii_digit).count();
                    rest = &after[d..];
                }
            }
            Err(_) => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// Decodes one manifest document.
pub(crate) fn decode(value: Value, origin: Location) -> Result<ManifestObject, ScenarioError> {
    let err = |msg: String| ScenarioError::new(origin.clone(), msg);
    let Some(map) = value.as_object() else {
        return Err(err(
            "a manifest must be a mapping with apiVersion, kind and metadata".into(),
        ));
    };
    let api_version = map.get("apiVersion").and_then(Value::as_str);
    let kind = map.get("kind").and_then(Value::as_str);
    let (api_version, kind) = match (api_version, kind) {
        (Some(a), Some(k)) => (a, k),
        (a, k) => {
            let mut missing = Vec::new();
            if a.is_none() {
                missing.push("apiVersion not set");
            }
            if k.is_none() {
                missing.push("kind not set");
            }
            return Err(err(format!(
                "error validating data: [{}]",
                missing.join(", ")
            )));
        }
    };
    let Some(k) = Kind::from_api_version_kind(api_version, kind) else {
        let hint = match Kind::from_kind_name(kind) {
            Some(known) => format!(
                " (kubesim knows {kind} as apiVersion {})",
                known.api_version()
            ),
            None => format!(
                " (kubesim supports: {})",
                Kind::ALL
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return Err(err(format!(
            "no matches for kind \"{kind}\" in version \"{api_version}\"{hint}"
        )));
    };
    let object = k.decode(&value).map_err(|e| {
        // The Decode variant's text already starts "cannot be handled as a ...".
        let detail = match e {
            sim_core::api::strict::StrictError::Decode { message, .. } => message,
            other => other.to_string(),
        };
        err(format!(
            "{kind} in version \"{api_version}\" cannot be handled as a {kind}: {detail}"
        ))
    })?;
    // The API server's validation, on a defaulted copy (what a create would check).
    let mut probe = object.clone();
    if probe.name().is_empty()
        && probe
            .meta()
            .generate_name
            .as_deref()
            .is_some_and(|g| !g.is_empty())
    {
        let base = probe.meta().generate_name.clone().unwrap_or_default();
        probe.meta_mut().name = Some(format!("{base}xxxxx"));
    }
    sim_core::apiserver::defaults::apply(&mut probe);
    if let Err(e) = sim_core::apiserver::validation::validate_create(&probe) {
        return Err(err(format!("error when creating: {}", e.message)));
    }
    Ok(ManifestObject {
        object,
        json: value,
        origin,
    })
}

/// Refuses two objects of the same kind, namespace and name in one apply.
pub(crate) fn check_duplicates(objects: &[ManifestObject]) -> Result<(), ScenarioError> {
    let mut seen: BTreeMap<(Kind, String, String), &Location> = BTreeMap::new();
    for m in objects {
        if m.object.name().is_empty() {
            continue;
        }
        let key = (
            m.object.kind(),
            m.object.namespace().to_owned(),
            m.object.name().to_owned(),
        );
        if let Some(first) = seen.insert(key, &m.origin) {
            return Err(ScenarioError::new(
                m.origin.clone(),
                format!(
                    "duplicate object: {} \"{}\" is also defined at {first}; each object may appear once per apply",
                    m.object.kind().singular(),
                    m.object.name()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Vec<ManifestObject>, ScenarioError> {
        load_text(text, Path::new("m.yaml"), 0)
    }

    #[test]
    fn multi_document_manifests_decode() {
        let objs = load("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx\n").unwrap();
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[1].origin.line, Some(6));
    }

    #[test]
    fn unknown_fields_are_refused_with_their_path() {
        let e = load("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    imagee: nginx\n").unwrap_err();
        assert!(
            e.message
                .contains("unknown field \"spec.containers[0].imagee\""),
            "{e}"
        );
        assert_eq!(e.location.line, Some(1));
    }

    #[test]
    fn unknown_kinds_and_bad_quantities_are_refused() {
        let e = load("apiVersion: v1\nkind: Widget\nmetadata:\n  name: w\n").unwrap_err();
        assert!(
            e.message
                .contains("no matches for kind \"Widget\" in version \"v1\""),
            "{e}"
        );
        let e = load("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx\n    resources:\n      requests:\n        cpu: 2x\n").unwrap_err();
        assert!(
            e.message
                .contains("spec.containers[0].resources.requests[cpu]: Invalid value: \"2x\""),
            "{e}"
        );
    }

    #[test]
    fn inline_positions_become_file_lines() {
        assert_eq!(
            shift_lines("x, while parsing a flow sequence at line 8 column 12", 4),
            "x, while parsing a flow sequence at line 12"
        );
        assert_eq!(shift_lines("at line 3 column 1", 0), "at line 3 column 1");
        let e = load_text("a: [1\n", Path::new("s.yaml"), 10).unwrap_err();
        assert!(e.location.line.is_some_and(|l| l > 10), "{e}");
    }

    #[test]
    fn duplicates_are_refused() {
        let doc = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n";
        let e = load(&format!("{doc}---\n{doc}")).unwrap_err();
        assert!(
            e.message.starts_with("duplicate object: namespace \"a\""),
            "{e}"
        );
        assert_eq!(e.location.line, Some(6));
    }
}
