//! `kubectl get`: tables, `-o wide|yaml|json|name`, selectors, and `-w`
//! ([`Watch`]: the changes printed after the list while virtual time advances).

use std::sync::Arc;

use serde_json::Value;
use sim_core::api::fields::FieldSelector;
use sim_core::api::labels::Selector;
use sim_core::api::{Kind, Object, ObjectKey};
use sim_core::apiserver::{Request, Response};
use sim_core::cluster::Cluster;
use sim_report::printers::{self, PrintOptions, Printable};
use sim_report::table::{table_cell, tabwrite, KUBECTL_GET};

use crate::kubectl::resources::Target;

use crate::kubectl::client::{now_ts, CLIENT};
use crate::kubectl::outcome::Outcome;

/// A `kubectl get` with its arguments resolved.
pub(crate) struct GetRequest<'a> {
    /// The resource types and names.
    pub(crate) targets: &'a [Target],
    /// `-n` (or `default`).
    pub(crate) ns: &'a str,
    /// `-A`.
    pub(crate) all_namespaces: bool,
    /// `-o`.
    pub(crate) output: Option<&'a str>,
    /// `-l`.
    pub(crate) labels: Selector,
    /// `--field-selector`.
    pub(crate) fields: FieldSelector,
    /// `--show-labels`.
    pub(crate) show_labels: bool,
    /// `--no-headers`.
    pub(crate) no_headers: bool,
    /// `-w`.
    pub(crate) watch: bool,
}

impl GetRequest<'_> {
    /// The table options of `-o wide`, `-A`, `--show-labels`, `--no-headers`.
    fn print_options(&self) -> PrintOptions {
        PrintOptions {
            wide: self.output == Some("wide"),
            with_namespace: self.all_namespaces,
            show_labels: self.show_labels,
            no_headers: self.no_headers,
            with_kind: None,
        }
    }
}

/// Runs `kubectl get`; returns the watch of `-w`.
pub(crate) fn get(cluster: &mut Cluster, out: &mut Outcome, req: &GetRequest<'_>) -> Option<Watch> {
    let now = now_ts(cluster);
    if req.watch && req.targets.len() > 1 {
        out.fail(format!("error: watch is only supported on individual resources and resource collections, but {} resources were found", req.targets.len()));
        return None;
    }
    let objects = fetch(cluster, out, req);
    if !print(out, req, &objects, now) {
        return None;
    }
    if !req.watch || out.exit_code != 0 {
        return None;
    }
    watch_after(cluster, req, &objects, now)
}

/// The objects of each target, by kind (an empty list for a kind listed
/// with no object); the server's errors are printed.
fn fetch(
    cluster: &mut Cluster,
    out: &mut Outcome,
    req: &GetRequest<'_>,
) -> Vec<(Kind, Vec<Arc<Object>>)> {
    let mut objects: Vec<(Kind, Vec<Arc<Object>>)> = Vec::new();
    for t in req.targets {
        let scope = (!req.all_namespaces && t.kind.namespaced()).then(|| req.ns.to_owned());
        match &t.name {
            Some(name) => {
                let key = ObjectKey::new(
                    t.kind,
                    if t.kind.namespaced() { req.ns } else { "" },
                    name.clone(),
                );
                match cluster.request(CLIENT, Request::Get(key)) {
                    Ok(Response::Object(o)) => push(&mut objects, t.kind, o),
                    Ok(_) => {}
                    Err(e) => out.error(&e),
                }
            }
            None => {
                let items = match cluster.request(
                    CLIENT,
                    Request::List {
                        kind: t.kind,
                        namespace: scope,
                        labels: req.labels.clone(),
                        fields: req.fields.clone(),
                    },
                ) {
                    Ok(Response::List { items, .. }) => items,
                    Ok(_) => Vec::new(),
                    Err(e) => {
                        out.error(&e);
                        continue;
                    }
                };
                for o in items {
                    push(&mut objects, t.kind, o);
                }
                if !objects.iter().any(|(k, _)| *k == t.kind) {
                    objects.push((t.kind, Vec::new()));
                }
            }
        }
    }
    objects
}

