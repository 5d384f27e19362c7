//! What pkg/controller/controller_utils.go gives every controller that
//! manages pods: which pods are active (`IsPodActive`), a pod made from a
//! template (`GetPodFromTemplate`), and the orders in which pods are removed:
//! `ActivePods.Less` (the Job controller's `activePodsForRemoval`) and
//! `ActivePodsWithRanks.Less` (the ReplicaSet controller's
//! `getPodsToDelete`, with PodDeletionCost and LogarithmicScaleDown on, as
//! in v1.33).

use std::cmp::Ordering;

use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::api::conditions::{self, is_pod_ready};
use crate::api::meta::{owner_reference, sim_time_of};
use crate::api::{annotations, Object};
use crate::time::SimTime;

/// `IsPodActive`: not terminal (Succeeded or Failed) and not being deleted.
pub(crate) fn is_active(pod: &Pod) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    !matches!(phase, Some("Succeeded" | "Failed")) && pod.metadata.deletion_timestamp.is_none()
}

/// `GetPodFromTemplate`: `generateName: <owner>-`, the template's labels,
/// annotations, finalizers and spec, and a controller reference to `owner`.
pub(crate) fn pod_from_template(owner: &Object, template: Option<&PodTemplateSpec>) -> Pod {
    let template = template.cloned().unwrap_or_default();
    let meta = template.metadata.unwrap_or_default();
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-", owner.name())),
            namespace: Some(owner.namespace().to_owned()),
            labels: meta.labels,
            annotations: meta.annotations,
            finalizers: meta.finalizers,
            owner_references: Some(vec![owner_reference(owner, true)]),
            ..Default::default()
        },
        spec: template.spec,
        status: None,
    }
}

/// Pending (and any phase but these) < Unknown < Running.
fn phase_ordinal(pod: &Pod) -> u8 {
    match pod.status.as_ref().and_then(|s| s.phase.as_deref()) {
        Some("Unknown") => 1,
        Some("Running") => 2,
        _ => 0,
    }
}

/// The node a pod is bound to ("" when unscheduled).
pub(crate) fn node_of(pod: &Pod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .unwrap_or("")
}

/// `podReadyTime`: the Ready condition's lastTransitionTime (None: the zero time).
fn ready_time(pod: &Pod) -> Option<SimTime> {
    conditions::pod_condition(pod, conditions::READY)?
        .last_transition_time
        .as_ref()
        .map(|t| sim_time_of(&t.0))
}

/// The creation time (None: the zero time).
fn created_at(pod: &Pod) -> Option<SimTime> {
    pod.metadata
        .creation_timestamp
        .as_ref()
        .map(|t| sim_time_of(&t.0))
}

/// `afterOrZero`: a zero time counts as the newest.
fn after_or_zero(t1: Option<SimTime>, t2: Option<SimTime>) -> bool {
    match (t1, t2) {
        (Some(a), Some(b)) => a > b,
        (a, _) => a.is_none(),
    }
}

/// `logarithmicRankDiff`: floor(log2(ns since t1)) - floor(log2(ns since t2)).
fn log_rank_diff(t1: SimTime, t2: SimTime, now: SimTime) -> i64 {
    let bucket = |t: SimTime| {
        let d = now.as_nanos().saturating_sub(t.as_nanos());
        if d > 0 {
            i64::from(63 - d.leading_zeros())
        } else {
            -1
        }
    };
    bucket(t1) - bucket(t2)
}

/// `controller.kubernetes.io/pod-deletion-cost` (0 when absent or invalid).
fn deletion_cost(pod: &Pod) -> i32 {
    annotations::parse(&pod.metadata, annotations::POD_DELETION_COST).unwrap_or(0)
}

/// The most restarts of any of the pod's containers.
fn max_restarts(pod: &Pod) -> i32 {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .into_iter()
        .flatten()
        .map(|c| c.restart_count)
        .max()
        .unwrap_or(0)
}

