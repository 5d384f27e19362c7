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

/// The 1-based line of a YAML path (`steps[2].expect.within`) in `text`; if
/// the node is not there (a default), the line of its nearest ancestor below
/// the top level. Parses the whole text: to look up many paths, build a
/// [`LineIndex`] once.
pub(crate) fn line_of(text: &str, path: &str) -> Option<usize> {
    LineIndex::new(text).line_of(path)
}

/// A YAML node's position and its children, as the index keeps them.
#[derive(Clone, Debug, Default)]
struct IndexNode {
    /// 1-based line and column where the node starts.
    at: (usize, usize),
    /// Sequence items, or mapping entries (key text, the key's position, the value).
    children: IndexChildren,
}

#[derive(Clone, Debug, Default)]
enum IndexChildren {
    #[default]
    None,
    Seq(Vec<IndexNode>),
    Map(Vec<(Option<String>, (usize, usize), IndexNode)>),
}

impl IndexNode {
    /// The node at `path` below this one.
    fn find(&self, path: &[PathSegment]) -> Option<&IndexNode> {
        self.entry(path).map(|(_, node)| node)
    }

    /// The node at `path` below this one, with the position of its key when
    /// it is a mapping value (the first entry of that key).
    fn entry(&self, path: &[PathSegment]) -> Option<(Option<(usize, usize)>, &IndexNode)> {
        let Some((first, rest)) = path.split_first() else {
            return Some((None, self));
        };
        let (key_at, child) = match (&self.children, first) {
            (IndexChildren::Seq(items), PathSegment::Index(i)) => (None, items.get(*i)?),
            (IndexChildren::Map(entries), seg) => {
                let want = match seg {
                    PathSegment::Key(k) => k.clone(),
                    PathSegment::Index(i) => i.to_string(),
                };
                let (_, key_at, node) = entries
                    .iter()
                    .find(|(k, _, _)| k.as_deref() == Some(want.as_str()))?;
                (Some(*key_at), node)
            }
            _ => return None,
        };
        if rest.is_empty() {
            Some((key_at, child))
        } else {
            child.entry(rest)
        }
    }
}

/// The position of every node of a YAML text, from one parse: looking up
/// the line of a path costs a walk down the path, not a parse of the text
/// (as [`locate`] does), so validating a scenario of many steps is linear.
/// When the indexing parser refuses a text that serde_yaml accepted, lookups
/// fall back to [`locate`]. Lines are always [`locate`]'s; the column of an
/// anchored or tagged node is that of its content rather than of its anchor.
#[derive(Debug)]
pub(crate) struct LineIndex<'t> {
    text: &'t str,
    /// The text's lines.
    lines: Vec<&'t str>,
    /// The root node of each document, in order; None if indexing failed.
    documents: Option<Vec<IndexNode>>,
    /// Lookups answered by [`locate`] instead of the index.
    fallbacks: std::cell::Cell<usize>,
}

impl<'t> LineIndex<'t> {
    /// Indexes `text` (one parse).
    pub(crate) fn new(text: &'t str) -> Self {
        let lines: Vec<&str> = text.lines().collect();
        let mut builder = IndexBuilder {
            lines: lines.clone(),
            ..IndexBuilder::default()
        };
        let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
        let documents = parser
            .load(&mut builder, true)
            .ok()
            .filter(|()| builder.stack.is_empty())
            .map(|()| builder.documents);
        Self {
            text,
            lines,
            documents,
            fallbacks: std::cell::Cell::new(0),
        }
    }

    /// The character at a 1-based line and column.
    pub(crate) fn char_at(&self, line: usize, column: usize) -> Option<char> {
        self.lines
            .get(line.checked_sub(1)?)?
            .chars()
            .nth(column.checked_sub(1)?)
    }

    /// The 1-based line and column of the node at `path` in the first
    /// document that has it, as [`locate`] finds it.
    pub(crate) fn locate(&self, path: &[PathSegment]) -> Option<(usize, usize)> {
        match &self.documents {
            Some(docs) => docs.iter().find_map(|d| d.find(path)).map(|n| n.at),
            None => {
                self.fallbacks.set(self.fallbacks.get() + 1);
                locate(self.text, path)
            }
        }
    }

    /// The 1-based line of a YAML path; if the node is not there (a
    /// default), the line of its nearest ancestor below the top level.
    pub(crate) fn line_of(&self, path: &str) -> Option<usize> {
        let segments = split_path(path);
        (1..=segments.len())
            .rev()
            .find_map(|n| self.locate(&segments[..n]))
            .map(|(line, _)| line)
    }

    /// The position of the second `key` of the mapping that starts at
    /// `mapping` (serde_yaml reports a duplicate key there).
    pub(crate) fn duplicate_key(
        &self,
        mapping: (usize, usize),
        key: &str,
    ) -> Option<(usize, usize)> {
        fn walk(node: &IndexNode, mapping: (usize, usize), key: &str) -> Option<(usize, usize)> {
            match &node.children {
                IndexChildren::Map(entries) => {
                    if node.at == mapping {
                        let second = entries
                            .iter()
                            .filter(|(k, _, _)| k.as_deref() == Some(key))
                            .nth(1);
                        if let Some((_, at, _)) = second {
                            return Some(*at);
                        }
                    }
                    entries.iter().find_map(|(_, _, v)| walk(v, mapping, key))
                }
                IndexChildren::Seq(items) => items.iter().find_map(|v| walk(v, mapping, key)),
                IndexChildren::None => None,
            }
        }
        self.documents
            .as_ref()?
            .iter()
            .find_map(|d| walk(d, mapping, key))
    }

