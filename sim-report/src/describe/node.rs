//! `kubectl describe node` (`describeNode`, `printNodeTaintsMultiline` and
//! `describeNodeResource` in `k8s.io/kubectl/pkg/describe/describe.go`).

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Event, Node, NodeSystemInfo, Pod, Taint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use sim_core::api::quantity::QuantityFormat;

use super::events::{by_name, describe_events};
use super::go_sort::go_sort;
use super::resources::{
    add_resource_list, parse_q, pod_limits, pod_requests, qget, to_qlist, QList,
};
use super::{
    or_empty, print_annotations_multiline, print_labels_multiline, rfc1123z, rfc1123z_opt,
    PrefixWriter, LEVEL_0, LEVEL_1,
};
use crate::age::{age, go_float_to_int};
use crate::printers::node_roles;

fn percent(num: i64, den: i64) -> i64 {
    go_float_to_int(num as f64 / den as f64 * 100.0)
}

/// `kubectl describe node`. `pods` are the node's non-terminated pods
/// (`spec.nodeName` = the node, phase not Succeeded/Failed), printed in
/// apiserver list order (by `namespace/name`); `lease` is the node's Lease
/// in `kube-node-lease` (`None` prints kubectl's not-found error); `events`
/// are the events about the node: those whose involvedObject.uid is the
/// node's UID come first, then the others (kubectl's two queries, by UID
/// and by name), each group in list order, before kubectl's sort.
pub fn describe_node(
    node: &Node,
    pods: &[&Pod],
    lease: Option<&Lease>,
    events: &[&Event],
    now: Timestamp,
) -> String {
    let mut w = PrefixWriter::new();
    print_identity(&mut w, node);
    print_taints(&mut w, node);
    w.write(
        LEVEL_0,
        &format!(
            "Unschedulable:\t{}\n",
            node.spec
                .as_ref()
                .and_then(|s| s.unschedulable)
                .unwrap_or(false)
        ),
    );
    print_lease(&mut w, lease, or_empty(node.metadata.name.as_ref()));
    print_conditions(&mut w, node);
    print_addresses_and_capacity(&mut w, node);
    print_system_info(&mut w, node);
    describe_node_resource(&mut w, node, pods, now);
    describe_events(&mut w, &events_in_query_order(node, events), now);
    w.finish()
}

/// Name, Roles, Labels, Annotations and CreationTimestamp.
fn print_identity(w: &mut PrefixWriter, node: &Node) {
    let meta = &node.metadata;
    let name = or_empty(meta.name.as_ref());
    w.write(LEVEL_0, &format!("Name:\t{name}\n"));
    let roles = node_roles(node);
    if roles.is_empty() {
        w.write(LEVEL_0, "Roles:\t<none>\n");
    } else {
        w.write(LEVEL_0, &format!("Roles:\t{}\n", roles.join(",")));
    }
    print_labels_multiline(w, "Labels", meta.labels.as_ref());
    print_annotations_multiline(w, "Annotations", meta.annotations.as_ref());
    w.write(
        LEVEL_0,
        &format!(
            "CreationTimestamp:\t{}\n",
            rfc1123z_opt(meta.creation_timestamp.as_ref())
        ),
    );
}

/// `printNodeTaintsMultiline`: the taints sorted by `effect,key`.
fn print_taints(w: &mut PrefixWriter, node: &Node) {
    w.write(LEVEL_0, "Taints:\t");
    let mut taints: Vec<_> = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .into_iter()
        .flatten()
        .collect();
    if taints.is_empty() {
        w.write_line("<none>");
    } else {
        go_sort(&mut taints, &|a: &&Taint, b: &&Taint| {
            format!("{},{}", a.effect, a.key) < format!("{},{}", b.effect, b.key)
        });
        for (i, t) in taints.iter().enumerate() {
            if i != 0 {
                w.write(LEVEL_0, "\t");
            }
            let text = match t.value.as_deref().filter(|v| !v.is_empty()) {
                None => format!("{}:{}", t.key, t.effect),
                Some(v) => format!("{}={}:{}", t.key, v, t.effect),
            };
            w.write(LEVEL_0, &format!("{text}\n"));
        }
    }
}

