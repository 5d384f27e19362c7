//! Expectations: conditions on the cluster's API state, checked at once or
//! up to a deadline, each reported with the value observed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sim_core::api::conditions;
use sim_core::api::labels::Selector;
use sim_core::api::{Kind, Object};
use sim_core::etcd::{ChangeType, Etcd};
use sim_core::time::SimDuration;

/// What an expectation looks at.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// One object.
    Object {
        /// Its kind.
        kind: Kind,
        /// Its namespace (empty for cluster-scoped kinds).
        namespace: String,
        /// Its name.
        name: String,
    },
    /// The pods a selector matches, in one namespace or all.
    Pods {
        /// The namespace, or None for all.
        namespace: Option<String>,
        /// The label selector.
        selector: Selector,
    },
}

/// One condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// The object exists (or not).
    Exists(bool),
    /// Phase of a pod or namespace; for a set of pods, of every pod (and at least one).
    Phase(String),
    /// Ready condition of a pod or node; for a set, of every pod.
    Ready(bool),
    /// Number of pods in the set.
    Count(usize),
    /// Pods per phase.
    PhaseCounts(BTreeMap<String, usize>),
    /// `status.replicas`.
    Replicas(i32),
    /// `status.readyReplicas`.
    ReadyReplicas(i32),
    /// `status.availableReplicas`.
    AvailableReplicas(i32),
    /// `status.updatedReplicas`.
    UpdatedReplicas(i32),
    /// The pod runs on this node.
    OnNode(String),
    /// The pod's total restart count.
    Restarts(i32),
}

/// A checked condition set with its deadline.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    /// What is looked at.
    pub target: Target,
    /// All must hold.
    pub conditions: Vec<Condition>,
    /// How long to wait for them (zero: they must hold now).
    pub within: SimDuration,
}

fn pod_ready(o: &Object) -> bool {
    o.as_pod().is_some_and(conditions::is_pod_ready)
}

