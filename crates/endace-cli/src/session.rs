//! An interactive CLI session over SSH (what netmiko does), on russh.
//!
//! [`connect`] opens an authenticated SSH connection with deadlines and host
//! key checking; [`CliSession::open`] starts a PTY shell on it, finds the
//! prompt, turns paging off and enters enable mode. Commands then run with
//! [`CliSession::send_command`] (waits for the prompt, returns the output
//! without echo and prompt) or [`CliSession::send_command_timing`] (for
//! commands such as `reload` that never give a prompt back).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use russh::client::{self, Handle};
use russh::keys::PrivateKeyWithHashAlg;
use russh::{ChannelMsg, Disconnect};

use crate::driver::{Driver, Mode};
use crate::error::Error;
use crate::known_hosts::{HostKeyStatus, KnownHosts, lookup_name};

/// A secret string: never printed by `Debug`/`Display`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The secret itself (only to hand to the SSH layer).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(********)")
    }
}

/// How to authenticate.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// Login user.
    pub user: String,
    /// Password (tried after the key, if both are set).
    pub password: Option<Secret>,
    /// OpenSSH private key file.
    pub key_file: Option<PathBuf>,
    /// Passphrase of the key file.
    pub key_passphrase: Option<Secret>,
    /// Password for `enable`, if the CLI asks for one.
    pub enable_password: Option<Secret>,
    /// Also try the keys of the ssh-agent at `SSH_AUTH_SOCK` (after
    /// `key_file`, before the password).
    pub use_agent: bool,
}

/// What to do with a host that has no `known_hosts` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostKeyPolicy {
    /// Refuse unknown hosts (the default).
    #[default]
    Strict,
    /// Accept and append the key of a host with no entry; still refuse changed keys.
    AcceptNew,
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Target {
    /// Name used in results, errors and transcripts.
    pub name: String,
    /// Address or DNS name to connect to (also the `known_hosts` lookup name).
    pub address: String,
    /// TCP port.
    pub port: u16,
    /// Credentials.
    pub credentials: Credentials,
    /// The `known_hosts` file.
    pub known_hosts: KnownHosts,
    /// Unknown-host policy.
    pub host_key_policy: HostKeyPolicy,
    /// TCP connect + key exchange deadline.
    pub connect_timeout: Duration,
    /// Authentication deadline.
    pub auth_timeout: Duration,
    /// Default per-command deadline.
    pub command_timeout: Duration,
    /// Also offer legacy SHA-1 key exchanges (old appliances).
    pub legacy_kex: bool,
    /// Output lines that mean the device refused a command (multi-line
    /// regexes); empty: the driver's own ([`Driver::error_line`]).
    pub error_patterns: Vec<regex::Regex>,
    /// Reach the host through this SSH jump host (OpenSSH `ProxyJump`).
    pub jump: Option<Box<Target>>,
}

impl Target {
    /// A target with default deadlines (10 s connect, 10 s auth, 60 s command).
    pub fn new(
        name: impl Into<String>,
        address: impl Into<String>,
        port: u16,
        credentials: Credentials,
        known_hosts: KnownHosts,
    ) -> Self {
        Self {
            name: name.into(),
            address: address.into(),
            port,
            credentials,
            known_hosts,
            host_key_policy: HostKeyPolicy::Strict,
            connect_timeout: Duration::from_secs(10),
            auth_timeout: Duration::from_secs(10),
            command_timeout: Duration::from_secs(60),
            legacy_kex: false,
            error_patterns: Vec::new(),
            jump: None,
        }
    }
}

#[derive(Debug, Default)]
struct KeyVerdict {
    problem: Option<String>,
}

/// The russh client handler: host key checking.
#[derive(Debug)]
pub struct ClientHandler {
    host: String,
    address: String,
    port: u16,
    known_hosts: KnownHosts,
    policy: HostKeyPolicy,
    verdict: Arc<Mutex<KeyVerdict>>,
}

