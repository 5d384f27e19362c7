//! Helpers shared by the sim-core integration tests: virtual instants, and
//! create / get requests sent to a cluster's API server as a test client.
//!
//! Each test binary compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::sync::Arc;

use serde_json::Value;
use sim_core::api::{Kind, Object, ObjectKey};
use sim_core::apiserver::{ApiResult, Request, Response};
use sim_core::cluster::Cluster;
use sim_core::{SimDuration, SimTime};

/// The instant `secs` seconds after the start of the run.
pub(crate) fn at(secs: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs(secs)
}

/// The object an API request answered with; panics on anything else.
pub(crate) fn ok(result: ApiResult) -> Arc<Object> {
    match result {
        Ok(Response::Object(o)) => o,
        other => panic!("request failed: {other:?}"),
    }
}

/// Creates the object `v` describes, of `kind`, as the client "test".
pub(crate) fn create(c: &mut Cluster, kind: Kind, v: Value) -> Arc<Object> {
    let obj = kind.decode(&v).expect("test object decodes");
    ok(c.request("test", Request::Create(obj)))
}

/// Deletes an object (with its default grace period) as the client "test".
pub(crate) fn delete(c: &mut Cluster, kind: Kind, namespace: &str, name: &str) {
    let result = c.request(
        "test",
        Request::Delete {
            key: ObjectKey::new(kind, namespace, name),
            options: Default::default(),
        },
    );
    assert!(
        matches!(result, Ok(Response::Deleted { .. } | Response::Object(_))),
        "delete failed: {result:?}"
    );
}

/// The pod `name` in namespace default, read through the API server.
pub(crate) fn get_pod(c: &mut Cluster, name: &str) -> Value {
    ok(c.request(
        "test",
        Request::Get(ObjectKey::new(Kind::Pod, "default", name)),
    ))
    .to_json()
}
