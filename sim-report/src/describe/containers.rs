//! The containers of a pod or pod template: `describeContainers`,
//! `describeStatus`, `DescribeProbe` and the environment and mount
//! sections of `k8s.io/kubectl/pkg/describe/describe.go`.

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, ContainerState, ContainerStatus, Pod, Probe,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use sim_core::api::quantity::{Quantity, QuantityFormat};

use super::go_sort::go_sort;
use super::resources::{describe_resources, parse_q, zero_q, ResourceList};
use super::{or_empty, print_bool, rfc1123z_opt, PrefixWriter, LEVEL_0, LEVEL_1, LEVEL_2, LEVEL_3};
use crate::age::go_float_to_int;

/// `DescribeProbe`, with the apiserver's probe defaults for missing fields.
fn describe_probe(p: &Probe) -> String {
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        p.initial_delay_seconds.unwrap_or(0),
        p.timeout_seconds.unwrap_or(1),
        p.period_seconds.unwrap_or(10),
        p.success_threshold.unwrap_or(1),
        p.failure_threshold.unwrap_or(3)
    );
    let port_str = |p: &IntOrString| match p {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s.clone(),
    };
    if let Some(exec) = &p.exec {
        let cmd = exec.command.clone().unwrap_or_default().join(" ");
        return format!("exec [{cmd}] {attrs}");
    }
    if let Some(h) = &p.http_get {
        let scheme = h.scheme.as_deref().unwrap_or("HTTP").to_lowercase();
        let host = or_empty(h.host.as_ref());
        let port = port_str(&h.port);
        let authority = if port.is_empty() {
            host.to_string()
        } else if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let mut path = or_empty(h.path.as_ref()).to_string();
        if !path.is_empty() && !path.starts_with('/') && !authority.is_empty() {
            path.insert(0, '/');
        }
        // net/url URL.String().
        let mut url = String::new();
        if !scheme.is_empty() {
            url.push_str(&scheme);
            url.push(':');
        }
        if !authority.is_empty() || !path.is_empty() {
            url.push_str("//");
        }
        url.push_str(&authority);
        url.push_str(&path);
        return format!("http-get {url} {attrs}");
    }
    if let Some(t) = &p.tcp_socket {
        return format!(
            "tcp-socket {}:{} {attrs}",
            or_empty(t.host.as_ref()),
            port_str(&t.port)
        );
    }
    if let Some(g) = &p.grpc {
        return format!(
            "grpc <pod>:{} {} {attrs}",
            g.port,
            or_empty(g.service.as_ref())
        );
    }
    format!("unknown {attrs}")
}

/// `describeStatus`.
fn describe_status(w: &mut PrefixWriter, state_name: &str, state: Option<&ContainerState>) {
    let running = state.and_then(|s| s.running.as_ref());
    let waiting = state.and_then(|s| s.waiting.as_ref());
    let terminated = state.and_then(|s| s.terminated.as_ref());
    if let Some(r) = running {
        w.write(LEVEL_2, &format!("{state_name}:\tRunning\n"));
        w.write(
            LEVEL_3,
            &format!("Started:\t{}\n", rfc1123z_opt(r.started_at.as_ref())),
        );
    } else if let Some(wt) = waiting {
        w.write(LEVEL_2, &format!("{state_name}:\tWaiting\n"));
        if let Some(r) = wt.reason.as_ref().filter(|r| !r.is_empty()) {
            w.write(LEVEL_3, &format!("Reason:\t{r}\n"));
        }
    } else if let Some(t) = terminated {
        w.write(LEVEL_2, &format!("{state_name}:\tTerminated\n"));
        if let Some(r) = t.reason.as_ref().filter(|r| !r.is_empty()) {
            w.write(LEVEL_3, &format!("Reason:\t{r}\n"));
        }
        if let Some(m) = t.message.as_ref().filter(|m| !m.is_empty()) {
            w.write(LEVEL_3, &format!("Message:\t{m}\n"));
        }
        w.write(LEVEL_3, &format!("Exit Code:\t{}\n", t.exit_code));
        if let Some(sig) = t.signal.filter(|s| *s > 0) {
            w.write(LEVEL_3, &format!("Signal:\t{sig}\n"));
        }
        w.write(
            LEVEL_3,
            &format!("Started:\t{}\n", rfc1123z_opt(t.started_at.as_ref())),
        );
        w.write(
            LEVEL_3,
            &format!("Finished:\t{}\n", rfc1123z_opt(t.finished_at.as_ref())),
        );
    } else {
        w.write(LEVEL_2, &format!("{state_name}:\tWaiting\n"));
    }
}

