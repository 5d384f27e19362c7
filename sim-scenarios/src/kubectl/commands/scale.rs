//! `kubectl scale`: a new replica count through the scale subresource
//! (k8s.io/kubectl pkg/cmd/scale/scale.go, pkg/scale/scale.go), with the
//! `--current-replicas` precondition (`ScalePrecondition.validate`).

use sim_core::api::{Kind, ObjectKey};
use sim_core::apiserver::Request;
use sim_core::cluster::Cluster;

use super::rollout::one_target;
use crate::kubectl::client::{get_object, kind_ref, CLIENT};
use crate::kubectl::grammar::Command;
use crate::kubectl::outcome::Outcome;
use crate::kubectl::prepared::Prepared;

/// The `spec.replicas` of a scalable object (None: not scalable).
fn spec_replicas(obj: &sim_core::api::Object) -> Option<i32> {
    let v = obj.to_json();
    match obj.kind() {
        Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet => Some(
            v.pointer("/spec/replicas")
                .and_then(serde_json::Value::as_i64)
                .and_then(|r| i32::try_from(r).ok())
                .unwrap_or(1),
        ),
        _ => None,
    }
}

/// Runs the command.
pub(crate) fn execute(cluster: &mut Cluster, out: &mut Outcome, cmd: &Prepared, ns: &str) {
    let Command::Scale(args) = &cmd.cli.command else {
        return;
    };
    if args.replicas < 0 {
        return out.fail("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0");
    }
    let (kind, name) = match one_target(&args.resources) {
        Ok(t) => t,
        Err(e) => {
            return out.fail(e);
        }
    };
    let key = ObjectKey::new(kind, ns, name);
    let obj = match get_object(cluster, &key) {
        Ok(o) => o,
        Err(e) => return out.error(&e),
    };
    let Some(current) = spec_replicas(&obj) else {
        return out.fail(format!(
            "error: cannot scale {}: the server could not find the requested resource",
            kind_ref(&obj)
        ));
    };
    if args.current_replicas >= 0 && args.current_replicas != current {
        return out.fail(format!(
            "error: Expected replicas to be {}, was {current}",
            args.current_replicas
        ));
    }
    let patch = serde_json::json!({ "spec": { "replicas": args.replicas } });
    match cluster.request(CLIENT, Request::Patch { key, patch }) {
        Ok(_) => out.line(format!("{} scaled", kind_ref(&obj))),
        Err(e) => out.error(&e),
    }
}
