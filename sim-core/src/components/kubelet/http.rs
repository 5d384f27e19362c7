//! The HTTP servers containers run (issue 11): what a container's main
//! process answers on its port, read from its filesystem at the moment of
//! the request, with the real status lines, headers and error pages.
//!
//! - **nginx** (port 80): files under `/usr/share/nginx/html`, a directory
//!   answered by its `index.html` (a directory without its final `/`: 301
//!   to it), nginx's own 404 page, the `Server: nginx/VERSION` header; an
//!   access-log line in nginx's `main` format on its stdout (what
//!   `kubectl logs` shows).
//! - **Tomcat** (port 8080): the applications of `webapps`, ROOT at `/`
//!   (its `index.jsp` rendered as the page it is), others at `/NAME/`; a
//!   missing application is Tomcat's `HTTP Status 404 – Not Found` report
//!   (the official image's empty `webapps`). Tomcat's autoDeploy is taken
//!   as immediate: an application moved into `webapps` answers at once.
//! - **A scenario's own server** ([`ServerProfile::Http`]): each path's
//!   status and body.
//!
//! Requests reach a server through a [`Network`]: the pod's own
//! localhost, or the flat pod network to any pod IP.

use super::container_fs::{ContainerFs, Kind, VolumeStore};
use crate::api::meta::timestamp;
use crate::config::ServerProfile;
use crate::time::{SimDuration, SimTime};

/// An HTTP request as a client sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET` or `HEAD`.
    pub method: String,
    /// The path (and query).
    pub path: String,
    /// The `Host` header.
    pub host: String,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// The client's address (the access log's `$remote_addr`).
    pub from_ip: String,
}

/// An HTTP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The reason phrase (Tomcat 9 and later send none).
    pub reason: String,
    /// Headers in the order the server sends them.
    pub headers: Vec<(String, String)>,
    /// The body (empty for HEAD).
    pub body: String,
    /// How long the server took to answer (a scenario image's `latency`;
    /// the built-in servers answer at once).
    pub latency: SimDuration,
}

impl HttpResponse {
    /// The status line (`HTTP/1.1 200 OK`).
    pub fn status_line(&self) -> String {
        format!("HTTP/1.1 {} {}", self.status, self.reason)
    }
}

/// Why a connection failed (curl's exit codes 7 and 28, 6 for names).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// Nothing listens on the port (`ECONNREFUSED`).
    #[error("Connection refused")]
    Refused,
    /// No host has the address (`EHOSTUNREACH`).
    #[error("No route to host")]
    NoRoute,
    /// Nothing answers (`ETIMEDOUT`): a Service address on a port it does
    /// not serve, which no rule rewrites.
    #[error("Connection timed out")]
    Timeout,
    /// A name the pod cannot resolve (cluster DNS is the networking
    /// issue's).
    #[error("Could not resolve host: {0}")]
    Unresolved(String),
    /// Not a failure: the server reached is a proxy (an ingress
    /// controller) that forwards the request to this endpoint (pod IP,
    /// port); the connecting node delivers it there and answers with the
    /// endpoint's response as the proxy's (the network between never
    /// calls back into a node that is serving a request).
    #[error("forwarded to {0}:{1}")]
    Forward(String, u16),
}

/// Where a connection comes from, as Service rules see it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Client {
    /// The source address (the pod's IP).
    pub ip: String,
    /// The node the connection starts on.
    pub node: String,
}

/// Carries a request to the server at `host:port` as seen from a pod.
pub trait Network {
    /// Sends `req` to `host:port`; `here` is the calling container's own
    /// filesystem (a server in the same container reads it).
    fn connect(
        &mut self,
        host: &str,
        port: u16,
        req: &HttpRequest,
        here: (&ContainerFs, &VolumeStore),
    ) -> Result<HttpResponse, NetError>;

    /// The address a client in the pod connects to for `host` (a name
    /// resolved as the pod's resolver does; an address as it is).
    fn lookup(&mut self, host: &str) -> Result<String, NetError> {
        Ok(host.to_owned())
    }

