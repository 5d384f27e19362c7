//! `kubectl exec` at the node: the kubelet's exec handler
//! (pkg/kubelet/server, `/exec/{namespace}/{pod}/{container}`) hands the
//! command to the container runtime, which starts it in the running
//! container: its environment as resolved at the container's start, its
//! working directory, its filesystem ([`super::node_files`]) and its pod's
//! localhost. The request reaches here from the API server
//! ([`crate::cluster::Cluster::exec`]); the runtime's answers are the real
//! ones: a program not on the container's `PATH` is runc's `executable file
//! not found in $PATH` (exit 126 from `kubectl exec`).
//!
//! A shell (`sh`, `bash`, `ash`) with `-c LINE` runs the line; without it,
//! it reads the request's input a line at a time, as an interactive session
//! does, showing its prompt before each line when the request has a
//! terminal (`-t`), until `exit` or the end of the input.

use super::container_env::{pod_hostname, PodContext};
use super::container_view::find_container;
use super::http::{HttpRequest, HttpResponse, NetError, Network};
use super::pod_network::{Caller, NodeNetwork};
use super::pod_worker::CState;
use super::redis;
use super::shell::{Clock, Dialect, Files, Output, Shell};
use super::Kubelet;
use crate::config::image_fs::program_package;
use crate::config::ImageCatalog;
use crate::time::SimTime;

/// The most input lines one exec request may carry.
pub const MAX_INPUT_LINES: usize = 1_000;

/// An exec request as the kubelet receives it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecRequest {
    /// The pod's namespace.
    pub namespace: String,
    /// The pod.
    pub pod: String,
    /// The container.
    pub container: String,
    /// The command and its arguments.
    pub command: Vec<String>,
    /// Standard input (`-i`), lines separated by `\n`.
    pub stdin: String,
    /// A terminal (`-t`).
    pub tty: bool,
}

/// What the command printed, and how it ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecOutput {
    /// Standard output (on a terminal: stdout and stderr as they appeared).
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The exit status.
    pub status: i32,
}

/// The kubelet's answer to an exec request it cannot serve.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// The pod does not run on this node (any more).
    #[error("pod does not exist")]
    PodDoesNotExist,
    /// No running container of that name.
    #[error("container not found (\"{container}\")")]
    ContainerNotFound {
        /// The container asked for.
        container: String,
    },
    /// More input than [`MAX_INPUT_LINES`].
    #[error("kubesim takes at most {MAX_INPUT_LINES} lines of input for one exec")]
    InputTooLong,
}

