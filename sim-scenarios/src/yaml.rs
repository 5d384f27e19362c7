//! The only module that knows which YAML library kubesim uses.
//!
//! serde_yaml is deprecated; swapping it for a maintained fork means changing
//! this file alone. Everything else sees `serde_json::Value` documents with
//! the line each document starts on, [`YamlError`] with a position, and
//! [`locate`], which finds the line of a YAML path (`steps[2].expect.within`)
//! with the parser itself rather than by scanning lines.

use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IgnoredAny, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use serde::Deserialize;
use serde_json::Value;

use crate::suggest::closest;

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

/// Parses every document of a YAML stream. Empty documents (`---` alone, or
/// only comments) are skipped, as kubectl skips them.
pub fn parse_documents(text: &str) -> Result<Vec<Document>, YamlError> {
    let mut values = Vec::new();
    for (i, de) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let yaml = serde_yaml::Value::deserialize(de)
            .map_err(|e| YamlError::from_serde(&e, YamlErrorKind::Syntax))?;
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

/// The line of each document's root node (documents that parse).
fn root_lines(text: &str) -> Vec<Option<usize>> {
    let mut out = Vec::new();
    for de in serde_yaml::Deserializer::from_str(text) {
        match Locate(&[]).deserialize(de) {
            Ok(()) => out.push(None),
            Err(e) if is_here(&e) => out.push(e.location().map(|l| l.line())),
            // A syntax error: the parser would repeat it for every later document.
            Err(_) => break,
        }
    }
    out
}

/// Deserializes the one document of `text` into `T` (with serde's field
/// checks). Zero documents, or more than one, are errors of their own kind.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    // Pass one: syntax, and which document holds content.
    let mut content = Vec::new();
    for (i, de) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let yaml = serde_yaml::Value::deserialize(de)
            .map_err(|e| YamlError::from_serde(&e, YamlErrorKind::Syntax))?;
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

/// One step of a YAML path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSegment {
    /// A mapping key (`expect`, or `[nginx:1.14.2]`).
    Key(String),
    /// A sequence index (`[2]`); in a mapping, the key with that text.
    Index(usize),
}

/// Splits a YAML path as kubesim writes them: `steps[2].expect.within`,
/// `cluster.images[registry.k8s.io/pause:3.10].size`.
pub fn split_path(path: &str) -> Vec<PathSegment> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !cur.is_empty() {
                    out.push(PathSegment::Key(std::mem::take(&mut cur)));
                }
            }
            '[' => {
                if !cur.is_empty() {
                    out.push(PathSegment::Key(std::mem::take(&mut cur)));
                }
                let inner: String = chars.by_ref().take_while(|c| *c != ']').collect();
                out.push(match inner.parse::<usize>() {
                    Ok(i) => PathSegment::Index(i),
                    Err(_) => PathSegment::Key(inner),
                });
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(PathSegment::Key(cur));
    }
    out
}

/// The 1-based line and column of the node at `path` in the first document
/// of `text` that has it, found by the YAML parser (flow style, comments and
/// block scalars are no problem). `None` if the path is not there or the text
/// does not parse.
pub fn locate(text: &str, path: &[PathSegment]) -> Option<(usize, usize)> {
    for de in serde_yaml::Deserializer::from_str(text) {
        match Locate(path).deserialize(de) {
            Ok(()) => {}
            Err(e) if is_here(&e) => return e.location().map(|l| (l.line(), l.column())),
            Err(_) => return None,
        }
    }
    None
}

/// The 1-based line of a YAML path (`steps[2].expect.within`) in `text`; if the node is not
/// there (a default), the line of its nearest ancestor below the top level.
pub(crate) fn line_of(text: &str, path: &str) -> Option<usize> {
    let segments = split_path(path);
    (1..=segments.len())
        .rev()
        .find_map(|n| locate(text, &segments[..n]))
        .map(|(line, _)| line)
}

