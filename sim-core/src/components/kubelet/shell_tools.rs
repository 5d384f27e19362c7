//! The programs a container's `sh` finds on its `PATH`, answered from the
//! filesystem model with GNU coreutils' (and GNU grep's) output and
//! messages in the C locale (containers set no `LANG`, so names are quoted
//! `'x'`), or BusyBox's where the program is a BusyBox applet: `cat`, `ls`
//! (`-a`, `-A`, `-1`, `-d`, `-h`, `-l`, `-R`), `mkdir` (`-p`), `rm` (`-r`, `-f`),
//! `rmdir`, `mv`, `cp` (`-r`), `touch`, `head` and `tail` (`-n N`, `-c N`),
//! `wc` (`-l`, `-w`, `-c`), `grep` (fixed strings; `-e`, `-i`, `-v`, `-c`), `sort`,
//! `hostname` (`-i`), `env`, `printenv`, `echo`, `printf` (`%s`, `%d`),
//! `pwd`, `id`, `whoami`, `uname`, `date` (the virtual clock), `ps`, `df`
//! (`-h`), `mount`,
//! `sleep` (returns at once: an exec does not move the virtual clock), and
//! the network and application clients `curl`, `wget` (see `net_tools`),
//! `nslookup` and `dig` (see `dns_tools`), `ping` and the host's `ip` and `iptables` (see
//! `host_tools`) and `redis-cli` (see [`super::redis`]). A program the image has but this
//! list lacks is reported as not modelled. Simplified: `grep` matches fixed
//! strings, not regular expressions; `ls -l` shows root as every owner and
//! the container's start as every time.

use super::container_fs::{FsEntry, FsError, Kind, Mount, MountSource};
use super::redis;
pub use super::tool_ctx::ToolCtx;
use crate::api::meta::timestamp;
use crate::config::image_fs::{join, normalize, parent};

/// stdout, stderr, status.
type Done = (String, String, i32);

/// Runs tool `name`; None when kubesim does not model it.
pub fn run(name: &str, args: &[String], ctx: &mut ToolCtx<'_>) -> Option<Done> {
    if let Some(done) = super::host_tools::run(name, args, ctx) {
        return Some(done);
    }
    Some(match name {
        "cat" => cat(args, ctx),
        "ls" => ls(args, ctx),
        "mkdir" => mkdir(args, ctx),
        "rm" => rm(args, ctx),
        "rmdir" => rmdir(args, ctx),
        "mv" => mv(args, ctx),
        "cp" => cp(args, ctx),
        "touch" => touch(args, ctx),
        "head" | "tail" => head_tail(name, args, ctx),
        "wc" => wc(args, ctx),
        "grep" => grep(args, ctx),
        "sort" => sort(args, ctx),
        "hostname" if args.first().is_some_and(|a| a == "-i") => {
            (format!("{}\n", ctx.identity.pod_ip), String::new(), 0)
        }
        "hostname" => (format!("{}\n", ctx.hostname), String::new(), 0),
        "ps" => ps(ctx),
        "mount" => (mount_table(ctx), String::new(), 0),
        "df" => df(args, ctx),
        "printf" => printf(args),
        "env" | "printenv" => env(name, args, ctx),
        "sleep" => (String::new(), String::new(), 0),
        "echo" => (echo_text(args), String::new(), 0),
        "pwd" => (format!("{}\n", ctx.cwd), String::new(), 0),
        "true" => (String::new(), String::new(), 0),
        "false" => (String::new(), String::new(), 1),
        "id" => (
            "uid=0(root) gid=0(root) groups=0(root)\n".to_owned(),
            String::new(),
            0,
        ),
        "whoami" => ("root\n".to_owned(), String::new(), 0),
        "uname" => uname(args, ctx),
        "date" => date(ctx),
        "curl" => super::net_tools::curl(args, ctx),
        "wget" => super::net_tools::wget(args, ctx),
        "nslookup" => super::dns_tools::nslookup(args, ctx),
        "dig" => super::dns_tools::dig(args, ctx),
        "redis-cli" => {
            let stdin = ctx.stdin;
            redis::cli(args, ctx.tty, stdin, ctx.redis.as_deref_mut())
        }
        _ => return None,
    })
}

/// Splits `-abc` flags from operands (`--` ends the flags).
fn flags(args: &[String]) -> (String, Vec<&str>) {
    let mut f = String::new();
    let mut ops = Vec::new();
    let mut done = false;
    for a in args {
        if !done && a == "--" {
            done = true;
        } else if !done && a.len() > 1 && a.starts_with('-') {
            f.push_str(&a[1..]);
        } else {
            ops.push(a.as_str());
        }
    }
    (f, ops)
}

