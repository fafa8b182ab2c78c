//! Native IPMI v2.0 over LAN (RMCP+) client: no ipmitool, no FreeIPMI.
//!
//! [`Session::open`] runs Get Channel Authentication Capabilities, Open
//! Session and RAKP 1-4 over tokio UDP with cipher suite 17
//! (RAKP-HMAC-SHA256, HMAC-SHA256-128, AES-CBC-128) or 3 (RAKP-HMAC-SHA1,
//! HMAC-SHA1-96, AES-CBC-128); every later message is encrypted and signed.
//! Each request is sent up to `1 + retries` times, each try waiting
//! `timeout`, with a new session sequence number per try; answers are
//! matched by message tag or IPMI sequence number and command, so a late
//! answer to an earlier try is still taken and stray packets are ignored.
//!
//! On top: the SEL ([`Session::sel_info`], [`Session::reserve_sel`],
//! [`Session::sel_records`] walking record IDs, partial reads for BMCs that
//! refuse whole records, [`Session::clear_sel`]), the SDR repository
//! ([`Session::sdr_names`], sensor names as ipmitool prints them) and
//! [`LanSource`], the `ipmi` kind of [`crate::SelSource`].
//!
//! ```no_run
//! # async fn f() -> Result<(), ipmi_sel::lan::LanError> {
//! use ipmi_sel::lan::{LanOptions, Session};
//! let addr = "127.0.0.1:623".parse().unwrap();
//! let mut s = Session::open("bmc1", addr, "admin", b"secret", &LanOptions::default()).await?;
//! let records = s.sel_records().await?;
//! s.close().await;
//! # Ok(()) }
//! ```

pub mod wire;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;

use crate::decode::{RECORD_LEN, SelRecord};
use crate::error::Error;
use crate::event::Event;
use crate::source::{Credentials, SelSource};
use wire::{CipherSuite, Rakp1, Rakp2, Rakp34, SessionKeys, payload};

/// Network function App (requests).
pub const NETFN_APP: u8 = 0x06;
/// Network function Storage (requests).
pub const NETFN_STORAGE: u8 = 0x0a;

/// Get SEL Entry / Get SDR requests kept in flight at once while walking a
/// record chain (section 6.12.8 allows 64 outstanding sequence numbers; 16
/// stays inside the BMC's session sequence window).
pub const PIPELINE_DEPTH: usize = 16;

/// Privilege levels (section 6.8).
pub mod privilege {
    /// User.
    pub const USER: u8 = 0x02;
    /// Operator.
    pub const OPERATOR: u8 = 0x03;
    /// Administrator.
    pub const ADMINISTRATOR: u8 = 0x04;
}

/// How a session is opened and how long to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanOptions {
    /// Cipher suite; `None` tries 17 and falls back to 3 when the BMC
    /// refuses 17's algorithms.
    pub cipher_suite: Option<CipherSuite>,
    /// How long one try of a request waits for its answer.
    pub timeout: Duration,
    /// Further tries after the first one times out.
    pub retries: u32,
    /// Privilege requested in RAKP 1 (administrator, as ipmitool does).
    pub privilege: u8,
}

impl Default for LanOptions {
    fn default() -> Self {
        LanOptions {
            cipher_suite: None,
            timeout: Duration::from_secs(1),
            retries: 3,
            privilege: privilege::ADMINISTRATOR,
        }
    }
}

/// What can go wrong talking to a BMC over LAN. Every message names the host.
#[derive(Debug, thiserror::Error)]
pub enum LanError {
    /// No (valid) answer after every try.
    #[error("{host}: no answer to {what} after {tries} tries of {timeout:?} each{}; check the address and port (UDP 623), that IPMI over LAN is enabled on the BMC and that no firewall drops UDP", last.as_ref().map(|l| format!(" (ignored: {l})")).unwrap_or_default())]
    NoAnswer {
        /// Host.
        host: String,
        /// The request.
        what: String,
        /// Tries made.
        tries: u32,
        /// Wait per try.
        timeout: Duration,
        /// Why the last packet that did arrive was not taken.
        last: Option<String>,
    },
    /// The BMC refused the cipher suite(s).
    #[error("{host}: the BMC does not support cipher suite {} (Open Session: {status}); {}", suites.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(" nor "), if suites.len() > 1 { "the BMC offers neither RMCP+ suite this client speaks" } else { "try --cipher-suite 3 / cipher_suite = 3, or leave it unset to fall back from 17 to 3" })]
    UnsupportedCipherSuite {
        /// Host.
        host: String,
        /// Suites tried.
        suites: Vec<u8>,
        /// The BMC's status text.
        status: String,
    },
    /// The BMC does not know the user.
    #[error(
        "{host}: the BMC does not know user {user:?} (RAKP 2: unauthorized name); check the user name"
    )]
    UnknownUser {
        /// Host.
        host: String,
        /// User.
        user: String,
    },
    /// The password does not match the BMC's.
    #[error(
        "{host}: wrong password for user {user:?} (the BMC's RAKP 2 key exchange code does not match this password); check the password in the referenced env var / file"
    )]
    WrongPassword {
        /// Host.
        host: String,
        /// User.
        user: String,
    },
    /// The BMC refused a session step with an RMCP+ status code.
    #[error("{host}: {stage} refused: {text} (RMCP+ status 0x{status:02x}){}", hint(*status))]
    Refused {
        /// Host.
        host: String,
        /// The message.
        stage: &'static str,
        /// Status code.
        status: u8,
        /// Its text.
        text: &'static str,
    },
    /// An IPMI command ended with a completion code other than 0.
    #[error("{host}: {command} failed: {text} (completion code 0x{code:02x}){}", if *code == 0xd4 { "; the user needs a higher privilege level" } else { "" })]
    Completion {
        /// Host.
        host: String,
        /// The command.
        command: String,
        /// Completion code.
        code: u8,
        /// Its text.
        text: &'static str,
    },
    /// An answer that does not follow the protocol.
    #[error(
        "{host}: {what}: {detail}; the BMC's answer does not follow IPMI v2.0, report it with a packet capture"
    )]
    Protocol {
        /// Host.
        host: String,
        /// The request.
        what: String,
        /// What is wrong.
        detail: String,
    },
    /// A socket error.
    #[error("{host}: UDP socket error during {what}: {source}")]
    Io {
        /// Host.
        host: String,
        /// The request.
        what: String,
        /// Cause.
        source: std::io::Error,
    },
}

fn hint(status: u8) -> &'static str {
    match status {
        0x09..=0x0b => "; the user may not log in at the requested privilege level",
        0x01 => "; the BMC has no free session slot, retry later",
        _ => "",
    }
}

/// Answer check result: `Ok(Some)` take it, `Ok(None)` not ours (quietly
/// ignored), `Err` ignored with the reason remembered for the error.
type Check<T> = Result<Option<T>, String>;

