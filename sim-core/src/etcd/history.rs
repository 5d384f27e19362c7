//! The history of changes the API server can still serve: what a watch
//! from a revision, or a list at one, is answered from.
//!
//! A real API server serves watches from its watch cache
//! (staging/src/k8s.io/apiserver/pkg/storage/cacher/watch_cache.go), one
//! per resource, a window of recent events: it keeps at least
//! `eventFreshDuration` (75 s) of them, between `DefaultLowerBoundCapacity`
//! (100) and `DefaultUpperBoundCapacity` (102,400) events, and answers a
//! watch from a revision older than its oldest event with 410 Gone ("too old
//! resource version"). This window is modelled per kind: a change leaves
//! it once the kind has more than [`MIN_EVENTS`] younger changes and it is
//! older than [`EVENT_FRESH`], or once the kind has more than
//! [`MAX_EVENTS`]. etcd's compaction (every `etcdCompactionInterval`, 5
//! minutes) also ends it. So history costs what the last 75 s of changes
//! cost, not every version of every object for five minutes.

use std::collections::{BTreeMap, VecDeque};

use super::Change;
use crate::api::Kind;
use crate::time::{SimDuration, SimTime};

/// `eventFreshDuration`: how long the watch cache keeps an event at least
/// (`DefaultEventFreshDuration`, 75 s: a minute of bookmark interval plus
/// 15 s).
pub const EVENT_FRESH: SimDuration = SimDuration::from_secs(75);

/// `DefaultLowerBoundCapacity`: the events of a resource kept whatever their age.
pub const MIN_EVENTS: usize = 100;

/// `DefaultUpperBoundCapacity`: the most events of a resource kept.
pub const MAX_EVENTS: usize = 100 * 1024;

/// The changes of one kind, oldest first, with the time of each.
#[derive(Debug, Default)]
struct KindHistory {
    changes: VecDeque<(SimTime, Change)>,
    /// The revision of the newest change that left the window (0: none):
    /// a watch from an older revision would miss it.
    left_through: u64,
}

/// The window of changes of every kind.
#[derive(Debug, Default)]
pub(super) struct History {
    kinds: BTreeMap<Kind, KindHistory>,
    /// The revision etcd compacted through.
    compacted: u64,
}

impl History {
    /// Records a change made at `now`, and lets out of the window what it
    /// no longer holds.
    pub(super) fn push(&mut self, now: SimTime, change: Change) {
        let h = self.kinds.entry(change.object.kind()).or_default();
        debug_assert!(h
            .changes
            .back()
            .is_none_or(|(t, c)| *t <= now && c.revision < change.revision));
        h.changes.push_back((now, change));
        while let Some((at, c)) = h.changes.front() {
            let len = h.changes.len();
            let stale = len > MIN_EVENTS && now.saturating_since(*at) > EVENT_FRESH;
            if !(stale || len > MAX_EVENTS) {
                break;
            }
            h.left_through = c.revision;
            h.changes.pop_front();
        }
    }

    /// etcd's compaction through `revision`.
    pub(super) fn compact(&mut self, revision: u64) {
        for h in self.kinds.values_mut() {
            while h
                .changes
                .front()
                .is_some_and(|(_, c)| c.revision <= revision)
            {
                h.changes.pop_front();
            }
        }
        self.compacted = self.compacted.max(revision);
    }

    /// The revision etcd compacted through.
    pub(super) fn compacted(&self) -> u64 {
        self.compacted
    }

    /// The oldest revision a watch of `kind` can start from: once changes
    /// have left the window, the revision before the oldest one held (the
    /// watch cache's `oldest - 1`), else the compacted revision.
    pub(super) fn oldest_servable(&self, kind: Kind) -> u64 {
        let window = self.kinds.get(&kind).map_or(0, |h| {
            if h.left_through == 0 {
                0
            } else {
                h.changes
                    .front()
                    .map_or(h.left_through, |(_, c)| c.revision - 1)
            }
        });
        self.compacted.max(window)
    }

    /// The changes of `kind` after `revision`, oldest first (the caller
    /// checked `revision` against [`History::oldest_servable`]).
    pub(super) fn after(
        &self,
        kind: Kind,
        revision: u64,
    ) -> impl DoubleEndedIterator<Item = &Change> {
        let changes = self.kinds.get(&kind).map(|h| &h.changes);
        let start = changes.map_or(0, |c| c.partition_point(|(_, c)| c.revision <= revision));
        changes
            .into_iter()
            .flat_map(move |c| c.range(start..))
            .map(|(_, c)| c)
    }

    /// How many changes are held.
    pub(super) fn len(&self) -> usize {
        self.kinds.values().map(|h| h.changes.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::super::Etcd;
    use super::*;
    use crate::api::{Object, Reason};
    use k8s_openapi::api::core::v1::ConfigMap;

    fn cm(name: &str) -> Object {
        Object::from(ConfigMap {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            ..Default::default()
        })
    }

    fn at(secs: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(secs)
    }

    #[test]
    fn the_window_keeps_75_seconds_and_at_least_100_changes_per_kind() {
        let mut e = Etcd::new();
        // 150 changes at t=0, one more at t=50: all held.
        for i in 0..150 {
            e.create(cm(&format!("a{i}"))).unwrap();
        }
        e.set_clock(at(50));
        e.create(cm("b")).unwrap();
        assert_eq!(e.history_len(), 151);
        assert_eq!(e.oldest_servable_revision(Kind::ConfigMap), 0);
        // At t=76 the changes of t=0 are stale: they leave, down to 100.
        e.set_clock(at(76));
        e.create(cm("c")).unwrap();
        assert_eq!(e.history_len(), 100);
        let oldest = e.oldest_servable_revision(Kind::ConfigMap);
        assert_eq!(oldest, 152 - 100, "the revision before the oldest held");
        assert_eq!(e.changes_since(Kind::ConfigMap, oldest).unwrap().len(), 100);
        let err = e.changes_since(Kind::ConfigMap, oldest - 1).unwrap_err();
        assert_eq!(err.reason, Reason::Expired);
        assert_eq!(
            err.message,
            format!("too old resource version: {} ({oldest})", oldest - 1)
        );
        assert!(e.list_at(Kind::ConfigMap, None, oldest - 1).is_err());
        assert_eq!(e.list_at(Kind::ConfigMap, None, oldest).unwrap().len(), 52);
        // Another kind's window is its own.
        assert_eq!(e.oldest_servable_revision(Kind::Secret), 0);
    }

    #[test]
    fn the_window_holds_at_most_102400_changes_of_a_kind() {
        let mut h = History::default();
        let mut e = Etcd::new();
        for i in 0..(MAX_EVENTS + 5) {
            let c = e.create(cm(&format!("x{i}"))).unwrap();
            h.push(SimTime::ZERO, c);
        }
        assert_eq!(h.len(), MAX_EVENTS);
        assert_eq!(h.oldest_servable(Kind::ConfigMap), 5);
        assert_eq!(h.after(Kind::ConfigMap, 5).count(), MAX_EVENTS);
    }
}
