//! The event recorder: how components write Kubernetes Events through the API.
//!
//! As client-go's recorder does, an Event is named `<object>.<unix nanos in
//! hex>`, and a repeat of the same (object and field path, type, reason,
//! message) is folded
//! into the existing Event by a patch that raises `count` and `lastTimestamp`
//! (client-go/tools/record/events_cache.go: EventCorrelator). The recorder
//! remembers the last 4,096 distinct Events (`maxLruCacheEntries`); a repeat
//! of one it has forgotten creates a new Event. A repeat of an Event the API
//! server has expired since (`--event-ttl`) creates it again under its name
//! with the count so far, as client-go does when its patch finds the Event
//! gone (`recordToSink`).

use std::hash::BuildHasher;

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use lru::LruCache;
use rustc_hash::FxBuildHasher;

use super::Ctx;
use crate::api::meta::{time, timestamp};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::event_ttl::revoked_at;
use crate::apiserver::Request;
use crate::time::SimTime;

/// client-go's `maxLruCacheEntries`.
pub(crate) const MAX_LRU_CACHE_ENTRIES: usize = 4096;

#[derive(Debug)]
struct Seen {
    event_name: String,
    namespace: String,
    count: i32,
    /// When the Event was first recorded.
    first: SimTime,
    /// When it was last written (its lease in etcd counts from then).
    last: SimTime,
}

/// The recent Events of one recorder by their key (events_cache.go:
/// getEventKey), the least recently seen forgotten first. Slots are found by
/// the key's 64-bit hash and the key is compared in full; two keys with the
/// same hash share a slot, the later one replacing the earlier, which only
/// makes a repeat of the earlier one create a new Event, as after an eviction.
/// The cache grows as Events are seen (a recorder per kubelet must not set
/// aside room for 4,096 of them up front) and forgets beyond `capacity`.
#[derive(Debug)]
struct RecentEvents {
    cache: LruCache<u64, (String, Seen), FxBuildHasher>,
    capacity: usize,
}

impl RecentEvents {
    fn new(capacity: usize) -> Self {
        Self {
            cache: LruCache::unbounded_with_hasher(FxBuildHasher),
            capacity: capacity.max(1),
        }
    }

    fn slot(key: &str) -> u64 {
        FxBuildHasher.hash_one(key)
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Seen> {
        match self.cache.get_mut(&Self::slot(key)) {
            Some((k, seen)) if k == key => Some(seen),
            _ => None,
        }
    }

    fn put(&mut self, key: String, seen: Seen) {
        self.cache.put(Self::slot(&key), (key, seen));
        if self.cache.len() > self.capacity {
            self.cache.pop_lru();
        }
    }
}

/// What an Event says: about which object (and part of it), of which
/// type, why.
struct What<'a> {
    obj: &'a Object,
    field_path: Option<String>,
    type_: &'a str,
    reason: &'a str,
    message: String,
}

/// Writes Events on behalf of one component.
#[derive(Debug)]
pub struct EventRecorder {
    component: String,
    host: Option<String>,
    seen: RecentEvents,
    last_name_nanos: i128,
}

impl EventRecorder {
    /// A recorder for `component` (`default-scheduler`, `kubelet`), optionally on a host.
    pub fn new(component: &str, host: Option<&str>) -> Self {
        Self {
            component: component.to_owned(),
            host: host.map(str::to_owned),
            seen: RecentEvents::new(MAX_LRU_CACHE_ENTRIES),
            last_name_nanos: 0,
        }
    }

    /// Records an Event about `obj` (type `Normal` or `Warning`).
    pub fn record(
        &mut self,
        ctx: &mut Ctx<'_>,
        obj: &Object,
        type_: &str,
        reason: &str,
        message: String,
    ) {
        self.record_with_field_path(ctx, obj, None, type_, reason, message);
    }

