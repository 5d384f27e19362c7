//! kube-scheduler: the scheduling queue, the scheduling cycle and binding.
//!
//! One cycle (pkg/scheduler/schedule_one.go) pops the highest-priority pod,
//! picks the profile by `spec.schedulerName`, runs PreFilter, then the
//! filters over the nodes starting at the rotating start index until
//! `numFeasibleNodesToFind` feasible nodes are found (a nominated node is
//! tried first), scores them (PreScore, Score, NormalizeScore, weights),
//! picks the best (ties broken by reservoir sampling from the scheduler's
//! seeded stream), assumes the pod on the node in its cache and binds it
//! through the API. A pod that fits nowhere goes to DefaultPreemption, gets
//! the real FailedScheduling event and a `PodScheduled=False` condition and
//! waits in the unschedulable pool.
//!
//! Virtual time reflects the work: a cycle costs `timings.scheduling_cycle`
//! plus `timings.scheduling_per_node` for every node examined.

pub mod compiled_profile;
pub mod explanation;
pub mod framework;
pub mod node_info;
pub mod node_search;
pub mod node_slots;
pub mod plugins;
pub mod pod_info;
pub mod pod_table;
pub mod preemption;
pub mod profile;
pub mod queue;
pub mod verdicts;

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::PodCondition;
use rand::Rng;
use rustc_hash::FxHashMap;

use self::compiled_profile::CompiledProfile;
use self::explanation::{Attempt, FilterVerdict, NodeVerdict, PreemptionOutcome};
use self::framework::{ClusterView, CycleState, Feasible};
use self::node_info::NodeInfo;
use self::node_search::{Found, NodeSearch};
use self::node_slots::NodeSlots;
use self::plugins::inter_pod_affinity::NamespaceLabels;
use self::plugins::{PluginId, Rejection};
use self::pod_info::{PodInfo, SharedPodInfo};
use self::pod_table::{Assigned, PodId, PodTable};
pub use self::profile::DEFAULT_SCHEDULER_NAME;
use self::queue::SchedulingQueue;
use self::verdicts::Shapes;
use super::event_recorder::EventRecorder;
use super::{Component, ControlPlaneProcess, Ctx, Role, Tag, TagSpace, WatchEvent};
use crate::api::labels::Selector;
use crate::api::meta::time;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::watch::WatchSpec;
use crate::apiserver::{ApiResult, DeleteOptions, Request};
use crate::etcd::ChangeType;
use crate::time::SimDuration;

/// `minFeasibleNodesToFind` (schedule_one.go).
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// `minFeasibleNodesPercentageToFind`.
pub const MIN_FEASIBLE_NODES_PERCENTAGE: usize = 5;

/// What the scheduler's tags are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SchedulerTag {
    /// The next scheduling cycle.
    Cycle,
    /// flushBackoffQCompleted, every second.
    FlushBackoff,
    /// flushUnschedulablePodsLeftover, every 30 s.
    FlushUnschedulable,
    /// A bind response; the serial number keys `Scheduler::binding`.
    Bind,
}

impl TagSpace for SchedulerTag {
    const ALL: &'static [Self] = &[
        Self::Cycle,
        Self::FlushBackoff,
        Self::FlushUnschedulable,
        Self::Bind,
    ];
    fn id(self) -> u8 {
        self as u8
    }
}

/// The tag of a timer that needs no serial number.
fn timer(space: SchedulerTag) -> Tag {
    Tag::new(space, 0)
}

/// The number of nodes to find feasible before stopping the search
/// (schedule_one.go: numFeasibleNodesToFind), for `percentage` = 0 meaning adaptive.
pub fn num_feasible_nodes_to_find(num_all_nodes: usize, percentage: usize) -> usize {
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let mut p = percentage;
    if p == 0 {
        p = 50usize
            .saturating_sub(num_all_nodes / 125)
            .max(MIN_FEASIBLE_NODES_PERCENTAGE);
    }
    let n = num_all_nodes * p / 100;
    n.max(MIN_FEASIBLE_NODES_TO_FIND)
}

/// A bind request in flight.
#[derive(Clone, Debug)]
struct Binding {
    id: PodId,
    pod: Arc<Object>,
    node: String,
    attempts: u32,
}

/// Scheduling counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SchedulerStats {
    /// Scheduling attempts.
    pub attempts: u64,
    /// Pods bound.
    pub scheduled: u64,
    /// Attempts that found no node.
    pub unschedulable: u64,
}

