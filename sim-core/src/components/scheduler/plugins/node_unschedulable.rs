//! NodeUnschedulable (pkg/scheduler/framework/plugins/nodeunschedulable): a
//! cordoned node takes only pods that tolerate
//! `node.kubernetes.io/unschedulable:NoSchedule`.

use k8s_openapi::api::core::v1::Taint;

use super::taint_toleration::tolerates;
use super::Rejection;
use crate::components::scheduler::node_info::NodeInfo;
use crate::components::scheduler::pod_info::PodInfo;

/// The filter.
pub(crate) fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    if !node.unschedulable {
        return Ok(());
    }
    let taint = Taint {
        key: "node.kubernetes.io/unschedulable".into(),
        effect: "NoSchedule".into(),
        value: None,
        time_added: None,
    };
    if pod.tolerations.iter().any(|t| tolerates(t, &taint)) {
        return Ok(());
    }
    Err(Rejection::new(
        "NodeUnschedulable",
        "node(s) were unschedulable",
        true,
    ))
}
