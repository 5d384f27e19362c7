//! Which PersistentVolume a claim binds to, as the PV controller's index
//! finds it (pkg/controller/volume/persistentvolume/index.go
//! `findBestMatchForClaim`, component-helpers `FindMatchingVolume`).
//!
//! The volumes are grouped by their set of access modes. The groups whose
//! modes include every mode the claim asks for are tried from the fewest
//! modes to the most; within a group the first volume pre-bound to the
//! claim wins at once, else the smallest volume that satisfies the claim
//! (first in name order on a tie): large enough, the same volume mode, not
//! being deleted, `Available`, of the claim's class (`""` matches only
//! volumes without a class), matching the claim's label selector, not
//! reserved for another claim. With delayed binding (WaitForFirstConsumer)
//! only a volume pre-bound to the claim matches here; the scheduler picks
//! the others for the node it chooses ([`find_for_node`]: the same rules
//! over every volume, with the volume's node affinity and the claim's
//! access modes checked, and the volumes it already chose for the pod's
//! other claims left out).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};

use crate::api::labels::Selector;
use crate::api::quantity::Quantity;

/// Access modes in kubectl's order, with their short names.
pub const ACCESS_MODES: [(&str, &str); 4] = [
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
];

/// A storage quantity in bytes (0 when absent or unreadable).
pub fn storage_bytes(q: Option<&k8s_openapi::apimachinery::pkg::api::resource::Quantity>) -> i64 {
    q.and_then(|q| Quantity::parse(&q.0).ok())
        .map(|q| q.saturating_value())
        .unwrap_or(0)
}

/// A volume's capacity in bytes.
pub fn capacity_bytes(pv: &PersistentVolume) -> i64 {
    storage_bytes(
        pv.spec
            .as_ref()
            .and_then(|s| s.capacity.as_ref())
            .and_then(|c| c.get("storage")),
    )
}

/// What a claim asks for, in bytes.
pub fn request_bytes(claim: &PersistentVolumeClaim) -> i64 {
    storage_bytes(
        claim
            .spec
            .as_ref()
            .and_then(|s| s.resources.as_ref())
            .and_then(|r| r.requests.as_ref())
            .and_then(|r| r.get("storage")),
    )
}

/// A volume's class (`""`: none).
pub fn volume_class(pv: &PersistentVolume) -> &str {
    pv.spec
        .as_ref()
        .and_then(|s| s.storage_class_name.as_deref())
        .unwrap_or("")
}

/// A claim's class (`""`: none).
pub fn claim_class(claim: &PersistentVolumeClaim) -> &str {
    claim
        .spec
        .as_ref()
        .and_then(|s| s.storage_class_name.as_deref())
        .unwrap_or("")
}

/// The access modes of a list, deduplicated, in kubectl's order.
fn mode_set(modes: Option<&Vec<String>>) -> Vec<&'static str> {
    ACCESS_MODES
        .iter()
        .filter(|(m, _)| modes.is_some_and(|ms| ms.iter().any(|x| x == m)))
        .map(|(m, _)| *m)
        .collect()
}

/// True when the volume's claim reference names this claim (and, when it
/// holds a UID, the claim's).
pub fn is_bound_to(pv: &PersistentVolume, claim: &PersistentVolumeClaim) -> bool {
    let Some(r) = pv.spec.as_ref().and_then(|s| s.claim_ref.as_ref()) else {
        return false;
    };
    r.name.as_deref() == claim.metadata.name.as_deref()
        && r.namespace.as_deref() == claim.metadata.namespace.as_deref()
        && r.uid
            .as_deref()
            .filter(|u| !u.is_empty())
            .is_none_or(|u| Some(u) == claim.metadata.uid.as_deref())
}

/// The reference a volume bound to `claim` holds (`spec.claimRef`).
pub fn claim_reference(
    claim: &PersistentVolumeClaim,
) -> k8s_openapi::api::core::v1::ObjectReference {
    k8s_openapi::api::core::v1::ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("PersistentVolumeClaim".into()),
        name: claim.metadata.name.clone(),
        namespace: claim.metadata.namespace.clone(),
        uid: claim.metadata.uid.clone(),
        resource_version: claim.metadata.resource_version.clone(),
        field_path: None,
    }
}

fn volume_mode_of(mode: Option<&String>) -> &str {
    mode.map_or("Filesystem", String::as_str)
}

/// The node a match is made for (the scheduler's): which volumes its
/// node affinity admits, and the volumes already chosen for the pod.
pub struct ForNode<'n> {
    /// Whether a volume's node affinity admits the node.
    pub fits: &'n dyn Fn(&PersistentVolume) -> bool,
    /// Volumes chosen for the pod's other claims.
    pub excluded: &'n std::collections::BTreeSet<String>,
}