/// The text of `path`, or the tool's error line.
fn read(tool: &str, path: &str, ctx: &ToolCtx<'_>) -> Result<String, String> {
    let abs = ctx.absolute(path);
    ctx.fs
        .read(ctx.vols, &abs)
        .map_err(|e| format!("{tool}: {path}: {e}\n"))
}

/// The inputs of a filter: the files named, or standard input.
fn inputs(tool: &str, ops: &[&str], ctx: &ToolCtx<'_>, err: &mut String) -> Vec<String> {
    if ops.is_empty() {
        return vec![ctx.stdin.to_owned()];
    }
    ops.iter()
        .filter_map(|p| read(tool, p, ctx).map_err(|e| err.push_str(&e)).ok())
        .collect()
}

fn cat(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    let (_, ops) = flags(args);
    let mut err = String::new();
    let out = inputs("cat", &ops, ctx, &mut err).concat();
    let status = i32::from(!err.is_empty());
    (out, err, status)
}

fn ls(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    let (f, mut ops) = flags(args);
    if let Some(c) = f
        .chars()
        .find(|c| !matches!(c, 'a' | 'A' | '1' | 'd' | 'l' | 'h' | 'R'))
    {
        return (
            String::new(),
            format!(
                "ls: option -{c} is not modelled by kubesim (-a, -A, -1, -d, -h, -l and -R are)\n"
            ),
            2,
        );
    }
    let human_sizes = f.contains('h');
    let recursive = f.contains('R');
    let all = f.contains('a');
    let almost_all = f.contains('A');
    let long = f.contains('l');
    let dir_itself = f.contains('d');
    if ops.is_empty() {
        ops.push(".");
    }
    let (mut out, mut err, mut status) = (String::new(), String::new(), 0);
    let several = ops.len() > 1;
    let mut plain: Vec<&str> = Vec::new();
    let mut dirs: Vec<&str> = Vec::new();
    for op in &ops {
        let abs = ctx.absolute(op);
        // `ls -l LINK` shows the link; a link to a directory is listed
        // through without -l.
        let is_link = matches!(ctx.fs.lstat(ctx.vols, &abs), Ok(Kind::Link));
        match ctx.fs.stat(ctx.vols, &abs) {
            Ok(Kind::Dir) if !(dir_itself || long && is_link) => dirs.push(op),
            Ok(_) => plain.push(op),
            Err(e) => {
                if ctx.busybox() {
                    err.push_str(&format!("ls: {op}: {e}\n"));
                    status = 1;
                } else {
                    err.push_str(&format!("ls: cannot access '{op}': {e}\n"));
                    status = 2;
                }
            }
        }
    }
    plain.sort_unstable();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for p in &plain {
        if long {
            let abs = ctx.absolute(p);
            if let Ok(e) = ctx.fs.lentry(ctx.vols, &abs) {
                rows.push(long_row(ctx, &abs, &e, p, human_sizes));
            }
        } else {
            out.push_str(p);
            out.push('\n');
        }
    }
    out.push_str(&aligned(&rows));
    dirs.sort_unstable();
    // Directories to list, in order; with -R each one's subdirectories
    // follow it (depth first), their shown path built from its own.
    let mut todo: Vec<String> = dirs.iter().rev().map(|d| (*d).to_owned()).collect();
    let mut listed = 0;
    while let Some(d) = todo.pop() {
        if several || recursive {
            if listed > 0 || !plain.is_empty() {
                out.push('\n');
            }
            out.push_str(&format!("{d}:\n"));
        }
        listed += 1;
        if out.len() > super::tool_ctx::MAX_OUTPUT_BYTES {
            break;
        }
        let abs = ctx.absolute(&d);
        let real = match ctx.fs.resolve(ctx.vols, &abs, true) {
            Ok(r) => r,
            Err(_) => abs.clone(),
        };
        match ctx.fs.list(ctx.vols, &abs) {
            Ok(entries) => {
                let mut names: Vec<(String, String)> = Vec::new();
                if all {
                    names.push((".".into(), real.clone()));
                    names.push(("..".into(), parent(&real).to_owned()));
                }
                for (name, _) in entries {
                    if all || almost_all || !name.starts_with('.') {
                        let path = join(&real, &name);
                        names.push((name, path));
                    }
                }
                if long {
                    let mut rows = Vec::new();
                    let mut blocks = 0;
                    for (name, path) in &names {
                        if let Ok(e) = ctx.fs.lentry(ctx.vols, path) {
                            blocks += match &e {
                                FsEntry::Dir => 4,
                                FsEntry::File { content, .. } => content.len().div_ceil(4096) * 4,
                                FsEntry::Link(_) => 0,
                            };
                            rows.push(long_row(ctx, path, &e, name, human_sizes));
                        }
                    }
                    out.push_str(&format!("total {blocks}\n"));
                    out.push_str(&aligned(&rows));
                } else {
                    for (name, _) in &names {
                        out.push_str(name);
                        out.push('\n');
                    }
                }
                if recursive {
                    let subdirs: Vec<String> = names
                        .iter()
                        .filter(|(n, path)| {
                            n != "."
                                && n != ".."
                                && matches!(ctx.fs.lstat(ctx.vols, path), Ok(Kind::Dir))
                        })
                        .map(|(n, _)| join_shown(&d, n))
                        .collect();
                    todo.extend(subdirs.into_iter().rev());
                }
            }
            Err(e) => {
                err.push_str(&format!("ls: cannot open directory '{d}': {e}\n"));
                status = 2;
            }
        }
    }
    (out, err, status)
}

