//! Reading the files a scenario or a shell line names (scenarios, manifests,
//! scheduler configurations, `--from-file` sources): only regular files and
//! directories, at most [`MAX_FILE_BYTES`], with what the OS said when a path
//! cannot be followed (a symbolic link loop is not "missing"). A FIFO, a
//! socket or a device is refused by its kind instead of being read, which
//! could block for ever.

use std::fs;
use std::io;
use std::path::Path;

use crate::limits::MAX_FILE_BYTES;

/// Why a path cannot be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FileError {
    /// Nothing at that path.
    #[error("no such file or directory")]
    Missing,
    /// The OS refused (a symbolic link loop, a permission, ...): its words.
    #[error("{0}")]
    Os(#[source] io::Error),
    /// A directory where a file is expected.
    #[error("is a directory")]
    Directory,
    /// A FIFO, a socket or a device.
    #[error("is a {0}, not a regular file")]
    Special(&'static str),
    /// Larger than [`MAX_FILE_BYTES`].
    #[error("is {0} bytes; kubesim reads files of at most {MAX_FILE_BYTES} bytes (64 MiB)")]
    TooLarge(u64),
    /// Not UTF-8 where text is expected.
    #[error("is not UTF-8 text")]
    NotUtf8,
}

/// What a path leads to, once symbolic links are followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A regular file.
    File,
    /// A directory.
    Directory,
}

/// What is at `path` (following symbolic links): a regular file or a
/// directory, or why neither.
pub(crate) fn entry(path: &Path) -> Result<Entry, FileError> {
    let meta = fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => FileError::Missing,
        _ => FileError::Os(e),
    })?;
    let t = meta.file_type();
    if t.is_file() {
        Ok(Entry::File)
    } else if t.is_dir() {
        Ok(Entry::Directory)
    } else {
        Err(FileError::Special(special_kind(&t)))
    }
}

#[cfg(unix)]
fn special_kind(t: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "FIFO (named pipe)"
    } else if t.is_socket() {
        "socket"
    } else if t.is_block_device() {
        "block device"
    } else if t.is_char_device() {
        "character device"
    } else {
        "special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &fs::FileType) -> &'static str {
    "special file"
}

/// The bytes of a regular file of at most [`MAX_FILE_BYTES`].
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, FileError> {
    if entry(path)? == Entry::Directory {
        return Err(FileError::Directory);
    }
    let size = fs::metadata(path).map_err(FileError::Os)?.len();
    if size > MAX_FILE_BYTES {
        return Err(FileError::TooLarge(size));
    }
    fs::read(path).map_err(FileError::Os)
}

/// The text of a YAML (or JSON) file: [`read_bytes`], UTF-8, without the
/// byte-order mark YAML allows at the start of a stream.
pub(crate) fn read_yaml_text(path: &Path) -> Result<String, FileError> {
    let bytes = read_bytes(path)?;
    let text = String::from_utf8(bytes).map_err(|_| FileError::NotUtf8)?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}
