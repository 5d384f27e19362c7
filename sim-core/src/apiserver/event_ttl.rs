//! Events expire (kube-apiserver `--event-ttl`, 1 h by default): each Event
//! is stored under an etcd lease of that length, renewed by every write of
//! it, and etcd deletes it when the lease runs out. etcd revokes expired
//! leases in passes every 500 ms (the lessor's run loop), so an Event goes
//! at the first pass after its lease ends.
//!
//! This is what keeps a long run's store from growing with its history:
//! a cluster keeps the Events of the last hour, as a real one does.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;

use crate::api::{Kind, ObjectKey};
use crate::etcd::{Change, ChangeType};
use crate::time::{SimDuration, SimTime};

/// How often etcd's lessor revokes expired leases.
const REVOKE_PASS: SimDuration = SimDuration::from_millis(500);

/// When etcd revokes a lease that ends at `end`: at its lessor's first pass
/// from then on.
pub(crate) fn revoked_at(end: SimTime) -> SimTime {
    let pass = REVOKE_PASS.as_nanos();
    SimTime::from_nanos(end.as_nanos().div_ceil(pass).saturating_mul(pass))
}

/// The leases of the stored Events.
#[derive(Debug)]
pub struct EventLeases {
    ttl: SimDuration,
    /// When each Event's lease ends (looked up, never iterated: the order
    /// is `by_end`'s).
    ends: FxHashMap<ObjectKey, SimTime>,
    /// The same, by end time.
    by_end: BTreeSet<(SimTime, ObjectKey)>,
}

impl EventLeases {
    /// Leases of `ttl` (zero: Events never expire).
    pub fn new(ttl: SimDuration) -> Self {
        Self {
            ttl,
            ends: FxHashMap::default(),
            by_end: BTreeSet::new(),
        }
    }

    /// Takes note of the store changes of one request made at `now`: an
    /// Event written gets (or renews) its lease, one deleted loses it.
    pub fn observe(&mut self, now: SimTime, changes: &[Change]) {
        if self.ttl.is_zero() {
            return;
        }
        for change in changes.iter().filter(|c| c.object.kind() == Kind::Event) {
            let key = ObjectKey::of(&change.object);
            if let Some(end) = self.ends.remove(&key) {
                self.by_end.remove(&(end, key.clone()));
            }
            if change.change != ChangeType::Deleted {
                let end = now + self.ttl;
                self.ends.insert(key.clone(), end);
                self.by_end.insert((end, key));
            }
        }
    }

    /// When the next revoke pass that has a lease to revoke runs.
    pub fn next_pass(&self) -> Option<SimTime> {
        let (end, _) = self.by_end.first()?;
        Some(revoked_at(*end))
    }

    /// The Events whose lease has ended by `now`, forgotten here; the
    /// caller deletes them.
    pub fn expired(&mut self, now: SimTime) -> Vec<ObjectKey> {
        let mut out = Vec::new();
        while let Some((end, _)) = self.by_end.first() {
            if *end > now {
                break;
            }
            let (_, key) = self.by_end.pop_first().expect("checked above");
            self.ends.remove(&key);
            out.push(key);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::api::Object;

    fn change(name: &str, change: ChangeType) -> Change {
        let event = k8s_openapi::api::core::v1::Event {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        Change {
            change,
            object: Arc::new(Object::from(event)),
            revision: 1,
            prev: None,
        }
    }

    fn secs(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    #[test]
    fn a_write_renews_the_lease_and_a_delete_ends_it() {
        let mut l = EventLeases::new(SimDuration::from_secs(3600));
        l.observe(secs(10), &[change("a", ChangeType::Added)]);
        l.observe(secs(20), &[change("b", ChangeType::Added)]);
        l.observe(secs(30), &[change("a", ChangeType::Modified)]);
        assert_eq!(l.next_pass(), Some(secs(3620)));
        assert!(l.expired(secs(3619)).is_empty());
        let gone: Vec<String> = l.expired(secs(3630)).into_iter().map(|k| k.name).collect();
        assert_eq!(gone, ["b", "a"]);
        assert_eq!(l.next_pass(), None);
        l.observe(secs(40), &[change("c", ChangeType::Added)]);
        l.observe(secs(41), &[change("c", ChangeType::Deleted)]);
        assert_eq!(l.next_pass(), None);
    }

    #[test]
    fn passes_run_every_half_second() {
        let mut l = EventLeases::new(SimDuration::from_secs(60));
        l.observe(SimTime::from_nanos(1), &[change("a", ChangeType::Added)]);
        assert_eq!(
            l.next_pass(),
            Some(secs(60) + SimDuration::from_millis(500))
        );
    }

    #[test]
    fn a_zero_ttl_keeps_events() {
        let mut l = EventLeases::new(SimDuration::ZERO);
        l.observe(secs(1), &[change("a", ChangeType::Added)]);
        assert_eq!(l.next_pass(), None);
    }
}