/// A subdirectory's path as `ls -R` shows it under `dir` as shown.
fn join_shown(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The fields of one `ls -l` line (sizes as `-h` shows them with
/// `human_sizes`). Every entry shows root as its owner and the container's
/// start as its time (the model keeps no owners or times).
fn long_row(
    ctx: &ToolCtx<'_>,
    path: &str,
    e: &FsEntry,
    shown: &str,
    human_sizes: bool,
) -> Vec<String> {
    let when = timestamp(ctx.clock.started_at)
        .strftime("%b %e %H:%M")
        .to_string();
    let (perm, links, size, suffix) = match e {
        FsEntry::Dir => {
            let subdirs = ctx
                .fs
                .list(ctx.vols, path)
                .map(|l| l.iter().filter(|(_, k)| *k == Kind::Dir).count())
                .unwrap_or(0);
            ("drwxr-xr-x".to_owned(), 2 + subdirs, 4096, String::new())
        }
        FsEntry::File { content, mode } => {
            (format!("-{}", rwx(*mode)), 1, content.len(), String::new())
        }
        FsEntry::Link(t) => ("lrwxrwxrwx".to_owned(), 1, t.len(), format!(" -> {t}")),
    };
    let size = if human_sizes {
        human(size as u64)
    } else {
        size.to_string()
    };
    vec![
        perm,
        links.to_string(),
        "root".into(),
        "root".into(),
        size,
        when,
        format!("{shown}{suffix}"),
    ]
}

fn rwx(mode: u32) -> String {
    let mut s = String::new();
    for shift in [6, 3, 0] {
        let b = (mode >> shift) & 7;
        s.push(if b & 4 != 0 { 'r' } else { '-' });
        s.push(if b & 2 != 0 { 'w' } else { '-' });
        s.push(if b & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// Pads `ls -l` rows as GNU ls does: counts and sizes right-aligned.
fn aligned(rows: &[Vec<String>]) -> String {
    let width = |i: usize| rows.iter().map(|r| r[i].len()).max().unwrap_or(0);
    let (w1, w2, w3, w4) = (width(1), width(2), width(3), width(4));
    rows.iter()
        .map(|r| {
            format!(
                "{} {:>w1$} {:<w2$} {:<w3$} {:>w4$} {} {}\n",
                r[0], r[1], r[2], r[3], r[4], r[5], r[6]
            )
        })
        .collect()
}

/// `ps`: the container's processes (its own PID namespace): PID 1 and `ps`
/// itself (a shell it runs under is not shown); BusyBox's columns or
/// procps'.
fn ps(ctx: &mut ToolCtx<'_>) -> Done {
    let main = &ctx.identity.main_command;
    let out = if ctx.busybox() {
        format!(
            "PID   USER     TIME  COMMAND\n    1 root      0:00 {main}\n    7 root      0:00 ps\n"
        )
    } else {
        let name = main
            .split_whitespace()
            .next()
            .unwrap_or("")
            .rsplit('/')
            .next()
            .unwrap_or("");
        format!(
            "    PID TTY          TIME CMD\n      1 ?        00:00:00 {name}\n      7 ?        00:00:00 ps\n"
        )
    };
    (out, String::new(), 0)
}

/// The filesystems of the container, in the order the runtime mounts them:
/// (source, mount point, type, options).
fn filesystems(ctx: &ToolCtx<'_>) -> Vec<(String, String, &'static str, String)> {
    let mut out = vec![
        (
            "overlay".to_owned(),
            "/".to_owned(),
            "overlay",
            "rw,relatime".to_owned(),
        ),
        (
            "proc".into(),
            "/proc".into(),
            "proc",
            "rw,nosuid,nodev,noexec,relatime".into(),
        ),
        (
            "tmpfs".into(),
            "/dev".into(),
            "tmpfs",
            "rw,nosuid,size=65536k,mode=755".into(),
        ),
        (
            "sysfs".into(),
            "/sys".into(),
            "sysfs",
            "ro,nosuid,nodev,noexec,relatime".into(),
        ),
    ];
    let mut mounts: Vec<&Mount> = ctx.fs.mounts().iter().collect();
    // The kubelet's /etc files first (hosts, hostname, resolv.conf), then
    // /dev/shm, then the volumes by path.
    let rank = |m: &Mount| match m.path.as_str() {
        "/etc/hosts" => 0,
        "/etc/hostname" => 1,
        "/etc/resolv.conf" => 2,
        _ => 3,
    };
    mounts.sort_by_key(|m| (rank(m), m.path.clone()));
    let shm_at = mounts
        .iter()
        .position(|m| rank(m) == 3)
        .unwrap_or(mounts.len());
    for (i, m) in mounts.into_iter().enumerate() {
        if i == shm_at {
            out.push((
                "shm".into(),
                "/dev/shm".into(),
                "tmpfs",
                "rw,nosuid,nodev,noexec,relatime,size=65536k".into(),
            ));
        }
        let rw = if m.read_only { "ro" } else { "rw" };
        let (source, fstype, opts) = match &m.source {
            MountSource::Disk => ("/dev/sda1".to_owned(), "ext4", format!("{rw},relatime")),
            MountSource::BlockDevice { .. } => {
                ("/dev/sdb".to_owned(), "ext4", format!("{rw},relatime"))
            }
            MountSource::Tmpfs => (
                "tmpfs".to_owned(),
                "tmpfs",
                format!("{rw},relatime,size={}k", ctx.identity.memory_bytes / 2 / 1024),
            ),
            MountSource::Nfs { server, path } => (
                format!("{server}:{path}"),
                "nfs4",
                format!("{rw},relatime,vers=4.2,rsize=1048576,wsize=1048576,namlen=255,hard,proto=tcp,timeo=600,retrans=2,sec=sys"),
            ),
        };
        out.push((source, m.path.clone(), fstype, opts));
    }
    if !out.iter().any(|(_, at, _, _)| at == "/dev/shm") {
        out.push((
            "shm".into(),
            "/dev/shm".into(),
            "tmpfs",
            "rw,nosuid,nodev,noexec,relatime,size=65536k".into(),
        ));
    }
    out
}

/// `mount`: the container's mount table, as util-linux prints it.
fn mount_table(ctx: &ToolCtx<'_>) -> String {
    filesystems(ctx)
        .into_iter()
        .map(|(src, at, fstype, opts)| format!("{src} on {at} type {fstype} ({opts})\n"))
        .collect()
}

/// GNU `df -h`'s size: powers of 1024, one decimal below 10, rounded up.
fn human(bytes: u64) -> String {
    if bytes < 1024 {
        return bytes.to_string();
    }
    let units = ['K', 'M', 'G', 'T', 'P'];
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    let tenths = (value * 10.0).ceil() / 10.0;
    if tenths < 10.0 {
        format!("{tenths:.1}{}", units[unit])
    } else {
        format!("{}{}", value.ceil() as u64, units[unit])
    }
}

/// `df [-h]`: the container's filesystems with their size and use (the
/// node's disk for the root and disk volumes, a tmpfs's own content); a
/// device mounted more than once is shown once, at its shortest mount
/// point, as GNU df does.
fn df(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    let (f, operands) = flags(args);
    if let Some(c) = f.chars().find(|c| *c != 'h') {
        return (
            String::new(),
            format!("df: option -{c} is not modelled by kubesim (-h is)\n"),
            1,
        );
    }
    let h = f.contains('h');
    let (disk, used) = ctx.identity.disk;
    let all = filesystems(ctx);
    let row = |src: &str, at: &str, fstype: &str| -> Option<[String; 6]> {
        let (size, used) = match (fstype, src) {
            ("proc" | "sysfs", _) => return None,
            ("tmpfs", "tmpfs") if at != "/dev" => {
                let on = ctx.fs.mounts().iter().find(|m| m.path == at);
                let used = on
                    .and_then(|m| ctx.vols.tree(m.volume))
                    .map_or(0, |t| t.bytes() as u64);
                (ctx.identity.memory_bytes / 2, used)
            }
            ("tmpfs", _) => (65_536 * 1024, 0),
            ("nfs4", _) => (disk, 0),
            _ => match ctx.fs.mounts().iter().find(|m| m.path == at) {
                // An attached disk: its volume's size, its files' use.
                Some(Mount {
                    source: MountSource::BlockDevice { size_bytes },
                    volume,
                    ..
                }) => {
                    let used = ctx.vols.tree(*volume).map_or(0, |t| t.bytes() as u64);
                    (*size_bytes, used.min(*size_bytes))
                }
                _ => (disk, used.min(disk)),
            },
        };
        let avail = size.saturating_sub(used);
        let pct = if size == 0 {
            0
        } else {
            (used * 100).div_ceil(size)
        };
        let show = |b: u64| {
            if h {
                human(b)
            } else {
                b.div_ceil(1024).to_string()
            }
        };
        Some([
            src.to_owned(),
            show(size),
            show(used),
            show(avail),
            format!("{pct}%"),
            at.to_owned(),
        ])
    };
    let mut rows: Vec<[String; 6]> = Vec::new();
    if operands.is_empty() {
        let shortest = |src: &str| {
            all.iter()
                .filter(|(s, _, _, _)| s == src)
                .map(|(_, at, _, _)| at.len())
                .min()
                .unwrap_or(0)
        };
        let mut shown: Vec<&str> = Vec::new();
        for (src, at, fstype, _) in &all {
            if src != "tmpfs" && (shown.contains(&src.as_str()) || at.len() != shortest(src)) {
                continue;
            }
            shown.push(src);
            rows.extend(row(src, at, fstype));
        }
    } else {
        // `df FILE`: the filesystem FILE is on (the longest mount point
        // above it).
        let mut err = String::new();
        for op in operands {
            let path = normalize(&join(ctx.cwd, op));
            if ctx.fs.stat(ctx.vols, &path).is_err() {
                err.push_str(&format!("df: {op}: No such file or directory\n"));
                continue;
            }
            let on = all
                .iter()
                .filter(|(_, at, _, _)| {
                    at == "/" || path == *at || path.starts_with(&format!("{at}/"))
                })
                .max_by_key(|(_, at, _, _)| at.len());
            if let Some((src, at, fstype, _)) = on {
                rows.extend(row(src, at, fstype));
            }
        }
        if rows.is_empty() {
            return (String::new(), err, 1);
        }
    }
    let head = if h {
        ["Filesystem", "Size", "Used", "Avail", "Use%", "Mounted on"]
    } else {
        [
            "Filesystem",
            "1K-blocks",
            "Used",
            "Available",
            "Use%",
            "Mounted on",
        ]
    };
    // GNU df's least widths, wider when a value needs it.
    let least = if h {
        [14, 5, 5, 5, 4]
    } else {
        [14, 9, 7, 9, 4]
    };
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].len())
            .chain([head[i].len(), least[i]])
            .max()
            .unwrap_or(0)
    };
    let w: Vec<usize> = (0..5).map(width).collect();
    let head = head.map(str::to_owned);
    let mut out = String::new();
    for r in std::iter::once(&head).chain(&rows) {
        out.push_str(&format!(
            "{:<w0$} {:>w1$} {:>w2$} {:>w3$} {:>w4$} {}\n",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2],
            w3 = w[3],
            w4 = w[4]
        ));
    }
    (out, String::new(), 0)
}

/// `printf FORMAT [ARG...]`: `%s`, `%d`, `%%` and the backslash escapes
/// `\n`, `\t`, `\\`; the format is reused while arguments remain.
fn printf(args: &[String]) -> Done {
    let Some((format, mut rest)) = args.split_first() else {
        return (
            String::new(),
            "printf: missing operand\nTry 'printf --help' for more information.\n".into(),
            1,
        );
    };
    let mut out = String::new();
    let mut status = 0;
    loop {
        let mut used = 0;
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('\\') => out.push('\\'),
                    Some(o) => {
                        out.push('\\');
                        out.push(o);
                    }
                    None => out.push('\\'),
                },
                '%' => match chars.next() {
                    Some('%') => out.push('%'),
                    Some('s') => {
                        out.push_str(rest.get(used).map_or("", String::as_str));
                        used += 1;
                    }
                    Some('d' | 'i') => {
                        let a = rest.get(used).map_or("", String::as_str);
                        match a.parse::<i64>() {
                            Ok(n) => out.push_str(&n.to_string()),
                            Err(_) if a.is_empty() => out.push('0'),
                            Err(_) => {
                                status = 1;
                                out.push('0');
                            }
                        }
                        used += 1;
                    }
                    Some(o) => {
                        out.push('%');
                        out.push(o);
                    }
                    None => out.push('%'),
                },
                c => out.push(c),
            }
        }
        if used == 0 || used >= rest.len() {
            break;
        }
        rest = &rest[used..];
    }
    let err = if status == 1 {
        "printf: invalid number\n".to_owned()
    } else {
        String::new()
    };
    (out, err, status)
}