/// The Lease section: holder, acquire and renew times, or kubectl's error
/// when the node has no Lease.
fn print_lease(w: &mut PrefixWriter, lease: Option<&Lease>, name: &str) {
    match lease {
        Some(l) => {
            w.write(LEVEL_0, "Lease:\n");
            let ls = l.spec.as_ref();
            w.write(
                LEVEL_1,
                &format!(
                    "HolderIdentity:\t{}\n",
                    ls.and_then(|s| s.holder_identity.clone())
                        .unwrap_or_else(|| "<unset>".to_string())
                ),
            );
            let fmt_micro = |t: Option<&MicroTime>| {
                t.map(|t| rfc1123z(t.0))
                    .unwrap_or_else(|| "<unset>".to_string())
            };
            w.write(
                LEVEL_1,
                &format!(
                    "AcquireTime:\t{}\n",
                    fmt_micro(ls.and_then(|s| s.acquire_time.as_ref()))
                ),
            );
            w.write(
                LEVEL_1,
                &format!(
                    "RenewTime:\t{}\n",
                    fmt_micro(ls.and_then(|s| s.renew_time.as_ref()))
                ),
            );
        }
        None => w.write(
            LEVEL_0,
            &format!(
                "Lease:\tFailed to get lease: leases.coordination.k8s.io \"{name}\" not found\n"
            ),
        ),
    }
}

/// The Conditions table (only when there are conditions).
fn print_conditions(w: &mut PrefixWriter, node: &Node) {
    let conditions = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or(&[]);
    if !conditions.is_empty() {
        w.write(
            LEVEL_0,
            "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n",
        );
        w.write(
            LEVEL_1,
            "----\t------\t-----------------\t------------------\t------\t-------\n",
        );
        for c in conditions {
            w.write(
                LEVEL_1,
                &format!(
                    "{} \t{} \t{} \t{} \t{} \t{}\n",
                    c.type_,
                    c.status,
                    rfc1123z_opt(c.last_heartbeat_time.as_ref()),
                    rfc1123z_opt(c.last_transition_time.as_ref()),
                    or_empty(c.reason.as_ref()),
                    or_empty(c.message.as_ref())
                ),
            );
        }
    }
}

/// Addresses, then Capacity and Allocatable (each only when not empty).
fn print_addresses_and_capacity(w: &mut PrefixWriter, node: &Node) {
    let status = node.status.as_ref();
    w.write(LEVEL_0, "Addresses:\n");
    for a in status.and_then(|s| s.addresses.as_deref()).unwrap_or(&[]) {
        w.write(LEVEL_1, &format!("{}:\t{}\n", a.type_, a.address));
    }
    let capacity = status
        .and_then(|s| s.capacity.as_ref())
        .filter(|c| !c.is_empty());
    let allocatable = status
        .and_then(|s| s.allocatable.as_ref())
        .filter(|c| !c.is_empty());
    for (title, list) in [("Capacity", capacity), ("Allocatable", allocatable)] {
        if let Some(list) = list {
            w.write(LEVEL_0, &format!("{title}:\n"));
            for (name, q) in list {
                w.write(LEVEL_0, &format!("  {}:\t{}\n", name, parse_q(q)));
            }
        }
    }
}

