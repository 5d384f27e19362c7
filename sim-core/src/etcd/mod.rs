//! The etcd model: a revisioned key-value store.
//!
//! One global revision counts every write. Each stored object carries the
//! revision that last wrote it as its `metadata.resourceVersion`. A window
//! of recent changes per kind ([`history`]: the API server's watch cache)
//! allows listing at an older revision and watching from a revision; a
//! revision older than the window, or than [`Etcd::compact`]'s, fails with
//! 410 Gone, as on a real cluster.
//!
//! Objects are stored as `Arc<Object>` and the same allocation is handed to
//! watchers and informer caches: nothing is cloned per reader.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::api::{ApiError, Kind, Object, Reason};
use crate::time::SimTime;

pub mod history;

/// What a change did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum ChangeType {
    /// The key was created.
    Added,
    /// The key was overwritten.
    Modified,
    /// The key was removed.
    Deleted,
}

impl ChangeType {
    /// The watch event type as the API spells it (`ADDED`, `MODIFIED`, `DELETED`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Added => "ADDED",
            ChangeType::Modified => "MODIFIED",
            ChangeType::Deleted => "DELETED",
        }
    }
}

/// One change to the store, as a watcher sees it.
#[derive(Clone, Debug)]
pub struct Change {
    /// The revision the change produced.
    pub revision: u64,
    /// What happened.
    pub change: ChangeType,
    /// The object after the change (for a deletion: the last state, as a watch shows it).
    pub object: Arc<Object>,
    /// The object before the change, if it existed.
    pub prev: Option<Arc<Object>>,
}

/// The key the API server stores an object under:
/// `/registry/<resource prefix>/[<namespace>/]<name>`, the prefix being the
/// resource's plural but for the few of `SpecialDefaultResourcePrefixes`
/// (pkg/kubeapiserver/default_storage_factory_builder.go): endpoints under
/// `services/endpoints`, nodes under `minions`, services under
/// `services/specs`, ingresses under `ingress`.
pub fn storage_key(kind: Kind, namespace: &str, name: &str) -> String {
    let prefix = match kind {
        Kind::Endpoints => "services/endpoints",
        Kind::Node => "minions",
        Kind::Service => "services/specs",
        Kind::Ingress => "ingress",
        other => other.plural(),
    };
    if kind.namespaced() {
        format!("/registry/{prefix}/{namespace}/{name}")
    } else {
        format!("/registry/{prefix}/{name}")
    }
}

/// A namespace as it sorts inside the API server's storage keys
/// `<prefix>/<namespace>/<name>`: followed by its '/', so that `a-b` sorts
/// before `a` ('-' is below '/') and `a` before `ab`, where plain string
/// order puts `a` first. Namespace names have no '/', so comparing
/// `<namespace>/` decides the whole key whenever the namespaces differ; a
/// cluster-scoped kind has the one namespace "" and its keys `<prefix>/<name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct KeyNamespace(String);

impl Ord for KeyNamespace {
    fn cmp(&self, other: &Self) -> Ordering {
        let slash = std::iter::once(b'/');
        self.0
            .bytes()
            .chain(slash.clone())
            .cmp(other.0.bytes().chain(slash))
    }
}

impl PartialOrd for KeyNamespace {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// An object's place in storage-key order.
type NameKey = (KeyNamespace, String);

/// The objects of one kind, by namespace then name. Two levels so that a
/// read or an overwrite needs no owned key; `order` holds the namespaces in
/// storage-key order, which lists follow.
#[derive(Debug, Default)]
struct KindStore {
    namespaces: BTreeMap<String, BTreeMap<String, Arc<Object>>>,
    order: BTreeSet<KeyNamespace>,
    len: usize,
}

impl KindStore {
    fn get(&self, namespace: &str, name: &str) -> Option<&Arc<Object>> {
        self.namespaces.get(namespace)?.get(name)
    }

    fn get_mut(&mut self, namespace: &str, name: &str) -> Option<&mut Arc<Object>> {
        self.namespaces.get_mut(namespace)?.get_mut(name)
    }

