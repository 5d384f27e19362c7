//! `kubectl describe pod` (`describePod` in
//! `k8s.io/kubectl/pkg/describe/describe.go`).

use k8s_openapi::api::core::v1::{Container, EphemeralContainer, Event, Pod};
use k8s_openapi::jiff::Timestamp;

use super::containers::describe_containers;
use super::events::{by_name, describe_events};
use super::placement::{describe_topology_spread_constraints, print_tolerations_multiline};
use super::resources::{compute_pod_qos, describe_resources};
use super::volumes::describe_volumes;
use super::{
    or_empty, print_annotations_multiline, print_labels_multiline, rfc1123z, PrefixWriter, LEVEL_0,
    LEVEL_1,
};
use crate::age::age;

/// `kubectl describe pod`. `events` are the events kubectl would find for
/// the pod (involvedObject = this pod), in any order: they are put in
/// apiserver list order (by name) and then sorted as kubectl does.
///
/// ```
/// use k8s_openapi::api::core::v1::{Container, Pod, PodSpec};
/// use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
/// use k8s_openapi::jiff::Timestamp;
///
/// let pod = Pod {
///     metadata: ObjectMeta {
///         name: Some("web".into()),
///         namespace: Some("default".into()),
///         ..Default::default()
///     },
///     spec: Some(PodSpec {
///         containers: vec![Container {
///             name: "web".into(),
///             image: Some("nginx".into()),
///             ..Default::default()
///         }],
///         ..Default::default()
///     }),
///     status: None,
/// };
/// let now = Timestamp::from_second(1_750_000_000).unwrap();
/// let text = sim_report::describe::describe_pod(&pod, &[], now);
/// let want = [
///     "Name:         web",
///     "Namespace:    default",
///     "Node:         <none>",
///     "Labels:       <none>",
///     "Annotations:  <none>",
///     "Status:       Pending",
///     "IP:           ",
///     "IPs:          <none>",
///     "Containers:",
///     "  web:",
///     "    Image:        nginx",
///     "    Port:         <none>",
///     "    Host Port:    <none>",
///     "    Environment:  <none>",
///     "    Mounts:       <none>",
///     "Volumes:          <none>",
///     "QoS Class:        BestEffort",
///     "Node-Selectors:   <none>",
///     "Tolerations:      <none>",
///     "Events:           <none>",
/// ];
/// assert_eq!(text, want.join("\n") + "\n");
/// ```
pub fn describe_pod(pod: &Pod, events: &[&Event], now: Timestamp) -> String {
    let mut w = PrefixWriter::new();
    let spec = pod.spec.as_ref();
    print_identity(&mut w, pod);
    print_status(&mut w, pod, now);
    print_ips(&mut w, pod);
    print_controller_and_resources(&mut w, pod);
    print_all_containers(&mut w, pod);
    print_readiness_gates_and_conditions(&mut w, pod);
    describe_volumes(
        &mut w,
        spec.and_then(|s| s.volumes.as_deref()).unwrap_or(&[]),
        "",
    );
    let qos = match pod.status.as_ref().and_then(|s| s.qos_class.as_deref()) {
        Some(q) if !q.is_empty() => q.to_string(),
        _ => compute_pod_qos(pod).to_string(),
    };
    w.write(LEVEL_0, &format!("QoS Class:\t{qos}\n"));
    print_labels_multiline(
        &mut w,
        "Node-Selectors",
        spec.and_then(|s| s.node_selector.as_ref()),
    );
    print_tolerations_multiline(
        &mut w,
        "Tolerations",
        spec.and_then(|s| s.tolerations.as_deref()).unwrap_or(&[]),
    );
    describe_topology_spread_constraints(
        &mut w,
        spec.and_then(|s| s.topology_spread_constraints.as_deref())
            .unwrap_or(&[]),
        "",
    );
    describe_events(&mut w, &by_name(events), now);
    w.finish()
}

