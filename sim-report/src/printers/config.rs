//! The tables of the configuration and bookkeeping kinds: Namespace,
//! ConfigMap, Secret, ServiceAccount, Lease and PriorityClass
//! (`k8s.io/kubernetes/pkg/printers/internalversion/printers.go`).

use std::collections::BTreeMap;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, ServiceAccount};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::jiff::Timestamp;

use super::{col, name_of, obj_age, Column, Printable};

impl Printable for Namespace {
    const NAMESPACED: bool = false;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[col("Name"), col("Status"), col("Age")];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let phase = self
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Active".to_string());
        vec![name_of(&self.metadata), phase, obj_age(&self.metadata, now)]
    }
}

impl Printable for ConfigMap {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[col("Name"), col("Data"), col("Age")];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let n = self.data.as_ref().map(BTreeMap::len).unwrap_or(0)
            + self.binary_data.as_ref().map(BTreeMap::len).unwrap_or(0);
        vec![
            name_of(&self.metadata),
            n.to_string(),
            obj_age(&self.metadata, now),
        ]
    }
}

impl Printable for Secret {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[col("Name"), col("Type"), col("Data"), col("Age")];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        // stringData is merged into data when the object is written.
        let mut keys: std::collections::BTreeSet<&String> =
            self.data.iter().flat_map(|d| d.keys()).collect();
        keys.extend(self.string_data.iter().flat_map(|d| d.keys()));
        let type_ = match self.type_.as_deref() {
            Some(t) if !t.is_empty() => t.to_string(),
            _ => "Opaque".to_string(),
        };
        vec![
            name_of(&self.metadata),
            type_,
            keys.len().to_string(),
            obj_age(&self.metadata, now),
        ]
    }
}

impl Printable for ServiceAccount {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[col("Name"), col("Secrets"), col("Age")];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        vec![
            name_of(&self.metadata),
            self.secrets.as_ref().map(Vec::len).unwrap_or(0).to_string(),
            obj_age(&self.metadata, now),
        ]
    }
}

impl Printable for Lease {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[col("Name"), col("Holder"), col("Age")];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let holder = self
            .spec
            .as_ref()
            .and_then(|s| s.holder_identity.clone())
            .unwrap_or_default();
        vec![
            name_of(&self.metadata),
            holder,
            obj_age(&self.metadata, now),
        ]
    }
}

impl Printable for PriorityClass {
    const NAMESPACED: bool = false;

    fn columns() -> &'static [Column] {
        // PreemptionPolicy has priority 0 in the server's definitions, so it
        // shows without -o wide too (the server always fills it).
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Value"),
            col("Global-Default"),
            col("Age"),
            col("PreemptionPolicy"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let policy = self
            .preemption_policy
            .clone()
            .unwrap_or_else(|| "PreemptLowerPriority".to_string());
        vec![
            name_of(&self.metadata),
            self.value.to_string(),
            self.global_default.unwrap_or(false).to_string(),
            obj_age(&self.metadata, now),
            policy,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printers::test_fixtures::*;
    use crate::printers::{print_names, print_table, PrintOptions};

    #[test]
    fn config_secret_sa_lease_tables() {
        use k8s_openapi::api::coordination::v1::LeaseSpec;
        use k8s_openapi::api::core::v1::ObjectReference;
        use k8s_openapi::ByteString;
        let cm = ConfigMap {
            metadata: meta(Some("default"), "kube-root-ca.crt", 3600 * 5),
            data: labels(&[("ca.crt", "x")]),
            binary_data: Some(
                [("bin".to_string(), ByteString(vec![1]))]
                    .into_iter()
                    .collect(),
            ),
            ..Default::default()
        };
        assert_eq!(
            print_table(&[&cm], now(), &PrintOptions::default()),
            "NAME               DATA   AGE\nkube-root-ca.crt   2      5h\n"
        );
        let secret = Secret {
            metadata: meta(Some("default"), "db-pass", 60),
            data: Some(
                [("password".to_string(), ByteString(b"x".to_vec()))]
                    .into_iter()
                    .collect(),
            ),
            type_: None,
            ..Default::default()
        };
        assert_eq!(
            print_table(&[&secret], now(), &PrintOptions::default()),
            "NAME      TYPE     DATA   AGE\ndb-pass   Opaque   1      60s\n"
        );
        let sa = ServiceAccount {
            metadata: meta(Some("default"), "default", 86400),
            secrets: Some(vec![ObjectReference::default()]),
            ..Default::default()
        };
        assert_eq!(
            print_table(&[&sa], now(), &PrintOptions::default()),
            "NAME      SECRETS   AGE\ndefault   1         24h\n"
        );
        let lease = Lease {
            metadata: meta(Some("kube-node-lease"), "kind-worker", 3000),
            spec: Some(LeaseSpec {
                holder_identity: Some("kind-worker".into()),
                ..Default::default()
            }),
        };
        assert_eq!(
            print_table(&[&lease], now(), &PrintOptions { with_namespace: true, ..Default::default() }),
            "NAMESPACE         NAME          HOLDER        AGE\nkube-node-lease   kind-worker   kind-worker   50m\n"
        );
        assert_eq!(
            print_names(&[&lease]),
            "lease.coordination.k8s.io/kind-worker\n"
        );
    }

    #[test]
    fn priority_class_table() {
        let pc = PriorityClass {
            metadata: meta(None, "system-node-critical", 86400 * 400),
            value: 2_000_001_000,
            ..Default::default()
        };
        let want = "\
NAME                   VALUE        GLOBAL-DEFAULT   AGE    PREEMPTIONPOLICY
system-node-critical   2000001000   false            400d   PreemptLowerPriority
";
        assert_eq!(print_table(&[&pc], now(), &PrintOptions::default()), want);
    }
}
