//! Compact resource vectors and the pod request formulas.
//!
//! The scheduler and the kubelet work on [`Resources`] (integer millicores and
//! bytes), never on quantity strings. [`pod_requests`] follows
//! k8s.io/component-helpers/resource PodRequests: the larger of (regular
//! containers + sidecars) and (each init container + the sidecars started
//! before it), plus the pod overhead.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Node, PodSpec, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;

use super::quantity::{parse_bytes, parse_cpu_millis};
use super::validation::is_qualified_name;

/// Default CPU request assumed for scoring when a container requests none
/// (pkg/scheduler/util: DefaultMilliCPURequest).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// Default memory request assumed for scoring when a container requests none
/// (pkg/scheduler/util: DefaultMemoryRequest, 200 MiB).
pub const DEFAULT_MEMORY_REQUEST_BYTES: i64 = 200 * 1024 * 1024;

/// A resource vector: what a pod requests or what a node offers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Resources {
    /// CPU in millicores.
    pub cpu_millis: i64,
    /// Memory in bytes.
    pub memory_bytes: i64,
    /// Ephemeral storage in bytes.
    pub ephemeral_storage_bytes: i64,
    /// Pod slots (only meaningful for node capacity).
    pub pods: i64,
}

impl Resources {
    /// Component-wise sum.
    pub fn add(&mut self, other: &Resources) {
        self.cpu_millis += other.cpu_millis;
        self.memory_bytes += other.memory_bytes;
        self.ephemeral_storage_bytes += other.ephemeral_storage_bytes;
        self.pods += other.pods;
    }

    /// Component-wise difference.
    pub fn sub(&mut self, other: &Resources) {
        self.cpu_millis -= other.cpu_millis;
        self.memory_bytes -= other.memory_bytes;
        self.ephemeral_storage_bytes -= other.ephemeral_storage_bytes;
        self.pods -= other.pods;
    }

    /// Component-wise maximum.
    pub fn component_max(&self, other: &Resources) -> Resources {
        Resources {
            cpu_millis: self.cpu_millis.max(other.cpu_millis),
            memory_bytes: self.memory_bytes.max(other.memory_bytes),
            ephemeral_storage_bytes: self
                .ephemeral_storage_bytes
                .max(other.ephemeral_storage_bytes),
            pods: self.pods.max(other.pods),
        }
    }

    /// Reads cpu, memory, ephemeral-storage and pods from a resource list. Malformed
    /// quantities count as zero: the API server refuses them at admission, so
    /// they never reach a stored object.
    pub fn from_list(list: Option<&BTreeMap<String, K8sQuantity>>) -> Resources {
        let mut r = Resources::default();
        for (name, q) in list.into_iter().flatten() {
            let bytes = || parse_bytes(&q.0).unwrap_or(0);
            match name.as_str() {
                "cpu" => r.cpu_millis = parse_cpu_millis(&q.0).unwrap_or(0),
                "memory" => r.memory_bytes = bytes(),
                "ephemeral-storage" => r.ephemeral_storage_bytes = bytes(),
                "pods" => r.pods = bytes(),
                _ => {}
            }
        }
        r
    }
}

fn requests_of(r: Option<&ResourceRequirements>) -> Resources {
    Resources::from_list(r.and_then(|r| r.requests.as_ref()))
}

fn is_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// A vector of requests that [`aggregate`] can combine.
trait Requests: Default {
    fn add(&mut self, other: &Self);
    fn max_with(&mut self, other: &Self);
}

impl Requests for Resources {
    fn add(&mut self, other: &Self) {
        Resources::add(self, other);
    }
    fn max_with(&mut self, other: &Self) {
        *self = self.component_max(other);
    }
}

impl Requests for BTreeMap<String, i64> {
    fn add(&mut self, other: &Self) {
        for (k, v) in other {
            *self.entry(k.clone()).or_default() += v;
        }
    }
    fn max_with(&mut self, other: &Self) {
        for (k, v) in other {
            let e = self.entry(k.clone()).or_default();
            *e = (*e).max(*v);
        }
    }
}

