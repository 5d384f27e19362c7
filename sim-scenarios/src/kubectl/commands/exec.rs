//! `kubectl exec [-i] [-t] POD|TYPE/NAME [-c CONTAINER] -- CMD`: kubectl's
//! part (the pod a workload names, the completed-pod check, the default
//! container); the request then goes through the API server's `pods/exec`
//! to the kubelet of the pod's node, whose runtime runs the command in the
//! container ([`Cluster::exec`]). In a scenario, an exec step's `input` is
//! what is typed into `-i`.

use sim_core::api::{Kind, ObjectKey};
use sim_core::cluster::Cluster;
use sim_core::cluster::{ExecFailure, OpenSession};
use sim_core::components::kubelet::ExecRequest;

use super::first_pod::pod_for;
use crate::kubectl::client::{default_container, get_object, CLIENT};
use crate::kubectl::grammar::Command;
use crate::kubectl::outcome::Outcome;
use crate::kubectl::prepared::Prepared;

/// kubectl's part of an exec: the pod, the completed-pod check, the
/// default container (with its note); None after printing why not.
fn request_for(
    cluster: &mut Cluster,
    out: &mut Outcome,
    cmd: &Prepared,
    ns: &str,
) -> Option<ExecRequest> {
    let Command::Exec(args) = &cmd.cli.command else {
        return None;
    };
    let name = match pod_for(cluster, &args.pod, ns) {
        Ok((n, _)) => n,
        Err(e) => {
            out.fail(e);
            return None;
        }
    };
    let pod = match get_object(cluster, &ObjectKey::new(Kind::Pod, ns, &name)) {
        Ok(o) => o,
        Err(e) => {
            out.error(&e);
            return None;
        }
    };
    let p = pod.as_pod()?;
    let phase = p
        .status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default();
    if phase == "Succeeded" || phase == "Failed" {
        out.line(format!(
            "error: cannot exec into a container in a completed pod; current phase is {phase}"
        ));
        out.exit_code = 1;
        return None;
    }
    let container = match &args.container {
        Some(c) => c.clone(),
        None => default_container(p, out)?,
    };
    Some(ExecRequest {
        namespace: ns.to_owned(),
        pod: name,
        container,
        command: args.command.clone(),
        stdin: if args.stdin {
            cmd.stdin.clone().unwrap_or_default()
        } else {
            String::new()
        },
        tty: args.tty,
    })
}

/// Prints a failed exec as kubectl does.
fn failure(out: &mut Outcome, e: ExecFailure) {
    match e {
        ExecFailure::Api(e) => out.error(&e),
        e @ ExecFailure::Upgrade(_) => out.fail(e.to_string()),
    }
}

/// How a session (or a one-shot exec) ended, as kubectl reports it.
pub(crate) fn terminated(out: &mut Outcome, status: i32) {
    if status != 0 {
        out.line(format!("command terminated with exit code {status}"));
        out.exit_code = status;
    }
}

/// `kubectl exec -i` at a terminal (`sim shell`): opens an interactive
/// session when the command is a shell or `redis-cli` at its prompt; the
/// session and its first prompt. None (with what to print) otherwise: the
/// caller then runs the command as usual.
pub(crate) fn open_session(
    cluster: &mut Cluster,
    cmd: &Prepared,
    ns: &str,
) -> (Outcome, Option<(OpenSession, String)>) {
    let mut out = Outcome::default();
    let Some(req) = request_for(cluster, &mut out, cmd, ns) else {
        return (out, None);
    };
    match cluster.exec_open(CLIENT, req) {
        Ok(opened) => (out, opened),
        Err(e) => {
            failure(&mut out, e);
            (out, None)
        }
    }
}

/// Runs the command.
pub(crate) fn execute(cluster: &mut Cluster, out: &mut Outcome, cmd: &Prepared, ns: &str) {
    let Some(req) = request_for(cluster, out, cmd, ns) else {
        return;
    };
    let result = match cluster.exec(CLIENT, req) {
        Ok(r) => r,
        Err(e) => return failure(out, e),
    };
    out.output.push_str(&result.stdout);
    out.output.push_str(&result.stderr);
    if !out.output.is_empty() && !out.output.ends_with('\n') {
        // The terminal's next prompt would follow on the same line; the
        // transcript starts it on a new one.
        out.output.push('\n');
    }
    terminated(out, result.status);
}

