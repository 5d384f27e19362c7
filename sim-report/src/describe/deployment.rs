//! `kubectl describe deployment` (`describeDeployment`,
//! `DescribePodTemplate` and `printReplicaSetsByLabels` in
//! `k8s.io/kubectl/pkg/describe/describe.go`).

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStatus, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;

use super::containers::describe_containers;
use super::events::{by_name, describe_events};
use super::placement::{describe_topology_spread_constraints, print_tolerations_multiline};
use super::volumes::describe_volumes;
use super::{
    or_empty, print_annotations_multiline, print_labels_multiline, rfc1123z_opt, PrefixWriter,
    LEVEL_0, LEVEL_1,
};
use crate::printers::label_selector_string;

/// `DescribePodTemplate`.
pub(super) fn describe_pod_template(w: &mut PrefixWriter, template: Option<&PodTemplateSpec>) {
    w.write(LEVEL_0, "Pod Template:\n");
    let Some(t) = template else {
        w.write(LEVEL_1, "<unset>");
        return;
    };
    let meta = t.metadata.as_ref();
    print_labels_multiline(w, "  Labels", meta.and_then(|m| m.labels.as_ref()));
    if let Some(a) = meta
        .and_then(|m| m.annotations.as_ref())
        .filter(|a| !a.is_empty())
    {
        print_annotations_multiline(w, "  Annotations", Some(a));
    }
    let spec = t.spec.as_ref();
    if let Some(sa) = spec
        .and_then(|s| s.service_account_name.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_1, &format!("Service Account:\t{sa}\n"));
    }
    let init = spec
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or(&[]);
    if !init.is_empty() {
        describe_containers(w, "Init Containers", init, &[], None, "  ");
    }
    describe_containers(
        w,
        "Containers",
        spec.map(|s| s.containers.as_slice()).unwrap_or(&[]),
        &[],
        None,
        "  ",
    );
    describe_volumes(
        w,
        spec.and_then(|s| s.volumes.as_deref()).unwrap_or(&[]),
        "  ",
    );
    describe_topology_spread_constraints(
        w,
        spec.and_then(|s| s.topology_spread_constraints.as_deref())
            .unwrap_or(&[]),
        "  ",
    );
    if let Some(pc) = spec
        .and_then(|s| s.priority_class_name.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_1, &format!("Priority Class Name:\t{pc}\n"));
    }
    print_labels_multiline(
        w,
        "  Node-Selectors",
        spec.and_then(|s| s.node_selector.as_ref()),
    );
    print_tolerations_multiline(
        w,
        "  Tolerations",
        spec.and_then(|s| s.tolerations.as_deref()).unwrap_or(&[]),
    );
}

fn int_or_string(v: Option<&IntOrString>, default: &str) -> String {
    match v {
        Some(IntOrString::Int(i)) => i.to_string(),
        Some(IntOrString::String(s)) => s.clone(),
        None => default.to_string(),
    }
}

fn replica_sets_by_labels(rss: &[&ReplicaSet]) -> String {
    let list: Vec<String> = rss
        .iter()
        .map(|rs| {
            format!(
                "{} ({}/{} replicas created)",
                or_empty(rs.metadata.name.as_ref()),
                rs.status.as_ref().map(|s| s.replicas).unwrap_or(0),
                rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
            )
        })
        .collect();
    if list.is_empty() {
        "<none>".to_string()
    } else {
        list.join(", ")
    }
}

