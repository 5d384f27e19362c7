//! Field selectors (`--field-selector spec.nodeName=node-1,status.phase!=Running`):
//! parsing with Kubernetes' escaping rules, matching and canonical printing.
//!
//! Follows `k8s.io/apimachinery/pkg/fields/selector.go` (v0.33):
//! `ParseSelector`, `splitTerms`, `splitTerm`, `UnescapeValue`,
//! `EscapeValue`, `RequiresExactMatch` and `String`. Terms are sorted by
//! their text, so the result is deterministic; a term "=" (empty field and
//! value) is dropped, as Go's identity transform does.

use std::fmt;

/// Why a field selector could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldSelectorError {
    /// A term has no `=`, `==` or `!=` operator.
    #[error("invalid selector: '{selector}'; can't understand '{term}' (expected terms of the form field=value, field==value or field!=value, separated by commas)")]
    MissingOperator {
        /// The whole selector.
        selector: String,
        /// The term without an operator.
        term: String,
    },
    /// A backslash is followed by something other than `\`, `,` or `=`.
    #[error("invalid field selector: invalid escape sequence: {sequence} (expected one of \\\\, \\, or \\=)")]
    InvalidEscape {
        /// The offending sequence, e.g. `\n` or a lone `\`.
        sequence: String,
    },
    /// A value contains an `=` (or `,`) that is not escaped.
    #[error("invalid field selector: unescaped character in value: {} (expected {character:?} to be escaped as \\{character})", u32::from(*character))]
    UnescapedCharacter {
        /// The character that must be escaped.
        character: char,
    },
}

/// The comparison a field requirement makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FieldOperator {
    /// `field=value` or `field==value`.
    Equals,
    /// `field!=value`.
    NotEquals,
}

/// One `field=value` or `field!=value` term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRequirement {
    field: String,
    operator: FieldOperator,
    value: String,
}

impl FieldRequirement {
    /// The field path, e.g. "spec.nodeName".
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The operator.
    pub fn operator(&self) -> FieldOperator {
        self.operator
    }

    /// The (unescaped) value.
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// A conjunction of field requirements. The default value matches
/// everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldSelector {
    requirements: Vec<FieldRequirement>,
}

/// Escapes `\`, `,` and `=` in a value with a backslash (Go `EscapeValue`).
pub fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Reverses [`escape_value`], refusing unknown escapes and unescaped `,` or
/// `=` (Go `UnescapeValue`).
pub fn unescape_value(value: &str) -> Result<String, FieldSelectorError> {
    let mut out = String::with_capacity(value.len());
    let mut in_slash = false;
    for c in value.chars() {
        if in_slash {
            if !matches!(c, '\\' | ',' | '=') {
                return Err(FieldSelectorError::InvalidEscape {
                    sequence: format!("\\{c}"),
                });
            }
            out.push(c);
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            ',' | '=' => return Err(FieldSelectorError::UnescapedCharacter { character: c }),
            _ => out.push(c),
        }
    }
    if in_slash {
        return Err(FieldSelectorError::InvalidEscape {
            sequence: "\\".to_string(),
        });
    }
    Ok(out)
}

/// Splits on commas not preceded by a backslash escape (Go `splitTerms`).
fn split_terms(selector: &str) -> Vec<&str> {
    if selector.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in selector.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(selector.get(start..i).unwrap_or_default());
            start = i + 1;
        }
    }
    terms.push(selector.get(start..).unwrap_or_default());
    terms
}

/// Splits a term at its leftmost operator, trying "!=", "==" then "=" at
/// each position (Go `splitTerm`).
fn split_term(term: &str) -> Option<(&str, FieldOperator, &str)> {
    for (i, _) in term.char_indices() {
        let lhs = term.get(..i)?;
        let remaining = term.get(i..)?;
        for (op, operator) in [
            ("!=", FieldOperator::NotEquals),
            ("==", FieldOperator::Equals),
            ("=", FieldOperator::Equals),
        ] {
            if let Some(rhs) = remaining.strip_prefix(op) {
                return Some((lhs, operator, rhs));
            }
        }
    }
    None
}

impl FieldSelector {
    /// The selector that matches everything.
    pub fn everything() -> FieldSelector {
        FieldSelector::default()
    }

    /// Whether this selector places no restriction.
    pub fn is_everything(&self) -> bool {
        self.requirements.is_empty()
    }