impl client::Handler for ClientHandler {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let key = match server_public_key {
            russh::keys::PublicKeyOrCertificate::PublicKey { key, .. } => key,
            russh::keys::PublicKeyOrCertificate::Certificate(_) => {
                self.set_problem("the server offered a host certificate; certificates (@cert-authority) are not supported: configure the server to offer a plain host key".into());
                return Ok(false);
            }
        };
        let kh = &self.known_hosts;
        let fp = key.fingerprint(russh::keys::HashAlg::Sha256);
        let name = lookup_name(&self.address, self.port);
        match kh.check(&self.address, self.port, key) {
            Ok(HostKeyStatus::Known { .. }) => Ok(true),
            Ok(HostKeyStatus::Changed { lines }) => {
                self.set_problem(format!(
                    "HOST KEY MISMATCH for {name}: the server offered {fp}, which differs from {}:{} ; refusing to connect (possible man-in-the-middle). If the probe was really re-keyed, remove the old entry (ssh-keygen -R '{name}' -f {})",
                    kh.path().display(),
                    lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(","),
                    kh.path().display()
                ));
                Ok(false)
            }
            Ok(HostKeyStatus::Revoked { line }) => {
                self.set_problem(format!(
                    "host key {fp} of {name} is marked @revoked in {}:{line}; refusing to connect",
                    kh.path().display()
                ));
                Ok(false)
            }
            Ok(HostKeyStatus::Unknown) => match self.policy {
                HostKeyPolicy::AcceptNew => match kh.append(&self.address, self.port, key) {
                    Ok(()) => {
                        tracing::info!(host = %self.host, %fp, "added new host key to {}", kh.path().display());
                        Ok(true)
                    }
                    Err(e) => {
                        self.set_problem(format!(
                            "cannot append the new host key of {name} to {}: {e}",
                            kh.path().display()
                        ));
                        Ok(false)
                    }
                },
                HostKeyPolicy::Strict => {
                    self.set_problem(format!(
                        "host {name} ({fp}) is not in {}; verify the fingerprint and add it (ssh-keyscan), or run once with --accept-new-host-keys",
                        kh.path().display()
                    ));
                    Ok(false)
                }
            },
            Err(e) => {
                self.set_problem(format!("cannot read {}: {e}", kh.path().display()));
                Ok(false)
            }
        }
    }
}

impl ClientHandler {
    fn set_problem(&self, p: String) {
        if let Ok(mut v) = self.verdict.lock() {
            v.problem = Some(p);
        }
    }
}

/// An authenticated SSH connection.
pub struct Connection {
    /// The target this connection is for.
    pub target: Target,
    handle: Handle<ClientHandler>,
    /// The jump host's connection the tunnel runs through (kept open).
    via: Option<Box<Connection>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("target", &self.target.name)
            .finish()
    }
}

fn russh_config(t: &Target) -> Arc<client::Config> {
    let mut cfg = client::Config {
        inactivity_timeout: None,
        keepalive_interval: Some(Duration::from_secs(15)),
        keepalive_max: 4,
        nodelay: true,
        window_size: 8 * 1024 * 1024,
        ..Default::default()
    };
    // AES-GCM first: with AES-NI it costs a fraction of ChaCha20-Poly1305's CPU
    // on both ends (uploads to many probes at once); both are modern AEADs.
    cfg.preferred.cipher = std::borrow::Cow::Borrowed(&[
        russh::cipher::AES_256_GCM,
        russh::cipher::CHACHA20_POLY1305,
        russh::cipher::AES_256_CTR,
        russh::cipher::AES_192_CTR,
        russh::cipher::AES_128_CTR,
    ]);
    if t.legacy_kex {
        let mut kex: Vec<russh::kex::Name> = cfg.preferred.kex.to_vec();
        kex.extend([russh::kex::DH_G14_SHA1, russh::kex::DH_G1_SHA1]);
        cfg.preferred.kex = kex.into();
    }
    Arc::new(cfg)
}

