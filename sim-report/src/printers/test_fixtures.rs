//! Objects and clock helpers shared by the printers' unit tests.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Container;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;

/// The tests' "now", in seconds since the epoch.
pub(super) const NOW: i64 = 1_750_000_000;

/// [`NOW`] as a timestamp.
pub(super) fn now() -> Timestamp {
    Timestamp::from_second(NOW).unwrap()
}

/// The time `secs` seconds before [`NOW`].
pub(super) fn ago(secs: i64) -> Time {
    Time(Timestamp::from_second(NOW - secs).unwrap())
}

/// Metadata with a name, an optional namespace and an age.
pub(super) fn meta(ns: Option<&str>, name: &str, age_secs: i64) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: ns.map(str::to_string),
        creation_timestamp: Some(ago(age_secs)),
        ..Default::default()
    }
}

/// A label (or annotation) map from pairs.
pub(super) fn labels(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// A container with a name and an image.
pub(super) fn container(name: &str, image: &str) -> Container {
    Container {
        name: name.to_string(),
        image: Some(image.to_string()),
        ..Default::default()
    }
}