    /// A selector with the single term `field=value`
    /// (Go `OneTermEqualSelector`).
    pub fn one_term_equal(field: &str, value: &str) -> FieldSelector {
        FieldSelector {
            requirements: vec![FieldRequirement {
                field: field.to_string(),
                operator: FieldOperator::Equals,
                value: value.to_string(),
            }],
        }
    }

    /// Parses `f=v`, `f==v` and `f!=v` terms joined by commas
    /// (Go `fields.ParseSelector`). In values, `\\`, `\,` and `\=` stand for
    /// `\`, `,` and `=`. The empty string is [`FieldSelector::everything`].
    pub fn parse(selector: &str) -> Result<FieldSelector, FieldSelectorError> {
        let mut parts = split_terms(selector);
        parts.sort_unstable();
        let mut requirements = Vec::new();
        for part in parts {
            if part.is_empty() {
                continue;
            }
            let (field, operator, rhs) =
                split_term(part).ok_or_else(|| FieldSelectorError::MissingOperator {
                    selector: selector.to_string(),
                    term: part.to_string(),
                })?;
            let value = unescape_value(rhs)?;
            if field.is_empty() && value.is_empty() {
                // Go's identity transform turns this term into Everything.
                continue;
            }
            requirements.push(FieldRequirement {
                field: field.to_string(),
                operator,
                value,
            });
        }
        Ok(FieldSelector { requirements })
    }

    /// The requirements, in parse order (sorted by term text).
    pub fn requirements(&self) -> &[FieldRequirement] {
        &self.requirements
    }

    /// The field names used, in order (with repeats), so callers can reject
    /// fields their kind does not support before matching.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.requirements.iter().map(|r| r.field.as_str())
    }

    /// The value of the first `field=value` term on `field`, if any
    /// (Go `RequiresExactMatch`); used to index watches by `spec.nodeName`.
    pub fn exact_match(&self, field: &str) -> Option<&str> {
        self.requirements
            .iter()
            .find(|r| r.operator == FieldOperator::Equals && r.field == field)
            .map(|r| r.value.as_str())
    }

    /// Whether an object matches. `get` returns the value of a field for the
    /// object, or `None` when the field is not supported for its kind; a
    /// term on an unsupported field never matches (callers are expected to
    /// reject such selectors first, see [`FieldSelector::fields`]).
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.requirements.iter().all(|r| match get(&r.field) {
            None => false,
            Some(v) => match r.operator {
                FieldOperator::Equals => v == r.value,
                FieldOperator::NotEquals => v != r.value,
            },
        })
    }
}

impl fmt::Display for FieldSelector {
    /// Go `String`: terms joined by ",", values escaped, "==" written as "=".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let op = match r.operator {
                FieldOperator::Equals => "=",
                FieldOperator::NotEquals => "!=",
            };
            write!(f, "{}{op}{}", r.field, escape_value(&r.value))?;
        }
        Ok(())
    }
}

impl std::str::FromStr for FieldSelector {
    type Err = FieldSelectorError;

