//! The TOML inventory: hosts, groups, per-host overrides, credentials by reference.
//!
//! ```toml
//! [defaults]
//! user = "admin"
//! password_env = "ENDACE_PASSWORD"      # or password_file = "/etc/netops/endace.pw" (mode 0600)
//! # key_file = "/home/ops/.ssh/id_ed25519"; key_passphrase_env = "..."
//! known_hosts = "/home/ops/.ssh/known_hosts"
//! connect_timeout = 10                  # seconds
//! command_timeout = 60
//!
//! [groups.dc1]
//! user = "ops"                          # overrides defaults for members
//!
//! [hosts.probe-01]
//! address = "10.0.0.1"
//! groups = ["dc1"]
//! port = 2222                           # any setting can be overridden per host
//! ```
//! Precedence: `defaults` < each group in the host's `groups` order < host.
//! Passwords are never written in the file: `password`, `secret` and similar
//! keys are refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::Error;
use crate::known_hosts::KnownHosts;
use crate::session::{Credentials, HostKeyPolicy, Secret, Target};

/// Settings that defaults, groups and hosts can all set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Login user.
    pub user: Option<String>,
    /// SSH port.
    pub port: Option<u16>,
    /// Environment variable holding the password.
    pub password_env: Option<String>,
    /// File (mode 0600) holding the password on its first line.
    pub password_file: Option<PathBuf>,
    /// Private key file.
    pub key_file: Option<PathBuf>,
    /// Environment variable holding the key passphrase.
    pub key_passphrase_env: Option<String>,
    /// Environment variable holding the enable password.
    pub enable_password_env: Option<String>,
    /// `known_hosts` file (default `~/.ssh/known_hosts`).
    pub known_hosts: Option<PathBuf>,
    /// Unknown host key policy (`strict` or `accept-new`).
    pub host_key_policy: Option<HostKeyPolicy>,
    /// Connect deadline, seconds.
    pub connect_timeout: Option<f64>,
    /// Authentication deadline, seconds.
    pub auth_timeout: Option<f64>,
    /// Per-command deadline, seconds.
    pub command_timeout: Option<f64>,
    /// Offer legacy SHA-1 key exchanges.
    pub legacy_kex: Option<bool>,
}

impl Settings {
    fn overlay(&mut self, o: &Settings) {
        macro_rules! take {
            ($($f:ident),*) => { $( if o.$f.is_some() { self.$f = o.$f.clone(); } )* };
        }
        take!(
            user,
            port,
            password_env,
            password_file,
            key_file,
            key_passphrase_env,
            enable_password_env,
            known_hosts,
            host_key_policy,
            connect_timeout,
            auth_timeout,
            command_timeout,
            legacy_kex
        );
    }
}

/// One `[hosts.NAME]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostEntry {
    /// Address (default: the host name).
    pub address: Option<String>,
    /// Groups, in precedence order.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Per-host settings.
    #[serde(flatten)]
    pub settings: Settings,
}

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryFile {
    /// Defaults for all hosts.
    #[serde(default)]
    pub defaults: Settings,
    /// Group settings.
    #[serde(default)]
    pub groups: BTreeMap<String, Settings>,
    /// Hosts.
    #[serde(default)]
    pub hosts: BTreeMap<String, HostEntry>,
}

/// A resolved host.
#[derive(Debug, Clone)]
pub struct Host {
    /// Inventory name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Groups.
    pub groups: Vec<String>,
    /// Merged settings.
    pub settings: Settings,
}

/// What the command line overrides for every host of an
/// [`Inventory::targets`] selection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// Add keys of hosts missing from `known_hosts`
    /// ([`HostKeyPolicy::AcceptNew`]; changed keys are still refused).
    pub accept_new_host_keys: bool,
    /// Per-command deadline instead of the inventory's.
    pub command_timeout: Option<Duration>,
}

/// A loaded inventory.
#[derive(Debug, Clone)]
pub struct Inventory {
    path: PathBuf,
    hosts: Vec<Host>,
}

const SECRET_KEYS: &[&str] = &[
    "password",
    "secret",
    "passphrase",
    "enable_password",
    "key_passphrase",
];