/// Send what `build` makes, up to `1 + retries` times, until `check` takes
/// an answer.
async fn exchange<T>(
    sock: &UdpSocket,
    host: &str,
    opts: &LanOptions,
    what: &str,
    mut build: impl FnMut() -> Vec<u8>,
    mut check: impl FnMut(&[u8]) -> Check<T>,
) -> Result<T, LanError> {
    let mut buf = vec![0u8; 2048];
    let mut last = None;
    let tries = opts.retries.saturating_add(1);
    for _ in 0..tries {
        let pkt = build();
        sock.send(&pkt).await.map_err(|source| LanError::Io {
            host: host.into(),
            what: what.into(),
            source,
        })?;
        let deadline = tokio::time::Instant::now() + opts.timeout;
        loop {
            match tokio::time::timeout_at(deadline, sock.recv(&mut buf)).await {
                Err(_) => break,
                // ICMP port unreachable shows up as ECONNREFUSED on a
                // connected socket: count it as no answer and try again.
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    last = Some("ICMP port unreachable (nothing listens on that port)".into());
                    tokio::time::sleep_until(deadline).await;
                    break;
                }
                Ok(Err(source)) => {
                    return Err(LanError::Io {
                        host: host.into(),
                        what: what.into(),
                        source,
                    });
                }
                Ok(Ok(n)) => match check(&buf[..n]) {
                    Ok(Some(t)) => return Ok(t),
                    Ok(None) => {}
                    Err(reason) => last = Some(reason),
                },
            }
        }
    }
    Err(LanError::NoAnswer {
        host: host.into(),
        what: what.into(),
        tries,
        timeout: opts.timeout,
        last,
    })
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    if getrandom::fill(&mut b).is_err() {
        // No OS randomness: fall back to the clock (never expected on Linux).
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        for (i, x) in b.iter_mut().enumerate() {
            *x = (t >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(0x9d);
        }
    }
    b
}

/// Sliding window of received session sequence numbers (section 6.12.13):
/// a repeated or much older number is a replay and is dropped.
#[derive(Debug, Default)]
struct SeqWindow {
    highest: u32,
    seen: u32,
}

impl SeqWindow {
    fn accept(&mut self, seq: u32) -> bool {
        if seq == 0 {
            return false;
        }
        if seq > self.highest {
            let shift = seq - self.highest;
            self.seen = if shift >= 32 { 0 } else { self.seen << shift };
            self.seen |= 1;
            self.highest = seq;
            return true;
        }
        let back = self.highest - seq;
        if back >= 16 || self.seen & (1 << back) != 0 {
            return false;
        }
        self.seen |= 1 << back;
        true
    }
}

/// SEL Info (Get SEL Info, section 31.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelInfo {
    /// SEL version (0x51 for IPMI 1.5/2.0).
    pub version: u8,
    /// Entries in the SEL.
    pub entries: u16,
    /// Free space in bytes.
    pub free_bytes: u16,
    /// Most recent addition, seconds since 1970.
    pub last_add: u32,
    /// Most recent erase, seconds since 1970.
    pub last_erase: u32,
    /// Operation support flags (bit 1: Reserve SEL supported).
    pub operations: u8,
}

/// The sensor names of the SDR repository, keyed as ipmitool matches them
/// to SEL entries: (sensor owner / generator ID low byte, sensor number,
/// sensor type).
pub type SensorNames = HashMap<(u8, u8, u8), String>;

/// Most BMCs whose sensor names [`Session::sdr_names_cached`] keeps.
const SDR_CACHE_HOSTS: usize = 100_000;

type SdrCache = std::sync::Mutex<HashMap<String, (Vec<u8>, std::sync::Arc<SensorNames>)>>;

fn sdr_cache() -> &'static SdrCache {
    static CACHE: std::sync::OnceLock<SdrCache> = std::sync::OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// An active RMCP+ session with one BMC.
pub struct Session {
    host: String,
    sock: UdpSocket,
    opts: LanOptions,
    suite: CipherSuite,
    keys: SessionKeys,
    bmc_sid: u32,
    console_sid: u32,
    out_seq: u32,
    rq_seq: u8,
    window: SeqWindow,
    closed: bool,
    /// Requests kept in flight at once by [`Session::command_batch`];
    /// drops to 1 (one at a time) when a BMC leaves one unanswered.
    depth: usize,
    /// Round trips so far (see [`Session::round_trips`]).
    trips: u64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("host", &self.host)
            .field("suite", &self.suite)
            .field("bmc_sid", &self.bmc_sid)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Open a session with the BMC at `addr`; `host` names it in errors.
    /// The password is at most 20 bytes, the user name at most 16.
    pub async fn open(
        host: &str,
        addr: SocketAddr,
        user: &str,
        password: &[u8],
        opts: &LanOptions,
    ) -> Result<Session, LanError> {
        let bind: SocketAddr = if addr.is_ipv4() {
            "0.0.0.0:0".parse().unwrap_or(addr)
        } else {
            "[::]:0".parse().unwrap_or(addr)
        };
        let io = |what: &str| {
            let host = host.to_string();
            let what = what.to_string();
            move |source| LanError::Io { host, what, source }
        };
        let sock = UdpSocket::bind(bind).await.map_err(io("bind"))?;
        sock.connect(addr).await.map_err(io("connect"))?;
        channel_auth_caps(&sock, host, opts).await?;
        let suites: Vec<CipherSuite> = match opts.cipher_suite {
            Some(s) => vec![s],
            None => vec![CipherSuite::Sha256, CipherSuite::Sha1],
        };
        let mut tag = 0u8;
        let mut refused = None;
        for (tried, suite) in suites.iter().enumerate() {
            let console_sid = u32::from_le_bytes(random::<4>()) | 1;
            tag = tag.wrapping_add(1);
            match open_session(&sock, host, opts, *suite, console_sid, tag).await? {
                Ok(bmc_sid) => {
                    let mut s = rakp(
                        sock,
                        host,
                        opts,
                        *suite,
                        console_sid,
                        bmc_sid,
                        user,
                        password,
                        tag,
                    )
                    .await?;
                    // Each refused suite cost an Open Session.
                    s.trips += tried as u64;
                    return Ok(s);
                }
                Err(status) => refused = Some(status),
            }
        }
        Err(LanError::UnsupportedCipherSuite {
            host: host.into(),
            suites: suites.iter().map(|s| s.id()).collect(),
            status: refused
                .map(|s| format!("{} (0x{s:02x})", wire::rmcp_status_text(s)))
                .unwrap_or_default(),
        })
    }

    /// The host name used in errors.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The cipher suite the session runs with.
    pub fn cipher_suite(&self) -> CipherSuite {
        self.suite
    }