/// `uname [-a|-s|-n|-r|-m]`: the node's kernel (the container shares it).
fn uname(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    let (f, _) = flags(args);
    let fields = [
        ('s', "Linux".to_owned()),
        ('n', ctx.hostname.to_owned()),
        ('r', "6.8.0-1027-gcp".to_owned()),
        (
            'v',
            "#28-Ubuntu SMP Thu Mar 20 19:37:39 UTC 2025".to_owned(),
        ),
        ('m', "x86_64".to_owned()),
    ];
    let chosen: Vec<&str> = if f.contains('a') {
        let mut all: Vec<&str> = fields.iter().map(|(_, v)| v.as_str()).collect();
        all.push("GNU/Linux");
        all
    } else if f.is_empty() {
        vec!["Linux"]
    } else {
        fields
            .iter()
            .filter(|(c, _)| f.contains(*c))
            .map(|(_, v)| v.as_str())
            .collect()
    };
    (format!("{}\n", chosen.join(" ")), String::new(), 0)
}

/// `date`: the virtual time, in UTC, as `date` prints it in the C locale.
fn date(ctx: &mut ToolCtx<'_>) -> Done {
    let t = timestamp(ctx.clock.now).strftime("%a %b %e %H:%M:%S UTC %Y");
    (format!("{t}\n"), String::new(), 0)
}

