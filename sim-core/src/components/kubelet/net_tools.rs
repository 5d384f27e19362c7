//! The network tools of a container (issue 11): `curl` (GET and HEAD;
//! `-s`, `-S`, `-i`, `-I`, `-v`, `-f`, `-o FILE`, `-H`, `-X GET|HEAD`) with
//! curl's exit codes and messages, and BusyBox `wget` (`-q`, `-O FILE|-`)
//! with its progress lines (names: see `dns_tools`). Requests go through the shell's
//! [`Network`](super::http::Network): the pod's localhost or a pod IP.
//! Simplified: no progress meter for `curl -o` (it depends on wall time);
//! plain HTTP only.

use super::http::{HttpRequest, HttpResponse, NetError};
use super::tool_ctx::ToolCtx;

/// stdout, stderr, status.
type Done = (String, String, i32);

/// A URL's parts: host, port, path.
fn parse_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = match url.split_once("://") {
        Some(("http", rest)) => rest,
        Some((scheme, _)) => return Err(scheme.to_owned()),
        None => url,
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_owned()),
        None => (rest, "/".to_owned()),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h.to_owned(), p.parse::<u16>().map_err(|_| String::new())?),
        None => (authority.to_owned(), 80),
    };
    Ok((host, port, path))
}

/// The `Host` header for `host:port`.
fn host_header(host: &str, port: u16) -> String {
    if port == 80 {
        host.to_owned()
    } else {
        format!("{host}:{port}")
    }
}

/// The address `host` resolves to where the tool runs: `/etc/hosts`
/// first (as the C library's resolver reads it), then the network's
/// resolver (the pod's: the cluster DNS).
pub(super) fn lookup(ctx: &mut ToolCtx<'_>, host: &str) -> Result<String, NetError> {
    if let Some(ip) = net_hosts_address(ctx, host) {
        return Ok(ip);
    }
    match ctx.net.as_deref_mut() {
        Some(net) => net.lookup(host),
        None => Err(NetError::Unresolved(host.to_owned())),
    }
}

/// The IPv4 address `/etc/hosts` text gives `name`, if any.
pub(super) fn hosts_entry(hosts: &str, name: &str) -> Option<String> {
    hosts.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let ip = words.next()?;
        (ip.parse::<std::net::Ipv4Addr>().is_ok() && words.any(|w| w.eq_ignore_ascii_case(name)))
            .then(|| ip.to_owned())
    })
}

/// Sends `req` to `address:port` (an address [`lookup`] gave).
fn send(
    ctx: &mut ToolCtx<'_>,
    address: &str,
    port: u16,
    req: &HttpRequest,
) -> Result<HttpResponse, NetError> {
    let Some(net) = ctx.net.as_deref_mut() else {
        return Err(NetError::NoRoute);
    };
    net.connect(address, port, req, (&*ctx.fs, &*ctx.vols))
}

