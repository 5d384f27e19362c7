//! `cluster.scheduler`: a KubeSchedulerConfiguration
//! (`kubescheduler.config.k8s.io/v1`), inline or in a file, turned into
//! sim-core's typed [`SchedulerConfiguration`].
//!
//! The steps are kube-scheduler's own, in its order:
//!
//! 1. strict decoding: unknown fields are refused with their path
//!    ([`RawKubeSchedulerConfiguration`] and everything under it refuse
//!    unknown keys), and only `apiVersion: kubescheduler.config.k8s.io/v1`,
//!    `kind: KubeSchedulerConfiguration` is accepted;
//! 2. v1 defaulting (pkg/scheduler/apis/config/v1/defaults.go): no profiles
//!    gives one, a single unnamed profile is `default-scheduler`, each
//!    profile's plugins are merged with the default MultiPoint set
//!    (`mergePluginSet`), plugin args get their defaults;
//! 3. validation (validation.go, validation_pluginargs.go): every error is
//!    listed, with its field path, in kube-scheduler's words;
//! 4. building the profiles (framework.go `NewFramework`): per-point plugin
//!    lists, MultiPoint expansion, score weights; the first error stops, as
//!    `initializing profiles: creating profile for scheduler name ...: ...`.
//!
//! Fields of the v1 type that kubesim does not model but that change
//! scheduling (extenders, NodeAffinity `addedAffinity`, NodeResourcesFit
//! `ignoredResourceGroups`, ...) are refused with a message saying so rather
//! than silently ignored; `leaderElection`, `clientConnection` and the
//! profiling switches are accepted and ignored (they do not change where pods
//! go).

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use sim_core::components::scheduler::profile::{
    implements, is_known_plugin, known_plugins, system_default_constraints,
    DefaultSpreadConstraint, ExtensionPoint, PluginArgs, Profile, ResourceWeight,
    SchedulerConfiguration, ScoringStrategy, DEFAULT_PLUGINS,
};
use sim_core::components::scheduler::DEFAULT_SCHEDULER_NAME;

use crate::error::{Location, ScenarioError};
use crate::suggest::closest;
use crate::yaml::{self, YamlErrorKind};

/// The one apiVersion kube-scheduler v1.33 reads.
pub const API_VERSION: &str = "kubescheduler.config.k8s.io/v1";
/// The kind of the document.
pub const KIND: &str = "KubeSchedulerConfiguration";

// ---------------------------------------------------------------------------
// Stage one: the document as written.

/// `cluster.scheduler` as written: a path to a YAML file holding a
/// KubeSchedulerConfiguration (relative to the scenario file), or the
/// document itself.
#[derive(Clone, Debug)]
pub enum RawSchedulerSource {
    /// A file path.
    File(String),
    /// An inline document.
    Inline(Box<RawKubeSchedulerConfiguration>),
}

impl<'de> Deserialize<'de> for RawSchedulerSource {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawSchedulerSource;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a KubeSchedulerConfiguration: a mapping with apiVersion: kubescheduler.config.k8s.io/v1, kind: KubeSchedulerConfiguration and profiles, or the path of a YAML file holding one")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(RawSchedulerSource::File(s.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                // Straight into the typed document, so that serde_yaml keeps
                // the path and line of any unknown field.
                RawKubeSchedulerConfiguration::deserialize(de::value::MapAccessDeserializer::new(
                    map,
                ))
                .map(|c| RawSchedulerSource::Inline(Box::new(c)))
            }
        }
        d.deserialize_any(V)
    }
}

/// A KubeSchedulerConfiguration document (the v1 fields kubesim reads).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(
    expecting = "a KubeSchedulerConfiguration: a mapping with apiVersion, kind, profiles, percentageOfNodesToScore, podInitialBackoffSeconds, podMaxBackoffSeconds, parallelism"
)]
pub struct RawKubeSchedulerConfiguration {
    /// Must be `kubescheduler.config.k8s.io/v1`.
    #[serde(default)]
    pub api_version: Option<String>,
    /// Must be `KubeSchedulerConfiguration`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Accepted and validated (> 0); kubesim schedules one pod at a time.
    #[serde(default)]
    pub parallelism: Option<i32>,
    /// Global percentageOfNodesToScore (0 = adaptive).
    #[serde(default)]
    pub percentage_of_nodes_to_score: Option<i32>,
    /// Initial backoff of unschedulable pods (1).
    #[serde(default)]
    pub pod_initial_backoff_seconds: Option<i64>,
    /// Maximum backoff (10).
    #[serde(default)]
    pub pod_max_backoff_seconds: Option<i64>,
    /// The profiles.
    #[serde(default)]
    pub profiles: Option<Vec<RawProfile>>,
    /// Accepted, ignored (one scheduler, no election).
    #[serde(default)]
    pub leader_election: Option<Value>,
    /// Accepted, ignored.
    #[serde(default)]
    pub client_connection: Option<Value>,
    /// Accepted, ignored.
    #[serde(default)]
    pub enable_profiling: Option<bool>,
    /// Accepted, ignored.
    #[serde(default)]
    pub enable_contention_profiling: Option<bool>,
    /// Accepted, ignored.
    #[serde(default)]
    pub delay_cache_until_active: Option<bool>,
    /// Refused unless empty: extenders are not simulated.
    #[serde(default)]
    pub extenders: Option<Vec<Value>>,
}

