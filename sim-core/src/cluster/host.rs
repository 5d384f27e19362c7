//! Logging into a node (`ssh NODE`): a shell on the machine itself, not
//! through the API server (sshd is not a Kubernetes component). The node's
//! kernel — its addresses and the netfilter rules kube-proxy last wrote —
//! is handed to the shell ([`Kernel`]); its files and network are the
//! node's ([`Kubelet::host_exec`]). A powered-off node has no route; a
//! partitioned one does not answer (the partition cuts the node off the
//! network the clients stand on).

use super::exec::OpenSession;
use super::Cluster;
use crate::components::kubelet::shell::Kernel;
use crate::components::kubelet::{ExecOutput, SessionOutput};

/// Why a login failed, as `ssh` says it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SshError(pub String);

impl Cluster {
    /// The kernel of `node` as its shell sees it.
    fn kernel(&self, node: &str) -> Option<Kernel> {
        let kubelet = self.kubelet(node)?;
        Some(Kernel {
            node_ip: kubelet.host_ip().parse().ok()?,
            pod_cidr: kubelet.pod_cidr(),
            rules: self.node_rules(node)?,
            nfsd: None,
        })
    }

    /// Whether `node` can be logged into now.
    fn reachable(&self, node: &str) -> Result<Kernel, SshError> {
        let Some(kernel) = self.kernel(node) else {
            return Err(SshError(format!(
                "ssh: Could not resolve hostname {node}: Name or service not known"
            )));
        };
        let ip = kernel.node_ip;
        if self.faults.is_crashed(node) {
            return Err(SshError(format!(
                "ssh: connect to host {ip} port 22: No route to host"
            )));
        }
        if self.faults.is_partitioned(node) {
            return Err(SshError(format!(
                "ssh: connect to host {ip} port 22: Connection timed out"
            )));
        }
        Ok(kernel)
    }

    /// The name of the node `host` names: its name or its address.
    pub fn node_named(&self, host: &str) -> Option<String> {
        let host = host.rsplit('@').next().unwrap_or(host);
        self.config.nodes.iter().find_map(|n| {
            let ip = self.kubelet(&n.name).map(|k| k.host_ip().to_owned());
            (n.name == host || ip.as_deref() == Some(host)).then(|| n.name.clone())
        })
    }

    /// Runs `line` in a login shell on `node` now (`ssh NODE LINE`).
    pub fn host_exec(&mut self, node: &str, line: &str) -> Result<ExecOutput, SshError> {
        let kernel = self.reachable(node)?;
        self.with_kubelet(node, |k, images, now, net| {
            k.host_exec(images, now, line, &kernel, Some(net))
        })
        .ok_or_else(|| {
            SshError(format!(
                "ssh: connect to host {node} port 22: Connection refused"
            ))
        })?
        .map_err(|e| SshError(e.to_string()))
    }

    /// Logs into `node`: the session and its first prompt.
    pub fn host_open(&mut self, node: &str) -> Result<(OpenSession, String), SshError> {
        self.reachable(node)?;
        let (id, prompt) = self
            .with_kubelet(node, |k, _, _, _| k.host_open())
            .ok_or_else(|| {
                SshError(format!(
                    "ssh: connect to host {node} port 22: Connection refused"
                ))
            })?
            .map_err(|e| SshError(e.to_string()))?;
        Ok((
            OpenSession {
                node: node.to_owned(),
                id,
            },
            prompt,
        ))
    }

    /// Types `line` into a login session. A session on a node that went
    /// down has ended (`Connection to NODE closed by remote host.`).
    pub fn host_input(
        &mut self,
        session: &OpenSession,
        line: &str,
    ) -> Result<SessionOutput, SshError> {
        let node = session.node.clone();
        let kernel = self
            .reachable(&node)
            .map_err(|_| SshError(format!("Connection to {node} closed by remote host.")))?;
        self.with_kubelet(&node, |k, images, now, net| {
            k.host_input(images, now, session.id, line, &kernel, Some(net))
        })
        .ok_or_else(|| SshError(format!("Connection to {node} closed.")))?
        .map_err(|_| SshError(format!("Connection to {node} closed by remote host.")))
    }

    /// Closes a login session.
    pub fn host_close(&mut self, session: &OpenSession) {
        let _ = self.with_kubelet(&session.node, |k, _, _, _| k.host_close(session.id));
    }
}
