//! `kubectl set image` (k8s.io/kubectl pkg/cmd/set/set_image.go): new
//! container images in a pod template, with `*=IMAGE` for every container and
//! `--record` storing the command in `kubernetes.io/change-cause`.

use k8s_openapi::api::core::v1::{Container, PodSpec};
use sim_core::api::ObjectKey;
use sim_core::apiserver::Request;
use sim_core::cluster::Cluster;

use super::rollout::{one_target, pod_spec_mut, CHANGE_CAUSE};
use crate::kubectl::client::{get_object, kind_ref, CLIENT};
use crate::kubectl::grammar::{Command, SetWhat};
use crate::kubectl::outcome::Outcome;
use crate::kubectl::prepared::Prepared;

/// The command as `cmdutil.Factory.Command` records it: `kubectl`, the
/// positional arguments, then each flag as ` --name=value`.
pub(crate) fn change_cause(line: &str) -> String {
    let tokens = shlex::split(line).unwrap_or_default();
    let mut args = vec!["kubectl".to_owned()];
    let mut flags = String::new();
    let mut iter = tokens.into_iter().skip_while(|t| t == "kubectl").peekable();
    while let Some(t) = iter.next() {
        if let Some(flag) = t.strip_prefix("--") {
            match flag.split_once('=') {
                Some((k, v)) => flags.push_str(&format!(" --{k}={v}")),
                None if flag == "record" => flags.push_str(" --record=true"),
                None => {
                    let v = iter.next().unwrap_or_default();
                    flags.push_str(&format!(" --{flag}={v}"));
                }
            }
        } else if t == "-n" {
            let v = iter.next().unwrap_or_default();
            flags.push_str(&format!(" --namespace={v}"));
        } else {
            args.push(t);
        }
    }
    format!("{}{flags}", args.join(" "))
}

fn set_image(containers: &mut [Container], name: &str, image: &str) -> bool {
    let mut found = false;
    for c in containers.iter_mut() {
        if name == "*" || c.name == name {
            c.image = Some(image.to_owned());
            found = true;
        }
    }
    found
}

/// Runs the command.
pub(crate) fn execute(cluster: &mut Cluster, out: &mut Outcome, cmd: &Prepared, ns: &str) {
    let Command::Set(args) = &cmd.cli.command else {
        return;
    };
    let SetWhat::Image { args, record } = &args.what;
    let (resources, images): (Vec<String>, Vec<String>) =
        args.iter().cloned().partition(|a| !a.contains('='));
    if images.is_empty() {
        return out.fail("error: at least one image update is required");
    }
    let (kind, name) = match one_target(&resources) {
        Ok(t) => t,
        Err(_) => {
            return out.fail("error: one or more resources must be specified as <resource> <name> or <resource>/<name>");
        }
    };
    let key = ObjectKey::new(kind, ns, name);
    let obj = match get_object(cluster, &key) {
        Ok(o) => o,
        Err(e) => return out.error(&e),
    };
    let mut new = (*obj).clone();
    let mut errors = Vec::new();
    {
        let Some(spec) = pod_spec_mut(&mut new) else {
            return out.fail(format!(
                "error: {} the object is not a pod or does not have a pod template",
                kind_ref(&obj)
            ));
        };
        let spec: &mut PodSpec = spec;
        for pair in &images {
            let (c, image) = pair.split_once('=').unwrap_or((pair, ""));
            let init = set_image(
                spec.init_containers.as_deref_mut().unwrap_or(&mut []),
                c,
                image,
            );
            let main = set_image(&mut spec.containers, c, image);
            if !init && !main {
                errors.push(format!("error: unable to find container named \"{c}\""));
            }
        }
    }
    if *record {
        new.meta_mut()
            .annotations
            .get_or_insert_with(Default::default)
            .insert(CHANGE_CAUSE.into(), change_cause(&cmd.line));
    }
    if new != *obj {
        match cluster.request(CLIENT, Request::Update(new)) {
            Ok(resp) => {
                let shown = resp.object().map_or_else(|| obj.clone(), |o| o.clone());
                out.line(format!("{} image updated", kind_ref(&shown)));
            }
            Err(e) => errors.push(format!(
                "error: failed to patch image update to pod template: {}",
                e.message
            )),
        }
    }
    for e in errors {
        out.fail(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_cause_is_the_command_with_flags_last() {
        // kubectl pkg/cmd/util/factory_client_access.go Command: args, then " --flag=value".
        assert_eq!(
            change_cause("set image deployment my-tomcat tomcat=tomcat:10.1.11 --record"),
            "kubectl set image deployment my-tomcat tomcat=tomcat:10.1.11 --record=true"
        );
        assert_eq!(
            change_cause("kubectl set image deploy/x --record=true c=i:2"),
            "kubectl set image deploy/x c=i:2 --record=true"
        );
    }
}