    /// Round trips to the BMC so far, opening the session included: each
    /// request waited for on its own counts one, a pipelined batch
    /// ([`Session::command_batch`]) one, a retry after a timeout another.
    /// What bounds the time of a SEL read (docs/BENCHMARKS.md).
    pub fn round_trips(&self) -> u64 {
        self.trips
    }

    /// Send an IPMI request inside the session; returns the completion code
    /// and the response data after it.
    pub async fn command_raw(
        &mut self,
        netfn: u8,
        cmd: u8,
        data: &[u8],
        what: &str,
    ) -> Result<(u8, Vec<u8>), LanError> {
        self.rq_seq = (self.rq_seq + 1) & 0x3f;
        self.trips += 1;
        let rq_seq = self.rq_seq;
        let msg = wire::encode_request(netfn, cmd, rq_seq, data);
        let Session {
            host,
            sock,
            opts,
            keys,
            bmc_sid,
            console_sid,
            out_seq,
            window,
            ..
        } = self;
        let (bmc_sid, console_sid) = (*bmc_sid, *console_sid);
        exchange(
            sock,
            host,
            opts,
            what,
            || {
                *out_seq = out_seq.wrapping_add(1).max(1);
                wire::encode_v2(
                    payload::IPMI,
                    bmc_sid,
                    *out_seq,
                    &msg,
                    Some(keys),
                    random::<16>(),
                )
            },
            |b| {
                let p = wire::parse_packet(b, Some(keys)).map_err(|e| e.to_string())?;
                if p.kind() != payload::IPMI || p.session_id != console_sid {
                    return Ok(None);
                }
                if p.payload_type & wire::AUTHENTICATED == 0 {
                    return Err("an unsigned packet inside the session".into());
                }
                let m = wire::parse_msg(&p.payload).map_err(|e| e.to_string())?;
                if m.rq_seq != rq_seq || m.cmd != cmd || m.netfn != netfn | 1 {
                    return Ok(None);
                }
                if !window.accept(p.seq) {
                    return Err(format!("replayed session sequence number {}", p.seq));
                }
                match m.data.split_first() {
                    Some((cc, rest)) => Ok(Some((*cc, rest.to_vec()))),
                    None => Err("a response without completion code".into()),
                }
            },
        )
        .await
    }

    /// [`Session::command_raw`], with a completion code other than 0 an error.
    pub async fn command(
        &mut self,
        netfn: u8,
        cmd: u8,
        data: &[u8],
        what: &str,
    ) -> Result<Vec<u8>, LanError> {
        let (cc, d) = self.command_raw(netfn, cmd, data, what).await?;
        if cc != 0 {
            return Err(self.completion(what, cc));
        }
        Ok(d)
    }

    /// Several requests of one command kept in flight at once (each with
    /// its own IPMI sequence number, IPMI 2.0 section 6.12.8 allows up to
    /// 64), answers matched by sequence number; returns each request's
    /// completion code and data, in request order. A request the BMC leaves
    /// unanswered within one timeout is sent again on its own (with
    /// retries, as [`Session::command_raw`]), and the session stops
    /// pipelining: some BMCs drop requests that arrive while they are busy.
    pub async fn command_batch(
        &mut self,
        netfn: u8,
        cmd: u8,
        reqs: &[Vec<u8>],
        what: &(dyn Fn(usize) -> String + Sync),
    ) -> Result<Vec<(u8, Vec<u8>)>, LanError> {
        let mut out: Vec<Option<(u8, Vec<u8>)>> = vec![None; reqs.len()];
        if reqs.len() > 1 && self.depth > 1 {
            self.trips += 1;
            let n = reqs.len().min(self.depth).min(32);
            let mut by_seq = [usize::MAX; 64];
            for (i, data) in reqs.iter().enumerate().take(n) {
                self.rq_seq = (self.rq_seq + 1) & 0x3f;
                by_seq[usize::from(self.rq_seq)] = i;
                self.out_seq = self.out_seq.wrapping_add(1).max(1);
                let msg = wire::encode_request(netfn, cmd, self.rq_seq, data);
                let pkt = wire::encode_v2(
                    payload::IPMI,
                    self.bmc_sid,
                    self.out_seq,
                    &msg,
                    Some(&self.keys),
                    random::<16>(),
                );
                self.sock.send(&pkt).await.map_err(|source| LanError::Io {
                    host: self.host.clone(),
                    what: what(i),
                    source,
                })?;
            }
            let mut buf = vec![0u8; 2048];
            let mut left = n;
            let deadline = tokio::time::Instant::now() + self.opts.timeout;
            while left > 0 {
                let got = match tokio::time::timeout_at(deadline, self.sock.recv(&mut buf)).await {
                    Err(_) => break,
                    Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
                    Ok(Err(source)) => {
                        return Err(LanError::Io {
                            host: self.host.clone(),
                            what: what(0),
                            source,
                        });
                    }
                    Ok(Ok(len)) => len,
                };
                let Ok(p) = wire::parse_packet(&buf[..got], Some(&self.keys)) else {
                    continue;
                };
                if p.kind() != payload::IPMI
                    || p.session_id != self.console_sid
                    || p.payload_type & wire::AUTHENTICATED == 0
                {
                    continue;
                }
                let Ok(m) = wire::parse_msg(&p.payload) else {
                    continue;
                };
                let i = by_seq[usize::from(m.rq_seq & 0x3f)];
                if m.cmd != cmd || m.netfn != netfn | 1 || i >= n || out[i].is_some() {
                    continue;
                }
                if !self.window.accept(p.seq) {
                    continue;
                }
                if let Some((cc, rest)) = m.data.split_first() {
                    out[i] = Some((*cc, rest.to_vec()));
                    left -= 1;
                }
            }
            if left > 0 {
                self.depth = 1;
            }
        }
        let mut res = Vec::with_capacity(reqs.len());
        for (i, o) in out.into_iter().enumerate() {
            res.push(match o {
                Some(a) => a,
                None => self.command_raw(netfn, cmd, &reqs[i], &what(i)).await?,
            });
        }
        Ok(res)
    }

