//! `kubectl get` output: the human-readable tables (`-o wide`, `-A`,
//! `--show-labels`, `--no-headers`), `-o name`, and the "No resources found"
//! message.
//!
//! kubectl v1.32 asks the apiserver for a `metav1.Table`; the apiserver
//! (v1.33) fills it with the column definitions and cell logic of
//! `k8s.io/kubernetes/pkg/printers/internalversion/printers.go`, always
//! generating the wide cells (`GenerateOptions{Wide: true}` in
//! `pkg/printers/storage/storage.go`). kubectl then drops the columns of
//! priority > 0 unless `-o wide`, prepends NAMESPACE for `-A` and appends
//! LABELS (`decorateTable` / `printTable` in
//! `k8s.io/cli-runtime/pkg/printers/tableprinter.go`) and aligns the text
//! with its tab writer ([`crate::table`]).
//!
//! Design: every supported kind implements [`Printable`] (its server-side
//! column definitions and its full row of cells); [`print_table`] is the
//! single entry point that decorates and renders a list of one kind.
//! Objects are printed in the order given: the apiserver lists in etcd key
//! order, i.e. sorted by the string `namespace + "/" + name` (see
//! `list_order_key`). Fields the apiserver always defaults (replicas 1,
//! service type ClusterIP, protocol TCP, ...) are defaulted here when
//! missing, so that objects not passed through defaulting print as a real
//! cluster would show them. Nothing here panics on missing fields.
//!
//! This module holds the decoration and the helpers every kind shares; the
//! [`Printable`] implementations live one room per group of kinds:
//!
//! - `pod.rs`: Pod (READY, STATUS and RESTARTS as `printPod` computes them);
//! - `node.rs`: Node (and the node roles `kubectl describe node` shows too);
//! - `config.rs`: Namespace, ConfigMap, Secret, ServiceAccount, Lease,
//!   PriorityClass;
//! - `workloads.rs`: Deployment, ReplicaSet, DaemonSet, StatefulSet, Job;
//! - `network.rs`: Service, Ingress, IngressClass, Endpoints, EndpointSlice;
//! - `access.rs`: ClusterRole, ClusterRoleBinding, Role, RoleBinding and
//!   the admission webhook configurations;
//! - `storage.rs`: PersistentVolume, PersistentVolumeClaim, StorageClass,
//!   VolumeAttachment;
//! - `event.rs`: Event;
//! - `selector.rs`: label selectors as text (`metav1.FormatLabelSelector`).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;

use crate::age::age;
use crate::table::Table;

mod access;
mod config;
mod event;
mod network;
mod node;
mod pod;
mod selector;
pub(crate) mod storage;
mod workloads;

#[cfg(test)]
mod test_fixtures;

pub(crate) use node::node_roles;
pub(crate) use selector::{format_label_selector, label_selector_string};

/// Options of `kubectl get` that change the table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrintOptions {
    /// `-o wide`: also print the columns of priority > 0.
    pub wide: bool,
    /// `-A` / `--all-namespaces`: a NAMESPACE first column (namespaced kinds only).
    pub with_namespace: bool,
    /// `--show-labels`: a LABELS last column (`k=v,k2=v2` sorted, or `<none>`).
    pub show_labels: bool,
    /// `--no-headers`.
    pub no_headers: bool,
    /// The NAME cells as `KIND.GROUP/NAME` (`deployment.apps/web`): kubectl
    /// prints the kind when the objects listed are of several kinds.
    pub with_kind: Option<String>,
}

/// A server-side table column definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// The column name as defined by the apiserver (kubectl upper-cases it).
    pub name: &'static str,
    /// 0 for the default columns, 1 for the `-o wide` ones.
    pub priority: u8,
}

const fn col(name: &'static str) -> Column {
    Column { name, priority: 0 }
}

const fn wide(name: &'static str) -> Column {
    Column { name, priority: 1 }
}

/// A kind `kubectl get` can print as a table.
pub trait Printable: k8s_openapi::Metadata<Ty = ObjectMeta> {
    /// Whether the kind is namespaced (only namespaced kinds get the
    /// NAMESPACE column of `-A`).
    const NAMESPACED: bool;

    /// The apiserver's column definitions, wide columns included.
    fn columns() -> &'static [Column];

    /// The apiserver's cells for this object, one per column of
    /// [`Printable::columns`] (the wide ones included).
    fn cells(&self, now: Timestamp) -> Vec<String>;
}

