//! Stage two of a KubeSchedulerConfiguration: apiVersion and kind, v1
//! defaulting, validation (every error, in kube-scheduler's words) and
//! building the profiles (the first framework error).

use sim_core::components::scheduler::DEFAULT_SCHEDULER_NAME;
use sim_core::config::scheduler::{
    is_known_plugin, known_plugins, PluginArgs, Profile, SchedulerConfiguration,
};

use super::args::{apply_args, args_fields, present_fields};
use super::plugins::{
    expand, index, merge_plugins, Entry, MergedPlugins, Point, Set, REMOVED_PLUGINS,
    VALIDATED_STAGES,
};
use super::problem::Problem;
use crate::raw::scheduler::{
    RawKubeSchedulerConfiguration, RawPluginArgs, RawProfile, API_VERSION, KIND,
};
use crate::suggest::closest;

/// Turns a decoded document into the typed configuration, or every reason
/// kube-scheduler would refuse it (decoding problems first and alone, then
/// all validation errors, then the first error building the profiles).
pub(crate) fn build(
    raw: &RawKubeSchedulerConfiguration,
) -> Result<SchedulerConfiguration, Vec<Problem>> {
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
    let built: Vec<BuiltProfile> = raw_profiles
        .iter()
        .enumerate()
        .map(|(i, rp)| build_profile(i, rp, &mut errs))
        .collect();
    let queue_sorts: Vec<&Set> = built.iter().map(|b| &b.queue_sort).collect();
    common_queue_sort(&queue_sorts, &mut errs);
    let config_index: Vec<Vec<(String, usize)>> =
        built.iter().map(|b| b.config_index.clone()).collect();
    let weight_origin: Vec<Vec<(String, String)>> =
        built.iter().map(|b| b.weight_origin.clone()).collect();
    let mut framework_errs = Vec::new();
    let mut profiles = Vec::new();
    for b in built {
        framework_errs.push(b.framework_err);
        profiles.push(b.profile);
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

/// One profile as NewFramework builds it, with where its entries were
/// written (to point sim-core's messages at the YAML).
struct BuiltProfile {
    profile: Profile,
    /// The first error building it (reported when nothing else is wrong).
    framework_err: Option<Problem>,
    /// Its pluginConfig entries: plugin name and index.
    config_index: Vec<(String, usize)>,
    /// Where each score weight came from: plugin name and YAML path.
    weight_origin: WeightOrigins,
    /// Its queueSort set as written (the same for all profiles).
    queue_sort: Set,
}

/// Defaults, validates and builds profile `i`; validation errors go to `errs`.
fn build_profile(i: usize, rp: &RawProfile, errs: &mut Vec<Problem>) -> BuiltProfile {
    let at = format!("profiles[{i}]");
    let merged = merge_plugins(rp.plugins.as_ref(), &format!("{at}.plugins"));
    removed_plugins(&at, &merged, errs);
    let (args, fit_errs, config_index) = plugin_config(&at, rp, errs);
    let (lists, framework_err) = expand(&merged);
    let name = rp.scheduler_name.clone().unwrap_or_default();
    let framework_err = framework_error(&at, &name, &merged, &lists, &fit_errs, framework_err);
    let names =
        |p: Point| -> Vec<String> { lists[index(p)].iter().map(|e| e.name.clone()).collect() };
    let (scores, weight_origin) = score_weights(&merged, &lists);
    BuiltProfile {
        framework_err: framework_err.map(|p| Problem {
            path: p.path,
            text: format!(
                "initializing profiles: creating profile for scheduler name {name}: {}",
                p.text
            ),
        }),
        config_index,
        weight_origin,
        queue_sort: merged.points[index(Point::QueueSort)].clone(),
        profile: Profile {
            filters: names(Point::Filter),
            scores,
            post_filters: names(Point::PostFilter),
            pre_enqueue: names(Point::PreEnqueue),
            args,
            percentage_of_nodes_to_score: rp.percentage_of_nodes_to_score.map(i64::from),
            scheduler_name: name,
        },
    }
}

/// Removed plugins named at a specific stage (validation.go).
fn removed_plugins(at: &str, merged: &MergedPlugins, errs: &mut Vec<Problem>) {
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
}

/// A profile's pluginConfig: the typed args, NodeResourcesFit's own errors
/// (found when the plugin is built) and each entry's plugin and index.
fn plugin_config(
    at: &str,
    rp: &RawProfile,
    errs: &mut Vec<Problem>,
) -> (PluginArgs, Vec<Problem>, Vec<(String, usize)>) {
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
        if let Some(p) = args_type_problem(&pc.name, a, &ap) {
            errs.push(p);
            continue;
        }
        apply_args(&pc.name, a, &ap, &mut args, errs, &mut fit_errs);
    }
    (args, fit_errs, seen)
}

/// An args document of the wrong apiVersion or kind, or with fields its
/// plugin's `<Plugin>Args` does not have.
fn args_type_problem(plugin: &str, a: &RawPluginArgs, ap: &str) -> Option<Problem> {
    let expected_kind = format!("{plugin}Args");
    if a.api_version.as_deref().is_some_and(|v| v != API_VERSION)
        || a.kind.as_deref().is_some_and(|k| k != expected_kind)
    {
        return Some(Problem::new(
            ap,
            format!(
                "{ap}: Invalid value: {}/{}: has to match plugin args (expected apiVersion {API_VERSION}, kind {expected_kind})",
                a.api_version.as_deref().unwrap_or(API_VERSION),
                a.kind.as_deref().unwrap_or(&expected_kind)
            ),
        ));
    }
    let allowed = args_fields(plugin).unwrap_or(&[]);
    let stray: Vec<&str> = present_fields(a)
        .into_iter()
        .filter(|f| !allowed.contains(f))
        .collect();
    let first = stray.first()?;
    let what = if allowed.is_empty() {
        format!("{plugin} takes no args")
    } else {
        format!("{expected_kind} has {}", allowed.join(", "))
    };
    Some(Problem::new(
        format!("{ap}.{first}"),
        format!(
            "{ap}: strict decoding error: unknown field {:?} ({what})",
            stray.join("\", \"")
        ),
    ))
}

/// The first error NewFramework meets: expansion's, then NodeResourcesFit's
/// args (only if the plugin is enabled anywhere), then the queue sort and
/// bind plugin counts.
fn framework_error(
    at: &str,
    name: &str,
    merged: &MergedPlugins,
    lists: &[Vec<Entry>],
    fit_errs: &[Problem],
    expansion: Option<Problem>,
) -> Option<Problem> {
    let fit_enabled = merged
        .multi_point
        .enabled
        .iter()
        .chain(merged.points.iter().flat_map(|s| s.enabled.iter()))
        .any(|e| e.name == "NodeResourcesFit");
    let mut framework_err = expansion;
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
    if framework_err.is_some() {
        return framework_err;
    }
    let queue_sorts = lists[index(Point::QueueSort)].len();
    if queue_sorts != 1 {
        return Some(Problem::new(
            format!("{at}.plugins.queueSort"),
            format!("only one queue sort plugin required for profile with scheduler name {name:?}, but got {queue_sorts}"),
        ));
    }
    if lists[index(Point::Bind)].is_empty() {
        return Some(Problem::new(
            format!("{at}.plugins.bind"),
            format!("at least one bind plugin is needed for profile with scheduler name {name:?}"),
        ));
    }
    None
}

/// Each score plugin with its weight, in order.
type ScoreWeights = Vec<(String, i64)>;
/// Each score plugin with the YAML path of its weight.
type WeightOrigins = Vec<(String, String)>;

/// Score weights: score.enabled first, then MultiPoint; 0 means 1. With
/// where each weight was written.
fn score_weights(merged: &MergedPlugins, lists: &[Vec<Entry>]) -> (ScoreWeights, WeightOrigins) {
    let mut origins = Vec::new();
    let scores = lists[index(Point::Score)]
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
    (scores, origins)
}

/// validateCommonQueueSort: one queue sort plugin, the same in every profile.
fn common_queue_sort(queue_sorts: &[&Set], errs: &mut Vec<Problem>) {
    let Some(first) = queue_sorts.first() else {
        return;
    };
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
