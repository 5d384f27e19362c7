//! Where a pod may run, as `kubectl describe` prints it for pods and pod
//! templates: tolerations (`printTolerationsMultilineWithIndent`) and
//! topology spread constraints (`k8s.io/kubectl/pkg/describe/describe.go`).

use k8s_openapi::api::core::v1::{Toleration, TopologySpreadConstraint};

use super::go_sort::go_sort;
use super::{or_empty, PrefixWriter, LEVEL_0};
use crate::printers::format_label_selector;

/// `printTolerationsMultilineWithIndent`.
pub(super) fn print_tolerations_multiline(
    w: &mut PrefixWriter,
    title: &str,
    tolerations: &[Toleration],
) {
    w.write(LEVEL_0, &format!("{title}:\t"));
    if tolerations.is_empty() {
        w.write_line("<none>");
        return;
    }
    let mut tolerations: Vec<&Toleration> = tolerations.iter().collect();
    go_sort(&mut tolerations, &|a: &&Toleration, b: &&Toleration| {
        or_empty(a.key.as_ref()) < or_empty(b.key.as_ref())
    });
    for (i, t) in tolerations.iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, "\t");
        }
        let key = or_empty(t.key.as_ref());
        let value = or_empty(t.value.as_ref());
        let effect = or_empty(t.effect.as_ref());
        let mut line = key.to_string();
        if !value.is_empty() {
            line.push_str(&format!("={value}"));
        }
        if !effect.is_empty() {
            line.push_str(&format!(":{effect}"));
        }
        if t.operator.as_deref() == Some("Exists") && value.is_empty() {
            if !key.is_empty() || !effect.is_empty() {
                line.push_str(" op=Exists");
            } else {
                line.push_str("op=Exists");
            }
        }
        if let Some(secs) = t.toleration_seconds {
            line.push_str(&format!(" for {secs}s"));
        }
        line.push('\n');
        w.write(LEVEL_0, &line);
    }
}

pub(super) fn describe_topology_spread_constraints(
    w: &mut PrefixWriter,
    tscs: &[TopologySpreadConstraint],
    space: &str,
) {
    if tscs.is_empty() {
        return;
    }
    let mut tscs: Vec<&TopologySpreadConstraint> = tscs.iter().collect();
    go_sort(
        &mut tscs,
        &|a: &&TopologySpreadConstraint, b: &&TopologySpreadConstraint| {
            a.topology_key < b.topology_key
        },
    );
    w.write(LEVEL_0, &format!("{space}Topology Spread Constraints:\t"));
    for (i, t) in tscs.iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, space);
            w.write(LEVEL_0, "\t");
        }
        let mut line = format!(
            "{}:{} when max skew {} is exceeded",
            t.topology_key, t.when_unsatisfiable, t.max_skew
        );
        if let Some(sel) = &t.label_selector {
            let s = format_label_selector(Some(sel));
            line.push_str(&format!(" for selector {s}"));
        }
        line.push('\n');
        w.write(LEVEL_0, &line);
    }
}
