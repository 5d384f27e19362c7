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
//! [`list_order_key`]). Fields the apiserver always defaults (replicas 1,
//! service type ClusterIP, protocol TCP, ...) are defaulted here when
//! missing, so that objects not passed through defaulting print as a real
//! cluster would show them. Nothing here panics on missing fields.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{
    ConfigMap, Container, Endpoints, Event, Namespace, Node, PersistentVolume,
    PersistentVolumeClaim, Pod, PodTemplateSpec, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use sim_core::api::quantity::ParsedQuantity;

use crate::age::{age, age_micro, human_duration, since_nanos};
use crate::table::Table;

/// Options of `kubectl get` that change the table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrintOptions {
    /// `-o wide`: also print the columns of priority > 0.
    pub wide: bool,
    /// `-A` / `--all-namespaces`: a NAMESPACE first column (namespaced kinds only).
    pub with_namespace: bool,
    /// `--show-labels`: a LABELS last column (`k=v,k2=v2` sorted, or `<none>`).
    pub show_labels: bool,
    /// `--no-headers`.
    pub no_headers: bool,
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
                row.push(cell);
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
pub fn list_order_key(meta: &ObjectMeta) -> String {
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
pub fn print_name(kind: &str, group: &str, name: &str) -> String {
    let name = if name.is_empty() { "<unknown>" } else { name };
    if group.is_empty() {
        format!("{}/{}", kind.to_lowercase(), name)
    } else {
        format!("{}.{}/{}", kind.to_lowercase(), group, name)
    }
}

/// `kubectl get -o name` for a list of one kind: one line per object, each
/// ending with a newline.
pub fn print_names<T: Printable>(items: &[&T]) -> String {
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

/// `metav1.LabelSelectorAsSelector(selector).String()`: requirements sorted
/// by key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`; `""` for a
/// missing or empty selector; `Err` for an invalid one (unknown operator or
/// wrong number of values; label syntax is not validated).
pub fn label_selector_string(selector: Option<&LabelSelector>) -> Result<String, String> {
    let Some(sel) = selector else {
        return Ok(String::new());
    };
    // (key, rendered requirement) in insertion order, then stably sorted by
    // key as `selector.Add` does (Go's sort.Sort is stable below 13 items).
    let mut reqs: Vec<(String, String)> = Vec::new();
    if let Some(ml) = &sel.match_labels {
        for (k, v) in ml {
            reqs.push((k.clone(), format!("{k}={v}")));
        }
    }
    for expr in sel.match_expressions.iter().flatten() {
        let mut values = expr.values.clone().unwrap_or_default();
        values.sort();
        let k = &expr.key;
        let rendered = match expr.operator.as_str() {
            "In" | "NotIn" => {
                if values.is_empty() {
                    return Err(format!(
                        "for 'in', 'notin' operators, values set can't be empty: {k}"
                    ));
                }
                let op = if expr.operator == "In" { "in" } else { "notin" };
                format!("{k} {op} ({})", values.join(","))
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    return Err(format!(
                        "values set must be empty for exists and does not exist: {k}"
                    ));
                }
                if expr.operator == "Exists" {
                    k.clone()
                } else {
                    format!("!{k}")
                }
            }
            other => return Err(format!("{other:?} is not a valid label selector operator")),
        };
        reqs.push((k.clone(), rendered));
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(reqs
        .into_iter()
        .map(|(_, r)| r)
        .collect::<Vec<_>>()
        .join(","))
}

/// `metav1.FormatLabelSelector`: like [`label_selector_string`] but `<none>`
/// when empty and `<error>` when invalid.
pub fn format_label_selector(selector: Option<&LabelSelector>) -> String {
    match label_selector_string(selector) {
        Ok(s) if s.is_empty() => "<none>".to_string(),
        Ok(s) => s,
        Err(_) => "<error>".to_string(),
    }
}

/// `layoutContainerCells`: container names and images, comma-separated.
fn layout_container_cells(containers: &[Container]) -> (String, String) {
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    let images: Vec<&str> = containers
        .iter()
        .map(|c| c.image.as_deref().unwrap_or(""))
        .collect();
    (names.join(","), images.join(","))
}

fn template_containers(t: Option<&PodTemplateSpec>) -> &[Container] {
    t.and_then(|t| t.spec.as_ref())
        .map(|s| s.containers.as_slice())
        .unwrap_or(&[])
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

/// `net.JoinHostPort`.
fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `helper.GetAccessModesAsString`.
fn access_modes_string(modes: Option<&Vec<String>>) -> String {
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

/// Strict ordering of optional timestamps where `None` is Go's zero time.
fn later(a: Option<Timestamp>, b: Option<Timestamp>) -> bool {
    a > b
}

// ---------------------------------------------------------------------------
// Pod.

fn is_restartable_init(pod: &Pod, name: &str) -> bool {
    // `initContainers[name]`: a map filled in order, so the last one wins.
    pod.spec
        .as_ref()
        .and_then(|s| s.init_containers.as_ref())
        .and_then(|ics| ics.iter().rev().find(|c| c.name == name))
        .map(|c| c.restart_policy.as_deref() == Some("Always"))
        .unwrap_or(false)
}

fn pod_condition_true(pod: &Pod, type_: &str, first_only: bool) -> bool {
    let conds = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for c in conds {
        if c.type_ == type_ {
            if c.status == "True" {
                return true;
            }
            if first_only {
                return false;
            }
        }
    }
    false
}

/// The READY, STATUS and RESTARTS cells of a pod (`printPod`).
fn pod_ready_status_restarts(pod: &Pod, now: Timestamp) -> (String, String, String) {
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let containers = spec.map(|s| s.containers.as_slice()).unwrap_or(&[]);
    let init_containers = spec
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or(&[]);
    let mut restarts: i64 = 0;
    let mut restartable_init_restarts: i64 = 0;
    let mut total = containers.len();
    let mut ready = 0usize;
    let mut last_restart: Option<Timestamp> = None;
    let mut last_restartable_init_restart: Option<Timestamp> = None;

    let phase = status
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "Pending".to_string());
    let mut reason = match status.and_then(|s| s.reason.as_deref()) {
        Some(r) if !r.is_empty() => r.to_string(),
        _ => phase.clone(),
    };
    for c in status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]) {
        if c.type_ == "PodScheduled" && c.reason.as_deref() == Some("SchedulingGated") {
            reason = "SchedulingGated".to_string();
        }
    }
    for c in init_containers {
        if c.restart_policy.as_deref() == Some("Always") {
            total += 1;
        }
    }

    let mut initializing = false;
    let init_statuses = status
        .and_then(|s| s.init_container_statuses.as_deref())
        .unwrap_or(&[]);
    for (i, cs) in init_statuses.iter().enumerate() {
        let restartable = is_restartable_init(pod, &cs.name);
        restarts += i64::from(cs.restart_count);
        if let Some(t) = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref()) {
            let finished = t.finished_at.as_ref().map(|t| t.0);
            if later(finished, last_restart) {
                last_restart = finished;
            }
            if restartable && later(finished, last_restartable_init_restart) {
                last_restartable_init_restart = finished;
            }
        }
        if restartable {
            restartable_init_restarts += i64::from(cs.restart_count);
        }
        let state = cs.state.as_ref();
        let terminated = state.and_then(|s| s.terminated.as_ref());
        let waiting = state.and_then(|s| s.waiting.as_ref());
        if terminated.map(|t| t.exit_code == 0).unwrap_or(false) {
            continue;
        }
        if restartable && cs.started == Some(true) {
            if cs.ready {
                ready += 1;
            }
            continue;
        }
        if let Some(t) = terminated {
            reason = match t.reason.as_deref() {
                Some(r) if !r.is_empty() => format!("Init:{r}"),
                _ => match t.signal {
                    Some(sig) if sig != 0 => format!("Init:Signal:{sig}"),
                    _ => format!("Init:ExitCode:{}", t.exit_code),
                },
            };
        } else if let Some(r) = waiting
            .and_then(|w| w.reason.as_deref())
            .filter(|r| !r.is_empty() && *r != "PodInitializing")
        {
            reason = format!("Init:{r}");
        } else {
            reason = format!("Init:{}/{}", i, init_containers.len());
        }
        initializing = true;
        break;
    }

    if !initializing || pod_condition_true(pod, "Initialized", true) {
        restarts = restartable_init_restarts;
        last_restart = last_restartable_init_restart;
        let mut has_running = false;
        let statuses = status
            .and_then(|s| s.container_statuses.as_deref())
            .unwrap_or(&[]);
        for cs in statuses.iter().rev() {
            restarts += i64::from(cs.restart_count);
            if let Some(t) = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref()) {
                let finished = t.finished_at.as_ref().map(|t| t.0);
                if later(finished, last_restart) {
                    last_restart = finished;
                }
            }
            let state = cs.state.as_ref();
            let waiting_reason = state
                .and_then(|s| s.waiting.as_ref())
                .and_then(|w| w.reason.as_deref())
                .filter(|r| !r.is_empty());
            let terminated = state.and_then(|s| s.terminated.as_ref());
            if let Some(r) = waiting_reason {
                reason = r.to_string();
            } else if let Some(t) = terminated {
                reason = match t.reason.as_deref() {
                    Some(r) if !r.is_empty() => r.to_string(),
                    _ => match t.signal {
                        Some(sig) if sig != 0 => format!("Signal:{sig}"),
                        _ => format!("ExitCode:{}", t.exit_code),
                    },
                };
            } else if cs.ready && state.and_then(|s| s.running.as_ref()).is_some() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if pod_condition_true(pod, "Ready", false) {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }

    if pod.metadata.deletion_timestamp.is_some()
        && status.and_then(|s| s.reason.as_deref()) == Some("NodeLost")
    {
        reason = "Unknown".to_string();
    } else if pod.metadata.deletion_timestamp.is_some() && phase != "Failed" && phase != "Succeeded"
    {
        reason = "Terminating".to_string();
    }

    let restarts_str = match last_restart {
        Some(t) if restarts != 0 => format!("{} ({} ago)", restarts, age(Some(&Time(t)), now)),
        _ => restarts.to_string(),
    };
    (format!("{ready}/{total}"), reason, restarts_str)
}

impl Printable for Pod {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Ready"),
            col("Status"),
            col("Restarts"),
            col("Age"),
            wide("IP"),
            wide("Node"),
            wide("Nominated Node"),
            wide("Readiness Gates"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let (ready, status, restarts) = pod_ready_status_restarts(self, now);
        let st = self.status.as_ref();
        let mut pod_ip = st
            .and_then(|s| s.pod_ips.as_ref())
            .and_then(|ips| ips.first())
            .map(|ip| ip.ip.clone())
            .or_else(|| st.and_then(|s| s.pod_ip.clone()))
            .unwrap_or_default();
        if pod_ip.is_empty() {
            pod_ip = "<none>".to_string();
        }
        let or_none = |v: Option<&String>| match v {
            Some(x) if !x.is_empty() => x.clone(),
            _ => "<none>".to_string(),
        };
        let node = or_none(self.spec.as_ref().and_then(|s| s.node_name.as_ref()));
        let nominated = or_none(st.and_then(|s| s.nominated_node_name.as_ref()));
        let gates = self
            .spec
            .as_ref()
            .and_then(|s| s.readiness_gates.as_deref())
            .unwrap_or(&[]);
        let readiness = if gates.is_empty() {
            "<none>".to_string()
        } else {
            let conds = st.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
            let true_count = gates
                .iter()
                .filter(|g| {
                    conds
                        .iter()
                        .find(|c| c.type_ == g.condition_type)
                        .map(|c| c.status == "True")
                        .unwrap_or(false)
                })
                .count();
            format!("{}/{}", true_count, gates.len())
        };
        vec![
            name_of(&self.metadata),
            ready,
            status,
            restarts,
            obj_age(&self.metadata, now),
            pod_ip,
            node,
            nominated,
            readiness,
        ]
    }
}

// ---------------------------------------------------------------------------
// Node.

/// `findNodeRoles`: roles from `node-role.kubernetes.io/<role>` labels and
/// the `kubernetes.io/role` label, sorted and de-duplicated.
pub fn node_roles(node: &Node) -> Vec<String> {
    let mut roles = std::collections::BTreeSet::new();
    for (k, v) in node.metadata.labels.iter().flatten() {
        if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
            if !role.is_empty() {
                roles.insert(role.to_string());
            }
        } else if k == "kubernetes.io/role" && !v.is_empty() {
            roles.insert(v.clone());
        }
    }
    roles.into_iter().collect()
}

