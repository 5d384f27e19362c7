//! The scheduler's informer event handlers and cache (`eventhandlers.go`,
//! `backend/cache`): nodes enter the node tree and their slots, pods bound
//! to a node are accounted on it (assumed pods included), waiting pods go
//! to the queue, and the objects the plugins read (namespaces, Services,
//! ReplicaSets and StatefulSets for default spreading, claims) are kept.
//! A change moves unschedulable pods back only when it can help them.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::node_info::NodeInfo;
use super::plugins::volume_binding;
use super::pod_info::{self, PodInfo, SharedPodInfo};
use super::pod_table::{Assigned, PodId};
use super::Scheduler;
use crate::api::labels::Selector;
use crate::api::Object;
use crate::components::{Ctx, WatchEvent};
use crate::etcd::ChangeType;

impl Scheduler {
    pub(super) fn rebuild_order(&mut self) {
        // The node tree (pkg/scheduler/backend/cache/node_tree.go): zones in order
        // of first appearance, nodes round-robin across zones.
        let mut zones: Vec<(String, Vec<usize>)> = Vec::new();
        let mut zone_index: BTreeMap<String, usize> = BTreeMap::new();
        for (i, n) in self.nodes.infos().iter().enumerate() {
            if n.name.is_empty() {
                continue;
            }
            let z = match zone_index.get(n.zone()) {
                Some(&z) => z,
                None => {
                    zone_index.insert(n.zone().to_owned(), zones.len());
                    zones.push((n.zone().to_owned(), Vec::new()));
                    zones.len() - 1
                }
            };
            zones[z].1.push(i);
        }
        self.order.clear();
        let longest = zones.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
        for k in 0..longest {
            for (_, v) in &zones {
                if let Some(&i) = v.get(k) {
                    self.order.push(i);
                }
            }
        }
    }

    pub(super) fn count_images(&mut self, node: usize, delta: isize) {
        for name in self.nodes[node].images.keys() {
            let e = self.image_nodes.entry(name.clone()).or_default();
            *e = e.saturating_add_signed(delta);
        }
        self.image_nodes.retain(|_, n| *n > 0);
    }

    pub(super) fn on_node(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
        let name = event.object.name().to_owned();
        match event.change {
            ChangeType::Deleted => {
                if let Some(i) = self.node_index.remove(&name) {
                    self.count_images(i, -1);
                    self.nodes.clear(i);
                    self.order_dirty = true;
                }
            }
            _ => {
                match self.node_index.get(&name) {
                    Some(&i) => {
                        let helps =
                            scheduling_properties_changed(&self.nodes[i].node, &event.object);
                        self.count_images(i, -1);
                        self.nodes.update_node(i, event.object.clone());
                        self.count_images(i, 1);
                        if !helps {
                            // Heartbeats and image lists make no pod schedulable.
                            return;
                        }
                    }
                    None => {
                        let mut info = NodeInfo::from_node(event.object.clone());
                        // Pods already bound to a node the scheduler learns of
                        // late, in uid order.
                        let mut pods: Vec<&SharedPodInfo> = self
                            .pods
                            .slots()
                            .filter_map(|(_, s)| s.assigned.as_ref())
                            .filter(|a| a.node == name)
                            .map(|a| &a.info)
                            .collect();
                        pods.sort_by(|a, b| a.uid.cmp(&b.uid));
                        for p in pods {
                            info.add_pod(p.clone());
                        }
                        let i = self.nodes.push(info);
                        self.node_index.insert(name, i);
                        self.count_images(i, 1);
                        self.order_dirty = true;
                    }
                }
                self.queue.move_all_unschedulable(ctx.now());
                self.kick(ctx);
            }
        }
    }

    pub(super) fn account(
        &mut self,
        id: PodId,
        info: SharedPodInfo,
        node: String,
        object: Arc<Object>,
    ) {
        if let Some(&i) = self.node_index.get(&node) {
            self.nodes.add_pod(i, info.clone());
        }
        if !info.affinity.required_anti_affinity.is_empty() {
            self.required_anti_affinity_pods += 1;
        }
        if !info.affinity.is_empty() {
            self.affinity_pods += 1;
        }
        for c in &info.claims {
            *self
                .storage
                .claim_users
                .entry(format!("{}/{c}", info.namespace))
                .or_default() += 1;
        }
        self.pods.slot_mut(id).assigned = Some(Assigned { node, info, object });
    }

