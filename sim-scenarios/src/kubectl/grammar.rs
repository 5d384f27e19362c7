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

const COMMANDS: [&str; 7] = [
    "get", "describe", "create", "apply", "delete", "run", "logs",
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