/// `profiles[]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(
    expecting = "a scheduler profile: a mapping with schedulerName, percentageOfNodesToScore, plugins, pluginConfig"
)]
pub struct RawProfile {
    /// The name pods ask for in `spec.schedulerName`.
    #[serde(default)]
    pub scheduler_name: Option<String>,
    /// This profile's percentageOfNodesToScore.
    #[serde(default)]
    pub percentage_of_nodes_to_score: Option<i32>,
    /// Plugins per extension point.
    #[serde(default)]
    pub plugins: Option<RawPlugins>,
    /// Plugin arguments.
    #[serde(default)]
    pub plugin_config: Option<Vec<RawPluginConfig>>,
}

/// `profiles[].plugins`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(
    expecting = "plugins: a mapping of extension points (multiPoint, preEnqueue, queueSort, preFilter, filter, postFilter, preScore, score, reserve, permit, preBind, bind, postBind)"
)]
pub struct RawPlugins {
    /// multiPoint.
    #[serde(default)]
    pub multi_point: Option<RawPluginSet>,
    /// preEnqueue.
    #[serde(default)]
    pub pre_enqueue: Option<RawPluginSet>,
    /// queueSort.
    #[serde(default)]
    pub queue_sort: Option<RawPluginSet>,
    /// preFilter.
    #[serde(default)]
    pub pre_filter: Option<RawPluginSet>,
    /// filter.
    #[serde(default)]
    pub filter: Option<RawPluginSet>,
    /// postFilter.
    #[serde(default)]
    pub post_filter: Option<RawPluginSet>,
    /// preScore.
    #[serde(default)]
    pub pre_score: Option<RawPluginSet>,
    /// score.
    #[serde(default)]
    pub score: Option<RawPluginSet>,
    /// reserve.
    #[serde(default)]
    pub reserve: Option<RawPluginSet>,
    /// permit.
    #[serde(default)]
    pub permit: Option<RawPluginSet>,
    /// preBind.
    #[serde(default)]
    pub pre_bind: Option<RawPluginSet>,
    /// bind.
    #[serde(default)]
    pub bind: Option<RawPluginSet>,
    /// postBind.
    #[serde(default)]
    pub post_bind: Option<RawPluginSet>,
}

/// `{enabled: [...], disabled: [...]}`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(expecting = "a plugin set: a mapping with enabled and disabled (lists of {name, weight})")]
pub struct RawPluginSet {
    /// Enabled plugins.
    #[serde(default)]
    pub enabled: Option<Vec<RawPlugin>>,
    /// Disabled plugins (`*`: all default plugins).
    #[serde(default)]
    pub disabled: Option<Vec<RawPlugin>>,
}

/// `{name, weight}`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(expecting = "a plugin: a mapping with name and optionally weight")]
pub struct RawPlugin {
    /// The plugin's name.
    pub name: String,
    /// Score weight (0 or absent: 1).
    #[serde(default)]
    pub weight: Option<i32>,
}

/// `pluginConfig[]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(expecting = "a plugin config: a mapping with name and args")]
pub struct RawPluginConfig {
    /// The plugin's name.
    pub name: String,
    /// Its arguments.
    #[serde(default)]
    pub args: Option<RawPluginArgs>,
}

/// Plugin args: the union of the fields of every args kind kubesim reads;
/// which of them a plugin takes is checked after decoding.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(expecting = "plugin args: a mapping")]
pub struct RawPluginArgs {
    /// Optional, `kubescheduler.config.k8s.io/v1`.
    #[serde(default)]
    pub api_version: Option<String>,
    /// Optional, `<Plugin>Args`.
    #[serde(default)]
    pub kind: Option<String>,
    /// NodeResourcesFitArgs.
    #[serde(default)]
    pub scoring_strategy: Option<RawScoringStrategy>,
    /// NodeResourcesFitArgs.
    #[serde(default)]
    pub ignored_resources: Option<Vec<String>>,
    /// NodeResourcesFitArgs (not simulated).
    #[serde(default)]
    pub ignored_resource_groups: Option<Vec<String>>,
    /// NodeResourcesBalancedAllocationArgs.
    #[serde(default)]
    pub resources: Option<Vec<RawResourceSpec>>,
    /// InterPodAffinityArgs.
    #[serde(default)]
    pub hard_pod_affinity_weight: Option<i32>,
    /// InterPodAffinityArgs.
    #[serde(default)]
    pub ignore_preferred_terms_of_existing_pods: Option<bool>,
    /// PodTopologySpreadArgs.
    #[serde(default)]
    pub default_constraints: Option<Vec<RawSpreadConstraint>>,
    /// PodTopologySpreadArgs: `System` or `List`.
    #[serde(default)]
    pub defaulting_type: Option<String>,
    /// DefaultPreemptionArgs.
    #[serde(default)]
    pub min_candidate_nodes_percentage: Option<i32>,
    /// DefaultPreemptionArgs.
    #[serde(default)]
    pub min_candidate_nodes_absolute: Option<i32>,
    /// VolumeBindingArgs (accepted, validated, ignored).
    #[serde(default)]
    pub bind_timeout_seconds: Option<i64>,
    /// VolumeBindingArgs (needs a feature gate that is off).
    #[serde(default)]
    pub shape: Option<Vec<RawShapePoint>>,
    /// NodeAffinityArgs (not simulated).
    #[serde(default)]
    pub added_affinity: Option<Value>,
}

