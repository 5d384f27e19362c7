//! The runner: builds the cluster, brings it up, and plays the steps in
//! virtual time, writing a transcript: each step at its virtual time, what
//! kubectl printed, and each expectation as PASS or FAIL with what was observed.

use std::io::{self, Write};

use sim_core::api::conditions;
use sim_core::api::Kind;
use sim_core::bootstrap::kubeadm_cluster;
use sim_core::cluster::{Cluster, Stall};
use sim_core::config::ExplainScheduling;
use sim_core::time::{SimDuration, SimTime};
use sim_core::trace::Trace;

use crate::expect::{Checker, Expectation};
use crate::hosts::HostSessions;
use crate::kubectl;
use crate::kubectl::commands::get::Watch;
use crate::kubectl::Prepared;
use crate::scenario::{Action, HostCommand, Scenario, TrafficStep, When};

/// The longest the runner waits for the cluster to come up.
pub(crate) const CLUSTER_READY_TIMEOUT: SimDuration = SimDuration::from_mins(5);
/// The longest `kubectl delete` waits for objects to disappear.
pub(crate) const DELETE_WAIT_TIMEOUT: SimDuration = SimDuration::from_mins(5);

/// Why a run could not finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Writing the transcript failed.
    #[error("writing the transcript: {0}")]
    Io(#[from] io::Error),
    /// The simulation stopped making progress in virtual time.
    #[error(transparent)]
    Stall(#[from] Stall),
}

/// Options of a run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Replaces the scenario's seed.
    pub seed: Option<u64>,
    /// Stops the run at this virtual time.
    pub until: Option<SimDuration>,
    /// How the scenario was named on the command line (for the replay line).
    pub invoked_as: Option<String>,
    /// Which scheduling attempts to explain, and how (for `scheduling.jsonl`).
    pub explain_scheduling: ExplainScheduling,
}

/// The outcome of a run.
#[derive(Debug)]
pub struct RunResult {
    /// Expectations that held.
    pub passed: usize,
    /// Expectations that failed.
    pub failed: usize,
    /// Expectations cut short by `--until` before their deadline.
    pub undecided: usize,
    /// Steps not run because they start at or after `--until`.
    pub skipped: usize,
    /// The seed used.
    pub seed: u64,
    /// The cluster as the run left it (for reports).
    pub cluster: Cluster,
}

impl RunResult {
    /// True when every expectation held.
    pub fn success(&self) -> bool {
        self.failed == 0
    }
}

struct Runner<'a> {
    cluster: Cluster,
    out: &'a mut dyn Write,
    until: SimTime,
    /// The last `kubectl get -w`, printing changes as time advances.
    watch: Option<Watch>,
    /// Watch rows not written yet.
    pending: String,
    /// Login sessions on the nodes (`host` steps).
    hosts: HostSessions,
    /// The traffic sources started, with their steps.
    traffic: Vec<(usize, TrafficStep)>,
}

fn stamp(t: SimTime) -> String {
    format!("[{:>10}]", t.to_string())
}

/// The transcript lines of the faults that started or ended since the last call.
pub(crate) fn fault_lines(cluster: &mut Cluster) -> String {
    cluster
        .take_fault_notices()
        .into_iter()
        .map(|n| {
            let what = if n.started { "starts" } else { "ends" };
            format!("{} fault {what}: {}\n", stamp(n.at), n.text)
        })
        .collect()
}

impl Runner<'_> {
    fn say(&mut self, text: &str) -> io::Result<()> {
        self.flush_watch()?;
        let t = stamp(self.cluster.now());
        writeln!(self.out, "{t} {text}")
    }

    /// Runs events until `done` holds (checked whenever the store changed) or
    /// `deadline` passes. Returns the time it held, if it did.
    fn run_until_holds(
        &mut self,
        deadline: SimTime,
        done: impl FnMut(&Cluster) -> bool,
    ) -> Result<Option<SimTime>, Stall> {
        let deadline = deadline.min(self.until);
        let (watch, pending) = (&mut self.watch, &mut self.pending);
        run_until_holds(&mut self.cluster, deadline, done, |c| {
            if let Some(w) = watch {
                pending.push_str(&w.poll(c));
            }
        })
    }

    /// Collects the rows of the running watch for the changes so far.
    fn poll_watch(&mut self) {
        if let Some(w) = &mut self.watch {
            self.pending.push_str(&w.poll(&self.cluster));
        }
    }

    /// Writes the collected watch rows, then the faults that started or ended.
    fn flush_watch(&mut self) -> io::Result<()> {
        let rows = std::mem::take(&mut self.pending);
        self.out.write_all(rows.as_bytes())?;
        let faults = fault_lines(&mut self.cluster);
        self.out.write_all(faults.as_bytes())
    }

    /// Advances the clock to `to`; with a watch running, event by event so
    /// that each change is printed at its own virtual time.
    fn advance(&mut self, to: SimTime) -> Result<(), Stall> {
        advance(&mut self.cluster, to, &mut self.watch, &mut self.pending)
    }
}

