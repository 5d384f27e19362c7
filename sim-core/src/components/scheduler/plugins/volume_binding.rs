//! VolumeBinding (pkg/scheduler/framework/plugins/volumebinding).
//!
//! - PreFilter: pods without PersistentVolumeClaims are skipped as the real
//!   plugin skips them; a claim that does not exist or is being deleted, or
//!   one not yet bound whose class binds at once (`Immediate`, or no
//!   class), makes the pod unschedulable until the claim changes. Claims of
//!   a `WaitForFirstConsumer` class go on to Filter.
//! - Filter: a bound claim's volume must admit the node (its
//!   `nodeAffinity`: `node(s) had volume node affinity conflict`); an
//!   unbound delayed claim needs a volume that fits on the node
//!   ([`find_for_node`], each volume for one claim of the pod), or a class
//!   whose provisioner can make one (`node(s) didn't find available
//!   persistent volumes to bind` otherwise).
//! - PreBind ([`pre_bind`]): the chosen volumes get their claims
//!   (`claimRef`), the claims to provision get
//!   `volume.kubernetes.io/selected-node`; the PV controller and the
//!   provisioner finish the binding. The pod is bound to the node once its
//!   claims are bound ([`VolumeWait`], checked every second as the
//!   binder's poll does), or the binding fails after `bindTimeoutSeconds`
//!   (600 s) with `binding volumes: context deadline exceeded` and the pod
//!   is scheduled again.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::PersistentVolume;

use super::node_affinity::term_matches;
use super::Rejection;
use crate::api::storage::{ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE};
use crate::api::volume_matching::{claim_reference, find_for_node, ForNode};
use crate::api::Object;
use crate::apiserver::Request;
use crate::components::scheduler::node_info::NodeInfo;
use crate::components::scheduler::pod_info::PodInfo;

/// `ErrReasonBindConflict`.
pub(crate) const BIND_CONFLICT: &str = "node(s) didn't find available persistent volumes to bind";
/// `ErrReasonNodeConflict`.
pub(crate) const NODE_CONFLICT: &str = "node(s) had volume node affinity conflict";
/// The provisioner of classes without one (local volumes).
const NO_PROVISIONER: &str = "kubernetes.io/no-provisioner";

/// How often PreBind checks whether its claims are bound.
pub(crate) const BIND_CHECK_PERIOD: crate::time::SimDuration =
    crate::time::SimDuration::from_secs(1);
/// `VolumeBindingArgs.bindTimeoutSeconds` (600).
pub(crate) const BIND_TIMEOUT: crate::time::SimDuration = crate::time::SimDuration::from_secs(600);

/// A PreBind waiting for the pod's claims to be bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VolumeWait {
    /// The claims, `namespace/name`.
    claims: Vec<String>,
    /// When the binding fails.
    pub deadline: crate::time::SimTime,
}

impl VolumeWait {
    /// A wait for every claim of `pod`, from `now`.
    pub(crate) fn new(pod: &PodInfo, now: crate::time::SimTime) -> Self {
        Self {
            claims: pod
                .claims
                .iter()
                .map(|c| format!("{}/{c}", pod.namespace))
                .collect(),
            deadline: now + BIND_TIMEOUT,
        }
    }

    /// True once every claim has its volume.
    pub(crate) fn all_bound(&self, view: &Claims<'_>) -> bool {
        self.claims
            .iter()
            .all(|c| view.claims.get(c).is_some_and(|s| s.bound))
    }
}

/// A claim as the scheduler sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ClaimState {
    /// `spec.volumeName` is set.
    pub bound: bool,
    /// `spec.volumeName`.
    pub volume: String,
    /// Its deletion has begun.
    pub deleting: bool,
    /// Its `storageClassName` (`""`: none).
    pub class: String,
    /// Its access modes include `ReadWriteOncePod`.
    pub read_write_once_pod: bool,
}

