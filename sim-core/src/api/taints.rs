//! Taints written as text: `key[=value]:Effect`, as `kubectl taint` and the
//! scenario's node pools take them.
//!
//! One parser for both, following kubectl's `pkg/cmd/taint/utils.go`
//! (`parseTaint`, `ParseTaints`, `validateTaintEffect`): the spec splits at
//! every `:` (more than one is invalid), the key part at every `=` (more
//! than one is invalid); the key must be a qualified name and the value a
//! valid label value; an empty value is no value (Go's `Taint.Value` is a
//! plain string). A trailing `-` removes a taint (`key-`, `key:Effect-`).

use k8s_openapi::api::core::v1::Taint;

use crate::api::validation::{is_qualified_name, is_valid_label_value};

/// The taint effects of v1.33.
pub const EFFECTS: [&str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/// Why a taint spec was refused; the text is kubectl's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TaintError {
    /// The spec's shape is wrong (too many `:` or `=`, a missing effect).
    #[error("invalid taint spec: {spec}")]
    Spec {
        /// The spec as written.
        spec: String,
    },
    /// The key or the value does not validate.
    #[error("invalid taint spec: {spec}, {reasons}")]
    Invalid {
        /// The spec as written.
        spec: String,
        /// The validation messages, joined with `; `.
        reasons: String,
    },
    /// The effect is not one of [`EFFECTS`].
    #[error("invalid taint effect: {effect}, unsupported taint effect")]
    Effect {
        /// The effect as written.
        effect: String,
    },
    /// Two taints to add share a key and an effect.
    #[error("duplicated taints with the same key and effect: {taint}")]
    Duplicate {
        /// The second taint, as Go's `%v` prints a `v1.Taint`.
        taint: String,
    },
}

/// Parses one taint (`parseTaint`): `key=value:Effect`, `key:Effect` or
/// `key` (no effect: only a removal may leave it out).
pub fn parse_taint(spec: &str) -> Result<Taint, TaintError> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (key, value, effect) = match parts.as_slice() {
        [key] => (*key, "", ""),
        [kv, effect] => {
            if !EFFECTS.contains(effect) {
                return Err(TaintError::Effect {
                    effect: (*effect).to_owned(),
                });
            }
            let kv: Vec<&str> = kv.split('=').collect();
            match kv.as_slice() {
                [key] => (*key, "", *effect),
                [key, value] => {
                    let errs = is_valid_label_value(value);
                    if !errs.is_empty() {
                        return Err(invalid(spec, &errs));
                    }
                    (*key, *value, *effect)
                }
                _ => return Err(spec_error(spec)),
            }
        }
        _ => return Err(spec_error(spec)),
    };
    let errs = is_qualified_name(key);
    if !errs.is_empty() {
        return Err(invalid(spec, &errs));
    }
    Ok(Taint {
        key: key.to_owned(),
        value: (!value.is_empty()).then(|| value.to_owned()),
        effect: effect.to_owned(),
        time_added: None,
    })
}

/// Parses one taint to add: as [`parse_taint`], and the effect is required.
pub fn parse_taint_to_add(spec: &str) -> Result<Taint, TaintError> {
    let taint = parse_taint(spec)?;
    if taint.effect.is_empty() {
        return Err(spec_error(spec));
    }
    Ok(taint)
}

/// Parses `kubectl taint`'s arguments (`ParseTaints`): the taints to add and
/// the taints to remove (key and, when given, effect).
pub fn parse_taints(specs: &[String]) -> Result<(Vec<Taint>, Vec<Taint>), TaintError> {
    let mut add: Vec<Taint> = Vec::new();
    let mut remove = Vec::new();
    for spec in specs {
        if let Some(body) = spec.strip_suffix('-') {
            let t = parse_taint(body)?;
            remove.push(Taint {
                key: t.key,
                value: None,
                effect: t.effect,
                time_added: None,
            });
            continue;
        }
        let t = parse_taint_to_add(spec)?;
        if add.iter().any(|a| a.key == t.key && a.effect == t.effect) {
            return Err(TaintError::Duplicate {
                taint: go_format(&t),
            });
        }
        add.push(t);
    }
    Ok((add, remove))
}

