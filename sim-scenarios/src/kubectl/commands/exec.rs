//! `kubectl exec POD [-c CONTAINER] -- CMD`: the request goes kubectl → API
//! server → the kubelet of the pod's node, which runs the command in the
//! container. kubesim reads the kubelet's view of the container (its
//! environment as resolved at start, its filesystem) and runs a few commands
//! against it: `env`, `printenv`, `hostname`, `echo`, `pwd`, `ls [-l] [-a]`,
//! `cat`, and `sh -c` / `bash -c` of one of those; in a redis container also
//! `redis-cli CONFIG GET` and `PING`, answered from the configuration the
//! server loaded when the container started (its config file as it was then,
//! redis's defaults for the rest). Any other program gets the runtime's
//! `executable file not found` error (exit code 126).

use sim_core::api::conditions;
use sim_core::api::fields::FieldSelector;
use sim_core::api::labels::{Selector, SelectorError};
use sim_core::api::meta::timestamp;
use sim_core::api::{ApiError, Kind, Object, ObjectKey, Reason};
use sim_core::cluster::Cluster;
use sim_core::components::kubelet::container_env::{normalize, FsEntry, FsView};
use sim_core::components::kubelet::ContainerView;

use crate::kubectl::client::{default_container, get_object, list};
use crate::kubectl::grammar::Command;
use crate::kubectl::outcome::Outcome;
use crate::kubectl::prepared::Prepared;

/// Why `kubectl exec` finds no pod for its argument, in kubectl's words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
enum PodForError {
    /// A kind kubesim's exec does not take.
    #[error("error: cannot attach to {kind}/{name}: kubesim's kubectl exec takes pods, deployments and replicasets")]
    NotAttachable {
        /// The kind as written.
        kind: String,
        /// The name.
        name: String,
    },
    /// The workload could not be read.
    #[error("{}", .0.kubectl_line())]
    Server(#[from] ApiError),
    /// The workload's selector is not a valid label selector.
    #[error("error: {0}")]
    Selector(#[from] SelectorError),
    /// The workload has no pod (kubectl waits for one, then gives up).
    #[error("error: timed out waiting for the condition")]
    NoPod,
}

/// The pod a `POD` or `TYPE/NAME` argument names. For a Deployment or
/// ReplicaSet, kubectl's `GetFirstPod` with `sort.Reverse(ActivePods)`: the
/// most active of its pods (assigned, Running, Ready, fewest restarts, oldest).
fn pod_for(cluster: &mut Cluster, arg: &str, ns: &str) -> Result<String, PodForError> {
    let Some((kind, name)) = arg.split_once('/') else {
        return Ok(arg.to_owned());
    };
    let kind = match kind {
        "pod" | "pods" | "po" => return Ok(name.to_owned()),
        "deployment" | "deployments" | "deploy" | "deployment.apps" => Kind::Deployment,
        "replicaset" | "replicasets" | "rs" | "replicaset.apps" => Kind::ReplicaSet,
        other => {
            return Err(PodForError::NotAttachable {
                kind: other.to_owned(),
                name: name.to_owned(),
            })
        }
    };
    let obj = get_object(cluster, &ObjectKey::new(kind, ns, name))?;
    let labels = match &*obj {
        Object::Deployment(d) => d
            .spec
            .as_ref()
            .and_then(|s| s.selector.match_labels.clone()),
        Object::ReplicaSet(r) => r
            .spec
            .as_ref()
            .and_then(|s| s.selector.match_labels.clone()),
        _ => None,
    }
    .unwrap_or_default();
    let selector = Selector::from_map(&labels)?;
    let pods = list(
        cluster,
        Kind::Pod,
        Some(ns.to_owned()),
        selector,
        FieldSelector::default(),
    )?;
    let rank = |o: &Object| {
        let p = o.as_pod().cloned().unwrap_or_default();
        let st = p.status.clone().unwrap_or_default();
        let assigned = p.spec.as_ref().and_then(|s| s.node_name.clone()).is_some();
        let phase = match st.phase.as_deref() {
            Some("Running") => 2,
            Some("Unknown") => 1,
            _ => 0,
        };
        let ready = conditions::is_pod_ready(&p);
        let restarts: i32 = st
            .container_statuses
            .iter()
            .flatten()
            .map(|c| c.restart_count)
            .sum();
        let created = p.metadata.creation_timestamp.clone().map(|t| t.0);
        (
            std::cmp::Reverse(assigned),
            std::cmp::Reverse(phase),
            std::cmp::Reverse(ready),
            restarts,
            created,
            o.name().to_owned(),
        )
    };
    pods.iter()
        .min_by_key(|p| rank(p))
        .map(|p| p.name().to_owned())
        .ok_or(PodForError::NoPod)
}

/// Runs the command.
pub(crate) fn execute(cluster: &mut Cluster, out: &mut Outcome, cmd: &Prepared, ns: &str) {
    let Command::Exec(args) = &cmd.cli.command else {
        return;
    };
    let name = match pod_for(cluster, &args.pod, ns) {
        Ok(n) => n,
        Err(e) => {
            return out.fail(e);
        }
    };
    let pod = match get_object(cluster, &ObjectKey::new(Kind::Pod, ns, &name)) {
        Ok(o) => o,
        Err(e) => return out.error(&e),
    };
    let Some(p) = pod.as_pod() else { return };
    let phase = p
        .status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default();
    if phase == "Succeeded" || phase == "Failed" {
        out.line(format!(
            "error: cannot exec into a container in a completed pod; current phase is {phase}"
        ));
        out.exit_code = 1;
        return;
    }
    let container = match &args.container {
        Some(c) => c.clone(),
        None => match default_container(p, out) {
            Some(c) => c,
            None => return,
        },
    };
    let spec = p.spec.clone().unwrap_or_default();
    let valid = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .any(|c| c.name == container)
        || spec
            .ephemeral_containers
            .iter()
            .flatten()
            .any(|c| c.name == container);
    if !valid {
        out.error(&ApiError::new(
            Reason::BadRequest,
            format!("container {container} is not valid for pod {name}"),
        ));
        return;
    }
    let Some(node) = spec.node_name.filter(|n| !n.is_empty()) else {
        out.error(&ApiError::new(
            Reason::BadRequest,
            format!("pod {name} does not have a host assigned"),
        ));
        return;
    };
    let view = cluster
        .kubelet(&node)
        .map(|k| k.container_view(&cluster.config().images, ns, &name, &container));
    let view = match view {
        Some(Ok(v)) => v,
        Some(Err(msg)) => {
            return out.fail(format!("error: unable to upgrade connection: {msg}"));
        }
        None => {
            return out.fail("error: unable to upgrade connection: pod does not exist");
        }
    };
    let target = match &args.container {
        Some(c) => format!("{} -c {c}", args.pod),
        None => args.pod.clone(),
    };
    let mut shell = Shell {
        view: &view,
        tty: args.tty,
        target,
        out: String::new(),
    };
    let code = shell.run(&args.command);
    out.output.push_str(&shell.out);
    if !shell.out.is_empty() && !shell.out.ends_with('\n') {
        // The terminal's next prompt would follow on the same line; the
        // transcript starts it on a new one.
        out.output.push('\n');
    }
    if code != 0 {
        out.line(format!("command terminated with exit code {code}"));
        out.exit_code = code;
    }
}

/// The commands kubesim runs inside a container.
struct Shell<'a> {
    view: &'a ContainerView,
    tty: bool,
    /// `POD` or `POD -c CONTAINER`, as typed (for suggested command lines).
    target: String,
    out: String,
}

impl Shell<'_> {
    fn line(&mut self, s: &str) {
        self.out.push_str(s);
        self.out.push('\n');
    }

