//! The files of one node as its container runtime and kubelet keep them:
//! the node's own filesystem (what `hostPath` volumes mount), each pod's
//! volumes, and the writable layer of each running container instance
//! (issue 11). See [`super::container_fs`] for the model of one container's
//! view.
//!
//! Everything here is made on first use (the first `kubectl exec` into a
//! pod, or a container whose command names a file to read at start), so a
//! pod no one looks into costs nothing: 150,000 pods carry no trees.
//!
//! - A pod's volumes ([`NodeFiles::mounts`]): `emptyDir` is made empty once
//!   per pod and shared by its containers, gone with the pod; `configMap`
//!   and `secret` hold the keys as the kubelet's cache has them (`..data/KEY`
//!   with a `KEY -> ..data/KEY` link), refreshed whenever a container's files
//!   are looked at (the kubelet's sync delay is its cache's); `hostPath` is
//!   the node's own filesystem at that path (made when missing, as the
//!   runtime does), which outlives pods; `/etc/hostname`, `/etc/hosts` and
//!   `/etc/resolv.conf` are the kubelet's per-pod files, mounted as files.
//!   `downwardAPI` and `projected` volumes (configMap, secret and
//!   downwardAPI sources) are laid out as configMap volumes are. An `nfs`
//!   volume is its server's export ([`crate::storage::nfs`]): the same files
//!   on every node that mounts it; a `persistentVolumeClaim` volume is its
//!   bound volume's source (an NFS export or a hostPath). A volume whose
//!   source cannot be mounted is left empty here: the kubelet does not
//!   start a pod until its volumes mount (`volume_manager`).
//! - A container instance's layer ([`NodeFiles::container`]) is dropped when
//!   the container starts again: a restarted container starts from its
//!   image, as with containerd.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Container, DownwardAPIVolumeFile, KeyToPath, Volume};

use super::container_env::{
    config_map_keys, config_map_value, field_value, pod_hostname, secret_keys, secret_value,
    ConfigCache, PodContext,
};
use super::container_fs::{
    normalize, ContainerFs, FsEntry, ImageTree, Mount, MountSource, VolumeId, VolumeStore,
};
use crate::config::image_fs::join;
use crate::storage::disks::Disks;
use crate::storage::nfs::NfsServers;

/// A container instance: its pod's uid and its index in the pod's
/// containers (init containers first).
pub(crate) type ContainerKey = (String, usize);

/// The node's volumes and container layers.
#[derive(Debug, Default)]
pub(crate) struct NodeFiles {
    /// Every volume's tree.
    pub vols: VolumeStore,
    /// The node's own filesystem (hostPath volumes mount parts of it).
    host: Option<VolumeId>,
    /// Each pod's volumes by name, made when first mounted.
    pods: BTreeMap<String, BTreeMap<String, VolumeId>>,
    /// The writable layer of each running container instance looked into.
    containers: BTreeMap<ContainerKey, ContainerFs>,
    /// What each container instance's server printed since it started
    /// (access-log lines; at most [`MAX_LOG_LINES`], the oldest dropped).
    logs: BTreeMap<ContainerKey, VecDeque<String>>,
    /// The NFS servers beside the cluster.
    pub nfs: Rc<NfsServers>,
    /// The disks beside the cluster.
    pub disks: Rc<Disks>,
    /// Each pod's network volumes (nfs, or a claim's NFS, hostPath or
    /// disk volume) by name, mounted when the pod started.
    network: BTreeMap<String, BTreeMap<String, NetworkMount>>,
}

/// Why a pod's network volume does not mount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum MountFailure {
    /// The claim does not exist.
    ClaimNotFound(String),
    /// The claim has no volume yet.
    ClaimNotBound(String),
    /// `mount -t nfs TARGET` failed for volume `volume`.
    Nfs {
        /// The volume's name (the PersistentVolume's, for a claim).
        volume: String,
        /// `server:path`.
        target: String,
        /// What mount.nfs said.
        error: crate::storage::nfs::MountError,
    },
    /// The claim's disk is not attached to this node (yet): the volume
    /// manager waits for the attach/detach controller.
    NotAttached,
}