/// System Info, then PodCIDR, PodCIDRs and ProviderID when set.
fn print_system_info(w: &mut PrefixWriter, node: &Node) {
    let spec = node.spec.as_ref();
    let default_info = NodeSystemInfo::default();
    let info = node
        .status
        .as_ref()
        .and_then(|s| s.node_info.as_ref())
        .unwrap_or(&default_info);
    w.write(LEVEL_0, "System Info:\n");
    for (k, v) in [
        ("Machine ID", &info.machine_id),
        ("System UUID", &info.system_uuid),
        ("Boot ID", &info.boot_id),
        ("Kernel Version", &info.kernel_version),
        ("OS Image", &info.os_image),
        ("Operating System", &info.operating_system),
        ("Architecture", &info.architecture),
        ("Container Runtime Version", &info.container_runtime_version),
        ("Kubelet Version", &info.kubelet_version),
        ("Kube-Proxy Version", &info.kube_proxy_version),
    ] {
        w.write(LEVEL_0, &format!("  {k}:\t{v}\n"));
    }
    if let Some(c) = spec
        .and_then(|s| s.pod_cidr.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("PodCIDR:\t{c}\n"));
    }
    if let Some(c) = spec
        .and_then(|s| s.pod_cidrs.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("PodCIDRs:\t{}\n", c.join(",")));
    }
    if let Some(p) = spec
        .and_then(|s| s.provider_id.as_ref())
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_0, &format!("ProviderID:\t{p}\n"));
    }
}

/// What `describeNodeResource` divides by: the node's allocatable
/// resources (its capacity when allocatable is empty), with the cpu in
/// millicores and the memory and ephemeral storage in bytes.
struct Allocatable {
    list: QList,
    cpu: i64,
    memory: i64,
    ephemeral_storage: i64,
}

impl Allocatable {
    fn of(node: &Node) -> Self {
        let status = node.status.as_ref();
        let capacity = status
            .and_then(|s| s.capacity.as_ref())
            .filter(|c| !c.is_empty());
        let allocatable = status
            .and_then(|s| s.allocatable.as_ref())
            .filter(|c| !c.is_empty());
        let list = to_qlist(allocatable.or(capacity));
        let cpu = qget(&list, "cpu", QuantityFormat::DecimalSi)
            .quantity()
            .saturating_milli_value();
        let memory = qget(&list, "memory", QuantityFormat::BinarySi)
            .quantity()
            .saturating_value();
        let ephemeral_storage = qget(&list, "ephemeral-storage", QuantityFormat::BinarySi)
            .quantity()
            .saturating_value();
        Allocatable {
            list,
            cpu,
            memory,
            ephemeral_storage,
        }
    }
}

/// `describeNodeResource`: the Non-terminated Pods table, then the
/// Allocated resources totals.
fn describe_node_resource(w: &mut PrefixWriter, node: &Node, pods: &[&Pod], now: Timestamp) {
    let alloc = Allocatable::of(node);
    let (total_reqs, total_limits) = print_non_terminated_pods(w, pods, &alloc, now);
    print_allocated_resources(w, &alloc, &total_reqs, &total_limits);
}

/// The Non-terminated Pods table: each pod (in `namespace/name` order)
/// with its cpu and memory requests and limits and their share of the
/// allocatable. Returns the sums of the pods' requests and limits.
fn print_non_terminated_pods(
    w: &mut PrefixWriter,
    pods: &[&Pod],
    alloc: &Allocatable,
    now: Timestamp,
) -> (QList, QList) {
    let mut pods: Vec<&Pod> = pods.to_vec();
    pods.sort_by_key(|p| {
        format!(
            "{}/{}",
            or_empty(p.metadata.namespace.as_ref()),
            or_empty(p.metadata.name.as_ref())
        )
    });
    w.write(
        LEVEL_0,
        &format!("Non-terminated Pods:\t({} in total)\n", pods.len()),
    );
    w.write(
        LEVEL_1,
        "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n",
    );
    w.write(
        LEVEL_1,
        "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n",
    );
    let mut total_reqs = QList::new();
    let mut total_limits = QList::new();
    for p in &pods {
        let reqs = pod_requests(p);
        let limits = pod_limits(p);
        let cpu_req = qget(&reqs, "cpu", QuantityFormat::DecimalSi);
        let cpu_lim = qget(&limits, "cpu", QuantityFormat::DecimalSi);
        let mem_req = qget(&reqs, "memory", QuantityFormat::DecimalSi);
        let mem_lim = qget(&limits, "memory", QuantityFormat::DecimalSi);
        w.write(
            LEVEL_1,
            &format!(
                "{}\t{}\t\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{}\n",
                or_empty(p.metadata.namespace.as_ref()),
                or_empty(p.metadata.name.as_ref()),
                cpu_req,
                percent(cpu_req.quantity().saturating_milli_value(), alloc.cpu),
                cpu_lim,
                percent(cpu_lim.quantity().saturating_milli_value(), alloc.cpu),
                mem_req,
                percent(mem_req.quantity().saturating_value(), alloc.memory),
                mem_lim,
                percent(mem_lim.quantity().saturating_value(), alloc.memory),
                age(p.metadata.creation_timestamp.as_ref(), now)
            ),
        );
        add_resource_list(&mut total_reqs, &reqs);
        add_resource_list(&mut total_limits, &limits);
    }
    (total_reqs, total_limits)
}