/// The message of the error that [`Locate`] raises at its target: serde_yaml
/// attaches the position of the node being visited to it.
const HERE: &str = "\u{1}kubesim: located\u{1}";

fn is_here(e: &serde_yaml::Error) -> bool {
    e.to_string().contains(HERE)
}

/// Walks a document along a path and fails with [`HERE`] at its target.
struct Locate<'a>(&'a [PathSegment]);

impl<'de> DeserializeSeed<'de> for Locate<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Locate<'_> {
    fn scalar<E: de::Error>(&self) -> Result<(), E> {
        if self.0.is_empty() {
            Err(E::custom(HERE))
        } else {
            Ok(())
        }
    }
}

impl<'de> Visitor<'de> for Locate<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.scalar()
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.scalar()
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        self.scalar()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.scalar()
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        self.scalar()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.scalar()
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.scalar()
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<(), E> {
        self.scalar()
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.scalar()
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.scalar()
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some((first, rest)) = self.0.split_first() else {
            return Err(de::Error::custom(HERE));
        };
        let PathSegment::Index(want) = first else {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        };
        let mut i = 0;
        loop {
            if i == *want {
                // Found or not, the rest of the sequence is left to serde_yaml.
                seq.next_element_seed(Locate(rest))?;
                return Ok(());
            }
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((first, rest)) = self.0.split_first() else {
            return Err(de::Error::custom(HERE));
        };
        let want = match first {
            PathSegment::Key(k) => k.clone(),
            PathSegment::Index(i) => i.to_string(),
        };
        while let Some(KeyText(key)) = map.next_key::<KeyText>()? {
            if key.as_deref() == Some(want.as_str()) {
                return map.next_value_seed(Locate(rest));
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        // A tagged node (`!tag value`): look inside the value.
        if self.0.is_empty() {
            return Err(de::Error::custom(HERE));
        }
        let (IgnoredAny, variant) = data.variant::<IgnoredAny>()?;
        variant.newtype_variant_seed(self)
    }
}

/// A mapping key as text (`None` for a key that is itself a collection).
struct KeyText(Option<String>);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = KeyText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping key")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<KeyText, E> {
        Ok(KeyText(Some(v.to_string())))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyText, E> {
        Ok(KeyText(Some(v.to_string())))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<KeyText, E> {
        Ok(KeyText(Some(v.to_string())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyText, E> {
        Ok(KeyText(Some(v.to_string())))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<KeyText, E> {
        Ok(KeyText(Some(v.to_string())))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<KeyText, E> {
        Ok(KeyText(Some(v.to_string())))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyText, E> {
        Ok(KeyText(Some(v.to_owned())))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<KeyText, E> {
        Ok(KeyText(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<KeyText, E> {
        Ok(KeyText(None))
    }

    fn visit_none<E: de::Error>(self) -> Result<KeyText, E> {
        Ok(KeyText(None))
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<KeyText, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<KeyText, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyText, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(KeyText(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeyText, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(KeyText(None))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<KeyText, A::Error> {
        let (IgnoredAny, variant) = data.variant::<IgnoredAny>()?;
        variant.newtype_variant::<IgnoredAny>()?;
        Ok(KeyText(None))
    }
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
pub fn to_string(value: &Value) -> String {
    serde_yaml::to_string(value).unwrap_or_default()
}

/// A YAML mapping that keeps the order it was written in (for fields whose
/// order matters, such as an image's environment).
pub type OrderedMapping = serde_yaml::Mapping;

/// The entries of an ordered mapping as scalar strings, in order; `None`
/// where a key or value is not a scalar (string, number or boolean).
pub fn scalar_entries(map: &OrderedMapping) -> Vec<(Option<String>, Option<String>)> {
    let scalar = |v: &serde_yaml::Value| match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    map.iter().map(|(k, v)| (scalar(k), scalar(v))).collect()
}

/// Parses one YAML (or JSON) value, as kubectl reads a `--patch` argument.
pub fn value_from_str(text: &str) -> Result<Value, YamlError> {
    from_str(text)
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