fn missing_operand(tool: &str) -> Done {
    (
        String::new(),
        format!("{tool}: missing operand\nTry '{tool} --help' for more information.\n"),
        1,
    )
}

fn mkdir(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    let (f, ops) = flags(args);
    if ops.is_empty() {
        return missing_operand("mkdir");
    }
    let mut err = String::new();
    for op in ops {
        let abs = ctx.absolute(op);
        if let Err(e) = ctx.fs.mkdir(ctx.vols, &abs, f.contains('p')) {
            err.push_str(&if ctx.busybox() {
                format!("mkdir: can't create directory '{op}': {e}\n")
            } else {
                format!("mkdir: cannot create directory '{op}': {e}\n")
            });
        }
    }
    let status = i32::from(!err.is_empty());
    (String::new(), err, status)
}

fn rm(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    let (f, ops) = flags(args);
    let force = f.contains('f');
    let recursive = f.contains('r') || f.contains('R');
    if ops.is_empty() && !force {
        return missing_operand("rm");
    }
    let mut err = String::new();
    for op in ops {
        let abs = ctx.absolute(op);
        let result = match ctx.fs.lstat(ctx.vols, &abs) {
            Ok(Kind::Dir) if !recursive => Err(FsError::IsADirectory),
            Ok(_) => ctx.fs.remove(ctx.vols, &abs, true),
            Err(e) => Err(e),
        };
        match result {
            Err(FsError::NotFound) if force => {}
            Err(e) if ctx.busybox() => err.push_str(&format!("rm: can't remove '{op}': {e}\n")),
            Err(e) => err.push_str(&format!("rm: cannot remove '{op}': {e}\n")),
            Ok(()) => {}
        }
    }
    let status = i32::from(!err.is_empty());
    (String::new(), err, status)
}

