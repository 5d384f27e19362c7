//! Label selectors: the `kubectl -l` string grammar, the `LabelSelector` API
//! type, matching and canonical printing.
//!
//! Follows `k8s.io/apimachinery/pkg/labels/selector.go` (v0.33: the lexer,
//! parser, `NewRequirement`, `Requirement.Matches` and `String`) and
//! `k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go`
//! (`LabelSelectorAsSelector`). Error messages are worded as the Go code
//! words them, since users compare them with real `kubectl` output.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::validation::{is_qualified_name, is_valid_label_value};

/// Why a selector could not be parsed or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// The selector string does not follow the grammar; the message is the
    /// Go parser's (e.g. "found ',', expected: identifier after ','").
    #[error("{message}")]
    Syntax {
        /// The Go-style message, saying what was found and what was expected.
        message: String,
    },
    /// A requirement has an invalid key, operator or values; the message is
    /// Go's aggregated field errors (e.g. `values[0][app]: Invalid value: "-x": ...`).
    #[error("{message}")]
    Invalid {
        /// The Go-style field error message(s).
        message: String,
    },
    /// A `matchExpressions` entry names an unknown operator.
    #[error("{operator:?} is not a valid label selector operator (expected one of In, NotIn, Exists, DoesNotExist)")]
    UnknownOperator {
        /// The operator as given.
        operator: String,
    },
}

/// The relation a requirement expresses between a label and its values
/// (Go `selection.Operator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operator {
    /// `key=value`
    Equals,
    /// `key==value`
    DoubleEquals,
    /// `key!=value`
    NotEquals,
    /// `key in (a,b)`
    In,
    /// `key notin (a,b)`
    NotIn,
    /// `key`
    Exists,
    /// `!key`
    DoesNotExist,
    /// `key>3` (integer comparison)
    GreaterThan,
    /// `key<3` (integer comparison)
    LessThan,
}

impl Operator {
    /// The Go `selection.Operator` string ("=", "in", "exists", "gt", ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => "in",
            Operator::NotIn => "notin",
            Operator::Exists => "exists",
            Operator::DoesNotExist => "!",
            Operator::GreaterThan => "gt",
            Operator::LessThan => "lt",
        }
    }
}

/// One condition on one label key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

