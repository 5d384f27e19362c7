//! One module per kubectl command: what it does against the cluster and what it prints.

pub mod apply;
pub mod create;
pub mod delete;
pub mod describe;
pub mod edit;
pub mod exec;
pub mod expose;
pub mod get;
pub mod label;
pub mod logs;
pub mod node;
pub mod patch;
pub mod rollout;
pub mod run;
pub mod scale;
pub mod set;

use std::sync::Arc;

use sim_core::api::{ApiError, Object, ObjectKey};
use sim_core::apiserver::{Request, Response};
use sim_core::cluster::Cluster;

use crate::kubectl::exec::CLIENT;

/// GET one object as kubectl (the client every command shares); an answer
/// without an object counts as NotFound.
pub(crate) fn get_object(cluster: &mut Cluster, key: &ObjectKey) -> Result<Arc<Object>, ApiError> {
    match cluster.request(CLIENT, Request::Get(key.clone()))? {
        Response::Object(o) => Ok(o),
        _ => Err(ApiError::not_found(key.kind, &key.name)),
    }
}
