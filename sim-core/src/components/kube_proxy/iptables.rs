//! The node's Service rules as the kernel holds them, printed as
//! `iptables-save` and `iptables -L -n` print them: kube-proxy's chains
//! (pkg/proxy/iptables/proxier.go, `syncProxyRules`) made from the
//! [`ServiceTable`] it last synced, with the kubelet's own chains.
//!
//! Chain names are kube-proxy's: `KUBE-SVC-`, `KUBE-SVL-`, `KUBE-EXT-` and
//! `KUBE-FW-` followed by the first 16 characters of the base32 (RFC 4648)
//! SHA-256 of the Service port's name and its protocol in lower case
//! (`default/web:httptcp`), `KUBE-SEP-` the same of the name, protocol and
//! endpoint (`default/web:httptcp10.244.1.5:80`). Rules are printed as
//! `iptables-save` normalises them (addresses with `/32`, comments quoted,
//! `--or-mark` as `--set-xmark`, REJECT with its default `--reject-with`,
//! probabilities read back from the kernel's fixed point with eleven
//! decimals). Differences from a real node: Services are printed in name
//! order (kube-proxy writes them in Go map order, different at every
//! sync), no CNI chains, no packet counters, no nfacct rules.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use data_encoding::BASE32;
use sha2::{Digest, Sha256};

use super::service_table::{Endpoint, Protocol, ServicePort, ServiceTable};
use crate::config::network::Cidr;

/// The masquerade mark (`1 << masqueradeBit`, bit 14).
const MASQ_MARK: &str = "0x4000";

/// The first 16 base32 characters of the SHA-256 of `input`.
fn hash16(input: &str) -> String {
    let digest = Sha256::digest(input.as_bytes());
    BASE32.encode(&digest)[..16].to_owned()
}

/// The suffix of a Service port's chains (`portProtoHash`).
pub fn port_proto_hash(sp: &ServicePort) -> String {
    hash16(&format!("{}{}", sp.name, sp.protocol.iptables_name()))
}

/// An endpoint's chain (`servicePortEndpointChainName`).
pub fn endpoint_chain(sp: &ServicePort, ep: &Endpoint) -> String {
    format!(
        "KUBE-SEP-{}",
        hash16(&format!(
            "{}{}{}",
            sp.name,
            sp.protocol.iptables_name(),
            ep.address()
        ))
    )
}

/// A match of a rule, as `iptables-save` and `iptables -L` print it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Match {
    Comment(String),
    /// `-m tcp [--dport N]`.
    Proto(Protocol, Option<u16>),
    /// `-m addrtype --src-type|--dst-type LOCAL`.
    AddrType {
        source: bool,
    },
    /// `-m conntrack [!] --ctstate STATES`.
    Conntrack {
        negated: bool,
        states: &'static str,
    },
    /// `-m mark [!] --mark 0x4000/0x4000`.
    Mark {
        negated: bool,
    },
    /// `-m statistic --mode random --probability 1/N`.
    Statistic(usize),
    /// `-m recent --rcheck --seconds T --reap` (Some) or `--set` (None).
    Recent {
        name: String,
        check_s: Option<u32>,
    },
}

/// A rule's target.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    Jump(String),
    Accept,
    Drop,
    Return,
    Reject,
    /// `MARK --set-xmark 0x4000/0x4000` (`--or-mark`) or `/0x0` (`--xor-mark`).
    Mark {
        or: bool,
    },
    Masquerade,
    Dnat(String),
}

/// One rule.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    chain: String,
    source: Option<(bool, String)>,
    destination: Option<String>,
    protocol: Option<Protocol>,
    matches: Vec<Match>,
    target: Target,
}

impl Rule {
    fn new(chain: &str, target: Target) -> Self {
        Self {
            chain: chain.to_owned(),
            source: None,
            destination: None,
            protocol: None,
            matches: Vec::new(),
            target,
        }
    }

