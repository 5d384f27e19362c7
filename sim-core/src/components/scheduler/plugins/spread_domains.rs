//! PodTopologySpread's matching-pod totals per topology domain, kept up to
//! date from the node slots' change log instead of summed over every node in
//! every cycle.
//!
//! Scoring a pod under a constraint whose topology key is not the hostname
//! (the System defaults' `topology.kubernetes.io/zone`) needs, for each
//! domain of the feasible nodes, the pods matching the constraint's selector
//! on *every* node of that domain (scoring.go: PreScore's `processAllNode`;
//! nodes without the label all fall in the domain `""`). Done as written,
//! that is a pass over all nodes per cycle: 5,000 map lookups a pod at the
//! Kubernetes maximum. A [`DomainTotals`] keeps, for one selector and one
//! topology key, each node's contribution and the sum per domain; a cycle
//! first applies the changes since the last cycle that asked
//! ([`NodeChanges`]: a pod accounted or removed counts one up or down if it
//! matches, a node added, emptied or relabelled is counted again), then
//! reads its domains' sums. The sums are the same numbers, so scores and
//! placements do not change.
//!
//! The same per-node counts serve the hostname constraints, whose domain is
//! the node: scoring reads each feasible node's count there instead of
//! counting its pods again after every change to them.
//!
//! The totals apply when the per-node inclusion policies cannot exclude a node
//! for this pod (no node selector or required node affinity, or
//! `nodeAffinityPolicy: Ignore`; `nodeTaintsPolicy` not `Honor`) and when
//! nodes lacking another constraint's key are not skipped (System-defaulted
//! constraints); other cycles sum over the nodes as before.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::super::node_info::{NodeInfo, SpreadKey};
use super::super::node_slots::{NodeChange, NodeChanges};
use super::super::pod_info::PodInfo;

/// The hostname label: its domains are the nodes.
pub(crate) const HOSTNAME: &str = "kubernetes.io/hostname";

/// Where scoring finds the kept counts: the change log and the totals.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeptCounts<'a> {
    /// The node slots' change log.
    pub changes: &'a NodeChanges,
    /// The totals kept.
    pub domains: &'a RefCell<SpreadDomains>,
}

/// The most [`DomainTotals`] kept (each costs 16 bytes per node: 80 MB at
/// 5,000 nodes when full); past it the one used least recently goes, to be
/// rebuilt if a cycle asks for it again. A selector and topology key per
/// workload spreading its pods: during a rolling update of f's 50
/// Deployments, 400 are in use.
pub(crate) const CAPACITY: usize = 1024;

/// The matching pods per domain of one topology key, over every node.
#[derive(Debug, Default)]
pub(crate) struct DomainTotals {
    /// How far into the change log the totals are up to date.
    seen: u64,
    /// When a cycle last asked for them (a count of requests).
    used: u64,
    /// Per node slot: its domain (an index into `sums`, or `NONE` for an
    /// emptied slot) and its matching pods.
    by_node: Vec<(u32, i64)>,
    /// Domain indexes, by name.
    index: BTreeMap<String, u32>,
    /// Matching pods per domain, by index.
    sums: Vec<i64>,
}

const NONE: u32 = u32::MAX;

impl DomainTotals {
    /// The matching pods on node slot `i`.
    pub(crate) fn on_node(&self, i: usize) -> i64 {
        self.by_node.get(i).map_or(0, |&(_, n)| n)
    }

    /// The matching pods in `domain` (0 for a domain no node has).
    pub(crate) fn get(&self, domain: &str) -> i64 {
        self.index.get(domain).map_or(0, |&d| self.sums[d as usize])
    }

    fn domain(&mut self, name: &str) -> u32 {
        if let Some(&d) = self.index.get(name) {
            return d;
        }
        let d = u32::try_from(self.sums.len()).expect("fewer than 2^32 domains");
        self.index.insert(name.to_owned(), d);
        self.sums.push(0);
        d
    }

    /// A pod accounted on (`delta` 1) or removed from (-1) slot `i`.
    fn pod(&mut self, i: usize, delta: i64) {
        if let Some((d, n)) = self.by_node.get_mut(i) {
            if *d != NONE {
                *n += delta;
                self.sums[*d as usize] += delta;
            }
        }
    }