/// The scheduler's cache of storage: what its watches of claims, volumes
/// and classes, and its assigned pods, say.
#[derive(Debug, Default)]
pub(crate) struct StorageCache {
    /// PersistentVolumeClaims by `namespace/name`.
    pub claims: BTreeMap<String, ClaimState>,
    /// The StorageClasses that bind when a pod is scheduled.
    pub delayed_classes: BTreeSet<String>,
    /// How many assigned pods use each claim.
    pub claim_users: BTreeMap<String, usize>,
    /// The claims' objects.
    pub claim_objects: BTreeMap<String, Arc<Object>>,
    /// The PersistentVolumes by name.
    pub volumes: BTreeMap<String, Arc<Object>>,
    /// Each StorageClass's provisioner.
    pub class_provisioners: BTreeMap<String, String>,
}

impl StorageCache {
    /// What the plugins read of it.
    pub(crate) fn view(&self) -> Claims<'_> {
        Claims {
            claims: &self.claims,
            delayed_classes: &self.delayed_classes,
            users: &self.claim_users,
            objects: &self.claim_objects,
            volumes: &self.volumes,
            provisioners: &self.class_provisioners,
        }
    }
}

/// What the plugins read: the claims by `namespace/name`, the classes that
/// bind when a pod is scheduled, the volumes.
pub(crate) struct Claims<'a> {
    /// Every claim.
    pub claims: &'a BTreeMap<String, ClaimState>,
    /// The names of the `WaitForFirstConsumer` StorageClasses.
    pub delayed_classes: &'a BTreeSet<String>,
    /// How many assigned pods use each claim.
    pub users: &'a BTreeMap<String, usize>,
    /// The claims' objects by `namespace/name`.
    pub objects: &'a BTreeMap<String, Arc<Object>>,
    /// The PersistentVolumes by name.
    pub volumes: &'a BTreeMap<String, Arc<Object>>,
    /// Each StorageClass's provisioner.
    pub provisioners: &'a BTreeMap<String, String>,
}

/// True when `pv`'s node affinity admits `node` (none admits every node).
fn fits(pv: &PersistentVolume, node: &NodeInfo) -> bool {
    let terms = pv
        .spec
        .as_ref()
        .and_then(|s| s.node_affinity.as_ref())
        .and_then(|a| a.required.as_ref())
        .map(|r| r.node_selector_terms.as_slice());
    match terms {
        None => true,
        Some(terms) => terms
            .iter()
            .any(|t| term_matches(t, &node.labels, &node.name)),
    }
}

/// What the pod's delayed claims get on `node`: for each, a volume chosen
/// (`Some(name)`) or provisioning (`None`); Err when one can have neither,
/// or a bound claim's volume does not admit the node.
fn plan(
    pod: &PodInfo,
    node: &NodeInfo,
    view: &Claims<'_>,
) -> Result<Vec<(String, Option<String>)>, Rejection> {
    if pod.claims.is_empty() {
        return Ok(Vec::new());
    }
    // The volumes are listed only for a claim still to be bound (a bound
    // claim's check is a lookup).
    let mut volumes: Option<Vec<&PersistentVolume>> = None;
    let mut chosen: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for claim in &pod.claims {
        let key = format!("{}/{claim}", pod.namespace);
        let Some(state) = view.claims.get(&key) else {
            continue;
        };
        if state.bound {
            let pv = view.volumes.get(&state.volume).and_then(|o| match &**o {
                Object::PersistentVolume(pv) => Some(pv),
                _ => None,
            });
            if pv.is_some_and(|pv| !fits(pv, node)) {
                return Err(Rejection::new("VolumeBinding", NODE_CONFLICT, true));
            }
            continue;
        }
        if !view.delayed_classes.contains(&state.class) {
            continue;
        }
        let Some(Object::PersistentVolumeClaim(pvc)) = view.objects.get(&key).map(|o| &**o) else {
            continue;
        };
        let for_node = ForNode {
            fits: &|pv| fits(pv, node),
            excluded: &chosen,
        };
        let candidates = volumes.get_or_insert_with(|| {
            view.volumes
                .values()
                .filter_map(|o| match &**o {
                    Object::PersistentVolume(pv) => Some(&**pv),
                    _ => None,
                })
                .collect()
        });
        match find_for_node(pvc, candidates.iter().copied(), &for_node) {
            Some(pv) => {
                let name = pv.metadata.name.clone().unwrap_or_default();
                chosen.insert(name.clone());
                out.push((key, Some(name)));
            }
            None => {
                let provisioner = view.provisioners.get(&state.class);
                if provisioner.is_none_or(|p| p == NO_PROVISIONER) {
                    return Err(Rejection::new("VolumeBinding", BIND_CONFLICT, true));
                }
                out.push((key, None));
            }
        }
    }
    Ok(out)
}

