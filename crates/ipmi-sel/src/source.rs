//! Where SEL entries come from: a Supermicro BMC's web UI (CGI), a Redfish
//! service, a BMC over IPMI LAN ([`crate::lan`]), or a saved file. All behind [`SelSource`].

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Client, StatusCode, Url};

use crate::error::Error;
use crate::event::Event;
use crate::parse;

/// A secret (password). `Debug` and `Display` never show it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself; only for putting it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where a password comes from: never argv, never inline in the inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// Name of an environment variable.
    Env(String),
    /// A file readable by the owner only (mode 0600 or stricter).
    File(PathBuf),
}

impl SecretRef {
    /// Read the secret. A file must not be group/world-accessible; its
    /// first line (without the newline) is the secret.
    pub fn load(&self, owner: &str) -> Result<Secret, Error> {
        match self {
            SecretRef::Env(var) => match std::env::var(var) {
                Ok(v) if !v.is_empty() => Ok(Secret(v)),
                _ => Err(Error::Config {
                    path: owner.into(),
                    detail: format!(
                        "environment variable {var} (the password) is not set or empty; export it before running"
                    ),
                }),
            },
            SecretRef::File(p) => {
                // Every problem names the host and the file.
                let at = |e: Error| match e {
                    Error::Config { detail, .. } => Error::Config {
                        path: owner.into(),
                        detail: format!("password file {}: {detail}", p.display()),
                    },
                    e => e,
                };
                check_private_file(p).map_err(at)?;
                let text = std::fs::read_to_string(p).map_err(|e| at(unreadable(p, &e)))?;
                let line = text.lines().next().unwrap_or("").to_string();
                if line.is_empty() {
                    return Err(at(Error::Config {
                        path: p.display().to_string(),
                        detail: "it is empty; put the password on its first line".into(),
                    }));
                }
                Ok(Secret(line))
            }
        }
    }
}

/// A password file that cannot be read, as the configuration error it is.
fn unreadable(p: &Path, e: &std::io::Error) -> Error {
    Error::Config {
        path: p.display().to_string(),
        detail: format!(
            "cannot read it ({e}); check the path and that this user may read it (mode 0600)"
        ),
    }
}

/// Refuse a secrets file that group or others can read or write, or that
/// cannot be read at all (both are [`Error::Config`]).
pub fn check_private_file(p: &Path) -> Result<(), Error> {
    let meta = std::fs::metadata(p).map_err(|e| unreadable(p, &e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::Config {
                path: p.display().to_string(),
                detail: format!(
                    "mode {mode:04o} lets group/others access this secret; run `chmod 600 {}`",
                    p.display()
                ),
            });
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

/// How HTTPS certificates are checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum TlsMode {
    /// Verify against the system's roots and the host name (default).
    #[default]
    Verify,
    /// Trust exactly this PEM certificate (the BMC's self-signed one) and
    /// nothing else; the host name is not checked since the pin identifies
    /// the peer.
    Pinned(PathBuf),
    /// Do not verify at all. Only when explicitly asked for.
    Insecure,
}

/// HTTP settings shared by network sources.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpOptions {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Certificate policy.
    pub tls: TlsMode,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(20),
            tls: TlsMode::Verify,
        }
    }
}

/// Resource limits of one host's fetch, so that a misbehaving BMC (or
/// whatever answers in its place) cannot exhaust memory. The whole-poll
/// deadline lives in [`crate::watch::Settings::poll_deadline_secs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest response body read, bytes. Bodies are read in chunks and the
    /// read stops at the cap (an endless body never gets buffered).
    pub max_body_bytes: usize,
    /// Most Redfish pages (`Members@odata.nextLink` hops) per fetch.
    pub max_pages: usize,
    /// Most Redfish entries kept per fetch.
    pub max_entries: usize,
}

