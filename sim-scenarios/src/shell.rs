//! `sim shell`: an interactive session on a simulated cluster.
//!
//! The shell builds a cluster (a scenario's `cluster` section, or the default
//! three-node kubeadm cluster), waits until it is ready as the runner does,
//! and then reads commands from a [`LineSource`]: kubectl command lines (with
//! or without the leading `kubectl`) and the simulator's own commands
//! (`sleep`, `run until`, `clock`, `fault`, `save`, `help`, `exit`). Virtual
//! time only moves when a command makes it move (`sleep`, `run until`, the
//! wait of `kubectl delete`, `rollout status`), so the same script always
//! prints the same bytes. `save FILE` writes the session as a scenario that
//! `sim run` replays. Documented in docs/shell.md.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use sim_core::api::{Kind, Object};
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::Cluster;
use sim_core::config::ClusterConfig;
use sim_core::time::{SimDuration, SimTime};
use sim_core::trace::Trace;

use crate::hosts::HostSessions;
use crate::kubectl::commands::create::load_sources;
use crate::kubectl::commands::get::Watch;
use crate::kubectl::grammar::{self, Command};
use crate::kubectl::{self, Prepared};
use crate::limits::MAX_DURATION;
use crate::manifest;
use crate::runner::{self, cluster_ready, CLUSTER_READY_TIMEOUT, DELETE_WAIT_TIMEOUT};
use crate::scenario::{self, Scenario, DEFAULT_SEED};
use crate::Location;

/// The usage line of the shell's `fault` command.
const FAULT_USAGE: &str = "usage: fault KIND [ARGS...] (type help for the kinds)";

/// A `fault` command whose words do not fit its kind.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
enum FaultArgsError {
    /// No kind.
    #[error("{FAULT_USAGE}")]
    Usage,
    /// `-n` without a namespace.
    #[error("{0}: -n needs a namespace")]
    Namespace(String),
    /// A required argument is missing.
    #[error("{kind}: missing {what}")]
    Missing {
        /// The fault kind.
        kind: String,
        /// The argument (`NODE`, `POD`, ...).
        what: &'static str,
    },
    /// An exit code that is not an integer.
    #[error("{kind}: exit code {code:?} is not an integer")]
    ExitCode {
        /// The fault kind.
        kind: String,
        /// The word given.
        code: String,
    },
    /// Words left over.
    #[error("{0}: too many arguments; {FAULT_USAGE}")]
    TooMany(String),
}

/// A `fault` command's words as a fault step, with the step's flow mapping
/// (for `save`).
fn shell_fault(args: &[&str]) -> Result<(crate::raw::RawFault, String), FaultArgsError> {
    use crate::raw::RawFault;
    let Some((&kind, rest)) = args.split_first() else {
        return Err(FaultArgsError::Usage);
    };
    let mut raw = RawFault {
        kind: kind.to_owned(),
        ..Default::default()
    };
    if !sim_core::faults::KINDS.contains(&kind) {
        // Validation names the unknown kind.
        return Ok((raw, String::new()));
    }
    let mut fields = vec![format!("kind: {kind}")];
    let mut rest: Vec<&str> = rest.to_vec();
    if let Some(i) = rest.iter().position(|w| *w == "-n" || *w == "--namespace") {
        let ns = rest
            .get(i + 1)
            .ok_or_else(|| FaultArgsError::Namespace(kind.to_owned()))?;
        raw.namespace = Some((*ns).to_owned());
        rest.drain(i..i + 2);
    }
    let take = |rest: &mut Vec<&str>, what: &'static str| -> Result<String, FaultArgsError> {
        if rest.is_empty() {
            return Err(FaultArgsError::Missing {
                kind: kind.to_owned(),
                what,
            });
        }
        Ok(rest.remove(0).to_owned())
    };
    match kind {
        "node-crash" | "kubelet-stop" | "partition" | "node-power-on" | "kubelet-start" => {
            raw.node = Some(take(&mut rest, "NODE")?);
        }
        "container-crash" => {
            raw.pod = Some(take(&mut rest, "POD")?);
            raw.container = Some(take(&mut rest, "CONTAINER")?);
            if !rest.is_empty() {
                let code = rest.remove(0);
                raw.exit_code = Some(code.parse().map_err(|_| FaultArgsError::ExitCode {
                    kind: kind.to_owned(),
                    code: code.to_owned(),
                })?);
            }
        }
        "apiserver-slow" | "etcd-slow" => raw.latency = Some(take(&mut rest, "LATENCY")?),
        "random-node-crashes" => {
            raw.mtbf = Some(take(&mut rest, "MTBF")?);
            raw.recover_after = Some(take(&mut rest, "RECOVER-AFTER")?);
        }
        "nfs-outage" => raw.server = Some(take(&mut rest, "SERVER")?),
        _ => {}
    }
    if !rest.is_empty() {
        raw.duration = Some(rest.remove(0).to_owned());
    }
    if !rest.is_empty() {
        return Err(FaultArgsError::TooMany(kind.to_owned()));
    }
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    for (name, v) in [
        ("node", &raw.node),
        ("pod", &raw.pod),
        ("namespace", &raw.namespace),
        ("container", &raw.container),
        ("latency", &raw.latency),
        ("mtbf", &raw.mtbf),
        ("recoverAfter", &raw.recover_after),
        ("server", &raw.server),
        ("duration", &raw.duration),
    ] {
        if let Some(v) = v {
            fields.push(format!("{name}: {}", q(v)));
        }
    }
    if let Some(c) = raw.exit_code {
        fields.push(format!("exitCode: {c}"));
    }
    Ok((raw, format!("{{{}}}", fields.join(", "))))
}

