//! Finding the feasible nodes of one cycle (schedule_one.go:
//! findNodesThatFitPod, evaluateNominatedNode, findNodesThatPassFilters).
//!
//! A pod with a nominated node is first tried on that node alone. Otherwise
//! the nodes are filtered in node-tree order from the rotating start index
//! until `numFeasibleNodesToFind` of them pass; the start index then moves on
//! by the number of nodes examined. Nodes holding nominated pods of at least
//! the pod's priority are filtered with those pods added
//! (RunFilterPluginsWithNominatedPods).
//!
//! This is the scheduler's hot loop: a 5,000-node cluster examines 500 nodes
//! per pod. The memoized filters come from the node's
//! [`Verdict`](super::verdicts::Verdict); only the
//! filters it does not hold run, and only a rejected node is filtered in full
//! (for the rejecting plugin's own reason).

use std::collections::BTreeMap;

use super::compiled_profile::CompiledProfile;
use super::framework::{self, ClusterView, CycleState};
use super::plugins::Rejection;
use super::pod_info::{PodInfo, SharedPodInfo};
use super::verdicts::Verdicts;

/// What a search found.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// Feasible node indexes, in the order found. Their [`Verdicts`] slots
    /// hold their verdicts (on the node without nominated pods, as scoring
    /// sees it).
    pub feasible: Vec<usize>,
    /// A buffer for the feasible nodes' score totals.
    pub totals: Vec<i64>,
    /// Rejected node indexes with the first rejecting filter's reason.
    pub rejections: Vec<(usize, Rejection)>,
    /// Nodes examined (the nominated node included).
    pub processed: usize,
    /// The start index for the next cycle.
    pub next_start: usize,
}

impl Found {
    /// Empties the result, keeping its buffers; the start index stays `start`.
    pub(crate) fn clear(&mut self, start: usize) {
        self.feasible.clear();
        self.totals.clear();
        self.rejections.clear();
        self.processed = 0;
        self.next_start = start;
    }
}

/// One cycle's filtering of one pod.
pub(crate) struct NodeSearch<'a, 'v> {
    /// The pod's profile.
    pub profile: &'a CompiledProfile,
    /// The pod's PreFilter results.
    pub state: &'a CycleState,
    /// The pod.
    pub pod: &'a PodInfo,
    /// The cache.
    pub view: &'a ClusterView<'v>,
    /// Nominated pods to add while filtering their nodes, by node index.
    pub nominated_pods: &'a BTreeMap<usize, Vec<SharedPodInfo>>,
    /// The remembered verdicts.
    pub verdicts: &'a mut Verdicts,
}

impl NodeSearch<'_, '_> {
    /// Filters node `i` (and brings its verdict up to date).
    #[inline]
    fn filter(&mut self, i: usize) -> Result<(), Rejection> {
        let (profile, state, pod, view) = (self.profile, self.state, self.pod, self.view);
        let node = &view.nodes[i];
        let passes = self.verdicts.get(i, profile, pod, view.nodes).passes;
        if !self.nominated_pods.is_empty() {
            if let Some(extra) = self.nominated_pods.get(&i) {
                let mut with_nominated = node.clone();
                for p in extra {
                    with_nominated.add_pod(p.clone());
                }
                return framework::run_filters(profile, state, pod, &with_nominated, view);
            }
        }
        if !passes {
            // Filtered again in full for the first rejecting plugin's reason.
            return framework::run_filters(profile, state, pod, node, view);
        }
        let rest = state.unmemoized_filters();
        if rest.is_empty() {
            return Ok(());
        }
        framework::run_filter_list(rest, profile, state, pod, node, view)
    }

    #[inline(never)]
    fn record(&mut self, found: &mut Found, i: usize) {
        found.processed += 1;
        match self.filter(i) {
            Ok(()) => found.feasible.push(i),
            Err(r) => found.rejections.push((i, r)),
        }
    }

    /// Searches `order` (the node tree) from `start` for `want` feasible
    /// nodes, after the nominated node if any. `found` is an earlier result
    /// whose buffers are reused.
    pub(crate) fn run(
        mut self,
        mut found: Found,
        nominated_node: Option<usize>,
        order: &[usize],
        start: usize,
        want: usize,
    ) -> Found {
        let n = order.len();
        found.clear(start);
        if n == 0 {
            return found;
        }
        if let Some(i) = nominated_node {
            self.record(&mut found, i);
            if !found.feasible.is_empty() {
                return found;
            }
            found.rejections.clear();
        }
        found.feasible.reserve(want.min(n));
        // With no nominated pods and nothing but memoized filters to run, a
        // passing verdict is the whole answer.
        let verdict_decides =
            self.nominated_pods.is_empty() && self.state.unmemoized_filters().is_empty();
        // The node tree from `start`, wrapping around once.
        let start = start % n;
        let pass = if verdict_decides {
            Verdicts::passing_key(self.pod.shape)
        } else {
            u32::MAX
        };
        let mut examined = 0;
        'search: for part in [&order[start..], &order[..start]] {
            for &i in part {
                if found.feasible.len() >= want {
                    break 'search;
                }
                examined += 1;
                // A current, passing verdict: one comparison.
                if self.verdicts.key_of(i) == pass
                    || (verdict_decides
                        && self
                            .verdicts
                            .get(i, self.profile, self.pod, self.view.nodes)
                            .passes)
                {
                    found.feasible.push(i);
                    continue;
                }
                self.record(&mut found, i);
            }
        }
        // Every node examined, the nominated one included.
        found.processed = examined + usize::from(nominated_node.is_some());
        let pos = (start + examined) % n;
        found.next_start = pos;
        found
    }
}