fn node_address(node: &Node, type_: &str) -> String {
    node.status
        .as_ref()
        .and_then(|s| s.addresses.as_ref())
        .and_then(|a| a.iter().find(|a| a.type_ == type_))
        .map(|a| a.address.clone())
        .unwrap_or_else(|| "<none>".to_string())
}

impl Printable for Node {
    const NAMESPACED: bool = false;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Status"),
            col("Roles"),
            col("Age"),
            col("Version"),
            wide("Internal-IP"),
            wide("External-IP"),
            wide("OS-Image"),
            wide("Kernel-Version"),
            wide("Container-Runtime"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let st = self.status.as_ref();
        // conditionMap: the last condition of type Ready wins.
        let ready = st
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().rev().find(|c| c.type_ == "Ready"));
        let mut status = vec![match ready {
            Some(c) if c.status == "True" => "Ready".to_string(),
            Some(_) => "NotReady".to_string(),
            None => "Unknown".to_string(),
        }];
        if self.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) {
            status.push("SchedulingDisabled".to_string());
        }
        let mut roles = node_roles(self).join(",");
        if roles.is_empty() {
            roles = "<none>".to_string();
        }
        let info = st.and_then(|s| s.node_info.as_ref());
        let unknown = |v: Option<&String>| match v {
            Some(x) if !x.is_empty() => x.clone(),
            _ => "<unknown>".to_string(),
        };
        vec![
            name_of(&self.metadata),
            status.join(","),
            roles,
            obj_age(&self.metadata, now),
            info.map(|i| i.kubelet_version.clone()).unwrap_or_default(),
            node_address(self, "InternalIP"),
            node_address(self, "ExternalIP"),
            unknown(info.map(|i| &i.os_image)),
            unknown(info.map(|i| &i.kernel_version)),
            unknown(info.map(|i| &i.container_runtime_version)),
        ]
    }
}

