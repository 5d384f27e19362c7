//! Storage at scale: 100 workers and N pods, each with its own claim bound
//! to its own volume (a hostPath, or a disk attached through a
//! VolumeAttachment), built through the library API and run for ten
//! virtual minutes: binding, scheduling with claims, the kubelets' claim
//! watches, the PV controller's resyncs and, for disks, the attach/detach
//! controller and the driver. What a pod costs here must not grow with the
//! number of other pods (docs/performance.md, "Many claims").
//!
//! `cargo bench --bench storage`; one sample of `disks_1000` is a few
//! seconds.

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;
use sim_core::api::Kind;
use sim_core::apiserver::Request;
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::config::ClusterConfig;
use sim_core::storage::disks::DiskConfig;
use sim_core::trace::Trace;
use sim_core::{SimDuration, SimTime};

/// Builds the cluster with `n` pods and their claims, runs it ten virtual
/// minutes, and answers how many pods run.
fn run(n: usize, disks: bool) -> usize {
    let mut config = ClusterConfig::kubeadm(100);
    if disks {
        config.disks = (0..n)
            .map(|i| DiskConfig {
                id: format!("d-{i}"),
            })
            .collect();
    }
    let mut c = kubeadm_cluster(config, 1, Trace::new());
    c.run_until(SimTime::ZERO + SimDuration::from_secs(10))
        .expect("boots");
    for i in 0..n {
        let source = if disks {
            json!({"csi": {"driver": "disk.csi.kubesim.io", "volumeHandle": format!("d-{i}")}})
        } else {
            json!({"hostPath": {"path": format!("/mnt/d-{i}")}})
        };
        let mut spec = json!({"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                              "storageClassName": "",
                              "claimRef": {"namespace": "default", "name": format!("data-{i}")}});
        for (k, v) in source.as_object().expect("a mapping") {
            spec[k] = v.clone();
        }
        let objects = [
            (
                Kind::PersistentVolume,
                json!({"apiVersion": "v1", "kind": "PersistentVolume",
                "metadata": {"name": format!("pv-{i}")}, "spec": spec}),
            ),
            (
                Kind::PersistentVolumeClaim,
                json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": format!("data-{i}"), "namespace": "default"},
                "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "",
                         "volumeName": format!("pv-{i}"),
                         "resources": {"requests": {"storage": "1Gi"}}}}),
            ),
            (
                Kind::Pod,
                json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("db-{i}"), "namespace": "default"},
                "spec": {"containers": [{"name": "c", "image": "nginx"}],
                         "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": format!("data-{i}")}}]}}),
            ),
        ];
        for (kind, v) in objects {
            let obj = kind.decode(&v).expect("a valid object");
            c.request("bench", Request::Create(obj)).expect("created");
        }
    }
    c.run_until(SimTime::ZERO + SimDuration::from_secs(610))
        .expect("runs");
    c.etcd()
        .list(Kind::Pod, Some("default"))
        .iter()
        .filter(|p| p.to_json()["status"]["phase"] == "Running")
        .count()
}

fn storage(c: &mut Criterion) {
    let mut group = c.benchmark_group("storage");
    group.sample_size(10);
    for (name, n, disks) in [("host_path_1000", 1000, false), ("disks_1000", 1000, true)] {
        group.bench_function(name, |b| {
            b.iter(|| assert_eq!(run(n, disks), n, "every pod runs"));
        });
    }
    group.finish();
}

criterion_group!(benches, storage);
criterion_main!(benches);