/// Name, Namespace, Priority, Priority Class Name, Runtime Class Name,
/// Service Account, Node, Start Time, Labels and Annotations.
fn print_identity(w: &mut PrefixWriter, pod: &Pod) {
    let meta = &pod.metadata;
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    w.write(
        LEVEL_0,
        &format!("Name:\t{}\n", or_empty(meta.name.as_ref())),
    );
    w.write(
        LEVEL_0,
        &format!("Namespace:\t{}\n", or_empty(meta.namespace.as_ref())),
    );
    if let Some(p) = spec.and_then(|s| s.priority) {
        w.write(LEVEL_0, &format!("Priority:\t{p}\n"));
    }
    if let Some(pc) = spec
        .and_then(|s| s.priority_class_name.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("Priority Class Name:\t{pc}\n"));
    }
    if let Some(rc) = spec
        .and_then(|s| s.runtime_class_name.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("Runtime Class Name:\t{rc}\n"));
    }
    if let Some(sa) = spec
        .and_then(|s| s.service_account_name.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("Service Account:\t{sa}\n"));
    }
    match spec
        .and_then(|s| s.node_name.as_ref())
        .filter(|s| !s.is_empty())
    {
        None => w.write(LEVEL_0, "Node:\t<none>\n"),
        Some(n) => w.write(
            LEVEL_0,
            &format!(
                "Node:\t{}/{}\n",
                n,
                or_empty(status.and_then(|s| s.host_ip.as_ref()))
            ),
        ),
    }
    if let Some(st) = status.and_then(|s| s.start_time.as_ref()) {
        w.write(LEVEL_0, &format!("Start Time:\t{}\n", rfc1123z(st.0)));
    }
    print_labels_multiline(w, "Labels", meta.labels.as_ref());
    print_annotations_multiline(w, "Annotations", meta.annotations.as_ref());
}

/// Status (or "Terminating" with the grace period while being deleted),
/// Reason, Message and the pod's SeccompProfile.
fn print_status(w: &mut PrefixWriter, pod: &Pod, now: Timestamp) {
    let meta = &pod.metadata;
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let phase = status
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "Pending".to_string());
    if meta.deletion_timestamp.is_some() && phase != "Failed" && phase != "Succeeded" {
        w.write(
            LEVEL_0,
            &format!(
                "Status:\tTerminating (lasts {})\n",
                age(meta.deletion_timestamp.as_ref(), now)
            ),
        );
        let grace = meta
            .deletion_grace_period_seconds
            .or_else(|| spec.and_then(|s| s.termination_grace_period_seconds))
            .unwrap_or(30);
        w.write(LEVEL_0, &format!("Termination Grace Period:\t{grace}s\n"));
    } else {
        w.write(LEVEL_0, &format!("Status:\t{phase}\n"));
    }
    if let Some(r) = status
        .and_then(|s| s.reason.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("Reason:\t{r}\n"));
    }
    if let Some(m) = status
        .and_then(|s| s.message.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("Message:\t{m}\n"));
    }
    if let Some(sp) = spec
        .and_then(|s| s.security_context.as_ref())
        .and_then(|s| s.seccomp_profile.as_ref())
    {
        w.write(LEVEL_0, &format!("SeccompProfile:\t{}\n", sp.type_));
        if sp.type_ == "Localhost" {
            w.write(
                LEVEL_0,
                &format!(
                    "LocalhostProfile:\t{}\n",
                    or_empty(sp.localhost_profile.as_ref())
                ),
            );
        }
    }
}

/// IP and IPs.
fn print_ips(w: &mut PrefixWriter, pod: &Pod) {
    let status = pod.status.as_ref();
    w.write(
        LEVEL_0,
        &format!(
            "IP:\t{}\n",
            or_empty(status.and_then(|s| s.pod_ip.as_ref()))
        ),
    );
    let ips = status.and_then(|s| s.pod_ips.as_deref()).unwrap_or(&[]);
    if ips.is_empty() {
        w.write(LEVEL_0, "IPs:\t<none>\n");
    } else {
        w.write(LEVEL_0, "IPs:\n");
        for ip in ips {
            w.write(LEVEL_1, &format!("IP:\t{}\n", ip.ip));
        }
    }
}

