//! OpenSSH `known_hosts` verification.
//!
//! Supported (the subset of `sshd(8)` "SSH_KNOWN_HOSTS FILE FORMAT" that a
//! fleet tool needs):
//! - plain host names and addresses, comma-separated pattern lists;
//! - the `[host]:port` form for non-standard ports (port 22 uses the bare name);
//! - hashed entries `|1|salt|hash` (HMAC-SHA1, as written by `ssh-keygen -H`
//!   or `HashKnownHosts yes`);
//! - wildcards `*` and `?` and negated patterns `!pattern`;
//! - the `@revoked` marker (a revoked key is always refused);
//! - comments and blank lines.
//!
//! Not supported: `@cert-authority` lines are skipped (host certificates are
//! refused), and only one file is read (no `GlobalKnownHostsFile`).
//!
//! Policy: a key is accepted only when a matching line carries exactly that
//! key. If the host is known with any other key, the connection is refused
//! (a changed key). Accept-new appends a plain `host`/`[host]:port` line only
//! for hosts that have no entry at all.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, KeyInit, Mac};
use russh::keys::ssh_key::PublicKey;
use sha1::Sha1;

/// The outcome of looking a server key up in a `known_hosts` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyStatus {
    /// A line for this host carries exactly this key.
    Known {
        /// 1-based line number of the matching entry.
        line: usize,
    },
    /// The host is known, but with other key(s): refuse.
    Changed {
        /// 1-based line numbers of the entries for this host.
        lines: Vec<usize>,
    },
    /// The key is marked `@revoked`: refuse.
    Revoked {
        /// 1-based line number of the `@revoked` entry.
        line: usize,
    },
    /// No entry for this host.
    Unknown,
}

/// The name OpenSSH looks up for `host` on `port`.
pub fn lookup_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// Glob match with `*` and `?` (OpenSSH `match_pattern`), case-insensitive.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p].eq_ignore_ascii_case(&text[t])) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some(p);
            p += 1;
            mark = t;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}

fn hashed_match(entry: &str, name: &str) -> bool {
    // |1|base64(salt)|base64(hmac-sha1(salt, name))
    let mut parts = entry.split('|');
    let (Some(""), Some("1"), Some(salt), Some(hash), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (B64.decode(salt), B64.decode(hash)) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(&salt) else {
        return false;
    };
    mac.update(name.as_bytes());
    mac.verify_slice(&hash).is_ok()
}

/// Does the host-pattern field of a line match `name`?
pub fn patterns_match(field: &str, name: &str) -> bool {
    if field.starts_with("|1|") {
        return hashed_match(field, name);
    }
    let mut positive = false;
    for pat in field.split(',') {
        if let Some(neg) = pat.strip_prefix('!') {
            if glob(neg.as_bytes(), name.as_bytes()) {
                return false;
            }
        } else if glob(pat.as_bytes(), name.as_bytes()) {
            positive = true;
        }
    }
    positive
}

/// Look `key` up for `host`:`port` in the text of a `known_hosts` file.
pub fn check_text(text: &str, host: &str, port: u16, key: &PublicKey) -> HostKeyStatus {
    let name = lookup_name(host, port);
    let mut other = Vec::new();
    let mut known = None;
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let mut first = fields.next().unwrap_or("");
        let mut marker = None;
        if first.starts_with('@') {
            marker = Some(first);
            first = fields.next().unwrap_or("");
        }
        if marker == Some("@cert-authority") || !patterns_match(first, &name) {
            continue;
        }
        let (Some(kt), Some(kb)) = (fields.next(), fields.next()) else {
            continue;
        };
        let same = PublicKey::from_openssh(&format!("{kt} {kb}"))
            .map(|k| k.key_data() == key.key_data())
            .unwrap_or(false);
        match (marker, same) {
            (Some("@revoked"), true) => return HostKeyStatus::Revoked { line: lineno },
            (Some(_), _) => {}
            (None, true) => {
                known.get_or_insert(lineno);
            }
            (None, false) => other.push(lineno),
        }
    }
    match (known, other.is_empty()) {
        (Some(line), _) => HostKeyStatus::Known { line },
        (None, false) => HostKeyStatus::Changed { lines: other },
        (None, true) => HostKeyStatus::Unknown,
    }
}

/// A `known_hosts` file on disk.
#[derive(Debug, Clone)]
pub struct KnownHosts {
    path: PathBuf,
}

impl KnownHosts {
    /// Use the file at `path` (it may not exist yet: then every host is unknown).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// `~/.ssh/known_hosts`.
    pub fn user_default() -> Self {
        let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
        Self::new(Path::new(&home).join(".ssh/known_hosts"))
    }

    /// The file path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Look `key` up for `host`:`port`.
    pub fn check(&self, host: &str, port: u16, key: &PublicKey) -> std::io::Result<HostKeyStatus> {
        match std::fs::read(&self.path) {
            Ok(b) => Ok(check_text(&String::from_utf8_lossy(&b), host, port, key)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HostKeyStatus::Unknown),
            Err(e) => Err(e),
        }
    }

