//! The pending-event set: events ordered by (virtual time, sequence number), with cancellation.
//!
//! This is the heart of the discrete-event engine. Every event is scheduled at an
//! absolute [`SimTime`] and receives a sequence number from a single counter, so
//! events scheduled for the same instant pop in the order they were scheduled
//! (FIFO). Cancellation (a timer that is reset, a lease renewal that is replaced)
//! is exact: a slot in a slab is freed and the heap entry is skipped when it
//! surfaces, so a cancelled event never runs and cancelling costs O(1).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::{SimDuration, SimTime};

/// Identifies one scheduled event so that it can be cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId {
    slot: u32,
    seq: u64,
}

impl EventId {
    /// The sequence number this event got when it was scheduled.
    pub fn seq(self) -> u64 {
        self.seq
    }
}

#[derive(Debug)]
struct HeapEntry {
    at: SimTime,
    seq: u64,
    slot: u32,
}

impl PartialEq for HeapEntry {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at && self.seq == other.seq
    }
}
impl Eq for HeapEntry {}
impl PartialOrd for HeapEntry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for HeapEntry {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: the earliest (time, seq) must compare greatest.
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// The pending-event set of one simulation run.
///
/// `E` is the event payload. The queue also owns the clock: [`EventQueue::now`]
/// is the time of the event most recently popped, and it never goes backwards.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<HeapEntry>,
    slots: Vec<Option<(u64, E)>>,
    free_slots: Vec<u32>,
    next_seq: u64,
    now: SimTime,
    live: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue with the clock at zero.
    pub fn new() -> Self {
        Self::with_capacity(1024)
    }

    /// An empty queue with room for `capacity` pending events before it grows.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(capacity),
            slots: Vec::with_capacity(capacity),
            free_slots: Vec::new(),
            next_seq: 0,
            now: SimTime::ZERO,
            live: 0,
        }
    }

    /// The current virtual time: the time of the last event popped.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Number of pending (not cancelled) events.
    pub fn len(&self) -> usize {
        self.live
    }

    /// True when no event is pending.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Schedules `event` at absolute time `at`.
    ///
    /// # Panics
    /// When `at` is before now: nothing may be scheduled in the past.
    pub fn schedule_at(&mut self, at: SimTime, event: E) -> EventId {
        assert!(
            at >= self.now,
            "an event scheduled at {at}, before the current time {}",
            self.now
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some((seq, event));
                slot
            }
            None => {
                self.slots.push(Some((seq, event)));
                u32::try_from(self.slots.len() - 1).expect("more than 4 billion pending events")
            }
        };
        self.heap.push(HeapEntry { at, seq, slot });
        self.live += 1;
        EventId { slot, seq }
    }

    /// Schedules `event` after `delay` from now.
    pub fn schedule_after(&mut self, delay: SimDuration, event: E) -> EventId {
        self.schedule_at(self.now + delay, event)
    }

    /// Cancels a pending event. Returns false if it already ran or was cancelled.
    pub fn cancel(&mut self, id: EventId) -> bool {
        match self.slots.get_mut(id.slot as usize) {
            Some(entry @ Some(_)) if entry.as_ref().map(|(s, _)| *s) == Some(id.seq) => {
                *entry = None;
                self.free_slots.push(id.slot);
                self.live -= 1;
                true
            }
            _ => false,
        }
    }

    /// True when `id` is still pending.
    pub fn is_pending(&self, id: EventId) -> bool {
        matches!(self.slots.get(id.slot as usize), Some(Some((seq, _))) if *seq == id.seq)
    }

    /// The time of the next pending event, if any.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.skip_cancelled();
        self.heap.peek().map(|e| e.at)
    }

    /// Removes the next event and advances the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, EventId, E)> {
        self.skip_cancelled();
        let Some(entry) = self.heap.pop() else {
            debug_assert_eq!(self.live, 0, "pending events without heap entries");
            return None;
        };
        let (seq, event) = self.slots[entry.slot as usize]
            .take()
            .expect("the heap's first live entry has its slot");
        debug_assert_eq!(seq, entry.seq, "a heap entry names another event's slot");
        self.free_slots.push(entry.slot);
        self.live -= 1;
        self.now = entry.at;
        Some((
            entry.at,
            EventId {
                slot: entry.slot,
                seq,
            },
            event,
        ))
    }

    /// Advances the clock to `t` without running anything (used when a run stops
    /// at a time limit between events). Never moves the clock backwards.
    pub fn advance_to(&mut self, t: SimTime) {
        self.now = self.now.max(t);
    }

    fn skip_cancelled(&mut self) {
        while let Some(top) = self.heap.peek() {
            match &self.slots[top.slot as usize] {
                Some((seq, _)) if *seq == top.seq => return,
                _ => {
                    self.heap.pop();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pops_in_time_order_and_fifo_at_equal_times() {
        let mut q = EventQueue::new();
        q.schedule_at(SimTime::from_nanos(5), "c");
        q.schedule_at(SimTime::from_nanos(1), "a");
        q.schedule_at(SimTime::from_nanos(5), "d");
        q.schedule_at(SimTime::from_nanos(1), "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, _, e)| e)).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
        assert_eq!(q.now(), SimTime::from_nanos(5));
    }

    #[test]
    fn cancelled_events_never_run() {
        let mut q = EventQueue::new();
        let a = q.schedule_at(SimTime::from_nanos(1), 1);
        let b = q.schedule_at(SimTime::from_nanos(2), 2);
        assert!(q.cancel(a));
        assert!(!q.cancel(a), "a second cancel is a no-op");
        assert_eq!(q.len(), 1);
        assert_eq!(q.pop().map(|(_, id, e)| (id, e)), Some((b, 2)));
        assert!(!q.cancel(b), "an event that ran cannot be cancelled");
        assert!(q.pop().is_none());
    }

    #[test]
    fn slot_reuse_does_not_confuse_cancellation() {
        let mut q = EventQueue::new();
        let a = q.schedule_at(SimTime::from_nanos(1), 1);
        q.pop();
        let b = q.schedule_at(SimTime::from_nanos(2), 2);
        assert!(
            !q.cancel(a),
            "stale id must not cancel the event now in its slot"
        );
        assert!(q.is_pending(b));
    }

    #[test]
    #[should_panic(expected = "before the current time")]
    fn nothing_is_scheduled_in_the_past() {
        let mut q = EventQueue::new();
        q.schedule_at(SimTime::from_nanos(10), 0);
        q.pop();
        q.schedule_at(SimTime::from_nanos(3), 1);
    }

    proptest! {
        /// Whatever is scheduled and cancelled, the survivors pop sorted by
        /// (time, scheduling order) and the clock never goes backwards.
        #[test]
        fn order_matches_a_stable_sort(ops in proptest::collection::vec((0u64..50, any::<bool>()), 0..200)) {
            let mut q = EventQueue::new();
            let mut expected = Vec::new();
            for (i, (t, cancel)) in ops.iter().enumerate() {
                let id = q.schedule_at(SimTime::from_nanos(*t), i);
                if *cancel { q.cancel(id); } else { expected.push((*t, i)); }
            }
            expected.sort();
            let got: Vec<_> = std::iter::from_fn(|| q.pop().map(|(t, _, e)| (t.as_nanos(), e))).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