// ---------------------------------------------------------------------------
// Namespace, ConfigMap, Secret, ServiceAccount, Lease, PriorityClass.

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

// ---------------------------------------------------------------------------
// Workloads.

impl Printable for Deployment {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Ready"),
            col("Up-to-date"),
            col("Available"),
            col("Age"),
            wide("Containers"),
            wide("Images"),
            wide("Selector"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let spec = self.spec.as_ref();
        let st = self.status.as_ref();
        let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
        let ready = st.and_then(|s| s.ready_replicas).unwrap_or(0);
        let selector = label_selector_string(spec.map(|s| &s.selector))
            .unwrap_or_else(|_| "<invalid>".to_string());
        let (names, images) =
            layout_container_cells(template_containers(spec.map(|s| &s.template)));
        vec![
            name_of(&self.metadata),
            format!("{ready}/{desired}"),
            st.and_then(|s| s.updated_replicas).unwrap_or(0).to_string(),
            st.and_then(|s| s.available_replicas)
                .unwrap_or(0)
                .to_string(),
            obj_age(&self.metadata, now),
            names,
            images,
            selector,
        ]
    }
}

impl Printable for ReplicaSet {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Desired"),
            col("Current"),
            col("Ready"),
            col("Age"),
            wide("Containers"),
            wide("Images"),
            wide("Selector"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let spec = self.spec.as_ref();
        let st = self.status.as_ref();
        let (names, images) =
            layout_container_cells(template_containers(spec.and_then(|s| s.template.as_ref())));
        vec![
            name_of(&self.metadata),
            spec.and_then(|s| s.replicas).unwrap_or(1).to_string(),
            st.map(|s| s.replicas).unwrap_or(0).to_string(),
            st.and_then(|s| s.ready_replicas).unwrap_or(0).to_string(),
            obj_age(&self.metadata, now),
            names,
            images,
            format_label_selector(spec.map(|s| &s.selector)),
        ]
    }
}

impl Printable for DaemonSet {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Desired"),
            col("Current"),
            col("Ready"),
            col("Up-to-date"),
            col("Available"),
            col("Node Selector"),
            col("Age"),
            wide("Containers"),
            wide("Images"),
            wide("Selector"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let spec = self.spec.as_ref();
        let st = self.status.as_ref();
        let template = spec.map(|s| &s.template);
        let node_selector = template
            .and_then(|t| t.spec.as_ref())
            .and_then(|s| s.node_selector.as_ref());
        let (names, images) = layout_container_cells(template_containers(template));
        vec![
            name_of(&self.metadata),
            st.map(|s| s.desired_number_scheduled)
                .unwrap_or(0)
                .to_string(),
            st.map(|s| s.current_number_scheduled)
                .unwrap_or(0)
                .to_string(),
            st.map(|s| s.number_ready).unwrap_or(0).to_string(),
            st.and_then(|s| s.updated_number_scheduled)
                .unwrap_or(0)
                .to_string(),
            st.and_then(|s| s.number_available).unwrap_or(0).to_string(),
            format_labels(node_selector),
            obj_age(&self.metadata, now),
            names,
            images,
            format_label_selector(spec.map(|s| &s.selector)),
        ]
    }
}

impl Printable for StatefulSet {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Ready"),
            col("Age"),
            wide("Containers"),
            wide("Images"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let spec = self.spec.as_ref();
        let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
        let ready = self
            .status
            .as_ref()
            .and_then(|s| s.ready_replicas)
            .unwrap_or(0);
        let (names, images) =
            layout_container_cells(template_containers(spec.map(|s| &s.template)));
        vec![
            name_of(&self.metadata),
            format!("{ready}/{desired}"),
            obj_age(&self.metadata, now),
            names,
            images,
        ]
    }
}

fn job_condition(job: &Job, type_: &str) -> bool {
    // hasJobCondition: the first condition of the type decides.
    job.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == type_))
        .map(|c| c.status == "True")
        .unwrap_or(false)
}

impl Printable for Job {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Status"),
            col("Completions"),
            col("Duration"),
            col("Age"),
            wide("Containers"),
            wide("Images"),
            wide("Selector"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let spec = self.spec.as_ref();
        let st = self.status.as_ref();
        let succeeded = st.and_then(|s| s.succeeded).unwrap_or(0);
        let completions = match spec.and_then(|s| s.completions) {
            Some(c) => format!("{succeeded}/{c}"),
            None => {
                let parallelism = spec.and_then(|s| s.parallelism).unwrap_or(0);
                if parallelism > 1 {
                    format!("{succeeded}/1 of {parallelism}")
                } else {
                    format!("{succeeded}/1")
                }
            }
        };
        let start = st.and_then(|s| s.start_time.as_ref());
        let completion = st.and_then(|s| s.completion_time.as_ref());
        let duration = match (start, completion) {
            (None, _) => String::new(),
            (Some(start), None) => human_duration(since_nanos(start.0, now)),
            (Some(start), Some(end)) => human_duration(since_nanos(start.0, end.0)),
        };
        let status = if job_condition(self, "Complete") {
            "Complete"
        } else if job_condition(self, "Failed") {
            "Failed"
        } else if self.metadata.deletion_timestamp.is_some() {
            "Terminating"
        } else if job_condition(self, "Suspended") {
            "Suspended"
        } else if job_condition(self, "FailureTarget") {
            "FailureTarget"
        } else {
            "Running"
        };
        let (names, images) =
            layout_container_cells(template_containers(spec.map(|s| &s.template)));
        vec![
            name_of(&self.metadata),
            status.to_string(),
            completions,
            duration,
            obj_age(&self.metadata, now),
            names,
            images,
            format_label_selector(spec.and_then(|s| s.selector.as_ref())),
        ]
    }
}

// ---------------------------------------------------------------------------
// Networking.

/// `loadBalancerStatusStringer` with `wide` true (the apiserver always
/// generates wide cells): sorted, de-duplicated IPs or hostnames.
fn load_balancer_string<'a>(
    ingress: impl Iterator<Item = (Option<&'a String>, Option<&'a String>)>,
) -> String {
    let mut set = std::collections::BTreeSet::new();
    for (ip, hostname) in ingress {
        match (
            ip.filter(|v| !v.is_empty()),
            hostname.filter(|v| !v.is_empty()),
        ) {
            (Some(ip), _) => {
                set.insert(ip.clone());
            }
            (None, Some(h)) => {
                set.insert(h.clone());
            }
            (None, None) => {}
        }
    }
    set.into_iter().collect::<Vec<_>>().join(",")
}

