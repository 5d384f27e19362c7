//! The only module that knows which YAML libraries kubesim uses: serde_yaml
//! for values, yaml-rust2 for the positions of the line index.
//!
//! serde_yaml is deprecated; swapping it for a maintained fork means changing
//! this module alone. Everything else sees `serde_json::Value` documents with
//! the line each document starts on, [`YamlError`] with a position, and
//! `locate` and `LineIndex`, which find the line of a YAML path
//! (`steps[2].expect.within`) with a parser rather than by scanning lines.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::suggest::closest;

mod line_index;
mod locate;

pub(crate) use line_index::{line_of, LineIndex};
use locate::root_lines;
pub(crate) use locate::split_path;

/// What kind of problem a [`YamlError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YamlErrorKind {
    /// The text is not valid YAML (syntax, unknown anchor, nesting too deep).
    Syntax,
    /// Valid YAML of the wrong shape (unknown field, wrong type, missing field).
    Shape,
    /// No document at all (empty, or only comments and `---`).
    Empty,
    /// More than one document where one is expected.
    MultipleDocuments,
}

/// A YAML syntax or shape error, with its position when known.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// What kind of problem.
    pub kind: YamlErrorKind,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl YamlError {
    /// serde_yaml reports a duplicate key at the mapping that holds it: moves
    /// the error to the duplicate key's own line and column.
    fn at_duplicate_key(mut self, text: &str) -> Self {
        const DUPLICATE: &str = "duplicate entry with key ";
        let (Some(line), Some(column)) = (self.line, self.column) else {
            return self;
        };
        let Some(i) = self.message.find(DUPLICATE) else {
            return self;
        };
        let quoted = &self.message[i + DUPLICATE.len()..];
        let key = quoted
            .strip_prefix('"')
            .and_then(|q| q.rfind('"').map(|j| q[..j].replace("\\\"", "\"")))
            .unwrap_or_else(|| quoted.to_owned());
        if let Some((l, c)) = LineIndex::new(text).duplicate_key((line, column), &key) {
            self.line = Some(l);
            self.column = Some(c);
        }
        self
    }

    fn from_serde(e: &serde_yaml::Error, kind: YamlErrorKind) -> Self {
        let loc = e.location();
        let mut message = e.to_string();
        // serde_yaml appends " at line L column C" for the position, which is
        // reported separately; a second position (libyaml's context, as in
        // "while scanning a quoted scalar at line 4 column 14") stays.
        if let Some(l) = &loc {
            let suffix = format!(" at line {} column {}", l.line(), l.column());
            if let Some(i) = message.find(&suffix) {
                message.replace_range(i..i + suffix.len(), "");
            }
        }
        if kind == YamlErrorKind::Shape {
            if let Some(hint) = unknown_field_hint(&message) {
                message.push_str(&hint);
            }
        }
        Self {
            kind,
            line: loc.as_ref().map(serde_yaml::Location::line),
            column: loc.as_ref().map(serde_yaml::Location::column),
            message,
        }
    }
}

/// For serde's "unknown field `withn`, expected one of `a`, `b`", a
/// "; did you mean `within`?" when one expected name is close.
fn unknown_field_hint(message: &str) -> Option<String> {
    let rest = &message[message.find("unknown field `")? + "unknown field `".len()..];
    let (found, rest) = rest.split_once('`')?;
    let expected = rest.split_once("expected")?.1;
    let limit = if found.chars().count() <= 4 { 1 } else { 2 };
    let best = closest(found, expected.split('`').skip(1).step_by(2), limit)?;
    Some(format!("; did you mean `{best}`?"))
}

/// One document of a multi-document YAML stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// The document as JSON.
    pub value: Value,
    /// The 1-based line where the document's content starts.
    pub line: usize,
}

/// `text` without the byte-order mark YAML allows at the start of a stream.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Parses every document of a YAML stream. Empty documents (`---` alone, or
/// only comments) are skipped, as kubectl skips them.
pub fn parse_documents(text: &str) -> Result<Vec<Document>, YamlError> {
    let text = strip_bom(text);
    let mut values = Vec::new();
    for (i, de) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let yaml = serde_yaml::Value::deserialize(de)
            .map_err(|e| YamlError::from_serde(&e, YamlErrorKind::Syntax).at_duplicate_key(text))?;
        if !yaml.is_null() {
            values.push((i, yaml));
        }
    }
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let roots = root_lines(text);
    let mut docs = Vec::new();
    for (i, yaml) in values {
        let line = roots.get(i).copied().flatten().unwrap_or(1);
        let value = to_json(yaml).map_err(|e| YamlError {
            kind: YamlErrorKind::Shape,
            line: Some(line),
            column: None,
            message: e.to_string(),
        })?;
        docs.push(Document { value, line });
    }
    Ok(docs)
}

