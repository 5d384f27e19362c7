//! Attachable volumes: a claim bound to a disk of the disk service
//! (`csi`, driver disk.csi.kubesim.io) is attached by the attach/detach
//! controller to the node of the pod that uses it, through a
//! VolumeAttachment the driver's attacher marks attached, and listed in the
//! node's `status.volumesAttached` before the kubelet mounts it. A
//! ReadWriteOnce disk goes to one node at a time (the Multi-Attach error);
//! a ReadWriteMany one is left to the driver, which refuses a second node. A disk stays attached while its node
//! lists it in use: on a dead node until six minutes after its detach was
//! first wanted, or at once with the out-of-service taint. A property test
//! drives random pods, deletions, crashes, power-ons and out-of-service
//! taints and checks after every event that a ReadWriteOnce disk never has
//! attachments on two nodes (the invariant checker's rule), and that it is
//! detached everywhere once every pod is gone.

use serde_json::{json, Value};
use sim_core::api::{Kind, ObjectKey};
use sim_core::apiserver::{DeleteOptions, Request};
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::Cluster;
use sim_core::components::Role;
use sim_core::config::ClusterConfig;
use sim_core::storage::disks::DiskConfig;
use sim_core::trace::Trace;
use sim_core::{SimDuration, SimTime};

mod common;

use common::{at, create, exec_in};

const UNIQUE: &str = "kubernetes.io/csi/disk.csi.kubesim.io^d1";

fn cluster(workers: usize) -> Cluster {
    let mut config = ClusterConfig::kubeadm(workers);
    config.disks = vec![DiskConfig { id: "d1".into() }];
    let mut c = kubeadm_cluster(config, 61, Trace::new());
    c.run_until(at(10)).unwrap();
    c
}

/// A volume on disk `handle` with access `mode`, and a claim `data`
/// bound to it by name.
fn disk_and_claim(c: &mut Cluster, handle: &str, mode: &str) {
    create(
        c,
        Kind::PersistentVolume,
        json!({"apiVersion": "v1", "kind": "PersistentVolume",
               "metadata": {"name": "data-pv"},
               "spec": {"capacity": {"storage": "5Gi"}, "accessModes": [mode],
                        "storageClassName": "",
                        "csi": {"driver": "disk.csi.kubesim.io", "volumeHandle": handle}}}),
    );
    create(
        c,
        Kind::PersistentVolumeClaim,
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": {"name": "data", "namespace": "default"},
               "spec": {"accessModes": [mode], "storageClassName": "", "volumeName": "data-pv",
                        "resources": {"requests": {"storage": "5Gi"}}}}),
    );
}

fn pod(c: &mut Cluster, name: &str, node: &str) {
    let v: Value = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"nodeSelector": {"kubernetes.io/hostname": node},
                 "containers": [{"name": "nginx", "image": "nginx",
                                 "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                 "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]}});
    create(c, Kind::Pod, v);
}

