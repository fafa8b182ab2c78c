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
    /// Try the keys of the running ssh-agent (`SSH_AUTH_SOCK`); default:
    /// yes when `SSH_AUTH_SOCK` is set, as `ssh` does.
    pub use_agent: Option<bool>,
    /// Reach the host through this SSH jump host (a `[jump_hosts.NAME]`
    /// table), like OpenSSH's `ProxyJump`; both hops' host keys are verified.
    pub proxy_jump: Option<String>,
    /// Regexes (multi-line: `^` is a line start) of output lines that mean
    /// the device refused a command; replace the driver's default
    /// (EndaceOS: `^% `), like netmiko's error patterns.
    pub error_patterns: Option<Vec<String>>,
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
            legacy_kex,
            use_agent,
            proxy_jump,
            error_patterns
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
    /// SSH jump hosts (bastions) that `proxy_jump` names. They take the
    /// same settings as hosts (credentials by reference, `known_hosts`,
    /// deadlines; defaults apply), but commands never run on them and
    /// `--limit` does not select them.
    #[serde(default)]
    pub jump_hosts: BTreeMap<String, HostEntry>,
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
    jump_hosts: Vec<Host>,
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
        let resolve = |name: &String, h: &HostEntry| -> Result<Host, Error> {
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
            for p in s.error_patterns.iter().flatten() {
                if let Err(e) = regex::RegexBuilder::new(p).multi_line(true).build() {
                    return Err(perr(format!(
                        "host {name}: error_patterns entry {p:?} is not a valid regex: {e}"
                    )));
                }
            }
            if let Some(j) = s.proxy_jump.as_deref()
                && j != "none"
                && !file.jump_hosts.contains_key(j)
            {
                return Err(perr(format!(
                    "host {name}: proxy_jump = {j:?} names no jump host (define [jump_hosts.{j}], or write proxy_jump = \"none\")"
                )));
            }
            Ok(Host {
                name: name.clone(),
                address: h.address.clone().unwrap_or_else(|| name.clone()),
                groups: h.groups.clone(),
                settings: s,
            })
        };
        let hosts = file
            .hosts
            .iter()
            .map(|(n, h)| resolve(n, h))
            .collect::<Result<Vec<_>, _>>()?;
        let jump_hosts = file
            .jump_hosts
            .iter()
            .map(|(n, h)| resolve(n, h))
            .collect::<Result<Vec<_>, _>>()?;
        if hosts.is_empty() {
            return Err(perr("no hosts defined (add [hosts.NAME] tables)".into()));
        }
        Ok(Self {
            path: path.to_path_buf(),
            hosts,
            jump_hosts,
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

    /// The hosts `limit` selects, Ansible-style: patterns separated by `,`
    /// or `:`, each matching a host name or one of its groups, with `*`
    /// and `?` wildcards; `!PATTERN` excludes, `&PATTERN` keeps only hosts
    /// that also match. An empty limit, or one of exclusions only, starts
    /// from every host. A pattern that matches nothing is an error (a typo
    /// must not silently shrink a rollout).
    pub fn select(&self, limit: &str) -> Result<Vec<Host>, Error> {
        let pats: Vec<&str> = limit
            .split([',', ':'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let matches = |h: &Host, pat: &str| {
            glob_match(pat, &h.name) || h.groups.iter().any(|g| glob_match(pat, g))
        };
        for p in &pats {
            let bare = p.trim_start_matches(['!', '&']);
            if bare.is_empty() {
                return Err(Error::Inventory {
                    path: self.path.display().to_string(),
                    message: format!("--limit {p:?}: a pattern is missing after {p:?}"),
                });
            }
            if !self.hosts.iter().any(|h| matches(h, bare)) {
                return Err(Error::Inventory {
                    path: self.path.display().to_string(),
                    message: format!("--limit {bare:?} matches no host or group"),
                });
            }
        }
        let (adds, rest): (Vec<&str>, Vec<&str>) = pats
            .iter()
            .partition(|p| !p.starts_with('!') && !p.starts_with('&'));
        let selected: Vec<Host> = self
            .hosts
            .iter()
            .filter(|h| adds.is_empty() || adds.iter().any(|p| matches(h, p)))
            .filter(|h| {
                rest.iter().all(|p| match p.split_at(1) {
                    ("!", q) => !matches(h, q),
                    (_, q) => matches(h, q),
                })
            })
            .cloned()
            .collect();
        if selected.is_empty() {
            return Err(Error::Inventory {
                path: self.path.display().to_string(),
                message: format!("--limit {limit:?} leaves no host"),
            });
        }
        Ok(selected)
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

    /// Resolve a host into a connection [`Target`], reading credentials
    /// (and those of its jump hosts).
    pub fn target(&self, h: &Host) -> Result<Target, Error> {
        self.target_via(h, &mut Vec::new())
    }

    /// The jump hosts (`[jump_hosts.NAME]`), sorted by name.
    pub fn jump_hosts(&self) -> &[Host] {
        &self.jump_hosts
    }

    fn target_via(&self, h: &Host, chain: &mut Vec<String>) -> Result<Target, Error> {
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
            use_agent: false,
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
        t.credentials.use_agent = s
            .use_agent
            .unwrap_or_else(|| std::env::var_os("SSH_AUTH_SOCK").is_some());
        t.error_patterns = s
            .error_patterns
            .iter()
            .flatten()
            .map(|p| {
                regex::RegexBuilder::new(p)
                    .multi_line(true)
                    .build()
                    .map_err(|e| cred_err(format!("error_patterns entry {p:?}: {e}")))
            })
            .collect::<Result<_, _>>()?;
        if let Some(j) = s.proxy_jump.as_deref().filter(|j| *j != "none") {
            chain.push(h.name.clone());
            if chain.iter().any(|c| c == j) || chain.len() > 4 {
                return Err(cred_err(format!(
                    "proxy_jump loops or is deeper than 4 hops ({} -> {j}); set proxy_jump = \"none\" on the jump host",
                    chain.join(" -> ")
                )));
            }
            let jh = self
                .jump_hosts
                .iter()
                .find(|x| x.name == j)
                .ok_or_else(|| cred_err(format!("proxy_jump = {j:?} names no [jump_hosts.{j}]")))?;
            t.jump = Some(Box::new(self.target_via(jh, chain)?));
        }
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

/// Shell-style match of `name` against `pat` (`*` any run, `?` one
/// character; everything else literal).
pub fn glob_match(pat: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pat.chars().collect(), name.chars().collect());
    // Iterative matcher with one back-track point for the last `*`.
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
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
    fn limit_takes_globs_exclusions_and_intersections() {
        let text = "[defaults]\nkey_file = \"k\"\n[groups.dc1]\n[groups.dc2]\n\
            [hosts.probe-01]\ngroups = [\"dc1\"]\n[hosts.probe-02]\ngroups = [\"dc1\"]\n\
            [hosts.probe-03]\ngroups = [\"dc2\"]\n[hosts.lab-9]\n";
        let inv = Inventory::parse(text, Path::new("i.toml")).unwrap();
        let names = |l: &str| -> Vec<String> {
            inv.select(l).unwrap().into_iter().map(|h| h.name).collect()
        };
        assert_eq!(names(""), ["lab-9", "probe-01", "probe-02", "probe-03"]);
        assert_eq!(names("probe-0*"), ["probe-01", "probe-02", "probe-03"]);
        assert_eq!(names("probe-0*:!probe-02"), ["probe-01", "probe-03"]);
        assert_eq!(names("!dc1"), ["lab-9", "probe-03"]);
        assert_eq!(names("probe-0?,&dc1,!probe-01"), ["probe-02"]);
        assert_eq!(names("lab-9,dc2"), ["lab-9", "probe-03"]);
        assert_eq!(names("d*2"), ["probe-03"]);
        let err = |l: &str| inv.select(l).unwrap_err().to_string();
        assert!(
            err("probe-1*").contains("\"probe-1*\" matches no host"),
            "{}",
            err("probe-1*")
        );
        assert!(err("!nothing").contains("matches no host"));
        assert!(err("dc1:!probe-0*").contains("leaves no host"));
        assert!(err("!").contains("pattern is missing"));
    }

    #[test]
    fn glob_matching() {
        for (p, n, want) in [
            ("*", "", true),
            ("*", "abc", true),
            ("a*c", "abbbc", true),
            ("a*c", "abcd", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*-0*", "probe-01", true),
            ("probe", "probe-01", false),
            ("**x", "yx", true),
        ] {
            assert_eq!(glob_match(p, n), want, "{p} {n}");
        }
    }

    #[test]
    fn jump_hosts_and_error_patterns_resolve() {
        let text = "[defaults]\nkey_file = \"k\"\nproxy_jump = \"bastion\"\n\
            error_patterns = [\"^Error:\", \"^% \"]\n\
            [jump_hosts.bastion]\naddress = \"10.9.9.9\"\nport = 2200\nproxy_jump = \"none\"\n\
            [hosts.probe-01]\naddress = \"10.0.0.1\"\n[hosts.direct]\nproxy_jump = \"none\"\n";
        let inv = Inventory::parse(text, Path::new("i.toml")).unwrap();
        // Jump hosts are not selected for work.
        assert_eq!(inv.select("").unwrap().len(), 2);
        assert!(inv.select("bastion").is_err());
        let t = inv.target(&inv.select("probe-01").unwrap()[0]).unwrap();
        let j = t.jump.as_ref().expect("jump");
        assert_eq!(
            (j.name.as_str(), j.address.as_str(), j.port),
            ("bastion", "10.9.9.9", 2200)
        );
        assert!(j.jump.is_none());
        assert_eq!(t.error_patterns.len(), 2);
        assert!(t.error_patterns[0].is_match("ok\nError: bad\n"));
        let d = inv.target(&inv.select("direct").unwrap()[0]).unwrap();
        assert!(d.jump.is_none());

        let e = Inventory::parse(
            "[defaults]\nproxy_jump = \"nope\"\n[hosts.a]\n",
            Path::new("i.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("names no jump host") && e.contains("[jump_hosts.nope]"),
            "{e}"
        );
        let e = Inventory::parse(
            "[defaults]\nproxy_jump = \"b\"\n[jump_hosts.b]\n[hosts.a]\n",
            Path::new("i.toml"),
        )
        .unwrap();
        let e = e
            .target(&e.select("a").unwrap()[0])
            .unwrap_err()
            .to_string();
        assert!(e.contains("loops") && e.contains("a -> b"), "{e}");
        let e = Inventory::parse(
            "[defaults]\nerror_patterns = [\"(\"]\n[hosts.a]\n",
            Path::new("i.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("host a: error_patterns entry \"(\" is not a valid regex"),
            "{e}"
        );
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
