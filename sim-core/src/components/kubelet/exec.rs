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

use std::sync::Arc;

use super::container_env::{pod_hostname, PodContext};
use super::container_fs::VolumeStore;
use super::container_lookup::find_container;
use super::http::{HttpRequest, HttpResponse, NetError, Network};
use super::node_files::ContainerKey;
use super::pod_network::{Caller, NodeNetwork};
use super::pod_worker::CState;
use super::redis;
use super::shell::{Clock, Dialect, Files, Identity, Output, Shell};
use super::Kubelet;
use crate::api::Object;
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
    /// More open sessions than [`MAX_SESSIONS`] on the node.
    #[error("kubesim keeps at most {MAX_SESSIONS} exec sessions open on a node")]
    TooManySessions,
    /// No open session of that id (it ended).
    #[error("the exec session has ended")]
    NoSession,
}

/// What an exec needs of its container, looked up once.
struct Target {
    /// The container instance.
    key: ContainerKey,
    /// Its run (a restart ends the sessions of the previous one).
    run: u32,
    /// The pod object.
    pod: Arc<Object>,
    /// The process environment.
    env: Vec<(String, String)>,
    /// The working directory.
    cwd: String,
    /// The pod's hostname.
    hostname: String,
    /// The pod's IP.
    pod_ip: String,
    /// The container's start.
    started_at: SimTime,
    /// The image.
    image: String,
    /// PID 1's command line.
    main_command: String,
}

/// An interactive program a session runs.
#[derive(Clone, Debug)]
enum SessionKind {
    /// A shell reading lines.
    Shell(Shell),
    /// `redis-cli` at its prompt.
    RedisCli,
}

/// An open interactive exec session (`kubectl exec -it POD -- sh`): the
/// program's state between the lines typed into it.
#[derive(Clone, Debug)]
pub(super) struct Session {
    namespace: String,
    pod: String,
    container: String,
    run: u32,
    tty: bool,
    kind: SessionKind,
}

/// An open session's id on its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId(pub u64);

/// The most sessions a node keeps open.
pub const MAX_SESSIONS: usize = 64;

/// What a line typed into a session produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionOutput {
    /// What appeared on the terminal.
    pub output: String,
    /// The prompt shown next (empty without a terminal, or once ended).
    pub prompt: String,
    /// The session ended with this status.
    pub ended: Option<i32>,
    /// The exit status of the line's last command (`$?`).
    pub status: i32,
}