/// The longest `run until` advances virtual time before giving up.
pub const RUN_UNTIL_CAP: SimDuration = SimDuration::from_mins(5);

/// Where the shell's command lines come from.
pub trait LineSource {
    /// The next line (without its newline), or None at the end of input.
    /// `prompt` is shown by interactive sources. An
    /// [`io::ErrorKind::InvalidData`] error is one unreadable line: the
    /// shell reports it with its number and reads on.
    fn next_line(&mut self, prompt: &str) -> io::Result<Option<String>>;

    /// True for a terminal: the shell then prints no echo of each command.
    fn interactive(&self) -> bool;
}

/// Lines read from a script (a pipe or a file): no prompt; the shell echoes
/// each command after its virtual time, as the runner does.
pub struct ScriptLines<R: BufRead>(pub R);

impl<R: BufRead> LineSource for ScriptLines<R> {
    /// A line that is not UTF-8 is consumed whole and reported as an
    /// [`io::ErrorKind::InvalidData`] error; the next call reads the next line.
    fn next_line(&mut self, _prompt: &str) -> io::Result<Option<String>> {
        let mut bytes = Vec::new();
        if self.0.read_until(b'\n', &mut bytes)? == 0 {
            return Ok(None);
        }
        let line = String::from_utf8(bytes).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "not UTF-8 text (invalid byte at column {}); the line is ignored",
                    e.utf8_error().valid_up_to() + 1
                ),
            )
        })?;
        Ok(Some(line.trim_end_matches(['\n', '\r']).to_owned()))
    }

    fn interactive(&self) -> bool {
        false
    }
}

/// Lines typed at a terminal, with line editing and history (rustyline).
pub struct TerminalLines {
    editor: rustyline::DefaultEditor,
}

impl TerminalLines {
    /// A line editor on the terminal.
    pub fn new() -> io::Result<Self> {
        let editor = rustyline::DefaultEditor::new().map_err(io::Error::other)?;
        Ok(TerminalLines { editor })
    }
}

impl LineSource for TerminalLines {
    fn next_line(&mut self, prompt: &str) -> io::Result<Option<String>> {
        use rustyline::error::ReadlineError;
        match self.editor.readline(prompt) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = self.editor.add_history_entry(line.as_str());
                }
                Ok(Some(line))
            }
            // Ctrl-C abandons the line being typed, as in a shell.
            Err(ReadlineError::Interrupted) => Ok(Some(String::new())),
            Err(ReadlineError::Eof) => Ok(None),
            Err(e) => Err(io::Error::other(e)),
        }
    }

    fn interactive(&self) -> bool {
        true
    }
}

/// What the shell runs on.
#[derive(Clone, Debug)]
pub struct ShellOptions {
    /// The scenario whose cluster section (and seed) to use; None: the
    /// default kubeadm cluster.
    pub scenario: Option<Scenario>,
    /// Replaces the seed.
    pub seed: Option<u64>,
    /// The directory relative `-f` paths and `save` files are taken from
    /// first (then the scenario's directory).
    pub cwd: PathBuf,
}

/// One recorded command: a step of the saved scenario.
#[derive(Clone, Debug)]
enum Recorded {
    /// A kubectl line, its words and the files its `-f` flags named
    /// (word index, resolved path).
    Kubectl {
        at: SimTime,
        line: String,
        words: Vec<String>,
        files: Vec<(usize, PathBuf)>,
    },
    /// A wait (`sleep`, or the time `run until` took).
    Wait { at: SimTime, duration: SimDuration },
    /// A fault, as the flow mapping of a `fault:` step.
    Fault { at: SimTime, mapping: String },
    /// A line typed into a node's shell.
    Host {
        at: SimTime,
        node: String,
        line: String,
    },
}

