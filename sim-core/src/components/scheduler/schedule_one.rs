//! One scheduling cycle (`schedule_one.go`: ScheduleOne, schedulingCycle):
//! pop the next pod, pick its profile by `spec.schedulerName`, run
//! PreFilter, filter nodes from the rotating start index until
//! `numFeasibleNodesToFind` pass (a nominated node first), score them
//! (PreScore, Score, NormalizeScore, weights), pick the best with ties
//! broken by reservoir sampling from the scheduler's seeded stream, then
//! assume and bind, or, when no node fits, try DefaultPreemption and record
//! the FailedScheduling event, the `PodScheduled=False` condition and the
//! unschedulable pool. A cycle costs `timings.scheduling_cycle` plus
//! `timings.scheduling_per_node` per node examined in virtual time.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::PodCondition;
use rand::Rng;

use super::compiled_profile::CompiledProfile;
use super::framework::{self, ClusterView, CycleState, Feasible};
use super::node_info::NodeInfo;
use super::node_search::{Found, NodeSearch};
use super::plugins::spread_domains::KeptCounts;
use super::plugins::{volume_binding, PluginId, Rejection};
use super::pod_info::{self, PodInfo, SharedPodInfo};
use super::pod_table::PodId;
use super::preemption;
use super::verdicts::Verdicts;
use super::{timer, Binding, Scheduler, SchedulerTag};
use crate::api::labels::Selector;
use crate::api::meta::time;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{DeleteOptions, Request};
use crate::components::{Ctx, Tag};
use crate::config::scheduler::DEFAULT_SCHEDULER_NAME;
use crate::time::SimDuration;
use crate::trace::scheduling::{
    rank_top, Attempt, Explanation, FilterVerdict, NodeVerdict, PreemptionOutcome, Summary, TopNode,
};

/// `minFeasibleNodesToFind` (schedule_one.go).
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// `minFeasibleNodesPercentageToFind`.
pub const MIN_FEASIBLE_NODES_PERCENTAGE: usize = 5;

/// The pod a cycle works on.
struct Candidate {
    id: PodId,
    pod: Arc<Object>,
    /// Attempts so far (this one included).
    attempts: u32,
    profile: Arc<CompiledProfile>,
    info: SharedPodInfo,
}

/// What the filtering and scoring of a cycle decided.
struct Decision {
    /// The chosen node slot.
    chosen: Option<usize>,
    /// Live nodes in the node tree.
    num_nodes: usize,
    /// A PreFilter rejection (it applies to every node).
    pre_filter_rejection: Option<Rejection>,
    /// What preemption decided, when it ran.
    preemption: Option<preemption::Outcome>,
}

impl Scheduler {
    /// One scheduling cycle.
    pub(super) fn cycle(&mut self, ctx: &mut Ctx<'_>) {
        self.cycle_pending = false;
        let Some(c) = self.next_candidate() else {
            return;
        };
        self.stats.attempts += 1;
        let mut attempt = self.explain.as_ref().map(|full_for| Attempt {
            t_ns: ctx.now().as_nanos(),
            pod: c.info.key(),
            profile: c.profile.name.clone(),
            result: "unschedulable",
            node: None,
            message: None,
            explanation: if full_for.matches(&c.info.labels) {
                Explanation::Full {
                    nodes: BTreeMap::new(),
                }
            } else {
                Explanation::Summary(Summary::default())
            },
            preemption: None,
        });
        let decision = self.decide(ctx, &c, attempt.as_mut());
        let processed = self.found.processed;
        match decision.chosen {
            Some(i) => {
                let node = self.nodes[i].name.clone();
                if let Some(a) = attempt.as_mut() {
                    a.result = "scheduled";
                    a.node = Some(node.clone());
                }
                self.assume_and_bind(ctx, c.id, &c.pod, c.info, node, c.attempts);
            }
            None => self.unschedulable(ctx, &c, decision, attempt.as_mut()),
        }
        if let Some(a) = attempt {
            ctx.explain(a);
        }
        if self.queue.has_active() {
            let t = ctx.config().timings;
            let cost = t.scheduling_cycle
                + SimDuration::from_nanos(
                    t.scheduling_per_node
                        .as_nanos()
                        .saturating_mul(processed as u64),
                );
            self.cycle_pending = true;
            ctx.set_timer(cost, timer(SchedulerTag::Cycle));
        }
    }

