//! Tests of the container filesystem model: the course's tomcat fix, volumes
//! shared and read-only, restarts, the kernel's errors, and a differential
//! property test of the overlay against a plain tree.

use std::sync::Arc;

use proptest::prelude::*;

use super::*;

fn file(content: &str) -> FsEntry {
    FsEntry::File {
        content: content.to_owned(),
        mode: 0o644,
    }
}

fn tomcat() -> Arc<ImageTree> {
    Arc::new(ImageTree::new([
        ("/usr/local/tomcat/webapps/".to_owned(), FsEntry::Dir),
        (
            "/usr/local/tomcat/webapps.dist/ROOT/index.jsp".to_owned(),
            file("<html>Tomcat</html>"),
        ),
        (
            "/usr/local/tomcat/webapps.dist/docs/index.html".to_owned(),
            file("docs"),
        ),
        (
            "/usr/local/tomcat/conf/server.xml".to_owned(),
            file("<Server/>"),
        ),
    ]))
}

fn names(fs: &ContainerFs, vols: &VolumeStore, dir: &str) -> Vec<String> {
    fs.list(vols, dir)
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

#[test]
fn the_course_fixes_tomcats_404_and_the_image_stays_as_it_was() {
    let image = tomcat();
    let mut vols = VolumeStore::default();
    let mut fs = ContainerFs::new(image.clone(), Vec::new(), &VolumeStore::default());
    // rename(2) replaces an empty directory (the image's empty webapps)...
    let mut direct = ContainerFs::new(image.clone(), Vec::new(), &VolumeStore::default());
    direct
        .rename(
            &mut vols,
            "/usr/local/tomcat/webapps.dist",
            "/usr/local/tomcat/webapps",
        )
        .unwrap();
    assert_eq!(
        names(&direct, &vols, "/usr/local/tomcat/webapps"),
        ["ROOT", "docs"]
    );
    // ... and the course removes it first: rm -rf webapps && mv webapps.dist webapps
    fs.remove(&mut vols, "/usr/local/tomcat/webapps", true)
        .unwrap();
    fs.rename(
        &mut vols,
        "/usr/local/tomcat/webapps.dist",
        "/usr/local/tomcat/webapps",
    )
    .unwrap();
    assert_eq!(names(&fs, &vols, "/usr/local/tomcat"), ["conf", "webapps"]);
    assert_eq!(
        names(&fs, &vols, "/usr/local/tomcat/webapps"),
        ["ROOT", "docs"]
    );
    assert_eq!(
        fs.read(&vols, "/usr/local/tomcat/webapps/ROOT/index.jsp")
            .unwrap(),
        "<html>Tomcat</html>"
    );
    assert_eq!(
        fs.read(&vols, "/usr/local/tomcat/webapps.dist/ROOT/index.jsp"),
        Err(FsError::NotFound)
    );
    // Another container of the image, and this one restarted, see the image.
    let fresh = ContainerFs::new(image, Vec::new(), &VolumeStore::default());
    assert!(names(&fresh, &vols, "/usr/local/tomcat/webapps").is_empty());
    assert_eq!(
        names(&fresh, &vols, "/usr/local/tomcat"),
        ["conf", "webapps", "webapps.dist"]
    );
    assert!(fs.layer_bytes() > 0);
    assert_eq!(fresh.layer_bytes(), 0);
}

#[test]
fn an_empty_dir_is_shared_by_the_pods_containers_and_outlives_a_restart() {
    let mut vols = VolumeStore::default();
    let shared = vols.create();
    let mount = |path: &str| Mount {
        path: path.to_owned(),
        volume: shared,
        sub_path: "/".to_owned(),
        read_only: false,
        source: MountSource::Disk,
    };
    let image = tomcat();
    let mut writer = ContainerFs::new(image.clone(), vec![mount("/data")], &vols);
    let reader = ContainerFs::new(image.clone(), vec![mount("/usr/share/nginx/html")], &vols);
    writer
        .write(&mut vols, "/data/index.html", "hello\n", false)
        .unwrap();
    writer
        .write(&mut vols, "/tmp-not-there/x", "x", false)
        .unwrap_err();
    writer
        .write(&mut vols, "/usr/local/tomcat/conf/local", "mine", false)
        .unwrap();
    assert_eq!(
        reader
            .read(&vols, "/usr/share/nginx/html/index.html")
            .unwrap(),
        "hello\n"
    );
    // The writer restarts: its own writes are gone, the volume's stay.
    let restarted = ContainerFs::new(image, vec![mount("/data")], &vols);
    assert_eq!(
        restarted.read(&vols, "/usr/local/tomcat/conf/local"),
        Err(FsError::NotFound)
    );
    assert_eq!(
        restarted.read(&vols, "/data/index.html").unwrap(),
        "hello\n"
    );
    // A mount point shows in its parent and cannot be removed.
    assert!(names(&reader, &vols, "/usr/share/nginx").contains(&"html".to_owned()));
    let mut reader = reader;
    assert_eq!(
        reader.remove(&mut vols, "/usr/share/nginx/html", true),
        Err(FsError::Busy)
    );
}

#[test]
fn a_read_only_mount_refuses_writes_and_a_sub_path_mounts_part_of_a_volume() {
    let mut vols = VolumeStore::default();
    let config = vols.create_with([
        ("/..data/redis.conf".to_owned(), file("maxmemory 2mb\n")),
        (
            "/redis.conf".to_owned(),
            FsEntry::Link("..data/redis.conf".to_owned()),
        ),
    ]);
    let site = vols.create_with([("/site/a/index.html".to_owned(), file("a"))]);
    let mut fs = ContainerFs::new(
        tomcat(),
        vec![
            Mount {
                path: "/redis-master".to_owned(),
                volume: config,
                sub_path: "/".to_owned(),
                read_only: true,
                source: MountSource::Disk,
            },
            Mount {
                path: "/srv/www".to_owned(),
                volume: site,
                sub_path: "site/a".to_owned(),
                read_only: false,
                source: MountSource::Disk,
            },
        ],
        &vols,
    );
    assert_eq!(
        fs.read(&vols, "/redis-master/redis.conf").unwrap(),
        "maxmemory 2mb\n"
    );
    assert_eq!(fs.lstat(&vols, "/redis-master/redis.conf"), Ok(Kind::Link));
    assert_eq!(fs.stat(&vols, "/redis-master/redis.conf"), Ok(Kind::File));
    assert_eq!(
        fs.write(&mut vols, "/redis-master/redis.conf", "x", false),
        Err(FsError::ReadOnly)
    );
    assert_eq!(
        fs.remove(&mut vols, "/redis-master/redis.conf", false),
        Err(FsError::ReadOnly)
    );
    assert_eq!(
        fs.mkdir(&mut vols, "/redis-master/d", false),
        Err(FsError::ReadOnly)
    );
    assert_eq!(names(&fs, &vols, "/srv/www"), ["index.html"]);
    fs.write(&mut vols, "/srv/www/new.html", "n", false)
        .unwrap();
    assert_eq!(
        vols.tree(site).unwrap().get("/site/a/new.html"),
        Some(&file("n"))
    );
    // A rename across mounts is the kernel's EXDEV (mv then copies).
    assert_eq!(
        fs.rename(&mut vols, "/srv/www/new.html", "/new.html"),
        Err(FsError::CrossDevice)
    );
}

#[test]
fn the_kernels_errors() {
    let mut vols = VolumeStore::default();
    let mut fs = ContainerFs::new(tomcat(), Vec::new(), &VolumeStore::default());
    let t = "/usr/local/tomcat";
    assert_eq!(
        fs.write(&mut vols, "/nope/file", "x", false),
        Err(FsError::NotFound)
    );
    assert_eq!(
        fs.write(&mut vols, t, "x", false),
        Err(FsError::IsADirectory)
    );
    assert_eq!(
        fs.write(&mut vols, "/usr/local/tomcat/conf/server.xml/x", "x", false),
        Err(FsError::NotADirectory)
    );
    assert_eq!(fs.read(&vols, t), Err(FsError::IsADirectory));
    assert_eq!(fs.mkdir(&mut vols, t, false), Err(FsError::Exists));
    fs.mkdir(&mut vols, t, true).unwrap();
    fs.mkdir(&mut vols, "/a/b/c", true).unwrap();
    assert_eq!(fs.stat(&vols, "/a/b/c"), Ok(Kind::Dir));
    assert_eq!(fs.remove(&mut vols, "/a", false), Err(FsError::NotEmpty));
    assert_eq!(fs.remove(&mut vols, "/", true), Err(FsError::Busy));
    assert_eq!(fs.rename(&mut vols, "/a", "/a/b/d"), Err(FsError::Invalid));
    assert_eq!(
        fs.rename(&mut vols, "/a", "/usr/local/tomcat/conf/server.xml"),
        Err(FsError::NotADirectory)
    );
    assert_eq!(fs.rename(&mut vols, "/a", t), Err(FsError::NotEmpty));
    let big = "x".repeat(MAX_FILE_BYTES + 1);
    assert_eq!(
        fs.write(&mut vols, "/big", &big, false),
        Err(FsError::NoSpace)
    );
    fs.write(&mut vols, "/loop", "", false).unwrap();
    let mut vols2 = VolumeStore::default();
    let links = vols2.create_with([
        ("/a".to_owned(), FsEntry::Link("b".to_owned())),
        ("/b".to_owned(), FsEntry::Link("a".to_owned())),
    ]);
    let fs2 = ContainerFs::new(
        tomcat(),
        vec![Mount {
            path: "/l".to_owned(),
            volume: links,
            sub_path: "/".to_owned(),
            read_only: true,
            source: MountSource::Disk,
        }],
        &vols2,
    );
    assert_eq!(fs2.read(&vols2, "/l/a"), Err(FsError::Loop));
}

#[test]
fn a_directory_removed_from_the_image_and_made_again_is_empty() {
    let mut vols = VolumeStore::default();
    let mut fs = ContainerFs::new(tomcat(), Vec::new(), &VolumeStore::default());
    fs.remove(&mut vols, "/usr/local/tomcat/webapps.dist", true)
        .unwrap();
    fs.mkdir(&mut vols, "/usr/local/tomcat/webapps.dist", false)
        .unwrap();
    assert!(names(&fs, &vols, "/usr/local/tomcat/webapps.dist").is_empty());
    assert_eq!(
        fs.read(&vols, "/usr/local/tomcat/webapps.dist/ROOT/index.jsp"),
        Err(FsError::NotFound)
    );
    // Removing what the container itself made leaves no trace.
    fs.write(&mut vols, "/tmpfile", "t", false).unwrap();
    fs.remove(&mut vols, "/tmpfile", false).unwrap();
    assert_eq!(fs.stat(&vols, "/tmpfile"), Err(FsError::NotFound));
}

/// An operation of the property test, over a few names.
#[derive(Clone, Debug)]
enum Op {
    Write(String, String, bool),
    Mkdir(String, bool),
    Remove(String, bool),
    Rename(String, String),
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 1..4)
        .prop_map(|parts| format!("/{}", parts.join("/")))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (path(), "[xy]{0,3}", any::<bool>()).prop_map(|(p, d, a)| Op::Write(p, d, a)),
        (path(), any::<bool>()).prop_map(|(p, parents)| Op::Mkdir(p, parents)),
        (path(), any::<bool>()).prop_map(|(p, r)| Op::Remove(p, r)),
        (path(), path()).prop_map(|(a, b)| Op::Rename(a, b)),
    ]
}