/// NodeResourcesFitArgs.scoringStrategy.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(
    expecting = "a scoring strategy: a mapping with type, resources and requestedToCapacityRatio"
)]
pub struct RawScoringStrategy {
    /// LeastAllocated, MostAllocated or RequestedToCapacityRatio.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Resources and weights.
    #[serde(default)]
    pub resources: Option<Vec<RawResourceSpec>>,
    /// The shape, for RequestedToCapacityRatio.
    #[serde(default)]
    pub requested_to_capacity_ratio: Option<RawRequestedToCapacityRatio>,
}

/// `{name, weight}` of a resource.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(expecting = "a resource: a mapping with name and weight")]
pub struct RawResourceSpec {
    /// Resource name.
    pub name: String,
    /// Weight (0 or absent: 1).
    #[serde(default)]
    pub weight: Option<i64>,
}

/// `requestedToCapacityRatio`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(expecting = "requestedToCapacityRatio: a mapping with shape")]
pub struct RawRequestedToCapacityRatio {
    /// The points.
    #[serde(default)]
    pub shape: Option<Vec<RawShapePoint>>,
}

/// `{utilization, score}`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(expecting = "a shape point: a mapping with utilization (0-100) and score (0-10)")]
pub struct RawShapePoint {
    /// Utilization, 0..=100.
    #[serde(default)]
    pub utilization: i32,
    /// Score, 0..=10.
    #[serde(default)]
    pub score: i32,
}

/// A PodTopologySpread default constraint (a TopologySpreadConstraint).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(
    expecting = "a default constraint: a mapping with maxSkew, topologyKey and whenUnsatisfiable"
)]
pub struct RawSpreadConstraint {
    /// maxSkew.
    #[serde(default)]
    pub max_skew: i32,
    /// topologyKey.
    #[serde(default)]
    pub topology_key: String,
    /// DoNotSchedule or ScheduleAnyway.
    #[serde(default)]
    pub when_unsatisfiable: String,
    /// Forbidden in default constraints.
    #[serde(default)]
    pub label_selector: Option<Value>,
    /// Not simulated in default constraints.
    #[serde(default)]
    pub min_domains: Option<Value>,
    /// Not simulated in default constraints.
    #[serde(default)]
    pub node_affinity_policy: Option<Value>,
    /// Not simulated in default constraints.
    #[serde(default)]
    pub node_taints_policy: Option<Value>,
    /// Not simulated in default constraints.
    #[serde(default)]
    pub match_label_keys: Option<Value>,
}

// ---------------------------------------------------------------------------
// Problems.

/// One refusal: the field path inside the document and kube-scheduler's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Path from the document root (`profiles[0].plugins.score.enabled[1].name`).
    pub path: String,
    /// The message, which itself begins with the field path where
    /// kube-scheduler's does.
    pub text: String,
}

impl Problem {
    fn new(path: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            text: text.into(),
        }
    }

    /// `<path>: Invalid value: <v>: <msg>`.
    fn invalid(path: &str, value: impl fmt::Display, msg: &str) -> Self {
        Self::new(path, format!("{path}: Invalid value: {value}: {msg}"))
    }

    /// kubesim does not model this field.
    fn not_simulated(path: &str, what: &str) -> Self {
        Self::new(
            path,
            format!("{path}: {what} is not simulated by kubesim; remove it (kubesim refuses it rather than ignore it, since it would change where pods go)"),
        )
    }
}

// ---------------------------------------------------------------------------
// Extension points.

/// The framework's extension points, in the order NewFramework visits them
/// (getExtensionPoints).
type Point = ExtensionPoint;

const POINTS: [Point; 12] = [
    Point::PreFilter,
    Point::Filter,
    Point::PostFilter,
    Point::Reserve,
    Point::PreScore,
    Point::Score,
    Point::PreBind,
    Point::Bind,
    Point::PostBind,
    Point::Permit,
    Point::PreEnqueue,
    Point::QueueSort,
];

/// Stages checked for removed plugins (validation.go), in its order.
const VALIDATED_STAGES: [Point; 12] = [
    Point::PreEnqueue,
    Point::QueueSort,
    Point::PreFilter,
    Point::Filter,
    Point::PostFilter,
    Point::PreScore,
    Point::Score,
    Point::Reserve,
    Point::Permit,
    Point::PreBind,
    Point::Bind,
    Point::PostBind,
];