    /// Walk a record chain (SEL 0x43 or SDR 0x23) from the first record:
    /// the first read on its own (it tells whether whole-record reads
    /// work), then the following IDs speculatively in pipelined batches
    /// ([`Session::command_batch`]), assuming consecutive record IDs (as
    /// every BMC we know numbers them). An answer whose next-record ID is
    /// not the following one ends the batch there and the walk continues at
    /// the ID the BMC named, so the chain the BMC gives is what is read;
    /// anything other than a whole record (partial reads needed, a
    /// cancelled reservation, an error) is read again with
    /// [`Session::read_record`]'s fallbacks.
    async fn walk(
        &mut self,
        get: u8,
        reserve: u8,
        noun: &str,
        empty_ok: bool,
    ) -> Result<Vec<Vec<u8>>, LanError> {
        let fixed_len = (get == 0x43).then_some(RECORD_LEN);
        let complete = |body: &[u8]| match fixed_len {
            Some(n) => body.len() >= n,
            None => body.len() >= 5 && body.len() >= 5 + usize::from(body[4]),
        };
        let mut res = 0u16;
        let mut out = Vec::new();
        let mut visited = std::collections::HashSet::new();
        let mut id = 0u16;
        let mut pipeline = true;
        loop {
            let what = format!("{noun} 0x{id:04x}");
            if !visited.insert(id) || visited.len() > 0x10000 {
                return Err(self.protocol(&what, "the next-record chain loops".into()));
            }
            // One record the careful way.
            let (next, data) = match self.read_record(get, reserve, &mut res, id, &what).await {
                Err(LanError::Completion { code: 0xcb, .. }) if id == 0 && empty_ok => break,
                r => r?,
            };
            // A BMC that needed partial reads (a reservation was taken for
            // them) gets no speculative whole reads.
            pipeline &= res == 0 && complete(&data);
            out.push(data);
            if next == 0xffff {
                break;
            }
            id = next;
            if !pipeline || id >= 0xfff0 {
                continue;
            }
            // Then batches of the following IDs. A batch as long as the
            // last run of consecutive IDs allows (doubling while they keep
            // coming, 2 after a gap), so a BMC with scattered IDs costs at
            // most twice the requests, never more round trips.
            let mut spec = PIPELINE_DEPTH;
            loop {
                let n = spec.min(self.depth).clamp(1, PIPELINE_DEPTH);
                let ids: Vec<u16> = (0..n as u16)
                    .map(|k| id.wrapping_add(k))
                    .take_while(|&x| x < 0xffff)
                    .collect();
                if ids.len() < 2 {
                    break;
                }
                let reqs: Vec<Vec<u8>> = ids
                    .iter()
                    .map(|x| {
                        let r = res.to_le_bytes();
                        let i = x.to_le_bytes();
                        vec![r[0], r[1], i[0], i[1], 0, 0xff]
                    })
                    .collect();
                let answers = self
                    .command_batch(NETFN_STORAGE, get, &reqs, &|i| {
                        format!("{noun} 0x{:04x}", ids[i])
                    })
                    .await?;
                let mut taken = 0;
                let mut jumped = false;
                for (x, (cc, d)) in ids.iter().zip(&answers) {
                    if *cc != 0 || d.len() < 2 || !complete(&d[2..]) {
                        break;
                    }
                    if !visited.insert(*x) {
                        return Err(self.protocol(
                            &format!("{noun} 0x{x:04x}"),
                            "the next-record chain loops".into(),
                        ));
                    }
                    let nx = u16::from_le_bytes([d[0], d[1]]);
                    out.push(d[2..].to_vec());
                    taken += 1;
                    id = nx;
                    if nx == 0xffff {
                        return Ok(out);
                    }
                    if nx != x.wrapping_add(1) {
                        jumped = true;
                        break;
                    }
                }
                if taken == ids.len() {
                    spec = (spec * 2).min(PIPELINE_DEPTH);
                } else if jumped && !visited.contains(&id) {
                    // The BMC named the next ID: batch on from there.
                    spec = 2;
                } else {
                    // An error or a partial answer: the careful path.
                    break;
                }
            }
        }
        Ok(out)
    }

    fn completion(&self, what: &str, cc: u8) -> LanError {
        LanError::Completion {
            host: self.host.clone(),
            command: what.into(),
            code: cc,
            text: wire::completion_text(cc),
        }
    }

    fn protocol(&self, what: &str, detail: String) -> LanError {
        LanError::Protocol {
            host: self.host.clone(),
            what: what.into(),
            detail,
        }
    }

    /// Set Session Privilege Level (section 22.18); Clear SEL needs operator.
    pub async fn set_privilege(&mut self, level: u8) -> Result<(), LanError> {
        self.command(NETFN_APP, 0x3b, &[level], "Set Session Privilege Level")
            .await
            .map(|_| ())
    }

    /// Close Session (section 22.19). The BMC may drop the session before
    /// answering, so one short try is made and its outcome ignored.
    pub async fn close(mut self) {
        self.closed = true;
        let sid = self.bmc_sid.to_le_bytes();
        self.opts.retries = 0;
        self.opts.timeout = self.opts.timeout.min(Duration::from_millis(300));
        let _ = self
            .command_raw(NETFN_APP, 0x3c, &sid, "Close Session")
            .await;
    }

    /// Get SEL Info (section 31.2).
    pub async fn sel_info(&mut self) -> Result<SelInfo, LanError> {
        let what = "Get SEL Info";
        let d = self.command(NETFN_STORAGE, 0x40, &[], what).await?;
        if d.len() < 14 {
            return Err(self.protocol(what, format!("{} data bytes, 14 expected", d.len())));
        }
        Ok(SelInfo {
            version: d[0],
            entries: u16::from_le_bytes([d[1], d[2]]),
            free_bytes: u16::from_le_bytes([d[3], d[4]]),
            last_add: u32::from_le_bytes([d[5], d[6], d[7], d[8]]),
            last_erase: u32::from_le_bytes([d[9], d[10], d[11], d[12]]),
            operations: d[13],
        })
    }

    /// Reserve SEL (section 31.4): the reservation ID partial reads and
    /// Clear SEL need. 0 when the BMC does not support reservations.
    pub async fn reserve_sel(&mut self) -> Result<u16, LanError> {
        self.reserve(0x42, "Reserve SEL").await
    }

    async fn reserve(&mut self, cmd: u8, what: &str) -> Result<u16, LanError> {
        let (cc, d) = self.command_raw(NETFN_STORAGE, cmd, &[], what).await?;
        match cc {
            0 if d.len() >= 2 => Ok(u16::from_le_bytes([d[0], d[1]])),
            0 => Err(self.protocol(what, format!("{} data bytes, 2 expected", d.len()))),
            0xc1 => Ok(0),
            _ => Err(self.completion(what, cc)),
        }
    }