/// `ActivePodsWithRanks.Less` (pkg/controller/controller_utils.go, with
/// PodDeletionCost and LogarithmicScaleDown on, as in v1.33): true when pod
/// `a` (with rank `ra`, its co-located related pods) is deleted before `b`.
pub(crate) fn deletion_less(a: &Pod, ra: i64, b: &Pod, rb: i64, now: SimTime) -> bool {
    let (na, nb) = (node_of(a), node_of(b));
    // 1. Unassigned < assigned.
    if na != nb && (na.is_empty() || nb.is_empty()) {
        return na.is_empty();
    }
    // 2. Pending < Unknown < Running.
    if phase_ordinal(a) != phase_ordinal(b) {
        return phase_ordinal(a) < phase_ordinal(b);
    }
    // 3. Not ready < ready.
    if is_pod_ready(a) != is_pod_ready(b) {
        return !is_pod_ready(a);
    }
    // 4. Lower pod-deletion-cost < higher.
    if deletion_cost(a) != deletion_cost(b) {
        return deletion_cost(a) < deletion_cost(b);
    }
    // 5. Doubled up < not doubled up.
    if ra != rb {
        return ra > rb;
    }
    // 6. Been ready for empty time < less time < more time.
    if is_pod_ready(a) && is_pod_ready(b) {
        let (t1, t2) = (ready_time(a), ready_time(b));
        if t1 != t2 {
            let (Some(x), Some(y)) = (t1, t2) else {
                return after_or_zero(t1, t2);
            };
            let diff = log_rank_diff(x, y, now);
            if diff == 0 {
                return a.metadata.uid < b.metadata.uid;
            }
            return diff < 0;
        }
    }
    // 7. More container restarts < fewer.
    if max_restarts(a) != max_restarts(b) {
        return max_restarts(a) > max_restarts(b);
    }
    // 8. Empty creation time < newer < older.
    let (c1, c2) = (created_at(a), created_at(b));
    if c1 != c2 {
        let (Some(x), Some(y)) = (c1, c2) else {
            return after_or_zero(c1, c2);
        };
        let diff = log_rank_diff(x, y, now);
        if diff == 0 {
            return a.metadata.uid < b.metadata.uid;
        }
        return diff < 0;
    }
    false
}

