//! The container's `sh` (issue 11): runs the lines [`shell_grammar`]
//! parses against a container's filesystem ([`container_fs`]), as dash
//! would: and-or chains, pipelines (each command's output the next one's
//! input), redirections to and from files, variables and assignments, the
//! builtins (`cd`, `pwd`, `echo`, `export`, `exit`, `true`, `false`, `:`),
//! and the programs found on `PATH` in the container's own files, answered
//! by [`shell_tools`] with GNU coreutils' output and messages. A program
//! the image does not have is dash's `sh: 1: NAME: not found`, exit 127.
//!
//! `kubectl exec` runs it (or one program directly) in the container through
//! [`super::Kubelet::exec`]. Output is bounded ([`MAX_OUTPUT_BYTES`]).
//!
//! [`shell_grammar`]: super::shell_grammar
//! [`container_fs`]: super::container_fs
//! [`shell_tools`]: super::shell_tools

use std::collections::BTreeMap;

use super::container_fs::{self, normalize, ContainerFs, FsError, Kind, VolumeStore};
use super::http::Network;
use super::redis;
use super::shell_grammar::{self, Command, Connector, Pipeline, RedirectOp, Word};
use super::shell_tools;
pub use super::tool_ctx::{Clock, Identity, Kernel};
use crate::config::image_fs::program_package;

pub use super::tool_ctx::MAX_OUTPUT_BYTES;

/// dash's default `PATH` when the environment has none.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What a line printed and its exit status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The exit status of the last command.
    pub status: i32,
    /// `exit` ran: the session ends.
    pub exited: bool,
}

/// The machine a shell works on: the container's files, its terminal,
/// the clock and the servers its pod runs on localhost.
pub struct Files<'a> {
    /// The container's filesystem.
    pub fs: &'a mut ContainerFs,
    /// The node's volumes.
    pub vols: &'a mut VolumeStore,
    /// Standard output is a terminal (`kubectl exec -t`).
    pub tty: bool,
    /// The virtual clock.
    pub clock: Clock,
    /// The pod's address and the container's main process.
    pub identity: Identity,
    /// The pod's redis-server on 127.0.0.1:6379, when one runs.
    pub redis: Option<redis::Server>,
    /// Where the container's HTTP requests go (None: no network).
    pub net: Option<&'a mut dyn Network>,
    /// The node's kernel, when the shell runs on the node itself.
    pub kernel: Option<&'a Kernel>,
}

impl<'a> Files<'a> {
    /// A container's files with no terminal, at time zero, no servers.
    pub fn new(fs: &'a mut ContainerFs, vols: &'a mut VolumeStore) -> Self {
        Self {
            fs,
            vols,
            tty: false,
            clock: Clock::default(),
            identity: Identity::default(),
            redis: None,
            net: None,
            kernel: None,
        }
    }
}

/// Which shell runs: its messages and prompt differ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dialect {
    /// Debian's `/bin/sh` (dash): `sh: 1: foo: not found`, prompt `# `.
    #[default]
    Dash,
    /// bash: `bash: foo: command not found`, prompt `root@HOST:DIR# `.
    Bash,
    /// BusyBox ash: `sh: foo: not found`, prompt `DIR # `.
    Ash,
}

/// A shell session: its working directory, variables and last status.
#[derive(Clone, Debug)]
pub struct Shell {
    /// The working directory.
    pub cwd: String,
    /// Variables (all exported: the container's environment plus what the
    /// session set).
    pub vars: BTreeMap<String, String>,
    /// The last exit status (`$?`).
    pub status: i32,
    /// The hostname (`hostname`).
    pub hostname: String,
    /// The variables' names in environment order (`env` prints them so).
    pub order: Vec<String>,
    /// The shell that runs.
    pub dialect: Dialect,
    /// Lines run (`$LINENO` of dash's messages in a session).
    lines: u32,
}

/// What one command produced.
struct Run {
    stdout: String,
    stderr: String,
    status: i32,
}

impl Run {
    fn ok(stdout: String) -> Self {
        Self {
            stdout,
            stderr: String::new(),
            status: 0,
        }
    }

    fn fail(stderr: String, status: i32) -> Self {
        Self {
            stdout: String::new(),
            stderr,
            status,
        }
    }
}

/// Where a descriptor's output goes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Sink {
    Stdout,
    Stderr,
    File { path: String, append: bool },
}

