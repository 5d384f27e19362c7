//! Integration tests of the API server model: naming, admission, defaulting,
//! validation, optimistic concurrency, merge patches, deletion, list
//! selectors, binding and the etcd history.
//!
//! Most tests drive [`ApiServer`] directly at chosen virtual instants; the
//! namespace tests that need the controllers drive a kubeadm [`Cluster`].
//! Expected values and messages are those of Kubernetes v1.33
//! (`/work/shared/k8s-semantics.md` §5, §9, §10 and the kubernetes sources
//! named next to each test).

use std::sync::Arc;

use serde_json::{json, Value};
use sim_core::api::fields::FieldSelector;
use sim_core::api::labels::Selector;
use sim_core::api::meta::NAME_SUFFIX_ALPHABET;
use sim_core::api::{ApiError, Kind, Object, ObjectKey, Reason};
use sim_core::apiserver::{
    AdmissionSettings, ApiResult, ApiServer, DeleteOptions, Propagation, Request, Response,
};
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::Cluster;
use sim_core::config::ClusterConfig;
use sim_core::rng::RngStreams;
use sim_core::trace::Trace;
use sim_core::{SimDuration, SimTime};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn at(secs: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs(secs)
}

/// An API server over an empty store with the `default` namespace.
fn api() -> ApiServer {
    let mut api = ApiServer::new(
        RngStreams::new(1).stream("kube-apiserver"),
        AdmissionSettings::default(),
        SimDuration::from_secs(3600),
    );
    create(&mut api, at(0), namespace("default"));
    create(&mut api, at(0), service_account("default", "default"));
    api
}

/// The namespace's `default` ServiceAccount, which pod admission requires
/// (the service-account controller creates it in a running cluster).
fn service_account(namespace: &str, name: &str) -> Object {
    decode(
        Kind::ServiceAccount,
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}}),
    )
}

fn decode(kind: Kind, v: Value) -> Object {
    kind.decode(&v)
        .unwrap_or_else(|e| panic!("test object does not decode: {e}"))
}

fn namespace(name: &str) -> Object {
    decode(
        Kind::Namespace,
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}),
    )
}

fn pod_json(name: &str, image: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": image}]}
    })
}

fn pod(name: &str) -> Object {
    decode(Kind::Pod, pod_json(name, "nginx"))
}

fn pod_from(v: Value) -> Object {
    decode(Kind::Pod, v)
}

fn configmap(name: &str, extra_meta: Value) -> Object {
    let mut v = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": {"k": "v"}
    });
    if let (Some(meta), Some(extra)) = (v["metadata"].as_object_mut(), extra_meta.as_object()) {
        meta.extend(extra.clone());
    }
    decode(Kind::ConfigMap, v)
}

fn deployment_json(name: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.14.2"}]}
            }
        }
    })
}

fn deployment(name: &str) -> Object {
    decode(Kind::Deployment, deployment_json(name))
}

fn handle(api: &mut ApiServer, now: SimTime, req: Request) -> ApiResult {
    api.handle(now, req).result
}

fn create(api: &mut ApiServer, now: SimTime, obj: Object) -> Arc<Object> {
    match handle(api, now, Request::Create(obj)) {
        Ok(Response::Object(o)) => o,
        other => panic!("create failed: {other:?}"),
    }
}

fn update(api: &mut ApiServer, now: SimTime, obj: Object) -> Arc<Object> {
    match handle(api, now, Request::Update(obj)) {
        Ok(Response::Object(o)) => o,
        other => panic!("update failed: {other:?}"),
    }
}

fn error(result: ApiResult) -> ApiError {
    match result {
        Err(e) => e,
        Ok(r) => panic!("expected an error, got {r:?}"),
    }
}

fn create_err(api: &mut ApiServer, obj: Object) -> ApiError {
    error(handle(api, at(0), Request::Create(obj)))
}

fn get(api: &ApiServer, kind: Kind, ns: &str, name: &str) -> Option<Arc<Object>> {
    api.etcd().get(kind, ns, name).cloned()
}

fn key(kind: Kind, ns: &str, name: &str) -> ObjectKey {
    ObjectKey::new(kind, ns, name)
}

fn delete(api: &mut ApiServer, now: SimTime, key: ObjectKey, options: DeleteOptions) -> ApiResult {
    handle(api, now, Request::Delete { key, options })
}

fn deleted(result: ApiResult) -> (Arc<Object>, bool) {
    match result {
        Ok(Response::Deleted { object, gone }) => (object, gone),
        other => panic!("expected a deletion, got {other:?}"),
    }
}

fn spec_of(o: &Object) -> &k8s_openapi::api::core::v1::PodSpec {
    o.as_pod()
        .and_then(|p| p.spec.as_ref())
        .expect("a pod with a spec")
}

fn to_json(o: &Object) -> Value {
    o.to_json()
}

fn list(api: &mut ApiServer, kind: Kind, labels: &str, fields: &str) -> ApiResult {
    handle(
        api,
        at(0),
        Request::List {
            kind,
            namespace: Some("default".into()),
            labels: Selector::parse(labels).expect("label selector"),
            fields: FieldSelector::parse(fields).expect("field selector"),
        },
    )
}

