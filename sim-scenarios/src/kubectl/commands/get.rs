//! `kubectl get`: tables, `-o wide|yaml|json|name`, selectors.

use std::sync::Arc;

use serde_json::Value;
use sim_core::api::fields::FieldSelector;
use sim_core::api::labels::Selector;
use sim_core::api::{Kind, Object, ObjectKey};
use sim_core::apiserver::{Request, Response};
use sim_core::cluster::Cluster;
use sim_report::printers::{self, PrintOptions};

use crate::kubectl::resources::Target;

use crate::kubectl::exec::{now_ts, Outcome, CLIENT};

#[allow(clippy::too_many_arguments)]
pub(crate) fn get(
    cluster: &mut Cluster,
    out: &mut Outcome,
    targets: &[Target],
    ns: &str,
    all_namespaces: bool,
    output: Option<&str>,
    labels: Selector,
    fields: FieldSelector,
    show_labels: bool,
    no_headers: bool,
) {
    let now = now_ts(cluster);
    let mut objects: Vec<(Kind, Vec<Arc<Object>>)> = Vec::new();
    for t in targets {
        let scope = (!all_namespaces && t.kind.namespaced()).then(|| ns.to_owned());
        match &t.name {
            Some(name) => {
                let key = ObjectKey::new(
                    t.kind,
                    if t.kind.namespaced() { ns } else { "" },
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
                        labels: labels.clone(),
                        fields: fields.clone(),
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
    let single = targets.len() == 1 && targets[0].name.is_some();
    match output {
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
            if output == Some("yaml") {
                out.line(crate::yaml::to_string(&doc));
            } else {
                out.line(json_4(&doc));
            }
        }
        Some("name") => {
            for (kind, items) in &objects {
                for o in items {
                    out.line(format!("{}/{}", kind.qualified_singular(), o.name()));
                }
            }
        }
        Some(other) if other != "wide" => {
            out.line(format!("error: unable to match a printer suitable for the output format \"{other}\", allowed formats are: json,name,wide,yaml"));
            out.exit_code = 1;
        }
        _ => {
            let opts = PrintOptions {
                wide: output == Some("wide"),
                with_namespace: all_namespaces,
                show_labels,
                no_headers,
            };
            let nonempty: Vec<&(Kind, Vec<Arc<Object>>)> =
                objects.iter().filter(|(_, v)| !v.is_empty()).collect();
            if nonempty.is_empty() && out.exit_code == 0 {
                let scoped = targets.iter().all(|t| t.kind.namespaced()) && !all_namespaces;
                out.line(printers::no_resources_message(scoped.then_some(ns)));
                return;
            }
            for (i, (kind, items)) in nonempty.iter().enumerate() {
                if i > 0 {
                    out.line("");
                }
                out.output.push_str(&table(*kind, items, now, &opts));
            }
        }
    }
}

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

macro_rules! typed_table {
    ($kind:expr, $items:expr, $now:expr, $opts:expr, [$($v:ident),*]) => {
        match $kind {
            $(Kind::$v => {
                let typed: Vec<_> = $items.iter().filter_map(|o| match &**o { Object::$v(x) => Some(&**x), _ => None }).collect();
                printers::print_table(&typed, $now, $opts)
            })*
        }
    };
}

/// The `kubectl get` table of objects of one kind.
pub fn table(
    kind: Kind,
    items: &[Arc<Object>],
    now: k8s_openapi::jiff::Timestamp,
    opts: &PrintOptions,
) -> String {
    typed_table!(
        kind,
        items,
        now,
        opts,
        [
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
            StorageClass
        ]
    )
}
