//! End-to-end checks of the object commands of kubectl: `create configmap`,
//! `create secret generic|docker-registry`, `create service`, `expose`,
//! `label`, `annotate`, `patch`, `cordon`, `uncordon`, `taint` and `drain`,
//! each played in a small scenario and judged by its transcript.

use std::path::Path;

use sim_scenarios::{load, run, RunOptions};

/// Writes `files` and a scenario with `steps` (YAML list items) into a
/// temporary directory, plays it and returns the transcript.
fn play(steps: &str, files: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, content) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    }
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, format!("name: t\nseed: 1\nsteps:\n{steps}")).expect("write");
    let scenario = load(&path).unwrap_or_else(|e| panic!("{}", e.message));
    let mut out = Vec::new();
    let result = run(&scenario, &RunOptions::default(), &mut out).expect("run");
    let text = String::from_utf8(out).expect("utf8");
    assert_eq!(result.failed, 0, "{text}");
    text
}

fn load_error(steps: &str, dir: &Path) -> String {
    let path = dir.join("s.yaml");
    std::fs::write(&path, format!("name: t\nsteps:\n{steps}")).expect("write");
    load(&path).expect_err("a validation error").message
}

/// The output of the step whose command line is `line`.
fn output_of<'a>(text: &'a str, line: &str) -> &'a str {
    let marker = format!("$ kubectl {line}\n");
    let start = text
        .find(&marker)
        .unwrap_or_else(|| panic!("{line} not in {text}"))
        + marker.len();
    let rest = &text[start..];
    let end = rest
        .find("\n[")
        .or_else(|| rest.find(" expectation"))
        .map_or(rest.len(), |i| i + 1);
    let end = if rest[..end].ends_with('\n') {
        end
    } else {
        rest[..end].rfind('\n').map_or(0, |i| i + 1)
    };
    &rest[..end]
}

#[test]
fn configmaps_from_literals_files_folders_and_env_files() {
    let t = play(
        r"  - kubectl: create configmap lit --from-literal=a=1 --from-literal=b=x=y
  - kubectl: create configmap file --from-file=files/game.properties --from-file=ui=files/ui.properties
  - kubectl: create configmap dir --from-file=files
  - kubectl: create configmap env --from-env-file=env/app.env
  - kubectl: get cm lit file dir env
  - kubectl: get cm lit -o yaml
  - kubectl: get cm env -o yaml
  - kubectl: create configmap dup --from-literal=a=1 --from-literal=a=2
  - kubectl: create configmap bad --from-literal=a
  - kubectl: create configmap mix --from-env-file=env/app.env --from-literal=a=1
  - kubectl: create configmap named --from-file=k=files
  - kubectl: create configmap lit --from-literal=a=1
  - kubectl: create cm badkey --from-literal=a/b=1
",
        &[
            ("files/game.properties", "lives=3\n"),
            ("files/ui.properties", "color=purple\n"),
            ("env/app.env", "# comment\nAPP=demo\n\n  MODE=prod\n"),
        ],
    );
    assert_eq!(
        output_of(
            &t,
            "create configmap lit --from-literal=a=1 --from-literal=b=x=y"
        ),
        "configmap/lit created\n"
    );
    let table = output_of(&t, "get cm lit file dir env");
    assert!(table.starts_with("NAME   DATA   AGE\nlit    2 "), "{table}");
    assert!(table.contains("\nfile   2 "), "{table}");
    assert!(table.contains("\ndir    2 "), "{table}");
    assert!(table.contains("\nenv    2 "), "{table}");
    let lit = output_of(&t, "get cm lit -o yaml");
    assert!(lit.contains("data:\n  a: '1'\n  b: x=y\n"), "{lit}");
    let env = output_of(&t, "get cm env -o yaml");
    assert!(env.contains("data:\n  APP: demo\n  MODE: prod\n"), "{env}");
    assert_eq!(
        output_of(&t, "create configmap dup --from-literal=a=1 --from-literal=a=2"),
        "error: cannot add key \"a\", another key by that name already exists in Data for ConfigMap \"dup\"\n"
    );
    assert_eq!(
        output_of(&t, "create configmap bad --from-literal=a"),
        "error: invalid literal source a, expected key=value\n"
    );
    assert_eq!(
        output_of(
            &t,
            "create configmap mix --from-env-file=env/app.env --from-literal=a=1"
        ),
        "error: from-env-file cannot be combined with from-file or from-literal\n"
    );
    assert_eq!(
        output_of(&t, "create configmap named --from-file=k=files"),
        "error: cannot give a key name for a directory path\n"
    );
    assert_eq!(
        output_of(&t, "create configmap lit --from-literal=a=1"),
        "error: failed to create configmap: configmaps \"lit\" already exists\n"
    );
    assert!(output_of(&t, "create cm badkey --from-literal=a/b=1")
        .starts_with("error: \"a/b\" is not a valid key name for a ConfigMap: a valid config key"));
}

