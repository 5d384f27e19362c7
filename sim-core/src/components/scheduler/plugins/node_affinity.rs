//! NodeAffinity, the filter (pkg/scheduler/framework/plugins/nodeaffinity;
//! matching in k8s.io/component-helpers/scheduling/corev1/nodeaffinity): a
//! node must carry every `nodeSelector` label and match at least one of the
//! required node-selector terms (expressions within a term are ANDed; the
//! operators In, NotIn, Exists, DoesNotExist, Gt, Lt; matchFields on the
//! node's `metadata.name`); a required term that does not parse (an invalid
//! label value, say) matches no node, as `LazyErrorNodeSelector` has it. The score sums the weights of the preferred terms the
//! node matches, normalized with `default_normalize_score` (not reversed).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NodeSelectorRequirement, NodeSelectorTerm};

use super::Rejection;
use crate::components::scheduler::node_info::NodeInfo;
use crate::components::scheduler::pod_info::PodInfo;

/// The reason the real plugin gives (`ErrReasonPod`).
pub(crate) const REASON: &str = "node(s) didn't match Pod's node affinity/selector";

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
/// The term is taken to parse: [`term_parses`](crate::api::node_selector::term_parses) is checked once, when the
/// pod's required terms are read. (A preferred term that does not parse
/// makes the real PreScore fail, `NewPreferredSchedulingTerms`; kubesim
/// scores it as written.)
pub(crate) fn term_matches(
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
        && fields.iter().all(|r| field_matches(r, node_name))
}

/// A field requirement as `fields.OneTerm(Not)EqualSelector` matches the
/// node's fields (`extractNodeFields`: `metadata.name` only, so any other
/// key reads as "").
fn field_matches(r: &NodeSelectorRequirement, node_name: &str) -> bool {
    let value = if r.key == "metadata.name" {
        node_name
    } else {
        ""
    };
    let want = r.values.as_deref().and_then(<[String]>::first);
    match r.operator.as_str() {
        "In" => want.is_some_and(|w| w == value),
        "NotIn" => want.is_some_and(|w| w != value),
        _ => false,
    }
}

/// The filter.
pub(crate) fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
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
pub(crate) fn score(pod: &PodInfo, node: &NodeInfo) -> i64 {
    pod.preferred_node_terms
        .iter()
        .filter(|(_, term)| term_matches(term, &node.labels, &node.name))
        .map(|(w, _)| *w)
        .sum()
}

/// True when the node passes the pod's nodeSelector and required affinity
/// (used by PodTopologySpread's node inclusion policy and preemption).
pub(crate) fn required_matches(pod: &PodInfo, node: &NodeInfo) -> bool {
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

    fn pod_with_required(terms: serde_json::Value) -> PodInfo {
        let obj = crate::api::Kind::Pod
            .decode(&serde_json::json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p", "namespace": "default"},
                "spec": {"containers": [{"name": "c", "image": "i"}],
                    "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                        {"nodeSelectorTerms": terms}}}}
            }))
            .unwrap();
        PodInfo::of(&obj)
    }

    fn node(name: &str, labels: serde_json::Value) -> NodeInfo {
        let obj = crate::api::Kind::Node
            .decode(&serde_json::json!({
                "apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "labels": labels}
            }))
            .unwrap();
        NodeInfo::from_node(std::sync::Arc::new(obj))
    }

    #[test]
    fn a_term_that_does_not_parse_matches_no_node() {
        // component-helpers nodeaffinity: nodeSelectorRequirementsAsSelector
        // builds each requirement with labels.NewRequirement, which refuses
        // an invalid label value; the term then fails to parse and
        // nodeSelectorTerm.match never matches it. The filter ignores the
        // parse error ("for backwards compatibility") and reports ErrReasonPod.
        let ssd = node("n", serde_json::json!({"disktype": "ssd", "cores": "8"}));
        let bad = serde_json::json!({"matchExpressions": [
            {"key": "disktype", "operator": "In", "values": ["ssd", "not a label value"]}]});
        let r = filter(&pod_with_required(serde_json::json!([bad])), &ssd).unwrap_err();
        assert_eq!(r.reasons, [REASON]);
        assert!(r.unresolvable);
        // The other terms are still ORed.
        let good = serde_json::json!({"matchExpressions": [
            {"key": "disktype", "operator": "Exists"}]});
        assert!(filter(&pod_with_required(serde_json::json!([bad, good])), &ssd).is_ok());
        // Other parse failures: a Gt that is not an integer, values on
        // Exists, an unknown operator, a field requirement with two values.
        for term in [
            serde_json::json!({"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["four"]}]}),
            serde_json::json!({"matchExpressions": [{"key": "cores", "operator": "Exists", "values": ["8"]}]}),
            serde_json::json!({"matchExpressions": [{"key": "cores", "operator": "Equals", "values": ["8"]}]}),
            serde_json::json!({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n", "m"]}]}),
        ] {
            assert!(
                filter(&pod_with_required(serde_json::json!([term])), &ssd).is_err(),
                "{term}"
            );
        }
        // A field requirement on another key reads "" (extractNodeFields).
        let other_field = serde_json::json!({"matchFields": [{"key": "spec.unschedulable", "operator": "NotIn", "values": ["true"]}]});
        assert!(filter(&pod_with_required(serde_json::json!([other_field])), &ssd).is_ok());
    }
}
