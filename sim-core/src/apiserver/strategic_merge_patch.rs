//! Strategic merge patch, as `kubectl patch` sends it by default
//! (`k8s.io/apimachinery/pkg/util/strategicpatch/patch.go`).
//!
//! Like a JSON merge patch, except that the lists the Kubernetes types tag
//! with `patchStrategy:"merge"` are merged element by element, matched by
//! their `patchMergeKey` (containers by `name`, container ports by
//! `containerPort`, Service ports by `port`, ...), and that the directives
//! `$patch: replace|delete|merge`, `$deleteFromPrimitiveList/<field>`,
//! `$setElementOrder/<field>` and `$retainKeys` are understood. Lists without
//! a tag (tolerations, taints, args, ...) are replaced, as in the real code.
//! The element order of a merged list follows `normalizeElementOrder`: the
//! patch's elements in patch order, with the server-only elements inserted
//! by their position in the live list.

use serde_json::{Map, Value};

/// How a list field is patched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ListStrategy {
    /// Replaced by the patch's list.
    Replace,
    /// Merged element by element, matched by this key.
    MergeKey(&'static str),
    /// A list of scalars merged as a set (`patchStrategy:"merge"` without a key).
    Primitive,
}

/// The strategy of the list at `path` (the map keys from the object's root),
/// from the `patchStrategy`/`patchMergeKey` tags of k8s.io/api.
fn strategy(path: &[String]) -> ListStrategy {
    let last = path.last().map(String::as_str).unwrap_or_default();
    let prev = path
        .len()
        .checked_sub(2)
        .map(|i| path[i].as_str())
        .unwrap_or_default();
    match last {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "imagePullSecrets"
        | "env"
        | "resourceClaims"
        | "schedulingGates" => ListStrategy::MergeKey("name"),
        "ports"
            if matches!(
                prev,
                "containers" | "initContainers" | "ephemeralContainers"
            ) =>
        {
            ListStrategy::MergeKey("containerPort")
        }
        "ports" if path.len() == 2 && prev == "spec" => ListStrategy::MergeKey("port"),
        "volumeMounts" => ListStrategy::MergeKey("mountPath"),
        "volumeDevices" => ListStrategy::MergeKey("devicePath"),
        "hostAliases" => ListStrategy::MergeKey("ip"),
        "topologySpreadConstraints" => ListStrategy::MergeKey("topologyKey"),
        "conditions" | "addresses" => ListStrategy::MergeKey("type"),
        "ownerReferences" => ListStrategy::MergeKey("uid"),
        "finalizers" if prev == "metadata" => ListStrategy::Primitive,
        _ => ListStrategy::Replace,
    }
}

/// Why a strategic merge patch could not be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct StrategicPatchError(pub String);

/// Applies a strategic merge patch to `doc` (an object's JSON).
pub(crate) fn apply(doc: &mut Value, patch: &Value) -> Result<(), StrategicPatchError> {
    let Value::Object(_) = patch else {
        return Err(StrategicPatchError(
            "json: cannot unmarshal array into Go value of type map[string]interface {}".into(),
        ));
    };
    let mut path = Vec::new();
    merge_value(doc, patch, &mut path)
}

fn directive(m: &Map<String, Value>) -> Option<&str> {
    m.get("$patch").and_then(Value::as_str)
}

/// A copy of a patch value with every directive removed (for new elements).
fn strip(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
        other => other.clone(),
    }
}

