//! The Volumes section of a pod or pod template: `describeVolumes` and the
//! per-source printers of `k8s.io/kubectl/pkg/describe/describe.go`, for
//! the volume sources kubesim uses.

use k8s_openapi::api::core::v1::{
    CSIVolumeSource, ConfigMapVolumeSource, DownwardAPIVolumeSource, EmptyDirVolumeSource,
    EphemeralVolumeSource, HostPathVolumeSource, ImageVolumeSource, NFSVolumeSource,
    PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource, ProjectedVolumeSource,
    SecretVolumeSource, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sim_core::api::quantity::QuantityFormat;

use super::resources::{parse_q, zero_q};
use super::{
    go_opt_bool, or_empty, print_annotations_multiline, print_labels_multiline, shorten,
    PrefixWriter, LEVEL_0, LEVEL_1, LEVEL_2, LEVEL_3, MAX_ANNOTATION_LEN,
};

/// The claim template of an ephemeral volume (metadata and spec, no
/// status), printed at the writer's current indent.
fn describe_pvc_spec(
    w: &mut PrefixWriter,
    meta: Option<&ObjectMeta>,
    spec: &PersistentVolumeClaimSpec,
) {
    // printPersistentVolumeClaim(..., isFullPVC=false) through a nested writer.
    let class = meta
        .and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.get("volume.beta.kubernetes.io/storage-class"))
        .cloned()
        .or_else(|| spec.storage_class_name.clone())
        .unwrap_or_default();
    w.write(LEVEL_0, &format!("StorageClass:\t{class}\n"));
    w.write(
        LEVEL_0,
        &format!("Volume:\t{}\n", or_empty(spec.volume_name.as_ref())),
    );
    print_labels_multiline(w, "Labels", meta.and_then(|m| m.labels.as_ref()));
    print_annotations_multiline(w, "Annotations", meta.and_then(|m| m.annotations.as_ref()));
    // A template has no status: with a volume name the capacity is the zero
    // quantity, otherwise empty; the access modes are empty.
    let capacity = if spec.volume_name.as_deref().unwrap_or("").is_empty() {
        ""
    } else {
        "0"
    };
    w.write(LEVEL_0, &format!("Capacity:\t{capacity}\n"));
    w.write(LEVEL_0, "Access Modes:\t\n");
    if let Some(mode) = &spec.volume_mode {
        w.write(LEVEL_0, &format!("VolumeMode:\t{mode}\n"));
    }
    if let Some(ds) = &spec.data_source {
        w.write(LEVEL_0, "DataSource:\n");
        if let Some(g) = &ds.api_group {
            w.write(LEVEL_1, &format!("APIGroup:\t{g}\n"));
        }
        w.write(LEVEL_1, &format!("Kind:\t{}\n", ds.kind));
        w.write(LEVEL_1, &format!("Name:\t{}\n", ds.name));
    }
}