    /// Read one record of the SEL (`get` 0x43) or the SDR repository (0x23):
    /// the whole record at once, or, when the BMC cannot return that many
    /// bytes (0xca) or returns fewer, in 16-byte pieces (halved while the BMC
    /// still refuses), the header first for the SDR's length. A cancelled
    /// reservation (0xc5) is renewed. Returns the next record ID and the data.
    async fn read_record(
        &mut self,
        get: u8,
        reserve: u8,
        res: &mut u16,
        id: u16,
        what: &str,
    ) -> Result<(u16, Vec<u8>), LanError> {
        let fixed_len = (get == 0x43).then_some(RECORD_LEN);
        let mut renewals = 0;
        let mut chunk: u8 = 16;
        let mut whole = true;
        let mut data: Vec<u8> = Vec::new();
        let mut next = 0xffff;
        loop {
            let (offset, count) = if whole {
                (0u8, 0xffu8)
            } else {
                let total = match fixed_len {
                    Some(n) => n,
                    // SDR: 5-byte header, its byte 4 is the length of the rest.
                    None if data.len() < 5 => 5,
                    None => 5 + usize::from(data[4]),
                };
                if data.len() >= total {
                    data.truncate(total);
                    return Ok((next, data));
                }
                let left = total - data.len();
                (data.len() as u8, (left.min(usize::from(chunk))) as u8)
            };
            let r = res.to_le_bytes();
            let i = id.to_le_bytes();
            let req = [r[0], r[1], i[0], i[1], offset, count];
            let (cc, d) = self.command_raw(NETFN_STORAGE, get, &req, what).await?;
            match cc {
                0 => {
                    if d.len() < 2 {
                        return Err(self.protocol(what, "answer without next record ID".into()));
                    }
                    next = u16::from_le_bytes([d[0], d[1]]);
                    let body = &d[2..];
                    if whole {
                        let complete = match fixed_len {
                            Some(n) => body.len() >= n,
                            None => body.len() >= 5 && body.len() >= 5 + usize::from(body[4]),
                        };
                        if complete {
                            return Ok((next, body.to_vec()));
                        }
                        // Short whole read: fall back to pieces.
                        whole = false;
                        data.clear();
                        continue;
                    }
                    if body.is_empty() || body.len() > usize::from(count) {
                        return Err(self.protocol(
                            what,
                            format!(
                                "asked for {count} bytes at offset {offset}, got {}",
                                body.len()
                            ),
                        ));
                    }
                    data.extend_from_slice(body);
                }
                0xca | 0xc7 | 0xc8 if whole || chunk > 1 => {
                    if whole {
                        whole = false;
                    } else {
                        chunk /= 2;
                    }
                    if *res == 0 {
                        *res = self.reserve(reserve, what).await?;
                    }
                }
                0xc5 if renewals < 3 => {
                    renewals += 1;
                    *res = self.reserve(reserve, what).await?;
                    data.clear();
                }
                _ => return Err(self.completion(what, cc)),
            }
        }
    }

    /// Every SEL record, oldest first, walking record IDs from the first
    /// (0x0000) until 0xFFFF. Stops with an error rather than loop when the
    /// BMC's next-record chain cycles.
    pub async fn sel_records(&mut self) -> Result<Vec<[u8; RECORD_LEN]>, LanError> {
        let info = self.sel_info().await?;
        self.sel_records_after(&info).await
    }

    /// [`Session::sel_records`] with the Get SEL Info answer already in
    /// hand (no second request for it).
    pub async fn sel_records_after(
        &mut self,
        info: &SelInfo,
    ) -> Result<Vec<[u8; RECORD_LEN]>, LanError> {
        if info.entries == 0 {
            return Ok(Vec::new());
        }
        let raw = self.walk(0x43, 0x42, "Get SEL Entry", true).await?;
        let mut out = Vec::with_capacity(raw.len());
        for data in raw {
            let Some(rec) = data.get(..RECORD_LEN) else {
                return Err(self.protocol(
                    "Get SEL Entry",
                    format!("record of {} bytes, 16 expected", data.len()),
                ));
            };
            let mut r = [0u8; RECORD_LEN];
            r.copy_from_slice(rec);
            out.push(r);
        }
        Ok(out)
    }

