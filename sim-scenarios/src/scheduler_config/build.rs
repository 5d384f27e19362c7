//! Stage two of a KubeSchedulerConfiguration: apiVersion and kind, v1
//! defaulting, validation (every error, in kube-scheduler's words) and
//! building the profiles (the first framework error).

use sim_core::components::scheduler::profile::{
    is_known_plugin, known_plugins, PluginArgs, Profile, SchedulerConfiguration,
};
use sim_core::components::scheduler::DEFAULT_SCHEDULER_NAME;

use super::args::{apply_args, args_fields, present_fields};
use super::plugins::{expand, index, merge_plugins, Point, Set, REMOVED_PLUGINS, VALIDATED_STAGES};
use super::problem::Problem;
use crate::raw::scheduler::{RawKubeSchedulerConfiguration, RawProfile, API_VERSION, KIND};
use crate::suggest::closest;

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