/// `describeVolumes` for the volume sources kubesim uses; other sources
/// print `<unknown>`.
pub(super) fn describe_volumes(w: &mut PrefixWriter, volumes: &[Volume], space: &str) {
    if volumes.is_empty() {
        w.write(LEVEL_0, &format!("{space}Volumes:\t<none>\n"));
        return;
    }
    w.write(LEVEL_0, &format!("{space}Volumes:\n"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for v in volumes {
        w.write(LEVEL_1, &format!("{name_indent}{}:\n", v.name));
        describe_volume_source(w, v);
    }
}

/// One volume's source: the first source set, in the order of
/// `describeVolumes`; `<unknown>` for a source kubesim does not print.
fn describe_volume_source(w: &mut PrefixWriter, v: &Volume) {
    if let Some(hp) = &v.host_path {
        print_host_path_volume_source(w, hp);
    } else if let Some(ed) = &v.empty_dir {
        print_empty_dir_volume_source(w, ed);
    } else if let Some(sec) = &v.secret {
        print_secret_volume_source(w, sec);
    } else if let Some(cm) = &v.config_map {
        print_config_map_volume_source(w, cm);
    } else if let Some(nfs) = &v.nfs {
        print_nfs_volume_source(w, nfs);
    } else if let Some(pvc) = &v.persistent_volume_claim {
        print_persistent_volume_claim_volume_source(w, pvc);
    } else if let Some(eph) = &v.ephemeral {
        print_ephemeral_volume_source(w, eph);
    } else if let Some(d) = &v.downward_api {
        print_downward_api_volume_source(w, d);
    } else if let Some(p) = &v.projected {
        print_projected_volume_source(w, p);
    } else if let Some(csi) = &v.csi {
        print_csi_volume_source(w, csi);
    } else if let Some(img) = &v.image {
        print_image_volume_source(w, img);
    } else {
        w.write(LEVEL_1, "<unknown>\n");
    }
}

/// `printHostPathVolumeSource`.
fn print_host_path_volume_source(w: &mut PrefixWriter, hp: &HostPathVolumeSource) {
    w.write(
        LEVEL_2,
        &format!(
            "Type:\tHostPath (bare host directory volume)\n    Path:\t{}\n    HostPathType:\t{}\n",
            hp.path,
            hp.type_.as_deref().unwrap_or("<none>")
        ),
    );
}

/// `printEmptyDirVolumeSource`. The size limit prints only when positive.
fn print_empty_dir_volume_source(w: &mut PrefixWriter, ed: &EmptyDirVolumeSource) {
    let size = ed
        .size_limit
        .as_ref()
        .map(parse_q)
        .filter(|q| q.cmp(&zero_q(QuantityFormat::DecimalSi)) == std::cmp::Ordering::Greater)
        .map(|q| q.to_string())
        .unwrap_or_else(|| "<unset>".to_string());
    w.write(
        LEVEL_2,
        &format!(
            "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t{}\n    SizeLimit:\t{}\n",
            or_empty(ed.medium.as_ref()),
            size
        ),
    );
}

/// `printSecretVolumeSource`.
fn print_secret_volume_source(w: &mut PrefixWriter, sec: &SecretVolumeSource) {
    w.write(
        LEVEL_2,
        &format!(
            "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t{}\n    Optional:\t{}\n",
            or_empty(sec.secret_name.as_ref()),
            sec.optional == Some(true)
        ),
    );
}

/// `printConfigMapVolumeSource`.
fn print_config_map_volume_source(w: &mut PrefixWriter, cm: &ConfigMapVolumeSource) {
    w.write(
        LEVEL_2,
        &format!(
            "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t{}\n    Optional:\t{}\n",
            cm.name,
            cm.optional == Some(true)
        ),
    );
}

/// `printNFSVolumeSource`.
fn print_nfs_volume_source(w: &mut PrefixWriter, nfs: &NFSVolumeSource) {
    w.write(
        LEVEL_2,
        &format!(
            "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t{}\n    Path:\t{}\n    ReadOnly:\t{}\n",
            nfs.server,
            nfs.path,
            nfs.read_only.unwrap_or(false)
        ),
    );
}

/// `printPersistentVolumeClaimVolumeSource`.
fn print_persistent_volume_claim_volume_source(
    w: &mut PrefixWriter,
    pvc: &PersistentVolumeClaimVolumeSource,
) {
    w.write(
        LEVEL_2,
        &format!(
            "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t{}\n    ReadOnly:\t{}\n",
            pvc.claim_name,
            pvc.read_only.unwrap_or(false)
        ),
    );
}

/// `printEphemeralVolumeSource`. The claim template prints through a nested writer two levels in.
fn print_ephemeral_volume_source(w: &mut PrefixWriter, eph: &EphemeralVolumeSource) {
    w.write(
        LEVEL_2,
        "Type:\tEphemeralVolume (an inline specification for a volume that gets created and deleted with the pod)\n",
    );
    if let Some(t) = &eph.volume_claim_template {
        let saved = w.indent;
        w.indent += LEVEL_2;
        describe_pvc_spec(w, t.metadata.as_ref(), &t.spec);
        w.indent = saved;
    }
}

/// `printDownwardAPIVolumeSource`.
fn print_downward_api_volume_source(w: &mut PrefixWriter, d: &DownwardAPIVolumeSource) {
    w.write(
        LEVEL_2,
        "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n",
    );
    for item in d.items.iter().flatten() {
        if let Some(f) = &item.field_ref {
            w.write(LEVEL_3, &format!("{} -> {}\n", f.field_path, item.path));
        }
        if let Some(r) = &item.resource_field_ref {
            w.write(LEVEL_3, &format!("{} -> {}\n", r.resource, item.path));
        }
    }
}

/// `printProjectedVolumeSource`. The secret and config map `optional` are Go `*bool`s, printed as `<nil>` when unset.
fn print_projected_volume_source(w: &mut PrefixWriter, p: &ProjectedVolumeSource) {
    w.write(
        LEVEL_2,
        "Type:\tProjected (a volume that contains injected data from multiple sources)\n",
    );
    for src in p.sources.iter().flatten() {
        if let Some(s) = &src.secret {
            w.write(
                LEVEL_2,
                &format!(
                    "SecretName:\t{}\n    SecretOptionalName:\t{}\n",
                    s.name,
                    go_opt_bool(s.optional)
                ),
            );
        } else if src.downward_api.is_some() {
            w.write(LEVEL_2, "DownwardAPI:\ttrue\n");
        } else if let Some(cm) = &src.config_map {
            w.write(
                LEVEL_2,
                &format!(
                    "ConfigMapName:\t{}\n    ConfigMapOptional:\t{}\n",
                    cm.name,
                    go_opt_bool(cm.optional)
                ),
            );
        } else if let Some(sat) = &src.service_account_token {
            w.write(
                LEVEL_2,
                &format!(
                    "TokenExpirationSeconds:\t{}\n",
                    sat.expiration_seconds.unwrap_or(3600)
                ),
            );
        }
    }
}

/// `printCSIVolumeSource`. Long attributes are shortened like annotations.
fn print_csi_volume_source(w: &mut PrefixWriter, csi: &CSIVolumeSource) {
    w.write(
        LEVEL_2,
        &format!(
            "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t{}\n    FSType:\t{}\n    ReadOnly:\t{}\n",
            csi.driver,
            or_empty(csi.fs_type.as_ref()),
            csi.read_only == Some(true)
        ),
    );
    w.write(LEVEL_2, "VolumeAttributes:\t");
    match csi.volume_attributes.as_ref().filter(|a| !a.is_empty()) {
        None => w.write_line("<none>"),
        Some(attrs) => {
            for (i, (k, val)) in attrs.iter().enumerate() {
                if i != 0 {
                    w.write(LEVEL_2, "");
                    w.write(LEVEL_2, "\t");
                }
                let line = format!("{k}={val}");
                w.write(
                    LEVEL_2,
                    &format!("{}\n", shorten(&line, MAX_ANNOTATION_LEN)),
                );
            }
        }
    }
}

/// `printImageVolumeSource`.
fn print_image_volume_source(w: &mut PrefixWriter, img: &ImageVolumeSource) {
    w.write(
        LEVEL_2,
        &format!(
            "Type:\tImage (a container image or OCI artifact)\n    Reference:\t{}\n    PullPolicy:\t{}\n",
            or_empty(img.reference.as_ref()),
            or_empty(img.pull_policy.as_ref())
        ),
    );
}