    fn busybox(&self) -> bool {
        sim_core::config::image_repository(&self.view.image).ends_with("busybox")
    }

    /// The image ships redis (`redis-server`, `redis-cli` in /usr/local/bin).
    fn redis(&self) -> bool {
        let repo = sim_core::config::image_repository(&self.view.image);
        repo == "redis" || repo.ends_with("/redis")
    }

    /// The process environment: the container's, `TERM` with a tty
    /// (containerd), `HOME` when unset (runc).
    fn env(&self) -> Vec<(String, String)> {
        let mut env = self.view.env.clone();
        if self.tty {
            env.set("TERM", "xterm".into());
        }
        if env.get("HOME").is_none() {
            env.set("HOME", "/root".into());
        }
        env.0
    }

    fn run(&mut self, argv: &[String]) -> i32 {
        let Some(prog) = argv.first() else { return 0 };
        let args = &argv[1..];
        let base = prog.rsplit('/').next().unwrap_or(prog);
        let known_dir = !prog.contains('/')
            || [
                "/bin/",
                "/usr/bin/",
                "/usr/local/bin/",
                "/sbin/",
                "/usr/sbin/",
            ]
            .iter()
            .any(|d| prog.strip_prefix(d) == Some(base));
        match base {
            _ if !known_dir => self.not_found(prog),
            "env" if args.is_empty() => {
                for (k, v) in self.env() {
                    self.line(&format!("{k}={v}"));
                }
                0
            }
            "printenv" => {
                let env = self.env();
                if args.is_empty() {
                    for (k, v) in &env {
                        self.line(&format!("{k}={v}"));
                    }
                    return 0;
                }
                let mut code = 0;
                for a in args {
                    match env.iter().find(|(k, _)| k == a) {
                        Some((_, v)) => self.line(&v.clone()),
                        None => code = 1,
                    }
                }
                code
            }
            "hostname" => {
                let h = self.view.hostname.clone();
                self.line(&h);
                0
            }
            "pwd" => {
                self.line("/");
                0
            }
            "echo" => {
                let (newline, words) = match args.first().map(String::as_str) {
                    Some("-n") => (false, &args[1..]),
                    _ => (true, args),
                };
                self.out.push_str(&words.join(" "));
                if newline {
                    self.out.push('\n');
                }
                0
            }
            "ls" => self.ls(args),
            "cat" => self.cat(args),
            "sh" | "bash" if args.len() >= 2 && args[0] == "-c" => self.sh_c(&args[1]),
            "true" => 0,
            "false" => 1,
            "redis-cli" if self.redis() => self.redis_cli(args),
            _ => self.not_found(prog),
        }
    }

