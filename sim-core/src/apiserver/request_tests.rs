//! Tests of the typed PATCH (`Request::PatchAs`: merge, JSON and strategic
//! merge patches) and of the pods/eviction subresource (`Request::Evict`)
//! through [`ApiServer::handle`].

use serde_json::json;

use super::{AdmissionSettings, ApiServer, DeleteOptions, PatchType, Request, Response};
use crate::api::{Kind, Object, ObjectKey, Reason};
use crate::rng::RngStreams;
use crate::time::{SimDuration, SimTime};

fn at(secs: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs(secs)
}

fn decode(kind: Kind, v: serde_json::Value) -> Object {
    kind.decode(&v).expect("test object decodes")
}

fn api() -> ApiServer {
    let mut api = ApiServer::new(
        RngStreams::new(1).stream("kube-apiserver"),
        AdmissionSettings::default(),
        SimDuration::from_secs(3600),
    );
    for obj in [
        decode(
            Kind::Namespace,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}),
        ),
        decode(
            Kind::ServiceAccount,
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "default"}}),
        ),
        decode(
            Kind::Deployment,
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "web", "namespace": "default"},
                   "spec": {"selector": {"matchLabels": {"app": "web"}},
                            "template": {"metadata": {"labels": {"app": "web"}},
                                         "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}}),
        ),
    ] {
        api.handle(at(0), Request::Create(obj))
            .result
            .expect("create");
    }
    api
}

fn patch(api: &mut ApiServer, p: serde_json::Value, t: PatchType) -> Result<Object, Reason> {
    api.handle(
        at(1),
        Request::PatchAs {
            key: ObjectKey::new(Kind::Deployment, "default", "web"),
            patch: p,
            patch_type: t,
        },
    )
    .result
    .map(|r| (**r.object().expect("object")).clone())
    .map_err(|e| e.reason)
}

fn containers(o: &Object) -> Vec<String> {
    o.to_json()["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn strategic_merge_adds_a_container_where_merge_replaces_the_list() {
    let mut api = api();
    let side = json!({"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "busybox"}]}}}});
    let o = patch(&mut api, side.clone(), PatchType::Strategic).expect("patched");
    assert_eq!(containers(&o), ["side", "nginx"]);
    assert_eq!(o.meta().generation, Some(2));
    let o = patch(&mut api, side, PatchType::Merge).expect("patched");
    assert_eq!(containers(&o), ["side"]);
}

#[test]
fn json_patch_applies_or_fails_whole() {
    let mut api = api();
    let o = patch(
        &mut api,
        json!([{"op": "replace", "path": "/spec/replicas", "value": 4}]),
        PatchType::Json,
    )
    .expect("patched");
    assert_eq!(o.to_json()["spec"]["replicas"], 4);
    let e = patch(
        &mut api,
        json!([{"op": "replace", "path": "/spec/replicas", "value": 5}, {"op": "remove", "path": "/nope"}]),
        PatchType::Json,
    );
    assert_eq!(e.unwrap_err(), Reason::Invalid);
    let stored = api
        .etcd()
        .get(Kind::Deployment, "default", "web")
        .expect("stored");
    assert_eq!(stored.to_json()["spec"]["replicas"], 4);
    // A JSON patch that does not change anything writes nothing.
    let rv = stored.resource_version();
    let o = patch(
        &mut api,
        json!([{"op": "test", "path": "/spec/replicas", "value": 4}]),
        PatchType::Json,
    )
    .expect("patched");
    assert_eq!(o.resource_version(), rv);
}

#[test]
fn eviction_is_a_graceful_delete() {
    let mut api = api();
    let pod = decode(
        Kind::Pod,
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
               "spec": {"containers": [{"name": "c", "image": "nginx"}]}}),
    );
    api.handle(at(0), Request::Create(pod))
        .result
        .expect("create");
    api.handle(
        at(0),
        Request::Bind {
            namespace: "default".into(),
            name: "p".into(),
            node: "n1".into(),
        },
    )
    .result
    .expect("bind");
    let evict = |api: &mut ApiServer, name: &str| {
        api.handle(
            at(2),
            Request::Evict {
                namespace: "default".into(),
                name: name.into(),
                options: DeleteOptions::default(),
            },
        )
        .result
    };
    match evict(&mut api, "p") {
        Ok(Response::Deleted { object, gone }) => {
            assert!(!gone);
            assert_eq!(object.meta().deletion_grace_period_seconds, Some(30));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        evict(&mut api, "nope").unwrap_err().reason,
        Reason::NotFound
    );
    assert_eq!(
        Request::Evict {
            namespace: String::new(),
            name: String::new(),
            options: DeleteOptions::default()
        }
        .verb(),
        "evict"
    );
}
