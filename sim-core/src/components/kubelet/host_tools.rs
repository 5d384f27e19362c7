//! The tools of a node's own shell that read its kernel ([`Kernel`]):
//! `iptables-save [-t TABLE]`, `iptables [-t TABLE] -L [CHAIN] [-n]`,
//! `ip addr` (`ip a`, `ip -4 addr`), `exportfs` (the node's NFS exports:
//! `-r`/`-a` re-read `/etc/exports`, `-v` says more, none lists them);
//! and `ping -c COUNT HOST` there and in
//! containers (BusyBox's), which answers for a node or a pod that is up,
//! and never for a Service's address (kube-proxy's iptables rules only
//! rewrite TCP and UDP). Output as iptables 1.8.9, iproute2, iputils and
//! BusyBox print it. Times are fixed: 0.045 ms on the node, 0.350 ms
//! across the network; each node that forwards the packet takes one from
//! its TTL (64).

use super::net_tools::lookup;
use super::tool_ctx::{Kernel, ToolCtx};
use crate::api::meta::timestamp;

/// stdout, stderr, status.
type Done = (String, String, i32);

/// Runs host tool `name`; None when it is not one.
pub(super) fn run(name: &str, args: &[String], ctx: &mut ToolCtx<'_>) -> Option<Done> {
    if name == "ping" {
        return Some(ping(args, ctx));
    }
    let kernel = ctx.kernel?;
    Some(match name {
        "iptables-save" => iptables_save(args, kernel, ctx),
        "iptables" => iptables(args, kernel),
        "ip" => ip(args, kernel),
        "exportfs" => exportfs(args, kernel, ctx),
        _ => return None,
    })
}

/// `ctime(3)`'s form of now (`Mon Dec  7 18:33:39 2026`).
fn ctime(ctx: &ToolCtx<'_>) -> String {
    timestamp(ctx.clock.now)
        .strftime("%a %b %e %H:%M:%S %Y")
        .to_string()
}

fn iptables_save(args: &[String], kernel: &Kernel, ctx: &ToolCtx<'_>) -> Done {
    let mut table = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-t" | "--table" => table = it.next().map(String::as_str),
            "-c" | "--counters" => {}
            other => {
                return (
                    String::new(),
                    format!("iptables-save: unrecognized option '{other}'\n"),
                    1,
                )
            }
        }
    }
    match kernel.rules.save(table, &ctime(ctx)) {
        Some(out) => (out, String::new(), 0),
        None => (
            String::new(),
            format!(
                "iptables-save v1.8.9 (nf_tables): table '{}' does not exist\n",
                table.unwrap_or_default()
            ),
            1,
        ),
    }
}

fn iptables(args: &[String], kernel: &Kernel) -> Done {
    let usage = || {
        (
            String::new(),
            "kubesim: iptables: only listing is modelled: iptables [-t TABLE] -L [CHAIN] [-n] (iptables-save prints every rule)\n"
                .to_owned(),
            2,
        )
    };
    let mut table = "filter";
    let mut chain = None;
    let mut list = false;
    let mut numeric = false;
    let mut it = args.iter().peekable();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-t" | "--table" => match it.next() {
                Some(t) => table = t,
                None => return usage(),
            },
            "-L" | "--list" => {
                list = true;
                if let Some(c) = it.next_if(|c| !c.starts_with('-')) {
                    chain = Some(c.as_str());
                }
            }
            "-n" | "--numeric" => numeric = true,
            "-nL" | "-Ln" => {
                list = true;
                numeric = true;
                if let Some(c) = it.next_if(|c| !c.starts_with('-')) {
                    chain = Some(c.as_str());
                }
            }
            _ => return usage(),
        }
    }
    if !list {
        return usage();
    }
    match kernel.rules.list(table, chain, numeric) {
        None => (
            String::new(),
            format!("iptables v1.8.9 (nf_tables): table '{table}' does not exist\nPerhaps iptables or your kernel needs to be upgraded.\n"),
            3,
        ),
        Some(Err(e)) => (String::new(), format!("{e}\n"), 1),
        Some(Ok(out)) => (out, String::new(), 0),
    }
}

/// A MAC address made from an IPv4 address (QEMU's 52:54:00 prefix).
fn mac(ip: std::net::Ipv4Addr, prefix: [u8; 3]) -> String {
    let o = ip.octets();
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        prefix[0], prefix[1], prefix[2], o[1], o[2], o[3]
    )
}

