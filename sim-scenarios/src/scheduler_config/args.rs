//! Plugin args (`pluginConfig[].args`): which fields each plugin's
//! `<Plugin>Args` kind has, and their defaulting and validation into sim-core's
//! typed [`PluginArgs`].

use sim_core::config::scheduler::{
    system_default_constraints, DefaultSpreadConstraint, PluginArgs, ResourceWeight,
    ScoringStrategy,
};

use super::problem::Problem;
use crate::raw::scheduler::{RawPluginArgs, RawResourceSpec, RawShapePoint};

/// Which args fields each plugin takes (its `<Name>Args` kind).
pub(super) fn args_fields(plugin: &str) -> Option<&'static [&'static str]> {
    Some(match plugin {
        "NodeResourcesFit" => &[
            "scoringStrategy",
            "ignoredResources",
            "ignoredResourceGroups",
        ],
        "NodeResourcesBalancedAllocation" => &["resources"],
        "InterPodAffinity" => &[
            "hardPodAffinityWeight",
            "ignorePreferredTermsOfExistingPods",
        ],
        "PodTopologySpread" => &["defaultConstraints", "defaultingType"],
        "DefaultPreemption" => &["minCandidateNodesPercentage", "minCandidateNodesAbsolute"],
        "VolumeBinding" => &["bindTimeoutSeconds", "shape"],
        "NodeAffinity" => &["addedAffinity"],
        _ => return None,
    })
}

/// The args fields that are set.
pub(super) fn present_fields(a: &RawPluginArgs) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut f = |set: bool, name: &'static str| {
        if set {
            out.push(name);
        }
    };
    f(a.scoring_strategy.is_some(), "scoringStrategy");
    f(a.ignored_resources.is_some(), "ignoredResources");
    f(a.ignored_resource_groups.is_some(), "ignoredResourceGroups");
    f(a.resources.is_some(), "resources");
    f(
        a.hard_pod_affinity_weight.is_some(),
        "hardPodAffinityWeight",
    );
    f(
        a.ignore_preferred_terms_of_existing_pods.is_some(),
        "ignorePreferredTermsOfExistingPods",
    );
    f(a.default_constraints.is_some(), "defaultConstraints");
    f(a.defaulting_type.is_some(), "defaultingType");
    f(
        a.min_candidate_nodes_percentage.is_some(),
        "minCandidateNodesPercentage",
    );
    f(
        a.min_candidate_nodes_absolute.is_some(),
        "minCandidateNodesAbsolute",
    );
    f(a.bind_timeout_seconds.is_some(), "bindTimeoutSeconds");
    f(a.shape.is_some(), "shape");
    f(a.added_affinity.is_some(), "addedAffinity");
    out
}

pub(super) fn resources(raw: &Option<Vec<RawResourceSpec>>) -> Vec<ResourceWeight> {
    match raw {
        Some(list) if !list.is_empty() => list
            .iter()
            .map(|r| ResourceWeight {
                name: r.name.clone(),
                weight: match r.weight {
                    None | Some(0) => 1,
                    Some(w) => w,
                },
            })
            .collect(),
        _ => PluginArgs::default().fit_resources,
    }
}

pub(super) fn shape_text(shape: &[RawShapePoint]) -> String {
    let points: Vec<String> = shape
        .iter()
        .map(|p| format!("{{utilization: {}, score: {}}}", p.utilization, p.score))
        .collect();
    format!("[{}]", points.join(", "))
}

/// Applies one pluginConfig entry to the typed args. Validation errors (in
/// validation.go's words) go to `errs`; NodeResourcesFit's, which
/// kube-scheduler finds when it builds the plugin, go to `fit_errs`.
pub(super) fn apply_args(
    name: &str,
    a: &RawPluginArgs,
    at: &str,
    args: &mut PluginArgs,
    errs: &mut Vec<Problem>,
    fit_errs: &mut Vec<Problem>,
) {
    match name {
        "NodeResourcesFit" => fit_args(a, at, args, errs, fit_errs),
        "NodeResourcesBalancedAllocation" => {
            // Weights other than 1 are refused by SchedulerConfiguration::validate.
            args.balanced_resources = resources(&a.resources);
        }
        "InterPodAffinity" => {
            if let Some(w) = a.hard_pod_affinity_weight {
                args.hard_pod_affinity_weight = i64::from(w);
            }
            if let Some(b) = a.ignore_preferred_terms_of_existing_pods {
                args.ignore_preferred_terms_of_existing_pods = b;
            }
        }
        "PodTopologySpread" => spread_args(a, at, args, errs),
        "DefaultPreemption" => {
            if let Some(p) = a.min_candidate_nodes_percentage {
                args.min_candidate_nodes_percentage = i64::from(p);
            }
            if let Some(n) = a.min_candidate_nodes_absolute {
                args.min_candidate_nodes_absolute = i64::from(n);
            }
        }
        "VolumeBinding" => volume_binding_args(a, at, errs),
        "NodeAffinity" if a.added_affinity.is_some() => {
            errs.push(Problem::not_simulated(
                &format!("{at}.addedAffinity"),
                "NodeAffinityArgs.addedAffinity",
            ));
        }
        _ => {}
    }
}

