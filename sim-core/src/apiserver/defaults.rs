//! Defaulting: the fields the API server fills in on write
//! (pkg/apis/core/v1/defaults.go, pkg/apis/apps/v1/defaults.go).

use k8s_openapi::api::apps::v1::{
    DaemonSetSpec, DaemonSetUpdateStrategy, DeploymentSpec, DeploymentStrategy,
    RollingUpdateDaemonSet, RollingUpdateDeployment,
};
use k8s_openapi::api::core::v1::{
    Container, Namespace, PodSpec, PodTemplateSpec, Probe, Secret, ServiceSpec,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::Object;

/// Fills in the defaults of any object.
pub fn apply(obj: &mut Object) {
    match obj {
        Object::Pod(p) => {
            if let Some(spec) = p.spec.as_mut() {
                pod_spec(spec);
            }
        }
        Object::Namespace(ns) => namespace(ns),
        Object::Deployment(d) => {
            if let Some(spec) = d.spec.as_mut() {
                deployment_spec(spec);
            }
        }
        Object::ReplicaSet(r) => {
            if let Some(spec) = r.spec.as_mut() {
                spec.replicas.get_or_insert(1);
                if let Some(t) = spec.template.as_mut() {
                    template(t);
                }
            }
        }
        Object::DaemonSet(d) => {
            if let Some(spec) = d.spec.as_mut() {
                daemon_set_spec(spec);
            }
        }
        Object::StatefulSet(s) => {
            if let Some(spec) = s.spec.as_mut() {
                spec.replicas.get_or_insert(1);
                spec.pod_management_policy
                    .get_or_insert_with(|| "OrderedReady".into());
                spec.revision_history_limit.get_or_insert(10);
                template(&mut spec.template);
            }
        }
        Object::Job(j) => job(j),
        Object::Service(s) => {
            if let Some(spec) = s.spec.as_mut() {
                service_spec(spec);
            }
        }
        Object::Secret(s) => secret(s),
        Object::PersistentVolume(pv) => {
            if let Some(spec) = pv.spec.as_mut() {
                spec.persistent_volume_reclaim_policy
                    .get_or_insert_with(|| "Retain".into());
                spec.volume_mode.get_or_insert_with(|| "Filesystem".into());
            }
            pv.status
                .get_or_insert_with(Default::default)
                .phase
                .get_or_insert_with(|| "Pending".into());
        }
        Object::PersistentVolumeClaim(pvc) => {
            if let Some(spec) = pvc.spec.as_mut() {
                spec.volume_mode.get_or_insert_with(|| "Filesystem".into());
            }
            pvc.status
                .get_or_insert_with(Default::default)
                .phase
                .get_or_insert_with(|| "Pending".into());
        }
        Object::StorageClass(sc) => {
            sc.reclaim_policy.get_or_insert_with(|| "Delete".into());
            sc.volume_binding_mode
                .get_or_insert_with(|| "Immediate".into());
        }
        _ => {}
    }
}

/// `SetDefaults_Job` (pkg/apis/batch/v1/defaults.go, v1.33 feature gates):
/// completions and parallelism 1 when both are unset (parallelism alone
/// otherwise), backoffLimit 6, the Job's labels from its template when it has
/// none, completionMode NonIndexed, suspend false, podReplacementPolicy
/// TerminatingOrFailed (Failed with a podFailurePolicy), manualSelector false.
fn job(j: &mut k8s_openapi::api::batch::v1::Job) {
    let Some(spec) = j.spec.as_mut() else { return };
    if spec.completions.is_none() && spec.parallelism.is_none() {
        spec.completions = Some(1);
    }
    spec.parallelism.get_or_insert(1);
    spec.backoff_limit.get_or_insert(6);
    let labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone());
    if labels.is_some() && j.metadata.labels.as_ref().is_none_or(|l| l.is_empty()) {
        j.metadata.labels = labels;
    }
    spec.completion_mode
        .get_or_insert_with(|| "NonIndexed".into());
    spec.suspend.get_or_insert(false);
    let policy = if spec.pod_failure_policy.is_some() {
        "Failed"
    } else {
        "TerminatingOrFailed"
    };
    spec.pod_replacement_policy
        .get_or_insert_with(|| policy.into());
    spec.manual_selector.get_or_insert(false);
    template(&mut spec.template);
}

/// The Job name and controller-uid labels (`batch.kubernetes.io/` and legacy).
pub const JOB_NAME_LABELS: [&str; 2] = ["job-name", "batch.kubernetes.io/job-name"];
/// See [`JOB_NAME_LABELS`].
pub const CONTROLLER_UID_LABELS: [&str; 2] =
    ["controller-uid", "batch.kubernetes.io/controller-uid"];