/// The scheduler component.
pub struct Scheduler {
    recorder: EventRecorder,
    queue: SchedulingQueue,
    profiles: Vec<Arc<CompiledProfile>>,
    percentage_of_nodes_to_score: usize,
    nodes: NodeSlots,
    /// Node slot by node name (looked up, never iterated).
    node_index: FxHashMap<String, usize>,
    order: Vec<usize>,
    /// The pods the scheduler tracks (queued, placed or being bound).
    pods: PodTable,
    /// Pods waiting with `status.nominatedNodeName`, by uid.
    nominated: BTreeMap<String, (String, SharedPodInfo)>,
    image_nodes: BTreeMap<String, usize>,
    namespaces: NamespaceLabels,
    /// Service selectors by (namespace, name).
    services: BTreeMap<(String, String), BTreeMap<String, String>>,
    /// ReplicaSet and StatefulSet selectors by (kind, namespace, name).
    workloads: BTreeMap<(&'static str, String, String), Selector>,
    claims: BTreeSet<String>,
    required_anti_affinity_pods: usize,
    affinity_pods: usize,
    order_dirty: bool,
    next_start_node_index: usize,
    cycle_pending: bool,
    stats: SchedulerStats,
    /// Bind requests in flight by their tag's serial number.
    binding: BTreeMap<u64, Binding>,
    next_bind_serial: u64,
    explain: bool,
    attempts: Vec<Attempt>,
    /// Pod shapes seen, interned for the node slots' verdicts.
    shapes: Shapes,
    /// The last search's result, kept for its buffers.
    found: Found,
}

impl Default for Scheduler {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheduler {
    /// A scheduler; its configuration is read from the cluster config at start.
    pub fn new() -> Self {
        Self {
            recorder: EventRecorder::new(DEFAULT_SCHEDULER_NAME, None),
            queue: SchedulingQueue::new(
                SimDuration::from_secs(1),
                SimDuration::from_secs(10),
                SimDuration::from_mins(5),
            ),
            profiles: Vec::new(),
            percentage_of_nodes_to_score: 0,
            nodes: NodeSlots::default(),
            node_index: FxHashMap::default(),
            order: Vec::new(),
            pods: PodTable::default(),
            nominated: BTreeMap::new(),
            image_nodes: BTreeMap::new(),
            namespaces: BTreeMap::new(),
            services: BTreeMap::new(),
            workloads: BTreeMap::new(),
            claims: BTreeSet::new(),
            required_anti_affinity_pods: 0,
            affinity_pods: 0,
            order_dirty: false,
            next_start_node_index: 0,
            cycle_pending: false,
            stats: SchedulerStats::default(),
            binding: BTreeMap::new(),
            next_bind_serial: 0,
            explain: false,
            attempts: Vec::new(),
            shapes: Shapes::default(),
            found: Found::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> SchedulerStats {
        self.stats
    }

    /// The explained attempts so far (kept only with `explain_scheduling`).
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    fn profile_index(&self, scheduler_name: &str) -> Option<usize> {
        self.profiles.iter().position(|p| p.name == scheduler_name)
    }

    fn rebuild_order(&mut self) {
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

    fn kick(&mut self, ctx: &mut Ctx<'_>) {
        if !self.cycle_pending && self.queue.has_active() {
            self.cycle_pending = true;
            ctx.set_timer(SimDuration::ZERO, timer(SchedulerTag::Cycle));
        }
    }

    fn count_images(&mut self, node: usize, delta: isize) {
        for name in self.nodes[node].images.keys() {
            let e = self.image_nodes.entry(name.clone()).or_default();
            *e = e.saturating_add_signed(delta);
        }
        self.image_nodes.retain(|_, n| *n > 0);
    }

    fn on_node(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
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

    fn account(&mut self, id: PodId, info: SharedPodInfo, node: String, object: Arc<Object>) {
        if let Some(&i) = self.node_index.get(&node) {
            self.nodes.add_pod(i, info.clone());
        }
        if !info.affinity.required_anti_affinity.is_empty() {
            self.required_anti_affinity_pods += 1;
        }
        if !info.affinity.is_empty() {
            self.affinity_pods += 1;
        }
        self.pods.slot_mut(id).assigned = Some(Assigned { node, info, object });
    }

    fn unaccount(&mut self, id: PodId) -> bool {
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
        true
    }

    fn on_pod(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
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
    fn pod_info(&mut self, profile: usize, obj: &Object) -> SharedPodInfo {
        let mut info = PodInfo::of(obj);
        info.shape = self.shapes.intern(profile, &info);
        Arc::new(info)
    }

    fn on_other(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
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
            Object::PersistentVolumeClaim(_) => {
                let name = format!("{}/{}", key.0, key.1);
                if deleted {
                    self.claims.remove(&name);
                } else if self.claims.insert(name) {
                    // PvcAdd may make pods waiting for their claim schedulable.
                    self.queue.move_all_unschedulable(ctx.now());
                    self.kick(ctx);
                }
            }
            _ => {}
        }
    }

    /// Records (or forgets) a ReplicaSet's or StatefulSet's selector.
    fn set_workload(
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

    /// `helper.DefaultSelector`: the Services selecting the pod, and its
    /// controlling ReplicaSet or StatefulSet.
    fn default_selector(&self, pod: &Object, info: &PodInfo) -> Selector {
        let mut labels: BTreeMap<String, String> = BTreeMap::new();
        let ns = info.namespace.clone();
        for (_, sel) in self
            .services
            .range((ns.clone(), String::new())..)
            .take_while(|((n, _), _)| *n == ns)
        {
            if sel.iter().all(|(k, v)| info.labels.get(k) == Some(v)) {
                labels.extend(sel.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        let mut selector = Selector::from_map(&labels).unwrap_or_default();
        let owner = pod
            .as_pod()
            .and_then(|p| p.metadata.owner_references.as_ref())
            .and_then(|refs| refs.iter().find(|r| r.controller == Some(true)));
        if let Some(o) = owner {
            let kind = match (o.api_version.as_str(), o.kind.as_str()) {
                ("apps/v1", "ReplicaSet") => Some("ReplicaSet"),
                ("apps/v1", "StatefulSet") => Some("StatefulSet"),
                _ => None,
            };
            if let Some(sel) =
                kind.and_then(|k| self.workloads.get(&(k, ns.clone(), o.name.clone())))
            {
                selector = selector.and(sel);
            }
        }
        selector
    }

    /// The nominated pods of at least the pod's priority, by node index
    /// (RunFilterPluginsWithNominatedPods adds them to their node while
    /// filtering it). Built once per cycle; usually empty.
    fn nominated_by_node(&self, pod: &PodInfo) -> BTreeMap<usize, Vec<SharedPodInfo>> {
        let mut out: BTreeMap<usize, Vec<SharedPodInfo>> = BTreeMap::new();
        for (uid, (node, p)) in &self.nominated {
            if *uid == pod.uid || p.priority < pod.priority {
                continue;
            }
            if let Some(&i) = self.node_index.get(node) {
                out.entry(i).or_default().push(p.clone());
            }
        }
        out
    }

    fn cycle(&mut self, ctx: &mut Ctx<'_>) {
        self.cycle_pending = false;
        let Some((id, queued)) = self.queue.pop() else {
            return;
        };
        let pod = queued.pod.clone();
        let Some(p) = pod
            .as_pod()
            .and_then(|o| self.profile_index(pod_info::scheduler_name(o)))
        else {
            return;
        };
        let info = match &self.pods.slot(id).queued_info {
            Some(i) => i.clone(),
            None => {
                let info = self.pod_info(p, &pod);
                self.pods.slot_mut(id).queued_info = Some(info.clone());
                info
            }
        };
        self.stats.attempts += 1;
        if self.order_dirty {
            self.order_dirty = false;
            self.rebuild_order();
        }
        let profile = Arc::clone(&self.profiles[p]);
        let n = self.order.len();
        let percentage = profile
            .percentage_of_nodes_to_score
            .map(|x| x as usize)
            .unwrap_or(self.percentage_of_nodes_to_score);
        // The System default spreading selector matters only to
        // PodTopologySpread, and only for pods without constraints of their own.
        let spreads = profile.filters.contains(&PluginId::PodTopologySpread)
            || profile
                .scores
                .iter()
                .any(|(id, _)| *id == PluginId::PodTopologySpread);
        let default_selector = if spreads && info.spread_constraints.is_empty() {
            self.default_selector(&pod, &info)
        } else {
            Selector::everything()
        };
        let explain = self.explain;
        let mut attempt = explain.then(|| Attempt {
            t_ns: ctx.now().as_nanos(),
            pod: info.key(),
            profile: profile.name.clone(),
            result: "unschedulable",
            node: None,
            message: None,
            nodes: BTreeMap::new(),
            preemption: None,
        });
        let nominated_pods = self.nominated_by_node(&info);
        let (infos, verdicts) = self.nodes.with_verdicts();
        let view = ClusterView {
            nodes: infos,
            num_nodes: n,
            namespaces: &self.namespaces,
            image_nodes: &self.image_nodes,
            any_required_anti_affinity: self.required_anti_affinity_pods > 0,
            any_affinity: self.affinity_pods > 0,
            default_selector,
            claims: &self.claims,
        };
        let mut pre_filter_rejection = None;
        let mut state = CycleState::default();
        if n > 0 {
            match framework::pre_filter(&profile, &info, &view) {
                Err(r) => pre_filter_rejection = Some(r),
                Ok(s) => state = s,
            }
        }
        let scratch = std::mem::take(&mut self.found);
        let found = if n > 0 && pre_filter_rejection.is_none() {
            let search = NodeSearch {
                profile: &profile,
                state: &state,
                pod: &info,
                view: &view,
                nominated_pods: &nominated_pods,
                verdicts,
            };
            // A nominated node is evaluated first (schedule_one.go: evaluateNominatedNode).
            let nominated_node = info
                .nominated_node_name
                .as_ref()
                .and_then(|name| self.node_index.get(name).copied());
            let want = num_feasible_nodes_to_find(n, percentage);
            search.run(
                scratch,
                nominated_node,
                &self.order,
                self.next_start_node_index,
                want,
            )
        } else {
            let mut found = scratch;
            found.clear(self.next_start_node_index);
            found
        };
        let Found {
            feasible,
            mut totals,
            rejections,
            processed,
            next_start,
        } = found;
        self.next_start_node_index = next_start;
        if let Some(a) = attempt.as_mut() {
            for (i, r) in &rejections {
                a.nodes.insert(
                    infos[*i].name.clone(),
                    NodeVerdict {
                        filter: FilterVerdict::Rejected {
                            plugin: r.plugin,
                            reason: r.reasons.join(", "),
                        },
                        scores: BTreeMap::new(),
                        total: None,
                    },
                );
            }
        }
        let chosen = if feasible.is_empty() {
            None
        } else if feasible.len() == 1 {
            if let Some(a) = attempt.as_mut() {
                a.nodes.insert(
                    infos[feasible[0]].name.clone(),
                    NodeVerdict {
                        filter: FilterVerdict::OK,
                        scores: BTreeMap::new(),
                        total: None,
                    },
                );
            }
            Some(feasible[0])
        } else {
            let nodes = Feasible {
                nodes: &feasible,
                totals: std::mem::take(&mut totals),
            };
            let scores = framework::score_nodes(&profile, &info, nodes, verdicts, &view, explain);
            if let Some(a) = attempt.as_mut() {
                for (j, &i) in feasible.iter().enumerate() {
                    a.nodes.insert(
                        infos[i].name.clone(),
                        NodeVerdict {
                            filter: FilterVerdict::OK,
                            scores: scores.parts.iter().map(|(name, v)| (*name, v[j])).collect(),
                            total: Some(scores.totals[j]),
                        },
                    );
                }
            }
            let best = select_host(ctx, &scores.totals);
            totals = scores.totals;
            Some(feasible[best])
        };
        // Preemption needs the view; decide it before the cache changes.
        let preemption = match chosen {
            Some(_) => None,
            None if n > 0 && profile.preemption && pre_filter_rejection.is_none() => {
                let offset = ctx.rng().random_range(0..n);
                Some(preemption::preempt(
                    &profile,
                    &state,
                    &info,
                    &rejections,
                    &view,
                    offset,
                ))
            }
            None => None,
        };
        drop(view);
        let t = ctx.config().timings;
        let cost = t.scheduling_cycle
            + SimDuration::from_nanos(
                t.scheduling_per_node
                    .as_nanos()
                    .saturating_mul(processed as u64),
            );
        match chosen {
            Some(i) => {
                let node = self.nodes[i].name.clone();
                if let Some(a) = attempt.as_mut() {
                    a.result = "scheduled";
                    a.node = Some(node.clone());
                }
                self.assume_and_bind(ctx, id, &pod, info, node, queued.attempts);
            }
            None => {
                let all: Vec<Rejection> = match &pre_filter_rejection {
                    Some(r) => vec![r.clone()],
                    None => rejections.iter().map(|(_, r)| r.clone()).collect(),
                };
                let mut message = fit_error_message(n, &all, pre_filter_rejection.is_some());
                let mut nominated = None;
                match preemption {
                    Some(preemption::Outcome::NotHelpful(m)) => {
                        message = format!("{message} preemption: {m}");
                    }
                    Some(preemption::Outcome::Nominated(c)) => nominated = Some(c),
                    None if n > 0 && profile.preemption => {
                        // PreFilter rejected: every node is "not helpful".
                        message = format!(
                            "{message} preemption: 0/{n} nodes are available: {n} Preemption is not helpful for scheduling."
                        );
                    }
                    None => {}
                }
                let nominated_node = nominated.map(|c| {
                    let node = self.nodes[c.node].name.clone();
                    if let Some(a) = attempt.as_mut() {
                        a.preemption = Some(PreemptionOutcome {
                            node: node.clone(),
                            victims: c.victims.iter().map(|v| v.key()).collect(),
                        });
                    }
                    self.evict_victims(ctx, &pod, &node, &c.victims);
                    node
                });
                // No nodes at all is an error, not a FitError (schedule_one.go:
                // ErrNoNodesAvailable): reason SchedulerError, retried after backoff.
                let error = n == 0;
                if let Some(a) = attempt.as_mut() {
                    a.message = Some(message.clone());
                    if error {
                        a.result = "error";
                    }
                }
                self.fail(ctx, (id, &pod, &info), message, nominated_node, error);
            }
        }
        if let Some(a) = attempt {
            self.attempts.push(a);
        }
        self.found = Found {
            feasible,
            totals,
            rejections,
            processed,
            next_start,
        };
        if self.queue.has_active() {
            self.cycle_pending = true;
            ctx.set_timer(cost, timer(SchedulerTag::Cycle));
        }
    }

    fn evict_victims(
        &mut self,
        ctx: &mut Ctx<'_>,
        preemptor: &Arc<Object>,
        node: &str,
        victims: &[SharedPodInfo],
    ) {
        for v in victims {
            let placed = self.pods.get(&v.uid);
            let Some(a) = placed.and_then(|id| self.pods.slot(id).assigned.as_ref()) else {
                continue;
            };
            if v.terminating {
                continue;
            }
            let object = a.object.clone();
            self.recorder.record(
                ctx,
                &object,
                "Normal",
                "Preempted",
                format!("Preempted by pod {} on node {node}", preemptor.uid()),
            );
            ctx.trace("preempt", format!("pod/{}", v.key()), node.to_owned());
            if let Some(mut pod) = object.as_pod().cloned() {
                let status = pod.status.get_or_insert_with(Default::default);
                let conds = status.conditions.get_or_insert_with(Vec::new);
                conds.retain(|c| c.type_ != "DisruptionTarget");
                conds.push(PodCondition {
                    type_: "DisruptionTarget".into(),
                    status: "True".into(),
                    reason: Some("PreemptionByScheduler".into()),
                    message: Some(format!(
                        "{DEFAULT_SCHEDULER_NAME}: preempting to accommodate a higher priority pod"
                    )),
                    last_transition_time: Some(time(ctx.now())),
                    ..Default::default()
                });
                pod.metadata.resource_version = None;
                ctx.send(Request::UpdateStatus(Object::from(pod)));
            }
            ctx.send(Request::Delete {
                key: ObjectKey::new(Kind::Pod, v.namespace.clone(), v.name.clone()),
                options: DeleteOptions::default(),
            });
        }
    }

    fn assume_and_bind(
        &mut self,
        ctx: &mut Ctx<'_>,
        id: PodId,
        pod: &Arc<Object>,
        info: SharedPodInfo,
        node_name: String,
        attempts: u32,
    ) {
        self.nominated.remove(&info.uid);
        self.account(id, info, node_name.clone(), pod.clone());
        self.queue.remove(id);
        let slot = self.pods.slot_mut(id);
        slot.queued_info = None;
        slot.bindings += 1;
        let serial = self.next_bind_serial;
        self.next_bind_serial += 1;
        self.binding.insert(
            serial,
            Binding {
                id,
                pod: pod.clone(),
                node: node_name.clone(),
                attempts,
            },
        );
        if ctx.tracing() {
            ctx.trace(
                "schedule",
                format!("pod/{}/{}", pod.namespace(), pod.name()),
                node_name.clone(),
            );
        }
        ctx.send_tagged(
            Request::Bind {
                namespace: pod.namespace().to_owned(),
                name: pod.name().to_owned(),
                node: node_name,
            },
            Tag::new(SchedulerTag::Bind, serial),
        );
    }

    /// A failed attempt: the FailedScheduling event, the PodScheduled=False
    /// condition (and the nomination, if preemption made one), then back to
    /// the queue: the unschedulable pool, or backoffQ for an `error`.
    fn fail(
        &mut self,
        ctx: &mut Ctx<'_>,
        (id, pod, info): (PodId, &Arc<Object>, &SharedPodInfo),
        message: String,
        nominated_node: Option<String>,
        error: bool,
    ) {
        self.stats.unschedulable += 1;
        let reason = if error {
            "SchedulerError"
        } else {
            "Unschedulable"
        };
        ctx.trace(
            "unschedulable",
            format!("pod/{}/{}", pod.namespace(), pod.name()),
            message.clone(),
        );
        self.recorder
            .record(ctx, pod, "Warning", "FailedScheduling", message.clone());
        if let Some(mut p) = pod.as_pod().cloned() {
            let status = p.status.get_or_insert_with(Default::default);
            let nomination_changed =
                nominated_node.is_some() && status.nominated_node_name != nominated_node;
            if nomination_changed {
                status.nominated_node_name = nominated_node.clone();
            }
            let conditions = status.conditions.get_or_insert_with(Vec::new);
            let already = conditions.iter().any(|c| {
                c.type_ == "PodScheduled"
                    && c.status == "False"
                    && c.message.as_deref() == Some(&message)
            });
            if !already || nomination_changed {
                let since = conditions
                    .iter()
                    .find(|c| c.type_ == "PodScheduled" && c.status == "False")
                    .and_then(|c| c.last_transition_time.clone())
                    .unwrap_or_else(|| time(ctx.now()));
                conditions.retain(|c| c.type_ != "PodScheduled");
                conditions.push(PodCondition {
                    type_: "PodScheduled".into(),
                    status: "False".into(),
                    reason: Some(reason.into()),
                    message: Some(message),
                    last_transition_time: Some(since),
                    last_probe_time: None,
                    observed_generation: None,
                });
                p.metadata.resource_version = None;
                ctx.send(Request::UpdateStatus(Object::from(p)));
            }
        }
        if let Some(node) = nominated_node {
            self.nominated
                .insert(info.uid.clone(), (node, info.clone()));
        }
        self.queue.requeue_failed(id, ctx.now(), !error);
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

/// `selectHost`: the index of the best total, ties broken by reservoir
/// sampling (the k-th tied node replaces the pick with probability 1/k).
fn select_host(ctx: &mut Ctx<'_>, totals: &[i64]) -> usize {
    let mut best = 0;
    let mut best_score = i64::MIN;
    let mut ties = 0u32;
    for (j, &score) in totals.iter().enumerate() {
        if score > best_score {
            best_score = score;
            best = j;
            ties = 1;
        } else if score == best_score {
            ties += 1;
            if ctx.rng().random_range(0..ties) == 0 {
                best = j;
            }
        }
    }
    best
}

/// The FailedScheduling message (framework.FitError.Error): counts per
/// reason, each entry `"<count> <reason>"`, sorted as strings. A PreFilter
/// rejection is given alone.
pub fn fit_error_message(num_nodes: usize, rejections: &[Rejection], pre_filter: bool) -> String {
    if num_nodes == 0 {
        return "no nodes available to schedule pods".to_owned();
    }
    if pre_filter {
        let reasons: Vec<&str> = rejections
            .iter()
            .flat_map(|r| r.reasons.iter().map(String::as_str))
            .collect();
        return format!("0/{num_nodes} nodes are available: {}.", reasons.join(", "));
    }
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rejections {
        for reason in &r.reasons {
            *reasons.entry(reason.as_str()).or_default() += 1;
        }
    }
    let mut parts: Vec<String> = reasons.iter().map(|(r, c)| format!("{c} {r}")).collect();
    parts.sort();
    format!("0/{num_nodes} nodes are available: {}.", parts.join(", "))
}

impl Component for Scheduler {
    fn role(&self) -> Role {
        Role::ControlPlane(ControlPlaneProcess::Scheduler)
    }

    fn start(&mut self, ctx: &mut Ctx<'_>) {
        let t = ctx.config().timings;
        self.queue = SchedulingQueue::new(
            t.pod_initial_backoff,
            t.pod_max_backoff,
            t.pod_max_in_unschedulable,
        );
        let config = &ctx.config().scheduler;
        self.profiles = config
            .profiles
            .iter()
            .map(|p| Arc::new(CompiledProfile::compile(p)))
            .collect();
        self.percentage_of_nodes_to_score =
            usize::try_from(config.percentage_of_nodes_to_score).unwrap_or(0);
        self.explain = ctx.config().explain_scheduling;
        for kind in [
            Kind::Node,
            Kind::Pod,
            Kind::Namespace,
            Kind::Service,
            Kind::ReplicaSet,
            Kind::StatefulSet,
            Kind::PersistentVolumeClaim,
        ] {
            ctx.watch(WatchSpec::all(kind));
        }
        ctx.set_timer(SimDuration::from_secs(1), timer(SchedulerTag::FlushBackoff));
        ctx.set_timer(
            SimDuration::from_secs(30),
            timer(SchedulerTag::FlushUnschedulable),
        );
    }

    fn on_watch(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
        match event.object.kind() {
            Kind::Node => self.on_node(ctx, event),
            Kind::Pod => self.on_pod(ctx, event),
            _ => self.on_other(ctx, event),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, tag: Tag) {
        match tag.space() {
            Some(SchedulerTag::Cycle) => self.cycle(ctx),
            Some(SchedulerTag::FlushBackoff) => {
                self.queue.flush_backoff(ctx.now());
                self.kick(ctx);
                ctx.set_timer(SimDuration::from_secs(1), tag);
            }
            Some(SchedulerTag::FlushUnschedulable) => {
                self.queue.flush_unschedulable_leftover(ctx.now());
                self.kick(ctx);
                ctx.set_timer(SimDuration::from_secs(30), tag);
            }
            Some(SchedulerTag::Bind) | None => {}
        }
    }

    fn on_response(&mut self, ctx: &mut Ctx<'_>, tag: Tag, result: &ApiResult) {
        if tag.space() != Some(SchedulerTag::Bind) {
            return;
        }
        let Some(Binding {
            id,
            pod,
            node,
            attempts,
        }) = self.binding.remove(&tag.serial())
        else {
            return;
        };
        let slot = self.pods.slot_mut(id);
        slot.bindings = slot.bindings.saturating_sub(1);
        match result {
            Ok(_) => {
                self.stats.scheduled += 1;
                let msg = format!(
                    "Successfully assigned {}/{} to {node}",
                    pod.namespace(),
                    pod.name()
                );
                self.recorder.record(ctx, &pod, "Normal", "Scheduled", msg);
            }
            Err(e) => {
                // Binding failed: forget the assumed pod and retry after backoff.
                self.unaccount(id);
                ctx.trace(
                    "bind-failed",
                    format!("pod/{}/{}", pod.namespace(), pod.name()),
                    e.message.clone(),
                );
                if e.reason != crate::api::Reason::NotFound {
                    // An error goes to backoffQ with the attempts it already had.
                    self.queue
                        .add_with_attempts(id, pod.clone(), ctx.now(), attempts);
                    self.queue.requeue_failed(id, ctx.now(), false);
                }
                let queued = self.queue.contains(id);
                self.pods.release_if_unused(id, queued);
            }
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_arithmetic_matches_schedule_one() {
        // schedule_one.go: numFeasibleNodesToFind
        assert_eq!(num_feasible_nodes_to_find(50, 0), 50);
        assert_eq!(num_feasible_nodes_to_find(100, 0), 100);
        assert_eq!(num_feasible_nodes_to_find(1000, 0), 420);
        assert_eq!(num_feasible_nodes_to_find(5000, 0), 500);
        assert_eq!(num_feasible_nodes_to_find(6000, 0), 300);
        assert_eq!(num_feasible_nodes_to_find(10000, 0), 500);
        assert_eq!(num_feasible_nodes_to_find(1000, 10), 100);
    }

    #[test]
    fn fit_error_message_format() {
        let r = vec![
            Rejection::new(
                "TaintToleration",
                "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
                true,
            ),
            Rejection::new("NodeResourcesFit", "Insufficient cpu", false),
            Rejection::new("NodeResourcesFit", "Insufficient cpu", false),
        ];
        assert_eq!(
            fit_error_message(3, &r, false),
            "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu."
        );
    }
}
