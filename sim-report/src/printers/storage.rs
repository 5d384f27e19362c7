//! The storage tables: PersistentVolume, PersistentVolumeClaim,
//! StorageClass and VolumeAttachment
//! (`k8s.io/kubernetes/pkg/printers/internalversion/printers.go`),
//! with capacities printed as the apiserver re-prints a parsed quantity.

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use k8s_openapi::api::storage::v1::{StorageClass, VolumeAttachment};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use sim_core::api::quantity::ParsedQuantity;

use super::{col, name_of, obj_age, s, wide, Column, Printable};

/// `helper.GetAccessModesAsString`.
pub(crate) fn access_modes_string(modes: Option<&Vec<String>>) -> String {
    let modes = modes.map(Vec::as_slice).unwrap_or(&[]);
    let has = |m: &str| modes.iter().any(|x| x == m);
    let mut out = Vec::new();
    if has("ReadWriteOnce") {
        out.push("RWO");
    }
    if has("ReadOnlyMany") {
        out.push("ROX");
    }
    if has("ReadWriteMany") {
        out.push("RWX");
    }
    if has("ReadWriteOncePod") {
        out.push("RWOP");
    }
    out.join(",")
}

fn annotation<'a>(meta: &'a ObjectMeta, key: &str) -> Option<&'a String> {
    meta.annotations.as_ref().and_then(|a| a.get(key))
}

impl Printable for PersistentVolume {
    const NAMESPACED: bool = false;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Capacity"),
            col("Access Modes"),
            col("Reclaim Policy"),
            col("Status"),
            col("Claim"),
            col("StorageClass"),
            col("VolumeAttributesClass"),
            col("Reason"),
            col("Age"),
            wide("VolumeMode"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let spec = self.spec.as_ref();
        let claim = spec
            .and_then(|s| s.claim_ref.as_ref())
            .map(|c| format!("{}/{}", s(c.namespace.as_ref()), s(c.name.as_ref())))
            .unwrap_or_default();
        let capacity = quantity_string(
            spec.and_then(|s| s.capacity.as_ref())
                .and_then(|c| c.get("storage"))
                .map(|q| q.0.as_str()),
        );
        let mut phase = self
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Pending".to_string());
        if self.metadata.deletion_timestamp.is_some() {
            phase = "Terminating".to_string();
        }
        let class = annotation(&self.metadata, "volume.beta.kubernetes.io/storage-class")
            .cloned()
            .or_else(|| spec.and_then(|s| s.storage_class_name.clone()))
            .unwrap_or_default();
        vec![
            name_of(&self.metadata),
            capacity,
            access_modes_string(spec.and_then(|s| s.access_modes.as_ref())),
            spec.and_then(|s| s.persistent_volume_reclaim_policy.clone())
                .unwrap_or_else(|| "Retain".to_string()),
            phase,
            claim,
            class,
            spec.and_then(|s| s.volume_attributes_class_name.clone())
                .unwrap_or_else(|| "<unset>".to_string()),
            self.status
                .as_ref()
                .and_then(|s| s.reason.clone())
                .unwrap_or_default(),
            obj_age(&self.metadata, now),
            spec.and_then(|s| s.volume_mode.clone())
                .unwrap_or_else(|| "Filesystem".to_string()),
        ]
    }
}

impl Printable for PersistentVolumeClaim {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Status"),
            col("Volume"),
            col("Capacity"),
            col("Access Modes"),
            col("StorageClass"),
            col("VolumeAttributesClass"),
            col("Age"),
            wide("VolumeMode"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let spec = self.spec.as_ref();
        let st = self.status.as_ref();
        let mut phase = st
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Pending".to_string());
        if self.metadata.deletion_timestamp.is_some() {
            phase = "Terminating".to_string();
        }
        let volume = spec.and_then(|s| s.volume_name.clone()).unwrap_or_default();
        let (capacity, modes) = if volume.is_empty() {
            (String::new(), String::new())
        } else {
            (
                quantity_string(
                    st.and_then(|s| s.capacity.as_ref())
                        .and_then(|c| c.get("storage"))
                        .map(|q| q.0.as_str()),
                ),
                access_modes_string(st.and_then(|s| s.access_modes.as_ref())),
            )
        };
        let class = annotation(&self.metadata, "volume.beta.kubernetes.io/storage-class")
            .cloned()
            .or_else(|| spec.and_then(|s| s.storage_class_name.clone()))
            .unwrap_or_default();
        vec![
            name_of(&self.metadata),
            phase,
            volume,
            capacity,
            modes,
            class,
            spec.and_then(|s| s.volume_attributes_class_name.clone())
                .unwrap_or_else(|| "<unset>".to_string()),
            obj_age(&self.metadata, now),
            spec.and_then(|s| s.volume_mode.clone())
                .unwrap_or_else(|| "Filesystem".to_string()),
        ]
    }
}

