//! `kubectl expose`: a Service for a deployment, replica set, pod or service
//! (k8s.io/kubectl pkg/cmd/expose/expose.go and
//! pkg/generate/versioned/service.go: the selector, ports and labels are
//! introspected from the exposed object unless given by flags).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use sim_core::api::{Kind, Object, ObjectKey};
use sim_core::apiserver::Request;
use sim_core::cluster::Cluster;

use crate::kubectl::client::{get_object, kind_ref, CLIENT};
use crate::kubectl::grammar::{Command, ExposeArgs};
use crate::kubectl::outcome::Outcome;
use crate::kubectl::prepared::Prepared;
use crate::kubectl::resources::resolve;

/// Why `kubectl expose` cannot build the Service, in kubectl's words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
enum ExposeError {
    /// A `--labels` or `--selector` entry without `=`.
    #[error("error: invalid label spec: {0}")]
    LabelSpec(String),
    /// A selector with match expressions cannot become a Service selector.
    #[error("error: couldn't retrieve selectors via --selector flag or introspection: {0} contains match expressions, and can't be used to convert to map")]
    MatchExpressions(String),
    /// A pod without labels has no selector.
    #[error("error: couldn't retrieve selectors via --selector flag or introspection: the pod has no labels and cannot be exposed")]
    UnlabelledPod,
    /// A kind that cannot be exposed.
    #[error("error: cannot expose a {0}")]
    Kind(&'static str),
    /// A `--port` that is not an integer.
    #[error("error: strconv.Atoi: parsing \"{0}\": invalid syntax")]
    Port(String),
    /// No `--port` and no port to introspect.
    #[error("error: couldn't find port via --port flag or introspection\nSee 'kubectl expose -h' for help and examples")]
    NoPort,
}

/// Parses `k=v,k2=v2` (kubectl's `--labels` / `--selector` of expose).
fn parse_map(s: &str) -> Result<BTreeMap<String, String>, ExposeError> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .ok_or_else(|| ExposeError::LabelSpec(p.to_owned()))
        })
        .collect()
}

/// The selector kubectl introspects (`MapBasedSelectorForObject`).
fn selector_of(obj: &Object) -> Result<BTreeMap<String, String>, ExposeError> {
    let from_label_selector =
        |sel: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector| {
            if sel
                .match_expressions
                .as_ref()
                .is_some_and(|e| !e.is_empty())
            {
                return Err(ExposeError::MatchExpressions(obj.name().to_owned()));
            }
            Ok(sel.match_labels.clone().unwrap_or_default())
        };
    match obj {
        Object::Pod(p) => {
            let labels = p.metadata.labels.clone().unwrap_or_default();
            if labels.is_empty() {
                return Err(ExposeError::UnlabelledPod);
            }
            Ok(labels)
        }
        Object::Service(s) => Ok(s
            .spec
            .as_ref()
            .and_then(|s| s.selector.clone())
            .unwrap_or_default()),
        Object::Deployment(d) => from_label_selector(&d.spec.clone().unwrap_or_default().selector),
        Object::ReplicaSet(r) => from_label_selector(&r.spec.clone().unwrap_or_default().selector),
        other => Err(ExposeError::Kind(other.kind().name())),
    }
}

/// The ports kubectl introspects (`PortsForObject`, `ProtocolsForObject`).
fn ports_of(obj: &Object) -> Vec<(i32, String)> {
    let spec = match obj {
        Object::Pod(p) => p.spec.clone(),
        Object::Deployment(d) => d.spec.as_ref().and_then(|s| s.template.spec.clone()),
        Object::ReplicaSet(r) => r
            .spec
            .as_ref()
            .and_then(|s| s.template.as_ref())
            .and_then(|t| t.spec.clone()),
        Object::Service(s) => {
            return s
                .spec
                .iter()
                .flat_map(|s| s.ports.iter().flatten())
                .map(|p| (p.port, p.protocol.clone().unwrap_or_else(|| "TCP".into())))
                .collect()
        }
        _ => None,
    };
    spec.iter()
        .flat_map(|s| s.containers.iter())
        .flat_map(|c| c.ports.iter().flatten())
        .map(|p| {
            (
                p.container_port,
                p.protocol.clone().unwrap_or_else(|| "TCP".into()),
            )
        })
        .collect()
}

fn build(args: &ExposeArgs, obj: &Object, ns: &str) -> Result<Object, ExposeError> {
    let selector = match &args.selector {
        Some(s) => parse_map(s)?,
        None => selector_of(obj)?,
    };
    let ports: Vec<(i32, String)> = match &args.port {
        Some(p) => p
            .split(',')
            .map(|p| {
                p.parse::<i32>()
                    .map(|n| (n, args.protocol.clone().unwrap_or_else(|| "TCP".to_owned())))
                    .map_err(|_| ExposeError::Port(p.to_owned()))
            })
            .collect::<Result<_, _>>()?,
        None => {
            let found = ports_of(obj);
            if found.is_empty() {
                return Err(ExposeError::NoPort);
            }
            found
                .into_iter()
                .map(|(n, proto)| (n, args.protocol.clone().unwrap_or(proto)))
                .collect()
        }
    };
    let many = ports.len() > 1;
    let target = args.target_port.as_ref().map(|t| {
        t.parse::<i32>()
            .map_or_else(|_| IntOrString::String(t.clone()), IntOrString::Int)
    });
    let service_ports = ports
        .iter()
        .enumerate()
        .map(|(i, (port, proto))| ServicePort {
            name: many.then(|| format!("port-{}", i + 1)),
            port: *port,
            protocol: Some(proto.clone()),
            target_port: Some(target.clone().unwrap_or(IntOrString::Int(*port))),
            ..Default::default()
        })
        .collect();
    let labels = match &args.labels {
        Some(l) => parse_map(l)?,
        None => obj.labels().clone(),
    };
    let mut name = args.name.clone().unwrap_or_else(|| obj.name().to_owned());
    name.truncate(63);
    Ok(Object::from(Service {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(ns.to_owned()),
            labels: (!labels.is_empty()).then_some(labels),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            selector: Some(selector),
            ports: Some(service_ports),
            type_: args.type_.clone().filter(|t| !t.is_empty()),
            cluster_ip: args.cluster_ip.clone().filter(|c| !c.is_empty()),
            ..Default::default()
        }),
        status: None,
    }))
}

/// Runs the command.
pub(crate) fn execute(cluster: &mut Cluster, out: &mut Outcome, cmd: &Prepared, ns: &str) {
    let Command::Expose(args) = &cmd.cli.command else {
        return;
    };
    let targets = match resolve(&args.resources) {
        Ok(t) => t,
        Err(e) => return out.fail(e),
    };
    let Some(target) = targets.first() else {
        return;
    };
    let Some(name) = target.name.clone() else {
        return out.fail("error: resource(s) were provided, but no name was specified");
    };
    if !matches!(
        target.kind,
        Kind::Pod | Kind::Service | Kind::Deployment | Kind::ReplicaSet
    ) {
        return out.fail(format!("error: cannot expose a {}", target.kind.name()));
    }
    let obj = match get_object(cluster, &ObjectKey::new(target.kind, ns, name)) {
        Ok(o) => o,
        Err(e) => return out.error(&e),
    };
    let svc = match build(args, &obj, ns) {
        Ok(s) => s,
        Err(e) => return out.fail(e),
    };
    match cluster.request(CLIENT, Request::Create(svc)) {
        Ok(r) => {
            if let Some(o) = r.object() {
                out.line(format!("{} exposed", kind_ref(o)));
            }
        }
        Err(e) => out.error(&e),
    }
}