/// In-tree plugins removed from v1 (validation.go invalidPluginsByVersion).
const REMOVED_PLUGINS: [&str; 4] = [
    "AzureDiskLimits",
    "CinderLimits",
    "EBSLimits",
    "GCEPDLimits",
];

/// The position of a point in [`POINTS`] (and in the per-point lists).
fn index(point: Point) -> usize {
    POINTS.iter().position(|p| *p == point).unwrap_or(0)
}

/// The plugin set written for a point.
fn raw_set(plugins: &RawPlugins, point: Point) -> Option<&RawPluginSet> {
    match point {
        Point::PreFilter => plugins.pre_filter.as_ref(),
        Point::Filter => plugins.filter.as_ref(),
        Point::PostFilter => plugins.post_filter.as_ref(),
        Point::Reserve => plugins.reserve.as_ref(),
        Point::PreScore => plugins.pre_score.as_ref(),
        Point::Score => plugins.score.as_ref(),
        Point::PreBind => plugins.pre_bind.as_ref(),
        Point::Bind => plugins.bind.as_ref(),
        Point::PostBind => plugins.post_bind.as_ref(),
        Point::Permit => plugins.permit.as_ref(),
        Point::PreEnqueue => plugins.pre_enqueue.as_ref(),
        Point::QueueSort => plugins.queue_sort.as_ref(),
    }
}

/// A plugin entry after merging, with where it was written (None: a default).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    name: String,
    weight: i32,
    origin: Option<String>,
}

/// A plugin set after merging.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Set {
    enabled: Vec<Entry>,
    disabled: Vec<String>,
}

impl Set {
    fn from_raw(raw: Option<&RawPluginSet>, at: &str) -> Self {
        let Some(raw) = raw else {
            return Self::default();
        };
        Self {
            enabled: raw
                .enabled
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, p)| Entry {
                    name: p.name.clone(),
                    weight: p.weight.unwrap_or(0),
                    origin: Some(format!("{at}.enabled[{i}]")),
                })
                .collect(),
            disabled: raw
                .disabled
                .iter()
                .flatten()
                .map(|p| p.name.clone())
                .collect(),
        }
    }

    fn has_disabled(&self, name: &str) -> bool {
        self.disabled.iter().any(|d| d == name)
    }
}

/// mergePluginSet (defaults.go): defaults kept in order unless disabled (or
/// `*`); a re-enabled default is replaced in place by the user's entry
/// (taking its weight); the user's other entries are appended.
fn merge_plugin_set(default: &[Entry], custom: Set) -> Set {
    let all_disabled = custom.has_disabled("*");
    let mut replaced = BTreeSet::new();
    let mut enabled = Vec::new();
    if !all_disabled {
        for d in default {
            if custom.has_disabled(&d.name) {
                continue;
            }
            // The last custom entry of that name, as the Go map keeps it.
            match custom.enabled.iter().rposition(|c| c.name == d.name) {
                Some(i) => {
                    replaced.insert(i);
                    enabled.push(custom.enabled[i].clone());
                }
                None => enabled.push(d.clone()),
            }
        }
    }
    for (i, c) in custom.enabled.iter().enumerate() {
        if !replaced.contains(&i) {
            enabled.push(c.clone());
        }
    }
    Set {
        enabled,
        disabled: custom.disabled,
    }
}

fn default_multipoint() -> Vec<Entry> {
    DEFAULT_PLUGINS
        .iter()
        .map(|&(name, weight)| Entry {
            name: name.to_owned(),
            weight: i32::try_from(weight).unwrap_or(0),
            origin: None,
        })
        .collect()
}

/// A profile's plugins after defaulting: MultiPoint merged with the
/// defaults, each point as the user wrote it.
struct MergedPlugins {
    multi_point: Set,
    points: Vec<Set>,
}

fn merge_plugins(raw: Option<&RawPlugins>, at: &str) -> MergedPlugins {
    let empty = RawPlugins::default();
    let raw = raw.unwrap_or(&empty);
    let multi_point = merge_plugin_set(
        &default_multipoint(),
        Set::from_raw(raw.multi_point.as_ref(), &format!("{at}.multiPoint")),
    );
    let points = POINTS
        .iter()
        .map(|p| {
            merge_plugin_set(
                &[],
                Set::from_raw(raw_set(raw, *p), &format!("{at}.{}", p.config_key())),
            )
        })
        .collect();
    MergedPlugins {
        multi_point,
        points,
    }
}

