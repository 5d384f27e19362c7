//! An informer cache: a component's local, eventually consistent copy of the
//! objects it watches, sharing the `Arc`s that etcd stores.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::WatchEvent;
use crate::api::{Object, ObjectKey};
use crate::etcd::ChangeType;

/// Objects by key, as last delivered.
#[derive(Debug, Default)]
pub struct Informer {
    objects: BTreeMap<ObjectKey, Arc<Object>>,
}

impl Informer {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a delivered change; returns the previous cached object.
    pub fn apply(&mut self, event: &WatchEvent) -> Option<Arc<Object>> {
        let key = ObjectKey::of(&event.object);
        match event.change {
            ChangeType::Deleted => self.objects.remove(&key),
            ChangeType::Added | ChangeType::Modified => {
                self.objects.insert(key, event.object.clone())
            }
        }
    }

    /// One cached object.
    pub fn get(&self, key: &ObjectKey) -> Option<&Arc<Object>> {
        self.objects.get(key)
    }

    /// All cached objects, ordered by key.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Object>> {
        self.objects.values()
    }

    /// Number of cached objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}
