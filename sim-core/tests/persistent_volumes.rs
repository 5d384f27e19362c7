//! The PersistentVolume controller: the course's pool binds its 200Mi claim
//! to the 1Gi volume; claims wait with the real events; a claim naming its
//! volume binds to it; a deleted claim leaves its volume Released, then the
//! reclaim policy decides (Retain keeps it, Recycle frees it, Delete of a
//! static NFS volume fails); a class-less claim gets the default class once
//! one exists; a claim whose volume goes is Lost.

use serde_json::{json, Value};
use sim_core::api::Kind;
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::Cluster;
use sim_core::config::ClusterConfig;
use sim_core::trace::Trace;

mod common;

use common::{at, create, delete};

fn cluster() -> Cluster {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(1), 41, Trace::new());
    c.run_until(at(10)).unwrap();
    c
}

fn pv(name: &str, size: &str, policy: &str, class: Option<&str>) -> Value {
    let mut v = json!({"apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": name},
        "spec": {"capacity": {"storage": size}, "accessModes": ["ReadWriteMany"],
                 "persistentVolumeReclaimPolicy": policy,
                 "nfs": {"server": "192.168.11.101", "path": format!("/nfs/data/{name}")}}});
    if let Some(c) = class {
        v["spec"]["storageClassName"] = json!(c);
    }
    v
}

fn pvc(name: &str, size: &str, class: Option<&str>) -> Value {
    let mut v = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": size}}}});
    if let Some(c) = class {
        v["spec"]["storageClassName"] = json!(c);
    }
    v
}

fn get(c: &Cluster, kind: Kind, name: &str) -> Value {
    let ns = if kind == Kind::PersistentVolume {
        ""
    } else {
        "default"
    };
    c.etcd()
        .get(kind, ns, name)
        .map(|o| o.to_json())
        .unwrap_or(Value::Null)
}

