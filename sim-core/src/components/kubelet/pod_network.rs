//! A node's part of the flat pod network (issue 11): a request from a
//! container to `localhost`, its own pod's IP or another pod's IP reaches
//! the server of that pod's container listening on the port
//! ([`super::http`]); an address of another node's pod CIDR goes to that
//! node ([`Network`] given by the cluster). Nothing listening is
//! `Connection refused`; an address no pod has is `No route to host`. A name
//! is resolved as the pod's resolver does (search domains, `ndots:5`) by
//! the cluster DNS, and a Service's address goes to one of its endpoints
//! (the cluster's [`Network::query`] and [`Network::translate`]).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::container_fs::{ContainerFs, VolumeStore};
use super::container_lookup::find_container;
use super::http::{self, Client, Docs, HttpRequest, HttpResponse, NetError, Network};
use super::node_files::{ContainerKey, Shared};
use super::pod_worker::{CState, Worker};
use crate::config::network::Cidr;
use crate::config::{ImageCatalog, ServerProfile};
use crate::time::SimTime;

/// The container a request comes from.
pub(super) struct Caller<'a> {
    /// Its instance.
    pub key: ContainerKey,
    /// Its pod's namespace (the first search domain).
    pub namespace: &'a str,
    /// Its pod's IP.
    pub pod_ip: &'a str,
    /// Its pod's hostname.
    pub hostname: &'a str,
}

/// One node's pods as servers.
pub(super) struct NodeNetwork<'a> {
    /// The node's pods.
    pub workers: &'a BTreeMap<String, Worker>,
    /// Their files and logs.
    pub shared: Shared<'a>,
    /// The image profiles.
    pub images: &'a ImageCatalog,
    /// The node's pod CIDR.
    pub cidr: Cidr,
    /// The node's name.
    pub node: &'a str,
    /// Now.
    pub now: SimTime,
    /// The calling container (None: the request comes from elsewhere).
    pub caller: Option<Caller<'a>>,
    /// The node's own address, when the caller is the node itself (its
    /// shell): localhost and this address are the host's, names resolve
    /// by its `/etc/hosts` only (no cluster DNS on the host).
    pub host: Option<Ipv4Addr>,
    /// The rest of the cluster.
    pub remote: Option<&'a mut dyn Network>,
}

/// The server a running container runs: its image's, when the container
/// keeps the image's entrypoint.
fn server_of<'i>(
    images: &'i ImageCatalog,
    w: &Worker,
    idx: usize,
) -> Option<(&'i ServerProfile, SimTime)> {
    let c = w.ctrs.get(idx)?;
    let CState::Running { started_at } = c.state else {
        return None;
    };
    let pod = w.pod.as_pod()?;
    let spec = find_container(pod, &c.name)?;
    if spec.command.as_ref().is_some_and(|c| !c.is_empty()) {
        return None;
    }
    let server = images.lookup(&c.image).server.as_ref()?;
    Some((server, started_at))
}

/// The image of the ingress controller that the pod with address `ip`
/// among `workers` runs listening on `port`, if any.
pub(super) fn ingress_controller_of(
    images: &ImageCatalog,
    workers: &BTreeMap<String, Worker>,
    ip: &str,
    port: u16,
) -> Option<String> {
    let w = workers.values().find(|w| w.ip.as_deref() == Some(ip))?;
    (0..w.ctrs.len()).find_map(|i| {
        let (server, _) = server_of(images, w, i)?;
        (matches!(server, ServerProfile::IngressNginx) && server.port() == port)
            .then(|| w.ctrs[i].image.clone())
    })
}