    pub(super) fn unaccount(&mut self, id: PodId) -> bool {
        let Some(a) = self.pods.slot_mut(id).assigned.take() else {
            return false;
        };
        if let Some(&i) = self.node_index.get(&a.node) {
            self.nodes.remove_pod(i, &a.info.uid);
        }
        if !a.info.affinity.required_anti_affinity.is_empty() {
            self.required_anti_affinity_pods -= 1;
        }
        if !a.info.affinity.is_empty() {
            self.affinity_pods -= 1;
        }
        for c in &a.info.claims {
            let key = format!("{}/{c}", a.info.namespace);
            if let Some(n) = self.storage.claim_users.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    self.storage.claim_users.remove(&key);
                }
            }
        }
        true
    }

    pub(super) fn on_pod(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
        let obj = &event.object;
        let uid = obj.uid();
        let Some(pod) = obj.as_pod() else { return };
        let spec = pod.spec.as_ref();
        let assigned = spec
            .and_then(|s| s.node_name.as_deref())
            .is_some_and(|n| !n.is_empty());
        let terminal = matches!(
            pod.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        );
        if event.change == ChangeType::Deleted || (assigned && terminal) {
            self.nominated.remove(uid);
            let Some(id) = self.pods.get(uid) else {
                return;
            };
            self.queue.remove(id);
            self.pods.slot_mut(id).queued_info = None;
            // A PreBind waiting for the pod's claims ends with it.
            let waiting: Vec<u64> = self
                .volume_waits
                .keys()
                .filter(|s| self.binding.get(s).is_some_and(|b| b.id == id))
                .copied()
                .collect();
            for serial in waiting {
                self.volume_waits.remove(&serial);
                self.binding.remove(&serial);
                let slot = self.pods.slot_mut(id);
                slot.bindings = slot.bindings.saturating_sub(1);
            }
            if self.unaccount(id) {
                // AssignedPodDelete may make unschedulable pods fit.
                self.queue.move_all_unschedulable(ctx.now());
                self.kick(ctx);
            }
            self.pods.release_if_unused(id, false);
            return;
        }
        if assigned {
            let id = self.pods.id(uid);
            self.queue.remove(id);
            self.nominated.remove(uid);
            let slot = self.pods.slot_mut(id);
            slot.queued_info = None;
            match slot.assigned.as_mut() {
                Some(a) => {
                    let terminating = pod.metadata.deletion_timestamp.is_some();
                    let labels_changed = pod.metadata.labels.as_ref() != Some(&a.info.labels)
                        && !(pod.metadata.labels.is_none() && a.info.labels.is_empty());
                    a.object = obj.clone();
                    if terminating != a.info.terminating || labels_changed {
                        self.unaccount(id);
                        let info = PodInfo::of(obj);
                        let node = info.node_name.clone().unwrap_or_default();
                        self.account(id, Arc::new(info), node, obj.clone());
                    }
                }
                None => {
                    let info = PodInfo::of(obj);
                    let node = info.node_name.clone().unwrap_or_default();
                    self.account(id, Arc::new(info), node, obj.clone());
                }
            }
            return;
        }
        let Some(p) = self.profile_index(pod_info::scheduler_name(pod)) else {
            return;
        };
        // What the scheduler reads of a waiting pod is extracted when a cycle
        // pops it (the pod object is then read once, just before binding
        // copies it); a nominated pod's is needed now, by other pods' cycles.
        let nominated_node = pod
            .status
            .as_ref()
            .and_then(|s| s.nominated_node_name.as_deref())
            .filter(|n| !n.is_empty());
        let info = match nominated_node {
            Some(n) => {
                let info = self.pod_info(p, obj);
                self.nominated
                    .insert(uid.to_owned(), (n.to_owned(), info.clone()));
                Some(info)
            }
            None => {
                self.nominated.remove(uid);
                None
            }
        };
        let id = self.pods.id(uid);
        let gates = spec.and_then(|s| s.scheduling_gates.as_ref());
        let gated = self.profiles[p].scheduling_gates && gates.is_some_and(|g| !g.is_empty());
        if pod.metadata.deletion_timestamp.is_some() || gated {
            self.queue.remove(id);
            self.pods.slot_mut(id).queued_info = None;
            self.pods.release_if_unused(id, false);
            return;
        }
        self.pods.slot_mut(id).queued_info = info;
        self.queue.add_or_update(id, obj.clone(), ctx.now());
        self.kick(ctx);
    }

    /// What the scheduler reads of a pod object, with its shape interned
    /// under profile number `profile`.
    pub(super) fn pod_info(&mut self, profile: usize, obj: &Object) -> SharedPodInfo {
        let mut info = PodInfo::of(obj);
        info.shape = self.shapes.intern(profile, &info);
        Arc::new(info)
    }

    pub(super) fn on_other(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
        let obj = &event.object;
        let deleted = event.change == ChangeType::Deleted;
        let key = (obj.namespace().to_owned(), obj.name().to_owned());
        match &**obj {
            Object::Namespace(ns) => {
                if deleted {
                    self.namespaces.remove(obj.name());
                } else {
                    self.namespaces.insert(
                        obj.name().to_owned(),
                        ns.metadata.labels.clone().unwrap_or_default(),
                    );
                }
            }
            Object::Service(svc) => {
                let selector = svc
                    .spec
                    .as_ref()
                    .and_then(|s| s.selector.clone())
                    .unwrap_or_default();
                if deleted || selector.is_empty() {
                    self.services.remove(&key);
                } else {
                    self.services.insert(key, selector);
                }
            }
            Object::ReplicaSet(rs) => {
                let selector = rs.spec.as_ref().map(|s| &s.selector);
                self.set_workload("ReplicaSet", key, selector, deleted);
            }
            Object::StatefulSet(sts) => {
                let selector = sts.spec.as_ref().map(|s| &s.selector);
                self.set_workload("StatefulSet", key, selector, deleted);
            }
            Object::PersistentVolumeClaim(pvc) => {
                let name = format!("{}/{}", key.0, key.1);
                if deleted {
                    self.storage.claims.remove(&name);
                    self.storage.claim_objects.remove(&name);
                    return;
                }
                self.storage.claim_objects.insert(name.clone(), obj.clone());
                let spec = pvc.spec.as_ref();
                let volume = spec.and_then(|s| s.volume_name.clone()).unwrap_or_default();
                let state = volume_binding::ClaimState {
                    bound: !volume.is_empty(),
                    volume,
                    deleting: pvc.metadata.deletion_timestamp.is_some(),
                    class: spec
                        .and_then(|s| s.storage_class_name.clone())
                        .unwrap_or_default(),
                    read_write_once_pod: spec
                        .and_then(|s| s.access_modes.as_ref())
                        .is_some_and(|m| m.iter().any(|x| x == "ReadWriteOncePod")),
                };
                if self.storage.claims.get(&name) != Some(&state) {
                    self.storage.claims.insert(name, state);
                    // PvcAdd/PvcUpdate may make pods waiting for their
                    // claim schedulable.
                    self.queue.move_all_unschedulable(ctx.now());
                    self.kick(ctx);
                }
            }
            Object::PersistentVolume(_) => {
                if deleted {
                    self.storage.volumes.remove(&key.1);
                } else {
                    self.storage.volumes.insert(key.1.clone(), obj.clone());
                }
                // PvAdd/PvUpdate may give a waiting pod a volume.
                self.queue.move_all_unschedulable(ctx.now());
                self.kick(ctx);
            }
            Object::StorageClass(sc) => {
                if deleted {
                    self.storage.class_provisioners.remove(&key.1);
                } else {
                    self.storage
                        .class_provisioners
                        .insert(key.1.clone(), sc.provisioner.clone());
                }
                let delayed =
                    !deleted && sc.volume_binding_mode.as_deref() == Some("WaitForFirstConsumer");
                let changed = if delayed {
                    self.storage.delayed_classes.insert(key.1.clone())
                } else {
                    self.storage.delayed_classes.remove(&key.1)
                };
                if changed {
                    self.queue.move_all_unschedulable(ctx.now());
                    self.kick(ctx);
                }
            }
            _ => {}
        }
    }

    /// Records (or forgets) a ReplicaSet's or StatefulSet's selector.
    pub(super) fn set_workload(
        &mut self,
        kind: &'static str,
        (namespace, name): (String, String),
        selector: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector>,
        deleted: bool,
    ) {
        let k = (kind, namespace, name);
        match selector.map(Selector::from_label_selector) {
            Some(Ok(sel)) if !deleted => {
                self.workloads.insert(k, sel);
            }
            _ => {
                self.workloads.remove(&k);
            }
        }
    }
}

