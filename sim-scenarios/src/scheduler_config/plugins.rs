//! Plugin sets: the extension points, kube-scheduler's v1 defaulting of a
//! profile's plugins (mergePluginSet with the default MultiPoint set) and
//! NewFramework's per-point lists (explicit entries, then MultiPoint
//! expansion).

use std::collections::BTreeSet;

use sim_core::config::scheduler::{implements, is_known_plugin, ExtensionPoint, DEFAULT_PLUGINS};

use super::problem::Problem;
use crate::raw::scheduler::{RawPluginSet, RawPlugins};

/// The framework's extension points, in the order NewFramework visits them
/// (getExtensionPoints).
pub(super) type Point = ExtensionPoint;

pub(super) const POINTS: [Point; 12] = [
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
pub(super) const VALIDATED_STAGES: [Point; 12] = [
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
pub(super) const REMOVED_PLUGINS: [&str; 4] = [
    "AzureDiskLimits",
    "CinderLimits",
    "EBSLimits",
    "GCEPDLimits",
];

/// The position of a point in [`POINTS`] (and in the per-point lists).
pub(super) fn index(point: Point) -> usize {
    POINTS.iter().position(|p| *p == point).unwrap_or(0)
}

/// The plugin set written for a point.
pub(super) fn raw_set(plugins: &RawPlugins, point: Point) -> Option<&RawPluginSet> {
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
pub(super) struct Entry {
    /// The plugin's name.
    pub(super) name: String,
    /// Its weight as written (0: none written).
    pub(super) weight: i32,
    /// Its YAML path (`profiles[0].plugins.score.enabled[1]`); None: a default.
    pub(super) origin: Option<String>,
}

/// A plugin set after merging.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Set {
    /// Enabled plugins, in order.
    pub(super) enabled: Vec<Entry>,
    /// Names of disabled plugins (`*`: all).
    pub(super) disabled: Vec<String>,
}

impl Set {
    pub(super) fn from_raw(raw: Option<&RawPluginSet>, at: &str) -> Self {
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

    pub(super) fn has_disabled(&self, name: &str) -> bool {
        self.disabled.iter().any(|d| d == name)
    }
}

/// mergePluginSet (defaults.go): defaults kept in order unless disabled (or
/// `*`); a re-enabled default is replaced in place by the user's entry
/// (taking its weight); the user's other entries are appended.
pub(super) fn merge_plugin_set(default: &[Entry], custom: Set) -> Set {
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

pub(super) fn default_multipoint() -> Vec<Entry> {
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
pub(super) struct MergedPlugins {
    /// MultiPoint merged with the defaults.
    pub(super) multi_point: Set,
    /// Each point's set as written, in [`POINTS`] order.
    pub(super) points: Vec<Set>,
}

pub(super) fn merge_plugins(raw: Option<&RawPlugins>, at: &str) -> MergedPlugins {
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
pub(super) fn expand(m: &MergedPlugins) -> (Vec<Vec<Entry>>, Option<Problem>) {
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
