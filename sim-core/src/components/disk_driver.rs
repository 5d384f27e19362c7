//! The controller side of the disk service's CSI driver
//! ([`crate::storage::disks::DRIVER`]): its external-attacher. It watches
//! the VolumeAttachments the attach/detach controller creates for the
//! driver and carries them out at the disk service:
//!
//! - A new attachment gets the attacher's finalizer
//!   (`external-attacher/disk-csi-kubesim-io`); after the service's attach
//!   time the disk is attached to the node and `status.attached` set. A
//!   refused attach (a disk that does not exist, or one attached to another
//!   node) is written to `status.attachError` and retried with the
//!   attacher's backoff (1 s doubling to 5 min).
//! - An attachment being deleted is detached at the service, then its
//!   finalizer is removed and the deletion completes.
//!
//! Simplified: the driver's controller runs beside the control plane (as a
//! cloud's does), not as pods of the cluster; it is always up.

use std::any::Any;
use std::collections::BTreeMap;
use std::rc::Rc;

use k8s_openapi::api::storage::v1::VolumeAttachment;

use crate::api::meta::time;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::watch::WatchSpec;
use crate::apiserver::Request;
use crate::components::informer::Informer;
use crate::components::{Component, Ctx, Role, Tag, TagSpace, WatchEvent};
use crate::storage::disks::{Disks, ATTACH_TIME, DRIVER};
use crate::time::SimDuration;

/// The attacher's finalizer (`external-attacher/` and the driver name with
/// every character but letters, digits and `-` made `-`).
pub const FINALIZER: &str = "external-attacher/disk-csi-kubesim-io";

/// The first retry of a refused attach.
const FIRST_RETRY: SimDuration = SimDuration::from_secs(1);
/// The longest wait between retries.
const MAX_RETRY: SimDuration = SimDuration::from_secs(300);

/// The driver's timers: a sync at the next instant, or an operation due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DriverTag {
    Sync,
    Operation,
}

impl TagSpace for DriverTag {
    const ALL: &'static [Self] = &[DriverTag::Sync, DriverTag::Operation];
    fn id(self) -> u8 {
        self as u8
    }
}

/// An operation in flight on one attachment.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Operation {
    /// Attach `handle` to the attachment's node.
    Attach { handle: String },
    /// Detach `handle` from the attachment's node.
    Detach { handle: String },
}

/// The driver's controller.
#[derive(Debug)]
pub struct DiskDriver {
    disks: Rc<Disks>,
    attachments: Informer,
    volumes: Informer,
    /// Attachment name -> its operation in flight (and the timer's serial).
    in_flight: BTreeMap<String, (u64, Operation)>,
    /// Attachment name -> failures of its attach so far (kept while it
    /// waits for the retry).
    failures: BTreeMap<String, u32>,
    next_serial: u64,
    /// Attachments changed since the last sync.
    dirty: std::collections::BTreeSet<String>,
    sync_pending: bool,
}

impl DiskDriver {
    /// The driver of a cluster whose disks are `disks`.
    pub fn new(disks: Rc<Disks>) -> Self {
        Self {
            disks,
            attachments: Informer::new(),
            volumes: Informer::new(),
            in_flight: BTreeMap::new(),
            failures: BTreeMap::new(),
            next_serial: 0,
            dirty: std::collections::BTreeSet::new(),
            sync_pending: false,
        }
    }

    fn watch_all(&self, ctx: &mut Ctx<'_>) {
        ctx.watch(WatchSpec::all(Kind::VolumeAttachment));
        ctx.watch(WatchSpec::all(Kind::PersistentVolume));
    }

    fn request_sync(&mut self, ctx: &mut Ctx<'_>) {
        if !self.sync_pending {
            self.sync_pending = true;
            ctx.set_timer(SimDuration::ZERO, Tag::new(DriverTag::Sync, 0));
        }
    }

    /// The disk an attachment is for (its volume's `csi.volumeHandle`).
    fn handle_of(&self, va: &VolumeAttachment) -> Option<String> {
        let pv = va.spec.source.persistent_volume_name.as_deref()?;
        match &**self
            .volumes
            .get(&ObjectKey::new(Kind::PersistentVolume, "", pv))?
        {
            Object::PersistentVolume(pv) => {
                Some(pv.spec.as_ref()?.csi.as_ref()?.volume_handle.clone())
            }
            _ => None,
        }
    }

    fn start_operation(
        &mut self,
        ctx: &mut Ctx<'_>,
        name: &str,
        op: Operation,
        delay: SimDuration,
    ) {
        let serial = self.next_serial;
        self.next_serial += 1;
        self.in_flight.insert(name.to_owned(), (serial, op));
        ctx.set_timer(delay, Tag::new(DriverTag::Operation, serial));
    }