#[cfg(test)]
mod tests {
    /// The course scenario end to end: the values redis loaded at start,
    /// unchanged by a ConfigMap update until the pod is recreated.
    #[test]
    fn course_redis_scenario_reports_the_configuration_loaded_at_start() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scenarios/course/2.7-configuration.yaml"
        );
        let scenario = crate::load(std::path::Path::new(path)).expect("loads");
        let mut out = Vec::new();
        let result = crate::run(&scenario, &crate::RunOptions::default(), &mut out).expect("runs");
        let text = String::from_utf8(out).expect("utf8");
        assert_eq!(result.failed, 0, "{text}");
        let redis = &text[text
            .find("create configmap example-redis-config")
            .expect("redis part")..];
        let outputs: Vec<String> = redis
            .split("] $ kubectl exec -it redis -- redis-cli CONFIG GET maxmemory\n")
            .skip(1)
            .map(|s| s.lines().take(2).collect::<Vec<_>>().join("\n"))
            .collect();
        assert_eq!(
            outputs,
            [
                "1) \"maxmemory\"\n2) \"2097152\"",
                "1) \"maxmemory\"\n2) \"2097152\"",
                "1) \"maxmemory\"\n2) \"4194304\"",
            ],
            "{text}"
        );
        assert!(
            redis.contains("$ kubectl exec redis -- redis-cli config get maxmemory-policy\nmaxmemory-policy\nallkeys-lru\n"),
            "{text}"
        );
        assert!(
            redis.contains("$ kubectl exec -it redis -- redis-cli\n127.0.0.1:6379> CONFIG GET maxmemory\n1) \"maxmemory\"\n2) \"2097152\"\n127.0.0.1:6379> CONFIG GET maxmemory-policy\n1) \"maxmemory-policy\"\n2) \"allkeys-lru\"\n127.0.0.1:6379> SET course k8s\nOK\n127.0.0.1:6379> GET course\n\"k8s\"\n127.0.0.1:6379> exit\n[") ,
            "{text}"
        );
        let policy = "] $ kubectl exec -it redis -- redis-cli CONFIG GET maxmemory-policy\n";
        let policies: Vec<String> = redis
            .split(policy)
            .skip(1)
            .map(|s| s.lines().take(2).collect::<Vec<_>>().join("\n"))
            .collect();
        assert_eq!(
            policies,
            [
                "1) \"maxmemory-policy\"\n2) \"allkeys-lru\"",
                "1) \"maxmemory-policy\"\n2) \"allkeys-lru\"",
                "1) \"maxmemory-policy\"\n2) \"allkeys-lfu\"",
            ],
            "{text}"
        );
    }

    /// The container-files scenario end to end: tomcat's 404 before the
    /// course's fix and its page after, a file shared through an emptyDir,
    /// a read-only configMap, a restart losing the container's own files.
    #[test]
    fn container_files_scenario_behaves_as_real_containers() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scenarios/workloads/container-files.yaml"
        );
        let scenario = crate::load(std::path::Path::new(path)).expect("loads");
        let mut out = Vec::new();
        let result = crate::run(&scenario, &crate::RunOptions::default(), &mut out).expect("runs");
        let text = String::from_utf8(out).expect("utf8");
        assert_eq!(result.failed, 0, "{text}");
        let after = |step: &str| -> String {
            let at = text
                .find(&format!("$ kubectl {step}\n"))
                .unwrap_or_else(|| panic!("{step}: {text}"));
            let rest = &text[at..];
            let body = &rest[rest.find('\n').map_or(0, |i| i + 1)..];
            body[..body.find("\n[").map_or(body.len(), |i| i + 1)].to_owned()
        };
        assert!(after("exec my-tomcat -- curl -s -i localhost:8080")
            .starts_with("HTTP/1.1 404 \nContent-Type: text/html;charset=utf-8\n"));
        assert_eq!(
            after("exec my-tomcat -- ls webapps.dist"),
            "ROOT\ndocs\nexamples\nhost-manager\nmanager\n"
        );
        assert_eq!(
            after("exec my-tomcat -- sh -c 'curl -s localhost:8080 | grep \"<h1>\"'"),
            "                <h1>Apache Tomcat/9.0.55</h1>\n"
        );
        assert!(after("exec -it my-tomcat -- sh")
            .contains("# rm -rf webapps && mv webapps.dist webapps\n# ls webapps\nROOT\n"));
        assert_eq!(
            after("exec shared -c web -- cat /usr/share/nginx/html/index.html"),
            "<h1>written by writer</h1>\n"
        );
        assert_eq!(
            after("exec shared -c writer -- sh -c 'echo title=mine > /etc/site/site.conf'"),
            "sh: can't create /etc/site/site.conf: Read-only file system\ncommand terminated with exit code 2\n"
        );
        assert_eq!(
            after("exec shared -c web -- sh -c 'mount | grep -e /etc/site -e nginx'"),
            "/dev/sda1 on /etc/site type ext4 (ro,relatime)\n/dev/sda1 on /usr/share/nginx/html type ext4 (rw,relatime)\n"
        );
        assert!(after("exec shared -c writer -- df -h").starts_with(
            "Filesystem      Size  Used Avail Use% Mounted on\noverlay          94G "
        ));
        assert_eq!(
            after("exec hello -- wget -q -O - localhost:8080/"),
            "hello from kubesim\n"
        );
        // After the writer's restart.
        let restart = text.find("fault ends: container-crash").expect("the crash");
        let later = &text[restart..];
        assert!(later.contains("$ kubectl exec shared -c writer -- cat /tmp/note\ncat: /tmp/note: No such file or directory\ncommand terminated with exit code 1\n"), "{later}");
        assert!(later.contains("$ kubectl exec shared -c writer -- cat /data/index.html\n<h1>written by writer</h1>\n"), "{later}");
        assert!(
            later.contains("<title>Apache Tomcat/9.0.55</title>"),
            "a pod on another node: {later}"
        );
        assert!(
            text.contains("\"GET / HTTP/1.1\" 200 27 \"-\" \"Wget\" \"-\"\n"),
            "nginx's access log: {text}"
        );
    }
}