fn ip(args: &[String], kernel: &Kernel) -> Done {
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "-4")
        .collect();
    let object = words.first().copied().unwrap_or("");
    // `ip addr [show [dev] DEV]`.
    let device = match words.get(1..).unwrap_or_default() {
        [] | ["show" | "list" | "s"] => None,
        ["show" | "list" | "s", "dev", d] | ["show" | "list" | "s", d] => Some(*d),
        _ => Some(""),
    };
    if !["a", "ad", "addr", "address"].contains(&object) || device == Some("") {
        return (
            String::new(),
            "kubesim: ip: only `ip addr [show [dev] DEV]` is modelled\n".to_owned(),
            2,
        );
    }
    let node = kernel.node_ip;
    let o = node.octets();
    let gateway = kernel.pod_cidr.address(1);
    let cidr = kernel.pod_cidr;
    let broadcast = kernel
        .pod_cidr
        .address(u32::try_from(cidr.size().saturating_sub(1)).unwrap_or(u32::MAX));
    let out = format!(
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
    link/ether {eth} brd ff:ff:ff:ff:ff:ff
    inet {node}/24 brd {a}.{b}.{c}.255 scope global eth0
       valid_lft forever preferred_lft forever
3: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default 
    link/ether {flannel} brd ff:ff:ff:ff:ff:ff
    inet {net}/32 scope global flannel.1
       valid_lft forever preferred_lft forever
4: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default qlen 1000
    link/ether {cni} brd ff:ff:ff:ff:ff:ff
    inet {gateway}/{prefix} brd {broadcast} scope global cni0
       valid_lft forever preferred_lft forever
",
        eth = mac(node, [0x52, 0x54, 0x00]),
        a = o[0],
        b = o[1],
        c = o[2],
        flannel = mac(gateway, [0x6a, 0x1e, 0x3c]),
        net = cidr.network(),
        cni = mac(gateway, [0x2e, 0x8b, 0x51]),
        prefix = cidr.prefix(),
    );
    let Some(device) = device else {
        return (out, String::new(), 0);
    };
    // One interface's block: from its `N: NAME:` line to the next.
    let mut block = String::new();
    let mut inside = false;
    for line in out.lines() {
        if !line.starts_with(' ') {
            inside = line.split(": ").nth(1) == Some(device);
        }
        if inside {
            block.push_str(line);
            block.push('\n');
        }
    }
    if block.is_empty() {
        return (
            String::new(),
            format!("Device \"{device}\" does not exist.\n"),
            1,
        );
    }
    (block, String::new(), 0)
}

fn ping(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    let mut count = None;
    let mut target = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-c" => count = it.next().and_then(|c| c.parse::<u32>().ok()),
            s if s.starts_with("-c") => count = s[2..].parse::<u32>().ok(),
            s if s.starts_with('-') => {}
            s => target = Some(s.to_owned()),
        }
    }
    let Some(host) = target else {
        return (
            String::new(),
            "ping: usage error: Destination address required\n".to_owned(),
            1,
        );
    };
    let Some(count) = count.filter(|c| (1..=100).contains(c)) else {
        return (
            String::new(),
            "kubesim: ping runs until it is interrupted; give -c COUNT (1 to 100)\n".to_owned(),
            2,
        );
    };
    let Ok(ip) = lookup(ctx, &host) else {
        if ctx.busybox() {
            return (String::new(), format!("ping: bad address '{host}'\n"), 1);
        }
        return (
            String::new(),
            format!("ping: {host}: Name or service not known\n"),
            2,
        );
    };
    let hops = ctx.net.as_deref_mut().and_then(|n| n.echo(&ip));
    if ctx.busybox() {
        return busybox_ping(&host, &ip, count, hops);
    }
    let mut out = format!("PING {host} ({ip}) 56(84) bytes of data.\n");
    let elapsed_ms = (count - 1) * 1001;
    match hops {
        Some(hops) => {
            let (ttl, time) = if hops == 0 {
                (64, "0.045")
            } else {
                (63, "0.350")
            };
            for seq in 1..=count {
                out.push_str(&format!(
                    "64 bytes from {ip}: icmp_seq={seq} ttl={ttl} time={time} ms\n"
                ));
            }
            out.push_str(&format!(
                "\n--- {host} ping statistics ---\n{count} packets transmitted, {count} received, 0% packet loss, time {elapsed_ms}ms\nrtt min/avg/max/mdev = {time}/{time}/{time}/0.000 ms\n"
            ));
            (out, String::new(), 0)
        }
        None => {
            out.push_str(&format!(
                "\n--- {host} ping statistics ---\n{count} packets transmitted, 0 received, 100% packet loss, time {elapsed_ms}ms\n\n"
            ));
            (out, String::new(), 1)
        }
    }
}

