//! A refusal of a KubeSchedulerConfiguration: the field path inside the
//! document and kube-scheduler's words for what is wrong.

use std::fmt;

/// One refusal: the field path inside the document and kube-scheduler's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    /// Path from the document root (`profiles[0].plugins.score.enabled[1].name`).
    pub path: String,
    /// The message, which itself begins with the field path where
    /// kube-scheduler's does.
    pub text: String,
}

impl Problem {
    pub(super) fn new(path: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            text: text.into(),
        }
    }

    /// `<path>: Invalid value: <v>: <msg>`.
    pub(super) fn invalid(path: &str, value: impl fmt::Display, msg: &str) -> Self {
        Self::new(path, format!("{path}: Invalid value: {value}: {msg}"))
    }

    /// kubesim does not model this field.
    pub(super) fn not_simulated(path: &str, what: &str) -> Self {
        Self::new(
            path,
            format!("{path}: {what} is not simulated by kubesim; remove it (kubesim refuses it rather than ignore it, since it would change where pods go)"),
        )
    }
}
