//! The service account controller (pkg/controller/serviceaccount): every
//! active namespace gets a `default` ServiceAccount.

use super::{Informers, WorkQueue};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::Request;
use crate::components::{Ctx, WatchEvent};
use crate::etcd::ChangeType;

/// The controller.
#[derive(Debug, Default)]
pub(crate) struct ServiceAccountController {
    queue: WorkQueue,
}

impl ServiceAccountController {
    /// Notes namespaces to check.
    pub(crate) fn observe(&mut self, event: &WatchEvent) {
        match event.object.kind() {
            Kind::Namespace if event.change != ChangeType::Deleted => {
                self.queue.add(ObjectKey::of(&event.object))
            }
            Kind::ServiceAccount
                if event.change == ChangeType::Deleted && event.object.name() == "default" =>
            {
                self.queue.add(ObjectKey::new(
                    Kind::Namespace,
                    "",
                    event.object.namespace(),
                ));
            }
            _ => {}
        }
    }

    /// Creates missing default service accounts.
    pub(crate) fn sync(&mut self, ctx: &mut Ctx<'_>, informers: &Informers) {
        for key in self.queue.drain() {
            let Some(ns) = informers.of(Kind::Namespace).get(&key) else {
                continue;
            };
            if ns.meta().deletion_timestamp.is_some() {
                continue;
            }
            let sa_key = ObjectKey::new(Kind::ServiceAccount, key.name.clone(), "default");
            if informers.of(Kind::ServiceAccount).get(&sa_key).is_some() {
                continue;
            }
            let sa = k8s_openapi::api::core::v1::ServiceAccount {
                metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                    name: Some("default".into()),
                    namespace: Some(key.name.clone()),
                    ..Default::default()
                },
                ..Default::default()
            };
            ctx.send(Request::Create(Object::from(sa)));
        }
    }
}
