//! Which backend an Ingress controller sends a request to: the rules of the
//! Ingresses it serves, merged by host as ingress-nginx merges them into
//! one server block per host (networking/v1 `types.go`; k8s-semantics.md
//! 6.5).
//!
//! - Hosts: an exact host matches the request's `Host` (port removed,
//!   case-insensitive); a wildcard `*.foo.com` matches exactly one more
//!   leading label; a rule without host matches any. An exact host beats
//!   a wildcard, which beats the catch-all.
//! - Paths within the chosen host: `Exact` matches the path exactly;
//!   `Prefix` by `/`-separated elements (`/foo` matches `/foo`, `/foo/` and
//!   `/foo/bar`, not `/foobar`; `/` matches everything);
//!   `ImplementationSpecific` is taken as `Prefix`. The longest matching
//!   path wins; on equal length `Exact` beats `Prefix`.
//! - Nothing matches: the `defaultBackend` of an Ingress, else None (the
//!   controller's own default backend: nginx's 404).

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{Ingress, IngressBackend};

/// A Service port an Ingress sends requests to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Backend {
    /// The Ingress's namespace (the Service's).
    pub namespace: String,
    /// The Service.
    pub service: String,
    /// Its port, by number or by name.
    pub port: BackendPort,
}

/// A backend's Service port.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BackendPort {
    /// `port.number`.
    Number(i32),
    /// `port.name`.
    Name(String),
}

/// How a path matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathKind {
    /// `Exact`.
    Exact,
    /// `Prefix` (and `ImplementationSpecific`).
    Prefix,
}

/// One path of a host.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PathRule {
    path: String,
    kind: PathKind,
    backend: Backend,
}

/// The routes of the Ingresses one controller serves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Routes {
    /// Paths by host (`""`: the rules without host), in the order the
    /// Ingresses were given.
    hosts: BTreeMap<String, Vec<PathRule>>,
    default: Option<Backend>,
}

fn backend_of(namespace: &str, b: &IngressBackend) -> Option<Backend> {
    let svc = b.service.as_ref()?;
    let port = svc.port.as_ref()?;
    let port = match (&port.number, &port.name) {
        (Some(n), _) => BackendPort::Number(*n),
        (None, Some(name)) => BackendPort::Name(name.clone()),
        (None, None) => return None,
    };
    Some(Backend {
        namespace: namespace.to_owned(),
        service: svc.name.clone(),
        port,
    })
}

/// True when request path `path` is within Prefix rule path `prefix`, by
/// elements.
fn prefix_matches(prefix: &str, path: &str) -> bool {
    let elems = |p: &str| -> Vec<String> {
        p.split('/')
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let want = elems(prefix);
    let have = elems(path);
    have.len() >= want.len() && want.iter().zip(&have).all(|(a, b)| a == b)
}

/// True when `host` (lower case, no port) matches rule host `rule`.
fn host_matches(rule: &str, host: &str) -> bool {
    match rule.strip_prefix("*.") {
        Some(suffix) => host
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest == suffix),
        None => rule == host,
    }
}

