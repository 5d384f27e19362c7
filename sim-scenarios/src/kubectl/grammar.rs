//! The kubectl command grammar, shared by scenario steps and (later) the
//! interactive shell. Real kubectl syntax and flags; a typo gets kubectl's
//! style of error. New commands are new enum variants.

use clap::{Args, Parser, Subcommand};

use crate::suggest::closest;

/// `kubectl [global flags] COMMAND`.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "kubectl",
    no_binary_name = true,
    disable_help_subcommand = true,
    disable_version_flag = true
)]
pub struct KubectlCli {
    /// `-n, --namespace`: the namespace scope of the request.
    #[arg(short = 'n', long = "namespace", global = true)]
    pub namespace: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands kubesim implements.
#[derive(Clone, Debug, Subcommand)]
pub enum Command {
    /// Display one or many resources.
    Get(GetArgs),
    /// Show details of a specific resource or group of resources.
    Describe(DescribeArgs),
    /// Create a resource from a file or from stdin, or a namespace / deployment.
    Create(CreateArgs),
    /// Apply a configuration to a resource by file name.
    Apply(ApplyArgs),
    /// Delete resources by file names, resources and names, or by resources and label selector.
    Delete(DeleteArgs),
    /// Run a particular image on the cluster (creates a Pod).
    Run(RunArgs),
    /// Print the logs for a container in a pod.
    Logs(LogsArgs),
    /// Set a new size for a deployment, replica set or stateful set.
    Scale(ScaleArgs),
    /// Set specific features on objects (`set image`).
    Set(SetArgs),
    /// Manage the rollout of a resource.
    Rollout(RolloutArgs),
    /// Expose a deployment, replica set, service or pod as a new Service.
    Expose(ExposeArgs),
    /// Update the labels on a resource.
    Label(LabelArgs),
    /// Update the annotations on a resource.
    Annotate(LabelArgs),
    /// Update fields of a resource (merge, strategic or JSON patch).
    Patch(PatchArgs),
    /// Edit a resource. kubectl opens an editor; a scenario step gives the
    /// change as `patch:` instead.
    Edit(EditArgs),
    /// Execute a command in a container.
    Exec(ExecArgs),
    /// Mark a node as unschedulable.
    Cordon(NodeArgs),
    /// Mark a node as schedulable.
    Uncordon(NodeArgs),
    /// Drain a node in preparation for maintenance.
    Drain(DrainArgs),
    /// Update the taints on one or more nodes.
    Taint(TaintArgs),
}

/// `kubectl scale`.
#[derive(Clone, Debug, Args)]
pub struct ScaleArgs {
    /// `TYPE NAME` or `TYPE/NAME`.
    #[arg(required = true)]
    pub resources: Vec<String>,
    /// `--replicas`: the new size.
    #[arg(long = "replicas", required = true)]
    pub replicas: i32,
    /// `--current-replicas`: precondition on the current size (-1: none).
    #[arg(long = "current-replicas", default_value_t = -1, allow_negative_numbers = true)]
    pub current_replicas: i32,
}

/// `kubectl set`.
#[derive(Clone, Debug, Args)]
pub struct SetArgs {
    /// What to set.
    #[command(subcommand)]
    pub what: SetWhat,
}

/// `kubectl set <what>`.
#[derive(Clone, Debug, Subcommand)]
pub enum SetWhat {
    /// Update the image of a pod template: `set image deployment/x c1=img:tag [c2=img2 | *=img]`.
    Image {
        /// `TYPE/NAME` or `TYPE NAME`, then `CONTAINER=IMAGE` pairs.
        #[arg(required = true)]
        args: Vec<String>,
        /// `--record` (deprecated): store the command in kubernetes.io/change-cause.
        #[arg(long = "record")]
        record: bool,
    },
}

/// `kubectl rollout`.
#[derive(Clone, Debug, Args)]
pub struct RolloutArgs {
    /// The rollout command.
    #[command(subcommand)]
    pub what: RolloutWhat,
}

/// `kubectl rollout <what> TYPE/NAME`.
#[derive(Clone, Debug, Subcommand)]
pub enum RolloutWhat {
    /// Show the status of the rollout (watches until done).
    Status {
        /// `TYPE/NAME` or `TYPE NAME`.
        #[arg(required = true)]
        resources: Vec<String>,
        /// `--revision`: pin to a revision.
        #[arg(long = "revision", default_value_t = 0)]
        revision: i64,
        /// `-w, --watch` (true).
        #[arg(short = 'w', long = "watch", default_value = "true", num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
        watch: bool,
        /// `--timeout` (0: no timeout), a duration.
        #[arg(long = "timeout")]
        timeout: Option<String>,
    },
    /// View rollout history.
    History {
        /// `TYPE/NAME` or `TYPE NAME`.
        #[arg(required = true)]
        resources: Vec<String>,
        /// `--revision`: details of one revision.
        #[arg(long = "revision", default_value_t = 0)]
        revision: i64,
    },
    /// Undo a previous rollout.
    Undo {
        /// `TYPE/NAME` or `TYPE NAME`.
        #[arg(required = true)]
        resources: Vec<String>,
        /// `--to-revision` (0: the previous one).
        #[arg(long = "to-revision", default_value_t = 0)]
        to_revision: i64,
    },
    /// Mark the resource as paused.
    Pause {
        /// `TYPE/NAME` or `TYPE NAME`.
        #[arg(required = true)]
        resources: Vec<String>,
    },
    /// Resume a paused resource.
    Resume {
        /// `TYPE/NAME` or `TYPE NAME`.
        #[arg(required = true)]
        resources: Vec<String>,
    },
    /// Restart a resource (new pods from the same template).
    Restart {
        /// `TYPE/NAME` or `TYPE NAME`.
        #[arg(required = true)]
        resources: Vec<String>,
    },
}

/// `kubectl expose`.
#[derive(Clone, Debug, Args)]
pub struct ExposeArgs {
    /// `TYPE NAME` or `TYPE/NAME`.
    #[arg(required = true)]
    pub resources: Vec<String>,
    /// `--port`.
    #[arg(long = "port")]
    pub port: Option<String>,
    /// `--target-port` (number or name).
    #[arg(long = "target-port")]
    pub target_port: Option<String>,
    /// `--name` of the Service.
    #[arg(long = "name")]
    pub name: Option<String>,
    /// `--type`: ClusterIP, NodePort, LoadBalancer or ExternalName.
    #[arg(long = "type")]
    pub type_: Option<String>,
    /// `--protocol`.
    #[arg(long = "protocol")]
    pub protocol: Option<String>,
    /// `--selector`.
    #[arg(long = "selector")]
    pub selector: Option<String>,
    /// `-l, --labels`.
    #[arg(short = 'l', long = "labels")]
    pub labels: Option<String>,
    /// `--cluster-ip` (`None` for headless).
    #[arg(long = "cluster-ip")]
    pub cluster_ip: Option<String>,
}

/// `kubectl label` and `kubectl annotate`.
#[derive(Clone, Debug, Args)]
pub struct LabelArgs {
    /// `TYPE NAME KEY=VAL ... KEY-` or `TYPE/NAME KEY=VAL ...`.
    #[arg(required = true)]
    pub args: Vec<String>,
    /// `--overwrite`: allow changing an existing key.
    #[arg(long = "overwrite")]
    pub overwrite: bool,
    /// `-l, --selector`.
    #[arg(short = 'l', long = "selector")]
    pub selector: Option<String>,
    /// `--all`.
    #[arg(long = "all")]
    pub all: bool,
}

/// `kubectl patch`.
#[derive(Clone, Debug, Args)]
pub struct PatchArgs {
    /// `TYPE NAME` or `TYPE/NAME`.
    #[arg(required = true)]
    pub resources: Vec<String>,
    /// `-p, --patch`: the patch document (JSON or YAML).
    #[arg(short = 'p', long = "patch", required = true)]
    pub patch: String,
    /// `--type`: strategic (default), merge or json.
    #[arg(long = "type", default_value = "strategic")]
    pub type_: String,
}

/// `kubectl edit`.
#[derive(Clone, Debug, Args)]
pub struct EditArgs {
    /// `TYPE NAME` or `TYPE/NAME`.
    #[arg(required = true)]
    pub resources: Vec<String>,
}

/// `kubectl exec`.
#[derive(Clone, Debug, Args)]
pub struct ExecArgs {
    /// `POD` or `TYPE/NAME`.
    pub pod: String,
    /// `-c, --container`.
    #[arg(short = 'c', long = "container")]
    pub container: Option<String>,
    /// `-i, --stdin`.
    #[arg(short = 'i', long = "stdin")]
    pub stdin: bool,
    /// `-t, --tty`.
    #[arg(short = 't', long = "tty")]
    pub tty: bool,
    /// The command after `--`.
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

/// `kubectl cordon` / `uncordon`.
#[derive(Clone, Debug, Args)]
pub struct NodeArgs {
    /// The node.
    pub node: String,
}

/// `kubectl drain`.
#[derive(Clone, Debug, Args)]
pub struct DrainArgs {
    /// The node.
    pub node: String,
    /// `--ignore-daemonsets`.
    #[arg(long = "ignore-daemonsets")]
    pub ignore_daemonsets: bool,
    /// `--delete-emptydir-data`.
    #[arg(long = "delete-emptydir-data")]
    pub delete_emptydir_data: bool,
    /// `--force`: also delete pods no controller manages.
    #[arg(long = "force")]
    pub force: bool,
    /// `--grace-period` (-1: the pod's own).
    #[arg(long = "grace-period", default_value_t = -1, allow_negative_numbers = true)]
    pub grace_period: i64,
    /// `--timeout`, a duration (0: forever).
    #[arg(long = "timeout")]
    pub timeout: Option<String>,
}

/// `kubectl taint`.
#[derive(Clone, Debug, Args)]
pub struct TaintArgs {
    /// `nodes NODE KEY[=VALUE]:EFFECT ... KEY[:EFFECT]-`.
    #[arg(required = true)]
    pub args: Vec<String>,
    /// `--overwrite`.
    #[arg(long = "overwrite")]
    pub overwrite: bool,
    /// `-l, --selector`.
    #[arg(short = 'l', long = "selector")]
    pub selector: Option<String>,
    /// `--all`.
    #[arg(long = "all")]
    pub all: bool,
}

/// `kubectl get`.
#[derive(Clone, Debug, Args)]
pub struct GetArgs {
    /// `TYPE [NAME ...]`, `TYPE/NAME ...` or `TYPE1,TYPE2`.
    #[arg(required = true)]
    pub resources: Vec<String>,
    /// `-A, --all-namespaces`.
    #[arg(short = 'A', long = "all-namespaces")]
    pub all_namespaces: bool,
    /// `-o, --output`: wide, yaml, json, name.
    #[arg(short = 'o', long = "output")]
    pub output: Option<String>,
    /// `-l, --selector`.
    #[arg(short = 'l', long = "selector")]
    pub selector: Option<String>,
    /// `--field-selector`.
    #[arg(long = "field-selector")]
    pub field_selector: Option<String>,
    /// `--show-labels`.
    #[arg(long = "show-labels")]
    pub show_labels: bool,
    /// `--no-headers`.
    #[arg(long = "no-headers")]
    pub no_headers: bool,
    /// `-w, --watch`: after the list, print changes until the next step.
    #[arg(short = 'w', long = "watch")]
    pub watch: bool,
}

/// `kubectl describe`.
#[derive(Clone, Debug, Args)]
pub struct DescribeArgs {
    /// `TYPE [NAME_PREFIX ...]` or `TYPE/NAME`.
    #[arg(required = true)]
    pub resources: Vec<String>,
    /// `-A, --all-namespaces`.
    #[arg(short = 'A', long = "all-namespaces")]
    pub all_namespaces: bool,
    /// `-l, --selector`.
    #[arg(short = 'l', long = "selector")]
    pub selector: Option<String>,
}

/// `kubectl create`.
#[derive(Clone, Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CreateArgs {
    /// `-f, --filename`.
    #[arg(short = 'f', long = "filename")]
    pub filenames: Vec<String>,
    /// What to create.
    #[command(subcommand)]
    pub what: Option<CreateWhat>,
}

/// `kubectl create <what>`.
#[derive(Clone, Debug, Subcommand)]
pub enum CreateWhat {
    /// Create a namespace with the specified name.
    #[command(alias = "ns")]
    Namespace {
        /// The name.
        name: String,
    },
    /// Create a config map from literals, files or directories.
    #[command(alias = "cm")]
    Configmap {
        /// The name.
        name: String,
        /// `--from-literal KEY=VALUE` (repeatable).
        #[arg(long = "from-literal")]
        from_literal: Vec<String>,
        /// `--from-file [KEY=]PATH` (repeatable; a directory adds each file).
        #[arg(long = "from-file")]
        from_file: Vec<String>,
        /// `--from-env-file PATH`.
        #[arg(long = "from-env-file")]
        from_env_file: Vec<String>,
    },
    /// Create a secret.
    Secret {
        /// The kind of secret.
        #[command(subcommand)]
        what: SecretWhat,
    },
    /// Create a service.
    #[command(alias = "svc")]
    Service {
        /// The kind of service.
        #[command(subcommand)]
        what: ServiceWhat,
    },
    /// Create a deployment with the specified name.
    #[command(alias = "deploy")]
    Deployment {
        /// The name.
        name: String,
        /// `--image` (repeatable).
        #[arg(long = "image", required = true)]
        image: Vec<String>,
        /// `--replicas` (1).
        #[arg(short = 'r', long = "replicas", default_value_t = 1)]
        replicas: i32,
        /// `--port` (none).
        #[arg(long = "port", default_value_t = -1, allow_negative_numbers = true)]
        port: i32,
        /// Command after `--`.
        #[arg(last = true)]
        command: Vec<String>,
    },
}

/// `kubectl create secret <what>`.
#[derive(Clone, Debug, Subcommand)]
pub enum SecretWhat {
    /// A secret from literals, files or env files (type Opaque).
    Generic {
        /// The name.
        name: String,
        /// `--from-literal KEY=VALUE`.
        #[arg(long = "from-literal")]
        from_literal: Vec<String>,
        /// `--from-file [KEY=]PATH`.
        #[arg(long = "from-file")]
        from_file: Vec<String>,
        /// `--from-env-file PATH`.
        #[arg(long = "from-env-file")]
        from_env_file: Vec<String>,
        /// `--type`.
        #[arg(long = "type")]
        type_: Option<String>,
    },
    /// A secret for a Docker registry (kubernetes.io/dockerconfigjson).
    DockerRegistry {
        /// The name.
        name: String,
        /// `--docker-server` (`https://index.docker.io/v1/`).
        #[arg(long = "docker-server", default_value = "https://index.docker.io/v1/")]
        docker_server: String,
        /// `--docker-username`.
        #[arg(long = "docker-username")]
        docker_username: Option<String>,
        /// `--docker-password`.
        #[arg(long = "docker-password")]
        docker_password: Option<String>,
        /// `--docker-email`.
        #[arg(long = "docker-email")]
        docker_email: Option<String>,
    },
}

/// `kubectl create service <type>`.
#[derive(Clone, Debug, Subcommand)]
pub enum ServiceWhat {
    /// A ClusterIP service.
    Clusterip {
        /// The name.
        name: String,
        /// `--tcp PORT[:TARGET]` (repeatable).
        #[arg(long = "tcp")]
        tcp: Vec<String>,
        /// `--clusterip` (`None` for headless).
        #[arg(long = "clusterip")]
        cluster_ip: Option<String>,
    },
    /// A NodePort service.
    Nodeport {
        /// The name.
        name: String,
        /// `--tcp PORT[:TARGET]` (repeatable).
        #[arg(long = "tcp")]
        tcp: Vec<String>,
        /// `--node-port`.
        #[arg(long = "node-port", default_value_t = 0)]
        node_port: i32,
    },
    /// A LoadBalancer service.
    Loadbalancer {
        /// The name.
        name: String,
        /// `--tcp PORT[:TARGET]` (repeatable).
        #[arg(long = "tcp")]
        tcp: Vec<String>,
    },
    /// An ExternalName service.
    Externalname {
        /// The name.
        name: String,
        /// `--external-name`.
        #[arg(long = "external-name", required = true)]
        external_name: String,
    },
}

/// `kubectl apply`.
#[derive(Clone, Debug, Args)]
pub struct ApplyArgs {
    /// `-f, --filename` (files or directories).
    #[arg(short = 'f', long = "filename", required = true)]
    pub filenames: Vec<String>,
    /// `-R, --recursive`.
    #[arg(short = 'R', long = "recursive")]
    pub recursive: bool,
}

/// `kubectl delete`.
#[derive(Clone, Debug, Args)]
pub struct DeleteArgs {
    /// `TYPE NAME ...` or `TYPE/NAME ...`.
    pub resources: Vec<String>,
    /// `-f, --filename`.
    #[arg(short = 'f', long = "filename")]
    pub filenames: Vec<String>,
    /// `-l, --selector`.
    #[arg(short = 'l', long = "selector")]
    pub selector: Option<String>,
    /// `--field-selector`.
    #[arg(long = "field-selector")]
    pub field_selector: Option<String>,
    /// `--all`.
    #[arg(long = "all")]
    pub all: bool,
    /// `-A, --all-namespaces`.
    #[arg(short = 'A', long = "all-namespaces")]
    pub all_namespaces: bool,
    /// `--grace-period` (-1: the object's default).
    #[arg(long = "grace-period", default_value_t = -1, allow_negative_numbers = true)]
    pub grace_period: i64,
    /// `--force`.
    #[arg(long = "force")]
    pub force: bool,
    /// `--now` (grace period 1).
    #[arg(long = "now")]
    pub now: bool,
    /// `--wait` (true): wait for the objects to be gone.
    #[arg(long = "wait", default_value = "true", num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub wait: bool,
    /// `--cascade`: background (default), foreground or orphan.
    #[arg(long = "cascade", default_value = "background")]
    pub cascade: String,
}

/// `kubectl run`.
#[derive(Clone, Debug, Args)]
pub struct RunArgs {
    /// The pod name.
    pub name: String,
    /// `--image`.
    #[arg(long = "image", required = true)]
    pub image: String,
    /// `--port`.
    #[arg(long = "port")]
    pub port: Option<i32>,
    /// `-l, --labels`: `k=v,k2=v2` (default `run=NAME`).
    #[arg(short = 'l', long = "labels")]
    pub labels: Option<String>,
    /// `--restart`: Always (default), OnFailure, Never.
    #[arg(long = "restart", default_value = "Always")]
    pub restart: String,
    /// `--env` (repeatable) `NAME=VALUE`.
    #[arg(long = "env")]
    pub env: Vec<String>,
    /// `--image-pull-policy`.
    #[arg(long = "image-pull-policy")]
    pub image_pull_policy: Option<String>,
    /// `--annotations` (repeatable) `k=v`.
    #[arg(long = "annotations")]
    pub annotations: Vec<String>,
    /// `--command`: the arguments after `--` are the command, not args.
    #[arg(long = "command")]
    pub command: bool,
    /// Arguments after `--`.
    #[arg(last = true)]
    pub args: Vec<String>,
}

/// `kubectl logs`.
#[derive(Clone, Debug, Args)]
pub struct LogsArgs {
    /// `POD` or `TYPE/NAME`.
    pub pod: String,
    /// `-c, --container`.
    #[arg(short = 'c', long = "container")]
    pub container: Option<String>,
    /// `--tail` (-1: all).
    #[arg(long = "tail", default_value_t = -1, allow_negative_numbers = true)]
    pub tail: i64,
}

/// A kubectl command line that does not parse, with kubectl's wording.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KubectlSyntaxError(pub String);

/// The kubectl commands kubesim models (what `sim shell` takes without
/// the leading `kubectl`).
pub const COMMANDS: [&str; 20] = [
    "get", "describe", "create", "apply", "delete", "run", "logs", "scale", "set", "rollout",
    "expose", "label", "annotate", "patch", "edit", "exec", "cordon", "uncordon", "drain", "taint",
];

/// Splits and parses a kubectl command line (with or without the leading `kubectl`).
pub fn parse(line: &str) -> Result<KubectlCli, KubectlSyntaxError> {
    let Some(mut words) = shlex::split(line) else {
        return Err(KubectlSyntaxError(format!(
            "error: unterminated quote in \"{line}\""
        )));
    };
    if words.first().map(String::as_str) == Some("kubectl") {
        words.remove(0);
    }
    if words.is_empty() {
        return Err(KubectlSyntaxError(
            "error: a kubectl command is required (for example: get pods)".into(),
        ));
    }
    KubectlCli::try_parse_from(&words).map_err(|e| translate(&e, &words))
}

/// Rewrites a clap error the way kubectl (cobra) words it.
fn translate(e: &clap::Error, words: &[String]) -> KubectlSyntaxError {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let invalid = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(" "),
        _ => String::new(),
    };
    let command = words
        .iter()
        .find(|w| !w.starts_with('-'))
        .cloned()
        .unwrap_or_default();
    let msg = match e.kind() {
        ErrorKind::InvalidSubcommand if COMMANDS.contains(&command.as_str()) => {
            format!(
                "error: unknown command \"{}\" for \"kubectl {command}\"",
                invalid(ContextKind::InvalidSubcommand)
            )
        }
        ErrorKind::InvalidSubcommand => {
            let suggestion = closest(&command, COMMANDS, 2);
            let mut m = format!("error: unknown command \"{command}\" for \"kubectl\"");
            if let Some(s) = suggestion {
                m.push_str(&format!("\n\nDid you mean this?\n\t{s}\n"));
            }
            m.push_str("\nRun 'kubectl --help' for usage.");
            m
        }
        ErrorKind::UnknownArgument => {
            let arg = invalid(ContextKind::InvalidArg);
            let flag = arg.split('=').next().unwrap_or(&arg).to_owned();
            if flag.starts_with("--") {
                format!("error: unknown flag: {flag}\nSee 'kubectl {command} --help' for usage.")
            } else {
                let c = flag.trim_start_matches('-').chars().next().unwrap_or('?');
                format!("error: unknown shorthand flag: '{c}' in {flag}\nSee 'kubectl {command} --help' for usage.")
            }
        }
        ErrorKind::MissingRequiredArgument => {
            let missing = invalid(ContextKind::InvalidArg);
            format!("error: required flag(s) {missing} not set\nSee 'kubectl {command} --help' for usage.")
        }
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            format!("error: kubectl {command} needs a subcommand or arguments\nSee 'kubectl {command} --help' for usage.")
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let arg = invalid(ContextKind::InvalidArg);
            let value = invalid(ContextKind::InvalidValue);
            format!("error: invalid argument \"{value}\" for \"{arg}\" flag\nSee 'kubectl {command} --help' for usage.")
        }
        _ => {
            let first = e
                .to_string()
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ")
                .to_owned();
            format!("error: {first}\nSee 'kubectl {command} --help' for usage.")
        }
    };
    KubectlSyntaxError(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn course_commands_parse() {
        for line in [
            "get namespace",
            "get pods -n kube-system",
            "get pods -A",
            "create namespace tuling",
            "apply -f my-namespace.yaml",
            "delete namespace tuling",
            "delete -f my-namespace.yaml",
            "run mynginx --image=nginx:1.14.2",
            "get pod -owide",
            "get pod -owide -n kube-system",
            "describe pod mynginx",
            "logs mynginx",
            "delete pod mynginx",
            "kubectl create deployment my-tomcat --image=tomcat:9.0.55",
        ] {
            parse(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        }
        let cli = parse("get pod -owide -n kube-system").unwrap();
        assert_eq!(cli.namespace.as_deref(), Some("kube-system"));
        match cli.command {
            Command::Get(g) => assert_eq!(g.output.as_deref(), Some("wide")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn typos_get_kubectl_errors() {
        let e = parse("gte pods").unwrap_err();
        assert!(
            e.0.starts_with(
                "error: unknown command \"gte\" for \"kubectl\"\n\nDid you mean this?\n\tget"
            ),
            "{}",
            e.0
        );
        let e = parse("run x --imagee=nginx").unwrap_err();
        assert!(e.0.starts_with("error: unknown flag: --imagee"), "{}", e.0);
        let e = parse("get pods -x").unwrap_err();
        assert!(
            e.0.starts_with("error: unknown shorthand flag: 'x' in -x"),
            "{}",
            e.0
        );
        assert!(parse("apply").is_err());
        assert!(parse("get pods 'unterminated").is_err());
    }
}
