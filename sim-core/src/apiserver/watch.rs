//! The watch hub: which component watches what, and which watches a change reaches.
//!
//! A watch names a kind, optionally a namespace, and optionally one exact field
//! match (`spec.nodeName=worker-1` for a kubelet's pods, `metadata.name=worker-1`
//! for its own node). Field-matched watches are indexed by value so that a pod
//! write reaches one kubelet, not all 5,000. As on the real API server, an
//! object that starts matching a field selector arrives as ADDED and one that
//! stops matching arrives as DELETED.

use std::collections::{BTreeMap, HashMap};

use crate::api::{Kind, Object};
use crate::etcd::{Change, ChangeType};

/// Identifies a registered watch.
pub(crate) type WatchId = usize;

/// What a watch selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchSpec {
    /// The kind watched.
    pub kind: Kind,
    /// Only this namespace, when set.
    pub namespace: Option<String>,
    /// Only objects whose field equals this value, when set.
    pub field: Option<(&'static str, String)>,
}

impl WatchSpec {
    /// Every object of a kind.
    pub fn all(kind: Kind) -> Self {
        Self {
            kind,
            namespace: None,
            field: None,
        }
    }

    /// Objects of a kind whose `field` equals `value`.
    pub fn with_field(kind: Kind, field: &'static str, value: impl Into<String>) -> Self {
        Self {
            kind,
            namespace: None,
            field: Some((field, value.into())),
        }
    }

    /// True when `obj` is selected (ignoring the kind).
    pub fn selects(&self, obj: &Object) -> bool {
        self.namespace
            .as_deref()
            .is_none_or(|ns| ns == obj.namespace())
            && self
                .field
                .as_ref()
                .is_none_or(|(f, v)| obj.field(f).as_deref() == Some(v.as_str()))
    }
}

#[derive(Debug)]
struct Entry<C> {
    spec: WatchSpec,
    owner: C,
}

/// All registered watches.
#[derive(Debug)]
pub(crate) struct WatchHub<C> {
    watches: Vec<Entry<C>>,
    by_kind: BTreeMap<Kind, Vec<WatchId>>,
    indexed_fields: BTreeMap<Kind, Vec<&'static str>>,
    // Looked up by key only, never iterated: safe for determinism.
    by_field: HashMap<(Kind, &'static str, String), Vec<WatchId>>,
}

impl<C> Default for WatchHub<C> {
    fn default() -> Self {
        Self {
            watches: Vec::new(),
            by_kind: BTreeMap::new(),
            indexed_fields: BTreeMap::new(),
            by_field: HashMap::new(),
        }
    }
}

impl<C: Copy> WatchHub<C> {
    /// Registers a watch owned by `owner`.
    pub(crate) fn add(&mut self, spec: WatchSpec, owner: C) -> WatchId {
        let id = self.watches.len();
        match &spec.field {
            Some((field, value)) => {
                let fields = self.indexed_fields.entry(spec.kind).or_default();
                if !fields.contains(field) {
                    fields.push(field);
                }
                self.by_field
                    .entry((spec.kind, field, value.clone()))
                    .or_default()
                    .push(id);
            }
            None => self.by_kind.entry(spec.kind).or_default().push(id),
        }
        self.watches.push(Entry { spec, owner });
        id
    }

    /// The owner of a watch.
    pub(crate) fn owner(&self, id: WatchId) -> C {
        self.watches[id].owner
    }

    /// The spec of a watch.
    pub(crate) fn spec(&self, id: WatchId) -> &WatchSpec {
        &self.watches[id].spec
    }

    /// The watches a change reaches, with the event type each of them sees.
    pub(crate) fn targets(&self, change: &Change, out: &mut Vec<(WatchId, ChangeType)>) {
        let kind = change.object.kind();
        let ns_ok = |id: WatchId| {
            self.watches[id]
                .spec
                .namespace
                .as_deref()
                .is_none_or(|ns| ns == change.object.namespace())
        };
        for &id in self.by_kind.get(&kind).into_iter().flatten() {
            if ns_ok(id) {
                out.push((id, change.change));
            }
        }
        for field in self.indexed_fields.get(&kind).into_iter().flatten() {
            let new_v = change.object.field(field).unwrap_or_default();
            let old_v = change
                .prev
                .as_ref()
                .and_then(|p| p.field(field))
                .unwrap_or_default();
            let mut reach = |value: &str, ty: ChangeType| {
                if let Some(ids) = self.by_field.get(&(kind, *field, value.to_owned())) {
                    out.extend(
                        ids.iter()
                            .copied()
                            .filter(|&id| ns_ok(id))
                            .map(|id| (id, ty)),
                    );
                }
            };
            if change.change == ChangeType::Deleted || new_v == old_v || change.prev.is_none() {
                reach(&new_v, change.change);
            } else {
                reach(&old_v, ChangeType::Deleted);
                reach(&new_v, ChangeType::Added);
            }
        }
    }
}