impl Limits {
    /// Default body cap: 4 MiB (a full SEL is well under 1 MiB).
    pub const MAX_BODY_BYTES: usize = 4 << 20;
    /// Default page cap.
    pub const MAX_PAGES: usize = 2_000;
    /// Default entry cap: a SEL holds at most 65,534 records (16-bit
    /// record ids, 0x0000 and 0xFFFF reserved).
    pub const MAX_ENTRIES: usize = 65_536;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: Self::MAX_BODY_BYTES,
            max_pages: Self::MAX_PAGES,
            max_entries: Self::MAX_ENTRIES,
        }
    }
}

/// Read a response body of at most `limit` bytes, chunk by chunk: a
/// declared `Content-Length` above the cap is refused before reading, and an
/// endless or huge chunked body is cut off as soon as it passes the cap.
pub async fn read_body(
    host: &str,
    path: &str,
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, Error> {
    let too_large = |declared| Error::TooLarge {
        host: host.into(),
        path: path.into(),
        limit,
        declared,
    };
    if let Some(n) = resp.content_length()
        && n > limit as u64
    {
        return Err(too_large(Some(n)));
    }
    let mut buf = Vec::with_capacity(resp.content_length().unwrap_or(0).min(64 << 10) as usize);
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport(host, &e))? {
        let need = buf.len() + chunk.len();
        if need > limit {
            return Err(too_large(None));
        }
        if need > buf.capacity() {
            // Grow by doubling, but never past the cap: a body just under
            // it holds `limit` bytes, not twice that.
            let want = need.max(buf.capacity() * 2).min(limit);
            buf.reserve_exact(want - buf.len());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// Read and drop a body we do not need (login, logout), at most 64 KiB:
/// past that the connection is simply closed.
async fn drain(mut resp: reqwest::Response) {
    let mut n = 0usize;
    while let Ok(Some(c)) = resp.chunk().await {
        n += c.len();
        if n > 64 << 10 {
            return;
        }
    }
}

/// A redirect or another status that is not success, as its specific error.
fn bad_status(host: &str, path: &str, resp: &reqwest::Response) -> Error {
    let status = resp.status();
    if status.is_redirection() {
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        return Error::Redirect {
            host: host.into(),
            status: status.as_u16(),
            path: path.into(),
            location,
        };
    }
    Error::Status {
        host: host.into(),
        status: status.as_u16(),
        path: path.into(),
    }
}

/// Builds and shares HTTP clients: one per distinct [`HttpOptions`], so a
/// fleet of 1,000 BMCs does not load the trust store 1,000 times.
#[derive(Default, Clone)]
pub struct ClientCache {
    inner: Arc<Mutex<HashMap<HttpOptions, Client>>>,
}

impl ClientCache {
    /// Get or build the client for `opts`.
    pub fn get(&self, opts: &HttpOptions, owner: &str) -> Result<Client, Error> {
        let mut m = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = m.get(opts) {
            return Ok(c.clone());
        }
        let c = build_client(opts, owner)?;
        m.insert(opts.clone(), c.clone());
        Ok(c)
    }
}

/// Build an HTTP client for the options. `owner` names the host in errors.
pub fn build_client(opts: &HttpOptions, owner: &str) -> Result<Client, Error> {
    let mut b = Client::builder()
        .timeout(opts.timeout)
        .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("netops-ipmi-sel/", env!("CARGO_PKG_VERSION")));
    match &opts.tls {
        TlsMode::Verify => {}
        TlsMode::Insecure => b = b.tls_danger_accept_invalid_certs(true),
        TlsMode::Pinned(p) => {
            let pem = std::fs::read(p).map_err(|e| Error::Config {
                path: owner.into(),
                detail: format!(
                    "cannot read the pinned certificate {} ({e}); check pinned_cert / --pinned-cert",
                    p.display()
                ),
            })?;
            if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
                return Err(Error::Config {
                    path: p.display().to_string(),
                    detail: "no PEM certificate (-----BEGIN CERTIFICATE-----) in the pinned_cert file; save the BMC's certificate with `openssl s_client -showcerts`".into(),
                });
            }
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| Error::Config {
                path: p.display().to_string(),
                detail: format!("not a PEM certificate ({e}); save the BMC's certificate with `openssl s_client -showcerts`"),
            })?;
            b = b
                .tls_certs_only([cert])
                .tls_danger_accept_invalid_hostnames(true);
        }
    }
    b.build().map_err(|e| Error::Transport {
        host: owner.into(),
        detail: format!("cannot build the HTTP client: {}", chain(&e)),
    })
}

