//! kube-proxy, one per node, in iptables mode (cmd/kube-proxy,
//! pkg/proxy/iptables): the process of the node's `kube-proxy` DaemonSet
//! pod. It watches Services and EndpointSlices and turns them into the
//! node's Service rules ([`service_table`]; printed as `iptables-save`
//! prints them by [`iptables`]), which decide where a connection to a
//! Service address goes from this node.
//!
//! Timing, as the real proxier's sync runner: a change asks for a sync,
//! which runs at once while the runner has a token (a burst of
//! [`BURST_SYNCS`], one token back every `minSyncPeriod`, 1 s by default),
//! else when the next token is due; so the rules lag the API. The rules
//! are the node's kernel state: they stay as they were while the process
//! is not running (its pod not started, crashed or deleted) or cannot hear
//! the API server (a partition), and a node that lost power boots with
//! none until kube-proxy runs again.
//!
//! Whether the process runs is read from its own pod (`k8s-app=kube-proxy`
//! in kube-system on this node) as the API shows it: its container's
//! state `running` (after a power loss, a container started since the
//! boot: the status left from before it is stale).

pub mod iptables;
pub mod service_table;

use std::any::Any;
use std::net::Ipv4Addr;
use std::sync::Arc;

use crate::api::meta::sim_time_of;
use crate::api::{Kind, Object};
use crate::apiserver::watch::WatchSpec;
use crate::components::{Component, Ctx, Role, Tag, TagSpace, WatchEvent};
use crate::etcd::ChangeType;
use crate::faults::ComponentFault;
use crate::time::{SimDuration, SimTime};

use service_table::ServiceTable;

/// Syncs the runner allows back to back (the iptables proxier's
/// `burstSyncs`).
pub const BURST_SYNCS: u64 = 2;

/// The label of kube-proxy's pods.
const APP_LABEL: (&str, &str) = ("k8s-app", "kube-proxy");

/// kube-proxy's timer spaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ProxyTag {
    /// A deferred sync.
    Sync,
}

impl TagSpace for ProxyTag {
    const ALL: &'static [Self] = &[Self::Sync];
    fn id(self) -> u8 {
        0
    }
}

/// The sync runner's token bucket (`BoundedFrequencyRunner`): at most
/// [`BURST_SYNCS`] syncs back to back, one more per period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncRunner {
    /// When the bucket would be full again (the generic cell rate
    /// algorithm's theoretical arrival time).
    full_at: SimTime,
}

impl SyncRunner {
    /// Takes a token at `now` (Ok), or says how long until one is free.
    pub fn take(&mut self, now: SimTime, period: SimDuration) -> Result<(), SimDuration> {
        let full = self.full_at.max(now);
        // A token is free while the bucket is at most BURST-1 periods from full.
        let slack = period.saturating_mul(BURST_SYNCS - 1);
        match full.saturating_since(now).checked_sub(slack) {
            Some(wait) if !wait.is_zero() => Err(wait),
            _ => {
                self.full_at = full + period;
                Ok(())
            }
        }
    }
}

/// The rules a node's kernel holds.
#[derive(Clone, Debug)]
pub struct AppliedRules {
    /// The Service table they were made from.
    pub table: Arc<ServiceTable>,
    /// When kube-proxy wrote them.
    pub at: SimTime,
}

/// kube-proxy of one node.
#[derive(Debug)]
pub struct KubeProxy {
    node: String,
    node_ip: Ipv4Addr,
    /// True while the API shows the process's container running.
    running: bool,
    /// A change not yet synced.
    dirty: bool,
    /// A deferred sync is set.
    sync_pending: bool,
    /// The sync runner's tokens.
    runner: SyncRunner,
    /// The node's rules (None: none since the node booted).
    rules: Option<AppliedRules>,
    /// When the node last booted after losing power: a container status
    /// older than that is the last boot's, not a running process.
    booted_at: SimTime,
}

impl KubeProxy {
    /// The kube-proxy of `node`, whose address is `node_ip`.
    pub fn new(node: &str, node_ip: Ipv4Addr) -> Self {
        Self {
            node: node.to_owned(),
            node_ip,
            running: false,
            dirty: false,
            sync_pending: false,
            runner: SyncRunner::default(),
            rules: None,
            booted_at: SimTime::ZERO,
        }
    }

    /// The node's address (its NodePorts answer on it).
    pub fn node_ip(&self) -> Ipv4Addr {
        self.node_ip
    }

    /// The rules the node's kernel holds (None: none since it booted).
    pub fn rules(&self) -> Option<&AppliedRules> {
        self.rules.as_ref()
    }

    /// True while its process runs.
    pub fn is_running(&self) -> bool {
        self.running
    }

