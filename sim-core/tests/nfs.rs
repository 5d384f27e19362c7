//! NFS volumes: the control-plane node exports `/nfs/data`; a file written
//! there on the host is what nginx pods on every node serve from their nfs
//! volume, a file written through one pod is seen by the others and on the
//! server; a claim bound to an NFS volume mounts that export; a server that
//! does not exist or a path it does not export leaves the pod
//! ContainerCreating with the kubelet's FailedMount event.

use serde_json::{json, Value};
use sim_core::api::Kind;
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::Cluster;
use sim_core::config::ClusterConfig;
use sim_core::storage::nfs::NfsServerConfig;
use sim_core::trace::Trace;

mod common;

use common::{at, create, exec_in, pod_ip};

const SERVER: &str = "172.18.0.2";

fn cluster() -> Cluster {
    let mut config = ClusterConfig::kubeadm(2);
    config.nfs_servers = vec![NfsServerConfig {
        address: SERVER.parse().unwrap(),
        exports: vec!["/nfs/data".into()],
    }];
    let mut c = kubeadm_cluster(config, 51, Trace::new());
    c.run_until(at(10)).unwrap();
    c
}

fn nginx_pod(name: &str, node: &str, volume: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": "default"},
           "spec": {"nodeName": node,
                    "containers": [{"name": "nginx", "image": "nginx",
                                    "volumeMounts": [{"name": "html", "mountPath": "/usr/share/nginx/html"}]}],
                    "volumes": [volume]}})
}

fn host(c: &mut Cluster, node: &str, line: &str) -> String {
    let out = c.host_exec(node, line).expect("ssh");
    format!("{}{}", out.stdout, out.stderr)
}

fn phase_and_reason(c: &Cluster, name: &str) -> (String, String) {
    let p = c.etcd().get(Kind::Pod, "default", name).unwrap().to_json();
    (
        p["status"]["phase"].as_str().unwrap_or_default().to_owned(),
        p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

fn failed_mounts(c: &Cluster, pod: &str) -> Vec<String> {
    common::event_messages(c, pod, "FailedMount")
}

#[test]
fn pods_on_every_node_share_the_export_with_the_server() {
    let mut c = cluster();
    host(
        &mut c,
        "control-plane",
        "echo 'hello from nfs' > /nfs/data/index.html",
    );
    let nfs = json!({"name": "html", "nfs": {"server": SERVER, "path": "/nfs/data"}});
    create(&mut c, Kind::Pod, nginx_pod("a", "worker-1", nfs.clone()));
    create(&mut c, Kind::Pod, nginx_pod("b", "worker-2", nfs));
    c.run_until(at(60)).unwrap();
    // nginx serves the server's file, from either node.
    for pod in ["a", "b"] {
        let ip = pod_ip(&c, pod);
        assert_eq!(
            host(&mut c, "worker-1", &format!("curl -s {ip}")),
            "hello from nfs\n"
        );
    }
    // Written through one pod: seen by the other and on the server.
    let (_, err, status) = exec_in(
        &mut c,
        "a",
        "nginx",
        &["sh", "-c", "echo new > /usr/share/nginx/html/new.html"],
    );
    assert_eq!(status, 0, "{err}");
    assert_eq!(
        exec_in(
            &mut c,
            "b",
            "nginx",
            &["cat", "/usr/share/nginx/html/new.html"]
        )
        .0,
        "new\n"
    );
    assert_eq!(
        host(&mut c, "control-plane", "cat /nfs/data/new.html"),
        "new\n"
    );
    // mount and df show the export.
    let mount = exec_in(&mut c, "b", "nginx", &["mount"]).0;
    assert!(
        mount.contains(&format!(
            "{SERVER}:/nfs/data on /usr/share/nginx/html type nfs4"
        )),
        "{mount}"
    );
    // The data outlives the pods: a later pod on another node sees it.
    common::delete(&mut c, Kind::Pod, "default", "a");
    c.run_until(at(120)).unwrap();
    let nfs = json!({"name": "html", "nfs": {"server": SERVER, "path": "/nfs/data"}});
    create(&mut c, Kind::Pod, nginx_pod("later", "control-plane", nfs));
    c.run_until(at(150)).unwrap();
    assert_eq!(
        exec_in(
            &mut c,
            "later",
            "nginx",
            &["cat", "/usr/share/nginx/html/new.html"]
        )
        .0,
        "new\n"
    );
}

#[test]
fn a_claim_bound_to_an_nfs_volume_mounts_its_export() {
    let mut c = cluster();
    host(
        &mut c,
        "control-plane",
        "mkdir -p /nfs/data/01 && echo pv01 > /nfs/data/01/index.html",
    );
    create(
        &mut c,
        Kind::PersistentVolume,
        json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv01"},
               "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteMany"],
                        "storageClassName": "nfs",
                        "nfs": {"server": SERVER, "path": "/nfs/data/01"}}}),
    );
    c.run_until(at(11)).unwrap();
    create(
        &mut c,
        Kind::PersistentVolumeClaim,
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": {"name": "web", "namespace": "default"},
               "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": "nfs",
                        "resources": {"requests": {"storage": "200Mi"}}}}),
    );
    let claim = json!({"name": "html", "persistentVolumeClaim": {"claimName": "web"}});
    let mut pod = nginx_pod("web", "worker-2", claim);
    pod["spec"].as_object_mut().unwrap().remove("nodeName");
    create(&mut c, Kind::Pod, pod);
    c.run_until(at(40)).unwrap();
    let ip = pod_ip(&c, "web");
    assert_eq!(host(&mut c, "worker-1", &format!("curl -s {ip}")), "pv01\n");
}

