//! `kubectl exec POD [-c CONTAINER] -- CMD`: the request goes kubectl → API
//! server → the kubelet of the pod's node, which runs the command in the
//! container. kubesim reads the kubelet's view of the container (its
//! environment as resolved at start, its filesystem) and runs a few commands
//! against it: `env`, `printenv`, `hostname`, `echo`, `pwd`, `ls [-l] [-a]`,
//! `cat`, and `sh -c` / `bash -c` of one of those. Any other program gets the
//! runtime's `executable file not found` error (exit code 126).

use k8s_openapi::api::core::v1::Pod;
use sim_core::api::fields::FieldSelector;
use sim_core::api::labels::Selector;
use sim_core::api::meta::timestamp;
use sim_core::api::{ApiError, Kind, Object, ObjectKey, Reason};
use sim_core::apiserver::{Request, Response};
use sim_core::cluster::Cluster;
use sim_core::components::kubelet::container_env::{normalize, FsEntry, FsView};
use sim_core::components::kubelet::{ContainerView, Kubelet};

use crate::kubectl::exec::{list, Outcome, Prepared, CLIENT};
use crate::kubectl::grammar::Command;

/// The names kubectl lists in its "Defaulted container" line
/// (podcmd.AllContainerNames): containers, then `name (init)`, then `name (ephem)`.
fn all_container_names(pod: &Pod) -> String {
    let Some(spec) = pod.spec.as_ref() else {
        return String::new();
    };
    let mut names: Vec<String> = spec.containers.iter().map(|c| c.name.clone()).collect();
    names.extend(
        spec.init_containers
            .iter()
            .flatten()
            .map(|c| format!("{} (init)", c.name)),
    );
    names.extend(
        spec.ephemeral_containers
            .iter()
            .flatten()
            .map(|c| format!("{} (ephem)", c.name)),
    );
    names.join(", ")
}

/// kubectl's default container (podcmd.FindOrDefaultContainerByName): the
/// `kubectl.kubernetes.io/default-container` annotation, else the first
/// container, with the "Defaulted container" line when there is a choice.
pub(crate) fn default_container(pod: &Pod, out: &mut Outcome) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    if let Some(name) = pod
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("kubectl.kubernetes.io/default-container"))
    {
        if spec.containers.iter().any(|c| &c.name == name) {
            return Some(name.clone());
        }
        out.line(format!(
            "Warning: default container name \"{name}\" not found in pod {}",
            pod.metadata.name.as_deref().unwrap_or_default()
        ));
    }
    let first = spec.containers.first()?;
    let others = spec.containers.len() > 1
        || spec.init_containers.as_ref().is_some_and(|v| !v.is_empty())
        || spec
            .ephemeral_containers
            .as_ref()
            .is_some_and(|v| !v.is_empty());
    if others {
        out.line(format!(
            "Defaulted container \"{}\" out of: {}",
            first.name,
            all_container_names(pod)
        ));
    }
    Some(first.name.clone())
}

/// The pod a `POD` or `TYPE/NAME` argument names. For a Deployment or
/// ReplicaSet, kubectl's `GetFirstPod` with `sort.Reverse(ActivePods)`: the
/// most active of its pods (assigned, Running, Ready, fewest restarts, oldest).
fn pod_for(cluster: &mut Cluster, arg: &str, ns: &str) -> Result<String, String> {
    let Some((kind, name)) = arg.split_once('/') else {
        return Ok(arg.to_owned());
    };
    let kind = match kind {
        "pod" | "pods" | "po" => return Ok(name.to_owned()),
        "deployment" | "deployments" | "deploy" | "deployment.apps" => Kind::Deployment,
        "replicaset" | "replicasets" | "rs" | "replicaset.apps" => Kind::ReplicaSet,
        other => {
            return Err(format!(
                "error: cannot attach to {other}/{name}: kubesim's kubectl exec takes pods, deployments and replicasets"
            ))
        }
    };
    let obj = match cluster.request(CLIENT, Request::Get(ObjectKey::new(kind, ns, name))) {
        Ok(Response::Object(o)) => o,
        Ok(_) => return Err(String::new()),
        Err(e) => return Err(e.kubectl_line()),
    };
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
    let selector = Selector::from_map(&labels).map_err(|e| format!("error: {e}"))?;
    let pods = list(
        cluster,
        Kind::Pod,
        Some(ns.to_owned()),
        selector,
        FieldSelector::default(),
    );
    let rank = |o: &Object| {
        let p = o.as_pod().cloned().unwrap_or_default();
        let st = p.status.clone().unwrap_or_default();
        let assigned = p.spec.as_ref().and_then(|s| s.node_name.clone()).is_some();
        let phase = match st.phase.as_deref() {
            Some("Running") => 2,
            Some("Unknown") => 1,
            _ => 0,
        };
        let ready = st
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True");
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
        .ok_or_else(|| "error: timed out waiting for the condition".to_owned())
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
    let pod = match cluster.request(CLIENT, Request::Get(ObjectKey::new(Kind::Pod, ns, &name))) {
        Ok(Response::Object(o)) => o,
        Ok(_) => return,
        Err(e) => {
            out.error(&e);
            return;
        }
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
        .component(&format!("kubelet/{node}"))
        .and_then(|c| c.as_any().downcast_ref::<Kubelet>())
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
    let mut shell = Shell {
        view: &view,
        tty: args.tty,
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
        if !known.contains(&base) {
            self.line(&format!("sh: 1: {prog}: not found"));
            return 127;
        }
        self.run(&words)
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
