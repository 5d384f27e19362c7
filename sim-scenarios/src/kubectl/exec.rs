//! Running kubectl commands against a simulated cluster, printing what real
//! kubectl v1.32 prints.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sim_core::api::fields::FieldSelector;
use sim_core::api::labels::Selector;
use sim_core::api::meta::{timestamp, EPOCH_UNIX_SECS};
use sim_core::api::{ApiError, Kind, Object, ObjectKey};
use sim_core::apiserver::{Request, Response};
use sim_core::cluster::Cluster;

use super::commands;
use super::grammar::{Command, CreateWhat, KubectlCli};
use super::resources::resolve;
use crate::manifest::ManifestObject;

pub(crate) const CLIENT: &str = "kubectl";
pub(crate) const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// What a command did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// What kubectl printed (stdout and stderr, in order).
    pub output: String,
    /// Objects kubectl waits for to disappear (`delete --wait`).
    pub wait_for_gone: Vec<ObjectKey>,
    /// How long to wait for them (`drain --timeout`); None: the default.
    pub wait_timeout: Option<sim_core::time::SimDuration>,
    /// A `rollout status` still watching: the runner advances time and polls it.
    pub rollout_watch: Option<commands::rollout::RolloutWatch>,
    /// kubectl's exit code (0 or 1).
    pub exit_code: i32,
    /// `get -w`: the watch left running, printing changes as time advances.
    pub watch: Option<commands::get::Watch>,
}

impl Outcome {
    pub(crate) fn line(&mut self, s: impl AsRef<str>) {
        self.output.push_str(s.as_ref());
        if !s.as_ref().ends_with('\n') {
            self.output.push('\n');
        }
    }

    /// Prints kubectl's error line for a client-side failure and sets exit code 1.
    pub(crate) fn fail(&mut self, message: impl AsRef<str>) {
        self.line(message);
        self.exit_code = 1;
    }

    pub(crate) fn error(&mut self, e: &ApiError) {
        self.line(e.kubectl_line());
        self.exit_code = 1;
    }
}

/// A file or directory named by `--from-file` or `--from-env-file`, read when
/// the scenario was validated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceFile {
    /// True for a directory.
    pub is_dir: bool,
    /// `(file name, contents)`: the file itself, or the directory's regular
    /// files in name order.
    pub entries: Vec<(String, Vec<u8>)>,
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
    /// The files of `--from-file` / `--from-env-file`, by the path as written.
    pub files: std::collections::BTreeMap<String, SourceFile>,
    /// For `kubectl edit` in a scenario: the change made in the editor, as a
    /// strategic merge patch.
    pub edit_patch: Option<serde_json::Value>,
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
                    out.fail(e);
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
                out.fail("error: invalid selector");
                return out;
            };
            out.watch = commands::get::get(
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
                args.watch,
            );
        }
        Command::Describe(args) => match (
            resolve(&args.resources),
            args.selector.as_deref().map(Selector::parse).transpose(),
        ) {
            (Ok(targets), Ok(selector)) => commands::describe::describe(
                cluster,
                &mut out,
                &targets,
                &ns,
                args.all_namespaces,
                selector.unwrap_or_default(),
            ),
            (_, Err(e)) => {
                out.fail(format!("error: {e}"));
            }
            (Err(e), _) => {
                out.fail(e);
            }
        },
        Command::Create(args) => match &args.what {
            Some(
                CreateWhat::Configmap { .. }
                | CreateWhat::Secret { .. }
                | CreateWhat::Service { .. },
            ) => commands::create::execute_generated(cluster, &mut out, cmd, &ns),
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
                let obj = commands::create::create_deployment(
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
                        out.fail(e);
                        continue;
                    }
                    created(cluster, &mut out, obj);
                }
            }
        },
        Command::Apply(_) => {
            for m in &cmd.manifests {
                commands::apply::apply(cluster, &mut out, m, cmd.cli.namespace.as_deref());
            }
        }
        Command::Delete(args) => commands::delete::delete(cluster, &mut out, cmd, args, &ns),
        Command::Run(args) => {
            let obj = commands::run::run_pod(args, &ns);
            created(cluster, &mut out, obj);
        }
        Command::Logs(args) => commands::logs::logs(
            cluster,
            &mut out,
            &args.pod,
            args.container.as_deref(),
            args.tail,
            &ns,
        ),
        Command::Scale(_) => commands::scale::execute(cluster, &mut out, cmd, &ns),
        Command::Set(_) => commands::set::execute(cluster, &mut out, cmd, &ns),
        Command::Rollout(_) => commands::rollout::execute(cluster, &mut out, cmd, &ns),
        Command::Expose(_) => commands::expose::execute(cluster, &mut out, cmd, &ns),
        Command::Label(_) | Command::Annotate(_) => {
            commands::label::execute(cluster, &mut out, cmd, &ns)
        }
        Command::Patch(_) => commands::patch::execute(cluster, &mut out, cmd, &ns),
        Command::Edit(_) => commands::edit::execute(cluster, &mut out, cmd, &ns),
        Command::Exec(_) => commands::exec::execute(cluster, &mut out, cmd, &ns),
        Command::Cordon(_) | Command::Uncordon(_) | Command::Drain(_) | Command::Taint(_) => {
            commands::node::execute(cluster, &mut out, cmd, &ns)
        }
    }
    out
}

pub(crate) fn set_namespace(obj: &mut Object, flag: Option<&str>) -> Result<(), String> {
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

pub(crate) fn kind_ref(obj: &Object) -> String {
    format!("{}/{}", obj.kind().qualified_singular(), obj.name())
}

pub(crate) fn created(cluster: &mut Cluster, out: &mut Outcome, obj: Object) {
    match cluster.request(CLIENT, Request::Create(obj)) {
        Ok(resp) => {
            if let Some(o) = resp.object() {
                out.line(format!("{} created", kind_ref(o)));
            }
        }
        Err(e) => out.error(&e),
    }
}

pub(crate) fn list(
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

pub(crate) fn now_ts(cluster: &Cluster) -> k8s_openapi::jiff::Timestamp {
    let _ = EPOCH_UNIX_SECS;
    timestamp(cluster.now())
}
