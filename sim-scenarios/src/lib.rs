//! # sim-scenarios: scenarios, manifests, kubectl and the runner
//!
//! A scenario is parsed in two stages: `raw` is the file as written (unknown
//! keys refused, with their line), [`scenario`] is the validated form with
//! typed units (virtual-time durations, integer quantities, decoded API
//! objects, parsed kubectl lines). [`manifest`] reads Kubernetes YAML and
//! checks it as the API server would; [`kubectl`] is the command grammar and
//! its execution; the runner ([`run`]) plays a scenario in virtual time and
//! checks its [`expect`]ations; [`shell`] is the interactive `sim shell`. All
//! YAML goes through [`yaml`]; every size a user gives is bounded by
//! [`limits`].
//!
//! The entry points:
//!
//! ```
//! use std::path::Path;
//!
//! let text = "\
//! name: hello
//! steps:
//!   - kubectl: run web --image=nginx:1.14.2
//!   - expect:
//!       object: pod/web
//!       phase: Running
//!       within: 1m
//! ";
//! // `load` reads a file; `parse` takes its text (relative paths start at
//! // the file's directory).
//! let scenario = sim_scenarios::parse(text, Path::new("hello.yaml")).unwrap();
//! assert_eq!(scenario.steps.len(), 2);
//!
//! let mut transcript = Vec::new();
//! let result = sim_scenarios::run(&scenario, &sim_scenarios::RunOptions::default(), &mut transcript)
//!     .unwrap();
//! assert!(result.success());
//! let transcript = String::from_utf8(transcript).unwrap();
//! assert!(transcript.contains("PASS pod/web phase=Running within 1m0s"));
//! ```
//!
//! An invalid scenario is a [`ScenarioError`] naming the file, the line and
//! YAML path, and what was expected:
//!
//! ```
//! use std::path::Path;
//!
//! let e = sim_scenarios::parse("name: x\nsteps:\n  - wait: 10\n", Path::new("s.yaml")).unwrap_err();
//! let message = e.to_string();
//! assert!(message.starts_with("s.yaml:3: steps[0].wait: invalid duration \"10\""));
//! assert!(message.ends_with("did you mean 10s?"));
//! assert!(sim_scenarios::load(Path::new("/nonexistent/s.yaml")).is_err());
//! ```

pub mod error;
pub mod expect;
pub(crate) mod files;
pub mod hosts;
pub mod kubectl;
pub mod limits;
pub mod manifest;
pub(crate) mod raw;
mod runner;
pub mod scenario;
pub(crate) mod scheduler_config;
pub mod shell;
pub(crate) mod suggest;
pub mod yaml;

pub use error::{Location, ScenarioError};
pub use runner::{run, run_recorded, RunError, RunOptions, RunResult};
pub use scenario::{load, parse, Scenario};