impl NodeNetwork<'_> {
    /// Serves `req` by pod `uid` on `port`; `here` is the caller's own
    /// filesystem, used when the server is the calling container.
    pub(super) fn serve_pod(
        &mut self,
        uid: &str,
        port: u16,
        req: &HttpRequest,
        here: Option<(&ContainerFs, &VolumeStore)>,
        vols: &VolumeStore,
    ) -> Result<HttpResponse, NetError> {
        let w = self.workers.get(uid).ok_or(NetError::NoRoute)?;
        let (idx, server, started_at) = (0..w.ctrs.len())
            .find_map(|i| {
                server_of(self.images, w, i)
                    .filter(|(s, _)| s.port() == port)
                    .map(|(s, t)| (i, s, t))
            })
            .ok_or(NetError::Refused)?;
        let key = (uid.to_owned(), idx);
        let c = &w.ctrs[idx];
        let pod = w.pod.as_pod().ok_or(NetError::Refused)?;
        let spec = find_container(pod, &c.name).ok_or(NetError::Refused)?;
        if let ServerProfile::IngressNginx = server {
            let image = c.image.clone();
            return Ok(self.proxy_ingress(&image, req, vols));
        }
        let own = self.caller.as_ref().is_some_and(|k| k.key == key);
        // A server reading from an NFS mount whose server does not answer
        // blocks: the client times out.
        let (resp, log) = match here.filter(|_| own) {
            Some((fs, vols)) => {
                if fs.has_unreachable_mount(vols) {
                    return Err(NetError::Timeout);
                }
                http::serve(server, &Docs { fs, vols }, req, self.now, started_at)
            }
            None => {
                let profile = self.images.lookup(&c.image);
                let fs = self
                    .shared
                    .view(&key, || profile.image_tree(), spec, pod, vols);
                if fs.has_unreachable_mount(vols) {
                    return Err(NetError::Timeout);
                }
                http::serve(server, &Docs { fs: &fs, vols }, req, self.now, started_at)
            }
        };
        if let Some(line) = log {
            self.shared.log(&key, line);
        }
        Ok(resp)
    }

    /// ingress-nginx's answer to `req`, for a controller pod of this node:
    /// the response of the endpoint its Ingresses choose (with its own
    /// `Server` and `Date`), or its own 404 or 503 page.
    fn proxy_ingress(
        &mut self,
        image: &str,
        req: &HttpRequest,
        vols: &VolumeStore,
    ) -> HttpResponse {
        let target = match self.remote.as_deref_mut() {
            Some(net) => net.ingress(image, req),
            None => Err(404),
        };
        let resp = match target {
            Ok((ip, port)) => self
                .deliver_upstream(&ip, port, req, vols)
                // An endpoint that does not answer: nginx's 502.
                .unwrap_or_else(|_| http::ingress_page(502, self.now)),
            Err(status) => http::ingress_page(status, self.now),
        };
        http::as_ingress_response(resp, &req.method, self.now)
    }

    /// Delivers a proxied request to endpoint `ip:port`: a pod of this
    /// node, or one elsewhere with no Service rules between.
    fn deliver_upstream(
        &mut self,
        ip: &str,
        port: u16,
        req: &HttpRequest,
        vols: &VolumeStore,
    ) -> Result<HttpResponse, NetError> {
        let addr: Ipv4Addr = ip.parse().map_err(|_| NetError::NoRoute)?;
        if self.cidr.contains(addr) {
            let uid = self.pod_with_ip(ip).ok_or(NetError::NoRoute)?;
            return self.serve_pod(&uid, port, req, None, vols);
        }
        match self.remote.as_deref_mut() {
            Some(net) => net.connect_upstream(ip, port, req),
            None => Err(NetError::NoRoute),
        }
    }

    /// A connection leaving the node for `address:port`; a proxy there
    /// that forwards it ([`NetError::Forward`]) is answered from here.
    fn connect_remote(
        &mut self,
        address: &str,
        port: u16,
        req: &HttpRequest,
        here: (&ContainerFs, &VolumeStore),
    ) -> Result<HttpResponse, NetError> {
        let Some(net) = self.remote.as_deref_mut() else {
            return Err(NetError::NoRoute);
        };
        match net.connect(address, port, req, here) {
            Err(NetError::Forward(ip, port)) => {
                let resp = self
                    .deliver_upstream(&ip, port, req, here.1)
                    .unwrap_or_else(|_| http::ingress_page(502, self.now));
                Ok(http::as_ingress_response(resp, &req.method, self.now))
            }
            other => other,
        }
    }

    /// The pod of this node with address `ip`.
    fn pod_with_ip(&self, ip: &str) -> Option<String> {
        self.workers
            .iter()
            .find(|(_, w)| w.ip.as_deref() == Some(ip))
            .map(|(uid, _)| uid.clone())
    }
}