/// A network volume mounted for a pod: the tree's volume here, the path in
/// it, whether it is read-only, what `mount` shows.
#[derive(Clone, Debug)]
pub(crate) struct NetworkMount {
    volume: VolumeId,
    base: String,
    read_only: bool,
    source: MountSource,
}

/// The most lines a container instance's log keeps beyond its image's
/// start-up lines.
pub(crate) const MAX_LOG_LINES: usize = 1_000;

/// What a server reads while an exec session holds the node's volumes: the
/// layers, the pods' volume ids, the node's disk, and the logs to append to.
pub(super) struct Shared<'a> {
    containers: &'a BTreeMap<ContainerKey, ContainerFs>,
    pods: &'a BTreeMap<String, BTreeMap<String, VolumeId>>,
    network: &'a BTreeMap<String, BTreeMap<String, NetworkMount>>,
    host: Option<VolumeId>,
    logs: &'a mut BTreeMap<ContainerKey, VecDeque<String>>,
}

impl Shared<'_> {
    /// Container instance `key`'s filesystem as it stands: its layer when it
    /// has one, else its image with the volumes its pod already has (a
    /// server reads; it makes nothing).
    pub(super) fn view(
        &self,
        key: &ContainerKey,
        image: impl FnOnce() -> Arc<ImageTree>,
        container: &Container,
        pod: &k8s_openapi::api::core::v1::Pod,
        vols: &VolumeStore,
    ) -> Cow<'_, ContainerFs> {
        if let Some(fs) = self.containers.get(key) {
            return Cow::Borrowed(fs);
        }
        let pod_vols = self.pods.get(&key.0);
        let network = self.network.get(&key.0);
        let volumes = pod.spec.as_ref().and_then(|s| s.volumes.as_ref());
        let mut mounts = Vec::new();
        for m in container.volume_mounts.iter().flatten() {
            let Some(v) = volumes.and_then(|vs| vs.iter().find(|v| v.name == m.name)) else {
                continue;
            };
            let sub_path = normalize(m.sub_path.as_deref().unwrap_or(""));
            if let Some(n) = network.and_then(|n| n.get(&v.name)) {
                mounts.push(Mount {
                    path: normalize(&m.mount_path),
                    volume: n.volume,
                    sub_path: normalize(&format!("{}/{sub_path}", n.base)),
                    read_only: true,
                    source: n.source.clone(),
                });
                continue;
            }
            let (volume, sub_path) = match (
                &v.host_path,
                self.host,
                pod_vols.and_then(|p| p.get(&v.name)),
            ) {
                (Some(h), Some(host), _) => (host, normalize(&format!("{}/{sub_path}", h.path))),
                (None, _, Some(id)) => (*id, sub_path),
                _ => continue,
            };
            mounts.push(Mount {
                path: normalize(&m.mount_path),
                volume,
                sub_path,
                read_only: true,
                source: mount_source(v, "", &ConfigCache::default()),
            });
        }
        Cow::Owned(ContainerFs::new(image(), mounts, vols))
    }

    /// Appends a line to container instance `key`'s log.
    pub(super) fn log(&mut self, key: &ContainerKey, line: String) {
        let log = self.logs.entry(key.clone()).or_default();
        if log.len() == MAX_LOG_LINES {
            log.pop_front();
        }
        log.push_back(line);
    }
}

/// The volume name of the kubelet's per-pod `/etc` files.
const ETC_VOLUME: &str = "..kubelet-etc";

fn key_files(
    keys: Vec<String>,
    items: Option<&Vec<KeyToPath>>,
    default_mode: Option<i32>,
    value: &dyn Fn(&str) -> Option<String>,
) -> Vec<(String, String, u32)> {
    let mode = |m: Option<i32>| u32::try_from(m.or(default_mode).unwrap_or(0o644)).unwrap_or(0o644);
    match items {
        Some(items) if !items.is_empty() => items
            .iter()
            .filter_map(|i| value(&i.key).map(|v| (i.path.clone(), v, mode(i.mode))))
            .collect(),
        _ => keys
            .into_iter()
            .filter_map(|k| value(&k).map(|v| (k, v, mode(None))))
            .collect(),
    }
}