#[test]
fn a_missing_source_file_is_a_validation_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = load_error(
        "  - kubectl: create configmap x --from-file=nope.txt\n",
        dir.path(),
    );
    assert!(
        e.contains("error: error reading nope.txt: no such file or directory"),
        "{e}"
    );
    let e = load_error(
        "  - kubectl: create secret generic x --from-env-file=missing.env\n",
        dir.path(),
    );
    assert!(e.contains("error reading missing.env"), "{e}");
}

#[test]
fn secrets_generic_and_docker_registry() {
    let t = play(
        r"  - kubectl: create secret generic db --from-literal=username=admin --from-file=password=pw.txt
  - kubectl: create secret generic typed --from-literal=k=v --type=kubernetes.io/basic-auth
  - kubectl: create secret docker-registry reg --docker-server=registry.example.com --docker-username=tuling --docker-password=s3cret --docker-email=a@b.c
  - kubectl: get secrets
  - kubectl: get secret db -o yaml
  - kubectl: get secret reg -o yaml
  - kubectl: create secret generic db --from-literal=a=b
  - kubectl: create secret docker-registry nouser --docker-password=x
",
        &[("pw.txt", "1f2d1e2e67df")],
    );
    assert_eq!(
        output_of(
            &t,
            "create secret generic db --from-literal=username=admin --from-file=password=pw.txt"
        ),
        "secret/db created\n"
    );
    let list = output_of(&t, "get secrets");
    assert!(
        list.contains("db      Opaque                           2 "),
        "{list}"
    );
    assert!(
        list.contains("reg     kubernetes.io/dockerconfigjson   1 "),
        "{list}"
    );
    assert!(
        list.contains("typed   kubernetes.io/basic-auth         1 "),
        "{list}"
    );
    let db = output_of(&t, "get secret db -o yaml");
    assert!(
        db.contains("  password: MWYyZDFlMmU2N2Rm\n  username: YWRtaW4=\n"),
        "{db}"
    );
    // {"auths":{"registry.example.com":{"username":"tuling","password":"s3cret","email":"a@b.c","auth":"dHVsaW5nOnMzY3JldA=="}}}
    let reg = output_of(&t, "get secret reg -o yaml");
    assert!(
        reg.contains("  .dockerconfigjson: eyJhdXRocyI6eyJyZWdpc3RyeS5leGFtcGxlLmNvbSI6eyJ1c2VybmFtZSI6InR1bGluZyIsInBhc3N3b3JkIjoiczNjcmV0IiwiZW1haWwiOiJhQGIuYyIsImF1dGgiOiJkSFZzYVc1bk9uTXpZM0psZEE9PSJ9fX0=\n"),
        "{reg}"
    );
    assert!(
        reg.contains("type: kubernetes.io/dockerconfigjson\n"),
        "{reg}"
    );
    assert_eq!(
        output_of(&t, "create secret generic db --from-literal=a=b"),
        "error: failed to create secret secrets \"db\" already exists\n"
    );
    assert!(output_of(
        &t,
        "create secret docker-registry nouser --docker-password=x"
    )
    .starts_with("error: either --from-file or the combination of --docker-username"));
}

