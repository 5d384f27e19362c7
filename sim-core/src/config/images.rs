//! Image profiles: how an image behaves in the simulation (size, pull and
//! start times, exit, logs, memory and health over time) and what it holds
//! (its environment, working directory and files), and the catalog that
//! finds a profile for an image reference.

use std::collections::BTreeMap;

use std::sync::Arc;

use super::builtin_images;
use super::image_fs::{ImageTree, ImageTreeCell};
use crate::time::SimDuration;

/// What a container does when it exits on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitBehaviour {
    /// Time from start to exit.
    pub after: SimDuration,
    /// The exit code.
    pub code: i32,
}

/// How an image behaves: its size, how long it takes to pull and start, and how it exits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageProfile {
    /// Size as the node reports it in `status.images`, bytes.
    pub size_bytes: u64,
    /// Fixed pull time; when None, size / node bandwidth.
    pub pull_duration: Option<SimDuration>,
    /// Time from container start to running.
    pub startup: SimDuration,
    /// Time to stop after SIGTERM.
    pub stop: SimDuration,
    /// Exit on its own, when set; otherwise runs until stopped.
    pub exit: Option<ExitBehaviour>,
    /// The image does not exist in any registry (pulls fail).
    pub missing: bool,
    /// Log lines the container writes when it starts.
    pub logs: Vec<String>,
    /// The image's own environment (its config `Env`), in image order; an
    /// empty list means the runtime default `PATH` only.
    pub env: Vec<(String, String)>,
    /// Files of the image's filesystem, path → content; a path ending in `/`
    /// is a directory (its content ignored). See [`super::image_fs`] for
    /// programs and links.
    pub files: BTreeMap<String, String>,
    /// The image's working directory (its config `WorkingDir`; `/` when unset).
    pub workdir: String,
    /// The tree `files` describe, built once on first use.
    pub tree: ImageTreeCell,
    /// The server the image's main process runs (None: it serves nothing).
    pub server: Option<ServerProfile>,
    /// The add-on controller the image's main process is (an API client
    /// modelled by a component of its own), if any.
    pub addon: Option<Addon>,
    /// Memory the process uses from its start, bytes (None: negligible). A
    /// container whose use exceeds its memory limit is OOM-killed.
    pub memory_bytes: Option<i64>,
    /// Changes of the process's health and memory use over time, measured
    /// from each container start, in time order (empty: healthy throughout).
    pub health: Vec<HealthChange>,
    /// The image is in a private repository: pulls need an `imagePullSecrets`
    /// entry with credentials for its registry.
    pub private: bool,
}

/// An add-on whose process is a controller (an API client of its own),
/// run by a component while a pod of its image runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addon {
    /// kubernetes-sigs/nfs-subdir-external-provisioner
    /// ([`crate::components::nfs_provisioner`]).
    NfsSubdirProvisioner,
    /// The PersistentVolume controller's recycler pod: its script empties
    /// the volume mounted at `/scrub` and exits.
    VolumeRecycler,
}

/// The server an image's main process runs when the container keeps the
/// image's entrypoint (no `command` of its own).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerProfile {
    /// nginx on port 80 serving `/usr/share/nginx/html`, its access log on
    /// stdout.
    Nginx {
        /// The version in the `Server` header and the error pages.
        version: String,
    },
    /// Tomcat on port 8080 serving the applications of
    /// `/usr/local/tomcat/webapps` (ROOT at `/`).
    Tomcat {
        /// The version in the error pages.
        version: String,
    },
    /// The ingress-nginx controller: nginx on port 80 proxying each request
    /// to the backend its Ingresses choose
    /// ([`crate::components::ingress`]).
    IngressNginx,
    /// A scenario's own HTTP behaviour: paths answered with a status and a
    /// body.
    Http {
        /// The port it listens on.
        port: u16,
        /// Each path's answer (a path not listed: 404).
        routes: BTreeMap<String, HttpRoute>,
        /// How long an answer takes (kept for the networking model: an exec
        /// does not move the virtual clock).
        latency: SimDuration,
    },
}

