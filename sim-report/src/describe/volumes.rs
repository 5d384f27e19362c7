//! The Volumes section of a pod or pod template: `describeVolumes` and the
//! per-source printers of `k8s.io/kubectl/pkg/describe/describe.go`, for
//! the volume sources kubesim uses.

use k8s_openapi::api::core::v1::{PersistentVolumeClaimSpec, Volume};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sim_core::api::quantity::QuantityFormat;

use super::resources::{parse_q, zero_q};
use super::{
    go_opt_bool, or_empty, print_annotations_multiline, print_labels_multiline, shorten,
    PrefixWriter, LEVEL_0, LEVEL_1, LEVEL_2, LEVEL_3, MAX_ANNOTATION_LEN,
};

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
        if let Some(hp) = &v.host_path {
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tHostPath (bare host directory volume)\n    Path:\t{}\n    HostPathType:\t{}\n",
                    hp.path,
                    hp.type_.as_deref().unwrap_or("<none>")
                ),
            );
        } else if let Some(ed) = &v.empty_dir {
            let size = ed
                .size_limit
                .as_ref()
                .map(parse_q)
                .filter(|q| {
                    q.cmp(&zero_q(QuantityFormat::DecimalSi)) == std::cmp::Ordering::Greater
                })
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
        } else if let Some(sec) = &v.secret {
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t{}\n    Optional:\t{}\n",
                    or_empty(sec.secret_name.as_ref()),
                    sec.optional == Some(true)
                ),
            );
        } else if let Some(cm) = &v.config_map {
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t{}\n    Optional:\t{}\n",
                    cm.name,
                    cm.optional == Some(true)
                ),
            );
        } else if let Some(nfs) = &v.nfs {
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t{}\n    Path:\t{}\n    ReadOnly:\t{}\n",
                    nfs.server,
                    nfs.path,
                    nfs.read_only.unwrap_or(false)
                ),
            );
        } else if let Some(pvc) = &v.persistent_volume_claim {
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t{}\n    ReadOnly:\t{}\n",
                    pvc.claim_name,
                    pvc.read_only.unwrap_or(false)
                ),
            );
        } else if let Some(eph) = &v.ephemeral {
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
        } else if let Some(d) = &v.downward_api {
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
        } else if let Some(p) = &v.projected {
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
        } else if let Some(csi) = &v.csi {
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
        } else if let Some(img) = &v.image {
            w.write(
                LEVEL_2,
                &format!(
                    "Type:\tImage (a container image or OCI artifact)\n    Reference:\t{}\n    PullPolicy:\t{}\n",
                    or_empty(img.reference.as_ref()),
                    or_empty(img.pull_policy.as_ref())
                ),
            );
        } else {
            w.write(LEVEL_1, "<unknown>\n");
        }
    }
}