/// PodRequests: the larger of (regular containers + sidecars) and (each init
/// container + the sidecars started before it), plus the overhead.
fn aggregate<T: Requests>(
    spec: &PodSpec,
    per_container: impl Fn(&Container) -> T,
    overhead: T,
) -> T {
    let mut sidecars = T::default();
    let mut init_max = T::default();
    for c in spec.init_containers.iter().flatten() {
        let r = per_container(c);
        if is_sidecar(c) {
            sidecars.add(&r);
            init_max.max_with(&sidecars);
        } else {
            let mut candidate = r;
            candidate.add(&sidecars);
            init_max.max_with(&candidate);
        }
    }
    let mut total = T::default();
    for c in &spec.containers {
        total.add(&per_container(c));
    }
    total.add(&sidecars);
    total.max_with(&init_max);
    total.add(&overhead);
    total
}

fn pod_aggregate(spec: &PodSpec, per_container: impl Fn(&Container) -> Resources) -> Resources {
    let mut total = aggregate(
        spec,
        per_container,
        Resources::from_list(spec.overhead.as_ref()),
    );
    total.pods = 0;
    total
}

/// `kubernetes.io/`: the default resource namespace
/// (`v1.ResourceDefaultNamespacePrefix`).
const DEFAULT_NAMESPACE_PREFIX: &str = "kubernetes.io/";

/// `v1helper.IsPrefixedNativeResource`: the name is in a `*kubernetes.io/`
/// namespace (`kubernetes.io/foo`, `example.kubernetes.io/foo`).
pub fn is_prefixed_native_resource(name: &str) -> bool {
    name.contains(DEFAULT_NAMESPACE_PREFIX)
}

/// `v1helper.IsNativeResource`: unprefixed (implicitly `kubernetes.io/`) or
/// in a `*kubernetes.io/` namespace.
pub fn is_native_resource(name: &str) -> bool {
    !name.contains('/') || is_prefixed_native_resource(name)
}

/// `v1helper.IsExtendedResourceName`: not native, not starting with the
/// quota prefix `requests.`, and a qualified name once that prefix is put in
/// front.
pub fn is_extended_resource_name(name: &str) -> bool {
    if is_native_resource(name) || name.starts_with("requests.") {
        return false;
    }
    is_qualified_name(&format!("requests.{name}")).is_empty()
}

/// `schedutil.IsScalarResourceName` (pkg/scheduler/util/utils.go): what
/// `framework.Resource.Add` counts besides cpu, memory, pods and
/// ephemeral-storage: extended resources, hugepages, prefixed native
/// resources (`*kubernetes.io/...`) and attachable volumes
/// (`attachable-volumes-*`).
pub fn is_scalar_resource_name(name: &str) -> bool {
    is_extended_resource_name(name)
        || name.starts_with("hugepages-")
        || is_prefixed_native_resource(name)
        || name.starts_with("attachable-volumes-")
}

/// The scalar resources of a resource list ([`is_scalar_resource_name`]), by name.
pub fn extended_of(list: Option<&BTreeMap<String, K8sQuantity>>) -> BTreeMap<String, i64> {
    list.into_iter()
        .flatten()
        .filter(|(k, _)| is_scalar_resource_name(k))
        .map(|(k, q)| (k.clone(), parse_bytes(&q.0).unwrap_or(0)))
        .collect()
}

/// What a pod requests, as the NodeResourcesFit filter and the kubelet's
/// admission count it.
pub fn pod_requests(spec: &PodSpec) -> Resources {
    pod_aggregate(spec, |c| requests_of(c.resources.as_ref()))
}

/// Everything the scheduler counts of a pod's requests, each container's
/// requests read once: what it requests ([`pod_requests`]), the same for
/// scoring with cpu and memory defaulted to 100m and 200Mi in containers
/// that leave them out (component-helpers/resource `NonMissingContainerRequests`:
/// missing, not zero), and its extended resources without zero entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodRequestTotals {
    /// The requests.
    pub requests: Resources,
    /// The requests for scoring.
    pub non_zero: Resources,
    /// Extended (scalar) resource requests, by name.
    pub extended: BTreeMap<String, i64>,
}

impl Requests for PodRequestTotals {
    fn add(&mut self, other: &Self) {
        self.requests.add(&other.requests);
        self.non_zero.add(&other.non_zero);
        Requests::add(&mut self.extended, &other.extended);
    }
    fn max_with(&mut self, other: &Self) {
        Requests::max_with(&mut self.requests, &other.requests);
        Requests::max_with(&mut self.non_zero, &other.non_zero);
        Requests::max_with(&mut self.extended, &other.extended);
    }
}

