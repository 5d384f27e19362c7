//! Object validation on create and update, with the API server's wording
//! (pkg/apis/core/validation, pkg/apis/apps/validation): each cause is a
//! `field.path: Reason: detail` string, joined into a 422 Invalid error.

use std::collections::BTreeSet;

use k8s_openapi::api::apps::v1::{DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment};
use k8s_openapi::api::core::v1::{
    Container, NodeAffinity, NodeSelectorTerm, PodSpec, ServiceSpec, Toleration,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::labels::Selector;
use crate::api::quantity::Quantity;
use crate::api::validation::{
    is_dns1035_label, is_dns1123_label, is_dns1123_subdomain, is_qualified_name,
    is_valid_label_value,
};
use crate::api::{ApiError, Kind, Object};

fn required(path: &str) -> String {
    format!("{path}: Required value")
}

fn invalid(path: &str, value: &str, detail: &str) -> String {
    format!("{path}: Invalid value: \"{value}\": {detail}")
}

/// As [`invalid`] for an integer value, which field.Invalid prints unquoted.
fn invalid_int(path: &str, value: i64, detail: &str) -> String {
    format!("{path}: Invalid value: {value}: {detail}")
}

/// Which name rule a kind's names follow.
fn name_rule(kind: Kind) -> fn(&str) -> Vec<String> {
    match kind {
        Kind::Namespace => is_dns1123_label,
        Kind::Service => is_dns1035_label,
        _ => is_dns1123_subdomain,
    }
}

/// Validates a new object. `causes` collects every problem, as the API server reports all at once.
pub fn validate_create(obj: &Object) -> Result<(), ApiError> {
    let mut causes = Vec::new();
    metadata(obj, &mut causes);
    spec(obj, &mut causes);
    finish(obj, causes)
}

/// Validates an update against the stored object (including immutable fields).
pub fn validate_update(old: &Object, new: &Object) -> Result<(), ApiError> {
    let mut causes = Vec::new();
    metadata(new, &mut causes);
    spec(new, &mut causes);
    immutables(old, new, &mut causes);
    finish(new, causes)
}

fn finish(obj: &Object, causes: Vec<String>) -> Result<(), ApiError> {
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(obj.kind(), obj.name(), &causes))
    }
}

fn metadata(obj: &Object, causes: &mut Vec<String>) {
    let meta = obj.meta();
    match meta.name.as_deref() {
        None | Some("") => {
            causes.push("metadata.name: Required value: name or generateName is required".into())
        }
        Some(name) => {
            for msg in name_rule(obj.kind())(name) {
                causes.push(invalid("metadata.name", name, &msg));
            }
        }
    }
    for (k, v) in meta.labels.iter().flatten() {
        for msg in is_qualified_name(k) {
            causes.push(invalid("metadata.labels", k, &msg));
        }
        for msg in is_valid_label_value(v) {
            causes.push(invalid(&format!("metadata.labels[{k}]"), v, &msg));
        }
    }
    for k in meta.annotations.iter().flatten().map(|(k, _)| k) {
        for msg in is_qualified_name(&k.to_ascii_lowercase()) {
            causes.push(invalid("metadata.annotations", k, &msg));
        }
    }
}