/// NodeResourcesFitArgs: ignored resources and the scoring strategy.
fn fit_args(
    a: &RawPluginArgs,
    at: &str,
    args: &mut PluginArgs,
    errs: &mut Vec<Problem>,
    fit_errs: &mut Vec<Problem>,
) {
    if let Some(groups) = &a.ignored_resource_groups {
        if !groups.is_empty() {
            errs.push(Problem::not_simulated(
                &format!("{at}.ignoredResourceGroups"),
                "ignoredResourceGroups",
            ));
        }
    }
    if let Some(ignored) = &a.ignored_resources {
        args.fit_ignored_resources = ignored.clone();
    }
    if let Some(s) = &a.scoring_strategy {
        let sp = format!("{at}.scoringStrategy");
        args.fit_resources = resources(&s.resources);
        let kind = s.kind.as_deref().unwrap_or("");
        let rtcr = s.requested_to_capacity_ratio.as_ref();
        match kind {
            "LeastAllocated" => args.fit_strategy = ScoringStrategy::LeastAllocated,
            "MostAllocated" => args.fit_strategy = ScoringStrategy::MostAllocated,
            "RequestedToCapacityRatio" => match rtcr {
                None => fit_errs.push(Problem::new(
                    sp.clone(),
                    "scoringStrategy.requestedToCapacityRatio: Required value: must be specified when type is RequestedToCapacityRatio",
                )),
                Some(r) => {
                    args.fit_strategy = ScoringStrategy::RequestedToCapacityRatio(
                        r.shape
                            .iter()
                            .flatten()
                            .map(|p| (i64::from(p.utilization), i64::from(p.score)))
                            .collect(),
                    );
                }
            },
            other => fit_errs.push(Problem::new(
                format!("{sp}.type"),
                format!("scoringStrategy.type: Unsupported value: {other:?}: supported values: \"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\""),
            )),
        }
        if kind != "RequestedToCapacityRatio" && rtcr.is_some() {
            fit_errs.push(Problem::new(
                format!("{sp}.requestedToCapacityRatio"),
                "scoringStrategy.requestedToCapacityRatio: Forbidden: must be nil when type is not RequestedToCapacityRatio",
            ));
        }
    }
}

/// PodTopologySpreadArgs: the defaulting type and the default constraints.
fn spread_args(a: &RawPluginArgs, at: &str, args: &mut PluginArgs, errs: &mut Vec<Problem>) {
    let constraints = a.default_constraints.clone().unwrap_or_default();
    let ty = a.defaulting_type.as_deref().unwrap_or("");
    let ty = if ty.is_empty() { "System" } else { ty };
    let tp = format!("{at}.defaultingType");
    match ty {
        "System" => {
            if !constraints.is_empty() {
                errs.push(Problem::invalid(
                    &tp,
                    "\"System\"",
                    "when .defaultConstraints are not empty",
                ));
            }
            args.spread_system_defaulting = true;
            args.spread_default_constraints = system_default_constraints();
        }
        "List" => {
            args.spread_system_defaulting = false;
            args.spread_default_constraints = Vec::new();
        }
        other => errs.push(Problem::new(
            &tp,
            format!("{tp}: Unsupported value: {other:?}: supported values: \"System\", \"List\""),
        )),
    }
    for (i, c) in constraints.iter().enumerate() {
        let cp = format!("{at}.defaultConstraints[{i}]");
        for (set, field) in [
            (c.min_domains.is_some(), "minDomains"),
            (c.node_affinity_policy.is_some(), "nodeAffinityPolicy"),
            (c.node_taints_policy.is_some(), "nodeTaintsPolicy"),
            (c.match_label_keys.is_some(), "matchLabelKeys"),
        ] {
            if set {
                errs.push(Problem::not_simulated(
                    &format!("{cp}.{field}"),
                    &format!("{field} in a default constraint"),
                ));
            }
        }
        match c.when_unsatisfiable.as_str() {
            "" => {
                let p = format!("{cp}.whenUnsatisfiable");
                errs.push(Problem::new(
                    &p,
                    format!("{p}: Required value: can not be empty"),
                ));
            }
            "DoNotSchedule" | "ScheduleAnyway" => {}
            other => {
                let p = format!("{cp}.whenUnsatisfiable");
                errs.push(Problem::new(
                    &p,
                    format!("{p}: Unsupported value: {other:?}: supported values: \"DoNotSchedule\", \"ScheduleAnyway\""),
                ));
            }
        }
        if c.label_selector.is_some() {
            let p = format!("{cp}.labelSelector");
            errs.push(Problem::new(
                &p,
                format!("{p}: Forbidden: constraint must not define a selector, as they deduced for each pod"),
            ));
        }
        if ty == "List" {
            args.spread_default_constraints
                .push(DefaultSpreadConstraint {
                    max_skew: c.max_skew,
                    topology_key: c.topology_key.clone(),
                    do_not_schedule: c.when_unsatisfiable == "DoNotSchedule",
                });
        }
    }
}

/// VolumeBindingArgs: checked, otherwise ignored.
fn volume_binding_args(a: &RawPluginArgs, at: &str, errs: &mut Vec<Problem>) {
    if let Some(t) = a.bind_timeout_seconds {
        if t < 0 {
            errs.push(Problem::invalid(
                &format!("{at}.bindTimeoutSeconds"),
                t,
                "invalid BindTimeoutSeconds, should not be a negative value",
            ));
        }
    }
    if let Some(shape) = &a.shape {
        errs.push(Problem::invalid(
            &format!("{at}.shape"),
            shape_text(shape),
            "unexpected field `shape`, remove it or turn on the feature gate VolumeCapacityPriority",
        ));
    }
}
