//! The scale workloads of issue 10 as criterion benchmarks: the shipped
//! scenarios `scenarios/perf/a-*`, `b-*` and `e-*` run end to end (the full
//! default scheduler profile, kubelets, leases, Events and every controller),
//! parsed once, output discarded.
//!
//! Each sample of `perf_b` takes seconds and one of `perf_e` most of a
//! minute (and gigabytes), so criterion's minimum of ten samples makes this
//! a long benchmark: pick one with `cargo bench --bench scale -- perf_a`.
//! The figures and the targets they are measured against are in
//! docs/performance.md; `c`, `d` and `f` are measured with `/usr/bin/time`
//! runs of the binary instead.

use std::time::Duration;

mod common;

use common::{run, scenario};
use criterion::{criterion_group, criterion_main, Criterion};

fn scale(c: &mut Criterion) {
    let mut group = c.benchmark_group("scale");
    group.sample_size(10);
    // Long samples: criterion's default 5 s window would ask for fewer
    // than ten; it takes ten and says so.
    group.measurement_time(Duration::from_secs(10));
    for (name, rel) in [
        ("perf_a", "scenarios/perf/a-100-nodes-1067-pods.yaml"),
        ("perf_b", "scenarios/perf/b-1000-nodes-10000-pods.yaml"),
        ("perf_e", "scenarios/perf/e-10-nodes-100000-pods.yaml"),
    ] {
        let s = scenario(rel);
        group.bench_function(name, |b| b.iter(|| run(&s)));
    }
    group.finish();
}

criterion_group!(benches, scale);
criterion_main!(benches);