/// The files of a configMap source (its keys, or its `items`).
fn config_map_files(
    ns: &str,
    name: &str,
    items: Option<&Vec<KeyToPath>>,
    default_mode: Option<i32>,
    cache: &ConfigCache,
) -> Vec<(String, String, u32)> {
    cache
        .config_map(ns, name)
        .map(|cm| {
            key_files(config_map_keys(cm), items, default_mode, &|k| {
                config_map_value(cm, k)
            })
        })
        .unwrap_or_default()
}

/// The files of a secret source.
fn secret_files(
    ns: &str,
    name: &str,
    items: Option<&Vec<KeyToPath>>,
    default_mode: Option<i32>,
    cache: &ConfigCache,
) -> Vec<(String, String, u32)> {
    cache
        .secret(ns, name)
        .map(|sec| {
            key_files(secret_keys(sec), items, default_mode, &|k| {
                secret_value(sec, k)
            })
        })
        .unwrap_or_default()
}

/// The files of a downwardAPI source: each item's field of the pod
/// (`metadata.labels` and `metadata.annotations` whole as `key="value"`
/// lines sorted by key, as the kubelet formats them).
fn downward_files(
    items: Option<&Vec<DownwardAPIVolumeFile>>,
    default_mode: Option<i32>,
    ctx: &PodContext<'_>,
) -> Vec<(String, String, u32)> {
    let meta = &ctx.pod.metadata;
    let format_map = |m: &Option<BTreeMap<String, String>>| {
        m.iter()
            .flatten()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    items
        .into_iter()
        .flatten()
        .filter_map(|item| {
            let value = match item.field_ref.as_ref()?.field_path.as_str() {
                "metadata.labels" => format_map(&meta.labels),
                "metadata.annotations" => format_map(&meta.annotations),
                _ => field_value(item.field_ref.as_ref()?, ctx).ok()?,
            };
            let mode = item.mode.or(default_mode).unwrap_or(0o644);
            Some((
                item.path.clone(),
                value,
                u32::try_from(mode).unwrap_or(0o644),
            ))
        })
        .collect()
}

/// The entries of a configMap, secret, downwardAPI or projected volume, as
/// the kubelet's atomic writer lays them out: the files under `..data`, a
/// link for each top name. None for other volume types. A projected
/// volume's serviceAccountToken source is not modelled (no file).
fn projected_entries(
    v: &Volume,
    ns: &str,
    cache: &ConfigCache,
    ctx: &PodContext<'_>,
) -> Option<Vec<(String, FsEntry)>> {
    let files = if let Some(c) = &v.config_map {
        config_map_files(ns, &c.name, c.items.as_ref(), c.default_mode, cache)
    } else if let Some(s) = &v.secret {
        let name = s.secret_name.clone().unwrap_or_default();
        secret_files(ns, &name, s.items.as_ref(), s.default_mode, cache)
    } else if let Some(d) = &v.downward_api {
        downward_files(d.items.as_ref(), d.default_mode, ctx)
    } else if let Some(p) = &v.projected {
        let mut files = Vec::new();
        for source in p.sources.iter().flatten() {
            if let Some(c) = &source.config_map {
                files.extend(config_map_files(
                    ns,
                    &c.name,
                    c.items.as_ref(),
                    p.default_mode,
                    cache,
                ));
            }
            if let Some(s) = &source.secret {
                files.extend(secret_files(
                    ns,
                    &s.name,
                    s.items.as_ref(),
                    p.default_mode,
                    cache,
                ));
            }
            if let Some(d) = &source.downward_api {
                files.extend(downward_files(d.items.as_ref(), p.default_mode, ctx));
            }
        }
        files
    } else {
        return None;
    };
    let mut entries = vec![("/..data".to_owned(), FsEntry::Dir)];
    for (path, content, mode) in files {
        let rel = normalize(&path);
        let rel = rel.trim_start_matches('/');
        entries.push((join("/..data", rel), FsEntry::File { content, mode }));
        let top = rel.split('/').next().unwrap_or(rel);
        entries.push((join("/", top), FsEntry::Link(format!("..data/{top}"))));
    }
    Some(entries)
}

/// A volume's `capacity.storage` in bytes (0 when unset or unreadable).
fn capacity_bytes(spec: &k8s_openapi::api::core::v1::PersistentVolumeSpec) -> u64 {
    spec.capacity
        .as_ref()
        .and_then(|c| c.get("storage"))
        .and_then(|q| crate::api::quantity::parse_bytes(&q.0).ok())
        .and_then(|b| u64::try_from(b).ok())
        .unwrap_or(0)
}

/// Where a volume lives, as `mount` and `df` show it (a claim's: its
/// bound volume's).
fn mount_source(v: &Volume, ns: &str, cache: &ConfigCache) -> MountSource {
    let bound = v
        .persistent_volume_claim
        .as_ref()
        .and_then(|c| cache.claim(ns, &c.claim_name))
        .and_then(|(_, pv)| pv?.spec.clone());
    if let Some(s) = bound.as_ref().filter(|s| s.csi.is_some()) {
        return MountSource::BlockDevice {
            size_bytes: capacity_bytes(s),
        };
    }
    if let Some(n) = bound.and_then(|s| s.nfs) {
        return MountSource::Nfs {
            server: n.server,
            path: n.path,
        };
    }
    if v.secret.is_some()
        || v.empty_dir
            .as_ref()
            .is_some_and(|e| e.medium.as_deref() == Some("Memory"))
    {
        return MountSource::Tmpfs;
    }
    match &v.nfs {
        Some(n) => MountSource::Nfs {
            server: n.server.clone(),
            path: n.path.clone(),
        },
        None => MountSource::Disk,
    }
}

/// The kubelet's per-pod `/etc` files: `hostname`, and for a pod not on
/// the host network `hosts` and `resolv.conf`.
fn etc_entries(ctx: &PodContext<'_>) -> Vec<(String, FsEntry)> {
    let pod = ctx.pod;
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let hostname = pod_hostname(pod, ctx.node_name);
    let file = |content: String| FsEntry::File {
        content,
        mode: 0o644,
    };
    let mut entries = vec![("/hostname".to_owned(), file(format!("{hostname}\n")))];
    let host_network = pod
        .spec
        .as_ref()
        .and_then(|s| s.host_network)
        .unwrap_or(false);
    if !host_network {
        entries.push((
            "/hosts".to_owned(),
            file(format!(
                "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n{}\t{hostname}\n",
                ctx.pod_ip
            )),
        ));
        entries.push((
            "/resolv.conf".to_owned(),
            file(format!(
                "search {ns}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"
            )),
        ));
    }
    entries
}

impl NodeFiles {
    /// The node's own filesystem (its root), made on first use with the
    /// host's files ([`crate::config::host_files`]).
    pub(super) fn host(&mut self, node: &str) -> VolumeId {
        match self.host {
            Some(id) => id,
            None => {
                // Shared: the node's NFS server (`exportfs`) serves from it.
                let files = ImageTree::from_files(&crate::config::host_files(node)).entries;
                let tree = crate::config::image_fs::Tree::from_entries(files);
                let id = self.vols.attach(Rc::new(std::cell::RefCell::new(tree)));
                self.host = Some(id);
                id
            }
        }
    }

    /// The node's own filesystem as a shared tree (what its NFS server
    /// exports from).
    pub(super) fn host_tree(&mut self, node: &str) -> Option<crate::config::image_fs::SharedTree> {
        let id = self.host(node);
        self.vols.shared(id)
    }

    /// Joins the cluster's NFS servers; a node that is one keeps its files
    /// in the server's tree (its exports are directories of its own
    /// filesystem).
    pub(super) fn set_nfs(&mut self, nfs: Rc<NfsServers>, node: &str) {
        if let Some(tree) = nfs.node_tree(node) {
            self.host = Some(self.vols.attach(tree));
        }
        self.nfs = nfs;
    }

    /// Joins the cluster's disk service.
    pub(super) fn set_disks(&mut self, disks: Rc<Disks>) {
        self.disks = disks;
    }

    /// Mounts a pod's network volume `v` (`nfs`, or a claim bound to an
    /// NFS or hostPath volume) as the kubelet's volume manager does when
    /// the pod starts; the error is `mount.nfs`'s, or why the claim has no
    /// volume to mount.
    pub(super) fn mount_network(
        &mut self,
        uid: &str,
        v: &Volume,
        ns: &str,
        cache: &ConfigCache,
        node: &str,
    ) -> Result<(), MountFailure> {
        if self
            .network
            .get(uid)
            .is_some_and(|n| n.contains_key(&v.name))
        {
            return Ok(());
        }
        let (nfs, host_path, disk, read_only, pv_name) = if let Some(n) = &v.nfs {
            (
                Some(n.clone()),
                None,
                None,
                n.read_only.unwrap_or(false),
                None,
            )
        } else {
            let Some(c) = v.persistent_volume_claim.as_ref() else {
                return Ok(());
            };
            let Some((_, pv)) = cache.claim(ns, &c.claim_name) else {
                return Err(MountFailure::ClaimNotFound(c.claim_name.clone()));
            };
            let Some(pv) = pv else {
                return Err(MountFailure::ClaimNotBound(c.claim_name.clone()));
            };
            let spec = pv.spec.clone().unwrap_or_default();
            let ro = c.read_only.unwrap_or(false)
                || spec.nfs.as_ref().and_then(|n| n.read_only).unwrap_or(false)
                || spec.csi.as_ref().and_then(|c| c.read_only).unwrap_or(false);
            let size_bytes = capacity_bytes(&spec);
            let disk = spec
                .csi
                .filter(|c| c.driver == crate::storage::disks::DRIVER)
                .map(|c| (c.volume_handle, size_bytes));
            (
                spec.nfs,
                spec.host_path.map(|h| h.path),
                disk,
                ro,
                pv.metadata.name.clone(),
            )
        };
        let (volume, base, source) = if let Some(n) = nfs {
            let (tree, path) =
                self.nfs
                    .mount(&n.server, &n.path)
                    .map_err(|error| MountFailure::Nfs {
                        volume: pv_name.clone().unwrap_or_else(|| v.name.clone()),
                        target: format!("{}:{}", n.server, n.path),
                        error,
                    })?;
            let source = MountSource::Nfs {
                server: n.server.clone(),
                path: n.path.clone(),
            };
            let remote = n
                .server
                .parse()
                .ok()
                .map(|address| super::container_fs::Remote::Nfs {
                    servers: Rc::clone(&self.nfs),
                    address,
                });
            (self.vols.attach_from(tree, remote), path, source)
        } else if let Some(path) = host_path {
            let path = normalize(&path);
            let host = self.host(node);
            self.vols.mkdir_p(host, &path);
            (host, path, MountSource::Disk)
        } else if let Some((id, size_bytes)) = disk {
            let tree = self
                .disks
                .files_on(&id, node)
                .ok_or(MountFailure::NotAttached)?;
            let remote = super::container_fs::Remote::Disk {
                disks: Rc::clone(&self.disks),
                id,
                node: node.to_owned(),
            };
            (
                self.vols.attach_from(tree, Some(remote)),
                "/".to_owned(),
                MountSource::BlockDevice { size_bytes },
            )
        } else {
            // Another kind of volume: nothing the model mounts.
            return Ok(());
        };
        self.network.entry(uid.to_owned()).or_default().insert(
            v.name.clone(),
            NetworkMount {
                volume,
                base,
                read_only,
                source,
            },
        );
        Ok(())
    }

    /// Empties pod `uid`'s network volume `name` (everything below its
    /// mounted directory), as the recycler's `find -delete` does.
    pub(super) fn scrub(&mut self, uid: &str, name: &str) {
        let Some(m) = self.network.get(uid).and_then(|n| n.get(name)).cloned() else {
            return;
        };
        let Some(tree) = self.vols.shared(m.volume) else {
            return;
        };
        let mut tree = tree.borrow_mut();
        let below: Vec<String> = tree
            .entries()
            .keys()
            .filter(|p| {
                p.len() > m.base.len()
                    && p.starts_with(&m.base)
                    && (m.base == "/" || p.as_bytes()[m.base.len()] == b'/')
                    && p.matches('/').count()
                        == m.base.trim_end_matches('/').matches('/').count() + 1
            })
            .cloned()
            .collect();
        for p in below {
            tree.remove_dir_all(&p);
        }
    }

    /// The node's root filesystem as its own shell sees it: the host volume
    /// mounted at `/`.
    pub(super) fn host_view(&mut self, node: &str) -> ContainerFs {
        let host = self.host(node);
        let mount = Mount {
            path: "/".to_owned(),
            volume: host,
            sub_path: "/".to_owned(),
            read_only: false,
            source: MountSource::Disk,
        };
        ContainerFs::new(Arc::new(ImageTree::new([])), vec![mount], &self.vols)
    }

    /// The pod's volume `name`, made with `entries` when new.
    fn pod_volume(
        &mut self,
        uid: &str,
        name: &str,
        entries: impl FnOnce() -> Vec<(String, FsEntry)>,
    ) -> VolumeId {
        if let Some(id) = self.pods.get(uid).and_then(|v| v.get(name)) {
            return *id;
        }
        let id = self.vols.create_with(entries());
        self.pods
            .entry(uid.to_owned())
            .or_default()
            .insert(name.to_owned(), id);
        id
    }

    /// The mounts of `container` of the pod, its volumes made or refreshed.
    fn mounts(
        &mut self,
        uid: &str,
        container: &Container,
        ctx: &PodContext<'_>,
        cache: &ConfigCache,
    ) -> Vec<Mount> {
        let pod = ctx.pod;
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        let etc = self.pod_volume(uid, ETC_VOLUME, || etc_entries(ctx));
        let mut mounts: Vec<Mount> = ["hostname", "hosts", "resolv.conf"]
            .into_iter()
            .filter(|f| {
                self.vols
                    .tree(etc)
                    .is_some_and(|t| t.get(&format!("/{f}")).is_some())
            })
            .map(|f| Mount {
                path: format!("/etc/{f}"),
                volume: etc,
                sub_path: format!("/{f}"),
                read_only: false,
                source: MountSource::Disk,
            })
            .collect();
        let volumes = pod.spec.as_ref().and_then(|s| s.volumes.as_ref());
        for m in container.volume_mounts.iter().flatten() {
            let Some(v) = volumes.and_then(|vs| vs.iter().find(|v| v.name == m.name)) else {
                continue;
            };
            let sub_path = normalize(m.sub_path.as_deref().unwrap_or(""));
            let (volume, sub_path, forced_ro) =
                if let Some(entries) = projected_entries(v, ns, cache, ctx) {
                    let id = self.pod_volume(uid, &v.name, Vec::new);
                    self.vols.replace(id, entries);
                    (id, sub_path, true)
                } else if let Some(n) = self.network.get(uid).and_then(|n| n.get(&v.name)) {
                    let base = normalize(&format!("{}/{sub_path}", n.base));
                    (n.volume, base, n.read_only)
                } else if let Some(h) = &v.host_path {
                    let host = self.host(ctx.node_name);
                    let base = normalize(&h.path);
                    // The runtime makes a missing source directory.
                    self.vols.mkdir_p(host, &base);
                    (host, normalize(&format!("{base}/{sub_path}")), false)
                } else {
                    (self.pod_volume(uid, &v.name, Vec::new), sub_path, false)
                };
            if v.empty_dir.is_some() && sub_path != "/" {
                // The kubelet makes a subPath directory that is missing.
                self.vols.mkdir_p(volume, &sub_path);
            }
            mounts.push(Mount {
                path: normalize(&m.mount_path),
                volume,
                sub_path,
                read_only: forced_ro || m.read_only.unwrap_or(false),
                source: self
                    .network
                    .get(uid)
                    .and_then(|n| n.get(&v.name))
                    .map_or_else(|| mount_source(v, ns, cache), |n| n.source.clone()),
            });
        }
        mounts
    }

    /// The filesystem of container instance `key` (made from `image` on
    /// first use), with its pod's volumes made or refreshed.
    pub(super) fn container(
        &mut self,
        key: &ContainerKey,
        image: impl FnOnce() -> Arc<ImageTree>,
        container: &Container,
        ctx: &PodContext<'_>,
        cache: &ConfigCache,
    ) -> (&mut ContainerFs, &mut VolumeStore) {
        let mounts = self.mounts(&key.0, container, ctx, cache);
        let fs = self
            .containers
            .entry(key.clone())
            .or_insert_with(|| ContainerFs::new(image(), mounts, &self.vols));
        (fs, &mut self.vols)
    }

    /// A container starts (again): its next look gets a fresh layer, its
    /// log starts over.
    pub(super) fn container_started(&mut self, key: &ContainerKey) {
        self.containers.remove(key);
        self.logs.remove(key);
    }

    /// Takes container instance `key`'s filesystem out (an exec session
    /// holds it while the node's other files serve requests).
    pub(super) fn take_container(&mut self, key: &ContainerKey) -> Option<ContainerFs> {
        self.containers.remove(key)
    }

    /// Puts back what [`Self::take_container`] took.
    pub(super) fn put_container(&mut self, key: ContainerKey, fs: ContainerFs) {
        self.containers.insert(key, fs);
    }

    /// The volumes, and what servers read beside them.
    pub(super) fn split(&mut self) -> (&mut VolumeStore, Shared<'_>) {
        (
            &mut self.vols,
            Shared {
                containers: &self.containers,
                pods: &self.pods,
                network: &self.network,
                host: self.host,
                logs: &mut self.logs,
            },
        )
    }

    /// What container instance `key` printed since it started.
    pub(super) fn log_lines(&self, key: &ContainerKey) -> impl Iterator<Item = &String> {
        self.logs.get(key).into_iter().flatten()
    }

    /// The pod is gone: its volumes and its containers' layers with it.
    pub(super) fn forget_pod(&mut self, uid: &str) {
        if let Some(vols) = self.pods.remove(uid) {
            for id in vols.into_values() {
                self.vols.remove(id);
            }
        }
        // Its NFS mounts go (the host's own disk stays).
        if let Some(mounts) = self.network.remove(uid) {
            for m in mounts.into_values() {
                if self.vols.is_shared(m.volume) && Some(m.volume) != self.host {
                    self.vols.remove(m.volume);
                }
            }
        }
        let range = (uid.to_owned(), 0)..=(uid.to_owned(), usize::MAX);
        let keys: Vec<ContainerKey> = self
            .containers
            .range(range.clone())
            .map(|(k, _)| k.clone())
            .collect();
        for k in keys {
            self.containers.remove(&k);
        }
        let keys: Vec<ContainerKey> = self.logs.range(range).map(|(k, _)| k.clone()).collect();
        for k in keys {
            self.logs.remove(&k);
        }
    }

    /// The node lost power: its pods are gone, its own disk stays.
    pub(super) fn power_loss(&mut self) {
        let mut uids: Vec<String> = self.pods.keys().cloned().collect();
        uids.extend(self.network.keys().cloned());
        for uid in uids {
            self.forget_pod(&uid);
        }
        self.containers.clear();
        self.logs.clear();
    }

    /// Bytes of file content held (volumes and layers).
    pub(super) fn bytes(&self) -> usize {
        // The node's own filesystem is a shared tree (its NFS server's),
        // but its files are on this node's disk.
        let host = self
            .host
            .and_then(|id| self.vols.tree(id).map(|t| t.bytes()))
            .unwrap_or(0);
        self.vols.bytes()
            + host
            + self
                .containers
                .values()
                .map(ContainerFs::layer_bytes)
                .sum::<usize>()
    }
}