fn names(result: ApiResult) -> Vec<String> {
    match result {
        Ok(Response::List { items, .. }) => items.iter().map(|o| o.name().to_owned()).collect(),
        other => panic!("expected a list, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Create: names, identity, generation
// ---------------------------------------------------------------------------

#[test]
fn generate_name_appends_five_characters_of_the_kubernetes_alphabet() {
    let mut api = api();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let mut v = pod_json("", "nginx");
        v["metadata"] = json!({"generateName": "web-", "namespace": "default"});
        let o = create(&mut api, at(0), pod_from(v));
        let name = o.name();
        assert_eq!(name.len(), "web-".len() + 5, "{name}");
        assert!(name.starts_with("web-"), "{name}");
        assert!(
            name[4..].bytes().all(|b| NAME_SUFFIX_ALPHABET.contains(&b)),
            "{name}"
        );
        assert!(seen.insert(name.to_owned()), "duplicate name {name}");
    }
    assert_eq!(NAME_SUFFIX_ALPHABET, b"bcdfghjklmnpqrstvwxz2456789");
}

#[test]
fn generate_name_base_is_cut_at_58_characters() {
    let mut api = api();
    let base = "a".repeat(70);
    let mut v = pod_json("", "nginx");
    v["metadata"] = json!({"generateName": base, "namespace": "default"});
    let o = create(&mut api, at(0), pod_from(v));
    assert_eq!(o.name().len(), 63);
    assert_eq!(&o.name()[..58], &base[..58]);
    assert!(o.name()[58..]
        .bytes()
        .all(|b| NAME_SUFFIX_ALPHABET.contains(&b)));
}

#[test]
fn create_without_name_or_generate_name_is_422() {
    let mut api = api();
    let mut v = pod_json("", "nginx");
    v["metadata"] = json!({"namespace": "default"});
    let e = create_err(&mut api, pod_from(v));
    assert_eq!(e.reason, Reason::Invalid);
    assert_eq!(e.code(), 422);
    assert_eq!(
        e.message,
        "Pod \"\" is invalid: metadata.name: Required value: name or generateName is required"
    );
}

#[test]
fn create_of_an_existing_name_is_409_already_exists() {
    let mut api = api();
    create(&mut api, at(0), pod("x"));
    let rev = api.etcd().revision();
    let e = create_err(&mut api, pod("x"));
    assert_eq!(e.reason, Reason::AlreadyExists);
    assert_eq!(e.code(), 409);
    assert_eq!(e.message, "pods \"x\" already exists");
    assert_eq!(
        e.kubectl_line(),
        "Error from server (AlreadyExists): pods \"x\" already exists"
    );
    assert_eq!(
        api.etcd().revision(),
        rev,
        "a refused create writes nothing"
    );
    // Same name, other kind: no conflict (names are unique per resource).
    create(&mut api, at(0), configmap("x", json!({})));
}

#[test]
fn create_sets_uid_creation_timestamp_and_resource_version() {
    let mut api = api();
    let a = create(&mut api, at(0), pod("a"));
    assert_eq!(a.resource_version(), Some(api.etcd().revision()));
    assert_eq!(
        to_json(&a)["metadata"]["creationTimestamp"],
        "2025-04-23T00:00:00Z"
    );
    let b = create(&mut api, at(90), pod("b"));
    assert_eq!(b.resource_version(), Some(api.etcd().revision()));
    assert_eq!(a.resource_version().map(|r| r + 1), b.resource_version());
    assert_eq!(
        to_json(&b)["metadata"]["creationTimestamp"],
        "2025-04-23T00:01:30Z"
    );
    for o in [&a, &b] {
        let uid = o.uid();
        assert_eq!(uid.len(), 36, "{uid}");
        assert_eq!(uid.matches('-').count(), 4, "{uid}");
        assert_eq!(&uid[14..15], "4", "a version 4 uuid: {uid}");
    }
    assert_ne!(a.uid(), b.uid());
    // A client cannot choose the uid or the creation timestamp.
    let mut v = pod_json("c", "nginx");
    v["metadata"]["uid"] = json!("chosen-by-client");
    v["metadata"]["creationTimestamp"] = json!("2020-01-01T00:00:00Z");
    let c = create(&mut api, at(5), pod_from(v));
    assert_ne!(c.uid(), "chosen-by-client");
    assert_eq!(c.resource_version(), Some(api.etcd().revision()));
    assert_eq!(
        to_json(&c)["metadata"]["creationTimestamp"],
        "2025-04-23T00:00:05Z"
    );
}

/// k8s.io/apiserver/pkg/storage/etcd3/store.go Create: an object to be
/// created may not carry a resourceVersion.
#[test]

fn create_with_a_resource_version_is_refused() {
    let mut api = api();
    let mut v = pod_json("p", "nginx");
    v["metadata"]["resourceVersion"] = json!("999");
    let rev = api.etcd().revision();
    let e = create_err(&mut api, pod_from(v));
    assert_eq!(
        e.message,
        "resourceVersion should not be set on objects to be created"
    );
    assert_eq!(api.etcd().revision(), rev);
}

#[test]
fn deployment_generation_starts_at_one_and_moves_only_with_the_spec() {
    let mut api = api();
    let d = create(&mut api, at(0), deployment("web"));
    assert_eq!(d.meta().generation, Some(1));
    // A spec change bumps it.
    let mut v = to_json(&d);
    v["spec"]["replicas"] = json!(3);
    let d = update(&mut api, at(1), decode(Kind::Deployment, v));
    assert_eq!(d.meta().generation, Some(2));
    // A metadata-only change does not.
    let mut v = to_json(&d);
    v["metadata"]["labels"] = json!({"team": "a"});
    let d = update(&mut api, at(2), decode(Kind::Deployment, v));
    assert_eq!(d.meta().generation, Some(2));
    assert_eq!(d.labels().get("team").map(String::as_str), Some("a"));
    // Nor does a status update.
    let mut v = to_json(&d);
    v["status"] = json!({"replicas": 3, "observedGeneration": 2});
    let d = match handle(
        &mut api,
        at(3),
        Request::UpdateStatus(decode(Kind::Deployment, v)),
    ) {
        Ok(Response::Object(o)) => o,
        other => panic!("{other:?}"),
    };
    assert_eq!(d.meta().generation, Some(2));
    assert_eq!(to_json(&d)["status"]["replicas"], 3);
    // A main-resource update cannot change the status (status subresource).
    let mut v = to_json(&d);
    v["status"]["replicas"] = json!(99);
    v["spec"]["replicas"] = json!(4);
    let d = update(&mut api, at(4), decode(Kind::Deployment, v));
    assert_eq!(to_json(&d)["status"]["replicas"], 3);
    assert_eq!(d.meta().generation, Some(3));
    // Objects without a generation-tracking strategy carry none.
    let cm = create(&mut api, at(5), configmap("cm", json!({})));
    assert_eq!(cm.meta().generation, None);
}

// ---------------------------------------------------------------------------
// Namespaces
// ---------------------------------------------------------------------------

#[test]
fn bootstrap_creates_the_four_initial_namespaces() {
    let c = kubeadm_cluster(ClusterConfig::kubeadm(2), 1, Trace::new());
    let names: Vec<String> = c
        .etcd()
        .list(Kind::Namespace, None)
        .iter()
        .map(|o| o.name().to_owned())
        .collect();
    assert_eq!(
        names,
        ["default", "kube-node-lease", "kube-public", "kube-system"]
    );
    for ns in c.etcd().list(Kind::Namespace, None) {
        assert_eq!(
            ns.labels().get("kubernetes.io/metadata.name"),
            Some(&ns.name().to_owned())
        );
        let v = to_json(&ns);
        assert_eq!(v["status"]["phase"], "Active");
        assert_eq!(v["spec"]["finalizers"], json!(["kubernetes"]));
    }
}

#[test]
fn create_in_a_missing_namespace_is_404() {
    let mut api = api();
    let mut v = pod_json("p", "nginx");
    v["metadata"]["namespace"] = json!("nope");
    let e = create_err(&mut api, pod_from(v));
    assert_eq!(e.reason, Reason::NotFound);
    assert_eq!(e.code(), 404);
    assert_eq!(e.message, "namespaces \"nope\" not found");
}

#[test]
fn create_in_a_terminating_namespace_is_403() {
    let mut api = api();
    create(&mut api, at(0), namespace("doomed"));
    let (ns, gone) = deleted(delete(
        &mut api,
        at(1),
        key(Kind::Namespace, "", "doomed"),
        DeleteOptions::default(),
    ));
    assert!(!gone, "a namespace waits for its finalizer");
    let v = to_json(&ns);
    assert_eq!(v["status"]["phase"], "Terminating");
    assert_eq!(v["metadata"]["deletionTimestamp"], "2025-04-23T00:00:01Z");
    let mut v = pod_json("p", "nginx");
    v["metadata"]["namespace"] = json!("doomed");
    let e = create_err(&mut api, pod_from(v));
    assert_eq!(e.reason, Reason::Forbidden);
    assert_eq!(e.code(), 403);
    assert_eq!(
        e.message,
        "pods \"p\" is forbidden: unable to create new content in namespace doomed because it is being terminated"
    );
    let mut v = deployment_json("d");
    v["metadata"]["namespace"] = json!("doomed");
    let e = create_err(&mut api, decode(Kind::Deployment, v));
    assert_eq!(
        e.message,
        "deployments.apps \"d\" is forbidden: unable to create new content in namespace doomed because it is being terminated"
    );
}

#[test]
fn immortal_namespaces_cannot_be_deleted() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(1), 1, Trace::new());
    for name in ["default", "kube-system", "kube-public"] {
        let e = error(c.request(
            "kubectl",
            Request::Delete {
                key: key(Kind::Namespace, "", name),
                options: DeleteOptions::default(),
            },
        ));
        assert_eq!(e.reason, Reason::Forbidden);
        assert_eq!(e.code(), 403);
        assert_eq!(
            e.message,
            format!("namespaces \"{name}\" is forbidden: this namespace may not be deleted")
        );
        let ns = c
            .etcd()
            .get(Kind::Namespace, "", name)
            .expect("still there");
        assert!(ns.meta().deletion_timestamp.is_none());
    }
}

/// The namespace controller empties a terminating namespace (pods are deleted
/// gracefully, through the kubelet) and the namespace then disappears.
#[test]
fn deleting_a_namespace_with_content_drains_it_in_virtual_time() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(1), 3, Trace::new());
    c.run_until(at(20)).unwrap();
    c.request("kubectl", Request::Create(namespace("team")))
        .expect("namespace");
    // As on a real cluster, pods are refused until the service-account
    // controller has created the namespace's default account.
    c.run_until(at(21)).unwrap();
    let mut v = pod_json("web", "nginx");
    v["metadata"]["namespace"] = json!("team");
    c.request("kubectl", Request::Create(pod_from(v)))
        .expect("pod");
    let mut cm = configmap("settings", json!({}));
    cm.meta_mut().namespace = Some("team".into());
    c.request("kubectl", Request::Create(cm))
        .expect("configmap");
    c.run_until(at(40)).unwrap();
    let running = c.etcd().get(Kind::Pod, "team", "web").expect("pod");
    assert_eq!(to_json(running)["status"]["phase"], "Running");
    assert!(c
        .etcd()
        .get(Kind::ServiceAccount, "team", "default")
        .is_some());

    let (ns, gone) = deleted(c.request(
        "kubectl",
        Request::Delete {
            key: key(Kind::Namespace, "", "team"),
            options: DeleteOptions::default(),
        },
    ));
    assert!(!gone);
    assert_eq!(to_json(&ns)["status"]["phase"], "Terminating");
    let mut v = pod_json("late", "nginx");
    v["metadata"]["namespace"] = json!("team");
    let e = error(c.request("kubectl", Request::Create(pod_from(v))));
    assert_eq!(e.code(), 403);

    // Step through the drain: the pod must be seen terminating gracefully.
    let mut saw_graceful = false;
    let mut t = 40_000u64;
    while t < 100_000 && c.etcd().get(Kind::Namespace, "", "team").is_some() {
        t += 100;
        c.run_until(SimTime::ZERO + SimDuration::from_millis(t))
            .unwrap();
        if let Some(p) = c.etcd().get(Kind::Pod, "team", "web") {
            if p.meta().deletion_timestamp.is_some() {
                assert_eq!(p.meta().deletion_grace_period_seconds, Some(30));
                saw_graceful = true;
            }
        }
    }
    assert!(saw_graceful, "the pod was never seen terminating");
    assert!(
        c.etcd().get(Kind::Namespace, "", "team").is_none(),
        "namespace still present at {t} ms"
    );
    for kind in [Kind::Pod, Kind::ConfigMap, Kind::ServiceAccount] {
        assert!(
            c.etcd().list(kind, Some("team")).is_empty(),
            "{kind:?} left in team"
        );
    }
}

