//! `kubectl get` of the kinds that say who may do what and what checks a
//! request: ClusterRole, ClusterRoleBinding, Role, RoleBinding
//! (printers.go `printClusterRole`, `printRoleBinding`, ...: roles show
//! their creation time in RFC 3339, bindings the role they bind and, with
//! `-o wide`, their subjects) and the admission webhook configurations
//! (their number of webhooks).

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;

use super::{col, name_of, obj_age, wide, Column, Printable};

/// `CREATED AT`: the creation time in RFC 3339, UTC.
fn created_at(meta: &ObjectMeta) -> String {
    meta.creation_timestamp
        .as_ref()
        .map(|t| t.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "<unknown>".to_owned())
}

/// `ROLE`: `Kind/name` of the bound role.
fn role_of(r: &RoleRef) -> String {
    format!("{}/{}", r.kind, r.name)
}

/// The wide columns of a binding: its users, groups and service accounts
/// (`namespace/name`), each list joined by `, `.
fn subjects(subjects: Option<&Vec<Subject>>) -> [String; 3] {
    let mut users = Vec::new();
    let mut groups = Vec::new();
    let mut sas = Vec::new();
    for s in subjects.into_iter().flatten() {
        match s.kind.as_str() {
            "User" => users.push(s.name.clone()),
            "Group" => groups.push(s.name.clone()),
            "ServiceAccount" => sas.push(format!(
                "{}/{}",
                s.namespace.as_deref().unwrap_or(""),
                s.name
            )),
            _ => {}
        }
    }
    [users.join(", "), groups.join(", "), sas.join(", ")]
}

const ROLE_COLUMNS: &[Column] = &[col("Name"), col("Created At")];

const BINDING_COLUMNS: &[Column] = &[
    col("Name"),
    col("Role"),
    col("Age"),
    wide("Users"),
    wide("Groups"),
    wide("ServiceAccounts"),
];

/// Roles: their name and creation time.
macro_rules! role_printer {
    ($ty:ty, $namespaced:expr) => {
        impl Printable for $ty {
            const NAMESPACED: bool = $namespaced;

            fn columns() -> &'static [Column] {
                ROLE_COLUMNS
            }

            fn cells(&self, _now: Timestamp) -> Vec<String> {
                vec![name_of(&self.metadata), created_at(&self.metadata)]
            }
        }
    };
}

/// Bindings: the role they bind and, wide, their subjects.
macro_rules! binding_printer {
    ($ty:ty, $namespaced:expr) => {
        impl Printable for $ty {
            const NAMESPACED: bool = $namespaced;

            fn columns() -> &'static [Column] {
                BINDING_COLUMNS
            }

            fn cells(&self, now: Timestamp) -> Vec<String> {
                let [users, groups, sas] = subjects(self.subjects.as_ref());
                vec![
                    name_of(&self.metadata),
                    role_of(&self.role_ref),
                    obj_age(&self.metadata, now),
                    users,
                    groups,
                    sas,
                ]
            }
        }
    };
}

/// Webhook configurations: how many webhooks they hold.
macro_rules! webhook_printer {
    ($ty:ty) => {
        impl Printable for $ty {
            const NAMESPACED: bool = false;

            fn columns() -> &'static [Column] {
                WEBHOOK_COLUMNS
            }

            fn cells(&self, now: Timestamp) -> Vec<String> {
                vec![
                    name_of(&self.metadata),
                    self.webhooks.as_ref().map_or(0, Vec::len).to_string(),
                    obj_age(&self.metadata, now),
                ]
            }
        }
    };
}

const WEBHOOK_COLUMNS: &[Column] = &[col("Name"), col("Webhooks"), col("Age")];

role_printer!(ClusterRole, false);
role_printer!(Role, true);
binding_printer!(ClusterRoleBinding, false);
binding_printer!(RoleBinding, true);
webhook_printer!(ValidatingWebhookConfiguration);
webhook_printer!(MutatingWebhookConfiguration);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printers::test_fixtures::*;
    use crate::printers::{print_table, PrintOptions};

    #[test]
    fn roles_show_their_creation_and_bindings_their_role() {
        let role = ClusterRole {
            metadata: meta(None, "nfs-client-provisioner-runner", 60),
            ..Default::default()
        };
        let out = print_table(&[&role], now(), &PrintOptions::default());
        assert!(
            out.starts_with("NAME                            CREATED AT\n"),
            "{out}"
        );
        let binding = ClusterRoleBinding {
            metadata: meta(None, "run-nfs-client-provisioner", 60),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "ClusterRole".into(),
                name: "nfs-client-provisioner-runner".into(),
            },
            subjects: Some(vec![Subject {
                kind: "ServiceAccount".into(),
                name: "nfs-client-provisioner".into(),
                namespace: Some("default".into()),
                ..Default::default()
            }]),
        };
        let wide_opts = PrintOptions {
            wide: true,
            ..PrintOptions::default()
        };
        let out = print_table(&[&binding], now(), &wide_opts);
        assert_eq!(
            out,
            "NAME                         ROLE                                        AGE   USERS   GROUPS   SERVICEACCOUNTS\nrun-nfs-client-provisioner   ClusterRole/nfs-client-provisioner-runner   60s                    default/nfs-client-provisioner\n"
        );
    }
}