/// Renders `items` (all of one kind) as `kubectl get` prints them.
/// Returns an empty string for an empty list (kubectl then prints
/// [`no_resources_message`] on stderr).
///
/// ```
/// use k8s_openapi::api::core::v1::Namespace;
/// use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
/// use k8s_openapi::jiff::Timestamp;
/// use sim_report::printers::{print_table, PrintOptions};
///
/// let now = Timestamp::from_second(1_750_000_000).unwrap();
/// let two_hours_ago = Time(Timestamp::from_second(1_750_000_000 - 7200).unwrap());
/// let namespace = |name: &str| Namespace {
///     metadata: ObjectMeta {
///         name: Some(name.into()),
///         creation_timestamp: Some(two_hours_ago.clone()),
///         ..Default::default()
///     },
///     ..Default::default()
/// };
/// let (default, system) = (namespace("default"), namespace("kube-system"));
///
/// let table = print_table(&[&default, &system], now, &PrintOptions::default());
/// assert_eq!(
///     table,
///     "NAME          STATUS   AGE\n\
///      default       Active   120m\n\
///      kube-system   Active   120m\n"
/// );
///
/// let show_labels = PrintOptions { show_labels: true, ..Default::default() };
/// assert_eq!(
///     print_table(&[&default], now, &show_labels),
///     "NAME      STATUS   AGE    LABELS\n\
///      default   Active   120m   <none>\n"
/// );
/// ```
pub fn print_table<T: Printable>(items: &[&T], now: Timestamp, opts: &PrintOptions) -> String {
    let columns = T::columns();
    let with_namespace = opts.with_namespace && T::NAMESPACED;
    let mut headers: Vec<String> = Vec::new();
    if with_namespace {
        headers.push("NAMESPACE".to_string());
    }
    for c in columns {
        if opts.wide || c.priority == 0 {
            headers.push(c.name.to_uppercase());
        }
    }
    if opts.show_labels {
        headers.push("LABELS".to_string());
    }
    let mut table = Table {
        headers,
        rows: Vec::new(),
    };
    for item in items {
        let meta = item.metadata();
        let mut row = Vec::new();
        if with_namespace {
            row.push(meta.namespace.clone().unwrap_or_default());
        }
        for (c, cell) in columns.iter().zip(item.cells(now)) {
            if opts.wide || c.priority == 0 {
                match &opts.with_kind {
                    Some(kind) if c.name == "Name" => row.push(format!("{kind}/{cell}")),
                    _ => row.push(cell),
                }
            }
        }
        if opts.show_labels {
            row.push(format_labels(meta.labels.as_ref()));
        }
        table.push_row(row);
    }
    table.render(opts.no_headers)
}

/// The apiserver's list order key, `namespace/name` (etcd key order): sort
/// a list by this string to print it in the order kubectl shows.
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "nothing sorts by it yet: sim-core's store orders lists by the (namespace, name) pair"
    )
)]
pub(crate) fn list_order_key(meta: &ObjectMeta) -> String {
    format!(
        "{}/{}",
        meta.namespace.as_deref().unwrap_or(""),
        meta.name.as_deref().unwrap_or("")
    )
}

/// One `-o name` line without its newline (`cli-runtime/pkg/printers/name.go`):
/// the lower-case kind, `.group` unless the group is core, `/name`; for
/// example `pod/mynginx` or `deployment.apps/my-tomcat`. An empty name
/// prints as `<unknown>`.
pub(crate) fn print_name(kind: &str, group: &str, name: &str) -> String {
    let name = if name.is_empty() { "<unknown>" } else { name };
    if group.is_empty() {
        format!("{}/{}", kind.to_lowercase(), name)
    } else {
        format!("{}.{}/{}", kind.to_lowercase(), group, name)
    }
}

/// `kubectl get -o name` for a list of one kind: one line per object, each
/// ending with a newline.
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "sim-scenarios prints `-o name` from its own kind table"
    )
)]
pub(crate) fn print_names<T: Printable>(items: &[&T]) -> String {
    let mut out = String::new();
    for item in items {
        out.push_str(&print_name(
            T::KIND,
            T::GROUP,
            item.metadata().name.as_deref().unwrap_or(""),
        ));
        out.push('\n');
    }
    out
}

/// What `kubectl get` prints on stderr (without the newline) when nothing
/// was listed: `"No resources found in <ns> namespace."` for a namespaced kind
/// in one namespace, "No resources found" for cluster-scoped kinds and `-A`
/// (pass `None`). Follows `pkg/cmd/get/get.go`.
pub fn no_resources_message(namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("No resources found in {ns} namespace."),
        None => "No resources found".to_string(),
    }
}

// ---------------------------------------------------------------------------
// Shared formatting helpers.

/// `labels.FormatLabels`: `k=v` pairs sorted by key and joined by commas,
/// `<none>` when empty.
pub fn format_labels(labels: Option<&BTreeMap<String, String>>) -> String {
    let s = labels
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    if s.is_empty() {
        "<none>".to_string()
    } else {
        s
    }
}

fn name_of(meta: &ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

fn obj_age(meta: &ObjectMeta, now: Timestamp) -> String {
    age(meta.creation_timestamp.as_ref(), now)
}

fn s(v: Option<&String>) -> &str {
    v.map(String::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printers::test_fixtures::*;
    use k8s_openapi::api::core::v1::Namespace;

    #[test]
    fn namespaces_and_names() {
        let ns = Namespace {
            metadata: meta(None, "tuling", 7200),
            ..Default::default()
        };
        let want = "NAME     STATUS   AGE\ntuling   Active   120m\n";
        assert_eq!(print_table(&[&ns], now(), &PrintOptions::default()), want);
        assert_eq!(print_names(&[&ns]), "namespace/tuling\n");
        assert_eq!(print_name("Pod", "", "mynginx"), "pod/mynginx");
        assert_eq!(
            print_name("Deployment", "apps", "my-tomcat"),
            "deployment.apps/my-tomcat"
        );
        assert_eq!(print_name("Pod", "", ""), "pod/<unknown>");
        assert_eq!(
            no_resources_message(Some("default")),
            "No resources found in default namespace."
        );
        assert_eq!(no_resources_message(None), "No resources found");
        let empty: Vec<&Namespace> = vec![];
        assert_eq!(print_table(&empty, now(), &PrintOptions::default()), "");
    }

    #[test]
    fn labels_and_list_order() {
        assert_eq!(format_labels(None), "<none>");
        let m = ObjectMeta {
            name: Some("b".into()),
            namespace: Some("a-b".into()),
            ..Default::default()
        };
        assert_eq!(list_order_key(&m), "a-b/b");
    }
}