/// Runs events until `done` holds (checked whenever the store changed, once
/// every event of that instant has run) or `deadline` passes, calling
/// `after_event` after each event. Returns the time it held, if it did.
pub(crate) fn run_until_holds(
    cluster: &mut Cluster,
    deadline: SimTime,
    mut done: impl FnMut(&Cluster) -> bool,
    mut after_event: impl FnMut(&Cluster),
) -> Result<Option<SimTime>, Stall> {
    let mut revision = cluster.etcd().revision();
    if done(cluster) {
        return Ok(Some(cluster.now()));
    }
    while let Some(next) = cluster.next_event_time() {
        if next > deadline {
            break;
        }
        cluster.step()?;
        after_event(cluster);
        let now_rev = cluster.etcd().revision();
        if now_rev != revision {
            revision = now_rev;
            // Finish every event of this instant before judging it.
            if cluster.next_event_time() == Some(cluster.now()) {
                continue;
            }
            if done(cluster) {
                return Ok(Some(cluster.now()));
            }
        } else if cluster.next_event_time() != Some(cluster.now()) && done(cluster) {
            return Ok(Some(cluster.now()));
        }
    }
    cluster.run_until(deadline)?;
    Ok(done(cluster).then(|| cluster.now()))
}

/// Advances the clock to `to`; with a watch running, event by event, adding
/// the watch's rows for each change to `pending` at its own virtual time.
pub(crate) fn advance(
    cluster: &mut Cluster,
    to: SimTime,
    watch: &mut Option<Watch>,
    pending: &mut String,
) -> Result<(), Stall> {
    if let Some(w) = watch {
        while cluster.next_event_time().is_some_and(|t| t <= to) {
            cluster.step()?;
            pending.push_str(&w.poll(cluster));
        }
    }
    cluster.run_until(to)
}

/// True when every node that has joined is Ready and every kube-system pod
/// is Running and Ready. Nodes that join later (`joinAt`) are not waited for.
pub(crate) fn cluster_ready(cluster: &Cluster) -> bool {
    let etcd = cluster.etcd();
    let nodes = etcd.list(Kind::Node, None);
    let joined = cluster
        .config()
        .nodes
        .iter()
        .filter(|n| n.join_at.is_none_or(|t| SimTime::ZERO + t <= cluster.now()))
        .count();
    if nodes.len() != joined {
        return false;
    }
    let nodes_ready = nodes
        .iter()
        .all(|n| n.as_node().is_some_and(conditions::is_node_ready));
    let expected_pods =
        4 + nodes.len() + usize::try_from(cluster.config().coredns_replicas).unwrap_or(0);
    let pods = etcd.list(Kind::Pod, Some("kube-system"));
    nodes_ready
        && pods.len() == expected_pods
        && pods
            .iter()
            .all(|p| p.as_pod().is_some_and(conditions::is_pod_ready))
}

/// Plays a scenario, writing the transcript to `out`. The run keeps no
/// trace ([`run_recorded`] keeps or streams one).
pub fn run(
    scenario: &Scenario,
    options: &RunOptions,
    out: &mut dyn Write,
) -> Result<RunResult, RunError> {
    run_recorded(scenario, options, out, Trace::disabled())
}

