//! The event-loop benchmark: how many trivial events per second the pending-
//! event set sustains on one core (target: at least 10 million).
//!
//! `steady_state` keeps 1,000 events pending and, for each event popped,
//! schedules one more at a pseudo-random later time, as a running simulation
//! does. `burst` schedules a batch and drains it. `with_cancellation` resets
//! every tenth timer, as lease renewals and backoffs do.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sim_core::event_queue::EventQueue;
use sim_core::time::{SimDuration, SimTime};

const EVENTS: u64 = 1_000_000;

/// A tiny deterministic generator for event delays (xorshift).
fn next_delay(state: &mut u64) -> SimDuration {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    SimDuration::from_nanos(*state % 1_000_000)
}

fn steady_state(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_loop");
    group.throughput(Throughput::Elements(EVENTS));
    group.bench_function("steady_state_1k_pending", |b| {
        b.iter_batched(
            || {
                let mut q: EventQueue<u64> = EventQueue::with_capacity(2048);
                let mut s = 0x9e37_79b9_7f4a_7c15_u64;
                for i in 0..1000 {
                    q.schedule_at(SimTime::ZERO + next_delay(&mut s), i);
                }
                (q, s)
            },
            |(mut q, mut s)| {
                let mut sum = 0u64;
                for _ in 0..EVENTS {
                    let (_, _, e) = q.pop().expect("the queue never empties");
                    sum = sum.wrapping_add(e);
                    q.schedule_after(next_delay(&mut s), e + 1);
                }
                sum
            },
            BatchSize::LargeInput,
        );
    });
    group.bench_function("burst_schedule_then_drain", |b| {
        b.iter(|| {
            let mut q: EventQueue<u64> = EventQueue::with_capacity(EVENTS as usize);
            let mut s = 0x9e37_79b9_7f4a_7c15_u64;
            for i in 0..EVENTS {
                q.schedule_at(SimTime::ZERO + next_delay(&mut s), i);
            }
            let mut sum = 0u64;
            while let Some((_, _, e)) = q.pop() {
                sum = sum.wrapping_add(e);
            }
            sum
        });
    });
    group.bench_function("steady_state_with_cancellation", |b| {
        b.iter_batched(
            || {
                let mut q: EventQueue<u64> = EventQueue::with_capacity(2048);
                let mut s = 0x9e37_79b9_7f4a_7c15_u64;
                let ids: Vec<_> = (0..1000)
                    .map(|i| q.schedule_at(SimTime::ZERO + next_delay(&mut s), i))
                    .collect();
                (q, s, ids)
            },
            |(mut q, mut s, mut ids)| {
                let mut sum = 0u64;
                for n in 0..EVENTS {
                    let Some((_, _, e)) = q.pop() else { break };
                    sum = sum.wrapping_add(e);
                    let id = q.schedule_after(next_delay(&mut s), e + 1);
                    let slot = (n % 1000) as usize;
                    if n % 10 == 0 {
                        q.cancel(ids[slot]);
                        ids[slot] = q.schedule_after(next_delay(&mut s), e);
                    } else {
                        ids[slot] = id;
                    }
                }
                sum
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

criterion_group!(benches, steady_state);
criterion_main!(benches);