fn merge_value(
    orig: &mut Value,
    patch: &Value,
    path: &mut Vec<String>,
) -> Result<(), StrategicPatchError> {
    let Value::Object(pm) = patch else {
        *orig = patch.clone();
        return Ok(());
    };
    match directive(pm) {
        Some("replace") => {
            *orig = strip(patch);
            return Ok(());
        }
        Some("delete") => {
            *orig = Value::Object(Map::new());
            return Ok(());
        }
        Some("merge") | None => {}
        Some(other) => {
            return Err(StrategicPatchError(format!(
                "Unknown patch type: {other} in map: {patch}"
            )))
        }
    }
    if !orig.is_object() {
        *orig = Value::Object(Map::new());
    }
    let Value::Object(om) = orig else {
        return Ok(());
    };
    for (k, v) in pm {
        if k == "$patch" || k == "$retainKeys" || k.starts_with("$setElementOrder/") {
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            let gone: Vec<&Value> = v.as_array().map(|a| a.iter().collect()).unwrap_or_default();
            if let Some(Value::Array(list)) = om.get_mut(field) {
                list.retain(|x| !gone.contains(&x));
            }
            continue;
        }
        if v.is_null() {
            om.remove(k);
            continue;
        }
        path.push(k.clone());
        match v {
            Value::Array(items) => {
                let st = strategy(path);
                let current = om.get(k).and_then(Value::as_array).cloned();
                let merged = match (st, current) {
                    (ListStrategy::Replace, _) => Ok(strip(v)),
                    (_, None) => Ok(Value::Array(
                        items
                            .iter()
                            .filter(|i| i.as_object().is_none_or(|m| directive(m).is_none()))
                            .map(strip)
                            .collect(),
                    )),
                    (ListStrategy::MergeKey(key), Some(cur)) => {
                        merge_keyed(cur, items, key, path).map(Value::Array)
                    }
                    (ListStrategy::Primitive, Some(cur)) => {
                        Ok(Value::Array(merge_primitive(cur, items)))
                    }
                };
                match merged {
                    Ok(m) => {
                        om.insert(k.clone(), m);
                    }
                    Err(e) => {
                        path.pop();
                        return Err(e);
                    }
                }
            }
            Value::Object(_) => {
                let entry = om.entry(k.clone()).or_insert(Value::Null);
                let r = merge_value(entry, v, path);
                if r.is_err() {
                    path.pop();
                    return r;
                }
            }
            other => {
                om.insert(k.clone(), other.clone());
            }
        }
        path.pop();
    }
    Ok(())
}

/// `mergeSortedSlice`: inserts the server-only elements (`left`) into the
/// patched ones (`right`), by their positions in the live list.
fn merge_sorted(
    left: Vec<Value>,
    right: Vec<Value>,
    index: impl Fn(&Value) -> Option<usize>,
) -> Vec<Value> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
    loop {
        match (l.peek(), r.peek()) {
            (None, None) => break,
            (Some(_), None) => out.extend(l.next()),
            (None, Some(_)) => out.extend(r.next()),
            (Some(a), Some(b)) => {
                let take_left = matches!((index(a), index(b)), (Some(x), Some(y)) if x < y);
                if take_left {
                    out.extend(l.next());
                } else {
                    out.extend(r.next());
                }
            }
        }
    }
    out
}

fn merge_keyed(
    cur: Vec<Value>,
    items: &[Value],
    key: &str,
    path: &mut Vec<String>,
) -> Result<Vec<Value>, StrategicPatchError> {
    let key_of = |v: &Value| v.get(key).cloned();
    // `{"$patch": "replace"}` as an element: the other elements replace the list.
    if items.iter().any(|i| {
        i.as_object()
            .is_some_and(|m| directive(m) == Some("replace") && key_of(i).is_none())
    }) {
        return Ok(items
            .iter()
            .filter(|i| i.as_object().is_none_or(|m| directive(m).is_none()))
            .map(strip)
            .collect());
    }
    let server_order = cur.clone();
    let mut cur = cur;
    let mut patched = Vec::new();
    for item in items {
        let Some(k) = key_of(item) else {
            return Err(StrategicPatchError(format!(
                "map: {} does not contain declared merge key: {key}",
                go_map(item)
            )));
        };
        let pos = cur.iter().position(|c| key_of(c).as_ref() == Some(&k));
        let is_delete = item
            .as_object()
            .is_some_and(|m| directive(m) == Some("delete"));
        match (pos, is_delete) {
            (Some(p), true) => {
                cur.remove(p);
            }
            (None, true) => {}
            (Some(p), false) => {
                let mut merged = cur.remove(p);
                merge_value(&mut merged, item, path)?;
                patched.push(merged);
            }
            (None, false) => patched.push(strip(item)),
        }
    }
    let index = |v: &Value| {
        let k = key_of(v)?;
        server_order
            .iter()
            .position(|s| key_of(s).as_ref() == Some(&k))
    };
    Ok(merge_sorted(cur, patched, index))
}

/// A JSON value as Go's `%v` prints a `map[string]interface{}` (keys sorted).
fn go_map(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{k}:{}", go_map(&m[k])))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(go_map).collect::<Vec<_>>().join(" ")),
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".into(),
        other => other.to_string(),
    }
}

