//! The scheduler's configuration, typed: what a KubeSchedulerConfiguration
//! (kubescheduler.config.k8s.io/v1) says once defaulted and validated.
//!
//! [`SchedulerConfiguration::default`] is the v1.33 default profile
//! (pkg/scheduler/apis/config/v1/default_plugins.go: getDefaultPlugins).
//! [`SchedulerConfiguration::validate`] refuses what kube-scheduler refuses
//! (pkg/scheduler/apis/config/validation), with its field paths.

use std::collections::BTreeSet;

/// The default scheduler name (`v1.DefaultSchedulerName`).
pub const DEFAULT_SCHEDULER_NAME: &str = "default-scheduler";

/// The highest score a scheduler plugin gives a node (framework.MaxNodeScore).
pub const MAX_NODE_SCORE: i64 = 100;

/// `MaxCustomPriorityScore` (RequestedToCapacityRatio shape scores are 0..10).
pub const MAX_CUSTOM_PRIORITY_SCORE: i64 = 10;

/// The default profile's MultiPoint plugins with their score weights (0 = no score).
pub const DEFAULT_PLUGINS: &[(&str, i64)] = &[
    ("SchedulingGates", 0),
    ("PrioritySort", 0),
    ("NodeUnschedulable", 0),
    ("NodeName", 0),
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodePorts", 0),
    ("NodeResourcesFit", 1),
    ("VolumeRestrictions", 0),
    ("NodeVolumeLimits", 0),
    ("VolumeBinding", 0),
    ("VolumeZone", 0),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("DefaultPreemption", 0),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
    ("DefaultBinder", 0),
];

/// The plugins kubesim knows: the default profile's, and DynamicResources
/// (off by default in v1.33). Plugins that kubesim accepts but whose effect
/// is not modelled (no volumes, no DRA) are known so that real
/// configurations naming them stay valid.
pub fn is_known_plugin(name: &str) -> bool {
    name == "DynamicResources" || DEFAULT_PLUGINS.iter().any(|(n, _)| *n == name)
}

/// The names of the known plugins (for suggestions).
pub fn known_plugins() -> impl Iterator<Item = &'static str> {
    DEFAULT_PLUGINS
        .iter()
        .map(|(n, _)| *n)
        .chain(std::iter::once("DynamicResources"))
}

/// Which extension points a plugin implements (framework interfaces).
pub fn implements(plugin: &str, point: ExtensionPoint) -> bool {
    use ExtensionPoint::*;
    let points: &[ExtensionPoint] = match plugin {
        "SchedulingGates" => &[PreEnqueue],
        "PrioritySort" => &[QueueSort],
        "NodeUnschedulable" | "NodeName" | "NodePorts" | "VolumeRestrictions"
        | "NodeVolumeLimits" | "VolumeZone" => &[PreFilter, Filter],
        "TaintToleration" => &[Filter, PreScore, Score],
        "NodeAffinity" | "PodTopologySpread" | "InterPodAffinity" => {
            &[PreFilter, Filter, PreScore, Score]
        }
        "NodeResourcesFit" => &[PreFilter, Filter, PreScore, Score],
        "VolumeBinding" => &[PreFilter, Filter, Reserve, PreBind, Score],
        "DefaultPreemption" => &[PostFilter],
        "NodeResourcesBalancedAllocation" => &[PreScore, Score],
        "ImageLocality" => &[Score],
        "DefaultBinder" => &[Bind],
        "DynamicResources" => &[PreFilter, Filter, PostFilter, Reserve, PreBind],
        _ => &[],
    };
    points.contains(&point)
}

/// The framework's extension points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExtensionPoint {
    /// PreEnqueue.
    PreEnqueue,
    /// QueueSort.
    QueueSort,
    /// PreFilter.
    PreFilter,
    /// Filter.
    Filter,
    /// PostFilter.
    PostFilter,
    /// PreScore.
    PreScore,
    /// Score.
    Score,
    /// Reserve.
    Reserve,
    /// Permit (no in-tree plugin kubesim knows implements it).
    Permit,
    /// PreBind.
    PreBind,
    /// Bind.
    Bind,
    /// PostBind (no in-tree plugin kubesim knows implements it).
    PostBind,
}

