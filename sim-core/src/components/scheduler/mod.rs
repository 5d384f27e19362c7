//! kube-scheduler: the scheduling queue, the scheduling cycle and binding.
//!
//! One cycle (pkg/scheduler/schedule_one.go) pops the highest-priority pod,
//! runs the filters over the nodes starting at the rotating start index until
//! `numFeasibleNodesToFind` feasible nodes are found, scores them, picks the
//! best (ties broken by reservoir sampling from the scheduler's seeded
//! stream), assumes the pod on the node in its cache and binds it through the
//! API. A pod that fits nowhere gets the real FailedScheduling event and a
//! `PodScheduled=False` condition and waits in the unschedulable pool.

pub mod node_info;
pub mod plugins;
pub mod queue;

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{PodCondition, Toleration};
use rand::Rng;

use self::node_info::NodeInfo;
use self::plugins::Rejection;
use self::queue::SchedulingQueue;
use super::event_recorder::EventRecorder;
use super::{Component, Ctx, WatchEvent};
use crate::api::meta::time;
use crate::api::resources::{pod_non_zero_requests, pod_requests, Resources};
use crate::api::{Kind, Object};
use crate::apiserver::watch::WatchSpec;
use crate::apiserver::{ApiResult, Request};
use crate::etcd::ChangeType;

/// The default scheduler name.
pub const DEFAULT_SCHEDULER_NAME: &str = "default-scheduler";

/// `minFeasibleNodesToFind` (schedule_one.go).
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// `minFeasibleNodesPercentageToFind`.
pub const MIN_FEASIBLE_NODES_PERCENTAGE: usize = 5;

const TIMER_CYCLE: u64 = 1;
const TIMER_FLUSH_BACKOFF: u64 = 2;
const TIMER_FLUSH_UNSCHEDULABLE: u64 = 3;

/// What the scheduler needs of a pod, computed once per attempt.
#[derive(Clone, Debug, Default)]
pub struct PodInfo {
    /// `spec.nodeName` (pods naming a node are still filtered by NodeName).
    pub node_name: Option<String>,
    /// Requests for the Fit filter.
    pub requests: Resources,
    /// Requests with non-zero defaults, for scoring.
    pub non_zero: Resources,
    /// Tolerations.
    pub tolerations: Vec<Toleration>,
    /// `spec.nodeSelector`.
    pub node_selector: std::collections::BTreeMap<String, String>,
    /// Required node-affinity terms (ORed), when the pod has any.
    pub required_node_terms: Option<Vec<k8s_openapi::api::core::v1::NodeSelectorTerm>>,
}

impl PodInfo {
    /// Extracts the scheduling-relevant parts of a pod.
    pub fn of(obj: &Object) -> Self {
        let Some(spec) = obj.as_pod().and_then(|p| p.spec.as_ref()) else {
            return Self::default();
        };
        Self {
            node_name: spec.node_name.clone(),
            requests: pod_requests(spec),
            non_zero: pod_non_zero_requests(spec),
            tolerations: spec.tolerations.clone().unwrap_or_default(),
            node_selector: spec.node_selector.clone().unwrap_or_default(),
            required_node_terms: spec
                .affinity
                .as_ref()
                .and_then(|a| a.node_affinity.as_ref())
                .and_then(|na| {
                    na.required_during_scheduling_ignored_during_execution
                        .as_ref()
                })
                .map(|ns| ns.node_selector_terms.clone()),
        }
    }
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
    uid: String,
    pod: Arc<Object>,
    node: String,
    attempts: u32,
}

#[derive(Clone, Debug)]
struct Assigned {
    node: String,
    requests: Resources,
    non_zero: Resources,
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
    nodes: Vec<NodeInfo>,
    node_index: BTreeMap<String, usize>,
    order: Vec<usize>,
    assigned: BTreeMap<String, Assigned>,
    next_start_node_index: usize,
    cycle_pending: bool,
    percentage_of_nodes_to_score: usize,
    stats: SchedulerStats,
    binding: BTreeMap<u64, Binding>,
    next_bind_tag: u64,
}