    /// The cluster DNS's answer for a fully qualified name: its addresses
    /// (empty: no such name).
    fn query(&mut self, _fqdn: &str) -> Result<Vec<String>, NetError> {
        Ok(Vec::new())
    }

    /// What the node's Service rules do with a connection to `ip:port`
    /// from `client` (its address and node): None when `ip` is no
    /// Service's address, else the endpoint chosen (`pod IP`, port) or why
    /// there is none.
    fn translate(
        &mut self,
        _ip: &str,
        _port: u16,
        _client: &Client,
    ) -> Option<Result<(String, u16), NetError>> {
        None
    }

    /// Whether `ip` answers an ICMP echo, and across how many routers
    /// (None: no answer).
    fn echo(&mut self, _ip: &str) -> Option<u8> {
        None
    }

    /// Where an ingress-nginx controller (of image `image`) sends `req`:
    /// an endpoint (pod IP, port) of the backend the Ingresses of its class
    /// choose; Err with the status it answers itself (404: no rule, 503:
    /// no endpoint).
    fn ingress(&mut self, _image: &str, _req: &HttpRequest) -> Result<(String, u16), u16> {
        Err(404)
    }

    /// A proxy's connection to `ip:port` (an endpoint on another node),
    /// with no Service rules in between.
    fn connect_upstream(
        &mut self,
        _ip: &str,
        _port: u16,
        _req: &HttpRequest,
    ) -> Result<HttpResponse, NetError> {
        Err(NetError::NoRoute)
    }

    /// The image of the ingress controller listening at `ip:port`, if one
    /// does (the pod is on another node).
    fn ingress_controller_at(&mut self, _ip: &str, _port: u16) -> Option<String> {
        None
    }
}

/// The date as HTTP servers print it (`Thu, 23 Apr 2025 00:00:20 GMT`).
pub fn http_date(t: SimTime) -> String {
    timestamp(t)
        .strftime("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// A server's view of its files.
pub struct Docs<'a> {
    /// The server's container filesystem.
    pub fs: &'a ContainerFs,
    /// The node's volumes.
    pub vols: &'a VolumeStore,
}

impl Docs<'_> {
    fn kind(&self, path: &str) -> Option<Kind> {
        self.fs.stat(self.vols, path).ok()
    }

    fn read(&self, path: &str) -> Option<String> {
        self.fs.read(self.vols, path).ok()
    }
}

/// `server`'s answer to `req` at `now` (the container started at
/// `started_at`), with the line it writes to its access log, if any.
pub fn serve(
    server: &ServerProfile,
    docs: &Docs<'_>,
    req: &HttpRequest,
    now: SimTime,
    started_at: SimTime,
) -> (HttpResponse, Option<String>) {
    let path = req.path.split('?').next().unwrap_or("/").to_owned();
    let mut resp = match server {
        ServerProfile::Nginx { version } => nginx(version, docs, &path, now, started_at),
        ServerProfile::Tomcat { version } => tomcat(version, docs, &path, now),
        // Without the cluster's Ingresses: its default backend.
        ServerProfile::IngressNginx => ingress_page(404, now),
        ServerProfile::Http { routes, .. } => match routes.get(&path) {
            Some(r) => HttpResponse {
                latency: SimDuration::ZERO,
                status: r.status,
                reason: reason(r.status).to_owned(),
                headers: vec![
                    ("Content-Type".into(), "text/plain; charset=utf-8".into()),
                    ("Date".into(), http_date(now)),
                    ("Content-Length".into(), r.body.len().to_string()),
                ],
                body: r.body.clone(),
            },
            None => HttpResponse {
                latency: SimDuration::ZERO,
                status: 404,
                reason: reason(404).to_owned(),
                headers: vec![
                    ("Content-Type".into(), "text/plain; charset=utf-8".into()),
                    ("Date".into(), http_date(now)),
                    ("Content-Length".into(), "19".into()),
                ],
                body: "404 page not found\n".into(),
            },
        },
    };
    if let ServerProfile::Http { latency, .. } = server {
        resp.latency = *latency;
    }
    let log = match server {
        ServerProfile::Nginx { .. } => Some(format!(
            "{} - - [{}] \"{} {} HTTP/1.1\" {} {} \"-\" \"{}\" \"-\"",
            req.from_ip,
            timestamp(now).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            req.method,
            req.path,
            resp.status,
            if req.method == "HEAD" {
                0
            } else {
                resp.body.len()
            },
            req.user_agent
        )),
        _ => None,
    };
    if req.method == "HEAD" {
        resp.body.clear();
    }
    (resp, log)
}

