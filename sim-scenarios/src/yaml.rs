//! The only module that knows which YAML library kubesim uses.
//!
//! serde_yaml is deprecated; swapping it for a maintained fork means changing
//! this file alone. Everything else sees `serde_json::Value` documents with
//! the line each document starts on, and [`YamlError`] with a position.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// A YAML syntax or shape error, with its position when known.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl YamlError {
    fn from_serde(e: &serde_yaml::Error, line_offset: usize) -> Self {
        let loc = e.location();
        let mut message = e.to_string();
        // serde_yaml appends " at line L column C"; the position is reported separately.
        if let Some(i) = message.find(" at line ") {
            message.truncate(i);
        }
        Self {
            line: loc.as_ref().map(|l| l.line() + line_offset),
            column: loc.as_ref().map(serde_yaml::Location::column),
            message,
        }
    }
}

/// One document of a multi-document YAML stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// The document as JSON.
    pub value: Value,
    /// The 1-based line where the document starts.
    pub line: usize,
}

/// Lines (1-based) where each document of `text` starts.
fn document_start_lines(text: &str) -> Vec<usize> {
    let mut starts = vec![1];
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("---")
            && (line.len() == 3 || line[3..].starts_with(char::is_whitespace))
        {
            starts.push(i + 2);
        }
    }
    starts
}

/// Parses every document of a YAML stream. Empty documents (`---` alone, or
/// only comments) are skipped, as kubectl skips them.
pub fn parse_documents(text: &str) -> Result<Vec<Document>, YamlError> {
    let starts = document_start_lines(text);
    let mut docs = Vec::new();
    for (i, de) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let yaml: serde_yaml::Value =
            serde::Deserialize::deserialize(de).map_err(|e| YamlError::from_serde(&e, 0))?;
        if yaml.is_null() {
            continue;
        }
        let value = to_json(yaml).map_err(|message| YamlError {
            line: starts.get(i).copied(),
            column: None,
            message,
        })?;
        let line = starts.get(i).copied().unwrap_or(1);
        // A document starting with "---" begins on the line after the marker; skip leading blank/comment lines.
        let line = first_content_line(text, line);
        docs.push(Document { value, line });
    }
    Ok(docs)
}

fn first_content_line(text: &str, from: usize) -> usize {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && t != "---"
        })
        .map_or(from, |(i, _)| i + 1)
}

fn to_json(yaml: serde_yaml::Value) -> Result<Value, String> {
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
                    .ok_or_else(|| format!("number {f} is not representable"))?
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
                    other => return Err(format!("mapping keys must be strings, found {other:?}")),
                };
                out.insert(key, to_json(v)?);
            }
            Value::Object(out)
        }
        serde_yaml::Value::Tagged(t) => to_json(t.value)?,
    })
}

/// Deserializes one YAML document into `T` (with serde's field checks).
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_yaml::from_str(text).map_err(|e| YamlError::from_serde(&e, 0))
}

/// Renders a JSON value as YAML, as `kubectl get -o yaml` prints it.
pub fn to_string(value: &Value) -> String {
    serde_yaml::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_carry_their_start_lines() {
        let text = "a: 1\n---\n# comment\nb: 2\n---\n---\nc: 3\n";
        let docs = parse_documents(text).unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs.iter().map(|d| d.line).collect::<Vec<_>>(), [1, 4, 7]);
        assert_eq!(docs[1].value, serde_json::json!({"b": 2}));
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let err = parse_documents("a: 1\nb: [1, 2\n").unwrap_err();
        assert!(err.line.is_some(), "{err:?}");
    }
}