#[test]
fn a_missing_server_or_an_unexported_path_keeps_the_pod_creating() {
    let mut c = cluster();
    let nowhere = json!({"name": "html", "nfs": {"server": "172.18.0.200", "path": "/nfs/data"}});
    let denied = json!({"name": "html", "nfs": {"server": SERVER, "path": "/srv"}});
    create(&mut c, Kind::Pod, nginx_pod("nowhere", "worker-1", nowhere));
    create(&mut c, Kind::Pod, nginx_pod("denied", "worker-1", denied));
    c.run_until(at(200)).unwrap();
    for pod in ["nowhere", "denied"] {
        assert_eq!(
            phase_and_reason(&c, pod),
            ("Pending".to_owned(), "ContainerCreating".to_owned()),
            "{pod}"
        );
    }
    let uid = c
        .etcd()
        .get(Kind::Pod, "default", "nowhere")
        .unwrap()
        .uid()
        .to_owned();
    assert_eq!(
        failed_mounts(&c, "nowhere")[0],
        format!("MountVolume.SetUp failed for volume \"html\" : mount failed: exit status 32\nMounting command: mount\nMounting arguments: -t nfs 172.18.0.200:/nfs/data /var/lib/kubelet/pods/{uid}/volumes/kubernetes.io~nfs/html\nOutput: mount.nfs: Connection timed out")
    );
    assert!(failed_mounts(&c, "denied")[0]
        .ends_with("Output: mount.nfs: access denied by server while mounting 172.18.0.2:/srv"));
}

fn provisioner_deployment() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "nfs-client-provisioner", "namespace": "default"},
           "spec": {"replicas": 1, "strategy": {"type": "Recreate"},
                    "selector": {"matchLabels": {"app": "nfs-client-provisioner"}},
                    "template": {"metadata": {"labels": {"app": "nfs-client-provisioner"}},
                                 "spec": {"containers": [{
                                     "name": "nfs-client-provisioner",
                                     "image": "registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:v4.0.2",
                                     "volumeMounts": [{"name": "root", "mountPath": "/persistentvolumes"}],
                                     "env": [{"name": "PROVISIONER_NAME", "value": "k8s-sigs.io/nfs-subdir-external-provisioner"},
                                             {"name": "NFS_SERVER", "value": SERVER},
                                             {"name": "NFS_PATH", "value": "/nfs/data"}]}],
                                  "volumes": [{"name": "root", "nfs": {"server": SERVER, "path": "/nfs/data"}}]}}}})
}

fn class(name: &str, archive: &str) -> Value {
    json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
           "metadata": {"name": name},
           "provisioner": "k8s-sigs.io/nfs-subdir-external-provisioner",
           "parameters": {"archiveOnDelete": archive}})
}

fn claim(name: &str, class: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
           "metadata": {"name": name, "namespace": "default"},
           "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": class,
                    "resources": {"requests": {"storage": "200Mi"}}}})
}

