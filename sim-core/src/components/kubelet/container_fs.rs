//! A container's filesystem as the node's container runtime keeps it: the
//! image's files, a writable layer that belongs to one container instance,
//! and the pod's volumes mounted over them (the model of containerd's
//! overlayfs snapshots and the kubelet's bind mounts; no I/O).
//!
//! - **The image** is one immutable [`ImageTree`], shared (`Arc`) by every
//!   container started from it on every node.
//! - **The writable layer** ([`ContainerFs`]) holds only what the container
//!   changed: files and directories written, and whiteouts for what it
//!   removed from the image (overlayfs semantics: a directory re-created
//!   over a whiteout is opaque, hiding the image's entries below it). A
//!   restarted container gets a new layer, so it starts from the image again.
//! - **Volumes** ([`VolumeStore`]) are trees the runtime keeps beside the
//!   containers, by [`VolumeId`]: an emptyDir is shared by the pod's
//!   containers, a hostPath by every pod of the node. A [`Mount`] overlays
//!   one at its `mountPath`, from its `subPath`, read-only or not.
//!
//! Paths are absolute and normalized (`.`, `..` and repeated slashes
//! resolved by [`normalize`]). Errors are the kernel's ([`FsError`]), so
//! the tools built on this model print what the real ones print. Every size
//! is bounded ([`MAX_FILE_BYTES`], [`MAX_LAYER_BYTES`], [`MAX_LINK_DEPTH`]).

use std::cell::{Ref, RefMut};
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::image_fs::{join, parent, size_of_entry};
pub use crate::config::image_fs::{normalize, FsEntry, ImageTree, SharedTree, Tree};

/// The largest file a container may write.
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// The most bytes of file content a writable layer or a volume may hold.
pub const MAX_LAYER_BYTES: usize = 16 << 20;
/// The most symbolic links followed resolving one path (Linux's `MAXSYMLINKS`
/// is 40; a model needs fewer).
pub const MAX_LINK_DEPTH: usize = 8;

/// What the kernel answers a file operation that fails, with the message a
/// tool prints for it (`strerror`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FsError {
    /// `ENOENT`.
    #[error("No such file or directory")]
    NotFound,
    /// `ENOTDIR`: a path component is not a directory.
    #[error("Not a directory")]
    NotADirectory,
    /// `EISDIR`.
    #[error("Is a directory")]
    IsADirectory,
    /// `EEXIST`.
    #[error("File exists")]
    Exists,
    /// `ENOTEMPTY`.
    #[error("Directory not empty")]
    NotEmpty,
    /// `EROFS`: a read-only mount.
    #[error("Read-only file system")]
    ReadOnly,
    /// `EBUSY`: a mount point cannot be removed or renamed.
    #[error("Device or resource busy")]
    Busy,
    /// `EXDEV`: a rename across mounts (`mv` then copies).
    #[error("Invalid cross-device link")]
    CrossDevice,
    /// `ENOSPC`: past [`MAX_FILE_BYTES`] or [`MAX_LAYER_BYTES`].
    #[error("No space left on device")]
    NoSpace,
    /// `ELOOP`: more than [`MAX_LINK_DEPTH`] links.
    #[error("Too many levels of symbolic links")]
    Loop,
    /// `EINVAL`: moving a directory into itself.
    #[error("Invalid argument")]
    Invalid,
    /// `ETIMEDOUT`: on an NFS mount whose server does not answer.
    #[error("Connection timed out")]
    TimedOut,
    /// `EIO`: on a disk no longer attached to the node.
    #[error("Input/output error")]
    Io,
}

/// A volume's id in the node's [`VolumeStore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VolumeId(pub u64);

/// A volume's tree: the node's own, or one it shares (an NFS export: with
/// its server, which may stop answering).
#[derive(Clone, Debug)]
enum Slot {
    Own(Tree),
    Shared(SharedTree, Option<Remote>),
}