/// `curl`.
pub(super) fn curl(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    let version = ctx
        .package
        .strip_prefix("curl/")
        .unwrap_or("7.88.1")
        .to_owned();
    let (mut silent, mut show_error, mut include, mut head, mut verbose, mut fail) =
        (false, false, false, false, false, false);
    let mut output: Option<String> = None;
    let mut url: Option<String> = None;
    // `-H 'Host: NAME'` replaces the Host header (how one reaches a
    // name-based virtual host, an Ingress rule, by address).
    let mut host_override: Option<String> = None;
    let mut user_agent: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-H" | "--header" => {
                if let Some((name, value)) = it.next().and_then(|h| h.split_once(':')) {
                    if name.trim().eq_ignore_ascii_case("host") {
                        host_override = Some(value.trim().to_owned());
                    }
                }
            }
            "-A" | "--user-agent" => user_agent = it.next().cloned(),
            "--silent" => silent = true,
            "--show-error" => show_error = true,
            "--include" => include = true,
            "--head" => head = true,
            "--verbose" => verbose = true,
            "--fail" => fail = true,
            "--output" | "-o" => output = it.next().cloned(),
            "-m" | "--max-time" | "--connect-timeout" => {
                it.next();
            }
            "-X" | "--request" => match it.next().map(String::as_str) {
                Some("GET") => {}
                Some("HEAD") => head = true,
                other => {
                    return (
                        String::new(),
                        format!(
                            "kubesim: curl -X {}: only GET and HEAD are modelled\n",
                            other.unwrap_or_default()
                        ),
                        2,
                    )
                }
            },
            s if s.starts_with('-') && !s.starts_with("--") && s.len() > 1 => {
                for c in s[1..].chars() {
                    match c {
                        's' => silent = true,
                        'S' => show_error = true,
                        'i' => include = true,
                        'I' => head = true,
                        'v' => verbose = true,
                        'f' => fail = true,
                        'L' => {}
                        'o' => output = it.next().cloned(),
                        other => {
                            return (
                                String::new(),
                                format!("kubesim: curl -{other} is not modelled (-s -S -i -I -v -f -o -H -X are)\n"),
                                2,
                            )
                        }
                    }
                }
            }
            s if s.starts_with("--") => {
                return (
                    String::new(),
                    format!("kubesim: curl {s} is not modelled\n"),
                    2,
                )
            }
            u => url = Some(u.to_owned()),
        }
    }
    let quiet_errors = silent && !show_error;
    let Some(url) = url else {
        return (
            String::new(),
            "curl: try 'curl --help' or 'curl --manual' for more information\n".into(),
            2,
        );
    };
    let (host, port, path) = match parse_url(&url) {
        Ok(p) => p,
        Err(scheme) if !scheme.is_empty() => {
            let msg =
                format!("curl: (1) Protocol \"{scheme}\" not supported or disabled in libcurl\n");
            return (
                String::new(),
                if quiet_errors { String::new() } else { msg },
                1,
            );
        }
        Err(_) => {
            let msg = "curl: (3) URL using bad/illegal format or missing URL\n".to_owned();
            return (
                String::new(),
                if quiet_errors { String::new() } else { msg },
                3,
            );
        }
    };
    let req = HttpRequest {
        method: if head { "HEAD" } else { "GET" }.into(),
        path: path.clone(),
        host: host_override.unwrap_or_else(|| host_header(&host, port)),
        user_agent: user_agent.unwrap_or_else(|| format!("curl/{version}")),
        from_ip: String::new(),
    };
    let mut err = String::new();
    let resp = match lookup(ctx, &host) {
        Ok(addr) => {
            if verbose {
                err.push_str(&format!("*   Trying {addr}:{port}...\n"));
            }
            send(ctx, &addr, port, &req).map(|r| (addr, r))
        }
        Err(e) => Err(e),
    };
    let (addr, resp) = match resp {
        Ok(r) => r,
        Err(e) => {
            let (code, msg) = match &e {
                NetError::Unresolved(h) => (6, format!("curl: (6) Could not resolve host: {h}\n")),
                NetError::Timeout => (
                    28,
                    format!("curl: (28) Failed to connect to {host} port {port}: Connection timed out\n"),
                ),
                e => (
                    7,
                    format!("curl: (7) Failed to connect to {host} port {port}: {e}\n"),
                ),
            };
            if !quiet_errors {
                err.push_str(&msg);
            }
            return (String::new(), err, code);
        }
    };
    if verbose {
        err.push_str(&format!(
            "* Connected to {host} ({addr}) port {port} (#0)\n> {} {path} HTTP/1.1\n> Host: {}\n> User-Agent: curl/{version}\n> Accept: */*\n> \n",
            req.method,
            req.host
        ));
        err.push_str(&format!("< {}\n", resp.status_line()));
        for (k, v) in &resp.headers {
            err.push_str(&format!("< {k}: {v}\n"));
        }
        err.push_str("< \n");
    }
    if fail && resp.status >= 400 {
        if !quiet_errors {
            err.push_str(&format!(
                "curl: (22) The requested URL returned error: {} {}\n",
                resp.status, resp.reason
            ));
        }
        return (String::new(), err, 22);
    }
    let mut out = String::new();
    if include || head {
        out.push_str(&format!("{}\n", resp.status_line()));
        for (k, v) in &resp.headers {
            out.push_str(&format!("{k}: {v}\n"));
        }
        out.push('\n');
    }
    if !head {
        match &output {
            Some(f) if f != "-" => {
                let path = ctx.absolute(f);
                if let Err(e) = ctx.fs.write(ctx.vols, &path, &resp.body, false) {
                    if !quiet_errors {
                        err.push_str(&format!("curl: (23) Failure writing output to destination\nWarning: Failed to open the file {f}: {e}\n"));
                    }
                    return (out, err, 23);
                }
            }
            _ => out.push_str(&resp.body),
        }
    }
    if verbose {
        err.push_str("* Connection #0 to host left intact\n");
    }
    (out, err, 0)
}