/// Connect, check the host key and authenticate, each step within its deadline.
pub async fn connect(target: &Target) -> Result<Connection, Error> {
    let host = target.name.clone();
    let verdict = Arc::new(Mutex::new(KeyVerdict::default()));
    let handler = ClientHandler {
        host: host.clone(),
        address: target.address.clone(),
        port: target.port,
        known_hosts: target.known_hosts.clone(),
        policy: target.host_key_policy,
        verdict: verdict.clone(),
    };
    let key_problem = |e: russh::Error, addr: String| {
        if let Some(p) = verdict.lock().ok().and_then(|mut v| v.problem.take()) {
            return Error::HostKey {
                host: host.clone(),
                message: p,
            };
        }
        Error::Connect {
            host: host.clone(),
            addr,
            message: e.to_string(),
        }
    };
    let timed_out = || Error::Timeout {
        host: host.clone(),
        what: "connect and key exchange".into(),
        after: target.connect_timeout,
    };
    let (mut handle, via) = match &target.jump {
        None => {
            let addr = (target.address.as_str(), target.port);
            let fut = client::connect(russh_config(target), addr, handler);
            match tokio::time::timeout(target.connect_timeout, fut).await {
                Err(_) => return Err(timed_out()),
                Ok(Err(e)) => {
                    return Err(key_problem(
                        e,
                        format!("{}:{}", target.address, target.port),
                    ));
                }
                Ok(Ok(h)) => (h, None),
            }
        }
        Some(jump) => {
            // ProxyJump: an authenticated connection to the jump host (its
            // own host key checked against its own known_hosts), a
            // direct-tcpip channel from it to the target, and the target's
            // SSH session over that channel (the target's key checked too).
            let via = Box::pin(connect(jump)).await?;
            let addr = format!(
                "{}:{} via jump host {}",
                target.address, target.port, jump.name
            );
            let tunnel = async {
                let ch = via
                    .handle
                    .channel_open_direct_tcpip(target.address.as_str(), u32::from(target.port), "127.0.0.1", 0)
                    .await
                    .map_err(|e| Error::Connect {
                        host: host.clone(),
                        addr: addr.clone(),
                        message: format!(
                            "the jump host refused to forward ({e}); check AllowTcpForwarding on {} and the address",
                            jump.name
                        ),
                    })?;
                client::connect_stream(russh_config(target), ch.into_stream(), handler)
                    .await
                    .map_err(|e| key_problem(e, addr.clone()))
            };
            match tokio::time::timeout(target.connect_timeout, tunnel).await {
                Err(_) => return Err(timed_out()),
                Ok(Err(e)) => return Err(e),
                Ok(Ok(h)) => (h, Some(Box::new(via))),
            }
        }
    };
    let auth = tokio::time::timeout(
        target.auth_timeout,
        authenticate(&mut handle, &target.credentials),
    );
    match auth.await {
        Err(_) => Err(Error::Timeout {
            host,
            what: "authentication".into(),
            after: target.auth_timeout,
        }),
        Ok(Err(e)) => Err(Error::Auth {
            host,
            user: target.credentials.user.clone(),
            message: e,
        }),
        Ok(Ok(())) => Ok(Connection {
            target: target.clone(),
            handle,
            via,
        }),
    }
}