    /// Re-reads node slot `i`: its domain under `topology_key` and its
    /// matching pods (`count`).
    fn refresh(
        &mut self,
        i: usize,
        node: &NodeInfo,
        topology_key: &str,
        count: &impl Fn(&NodeInfo) -> i64,
    ) {
        if self.by_node.len() <= i {
            self.by_node.resize(i + 1, (NONE, 0));
        }
        let (old, n) = self.by_node[i];
        if old != NONE {
            self.sums[old as usize] -= n;
        }
        self.by_node[i] = if node.name.is_empty() {
            (NONE, 0)
        } else {
            // Per hostname, the domains are the nodes: one domain for all
            // stands in (only the per-node counts are read).
            let name = match topology_key {
                HOSTNAME => "",
                _ => node.labels.get(topology_key).map_or("", String::as_str),
            };
            let d = self.domain(name);
            let n = count(node);
            self.sums[d as usize] += n;
            (d, n)
        };
    }
}

/// Every [`DomainTotals`] kept, by selector and topology key.
#[derive(Debug, Default)]
pub(crate) struct SpreadDomains {
    totals: BTreeMap<(SpreadKey, String), DomainTotals>,
    /// Requests so far (the clock of `DomainTotals::used`).
    requests: u64,
}

impl SpreadDomains {
    /// The totals of `key` under `topology_key` over `nodes`, brought up to
    /// date with `changes`; `count` gives a node's matching pods, `matches`
    /// whether one pod counts.
    pub(crate) fn totals(
        &mut self,
        key: SpreadKey,
        topology_key: &str,
        nodes: &[NodeInfo],
        changes: &NodeChanges,
        count: impl Fn(&NodeInfo) -> i64,
        matches: impl Fn(&PodInfo) -> bool,
    ) -> &DomainTotals {
        let id = (key, topology_key.to_owned());
        if !self.totals.contains_key(&id) && self.totals.len() == CAPACITY {
            let oldest = self
                .totals
                .iter()
                .min_by_key(|(_, t)| t.used)
                .map(|(id, _)| id.clone())
                .expect("full");
            self.totals.remove(&oldest);
        }
        self.requests += 1;
        let totals = self.totals.entry(id).or_default();
        totals.used = self.requests;
        match changes.since(totals.seen) {
            Some(since) if !totals.by_node.is_empty() => {
                // A node counted again is counted as it is now, with every
                // pod change since: those are not applied to it one by one.
                let mut recount: Vec<u32> = since
                    .iter()
                    .filter_map(|c| match c {
                        NodeChange::Node(slot) => Some(*slot),
                        NodeChange::Pod { .. } => None,
                    })
                    .collect();
                recount.sort_unstable();
                recount.dedup();
                for change in since {
                    if let NodeChange::Pod { slot, added, pod } = change {
                        if recount.binary_search(slot).is_err() && matches(pod) {
                            totals.pod(*slot as usize, if *added { 1 } else { -1 });
                        }
                    }
                }
                for slot in recount {
                    let i = slot as usize;
                    totals.refresh(i, &nodes[i], topology_key, &count);
                }
            }
            // New, or older than the log: from every node.
            _ => {
                *totals = DomainTotals {
                    used: totals.used,
                    ..DomainTotals::default()
                };
                for (i, node) in nodes.iter().enumerate() {
                    totals.refresh(i, node, topology_key, &count);
                }
            }
        }
        totals.seen = changes.end();
        totals
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::api::labels::Selector;
    use crate::api::Kind;
    use crate::components::scheduler::node_info::SpreadKeys;
    use crate::components::scheduler::node_slots::NodeSlots;
    use crate::components::scheduler::plugins::pod_topology_spread::count_matching;

    const ZONE: &str = "topology.kubernetes.io/zone";

    fn node(name: &str, zone: Option<&str>) -> Arc<crate::api::Object> {
        let labels = match zone {
            Some(z) => json!({ ZONE: z }),
            None => json!({}),
        };
        let v = json!({"apiVersion": "v1", "kind": "Node",
                       "metadata": {"name": name, "labels": labels}});
        Arc::new(Kind::Node.decode(&v).expect("node decodes"))
    }

    /// An operation on the node slots.
    #[derive(Clone, Debug)]
    enum Op {
        /// A pod of app `a` or `b`, in namespace `x` or `y`, terminating or
        /// not, on a node.
        Add {
            node: usize,
            app: bool,
            other_ns: bool,
            terminating: bool,
        },
        /// The pod added `n` operations ago (if still there) goes.
        Remove(usize),
        /// A node is relabelled (zone `z0`..`z2`, or none).
        Relabel { node: usize, zone: Option<u8> },
        /// A node is added.
        Push { zone: Option<u8> },
        /// A node is deleted.
        Clear(usize),
        /// A cycle reads the totals.
        Read,
    }

    fn op() -> impl Strategy<Value = Op> {
        let zone = prop::option::of(0u8..3);
        prop_oneof![
            6 => (0usize..8, any::<bool>(), prop::bool::weighted(0.2), prop::bool::weighted(0.2))
                .prop_map(|(node, app, other_ns, terminating)| Op::Add { node, app, other_ns, terminating }),
            3 => (0usize..40).prop_map(Op::Remove),
            1 => (0usize..8, zone.clone()).prop_map(|(node, zone)| Op::Relabel { node, zone }),
            1 => zone.prop_map(|zone| Op::Push { zone }),
            1 => (0usize..8).prop_map(Op::Clear),
            3 => Just(Op::Read),
        ]
    }

    proptest! {
        /// Whatever happens to the nodes and their pods, and however long a
        /// reader waits (past the log's end too), the kept totals are the
        /// sums a pass over every node gives, and the kept per-node counts
        /// (hostname) each node's count.
        #[test]
        fn the_totals_are_what_a_pass_over_every_node_counts(ops in prop::collection::vec(op(), 1..400)) {
            let selector = Selector::parse("app=a").expect("selector parses");
            let key = SpreadKeys::default().of("x", &selector);
            let mut slots = NodeSlots::default();
            for i in 0..4 {
                slots.push(NodeInfo::from_node(node(&format!("n{i}"), Some(&format!("z{}", i % 2)))));
            }
            let mut domains = SpreadDomains::default();
            let mut added: Vec<(usize, String)> = Vec::new();
            let count = |n: &NodeInfo| count_matching(n, &selector, "x");
            for (step, op) in ops.into_iter().enumerate() {
                let live = |slots: &NodeSlots, i: usize| i < slots.infos().len() && !slots[i].name.is_empty();
                match op {
                    Op::Add { node, app, other_ns, terminating } => {
                        if !live(&slots, node) { continue; }
                        let uid = format!("p{step}");
                        let pod = PodInfo {
                            uid: uid.clone(),
                            namespace: if other_ns { "y" } else { "x" }.into(),
                            labels: [("app".to_owned(), if app { "a" } else { "b" }.to_owned())].into(),
                            terminating,
                            ..PodInfo::default()
                        };
                        slots.add_pod(node, Arc::new(pod));
                        added.push((node, uid));
                    }
                    Op::Remove(back) => {
                        if let Some(i) = added.len().checked_sub(back + 1) {
                            let (node, uid) = added.remove(i);
                            if live(&slots, node) {
                                slots.remove_pod(node, &uid);
                            }
                        }
                    }
                    Op::Relabel { node, zone } => {
                        if live(&slots, node) {
                            let name = slots[node].name.clone();
                            slots.update_node(node, self::node(&name, zone.map(|z| format!("z{z}")).as_deref()));
                        }
                    }
                    Op::Push { zone } => {
                        let name = format!("n{}", slots.infos().len());
                        slots.push(NodeInfo::from_node(node(&name, zone.map(|z| format!("z{z}")).as_deref())));
                    }
                    Op::Clear(node) => {
                        if live(&slots, node) {
                            slots.clear(node);
                        }
                    }
                    Op::Read => {
                        let (infos, _, changes) = slots.with_verdicts();
                        let totals = domains.totals(key, ZONE, infos, changes, count, |p| {
                            !p.terminating && p.namespace == "x" && selector.matches(&p.labels)
                        });
                        let mut expected: BTreeMap<&str, i64> = BTreeMap::new();
                        for n in infos.iter().filter(|n| !n.name.is_empty()) {
                            let zone = n.labels.get(ZONE).map_or("", String::as_str);
                            *expected.entry(zone).or_default() += count(n);
                        }
                        for zone in ["", "z0", "z1", "z2", "elsewhere"] {
                            prop_assert_eq!(totals.get(zone), expected.get(zone).copied().unwrap_or(0), "zone {:?}", zone);
                        }
                        let per_node = domains.totals(key, HOSTNAME, infos, changes, count, |p| {
                            !p.terminating && p.namespace == "x" && selector.matches(&p.labels)
                        });
                        for (i, n) in infos.iter().enumerate().filter(|(_, n)| !n.name.is_empty()) {
                            prop_assert_eq!(per_node.on_node(i), count(n), "node {}", i);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_reader_behind_the_log_counts_every_node_again() {
        let selector = Selector::parse("app=a").expect("selector parses");
        let key = SpreadKeys::default().of("x", &selector);
        let mut slots = NodeSlots::default();
        slots.push(NodeInfo::from_node(node("n0", Some("z0"))));
        slots.push(NodeInfo::from_node(node("n1", None)));
        let mut domains = SpreadDomains::default();
        let count = |n: &NodeInfo| count_matching(n, &selector, "x");
        let matches = |p: &PodInfo| p.labels.get("app").is_some_and(|a| a == "a");
        let mut read = |slots: &mut NodeSlots| {
            let (infos, _, changes) = slots.with_verdicts();
            let t = domains.totals(key, ZONE, infos, changes, count, matches);
            (t.get("z0"), t.get(""))
        };
        assert_eq!(read(&mut slots), (0, 0));
        // Far more changes than the log keeps: 5,000 pods come and most go.
        for i in 0..5_000 {
            let pod = PodInfo {
                uid: format!("p{i}"),
                namespace: "x".into(),
                labels: [("app".to_owned(), "a".to_owned())].into(),
                ..PodInfo::default()
            };
            slots.add_pod(i % 2, Arc::new(pod));
            if i >= 3 {
                assert!(slots.remove_pod((i - 3) % 2, &format!("p{}", i - 3)));
            }
        }
        let (infos, _, changes) = slots.with_verdicts();
        assert!(changes.since(0).is_none(), "the log was trimmed");
        // p4997 and p4999 on n1, p4998 on n0.
        assert_eq!(count(&infos[0]), 1);
        assert_eq!(read(&mut slots), (1, 2));
    }

    #[test]
    fn past_its_capacity_the_least_recently_used_totals_go_and_come_back_right() {
        let keys = SpreadKeys::default();
        let selector = Selector::parse("app=a").expect("selector parses");
        let mut slots = NodeSlots::default();
        slots.push(NodeInfo::from_node(node("n0", Some("z0"))));
        let pod = PodInfo {
            uid: "p".into(),
            namespace: "x".into(),
            labels: [("app".to_owned(), "a".to_owned())].into(),
            ..PodInfo::default()
        };
        slots.add_pod(0, Arc::new(pod));
        let mut domains = SpreadDomains::default();
        let count = |n: &NodeInfo| count_matching(n, &selector, "x");
        let matches = |p: &PodInfo| p.labels.get("app").is_some_and(|a| a == "a");
        let first = keys.of("x", &selector);
        let (infos, _, changes) = slots.with_verdicts();
        assert_eq!(
            domains
                .totals(first, ZONE, infos, changes, count, matches)
                .get("z0"),
            1
        );
        // As many other keys as the capacity: the first is the least used.
        for i in 0..CAPACITY {
            let other = keys.of(&format!("ns-{i}"), &selector);
            domains.totals(other, ZONE, infos, changes, count, matches);
            assert!(domains.totals.len() <= CAPACITY);
        }
        assert!(!domains.totals.contains_key(&(first, ZONE.to_owned())));
        assert_eq!(
            domains
                .totals(first, ZONE, infos, changes, count, matches)
                .get("z0"),
            1
        );
    }
}