/// An error and its causes on one line.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

fn transport(host: &str, e: &reqwest::Error) -> Error {
    let detail = chain(e);
    let lower = detail.to_ascii_lowercase();
    if lower.contains("certificate")
        || lower.contains("invalidcertificate")
        || lower.contains("unknownissuer")
    {
        return Error::Transport {
            host: host.into(),
            detail: format!(
                "TLS certificate not trusted ({detail}); for a self-signed BMC pin its certificate (pinned_cert / --pinned-cert PEM) or, knowingly, set insecure"
            ),
        };
    }
    if let Some(d) = plain_http_answer(e, &lower) {
        return Error::Transport {
            host: host.into(),
            detail: d,
        };
    }
    let what = if e.is_timeout() {
        "timed out; the BMC is slow or unreachable, raise timeout_secs or retry"
    } else if e.is_connect() {
        "cannot connect; check the address and that the BMC web service is up"
    } else {
        "request failed"
    };
    // The URL never carries credentials, so it is safe to show.
    Error::Transport {
        host: host.into(),
        detail: format!("{what} ({detail})"),
    }
}

/// An https:// request that a plain-HTTP server answered: rustls reads the
/// server's `HTTP/1.1 ...` as a TLS record of an invalid content type
/// ("received corrupt message of type InvalidContentType"). Says so, with
/// the URL to write instead (the base: the request path up to `/cgi/` or
/// `/redfish/`).
fn plain_http_answer(e: &reqwest::Error, lower: &str) -> Option<String> {
    let u = e.url()?;
    if u.scheme() != "https"
        || !(lower.contains("invalidcontenttype") || lower.contains("corrupt message"))
    {
        return None;
    }
    let hostport = match (u.host_str(), u.port_or_known_default()) {
        (Some(h), Some(p)) if h.contains(':') => format!("[{h}]:{p}"),
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => return None,
    };
    let path = u.path();
    let base = ["/cgi/", "/redfish/"]
        .iter()
        .filter_map(|m| path.find(m))
        .min()
        .map_or(path, |i| &path[..i]);
    Some(format!(
        "the BMC answered plain HTTP on {hostport}, not HTTPS; write http://{hostport}{base} if that is intended (a url without a scheme means https://)"
    ))
}

/// Something that yields a host's SEL entries.
pub trait SelSource: Send {
    /// Name used in messages and on events (inventory host name).
    fn name(&self) -> &str;
    /// Fetch the whole SEL, oldest first.
    fn fetch(&mut self) -> impl Future<Output = Result<Vec<Event>, Error>> + Send;
    /// Free space of the SEL in bytes as of the last successful
    /// [`fetch`](SelSource::fetch), when the source learns it (IPMI Get SEL
    /// Info does; the Supermicro CGI and Redfish answers do not). The
    /// exporter publishes it as `ipmi_sel_free_bytes`.
    fn free_bytes(&self) -> Option<u64> {
        None
    }
}

/// Login credentials.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// User name.
    pub user: String,
    /// Password.
    pub password: Secret,
}

/// Supermicro web UI source (`/cgi/login.cgi`, `/cgi/ipmi.cgi`).
pub struct SupermicroSource {
    name: String,
    base: Url,
    client: Client,
    creds: Credentials,
    limits: Limits,
}

impl SupermicroSource {
    /// New source for `base` (e.g. `https://10.0.0.5` or a simulator URL
    /// with a path prefix).
    pub fn new(name: &str, base: &str, client: Client, creds: Credentials) -> Result<Self, Error> {
        Ok(SupermicroSource {
            name: name.into(),
            base: base_url(name, base)?,
            client,
            creds,
            limits: Limits::default(),
        })
    }

    /// Replace the default [`Limits`].
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    fn url(&self, path: &str) -> Url {
        // base always ends in '/', path is relative.
        self.base.join(path).unwrap_or_else(|_| self.base.clone())
    }

