//! The node itself as a machine one logs into (`ssh NODE`, or the shell a
//! learner types on the master): root's bash in `/root`, on the node's own
//! filesystem (Ubuntu 24.04 with the host tools, made on first use; the
//! same files `hostPath` volumes mount, which outlive pods and survive a
//! reboot), its kernel's addresses and netfilter rules
//! ([`super::tool_ctx::Kernel`]), and its network: localhost and the
//! node's address are its own (NodePorts answer there, through its
//! rules), Service addresses go through its rules, names resolve by its
//! `/etc/hosts` only (the cluster DNS is not the host's resolver).
//!
//! The machine is modelled with the kubelet because the kubelet holds the
//! node's files; the shell does not need the kubelet process to run (an
//! ssh session works on a node whose kubelet is stopped).

use std::net::Ipv4Addr;

use super::exec::{ExecError, ExecOutput, SessionId, SessionOutput, MAX_INPUT_LINES, MAX_SESSIONS};
use super::http::{HttpRequest, HttpResponse, NetError, Network};
use super::net_tools::hosts_entry;
use super::shell::{Clock, Dialect, Files, Identity, Kernel, Shell};
use super::Kubelet;
use crate::config::ImageCatalog;
use crate::time::SimTime;

/// root's login environment on the node.
const ROOT_ENV: [(&str, &str); 9] = [
    ("SHELL", "/bin/bash"),
    ("PWD", "/root"),
    ("LOGNAME", "root"),
    ("HOME", "/root"),
    ("LANG", "C.UTF-8"),
    ("TERM", "xterm-256color"),
    ("USER", "root"),
    ("SHLVL", "1"),
    (
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin",
    ),
];

impl Kubelet {
    /// A login shell of root on the node.
    fn login_shell(&self) -> Shell {
        let env = ROOT_ENV
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        let mut shell = Shell::new("/root", env, &self.node_name);
        shell.dialect = Dialect::Bash;
        shell
    }

    /// Runs `f` on the node itself: its root filesystem, its kernel, its
    /// network (connections beyond the node go to `remote`).
    fn on_host<R>(
        &mut self,
        images: &ImageCatalog,
        now: SimTime,
        kernel: &Kernel,
        remote: Option<&mut dyn Network>,
        f: impl FnOnce(&mut Files<'_>) -> R,
    ) -> R {
        let mut kernel = kernel.clone();
        kernel.nfsd = self
            .files
            .host_tree(&self.node_name)
            .map(|tree| super::tool_ctx::Nfsd {
                servers: std::rc::Rc::clone(&self.files.nfs),
                node: self.node_name.clone(),
                tree,
            });
        let kernel = &kernel;
        let mut fs = self.files.host_view(&self.node_name);
        let (disk, memory_bytes) = self.disk_and_memory();
        let node_ip: Option<Ipv4Addr> = self.host_ip.parse().ok();
        let host_ip = self.host_ip.clone();
        let (vols, mut net) = self.network(images, now, None);
        net.host = node_ip;
        net.remote = match remote {
            Some(r) => Some(&mut *r as &mut dyn Network),
            None => None,
        };
        let mut files = Files {
            fs: &mut fs,
            vols,
            tty: true,
            clock: Clock {
                now,
                started_at: SimTime::ZERO,
            },
            identity: Identity {
                pod_ip: host_ip,
                main_command: "/sbin/init".to_owned(),
                disk,
                memory_bytes,
            },
            redis: None,
            net: Some(&mut net),
            kernel: Some(kernel),
        };
        f(&mut files)
    }

    /// An HTTP request made on the node itself (a traffic source standing
    /// there) to `host:port`: the name resolved by the node's `/etc/hosts`,
    /// the connection through its rules and the cluster's network.
    pub fn host_request(
        &mut self,
        images: &ImageCatalog,
        now: SimTime,
        host: &str,
        port: u16,
        req: &HttpRequest,
        remote: Option<&mut dyn Network>,
    ) -> Result<HttpResponse, NetError> {
        let fs = self.files.host_view(&self.node_name);
        let address = fs
            .read(&self.files.vols, "/etc/hosts")
            .ok()
            .and_then(|hosts| hosts_entry(&hosts, host))
            .unwrap_or_else(|| host.to_owned());
        let node_ip: Option<Ipv4Addr> = self.host_ip.parse().ok();
        let (vols, mut net) = self.network(images, now, None);
        net.host = node_ip;
        net.remote = match remote {
            Some(r) => Some(&mut *r as &mut dyn Network),
            None => None,
        };
        net.connect(&address, port, req, (&fs, vols))
    }

    /// Runs `line` in a fresh login shell on the node (`ssh NODE LINE`).
    pub fn host_exec(
        &mut self,
        images: &ImageCatalog,
        now: SimTime,
        line: &str,
        kernel: &Kernel,
        remote: Option<&mut dyn Network>,
    ) -> Result<ExecOutput, ExecError> {
        if line.lines().count() > MAX_INPUT_LINES {
            return Err(ExecError::InputTooLong);
        }
        let mut shell = self.login_shell();
        Ok(self.on_host(images, now, kernel, remote, |files| {
            let out = shell.run_line(line, files);
            ExecOutput {
                stdout: out.stdout,
                stderr: out.stderr,
                status: out.status,
            }
        }))
    }

    /// Opens a login session on the node: its id and first prompt.
    pub fn host_open(&mut self) -> Result<(SessionId, String), ExecError> {
        if self.sessions.len() + self.host_sessions.len() >= MAX_SESSIONS {
            return Err(ExecError::TooManySessions);
        }
        let shell = self.login_shell();
        let prompt = shell.prompt();
        let id = SessionId(self.next_session);
        self.next_session += 1;
        self.host_sessions.insert(id, shell);
        Ok((id, prompt))
    }

    /// Types `line` into login session `id`.
    pub fn host_input(
        &mut self,
        images: &ImageCatalog,
        now: SimTime,
        id: SessionId,
        line: &str,
        kernel: &Kernel,
        remote: Option<&mut dyn Network>,
    ) -> Result<SessionOutput, ExecError> {
        let mut shell = self.host_sessions.remove(&id).ok_or(ExecError::NoSession)?;
        let out = self.on_host(images, now, kernel, remote, |files| {
            shell.run_line(line, files)
        });
        let mut output = out.stdout;
        output.push_str(&out.stderr);
        if out.exited {
            return Ok(SessionOutput {
                output,
                prompt: String::new(),
                ended: Some(out.status),
                status: out.status,
            });
        }
        let prompt = shell.prompt();
        self.host_sessions.insert(id, shell);
        Ok(SessionOutput {
            output,
            prompt,
            ended: None,
            status: out.status,
        })
    }

    /// Closes login session `id`.
    pub fn host_close(&mut self, id: SessionId) {
        self.host_sessions.remove(&id);
    }
}
