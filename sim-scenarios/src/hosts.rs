//! The login sessions a scenario or `sim shell` keeps on the nodes: one
//! per node, opened on first use (so a `cd` or a variable carries over to
//! the next line typed there), and what one typed line shows: the prompt
//! and the line, then the output, as on a terminal.

use std::collections::BTreeMap;

use sim_core::cluster::{Cluster, OpenSession};

/// A line typed into a node's shell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Typed {
    /// The prompt the line was typed at.
    pub prompt: String,
    /// What appeared after it (ssh's error when the node cannot be reached).
    pub output: String,
    /// The exit status of its last command (255: ssh failed).
    pub status: i32,
    /// The shell ended (`exit`): the next line logs in again.
    pub ended: bool,
}

/// The open sessions, by node.
#[derive(Debug, Default)]
pub struct HostSessions {
    open: BTreeMap<String, (OpenSession, String)>,
}

impl HostSessions {
    /// No session open.
    pub fn new() -> Self {
        Self::default()
    }

    /// The prompt of `node`'s shell (logging in when no session is open);
    /// Err: ssh's error.
    pub fn prompt(&mut self, cluster: &mut Cluster, node: &str) -> Result<String, String> {
        if let Some((_, p)) = self.open.get(node) {
            return Ok(p.clone());
        }
        let (session, prompt) = cluster.host_open(node).map_err(|e| e.to_string())?;
        self.open.insert(node.to_owned(), (session, prompt.clone()));
        Ok(prompt)
    }

    /// Types `line` into `node`'s shell.
    pub fn type_line(&mut self, cluster: &mut Cluster, node: &str, line: &str) -> Typed {
        let prompt = match self.prompt(cluster, node) {
            Ok(p) => p,
            Err(e) => {
                return Typed {
                    prompt: format!("$ ssh {node} "),
                    output: format!("{e}\n"),
                    status: 255,
                    ended: true,
                }
            }
        };
        let Some((session, _)) = self.open.get(node).cloned() else {
            unreachable!("the session was just opened");
        };
        match cluster.host_input(&session, line) {
            Ok(out) => {
                let ended = out.ended.is_some();
                if ended {
                    self.open.remove(node);
                } else if let Some(entry) = self.open.get_mut(node) {
                    entry.1 = out.prompt.clone();
                }
                Typed {
                    prompt,
                    output: out.output,
                    status: out.status,
                    ended,
                }
            }
            Err(e) => {
                // The session died with its node (a power loss): the next
                // line logs in again, as the user would.
                self.open.remove(node);
                let notice = format!("{e}\n");
                if self.prompt(cluster, node).is_ok() {
                    let mut again = self.type_line(cluster, node, line);
                    again.output = format!("{notice}{}", again.output);
                    return again;
                }
                Typed {
                    prompt,
                    output: notice,
                    status: 255,
                    ended: true,
                }
            }
        }
    }

    /// Closes `node`'s session (the next line there logs in again).
    pub fn close(&mut self, cluster: &mut Cluster, node: &str) {
        if let Some((session, _)) = self.open.remove(node) {
            cluster.host_close(&session);
        }
    }

    /// Closes every session.
    pub fn close_all(&mut self, cluster: &mut Cluster) {
        for (_, (session, _)) in std::mem::take(&mut self.open) {
            cluster.host_close(&session);
        }
    }
}