/// Prints the objects in the `-o` format; false when nothing more follows
/// (no resources found).
fn print(
    out: &mut Outcome,
    req: &GetRequest<'_>,
    objects: &[(Kind, Vec<Arc<Object>>)],
    now: k8s_openapi::jiff::Timestamp,
) -> bool {
    let single = req.targets.len() == 1 && req.targets[0].name.is_some();
    match req.output {
        Some("yaml") | Some("json") => {
            let items: Vec<Value> = objects
                .iter()
                .flat_map(|(_, v)| v.iter().map(|o| o.to_json()))
                .collect();
            let doc = if single && items.len() == 1 {
                items.into_iter().next().unwrap_or(Value::Null)
            } else {
                serde_json::json!({ "apiVersion": "v1", "items": items, "kind": "List", "metadata": { "resourceVersion": "" } })
            };
            if req.output == Some("yaml") {
                out.line(crate::yaml::to_string(&doc));
            } else {
                out.line(json_4(&doc));
            }
        }
        Some("name") => {
            for (kind, items) in objects {
                for o in items {
                    out.line(format!("{}/{}", kind.qualified_singular(), o.name()));
                }
            }
        }
        Some(other) if other != "wide" => {
            out.fail(format!("error: unable to match a printer suitable for the output format \"{other}\", allowed formats are: json,name,wide,yaml"));
        }
        _ => {
            let opts = req.print_options();
            let nonempty: Vec<&(Kind, Vec<Arc<Object>>)> =
                objects.iter().filter(|(_, v)| !v.is_empty()).collect();
            if nonempty.is_empty() && out.exit_code == 0 && !req.watch {
                let scoped = req.targets.iter().all(|t| t.kind.namespaced()) && !req.all_namespaces;
                out.line(printers::no_resources_message(scoped.then_some(req.ns)));
                return false;
            }
            // kubectl names the kind when the objects are of several kinds.
            let several = nonempty.len() > 1;
            for (i, (kind, items)) in nonempty.iter().enumerate() {
                if i > 0 {
                    out.line("");
                }
                let opts = PrintOptions {
                    with_kind: several.then(|| kind.qualified_singular()),
                    ..opts.clone()
                };
                out.output.push_str(&table(*kind, items, now, &opts));
            }
        }
    }
    true
}

/// The watch `-w` leaves running after the list: rows in the list's format
/// (a table keeps the widths of the rows printed so far).
fn watch_after(
    cluster: &Cluster,
    req: &GetRequest<'_>,
    objects: &[(Kind, Vec<Arc<Object>>)],
    now: k8s_openapi::jiff::Timestamp,
) -> Option<Watch> {
    let target = req.targets.first()?;
    let format = match req.output {
        Some("yaml") => WatchFormat::Yaml,
        Some("json") => WatchFormat::Json,
        Some("name") => WatchFormat::Name,
        _ => {
            let opts = req.print_options();
            let items: Vec<Arc<Object>> = objects
                .iter()
                .filter(|(k, _)| *k == target.kind)
                .flat_map(|(_, v)| v.iter().cloned())
                .collect();
            let headers = headers(target.kind, &opts);
            let mut widest = Vec::new();
            if !items.is_empty() {
                if !req.no_headers {
                    widen(&mut widest, &headers);
                }
                for o in &items {
                    widen(&mut widest, &cells(o, now, &opts));
                }
            }
            WatchFormat::Table {
                opts,
                headers,
                headers_printed: !items.is_empty(),
                widest,
            }
        }
    };
    Some(Watch {
        kind: target.kind,
        namespace: (!req.all_namespaces && target.kind.namespaced()).then(|| req.ns.to_owned()),
        name: target.name.clone(),
        labels: req.labels.clone(),
        fields: req.fields.clone(),
        format,
        revision: cluster.etcd().revision(),
    })
}

/// A `kubectl get -w` left running: after the list, each change to the
/// listed objects is printed as one row (no headers, the columns of the
/// list) at the virtual time it happens, as kubectl prints watch events.
#[derive(Debug)]
pub(crate) struct Watch {
    kind: Kind,
    /// None: every namespace (or a cluster-scoped kind).
    namespace: Option<String>,
    name: Option<String>,
    labels: Selector,
    fields: FieldSelector,
    format: WatchFormat,
    /// The last etcd revision printed.
    revision: u64,
}

#[derive(Debug)]
enum WatchFormat {
    Table {
        opts: PrintOptions,
        headers: Vec<String>,
        headers_printed: bool,
        /// The widest cell of each column so far: kubectl's tab writer
        /// remembers column widths across flushes, so they never shrink.
        widest: Vec<String>,
    },
    Name,
    Json,
    Yaml,
}

impl Watch {
    /// The text kubectl prints for the changes since the last call (at the
    /// cluster's current time; empty when nothing it watches changed).
    pub(crate) fn poll(&mut self, cluster: &Cluster) -> String {
        let etcd = cluster.etcd();
        if etcd.revision() == self.revision {
            return String::new();
        }
        let changes = etcd
            .changes_since(self.kind, self.revision)
            .unwrap_or_default();
        self.revision = etcd.revision();
        let now = now_ts(cluster);
        let mut text = String::new();
        for c in changes {
            let relevant =
                self.matches(&c.object) || c.prev.as_deref().is_some_and(|p| self.matches(p));
            if relevant {
                text.push_str(&self.print(&c.object, now));
            }
        }
        text
    }

    fn matches(&self, o: &Object) -> bool {
        self.namespace
            .as_deref()
            .is_none_or(|ns| o.namespace() == ns)
            && self.name.as_deref().is_none_or(|n| o.name() == n)
            && self.labels.matches(o.labels())
            && self.fields.matches(|f| o.field(f))
    }