/// eventhandlers.go nodeSchedulingPropertiesChange: a Node update moves
/// unschedulable pods only when something a filter reads changed
/// (spec.unschedulable, allocatable, labels, taints, conditions other than
/// their heartbeat times).
fn scheduling_properties_changed(old: &Object, new: &Object) -> bool {
    let (Some(o), Some(n)) = (old.as_node(), new.as_node()) else {
        return true;
    };
    let (o_spec, n_spec) = (o.spec.as_ref(), n.spec.as_ref());
    let (o_status, n_status) = (o.status.as_ref(), n.status.as_ref());
    let oc = o_status
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default();
    let nc = n_status
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default();
    let conditions_changed = oc.len() != nc.len()
        || oc
            .iter()
            .zip(nc)
            .any(|(a, b)| a.type_ != b.type_ || a.status != b.status);
    o_spec.and_then(|s| s.unschedulable).unwrap_or(false)
        != n_spec.and_then(|s| s.unschedulable).unwrap_or(false)
        || o.metadata.labels != n.metadata.labels
        || o_spec.and_then(|s| s.taints.as_ref()) != n_spec.and_then(|s| s.taints.as_ref())
        || o_status.and_then(|s| s.allocatable.as_ref())
            != n_status.and_then(|s| s.allocatable.as_ref())
        || conditions_changed
}
