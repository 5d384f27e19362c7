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

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use sim_scenarios::RunOptions;

fn scenario(rel: &str) -> sim_scenarios::Scenario {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel);
    sim_scenarios::load(&path).unwrap_or_else(|e| panic!("shipped scenario {rel} is invalid: {e}"))
}

fn run(s: &sim_scenarios::Scenario) -> usize {
    let result = sim_scenarios::run(s, &RunOptions::default(), &mut std::io::sink())
        .expect("writing to a sink cannot fail");
    assert!(result.success(), "the scenario's expectations must hold");
    result.passed
}

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
