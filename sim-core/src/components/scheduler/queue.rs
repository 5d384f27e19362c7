//! The scheduling queue (pkg/scheduler/backend/queue/scheduling_queue.go):
//! activeQ ordered by PrioritySort (higher priority first, then earlier queue
//! timestamp), backoffQ ordered by backoff expiry, and the unschedulable pool.
//!
//! Backoff is `initial × 2^(attempts−1)` capped at the maximum (1 s → 10 s by
//! default). Pods leave the unschedulable pool on a cluster event that may
//! make them schedulable, or after at most 5 minutes (checked every 30 s).
//!
//! activeQ is a binary heap of (key, pod id) whose entries stay behind when
//! a pod leaves it other than by being popped; `pop` skips those, so a pop
//! reads one contiguous array and no index beside it.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
use std::sync::Arc;

use super::pod_table::PodId;
use crate::api::Object;
use crate::time::{SimDuration, SimTime};

/// Where a queued pod is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// Ready to be scheduled.
    Active,
    /// Waiting out its backoff.
    Backoff,
    /// Failed and waiting for a cluster event.
    Unschedulable,
    /// Popped and being scheduled.
    InFlight,
}

/// A pod in the queue.
#[derive(Clone, Debug)]
pub(crate) struct QueuedPod {
    /// The latest pod object.
    pub pod: Arc<Object>,
    /// Scheduling attempts so far.
    pub attempts: u32,
    /// The queue timestamp (arrival, or the last failure).
    pub timestamp: SimTime,
    /// Where it is.
    pub place: Place,
    /// Arrival order, the final tie-breaker.
    pub seq: u64,
}

impl QueuedPod {
    /// Its activeQ key (a heap entry with another key is stale).
    fn active_key(&self) -> ActiveKey {
        (
            priority_of(&self.pod),
            Reverse(self.timestamp),
            Reverse(self.seq),
        )
    }
}

/// The queued pods in a vector indexed by [`PodId`] (ids are dense).
#[derive(Debug, Default)]
struct PodsById {
    slots: Vec<Option<QueuedPod>>,
}

impl PodsById {
    fn get(&self, id: &PodId) -> Option<&QueuedPod> {
        self.slots.get(*id as usize)?.as_ref()
    }

    fn get_mut(&mut self, id: &PodId) -> Option<&mut QueuedPod> {
        self.slots.get_mut(*id as usize)?.as_mut()
    }

    fn contains_key(&self, id: &PodId) -> bool {
        self.get(id).is_some()
    }

    fn insert(&mut self, id: PodId, pod: QueuedPod) {
        let i = id as usize;
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || None);
        }
        self.slots[i] = Some(pod);
    }

    fn remove(&mut self, id: &PodId) -> Option<QueuedPod> {
        self.slots.get_mut(*id as usize)?.take()
    }
}

/// activeQ priority: higher pod priority first, then earlier timestamp, then arrival.
type ActiveKey = (i32, Reverse<SimTime>, Reverse<u64>);

/// The three queues.
#[derive(Debug)]
pub(crate) struct SchedulingQueue {
    /// Every queued pod, by id.
    pods: PodsById,
    /// activeQ as a max-heap of (key, pod). A pod that leaves activeQ other
    /// than by `pop` leaves its entry behind; `pop` skips entries whose pod
    /// is no longer active under that key.
    active: BinaryHeap<(ActiveKey, PodId)>,
    /// Pods in activeQ.
    active_len: usize,
    backoff: BinaryHeap<Reverse<(SimTime, u64, PodId)>>,
    /// The unschedulable pool, so that moving it does not scan every pod.
    pool: BTreeSet<PodId>,
    initial_backoff: SimDuration,
    max_backoff: SimDuration,
    max_unschedulable: SimDuration,
    next_seq: u64,
}

fn priority_of(pod: &Object) -> i32 {
    pod.as_pod()
        .and_then(|p| p.spec.as_ref())
        .and_then(|s| s.priority)
        .unwrap_or(0)
}

impl SchedulingQueue {
    /// An empty queue with the given backoff settings.
    pub(crate) fn new(
        initial_backoff: SimDuration,
        max_backoff: SimDuration,
        max_unschedulable: SimDuration,
    ) -> Self {
        Self {
            pods: PodsById::default(),
            active: BinaryHeap::new(),
            active_len: 0,
            backoff: BinaryHeap::new(),
            pool: BTreeSet::new(),
            initial_backoff,
            max_backoff,
            max_unschedulable,
            next_seq: 0,
        }
    }