#[test]
fn services_created_and_exposed() {
    let t = play(
        r"  - kubectl: create deployment my-tomcat --image=tomcat:9.0.55
  - kubectl: create service clusterip my-cs --tcp=5678:8080
  - kubectl: create service nodeport my-np --tcp=80:http --node-port=30080
  - kubectl: create service loadbalancer my-lb --tcp=80
  - kubectl: create service externalname my-en --external-name=bar.com
  - kubectl: expose deployment my-tomcat --name=tomcat --port=8080 --type=NodePort
  - kubectl: expose deployment my-tomcat
  - kubectl: expose configmap kube-root-ca.crt
  - kubectl: get svc -o wide
  - kubectl: get svc tomcat -o yaml
",
        &[],
    );
    assert_eq!(
        output_of(
            &t,
            "expose deployment my-tomcat --name=tomcat --port=8080 --type=NodePort"
        ),
        "service/tomcat exposed\n"
    );
    assert_eq!(
        output_of(&t, "expose deployment my-tomcat"),
        "error: couldn't find port via --port flag or introspection\nSee 'kubectl expose -h' for help and examples\n"
    );
    assert_eq!(
        output_of(&t, "expose configmap kube-root-ca.crt"),
        "error: cannot expose a ConfigMap\n"
    );
    let wide = output_of(&t, "get svc -o wide");
    let row = |name: &str| {
        wide.lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} in {wide}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert!(
        wide.starts_with("NAME         TYPE           CLUSTER-IP"),
        "{wide}"
    );
    let cs = row("my-cs");
    assert_eq!(
        (cs[1], cs[3], cs[4], cs[6]),
        ("ClusterIP", "<none>", "5678/TCP", "app=my-cs")
    );
    assert!(cs[2].starts_with("10."), "{wide}");
    let np = row("my-np");
    assert_eq!((np[1], np[4]), ("NodePort", "80:30080/TCP"));
    let lb = row("my-lb");
    assert_eq!(lb[3], "<pending>");
    assert!(
        lb[4].starts_with("80:3") && lb[4].ends_with("/TCP"),
        "{wide}"
    );
    let en = row("my-en");
    assert_eq!(
        (en[1], en[2], en[3], en[4]),
        ("ExternalName", "<none>", "bar.com", "<none>")
    );
    let tomcat = row("tomcat");
    assert_eq!((tomcat[1], tomcat[6]), ("NodePort", "app=my-tomcat"));
    assert!(tomcat[4].starts_with("8080:") && tomcat[4].ends_with("/TCP"));
    let y = output_of(&t, "get svc tomcat -o yaml");
    assert!(y.contains("  labels:\n    app: my-tomcat\n"), "{y}");
    assert!(
        y.contains("    port: 8080\n    protocol: TCP\n    targetPort: 8080\n"),
        "{y}"
    );
}

#[test]
fn label_and_annotate() {
    let t = play(
        r"  - kubectl: run a --image=nginx
  - kubectl: run b --image=nginx
  - kubectl: label pod a env=prod
  - kubectl: label pod a env=prod
  - kubectl: label pod a env=dev
  - kubectl: label pod a env=dev --overwrite
  - kubectl: label pods --all tier=web
  - kubectl: label pods -l tier=web tier-
  - kubectl: label pod/b missing-
  - kubectl: label pod a
  - kubectl: label node worker-1 disk=ssd
  - kubectl: annotate pod a note=hello
  - kubectl: annotate pod a note=bye
  - kubectl: annotate pod a note-
  - kubectl: get pods --show-labels
",
        &[],
    );
    assert_eq!(
        output_of(&t, "label pod a env=prod"),
        "pod/a labeled\npod/a not labeled\n"
            .split_inclusive('\n')
            .next()
            .unwrap_or_default()
    );
    assert!(
        t.contains("$ kubectl label pod a env=prod\npod/a not labeled\n"),
        "{t}"
    );
    assert_eq!(
        output_of(&t, "label pod a env=dev"),
        "error: 'env' already has a value (prod), and --overwrite is false\n"
    );
    assert_eq!(
        output_of(&t, "label pod a env=dev --overwrite"),
        "pod/a labeled\n"
    );
    assert_eq!(
        output_of(&t, "label pods --all tier=web"),
        "pod/a labeled\npod/b labeled\n"
    );
    assert_eq!(
        output_of(&t, "label pods -l tier=web tier-"),
        "pod/a unlabeled\npod/b unlabeled\n"
    );
    assert_eq!(
        output_of(&t, "label pod/b missing-"),
        "label \"missing\" not found.\npod/b not labeled\n"
    );
    assert_eq!(
        output_of(&t, "label pod a"),
        "error: at least one label update is required\n"
    );
    assert_eq!(
        output_of(&t, "label node worker-1 disk=ssd"),
        "node/worker-1 labeled\n"
    );
    assert_eq!(
        output_of(&t, "annotate pod a note=hello"),
        "pod/a annotated\n"
    );
    assert_eq!(
        output_of(&t, "annotate pod a note=bye"),
        "error: --overwrite is false but found the following declared annotation(s): 'note' already has a value (hello)\n"
    );
    assert_eq!(output_of(&t, "annotate pod a note-"), "pod/a annotated\n");
    let labels = output_of(&t, "get pods --show-labels");
    assert!(labels.contains("env=dev,run=a"), "{labels}");
}

