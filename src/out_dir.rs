//! `sim run --out DIR`: the directory that receives the record of a run,
//! written so that nothing the user wrote is lost or overwritten.
//!
//! - Before the run, DIR must be new, empty, or (with `--force`) hold only
//!   files that a previous run wrote, unchanged since: the marker file
//!   [`MARKER`] lists each file kubesim wrote there with a hash of its
//!   content, and a file is kubesim's only if the marker names it with the
//!   hash of what it holds now. DIR must also take a new file (a read-only
//!   directory is refused before the run, not after it).
//! - During the run, each file is written as the run goes to a temporary
//!   file in DIR ([`OutStream`]: nothing of a long run is held in memory);
//!   after it, each is renamed over its name: a file appears whole or not
//!   at all. A file that appeared during the run, or changed since the
//!   check, is not replaced.
//! - The marker is rewritten last, naming the files of this run.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The files a run writes into `--out`.
pub(crate) const OUT_FILES: [&str; 6] = [
    "events.jsonl",
    "k8s-events.jsonl",
    "metrics.csv",
    "scheduling.jsonl",
    "traffic.csv",
    "transcript.txt",
];

/// The marker of what kubesim wrote in the directory.
pub(crate) const MARKER: &str = ".kubesim-out";

/// The first line of the marker.
const MARKER_HEADER: &str =
    "# kubesim --out: the files kubesim wrote here (FNV-1a 64-bit hash, name)";

/// A directory checked before the run.
#[derive(Debug)]
pub(crate) struct OutDir {
    dir: PathBuf,
    /// Files kubesim wrote there before (per the marker, unchanged since), by
    /// name, with their hash: the only files a run may replace.
    replaceable: BTreeMap<String, u64>,
}

/// The FNV-1a offset basis (64 bits).
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64 bits, continued over `bytes` from `h`: a fixed hash of a
/// file's content (not a cryptographic one: it tells kubesim's own files
/// from files changed since).
fn fnv1a_from(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// FNV-1a of `bytes`.
fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_from(FNV_OFFSET, bytes)
}

/// One output file being written: a temporary file in the directory,
/// buffered, hashed as it is written.
pub(crate) struct OutStream {
    name: &'static str,
    file: io::BufWriter<tempfile::NamedTempFile>,
    hash: u64,
}

impl Write for OutStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hash = fnv1a_from(self.hash, &buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// The marker's entries (name → hash); None if it is absent.
fn read_marker(dir: &Path) -> Result<Option<BTreeMap<String, u64>>> {
    let shown = dir.display();
    let text = match fs::read_to_string(dir.join(MARKER)) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => bail!("--out {shown}: cannot read {MARKER}: {e}"),
    };
    let mut entries = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let parsed = line
            .split_once("  ")
            .and_then(|(h, name)| Some((u64::from_str_radix(h, 16).ok()?, name)));
        let Some((hash, name)) = parsed else {
            bail!("--out {shown}: {MARKER} is not kubesim's (line {line:?}); refusing to replace anything there; expected a new or empty directory");
        };
        entries.insert(name.to_owned(), hash);
    }
    Ok(Some(entries))
}

/// The hash of a regular file's content; None for anything else.
fn hash_of(path: &Path) -> Option<u64> {
    let meta = fs::symlink_metadata(path).ok()?;
    if !meta.file_type().is_file() {
        return None;
    }
    fs::read(path).ok().map(|b| fnv1a(&b))
}