    async fn login(&self) -> Result<Session, Error> {
        let host = &self.name;
        let resp = self
            .client
            .post(self.url("cgi/login.cgi"))
            .form(&[
                ("name", self.creds.user.as_str()),
                ("pwd", self.creds.password.expose()),
            ])
            .send()
            .await
            .map_err(|e| transport(host, &e))?;
        let status = resp.status();
        // A failed login is HTTP 200 without a session; any other status
        // (a redirect to another scheme or host, a 5xx, a bogus 999) is
        // reported as what it is, not as a bad password.
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            drain(resp).await;
            return Err(Error::LoginFailed { host: host.clone() });
        }
        if !status.is_success() {
            return Err(bad_status(host, "/cgi/login.cgi", &resp));
        }
        let sid = resp
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| {
                let first = c.split(';').next()?.trim();
                let v = first.strip_prefix("SID=")?;
                (!v.is_empty()).then(|| v.to_string())
            });
        drain(resp).await;
        let Some(sid) = sid else {
            return Err(Error::LoginFailed { host: host.clone() });
        };
        let mut s = Session { sid, csrf: None };
        // Newer firmware puts a CSRF token in the top menu page and wants it
        // back as a header on every CGI call.
        let resp = self
            .client
            .get(self.url("cgi/url_redirect.cgi?url_name=topmenu"))
            .header("Cookie", format!("SID={}", s.sid))
            .send()
            .await
            .map_err(|e| transport(host, &e))?;
        if resp.status().is_success() {
            let path = "/cgi/url_redirect.cgi";
            let body = read_body(host, path, resp, self.limits.max_body_bytes).await?;
            s.csrf = find_csrf_token(&String::from_utf8_lossy(&body));
        }
        Ok(s)
    }

    async fn sel_xml(&self, s: &Session) -> Result<Result<Vec<Event>, Error>, Error> {
        let host = &self.name;
        let mut req = self
            .client
            .post(self.url("cgi/ipmi.cgi"))
            .header("Cookie", format!("SID={}", s.sid))
            .form(&[("SEL_INFO.XML", "(1,c0)"), ("time_stamp", "0")]);
        if let Some(t) = &s.csrf {
            req = req.header("CSRF_TOKEN", t.as_str());
        }
        let resp = req.send().await.map_err(|e| transport(host, &e))?;
        if !resp.status().is_success() {
            return Err(bad_status(host, "/cgi/ipmi.cgi", &resp));
        }
        let body = read_body(host, "/cgi/ipmi.cgi", resp, self.limits.max_body_bytes).await?;
        let text = String::from_utf8_lossy(&body);
        // The inner result distinguishes "session gone" (retry) from data errors.
        Ok(parse::parse_sel_xml(&text, host))
    }

    async fn logout(&self, s: &Session) {
        let mut req = self
            .client
            .get(self.url("cgi/logout.cgi"))
            .header("Cookie", format!("SID={}", s.sid));
        if let Some(t) = &s.csrf {
            req = req.header("CSRF_TOKEN", t.as_str());
        }
        if let Ok(r) = req.send().await {
            drain(r).await;
        }
    }
}

fn is_login_page(title: &str) -> bool {
    title.is_empty() || title.contains("login")
}

struct Session {
    sid: String,
    csrf: Option<String>,
}

/// Find the CSRF token in Supermicro's top menu page
/// (`SmcCsrfInsert ("CSRF_TOKEN", "<token>")`).
pub fn find_csrf_token(page: &str) -> Option<String> {
    let i = page.find("\"CSRF_TOKEN\"")?;
    let rest = &page[i + "\"CSRF_TOKEN\"".len()..];
    let start = rest.find('"')? + 1;
    let len = rest[start..].find('"')?;
    let tok = &rest[start..start + len];
    (!tok.is_empty() && tok.len() < 256).then(|| tok.to_string())
}

