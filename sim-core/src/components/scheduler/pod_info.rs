//! What the scheduler needs of a pod, extracted once when the pod enters the
//! cache or the queue (the framework's PodInfo): requests, tolerations,
//! affinity terms, host ports, images, spread constraints. The hot filter and
//! score loops read these fields and never the API object.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{
    NodeSelectorTerm, Pod, PodAffinityTerm, PodSpec, Toleration, TopologySpreadConstraint,
    WeightedPodAffinityTerm,
};

use crate::api::labels::Selector;
use crate::api::node_selector::term_parses;
use crate::api::resources::{pod_request_totals, Resources};
use crate::api::Object;
use crate::config::normalized_image;

/// A host port a container asks for (NodePorts).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct HostPort {
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: String,
    /// The host IP (`0.0.0.0` when unset).
    pub ip: String,
    /// The port.
    pub port: i32,
}

impl HostPort {
    /// Two host ports conflict when protocol and port are equal and either IP
    /// is the wildcard or both are equal (framework/types.go: HostPortInfo).
    pub(crate) fn conflicts(&self, other: &HostPort) -> bool {
        self.port == other.port
            && self.protocol == other.protocol
            && (self.ip == other.ip || self.ip == "0.0.0.0" || other.ip == "0.0.0.0")
    }
}

/// A pod (anti-)affinity term, compiled (framework.AffinityTerm): the label
/// selector (with matchLabelKeys / mismatchLabelKeys merged in from the owning
/// pod's labels), the namespaces it covers and the topology key.
#[derive(Clone, Debug)]
pub(crate) struct AffinityTerm {
    /// Pods the term selects.
    pub selector: Selector,
    /// Namespaces listed (the owning pod's own when neither list nor selector is given).
    pub namespaces: Vec<String>,
    /// `namespaceSelector` (None = nil, matches no namespace).
    pub namespace_selector: Option<Selector>,
    /// The topology key.
    pub topology_key: String,
    /// The weight (preferred terms; 0 for required ones).
    pub weight: i64,
}

impl AffinityTerm {
    fn compile(
        term: &PodAffinityTerm,
        weight: i64,
        own_namespace: &str,
        own_labels: &BTreeMap<String, String>,
    ) -> Self {
        let selector = Selector::from_label_selector_opt(term.label_selector.as_ref())
            .unwrap_or_else(|_| Selector::nothing());
        let selector = selector.with_label_keys(
            own_labels,
            term.match_label_keys.as_deref().unwrap_or_default(),
            term.mismatch_label_keys.as_deref().unwrap_or_default(),
        );
        let namespace_selector = term
            .namespace_selector
            .as_ref()
            .map(|s| Selector::from_label_selector(s).unwrap_or_else(|_| Selector::nothing()));
        let mut namespaces = term.namespaces.clone().unwrap_or_default();
        if namespaces.is_empty() && namespace_selector.is_none() {
            namespaces.push(own_namespace.to_owned());
        }
        Self {
            selector,
            namespaces,
            namespace_selector,
            topology_key: term.topology_key.clone(),
            weight,
        }
    }

    /// `AffinityTerm.Matches`: the pod is in one of the term's namespaces (by
    /// name, or by the namespace selector over `namespace_labels`) and its
    /// labels match the selector.
    pub(crate) fn matches(
        &self,
        namespace: &str,
        labels: &BTreeMap<String, String>,
        namespace_labels: Option<&BTreeMap<String, String>>,
    ) -> bool {
        let in_namespace = self.namespaces.iter().any(|n| n == namespace)
            || match (&self.namespace_selector, namespace_labels) {
                (Some(sel), Some(l)) => sel.matches(l),
                (Some(sel), None) => sel.is_everything(),
                (None, _) => false,
            };
        in_namespace && self.selector.matches(labels)
    }
}

/// The pod's inter-pod affinity, split as the plugin uses it.
#[derive(Clone, Debug, Default)]
pub(crate) struct PodAffinityInfo {
    /// requiredDuringScheduling pod affinity terms.
    pub required_affinity: Vec<AffinityTerm>,
    /// requiredDuringScheduling pod anti-affinity terms.
    pub required_anti_affinity: Vec<AffinityTerm>,
    /// preferred pod affinity terms.
    pub preferred_affinity: Vec<AffinityTerm>,
    /// preferred pod anti-affinity terms.
    pub preferred_anti_affinity: Vec<AffinityTerm>,
}

