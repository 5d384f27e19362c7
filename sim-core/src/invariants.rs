//! Invariants a whole cluster keeps after every event, for property tests
//! (and anyone driving a [`Cluster`] through the library).
//!
//! [`InvariantChecker::check`] reads the store and answers the first
//! [`Violation`] it finds:
//!
//! - no node runs more than it offers: the requests of the pods the kubelet
//!   admitted and runs (phase `Running`) fit the node's allocatable cpu,
//!   memory and pod slots (a pod bound past capacity is the kubelet's to
//!   reject, `OutOfcpu`, and never runs);
//! - every pod bound to a node names a node that exists, or one that was
//!   deleted after it was bound (the pod garbage collector's orphans);
//! - the counts the engine keeps from every change for metrics (pods by
//!   phase, nodes, Ready nodes) are what a count of the store finds;
//! - the store's revision never goes back, no object's resourceVersion goes
//!   back, and none is ahead of the store's revision;
//! - a volume that may not be attached to several nodes (one that lists
//!   neither ReadWriteMany nor ReadOnlyMany) has at most one
//!   VolumeAttachment: the attach/detach controller attaches it elsewhere
//!   only once the old attachment is gone.
//!
//! That a watch delivers its changes in revision order is asserted by the
//! engine itself, at every delivery. The checker costs a pass over the pods,
//! nodes and objects per call, but it runs only when the store changed: a
//! test can call it after every event.

use std::collections::{BTreeMap, BTreeSet};

use crate::api::resources::{node_allocatable, pod_requests, Resources};
use crate::api::{Kind, Object};
use crate::cluster::{Cluster, Stall};
use crate::time::SimTime;

/// An invariant that does not hold.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// The pods running on a node request more than it offers.
    #[error("at {at}: node {node} runs pods requesting {requested} {resource} of {allocatable} allocatable")]
    OverCommitted {
        /// When.
        at: SimTime,
        /// The node.
        node: String,
        /// `cpu` (millicores), `memory` (bytes) or `pods`.
        resource: &'static str,
        /// What its running pods request.
        requested: i64,
        /// What it offers.
        allocatable: i64,
    },
    /// A pod is bound to a node that never existed.
    #[error("at {at}: pod {pod} is bound to node {node}, which does not exist")]
    PodOnMissingNode {
        /// When.
        at: SimTime,
        /// `namespace/name`.
        pod: String,
        /// The node it names.
        node: String,
    },
    /// The engine's census of pods and nodes differs from the store's.
    #[error("at {at}: the census kept from the changes is {kept}, the store holds {counted}")]
    CensusDrift {
        /// When.
        at: SimTime,
        /// The counts kept change by change.
        kept: String,
        /// The counts of the store.
        counted: String,
    },
    /// The store's revision went back.
    #[error("at {at}: the store's revision went back from {before} to {after}")]
    RevisionWentBack {
        /// When.
        at: SimTime,
        /// The revision seen before.
        before: u64,
        /// The revision now.
        after: u64,
    },
    /// An object's resourceVersion went back, or is ahead of the store.
    #[error(
        "at {at}: {object} has resourceVersion {after} after {before} (store revision {revision})"
    )]
    ResourceVersion {
        /// When.
        at: SimTime,
        /// `kind/namespace/name`.
        object: String,
        /// The resourceVersion seen before (0: none).
        before: u64,
        /// The resourceVersion now.
        after: u64,
        /// The store's revision now.
        revision: u64,
    },
    /// A single-node volume has attachments on several nodes.
    #[error("at {at}: volume {volume} is attached to several nodes: {nodes:?}")]
    MultiAttached {
        /// When.
        at: SimTime,
        /// The PersistentVolume.
        volume: String,
        /// The nodes of its VolumeAttachments.
        nodes: Vec<String>,
    },
}