impl ExtensionPoint {
    /// The Go interface name kube-scheduler's framework errors use
    /// (`ScorePlugin "Foo" does not exist`).
    pub fn interface_name(self) -> &'static str {
        match self {
            Self::PreEnqueue => "PreEnqueuePlugin",
            Self::QueueSort => "QueueSortPlugin",
            Self::PreFilter => "PreFilterPlugin",
            Self::Filter => "FilterPlugin",
            Self::PostFilter => "PostFilterPlugin",
            Self::PreScore => "PreScorePlugin",
            Self::Score => "ScorePlugin",
            Self::Reserve => "ReservePlugin",
            Self::Permit => "PermitPlugin",
            Self::PreBind => "PreBindPlugin",
            Self::Bind => "BindPlugin",
            Self::PostBind => "PostBindPlugin",
        }
    }

    /// The key under a profile's `plugins` in a KubeSchedulerConfiguration.
    pub fn config_key(self) -> &'static str {
        match self {
            Self::PreEnqueue => "preEnqueue",
            Self::QueueSort => "queueSort",
            Self::PreFilter => "preFilter",
            Self::Filter => "filter",
            Self::PostFilter => "postFilter",
            Self::PreScore => "preScore",
            Self::Score => "score",
            Self::Reserve => "reserve",
            Self::Permit => "permit",
            Self::PreBind => "preBind",
            Self::Bind => "bind",
            Self::PostBind => "postBind",
        }
    }
}

/// How NodeResourcesFit scores (`scoringStrategy.type`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScoringStrategy {
    /// Prefer emptier nodes (the default).
    LeastAllocated,
    /// Prefer fuller nodes (bin packing).
    MostAllocated,
    /// A broken-linear function of utilisation, points `(utilization 0..100, score 0..10)`.
    RequestedToCapacityRatio(Vec<(i64, i64)>),
}

/// A resource name with its scoring weight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceWeight {
    /// `cpu`, `memory`, `ephemeral-storage` or an extended resource name.
    pub name: String,
    /// Weight, 1..=100.
    pub weight: i64,
}

impl ResourceWeight {
    /// A resource with a weight.
    pub fn new(name: &str, weight: i64) -> Self {
        Self {
            name: name.to_owned(),
            weight,
        }
    }
}

fn cpu_memory() -> Vec<ResourceWeight> {
    vec![
        ResourceWeight::new("cpu", 1),
        ResourceWeight::new("memory", 1),
    ]
}

/// A PodTopologySpread default constraint (`defaultConstraints`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultSpreadConstraint {
    /// maxSkew.
    pub max_skew: i32,
    /// topologyKey.
    pub topology_key: String,
    /// `DoNotSchedule` (true) or `ScheduleAnyway`.
    pub do_not_schedule: bool,
}

/// The plugin arguments kubesim models (pluginConfig args, defaulted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginArgs {
    /// NodeResourcesFitArgs.scoringStrategy.type (+ shape).
    pub fit_strategy: ScoringStrategy,
    /// NodeResourcesFitArgs.scoringStrategy.resources.
    pub fit_resources: Vec<ResourceWeight>,
    /// NodeResourcesFitArgs.ignoredResources.
    pub fit_ignored_resources: Vec<String>,
    /// NodeResourcesBalancedAllocationArgs.resources.
    pub balanced_resources: Vec<ResourceWeight>,
    /// InterPodAffinityArgs.hardPodAffinityWeight (default 1).
    pub hard_pod_affinity_weight: i64,
    /// InterPodAffinityArgs.ignorePreferredTermsOfExistingPods.
    pub ignore_preferred_terms_of_existing_pods: bool,
    /// PodTopologySpreadArgs: the constraints used for pods that have none
    /// (the System defaults unless `defaultingType: List`).
    pub spread_default_constraints: Vec<DefaultSpreadConstraint>,
    /// True with `defaultingType: System` (missing zone labels tolerated).
    pub spread_system_defaulting: bool,
    /// DefaultPreemptionArgs.minCandidateNodesPercentage (10).
    pub min_candidate_nodes_percentage: i64,
    /// DefaultPreemptionArgs.minCandidateNodesAbsolute (100).
    pub min_candidate_nodes_absolute: i64,
}