impl Default for Scheduler {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheduler {
    /// A scheduler with the default configuration.
    pub fn new() -> Self {
        Self {
            recorder: EventRecorder::new(DEFAULT_SCHEDULER_NAME, None),
            queue: SchedulingQueue::new(
                crate::time::SimDuration::from_secs(1),
                crate::time::SimDuration::from_secs(10),
                crate::time::SimDuration::from_mins(5),
            ),
            nodes: Vec::new(),
            node_index: BTreeMap::new(),
            order: Vec::new(),
            assigned: BTreeMap::new(),
            next_start_node_index: 0,
            cycle_pending: false,
            percentage_of_nodes_to_score: 0,
            stats: SchedulerStats::default(),
            binding: BTreeMap::new(),
            next_bind_tag: 1000,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> SchedulerStats {
        self.stats
    }

    fn rebuild_order(&mut self) {
        // The node tree (pkg/scheduler/backend/cache/node_tree.go): zones in order
        // of first appearance, nodes round-robin across zones.
        let mut zones: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            if n.name.is_empty() {
                continue;
            }
            match zones.iter_mut().find(|(z, _)| z == n.zone()) {
                Some((_, v)) => v.push(i),
                None => zones.push((n.zone().to_owned(), vec![i])),
            }
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
            ctx.set_timer(crate::time::SimDuration::ZERO, TIMER_CYCLE);
        }
    }

    fn on_node(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
        let name = event.object.name().to_owned();
        match event.change {
            ChangeType::Deleted => {
                if let Some(i) = self.node_index.remove(&name) {
                    self.nodes[i].name.clear();
                    self.rebuild_order();
                }
            }
            _ => {
                match self.node_index.get(&name) {
                    Some(&i) => self.nodes[i].update_node(event.object.clone()),
                    None => {
                        let mut info = NodeInfo::from_node(event.object.clone());
                        for a in self.assigned.values().filter(|a| a.node == name) {
                            info.add_pod(&a.requests, &a.non_zero);
                        }
                        self.node_index.insert(name, self.nodes.len());
                        self.nodes.push(info);
                        self.rebuild_order();
                    }
                }
                self.queue.move_all_unschedulable(ctx.now());
                self.kick(ctx);
            }
        }
    }

    fn account(&mut self, uid: &str, obj: &Object) {
        if self.assigned.contains_key(uid) {
            return;
        }
        let info = PodInfo::of(obj);
        let node = info.node_name.clone().unwrap_or_default();
        if let Some(&i) = self.node_index.get(&node) {
            self.nodes[i].add_pod(&info.requests, &info.non_zero);
        }
        self.assigned.insert(
            uid.to_owned(),
            Assigned {
                node,
                requests: info.requests,
                non_zero: info.non_zero,
            },
        );
    }

    fn unaccount(&mut self, uid: &str) -> bool {
        let Some(a) = self.assigned.remove(uid) else {
            return false;
        };
        if let Some(&i) = self.node_index.get(&a.node) {
            self.nodes[i].remove_pod(&a.requests, &a.non_zero);
        }
        true
    }

    fn on_pod(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
        let obj = &event.object;
        let uid = obj.uid().to_owned();
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
            self.queue.remove(&uid);
            if self.unaccount(&uid) {
                // AssignedPodDelete may make unschedulable pods fit.
                self.queue.move_all_unschedulable(ctx.now());
                self.kick(ctx);
            }
            return;
        }
        if assigned {
            self.queue.remove(&uid);
            self.account(&uid, obj);
            return;
        }
        let ours = spec
            .and_then(|s| s.scheduler_name.as_deref())
            .unwrap_or(DEFAULT_SCHEDULER_NAME)
            == DEFAULT_SCHEDULER_NAME;
        if ours && pod.metadata.deletion_timestamp.is_none() {
            self.queue.add_or_update(&uid, obj.clone(), ctx.now());
            self.kick(ctx);
        }
    }