impl ServerProfile {
    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        match self {
            ServerProfile::Nginx { .. } | ServerProfile::IngressNginx => 80,
            ServerProfile::Tomcat { .. } => 8080,
            ServerProfile::Http { port, .. } => *port,
        }
    }
}

/// The answer of a scenario's HTTP server to one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRoute {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: String,
}

/// From `after` (since the container started) on: what the probes answer and
/// how much memory the process uses; a field left None keeps its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthChange {
    /// Time from container start.
    pub after: SimDuration,
    /// Liveness (and startup) probes succeed.
    pub liveness: Option<bool>,
    /// Readiness probes succeed.
    pub readiness: Option<bool>,
    /// Memory use, bytes.
    pub memory_bytes: Option<i64>,
}

/// The health of a container process at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Health {
    /// Liveness and startup probes succeed.
    pub liveness: bool,
    /// Readiness probes succeed.
    pub readiness: bool,
    /// Memory use, bytes (None: negligible).
    pub memory_bytes: Option<i64>,
}

impl ImageProfile {
    /// The lines `kubectl logs` shows for a container of this image started
    /// at `started_at`: `logs` with each `{start:FORMAT}` replaced by that
    /// time in `strftime` FORMAT (UTC).
    pub fn log_lines(&self, started_at: crate::time::SimTime) -> Vec<String> {
        let at = crate::api::meta::timestamp(started_at);
        self.logs
            .iter()
            .map(|line| {
                let mut out = String::new();
                let mut rest = line.as_str();
                while let Some(i) = rest.find("{start:") {
                    let Some(end) = rest[i..].find('}') else {
                        break;
                    };
                    out.push_str(&rest[..i]);
                    let format = &rest[i + "{start:".len()..i + end];
                    match k8s_openapi::jiff::fmt::strtime::format(format, at) {
                        Ok(text) => out.push_str(&text),
                        Err(_) => out.push_str(&rest[i..=i + end]),
                    }
                    rest = &rest[i + end + 1..];
                }
                out.push_str(rest);
                out
            })
            .collect()
    }

    /// The image's filesystem, shared by every container started from it
    /// (built from `files` the first time it is asked for; a profile is not
    /// changed once a cluster runs with it).
    pub fn image_tree(&self) -> Arc<ImageTree> {
        self.tree.get_or_build(&self.files)
    }

    /// The process's health `since_start` after its container started.
    pub fn health_at(&self, since_start: SimDuration) -> Health {
        let mut h = Health {
            liveness: true,
            readiness: true,
            memory_bytes: self.memory_bytes,
        };
        for c in self.health.iter().filter(|c| c.after <= since_start) {
            h.liveness = c.liveness.unwrap_or(h.liveness);
            h.readiness = c.readiness.unwrap_or(h.readiness);
            h.memory_bytes = c.memory_bytes.or(h.memory_bytes);
        }
        h
    }

    /// When (since start) the memory use first exceeds `limit` bytes.
    pub fn oom_after(&self, limit: i64) -> Option<SimDuration> {
        if self.memory_bytes.is_some_and(|m| m > limit) {
            return Some(SimDuration::ZERO);
        }
        self.health
            .iter()
            .find(|c| c.memory_bytes.is_some_and(|m| m > limit))
            .map(|c| c.after)
    }
}

impl Default for ImageProfile {
    fn default() -> Self {
        Self {
            size_bytes: 100 * 1000 * 1000,
            pull_duration: None,
            startup: SimDuration::from_millis(500),
            stop: SimDuration::from_millis(200),
            exit: None,
            missing: false,
            logs: Vec::new(),
            env: Vec::new(),
            files: BTreeMap::new(),
            workdir: "/".to_owned(),
            tree: ImageTreeCell::default(),
            server: None,
            addon: None,
            memory_bytes: None,
            health: Vec::new(),
            private: false,
        }
    }
}

/// Image profiles by image reference, with a default for unknown images.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ImageCatalog {
    /// Profiles keyed by full reference (`nginx:1.14.2`) or repository (`nginx`).
    pub profiles: BTreeMap<String, ImageProfile>,
    /// The profile of images not listed.
    pub default: ImageProfile,
}

