//! The Kubernetes API as kubesim models it: objects, quantities, selectors,
//! validation and the errors the API server returns.

pub mod annotations;
pub mod conditions;
pub mod fields;
pub mod labels;
pub mod meta;
pub mod node_selector;
pub mod object;
pub mod quantity;
pub mod resources;
pub mod status;
pub mod storage;
pub mod strict;
pub mod taints;
pub mod validation;
pub mod volume_matching;

pub use object::{Kind, Object, ObjectKey};
pub use status::{ApiError, Reason};

/// True when `field` can be used in a field selector on `kind` (beyond the
/// metadata fields every kind supports).
pub fn fields_supported(kind: Kind, field: &str) -> bool {
    match kind {
        Kind::Pod => matches!(
            field,
            "spec.nodeName"
                | "spec.restartPolicy"
                | "spec.schedulerName"
                | "spec.serviceAccountName"
                | "spec.hostNetwork"
                | "status.phase"
                | "status.podIP"
                | "status.nominatedNodeName"
        ),
        Kind::Node => field == "spec.unschedulable",
        Kind::Namespace => field == "status.phase",
        Kind::Secret => field == "type",
        Kind::ReplicaSet => field == "status.replicas",
        Kind::Event => {
            field.starts_with("involvedObject.")
                || matches!(field, "reason" | "reportingComponent" | "source" | "type")
        }
        _ => false,
    }
}
