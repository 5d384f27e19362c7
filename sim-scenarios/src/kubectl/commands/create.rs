//! `kubectl create deployment` and the other generators of `kubectl create`.

use sim_core::cluster::Cluster;

use crate::kubectl::exec::{Outcome, Prepared};
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{Container, ContainerPort, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use sim_core::api::Object;

/// `kubectl create deployment` (pkg/cmd/create/create_deployment.go).
pub(crate) fn create_deployment(
    name: &str,
    ns: &str,
    images: &[String],
    replicas: i32,
    port: i32,
    command: &[String],
    rng: &mut impl rand::Rng,
) -> Object {
    let labels: BTreeMap<String, String> = [("app".to_owned(), name.to_owned())].into();
    let containers = images
        .iter()
        .enumerate()
        .map(|(i, image)| {
            let base = image.rsplit('/').next().unwrap_or(image);
            let base = base.split(['@', ':']).next().unwrap_or(base);
            // sanitizeAndUniquify: `_` and `.` become `-` plus a random suffix.
            let name = if base.contains(['_', '.']) {
                format!(
                    "{}-{}",
                    base.replace(['_', '.'], "-"),
                    sim_core::api::meta::random_suffix(rng, 5)
                )
            } else {
                base.to_owned()
            };
            Container {
                name,
                image: Some(image.clone()),
                ports: (i == 0 && port >= 0).then(|| {
                    vec![ContainerPort {
                        container_port: port,
                        ..Default::default()
                    }]
                }),
                command: (!command.is_empty()).then(|| command.to_vec()),
                ..Default::default()
            }
        })
        .collect();
    Object::from(Deployment {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(ns.into()),
            labels: Some(labels.clone()),
            ..Default::default()
        },
        spec: Some(DeploymentSpec {
            replicas: Some(replicas),
            selector: LabelSelector {
                match_labels: Some(labels.clone()),
                match_expressions: None,
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    containers,
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        status: None,
    })
}

/// `kubectl create configmap`, `create secret` and `create service`.
pub(crate) fn execute_generated(
    _cluster: &mut Cluster,
    out: &mut Outcome,
    cmd: &Prepared,
    _ns: &str,
) {
    out.line(format!(
        "error: kubesim does not implement `kubectl {}` yet",
        cmd.line
    ));
    out.exit_code = 1;
}
