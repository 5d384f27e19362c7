//! NodeAffinity, the filter (pkg/scheduler/framework/plugins/nodeaffinity;
//! matching in k8s.io/component-helpers/scheduling/corev1/nodeaffinity): a
//! node must carry every `nodeSelector` label and match at least one of the
//! required node-selector terms (expressions within a term are ANDed; the
//! operators In, NotIn, Exists, DoesNotExist, Gt, Lt; matchFields only on
//! `metadata.name`). The score sums the weights of the preferred terms the
//! node matches, normalized with `default_normalize_score` (not reversed).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NodeSelectorRequirement, NodeSelectorTerm};

use super::Rejection;
use crate::components::scheduler::node_info::NodeInfo;
use crate::components::scheduler::pod_info::PodInfo;

/// The reason the real plugin gives (`ErrReasonPod`).
pub const REASON: &str = "node(s) didn't match Pod's node affinity/selector";

fn requirement_matches(r: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = r.values.as_deref().unwrap_or_default();
    match r.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(v), Some(bound)) = (
                value.and_then(|v| v.parse::<i64>().ok()),
                values.first().and_then(|b| b.parse::<i64>().ok()),
            ) else {
                return false;
            };
            if r.operator == "Gt" {
                v > bound
            } else {
                v < bound
            }
        }
        _ => false,
    }
}

/// True when the node matches one term (an empty term matches nothing).
pub fn term_matches(
    term: &NodeSelectorTerm,
    labels: &BTreeMap<String, String>,
    node_name: &str,
) -> bool {
    let exprs = term.match_expressions.as_deref().unwrap_or_default();
    let fields = term.match_fields.as_deref().unwrap_or_default();
    if exprs.is_empty() && fields.is_empty() {
        return false;
    }
    exprs
        .iter()
        .all(|r| requirement_matches(r, labels.get(&r.key).map(String::as_str)))
        && fields
            .iter()
            .all(|r| r.key == "metadata.name" && requirement_matches(r, Some(node_name)))
}

/// The filter.
pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    let selector_ok = pod
        .node_selector
        .iter()
        .all(|(k, v)| node.labels.get(k) == Some(v));
    let affinity_ok = match &pod.required_node_terms {
        None => true,
        Some(terms) => terms
            .iter()
            .any(|t| term_matches(t, &node.labels, &node.name)),
    };
    if selector_ok && affinity_ok {
        Ok(())
    } else {
        Err(Rejection::new("NodeAffinity", REASON, true))
    }
}

/// The raw score: the sum of the weights of the matching preferred terms
/// (node_affinity.go: Score).
pub fn score(pod: &PodInfo, node: &NodeInfo) -> i64 {
    pod.preferred_node_terms
        .iter()
        .filter(|(_, term)| term_matches(term, &node.labels, &node.name))
        .map(|(w, _)| *w)
        .sum()
}

/// True when the node passes the pod's nodeSelector and required affinity
/// (used by PodTopologySpread's node inclusion policy and preemption).
pub fn required_matches(pod: &PodInfo, node: &NodeInfo) -> bool {
    filter(pod, node).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(key: &str, op: &str, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: Some(values.iter().map(|v| (*v).to_owned()).collect()),
        }
    }

    #[test]
    fn operators() {
        let labels: BTreeMap<String, String> = [
            ("disktype".to_owned(), "ssd".to_owned()),
            ("cores".to_owned(), "8".to_owned()),
        ]
        .into();
        let term = |r: Vec<NodeSelectorRequirement>| NodeSelectorTerm {
            match_expressions: Some(r),
            match_fields: None,
        };
        assert!(term_matches(
            &term(vec![req("disktype", "In", &["ssd", "nvme"])]),
            &labels,
            "n"
        ));
        assert!(!term_matches(
            &term(vec![req("disktype", "NotIn", &["ssd"])]),
            &labels,
            "n"
        ));
        assert!(term_matches(
            &term(vec![req("gpu", "DoesNotExist", &[])]),
            &labels,
            "n"
        ));
        assert!(term_matches(
            &term(vec![
                req("cores", "Gt", &["4"]),
                req("cores", "Lt", &["16"])
            ]),
            &labels,
            "n"
        ));
        assert!(
            !term_matches(&term(vec![]), &labels, "n"),
            "an empty term matches nothing"
        );
        let by_name = NodeSelectorTerm {
            match_expressions: None,
            match_fields: Some(vec![req("metadata.name", "In", &["worker-1"])]),
        };
        assert!(term_matches(&by_name, &labels, "worker-1"));
        assert!(!term_matches(&by_name, &labels, "worker-2"));
    }
}
