//! An image's filesystem: the entry type every file tree of the model uses
//! ([`FsEntry`]), path normalization, and [`ImageTree`], the immutable tree
//! of one image that every container started from it shares (built once per
//! profile, on first use, and held behind an `Arc`).
//!
//! A profile's `files` describe the tree: a path ending in `/` is a
//! directory; a file whose content starts with `#!` or with the ELF magic
//! (`\x7fELF`, see [`program`]) is executable (mode 0755), any other is
//! 0644; a content of the form `-> TARGET` is a symbolic link (Debian
//! bookworm's `/bin -> usr/bin`). Every ancestor of an entry is a directory.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

/// One entry of a file tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FsEntry {
    /// A directory.
    Dir,
    /// A regular file with its content and permission bits.
    File {
        /// Content.
        content: String,
        /// Mode (`0o644`).
        mode: u32,
    },
    /// A symbolic link (configMap and secret volume keys point into `..data`).
    Link(String),
}

/// The content of an executable program file: the ELF magic and the
/// package that provides it (`coreutils`, `busybox`, ...), which is how the
/// container's shell tells a BusyBox applet from a GNU program.
pub fn program(package: &str) -> String {
    format!("\u{7f}ELF {package}\n")
}

/// The package of a program file's content, when it is one ([`program`]).
pub fn program_package(content: &str) -> Option<&str> {
    content.strip_prefix("\u{7f}ELF ").map(str::trim_end)
}

/// Collapses `.`, `..` and repeated slashes of an absolute path.
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The directory holding a normalized path (`/` for `/`).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// `name` in directory `dir`.
pub fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The entry a profile's `files` line describes.
fn entry_of(content: &str) -> FsEntry {
    if let Some(target) = content.strip_prefix("-> ") {
        return FsEntry::Link(target.to_owned());
    }
    let executable = content.starts_with("#!") || program_package(content).is_some();
    FsEntry::File {
        content: content.to_owned(),
        mode: if executable { 0o755 } else { 0o644 },
    }
}

/// An image's files: an immutable tree, shared by its containers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageTree {
    pub(crate) entries: BTreeMap<String, FsEntry>,
}

impl ImageTree {
    /// A tree of these entries (paths normalized); every ancestor of an
    /// entry becomes a directory, and `/` always is one.
    pub fn new(entries: impl IntoIterator<Item = (String, FsEntry)>) -> Self {
        let mut tree = BTreeMap::from([("/".to_owned(), FsEntry::Dir)]);
        for (path, entry) in entries {
            let path = normalize(&path);
            let mut at = parent(&path);
            while at != "/" {
                tree.entry(at.to_owned()).or_insert(FsEntry::Dir);
                at = parent(at);
            }
            tree.insert(path, entry);
        }
        Self { entries: tree }
    }

    /// The tree a profile's `files` describe (see the module doc), with the
    /// directories the runtime mounts over in every container (`/dev`,
    /// `/proc`, `/sys`, `/etc`).
    pub fn from_files(files: &BTreeMap<String, String>) -> Self {
        let runtime = ["/dev", "/proc", "/sys", "/etc"]
            .into_iter()
            .filter(|d| !files.contains_key(&format!("{d}/")) && !files.contains_key(*d))
            .map(|d| (d.to_owned(), FsEntry::Dir));
        let described = files.iter().map(|(path, content)| {
            if path.ends_with('/') {
                (path.clone(), FsEntry::Dir)
            } else {
                (path.clone(), entry_of(content))
            }
        });
        Self::new(runtime.chain(described))
    }

    /// The entry at a normalized path (links not followed).
    pub fn get(&self, path: &str) -> Option<&FsEntry> {
        self.entries.get(path)
    }
}

/// A profile's tree, built on first use. Clones share it; it takes no part
/// in comparing profiles (it follows from their `files`).
#[derive(Clone, Debug, Default)]
pub struct ImageTreeCell(OnceLock<Arc<ImageTree>>);

impl ImageTreeCell {
    /// The tree, built from `files` the first time.
    pub fn get_or_build(&self, files: &BTreeMap<String, String>) -> Arc<ImageTree> {
        Arc::clone(
            self.0
                .get_or_init(|| Arc::new(ImageTree::from_files(files))),
        )
    }
}

impl PartialEq for ImageTreeCell {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for ImageTreeCell {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_remove_and_rename_whole_directories() {
        let file = |c: &str| FsEntry::File {
            content: c.into(),
            mode: 0o644,
        };
        let mut t = Tree::default();
        t.insert_with_parents("/data/a/x", file("xx"));
        t.insert_with_parents("/data/a/y/z", file("z"));
        t.insert_with_parents("/data/ab", file("not below /data/a"));
        assert_eq!(t.bytes(), 2 + 1 + "not below /data/a".len());
        t.rename_dir("/data/a", "/data/archived-a");
        assert!(t.get("/data/a").is_none() && t.get("/data/a/x").is_none());
        assert_eq!(t.get("/data/archived-a/y/z"), Some(&file("z")));
        assert!(t.get("/data/ab").is_some());
        t.remove_dir_all("/data/archived-a");
        let left: Vec<&String> = t.entries().keys().collect();
        assert_eq!(left, ["/", "/data", "/data/ab"]);
        assert_eq!(t.bytes(), "not below /data/a".len());
    }

