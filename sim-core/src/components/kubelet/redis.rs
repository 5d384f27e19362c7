//! redis in a container (issue 11): the server's configuration as it loads
//! it at start (`redis-server [FILE] [--name value...]`: the file, then the
//! command-line options, over redis 7.4's defaults), its keyspace, the
//! replies of the commands modelled (PING, CONFIG GET, SET, GET, DEL,
//! EXISTS, KEYS, DBSIZE), and `redis-cli`, one-shot or interactive, which
//! prints them as redis-cli does: raw (one value a line) when stdout is not
//! a terminal, the numbered, quoted form on one. The keyspace lives with the
//! container instance (a restart empties it: no persistence is modelled).

use std::collections::BTreeMap;

use super::container_fs::normalize;

/// Parameters whose values are byte counts: `2mb` in the file, `2097152`
/// from CONFIG GET.
const MEMORY: [&str; 5] = [
    "maxmemory",
    "client-query-buffer-limit",
    "proto-max-bulk-len",
    "repl-backlog-size",
    "active-defrag-ignore-bytes",
];

/// The `maxmemory-policy` values redis accepts.
const POLICIES: [&str; 8] = [
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];

/// redis 7.4's defaults for the parameters kubesim knows (`dir` is the
/// working directory, /data in the official image).
fn defaults() -> BTreeMap<String, String> {
    [
        ("appendonly", "no"),
        ("databases", "16"),
        ("dir", "/data"),
        ("maxclients", "10000"),
        ("maxmemory", "0"),
        ("maxmemory-policy", "noeviction"),
        ("port", "6379"),
        ("requirepass", ""),
        ("timeout", "0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// redis's `memtoll`: a byte count with an optional unit (case-insensitive):
/// `b`, `k` = 1000, `kb` = 1024, `m` = 10^6, `mb` = 2^20, `g` = 10^9, `gb` = 2^30.
pub(crate) fn memtoll(value: &str) -> Option<u64> {
    let lower = value.to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(split);
    let mul: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(mul)
}

/// The value CONFIG GET reports for `name` set to `args`, or None when
/// redis refuses it (a fatal config error at start).
fn normalized(name: &str, args: &[String]) -> Option<String> {
    if MEMORY.contains(&name) {
        let [v] = args else { return None };
        return memtoll(v).map(|n| n.to_string());
    }
    match name {
        "maxmemory-policy" => {
            let [v] = args else { return None };
            let v = v.to_ascii_lowercase();
            POLICIES.contains(&v.as_str()).then_some(v)
        }
        "appendonly" => {
            let [v] = args else { return None };
            let v = v.to_ascii_lowercase();
            (v == "yes" || v == "no").then_some(v)
        }
        _ => Some(args.join(" ")),
    }
}

/// Splits a config line into words (`sdssplitargs`: quotes group words).
fn split_args(line: &str) -> Vec<String> {
    shlex::split(line).unwrap_or_else(|| line.split_whitespace().map(str::to_owned).collect())
}

/// The configuration redis builds from a config file's text and the
/// command-line options after it: directives lower-cased, comments and
/// blank lines skipped, a later directive replacing an earlier one, on
/// top of the defaults. Err when redis would refuse to start.
pub(crate) fn load(file: &str, options: &[String]) -> Result<BTreeMap<String, String>, ()> {
    let mut lines: Vec<Vec<String>> = file
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(split_args)
        .collect();
    let from_file = lines.len();
    for o in options {
        match o.strip_prefix("--") {
            Some(name) => lines.push(vec![name.to_owned()]),
            None if lines.len() > from_file => {
                if let Some(l) = lines.last_mut() {
                    l.push(o.clone());
                }
            }
            None => return Err(()),
        }
    }
    let mut config = defaults();
    for words in lines {
        let Some((name, args)) = words.split_first() else {
            continue;
        };
        let name = name.to_ascii_lowercase();
        let value = normalized(&name, args).ok_or(())?;
        config.insert(name, value);
    }
    Ok(config)
}

/// What a container's process was started with: the container's command
/// and args, and the files they name as they were at its start.
#[derive(Clone, Copy, Debug)]
pub struct Started<'a> {
    /// The container's `command` (empty: the image's entrypoint).
    pub command: &'a [String],
    /// The container's `args`.
    pub args: &'a [String],
    /// The files named by absolute path, as they were at start.
    pub files_at_start: &'a BTreeMap<String, String>,
}

/// The argv of the container's process as the runtime starts it: the
/// container's command and args, else the image's entrypoint
/// (docker-entrypoint.sh, which puts `redis-server` before an args list
/// starting with an option or a `.conf` file) and cmd (`redis-server`);
/// `sh -c 'LINE'` is split.
fn process_argv(p: Started<'_>) -> Vec<String> {
    let argv: Vec<String> = if !p.command.is_empty() {
        p.command.iter().chain(p.args).cloned().collect()
    } else if p.args.is_empty() {
        vec!["redis-server".into()]
    } else if p.args[0].starts_with('-') || p.args[0].ends_with(".conf") {
        std::iter::once("redis-server".to_owned())
            .chain(p.args.iter().cloned())
            .collect()
    } else {
        p.args.to_vec()
    };
    let base = |s: &str| s.rsplit('/').next().unwrap_or(s).to_owned();
    match argv.as_slice() {
        [sh, c, line, ..] if ["sh", "bash"].contains(&base(sh).as_str()) && c == "-c" => {
            let mut words = shlex::split(line).unwrap_or_default();
            if words.first().is_some_and(|w| w == "exec") {
                words.remove(0);
            }
            words
        }
        _ => argv,
    }
}

/// The configuration the container's redis-server loaded when it
/// started; Err when no redis-server runs there (its command is another
/// program, its config file was missing or refused).
pub(crate) fn server_config(p: Started<'_>) -> Result<BTreeMap<String, String>, ()> {
    let argv = process_argv(p);
    let Some(first) = argv.first() else {
        return Err(());
    };
    if first.rsplit('/').next() != Some("redis-server") {
        return Err(());
    }
    let rest = &argv[1..];
    match rest.split_first() {
        Some((file, _)) if !file.starts_with('/') && !file.starts_with('-') => Err(()),
        Some((file, options)) if !file.starts_with('-') => {
            // A relative path is read from the working directory; the
            // kubelet keeps only the files named by absolute path.
            let text = p.files_at_start.get(&normalize(file)).ok_or(())?;
            load(text, options)
        }
        _ => load("", rest),
    }
}

/// A running redis-server: the configuration it loaded and its keys.
#[derive(Debug)]
pub struct Server {
    /// The configuration loaded at start.
    pub config: BTreeMap<String, String>,
    /// The keyspace (database 0), kept with the container instance.
    pub data: BTreeMap<String, String>,
}

/// A reply of the server.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// `+PONG`.
    Status(String),
    /// `$...`.
    Bulk(String),
    /// `*...` of bulk strings.
    Array(Vec<String>),
    /// `:N`.
    Integer(i64),
    /// `$-1`: no such key.
    Nil,
    /// `-ERR ...`.
    Error(String),
}

/// redis's `stringmatch` with `nocase`: `*`, `?` and literal characters.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        Some((b'?', rest)) => !text.is_empty() && glob(rest, &text[1..]),
        Some((c, rest)) => {
            text.first().is_some_and(|t| t.eq_ignore_ascii_case(c)) && glob(rest, &text[1..])
        }
    }
}

