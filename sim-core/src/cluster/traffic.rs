//! Traffic sources: a client standing on a node (a load generator on the
//! machine, as `curl` in a loop would be) or in a pod (a client pod
//! calling a Service by name) sending HTTP GET requests to a URL at a
//! fixed rate for a while, driven by the event queue so that the requests
//! interleave with everything else the cluster does (a rolling update, a
//! node crash, CoreDNS scaled to zero). Each request goes as that client's
//! `curl` would: from a node through the node's `/etc/hosts`, rules and
//! the cluster's network; from a pod through the pod's resolver (the
//! cluster DNS, its search domains) and its node's rules. Its outcome is
//! counted per second of the source's life: answered (any HTTP status, 5xx
//! counted apart) or failed (refused, timed out, no route, name not
//! resolved); a pod source whose pod is not running sends nothing (counted
//! apart as not sent). So a run shows whether a rollout or a failure drops
//! requests.
//!
//! Each second also records the latency percentiles of its answered
//! requests: the time the answering server took (a scenario image's
//! `latency`; the built-in servers answer at once).
//!
//! Simplified: a request does not move the virtual clock (it is counted at
//! the moment it is sent, a timeout too), the network adds no delay, and
//! connections are not kept alive.

use super::Cluster;
use crate::components::kubelet::http::{HttpRequest, NetError};
use crate::components::Event;
use crate::time::{SimDuration, SimTime};

/// The most requests a second one source sends.
pub const MAX_RATE_PER_SEC: u32 = 1_000;

/// The most traffic sources a run holds.
pub const MAX_SOURCES: usize = 100;

/// What a traffic source sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrafficSpec {
    /// Its name (in the report).
    pub name: String,
    /// Where the client stands.
    pub from: Origin,
    /// The URL's host: a name (the node's `/etc/hosts`) or an address.
    pub host: String,
    /// The URL's port.
    pub port: u16,
    /// The URL's path.
    pub path: String,
    /// Requests a second (1 to [`MAX_RATE_PER_SEC`]).
    pub rate_per_sec: u32,
    /// How long it sends.
    pub duration: SimDuration,
}

/// Where a traffic source's client stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// On a node, as a program of the machine.
    Node(String),
    /// In a pod's network namespace (any of its running containers).
    Pod {
        /// The pod's namespace.
        namespace: String,
        /// The pod's name.
        name: String,
    },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Node(n) => write!(f, "{n}"),
            Origin::Pod { namespace, name } => write!(f, "pod/{name} in {namespace}"),
        }
    }
}

/// The outcomes of one second's requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcomes {
    /// Requests sent.
    pub sent: u32,
    /// Answered with a status below 500.
    pub ok: u32,
    /// Answered with a 5xx status (502, 503: a proxy without a backend).
    pub server_errors: u32,
    /// Connection refused (a Service without endpoints, nothing listening).
    pub refused: u32,
    /// Timed out (dropped by a rule, a Service address without a rule).
    pub timed_out: u32,
    /// No route to the host (a node without power).
    pub unreachable: u32,
    /// The name did not resolve.
    pub unresolved: u32,
    /// Not sent: the source's pod was not running (not in `sent`).
    pub not_sent: u32,
    /// The answered requests' latencies (nearest-rank 50th, 90th and 99th
    /// percentiles; None without an answer). Not summed by totals.
    pub latency_ns: Option<Percentiles>,
}

/// Latency percentiles of one second's answered requests, nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Percentiles {
    /// The median.
    pub p50: u64,
    /// The 90th percentile.
    pub p90: u64,
    /// The 99th percentile.
    pub p99: u64,
}

impl Percentiles {
    /// The nearest-rank percentiles of `samples` (sorted here); None when
    /// empty.
    fn of(samples: &mut [u64]) -> Option<Percentiles> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable();
        let n = samples.len();
        // Nearest rank: the ceil(p*n)-th smallest, 1-based.
        let rank = |p: usize| samples[(p * n).div_ceil(100).max(1) - 1];
        Some(Percentiles {
            p50: rank(50),
            p90: rank(90),
            p99: rank(99),
        })
    }
}

impl Outcomes {
    /// Requests that got no HTTP answer or a 5xx one.
    pub fn failed(&self) -> u32 {
        self.sent - self.ok
    }

    fn add(&mut self, o: &Outcomes) {
        self.sent += o.sent;
        self.ok += o.ok;
        self.server_errors += o.server_errors;
        self.refused += o.refused;
        self.timed_out += o.timed_out;
        self.unreachable += o.unreachable;
        self.unresolved += o.unresolved;
        self.not_sent += o.not_sent;
    }
}

/// A traffic source and what it has seen.
#[derive(Clone, Debug)]
pub struct Traffic {
    /// What it sends.
    pub spec: TrafficSpec,
    /// When it started.
    pub start: SimTime,
    /// Outcomes per second since its start.
    pub seconds: Vec<Outcomes>,
    /// Requests sent so far.
    sent: u64,
    /// The latencies of the current second's answers (summarised into its
    /// [`Outcomes::latency_ns`] when the second ends).
    pending_ns: Vec<u64>,
}

impl Traffic {
    /// The outcomes of its whole life.
    pub fn totals(&self) -> Outcomes {
        let mut t = Outcomes::default();
        for s in &self.seconds {
            t.add(s);
        }
        t
    }

    /// Summarises the latencies gathered into the last second's outcomes.
    fn flush_latencies(&mut self) {
        if let Some(last) = self.seconds.last_mut() {
            last.latency_ns = Percentiles::of(&mut self.pending_ns);
        }
        self.pending_ns.clear();
    }

