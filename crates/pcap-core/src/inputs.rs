//! Command-line inputs for capture tools: files as given, directories
//! walked recursively for capture files.

use std::io;
use std::path::{Path, PathBuf};

/// File name endings picked up when walking a directory, each also with
/// `.gz` after it (`x.pcap.gz`). Files named explicitly are always read,
/// whatever their name.
pub const CAPTURE_EXTENSIONS: [&str; 6] = ["pcap", "pcapng", "cap", "ntar", "erf", "dmp"];

/// True when `path`'s name ends in one of [`CAPTURE_EXTENSIONS`], optionally
/// followed by `.gz` (case-insensitive).
pub fn is_capture_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let name = name.to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| CAPTURE_EXTENSIONS.contains(&e))
}

/// What [`expand_noted`] found.
#[derive(Debug, Default)]
pub struct Expanded {
    /// Files to read, in a stable order (directory entries sorted by name).
    pub files: Vec<PathBuf>,
    /// Paths that could not be read, with the error.
    pub errors: Vec<(PathBuf, io::Error)>,
    /// Entries found while walking a directory that have a capture name
    /// but are not regular files (FIFOs, sockets, devices, also behind
    /// symbolic links): skipped, so that one never blocks the others; the
    /// text says what it is. Name one explicitly to read it as a stream.
    pub skipped: Vec<(PathBuf, String)>,
}

/// Expands `paths` into capture files, in a stable order (directory entries
/// sorted by name). Unreadable paths are returned separately with their
/// error, so one bad path never stops the others; non-regular files found
/// in directories are returned among the errors (kind `InvalidInput`; see
/// [`expand_noted`] to tell them apart). Symbolic links to directories are
/// not followed (no loops); hidden entries in directories are skipped.
/// `-` (standard input) and paths given explicitly are kept as given.
pub fn expand(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, io::Error)>) {
    let mut e = expand_noted(paths);
    for (p, why) in e.skipped {
        e.errors
            .push((p, io::Error::new(io::ErrorKind::InvalidInput, why)));
    }
    (e.files, e.errors)
}

/// [`expand`], with the non-regular files found in directories reported as
/// [`Expanded::skipped`] notes rather than errors (tools print them and go
/// on; they do not make the run fail).
pub fn expand_noted(paths: &[PathBuf]) -> Expanded {
    let mut out = Expanded::default();
    for p in paths {
        if p.as_os_str() == "-" {
            out.files.push(p.clone());
            continue;
        }
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk(p, &mut out),
            Ok(_) => out.files.push(p.clone()),
            Err(e) => out.errors.push((p.clone(), e)),
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Expanded) {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            out.errors.push((dir.to_path_buf(), e));
            return;
        }
    };
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = Vec::new();
    for e in rd {
        match e {
            Ok(e) => {
                if e.file_name().to_string_lossy().starts_with('.') {
                    continue;
                }
                match e.file_type() {
                    Ok(t) => entries.push((e.path(), t)),
                    Err(err) => out.errors.push((e.path(), err)),
                }
            }
            Err(err) => out.errors.push((dir.to_path_buf(), err)),
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, ty) in entries {
        if ty.is_dir() {
            walk(&path, out);
            continue;
        }
        if !is_capture_name(&path) {
            continue;
        }
        if ty.is_file() {
            out.files.push(path);
            continue;
        }
        // A symbolic link (to what?) or a FIFO, socket or device.
        let target = if ty.is_symlink() {
            match std::fs::metadata(&path) {
                Ok(m) => m.file_type(),
                Err(e) => {
                    out.errors.push((path, e));
                    continue;
                }
            }
        } else {
            ty
        };
        if target.is_file() {
            out.files.push(path);
        } else {
            let what = crate::input::describe_kind(&target);
            let via = if ty.is_symlink() {
                " (behind a symbolic link)"
            } else {
                ""
            };
            out.skipped.push((
                path,
                format!(
                    "skipped: {what}{via}, not a regular file; name it explicitly to read it as a stream"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_names() {
        for yes in [
            "a.pcap",
            "A.PCAPNG",
            "x.cap",
            "x.ntar",
            "x.erf",
            "x.dmp",
            "x.pcap.gz",
            "x.ERF.GZ",
        ] {
            assert!(is_capture_name(Path::new(yes)), "{yes}");
        }
        for no in ["README.md", "x.gz", "x.pcap.txt", "pcap", ".gz", "x.tar.gz"] {
            assert!(!is_capture_name(Path::new(no)), "{no}");
        }
    }

    #[test]
    fn expand_walks_sorted_skips_hidden_and_reports_missing() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("sub/.hidden")).unwrap();
        for f in [
            "b.pcap",
            "a.pcapng.gz",
            "notes.txt",
            "sub/c.erf",
            "sub/.hidden/d.pcap",
            ".e.pcap",
        ] {
            std::fs::write(d.join(f), b"x").unwrap();
        }
        let explicit = d.join("notes.txt");
        let missing = d.join("nope.pcap");
        let (files, errors) = expand(&[d.to_path_buf(), explicit.clone(), missing.clone()]);
        let noted = expand_noted(&[PathBuf::from("-")]);
        assert_eq!(noted.files, vec![PathBuf::from("-")], "stdin is kept");
        assert_eq!(
            files,
            vec![
                d.join("a.pcapng.gz"),
                d.join("b.pcap"),
                d.join("sub/c.erf"),
                explicit
            ]
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, missing);
        assert_eq!(errors[0].1.kind(), io::ErrorKind::NotFound);
    }
}

#[cfg(all(test, unix))]
mod fifo_tests {
    use super::*;

    #[test]
    fn fifos_sockets_and_links_to_them_in_directories_are_skipped_with_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("good.pcap"), b"x").unwrap();
        let fifo = d.join("live.pcap");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        std::os::unix::fs::symlink(&fifo, d.join("link.pcap")).unwrap();
        std::os::unix::fs::symlink(d.join("good.pcap"), d.join("ok-link.pcap")).unwrap();
        let _sock = std::os::unix::net::UnixListener::bind(d.join("sock.pcap")).unwrap();
        let e = expand_noted(&[d.to_path_buf()]);
        assert_eq!(e.files, vec![d.join("good.pcap"), d.join("ok-link.pcap")]);
        assert!(e.errors.is_empty(), "{:?}", e.errors);
        let skipped: Vec<_> = e.skipped.iter().map(|(p, _)| p.clone()).collect();
        assert_eq!(
            skipped,
            vec![
                d.join("link.pcap"),
                d.join("live.pcap"),
                d.join("sock.pcap")
            ]
        );
        assert!(e.skipped[0].1.contains("FIFO") && e.skipped[0].1.contains("symbolic link"));
        assert!(e.skipped[2].1.contains("socket"), "{}", e.skipped[2].1);
        // The old interface reports them among the errors.
        let (files, errors) = expand(&[d.to_path_buf()]);
        assert_eq!(files.len(), 2);
        assert_eq!(errors.len(), 3);
    }
}