impl NodeNetwork<'_> {
    /// A name as the pod's resolver resolves it (`/etc/resolv.conf`: the
    /// search domains of its namespace, `ndots:5`): a name with fewer than
    /// five dots is tried in each search domain first, then as written.
    fn resolve(&mut self, name: &str) -> Result<String, NetError> {
        let ns = self
            .caller
            .as_ref()
            .map_or("default", |c| c.namespace)
            .to_owned();
        let absolute = name.ends_with('.');
        let name = name.trim_end_matches('.');
        let mut tries: Vec<String> = Vec::new();
        if !absolute && name.matches('.').count() < 5 {
            for domain in [
                format!("{ns}.svc.cluster.local"),
                "svc.cluster.local".into(),
                "cluster.local".into(),
            ] {
                tries.push(format!("{name}.{domain}"));
            }
        }
        tries.push(name.to_owned());
        let Some(net) = self.remote.as_deref_mut() else {
            return Err(NetError::Unresolved(name.to_owned()));
        };
        for fqdn in tries {
            match net.query(&fqdn) {
                Ok(addresses) => {
                    if let Some(first) = addresses.into_iter().next() {
                        return Ok(first);
                    }
                }
                Err(NetError::Unresolved(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Err(NetError::Unresolved(name.to_owned()))
    }
}

impl Network for NodeNetwork<'_> {
    fn query(&mut self, fqdn: &str) -> Result<Vec<String>, NetError> {
        match self.remote.as_deref_mut() {
            Some(net) => net.query(fqdn),
            None => Err(NetError::Unresolved(fqdn.to_owned())),
        }
    }

    fn echo(&mut self, ip: &str) -> Option<u8> {
        let addr: Ipv4Addr = ip.parse().ok()?;
        let own = self.caller.as_ref().map(|c| c.pod_ip);
        if addr.is_loopback() || self.host == Some(addr) || own == Some(ip) {
            return Some(0);
        }
        if self.cidr.contains(addr) {
            return self.pod_with_ip(ip).map(|_| 0);
        }
        // From a pod, its own node forwards the packet too.
        let forwarded = u8::from(self.host.is_none());
        self.remote.as_deref_mut()?.echo(ip).map(|h| h + forwarded)
    }

    fn lookup(&mut self, host: &str) -> Result<String, NetError> {
        if host == "localhost" {
            return Ok("127.0.0.1".to_owned());
        }
        if let Some(ip) = self.host {
            if host == self.node {
                return Ok(ip.to_string());
            }
            return match host.parse::<Ipv4Addr>() {
                Ok(_) => Ok(host.to_owned()),
                Err(_) => Err(NetError::Unresolved(host.to_owned())),
            };
        }
        if let Some(c) = &self.caller {
            if host == c.hostname {
                return Ok(c.pod_ip.to_owned());
            }
        }
        if host.parse::<Ipv4Addr>().is_ok() {
            return Ok(host.to_owned());
        }
        self.resolve(host)
    }

    fn connect(
        &mut self,
        host: &str,
        port: u16,
        req: &HttpRequest,
        here: (&ContainerFs, &VolumeStore),
    ) -> Result<HttpResponse, NetError> {
        if let Some(ip) = self.host {
            return self.connect_from_host(ip, host, port, req, here);
        }
        let mut req = req.clone();
        let (local, own_ip, hostname) = match &self.caller {
            Some(c) => (
                host == "localhost" || host == "127.0.0.1" || host == c.hostname,
                c.pod_ip.to_owned(),
                c.hostname.to_owned(),
            ),
            None => (false, String::new(), String::new()),
        };
        if local {
            let uid = self
                .caller
                .as_ref()
                .map(|c| c.key.0.clone())
                .unwrap_or_default();
            req.from_ip = if host == hostname {
                own_ip
            } else {
                "127.0.0.1".to_owned()
            };
            return self.serve_pod(&uid, port, &req, Some(here), here.1);
        }
        let address = match host.parse::<Ipv4Addr>() {
            Ok(_) => host.to_owned(),
            Err(_) => self.resolve(host)?,
        };
        req.from_ip = own_ip.clone();
        let client = Client {
            ip: own_ip,
            node: self.node.to_owned(),
        };
        let (address, port) = self.through_rules(address, port, &client)?;
        let Ok(ip) = address.parse::<Ipv4Addr>() else {
            return Err(NetError::Unresolved(host.to_owned()));
        };
        let host = address.as_str();
        if self.cidr.contains(ip) {
            let uid = self.pod_with_ip(host).ok_or(NetError::NoRoute)?;
            return self.serve_pod(&uid, port, &req, Some(here), here.1);
        }
        self.connect_remote(host, port, &req, here)
    }
}

impl NodeNetwork<'_> {
    /// Where the node's Service rules send a connection to
    /// `address:port` from `client`: a Service address rewritten to one of
    /// its endpoints (DNAT), any other as it is; Err when the rules reject
    /// or drop it.
    fn through_rules(
        &mut self,
        address: String,
        port: u16,
        client: &Client,
    ) -> Result<(String, u16), NetError> {
        match self
            .remote
            .as_deref_mut()
            .and_then(|n| n.translate(&address, port, client))
        {
            Some(target) => target,
            None => Ok((address, port)),
        }
    }

    /// A connection from the node's own shell: its rules first (NodePorts
    /// on localhost and its own address, Service addresses), then its own
    /// pods, then the cluster; nothing listens on the host's own ports.
    fn connect_from_host(
        &mut self,
        node_ip: Ipv4Addr,
        host: &str,
        port: u16,
        req: &HttpRequest,
        here: (&ContainerFs, &VolumeStore),
    ) -> Result<HttpResponse, NetError> {
        let mut req = req.clone();
        let address = self.lookup(host)?;
        let client = Client {
            ip: node_ip.to_string(),
            node: self.node.to_owned(),
        };
        req.from_ip = client.ip.clone();
        let (address, port) = self.through_rules(address, port, &client)?;
        let ip: Ipv4Addr = address
            .parse()
            .map_err(|_| NetError::Unresolved(host.to_owned()))?;
        if ip.is_loopback() || ip == node_ip {
            return Err(NetError::Refused);
        }
        if self.cidr.contains(ip) {
            let uid = self.pod_with_ip(&address).ok_or(NetError::NoRoute)?;
            return self.serve_pod(&uid, port, &req, None, here.1);
        }
        self.connect_remote(&address, port, &req, here)
    }
}
