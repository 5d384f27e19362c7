//! Container probes (pkg/kubelet/prober/worker.go): one worker per probe of a
//! container, ticking every `periodSeconds` from when the kubelet accepted the
//! pod. The answer of a probe comes from the image profile's health timeline
//! at that moment; a result flips after `failureThreshold` consecutive
//! failures or `successThreshold` consecutive successes.

use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::time::SimDuration;

/// The three kinds of probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ProbeKind {
    /// `startupProbe`.
    Startup,
    /// `readinessProbe`.
    Readiness,
    /// `livenessProbe`.
    Liveness,
}

impl ProbeKind {
    /// As the `Unhealthy` event names it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            ProbeKind::Startup => "Startup",
            ProbeKind::Readiness => "Readiness",
            ProbeKind::Liveness => "Liveness",
        }
    }

    /// The result before the first probe of a container (worker.go
    /// initialValue): readiness Failure, liveness Success, startup Unknown.
    pub(crate) fn initial(self) -> Option<bool> {
        match self {
            ProbeKind::Startup => None,
            ProbeKind::Readiness => Some(false),
            ProbeKind::Liveness => Some(true),
        }
    }
}

/// A probe's settings with the API defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProbeSpec {
    /// Which probe.
    pub kind: ProbeKind,
    /// `periodSeconds` (10).
    pub period: SimDuration,
    /// `initialDelaySeconds` (0).
    pub initial_delay: SimDuration,
    /// `timeoutSeconds` (1).
    pub timeout: SimDuration,
    /// `successThreshold` (1).
    pub success_threshold: u32,
    /// `failureThreshold` (3).
    pub failure_threshold: u32,
    /// `terminationGracePeriodSeconds` of the probe, when set.
    pub grace: Option<SimDuration>,
}

fn secs(v: Option<i32>, default: u64) -> SimDuration {
    SimDuration::from_secs(v.and_then(|s| u64::try_from(s).ok()).unwrap_or(default))
}

fn count(v: Option<i32>, default: u32) -> u32 {
    v.and_then(|s| u32::try_from(s).ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

impl ProbeSpec {
    fn new(kind: ProbeKind, p: &Probe) -> Self {
        Self {
            kind,
            period: secs(p.period_seconds.filter(|&s| s > 0), 10),
            initial_delay: secs(p.initial_delay_seconds, 0),
            timeout: secs(p.timeout_seconds.filter(|&s| s > 0), 1),
            success_threshold: count(p.success_threshold, 1),
            failure_threshold: count(p.failure_threshold, 3),
            grace: p
                .termination_grace_period_seconds
                .and_then(|s| u64::try_from(s).ok())
                .map(SimDuration::from_secs),
        }
    }
}

/// The probes of a container, in the order the prober manager starts their
/// workers (startup, readiness, liveness).
pub(crate) fn probe_specs(c: &Container) -> Vec<ProbeSpec> {
    [
        (ProbeKind::Startup, &c.startup_probe),
        (ProbeKind::Readiness, &c.readiness_probe),
        (ProbeKind::Liveness, &c.liveness_probe),
    ]
    .into_iter()
    .filter_map(|(k, p)| p.as_ref().map(|p| ProbeSpec::new(k, p)))
    .collect()
}

/// The output of a failed probe of `kind` of container `c` at `pod_ip`
/// (what follows "Liveness probe failed: ").
pub(crate) fn failure_output(
    c: &Container,
    kind: ProbeKind,
    pod_ip: &str,
    timeout: SimDuration,
) -> String {
    let Some(p) = (match kind {
        ProbeKind::Startup => &c.startup_probe,
        ProbeKind::Readiness => &c.readiness_probe,
        ProbeKind::Liveness => &c.liveness_probe,
    }) else {
        return String::new();
    };
    let port = |port: &IntOrString| match port {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(name) => c
            .ports
            .iter()
            .flatten()
            .find(|p| p.name.as_deref() == Some(name.as_str()))
            .map_or_else(|| name.clone(), |p| p.container_port.to_string()),
    };
    if p.http_get.is_some() {
        "HTTP probe failed with statuscode: 500".to_owned()
    } else if let Some(t) = &p.tcp_socket {
        format!(
            "dial tcp {pod_ip}:{}: connect: connection refused",
            port(&t.port)
        )
    } else if let Some(g) = &p.grpc {
        format!(
            "timeout: failed to connect service \"{pod_ip}:{}\" within {timeout}",
            g.port
        )
    } else {
        String::new()
    }
}

/// One probe worker's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProbeState {
    /// The settings.
    pub spec: ProbeSpec,
    /// The container run the state belongs to (a new run resets it).
    pub run: u32,
    /// The current result (None: Unknown).
    pub result: Option<bool>,
    /// The last probe's outcome.
    pub last: Option<bool>,
    /// How many probes in a row gave `last`.
    pub streak: u32,
    /// After a liveness or startup failure: no probing until the container
    /// is replaced.
    pub on_hold: bool,
}

impl ProbeState {
    /// A worker for `spec`, before any container run.
    pub(crate) fn new(spec: ProbeSpec) -> Self {
        Self {
            result: spec.kind.initial(),
            spec,
            run: 0,
            last: None,
            streak: 0,
            on_hold: false,
        }
    }

    /// Starts over for container run `run` (worker.go: a new container ID).
    pub(crate) fn reset(&mut self, run: u32) {
        self.run = run;
        self.result = self.spec.kind.initial();
        self.last = None;
        self.streak = 0;
        self.on_hold = false;
    }

    /// Records one probe's outcome; returns the new result when it changed
    /// the result (after the thresholds), or None.
    pub(crate) fn observe(&mut self, ok: bool) -> Option<bool> {
        if self.last == Some(ok) {
            self.streak += 1;
        } else {
            self.last = Some(ok);
            self.streak = 1;
        }
        let needed = if ok {
            self.spec.success_threshold
        } else {
            self.spec.failure_threshold
        };
        if self.streak < needed {
            return None;
        }
        self.result = Some(ok);
        if !ok && self.spec.kind != ProbeKind::Readiness {
            self.on_hold = true;
            self.streak = 0;
        }
        Some(ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: ProbeKind) -> ProbeSpec {
        ProbeSpec::new(kind, &Probe::default())
    }

    #[test]
    fn defaults_are_the_real_ones() {
        let s = spec(ProbeKind::Liveness);
        assert_eq!(s.period, SimDuration::from_secs(10));
        assert_eq!(s.timeout, SimDuration::from_secs(1));
        assert_eq!(s.initial_delay, SimDuration::ZERO);
        assert_eq!((s.success_threshold, s.failure_threshold), (1, 3));
        assert_eq!(
            ProbeState::new(spec(ProbeKind::Readiness)).result,
            Some(false)
        );
        assert_eq!(
            ProbeState::new(spec(ProbeKind::Liveness)).result,
            Some(true)
        );
        assert_eq!(ProbeState::new(spec(ProbeKind::Startup)).result, None);
    }

    #[test]
    fn liveness_fails_after_three_failures_in_a_row() {
        let mut st = ProbeState::new(spec(ProbeKind::Liveness));
        assert_eq!(st.observe(false), None);
        assert_eq!(st.observe(true), Some(true));
        assert_eq!(st.observe(false), None);
        assert_eq!(st.observe(false), None);
        assert_eq!(st.observe(false), Some(false));
        assert!(st.on_hold);
    }
}
