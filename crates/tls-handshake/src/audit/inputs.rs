//! Command-line inputs: files as given, directories walked recursively.

use std::io;
use std::path::{Path, PathBuf};

/// File name endings picked up when walking a directory (files named
/// explicitly are always read, whatever their name).
pub const CAPTURE_EXTENSIONS: [&str; 6] = ["pcap", "pcapng", "cap", "ntar", "erf", "gz"];

fn is_capture_name(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| CAPTURE_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// Expands `paths` into capture files, in a stable order (directory entries
/// sorted by name). Unreadable paths are returned separately. Symbolic
/// links to directories are not followed (no loops); hidden entries in
/// directories are skipped.
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