    /// Pops the next pod whose profile this scheduler runs, with what the
    /// scheduler reads of it (extracted now, the first time it is popped).
    fn next_candidate(&mut self) -> Option<Candidate> {
        let (id, queued) = self.queue.pop()?;
        let pod = queued.pod;
        let p = pod
            .as_pod()
            .and_then(|o| self.profile_index(pod_info::scheduler_name(o)))?;
        let info = match &self.pods.slot(id).queued_info {
            Some(i) => i.clone(),
            None => {
                let info = self.pod_info(p, &pod);
                self.pods.slot_mut(id).queued_info = Some(info.clone());
                info
            }
        };
        Some(Candidate {
            id,
            pod,
            attempts: queued.attempts,
            profile: Arc::clone(&self.profiles[p]),
            info,
        })
    }

    /// PreFilter, the node search, scoring and host selection, and
    /// preemption when nothing fits. The search's result stays in
    /// `self.found` (its buffers are reused by the next cycle).
    fn decide(
        &mut self,
        ctx: &mut Ctx<'_>,
        c: &Candidate,
        mut attempt: Option<&mut Attempt>,
    ) -> Decision {
        if self.order_dirty {
            self.order_dirty = false;
            self.rebuild_order();
        }
        let (profile, info) = (&*c.profile, &*c.info);
        let n = self.order.len();
        let default_selector = self.spreading_selector(profile, &c.pod, info);
        let nominated_pods = self.nominated_by_node(info);
        let (infos, verdicts, node_changes) = self.nodes.with_verdicts();
        let view = ClusterView {
            nodes: infos,
            num_nodes: n,
            namespaces: &self.namespaces,
            image_nodes: &self.image_nodes,
            any_required_anti_affinity: self.required_anti_affinity_pods > 0,
            any_affinity: self.affinity_pods > 0,
            default_selector,
            claims: self.storage.view(),
            spread_keys: &self.spread_keys,
            spread_counts: KeptCounts {
                changes: node_changes,
                domains: &self.spread_domains,
            },
        };
        let (state, pre_filter_rejection) = match n {
            0 => (CycleState::default(), None),
            _ => match framework::pre_filter(profile, info, &view) {
                Ok(s) => (s, None),
                Err(r) => (CycleState::default(), Some(r)),
            },
        };
        let mut found = std::mem::take(&mut self.found);
        if n > 0 && pre_filter_rejection.is_none() {
            let percentage = profile
                .percentage_of_nodes_to_score
                .map(|x| x as usize)
                .unwrap_or(self.percentage_of_nodes_to_score);
            // A nominated node is evaluated first (evaluateNominatedNode).
            let nominated_node = info
                .nominated_node_name
                .as_ref()
                .and_then(|name| self.node_index.get(name).copied());
            let search = NodeSearch {
                profile,
                state: &state,
                pod: info,
                view: &view,
                nominated_pods: &nominated_pods,
                verdicts,
            };
            found = search.run(
                found,
                nominated_node,
                &self.order,
                self.next_start_node_index,
                num_feasible_nodes_to_find(n, percentage),
            );
        } else {
            found.clear(self.next_start_node_index);
        }
        self.next_start_node_index = found.next_start;
        if let Some(a) = attempt.as_deref_mut() {
            explain_rejections(a, infos, &found.rejections);
        }
        let chosen = choose(ctx, profile, info, &mut found, verdicts, &view, attempt);
        // Preemption needs the view; decide it before the cache changes.
        let preemption =
            (chosen.is_none() && n > 0 && profile.preemption && pre_filter_rejection.is_none())
                .then(|| {
                    let offset = ctx.rng().random_range(0..n);
                    preemption::preempt(profile, &state, info, &found.rejections, &view, offset)
                });
        self.found = found;
        Decision {
            chosen,
            num_nodes: n,
            pre_filter_rejection,
            preemption,
        }
    }

    /// The System default spreading selector, when PodTopologySpread can use
    /// it (a profile running the plugin, a pod without constraints of its
    /// own); otherwise the selector of everything, meaning none.
    fn spreading_selector(
        &self,
        profile: &CompiledProfile,
        pod: &Object,
        info: &PodInfo,
    ) -> Selector {
        let spreads = profile.filters.contains(&PluginId::PodTopologySpread)
            || profile
                .scores
                .iter()
                .any(|(id, _)| *id == PluginId::PodTopologySpread);
        if spreads && info.spread_constraints.is_empty() {
            self.default_selector(pod, info)
        } else {
            Selector::everything()
        }
    }

