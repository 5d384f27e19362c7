//! `cluster.scheduler` as written: the path of a file holding a
//! KubeSchedulerConfiguration, or the document itself
//! (`kubescheduler.config.k8s.io/v1`, the fields kubesim reads). Every
//! struct refuses unknown keys, so serde_yaml reports a misspelt field with
//! its path and line; [`crate::scheduler_config`] defaults, validates and
//! builds it.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// The one apiVersion kube-scheduler v1.33 reads.
pub(crate) const API_VERSION: &str = "kubescheduler.config.k8s.io/v1";
/// The kind of the document.
pub(crate) const KIND: &str = "KubeSchedulerConfiguration";

/// `cluster.scheduler` as written: a path to a YAML file holding a
/// KubeSchedulerConfiguration (relative to the scenario file), or the
/// document itself.
#[derive(Clone, Debug)]
pub(crate) enum RawSchedulerSource {
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
pub(crate) struct RawKubeSchedulerConfiguration {
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
    #[allow(
        dead_code,
        reason = "decoded so that strict decoding accepts it; kubesim ignores it"
    )]
    pub leader_election: Option<Value>,
    /// Accepted, ignored.
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "decoded so that strict decoding accepts it; kubesim ignores it"
    )]
    pub client_connection: Option<Value>,
    /// Accepted, ignored.
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "decoded so that strict decoding accepts it; kubesim ignores it"
    )]
    pub enable_profiling: Option<bool>,
    /// Accepted, ignored.
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "decoded so that strict decoding accepts it; kubesim ignores it"
    )]
    pub enable_contention_profiling: Option<bool>,
    /// Accepted, ignored.
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "decoded so that strict decoding accepts it; kubesim ignores it"
    )]
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
pub(crate) struct RawProfile {
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
pub(crate) struct RawPlugins {
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
pub(crate) struct RawPluginSet {
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
pub(crate) struct RawPlugin {
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
pub(crate) struct RawPluginConfig {
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
pub(crate) struct RawPluginArgs {
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
pub(crate) struct RawScoringStrategy {
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
pub(crate) struct RawResourceSpec {
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
pub(crate) struct RawRequestedToCapacityRatio {
    /// The points.
    #[serde(default)]
    pub shape: Option<Vec<RawShapePoint>>,
}

/// `{utilization, score}`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[serde(expecting = "a shape point: a mapping with utilization (0-100) and score (0-10)")]
pub(crate) struct RawShapePoint {
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
pub(crate) struct RawSpreadConstraint {
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