impl Kubelet {
    /// The running container `req` names, with what an exec needs of it.
    fn target(
        &self,
        images: &ImageCatalog,
        namespace: &str,
        pod_name: &str,
        container: &str,
        tty: bool,
    ) -> Result<Target, ExecError> {
        let (uid, w) = self
            .workers
            .iter()
            .find(|(_, w)| {
                w.pod.namespace() == namespace && w.pod.name() == pod_name && !w.delete_sent
            })
            .ok_or(ExecError::PodDoesNotExist)?;
        let not_found = || ExecError::ContainerNotFound {
            container: container.to_owned(),
        };
        let idx = w
            .ctrs
            .iter()
            .position(|c| c.name == container && c.is_running())
            .ok_or_else(not_found)?;
        let pod = w.pod.clone();
        let p = pod.as_pod().ok_or_else(not_found)?;
        let spec = find_container(p, container).ok_or_else(not_found)?;
        let c = &w.ctrs[idx];
        let profile = images.lookup(&c.image);
        let started_at = match c.state {
            CState::Running { started_at } => started_at,
            _ => SimTime::ZERO,
        };
        let mut env = c.env.clone().unwrap_or_default();
        if tty {
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
        let main_command = main_command(spec, profile);
        Ok(Target {
            key: (uid.clone(), idx),
            run: c.run,
            hostname: pod_hostname(p, &self.node_name),
            pod_ip: w.ip.clone().unwrap_or_else(|| self.host_ip.clone()),
            pod,
            env: env.0,
            cwd,
            started_at,
            main_command,
            image: c.image.clone(),
        })
    }

    /// An HTTP request made inside pod `namespace/name` (a traffic source
    /// in the pod) to `host:port`: the name resolved as the pod's programs
    /// resolve it (its `/etc/hosts`, then the cluster DNS with the pod's
    /// search domains), the connection from the pod's address. None when
    /// the pod has no running container here to send it.
    pub fn pod_request(
        &mut self,
        images: &ImageCatalog,
        now: SimTime,
        (namespace, name): (&str, &str),
        (host, port): (&str, u16),
        req: &HttpRequest,
        remote: &mut dyn Network,
    ) -> Option<Result<HttpResponse, NetError>> {
        let (_, w) = self.workers.iter().find(|(_, w)| {
            w.pod.namespace() == namespace && w.pod.name() == name && !w.delete_sent
        })?;
        let container = w.ctrs.iter().find(|c| c.is_running())?.name.clone();
        let t = self
            .target(images, namespace, name, &container, false)
            .ok()?;
        Some(self.inside(images, now, &t, false, Some(remote), |files| {
            let Some(net) = files.net.as_deref_mut() else {
                return Err(NetError::NoRoute);
            };
            let address = match files.fs.read(files.vols, "/etc/hosts") {
                Ok(hosts) => super::net_tools::hosts_entry(&hosts, host),
                Err(_) => None,
            };
            let address = match address {
                Some(a) => a,
                None => net.lookup(host)?,
            };
            net.connect(&address, port, req, (&*files.fs, &*files.vols))
        }))
    }

    /// The node's disk (its size and what images and files use of it) and
    /// memory, bytes: what `df` and a tmpfs see.
    pub(super) fn disk_and_memory(&self) -> ((u64, u64), u64) {
        let capacity = &self.node_config.capacity;
        let image_bytes: u64 = self.runtime.images().values().sum();
        let disk_bytes = u64::try_from(capacity.ephemeral_storage_bytes).unwrap_or(0);
        let disk = (disk_bytes, image_bytes + self.files.bytes() as u64);
        let memory_bytes = u64::try_from(capacity.memory_bytes).unwrap_or(0);
        (disk, memory_bytes)
    }

    /// The node's volumes, and its pods as servers for a request from
    /// `caller` (None: from another node).
    pub(super) fn network<'a>(
        &'a mut self,
        images: &'a ImageCatalog,
        now: SimTime,
        caller: Option<Caller<'a>>,
    ) -> (&'a mut VolumeStore, NodeNetwork<'a>) {
        let cidr = self.pod_ips.cidr();
        let (vols, shared) = self.files.split();
        let net = NodeNetwork {
            workers: &self.workers,
            shared,
            images,
            cidr,
            node: &self.node_name,
            now,
            caller,
            host: None,
            remote: None,
        };
        (vols, net)
    }

    /// Runs `f` inside the container `t`: its filesystem (made on first
    /// use and held while the node's other files serve its requests), its
    /// pod's redis keyspace, its network.
    fn inside<R>(
        &mut self,
        images: &ImageCatalog,
        now: SimTime,
        t: &Target,
        tty: bool,
        remote: Option<&mut dyn Network>,
        f: impl FnOnce(&mut Files<'_>) -> R,
    ) -> R {
        let pod = t.pod.as_pod().expect("a pod worker holds a pod");
        let (uid, idx) = (&t.key.0, t.key.1);
        let ctr_name = self.workers[uid].ctrs[idx].name.clone();
        let spec = find_container(pod, &ctr_name).expect("the container is in its pod");
        let profile = images.lookup(&t.image);
        {
            let pctx = PodContext {
                pod,
                pod_ip: &t.pod_ip,
                host_ip: &self.host_ip,
                node_name: &self.node_name,
            };
            self.files
                .container(&t.key, || profile.image_tree(), spec, &pctx, &self.cache);
        }
        let mut fs = self
            .files
            .take_container(&t.key)
            .expect("the container's filesystem was just made");
        let (disk_use, memory_bytes) = self.disk_and_memory();
        // The keyspace is lent to the session and given back after it.
        let redis_at = self.workers.get(uid).and_then(|w| pod_redis(pod, w));
        let redis = redis_at.map(|(i, config)| {
            let data = self
                .workers
                .get_mut(uid)
                .map(|w| std::mem::take(&mut w.ctrs[i].redis_data))
                .unwrap_or_default();
            (i, redis::Server { config, data })
        });
        let (redis_idx, redis) = match redis {
            Some((i, s)) => (Some(i), Some(s)),
            None => (None, None),
        };
        let namespace = t.pod.namespace().to_owned();
        let caller = Caller {
            key: t.key.clone(),
            namespace: &namespace,
            pod_ip: &t.pod_ip,
            hostname: &t.hostname,
        };
        let (vols, mut net) = self.network(images, now, Some(caller));
        net.remote = match remote {
            Some(r) => Some(&mut *r as &mut dyn Network),
            None => None,
        };
        let mut files = Files {
            fs: &mut fs,
            vols,
            tty,
            clock: Clock {
                now,
                started_at: t.started_at,
            },
            identity: Identity {
                pod_ip: t.pod_ip.clone(),
                main_command: t.main_command.clone(),
                disk: disk_use,
                memory_bytes,
            },
            redis,
            net: Some(&mut net),
            kernel: None,
        };
        let result = f(&mut files);
        let redis = files.redis.take();
        self.files.put_container(t.key.clone(), fs);
        if let (Some(i), Some(server), Some(w)) = (redis_idx, redis, self.workers.get_mut(uid)) {
            w.ctrs[i].redis_data = server.data;
        }
        result
    }

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
        let t = self.target(images, &req.namespace, &req.pod, &req.container, req.tty)?;
        let mut shell = Shell::new(&t.cwd, t.env.clone(), &t.hostname);
        Ok(self.inside(images, now, &t, req.tty, remote, |files| {
            run(&mut shell, req, files)
        }))
    }