impl Printable for StorageClass {
    const NAMESPACED: bool = false;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Provisioner"),
            col("ReclaimPolicy"),
            col("VolumeBindingMode"),
            col("AllowVolumeExpansion"),
            col("Age"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let mut name = name_of(&self.metadata);
        let is_default =
            |k: &str| annotation(&self.metadata, k).map(String::as_str) == Some("true");
        if is_default("storageclass.kubernetes.io/is-default-class")
            || is_default("storageclass.beta.kubernetes.io/is-default-class")
        {
            name.push_str(" (default)");
        }
        vec![
            name,
            self.provisioner.clone(),
            self.reclaim_policy
                .clone()
                .unwrap_or_else(|| "Delete".to_string()),
            self.volume_binding_mode
                .clone()
                .unwrap_or_else(|| "Immediate".to_string()),
            self.allow_volume_expansion.unwrap_or(false).to_string(),
            obj_age(&self.metadata, now),
        ]
    }
}

impl Printable for VolumeAttachment {
    const NAMESPACED: bool = false;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Attacher"),
            col("PV"),
            col("Node"),
            col("Attached"),
            col("Age"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        vec![
            name_of(&self.metadata),
            self.spec.attacher.clone(),
            self.spec
                .source
                .persistent_volume_name
                .clone()
                .unwrap_or_default(),
            self.spec.node_name.clone(),
            self.status.as_ref().is_some_and(|s| s.attached).to_string(),
            obj_age(&self.metadata, now),
        ]
    }
}

// ---------------------------------------------------------------------------
// Quantities.