impl Inventory {
    /// Parse inventory text (`path` is used in messages and to resolve relative paths).
    pub fn parse(text: &str, path: &Path) -> Result<Self, Error> {
        let perr = |m: String| Error::Inventory {
            path: path.display().to_string(),
            message: m,
        };
        // Refuse inline secrets with a message that says what to do.
        for (i, line) in text.lines().enumerate() {
            let key = line.split('=').next().unwrap_or("").trim();
            if line.contains('=') && SECRET_KEYS.contains(&key) {
                return Err(perr(format!(
                    "line {}: inline secret `{key}` is not allowed; use {key}_env = \"VAR\" (or password_file with mode 0600)",
                    i + 1
                )));
            }
        }
        let file: InventoryFile = toml::from_str(text)
            .map_err(|e| perr(format!("invalid inventory: {}", e.to_string().trim())))?;
        let mut hosts = Vec::new();
        for (name, h) in &file.hosts {
            let mut s = file.defaults.clone();
            for g in &h.groups {
                let gs = file.groups.get(g).ok_or_else(|| {
                    perr(format!(
                        "host {name}: unknown group {g:?} (define [groups.{g}])"
                    ))
                })?;
                s.overlay(gs);
            }
            s.overlay(&h.settings);
            hosts.push(Host {
                name: name.clone(),
                address: h.address.clone().unwrap_or_else(|| name.clone()),
                groups: h.groups.clone(),
                settings: s,
            });
        }
        if hosts.is_empty() {
            return Err(perr("no hosts defined (add [hosts.NAME] tables)".into()));
        }
        Ok(Self {
            path: path.to_path_buf(),
            hosts,
        })
    }

    /// Load from a file.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Inventory {
            path: path.display().to_string(),
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(&text, path)
    }

    /// All hosts, sorted by name.
    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    /// Hosts whose name or one of whose groups is in `limit` (comma list); all when empty.
    pub fn select(&self, limit: &str) -> Result<Vec<Host>, Error> {
        let want: Vec<&str> = limit
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if want.is_empty() {
            return Ok(self.hosts.clone());
        }
        for w in &want {
            if !self
                .hosts
                .iter()
                .any(|h| h.name == *w || h.groups.iter().any(|g| g == w))
            {
                return Err(Error::Inventory {
                    path: self.path.display().to_string(),
                    message: format!("--limit {w:?} matches no host or group"),
                });
            }
        }
        Ok(self
            .hosts
            .iter()
            .filter(|h| {
                want.iter()
                    .any(|w| h.name == *w || h.groups.iter().any(|g| g == w))
            })
            .cloned()
            .collect())
    }

    /// The [`Target`]s of the hosts `limit` selects (see [`select`](Self::select)),
    /// credentials read, with the command line's `overrides` applied.
    pub fn targets(&self, limit: &str, overrides: &Overrides) -> Result<Vec<Target>, Error> {
        self.select(limit)?
            .iter()
            .map(|h| {
                let mut t = self.target(h)?;
                if overrides.accept_new_host_keys {
                    t.host_key_policy = HostKeyPolicy::AcceptNew;
                }
                if let Some(ct) = overrides.command_timeout {
                    t.command_timeout = ct;
                }
                Ok(t)
            })
            .collect()
    }

    /// Resolve a host into a connection [`Target`], reading credentials.
    pub fn target(&self, h: &Host) -> Result<Target, Error> {
        let s = &h.settings;
        let user = s.user.clone().unwrap_or_else(|| "admin".into());
        let cred_err = |m: String| Error::Inventory {
            path: self.path.display().to_string(),
            message: format!("host {}: {m}", h.name),
        };
        let env = |var: &str| -> Result<Secret, Error> {
            std::env::var(var)
                .map(Secret::new)
                .map_err(|_| cred_err(format!("environment variable {var} is not set")))
        };
        let password = match (&s.password_env, &s.password_file) {
            (Some(v), _) => Some(env(v)?),
            (None, Some(f)) => Some(read_secret_file(&self.resolve(f)).map_err(cred_err)?),
            (None, None) => None,
        };
        let creds = Credentials {
            user,
            password,
            key_file: s.key_file.as_ref().map(|p| self.resolve(p)),
            key_passphrase: s.key_passphrase_env.as_deref().map(env).transpose()?,
            enable_password: s.enable_password_env.as_deref().map(env).transpose()?,
        };
        let kh = s
            .known_hosts
            .as_ref()
            .map(|p| KnownHosts::new(self.resolve(p)))
            .unwrap_or_else(KnownHosts::user_default);
        let mut t = Target::new(
            h.name.clone(),
            h.address.clone(),
            s.port.unwrap_or(22),
            creds,
            kh,
        );
        t.host_key_policy = s.host_key_policy.unwrap_or_default();
        let secs = |v: Option<f64>, d: u64| {
            v.filter(|x| x.is_finite() && *x > 0.0)
                .map(Duration::from_secs_f64)
                .unwrap_or(Duration::from_secs(d))
        };
        t.connect_timeout = secs(s.connect_timeout, 10);
        t.auth_timeout = secs(s.auth_timeout, 10);
        t.command_timeout = secs(s.command_timeout, 60);
        t.legacy_kex = s.legacy_kex.unwrap_or(false);
        Ok(t)
    }

    fn resolve(&self, p: &Path) -> PathBuf {
        if let Ok(rest) = p.strip_prefix("~")
            && let Some(home) = std::env::var_os("HOME")
        {
            return Path::new(&home).join(rest);
        }
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.path.parent().unwrap_or(Path::new(".")).join(p)
        }
    }
}