// ---------------------------------------------------------------------------
// Admission and defaulting
// ---------------------------------------------------------------------------

#[test]
fn pod_spec_defaults_match_kubernetes() {
    let mut api = api();
    let p = create(&mut api, at(0), pod("p"));
    let spec = spec_of(&p);
    assert_eq!(spec.restart_policy.as_deref(), Some("Always"));
    assert_eq!(spec.dns_policy.as_deref(), Some("ClusterFirst"));
    assert_eq!(spec.termination_grace_period_seconds, Some(30));
    assert_eq!(spec.scheduler_name.as_deref(), Some("default-scheduler"));
    assert_eq!(spec.enable_service_links, Some(true));
    assert_eq!(spec.service_account_name.as_deref(), Some("default"));
    assert_eq!(spec.priority, Some(0));
    assert_eq!(
        spec.preemption_policy.as_deref(),
        Some("PreemptLowerPriority")
    );
    let c = &spec.containers[0];
    assert_eq!(
        c.termination_message_path.as_deref(),
        Some("/dev/termination-log")
    );
    assert_eq!(c.termination_message_policy.as_deref(), Some("File"));
    let v = to_json(&p);
    assert_eq!(v["status"]["phase"], "Pending");
    assert_eq!(v["status"]["qosClass"], "BestEffort");
    // Values the user set are kept.
    let mut v = pod_json("q", "nginx");
    v["spec"]["restartPolicy"] = json!("Never");
    v["spec"]["terminationGracePeriodSeconds"] = json!(5);
    v["spec"]["serviceAccountName"] = json!("default");
    let q = create(&mut api, at(0), pod_from(v));
    assert_eq!(spec_of(&q).restart_policy.as_deref(), Some("Never"));
    assert_eq!(spec_of(&q).termination_grace_period_seconds, Some(5));
}

#[test]
fn image_pull_policy_defaults_follow_the_tag() {
    let mut api = api();
    let mut v = pod_json("p", "nginx");
    v["spec"]["containers"] = json!([
        {"name": "a", "image": "nginx"},
        {"name": "b", "image": "nginx:latest"},
        {"name": "c", "image": "nginx:1.14.2"},
        {"name": "d", "image": "nginx:1.14.2", "imagePullPolicy": "Never"}
    ]);
    let p = create(&mut api, at(0), pod_from(v));
    let policies: Vec<Option<&str>> = spec_of(&p)
        .containers
        .iter()
        .map(|c| c.image_pull_policy.as_deref())
        .collect();
    assert_eq!(
        policies,
        [
            Some("Always"),
            Some("Always"),
            Some("IfNotPresent"),
            Some("Never")
        ]
    );
}

#[test]
fn priority_is_resolved_from_the_priority_class() {
    let mut api = api();
    let mut v = pod_json("critical", "nginx");
    v["spec"]["priorityClassName"] = json!("system-node-critical");
    let p = create(&mut api, at(0), pod_from(v));
    assert_eq!(spec_of(&p).priority, Some(2_000_001_000));
    let mut v = pod_json("cluster-critical", "nginx");
    v["spec"]["priorityClassName"] = json!("system-cluster-critical");
    let p = create(&mut api, at(0), pod_from(v));
    assert_eq!(spec_of(&p).priority, Some(2_000_000_000));

    create(
        &mut api,
        at(0),
        decode(
            Kind::PriorityClass,
            json!({
                "apiVersion": "scheduling.k8s.io/v1",
                "kind": "PriorityClass",
                "metadata": {"name": "batch"},
                "value": 1000,
                "preemptionPolicy": "Never"
            }),
        ),
    );
    let mut v = pod_json("batch", "nginx");
    v["spec"]["priorityClassName"] = json!("batch");
    let p = create(&mut api, at(0), pod_from(v));
    assert_eq!(spec_of(&p).priority, Some(1000));
    assert_eq!(spec_of(&p).preemption_policy.as_deref(), Some("Never"));

    let mut v = pod_json("lost", "nginx");
    v["spec"]["priorityClassName"] = json!("nope");
    let e = create_err(&mut api, pod_from(v));
    assert_eq!(e.code(), 403);
    assert_eq!(
        e.message,
        "pods \"lost\" is forbidden: no PriorityClass with name nope was found"
    );

    // A globalDefault class applies to pods that name none.
    create(
        &mut api,
        at(0),
        decode(
            Kind::PriorityClass,
            json!({
                "apiVersion": "scheduling.k8s.io/v1",
                "kind": "PriorityClass",
                "metadata": {"name": "everyone"},
                "value": 7,
                "globalDefault": true
            }),
        ),
    );
    let p = create(&mut api, at(0), pod("plain"));
    assert_eq!(spec_of(&p).priority, Some(7));
    assert_eq!(spec_of(&p).priority_class_name.as_deref(), Some("everyone"));
}

/// plugin/pkg/admission/priority/admission.go: a pod may not carry a
/// priority other than the one its class resolves to.
#[test]

fn priority_set_by_the_client_must_match_the_class() {
    let mut api = api();
    let mut v = pod_json("vip", "nginx");
    v["spec"]["priority"] = json!(1_000_000_000);
    let e = create_err(&mut api, pod_from(v));
    assert_eq!(e.code(), 403);
    assert_eq!(
        e.message,
        "pods \"vip\" is forbidden: the integer value of priority (1000000000) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name"
    );
}

/// plugin/pkg/admission/serviceaccount/admission.go: the referenced service
/// account must exist.
#[test]

fn pod_with_a_missing_service_account_is_403() {
    let mut c = kubeadm_cluster(ClusterConfig::kubeadm(1), 1, Trace::new());
    c.run_until(at(5)).unwrap();
    let mut v = pod_json("p", "nginx");
    v["spec"]["serviceAccountName"] = json!("nosuch");
    let e = error(c.request("kubectl", Request::Create(pod_from(v))));
    assert_eq!(e.code(), 403);
    assert_eq!(
        e.message,
        "pods \"p\" is forbidden: error looking up service account default/nosuch: serviceaccount \"nosuch\" not found"
    );
}

#[test]
fn default_toleration_seconds_are_added_unless_already_tolerated() {
    let mut api = api();
    let p = create(&mut api, at(0), pod("plain"));
    assert_eq!(
        to_json(&p)["spec"]["tolerations"],
        json!([
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
        ])
    );
    // Tolerating not-ready already: only unreachable is added.
    let mut v = pod_json("own", "nginx");
    v["spec"]["tolerations"] = json!([
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60}
    ]);
    let p = create(&mut api, at(0), pod_from(v));
    assert_eq!(
        to_json(&p)["spec"]["tolerations"],
        json!([
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
        ])
    );
    // Tolerating everything: nothing is added.
    let mut v = pod_json("all", "nginx");
    v["spec"]["tolerations"] = json!([{"operator": "Exists"}]);
    let p = create(&mut api, at(0), pod_from(v));
    assert_eq!(
        to_json(&p)["spec"]["tolerations"],
        json!([{"operator": "Exists"}])
    );
    // A NoSchedule toleration of the same key does not count.
    let mut v = pod_json("noschedule", "nginx");
    v["spec"]["tolerations"] = json!([
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoSchedule"}
    ]);
    let p = create(&mut api, at(0), pod_from(v));
    assert_eq!(
        to_json(&p)["spec"]["tolerations"].as_array().map(Vec::len),
        Some(3)
    );
    // The admission settings are honoured.
    let mut custom = ApiServer::new(
        RngStreams::new(1).stream("kube-apiserver"),
        AdmissionSettings {
            default_not_ready_toleration_secs: 30,
            default_unreachable_toleration_secs: 45,
        },
        SimDuration::from_secs(3600),
    );
    create(&mut custom, at(0), namespace("default"));
    create(&mut custom, at(0), service_account("default", "default"));
    let p = create(&mut custom, at(0), pod("p"));
    let secs: Vec<Option<i64>> = spec_of(&p)
        .tolerations
        .iter()
        .flatten()
        .map(|t| t.toleration_seconds)
        .collect();
    assert_eq!(secs, [Some(30), Some(45)]);
}

