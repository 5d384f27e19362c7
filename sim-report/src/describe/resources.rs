//! Resource requests, limits and the QoS class: `describeResources`
//! (`k8s.io/kubectl/pkg/describe/describe.go`), the pod totals of
//! `k8s.io/kubectl/pkg/util/resource/resource.go` (`podRequests`,
//! `podLimits`) and `ComputePodQOS` (`k8s.io/kubectl/pkg/util/qos/qos.go`),
//! with quantities parsed and printed as Go's `resource.Quantity` does.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Pod, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use sim_core::api::quantity::{ParsedQuantity, Quantity, QuantityFormat};

use super::PrefixWriter;

pub(super) type ResourceList = BTreeMap<String, K8sQuantity>;

/// A quantity as kubectl decodes it (Go `ParseQuantity`, printing the
/// input verbatim when Go would); zero when it does not parse.
pub(super) fn parse_q(q: &K8sQuantity) -> ParsedQuantity {
    ParsedQuantity::parse(&q.0).unwrap_or_default()
}

/// The zero quantity printed in `format` (Go `resource.Quantity{Format: f}`).
pub(super) fn zero_q(format: QuantityFormat) -> ParsedQuantity {
    Quantity::new(0, format).into()
}

/// `describeResources`.
pub(super) fn describe_resources(
    w: &mut PrefixWriter,
    resources: Option<&ResourceRequirements>,
    level: usize,
) {
    let Some(r) = resources else {
        return;
    };
    if let Some(limits) = r.limits.as_ref().filter(|l| !l.is_empty()) {
        w.write(level, "Limits:\n");
        for (name, q) in limits {
            w.write(level + 1, &format!("{}:\t{}\n", name, parse_q(q)));
        }
    }
    if let Some(requests) = r.requests.as_ref().filter(|l| !l.is_empty()) {
        w.write(level, "Requests:\n");
        for (name, q) in requests {
            w.write(level + 1, &format!("{}:\t{}\n", name, parse_q(q)));
        }
    }
}

/// A resource list of parsed quantities.
pub(super) type QList = BTreeMap<String, ParsedQuantity>;

pub(super) fn to_qlist(list: Option<&ResourceList>) -> QList {
    list.into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), parse_q(v)))
        .collect()
}

pub(super) fn add_resource_list(list: &mut QList, new: &QList) {
    for (name, q) in new {
        match list.get_mut(name) {
            Some(v) => v.add_saturating(&q.quantity()),
            None => {
                list.insert(name.clone(), q.clone());
            }
        }
    }
}

fn max_resource_list(list: &mut QList, new: &QList) {
    for (name, q) in new {
        match list.get(name) {
            Some(v) if q.cmp(v) != std::cmp::Ordering::Greater => {}
            _ => {
                list.insert(name.clone(), q.clone());
            }
        }
    }
}