    /// Adds an object under a key that must be free.
    fn insert_new(&mut self, obj: Arc<Object>) {
        let names = match self.namespaces.get_mut(obj.namespace()) {
            Some(names) => names,
            None => {
                self.order.insert(KeyNamespace(obj.namespace().to_owned()));
                self.namespaces
                    .entry(obj.namespace().to_owned())
                    .or_default()
            }
        };
        names.insert(obj.name().to_owned(), obj);
        self.len += 1;
    }

    fn remove(&mut self, namespace: &str, name: &str) -> Option<Arc<Object>> {
        let names = self.namespaces.get_mut(namespace)?;
        let removed = names.remove(name)?;
        if names.is_empty() {
            // The map's own key, moved out, is the order's key: no allocation.
            if let Some((owned, _)) = self.namespaces.remove_entry(namespace) {
                self.order.remove(&KeyNamespace(owned));
            }
        }
        self.len -= 1;
        Some(removed)
    }

    /// Every object, in storage-key order.
    fn values(&self) -> impl Iterator<Item = &Arc<Object>> {
        self.order
            .iter()
            .filter_map(|ns| self.namespaces.get(&ns.0))
            .flat_map(BTreeMap::values)
    }

    fn in_namespace(&self, namespace: &str) -> impl Iterator<Item = &Arc<Object>> {
        self.namespaces
            .get(namespace)
            .into_iter()
            .flat_map(BTreeMap::values)
    }
}

/// The revisioned store.
#[derive(Debug, Default)]
pub struct Etcd {
    revision: u64,
    data: BTreeMap<Kind, KindStore>,
    history: history::History,
    /// The time of the changes being made ([`Etcd::set_clock`]).
    clock: SimTime,
}

fn name_key(obj: &Object) -> NameKey {
    (
        KeyNamespace(obj.namespace().to_owned()),
        obj.name().to_owned(),
    )
}

impl Etcd {
    /// An empty store at revision 0... (the first write is revision 1).
    pub fn new() -> Self {
        Self::default()
    }

    /// The current revision.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The revision up to which history has been compacted.
    pub fn compacted_revision(&self) -> u64 {
        self.history.compacted()
    }

    /// Sets the time of the changes that follow (the history window keeps
    /// changes by age); an earlier time than the last leaves it as it is.
    pub fn set_clock(&mut self, now: SimTime) {
        self.clock = self.clock.max(now);
    }

    /// The oldest revision a watch of `kind` can start from (410 Gone before it).
    pub fn oldest_servable_revision(&self, kind: Kind) -> u64 {
        self.history.oldest_servable(kind)
    }

    /// Reads one object.
    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<&Arc<Object>> {
        self.data.get(&kind)?.get(namespace, name)
    }

    /// All objects of a kind (in one namespace, or all when `namespace` is
    /// None), in the order of the API server's storage keys
    /// `<prefix>/<namespace>/<name>` (see `KeyNamespace`).
    pub fn list(&self, kind: Kind, namespace: Option<&str>) -> Vec<Arc<Object>> {
        let Some(map) = self.data.get(&kind) else {
            return Vec::new();
        };
        match namespace {
            None => map.values().cloned().collect(),
            Some(ns) => map.in_namespace(ns).cloned().collect(),
        }
    }

    /// Number of objects of a kind.
    pub fn count(&self, kind: Kind) -> usize {
        self.data.get(&kind).map_or(0, |m| m.len)
    }

    /// Number of objects stored, of every kind.
    pub fn len(&self) -> usize {
        self.data.values().map(|m| m.len).sum()
    }

    /// True when no object is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The objects of a kind as they were at `revision` (which must not be compacted).
    pub fn list_at(
        &self,
        kind: Kind,
        namespace: Option<&str>,
        revision: u64,
    ) -> Result<Vec<Arc<Object>>, ApiError> {
        if revision >= self.revision {
            return Ok(self.list(kind, namespace));
        }
        let oldest = self.history.oldest_servable(kind);
        if revision < oldest {
            return Err(too_old(revision, oldest));
        }
        let mut state: BTreeMap<NameKey, Arc<Object>> = self
            .data
            .get(&kind)
            .into_iter()
            .flat_map(KindStore::values)
            .map(|o| (name_key(o), o.clone()))
            .collect();
        for c in self.history.after(kind, revision).rev() {
            let key = name_key(&c.object);
            match &c.prev {
                Some(prev) => state.insert(key, prev.clone()),
                None => state.remove(&key),
            };
        }
        Ok(state
            .into_iter()
            .filter(|((ns, _), _)| namespace.is_none_or(|n| n == ns.0))
            .map(|(_, o)| o)
            .collect())
    }

