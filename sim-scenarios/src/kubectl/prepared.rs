//! A kubectl command ready to run: the parsed line with the files it names
//! (`-f` manifests, `--from-file` and `--from-env-file` sources), read when the
//! scenario was validated or the shell line was entered.

use std::collections::BTreeMap;

use super::grammar::KubectlCli;
use crate::manifest::ManifestObject;

/// A file or directory named by `--from-file` or `--from-env-file`, read when
/// the scenario was validated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceFile {
    /// True for a directory.
    pub is_dir: bool,
    /// `(file name, contents)`: the file itself, or the directory's regular
    /// files in name order.
    pub entries: Vec<(String, Vec<u8>)>,
}

/// A parsed command with the manifests its `-f` flags name (read when the
/// scenario was validated).
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The command line as written.
    pub line: String,
    /// The parsed command.
    pub cli: KubectlCli,
    /// The objects of `-f` files.
    pub manifests: Vec<ManifestObject>,
    /// The files of `--from-file` / `--from-env-file`, by the path as written.
    pub files: BTreeMap<String, SourceFile>,
    /// For `kubectl edit` in a scenario: the change made in the editor, as a
    /// strategic merge patch.
    pub edit_patch: Option<serde_json::Value>,
    /// For `kubectl exec -i` in a scenario: the standard input typed.
    pub stdin: Option<String>,
}