/// Where a shared tree is mounted from, which may stop answering.
#[derive(Clone, Debug)]
pub enum Remote {
    /// An NFS server (down during an outage).
    Nfs {
        /// The cluster's NFS servers.
        servers: std::rc::Rc<crate::storage::nfs::NfsServers>,
        /// The server's address.
        address: std::net::Ipv4Addr,
    },
    /// A disk, reached only while it is attached to this node.
    Disk {
        /// The cluster's disks.
        disks: std::rc::Rc<crate::storage::disks::Disks>,
        /// The disk's id.
        id: String,
        /// This node.
        node: String,
    },
}

/// A borrowed tree (a shared one is borrowed only while one operation runs).
pub enum TreeRef<'a> {
    /// The node's own.
    Own(&'a Tree),
    /// A shared one.
    Shared(Ref<'a, Tree>),
}

impl std::ops::Deref for TreeRef<'_> {
    type Target = Tree;
    fn deref(&self) -> &Tree {
        match self {
            TreeRef::Own(t) => t,
            TreeRef::Shared(r) => r,
        }
    }
}

/// A mutably borrowed tree.
enum TreeMut<'a> {
    Own(&'a mut Tree),
    Shared(RefMut<'a, Tree>),
}

impl std::ops::Deref for TreeMut<'_> {
    type Target = Tree;
    fn deref(&self) -> &Tree {
        match self {
            TreeMut::Own(t) => t,
            TreeMut::Shared(r) => r,
        }
    }
}

impl std::ops::DerefMut for TreeMut<'_> {
    fn deref_mut(&mut self) -> &mut Tree {
        match self {
            TreeMut::Own(t) => t,
            TreeMut::Shared(r) => r,
        }
    }
}

/// The volumes' trees on one node: its own, and the shared trees (NFS
/// exports) it has mounted.
#[derive(Clone, Debug, Default)]
pub struct VolumeStore {
    trees: BTreeMap<VolumeId, Slot>,
    next: u64,
}

impl VolumeStore {
    /// A new, empty volume.
    pub fn create(&mut self) -> VolumeId {
        let id = VolumeId(self.next);
        self.next += 1;
        self.trees.insert(id, Slot::Own(Tree::default()));
        id
    }

    /// A shared tree made a volume of this node.
    pub fn attach(&mut self, tree: SharedTree) -> VolumeId {
        self.attach_from(tree, None)
    }

    /// A shared tree mounted from `remote` (an NFS server) made a volume of
    /// this node.
    pub fn attach_from(&mut self, tree: SharedTree, remote: Option<Remote>) -> VolumeId {
        let id = VolumeId(self.next);
        self.next += 1;
        self.trees.insert(id, Slot::Shared(tree, remote));
        id
    }

    /// Why volume `id` cannot be reached now: its NFS server does not
    /// answer (an outage: calls time out), or its disk was detached from
    /// this node (calls fail with an I/O error).
    pub fn unreachable(&self, id: VolumeId) -> Option<FsError> {
        match self.trees.get(&id) {
            Some(Slot::Shared(_, Some(Remote::Nfs { servers, address }))) => {
                (!servers.is_up(*address)).then_some(FsError::TimedOut)
            }
            Some(Slot::Shared(_, Some(Remote::Disk { disks, id, node }))) => {
                (!disks.reachable(id, node)).then_some(FsError::Io)
            }
            _ => None,
        }
    }

    /// A new volume holding these entries (a configMap's keys, a hostPath's
    /// files), built like an [`ImageTree`].
    pub fn create_with(
        &mut self,
        entries: impl IntoIterator<Item = (String, FsEntry)>,
    ) -> VolumeId {
        let id = VolumeId(self.next);
        self.next += 1;
        self.trees
            .insert(id, Slot::Own(Tree::from_entries(entries)));
        id
    }

    /// Replaces a volume's content (a configMap volume after its
    /// ConfigMap changed).
    pub fn replace(&mut self, id: VolumeId, entries: impl IntoIterator<Item = (String, FsEntry)>) {
        self.trees
            .insert(id, Slot::Own(Tree::from_entries(entries)));
    }

