//! What a program run in a container sees ([`ToolCtx`]): its session's
//! working directory and variables, the hostname, the container's files,
//! its standard input and terminal, the virtual clock, the pod's address
//! and main process, and the pod's servers and network. The shell builds
//! one for each program it runs; the tools read it.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::container_fs::{absolute, ContainerFs, VolumeStore};
use super::http::Network;
use super::redis;
use crate::components::kube_proxy::iptables::NodeRules;
use crate::config::network::Cidr;
use crate::time::SimTime;

/// The most output (stdout and stderr together) one line may produce.
pub const MAX_OUTPUT_BYTES: usize = 1 << 20;

/// What `date` and `ls -l` read: the virtual time now, and when the
/// container started (the time the image's files show).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    /// Now.
    pub now: SimTime,
    /// The container's start.
    pub started_at: SimTime,
}

/// What `hostname -i`, `ps` and `df` read: the pod's address, the command
/// line of the container's main process (PID 1), the node's disk and memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// The pod IP.
    pub pod_ip: String,
    /// PID 1's command line.
    pub main_command: String,
    /// The node's disk: its size and what is used of it (images and files),
    /// bytes (what `df` shows for the container's root and disk volumes).
    pub disk: (u64, u64),
    /// The node's memory, bytes (a tmpfs is at most half of it).
    pub memory_bytes: u64,
}

/// The node's kernel as a shell on the node itself sees it (host tools:
/// `ip`, `iptables`, `iptables-save`).
#[derive(Clone, Debug)]
pub struct Kernel {
    /// The node's address (eth0).
    pub node_ip: Ipv4Addr,
    /// The node's pod CIDR (cni0).
    pub pod_cidr: Cidr,
    /// Its netfilter rules.
    pub rules: NodeRules,
    /// Its NFS server (`exportfs`): the cluster's servers and the node's
    /// own files (filled in by the kubelet).
    pub nfsd: Option<Nfsd>,
}

/// A node's NFS server: what `exportfs` changes.
#[derive(Clone, Debug)]
pub struct Nfsd {
    /// The cluster's NFS servers.
    pub servers: std::rc::Rc<crate::storage::nfs::NfsServers>,
    /// The node's name.
    pub node: String,
    /// The node's own files.
    pub tree: crate::config::image_fs::SharedTree,
}

/// What a tool sees: its session's working directory, variables and
/// hostname, the container's files and its standard input.
pub struct ToolCtx<'s> {
    /// The working directory.
    pub cwd: &'s str,
    /// The variables (the environment).
    pub vars: &'s BTreeMap<String, String>,
    /// Their names in environment order.
    pub order: &'s [String],
    /// The hostname.
    pub hostname: &'s str,
    /// The container's filesystem.
    pub fs: &'s mut ContainerFs,
    /// The node's volumes.
    pub vols: &'s mut VolumeStore,
    /// Standard input.
    pub stdin: &'s str,
    /// Standard output is a terminal.
    pub tty: bool,
    /// The virtual clock.
    pub clock: Clock,
    /// The pod's address and the container's main process.
    pub identity: &'s Identity,
    /// The pod's redis-server, when one runs.
    pub redis: Option<&'s mut redis::Server>,
    /// The package of the program (`busybox`, `coreutils`, `curl/7.74.0`):
    /// BusyBox applets word their messages differently from GNU's.
    pub package: &'s str,
    /// Where the container's requests go (None: no network).
    pub net: Option<&'s mut dyn Network>,
    /// The node's kernel, for a shell on the node itself (None in a
    /// container).
    pub kernel: Option<&'s Kernel>,
}

impl ToolCtx<'_> {
    /// The program is a BusyBox applet.
    pub fn busybox(&self) -> bool {
        self.package == "busybox"
    }

    /// A path as the tool means it (relative to the working directory).
    pub fn absolute(&self, path: &str) -> String {
        absolute(self.cwd, path)
    }
}