/// BusyBox `wget`.
pub(super) fn wget(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    let mut quiet = false;
    let mut output: Option<String> = None;
    let mut url: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--timeout" {
            it.next();
            continue;
        }
        let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) else {
            url = Some(a.to_owned());
            continue;
        };
        // Short options bundle as getopt reads them: `-qO-`, `-qO file`.
        for (i, flag) in flags.char_indices() {
            match flag {
                'q' => quiet = true,
                'O' | 'T' => {
                    let rest = &flags[i + 1..];
                    let value = if rest.is_empty() {
                        it.next().cloned()
                    } else {
                        Some(rest.to_owned())
                    };
                    if flag == 'O' {
                        output = value;
                    }
                    break;
                }
                _ => {
                    return (
                        String::new(),
                        format!("kubesim: wget {a} is not modelled (-q, -O and -T are)\n"),
                        1,
                    )
                }
            }
        }
    }
    let Some(url) = url else {
        return (String::new(), "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t[--no-check-certificate] [-P DIR] [-U AGENT] [-T SEC] URL...\n".into(), 1);
    };
    let (host, port, path) = match parse_url(&url) {
        Ok(p) => p,
        Err(_) => {
            return (
                String::new(),
                format!("wget: not an http or ftp url: {url}\n"),
                1,
            )
        }
    };
    let mut err = String::new();
    let req = HttpRequest {
        method: "GET".into(),
        path: path.clone(),
        host: host_header(&host, port),
        user_agent: "Wget".into(),
        from_ip: String::new(),
    };
    let addr = match lookup(ctx, &host) {
        Ok(a) => a,
        Err(_) => return (String::new(), format!("wget: bad address '{host}'\n"), 1),
    };
    if !quiet {
        err.push_str(&format!(
            "Connecting to {} ({addr}:{port})\n",
            host_header(&host, port)
        ));
    }
    let resp = match send(ctx, &addr, port, &req) {
        Ok(r) => r,
        Err(e) => {
            err.push_str(&format!(
                "wget: can't connect to remote host ({addr}): {e}\n"
            ));
            return (String::new(), err, 1);
        }
    };
    if resp.status >= 400 {
        err.push_str(&format!(
            "wget: server returned error: {}\n",
            resp.status_line().trim_end()
        ));
        return (String::new(), err, 1);
    }
    let name = output.clone().unwrap_or_else(|| {
        let last = path
            .split('?')
            .next()
            .unwrap_or("/")
            .rsplit('/')
            .next()
            .unwrap_or("");
        if last.is_empty() {
            "index.html".into()
        } else {
            last.to_owned()
        }
    });
    let bar = |shown: &str| {
        format!(
            "{shown:<20} 100% |********************************| {:>5}  0:00:00 ETA\n",
            resp.body.len()
        )
    };
    if name == "-" {
        if !quiet {
            err.push_str("writing to stdout\n");
            err.push_str(&bar("-"));
            err.push_str("written to stdout\n");
        }
        return (resp.body, err, 0);
    }
    let path = ctx.absolute(&name);
    if let Err(e) = ctx.fs.write(ctx.vols, &path, &resp.body, false) {
        err.push_str(&format!("wget: can't open '{name}': {e}\n"));
        return (String::new(), err, 1);
    }
    if !quiet {
        err.push_str(&format!("saving to '{name}'\n"));
        err.push_str(&bar(&name));
        err.push_str(&format!("'{name}' saved\n"));
    }
    (String::new(), err, 0)
}

/// The address `/etc/hosts` gives `name`, if any.
pub(super) fn net_hosts_address(ctx: &ToolCtx<'_>, name: &str) -> Option<String> {
    let hosts = ctx.fs.read(ctx.vols, "/etc/hosts").ok()?;
    hosts_entry(&hosts, name)
}