impl Routes {
    /// The routes of `ingresses` (already chosen for this controller), in
    /// the order given (an earlier Ingress wins a tie).
    pub fn new<'a>(ingresses: impl IntoIterator<Item = &'a Ingress>) -> Self {
        let mut routes = Routes::default();
        for ing in ingresses {
            let ns = ing.metadata.namespace.as_deref().unwrap_or("default");
            let Some(spec) = ing.spec.as_ref() else {
                continue;
            };
            if routes.default.is_none() {
                routes.default = spec
                    .default_backend
                    .as_ref()
                    .and_then(|b| backend_of(ns, b));
            }
            for rule in spec.rules.iter().flatten() {
                let host = rule.host.clone().unwrap_or_default().to_ascii_lowercase();
                let paths = routes.hosts.entry(host).or_default();
                for p in rule.http.iter().flat_map(|h| &h.paths) {
                    let Some(backend) = backend_of(ns, &p.backend) else {
                        continue;
                    };
                    let kind = match p.path_type.as_str() {
                        "Exact" => PathKind::Exact,
                        _ => PathKind::Prefix,
                    };
                    paths.push(PathRule {
                        path: p.path.clone().unwrap_or_else(|| "/".to_owned()),
                        kind,
                        backend,
                    });
                }
            }
        }
        routes
    }

    /// The backend for a request with `Host` header `host` to `path` (its
    /// query removed); None: no rule and no default backend.
    pub fn route(&self, host: &str, path: &str) -> Option<&Backend> {
        let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
        let path = path.split('?').next().unwrap_or("/");
        // The server block: an exact host, else a wildcard, else the
        // catch-all.
        let block = self
            .hosts
            .get(&host)
            .filter(|_| !host.is_empty())
            .or_else(|| {
                self.hosts
                    .iter()
                    .find(|(rule, _)| rule.starts_with("*.") && host_matches(rule, &host))
                    .map(|(_, paths)| paths)
            })
            .or_else(|| self.hosts.get(""));
        let best = block.and_then(|paths| {
            paths
                .iter()
                .filter(|r| match r.kind {
                    PathKind::Exact => r.path == path,
                    PathKind::Prefix => prefix_matches(&r.path, path),
                })
                // Longest first; Exact before Prefix; the first written.
                .min_by_key(|r| (std::cmp::Reverse(r.path.len()), r.kind))
        });
        best.map(|r| &r.backend).or(self.default.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ingress(v: serde_json::Value) -> Ingress {
        serde_json::from_value(v).expect("an Ingress")
    }

    fn rule(host: Option<&str>, paths: &[(&str, &str, &str)]) -> serde_json::Value {
        let paths: Vec<serde_json::Value> = paths
            .iter()
            .map(|(path, kind, svc)| {
                json!({"path": path, "pathType": kind,
                       "backend": {"service": {"name": svc, "port": {"number": 80}}}})
            })
            .collect();
        let mut r = json!({"http": {"paths": paths}});
        if let Some(h) = host {
            r["host"] = json!(h);
        }
        r
    }

    fn svc<'a>(routes: &'a Routes, host: &str, path: &str) -> Option<&'a str> {
        routes.route(host, path).map(|b| b.service.as_str())
    }

    #[test]
    fn the_courses_rule_sends_its_host_to_tomcat() {
        let ing = ingress(
            json!({"metadata": {"name": "web-ingress", "namespace": "default"},
            "spec": {"rules": [rule(Some("tomcat.tuling.com"), &[("/", "Prefix", "my-tomcat")])]}}),
        );
        let routes = Routes::new([&ing]);
        let b = routes.route("tomcat.tuling.com:30080", "/docs/").unwrap();
        assert_eq!(
            (b.namespace.as_str(), b.service.as_str(), &b.port),
            ("default", "my-tomcat", &BackendPort::Number(80))
        );
        assert_eq!(svc(&routes, "TOMCAT.tuling.com", "/"), Some("my-tomcat"));
        assert_eq!(svc(&routes, "other.com", "/"), None);
    }

    #[test]
    fn paths_match_by_elements_longest_first_exact_before_prefix() {
        let ing = ingress(json!({"metadata": {"name": "a", "namespace": "ns"},
        "spec": {"rules": [rule(None, &[
            ("/foo", "Prefix", "foo"),
            ("/foo/bar", "Prefix", "foobar"),
            ("/foo/bar", "Exact", "exact"),
            ("/", "ImplementationSpecific", "root"),
        ])]}}));
        let routes = Routes::new([&ing]);
        assert_eq!(svc(&routes, "x", "/foo"), Some("foo"));
        assert_eq!(svc(&routes, "x", "/foo/"), Some("foo"));
        assert_eq!(svc(&routes, "x", "/foobar"), Some("root"));
        assert_eq!(svc(&routes, "x", "/foo/bar"), Some("exact"));
        assert_eq!(svc(&routes, "x", "/foo/bar/"), Some("foobar"));
        assert_eq!(svc(&routes, "x", "/foo/bar/baz?q=1"), Some("foobar"));
        assert_eq!(svc(&routes, "x", "/other"), Some("root"));
    }

    #[test]
    fn exact_hosts_beat_wildcards_which_beat_the_catch_all() {
        let ing = ingress(json!({"metadata": {"name": "a", "namespace": "ns"},
        "spec": {"defaultBackend": {"service": {"name": "fallback", "port": {"name": "http"}}},
                 "rules": [
            rule(Some("*.foo.com"), &[("/", "Prefix", "wild")]),
            rule(Some("bar.foo.com"), &[("/", "Prefix", "bar")]),
            rule(None, &[("/api", "Prefix", "any")]),
        ]}}));
        let routes = Routes::new([&ing]);
        assert_eq!(svc(&routes, "bar.foo.com", "/"), Some("bar"));
        assert_eq!(svc(&routes, "baz.foo.com", "/"), Some("wild"));
        // One label only: neither deeper names nor the bare domain.
        assert_eq!(svc(&routes, "a.b.foo.com", "/api"), Some("any"));
        assert_eq!(svc(&routes, "foo.com", "/x"), Some("fallback"));
        assert_eq!(
            routes.route("foo.com", "/x").unwrap().port,
            BackendPort::Name("http".into())
        );
    }

    proptest::proptest! {
        /// A Prefix rule of `/` in the catch-all takes every request no
        /// other rule takes, and a Prefix path takes exactly the request
        /// paths that start with its elements.
        #[test]
        fn prefixes_match_by_whole_elements(
            rule_path in "(/[a-c]{1,2}){0,3}",
            req_path in "(/[a-c]{0,2}){0,4}/?",
            host in "[a-c.]{0,8}",
        ) {
            let ing = ingress(json!({"metadata": {"name": "a", "namespace": "ns"},
                "spec": {"rules": [rule(None, &[
                    ("/", "Prefix", "root"),
                    (rule_path.as_str(), "Prefix", "rule"),
                ])]}}));
            let routes = Routes::new([&ing]);
            let got = svc(&routes, &host, &req_path);
            let elems = |p: &str| p.split('/').filter(|e| !e.is_empty()).map(str::to_owned).collect::<Vec<_>>();
            let (want, have) = (elems(&rule_path), elems(&req_path));
            let within = have.len() >= want.len() && want.iter().zip(&have).all(|(a, b)| a == b);
            let expected = if within && rule_path.len() > 1 { "rule" } else { "root" };
            proptest::prop_assert_eq!(got, Some(expected));
        }
    }
}