/// How the apiserver prints an optional quantity string: Go's
/// `Quantity.String()` after `ParseQuantity` (see [`ParsedQuantity`]), "0"
/// when missing (Go's zero `Quantity`), and the text unchanged when it does
/// not parse.
pub(crate) fn quantity_string(input: Option<&str>) -> String {
    match input {
        None => "0".to_string(),
        Some(text) => ParsedQuantity::parse(text)
            .map(|q| q.to_string())
            .unwrap_or_else(|_| text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printers::test_fixtures::*;
    use crate::printers::{print_table, PrintOptions};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;

    #[test]
    fn capacity_cells_print_like_the_apiserver() {
        // (stored text, CAPACITY cell): Go `ParseQuantity(text).String()`,
        // which keeps text already in canonical form verbatim.
        let cases = [
            ("1024Mi", "1Gi"),
            ("2048Ki", "2Mi"),
            ("1.5Gi", "1536Mi"),
            ("0.5Ti", "512Gi"),
            ("1.000Gi", "1Gi"),
            ("1000Mi", "1000Mi"),
            ("100Gi", "100Gi"),
            ("10G", "10G"),
            ("5e9", "5e9"),
            ("+1Gi", "+1Gi"),
            ("+10Gi", "+10Gi"),
            ("007Gi", "007Gi"),
            ("0", "0"),
            ("bogus", "bogus"),
            ("", ""),
        ];
        for (text, want) in cases {
            assert_eq!(quantity_string(Some(text)), want, "capacity {text:?}");
        }
        assert_eq!(quantity_string(None), "0");
        // A volume without a storage capacity shows Go's zero quantity.
        let pv = PersistentVolume {
            metadata: meta(None, "pv-0", 60),
            ..Default::default()
        };
        let want = "\
NAME   CAPACITY   ACCESS MODES   RECLAIM POLICY   STATUS    CLAIM   STORAGECLASS   VOLUMEATTRIBUTESCLASS   REASON   AGE
pv-0   0                         Retain           Pending                          <unset>                          60s
";
        assert_eq!(print_table(&[&pv], now(), &PrintOptions::default()), want);
    }

    #[test]
    fn storage_tables() {
        use k8s_openapi::api::core::v1::{
            ObjectReference, PersistentVolumeClaimSpec, PersistentVolumeClaimStatus,
            PersistentVolumeSpec, PersistentVolumeStatus,
        };
        let pv = PersistentVolume {
            metadata: meta(None, "pv-1", 3600),
            spec: Some(PersistentVolumeSpec {
                capacity: Some([("storage".to_string(), K8sQuantity("1024Mi".into()))].into()),
                access_modes: Some(vec!["ReadWriteOnce".into(), "ReadOnlyMany".into()]),
                persistent_volume_reclaim_policy: Some("Delete".into()),
                claim_ref: Some(ObjectReference {
                    namespace: Some("default".into()),
                    name: Some("data".into()),
                    ..Default::default()
                }),
                storage_class_name: Some("standard".into()),
                ..Default::default()
            }),
            status: Some(PersistentVolumeStatus {
                phase: Some("Bound".into()),
                ..Default::default()
            }),
        };
        let want = "\
NAME   CAPACITY   ACCESS MODES   RECLAIM POLICY   STATUS   CLAIM          STORAGECLASS   VOLUMEATTRIBUTESCLASS   REASON   AGE
pv-1   1Gi        RWO,ROX        Delete           Bound    default/data   standard       <unset>                          60m
";
        assert_eq!(print_table(&[&pv], now(), &PrintOptions::default()), want);
        let pvc = PersistentVolumeClaim {
            metadata: meta(Some("default"), "data", 3600),
            spec: Some(PersistentVolumeClaimSpec {
                volume_name: Some("pv-1".into()),
                storage_class_name: Some("standard".into()),
                volume_mode: Some("Filesystem".into()),
                ..Default::default()
            }),
            status: Some(PersistentVolumeClaimStatus {
                phase: Some("Bound".into()),
                capacity: Some([("storage".to_string(), K8sQuantity("1Gi".into()))].into()),
                access_modes: Some(vec!["ReadWriteOnce".into()]),
                ..Default::default()
            }),
        };
        let want = "\
NAME   STATUS   VOLUME   CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE   VOLUMEMODE
data   Bound    pv-1     1Gi        RWO            standard       <unset>                 60m   Filesystem
";
        assert_eq!(
            print_table(
                &[&pvc],
                now(),
                &PrintOptions {
                    wide: true,
                    ..Default::default()
                }
            ),
            want
        );
        let sc = StorageClass {
            metadata: ObjectMeta {
                annotations: labels(&[("storageclass.kubernetes.io/is-default-class", "true")]),
                ..meta(None, "standard", 86400 * 30)
            },
            provisioner: "rancher.io/local-path".into(),
            reclaim_policy: Some("Delete".into()),
            volume_binding_mode: Some("WaitForFirstConsumer".into()),
            ..Default::default()
        };
        let want = "\
NAME                 PROVISIONER             RECLAIMPOLICY   VOLUMEBINDINGMODE      ALLOWVOLUMEEXPANSION   AGE
standard (default)   rancher.io/local-path   Delete          WaitForFirstConsumer   false                  30d
";
        assert_eq!(print_table(&[&sc], now(), &PrintOptions::default()), want);
        let va = VolumeAttachment {
            metadata: meta(None, "csi-5f1e", 90),
            spec: k8s_openapi::api::storage::v1::VolumeAttachmentSpec {
                attacher: "disk.csi.kubesim.io".into(),
                node_name: "worker-1".into(),
                source: k8s_openapi::api::storage::v1::VolumeAttachmentSource {
                    persistent_volume_name: Some("data-pv".into()),
                    ..Default::default()
                },
            },
            status: Some(k8s_openapi::api::storage::v1::VolumeAttachmentStatus {
                attached: true,
                ..Default::default()
            }),
        };
        let want = "\
NAME       ATTACHER              PV        NODE       ATTACHED   AGE
csi-5f1e   disk.csi.kubesim.io   data-pv   worker-1   true       90s
";
        assert_eq!(print_table(&[&va], now(), &PrintOptions::default()), want);
    }
}
