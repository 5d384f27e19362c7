//! `kubectl describe namespace` (`describeNamespace` in
//! `k8s.io/kubectl/pkg/describe/describe.go`), for namespaces without
//! ResourceQuotas and LimitRanges.

use k8s_openapi::api::core::v1::Namespace;

use super::{
    or_empty, print_annotations_multiline, print_labels_multiline, rfc1123z_opt, PrefixWriter,
    LEVEL_0, LEVEL_1,
};

/// `kubectl describe namespace` for a namespace without ResourceQuotas and
/// LimitRanges.
///
/// ```
/// use k8s_openapi::api::core::v1::Namespace;
/// use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
///
/// let ns = Namespace {
///     metadata: ObjectMeta {
///         name: Some("team-a".into()),
///         ..Default::default()
///     },
///     ..Default::default()
/// };
/// assert_eq!(
///     sim_report::describe::describe_namespace(&ns),
///     "Name:         team-a\n\
///      Labels:       <none>\n\
///      Annotations:  <none>\n\
///      Status:       Active\n\
///      \n\
///      No resource quota.\n\
///      \n\
///      No LimitRange resource.\n"
/// );
/// ```
pub fn describe_namespace(ns: &Namespace) -> String {
    let mut w = PrefixWriter::new();
    w.write(
        LEVEL_0,
        &format!("Name:\t{}\n", or_empty(ns.metadata.name.as_ref())),
    );
    print_labels_multiline(&mut w, "Labels", ns.metadata.labels.as_ref());
    print_annotations_multiline(&mut w, "Annotations", ns.metadata.annotations.as_ref());
    let status = ns.status.as_ref();
    let phase = status
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "Active".to_string());
    w.write(LEVEL_0, &format!("Status:\t{phase}\n"));
    let conditions = status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
    if !conditions.is_empty() {
        w.write(LEVEL_0, "Conditions:\n");
        w.write(
            LEVEL_1,
            "Type\tStatus\tLastTransitionTime\tReason\tMessage\n",
        );
        w.write(
            LEVEL_1,
            "----\t------\t------------------\t------\t-------\n",
        );
        for c in conditions {
            w.write(
                LEVEL_1,
                &format!(
                    "{}\t{}\t{}\t{}\t{}\n",
                    c.type_,
                    c.status,
                    rfc1123z_opt(c.last_transition_time.as_ref()),
                    or_empty(c.reason.as_ref()),
                    or_empty(c.message.as_ref())
                ),
            );
        }
    }
    w.write(LEVEL_0, "\n");
    w.write(LEVEL_0, "No resource quota.\n");
    w.write(LEVEL_0, "\n");
    w.write(LEVEL_0, "No LimitRange resource.\n");
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::describe::test_fixtures::*;
    use k8s_openapi::api::core::v1::NamespaceStatus;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    #[test]
    fn describe_default_namespace() {
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some("default".into()),
                labels: map(&[("kubernetes.io/metadata.name", "default")]),
                creation_timestamp: Some(ago(86400)),
                ..Default::default()
            },
            spec: None,
            status: Some(NamespaceStatus {
                phase: Some("Active".into()),
                conditions: None,
            }),
        };
        let want = "\
Name:         default
Labels:       kubernetes.io/metadata.name=default
Annotations:  <none>
Status:       Active

No resource quota.

No LimitRange resource.
";
        assert_eq!(describe_namespace(&ns), want);
        // A bare namespace does not panic.
        let bare = describe_namespace(&Namespace::default());
        assert!(bare.starts_with("Name:         \nLabels:       <none>\n"));
    }
}