    /// No node fits: the FitError message (with preemption's verdict), the
    /// nomination and evictions preemption decided, then [`Self::fail`].
    fn unschedulable(
        &mut self,
        ctx: &mut Ctx<'_>,
        c: &Candidate,
        decision: Decision,
        mut attempt: Option<&mut Attempt>,
    ) {
        let n = decision.num_nodes;
        let all: Vec<Rejection> = match &decision.pre_filter_rejection {
            Some(r) => vec![r.clone()],
            None => self
                .found
                .rejections
                .iter()
                .map(|(_, r)| r.clone())
                .collect(),
        };
        let mut message = fit_error_message(n, &all, decision.pre_filter_rejection.is_some());
        let mut nominated = None;
        match decision.preemption {
            Some(preemption::Outcome::NotHelpful(m)) => {
                message = format!("{message} preemption: {m}");
            }
            Some(preemption::Outcome::Nominated(chosen)) => nominated = Some(chosen),
            None if n > 0 && c.profile.preemption => {
                // PreFilter rejected: every node is "not helpful".
                message = format!(
                    "{message} preemption: 0/{n} nodes are available: {n} Preemption is not helpful for scheduling."
                );
            }
            None => {}
        }
        let nominated_node = nominated.map(|chosen| {
            let node = self.nodes[chosen.node].name.clone();
            if let Some(a) = attempt.as_deref_mut() {
                a.preemption = Some(PreemptionOutcome {
                    node: node.clone(),
                    victims: chosen.victims.iter().map(|v| v.key()).collect(),
                });
            }
            self.evict_victims(ctx, &c.pod, &node, &chosen.victims);
            node
        });
        // No nodes at all is an error, not a FitError (schedule_one.go:
        // ErrNoNodesAvailable): reason SchedulerError, retried after backoff.
        let error = n == 0;
        if let Some(a) = attempt {
            a.message = Some(message.clone());
            if error {
                a.result = "error";
            }
        }
        self.fail(ctx, (c.id, &c.pod, &c.info), message, nominated_node, error);
    }