impl PodAffinityInfo {
    /// True when the pod has no inter-pod affinity at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.required_affinity.is_empty()
            && self.required_anti_affinity.is_empty()
            && self.preferred_affinity.is_empty()
            && self.preferred_anti_affinity.is_empty()
    }
}

/// The scheduling-relevant parts of a pod.
#[derive(Clone, Debug, Default)]
pub(crate) struct PodInfo {
    /// metadata.uid.
    pub uid: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// `spec.priority` (0 when unset).
    pub priority: i32,
    /// `spec.preemptionPolicy: Never`.
    pub never_preempts: bool,
    /// `spec.nodeName` (pods naming a node are still filtered by NodeName).
    pub node_name: Option<String>,
    /// `status.nominatedNodeName`.
    pub nominated_node_name: Option<String>,
    /// `spec.schedulerName`.
    pub scheduler_name: String,
    /// Requests for the Fit filter.
    pub requests: Resources,
    /// Requests with non-zero defaults, for scoring.
    pub non_zero: Resources,
    /// Extended (scalar) resource requests, by name.
    pub extended: BTreeMap<String, i64>,
    /// Tolerations.
    pub tolerations: Vec<Toleration>,
    /// `spec.nodeSelector`.
    pub node_selector: BTreeMap<String, String>,
    /// Required node-affinity terms (ORed) that parse, when the pod has a
    /// required node affinity.
    pub required_node_terms: Option<Vec<NodeSelectorTerm>>,
    /// Preferred node-affinity terms with weights.
    pub preferred_node_terms: Vec<(i64, NodeSelectorTerm)>,
    /// Host ports of the containers (and sidecars).
    pub host_ports: Vec<HostPort>,
    /// Normalized images of init and regular containers.
    pub images: Vec<String>,
    /// Inter-pod affinity.
    pub affinity: PodAffinityInfo,
    /// `spec.topologySpreadConstraints`.
    pub spread_constraints: Vec<TopologySpreadConstraint>,
    /// PersistentVolumeClaims the pod mounts.
    pub claims: Vec<String>,
    /// `spec.schedulingGates` names.
    pub scheduling_gates: Vec<String>,
    /// `status.startTime` in Unix nanoseconds, for preemption's tie-breaks.
    pub start_time_ns: Option<i128>,
    /// The pod is being deleted.
    pub terminating: bool,
    /// The scheduler's id of the pod's shape (0: none given), the key of the
    /// per-node [`crate::components::scheduler::verdicts::Verdicts`].
    pub shape: u32,
}

fn pod_affinity(
    spec: &PodSpec,
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> PodAffinityInfo {
    let Some(a) = spec.affinity.as_ref() else {
        return PodAffinityInfo::default();
    };
    let required = |terms: Option<&Vec<PodAffinityTerm>>| -> Vec<AffinityTerm> {
        terms
            .into_iter()
            .flatten()
            .map(|t| AffinityTerm::compile(t, 0, namespace, labels))
            .collect()
    };
    let weighted = |terms: Option<&Vec<WeightedPodAffinityTerm>>| -> Vec<AffinityTerm> {
        terms
            .into_iter()
            .flatten()
            .map(|w| {
                AffinityTerm::compile(&w.pod_affinity_term, i64::from(w.weight), namespace, labels)
            })
            .collect()
    };
    let aff = a.pod_affinity.as_ref();
    let anti = a.pod_anti_affinity.as_ref();
    PodAffinityInfo {
        required_affinity: required(aff.and_then(|x| {
            x.required_during_scheduling_ignored_during_execution
                .as_ref()
        })),
        required_anti_affinity: required(anti.and_then(|x| {
            x.required_during_scheduling_ignored_during_execution
                .as_ref()
        })),
        preferred_affinity: weighted(aff.and_then(|x| {
            x.preferred_during_scheduling_ignored_during_execution
                .as_ref()
        })),
        preferred_anti_affinity: weighted(anti.and_then(|x| {
            x.preferred_during_scheduling_ignored_during_execution
                .as_ref()
        })),
    }
}

/// `spec.schedulerName`, defaulted.
pub(crate) fn scheduler_name(pod: &Pod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|s| s.scheduler_name.as_deref())
        .unwrap_or(crate::config::scheduler::DEFAULT_SCHEDULER_NAME)
}