fn container_totals(c: &Container) -> PodRequestTotals {
    let list = c.resources.as_ref().and_then(|r| r.requests.as_ref());
    let requests = Resources::from_list(list);
    let missing = |name: &str| list.is_none_or(|l| !l.contains_key(name));
    let mut non_zero = requests;
    if missing("cpu") {
        non_zero.cpu_millis = DEFAULT_MILLI_CPU_REQUEST;
    }
    if missing("memory") {
        non_zero.memory_bytes = DEFAULT_MEMORY_REQUEST_BYTES;
    }
    PodRequestTotals {
        requests,
        non_zero,
        extended: extended_of(list),
    }
}

/// The [`PodRequestTotals`] of a pod (the PodRequests rule of [`pod_requests`]
/// for all three; the overhead counts in each).
pub fn pod_request_totals(spec: &PodSpec) -> PodRequestTotals {
    let overhead = Resources::from_list(spec.overhead.as_ref());
    let mut total = aggregate(
        spec,
        container_totals,
        PodRequestTotals {
            requests: overhead,
            non_zero: overhead,
            extended: extended_of(spec.overhead.as_ref()),
        },
    );
    total.requests.pods = 0;
    total.non_zero.pods = 0;
    total.extended.retain(|_, v| *v > 0);
    total
}

/// A node's allocatable resources (falling back to capacity when allocatable is unset).
pub fn node_allocatable(node: &Node) -> Resources {
    let status = node.status.as_ref();
    let list = status.and_then(|s| s.allocatable.as_ref().or(s.capacity.as_ref()));
    Resources::from_list(list)
}