    #[test]
    fn files_describe_directories_programs_links_and_plain_files() {
        let files: BTreeMap<String, String> = [
            ("/usr/bin/", ""),
            ("/usr/bin/ls", "\u{7f}ELF coreutils\n"),
            ("/bin", "-> usr/bin"),
            ("/docker-entrypoint.sh", "#!/bin/sh\n"),
            ("/etc/motd", "hello\n"),
        ]
        .into_iter()
        .map(|(p, c)| (p.to_owned(), c.to_owned()))
        .collect();
        let t = ImageTree::from_files(&files);
        assert_eq!(t.get("/usr/bin"), Some(&FsEntry::Dir));
        assert!(matches!(
            t.get("/usr/bin/ls"),
            Some(FsEntry::File { mode: 0o755, .. })
        ));
        assert_eq!(t.get("/bin"), Some(&FsEntry::Link("usr/bin".into())));
        assert!(matches!(
            t.get("/docker-entrypoint.sh"),
            Some(FsEntry::File { mode: 0o755, .. })
        ));
        assert!(matches!(
            t.get("/etc/motd"),
            Some(FsEntry::File { mode: 0o644, .. })
        ));
        for d in ["/", "/dev", "/proc", "/sys", "/etc", "/usr"] {
            assert_eq!(t.get(d), Some(&FsEntry::Dir), "{d}");
        }
        assert_eq!(program_package("\u{7f}ELF busybox\n"), Some("busybox"));
        assert_eq!(program_package("#!/bin/sh"), None);
    }

    #[test]
    fn a_cell_builds_once_and_clones_share_the_tree() {
        let files = BTreeMap::from([("/a".to_owned(), "x".to_owned())]);
        let cell = ImageTreeCell::default();
        let a = cell.get_or_build(&files);
        let copy = cell.clone();
        assert!(Arc::ptr_eq(&a, &copy.get_or_build(&BTreeMap::new())));
    }
}

/// A plain tree of entries by normalized path: a volume's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    entries: BTreeMap<String, FsEntry>,
    /// Bytes of file content held.
    bytes: usize,
}

impl Default for Tree {
    fn default() -> Self {
        Self {
            entries: BTreeMap::from([("/".to_owned(), FsEntry::Dir)]),
            bytes: 0,
        }
    }
}

impl Tree {
    /// A tree of these entries (paths normalized, missing parents made
    /// directories), as an [`ImageTree`] is built.
    pub fn from_entries(entries: impl IntoIterator<Item = (String, FsEntry)>) -> Self {
        let mut tree = Tree::default();
        for (path, entry) in entries {
            tree.insert_with_parents(&normalize(&path), entry);
        }
        tree
    }

    /// Stores `entry` at a normalized `path`, making its missing parents
    /// directories.
    pub fn insert_with_parents(&mut self, path: &str, entry: FsEntry) {
        let mut at = parent(path);
        while at != "/" {
            self.entries.entry(at.to_owned()).or_insert(FsEntry::Dir);
            at = parent(at);
        }
        self.put(path, entry);
    }

    /// Stores `entry` at a normalized `path` (its parent exists).
    pub fn put(&mut self, path: &str, entry: FsEntry) {
        self.bytes += size_of_entry(&entry);
        if let Some(old) = self.entries.insert(path.to_owned(), entry) {
            self.bytes -= size_of_entry(&old);
        }
    }

    /// Removes the entry at a normalized `path`.
    pub fn take(&mut self, path: &str) -> Option<FsEntry> {
        let old = self.entries.remove(path)?;
        self.bytes -= size_of_entry(&old);
        Some(old)
    }

    /// The entry at a normalized path (links not followed).
    pub fn get(&self, path: &str) -> Option<&FsEntry> {
        self.entries.get(path)
    }

    /// Bytes of file content held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Every entry by path.
    pub fn entries(&self) -> &BTreeMap<String, FsEntry> {
        &self.entries
    }

    /// The normalized paths of `dir` and everything below it.
    fn subtree(&self, dir: &str) -> Vec<String> {
        let below = format!("{}/", dir.trim_end_matches('/'));
        self.entries
            .range(dir.to_owned()..)
            .take_while(|(p, _)| *p == dir || p.starts_with(&below))
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// Removes `dir` and everything below it (`rm -rf`).
    pub fn remove_dir_all(&mut self, dir: &str) {
        if dir == "/" {
            return;
        }
        for p in self.subtree(dir) {
            self.take(&p);
        }
    }

    /// Moves `from` and everything below it to `to` (a rename on one
    /// filesystem; an entry at `to` is replaced).
    pub fn rename_dir(&mut self, from: &str, to: &str) {
        if from == "/" || to == from {
            return;
        }
        self.remove_dir_all(to);
        for p in self.subtree(from) {
            if let Some(e) = self.take(&p) {
                let rest = &p[from.len()..];
                self.insert_with_parents(&format!("{to}{rest}"), e);
            }
        }
    }
}

/// Bytes of file content an entry holds.
pub fn size_of_entry(e: &FsEntry) -> usize {
    match e {
        FsEntry::File { content, .. } => content.len(),
        FsEntry::Dir | FsEntry::Link(_) => 0,
    }
}

/// A tree held by more than one node: an NFS export, which every node that
/// mounts it sees as it is (written through any of them, seen by all).
/// Borrowed only while one file operation runs.
pub type SharedTree = Rc<RefCell<Tree>>;
