//! The network tables: Service, Ingress, Endpoints and EndpointSlice
//! (`k8s.io/kubernetes/pkg/printers/internalversion/printers.go`), with the
//! "+ N more..." counting quirks of `formatEndpoints`, `formatHosts` and
//! the EndpointSlice printer kept as the apiserver has them.

use k8s_openapi::api::core::v1::{Endpoints, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::jiff::Timestamp;

use super::{col, format_labels, name_of, obj_age, wide, Column, Printable};

/// `net.JoinHostPort`.
fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `loadBalancerStatusStringer` with `wide` true (the apiserver always
/// generates wide cells): sorted, de-duplicated IPs or hostnames.
fn load_balancer_string<'a>(
    ingress: impl Iterator<Item = (Option<&'a String>, Option<&'a String>)>,
) -> String {
    let mut set = std::collections::BTreeSet::new();
    for (ip, hostname) in ingress {
        match (
            ip.filter(|v| !v.is_empty()),
            hostname.filter(|v| !v.is_empty()),
        ) {
            (Some(ip), _) => {
                set.insert(ip.clone());
            }
            (None, Some(h)) => {
                set.insert(h.clone());
            }
            (None, None) => {}
        }
    }
    set.into_iter().collect::<Vec<_>>().join(",")
}

impl Printable for Service {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Type"),
            col("Cluster-IP"),
            col("External-IP"),
            col("Port(s)"),
            col("Age"),
            wide("Selector"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let spec = self.spec.as_ref();
        let svc_type = spec
            .and_then(|s| s.type_.clone())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "ClusterIP".to_string());
        let cluster_ip = spec
            .and_then(|s| s.cluster_ips.as_ref())
            .and_then(|ips| ips.first().cloned())
            .or_else(|| {
                spec.and_then(|s| s.cluster_ip.clone())
                    .filter(|ip| !ip.is_empty())
            })
            .unwrap_or_else(|| "<none>".to_string());
        let external_ips: &[String] = spec.and_then(|s| s.external_ips.as_deref()).unwrap_or(&[]);
        let external = match svc_type.as_str() {
            "ClusterIP" | "NodePort" => {
                if external_ips.is_empty() {
                    "<none>".to_string()
                } else {
                    external_ips.join(",")
                }
            }
            "LoadBalancer" => {
                let lb = load_balancer_string(
                    self.status
                        .iter()
                        .flat_map(|s| s.load_balancer.iter())
                        .flat_map(|lb| lb.ingress.iter().flatten())
                        .map(|i| (i.ip.as_ref(), i.hostname.as_ref())),
                );
                if !external_ips.is_empty() {
                    let mut all: Vec<String> = Vec::new();
                    if !lb.is_empty() {
                        all.extend(lb.split(',').map(str::to_string));
                    }
                    all.extend(external_ips.iter().cloned());
                    all.join(",")
                } else if !lb.is_empty() {
                    lb
                } else {
                    "<pending>".to_string()
                }
            }
            "ExternalName" => spec
                .and_then(|s| s.external_name.clone())
                .unwrap_or_default(),
            _ => "<unknown>".to_string(),
        };
        let ports: Vec<String> = spec
            .and_then(|s| s.ports.as_deref())
            .unwrap_or(&[])
            .iter()
            .map(|p| {
                let proto = p.protocol.as_deref().unwrap_or("TCP");
                match p.node_port {
                    Some(np) if np > 0 => format!("{}:{}/{}", p.port, np, proto),
                    _ => format!("{}/{}", p.port, proto),
                }
            })
            .collect();
        let mut ports = ports.join(",");
        if ports.is_empty() {
            ports = "<none>".to_string();
        }
        vec![
            name_of(&self.metadata),
            svc_type,
            cluster_ip,
            external,
            ports,
            obj_age(&self.metadata, now),
            format_labels(spec.and_then(|s| s.selector.as_ref())),
        ]
    }
}

