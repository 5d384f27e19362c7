//! A cluster shaped as kubeadm shapes it.
//!
//! At virtual time zero the API server creates the four initial namespaces,
//! the `default/kubernetes` Service and the built-in PriorityClasses; kubeadm
//! applies its kube-system objects (the kube-proxy DaemonSet, the coredns
//! Deployment and the kube-dns Service, their ConfigMaps); the controller
//! manager and the scheduler start; each kubelet starts shortly after, the
//! control-plane kubelet publishing the mirror pods of the static
//! control-plane pods (etcd, kube-apiserver, kube-controller-manager,
//! kube-scheduler). The rest — node registration, kube-proxy and coredns pods
//! — happens through the modelled components, in virtual time.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, Container, ContainerPort, Namespace, Pod, PodSpec, PodTemplateSpec,
    ResourceRequirements, Service, ServicePort, ServiceSpec, Toleration,
};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::Object;
use crate::apiserver::admission::{SYSTEM_CLUSTER_CRITICAL, SYSTEM_NODE_CRITICAL};
use crate::apiserver::Request;
use crate::cluster::Cluster;
use crate::components::controllers::ControllerManager;
use crate::components::disk_driver::DiskDriver;
use crate::components::disk_provisioner::DiskProvisioner;
use crate::components::ingress::status::IngressStatusSync;
use crate::components::kube_proxy::KubeProxy;
use crate::components::kubelet::Kubelet;
use crate::components::nfs_provisioner::NfsProvisioner;
use crate::components::scheduler::Scheduler;
use crate::config::{ClusterConfig, KUBERNETES_VERSION};
use crate::storage::nfs::NfsServers;
use crate::time::SimTime;
use crate::trace::Trace;

/// The images of the kubeadm control plane, pre-pulled on every node by `kubeadm config images pull`.
pub const CONTROL_PLANE_IMAGES: [&str; 7] = [
    "registry.k8s.io/etcd:3.5.21-0",
    "registry.k8s.io/kube-apiserver:v1.33.0",
    "registry.k8s.io/kube-controller-manager:v1.33.0",
    "registry.k8s.io/kube-scheduler:v1.33.0",
    "registry.k8s.io/kube-proxy:v1.33.0",
    "registry.k8s.io/coredns/coredns:v1.12.0",
    "registry.k8s.io/pause:3.10",
];

fn meta(name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: namespace.map(Into::into),
        ..Default::default()
    }
}