/// Why a checked run stopped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// An invariant broke.
    #[error(transparent)]
    Violation(#[from] Violation),
    /// The simulation stalled.
    #[error(transparent)]
    Stall(#[from] Stall),
}

/// Remembers what it has seen of a cluster, so that every check also
/// compares with the last.
#[derive(Debug, Default)]
pub struct InvariantChecker {
    revision: u64,
    /// resourceVersion by object (kind, namespace, name, uid).
    versions: BTreeMap<(Kind, String, String, String), u64>,
    /// Nodes that existed at some check.
    nodes_seen: BTreeSet<String>,
}

/// At most one VolumeAttachment for each volume that may be attached to one
/// node only.
fn check_attachments(cluster: &Cluster, at: SimTime) -> Result<(), Violation> {
    let mut nodes_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for o in cluster.etcd().list(Kind::VolumeAttachment, None) {
        if let Object::VolumeAttachment(va) = &*o {
            if let Some(pv) = &va.spec.source.persistent_volume_name {
                nodes_of
                    .entry(pv.clone())
                    .or_default()
                    .push(va.spec.node_name.clone());
            }
        }
    }
    for (volume, nodes) in nodes_of {
        if nodes.len() < 2 {
            continue;
        }
        let many = cluster
            .etcd()
            .get(Kind::PersistentVolume, "", &volume)
            .and_then(|o| match &**o {
                Object::PersistentVolume(pv) => pv.spec.as_ref()?.access_modes.clone(),
                _ => None,
            })
            .is_some_and(|m| {
                m.iter()
                    .any(|m| m == "ReadWriteMany" || m == "ReadOnlyMany")
            });
        if !many {
            return Err(Violation::MultiAttached { at, volume, nodes });
        }
    }
    Ok(())
}

impl InvariantChecker {
    /// A checker that has seen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks every invariant now (nothing to do when the store has not
    /// changed since the last check).
    pub fn check(&mut self, cluster: &Cluster) -> Result<(), Violation> {
        let at = cluster.now();
        let revision = cluster.etcd().revision();
        if revision < self.revision {
            return Err(Violation::RevisionWentBack {
                at,
                before: self.revision,
                after: revision,
            });
        }
        if revision == self.revision && revision != 0 {
            return Ok(());
        }
        self.revision = revision;
        self.check_versions(cluster, at, revision)?;
        self.check_nodes(cluster, at)?;
        check_attachments(cluster, at)?;
        let (kept, counted) = cluster.census_kept_and_counted();
        if kept != counted {
            return Err(Violation::CensusDrift {
                at,
                kept: format!("{kept:?}"),
                counted: format!("{counted:?}"),
            });
        }
        Ok(())
    }

    /// Runs the next event, then checks. False when no event was pending.
    pub fn step(&mut self, cluster: &mut Cluster) -> Result<bool, CheckError> {
        let ran = cluster.step()?;
        self.check(cluster)?;
        Ok(ran)
    }

    /// Runs every event due up to `until`, checking after each, then sets
    /// the clock to `until`.
    pub fn run_until(&mut self, cluster: &mut Cluster, until: SimTime) -> Result<(), CheckError> {
        while cluster.next_event_time().is_some_and(|t| t <= until) {
            self.step(cluster)?;
        }
        cluster.run_until(until)?;
        Ok(())
    }

    fn check_versions(
        &mut self,
        cluster: &Cluster,
        at: SimTime,
        revision: u64,
    ) -> Result<(), Violation> {
        for &kind in Kind::ALL {
            for obj in cluster.etcd().list(kind, None) {
                let version = obj.resource_version().unwrap_or(0);
                let key = (
                    kind,
                    obj.namespace().to_owned(),
                    obj.name().to_owned(),
                    obj.uid().to_owned(),
                );
                let before = self.versions.get(&key).copied().unwrap_or(0);
                if version < before || version > revision {
                    return Err(Violation::ResourceVersion {
                        at,
                        object: crate::api::ObjectKey::of(&obj).to_string(),
                        before,
                        after: version,
                        revision,
                    });
                }
                self.versions.insert(key, version);
            }
        }
        Ok(())
    }

    fn check_nodes(&mut self, cluster: &Cluster, at: SimTime) -> Result<(), Violation> {
        let nodes = cluster.etcd().list(Kind::Node, None);
        let mut running: BTreeMap<String, Resources> = BTreeMap::new();
        self.nodes_seen
            .extend(nodes.iter().map(|n| n.name().to_owned()));
        for obj in cluster.etcd().list(Kind::Pod, None) {
            let Some(pod) = obj.as_pod() else { continue };
            let Some(node) = pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.as_deref())
                .filter(|n| !n.is_empty())
            else {
                continue;
            };
            let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
            if matches!(phase, Some("Succeeded" | "Failed")) {
                continue;
            }
            if !self.nodes_seen.contains(node) {
                return Err(Violation::PodOnMissingNode {
                    at,
                    pod: format!("{}/{}", obj.namespace(), obj.name()),
                    node: node.to_owned(),
                });
            }
            if phase == Some("Running") {
                let used = running.entry(node.to_owned()).or_default();
                if let Some(spec) = &pod.spec {
                    used.add(&pod_requests(spec));
                }
                used.pods += 1;
            }
        }
        for n in &nodes {
            let Object::Node(node) = &**n else { continue };
            let offered = node_allocatable(node);
            let used = running.get(n.name()).copied().unwrap_or_default();
            let pairs = [
                ("cpu", used.cpu_millis, offered.cpu_millis),
                ("memory", used.memory_bytes, offered.memory_bytes),
                ("pods", used.pods, offered.pods),
            ];
            if let Some((resource, requested, allocatable)) =
                pairs.into_iter().find(|(_, u, o)| u > o)
            {
                return Err(Violation::OverCommitted {
                    at,
                    node: n.name().to_owned(),
                    resource,
                    requested,
                    allocatable,
                });
            }
        }
        Ok(())
    }
}
