//! Running kubectl commands against a simulated cluster, printing what real
//! kubectl v1.32 prints.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, Namespace, Pod, PodSpec, PodTemplateSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde_json::Value;
use sim_core::api::fields::FieldSelector;
use sim_core::api::labels::Selector;
use sim_core::api::meta::{timestamp, EPOCH_UNIX_SECS};
use sim_core::api::{ApiError, Kind, Object, ObjectKey, Reason};
use sim_core::apiserver::{merge_patch, DeleteOptions, Propagation, Request, Response};
use sim_core::cluster::Cluster;
use sim_report::printers::{self, PrintOptions};

use super::grammar::{Command, CreateWhat, KubectlCli};
use super::resources::{resolve, Target};
use crate::manifest::ManifestObject;

const CLIENT: &str = "kubectl";
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// What a command did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// What kubectl printed (stdout and stderr, in order).
    pub output: String,
    /// Objects kubectl waits for to disappear (`delete --wait`).
    pub wait_for_gone: Vec<ObjectKey>,
    /// kubectl's exit code (0 or 1).
    pub exit_code: i32,
}

impl Outcome {
    fn line(&mut self, s: impl AsRef<str>) {
        self.output.push_str(s.as_ref());
        if !s.as_ref().ends_with('\n') {
            self.output.push('\n');
        }
    }

    fn error(&mut self, e: &ApiError) {
        self.line(e.kubectl_line());
        self.exit_code = 1;
    }
}

/// A parsed command with the manifests its `-f` flags name (read when the
/// scenario was validated).
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The command line as written.
    pub line: String,
    /// The parsed command.
    pub cli: KubectlCli,
    /// The objects of `-f` files.
    pub manifests: Vec<ManifestObject>,
}

/// Runs a command at the cluster's current time.
pub fn execute(cluster: &mut Cluster, cmd: &Prepared) -> Outcome {
    let mut out = Outcome::default();
    let ns = cmd
        .cli
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_owned());
    match &cmd.cli.command {
        Command::Get(args) => {
            let targets = match resolve(&args.resources) {
                Ok(t) => t,
                Err(e) => {
                    out.line(e);
                    out.exit_code = 1;
                    return out;
                }
            };
            let labels = args.selector.as_deref().map(Selector::parse).transpose();
            let fields = args
                .field_selector
                .as_deref()
                .map(FieldSelector::parse)
                .transpose();
            let (Ok(labels), Ok(fields)) = (labels, fields) else {
                out.line("error: invalid selector");
                out.exit_code = 1;
                return out;
            };
            get(
                cluster,
                &mut out,
                &targets,
                &ns,
                args.all_namespaces,
                args.output.as_deref(),
                labels.unwrap_or_default(),
                fields.unwrap_or_default(),
                args.show_labels,
                args.no_headers,
            );
        }
        Command::Describe(args) => match (
            resolve(&args.resources),
            args.selector.as_deref().map(Selector::parse).transpose(),
        ) {
            (Ok(targets), Ok(selector)) => describe(
                cluster,
                &mut out,
                &targets,
                &ns,
                args.all_namespaces,
                selector.unwrap_or_default(),
            ),
            (_, Err(e)) => {
                out.line(format!("error: {e}"));
                out.exit_code = 1;
            }
            (Err(e), _) => {
                out.line(e);
                out.exit_code = 1;
            }
        },
        Command::Create(args) => match &args.what {
            Some(CreateWhat::Namespace { name }) => {
                let obj = Object::from(Namespace {
                    metadata: ObjectMeta {
                        name: Some(name.clone()),
                        ..Default::default()
                    },
                    ..Default::default()
                });
                created(cluster, &mut out, obj);
            }
            Some(CreateWhat::Deployment {
                name,
                image,
                replicas,
                port,
                command,
            }) => {
                let obj = create_deployment(
                    name,
                    &ns,
                    image,
                    *replicas,
                    *port,
                    command,
                    cluster.client_rng(CLIENT),
                );
                created(cluster, &mut out, obj);
            }
            None => {
                for m in &cmd.manifests {
                    let mut obj = m.object.clone();
                    if let Err(e) = set_namespace(&mut obj, cmd.cli.namespace.as_deref()) {
                        out.line(e);
                        out.exit_code = 1;
                        continue;
                    }
                    created(cluster, &mut out, obj);
                }
            }
        },
        Command::Apply(_) => {
            for m in &cmd.manifests {
                apply(cluster, &mut out, m, cmd.cli.namespace.as_deref());
            }
        }
        Command::Delete(args) => delete(cluster, &mut out, cmd, args, &ns),
        Command::Run(args) => {
            let obj = run_pod(args, &ns);
            created(cluster, &mut out, obj);
        }
        Command::Logs(args) => logs(
            cluster,
            &mut out,
            &args.pod,
            args.container.as_deref(),
            args.tail,
            &ns,
        ),
    }
    out
}