/// `kubectl describe deployment`. `old_rss` / `new_rs` are the
/// deployment's old and current ReplicaSets (as
/// `deploymentutil.GetAllReplicaSets` finds them); `events` are the
/// deployment's events in any order.
pub fn describe_deployment(
    d: &Deployment,
    old_rss: &[&ReplicaSet],
    new_rs: Option<&ReplicaSet>,
    events: &[&Event],
    now: Timestamp,
) -> String {
    let mut w = PrefixWriter::new();
    print_identity(&mut w, d);
    print_replicas_and_strategy(&mut w, d);
    let default_template = PodTemplateSpec::default();
    describe_pod_template(
        &mut w,
        Some(
            d.spec
                .as_ref()
                .map(|s| &s.template)
                .unwrap_or(&default_template),
        ),
    );
    print_conditions(&mut w, d);
    let new_list: Vec<&ReplicaSet> = new_rs.into_iter().collect();
    if !old_rss.is_empty() || !new_list.is_empty() {
        w.write(
            LEVEL_0,
            &format!("OldReplicaSets:\t{}\n", replica_sets_by_labels(old_rss)),
        );
        w.write(
            LEVEL_0,
            &format!("NewReplicaSet:\t{}\n", replica_sets_by_labels(&new_list)),
        );
    }
    describe_events(&mut w, &by_name(events), now);
    w.finish()
}

/// Name, Namespace, CreationTimestamp, Labels, Annotations and Selector.
fn print_identity(w: &mut PrefixWriter, d: &Deployment) {
    let meta = &d.metadata;
    w.write(
        LEVEL_0,
        &format!("Name:\t{}\n", or_empty(meta.name.as_ref())),
    );
    w.write(
        LEVEL_0,
        &format!("Namespace:\t{}\n", or_empty(meta.namespace.as_ref())),
    );
    w.write(
        LEVEL_0,
        &format!(
            "CreationTimestamp:\t{}\n",
            rfc1123z_opt(meta.creation_timestamp.as_ref())
        ),
    );
    print_labels_multiline(w, "Labels", meta.labels.as_ref());
    print_annotations_multiline(w, "Annotations", meta.annotations.as_ref());
    let selector = label_selector_string(d.spec.as_ref().map(|s| &s.selector))
        .unwrap_or_else(|_| "<invalid>".to_string());
    w.write(LEVEL_0, &format!("Selector:\t{selector}\n"));
}

/// Replicas, StrategyType, MinReadySeconds and, for a rolling update,
/// RollingUpdateStrategy.
fn print_replicas_and_strategy(w: &mut PrefixWriter, d: &Deployment) {
    let spec = d.spec.as_ref();
    let status = d.status.as_ref();
    let st = |f: fn(&DeploymentStatus) -> Option<i32>| status.and_then(f).unwrap_or(0);
    w.write(
        LEVEL_0,
        &format!(
            "Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable\n",
            spec.and_then(|s| s.replicas).unwrap_or(1),
            st(|s| s.updated_replicas),
            st(|s| s.replicas),
            st(|s| s.available_replicas),
            st(|s| s.unavailable_replicas)
        ),
    );
    let strategy = spec.and_then(|s| s.strategy.as_ref());
    let strategy_type = strategy
        .and_then(|s| s.type_.clone())
        .unwrap_or_else(|| "RollingUpdate".to_string());
    w.write(LEVEL_0, &format!("StrategyType:\t{strategy_type}\n"));
    w.write(
        LEVEL_0,
        &format!(
            "MinReadySeconds:\t{}\n",
            spec.and_then(|s| s.min_ready_seconds).unwrap_or(0)
        ),
    );
    if strategy_type == "RollingUpdate" {
        let ru = strategy.and_then(|s| s.rolling_update.as_ref());
        w.write(
            LEVEL_0,
            &format!(
                "RollingUpdateStrategy:\t{} max unavailable, {} max surge\n",
                int_or_string(ru.and_then(|r| r.max_unavailable.as_ref()), "25%"),
                int_or_string(ru.and_then(|r| r.max_surge.as_ref()), "25%")
            ),
        );
    }
}