fn apply(fs: &mut ContainerFs, vols: &mut VolumeStore, op: &Op) -> Result<(), FsError> {
    match op {
        Op::Write(p, d, append) => fs.write(vols, p, d, *append),
        Op::Mkdir(p, parents) => fs.mkdir(vols, p, *parents),
        Op::Remove(p, recursive) => fs.remove(vols, p, *recursive),
        Op::Rename(a, b) => fs.rename(vols, a, b),
    }
}

/// Every path and what is there, walking from `/`.
fn walk(fs: &ContainerFs, vols: &VolumeStore) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec!["/".to_owned()];
    while let Some(dir) = stack.pop() {
        for (name, kind) in fs.list(vols, &dir).unwrap() {
            let p = if dir == "/" {
                format!("/{name}")
            } else {
                format!("{dir}/{name}")
            };
            match kind {
                Kind::Dir => {
                    out.push((p.clone(), "dir".to_owned()));
                    stack.push(p);
                }
                _ => out.push((p.clone(), fs.read(vols, &p).unwrap())),
            }
        }
    }
    out.sort();
    out
}

proptest! {
    /// The overlay (an image below, a writable layer above) behaves as a
    /// plain tree holding the same files: the same answers and the same
    /// files after any operations.
    #[test]
    fn the_overlay_behaves_as_a_plain_tree(
        setup in prop::collection::vec(op(), 0..12),
        ops in prop::collection::vec(op(), 1..40),
    ) {
        // The plain tree: everything in the writable layer.
        let mut plain_vols = VolumeStore::default();
        let mut plain = ContainerFs::new(Arc::new(ImageTree::new([])), Vec::new(), &VolumeStore::default());
        for op in &setup {
            let _ = apply(&mut plain, &mut plain_vols, op);
        }
        // The same files as an image, with an empty layer above.
        let files = walk(&plain, &plain_vols).into_iter().map(|(p, what)| {
            let e = if what == "dir" { FsEntry::Dir } else { file(&what) };
            (p, e)
        });
        let mut vols = VolumeStore::default();
        let mut overlay = ContainerFs::new(Arc::new(ImageTree::new(files)), Vec::new(), &VolumeStore::default());
        prop_assert_eq!(walk(&overlay, &vols), walk(&plain, &plain_vols));
        for op in &ops {
            let a = apply(&mut plain, &mut plain_vols, op);
            let b = apply(&mut overlay, &mut vols, op);
            prop_assert_eq!(a, b, "{:?}", op);
            prop_assert_eq!(walk(&overlay, &vols), walk(&plain, &plain_vols), "after {:?}", op);
        }
    }
}

