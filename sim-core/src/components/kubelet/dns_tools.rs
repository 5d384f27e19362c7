//! The DNS clients of a container: BusyBox `nslookup`, and BIND's
//! `nslookup` and `dig` (the `dnsutils` package: the Kubernetes docs'
//! DNS-debugging image `registry.k8s.io/e2e-test-images/jessie-dnsutils`).
//! Each reads `/etc/resolv.conf` (its `nameserver`, `search` domains and
//! `ndots`) and asks the cluster DNS through the shell's
//! [`Network`](super::http::Network) (`Network::query`): an answer's
//! addresses, a name that is an alias (an ExternalName Service: a CNAME to
//! a name outside the cluster, which nothing here resolves), no such name
//! (NXDOMAIN), or no server answering (CoreDNS without a Ready pod).
//!
//! `nslookup` tries the search domains as the resolver does (a name with
//! fewer dots than `ndots` in each search domain first); `dig` asks for the
//! name as written (`+search` for the search list), which is why `dig
//! web` finds nothing where `nslookup web` does.
//!
//! Simplified: A records only (`-type=`/`-t` other than A are refused),
//! the server is the resolv.conf nameserver (`@ADDR` naming another is not
//! answered), names outside `cluster.local` get NXDOMAIN without the
//! upstream's authority section (the simulated network has no internet),
//! a query takes no time (`Query time: 0 msec`), and dig's message id is a
//! hash of the name and the clock.

use super::http::NetError;
use super::net_tools::net_hosts_address as hosts_address;
use super::tool_ctx::ToolCtx;
use crate::api::meta::timestamp;

/// stdout, stderr, status.
type Done = (String, String, i32);

/// The TTL of the cluster's records (kubeadm's Corefile: `ttl 30`).
const TTL_S: u32 = 30;

/// BIND's version in the jessie-dnsutils image.
const DIG_BANNER: &str = "DiG 9.9.5-9+deb8u19-Debian";

/// What `/etc/resolv.conf` says.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ResolvConf {
    /// The first `nameserver`.
    server: String,
    /// The `search` domains.
    search: Vec<String>,
    /// `options ndots:N` (1 without).
    ndots: usize,
}

impl ResolvConf {
    fn read(ctx: &ToolCtx<'_>) -> Self {
        let text = ctx
            .fs
            .read(ctx.vols, "/etc/resolv.conf")
            .unwrap_or_default();
        let mut conf = ResolvConf {
            server: "127.0.0.1".to_owned(),
            search: Vec::new(),
            ndots: 1,
        };
        let mut have_server = false;
        for line in text.lines() {
            let mut words = line.split_whitespace();
            match words.next() {
                Some("nameserver") if !have_server => {
                    if let Some(s) = words.next() {
                        conf.server = s.to_owned();
                        have_server = true;
                    }
                }
                Some("search") => conf.search = words.map(str::to_owned).collect(),
                Some("options") => {
                    for w in words {
                        if let Some(n) = w.strip_prefix("ndots:").and_then(|n| n.parse().ok()) {
                            conf.ndots = n;
                        }
                    }
                }
                _ => {}
            }
        }
        conf
    }

    /// The names the resolver asks for `name`, in order: with fewer dots
    /// than `ndots`, each search domain first; an absolute name as it is.
    fn candidates(&self, name: &str) -> Vec<String> {
        let bare = name.trim_end_matches('.').to_owned();
        if name.ends_with('.') {
            return vec![bare];
        }
        let searched = self.search.iter().map(|d| format!("{bare}.{d}"));
        if bare.matches('.').count() < self.ndots {
            searched.chain([bare.clone()]).collect()
        } else {
            [bare.clone()].into_iter().chain(searched).collect()
        }
    }
}

/// The cluster DNS's answer to one name.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Answer {
    /// Its addresses.
    Addresses(Vec<String>),
    /// An alias of `target`.
    Alias(String),
    /// No such name.
    NxDomain,
    /// No server answered.
    NoServer,
}

