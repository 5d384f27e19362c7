//! Registry credentials: which registry an image comes from, its fully
//! qualified reference as containerd prints it, and whether a pod's
//! `imagePullSecrets` hold credentials for that registry
//! (pkg/credentialprovider: the keys of `auths` in `.dockerconfigjson`).

use k8s_openapi::api::core::v1::{Pod, Secret};

/// The registry host of an image: the first path component when it looks
/// like a host (has a `.` or `:`, or is `localhost`), else `docker.io`.
pub(crate) fn registry_host(image: &str) -> String {
    match image.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => {
            normalize_host(first)
        }
        _ => "docker.io".to_owned(),
    }
}

/// The reference as containerd resolves it: `nginx` →
/// `docker.io/library/nginx:latest`.
pub(crate) fn full_reference(image: &str) -> String {
    let image = crate::config::normalized_image(image);
    match image.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => image,
        Some(_) => format!("docker.io/{image}"),
        None => format!("docker.io/library/{image}"),
    }
}

/// A host of an `auths` key: without scheme and path; Docker Hub's
/// aliases (`index.docker.io`, `registry-1.docker.io`) are `docker.io`.
fn normalize_host(key: &str) -> String {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = key.split('/').next().unwrap_or(key).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_owned()
        }
        _ => host,
    }
}

/// The registry hosts a docker-config Secret has credentials for.
pub(crate) fn secret_registries(secret: &Secret) -> Vec<String> {
    let (key, nested) = match secret.type_.as_deref() {
        Some("kubernetes.io/dockerconfigjson") => (".dockerconfigjson", true),
        Some("kubernetes.io/dockercfg") => (".dockercfg", false),
        _ => return Vec::new(),
    };
    let Some(bytes) = secret.data.as_ref().and_then(|d| d.get(key)) else {
        return Vec::new();
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&bytes.0) else {
        return Vec::new();
    };
    let auths = if nested { &json["auths"] } else { &json };
    auths
        .as_object()
        .map(|m| m.keys().map(|k| normalize_host(k)).collect())
        .unwrap_or_default()
}

/// True when one of the pod's `imagePullSecrets` (looked up with `secret`)
/// has credentials for the registry of `image`.
pub(crate) fn has_credentials<'a>(
    pod: &Pod,
    image: &str,
    secret: impl Fn(&str, &str) -> Option<&'a Secret>,
) -> bool {
    let host = registry_host(image);
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    pod.spec
        .iter()
        .flat_map(|s| s.image_pull_secrets.iter().flatten())
        .filter_map(|r| secret(ns, &r.name))
        .any(|s| secret_registries(s).contains(&host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_references() {
        assert_eq!(registry_host("nginx"), "docker.io");
        assert_eq!(registry_host("tuling/app:1.0"), "docker.io");
        assert_eq!(
            registry_host("registry.example.com/app:1"),
            "registry.example.com"
        );
        assert_eq!(full_reference("nginx"), "docker.io/library/nginx:latest");
        assert_eq!(full_reference("tuling/app:1.0"), "docker.io/tuling/app:1.0");
        assert_eq!(normalize_host("https://index.docker.io/v1/"), "docker.io");
    }
}