    /// The time of request `n` (0-based).
    fn due(&self, n: u64) -> SimTime {
        let gap_ns = 1_000_000_000 / u64::from(self.spec.rate_per_sec.max(1));
        self.start + SimDuration::from_nanos(gap_ns * n)
    }
}

/// Why a traffic source cannot start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TrafficError {
    /// The node is not the cluster's.
    #[error("nodes \"{0}\" not found")]
    NodeNotFound(String),
    /// Too many sources.
    #[error("kubesim runs at most {MAX_SOURCES} traffic sources")]
    TooMany,
}

impl Cluster {
    /// Starts a traffic source now.
    pub fn start_traffic(&mut self, spec: TrafficSpec) -> Result<usize, TrafficError> {
        assert!(
            (1..=MAX_RATE_PER_SEC).contains(&spec.rate_per_sec),
            "a traffic rate is checked before it starts"
        );
        if let Origin::Node(node) = &spec.from {
            if self.kubelet(node).is_none() {
                return Err(TrafficError::NodeNotFound(node.clone()));
            }
        }
        if self.traffic.len() >= MAX_SOURCES {
            return Err(TrafficError::TooMany);
        }
        let id = self.traffic.len();
        let now = self.queue.now();
        self.traffic.push(Traffic {
            spec,
            start: now,
            seconds: Vec::new(),
            sent: 0,
            pending_ns: Vec::new(),
        });
        self.queue.schedule_at(now, Event::Traffic(id));
        Ok(id)
    }

    /// The traffic sources started so far, in start order.
    pub fn traffic(&self) -> &[Traffic] {
        &self.traffic
    }

    /// Sends source `id`'s due request and schedules its next.
    pub(super) fn traffic_tick(&mut self, id: usize) {
        let now = self.queue.now();
        let Some(t) = self.traffic.get(id) else {
            return;
        };
        let spec = t.spec.clone();
        let second = (now - t.start).as_secs() as usize;
        let outcome = self.traffic_request(&spec);
        let t = &mut self.traffic[id];
        if t.seconds.len() <= second {
            t.flush_latencies();
            t.seconds.resize(second + 1, Outcomes::default());
        }
        let s = &mut t.seconds[second];
        s.sent += u32::from(outcome.is_some());
        if let Some(Ok((_, latency))) = &outcome {
            t.pending_ns.push(latency.as_nanos());
        }
        match outcome {
            None => s.not_sent += 1,
            Some(Ok((status, _))) if status < 500 => s.ok += 1,
            Some(Ok(_)) => s.server_errors += 1,
            Some(Err(NetError::Refused)) => s.refused += 1,
            Some(Err(NetError::Timeout)) => s.timed_out += 1,
            Some(Err(NetError::Unresolved(_))) => s.unresolved += 1,
            Some(Err(_)) => s.unreachable += 1,
        }
        t.sent += 1;
        let next = t.due(t.sent);
        if next < t.start + spec.duration {
            self.queue.schedule_at(next, Event::Traffic(id));
        } else {
            t.flush_latencies();
        }
    }

    /// One request of `spec` from its client: the status and how long the
    /// answer took, or why none came; None when the client (a pod) is not
    /// running to send it.
    fn traffic_request(
        &mut self,
        spec: &TrafficSpec,
    ) -> Option<Result<(u16, SimDuration), NetError>> {
        let req = HttpRequest {
            method: "GET".into(),
            path: spec.path.clone(),
            host: if spec.port == 80 {
                spec.host.clone()
            } else {
                format!("{}:{}", spec.host, spec.port)
            },
            user_agent: "kubesim-traffic".into(),
            from_ip: String::new(),
        };
        let (host, port) = (spec.host.as_str(), spec.port);
        let response = match &spec.from {
            Origin::Node(node) => {
                if self.faults.is_crashed(node) {
                    return Some(Err(NetError::NoRoute));
                }
                self.with_kubelet(node, |k, images, now, net| {
                    k.host_request(images, now, host, port, &req, Some(net))
                })
                .unwrap_or(Err(NetError::NoRoute))
            }
            Origin::Pod { namespace, name } => {
                let node = self.pod_node(namespace, name)?;
                if self.faults.is_crashed(&node) {
                    return None;
                }
                self.with_kubelet(&node, |k, images, now, net| {
                    k.pod_request(images, now, (namespace, name), (host, port), &req, net)
                })
                .flatten()?
            }
        };
        Some(response.map(|r| (r.status, r.latency)))
    }

    /// The node pod `namespace/name` is bound to, if any.
    fn pod_node(&self, namespace: &str, name: &str) -> Option<String> {
        let o = self.etcd().get(crate::api::Kind::Pod, namespace, name)?;
        let pod = o.as_pod()?;
        pod.spec
            .as_ref()?
            .node_name
            .clone()
            .filter(|n| !n.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::Percentiles;

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(Percentiles::of(&mut []), None);
        let one = Percentiles::of(&mut [7]).unwrap();
        assert_eq!((one.p50, one.p90, one.p99), (7, 7, 7));
        // 1..=100 shuffled: the p-th percentile is p.
        let mut v: Vec<u64> = (1..=100).rev().collect();
        let p = Percentiles::of(&mut v).unwrap();
        assert_eq!((p.p50, p.p90, p.p99), (50, 90, 99));
        // Ten samples: ranks 5, 9 and 10.
        let mut v: Vec<u64> = (1..=10).map(|x| x * 10).collect();
        let p = Percentiles::of(&mut v).unwrap();
        assert_eq!((p.p50, p.p90, p.p99), (50, 90, 100));
    }
}