#[test]
fn patch_strategic_merge_and_json() {
    let t = play(
        r#"  - kubectl: create deployment web --image=nginx:1.14.2
  - kubectl: 'patch deployment web -p ''{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}'''
  - kubectl: 'patch deployment web --type=merge -p ''{"spec":{"replicas":3}}'''
  - kubectl: 'patch deployment web --type=merge -p ''{"spec":{"replicas":3}}'''
  - kubectl: 'patch deploy/web --type=json -p ''[{"op":"replace","path":"/spec/replicas","value":2}]'''
  - kubectl: 'patch deploy/web --type=json -p ''[{"op":"remove","path":"/spec/nope"}]'''
  - kubectl: 'patch deploy/web --type=xml -p ''{}'''
  - kubectl: 'patch node worker-1 -p ''spec: {unschedulable: true}'''
  - kubectl: get deploy web -o yaml
  - expect:
      object: deployment/web
      replicas: 2
      within: 1m
"#,
        &[],
    );
    assert!(t.contains("}}'\ndeployment.apps/web patched\n"), "{t}");
    assert!(
        t.contains("{\"replicas\":3}}'\ndeployment.apps/web patched\n[")
            && t.contains("{\"replicas\":3}}'\ndeployment.apps/web patched (no change)\n"),
        "{t}"
    );
    assert!(
        t.contains("\"value\":2}]'\ndeployment.apps/web patched\n"),
        "{t}"
    );
    assert!(
        t.contains("\"path\":\"/spec/nope\"}]'\nError from server"),
        "{t}"
    );
    assert!(
        t.contains("error: --type must be one of [json merge strategic], not \"xml\""),
        "{t}"
    );
    assert!(
        t.contains("unschedulable: true}'\nnode/worker-1 patched\n"),
        "{t}"
    );
    let y = output_of(&t, "get deploy web -o yaml");
    let sidecar = y.find("name: sidecar").expect("sidecar added");
    let nginx = y.find("name: nginx").expect("nginx kept");
    assert!(sidecar < nginx, "{y}");
}