    /// Opens an interactive session when `req` starts a shell without `-c`
    /// or `redis-cli` without a command: its id and the first prompt. None
    /// when the command is not an interactive program (run it with
    /// [`Kubelet::exec`]).
    pub fn exec_open(
        &mut self,
        images: &ImageCatalog,
        now: SimTime,
        req: &ExecRequest,
    ) -> Result<Option<(SessionId, String)>, ExecError> {
        let t = self.target(images, &req.namespace, &req.pod, &req.container, req.tty)?;
        let mut shell = Shell::new(&t.cwd, t.env.clone(), &t.hostname);
        let kind = self.inside(images, now, &t, req.tty, None, |files| {
            let (prog, args) = req.command.split_first()?;
            let path = shell.which(prog, files)?;
            if path.rsplit('/').next() == Some("redis-cli") && args.is_empty() {
                return Some(SessionKind::RedisCli);
            }
            let dialect = dialect_of(&path, files)?;
            if !args.is_empty() {
                return None;
            }
            shell.dialect = dialect;
            Some(SessionKind::Shell(shell))
        });
        let Some(kind) = kind else {
            return Ok(None);
        };
        if self.sessions.len() >= MAX_SESSIONS {
            return Err(ExecError::TooManySessions);
        }
        let prompt = match &kind {
            SessionKind::Shell(s) if req.tty => s.prompt(),
            SessionKind::RedisCli if req.tty => "127.0.0.1:6379> ".to_owned(),
            _ => String::new(),
        };
        let id = SessionId(self.next_session);
        self.next_session += 1;
        self.sessions.insert(
            id,
            Session {
                namespace: req.namespace.clone(),
                pod: req.pod.clone(),
                container: req.container.clone(),
                run: t.run,
                tty: req.tty,
                kind,
            },
        );
        Ok(Some((id, prompt)))
    }

    /// Types `line` into session `id`: what appeared, and whether it ended.
    /// A session whose container stopped or restarted has ended.
    pub fn exec_input(
        &mut self,
        images: &ImageCatalog,
        now: SimTime,
        id: SessionId,
        line: &str,
        remote: Option<&mut dyn Network>,
    ) -> Result<SessionOutput, ExecError> {
        let mut session = self.sessions.remove(&id).ok_or(ExecError::NoSession)?;
        let t = match self.target(
            images,
            &session.namespace,
            &session.pod,
            &session.container,
            session.tty,
        ) {
            Ok(t) if t.run == session.run => t,
            // The process went with its container (SIGKILL).
            _ => {
                return Ok(SessionOutput {
                    ended: Some(137),
                    ..SessionOutput::default()
                })
            }
        };
        let tty = session.tty;
        let out = self.inside(images, now, &t, tty, remote, |files| {
            match &mut session.kind {
                SessionKind::Shell(shell) => {
                    let out = shell.run_line(line, files);
                    let mut text = out.stdout;
                    text.push_str(&out.stderr);
                    if out.exited {
                        return SessionOutput {
                            output: text,
                            prompt: String::new(),
                            ended: Some(out.status),
                            status: out.status,
                        };
                    }
                    SessionOutput {
                        output: text,
                        prompt: if tty { shell.prompt() } else { String::new() },
                        ended: None,
                        status: out.status,
                    }
                }
                SessionKind::RedisCli => {
                    let word = line.split_whitespace().next().map(str::to_ascii_lowercase);
                    if matches!(word.as_deref(), Some("exit" | "quit")) {
                        return SessionOutput {
                            ended: Some(0),
                            ..SessionOutput::default()
                        };
                    }
                    // The line as redis-cli's input; on a terminal its echo of the
                    // prompt and the line, and the prompt after, are the
                    // terminal's, not output.
                    let (text, _, _) = redis::cli(&[], tty, line, files.redis.as_mut());
                    let prompt = "127.0.0.1:6379> ";
                    let text = text
                        .strip_prefix(&format!("{prompt}{line}\n"))
                        .unwrap_or(&text);
                    let text = text.strip_suffix(prompt).unwrap_or(text).to_owned();
                    SessionOutput {
                        output: text,
                        prompt: if tty {
                            "127.0.0.1:6379> ".to_owned()
                        } else {
                            String::new()
                        },
                        ended: None,
                        status: 0,
                    }
                }
            }
        });
        if out.ended.is_none() {
            self.sessions.insert(id, session);
        }
        Ok(out)
    }

