//! Strict decoding of API objects: rejects unknown fields the way the real
//! API server does with `fieldValidation=Strict`
//! (`strict decoding error: unknown field "spec.template.spec.contianers"`).
//!
//! k8s-openapi's serde implementations silently drop unknown fields, so
//! [`decode_strict`] deserializes, serializes the result back, and reports
//! every key of the input that did not survive the round trip. The message
//! format follows the API server's (`k8s.io/apimachinery/pkg/runtime/serializer/json/json.go`
//! strict errors and `sigs.k8s.io/json` unknown-field paths: dotted keys,
//! array indices in brackets).
//!
//! Keys whose input value is `null` are treated as known: the round trip
//! drops them whether or not the type has such a field.

use std::cmp::Ordering;

use serde_json::Value;

/// Why an object could not be strictly decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrictError {
    /// The input has fields the type does not know, listed by path in
    /// sorted order (object keys alphabetically, array elements by index).
    #[error("strict decoding error: {}", unknown_list(fields))]
    UnknownFields {
        /// Paths such as `spec.containers[0].imagee`.
        fields: Vec<String>,
    },
    /// The input does not fit the type (wrong value type, bad enum, wrong
    /// apiVersion/kind, missing required field...).
    #[error("cannot be handled as a {type_name}: {message}")]
    Decode {
        /// The short name of the target type, e.g. "Deployment".
        type_name: String,
        /// The serde_json error text, e.g. `invalid type: string "three", expected i32`.
        message: String,
    },
    /// The decoded value could not be serialized back for the comparison.
    #[error("cannot re-encode {type_name} to check for unknown fields: {message}")]
    Encode {
        /// The short name of the target type.
        type_name: String,
        /// The serde_json error text.
        message: String,
    },
}