/// The Allocated resources table: cpu, memory and ephemeral storage with
/// their share of the allocatable, then each hugepages size, then the
/// other (extended) resources without a share.
fn print_allocated_resources(
    w: &mut PrefixWriter,
    alloc: &Allocatable,
    total_reqs: &QList,
    total_limits: &QList,
) {
    w.write(
        LEVEL_0,
        "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n",
    );
    w.write(LEVEL_1, "Resource\tRequests\tLimits\n");
    w.write(LEVEL_1, "--------\t--------\t------\n");
    let guarded = |num: i64, den: i64| if den != 0 { percent(num, den) } else { 0 };
    for (name, den, milli) in [
        ("cpu", alloc.cpu, true),
        ("memory", alloc.memory, false),
        ("ephemeral-storage", alloc.ephemeral_storage, false),
    ] {
        let r = qget(total_reqs, name, QuantityFormat::DecimalSi);
        let l = qget(total_limits, name, QuantityFormat::DecimalSi);
        let (rv, lv) = if milli {
            (
                r.quantity().saturating_milli_value(),
                l.quantity().saturating_milli_value(),
            )
        } else {
            (
                r.quantity().saturating_value(),
                l.quantity().saturating_value(),
            )
        };
        w.write(
            LEVEL_1,
            &format!(
                "{}\t{} ({}%)\t{} ({}%)\n",
                name,
                r,
                guarded(rv, den),
                l,
                guarded(lv, den)
            ),
        );
    }
    for (name, alloc_q) in alloc
        .list
        .iter()
        .filter(|(n, _)| n.starts_with("hugepages-"))
    {
        let r = qget(total_reqs, name, QuantityFormat::DecimalSi);
        let l = qget(total_limits, name, QuantityFormat::DecimalSi);
        let den = alloc_q.quantity().saturating_value();
        w.write(
            LEVEL_1,
            &format!(
                "{}\t{} ({}%)\t{} ({}%)\n",
                name,
                r,
                guarded(r.quantity().saturating_value(), den),
                l,
                guarded(l.quantity().saturating_value(), den)
            ),
        );
    }
    for name in alloc.list.keys().filter(|n| {
        !matches!(n.as_str(), "cpu" | "memory" | "ephemeral-storage" | "pods")
            && !n.starts_with("hugepages-")
    }) {
        w.write(
            LEVEL_1,
            &format!(
                "{}\t{}\t{}\n",
                name,
                qget(total_reqs, name, QuantityFormat::DecimalSi),
                qget(total_limits, name, QuantityFormat::DecimalSi)
            ),
        );
    }
}