impl Shell {
    /// A session in `cwd` with the container's environment.
    pub fn new(cwd: &str, env: impl IntoIterator<Item = (String, String)>, hostname: &str) -> Self {
        let env: Vec<(String, String)> = env.into_iter().collect();
        let mut order = Vec::new();
        for (k, _) in &env {
            if !order.contains(k) {
                order.push(k.clone());
            }
        }
        Self {
            cwd: normalize(cwd),
            vars: env.into_iter().collect(),
            status: 0,
            hostname: hostname.to_owned(),
            order,
            dialect: Dialect::Dash,
            lines: 0,
        }
    }

    /// The prompt of an interactive session on a terminal.
    pub fn prompt(&self) -> String {
        match self.dialect {
            Dialect::Dash => "# ".to_owned(),
            Dialect::Bash => {
                // bash's `\w`: the home directory as `~`.
                let home = self.vars.get("HOME").map_or("", String::as_str);
                let dir = match self.cwd.strip_prefix(home) {
                    Some(rest)
                        if !home.is_empty() && (rest.is_empty() || rest.starts_with('/')) =>
                    {
                        format!("~{rest}")
                    }
                    _ => self.cwd.clone(),
                };
                format!("root@{}:{dir}# ", self.hostname)
            }
            Dialect::Ash => format!("{} # ", self.cwd),
        }
    }

    /// What starts the shell's messages (`sh: 1: `).
    fn prefix(&self) -> String {
        match self.dialect {
            Dialect::Dash => format!("sh: {}: ", self.lines.max(1)),
            Dialect::Bash => format!("bash: line {}: ", self.lines.max(1)),
            Dialect::Ash => "sh: ".to_owned(),
        }
    }

    /// The shell's message for a redirection it cannot open (`<`) or
    /// create (`>`, `>>`).
    fn redirect_error(&self, create: bool, shown: &str, e: FsError) -> String {
        match (self.dialect, create) {
            (Dialect::Dash, false) => {
                format!("{}cannot open {shown}: No such file\n", self.prefix())
            }
            (Dialect::Dash, true) => {
                format!(
                    "{}cannot create {shown}: {}\n",
                    self.prefix(),
                    create_error(e)
                )
            }
            (Dialect::Bash, _) => format!("{}{shown}: {e}\n", self.prefix()),
            (Dialect::Ash, false) => format!("sh: can't open '{shown}': {e}\n"),
            (Dialect::Ash, true) => {
                let why = match e {
                    FsError::NotFound => "nonexistent directory".to_owned(),
                    e => e.to_string(),
                };
                format!("sh: can't create {shown}: {why}\n")
            }
        }
    }

    /// The shell's message for a program it cannot find, and its status.
    fn not_found(&self, name: &str) -> String {
        match self.dialect {
            Dialect::Dash => format!("sh: {}: {name}: not found\n", self.lines.max(1)),
            Dialect::Bash => format!("bash: {name}: command not found\n"),
            Dialect::Ash => format!("sh: {name}: not found\n"),
        }
    }

    /// Runs a program as the runtime starts it (`kubectl exec POD -- PROG
    /// ARGS`): `program` is its path, found by the caller.
    pub fn run_program(
        &mut self,
        program: &str,
        args: &[String],
        stdin: &str,
        files: &mut Files<'_>,
    ) -> Output {
        let mut out = Output::default();
        let name = program.rsplit('/').next().unwrap_or(program);
        let run = self.tool(program, name, args, stdin, files);
        out.stdout = run.stdout;
        out.stderr = run.stderr;
        out.status = run.status;
        out
    }

    /// A path as the session means it (relative to its working directory).
    pub fn absolute(&self, path: &str) -> String {
        container_fs::absolute(&self.cwd, path)
    }

    /// Runs one line.
    pub fn run_line(&mut self, line: &str, files: &mut Files<'_>) -> Output {
        self.lines += 1;
        let mut out = Output::default();
        let script = match shell_grammar::parse(line) {
            Ok(s) => s,
            Err(e) => {
                out.stderr = format!("sh: {}: {e}\n", self.lines);
                self.status = 2;
                out.status = 2;
                return out;
            }
        };
        for chain in &script.chains {
            let mut status = self.pipeline(&chain.first, files, &mut out);
            for (connector, next) in &chain.rest {
                if out.exited {
                    break;
                }
                let run = match connector {
                    Connector::And => status == 0,
                    Connector::Or => status != 0,
                };
                if run {
                    status = self.pipeline(next, files, &mut out);
                }
            }
            self.status = status;
            out.status = status;
            if out.exited {
                break;
            }
            if out.stdout.len() + out.stderr.len() > MAX_OUTPUT_BYTES {
                out.stdout.truncate(MAX_OUTPUT_BYTES);
                out.stderr =
                    format!("sh: output over {MAX_OUTPUT_BYTES} bytes (kubesim's limit)\n");
                out.status = 1;
                self.status = 1;
                break;
            }
        }
        out
    }