fn rmdir(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    let (_, ops) = flags(args);
    if ops.is_empty() {
        return missing_operand("rmdir");
    }
    let mut err = String::new();
    for op in ops {
        let abs = ctx.absolute(op);
        let result = match ctx.fs.lstat(ctx.vols, &abs) {
            Ok(Kind::Dir) => ctx.fs.remove(ctx.vols, &abs, false),
            Ok(_) => Err(FsError::NotADirectory),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            err.push_str(&format!("rmdir: failed to remove '{op}': {e}\n"));
        }
    }
    let status = i32::from(!err.is_empty());
    (String::new(), err, status)
}

/// The destination of `mv`/`cp SRC DEST`: into DEST when it is a directory.
fn destination(ctx: &ToolCtx<'_>, src: &str, dest: &str) -> String {
    let abs = ctx.absolute(dest);
    match ctx.fs.stat(ctx.vols, &abs) {
        Ok(Kind::Dir) => {
            let name = src.trim_end_matches('/').rsplit('/').next().unwrap_or(src);
            ctx.absolute(&format!("{abs}/{name}"))
        }
        _ => abs,
    }
}

fn mv(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    let (_, ops) = flags(args);
    let [src, dest] = ops[..] else {
        return missing_operand("mv");
    };
    let from = ctx.absolute(src);
    if let Err(e) = ctx.fs.lstat(ctx.vols, &from) {
        return (String::new(), format!("mv: cannot stat '{src}': {e}\n"), 1);
    }
    let to = destination(ctx, src, dest);
    let moved = match ctx.fs.rename(ctx.vols, &from, &to) {
        // Across mounts mv copies, then removes the source.
        Err(FsError::CrossDevice) => {
            copy_tree(ctx, &from, &to).and_then(|()| ctx.fs.remove(ctx.vols, &from, true))
        }
        other => other,
    };
    match moved {
        Ok(()) => (String::new(), String::new(), 0),
        Err(e) => (
            String::new(),
            format!("mv: cannot move '{src}' to '{dest}': {e}\n"),
            1,
        ),
    }
}

