//! The Events table at the end of `kubectl describe` (`DescribeEvents` in
//! `k8s.io/kubectl/pkg/describe/describe.go`), in kubectl's order
//! (`k8s.io/kubectl/pkg/util/event/sorted_event_list.go`, sorted with Go's
//! unstable sort).

use k8s_openapi::api::core::v1::Event;
use k8s_openapi::jiff::Timestamp;

use super::go_sort::go_sort;
use super::{or_empty, PrefixWriter, LEVEL_0, LEVEL_1};
use crate::age::{age, age_micro};

/// `DescribeEvents`: the events in apiserver list order (by name) sorted
/// like kubectl (Go's unstable sort by `lastTimestamp`), with the Age column
/// `5m`, or `2m (x3 over 5m)` for repeated events.
pub(super) fn describe_events(w: &mut PrefixWriter, events: &[&Event], now: Timestamp) {
    if events.is_empty() {
        w.write(LEVEL_0, "Events:\t<none>\n");
        return;
    }
    let mut events: Vec<&Event> = events.to_vec();
    go_sort(&mut events, &|a: &&Event, b: &&Event| {
        a.last_timestamp.as_ref().map(|t| t.0) < b.last_timestamp.as_ref().map(|t| t.0)
    });
    w.write(LEVEL_0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
    w.write(LEVEL_1, "----\t------\t----\t----\t-------\n");
    for e in events {
        let first = match &e.event_time {
            Some(t) => age_micro(Some(t), now),
            None => age(e.first_timestamp.as_ref(), now),
        };
        let count = e.count.unwrap_or(0);
        let interval = if let Some(series) = &e.series {
            format!(
                "{} (x{} over {})",
                age_micro(series.last_observed_time.as_ref(), now),
                series.count.unwrap_or(0),
                first
            )
        } else if count > 1 {
            format!(
                "{} (x{} over {})",
                age(e.last_timestamp.as_ref(), now),
                count,
                first
            )
        } else {
            first
        };
        let source = match e.source.as_ref().and_then(|s| s.component.as_deref()) {
            Some(c) if !c.is_empty() => c.to_string(),
            _ => or_empty(e.reporting_component.as_ref()).to_string(),
        };
        w.write(
            LEVEL_1,
            &format!(
                "{}\t{}\t{}\t{}\t{}\n",
                or_empty(e.type_.as_ref()),
                or_empty(e.reason.as_ref()),
                interval,
                source,
                or_empty(e.message.as_ref()).trim()
            ),
        );
    }
}

pub(super) fn by_name<'a>(events: &[&'a Event]) -> Vec<&'a Event> {
    let mut v: Vec<&Event> = events.to_vec();
    v.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    v
}