/// The node's events in the order kubectl's two queries return them:
/// first those found by the node's UID, then those found by name, each
/// group in list order (by name).
fn events_in_query_order<'a>(node: &Node, events: &[&'a Event]) -> Vec<&'a Event> {
    let uid = node.metadata.uid.as_deref().unwrap_or("");
    let (mut by_uid, mut rest): (Vec<&Event>, Vec<&Event>) = events
        .iter()
        .copied()
        .partition(|e| !uid.is_empty() && e.involved_object.uid.as_deref() == Some(uid));
    by_uid = by_name(&by_uid);
    rest = by_name(&rest);
    by_uid.extend(rest);
    by_uid
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::describe::test_fixtures::*;
    use k8s_openapi::api::coordination::v1::LeaseSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    /// Long because it spells out the whole expected output.
    #[test]
    fn describe_control_plane_node() {
        let node = control_plane();
        let coredns = res_pod(
            "kube-system",
            "coredns-674b8bbfcf-5kq8w",
            3500,
            &[("cpu", "100m"), ("memory", "70Mi")],
            &[("memory", "170Mi")],
        );
        let apiserver = res_pod(
            "kube-system",
            "kube-apiserver-kind-control-plane",
            3590,
            &[("cpu", "250m")],
            &[],
        );
        let etcd = res_pod(
            "kube-system",
            "etcd-kind-control-plane",
            3590,
            &[("cpu", "100m"), ("memory", "100Mi")],
            &[],
        );
        let lease = Lease {
            metadata: ObjectMeta::default(),
            spec: Some(LeaseSpec {
                holder_identity: Some("kind-control-plane".into()),
                renew_time: Some(MicroTime(Timestamp::from_second(NOW - 5).unwrap())),
                ..Default::default()
            }),
        };
        let mut ev = event(
            "kind-control-plane.1",
            "Starting",
            "Starting kubelet.",
            3600,
            3600,
            1,
            "kubelet",
        );
        ev.involved_object.uid = Some("kind-control-plane".into());
        let mut ev2 = event(
            "kind-control-plane.2",
            "RegisteredNode",
            "Node kind-control-plane event: Registered Node kind-control-plane in Controller",
            3550,
            3550,
            1,
            "node-controller",
        );
        ev2.involved_object.uid = Some("7d1b6c1e".into());
        let got = describe_node(
            &node,
            &[&etcd, &coredns, &apiserver],
            Some(&lease),
            &[&ev, &ev2],
            now(),
        );
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
Lease:
  HolderIdentity:  kind-control-plane
  AcquireTime:     <unset>
  RenewTime:       Sun, 15 Jun 2025 15:06:35 +0000
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
  cpu:                8
  ephemeral-storage:  102626232Ki
  hugepages-1Gi:      0
  hugepages-2Mi:      0
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
Non-terminated Pods:          (3 in total)
  Namespace                   Name                                 CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age
  ---------                   ----                                 ------------  ----------  ---------------  -------------  ---
  kube-system                 coredns-674b8bbfcf-5kq8w             100m (1%)     0 (0%)      70Mi (0%)        170Mi (1%)     58m
  kube-system                 etcd-kind-control-plane              100m (1%)     0 (0%)      100Mi (0%)       0 (0%)         59m
  kube-system                 kube-apiserver-kind-control-plane    250m (3%)     0 (0%)      0 (0%)           0 (0%)         59m
Allocated resources:
  (Total limits may be over 100 percent, i.e., overcommitted.)
  Resource           Requests    Limits
  --------           --------    ------
  cpu                450m (5%)   0 (0%)
  memory             170Mi (1%)  170Mi (1%)
  ephemeral-storage  0 (0%)      0 (0%)
  hugepages-1Gi      0 (0%)      0 (0%)
  hugepages-2Mi      0 (0%)      0 (0%)
Events:
  Type    Reason          Age   From             Message
  ----    ------          ----  ----             -------
  Normal  Starting        60m   kubelet          Starting kubelet.
  Normal  RegisteredNode  59m   node-controller  Node kind-control-plane event: Registered Node kind-control-plane in Controller
";
        assert_eq!(got, want);
    }
}