fn phase(c: &Cluster, kind: Kind, name: &str) -> String {
    get(c, kind, name)["status"]["phase"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// (reason, message, count) of the Events about `name`.
fn events(c: &Cluster, name: &str) -> Vec<(String, String, i64)> {
    c.etcd()
        .list(Kind::Event, Some("default"))
        .iter()
        .map(|e| e.to_json())
        .filter(|e| e["involvedObject"]["name"] == name)
        .map(|e| {
            (
                e["reason"].as_str().unwrap_or_default().to_owned(),
                e["message"].as_str().unwrap_or_default().to_owned(),
                e["count"].as_i64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn the_course_pool_binds_the_200mi_claim_to_the_1gi_volume() {
    let mut c = cluster();
    for (name, size) in [
        ("pv01-10m", "10M"),
        ("pv02-1gi", "1Gi"),
        ("pv03-3gi", "3Gi"),
    ] {
        create(
            &mut c,
            Kind::PersistentVolume,
            pv(name, size, "Retain", Some("nfs")),
        );
    }
    c.run_until(at(11)).unwrap();
    for name in ["pv01-10m", "pv02-1gi", "pv03-3gi"] {
        assert_eq!(phase(&c, Kind::PersistentVolume, name), "Available");
    }
    create(
        &mut c,
        Kind::PersistentVolumeClaim,
        pvc("nginx-pvc", "200Mi", Some("nfs")),
    );
    c.run_until(at(12)).unwrap();
    let claim = get(&c, Kind::PersistentVolumeClaim, "nginx-pvc");
    assert_eq!(claim["status"]["phase"], "Bound");
    assert_eq!(claim["spec"]["volumeName"], "pv02-1gi");
    assert_eq!(claim["status"]["capacity"]["storage"], "1Gi");
    assert_eq!(claim["status"]["accessModes"], json!(["ReadWriteMany"]));
    assert_eq!(
        claim["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"],
        "yes"
    );
    let vol = get(&c, Kind::PersistentVolume, "pv02-1gi");
    assert_eq!(vol["status"]["phase"], "Bound");
    assert_eq!(vol["spec"]["claimRef"]["name"], "nginx-pvc");
    assert_eq!(vol["spec"]["claimRef"]["uid"], claim["metadata"]["uid"]);
    assert_eq!(
        vol["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"],
        "yes"
    );
    assert_eq!(phase(&c, Kind::PersistentVolume, "pv01-10m"), "Available");
}

#[test]
fn waiting_claims_say_why_and_repeat_it_every_resync() {
    let mut c = cluster();
    create(
        &mut c,
        Kind::PersistentVolumeClaim,
        pvc("plain", "1Gi", None),
    );
    create(
        &mut c,
        Kind::PersistentVolumeClaim,
        pvc("ghost", "1Gi", Some("gold")),
    );
    create(
        &mut c,
        Kind::StorageClass,
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
               "metadata": {"name": "nfs-client"},
               "provisioner": "k8s-sigs.io/nfs-subdir-external-provisioner"}),
    );
    create(
        &mut c,
        Kind::PersistentVolumeClaim,
        pvc("dynamic", "1Gi", Some("nfs-client")),
    );
    c.run_until(at(41)).unwrap();
    for name in ["plain", "ghost", "dynamic"] {
        assert_eq!(phase(&c, Kind::PersistentVolumeClaim, name), "Pending");
    }
    let plain = events(&c, "plain");
    assert_eq!(plain[0].0, "FailedBinding");
    assert_eq!(
        plain[0].1,
        "no persistent volumes available for this claim and no storage class is set"
    );
    // Synced again at 15 s and 30 s after the start of the controller.
    assert!(plain[0].2 >= 2, "{plain:?}");
    assert_eq!(
        events(&c, "ghost")[0].1,
        "storageclass.storage.k8s.io \"gold\" not found"
    );
    let dynamic = events(&c, "dynamic");
    assert_eq!(dynamic[0].0, "ExternalProvisioning");
    assert!(dynamic[0].1.starts_with("Waiting for a volume to be created either by the external provisioner 'k8s-sigs.io/nfs-subdir-external-provisioner' or manually by the system administrator."));
    let claim = get(&c, Kind::PersistentVolumeClaim, "dynamic");
    assert_eq!(
        claim["metadata"]["annotations"]["volume.kubernetes.io/storage-provisioner"],
        "k8s-sigs.io/nfs-subdir-external-provisioner"
    );
}

#[test]
fn a_claim_naming_its_volume_gets_it_or_waits() {
    let mut c = cluster();
    create(
        &mut c,
        Kind::PersistentVolume,
        pv("small", "1Gi", "Retain", None),
    );
    create(
        &mut c,
        Kind::PersistentVolume,
        pv("large", "5Gi", "Retain", None),
    );
    let mut mine = pvc("mine", "1Gi", Some(""));
    mine["spec"]["volumeName"] = json!("large");
    create(&mut c, Kind::PersistentVolumeClaim, mine);
    let mut greedy = pvc("greedy", "2Gi", Some(""));
    greedy["spec"]["volumeName"] = json!("small");
    create(&mut c, Kind::PersistentVolumeClaim, greedy);
    c.run_until(at(12)).unwrap();
    assert_eq!(phase(&c, Kind::PersistentVolumeClaim, "mine"), "Bound");
    assert_eq!(
        get(&c, Kind::PersistentVolume, "large")["spec"]["claimRef"]["name"],
        "mine"
    );
    // The user bound it: no bound-by-controller on the claim.
    assert!(
        get(&c, Kind::PersistentVolumeClaim, "mine")["metadata"]["annotations"]
            .get("pv.kubernetes.io/bound-by-controller")
            .is_none()
    );
    assert_eq!(phase(&c, Kind::PersistentVolumeClaim, "greedy"), "Pending");
    assert_eq!(
        events(&c, "greedy")[0].1,
        "Cannot bind to requested volume \"small\": requested PV is too small"
    );
}

#[test]
fn reclaim_policies_decide_what_a_released_volume_becomes() {
    let mut c = cluster();
    for (name, policy) in [("keep", "Retain"), ("scrub", "Recycle"), ("drop", "Delete")] {
        let mut v = pv(name, "1Gi", policy, Some(name));
        if name == "scrub" {
            // The recycler pod mounts it: a hostPath (no NFS server here).
            let spec = v["spec"].as_object_mut().unwrap();
            spec.remove("nfs");
            spec.insert("hostPath".into(), json!({"path": "/srv/scrub"}));
        }
        create(&mut c, Kind::PersistentVolume, v);
        create(
            &mut c,
            Kind::PersistentVolumeClaim,
            pvc(name, "1Gi", Some(name)),
        );
    }
    // Created together, the claims sync before their volumes are
    // Available: they bind at the next resync (15 s).
    c.run_until(at(12)).unwrap();
    assert_eq!(phase(&c, Kind::PersistentVolumeClaim, "keep"), "Pending");
    c.run_until(at(16)).unwrap();
    for name in ["keep", "scrub", "drop"] {
        assert_eq!(phase(&c, Kind::PersistentVolume, name), "Bound", "{name}");
        delete(&mut c, Kind::PersistentVolumeClaim, "default", name);
    }
    c.run_until(at(17)).unwrap();
    assert_eq!(phase(&c, Kind::PersistentVolume, "keep"), "Released");
    assert_eq!(phase(&c, Kind::PersistentVolume, "scrub"), "Released");
    assert_eq!(phase(&c, Kind::PersistentVolume, "drop"), "Failed");
    assert_eq!(
        get(&c, Kind::PersistentVolume, "drop")["status"]["message"],
        "error getting deleter volume plugin for volume \"drop\": no deletable volume plugin matched"
    );
    // The recycler pod runs (scheduled, its image pulled, its script run)
    // and goes.
    c.run_until(at(60)).unwrap();
    assert!(c
        .etcd()
        .get(Kind::Pod, "default", "recycler-for-scrub")
        .is_none());
    let ran: Vec<String> = events(&c, "recycler-for-scrub")
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert!(
        ran.contains(&"Scheduled".to_owned()) && ran.contains(&"Started".to_owned()),
        "{ran:?}"
    );
    // Recycled: Available, without its claim.
    let scrub = get(&c, Kind::PersistentVolume, "scrub");
    assert_eq!(scrub["status"]["phase"], "Available");
    assert!(scrub["spec"].get("claimRef").is_none(), "{scrub}");
    let recycled = events(&c, "scrub");
    assert!(
        recycled
            .iter()
            .any(|e| e.0 == "VolumeRecycled" && e.1 == "Volume recycled"),
        "{recycled:?}"
    );
    // The recycler client relayed the pod's events to the volume.
    let relayed: Vec<&str> = recycled
        .iter()
        .filter(|e| e.0 == "RecyclerPod")
        .map(|e| e.1.as_str())
        .collect();
    assert!(
        relayed
            .iter()
            .any(|m| m
                .starts_with("Recycler pod: Successfully assigned default/recycler-for-scrub to ")),
        "{relayed:?}"
    );
    assert!(
        relayed.contains(&"Recycler pod: Started container pv-recycler"),
        "{relayed:?}"
    );
    // Retained: Released for good, still naming its old claim; a new claim
    // of the same name does not get it.
    create(
        &mut c,
        Kind::PersistentVolumeClaim,
        pvc("keep", "1Gi", Some("keep")),
    );
    c.run_until(at(40)).unwrap();
    assert_eq!(phase(&c, Kind::PersistentVolume, "keep"), "Released");
    assert_eq!(phase(&c, Kind::PersistentVolumeClaim, "keep"), "Pending");
}

#[test]
fn a_class_less_claim_gets_the_default_class_and_a_lost_volume_shows() {
    let mut c = cluster();
    create(
        &mut c,
        Kind::PersistentVolumeClaim,
        pvc("late", "1Gi", None),
    );
    c.run_until(at(11)).unwrap();
    assert!(get(&c, Kind::PersistentVolumeClaim, "late")["spec"]
        .get("storageClassName")
        .is_none());
    create(
        &mut c,
        Kind::StorageClass,
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
               "metadata": {"name": "standard",
                            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
               "provisioner": "example.com/none"}),
    );
    c.run_until(at(30)).unwrap();
    assert_eq!(
        get(&c, Kind::PersistentVolumeClaim, "late")["spec"]["storageClassName"],
        "standard"
    );
    // Created after the default class: the admission plugin sets it; an
    // explicit "" (no class) is kept.
    let early = create(
        &mut c,
        Kind::PersistentVolumeClaim,
        pvc("early", "1Gi", None),
    )
    .to_json();
    assert_eq!(early["spec"]["storageClassName"], "standard");
    let none = create(
        &mut c,
        Kind::PersistentVolumeClaim,
        pvc("none", "1Gi", Some("")),
    )
    .to_json();
    assert_eq!(none["spec"]["storageClassName"], "");
    // A bound claim whose volume is deleted is Lost.
    create(
        &mut c,
        Kind::PersistentVolume,
        pv("v", "1Gi", "Retain", Some("x")),
    );
    c.run_until(at(31)).unwrap();
    create(
        &mut c,
        Kind::PersistentVolumeClaim,
        pvc("c", "1Gi", Some("x")),
    );
    c.run_until(at(32)).unwrap();
    assert_eq!(phase(&c, Kind::PersistentVolumeClaim, "c"), "Bound");
    // A bound volume is protected: deleted, it stays (Terminating).
    delete(&mut c, Kind::PersistentVolume, "", "v");
    c.run_until(at(40)).unwrap();
    assert!(get(&c, Kind::PersistentVolume, "v")["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(phase(&c, Kind::PersistentVolumeClaim, "c"), "Bound");
    // Its finalizer removed by hand, it goes, and the claim is Lost.
    let patched = c.request(
        "test",
        sim_core::apiserver::Request::Patch {
            key: sim_core::api::ObjectKey::new(Kind::PersistentVolume, "", "v"),
            patch: json!({"metadata": {"finalizers": null}}),
        },
    );
    assert!(patched.is_ok(), "{patched:?}");
    c.run_until(at(50)).unwrap();
    assert_eq!(get(&c, Kind::PersistentVolume, "v"), Value::Null);
    assert_eq!(phase(&c, Kind::PersistentVolumeClaim, "c"), "Lost");
    assert_eq!(
        events(&c, "c")[0],
        (
            "ClaimLost".to_owned(),
            "Bound claim has lost its PersistentVolume. Data on the volume is lost!".to_owned(),
            1
        )
    );
}

#[test]
fn a_claim_in_use_stays_terminating_until_its_pod_goes() {
    let mut c = cluster();
    create(
        &mut c,
        Kind::PersistentVolume,
        pv("v", "1Gi", "Retain", Some("x")),
    );
    c.run_until(at(11)).unwrap();
    let claim = create(
        &mut c,
        Kind::PersistentVolumeClaim,
        pvc("data", "1Gi", Some("x")),
    )
    .to_json();
    assert_eq!(
        claim["metadata"]["finalizers"],
        json!(["kubernetes.io/pvc-protection"])
    );
    assert_eq!(
        get(&c, Kind::PersistentVolume, "v")["metadata"]["finalizers"],
        json!(["kubernetes.io/pv-protection"])
    );
    create(
        &mut c,
        Kind::Pod,
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "user", "namespace": "default"},
               "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"],
                                        "volumeMounts": [{"name": "d", "mountPath": "/data"}]}],
                        "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}}),
    );
    c.run_until(at(30)).unwrap();
    delete(&mut c, Kind::PersistentVolumeClaim, "default", "data");
    c.run_until(at(40)).unwrap();
    let claim = get(&c, Kind::PersistentVolumeClaim, "data");
    assert!(
        claim["metadata"]["deletionTimestamp"].is_string(),
        "{claim}"
    );
    assert_eq!(phase(&c, Kind::PersistentVolume, "v"), "Bound");
    // The pod gone, the claim goes and its volume is Released.
    delete(&mut c, Kind::Pod, "default", "user");
    c.run_until(at(80)).unwrap();
    assert_eq!(get(&c, Kind::PersistentVolumeClaim, "data"), Value::Null);
    assert_eq!(phase(&c, Kind::PersistentVolume, "v"), "Released");
}