fn reasons(c: &Cluster, name: &str) -> Vec<String> {
    c.etcd()
        .list(Kind::Event, Some("default"))
        .iter()
        .map(|e| e.to_json())
        .filter(|e| e["involvedObject"]["name"] == name)
        .map(|e| e["reason"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn the_provisioner_makes_a_directory_and_a_volume_per_claim_and_archives_it() {
    let mut c = cluster();
    create(&mut c, Kind::StorageClass, class("archive", "true"));
    create(&mut c, Kind::StorageClass, class("drop", "false"));
    // Without a provisioner pod, claims wait.
    create(
        &mut c,
        Kind::PersistentVolumeClaim,
        claim("early", "archive"),
    );
    c.run_until(at(30)).unwrap();
    assert_eq!(reasons(&c, "early"), ["ExternalProvisioning"]);
    create(&mut c, Kind::Deployment, provisioner_deployment());
    create(&mut c, Kind::PersistentVolumeClaim, claim("gone", "drop"));
    c.run_until(at(60)).unwrap();
    let mut dirs = Vec::new();
    for name in ["early", "gone"] {
        let pvc = c
            .etcd()
            .get(Kind::PersistentVolumeClaim, "default", name)
            .unwrap()
            .to_json();
        assert_eq!(pvc["status"]["phase"], "Bound", "{name}");
        let pv = pvc["spec"]["volumeName"].as_str().unwrap().to_owned();
        assert_eq!(
            pv,
            format!("pvc-{}", pvc["metadata"]["uid"].as_str().unwrap())
        );
        let vol = c
            .etcd()
            .get(Kind::PersistentVolume, "", &pv)
            .unwrap()
            .to_json();
        assert_eq!(
            vol["spec"]["nfs"]["path"],
            format!("/nfs/data/default-{name}-{pv}")
        );
        assert_eq!(vol["spec"]["persistentVolumeReclaimPolicy"], "Delete");
        assert_eq!(
            vol["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"],
            "k8s-sigs.io/nfs-subdir-external-provisioner"
        );
        assert!(reasons(&c, name).contains(&"ProvisioningSucceeded".to_owned()));
        dirs.push(format!("default-{name}-{pv}"));
    }
    let ls = host(&mut c, "control-plane", "ls /nfs/data");
    assert_eq!(ls, format!("{}\n{}\n", dirs[0], dirs[1]));
    // Deleted: archived (archiveOnDelete "true") or removed ("false"), the
    // volume deleted.
    common::delete(&mut c, Kind::PersistentVolumeClaim, "default", "early");
    common::delete(&mut c, Kind::PersistentVolumeClaim, "default", "gone");
    c.run_until(at(90)).unwrap();
    assert_eq!(
        host(&mut c, "control-plane", "ls /nfs/data"),
        format!("archived-{}\n", dirs[0])
    );
    assert!(c.etcd().list(Kind::PersistentVolume, None).is_empty());
}

#[test]
fn a_node_exports_what_its_etc_exports_lists_after_exportfs() {
    let mut c = cluster();
    // The declared server's table says what it exports.
    assert_eq!(
        host(&mut c, "control-plane", "cat /etc/exports; exportfs"),
        "/nfs/data *(rw,sync,no_root_squash)\n/nfs/data     \t<world>\n"
    );
    // worker-1 (172.18.0.3) is no server yet: a mount times out.
    let share = json!({"name": "html", "nfs": {"server": "172.18.0.3", "path": "/srv/share"}});
    create(
        &mut c,
        Kind::Pod,
        nginx_pod("early", "worker-2", share.clone()),
    );
    c.run_until(at(20)).unwrap();
    assert!(failed_mounts(&c, "early")[0].ends_with("Output: mount.nfs: Connection timed out"));
    // The course's steps, on worker-1.
    let out = host(
        &mut c,
        "worker-1",
        "mkdir -p /srv/share && echo shared > /srv/share/index.html && echo '/srv/share/ *(insecure,rw,sync,no_root_squash)' > /etc/exports && echo '/missing *(rw)' >> /etc/exports && exportfs -rv",
    );
    assert_eq!(
        out,
        "exporting *:/srv/share\nexportfs: Failed to stat /missing: No such file or directory\n"
    );
    assert_eq!(
        host(&mut c, "worker-1", "exportfs -v"),
        "/srv/share    \t<world>(insecure,rw,sync,no_root_squash)\n"
    );
    create(&mut c, Kind::Pod, nginx_pod("later", "worker-2", share));
    c.run_until(at(60)).unwrap();
    let ip = pod_ip(&c, "later");
    assert_eq!(
        host(&mut c, "control-plane", &format!("curl -s {ip}")),
        "shared\n"
    );
    // The first pod mounts it at its next attempt (its backoff ran to 2 min).
    c.run_until(at(400)).unwrap();
    assert_eq!(phase_and_reason(&c, "early").0, "Running");
    // Emptied, the node exports nothing.
    host(&mut c, "worker-1", "echo > /etc/exports; exportfs -r");
    assert_eq!(host(&mut c, "worker-1", "exportfs"), "");
}

#[test]
fn an_outage_times_out_mounts_io_and_the_servers_reading_from_them() {
    use sim_core::faults::{Fault, FaultKind};
    let mut c = cluster();
    host(&mut c, "control-plane", "echo up > /nfs/data/index.html");
    let nfs = json!({"name": "html", "nfs": {"server": SERVER, "path": "/nfs/data"}});
    create(&mut c, Kind::Pod, nginx_pod("web", "worker-1", nfs.clone()));
    c.run_until(at(30)).unwrap();
    let ip = pod_ip(&c, "web");
    c.inject_fault(Fault {
        kind: FaultKind::NfsOutage {
            server: SERVER.into(),
        },
        duration: Some(sim_core::SimDuration::from_secs(60)),
    })
    .expect("injected");
    c.run_until(at(31)).unwrap();
    let (_, err, status) = exec_in(&mut c, "web", "nginx", &["ls", "/usr/share/nginx/html"]);
    assert_eq!(
        (err.as_str(), status),
        (
            "ls: cannot access '/usr/share/nginx/html': Connection timed out\n",
            2
        )
    );
    let out = c
        .host_exec("worker-2", &format!("curl -sS -m 5 {ip}"))
        .unwrap();
    assert!(out.stderr.contains("timed out"), "{out:?}");
    // A pod started now cannot mount.
    create(&mut c, Kind::Pod, nginx_pod("late", "worker-2", nfs));
    c.run_until(at(40)).unwrap();
    assert!(failed_mounts(&c, "late")[0].ends_with("Output: mount.nfs: Connection timed out"));
    // The server back: I/O and serving again, and the late pod mounts at
    // its next attempt.
    c.run_until(at(200)).unwrap();
    assert_eq!(host(&mut c, "worker-2", &format!("curl -s {ip}")), "up\n");
    assert_eq!(phase_and_reason(&c, "late").0, "Running");
}

#[test]
fn a_delayed_claim_is_provisioned_once_its_pod_has_a_node() {
    let mut c = cluster();
    let mut sc = class("late", "true");
    sc["volumeBindingMode"] = json!("WaitForFirstConsumer");
    create(&mut c, Kind::StorageClass, sc);
    create(&mut c, Kind::Deployment, provisioner_deployment());
    create(&mut c, Kind::PersistentVolumeClaim, claim("data", "late"));
    c.run_until(at(40)).unwrap();
    // No consumer yet: it waits.
    assert_eq!(reasons(&c, "data"), ["WaitForFirstConsumer"]);
    let volume = json!({"name": "html", "persistentVolumeClaim": {"claimName": "data"}});
    let mut pod = nginx_pod("web", "worker-1", volume);
    pod["spec"].as_object_mut().unwrap().remove("nodeName");
    create(&mut c, Kind::Pod, pod);
    c.run_until(at(60)).unwrap();
    let pvc = c
        .etcd()
        .get(Kind::PersistentVolumeClaim, "default", "data")
        .unwrap()
        .to_json();
    let node =
        c.etcd().get(Kind::Pod, "default", "web").unwrap().to_json()["spec"]["nodeName"].clone();
    assert_eq!(
        pvc["metadata"]["annotations"]["volume.kubernetes.io/selected-node"],
        node
    );
    assert_eq!(pvc["status"]["phase"], "Bound");
    assert_eq!(phase_and_reason(&c, "web").0, "Running");
}

#[test]
fn a_recycled_volume_is_scrubbed_by_its_recycler_pod() {
    let mut c = cluster();
    host(
        &mut c,
        "control-plane",
        "mkdir -p /nfs/data/r/sub && echo x > /nfs/data/r/a && echo y > /nfs/data/r/sub/b",
    );
    create(
        &mut c,
        Kind::PersistentVolume,
        json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "r"},
               "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteMany"],
                        "persistentVolumeReclaimPolicy": "Recycle", "storageClassName": "r",
                        "nfs": {"server": SERVER, "path": "/nfs/data/r"}}}),
    );
    c.run_until(at(12)).unwrap();
    create(&mut c, Kind::PersistentVolumeClaim, claim("r", "r"));
    c.run_until(at(14)).unwrap();
    common::delete(&mut c, Kind::PersistentVolumeClaim, "default", "r");
    c.run_until(at(60)).unwrap();
    let pv = c
        .etcd()
        .get(Kind::PersistentVolume, "", "r")
        .unwrap()
        .to_json();
    assert_eq!(pv["status"]["phase"], "Available");
    // The directory stays, emptied.
    assert_eq!(
        host(&mut c, "control-plane", "ls -A /nfs/data/r; echo end"),
        "end\n"
    );
}
