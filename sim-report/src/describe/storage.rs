//! `kubectl describe pv` and `kubectl describe pvc`
//! (`describePersistentVolume` and `describePersistentVolumeClaim` in
//! `k8s.io/kubectl/pkg/describe/describe.go`), for NFS, hostPath and CSI
//! volumes.

use k8s_openapi::api::core::v1::{Event, PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::jiff::Timestamp;

use super::events::{by_name, describe_events};
use super::{
    or_empty, print_annotations_multiline, print_labels_multiline, PrefixWriter, LEVEL_0, LEVEL_1,
    LEVEL_2,
};
use crate::printers::storage::{access_modes_string, quantity_string};

/// Go's `%v` of a string slice: `[a b]`.
fn go_list(items: Option<&Vec<String>>) -> String {
    format!("[{}]", items.map(|v| v.join(" ")).unwrap_or_default())
}

/// `Status:`: the phase, or how long the object has been terminating.
fn status_line(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    phase: &str,
    now: Timestamp,
) -> String {
    match &meta.deletion_timestamp {
        Some(t) => format!(
            "Status:\tTerminating (lasts {})",
            crate::age::human_duration(crate::age::since_nanos(t.0, now))
        ),
        None => format!("Status:\t{phase}"),
    }
}

/// `kubectl describe pv`; `events` are the volume's, in any order.
pub fn describe_persistent_volume(
    pv: &PersistentVolume,
    events: &[&Event],
    now: Timestamp,
) -> String {
    let mut w = PrefixWriter::new();
    let meta = &pv.metadata;
    let spec = pv.spec.clone().unwrap_or_default();
    let line = |w: &mut PrefixWriter, text: String| w.write(LEVEL_0, &format!("{text}\n"));
    line(&mut w, format!("Name:\t{}", or_empty(meta.name.as_ref())));
    print_labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    print_annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    line(
        &mut w,
        format!("Finalizers:\t{}", go_list(meta.finalizers.as_ref())),
    );
    line(
        &mut w,
        format!(
            "StorageClass:\t{}",
            or_empty(spec.storage_class_name.as_ref())
        ),
    );
    let phase = pv
        .status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default();
    line(&mut w, status_line(meta, &phase, now));
    let claim = spec
        .claim_ref
        .as_ref()
        .map(|r| {
            format!(
                "{}/{}",
                or_empty(r.namespace.as_ref()),
                or_empty(r.name.as_ref())
            )
        })
        .unwrap_or_default();
    line(&mut w, format!("Claim:\t{claim}"));
    line(
        &mut w,
        format!(
            "Reclaim Policy:\t{}",
            or_empty(spec.persistent_volume_reclaim_policy.as_ref())
        ),
    );
    line(
        &mut w,
        format!(
            "Access Modes:\t{}",
            access_modes_string(spec.access_modes.as_ref())
        ),
    );
    if let Some(m) = &spec.volume_mode {
        line(&mut w, format!("VolumeMode:\t{m}"));
    }
    let capacity = quantity_string(
        spec.capacity
            .as_ref()
            .and_then(|c| c.get("storage"))
            .map(|q| q.0.as_str()),
    );
    line(&mut w, format!("Capacity:\t{capacity}"));
    line(&mut w, "Node Affinity:\t<none>".into());
    let message = pv
        .status
        .as_ref()
        .and_then(|s| s.message.clone())
        .unwrap_or_default();
    line(&mut w, format!("Message:\t{message}"));
    line(&mut w, "Source:".into());
    if let Some(h) = &spec.host_path {
        w.write(
            LEVEL_2,
            &format!(
                "Type:\tHostPath (bare host directory volume)\n    Path:\t{}\n    HostPathType:\t{}\n",
                h.path,
                h.type_.as_deref().unwrap_or("<none>")
            ),
        );
    } else if let Some(n) = &spec.nfs {
        w.write(
            LEVEL_2,
            &format!(
                "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t{}\n    Path:\t{}\n    ReadOnly:\t{}\n",
                n.server,
                n.path,
                n.read_only.unwrap_or(false)
            ),
        );
    } else if let Some(c) = &spec.csi {
        // printCSIPersistentVolumeSource, its attributes one per line.
        w.write(
            LEVEL_2,
            &format!(
                "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t{}\n    FSType:\t{}\n    VolumeHandle:\t{}\n    ReadOnly:\t{}\n",
                c.driver,
                c.fs_type.as_deref().unwrap_or(""),
                c.volume_handle,
                c.read_only.unwrap_or(false)
            ),
        );
        let attributes = c.volume_attributes.clone().unwrap_or_default();
        if attributes.is_empty() {
            w.write(LEVEL_2, "VolumeAttributes:\t<none>\n");
        }
        for (i, (k, v)) in attributes.iter().enumerate() {
            let title = if i == 0 { "VolumeAttributes:" } else { "" };
            w.write(LEVEL_2, &format!("{title}\t{k}={v}\n"));
        }
    } else {
        w.write(LEVEL_1, "<unknown>\n");
    }
    describe_events(&mut w, &by_name(events), now);
    w.finish()
}

/// `kubectl describe pvc`; `pods` are the pods of its namespace (those
/// that use it are listed), `events` the claim's.
pub fn describe_persistent_volume_claim(
    pvc: &PersistentVolumeClaim,
    pods: &[&Pod],
    events: &[&Event],
    now: Timestamp,
) -> String {
    let mut w = PrefixWriter::new();
    let meta = &pvc.metadata;
    let spec = pvc.spec.clone().unwrap_or_default();
    let status = pvc.status.clone().unwrap_or_default();
    let line = |w: &mut PrefixWriter, text: String| w.write(LEVEL_0, &format!("{text}\n"));
    line(&mut w, format!("Name:\t{}", or_empty(meta.name.as_ref())));
    line(
        &mut w,
        format!("Namespace:\t{}", or_empty(meta.namespace.as_ref())),
    );
    line(
        &mut w,
        format!(
            "StorageClass:\t{}",
            or_empty(spec.storage_class_name.as_ref())
        ),
    );
    let phase = status.phase.clone().unwrap_or_default();
    line(&mut w, status_line(meta, &phase, now));
    let volume = spec.volume_name.clone().unwrap_or_default();
    line(&mut w, format!("Volume:\t{volume}"));
    print_labels_multiline(&mut w, "Labels", meta.labels.as_ref());
    print_annotations_multiline(&mut w, "Annotations", meta.annotations.as_ref());
    line(
        &mut w,
        format!("Finalizers:\t{}", go_list(meta.finalizers.as_ref())),
    );
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            quantity_string(
                status
                    .capacity
                    .as_ref()
                    .and_then(|c| c.get("storage"))
                    .map(|q| q.0.as_str()),
            ),
            access_modes_string(status.access_modes.as_ref()),
        )
    };
    line(&mut w, format!("Capacity:\t{capacity}"));
    line(&mut w, format!("Access Modes:\t{modes}"));
    if let Some(m) = &spec.volume_mode {
        line(&mut w, format!("VolumeMode:\t{m}"));
    }
    let name = meta.name.as_deref().unwrap_or("");
    let mut users: Vec<&str> = pods
        .iter()
        .filter(|p| {
            p.spec
                .iter()
                .flat_map(|s| s.volumes.iter().flatten())
                .any(|v| {
                    v.persistent_volume_claim
                        .as_ref()
                        .is_some_and(|c| c.claim_name == name)
                })
        })
        .filter_map(|p| p.metadata.name.as_deref())
        .collect();
    users.sort_unstable();
    match users.split_first() {
        None => line(&mut w, "Used By:\t<none>".into()),
        Some((first, rest)) => {
            line(&mut w, format!("Used By:\t{first}"));
            for u in rest {
                line(&mut w, format!("\t{u}"));
            }
        }
    }
    describe_events(&mut w, &by_name(events), now);
    w.finish()
}
