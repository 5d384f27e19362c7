//! # sim-report: turning a kubesim run into something to read
//!
//! - [`printers`], [`describe`], [`table`] and [`age`]: kubectl's output,
//!   reproduced column for column (`kubectl get` tables, `-o name`,
//!   `kubectl describe`, AGE formatting, the tab-writer alignment);
//! - [`event_log`]: the run's trace and its Kubernetes Events as JSON lines.
//!
//! Nothing here reads the wall clock: "now" is always the run's virtual time,
//! passed in as a timestamp.

pub mod age;
pub mod describe;
pub mod event_log;
pub mod printers;
pub mod table;