impl Default for PluginArgs {
    fn default() -> Self {
        Self {
            fit_strategy: ScoringStrategy::LeastAllocated,
            fit_resources: cpu_memory(),
            fit_ignored_resources: Vec::new(),
            balanced_resources: cpu_memory(),
            hard_pod_affinity_weight: 1,
            ignore_preferred_terms_of_existing_pods: false,
            spread_default_constraints: system_default_constraints(),
            spread_system_defaulting: true,
            min_candidate_nodes_percentage: 10,
            min_candidate_nodes_absolute: 100,
        }
    }
}

/// The System default spreading (podtopologyspread/plugin.go: systemDefaultConstraints).
pub fn system_default_constraints() -> Vec<DefaultSpreadConstraint> {
    vec![
        DefaultSpreadConstraint {
            max_skew: 3,
            topology_key: "kubernetes.io/hostname".into(),
            do_not_schedule: false,
        },
        DefaultSpreadConstraint {
            max_skew: 5,
            topology_key: "topology.kubernetes.io/zone".into(),
            do_not_schedule: false,
        },
    ]
}

/// One profile: a scheduler name with its plugins per extension point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// `schedulerName` (pods choose the profile by `spec.schedulerName`).
    pub scheduler_name: String,
    /// Filter plugins, in order.
    pub filters: Vec<String>,
    /// Score plugins with weights, in order.
    pub scores: Vec<(String, i64)>,
    /// PostFilter plugins (DefaultPreemption).
    pub post_filters: Vec<String>,
    /// PreEnqueue plugins (SchedulingGates).
    pub pre_enqueue: Vec<String>,
    /// Plugin arguments.
    pub args: PluginArgs,
    /// `percentageOfNodesToScore` for this profile (None = the global one).
    pub percentage_of_nodes_to_score: Option<i64>,
}

impl Profile {
    /// The default profile under a name.
    pub fn default_named(name: &str) -> Self {
        let mut p = Self {
            scheduler_name: name.to_owned(),
            filters: Vec::new(),
            scores: Vec::new(),
            post_filters: Vec::new(),
            pre_enqueue: Vec::new(),
            args: PluginArgs::default(),
            percentage_of_nodes_to_score: None,
        };
        for &(name, weight) in DEFAULT_PLUGINS {
            p.add_multipoint(name, weight);
        }
        p
    }

    /// Adds a plugin at every extension point it implements (MultiPoint expansion).
    pub fn add_multipoint(&mut self, name: &str, weight: i64) {
        use ExtensionPoint::*;
        let n = name.to_owned();
        if implements(name, PreEnqueue) {
            self.pre_enqueue.push(n.clone());
        }
        if implements(name, Filter) {
            self.filters.push(n.clone());
        }
        if implements(name, PostFilter) {
            self.post_filters.push(n.clone());
        }
        if implements(name, Score) {
            self.scores.push((n, if weight == 0 { 1 } else { weight }));
        }
    }
}

/// The whole configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedulerConfiguration {
    /// Global `percentageOfNodesToScore` (0 = adaptive).
    pub percentage_of_nodes_to_score: i64,
    /// `podInitialBackoffSeconds` (1).
    pub pod_initial_backoff_seconds: i64,
    /// `podMaxBackoffSeconds` (10).
    pub pod_max_backoff_seconds: i64,
    /// The profiles, at least one.
    pub profiles: Vec<Profile>,
}

impl Default for SchedulerConfiguration {
    fn default() -> Self {
        Self {
            percentage_of_nodes_to_score: 0,
            pod_initial_backoff_seconds: 1,
            pod_max_backoff_seconds: 10,
            profiles: vec![Profile::default_named(DEFAULT_SCHEDULER_NAME)],
        }
    }
}

