//! NFS servers: each an address, its exported directories, and its files
//! (a [`SharedTree`]). A mount asks a server for a path: the address must
//! be a server's (else `mount.nfs: Connection timed out`: nothing answers),
//! the path one of its exports or below one (else `mount.nfs: access
//! denied by server while mounting`), and the server up (an outage times
//! out too).
//!
//! Simplified: exports admit every client (`*(rw,sync,no_root_squash)`,
//! as the course writes them); NFS versions, locking and caching are not
//! modelled; the server's address must be written as an address (a host
//! name is not resolved).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::rc::Rc;

use crate::config::image_fs::{normalize, FsEntry, ImageTree, SharedTree, Tree};

pub use crate::config::{
    NfsServerConfig, MAX_NFS_EXPORTS as MAX_EXPORTS, MAX_NFS_SERVERS as MAX_SERVERS,
};

/// Why a mount fails, as `mount.nfs` says it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MountError {
    /// No server answers at the address (none there, or it is down).
    #[error("mount.nfs: Connection timed out")]
    TimedOut,
    /// The path is not exported.
    #[error("mount.nfs: access denied by server while mounting {0}")]
    AccessDenied(String),
}

/// One server.
#[derive(Debug)]
pub struct NfsServer {
    /// Its exports, normalized.
    pub exports: Vec<String>,
    /// The node it is, if any.
    pub node: Option<String>,
    /// Its files.
    tree: SharedTree,
    /// False during an outage.
    up: bool,
}

/// The cluster's NFS servers by address (a node's exports change when its
/// `exportfs` re-reads `/etc/exports`).
#[derive(Debug, Default)]
pub struct NfsServers {
    servers: RefCell<BTreeMap<Ipv4Addr, NfsServer>>,
}

/// `/etc/exports` as the scenario's exports write it.
pub fn exports_file(exports: &[String]) -> String {
    exports
        .iter()
        .map(|e| format!("{e} *(rw,sync,no_root_squash)\n"))
        .collect()
}

impl NfsServers {
    /// The servers of `configs`; `node_of` gives the node (name and its own
    /// files) at an address, whose filesystem a server there uses.
    pub fn new(
        configs: &[NfsServerConfig],
        mut node_of: impl FnMut(Ipv4Addr) -> Option<(String, BTreeMap<String, String>)>,
    ) -> Self {
        let mut servers = BTreeMap::new();
        for c in configs {
            let (node, files) = match node_of(c.address) {
                Some((name, files)) => (Some(name), files),
                None => (None, BTreeMap::new()),
            };
            let mut tree = Tree::from_entries(ImageTree::from_files(&files).entries);
            for e in &c.exports {
                tree.insert_with_parents(&normalize(e), FsEntry::Dir);
            }
            if node.is_some() {
                // The node's own configuration says what it exports.
                tree.insert_with_parents(
                    "/etc/exports",
                    FsEntry::File {
                        content: exports_file(&c.exports),
                        mode: 0o644,
                    },
                );
            }
            servers.insert(
                c.address,
                NfsServer {
                    exports: c.exports.iter().map(|e| normalize(e)).collect(),
                    node,
                    tree: Rc::new(RefCell::new(tree)),
                    up: true,
                },
            );
        }
        Self {
            servers: RefCell::new(servers),
        }
    }

    /// Makes `node` (at `address`, its files `tree`) export `exports`, as
    /// its `exportfs -r` does; none: it stops serving.
    pub fn export(&self, address: Ipv4Addr, node: &str, tree: SharedTree, exports: Vec<String>) {
        let mut servers = self.servers.borrow_mut();
        if exports.is_empty() {
            servers.remove(&address);
            return;
        }
        servers.insert(
            address,
            NfsServer {
                exports: exports.iter().map(|e| normalize(e)).collect(),
                node: Some(node.to_owned()),
                tree,
                up: true,
            },
        );
    }

    /// Starts (`false`) or ends an outage of the server at `address`; false
    /// when there is none.
    pub fn set_up(&self, address: Ipv4Addr, up: bool) -> bool {
        match self.servers.borrow_mut().get_mut(&address) {
            Some(s) => {
                s.up = up;
                true
            }
            None => false,
        }
    }

    /// True unless the server at `address` is in an outage.
    pub fn is_up(&self, address: Ipv4Addr) -> bool {
        self.servers.borrow().get(&address).is_none_or(|s| s.up)
    }

    /// What the server at `address` exports (empty: it is none).
    pub fn exports_of(&self, address: Ipv4Addr) -> Vec<String> {
        self.servers
            .borrow()
            .get(&address)
            .map(|s| s.exports.clone())
            .unwrap_or_default()
    }

    /// The files of the server that is node `node`, if it is one (that
    /// node's own filesystem).
    pub fn node_tree(&self, node: &str) -> Option<SharedTree> {
        self.servers
            .borrow()
            .values()
            .find(|s| s.node.as_deref() == Some(node))
            .map(|s| Rc::clone(&s.tree))
    }

    /// Mounts `server:path`: the server's files and the path in them.
    pub fn mount(&self, server: &str, path: &str) -> Result<(SharedTree, String), MountError> {
        let servers = self.servers.borrow();
        let s = server
            .parse::<Ipv4Addr>()
            .ok()
            .and_then(|a| servers.get(&a))
            .filter(|s| s.up)
            .ok_or(MountError::TimedOut)?;
        let path = normalize(path);
        let exported = s.exports.iter().any(|e| {
            path == *e
                || (path.starts_with(e.as_str()) && path.as_bytes().get(e.len()) == Some(&b'/'))
        });
        if !exported {
            return Err(MountError::AccessDenied(format!("{server}:{path}")));
        }
        Ok((Rc::clone(&s.tree), path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers() -> NfsServers {
        NfsServers::new(
            &[NfsServerConfig {
                address: Ipv4Addr::new(192, 168, 11, 101),
                exports: vec!["/nfs/data".into()],
            }],
            |_| None,
        )
    }

    #[test]
    fn exports_and_paths_below_them_mount_others_are_refused() {
        let s = servers();
        let (tree, path) = s.mount("192.168.11.101", "/nfs/data/").unwrap();
        assert_eq!(path, "/nfs/data");
        assert!(tree.borrow().get("/nfs/data").is_some());
        assert_eq!(
            s.mount("192.168.11.101", "/nfs/data/nginx").unwrap().1,
            "/nfs/data/nginx"
        );
        assert_eq!(
            s.mount("192.168.11.101", "/nfs/database")
                .unwrap_err()
                .to_string(),
            "mount.nfs: access denied by server while mounting 192.168.11.101:/nfs/database"
        );
        assert_eq!(
            s.mount("192.168.11.200", "/nfs/data").unwrap_err(),
            MountError::TimedOut
        );
        assert_eq!(
            s.mount("nfs.example.com", "/nfs/data").unwrap_err(),
            MountError::TimedOut
        );
    }

    #[test]
    fn every_mount_shares_the_servers_files() {
        let s = servers();
        let (a, _) = s.mount("192.168.11.101", "/nfs/data").unwrap();
        let (b, _) = s.mount("192.168.11.101", "/nfs/data").unwrap();
        a.borrow_mut().insert_with_parents(
            "/nfs/data/index.html",
            FsEntry::File {
                content: "hi\n".into(),
                mode: 0o644,
            },
        );
        assert!(b.borrow().get("/nfs/data/index.html").is_some());
    }
}
