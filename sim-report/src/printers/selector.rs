//! Label selectors as text: `metav1.LabelSelectorAsSelector(selector).String()`
//! and `metav1.FormatLabelSelector`
//! (`k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go`,
//! `k8s.io/apimachinery/pkg/labels/selector.go`), for the SELECTOR columns
//! of `kubectl get` and the selectors `kubectl describe` prints.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
/// `metav1.LabelSelectorAsSelector(selector).String()`: requirements sorted
/// by key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`; `""` for a
/// missing or empty selector; `Err` for an invalid one (unknown operator or
/// wrong number of values; label syntax is not validated).
pub(crate) fn label_selector_string(selector: Option<&LabelSelector>) -> Result<String, String> {
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
                    return Err(format!(
                        "for 'in', 'notin' operators, values set can't be empty: {k}"
                    ));
                }
                let op = if expr.operator == "In" { "in" } else { "notin" };
                format!("{k} {op} ({})", values.join(","))
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    return Err(format!(
                        "values set must be empty for exists and does not exist: {k}"
                    ));
                }
                if expr.operator == "Exists" {
                    k.clone()
                } else {
                    format!("!{k}")
                }
            }
            other => return Err(format!("{other:?} is not a valid label selector operator")),
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
    }
}