fn merge_primitive(cur: Vec<Value>, items: &[Value]) -> Vec<Value> {
    let server_order = cur.clone();
    let mut patched: Vec<Value> = Vec::new();
    for i in items {
        if !patched.contains(i) {
            patched.push(i.clone());
        }
    }
    let server_only: Vec<Value> = cur.into_iter().filter(|c| !patched.contains(c)).collect();
    merge_sorted(server_only, patched, |v| {
        server_order.iter().position(|s| s == v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(mut doc: Value, patch: Value) -> Value {
        apply(&mut doc, &patch).unwrap();
        doc
    }

    #[test]
    fn docs_update_api_object_kubectl_patch_containers() {
        // kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/:
        // the strategic patch adds a container; the merge patch would replace the list.
        let deploy = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "patch-demo-ctr", "image": "nginx"}
        ]}}}});
        let out = run(
            deploy,
            json!({"spec": {"template": {"spec": {"containers": [
                {"name": "patch-demo-ctr-2", "image": "redis"}
            ]}}}}),
        );
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"],
            json!([{"name": "patch-demo-ctr-2", "image": "redis"}, {"name": "patch-demo-ctr", "image": "nginx"}])
        );
    }

    #[test]
    fn docs_tolerations_are_replaced() {
        // Same page: tolerations have no patch strategy, so the list is replaced.
        let deploy = json!({"spec": {"template": {"spec": {"tolerations": [
            {"effect": "NoSchedule", "key": "dedicated", "value": "test-team"}
        ]}}}});
        let out = run(
            deploy,
            json!({"spec": {"template": {"spec": {"tolerations": [
                {"effect": "NoSchedule", "key": "disktype", "value": "ssd"}
            ]}}}}),
        );
        assert_eq!(
            out["spec"]["template"]["spec"]["tolerations"],
            json!([{"effect": "NoSchedule", "key": "disktype", "value": "ssd"}])
        );
    }

    #[test]
    fn merge_by_key_in_place_and_nested() {
        let pod = json!({"spec": {"containers": [
            {"name": "a", "image": "x:1", "env": [{"name": "A", "value": "1"}], "ports": [{"containerPort": 80}]},
            {"name": "b", "image": "y:1"}
        ]}});
        let out = run(
            pod,
            json!({"spec": {"containers": [
                {"name": "a", "image": "x:2", "env": [{"name": "B", "value": "2"}], "ports": [{"containerPort": 80, "name": "http"}]}
            ]}}),
        );
        let c = &out["spec"]["containers"];
        assert_eq!(c[0]["image"], "x:2");
        assert_eq!(
            c[0]["env"],
            json!([{"name": "B", "value": "2"}, {"name": "A", "value": "1"}])
        );
        assert_eq!(
            c[0]["ports"],
            json!([{"containerPort": 80, "name": "http"}])
        );
        assert_eq!(c[1]["name"], "b");
    }

    #[test]
    fn delete_and_replace_directives() {
        let pod = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}], "volumes": [{"name": "v"}]}});
        let out = run(
            pod.clone(),
            json!({"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}),
        );
        assert_eq!(out["spec"]["containers"], json!([{"name": "b"}]));
        let out = run(
            pod.clone(),
            json!({"spec": {"containers": [{"name": "c"}, {"$patch": "replace"}]}}),
        );
        assert_eq!(out["spec"]["containers"], json!([{"name": "c"}]));
        let out = run(pod, json!({"spec": {"$patch": "replace", "volumes": []}}));
        assert_eq!(out["spec"], json!({"volumes": []}));
    }

    #[test]
    fn service_ports_by_port_and_primitive_finalizers() {
        let svc = json!({"metadata": {"finalizers": ["a", "b"]}, "spec": {"ports": [{"port": 80, "targetPort": 80}]}});
        let out = run(
            svc,
            json!({"metadata": {"finalizers": ["c"], "$deleteFromPrimitiveList/finalizers": ["a"]},
                   "spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}]}}),
        );
        assert_eq!(
            out["spec"]["ports"],
            json!([{"port": 80, "targetPort": 8080}, {"port": 443}])
        );
        assert_eq!(out["metadata"]["finalizers"], json!(["c", "b"]));
    }

    #[test]
    fn null_deletes_and_scalars_replace() {
        let d = json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"replicas": 1}});
        let out = run(
            d,
            json!({"metadata": {"labels": {"a": null}}, "spec": {"replicas": 3}}),
        );
        assert_eq!(
            out,
            json!({"metadata": {"labels": {"b": "2"}}, "spec": {"replicas": 3}})
        );
        let mut d = json!({});
        assert!(apply(&mut d, &json!([1])).is_err());
        assert!(apply(&mut d, &json!({"spec": {"containers": [{"image": "x"}]}})).is_ok());
        let mut d = json!({"spec": {"containers": [{"name": "a"}]}});
        assert_eq!(
            apply(&mut d, &json!({"spec": {"containers": [{"image": "x", "ports": [{"containerPort": 80}]}]}}))
                .unwrap_err()
                .0,
            "map: map[image:x ports:[map[containerPort:80]]] does not contain declared merge key: name"
        );
    }
}