/// Asks the network's DNS for `fqdn`.
fn ask(ctx: &mut ToolCtx<'_>, fqdn: &str) -> Answer {
    let Some(net) = ctx.net.as_deref_mut() else {
        return Answer::NoServer;
    };
    match net.query(fqdn) {
        Ok(a) if a.is_empty() => Answer::NxDomain,
        Ok(a) => Answer::Addresses(a),
        Err(NetError::Unresolved(target)) if target != fqdn => Answer::Alias(target),
        Err(_) => Answer::NoServer,
    }
}

const TIMED_OUT: &str = ";; connection timed out; no servers could be reached\n";

/// `nslookup NAME`: BusyBox's applet or BIND's program, by the package.
pub(super) fn nslookup(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    let busybox = ctx.busybox();
    if let Some(t) = args.iter().find_map(|a| a.strip_prefix("-type=")) {
        if !t.eq_ignore_ascii_case("a") {
            return (
                String::new(),
                format!("kubesim: nslookup -type={t} is not modelled (A records only)\n"),
                1,
            );
        }
    }
    let Some(name) = args.iter().find(|a| !a.starts_with('-')).cloned() else {
        let usage = if busybox {
            "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n"
        } else {
            "kubesim: interactive nslookup is not modelled: nslookup NAME\n"
        };
        return (String::new(), usage.into(), 1);
    };
    let conf = ResolvConf::read(ctx);
    // BusyBox writes the server's port with a colon, BIND with a hash.
    let sep = if busybox { ':' } else { '#' };
    let header = format!("Server:\t\t{s}\nAddress:\t{s}{sep}53\n\n", s = conf.server);
    if busybox {
        if let Some(ip) = hosts_address(ctx, &name) {
            return (
                format!("{header}Name:\t{name}\nAddress: {ip}\n\n"),
                String::new(),
                0,
            );
        }
    }
    let mut answered = false;
    for fqdn in conf.candidates(&name) {
        match ask(ctx, &fqdn) {
            Answer::Addresses(addresses) => {
                let mut out = format!("{header}Name:\t{fqdn}\n");
                for a in addresses {
                    out.push_str(&format!("Address: {a}\n"));
                }
                out.push('\n');
                return (out, String::new(), 0);
            }
            Answer::Alias(target) => {
                let out = format!("{header}{fqdn}\tcanonical name = {target}.\n\n");
                let err = if busybox {
                    format!("** server can't find {target}: NXDOMAIN\n\n")
                } else {
                    format!("** server can't find {target}: NXDOMAIN\n")
                };
                return (out, err, 1);
            }
            Answer::NxDomain => answered = true,
            Answer::NoServer => {}
        }
    }
    if !answered {
        let out = if busybox {
            String::new()
        } else {
            TIMED_OUT.to_owned()
        };
        let err = if busybox {
            format!("{TIMED_OUT}\n")
        } else {
            String::new()
        };
        return (out, err, 1);
    }
    let bare = name.trim_end_matches('.');
    if busybox {
        (
            header,
            format!("** server can't find {bare}: NXDOMAIN\n\n"),
            1,
        )
    } else {
        (
            format!("{header}** server can't find {bare}: NXDOMAIN\n\n"),
            String::new(),
            1,
        )
    }
}

/// The width of `line` with tabs expanded to 8-wide stops.
fn visible_width(line: &str) -> usize {
    line.chars().fold(0, |col, c| {
        if c == '\t' {
            (col / 8 + 1) * 8
        } else {
            col + 1
        }
    })
}