    /// True when activeQ has a pod.
    pub(crate) fn has_active(&self) -> bool {
        self.active_len > 0
    }

    /// Adds a new pod to activeQ, or refreshes the object of a known one.
    pub(crate) fn add_or_update(&mut self, id: PodId, pod: Arc<Object>, now: SimTime) {
        if let Some(q) = self.pods.get_mut(&id) {
            q.pod = pod;
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.pods.insert(
            id,
            QueuedPod {
                pod,
                attempts: 0,
                timestamp: now,
                place: Place::InFlight,
                seq,
            },
        );
        self.activate(id);
    }

    /// Moves a queued pod into activeQ.
    fn activate(&mut self, id: PodId) {
        let Some(q) = self.pods.get_mut(&id) else {
            return;
        };
        if q.place == Place::Active {
            return;
        }
        q.place = Place::Active;
        self.active.push((q.active_key(), id));
        self.active_len += 1;
    }

    /// Accounts a pod leaving activeQ other than by `pop` (its heap entry
    /// stays behind, stale).
    fn left_active(&mut self, was: Place) {
        if was == Place::Active {
            self.active_len -= 1;
            if self.active_len == 0 {
                // Every entry left is stale.
                self.active.clear();
            }
        }
    }

    /// Re-adds a pod that was popped before (its bind failed), keeping its attempts.
    pub(crate) fn add_with_attempts(
        &mut self,
        id: PodId,
        pod: Arc<Object>,
        now: SimTime,
        attempts: u32,
    ) {
        self.add_or_update(id, pod, now);
        self.pool.remove(&id);
        if let Some(q) = self.pods.get_mut(&id) {
            let was = std::mem::replace(&mut q.place, Place::InFlight);
            q.attempts = attempts;
            self.left_active(was);
        }
    }

    /// Forgets a pod (bound elsewhere, deleted).
    pub(crate) fn remove(&mut self, id: PodId) {
        if let Some(q) = self.pods.remove(&id) {
            self.pool.remove(&id);
            self.left_active(q.place);
        }
    }

    /// Pops the next pod to schedule.
    pub(crate) fn pop(&mut self) -> Option<(PodId, QueuedPod)> {
        while let Some((key, id)) = self.active.pop() {
            let Some(q) = self.pods.get_mut(&id) else {
                continue;
            };
            if q.place != Place::Active || q.active_key() != key {
                continue;
            }
            q.place = Place::InFlight;
            q.attempts += 1;
            let popped = q.clone();
            self.active_len -= 1;
            return Some((id, popped));
        }
        None
    }

    /// The backoff of a pod after `attempts` attempts.
    pub(crate) fn backoff_duration(&self, attempts: u32) -> SimDuration {
        if attempts == 0 {
            return SimDuration::ZERO;
        }
        let mut d = self.initial_backoff;
        for _ in 1..attempts {
            d = d.saturating_mul(2);
            if d >= self.max_backoff {
                return self.max_backoff;
            }
        }
        d.min(self.max_backoff)
    }

    /// A scheduling attempt failed: `unschedulable` pods go to the pool, errors to backoffQ.
    pub(crate) fn requeue_failed(&mut self, id: PodId, now: SimTime, unschedulable: bool) {
        let Some(attempts) = self.pods.get(&id).map(|q| q.attempts) else {
            return;
        };
        let backoff = self.backoff_duration(attempts);
        let Some(q) = self.pods.get_mut(&id) else {
            return;
        };
        q.timestamp = now;
        if unschedulable {
            q.place = Place::Unschedulable;
            self.pool.insert(id);
        } else {
            q.place = Place::Backoff;
            let expiry = now + backoff;
            self.backoff.push(Reverse((expiry, q.seq, id)));
        }
    }

    /// A cluster event that may make pods schedulable: every pod in the
    /// unschedulable pool moves to backoffQ, or activeQ if its backoff is over.
    pub(crate) fn move_all_unschedulable(&mut self, now: SimTime) {
        for id in std::mem::take(&mut self.pool) {
            self.move_out_of_pool(id, now);
        }
    }

    fn move_out_of_pool(&mut self, id: PodId, now: SimTime) {
        self.pool.remove(&id);
        let backoff = {
            let Some(q) = self.pods.get(&id) else { return };
            self.backoff_duration(q.attempts)
        };
        let Some(q) = self.pods.get_mut(&id) else {
            return;
        };
        let expiry = q.timestamp + backoff;
        if expiry <= now {
            self.activate(id);
        } else {
            q.place = Place::Backoff;
            self.backoff.push(Reverse((expiry, q.seq, id)));
        }
    }

    /// The 1 s backoff flush: pods whose backoff expired move to activeQ.
    pub(crate) fn flush_backoff(&mut self, now: SimTime) {
        while let Some(&Reverse((expiry, seq, id))) = self.backoff.peek() {
            if expiry > now {
                break;
            }
            self.backoff.pop();
            let Some(attempts) = self.pods.get(&id).map(|q| q.attempts) else {
                continue;
            };
            let backoff = self.backoff_duration(attempts);
            let Some(q) = self.pods.get_mut(&id) else {
                continue;
            };
            // A stale entry: the pod left backoff, or the id is another pod's now.
            if q.place != Place::Backoff || q.seq != seq || q.timestamp + backoff != expiry {
                continue;
            }
            self.activate(id);
        }
    }

    /// The 30 s check: pods in the pool longer than the maximum stay move out.
    pub(crate) fn flush_unschedulable_leftover(&mut self, now: SimTime) {
        let stale: Vec<PodId> = self
            .pool
            .iter()
            .copied()
            .filter(|id| {
                self.pods.get(id).is_some_and(|q| {
                    q.place == Place::Unschedulable
                        && now.saturating_since(q.timestamp) > self.max_unschedulable
                })
            })
            .collect();
        for id in stale {
            self.move_out_of_pool(id, now);
        }
    }

    /// True when the pod is queued (any place).
    pub(crate) fn contains(&self, id: PodId) -> bool {
        self.pods.contains_key(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Pod, PodSpec};

    fn pod(priority: i32) -> Arc<Object> {
        Arc::new(Object::from(Pod {
            spec: Some(PodSpec {
                priority: Some(priority),
                ..Default::default()
            }),
            ..Default::default()
        }))
    }

    fn q() -> SchedulingQueue {
        SchedulingQueue::new(
            SimDuration::from_secs(1),
            SimDuration::from_secs(10),
            SimDuration::from_mins(5),
        )
    }

    #[test]
    fn priority_then_arrival() {
        let mut q = q();
        let t = SimTime::ZERO;
        q.add_or_update(0, pod(0), t);
        q.add_or_update(1, pod(10), t);
        q.add_or_update(2, pod(0), t);
        let order: Vec<PodId> = std::iter::from_fn(|| q.pop().map(|(id, _)| id)).collect();
        assert_eq!(order, [1, 0, 2]);
    }

    #[test]
    fn pods_leaving_active_q_are_skipped_and_counted() {
        let mut q = q();
        let t = SimTime::ZERO;
        q.add_or_update(0, pod(10), t);
        q.add_or_update(1, pod(5), t);
        q.add_or_update(2, pod(0), t);
        q.remove(0);
        assert!(q.has_active());
        assert_eq!(
            q.pop().map(|(id, _)| id),
            Some(1),
            "the removed pod's entry is skipped"
        );
        // A pod put back after a failed bind is in flight, not active.
        q.add_with_attempts(1, pod(5), t, 1);
        assert_eq!(q.pop().map(|(id, _)| id), Some(2));
        assert!(!q.has_active());
        assert_eq!(q.pop().map(|(id, _)| id), None);
        // Re-added under the same id, it is active again once.
        q.remove(2);
        q.add_or_update(2, pod(0), t);
        assert_eq!(q.pop().map(|(id, _)| id), Some(2));
        assert_eq!(q.pop().map(|(id, _)| id), None);
    }

    #[test]
    fn backoff_doubles_to_the_cap() {
        let q = q();
        let secs: Vec<u64> = (1..=6).map(|a| q.backoff_duration(a).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 10, 10]);
    }

    #[test]
    fn unschedulable_pods_wait_for_an_event_or_five_minutes() {
        let mut q = q();
        q.add_or_update(0, pod(0), SimTime::ZERO);
        q.pop();
        q.requeue_failed(0, SimTime::ZERO, true);
        q.flush_backoff(SimTime::from_nanos(60_000_000_000));
        assert!(!q.has_active());
        q.flush_unschedulable_leftover(SimTime::from_nanos(301_000_000_000));
        assert!(q.has_active());
        q.pop();
        q.requeue_failed(0, SimTime::from_nanos(301_000_000_000), true);
        q.move_all_unschedulable(SimTime::from_nanos(301_500_000_000));
        assert!(!q.has_active(), "still within its 2 s backoff");
        q.flush_backoff(SimTime::from_nanos(303_000_000_000));
        assert!(q.has_active());
    }
}
