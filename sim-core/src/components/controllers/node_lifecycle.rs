//! The node lifecycle controller (pkg/controller/nodelifecycle): node health
//! from the kubelets' status posts and Lease renewals, and the taints that
//! follow from it.
//!
//! Every `--node-monitor-period` it walks the nodes (`monitorNodeHealth`):
//! a node whose Ready heartbeat and Lease have not changed for the grace
//! period (`--node-monitor-grace-period`, or the startup grace when it never
//! posted Ready) gets its Ready, MemoryPressure, DiskPressure and PIDPressure
//! conditions set to Unknown; when Ready leaves True it records `NodeNotReady`
//! and marks the node's pods Ready=False (MarkPodsNotReady). The
//! `not-ready`/`unreachable` NoExecute taints go through a per-zone
//! rate-limited queue (token bucket at the eviction rate, burst 1, tried every
//! 100 ms), with the zone-disruption rules of `handleDisruption`. The
//! condition NoSchedule taints and `unschedulable` for cordoned nodes are
//! reconciled on every node change (`doNoScheduleTaintingPass`).

use super::{ControllerTag, Serials};
use crate::components::Tag;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use k8s_openapi::api::core::v1::{Node, NodeCondition, Taint};
use k8s_openapi::jiff::Timestamp;

use super::Informers;
use crate::api::conditions::node_condition;
use crate::api::meta::{sim_time_of, time};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{ApiResult, Request};
use crate::components::event_recorder::EventRecorder;
use crate::components::{Ctx, WatchEvent};
use crate::etcd::ChangeType;
use crate::time::{SimDuration, SimTime};

/// `nodeEvictionPeriod`: how often the tainting queues are tried.
const TAINT_PASS_PERIOD: SimDuration = SimDuration::from_millis(100);
/// `--unhealthy-zone-threshold`.
const UNHEALTHY_ZONE_THRESHOLD: f64 = 0.55;
/// `--large-cluster-size-threshold`.
const LARGE_CLUSTER_SIZE_THRESHOLD: usize = 50;

/// The taint of a node whose Ready condition is Unknown.
pub(crate) const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// The taint of a node whose Ready condition is False.
pub(crate) const NOT_READY: &str = "node.kubernetes.io/not-ready";
/// The taint of a cordoned node.
pub(crate) const UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

#[derive(Debug, Clone)]
struct Health {
    probe: SimTime,
    ready_heartbeat: Option<Timestamp>,
    had_ready: bool,
    lease_renew: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ZoneState {
    Initial,
    Normal,
    FullDisruption,
    PartialDisruption,
}

/// A token bucket of burst 1: `interval` between tokens, None never gives one.
#[derive(Debug, Clone, Copy)]
struct Limiter {
    interval: Option<SimDuration>,
    next_token: SimTime,
}

impl Limiter {
    fn try_accept(&mut self, now: SimTime) -> bool {
        match self.interval {
            Some(i) if now >= self.next_token => {
                self.next_token = now + i;
                true
            }
            _ => false,
        }
    }