    fn src(mut self, negated: bool, cidr: impl Into<String>) -> Self {
        self.source = Some((negated, cidr.into()));
        self
    }

    fn dst(mut self, cidr: impl Into<String>) -> Self {
        self.destination = Some(cidr.into());
        self
    }

    fn proto(mut self, p: Protocol) -> Self {
        self.protocol = Some(p);
        self
    }

    fn with(mut self, m: Match) -> Self {
        self.matches.push(m);
        self
    }

    fn comment(self, c: impl Into<String>) -> Self {
        self.with(Match::Comment(c.into()))
    }
}

/// One table: its built-in chains with their policies, its user chains,
/// its rules in the order written.
#[derive(Clone, Debug, Default)]
struct Table {
    builtin: &'static [&'static str],
    chains: BTreeMap<String, ()>,
    rules: Vec<Rule>,
}

impl Table {
    fn new(builtin: &'static [&'static str], chains: &[&str]) -> Self {
        let mut t = Self {
            builtin,
            ..Self::default()
        };
        for c in chains {
            t.chain(c);
        }
        t
    }

    fn chain(&mut self, name: &str) {
        self.chains.insert(name.to_owned(), ());
    }

    fn push(&mut self, rule: Rule) {
        if !self.builtin.contains(&rule.chain.as_str()) {
            self.chain(&rule.chain.clone());
        }
        self.rules.push(rule);
    }

    /// Chains in `iptables-save` order: built-in chains in hook order, then
    /// user chains by name.
    fn chain_order(&self) -> Vec<&str> {
        self.builtin
            .iter()
            .copied()
            .chain(self.chains.keys().map(String::as_str))
            .collect()
    }
}

/// A node's tables.
#[derive(Clone, Debug)]
pub struct NodeRules {
    mangle: Table,
    filter: Table,
    nat: Table,
}

const KUBELET_CANARY: &str = "KUBE-KUBELET-CANARY";
const PROXY_CANARY: &str = "KUBE-PROXY-CANARY";

