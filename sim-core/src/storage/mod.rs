//! Storage beside the cluster, two services:
//!
//! - NFS servers ([`nfs`]) a scenario declares or a node's `exportfs`
//!   makes. A server is a host with an address and exports; its files are
//!   one tree that every node mounting an export shares, so a file written
//!   through a pod's volume is in the export, seen by every pod that mounts
//!   it, by a later pod on another node, and on the server itself (a server
//!   that is a node of the cluster keeps its exports in that node's own
//!   filesystem, where `ssh` and `hostPath` volumes see them).
//! - Block disks ([`disks`]) of a disk service behind one CSI driver. A
//!   disk is attached to one node at a time, by the attach/detach
//!   controller through VolumeAttachments, and only that node reaches its
//!   files; its data outlives pods and attachments.

pub mod disks;
pub mod nfs;