/// `PrepareForCreate` of a Job (pkg/registry/batch/job/strategy.go), once it
/// has its uid: the status is cleared and, unless `manualSelector`,
/// `generateSelector` runs: the template gets
/// the job-name and controller-uid labels it lacks and the selector matches
/// `batch.kubernetes.io/controller-uid`. A Job without labels of its own then
/// shows its template's, as the defaulting of every read gives it.
pub fn prepare_job(obj: &mut Object) {
    let Object::Job(j) = obj else { return };
    j.status = None;
    let (name, uid) = (
        j.metadata.name.clone().unwrap_or_default(),
        j.metadata.uid.clone().unwrap_or_default(),
    );
    let Some(spec) = j.spec.as_mut() else { return };
    if spec.manual_selector == Some(true) {
        return;
    }
    let meta = spec.template.metadata.get_or_insert_with(Default::default);
    let labels = meta.labels.get_or_insert_with(Default::default);
    for key in JOB_NAME_LABELS {
        labels.entry(key.into()).or_insert_with(|| name.clone());
    }
    for key in CONTROLLER_UID_LABELS {
        labels.entry(key.into()).or_insert_with(|| uid.clone());
    }
    let template_labels = labels.clone();
    let selector = spec.selector.get_or_insert_with(Default::default);
    selector
        .match_labels
        .get_or_insert_with(Default::default)
        .entry(CONTROLLER_UID_LABELS[1].into())
        .or_insert(uid);
    if j.metadata.labels.as_ref().is_none_or(|l| l.is_empty()) {
        j.metadata.labels = Some(template_labels);
    }
}

/// The `kubernetes.io/metadata.name` label, the `kubernetes` finalizer and
/// phase `Active`.
fn namespace(ns: &mut Namespace) {
    let name = ns.metadata.name.clone().unwrap_or_default();
    ns.metadata
        .labels
        .get_or_insert_with(Default::default)
        .insert("kubernetes.io/metadata.name".into(), name);
    let spec = ns.spec.get_or_insert_with(Default::default);
    if spec.finalizers.is_none() {
        spec.finalizers = Some(vec!["kubernetes".into()]);
    }
    let status = ns.status.get_or_insert_with(Default::default);
    if status.phase.is_none() {
        status.phase = Some("Active".into());
    }
}

/// `SetDefaults_Deployment`: 1 replica, 10 revisions, 600 s progress
/// deadline, RollingUpdate 25 %/25 %.
fn deployment_spec(spec: &mut DeploymentSpec) {
    spec.replicas.get_or_insert(1);
    spec.revision_history_limit.get_or_insert(10);
    spec.progress_deadline_seconds.get_or_insert(600);
    let strategy = spec
        .strategy
        .get_or_insert_with(DeploymentStrategy::default);
    let ty = strategy.type_.get_or_insert_with(|| "RollingUpdate".into());
    if ty == "RollingUpdate" {
        let ru = strategy
            .rolling_update
            .get_or_insert_with(RollingUpdateDeployment::default);
        ru.max_surge
            .get_or_insert_with(|| IntOrString::String("25%".into()));
        ru.max_unavailable
            .get_or_insert_with(|| IntOrString::String("25%".into()));
    }
    template(&mut spec.template);
}

/// `SetDefaults_DaemonSet`: 10 revisions, RollingUpdate 1 unavailable, 0 surge.
fn daemon_set_spec(spec: &mut DaemonSetSpec) {
    spec.revision_history_limit.get_or_insert(10);
    let s = spec
        .update_strategy
        .get_or_insert_with(DaemonSetUpdateStrategy::default);
    let ty = s.type_.get_or_insert_with(|| "RollingUpdate".into());
    if ty == "RollingUpdate" {
        let ru = s
            .rolling_update
            .get_or_insert_with(RollingUpdateDaemonSet::default);
        ru.max_unavailable.get_or_insert(IntOrString::Int(1));
        ru.max_surge.get_or_insert(IntOrString::Int(0));
    }
    template(&mut spec.template);
}

/// `SetDefaults_Service`: type ClusterIP, no session affinity, traffic
/// policies Cluster, protocol TCP, targetPort = port.
fn service_spec(spec: &mut ServiceSpec) {
    let ty = spec.type_.get_or_insert_with(|| "ClusterIP".into()).clone();
    spec.session_affinity.get_or_insert_with(|| "None".into());
    if ty != "ExternalName" {
        spec.internal_traffic_policy
            .get_or_insert_with(|| "Cluster".into());
    }
    if ty == "NodePort" || ty == "LoadBalancer" {
        spec.external_traffic_policy
            .get_or_insert_with(|| "Cluster".into());
    }
    for port in spec.ports.iter_mut().flatten() {
        port.protocol.get_or_insert_with(|| "TCP".into());
        let unset = match &port.target_port {
            None => true,
            Some(IntOrString::Int(0)) => true,
            Some(IntOrString::String(s)) => s.is_empty(),
            _ => false,
        };
        if unset {
            port.target_port = Some(IntOrString::Int(port.port));
        }
    }
}

/// Type Opaque; `stringData` folded into `data`.
fn secret(s: &mut Secret) {
    s.type_.get_or_insert_with(|| "Opaque".into());
    if let Some(string_data) = s.string_data.take() {
        let data = s.data.get_or_insert_with(Default::default);
        for (k, v) in string_data {
            data.insert(k, k8s_openapi::ByteString(v.into_bytes()));
        }
    }
}

