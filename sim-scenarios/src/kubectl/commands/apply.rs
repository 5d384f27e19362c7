//! `kubectl apply`: create, or a three-way merge with the last applied configuration.

use std::collections::BTreeMap;

use serde_json::Value;
use sim_core::api::ObjectKey;
use sim_core::apiserver::{merge_patch, Request};
use sim_core::cluster::Cluster;

use crate::manifest::ManifestObject;

use crate::kubectl::client::{kind_ref, set_namespace, CLIENT, LAST_APPLIED};
use crate::kubectl::outcome::Outcome;

/// `kubectl apply`: create, or a three-way JSON merge of the last applied
/// configuration, the manifest and the live object.
pub(crate) fn apply(
    cluster: &mut Cluster,
    out: &mut Outcome,
    m: &ManifestObject,
    ns_flag: Option<&str>,
) {
    let mut obj = m.object.clone();
    if let Err(e) = set_namespace(&mut obj, ns_flag) {
        return out.fail(e);
    }
    let mut modified = m.json.clone();
    if obj.kind().namespaced() {
        if let Some(meta) = modified.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert(
                "namespace".into(),
                Value::String(obj.namespace().to_owned()),
            );
        }
    }
    let applied = serde_json::to_string(&modified).unwrap_or_default();
    let key = ObjectKey::of(&obj);
    let live = cluster
        .etcd()
        .get(key.kind, &key.namespace, &key.name)
        .cloned();
    let Some(live) = live else {
        obj.meta_mut()
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(LAST_APPLIED.into(), applied);
        match cluster.request(CLIENT, Request::Create(obj)) {
            Ok(resp) => {
                if let Some(o) = resp.object() {
                    out.line(format!("{} created", kind_ref(o)));
                }
            }
            Err(e) => out.line(format!(
                "Error from server ({}): error when creating \"{}\": {}",
                e.reason.as_str(),
                m.origin.file.display(),
                e.message
            )),
        }
        return;
    };
    let original: Value = live
        .meta()
        .annotations
        .as_ref()
        .and_then(|a| a.get(LAST_APPLIED))
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    let mut patch = three_way_patch(&original, &modified);
    if let Some(meta) = patch.as_object_mut().map(|p| {
        p.entry("metadata")
            .or_insert_with(|| Value::Object(Default::default()))
    }) {
        if let Some(meta) = meta.as_object_mut() {
            let ann = meta
                .entry("annotations")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Some(ann) = ann.as_object_mut() {
                ann.insert(LAST_APPLIED.into(), Value::String(applied));
            }
        }
    }
    let mut merged = live.to_json();
    merge_patch::apply(&mut merged, &patch);
    if merged == live.to_json() {
        out.line(format!("{} unchanged", kind_ref(&live)));
        return;
    }
    match cluster.request(CLIENT, Request::Patch { key, patch }) {
        Ok(_) => out.line(format!("{} configured", kind_ref(&live))),
        Err(e) => out.line(format!(
            "Error from server ({}): error when applying patch to \"{}\": {}",
            e.reason.as_str(),
            m.origin.file.display(),
            e.message
        )),
    }
}

/// A JSON merge patch that sets everything in `modified` and removes what
/// `original` had and `modified` no longer has (jsonmergepatch.CreateThreeWayJSONMergePatch, simplified).
pub(crate) fn three_way_patch(original: &Value, modified: &Value) -> Value {
    let mut patch = modified.clone();
    if let (Some(o), Some(p)) = (original.as_object(), patch.as_object_mut()) {
        for (k, ov) in o {
            match p.get_mut(k) {
                None => {
                    p.insert(k.clone(), Value::Null);
                }
                Some(pv) if pv.is_object() && ov.is_object() => {
                    *pv = three_way_patch(ov, pv);
                }
                _ => {}
            }
        }
    }
    patch
}