    /// Records an Event about part of an object (a container: `spec.containers{nginx}`).
    pub fn record_with_field_path(
        &mut self,
        ctx: &mut Ctx<'_>,
        obj: &Object,
        field_path: Option<String>,
        type_: &str,
        reason: &str,
        message: String,
    ) {
        let namespace = if obj.namespace().is_empty() {
            "default".to_owned()
        } else {
            obj.namespace().to_owned()
        };
        // getEventKey: the involved object (its uid and field path), type,
        // reason and message, joined; the source is this recorder's own.
        let field = field_path.as_deref().unwrap_or("");
        let mut key = String::with_capacity(
            obj.uid().len() + field.len() + type_.len() + reason.len() + message.len() + 5,
        );
        for part in [obj.uid(), field, type_, reason, message.as_str()] {
            key.push_str(part);
            key.push('\0');
        }
        let now = ctx.now();
        let ttl = ctx.config().timings.event_ttl;
        let what = What {
            obj,
            field_path,
            type_,
            reason,
            message,
        };
        if let Some(seen) = self.seen.get_mut(&key) {
            seen.count += 1;
            let expired = !ttl.is_zero() && now >= revoked_at(seen.last + ttl);
            seen.last = now;
            if !expired {
                let patch = serde_json::json!({
                    "count": seen.count,
                    "lastTimestamp": time(now),
                });
                ctx.send(Request::Patch {
                    key: ObjectKey::new(
                        Kind::Event,
                        seen.namespace.clone(),
                        seen.event_name.clone(),
                    ),
                    patch,
                });
                return;
            }
            let (name, count, first) = (seen.event_name.clone(), seen.count, seen.first);
            let mut event = self.event(what, &name, now);
            event.count = Some(count);
            event.first_timestamp = Some(time(first));
            event.metadata.namespace = Some(namespace);
            ctx.send(Request::Create(Object::from(event)));
            return;
        }
        let mut nanos = timestamp(now).as_nanosecond();
        if nanos <= self.last_name_nanos {
            nanos = self.last_name_nanos + 1;
        }
        self.last_name_nanos = nanos;
        let event_name = format!("{}.{:x}", obj.name(), nanos);
        let mut event = self.event(what, &event_name, now);
        event.first_timestamp = Some(time(now));
        event.metadata.namespace = Some(namespace.clone());
        ctx.send(Request::Create(Object::from(event)));
        self.seen.put(
            key,
            Seen {
                event_name,
                namespace,
                count: 1,
                first: now,
                last: now,
            },
        );
    }

    /// The Event `name` about what happened, seen once, now.
    fn event(&self, what: What<'_>, name: &str, now: SimTime) -> Event {
        let What {
            obj,
            field_path,
            type_,
            reason,
            message,
        } = what;
        Event {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                ..Default::default()
            },
            involved_object: ObjectReference {
                api_version: Some(obj.kind().api_version().to_owned()),
                kind: Some(obj.kind().name().to_owned()),
                name: Some(obj.name().to_owned()),
                namespace: (!obj.namespace().is_empty()).then(|| obj.namespace().to_owned()),
                uid: Some(obj.uid().to_owned()),
                resource_version: obj.meta().resource_version.clone(),
                field_path: field_path.clone(),
            },
            reason: Some(reason.to_owned()),
            message: Some(message),
            type_: Some(type_.to_owned()),
            count: Some(1),
            first_timestamp: None,
            last_timestamp: Some(time(now)),
            event_time: None,
            source: Some(EventSource {
                component: Some(self.component.clone()),
                host: self.host.clone(),
            }),
            reporting_component: Some(self.component.clone()),
            reporting_instance: Some(self.host.clone().unwrap_or_default()),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(name: &str) -> Seen {
        Seen {
            event_name: name.into(),
            namespace: "default".into(),
            count: 1,
            first: SimTime::ZERO,
            last: SimTime::ZERO,
        }
    }

    #[test]
    fn the_least_recently_seen_event_is_forgotten_first() {
        let mut recent = RecentEvents::new(MAX_LRU_CACHE_ENTRIES);
        for i in 0..MAX_LRU_CACHE_ENTRIES {
            recent.put(format!("k{i}"), seen(&format!("e{i}")));
        }
        // Seeing k0 again keeps it; the next new event pushes out k1.
        assert!(recent.get_mut("k0").is_some());
        recent.put("new".into(), seen("new"));
        assert!(recent.get_mut("k1").is_none(), "forgotten");
        assert!(recent.get_mut("k0").is_some());
        assert_eq!(
            recent.get_mut("new").map(|s| s.event_name.as_str()),
            Some("new")
        );
    }
}