/// `FindMatchingVolume`: the volume `claim` binds to among `volumes` (in
/// name order), for a node or, without one, for the PV controller (whose
/// index has checked the access modes; with `delay_binding` only a volume
/// pre-bound to the claim matches).
fn find_matching<'a>(
    claim: &PersistentVolumeClaim,
    volumes: impl IntoIterator<Item = &'a PersistentVolume>,
    node: Option<&ForNode<'_>>,
    delay_binding: bool,
) -> Option<&'a PersistentVolume> {
    let requested = request_bytes(claim);
    let class = claim_class(claim);
    let spec = claim.spec.as_ref();
    let selector = spec
        .and_then(|s| s.selector.as_ref())
        .map(|s| Selector::from_label_selector(s).unwrap_or_else(|_| Selector::nothing()));
    let claim_mode = volume_mode_of(spec.and_then(|s| s.volume_mode.as_ref()));
    let wanted = mode_set(spec.and_then(|s| s.access_modes.as_ref()));
    let mut best: Option<(&PersistentVolume, i64)> = None;
    for pv in volumes {
        let pv_spec = pv.spec.as_ref();
        let excluded = node.is_some_and(|n| {
            n.excluded
                .contains(pv.metadata.name.as_deref().unwrap_or(""))
        });
        if excluded
            || (pv_spec.and_then(|s| s.claim_ref.as_ref()).is_some() && !is_bound_to(pv, claim))
        {
            continue;
        }
        let size = capacity_bytes(pv);
        if size < requested
            || volume_mode_of(pv_spec.and_then(|s| s.volume_mode.as_ref())) != claim_mode
            || pv.metadata.deletion_timestamp.is_some()
        {
            continue;
        }
        let fits = node.is_none_or(|n| (n.fits)(pv));
        if is_bound_to(pv, claim) {
            return fits.then_some(pv);
        }
        if node.is_none() && delay_binding {
            continue;
        }
        let available = pv.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Available");
        let labels = pv.metadata.labels.clone().unwrap_or_default();
        let modes_ok = node.is_none() || {
            let modes = mode_set(pv_spec.and_then(|s| s.access_modes.as_ref()));
            wanted.iter().all(|w| modes.contains(w))
        };
        if !available
            || selector.as_ref().is_some_and(|s| !s.matches(&labels))
            || volume_class(pv) != class
            || !fits
            || !modes_ok
        {
            continue;
        }
        if best.is_none_or(|(_, b)| size < b) {
            best = Some((pv, size));
        }
    }
    best.map(|(pv, _)| pv)
}

/// `FindMatchingVolume` for a node (the scheduler's VolumeBinding): the
/// volume `claim` would bind to among `volumes` (in name order) on the
/// node `for_node` describes.
pub fn find_for_node<'a>(
    claim: &PersistentVolumeClaim,
    volumes: impl IntoIterator<Item = &'a PersistentVolume>,
    for_node: &ForNode<'_>,
) -> Option<&'a PersistentVolume> {
    find_matching(claim, volumes, Some(for_node), true)
}

