//! `sim`: the kubesim command line. A thin layer over the library crates:
//! argument parsing, files, and exit codes (0 all expectations held, 1 an
//! expectation failed, 2 invalid input). `sim shell` only wires the terminal
//! or stdin to `sim_scenarios::shell`.

// The binary is the one place that prints; the libraries write to the
// writers they are given.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use sim_core::api::labels::Selector;
use sim_core::api::Kind;
use sim_core::config::ExplainScheduling;
use sim_core::time::SimDuration;
use sim_core::trace::Trace;
use sim_report::event_log;
use sim_scenarios::limits::MAX_DURATION;
use sim_scenarios::{RunOptions, ScenarioError};

mod out_dir;

use out_dir::OutDir;

/// kubesim: a deterministic discrete-event simulator of a Kubernetes v1.33 cluster.
#[derive(Debug, Parser)]
#[command(name = "sim", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run a scenario in virtual time and check its expectations.
    Run {
        /// The scenario file.
        scenario: PathBuf,
        /// Replace the scenario's seed (an integer from 0 to 18446744073709551615).
        #[arg(long, value_parser = parse_seed, allow_hyphen_values = true)]
        seed: Option<u64>,
        /// Write the event log, the Kubernetes Events, the scheduling explanations and the transcript to this directory.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Allow --out to replace the files of a previous run in a non-empty directory.
        #[arg(long)]
        force: bool,
        /// Explain in full (every examined node) the scheduling attempts of
        /// the pods this label selector matches (kubectl -l syntax), and
        /// summarize the others; `all` or `none`. Default: all when the
        /// cluster has at most 500 nodes, none beyond.
        #[arg(long, value_name = "SELECTOR", value_parser = parse_explain_pods, requires = "out")]
        explain_pods: Option<Selector>,
        /// Stop at this virtual time (a duration such as 90s or 1h30m).
        #[arg(long, value_parser = parse_duration, allow_hyphen_values = true)]
        until: Option<SimDuration>,
        /// Print the run's counters on stderr at the end: events, API writes,
        /// watch deliveries, peak objects, and the speed (wall-clock time).
        #[arg(long)]
        stats: bool,
    },
    /// Check a scenario (and the manifests it names) without running it.
    Validate {
        /// The scenario file.
        scenario: PathBuf,
    },
    /// An interactive shell on a simulated cluster (kubectl commands, sleep,
    /// run until, save...). Reads a script from stdin when it is not a terminal.
    Shell {
        /// A scenario whose cluster section (and seed) to use; default: a
        /// kubeadm cluster with one control-plane node and two workers.
        scenario: Option<PathBuf>,
        /// Replace the seed (an integer from 0 to 18446744073709551615).
        #[arg(long, value_parser = parse_seed, allow_hyphen_values = true)]
        seed: Option<u64>,
    },
}

fn parse_duration(s: &str) -> Result<SimDuration, String> {
    let d = s.parse::<SimDuration>().map_err(|e| e.to_string())?;
    if d > MAX_DURATION {
        return Err(format!(
            "{s} is too long; the longest duration accepted is {MAX_DURATION}"
        ));
    }
    Ok(d)
}

/// `--explain-pods`: `all`, `none`, or a label selector.
fn parse_explain_pods(s: &str) -> Result<Selector, String> {
    match s.trim() {
        "all" => Ok(Selector::everything()),
        "none" => Ok(Selector::nothing()),
        _ => Selector::parse(s).map_err(|e| {
            format!("{e} (expected a label selector in kubectl -l syntax, such as app=web or 'tier in (a,b)', or all, or none)")
        }),
    }
}

fn parse_seed(s: &str) -> Result<u64, String> {
    s.trim().parse::<u64>().map_err(|e| {
        format!(
            "{e}; expected a non-negative integer from 0 to {}",
            u64::MAX
        )
    })
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn load(path: &Path) -> Result<sim_scenarios::Scenario, ExitCode> {
    sim_scenarios::load(path).map_err(|e: ScenarioError| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })
}

