//! The line of every node of a YAML text, from one parse (yaml-rust2's
//! events carry positions, where serde_yaml gives one only with an error):
//! looking up the line of a path costs a walk down the path, so validating a
//! scenario of many steps is linear, not quadratic.

use super::locate::{locate, split_path, PathSegment};

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
    pub(super) fn fallbacks(&self) -> usize {
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