/// `controller.ActivePods.Less` (pkg/controller/controller_utils.go): the
/// pod removed first comes first: unassigned < assigned, Pending < Unknown <
/// Running, not ready < ready, ready more recently < longer, more restarts <
/// fewer, newer < older.
pub(crate) fn removal_order(a: &Pod, b: &Pod) -> Ordering {
    let less = |a: &Pod, b: &Pod| -> Option<bool> {
        let (na, nb) = (node_of(a), node_of(b));
        if na != nb && (na.is_empty() || nb.is_empty()) {
            return Some(na.is_empty());
        }
        if phase_ordinal(a) != phase_ordinal(b) {
            return Some(phase_ordinal(a) < phase_ordinal(b));
        }
        if is_pod_ready(a) != is_pod_ready(b) {
            return Some(!is_pod_ready(a));
        }
        if is_pod_ready(a) && is_pod_ready(b) && ready_time(a) != ready_time(b) {
            return Some(after_or_zero(ready_time(a), ready_time(b)));
        }
        if max_restarts(a) != max_restarts(b) {
            return Some(max_restarts(a) > max_restarts(b));
        }
        if created_at(a) != created_at(b) {
            return Some(after_or_zero(created_at(a), created_at(b)));
        }
        None
    };
    match less(a, b) {
        Some(true) => Ordering::Less,
        Some(false) => Ordering::Greater,
        None => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::{PodCondition, PodSpec, PodStatus};

    use super::*;
    use crate::api::meta::time;
    use crate::time::SimDuration;

    fn pod(uid: &str, node: &str, phase: &str, ready_at: Option<u64>, created: u64) -> Pod {
        Pod {
            metadata: ObjectMeta {
                uid: Some(uid.into()),
                creation_timestamp: Some(time(SimTime::ZERO + SimDuration::from_secs(created))),
                ..Default::default()
            },
            spec: Some(PodSpec {
                node_name: (!node.is_empty()).then(|| node.to_owned()),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some(phase.into()),
                conditions: ready_at.map(|t| {
                    vec![PodCondition {
                        type_: "Ready".into(),
                        status: "True".into(),
                        last_transition_time: Some(time(SimTime::ZERO + SimDuration::from_secs(t))),
                        ..Default::default()
                    }]
                }),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn log_buckets_are_floor_log2_of_nanoseconds() {
        // controller_utils.go logarithmicRankDiff: 1 s = 1e9 ns -> bucket 29
        // (2^29 = 536870912 <= 1e9 < 2^30); 2 s -> 30; 3 s -> 31 (2^31 = 2147483648 <= 3e9).
        let now = SimTime::ZERO + SimDuration::from_secs(10);
        let at = |s| SimTime::ZERO + SimDuration::from_secs(s);
        assert_eq!(log_rank_diff(at(9), at(8), now), 29 - 30);
        assert_eq!(log_rank_diff(at(7), at(8), now), 31 - 30);
        // 5 s (bucket 32: 2^32 = 4294967296 <= 5e9) and 6 s (bucket 32): equal.
        assert_eq!(log_rank_diff(at(5), at(4), now), 0);
        assert_eq!(
            log_rank_diff(at(10), at(10), now),
            0,
            "zero age is bucket -1"
        );
    }

    #[test]
    fn ranking_follows_active_pods_with_ranks_less() {
        // controller_utils.go ActivePodsWithRanks.Less, keys 1 to 8.
        let now = SimTime::ZERO + SimDuration::from_secs(100);
        let unassigned = pod("a", "", "Pending", None, 10);
        let pending = pod("b", "n1", "Pending", None, 10);
        let running_unready = pod("c", "n1", "Running", None, 10);
        let ready_new = pod("d", "n1", "Running", Some(90), 10);
        let ready_old = pod("e", "n1", "Running", Some(20), 10);
        assert!(deletion_less(&unassigned, 0, &pending, 5, now));
        assert!(deletion_less(&pending, 0, &running_unready, 0, now));
        assert!(deletion_less(&running_unready, 0, &ready_new, 0, now));
        // 5. more co-located related pods first, before readiness age.
        assert!(deletion_less(&ready_old, 3, &ready_new, 1, now));
        // 6. ready for 10 s (bucket 33) before ready for 80 s (bucket 36).
        assert!(deletion_less(&ready_new, 1, &ready_old, 1, now));
        // 4. deletion cost beats rank.
        let mut cheap = ready_old.clone();
        cheap.metadata.annotations =
            Some([(annotations::POD_DELETION_COST.to_owned(), "-1".to_owned())].into());
        assert!(deletion_less(&cheap, 0, &ready_new, 9, now));
        // 6. same bucket (ready 90 s and 70 s ago: both 2^36 <= d < 2^37): the lower UID.
        let x = pod("x", "n1", "Running", Some(10), 10);
        let y = pod("y", "n1", "Running", Some(30), 10);
        assert!(deletion_less(&x, 0, &y, 0, now) && !deletion_less(&y, 0, &x, 0, now));
        // 8. same readiness: the newer pod first.
        let older = pod("p", "n1", "Running", Some(50), 1);
        let newer = pod("q", "n1", "Running", Some(50), 60);
        assert!(deletion_less(&newer, 0, &older, 0, now));
    }

    #[test]
    fn removal_prefers_unscheduled_pending_and_unready_pods() {
        // controller_utils.go ActivePods.Less, as the Job controller ranks.
        let p = |node: &str, phase: &str, ready: Option<u64>, created: u64| {
            let mut p = pod("", node, phase, ready, created);
            if ready.is_none() {
                p.status.as_mut().unwrap().conditions = Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: "False".into(),
                    ..Default::default()
                }]);
            }
            p
        };
        let unscheduled = p("", "Pending", None, 5);
        let pending = p("n", "Pending", None, 5);
        let unready = p("n", "Running", None, 5);
        let ready_new = p("n", "Running", Some(10), 9);
        let ready_old = p("n", "Running", Some(3), 2);
        let mut pods = [&ready_old, &ready_new, &unready, &pending, &unscheduled];
        pods.sort_by(|a, b| removal_order(a, b));
        let order: Vec<*const Pod> = pods.iter().map(|p| *p as *const Pod).collect();
        let want: Vec<*const Pod> = [&unscheduled, &pending, &unready, &ready_new, &ready_old]
            .iter()
            .map(|p| *p as *const Pod)
            .collect();
        assert_eq!(order, want);
    }
}
