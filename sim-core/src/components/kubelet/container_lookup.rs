//! What the kubelet looks up about a pod's containers: the environment a
//! container starts with (`kubelet_pods.go` makeEnvironmentVariables), the
//! files its command names (read when it starts), its waiting reason.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;

use super::container_env::{self, ContainerConfigError, EnvList, PodContext};
use super::pod_worker::CState;
use super::Kubelet;
use crate::components::Ctx;
use crate::config::ImageProfile;

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
        &mut self,
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
        let key = (uid.to_owned(), idx);
        let (fs, vols) =
            self.files
                .container(&key, || profile.image_tree(), spec, &pctx, &self.cache);
        for p in paths {
            if let Ok(content) = fs.read(vols, p) {
                files.insert(container_env::normalize(p), content);
            }
        }
        files
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