#[test]
fn qos_class_is_computed_on_create() {
    let mut api = api();
    let mut cases = Vec::new();
    for (name, resources, expected) in [
        ("besteffort", json!({}), "BestEffort"),
        (
            "burstable",
            json!({"requests": {"cpu": "100m"}}),
            "Burstable",
        ),
        (
            "guaranteed",
            json!({"limits": {"cpu": "500m", "memory": "128Mi"}}),
            "Guaranteed",
        ),
        (
            "unequal",
            json!({"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}}),
            "Burstable",
        ),
    ] {
        let mut v = pod_json(name, "nginx");
        v["spec"]["containers"][0]["resources"] = resources;
        let p = create(&mut api, at(0), pod_from(v));
        cases.push((name, to_json(&p)["status"]["qosClass"].clone(), expected));
    }
    for (name, got, expected) in cases {
        assert_eq!(got, expected, "{name}");
    }
    // Requests default to limits.
    let p = get(&api, Kind::Pod, "default", "guaranteed").expect("pod");
    assert_eq!(
        to_json(&p)["spec"]["containers"][0]["resources"]["requests"],
        json!({"cpu": "500m", "memory": "128Mi"})
    );
}

#[test]
fn status_given_on_create_is_replaced_by_pending() {
    let mut api = api();
    let mut v = pod_json("p", "nginx");
    v["status"] = json!({"phase": "Running", "podIP": "10.0.0.1"});
    let p = create(&mut api, at(0), pod_from(v));
    assert_eq!(
        to_json(&p)["status"],
        json!({"phase": "Pending", "qosClass": "BestEffort"})
    );
}

#[test]
fn deployment_defaults_match_apps_v1() {
    let mut api = api();
    let d = create(&mut api, at(0), deployment("web"));
    let v = to_json(&d);
    assert_eq!(v["spec"]["replicas"], 1);
    assert_eq!(v["spec"]["revisionHistoryLimit"], 10);
    assert_eq!(v["spec"]["progressDeadlineSeconds"], 600);
    assert_eq!(
        v["spec"]["strategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    );
    let tspec = &v["spec"]["template"]["spec"];
    assert_eq!(tspec["restartPolicy"], "Always");
    assert_eq!(tspec["dnsPolicy"], "ClusterFirst");
    assert_eq!(tspec["terminationGracePeriodSeconds"], 30);
    assert_eq!(tspec["schedulerName"], "default-scheduler");
    assert_eq!(tspec["containers"][0]["imagePullPolicy"], "IfNotPresent");
    // Recreate gets no rollingUpdate block.
    let mut v = deployment_json("recreate");
    v["spec"]["strategy"] = json!({"type": "Recreate"});
    let d = create(&mut api, at(0), decode(Kind::Deployment, v));
    assert_eq!(to_json(&d)["spec"]["strategy"], json!({"type": "Recreate"}));
}

#[test]
fn namespace_defaults_add_the_metadata_name_label() {
    let mut api = api();
    let ns = create(&mut api, at(0), namespace("team-a"));
    let v = to_json(&ns);
    assert_eq!(
        v["metadata"]["labels"],
        json!({"kubernetes.io/metadata.name": "team-a"})
    );
    assert_eq!(v["status"]["phase"], "Active");
    assert_eq!(v["spec"]["finalizers"], json!(["kubernetes"]));
    assert!(ns.namespace().is_empty(), "cluster-scoped");
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

#[test]
fn uppercase_name_is_invalid() {
    let mut api = api();
    let e = create_err(&mut api, pod("Web"));
    assert_eq!(e.code(), 422);
    assert_eq!(
        e.message,
        "Pod \"Web\" is invalid: metadata.name: Invalid value: \"Web\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    );
    let e = create_err(&mut api, namespace("Team"));
    assert_eq!(
        e.message,
        "Namespace \"Team\" is invalid: metadata.name: Invalid value: \"Team\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    );
}

#[test]
fn missing_container_image_is_required() {
    let mut api = api();
    let mut v = pod_json("p", "nginx");
    v["spec"]["containers"] = json!([{"name": "c"}]);
    let e = create_err(&mut api, pod_from(v));
    assert_eq!(e.reason, Reason::Invalid);
    assert_eq!(
        e.message,
        "Pod \"p\" is invalid: spec.containers[0].image: Required value"
    );
}

#[test]
fn duplicate_container_names_are_invalid() {
    let mut api = api();
    let mut v = pod_json("p", "nginx");
    v["spec"]["containers"] = json!([
        {"name": "c", "image": "nginx"},
        {"name": "c", "image": "redis"}
    ]);
    let e = create_err(&mut api, pod_from(v));
    assert_eq!(
        e.message,
        "Pod \"p\" is invalid: spec.containers[1].name: Duplicate value: \"c\""
    );
}

#[test]
fn bad_quantities_are_invalid() {
    let mut api = api();
    let mut v = pod_json("neg", "nginx");
    v["spec"]["containers"][0]["resources"] = json!({"requests": {"cpu": "-1"}});
    let e = create_err(&mut api, pod_from(v));
    assert_eq!(
        e.message,
        "Pod \"neg\" is invalid: spec.containers[0].resources.requests[cpu]: Invalid value: \"-1\": must be greater than or equal to 0"
    );
    let mut v = pod_json("bad", "nginx");
    v["spec"]["containers"][0]["resources"] = json!({"limits": {"memory": "1KB"}});
    let e = create_err(&mut api, pod_from(v));
    assert_eq!(e.code(), 422);
    assert!(
        e.message.contains(
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        ),
        "{}",
        e.message
    );
    // Requests above limits.
    let mut v = pod_json("over", "nginx");
    v["spec"]["containers"][0]["resources"] =
        json!({"requests": {"cpu": "2"}, "limits": {"cpu": "1"}});
    let e = create_err(&mut api, pod_from(v));
    assert_eq!(
        e.message,
        "Pod \"over\" is invalid: spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1"
    );
    assert!(get(&api, Kind::Pod, "default", "over").is_none());
}

#[test]
fn several_problems_are_reported_together() {
    let mut api = api();
    let mut v = pod_json("p", "nginx");
    v["spec"]["containers"] = json!([{"name": "c"}, {"name": "c", "image": "x"}]);
    let e = create_err(&mut api, pod_from(v));
    assert_eq!(
        e.message,
        "Pod \"p\" is invalid: [spec.containers[0].image: Required value, spec.containers[1].name: Duplicate value: \"c\"]"
    );
}

#[test]
fn selector_must_match_the_template_labels() {
    let mut api = api();
    let mut v = deployment_json("web");
    v["spec"]["template"]["metadata"]["labels"] = json!({"app": "other"});
    let e = create_err(&mut api, decode(Kind::Deployment, v));
    assert_eq!(e.code(), 422);
    assert!(
        e.message.ends_with(
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`"
        ),
        "{}",
        e.message
    );
    assert!(get(&api, Kind::Deployment, "default", "web").is_none());
}

#[test]
fn pod_spec_is_immutable_except_for_images() {
    let mut api = api();
    let p = create(&mut api, at(0), pod("p"));
    // The image may change.
    let mut v = to_json(&p);
    v["spec"]["containers"][0]["image"] = json!("nginx:1.25");
    let p = update(&mut api, at(1), pod_from(v));
    assert_eq!(
        spec_of(&p).containers[0].image.as_deref(),
        Some("nginx:1.25")
    );
    // Anything else may not.
    let mut v = to_json(&p);
    v["spec"]["containers"][0]["ports"] = json!([{"containerPort": 80}]);
    let e = error(handle(&mut api, at(2), Request::Update(pod_from(v))));
    assert_eq!(e.code(), 422);
    assert!(
        e.message.starts_with(
            "Pod \"p\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
        ),
        "{}",
        e.message
    );
    // Labels are metadata: they may change.
    let mut v = to_json(&p);
    v["metadata"]["labels"] = json!({"tier": "web"});
    update(&mut api, at(3), pod_from(v));
}

#[test]
fn deployment_selector_is_immutable() {
    let mut api = api();
    let d = create(&mut api, at(0), deployment("web"));
    let mut v = to_json(&d);
    v["spec"]["selector"] = json!({"matchLabels": {"app": "web", "v": "2"}});
    v["spec"]["template"]["metadata"]["labels"] = json!({"app": "web", "v": "2"});
    let rev = api.etcd().revision();
    let e = error(handle(
        &mut api,
        at(1),
        Request::Update(decode(Kind::Deployment, v)),
    ));
    assert_eq!(e.reason, Reason::Invalid);
    assert!(
        e.message.contains("spec.selector: Invalid value: "),
        "{}",
        e.message
    );
    assert!(e.message.ends_with(": field is immutable"), "{}", e.message);
    assert_eq!(api.etcd().revision(), rev);
}

/// k8s.io/apimachinery/pkg/api/errors: NewInvalid names the group-qualified
/// kind (`qualifiedKind.String()`), e.g. `Deployment.apps "web" is invalid`.
#[test]

fn invalid_error_names_the_group_qualified_kind() {
    let mut api = api();
    let mut v = deployment_json("web");
    v["spec"]["template"]["spec"]["containers"] = json!([{"name": "c"}]);
    let e = create_err(&mut api, decode(Kind::Deployment, v));
    assert_eq!(
        e.message,
        "Deployment.apps \"web\" is invalid: spec.template.spec.containers[0].image: Required value"
    );
}

/// pkg/apis/apps/validation/validation.go ValidateRollingUpdateDeployment:
/// maxSurge and maxUnavailable must each be a non-negative int or a
/// percentage (ValidatePositiveIntOrPercent), not both 0, and
/// maxUnavailable at most 100%. The IntOrString prints through String().
#[test]
fn rolling_update_values_must_be_ints_or_percentages() {
    let mut api = api();
    let with = |ru: Value| {
        let mut v = deployment_json("web");
        v["spec"]["strategy"] = json!({"type": "RollingUpdate", "rollingUpdate": ru});
        decode(Kind::Deployment, v)
    };
    let percent = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";
    let path = "spec.strategy.rollingUpdate";
    let cases = [
        (json!({"maxSurge": "oops"}), format!("{path}.maxSurge: Invalid value: oops: {percent}")),
        (json!({"maxUnavailable": "5"}), format!("{path}.maxUnavailable: Invalid value: 5: {percent}")),
        (
            json!({"maxSurge": -1}),
            format!("{path}.maxSurge: Invalid value: -1: must be greater than or equal to 0"),
        ),
        (
            json!({"maxSurge": 0, "maxUnavailable": "0%"}),
            format!("{path}.maxUnavailable: Invalid value: 0%: may not be 0 when `maxSurge` is 0"),
        ),
        (
            json!({"maxUnavailable": "110%"}),
            format!("{path}.maxUnavailable: Invalid value: 110%: must not be greater than 100%"),
        ),
        (
            json!({"maxSurge": "oops", "maxUnavailable": 0}),
            format!("[{path}.maxSurge: Invalid value: oops: {percent}, {path}.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0]"),
        ),
    ];
    for (ru, cause) in cases {
        assert_eq!(
            create_err(&mut api, with(ru)).message,
            format!("Deployment.apps \"web\" is invalid: {cause}")
        );
    }
    let mut recreate = deployment_json("web");
    recreate["spec"]["strategy"] = json!({"type": "Recreate", "rollingUpdate": {"maxSurge": 1}});
    assert_eq!(
        create_err(&mut api, decode(Kind::Deployment, recreate)).message,
        "Deployment.apps \"web\" is invalid: spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
    );
    // An update is validated the same way.
    let stored = create(
        &mut api,
        at(0),
        with(json!({"maxSurge": 0, "maxUnavailable": "100%"})),
    );
    let mut v = to_json(&stored);
    v["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] = json!("half");
    let e = error(handle(
        &mut api,
        at(1),
        Request::Update(decode(Kind::Deployment, v)),
    ));
    assert_eq!(
        e.message,
        format!("Deployment.apps \"web\" is invalid: [{path}.maxUnavailable: Invalid value: half: {percent}, {path}.maxUnavailable: Invalid value: half: may not be 0 when `maxSurge` is 0]")
    );
}

/// pkg/apis/core/validation/validation.go validateNodeAffinity (v1.33):
/// required terms must have valid label values (ValidateNodeSelectorRequirement
/// with AllowInvalidLabelValueInRequiredNodeAffinity false on create), the
/// operator/values rules, a label-name key; preferred terms weigh 1-100 and
/// may keep invalid values; field requirements are In/NotIn on metadata.name
/// with one value.
#[test]
fn node_affinity_terms_are_validated() {
    let mut api = api();
    let with = |affinity: Value| {
        let mut v = pod_json("p", "nginx");
        v["spec"]["affinity"] = json!({ "nodeAffinity": affinity });
        pod_from(v)
    };
    let required = |exprs: Value| {
        with(json!({"requiredDuringSchedulingIgnoredDuringExecution":
            {"nodeSelectorTerms": [{"matchExpressions": exprs}]}}))
    };
    let path = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms";
    let label_value = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    let cases = [
        (
            required(json!([{"key": "disktype", "operator": "In", "values": ["ssd", "not valid"]}])),
            format!("{path}[0].matchExpressions[0].values[1]: Invalid value: \"not valid\": {label_value}"),
        ),
        (
            required(json!([{"key": "disktype", "operator": "In"}])),
            format!("{path}[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"),
        ),
        (
            required(json!([{"key": "disktype", "operator": "Exists", "values": ["ssd"]}])),
            format!("{path}[0].matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
        ),
        (
            required(json!([{"key": "cores", "operator": "Gt", "values": ["1", "2"]}])),
            format!("{path}[0].matchExpressions[0].values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'"),
        ),
        (
            required(json!([{"key": "disktype", "operator": "Equals", "values": ["ssd"]}])),
            format!("{path}[0].matchExpressions[0].operator: Invalid value: \"Equals\": not a valid selector operator"),
        ),
        (
            with(json!({"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}})),
            format!("{path}: Required value: must have at least one node selector term"),
        ),
        (
            with(json!({"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.uid", "operator": "In", "values": ["a", "b"]}]}]}})),
            format!("[{path}[0].matchFields[0].values: Required value: must be only one value when `operator` is 'In' or 'NotIn' for node field selector, {path}[0].matchFields[0].key: Invalid value: \"metadata.uid\": not a valid field selector key]"),
        ),
        (
            with(json!({"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 0, "preference": {"matchExpressions": [{"key": "disktype", "operator": "In", "values": ["ssd"]}]}}]})),
            "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100".to_owned(),
        ),
    ];
    for (pod, cause) in cases {
        assert_eq!(
            create_err(&mut api, pod).message,
            format!("Pod \"p\" is invalid: {cause}")
        );
    }
    // Preferred terms keep invalid values; valid required terms pass.
    create(
        &mut api,
        at(0),
        with(json!({
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["4"]}]},
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["worker-1"]}]}]},
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 5, "preference": {"matchExpressions": [{"key": "disktype", "operator": "In", "values": ["not valid"]}]}}]
        })),
    );
}

/// pkg/apis/core/validation/validation.go ValidateTolerations: v1.33 knows
/// only the operators `Equal` and `Exists` and the three taint effects; an
/// empty key needs `Exists`, `tolerationSeconds` needs `NoExecute`, and the
/// value is checked against the operator (reported at `.operator`).
#[test]
fn tolerations_are_validated_in_pods_and_templates() {
    let mut api = api();
    let with = |tolerations: Value| {
        let mut v = pod_json("p", "nginx");
        v["spec"]["tolerations"] = tolerations;
        pod_from(v)
    };
    let cases = [
        (
            json!([{"key": "cores", "operator": "Gt", "value": "4", "effect": "NoSchedule"}]),
            "spec.tolerations[0].operator: Unsupported value: \"Gt\": supported values: \"Equal\", \"Exists\"",
        ),
        (
            json!([{"operator": "Equal", "value": "x"}]),
            "spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
        ),
        (
            json!([{"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 5}]),
            "spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
        (
            json!([{"key": "k", "operator": "Exists", "value": "v"}]),
            "spec.tolerations[0].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'",
        ),
        (
            json!([{"key": "k", "value": "-v"}]),
            "spec.tolerations[0].operator: Invalid value: \"-v\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
        (
            json!([{"key": "k", "operator": "Exists", "effect": "NoEvict"}]),
            "spec.tolerations[0].effect: Unsupported value: \"NoEvict\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"",
        ),
        (
            json!([{"key": "a/b/c", "operator": "Exists"}]),
            "spec.tolerations[0].key: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
        ),
    ];
    for (tolerations, cause) in cases {
        assert_eq!(
            create_err(&mut api, with(tolerations)).message,
            format!("Pod \"p\" is invalid: {cause}")
        );
    }
    // Every workload template goes through the same pod-spec validation.
    let mut d = deployment_json("web");
    d["spec"]["template"]["spec"]["tolerations"] =
        json!([{"key": "cores", "operator": "Lt", "value": "4"}]);
    assert_eq!(
        create_err(&mut api, decode(Kind::Deployment, d)).message,
        "Deployment.apps \"web\" is invalid: spec.template.spec.tolerations[0].operator: Unsupported value: \"Lt\": supported values: \"Equal\", \"Exists\""
    );
    // Valid ones: match-everything, a key with Equal and a value, NoExecute with seconds.
    create(
        &mut api,
        at(0),
        with(json!([
            {"operator": "Exists"},
            {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}
        ])),
    );
}

/// pkg/apis/networking/validation/validation.go ValidateIngressSpec: an
/// Ingress with neither `defaultBackend` nor `rules` is refused, the rules
/// slice printed with Go's `%#v`.
#[test]
fn an_ingress_without_backend_or_rules_is_invalid() {
    let mut api = api();
    let ingress = |spec: Value| {
        decode(
            Kind::Ingress,
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                   "metadata": {"name": "web", "namespace": "default"}, "spec": spec}),
        )
    };
    assert_eq!(
        create_err(&mut api, ingress(json!({}))).message,
        "Ingress.networking.k8s.io \"web\" is invalid: spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"
    );
    assert_eq!(
        create_err(&mut api, ingress(json!({"rules": [], "ingressClassName": "nginx"}))).message,
        "Ingress.networking.k8s.io \"web\" is invalid: spec: Invalid value: []networking.IngressRule{}: either `defaultBackend` or `rules` must be specified"
    );
    let backend = json!({"service": {"name": "web", "port": {"number": 80}}});
    create(&mut api, at(0), ingress(json!({"defaultBackend": backend})));
}

// ---------------------------------------------------------------------------
// Optimistic concurrency
// ---------------------------------------------------------------------------

#[test]
fn update_with_a_stale_resource_version_is_409_conflict() {
    let mut api = api();
    let first = create(&mut api, at(0), configmap("cm", json!({})));
    let mut v = to_json(&first);
    v["data"]["k"] = json!("second");
    let second = update(&mut api, at(1), decode(Kind::ConfigMap, v));
    assert!(second.resource_version() > first.resource_version());
    // An update based on the first version.
    let mut v = to_json(&first);
    v["data"]["k"] = json!("lost update");
    let rev = api.etcd().revision();
    let e = error(handle(
        &mut api,
        at(2),
        Request::Update(decode(Kind::ConfigMap, v)),
    ));
    assert_eq!(e.reason, Reason::Conflict);
    assert_eq!(e.code(), 409);
    assert_eq!(
        e.message,
        "Operation cannot be fulfilled on configmaps \"cm\": the object has been modified; please apply your changes to the latest version and try again"
    );
    assert_eq!(api.etcd().revision(), rev);
    let stored = get(&api, Kind::ConfigMap, "default", "cm").expect("cm");
    assert_eq!(to_json(&stored)["data"]["k"], "second");

    let d = create(&mut api, at(0), deployment("web"));
    let mut v = to_json(&d);
    v["metadata"]["resourceVersion"] = json!("1");
    let e = error(handle(
        &mut api,
        at(3),
        Request::Update(decode(Kind::Deployment, v)),
    ));
    assert_eq!(
        e.message,
        "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please apply your changes to the latest version and try again"
    );
}

/// k8s.io/apiserver/pkg/registry/rest defaultUpdatedObjectInfo.Preconditions:
/// an update carrying a uid must find that uid stored; a copy of a deleted
/// object does not overwrite the one recreated under its name. The storage's
/// Preconditions.Check error becomes a Conflict (storage.InterpretUpdateError).
#[test]
fn update_carrying_another_uid_is_409_conflict() {
    let mut api = api();
    let old = create(&mut api, at(0), deployment("web"));
    deleted(delete(
        &mut api,
        at(1),
        key(Kind::Deployment, "default", "web"),
        DeleteOptions::default(),
    ));
    let new = create(&mut api, at(1), deployment("web"));
    let mut stale = (*old).clone();
    stale.meta_mut().resource_version = None;
    for req in [Request::Update(stale.clone()), Request::UpdateStatus(stale)] {
        let e = error(handle(&mut api, at(2), req));
        assert_eq!(e.reason, Reason::Conflict);
        assert_eq!(
            e.message,
            format!(
                "Operation cannot be fulfilled on deployments.apps \"web\": StorageError: invalid object, Code: 4, Key: /registry/deployments/default/web, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: {}, UID in object meta: {}",
                old.uid(),
                new.uid()
            )
        );
    }
    // Without a uid the update is not conditional on it.
    let mut fresh = (*new).clone();
    fresh.meta_mut().uid = None;
    fresh.meta_mut().resource_version = None;
    update(&mut api, at(3), fresh);
}

#[test]
fn update_without_a_resource_version_is_unconditional() {
    let mut api = api();
    create(&mut api, at(0), configmap("cm", json!({})));
    let mut cm = configmap("cm", json!({}));
    if let Object::ConfigMap(c) = &mut cm {
        c.data = Some([("k".to_owned(), "forced".to_owned())].into());
    }
    assert!(cm.resource_version().is_none());
    let stored = update(&mut api, at(1), cm);
    assert_eq!(to_json(&stored)["data"]["k"], "forced");
    assert_eq!(stored.resource_version(), Some(api.etcd().revision()));
    // Unknown objects cannot be updated.
    let e = error(handle(
        &mut api,
        at(1),
        Request::Update(configmap("ghost", json!({}))),
    ));
    assert_eq!(e.code(), 404);
    assert_eq!(e.message, "configmaps \"ghost\" not found");
}

#[test]
fn a_no_op_update_writes_nothing() {
    let mut api = api();
    let d = create(&mut api, at(0), deployment("web"));
    let rev = api.etcd().revision();
    let outcome = api.handle(at(5), Request::Update((*d).clone()));
    assert!(outcome.changes.is_empty(), "{:?}", outcome.changes);
    let same = match outcome.result {
        Ok(Response::Object(o)) => o,
        other => panic!("{other:?}"),
    };
    assert_eq!(api.etcd().revision(), rev);
    assert_eq!(same.resource_version(), d.resource_version());
    assert_eq!(same.meta().generation, Some(1));
    // Without the resourceVersion, and with the defaults left out: still a no-op.
    let outcome = api.handle(at(6), Request::Update(deployment("web")));
    assert!(outcome.result.is_ok());
    assert!(outcome.changes.is_empty());
    assert_eq!(api.etcd().revision(), rev);
}

// ---------------------------------------------------------------------------
// Merge patch
// ---------------------------------------------------------------------------

#[test]
fn merge_patch_merges_maps_replaces_lists_and_null_removes() {
    let mut api = api();
    create(
        &mut api,
        at(0),
        configmap(
            "cm",
            json!({"labels": {"a": "1", "b": "2"}, "finalizers": ["x/one", "x/two"]}),
        ),
    );
    let patch = |api: &mut ApiServer, patch: Value| {
        handle(
            api,
            at(1),
            Request::Patch {
                key: key(Kind::ConfigMap, "default", "cm"),
                patch,
            },
        )
    };
    let out = patch(
        &mut api,
        json!({"metadata": {"labels": {"a": null, "c": "3"}, "finalizers": ["x/three"]}, "data": {"k2": "v2"}}),
    )
    .expect("patch");
    let v = to_json(out.object().expect("object"));
    assert_eq!(v["metadata"]["labels"], json!({"b": "2", "c": "3"}));
    assert_eq!(v["metadata"]["finalizers"], json!(["x/three"]));
    assert_eq!(v["data"], json!({"k": "v", "k2": "v2"}));
    // null on a whole map removes it.
    let out = patch(&mut api, json!({"metadata": {"labels": null}})).expect("patch");
    assert!(out.object().expect("object").meta().labels.is_none());
    // A patch carrying a stale resourceVersion is a precondition: 409.
    let e = error(patch(
        &mut api,
        json!({"metadata": {"resourceVersion": "1"}, "data": {"k": "late"}}),
    ));
    assert_eq!(e.reason, Reason::Conflict);
    // A patch that changes nothing writes nothing.
    let rev = api.etcd().revision();
    patch(&mut api, json!({"data": {"k": "v"}})).expect("patch");
    assert_eq!(api.etcd().revision(), rev);
    // Patching a missing object is 404.
    let e = error(handle(
        &mut api,
        at(1),
        Request::Patch {
            key: key(Kind::ConfigMap, "default", "ghost"),
            patch: json!({"data": {"k": "v"}}),
        },
    ));
    assert_eq!(e.message, "configmaps \"ghost\" not found");
}

#[test]
fn merge_patch_of_a_deployment_is_validated_and_bumps_generation() {
    let mut api = api();
    create(&mut api, at(0), deployment("web"));
    let k = key(Kind::Deployment, "default", "web");
    let out = handle(
        &mut api,
        at(1),
        Request::Patch {
            key: k.clone(),
            patch: json!({"spec": {"replicas": 5}}),
        },
    )
    .expect("scale");
    let d = out.object().expect("object");
    assert_eq!(to_json(d)["spec"]["replicas"], 5);
    assert_eq!(d.meta().generation, Some(2));
    let e = error(handle(
        &mut api,
        at(2),
        Request::Patch {
            key: k,
            patch: json!({"spec": {"replicas": -1}}),
        },
    ));
    assert_eq!(e.code(), 422);
    assert!(
        e.message.contains("spec.replicas: Invalid value: "),
        "{}",
        e.message
    );
    assert!(
        e.message.ends_with(": must be greater than or equal to 0"),
        "{}",
        e.message
    );
    let stored = get(&api, Kind::Deployment, "default", "web").expect("web");
    assert_eq!(to_json(&stored)["spec"]["replicas"], 5);
}

/// pkg/apis/apps/validation: ValidateNonnegativeField(int64(spec.Replicas))
/// reports an integer, which field.Error prints without quotes.
#[test]
fn negative_replicas_message_prints_the_integer() {
    let mut api = api();
    let mut v = deployment_json("web");
    v["spec"]["replicas"] = json!(-1);
    let e = create_err(&mut api, decode(Kind::Deployment, v));
    assert!(
        e.message
            .ends_with("\"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
        "{}",
        e.message
    );
}

// ---------------------------------------------------------------------------
// Deletion
// ---------------------------------------------------------------------------

fn bound_pod(name: &str) -> Object {
    let mut v = pod_json(name, "nginx");
    v["spec"]["nodeName"] = json!("worker-1");
    pod_from(v)
}

#[test]
fn a_bound_pod_is_deleted_gracefully() {
    let mut api = api();
    create(&mut api, at(0), bound_pod("p"));
    let (p, gone) = deleted(delete(
        &mut api,
        at(10),
        key(Kind::Pod, "default", "p"),
        DeleteOptions::default(),
    ));
    assert!(!gone);
    let v = to_json(&p);
    assert_eq!(v["metadata"]["deletionTimestamp"], "2025-04-23T00:00:40Z");
    assert_eq!(v["metadata"]["deletionGracePeriodSeconds"], 30);
    let stored = get(&api, Kind::Pod, "default", "p").expect("still stored");
    assert!(stored.meta().deletion_timestamp.is_some());
    // A repeated delete changes nothing.
    let rev = api.etcd().revision();
    let (_, gone) = deleted(delete(
        &mut api,
        at(11),
        key(Kind::Pod, "default", "p"),
        DeleteOptions::default(),
    ));
    assert!(!gone);
    assert_eq!(api.etcd().revision(), rev);
    // Grace period 0 (the kubelet's final delete, or --force) removes it.
    let (_, gone) = deleted(delete(
        &mut api,
        at(12),
        key(Kind::Pod, "default", "p"),
        DeleteOptions {
            grace_period_secs: Some(0),
            ..Default::default()
        },
    ));
    assert!(gone);
    assert!(get(&api, Kind::Pod, "default", "p").is_none());
    let e = error(delete(
        &mut api,
        at(13),
        key(Kind::Pod, "default", "p"),
        DeleteOptions::default(),
    ));
    assert_eq!(e.message, "pods \"p\" not found");
}

#[test]
fn the_pod_grace_period_comes_from_the_request_or_the_spec() {
    let mut api = api();
    let mut v = pod_json("p", "nginx");
    v["spec"]["nodeName"] = json!("worker-1");
    v["spec"]["terminationGracePeriodSeconds"] = json!(5);
    create(&mut api, at(0), pod_from(v));
    let (p, _) = deleted(delete(
        &mut api,
        at(0),
        key(Kind::Pod, "default", "p"),
        DeleteOptions::default(),
    ));
    assert_eq!(p.meta().deletion_grace_period_seconds, Some(5));
    create(&mut api, at(0), bound_pod("q"));
    let (q, _) = deleted(delete(
        &mut api,
        at(0),
        key(Kind::Pod, "default", "q"),
        DeleteOptions {
            grace_period_secs: Some(12),
            ..Default::default()
        },
    ));
    assert_eq!(q.meta().deletion_grace_period_seconds, Some(12));
    assert_eq!(
        to_json(&q)["metadata"]["deletionTimestamp"],
        "2025-04-23T00:00:12Z"
    );
}

/// k8s.io/apiserver/pkg/registry/rest/delete.go BeforeDelete: a shorter grace
/// period moves the deletionTimestamp back by the old period and forward by
/// the new one, so it counts from the first delete, not from now.
#[test]

fn shortening_the_grace_period_counts_from_the_first_delete() {
    let mut api = api();
    create(&mut api, at(0), bound_pod("p"));
    deleted(delete(
        &mut api,
        at(0),
        key(Kind::Pod, "default", "p"),
        DeleteOptions::default(),
    ));
    let (p, gone) = deleted(delete(
        &mut api,
        at(10),
        key(Kind::Pod, "default", "p"),
        DeleteOptions {
            grace_period_secs: Some(20),
            ..Default::default()
        },
    ));
    assert!(!gone);
    assert_eq!(p.meta().deletion_grace_period_seconds, Some(20));
    assert_eq!(
        to_json(&p)["metadata"]["deletionTimestamp"],
        "2025-04-23T00:00:20Z"
    );
}

#[test]
fn an_unscheduled_pod_is_deleted_at_once() {
    let mut api = api();
    create(&mut api, at(0), pod("p"));
    let (_, gone) = deleted(delete(
        &mut api,
        at(1),
        key(Kind::Pod, "default", "p"),
        DeleteOptions::default(),
    ));
    assert!(gone);
    assert!(get(&api, Kind::Pod, "default", "p").is_none());
}

#[test]
fn a_finalizer_keeps_an_object_until_it_is_removed() {
    let mut api = api();
    create(
        &mut api,
        at(0),
        configmap("held", json!({"finalizers": ["example.com/hold"]})),
    );
    let (cm, gone) = deleted(delete(
        &mut api,
        at(3),
        key(Kind::ConfigMap, "default", "held"),
        DeleteOptions::default(),
    ));
    assert!(!gone);
    let v = to_json(&cm);
    assert_eq!(v["metadata"]["deletionTimestamp"], "2025-04-23T00:00:03Z");
    assert_eq!(v["metadata"]["deletionGracePeriodSeconds"], 0);
    let stored = get(&api, Kind::ConfigMap, "default", "held").expect("held");
    // Other changes are still accepted while it waits.
    let mut v = to_json(&stored);
    v["data"]["k"] = json!("changed");
    let stored = update(&mut api, at(4), decode(Kind::ConfigMap, v));
    assert!(stored.meta().deletion_timestamp.is_some());
    // Removing the last finalizer deletes it.
    let out = handle(
        &mut api,
        at(5),
        Request::Patch {
            key: key(Kind::ConfigMap, "default", "held"),
            patch: json!({"metadata": {"finalizers": null}}),
        },
    );
    assert!(out.is_ok(), "{out:?}");
    assert!(get(&api, Kind::ConfigMap, "default", "held").is_none());
}

#[test]
fn foreground_and_orphan_propagation_add_their_finalizers() {
    let mut api = api();
    for (name, propagation, finalizer) in [
        ("fg", Propagation::Foreground, "foregroundDeletion"),
        ("orphan", Propagation::Orphan, "orphan"),
    ] {
        create(&mut api, at(0), deployment(name));
        let (d, gone) = deleted(delete(
            &mut api,
            at(2),
            key(Kind::Deployment, "default", name),
            DeleteOptions {
                propagation: Some(propagation),
                ..Default::default()
            },
        ));
        assert!(!gone, "{name}");
        assert_eq!(
            d.meta().finalizers.as_deref(),
            Some(&[finalizer.to_owned()][..])
        );
        assert!(d.meta().deletion_timestamp.is_some());
        assert!(get(&api, Kind::Deployment, "default", name).is_some());
    }
    // Background (and the default) deletes at once.
    create(&mut api, at(0), deployment("bg"));
    let (_, gone) = deleted(delete(
        &mut api,
        at(2),
        key(Kind::Deployment, "default", "bg"),
        DeleteOptions {
            propagation: Some(Propagation::Background),
            ..Default::default()
        },
    ));
    assert!(gone);
}

#[test]
fn a_uid_precondition_protects_a_recreated_object() {
    let mut api = api();
    let old = create(&mut api, at(0), configmap("cm", json!({})));
    let old_uid = old.uid().to_owned();
    deleted(delete(
        &mut api,
        at(1),
        key(Kind::ConfigMap, "default", "cm"),
        DeleteOptions::default(),
    ));
    let new = create(&mut api, at(2), configmap("cm", json!({})));
    let e = error(delete(
        &mut api,
        at(3),
        key(Kind::ConfigMap, "default", "cm"),
        DeleteOptions {
            precondition_uid: Some(old_uid.clone()),
            ..Default::default()
        },
    ));
    assert_eq!(e.reason, Reason::Conflict);
    assert_eq!(
        e.message,
        format!(
            "Precondition failed: UID in precondition: {old_uid}, UID in object meta: {}",
            new.uid()
        )
    );
    assert!(get(&api, Kind::ConfigMap, "default", "cm").is_some());
}

// ---------------------------------------------------------------------------
// List
// ---------------------------------------------------------------------------

fn labelled_pods(api: &mut ApiServer) {
    for (name, labels, node) in [
        (
            "a",
            json!({"app": "web", "tier": "front"}),
            Some("worker-1"),
        ),
        ("b", json!({"app": "web", "tier": "back"}), Some("worker-2")),
        ("c", json!({"app": "db"}), None),
        ("d", json!({}), Some("worker-1")),
    ] {
        let mut v = pod_json(name, "nginx");
        v["metadata"]["labels"] = labels;
        if let Some(n) = node {
            v["spec"]["nodeName"] = json!(n);
        }
        create(api, at(0), pod_from(v));
    }
}

#[test]
fn list_filters_by_label_selector() {
    let mut api = api();
    labelled_pods(&mut api);
    assert_eq!(
        names(list(&mut api, Kind::Pod, "", "")),
        ["a", "b", "c", "d"]
    );
    assert_eq!(names(list(&mut api, Kind::Pod, "app=web", "")), ["a", "b"]);
    assert_eq!(names(list(&mut api, Kind::Pod, "app!=web", "")), ["c", "d"]);
    assert_eq!(
        names(list(&mut api, Kind::Pod, "app in (web,db),tier!=back", "")),
        ["a", "c"]
    );
    assert_eq!(names(list(&mut api, Kind::Pod, "tier", "")), ["a", "b"]);
    assert_eq!(names(list(&mut api, Kind::Pod, "!app", "")), ["d"]);
    assert!(names(list(&mut api, Kind::Pod, "app=none", "")).is_empty());
    // Another namespace sees nothing; all namespaces see everything.
    let other = handle(
        &mut api,
        at(0),
        Request::List {
            kind: Kind::Pod,
            namespace: Some("kube-system".into()),
            labels: Selector::everything(),
            fields: FieldSelector::everything(),
        },
    );
    assert!(names(other).is_empty());
    let rev = api.etcd().revision();
    match handle(
        &mut api,
        at(0),
        Request::List {
            kind: Kind::Pod,
            namespace: None,
            labels: Selector::everything(),
            fields: FieldSelector::everything(),
        },
    ) {
        Ok(Response::List { items, revision }) => {
            assert_eq!(items.len(), 4);
            assert_eq!(
                revision, rev,
                "a list's resourceVersion is the store revision"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn list_filters_by_field_selector() {
    let mut api = api();
    labelled_pods(&mut api);
    assert_eq!(
        names(list(&mut api, Kind::Pod, "", "spec.nodeName=worker-1")),
        ["a", "d"]
    );
    assert_eq!(
        names(list(&mut api, Kind::Pod, "", "spec.nodeName=")),
        ["c"]
    );
    assert_eq!(
        names(list(&mut api, Kind::Pod, "", "status.phase=Pending")),
        ["a", "b", "c", "d"]
    );
    assert!(names(list(&mut api, Kind::Pod, "", "status.phase=Running")).is_empty());
    assert_eq!(
        names(list(&mut api, Kind::Pod, "", "metadata.name=b")),
        ["b"]
    );
    assert_eq!(
        names(list(
            &mut api,
            Kind::Pod,
            "app=web",
            "metadata.name!=a,spec.nodeName!=worker-1"
        )),
        ["b"]
    );
    assert_eq!(
        names(list(&mut api, Kind::Pod, "", "metadata.namespace=default")).len(),
        4
    );
}

#[test]
fn an_unsupported_field_label_is_400() {
    let mut api = api();
    labelled_pods(&mut api);
    let e = error(list(&mut api, Kind::Pod, "", "spec.image=nginx"));
    assert_eq!(e.reason, Reason::BadRequest);
    assert_eq!(e.code(), 400);
    assert_eq!(e.message, "field label not supported: spec.image");
    let e = error(list(&mut api, Kind::ConfigMap, "", "data.k=v"));
    assert_eq!(e.message, "field label not supported: data.k");
}

// ---------------------------------------------------------------------------
// Binding
// ---------------------------------------------------------------------------

fn bind(api: &mut ApiServer, now: SimTime, name: &str, node: &str) -> ApiResult {
    handle(
        api,
        now,
        Request::Bind {
            namespace: "default".into(),
            name: name.into(),
            node: node.into(),
        },
    )
}

#[test]
fn bind_sets_the_node_and_pod_scheduled() {
    let mut api = api();
    create(&mut api, at(0), pod("p"));
    let out = bind(&mut api, at(7), "p", "worker-2").expect("bind");
    let p = out.object().expect("object");
    assert_eq!(spec_of(p).node_name.as_deref(), Some("worker-2"));
    let v = to_json(p);
    let conditions = v["status"]["conditions"].as_array().expect("conditions");
    assert_eq!(conditions.len(), 1);
    assert_eq!(conditions[0]["type"], "PodScheduled");
    assert_eq!(conditions[0]["status"], "True");
    assert_eq!(conditions[0]["lastTransitionTime"], "2025-04-23T00:00:07Z");
    assert_eq!(v["status"]["phase"], "Pending");
    assert_eq!(p.resource_version(), Some(api.etcd().revision()));
}

#[test]
fn binding_an_assigned_pod_is_409() {
    let mut api = api();
    create(&mut api, at(0), pod("p"));
    bind(&mut api, at(1), "p", "worker-1").expect("bind");
    let rev = api.etcd().revision();
    let e = error(bind(&mut api, at(2), "p", "worker-2"));
    assert_eq!(e.reason, Reason::Conflict);
    assert_eq!(e.code(), 409);
    assert_eq!(
        e.message,
        "Operation cannot be fulfilled on pods/binding \"p\": pod p is already assigned to node \"worker-1\""
    );
    assert_eq!(api.etcd().revision(), rev);
    let e = error(bind(&mut api, at(2), "ghost", "worker-2"));
    assert_eq!(e.message, "pods \"ghost\" not found");
}

#[test]
fn binding_a_terminating_pod_is_409() {
    let mut api = api();
    let mut v = pod_json("p", "nginx");
    v["metadata"]["finalizers"] = json!(["example.com/hold"]);
    create(&mut api, at(0), pod_from(v));
    deleted(delete(
        &mut api,
        at(1),
        key(Kind::Pod, "default", "p"),
        DeleteOptions::default(),
    ));
    let e = error(bind(&mut api, at(2), "p", "worker-1"));
    assert_eq!(
        e.message,
        "Operation cannot be fulfilled on pods/binding \"p\": pod p is being deleted, cannot be assigned to a host"
    );
}

// ---------------------------------------------------------------------------
// etcd history
// ---------------------------------------------------------------------------

#[test]
fn list_at_an_older_revision_sees_the_old_state() {
    let mut api = api();
    let a = create(&mut api, at(0), configmap("a", json!({})));
    let r1 = a.resource_version().expect("rv");
    create(&mut api, at(0), configmap("b", json!({})));
    let mut v = to_json(&a);
    v["data"]["k"] = json!("changed");
    update(&mut api, at(1), decode(Kind::ConfigMap, v));
    deleted(delete(
        &mut api,
        at(2),
        key(Kind::ConfigMap, "default", "b"),
        DeleteOptions::default(),
    ));
    let old = api
        .etcd()
        .list_at(Kind::ConfigMap, Some("default"), r1)
        .expect("history");
    assert_eq!(old.len(), 1);
    assert_eq!(to_json(&old[0])["data"]["k"], "v");
    let mid = api
        .etcd()
        .list_at(Kind::ConfigMap, Some("default"), r1 + 1)
        .expect("history");
    assert_eq!(mid.iter().map(|o| o.name()).collect::<Vec<_>>(), ["a", "b"]);
    let now = api
        .etcd()
        .list_at(Kind::ConfigMap, None, api.etcd().revision())
        .expect("now");
    assert_eq!(now.len(), 1);
    assert_eq!(to_json(&now[0])["data"]["k"], "changed");
    // The changes since r1, in revision order.
    let changes = api
        .etcd()
        .changes_since(Kind::ConfigMap, r1)
        .expect("changes");
    let kinds: Vec<&str> = changes.iter().map(|c| c.change.as_str()).collect();
    assert_eq!(kinds, ["ADDED", "MODIFIED", "DELETED"]);
    assert!(changes.windows(2).all(|w| w[0].revision < w[1].revision));
}

#[test]
fn watch_from_a_compacted_revision_is_410_gone() {
    let mut api = api();
    for i in 0..5 {
        create(&mut api, at(0), configmap(&format!("c{i}"), json!({})));
    }
    let head = api.etcd().revision();
    api.compact(head - 2);
    assert_eq!(api.etcd().compacted_revision(), head - 2);
    let e = api
        .etcd()
        .changes_since(Kind::ConfigMap, head - 3)
        .expect_err("compacted");
    assert_eq!(e.reason, Reason::Expired);
    assert_eq!(e.code(), 410);
    assert_eq!(
        e.message,
        format!("too old resource version: {} ({})", head - 3, head - 2)
    );
    assert_eq!(
        api.etcd()
            .changes_since(Kind::ConfigMap, head - 2)
            .expect("kept")
            .len(),
        2
    );
    let e = api
        .etcd()
        .list_at(Kind::ConfigMap, None, head - 4)
        .expect_err("compacted");
    assert_eq!(e.code(), 410);
}

/// The cluster compacts etcd every 5 minutes to the revision seen one interval
/// earlier (k8s.io/apiserver/pkg/storage/etcd3/compact.go).
#[test]
fn the_cluster_compacts_history_every_five_minutes() {
    let mut c: Cluster = kubeadm_cluster(ClusterConfig::kubeadm(1), 1, Trace::new());
    c.run_until(at(299)).unwrap();
    assert_eq!(c.etcd().compacted_revision(), 0);
    let before_300 = c.etcd().revision();
    c.run_until(at(300)).unwrap();
    let after_300 = c.etcd().revision();
    // The first compaction is to revision 0 (nothing observed an interval before).
    assert_eq!(c.etcd().compacted_revision(), 0);
    c.run_until(at(599)).unwrap();
    assert_eq!(c.etcd().compacted_revision(), 0);
    c.run_until(at(600)).unwrap();
    let compacted = c.etcd().compacted_revision();
    assert!(
        (before_300..=after_300).contains(&compacted),
        "compacted to {compacted}, expected the revision seen at 300 s ({before_300}..={after_300})"
    );
    let e = c
        .etcd()
        .changes_since(Kind::Lease, 1)
        .expect_err("compacted");
    assert_eq!(e.code(), 410);
}