/// Plays a scenario, writing the transcript to `out` and the run's record
/// to `trace` (in memory, or streamed to a sink as the run goes).
pub fn run_recorded(
    scenario: &Scenario,
    options: &RunOptions,
    out: &mut dyn Write,
    trace: Trace,
) -> Result<RunResult, RunError> {
    let seed = options.seed.unwrap_or(scenario.seed);
    let mut config = scenario.cluster.clone();
    config.explain_scheduling = options.explain_scheduling.clone();
    let cluster = kubeadm_cluster(config, seed, trace);
    let until = options.until.map_or(SimTime::MAX, |d| SimTime::ZERO + d);
    let mut r = Runner {
        cluster,
        out,
        until,
        watch: None,
        pending: String::new(),
        hosts: HostSessions::new(),
        traffic: Vec::new(),
    };
    writeln!(
        r.out,
        "kubesim: scenario {:?} (seed {seed}, Kubernetes {})",
        scenario.name,
        sim_core::config::KUBERNETES_VERSION
    )?;
    r.bring_up()?;
    let mut tally = Tally::default();
    for step in &scenario.steps {
        let start = match step.when {
            When::At(t) => t.max(r.cluster.now()),
            When::After(d) => r.cluster.now() + d,
        };
        if start >= r.until {
            tally.skipped += 1;
            continue;
        }
        r.advance(start)?;
        // A `get -w` streams changes until the next step starts.
        r.flush_watch()?;
        r.watch = None;
        if let Some(name) = &step.name {
            r.say(&format!("# {name}"))?;
        }
        r.step(&step.action, &mut tally)?;
    }
    r.finish_traffic(&mut tally)?;
    if r.until != SimTime::MAX && r.cluster.now() < r.until {
        r.advance(r.until)?;
        r.say("stopped (--until)")?;
    }
    r.flush_watch()?;
    r.cluster.sample_metrics();
    summary(&mut r, &tally, scenario, options, seed)?;
    Ok(RunResult {
        passed: tally.passed,
        failed: tally.failed,
        undecided: tally.undecided,
        skipped: tally.skipped,
        seed,
        cluster: r.cluster,
    })
}

/// The count of expectations and skipped steps.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    undecided: usize,
    skipped: usize,
}