    /// `SwapLimiter`: a new bucket, drained when the old one had no token.
    fn swap(&mut self, now: SimTime, interval: Option<SimDuration>) {
        if self.interval == interval {
            return;
        }
        let drained = !self.try_accept(now);
        self.interval = interval;
        self.next_token = match interval {
            Some(i) if drained => now + i,
            _ => now,
        };
    }
}

#[derive(Debug)]
struct ZoneTainter {
    queue: VecDeque<String>,
    limiter: Limiter,
}

/// The controller.
#[derive(Debug)]
pub(crate) struct NodeLifecycleController {
    recorder: EventRecorder,
    health: BTreeMap<String, Health>,
    known: BTreeSet<String>,
    zone_states: BTreeMap<String, ZoneState>,
    tainters: BTreeMap<String, ZoneTainter>,
    no_schedule_dirty: BTreeSet<String>,
    /// Taint patches in flight: the node each patches.
    patches: BTreeMap<Tag, String>,
    patch_serials: Serials,
    taint_pass_pending: bool,
    started: bool,
}

impl Default for NodeLifecycleController {
    fn default() -> Self {
        Self {
            recorder: EventRecorder::new("node-controller", None),
            health: BTreeMap::new(),
            known: BTreeSet::new(),
            zone_states: BTreeMap::new(),
            tainters: BTreeMap::new(),
            no_schedule_dirty: BTreeSet::new(),
            patches: BTreeMap::new(),
            patch_serials: Serials::new(ControllerTag::NodePatch),
            taint_pass_pending: false,
            started: false,
        }
    }
}

/// `GetZoneKey`: region and zone labels, "" when neither is set.
fn zone_key(node: &Node) -> String {
    let labels = node.metadata.labels.as_ref();
    let get = |k: &str| labels.and_then(|l| l.get(k)).cloned().unwrap_or_default();
    let region = get("topology.kubernetes.io/region");
    let zone = get("topology.kubernetes.io/zone");
    if region.is_empty() && zone.is_empty() {
        String::new()
    } else {
        format!("{region}:\u{0}:{zone}")
    }
}

fn taints(node: &Node) -> &[Taint] {
    node.spec
        .as_ref()
        .and_then(|s| s.taints.as_deref())
        .unwrap_or(&[])
}

fn has_taint(node: &Node, key: &str, effect: &str) -> bool {
    taints(node)
        .iter()
        .any(|t| t.key == key && t.effect == effect)
}

fn taint(key: &str, effect: &str) -> Taint {
    Taint {
        key: key.into(),
        effect: effect.into(),
        value: None,
        time_added: None,
    }
}

impl NodeLifecycleController {
    /// Starts the periodic passes (once).
    pub(crate) fn start(&mut self, ctx: &mut Ctx<'_>) {
        if !self.started {
            self.started = true;
            let period = ctx.config().timings.node_monitor_period;
            if !period.is_zero() {
                ctx.set_timer(period, ControllerTag::NodeMonitor.tag());
            }
        }
    }

    /// Notes node changes for the NoSchedule tainting pass.
    pub(crate) fn observe(&mut self, event: &WatchEvent) {
        if event.object.kind() == Kind::Node && event.change != ChangeType::Deleted {
            self.no_schedule_dirty
                .insert(event.object.name().to_owned());
        }
    }