#[test]
fn a_disk_detached_from_the_node_fails_io_and_its_files_stay_on_the_disk() {
    use crate::storage::disks::{DiskConfig, Disks};
    let disks = std::rc::Rc::new(Disks::new(&[DiskConfig { id: "d1".into() }]));
    disks.attach("d1", "worker-1").unwrap();
    let mut vols = VolumeStore::default();
    let tree = disks.files_on("d1", "worker-1").unwrap();
    let remote = Remote::Disk {
        disks: std::rc::Rc::clone(&disks),
        id: "d1".into(),
        node: "worker-1".into(),
    };
    let id = vols.attach_from(tree, Some(remote));
    let mount = Mount {
        path: "/data".to_owned(),
        volume: id,
        sub_path: "/".to_owned(),
        read_only: false,
        source: MountSource::BlockDevice {
            size_bytes: 1 << 30,
        },
    };
    let mut fs = ContainerFs::new(tomcat(), vec![mount], &vols);
    fs.write(&mut vols, "/data/db", "rows\n", false).unwrap();
    assert!(names(&fs, &vols, "/data").contains(&"lost+found".to_owned()));
    // Force-detached (the node was not Ready for six minutes): the pod
    // still running there gets I/O errors, the rest of its filesystem works.
    disks.detach("d1", "worker-1");
    assert_eq!(fs.read(&vols, "/data/db"), Err(FsError::Io));
    assert_eq!(
        fs.write(&mut vols, "/data/db", "more\n", true),
        Err(FsError::Io)
    );
    assert!(fs.has_unreachable_mount(&vols));
    assert!(fs.read(&vols, "/usr/local/tomcat/conf/server.xml").is_ok());
    // Attached to another node, the disk holds what was written before.
    disks.attach("d1", "worker-2").unwrap();
    let there = disks.files_on("d1", "worker-2").unwrap();
    assert!(there.borrow().get("/db").is_some());
}