/// Deserializes the one document of `text` into `T` (with serde's field
/// checks). Zero documents, or more than one, are errors of their own kind.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    let text = strip_bom(text);
    // Pass one: syntax, and which document holds content.
    let mut content = Vec::new();
    for (i, de) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let yaml = serde_yaml::Value::deserialize(de)
            .map_err(|e| YamlError::from_serde(&e, YamlErrorKind::Syntax).at_duplicate_key(text))?;
        if !yaml.is_null() {
            content.push(i);
        }
    }
    let index = match content.as_slice() {
        [] => {
            return Err(YamlError {
                kind: YamlErrorKind::Empty,
                line: None,
                column: None,
                message: "no YAML document (the text is empty or only comments)".into(),
            })
        }
        [one] => *one,
        [_, second, ..] => {
            let line = root_lines(text).get(*second).copied().flatten();
            return Err(YamlError {
                kind: YamlErrorKind::MultipleDocuments,
                line,
                column: None,
                message: format!(
                    "found {} YAML documents (separated by ---) where one is expected",
                    content.len()
                ),
            });
        }
    };
    // Pass two: the typed value, from that document (positions stay those of the whole text).
    let Some(de) = serde_yaml::Deserializer::from_str(text).nth(index) else {
        return Err(YamlError {
            kind: YamlErrorKind::Syntax,
            line: None,
            column: None,
            message: "the YAML document could not be read again".into(),
        });
    };
    T::deserialize(de).map_err(|e| YamlError::from_serde(&e, YamlErrorKind::Shape))
}

/// YAML that has no JSON form.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
enum ToJsonError {
    /// A float JSON cannot hold (`.inf`, `.nan`).
    #[error("number {0} is not representable")]
    Number(f64),
    /// A mapping key that is a collection or null.
    #[error("mapping keys must be strings, found {0}")]
    Key(String),
}

fn to_json(yaml: serde_yaml::Value) -> Result<Value, ToJsonError> {
    Ok(match yaml {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(b),
        serde_yaml::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(0.0);
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or(ToJsonError::Number(f))?
            }
        }
        serde_yaml::Value::String(s) => Value::String(s),
        serde_yaml::Value::Sequence(seq) => {
            Value::Array(seq.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        serde_yaml::Value::Mapping(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let key = match k {
                    serde_yaml::Value::String(s) => s,
                    serde_yaml::Value::Number(n) => n.to_string(),
                    serde_yaml::Value::Bool(b) => b.to_string(),
                    other => return Err(ToJsonError::Key(format!("{other:?}"))),
                };
                out.insert(key, to_json(v)?);
            }
            Value::Object(out)
        }
        serde_yaml::Value::Tagged(t) => to_json(t.value)?,
    })
}

/// Renders a JSON value as YAML, as `kubectl get -o yaml` prints it.
pub(crate) fn to_string(value: &Value) -> String {
    serde_yaml::to_string(value).unwrap_or_default()
}

/// A YAML mapping that keeps the order it was written in (for fields whose
/// order matters, such as an image's environment).
pub(crate) type OrderedMapping = serde_yaml::Mapping;

/// The entries of an ordered mapping as scalar strings, in order; `None`
/// where a key or value is not a scalar (string, number or boolean).
pub(crate) fn scalar_entries(map: &OrderedMapping) -> Vec<(Option<String>, Option<String>)> {
    let scalar = |v: &serde_yaml::Value| match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    map.iter().map(|(k, v)| (scalar(k), scalar(v))).collect()
}

/// Parses one YAML (or JSON) value, as kubectl reads a `--patch` argument.
pub(crate) fn value_from_str(text: &str) -> Result<Value, YamlError> {
    from_str(text)
}

#[cfg(test)]
mod tests {
    use super::locate::{locate, PathSegment};
    use super::*;