    fn cycle(&mut self, ctx: &mut Ctx<'_>) {
        self.cycle_pending = false;
        let Some((uid, queued)) = self.queue.pop() else {
            return;
        };
        self.stats.attempts += 1;
        let pod = queued.pod.clone();
        let info = PodInfo::of(&pod);
        let n = self.order.len();
        let mut feasible: Vec<usize> = Vec::new();
        let mut rejections: Vec<Rejection> = Vec::new();
        if n > 0 {
            let want = num_feasible_nodes_to_find(n, self.percentage_of_nodes_to_score);
            let mut processed = 0;
            for k in 0..n {
                if feasible.len() >= want {
                    break;
                }
                let i = self.order[(self.next_start_node_index + k) % n];
                processed += 1;
                match self.filter(&info, &self.nodes[i]) {
                    Ok(()) => feasible.push(i),
                    Err(r) => rejections.push(r),
                }
            }
            self.next_start_node_index = (self.next_start_node_index + processed) % n;
        }
        if feasible.is_empty() {
            self.fail(ctx, &uid, &pod, n, &rejections);
        } else {
            let chosen = self.select_host(ctx, &info, &feasible);
            self.assume_and_bind(ctx, &uid, &pod, &info, chosen, queued.attempts);
        }
        let cost = ctx.config().timings.scheduling_cycle;
        if self.queue.has_active() {
            self.cycle_pending = true;
            ctx.set_timer(cost, TIMER_CYCLE);
        }
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
        plugins::node_unschedulable::filter(pod, node)?;
        plugins::node_name::filter(pod, node)?;
        // The default profile's filter order (apis/config/v1/default_plugins.go):
        // the first filter that rejects a node decides its reason.
        plugins::taint_toleration::filter(pod, node)?;
        plugins::node_affinity::filter(pod, node)?;
        plugins::node_resources_fit::filter(pod, node)
    }

    fn select_host(&self, ctx: &mut Ctx<'_>, pod: &PodInfo, feasible: &[usize]) -> usize {
        if feasible.len() == 1 {
            return feasible[0];
        }
        let mut best = feasible[0];
        let mut best_score = i64::MIN;
        let mut ties = 0u32;
        for &i in feasible {
            let score = plugins::node_resources_fit::score_least_allocated(pod, &self.nodes[i]);
            if score > best_score {
                best_score = score;
                best = i;
                ties = 1;
            } else if score == best_score {
                ties += 1;
                if ctx.rng().random_range(0..ties) == 0 {
                    best = i;
                }
            }
        }
        best
    }

    fn assume_and_bind(
        &mut self,
        ctx: &mut Ctx<'_>,
        uid: &str,
        pod: &Arc<Object>,
        info: &PodInfo,
        node: usize,
        attempts: u32,
    ) {
        let node_name = self.nodes[node].name.clone();
        self.nodes[node].add_pod(&info.requests, &info.non_zero);
        self.assigned.insert(
            uid.to_owned(),
            Assigned {
                node: node_name.clone(),
                requests: info.requests,
                non_zero: info.non_zero,
            },
        );
        self.queue.remove(uid);
        let tag = self.next_bind_tag;
        self.next_bind_tag += 1;
        self.binding.insert(
            tag,
            Binding {
                uid: uid.to_owned(),
                pod: pod.clone(),
                node: node_name.clone(),
                attempts,
            },
        );
        ctx.trace(
            "schedule",
            format!("pod/{}/{}", pod.namespace(), pod.name()),
            node_name.clone(),
        );
        ctx.send_tagged(
            Request::Bind {
                namespace: pod.namespace().to_owned(),
                name: pod.name().to_owned(),
                node: node_name,
            },
            tag,
        );
    }