/// An interactive exec session the shell's lines go to until it ends.
struct ContainerSession {
    session: sim_core::cluster::OpenSession,
    prompt: String,
}

struct Shell<'a> {
    options: &'a ShellOptions,
    /// While `kubectl exec -it POD -- sh` runs: lines go to the container.
    session: Option<ContainerSession>,
    /// The login sessions on the nodes.
    hosts: HostSessions,
    /// The nodes the shell stands on: the control-plane node, then each
    /// `ssh` (the last is where host commands run).
    on: Vec<String>,
    seed: u64,
    cluster: Cluster,
    watch: Option<Watch>,
    pending: String,
    recorded: Vec<Recorded>,
    echo: bool,
    out: &'a mut dyn Write,
}

const HELP: &str = "\
Commands:
  kubectl ARGS...                   a kubectl command (the word kubectl is optional)
  COMMAND                           any other line runs in the shell of the node
                                    the session stands on (the control-plane node
                                    at first): curl, ping, ip addr, iptables-save,
                                    cat /etc/hosts, ...
  ssh NODE [COMMAND]                stand on another node (exit comes back), or
                                    run one command there
  sleep DURATION                    advance virtual time (e.g. sleep 10s)
  run until deployment/NAME available [-n NS]
  run until pod/NAME running [-n NS]
                                    advance until it holds (at most 5m0s)
  clock                             print the virtual time
  fault KIND [ARGS...]              inject a fault (docs/faults.md):
    fault node-crash|kubelet-stop|partition NODE [DURATION]
    fault node-power-on|kubelet-start NODE
    fault container-crash POD CONTAINER [EXIT-CODE] [-n NS]
    fault registry-outage|apiserver-stop|scheduler-stop|controller-manager-stop [DURATION]
    fault apiserver-slow|etcd-slow LATENCY [DURATION]
    fault random-node-crashes MTBF RECOVER-AFTER DURATION
    fault nfs-outage SERVER [DURATION]
  save [--force] FILE               write the session as a scenario for sim run
  help                              this text
  exit, quit                        leave (so does end of input)
Rows of a `kubectl get -w` appear whenever virtual time advances.
";

/// Runs a shell session: builds and readies the cluster, then runs every
/// line of `input` until `exit` or the end of input, writing to `out`.
pub fn run(
    options: &ShellOptions,
    input: &mut dyn LineSource,
    out: &mut dyn Write,
) -> io::Result<()> {
    let seed = options
        .seed
        .or(options.scenario.as_ref().map(|s| s.seed))
        .unwrap_or(DEFAULT_SEED);
    let config = options
        .scenario
        .as_ref()
        .map_or_else(|| ClusterConfig::kubeadm(2), |s| s.cluster.clone());
    let control_plane = config
        .nodes
        .iter()
        .find(|n| n.control_plane)
        .or(config.nodes.first())
        .map(|n| n.name.clone())
        .unwrap_or_default();
    let mut sh = Shell {
        options,
        session: None,
        hosts: HostSessions::new(),
        on: vec![control_plane],
        seed,
        cluster: kubeadm_cluster(config, seed, Trace::disabled()),
        watch: None,
        pending: String::new(),
        recorded: Vec::new(),
        echo: !input.interactive(),
        out,
    };
    let what = match &options.scenario {
        Some(s) => format!("the cluster of scenario {:?}", s.name),
        None => "the default cluster".to_owned(),
    };
    writeln!(
        sh.out,
        "kubesim shell: {what} (seed {seed}, Kubernetes {})",
        sim_core::config::KUBERNETES_VERSION
    )?;
    let ready = runner::run_until_holds(
        &mut sh.cluster,
        SimTime::ZERO + CLUSTER_READY_TIMEOUT,
        cluster_ready,
        |_| {},
    )
    .map_err(io::Error::other)?;
    let text = if ready.is_some() {
        let nodes = sh.cluster.etcd().count(Kind::Node);
        let pods = sh.cluster.etcd().list(Kind::Pod, Some("kube-system")).len();
        format!("cluster ready: {nodes} nodes Ready, {pods} pods Running in kube-system")
    } else {
        "warning: the cluster did not become ready".to_owned()
    };
    sh.say(&text)?;
    if !sh.echo {
        writeln!(sh.out, "Type help for the commands, exit to leave.")?;
    }
    let mut number = 0;
    loop {
        let prompt = match &sh.session {
            Some(s) => s.prompt.clone(),
            None => sh.host_prompt(),
        };
        number += 1;
        let line = match input.next_line(&prompt) {
            Ok(Some(line)) => line,
            Ok(None) => break,
            // One unreadable line is an error for that line, not the end.
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                sh.flush_watch()?;
                writeln!(sh.out, "error: line {number}: {e}")?;
                continue;
            }
            Err(e) => return Err(e),
        };
        if sh.session.is_some() {
            sh.session_line(&line)?;
        } else if !sh.command(&line)? {
            break;
        }
        sh.out.flush()?;
    }
    sh.hosts.close_all(&mut sh.cluster);
    if let Some(s) = sh.session.take() {
        // The input ended: the terminal closes, and the session with it.
        sh.cluster.exec_close(&s.session);
        if sh.echo && !s.prompt.is_empty() {
            writeln!(sh.out, "{}", s.prompt.trim_end())?;
        }
    }
    sh.flush_watch()?;
    sh.out.flush()
}