async fn authenticate(handle: &mut Handle<ClientHandler>, c: &Credentials) -> Result<(), String> {
    let mut tried = Vec::new();
    if let Some(kf) = &c.key_file {
        let key = russh::keys::load_secret_key(kf, c.key_passphrase.as_ref().map(|s| s.expose()))
            .map_err(|e| format!("cannot load private key {}: {e}", kf.display()))?;
        let hash = handle
            .best_supported_rsa_hash()
            .await
            .map_err(|e| e.to_string())?
            .flatten();
        let r = handle
            .authenticate_publickey(&c.user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
            .await
            .map_err(|e| e.to_string())?;
        if r.success() {
            return Ok(());
        }
        tried.push(format!("public key {}", kf.display()));
    }
    if c.use_agent {
        match agent_auth(handle, &c.user).await {
            Ok(true) => return Ok(()),
            Ok(false) => tried.push("ssh-agent keys".to_string()),
            // No agent is not an error when other credentials follow.
            Err(e) if c.password.is_some() || c.key_file.is_some() => {
                tracing::debug!("ssh-agent not used: {e}")
            }
            Err(e) => return Err(e),
        }
    }
    if let Some(pw) = &c.password {
        let r = handle
            .authenticate_password(&c.user, pw.expose())
            .await
            .map_err(|e| e.to_string())?;
        if r.success() {
            return Ok(());
        }
        // Many appliances take passwords only through keyboard-interactive
        // (PAM): answer its password prompts (the ones that do not echo).
        let mut r = handle
            .authenticate_keyboard_interactive_start(&c.user, None)
            .await
            .map_err(|e| e.to_string())?;
        for _ in 0..5 {
            match r {
                client::KeyboardInteractiveAuthResponse::Success => return Ok(()),
                client::KeyboardInteractiveAuthResponse::Failure { .. } => break,
                client::KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } => {
                    let answers = prompts
                        .iter()
                        .map(|p| {
                            if !p.echo || p.prompt.to_ascii_lowercase().contains("password") {
                                pw.expose().to_string()
                            } else {
                                String::new()
                            }
                        })
                        .collect();
                    r = handle
                        .authenticate_keyboard_interactive_respond(answers)
                        .await
                        .map_err(|e| e.to_string())?;
                }
            }
        }
        tried.push("password".to_string());
        tried.push("keyboard-interactive".to_string());
    }
    if tried.is_empty() {
        return Err(
            "no credentials configured (set password_env/password_file or key_file, or load a key into ssh-agent)".into(),
        );
    }
    Err(format!(
        "rejected: tried {}; check the user name and credentials",
        tried.join(", ")
    ))
}

/// Offer each key of the ssh-agent at `SSH_AUTH_SOCK`, as `ssh` does;
/// `Ok(false)` when the server took none of them. The agent signs; the
/// private keys never leave it.
async fn agent_auth(handle: &mut Handle<ClientHandler>, user: &str) -> Result<bool, String> {
    let mut agent = russh::keys::agent::client::AgentClient::connect_env()
        .await
        .map_err(|e| format!("cannot reach the ssh-agent at SSH_AUTH_SOCK: {e}"))?;
    let ids = agent
        .request_identities()
        .await
        .map_err(|e| format!("the ssh-agent did not list its keys: {e}"))?;
    let hash = handle
        .best_supported_rsa_hash()
        .await
        .map_err(|e| e.to_string())?
        .flatten();
    for id in ids {
        let russh::keys::agent::AgentIdentity::PublicKey { key, .. } = id else {
            continue; // certificates: not supported (see known_hosts)
        };
        match handle
            .authenticate_publickey_with(user, key, hash, &mut agent)
            .await
        {
            Ok(r) if r.success() => return Ok(true),
            Ok(_) => {}
            Err(e) => return Err(format!("the ssh-agent could not sign: {e}")),
        }
    }
    Ok(false)
}

impl Connection {
    /// The underlying russh handle (for extra channels such as SFTP).
    pub fn handle(&self) -> &Handle<ClientHandler> {
        &self.handle
    }

    /// Open an SFTP session on this connection.
    pub async fn sftp(
        &self,
        max_in_flight: usize,
    ) -> Result<russh_sftp::client::SftpSession, Error> {
        let host = &self.target.name;
        let e = |m: String| Error::Sftp {
            host: host.clone(),
            message: m,
        };
        let ch = self
            .handle
            .channel_open_session()
            .await
            .map_err(|x| e(format!("open channel: {x}")))?;
        ch.request_subsystem(true, "sftp")
            .await
            .map_err(|x| e(format!("request sftp subsystem: {x}")))?;
        let cfg = russh_sftp::client::Config {
            max_concurrent_writes: max_in_flight.max(1),
            max_write_packet_len: 64 * 1024,
            ..Default::default()
        };
        let fut = russh_sftp::client::SftpSession::new_with_config(ch.into_stream(), cfg);
        match tokio::time::timeout(self.target.command_timeout, fut).await {
            Err(_) => Err(e(
                "no SFTP version reply (is the sftp subsystem enabled?)".into()
            )),
            Ok(Err(x)) => Err(e(format!("start: {x}"))),
            Ok(Ok(s)) => Ok(s),
        }
    }

    /// Disconnect politely (and from the jump host, if any).
    pub async fn close(self) {
        let _ = self
            .handle
            .disconnect(Disconnect::ByApplication, "bye", "en")
            .await;
        if let Some(via) = self.via {
            Box::pin(via.close()).await;
        }
    }
}

