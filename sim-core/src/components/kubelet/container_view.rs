//! What `kubectl exec` sees of a running container: its environment
//! (resolved by the kubelet at the container's start, `kubelet_pods.go`
//! makeEnvironmentVariables), its filesystem (image files and volume
//! mounts), and the files its command named when it started.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;

use super::container_env::{self, ContainerConfigError, EnvList, FsEntry, FsView, PodContext};
use super::pod_worker::CState;
use super::Kubelet;
use crate::components::Ctx;
use crate::config::{ImageCatalog, ImageProfile};
use crate::time::SimTime;

/// What a running container looks like from inside (for `kubectl exec`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerView {
    /// The process environment, as resolved when the container started.
    pub env: EnvList,
    /// The container's `command` (empty: the image's entrypoint).
    pub command: Vec<String>,
    /// The container's `args` (empty with no `command`: the image's cmd).
    pub args: Vec<String>,
    /// The files its command and args name by absolute path, as they were
    /// when it started (what its process read then).
    pub files_at_start: BTreeMap<String, String>,
    /// The filesystem.
    pub fs: FsView,
    /// The hostname.
    pub hostname: String,
    /// The image reference.
    pub image: String,
    /// When the container started.
    pub started_at: SimTime,
}

/// The kubelet's answer to an exec request it cannot serve.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// The pod does not run on this node (any more).
    #[error("pod does not exist")]
    PodDoesNotExist,
    /// No running container of that name.
    #[error("container not found (\"{container}\")")]
    ContainerNotFound {
        /// The container asked for.
        container: String,
    },
}

impl Kubelet {
    /// The environment of container `idx` of pod `uid` as the runtime would
    /// start it, or why it cannot be built; None when the pod or the
    /// container is gone.
    pub(super) fn resolve_env(
        &self,
        ctx: &Ctx<'_>,
        uid: &str,
        idx: usize,
    ) -> Option<Result<EnvList, ContainerConfigError>> {
        let w = self.workers.get(uid)?;
        let pod = w.pod.as_pod()?;
        let c = w.ctrs.get(idx)?;
        let spec = find_container(pod, &c.name)?;
        let pctx = PodContext {
            pod,
            pod_ip: w.ip.as_deref().unwrap_or(&self.host_ip),
            host_ip: &self.host_ip,
            node_name: &self.node_name,
        };
        let vars = match container_env::kubelet_env(spec, &pctx, &self.cache) {
            Ok(vars) => vars,
            Err(e) => return Some(Err(e)),
        };
        let profile = ctx.config().images.lookup(&c.image);
        let hostname = container_env::pod_hostname(pod, &self.node_name);
        Some(Ok(container_env::container_env(profile, &hostname, &vars)))
    }

    /// The regular files that the command and args of container `idx` name by
    /// absolute path, with their content in the container's filesystem now
    /// (called when the container starts: what its process reads then).
    pub(super) fn files_named_by_command(
        &self,
        uid: &str,
        idx: usize,
        profile: &ImageProfile,
    ) -> BTreeMap<String, String> {
        let mut files = BTreeMap::new();
        let Some(w) = self.workers.get(uid) else {
            return files;
        };
        let Some(pod) = w.pod.as_pod() else {
            return files;
        };
        let Some(spec) = w.ctrs.get(idx).and_then(|c| find_container(pod, &c.name)) else {
            return files;
        };
        let paths: Vec<&String> = spec
            .command
            .iter()
            .flatten()
            .chain(spec.args.iter().flatten())
            .filter(|a| a.starts_with('/'))
            .collect();
        if paths.is_empty() {
            return files;
        }
        let pctx = PodContext {
            pod,
            pod_ip: w.ip.as_deref().unwrap_or(&self.host_ip),
            host_ip: &self.host_ip,
            node_name: &self.node_name,
        };
        let fs = container_env::container_fs(spec, &pctx, profile, &self.cache);
        for p in paths {
            if let Some((_, FsEntry::File { content, .. })) = fs.resolve(p) {
                files.insert(container_env::normalize(p), content.clone());
            }
        }
        files
    }

    /// What `kubectl exec` reaches through the API server: a running
    /// container's environment (resolved at its start) and filesystem, or the
    /// kubelet's error (`pod does not exist`, `container not found ("x")`).
    pub fn container_view(
        &self,
        images: &ImageCatalog,
        namespace: &str,
        pod: &str,
        container: &str,
    ) -> Result<ContainerView, ExecError> {
        let w = self
            .workers
            .values()
            .find(|w| w.pod.namespace() == namespace && w.pod.name() == pod && !w.delete_sent)
            .ok_or(ExecError::PodDoesNotExist)?;
        let not_found = || ExecError::ContainerNotFound {
            container: container.to_owned(),
        };
        let c = w
            .ctrs
            .iter()
            .find(|c| c.name == container && c.is_running())
            .ok_or_else(not_found)?;
        let p = w.pod.as_pod().ok_or_else(not_found)?;
        let spec = find_container(p, container).ok_or_else(not_found)?;
        let pctx = PodContext {
            pod: p,
            pod_ip: w.ip.as_deref().unwrap_or(&self.host_ip),
            host_ip: &self.host_ip,
            node_name: &self.node_name,
        };
        let profile = images.lookup(&c.image);
        Ok(ContainerView {
            env: c.env.clone().unwrap_or_default(),
            command: spec.command.clone().unwrap_or_default(),
            args: spec.args.clone().unwrap_or_default(),
            files_at_start: c.files_at_start.clone(),
            fs: container_env::container_fs(spec, &pctx, profile, &self.cache),
            hostname: container_env::pod_hostname(p, &self.node_name),
            image: c.image.clone(),
            started_at: match c.state {
                CState::Running { started_at } => started_at,
                _ => SimTime::ZERO,
            },
        })
    }

    /// The waiting reason and message of a container of a pod this kubelet runs.
    pub fn container_waiting(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
    ) -> Option<(String, Option<String>)> {
        let w = self
            .workers
            .values()
            .find(|w| w.pod.namespace() == namespace && w.pod.name() == pod)?;
        match &w.ctrs.iter().find(|c| c.name == container)?.state {
            CState::Waiting { reason, message } => Some(((*reason).to_owned(), message.clone())),
            _ => None,
        }
    }
}

pub(super) fn find_container<'a>(
    pod: &'a Pod,
    name: &str,
) -> Option<&'a k8s_openapi::api::core::v1::Container> {
    let spec = pod.spec.as_ref()?;
    spec.containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .find(|c| c.name == name)
}