fn stamp(t: SimTime) -> String {
    format!("[{:>10}]", t.to_string())
}

impl Shell<'_> {
    fn say(&mut self, text: &str) -> io::Result<()> {
        self.flush_watch()?;
        writeln!(self.out, "{} {text}", stamp(self.cluster.now()))
    }

    fn echo(&mut self, text: &str) -> io::Result<()> {
        if self.echo {
            self.say(text)
        } else {
            self.flush_watch()
        }
    }

    fn flush_watch(&mut self) -> io::Result<()> {
        let rows = std::mem::take(&mut self.pending);
        self.out.write_all(rows.as_bytes())?;
        let faults = runner::fault_lines(&mut self.cluster);
        self.out.write_all(faults.as_bytes())
    }

    /// Advances the clock; a stalled simulation ends the session (its
    /// error says why).
    fn advance(&mut self, to: SimTime) -> io::Result<()> {
        runner::advance(&mut self.cluster, to, &mut self.watch, &mut self.pending)
            .map_err(io::Error::other)
    }

    /// Runs until `done` holds or `deadline`; a stalled simulation ends the
    /// session.
    fn run_until_holds(
        &mut self,
        deadline: SimTime,
        done: impl FnMut(&Cluster) -> bool,
    ) -> io::Result<Option<SimTime>> {
        let (watch, pending) = (&mut self.watch, &mut self.pending);
        runner::run_until_holds(&mut self.cluster, deadline, done, |c| {
            if let Some(w) = watch {
                pending.push_str(&w.poll(c));
            }
        })
        .map_err(io::Error::other)
    }

    /// Runs one line; false when the session ends.
    fn command(&mut self, line: &str) -> io::Result<bool> {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return Ok(true);
        }
        let words: Vec<&str> = trimmed.split_whitespace().collect();
        match words[0] {
            "exit" | "logout" if self.on.len() > 1 => {
                self.echo(trimmed)?;
                let node = self.on.pop().unwrap_or_default();
                self.hosts.close(&mut self.cluster, &node);
                writeln!(self.out, "logout\nConnection to {node} closed.")?;
                // Replayed as the shell's own exit, which ends the session.
                self.recorded.push(Recorded::Host {
                    at: self.cluster.now(),
                    node,
                    line: "exit".to_owned(),
                });
            }
            "exit" | "quit" => {
                self.echo(trimmed)?;
                return Ok(false);
            }
            "ssh" => {
                self.echo(trimmed)?;
                self.ssh(&words[1..])?;
            }
            "help" => {
                self.echo(trimmed)?;
                self.out.write_all(HELP.as_bytes())?;
            }
            "clock" => {
                self.echo(trimmed)?;
                writeln!(self.out, "{}", self.cluster.now())?;
            }
            "fault" => {
                self.echo(trimmed)?;
                self.fault(&words[1..])?;
            }
            "sleep" => {
                self.echo(trimmed)?;
                self.sleep(&words[1..])?;
            }
            "save" => {
                self.echo(trimmed)?;
                self.save(&words[1..])?;
            }
            "run" if words.get(1) == Some(&"until") => {
                self.echo(trimmed)?;
                self.run_until(&words[2..])?;
            }
            w if w == "kubectl" || grammar::COMMANDS.contains(&w) => self.kubectl(trimmed)?,
            _ => self.host_line(trimmed)?,
        }
        Ok(true)
    }

    /// The node host commands run on.
    fn here(&self) -> String {
        self.on.last().cloned().unwrap_or_default()
    }

    /// The prompt: the virtual time and the shell prompt of the node the
    /// shell stands on.
    fn host_prompt(&mut self) -> String {
        let node = self.here();
        let now = self.cluster.now();
        match self.hosts.prompt(&mut self.cluster, &node) {
            Ok(p) => format!("[{now}] {p}"),
            Err(_) => format!("[{now}] kubesim> "),
        }
    }

    /// `ssh [USER@]NODE [COMMAND]`: stands on the node, or runs the command
    /// there.
    fn ssh(&mut self, args: &[&str]) -> io::Result<()> {
        let Some((target, command)) = args.split_first() else {
            return writeln!(self.out, "usage: ssh [user@]hostname [command]");
        };
        let Some(node) = self.cluster.node_named(target) else {
            let host = target.rsplit('@').next().unwrap_or(target);
            return writeln!(
                self.out,
                "ssh: Could not resolve hostname {host}: Name or service not known"
            );
        };
        if !command.is_empty() {
            let line = command.join(" ");
            return match self.cluster.host_exec(&node, &line) {
                Ok(out) => {
                    self.out.write_all(out.stdout.as_bytes())?;
                    self.out.write_all(out.stderr.as_bytes())
                }
                Err(e) => writeln!(self.out, "{e}"),
            };
        }
        match self.hosts.prompt(&mut self.cluster, &node) {
            Ok(_) => {
                self.on.push(node);
                Ok(())
            }
            Err(e) => writeln!(self.out, "{e}"),
        }
    }

    /// A line for the shell of the node the shell stands on.
    fn host_line(&mut self, line: &str) -> io::Result<()> {
        let node = self.here();
        let at = self.cluster.now();
        let typed = self.hosts.type_line(&mut self.cluster, &node, line);
        if self.echo {
            self.say(&format!("{}{line}", typed.prompt))?;
        }
        self.out.write_all(typed.output.as_bytes())?;
        // A misspelt kubectl command typed without `kubectl`.
        let first = line.split_whitespace().next().unwrap_or("");
        if typed.status == 127 {
            if let Some(cmd) = crate::suggest::closest(first, grammar::COMMANDS, 2) {
                writeln!(
                    self.out,
                    "kubesim: did you mean \"kubectl {cmd}\"? (kubectl commands may be typed without the word kubectl)"
                )?;
            }
        }
        if typed.ended && self.on.len() > 1 {
            self.on.pop();
        }
        self.recorded.push(Recorded::Host {
            at,
            node,
            line: line.to_owned(),
        });
        self.flush_watch()
    }

    fn fault(&mut self, args: &[&str]) -> io::Result<()> {
        let (raw, mapping) = match shell_fault(args) {
            Ok(r) => r,
            Err(e) => return writeln!(self.out, "error: {e}"),
        };
        let nodes: Vec<String> = self
            .cluster
            .config()
            .nodes
            .iter()
            .map(|n| n.name.clone())
            .collect();
        let names: Vec<&str> = nodes.iter().map(String::as_str).collect();
        let fault = match scenario::fault(&raw, &names) {
            Ok(f) => f,
            Err(e) => return writeln!(self.out, "error: {e}"),
        };
        if let Err(e) = self.cluster.inject_fault(fault) {
            return writeln!(self.out, "error: {e}");
        }
        let at = self.cluster.now();
        self.recorded.push(Recorded::Fault { at, mapping });
        self.flush_watch()
    }

    fn sleep(&mut self, args: &[&str]) -> io::Result<()> {
        let [arg] = args else {
            return writeln!(self.out, "error: usage: sleep DURATION (e.g. sleep 10s)");
        };
        let d = match arg.parse::<SimDuration>() {
            Ok(d) => d,
            Err(e) => {
                let hint = if arg.chars().all(|c| c.is_ascii_digit() || c == '.') {
                    format!("; did you mean {arg}s?")
                } else {
                    String::new()
                };
                return writeln!(self.out, "error: sleep {arg}: {e}{hint}");
            }
        };
        if d > MAX_DURATION {
            return writeln!(
                self.out,
                "error: sleep {arg}: too long; the longest sleep is {MAX_DURATION}"
            );
        }
        let at = self.cluster.now();
        self.advance(at + d)?;
        self.recorded.push(Recorded::Wait { at, duration: d });
        self.flush_watch()
    }

    fn run_until(&mut self, args: &[&str]) -> io::Result<()> {
        const USAGE: &str = "error: usage: run until deployment/NAME available [-n NAMESPACE] | run until pod/NAME running [-n NAMESPACE]";
        let (target, state, rest) = match args {
            [t, s, rest @ ..] => (*t, *s, rest),
            _ => return writeln!(self.out, "{USAGE}"),
        };
        let ns = match rest {
            [] => "default".to_owned(),
            ["-n" | "--namespace", ns] => (*ns).to_owned(),
            _ => return writeln!(self.out, "{USAGE}"),
        };
        let Some((kind, name)) = target.split_once('/') else {
            return writeln!(self.out, "{USAGE}");
        };
        let kind = match (kind, state) {
            ("deployment" | "deployments" | "deploy", "available") => Kind::Deployment,
            ("pod" | "pods" | "po", "running") => Kind::Pod,
            _ => return writeln!(self.out, "{USAGE}"),
        };
        let name = name.to_owned();
        let start = self.cluster.now();
        let held = self.run_until_holds(start + RUN_UNTIL_CAP, |c| {
            c.etcd()
                .get(kind, &ns, &name)
                .is_some_and(|o| condition_holds(o))
        })?;
        let took = self.cluster.now() - start;
        self.recorded.push(Recorded::Wait {
            at: start,
            duration: took,
        });
        let what = format!("{}/{name}", kind.name().to_lowercase());
        let text = match held {
            Some(_) => format!("{what} {state} after {took}"),
            None => format!("gave up after {took}: {what} is not {state}"),
        };
        self.say(&text)
    }

    /// Resolves a `-f` path: relative to the current directory if it is
    /// there, else to the scenario's directory.
    fn resolve_file(&self, p: &str) -> Option<PathBuf> {
        // Anything there (even a link that cannot be followed) is the
        // file meant: reading it reports what is wrong with it.
        let there = |f: &Path| std::fs::symlink_metadata(f).is_ok();
        let path = Path::new(p);
        if path.is_absolute() {
            return there(path).then(|| path.to_owned());
        }
        let mut bases = vec![self.options.cwd.clone()];
        if let Some(s) = &self.options.scenario {
            bases.push(s.path.parent().map_or_else(PathBuf::new, Path::to_path_buf));
        }
        bases
            .into_iter()
            .map(|b| self.options.cwd.join(b).join(path))
            .find(|f| there(f))
    }

    /// A line typed into the open container session.
    fn session_line(&mut self, line: &str) -> io::Result<()> {
        let Some(s) = self.session.take() else {
            return Ok(());
        };
        if self.echo {
            writeln!(self.out, "{}{line}", s.prompt)?;
        }
        match self.cluster.exec_input(&s.session, line) {
            Ok(out) => {
                self.out.write_all(out.output.as_bytes())?;
                match out.ended {
                    Some(status) => {
                        let mut o = crate::kubectl::outcome::Outcome::default();
                        crate::kubectl::commands::exec::terminated(&mut o, status);
                        self.out.write_all(o.output.as_bytes())?;
                    }
                    None => {
                        self.session = Some(ContainerSession {
                            session: s.session,
                            prompt: out.prompt,
                        })
                    }
                }
            }
            Err(e) => writeln!(self.out, "{e}")?,
        }
        Ok(())
    }

    fn kubectl(&mut self, line: &str) -> io::Result<()> {
        let shown = line.strip_prefix("kubectl ").unwrap_or(line);
        self.echo(&format!("$ kubectl {shown}"))?;
        let cli = match grammar::parse(line) {
            Ok(cli) => cli,
            Err(e) => return writeln!(self.out, "{}", e.0),
        };
        let words = shlex::split(line).unwrap_or_default();
        let (names, recursive, verb) = match &cli.command {
            Command::Apply(a) => (a.filenames.clone(), a.recursive, Some("apply")),
            Command::Create(c) => (
                c.filenames.clone(),
                false,
                c.what.is_none().then_some("create"),
            ),
            Command::Delete(d) => (d.filenames.clone(), false, None),
            _ => (Vec::new(), false, None),
        };
        let mut files = Vec::new();
        let mut paths = Vec::new();
        for name in &names {
            let Some(full) = self.resolve_file(name) else {
                return writeln!(self.out, "error: the path \"{name}\" does not exist");
            };
            if let Some(i) = file_word(&words, name) {
                files.push((i, full.clone()));
            }
            paths.push(full);
        }
        let location = Location {
            file: PathBuf::from("<shell>"),
            ..Default::default()
        };
        let manifests = match manifest::load_paths(&paths, Path::new(""), &location, recursive) {
            Ok(m) => m,
            Err(e) => return writeln!(self.out, "{}", e.message),
        };
        if let Some(verb) = verb {
            if manifests.is_empty() {
                return writeln!(self.out, "error: no objects passed to {verb}");
            }
        }
        // `--from-file` sources: from the current directory, else the scenario's.
        let from_cwd = load_sources(&cli, &self.options.cwd);
        let files_read = match (from_cwd, &self.options.scenario) {
            (Ok(f), _) => f,
            (Err(e), None) => return writeln!(self.out, "{e}"),
            (Err(e), Some(s)) => {
                let dir = self
                    .options
                    .cwd
                    .join(s.path.parent().unwrap_or(Path::new("")));
                match load_sources(&cli, &dir) {
                    Ok(f) => f,
                    Err(_) => return writeln!(self.out, "{e}"),
                }
            }
        };
        let at = self.cluster.now();
        let prepared = Prepared {
            line: line.to_owned(),
            cli,
            manifests,
            files: files_read,
            edit_patch: None,
            stdin: None,
        };
        // A running `get -w` streams until the next kubectl command.
        self.flush_watch()?;
        self.watch = None;
        // `exec -i` of a shell or redis-cli: its prompt takes the next lines.
        if matches!(&prepared.cli.command, Command::Exec(a) if a.stdin) {
            let (outcome, opened) = kubectl::open_exec_session(&mut self.cluster, &prepared);
            if let Some((session, prompt)) = opened {
                self.out.write_all(outcome.output.as_bytes())?;
                self.session = Some(ContainerSession { session, prompt });
                return Ok(());
            }
            if outcome.exit_code != 0 {
                self.out.write_all(outcome.output.as_bytes())?;
                return Ok(());
            }
        }
        let ex = kubectl::execute(&mut self.cluster, &prepared);
        let outcome = ex.outcome;
        self.out.write_all(outcome.output.as_bytes())?;
        if let Some(w) = ex.watch {
            self.watch = Some(w);
        }
        if let Some(w) = &mut self.watch {
            self.pending.push_str(&w.poll(&self.cluster));
        }
        self.flush_watch()?;
        if !outcome.wait_for_gone.is_empty() {
            let keys = outcome.wait_for_gone.clone();
            let deadline = self.cluster.now() + outcome.wait_timeout.unwrap_or(DELETE_WAIT_TIMEOUT);
            let gone = self.run_until_holds(deadline, |c| {
                keys.iter()
                    .all(|k| c.etcd().get(k.kind, &k.namespace, &k.name).is_none())
            });
            self.flush_watch()?;
            if gone?.is_none() {
                writeln!(self.out, "error: timed out waiting for the condition")?;
            }
        }
        if let Some(mut rollout) = ex.rollout_watch {
            let limit = rollout
                .timeout
                .unwrap_or(crate::kubectl::commands::rollout::ROLLOUT_STATUS_LIMIT);
            let deadline = self.cluster.now() + limit;
            let mut text = String::new();
            let done = self.run_until_holds(deadline, |c| rollout.poll(c.etcd(), &mut text));
            self.out.write_all(text.as_bytes())?;
            self.flush_watch()?;
            if done?.is_none() {
                writeln!(self.out, "error: timed out waiting for the condition")?;
            }
        }
        if self.valid_step(line) {
            self.recorded.push(Recorded::Kubectl {
                at,
                line: line.to_owned(),
                words,
                files,
            });
        }
        Ok(())
    }

    /// True when a scenario step with this line would validate (so that a
    /// saved session always loads); `-f` files are checked where they are.
    fn valid_step(&self, line: &str) -> bool {
        let Ok(quoted) = serde_json::to_string(line) else {
            return false;
        };
        let text = format!("name: check\nsteps:\n  - kubectl: {quoted}\n");
        let base = self.options.cwd.join("shell.yaml");
        if scenario::parse(&text, &base).is_ok() {
            return true;
        }
        self.options.scenario.as_ref().is_some_and(|s| {
            let base = self.options.cwd.join(&s.path);
            scenario::parse(&text, &base).is_ok()
        })
    }

    fn save(&mut self, args: &[&str]) -> io::Result<()> {
        let (force, file) = match args {
            ["--force", f] | [f, "--force"] => (true, *f),
            [f] if !f.starts_with('-') => (false, *f),
            _ => return writeln!(self.out, "error: usage: save [--force] FILE"),
        };
        let path = self.options.cwd.join(file);
        if path.exists() && !force {
            return writeln!(
                self.out,
                "error: {file} exists; use save --force {file} to replace it"
            );
        }
        let text = self.saved_scenario(&path);
        match std::fs::write(&path, text) {
            Ok(()) => writeln!(
                self.out,
                "saved {} step{} to {file}; replay with: sim run {file}",
                self.recorded.len(),
                if self.recorded.len() == 1 { "" } else { "s" }
            ),
            Err(e) => writeln!(self.out, "error: cannot write {file}: {e}"),
        }
    }

    /// The session as a scenario: the cluster section, the seed, and each
    /// command at the virtual time it ran.
    fn saved_scenario(&self, path: &Path) -> String {
        let dir = path
            .parent()
            .and_then(|d| d.canonicalize().ok())
            .unwrap_or_default();
        let mut text =
            String::from("# Recorded by `sim shell`: each command at the virtual time it ran.\n");
        let name = self.options.scenario.as_ref().map_or_else(
            || "shell-session".to_owned(),
            |s| format!("{}-shell", s.name),
        );
        text.push_str(&format!("name: {}\n", json_str(&name)));
        text.push_str(&format!("seed: {}\n", self.seed));
        if let Some(cluster) = self.cluster_section() {
            text.push_str(&cluster);
        }
        if self.recorded.is_empty() {
            text.push_str("steps: []\n");
            return text;
        }
        text.push_str("steps:\n");
        for r in &self.recorded {
            match r {
                Recorded::Kubectl {
                    at,
                    line,
                    words,
                    files,
                } => {
                    let line = relocate(line, words, files, &dir);
                    text.push_str(&format!("  - at: {at}\n    kubectl: {}\n", json_str(&line)));
                }
                Recorded::Wait { at, duration } => {
                    text.push_str(&format!("  - at: {at}\n    wait: {duration}\n"));
                }
                Recorded::Fault { at, mapping } => {
                    text.push_str(&format!("  - at: {at}\n    fault: {mapping}\n"));
                }
                Recorded::Host { at, node, line } => {
                    text.push_str(&format!(
                        "  - at: {at}\n    host: {}\n    run: {}\n",
                        json_str(node),
                        json_str(line)
                    ));
                }
            }
        }
        text
    }

    /// The scenario's `cluster` section as written (None: the default cluster).
    fn cluster_section(&self) -> Option<String> {
        let s = self.options.scenario.as_ref()?;
        let text = crate::files::read_yaml_text(&self.options.cwd.join(&s.path)).ok()?;
        let doc: serde_json::Value = crate::yaml::from_str(&text).ok()?;
        let cluster = doc.get("cluster")?.clone();
        Some(crate::yaml::to_string(
            &serde_json::json!({ "cluster": cluster }),
        ))
    }
}