    /// Clear SEL (section 31.9): reserve, initiate erase, then ask for the
    /// erasure status until it reports completion.
    pub async fn clear_sel(&mut self) -> Result<(), LanError> {
        let what = "Clear SEL";
        self.set_privilege(privilege::OPERATOR.max(self.opts.privilege.min(4)))
            .await?;
        let res = self.reserve_sel().await?.to_le_bytes();
        let mut action = 0xaa;
        for _ in 0..50 {
            let d = self
                .command(
                    NETFN_STORAGE,
                    0x47,
                    &[res[0], res[1], b'C', b'L', b'R', action],
                    what,
                )
                .await?;
            if d.first().is_some_and(|p| p & 0x0f == 1) {
                return Ok(());
            }
            action = 0x00;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(self.protocol(
            what,
            "erasure still in progress after 50 status queries".into(),
        ))
    }

    /// Sensor names from the SDR repository (full, compact and event-only
    /// sensor records), keyed as ipmitool matches them to SEL entries. A
    /// BMC without an SDR repository gives an empty map.
    pub async fn sdr_names(&mut self) -> Result<SensorNames, LanError> {
        Ok(self.sdr_names_cached(None).await?.as_ref().clone())
    }

    /// [`Session::sdr_names`] through the process-wide cache under `key`
    /// (the BMC's address): the repository is read again only when Get SDR
    /// Repository Info's record count or most recent addition / erase
    /// timestamps changed since it was cached, so a `watch` or `serve`
    /// loop reads each BMC's SDRs once, not on every poll. `None`: no
    /// cache.
    pub async fn sdr_names_cached(
        &mut self,
        key: Option<&str>,
    ) -> Result<std::sync::Arc<SensorNames>, LanError> {
        let (cc, info) = self
            .command_raw(NETFN_STORAGE, 0x20, &[], "Get SDR Repository Info")
            .await?;
        if cc != 0 || info.len() < 3 || u16::from_le_bytes([info[1], info[2]]) == 0 {
            return Ok(std::sync::Arc::new(SensorNames::new()));
        }
        // Count (bytes 1-2) and the addition/erase timestamps (5-12).
        let mut stamp = info[1..3].to_vec();
        stamp.extend_from_slice(info.get(5..13).unwrap_or(&[]));
        let cache = sdr_cache();
        if let Some(k) = key
            && let Some((st, names)) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(k)
            && *st == stamp
        {
            return Ok(names.clone());
        }
        let names = std::sync::Arc::new(self.sdr_walk().await?);
        if let Some(k) = key {
            let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
            // Bounded: a fleet is at most a few thousand BMCs.
            if c.len() >= SDR_CACHE_HOSTS {
                c.clear();
            }
            c.insert(k.to_string(), (stamp, names.clone()));
        }
        Ok(names)
    }

    async fn sdr_walk(&mut self) -> Result<SensorNames, LanError> {
        let mut names = SensorNames::new();
        for rec in self.walk(0x23, 0x22, "Get SDR", false).await? {
            if let Some((key, name)) = sdr_sensor_name(&rec) {
                names.entry(key).or_insert(name);
            }
        }
        Ok(names)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.closed {
            // Best effort, no answer awaited: free the BMC's session slot.
            let sid = self.bmc_sid.to_le_bytes();
            self.rq_seq = (self.rq_seq + 1) & 0x3f;
            self.out_seq = self.out_seq.wrapping_add(1).max(1);
            let msg = wire::encode_request(NETFN_APP, 0x3c, self.rq_seq, &sid);
            let p = wire::encode_v2(
                payload::IPMI,
                self.bmc_sid,
                self.out_seq,
                &msg,
                Some(&self.keys),
                random::<16>(),
            );
            let _ = self.sock.try_send(&p);
        }
    }
}

/// The sensor key and ID string of a full (0x01), compact (0x02) or
/// event-only (0x03) sensor record; `None` for other records.
pub fn sdr_sensor_name(rec: &[u8]) -> Option<((u8, u8, u8), String)> {
    let (type_at, id_at) = match *rec.get(3)? {
        0x01 => (12, 47),
        0x02 => (12, 31),
        0x03 => (10, 16),
        _ => return None,
    };
    let owner = *rec.get(5)?;
    let number = *rec.get(7)?;
    let sensor_type = *rec.get(type_at)?;
    let tl = *rec.get(id_at)?;
    let len = usize::from(tl & 0x1f).min(16);
    let bytes = rec.get(id_at + 1..)?;
    let bytes = &bytes[..len.min(bytes.len())];
    // ipmitool prints the bytes as a C string.
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let name: String = bytes[..end].iter().map(|&b| char::from(b)).collect();
    Some(((owner, number, sensor_type), name))
}

async fn channel_auth_caps(
    sock: &UdpSocket,
    host: &str,
    opts: &LanOptions,
) -> Result<(), LanError> {
    let what = "Get Channel Authentication Capabilities";
    let mut seq = 0u8;
    let data = exchange(
        sock,
        host,
        opts,
        what,
        || {
            seq = (seq + 1) & 0x3f;
            // 0x8e: current channel, with IPMI v2.0 extended data.
            wire::encode_v15(&wire::encode_request(
                NETFN_APP,
                0x38,
                seq,
                &[0x8e, opts.privilege],
            ))
        },
        |b| {
            let p = wire::parse_packet(b, None).map_err(|e| e.to_string())?;
            let m = wire::parse_msg(&p.payload).map_err(|e| e.to_string())?;
            if m.cmd != 0x38 || m.netfn != NETFN_APP | 1 {
                return Ok(None);
            }
            Ok(Some(m.data))
        },
    )
    .await?;
    match data.first() {
        Some(0) if data.len() >= 9 => {
            // Byte 2 bit 7: extended data present; byte 4 bit 1: IPMI v2.0.
            if data[2] & 0x80 != 0 && data[4] & 0x02 == 0 {
                return Err(LanError::Protocol {
                    host: host.into(),
                    what: what.into(),
                    detail: "the BMC does not support IPMI v2.0 (RMCP+) sessions on this channel"
                        .into(),
                });
            }
            Ok(())
        }
        Some(&cc) if cc != 0 => Err(LanError::Completion {
            host: host.into(),
            command: what.into(),
            code: cc,
            text: wire::completion_text(cc),
        }),
        _ => Err(LanError::Protocol {
            host: host.into(),
            what: what.into(),
            detail: format!("{} data bytes, 9 expected", data.len()),
        }),
    }
}

/// An answer is for this console's session; error answers cut short after
/// the status byte carry no session ID (0), the tag alone matches them.
fn sid_matches(got: u32, ours: u32, status: u8) -> bool {
    got == ours || (status != 0 && got == 0)
}

/// Open Session: `Ok(Ok(bmc_sid))`, or `Ok(Err(status))` when the BMC
/// refused the algorithms.
async fn open_session(
    sock: &UdpSocket,
    host: &str,
    opts: &LanOptions,
    suite: CipherSuite,
    console_sid: u32,
    tag: u8,
) -> Result<Result<u32, u8>, LanError> {
    let what = format!("Open Session (cipher suite {})", suite.id());
    let req = wire::OpenSessionRequest {
        tag,
        max_privilege: opts.privilege,
        console_sid,
        algorithms: [suite.auth_alg(), suite.integrity_alg(), suite.crypt_alg()],
    }
    .encode();
    let r = exchange(
        sock,
        host,
        opts,
        &what,
        || wire::encode_v2(payload::OPEN_SESSION_REQUEST, 0, 0, &req, None, [0; 16]),
        |b| {
            let p = wire::parse_packet(b, None).map_err(|e| e.to_string())?;
            if p.kind() != payload::OPEN_SESSION_RESPONSE {
                return Ok(None);
            }
            let r = wire::OpenSessionResponse::parse(&p.payload).map_err(|e| e.to_string())?;
            if r.tag != tag || !sid_matches(r.console_sid, console_sid, r.status) {
                return Ok(None);
            }
            Ok(Some(r))
        },
    )
    .await?;
    match r.status {
        0 => {
            if r.algorithms != [suite.auth_alg(), suite.integrity_alg(), suite.crypt_alg()] {
                return Err(LanError::Protocol {
                    host: host.into(),
                    what,
                    detail: format!(
                        "the BMC chose algorithms {:?}, not the proposed cipher suite",
                        r.algorithms
                    ),
                });
            }
            Ok(Ok(r.bmc_sid))
        }
        0x04..=0x07 | 0x10 | 0x11 => Ok(Err(r.status)),
        s => Err(LanError::Refused {
            host: host.into(),
            stage: "Open Session",
            status: s,
            text: wire::rmcp_status_text(s),
        }),
    }
}

#[allow(clippy::too_many_arguments)]
async fn rakp(
    sock: UdpSocket,
    host: &str,
    opts: &LanOptions,
    suite: CipherSuite,
    console_sid: u32,
    bmc_sid: u32,
    user: &str,
    password: &[u8],
    mut tag: u8,
) -> Result<Session, LanError> {
    let uname = user.as_bytes();
    let kuid = wire::user_key(password);
    // Bit 4: name-only lookup (the user name alone selects the user).
    let role = 0x10 | (opts.privilege & 0x0f);
    let rm = random::<16>();
    tag = tag.wrapping_add(1);
    let m1 = Rakp1 {
        tag,
        bmc_sid,
        rm,
        role,
        user: uname.to_vec(),
    }
    .encode();
    let r2 = exchange(
        &sock,
        host,
        opts,
        "RAKP Message 1",
        || wire::encode_v2(payload::RAKP1, 0, 0, &m1, None, [0; 16]),
        |b| {
            let p = wire::parse_packet(b, None).map_err(|e| e.to_string())?;
            if p.kind() != payload::RAKP2 {
                return Ok(None);
            }
            let r = Rakp2::parse(&p.payload).map_err(|e| e.to_string())?;
            if r.tag != tag || !sid_matches(r.console_sid, console_sid, r.status) {
                return Ok(None);
            }
            Ok(Some(r))
        },
    )
    .await?;
    match r2.status {
        0 => {}
        0x0d => {
            return Err(LanError::UnknownUser {
                host: host.into(),
                user: user.into(),
            });
        }
        s => {
            return Err(LanError::Refused {
                host: host.into(),
                stage: "RAKP 1",
                status: s,
                text: wire::rmcp_status_text(s),
            });
        }
    }
    let want = wire::rakp2_code(
        suite,
        &kuid,
        console_sid,
        bmc_sid,
        &rm,
        &r2.rc,
        &r2.guid,
        role,
        uname,
    );
    if r2.code.len() != suite.auth_code_len() {
        return Err(LanError::Protocol {
            host: host.into(),
            what: "RAKP Message 2".into(),
            detail: format!(
                "key exchange code of {} bytes, {} expected for cipher suite {}",
                r2.code.len(),
                suite.auth_code_len(),
                suite.id()
            ),
        });
    }
    if r2.code != want {
        return Err(LanError::WrongPassword {
            host: host.into(),
            user: user.into(),
        });
    }
    let sik = wire::session_integrity_key(suite, &kuid, &rm, &r2.rc, role, uname);
    tag = tag.wrapping_add(1);
    let m3 = Rakp34 {
        tag,
        status: 0,
        sid: bmc_sid,
        code: wire::rakp3_code(suite, &kuid, &r2.rc, console_sid, role, uname),
    }
    .encode();
    let r4 = exchange(
        &sock,
        host,
        opts,
        "RAKP Message 3",
        || wire::encode_v2(payload::RAKP3, 0, 0, &m3, None, [0; 16]),
        |b| {
            let p = wire::parse_packet(b, None).map_err(|e| e.to_string())?;
            if p.kind() != payload::RAKP4 {
                return Ok(None);
            }
            let r = Rakp34::parse(&p.payload).map_err(|e| e.to_string())?;
            if r.tag != tag || !sid_matches(r.sid, console_sid, r.status) {
                return Ok(None);
            }
            Ok(Some(r))
        },
    )
    .await?;
    if r4.status != 0 {
        // 0x0f here means the BMC found our RAKP 3 code wrong: its password
        // differs (only possible when RAKP 2 matched by chance, or a BMC key).
        if r4.status == 0x0f {
            return Err(LanError::WrongPassword {
                host: host.into(),
                user: user.into(),
            });
        }
        return Err(LanError::Refused {
            host: host.into(),
            stage: "RAKP 3",
            status: r4.status,
            text: wire::rmcp_status_text(r4.status),
        });
    }
    if r4.code != wire::rakp4_icv(suite, &sik, &rm, bmc_sid, &r2.guid) {
        return Err(LanError::Protocol {
            host: host.into(),
            what: "RAKP Message 4".into(),
            detail: "integrity check value does not match the session integrity key".into(),
        });
    }
    Ok(Session {
        host: host.into(),
        sock,
        opts: opts.clone(),
        suite,
        keys: SessionKeys::derive(suite, &sik),
        bmc_sid,
        console_sid,
        out_seq: 0,
        rq_seq: 0,
        window: SeqWindow::default(),
        closed: false,
        depth: PIPELINE_DEPTH,
        // Channel authentication capabilities, Open Session, RAKP 1 and 3.
        trips: 4,
    })
}

/// Split `ipmi://HOST[:PORT][/]` into host and port (623 by default);
/// IPv6 addresses go in brackets (`ipmi://[::1]:623`).
pub fn parse_url(url: &str) -> Option<(String, u16)> {
    let rest = url.trim().strip_prefix("ipmi://")?.trim_end_matches('/');
    if rest.is_empty() || rest.contains(['/', '@', '?', '#']) {
        return None;
    }
    if let Some(v6) = rest.strip_prefix('[') {
        let (h, tail) = v6.split_once(']')?;
        let port = match tail {
            "" => wire::PORT,
            t => t.strip_prefix(':')?.parse().ok()?,
        };
        return (!h.is_empty()).then(|| (h.to_string(), port));
    }
    match rest.split_once(':') {
        None => Some((rest.to_string(), wire::PORT)),
        Some((h, p)) if !h.is_empty() && !p.contains(':') => Some((h.to_string(), p.parse().ok()?)),
        _ => None,
    }
}

/// The `ipmi` source kind: the SEL of one BMC over RMCP+, with the SDR
/// repository's sensor names on each entry.
pub struct LanSource {
    name: String,
    host: String,
    port: u16,
    creds: Credentials,
    opts: LanOptions,
    clear: bool,
    free: Option<u64>,
    trips: Option<u64>,
}

impl LanSource {
    /// New source for `url` (`ipmi://HOST[:PORT]`).
    pub fn new(name: &str, url: &str, creds: Credentials, opts: LanOptions) -> Result<Self, Error> {
        let (host, port) = parse_url(url).ok_or_else(|| Error::Config {
            path: format!("host {name}"),
            detail: format!("url {url:?} is not ipmi://HOST[:PORT]; write e.g. ipmi://10.0.0.5 or ipmi://10.0.0.5:623"),
        })?;
        if creds.user.len() > 16 {
            return Err(Error::Config {
                path: format!("host {name}"),
                detail: "IPMI user names are at most 16 bytes".into(),
            });
        }
        if creds.password.expose().len() > 20 {
            return Err(Error::Config {
                path: format!("host {name}"),
                detail: "IPMI v2.0 passwords are at most 20 bytes; check the referenced password"
                    .into(),
            });
        }
        Ok(LanSource {
            name: name.into(),
            host,
            port,
            creds,
            opts,
            clear: false,
            free: None,
            trips: None,
        })
    }

