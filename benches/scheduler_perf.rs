//! kube-scheduler throughput on the workloads of the real scheduler_perf
//! suite (kubernetes/test/integration/scheduler_perf): pods scheduled per
//! second of wall time, the full default profile, binding through the
//! modelled API server, one thread.
//!
//! Reference thresholds of the real kube-scheduler (performance-config.yaml):
//! SchedulingBasic 5000Nodes_10000Pods (1,000 initial pods, then 10,000
//! measured): 680 pods/s; 5000Nodes_50000Pods (5,000 initial, 50,000
//! measured): 810 pods/s. SchedulingNodeAffinity and TopologySpreading use
//! the suite's own 5000Nodes parameters (5,000 initial pods, then 1,000 and
//! 2,000 measured pods). The scaling curve runs SchedulingBasic with 500,
//! 1,000, 5,000 and 10,000 nodes and two pods per node.
//!
//! Setup (creating the nodes and the initial pods through the API and
//! scheduling the initial pods, then creating the measured pods) is not
//! measured; the measured part runs until every measured pod is bound.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sim_core::scheduler_perf::{build, run_to_completion, Workload};

fn bench(
    c: &mut Criterion,
    group: &str,
    name: &str,
    workload: Workload,
    nodes: usize,
    initial_pods: usize,
    pods: usize,
) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.throughput(Throughput::Elements(pods as u64));
    g.bench_function(name, |b| {
        b.iter_batched(
            || build(workload, nodes, initial_pods, pods, 1),
            |(mut cluster, target)| {
                let (bound, _) = run_to_completion(&mut cluster, target);
                assert_eq!(bound, target, "every pod is bound");
                cluster
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

fn scheduler_perf(c: &mut Criterion) {
    bench(
        c,
        "scheduling_basic",
        "5000_nodes_10000_pods",
        Workload::SchedulingBasic,
        5000,
        1000,
        10_000,
    );
    bench(
        c,
        "scheduling_basic",
        "5000_nodes_50000_pods",
        Workload::SchedulingBasic,
        5000,
        5000,
        50_000,
    );
    bench(
        c,
        "node_affinity",
        "5000_nodes_5000_initial_1000_measured",
        Workload::NodeAffinity,
        5000,
        5000,
        1000,
    );
    bench(
        c,
        "topology_spreading",
        "5000_nodes_5000_initial_2000_measured",
        Workload::TopologySpreading,
        5000,
        5000,
        2000,
    );
}

fn scaling_curve(c: &mut Criterion) {
    for nodes in [500, 1_000, 5_000, 10_000] {
        bench(
            c,
            "scaling_curve",
            &format!("{nodes}_nodes_{}_pods", 2 * nodes),
            Workload::SchedulingBasic,
            nodes,
            0,
            2 * nodes,
        );
    }
}

criterion_group!(benches, scheduler_perf, scaling_curve);
criterion_main!(benches);