/// A YAML double-quoted string (JSON strings are YAML).
fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The index of the word holding a `-f` value.
fn file_word(words: &[String], name: &str) -> Option<usize> {
    words.iter().enumerate().position(|(i, w)| {
        w == name && i > 0 && matches!(words[i - 1].as_str(), "-f" | "--filename")
    })
}

/// The line with its `-f` files named relative to `dir` (the saved file's
/// directory) when they are under it, else by absolute path.
fn relocate(line: &str, words: &[String], files: &[(usize, PathBuf)], dir: &Path) -> String {
    let mut words = words.to_vec();
    let mut changed = false;
    for (i, full) in files {
        let full = full.canonicalize().unwrap_or_else(|_| full.clone());
        let new = match full.strip_prefix(dir) {
            Ok(rel) => rel.display().to_string(),
            Err(_) => full.display().to_string(),
        };
        if words[*i] != new {
            words[*i] = new;
            changed = true;
        }
    }
    if !changed {
        return line.to_owned();
    }
    shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| line.to_owned())
}

/// `run until`'s conditions: a Deployment whose every replica is updated
/// and available (condition Available=True), or a Pod in phase Running.
fn condition_holds(o: &Object) -> bool {
    match o {
        Object::Deployment(d) => {
            let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
            let generation = d.metadata.generation.unwrap_or(0);
            d.status.as_ref().is_some_and(|s| {
                s.observed_generation.unwrap_or(0) >= generation
                    && s.available_replicas.unwrap_or(0) >= want
                    && s.updated_replicas.unwrap_or(0) >= want
                    && s.conditions.as_ref().is_some_and(|c| {
                        c.iter()
                            .any(|c| c.type_ == "Available" && c.status == "True")
                    })
            })
        }
        Object::Pod(p) => p
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .is_some_and(|ph| ph == "Running"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(script: &str) -> String {
        let options = ShellOptions {
            scenario: None,
            seed: None,
            cwd: PathBuf::from("."),
        };
        let mut out = Vec::new();
        run(&options, &mut ScriptLines(script.as_bytes()), &mut out).expect("runs");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn script_lines_are_echoed_and_time_advances() {
        let t = session("sleep 2s\nclock\nfault x\nrun until pod/nope running\n");
        assert!(
            t.contains("[    3.313s] sleep 2s\n[    5.313s] clock\n5.313s\n"),
            "{t}"
        );
        assert!(t.contains("error: unknown fault kind \"x\""), "{t}");
        assert!(
            t.contains("gave up after 5m0s: pod/nope is not running"),
            "{t}"
        );
        assert_eq!(
            t,
            session("sleep 2s\nclock\nfault x\nrun until pod/nope running\n")
        );
    }
}