/// Read a secret from a file that only its owner can read (mode 0600 or stricter).
pub fn read_secret_file(p: &Path) -> Result<Secret, String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(p).map_err(|e| format!("password file {}: {e}", p.display()))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "password file {} has mode {mode:o}; run chmod 600 {}",
            p.display(),
            p.display()
        ));
    }
    let text =
        std::fs::read_to_string(p).map_err(|e| format!("password file {}: {e}", p.display()))?;
    let first = text.lines().next().unwrap_or("").to_string();
    if first.is_empty() {
        return Err(format!("password file {} is empty", p.display()));
    }
    Ok(Secret::new(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INV: &str = r#"
[defaults]
user = "admin"
password_env = "ENDACE_TEST_PW_X"
known_hosts = "kh"

[groups.dc1]
user = "ops"
command_timeout = 5

[groups.slow]
command_timeout = 300

[hosts.probe-01]
address = "10.0.0.1"
groups = ["dc1", "slow"]

[hosts.probe-02]
groups = ["dc1"]
port = 2222
user = "root"
"#;

    #[test]
    fn precedence_and_select() {
        let inv = Inventory::parse(INV, Path::new("/etc/netops/inv.toml")).unwrap();
        let h = inv.select("probe-01").unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].settings.user.as_deref(), Some("ops"));
        assert_eq!(h[0].settings.command_timeout, Some(300.0));
        assert_eq!(inv.select("dc1").unwrap().len(), 2);
        let p2 = &inv.select("probe-02").unwrap()[0];
        assert_eq!(p2.address, "probe-02");
        assert_eq!(p2.settings.user.as_deref(), Some("root"));
        assert!(
            inv.select("nope")
                .unwrap_err()
                .to_string()
                .contains("matches no host")
        );
        // SAFETY: single-threaded test section; unique variable name.
        unsafe { std::env::set_var("ENDACE_TEST_PW_X", "s3cret") };
        let t = inv.target(p2).unwrap();
        assert_eq!(t.port, 2222);
        assert_eq!(t.credentials.password.as_ref().unwrap().expose(), "s3cret");
        assert_eq!(t.known_hosts.path(), Path::new("/etc/netops/kh"));
        assert!(!format!("{t:?}").contains("s3cret"));
    }

    #[test]
    fn refuses_inline_secrets_and_bad_files() {
        let e = Inventory::parse(
            "[defaults]\npassword = \"x\"\n[hosts.a]\n",
            Path::new("i.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("i.toml: line 2: inline secret `password`"),
            "{e}"
        );
        let e = Inventory::parse("[hosts.a]\nadress = \"x\"\n", Path::new("i.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("i.toml") && e.contains("adress"), "{e}");
        let e = Inventory::parse("[hosts.a]\ngroups = [\"g\"]\n", Path::new("i.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown group \"g\""), "{e}");
    }

    #[test]
    fn secret_file_mode() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("pw");
        std::fs::write(&p, "pw1\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(read_secret_file(&p).unwrap_err().contains("chmod 600"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_secret_file(&p).unwrap().expose(), "pw1");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        #[test]
        fn parse_never_panics(s in "\\PC{0,300}") {
            let _ = Inventory::parse(&s, Path::new("x.toml"));
        }
    }
}