/// The most keys a modelled keyspace holds, and the longest value.
pub const MAX_KEYS: usize = 10_000;
/// The longest value a modelled `SET` stores, bytes.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

fn wrong_args(name: &str) -> Reply {
    Reply::Error(format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}

/// The reply of the server to `words` (command words case-insensitive), or
/// None for a command kubesim does not model.
pub(crate) fn serve(server: &mut Server, words: &[&str]) -> Option<Reply> {
    let lower = words.first()?.to_ascii_lowercase();
    let args = &words[1..];
    let data = &mut server.data;
    Some(match (lower.as_str(), args) {
        ("set", [k, v]) => {
            if v.len() > MAX_VALUE_BYTES || (data.len() >= MAX_KEYS && !data.contains_key(*k)) {
                Reply::Error("OOM command not allowed when used memory > 'maxmemory'.".into())
            } else {
                data.insert((*k).to_owned(), (*v).to_owned());
                Reply::Status("OK".into())
            }
        }
        ("set", _) => wrong_args("set"),
        ("get", [k]) => data.get(*k).map_or(Reply::Nil, |v| Reply::Bulk(v.clone())),
        ("get", _) => wrong_args("get"),
        ("del", [_, ..]) => {
            Reply::Integer(args.iter().filter(|k| data.remove(**k).is_some()).count() as i64)
        }
        ("exists", [_, ..]) => {
            Reply::Integer(args.iter().filter(|k| data.contains_key(**k)).count() as i64)
        }
        ("del" | "exists", []) => wrong_args(&lower),
        ("keys", [pattern]) => Reply::Array(
            data.keys()
                .filter(|k| glob_case(pattern.as_bytes(), k.as_bytes()))
                .cloned()
                .collect(),
        ),
        ("keys", _) => wrong_args("keys"),
        ("dbsize", []) => Reply::Integer(data.len() as i64),
        _ => return command(&server.config, words),
    })
}

/// redis's `stringmatch` without `nocase` (KEYS is case-sensitive).
fn glob_case(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob_case(rest, &text[i..])),
        Some((b'?', rest)) => !text.is_empty() && glob_case(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && glob_case(rest, &text[1..]),
    }
}