impl Printable for IngressClass {
    const NAMESPACED: bool = false;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Controller"),
            col("Parameters"),
            col("Age"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let spec = self.spec.as_ref();
        // printIngressClass: Kind[.apiGroup]/name, or <none>.
        let parameters = spec.and_then(|s| s.parameters.as_ref()).map_or_else(
            || "<none>".to_string(),
            |p| match &p.api_group {
                Some(g) => format!("{}.{g}/{}", p.kind, p.name),
                None => format!("{}/{}", p.kind, p.name),
            },
        );
        vec![
            name_of(&self.metadata),
            spec.and_then(|s| s.controller.clone()).unwrap_or_default(),
            parameters,
            obj_age(&self.metadata, now),
        ]
    }
}

impl Printable for Ingress {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("Class"),
            col("Hosts"),
            col("Address"),
            col("Ports"),
            col("Age"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let spec = self.spec.as_ref();
        let class = spec
            .and_then(|s| s.ingress_class_name.clone())
            .unwrap_or_else(|| "<none>".to_string());
        // formatHosts, including its counting quirk.
        let rules = spec.and_then(|s| s.rules.as_deref()).unwrap_or(&[]);
        let max = 3;
        let mut list: Vec<&str> = Vec::new();
        let mut more = false;
        for r in rules {
            if list.len() == max {
                more = true;
            }
            let host = r.host.as_deref().unwrap_or("");
            if !more && !host.is_empty() {
                list.push(host);
            }
        }
        let hosts = if list.is_empty() {
            "*".to_string()
        } else if more {
            format!("{} + {} more...", list.join(","), rules.len() - max)
        } else {
            list.join(",")
        };
        let address = load_balancer_string(
            self.status
                .iter()
                .flat_map(|s| s.load_balancer.iter())
                .flat_map(|lb| lb.ingress.iter().flatten())
                .map(|i| (i.ip.as_ref(), i.hostname.as_ref())),
        );
        let ports = if spec.and_then(|s| s.tls.as_ref()).map(|t| !t.is_empty()) == Some(true) {
            "80, 443"
        } else {
            "80"
        };
        vec![
            name_of(&self.metadata),
            class,
            hosts,
            address,
            ports.to_string(),
            obj_age(&self.metadata, now),
        ]
    }
}

impl Printable for Endpoints {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[col("Name"), col("Endpoints"), col("Age")];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        // formatEndpoints(endpoints, nil), including its counting quirks.
        let subsets = self.subsets.as_deref().unwrap_or(&[]);
        let text = if subsets.is_empty() {
            "<none>".to_string()
        } else {
            let max = 3;
            let mut list: Vec<String> = Vec::new();
            let mut more = false;
            let mut count = 0usize;
            for ss in subsets {
                let addrs = ss.addresses.as_deref().unwrap_or(&[]);
                let ports = ss.ports.as_deref().unwrap_or(&[]);
                if ports.is_empty() {
                    count += addrs.len();
                    for a in addrs {
                        if list.len() == max {
                            more = true;
                            break;
                        }
                        list.push(a.ip.clone());
                    }
                    continue;
                }
                for p in ports {
                    count += addrs.len();
                    for a in addrs {
                        if list.len() == max {
                            more = true;
                            break;
                        }
                        list.push(join_host_port(&a.ip, &p.port.to_string()));
                    }
                }
            }
            let ret = list.join(",");
            if more {
                format!("{} + {} more...", ret, count.saturating_sub(max))
            } else {
                ret
            }
        };
        vec![name_of(&self.metadata), text, obj_age(&self.metadata, now)]
    }
}

fn list_with_more(list: &[String], more: bool, count: usize, max: usize) -> String {
    let ret = list.join(",");
    if more {
        return format!("{} + {} more...", ret, count.saturating_sub(max));
    }
    if ret.is_empty() {
        "<unset>".to_string()
    } else {
        ret
    }
}

