//! Node-selector terms (`NodeSelectorTerm`, in node affinity) read as
//! k8s.io/component-helpers/scheduling/corev1/nodeaffinity reads them: which
//! terms parse. The matching itself is the NodeAffinity plugin's.

use k8s_openapi::api::core::v1::NodeSelectorTerm;

use crate::api::labels::{Operator, Requirement};

/// The `selection.Operator` of a node-selector operator.
fn label_operator(op: &str) -> Option<Operator> {
    Some(match op {
        "In" => Operator::In,
        "NotIn" => Operator::NotIn,
        "Exists" => Operator::Exists,
        "DoesNotExist" => Operator::DoesNotExist,
        "Gt" => Operator::GreaterThan,
        "Lt" => Operator::LessThan,
        _ => return None,
    })
}

/// True when a term parses as component-helpers' `newNodeSelectorTerm`
/// builds it: each label requirement a known operator and a valid
/// `labels.NewRequirement` (a qualified key, the values count the operator
/// wants, integer values for Gt/Lt, every value a label value:
/// `nodeSelectorRequirementsAsSelector`), each field requirement In or NotIn
/// with exactly one value (`nodeSelectorRequirementsAsFieldSelector`). A term
/// that does not parse matches no node (`nodeSelectorTerm.match` returns its
/// parse errors, which `LazyErrorNodeSelector.Match` reports only when no
/// other term matches and the NodeAffinity filter ignores).
pub(crate) fn term_parses(term: &NodeSelectorTerm) -> bool {
    let labels_ok = term.match_expressions.iter().flatten().all(|r| {
        label_operator(&r.operator).is_some_and(|op| {
            Requirement::new(&r.key, op, r.values.clone().unwrap_or_default()).is_ok()
        })
    });
    labels_ok
        && term.match_fields.iter().flatten().all(|r| {
            matches!(r.operator.as_str(), "In" | "NotIn")
                && r.values.as_deref().is_some_and(|v| v.len() == 1)
        })
}