impl Kubelet {
    /// Runs `req` in its container at `now`; requests to addresses of other
    /// nodes go to `remote`.
    pub fn exec(
        &mut self,
        images: &ImageCatalog,
        now: SimTime,
        req: &ExecRequest,
        remote: Option<&mut dyn Network>,
    ) -> Result<ExecOutput, ExecError> {
        if req.stdin.lines().count() > MAX_INPUT_LINES {
            return Err(ExecError::InputTooLong);
        }
        let (uid, w) = self
            .workers
            .iter()
            .find(|(_, w)| {
                w.pod.namespace() == req.namespace && w.pod.name() == req.pod && !w.delete_sent
            })
            .ok_or(ExecError::PodDoesNotExist)?;
        let uid = uid.clone();
        let not_found = || ExecError::ContainerNotFound {
            container: req.container.clone(),
        };
        let idx = w
            .ctrs
            .iter()
            .position(|c| c.name == req.container && c.is_running())
            .ok_or_else(not_found)?;
        let pod_obj = w.pod.clone();
        let pod = pod_obj.as_pod().ok_or_else(not_found)?;
        let spec = find_container(pod, &req.container).ok_or_else(not_found)?;
        let c = &w.ctrs[idx];
        let profile = images.lookup(&c.image);
        let started_at = match c.state {
            CState::Running { started_at } => started_at,
            _ => now,
        };
        let hostname = pod_hostname(pod, &self.node_name);
        let pod_ip = w.ip.clone().unwrap_or_else(|| self.host_ip.clone());
        let mut env = c.env.clone().unwrap_or_default();
        if req.tty {
            env.set("TERM", "xterm".into());
        }
        if env.get("HOME").is_none() {
            env.set("HOME", "/root".into());
        }
        let cwd = spec
            .working_dir
            .clone()
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| profile.workdir.clone());
        let redis_at = pod_redis(pod, w);
        // The container's filesystem, made on first use and held by the
        // session while the node's other files serve its requests.
        let key = (uid.clone(), idx);
        {
            let pctx = PodContext {
                pod,
                pod_ip: &pod_ip,
                host_ip: &self.host_ip,
                node_name: &self.node_name,
            };
            self.files
                .container(&key, || profile.image_tree(), spec, &pctx, &self.cache);
        }
        let mut fs = self
            .files
            .take_container(&key)
            .expect("the container's filesystem was just made");
        // The keyspace is lent to the session and given back after it.
        let redis = redis_at.map(|(i, config)| {
            let data = self
                .workers
                .get_mut(&uid)
                .map(|w| std::mem::take(&mut w.ctrs[i].redis_data))
                .unwrap_or_default();
            (i, redis::Server { config, data })
        });
        let (redis_idx, redis) = match redis {
            Some((i, s)) => (Some(i), Some(s)),
            None => (None, None),
        };
        let cidr = self.pod_ips.cidr();
        let (vols, shared) = self.files.split();
        let mut net = NodeNetwork {
            workers: &self.workers,
            shared,
            images,
            cidr,
            now,
            caller: Some(Caller {
                key: key.clone(),
                pod_ip: &pod_ip,
                hostname: &hostname,
            }),
            remote: match remote {
                Some(r) => Some(&mut *r as &mut dyn Network),
                None => None,
            },
        };
        let mut files = Files {
            fs: &mut fs,
            vols,
            tty: req.tty,
            clock: Clock { now, started_at },
            redis,
            net: Some(&mut net),
        };
        let mut shell = Shell::new(&cwd, env.0, &hostname);
        let out = run(&mut shell, req, &mut files);
        let redis = files.redis.take();
        self.files.put_container(key, fs);
        if let (Some(i), Some(server), Some(w)) = (redis_idx, redis, self.workers.get_mut(&uid)) {
            w.ctrs[i].redis_data = server.data;
        }
        Ok(out)
    }

    /// Serves an HTTP request that reached this node for pod IP `ip` (from a
    /// container of another node).
    pub fn serve(
        &mut self,
        images: &ImageCatalog,
        now: SimTime,
        ip: &str,
        port: u16,
        req: &HttpRequest,
    ) -> Result<HttpResponse, NetError> {
        let uid = self
            .workers
            .iter()
            .find(|(_, w)| w.ip.as_deref() == Some(ip) && !w.terminating)
            .map(|(uid, _)| uid.clone())
            .ok_or(NetError::NoRoute)?;
        let cidr = self.pod_ips.cidr();
        let (vols, shared) = self.files.split();
        let mut net = NodeNetwork {
            workers: &self.workers,
            shared,
            images,
            cidr,
            now,
            caller: None,
            remote: None,
        };
        net.serve_pod(&uid, port, req, None, vols)
    }

    /// What container `container` of pod `namespace/pod` printed in its
    /// current run (or its last one): its image's start-up lines, stamped
    /// with the run's start, then what its server logged; None when this
    /// node does not run the pod or the container never started.
    pub fn container_log(
        &self,
        images: &ImageCatalog,
        namespace: &str,
        pod: &str,
        container: &str,
    ) -> Option<Vec<String>> {
        let (uid, w) = self
            .workers
            .iter()
            .find(|(_, w)| w.pod.namespace() == namespace && w.pod.name() == pod)?;
        let idx = w.ctrs.iter().position(|c| c.name == container)?;
        let c = &w.ctrs[idx];
        let started_at = match (&c.state, &c.last) {
            (CState::Running { started_at }, _)
            | (CState::Terminated { started_at, .. }, _)
            | (_, Some(CState::Terminated { started_at, .. })) => *started_at,
            _ => return None,
        };
        let mut lines = images.lookup(&c.image).log_lines(started_at);
        lines.extend(self.files.log_lines(&(uid.clone(), idx)).cloned());
        Some(lines)
    }
}