impl ImageCatalog {
    /// The built-in catalog: the images of a kubeadm control plane and of the
    /// course, with their real sizes (as `crictl images` reports them, rounded).
    pub fn builtin() -> Self {
        let mut profiles = BTreeMap::new();
        let mut add = |name: &str, size_mb: u64, startup_ms: u64| {
            let content = builtin_images::content(name);
            profiles.insert(
                name.to_owned(),
                ImageProfile {
                    size_bytes: size_mb * 1000 * 1000,
                    startup: SimDuration::from_millis(startup_ms),
                    env: content.env,
                    files: content.files,
                    workdir: content.workdir,
                    logs: content.logs,
                    server: content.server,
                    addon: content.addon,
                    ..ImageProfile::default()
                },
            );
        };
        add("registry.k8s.io/etcd:3.5.21-0", 58, 1000);
        add("registry.k8s.io/kube-apiserver:v1.33.0", 30, 2000);
        add("registry.k8s.io/kube-controller-manager:v1.33.0", 27, 1000);
        add("registry.k8s.io/kube-scheduler:v1.33.0", 21, 1000);
        add("registry.k8s.io/kube-proxy:v1.33.0", 31, 500);
        add("registry.k8s.io/coredns/coredns:v1.12.0", 20, 1000);
        add("registry.k8s.io/pause:3.10", 1, 100);
        add("nginx", 70, 300);
        add("nginx:1.14.2", 44, 300);
        add("tomcat", 180, 3000);
        add("tomcat:9.0.55", 284, 3000);
        add("tomcat:10.1.11", 190, 3000);
        add("redis", 45, 300);
        add("busybox", 2, 100);
        add("alpine", 8, 100);
        add("debian", 117, 100);
        add("ubuntu", 78, 100);
        add("centos", 231, 100);
        add(builtin_images::DNSUTILS_IMAGE, 112, 100);
        // ingress-nginx's controller under the names the course and the
        // project's manifests use.
        for repo in builtin_images::INGRESS_NGINX_REPOSITORIES {
            add(repo, 105, 2000);
        }
        // The admission webhook's certificate generator, run by the
        // manifest's two Jobs: it writes a Secret (not modelled) and exits.
        for repo in builtin_images::CERTGEN_REPOSITORIES {
            add(repo, 20, 500);
        }
        for repo in builtin_images::NFS_PROVISIONER_REPOSITORIES {
            add(repo, 17, 500);
        }
        add(builtin_images::RECYCLER_REPOSITORY, 30, 100);
        if let Some(p) = profiles.get_mut(builtin_images::RECYCLER_REPOSITORY) {
            // `find /scrub -mindepth 1 -delete`, then exit 0.
            p.exit = Some(ExitBehaviour {
                after: SimDuration::from_secs(1),
                code: 0,
            });
        }
        for repo in builtin_images::CERTGEN_REPOSITORIES {
            if let Some(p) = profiles.get_mut(repo) {
                p.exit = Some(ExitBehaviour {
                    after: SimDuration::from_secs(2),
                    code: 0,
                });
            }
        }
        Self {
            profiles,
            default: ImageProfile::default(),
        }
    }

    /// The profile of an image: exact reference first, then the repository
    /// without tag or digest, then the default.
    pub fn lookup(&self, image: &str) -> &ImageProfile {
        if let Some(p) = self.profiles.get(image) {
            return p;
        }
        let repo = image_repository(image);
        self.profiles.get(repo).unwrap_or(&self.default)
    }
}

/// The repository part of an image reference (no tag, no digest).
pub fn image_repository(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let slash = no_digest.rfind('/').map_or(0, |i| i + 1);
    match no_digest[slash..].find(':') {
        Some(colon) => &no_digest[..slash + colon],
        None => no_digest,
    }
}

/// The image reference as the node lists it: with `:latest` when there is no tag
/// (as ImageLocality normalises it).
pub fn normalized_image(image: &str) -> String {
    if image.contains('@') || image_repository(image).len() != image.len() {
        image.to_owned()
    } else {
        format!("{image}:latest")
    }
}