/// One resource record as dig prints it.
fn record(name: &str, ttl: Option<u32>, kind: &str, data: &str) -> String {
    let mut line = name.to_owned();
    let pad = |line: &mut String, column: usize| {
        let width = visible_width(line);
        if width >= column {
            line.push(' ');
        } else {
            let mut w = width;
            while w < column {
                line.push('\t');
                w = (w / 8 + 1) * 8;
            }
        }
    };
    if let Some(ttl) = ttl {
        pad(&mut line, 24);
        line.push_str(&ttl.to_string());
    }
    pad(&mut line, 32);
    line.push_str("IN");
    pad(&mut line, 40);
    line.push_str(kind);
    if !data.is_empty() {
        pad(&mut line, 48);
        line.push_str(data);
    }
    line.push('\n');
    line
}

/// The length of `name` in a DNS message, uncompressed.
fn wire_len(name: &str) -> usize {
    name.trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
        .map(|l| l.len() + 1)
        .sum::<usize>()
        + 1
}

/// `dig [@SERVER] NAME [A] [+short] [+search]`.
pub(super) fn dig(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    let mut short = false;
    let mut search = false;
    let mut server: Option<String> = None;
    let mut name: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "+short" => short = true,
            "+search" => search = true,
            "+nosearch" => search = false,
            "-t" => match it.next().map(String::as_str) {
                Some(t) if t.eq_ignore_ascii_case("a") => {}
                other => {
                    return (
                        String::new(),
                        format!(
                            "kubesim: dig -t {} is not modelled (A records only)\n",
                            other.unwrap_or("")
                        ),
                        1,
                    )
                }
            },
            "A" | "a" | "IN" | "in" => {}
            s if s.starts_with('@') => server = Some(s[1..].to_owned()),
            s if s.starts_with('+') => {}
            s if s.starts_with('-') => {
                return (
                    String::new(),
                    format!(
                        "kubesim: dig {s} is not modelled (@SERVER, -t A, +short, +search are)\n"
                    ),
                    1,
                )
            }
            s => name = Some(s.to_owned()),
        }
    }
    let conf = ResolvConf::read(ctx);
    let Some(name) = name else {
        return (
            String::new(),
            "kubesim: dig without a name (the root servers) is not modelled\n".into(),
            1,
        );
    };
    let server = server.unwrap_or_else(|| conf.server.clone());
    let banner = format!("\n; <<>> {DIG_BANNER} <<>> {}\n", args.join(" "));
    let head = if short {
        String::new()
    } else {
        format!("{banner};; global options: +cmd\n")
    };
    let tries = if search {
        conf.candidates(&name)
    } else {
        vec![name.trim_end_matches('.').to_owned()]
    };
    let mut last: Option<(String, Answer)> = None;
    for fqdn in tries {
        let answer = if server == conf.server {
            ask(ctx, &fqdn)
        } else {
            Answer::NoServer
        };
        let found = matches!(answer, Answer::Addresses(_) | Answer::Alias(_));
        last = Some((fqdn, answer));
        if found {
            break;
        }
    }
    let Some((fqdn, answer)) = last else {
        return (head, String::new(), 1);
    };
    if answer == Answer::NoServer {
        return (format!("{head}{TIMED_OUT}"), String::new(), 9);
    }
    let qname = format!("{fqdn}.");
    let (status, answers, authority) = match &answer {
        Answer::Addresses(a) => (
            "NOERROR",
            a.iter()
                .map(|ip| (qname.clone(), "A", ip.clone()))
                .collect::<Vec<_>>(),
            None,
        ),
        Answer::Alias(t) => ("NOERROR", vec![(qname.clone(), "CNAME", format!("{t}."))], None),
        _ => (
            "NXDOMAIN",
            Vec::new(),
            fqdn.ends_with("cluster.local").then(|| {
                let serial = timestamp(ctx.clock.started_at).as_second();
                format!(
                    "ns.dns.cluster.local. hostmaster.cluster.local. {serial} 7200 1800 86400 {TTL_S}"
                )
            }),
        ),
    };
    if short {
        let out: String = answers.iter().map(|(_, _, d)| format!("{d}\n")).collect();
        return (out, String::new(), 0);
    }
    // The message: header, question, answers (names compressed to the
    // question's), the authority's SOA, the OPT record.
    let mut size = 12 + wire_len(&qname) + 4 + 11;
    for (_, kind, data) in &answers {
        size += 2 + 10 + if *kind == "A" { 4 } else { wire_len(data) };
    }
    if authority.is_some() {
        // cluster.local. SOA: owner pointer, fixed fields, two names
        // ending in pointers, five 32-bit numbers.
        size += 2 + 10 + (3 + 4 + 2) + (11 + 2) + 20;
    }
    let id = dig_id(&qname, ctx.clock.now.as_nanos());
    let mut out = head;
    out.push_str(";; Got answer:\n");
    out.push_str(&format!(
        ";; ->>HEADER<<- opcode: QUERY, status: {status}, id: {id}\n"
    ));
    out.push_str(&format!(
        ";; flags: qr aa rd; QUERY: 1, ANSWER: {}, AUTHORITY: {}, ADDITIONAL: 1\n",
        answers.len(),
        usize::from(authority.is_some())
    ));
    out.push_str(";; WARNING: recursion requested but not available\n\n");
    out.push_str(";; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags:; udp: 4096\n");
    out.push_str(";; QUESTION SECTION:\n");
    out.push_str(&record(&format!(";{qname}"), None, "A", ""));
    if !answers.is_empty() {
        out.push_str("\n;; ANSWER SECTION:\n");
        for (owner, kind, data) in &answers {
            out.push_str(&record(owner, Some(TTL_S), kind, data));
        }
    }
    if let Some(soa) = &authority {
        out.push_str("\n;; AUTHORITY SECTION:\n");
        out.push_str(&record("cluster.local.", Some(TTL_S), "SOA", soa));
    }
    out.push_str(&format!(
        "\n;; Query time: 0 msec\n;; SERVER: {server}#53({server})\n;; WHEN: {}\n;; MSG SIZE  rcvd: {size}\n\n",
        timestamp(ctx.clock.now).strftime("%a %b %d %H:%M:%S UTC %Y")
    ));
    (out, String::new(), 0)
}