    fn print(&mut self, o: &Arc<Object>, now: k8s_openapi::jiff::Timestamp) -> String {
        match &mut self.format {
            WatchFormat::Name => format!("{}/{}\n", self.kind.qualified_singular(), o.name()),
            WatchFormat::Json => format!("{}\n", json_4(&o.to_json())),
            WatchFormat::Yaml => format!("---\n{}", crate::yaml::to_string(&o.to_json())),
            WatchFormat::Table {
                opts,
                headers,
                headers_printed,
                widest,
            } => {
                let row = cells(o, now, opts);
                let mut lines = vec![widest.clone()];
                let print_headers = !*headers_printed && !opts.no_headers;
                if print_headers {
                    lines.push(headers.clone());
                    widen(widest, headers);
                }
                *headers_printed = true;
                lines.push(row.clone());
                widen(widest, &row);
                let text: String = lines
                    .iter()
                    .map(|l| format!("{}\n", l.join("\t")))
                    .collect();
                // The first line only carries the remembered widths.
                let aligned = tabwrite(&text, KUBECTL_GET);
                aligned.split_inclusive('\n').skip(1).collect()
            }
        }
    }
}

/// Grows the remembered widest cells with a row.
fn widen(widest: &mut Vec<String>, row: &[String]) {
    for (i, cell) in row.iter().enumerate() {
        match widest.get_mut(i) {
            Some(w) if w.chars().count() >= cell.chars().count() => {}
            Some(w) => w.clone_from(cell),
            None => widest.push(cell.clone()),
        }
    }
}

fn headers_of<T: Printable>(opts: &PrintOptions) -> Vec<String> {
    let mut h = Vec::new();
    if opts.with_namespace && T::NAMESPACED {
        h.push("NAMESPACE".to_owned());
    }
    for c in T::columns() {
        if opts.wide || c.priority == 0 {
            h.push(c.name.to_uppercase());
        }
    }
    if opts.show_labels {
        h.push("LABELS".to_owned());
    }
    h
}

fn cells_of<T: Printable>(
    item: &T,
    now: k8s_openapi::jiff::Timestamp,
    opts: &PrintOptions,
) -> Vec<String> {
    let meta = item.metadata();
    let mut row = Vec::new();
    if opts.with_namespace && T::NAMESPACED {
        row.push(meta.namespace.clone().unwrap_or_default());
    }
    for (c, cell) in T::columns().iter().zip(item.cells(now)) {
        if opts.wide || c.priority == 0 {
            row.push(cell);
        }
    }
    if opts.show_labels {
        row.push(printers::format_labels(meta.labels.as_ref()));
    }
    row.iter().map(|c| table_cell(c)).collect()
}

/// The header cells of a kind's table (the variant constructor names the type).
fn headers_via<T: Printable>(_variant: fn(Box<T>) -> Object, opts: &PrintOptions) -> Vec<String> {
    headers_of::<T>(opts)
}

macro_rules! per_kind {
    ([$($v:ident),*]) => {
        fn headers(kind: Kind, opts: &PrintOptions) -> Vec<String> {
            match kind {
                $(Kind::$v => headers_via(Object::$v, opts),)*
            }
        }

        fn cells(o: &Object, now: k8s_openapi::jiff::Timestamp, opts: &PrintOptions) -> Vec<String> {
            match o {
                $(Object::$v(x) => cells_of(&**x, now, opts),)*
            }
        }

        /// The `kubectl get` table of objects of one kind.
        pub(crate) fn table(
            kind: Kind,
            items: &[Arc<Object>],
            now: k8s_openapi::jiff::Timestamp,
            opts: &PrintOptions,
        ) -> String {
            match kind {
                $(Kind::$v => {
                    let typed: Vec<_> = items
                        .iter()
                        .filter_map(|o| match &**o {
                            Object::$v(x) => Some(&**x),
                            _ => None,
                        })
                        .collect();
                    printers::print_table(&typed, now, opts)
                })*
            }
        }
    };
}

per_kind!([
    Namespace,
    Node,
    Pod,
    Service,
    Endpoints,
    ConfigMap,
    Secret,
    ServiceAccount,
    Event,
    PersistentVolume,
    PersistentVolumeClaim,
    Deployment,
    ReplicaSet,
    DaemonSet,
    StatefulSet,
    Job,
    Lease,
    EndpointSlice,
    Ingress,
    PriorityClass,
    StorageClass,
    VolumeAttachment,
    IngressClass,
    ClusterRole,
    ClusterRoleBinding,
    Role,
    RoleBinding,
    ValidatingWebhookConfiguration,
    MutatingWebhookConfiguration
]);

pub(crate) fn push(objects: &mut Vec<(Kind, Vec<Arc<Object>>)>, kind: Kind, o: Arc<Object>) {
    match objects.iter_mut().find(|(k, _)| *k == kind) {
        Some((_, v)) => v.push(o),
        None => objects.push((kind, vec![o])),
    }
}

/// JSON as kubectl prints it (four-space indent).
pub(crate) fn json_4(v: &Value) -> String {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    if serde::Serialize::serialize(v, &mut ser).is_err() {
        return String::new();
    }
    String::from_utf8(buf).unwrap_or_default()
}
