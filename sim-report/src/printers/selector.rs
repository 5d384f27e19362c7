//! Label selectors as text: `metav1.LabelSelectorAsSelector(selector).String()`
//! and `metav1.FormatLabelSelector`
//! (`k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go`,
//! `k8s.io/apimachinery/pkg/labels/selector.go`), for the SELECTOR columns
//! of `kubectl get` and the selectors `kubectl describe` prints.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// Why a label selector has no text form: the requirement errors of
/// `labels.NewRequirement` that `metav1.LabelSelectorAsSelector` returns
/// (label syntax is not validated, so these are the only ones).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LabelSelectorError {
    /// An `In` or `NotIn` expression without values.
    #[error("for 'in', 'notin' operators, values set can't be empty: {key}")]
    MissingValues {
        /// The expression's key.
        key: String,
    },
    /// An `Exists` or `DoesNotExist` expression with values.
    #[error("values set must be empty for exists and does not exist: {key}")]
    UnexpectedValues {
        /// The expression's key.
        key: String,
    },
    /// An operator other than `In`, `NotIn`, `Exists` and `DoesNotExist`.
    #[error("{operator:?} is not a valid label selector operator")]
    InvalidOperator {
        /// The operator as written.
        operator: String,
    },
}

/// `metav1.LabelSelectorAsSelector(selector).String()`: requirements sorted
/// by key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`; `""` for a
/// missing or empty selector; a [`LabelSelectorError`] for an invalid one
/// (unknown operator or wrong number of values; label syntax is not
/// validated).
pub(crate) fn label_selector_string(
    selector: Option<&LabelSelector>,
) -> Result<String, LabelSelectorError> {
    let Some(sel) = selector else {
        return Ok(String::new());
    };
    // (key, rendered requirement) in insertion order, then stably sorted by
    // key as `selector.Add` does (Go's sort.Sort is stable below 13 items).
    let mut reqs: Vec<(String, String)> = Vec::new();
    if let Some(ml) = &sel.match_labels {
        for (k, v) in ml {
            reqs.push((k.clone(), format!("{k}={v}")));
        }
    }
    for expr in sel.match_expressions.iter().flatten() {
        let mut values = expr.values.clone().unwrap_or_default();
        values.sort();
        let k = &expr.key;
        let rendered = match expr.operator.as_str() {
            "In" | "NotIn" => {
                if values.is_empty() {
                    return Err(LabelSelectorError::MissingValues { key: k.clone() });
                }
                let op = if expr.operator == "In" { "in" } else { "notin" };
                format!("{k} {op} ({})", values.join(","))
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    return Err(LabelSelectorError::UnexpectedValues { key: k.clone() });
                }
                if expr.operator == "Exists" {
                    k.clone()
                } else {
                    format!("!{k}")
                }
            }
            other => {
                return Err(LabelSelectorError::InvalidOperator {
                    operator: other.to_string(),
                })
            }
        };
        reqs.push((k.clone(), rendered));
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(reqs
        .into_iter()
        .map(|(_, r)| r)
        .collect::<Vec<_>>()
        .join(","))
}

/// `metav1.FormatLabelSelector`: like [`label_selector_string`] but `<none>`
/// when empty and `<error>` when invalid.
pub(crate) fn format_label_selector(selector: Option<&LabelSelector>) -> String {
    match label_selector_string(selector) {
        Ok(s) if s.is_empty() => "<none>".to_string(),
        Ok(s) => s,
        Err(_) => "<error>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printers::test_fixtures::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    #[test]
    fn selectors() {
        let sel = LabelSelector {
            match_labels: labels(&[("tier", "web"), ("app", "x")]),
            match_expressions: Some(vec![
                LabelSelectorRequirement {
                    key: "env".into(),
                    operator: "In".into(),
                    values: Some(vec!["prod".into(), "dev".into()]),
                },
                LabelSelectorRequirement {
                    key: "canary".into(),
                    operator: "DoesNotExist".into(),
                    values: None,
                },
                LabelSelectorRequirement {
                    key: "zone".into(),
                    operator: "NotIn".into(),
                    values: Some(vec!["b".into()]),
                },
            ]),
        };
        assert_eq!(
            label_selector_string(Some(&sel)).unwrap(),
            "app=x,!canary,env in (dev,prod),tier=web,zone notin (b)"
        );
        assert_eq!(format_label_selector(None), "<none>");
        assert_eq!(
            format_label_selector(Some(&LabelSelector::default())),
            "<none>"
        );
        let bad = LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "a".into(),
                operator: "Bogus".into(),
                values: None,
            }]),
        };
        assert_eq!(format_label_selector(Some(&bad)), "<error>");
        let invalid = label_selector_string(Some(&bad)).unwrap_err();
        assert_eq!(
            invalid,
            LabelSelectorError::InvalidOperator {
                operator: "Bogus".into()
            }
        );
        assert_eq!(
            invalid.to_string(),
            "\"Bogus\" is not a valid label selector operator"
        );
        let with_values = |operator: &str, values: Option<Vec<String>>| LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "k".into(),
                operator: operator.into(),
                values,
            }]),
        };
        let empty_in = label_selector_string(Some(&with_values("In", None))).unwrap_err();
        assert_eq!(
            empty_in,
            LabelSelectorError::MissingValues { key: "k".into() }
        );
        assert_eq!(
            empty_in.to_string(),
            "for 'in', 'notin' operators, values set can't be empty: k"
        );
        let exists_with_values =
            label_selector_string(Some(&with_values("Exists", Some(vec!["v".into()]))))
                .unwrap_err();
        assert_eq!(
            exists_with_values,
            LabelSelectorError::UnexpectedValues { key: "k".into() }
        );
        assert_eq!(
            exists_with_values.to_string(),
            "values set must be empty for exists and does not exist: k"
        );
    }
}
