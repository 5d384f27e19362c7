//! The kubectl dispatcher: runs a prepared command against a simulated
//! cluster by handing it to its module in [`super::commands`]. It is the only
//! module that imports the command modules; they import the shared pieces
//! ([`super::client`], [`super::outcome`], [`super::prepared`]) below them.

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sim_core::api::fields::FieldSelector;
use sim_core::api::labels::Selector;
use sim_core::api::Object;
use sim_core::cluster::Cluster;

use super::client::{created, set_namespace, CLIENT};
use super::commands;
use super::commands::get::Watch;
use super::commands::rollout::RolloutWatch;
use super::grammar::{Command, CreateWhat, DescribeArgs, GetArgs};
use super::outcome::Outcome;
use super::prepared::Prepared;
use super::resources::resolve;

/// What running a command did, and what it left running.
#[derive(Debug, Default)]
pub(crate) struct Execution {
    /// What it printed, its exit code, what to wait for.
    pub outcome: Outcome,
    /// `get -w`: the watch left running, printing changes as time advances.
    pub watch: Option<Watch>,
    /// A `rollout status` still watching: the caller advances time and polls it.
    pub rollout_watch: Option<RolloutWatch>,
}

/// For `kubectl exec -i` at a terminal: opens an interactive session when
/// the command is a shell or `redis-cli` at its prompt (see
/// [`commands::exec::open_session`]).
pub(crate) fn open_exec_session(
    cluster: &mut Cluster,
    cmd: &Prepared,
) -> (Outcome, Option<(sim_core::cluster::OpenSession, String)>) {
    let ns = cmd
        .cli
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_owned());
    commands::exec::open_session(cluster, cmd, &ns)
}

/// Runs a command at the cluster's current time.
pub(crate) fn execute(cluster: &mut Cluster, cmd: &Prepared) -> Execution {
    let mut ex = Execution::default();
    let out = &mut ex.outcome;
    let ns = cmd
        .cli
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_owned());
    match &cmd.cli.command {
        Command::Get(args) => ex.watch = get(cluster, out, args, &ns),
        Command::Describe(args) => describe(cluster, out, args, &ns),
        Command::Create(args) => create(cluster, out, cmd, args.what.as_ref(), &ns),
        Command::Apply(_) => {
            for m in &cmd.manifests {
                commands::apply::apply(cluster, out, m, cmd.cli.namespace.as_deref());
            }
        }
        Command::Delete(args) => commands::delete::delete(cluster, out, cmd, args, &ns),
        Command::Run(args) => {
            let obj = commands::run::run_pod(args, &ns);
            created(cluster, out, obj);
        }
        Command::Logs(args) => commands::logs::logs(
            cluster,
            out,
            &args.pod,
            args.container.as_deref(),
            args.tail,
            &ns,
        ),
        Command::Scale(_) => commands::scale::execute(cluster, out, cmd, &ns),
        Command::Set(_) => commands::set::execute(cluster, out, cmd, &ns),
        Command::Rollout(_) => {
            ex.rollout_watch = commands::rollout::execute(cluster, out, cmd, &ns);
        }
        Command::Expose(_) => commands::expose::execute(cluster, out, cmd, &ns),
        Command::Label(_) | Command::Annotate(_) => {
            commands::label::execute(cluster, out, cmd, &ns);
        }
        Command::Patch(_) => commands::patch::execute(cluster, out, cmd, &ns),
        Command::Edit(_) => commands::edit::execute(cluster, out, cmd, &ns),
        Command::Exec(_) => commands::exec::execute(cluster, out, cmd, &ns),
        Command::Cordon(_) | Command::Uncordon(_) | Command::Drain(_) | Command::Taint(_) => {
            commands::node::execute(cluster, out, cmd, &ns);
        }
    }
    ex
}

/// `get`: resolves the resource types and selectors, then lists; returns the
/// watch of `-w`.
fn get(cluster: &mut Cluster, out: &mut Outcome, args: &GetArgs, ns: &str) -> Option<Watch> {
    let targets = match resolve(&args.resources) {
        Ok(t) => t,
        Err(e) => {
            out.fail(e);
            return None;
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
        return None;
    };
    let req = commands::get::GetRequest {
        targets: &targets,
        ns,
        all_namespaces: args.all_namespaces,
        output: args.output.as_deref(),
        labels: labels.unwrap_or_default(),
        fields: fields.unwrap_or_default(),
        show_labels: args.show_labels,
        no_headers: args.no_headers,
        watch: args.watch,
    };
    commands::get::get(cluster, out, &req)
}

/// `describe`: resolves the resource types and the selector, then describes.
fn describe(cluster: &mut Cluster, out: &mut Outcome, args: &DescribeArgs, ns: &str) {
    match (
        resolve(&args.resources),
        args.selector.as_deref().map(Selector::parse).transpose(),
    ) {
        (Ok(targets), Ok(selector)) => commands::describe::describe(
            cluster,
            out,
            &targets,
            ns,
            args.all_namespaces,
            selector.unwrap_or_default(),
        ),
        (_, Err(e)) => out.fail(format!("error: {e}")),
        (Err(e), _) => out.fail(e),
    }
}

/// `create`: a generated object (`create namespace|deployment|configmap|secret|service`)
/// or the objects of `-f` files.
fn create(
    cluster: &mut Cluster,
    out: &mut Outcome,
    cmd: &Prepared,
    what: Option<&CreateWhat>,
    ns: &str,
) {
    match what {
        Some(
            CreateWhat::Configmap { .. } | CreateWhat::Secret { .. } | CreateWhat::Service { .. },
        ) => {
            commands::create::execute_generated(cluster, out, cmd, ns);
        }
        Some(CreateWhat::Namespace { name }) => {
            let obj = Object::from(Namespace {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    ..Default::default()
                },
                ..Default::default()
            });
            created(cluster, out, obj);
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
                ns,
                image,
                *replicas,
                *port,
                command,
                cluster.client_rng(CLIENT),
            );
            created(cluster, out, obj);
        }
        None => {
            for m in &cmd.manifests {
                let mut obj = m.object.clone();
                if let Err(e) = set_namespace(&mut obj, cmd.cli.namespace.as_deref()) {
                    out.fail(e);
                    continue;
                }
                created(cluster, out, obj);
            }
        }
    }
}