/// The value kubectl resolves for a `fieldRef` env var: only
/// `metadata.name` and `metadata.namespace` pass the field label conversion
/// of kubectl's scheme, so every other path shows empty.
fn resolve_field_ref(pod: Option<&Pod>, path: &str) -> String {
    match (pod, path) {
        (Some(p), "metadata.name") => p.metadata.name.clone().unwrap_or_default(),
        (Some(p), "metadata.namespace") => p.metadata.namespace.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// `ExtractContainerResourceValue` for the env var display.
fn container_resource_value(
    resource: &str,
    divisor: Option<&K8sQuantity>,
    c: &Container,
) -> Option<String> {
    let div = divisor
        .map(parse_q)
        .filter(|d| !d.quantity().is_zero())
        .unwrap_or_else(|| Quantity::new(1, QuantityFormat::DecimalSi).into());
    let res = c.resources.as_ref();
    let get = |list: Option<&ResourceList>, name: &str| {
        list.and_then(|l| l.get(name))
            .map(parse_q)
            .unwrap_or_else(|| zero_q(QuantityFormat::DecimalSi))
    };
    let limits = res.and_then(|r| r.limits.as_ref());
    let requests = res.and_then(|r| r.requests.as_ref());
    let ceil_div = |a: i64, b: i64| go_float_to_int((a as f64 / b as f64).ceil());
    let (q, cpu) = match resource {
        "limits.cpu" => (get(limits, "cpu"), true),
        "requests.cpu" => (get(requests, "cpu"), true),
        "limits.memory" => (get(limits, "memory"), false),
        "requests.memory" => (get(requests, "memory"), false),
        "limits.ephemeral-storage" => (get(limits, "ephemeral-storage"), false),
        "requests.ephemeral-storage" => (get(requests, "ephemeral-storage"), false),
        other => {
            if let Some(n) = other
                .strip_prefix("requests.")
                .filter(|n| n.starts_with("hugepages-"))
            {
                (get(requests, n), false)
            } else if let Some(n) = other
                .strip_prefix("limits.")
                .filter(|n| n.starts_with("hugepages-"))
            {
                (get(limits, n), false)
            } else {
                return None;
            }
        }
    };
    Some(if cpu {
        ceil_div(
            q.quantity().saturating_milli_value(),
            div.quantity().saturating_milli_value(),
        )
        .to_string()
    } else {
        ceil_div(
            q.quantity().saturating_value(),
            div.quantity().saturating_value(),
        )
        .to_string()
    })
}

fn describe_container_env(w: &mut PrefixWriter, c: &Container, pod: Option<&Pod>) {
    if let Some(env_from) = c.env_from.as_ref().filter(|e| !e.is_empty()) {
        w.write(LEVEL_2, "Environment Variables from:\n");
        for e in env_from {
            let (from, name, optional) = if let Some(cm) = &e.config_map_ref {
                ("ConfigMap", cm.name.clone(), cm.optional == Some(true))
            } else if let Some(s) = &e.secret_ref {
                ("Secret", s.name.clone(), s.optional == Some(true))
            } else {
                ("", String::new(), false)
            };
            match e.prefix.as_deref().filter(|p| !p.is_empty()) {
                None => w.write(LEVEL_3, &format!("{name}\t{from}\tOptional: {optional}\n")),
                Some(p) => w.write(
                    LEVEL_3,
                    &format!("{name}\t{from} with prefix '{p}'\tOptional: {optional}\n"),
                ),
            }
        }
    }
    let env = c.env.as_deref().unwrap_or(&[]);
    if env.is_empty() {
        w.write(LEVEL_2, "Environment:\t<none>\n");
    } else {
        w.write(LEVEL_2, "Environment:\n");
    }
    for e in env {
        let Some(vf) = &e.value_from else {
            for (i, s) in or_empty(e.value.as_ref()).split('\n').enumerate() {
                if i == 0 {
                    w.write(LEVEL_3, &format!("{}:\t{}\n", e.name, s));
                } else {
                    w.write(LEVEL_3, &format!("\t{s}\n"));
                }
            }
            continue;
        };
        if let Some(fr) = &vf.field_ref {
            let api_version = fr.api_version.as_deref().unwrap_or("v1");
            w.write(
                LEVEL_3,
                &format!(
                    "{}:\t{} ({}:{})\n",
                    e.name,
                    resolve_field_ref(pod, &fr.field_path),
                    api_version,
                    fr.field_path
                ),
            );
        } else if let Some(rf) = &vf.resource_field_ref {
            let mut value =
                container_resource_value(&rf.resource, rf.divisor.as_ref(), c).unwrap_or_default();
            if value == "0" && (rf.resource == "limits.cpu" || rf.resource == "limits.memory") {
                value = "node allocatable".to_string();
            }
            w.write(
                LEVEL_3,
                &format!("{}:\t{} ({})\n", e.name, value, rf.resource),
            );
        } else if let Some(sk) = &vf.secret_key_ref {
            w.write(
                LEVEL_3,
                &format!(
                    "{}:\t<set to the key '{}' in secret '{}'>\tOptional: {}\n",
                    e.name,
                    sk.key,
                    sk.name,
                    sk.optional == Some(true)
                ),
            );
        } else if let Some(ck) = &vf.config_map_key_ref {
            w.write(
                LEVEL_3,
                &format!(
                    "{}:\t<set to the key '{}' of config map '{}'>\tOptional: {}\n",
                    e.name,
                    ck.key,
                    ck.name,
                    ck.optional == Some(true)
                ),
            );
        }
    }
}

fn describe_container_volumes(w: &mut PrefixWriter, c: &Container) {
    let mut mounts: Vec<_> = c.volume_mounts.iter().flatten().collect();
    if mounts.is_empty() {
        w.write(LEVEL_2, "Mounts:\t<none>\n");
    } else {
        w.write(LEVEL_2, "Mounts:\n");
    }
    go_sort(
        &mut mounts,
        &|a: &&k8s_openapi::api::core::v1::VolumeMount,
          b: &&k8s_openapi::api::core::v1::VolumeMount| { a.mount_path < b.mount_path },
    );
    for m in mounts {
        let mut flags = vec![if m.read_only == Some(true) {
            "ro"
        } else {
            "rw"
        }
        .to_string()];
        if let Some(sp) = m.sub_path.as_ref().filter(|s| !s.is_empty()) {
            flags.push(format!("path={sp:?}"));
        }
        w.write(
            LEVEL_3,
            &format!("{} from {} ({})\n", m.mount_path, m.name, flags.join(",")),
        );
    }
    let mut devices: Vec<_> = c.volume_devices.iter().flatten().collect();
    if !devices.is_empty() {
        w.write(LEVEL_2, "Devices:\n");
        go_sort(
            &mut devices,
            &|a: &&k8s_openapi::api::core::v1::VolumeDevice,
              b: &&k8s_openapi::api::core::v1::VolumeDevice| {
                a.device_path < b.device_path
            },
        );
        for d in devices {
            w.write(LEVEL_3, &format!("{} from {}\n", d.device_path, d.name));
        }
    }
}

/// `describeContainers`; `pod` resolves fieldRef env vars (None for
/// templates) and `statuses` gives the runtime state (empty for templates).
pub(super) fn describe_containers(
    w: &mut PrefixWriter,
    label: &str,
    containers: &[Container],
    statuses: &[ContainerStatus],
    pod: Option<&Pod>,
    space: &str,
) {
    let none = if containers.is_empty() { " <none>" } else { "" };
    w.write(LEVEL_0, &format!("{space}{label}:{none}\n"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for c in containers {
        let status = statuses.iter().rev().find(|s| s.name == c.name);
        w.write(LEVEL_1, &format!("{name_indent}{}:\n", c.name));
        if let Some(st) = status {
            w.write(
                LEVEL_2,
                &format!("Container ID:\t{}\n", or_empty(st.container_id.as_ref())),
            );
        }
        w.write(
            LEVEL_2,
            &format!("Image:\t{}\n", or_empty(c.image.as_ref())),
        );
        if let Some(st) = status {
            w.write(LEVEL_2, &format!("Image ID:\t{}\n", st.image_id));
        }
        describe_container_ports(w, c);
        if let Some(sp) = c
            .security_context
            .as_ref()
            .and_then(|s| s.seccomp_profile.as_ref())
        {
            w.write(LEVEL_2, &format!("SeccompProfile:\t{}\n", sp.type_));
            if sp.type_ == "Localhost" {
                w.write(
                    LEVEL_3,
                    &format!(
                        "LocalhostProfile:\t{}\n",
                        or_empty(sp.localhost_profile.as_ref())
                    ),
                );
            }
        }
        describe_container_command(w, c);
        if let Some(st) = status {
            describe_status(w, "State", st.state.as_ref());
            if let Some(last) = st.last_state.as_ref().filter(|l| l.terminated.is_some()) {
                describe_status(w, "Last State", Some(last));
            }
            w.write(LEVEL_2, &format!("Ready:\t{}\n", print_bool(st.ready)));
            w.write(LEVEL_2, &format!("Restart Count:\t{}\n", st.restart_count));
        }
        describe_resources(w, c.resources.as_ref(), LEVEL_2);
        for (title, probe) in [
            ("Liveness", &c.liveness_probe),
            ("Readiness", &c.readiness_probe),
            ("Startup", &c.startup_probe),
        ] {
            if let Some(p) = probe {
                w.write(LEVEL_2, &format!("{title}:\t{}\n", describe_probe(p)));
            }
        }
        describe_container_env(w, c, pod);
        describe_container_volumes(w, c);
    }
}

/// Port and Host Port (or Ports and Host Ports when there are several),
/// `<none>` when the container declares no port.
fn describe_container_ports(w: &mut PrefixWriter, c: &Container) {
    let ports = c.ports.as_deref().unwrap_or(&[]);
    let proto = |p: &ContainerPort| p.protocol.clone().unwrap_or_else(|| "TCP".to_string());
    let port_string = ports
        .iter()
        .map(|p| format!("{}/{}", p.container_port, proto(p)))
        .collect::<Vec<_>>()
        .join(", ");
    let host_port_string = ports
        .iter()
        .map(|p| format!("{}/{}", p.host_port.unwrap_or(0), proto(p)))
        .collect::<Vec<_>>()
        .join(", ");
    let or_none = |s: &str| {
        if s.is_empty() {
            "<none>".to_string()
        } else {
            s.to_string()
        }
    };
    if port_string.contains(',') {
        w.write(LEVEL_2, &format!("Ports:\t{port_string}\n"));
    } else {
        w.write(LEVEL_2, &format!("Port:\t{}\n", or_none(&port_string)));
    }
    if host_port_string.contains(',') {
        w.write(LEVEL_2, &format!("Host Ports:\t{host_port_string}\n"));
    } else {
        w.write(
            LEVEL_2,
            &format!("Host Port:\t{}\n", or_none(&host_port_string)),
        );
    }
}

/// Command and Args, one line per item (and per line of a multi-line
/// item), each only when set.
fn describe_container_command(w: &mut PrefixWriter, c: &Container) {
    for (title, items) in [("Command", &c.command), ("Args", &c.args)] {
        if let Some(items) = items.as_ref().filter(|v| !v.is_empty()) {
            w.write(LEVEL_2, &format!("{title}:\n"));
            for item in items {
                for s in item.split('\n') {
                    w.write(LEVEL_3, &format!("{s}\n"));
                }
            }
        }
    }
}