fn spec(obj: &Object, causes: &mut Vec<String>) {
    workload_size(obj, causes);
    match obj {
        Object::Pod(p) => match &p.spec {
            Some(spec) => pod_spec(spec, "spec", causes),
            None => causes.push(required("spec.containers")),
        },
        Object::Deployment(d) => match &d.spec {
            None => causes.push(required("spec.selector")),
            Some(spec) => deployment_spec(spec, causes),
        },
        Object::ReplicaSet(r) => {
            if let Some(spec) = &r.spec {
                if let Some(t) = &spec.template {
                    workload_template("deployment", &spec.selector, t.metadata.as_ref(), causes);
                    if let Some(ps) = &t.spec {
                        pod_spec(ps, "spec.template.spec", causes);
                    }
                }
            }
        }
        Object::DaemonSet(d) => {
            if let Some(spec) = &d.spec {
                workload_template(
                    "daemonset",
                    &spec.selector,
                    spec.template.metadata.as_ref(),
                    causes,
                );
                if let Some(ps) = &spec.template.spec {
                    pod_spec(ps, "spec.template.spec", causes);
                }
            }
        }
        Object::Service(svc) => {
            if let Some(spec) = &svc.spec {
                service_spec(spec, causes);
            }
        }
        Object::StatefulSet(st) => match &st.spec {
            None => causes.push(required("spec.selector")),
            Some(spec) => {
                workload_template(
                    "statefulset",
                    &spec.selector,
                    spec.template.metadata.as_ref(),
                    causes,
                );
                if let Some(ps) = &spec.template.spec {
                    pod_spec(ps, "spec.template.spec", causes);
                }
            }
        },
        Object::Job(j) => {
            if let Some(ps) = j.spec.as_ref().and_then(|s| s.template.spec.as_ref()) {
                pod_spec(ps, "spec.template.spec", causes);
                match ps.restart_policy.as_deref() {
                    Some("OnFailure" | "Never") => {}
                    other => causes.push(format!(
                        "spec.template.spec.restartPolicy: Unsupported value: \"{}\": supported values: \"OnFailure\", \"Never\"",
                        other.unwrap_or("Always")
                    )),
                }
            }
        }
        Object::Ingress(ing) => ingress_spec(ing.spec.as_ref(), causes),
        Object::Node(n) => {
            let res = n.status.as_ref();
            for (name, q) in res.and_then(|s| s.capacity.as_ref()).into_iter().flatten() {
                quantity(&format!("status.capacity[{name}]"), q, causes);
            }
        }
        _ => {}
    }
}

/// The most pods one workload may ask for: kubesim's limit, the Kubernetes
/// supported maximum of pods per cluster (docs/scenario-format.md, limits).
/// Past it a run would only grow its memory with Pending pods.
pub const MAX_WORKLOAD_PODS: i64 = 150_000;

/// Refuses a workload asking for more than [`MAX_WORKLOAD_PODS`] pods at
/// once (`replicas`, or a Job's `parallelism` and `completions`): kubesim's
/// own limit, worded as a validation error.
fn workload_size(obj: &Object, causes: &mut Vec<String>) {
    let sizes: [(&str, Option<i32>); 2] = match obj {
        Object::Deployment(d) => [
            ("spec.replicas", d.spec.as_ref().and_then(|s| s.replicas)),
            ("", None),
        ],
        Object::ReplicaSet(r) => [
            ("spec.replicas", r.spec.as_ref().and_then(|s| s.replicas)),
            ("", None),
        ],
        Object::StatefulSet(s) => [
            ("spec.replicas", s.spec.as_ref().and_then(|s| s.replicas)),
            ("", None),
        ],
        Object::Job(j) => {
            let spec = j.spec.as_ref();
            [
                ("spec.parallelism", spec.and_then(|s| s.parallelism)),
                ("spec.completions", spec.and_then(|s| s.completions)),
            ]
        }
        _ => return,
    };
    for (path, value) in sizes {
        if let Some(v) = value.map(i64::from).filter(|&v| v > MAX_WORKLOAD_PODS) {
            causes.push(invalid_int(
                path,
                v,
                &format!("must be less than or equal to {MAX_WORKLOAD_PODS} (kubesim's limit: the Kubernetes supported maximum of pods in a cluster)"),
            ));
        }
    }
}