    /// Clear the SEL after a successful read (explicit opt-in).
    pub fn clear_after_read(mut self, yes: bool) -> Self {
        self.clear = yes;
        self
    }

    async fn addr(&self) -> Result<SocketAddr, Error> {
        let mut it = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(|e| Error::Transport {
                host: self.name.clone(),
                detail: format!(
                    "cannot resolve {} ({e}); check the inventory url",
                    self.host
                ),
            })?;
        it.next().ok_or_else(|| Error::Transport {
            host: self.name.clone(),
            detail: format!("{} resolves to no address", self.host),
        })
    }
}

/// Read the whole SEL of an open session as events named after the SDR
/// repository's sensors.
pub async fn read_events(s: &mut Session, name: &str) -> Result<Vec<Event>, LanError> {
    let info = s.sel_info().await?;
    read_events_after(s, name, &info, None).await
}

/// [`read_events`] after Get SEL Info: the SEL first, then the SDR
/// repository only when a system event record needs a sensor name, through
/// the cache under `sdr_key` ([`Session::sdr_names_cached`]).
pub async fn read_events_after(
    s: &mut Session,
    name: &str,
    info: &SelInfo,
    sdr_key: Option<&str>,
) -> Result<Vec<Event>, LanError> {
    let records = s.sel_records_after(info).await?;
    let names = if records.iter().any(|r| r[2] == 0x02) {
        s.sdr_names_cached(sdr_key).await?
    } else {
        std::sync::Arc::new(SensorNames::new())
    };
    let mut out = Vec::with_capacity(records.len());
    for raw in &records {
        let Some(r) = SelRecord::from_slice(raw) else {
            continue;
        };
        out.push(to_event(&r, raw, &names, name));
    }
    Ok(out)
}

impl SelSource for LanSource {
    fn name(&self) -> &str {
        &self.name
    }