/// A message id for a query of `qname` at `now_ns` (FNV-1a, folded to
/// 16 bits): the same run asks with the same ids.
fn dig_id(qname: &str, now_ns: u64) -> u16 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in qname.bytes().chain(now_ns.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h ^ (h >> 16) ^ (h >> 32) ^ (h >> 48)) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_laid_out_on_binds_tab_stops() {
        assert_eq!(
            record("google.com.", Some(300), "A", "142.250.72.14"),
            "google.com.\t\t300\tIN\tA\t142.250.72.14\n"
        );
        assert_eq!(
            record(";google.com.", None, "A", ""),
            ";google.com.\t\t\tIN\tA\n"
        );
        // A name past the columns is followed by one space each time.
        assert_eq!(
            record(
                "kubernetes.default.svc.cluster.local.",
                Some(30),
                "A",
                "10.96.0.1"
            ),
            "kubernetes.default.svc.cluster.local. 30 IN A\t10.96.0.1\n"
        );
    }

    #[test]
    fn search_domains_come_first_below_ndots() {
        let conf = ResolvConf {
            server: "10.96.0.10".into(),
            search: vec![
                "default.svc.cluster.local".into(),
                "svc.cluster.local".into(),
            ],
            ndots: 5,
        };
        assert_eq!(
            conf.candidates("web"),
            [
                "web.default.svc.cluster.local",
                "web.svc.cluster.local",
                "web"
            ]
        );
        assert_eq!(
            conf.candidates("web.default.svc.cluster.local."),
            ["web.default.svc.cluster.local"]
        );
        let one = ResolvConf { ndots: 1, ..conf };
        assert_eq!(one.candidates("a.b")[0], "a.b");
    }

    #[test]
    fn wire_lengths_count_labels_and_the_root() {
        assert_eq!(wire_len("kubernetes.default.svc.cluster.local."), 38);
        assert_eq!(wire_len("."), 1);
    }
}
