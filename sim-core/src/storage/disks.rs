//! Block disks: the cloud disk service beside the cluster, served through
//! one CSI driver, [`DRIVER`]. A disk is declared in the scenario
//! (`cluster.storage.disks`) and named by its id, the `volumeHandle` of a
//! PersistentVolume's `csi` source. A disk is attached to at most one node
//! at a time (the service refuses a second attachment, as a cloud does a
//! disk in use), and only the node it is attached to can reach its files.
//! Its files are one tree that outlives every pod and every attachment: a
//! file written on one node is there when the disk is attached to another.
//!
//! A provisioner makes disks on demand ([`Disks::create`]) and deletes
//! them ([`Disks::delete`], refused while attached).
//!
//! Simplified: a disk has no size of its own (the PersistentVolume's
//! capacity is what `df` shows), no zone and no device path; attaching and
//! detaching take [`ATTACH_TIME`] each.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::config::image_fs::{FsEntry, SharedTree, Tree};
use crate::time::SimDuration;

pub use crate::config::{DiskConfig, MAX_DISKS};

/// The CSI driver of the disk service (its `CSIDriver` name, the
/// `spec.attacher` of its VolumeAttachments, a StorageClass's provisioner).
pub const DRIVER: &str = "disk.csi.kubesim.io";

/// How long the service takes to attach or detach a disk.
pub const ATTACH_TIME: SimDuration = SimDuration::from_secs(3);

/// The unique volume name the attach/detach controller and the kubelet use
/// for a CSI volume (`kubernetes.io/csi/DRIVER^HANDLE`), as listed in a
/// node's `status.volumesAttached` and `status.volumesInUse`.
pub fn unique_name(driver: &str, handle: &str) -> String {
    format!("kubernetes.io/csi/{driver}^{handle}")
}

/// Why the service refuses an attachment, in the words a CSI driver's
/// `ControllerPublishVolume` error carries.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AttachError {
    /// No disk has that id.
    #[error("rpc error: code = NotFound desc = disk {0} not found")]
    NotFound(String),
    /// The disk is attached to another node.
    #[error("rpc error: code = FailedPrecondition desc = disk {disk} is attached to node {node}")]
    InUse {
        /// The disk.
        disk: String,
        /// The node it is attached to.
        node: String,
    },
}

/// One disk.
#[derive(Debug)]
struct Disk {
    /// Its filesystem.
    tree: SharedTree,
    /// The node it is attached to.
    attached_to: Option<String>,
}

impl Disk {
    /// A freshly made ext4 filesystem (its `lost+found` and nothing else),
    /// attached nowhere.
    fn fresh() -> Self {
        let tree = Tree::from_entries([("/lost+found".to_owned(), FsEntry::Dir)]);
        Disk {
            tree: Rc::new(RefCell::new(tree)),
            attached_to: None,
        }
    }
}

/// The cluster's disks by id.
#[derive(Debug, Default)]
pub struct Disks {
    disks: RefCell<BTreeMap<String, Disk>>,
}

impl Disks {
    /// The disks of `configs`, each a freshly made ext4 filesystem (its
    /// `lost+found` and nothing else), attached nowhere.
    pub fn new(configs: &[DiskConfig]) -> Self {
        let disks = configs
            .iter()
            .map(|c| (c.id.clone(), Disk::fresh()))
            .collect();
        Self {
            disks: RefCell::new(disks),
        }
    }

    /// Attaches disk `id` to `node` (again to the same node: nothing to do).
    pub fn attach(&self, id: &str, node: &str) -> Result<(), AttachError> {
        let mut disks = self.disks.borrow_mut();
        let disk = disks
            .get_mut(id)
            .ok_or_else(|| AttachError::NotFound(id.to_owned()))?;
        match &disk.attached_to {
            Some(n) if n != node => Err(AttachError::InUse {
                disk: id.to_owned(),
                node: n.clone(),
            }),
            _ => {
                disk.attached_to = Some(node.to_owned());
                Ok(())
            }
        }
    }

    /// Detaches disk `id` from `node` (a disk attached elsewhere, or
    /// nowhere, stays as it is).
    pub fn detach(&self, id: &str, node: &str) {
        if let Some(d) = self.disks.borrow_mut().get_mut(id) {
            if d.attached_to.as_deref() == Some(node) {
                d.attached_to = None;
            }
        }
    }