/// `ValidateDeploymentSpec` (pkg/apis/apps/validation/validation.go): the
/// replicas, the selector and template, then the strategy.
fn deployment_spec(spec: &DeploymentSpec, causes: &mut Vec<String>) {
    if spec.replicas.is_some_and(|r| r < 0) {
        causes.push(invalid_int(
            "spec.replicas",
            i64::from(spec.replicas.unwrap_or(0)),
            "must be greater than or equal to 0",
        ));
    }
    workload_template(
        "deployment",
        &spec.selector,
        spec.template.metadata.as_ref(),
        causes,
    );
    match &spec.template.spec {
        Some(ps) => pod_spec(ps, "spec.template.spec", causes),
        None => causes.push(required("spec.template.spec.containers")),
    }
    if let Some(ps) = &spec.template.spec {
        if ps.restart_policy.as_deref().is_some_and(|r| r != "Always") {
            causes.push(format!(
                "spec.template.spec.restartPolicy: Unsupported value: \"{}\": supported values: \"Always\"",
                ps.restart_policy.as_deref().unwrap_or_default()
            ));
        }
    }
    if let Some(strategy) = &spec.strategy {
        deployment_strategy(strategy, causes);
    }
}

/// The Service checks kubesim makes (pkg/apis/core/validation
/// ValidateService): the type, the ports, the external name.
fn service_spec(spec: &ServiceSpec, causes: &mut Vec<String>) {
    let ty = spec.type_.as_deref().unwrap_or("ClusterIP");
    if !matches!(
        ty,
        "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName"
    ) {
        causes.push(format!(
            "spec.type: Unsupported value: \"{ty}\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""
        ));
    }
    let headless = spec.cluster_ip.as_deref() == Some("None");
    let ports = spec.ports.as_deref().unwrap_or_default();
    if ports.is_empty() && ty != "ExternalName" && !headless {
        causes.push(required("spec.ports"));
    }
    for (i, p) in ports.iter().enumerate() {
        if !(1..=65535).contains(&p.port) {
            causes.push(format!(
                "spec.ports[{i}].port: Invalid value: {}: must be between 1 and 65535, inclusive",
                p.port
            ));
        }
        if ports.len() > 1 && p.name.as_deref().is_none_or(str::is_empty) {
            causes.push(required(&format!("spec.ports[{i}].name")));
        }
    }
    if ty == "ExternalName" && spec.external_name.as_deref().is_none_or(str::is_empty) {
        causes.push(required("spec.externalName"));
    }
}

/// `ValidateIngressSpec` (pkg/apis/networking/validation/validation.go): an
/// Ingress needs a default backend or at least one rule. The bad value is the
/// rules slice as Go's `%#v` prints it (`[]networking.IngressRule(nil)` when
/// absent, `{}` when given empty); an absent spec is the zero spec.
fn ingress_spec(
    spec: Option<&k8s_openapi::api::networking::v1::IngressSpec>,
    causes: &mut Vec<String>,
) {
    let rules = spec.and_then(|s| s.rules.as_ref());
    let has_backend = spec.is_some_and(|s| s.default_backend.is_some());
    if rules.is_none_or(Vec::is_empty) && !has_backend {
        let shown = if rules.is_some() { "{}" } else { "(nil)" };
        causes.push(format!(
            "spec: Invalid value: []networking.IngressRule{shown}: either `defaultBackend` or `rules` must be specified"
        ));
    }
}

/// `ValidateDeploymentStrategy` (pkg/apis/apps/validation/validation.go)
/// for the two known types; the defaults have filled RollingUpdate's values.
fn deployment_strategy(strategy: &DeploymentStrategy, causes: &mut Vec<String>) {
    let path = "spec.strategy.rollingUpdate";
    match (strategy.type_.as_deref(), &strategy.rolling_update) {
        (Some("Recreate"), Some(_)) => causes.push(format!(
            "{path}: Forbidden: may not be specified when strategy `type` is 'Recreate'"
        )),
        (Some("RollingUpdate"), Some(ru)) => rolling_update_deployment(ru, path, causes),
        _ => {}
    }
}