    /// The changes to `kind` after `revision`, or 410 Gone when that history was compacted.
    pub fn changes_since(&self, kind: Kind, revision: u64) -> Result<Vec<Change>, ApiError> {
        let oldest = self.history.oldest_servable(kind);
        if revision < oldest {
            return Err(too_old(revision, oldest));
        }
        Ok(self.history.after(kind, revision).cloned().collect())
    }

    /// Stores a new object; fails if the key exists. Sets its resourceVersion.
    pub fn create(&mut self, mut obj: Object) -> Result<Change, UpdateError> {
        let map = self.data.entry(obj.kind()).or_default();
        if map.get(obj.namespace(), obj.name()).is_some() {
            return Err(UpdateError::Exists);
        }
        self.revision += 1;
        obj.meta_mut().resource_version = Some(self.revision.to_string());
        let obj = Arc::new(obj);
        map.insert_new(obj.clone());
        Ok(self.push(ChangeType::Added, obj, None))
    }

    /// Overwrites an existing object when its current revision equals
    /// `expected_revision` (if given). Sets the new resourceVersion.
    pub fn update(
        &mut self,
        mut obj: Object,
        expected_revision: Option<u64>,
    ) -> Result<Change, UpdateError> {
        let Some(map) = self.data.get_mut(&obj.kind()) else {
            return Err(UpdateError::NotFound);
        };
        let Some(slot) = map.get_mut(obj.namespace(), obj.name()) else {
            return Err(UpdateError::NotFound);
        };
        if let Some(expected) = expected_revision {
            if slot.resource_version() != Some(expected) {
                return Err(UpdateError::Conflict);
            }
        }
        self.revision += 1;
        obj.meta_mut().resource_version = Some(self.revision.to_string());
        let obj = Arc::new(obj);
        let prev = std::mem::replace(slot, obj.clone());
        Ok(self.push(ChangeType::Modified, obj, Some(prev)))
    }

    /// Removes an object. The deletion is a revision of its own; the watch
    /// event carries the last state with that revision as resourceVersion.
    pub fn delete(&mut self, kind: Kind, namespace: &str, name: &str) -> Option<Change> {
        let prev = self.data.get_mut(&kind)?.remove(namespace, name)?;
        self.revision += 1;
        let mut last = (*prev).clone();
        last.meta_mut().resource_version = Some(self.revision.to_string());
        Some(self.push(ChangeType::Deleted, Arc::new(last), Some(prev)))
    }

    /// Discards history up to and including `revision`.
    pub fn compact(&mut self, revision: u64) {
        self.history.compact(revision.min(self.revision));
    }

    /// Number of changes kept in history.
    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    fn push(
        &mut self,
        change: ChangeType,
        object: Arc<Object>,
        prev: Option<Arc<Object>>,
    ) -> Change {
        let c = Change {
            revision: self.revision,
            change,
            object,
            prev,
        };
        self.history.push(self.clock, c.clone());
        c
    }
}

/// Why an update failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateError {
    /// The key does not exist.
    NotFound,
    /// The key exists (on create).
    Exists,
    /// The stored revision is not the expected one.
    Conflict,
}