impl NodeRules {
    /// The tables of `node` whose kube-proxy last synced `table` (None:
    /// kube-proxy has written nothing since the node booted: the kubelet's
    /// chains only). `cluster_cidr` is kube-proxy's `clusterCIDR`.
    pub fn build(table: Option<&ServiceTable>, node: &str, cluster_cidr: Cidr) -> Self {
        let mut mangle = Table::new(
            &["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
            &["KUBE-IPTABLES-HINT", KUBELET_CANARY],
        );
        let mut filter = Table::new(
            &["INPUT", "FORWARD", "OUTPUT"],
            &["KUBE-FIREWALL", KUBELET_CANARY],
        );
        let mut nat = Table::new(
            &["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
            &[KUBELET_CANARY],
        );
        let Some(table) = table else {
            // The kubelet's rules alone.
            filter.push(Rule::new("INPUT", Target::Jump("KUBE-FIREWALL".into())));
            filter.push(Rule::new("OUTPUT", Target::Jump("KUBE-FIREWALL".into())));
            filter.push(localnet_rule());
            return Self {
                mangle,
                filter,
                nat,
            };
        };
        mangle.chain(PROXY_CANARY);
        for c in [
            PROXY_CANARY,
            "KUBE-SERVICES",
            "KUBE-EXTERNAL-SERVICES",
            "KUBE-FORWARD",
            "KUBE-NODEPORTS",
            "KUBE-PROXY-FIREWALL",
        ] {
            filter.chain(c);
        }
        for c in [
            PROXY_CANARY,
            "KUBE-SERVICES",
            "KUBE-NODEPORTS",
            "KUBE-POSTROUTING",
            "KUBE-MARK-MASQ",
        ] {
            nat.chain(c);
        }
        jump_rules(&mut filter, &mut nat);
        filter.push(localnet_rule());
        nat.push(Rule::new("KUBE-POSTROUTING", Target::Return).with(Match::Mark { negated: true }));
        nat.push(Rule::new("KUBE-POSTROUTING", Target::Mark { or: false }));
        nat.push(
            Rule::new("KUBE-POSTROUTING", Target::Masquerade)
                .comment("kubernetes service traffic requiring SNAT"),
        );
        nat.push(Rule::new("KUBE-MARK-MASQ", Target::Mark { or: true }));
        let cidr = format!("{}/{}", cluster_cidr.network(), cluster_cidr.prefix());
        for sp in table.ports() {
            service_rules(sp, node, &cidr, &mut filter, &mut nat);
        }
        filter.push(
            Rule::new("KUBE-FORWARD", Target::Drop).with(Match::Conntrack {
                negated: false,
                states: "INVALID",
            }),
        );
        filter.push(
            Rule::new("KUBE-FORWARD", Target::Accept)
                .comment("kubernetes forwarding rules")
                .with(Match::Mark { negated: false }),
        );
        filter.push(
            Rule::new("KUBE-FORWARD", Target::Accept)
                .comment("kubernetes forwarding conntrack rule")
                .with(Match::Conntrack {
                    negated: false,
                    states: "RELATED,ESTABLISHED",
                }),
        );
        nat.push(
            Rule::new("KUBE-SERVICES", Target::Jump("KUBE-NODEPORTS".into()))
                .comment(
                    "kubernetes service nodeports; NOTE: this must be the last rule in this chain",
                )
                .with(Match::AddrType { source: false }),
        );
        Self {
            mangle,
            filter,
            nat,
        }
    }

    fn table(&self, name: &str) -> Option<&Table> {
        match name {
            "filter" => Some(&self.filter),
            "nat" => Some(&self.nat),
            "mangle" => Some(&self.mangle),
            _ => None,
        }
    }

    /// `iptables-save [-t TABLE]` at `stamp` (ctime's `Mon Dec  7 18:33:39
    /// 2026`); None for a table the node does not have.
    pub fn save(&self, only: Option<&str>, stamp: &str) -> Option<String> {
        let names: Vec<&str> = match only {
            Some(t) => vec![self.table(t).map(|_| t)?],
            None => vec!["mangle", "filter", "nat"],
        };
        let mut out = String::new();
        for name in names {
            let t = self.table(name)?;
            let _ = writeln!(
                out,
                "# Generated by iptables-save v1.8.9 (nf_tables) on {stamp}"
            );
            let _ = writeln!(out, "*{name}");
            for c in t.builtin {
                let _ = writeln!(out, ":{c} ACCEPT [0:0]");
            }
            for c in t.chains.keys() {
                let _ = writeln!(out, ":{c} - [0:0]");
            }
            for chain in t.chain_order() {
                for r in t.rules.iter().filter(|r| r.chain == chain) {
                    out.push_str(&save_rule(r));
                    out.push('\n');
                }
            }
            out.push_str("COMMIT\n");
            let _ = writeln!(out, "# Completed on {stamp}");
        }
        Some(out)
    }

    /// `iptables [-t TABLE] -L [CHAIN] [-n]`; None for an unknown table,
    /// Err for a chain the table does not have. Without `numeric`, any
    /// address is `anywhere` and well-known ports have their service names.
    pub fn list(
        &self,
        table: &str,
        chain: Option<&str>,
        numeric: bool,
    ) -> Option<Result<String, String>> {
        let t = self.table(table)?;
        let chains: Vec<&str> = match chain {
            Some(c) if t.chain_order().contains(&c) => vec![c],
            Some(_) => {
                return Some(Err(
                    "iptables: No chain/target/match by that name.".to_owned()
                ))
            }
            None => t.chain_order(),
        };
        let mut out = String::new();
        for (i, c) in chains.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            if t.builtin.contains(c) {
                let _ = writeln!(out, "Chain {c} (policy ACCEPT)");
            } else {
                let refs = t
                    .rules
                    .iter()
                    .filter(|r| r.target == Target::Jump((*c).to_owned()))
                    .count();
                let _ = writeln!(out, "Chain {c} ({refs} references)");
            }
            out.push_str("target     prot opt source               destination         \n");
            for r in t.rules.iter().filter(|r| r.chain == *c) {
                out.push_str(&list_rule(r, numeric));
                out.push('\n');
            }
        }
        Some(Ok(out))
    }
}

/// The kubelet's rule against connections to localhost from elsewhere.
fn localnet_rule() -> Rule {
    Rule::new("KUBE-FIREWALL", Target::Drop)
        .src(true, "127.0.0.0/8")
        .dst("127.0.0.0/8")
        .comment("block incoming localnet connections")
        .with(Match::Conntrack {
            negated: true,
            states: "RELATED,ESTABLISHED,DNAT",
        })
}

/// The jumps from the built-in chains, as a real node shows them (kube-proxy
/// prepends its own before the kubelet's `KUBE-FIREWALL`).
fn jump_rules(filter: &mut Table, nat: &mut Table) {
    let new = Match::Conntrack {
        negated: false,
        states: "NEW",
    };
    let jump = |chain: &str, to: &str, comment: &str, ct: bool| {
        let mut r = Rule::new(chain, Target::Jump(to.to_owned()));
        if ct {
            r = r.with(new.clone());
        }
        r.comment(comment)
    };
    let fw = "kubernetes load balancer firewall";
    let portals = "kubernetes service portals";
    let external = "kubernetes externally-visible service portals";
    for r in [
        jump("INPUT", "KUBE-PROXY-FIREWALL", fw, true),
        jump(
            "INPUT",
            "KUBE-NODEPORTS",
            "kubernetes health check service ports",
            false,
        ),
        jump("INPUT", "KUBE-EXTERNAL-SERVICES", external, true),
        Rule::new("INPUT", Target::Jump("KUBE-FIREWALL".into())),
        jump("FORWARD", "KUBE-PROXY-FIREWALL", fw, true),
        jump(
            "FORWARD",
            "KUBE-FORWARD",
            "kubernetes forwarding rules",
            false,
        ),
        jump("FORWARD", "KUBE-SERVICES", portals, true),
        jump("FORWARD", "KUBE-EXTERNAL-SERVICES", external, true),
        jump("OUTPUT", "KUBE-PROXY-FIREWALL", fw, true),
        jump("OUTPUT", "KUBE-SERVICES", portals, true),
        Rule::new("OUTPUT", Target::Jump("KUBE-FIREWALL".into())),
    ] {
        filter.push(r);
    }
    nat.push(jump("PREROUTING", "KUBE-SERVICES", portals, false));
    nat.push(jump("OUTPUT", "KUBE-SERVICES", portals, false));
    nat.push(jump(
        "POSTROUTING",
        "KUBE-POSTROUTING",
        "kubernetes postrouting rules",
        false,
    ));
}

/// The rules of one Service port on `node` (`syncProxyRules`' loop body).
fn service_rules(sp: &ServicePort, node: &str, cidr: &str, filter: &mut Table, nat: &mut Table) {
    let Some(cluster_ip) = sp.cluster_ip else {
        return;
    };
    let spn = sp.name.to_string();
    let p = sp.protocol;
    let hash = port_proto_hash(sp);
    let svc_chain = format!("KUBE-SVC-{hash}");
    let svl_chain = format!("KUBE-SVL-{hash}");
    let ext_chain = format!("KUBE-EXT-{hash}");
    let uses_cluster = !sp.internal_local || (sp.has_external() && !sp.external_local);
    let uses_local = sp.internal_local || sp.external_local;
    let cluster = if uses_cluster {
        sp.cluster_endpoints()
    } else {
        Vec::new()
    };
    let local = if uses_local {
        sp.local_endpoints(node)
    } else {
        Vec::new()
    };
    // Any endpoint that would take traffic, anywhere.
    let has_endpoints = !sp.cluster_endpoints().is_empty();
    let (internal_chain, has_internal) = if sp.internal_local {
        (&svl_chain, has_endpoints && !local.is_empty())
    } else {
        (&svc_chain, has_endpoints)
    };
    let (external_policy_chain, has_external) = if sp.external_local {
        (&svl_chain, has_endpoints && !local.is_empty())
    } else {
        (&svc_chain, has_endpoints)
    };
    let filter_target = |local_policy: bool| {
        if local_policy && has_endpoints {
            (format!("{spn} has no local endpoints"), Target::Drop)
        } else {
            (format!("{spn} has no endpoints"), Target::Reject)
        }
    };
    let cip = format!("{cluster_ip}/32");
    let port_match = Match::Proto(p, Some(sp.port));

    // The cluster IP.
    if has_internal {
        nat.push(
            Rule::new("KUBE-SERVICES", Target::Jump(internal_chain.clone()))
                .dst(&cip)
                .proto(p)
                .comment(format!("{spn} cluster IP"))
                .with(port_match.clone()),
        );
    } else {
        let (comment, target) = filter_target(sp.internal_local);
        filter.push(
            Rule::new("KUBE-SERVICES", target)
                .dst(&cip)
                .proto(p)
                .comment(comment)
                .with(port_match.clone()),
        );
    }
    // External and load-balancer addresses.
    for (ips, what) in [
        (&sp.external_ips, "external IP"),
        (&sp.load_balancer_ips, "loadbalancer IP"),
    ] {
        for ip in ips.iter() {
            if has_endpoints {
                nat.push(
                    Rule::new("KUBE-SERVICES", Target::Jump(ext_chain.clone()))
                        .dst(format!("{ip}/32"))
                        .proto(p)
                        .comment(format!("{spn} {what}"))
                        .with(port_match.clone()),
                );
            }
            if !has_external {
                let (comment, target) = filter_target(sp.external_local);
                filter.push(
                    Rule::new("KUBE-EXTERNAL-SERVICES", target)
                        .dst(format!("{ip}/32"))
                        .proto(p)
                        .comment(comment)
                        .with(port_match.clone()),
                );
            }
        }
    }
    // The node port.
    if let Some(np) = sp.node_port {
        if has_endpoints {
            nat.push(
                Rule::new("KUBE-NODEPORTS", Target::Jump(ext_chain.clone()))
                    .proto(p)
                    .comment(spn.clone())
                    .with(Match::Proto(p, Some(np))),
            );
        }
        if !has_external {
            let (comment, target) = filter_target(sp.external_local);
            filter.push(
                Rule::new("KUBE-EXTERNAL-SERVICES", target)
                    .proto(p)
                    .comment(comment)
                    .with(Match::AddrType { source: false })
                    .with(Match::Proto(p, Some(np))),
            );
        }
    }
    // Masquerade traffic to the cluster IP from outside the pod network.
    if has_internal {
        nat.push(
            Rule::new(internal_chain, Target::Jump("KUBE-MARK-MASQ".into()))
                .src(true, cidr)
                .dst(&cip)
                .proto(p)
                .comment(format!("{spn} cluster IP"))
                .with(port_match.clone()),
        );
    }
    // The external chain.
    if has_endpoints && sp.has_external() {
        if sp.external_local {
            if !cluster.is_empty() {
                nat.push(
                    Rule::new(&ext_chain, Target::Jump(svc_chain.clone()))
                        .src(false, cidr)
                        .comment(format!("pod traffic for {spn} external destinations")),
                );
                nat.push(
                    Rule::new(&ext_chain, Target::Jump("KUBE-MARK-MASQ".into()))
                        .comment(format!(
                            "masquerade LOCAL traffic for {spn} external destinations"
                        ))
                        .with(Match::AddrType { source: true }),
                );
                nat.push(
                    Rule::new(&ext_chain, Target::Jump(svc_chain.clone()))
                        .comment(format!(
                            "route LOCAL traffic for {spn} external destinations"
                        ))
                        .with(Match::AddrType { source: true }),
                );
            }
        } else {
            nat.push(
                Rule::new(&ext_chain, Target::Jump("KUBE-MARK-MASQ".into())).comment(format!(
                    "masquerade traffic for {spn} external destinations"
                )),
            );
        }
        if has_external {
            nat.push(Rule::new(
                &ext_chain,
                Target::Jump(external_policy_chain.clone()),
            ));
        }
    }
    // The policy chains and the endpoints' chains.
    if !cluster.is_empty() {
        endpoint_jumps(sp, &svc_chain, &cluster, nat);
    }
    if !local.is_empty() {
        endpoint_jumps(sp, &svl_chain, &local, nat);
    }
    let mut reachable: Vec<&Endpoint> = cluster.clone();
    for e in &local {
        if !reachable.contains(e) {
            reachable.push(e);
        }
    }
    for e in reachable {
        let chain = endpoint_chain(sp, e);
        nat.push(
            Rule::new(&chain, Target::Jump("KUBE-MARK-MASQ".into()))
                .src(false, format!("{}/32", e.ip))
                .comment(spn.clone()),
        );
        let mut dnat = Rule::new(&chain, Target::Dnat(e.address()))
            .proto(p)
            .comment(spn.clone());
        if sp.affinity_timeout_s.is_some() {
            dnat = dnat.with(Match::Recent {
                name: chain.clone(),
                check_s: None,
            });
        }
        nat.push(dnat.with(Match::Proto(p, None)));
    }
}

/// A policy chain's jumps to its endpoints: the affinity checks, then the
/// `1/(n-i)` cascade.
fn endpoint_jumps(sp: &ServicePort, chain: &str, eps: &[&Endpoint], nat: &mut Table) {
    let spn = sp.name.to_string();
    if let Some(t) = sp.affinity_timeout_s {
        for e in eps {
            let sep = endpoint_chain(sp, e);
            nat.push(
                Rule::new(chain, Target::Jump(sep.clone()))
                    .comment(format!("{spn} -> {}", e.address()))
                    .with(Match::Recent {
                        name: sep,
                        check_s: Some(t),
                    }),
            );
        }
    }
    let n = eps.len();
    for (i, e) in eps.iter().enumerate() {
        let mut r = Rule::new(chain, Target::Jump(endpoint_chain(sp, e)))
            .comment(format!("{spn} -> {}", e.address()));
        if i + 1 < n {
            r = r.with(Match::Statistic(n - i));
        }
        nat.push(r);
    }
}

/// The probability `1/n` as the kernel keeps it (`lround(p * 2^31)`) and
/// `iptables-save` prints it back (kube-proxy writes `%0.10f`).
fn probability(n: usize) -> String {
    let scale = f64::from(1u32 << 31);
    let p = 1.0 / n.max(1) as f64;
    format!("{:.11}", (p * scale).round() / scale)
}

/// `iptables-save`'s form of a comment: quoted.
fn quoted(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        s.to_owned()
    } else {
        format!("\"{s}\"")
    }
}