    /// `doNoScheduleTaintingPass` for the nodes changed since the last sync.
    pub(crate) fn sync(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        for name in std::mem::take(&mut self.no_schedule_dirty) {
            let key = ObjectKey::new(Kind::Node, String::new(), name);
            let Some(node) = informers.of(Kind::Node).get(&key).cloned() else {
                continue;
            };
            let Some(node) = node.as_node() else { continue };
            let mut wanted: Vec<Taint> = Vec::new();
            for c in node
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_deref())
                .unwrap_or(&[])
            {
                let key = match (c.type_.as_str(), c.status.as_str()) {
                    ("Ready", "False") => NOT_READY,
                    ("Ready", "Unknown") => UNREACHABLE,
                    ("MemoryPressure", "True") => "node.kubernetes.io/memory-pressure",
                    ("DiskPressure", "True") => "node.kubernetes.io/disk-pressure",
                    ("NetworkUnavailable", "True") => "node.kubernetes.io/network-unavailable",
                    ("PIDPressure", "True") => "node.kubernetes.io/pid-pressure",
                    _ => continue,
                };
                wanted.push(taint(key, "NoSchedule"));
            }
            if node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) {
                wanted.push(taint(UNSCHEDULABLE, "NoSchedule"));
            }
            let managed = |t: &Taint| {
                t.effect == "NoSchedule"
                    && (t.key == UNSCHEDULABLE
                        || [
                            NOT_READY,
                            UNREACHABLE,
                            "node.kubernetes.io/memory-pressure",
                            "node.kubernetes.io/disk-pressure",
                            "node.kubernetes.io/network-unavailable",
                            "node.kubernetes.io/pid-pressure",
                        ]
                        .contains(&t.key.as_str()))
            };
            let current: Vec<&Taint> = taints(node).iter().filter(|t| managed(t)).collect();
            let add: Vec<Taint> = wanted
                .iter()
                .filter(|w| {
                    !current
                        .iter()
                        .any(|c| c.key == w.key && c.effect == w.effect)
                })
                .cloned()
                .collect();
            let del: Vec<Taint> = current
                .iter()
                .filter(|c| {
                    !wanted
                        .iter()
                        .any(|w| w.key == c.key && w.effect == c.effect)
                })
                .map(|t| (*t).clone())
                .collect();
            if !add.is_empty() || !del.is_empty() {
                self.swap_taints(ctx, node, &add, &del);
            }
        }
    }

    /// `SwapNodeControllerTaint`: adds (with timeAdded now) and removes
    /// taints by one patch guarded by the node's resourceVersion.
    fn swap_taints(&mut self, ctx: &mut Ctx<'_>, node: &Node, add: &[Taint], del: &[Taint]) {
        let mut list: Vec<Taint> = taints(node)
            .iter()
            .filter(|t| !del.iter().any(|d| d.key == t.key && d.effect == t.effect))
            .cloned()
            .collect();
        for a in add {
            let mut a = a.clone();
            a.time_added = Some(time(ctx.now()));
            match list
                .iter_mut()
                .find(|t| t.key == a.key && t.effect == a.effect)
            {
                Some(t) => {
                    if t.value != a.value {
                        *t = a;
                    }
                }
                None => list.push(a),
            }
        }
        let name = node.metadata.name.clone().unwrap_or_default();
        let patch = serde_json::json!({
            "metadata": { "resourceVersion": node.metadata.resource_version },
            "spec": { "taints": list },
        });
        let tag = self.patch_serials.take();
        self.patches.insert(tag, name.clone());
        ctx.send_tagged(
            Request::Patch {
                key: ObjectKey::new(Kind::Node, String::new(), name),
                patch,
            },
            tag,
        );
    }

    /// A taint patch failed (a conflict): the node is looked at again at the
    /// next sync. Returns false when the tag is not this controller's.
    pub(crate) fn on_response(&mut self, tag: Tag, result: &ApiResult) -> bool {
        let Some(name) = self.patches.remove(&tag) else {
            return false;
        };
        if result.is_err() {
            self.no_schedule_dirty.insert(name);
        }
        true
    }

    /// The periodic monitor pass (`monitorNodeHealth`), then a tainting pass.
    pub(crate) fn on_monitor(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        let period = ctx.config().timings.node_monitor_period;
        ctx.set_timer(period, ControllerTag::NodeMonitor.tag());
        self.monitor(ctx, informers);
        self.taint_pass(ctx, informers);
    }

    /// A tainting pass that was waiting for the rate limiters.
    pub(crate) fn on_taint_pass(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        self.taint_pass_pending = false;
        self.taint_pass(ctx, informers);
    }

    fn tainter(&mut self, ctx: &Ctx<'_>, zone: &str) -> &mut ZoneTainter {
        let interval = ctx.config().timings.node_eviction_interval;
        let now = ctx.now();
        self.tainters
            .entry(zone.to_owned())
            .or_insert_with(|| ZoneTainter {
                queue: VecDeque::new(),
                limiter: Limiter {
                    interval: (!interval.is_zero()).then_some(interval),
                    next_token: now,
                },
            })
    }

    /// `doNoExecuteTaintingPass`: each zone's queue, as its tokens allow.
    fn taint_pass(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        let now = ctx.now();
        let zones: Vec<String> = self.tainters.keys().cloned().collect();
        for zone in zones {
            loop {
                let tainter = self.tainters.get_mut(&zone).expect("zone present");
                let Some(name) = tainter.queue.front().cloned() else {
                    break;
                };
                if !tainter.limiter.try_accept(now) {
                    break;
                }
                tainter.queue.pop_front();
                let key = ObjectKey::new(Kind::Node, String::new(), name);
                let Some(obj) = informers.of(Kind::Node).get(&key).cloned() else {
                    continue;
                };
                let Some(node) = obj.as_node() else { continue };
                let (add, opposite) = match node_condition(node, "Ready").map(|c| c.status.as_str())
                {
                    Some("False") => (NOT_READY, UNREACHABLE),
                    Some("Unknown") => (UNREACHABLE, NOT_READY),
                    _ => continue,
                };
                ctx.trace(
                    "taint-node",
                    format!("node/{}", key.name),
                    format!("{add}:NoExecute"),
                );
                self.swap_taints(
                    ctx,
                    node,
                    &[taint(add, "NoExecute")],
                    &[taint(opposite, "NoExecute")],
                );
            }
        }
        let waiting = self.tainters.values().any(|t| !t.queue.is_empty());
        if waiting && !self.taint_pass_pending {
            self.taint_pass_pending = true;
            ctx.set_timer(TAINT_PASS_PERIOD, ControllerTag::NodeTaintPass.tag());
        }
    }

    /// `tryUpdateNodeHealth`: returns the Ready status observed before this
    /// pass and the one after it (None while the node never posted Ready and
    /// is within its startup grace).
    fn update_health(
        &mut self,
        ctx: &mut Ctx<'_>,
        informers: &Informers,
        node: &Node,
    ) -> (String, Option<String>) {
        let now = ctx.now();
        let t = ctx.config().timings;
        let name = node.metadata.name.clone().unwrap_or_default();
        let created = node
            .metadata
            .creation_timestamp
            .as_ref()
            .map_or(SimTime::ZERO, |c| sim_time_of(&c.0));
        let ready = node_condition(node, "Ready");
        let observed = ready.map_or_else(|| "Unknown".to_owned(), |c| c.status.clone());
        let heartbeat = ready.and_then(|c| c.last_heartbeat_time.as_ref().map(|t| t.0));
        let grace = if ready.is_some() {
            t.node_monitor_grace_period
        } else {
            t.node_startup_grace_period
        };
        let saved = self.health.get(&name).cloned();
        let mut health = match (&saved, ready) {
            (None, None) => Health {
                probe: created,
                ready_heartbeat: None,
                had_ready: false,
                lease_renew: None,
            },
            (Some(s), None) if !s.had_ready => s.clone(),
            (None, Some(_)) => Health {
                probe: now,
                ready_heartbeat: heartbeat,
                had_ready: true,
                lease_renew: None,
            },
            (Some(s), Some(_)) if s.had_ready && s.ready_heartbeat == heartbeat => s.clone(),
            (Some(s), r) => Health {
                probe: now,
                ready_heartbeat: heartbeat,
                had_ready: r.is_some(),
                lease_renew: s.lease_renew,
            },
        };
        let lease_key = ObjectKey::new(Kind::Lease, "kube-node-lease", name.as_str());
        let renew = informers
            .of(Kind::Lease)
            .get(&lease_key)
            .and_then(|l| match &**l {
                Object::Lease(l) => l.spec.as_ref()?.renew_time.as_ref().map(|t| t.0),
                _ => None,
            });
        if let Some(renew) = renew {
            if health.lease_renew.is_none_or(|saved| saved < renew) {
                health.lease_renew = Some(renew);
                health.probe = now;
            }
        }
        let mut current = ready.map(|c| c.status.clone());
        if now > health.probe + grace {
            let mut updated = node.clone();
            let status = updated.status.get_or_insert_with(Default::default);
            let conditions = status.conditions.get_or_insert_with(Vec::new);
            for type_ in ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"] {
                match conditions.iter_mut().find(|c| c.type_ == type_) {
                    None => conditions.push(NodeCondition {
                        type_: type_.into(),
                        status: "Unknown".into(),
                        reason: Some("NodeStatusNeverUpdated".into()),
                        message: Some("Kubelet never posted node status.".into()),
                        last_heartbeat_time: node.metadata.creation_timestamp.clone(),
                        last_transition_time: Some(time(now)),
                    }),
                    Some(c) if c.status != "Unknown" => {
                        c.status = "Unknown".into();
                        c.reason = Some("NodeStatusUnknown".into());
                        c.message = Some("Kubelet stopped posting node status.".into());
                        c.last_transition_time = Some(time(now));
                    }
                    Some(_) => {}
                }
            }
            let new_ready = node_condition(&updated, "Ready").cloned();
            if new_ready.as_ref() != ready {
                ctx.trace(
                    "node-status-unknown",
                    format!("node/{name}"),
                    "Kubelet stopped posting node status.".into(),
                );
                ctx.send(Request::UpdateStatus(Object::from(updated)));
            }
            current = new_ready.map(|c| c.status);
        }
        self.health.insert(name, health);
        (observed, current)
    }

    /// `monitorNodeHealth`.
    fn monitor(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        let nodes: Vec<_> = informers.of(Kind::Node).iter().cloned().collect();
        let names: BTreeSet<String> = nodes.iter().map(|n| n.name().to_owned()).collect();
        for gone in self.known.difference(&names).cloned().collect::<Vec<_>>() {
            self.known.remove(&gone);
            self.health.remove(&gone);
        }
        let mut zone_conditions: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
        for obj in &nodes {
            let Some(node) = obj.as_node() else { continue };
            let name = obj.name().to_owned();
            let zone = zone_key(node);
            if self.known.insert(name.clone()) {
                self.tainter(ctx, &zone);
                self.zone_states
                    .entry(zone.clone())
                    .or_insert(ZoneState::Initial);
                self.mark_reachable(ctx, node, &zone);
            }
            let (observed, current) = self.update_health(ctx, informers, node);
            if !obj
                .labels()
                .contains_key("node.kubernetes.io/exclude-disruption")
            {
                zone_conditions
                    .entry(zone.clone())
                    .or_default()
                    .push(current.clone());
            }
            let Some(current) = current else { continue };
            self.process_taint_eviction(ctx, node, &zone, &observed);
            if current != "True" && observed == "True" {
                self.recorder.record(
                    ctx,
                    obj,
                    "Normal",
                    "NodeNotReady",
                    format!("Node {name} status is now: NodeNotReady"),
                );
                mark_pods_not_ready(ctx, &mut self.recorder, informers, &name);
            }
        }
        self.handle_disruption(ctx, &zone_conditions, &nodes);
    }

    fn process_taint_eviction(
        &mut self,
        ctx: &mut Ctx<'_>,
        node: &Node,
        zone: &str,
        observed: &str,
    ) {
        let (mine, opposite) = match observed {
            "False" => (NOT_READY, UNREACHABLE),
            "Unknown" => (UNREACHABLE, NOT_READY),
            _ => {
                self.mark_reachable(ctx, node, zone);
                return;
            }
        };
        if has_taint(node, opposite, "NoExecute") {
            self.swap_taints(
                ctx,
                node,
                &[taint(mine, "NoExecute")],
                &[taint(opposite, "NoExecute")],
            );
            return;
        }
        let name = node.metadata.name.clone().unwrap_or_default();
        let tainter = self.tainter(ctx, zone);
        if !has_taint(node, mine, "NoExecute") {
            tainter.queue.retain(|n| n != &name);
        }
        if !tainter.queue.contains(&name) && !has_taint(node, mine, "NoExecute") {
            tainter.queue.push_back(name);
        }
    }

    /// `markNodeAsReachable`: removes the NoExecute taints and dequeues the node.
    fn mark_reachable(&mut self, ctx: &mut Ctx<'_>, node: &Node, zone: &str) {
        let name = node.metadata.name.clone().unwrap_or_default();
        self.tainter(ctx, zone).queue.retain(|n| n != &name);
        let del: Vec<Taint> = [UNREACHABLE, NOT_READY]
            .into_iter()
            .filter(|k| has_taint(node, k, "NoExecute"))
            .map(|k| taint(k, "NoExecute"))
            .collect();
        if !del.is_empty() {
            self.swap_taints(ctx, node, &[], &del);
        }
    }

    fn zone_state(conditions: &[Option<String>]) -> ZoneState {
        let ready = conditions
            .iter()
            .filter(|c| c.as_deref() == Some("True"))
            .count();
        let not_ready = conditions.len() - ready;
        if ready == 0 && not_ready > 0 {
            ZoneState::FullDisruption
        } else if not_ready > 2
            && not_ready as f64 / (ready + not_ready) as f64 >= UNHEALTHY_ZONE_THRESHOLD
        {
            ZoneState::PartialDisruption
        } else {
            ZoneState::Normal
        }
    }

    fn set_limiter(&mut self, ctx: &Ctx<'_>, zone: &str, size: usize, state: ZoneState) {
        let t = ctx.config().timings;
        let interval = match state {
            ZoneState::PartialDisruption if size <= LARGE_CLUSTER_SIZE_THRESHOLD => None,
            ZoneState::PartialDisruption => Some(t.secondary_node_eviction_interval),
            _ => Some(t.node_eviction_interval),
        }
        .filter(|i| !i.is_zero());
        let now = ctx.now();
        if let Some(tainter) = self.tainters.get_mut(zone) {
            tainter.limiter.swap(now, interval);
        }
    }

    /// `handleDisruption`: zone states and their tainting rates; when every
    /// zone is fully disrupted, tainting stops and NoExecute taints are lifted.
    fn handle_disruption(
        &mut self,
        ctx: &mut Ctx<'_>,
        zone_conditions: &BTreeMap<String, Vec<Option<String>>>,
        nodes: &[std::sync::Arc<Object>],
    ) {
        let mut new_states = BTreeMap::new();
        let mut all_are_full = true;
        for (zone, conds) in zone_conditions {
            let s = Self::zone_state(conds);
            if s != ZoneState::FullDisruption {
                all_are_full = false;
            }
            new_states.insert(zone.clone(), s);
            self.zone_states
                .entry(zone.clone())
                .or_insert(ZoneState::Initial);
        }
        self.zone_states
            .retain(|z, _| zone_conditions.contains_key(z));
        let all_were_full = self
            .zone_states
            .values()
            .all(|s| *s == ZoneState::FullDisruption);
        if all_are_full && all_were_full {
            return;
        }
        if all_are_full {
            for obj in nodes {
                if let Some(node) = obj.as_node() {
                    let zone = zone_key(node);
                    self.mark_reachable(ctx, node, &zone);
                }
            }
            let now = ctx.now();
            for zone in self.zone_states.keys() {
                if let Some(t) = self.tainters.get_mut(zone) {
                    t.limiter.swap(now, None);
                }
            }
            for s in self.zone_states.values_mut() {
                *s = ZoneState::FullDisruption;
            }
            return;
        }
        if all_were_full {
            let now = ctx.now();
            for h in self.health.values_mut() {
                h.probe = now;
            }
        }
        let zones: Vec<(String, ZoneState)> = self
            .zone_states
            .iter()
            .map(|(z, s)| (z.clone(), *s))
            .collect();
        for (zone, old) in zones {
            let new = new_states[&zone];
            if old == new && !all_were_full {
                continue;
            }
            let size = zone_conditions[&zone].len();
            self.set_limiter(ctx, &zone, size, new);
            self.zone_states.insert(zone, new);
        }
    }
}

/// `MarkPodsNotReady`: Ready=False on every pod of the node, with a
/// `NodeNotReady` warning on each.
fn mark_pods_not_ready(
    ctx: &mut Ctx<'_>,
    recorder: &mut EventRecorder,
    informers: &Informers,
    node: &str,
) {
    let now = ctx.now();
    for obj in informers.of(Kind::Pod).iter() {
        let Some(pod) = obj.as_pod() else { continue };
        if pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) != Some(node) {
            continue;
        }
        let mut pod = pod.clone();
        let Some(cond) = pod
            .status
            .as_mut()
            .and_then(|s| s.conditions.as_mut())
            .and_then(|cs| cs.iter_mut().find(|c| c.type_ == "Ready"))
        else {
            continue;
        };
        if cond.status == "False" {
            continue;
        }
        cond.status = "False".into();
        cond.last_transition_time = Some(time(now));
        ctx.send(Request::UpdateStatus(Object::from(pod)));
        recorder.record(
            ctx,
            obj,
            "Warning",
            "NodeNotReady",
            "Node is not ready".into(),
        );
    }
}