fn template(t: &mut PodTemplateSpec) {
    if let Some(spec) = t.spec.as_mut() {
        pod_spec(spec);
    }
}

/// Pod spec defaults (SetDefaults_PodSpec, SetDefaults_Container, probes, ports).
pub fn pod_spec(spec: &mut PodSpec) {
    spec.restart_policy.get_or_insert_with(|| "Always".into());
    spec.dns_policy.get_or_insert_with(|| "ClusterFirst".into());
    spec.termination_grace_period_seconds.get_or_insert(30);
    spec.scheduler_name
        .get_or_insert_with(|| "default-scheduler".into());
    spec.enable_service_links.get_or_insert(true);
    spec.security_context.get_or_insert_with(Default::default);
    let host_network = spec.host_network.unwrap_or(false);
    for c in spec.init_containers.iter_mut().flatten() {
        container(c, host_network);
    }
    for c in &mut spec.containers {
        container(c, host_network);
    }
}

/// The image pull policy Kubernetes defaults to: Always for `:latest` or no
/// tag (and no digest), IfNotPresent otherwise.
pub fn default_pull_policy(image: &str) -> &'static str {
    let (without_digest, digest) = match image.split_once('@') {
        Some((name, _)) => (name, true),
        None => (image, false),
    };
    let last_segment = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let tag = last_segment.split_once(':').map(|(_, t)| t);
    match tag {
        Some("latest") => "Always",
        Some(_) => "IfNotPresent",
        None if digest => "IfNotPresent",
        None => "Always",
    }
}

fn container(c: &mut Container, host_network: bool) {
    let image = c.image.clone().unwrap_or_default();
    c.image_pull_policy
        .get_or_insert_with(|| default_pull_policy(&image).into());
    c.termination_message_path
        .get_or_insert_with(|| "/dev/termination-log".into());
    c.termination_message_policy
        .get_or_insert_with(|| "File".into());
    for p in c.ports.iter_mut().flatten() {
        p.protocol.get_or_insert_with(|| "TCP".into());
        if host_network && p.host_port.is_none() {
            p.host_port = Some(p.container_port);
        }
    }
    for e in c.env.iter_mut().flatten() {
        if let Some(field_ref) = e.value_from.as_mut().and_then(|v| v.field_ref.as_mut()) {
            field_ref.api_version.get_or_insert_with(|| "v1".into());
        }
    }
    if let Some(res) = c.resources.as_mut() {
        if let Some(limits) = res.limits.clone() {
            let requests = res.requests.get_or_insert_with(Default::default);
            for (k, v) in limits {
                requests.entry(k).or_insert(v);
            }
        }
    }
    for probe in [
        c.liveness_probe.as_mut(),
        c.readiness_probe.as_mut(),
        c.startup_probe.as_mut(),
    ]
    .into_iter()
    .flatten()
    {
        probe_defaults(probe);
    }
}

fn probe_defaults(p: &mut Probe) {
    p.timeout_seconds.get_or_insert(1);
    p.period_seconds.get_or_insert(10);
    p.success_threshold.get_or_insert(1);
    p.failure_threshold.get_or_insert(3);
    if let Some(h) = p.http_get.as_mut() {
        h.path.get_or_insert_with(|| "/".into());
        h.scheme.get_or_insert_with(|| "HTTP".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_defaults_follow_the_tag() {
        assert_eq!(default_pull_policy("nginx"), "Always");
        assert_eq!(default_pull_policy("nginx:latest"), "Always");
        assert_eq!(default_pull_policy("nginx:1.14.2"), "IfNotPresent");
        assert_eq!(default_pull_policy("localhost:5000/app"), "Always");
        assert_eq!(default_pull_policy("localhost:5000/app:v1"), "IfNotPresent");
        assert_eq!(default_pull_policy("nginx@sha256:abc"), "IfNotPresent");
    }

    #[test]
    fn pod_defaults_match_kubernetes() {
        let mut spec = PodSpec {
            containers: vec![Container {
                name: "c".into(),
                image: Some("nginx:1.14.2".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        pod_spec(&mut spec);
        assert_eq!(spec.restart_policy.as_deref(), Some("Always"));
        assert_eq!(spec.dns_policy.as_deref(), Some("ClusterFirst"));
        assert_eq!(spec.termination_grace_period_seconds, Some(30));
        assert_eq!(spec.scheduler_name.as_deref(), Some("default-scheduler"));
        assert_eq!(spec.enable_service_links, Some(true));
        let c = &spec.containers[0];
        assert_eq!(c.image_pull_policy.as_deref(), Some("IfNotPresent"));
        assert_eq!(
            c.termination_message_path.as_deref(),
            Some("/dev/termination-log")
        );
        assert_eq!(c.termination_message_policy.as_deref(), Some("File"));
    }
}
