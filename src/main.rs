//! `sim`: the kubesim command line. A thin layer over the library crates:
//! argument parsing, files, and exit codes (0 all expectations held, 1 an
//! expectation failed, 2 invalid input). `sim shell` only wires the terminal
//! or stdin to `sim_scenarios::shell`.

use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use sim_core::api::Kind;
use sim_core::components::scheduler::Scheduler;
use sim_core::time::SimDuration;
use sim_scenarios::limits::MAX_DURATION;
use sim_scenarios::{RunOptions, ScenarioError};

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
        /// Write the event log, the Kubernetes Events and the transcript to this directory.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Allow --out to replace the files of a previous run in a non-empty directory.
        #[arg(long)]
        force: bool,
        /// Stop at this virtual time (a duration such as 90s or 1h30m).
        #[arg(long, value_parser = parse_duration, allow_hyphen_values = true)]
        until: Option<SimDuration>,
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

fn parse_seed(s: &str) -> Result<u64, String> {
    s.trim().parse::<u64>().map_err(|e| {
        format!(
            "{e}; expected a non-negative integer from 0 to {}",
            u64::MAX
        )
    })
}

/// The files a run writes into `--out`.
const OUT_FILES: [&str; 4] = [
    "events.jsonl",
    "k8s-events.jsonl",
    "scheduling.jsonl",
    "transcript.txt",
];

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
            until,
        } => {
            let s = match load(&scenario) {
                Ok(s) => s,
                Err(code) => return Ok(code),
            };
            if let Some(dir) = &out {
                prepare_out_dir(dir, force)?;
            }
            let options = RunOptions {
                seed,
                until,
                invoked_as: Some(scenario.display().to_string()),
                explain_scheduling: out.is_some(),
            };
            let mut transcript = Vec::new();
            let result = {
                let mut tee = Tee {
                    a: io::stdout().lock(),
                    b: &mut transcript,
                };
                sim_scenarios::run(&s, &options, &mut tee)?
            };
            if let Some(dir) = &out {
                write_out(dir, &result, &transcript)
                    .with_context(|| format!("writing {}", dir.display()))?;
            }
            Ok(if result.success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

/// Refuses to write into a non-empty directory unless `--force` is given,
/// and even then only a directory that holds nothing but (regular) files a
/// run writes, so nothing else can be overwritten or mixed with the output.
fn prepare_out_dir(dir: &Path, force: bool) -> Result<()> {
    let shown = dir.display();
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => bail!("--out {shown}: cannot inspect it: {e}"),
        Ok(_) if !dir.is_dir() => {
            bail!("--out {shown}: exists and is not a directory; expected a new or empty directory")
        }
        Ok(_) => {
            let mut ours = Vec::new();
            let mut foreign = Vec::new();
            for entry in
                fs::read_dir(dir).with_context(|| format!("--out {shown}: cannot list it"))?
            {
                let entry = entry.with_context(|| format!("--out {shown}: cannot list it"))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let regular = entry.file_type().is_ok_and(|t| t.is_file());
                if regular && OUT_FILES.contains(&name.as_str()) {
                    ours.push(name);
                } else {
                    foreign.push(name);
                }
            }
            ours.sort();
            foreign.sort();
            if !foreign.is_empty() {
                bail!(
                    "--out {shown}: holds files kubesim did not write ({}); refusing to replace or mix with them; expected a new or empty directory, or (with --force) the output of a previous run",
                    foreign.join(", ")
                );
            }
            if !ours.is_empty() && !force {
                bail!(
                    "--out {shown}: directory is not empty ({}); choose another directory, or pass --force to replace the files of a previous run",
                    ours.join(", ")
                );
            }
        }
    }
    fs::create_dir_all(dir).with_context(|| format!("--out {shown}: cannot create it"))?;
    Ok(())
}

fn write_out(dir: &Path, result: &sim_scenarios::RunResult, transcript: &[u8]) -> Result<()> {
    let mut f = io::BufWriter::new(fs::File::create(dir.join("events.jsonl"))?);
    sim_report::event_log::write_trace(result.cluster.trace().records(), &mut f)?;
    f.flush()?;
    let events = result.cluster.etcd().list(Kind::Event, None);
    let mut f = io::BufWriter::new(fs::File::create(dir.join("k8s-events.jsonl"))?);
    sim_report::event_log::write_events(&events, &mut f)?;
    f.flush()?;
    let mut f = io::BufWriter::new(fs::File::create(dir.join("scheduling.jsonl"))?);
    if let Some(scheduler) = result
        .cluster
        .component("kube-scheduler")
        .and_then(|c| c.as_any().downcast_ref::<Scheduler>())
    {
        sim_report::event_log::write_json_lines(scheduler.attempts(), &mut f)?;
    }
    f.flush()?;
    fs::write(dir.join("transcript.txt"), transcript)?;
    Ok(())
}

/// Writes to two sinks.
struct Tee<'a, A: Write> {
    a: A,
    b: &'a mut Vec<u8>,
}

impl<A: Write> Write for Tee<'_, A> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.a.write_all(buf)?;
        self.b.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.a.flush()
    }
}