/// The reply to a command on the configuration (PING, CONFIG GET), or None
/// for a command kubesim does not model.
pub(crate) fn command(config: &BTreeMap<String, String>, words: &[&str]) -> Option<Reply> {
    let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    match lower
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["ping"] => Some(Reply::Status("PONG".into())),
        ["ping", _] => Some(Reply::Bulk(words[1].to_owned())),
        ["ping", ..] => Some(Reply::Error(
            "ERR wrong number of arguments for 'ping' command".into(),
        )),
        ["config", "get"] => Some(Reply::Error(
            "ERR wrong number of arguments for 'config|get' command".into(),
        )),
        ["config", "get", params @ ..] => {
            let mut out = Vec::new();
            for p in params {
                let mut names: Vec<&String> = config
                    .keys()
                    .filter(|k| glob(p.as_bytes(), k.as_bytes()))
                    .collect();
                names.sort();
                for n in names {
                    if !out.contains(n) {
                        out.push(n.clone());
                        out.push(config[n].clone());
                    }
                }
            }
            Some(Reply::Array(out))
        }
        _ => None,
    }
}

/// redis's `sdscatrepr`: a quoted string with escapes.
fn repr(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        match b {
            b'\\' | b'"' => {
                out.push('\\');
                out.push(char::from(b));
            }
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

impl Reply {
    /// redis-cli's output when stdout is not a terminal (no final newline).
    pub fn raw(&self) -> String {
        match self {
            Reply::Status(s) | Reply::Bulk(s) | Reply::Error(s) => s.clone(),
            Reply::Array(items) => items.join("\n"),
            Reply::Integer(n) => n.to_string(),
            Reply::Nil => String::new(),
        }
    }

    /// redis-cli's output on a terminal (no final newline).
    pub fn tty(&self) -> String {
        match self {
            Reply::Status(s) => s.clone(),
            Reply::Bulk(s) => repr(s),
            Reply::Error(e) => format!("(error) {e}"),
            Reply::Integer(n) => format!("(integer) {n}"),
            Reply::Nil => "(nil)".into(),
            Reply::Array(items) if items.is_empty() => "(empty array)".into(),
            Reply::Array(items) => {
                let width = items.len().to_string().len();
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| format!("{:>width$}) {}", i + 1, repr(v)))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
        }
    }
}

/// `redis-cli [-h H] [-p P] [-a PASS] [--raw|--no-raw] [COMMAND...]` against
/// the pod's redis-server (None: nothing listens on 6379). Without a
/// command it reads commands from `stdin`, one a line; on a terminal it
/// shows its prompt before each, as the interactive redis-cli does.
pub(crate) fn cli(
    args: &[String],
    tty: bool,
    stdin: &str,
    server: Option<&mut Server>,
) -> (String, String, i32) {
    let mut raw = !tty;
    let mut password: Option<&str> = None;
    let mut words: Vec<&str> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if !words.is_empty() {
            words.push(a);
            continue;
        }
        match a.as_str() {
            "--raw" => raw = true,
            "--no-raw" => raw = false,
            "-a" | "--pass" => password = it.next().map(String::as_str),
            "-h" | "-p" | "-n" | "-u" | "--user" => {
                it.next();
            }
            _ => words.push(a),
        }
    }
    let mut out = String::new();
    if password.is_some() {
        out.push_str("Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.\n");
    }
    let Some(server) = server else {
        if words.is_empty() && tty {
            out.push_str(
                "Could not connect to Redis at 127.0.0.1:6379: Connection refused\nnot connected> ",
            );
            return (out, String::new(), 0);
        }
        out.push_str("Could not connect to Redis at 127.0.0.1:6379: Connection refused\n");
        return (out, String::new(), 1);
    };
    let mut authed = match server.config.get("requirepass").filter(|p| !p.is_empty()) {
        None => true,
        Some(required) => {
            match password {
                Some(p) if p == required => true,
                Some(_) => {
                    out.push_str("AUTH failed: WRONGPASS invalid username-password pair or user is disabled.\n");
                    false
                }
                None => false,
            }
        }
    };
    let mut run = |words: &[&str], out: &mut String, raw: bool| -> i32 {
        let auth = words
            .first()
            .is_some_and(|w| w.eq_ignore_ascii_case("auth"));
        let reply = if auth {
            match (words, server.config.get("requirepass")) {
                ([_, p], Some(required)) if !required.is_empty() && p == required => {
                    authed = true;
                    Reply::Status("OK".into())
                }
                ([_, _], Some(required)) if !required.is_empty() => Reply::Error(
                    "WRONGPASS invalid username-password pair or user is disabled.".into(),
                ),
                ([_, _], _) => Reply::Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?".into()),
                _ => wrong_args("auth"),
            }
        } else if !authed {
            Reply::Error("NOAUTH Authentication required.".into())
        } else {
            match serve(server, words) {
                Some(r) => r,
                None => Reply::Error(format!(
                    "ERR kubesim's redis models PING, CONFIG GET, SET, GET, DEL, EXISTS, KEYS and DBSIZE, not '{}'",
                    words.first().copied().unwrap_or_default()
                )),
            }
        };
        out.push_str(&if raw { reply.raw() } else { reply.tty() });
        out.push('\n');
        i32::from(matches!(reply, Reply::Error(_)))
    };
    if !words.is_empty() {
        let status = run(&words, &mut out, raw);
        return (out, String::new(), status);
    }
    for line in stdin.lines() {
        if tty {
            out.push_str("127.0.0.1:6379> ");
            out.push_str(line);
            out.push('\n');
        }
        let Some(words) = shlex::split(line) else {
            out.push_str("Invalid argument(s)\n");
            continue;
        };
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        match words.first().map(|w| w.to_ascii_lowercase()).as_deref() {
            None => {}
            Some("exit" | "quit") => return (out, String::new(), 0),
            Some(_) => {
                run(&words, &mut out, raw);
            }
        }
    }
    if tty {
        out.push_str("127.0.0.1:6379> ");
    }
    (out, String::new(), 0)
}

#[cfg(test)]
#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{command, load, memtoll, server_config, Reply, Started};

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    /// What `server_config` sees of a container started with these.
    struct View {
        command: Vec<String>,
        args: Vec<String>,
        files: BTreeMap<String, String>,
    }

    impl View {
        fn started(&self) -> Started<'_> {
            Started {
                command: &self.command,
                args: &self.args,
                files_at_start: &self.files,
            }
        }
    }

    fn view(command: &[&str], args: &[&str], files: &[(&str, &str)]) -> View {
        View {
            command: strings(command),
            args: strings(args),
            files: files
                .iter()
                .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
                .collect(),
        }
    }

    fn get(config: &BTreeMap<String, String>, words: &[&str]) -> Reply {
        command(config, words).expect("a modelled command")
    }

    #[test]
    fn memtoll_converts_units_as_redis_does() {
        assert_eq!(memtoll("2mb"), Some(2_097_152));
        assert_eq!(memtoll("2MB"), Some(2_097_152));
        assert_eq!(memtoll("2m"), Some(2_000_000));
        assert_eq!(memtoll("1kb"), Some(1024));
        assert_eq!(memtoll("1k"), Some(1000));
        assert_eq!(memtoll("1gb"), Some(1_073_741_824));
        assert_eq!(memtoll("1g"), Some(1_000_000_000));
        assert_eq!(memtoll("100"), Some(100));
        assert_eq!(memtoll("100b"), Some(100));
        assert_eq!(memtoll("0"), Some(0));
        assert_eq!(memtoll("2tb"), None);
        assert_eq!(memtoll("mb"), None);
        assert_eq!(memtoll(""), None);
    }

    #[test]
    fn the_file_overrides_the_defaults() {
        let defaults = load("", &[]).expect("defaults");
        assert_eq!(defaults["maxmemory"], "0");
        assert_eq!(defaults["maxmemory-policy"], "noeviction");
        let c = load(
            "# a comment\n\nMaxMemory 2mb\nmaxmemory-policy ALLKEYS-LRU\nsave \"\"\nhz 10\nmaxmemory 3mb\n",
            &[],
        )
        .expect("loads");
        assert_eq!(c["maxmemory"], "3145728", "the last directive wins");
        assert_eq!(c["maxmemory-policy"], "allkeys-lru");
        assert_eq!(c["hz"], "10", "any key of the file");
        assert_eq!(c["save"], "");
        assert_eq!(load("maxmemory-policy lru-please\n", &[]), Err(()));
        assert_eq!(load("maxmemory lots\n", &[]), Err(()));
    }

    #[test]
    fn command_line_options_come_after_the_file() {
        let c = load(
            "maxmemory 2mb\n",
            &strings(&["--maxmemory", "1kb", "--appendonly", "yes"]),
        )
        .expect("loads");
        assert_eq!(c["maxmemory"], "1024");
        assert_eq!(c["appendonly"], "yes");
        assert_eq!(load("", &strings(&["stray"])), Err(()));
    }

    #[test]
    fn config_get_and_ping_replies_and_their_two_forms() {
        let c = load("maxmemory 2mb\nmaxmemory-policy allkeys-lru\n", &[]).expect("loads");
        let r = get(&c, &["CONFIG", "GET", "maxmemory-policy"]);
        assert_eq!(r.raw(), "maxmemory-policy\nallkeys-lru");
        assert_eq!(r.tty(), "1) \"maxmemory-policy\"\n2) \"allkeys-lru\"");
        let r = get(&c, &["config", "get", "MAXMEMORY"]);
        assert_eq!(r.tty(), "1) \"maxmemory\"\n2) \"2097152\"");
        let r = get(&c, &["config", "get", "maxmemory*"]);
        assert_eq!(r.raw(), "maxmemory\n2097152\nmaxmemory-policy\nallkeys-lru");
        let r = get(&c, &["Config", "Get", "no-such-thing"]);
        assert_eq!((r.raw().as_str(), r.tty().as_str()), ("", "(empty array)"));
        assert_eq!(get(&c, &["ping"]).tty(), "PONG");
        assert_eq!(get(&c, &["PING", "hi \"x\""]).tty(), "\"hi \\\"x\\\"\"");
        assert!(matches!(get(&c, &["config", "get"]), Reply::Error(_)));
        assert_eq!(command(&c, &["SET", "k", "v"]), None);
        let many = load("a 1\nb 2\nc 3\nd 4\ne 5\n", &[]).expect("loads");
        let r = get(&many, &["config", "get", "?"]);
        assert!(r.tty().starts_with(" 1) \"a\"\n"), "{}", r.tty());
        assert!(r.tty().ends_with("\n10) \"5\""), "{}", r.tty());
    }

    #[test]
    fn the_server_reads_the_file_its_command_names_as_it_was_at_start() {
        let file = "maxmemory 2mb\nmaxmemory-policy allkeys-lru\n";
        let v = view(
            &["redis-server", "/redis-master/redis.conf"],
            &[],
            &[("/redis-master/redis.conf", file)],
        );
        assert_eq!(
            server_config(v.started()).expect("runs")["maxmemory"],
            "2097152"
        );
        // The entrypoint puts redis-server before a .conf argument.
        let v = view(&[], &["/etc/redis.conf"], &[("/etc/redis.conf", file)]);
        assert_eq!(
            server_config(v.started()).expect("runs")["maxmemory-policy"],
            "allkeys-lru"
        );
        // No command: the image's `redis-server` with the defaults.
        let v = view(&[], &[], &[]);
        assert_eq!(server_config(v.started()).expect("runs")["maxmemory"], "0");
        let v = view(
            &["sh", "-c", "exec redis-server /c.conf"],
            &[],
            &[("/c.conf", file)],
        );
        assert_eq!(
            server_config(v.started()).expect("runs")["maxmemory"],
            "2097152"
        );
        // Another program, or a config file that was not there: no server.
        assert_eq!(
            server_config(view(&["sleep", "3600"], &[], &[]).started()),
            Err(())
        );
        assert_eq!(
            server_config(view(&["redis-server", "/missing.conf"], &[], &[]).started()),
            Err(())
        );
    }

    #[test]
    fn the_keyspace_answers_set_get_del_and_keys() {
        let mut s = super::Server {
            config: load("", &[]).expect("defaults"),
            data: BTreeMap::new(),
        };
        let mut ask = |w: &[&str]| super::serve(&mut s, w).expect("modelled");
        assert_eq!(ask(&["SET", "greeting", "hello world"]).tty(), "OK");
        assert_eq!(ask(&["get", "greeting"]).tty(), "\"hello world\"");
        assert_eq!(ask(&["GET", "missing"]).tty(), "(nil)");
        assert_eq!(ask(&["GET", "missing"]).raw(), "");
        assert_eq!(ask(&["SET", "gr2", "x"]).raw(), "OK");
        assert_eq!(ask(&["KEYS", "gr*"]).raw(), "gr2\ngreeting");
        assert_eq!(
            ask(&["KEYS", "GR*"]).tty(),
            "(empty array)",
            "KEYS is case-sensitive"
        );
        assert_eq!(ask(&["DEL", "gr2", "nope"]).tty(), "(integer) 1");
        assert_eq!(ask(&["EXISTS", "gr2"]).raw(), "0");
        assert!(matches!(ask(&["GET"]), Reply::Error(_)));
        assert_eq!(ask(&["PING"]).tty(), "PONG");
        assert!(super::serve(&mut s, &["FLUSHALL"]).is_none());
    }

    #[test]
    fn the_interactive_cli_reads_commands_from_stdin_with_its_prompt_on_a_terminal() {
        let mut s = super::Server {
            config: load("maxmemory-policy allkeys-lru\n", &[]).expect("loads"),
            data: BTreeMap::new(),
        };
        let (out, _, status) = super::cli(
            &[],
            true,
            "config get maxmemory-policy\nset a 1\nget a\nexit\nget a\n",
            Some(&mut s),
        );
        assert_eq!(status, 0);
        assert_eq!(
            out,
            "127.0.0.1:6379> config get maxmemory-policy\n1) \"maxmemory-policy\"\n2) \"allkeys-lru\"\n127.0.0.1:6379> set a 1\nOK\n127.0.0.1:6379> get a\n\"1\"\n127.0.0.1:6379> exit\n"
        );
        let (out, _, status) = super::cli(&[], false, "get a\n", Some(&mut s));
        assert_eq!((out.as_str(), status), ("1\n", 0));
        let (out, _, status) = super::cli(&["PING".into()], false, "", None);
        assert_eq!(
            (out.as_str(), status),
            (
                "Could not connect to Redis at 127.0.0.1:6379: Connection refused\n",
                1
            )
        );
    }

    #[test]
    fn a_password_is_asked_for() {
        let mut s = super::Server {
            config: load("requirepass s3cret\n", &[]).expect("loads"),
            data: BTreeMap::new(),
        };
        let (out, _, status) = super::cli(&["PING".into()], false, "", Some(&mut s));
        assert_eq!(
            (out.as_str(), status),
            ("NOAUTH Authentication required.\n", 1)
        );
        let args: Vec<String> = ["-a", "s3cret", "PING"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let (out, _, status) = super::cli(&args, false, "", Some(&mut s));
        assert!(
            out.ends_with("PONG\n") && out.starts_with("Warning: Using a password"),
            "{out}"
        );
        assert_eq!(status, 0);
    }
}