/// A taint as `Taint.ToString()` prints it: `key=value:Effect`, without the
/// parts that are empty.
pub fn to_spec(t: &Taint) -> String {
    let value = t.value.as_deref().unwrap_or("");
    match (value.is_empty(), t.effect.is_empty()) {
        (true, true) => t.key.clone(),
        (false, true) => format!("{}={value}:", t.key),
        (true, false) => format!("{}:{}", t.key, t.effect),
        (false, false) => format!("{}={value}:{}", t.key, t.effect),
    }
}

/// Go's `%v` of a `v1.Taint` (`&Taint{Key:...}` without the pointer).
fn go_format(t: &Taint) -> String {
    format!(
        "{{{} {} {} <nil>}}",
        t.key,
        t.value.as_deref().unwrap_or(""),
        t.effect
    )
}

fn spec_error(spec: &str) -> TaintError {
    TaintError::Spec {
        spec: spec.to_owned(),
    }
}

fn invalid(spec: &str, errs: &[String]) -> TaintError {
    TaintError::Invalid {
        spec: spec.to_owned(),
        reasons: errs.join("; "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(key: &str, value: Option<&str>, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: value.map(Into::into),
            effect: effect.into(),
            time_added: None,
        }
    }

    #[test]
    fn the_three_forms() {
        assert_eq!(
            parse_taint("dedicated=gpu:NoSchedule").unwrap(),
            t("dedicated", Some("gpu"), "NoSchedule")
        );
        assert_eq!(
            parse_taint("dedicated:NoExecute").unwrap(),
            t("dedicated", None, "NoExecute")
        );
        assert_eq!(parse_taint("dedicated").unwrap(), t("dedicated", None, ""));
        assert_eq!(
            parse_taint("example.com/gpu=:PreferNoSchedule").unwrap(),
            t("example.com/gpu", None, "PreferNoSchedule"),
            "an empty value is no value"
        );
    }

    #[test]
    fn every_colon_and_equals_counts() {
        // The same string reads the same for the scenario and for kubectl:
        // a second ':' or '=' is refused, not split at the first or last.
        assert_eq!(
            parse_taint("a:b:NoSchedule").unwrap_err().to_string(),
            "invalid taint spec: a:b:NoSchedule"
        );
        assert_eq!(
            parse_taint("a=b=c:NoSchedule").unwrap_err().to_string(),
            "invalid taint spec: a=b=c:NoSchedule"
        );
        assert_eq!(
            parse_taint("a=b:Sometimes").unwrap_err().to_string(),
            "invalid taint effect: Sometimes, unsupported taint effect"
        );
        assert!(parse_taint("=b:NoSchedule")
            .unwrap_err()
            .to_string()
            .starts_with("invalid taint spec: =b:NoSchedule, name part must be non-empty"));
        assert!(
            parse_taint("a=b c:NoSchedule").is_err(),
            "value must be a label value"
        );
    }

    #[test]
    fn adding_needs_an_effect_and_removing_does_not() {
        assert_eq!(
            parse_taint_to_add("a").unwrap_err().to_string(),
            "invalid taint spec: a"
        );
        // Without a ':' the whole spec is the key, and `a=b` is no key.
        assert!(parse_taint_to_add("a=b")
            .unwrap_err()
            .to_string()
            .starts_with("invalid taint spec: a=b, name part must consist of"));
        let specs: Vec<String> = ["a=b:NoSchedule", "c-", "d:NoExecute-"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (add, remove) = parse_taints(&specs).unwrap();
        assert_eq!(add, vec![t("a", Some("b"), "NoSchedule")]);
        assert_eq!(remove, vec![t("c", None, ""), t("d", None, "NoExecute")]);
        let dup: Vec<String> = ["a=b:NoSchedule", "a=c:NoSchedule"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            parse_taints(&dup).unwrap_err().to_string(),
            "duplicated taints with the same key and effect: {a c NoSchedule <nil>}"
        );
    }

    #[test]
    fn printing_round_trips() {
        for s in ["a=b:NoSchedule", "a:NoExecute", "a"] {
            assert_eq!(to_spec(&parse_taint(s).unwrap()), s);
        }
    }
}