impl PodInfo {
    /// Extracts the scheduling-relevant parts of a pod object.
    pub(crate) fn of(obj: &Object) -> Self {
        let Some(pod) = obj.as_pod() else {
            return Self::default();
        };
        let meta = &pod.metadata;
        let mut info = Self {
            uid: meta.uid.clone().unwrap_or_default(),
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            labels: meta.labels.clone().unwrap_or_default(),
            nominated_node_name: pod
                .status
                .as_ref()
                .and_then(|s| s.nominated_node_name.clone())
                .filter(|n| !n.is_empty()),
            start_time_ns: pod
                .status
                .as_ref()
                .and_then(|s| s.start_time.as_ref())
                .map(|t| t.0.as_nanosecond()),
            terminating: meta.deletion_timestamp.is_some(),
            ..Self::default()
        };
        let Some(spec) = pod.spec.as_ref() else {
            return info;
        };
        info.priority = spec.priority.unwrap_or(0);
        info.never_preempts = spec.preemption_policy.as_deref() == Some("Never");
        info.node_name = spec.node_name.clone().filter(|n| !n.is_empty());
        info.scheduler_name = scheduler_name(pod).to_owned();
        let totals = pod_request_totals(spec);
        info.requests = totals.requests;
        info.non_zero = totals.non_zero;
        info.extended = totals.extended;
        info.tolerations = spec.tolerations.clone().unwrap_or_default();
        info.node_selector = spec.node_selector.clone().unwrap_or_default();
        let node_affinity = spec
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref());
        info.required_node_terms = node_affinity
            .and_then(|na| {
                na.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .map(|ns| {
                // A term that does not parse never matches: keeping only the
                // others (possibly none, which matches no node) is the same.
                ns.node_selector_terms
                    .iter()
                    .filter(|t| term_parses(t))
                    .cloned()
                    .collect()
            });
        info.preferred_node_terms = node_affinity
            .and_then(|na| {
                na.preferred_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .into_iter()
            .flatten()
            .map(|p| (i64::from(p.weight), p.preference.clone()))
            .collect();
        let sidecars = spec
            .init_containers
            .iter()
            .flatten()
            .filter(|c| c.restart_policy.as_deref() == Some("Always"));
        for c in spec.containers.iter().chain(sidecars) {
            for p in c.ports.iter().flatten() {
                if let Some(hp) = p.host_port.filter(|&hp| hp > 0) {
                    info.host_ports.push(HostPort {
                        protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                        ip: p
                            .host_ip
                            .clone()
                            .filter(|ip| !ip.is_empty())
                            .unwrap_or_else(|| "0.0.0.0".into()),
                        port: hp,
                    });
                }
            }
        }
        info.images = spec
            .init_containers
            .iter()
            .flatten()
            .chain(spec.containers.iter())
            .filter_map(|c| c.image.as_deref())
            .map(normalized_image)
            .collect();
        info.affinity = pod_affinity(spec, &info.namespace, &info.labels);
        info.spread_constraints = spec.topology_spread_constraints.clone().unwrap_or_default();
        info.claims = crate::api::storage::claim_names(pod)
            .map(str::to_owned)
            .collect();
        info.scheduling_gates = spec
            .scheduling_gates
            .iter()
            .flatten()
            .map(|g| g.name.clone())
            .collect();
        info
    }

    /// `namespace/name`.
    pub(crate) fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// A pod shared between the queue, the cache and the node that holds it.
pub(crate) type SharedPodInfo = Arc<PodInfo>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_conflicts() {
        let p = |ip: &str, port| HostPort {
            protocol: "TCP".into(),
            ip: ip.into(),
            port,
        };
        assert!(p("0.0.0.0", 80).conflicts(&p("10.0.0.1", 80)));
        assert!(!p("10.0.0.2", 80).conflicts(&p("10.0.0.1", 80)));
        assert!(!p("0.0.0.0", 80).conflicts(&p("0.0.0.0", 81)));
    }
}
