//! What a kubectl command did: what it printed (stdout and stderr, in
//! order), its exit code, and the objects the caller should wait for.

use sim_core::api::{ApiError, ObjectKey};
use sim_core::time::SimDuration;

/// What a command did.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// What kubectl printed (stdout and stderr, in order).
    pub output: String,
    /// Objects kubectl waits for to disappear (`delete --wait`).
    pub wait_for_gone: Vec<ObjectKey>,
    /// How long to wait for them (`drain --timeout`); None: the default.
    pub wait_timeout: Option<SimDuration>,
    /// kubectl's exit code (0 or 1).
    pub exit_code: i32,
}
impl Outcome {
    pub(crate) fn line(&mut self, s: impl AsRef<str>) {
        self.output.push_str(s.as_ref());
        if !s.as_ref().ends_with('\n') {
            self.output.push('\n');
        }
    }

    /// Prints kubectl's error line for a client-side failure and sets exit code 1.
    pub(crate) fn fail(&mut self, message: impl std::fmt::Display) {
        self.line(message.to_string());
        self.exit_code = 1;
    }

    pub(crate) fn error(&mut self, e: &ApiError) {
        self.line(e.kubectl_line());
        self.exit_code = 1;
    }
}