/// Filter: the pod's claims can be bound on `node`.
pub(crate) fn filter(pod: &PodInfo, node: &NodeInfo, view: &Claims<'_>) -> Result<(), Rejection> {
    plan(pod, node, view).map(|_| ())
}

/// PreBind on the chosen node: the writes that bind the pod's delayed
/// claims (a volume's `claimRef`, or the claim's selected node).
pub(crate) fn pre_bind(pod: &PodInfo, node: &NodeInfo, view: &Claims<'_>) -> Vec<Request> {
    let Ok(plan) = plan(pod, node, view) else {
        return Vec::new();
    };
    let mut writes = Vec::new();
    for (key, volume) in plan {
        let Some(claim_obj) = view.objects.get(&key) else {
            continue;
        };
        let Object::PersistentVolumeClaim(claim) = &**claim_obj else {
            continue;
        };
        match volume.and_then(|v| view.volumes.get(&v)) {
            Some(pv_obj) => {
                let Object::PersistentVolume(pv) = &**pv_obj else {
                    continue;
                };
                let mut pv = (**pv).clone();
                pv.spec.get_or_insert_with(Default::default).claim_ref =
                    Some(claim_reference(claim));
                pv.metadata
                    .annotations
                    .get_or_insert_with(Default::default)
                    .insert(ANN_BOUND_BY_CONTROLLER.into(), "yes".into());
                pv.metadata.resource_version = None;
                writes.push(Request::Update(Object::from(pv)));
            }
            None => {
                let mut c = (**claim).clone();
                c.metadata
                    .annotations
                    .get_or_insert_with(Default::default)
                    .insert(ANN_SELECTED_NODE.into(), node.name.clone());
                c.metadata.resource_version = None;
                writes.push(Request::Update(Object::from(c)));
            }
        }
    }
    writes
}

/// PreFilter: the pod's claims must exist, not be being deleted, and be
/// bound unless their class delays binding (`pod has unbound immediate
/// PersistentVolumeClaims`); each refusal is resolvable only by a change of
/// the claims.
pub(crate) fn pre_filter(pod: &PodInfo, view: &Claims<'_>) -> Result<(), Rejection> {
    let mut unbound_immediate = false;
    for claim in &pod.claims {
        let reject = |message: String| Err(Rejection::new("VolumeBinding", message, true));
        let Some(state) = view.claims.get(&format!("{}/{claim}", pod.namespace)) else {
            return reject(format!("persistentvolumeclaim \"{claim}\" not found"));
        };
        if state.deleting {
            return reject(format!(
                "persistentvolumeclaim \"{claim}\" is being deleted"
            ));
        }
        if !state.bound && !view.delayed_classes.contains(&state.class) {
            unbound_immediate = true;
        }
    }
    if unbound_immediate {
        return Err(Rejection::new(
            "VolumeBinding",
            "pod has unbound immediate PersistentVolumeClaims".to_owned(),
            true,
        ));
    }
    Ok(())
}