/// The container of the pod that runs redis-server, with the configuration
/// it loaded.
fn pod_redis(
    pod: &k8s_openapi::api::core::v1::Pod,
    w: &super::pod_worker::Worker,
) -> Option<(usize, std::collections::BTreeMap<String, String>)> {
    let empty = Vec::new();
    w.ctrs.iter().enumerate().find_map(|(i, c)| {
        let s = find_container(pod, &c.name).filter(|_| c.is_running())?;
        let started = redis::Started {
            command: s.command.as_ref().unwrap_or(&empty),
            args: s.args.as_ref().unwrap_or(&empty),
            files_at_start: &c.files_at_start,
        };
        redis::server_config(started).ok().map(|config| (i, config))
    })
}

/// The runtime starts `req.command` in the container.
fn run(shell: &mut Shell, req: &ExecRequest, files: &mut Files<'_>) -> ExecOutput {
    let Some((prog, args)) = req.command.split_first() else {
        return ExecOutput::default();
    };
    let Some(path) = shell.which(prog, files) else {
        let what = if prog.contains('/') {
            format!("stat {prog}: no such file or directory")
        } else {
            format!("exec: \"{prog}\": executable file not found in $PATH")
        };
        return ExecOutput {
            stdout: format!(
                "OCI runtime exec failed: exec failed: unable to start container process: {what}: unknown\n"
            ),
            stderr: String::new(),
            status: 126,
        };
    };
    let base = path.rsplit('/').next().unwrap_or(&path);
    let package = files
        .fs
        .read(files.vols, &path)
        .ok()
        .and_then(|c| program_package(&c).map(str::to_owned));
    let dialect = match (base, package.as_deref()) {
        ("sh" | "ash", Some("busybox")) => Some(Dialect::Ash),
        ("bash", _) => Some(Dialect::Bash),
        ("dash", _) => Some(Dialect::Dash),
        _ => None,
    };
    // `sh` is a link: the program is the file it names.
    let dialect = dialect.or_else(|| {
        files
            .fs
            .resolve(files.vols, &path, true)
            .ok()
            .and_then(|real| match real.rsplit('/').next() {
                Some("bash") => Some(Dialect::Bash),
                Some("dash") => Some(Dialect::Dash),
                _ => None,
            })
    });
    let Some(dialect) = dialect else {
        let out = shell.run_program(&path, args, &req.stdin, files);
        return finish(out, req.tty);
    };
    shell.dialect = dialect;
    if let [flag, line, ..] = args {
        if flag == "-c" {
            let out = shell.run_line(line, files);
            return finish(out, req.tty);
        }
    }
    // An interactive session: the input, a line at a time.
    let mut all = Output::default();
    for line in req.stdin.lines() {
        if req.tty {
            all.stdout.push_str(&shell.prompt());
            all.stdout.push_str(line);
            all.stdout.push('\n');
        }
        let out = shell.run_line(line, files);
        all.stdout.push_str(&out.stdout);
        if req.tty {
            all.stdout.push_str(&out.stderr);
        } else {
            all.stderr.push_str(&out.stderr);
        }
        all.status = out.status;
        if out.exited {
            return finish(all, false);
        }
    }
    if req.tty {
        // The input ended at the prompt (the terminal closed).
        all.stdout.push_str(&shell.prompt());
        all.stdout.push('\n');
    }
    finish(all, false)
}

/// On a terminal stderr shows where stdout does.
fn finish(out: Output, tty: bool) -> ExecOutput {
    let mut o = ExecOutput {
        stdout: out.stdout,
        stderr: out.stderr,
        status: out.status,
    };
    if tty {
        o.stdout.push_str(&std::mem::take(&mut o.stderr));
    }
    o
}