/// The plugin lists of one profile, as NewFramework builds them: first each
/// point's explicit list (updatePluginList), then MultiPoint expansion
/// (expandMultiPointPlugins). Returns the lists and the first framework
/// error, if any (unknown plugins are then left out of the lists).
fn expand(m: &MergedPlugins) -> (Vec<Vec<Entry>>, Option<Problem>) {
    let mut first_err: Option<Problem> = None;
    let mut fail = |p: Problem| {
        if first_err.is_none() {
            first_err = Some(p);
        }
    };
    let origin = |e: &Entry| {
        e.origin
            .clone()
            .map(|o| format!("{o}.name"))
            .unwrap_or_default()
    };
    let mut explicit: Vec<Vec<Entry>> = Vec::new();
    for point in POINTS {
        let set = &m.points[index(point)];
        let mut list: Vec<Entry> = Vec::new();
        for e in &set.enabled {
            if !is_known_plugin(&e.name) {
                fail(Problem::new(
                    origin(e),
                    format!("{} {:?} does not exist", point.interface_name(), e.name),
                ));
            } else if !implements(&e.name, point) {
                fail(Problem::new(
                    origin(e),
                    format!(
                        "plugin {:?} does not extend {} plugin",
                        e.name,
                        point.interface_name()
                    ),
                ));
            } else if list.iter().any(|l| l.name == e.name) {
                fail(Problem::new(
                    origin(e),
                    format!(
                        "plugin {:?} already registered as {:?}",
                        e.name,
                        point.interface_name()
                    ),
                ));
            } else {
                list.push(e.clone());
            }
        }
        explicit.push(list);
    }
    let mut lists = Vec::new();
    for point in POINTS {
        let set = &m.points[index(point)];
        let explicit_list = &explicit[index(point)];
        if set.has_disabled("*") {
            lists.push(explicit_list.clone());
            continue;
        }
        let mut multi: Vec<Entry> = Vec::new();
        let mut overrides: Vec<String> = Vec::new();
        for e in &m.multi_point.enabled {
            if !is_known_plugin(&e.name) {
                fail(Problem::new(
                    origin(e),
                    format!("{} {:?} does not exist", point.interface_name(), e.name),
                ));
                continue;
            }
            if !implements(&e.name, point) || set.has_disabled(&e.name) {
                continue;
            }
            if set.enabled.iter().any(|x| x.name == e.name) {
                overrides.push(e.name.clone());
                continue;
            }
            if multi.iter().any(|x| x.name == e.name) {
                fail(Problem::new(
                    origin(e),
                    format!(
                        "plugin {:?} already registered as {:?}",
                        e.name,
                        point.interface_name()
                    ),
                ));
                continue;
            }
            multi.push(e.clone());
        }
        // Explicit entries that override a MultiPoint one (in explicit
        // order), then MultiPoint-only ones, then the other explicit ones.
        let mut list: Vec<Entry> = explicit_list
            .iter()
            .filter(|e| overrides.contains(&e.name))
            .cloned()
            .collect();
        list.extend(multi);
        list.extend(
            explicit_list
                .iter()
                .filter(|e| !overrides.contains(&e.name))
                .cloned(),
        );
        lists.push(list);
    }
    (lists, first_err)
}

// ---------------------------------------------------------------------------
// Plugin args.