    fn watch_all(&self, ctx: &mut Ctx<'_>) {
        ctx.watch(WatchSpec::all(Kind::Service));
        ctx.watch(WatchSpec::all(Kind::EndpointSlice));
        let mut pods = WatchSpec::with_field(Kind::Pod, "spec.nodeName", self.node.clone());
        pods.namespace = Some("kube-system".to_owned());
        ctx.watch(pods);
    }

    /// Asks for a sync: now while the runner has a token, else when the
    /// next one is due.
    fn request_sync(&mut self, ctx: &mut Ctx<'_>) {
        self.dirty = true;
        if !self.running || self.sync_pending {
            return;
        }
        let period = ctx.config().timings.kube_proxy_min_sync_period;
        match self.runner.take(ctx.now(), period) {
            Ok(()) => self.sync(ctx),
            Err(wait) => {
                self.sync_pending = true;
                ctx.set_timer(wait, Tag::new(ProxyTag::Sync, 0));
            }
        }
    }

    /// Writes the node's rules from the current Services and slices.
    fn sync(&mut self, ctx: &mut Ctx<'_>) {
        self.dirty = false;
        self.rules = Some(AppliedRules {
            table: ctx.service_table(),
            at: ctx.now(),
        });
    }

    /// Its own pod's change: the process runs while the container does.
    fn own_pod(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
        let Object::Pod(pod) = &*event.object else {
            return;
        };
        let labels = pod.metadata.labels.as_ref();
        if labels.and_then(|l| l.get(APP_LABEL.0)).map(String::as_str) != Some(APP_LABEL.1) {
            return;
        }
        // `startedAt` has second precision: compare whole seconds.
        let boot_s = self.booted_at.as_nanos() / 1_000_000_000;
        let running = event.change != ChangeType::Deleted
            && pod
                .status
                .as_ref()
                .and_then(|s| s.container_statuses.as_ref())
                .into_iter()
                .flatten()
                .filter_map(|c| c.state.as_ref()?.running.as_ref())
                .any(|r| {
                    r.started_at
                        .as_ref()
                        .is_none_or(|t| sim_time_of(&t.0).as_nanos() / 1_000_000_000 >= boot_s)
                });
        if running == self.running {
            return;
        }
        self.running = running;
        if running {
            // A starting proxier syncs everything at once, outside the
            // runner, once its informers have synced.
            self.sync(ctx);
        }
    }
}

impl Component for KubeProxy {
    fn role(&self) -> Role {
        Role::KubeProxy(self.node.clone())
    }

    fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.watch_all(ctx);
    }

    fn on_watch(&mut self, ctx: &mut Ctx<'_>, event: &WatchEvent) {
        match event.object.kind() {
            Kind::Pod => self.own_pod(ctx, event),
            Kind::Service | Kind::EndpointSlice => self.request_sync(ctx),
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_>, tag: Tag) {
        if tag.space() != Some(ProxyTag::Sync) {
            return;
        }
        self.sync_pending = false;
        if self.dirty {
            self.request_sync(ctx);
        }
    }

    fn on_fault(&mut self, ctx: &mut Ctx<'_>, fault: &ComponentFault) {
        match fault {
            ComponentFault::Restart { crashed } => {
                // A new process (its pod's state is read again from the
                // watch); a node that lost power lost its rules too.
                self.running = false;
                self.dirty = false;
                self.sync_pending = false;
                if *crashed {
                    self.rules = None;
                    self.booted_at = ctx.now();
                }
            }
            // The cluster dropped the watches; `start` is not called, so
            // watch again: the relist brings every object (and a sync).
            ComponentFault::Resync => self.watch_all(ctx),
            _ => {}
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runner_allows_two_syncs_back_to_back_then_one_a_period() {
        let period = SimDuration::from_secs(1);
        let t = |ms| SimTime::ZERO + SimDuration::from_millis(ms);
        let mut r = SyncRunner::default();
        assert_eq!(r.take(t(0), period), Ok(()));
        assert_eq!(r.take(t(0), period), Ok(()));
        assert_eq!(r.take(t(0), period), Err(SimDuration::from_secs(1)));
        assert_eq!(r.take(t(400), period), Err(SimDuration::from_millis(600)));
        assert_eq!(r.take(t(1000), period), Ok(()));
        assert_eq!(r.take(t(1500), period), Err(SimDuration::from_millis(500)));
        // Idle: the bucket fills again, two at once.
        assert_eq!(r.take(t(10_000), period), Ok(()));
        assert_eq!(r.take(t(10_000), period), Ok(()));
        assert!(r.take(t(10_001), period).is_err());
    }
}
