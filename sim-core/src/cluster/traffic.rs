//! Traffic sources: a client standing on a node (a load generator on the
//! machine, as `curl` in a loop would be) sending HTTP GET requests to a
//! URL at a fixed rate for a while, driven by the event queue so that the
//! requests interleave with everything else the cluster does (a rolling
//! update, a node crash). Each request goes through the node's rules and
//! the cluster's network as a host's `curl` does; its outcome is counted
//! per second of the source's life: answered (any HTTP status, 5xx
//! counted apart) or failed (refused, timed out, no route, name not
//! resolved). So a run shows whether a rollout or a failure drops
//! requests.
//!
//! Simplified: a request takes no virtual time (the answer is immediate;
//! a timeout is counted at once), connections are not kept alive.

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
    /// The node it stands on.
    pub node: String,
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
        if self.kubelet(&spec.node).is_none() {
            return Err(TrafficError::NodeNotFound(spec.node));
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
            t.seconds.resize(second + 1, Outcomes::default());
        }
        let s = &mut t.seconds[second];
        s.sent += 1;
        match outcome {
            Ok(status) if status < 500 => s.ok += 1,
            Ok(_) => s.server_errors += 1,
            Err(NetError::Refused) => s.refused += 1,
            Err(NetError::Timeout) => s.timed_out += 1,
            Err(NetError::Unresolved(_)) => s.unresolved += 1,
            Err(_) => s.unreachable += 1,
        }
        t.sent += 1;
        let next = t.due(t.sent);
        if next < t.start + spec.duration {
            self.queue.schedule_at(next, Event::Traffic(id));
        }
    }

    /// One request of `spec` from its node: the status, or why none came.
    fn traffic_request(&mut self, spec: &TrafficSpec) -> Result<u16, NetError> {
        if self.faults.crashed.get(&spec.node).is_some_and(|&n| n > 0) {
            return Err(NetError::NoRoute);
        }
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
        self.with_kubelet(&spec.node, |k, images, now, net| {
            k.host_request(images, now, &spec.host, spec.port, &req, Some(net))
        })
        .unwrap_or(Err(NetError::NoRoute))
        .map(|r| r.status)
    }
}