/// `ValidateRollingUpdateDeployment`: each value a non-negative int or a
/// percentage (`ValidatePositiveIntOrPercent`, `IsValidPercent`), not both
/// 0, and maxUnavailable at most 100% (`IsNotMoreThan100Percent`). An
/// IntOrString prints through its `String()` (field.Error's Stringer case):
/// the number, or the string unquoted.
fn rolling_update_deployment(ru: &RollingUpdateDeployment, path: &str, causes: &mut Vec<String>) {
    let zero = IntOrString::Int(0);
    let unavailable = ru.max_unavailable.as_ref().unwrap_or(&zero);
    let surge = ru.max_surge.as_ref().unwrap_or(&zero);
    let unavailable_path = format!("{path}.maxUnavailable");
    positive_int_or_percent(unavailable, &unavailable_path, causes);
    positive_int_or_percent(surge, &format!("{path}.maxSurge"), causes);
    if int_or_percent_value(unavailable) == 0 && int_or_percent_value(surge) == 0 {
        causes.push(format!(
            "{unavailable_path}: Invalid value: {}: may not be 0 when `maxSurge` is 0",
            shown(unavailable)
        ));
    }
    if percent_value(unavailable).is_some_and(|p| p > 100) {
        causes.push(format!(
            "{unavailable_path}: Invalid value: {}: must not be greater than 100%",
            shown(unavailable)
        ));
    }
}