    fn not_found(&mut self, prog: &str) -> i32 {
        let what = if prog.contains('/') {
            format!("stat {prog}: no such file or directory")
        } else {
            format!("exec: \"{prog}\": executable file not found in $PATH")
        };
        self.line(&format!(
            "OCI runtime exec failed: exec failed: unable to start container process: {what}: unknown"
        ));
        126
    }

    /// `sh -c 'LINE'`: `$VAR` / `${VAR}` expanded, words split, one command run.
    fn sh_c(&mut self, line: &str) -> i32 {
        let env = self.env();
        let mut expanded = String::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '$' && i + 1 < chars.len() {
                let (name, next) = if chars[i + 1] == '{' {
                    let end = chars[i + 2..]
                        .iter()
                        .position(|&c| c == '}')
                        .map_or(chars.len(), |e| i + 2 + e);
                    (chars[i + 2..end].iter().collect::<String>(), end + 1)
                } else {
                    let len = chars[i + 1..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                        .count();
                    (chars[i + 1..i + 1 + len].iter().collect(), i + 1 + len)
                };
                if !name.is_empty() {
                    if let Some((_, v)) = env.iter().find(|(k, _)| *k == name) {
                        expanded.push_str(v);
                    }
                    i = next;
                    continue;
                }
            }
            expanded.push(chars[i]);
            i += 1;
        }
        let Some(words) = shlex::split(&expanded) else {
            self.line("sh: 1: Syntax error: Unterminated quoted string");
            return 2;
        };
        let Some(prog) = words.first() else { return 0 };
        let base = prog.rsplit('/').next().unwrap_or(prog);
        let known = [
            "env", "printenv", "hostname", "pwd", "echo", "ls", "cat", "true", "false",
        ];
        let redis_cli = base == "redis-cli" && self.redis();
        if !known.contains(&base) && !redis_cli {
            self.line(&format!("sh: 1: {prog}: not found"));
            return 127;
        }
        self.run(&words)
    }