/// The pod's QoS class (pkg/apis/core/v1/helper/qos: GetPodQOS): Guaranteed when
/// every container has equal cpu and memory requests and limits, BestEffort when
/// none sets any request or limit, Burstable otherwise.
pub fn qos_class(spec: &PodSpec) -> &'static str {
    let all = spec
        .init_containers
        .iter()
        .flatten()
        .chain(spec.containers.iter());
    let mut any_set = false;
    let mut guaranteed = true;
    for c in all {
        let res = c.resources.as_ref();
        let req = res.and_then(|r| r.requests.as_ref());
        let lim = res.and_then(|r| r.limits.as_ref());
        for name in ["cpu", "memory"] {
            let rq = req.and_then(|m| m.get(name));
            let lm = lim.and_then(|m| m.get(name));
            let nonzero = |q: Option<&K8sQuantity>| {
                q.map(|q| {
                    if name == "cpu" {
                        parse_cpu_millis(&q.0).unwrap_or(0) != 0
                    } else {
                        parse_bytes(&q.0).unwrap_or(0) != 0
                    }
                })
                .unwrap_or(false)
            };
            if nonzero(rq) || nonzero(lm) {
                any_set = true;
            }
            let value = |q: Option<&K8sQuantity>| {
                q.map(|q| {
                    if name == "cpu" {
                        parse_cpu_millis(&q.0).ok()
                    } else {
                        parse_bytes(&q.0).ok()
                    }
                })
            };
            match (value(rq), value(lm)) {
                (_, None) => guaranteed = false,
                (Some(a), Some(b)) if a != b => guaranteed = false,
                _ => {}
            }
        }
    }
    if !any_set {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_resource_names_follow_the_scheduler() {
        // pkg/scheduler/util/utils.go IsScalarResourceName and the
        // pkg/apis/core/v1/helper predicates it is made of.
        for name in ["example.com/foo", "nvidia.com/gpu"] {
            assert!(is_extended_resource_name(name), "{name}");
            assert!(is_scalar_resource_name(name), "{name}");
        }
        for name in [
            "kubernetes.io/something",
            "subdomain.kubernetes.io/something",
            "requests.kubernetes.io/x",
        ] {
            assert!(
                is_native_resource(name) && is_prefixed_native_resource(name),
                "{name}"
            );
            assert!(!is_extended_resource_name(name), "{name}");
            assert!(is_scalar_resource_name(name), "{name}");
        }
        for name in ["hugepages-2Mi", "attachable-volumes-aws-ebs"] {
            assert!(!is_extended_resource_name(name), "{name}");
            assert!(is_scalar_resource_name(name), "{name}");
        }
        // Unprefixed names are native but not scalar; the quota prefix and
        // names that are not qualified once prefixed are neither.
        for name in [
            "cpu",
            "memory",
            "pods",
            "nvidia",
            "requests.example.com/foo",
            "example.com/-x",
        ] {
            assert!(!is_scalar_resource_name(name), "{name}");
        }
        assert!(is_native_resource("nvidia"));
    }

    fn container(cpu: Option<&str>, mem: Option<&str>, sidecar: bool) -> Container {
        let mut req = BTreeMap::new();
        if let Some(c) = cpu {
            req.insert("cpu".to_owned(), K8sQuantity(c.to_owned()));
        }
        if let Some(m) = mem {
            req.insert("memory".to_owned(), K8sQuantity(m.to_owned()));
        }
        Container {
            name: "c".into(),
            resources: Some(ResourceRequirements {
                requests: Some(req),
                ..Default::default()
            }),
            restart_policy: sidecar.then(|| "Always".to_owned()),
            ..Default::default()
        }
    }

    #[test]
    fn requests_take_the_larger_of_init_and_regular_with_sidecars() {
        // component-helpers/resource PodRequests: cpu max(200m + 50m sidecar,
        // 500m init + 50m sidecar started before it) = 550m;
        // memory max(100Mi + 10Mi, 50Mi + 10Mi) = 110Mi.
        let spec = PodSpec {
            init_containers: Some(vec![
                container(Some("50m"), Some("10Mi"), true),
                container(Some("500m"), Some("50Mi"), false),
            ]),
            containers: vec![container(Some("200m"), Some("100Mi"), false)],
            ..Default::default()
        };
        let r = pod_requests(&spec);
        assert_eq!(r.cpu_millis, 550);
        assert_eq!(r.memory_bytes, 110 * 1024 * 1024);
    }

    #[test]
    fn non_zero_requests_default_per_container() {
        let spec = PodSpec {
            containers: vec![
                container(None, None, false),
                container(Some("1"), None, false),
            ],
            ..Default::default()
        };
        let r = pod_request_totals(&spec);
        assert_eq!(r.non_zero.cpu_millis, 1100);
        assert_eq!(r.non_zero.memory_bytes, 2 * DEFAULT_MEMORY_REQUEST_BYTES);
        assert_eq!(r.requests.cpu_millis, 1000);
        assert_eq!(r.requests, pod_requests(&spec));
    }

    #[test]
    fn scoring_defaults_apply_to_missing_requests_not_zero_ones() {
        // component-helpers/resource applyNonMissing: only absent keys get the
        // 100m / 200Mi defaults; an explicit 0 stays 0.
        let spec = PodSpec {
            containers: vec![container(Some("0"), Some("0"), false)],
            ..Default::default()
        };
        let r = pod_request_totals(&spec);
        assert_eq!((r.non_zero.cpu_millis, r.non_zero.memory_bytes), (0, 0));
    }

    #[test]
    fn totals_count_extended_resources_by_the_same_rule() {
        let mut gpu = container(Some("100m"), None, false);
        let requests = gpu.resources.as_mut().and_then(|r| r.requests.as_mut());
        requests
            .expect("requests")
            .insert("example.com/gpu".into(), K8sQuantity("2".into()));
        let spec = PodSpec {
            init_containers: Some(vec![gpu.clone()]),
            containers: vec![gpu, container(Some("1"), None, false)],
            ..Default::default()
        };
        let r = pod_request_totals(&spec);
        // max(init 2, regular 2 + 0) GPUs; cpu max(100m, 1100m).
        assert_eq!(r.extended.get("example.com/gpu"), Some(&2));
        assert_eq!(r.requests.cpu_millis, 1100);
    }

    #[test]
    fn qos_classes() {
        let best = PodSpec {
            containers: vec![Container::default()],
            ..Default::default()
        };
        assert_eq!(qos_class(&best), "BestEffort");
        let burst = PodSpec {
            containers: vec![container(Some("100m"), None, false)],
            ..Default::default()
        };
        assert_eq!(qos_class(&burst), "Burstable");
        let mut g = container(Some("1"), Some("1Gi"), false);
        g.resources.as_mut().unwrap().limits = g.resources.as_ref().unwrap().requests.clone();
        assert_eq!(
            qos_class(&PodSpec {
                containers: vec![g],
                ..Default::default()
            }),
            "Guaranteed"
        );
    }
}