    /// Append a line for `host`:`port` with `key` (accept-new).
    pub fn append(&self, host: &str, port: u16, key: &PublicKey) -> std::io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        if let Some(dir) = self.path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        let line = key.to_openssh().map_err(std::io::Error::other)?;
        // to_openssh gives "type base64 [comment]": drop the comment.
        let mut it = line.split_whitespace();
        let (kt, kb) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.path)?;
        writeln!(f, "{} {kt} {kb}", lookup_name(host, port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ/ZK+LHBbccSoAZFB/WOODh3SVvhHuw/ej3FSjUPHb";
    const KEY_B: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKqU5BFd1YHYjKXb5AEi8CpwAxRyYbEJEula12mUXgyA";

    fn key(s: &str) -> PublicKey {
        PublicKey::from_openssh(s).unwrap()
    }

    fn hashed(name: &str, salt: &[u8]) -> String {
        let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(salt).unwrap();
        mac.update(name.as_bytes());
        format!(
            "|1|{}|{}",
            B64.encode(salt),
            B64.encode(mac.finalize().into_bytes())
        )
    }

    #[test]
    fn plain_port_and_list() {
        let t = format!("# c\n\nprobe-01,10.0.0.1 {KEY_A}\n[10.0.0.1]:2222 {KEY_B}\n");
        assert_eq!(
            check_text(&t, "10.0.0.1", 22, &key(KEY_A)),
            HostKeyStatus::Known { line: 3 }
        );
        assert_eq!(
            check_text(&t, "probe-01", 22, &key(KEY_A)),
            HostKeyStatus::Known { line: 3 }
        );
        assert_eq!(
            check_text(&t, "10.0.0.1", 2222, &key(KEY_B)),
            HostKeyStatus::Known { line: 4 }
        );
        // The port-22 entry does not cover port 2222 and vice versa.
        assert_eq!(
            check_text(&t, "10.0.0.1", 2222, &key(KEY_A)),
            HostKeyStatus::Changed { lines: vec![4] }
        );
        assert_eq!(
            check_text(&t, "10.0.0.2", 22, &key(KEY_A)),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn hashed_entries() {
        let t = format!(
            "{} {KEY_A}\n",
            hashed("[127.0.0.1]:2200", b"0123456789abcdefghij")
        );
        assert_eq!(
            check_text(&t, "127.0.0.1", 2200, &key(KEY_A)),
            HostKeyStatus::Known { line: 1 }
        );
        assert_eq!(
            check_text(&t, "127.0.0.1", 2200, &key(KEY_B)),
            HostKeyStatus::Changed { lines: vec![1] }
        );
        assert_eq!(
            check_text(&t, "127.0.0.1", 2201, &key(KEY_A)),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn wildcards_negation_revoked_and_ca() {
        let t = format!(
            "probe-*,!probe-99 {KEY_A}\n@cert-authority * {KEY_B}\n@revoked probe-07 {KEY_A}\n"
        );
        assert_eq!(
            check_text(&t, "probe-01", 22, &key(KEY_A)),
            HostKeyStatus::Known { line: 1 }
        );
        assert_eq!(
            check_text(&t, "probe-99", 22, &key(KEY_A)),
            HostKeyStatus::Unknown
        );
        assert_eq!(
            check_text(&t, "probe-07", 22, &key(KEY_A)),
            HostKeyStatus::Revoked { line: 3 }
        );
        // The CA line is ignored, not treated as a key for every host.
        assert_eq!(
            check_text(&t, "other", 22, &key(KEY_B)),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn append_then_known() {
        let d = tempfile::tempdir().unwrap();
        let kh = KnownHosts::new(d.path().join("sub/known_hosts"));
        assert_eq!(
            kh.check("h", 2022, &key(KEY_A)).unwrap(),
            HostKeyStatus::Unknown
        );
        kh.append("h", 2022, &key(KEY_A)).unwrap();
        assert_eq!(
            kh.check("h", 2022, &key(KEY_A)).unwrap(),
            HostKeyStatus::Known { line: 1 }
        );
        let text = std::fs::read_to_string(kh.path()).unwrap();
        assert!(text.starts_with("[h]:2022 ssh-ed25519 "), "{text}");
    }

    #[test]
    fn glob_cases() {
        assert!(glob(b"*", b"anything"));
        assert!(glob(b"10.0.?.1", b"10.0.5.1"));
        assert!(!glob(b"10.0.?.1", b"10.0.55.1"));
        assert!(glob(b"PROBE*", b"probe-1"));
        assert!(!glob(b"a*b", b"acbd"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        #[test]
        fn never_panics(text in ".{0,300}", host in "[a-z0-9.\\[\\]:]{0,20}", port in 0u16..) {
            let _ = check_text(&text, &host, port, &key(KEY_A));
        }
        #[test]
        fn never_panics_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = check_text(&String::from_utf8_lossy(&bytes), "h", 22, &key(KEY_A));
        }
    }
}