fn is_restartable(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// `podRequests` of `kubectl/pkg/util/resource`.
pub(super) fn pod_requests(pod: &Pod) -> QList {
    let mut reqs = QList::new();
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let statuses = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or(&[]);
    for c in spec.map(|s| s.containers.as_slice()).unwrap_or(&[]) {
        let mut creqs = to_qlist(c.resources.as_ref().and_then(|r| r.requests.as_ref()));
        if let Some(cs_res) = statuses
            .iter()
            .rev()
            .find(|s| s.name == c.name)
            .and_then(|s| s.resources.as_ref())
        {
            let status_reqs = to_qlist(cs_res.requests.as_ref());
            if status.and_then(|s| s.resize.as_deref()) == Some("Infeasible") {
                creqs = status_reqs;
            } else {
                // max(container requests, status requests)
                let mut result = QList::new();
                for (k, v) in &creqs {
                    match status_reqs.get(k) {
                        Some(o) if v.cmp(o) != std::cmp::Ordering::Greater => {
                            result.insert(k.clone(), o.clone());
                        }
                        _ => {
                            result.insert(k.clone(), v.clone());
                        }
                    }
                }
                for (k, v) in &status_reqs {
                    result.entry(k.clone()).or_insert_with(|| v.clone());
                }
                creqs = result;
            }
        }
        add_resource_list(&mut reqs, &creqs);
    }
    let mut restartable = QList::new();
    let mut init = QList::new();
    for c in spec
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or(&[])
    {
        let creqs = to_qlist(c.resources.as_ref().and_then(|r| r.requests.as_ref()));
        let effective = if is_restartable(c) {
            add_resource_list(&mut reqs, &creqs);
            add_resource_list(&mut restartable, &creqs);
            restartable.clone()
        } else {
            let mut tmp = QList::new();
            add_resource_list(&mut tmp, &creqs);
            add_resource_list(&mut tmp, &restartable);
            tmp
        };
        max_resource_list(&mut init, &effective);
    }
    max_resource_list(&mut reqs, &init);
    if let Some(overhead) = spec.and_then(|s| s.overhead.as_ref()) {
        add_resource_list(&mut reqs, &to_qlist(Some(overhead)));
    }
    reqs
}

/// `podLimits` of `kubectl/pkg/util/resource`.
pub(super) fn pod_limits(pod: &Pod) -> QList {
    let mut limits = QList::new();
    let spec = pod.spec.as_ref();
    for c in spec.map(|s| s.containers.as_slice()).unwrap_or(&[]) {
        add_resource_list(
            &mut limits,
            &to_qlist(c.resources.as_ref().and_then(|r| r.limits.as_ref())),
        );
    }
    let mut restartable = QList::new();
    let mut init = QList::new();
    for c in spec
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or(&[])
    {
        let climits = to_qlist(c.resources.as_ref().and_then(|r| r.limits.as_ref()));
        let effective = if is_restartable(c) {
            add_resource_list(&mut limits, &climits);
            add_resource_list(&mut restartable, &climits);
            restartable.clone()
        } else {
            let mut tmp = QList::new();
            add_resource_list(&mut tmp, &climits);
            add_resource_list(&mut tmp, &restartable);
            tmp
        };
        max_resource_list(&mut init, &effective);
    }
    max_resource_list(&mut limits, &init);
    if let Some(overhead) = spec.and_then(|s| s.overhead.as_ref()) {
        for (name, q) in to_qlist(Some(overhead)) {
            if let Some(v) = limits.get_mut(&name) {
                if !v.quantity().is_zero() {
                    v.add_saturating(&q.quantity());
                }
            }
        }
    }
    limits
}

pub(super) fn qget(list: &QList, name: &str, format: QuantityFormat) -> ParsedQuantity {
    list.get(name).cloned().unwrap_or_else(|| zero_q(format))
}

/// `ComputePodQOS` (`kubectl/pkg/util/qos`), used when `status.qosClass`
/// is empty.
pub(super) fn compute_pod_qos(pod: &Pod) -> &'static str {
    let zero = zero_q(QuantityFormat::DecimalSi);
    let supported = |n: &str| n == "cpu" || n == "memory";
    let process = |list: &mut QList, new: Option<&ResourceList>| {
        for (name, q) in new.into_iter().flatten() {
            if !supported(name) {
                continue;
            }
            let q = parse_q(q);
            if q.cmp(&zero) == std::cmp::Ordering::Greater {
                match list.get_mut(name) {
                    Some(v) => v.add_saturating(&q.quantity()),
                    None => {
                        list.insert(name.clone(), q);
                    }
                }
            }
        }
    };
    let has_all_limits = |l: Option<&ResourceList>| {
        let positive = |n: &str| {
            l.and_then(|l| l.get(n))
                .map(|q| parse_q(q).cmp(&zero) == std::cmp::Ordering::Greater)
                .unwrap_or(false)
        };
        positive("cpu") && positive("memory")
    };
    let mut requests = QList::new();
    let mut limits = QList::new();
    let mut guaranteed = true;
    let spec = pod.spec.as_ref();
    if let Some(res) = spec.and_then(|s| s.resources.as_ref()) {
        if res.requests.is_some() {
            process(&mut requests, res.requests.as_ref());
        }
        if res.limits.is_some() {
            process(&mut limits, res.limits.as_ref());
            if !has_all_limits(res.limits.as_ref()) {
                guaranteed = false;
            }
        }
    } else {
        let all = spec
            .map(|s| s.containers.iter())
            .into_iter()
            .flatten()
            .chain(
                spec.and_then(|s| s.init_containers.as_ref())
                    .into_iter()
                    .flatten(),
            );
        for c in all {
            let r = c.resources.as_ref();
            process(&mut requests, r.and_then(|r| r.requests.as_ref()));
            process(&mut limits, r.and_then(|r| r.limits.as_ref()));
            if !has_all_limits(r.and_then(|r| r.limits.as_ref())) {
                guaranteed = false;
            }
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort";
    }
    if guaranteed {
        for (name, req) in &requests {
            match limits.get(name) {
                Some(l) if l.cmp(req) == std::cmp::Ordering::Equal => {}
                _ => {
                    guaranteed = false;
                    break;
                }
            }
        }
    }
    if guaranteed && requests.len() == limits.len() {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::describe::test_fixtures::*;
    use crate::describe::{describe_node, describe_pod};
    use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, PodSpec, Volume};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    /// A pod whose quantities exercise every path of the resource summaries:
    /// text Go prints verbatim ("+1"), sums in mixed formats, an init
    /// container, a sidecar, overhead, hugepages and an extended resource,
    /// resourceFieldRef env values and emptyDir size limits.
    fn quantity_pod() -> Pod {
        use k8s_openapi::api::core::v1::{EmptyDirVolumeSource, ResourceFieldSelector};
        let container = |name: &str, req: &[(&str, &str)], lim: &[(&str, &str)]| Container {
            name: name.into(),
            image: Some("busybox".into()),
            resources: Some(ResourceRequirements {
                requests: q(req),
                limits: q(lim),
                ..Default::default()
            }),
            ..Default::default()
        };
        let field = |name: &str, resource: &str, divisor: Option<&str>| EnvVar {
            name: name.into(),
            value: None,
            value_from: Some(EnvVarSource {
                resource_field_ref: Some(ResourceFieldSelector {
                    container_name: None,
                    divisor: divisor.map(|d| K8sQuantity(d.into())),
                    resource: resource.into(),
                }),
                ..Default::default()
            }),
        };
        let mut app = container(
            "app",
            &[
                ("cpu", "+1"),
                ("example.com/gpu", "1"),
                ("hugepages-2Mi", "+128Mi"),
                ("memory", "100Mi"),
            ],
            &[
                ("cpu", "2"),
                ("example.com/gpu", "1"),
                ("hugepages-2Mi", "128Mi"),
                ("memory", "1G"),
            ],
        );
        app.env = Some(vec![
            field("REQ_CPU", "requests.cpu", None),
            field("LIM_CPU_M", "limits.cpu", Some("1m")),
            field("REQ_MEM_MI", "requests.memory", Some("1Mi")),
            field("LIM_MEM", "limits.memory", None),
            field("REQ_HUGE", "requests.hugepages-2Mi", Some("1Mi")),
        ]);
        let mut helper = container(
            "helper",
            &[("cpu", "500m"), ("memory", "1G")],
            &[("cpu", "1.5"), ("memory", "0.5Gi")],
        );
        helper.env = Some(vec![field("LIM_CPU", "limits.cpu", Some("0"))]);
        let setup = container("setup", &[("cpu", "3"), ("memory", "64Mi")], &[]);
        let mut sidecar = container(
            "sidecar",
            &[("cpu", "250m"), ("memory", "1e6")],
            &[("cpu", "250m")],
        );
        sidecar.restart_policy = Some("Always".into());
        let empty_dir = |name: &str, limit: Option<&str>| Volume {
            name: name.into(),
            empty_dir: Some(EmptyDirVolumeSource {
                medium: None,
                size_limit: limit.map(|l| K8sQuantity(l.into())),
            }),
            ..Default::default()
        };
        Pod {
            metadata: ObjectMeta {
                name: Some("mixed".into()),
                namespace: Some("default".into()),
                creation_timestamp: Some(ago(120)),
                ..Default::default()
            },
            spec: Some(PodSpec {
                node_name: Some("kind-control-plane".into()),
                containers: vec![app, helper],
                init_containers: Some(vec![setup, sidecar]),
                overhead: q(&[("cpu", "100m"), ("memory", "10Mi")]),
                volumes: Some(vec![
                    empty_dir("cache", Some("1.5Gi")),
                    empty_dir("scratch", Some("+1Gi")),
                    empty_dir("tmp", None),
                ]),
                ..Default::default()
            }),
            status: None,
        }
    }

    #[test]
    fn describe_pod_quantities() {
        let got = describe_pod(&quantity_pod(), &[], now());
        let want = "\
Name:         mixed
Namespace:    default
Node:         kind-control-plane/
Labels:       <none>
Annotations:  <none>
Status:       Pending
IP:           
IPs:          <none>
Init Containers:
  setup:
    Image:      busybox
    Port:       <none>
    Host Port:  <none>
    Requests:
      cpu:        3
      memory:     64Mi
    Environment:  <none>
    Mounts:       <none>
  sidecar:
    Image:      busybox
    Port:       <none>
    Host Port:  <none>
    Limits:
      cpu:  250m
    Requests:
      cpu:        250m
      memory:     1e6
    Environment:  <none>
    Mounts:       <none>
Containers:
  app:
    Image:      busybox
    Port:       <none>
    Host Port:  <none>
    Limits:
      cpu:              2
      example.com/gpu:  1
      hugepages-2Mi:    128Mi
      memory:           1G
    Requests:
      cpu:              +1
      example.com/gpu:  1
      hugepages-2Mi:    128Mi
      memory:           100Mi
    Environment:
      REQ_CPU:     1 (requests.cpu)
      LIM_CPU_M:   2000 (limits.cpu)
      REQ_MEM_MI:  100 (requests.memory)
      LIM_MEM:     1000000000 (limits.memory)
      REQ_HUGE:    128 (requests.hugepages-2Mi)
    Mounts:        <none>
  helper:
    Image:      busybox
    Port:       <none>
    Host Port:  <none>
    Limits:
      cpu:     1500m
      memory:  512Mi
    Requests:
      cpu:     500m
      memory:  1G
    Environment:
      LIM_CPU:  2 (limits.cpu)
    Mounts:     <none>
Volumes:
  cache:
    Type:       EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:     
    SizeLimit:  1536Mi
  scratch:
    Type:       EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:     
    SizeLimit:  +1Gi
  tmp:
    Type:        EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:      
    SizeLimit:   <unset>
QoS Class:       Burstable
Node-Selectors:  <none>
Tolerations:     <none>
Events:          <none>
";
        assert_eq!(got, want);
    }

    /// Long because it spells out the whole expected output of a node and
    /// of one of its pods.
    #[test]
    fn describe_node_quantities() {
        let mut node = control_plane();
        let alloc = node
            .status
            .as_mut()
            .and_then(|s| s.allocatable.as_mut())
            .unwrap();
        alloc.insert("hugepages-2Mi".into(), K8sQuantity("1Gi".into()));
        alloc.insert("example.com/gpu".into(), K8sQuantity("4".into()));
        alloc.insert("cpu".into(), K8sQuantity("+8".into()));
        let pod = quantity_pod();
        let other = res_pod(
            "default",
            "guaranteed",
            60,
            &[
                ("cpu", "0.5"),
                ("memory", "2048Ki"),
                ("example.com/gpu", "2"),
            ],
            &[
                ("cpu", "0.5"),
                ("memory", "2048Ki"),
                ("example.com/gpu", "2"),
            ],
        );
        let got = describe_node(&node, &[&pod, &other], None, &[], now());
        let want = "\
Name:               kind-control-plane
Roles:              control-plane
Labels:             kubernetes.io/arch=amd64
                    kubernetes.io/hostname=kind-control-plane
                    node-role.kubernetes.io/control-plane=
Annotations:        kubeadm.alpha.kubernetes.io/cri-socket: unix:///run/containerd/containerd.sock
                    node.alpha.kubernetes.io/ttl: 0
CreationTimestamp:  Sun, 15 Jun 2025 14:06:40 +0000
Taints:             node-role.kubernetes.io/control-plane:NoSchedule
Unschedulable:      false
Lease:              Failed to get lease: leases.coordination.k8s.io \"kind-control-plane\" not found
Conditions:
  Type             Status  LastHeartbeatTime                 LastTransitionTime                Reason                       Message
  ----             ------  -----------------                 ------------------                ------                       -------
  MemoryPressure   False   Sun, 15 Jun 2025 15:06:20 +0000   Sun, 15 Jun 2025 14:06:40 +0000   KubeletHasSufficientMemory   kubelet has sufficient memory available
  Ready            True    Sun, 15 Jun 2025 15:06:20 +0000   Sun, 15 Jun 2025 14:06:40 +0000   KubeletReady                 kubelet is posting ready status
Addresses:
  InternalIP:  172.18.0.2
  Hostname:    kind-control-plane
Capacity:
  cpu:                8
  ephemeral-storage:  102626232Ki
  hugepages-1Gi:      0
  hugepages-2Mi:      0
  memory:             16331208Ki
  pods:               110
Allocatable:
  cpu:                +8
  ephemeral-storage:  102626232Ki
  example.com/gpu:    4
  hugepages-1Gi:      0
  hugepages-2Mi:      1Gi
  memory:             16331208Ki
  pods:               110
System Info:
  Machine ID:                 b0d5f1c2
  System UUID:                3f0e9a7b
  Boot ID:                    e4c1a9d8
  Kernel Version:             6.8.0-1021-azure
  OS Image:                   Debian GNU/Linux 12 (bookworm)
  Operating System:           linux
  Architecture:               amd64
  Container Runtime Version:  containerd://2.1.1
  Kubelet Version:            v1.33.1
  Kube-Proxy Version:         
PodCIDR:                      10.244.0.0/24
PodCIDRs:                     10.244.0.0/24
ProviderID:                   kind://docker/kind/kind-control-plane
Non-terminated Pods:          (2 in total)
  Namespace                   Name          CPU Requests  CPU Limits   Memory Requests  Memory Limits    Age
  ---------                   ----          ------------  ----------   ---------------  -------------    ---
  default                     guaranteed    500m (6%)     500m (6%)    2Mi (0%)         2Mi (0%)         60s
  default                     mixed         3100m (38%)   3850m (48%)  1116343360 (6%)  1547356672 (9%)  2m
Allocated resources:
  (Total limits may be over 100 percent, i.e., overcommitted.)
  Resource           Requests         Limits
  --------           --------         ------
  cpu                3600m (45%)      4350m (54%)
  memory             1118440512 (6%)  1549453824 (9%)
  ephemeral-storage  0 (0%)           0 (0%)
  hugepages-1Gi      0 (0%)           0 (0%)
  hugepages-2Mi      128Mi (12%)      128Mi (12%)
  example.com/gpu    3                3
Events:              <none>
";
        assert_eq!(got, want);
        let got = describe_pod(&other, &[], now());
        let want = "\
Name:         guaranteed
Namespace:    default
Node:         kind-control-plane/
Labels:       <none>
Annotations:  <none>
Status:       Pending
IP:           
IPs:          <none>
Containers:
  c:
    Image:      
    Port:       <none>
    Host Port:  <none>
    Limits:
      cpu:              500m
      example.com/gpu:  2
      memory:           2Mi
    Requests:
      cpu:              500m
      example.com/gpu:  2
      memory:           2Mi
    Environment:        <none>
    Mounts:             <none>
Volumes:                <none>
QoS Class:              Guaranteed
Node-Selectors:         <none>
Tolerations:            <none>
Events:                 <none>
";
        assert_eq!(got, want);
    }
}