/// The Conditions table (only when there are conditions).
fn print_conditions(w: &mut PrefixWriter, d: &Deployment) {
    let conditions = d
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or(&[]);
    if !conditions.is_empty() {
        w.write(LEVEL_0, "Conditions:\n  Type\tStatus\tReason\n");
        w.write(LEVEL_1, "----\t------\t------\n");
        for c in conditions {
            w.write(
                LEVEL_1,
                &format!(
                    "{} \t{}\t{}\n",
                    c.type_,
                    c.status,
                    or_empty(c.reason.as_ref())
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::describe::test_fixtures::*;
    use k8s_openapi::api::apps::v1::{
        DeploymentCondition, DeploymentSpec, DeploymentStatus, ReplicaSetSpec, ReplicaSetStatus,
    };
    use k8s_openapi::api::core::v1::{Container, PodSpec};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

    #[test]
    fn describe_nginx_deployment() {
        let labels = map(&[("app", "nginx")]);
        let d = Deployment {
            metadata: ObjectMeta {
                name: Some("nginx".into()),
                namespace: Some("default".into()),
                labels: labels.clone(),
                annotations: map(&[("deployment.kubernetes.io/revision", "1")]),
                creation_timestamp: Some(ago(600)),
                ..Default::default()
            },
            spec: Some(DeploymentSpec {
                replicas: Some(3),
                selector: LabelSelector {
                    match_labels: labels.clone(),
                    match_expressions: None,
                },
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: labels.clone(),
                        ..Default::default()
                    }),
                    spec: Some(PodSpec {
                        containers: vec![Container {
                            name: "nginx".into(),
                            image: Some("nginx:1.27".into()),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                },
                ..Default::default()
            }),
            status: Some(DeploymentStatus {
                replicas: Some(3),
                updated_replicas: Some(3),
                ready_replicas: Some(3),
                available_replicas: Some(3),
                conditions: Some(vec![
                    DeploymentCondition {
                        type_: "Available".into(),
                        status: "True".into(),
                        reason: Some("MinimumReplicasAvailable".into()),
                        ..Default::default()
                    },
                    DeploymentCondition {
                        type_: "Progressing".into(),
                        status: "True".into(),
                        reason: Some("NewReplicaSetAvailable".into()),
                        ..Default::default()
                    },
                ]),
                ..Default::default()
            }),
        };
        let rs = ReplicaSet {
            metadata: ObjectMeta {
                name: Some("nginx-7854ff8877".into()),
                ..Default::default()
            },
            spec: Some(ReplicaSetSpec {
                replicas: Some(3),
                ..Default::default()
            }),
            status: Some(ReplicaSetStatus {
                replicas: 3,
                ..Default::default()
            }),
        };
        let ev = event(
            "nginx.1",
            "ScalingReplicaSet",
            "Scaled up replica set nginx-7854ff8877 from 0 to 3",
            600,
            600,
            1,
            "deployment-controller",
        );
        let want = "\
Name:                   nginx
Namespace:              default
CreationTimestamp:      Sun, 15 Jun 2025 14:56:40 +0000
Labels:                 app=nginx
Annotations:            deployment.kubernetes.io/revision: 1
Selector:               app=nginx
Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable
StrategyType:           RollingUpdate
MinReadySeconds:        0
RollingUpdateStrategy:  25% max unavailable, 25% max surge
Pod Template:
  Labels:  app=nginx
  Containers:
   nginx:
    Image:         nginx:1.27
    Port:          <none>
    Host Port:     <none>
    Environment:   <none>
    Mounts:        <none>
  Volumes:         <none>
  Node-Selectors:  <none>
  Tolerations:     <none>
Conditions:
  Type           Status  Reason
  ----           ------  ------
  Available      True    MinimumReplicasAvailable
  Progressing    True    NewReplicaSetAvailable
OldReplicaSets:  <none>
NewReplicaSet:   nginx-7854ff8877 (3/3 replicas created)
Events:
  Type    Reason             Age   From                   Message
  ----    ------             ----  ----                   -------
  Normal  ScalingReplicaSet  10m   deployment-controller  Scaled up replica set nginx-7854ff8877 from 0 to 3
";
        assert_eq!(describe_deployment(&d, &[], Some(&rs), &[&ev], now()), want);
        // Without ReplicaSets the two lines are left out; without events "<none>".
        let bare = describe_deployment(&Deployment::default(), &[], None, &[], now());
        assert!(!bare.contains("NewReplicaSet"));
        assert!(bare.ends_with("Events:            <none>\n"), "{bare}");
    }
}