fn set_namespace(obj: &mut Object, flag: Option<&str>) -> Result<(), String> {
    if !obj.kind().namespaced() {
        return Ok(());
    }
    let own = obj.meta().namespace.clone().filter(|n| !n.is_empty());
    match (own, flag) {
        (Some(o), Some(f)) if o != f => Err(format!(
            "error: the namespace from the provided object \"{o}\" does not match the namespace \"{f}\". You must pass '--namespace={o}' to perform this operation."
        )),
        (Some(_), _) => Ok(()),
        (None, f) => {
            obj.meta_mut().namespace = Some(f.unwrap_or("default").to_owned());
            Ok(())
        }
    }
}

fn kind_ref(obj: &Object) -> String {
    format!("{}/{}", obj.kind().qualified_singular(), obj.name())
}

fn created(cluster: &mut Cluster, out: &mut Outcome, obj: Object) {
    match cluster.request(CLIENT, Request::Create(obj)) {
        Ok(resp) => {
            if let Some(o) = resp.object() {
                out.line(format!("{} created", kind_ref(o)));
            }
        }
        Err(e) => out.error(&e),
    }
}

/// `kubectl create deployment` (pkg/cmd/create/create_deployment.go).
fn create_deployment(
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

/// `kubectl run` (pkg/generate/versioned/run.go BasicPod).
fn run_pod(args: &super::grammar::RunArgs, ns: &str) -> Object {
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

/// `kubectl apply`: create, or a three-way JSON merge of the last applied
/// configuration, the manifest and the live object.
fn apply(cluster: &mut Cluster, out: &mut Outcome, m: &ManifestObject, ns_flag: Option<&str>) {
    let mut obj = m.object.clone();
    if let Err(e) = set_namespace(&mut obj, ns_flag) {
        out.line(e);
        out.exit_code = 1;
        return;
    }
    let mut modified = m.json.clone();
    if obj.kind().namespaced() {
        if let Some(meta) = modified.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert(
                "namespace".into(),
                Value::String(obj.namespace().to_owned()),
            );
        }
    }
    let applied = serde_json::to_string(&modified).unwrap_or_default();
    let key = ObjectKey::of(&obj);
    let live = cluster
        .etcd()
        .get(key.kind, &key.namespace, &key.name)
        .cloned();
    let Some(live) = live else {
        obj.meta_mut()
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(LAST_APPLIED.into(), applied);
        match cluster.request(CLIENT, Request::Create(obj)) {
            Ok(resp) => {
                if let Some(o) = resp.object() {
                    out.line(format!("{} created", kind_ref(o)));
                }
            }
            Err(e) => out.line(format!(
                "Error from server ({}): error when creating \"{}\": {}",
                e.reason.as_str(),
                m.origin.file.display(),
                e.message
            )),
        }
        return;
    };
    let original: Value = live
        .meta()
        .annotations
        .as_ref()
        .and_then(|a| a.get(LAST_APPLIED))
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    let mut patch = three_way_patch(&original, &modified);
    if let Some(meta) = patch.as_object_mut().map(|p| {
        p.entry("metadata")
            .or_insert_with(|| Value::Object(Default::default()))
    }) {
        if let Some(meta) = meta.as_object_mut() {
            let ann = meta
                .entry("annotations")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Some(ann) = ann.as_object_mut() {
                ann.insert(LAST_APPLIED.into(), Value::String(applied));
            }
        }
    }
    let mut merged = live.to_json();
    merge_patch::apply(&mut merged, &patch);
    if merged == live.to_json() {
        out.line(format!("{} unchanged", kind_ref(&live)));
        return;
    }
    match cluster.request(CLIENT, Request::Patch { key, patch }) {
        Ok(_) => out.line(format!("{} configured", kind_ref(&live))),
        Err(e) => out.line(format!(
            "Error from server ({}): error when applying patch to \"{}\": {}",
            e.reason.as_str(),
            m.origin.file.display(),
            e.message
        )),
    }
}

/// A JSON merge patch that sets everything in `modified` and removes what
/// `original` had and `modified` no longer has (jsonmergepatch.CreateThreeWayJSONMergePatch, simplified).
pub fn three_way_patch(original: &Value, modified: &Value) -> Value {
    let mut patch = modified.clone();
    if let (Some(o), Some(p)) = (original.as_object(), patch.as_object_mut()) {
        for (k, ov) in o {
            match p.get_mut(k) {
                None => {
                    p.insert(k.clone(), Value::Null);
                }
                Some(pv) if pv.is_object() && ov.is_object() => {
                    *pv = three_way_patch(ov, pv);
                }
                _ => {}
            }
        }
    }
    patch
}

fn delete(
    cluster: &mut Cluster,
    out: &mut Outcome,
    cmd: &Prepared,
    args: &super::grammar::DeleteArgs,
    ns: &str,
) {
    let mut keys: Vec<ObjectKey> = Vec::new();
    for m in &cmd.manifests {
        let mut obj = m.object.clone();
        if set_namespace(&mut obj, cmd.cli.namespace.as_deref()).is_ok() {
            keys.push(ObjectKey::of(&obj));
        }
    }
    if !args.resources.is_empty() {
        match resolve(&args.resources) {
            Err(e) => {
                out.line(e);
                out.exit_code = 1;
                return;
            }
            Ok(targets) => {
                for t in targets {
                    let kns = if t.kind.namespaced() {
                        ns.to_owned()
                    } else {
                        String::new()
                    };
                    match t.name {
                        Some(name) => keys.push(ObjectKey::new(t.kind, kns, name)),
                        None => {
                            let labels =
                                match args.selector.as_deref().map(Selector::parse).transpose() {
                                    Ok(s) => s.unwrap_or_default(),
                                    Err(e) => {
                                        out.line(format!("error: {e}"));
                                        out.exit_code = 1;
                                        return;
                                    }
                                };
                            if !args.all && args.selector.is_none() {
                                out.line(
                                    "error: resource(s) were provided, but no name was specified",
                                );
                                out.exit_code = 1;
                                return;
                            }
                            let scope = (!args.all_namespaces && t.kind.namespaced())
                                .then(|| ns.to_owned());
                            let list =
                                list(cluster, t.kind, scope, labels, FieldSelector::everything());
                            if list.is_empty() {
                                out.line("No resources found");
                            }
                            keys.extend(list.iter().map(|o| ObjectKey::of(o)));
                        }
                    }
                }
            }
        }
    }
    let grace = if args.now {
        Some(1)
    } else if args.grace_period >= 0 {
        Some(args.grace_period)
    } else if args.force {
        Some(0)
    } else {
        None
    };
    let propagation = match args.cascade.as_str() {
        "foreground" => Some(Propagation::Foreground),
        "orphan" | "false" => Some(Propagation::Orphan),
        _ => Some(Propagation::Background),
    };
    if args.force && grace == Some(0) {
        out.line("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.");
    }
    for key in keys {
        let options = DeleteOptions {
            grace_period_secs: grace,
            propagation,
            precondition_uid: None,
        };
        match cluster.request(
            CLIENT,
            Request::Delete {
                key: key.clone(),
                options,
            },
        ) {
            Ok(Response::Deleted { gone, .. }) => {
                let forced = if args.force && grace == Some(0) {
                    " (force)"
                } else {
                    ""
                };
                out.line(format!(
                    "{} \"{}\" {}deleted",
                    key.kind.qualified_singular(),
                    key.name,
                    if forced.is_empty() { "" } else { "force " }
                ));
                if !gone && args.wait {
                    out.wait_for_gone.push(key);
                }
            }
            Ok(_) => {}
            Err(e) => out.error(&e),
        }
    }
}

fn list(
    cluster: &mut Cluster,
    kind: Kind,
    namespace: Option<String>,
    labels: Selector,
    fields: FieldSelector,
) -> Vec<Arc<Object>> {
    match cluster.request(
        CLIENT,
        Request::List {
            kind,
            namespace,
            labels,
            fields,
        },
    ) {
        Ok(Response::List { items, .. }) => items,
        _ => Vec::new(),
    }
}

fn now_ts(cluster: &Cluster) -> k8s_openapi::jiff::Timestamp {
    let _ = EPOCH_UNIX_SECS;
    timestamp(cluster.now())
}

#[allow(clippy::too_many_arguments)]
fn get(
    cluster: &mut Cluster,
    out: &mut Outcome,
    targets: &[Target],
    ns: &str,
    all_namespaces: bool,
    output: Option<&str>,
    labels: Selector,
    fields: FieldSelector,
    show_labels: bool,
    no_headers: bool,
) {
    let now = now_ts(cluster);
    let mut objects: Vec<(Kind, Vec<Arc<Object>>)> = Vec::new();
    for t in targets {
        let scope = (!all_namespaces && t.kind.namespaced()).then(|| ns.to_owned());
        match &t.name {
            Some(name) => {
                let key = ObjectKey::new(
                    t.kind,
                    if t.kind.namespaced() { ns } else { "" },
                    name.clone(),
                );
                match cluster.request(CLIENT, Request::Get(key)) {
                    Ok(Response::Object(o)) => push(&mut objects, t.kind, o),
                    Ok(_) => {}
                    Err(e) => out.error(&e),
                }
            }
            None => {
                let items = match cluster.request(
                    CLIENT,
                    Request::List {
                        kind: t.kind,
                        namespace: scope,
                        labels: labels.clone(),
                        fields: fields.clone(),
                    },
                ) {
                    Ok(Response::List { items, .. }) => items,
                    Ok(_) => Vec::new(),
                    Err(e) => {
                        out.error(&e);
                        continue;
                    }
                };
                for o in items {
                    push(&mut objects, t.kind, o);
                }
                if !objects.iter().any(|(k, _)| *k == t.kind) {
                    objects.push((t.kind, Vec::new()));
                }
            }
        }
    }
    let single = targets.len() == 1 && targets[0].name.is_some();
    match output {
        Some("yaml") | Some("json") => {
            let items: Vec<Value> = objects
                .iter()
                .flat_map(|(_, v)| v.iter().map(|o| o.to_json()))
                .collect();
            let doc = if single && items.len() == 1 {
                items.into_iter().next().unwrap_or(Value::Null)
            } else {
                serde_json::json!({ "apiVersion": "v1", "items": items, "kind": "List", "metadata": { "resourceVersion": "" } })
            };
            if output == Some("yaml") {
                out.line(crate::yaml::to_string(&doc));
            } else {
                out.line(json_4(&doc));
            }
        }
        Some("name") => {
            for (kind, items) in &objects {
                for o in items {
                    out.line(format!("{}/{}", kind.qualified_singular(), o.name()));
                }
            }
        }
        Some(other) if other != "wide" => {
            out.line(format!("error: unable to match a printer suitable for the output format \"{other}\", allowed formats are: json,name,wide,yaml"));
            out.exit_code = 1;
        }
        _ => {
            let opts = PrintOptions {
                wide: output == Some("wide"),
                with_namespace: all_namespaces,
                show_labels,
                no_headers,
            };
            let nonempty: Vec<&(Kind, Vec<Arc<Object>>)> =
                objects.iter().filter(|(_, v)| !v.is_empty()).collect();
            if nonempty.is_empty() && out.exit_code == 0 {
                let scoped = targets.iter().all(|t| t.kind.namespaced()) && !all_namespaces;
                out.line(printers::no_resources_message(scoped.then_some(ns)));
                return;
            }
            for (i, (kind, items)) in nonempty.iter().enumerate() {
                if i > 0 {
                    out.line("");
                }
                out.output.push_str(&table(*kind, items, now, &opts));
            }
        }
    }
}

fn push(objects: &mut Vec<(Kind, Vec<Arc<Object>>)>, kind: Kind, o: Arc<Object>) {
    match objects.iter_mut().find(|(k, _)| *k == kind) {
        Some((_, v)) => v.push(o),
        None => objects.push((kind, vec![o])),
    }
}

/// JSON as kubectl prints it (four-space indent).
fn json_4(v: &Value) -> String {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    if serde::Serialize::serialize(v, &mut ser).is_err() {
        return String::new();
    }
    String::from_utf8(buf).unwrap_or_default()
}

macro_rules! typed_table {
    ($kind:expr, $items:expr, $now:expr, $opts:expr, [$($v:ident),*]) => {
        match $kind {
            $(Kind::$v => {
                let typed: Vec<_> = $items.iter().filter_map(|o| match &**o { Object::$v(x) => Some(&**x), _ => None }).collect();
                printers::print_table(&typed, $now, $opts)
            })*
        }
    };
}

/// The `kubectl get` table of objects of one kind.
pub fn table(
    kind: Kind,
    items: &[Arc<Object>],
    now: k8s_openapi::jiff::Timestamp,
    opts: &PrintOptions,
) -> String {
    typed_table!(
        kind,
        items,
        now,
        opts,
        [
            Namespace,
            Node,
            Pod,
            Service,
            Endpoints,
            ConfigMap,
            Secret,
            ServiceAccount,
            Event,
            PersistentVolume,
            PersistentVolumeClaim,
            Deployment,
            ReplicaSet,
            DaemonSet,
            StatefulSet,
            Job,
            Lease,
            EndpointSlice,
            Ingress,
            PriorityClass,
            StorageClass
        ]
    )
}

fn events_for(cluster: &Cluster, obj: &Object) -> Vec<k8s_openapi::api::core::v1::Event> {
    let ns = if obj.namespace().is_empty() {
        "default"
    } else {
        obj.namespace()
    };
    cluster
        .etcd()
        .list(Kind::Event, Some(ns))
        .iter()
        .filter_map(|e| match &**e {
            Object::Event(ev) if ev.involved_object.uid.as_deref() == Some(obj.uid()) => {
                Some((**ev).clone())
            }
            _ => None,
        })
        .collect()
}

fn describe(
    cluster: &mut Cluster,
    out: &mut Outcome,
    targets: &[Target],
    ns: &str,
    all_namespaces: bool,
    selector: Selector,
) {
    let now = now_ts(cluster);
    for t in targets {
        let scope = (!all_namespaces && t.kind.namespaced()).then(|| ns.to_owned());
        let candidates = list(
            cluster,
            t.kind,
            scope,
            selector.clone(),
            FieldSelector::everything(),
        );
        let chosen: Vec<&Arc<Object>> = match &t.name {
            Some(name) => {
                let exact: Vec<_> = candidates.iter().filter(|o| o.name() == name).collect();
                if exact.is_empty() {
                    candidates
                        .iter()
                        .filter(|o| o.name().starts_with(name.as_str()))
                        .collect()
                } else {
                    exact
                }
            }
            None => candidates.iter().collect(),
        };
        if chosen.is_empty() {
            match &t.name {
                Some(name) => out.error(&ApiError::not_found(t.kind, name)),
                None => out.line(printers::no_resources_message(
                    (t.kind.namespaced() && !all_namespaces).then_some(ns),
                )),
            }
            continue;
        }
        for (i, o) in chosen.iter().enumerate() {
            if i > 0 {
                out.line("\n");
            }
            let events = events_for(cluster, o);
            let ev_refs: Vec<&k8s_openapi::api::core::v1::Event> = events.iter().collect();
            let text = match &***o {
                Object::Pod(p) => sim_report::describe::describe_pod(p, &ev_refs, now),
                Object::Namespace(n) => sim_report::describe::describe_namespace(n),
                Object::Node(n) => {
                    let pods: Vec<k8s_openapi::api::core::v1::Pod> = cluster
                        .etcd()
                        .list(Kind::Pod, None)
                        .iter()
                        .filter_map(|p| p.as_pod().cloned())
                        .filter(|p| {
                            p.spec.as_ref().and_then(|s| s.node_name.as_deref())
                                == n.metadata.name.as_deref()
                        })
                        .filter(|p| {
                            !matches!(
                                p.status.as_ref().and_then(|s| s.phase.as_deref()),
                                Some("Succeeded" | "Failed")
                            )
                        })
                        .collect();
                    let pod_refs: Vec<&k8s_openapi::api::core::v1::Pod> = pods.iter().collect();
                    let lease = cluster
                        .etcd()
                        .get(Kind::Lease, "kube-node-lease", o.name())
                        .and_then(|l| match &**l {
                            Object::Lease(l) => Some((**l).clone()),
                            _ => None,
                        });
                    sim_report::describe::describe_node(n, &pod_refs, lease.as_ref(), &ev_refs, now)
                }
                Object::Deployment(d) => {
                    let rss: Vec<k8s_openapi::api::apps::v1::ReplicaSet> = cluster
                        .etcd()
                        .list(Kind::ReplicaSet, Some(o.namespace()))
                        .iter()
                        .filter(|r| {
                            sim_core::api::meta::controller_of(r.meta())
                                .is_some_and(|c| c.uid == o.uid())
                        })
                        .filter_map(|r| match &**r {
                            Object::ReplicaSet(rs) => Some((**rs).clone()),
                            _ => None,
                        })
                        .collect();
                    let template = d.spec.as_ref().map(|s| s.template.clone());
                    let strip = |t: &PodTemplateSpec| {
                        let mut t = t.clone();
                        if let Some(l) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
                            l.remove("pod-template-hash");
                        }
                        t
                    };
                    let new_rs = rss.iter().find(|rs| {
                        rs.spec
                            .as_ref()
                            .and_then(|s| s.template.as_ref())
                            .map(strip)
                            == template.as_ref().map(strip)
                    });
                    let old: Vec<&k8s_openapi::api::apps::v1::ReplicaSet> =
                        rss.iter().filter(|rs| Some(*rs) != new_rs).collect();
                    sim_report::describe::describe_deployment(d, &old, new_rs, &ev_refs, now)
                }
                other => {
                    out.line(format!(
                        "error: kubesim does not describe {} yet; use kubectl get {} {} -o yaml",
                        other.kind().plural(),
                        other.kind().plural(),
                        other.name()
                    ));
                    out.exit_code = 1;
                    continue;
                }
            };
            out.output.push_str(&text);
        }
    }
}

