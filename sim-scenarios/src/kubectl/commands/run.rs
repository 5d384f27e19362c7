//! `kubectl run`: a Pod from an image.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, ContainerPort, EnvVar, Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sim_core::api::Object;

/// `kubectl run` (pkg/generate/versioned/run.go BasicPod).
pub(crate) fn run_pod(args: &crate::kubectl::grammar::RunArgs, ns: &str) -> Object {
    let labels: BTreeMap<String, String> = match &args.labels {
        Some(l) => l
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        None => [("run".to_owned(), args.name.clone())].into(),
    };
    let annotations: BTreeMap<String, String> = args
        .annotations
        .iter()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let env: Vec<EnvVar> = args
        .env
        .iter()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| EnvVar {
            name: k.to_owned(),
            value: Some(v.to_owned()),
            value_from: None,
        })
        .collect();
    let (command, cargs) = if args.command {
        (Some(args.args.clone()), None)
    } else {
        (None, (!args.args.is_empty()).then(|| args.args.clone()))
    };
    Object::from(Pod {
        metadata: ObjectMeta {
            name: Some(args.name.clone()),
            namespace: Some(ns.into()),
            labels: Some(labels),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..Default::default()
        },
        spec: Some(PodSpec {
            containers: vec![Container {
                name: args.name.clone(),
                image: Some(args.image.clone()),
                image_pull_policy: args.image_pull_policy.clone(),
                ports: args.port.map(|p| {
                    vec![ContainerPort {
                        container_port: p,
                        ..Default::default()
                    }]
                }),
                env: (!env.is_empty()).then_some(env),
                command,
                args: cargs,
                ..Default::default()
            }],
            restart_policy: Some(args.restart.clone()),
            dns_policy: Some("ClusterFirst".into()),
            ..Default::default()
        }),
        status: None,
    })
}