#[test]
fn cordon_taint_and_drain() {
    let t = play(
        r"  - kubectl: create deployment web --image=nginx --replicas=2
  - expect:
      object: deployment/web
      availableReplicas: 2
      within: 1m
  - kubectl: cordon worker-1
  - kubectl: cordon worker-1
  - kubectl: get node worker-1
  - kubectl: drain worker-1
  - kubectl: drain worker-1 --ignore-daemonsets
  - expect:
      pods: app=web
      phase: Running
      count: 2
      within: 1m
  - kubectl: get pods -l app=web -o wide
  - kubectl: uncordon worker-1
  - kubectl: uncordon worker-1
  - kubectl: taint nodes worker-2 key1=value1:NoSchedule
  - kubectl: taint nodes worker-2 key1=value2:NoSchedule
  - kubectl: taint nodes worker-2 key1=value2:NoSchedule --overwrite
  - kubectl: taint node/worker-2 key1:NoSchedule-
  - kubectl: taint nodes worker-2 key1:NoSchedule-
  - kubectl: taint nodes worker-2 key1=v:Sometimes
  - kubectl: taint nodes worker-2 a:b:NoSchedule
  - kubectl: taint pods worker-2 key1=v:NoSchedule
",
        &[],
    );
    assert_eq!(output_of(&t, "cordon worker-1"), "node/worker-1 cordoned\n");
    assert!(t.contains("$ kubectl cordon worker-1\nnode/worker-1 already cordoned\n"));
    assert!(output_of(&t, "get node worker-1").contains("Ready,SchedulingDisabled"));
    let refused = output_of(&t, "drain worker-1");
    assert!(refused.starts_with("node/worker-1 already cordoned\nerror: unable to drain node \"worker-1\" due to error: cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): kube-system/kube-proxy-"), "{refused}");
    assert!(refused.contains("There are pending nodes to be drained:\n worker-1\nerror: cannot delete DaemonSet-managed Pods"), "{refused}");
    let drained = output_of(&t, "drain worker-1 --ignore-daemonsets");
    assert!(
        drained.contains("Warning: ignoring DaemonSet-managed Pods: kube-system/kube-proxy-"),
        "{drained}"
    );
    assert!(drained.contains("evicting pod default/web-"), "{drained}");
    assert!(drained.contains("\npod/web-"), "{drained}");
    assert!(
        drained.ends_with(" evicted\nnode/worker-1 drained\n"),
        "{drained}"
    );
    let pods = output_of(&t, "get pods -l app=web -o wide");
    assert!(!pods.contains("worker-1"), "{pods}");
    assert_eq!(
        output_of(&t, "uncordon worker-1"),
        "node/worker-1 uncordoned\n"
    );
    assert_eq!(
        output_of(&t, "taint nodes worker-2 key1=value1:NoSchedule"),
        "node/worker-2 tainted\n"
    );
    assert_eq!(
        output_of(&t, "taint nodes worker-2 key1=value2:NoSchedule"),
        "error: node worker-2 already has key1 taint(s) with same effect(s) and --overwrite is false\n"
    );
    assert_eq!(
        output_of(
            &t,
            "taint nodes worker-2 key1=value2:NoSchedule --overwrite"
        ),
        "node/worker-2 modified\n"
    );
    assert_eq!(
        output_of(&t, "taint node/worker-2 key1:NoSchedule-"),
        "node/worker-2 untainted\n"
    );
    assert_eq!(
        output_of(&t, "taint nodes worker-2 key1:NoSchedule-"),
        "error: taint \"key1:NoSchedule\" not found\n"
    );
    assert_eq!(
        output_of(&t, "taint nodes worker-2 key1=v:Sometimes"),
        "error: invalid taint effect: Sometimes, unsupported taint effect\n"
    );
    assert_eq!(
        output_of(&t, "taint nodes worker-2 a:b:NoSchedule"),
        "error: invalid taint spec: a:b:NoSchedule\n",
        "kubectl splits at every ':'"
    );
    assert_eq!(
        output_of(&t, "taint pods worker-2 key1=v:NoSchedule"),
        "error: taint is only applicable to nodes\n"
    );
}

#[test]
fn drain_refuses_local_storage_without_the_flag() {
    let t = play(
        r"  - kubectl: cordon worker-2
  - apply: web.yaml
  - expect:
      pods: app=cache
      phase: Running
      count: 1
      within: 1m
  - kubectl: uncordon worker-2
  - kubectl: drain worker-1 --ignore-daemonsets
  - kubectl: drain worker-1 --ignore-daemonsets --delete-emptydir-data
  - expect:
      pods: app=cache
      phase: Running
      count: 1
      within: 1m
  - kubectl: get pods -l app=cache -o wide
",
        &[(
            "web.yaml",
            r"apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: cache
spec:
  replicas: 1
  selector:
    matchLabels:
      app: cache
  template:
    metadata:
      labels:
        app: cache
    spec:
      containers:
        - name: c
          image: nginx
      volumes:
        - name: scratch
          emptyDir: {}
",
        )],
    );
    let refused = output_of(&t, "drain worker-1 --ignore-daemonsets");
    assert!(
        refused.contains("due to error: cannot delete Pods with local storage (use --delete-emptydir-data to override): default/cache-"),
        "{refused}"
    );
    let drained = output_of(
        &t,
        "drain worker-1 --ignore-daemonsets --delete-emptydir-data",
    );
    assert!(drained.starts_with("node/worker-1 already cordoned\nWarning: ignoring DaemonSet-managed Pods: kube-system/kube-proxy-"), "{drained}");
    assert!(!drained.contains("local storage"), "{drained}");
    assert!(
        drained.contains("\nevicting pod default/cache-"),
        "{drained}"
    );
    assert!(
        drained.ends_with(" evicted\nnode/worker-1 drained\n"),
        "{drained}"
    );
}

#[test]
fn scaling_past_the_workload_limit_is_refused_by_the_api_server() {
    let t = play(
        "  - kubectl: create deployment web --image=nginx\n  - kubectl: scale deployment web --replicas=1000000\n",
        &[],
    );
    let out = output_of(&t, "scale deployment web --replicas=1000000");
    assert!(
        out.starts_with("Error from server (Invalid): Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: 1000000: must be less than or equal to 150000"),
        "{out}"
    );
}