impl SchedulerConfiguration {
    /// The profile for a scheduler name.
    pub fn profile(&self, scheduler_name: &str) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|p| p.scheduler_name == scheduler_name)
    }

    /// What kube-scheduler would refuse, one message per problem, each naming
    /// the field (validation.go: ValidateKubeSchedulerConfiguration).
    pub fn validate(&self) -> Vec<String> {
        let mut errs = Vec::new();
        if !(0..=100).contains(&self.percentage_of_nodes_to_score) {
            errs.push(format!(
                "percentageOfNodesToScore: Invalid value: {}: not in valid range [0-100]",
                self.percentage_of_nodes_to_score
            ));
        }
        if self.pod_initial_backoff_seconds <= 0 {
            errs.push(format!(
                "podInitialBackoffSeconds: Invalid value: {}: must be greater than 0",
                self.pod_initial_backoff_seconds
            ));
        }
        if self.pod_max_backoff_seconds < self.pod_initial_backoff_seconds {
            errs.push(format!(
                "podMaxBackoffSeconds: Invalid value: {}: must be greater than or equal to PodInitialBackoffSeconds",
                self.pod_max_backoff_seconds
            ));
        }
        if self.profiles.is_empty() {
            errs.push("profiles: Required value".into());
        }
        let mut names: Vec<&str> = Vec::new();
        for (i, p) in self.profiles.iter().enumerate() {
            let at = format!("profiles[{i}]");
            if p.scheduler_name.is_empty() {
                errs.push(format!("{at}.schedulerName: Required value"));
            } else if let Some(j) = names.iter().position(|n| *n == p.scheduler_name) {
                // field.Duplicate with the earlier profile's field path as the value.
                errs.push(format!(
                    "{at}.schedulerName: Duplicate value: \"profiles[{j}].schedulerName\""
                ));
            }
            names.push(&p.scheduler_name);
            if let Some(pct) = p.percentage_of_nodes_to_score {
                if !(0..=100).contains(&pct) {
                    errs.push(format!(
                        "{at}.percentageOfNodesToScore: Invalid value: {pct}: not in valid range [0-100]"
                    ));
                }
            }
            // framework.go getScoreWeights: only an overflowing total is refused.
            let mut total: i64 = 0;
            for (name, w) in &p.scores {
                if *w > 0 && w.saturating_mul(MAX_NODE_SCORE) > i64::MAX - total {
                    errs.push(format!(
                        "{at}.plugins.score.enabled[{name}].weight: Invalid value: {w}: total score of Score plugins could overflow"
                    ));
                    break;
                }
                total = total.saturating_add(w.saturating_mul(MAX_NODE_SCORE));
            }
            errs.extend(validate_args(&at, &p.args));
        }
        errs
    }
}

fn validate_resources(path: &str, resources: &[ResourceWeight], exactly_one: bool) -> Vec<String> {
    let mut errs = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, r) in resources.iter().enumerate() {
        if exactly_one {
            // validation_pluginargs.go: ValidateNodeResourcesBalancedAllocationArgs.
            if r.weight != 1 {
                errs.push(format!(
                    "{path}[{i}].weight: Invalid value: {}: must be 1",
                    r.weight
                ));
            }
        } else if !(1..=100).contains(&r.weight) {
            errs.push(format!(
                "{path}[{i}].weight: Invalid value: {}: resource weight of {} not in valid range (0, 100]",
                r.weight, r.name
            ));
        }
        if !seen.insert(r.name.as_str()) {
            errs.push(format!("{path}[{i}].name: Duplicate value: \"{}\"", r.name));
        }
    }
    errs
}