/// A transcript of one session, with secrets redacted.
#[derive(Debug, Default, Clone)]
pub struct Transcript {
    text: String,
    secrets: Vec<String>,
}

impl Transcript {
    /// Register a secret to redact (empty strings are ignored).
    pub fn add_secret(&mut self, s: &str) {
        if !s.is_empty() {
            self.secrets.push(s.to_string());
        }
    }
    fn redact(&self, s: &str) -> String {
        let mut out = s.to_string();
        for sec in &self.secrets {
            out = out.replace(sec.as_str(), "********");
        }
        out
    }
    /// Append text received from the device.
    pub fn received(&mut self, s: &str) {
        let r = self.redact(s);
        self.text.push_str(&r);
    }
    /// Note text sent that is not echoed (a password).
    pub fn note(&mut self, s: &str) {
        let r = self.redact(s);
        self.text.push_str(&r);
    }
    /// The redacted transcript.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Clean terminal output: drop ANSI escapes, backspaces and `\r`.
pub fn clean_output(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                // CSI: ESC [ params final-byte(0x40..0x7e); other ESC x: drop two.
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for d in chars.by_ref() {
                        if ('\x40'..='\x7e').contains(&d) {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            '\x08' => {
                out.pop();
            }
            '\r' | '\x07' | '\0' => {}
            _ => out.push(c),
        }
    }
    out
}

/// A PTY shell on a connection, driven by a [`Driver`].
pub struct CliSession {
    conn: Connection,
    channel: russh::Channel<client::Msg>,
    driver: Box<dyn Driver>,
    /// Received but not yet consumed text (cleaned).
    pending: String,
    hostname: String,
    prompt_re: regex::Regex,
    last_prompt: String,
    transcript: Transcript,
    closed: bool,
}

impl std::fmt::Debug for CliSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CliSession")
            .field("host", &self.conn.target.name)
            .field("prompt", &self.last_prompt)
            .finish()
    }
}

impl CliSession {
    /// Open a PTY shell, find the prompt, turn paging off and enter enable mode.
    pub async fn open(conn: Connection, driver: Box<dyn Driver>) -> Result<Self, Error> {
        let host = conn.target.name.clone();
        let ch_err = |m: String| Error::Session {
            host: host.clone(),
            message: m,
        };
        let channel = conn
            .handle
            .channel_open_session()
            .await
            .map_err(|e| ch_err(format!("open channel: {e}")))?;
        channel
            .request_pty(true, "vt100", 511, 24, 0, 0, &[])
            .await
            .map_err(|e| ch_err(format!("request PTY: {e}")))?;
        channel
            .request_shell(true)
            .await
            .map_err(|e| ch_err(format!("request shell: {e}")))?;
        let mut transcript = Transcript::default();
        for s in [
            &conn.target.credentials.password,
            &conn.target.credentials.enable_password,
            &conn.target.credentials.key_passphrase,
        ]
        .into_iter()
        .flatten()
        {
            transcript.add_secret(s.expose());
        }
        let any = driver.any_prompt().clone();
        let mut s = Self {
            conn,
            channel,
            driver,
            pending: String::new(),
            hostname: String::new(),
            prompt_re: any,
            last_prompt: String::new(),
            transcript,
            closed: false,
        };
        // Wake the CLI and learn the host name from the first prompt.
        s.write("\n").await?;
        let timeout = s.conn.target.command_timeout;
        s.read_until_prompt(timeout, "the first prompt").await?;
        // The newline we sent may produce a second prompt (it can be echoed
        // before the banner): swallow everything until the line is quiet.
        s.settle(Duration::from_millis(300), timeout).await?;
        let caps = s
            .driver
            .any_prompt()
            .captures(&s.last_prompt)
            .ok_or_else(|| ch_err(format!("unrecognised prompt {:?}", s.last_prompt)))?;
        s.hostname = caps["host"].to_string();
        s.prompt_re = s.driver.host_prompt(&s.hostname);
        s.enable().await?;
        for cmd in s.driver.paging_off() {
            s.send_command(cmd).await?;
        }
        Ok(s)
    }