fn labels(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

fn requests(cpu: &str, memory: Option<&str>) -> Option<ResourceRequirements> {
    let mut r = BTreeMap::new();
    r.insert("cpu".to_owned(), K8sQuantity(cpu.into()));
    if let Some(m) = memory {
        r.insert("memory".to_owned(), K8sQuantity(m.into()));
    }
    Some(ResourceRequirements {
        requests: Some(r),
        ..Default::default()
    })
}

/// The static pods of a kubeadm control-plane node, as mirror pods.
pub fn static_pods(node: &str) -> Vec<Pod> {
    let specs: [(&str, &str, &str, Option<&str>); 4] = [
        (
            "etcd",
            "registry.k8s.io/etcd:3.5.21-0",
            "100m",
            Some("100Mi"),
        ),
        (
            "kube-apiserver",
            "registry.k8s.io/kube-apiserver:v1.33.0",
            "250m",
            None,
        ),
        (
            "kube-controller-manager",
            "registry.k8s.io/kube-controller-manager:v1.33.0",
            "200m",
            None,
        ),
        (
            "kube-scheduler",
            "registry.k8s.io/kube-scheduler:v1.33.0",
            "100m",
            None,
        ),
    ];
    specs
        .iter()
        .map(|(component, image, cpu, memory)| {
            let mut m = meta(&format!("{component}-{node}"), Some("kube-system"));
            m.labels = labels(&[("component", component), ("tier", "control-plane")]);
            let hash = format!("{:032x}", crate::rng::stable_hash(component));
            m.annotations = Some(
                [
                    ("kubernetes.io/config.hash".to_owned(), hash.clone()),
                    ("kubernetes.io/config.mirror".to_owned(), hash),
                    (
                        "kubernetes.io/config.seen".to_owned(),
                        "2025-04-23T00:00:00.000000000Z".to_owned(),
                    ),
                    ("kubernetes.io/config.source".to_owned(), "file".to_owned()),
                ]
                .into(),
            );
            Pod {
                metadata: m,
                spec: Some(PodSpec {
                    containers: vec![Container {
                        name: (*component).into(),
                        image: Some((*image).into()),
                        image_pull_policy: Some("IfNotPresent".into()),
                        resources: requests(cpu, *memory),
                        ..Default::default()
                    }],
                    host_network: Some(true),
                    node_name: Some(node.into()),
                    priority_class_name: Some("system-node-critical".into()),
                    tolerations: Some(vec![Toleration {
                        operator: Some("Exists".into()),
                        effect: Some("NoExecute".into()),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }),
                status: None,
            }
        })
        .collect()
}

/// The objects that exist before any component runs: what the API server
/// creates itself, then what `kubeadm init` creates in kube-system.
fn initial_objects(config: &ClusterConfig) -> Vec<Object> {
    let mut v = api_server_objects();
    v.extend(kubeadm_config_maps(config));
    // kubeadm's service accounts for its add-ons (the default accounts come
    // from the service-account controller).
    for name in ["coredns", "kube-proxy"] {
        v.push(Object::from(k8s_openapi::api::core::v1::ServiceAccount {
            metadata: meta(name, Some("kube-system")),
            ..Default::default()
        }));
    }
    v.push(kube_proxy_daemon_set());
    v.extend(coredns(config));
    v
}

/// The API server's own objects: the four initial namespaces, the two
/// system PriorityClasses and the `default/kubernetes` Service.
fn api_server_objects() -> Vec<Object> {
    let mut v: Vec<Object> = ["default", "kube-node-lease", "kube-public", "kube-system"]
        .iter()
        .map(|n| {
            Object::from(Namespace {
                metadata: meta(n, None),
                ..Default::default()
            })
        })
        .collect();
    for (name, value, description) in [
        ("system-cluster-critical", SYSTEM_CLUSTER_CRITICAL, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
        ("system-node-critical", SYSTEM_NODE_CRITICAL, "Used for system critical pods that must not be moved from their current node."),
    ] {
        v.push(Object::from(PriorityClass {
            metadata: meta(name, None),
            value,
            description: Some(description.into()),
            preemption_policy: Some("PreemptLowerPriority".into()),
            global_default: None,
        }));
    }
    let mut kubernetes_svc = meta("kubernetes", Some("default"));
    kubernetes_svc.labels = labels(&[("component", "apiserver"), ("provider", "kubernetes")]);
    v.push(Object::from(Service {
        metadata: kubernetes_svc,
        spec: Some(ServiceSpec {
            cluster_ip: Some("10.96.0.1".into()),
            ports: Some(vec![ServicePort {
                name: Some("https".into()),
                port: 443,
                protocol: Some("TCP".into()),
                target_port: Some(IntOrString::Int(6443)),
                ..Default::default()
            }]),
            type_: Some("ClusterIP".into()),
            ..Default::default()
        }),
        status: None,
    }));
    v
}

/// kubeadm's kube-system ConfigMaps.
fn kubeadm_config_maps(config: &ClusterConfig) -> Vec<Object> {
    let mut v = Vec::new();
    let pod_subnet = config.pod_network().subnet();
    for (name, key, value) in [
        ("coredns", "Corefile", ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n"),
        ("kube-proxy", "config.conf", &format!("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: iptables\nclusterCIDR: {pod_subnet}\n")),
        ("kubeadm-config", "ClusterConfiguration", &format!("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: {KUBERNETES_VERSION}\nnetworking:\n  dnsDomain: cluster.local\n  podSubnet: {pod_subnet}\n  serviceSubnet: 10.96.0.0/12\n")),
        ("kubelet-config", "kubelet", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\n"),
    ] {
        v.push(Object::from(ConfigMap {
            metadata: meta(name, Some("kube-system")),
            data: Some([(key.to_owned(), value.to_owned())].into()),
            ..Default::default()
        }));
    }
    v
}

/// kubeadm's kube-proxy DaemonSet.
fn kube_proxy_daemon_set() -> Object {
    let proxy_labels = labels(&[("k8s-app", "kube-proxy")]);
    Object::from(DaemonSet {
        metadata: ObjectMeta {
            labels: proxy_labels.clone(),
            ..meta("kube-proxy", Some("kube-system"))
        },
        spec: Some(DaemonSetSpec {
            selector: LabelSelector {
                match_labels: proxy_labels.clone(),
                match_expressions: None,
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: proxy_labels,
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![Container {
                        name: "kube-proxy".into(),
                        image: Some("registry.k8s.io/kube-proxy:v1.33.0".into()),
                        image_pull_policy: Some("IfNotPresent".into()),
                        command: Some(vec![
                            "/usr/local/bin/kube-proxy".into(),
                            "--config=/var/lib/kube-proxy/config.conf".into(),
                            "--hostname-override=$(NODE_NAME)".into(),
                        ]),
                        ..Default::default()
                    }],
                    host_network: Some(true),
                    priority_class_name: Some("system-node-critical".into()),
                    service_account_name: Some("kube-proxy".into()),
                    node_selector: Some(
                        [("kubernetes.io/os".to_owned(), "linux".to_owned())].into(),
                    ),
                    tolerations: Some(vec![Toleration {
                        operator: Some("Exists".into()),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        status: None,
    })
}

/// kubeadm's CoreDNS add-on: the coredns Deployment and the kube-dns Service.
fn coredns(config: &ClusterConfig) -> Vec<Object> {
    vec![coredns_deployment(config), kube_dns_service()]
}

/// The coredns Deployment, as kubeadm writes it.
fn coredns_deployment(config: &ClusterConfig) -> Object {
    let dns_labels = labels(&[("k8s-app", "kube-dns")]);
    Object::from(Deployment {
        metadata: ObjectMeta {
            labels: dns_labels.clone(),
            ..meta("coredns", Some("kube-system"))
        },
        spec: Some(DeploymentSpec {
            replicas: Some(config.coredns_replicas),
            selector: LabelSelector {
                match_labels: dns_labels.clone(),
                match_expressions: None,
            },
            strategy: Some(k8s_openapi::api::apps::v1::DeploymentStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(k8s_openapi::api::apps::v1::RollingUpdateDeployment {
                    max_unavailable: Some(IntOrString::Int(1)),
                    max_surge: Some(IntOrString::String("25%".into())),
                }),
            }),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: dns_labels.clone(),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![Container {
                        name: "coredns".into(),
                        image: Some("registry.k8s.io/coredns/coredns:v1.12.0".into()),
                        image_pull_policy: Some("IfNotPresent".into()),
                        args: Some(vec!["-conf".into(), "/etc/coredns/Corefile".into()]),
                        ports: Some(vec![
                            ContainerPort {
                                container_port: 53,
                                name: Some("dns".into()),
                                protocol: Some("UDP".into()),
                                ..Default::default()
                            },
                            ContainerPort {
                                container_port: 53,
                                name: Some("dns-tcp".into()),
                                protocol: Some("TCP".into()),
                                ..Default::default()
                            },
                            ContainerPort {
                                container_port: 9153,
                                name: Some("metrics".into()),
                                protocol: Some("TCP".into()),
                                ..Default::default()
                            },
                        ]),
                        resources: Some(ResourceRequirements {
                            requests: Some(
                                [
                                    ("cpu".to_owned(), K8sQuantity("100m".into())),
                                    ("memory".to_owned(), K8sQuantity("70Mi".into())),
                                ]
                                .into(),
                            ),
                            limits: Some(
                                [("memory".to_owned(), K8sQuantity("170Mi".into()))].into(),
                            ),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }],
                    dns_policy: Some("Default".into()),
                    priority_class_name: Some("system-cluster-critical".into()),
                    service_account_name: Some("coredns".into()),
                    node_selector: Some(
                        [("kubernetes.io/os".to_owned(), "linux".to_owned())].into(),
                    ),
                    tolerations: Some(vec![
                        Toleration {
                            key: Some("CriticalAddonsOnly".into()),
                            operator: Some("Exists".into()),
                            ..Default::default()
                        },
                        Toleration {
                            key: Some("node-role.kubernetes.io/control-plane".into()),
                            effect: Some("NoSchedule".into()),
                            ..Default::default()
                        },
                    ]),
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        status: None,
    })
}

/// The kube-dns Service (10.96.0.10), as kubeadm writes it.
fn kube_dns_service() -> Object {
    let dns_labels = labels(&[("k8s-app", "kube-dns")]);
    let mut dns_svc = meta("kube-dns", Some("kube-system"));
    dns_svc.labels = labels(&[
        ("k8s-app", "kube-dns"),
        ("kubernetes.io/cluster-service", "true"),
        ("kubernetes.io/name", "CoreDNS"),
    ]);
    Object::from(Service {
        metadata: dns_svc,
        spec: Some(ServiceSpec {
            cluster_ip: Some("10.96.0.10".into()),
            selector: dns_labels,
            ports: Some(vec![
                ServicePort {
                    name: Some("dns".into()),
                    port: 53,
                    protocol: Some("UDP".into()),
                    target_port: Some(IntOrString::Int(53)),
                    ..Default::default()
                },
                ServicePort {
                    name: Some("dns-tcp".into()),
                    port: 53,
                    protocol: Some("TCP".into()),
                    target_port: Some(IntOrString::Int(53)),
                    ..Default::default()
                },
                ServicePort {
                    name: Some("metrics".into()),
                    port: 9153,
                    protocol: Some("TCP".into()),
                    target_port: Some(IntOrString::Int(9153)),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        }),
        status: None,
    })
}

/// Builds a kubeadm-shaped cluster from `config`, seeded with `seed`.
pub fn kubeadm_cluster(config: ClusterConfig, seed: u64, trace: Trace) -> Cluster {
    let nodes = config.nodes.clone();
    let kubelet_start = config.timings.kubelet_startup;
    let objects = initial_objects(&config);
    let images = config.images.clone();
    let network = config.pod_network();
    let addresses: Vec<String> = (0..config.nodes.len())
        .map(|i| config.node_address(i))
        .collect();
    if let Err(e) = network.check_nodes(nodes.len()) {
        panic!("kubeadm_cluster: {e} (check ClusterConfig::pod_network first)");
    }
    // The NFS servers; one at a node's address is that node, its exports
    // directories of the node's own filesystem.
    let nfs = std::rc::Rc::new(NfsServers::new(&config.nfs_servers, |address| {
        let i = addresses.iter().position(|a| *a == address.to_string())?;
        let name = nodes[i].name.clone();
        let files = crate::config::host_files(&name);
        Some((name, files))
    }));
    let disks = std::rc::Rc::new(crate::storage::disks::Disks::new(&config.disks));
    let mut cluster = Cluster::empty(config, seed, trace);
    for obj in objects {
        let client = if matches!(obj, Object::Namespace(_) | Object::PriorityClass(_))
            || obj.name() == "kubernetes"
        {
            "kube-apiserver"
        } else {
            "kubeadm"
        };
        // The initial objects are valid by construction; an error here is a bug.
        if let Err(e) = cluster.request(client, Request::Create(obj)) {
            panic!("kubesim bootstrap object refused: {e}");
        }
    }
    cluster.add_component(Box::new(ControllerManager::new()), SimTime::ZERO);
    cluster.add_component(Box::new(Scheduler::new()), SimTime::ZERO);
    let preloaded: Vec<(String, u64)> = CONTROL_PLANE_IMAGES
        .iter()
        .map(|i| ((*i).to_owned(), images.lookup(i).size_bytes))
        .collect();
    for (index, node) in nodes.into_iter().enumerate() {
        let statics = if node.control_plane {
            static_pods(&node.name)
        } else {
            Vec::new()
        };
        let join = node.join_at.unwrap_or(kubelet_start);
        let cidr = network.node_cidr(index).expect("checked above");
        let host_ip = addresses[index].clone();
        let ip = host_ip
            .parse()
            .expect("node addresses are IPv4 (ClusterConfig::node_address)");
        let proxy = KubeProxy::new(&node.name, ip);
        let mut kubelet = Kubelet::new(node, host_ip, cidr, preloaded.clone(), statics);
        kubelet.set_nfs(std::rc::Rc::clone(&nfs));
        kubelet.set_disks(std::rc::Rc::clone(&disks));
        cluster.add_component(Box::new(kubelet), SimTime::ZERO + join);
        cluster.add_component(Box::new(proxy), SimTime::ZERO + join);
    }
    cluster.add_component(Box::new(IngressStatusSync::new()), SimTime::ZERO);
    cluster.set_nfs(std::rc::Rc::clone(&nfs));
    cluster.add_component(Box::new(NfsProvisioner::new(nfs)), SimTime::ZERO);
    cluster.add_component(
        Box::new(DiskDriver::new(std::rc::Rc::clone(&disks))),
        SimTime::ZERO,
    );
    cluster.add_component(Box::new(DiskProvisioner::new(disks)), SimTime::ZERO);
    cluster
}