    #[test]
    fn documents_carry_their_start_lines() {
        let text = "a: 1\n---\n# comment\nb: 2\n---\n---\nc: 3\n";
        let docs = parse_documents(text).unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs.iter().map(|d| d.line).collect::<Vec<_>>(), [1, 4, 7]);
        assert_eq!(docs[1].value, serde_json::json!({"b": 2}));
        // A leading marker is not an extra document.
        let docs = parse_documents("---\na: 1\n---\n\n# c\nb: 2\n").unwrap();
        assert_eq!(docs.iter().map(|d| d.line).collect::<Vec<_>>(), [2, 6]);
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let err = parse_documents("a: 1\nb: [1, 2\n").unwrap_err();
        assert!(err.line.is_some(), "{err:?}");
        assert_eq!(err.kind, YamlErrorKind::Syntax);
    }

    #[test]
    fn paths_are_located_by_the_parser() {
        let text = "name: x\nsteps:\n  # - wait: 9s\n  - kubectl: get pods\n  - {wait: 1s}\n  -\n    expect:\n      object: pod/x\n      within: 5x\n";
        let at = |p: &str| locate(text, &split_path(p)).map(|(l, _)| l);
        assert_eq!(at("steps[0]"), Some(4));
        assert_eq!(at("steps[1]"), Some(5));
        assert_eq!(at("steps[1].wait"), Some(5));
        assert_eq!(at("steps[2].expect.within"), Some(9));
        assert_eq!(at("steps[3]"), None);
        assert_eq!(at("name"), Some(1));
        let flow = "name: x\nsteps: [{wait: 1s},\n  {kubectl: gte pods}]\n";
        assert_eq!(
            locate(flow, &split_path("steps[1].kubectl")).map(|(l, _)| l),
            Some(3)
        );
    }

    /// Every path of `text`, down to `depth` levels.
    fn all_paths(
        value: &serde_json::Value,
        prefix: Vec<PathSegment>,
        out: &mut Vec<Vec<PathSegment>>,
    ) {
        match value {
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    let mut p = prefix.clone();
                    p.push(PathSegment::Index(i));
                    out.push(p.clone());
                    all_paths(v, p, out);
                }
            }
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let mut p = prefix.clone();
                    p.push(PathSegment::Key(k.clone()));
                    out.push(p.clone());
                    all_paths(v, p, out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn the_index_finds_what_the_parser_finds() {
        let texts = [
            "name: x\nsteps:\n  # - wait: 9s\n  - kubectl: get pods\n  - {wait: 1s}\n  -\n    expect:\n      object: pod/x\n      within: 5x\n",
            "name: x\nsteps: [{wait: 1s},\n  {kubectl: gte pods}]\n",
            "a: &x {b: 1, c: [1, 2]}\nd: *x\n'e f': \"g\"\nh: |\n  text\n  more\ni: >-\n  folded\n---\nj: [k, {l: m}]\n",
            "cluster:\n  images:\n    registry.k8s.io/pause:3.10:\n      size: 1M\n  nodes:\n  - name: a\n    labels: {x: y}\n  -   name: b\n      taints:\n        - k=v:NoSchedule\n",
            "steps:\n- apply: |\n    apiVersion: v1\n    kind: Pod\n- apply:\n    apiVersion: v1\n    kind: Namespace\n    metadata: {name: a}\n",
        ];
        for text in texts {
            let index = LineIndex::new(text);
            let mut paths = Vec::new();
            for doc in parse_documents(text).unwrap() {
                all_paths(&doc.value, Vec::new(), &mut paths);
            }
            assert!(!paths.is_empty());
            for p in &paths {
                let (mine, theirs) = (index.locate(p), locate(text, p));
                if text.contains(['&', '!']) {
                    // The column of an anchored or tagged node is that of
                    // its content, not of its anchor: lines agree.
                    assert_eq!(mine.map(|a| a.0), theirs.map(|a| a.0), "{p:?} in {text:?}");
                } else {
                    assert_eq!(mine, theirs, "{p:?} in {text:?}");
                }
            }
            assert_eq!(index.fallbacks(), 0, "{text:?}");
        }
    }

    /// The YAML files under `dir`, recursively, in name order.
    fn yaml_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                yaml_files(&p, out);
            } else if p.extension().is_some_and(|e| e == "yaml") {
                out.push(p);
            }
        }
    }

    #[test]
    fn the_index_agrees_on_every_shipped_file() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        yaml_files(&root.join("scenarios"), &mut files);
        yaml_files(&root.join("tests/fixtures"), &mut files);
        assert!(files.len() > 20, "{files:?}");
        for f in files {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            let Ok(docs) = parse_documents(&text) else {
                continue;
            };
            let index = LineIndex::new(&text);
            let single = docs.len() == 1;
            let mut paths = Vec::new();
            for doc in docs {
                all_paths(&doc.value, Vec::new(), &mut paths);
            }
            for p in &paths {
                if single {
                    assert_eq!(
                        index.locate(p),
                        locate(&text, p),
                        "{p:?} in {}",
                        f.display()
                    );
                } else {
                    // locate gives up on a later document once an earlier
                    // one has part of the path; the index does not.
                    assert!(index.locate(p).is_some(), "{p:?} in {}", f.display());
                }
            }
            assert_eq!(index.fallbacks(), 0, "{}", f.display());
        }
    }

    #[test]
    fn many_lookups_use_the_index() {
        let mut text = String::from("name: big\nsteps:\n");
        for i in 0..20_000 {
            text.push_str(&format!("  - name: step {i}\n    wait: 1s\n"));
        }
        let index = LineIndex::new(&text);
        for i in (0..20_000).step_by(997) {
            assert_eq!(index.line_of(&format!("steps[{i}].wait")), Some(4 + 2 * i));
            // A missing field: the line of the step.
            assert_eq!(index.line_of(&format!("steps[{i}].at")), Some(3 + 2 * i));
        }
        assert_eq!(index.fallbacks(), 0);
    }

    #[test]
    fn duplicate_keys_are_found_at_their_own_line() {
        let text = "name: x\nsteps:\n  - wait: 1s\n    name: a\n    wait: 2s\n";
        let index = LineIndex::new(text);
        assert_eq!(index.duplicate_key((3, 5), "wait"), Some((5, 5)));
        assert_eq!(index.duplicate_key((3, 5), "name"), None);
        let e = from_str::<serde_json::Value>(text).unwrap_err();
        assert_eq!((e.line, e.column), (Some(5), Some(5)), "{e:?}");
        assert!(
            e.message.contains("duplicate entry with key \"wait\""),
            "{e:?}"
        );
        let e = parse_documents("a: 1\n---\nb: {c: 1,\n  c: 2}\n").unwrap_err();
        assert_eq!((e.line, e.column), (Some(4), Some(3)), "{e:?}");
    }

    #[test]
    fn paths_split_on_dots_outside_brackets() {
        assert_eq!(
            split_path("cluster.images[registry.k8s.io/pause:3.10].size"),
            vec![
                PathSegment::Key("cluster".into()),
                PathSegment::Key("images".into()),
                PathSegment::Key("registry.k8s.io/pause:3.10".into()),
                PathSegment::Key("size".into()),
            ]
        );
        assert_eq!(
            split_path("steps[2].expect"),
            vec![
                PathSegment::Key("steps".into()),
                PathSegment::Index(2),
                PathSegment::Key("expect".into()),
            ]
        );
    }

    #[test]
    fn one_document_is_expected() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct T {
            a: i32,
        }
        assert_eq!(
            from_str::<T>("# nothing\n").unwrap_err().kind,
            YamlErrorKind::Empty
        );
        let e = from_str::<T>("a: 1\n---\na: 2\n").unwrap_err();
        assert_eq!(
            (e.kind, e.line),
            (YamlErrorKind::MultipleDocuments, Some(3))
        );
        assert_eq!(from_str::<T>("a: 1\n---\n").unwrap().a, 1);
        let e = from_str::<T>("---\n# c\nb: 1\n").unwrap_err();
        assert_eq!((e.kind, e.line), (YamlErrorKind::Shape, Some(3)));
        assert!(e.message.contains("unknown field `b`"), "{e:?}");
    }

    #[test]
    fn close_field_names_are_suggested() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct T {
            within: Option<String>,
            object: Option<String>,
        }
        let e = from_str::<T>("withn: 1m\n").unwrap_err();
        assert!(e.message.ends_with("; did you mean `within`?"), "{e:?}");
        let e = from_str::<T>("zzz: 1m\n").unwrap_err();
        assert!(!e.message.contains("did you mean"), "{e:?}");
    }
}