/// Go's `%#v` rendering of a `[]string`, used in field error messages.
fn go_string_slice(values: &[String]) -> String {
    if values.is_empty() {
        return "[]string(nil)".to_string();
    }
    let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

/// Go `field.Invalid(path, value, detail).Error()` for a string value.
fn invalid_string(path: &str, value: &str, detail: &str) -> String {
    format!("{path}: Invalid value: {value:?}: {detail}")
}

/// Go `utilerrors.NewAggregate(errs).Error()`: one message as is, several
/// de-duplicated and bracketed.
fn aggregate(messages: Vec<String>) -> String {
    let mut seen = BTreeSet::new();
    let mut unique = Vec::new();
    for m in messages {
        if seen.insert(m.clone()) {
            unique.push(m);
        }
    }
    if unique.len() == 1 {
        unique.concat()
    } else {
        format!("[{}]", unique.join(", "))
    }
}

/// Parses like Go `strconv.ParseInt(s, 10, 64)`.
fn parse_go_int(s: &str) -> Option<i64> {
    s.parse::<i64>().ok()
}

impl Requirement {
    /// Builds a requirement, validating it as Go `NewRequirement` does: the
    /// key must be a qualified name; In/NotIn need at least one value;
    /// Equals/DoubleEquals/NotEquals exactly one; Exists/DoesNotExist none;
    /// Gt/Lt exactly one integer; every value must be a valid label value.
    pub fn new(
        key: &str,
        operator: Operator,
        values: Vec<String>,
    ) -> Result<Requirement, SelectorError> {
        let mut errs = Vec::new();
        let key_errs = is_qualified_name(key);
        if !key_errs.is_empty() {
            errs.push(invalid_string("key", key, &key_errs.join("; ")));
        }
        let invalid_values = |detail: &str| {
            format!(
                "values: Invalid value: {}: {detail}",
                go_string_slice(&values)
            )
        };
        match operator {
            Operator::In | Operator::NotIn => {
                if values.is_empty() {
                    errs.push(invalid_values(
                        "for 'in', 'notin' operators, values set can't be empty",
                    ));
                }
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals => {
                if values.len() != 1 {
                    errs.push(invalid_values(
                        "exact-match compatibility requires one single value",
                    ));
                }
            }
            Operator::Exists | Operator::DoesNotExist => {
                if !values.is_empty() {
                    errs.push(invalid_values(
                        "values set must be empty for exists and does not exist",
                    ));
                }
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    errs.push(invalid_values(
                        "for 'Gt', 'Lt' operators, exactly one value is required",
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    if parse_go_int(v).is_none() {
                        errs.push(invalid_string(
                            &format!("values[{i}]"),
                            v,
                            "for 'Gt', 'Lt' operators, the value must be an integer",
                        ));
                    }
                }
            }
        }
        for (i, v) in values.iter().enumerate() {
            let value_errs = is_valid_label_value(v);
            if !value_errs.is_empty() {
                errs.push(invalid_string(
                    &format!("values[{i}][{key}]"),
                    v,
                    &value_errs.join("; "),
                ));
            }
        }
        if errs.is_empty() {
            Ok(Requirement {
                key: key.to_string(),
                operator,
                values,
            })
        } else {
            Err(SelectorError::Invalid {
                message: aggregate(errs),
            })
        }
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values, in the order given.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    fn has_value(&self, value: &str) -> bool {
        self.values.iter().any(|v| v == value)
    }

    /// Whether the labels satisfy this requirement (Go `Requirement.Matches`).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let found = labels.get(&self.key);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => {
                found.is_some_and(|v| self.has_value(v))
            }
            Operator::NotIn | Operator::NotEquals => !found.is_some_and(|v| self.has_value(v)),
            Operator::Exists => found.is_some(),
            Operator::DoesNotExist => found.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(label_value) = found.and_then(|v| parse_go_int(v)) else {
                    return false;
                };
                let [wanted] = self.values.as_slice() else {
                    return false;
                };
                let Some(wanted) = parse_go_int(wanted) else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    label_value > wanted
                } else {
                    label_value < wanted
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    /// Go `Requirement.String`: "x in (a,b)", "!x", "x!=y", "x>3"; several
    /// values print sorted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let op = match self.operator {
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => " in ",
            Operator::NotIn => " notin ",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
        };
        f.write_str(op)?;
        let set_based = matches!(self.operator, Operator::In | Operator::NotIn);
        if set_based {
            f.write_str("(")?;
        }
        let mut sorted: Vec<&str> = self.values.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        f.write_str(&sorted.join(","))?;
        if set_based {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// A label selector: a conjunction of requirements, sorted by key; or the
/// special selector that matches nothing (a nil `LabelSelector`).
///
/// The default value is [`Selector::everything`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    requirements: Vec<Requirement>,
    nothing: bool,
}

// ---------------------------------------------------------------------------
// Lexer and parser (Go selector.go Lexer / Parser).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Error,
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

/// Go `string2token`.
fn literal_token(s: &[u8]) -> Option<Token> {
    Some(match s {
        b")" => Token::ClosedPar,
        b"," => Token::Comma,
        b"!" => Token::DoesNotExist,
        b"==" => Token::DoubleEquals,
        b"=" => Token::Equals,
        b">" => Token::GreaterThan,
        b"in" => Token::In,
        b"<" => Token::LessThan,
        b"!=" => Token::NotEquals,
        b"notin" => Token::NotIn,
        b"(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(ch: u8) -> bool {
    matches!(ch, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special_symbol(ch: u8) -> bool {
    matches!(ch, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    /// The next byte, or 0 at the end (as Go; a NUL byte also reads as 0).
    fn read(&mut self) -> u8 {
        match self.s.get(self.pos) {
            Some(b) => {
                self.pos += 1;
                *b
            }
            None => 0,
        }
    }

    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    fn scan_id_or_keyword(&mut self) -> (Token, String) {
        let mut buffer = Vec::new();
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if is_special_symbol(ch) || is_whitespace(ch) {
                self.unread();
                break;
            }
            buffer.push(ch);
        }
        let tok = literal_token(&buffer).unwrap_or(Token::Identifier);
        (tok, String::from_utf8_lossy(&buffer).into_owned())
    }

    fn scan_special_symbol(&mut self) -> (Token, String) {
        let mut last: Option<(Token, usize)> = None;
        let mut buffer = Vec::new();
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if !is_special_symbol(ch) {
                self.unread();
                break;
            }
            buffer.push(ch);
            if let Some(tok) = literal_token(&buffer) {
                last = Some((tok, buffer.len()));
            } else if last.is_some() {
                self.unread();
                break;
            }
        }
        match last {
            Some((tok, len)) => {
                let lit = buffer.get(..len).unwrap_or_default();
                (tok, String::from_utf8_lossy(lit).into_owned())
            }
            None => (
                Token::Error,
                format!(
                    "error expected: keyword found '{}'",
                    String::from_utf8_lossy(&buffer)
                ),
            ),
        }
    }

    fn lex(&mut self) -> (Token, String) {
        let mut ch = self.read();
        while is_whitespace(ch) {
            ch = self.read();
        }
        if ch == 0 {
            return (Token::EndOfString, String::new());
        }
        self.unread();
        if is_special_symbol(ch) {
            self.scan_special_symbol()
        } else {
            self.scan_id_or_keyword()
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser {
    items: Vec<(Token, String)>,
    position: usize,
}

fn syntax(message: String) -> SelectorError {
    SelectorError::Syntax { message }
}

impl Parser {
    fn new(input: &str) -> Parser {
        let mut lexer = Lexer {
            s: input.as_bytes(),
            pos: 0,
        };
        let mut items = Vec::new();
        loop {
            let (tok, lit) = lexer.lex();
            items.push((tok, lit));
            if tok == Token::EndOfString {
                break;
            }
        }
        Parser { items, position: 0 }
    }

    fn peek(&self, context: Context) -> (Token, String) {
        let (tok, lit) = self
            .items
            .get(self.position)
            .cloned()
            .unwrap_or((Token::EndOfString, String::new()));
        // 'in' and 'notin' are plain identifiers where values are expected.
        let tok = match (context, tok) {
            (Context::Values, Token::In | Token::NotIn) => Token::Identifier,
            _ => tok,
        };
        (tok, lit)
    }

    fn consume(&mut self, context: Context) -> (Token, String) {
        let item = self.peek(context);
        self.position += 1;
        item
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, SelectorError> {
        let mut requirements = Vec::new();
        loop {
            let (tok, lit) = self.peek(Context::Values);
            match tok {
                Token::Identifier | Token::DoesNotExist => {
                    let r = self
                        .parse_requirement()
                        .map_err(|e| syntax(format!("unable to parse requirement: {e}")))?;
                    requirements.push(r);
                    let (t, l) = self.consume(Context::Values);
                    match t {
                        Token::EndOfString => return Ok(requirements),
                        Token::Comma => {
                            let (t2, l2) = self.peek(Context::Values);
                            if t2 != Token::Identifier && t2 != Token::DoesNotExist {
                                return Err(syntax(format!(
                                    "found '{l2}', expected: identifier after ','"
                                )));
                            }
                        }
                        _ => {
                            return Err(syntax(format!(
                                "found '{l}', expected: ',' or 'end of string'"
                            )))
                        }
                    }
                }
                Token::EndOfString => return Ok(requirements),
                _ => {
                    return Err(syntax(format!(
                        "found '{lit}', expected: !, identifier, or 'end of string'"
                    )))
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, SelectorError> {
        let (key, inferred) = self.parse_key_and_infer_operator()?;
        if let Some(op) = inferred {
            return Requirement::new(&key, op, Vec::new());
        }
        let operator = self.parse_operator()?;
        let values: Vec<String> = match operator {
            Operator::In | Operator::NotIn => self.parse_values()?.into_iter().collect(),
            _ => vec![self.parse_exact_value()?],
        };
        Requirement::new(&key, operator, values)
    }

    fn parse_key_and_infer_operator(
        &mut self,
    ) -> Result<(String, Option<Operator>), SelectorError> {
        let mut operator = None;
        let (mut tok, mut literal) = self.consume(Context::Values);
        if tok == Token::DoesNotExist {
            operator = Some(Operator::DoesNotExist);
            (tok, literal) = self.consume(Context::Values);
        }
        if tok != Token::Identifier {
            return Err(syntax(format!("found '{literal}', expected: identifier")));
        }
        let key_errs = is_qualified_name(&literal);
        if !key_errs.is_empty() {
            // Go validates with a nil field path, which prints as "<nil>".
            return Err(SelectorError::Invalid {
                message: invalid_string("<nil>", &literal, &key_errs.join("; ")),
            });
        }
        let (next, _) = self.peek(Context::Values);
        if (next == Token::EndOfString || next == Token::Comma) && operator.is_none() {
            operator = Some(Operator::Exists);
        }
        Ok((literal, operator))
    }

    fn parse_operator(&mut self) -> Result<Operator, SelectorError> {
        let (tok, lit) = self.consume(Context::KeyAndOperator);
        Ok(match tok {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => {
                return Err(syntax(format!(
                    "found '{lit}', expected: in, notin, =, ==, !=, gt, lt"
                )))
            }
        })
    }

    fn parse_values(&mut self) -> Result<BTreeSet<String>, SelectorError> {
        let (tok, lit) = self.consume(Context::Values);
        if tok != Token::OpenPar {
            return Err(syntax(format!("found '{lit}' expected: '('")));
        }
        let (tok, lit) = self.peek(Context::Values);
        match tok {
            Token::Identifier | Token::Comma => {
                let set = self.parse_identifiers_list()?;
                let (tok, _) = self.consume(Context::Values);
                if tok != Token::ClosedPar {
                    return Err(syntax(format!("found '{lit}', expected: ')'")));
                }
                Ok(set)
            }
            Token::ClosedPar => {
                self.consume(Context::Values);
                Ok(BTreeSet::from([String::new()]))
            }
            _ => Err(syntax(format!(
                "found '{lit}', expected: ',', ')' or identifier"
            ))),
        }
    }

    fn parse_identifiers_list(&mut self) -> Result<BTreeSet<String>, SelectorError> {
        let mut set = BTreeSet::new();
        loop {
            let (tok, lit) = self.consume(Context::Values);
            match tok {
                Token::Identifier => {
                    set.insert(lit);
                    let (tok2, lit2) = self.peek(Context::Values);
                    match tok2 {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(set),
                        _ => return Err(syntax(format!("found '{lit2}', expected: ',' or ')'"))),
                    }
                }
                Token::Comma => {
                    // "(," ",)" and ",," all stand for the empty value.
                    if set.is_empty() {
                        set.insert(String::new());
                    }
                    let (tok2, _) = self.peek(Context::Values);
                    if tok2 == Token::ClosedPar {
                        set.insert(String::new());
                        return Ok(set);
                    }
                    if tok2 == Token::Comma {
                        self.consume(Context::Values);
                        set.insert(String::new());
                    }
                }
                _ => {
                    return Err(syntax(format!(
                        "found '{lit}', expected: ',', or identifier"
                    )))
                }
            }
        }
    }

    fn parse_exact_value(&mut self) -> Result<String, SelectorError> {
        let (tok, _) = self.peek(Context::Values);
        if tok == Token::EndOfString || tok == Token::Comma {
            return Ok(String::new());
        }
        let (tok, lit) = self.consume(Context::Values);
        if tok == Token::Identifier {
            Ok(lit)
        } else {
            Err(syntax(format!("found '{lit}', expected: identifier")))
        }
    }
}

impl Selector {
    /// The selector that matches every object (an empty selector).
    pub fn everything() -> Selector {
        Selector::default()
    }

    /// The selector that matches no object (what a nil `LabelSelector`
    /// means in Kubernetes).
    pub fn nothing() -> Selector {
        Selector {
            requirements: Vec::new(),
            nothing: true,
        }
    }

    /// Whether this selector places no restriction (Go `Empty`).
    pub fn is_everything(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }

    /// Whether this is the selector that matches nothing.
    pub fn matches_nothing(&self) -> bool {
        self.nothing
    }

    /// The requirements, sorted by key.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    fn from_requirements(mut requirements: Vec<Requirement>) -> Selector {
        // Stable sort by key, for a deterministic result (Go sort.Sort(ByKey)).
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Selector {
            requirements,
            nothing: false,
        }
    }

    /// Parses the `kubectl -l` syntax (Go `labels.Parse`), e.g.
    /// `app=web,tier!=db,env in (prod, staging),!canary,version>2`.
    /// The empty string is [`Selector::everything`].
    pub fn parse(input: &str) -> Result<Selector, SelectorError> {
        let requirements = Parser::new(input).parse()?;
        Ok(Selector::from_requirements(requirements))
    }

    /// The selector matching exactly the given labels (Go `SelectorFromSet`,
    /// validated like `ValidatedSelectorFromSet`); an empty map is
    /// everything.
    pub fn from_map(labels: &BTreeMap<String, String>) -> Result<Selector, SelectorError> {
        let requirements = labels
            .iter()
            .map(|(k, v)| Requirement::new(k, Operator::Equals, vec![v.clone()]))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Selector::from_requirements(requirements))
    }

    /// Converts the API type (Go `metav1.LabelSelectorAsSelector`):
    /// `matchLabels` become `key=value` requirements and `matchExpressions`
    /// use the operators In, NotIn, Exists and DoesNotExist. A selector with
    /// neither is everything; for the "nil selector matches nothing" rule,
    /// map `None` to [`Selector::nothing`] (see [`Selector::from_label_selector_opt`]).
    pub fn from_label_selector(selector: &LabelSelector) -> Result<Selector, SelectorError> {
        let mut requirements = Vec::new();
        for (k, v) in selector.match_labels.iter().flatten() {
            requirements.push(Requirement::new(k, Operator::Equals, vec![v.clone()])?);
        }
        for expr in selector.match_expressions.iter().flatten() {
            let operator = match expr.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => {
                    return Err(SelectorError::UnknownOperator {
                        operator: other.to_string(),
                    })
                }
            };
            let values = expr.values.clone().unwrap_or_default();
            requirements.push(Requirement::new(&expr.key, operator, values)?);
        }
        Ok(Selector::from_requirements(requirements))
    }

    /// Like [`Selector::from_label_selector`], with `None` (a nil selector)
    /// meaning [`Selector::nothing`], as in Kubernetes.
    pub fn from_label_selector_opt(
        selector: Option<&LabelSelector>,
    ) -> Result<Selector, SelectorError> {
        match selector {
            None => Ok(Selector::nothing()),
            Some(s) => Selector::from_label_selector(s),
        }
    }

    /// The selector with `matchLabelKeys` / `mismatchLabelKeys` merged in
    /// (pod affinity terms, topology spread constraints): for each key the
    /// owning pod has, `key in (its value)`, or `key notin (its value)`.
    /// Keys the pod lacks are ignored.
    pub fn with_label_keys(
        &self,
        labels: &BTreeMap<String, String>,
        match_keys: &[String],
        mismatch_keys: &[String],
    ) -> Selector {
        let requirements = [(match_keys, Operator::In), (mismatch_keys, Operator::NotIn)]
            .into_iter()
            .flat_map(|(keys, op)| keys.iter().map(move |k| (k, op)))
            .filter_map(|(k, op)| {
                let v = labels.get(k)?;
                Requirement::new(k, op, vec![v.clone()]).ok()
            })
            .collect();
        self.and(&Selector::from_requirements(requirements))
    }

    /// The conjunction of two selectors (Go `selector.Add(requirements...)`).
    pub fn and(&self, other: &Selector) -> Selector {
        let mut requirements = self.requirements.clone();
        requirements.extend(other.requirements.iter().cloned());
        let mut s = Selector::from_requirements(requirements);
        s.nothing = self.nothing || other.nothing;
        s
    }

    /// Whether the labels satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Like [`Selector::matches`], treating `None` as no labels.
    pub fn matches_opt(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        match labels {
            Some(l) => self.matches(l),
            None => self.matches(&BTreeMap::new()),
        }
    }

    /// The single value `label` must have, if the selector requires one
    /// (Go `RequiresExactMatch`: the first requirement on that key is `=`,
    /// `==` or `in` with exactly one value).
    pub fn requires_exact_match(&self, label: &str) -> Option<&str> {
        let r = self.requirements.iter().find(|r| r.key == label)?;
        match (r.operator, r.values.as_slice()) {
            (Operator::Equals | Operator::DoubleEquals | Operator::In, [v]) => Some(v.as_str()),
            _ => None,
        }
    }
}

impl fmt::Display for Selector {
    /// Go `String`: requirements joined by "," in key order, e.g.
    /// "app=web,env in (prod,staging),!canary". Both everything and nothing
    /// print as the empty string, as in Go.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Selector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Selector, SelectorError> {
        Selector::parse(s)
    }
}

#[cfg(test)]
mod tests;
