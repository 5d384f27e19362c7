//! The Node table (`printNode` of
//! `k8s.io/kubernetes/pkg/printers/internalversion/printers.go`) and the
//! node roles it shares with `kubectl describe node`.

use k8s_openapi::api::core::v1::Node;
use k8s_openapi::jiff::Timestamp;

use super::{col, name_of, obj_age, wide, Column, Printable};

/// `findNodeRoles`: roles from `node-role.kubernetes.io/<role>` labels and
/// the `kubernetes.io/role` label, sorted and de-duplicated.
pub(crate) fn node_roles(node: &Node) -> Vec<String> {
    let mut roles = std::collections::BTreeSet::new();
    for (k, v) in node.metadata.labels.iter().flatten() {
        if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
            if !role.is_empty() {
                roles.insert(role.to_string());
            }
        } else if k == "kubernetes.io/role" && !v.is_empty() {
            roles.insert(v.clone());
        }
    }
    roles.into_iter().collect()
}

fn node_address(node: &Node, type_: &str) -> String {
    node.status
        .as_ref()
        .and_then(|s| s.addresses.as_ref())
        .and_then(|a| a.iter().find(|a| a.type_ == type_))
        .map(|a| a.address.clone())
        .unwrap_or_else(|| "<none>".to_string())
}

impl Printable for Node {
    const NAMESPACED: bool = false;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Status"),
            col("Roles"),
            col("Age"),
            col("Version"),
            wide("Internal-IP"),
            wide("External-IP"),
            wide("OS-Image"),
            wide("Kernel-Version"),
            wide("Container-Runtime"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let st = self.status.as_ref();
        // conditionMap: the last condition of type Ready wins.
        let ready = st
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().rev().find(|c| c.type_ == "Ready"));
        let mut status = vec![match ready {
            Some(c) if c.status == "True" => "Ready".to_string(),
            Some(_) => "NotReady".to_string(),
            None => "Unknown".to_string(),
        }];
        if self.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) {
            status.push("SchedulingDisabled".to_string());
        }
        let mut roles = node_roles(self).join(",");
        if roles.is_empty() {
            roles = "<none>".to_string();
        }
        let info = st.and_then(|s| s.node_info.as_ref());
        let unknown = |v: Option<&String>| match v {
            Some(x) if !x.is_empty() => x.clone(),
            _ => "<unknown>".to_string(),
        };
        vec![
            name_of(&self.metadata),
            status.join(","),
            roles,
            obj_age(&self.metadata, now),
            info.map(|i| i.kubelet_version.clone()).unwrap_or_default(),
            node_address(self, "InternalIP"),
            node_address(self, "ExternalIP"),
            unknown(info.map(|i| &i.os_image)),
            unknown(info.map(|i| &i.kernel_version)),
            unknown(info.map(|i| &i.container_runtime_version)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printers::test_fixtures::*;
    use crate::printers::{print_table, PrintOptions};
    use k8s_openapi::api::core::v1::{
        NodeAddress, NodeCondition, NodeSpec, NodeStatus, NodeSystemInfo,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn control_plane_node() -> Node {
        Node {
            metadata: ObjectMeta {
                labels: labels(&[
                    ("kubernetes.io/hostname", "kind-control-plane"),
                    ("node-role.kubernetes.io/control-plane", ""),
                ]),
                ..meta(None, "kind-control-plane", 86400 * 3 + 3600)
            },
            spec: Some(NodeSpec::default()),
            status: Some(NodeStatus {
                conditions: Some(vec![
                    NodeCondition {
                        type_: "MemoryPressure".into(),
                        status: "False".into(),
                        ..Default::default()
                    },
                    NodeCondition {
                        type_: "Ready".into(),
                        status: "True".into(),
                        ..Default::default()
                    },
                ]),
                addresses: Some(vec![
                    NodeAddress {
                        type_: "InternalIP".into(),
                        address: "172.18.0.2".into(),
                    },
                    NodeAddress {
                        type_: "Hostname".into(),
                        address: "kind-control-plane".into(),
                    },
                ]),
                node_info: Some(NodeSystemInfo {
                    kubelet_version: "v1.33.1".into(),
                    os_image: "Debian GNU/Linux 12 (bookworm)".into(),
                    kernel_version: "6.8.0-1021-azure".into(),
                    container_runtime_version: "containerd://2.1.1".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn nodes_table() {
        let cp = control_plane_node();
        let mut worker = control_plane_node();
        worker.metadata.name = Some("kind-worker".into());
        worker.metadata.labels = labels(&[("kubernetes.io/role", "worker")]);
        worker.spec.as_mut().unwrap().unschedulable = Some(true);
        worker.status.as_mut().unwrap().conditions.as_mut().unwrap()[1].status = "Unknown".into();
        let mut bare = Node {
            metadata: meta(None, "bare", 30),
            ..Default::default()
        };
        bare.metadata.labels = None;
        let refs = vec![&cp, &worker, &bare];
        let want = "\
NAME                 STATUS                        ROLES           AGE    VERSION
kind-control-plane   Ready                         control-plane   3d1h   v1.33.1
kind-worker          NotReady,SchedulingDisabled   worker          3d1h   v1.33.1
bare                 Unknown                       <none>          30s    
";
        // -A has no effect on cluster-scoped kinds.
        let opts = PrintOptions {
            with_namespace: true,
            ..Default::default()
        };
        assert_eq!(print_table(&refs, now(), &opts), want);
        let wide_opts = PrintOptions {
            wide: true,
            ..Default::default()
        };
        let want_wide = "\
NAME                 STATUS   ROLES           AGE    VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE                         KERNEL-VERSION     CONTAINER-RUNTIME
kind-control-plane   Ready    control-plane   3d1h   v1.33.1   172.18.0.2    <none>        Debian GNU/Linux 12 (bookworm)   6.8.0-1021-azure   containerd://2.1.1
";
        assert_eq!(print_table(&[&cp], now(), &wide_opts), want_wide);
    }
}