    /// `redis-cli [-h H] [-p P] [-a PASS] [--raw|--no-raw] COMMAND...`: one
    /// command against the container's redis-server. Replies print as
    /// redis-cli does: raw (one value a line) when stdout is not a terminal,
    /// the numbered, quoted form with `-t`.
    fn redis_cli(&mut self, args: &[String]) -> i32 {
        let mut raw = !self.tty;
        let mut password: Option<&str> = None;
        let mut words: Vec<&str> = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if !words.is_empty() {
                words.push(a);
                continue;
            }
            match a.as_str() {
                "--raw" => raw = true,
                "--no-raw" => raw = false,
                "-a" | "--pass" => password = it.next().map(String::as_str),
                "-h" | "-p" | "-n" | "-u" | "--user" => {
                    it.next();
                }
                _ => words.push(a),
            }
        }
        if words.is_empty() {
            self.line(&format!(
                "kubesim runs one-shot commands, not redis-cli's interactive prompt; run one command instead: kubectl exec -it {} -- redis-cli CONFIG GET maxmemory-policy",
                self.target
            ));
            return 1;
        }
        if password.is_some() {
            self.line(
                "Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.",
            );
        }
        let config = match redis::server_config(self.view) {
            Ok(c) => c,
            Err(()) => {
                self.line("Could not connect to Redis at 127.0.0.1:6379: Connection refused");
                return 1;
            }
        };
        if let Some(required) = config.get("requirepass").filter(|p| !p.is_empty()) {
            match password {
                Some(p) if p == required => {}
                Some(_) => {
                    self.line("AUTH failed: WRONGPASS invalid username-password pair or user is disabled.");
                    return 1;
                }
                None => {
                    return self.redis_reply(
                        &redis::Reply::Error("NOAUTH Authentication required.".into()),
                        raw,
                    );
                }
            }
        }
        match redis::command(&config, &words) {
            Some(reply) => self.redis_reply(&reply, raw),
            None => {
                self.line(&format!(
                    "kubesim's redis-cli runs CONFIG GET and PING only, not {}",
                    words.join(" ")
                ));
                1
            }
        }
    }

    /// Prints a reply (exit code 1 for an error reply, as redis-cli).
    fn redis_reply(&mut self, reply: &redis::Reply, raw: bool) -> i32 {
        let text = if raw { reply.raw() } else { reply.tty() };
        self.line(&text);
        i32::from(matches!(reply, redis::Reply::Error(_)))
    }

    fn missing(&mut self, tool: &str, path: &str) {
        if self.busybox() {
            self.line(&format!("{tool}: {path}: No such file or directory"));
        } else if tool == "ls" {
            self.line(&format!(
                "ls: cannot access '{path}': No such file or directory"
            ));
        } else {
            self.line(&format!("{tool}: {path}: No such file or directory"));
        }
    }

    fn cat(&mut self, args: &[String]) -> i32 {
        let mut code = 0;
        for a in args {
            let abs = normalize(
                if a.starts_with('/') {
                    a.clone()
                } else {
                    format!("/{a}")
                }
                .as_str(),
            );
            match self.view.fs.resolve(&abs) {
                Some((_, FsEntry::File { content, .. })) => {
                    let c = content.clone();
                    self.out.push_str(&c);
                }
                Some(_) => {
                    self.line(&format!("cat: {a}: Is a directory"));
                    code = 1;
                }
                None => {
                    self.missing("cat", a);
                    code = 1;
                }
            }
        }
        code
    }

    fn ls(&mut self, args: &[String]) -> i32 {
        let (mut long, mut all) = (false, false);
        let mut paths = Vec::new();
        for a in args {
            match a.strip_prefix('-') {
                Some(flags) if !flags.is_empty() => {
                    for f in flags.chars() {
                        match f {
                            'l' => long = true,
                            'a' | 'A' => all = true,
                            _ => {}
                        }
                    }
                }
                _ => paths.push(a.clone()),
            }
        }
        if paths.is_empty() {
            paths.push(".".into());
        }
        let fs = &self.view.fs;
        let when = timestamp(self.view.started_at)
            .strftime("%b %e %H:%M")
            .to_string();
        let mut code = 0;
        let mut files: Vec<String> = Vec::new();
        let mut dirs: Vec<(String, String)> = Vec::new();
        for p in &paths {
            let abs = normalize(
                if p.starts_with('/') {
                    p.clone()
                } else {
                    format!("/{p}")
                }
                .as_str(),
            );
            let own = fs.entries.get(&abs);
            match fs.resolve(&abs) {
                Some((real, FsEntry::Dir)) if !(long && matches!(own, Some(FsEntry::Link(_)))) => {
                    dirs.push((p.clone(), real))
                }
                Some(_) => {
                    let e = own.cloned().unwrap_or(FsEntry::Dir);
                    files.push(if long {
                        long_line(fs, &abs, &e, p, &when)
                    } else {
                        p.clone()
                    });
                }
                None => {
                    self.missing("ls", p);
                    // GNU ls: 2 (serious trouble); busybox: 1.
                    code = if self.busybox() { 1 } else { 2 };
                }
            }
        }
        for f in &files {
            self.line(f);
        }
        let headers = paths.len() > 1;
        for (i, (shown, real)) in dirs.iter().enumerate() {
            if headers {
                if i > 0 || !files.is_empty() {
                    self.out.push('\n');
                }
                self.line(&format!("{shown}:"));
            }
            let mut entries: Vec<(String, FsEntry)> = fs
                .list(real)
                .into_iter()
                .filter(|(n, _)| all || !n.starts_with('.'))
                .map(|(n, e)| (n, e.clone()))
                .collect();
            if all {
                entries.insert(0, ("..".into(), FsEntry::Dir));
                entries.insert(0, (".".into(), FsEntry::Dir));
            }
            if long {
                let blocks: usize = entries
                    .iter()
                    .map(|(_, e)| match e {
                        FsEntry::Dir => 4,
                        FsEntry::File { content, .. } => content.len().div_ceil(4096) * 4,
                        FsEntry::Link(_) => 0,
                    })
                    .sum();
                self.line(&format!("total {blocks}"));
                let lines: Vec<String> = entries
                    .iter()
                    .map(|(n, e)| {
                        let path = if real == "/" {
                            format!("/{n}")
                        } else {
                            format!("{real}/{n}")
                        };
                        long_line(fs, &path, e, n, &when)
                    })
                    .collect();
                for l in align(&lines) {
                    self.line(&l);
                }
            } else {
                for (n, _) in entries {
                    self.line(&n);
                }
            }
        }
        code
    }
}

/// One `ls -l` line (fields separated by single spaces; `align` pads them).
fn long_line(fs: &FsView, path: &str, e: &FsEntry, shown: &str, when: &str) -> String {
    let (perm, links, size, suffix) = match e {
        FsEntry::Dir => {
            let subdirs = fs
                .list(path)
                .iter()
                .filter(|(_, e)| matches!(e, FsEntry::Dir))
                .count();
            ("drwxr-xr-x".to_owned(), 2 + subdirs, 4096, String::new())
        }
        FsEntry::File { content, mode } => {
            (format!("-{}", rwx(*mode)), 1, content.len(), String::new())
        }
        FsEntry::Link(t) => ("lrwxrwxrwx".to_owned(), 1, t.len(), format!(" -> {t}")),
    };
    format!("{perm}\t{links}\troot\troot\t{size}\t{when}\t{shown}{suffix}")
}