    /// `helper.DefaultSelector`: the Services selecting the pod, and its
    /// controlling ReplicaSet or StatefulSet.
    pub(super) fn default_selector(&self, pod: &Object, info: &PodInfo) -> Selector {
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
    pub(super) fn nominated_by_node(&self, pod: &PodInfo) -> BTreeMap<usize, Vec<SharedPodInfo>> {
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

    pub(super) fn evict_victims(
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

    pub(super) fn assume_and_bind(
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
        // VolumeBinding's PreBind: the pod's delayed claims get their
        // volumes (or their selected node) first.
        let node = self
            .node_index
            .get(&node_name)
            .and_then(|&i| self.nodes.infos().get(i));
        if let (Some(node), Some(info)) = (node, self.pods.slot(id).assigned.as_ref()) {
            let writes = volume_binding::pre_bind(&info.info, node, &self.storage.view());
            if !writes.is_empty() {
                // The pod is bound once its claims are (checked every
                // second, for at most bindTimeoutSeconds).
                let wait = volume_binding::VolumeWait::new(&info.info, ctx.now());
                for write in writes {
                    ctx.send(write);
                }
                self.volume_waits.insert(serial, wait);
                ctx.set_timer(
                    volume_binding::BIND_CHECK_PERIOD,
                    Tag::new(SchedulerTag::VolumeWait, serial),
                );
                return;
            }
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

    /// VolumeBinding's PreBind checks the claims of binding `serial`: once
    /// all are bound, the pod is bound; past the timeout the binding
    /// fails.
    pub(super) fn check_volume_wait(&mut self, ctx: &mut Ctx<'_>, serial: u64) {
        let Some(wait) = self.volume_waits.get(&serial) else {
            return;
        };
        let Some(binding) = self.binding.get(&serial) else {
            self.volume_waits.remove(&serial);
            return;
        };
        if wait.all_bound(&self.storage.view()) {
            self.volume_waits.remove(&serial);
            ctx.send_tagged(
                Request::Bind {
                    namespace: binding.pod.namespace().to_owned(),
                    name: binding.pod.name().to_owned(),
                    node: binding.node.clone(),
                },
                Tag::new(SchedulerTag::Bind, serial),
            );
        } else if ctx.now() >= wait.deadline {
            self.volume_waits.remove(&serial);
            if let Some(binding) = self.binding.remove(&serial) {
                let message = "running PreBind plugin \"VolumeBinding\": binding volumes: context deadline exceeded";
                self.recorder.record(
                    ctx,
                    &binding.pod,
                    "Warning",
                    "FailedScheduling",
                    message.to_owned(),
                );
                self.binding_failed(ctx, binding, message, true);
            }
        } else {
            ctx.set_timer(
                volume_binding::BIND_CHECK_PERIOD,
                Tag::new(SchedulerTag::VolumeWait, serial),
            );
        }
    }

    /// The binding cycle failed: the assumed pod is forgotten and, unless
    /// it is gone, retried from backoffQ with the attempts it had.
    pub(super) fn binding_failed(
        &mut self,
        ctx: &mut Ctx<'_>,
        binding: Binding,
        message: &str,
        requeue: bool,
    ) {
        let Binding {
            id, pod, attempts, ..
        } = binding;
        let slot = self.pods.slot_mut(id);
        slot.bindings = slot.bindings.saturating_sub(1);
        self.unaccount(id);
        ctx.trace(
            "bind-failed",
            format!("pod/{}/{}", pod.namespace(), pod.name()),
            message.to_owned(),
        );
        if requeue {
            // An error goes to backoffQ with the attempts it already had.
            self.queue
                .add_with_attempts(id, pod.clone(), ctx.now(), attempts);
            self.queue.requeue_failed(id, ctx.now(), false);
        }
        let queued = self.queue.contains(id);
        self.pods.release_if_unused(id, queued);
    }

    /// A failed attempt: the FailedScheduling event, the PodScheduled=False
    /// condition (and the nomination, if preemption made one), then back to
    /// the queue: the unschedulable pool, or backoffQ for an `error`.
    pub(super) fn fail(
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

/// The feasible node to bind to: the only one, or the best scored (ties
/// broken by [`select_host`]); None when no node is feasible. An explained
/// attempt gets the feasible nodes (in full) or their count and the best of
/// them (summarized).
fn choose(
    ctx: &mut Ctx<'_>,
    profile: &CompiledProfile,
    info: &PodInfo,
    found: &mut Found,
    verdicts: &mut Verdicts,
    view: &ClusterView<'_>,
    attempt: Option<&mut Attempt>,
) -> Option<usize> {
    match found.feasible.as_slice() {
        [] => None,
        [only] => {
            let name = &view.nodes[*only].name;
            // The real scheduler does not score a lone feasible node.
            match attempt.map(|a| &mut a.explanation) {
                Some(Explanation::Full { nodes }) => {
                    nodes.insert(
                        name.clone(),
                        NodeVerdict {
                            filter: FilterVerdict::OK,
                            scores: BTreeMap::new(),
                            total: None,
                        },
                    );
                }
                Some(Explanation::Summary(s)) => {
                    s.count_feasible(1);
                    s.top.push(TopNode {
                        node: name.clone(),
                        total: None,
                        scores: BTreeMap::new(),
                    });
                }
                None => {}
            }
            Some(*only)
        }
        feasible => {
            let nodes = Feasible {
                nodes: feasible,
                totals: std::mem::take(&mut found.totals),
            };
            let explanation = attempt.map(|a| &mut a.explanation);
            // Every plugin's parts for a full explanation only: a summary
            // reads its few nodes' parts from the unexplained scores.
            let parts = matches!(explanation, Some(Explanation::Full { .. }));
            let scores = framework::score_nodes(profile, info, nodes, verdicts, view, parts);
            let best = select_host(ctx, &scores.totals);
            match explanation {
                Some(Explanation::Full { nodes }) => {
                    for (j, &i) in feasible.iter().enumerate() {
                        nodes.insert(
                            view.nodes[i].name.clone(),
                            NodeVerdict {
                                filter: FilterVerdict::OK,
                                scores: scores
                                    .parts
                                    .iter()
                                    .map(|(name, v)| (*name, v[j]))
                                    .collect(),
                                total: Some(scores.totals[j]),
                            },
                        );
                    }
                }
                Some(Explanation::Summary(s)) => {
                    s.count_feasible(feasible.len());
                    let ranked = feasible.iter().zip(&scores.totals);
                    let ranked = ranked.map(|(&i, &total)| (view.nodes[i].name.as_str(), total));
                    for j in rank_top(ranked, best) {
                        let i = feasible[j];
                        s.top.push(TopNode {
                            node: view.nodes[i].name.clone(),
                            total: Some(scores.totals[j]),
                            scores: scores.weighted_parts(j, i, profile, verdicts),
                        });
                    }
                }
                None => {}
            }
            found.totals = scores.totals;
            Some(feasible[best])
        }
    }
}

/// Records each rejected node's first rejecting filter in the explanation
/// (counted by plugin and reason in a summary).
fn explain_rejections(
    attempt: &mut Attempt,
    infos: &[NodeInfo],
    rejections: &[(usize, Rejection)],
) {
    let nodes = match &mut attempt.explanation {
        Explanation::Full { nodes } => nodes,
        Explanation::Summary(s) => {
            for (_, r) in rejections {
                s.count_filtered(r.plugin, &r.reasons);
            }
            return;
        }
    };
    for (i, r) in rejections {
        nodes.insert(
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