fn unknown_list(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| format!("unknown field {f:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The last path segment of a type name, without generic arguments.
fn short_type_name<T>() -> String {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base).to_string()
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

impl PartialOrd for Segment {
    fn partial_cmp(&self, other: &Segment) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Segment {
    fn cmp(&self, other: &Segment) -> Ordering {
        match (self, other) {
            (Segment::Key(a), Segment::Key(b)) => a.cmp(b),
            (Segment::Index(a), Segment::Index(b)) => a.cmp(b),
            (Segment::Index(_), Segment::Key(_)) => Ordering::Less,
            (Segment::Key(_), Segment::Index(_)) => Ordering::Greater,
        }
    }
}

/// Renders a path as the API server does: `spec.containers[0].image`.
fn render(path: &[Segment]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

fn collect_unknown(
    input: &Value,
    round_trip: &Value,
    path: &mut Vec<Segment>,
    out: &mut Vec<Vec<Segment>>,
) {
    match (input, round_trip) {
        (Value::Object(given), Value::Object(kept)) => {
            for (key, value) in given {
                if value.is_null() {
                    // A null is dropped by the round trip whether or not the
                    // field exists; treat it as known.
                    continue;
                }
                path.push(Segment::Key(key.clone()));
                match kept.get(key) {
                    Some(kept_value) => collect_unknown(value, kept_value, path, out),
                    None => out.push(path.clone()),
                }
                path.pop();
            }
        }
        (Value::Array(given), Value::Array(kept)) => {
            for (i, (value, kept_value)) in given.iter().zip(kept).enumerate() {
                path.push(Segment::Index(i));
                collect_unknown(value, kept_value, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// The paths of every key present in `input` but absent from `round_trip`
/// (recursively, ignoring keys whose input value is null), sorted: object
/// keys alphabetically, array elements by index.
pub fn unknown_fields(input: &Value, round_trip: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_unknown(input, round_trip, &mut Vec::new(), &mut found);
    found.sort();
    found.iter().map(|p| render(p)).collect()
}

/// Deserializes `T` from `input`, refusing unknown fields as the API server
/// does with strict field validation.
///
/// All unknown fields are reported in one [`StrictError::UnknownFields`]
/// error; type mismatches are reported as [`StrictError::Decode`] first.
pub fn decode_strict<T>(input: &Value) -> Result<T, StrictError>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    // serde_path_to_error names the field a type error is in
    // (`spec.replicas: invalid type: string "three", expected i32`).
    let value: T = serde_path_to_error::deserialize(input).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        StrictError::Decode {
            type_name: short_type_name::<T>(),
            message: if path.is_empty() || path == "." {
                inner
            } else {
                format!("{path}: {inner}")
            },
        }
    })?;
    let round_trip = serde_json::to_value(&value).map_err(|e| StrictError::Encode {
        type_name: short_type_name::<T>(),
        message: e.to_string(),
    })?;
    let fields = unknown_fields(input, &round_trip);
    if fields.is_empty() {
        Ok(value)
    } else {
        Err(StrictError::UnknownFields { fields })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::{ConfigMap, Pod, Service};
    use proptest::prelude::*;
    use serde_json::json;

    fn unknown<T>(input: &Value) -> Vec<String>
    where
        T: serde::de::DeserializeOwned + serde::Serialize,
    {
        match decode_strict::<T>(input) {
            Err(StrictError::UnknownFields { fields }) => fields,
            other => panic!("expected unknown fields, got {:?}", other.err()),
        }
    }

    fn valid_pod() -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "web",
                "namespace": "default",
                "labels": {"app": "web", "tier": "frontend", "weird.key/x": "y"},
                "annotations": {"example.com/note": "hello", "kubectl.kubernetes.io/last-applied-configuration": "{}"},
                "creationTimestamp": null,
                "ownerReferences": []
            },
            "spec": {
                "nodeSelector": {"disktype": "ssd"},
                "containers": [
                    {
                        "name": "app",
                        "image": "nginx:1.27",
                        "ports": [{"containerPort": 80, "name": "http", "protocol": "TCP"}],
                        "env": [
                            {"name": "A", "value": "1"},
                            {"name": "B", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}
                        ],
                        "resources": {
                            "requests": {"cpu": "100m", "memory": "128Mi"},
                            "limits": {"cpu": "1", "memory": "1Gi"}
                        },
                        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}},
                        "livenessProbe": {"tcpSocket": {"port": 80}},
                        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        "securityContext": {},
                        "args": []
                    },
                    {"name": "sidecar", "image": "busybox", "command": ["sleep", "3600"]}
                ],
                "volumes": [
                    {"name": "data", "emptyDir": {}},
                    {"name": "cfg", "configMap": {"name": "cfg", "items": [{"key": "a", "path": "a"}]}}
                ],
                "tolerations": [],
                "restartPolicy": "Always"
            },
            "status": {}
        })
    }

    #[test]
    fn valid_pod_passes() {
        let pod: Result<Pod, _> = decode_strict(&valid_pod());
        let pod = match pod {
            Ok(p) => p,
            Err(e) => panic!("valid pod rejected: {e}"),
        };
        assert_eq!(pod.metadata.name.as_deref(), Some("web"));
    }

    #[test]
    fn pod_with_misspelled_container_field() {
        let mut pod = valid_pod();
        pod["spec"]["containers"][0]["imagee"] = json!("nginx");
        assert_eq!(unknown::<Pod>(&pod), ["spec.containers[0].imagee"]);
        let err = decode_strict::<Pod>(&pod).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("strict decoding error: unknown field \"spec.containers[0].imagee\"")
        );
    }

    #[test]
    fn deployment_with_misspelled_containers() {
        let deployment = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"contianers": [{"name": "app", "image": "nginx"}]}
                }
            }
        });
        let err = decode_strict::<Deployment>(&deployment)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("strict decoding error: unknown field \"spec.template.spec.contianers\"")
        );
    }

    #[test]
    fn several_unknown_fields_are_all_reported_sorted() {
        let mut pod = valid_pod();
        pod["metadata"]["labelz"] = json!({"a": "b"});
        pod["spec"]["replicaz"] = json!(3);
        pod["spec"]["containers"][1]["env"] = json!([{"name": "X", "valu": "1"}]);
        pod["spec"]["containers"][0]["ports"][0]["hostPortt"] = json!(8080);
        pod["spec"]["volumes"][1]["configMap"]["items"][0]["modee"] = json!(420);
        assert_eq!(
            unknown::<Pod>(&pod),
            [
                "metadata.labelz",
                "spec.containers[0].ports[0].hostPortt",
                "spec.containers[1].env[0].valu",
                "spec.replicaz",
                "spec.volumes[1].configMap.items[0].modee",
            ]
        );
        let two =
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"labelz": {}}, "spek": {}});
        let err = decode_strict::<Pod>(&two).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "strict decoding error: unknown field \"metadata.labelz\", unknown field \"spek\""
            )
        );
    }

    #[test]
    fn null_fields_are_known() {
        let mut pod = valid_pod();
        pod["spec"]["nodeName"] = Value::Null;
        pod["spec"]["containers"][0]["workingDir"] = Value::Null;
        pod["metadata"]["deletionTimestamp"] = Value::Null;
        assert!(decode_strict::<Pod>(&pod).is_ok());
    }

    #[test]
    fn free_form_maps_keep_their_keys() {
        let cm = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cfg", "labels": {}, "annotations": {"a": ""}},
            "data": {"game.properties": "x=1", "ui": "dark", "": "empty-key"},
            "binaryData": {"blob": "aGVsbG8="}
        });
        assert!(decode_strict::<ConfigMap>(&cm).is_ok());
        let mut bad = cm.clone();
        bad["dataa"] = json!({});
        assert_eq!(unknown::<ConfigMap>(&bad), ["dataa"]);
    }

    #[test]
    fn int_or_string_and_quantities() {
        let svc = json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {
                "selector": {"app": "web"},
                "ports": [
                    {"port": 80, "targetPort": "http"},
                    {"port": 443, "targetPort": 8443, "protocoll": "TCP"}
                ]
            }
        });
        assert_eq!(unknown::<Service>(&svc), ["spec.ports[1].protocoll"]);
        let mut pod = valid_pod();
        pod["spec"]["overhead"] = json!({"cpu": "250m"});
        assert!(decode_strict::<Pod>(&pod).is_ok());
    }

    #[test]
    fn api_version_and_kind() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
        assert!(decode_strict::<Pod>(&pod).is_ok());
        // apiVersion inside a nested object is not a field there.
        let nested = json!({"metadata": {"name": "p", "kind": "ObjectMeta"}, "kind": "Pod", "apiVersion": "v1"});
        assert_eq!(unknown::<Pod>(&nested), ["metadata.kind"]);
        let wrong = json!({"apiVersion": "v2", "kind": "Pod"});
        assert!(matches!(
            decode_strict::<Pod>(&wrong),
            Err(StrictError::Decode { .. })
        ));
    }

    #[test]
    fn type_errors_are_decode_errors() {
        let d = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {"replicas": "three", "selector": {}, "template": {}}
        });
        let err = decode_strict::<Deployment>(&d).err();
        let msg = err.as_ref().map(ToString::to_string).unwrap_or_default();
        assert!(matches!(err, Some(StrictError::Decode { .. })), "{msg}");
        assert!(
            msg.starts_with("cannot be handled as a Deployment: "),
            "{msg}"
        );
        assert!(msg.contains("three"), "{msg}");
    }

    #[test]
    fn empty_lists_and_objects() {
        let mut pod = valid_pod();
        pod["spec"]["imagePullSecrets"] = json!([]);
        pod["spec"]["affinity"] = json!({});
        pod["spec"]["securityContext"] = json!({"sysctls": []});
        assert!(decode_strict::<Pod>(&pod).is_ok());
        pod["spec"]["affinity"] = json!({"nodeAffinityy": {}});
        assert_eq!(unknown::<Pod>(&pod), ["spec.affinity.nodeAffinityy"]);
        pod["spec"]["affinity"] = json!({});
        pod["spec"]["bogusList"] = json!([]);
        assert_eq!(unknown::<Pod>(&pod), ["spec.bogusList"]);
    }

    #[test]
    fn unknown_fields_helper_orders_indices_numerically() {
        let input = json!({"a": [{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {"x": 1}], "b": {"y": 2}});
        let kept: Vec<Value> = (0..11).map(|_| json!({})).collect();
        let round_trip = json!({"a": kept, "b": {}});
        let mut input2 = input.clone();
        input2["a"][2] = json!({"z": 1});
        assert_eq!(
            unknown_fields(&input2, &round_trip),
            ["a[2].z", "a[10].x", "b.y"]
        );
    }

    proptest! {
        #[test]
        fn arbitrary_json_never_panics(s in any::<String>(), n in any::<i64>()) {
            let input = json!({"apiVersion": "v1", "kind": "Pod", s.clone(): n, "spec": {s: [n]}});
            let _ = decode_strict::<Pod>(&input);
            let _ = decode_strict::<Deployment>(&input);
        }
    }
}