    fn tree_mut(&mut self, id: VolumeId) -> Option<TreeMut<'_>> {
        Some(match self.trees.get_mut(&id)? {
            Slot::Own(t) => TreeMut::Own(t),
            Slot::Shared(t, _) => TreeMut::Shared(t.borrow_mut()),
        })
    }

    /// Makes directory `path` and its ancestors in volume `id` where missing
    /// (an entry of another kind in the way is left alone).
    pub fn mkdir_p(&mut self, id: VolumeId, path: &str) {
        let Some(mut tree) = self.tree_mut(id) else {
            return;
        };
        let path = normalize(path);
        let mut at = "/".to_owned();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            at = join(&at, part);
            if tree.get(&at).is_none() {
                tree.put(&at, FsEntry::Dir);
            }
        }
    }

    /// Bytes of file content the node's own volumes hold (a shared tree's
    /// are its server's).
    pub fn bytes(&self) -> usize {
        self.trees
            .values()
            .map(|s| match s {
                Slot::Own(t) => t.bytes(),
                Slot::Shared(..) => 0,
            })
            .sum()
    }

    /// Removes a volume (an emptyDir when its pod goes).
    pub fn remove(&mut self, id: VolumeId) {
        self.trees.remove(&id);
    }

    /// A volume's tree.
    pub fn tree(&self, id: VolumeId) -> Option<TreeRef<'_>> {
        Some(match self.trees.get(&id)? {
            Slot::Own(t) => TreeRef::Own(t),
            Slot::Shared(t, _) => TreeRef::Shared(t.borrow()),
        })
    }

    /// Volume `id`'s tree when it is a shared one.
    pub fn shared(&self, id: VolumeId) -> Option<SharedTree> {
        match self.trees.get(&id)? {
            Slot::Shared(t, _) => Some(std::rc::Rc::clone(t)),
            Slot::Own(_) => None,
        }
    }

    /// True when volume `id` is a shared tree.
    pub fn is_shared(&self, id: VolumeId) -> bool {
        matches!(self.trees.get(&id), Some(Slot::Shared(..)))
    }
}

/// What a mount shows as its source in `mount` and `df`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum MountSource {
    /// The node's disk (`/dev/sda1`, ext4): emptyDir, configMap, hostPath,
    /// the kubelet's `/etc` files.
    #[default]
    Disk,
    /// Memory (`tmpfs`): secret volumes, an emptyDir with `medium: Memory`.
    Tmpfs,
    /// An NFS export (`server:path`, nfs4).
    Nfs {
        /// The server's address.
        server: String,
        /// The exported path.
        path: String,
    },
    /// A disk attached to the node (`/dev/sdb`, ext4), of its volume's
    /// capacity.
    BlockDevice {
        /// The PersistentVolume's `capacity.storage`, in bytes.
        size_bytes: u64,
    },
}

/// A volume mounted into a container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// The `mountPath`, normalized.
    pub path: String,
    /// The volume.
    pub volume: VolumeId,
    /// The `subPath` inside the volume, normalized (`/` for the whole).
    pub sub_path: String,
    /// `readOnly` (always for configMap, secret, downwardAPI, projected).
    pub read_only: bool,
    /// What `mount` and `df` show as its source.
    pub source: MountSource,
}

/// An entry of the writable layer.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Upper {
    /// Written here. A directory created where the image's was removed is
    /// `opaque`: the image's entries below it are hidden.
    Entry { entry: FsEntry, opaque: bool },
    /// Removed from the image.
    Whiteout,
}

/// Where a path lives.
enum Place<'a> {
    /// In the image plus the writable layer, at this path.
    Root(&'a str),
    /// In a volume, at the inner path.
    Volume { mount: &'a Mount, inner: String },
}

/// The kind of an entry, as `stat` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A directory.
    Dir,
    /// A regular file.
    File,
    /// A symbolic link.
    Link,
}

