//! # sim-scenarios: scenarios, manifests, kubectl and the runner
//!
//! A scenario is parsed in two stages: [`raw`] is the file as written (unknown
//! keys refused, with their line), [`scenario`] is the validated form with
//! typed units (virtual-time durations, integer quantities, decoded API
//! objects, parsed kubectl lines). [`manifest`] reads Kubernetes YAML and
//! checks it as the API server would; [`kubectl`] is the command grammar and
//! its execution; [`runner`] plays a scenario in virtual time and checks its
//! [`expect`]ations; [`shell`] is the interactive `sim shell`. All YAML goes
//! through [`yaml`].

pub mod error;
pub mod expect;
pub mod files;
pub mod kubectl;
pub mod limits;
pub mod manifest;
pub mod raw;
pub mod runner;
pub mod scenario;
pub mod scheduler_config;
pub mod shell;
pub mod suggest;
pub mod yaml;

pub use error::{Location, ScenarioError};
pub use runner::{run, RunOptions, RunResult};
pub use scenario::{load, Scenario};
