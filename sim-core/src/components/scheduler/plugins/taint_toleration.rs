//! TaintToleration (pkg/scheduler/framework/plugins/tainttoleration): a node
//! with a NoSchedule or NoExecute taint the pod does not tolerate is rejected;
//! the score counts the PreferNoSchedule taints the pod does not tolerate and
//! is normalized in reverse (fewer is better). Toleration matching follows
//! k8s.io/api/core/v1/toleration.go ToleratesTaint.

use k8s_openapi::api::core::v1::{Taint, Toleration};

use super::Rejection;
use crate::components::scheduler::node_info::NodeInfo;
use crate::components::scheduler::pod_info::PodInfo;

/// True when `t` tolerates `taint`.
pub(crate) fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    let effect = t.effect.as_deref().unwrap_or("");
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = t.key.as_deref().unwrap_or("");
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match t.operator.as_deref().unwrap_or("Equal") {
        "Exists" => true,
        "Equal" | "" => {
            t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("")
                && !key.is_empty()
        }
        _ => false,
    }
}

/// The filter.
pub(crate) fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    for taint in &node.taints {
        if taint.effect != "NoSchedule" && taint.effect != "NoExecute" {
            continue;
        }
        if !pod.tolerations.iter().any(|t| tolerates(t, taint)) {
            return Err(Rejection::new(
                "TaintToleration",
                format!(
                    "node(s) had untolerated taint {{{}: {}}}",
                    taint.key,
                    taint.value.as_deref().unwrap_or("")
                ),
                true,
            ));
        }
    }
    Ok(())
}

/// The raw score: PreferNoSchedule taints not tolerated by the pod's
/// tolerations whose effect is PreferNoSchedule or empty (taint_toleration.go:
/// countIntolerableTaintsPreferNoSchedule). Normalized with
/// `default_normalize_score(reverse = true)`.
pub(crate) fn score(pod: &PodInfo, node: &NodeInfo) -> i64 {
    let mut n = 0;
    for taint in &node.taints {
        if taint.effect != "PreferNoSchedule" {
            continue;
        }
        let tolerated = pod
            .tolerations
            .iter()
            .filter(|t| {
                matches!(
                    t.effect.as_deref(),
                    None | Some("") | Some("PreferNoSchedule")
                )
            })
            .any(|t| tolerates(t, taint));
        if !tolerated {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint(key: &str, value: Option<&str>, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: value.map(Into::into),
            effect: effect.into(),
            time_added: None,
        }
    }

    fn tol(
        key: Option<&str>,
        op: Option<&str>,
        value: Option<&str>,
        effect: Option<&str>,
    ) -> Toleration {
        Toleration {
            key: key.map(Into::into),
            operator: op.map(Into::into),
            value: value.map(Into::into),
            effect: effect.map(Into::into),
            toleration_seconds: None,
        }
    }

    #[test]
    fn matching_rules() {
        let cp = taint("node-role.kubernetes.io/control-plane", None, "NoSchedule");
        assert!(tolerates(
            &tol(
                Some("node-role.kubernetes.io/control-plane"),
                Some("Exists"),
                None,
                Some("NoSchedule")
            ),
            &cp
        ));
        assert!(
            tolerates(&tol(None, Some("Exists"), None, None), &cp),
            "empty key + Exists tolerates everything"
        );
        assert!(!tolerates(
            &tol(
                Some("node-role.kubernetes.io/control-plane"),
                Some("Exists"),
                None,
                Some("NoExecute")
            ),
            &cp
        ));
        let kv = taint("dedicated", Some("gpu"), "NoSchedule");
        assert!(tolerates(
            &tol(Some("dedicated"), None, Some("gpu"), None),
            &kv
        ));
        assert!(!tolerates(
            &tol(Some("dedicated"), Some("Equal"), Some("cpu"), None),
            &kv
        ));
    }
}