impl SelSource for SupermicroSource {
    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(&mut self) -> Result<Vec<Event>, Error> {
        // One re-login when the session expires mid-run.
        for attempt in 0..2 {
            let s = self.login().await?;
            let r = self.sel_xml(&s).await;
            self.logout(&s).await;
            match r? {
                Ok(mut evs) => {
                    for e in &mut evs {
                        e.host = Some(self.name.clone());
                    }
                    return Ok(evs);
                }
                // The login page instead of data: the session is gone.
                Err(Error::HtmlPage { title, .. }) if is_login_page(&title) => {
                    if attempt == 0 {
                        continue;
                    }
                    return Err(Error::SessionExpired {
                        host: self.name.clone(),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::SessionExpired {
            host: self.name.clone(),
        })
    }
}

/// The base URL of an HTTP source: `http(s)://HOST[:PORT][/PATH]`, or a
/// bare `HOST[:PORT][/PATH]` taken as `https://` (documented default).
pub(crate) fn base_url(name: &str, base: &str) -> Result<Url, Error> {
    let mut s = base.trim().to_string();
    if !s.contains("://") {
        s = format!("https://{s}");
    }
    if !s.ends_with('/') {
        s.push('/');
    }
    let u = Url::parse(&s).map_err(|e| Error::Config {
        path: format!("host {name}"),
        detail: format!("url {base:?} is not valid ({e}); write e.g. https://10.0.0.5"),
    })?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err(Error::Config {
            path: format!("host {name}"),
            detail: "credentials in the URL are not allowed; use user + password_env/password_file"
                .into(),
        });
    }
    if u.scheme() != "http" && u.scheme() != "https" {
        return Err(Error::Config {
            path: format!("host {name}"),
            detail: if u.scheme() == "ipmi" {
                format!(
                    "url {base:?} is an IPMI LAN address; use kind ipmi (--kind ipmi) for it, or write the BMC's https:// web address"
                )
            } else {
                format!(
                    "url scheme {:?} is not http or https; write e.g. https://10.0.0.5",
                    u.scheme()
                )
            },
        });
    }
    Ok(u)
}

/// Redfish authentication style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RedfishAuth {
    /// `POST /redfish/v1/SessionService/Sessions`, `X-Auth-Token`, DELETE
    /// the session afterwards (default).
    #[default]
    Session,
    /// HTTP basic authentication on every request.
    Basic,
}

/// Redfish SEL source.
pub struct RedfishSource {
    name: String,
    base: Url,
    client: Client,
    creds: Credentials,
    auth: RedfishAuth,
    entries_path: Option<String>,
    limits: Limits,
}

impl RedfishSource {
    /// New source. `entries_path` is the SEL `Entries` collection (e.g.
    /// `/redfish/v1/Systems/1/LogServices/SEL/Entries`); when `None` it is
    /// discovered from Systems and Managers (`LogEntryType` `SEL`).
    pub fn new(
        name: &str,
        base: &str,
        client: Client,
        creds: Credentials,
        auth: RedfishAuth,
        entries_path: Option<String>,
    ) -> Result<Self, Error> {
        Ok(RedfishSource {
            name: name.into(),
            base: base_url(name, base)?,
            client,
            creds,
            auth,
            entries_path,
            limits: Limits::default(),
        })
    }

    /// Replace the default [`Limits`].
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    fn url(&self, path: &str) -> Url {
        let p = path.trim_start_matches('/');
        // Paths from the service (odata.id, nextLink) are absolute from the
        // origin, except that a simulator/proxy prefix in the base is kept.
        let prefix = self.base.path().trim_end_matches('/');
        let full = if !prefix.is_empty() && path.starts_with(prefix) {
            path.to_string()
        } else {
            format!("{prefix}/{p}")
        };
        let mut u = self.base.clone();
        match full.split_once('?') {
            Some((a, q)) => {
                u.set_path(a);
                u.set_query(Some(q));
            }
            None => {
                u.set_path(&full);
                u.set_query(None);
            }
        }
        u
    }

    async fn get_json(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> Result<(String, serde_json::Value), Error> {
        let text = self.get_text(path, token).await?;
        let v = serde_json::from_str(&text).map_err(|e| Error::Parse {
            origin: self.name.clone(),
            detail: format!(
                "{path}: line {}, column {}: broken JSON ({e})",
                e.line(),
                e.column()
            ),
        })?;
        Ok((text, v))
    }

    async fn get_text(&self, path: &str, token: Option<&str>) -> Result<String, Error> {
        let host = &self.name;
        let mut req = self
            .client
            .get(self.url(path))
            .header("Accept", "application/json");
        req = match (self.auth, token) {
            (_, Some(t)) => req.header("X-Auth-Token", t),
            (RedfishAuth::Basic, None) => {
                req.basic_auth(&self.creds.user, Some(self.creds.password.expose()))
            }
            (RedfishAuth::Session, None) => req,
        };
        let resp = req.send().await.map_err(|e| transport(host, &e))?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(if token.is_some() {
                Error::SessionExpired { host: host.clone() }
            } else {
                Error::LoginFailed { host: host.clone() }
            });
        }
        if !status.is_success() {
            return Err(bad_status(host, path, &resp));
        }
        let body = read_body(host, path, resp, self.limits.max_body_bytes).await?;
        String::from_utf8(body).map_err(|e| Error::Parse {
            origin: host.clone(),
            detail: format!(
                "{path}: byte offset {}: the answer is not UTF-8 JSON; check that the url points at a Redfish service",
                e.utf8_error().valid_up_to()
            ),
        })
    }

    async fn login(&self) -> Result<Option<(String, Option<String>)>, Error> {
        if self.auth == RedfishAuth::Basic {
            return Ok(None);
        }
        let host = &self.name;
        let body = serde_json::json!({
            "UserName": self.creds.user,
            "Password": self.creds.password.expose(),
        });
        let resp = self
            .client
            .post(self.url("/redfish/v1/SessionService/Sessions"))
            .json(&body)
            .send()
            .await
            .map_err(|e| transport(host, &e))?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(Error::LoginFailed { host: host.clone() });
        }
        if !status.is_success() {
            return Err(bad_status(
                host,
                "/redfish/v1/SessionService/Sessions",
                &resp,
            ));
        }
        let h: &HeaderMap = resp.headers();
        let token = h
            .get("X-Auth-Token")
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_string);
        let location = h
            .get("Location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        drain(resp).await;
        match token {
            Some(t) if !t.is_empty() => Ok(Some((t, location))),
            _ => Err(Error::LoginFailed { host: host.clone() }),
        }
    }

    async fn logout(&self, token: &str, location: Option<&str>) {
        if let Some(loc) = location {
            let path = Url::parse(loc)
                .map(|u| u.path().to_string())
                .unwrap_or_else(|_| loc.to_string());
            if let Ok(r) = self
                .client
                .delete(self.url(&path))
                .header("X-Auth-Token", token)
                .send()
                .await
            {
                drain(r).await;
            }
        }
    }

    /// The SEL LogService's path and resource: the parent of the
    /// configured entries path, else discovered.
    async fn log_service(&self, token: Option<&str>) -> Result<(String, serde_json::Value), Error> {
        let svc = match &self.entries_path {
            Some(p) => p
                .trim_end_matches('/')
                .trim_end_matches("/Entries")
                .to_string(),
            None => {
                let e = self.discover(token).await?;
                e.trim_end_matches('/')
                    .trim_end_matches("/Entries")
                    .to_string()
            }
        };
        let (_, v) = self.get_json(&svc, token).await?;
        Ok((svc, v))
    }

    /// `sel info`: entries (all pages read), the LogService's
    /// `MaxNumberOfRecords` and `OverWritePolicy`.
    pub async fn sel_info(&mut self) -> Result<(usize, Option<u64>, Option<String>), Error> {
        let session = self.login().await?;
        let token = session.as_ref().map(|(t, _)| t.as_str());
        let r = async {
            let (_, svc) = self.log_service(token).await?;
            let n = self.entries(token).await?.len();
            let max = svc.get("MaxNumberOfRecords").and_then(|x| x.as_u64());
            let policy = svc
                .get("OverWritePolicy")
                .and_then(|x| x.as_str())
                .map(str::to_string);
            Ok((n, max, policy))
        }
        .await;
        if let Some((t, loc)) = &session {
            self.logout(t, loc.as_deref()).await;
        }
        r
    }

    /// `sel clear`: POST the LogService's `#LogService.ClearLog` action.
    pub async fn clear_log(&mut self) -> Result<(), Error> {
        let session = self.login().await?;
        let token = session.as_ref().map(|(t, _)| t.as_str());
        let r = async {
            let (svc, v) = self.log_service(token).await?;
            let target = v
                .pointer("/Actions/#LogService.ClearLog/target")
                .and_then(|x| x.as_str())
                .map(str::to_string)
                .unwrap_or_else(|| format!("{svc}/Actions/LogService.ClearLog"));
            let host = &self.name;
            let mut req = self
                .client
                .post(self.url(&target))
                .header("Content-Type", "application/json")
                .body("{}");
            req = match (self.auth, token) {
                (_, Some(t)) => req.header("X-Auth-Token", t),
                (_, None) => req.basic_auth(&self.creds.user, Some(self.creds.password.expose())),
            };
            let resp = req.send().await.map_err(|e| transport(host, &e))?;
            let status = resp.status();
            if !status.is_success() {
                return Err(bad_status(host, &target, &resp));
            }
            drain(resp).await;
            Ok(())
        }
        .await;
        if let Some((t, loc)) = &session {
            self.logout(t, loc.as_deref()).await;
        }
        r
    }

    async fn discover(&self, token: Option<&str>) -> Result<String, Error> {
        // Missing resources are skipped; auth and transport errors are not.
        let soft = |r: Result<(String, serde_json::Value), Error>| match r {
            Ok((_, v)) => Ok(Some(v)),
            Err(Error::Status { .. } | Error::Parse { .. }) => Ok(None),
            Err(e) => Err(e),
        };
        for coll in ["/redfish/v1/Systems", "/redfish/v1/Managers"] {
            let Some(v) = soft(self.get_json(coll, token).await)? else {
                continue;
            };
            for m in members(&v) {
                let Some(ls) = soft(self.get_json(&format!("{m}/LogServices"), token).await)?
                else {
                    continue;
                };
                for svc in members(&ls) {
                    let Some(s) = soft(self.get_json(&svc, token).await)? else {
                        continue;
                    };
                    let is_sel = s.get("LogEntryType").and_then(|x| x.as_str()) == Some("SEL")
                        || s.get("Id").and_then(|x| x.as_str()) == Some("SEL");
                    if is_sel {
                        let entries = s
                            .get("Entries")
                            .and_then(|e| e.get("@odata.id"))
                            .and_then(|x| x.as_str())
                            .map(str::to_string)
                            .unwrap_or_else(|| format!("{svc}/Entries"));
                        return Ok(entries);
                    }
                }
            }
        }
        Err(Error::Parse {
            origin: self.name.clone(),
            detail: "no SEL LogService found under Systems or Managers; set redfish_log to the Entries path".into(),
        })
    }

    async fn entries(&self, token: Option<&str>) -> Result<Vec<Event>, Error> {
        let first = match &self.entries_path {
            Some(p) => p.clone(),
            None => self.discover(token).await?,
        };
        let mut out = Vec::new();
        let mut next = Some(first);
        let mut pages = 0;
        // Every page fetched, to catch a nextLink chain that loops.
        let mut visited = std::collections::HashSet::new();
        let lim = self.limits;
        while let Some(path) = next.take() {
            pages += 1;
            // Compared as full URLs: the first path may lack a proxy
            // prefix that the service's links carry.
            if !visited.insert(self.url(&path).to_string()) {
                return Err(Error::Limit {
                    host: self.name.clone(),
                    detail: format!(
                        "Redfish page {pages}: Members@odata.nextLink {path:?} points to a page already read; the BMC's paging loops, so the SEL cannot be read completely (a firmware bug: report it to the vendor)"
                    ),
                });
            }
            if pages > lim.max_pages {
                return Err(Error::Limit {
                    host: self.name.clone(),
                    detail: format!(
                        "more than {} pages of Redfish log entries (max_pages / --max-pages) at {path:?}; the BMC's paging does not end",
                        lim.max_pages
                    ),
                });
            }
            let text = self.get_text(&path, token).await?;
            let (evs, n) = parse::parse_redfish_entries(&text, &self.name)?;
            drop(text);
            if out.len() + evs.len() > lim.max_entries {
                return Err(Error::Limit {
                    host: self.name.clone(),
                    detail: format!(
                        "more than {} Redfish log entries (max_entries / --max-entries) after page {pages}; a SEL holds at most 65,534 records, so the BMC's answer is not a SEL",
                        lim.max_entries
                    ),
                });
            }
            out.extend(evs);
            next = n.map(|n| {
                Url::parse(&n)
                    .map(|u| match u.query() {
                        Some(q) => format!("{}?{q}", u.path()),
                        None => u.path().to_string(),
                    })
                    .unwrap_or(n)
            });
        }
        for e in &mut out {
            e.host = Some(self.name.clone());
        }
        out.sort_by_key(|e| e.record_id);
        Ok(out)
    }
}

fn members(v: &serde_json::Value) -> Vec<String> {
    v.get("Members")
        .and_then(|m| m.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|m| {
                    m.get("@odata.id")
                        .and_then(|x| x.as_str())
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default()
}

impl SelSource for RedfishSource {
    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(&mut self) -> Result<Vec<Event>, Error> {
        for attempt in 0..2 {
            let session = self.login().await?;
            let token = session.as_ref().map(|(t, _)| t.as_str());
            let r = self.entries(token).await;
            if let Some((t, loc)) = &session {
                self.logout(t, loc.as_deref()).await;
            }
            match r {
                Err(Error::SessionExpired { .. }) if attempt == 0 => continue,
                other => return other,
            }
        }
        Err(Error::SessionExpired {
            host: self.name.clone(),
        })
    }
}

/// A saved file (XML, Redfish JSON, binary dump or hex text).
pub struct OfflineSource {
    name: String,
    path: PathBuf,
}

impl OfflineSource {
    /// New offline source.
    pub fn new(name: &str, path: impl Into<PathBuf>) -> Self {
        OfflineSource {
            name: name.into(),
            path: path.into(),
        }
    }
}

impl SelSource for OfflineSource {
    fn name(&self) -> &str {
        &self.name
    }

    async fn fetch(&mut self) -> Result<Vec<Event>, Error> {
        let path = self.path.clone();
        let bytes = tokio::task::spawn_blocking(move || {
            let name = path.display().to_string();
            let f = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
            crate::input::read_capped(f, &name)
        })
        .await
        .map_err(|e| Error::Transport {
            host: self.name.clone(),
            detail: format!("reading the file failed: {e}"),
        })??;
        let mut evs = parse::parse_any(&bytes, &self.path.display().to_string())?;
        for e in &mut evs {
            e.host = Some(self.name.clone());
        }
        Ok(evs)
    }
}

/// Any of the sources, so a fleet can mix kinds.
pub enum AnySource {
    /// Supermicro CGI.
    Supermicro(SupermicroSource),
    /// Redfish.
    Redfish(RedfishSource),
    /// Saved file.
    Offline(OfflineSource),
    /// IPMI over LAN (RMCP+).
    Lan(crate::lan::LanSource),
}

impl SelSource for AnySource {
    fn name(&self) -> &str {
        match self {
            AnySource::Supermicro(s) => s.name(),
            AnySource::Redfish(s) => s.name(),
            AnySource::Offline(s) => s.name(),
            AnySource::Lan(s) => s.name(),
        }
    }

    async fn fetch(&mut self) -> Result<Vec<Event>, Error> {
        match self {
            AnySource::Supermicro(s) => s.fetch().await,
            AnySource::Redfish(s) => s.fetch().await,
            AnySource::Offline(s) => s.fetch().await,
            AnySource::Lan(s) => s.fetch().await,
        }
    }

    fn free_bytes(&self) -> Option<u64> {
        match self {
            AnySource::Supermicro(s) => s.free_bytes(),
            AnySource::Redfish(s) => s.free_bytes(),
            AnySource::Offline(s) => s.free_bytes(),
            AnySource::Lan(s) => s.free_bytes(),
        }
    }
}