impl Printable for EndpointSlice {
    const NAMESPACED: bool = true;

    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("Name"),
            col("AddressType"),
            col("Ports"),
            col("Endpoints"),
            col("Age"),
        ];
        COLUMNS
    }

    fn cells(&self, now: Timestamp) -> Vec<String> {
        let max = 3;
        let (mut ports, mut more, mut count) = (Vec::new(), false, 0usize);
        for p in self.ports.iter().flatten() {
            if ports.len() < max {
                ports.push(match (p.port, p.name.as_ref()) {
                    (Some(n), _) => n.to_string(),
                    (None, Some(name)) => name.clone(),
                    (None, None) => "*".to_string(),
                });
            } else if ports.len() == max {
                more = true;
            }
            count += 1;
        }
        let ports_str = list_with_more(&ports, more, count, max);
        let (mut addrs, mut more, mut count) = (Vec::new(), false, 0usize);
        for e in &self.endpoints {
            for a in &e.addresses {
                if addrs.len() < max {
                    addrs.push(a.clone());
                } else if addrs.len() == max {
                    more = true;
                }
                count += 1;
            }
        }
        vec![
            name_of(&self.metadata),
            self.address_type.clone(),
            ports_str,
            list_with_more(&addrs, more, count, max),
            obj_age(&self.metadata, now),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printers::test_fixtures::*;
    use crate::printers::{print_table, PrintOptions};
    use k8s_openapi::api::core::v1::{ServicePort, ServiceSpec};

    #[test]
    fn services_table() {
        use k8s_openapi::api::core::v1::{LoadBalancerIngress, LoadBalancerStatus, ServiceStatus};
        let kubernetes = Service {
            metadata: meta(Some("default"), "kubernetes", 86400 * 2),
            spec: Some(ServiceSpec {
                type_: Some("ClusterIP".into()),
                cluster_ip: Some("10.96.0.1".into()),
                cluster_ips: Some(vec!["10.96.0.1".into()]),
                ports: Some(vec![ServicePort {
                    name: Some("https".into()),
                    port: 443,
                    protocol: Some("TCP".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            status: None,
        };
        let np = Service {
            metadata: meta(Some("default"), "web", 100),
            spec: Some(ServiceSpec {
                type_: Some("NodePort".into()),
                cluster_ip: Some("10.96.12.34".into()),
                selector: labels(&[("app", "web")]),
                ports: Some(vec![ServicePort {
                    port: 80,
                    node_port: Some(30080),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            status: None,
        };
        let lb = Service {
            metadata: meta(Some("default"), "lb", 100),
            spec: Some(ServiceSpec {
                type_: Some("LoadBalancer".into()),
                cluster_ips: Some(vec!["10.96.7.7".into()]),
                ports: Some(vec![
                    ServicePort {
                        port: 80,
                        node_port: Some(31000),
                        protocol: Some("TCP".into()),
                        ..Default::default()
                    },
                    ServicePort {
                        port: 53,
                        node_port: Some(31001),
                        protocol: Some("UDP".into()),
                        ..Default::default()
                    },
                ]),
                ..Default::default()
            }),
            status: Some(ServiceStatus {
                load_balancer: Some(LoadBalancerStatus {
                    ingress: Some(vec![LoadBalancerIngress {
                        ip: Some("203.0.113.10".into()),
                        ..Default::default()
                    }]),
                }),
                ..Default::default()
            }),
        };
        let pending = Service {
            metadata: meta(Some("default"), "lb2", 100),
            spec: Some(ServiceSpec {
                type_: Some("LoadBalancer".into()),
                cluster_ips: Some(vec!["None".into()]),
                ..Default::default()
            }),
            status: None,
        };
        let refs = vec![&kubernetes, &np, &lb, &pending];
        let want = "\
NAME         TYPE           CLUSTER-IP    EXTERNAL-IP    PORT(S)                     AGE    SELECTOR
kubernetes   ClusterIP      10.96.0.1     <none>         443/TCP                     2d     <none>
web          NodePort       10.96.12.34   <none>         80:30080/TCP                100s   app=web
lb           LoadBalancer   10.96.7.7     203.0.113.10   80:31000/TCP,53:31001/UDP   100s   <none>
lb2          LoadBalancer   None          <pending>      <none>                      100s   <none>
";
        let got = print_table(
            &refs,
            now(),
            &PrintOptions {
                wide: true,
                ..Default::default()
            },
        );
        assert_eq!(got, want);
    }

    #[test]
    fn endpoints_tables() {
        use k8s_openapi::api::core::v1::{EndpointAddress, EndpointPort, EndpointSubset};
        use k8s_openapi::api::discovery::v1::{Endpoint, EndpointPort as DPort};
        let addr = |ip: &str| EndpointAddress {
            ip: ip.into(),
            ..Default::default()
        };
        let ep = Endpoints {
            metadata: meta(Some("default"), "web", 100),
            subsets: Some(vec![EndpointSubset {
                addresses: Some(vec![
                    addr("10.244.1.5"),
                    addr("10.244.2.7"),
                    addr("10.244.3.9"),
                    addr("fd00::1"),
                ]),
                ports: Some(vec![EndpointPort {
                    port: 80,
                    ..Default::default()
                }]),
                ..Default::default()
            }]),
        };
        let none = Endpoints {
            metadata: meta(Some("default"), "empty", 100),
            subsets: None,
        };
        let want = "\
NAME    ENDPOINTS                                               AGE
web     10.244.1.5:80,10.244.2.7:80,10.244.3.9:80 + 1 more...   100s
empty   <none>                                                  100s
";
        assert_eq!(
            print_table(&[&ep, &none], now(), &PrintOptions::default()),
            want
        );
        let slice = EndpointSlice {
            metadata: meta(Some("default"), "web-abc12", 100),
            address_type: "IPv4".into(),
            endpoints: vec![Endpoint {
                addresses: vec!["10.244.1.5".into()],
                ..Default::default()
            }],
            ports: Some(vec![DPort {
                port: Some(80),
                ..Default::default()
            }]),
        };
        let bare = EndpointSlice {
            metadata: meta(Some("default"), "bare", 100),
            address_type: "IPv6".into(),
            endpoints: vec![],
            ports: None,
        };
        let want = "\
NAME        ADDRESSTYPE   PORTS     ENDPOINTS    AGE
web-abc12   IPv4          80        10.244.1.5   100s
bare        IPv6          <unset>   <unset>      100s
";
        assert_eq!(
            print_table(&[&slice, &bare], now(), &PrintOptions::default()),
            want
        );
    }

    #[test]
    fn ingress_table() {
        use k8s_openapi::api::networking::v1::{
            IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressRule, IngressSpec,
            IngressStatus, IngressTLS,
        };
        let rule = |h: &str| IngressRule {
            host: Some(h.into()),
            http: None,
        };
        let ing = Ingress {
            metadata: meta(Some("default"), "web", 100),
            spec: Some(IngressSpec {
                ingress_class_name: Some("nginx".into()),
                rules: Some(vec![rule("a.example.com"), rule("b.example.com")]),
                tls: Some(vec![IngressTLS::default()]),
                ..Default::default()
            }),
            status: Some(IngressStatus {
                load_balancer: Some(IngressLoadBalancerStatus {
                    ingress: Some(vec![IngressLoadBalancerIngress {
                        hostname: Some("lb.example.com".into()),
                        ..Default::default()
                    }]),
                }),
            }),
        };
        let many = Ingress {
            metadata: meta(Some("default"), "many", 100),
            spec: Some(IngressSpec {
                rules: Some(vec![rule("a"), rule("b"), rule("c"), rule("d"), rule("e")]),
                ..Default::default()
            }),
            status: None,
        };
        let want = "\
NAME   CLASS    HOSTS                         ADDRESS          PORTS     AGE
web    nginx    a.example.com,b.example.com   lb.example.com   80, 443   100s
many   <none>   a,b,c + 2 more...                              80        100s
";
        assert_eq!(
            print_table(&[&ing, &many], now(), &PrintOptions::default()),
            want
        );
    }
}