    /// Closes session `id` (the terminal went away).
    pub fn exec_close(&mut self, id: SessionId) {
        self.sessions.remove(&id);
    }

    /// The pod `namespace/pod` is gone from the node: its sessions end.
    pub(super) fn end_sessions_of(&mut self, namespace: &str, pod: &str) {
        self.sessions
            .retain(|_, s| !(s.namespace == namespace && s.pod == pod));
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
            .find(|(_, w)| w.ip.as_deref() == Some(ip))
            .map(|(uid, _)| uid.clone())
            .ok_or(NetError::NoRoute)?;
        let (vols, mut net) = self.network(images, now, None);
        net.serve_pod(&uid, port, req, None, vols)
    }

    /// The image of the ingress controller that pod `ip` of this node runs
    /// listening on `port`, if it does.
    pub fn ingress_controller_at(
        &self,
        images: &ImageCatalog,
        ip: &str,
        port: u16,
    ) -> Option<String> {
        super::pod_network::ingress_controller_of(images, &self.workers, ip, port)
    }

    /// True when a pod of this node has address `ip` (a terminating pod's
    /// network lives until the pod is gone).
    pub fn has_pod_ip(&self, ip: &str) -> bool {
        self.workers.values().any(|w| w.ip.as_deref() == Some(ip))
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
    let dialect = dialect_of(&path, files);
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

/// The command line of the container's main process: its command and
/// args, else what the image runs.
fn main_command(
    spec: &k8s_openapi::api::core::v1::Container,
    profile: &crate::config::ImageProfile,
) -> String {
    let argv: Vec<&str> = spec
        .command
        .iter()
        .flatten()
        .chain(spec.args.iter().flatten())
        .map(String::as_str)
        .collect();
    if !argv.is_empty() {
        return argv.join(" ");
    }
    match &profile.server {
        Some(crate::config::ServerProfile::Nginx { .. }) => {
            "nginx: master process nginx -g daemon off;".into()
        }
        Some(crate::config::ServerProfile::IngressNginx) => {
            "/usr/bin/dumb-init -- /nginx-ingress-controller".into()
        }
        Some(crate::config::ServerProfile::Tomcat { .. }) => {
            "java -Dcatalina.home=/usr/local/tomcat org.apache.catalina.startup.Bootstrap start"
                .into()
        }
        _ => "sh".into(),
    }
}

/// The shell a program file is, if it is one (`sh` is often a link).
fn dialect_of(path: &str, files: &Files<'_>) -> Option<Dialect> {
    let base = path.rsplit('/').next().unwrap_or(path);
    let package = files
        .fs
        .read(files.vols, path)
        .ok()
        .and_then(|c| program_package(&c).map(str::to_owned));
    let direct = match (base, package.as_deref()) {
        ("sh" | "ash", Some("busybox")) => Some(Dialect::Ash),
        ("bash", _) => Some(Dialect::Bash),
        ("dash", _) => Some(Dialect::Dash),
        _ => None,
    };
    direct.or_else(|| {
        files
            .fs
            .resolve(files.vols, path, true)
            .ok()
            .and_then(|real| match real.rsplit('/').next() {
                Some("bash") => Some(Dialect::Bash),
                Some("dash") => Some(Dialect::Dash),
                _ => None,
            })
    })
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