fn phase_of(o: &Object) -> String {
    match o {
        Object::Pod(p) => p
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default(),
        Object::Namespace(n) => n
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default(),
        Object::PersistentVolume(p) => p
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default(),
        Object::PersistentVolumeClaim(p) => p
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn replicas(o: &Object, which: &str) -> i32 {
    match o {
        Object::Deployment(d) => {
            let s = d.status.clone().unwrap_or_default();
            match which {
                "replicas" => s.replicas,
                "readyReplicas" => s.ready_replicas,
                "availableReplicas" => s.available_replicas,
                _ => s.updated_replicas,
            }
            .unwrap_or(0)
        }
        Object::ReplicaSet(r) => {
            let s = r.status.clone().unwrap_or_default();
            match which {
                "replicas" => Some(s.replicas),
                "readyReplicas" => s.ready_replicas,
                "availableReplicas" => s.available_replicas,
                _ => Some(s.replicas),
            }
            .unwrap_or(0)
        }
        Object::StatefulSet(r) => {
            let s = r.status.clone().unwrap_or_default();
            match which {
                "replicas" => Some(s.replicas),
                "readyReplicas" => s.ready_replicas,
                "availableReplicas" => s.available_replicas,
                _ => s.updated_replicas,
            }
            .unwrap_or(0)
        }
        Object::DaemonSet(r) => {
            let s = r.status.clone().unwrap_or_default();
            match which {
                "replicas" => s.current_number_scheduled,
                "readyReplicas" => s.number_ready,
                "availableReplicas" => s.number_available.unwrap_or(0),
                _ => s.updated_number_scheduled.unwrap_or(0),
            }
        }
        _ => 0,
    }
}

fn node_ready(o: &Object) -> bool {
    o.as_node().is_some_and(conditions::is_node_ready)
}

impl Expectation {
    /// A one-line description: `deployment/my-tomcat availableReplicas=3 within 2m0s`.
    pub fn describe(&self) -> String {
        let mut s = match &self.target {
            Target::Object {
                kind,
                namespace,
                name,
            } => {
                let ns = if namespace.is_empty() || namespace == "default" {
                    String::new()
                } else {
                    format!(" -n {namespace}")
                };
                format!("{}/{name}{ns}", kind.singular())
            }
            Target::Pods {
                namespace,
                selector,
            } => {
                let sel = if selector.is_everything() {
                    "pods".to_owned()
                } else {
                    format!("pods -l {selector}")
                };
                match namespace {
                    Some(ns) if ns != "default" => format!("{sel} -n {ns}"),
                    Some(_) => sel,
                    None => format!("{sel} -A"),
                }
            }
        };
        for c in &self.conditions {
            let _ = write!(s, " {}", describe_condition(c));
        }
        if self.within > SimDuration::ZERO {
            let _ = write!(s, " within {}", self.within);
        }
        s
    }

    /// Checks the conditions against the store: (all hold, what was observed).
    pub fn check(&self, etcd: &Etcd) -> (bool, String) {
        match &self.target {
            Target::Object {
                kind,
                namespace,
                name,
            } => {
                let obj = etcd.get(*kind, namespace, name);
                let mut ok = true;
                let mut seen = Vec::new();
                for c in &self.conditions {
                    let (hold, observed) = match (c, obj) {
                        (Condition::Exists(want), o) => (
                            o.is_some() == *want,
                            if o.is_some() { "exists" } else { "not found" }.to_owned(),
                        ),
                        (_, None) => (false, "not found".to_owned()),
                        (Condition::Phase(p), Some(o)) => {
                            let ph = phase_of(o);
                            (
                                ph == *p,
                                format!("phase={}", if ph.is_empty() { "<none>" } else { &ph }),
                            )
                        }
                        (Condition::Ready(r), Some(o)) => {
                            let ready = if o.kind() == Kind::Node {
                                node_ready(o)
                            } else {
                                pod_ready(o)
                            };
                            (ready == *r, format!("ready={ready}"))
                        }
                        (Condition::Replicas(n), Some(o)) => field(o, "replicas", *n),
                        (Condition::ReadyReplicas(n), Some(o)) => field(o, "readyReplicas", *n),
                        (Condition::AvailableReplicas(n), Some(o)) => {
                            field(o, "availableReplicas", *n)
                        }
                        (Condition::UpdatedReplicas(n), Some(o)) => field(o, "updatedReplicas", *n),
                        (Condition::OnNode(n), Some(o)) => {
                            let node = o.field("spec.nodeName").unwrap_or_default();
                            (
                                node == *n,
                                format!("node={}", if node.is_empty() { "<none>" } else { &node }),
                            )
                        }
                        (Condition::Restarts(n), Some(o)) => {
                            let r: i32 = o
                                .as_pod()
                                .and_then(|p| p.status.as_ref())
                                .and_then(|s| s.container_statuses.as_ref())
                                .map(|cs| cs.iter().map(|c| c.restart_count).sum())
                                .unwrap_or(0);
                            (r == *n, format!("restarts={r}"))
                        }
                        (Condition::Count(_) | Condition::PhaseCounts(_), Some(_)) => {
                            (false, "n/a".to_owned())
                        }
                    };
                    ok &= hold;
                    if !seen.contains(&observed) {
                        seen.push(observed);
                    }
                }
                (ok, seen.join(" "))
            }
            Target::Pods { .. } => {
                let mut tracker = PodSetTracker::default();
                tracker.refresh(&self.target, etcd);
                self.judge_pods(&tracker)
            }
        }
    }

    fn judge_pods(&self, t: &PodSetTracker) -> (bool, String) {
        let total = t.pods.len();
        let mut ok = true;
        for c in &self.conditions {
            ok &= match c {
                Condition::Phase(ph) => total > 0 && t.phase_count(ph) == total,
                Condition::Ready(true) => total > 0 && t.ready == total,
                Condition::Ready(false) => t.ready == 0,
                Condition::Count(n) => total == *n,
                Condition::PhaseCounts(want) => want.iter().all(|(ph, n)| t.phase_count(ph) == *n),
                _ => false,
            };
        }
        let phases: Vec<String> = t
            .by_phase
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(p, n)| format!("{p}={n}"))
            .collect();
        let mut observed = format!("{total} pods");
        if !phases.is_empty() {
            let _ = write!(observed, " ({})", phases.join(", "));
        }
        if self
            .conditions
            .iter()
            .any(|c| matches!(c, Condition::Ready(_)))
        {
            let _ = write!(observed, ", {} ready", t.ready);
        }
        (ok, observed)
    }
}

/// The pods an expectation selects, kept up to date from etcd's change
/// history so that checking after every change costs only the changes.
#[derive(Debug, Default)]
pub(crate) struct PodSetTracker {
    revision: Option<u64>,
    pods: BTreeMap<(String, String), (String, bool)>,
    by_phase: BTreeMap<String, usize>,
    ready: usize,
}

impl PodSetTracker {
    fn phase_count(&self, phase: &str) -> usize {
        self.by_phase.get(phase).copied().unwrap_or(0)
    }

    fn remove(&mut self, key: &(String, String)) {
        if let Some((phase, ready)) = self.pods.remove(key) {
            if let Some(n) = self.by_phase.get_mut(&phase) {
                *n -= 1;
            }
            self.ready -= usize::from(ready);
        }
    }

    fn upsert(&mut self, o: &Object) {
        let key = (o.namespace().to_owned(), o.name().to_owned());
        self.remove(&key);
        let phase = phase_of(o);
        let ready = pod_ready(o);
        *self.by_phase.entry(phase.clone()).or_default() += 1;
        self.ready += usize::from(ready);
        self.pods.insert(key, (phase, ready));
    }

    /// Brings the set up to date with the store: applies the changes since
    /// the last refresh, or recounts when that history was compacted.
    pub(crate) fn refresh(&mut self, target: &Target, etcd: &Etcd) {
        let Target::Pods {
            namespace,
            selector,
        } = target
        else {
            return;
        };
        let selected = |o: &Object| {
            namespace.as_deref().is_none_or(|ns| ns == o.namespace())
                && selector.matches(o.labels())
        };
        match self.revision.map(|r| etcd.changes_since(Kind::Pod, r)) {
            Some(Ok(changes)) => {
                for c in changes {
                    if c.change == ChangeType::Deleted || !selected(&c.object) {
                        self.remove(&(c.object.namespace().to_owned(), c.object.name().to_owned()));
                    } else {
                        self.upsert(&c.object);
                    }
                }
            }
            _ => {
                *self = Self::default();
                for o in etcd.list(Kind::Pod, namespace.as_deref()) {
                    if selected(&o) {
                        self.upsert(&o);
                    }
                }
            }
        }
        self.revision = Some(etcd.revision());
    }
}

/// Checks an expectation repeatedly, cheaply: pod sets are tracked incrementally.
#[derive(Debug)]
pub(crate) struct Checker<'a> {
    expectation: &'a Expectation,
    pods: PodSetTracker,
}