fn validate_args(at: &str, a: &PluginArgs) -> Vec<String> {
    let fit = format!("{at}.pluginConfig[NodeResourcesFit].args.scoringStrategy");
    let mut errs = validate_resources(&format!("{fit}.resources"), &a.fit_resources, false);
    if let ScoringStrategy::RequestedToCapacityRatio(shape) = &a.fit_strategy {
        let path = format!("{fit}.requestedToCapacityRatio.shape");
        if shape.is_empty() {
            errs.push(format!(
                "{path}: Required value: at least one point must be specified"
            ));
        }
        // validateFunctionShape: the first unsorted point, then each point's ranges.
        if let Some(i) = (1..shape.len()).find(|&i| shape[i - 1].0 >= shape[i].0) {
            errs.push(format!(
                "{path}[{i}].utilization: Invalid value: {}: values must be sorted in increasing order",
                shape[i].0
            ));
        }
        for (i, &(u, s)) in shape.iter().enumerate() {
            if !(0..=100).contains(&u) {
                errs.push(format!(
                    "{path}[{i}].utilization: Invalid value: {u}: not in valid range [0, 100]"
                ));
            }
            if !(0..=MAX_CUSTOM_PRIORITY_SCORE).contains(&s) {
                errs.push(format!(
                    "{path}[{i}].score: Invalid value: {s}: not in valid range [0, {MAX_CUSTOM_PRIORITY_SCORE}]"
                ));
            }
        }
    }
    errs.extend(validate_resources(
        &format!("{at}.pluginConfig[NodeResourcesBalancedAllocation].args.resources"),
        &a.balanced_resources,
        true,
    ));
    if !(0..=100).contains(&a.hard_pod_affinity_weight) {
        errs.push(format!(
            "{at}.pluginConfig[InterPodAffinity].args.hardPodAffinityWeight: Invalid value: {}: not in valid range [0, 100]",
            a.hard_pod_affinity_weight
        ));
    }
    let mut keys = BTreeSet::new();
    for (i, c) in a.spread_default_constraints.iter().enumerate() {
        let path = format!("{at}.pluginConfig[PodTopologySpread].args.defaultConstraints[{i}]");
        if c.max_skew <= 0 {
            errs.push(format!(
                "{path}.maxSkew: Invalid value: {}: not in valid range (0, inf)",
                c.max_skew
            ));
        }
        if c.topology_key.is_empty() {
            errs.push(format!(
                "{path}.topologyKey: Required value: can not be empty"
            ));
        }
        if !keys.insert((c.topology_key.as_str(), c.do_not_schedule)) {
            errs.push(format!(
                "{path}: Duplicate value: \"{{{}, {}}}\"",
                c.topology_key,
                if c.do_not_schedule {
                    "DoNotSchedule"
                } else {
                    "ScheduleAnyway"
                }
            ));
        }
    }
    if !(0..=100).contains(&a.min_candidate_nodes_percentage) {
        errs.push(format!(
            "{at}.pluginConfig[DefaultPreemption].args.minCandidateNodesPercentage: Invalid value: {}: not in valid range [0, 100]",
            a.min_candidate_nodes_percentage
        ));
    }
    if a.min_candidate_nodes_absolute < 0 {
        errs.push(format!(
            "{at}.pluginConfig[DefaultPreemption].args.minCandidateNodesAbsolute: Invalid value: {}: not in valid range [0, inf)",
            a.min_candidate_nodes_absolute
        ));
    }
    if a.min_candidate_nodes_percentage == 0 && a.min_candidate_nodes_absolute == 0 {
        let args = format!("{at}.pluginConfig[DefaultPreemption].args");
        errs.push(format!(
            "{args}.minCandidateNodesPercentage: Invalid value: 0: cannot be zero at the same time as minCandidateNodesAbsolute"
        ));
        errs.push(format!(
            "{args}.minCandidateNodesAbsolute: Invalid value: 0: cannot be zero at the same time as minCandidateNodesPercentage"
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_profile_matches_default_plugins_go() {
        let p = Profile::default_named("default-scheduler");
        assert_eq!(
            p.filters,
            [
                "NodeUnschedulable",
                "NodeName",
                "TaintToleration",
                "NodeAffinity",
                "NodePorts",
                "NodeResourcesFit",
                "VolumeRestrictions",
                "NodeVolumeLimits",
                "VolumeBinding",
                "VolumeZone",
                "PodTopologySpread",
                "InterPodAffinity"
            ]
        );
        let scores: Vec<(&str, i64)> = p.scores.iter().map(|(n, w)| (n.as_str(), *w)).collect();
        assert_eq!(
            scores,
            [
                ("TaintToleration", 3),
                ("NodeAffinity", 2),
                ("NodeResourcesFit", 1),
                ("VolumeBinding", 1),
                ("PodTopologySpread", 2),
                ("InterPodAffinity", 2),
                ("NodeResourcesBalancedAllocation", 1),
                ("ImageLocality", 1)
            ]
        );
        assert_eq!(p.post_filters, ["DefaultPreemption"]);
        assert!(SchedulerConfiguration::default().validate().is_empty());
    }

    #[test]
    fn validation_names_the_field() {
        let mut c = SchedulerConfiguration {
            percentage_of_nodes_to_score: 120,
            ..Default::default()
        };
        c.profiles.push(Profile::default_named("default-scheduler"));
        c.profiles[0].args.fit_resources[0].weight = 0;
        let errs = c.validate();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].starts_with("percentageOfNodesToScore: Invalid value: 120"));
        assert!(errs[1].contains("resources[0].weight"));
        assert_eq!(
            errs[2],
            "profiles[1].schedulerName: Duplicate value: \"profiles[0].schedulerName\""
        );
    }
}
