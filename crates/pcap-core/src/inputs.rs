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

/// Expands `paths` into capture files, in a stable order (directory entries
/// sorted by name). Unreadable paths are returned separately with their
/// error, so one bad path never stops the others. Symbolic links to
/// directories are not followed (no loops); hidden entries in directories
/// are skipped.
pub fn expand(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, io::Error)>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk(p, &mut files, &mut errors),
            Ok(_) => files.push(p.clone()),
            Err(e) => errors.push((p.clone(), e)),
        }
    }
    (files, errors)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<(PathBuf, io::Error)>) {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            errors.push((dir.to_path_buf(), e));
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
                    Err(err) => errors.push((e.path(), err)),
                }
            }
            Err(err) => errors.push((dir.to_path_buf(), err)),
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, ty) in entries {
        if ty.is_dir() {
            walk(&path, files, errors);
        } else if (ty.is_file() || ty.is_symlink()) && is_capture_name(&path) {
            files.push(path);
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