impl Printable for Service {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Type"),
            col("Cluster-IP"),
            col("External-IP"),
            col("Port(s)"),
            col("Age"),
            wide("Selector"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let spec = self.spec.as_ref();
        let svc_type = spec
            .and_then(|s| s.type_.clone())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "ClusterIP".to_string());
        let cluster_ip = spec
            .and_then(|s| s.cluster_ips.as_ref())
            .and_then(|ips| ips.first().cloned())
            .or_else(|| {
                spec.and_then(|s| s.cluster_ip.clone())
                    .filter(|ip| !ip.is_empty())
            })
            .unwrap_or_else(|| "<none>".to_string());
        let external_ips: &[String] = spec.and_then(|s| s.external_ips.as_deref()).unwrap_or(&[]);
        let external = match svc_type.as_str() {
            "ClusterIP" | "NodePort" => {
                if external_ips.is_empty() {
                    "<none>".to_string()
                } else {
                    external_ips.join(",")
                }
            }
            "LoadBalancer" => {
                let lb = load_balancer_string(
                    self.status
                        .iter()
                        .flat_map(|s| s.load_balancer.iter())
                        .flat_map(|lb| lb.ingress.iter().flatten())
                        .map(|i| (i.ip.as_ref(), i.hostname.as_ref())),
                );
                if !external_ips.is_empty() {
                    let mut all: Vec<String> = Vec::new();
                    if !lb.is_empty() {
                        all.extend(lb.split(',').map(str::to_string));
                    }
                    all.extend(external_ips.iter().cloned());
                    all.join(",")
                } else if !lb.is_empty() {
                    lb
                } else {
                    "<pending>".to_string()
                }
            }
            "ExternalName" => spec
                .and_then(|s| s.external_name.clone())
                .unwrap_or_default(),
            _ => "<unknown>".to_string(),
        };
        let ports: Vec<String> = spec
            .and_then(|s| s.ports.as_deref())
            .unwrap_or(&[])
            .iter()
            .map(|p| {
                let proto = p.protocol.as_deref().unwrap_or("TCP");
                match p.node_port {
                    Some(np) if np > 0 => format!("{}:{}/{}", p.port, np, proto),
                    _ => format!("{}/{}", p.port, proto),
                }
            })
            .collect();
        let mut ports = ports.join(",");
        if ports.is_empty() {
            ports = "<none>".to_string();
        }
        vec![
            name_of(&self.metadata),
            svc_type,
            cluster_ip,
            external,
            ports,
            obj_age(&self.metadata, now),
            format_labels(spec.and_then(|s| s.selector.as_ref())),
        ]
    }
}

impl Printable for Ingress {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Class"),
            col("Hosts"),
            col("Address"),
            col("Ports"),
            col("Age"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let spec = self.spec.as_ref();
        let class = spec
            .and_then(|s| s.ingress_class_name.clone())
            .unwrap_or_else(|| "<none>".to_string());
        // formatHosts, including its counting quirk.
        let rules = spec.and_then(|s| s.rules.as_deref()).unwrap_or(&[]);
        let max = 3;
        let mut list: Vec<&str> = Vec::new();
        let mut more = false;
        for r in rules {
            if list.len() == max {
                more = true;
            }
            let host = r.host.as_deref().unwrap_or("");
            if !more && !host.is_empty() {
                list.push(host);
            }
        }
        let hosts = if list.is_empty() {
            "*".to_string()
        } else if more {
            format!("{} + {} more...", list.join(","), rules.len() - max)
        } else {
            list.join(",")
        };
        let address = load_balancer_string(
            self.status
                .iter()
                .flat_map(|s| s.load_balancer.iter())
                .flat_map(|lb| lb.ingress.iter().flatten())
                .map(|i| (i.ip.as_ref(), i.hostname.as_ref())),
        );
        let ports = if spec.and_then(|s| s.tls.as_ref()).map(|t| !t.is_empty()) == Some(true) {
            "80, 443"
        } else {
            "80"
        };
        vec![
            name_of(&self.metadata),
            class,
            hosts,
            address,
            ports.to_string(),
            obj_age(&self.metadata, now),
        ]
    }
}

impl Printable for Endpoints {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[col("Name"), col("Endpoints"), col("Age")];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        // formatEndpoints(endpoints, nil), including its counting quirks.
        let subsets = self.subsets.as_deref().unwrap_or(&[]);
        let text = if subsets.is_empty() {
            "<none>".to_string()
        } else {
            let max = 3;
            let mut list: Vec<String> = Vec::new();
            let mut more = false;
            let mut count = 0usize;
            for ss in subsets {
                let addrs = ss.addresses.as_deref().unwrap_or(&[]);
                let ports = ss.ports.as_deref().unwrap_or(&[]);
                if ports.is_empty() {
                    count += addrs.len();
                    for a in addrs {
                        if list.len() == max {
                            more = true;
                            break;
                        }
                        list.push(a.ip.clone());
                    }
                    continue;
                }
                for p in ports {
                    count += addrs.len();
                    for a in addrs {
                        if list.len() == max {
                            more = true;
                            break;
                        }
                        list.push(join_host_port(&a.ip, &p.port.to_string()));
                    }
                }
            }
            let ret = list.join(",");
            if more {
                format!("{} + {} more...", ret, count.saturating_sub(max))
            } else {
                ret
            }
        };
        vec![name_of(&self.metadata), text, obj_age(&self.metadata, now)]
    }
}

fn list_with_more(list: &[String], more: bool, count: usize, max: usize) -> String {
    let ret = list.join(",");
    if more {
        return format!("{} + {} more...", ret, count.saturating_sub(max));
    }
    if ret.is_empty() {
        "<unset>".to_string()
    } else {
        ret
    }
}

impl Printable for EndpointSlice {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("AddressType"),
            col("Ports"),
            col("Endpoints"),
            col("Age"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let max = 3;
        let (mut ports, mut more, mut count) = (Vec::new(), false, 0usize);
        for p in self.ports.iter().flatten() {
            if ports.len() < max {
                ports.push(match (p.port, p.name.as_ref()) {
                    (Some(n), _) => n.to_string(),
                    (None, Some(name)) => name.clone(),
                    (None, None) => "*".to_string(),
                });
            } else if ports.len() == max {
                more = true;
            }
            count += 1;
        }
        let ports_str = list_with_more(&ports, more, count, max);
        let (mut addrs, mut more, mut count) = (Vec::new(), false, 0usize);
        for e in &self.endpoints {
            for a in &e.addresses {
                if addrs.len() < max {
                    addrs.push(a.clone());
                } else if addrs.len() == max {
                    more = true;
                }
                count += 1;
            }
        }
        vec![
            name_of(&self.metadata),
            self.address_type.clone(),
            ports_str,
            list_with_more(&addrs, more, count, max),
            obj_age(&self.metadata, now),
        ]
    }
}

// ---------------------------------------------------------------------------
// Storage.

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

// ---------------------------------------------------------------------------
// Event.