fn save_rule(r: &Rule) -> String {
    let mut s = format!("-A {}", r.chain);
    if let Some((neg, cidr)) = &r.source {
        let _ = write!(s, "{} -s {cidr}", if *neg { " !" } else { "" });
    }
    if let Some(d) = &r.destination {
        let _ = write!(s, " -d {d}");
    }
    if let Some(p) = r.protocol {
        let _ = write!(s, " -p {}", p.iptables_name());
    }
    for m in &r.matches {
        match m {
            Match::Comment(c) => {
                let _ = write!(s, " -m comment --comment {}", quoted(c));
            }
            Match::Proto(p, port) => {
                let _ = write!(s, " -m {}", p.iptables_name());
                if let Some(port) = port {
                    let _ = write!(s, " --dport {port}");
                }
            }
            Match::AddrType { source } => {
                let which = if *source { "src" } else { "dst" };
                let _ = write!(s, " -m addrtype --{which}-type LOCAL");
            }
            Match::Conntrack { negated, states } => {
                let bang = if *negated { " !" } else { "" };
                let _ = write!(s, " -m conntrack{bang} --ctstate {states}");
            }
            Match::Mark { negated } => {
                let bang = if *negated { " !" } else { "" };
                let _ = write!(s, " -m mark{bang} --mark {MASQ_MARK}/{MASQ_MARK}");
            }
            Match::Statistic(p) => {
                let _ = write!(
                    s,
                    " -m statistic --mode random --probability {}",
                    probability(*p)
                );
            }
            Match::Recent { name, check_s } => match check_s {
                Some(t) => {
                    let _ = write!(
                        s,
                        " -m recent --rcheck --seconds {t} --reap --name {name} --mask 255.255.255.255 --rsource"
                    );
                }
                None => {
                    let _ = write!(
                        s,
                        " -m recent --set --name {name} --mask 255.255.255.255 --rsource"
                    );
                }
            },
        }
    }
    match &r.target {
        Target::Jump(c) => {
            let _ = write!(s, " -j {c}");
        }
        Target::Accept => s.push_str(" -j ACCEPT"),
        Target::Drop => s.push_str(" -j DROP"),
        Target::Return => s.push_str(" -j RETURN"),
        Target::Reject => s.push_str(" -j REJECT --reject-with icmp-port-unreachable"),
        Target::Mark { or } => {
            let mask = if *or { MASQ_MARK } else { "0x0" };
            let _ = write!(s, " -j MARK --set-xmark {MASQ_MARK}/{mask}");
        }
        Target::Masquerade => s.push_str(" -j MASQUERADE --random-fully"),
        Target::Dnat(to) => {
            let _ = write!(s, " -j DNAT --to-destination {to}");
        }
    }
    s
}