/// Controlled By, NominatedNodeName and the pod-level Resources.
fn print_controller_and_resources(w: &mut PrefixWriter, pod: &Pod) {
    if let Some(owner) = pod
        .metadata
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
    {
        w.write(
            LEVEL_0,
            &format!("Controlled By:\t{}/{}\n", owner.kind, owner.name),
        );
    }
    if let Some(n) = pod
        .status
        .as_ref()
        .and_then(|s| s.nominated_node_name.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("NominatedNodeName:\t{n}\n"));
    }
    if let Some(res) = pod.spec.as_ref().and_then(|s| s.resources.as_ref()) {
        w.write(LEVEL_0, "Resources:\n");
        describe_resources(w, Some(res), LEVEL_1);
    }
}

/// Init Containers (when there are any), Containers and Ephemeral
/// Containers (when there are any), each with its statuses.
fn print_all_containers(w: &mut PrefixWriter, pod: &Pod) {
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let init = spec
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or(&[]);
    if !init.is_empty() {
        describe_containers(
            w,
            "Init Containers",
            init,
            status
                .and_then(|s| s.init_container_statuses.as_deref())
                .unwrap_or(&[]),
            Some(pod),
            "",
        );
    }
    describe_containers(
        w,
        "Containers",
        spec.map(|s| s.containers.as_slice()).unwrap_or(&[]),
        status
            .and_then(|s| s.container_statuses.as_deref())
            .unwrap_or(&[]),
        Some(pod),
        "",
    );
    let ephemeral: Vec<Container> = spec
        .and_then(|s| s.ephemeral_containers.as_ref())
        .into_iter()
        .flatten()
        .map(ephemeral_as_container)
        .collect();
    if !ephemeral.is_empty() {
        describe_containers(
            w,
            "Ephemeral Containers",
            &ephemeral,
            status
                .and_then(|s| s.ephemeral_container_statuses.as_deref())
                .unwrap_or(&[]),
            Some(pod),
            "",
        );
    }
}

/// An ephemeral container as the `Container` kubectl prints for it (the
/// `EphemeralContainerCommon` fields `describeContainers` reads).
fn ephemeral_as_container(e: &EphemeralContainer) -> Container {
    Container {
        name: e.name.clone(),
        image: e.image.clone(),
        command: e.command.clone(),
        args: e.args.clone(),
        env: e.env.clone(),
        env_from: e.env_from.clone(),
        ports: e.ports.clone(),
        resources: e.resources.clone(),
        security_context: e.security_context.clone(),
        volume_mounts: e.volume_mounts.clone(),
        volume_devices: e.volume_devices.clone(),
        liveness_probe: e.liveness_probe.clone(),
        readiness_probe: e.readiness_probe.clone(),
        startup_probe: e.startup_probe.clone(),
        ..Default::default()
    }
}