impl Runner<'_> {
    /// Runs the cluster until it is ready (at most [`CLUSTER_READY_TIMEOUT`]).
    fn bring_up(&mut self) -> Result<(), RunError> {
        match self.run_until_holds(SimTime::ZERO + CLUSTER_READY_TIMEOUT, cluster_ready)? {
            Some(_) => {
                let nodes = self.cluster.etcd().count(Kind::Node);
                let pods = self
                    .cluster
                    .etcd()
                    .list(Kind::Pod, Some("kube-system"))
                    .len();
                self.say(&format!(
                    "cluster ready: {nodes} nodes Ready, {pods} pods Running in kube-system"
                ))?;
            }
            None => {
                self.say("warning: the cluster did not become ready; running the steps anyway")?
            }
        }
        Ok(())
    }

    /// Runs one step's action at the current time.
    fn step(&mut self, action: &Action, tally: &mut Tally) -> Result<(), RunError> {
        match action {
            Action::Apply { source, command } => {
                self.say(&format!("apply {source}"))?;
                let ex = kubectl::execute(&mut self.cluster, command);
                self.out.write_all(ex.outcome.output.as_bytes())?;
                self.poll_watch();
                self.flush_watch()?;
            }
            Action::Kubectl(command) => self.kubectl(command)?,
            Action::Fault(f) => {
                if let Err(e) = self.cluster.inject_fault(f.clone()) {
                    self.say(&format!("error: fault {}: {e}", f.describe()))?;
                }
                self.flush_watch()?;
            }
            Action::Wait(d) => {
                self.say(&format!("wait {d}"))?;
                let to = (self.cluster.now() + *d).min(self.until);
                self.advance(to)?;
            }
            Action::Expect(e) => match expect(self, e)? {
                Some(true) => tally.passed += 1,
                Some(false) => tally.failed += 1,
                None => tally.undecided += 1,
            },
            Action::Traffic(t) => match self.cluster.start_traffic(t.spec.clone()) {
                Ok(id) => {
                    self.say(&format!(
                        "traffic {}: {}/s to {} from {} for {}",
                        t.spec.name, t.spec.rate_per_sec, t.url, t.spec.from, t.spec.duration
                    ))?;
                    self.traffic.push((id, t.clone()));
                }
                Err(e) => self.say(&format!("error: traffic {}: {e}", t.spec.name))?,
            },
            Action::Host(h) => {
                if self.host(h)? {
                    tally.passed += usize::from(h.checks());
                } else {
                    tally.failed += 1;
                }
            }
        }
        Ok(())
    }

    /// Lets the traffic sources run to their end (within `--until`), then
    /// reports each: its totals, and its `maxFailed` check.
    fn finish_traffic(&mut self, tally: &mut Tally) -> Result<(), RunError> {
        let end = self
            .traffic
            .iter()
            .filter_map(|(id, _)| {
                let t = self.cluster.traffic().get(*id)?;
                Some(t.start + t.spec.duration)
            })
            .max();
        if let Some(end) = end {
            let to = end.min(self.until);
            if to > self.cluster.now() {
                self.advance(to)?;
            }
        }
        for (id, step) in std::mem::take(&mut self.traffic) {
            let Some((total, start)) = self
                .cluster
                .traffic()
                .get(id)
                .map(|t| (t.totals(), t.start))
            else {
                continue;
            };
            let mut why: Vec<String> = Vec::new();
            for (n, what) in [
                (total.server_errors, "5xx"),
                (total.refused, "refused"),
                (total.timed_out, "timed out"),
                (total.unreachable, "no route"),
                (total.unresolved, "not resolved"),
            ] {
                if n > 0 {
                    why.push(format!("{what} {n}"));
                }
            }
            let failed = if why.is_empty() {
                "0 failed".to_owned()
            } else {
                format!("{} failed ({})", total.failed(), why.join(", "))
            };
            let not_sent = if total.not_sent > 0 {
                format!(
                    "; {} not sent (the client's pod was not running)",
                    total.not_sent
                )
            } else {
                String::new()
            };
            let summary = format!(
                "traffic {}: {} sent, {} answered, {failed}{not_sent}",
                step.spec.name, total.sent, total.ok
            );
            self.say(&summary)?;
            let done = start + step.spec.duration <= self.cluster.now();
            let failed = total.failed();
            let mut checks: Vec<(String, bool, String)> = Vec::new();
            if let Some(max) = step.max_failed {
                checks.push((
                    format!("traffic {} failed <= {max}", step.spec.name),
                    failed <= max,
                    format!("{failed} failed"),
                ));
            }
            if let Some(min) = step.min_failed {
                checks.push((
                    format!("traffic {} failed >= {min}", step.spec.name),
                    failed >= min,
                    format!("{failed} failed"),
                ));
            }
            if let Some(max_bp) = step.max_failed_basis_points {
                // failed/sent <= max_bp/10,000, in integers.
                let within =
                    u64::from(failed) * 10_000 <= u64::from(max_bp) * u64::from(total.sent);
                checks.push((
                    format!(
                        "traffic {} failed <= {}%",
                        step.spec.name,
                        f64::from(max_bp) / 100.0
                    ),
                    within,
                    format!("{failed} of {} failed", total.sent),
                ));
            }
            for (desc, within, observed) in checks {
                if !done {
                    self.say(&format!(
                        "NOT DECIDED {desc}: {observed} so far (stopped by --until)"
                    ))?;
                    tally.undecided += 1;
                } else if within {
                    self.say(&format!("PASS {desc}: {observed}"))?;
                    tally.passed += 1;
                } else {
                    self.say(&format!("FAIL {desc}: observed {observed}"))?;
                    tally.failed += 1;
                }
            }
        }
        Ok(())
    }

    /// A host step: each line typed into the node's shell, shown with its
    /// prompt; then its checks. False when a check failed.
    fn host(&mut self, h: &HostCommand) -> Result<bool, RunError> {
        let mut output = String::new();
        let mut status = 0;
        for line in &h.lines {
            let typed = self.hosts.type_line(&mut self.cluster, &h.node, line);
            self.say(&format!("{}{line}", typed.prompt))?;
            self.out.write_all(typed.output.as_bytes())?;
            output.push_str(&typed.output);
            status = typed.status;
        }
        self.flush_watch()?;
        let mut ok = true;
        if let Some(want) = &h.output {
            let desc = format!("host {} output contains {want:?}", h.node);
            if output.contains(want.as_str()) {
                self.say(&format!("PASS {desc}"))?;
            } else {
                self.say(&format!("FAIL {desc}"))?;
                ok = false;
            }
        }
        if let Some(want) = h.status {
            let desc = format!("host {} exit status {want}", h.node);
            if status == want {
                self.say(&format!("PASS {desc}"))?;
            } else {
                self.say(&format!("FAIL {desc}: observed {status}"))?;
                ok = false;
            }
        }
        Ok(ok)
    }

    /// A kubectl step: its output, then what it waits for (objects to be
    /// gone, a rollout) or the watch it leaves running.
    fn kubectl(&mut self, command: &Prepared) -> Result<(), RunError> {
        self.say(&format!(
            "$ kubectl {}",
            command.line.trim_start_matches("kubectl ")
        ))?;
        let ex = kubectl::execute(&mut self.cluster, command);
        let outcome = ex.outcome;
        self.out.write_all(outcome.output.as_bytes())?;
        if let Some(w) = ex.watch {
            self.watch = Some(w);
        }
        self.poll_watch();
        self.flush_watch()?;
        if !outcome.wait_for_gone.is_empty() {
            let keys = outcome.wait_for_gone.clone();
            let deadline = self.cluster.now() + outcome.wait_timeout.unwrap_or(DELETE_WAIT_TIMEOUT);
            let gone = self.run_until_holds(deadline, |c| {
                keys.iter()
                    .all(|k| c.etcd().get(k.kind, &k.namespace, &k.name).is_none())
            })?;
            if gone.is_none() && self.cluster.now() < self.until {
                self.say("error: timed out waiting for the condition")?;
            }
        }
        if let Some(mut watch) = ex.rollout_watch {
            let limit = watch
                .timeout
                .unwrap_or(crate::kubectl::commands::rollout::ROLLOUT_STATUS_LIMIT);
            let deadline = self.cluster.now() + limit;
            let mut text = String::new();
            let done = self.run_until_holds(deadline, |c| watch.poll(c.etcd(), &mut text))?;
            self.out.write_all(text.as_bytes())?;
            if done.is_none() && self.cluster.now() < self.until {
                writeln!(self.out, "error: timed out waiting for the condition")?;
            }
        }
        Ok(())
    }
}