fn phase(c: &Cluster, name: &str) -> String {
    c.etcd()
        .get(Kind::Pod, "default", name)
        .map(|p| {
            p.to_json()["status"]["phase"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default()
}

/// (node, attached, being deleted) of each VolumeAttachment, by node.
fn attachments(c: &Cluster) -> Vec<(String, bool, bool)> {
    let mut v: Vec<(String, bool, bool)> = c
        .etcd()
        .list(Kind::VolumeAttachment, None)
        .iter()
        .map(|o| {
            let j = o.to_json();
            (
                j["spec"]["nodeName"].as_str().unwrap_or("").to_owned(),
                j["status"]["attached"] == true,
                o.meta().deletion_timestamp.is_some(),
            )
        })
        .collect();
    v.sort();
    v
}

fn node_list(c: &Cluster, node: &str, field: &str) -> Vec<String> {
    let n = c.etcd().get(Kind::Node, "", node).unwrap().to_json();
    n["status"][field]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v.as_str().or(v["name"].as_str()).unwrap_or("").to_owned())
        .collect()
}

/// The messages of the events of `reason` about pod `name`.
fn events(c: &Cluster, name: &str, reason: &str) -> Vec<String> {
    common::event_messages(c, name, reason)
}

fn force_delete(c: &mut Cluster, name: &str) {
    c.request(
        "test",
        Request::Delete {
            key: ObjectKey::new(Kind::Pod, "default", name),
            options: DeleteOptions {
                grace_period_secs: Some(0),
                ..Default::default()
            },
        },
    )
    .expect("deleted");
}

/// Runs in steps of 100 ms until `done` holds (or `limit` passes); the
/// instant it first held.
fn run_until(
    c: &mut Cluster,
    limit: SimDuration,
    mut done: impl FnMut(&Cluster) -> bool,
) -> Option<SimTime> {
    let end = c.now() + limit;
    while c.now() < end {
        if done(c) {
            return Some(c.now());
        }
        let next = c.now() + SimDuration::from_millis(100);
        c.run_until(next).unwrap();
    }
    done(c).then(|| c.now())
}

#[test]
fn a_read_write_once_disk_goes_to_one_node_and_moves_when_its_pod_goes() {
    let mut c = cluster(2);
    disk_and_claim(&mut c, "d1", "ReadWriteOnce");
    pod(&mut c, "a", "worker-1");
    c.run_until(at(40)).unwrap();
    assert_eq!(phase(&c, "a"), "Running");
    assert_eq!(attachments(&c), vec![("worker-1".to_owned(), true, false)]);
    assert_eq!(node_list(&c, "worker-1", "volumesAttached"), vec![UNIQUE]);
    assert_eq!(node_list(&c, "worker-1", "volumesInUse"), vec![UNIQUE]);
    assert_eq!(
        events(&c, "a", "SuccessfulAttachVolume"),
        vec!["AttachVolume.Attach succeeded for volume \"data-pv\" "]
    );
    let (out, _, status) = exec_in(
        &mut c,
        "a",
        "nginx",
        &[
            "sh",
            "-c",
            "echo kept > /data/f; df /data; mount | grep /data",
        ],
    );
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("/dev/sdb") && out.contains("5242880"), "{out}");
    assert!(
        out.contains("/dev/sdb on /data type ext4 (rw,relatime)"),
        "{out}"
    );

    // A second pod on the other node waits, with the real message.
    pod(&mut c, "b", "worker-2");
    c.run_until(at(70)).unwrap();
    assert_eq!(phase(&c, "b"), "Pending");
    assert_eq!(
        events(&c, "b", "FailedAttachVolume"),
        vec!["Multi-Attach error for volume \"data-pv\" Volume is already used by pod(s) a"],
        "reported once"
    );
    assert_eq!(attachments(&c).len(), 1);

    // The first pod goes: its kubelet unmounts and stops listing the disk
    // in use, the disk is detached and attached to the other node.
    common::delete(&mut c, Kind::Pod, "default", "a");
    let moved = run_until(&mut c, SimDuration::from_secs(60), |c| {
        attachments(c) == vec![("worker-2".to_owned(), true, false)]
    });
    assert!(moved.is_some(), "attachments: {:?}", attachments(&c));
    assert!(node_list(&c, "worker-1", "volumesAttached").is_empty());
    let running = run_until(&mut c, SimDuration::from_secs(180), |c| {
        phase(c, "b") == "Running"
    });
    assert!(running.is_some());
    let (out, _, _) = exec_in(&mut c, "b", "nginx", &["cat", "/data/f"]);
    assert_eq!(out, "kept\n", "the data is on the disk");
}

#[test]
fn a_read_write_many_volume_is_left_to_the_driver_which_refuses_a_second_node() {
    // The controller allows a ReadWriteMany volume on several nodes and
    // asks the driver; a block disk attaches to one node, so the driver's
    // error is what the second pod shows (not the Multi-Attach error).
    let mut c = cluster(2);
    disk_and_claim(&mut c, "d1", "ReadWriteMany");
    pod(&mut c, "a", "worker-1");
    c.run_until(at(40)).unwrap();
    pod(&mut c, "b", "worker-2");
    c.run_until(at(70)).unwrap();
    assert_eq!(
        attachments(&c),
        vec![
            ("worker-1".to_owned(), true, false),
            ("worker-2".to_owned(), false, false)
        ]
    );
    assert_eq!(
        events(&c, "b", "FailedAttachVolume"),
        vec!["AttachVolume.Attach failed for volume \"data-pv\" : rpc error: code = FailedPrecondition desc = disk d1 is attached to node worker-1"]
    );
}

#[test]
fn a_disk_the_service_does_not_have_fails_to_attach_with_the_drivers_error() {
    let mut c = cluster(1);
    disk_and_claim(&mut c, "nope", "ReadWriteOnce");
    pod(&mut c, "a", "worker-1");
    c.run_until(at(60)).unwrap();
    assert_eq!(phase(&c, "a"), "Pending");
    assert_eq!(
        events(&c, "a", "FailedAttachVolume"),
        vec!["AttachVolume.Attach failed for volume \"data-pv\" : rpc error: code = NotFound desc = disk nope not found"]
    );
    assert_eq!(attachments(&c), vec![("worker-1".to_owned(), false, false)]);
}

/// A pod on worker-1 with the disk, then worker-1's kubelet dies and the
/// pod is deleted by force: (cluster, the instant of the deletion).
fn dead_node_with_disk() -> (Cluster, SimTime) {
    let mut c = cluster(2);
    disk_and_claim(&mut c, "d1", "ReadWriteOnce");
    pod(&mut c, "a", "worker-1");
    c.run_until(at(40)).unwrap();
    assert_eq!(phase(&c, "a"), "Running");
    assert!(c.set_running(&Role::Kubelet("worker-1".into()), false));
    // The node controller marks it NotReady after its grace period.
    c.run_until(at(120)).unwrap();
    force_delete(&mut c, "a");
    pod(&mut c, "b", "worker-2");
    (c, at(120))
}

#[test]
fn a_disk_on_a_dead_node_is_force_detached_six_minutes_after_its_pod_went() {
    let (mut c, deleted) = dead_node_with_disk();
    c.run_until(deleted + SimDuration::from_secs(10)).unwrap();
    assert_eq!(
        events(&c, "b", "FailedAttachVolume"),
        vec!["Multi-Attach error for volume \"data-pv\" Volume is already exclusively attached to one node and can't be attached to another"],
        "no pod holds it any more"
    );
    let detached = run_until(&mut c, SimDuration::from_secs(420), |c| {
        attachments(c)
            .iter()
            .all(|(n, _, gone)| n != "worker-1" || *gone)
    })
    .expect("force-detached");
    let waited = detached.saturating_since(deleted);
    assert!(
        waited > SimDuration::from_secs(360) && waited < SimDuration::from_secs(362),
        "detached {waited:?} after the deletion"
    );
    let running = run_until(&mut c, SimDuration::from_secs(180), |c| {
        phase(c, "b") == "Running"
    });
    assert!(running.is_some(), "b runs on worker-2 once the disk moved");
}

#[test]
fn the_out_of_service_taint_lets_the_disk_go_at_once() {
    let mut c = cluster(2);
    disk_and_claim(&mut c, "d1", "ReadWriteOnce");
    pod(&mut c, "a", "worker-1");
    c.run_until(at(40)).unwrap();
    assert!(c.set_running(&Role::Kubelet("worker-1".into()), false));
    c.run_until(at(120)).unwrap();
    // A graceful delete: the pod stays Terminating (no kubelet confirms).
    common::delete(&mut c, Kind::Pod, "default", "a");
    pod(&mut c, "b", "worker-2");
    c.run_until(at(180)).unwrap();
    assert!(
        c.etcd().get(Kind::Pod, "default", "a").is_some(),
        "still Terminating"
    );
    assert_eq!(attachments(&c)[0].0, "worker-1");
    let mut node = c.etcd().get(Kind::Node, "", "worker-1").unwrap().to_json();
    node["spec"]["taints"]
        .as_array_mut()
        .unwrap()
        .push(json!({"key": "node.kubernetes.io/out-of-service", "value": "nodeshutdown", "effect": "NoExecute"}));
    let node = Kind::Node.decode(&node).unwrap();
    c.request("test", Request::Update(node)).expect("tainted");
    // The pod GC deletes the stuck pod at its next pass (20 s); the disk is
    // detached at once, without the six-minute wait.
    let gone = run_until(&mut c, SimDuration::from_secs(30), |c| {
        c.etcd().get(Kind::Pod, "default", "a").is_none()
    });
    assert!(gone.is_some(), "pod GC deleted the terminating pod");
    let moved = run_until(&mut c, SimDuration::from_secs(30), |c| {
        attachments(c) == vec![("worker-2".to_owned(), true, false)]
    });
    assert!(moved.is_some(), "attachments: {:?}", attachments(&c));
}

/// One step of the property test, on worker `node` (0-based) or the
/// `pod`-th pod made so far.
#[derive(Clone, Debug)]
enum Op {
    CreatePod { node: usize },
    DeletePod { pod: usize, force: bool },
    Crash { node: usize },
    PowerOn { node: usize },
    OutOfService { node: usize },
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    let node = 0..3usize;
    prop_oneof![
        3 => node.clone().prop_map(|node| Op::CreatePod { node }),
        2 => (0..6usize, any::<bool>()).prop_map(|(pod, force)| Op::DeletePod { pod, force }),
        1 => node.clone().prop_map(|node| Op::Crash { node }),
        1 => node.clone().prop_map(|node| Op::PowerOn { node }),
        1 => node.prop_map(|node| Op::OutOfService { node }),
    ]
}

fn apply(c: &mut Cluster, op: &Op, made: &mut usize) {
    use sim_core::faults::{Fault, FaultKind};
    let worker = |n: usize| format!("worker-{}", n + 1);
    match op {
        Op::CreatePod { node } => {
            pod(c, &format!("p{made}"), &worker(*node));
            *made += 1;
        }
        Op::DeletePod { pod, force } => {
            let name = format!("p{pod}");
            if c.etcd().get(Kind::Pod, "default", &name).is_some() {
                if *force {
                    force_delete(c, &name);
                } else {
                    common::delete(c, Kind::Pod, "default", &name);
                }
            }
        }
        Op::Crash { node } => {
            let _ = c.inject_fault(Fault {
                kind: FaultKind::NodeCrash {
                    node: worker(*node),
                },
                duration: None,
            });
        }
        Op::PowerOn { node } => {
            let _ = c.inject_fault(Fault {
                kind: FaultKind::NodePowerOn {
                    node: worker(*node),
                },
                duration: None,
            });
        }
        Op::OutOfService { node } => {
            let mut n = c
                .etcd()
                .get(Kind::Node, "", &worker(*node))
                .unwrap()
                .to_json();
            let taints = n["spec"]["taints"].as_array().cloned().unwrap_or_default();
            if !taints
                .iter()
                .any(|t| t["key"] == "node.kubernetes.io/out-of-service")
            {
                let mut taints = taints;
                taints.push(
                    json!({"key": "node.kubernetes.io/out-of-service", "effect": "NoExecute"}),
                );
                n["spec"]["taints"] = json!(taints);
                let _ = c.request("test", Request::Update(Kind::Node.decode(&n).unwrap()));
            }
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 12,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_d15c),
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Whatever pods come and go and whatever nodes die: a ReadWriteOnce
    /// disk never has attachments on two nodes (checked after every event by
    /// the invariant checker), and once every pod is gone and every node is
    /// back, it is detached everywhere within the six-minute force-detach
    /// wait and a sync or two.
    #[test]
    fn a_read_write_once_disk_is_never_attached_twice_and_is_freed_at_the_end(
        ops in proptest::collection::vec((op(), 5..240u64), 2..10)
    ) {
        let mut c = cluster(3);
        disk_and_claim(&mut c, "d1", "ReadWriteOnce");
        let mut checker = sim_core::invariants::InvariantChecker::new();
        let mut made = 0;
        for (op, secs) in &ops {
            apply(&mut c, op, &mut made);
            let until = c.now() + SimDuration::from_secs(*secs);
            if let Err(e) = checker.run_until(&mut c, until) {
                proptest::prop_assert!(false, "{e} after {ops:?}");
            }
        }
        for i in 0..made {
            apply(&mut c, &Op::DeletePod { pod: i, force: true }, &mut made.clone());
        }
        for node in 0..3 {
            apply(&mut c, &Op::PowerOn { node }, &mut made.clone());
        }
        let until = c.now() + SimDuration::from_secs(360 + 120);
        if let Err(e) = checker.run_until(&mut c, until) {
            proptest::prop_assert!(false, "{e} after {ops:?}");
        }
        proptest::prop_assert!(
            attachments(&c).is_empty(),
            "still attached: {:?} after {:?}", attachments(&c), ops
        );
    }
}

#[test]
fn a_default_class_of_the_driver_provisions_a_disk_for_the_pods_node_and_deletes_it_after() {
    let mut c = cluster(2);
    create(
        &mut c,
        Kind::StorageClass,
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
               "metadata": {"name": "standard",
                            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
               "provisioner": "disk.csi.kubesim.io", "reclaimPolicy": "Delete",
               "volumeBindingMode": "WaitForFirstConsumer"}),
    );
    create(
        &mut c,
        Kind::PersistentVolumeClaim,
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": {"name": "data", "namespace": "default"},
               "spec": {"accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "3Gi"}}}}),
    );
    c.run_until(at(30)).unwrap();
    assert!(
        c.etcd().list(Kind::PersistentVolume, None).is_empty(),
        "nothing is provisioned before a pod needs the claim"
    );
    pod(&mut c, "db", "worker-2");
    let running = run_until(&mut c, SimDuration::from_secs(120), |c| {
        phase(c, "db") == "Running"
    });
    assert!(running.is_some());
    let claim = c
        .etcd()
        .get(Kind::PersistentVolumeClaim, "default", "data")
        .unwrap()
        .to_json();
    let uid = claim["metadata"]["uid"].as_str().unwrap().to_owned();
    let name = format!("pvc-{uid}");
    assert_eq!(claim["spec"]["volumeName"], name.as_str());
    assert_eq!(
        claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"],
        "worker-2"
    );
    let pv = c
        .etcd()
        .get(Kind::PersistentVolume, "", &name)
        .unwrap()
        .to_json();
    assert_eq!(pv["spec"]["csi"]["volumeHandle"], name.as_str());
    assert_eq!(pv["spec"]["csi"]["fsType"], "ext4");
    assert_eq!(pv["spec"]["persistentVolumeReclaimPolicy"], "Delete");
    assert_eq!(pv["spec"]["capacity"]["storage"], "3Gi");
    assert_eq!(
        pv["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"],
        "disk.csi.kubesim.io"
    );
    assert_eq!(attachments(&c), vec![("worker-2".to_owned(), true, false)]);
    let (out, _, _) = exec_in(&mut c, "db", "nginx", &["ls", "/data"]);
    assert_eq!(out, "lost+found\n", "a freshly made disk");
    let reasons: Vec<String> = c
        .etcd()
        .list(Kind::Event, Some("default"))
        .iter()
        .map(|e| e.to_json())
        .filter(|e| e["involvedObject"]["name"] == "data")
        .map(|e| e["reason"].as_str().unwrap_or("").to_owned())
        .collect();
    for r in [
        "WaitForFirstConsumer",
        "ExternalProvisioning",
        "Provisioning",
        "ProvisioningSucceeded",
    ] {
        assert!(reasons.iter().any(|x| x == r), "{r} in {reasons:?}");
    }
    // Pod and claim go: the disk is detached, then deleted with the volume.
    common::delete(&mut c, Kind::Pod, "default", "db");
    common::delete(&mut c, Kind::PersistentVolumeClaim, "default", "data");
    let gone = run_until(&mut c, SimDuration::from_secs(90), |c| {
        c.etcd().get(Kind::PersistentVolume, "", &name).is_none() && attachments(c).is_empty()
    });
    assert!(gone.is_some(), "the volume and its attachment are gone");
}

#[test]
fn a_driver_nobody_runs_leaves_the_pod_waiting_with_the_attachers_timeout() {
    let mut c = cluster(1);
    create(
        &mut c,
        Kind::PersistentVolume,
        json!({"apiVersion": "v1", "kind": "PersistentVolume",
               "metadata": {"name": "data-pv"},
               "spec": {"capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteOnce"],
                        "storageClassName": "",
                        "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-0abc"}}}),
    );
    create(
        &mut c,
        Kind::PersistentVolumeClaim,
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": {"name": "data", "namespace": "default"},
               "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "",
                        "volumeName": "data-pv", "resources": {"requests": {"storage": "5Gi"}}}}),
    );
    pod(&mut c, "a", "worker-1");
    c.run_until(at(100)).unwrap();
    assert_eq!(attachments(&c), vec![("worker-1".to_owned(), false, false)]);
    assert!(
        events(&c, "a", "FailedAttachVolume").is_empty(),
        "not before two minutes"
    );
    c.run_until(at(180)).unwrap();
    assert_eq!(phase(&c, "a"), "Pending");
    assert_eq!(
        events(&c, "a", "FailedAttachVolume"),
        vec!["AttachVolume.Attach failed for volume \"data-pv\" : timed out waiting for external-attacher of ebs.csi.aws.com CSI driver to attach volume vol-0abc"]
    );
}