fn real_main(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Cmd::Shell { scenario, seed } => {
            let scenario = match scenario.as_deref().map(load).transpose() {
                Ok(s) => s,
                Err(code) => return Ok(code),
            };
            let options = sim_scenarios::shell::ShellOptions {
                scenario,
                seed,
                cwd: std::env::current_dir().context("reading the current directory")?,
            };
            let mut stdout = io::stdout().lock();
            if io::stdin().is_terminal() {
                let mut lines = sim_scenarios::shell::TerminalLines::new()?;
                sim_scenarios::shell::run(&options, &mut lines, &mut stdout)?;
            } else {
                let mut lines = sim_scenarios::shell::ScriptLines(io::stdin().lock());
                sim_scenarios::shell::run(&options, &mut lines, &mut stdout)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Validate { scenario } => {
            let s = match load(&scenario) {
                Ok(s) => s,
                Err(code) => return Ok(code),
            };
            println!(
                "{}: valid scenario {:?}: {} nodes, {} steps",
                scenario.display(),
                s.name,
                s.cluster.nodes.len(),
                s.steps.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Run {
            scenario,
            seed,
            out,
            force,
            explain_pods,
            until,
            stats,
        } => {
            let s = match load(&scenario) {
                Ok(s) => s,
                Err(code) => return Ok(code),
            };
            let out_dir = out
                .as_deref()
                .map(|dir| OutDir::prepare(dir, force))
                .transpose()?;
            let options = RunOptions {
                seed,
                until,
                invoked_as: Some(scenario.display().to_string()),
                explain_scheduling: match (&out, explain_pods) {
                    (None, _) => ExplainScheduling::Off,
                    (Some(_), None) => ExplainScheduling::Auto,
                    (Some(_), Some(selector)) => ExplainScheduling::FullFor(selector),
                },
            };
            // The wall clock is read here, in the binary, and only for
            // --stats: nothing of it reaches the run.
            let started = std::time::Instant::now();
            let result = match &out_dir {
                None => sim_scenarios::run(&s, &options, &mut io::stdout().lock())?,
                Some(dir) => run_with_out(&s, &options, dir)?,
            };
            if stats {
                let wall = started.elapsed();
                // The transcript first, whole, then the figures.
                io::stdout().flush()?;
                print_stats(&result.cluster, wall);
            }
            let code = if result.success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            };
            // The process ends now: freeing every object of a large cluster
            // one by one would only cost time (a tenth of a run of 10,000
            // pods); the operating system takes the memory back at once.
            std::mem::forget(result);
            Ok(code)
        }
    }
}

/// Runs with `--out`: the trace, the scheduling explanations and the
/// transcript are streamed into DIR as the run goes, the Kubernetes Events
/// (as the store holds them at the end) after it; then the files are put in
/// place.
fn run_with_out(
    scenario: &sim_scenarios::Scenario,
    options: &RunOptions,
    dir: &OutDir,
) -> Result<sim_scenarios::RunResult> {
    let (sink, handle) = event_log::record_sink(event_log::RecordWriters {
        trace: dir.stream("events.jsonl")?,
        scheduling: dir.stream("scheduling.jsonl")?,
        metrics: dir.stream("metrics.csv")?,
    });
    let mut transcript = dir.stream("transcript.txt")?;
    let result = {
        let mut tee = Tee {
            a: io::stdout().lock(),
            b: &mut transcript,
        };
        sim_scenarios::run_recorded(scenario, options, &mut tee, Trace::streaming(sink))?
    };
    let record = handle
        .finish()
        .with_context(|| "--out: writing the trace".to_owned())?;
    let mut k8s_events = dir.stream("k8s-events.jsonl")?;
    let list = result.cluster.etcd().list(Kind::Event, None);
    event_log::write_events(&list, &mut k8s_events)?;
    let mut traffic = dir.stream("traffic.csv")?;
    sim_report::traffic::write_traffic(result.cluster.traffic(), &mut traffic)?;
    dir.finish(vec![
        record.trace,
        k8s_events,
        record.metrics,
        record.scheduling,
        traffic,
        transcript,
    ])?;
    Ok(result)
}

/// `--stats`: the run's counters on stderr (stdout is the transcript, the
/// same bytes for the same scenario and seed; these figures are about the
/// machine).
fn print_stats(cluster: &sim_core::cluster::Cluster, wall: std::time::Duration) {
    let stats = cluster.stats();
    let wall_s = wall.as_secs_f64().max(1e-9);
    let virtual_s = cluster.now().as_nanos() as f64 / 1e9;
    eprintln!("stats: virtual time      {}", cluster.now());
    eprintln!("stats: wall time         {:.3} s", wall.as_secs_f64());
    eprintln!("stats: virtual/wall      {:.0}x", virtual_s / wall_s);
    eprintln!("stats: events            {}", stats.events);
    eprintln!(
        "stats: events/s (wall)   {:.0}",
        stats.events as f64 / wall_s
    );
    eprintln!("stats: API requests      {}", stats.requests);
    eprintln!("stats: API writes        {}", stats.writes);
    eprintln!("stats: watch deliveries  {}", stats.deliveries);
    eprintln!("stats: peak objects      {}", stats.peak_objects);
}

/// Writes to two sinks.
struct Tee<'a, A: Write, B: Write> {
    a: A,
    b: &'a mut B,
}

impl<A: Write, B: Write> Write for Tee<'_, A, B> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.a.write_all(buf)?;
        self.b.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.a.flush()?;
        self.b.flush()
    }
}