/// Readiness Gates (with the status of the matching condition) and
/// Conditions, each only when there are any.
fn print_readiness_gates_and_conditions(w: &mut PrefixWriter, pod: &Pod) {
    let conditions = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or(&[]);
    let gates = pod
        .spec
        .as_ref()
        .and_then(|s| s.readiness_gates.as_deref())
        .unwrap_or(&[]);
    if !gates.is_empty() {
        w.write(LEVEL_0, "Readiness Gates:\n  Type\tStatus\n");
        for g in gates {
            let st = conditions
                .iter()
                .find(|c| c.type_ == g.condition_type)
                .map(|c| c.status.clone())
                .unwrap_or_else(|| "<none>".to_string());
            w.write(LEVEL_1, &format!("{} \t{} \n", g.condition_type, st));
        }
    }
    if !conditions.is_empty() {
        w.write(LEVEL_0, "Conditions:\n  Type\tStatus\n");
        for c in conditions {
            w.write(LEVEL_1, &format!("{} \t{} \n", c.type_, c.status));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::describe::test_fixtures::*;
    use k8s_openapi::api::core::v1::{
        ConfigMapProjection, ContainerPort, ContainerState, ContainerStateRunning,
        ContainerStateTerminated, ContainerStateWaiting, ContainerStatus, DownwardAPIProjection,
        EnvVar, EnvVarSource, HTTPGetAction, ObjectFieldSelector, PodCondition, PodIP, PodSpec,
        PodStatus, Probe, ProjectedVolumeSource, ResourceRequirements,
        ServiceAccountTokenProjection, Toleration, Volume, VolumeMount, VolumeProjection,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference};
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    fn api_access_volume() -> Volume {
        Volume {
            name: "kube-api-access-7xk2p".into(),
            projected: Some(ProjectedVolumeSource {
                default_mode: Some(420),
                sources: Some(vec![
                    VolumeProjection {
                        service_account_token: Some(ServiceAccountTokenProjection {
                            expiration_seconds: Some(3607),
                            path: "token".into(),
                            audience: None,
                        }),
                        ..Default::default()
                    },
                    VolumeProjection {
                        config_map: Some(ConfigMapProjection {
                            name: "kube-root-ca.crt".into(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                    VolumeProjection {
                        downward_api: Some(DownwardAPIProjection::default()),
                        ..Default::default()
                    },
                ]),
            }),
            ..Default::default()
        }
    }

    fn tolerations() -> Option<Vec<Toleration>> {
        Some(
            [
                "node.kubernetes.io/unreachable",
                "node.kubernetes.io/not-ready",
            ]
            .iter()
            .map(|k| Toleration {
                key: Some(k.to_string()),
                operator: Some("Exists".into()),
                effect: Some("NoExecute".into()),
                toleration_seconds: Some(300),
                value: None,
            })
            .collect(),
        )
    }

    fn nginx_pod() -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some("nginx".into()),
                namespace: Some("default".into()),
                labels: map(&[("run", "nginx")]),
                creation_timestamp: Some(ago(300)),
                ..Default::default()
            },
            spec: Some(PodSpec {
                priority: Some(0),
                service_account_name: Some("default".into()),
                node_name: Some("kind-worker".into()),
                containers: vec![Container {
                    name: "nginx".into(),
                    image: Some("nginx".into()),
                    ports: Some(vec![ContainerPort {
                        container_port: 80,
                        protocol: Some("TCP".into()),
                        ..Default::default()
                    }]),
                    env: Some(vec![
                        EnvVar {
                            name: "POD_NAME".into(),
                            value_from: Some(EnvVarSource {
                                field_ref: Some(ObjectFieldSelector {
                                    api_version: Some("v1".into()),
                                    field_path: "metadata.name".into(),
                                }),
                                ..Default::default()
                            }),
                            value: None,
                        },
                        EnvVar {
                            name: "MODE".into(),
                            value: Some("production".into()),
                            value_from: None,
                        },
                    ]),
                    volume_mounts: Some(vec![VolumeMount {
                        mount_path: "/var/run/secrets/kubernetes.io/serviceaccount".into(),
                        name: "kube-api-access-7xk2p".into(),
                        read_only: Some(true),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }],
                tolerations: tolerations(),
                volumes: Some(vec![api_access_volume()]),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Running".into()),
                host_ip: Some("172.18.0.3".into()),
                pod_ip: Some("10.244.1.5".into()),
                pod_ips: Some(vec![PodIP {
                    ip: "10.244.1.5".into(),
                }]),
                qos_class: Some("BestEffort".into()),
                start_time: Some(ago(300)),
                conditions: Some(
                    [
                        "PodReadyToStartContainers",
                        "Initialized",
                        "Ready",
                        "ContainersReady",
                        "PodScheduled",
                    ]
                    .iter()
                    .map(|t| PodCondition {
                        type_: t.to_string(),
                        status: "True".into(),
                        ..Default::default()
                    })
                    .collect(),
                ),
                container_statuses: Some(vec![ContainerStatus {
                    name: "nginx".into(),
                    container_id: Some("containerd://4f1e2d".into()),
                    image: "docker.io/library/nginx:latest".into(),
                    image_id: "docker.io/library/nginx@sha256:abc123".into(),
                    ready: true,
                    started: Some(true),
                    state: Some(ContainerState {
                        running: Some(ContainerStateRunning {
                            started_at: Some(ago(290)),
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn describe_running_pod() {
        let pod = nginx_pod();
        let e1 = event(
            "nginx.1",
            "Scheduled",
            "Successfully assigned default/nginx to kind-worker",
            300,
            300,
            1,
            "default-scheduler",
        );
        let e2 = event(
            "nginx.2",
            "Pulling",
            "Pulling image \"nginx\"",
            299,
            299,
            1,
            "kubelet",
        );
        let e3 = event(
            "nginx.3",
            "Pulled",
            "Successfully pulled image \"nginx\" in 8.5s",
            291,
            291,
            1,
            "kubelet",
        );
        let e4 = event(
            "nginx.4",
            "Created",
            "Created container: nginx",
            120,
            60,
            3,
            "kubelet",
        );
        let got = describe_pod(&pod, &[&e4, &e3, &e1, &e2], now());
        let want = "\
Name:             nginx
Namespace:        default
Priority:         0
Service Account:  default
Node:             kind-worker/172.18.0.3
Start Time:       Sun, 15 Jun 2025 15:01:40 +0000
Labels:           run=nginx
Annotations:      <none>
Status:           Running
IP:               10.244.1.5
IPs:
  IP:  10.244.1.5
Containers:
  nginx:
    Container ID:   containerd://4f1e2d
    Image:          nginx
    Image ID:       docker.io/library/nginx@sha256:abc123
    Port:           80/TCP
    Host Port:      0/TCP
    State:          Running
      Started:      Sun, 15 Jun 2025 15:01:50 +0000
    Ready:          True
    Restart Count:  0
    Environment:
      POD_NAME:  nginx (v1:metadata.name)
      MODE:      production
    Mounts:
      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-7xk2p (ro)
Conditions:
  Type                        Status
  PodReadyToStartContainers   True 
  Initialized                 True 
  Ready                       True 
  ContainersReady             True 
  PodScheduled                True 
Volumes:
  kube-api-access-7xk2p:
    Type:                    Projected (a volume that contains injected data from multiple sources)
    TokenExpirationSeconds:  3607
    ConfigMapName:           kube-root-ca.crt
    ConfigMapOptional:       <nil>
    DownwardAPI:             true
QoS Class:                   BestEffort
Node-Selectors:              <none>
Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:
  Type    Reason     Age               From               Message
  ----    ------     ----              ----               -------
  Normal  Scheduled  5m                default-scheduler  Successfully assigned default/nginx to kind-worker
  Normal  Pulling    4m59s             kubelet            Pulling image \"nginx\"
  Normal  Pulled     4m51s             kubelet            Successfully pulled image \"nginx\" in 8.5s
  Normal  Created    60s (x3 over 2m)  kubelet            Created container: nginx
";
        assert_eq!(got, want);
    }

    #[test]
    fn describe_pending_pod() {
        // A pending pod: no node, no IP (kubectl leaves the padding of the
        // empty IP cell), waiting container.
        let pending = Pod {
            metadata: ObjectMeta {
                name: Some("web".into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "web".into(),
                    image: Some("nginx".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Pending".into()),
                conditions: Some(vec![PodCondition {
                    type_: "PodScheduled".into(),
                    status: "False".into(),
                    reason: Some("Unschedulable".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        };
        let mut warn = event(
            "web.1",
            "FailedScheduling",
            "0/1 nodes are available: 1 Insufficient cpu.",
            70,
            10,
            0,
            "default-scheduler",
        );
        warn.type_ = Some("Warning".into());
        warn.event_time = Some(MicroTime(Timestamp::from_second(NOW - 70).unwrap()));
        warn.series = Some(k8s_openapi::api::core::v1::EventSeries {
            count: Some(4),
            last_observed_time: Some(MicroTime(Timestamp::from_second(NOW - 10).unwrap())),
        });
        warn.source = None;
        warn.reporting_component = Some("default-scheduler".into());
        let want = "\
Name:         web
Namespace:    default
Node:         <none>
Labels:       <none>
Annotations:  <none>
Status:       Pending
IP:           
IPs:          <none>
Containers:
  web:
    Image:        nginx
    Port:         <none>
    Host Port:    <none>
    Environment:  <none>
    Mounts:       <none>
Conditions:
  Type           Status
  PodScheduled   False 
Volumes:         <none>
QoS Class:       BestEffort
Node-Selectors:  <none>
Tolerations:     <none>
Events:
  Type     Reason            Age                From               Message
  ----     ------            ----               ----               -------
  Warning  FailedScheduling  10s (x4 over 70s)  default-scheduler  0/1 nodes are available: 1 Insufficient cpu.
";
        assert_eq!(describe_pod(&pending, &[&warn], now()), want);
    }

    #[test]
    fn describe_crash_looping_pod_being_deleted() {
        // A crash-looping container with its last state, being deleted.
        let mut crash = nginx_pod();
        crash.metadata.deletion_timestamp = Some(ago(-25));
        crash.metadata.deletion_grace_period_seconds = Some(30);
        crash.metadata.owner_references = Some(vec![OwnerReference {
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            name: "nginx-7854ff8877".into(),
            uid: "u".into(),
            controller: Some(true),
            ..Default::default()
        }]);
        let spec = crash.spec.as_mut().unwrap();
        spec.tolerations = None;
        spec.volumes = None;
        let c = &mut spec.containers[0];
        c.env = None;
        c.volume_mounts = None;
        c.ports = None;
        c.resources = Some(ResourceRequirements {
            limits: q(&[("memory", "128Mi"), ("cpu", "500m")]),
            requests: q(&[("memory", "64Mi"), ("cpu", "0.25")]),
            ..Default::default()
        });
        c.liveness_probe = Some(Probe {
            http_get: Some(HTTPGetAction {
                path: Some("/healthz".into()),
                port: IntOrString::Int(8080),
                ..Default::default()
            }),
            ..Default::default()
        });
        let st = &mut crash
            .status
            .as_mut()
            .unwrap()
            .container_statuses
            .as_mut()
            .unwrap()[0];
        st.ready = false;
        st.restart_count = 5;
        st.state = Some(ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some("CrashLoopBackOff".into()),
                message: None,
            }),
            ..Default::default()
        });
        st.last_state = Some(ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: 137,
                reason: Some("OOMKilled".into()),
                started_at: Some(ago(100)),
                finished_at: Some(ago(95)),
                ..Default::default()
            }),
            ..Default::default()
        });
        crash.status.as_mut().unwrap().qos_class = None;
        crash.status.as_mut().unwrap().conditions = None;
        let got = describe_pod(&crash, &[], now());
        let want = "\
Name:                      nginx
Namespace:                 default
Priority:                  0
Service Account:           default
Node:                      kind-worker/172.18.0.3
Start Time:                Sun, 15 Jun 2025 15:01:40 +0000
Labels:                    run=nginx
Annotations:               <none>
Status:                    Terminating (lasts <invalid>)
Termination Grace Period:  30s
IP:                        10.244.1.5
IPs:
  IP:           10.244.1.5
Controlled By:  ReplicaSet/nginx-7854ff8877
Containers:
  nginx:
    Container ID:   containerd://4f1e2d
    Image:          nginx
    Image ID:       docker.io/library/nginx@sha256:abc123
    Port:           <none>
    Host Port:      <none>
    State:          Waiting
      Reason:       CrashLoopBackOff
    Last State:     Terminated
      Reason:       OOMKilled
      Exit Code:    137
      Started:      Sun, 15 Jun 2025 15:05:00 +0000
      Finished:     Sun, 15 Jun 2025 15:05:05 +0000
    Ready:          False
    Restart Count:  5
    Limits:
      cpu:     500m
      memory:  128Mi
    Requests:
      cpu:        250m
      memory:     64Mi
    Liveness:     http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3
    Environment:  <none>
    Mounts:       <none>
Volumes:          <none>
QoS Class:        Burstable
Node-Selectors:   <none>
Tolerations:      <none>
Events:           <none>
";
        assert_eq!(got, want);
    }
}