    /// Free SEL space from the Get SEL Info of the last fetch.
    fn free_bytes(&self) -> Option<u64> {
        self.free
    }

    async fn fetch(&mut self) -> Result<Vec<Event>, Error> {
        let mut s = self.session().await?;
        let key = self.cache_key();
        let r = match s.sel_info().await {
            Ok(info) => {
                self.free = Some(u64::from(info.free_bytes));
                read_events_after(&mut s, &self.name, &info, Some(&key)).await
            }
            Err(e) => Err(e),
        };
        let r = match r {
            Ok(evs) if self.clear => s.clear_sel().await.map(|()| evs),
            r => r,
        };
        // Close Session is one more.
        self.trips = Some(s.round_trips() + 1);
        s.close().await;
        Ok(r?)
    }
}

impl LanSource {
    /// The SDR cache key: the BMC's address as configured.
    fn cache_key(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    async fn session(&self) -> Result<Session, Error> {
        let addr = self.addr().await?;
        Ok(Session::open(
            &self.name,
            addr,
            &self.creds.user,
            self.creds.password.expose().as_bytes(),
            &self.opts,
        )
        .await?)
    }

    /// Round trips of the last [`SelSource::fetch`] ([`Session::round_trips`]
    /// plus Close Session), when there was one.
    pub fn round_trips(&self) -> Option<u64> {
        self.trips
    }

    /// Get SEL Info in a session of its own (`ipmi-sel sel info`).
    pub async fn sel_info(&mut self) -> Result<SelInfo, Error> {
        let mut s = self.session().await?;
        let r = s.sel_info().await;
        s.close().await;
        Ok(r?)
    }

    /// One SEL entry by record ID (`ipmi-sel sel get ID`), named after its
    /// sensor like [`read_events`]'s; `Ok(None)` when the BMC has no record
    /// with that ID.
    pub async fn sel_get(&mut self, id: u16) -> Result<Option<Event>, Error> {
        let mut s = self.session().await?;
        let key = self.cache_key();
        let r = get_event(&mut s, &self.name, id, &key).await;
        s.close().await;
        Ok(r?)
    }

    /// Clear SEL (`ipmi-sel sel clear --yes-clear`); needs a user allowed
    /// the operator privilege.
    pub async fn sel_clear(&mut self) -> Result<(), Error> {
        let mut s = self.session().await?;
        let r = s.clear_sel().await;
        s.close().await;
        Ok(r?)
    }
}

/// Record `id` of an open session's SEL as an event, `None` when absent.
async fn get_event(
    s: &mut Session,
    name: &str,
    id: u16,
    key: &str,
) -> Result<Option<Event>, LanError> {
    // Reserved only when partial reads turn out to be needed.
    let mut res = 0;
    let what = format!("Get SEL Entry 0x{id:04x}");
    let data = match s.read_record(0x43, 0x42, &mut res, id, &what).await {
        Err(LanError::Completion { code: 0xcb, .. }) => return Ok(None),
        r => r?.1,
    };
    let Some(r) = data.get(..RECORD_LEN).and_then(SelRecord::from_slice) else {
        return Err(s.protocol(
            &what,
            format!("record of {} bytes, 16 expected", data.len()),
        ));
    };
    // ID 0 and 0xFFFF mean first and last: the answer says which it was.
    let names = if r.system().is_some() {
        s.sdr_names_cached(Some(key)).await?
    } else {
        std::sync::Arc::new(SensorNames::new())
    };
    Ok(Some(to_event(&r, &data, &names, name)))
}

/// One SEL record as an event with its sensor's name from `names`.
fn to_event(r: &SelRecord, raw: &[u8], names: &SensorNames, host: &str) -> Event {
    let mut ev = Event::from_record(r);
    if let Some(e) = r.system() {
        ev.sensor_name = names
            .get(&(raw[7], e.sensor_number, e.sensor_type))
            .cloned();
    }
    ev.host = Some(host.to_string());
    ev
}

impl From<LanError> for Error {
    fn from(e: LanError) -> Self {
        Error::Lan(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(parse_url("ipmi://10.0.0.5"), Some(("10.0.0.5".into(), 623)));
        assert_eq!(
            parse_url("ipmi://bmc1.example:6230/"),
            Some(("bmc1.example".into(), 6230))
        );
        assert_eq!(parse_url("ipmi://[::1]:624"), Some(("::1".into(), 624)));
        assert_eq!(parse_url("ipmi://[::1]"), Some(("::1".into(), 623)));
        for bad in [
            "http://x",
            "ipmi://",
            "ipmi://a:b",
            "ipmi://u@h",
            "ipmi://h:1:2",
            "ipmi://h:70000",
        ] {
            assert_eq!(parse_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn sequence_window_drops_replays() {
        let mut w = SeqWindow::default();
        assert!(!w.accept(0));
        assert!(w.accept(1));
        assert!(!w.accept(1));
        assert!(w.accept(5));
        assert!(w.accept(3));
        assert!(!w.accept(3));
        assert!(w.accept(100));
        assert!(!w.accept(5));
    }

    #[test]
    fn sdr_names_of_each_sensor_record() {
        let mut compact = vec![0, 0, 0x51, 0x02, 0, 0x20, 0, 0x05, 7, 1, 0, 0, 0x13, 0x6f];
        compact.resize(31, 0);
        compact.push(0xc0 | 7);
        compact.extend_from_slice(b"PCI BUS");
        assert_eq!(
            sdr_sensor_name(&compact),
            Some(((0x20, 0x05, 0x13), "PCI BUS".into()))
        );
        let mut ev = vec![
            0, 0, 0x51, 0x03, 0, 0x20, 0, 0x51, 7, 1, 0x05, 0x6f, 0, 0, 0, 0,
        ];
        ev.push(0xc0 | 3);
        ev.extend_from_slice(b"Chassis");
        assert_eq!(
            sdr_sensor_name(&ev),
            Some(((0x20, 0x51, 0x05), "Cha".into()))
        );
        assert_eq!(sdr_sensor_name(&[0, 0, 0x51, 0x12, 0]), None);
        assert_eq!(sdr_sensor_name(&compact[..20]), None);
    }
}