    fn from_str(s: &str) -> Result<FieldSelector, FieldSelectorError> {
        FieldSelector::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn fs(s: &str) -> FieldSelector {
        match FieldSelector::parse(s) {
            Ok(v) => v,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    fn getter(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |f: &str| map.get(f).cloned()
    }

    #[test]
    fn parse_and_restring() {
        // selector_test.go TestSelectorParse and TestSelectorParseWithEscapes.
        let cases: &[(&str, &str)] = &[
            ("", ""),
            ("x=a,y=b,z=c", "x=a,y=b,z=c"),
            ("x!=a,y=b", "x!=a,y=b"),
            ("x=", "x="),
            ("x= ", "x= "),
            ("x=,z= ", "x=,z= "),
            ("x= ,z= ", "x= ,z= "),
            ("z=c,x=a", "x=a,z=c"),
            ("x==a", "x=a"),
            ("x=a\\,b", "x=a\\,b"),
            ("x=a\\=b", "x=a\\=b"),
            ("x=a\\\\b", "x=a\\\\b"),
            ("x=!b", "x=!b"),
            ("=", ""),
            (",", ""),
            ("=b", "=b"),
            (
                "spec.nodeName=node-1,status.phase!=Running",
                "spec.nodeName=node-1,status.phase!=Running",
            ),
            (
                "metadata.name=a\\,b,metadata.namespace=default",
                "metadata.name=a\\,b,metadata.namespace=default",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(fs(input).to_string(), *want, "parsing {input:?}");
        }
    }

    #[test]
    fn escaping() {
        // selector_test.go TestEscapeValue.
        for (unescaped, escaped) in [
            ("", ""),
            ("a", "a"),
            ("=", "\\="),
            (",", "\\,"),
            ("\\", "\\\\"),
            ("\\=\\,\\", "\\\\\\=\\\\\\,\\\\"),
        ] {
            assert_eq!(escape_value(unescaped), escaped);
            assert_eq!(unescape_value(escaped).as_deref(), Ok(unescaped));
        }
        assert_eq!(fs("x=a\\=b").requirements()[0].value(), "a=b");
        assert_eq!(fs("x=a\\,b").requirements()[0].value(), "a,b");
        assert_eq!(fs("x=a\\\\b").requirements()[0].value(), "a\\b");
    }

    #[test]
    fn errors() {
        let msg = |s: &str| match FieldSelector::parse(s) {
            Ok(v) => panic!("{s:?} should fail, got {v:?}"),
            Err(e) => e.to_string(),
        };
        assert!(msg("x").starts_with("invalid selector: 'x'; can't understand 'x'"));
        assert!(msg("a=b,c").starts_with("invalid selector: 'a=b,c'; can't understand 'c'"));
        assert!(msg("x=a\\b").starts_with("invalid field selector: invalid escape sequence: \\b"));
        assert!(msg("x=a\\").starts_with("invalid field selector: invalid escape sequence: \\ "));
        assert!(msg("x=a\\!").starts_with("invalid field selector: invalid escape sequence: \\!"));
        assert_eq!(
            msg("x=a=b"),
            "invalid field selector: unescaped character in value: 61 (expected '=' to be escaped as \\=)"
        );
        assert!(FieldSelector::parse("a!b").is_err());
        assert!(msg("a,=").starts_with("invalid selector: 'a,='; can't understand 'a'"));
        assert!(msg("x=a==").contains("unescaped character in value: 61"));
    }

    #[test]
    fn matching() {
        let pod = getter(&[
            ("metadata.name", "web-1"),
            ("metadata.namespace", "default"),
            ("spec.nodeName", ""),
            ("status.phase", "Pending"),
        ]);
        assert!(fs("").matches(&pod));
        assert!(fs("metadata.name=web-1").matches(&pod));
        assert!(fs("metadata.name==web-1").matches(&pod));
        assert!(!fs("metadata.name=web-2").matches(&pod));
        assert!(fs("spec.nodeName=").matches(&pod));
        assert!(!fs("spec.nodeName!=").matches(&pod));
        assert!(fs("status.phase!=Running,metadata.namespace=default").matches(&pod));
        assert!(!fs("status.phase!=Pending,metadata.namespace=default").matches(&pod));
        // Unsupported fields never match.
        assert!(!fs("spec.bogus=x").matches(&pod));
        assert!(!fs("spec.bogus!=x").matches(&pod));
    }

    #[test]
    fn introspection() {
        let s = fs("status.phase!=Running,spec.nodeName=node-1");
        let fields: Vec<&str> = s.fields().collect();
        assert_eq!(fields, ["spec.nodeName", "status.phase"]);
        assert_eq!(s.exact_match("spec.nodeName"), Some("node-1"));
        assert_eq!(s.exact_match("status.phase"), None);
        assert_eq!(s.exact_match("metadata.name"), None);
        assert_eq!(fs("spec.nodeName==").exact_match("spec.nodeName"), Some(""));
        assert!(FieldSelector::everything().is_everything());
        assert!(fs("").is_everything());
        assert!(fs(",,").is_everything());
        assert!(!fs("a=b").is_everything());
        let one = FieldSelector::one_term_equal("spec.nodeName", "n,1");
        assert_eq!(one.to_string(), "spec.nodeName=n\\,1");
        assert_eq!(fs(&one.to_string()), one);
        assert_eq!(s.requirements()[1].operator(), FieldOperator::NotEquals);
        assert_eq!(s.requirements()[0].field(), "spec.nodeName");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in any::<String>()) {
            if let Ok(v) = FieldSelector::parse(&s) {
                let _ = v.to_string();
                let _ = v.matches(|_| Some(String::new()));
            }
        }

        #[test]
        fn escape_round_trips(v in any::<String>()) {
            prop_assert_eq!(unescape_value(&escape_value(&v)), Ok(v));
        }

        #[test]
        fn one_term_round_trips(field in "[a-z.]{1,12}", value in any::<String>()) {
            let s = FieldSelector::one_term_equal(&field, &value);
            prop_assert_eq!(FieldSelector::parse(&s.to_string()), Ok(s));
        }
    }
}