fn logs(
    cluster: &mut Cluster,
    out: &mut Outcome,
    pod_ref: &str,
    container: Option<&str>,
    tail: i64,
    ns: &str,
) {
    let name = pod_ref
        .strip_prefix("pod/")
        .or_else(|| pod_ref.strip_prefix("pods/"))
        .unwrap_or(pod_ref);
    let key = ObjectKey::new(Kind::Pod, ns, name);
    let pod = match cluster.request(CLIENT, Request::Get(key)) {
        Ok(Response::Object(o)) => o,
        Ok(_) => return,
        Err(e) => {
            out.error(&e);
            return;
        }
    };
    let Some(p) = pod.as_pod() else { return };
    let containers: Vec<&Container> = p
        .spec
        .as_ref()
        .map(|s| s.containers.iter().collect())
        .unwrap_or_default();
    let chosen = match container {
        Some(c) => match containers.iter().find(|x| x.name == c) {
            Some(x) => *x,
            None => {
                out.error(&ApiError::new(
                    Reason::BadRequest,
                    format!("container {c} is not valid for pod {name}"),
                ));
                return;
            }
        },
        None => {
            let Some(first) = containers.first() else {
                return;
            };
            if containers.len() > 1 {
                let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
                out.line(format!(
                    "Defaulted container \"{}\" out of: {}",
                    first.name,
                    names.join(", ")
                ));
            }
            *first
        }
    };
    let status = p
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.name == chosen.name));
    let started = status.is_some_and(|s| {
        s.state
            .as_ref()
            .is_some_and(|st| st.running.is_some() || st.terminated.is_some())
            || s.last_state
                .as_ref()
                .is_some_and(|l| l.terminated.is_some())
    });
    if !started {
        let reason = status
            .and_then(|s| s.state.as_ref())
            .and_then(|st| st.waiting.as_ref())
            .and_then(|w| w.reason.clone())
            .unwrap_or_else(|| "ContainerCreating".into());
        out.error(&ApiError::new(
            Reason::BadRequest,
            format!(
                "container \"{}\" in pod \"{name}\" is waiting to start: {reason}",
                chosen.name
            ),
        ));
        return;
    }
    let image = chosen.image.clone().unwrap_or_default();
    let lines = cluster.config().images.lookup(&image).logs.clone();
    let skip = if tail >= 0 {
        lines
            .len()
            .saturating_sub(usize::try_from(tail).unwrap_or(0))
    } else {
        0
    };
    for l in lines.iter().skip(skip) {
        out.line(l);
    }
}
