//! Whole-cluster benchmarks: wall time of shipped scenarios run end to end in
//! virtual time (no output), measured with criterion.
//!
//! `perf_100_nodes_1067_pods` is the size of a published cross-simulator
//! benchmark (100 nodes, 1,067 pods); the target is well under a second.

mod common;

use common::{run, scenario};
use criterion::{criterion_group, criterion_main, Criterion};

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