impl<'a> Checker<'a> {
    /// A checker for one expectation.
    pub(crate) fn new(expectation: &'a Expectation) -> Self {
        Self {
            expectation,
            pods: PodSetTracker::default(),
        }
    }

    /// Checks against the store's current state: (all hold, what was observed).
    pub(crate) fn check(&mut self, etcd: &Etcd) -> (bool, String) {
        match &self.expectation.target {
            Target::Pods { .. } => {
                self.pods.refresh(&self.expectation.target, etcd);
                self.expectation.judge_pods(&self.pods)
            }
            Target::Object { .. } => self.expectation.check(etcd),
        }
    }
}

fn field(o: &Object, which: &str, want: i32) -> (bool, String) {
    let v = replicas(o, which);
    (v == want, format!("{which}={v}"))
}

fn describe_condition(c: &Condition) -> String {
    match c {
        Condition::Exists(true) => "exists".into(),
        Condition::Exists(false) => "does not exist".into(),
        Condition::Phase(p) => format!("phase={p}"),
        Condition::Ready(r) => format!("ready={r}"),
        Condition::Count(n) => format!("count={n}"),
        Condition::PhaseCounts(m) => m
            .iter()
            .map(|(p, n)| format!("{p}={n}"))
            .collect::<Vec<_>>()
            .join(" "),
        Condition::Replicas(n) => format!("replicas={n}"),
        Condition::ReadyReplicas(n) => format!("readyReplicas={n}"),
        Condition::AvailableReplicas(n) => format!("availableReplicas={n}"),
        Condition::UpdatedReplicas(n) => format!("updatedReplicas={n}"),
        Condition::OnNode(n) => format!("node={n}"),
        Condition::Restarts(n) => format!("restarts={n}"),
    }
}