/// The last lines: the count of expectations and, when one failed, the seed
/// and the command that replays the run.
fn summary(
    r: &mut Runner<'_>,
    tally: &Tally,
    scenario: &Scenario,
    options: &RunOptions,
    seed: u64,
) -> io::Result<()> {
    let Tally {
        passed,
        failed,
        undecided,
        skipped,
    } = *tally;
    let total = passed + failed + undecided;
    let mut summary = format!(
        "{total} expectation{}: {passed} passed, {failed} failed",
        if total == 1 { "" } else { "s" }
    );
    if undecided > 0 {
        summary.push_str(&format!(", {undecided} undecided"));
    }
    if skipped > 0 {
        summary.push_str(&format!(
            "; {skipped} step{} not run (--until)",
            if skipped == 1 { "" } else { "s" }
        ));
    }
    writeln!(r.out, "{summary}")?;
    if failed > 0 {
        let path = options
            .invoked_as
            .clone()
            .unwrap_or_else(|| scenario.path.display().to_string());
        let until = options
            .until
            .map(|u| format!(" --until {u}"))
            .unwrap_or_default();
        writeln!(r.out, "seed: {seed}")?;
        writeln!(r.out, "replay: sim run {path} --seed {seed}{until}")?;
    }
    Ok(())
}

/// Checks an expectation, waiting up to its deadline. None: cut short by `--until`.
fn expect(r: &mut Runner<'_>, e: &Expectation) -> Result<Option<bool>, RunError> {
    let desc = e.describe();
    r.say(&format!("expect {desc}"))?;
    let deadline = r.cluster.now() + e.within;
    let mut checker = Checker::new(e);
    let held = r.run_until_holds(deadline, |c| checker.check(c.etcd()).0)?;
    let (_, observed) = checker.check(r.cluster.etcd());
    match held {
        Some(_) => {
            r.say(&format!("PASS {desc}: {observed}"))?;
            Ok(Some(true))
        }
        None if deadline > r.until => {
            r.say(&format!(
                "NOT DECIDED {desc}: {observed} (stopped by --until)"
            ))?;
            Ok(None)
        }
        None => {
            r.say(&format!("FAIL {desc}: observed {observed}"))?;
            Ok(Some(false))
        }
    }
}