impl OutDir {
    /// Checks DIR before the run (creating it if needed); refuses a
    /// directory holding anything kubesim did not write, one holding a
    /// previous run's files without `--force`, and one that takes no file.
    pub(crate) fn prepare(dir: &Path, force: bool) -> Result<OutDir> {
        let shown = dir.display();
        match fs::symlink_metadata(dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(dir)
                    .with_context(|| format!("--out {shown}: cannot create it"))?;
            }
            Err(e) => bail!("--out {shown}: cannot inspect it: {e}"),
            Ok(_) if !dir.is_dir() => {
                bail!("--out {shown}: exists and is not a directory; expected a new or empty directory")
            }
            Ok(_) => {}
        }
        // A directory that takes no file is refused now, not after the run.
        tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("--out {shown}: cannot write into it"))?;
        let marker = read_marker(dir)?.unwrap_or_default();
        let mut ours = BTreeMap::new();
        let mut foreign = Vec::new();
        for entry in fs::read_dir(dir).with_context(|| format!("--out {shown}: cannot list it"))? {
            let entry = entry.with_context(|| format!("--out {shown}: cannot list it"))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == MARKER {
                continue;
            }
            let hash = hash_of(&entry.path());
            match (marker.get(&name), hash) {
                (Some(want), Some(have)) if *want == have && OUT_FILES.contains(&name.as_str()) => {
                    ours.insert(name, have);
                }
                _ => foreign.push(name),
            }
        }
        foreign.sort();
        if !foreign.is_empty() {
            bail!(
                "--out {shown}: holds files kubesim did not write, or changed since ({}); refusing to replace or mix with them; expected a new or empty directory, or (with --force) the unchanged output of a previous run",
                foreign.join(", ")
            );
        }
        if !ours.is_empty() && !force {
            let names: Vec<&str> = ours.keys().map(String::as_str).collect();
            bail!(
                "--out {shown}: directory is not empty ({}); choose another directory, or pass --force to replace the files of a previous run",
                names.join(", ")
            );
        }
        Ok(OutDir {
            dir: dir.to_owned(),
            replaceable: ours,
        })
    }

    /// Starts writing the file `name` (one of [`OUT_FILES`]).
    pub(crate) fn stream(&self, name: &'static str) -> Result<OutStream> {
        debug_assert!(OUT_FILES.contains(&name), "{name} is not an output file");
        let tmp = tempfile::NamedTempFile::new_in(&self.dir)
            .with_context(|| format!("--out {}: cannot write into it", self.dir.display()))?;
        Ok(OutStream {
            name,
            file: io::BufWriter::new(tmp),
            hash: FNV_OFFSET,
        })
    }

    /// Puts the streamed files in place, then writes the marker. A file
    /// that is there but is not a replaceable file of a previous run
    /// unchanged since the check is not replaced: the others are written and
    /// the error names it.
    pub(crate) fn finish(&self, streams: Vec<OutStream>) -> Result<()> {
        let shown = self.dir.display();
        let mut written = BTreeMap::new();
        let mut kept = Vec::new();
        for stream in streams {
            let (name, hash) = (stream.name, stream.hash);
            let tmp = stream
                .file
                .into_inner()
                .map_err(io::IntoInnerError::into_error)
                .with_context(|| format!("--out {shown}: cannot write {name}"))?;
            if self.put_in_place(name, tmp)? {
                written.insert(name.to_owned(), hash);
            } else {
                kept.push(name);
            }
        }
        let mut marker = format!("{MARKER_HEADER}\n");
        for (name, hash) in &written {
            marker.push_str(&format!("{hash:016x}  {name}\n"));
        }
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)
            .with_context(|| format!("--out {shown}: cannot write into it"))?;
        tmp.write_all(marker.as_bytes())
            .and_then(|()| tmp.flush())
            .with_context(|| format!("--out {shown}: cannot write {MARKER}"))?;
        self.persist(MARKER, tmp, true)?;
        if !kept.is_empty() {
            bail!(
                "--out {shown}: {} appeared or changed during the run; kubesim did not write it and left it as it is (the other files are written)",
                kept.join(", ")
            );
        }
        Ok(())
    }

    /// Renames a finished file to `name`; false if a file kubesim may not
    /// replace is in the way.
    fn put_in_place(&self, name: &str, tmp: tempfile::NamedTempFile) -> Result<bool> {
        let target = self.dir.join(name);
        let replace = match fs::symlink_metadata(&target) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => bail!("--out {}: cannot inspect {name}: {e}", self.dir.display()),
            Ok(_) => {
                let proven = self.replaceable.get(name);
                if proven.is_none() || proven.copied() != hash_of(&target) {
                    return Ok(false);
                }
                true
            }
        };
        self.persist(name, tmp, replace)
    }

    /// Renames a written temporary file to `name`: over an existing file
    /// only when `replace`, else only if the name is still free. False if it
    /// was not.
    fn persist(&self, name: &str, tmp: tempfile::NamedTempFile, replace: bool) -> Result<bool> {
        let shown = self.dir.display();
        let target = self.dir.join(name);
        // A temporary file is private to its creator (0600); the record of a
        // run is an ordinary file, readable by others (0644).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(fs::Permissions::from_mode(0o644))
                .with_context(|| format!("--out {shown}: cannot write {name}"))?;
        }
        if replace {
            tmp.persist(&target)
                .map_err(|e| e.error)
                .with_context(|| format!("--out {shown}: cannot write {name}"))?;
            return Ok(true);
        }
        match tmp.persist_noclobber(&target) {
            Ok(_) => Ok(true),
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e.error).with_context(|| format!("--out {shown}: cannot write {name}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_is_the_published_function() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