/// The volume `claim` binds to among `volumes`, as the PV controller's
/// index finds it; `delay_binding`: its class binds when a pod is
/// scheduled.
pub fn find_best_match<'a>(
    claim: &PersistentVolumeClaim,
    volumes: impl IntoIterator<Item = &'a PersistentVolume>,
    delay_binding: bool,
) -> Option<&'a PersistentVolume> {
    let wanted = mode_set(claim.spec.as_ref().and_then(|s| s.access_modes.as_ref()));
    let mut by_modes: BTreeMap<Vec<&'static str>, Vec<&'a PersistentVolume>> = BTreeMap::new();
    for pv in volumes {
        let modes = mode_set(pv.spec.as_ref().and_then(|s| s.access_modes.as_ref()));
        by_modes.entry(modes).or_default().push(pv);
    }
    let mut groups: Vec<(&Vec<&str>, &mut Vec<&PersistentVolume>)> = by_modes
        .iter_mut()
        .filter(|(modes, _)| wanted.iter().all(|w| modes.contains(w)))
        .collect();
    groups.sort_by_key(|(modes, _)| modes.len());
    for (_, group) in groups {
        group.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        if let Some(pv) = find_matching(claim, group.iter().copied(), None, delay_binding) {
            return Some(pv);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn pv(name: &str, size: &str, modes: &[&str], class: Option<&str>) -> PersistentVolume {
        let mut v = json!({"metadata": {"name": name},
            "spec": {"capacity": {"storage": size}, "accessModes": modes},
            "status": {"phase": "Available"}});
        if let Some(c) = class {
            v["spec"]["storageClassName"] = json!(c);
        }
        serde_json::from_value(v).unwrap()
    }

    fn claim(size: &str, modes: &[&str], class: Option<&str>) -> PersistentVolumeClaim {
        let mut v = json!({"metadata": {"name": "c", "namespace": "default", "uid": "u1"},
            "spec": {"accessModes": modes, "resources": {"requests": {"storage": size}}}});
        if let Some(c) = class {
            v["spec"]["storageClassName"] = json!(c);
        }
        serde_json::from_value(v).unwrap()
    }

    fn names(found: Option<&PersistentVolume>) -> Option<&str> {
        found.and_then(|p| p.metadata.name.as_deref())
    }

    #[test]
    fn the_course_pool_binds_the_smallest_volume_that_fits() {
        let rwx = ["ReadWriteMany"];
        let pool = [
            pv("pv01-10m", "10M", &rwx, Some("nfs")),
            pv("pv02-1gi", "1Gi", &rwx, Some("nfs")),
            pv("pv03-3gi", "3Gi", &rwx, Some("nfs")),
        ];
        let c = claim("200Mi", &rwx, Some("nfs"));
        assert_eq!(names(find_best_match(&c, &pool, false)), Some("pv02-1gi"));
        // Another class, or none: nothing.
        assert_eq!(
            names(find_best_match(
                &claim("200Mi", &rwx, Some("x")),
                &pool,
                false
            )),
            None
        );
        assert_eq!(
            names(find_best_match(&claim("200Mi", &rwx, None), &pool, false)),
            None
        );
        // Too big for all of them.
        assert_eq!(
            names(find_best_match(
                &claim("4Gi", &rwx, Some("nfs")),
                &pool,
                false
            )),
            None
        );
        // Delayed binding: none here.
        assert_eq!(names(find_best_match(&c, &pool, true)), None);
    }

    #[test]
    fn fewer_access_modes_are_tried_first_and_all_requested_modes_are_needed() {
        let pool = [
            pv("a-big-rwo", "5Gi", &["ReadWriteOnce"], None),
            pv(
                "b-small-rwo-rwx",
                "1Gi",
                &["ReadWriteOnce", "ReadWriteMany"],
                None,
            ),
        ];
        // RWO: the RWO-only group first, though its volume is larger.
        let c = claim("1Gi", &["ReadWriteOnce"], None);
        assert_eq!(names(find_best_match(&c, &pool, false)), Some("a-big-rwo"));
        // RWX: only the volume with RWX.
        let c = claim("1Gi", &["ReadWriteMany"], None);
        assert_eq!(
            names(find_best_match(&c, &pool, false)),
            Some("b-small-rwo-rwx")
        );
        let c = claim("1Gi", &["ReadOnlyMany"], None);
        assert_eq!(names(find_best_match(&c, &pool, false)), None);
    }

    #[test]
    fn prebound_volumes_win_and_reserved_ones_are_skipped() {
        let mut mine = pv("z-mine", "10Gi", &["ReadWriteOnce"], Some("other"));
        mine.spec.as_mut().unwrap().claim_ref =
            Some(serde_json::from_value(json!({"name": "c", "namespace": "default"})).unwrap());
        mine.status.as_mut().unwrap().phase = Some("Bound".into());
        let mut theirs = pv("a-theirs", "1Gi", &["ReadWriteOnce"], None);
        theirs.spec.as_mut().unwrap().claim_ref =
            Some(serde_json::from_value(json!({"name": "d", "namespace": "default"})).unwrap());
        let free = pv("m-free", "1Gi", &["ReadWriteOnce"], None);
        let pool = [theirs, free, mine];
        let c = claim("1Gi", &["ReadWriteOnce"], None);
        // Pre-bound to this claim: chosen whatever its class or phase, even
        // with delayed binding.
        assert_eq!(names(find_best_match(&c, &pool, false)), Some("z-mine"));
        assert_eq!(names(find_best_match(&c, &pool, true)), Some("z-mine"));
        // Without it, the free one; the one reserved for another never.
        let c = claim("1Gi", &["ReadWriteOnce"], None);
        assert_eq!(
            names(find_best_match(&c, &pool[..2], false)),
            Some("m-free")
        );
        assert_eq!(names(find_best_match(&c, &pool[..1], false)), None);
    }

    proptest! {
        /// The chosen volume always satisfies the claim, and no smaller
        /// one in the first matching group would.
        #[test]
        fn a_match_satisfies_the_claim(
            sizes in prop::collection::vec(1u64..5000, 0..12),
            modes in prop::collection::vec(0usize..4, 0..12),
            request in 1u64..5000,
            wanted in 0usize..3,
        ) {
            let pool: Vec<PersistentVolume> = sizes
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let m = ACCESS_MODES[modes.get(i).copied().unwrap_or(0)].0;
                    pv(&format!("pv{i:02}"), &format!("{s}Mi"), &[m], None)
                })
                .collect();
            let mode = ACCESS_MODES[wanted].0;
            let c = claim(&format!("{request}Mi"), &[mode], None);
            match find_best_match(&c, &pool, false) {
                Some(v) => {
                    prop_assert!(capacity_bytes(v) >= request_bytes(&c));
                    let has = v.spec.as_ref().unwrap().access_modes.as_ref().unwrap();
                    prop_assert!(has.iter().any(|m| m == mode));
                    for other in &pool {
                        let same = other.spec.as_ref().unwrap().access_modes == v.spec.as_ref().unwrap().access_modes;
                        if same && capacity_bytes(other) >= request_bytes(&c) {
                            prop_assert!(capacity_bytes(other) >= capacity_bytes(v));
                        }
                    }
                }
                None => {
                    for other in &pool {
                        let has = other.spec.as_ref().unwrap().access_modes.as_ref().unwrap();
                        prop_assert!(!(has.iter().any(|m| m == mode) && capacity_bytes(other) >= request_bytes(&c)));
                    }
                }
            }
        }
    }
}