    fn pipeline(&mut self, p: &Pipeline, files: &mut Files<'_>, out: &mut Output) -> i32 {
        let mut input = String::new();
        let mut status = 0;
        let last = p.commands.len() - 1;
        for (i, cmd) in p.commands.iter().enumerate() {
            let run = self.command(cmd, &input, files, out);
            out.stderr.push_str(&run.stderr);
            status = run.status;
            if i == last {
                out.stdout.push_str(&run.stdout);
            } else {
                input = run.stdout;
            }
            if out.exited {
                break;
            }
        }
        if p.negated {
            i32::from(status == 0)
        } else {
            status
        }
    }

    fn expand(&self, w: &Word) -> Vec<String> {
        shell_grammar::expand(w, &self.vars, self.status)
    }

    fn command(
        &mut self,
        cmd: &Command,
        input: &str,
        files: &mut Files<'_>,
        out: &mut Output,
    ) -> Run {
        let argv: Vec<String> = cmd.words.iter().flat_map(|w| self.expand(w)).collect();
        let assigned: Vec<(String, String)> = cmd
            .assignments
            .iter()
            .map(|(k, w)| (k.clone(), self.expand(w).join(" ")))
            .collect();
        // Redirections, in order: where stdout and stderr go, what stdin is.
        let mut stdout = Sink::Stdout;
        let mut stderr = Sink::Stderr;
        let mut stdin = input.to_owned();
        for r in &cmd.redirections {
            match &r.op {
                RedirectOp::Read(w) => {
                    let path = self.absolute(&self.expand(w).join(" "));
                    match files.fs.read(files.vols, &path) {
                        Ok(text) if r.fd == 0 => stdin = text,
                        Ok(_) => {}
                        Err(e) => {
                            return Run::fail(self.redirect_error(false, &word_text(self, w), e), 2)
                        }
                    }
                }
                RedirectOp::Write(w) | RedirectOp::Append(w) => {
                    let shown = word_text(self, w);
                    let path = self.absolute(&shown);
                    let append = matches!(r.op, RedirectOp::Append(_));
                    // The file is created (or emptied) before the command runs.
                    // Appending nothing opens the file as O_APPEND|O_CREAT does.
                    let created = files.fs.write(files.vols, &path, "", append);
                    if let Err(e) = created {
                        return Run::fail(self.redirect_error(true, &shown, e), 2);
                    }
                    let sink = Sink::File { path, append: true };
                    match r.fd {
                        2 => stderr = sink,
                        _ => stdout = sink,
                    }
                }
                RedirectOp::Duplicate(target) => {
                    let to = match target {
                        1 => stdout.clone(),
                        2 => stderr.clone(),
                        _ => {
                            return Run::fail(
                                format!("{}{target}: Bad file descriptor\n", self.prefix()),
                                2,
                            )
                        }
                    };
                    match r.fd {
                        2 => stderr = to,
                        _ => stdout = to,
                    }
                }
            }
        }
        let run = match argv.split_first() {
            None => {
                for (k, v) in assigned {
                    self.vars.insert(k, v);
                }
                Run::ok(String::new())
            }
            Some((name, args)) => {
                // NAME=value before a command: for that command only.
                let saved = (!assigned.is_empty()).then(|| self.vars.clone());
                for (k, v) in assigned {
                    self.vars.insert(k, v);
                }
                let run = self.invoke(name, args, &stdin, files, out);
                if let Some(saved) = saved {
                    if !matches!(name.as_str(), "export" | "cd") {
                        self.vars = saved;
                    }
                }
                run
            }
        };
        let mut shown = Run::ok(String::new());
        shown.status = run.status;
        for (text, sink) in [(run.stdout, &stdout), (run.stderr, &stderr)] {
            match sink {
                Sink::Stdout => shown.stdout.push_str(&text),
                Sink::Stderr => shown.stderr.push_str(&text),
                Sink::File { path, append } => {
                    if let Err(e) = files.fs.write(files.vols, path, &text, *append) {
                        shown.stderr.push_str(&format!(
                            "{}write error: {}\n",
                            self.prefix(),
                            create_error(e)
                        ));
                        shown.status = 2;
                    }
                }
            }
        }
        shown
    }

