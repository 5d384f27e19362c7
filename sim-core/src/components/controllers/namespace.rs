//! The namespace controller (pkg/controller/namespace): empties a terminating
//! namespace of every namespaced object, then removes the `kubernetes`
//! finalizer so that the API server deletes the namespace.

use std::collections::BTreeSet;

use super::{Informers, WorkQueue};
use crate::api::{Kind, ObjectKey};
use crate::apiserver::Request;
use crate::components::{Ctx, WatchEvent};
use crate::etcd::ChangeType;

/// The controller.
#[derive(Debug, Default)]
pub(crate) struct NamespaceController {
    queue: WorkQueue,
    requested: BTreeSet<String>,
}

impl NamespaceController {
    /// Notes a namespace that started terminating.
    pub(crate) fn observe(&mut self, event: &WatchEvent) {
        if event.object.kind() == Kind::Namespace
            && event.change != ChangeType::Deleted
            && event.object.meta().deletion_timestamp.is_some()
        {
            self.queue.add(ObjectKey::of(&event.object));
        }
        if event.object.kind() == Kind::Namespace && event.change == ChangeType::Deleted {
            self.requested.remove(event.object.name());
        }
    }

    /// Re-checks every terminating namespace.
    pub(crate) fn requeue_terminating(&mut self, informers: &Informers) {
        for ns in informers.of(Kind::Namespace).iter() {
            if ns.meta().deletion_timestamp.is_some() {
                self.queue.add(ObjectKey::of(ns));
            }
        }
    }

    /// Syncs dirty namespaces. Returns true when some namespace still has content.
    pub(crate) fn sync(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) -> bool {
        let mut waiting = false;
        for key in self.queue.drain() {
            let Some(ns) = informers.of(Kind::Namespace).get(&key) else {
                continue;
            };
            if ns.meta().deletion_timestamp.is_none() {
                continue;
            }
            let name = ns.name().to_owned();
            let remaining: usize = Kind::ALL
                .iter()
                .filter(|k| k.namespaced())
                .map(|&k| {
                    informers
                        .of(k)
                        .iter()
                        .filter(|o| o.namespace() == name)
                        .count()
                })
                .sum();
            if remaining > 0 {
                if self.requested.insert(name.clone()) {
                    ctx.trace(
                        "delete-namespace-content",
                        format!("namespace/{name}"),
                        format!("{remaining} objects"),
                    );
                    for &kind in Kind::ALL.iter().filter(|k| k.namespaced()) {
                        if informers.of(kind).iter().any(|o| o.namespace() == name) {
                            ctx.send(Request::DeleteCollection {
                                kind,
                                namespace: name.clone(),
                            });
                        }
                    }
                }
                waiting = true;
                continue;
            }
            // Events are not watched by the manager; they go with the rest.
            ctx.send(Request::DeleteCollection {
                kind: Kind::Event,
                namespace: name.clone(),
            });
            ctx.send(Request::FinalizeNamespace {
                name,
                finalizers: Vec::new(),
            });
        }
        waiting
    }
}
