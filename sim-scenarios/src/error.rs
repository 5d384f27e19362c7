//! Errors in a scenario or in what it points to, with the position of the
//! problem: file, line (when known), YAML path, and what was expected.

use std::fmt;
use std::path::PathBuf;

/// Where a problem is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    /// The file (scenario or manifest).
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// The YAML path (`steps[2].expect.within`), when known.
    pub path: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if let Some(path) = &self.path {
            write!(f, ": {path}")?;
        }
        Ok(())
    }
}

/// An invalid scenario: the run does not start (exit code 2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ScenarioError {
    /// Where.
    pub location: Location,
    /// What is wrong and what is expected.
    pub message: String,
}

impl ScenarioError {
    /// An error at a location.
    pub fn new(location: Location, message: impl Into<String>) -> Self {
        Self {
            location,
            message: message.into(),
        }
    }

    /// An error at a YAML path of a file, with the line when known.
    pub fn at(
        file: &std::path::Path,
        line: Option<usize>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(
            Location {
                file: file.to_owned(),
                line,
                column: None,
                path: Some(path.into()),
            },
            message,
        )
    }
}
