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
//! per pod. The memoized filters come from the node's [`Verdict`]; only the
//! filters it does not hold run, and only a rejected node is filtered in full
//! (for the rejecting plugin's own reason).

use std::collections::BTreeMap;

use super::framework::{self, ClusterView, CompiledProfile, CycleState};
use super::plugins::Rejection;
use super::pod_info::{PodInfo, SharedPodInfo};
use super::verdicts::{Verdict, Verdicts};

/// What a search found.
#[derive(Debug, Default)]
pub struct Found {
    /// Feasible node indexes, in the order found.
    pub feasible: Vec<usize>,
    /// The verdict of each feasible node (on the node without nominated pods,
    /// as scoring sees it).
    pub verdicts: Vec<Verdict>,
    /// Rejected node indexes with the first rejecting filter's reason.
    pub rejections: Vec<(usize, Rejection)>,
    /// Nodes examined (the nominated node included).
    pub processed: usize,
    /// The start index for the next cycle.
    pub next_start: usize,
}

/// One cycle's filtering of one pod.
pub struct NodeSearch<'a, 'v> {
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
    /// Filters node `i`: its verdict when it passes.
    #[inline]
    fn filter(&mut self, i: usize) -> Result<Verdict, Rejection> {
        let (profile, state, pod, view) = (self.profile, self.state, self.pod, self.view);
        let node = &view.nodes[i];
        let verdict = self.verdicts.get(i, profile, pod, node);
        if !self.nominated_pods.is_empty() {
            if let Some(extra) = self.nominated_pods.get(&i) {
                let mut with_nominated = node.clone();
                for p in extra {
                    with_nominated.add_pod(p.clone());
                }
                framework::run_filters(profile, state, pod, &with_nominated, view)?;
                return Ok(verdict);
            }
        }
        if !verdict.passes {
            // Filtered again in full for the first rejecting plugin's reason.
            framework::run_filters(profile, state, pod, node, view)?;
            return Ok(verdict);
        }
        let rest = state.unmemoized_filters();
        if !rest.is_empty() {
            framework::run_filter_list(rest, profile, state, pod, node, view)?;
        }
        Ok(verdict)
    }

    fn record(&mut self, found: &mut Found, i: usize) {
        found.processed += 1;
        match self.filter(i) {
            Ok(v) => {
                found.feasible.push(i);
                found.verdicts.push(v);
            }
            Err(r) => found.rejections.push((i, r)),
        }
    }

    /// Searches `order` (the node tree) from `start` for `want` feasible
    /// nodes, after the nominated node if any.
    pub fn run(
        mut self,
        nominated_node: Option<usize>,
        order: &[usize],
        start: usize,
        want: usize,
    ) -> Found {
        let n = order.len();
        let mut found = Found {
            next_start: start,
            ..Found::default()
        };
        if n == 0 {
            return found;
        }
        self.verdicts.ensure(self.view.nodes.len());
        if let Some(i) = nominated_node {
            self.record(&mut found, i);
            if !found.feasible.is_empty() {
                return found;
            }
            found.rejections.clear();
        }
        found.feasible.reserve(want.min(n));
        found.verdicts.reserve(want.min(n));
        let mut pos = start % n;
        let mut examined = 0;
        while examined < n && found.feasible.len() < want {
            let i = order[pos];
            pos += 1;
            if pos == n {
                pos = 0;
            }
            examined += 1;
            self.record(&mut found, i);
        }
        found.next_start = pos;
        found
    }
}