/// An ingress controller's headers on a response it proxied or made: its
/// own `Server` and `Date` (nginx's proxy does not pass the upstream's).
pub fn as_ingress_response(mut resp: HttpResponse, method: &str, now: SimTime) -> HttpResponse {
    resp.headers.retain(|(k, _)| k != "Server" && k != "Date");
    resp.headers.insert(0, ("Date".into(), http_date(now)));
    resp.headers.insert(0, ("Server".into(), "nginx".into()));
    if method == "HEAD" {
        resp.body.clear();
    }
    resp
}

/// ingress-nginx's own answer (no rule: its default backend's 404; a
/// backend without endpoints: 503), with nginx's page.
pub fn ingress_page(status: u16, now: SimTime) -> HttpResponse {
    // nginx names 503 so in its status line and pages.
    let phrase = if status == 503 {
        "Service Temporarily Unavailable"
    } else {
        reason(status)
    };
    let title = format!("{status} {phrase}");
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    HttpResponse {
        latency: SimDuration::ZERO,
        status,
        reason: phrase.to_owned(),
        headers: vec![
            ("Date".into(), http_date(now)),
            ("Content-Type".into(), "text/html".into()),
            ("Content-Length".into(), body.len().to_string()),
            ("Connection".into(), "keep-alive".into()),
        ],
        body,
    }
}

/// The reason phrases of the statuses modelled.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

fn nginx(
    version: &str,
    docs: &Docs<'_>,
    path: &str,
    now: SimTime,
    started_at: SimTime,
) -> HttpResponse {
    let root = "/usr/share/nginx/html";
    let file = format!("{root}{path}");
    let headers = |ctype: &str, len: usize| {
        vec![
            ("Server".to_owned(), format!("nginx/{version}")),
            ("Date".to_owned(), http_date(now)),
            ("Content-Type".to_owned(), ctype.to_owned()),
            ("Content-Length".to_owned(), len.to_string()),
        ]
    };
    let page = |status: u16| {
        // nginx 1.14's pages set a white background; later ones do not.
        let body_tag = if version.starts_with("1.14") {
            "<body bgcolor=\"white\">"
        } else {
            "<body>"
        };
        let title = format!("{status} {}", reason(status));
        format!(
            "<html>\r\n<head><title>{title}</title></head>\r\n{body_tag}\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx/{version}</center>\r\n</body>\r\n</html>\r\n"
        )
    };
    let target = match docs.kind(&file) {
        Some(Kind::Dir) if !path.ends_with('/') => {
            let body = page(301);
            let mut h = headers("text/html", body.len());
            h.push(("Location".into(), format!("http://localhost{path}/")));
            h.push(("Connection".into(), "keep-alive".into()));
            return HttpResponse {
                latency: SimDuration::ZERO,
                status: 301,
                reason: reason(301).into(),
                headers: h,
                body,
            };
        }
        Some(Kind::Dir) => format!("{}index.html", file),
        _ => file,
    };
    match docs.read(&target) {
        Some(body) => {
            let ctype = if target.ends_with(".html") || target.ends_with(".htm") {
                "text/html"
            } else if target.ends_with(".css") {
                "text/css"
            } else if target.ends_with(".txt") {
                "text/plain"
            } else {
                "application/octet-stream"
            };
            let mut h = headers(ctype, body.len());
            let secs = crate::api::meta::timestamp(started_at).as_second();
            h.push(("Last-Modified".into(), http_date(started_at)));
            h.push(("Connection".into(), "keep-alive".into()));
            h.push(("ETag".into(), format!("\"{secs:x}-{:x}\"", body.len())));
            h.push(("Accept-Ranges".into(), "bytes".into()));
            HttpResponse {
                latency: SimDuration::ZERO,
                status: 200,
                reason: "OK".into(),
                headers: h,
                body,
            }
        }
        None => {
            let body = page(404);
            let mut h = headers("text/html", body.len());
            h.push(("Connection".into(), "keep-alive".into()));
            HttpResponse {
                latency: SimDuration::ZERO,
                status: 404,
                reason: reason(404).into(),
                headers: h,
                body,
            }
        }
    }
}