impl Printable for Event {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Last Seen"),
            col("Type"),
            col("Reason"),
            col("Object"),
            wide("Subobject"),
            wide("Source"),
            col("Message"),
            wide("First Seen"),
            wide("Count"),
            wide("Name"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let first = match &self.first_timestamp {
            Some(t) => age(Some(t), now),
            None => age_micro(self.event_time.as_ref(), now),
        };
        let mut last = match &self.last_timestamp {
            Some(t) => age(Some(t), now),
            None => first.clone(),
        };
        let mut count = self.count.unwrap_or(0);
        if let Some(series) = &self.series {
            last = age_micro(series.last_observed_time.as_ref(), now);
            count = series.count.unwrap_or(0);
        } else if count == 0 {
            count = 1;
        }
        let io = &self.involved_object;
        let kind = s(io.kind.as_ref()).to_lowercase();
        let target = match io.name.as_deref() {
            Some(n) if !n.is_empty() => format!("{kind}/{n}"),
            _ => kind,
        };
        let first_non_empty = |a: Option<&String>, b: Option<&String>| -> String {
            match (a.filter(|v| !v.is_empty()), b) {
                (Some(v), _) => v.clone(),
                (None, Some(v)) => v.clone(),
                (None, None) => String::new(),
            }
        };
        let src = self.source.as_ref();
        let component = first_non_empty(
            src.and_then(|s| s.component.as_ref()),
            self.reporting_component.as_ref(),
        );
        let instance = first_non_empty(
            src.and_then(|s| s.host.as_ref()),
            self.reporting_instance.as_ref(),
        );
        let source = if instance.is_empty() {
            component
        } else {
            format!("{component}, {instance}")
        };
        vec![
            last,
            s(self.type_.as_ref()).to_string(),
            s(self.reason.as_ref()).to_string(),
            target,
            s(io.field_path.as_ref()).to_string(),
            source,
            s(self.message.as_ref()).trim().to_string(),
            first,
            count.to_string(),
            name_of(&self.metadata),
        ]
    }
}

// ---------------------------------------------------------------------------
// Quantities.