    /// Makes a new, empty disk `id` (a provisioner's `CreateVolume`):
    /// false when one has that id already or the service holds
    /// [`MAX_DISKS`].
    pub fn create(&self, id: &str) -> bool {
        let mut disks = self.disks.borrow_mut();
        if disks.contains_key(id) || disks.len() >= MAX_DISKS {
            return false;
        }
        disks.insert(id.to_owned(), Disk::fresh());
        true
    }

    /// Deletes disk `id` and its files (`DeleteVolume`); refused while it
    /// is attached to a node. A disk that does not exist is deleted already.
    pub fn delete(&self, id: &str) -> Result<(), AttachError> {
        let mut disks = self.disks.borrow_mut();
        if let Some(node) = disks.get(id).and_then(|d| d.attached_to.clone()) {
            return Err(AttachError::InUse {
                disk: id.to_owned(),
                node,
            });
        }
        disks.remove(id);
        Ok(())
    }

    /// True when disk `id` exists.
    pub fn exists(&self, id: &str) -> bool {
        self.disks.borrow().contains_key(id)
    }

    /// The node disk `id` is attached to.
    pub fn attached_to(&self, id: &str) -> Option<String> {
        self.disks.borrow().get(id)?.attached_to.clone()
    }

    /// The files of disk `id` as `node` reaches them: only while the disk
    /// is attached there.
    pub fn files_on(&self, id: &str, node: &str) -> Option<SharedTree> {
        let disks = self.disks.borrow();
        let d = disks.get(id)?;
        (d.attached_to.as_deref() == Some(node)).then(|| Rc::clone(&d.tree))
    }

    /// True when `node` can reach disk `id`'s files now.
    pub fn reachable(&self, id: &str, node: &str) -> bool {
        self.disks
            .borrow()
            .get(id)
            .is_some_and(|d| d.attached_to.as_deref() == Some(node))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disks() -> Disks {
        Disks::new(&[DiskConfig { id: "d1".into() }])
    }

    #[test]
    fn a_disk_is_attached_to_one_node_at_a_time() {
        let d = disks();
        assert_eq!(d.attach("d1", "a"), Ok(()));
        assert_eq!(d.attach("d1", "a"), Ok(()), "again to the same node");
        assert_eq!(
            d.attach("d1", "b").unwrap_err().to_string(),
            "rpc error: code = FailedPrecondition desc = disk d1 is attached to node a"
        );
        d.detach("d1", "b");
        assert_eq!(d.attached_to("d1").as_deref(), Some("a"), "b had it not");
        d.detach("d1", "a");
        assert_eq!(d.attach("d1", "b"), Ok(()));
        assert_eq!(
            d.attach("nope", "a").unwrap_err().to_string(),
            "rpc error: code = NotFound desc = disk nope not found"
        );
    }

    #[test]
    fn files_outlive_attachments_and_only_the_attached_node_reaches_them() {
        let d = disks();
        assert!(d.files_on("d1", "a").is_none());
        d.attach("d1", "a").unwrap();
        let t = d.files_on("d1", "a").unwrap();
        assert!(t.borrow().get("/lost+found").is_some(), "a fresh ext4");
        t.borrow_mut().put(
            "/db",
            FsEntry::File {
                content: "x".into(),
                mode: 0o644,
            },
        );
        assert!(d.files_on("d1", "b").is_none());
        d.detach("d1", "a");
        assert!(!d.reachable("d1", "a"));
        d.attach("d1", "b").unwrap();
        assert!(d.files_on("d1", "b").unwrap().borrow().get("/db").is_some());
    }

    #[test]
    fn a_provisioned_disk_is_made_empty_and_deleted_only_when_detached() {
        let d = disks();
        assert!(!d.create("d1"), "taken");
        assert!(d.create("pvc-1"));
        assert!(d.exists("pvc-1"));
        d.attach("pvc-1", "a").unwrap();
        assert_eq!(
            d.delete("pvc-1").unwrap_err().to_string(),
            "rpc error: code = FailedPrecondition desc = disk pvc-1 is attached to node a"
        );
        d.detach("pvc-1", "a");
        assert_eq!(d.delete("pvc-1"), Ok(()));
        assert!(!d.exists("pvc-1"));
        assert_eq!(d.delete("pvc-1"), Ok(()), "gone already");
    }

    #[test]
    fn unique_names_are_the_csi_plugins() {
        assert_eq!(
            unique_name(DRIVER, "d1"),
            "kubernetes.io/csi/disk.csi.kubesim.io^d1"
        );
    }
}