    /// How many lookups the index could not answer (for tests).
    #[cfg(test)]
    fn fallbacks(&self) -> usize {
        self.fallbacks.get()
    }
}

/// Builds the index from the parser's events.
#[derive(Default)]
struct IndexBuilder<'t> {
    /// The text's lines (to tell a flow collection from a block one).
    lines: Vec<&'t str>,
    documents: Vec<IndexNode>,
    /// Open collections.
    stack: Vec<OpenNode>,
    /// Anchored nodes, by anchor id (an alias is where its anchor is).
    anchors: std::collections::BTreeMap<usize, IndexNode>,
}

/// A collection whose end has not been read yet.
struct OpenNode {
    node: IndexNode,
    /// For a mapping: the key read, waiting for its value.
    pending_key: Option<(Option<String>, (usize, usize))>,
    /// Its anchor id (0: none).
    anchor: usize,
}

impl IndexBuilder<'_> {
    /// True when the text at a position opens a flow collection of that
    /// kind (`{` for a mapping, `[` for a sequence).
    fn opens_flow(&self, (line, column): (usize, usize), mapping: bool) -> bool {
        let open = if mapping { '{' } else { '[' };
        self.lines
            .get(line.wrapping_sub(1))
            .and_then(|l| l.chars().nth(column.wrapping_sub(1)))
            .is_some_and(|c| c == open)
    }

    /// Where a block scalar starts as libyaml says: at its `|` or `>`
    /// indicator (the parser marks its first content line). The indicator is
    /// on the last non-blank line before the content.
    fn block_indicator(&self, content: (usize, usize)) -> Option<(usize, usize)> {
        let header = (1..content.0)
            .rev()
            .find(|&l| self.lines.get(l - 1).is_some_and(|t| !t.trim().is_empty()))?;
        let text = self.lines.get(header - 1)?;
        let mut prev = ' ';
        for (i, c) in text.chars().enumerate() {
            if (c == '|' || c == '>') && prev.is_whitespace() {
                return Some((header, i + 1));
            }
            prev = c;
        }
        None
    }

    /// The `-` of a block sequence entry at or before a position on its line.
    fn dash_before(&self, (line, column): (usize, usize)) -> Option<(usize, usize)> {
        let chars: Vec<char> = self.lines.get(line.wrapping_sub(1))?.chars().collect();
        (0..column.min(chars.len()))
            .rev()
            .find(|&i| chars[i] == '-' && chars.get(i + 1).is_none_or(|c| c.is_whitespace()))
            .map(|i| (line, i + 1))
    }

    /// Attaches a finished node to the open collection (or ends a document).
    fn attach(&mut self, node: IndexNode, key_text: Option<String>) {
        let Some(open) = self.stack.last_mut() else {
            self.documents.push(node);
            return;
        };
        match &mut open.node.children {
            IndexChildren::Seq(items) => items.push(node),
            IndexChildren::Map(entries) => match open.pending_key.take() {
                None => open.pending_key = Some((key_text, node.at)),
                Some((key, key_at)) => entries.push((key, key_at, node)),
            },
            IndexChildren::None => {}
        }
    }
}

impl yaml_rust2::parser::MarkedEventReceiver for IndexBuilder<'_> {
    fn on_event(&mut self, ev: yaml_rust2::Event, mark: yaml_rust2::scanner::Marker) {
        use yaml_rust2::Event;
        let at = (mark.line(), mark.col() + 1);
        let leaf = IndexNode {
            at,
            children: IndexChildren::None,
        };
        match ev {
            Event::Scalar(value, style, anchor, _) => {
                let mut leaf = leaf;
                if matches!(
                    style,
                    yaml_rust2::scanner::TScalarStyle::Literal
                        | yaml_rust2::scanner::TScalarStyle::Folded
                ) {
                    leaf.at = self.block_indicator(at).unwrap_or(at);
                }
                if anchor > 0 {
                    self.anchors.insert(anchor, leaf.clone());
                }
                // A plain `~`, `null` or empty scalar as a key has no text.
                let text = (style != yaml_rust2::scanner::TScalarStyle::Plain
                    || !matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL"))
                .then_some(value);
                self.attach(leaf, text);
            }
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().unwrap_or(leaf);
                self.attach(node, None);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let children = if matches!(ev, Event::SequenceStart(..)) {
                    IndexChildren::Seq(Vec::new())
                } else {
                    IndexChildren::Map(Vec::new())
                };
                self.stack.push(OpenNode {
                    node: IndexNode { at, children },
                    pending_key: None,
                    anchor,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(mut open) = self.stack.pop() {
                    // A block collection starts where libyaml says: at its
                    // first entry (the parser marks it after that entry's key).
                    let mapping = matches!(open.node.children, IndexChildren::Map(_));
                    if !self.opens_flow(open.node.at, mapping) {
                        let first = match &open.node.children {
                            IndexChildren::Map(entries) => entries.first().map(|(_, at, _)| *at),
                            // An indentless sequence (`key:` then `- item`
                            // at the key's indentation) is marked at its
                            // first item's content: libyaml marks its `-`.
                            IndexChildren::Seq(_) => self.dash_before(open.node.at),
                            IndexChildren::None => None,
                        };
                        if let Some(first) = first {
                            open.node.at = first;
                        }
                    }
                    if open.anchor > 0 {
                        self.anchors.insert(open.anchor, open.node.clone());
                    }
                    self.attach(open.node, None);
                }
            }
            _ => {}
        }
    }
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