    /// Starts what each changed attachment of the driver needs.
    fn sync(&mut self, ctx: &mut Ctx<'_>) {
        let attachments: Vec<VolumeAttachment> = std::mem::take(&mut self.dirty)
            .into_iter()
            .filter_map(|name| {
                match &**self
                    .attachments
                    .get(&ObjectKey::new(Kind::VolumeAttachment, "", &name))?
                {
                    Object::VolumeAttachment(va) if va.spec.attacher == DRIVER => {
                        Some((**va).clone())
                    }
                    _ => None,
                }
            })
            .collect();
        for va in attachments {
            let name = va.metadata.name.clone().unwrap_or_default();
            let finalized = va
                .metadata
                .finalizers
                .as_ref()
                .is_some_and(|f| f.iter().any(|f| f == FINALIZER));
            let in_flight = self.in_flight.get(&name).map(|(_, op)| op.clone());
            if va.metadata.deletion_timestamp.is_some() {
                if !finalized || matches!(in_flight, Some(Operation::Detach { .. })) {
                    continue;
                }
                // A detach waits for an attach in flight to end.
                if in_flight.is_some() {
                    continue;
                }
                let Some(handle) = self.handle_of(&va) else {
                    // The volume is gone: nothing to detach at the service.
                    self.remove_finalizer(ctx, &va);
                    continue;
                };
                self.start_operation(ctx, &name, Operation::Detach { handle }, ATTACH_TIME);
                continue;
            }
            let attached = va.status.as_ref().is_some_and(|s| s.attached);
            if attached || in_flight.is_some() {
                continue;
            }
            let Some(handle) = self.handle_of(&va) else {
                continue;
            };
            if !finalized {
                let mut finalizers = va.metadata.finalizers.clone().unwrap_or_default();
                finalizers.push(FINALIZER.to_owned());
                ctx.send(Request::Patch {
                    key: ObjectKey::new(Kind::VolumeAttachment, "", &name),
                    patch: serde_json::json!({"metadata": {"finalizers": finalizers}}),
                });
            }
            let failures = self.failures.get(&name).copied().unwrap_or(0);
            let delay = if failures == 0 {
                ATTACH_TIME
            } else {
                FIRST_RETRY
                    .saturating_mul(1u64 << (failures - 1).min(16))
                    .min(MAX_RETRY)
            };
            self.start_operation(ctx, &name, Operation::Attach { handle }, delay);
        }
    }

    fn remove_finalizer(&mut self, ctx: &mut Ctx<'_>, va: &VolumeAttachment) {
        let rest: Vec<&String> = va
            .metadata
            .finalizers
            .iter()
            .flatten()
            .filter(|f| *f != FINALIZER)
            .collect();
        let value = if rest.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::json!(rest)
        };
        ctx.send(Request::Patch {
            key: ObjectKey::new(
                Kind::VolumeAttachment,
                "",
                va.metadata.name.as_deref().unwrap_or(""),
            ),
            patch: serde_json::json!({"metadata": {"finalizers": value}}),
        });
    }

    /// An operation's time came: the service attaches or detaches.
    fn finish(&mut self, ctx: &mut Ctx<'_>, serial: u64) {
        let Some(name) = self
            .in_flight
            .iter()
            .find(|(_, (s, _))| *s == serial)
            .map(|(n, _)| n.clone())
        else {
            return;
        };
        let Some((_, op)) = self.in_flight.remove(&name) else {
            return;
        };
        let va = match self
            .attachments
            .get(&ObjectKey::new(Kind::VolumeAttachment, "", &name))
            .map(|o| &**o)
        {
            Some(Object::VolumeAttachment(va)) => Some((**va).clone()),
            _ => None,
        };
        match op {
            Operation::Attach { handle } => {
                let Some(va) = va.filter(|v| v.metadata.deletion_timestamp.is_none()) else {
                    // Deleted meanwhile: its detach is next.
                    self.dirty.insert(name);
                    self.request_sync(ctx);
                    return;
                };
                let node = va.spec.node_name.clone();
                let status = match self.disks.attach(&handle, &node) {
                    Ok(()) => {
                        self.failures.remove(&name);
                        serde_json::json!({"attached": true, "attachError": null})
                    }
                    Err(e) => {
                        *self.failures.entry(name.clone()).or_insert(0) += 1;
                        serde_json::json!({
                            "attached": false,
                            "attachError": {"message": e.to_string(), "time": time(ctx.now())},
                        })
                    }
                };
                ctx.send(Request::Patch {
                    key: ObjectKey::new(Kind::VolumeAttachment, "", &name),
                    patch: serde_json::json!({ "status": status }),
                });
            }
            Operation::Detach { handle } => {
                if let Some(va) = va {
                    self.disks.detach(&handle, &va.spec.node_name);
                    self.remove_finalizer(ctx, &va);
                }
            }
        }
        self.dirty.insert(name);
        self.request_sync(ctx);
    }
}

impl Component for DiskDriver {
    fn role(&self) -> Role {
        Role::DiskDriver
    }

    fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.watch_all(ctx);
    }

    fn on_watch(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
        match &*event.object {
            Object::VolumeAttachment(_) => {
                self.attachments.apply(event);
                let name = event.object.name().to_owned();
                if event.change == crate::etcd::ChangeType::Deleted {
                    self.failures.remove(&name);
                } else {
                    self.dirty.insert(name);
                }
                self.request_sync(ctx);
            }
            Object::PersistentVolume(_) => {
                self.volumes.apply(event);
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, tag: Tag) {
        match tag.space::<DriverTag>() {
            Some(DriverTag::Sync) => {
                self.sync_pending = false;
                self.sync(ctx);
            }
            Some(DriverTag::Operation) => self.finish(ctx, tag.serial()),
            None => {}
        }
    }

    fn on_fault(&mut self, ctx: &mut Ctx<'_>, fault: &crate::faults::ComponentFault) {
        if let crate::faults::ComponentFault::Resync = fault {
            self.watch_all(ctx);
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