/// `IntOrString.String()`.
fn shown(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// `IsValidPercent`: `^[0-9]+%$`.
fn is_valid_percent(s: &str) -> bool {
    s.strip_suffix('%')
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Go's `strconv.Atoi` with its error dropped: 0 when the text is not a
/// number, the nearest bound when it overflows.
fn atoi(s: &str) -> i64 {
    s.parse()
        .unwrap_or_else(|e: std::num::ParseIntError| match e.kind() {
            std::num::IntErrorKind::PosOverflow => i64::MAX,
            std::num::IntErrorKind::NegOverflow => i64::MIN,
            _ => 0,
        })
}

/// `getPercentValue`: the number of a valid percent string.
fn percent_value(v: &IntOrString) -> Option<i64> {
    match v {
        IntOrString::String(s) if is_valid_percent(s) => Some(atoi(&s[..s.len() - 1])),
        _ => None,
    }
}

/// `getIntOrPercentValue`: a valid percent's number, else `IntValue()`
/// (an int, or `strconv.Atoi` of the string, 0 when it does not parse).
fn int_or_percent_value(v: &IntOrString) -> i64 {
    match (percent_value(v), v) {
        (Some(p), _) => p,
        (None, IntOrString::Int(i)) => i64::from(*i),
        (None, IntOrString::String(s)) => atoi(s),
    }
}

/// `ValidatePositiveIntOrPercent`.
fn positive_int_or_percent(v: &IntOrString, path: &str, causes: &mut Vec<String>) {
    match v {
        IntOrString::String(s) if !is_valid_percent(s) => causes.push(format!(
            "{path}: Invalid value: {s}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
        )),
        IntOrString::Int(i) if *i < 0 => causes.push(invalid_int(
            path,
            i64::from(*i),
            "must be greater than or equal to 0",
        )),
        _ => {}
    }
}

/// `workload` is the word the real message uses: "deployment" (also for
/// ReplicaSets, whose validation reuses it), "daemonset", "statefulset".
fn workload_template(
    workload: &str,
    selector: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    template_meta: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>,
    causes: &mut Vec<String>,
) {
    let empty = selector.match_labels.as_ref().is_none_or(|m| m.is_empty())
        && selector
            .match_expressions
            .as_ref()
            .is_none_or(|m| m.is_empty());
    if empty {
        causes.push(format!(
            "spec.selector: Invalid value: \"null\": empty selector is invalid for {workload}"
        ));
        return;
    }
    match Selector::from_label_selector(selector) {
        Err(e) => causes.push(format!("spec.selector: Invalid value: {e}")),
        Ok(sel) => {
            let labels = template_meta
                .and_then(|m| m.labels.clone())
                .unwrap_or_default();
            if !sel.matches(&labels) {
                let shown: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| format!("\"{k}\":\"{v}\""))
                    .collect();
                causes.push(format!(
                    "spec.template.metadata.labels: Invalid value: map[string]string{{{}}}: `selector` does not match template `labels`",
                    shown.join(", ")
                ));
            }
        }
    }
}

fn quantity(path: &str, q: &K8sQuantity, causes: &mut Vec<String>) {
    match Quantity::parse(&q.0) {
        Ok(v) if v.is_negative() => causes.push(invalid(path, &q.0, "must be greater than or equal to 0")),
        Ok(_) => {}
        Err(_) => causes.push(invalid(
            path,
            &q.0,
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        )),
    }
}

fn containers(
    list: &[Container],
    path: &str,
    names: &mut BTreeSet<String>,
    causes: &mut Vec<String>,
) {
    for (i, c) in list.iter().enumerate() {
        let p = format!("{path}[{i}]");
        if c.name.is_empty() {
            causes.push(required(&format!("{p}.name")));
        } else {
            for msg in is_dns1123_label(&c.name) {
                causes.push(invalid(&format!("{p}.name"), &c.name, &msg));
            }
            if !names.insert(c.name.clone()) {
                causes.push(format!("{p}.name: Duplicate value: \"{}\"", c.name));
            }
        }
        if c.image.as_deref().is_none_or(|s| s.trim().is_empty()) {
            causes.push(required(&format!("{p}.image")));
        }
        for (j, port) in c.ports.iter().flatten().enumerate() {
            if !(1..=65535).contains(&port.container_port) {
                causes.push(invalid_int(
                    &format!("{p}.ports[{j}].containerPort"),
                    i64::from(port.container_port),
                    "must be between 1 and 65535, inclusive",
                ));
            }
        }
        if let Some(res) = &c.resources {
            for (which, list) in [("requests", &res.requests), ("limits", &res.limits)] {
                for (name, q) in list.iter().flatten() {
                    quantity(&format!("{p}.resources.{which}[{name}]"), q, causes);
                }
            }
            if let (Some(req), Some(lim)) = (&res.requests, &res.limits) {
                for (name, r) in req {
                    let (Some(l), Ok(rv)) = (lim.get(name), Quantity::parse(&r.0)) else {
                        continue;
                    };
                    let Ok(lv) = Quantity::parse(&l.0) else {
                        continue;
                    };
                    if rv.milli_value().ok() > lv.milli_value().ok() {
                        causes.push(invalid(
                            &format!("{p}.resources.requests"),
                            &r.0,
                            &format!("must be less than or equal to {name} limit of {}", l.0),
                        ));
                    }
                }
            }
        }
    }
}

/// Validates a pod spec found at `path`.
pub fn pod_spec(spec: &PodSpec, path: &str, causes: &mut Vec<String>) {
    if spec.containers.is_empty() {
        causes.push(required(&format!("{path}.containers")));
    }
    let mut names = BTreeSet::new();
    containers(
        &spec.containers,
        &format!("{path}.containers"),
        &mut names,
        causes,
    );
    containers(
        spec.init_containers.as_deref().unwrap_or_default(),
        &format!("{path}.initContainers"),
        &mut names,
        causes,
    );
    if let Some(rp) = spec.restart_policy.as_deref() {
        if !matches!(rp, "Always" | "OnFailure" | "Never") {
            causes.push(format!(
                "{path}.restartPolicy: Unsupported value: \"{rp}\": supported values: \"Always\", \"OnFailure\", \"Never\""
            ));
        }
    }
    if let Some(g) = spec.termination_grace_period_seconds {
        if g < 0 {
            causes.push(invalid_int(
                &format!("{path}.terminationGracePeriodSeconds"),
                g,
                "must be greater than or equal to 0",
            ));
        }
    }
    if let Some(na) = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
    {
        node_affinity(na, &format!("{path}.affinity.nodeAffinity"), causes);
    }
    tolerations(
        spec.tolerations.as_deref().unwrap_or_default(),
        &format!("{path}.tolerations"),
        causes,
    );
}

/// `validateNodeAffinity` (pkg/apis/core/validation/validation.go, v1.33):
/// the required selector must have a term and its requirements' values must
/// be label values (`AllowInvalidLabelValueInRequiredNodeAffinity` is false
/// on create, and kubesim never stores an invalid one to allow on update);
/// preferred terms weigh 1-100 and may keep invalid values ("they can
/// succeed when the cluster has only one node").
fn node_affinity(na: &NodeAffinity, path: &str, causes: &mut Vec<String>) {
    if let Some(ns) = &na.required_during_scheduling_ignored_during_execution {
        let terms_path =
            format!("{path}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
        if ns.node_selector_terms.is_empty() {
            causes.push(format!(
                "{terms_path}: Required value: must have at least one node selector term"
            ));
        }
        for (i, term) in ns.node_selector_terms.iter().enumerate() {
            node_selector_term(term, false, &format!("{terms_path}[{i}]"), causes);
        }
    }
    let preferred = na
        .preferred_during_scheduling_ignored_during_execution
        .as_deref()
        .unwrap_or_default();
    for (i, term) in preferred.iter().enumerate() {
        let p = format!("{path}.preferredDuringSchedulingIgnoredDuringExecution[{i}]");
        if !(1..=100).contains(&term.weight) {
            causes.push(invalid_int(
                &format!("{p}.weight"),
                i64::from(term.weight),
                "must be in the range 1-100",
            ));
        }
        node_selector_term(&term.preference, true, &format!("{p}.preference"), causes);
    }
}

/// `ValidateNodeSelectorTerm`: its label requirements
/// (`ValidateNodeSelectorRequirement`) and field requirements
/// (`ValidateNodeFieldSelectorRequirement`).
fn node_selector_term(
    term: &NodeSelectorTerm,
    allow_invalid_values: bool,
    path: &str,
    causes: &mut Vec<String>,
) {
    for (j, rq) in term.match_expressions.iter().flatten().enumerate() {
        let p = format!("{path}.matchExpressions[{j}]");
        let values = rq.values.as_deref().unwrap_or_default();
        match rq.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => causes.push(format!(
                "{p}.values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
            )),
            "Exists" | "DoesNotExist" if !values.is_empty() => causes.push(format!(
                "{p}.values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
            )),
            "Gt" | "Lt" if values.len() != 1 => causes.push(format!(
                "{p}.values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'"
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt" => {}
            other => causes.push(invalid(
                &format!("{p}.operator"),
                other,
                "not a valid selector operator",
            )),
        }
        for msg in is_qualified_name(&rq.key) {
            causes.push(invalid(&format!("{p}.key"), &rq.key, &msg));
        }
        if !allow_invalid_values {
            for (k, value) in values.iter().enumerate() {
                for msg in is_valid_label_value(value) {
                    causes.push(invalid(&format!("{p}.values[{k}]"), value, &msg));
                }
            }
        }
    }
    for (j, rq) in term.match_fields.iter().flatten().enumerate() {
        let p = format!("{path}.matchFields[{j}]");
        let values = rq.values.as_deref().unwrap_or_default();
        match rq.operator.as_str() {
            "In" | "NotIn" if values.len() != 1 => causes.push(format!(
                "{p}.values: Required value: must be only one value when `operator` is 'In' or 'NotIn' for node field selector"
            )),
            "In" | "NotIn" => {}
            other => causes.push(invalid(
                &format!("{p}.operator"),
                other,
                "not a valid selector operator",
            )),
        }
        if rq.key != "metadata.name" {
            causes.push(invalid(
                &format!("{p}.key"),
                &rq.key,
                "not a valid field selector key",
            ));
        } else {
            for (k, value) in values.iter().enumerate() {
                for msg in is_dns1123_subdomain(value) {
                    causes.push(invalid(&format!("{p}.values[{k}]"), value, &msg));
                }
            }
        }
    }
}

/// `ValidateTolerations` (pkg/apis/core/validation/validation.go), in its
/// order: the key is a label name; an empty key needs `Exists`;
/// `tolerationSeconds` needs effect `NoExecute`; `Equal` (or no operator)
/// needs a label value and `Exists` an empty value, both reported at
/// `.operator`; other operators (v1.33 has no `Gt`/`Lt` tolerations) and
/// effects are unsupported.
fn tolerations(list: &[Toleration], path: &str, causes: &mut Vec<String>) {
    for (i, t) in list.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let key = t.key.as_deref().unwrap_or_default();
        let op = t.operator.as_deref().unwrap_or_default();
        let value = t.value.as_deref().unwrap_or_default();
        let effect = t.effect.as_deref().unwrap_or_default();
        if !key.is_empty() {
            for msg in is_qualified_name(key) {
                causes.push(invalid(&format!("{p}.key"), key, &msg));
            }
        }
        if key.is_empty() && op != "Exists" {
            causes.push(invalid(
                &format!("{p}.operator"),
                op,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if t.toleration_seconds.is_some() && effect != "NoExecute" {
            causes.push(invalid(
                &format!("{p}.effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        match op {
            "Equal" | "" => {
                let errs = is_valid_label_value(value);
                if !errs.is_empty() {
                    causes.push(invalid(&format!("{p}.operator"), value, &errs.join(";")));
                }
            }
            "Exists" if !value.is_empty() => causes.push(invalid(
                &format!("{p}.operator"),
                value,
                "value must be empty when `operator` is 'Exists'",
            )),
            "Exists" => {}
            other => causes.push(format!(
                "{p}.operator: Unsupported value: \"{other}\": supported values: \"Equal\", \"Exists\""
            )),
        }
        if !matches!(effect, "" | "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
            causes.push(format!(
                "{p}.effect: Unsupported value: \"{effect}\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\""
            ));
        }
    }
}

fn immutables(old: &Object, new: &Object, causes: &mut Vec<String>) {
    match (old, new) {
        (Object::Pod(o), Object::Pod(n)) => {
            let (Some(os), Some(ns)) = (&o.spec, &n.spec) else {
                return;
            };
            let mut a = os.clone();
            let mut b = ns.clone();
            // Fields a pod update may change.
            for (x, y) in a.containers.iter_mut().zip(b.containers.iter_mut()) {
                x.image = None;
                y.image = None;
            }
            for (x, y) in a
                .init_containers
                .iter_mut()
                .flatten()
                .zip(b.init_containers.iter_mut().flatten())
            {
                x.image = None;
                y.image = None;
            }
            a.active_deadline_seconds = None;
            b.active_deadline_seconds = None;
            a.tolerations = None;
            b.tolerations = None;
            a.termination_grace_period_seconds = None;
            b.termination_grace_period_seconds = None;
            // spec.nodeName is set through the binding subresource only; an
            // update that carries the stored value is fine.
            if a != b {
                causes.push("spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)".into());
            }
        }
        (Object::Deployment(o), Object::Deployment(n)) => {
            let (Some(os), Some(ns)) = (&o.spec, &n.spec) else {
                return;
            };
            if os.selector != ns.selector {
                causes.push(format!(
                    "spec.selector: Invalid value: {}: field is immutable",
                    serde_json::to_string(&ns.selector).unwrap_or_default()
                ));
            }
        }
        (Object::ReplicaSet(o), Object::ReplicaSet(n)) => {
            let (Some(os), Some(ns)) = (&o.spec, &n.spec) else {
                return;
            };
            if os.selector != ns.selector {
                causes.push("spec.selector: Invalid value: field is immutable".into());
            }
        }
        (Object::Service(o), Object::Service(n)) => {
            let oip = o.spec.as_ref().and_then(|s| s.cluster_ip.clone());
            let nip = n.spec.as_ref().and_then(|s| s.cluster_ip.clone());
            if nip.is_some() && oip != nip {
                causes.push(format!("spec.clusterIPs[0]: Invalid value: []string{{\"{}\"}}: may not change once set", nip.unwrap_or_default()));
            }
        }
        _ => {}
    }
}
