//! Pod and Node conditions: the one place that answers "is this pod Ready?".
//!
//! Follows `k8s.io/kubernetes/pkg/api/v1/pod/util.go` (`GetPodCondition`,
//! `IsPodReady`, `IsPodReadyConditionTrue`) and
//! `k8s.io/component-helpers/node/util` (`GetNodeCondition`): a condition is
//! looked up as the first one of its type, and a pod or node is Ready when
//! that condition's status is `True`.

use k8s_openapi::api::core::v1::{Node, NodeCondition, Pod, PodCondition};

use crate::time::SimTime;

/// The `Ready` condition type (pods and nodes).
pub const READY: &str = "Ready";

/// The first condition of `type_` in the pod's status.
pub fn pod_condition<'a>(pod: &'a Pod, type_: &str) -> Option<&'a PodCondition> {
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
}

/// True when the pod's first condition of `type_` has status `True`.
pub fn pod_condition_true(pod: &Pod, type_: &str) -> bool {
    pod_condition(pod, type_).is_some_and(|c| c.status == "True")
}

/// `IsPodReady`: the pod's Ready condition is `True`.
pub fn is_pod_ready(pod: &Pod) -> bool {
    pod_condition_true(pod, READY)
}

/// When a Ready pod became Ready (its Ready condition's
/// `lastTransitionTime`); None when it is not Ready. A Ready condition
/// without a time counts as virtual time zero.
pub fn pod_ready_since(pod: &Pod) -> Option<SimTime> {
    let c = pod_condition(pod, READY).filter(|c| c.status == "True")?;
    Some(
        c.last_transition_time
            .as_ref()
            .map_or(SimTime::ZERO, |t| crate::api::meta::sim_time_of(&t.0)),
    )
}

/// The first condition of `type_` in the node's status.
pub fn node_condition<'a>(node: &'a Node, type_: &str) -> Option<&'a NodeCondition> {
    node.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
}

/// The node's Ready condition is `True`.
pub fn is_node_ready(node: &Node) -> bool {
    node_condition(node, READY).is_some_and(|c| c.status == "True")
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::{NodeStatus, PodStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    use super::*;

    fn pod(conditions: &[(&str, &str)]) -> Pod {
        Pod {
            status: Some(PodStatus {
                conditions: Some(
                    conditions
                        .iter()
                        .map(|(t, s)| PodCondition {
                            type_: (*t).into(),
                            status: (*s).into(),
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_first_ready_condition_decides() {
        assert!(!is_pod_ready(&Pod::default()));
        assert!(is_pod_ready(&pod(&[
            ("PodScheduled", "True"),
            ("Ready", "True")
        ])));
        assert!(!is_pod_ready(&pod(&[("Ready", "False")])));
        // GetPodCondition returns the first match: a later duplicate is ignored.
        assert!(!is_pod_ready(&pod(&[
            ("Ready", "False"),
            ("Ready", "True")
        ])));
        assert!(pod_condition_true(
            &pod(&[("ContainersReady", "True")]),
            "ContainersReady"
        ));
    }

    #[test]
    fn ready_since_is_the_transition_time() {
        let mut p = pod(&[("Ready", "True")]);
        assert_eq!(pod_ready_since(&p), Some(SimTime::ZERO));
        let at = SimTime::from_nanos(5_000_000_000);
        p.status.as_mut().unwrap().conditions.as_mut().unwrap()[0].last_transition_time =
            Some(Time(crate::api::meta::timestamp(at)));
        assert_eq!(pod_ready_since(&p), Some(at));
        assert_eq!(pod_ready_since(&pod(&[("Ready", "False")])), None);
    }

    #[test]
    fn node_readiness() {
        let node = |status: &str| Node {
            status: Some(NodeStatus {
                conditions: Some(vec![NodeCondition {
                    type_: "Ready".into(),
                    status: status.into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(is_node_ready(&node("True")));
        assert!(!is_node_ready(&node("Unknown")));
        assert!(!is_node_ready(&Node::default()));
        assert_eq!(
            node_condition(&node("False"), READY).unwrap().status,
            "False"
        );
    }
}