    fn fail(
        &mut self,
        ctx: &mut Ctx<'_>,
        uid: &str,
        pod: &Arc<Object>,
        num_nodes: usize,
        rejections: &[Rejection],
    ) {
        self.stats.unschedulable += 1;
        let message = fit_error_message(num_nodes, rejections);
        ctx.trace(
            "unschedulable",
            format!("pod/{}/{}", pod.namespace(), pod.name()),
            message.clone(),
        );
        self.recorder
            .record(ctx, pod, "Warning", "FailedScheduling", message.clone());
        if let Some(mut p) = pod.as_pod().cloned() {
            let status = p.status.get_or_insert_with(Default::default);
            let conditions = status.conditions.get_or_insert_with(Vec::new);
            let already = conditions.iter().any(|c| {
                c.type_ == "PodScheduled"
                    && c.status == "False"
                    && c.message.as_deref() == Some(&message)
            });
            if !already {
                let since = conditions
                    .iter()
                    .find(|c| c.type_ == "PodScheduled" && c.status == "False")
                    .and_then(|c| c.last_transition_time.clone())
                    .unwrap_or_else(|| time(ctx.now()));
                conditions.retain(|c| c.type_ != "PodScheduled");
                conditions.push(PodCondition {
                    type_: "PodScheduled".into(),
                    status: "False".into(),
                    reason: Some("Unschedulable".into()),
                    message: Some(message),
                    last_transition_time: Some(since),
                    last_probe_time: None,
                    observed_generation: None,
                });
                p.metadata.resource_version = None;
                ctx.send(Request::UpdateStatus(Object::from(p)));
            }
        }
        self.queue.requeue_failed(uid, ctx.now(), true);
    }
}

/// The FailedScheduling message (framework.FitError.Error): counts per reason,
/// sorted as strings, then the preemption diagnosis.
pub fn fit_error_message(num_nodes: usize, rejections: &[Rejection]) -> String {
    if num_nodes == 0 {
        return "no nodes available to schedule pods".to_owned();
    }
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rejections {
        for reason in &r.reasons {
            *reasons.entry(reason.as_str()).or_default() += 1;
        }
    }
    let mut parts: Vec<String> = reasons.iter().map(|(r, c)| format!("{c} {r}")).collect();
    parts.sort();
    let not_helpful = rejections.iter().filter(|r| r.unresolvable).count();
    let no_victims = rejections.len() - not_helpful;
    let mut preemption: Vec<String> = Vec::new();
    if not_helpful > 0 {
        preemption.push(format!(
            "{not_helpful} Preemption is not helpful for scheduling"
        ));
    }
    if no_victims > 0 {
        preemption.push(format!(
            "{no_victims} No preemption victims found for incoming pod"
        ));
    }
    preemption.sort();
    format!(
        "0/{num_nodes} nodes are available: {}. preemption: 0/{num_nodes} nodes are available: {}.",
        parts.join(", "),
        preemption.join(", ")
    )
}

impl Component for Scheduler {
    fn name(&self) -> &str {
        "kube-scheduler"
    }

    fn start(&mut self, ctx: &mut Ctx<'_>) {
        let t = ctx.config().timings;
        self.queue = SchedulingQueue::new(
            t.pod_initial_backoff,
            t.pod_max_backoff,
            t.pod_max_in_unschedulable,
        );
        ctx.watch(WatchSpec::all(Kind::Node));
        ctx.watch(WatchSpec::all(Kind::Pod));
        ctx.set_timer(crate::time::SimDuration::from_secs(1), TIMER_FLUSH_BACKOFF);
        ctx.set_timer(
            crate::time::SimDuration::from_secs(30),
            TIMER_FLUSH_UNSCHEDULABLE,
        );
    }

    fn on_watch(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
        match event.object.kind() {
            Kind::Node => self.on_node(ctx, event),
            Kind::Pod => self.on_pod(ctx, event),
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, tag: u64) {
        match tag {
            TIMER_CYCLE => self.cycle(ctx),
            TIMER_FLUSH_BACKOFF => {
                self.queue.flush_backoff(ctx.now());
                self.kick(ctx);
                ctx.set_timer(crate::time::SimDuration::from_secs(1), TIMER_FLUSH_BACKOFF);
            }
            TIMER_FLUSH_UNSCHEDULABLE => {
                self.queue.flush_unschedulable_leftover(ctx.now());
                self.kick(ctx);
                ctx.set_timer(
                    crate::time::SimDuration::from_secs(30),
                    TIMER_FLUSH_UNSCHEDULABLE,
                );
            }
            _ => {}
        }
    }

    fn on_response(&mut self, ctx: &mut Ctx<'_>, tag: u64, result: &ApiResult) {
        let Some(Binding {
            uid,
            pod,
            node,
            attempts,
        }) = self.binding.remove(&tag)
        else {
            return;
        };
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
                self.unaccount(&uid);
                ctx.trace(
                    "bind-failed",
                    format!("pod/{}/{}", pod.namespace(), pod.name()),
                    e.message.clone(),
                );
                if e.reason != crate::api::Reason::NotFound {
                    // An error goes to backoffQ with the attempts it already had.
                    self.queue
                        .add_with_attempts(&uid, pod.clone(), ctx.now(), attempts);
                    self.queue.requeue_failed(&uid, ctx.now(), false);
                }
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
            fit_error_message(3, &r),
            "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
        );
    }
}