fn rwx(mode: u32) -> String {
    let mut s = String::new();
    for shift in [6, 3, 0] {
        let b = (mode >> shift) & 7;
        s.push(if b & 4 != 0 { 'r' } else { '-' });
        s.push(if b & 2 != 0 { 'w' } else { '-' });
        s.push(if b & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// Pads the tab-separated fields as GNU ls does: counts and sizes right-aligned.
fn align(lines: &[String]) -> Vec<String> {
    let rows: Vec<Vec<&str>> = lines.iter().map(|l| l.split('\t').collect()).collect();
    let width = |i: usize| rows.iter().map(|r| r[i].len()).max().unwrap_or(0);
    let (w1, w2, w3, w4) = (width(1), width(2), width(3), width(4));
    rows.iter()
        .map(|r| {
            format!(
                "{} {:>w1$} {:<w2$} {:<w3$} {:>w4$} {} {}",
                r[0], r[1], r[2], r[3], r[4], r[5], r[6]
            )
        })
        .collect()
}

/// A redis server's configuration as it loads it at start (`redis-server
/// [FILE] [--name value...]`: the file, then the command-line options), the
/// replies of the commands kubesim's `redis-cli` runs, and how redis-cli
/// prints them.
mod redis {
    use std::collections::BTreeMap;

    use sim_core::components::kubelet::container_env::normalize;
    use sim_core::components::kubelet::ContainerView;

    /// Parameters whose values are byte counts: `2mb` in the file, `2097152`
    /// from CONFIG GET.
    const MEMORY: [&str; 5] = [
        "maxmemory",
        "client-query-buffer-limit",
        "proto-max-bulk-len",
        "repl-backlog-size",
        "active-defrag-ignore-bytes",
    ];

    /// The `maxmemory-policy` values redis accepts.
    const POLICIES: [&str; 8] = [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
        "allkeys-lru",
        "allkeys-lfu",
        "allkeys-random",
        "noeviction",
    ];

    /// redis 7.4's defaults for the parameters kubesim knows (`dir` is the
    /// working directory, /data in the official image).
    fn defaults() -> BTreeMap<String, String> {
        [
            ("appendonly", "no"),
            ("databases", "16"),
            ("dir", "/data"),
            ("maxclients", "10000"),
            ("maxmemory", "0"),
            ("maxmemory-policy", "noeviction"),
            ("port", "6379"),
            ("requirepass", ""),
            ("timeout", "0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// redis's `memtoll`: a byte count with an optional unit (case-insensitive):
    /// `b`, `k` = 1000, `kb` = 1024, `m` = 10^6, `mb` = 2^20, `g` = 10^9, `gb` = 2^30.
    pub(super) fn memtoll(value: &str) -> Option<u64> {
        let lower = value.to_ascii_lowercase();
        let split = lower
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(lower.len());
        let (digits, unit) = lower.split_at(split);
        let mul: u64 = match unit {
            "" | "b" => 1,
            "k" => 1000,
            "kb" => 1024,
            "m" => 1000 * 1000,
            "mb" => 1024 * 1024,
            "g" => 1000 * 1000 * 1000,
            "gb" => 1024 * 1024 * 1024,
            _ => return None,
        };
        digits.parse::<u64>().ok()?.checked_mul(mul)
    }

    /// The value CONFIG GET reports for `name` set to `args`, or None when
    /// redis refuses it (a fatal config error at start).
    fn normalized(name: &str, args: &[String]) -> Option<String> {
        if MEMORY.contains(&name) {
            let [v] = args else { return None };
            return memtoll(v).map(|n| n.to_string());
        }
        match name {
            "maxmemory-policy" => {
                let [v] = args else { return None };
                let v = v.to_ascii_lowercase();
                POLICIES.contains(&v.as_str()).then_some(v)
            }
            "appendonly" => {
                let [v] = args else { return None };
                let v = v.to_ascii_lowercase();
                (v == "yes" || v == "no").then_some(v)
            }
            _ => Some(args.join(" ")),
        }
    }

    /// Splits a config line into words (`sdssplitargs`: quotes group words).
    fn split_args(line: &str) -> Vec<String> {
        shlex::split(line).unwrap_or_else(|| line.split_whitespace().map(str::to_owned).collect())
    }

    /// The configuration redis builds from a config file's text and the
    /// command-line options after it: directives lower-cased, comments and
    /// blank lines skipped, a later directive replacing an earlier one, on
    /// top of the defaults. Err when redis would refuse to start.
    pub(super) fn load(file: &str, options: &[String]) -> Result<BTreeMap<String, String>, ()> {
        let mut lines: Vec<Vec<String>> = file
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(split_args)
            .collect();
        let from_file = lines.len();
        for o in options {
            match o.strip_prefix("--") {
                Some(name) => lines.push(vec![name.to_owned()]),
                None if lines.len() > from_file => {
                    if let Some(l) = lines.last_mut() {
                        l.push(o.clone());
                    }
                }
                None => return Err(()),
            }
        }
        let mut config = defaults();
        for words in lines {
            let Some((name, args)) = words.split_first() else {
                continue;
            };
            let name = name.to_ascii_lowercase();
            let value = normalized(&name, args).ok_or(())?;
            config.insert(name, value);
        }
        Ok(config)
    }

    /// The argv of the container's process as the runtime starts it: the
    /// container's command and args, else the image's entrypoint
    /// (docker-entrypoint.sh, which puts `redis-server` before an args list
    /// starting with an option or a `.conf` file) and cmd (`redis-server`);
    /// `sh -c 'LINE'` is split.
    fn process_argv(view: &ContainerView) -> Vec<String> {
        let argv: Vec<String> = if !view.command.is_empty() {
            view.command.iter().chain(&view.args).cloned().collect()
        } else if view.args.is_empty() {
            vec!["redis-server".into()]
        } else if view.args[0].starts_with('-') || view.args[0].ends_with(".conf") {
            std::iter::once("redis-server".to_owned())
                .chain(view.args.iter().cloned())
                .collect()
        } else {
            view.args.clone()
        };
        let base = |s: &str| s.rsplit('/').next().unwrap_or(s).to_owned();
        match argv.as_slice() {
            [sh, c, line, ..] if ["sh", "bash"].contains(&base(sh).as_str()) && c == "-c" => {
                let mut words = shlex::split(line).unwrap_or_default();
                if words.first().is_some_and(|w| w == "exec") {
                    words.remove(0);
                }
                words
            }
            _ => argv,
        }
    }

    /// The configuration the container's redis-server loaded when it
    /// started; Err when no redis-server runs there (its command is another
    /// program, its config file was missing or refused).
    pub(super) fn server_config(view: &ContainerView) -> Result<BTreeMap<String, String>, ()> {
        let argv = process_argv(view);
        let Some(first) = argv.first() else {
            return Err(());
        };
        if first.rsplit('/').next() != Some("redis-server") {
            return Err(());
        }
        let rest = &argv[1..];
        match rest.split_first() {
            Some((file, _)) if !file.starts_with('/') && !file.starts_with('-') => Err(()),
            Some((file, options)) if !file.starts_with('-') => {
                // A relative path is read from the working directory; the
                // kubelet keeps only the files named by absolute path.
                let text = view.files_at_start.get(&normalize(file)).ok_or(())?;
                load(text, options)
            }
            _ => load("", rest),
        }
    }

    /// A reply of the server.
    #[derive(Debug, PartialEq, Eq)]
    pub(super) enum Reply {
        /// `+PONG`.
        Status(String),
        /// `$...`.
        Bulk(String),
        /// `*...` of bulk strings.
        Array(Vec<String>),
        /// `-ERR ...`.
        Error(String),
    }

    /// redis's `stringmatch` with `nocase`: `*`, `?` and literal characters.
    fn glob(pattern: &[u8], text: &[u8]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some((b'*', rest)) => (0..=text.len()).any(|i| glob(rest, &text[i..])),
            Some((b'?', rest)) => !text.is_empty() && glob(rest, &text[1..]),
            Some((c, rest)) => {
                text.first().is_some_and(|t| t.eq_ignore_ascii_case(c)) && glob(rest, &text[1..])
            }
        }
    }

    /// The reply to `words` (command words case-insensitive), or None for a
    /// command kubesim does not model.
    pub(super) fn command(config: &BTreeMap<String, String>, words: &[&str]) -> Option<Reply> {
        let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        match lower
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["ping"] => Some(Reply::Status("PONG".into())),
            ["ping", _] => Some(Reply::Bulk(words[1].to_owned())),
            ["ping", ..] => Some(Reply::Error(
                "ERR wrong number of arguments for 'ping' command".into(),
            )),
            ["config", "get"] => Some(Reply::Error(
                "ERR wrong number of arguments for 'config|get' command".into(),
            )),
            ["config", "get", params @ ..] => {
                let mut out = Vec::new();
                for p in params {
                    let mut names: Vec<&String> = config
                        .keys()
                        .filter(|k| glob(p.as_bytes(), k.as_bytes()))
                        .collect();
                    names.sort();
                    for n in names {
                        if !out.contains(n) {
                            out.push(n.clone());
                            out.push(config[n].clone());
                        }
                    }
                }
                Some(Reply::Array(out))
            }
            _ => None,
        }
    }

    /// redis's `sdscatrepr`: a quoted string with escapes.
    fn repr(s: &str) -> String {
        let mut out = String::from("\"");
        for b in s.bytes() {
            match b {
                b'\\' | b'"' => {
                    out.push('\\');
                    out.push(char::from(b));
                }
                b'\n' => out.push_str("\\n"),
                b'\r' => out.push_str("\\r"),
                b'\t' => out.push_str("\\t"),
                0x20..=0x7e => out.push(char::from(b)),
                _ => out.push_str(&format!("\\x{b:02x}")),
            }
        }
        out.push('"');
        out
    }

    impl Reply {
        /// redis-cli's output when stdout is not a terminal (no final newline).
        pub(super) fn raw(&self) -> String {
            match self {
                Reply::Status(s) | Reply::Bulk(s) | Reply::Error(s) => s.clone(),
                Reply::Array(items) => items.join("\n"),
            }
        }

        /// redis-cli's output on a terminal (no final newline).
        pub(super) fn tty(&self) -> String {
            match self {
                Reply::Status(s) => s.clone(),
                Reply::Bulk(s) => repr(s),
                Reply::Error(e) => format!("(error) {e}"),
                Reply::Array(items) if items.is_empty() => "(empty array)".into(),
                Reply::Array(items) => {
                    let width = items.len().to_string().len();
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| format!("{:>width$}) {}", i + 1, repr(v)))
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use sim_core::components::kubelet::container_env::{EnvList, FsView};
    use sim_core::components::kubelet::ContainerView;
    use sim_core::time::SimTime;

    use super::redis::{command, load, memtoll, server_config, Reply};

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn view(command: &[&str], args: &[&str], files: &[(&str, &str)]) -> ContainerView {
        ContainerView {
            env: EnvList::default(),
            command: strings(command),
            args: strings(args),
            files_at_start: files
                .iter()
                .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
                .collect(),
            fs: FsView::default(),
            hostname: "redis".into(),
            image: "redis".into(),
            started_at: SimTime::ZERO,
        }
    }

    fn get(config: &BTreeMap<String, String>, words: &[&str]) -> Reply {
        command(config, words).expect("a modelled command")
    }

    #[test]
    fn memtoll_converts_units_as_redis_does() {
        assert_eq!(memtoll("2mb"), Some(2_097_152));
        assert_eq!(memtoll("2MB"), Some(2_097_152));
        assert_eq!(memtoll("2m"), Some(2_000_000));
        assert_eq!(memtoll("1kb"), Some(1024));
        assert_eq!(memtoll("1k"), Some(1000));
        assert_eq!(memtoll("1gb"), Some(1_073_741_824));
        assert_eq!(memtoll("1g"), Some(1_000_000_000));
        assert_eq!(memtoll("100"), Some(100));
        assert_eq!(memtoll("100b"), Some(100));
        assert_eq!(memtoll("0"), Some(0));
        assert_eq!(memtoll("2tb"), None);
        assert_eq!(memtoll("mb"), None);
        assert_eq!(memtoll(""), None);
    }

    #[test]
    fn the_file_overrides_the_defaults() {
        let defaults = load("", &[]).expect("defaults");
        assert_eq!(defaults["maxmemory"], "0");
        assert_eq!(defaults["maxmemory-policy"], "noeviction");
        let c = load(
            "# a comment\n\nMaxMemory 2mb\nmaxmemory-policy ALLKEYS-LRU\nsave \"\"\nhz 10\nmaxmemory 3mb\n",
            &[],
        )
        .expect("loads");
        assert_eq!(c["maxmemory"], "3145728", "the last directive wins");
        assert_eq!(c["maxmemory-policy"], "allkeys-lru");
        assert_eq!(c["hz"], "10", "any key of the file");
        assert_eq!(c["save"], "");
        assert_eq!(load("maxmemory-policy lru-please\n", &[]), Err(()));
        assert_eq!(load("maxmemory lots\n", &[]), Err(()));
    }

    #[test]
    fn command_line_options_come_after_the_file() {
        let c = load(
            "maxmemory 2mb\n",
            &strings(&["--maxmemory", "1kb", "--appendonly", "yes"]),
        )
        .expect("loads");
        assert_eq!(c["maxmemory"], "1024");
        assert_eq!(c["appendonly"], "yes");
        assert_eq!(load("", &strings(&["stray"])), Err(()));
    }

    #[test]
    fn config_get_and_ping_replies_and_their_two_forms() {
        let c = load("maxmemory 2mb\nmaxmemory-policy allkeys-lru\n", &[]).expect("loads");
        let r = get(&c, &["CONFIG", "GET", "maxmemory-policy"]);
        assert_eq!(r.raw(), "maxmemory-policy\nallkeys-lru");
        assert_eq!(r.tty(), "1) \"maxmemory-policy\"\n2) \"allkeys-lru\"");
        let r = get(&c, &["config", "get", "MAXMEMORY"]);
        assert_eq!(r.tty(), "1) \"maxmemory\"\n2) \"2097152\"");
        let r = get(&c, &["config", "get", "maxmemory*"]);
        assert_eq!(r.raw(), "maxmemory\n2097152\nmaxmemory-policy\nallkeys-lru");
        let r = get(&c, &["Config", "Get", "no-such-thing"]);
        assert_eq!((r.raw().as_str(), r.tty().as_str()), ("", "(empty array)"));
        assert_eq!(get(&c, &["ping"]).tty(), "PONG");
        assert_eq!(get(&c, &["PING", "hi \"x\""]).tty(), "\"hi \\\"x\\\"\"");
        assert!(matches!(get(&c, &["config", "get"]), Reply::Error(_)));
        assert_eq!(command(&c, &["SET", "k", "v"]), None);
        let many = load("a 1\nb 2\nc 3\nd 4\ne 5\n", &[]).expect("loads");
        let r = get(&many, &["config", "get", "?"]);
        assert!(r.tty().starts_with(" 1) \"a\"\n"), "{}", r.tty());
        assert!(r.tty().ends_with("\n10) \"5\""), "{}", r.tty());
    }

    #[test]
    fn the_server_reads_the_file_its_command_names_as_it_was_at_start() {
        let file = "maxmemory 2mb\nmaxmemory-policy allkeys-lru\n";
        let v = view(
            &["redis-server", "/redis-master/redis.conf"],
            &[],
            &[("/redis-master/redis.conf", file)],
        );
        assert_eq!(server_config(&v).expect("runs")["maxmemory"], "2097152");
        // The entrypoint puts redis-server before a .conf argument.
        let v = view(&[], &["/etc/redis.conf"], &[("/etc/redis.conf", file)]);
        assert_eq!(
            server_config(&v).expect("runs")["maxmemory-policy"],
            "allkeys-lru"
        );
        // No command: the image's `redis-server` with the defaults.
        let v = view(&[], &[], &[]);
        assert_eq!(server_config(&v).expect("runs")["maxmemory"], "0");
        let v = view(
            &["sh", "-c", "exec redis-server /c.conf"],
            &[],
            &[("/c.conf", file)],
        );
        assert_eq!(server_config(&v).expect("runs")["maxmemory"], "2097152");
        // Another program, or a config file that was not there: no server.
        assert_eq!(server_config(&view(&["sleep", "3600"], &[], &[])), Err(()));
        assert_eq!(
            server_config(&view(&["redis-server", "/missing.conf"], &[], &[])),
            Err(())
        );
    }

    /// The course scenario end to end: the values redis loaded at start,
    /// unchanged by a ConfigMap update until the pod is recreated.
    #[test]
    fn course_redis_scenario_reports_the_configuration_loaded_at_start() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scenarios/course/2.7-configuration.yaml"
        );
        let scenario = crate::load(std::path::Path::new(path)).expect("loads");
        let mut out = Vec::new();
        let result = crate::run(&scenario, &crate::RunOptions::default(), &mut out).expect("runs");
        let text = String::from_utf8(out).expect("utf8");
        assert_eq!(result.failed, 0, "{text}");
        let redis = &text[text
            .find("create configmap example-redis-config")
            .expect("redis part")..];
        let outputs: Vec<String> = redis
            .split("] $ kubectl exec -it redis -- redis-cli CONFIG GET maxmemory\n")
            .skip(1)
            .map(|s| s.lines().take(2).collect::<Vec<_>>().join("\n"))
            .collect();
        assert_eq!(
            outputs,
            [
                "1) \"maxmemory\"\n2) \"2097152\"",
                "1) \"maxmemory\"\n2) \"2097152\"",
                "1) \"maxmemory\"\n2) \"4194304\"",
            ],
            "{text}"
        );
        assert!(
            redis.contains("$ kubectl exec redis -- redis-cli config get maxmemory-policy\nmaxmemory-policy\nallkeys-lru\n"),
            "{text}"
        );
        assert!(
            redis.contains("-- redis-cli\nkubesim runs one-shot commands")
                && redis.contains("kubectl exec -it redis -- redis-cli CONFIG GET maxmemory-policy\ncommand terminated with exit code 1\n"),
            "{text}"
        );
        let policy = "] $ kubectl exec -it redis -- redis-cli CONFIG GET maxmemory-policy\n";
        let policies: Vec<String> = redis
            .split(policy)
            .skip(1)
            .map(|s| s.lines().take(2).collect::<Vec<_>>().join("\n"))
            .collect();
        assert_eq!(
            policies,
            [
                "1) \"maxmemory-policy\"\n2) \"allkeys-lru\"",
                "1) \"maxmemory-policy\"\n2) \"allkeys-lru\"",
                "1) \"maxmemory-policy\"\n2) \"allkeys-lfu\"",
            ],
            "{text}"
        );
    }
}