/// How the apiserver prints an optional quantity string: Go's
/// `Quantity.String()` after `ParseQuantity` (see [`ParsedQuantity`]), "0"
/// when missing (Go's zero `Quantity`), and the text unchanged when it does
/// not parse.
fn quantity_string(input: Option<&str>) -> String {
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
    use k8s_openapi::api::core::v1::{
        ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
        ContainerStatus, NodeAddress, NodeCondition, NodeSpec, NodeStatus, NodeSystemInfo,
        PodCondition, PodIP, PodSpec, PodStatus, ServicePort, ServiceSpec,
    };
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    const NOW: i64 = 1_750_000_000;

    fn now() -> Timestamp {
        Timestamp::from_second(NOW).unwrap()
    }

    fn ago(secs: i64) -> Time {
        Time(Timestamp::from_second(NOW - secs).unwrap())
    }

    fn meta(ns: Option<&str>, name: &str, age_secs: i64) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_string()),
            namespace: ns.map(str::to_string),
            creation_timestamp: Some(ago(age_secs)),
            ..Default::default()
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn container(name: &str, image: &str) -> Container {
        Container {
            name: name.to_string(),
            image: Some(image.to_string()),
            ..Default::default()
        }
    }

    fn running_status(name: &str, started_ago: i64) -> ContainerStatus {
        ContainerStatus {
            name: name.to_string(),
            ready: true,
            started: Some(true),
            state: Some(ContainerState {
                running: Some(ContainerStateRunning {
                    started_at: Some(ago(started_ago)),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn cond(type_: &str, status: &str) -> PodCondition {
        PodCondition {
            type_: type_.to_string(),
            status: status.to_string(),
            ..Default::default()
        }
    }

    fn nginx_pod() -> Pod {
        Pod {
            metadata: meta(Some("default"), "nginx", 300),
            spec: Some(PodSpec {
                containers: vec![container("nginx", "nginx:1.27")],
                node_name: Some("worker-1".into()),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Running".into()),
                pod_ip: Some("10.244.1.5".into()),
                pod_ips: Some(vec![PodIP {
                    ip: "10.244.1.5".into(),
                }]),
                conditions: Some(vec![cond("Ready", "True")]),
                container_statuses: Some(vec![running_status("nginx", 290)]),
                ..Default::default()
            }),
        }
    }

    fn creating_pod() -> Pod {
        Pod {
            metadata: meta(Some("default"), "web-5d8f7c9b4-x2x9z", 12),
            spec: Some(PodSpec {
                containers: vec![container("web", "nginx")],
                node_name: Some("worker-2".into()),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Pending".into()),
                container_statuses: Some(vec![ContainerStatus {
                    name: "web".into(),
                    state: Some(ContainerState {
                        waiting: Some(ContainerStateWaiting {
                            reason: Some("ContainerCreating".into()),
                            message: None,
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        }
    }

    fn crashing_pod() -> Pod {
        Pod {
            metadata: meta(Some("default"), "crasher", 1800),
            spec: Some(PodSpec {
                containers: vec![container("app", "busybox")],
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Running".into()),
                container_statuses: Some(vec![ContainerStatus {
                    name: "app".into(),
                    restart_count: 3,
                    state: Some(ContainerState {
                        waiting: Some(ContainerStateWaiting {
                            reason: Some("CrashLoopBackOff".into()),
                            message: None,
                        }),
                        ..Default::default()
                    }),
                    last_state: Some(ContainerState {
                        terminated: Some(ContainerStateTerminated {
                            exit_code: 1,
                            reason: Some("Error".into()),
                            finished_at: Some(ago(312)),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        }
    }

    fn terminating_pod() -> Pod {
        let mut p = nginx_pod();
        p.metadata.name = Some("old-nginx".into());
        p.metadata.deletion_timestamp = Some(ago(-30));
        p
    }

    #[test]
    fn pods_table() {
        let pods = [
            nginx_pod(),
            creating_pod(),
            crashing_pod(),
            terminating_pod(),
        ];
        let refs: Vec<&Pod> = pods.iter().collect();
        let out = print_table(&refs, now(), &PrintOptions::default());
        let want = "\
NAME                  READY   STATUS              RESTARTS        AGE
nginx                 1/1     Running             0               5m
web-5d8f7c9b4-x2x9z   0/1     ContainerCreating   0               12s
crasher               0/1     CrashLoopBackOff    3 (5m12s ago)   30m
old-nginx             1/1     Terminating         0               5m
";
        assert_eq!(out, want);
    }

    #[test]
    fn pods_wide_all_namespaces_labels() {
        let mut p = nginx_pod();
        p.metadata.labels = labels(&[("run", "nginx"), ("app", "web")]);
        let c = creating_pod();
        let refs = vec![&p, &c];
        let opts = PrintOptions {
            wide: true,
            with_namespace: true,
            show_labels: true,
            no_headers: false,
        };
        let want = "\
NAMESPACE   NAME                  READY   STATUS              RESTARTS   AGE   IP           NODE       NOMINATED NODE   READINESS GATES   LABELS
default     nginx                 1/1     Running             0          5m    10.244.1.5   worker-1   <none>           <none>            app=web,run=nginx
default     web-5d8f7c9b4-x2x9z   0/1     ContainerCreating   0          12s   <none>       worker-2   <none>           <none>            <none>
";
        assert_eq!(print_table(&refs, now(), &opts), want);
    }

    #[test]
    fn pod_status_reasons() {
        let status_of = |p: &Pod| p.cells(now())[2].clone();
        // Init containers.
        let mut p = creating_pod();
        p.spec.as_mut().unwrap().init_containers = Some(vec![
            container("init-a", "busybox"),
            container("init-b", "busybox"),
        ]);
        p.status.as_mut().unwrap().init_container_statuses = Some(vec![
            ContainerStatus {
                name: "init-a".into(),
                state: Some(ContainerState {
                    terminated: Some(ContainerStateTerminated {
                        exit_code: 0,
                        reason: Some("Completed".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ContainerStatus {
                name: "init-b".into(),
                state: Some(ContainerState {
                    running: Some(ContainerStateRunning { started_at: None }),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ]);
        assert_eq!(status_of(&p), "Init:1/2");
        // A failed init container.
        p.status
            .as_mut()
            .unwrap()
            .init_container_statuses
            .as_mut()
            .unwrap()[1]
            .state = Some(ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: 2,
                ..Default::default()
            }),
            ..Default::default()
        });
        assert_eq!(status_of(&p), "Init:ExitCode:2");
        // Completed pod.
        let mut done = nginx_pod();
        done.status.as_mut().unwrap().phase = Some("Succeeded".into());
        done.status.as_mut().unwrap().container_statuses = Some(vec![ContainerStatus {
            name: "nginx".into(),
            state: Some(ContainerState {
                terminated: Some(ContainerStateTerminated {
                    exit_code: 0,
                    reason: Some("Completed".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }]);
        assert_eq!(status_of(&done), "Completed");
        // Terminal pods being deleted keep their status.
        done.metadata.deletion_timestamp = Some(ago(1));
        assert_eq!(status_of(&done), "Completed");
        // NodeLost.
        let mut lost = nginx_pod();
        lost.status.as_mut().unwrap().reason = Some("NodeLost".into());
        assert_eq!(status_of(&lost), "NodeLost");
        lost.metadata.deletion_timestamp = Some(ago(1));
        assert_eq!(status_of(&lost), "Unknown");
        // Scheduling gated and unschedulable pods.
        let mut gated = Pod {
            metadata: meta(Some("default"), "gated", 5),
            ..Default::default()
        };
        assert_eq!(status_of(&gated), "Pending");
        gated.status = Some(PodStatus {
            phase: Some("Pending".into()),
            conditions: Some(vec![PodCondition {
                reason: Some("SchedulingGated".into()),
                ..cond("PodScheduled", "False")
            }]),
            ..Default::default()
        });
        assert_eq!(status_of(&gated), "SchedulingGated");
        // An empty pod does not panic.
        let empty = Pod::default();
        assert_eq!(
            empty.cells(now()),
            vec![
                "",
                "0/0",
                "Pending",
                "0",
                "<unknown>",
                "<none>",
                "<none>",
                "<none>",
                "<none>"
            ]
        );
    }

    fn control_plane_node() -> Node {
        Node {
            metadata: ObjectMeta {
                labels: labels(&[
                    ("kubernetes.io/hostname", "kind-control-plane"),
                    ("node-role.kubernetes.io/control-plane", ""),
                ]),
                ..meta(None, "kind-control-plane", 86400 * 3 + 3600)
            },
            spec: Some(NodeSpec::default()),
            status: Some(NodeStatus {
                conditions: Some(vec![
                    NodeCondition {
                        type_: "MemoryPressure".into(),
                        status: "False".into(),
                        ..Default::default()
                    },
                    NodeCondition {
                        type_: "Ready".into(),
                        status: "True".into(),
                        ..Default::default()
                    },
                ]),
                addresses: Some(vec![
                    NodeAddress {
                        type_: "InternalIP".into(),
                        address: "172.18.0.2".into(),
                    },
                    NodeAddress {
                        type_: "Hostname".into(),
                        address: "kind-control-plane".into(),
                    },
                ]),
                node_info: Some(NodeSystemInfo {
                    kubelet_version: "v1.33.1".into(),
                    os_image: "Debian GNU/Linux 12 (bookworm)".into(),
                    kernel_version: "6.8.0-1021-azure".into(),
                    container_runtime_version: "containerd://2.1.1".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn nodes_table() {
        let cp = control_plane_node();
        let mut worker = control_plane_node();
        worker.metadata.name = Some("kind-worker".into());
        worker.metadata.labels = labels(&[("kubernetes.io/role", "worker")]);
        worker.spec.as_mut().unwrap().unschedulable = Some(true);
        worker.status.as_mut().unwrap().conditions.as_mut().unwrap()[1].status = "Unknown".into();
        let mut bare = Node {
            metadata: meta(None, "bare", 30),
            ..Default::default()
        };
        bare.metadata.labels = None;
        let refs = vec![&cp, &worker, &bare];
        let want = "\
NAME                 STATUS                        ROLES           AGE    VERSION
kind-control-plane   Ready                         control-plane   3d1h   v1.33.1
kind-worker          NotReady,SchedulingDisabled   worker          3d1h   v1.33.1
bare                 Unknown                       <none>          30s    
";
        // -A has no effect on cluster-scoped kinds.
        let opts = PrintOptions {
            with_namespace: true,
            ..Default::default()
        };
        assert_eq!(print_table(&refs, now(), &opts), want);
        let wide_opts = PrintOptions {
            wide: true,
            ..Default::default()
        };
        let want_wide = "\
NAME                 STATUS   ROLES           AGE    VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE                         KERNEL-VERSION     CONTAINER-RUNTIME
kind-control-plane   Ready    control-plane   3d1h   v1.33.1   172.18.0.2    <none>        Debian GNU/Linux 12 (bookworm)   6.8.0-1021-azure   containerd://2.1.1
";
        assert_eq!(print_table(&[&cp], now(), &wide_opts), want_wide);
    }

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

    fn nginx_template(labels_: &[(&str, &str)]) -> PodTemplateSpec {
        PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: labels(labels_),
                ..Default::default()
            }),
            spec: Some(PodSpec {
                containers: vec![container("nginx", "nginx:1.27")],
                ..Default::default()
            }),
        }
    }

    fn app_selector() -> LabelSelector {
        LabelSelector {
            match_labels: labels(&[("app", "nginx")]),
            match_expressions: None,
        }
    }

    #[test]
    fn workloads_tables() {
        use k8s_openapi::api::apps::v1::{
            DaemonSetSpec, DaemonSetStatus, DeploymentSpec, DeploymentStatus, ReplicaSetSpec,
            ReplicaSetStatus, StatefulSetSpec, StatefulSetStatus,
        };
        let d = Deployment {
            metadata: meta(Some("default"), "my-tomcat", 600),
            spec: Some(DeploymentSpec {
                replicas: Some(3),
                selector: app_selector(),
                template: nginx_template(&[("app", "nginx")]),
                ..Default::default()
            }),
            status: Some(DeploymentStatus {
                ready_replicas: Some(2),
                updated_replicas: Some(3),
                available_replicas: Some(2),
                replicas: Some(3),
                ..Default::default()
            }),
        };
        assert_eq!(
            print_table(&[&d], now(), &PrintOptions::default()),
            "NAME        READY   UP-TO-DATE   AVAILABLE   AGE\nmy-tomcat   2/3     3            2           10m\n"
        );
        assert_eq!(
            print_table(&[&d], now(), &PrintOptions { wide: true, ..Default::default() }),
            "NAME        READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES       SELECTOR\n\
             my-tomcat   2/3     3            2           10m   nginx        nginx:1.27   app=nginx\n"
        );
        let rs = ReplicaSet {
            metadata: meta(Some("default"), "my-tomcat-7c5ddbdf54", 600),
            spec: Some(ReplicaSetSpec {
                replicas: Some(3),
                selector: LabelSelector {
                    match_labels: labels(&[("app", "nginx"), ("pod-template-hash", "7c5ddbdf54")]),
                    match_expressions: None,
                },
                template: Some(nginx_template(&[])),
                ..Default::default()
            }),
            status: Some(ReplicaSetStatus {
                replicas: 3,
                ready_replicas: Some(3),
                ..Default::default()
            }),
        };
        assert_eq!(
            print_table(&[&rs], now(), &PrintOptions { wide: true, ..Default::default() }),
            "NAME                   DESIRED   CURRENT   READY   AGE   CONTAINERS   IMAGES       SELECTOR\n\
             my-tomcat-7c5ddbdf54   3         3         3       10m   nginx        nginx:1.27   app=nginx,pod-template-hash=7c5ddbdf54\n"
        );
        let mut tmpl = nginx_template(&[]);
        tmpl.spec.as_mut().unwrap().node_selector = labels(&[("kubernetes.io/os", "linux")]);
        let ds = DaemonSet {
            metadata: meta(Some("kube-system"), "kube-proxy", 86400 * 10),
            spec: Some(DaemonSetSpec {
                selector: LabelSelector {
                    match_labels: labels(&[("k8s-app", "kube-proxy")]),
                    match_expressions: None,
                },
                template: tmpl,
                ..Default::default()
            }),
            status: Some(DaemonSetStatus {
                desired_number_scheduled: 3,
                current_number_scheduled: 3,
                number_ready: 3,
                updated_number_scheduled: Some(3),
                number_available: Some(3),
                ..Default::default()
            }),
        };
        assert_eq!(
            print_table(&[&ds], now(), &PrintOptions { with_namespace: true, ..Default::default() }),
            "NAMESPACE     NAME         DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR            AGE\n\
             kube-system   kube-proxy   3         3         3       3            3           kubernetes.io/os=linux   10d\n"
        );
        let sts = StatefulSet {
            metadata: meta(Some("default"), "web", 45),
            spec: Some(StatefulSetSpec {
                replicas: Some(2),
                selector: app_selector(),
                service_name: Some("nginx".into()),
                template: nginx_template(&[]),
                ..Default::default()
            }),
            status: Some(StatefulSetStatus {
                ready_replicas: Some(1),
                replicas: 2,
                ..Default::default()
            }),
        };
        assert_eq!(
            print_table(&[&sts], now(), &PrintOptions::default()),
            "NAME   READY   AGE\nweb    1/2     45s\n"
        );
        assert_eq!(print_names(&[&sts]), "statefulset.apps/web\n");
    }

    #[test]
    fn jobs_table() {
        use k8s_openapi::api::batch::v1::{JobCondition, JobSpec, JobStatus};
        let done = Job {
            metadata: meta(Some("default"), "pi", 400),
            spec: Some(JobSpec {
                completions: Some(1),
                template: nginx_template(&[]),
                ..Default::default()
            }),
            status: Some(JobStatus {
                succeeded: Some(1),
                start_time: Some(ago(400)),
                completion_time: Some(ago(372)),
                conditions: Some(vec![JobCondition {
                    type_: "Complete".into(),
                    status: "True".into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        };
        let running = Job {
            metadata: meta(Some("default"), "batch", 90),
            spec: Some(JobSpec {
                parallelism: Some(3),
                template: nginx_template(&[]),
                ..Default::default()
            }),
            status: Some(JobStatus {
                start_time: Some(ago(90)),
                ..Default::default()
            }),
        };
        let want = "\
NAME    STATUS     COMPLETIONS   DURATION   AGE
pi      Complete   1/1           28s        6m40s
batch   Running    0/1 of 3      90s        90s
";
        assert_eq!(
            print_table(&[&done, &running], now(), &PrintOptions::default()),
            want
        );
    }

    #[test]
    fn services_table() {
        use k8s_openapi::api::core::v1::{LoadBalancerIngress, LoadBalancerStatus, ServiceStatus};
        let kubernetes = Service {
            metadata: meta(Some("default"), "kubernetes", 86400 * 2),
            spec: Some(ServiceSpec {
                type_: Some("ClusterIP".into()),
                cluster_ip: Some("10.96.0.1".into()),
                cluster_ips: Some(vec!["10.96.0.1".into()]),
                ports: Some(vec![ServicePort {
                    name: Some("https".into()),
                    port: 443,
                    protocol: Some("TCP".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            status: None,
        };
        let np = Service {
            metadata: meta(Some("default"), "web", 100),
            spec: Some(ServiceSpec {
                type_: Some("NodePort".into()),
                cluster_ip: Some("10.96.12.34".into()),
                selector: labels(&[("app", "web")]),
                ports: Some(vec![ServicePort {
                    port: 80,
                    node_port: Some(30080),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            status: None,
        };
        let lb = Service {
            metadata: meta(Some("default"), "lb", 100),
            spec: Some(ServiceSpec {
                type_: Some("LoadBalancer".into()),
                cluster_ips: Some(vec!["10.96.7.7".into()]),
                ports: Some(vec![
                    ServicePort {
                        port: 80,
                        node_port: Some(31000),
                        protocol: Some("TCP".into()),
                        ..Default::default()
                    },
                    ServicePort {
                        port: 53,
                        node_port: Some(31001),
                        protocol: Some("UDP".into()),
                        ..Default::default()
                    },
                ]),
                ..Default::default()
            }),
            status: Some(ServiceStatus {
                load_balancer: Some(LoadBalancerStatus {
                    ingress: Some(vec![LoadBalancerIngress {
                        ip: Some("203.0.113.10".into()),
                        ..Default::default()
                    }]),
                }),
                ..Default::default()
            }),
        };
        let pending = Service {
            metadata: meta(Some("default"), "lb2", 100),
            spec: Some(ServiceSpec {
                type_: Some("LoadBalancer".into()),
                cluster_ips: Some(vec!["None".into()]),
                ..Default::default()
            }),
            status: None,
        };
        let refs = vec![&kubernetes, &np, &lb, &pending];
        let want = "\
NAME         TYPE           CLUSTER-IP    EXTERNAL-IP    PORT(S)                     AGE    SELECTOR
kubernetes   ClusterIP      10.96.0.1     <none>         443/TCP                     2d     <none>
web          NodePort       10.96.12.34   <none>         80:30080/TCP                100s   app=web
lb           LoadBalancer   10.96.7.7     203.0.113.10   80:31000/TCP,53:31001/UDP   100s   <none>
lb2          LoadBalancer   None          <pending>      <none>                      100s   <none>
";
        let got = print_table(
            &refs,
            now(),
            &PrintOptions {
                wide: true,
                ..Default::default()
            },
        );
        assert_eq!(got, want);
    }

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
    fn events_table() {
        use k8s_openapi::api::core::v1::{EventSource, ObjectReference};
        let ev = Event {
            metadata: meta(Some("default"), "nginx.17f1a2b3c4d5e6f7", 300),
            involved_object: ObjectReference {
                kind: Some("Pod".into()),
                name: Some("nginx".into()),
                field_path: Some("spec.containers{nginx}".into()),
                ..Default::default()
            },
            reason: Some("Pulled".into()),
            message: Some("Successfully pulled image \"nginx\"\n".into()),
            type_: Some("Normal".into()),
            source: Some(EventSource {
                component: Some("kubelet".into()),
                host: Some("worker-1".into()),
            }),
            first_timestamp: Some(ago(300)),
            last_timestamp: Some(ago(120)),
            count: Some(3),
            ..Default::default()
        };
        let want = "\
LAST SEEN   TYPE     REASON   OBJECT      MESSAGE
2m          Normal   Pulled   pod/nginx   Successfully pulled image \"nginx\"
";
        assert_eq!(print_table(&[&ev], now(), &PrintOptions::default()), want);
        let want_wide = "\
LAST SEEN   TYPE     REASON   OBJECT      SUBOBJECT                SOURCE              MESSAGE                             FIRST SEEN   COUNT   NAME
2m          Normal   Pulled   pod/nginx   spec.containers{nginx}   kubelet, worker-1   Successfully pulled image \"nginx\"   5m           3       nginx.17f1a2b3c4d5e6f7
";
        assert_eq!(
            print_table(
                &[&ev],
                now(),
                &PrintOptions {
                    wide: true,
                    ..Default::default()
                }
            ),
            want_wide
        );
    }

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

    #[test]
    fn endpoints_tables() {
        use k8s_openapi::api::core::v1::{EndpointAddress, EndpointPort, EndpointSubset};
        use k8s_openapi::api::discovery::v1::{Endpoint, EndpointPort as DPort};
        let addr = |ip: &str| EndpointAddress {
            ip: ip.into(),
            ..Default::default()
        };
        let ep = Endpoints {
            metadata: meta(Some("default"), "web", 100),
            subsets: Some(vec![EndpointSubset {
                addresses: Some(vec![
                    addr("10.244.1.5"),
                    addr("10.244.2.7"),
                    addr("10.244.3.9"),
                    addr("fd00::1"),
                ]),
                ports: Some(vec![EndpointPort {
                    port: 80,
                    ..Default::default()
                }]),
                ..Default::default()
            }]),
        };
        let none = Endpoints {
            metadata: meta(Some("default"), "empty", 100),
            subsets: None,
        };
        let want = "\
NAME    ENDPOINTS                                               AGE
web     10.244.1.5:80,10.244.2.7:80,10.244.3.9:80 + 1 more...   100s
empty   <none>                                                  100s
";
        assert_eq!(
            print_table(&[&ep, &none], now(), &PrintOptions::default()),
            want
        );
        let slice = EndpointSlice {
            metadata: meta(Some("default"), "web-abc12", 100),
            address_type: "IPv4".into(),
            endpoints: vec![Endpoint {
                addresses: vec!["10.244.1.5".into()],
                ..Default::default()
            }],
            ports: Some(vec![DPort {
                port: Some(80),
                ..Default::default()
            }]),
        };
        let bare = EndpointSlice {
            metadata: meta(Some("default"), "bare", 100),
            address_type: "IPv6".into(),
            endpoints: vec![],
            ports: None,
        };
        let want = "\
NAME        ADDRESSTYPE   PORTS     ENDPOINTS    AGE
web-abc12   IPv4          80        10.244.1.5   100s
bare        IPv6          <unset>   <unset>      100s
";
        assert_eq!(
            print_table(&[&slice, &bare], now(), &PrintOptions::default()),
            want
        );
    }

    #[test]
    fn ingress_table() {
        use k8s_openapi::api::networking::v1::{
            IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressRule, IngressSpec,
            IngressStatus, IngressTLS,
        };
        let rule = |h: &str| IngressRule {
            host: Some(h.into()),
            http: None,
        };
        let ing = Ingress {
            metadata: meta(Some("default"), "web", 100),
            spec: Some(IngressSpec {
                ingress_class_name: Some("nginx".into()),
                rules: Some(vec![rule("a.example.com"), rule("b.example.com")]),
                tls: Some(vec![IngressTLS::default()]),
                ..Default::default()
            }),
            status: Some(IngressStatus {
                load_balancer: Some(IngressLoadBalancerStatus {
                    ingress: Some(vec![IngressLoadBalancerIngress {
                        hostname: Some("lb.example.com".into()),
                        ..Default::default()
                    }]),
                }),
            }),
        };
        let many = Ingress {
            metadata: meta(Some("default"), "many", 100),
            spec: Some(IngressSpec {
                rules: Some(vec![rule("a"), rule("b"), rule("c"), rule("d"), rule("e")]),
                ..Default::default()
            }),
            status: None,
        };
        let want = "\
NAME   CLASS    HOSTS                         ADDRESS          PORTS     AGE
web    nginx    a.example.com,b.example.com   lb.example.com   80, 443   100s
many   <none>   a,b,c + 2 more...                              80        100s
";
        assert_eq!(
            print_table(&[&ing, &many], now(), &PrintOptions::default()),
            want
        );
    }

    #[test]
    fn selectors() {
        let sel = LabelSelector {
            match_labels: labels(&[("tier", "web"), ("app", "x")]),
            match_expressions: Some(vec![
                LabelSelectorRequirement {
                    key: "env".into(),
                    operator: "In".into(),
                    values: Some(vec!["prod".into(), "dev".into()]),
                },
                LabelSelectorRequirement {
                    key: "canary".into(),
                    operator: "DoesNotExist".into(),
                    values: None,
                },
                LabelSelectorRequirement {
                    key: "zone".into(),
                    operator: "NotIn".into(),
                    values: Some(vec!["b".into()]),
                },
            ]),
        };
        assert_eq!(
            label_selector_string(Some(&sel)).unwrap(),
            "app=x,!canary,env in (dev,prod),tier=web,zone notin (b)"
        );
        assert_eq!(format_label_selector(None), "<none>");
        assert_eq!(
            format_label_selector(Some(&LabelSelector::default())),
            "<none>"
        );
        let bad = LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "a".into(),
                operator: "Bogus".into(),
                values: None,
            }]),
        };
        assert_eq!(format_label_selector(Some(&bad)), "<error>");
        assert_eq!(format_labels(None), "<none>");
        let m = ObjectMeta {
            name: Some("b".into()),
            namespace: Some("a-b".into()),
            ..Default::default()
        };
        assert_eq!(list_order_key(&m), "a-b/b");
    }
}