/// Tomcat's error report for `status` (ErrorReportValve).
fn tomcat_report(version: &str, status: u16, description: &str) -> String {
    let title = format!("HTTP Status {status} – {}", reason(status));
    format!(
        "<!doctype html><html lang=\"en\"><head><title>{title}</title><style type=\"text/css\">body {{font-family:Tahoma,Arial,sans-serif;}} h1, h2, h3, b {{color:white;background-color:#525D76;}} h1 {{font-size:22px;}} h2 {{font-size:16px;}} h3 {{font-size:14px;}} p {{font-size:12px;}} a {{color:black;}} .line {{height:1px;background-color:#525D76;border:none;}}</style></head><body><h1>{title}</h1><hr class=\"line\" /><p><b>Type</b> Status Report</p><p><b>Description</b> {description}</p><hr class=\"line\" /><h3>Apache Tomcat/{version}</h3></body></html>"
    )
}

fn tomcat(version: &str, docs: &Docs<'_>, path: &str, now: SimTime) -> HttpResponse {
    let webapps = "/usr/local/tomcat/webapps";
    // The application: the first path element when webapps has it, else ROOT.
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let (app, rest) = if !first.is_empty()
        && first != "ROOT"
        && docs.kind(&format!("{webapps}/{first}")) == Some(Kind::Dir)
    {
        (first.to_owned(), path[1 + first.len()..].to_owned())
    } else {
        ("ROOT".to_owned(), path.to_owned())
    };
    let base = format!("{webapps}/{app}");
    let not_found = || {
        let body = tomcat_report(
            version,
            404,
            "The origin server did not find a current representation for the target resource or is not willing to disclose that one exists.",
        );
        HttpResponse {
            latency: SimDuration::ZERO,
            status: 404,
            reason: String::new(),
            headers: vec![
                ("Content-Type".into(), "text/html;charset=utf-8".into()),
                ("Content-Language".into(), "en".into()),
                ("Content-Length".into(), body.len().to_string()),
                ("Date".into(), http_date(now)),
            ],
            body,
        }
    };
    if docs.kind(&base) != Some(Kind::Dir) {
        return not_found();
    }
    if rest.is_empty() {
        // `/docs` → `/docs/`.
        return HttpResponse {
            latency: SimDuration::ZERO,
            status: 302,
            reason: String::new(),
            headers: vec![
                ("Location".into(), format!("/{app}/")),
                ("Content-Length".into(), "0".into()),
                ("Date".into(), http_date(now)),
            ],
            body: String::new(),
        };
    }
    let file = format!("{base}{rest}");
    let target = match docs.kind(&file) {
        Some(Kind::Dir) => ["index.html", "index.htm", "index.jsp"]
            .iter()
            .map(|i| format!("{}/{i}", file.trim_end_matches('/')))
            .find(|p| docs.kind(p) == Some(Kind::File)),
        Some(_) => Some(file),
        None => None,
    };
    match target.and_then(|t| docs.read(&t).map(|b| (t, b))) {
        Some((t, body)) => {
            let ctype = if t.ends_with(".jsp") {
                "text/html;charset=UTF-8"
            } else if t.ends_with(".html") || t.ends_with(".htm") {
                "text/html"
            } else if t.ends_with(".css") {
                "text/css"
            } else {
                "application/octet-stream"
            };
            let mut headers = vec![("Content-Type".to_owned(), ctype.to_owned())];
            if t.ends_with(".jsp") {
                headers.push(("Transfer-Encoding".into(), "chunked".into()));
            } else {
                headers.push(("Content-Length".into(), body.len().to_string()));
            }
            headers.push(("Date".into(), http_date(now)));
            HttpResponse {
                latency: SimDuration::ZERO,
                status: 200,
                reason: String::new(),
                headers,
                body,
            }
        }
        None => not_found(),
    }
}