/// Copies `from` (a file, or a directory and what it holds) to `to`.
fn copy_tree(ctx: &mut ToolCtx<'_>, from: &str, to: &str) -> Result<(), FsError> {
    match ctx.fs.stat(ctx.vols, from)? {
        Kind::Dir => {
            ctx.fs.mkdir(ctx.vols, to, true)?;
            for (name, _) in ctx.fs.list(ctx.vols, from)? {
                copy_tree(ctx, &format!("{from}/{name}"), &format!("{to}/{name}"))?;
            }
            Ok(())
        }
        _ => {
            let text = ctx.fs.read(ctx.vols, from)?;
            ctx.fs.write(ctx.vols, to, &text, false)
        }
    }
}

fn cp(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    let (f, ops) = flags(args);
    let [src, dest] = ops[..] else {
        return missing_operand("cp");
    };
    let from = ctx.absolute(src);
    match ctx.fs.stat(ctx.vols, &from) {
        Err(e) => return (String::new(), format!("cp: cannot stat '{src}': {e}\n"), 1),
        Ok(Kind::Dir) if !(f.contains('r') || f.contains('R') || f.contains('a')) => {
            return (
                String::new(),
                format!("cp: -r not specified; omitting directory '{src}'\n"),
                1,
            )
        }
        Ok(_) => {}
    }
    let to = destination(ctx, src, dest);
    match copy_tree(ctx, &from, &to) {
        Ok(()) => (String::new(), String::new(), 0),
        Err(e) => (
            String::new(),
            format!("cp: cannot create regular file '{dest}': {e}\n"),
            1,
        ),
    }
}

fn touch(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    let (_, ops) = flags(args);
    if ops.is_empty() {
        return missing_operand("touch");
    }
    let mut err = String::new();
    for op in ops {
        let abs = ctx.absolute(op);
        let result = match ctx.fs.stat(ctx.vols, &abs) {
            Ok(_) => Ok(()),
            Err(FsError::NotFound) => ctx.fs.write(ctx.vols, &abs, "", false),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            err.push_str(&if ctx.busybox() {
                format!("touch: {op}: {e}\n")
            } else {
                format!("touch: cannot touch '{op}': {e}\n")
            });
        }
    }
    let status = i32::from(!err.is_empty());
    (String::new(), err, status)
}

/// Lines of `text`, each with its newline.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

fn head_tail(tool: &str, args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    // -n N, -nN, -N (lines) or -c N, -cN (bytes).
    let mut n = 10usize;
    let mut bytes = false;
    let mut ops: Vec<&str> = Vec::new();
    let mut i = 0;
    let invalid = |what: &str| {
        (
            String::new(),
            format!("{tool}: invalid number of {what}\n"),
            1,
        )
    };
    while i < args.len() {
        let a = args[i].as_str();
        if a == "-n" || a == "-c" {
            let Some(v) = args.get(i + 1).and_then(|v| v.parse().ok()) else {
                return invalid(if a == "-c" { "bytes" } else { "lines" });
            };
            n = v;
            bytes = a == "-c";
            i += 2;
            continue;
        }
        if let Some(v) = a.strip_prefix("-c") {
            let Ok(v) = v.parse() else {
                return invalid("bytes");
            };
            n = v;
            bytes = true;
        } else if let Some(v) = a
            .strip_prefix("-n")
            .or_else(|| a.strip_prefix('-'))
            .and_then(|v| v.parse().ok())
        {
            n = v;
        } else {
            ops.push(a);
        }
        i += 1;
    }
    let mut err = String::new();
    let mut out = String::new();
    for text in inputs(tool, &ops, ctx, &mut err) {
        if bytes {
            let b = text.as_bytes();
            let pick = if tool == "head" {
                &b[..n.min(b.len())]
            } else {
                &b[b.len().saturating_sub(n)..]
            };
            out.push_str(&String::from_utf8_lossy(pick));
            continue;
        }
        let all = lines(&text);
        let pick = if tool == "head" {
            &all[..n.min(all.len())]
        } else {
            &all[all.len().saturating_sub(n)..]
        };
        out.push_str(&pick.concat());
    }
    let status = i32::from(!err.is_empty());
    (out, err, status)
}