/// An address as `iptables -L` shows it: a /32 bare, any as 0.0.0.0/0
/// (`anywhere` unless numeric).
fn listed_address(a: Option<&str>, numeric: bool) -> String {
    match a {
        None if numeric => "0.0.0.0/0".to_owned(),
        None => "anywhere".to_owned(),
        Some(a) => a.strip_suffix("/32").unwrap_or(a).to_owned(),
    }
}

/// A port as `iptables -L` shows it: its `/etc/services` name unless numeric.
fn listed_port(port: u16, numeric: bool) -> String {
    let name = match port {
        22 => "ssh",
        53 => "domain",
        80 => "http",
        443 => "https",
        8080 => "http-alt",
        _ => "",
    };
    if numeric || name.is_empty() {
        port.to_string()
    } else {
        name.to_owned()
    }
}

fn list_rule(r: &Rule, numeric: bool) -> String {
    let target = match &r.target {
        Target::Jump(c) => c.clone(),
        Target::Accept => "ACCEPT".into(),
        Target::Drop => "DROP".into(),
        Target::Return => "RETURN".into(),
        Target::Reject => "REJECT".into(),
        Target::Mark { .. } => "MARK".into(),
        Target::Masquerade => "MASQUERADE".into(),
        Target::Dnat(_) => "DNAT".into(),
    };
    let proto = r.protocol.map_or("all", Protocol::iptables_name);
    let (src_neg, src) = match &r.source {
        Some((neg, c)) => (*neg, listed_address(Some(c), numeric)),
        None => (false, listed_address(None, numeric)),
    };
    // `!` takes the place of the space before a negated source.
    let bang = if src_neg { '!' } else { ' ' };
    let mut s = format!(
        "{target:<9}  {proto:<5}-- {bang}{src:<19}  {:<19} ",
        listed_address(r.destination.as_deref(), numeric)
    );
    for m in &r.matches {
        match m {
            Match::Comment(c) => {
                let _ = write!(s, " /* {c} */");
            }
            Match::Proto(p, port) => {
                let _ = write!(s, " {}", p.iptables_name());
                if let Some(port) = port {
                    let _ = write!(s, " dpt:{}", listed_port(*port, numeric));
                }
            }
            Match::AddrType { source } => {
                let which = if *source { "src" } else { "dst" };
                let _ = write!(s, " ADDRTYPE match {which}-type LOCAL");
            }
            Match::Conntrack { negated, states } => {
                let bang = if *negated { " !" } else { "" };
                let _ = write!(s, "{bang} ctstate {states}");
            }
            Match::Mark { negated } => {
                let bang = if *negated { "! " } else { "" };
                let _ = write!(s, " mark match {bang}{MASQ_MARK}/{MASQ_MARK}");
            }
            Match::Statistic(p) => {
                let _ = write!(s, " statistic mode random probability {}", probability(*p));
            }
            Match::Recent { name, check_s } => match check_s {
                Some(t) => {
                    let _ = write!(
                        s,
                        " recent: CHECK seconds: {t} reap name: {name} side: source mask: 255.255.255.255"
                    );
                }
                None => {
                    let _ = write!(
                        s,
                        " recent: SET name: {name} side: source mask: 255.255.255.255"
                    );
                }
            },
        }
    }
    match &r.target {
        Target::Reject => s.push_str(" reject-with icmp-port-unreachable"),
        Target::Mark { or } => {
            let op = if *or { "or" } else { "xor" };
            let _ = write!(s, " MARK {op} {MASQ_MARK}");
        }
        Target::Masquerade => s.push_str(" random-fully"),
        Target::Dnat(to) => {
            let _ = write!(s, " to:{to}");
        }
        _ => {}
    }
    s.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::kube_proxy::service_table::ServicePortName;

    fn sp(ns: &str, name: &str, port: &str, protocol: Protocol) -> ServicePort {
        ServicePort {
            name: ServicePortName {
                namespace: ns.into(),
                name: name.into(),
                port: port.into(),
            },
            protocol,
            cluster_ip: Some("10.96.0.1".parse().unwrap()),
            port: 443,
            node_port: None,
            external_ips: Vec::new(),
            load_balancer_ips: Vec::new(),
            internal_local: false,
            external_local: false,
            affinity_timeout_s: None,
            endpoints: Vec::new(),
        }
    }

    #[test]
    fn chain_names_are_kube_proxys() {
        // Chain names seen in real dumps and kube-proxy's own tests.
        let api = sp("default", "kubernetes", "https", Protocol::Tcp);
        assert_eq!(port_proto_hash(&api), "NPX46M4PTMTKRN6Y");
        let dns = sp("kube-system", "kube-dns", "dns", Protocol::Udp);
        assert_eq!(port_proto_hash(&dns), "TCOU7JCQXEZGVUNU");
        let unnamed = sp("default", "nginx", "", Protocol::Tcp);
        assert_eq!(port_proto_hash(&unnamed), "2CMXP7HKUVJN7L6M");
        let test = sp("ns1", "svc1", "p80", Protocol::Tcp);
        let ep = Endpoint {
            ip: "10.180.0.1".parse().unwrap(),
            port: 80,
            node: String::new(),
            ready: true,
            serving: true,
            terminating: false,
        };
        assert_eq!(port_proto_hash(&test), "XPGD46QRK7WJZT7O");
        assert_eq!(endpoint_chain(&test, &ep), "KUBE-SEP-SXIVWICOYRO3J4NJ");
    }

    #[test]
    fn probabilities_read_back_from_the_kernels_fixed_point() {
        assert_eq!(probability(2), "0.50000000000");
        assert_eq!(probability(3), "0.33333333349");
        assert_eq!(probability(5), "0.20000000019");
        assert_eq!(probability(10), "0.10000000009");
    }
}