fn kind_of(e: &FsEntry) -> Kind {
    match e {
        FsEntry::Dir => Kind::Dir,
        FsEntry::File { .. } => Kind::File,
        FsEntry::Link(_) => Kind::Link,
    }
}

/// One container instance's filesystem.
#[derive(Clone, Debug)]
pub struct ContainerFs {
    image: Arc<ImageTree>,
    upper: BTreeMap<String, Upper>,
    upper_bytes: usize,
    /// Longest `path` first, so the first match is the innermost mount.
    mounts: Vec<Mount>,
}

/// `path` as a process in `cwd` means it: absolute and normalized.
pub fn absolute(cwd: &str, path: &str) -> String {
    if path.starts_with('/') {
        normalize(path)
    } else {
        normalize(&format!("{cwd}/{path}"))
    }
}

/// `path` is `dir` or below it.
fn within(path: &str, dir: &str) -> bool {
    dir == "/"
        || path == dir
        || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

/// The part of `path` below `dir` (`path` within `dir`), joined to `base`.
fn rebase(path: &str, dir: &str, base: &str) -> String {
    let rest = if dir == "/" { path } else { &path[dir.len()..] };
    if rest.is_empty() || rest == "/" {
        base.to_owned()
    } else if base == "/" {
        rest.to_owned()
    } else {
        format!("{base}{rest}")
    }
}

impl ContainerFs {
    /// A fresh instance of `image` with these mounts of volumes in `vols`.
    pub fn new(image: Arc<ImageTree>, mut mounts: Vec<Mount>, vols: &VolumeStore) -> Self {
        for m in &mut mounts {
            m.path = normalize(&m.path);
            m.sub_path = normalize(&m.sub_path);
        }
        mounts.sort_by(|a, b| b.path.len().cmp(&a.path.len()).then(a.path.cmp(&b.path)));
        let mut fs = Self {
            image,
            upper: BTreeMap::new(),
            upper_bytes: 0,
            mounts,
        };
        // The runtime makes the mount points (and what leads to them) in the
        // container's layer when the image lacks them: a directory, or an
        // empty file where a file is mounted.
        let points: Vec<(String, bool)> = fs
            .mounts
            .iter()
            .map(|m| (m.path.clone(), fs.mount_kind(vols, m) == Kind::File))
            .collect();
        for (point, is_file) in points {
            let mut missing = Vec::new();
            let mut at = point.as_str();
            while at != "/" {
                if fs.root_get(at).is_none() {
                    missing.push(at.to_owned());
                }
                at = parent(at);
            }
            for dir in missing.into_iter().rev() {
                let entry = if is_file && dir == point {
                    FsEntry::File {
                        content: String::new(),
                        mode: 0o644,
                    }
                } else {
                    FsEntry::Dir
                };
                fs.upper.insert(
                    dir,
                    Upper::Entry {
                        entry,
                        opaque: false,
                    },
                );
            }
        }
        fs
    }

    /// What a mount shows at its mount point: its volume's entry at its
    /// `subPath` (a directory when that is missing).
    fn mount_kind(&self, vols: &VolumeStore, m: &Mount) -> Kind {
        vols.tree(m.volume)
            .and_then(|t| t.get(&m.sub_path).map(kind_of))
            .unwrap_or(Kind::Dir)
    }

    /// Bytes of file content the writable layer holds.
    pub fn layer_bytes(&self) -> usize {
        self.upper_bytes
    }

    /// The mounts, innermost first.
    pub fn mounts(&self) -> &[Mount] {
        &self.mounts
    }

    fn place<'a>(&'a self, path: &'a str) -> Place<'a> {
        match self.mounts.iter().find(|m| within(path, &m.path)) {
            Some(mount) => Place::Volume {
                mount,
                inner: rebase(path, &mount.path, &mount.sub_path),
            },
            None => Place::Root(path),
        }
    }

    fn is_mount_point(&self, path: &str) -> bool {
        self.mounts.iter().any(|m| m.path == path)
    }

    /// The merged root entry at `path` (image under the writable layer).
    fn root_get(&self, path: &str) -> Option<&FsEntry> {
        match self.upper.get(path) {
            Some(Upper::Entry { entry, .. }) => return Some(entry),
            Some(Upper::Whiteout) => return None,
            None => {}
        }
        // An image entry is hidden by a removed or opaque ancestor.
        let mut at = path;
        while at != "/" {
            at = parent(at);
            match self.upper.get(at) {
                Some(Upper::Whiteout) | Some(Upper::Entry { opaque: true, .. }) => return None,
                Some(Upper::Entry {
                    entry: FsEntry::Dir,
                    ..
                })
                | None => {}
                Some(Upper::Entry { .. }) => return None,
            }
        }
        self.image.get(path)
    }

    /// The entry at `path`, links not followed; a mount point is its
    /// volume's directory.
    fn entry<'a>(&'a self, vols: &'a VolumeStore, path: &str) -> Option<FsEntry> {
        match self.place(path) {
            Place::Root(p) => self.root_get(p).cloned(),
            Place::Volume { mount, inner } => vols.tree(mount.volume)?.get(&inner).cloned(),
        }
    }

    /// Resolves symbolic links in every component of `path` (the last one
    /// only if `follow_last`), checking that each parent is a directory.
    pub fn resolve(
        &self,
        vols: &VolumeStore,
        path: &str,
        follow_last: bool,
    ) -> Result<String, FsError> {
        let mut path = normalize(path);
        let mut links = 0;
        'again: loop {
            let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
            let mut at = "/".to_owned();
            for (i, part) in parts.iter().enumerate() {
                let next = join(&at, part);
                let last = i + 1 == parts.len();
                if let Place::Volume { mount, .. } = self.place(&next) {
                    if let Some(e) = vols.unreachable(mount.volume) {
                        return Err(e);
                    }
                }
                match self.entry(vols, &next) {
                    Some(FsEntry::Link(target)) if !last || follow_last => {
                        links += 1;
                        if links > MAX_LINK_DEPTH {
                            return Err(FsError::Loop);
                        }
                        let target = if target.starts_with('/') {
                            target
                        } else {
                            join(&at, &target)
                        };
                        let rest = parts[i + 1..].join("/");
                        path = normalize(&if rest.is_empty() {
                            target
                        } else {
                            format!("{target}/{rest}")
                        });
                        continue 'again;
                    }
                    Some(FsEntry::Dir) => {}
                    Some(_) if last => {}
                    Some(_) => return Err(FsError::NotADirectory),
                    None if last => {}
                    None => return Err(FsError::NotFound),
                }
                at = next;
            }
            return Ok(path);
        }
    }

    /// True when a mount's server does not answer (its files cannot be
    /// read: a server process reading them blocks).
    pub fn has_unreachable_mount(&self, vols: &VolumeStore) -> bool {
        self.mounts
            .iter()
            .any(|m| vols.unreachable(m.volume).is_some())
    }

    /// The entry at `path` itself (a link is a link), for `ls -l`.
    pub fn lentry(&self, vols: &VolumeStore, path: &str) -> Result<FsEntry, FsError> {
        let p = self.resolve(vols, path, false)?;
        self.entry(vols, &p).ok_or(FsError::NotFound)
    }

    /// What is at `path` (links followed), as `stat` sees it.
    pub fn stat(&self, vols: &VolumeStore, path: &str) -> Result<Kind, FsError> {
        let p = self.resolve(vols, path, true)?;
        self.entry(vols, &p)
            .map(|e| kind_of(&e))
            .ok_or(FsError::NotFound)
    }

    /// What is at `path` itself (a link is a link), as `lstat` sees it.
    pub fn lstat(&self, vols: &VolumeStore, path: &str) -> Result<Kind, FsError> {
        let p = self.resolve(vols, path, false)?;
        self.entry(vols, &p)
            .map(|e| kind_of(&e))
            .ok_or(FsError::NotFound)
    }

    /// A file's content (links followed).
    pub fn read(&self, vols: &VolumeStore, path: &str) -> Result<String, FsError> {
        let p = self.resolve(vols, path, true)?;
        match self.entry(vols, &p) {
            Some(FsEntry::File { content, .. }) => Ok(content),
            Some(FsEntry::Dir) => Err(FsError::IsADirectory),
            Some(FsEntry::Link(_)) => Err(FsError::Loop),
            None => Err(FsError::NotFound),
        }
    }

    /// A directory's entries by name, in name order (links followed for the
    /// directory itself); mount points appear as directories.
    pub fn list(&self, vols: &VolumeStore, path: &str) -> Result<Vec<(String, Kind)>, FsError> {
        let dir = self.resolve(vols, path, true)?;
        match self.entry(vols, &dir) {
            Some(FsEntry::Dir) => {}
            Some(_) => return Err(FsError::NotADirectory),
            None => return Err(FsError::NotFound),
        }
        let mut out: BTreeMap<String, Kind> = BTreeMap::new();
        match self.place(&dir) {
            Place::Volume { mount, inner } => {
                if let Some(tree) = vols.tree(mount.volume) {
                    children(tree.entries(), &inner, |name, e| {
                        out.insert(name.to_owned(), kind_of(e));
                    });
                }
            }
            Place::Root(p) => {
                let mut names: Vec<String> = Vec::new();
                children(&self.image.entries, p, |name, _| {
                    names.push(name.to_owned())
                });
                for (path, u) in self.upper.range(dir_range(p)) {
                    if parent(path) == p && matches!(u, Upper::Entry { .. }) {
                        names.push(path[prefix_len(p)..].to_owned());
                    }
                }
                for name in names {
                    if let Some(e) = self.root_get(&join(p, &name)) {
                        out.insert(name, kind_of(e));
                    }
                }
            }
        }
        for m in &self.mounts {
            if m.path != "/" && parent(&m.path) == dir {
                out.insert(
                    m.path[prefix_len(&dir)..].to_owned(),
                    self.mount_kind(vols, m),
                );
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Writes a file (creating it, or replacing or appending to its
    /// content); its directory must exist.
    pub fn write(
        &mut self,
        vols: &mut VolumeStore,
        path: &str,
        data: &str,
        append: bool,
    ) -> Result<(), FsError> {
        let p = self.resolve(vols, path, true)?;
        let (content, mode) = match self.entry(vols, &p) {
            Some(FsEntry::Dir) => return Err(FsError::IsADirectory),
            Some(FsEntry::File { content, mode }) if append => (content + data, mode),
            Some(FsEntry::File { mode, .. }) => (data.to_owned(), mode),
            Some(FsEntry::Link(_)) => return Err(FsError::Loop),
            None => {
                self.require_dir(vols, parent(&p))?;
                (data.to_owned(), 0o644)
            }
        };
        if content.len() > MAX_FILE_BYTES {
            return Err(FsError::NoSpace);
        }
        self.put(vols, &p, FsEntry::File { content, mode })
    }

    fn require_dir(&self, vols: &VolumeStore, dir: &str) -> Result<(), FsError> {
        match self.entry(vols, dir) {
            Some(FsEntry::Dir) => Ok(()),
            Some(_) => Err(FsError::NotADirectory),
            None => Err(FsError::NotFound),
        }
    }

    /// Creates a directory; with `parents`, its missing ancestors too and no
    /// error when it exists (`mkdir -p`).
    pub fn mkdir(
        &mut self,
        vols: &mut VolumeStore,
        path: &str,
        parents: bool,
    ) -> Result<(), FsError> {
        let p = normalize(path);
        if parents {
            let mut at = "/".to_owned();
            for part in p.split('/').filter(|s| !s.is_empty()) {
                at = self.resolve(vols, &join(&at, part), true)?;
                match self.entry(vols, &at) {
                    Some(FsEntry::Dir) => {}
                    Some(_) => return Err(FsError::Exists),
                    None => self.put(vols, &at, FsEntry::Dir)?,
                }
            }
            return Ok(());
        }
        let p = self.resolve(vols, &p, false)?;
        if self.entry(vols, &p).is_some() {
            return Err(FsError::Exists);
        }
        self.require_dir(vols, parent(&p))?;
        self.put(vols, &p, FsEntry::Dir)
    }

    /// Removes a file, a link, or (with `recursive`) a directory and what it
    /// holds; without `recursive` a directory must be empty (`rmdir`).
    pub fn remove(
        &mut self,
        vols: &mut VolumeStore,
        path: &str,
        recursive: bool,
    ) -> Result<(), FsError> {
        let p = self.resolve(vols, path, false)?;
        if p == "/" || self.is_mount_point(&p) {
            return Err(FsError::Busy);
        }
        let kind = self
            .entry(vols, &p)
            .map(|e| kind_of(&e))
            .ok_or(FsError::NotFound)?;
        if kind == Kind::Dir {
            let inside = self.list(vols, &p)?;
            if !inside.is_empty() && !recursive {
                return Err(FsError::NotEmpty);
            }
            for (name, _) in inside {
                self.remove(vols, &join(&p, &name), true)?;
            }
        }
        self.delete(vols, &p)
    }

    /// Renames `from` to `to` (`rename(2)`): a file or link replaces a file
    /// at `to`; a directory replaces an empty directory. Across mounts it is
    /// [`FsError::CrossDevice`], as the kernel answers (`mv` then copies).
    pub fn rename(&mut self, vols: &mut VolumeStore, from: &str, to: &str) -> Result<(), FsError> {
        let from = self.resolve(vols, from, false)?;
        let to = self.resolve(vols, to, false)?;
        let kind = self
            .entry(vols, &from)
            .map(|e| kind_of(&e))
            .ok_or(FsError::NotFound)?;
        if from == to {
            return Ok(());
        }
        if from == "/" || self.is_mount_point(&from) || self.is_mount_point(&to) {
            return Err(FsError::Busy);
        }
        if within(&to, &from) {
            return Err(FsError::Invalid);
        }
        if self.device(&from) != self.device(&to) {
            return Err(FsError::CrossDevice);
        }
        self.require_dir(vols, parent(&to))?;
        match (kind, self.entry(vols, &to).map(|e| kind_of(&e))) {
            (Kind::Dir, Some(Kind::Dir)) if !self.list(vols, &to)?.is_empty() => {
                return Err(FsError::NotEmpty);
            }
            (Kind::Dir, Some(Kind::Dir)) => {}
            (Kind::Dir, Some(_)) => return Err(FsError::NotADirectory),
            (_, Some(Kind::Dir)) => return Err(FsError::IsADirectory),
            _ => {}
        }
        self.check_writable(&from)?;
        self.check_writable(&to)?;
        // The subtree, read in the merged view, is written at its new place
        // and removed from the old (overlayfs copies a lower directory up).
        let mut moved: Vec<(String, FsEntry)> = Vec::new();
        self.collect(vols, &from, &mut moved)?;
        if self.entry(vols, &to).is_some() {
            self.delete(vols, &to)?;
        }
        for (path, entry) in &moved {
            self.put(vols, &rebase(path, &from, &to), entry.clone())?;
        }
        for (path, _) in moved.iter().rev() {
            self.delete(vols, path)?;
        }
        Ok(())
    }

    /// The mount a path is on (None: the root filesystem).
    fn device(&self, path: &str) -> Option<&str> {
        self.mounts
            .iter()
            .find(|m| within(path, &m.path))
            .map(|m| m.path.as_str())
    }

    /// `path` and, for a directory, everything below it, parents first.
    fn collect(
        &self,
        vols: &VolumeStore,
        path: &str,
        out: &mut Vec<(String, FsEntry)>,
    ) -> Result<(), FsError> {
        let entry = self.entry(vols, path).ok_or(FsError::NotFound)?;
        let dir = matches!(entry, FsEntry::Dir);
        out.push((path.to_owned(), entry));
        if dir {
            for (name, _) in self.list(vols, path)? {
                self.collect(vols, &join(path, &name), out)?;
            }
        }
        Ok(())
    }

    fn check_writable(&self, path: &str) -> Result<(), FsError> {
        match self.place(path) {
            Place::Volume { mount, .. } if mount.read_only => Err(FsError::ReadOnly),
            _ => Ok(()),
        }
    }

    /// Stores an entry where `path` lives (its parent exists).
    fn put(&mut self, vols: &mut VolumeStore, path: &str, entry: FsEntry) -> Result<(), FsError> {
        self.check_writable(path)?;
        let added = size_of_entry(&entry);
        match self.place(path) {
            Place::Volume { mount, inner } => {
                let mut tree = vols.tree_mut(mount.volume).ok_or(FsError::NotFound)?;
                let old = tree.get(&inner).map_or(0, size_of_entry);
                if tree.bytes() - old + added > MAX_LAYER_BYTES {
                    return Err(FsError::NoSpace);
                }
                tree.put(&inner, entry);
            }
            Place::Root(p) => {
                let p = p.to_owned();
                let (old, whiteout) = match self.upper.get(&p) {
                    Some(Upper::Entry { entry, .. }) => (size_of_entry(entry), false),
                    Some(Upper::Whiteout) => (0, true),
                    None => (0, false),
                };
                if self.upper_bytes + added - old > MAX_LAYER_BYTES {
                    return Err(FsError::NoSpace);
                }
                // A directory made where the image's entry was removed hides
                // what the image had below it.
                let opaque = whiteout && matches!(entry, FsEntry::Dir);
                self.upper_bytes = self.upper_bytes + added - old;
                self.upper.insert(p, Upper::Entry { entry, opaque });
            }
        }
        Ok(())
    }

    /// Removes the entry at `path` (a directory already emptied).
    fn delete(&mut self, vols: &mut VolumeStore, path: &str) -> Result<(), FsError> {
        self.check_writable(path)?;
        match self.place(path) {
            Place::Volume { mount, inner } => {
                let mut tree = vols.tree_mut(mount.volume).ok_or(FsError::NotFound)?;
                tree.take(&inner).ok_or(FsError::NotFound)?;
            }
            Place::Root(p) => {
                let p = p.to_owned();
                if let Some(Upper::Entry { entry, .. }) = self.upper.get(&p) {
                    self.upper_bytes -= size_of_entry(entry);
                }
                // What the image has there stays hidden.
                let in_image = self.image.get(&p).is_some();
                if in_image {
                    self.upper.insert(p, Upper::Whiteout);
                } else {
                    self.upper.remove(&p);
                }
            }
        }
        Ok(())
    }
}

fn prefix_len(dir: &str) -> usize {
    if dir == "/" {
        1
    } else {
        dir.len() + 1
    }
}

/// The key range of the entries below `dir`.
fn dir_range(dir: &str) -> (std::ops::Bound<String>, std::ops::Bound<String>) {
    use std::ops::Bound;
    let lo = if dir == "/" {
        "/".to_owned()
    } else {
        format!("{dir}/")
    };
    // '0' is the byte after '/'.
    let hi = if dir == "/" {
        "0".to_owned()
    } else {
        format!("{dir}0")
    };
    (Bound::Excluded(lo), Bound::Excluded(hi))
}

/// Calls `f` with each direct child of `dir` in `entries`.
fn children(entries: &BTreeMap<String, FsEntry>, dir: &str, mut f: impl FnMut(&str, &FsEntry)) {
    for (path, e) in entries.range(dir_range(dir)) {
        if parent(path) == dir {
            f(&path[prefix_len(dir)..], e);
        }
    }
}

#[cfg(test)]
mod tests;