fn wc(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    let (f, ops) = flags(args);
    let mut err = String::new();
    let mut out = String::new();
    let texts = inputs("wc", &ops, ctx, &mut err);
    for (i, text) in texts.iter().enumerate() {
        let l = text.matches('\n').count();
        let name = ops.get(i).map(|n| format!(" {n}")).unwrap_or_default();
        let w = text.split_whitespace().count();
        let c = text.len();
        // The counts asked for (-l, -w, -c), in that order; all three
        // without a flag. One count alone is printed without padding.
        let chosen: Vec<usize> = [('l', l), ('w', w), ('c', c)]
            .iter()
            .filter(|(k, _)| f.is_empty() || f.contains(*k))
            .map(|(_, n)| *n)
            .collect();
        if let [one] = chosen.as_slice() {
            out.push_str(&format!("{one}{name}\n"));
        } else {
            let cols: Vec<String> = chosen.iter().map(|n| format!("{n:>7}")).collect();
            out.push_str(&format!("{}{name}\n", cols.join(" ")));
        }
    }
    let status = i32::from(!err.is_empty());
    (out, err, status)
}

fn grep(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    // `-e PATTERN` (any number of times); otherwise the first operand.
    let mut patterns: Vec<String> = Vec::new();
    let mut rest: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "-e" {
            match it.next() {
                Some(p) => patterns.push(p.clone()),
                None => {
                    return (
                        String::new(),
                        "grep: option requires an argument -- 'e'\nUsage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n".to_owned(),
                        2,
                    )
                }
            }
        } else {
            rest.push(a.clone());
        }
    }
    let (f, mut files) = flags(&rest);
    if patterns.is_empty() {
        if files.is_empty() {
            return (
                String::new(),
                "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n"
                    .to_owned(),
                2,
            );
        }
        patterns.push(files.remove(0).to_owned());
    }
    let files = files.as_slice();
    let (ignore, invert, count) = (f.contains('i'), f.contains('v'), f.contains('c'));
    let needles: Vec<String> = patterns
        .iter()
        .map(|p| if ignore { p.to_lowercase() } else { p.clone() })
        .collect();
    let mut err = String::new();
    let mut out = String::new();
    let mut matched = 0usize;
    for text in inputs("grep", files, ctx, &mut err) {
        for line in text.lines() {
            let hay = if ignore {
                line.to_lowercase()
            } else {
                line.to_owned()
            };
            if needles.iter().any(|n| hay.contains(n.as_str())) != invert {
                matched += 1;
                if !count {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    if count {
        out = format!("{matched}\n");
    }
    let status = if !err.is_empty() {
        2
    } else {
        i32::from(matched == 0)
    };
    (out, err, status)
}

fn sort(args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    let (f, ops) = flags(args);
    let mut err = String::new();
    let texts = inputs("sort", &ops, ctx, &mut err);
    let mut all: Vec<&str> = texts.iter().flat_map(|t| t.lines()).collect();
    all.sort_unstable();
    if f.contains('r') {
        all.reverse();
    }
    let out: String = all.iter().map(|l| format!("{l}\n")).collect();
    let status = i32::from(!err.is_empty()) * 2;
    (out, err, status)
}

fn env(tool: &str, args: &[String], ctx: &mut ToolCtx<'_>) -> Done {
    if tool == "printenv" && !args.is_empty() {
        let mut out = String::new();
        let mut missing = false;
        for a in args {
            match ctx.vars.get(a) {
                Some(v) => out.push_str(&format!("{v}\n")),
                None => missing = true,
            }
        }
        return (out, String::new(), i32::from(missing));
    }
    let out = ctx
        .order
        .iter()
        .filter_map(|k| ctx.vars.get(k).map(|v| format!("{k}={v}\n")))
        .collect();
    (out, String::new(), 0)
}

/// dash's `echo`: `-n`, and the backslash escapes of XSI.
pub fn echo_text(args: &[String]) -> String {
    let (newline, args) = match args.first().map(String::as_str) {
        Some("-n") => (false, &args[1..]),
        _ => (true, args),
    };
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let mut chars = a.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('\\') => out.push('\\'),
                Some('c') => return out,
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        }
    }
    if newline {
        out.push('\n');
    }
    out
}
