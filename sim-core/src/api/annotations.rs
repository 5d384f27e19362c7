//! Well-known annotations and how to read them.
//!
//! Annotations are strings; controllers and kubectl read some of them as
//! numbers (`deployment.kubernetes.io/revision`,
//! `controller.kubernetes.io/pod-deletion-cost`, ...). [`get`] and [`parse`]
//! are the one way to read them, so a missing map, a missing key and a value
//! that does not parse are handled the same everywhere (as Go's
//! `strconv.Atoi` failing: the caller's default applies).

use std::str::FromStr;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// A ReplicaSet's (and its Deployment's) revision number
/// (`pkg/controller/deployment/util`).
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// The revisions a ReplicaSet had before its current one, comma-separated.
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
/// The Deployment's replicas when the ReplicaSet was last scaled.
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
/// The Deployment's replicas plus maxSurge when the ReplicaSet was last scaled.
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
/// kubectl's `--record`: the command that made a change.
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
/// The cost of deleting a pod when its ReplicaSet scales down.
pub const POD_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";
/// Marks a mirror pod (the API's copy of a kubelet's static pod).
pub const CONFIG_MIRROR: &str = "kubernetes.io/config.mirror";
/// The container `kubectl logs` and `exec` pick when none is named.
pub const DEFAULT_CONTAINER: &str = "kubectl.kubernetes.io/default-container";
/// `kubectl apply`'s record of the configuration it last applied.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// `kubectl rollout restart`'s stamp on a pod template.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// The value of annotation `key`, if set.
pub fn get<'a>(meta: &'a ObjectMeta, key: &str) -> Option<&'a str> {
    meta.annotations.as_ref()?.get(key).map(String::as_str)
}

/// True when annotation `key` is set (to any value).
pub fn has(meta: &ObjectMeta, key: &str) -> bool {
    get(meta, key).is_some()
}

/// The value of annotation `key` parsed as `T`; None when it is missing or
/// does not parse.
pub fn parse<T: FromStr>(meta: &ObjectMeta, key: &str) -> Option<T> {
    get(meta, key)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_unparsable_and_present_values() {
        let mut meta = ObjectMeta::default();
        assert_eq!(get(&meta, REVISION), None);
        assert_eq!(parse::<i64>(&meta, REVISION), None);
        meta.annotations = Some([(REVISION.to_owned(), "x".to_owned())].into());
        assert!(has(&meta, REVISION));
        assert_eq!(parse::<i64>(&meta, REVISION), None, "not a number");
        meta.annotations = Some([(REVISION.to_owned(), "12".to_owned())].into());
        assert_eq!(parse::<i64>(&meta, REVISION), Some(12));
        assert_eq!(get(&meta, REVISION), Some("12"));
    }
}