/// The TTL and round-trip time of an answer across `hops` forwarding nodes.
fn ttl_time(hops: u8) -> (u8, &'static str) {
    (64 - hops.min(63), if hops == 0 { "0.045" } else { "0.350" })
}

/// BusyBox's `ping -c COUNT`.
fn busybox_ping(host: &str, ip: &str, count: u32, hops: Option<u8>) -> Done {
    let mut out = format!("PING {host} ({ip}): 56 data bytes\n");
    match hops {
        Some(hops) => {
            let (ttl, time) = ttl_time(hops);
            for seq in 0..count {
                out.push_str(&format!(
                    "64 bytes from {ip}: seq={seq} ttl={ttl} time={time} ms\n"
                ));
            }
            out.push_str(&format!(
                "\n--- {host} ping statistics ---\n{count} packets transmitted, {count} packets received, 0% packet loss\nround-trip min/avg/max = {time}/{time}/{time} ms\n"
            ));
            (out, String::new(), 0)
        }
        None => {
            out.push_str(&format!(
                "\n--- {host} ping statistics ---\n{count} packets transmitted, 0 packets received, 100% packet loss\n"
            ));
            (out, String::new(), 1)
        }
    }
}

/// `exportfs [-r] [-a] [-v]`: with `-r` or `-a`, the node's exports become
/// the directories `/etc/exports` lists (each must exist: `Failed to stat`
/// otherwise); without, the current exports are listed (`PATH <world>`,
/// with `-v` the options written). Simplified: every client is `*`.
fn exportfs(args: &[String], kernel: &Kernel, ctx: &ToolCtx<'_>) -> Done {
    let Some(nfsd) = &kernel.nfsd else {
        return (String::new(), "exportfs: not available\n".into(), 1);
    };
    let mut reexport = false;
    let mut verbose = false;
    for a in args {
        let Some(flags) = a.strip_prefix('-') else {
            return (
                String::new(),
                format!("kubesim: exportfs {a}: only -r, -a and -v are modelled\n"),
                1,
            );
        };
        for f in flags.chars() {
            match f {
                'r' | 'a' => reexport = true,
                'v' => verbose = true,
                _ => {
                    return (
                        String::new(),
                        format!("kubesim: exportfs -{f} is not modelled (-r, -a, -v are)\n"),
                        1,
                    )
                }
            }
        }
    }
    let table = ctx.fs.read(ctx.vols, "/etc/exports").unwrap_or_default();
    // (path, options as written) of each line.
    let lines: Vec<(String, String)> = table
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let path = words.next()?.trim_end_matches('/').to_owned();
            let path = if path.is_empty() {
                "/".to_owned()
            } else {
                path
            };
            let options = words
                .next()
                .and_then(|c| {
                    c.split_once('(')
                        .map(|(_, o)| o.trim_end_matches(')').to_owned())
                })
                .unwrap_or_default();
            Some((path, options))
        })
        .collect();
    if !reexport {
        let current = nfsd.servers.exports_of(kernel.node_ip);
        let mut out = String::new();
        for e in &current {
            let options = lines
                .iter()
                .find(|(p, _)| p == e)
                .map(|(_, o)| o.clone())
                .unwrap_or_default();
            let world = if verbose {
                format!("<world>({options})")
            } else {
                "<world>".to_owned()
            };
            if e.len() > 14 {
                out.push_str(&format!("{e}\n\t\t{world}\n"));
            } else {
                out.push_str(&format!("{e:<14}\t{world}\n"));
            }
        }
        return (out, String::new(), 0);
    }
    let mut out = String::new();
    let mut err = String::new();
    let mut exports = Vec::new();
    for (path, _) in &lines {
        if ctx.fs.stat(ctx.vols, path).is_err() {
            err.push_str(&format!(
                "exportfs: Failed to stat {path}: No such file or directory\n"
            ));
            continue;
        }
        if verbose {
            out.push_str(&format!("exporting *:{path}\n"));
        }
        exports.push(path.clone());
    }
    nfsd.servers.export(
        kernel.node_ip,
        &nfsd.node,
        std::rc::Rc::clone(&nfsd.tree),
        exports,
    );
    (out, err, 0)
}