/// Which args fields each plugin takes (its `<Name>Args` kind).
fn args_fields(plugin: &str) -> Option<&'static [&'static str]> {
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
fn present_fields(a: &RawPluginArgs) -> Vec<&'static str> {
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

fn resources(raw: &Option<Vec<RawResourceSpec>>) -> Vec<ResourceWeight> {
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

fn shape_text(shape: &[RawShapePoint]) -> String {
    let points: Vec<String> = shape
        .iter()
        .map(|p| format!("{{utilization: {}, score: {}}}", p.utilization, p.score))
        .collect();
    format!("[{}]", points.join(", "))
}

/// Applies one pluginConfig entry to the typed args. Validation errors (in
/// validation.go's words) go to `errs`; NodeResourcesFit's, which
/// kube-scheduler finds when it builds the plugin, go to `fit_errs`.
fn apply_args(
    name: &str,
    a: &RawPluginArgs,
    at: &str,
    args: &mut PluginArgs,
    errs: &mut Vec<Problem>,
    fit_errs: &mut Vec<Problem>,
) {
    match name {
        "NodeResourcesFit" => {
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
        "PodTopologySpread" => {
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
        "DefaultPreemption" => {
            if let Some(p) = a.min_candidate_nodes_percentage {
                args.min_candidate_nodes_percentage = i64::from(p);
            }
            if let Some(n) = a.min_candidate_nodes_absolute {
                args.min_candidate_nodes_absolute = i64::from(n);
            }
        }
        "VolumeBinding" => {
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
        "NodeAffinity" if a.added_affinity.is_some() => {
            errs.push(Problem::not_simulated(
                &format!("{at}.addedAffinity"),
                "NodeAffinityArgs.addedAffinity",
            ));
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Stage two: defaulting, validation, building.

/// Turns a decoded document into the typed configuration, or every reason
/// kube-scheduler would refuse it (decoding problems first and alone, then
/// all validation errors, then the first error building the profiles).
pub fn build(raw: &RawKubeSchedulerConfiguration) -> Result<SchedulerConfiguration, Vec<Problem>> {
    check_type(raw)?;
    let mut errs: Vec<Problem> = Vec::new();
    if let Some(ext) = &raw.extenders {
        if !ext.is_empty() {
            errs.push(Problem::not_simulated("extenders", "extenders"));
        }
    }
    let parallelism = raw.parallelism.unwrap_or(16);
    if parallelism <= 0 {
        errs.push(Problem::invalid(
            "parallelism",
            parallelism,
            "should be an integer value greater than zero",
        ));
    }

    // Defaulting.
    let mut raw_profiles = raw.profiles.clone().unwrap_or_default();
    if raw_profiles.is_empty() {
        raw_profiles.push(RawProfile::default());
    }
    if raw_profiles.len() == 1 && raw_profiles[0].scheduler_name.is_none() {
        raw_profiles[0].scheduler_name = Some(DEFAULT_SCHEDULER_NAME.to_owned());
    }

    let mut profiles = Vec::new();
    let mut framework_errs: Vec<Option<Problem>> = Vec::new();
    // Where each profile's pluginConfig entries are, by plugin name, and
    // where each score weight came from (to point sim-core's messages at
    // the YAML).
    let mut config_index: Vec<Vec<(String, usize)>> = Vec::new();
    let mut weight_origin: Vec<Vec<(String, String)>> = Vec::new();
    let mut queue_sorts: Vec<Set> = Vec::new();
    for (i, rp) in raw_profiles.iter().enumerate() {
        let at = format!("profiles[{i}]");
        let merged = merge_plugins(rp.plugins.as_ref(), &format!("{at}.plugins"));

        // Removed plugins named at a specific stage.
        for stage in VALIDATED_STAGES {
            for (k, e) in merged.points[index(stage)].enabled.iter().enumerate() {
                if REMOVED_PLUGINS.contains(&e.name.as_str()) {
                    errs.push(Problem::invalid(
                        &format!("{at}.plugins.{}.enabled[{k}]", stage.config_key()),
                        format!("{:?}", e.name),
                        &format!("was invalid in version \"{API_VERSION}\" (KubeSchedulerConfiguration is version \"{API_VERSION}\")"),
                    ));
                }
            }
        }

        // pluginConfig.
        let mut args = PluginArgs::default();
        let mut fit_errs = Vec::new();
        let mut seen: Vec<(String, usize)> = Vec::new();
        for (k, pc) in rp.plugin_config.iter().flatten().enumerate() {
            let cp = format!("{at}.pluginConfig[{k}]");
            if seen.iter().any(|(n, _)| *n == pc.name) {
                errs.push(Problem::new(
                    &cp,
                    format!("{cp}: Duplicate value: {:?}", pc.name),
                ));
                continue;
            }
            seen.push((pc.name.clone(), k));
            if !is_known_plugin(&pc.name) {
                let hint = closest(&pc.name, known_plugins(), 3)
                    .map(|c| format!("; did you mean {c:?}?"))
                    .unwrap_or_default();
                errs.push(Problem::new(
                    format!("{cp}.name"),
                    format!("{cp}.name: Invalid value: {:?}: not an in-tree plugin kubesim knows{hint} (kube-scheduler would silently ignore these args; kubesim refuses them)", pc.name),
                ));
                continue;
            }
            let Some(a) = &pc.args else { continue };
            let ap = format!("{cp}.args");
            let expected_kind = format!("{}Args", pc.name);
            if a.api_version.as_deref().is_some_and(|v| v != API_VERSION)
                || a.kind.as_deref().is_some_and(|k| k != expected_kind)
            {
                errs.push(Problem::new(
                    &ap,
                    format!(
                        "{ap}: Invalid value: {}/{}: has to match plugin args (expected apiVersion {API_VERSION}, kind {expected_kind})",
                        a.api_version.as_deref().unwrap_or(API_VERSION),
                        a.kind.as_deref().unwrap_or(&expected_kind)
                    ),
                ));
                continue;
            }
            let allowed = args_fields(&pc.name).unwrap_or(&[]);
            let stray: Vec<&str> = present_fields(a)
                .into_iter()
                .filter(|f| !allowed.contains(f))
                .collect();
            if let Some(first) = stray.first() {
                let what = if allowed.is_empty() {
                    format!("{} takes no args", pc.name)
                } else {
                    format!("{expected_kind} has {}", allowed.join(", "))
                };
                errs.push(Problem::new(
                    format!("{ap}.{first}"),
                    format!(
                        "{ap}: strict decoding error: unknown field {:?} ({what})",
                        stray.join("\", \"")
                    ),
                ));
                continue;
            }
            apply_args(&pc.name, a, &ap, &mut args, &mut errs, &mut fit_errs);
        }

        let (lists, mut framework_err) = expand(&merged);
        // NodeResourcesFit validates its args when it is built (only if enabled anywhere).
        let fit_enabled = merged
            .multi_point
            .enabled
            .iter()
            .chain(merged.points.iter().flat_map(|s| s.enabled.iter()))
            .any(|e| e.name == "NodeResourcesFit");
        if fit_enabled && !fit_errs.is_empty() {
            let texts: Vec<&str> = fit_errs.iter().map(|p| p.text.as_str()).collect();
            let text = if texts.len() == 1 {
                texts[0].to_owned()
            } else {
                format!("[{}]", texts.join(", "))
            };
            framework_err = Some(Problem::new(
                fit_errs[0].path.clone(),
                format!("initializing plugin \"NodeResourcesFit\": {text}"),
            ));
        }
        let names =
            |p: Point| -> Vec<String> { lists[index(p)].iter().map(|e| e.name.clone()).collect() };
        let name = rp.scheduler_name.clone().unwrap_or_default();
        if framework_err.is_none() {
            let queue_sorts = lists[index(Point::QueueSort)].len();
            if queue_sorts != 1 {
                framework_err = Some(Problem::new(
                    format!("{at}.plugins.queueSort"),
                    format!("only one queue sort plugin required for profile with scheduler name {name:?}, but got {queue_sorts}"),
                ));
            } else if lists[index(Point::Bind)].is_empty() {
                framework_err = Some(Problem::new(
                    format!("{at}.plugins.bind"),
                    format!(
                        "at least one bind plugin is needed for profile with scheduler name {name:?}"
                    ),
                ));
            }
        }
        // Score weights: score.enabled first, then MultiPoint; 0 means 1.
        let mut origins = Vec::new();
        let scores: Vec<(String, i64)> = lists[index(Point::Score)]
            .iter()
            .map(|e| {
                let source = merged.points[index(Point::Score)]
                    .enabled
                    .iter()
                    .chain(merged.multi_point.enabled.iter())
                    .find(|x| x.name == e.name);
                let w = source.map_or(0, |s| s.weight);
                if let Some(o) = source.and_then(|s| s.origin.clone()) {
                    origins.push((e.name.clone(), format!("{o}.weight")));
                }
                (e.name.clone(), if w == 0 { 1 } else { i64::from(w) })
            })
            .collect();
        weight_origin.push(origins);
        config_index.push(seen);
        queue_sorts.push(merged.points[index(Point::QueueSort)].clone());
        framework_errs.push(framework_err.map(|p| Problem {
            path: p.path,
            text: format!(
                "initializing profiles: creating profile for scheduler name {name}: {}",
                p.text
            ),
        }));
        profiles.push(Profile {
            scheduler_name: name,
            filters: names(Point::Filter),
            scores,
            post_filters: names(Point::PostFilter),
            pre_enqueue: names(Point::PreEnqueue),
            args,
            percentage_of_nodes_to_score: rp.percentage_of_nodes_to_score.map(i64::from),
        });
    }

    // validateCommonQueueSort.
    if let Some(first) = queue_sorts.first() {
        if first.enabled.len() > 1 {
            errs.push(Problem::invalid(
                "profiles[0].plugins.queueSort.Enabled",
                first.enabled.len(),
                "only one queue sort plugin can be enabled",
            ));
        }
        for (i, qs) in queue_sorts.iter().enumerate().skip(1) {
            let same = qs.disabled == first.disabled
                && qs.enabled.len() == first.enabled.len()
                && qs
                    .enabled
                    .iter()
                    .zip(&first.enabled)
                    .all(|(a, b)| a.name == b.name && a.weight == b.weight);
            if !same {
                let names: Vec<&str> = qs.enabled.iter().map(|e| e.name.as_str()).collect();
                errs.push(Problem::invalid(
                    &format!("profiles[{i}].plugins.queueSort"),
                    format!(
                        "{{enabled: [{}], disabled: [{}]}}",
                        names.join(", "),
                        qs.disabled.join(", ")
                    ),
                    "must be the same for all profiles",
                ));
            }
        }
    }

    let config = SchedulerConfiguration {
        percentage_of_nodes_to_score: i64::from(raw.percentage_of_nodes_to_score.unwrap_or(0)),
        pod_initial_backoff_seconds: raw.pod_initial_backoff_seconds.unwrap_or(1),
        pod_max_backoff_seconds: raw.pod_max_backoff_seconds.unwrap_or(10),
        profiles,
    };
    for text in config.validate() {
        let text = locate_core_message(&text, &config_index, &weight_origin);
        let path = text
            .split_once(": ")
            .map_or(String::new(), |(p, _)| p.to_owned());
        errs.push(Problem::new(path, text));
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    if let Some(p) = framework_errs.into_iter().flatten().next() {
        return Err(vec![p]);
    }
    Ok(config)
}

/// sim-core names pluginConfig entries by plugin (`pluginConfig[NodeResourcesFit]`)
/// and score weights by plugin (`plugins.score.enabled[Foo].weight`); point
/// them at the entries as written (`pluginConfig[1]`, `multiPoint.enabled[2].weight`).
fn locate_core_message(
    text: &str,
    config_index: &[Vec<(String, usize)>],
    weight_origin: &[Vec<(String, String)>],
) -> String {
    let Some((path, rest)) = text.split_once(": ") else {
        return text.to_owned();
    };
    let Some(i) = path
        .strip_prefix("profiles[")
        .and_then(|s| s.split_once(']'))
        .and_then(|(n, _)| n.parse::<usize>().ok())
    else {
        return text.to_owned();
    };
    let mut path = path.to_owned();
    for (name, k) in config_index.get(i).into_iter().flatten() {
        path = path.replace(
            &format!(".pluginConfig[{name}]."),
            &format!(".pluginConfig[{k}]."),
        );
    }
    for (name, origin) in weight_origin.get(i).into_iter().flatten() {
        if path == format!("profiles[{i}].plugins.score.enabled[{name}].weight") {
            path.clone_from(origin);
        }
    }
    format!("{path}: {rest}")
}

/// apiVersion and kind, as the decoder checks them.
fn check_type(raw: &RawKubeSchedulerConfiguration) -> Result<(), Vec<Problem>> {
    match raw.api_version.as_deref() {
        Some(API_VERSION) => {}
        None => {
            return Err(vec![Problem::new(
                "apiVersion",
                format!("apiVersion: Required value: a KubeSchedulerConfiguration needs apiVersion: {API_VERSION}"),
            )])
        }
        Some(other) => {
            let removed = match other {
                "kubescheduler.config.k8s.io/v1beta3" => " (v1beta3 was removed in Kubernetes 1.29)",
                "kubescheduler.config.k8s.io/v1beta2" => " (v1beta2 was removed in Kubernetes 1.28)",
                "kubescheduler.config.k8s.io/v1beta1" => " (v1beta1 was removed in Kubernetes 1.26)",
                _ => "",
            };
            return Err(vec![Problem::new(
                "apiVersion",
                format!("apiVersion: Unsupported value: {other:?}: no kind \"{KIND}\" is registered for version {other:?}{removed}; expected {API_VERSION}"),
            )]);
        }
    }
    match raw.kind.as_deref() {
        Some(KIND) => Ok(()),
        None => Err(vec![Problem::new(
            "kind",
            format!("kind: Required value: expected kind: {KIND}"),
        )]),
        Some(other) => Err(vec![Problem::new(
            "kind",
            format!("kind: Unsupported value: {other:?}: no kind {other:?} is registered for version \"{API_VERSION}\"; expected {KIND}"),
        )]),
    }
}

// ---------------------------------------------------------------------------
// Into the scenario.

/// Reads `cluster.scheduler` (inline, or the file it names relative to the
/// scenario) into the typed configuration; errors name the file, the YAML
/// path and line, and kube-scheduler's reason.
pub(crate) fn load(
    source: &RawSchedulerSource,
    scenario: &Path,
) -> Result<SchedulerConfiguration, ScenarioError> {
    match source {
        RawSchedulerSource::Inline(raw) => build(raw).map_err(|problems| {
            to_error(
                &problems,
                |path| Location {
                    file: scenario.to_owned(),
                    line: None, // found by scenario::parse from the path
                    column: None,
                    path: Some(if path.is_empty() {
                        "cluster.scheduler".to_owned()
                    } else {
                        format!("cluster.scheduler.{path}")
                    }),
                },
                "",
            )
        }),
        RawSchedulerSource::File(name) => {
            let base = scenario.parent().map(Path::to_path_buf).unwrap_or_default();
            let file: PathBuf = base.join(name);
            let text = std::fs::read_to_string(&file).map_err(|e| {
                let why = match e.kind() {
                    std::io::ErrorKind::NotFound => "no such file".to_owned(),
                    _ if file.is_dir() => "is a directory".to_owned(),
                    _ => e.to_string(),
                };
                ScenarioError::at(
                    scenario,
                    None,
                    "cluster.scheduler",
                    format!("cannot read {name:?} ({}): {why}; expected the path (relative to the scenario file) of a YAML file holding a KubeSchedulerConfiguration, or the configuration itself as a mapping", file.display()),
                )
            })?;
            let from = format!(
                " (the KubeSchedulerConfiguration named by cluster.scheduler in {})",
                scenario.display()
            );
            let raw: RawKubeSchedulerConfiguration = yaml::from_str(&text).map_err(|e| {
                let message = match e.kind {
                    YamlErrorKind::Syntax => format!("invalid YAML: {}", e.message),
                    YamlErrorKind::Empty => format!("the file holds no YAML document; expected a KubeSchedulerConfiguration with apiVersion: {API_VERSION}"),
                    YamlErrorKind::MultipleDocuments | YamlErrorKind::Shape => e.message,
                };
                ScenarioError::new(
                    Location {
                        file: file.clone(),
                        line: e.line,
                        column: e.column,
                        path: None,
                    },
                    format!("{message}{from}"),
                )
            })?;
            build(&raw).map_err(|problems| {
                to_error(
                    &problems,
                    |path| Location {
                        file: file.clone(),
                        line: if path.is_empty() {
                            None
                        } else {
                            crate::scenario::line_of(&text, path)
                        },
                        column: None,
                        path: (!path.is_empty()).then(|| path.to_owned()),
                    },
                    &from,
                )
            })
        }
    }
}

fn to_error(
    problems: &[Problem],
    location: impl Fn(&str) -> Location,
    suffix: &str,
) -> ScenarioError {
    let first = &problems[0];
    let message = if problems.len() == 1 {
        format!("invalid KubeSchedulerConfiguration: {}", first.text)
    } else {
        let all: Vec<&str> = problems.iter().map(|p| p.text.as_str()).collect();
        format!(
            "invalid KubeSchedulerConfiguration ({} errors): {}",
            problems.len(),
            all.join("; ")
        )
    };
    ScenarioError::new(location(&first.path), format!("{message}{suffix}"))
}
