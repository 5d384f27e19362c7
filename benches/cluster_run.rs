//! Whole-cluster benchmarks: wall time of shipped scenarios run end to end in
//! virtual time (no output), measured with criterion.
//!
//! `perf_100_nodes_1067_pods` is the size of a published cross-simulator
//! benchmark (100 nodes, 1,067 pods); the target is well under a second.

use std::path::PathBuf;

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

fn cluster_run(c: &mut Criterion) {
    let mut group = c.benchmark_group("cluster_run");
    group.sample_size(10);
    let perf = scenario("scenarios/perf/100-nodes-1067-pods.yaml");
    group.bench_function("perf_100_nodes_1067_pods", |b| b.iter(|| run(&perf)));
    let pods = scenario("scenarios/course/2.3-pods.yaml");
    group.bench_function("course_2_3_pods", |b| b.iter(|| run(&pods)));
    group.finish();
}

criterion_group!(benches, cluster_run);
criterion_main!(benches);