fn too_old(revision: u64, compacted: u64) -> ApiError {
    ApiError::new(
        Reason::Expired,
        format!("too old resource version: {revision} ({compacted})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn cm(name: &str, v: &str) -> Object {
        Object::from(ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            data: Some([("k".to_owned(), v.to_owned())].into()),
            ..Default::default()
        })
    }

    fn data(o: &Object) -> String {
        match o {
            Object::ConfigMap(c) => c.data.as_ref().unwrap()["k"].clone(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn revisions_and_resource_versions() {
        let mut e = Etcd::new();
        let a = e.create(cm("a", "1")).unwrap();
        assert_eq!(a.revision, 1);
        assert_eq!(a.object.resource_version(), Some(1));
        assert!(e.create(cm("a", "x")).is_err(), "duplicate key");
        let b = e.update(cm("a", "2"), Some(1)).unwrap();
        assert_eq!(b.object.resource_version(), Some(2));
        assert_eq!(
            e.update(cm("a", "3"), Some(1)).unwrap_err(),
            UpdateError::Conflict
        );
        assert_eq!(
            e.update(cm("zz", "3"), None).unwrap_err(),
            UpdateError::NotFound
        );
        let d = e.delete(Kind::ConfigMap, "default", "a").unwrap();
        assert_eq!(d.revision, 3);
        assert!(e.get(Kind::ConfigMap, "default", "a").is_none());
    }

    #[test]
    fn list_at_an_older_revision_sees_the_old_state() {
        let mut e = Etcd::new();
        e.create(cm("a", "1")).unwrap();
        e.create(cm("b", "1")).unwrap();
        e.update(cm("a", "2"), None).unwrap();
        e.delete(Kind::ConfigMap, "default", "b");
        let at2: Vec<_> = e.list_at(Kind::ConfigMap, Some("default"), 2).unwrap();
        assert_eq!(
            at2.iter()
                .map(|o| (o.name().to_owned(), data(o)))
                .collect::<Vec<_>>(),
            [("a".into(), "1".into()), ("b".into(), "1".into())]
        );
        assert_eq!(e.list_at(Kind::ConfigMap, None, 4).unwrap().len(), 1);
    }

    #[test]
    fn storage_keys_use_the_special_prefixes() {
        assert_eq!(
            storage_key(Kind::Deployment, "default", "web"),
            "/registry/deployments/default/web"
        );
        assert_eq!(
            storage_key(Kind::Service, "default", "kubernetes"),
            "/registry/services/specs/default/kubernetes"
        );
        assert_eq!(
            storage_key(Kind::Node, "", "worker-1"),
            "/registry/minions/worker-1"
        );
        assert_eq!(
            storage_key(Kind::Ingress, "default", "web"),
            "/registry/ingress/default/web"
        );
    }

    #[test]
    fn lists_follow_the_storage_key_order() {
        // The real API server lists in the order of its etcd keys
        // /registry/configmaps/<namespace>/<name>: "a-b/" < "a/" < "ab/"
        // ('-' 0x2D sorts before '/' 0x2F), where (namespace, name) order
        // would put "a" first.
        let mut e = Etcd::new();
        for (ns, name) in [
            ("ab", "x"),
            ("a", "y"),
            ("a-b", "z"),
            ("a", "x"),
            ("a", "x-y"),
        ] {
            let mut obj = cm(name, "1");
            obj.meta_mut().namespace = Some(ns.into());
            e.create(obj).unwrap();
        }
        let keys = |list: Vec<Arc<Object>>| -> Vec<String> {
            list.iter()
                .map(|o| format!("{}/{}", o.namespace(), o.name()))
                .collect()
        };
        let want = ["a-b/z", "a/x", "a/x-y", "a/y", "ab/x"];
        assert_eq!(keys(e.list(Kind::ConfigMap, None)), want);
        let at = e.revision();
        e.delete(Kind::ConfigMap, "a-b", "z");
        assert_eq!(keys(e.list_at(Kind::ConfigMap, None, at).unwrap()), want);
        assert_eq!(
            keys(e.list(Kind::ConfigMap, Some("a"))),
            ["a/x", "a/x-y", "a/y"]
        );
        // An emptied namespace leaves the order; a new one joins it.
        let mut obj = cm("w", "1");
        obj.meta_mut().namespace = Some("a-b".into());
        e.create(obj).unwrap();
        assert_eq!(keys(e.list(Kind::ConfigMap, None))[0], "a-b/w");
    }

    #[test]
    fn watch_from_a_compacted_revision_is_gone() {
        let mut e = Etcd::new();
        for i in 0..5 {
            e.create(cm(&format!("c{i}"), "v")).unwrap();
        }
        assert_eq!(e.changes_since(Kind::ConfigMap, 3).unwrap().len(), 2);
        e.compact(3);
        let err = e.changes_since(Kind::ConfigMap, 2).unwrap_err();
        assert_eq!(err.reason, Reason::Expired);
        assert_eq!(err.message, "too old resource version: 2 (3)");
        assert_eq!(e.changes_since(Kind::ConfigMap, 3).unwrap().len(), 2);
        assert!(e.list_at(Kind::ConfigMap, None, 1).is_err());
    }
}