    /// The target name.
    pub fn host(&self) -> &str {
        &self.conn.target.name
    }
    /// The host name the CLI shows in its prompt.
    pub fn cli_hostname(&self) -> &str {
        &self.hostname
    }
    /// The last prompt seen.
    pub fn prompt(&self) -> &str {
        &self.last_prompt
    }
    /// The mode the last prompt shows.
    pub fn mode(&self) -> Mode {
        self.driver.mode_of(&self.last_prompt)
    }
    /// The transcript so far (secrets redacted).
    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }
    /// The connection (for SFTP on the same SSH session).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    async fn write(&mut self, s: &str) -> Result<(), Error> {
        self.channel
            .data_bytes(s.as_bytes().to_vec())
            .await
            .map_err(|e| Error::Session {
                host: self.conn.target.name.clone(),
                message: format!("send failed (connection lost?): {e}"),
            })
    }

    /// Read until any of the regexes matches the end of the pending text.
    /// Returns (index of regex, consumed text).
    async fn read_until(
        &mut self,
        res: &[&regex::Regex],
        timeout: Duration,
        what: &str,
    ) -> Result<(usize, String), Error> {
        let deadline = Instant::now() + timeout;
        loop {
            for (i, re) in res.iter().enumerate() {
                if let Some(end) = re.find(&self.pending).map(|m| m.end()) {
                    let text: String = self.pending.drain(..end).collect();
                    return Ok((i, text));
                }
            }
            if self.closed {
                return Err(Error::Session {
                    host: self.conn.target.name.clone(),
                    message: format!(
                        "connection closed while waiting for {what}; last output: {:?}",
                        tail(&self.pending)
                    ),
                });
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Timeout {
                    host: self.conn.target.name.clone(),
                    what: format!("{what} (last output: {:?})", tail(&self.pending)),
                    after: timeout,
                });
            }
            match tokio::time::timeout(deadline - now, self.channel.wait()).await {
                Err(_) => continue,
                Ok(None) | Ok(Some(ChannelMsg::Close)) | Ok(Some(ChannelMsg::Eof)) => {
                    self.closed = true
                }
                Ok(Some(ChannelMsg::ExitStatus { .. })) => {}
                Ok(Some(ChannelMsg::Data { data }))
                | Ok(Some(ChannelMsg::ExtendedData { data, .. })) => {
                    let s = String::from_utf8_lossy(&data);
                    self.transcript.received(&s);
                    let c = clean_output(&s);
                    self.pending.push_str(&c);
                }
                Ok(Some(_)) => {}
            }
        }
    }

    /// Read until nothing arrives for `quiet` (at most `max`); if the text
    /// read ends with a prompt, it becomes the current prompt.
    async fn settle(&mut self, quiet: Duration, max: Duration) -> Result<(), Error> {
        let end = Instant::now() + max;
        while !self.closed && Instant::now() < end {
            match tokio::time::timeout(quiet, self.channel.wait()).await {
                Err(_) => break,
                Ok(None) | Ok(Some(ChannelMsg::Close)) | Ok(Some(ChannelMsg::Eof)) => {
                    self.closed = true
                }
                Ok(Some(ChannelMsg::Data { data }))
                | Ok(Some(ChannelMsg::ExtendedData { data, .. })) => {
                    let s = String::from_utf8_lossy(&data);
                    self.transcript.received(&s);
                    let c = clean_output(&s);
                    self.pending.push_str(&c);
                }
                Ok(Some(_)) => {}
            }
        }
        if let Some(m) = self.prompt_re.find(&self.pending) {
            self.last_prompt = m.as_str().trim_start_matches('\n').to_string();
            self.pending.clear();
        }
        Ok(())
    }

    async fn read_until_prompt(&mut self, timeout: Duration, what: &str) -> Result<String, Error> {
        let re = self.prompt_re.clone();
        let (_, text) = self.read_until(&[&re], timeout, what).await?;
        self.last_prompt = text.rsplit('\n').next().unwrap_or("").to_string();
        Ok(text)
    }

    /// Run `cmd`, wait for the prompt (default deadline), return the output
    /// without the echoed command and the prompt.
    pub async fn send_command(&mut self, cmd: &str) -> Result<String, Error> {
        let t = self.conn.target.command_timeout;
        self.send_command_timeout(cmd, t).await
    }

    /// [`send_command`](Self::send_command) with an explicit deadline.
    pub async fn send_command_timeout(
        &mut self,
        cmd: &str,
        timeout: Duration,
    ) -> Result<String, Error> {
        self.write(&format!("{cmd}\n")).await?;
        let text = self
            .read_until_prompt(timeout, &format!("the prompt after {cmd:?}"))
            .await?;
        Ok(strip_echo_and_prompt(&text, cmd))
    }

    /// Like [`send_command`](Self::send_command) but fails when the output has
    /// an error line (`% ...` on EndaceOS).
    pub async fn send_command_checked(&mut self, cmd: &str) -> Result<String, Error> {
        let out = self.send_command(cmd).await?;
        if let Some(m) = self.error_in(&out) {
            return Err(Error::Command {
                host: self.host().to_string(),
                command: cmd.to_string(),
                message: m,
            });
        }
        Ok(out)
    }

    /// The first line of `output` that says the device refused the
    /// command: the target's `error_patterns`, else the driver's
    /// [`Driver::error_line`].
    pub fn error_in(&self, output: &str) -> Option<String> {
        let own = &self.conn.target.error_patterns;
        let m = if own.is_empty() {
            self.driver.error_line().find(output)
        } else {
            own.iter().find_map(|re| re.find(output))
        }?;
        // Report the whole line the match is on.
        let start = output[..m.start()].rfind('\n').map_or(0, |i| i + 1);
        let end = output[m.start()..]
            .find('\n')
            .map_or(output.len(), |i| m.start() + i);
        Some(output[start..end].trim().to_string())
    }

    /// Send `cmd` and collect output until nothing arrives for `settle` (or the
    /// connection closes, or `max` passes): for commands that never return a
    /// prompt, like `reload`.
    pub async fn send_command_timing(
        &mut self,
        cmd: &str,
        settle: Duration,
        max: Duration,
    ) -> Result<String, Error> {
        self.write(&format!("{cmd}\n")).await?;
        let deadline = Instant::now() + max;
        let mut text = std::mem::take(&mut self.pending);
        while !self.closed && Instant::now() < deadline {
            let wait = settle.min(deadline.saturating_duration_since(Instant::now()));
            match tokio::time::timeout(wait, self.channel.wait()).await {
                Err(_) => break,
                Ok(None) | Ok(Some(ChannelMsg::Close)) | Ok(Some(ChannelMsg::Eof)) => {
                    self.closed = true
                }
                Ok(Some(ChannelMsg::Data { data }))
                | Ok(Some(ChannelMsg::ExtendedData { data, .. })) => {
                    let s = String::from_utf8_lossy(&data);
                    self.transcript.received(&s);
                    text.push_str(&clean_output(&s));
                }
                Ok(Some(_)) => {}
            }
        }
        Ok(strip_echo(&text, cmd))
    }

    /// Has the device closed the session?
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Enter enable mode (no-op when already privileged).
    pub async fn enable(&mut self) -> Result<(), Error> {
        if self.mode() != Mode::User {
            return Ok(());
        }
        let cmd = self.driver.enable_command();
        self.write(&format!("{cmd}\n")).await?;
        let pw = self.driver.enable_password_prompt().clone();
        let pr = self.prompt_re.clone();
        let t = self.conn.target.command_timeout;
        let (i, text) = self.read_until(&[&pr, &pw], t, "the enable prompt").await?;
        if i == 1 {
            let Some(secret) = self.conn.target.credentials.enable_password.clone() else {
                return Err(Error::Session {
                    host: self.host().into(),
                    message:
                        "enable asks for a password but none is configured (enable_password_env)"
                            .into(),
                });
            };
            self.transcript.note("[enable password sent]\n");
            self.write(&format!("{}\n", secret.expose())).await?;
            self.read_until_prompt(t, "the prompt after the enable password")
                .await?;
        } else {
            self.last_prompt = text.rsplit('\n').next().unwrap_or("").to_string();
        }
        if self.mode() == Mode::User {
            return Err(Error::Session {
                host: self.host().into(),
                message: "enable failed: still in user mode (wrong enable password?)".into(),
            });
        }
        Ok(())
    }

    /// Enter configuration mode, answering `YES` if the CLI asks (another
    /// session holds configuration mode).
    pub async fn config_mode(&mut self) -> Result<(), Error> {
        if matches!(self.mode(), Mode::Config | Mode::Maintenance) {
            return Ok(());
        }
        self.enable().await?;
        let cmd = self.driver.config_command();
        self.write(&format!("{cmd}\n")).await?;
        let (confirm, answer) = self.driver.confirm();
        let confirm = confirm.clone();
        let pr = self.prompt_re.clone();
        let t = self.conn.target.command_timeout;
        let (i, text) = self
            .read_until(&[&pr, &confirm], t, "the configuration prompt")
            .await?;
        if i == 1 {
            self.write(&format!("{answer}\n")).await?;
            self.read_until_prompt(t, "the configuration prompt after answering YES")
                .await?;
        } else {
            self.last_prompt = text.rsplit('\n').next().unwrap_or("").to_string();
        }
        if !matches!(self.mode(), Mode::Config | Mode::Maintenance) {
            return Err(Error::Session {
                host: self.host().into(),
                message: format!(
                    "could not enter configuration mode; prompt is {:?}",
                    self.last_prompt
                ),
            });
        }
        Ok(())
    }

    /// Leave configuration mode.
    pub async fn exit_config_mode(&mut self) -> Result<(), Error> {
        while matches!(self.mode(), Mode::Config | Mode::Maintenance) {
            let cmd = self.driver.exit_config_command();
            self.send_command(cmd).await?;
        }
        Ok(())
    }

    /// Save the configuration (enters configuration mode if needed).
    pub async fn save_config(&mut self) -> Result<String, Error> {
        self.config_mode().await?;
        let cmd = self.driver.save_command();
        self.send_command_checked(cmd).await
    }

    /// Close the shell and the connection.
    pub async fn close(self) {
        if !self.closed {
            let _ = self.channel.eof().await;
        }
        self.conn.close().await;
    }
}