    fn invoke(
        &mut self,
        name: &str,
        args: &[String],
        stdin: &str,
        files: &mut Files<'_>,
        out: &mut Output,
    ) -> Run {
        match name {
            ":" | "true" => return Run::ok(String::new()),
            "false" => return Run::fail(String::new(), 1),
            "pwd" => return Run::ok(format!("{}\n", self.cwd)),
            "echo" => return Run::ok(shell_tools::echo_text(args)),
            "exit" => {
                out.exited = true;
                let code = args
                    .first()
                    .and_then(|a| a.parse::<i32>().ok())
                    .unwrap_or(self.status);
                return Run {
                    stdout: String::new(),
                    stderr: String::new(),
                    status: code & 0xff,
                };
            }
            "export" => {
                for a in args {
                    if let Some((k, v)) = a.split_once('=') {
                        if !self.vars.contains_key(k) {
                            self.order.push(k.to_owned());
                        }
                        self.vars.insert(k.to_owned(), v.to_owned());
                    }
                }
                return Run::ok(String::new());
            }
            "cd" => return self.cd(args, files),
            _ => {}
        }
        let Some(program) = self.which(name, files) else {
            return Run::fail(self.not_found(name), 127);
        };
        self.tool(&program, name, args, stdin, files)
    }

    /// Runs the program at path `program` (typed as `name`).
    fn tool(
        &mut self,
        program: &str,
        name: &str,
        args: &[String],
        stdin: &str,
        files: &mut Files<'_>,
    ) -> Run {
        let base = program.rsplit('/').next().unwrap_or(name);
        let package = files
            .fs
            .read(files.vols, program)
            .ok()
            .and_then(|c| program_package(&c).map(str::to_owned))
            .unwrap_or_default();
        let mut ctx = shell_tools::ToolCtx {
            cwd: &self.cwd,
            vars: &self.vars,
            order: &self.order,
            hostname: &self.hostname,
            fs: files.fs,
            vols: files.vols,
            stdin,
            tty: files.tty,
            clock: files.clock,
            identity: &files.identity,
            redis: files.redis.as_mut(),
            package: &package,
            net: match files.net.as_mut() {
                Some(n) => Some(&mut **n),
                None => None,
            },
            kernel: files.kernel,
        };
        match shell_tools::run(base, args, &mut ctx) {
            Some((stdout, stderr, status)) => Run {
                stdout,
                stderr,
                status,
            },
            None => Run::fail(
                format!("kubesim: {name}: in the image, but not modelled (yet)\n"),
                126,
            ),
        }
    }

    fn cd(&mut self, args: &[String], files: &mut Files<'_>) -> Run {
        let target = match args.first() {
            Some(a) => a.clone(),
            None => self
                .vars
                .get("HOME")
                .cloned()
                .unwrap_or_else(|| "/".to_owned()),
        };
        let path = self.absolute(&target);
        match files.fs.stat(files.vols, &path) {
            Ok(Kind::Dir) => {
                self.cwd = path.clone();
                self.vars.insert("PWD".to_owned(), path);
                Run::ok(String::new())
            }
            _ => Run::fail(format!("{}cd: can't cd to {target}\n", self.prefix()), 2),
        }
    }

    /// The file a program name runs: a path, or the first `PATH` directory
    /// holding a file of that name (what `execvp` finds).
    pub fn which(&self, name: &str, files: &Files<'_>) -> Option<String> {
        if name.contains('/') {
            let p = self.absolute(name);
            return matches!(files.fs.stat(files.vols, &p), Ok(Kind::File)).then_some(p);
        }
        let path = self.vars.get("PATH").map_or(DEFAULT_PATH, String::as_str);
        path.split(':').filter(|d| !d.is_empty()).find_map(|dir| {
            let p = normalize(&format!("{dir}/{name}"));
            matches!(files.fs.stat(files.vols, &p), Ok(Kind::File)).then_some(p)
        })
    }
}

fn word_text(shell: &Shell, w: &Word) -> String {
    shell.expand(w).join(" ")
}

/// dash's wording for a file it cannot create (`cannot create X: ...`).
fn create_error(e: FsError) -> String {
    match e {
        FsError::NotFound => "Directory nonexistent".to_owned(),
        e => e.to_string(),
    }
}

#[cfg(test)]
mod tests;