fn tail(s: &str) -> &str {
    let mut start = s.len().saturating_sub(80);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// Remove the echoed command (first line, if it ends with the command).
pub fn strip_echo(text: &str, cmd: &str) -> String {
    let text = text.trim_start_matches('\n');
    match text.split_once('\n') {
        Some((first, rest)) if first.trim_end().ends_with(cmd.trim()) => rest.to_string(),
        None if text.trim_end().ends_with(cmd.trim()) => String::new(),
        _ => text.to_string(),
    }
}

/// Remove the echo and the trailing prompt line.
pub fn strip_echo_and_prompt(text: &str, cmd: &str) -> String {
    let body = strip_echo(text, cmd);
    match body.rfind('\n') {
        Some(i) => body[..i + 1].to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_and_stripping() {
        assert_eq!(clean_output("a\x1b[0;32mb\x1b[0m\r\nc\x08d"), "ab\nd");
        let t = "show packages\nName Version\nhf 1\nprobe-01 # ";
        assert_eq!(
            strip_echo_and_prompt(t, "show packages"),
            "Name Version\nhf 1\n"
        );
        assert_eq!(strip_echo_and_prompt("enable\nprobe-01 # ", "enable"), "");
        // The echo can be prefixed by leftovers of the previous prompt.
        assert_eq!(
            strip_echo_and_prompt("probe-01 # show x\nout\nprobe-01 # ", "show x"),
            "out\n"
        );
    }

    #[test]
    fn transcript_redacts() {
        let mut t = Transcript::default();
        t.add_secret("hunter2");
        t.received("password is hunter2\n");
        assert_eq!(t.text(), "password is ********\n");
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(********)");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        #[test]
        fn clean_and_strip_never_panic(s in "\\PC{0,200}", c in "\\PC{0,20}") {
            let x = clean_output(&s);
            let _ = strip_echo_and_prompt(&x, &c);
            let _ = tail(&s);
        }
    }
}
