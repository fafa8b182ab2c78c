//! Per-flow reassembly of the first bytes of each TCP direction, bounded per
//! flow and in total, turning segments into one [`Handshake`] per connection.
//!
//! The tracker knows nothing about packets or addresses: the caller gives a
//! direction-independent flow key `K` (any `Hash + Eq + Clone` type) and
//! which [`Side`] of that key sent the segment, and gets back the side that
//! turned out to be the client.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use crate::cert::{CertInfo, certificate_list};
use crate::hello::{ClientHello, ServerHello};
use crate::ja4::{Transport, ja4_over, ja4s};
use crate::record::{Flight, Progress, ServerOutcome, scan_client, scan_server_flight, sniff};
use crate::version::Version;

/// Hard limits of a [`Tracker`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes kept per direction of a flow while its hello is incomplete
    /// (on the server side also while the certificate chain after a TLS
    /// <= 1.2 ServerHello is). A hello that does not fit is abandoned; a
    /// chain that does not fit is left out of the row, the ServerHello
    /// stays ([`Stats::cert_truncated`]).
    pub per_direction: usize,
    /// Flows tracked at once; new flows beyond this are dropped (counted in
    /// [`Stats::dropped_capacity`]) after idle flows have been evicted.
    pub max_flows: usize,
    /// Bytes buffered over all flows at once.
    pub max_buffered: usize,
    /// A flow with no segment for this long (capture time) is evicted.
    pub idle_timeout_ns: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_direction: 16 * 1024,
            max_flows: 500_000,
            max_buffered: 64 * 1024 * 1024,
            idle_timeout_ns: 60_000_000_000,
        }
    }
}

/// One side of a direction-independent flow key, as the caller defines it
/// (for example `A` = the endpoint that sorts lower).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The first endpoint of the key.
    A,
    /// The second endpoint of the key.
    B,
}

impl Side {
    /// The other side.
    pub fn opposite(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// One TCP segment, as the tracker needs it.
#[derive(Clone, Copy, Debug)]
pub struct Segment<'a> {
    /// Frame number (1-based) in the capture.
    pub frame: u64,
    /// Capture timestamp, nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// TCP sequence number of the first payload byte.
    pub seq: u32,
    /// FIN flag.
    pub fin: bool,
    /// RST flag.
    pub rst: bool,
    /// SYN flag (a new connection on the same ports ends an old one).
    pub syn: bool,
    /// TCP payload.
    pub payload: &'a [u8],
}

/// What the ClientHello said (owned; the hello itself is not kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientInfo {
    /// Frame where the ClientHello started.
    pub frame: u64,
    /// Timestamp of that frame.
    pub ts_ns: i64,
    /// `legacy_version` of the hello.
    pub legacy_version: Version,
    /// Offered versions, strongest first (see [`ClientHello::offered_versions`]).
    pub offered: Vec<Version>,
    /// SNI host name, non-printable bytes escaped as `\xNN`.
    pub sni: Option<String>,
    /// ALPN protocols in the client's order (escaped like `sni`).
    pub alpn: Vec<String>,
    /// The JA4 fingerprint.
    pub ja4: String,
    /// True for an SSLv2-framed hello.
    pub sslv2: bool,
}

impl ClientInfo {
    /// Summarises a parsed ClientHello.
    pub fn from_hello(h: &ClientHello<'_>, frame: u64, ts_ns: i64) -> Self {
        Self::from_hello_over(h, frame, ts_ns, Transport::Tcp)
    }

    /// Summarises a ClientHello that travelled over `transport` (the JA4
    /// prefix: `t` TCP, `q` QUIC).
    pub fn from_hello_over(
        h: &ClientHello<'_>,
        frame: u64,
        ts_ns: i64,
        transport: Transport,
    ) -> Self {
        ClientInfo {
            frame,
            ts_ns,
            legacy_version: h.legacy_version,
            offered: h.offered_versions(),
            sni: h.sni().map(escape),
            alpn: h.alpn().map(escape).collect(),
            ja4: ja4_over(h, transport),
            sslv2: h.sslv2,
        }
    }

    /// The highest offered version.
    pub fn highest(&self) -> Version {
        self.offered.first().copied().unwrap_or(self.legacy_version)
    }
}

/// What the server answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerInfo {
    /// Frame where the server's answer started.
    pub frame: u64,
    /// Timestamp of that frame.
    pub ts_ns: i64,
    /// Negotiated version (`None` when the server answered with an alert).
    pub version: Option<Version>,
    /// Chosen cipher suite.
    pub cipher: Option<u16>,
    /// A HelloRetryRequest came first.
    pub hrr: bool,
    /// `(level, description)` of an alert sent instead of a ServerHello.
    pub alert: Option<(u8, u8)>,
    /// JA4S fingerprint of the ServerHello (`None` for an alert).
    pub ja4s: Option<String>,
    /// The certificate chain the server sent in the clear (TLS 1.2 and
    /// older; `None` for TLS 1.3, resumed sessions, anonymous suites, a
    /// Certificate message that was not captured whole or did not parse).
    /// Boxed: most handshakes have none, and the handshake moves through
    /// queues and sorts.
    pub certificate: Option<Box<CertInfo>>,
}

impl ServerInfo {
    /// Summarises a ServerHello (the real one, after any
    /// HelloRetryRequest: `hrr`) that travelled over `transport`.
    pub fn from_hello(
        h: &ServerHello<'_>,
        frame: u64,
        ts_ns: i64,
        hrr: bool,
        transport: Transport,
    ) -> Self {
        ServerInfo {
            frame,
            ts_ns,
            version: Some(h.version()),
            cipher: Some(h.cipher_suite),
            hrr,
            alert: None,
            ja4s: Some(ja4s(h, transport)),
            certificate: None,
        }
    }

    fn from_outcome(o: ServerOutcome<(Version, u16, String)>, frame: u64, ts_ns: i64) -> Self {
        match o {
            ServerOutcome::Hello {
                hello: (v, c, fp),
                hrr,
            } => ServerInfo {
                frame,
                ts_ns,
                version: Some(v),
                cipher: Some(c),
                hrr,
                alert: None,
                ja4s: Some(fp),
                certificate: None,
            },
            ServerOutcome::Alert {
                level,
                description,
                hrr,
            } => ServerInfo {
                frame,
                ts_ns,
                version: None,
                cipher: None,
                hrr,
                alert: Some((level, description)),
                ja4s: None,
                certificate: None,
            },
        }
    }
}

fn server_summary(h: &ServerHello<'_>) -> (Version, u16, String) {
    (h.version(), h.cipher_suite, ja4s(h, Transport::Tcp))
}

/// A protocol the TLS handshake was wrapped in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Wrap {
    /// TDS PRELOGIN packets (Microsoft SQL Server, TDS 7.x; see [`crate::tds`]).
    Tds,
}

impl Wrap {
    /// Short name for reports (`tds`).
    pub fn name(self) -> &'static str {
        match self {
            Wrap::Tds => "tds",
        }
    }
}

/// Scans a client direction's bytes (TDS-unwrapped when `tds`).
fn client_scan(buf: &[u8], tds: bool, frame: u64, ts: i64) -> Progress<ClientInfo> {
    let f = |h: &ClientHello<'_>| ClientInfo::from_hello(h, frame, ts);
    if tds {
        scan_client(&crate::tds::unwrap(buf, false), f)
    } else {
        scan_client(buf, f)
    }
}

/// Scans a server direction's bytes (TDS-unwrapped when `tds`) for its
/// answer and certificate chain (whose `expired` is judged at `ts`).
fn server_scan(
    buf: &[u8],
    tds: bool,
    ts: i64,
) -> Flight<(Version, u16, String), Option<Box<CertInfo>>> {
    let cert = |body: &[u8]| {
        certificate_list(body)
            .ok()
            .map(|chain| Box::new(CertInfo::from_chain(&chain, ts)))
    };
    if tds {
        scan_server_flight(&crate::tds::unwrap(buf, true), server_summary, cert)
    } else {
        scan_server_flight(buf, server_summary, cert)
    }
}

fn server_info(
    o: ServerOutcome<(Version, u16, String)>,
    cert: Option<Box<CertInfo>>,
    frame: u64,
    ts: i64,
) -> Box<ServerInfo> {
    let mut s = ServerInfo::from_outcome(o, frame, ts);
    s.certificate = cert;
    Box::new(s)
}

/// Why a handshake record was emitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The server's hello (or alert) was seen.
    Complete,
    /// A FIN was seen before the server answered.
    Fin,
    /// An RST was seen before the server answered.
    Rst,
    /// The flow was idle for longer than [`Limits::idle_timeout_ns`].
    Idle,
    /// A limit was hit (hello larger than [`Limits::per_direction`], or the
    /// total buffer cap).
    Capacity,
    /// The server's bytes were not a TLS answer.
    ServerNotTls,
    /// The input ended ([`Tracker::finish`]).
    EndOfInput,
    /// The client opened a new connection on the same ports (a SYN from
    /// the client after its ClientHello) before the server answered.
    NewConnection,
}

/// One TLS connection attempt: what each side said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handshake {
    /// The side of the key that is the client.
    pub client_side: Side,
    /// First frame of the handshake.
    pub first_frame: u64,
    /// Timestamp of that frame.
    pub first_seen_ns: i64,
    /// The ClientHello, if it was captured.
    pub client: Option<ClientInfo>,
    /// The server's answer, if it was captured.
    pub server: Option<ServerInfo>,
    /// Why the record was emitted.
    pub end: End,
    /// The protocol the handshake was wrapped in (`None`: bare TLS on the
    /// TCP stream, from its start or after a STARTTLS-style prelude).
    pub wrap: Option<Wrap>,
}

/// Counters of what the tracker saw and dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Flows started (a payload that looks like a hello).
    pub flows: u64,
    /// Handshakes emitted.
    pub emitted: u64,
    /// New flows refused because [`Limits::max_flows`] was reached.
    pub dropped_capacity: u64,
    /// Hellos abandoned because of a byte limit.
    pub truncated: u64,
    /// Flows that looked like TLS at first but did not parse.
    pub not_tls: u64,
    /// Highest number of flows tracked at once.
    pub peak_flows: u64,
    /// Highest number of bytes buffered at once.
    pub peak_buffered: u64,
    /// Server certificate chains not reported because they did not fit in
    /// [`Limits::per_direction`] (the row keeps the ServerHello).
    pub cert_truncated: u64,
}

impl Stats {
    /// Adds another tracker's counters (peaks are summed too: an upper bound).
    pub fn merge(&mut self, o: &Stats) {
        self.flows += o.flows;
        self.emitted += o.emitted;
        self.dropped_capacity += o.dropped_capacity;
        self.truncated += o.truncated;
        self.not_tls += o.not_tls;
        self.peak_flows += o.peak_flows;
        self.peak_buffered += o.peak_buffered;
        self.cert_truncated += o.cert_truncated;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DirState {
    Idle,
    Collecting,
    Done,
}

#[derive(Clone, Debug)]
struct Dir {
    state: DirState,
    next_seq: u32,
    first_frame: u64,
    first_ts: i64,
    buf: Vec<u8>,
    /// Out-of-order segments waiting for a gap to be filled: (seq, bytes).
    ooo: Vec<(u32, Vec<u8>)>,
}

impl Dir {
    fn new() -> Self {
        Dir {
            state: DirState::Idle,
            next_seq: 0,
            first_frame: 0,
            first_ts: 0,
            buf: Vec::new(),
            ooo: Vec::new(),
        }
    }
    fn held(&self) -> usize {
        self.buf.len() + self.ooo.iter().map(|(_, b)| b.len()).sum::<usize>()
    }
    fn release(&mut self) -> usize {
        let n = self.held();
        self.buf = Vec::new();
        self.ooo = Vec::new();
        n
    }
}

/// A flow in progress, handed from one tracker to another (see
/// [`Tracker::take_pending`]) when a capture is processed in chunks.
#[derive(Clone, Debug)]
pub struct PendingFlow {
    client_side: Side,
    first_frame: u64,
    first_ts: i64,
    last_ts: i64,
    client: Dir,
    server: Dir,
    client_info: Option<Box<ClientInfo>>,
    server_info: Option<Box<ServerInfo>>,
    /// Handshake already emitted: the entry only absorbs the rest of the
    /// connection (retransmitted hellos) until FIN/RST/SYN/idle.
    done: bool,
    /// The caller's hint (see [`Tracker::push_with`]).
    hint: u16,
    /// The handshake is wrapped in TDS packets.
    tds: bool,
}

impl PendingFlow {
    /// Frame number where this flow's handshake started.
    pub fn first_frame(&self) -> u64 {
        self.first_frame
    }
    /// Timestamp of the last segment seen.
    pub fn last_seen_ns(&self) -> i64 {
        self.last_ts
    }
    fn held(&self) -> usize {
        self.client.held() + self.server.held()
    }
    /// Adds `delta` to every frame number the flow holds (chunk-local frame
    /// numbers become absolute ones when chunks are merged).
    pub fn shift_frames(&mut self, delta: u64) {
        self.first_frame += delta;
        self.client.first_frame += delta;
        self.server.first_frame += delta;
        if let Some(c) = self.client_info.as_mut() {
            c.frame += delta;
        }
        if let Some(s) = self.server_info.as_mut() {
            s.frame += delta;
        }
    }
    /// True when the flow's ClientHello has been parsed.
    pub fn has_client_hello(&self) -> bool {
        self.client_info.is_some()
    }
}

impl Handshake {
    /// Adds `delta` to every frame number (see [`PendingFlow::shift_frames`]).
    pub fn shift_frames(&mut self, delta: u64) {
        self.first_frame += delta;
        if let Some(c) = self.client.as_mut() {
            c.frame += delta;
        }
        if let Some(s) = self.server.as_mut() {
            s.frame += delta;
        }
    }
}

/// A fast, non-cryptographic hasher (FxHash-style) for flow keys. Flow keys
/// come from captures, not from an adversary choosing hash collisions
/// against a long-running service, and the table is bounded by
/// [`Limits::max_flows`].
#[derive(Default, Clone, Copy)]
pub struct FlowHasher(u64);

impl Hasher for FlowHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.write_u64(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // Mix the high bits down: hashbrown uses the top 7 bits as tags.
        self.0 ^ (self.0 >> 29)
    }
}

/// Buckets of [`Tracker::may_await`].
const HINT_BUCKETS: usize = 1024;

/// Turns TCP segments of many flows into [`Handshake`] records.
///
/// ```
/// use tls_handshake::tracker::{Segment, Side, Tracker};
///
/// // A complete ClientHello in one segment, then the server's ServerHello.
/// let ch = netops_testkit::tls::hello::client_hello_record(&netops_testkit::tls::hello::ClientSpec::tls13("example.org"));
/// let sh = netops_testkit::tls::hello::server_hello_record(&netops_testkit::tls::hello::ServerSpec::tls13());
/// let mut t = Tracker::new(Default::default());
/// let mut out = Vec::new();
/// let seg = |frame, seq, payload| Segment { frame, ts_ns: 0, seq, fin: false, rst: false, syn: false, payload };
/// t.push("flow-1", Side::A, &seg(4, 1, &ch), &mut |k, h| out.push((k, h)));
/// t.push("flow-1", Side::B, &seg(5, 1, &sh), &mut |k, h| out.push((k, h)));
/// let (_, h) = &out[0];
/// assert_eq!(h.client_side, Side::A);
/// assert_eq!(h.client.as_ref().unwrap().sni.as_deref(), Some("example.org"));
/// assert_eq!(h.server.as_ref().unwrap().version, Some(tls_handshake::Version::TLS13));
/// ```
pub struct Tracker<K> {
    flows: HashMap<K, PendingFlow, BuildHasherDefault<FlowHasher>>,
    limits: Limits,
    buffered: usize,
    /// Flows still waiting for a hello (not tombstones).
    unfinished: usize,
    /// The same, per hint bucket.
    hints: Box<[u32; HINT_BUCKETS]>,
    now_ns: i64,
    last_sweep_ns: i64,
    stats: Stats,
}

impl<K: Hash + Eq + Clone> Tracker<K> {
    /// A tracker with the given limits.
    pub fn new(limits: Limits) -> Self {
        Tracker {
            flows: HashMap::default(),
            limits,
            buffered: 0,
            unfinished: 0,
            hints: Box::new([0; HINT_BUCKETS]),
            now_ns: i64::MIN,
            last_sweep_ns: i64::MIN,
            stats: Stats::default(),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Number of flows being tracked.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// True when no flow is tracked.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// Bytes currently buffered over all flows.
    pub fn buffered(&self) -> usize {
        self.buffered
    }

    /// True when `key` is being tracked.
    pub fn is_tracking(&self, key: &K) -> bool {
        !self.flows.is_empty() && self.flows.contains_key(key)
    }

    /// Feeds one segment sent by `side` of the flow `key`. Completed
    /// handshakes are passed to `emit`.
    #[inline]
    pub fn push(
        &mut self,
        key: K,
        side: Side,
        seg: &Segment<'_>,
        emit: &mut impl FnMut(K, Handshake),
    ) {
        self.push_with(key, 0, side, seg, true, emit);
    }

    /// Like [`push`](Self::push), but never starts a new flow: only flows
    /// already tracked (for example adopted with [`adopt`](Self::adopt)) advance.
    pub fn push_tracked(
        &mut self,
        key: K,
        side: Side,
        seg: &Segment<'_>,
        emit: &mut impl FnMut(K, Handshake),
    ) {
        self.push_with(key, 0, side, seg, false, emit);
    }

    /// The general form of [`push`](Self::push) (`new_flows`: whether a hello
    /// start may begin a new flow). `hint` is any value the caller derives
    /// cheaply and identically for both directions of a flow (for example
    /// `src_port ^ dst_port`); [`may_await`](Self::may_await) then tells,
    /// before the key is even built, whether a segment can matter.
    pub fn push_with(
        &mut self,
        key: K,
        hint: u16,
        side: Side,
        seg: &Segment<'_>,
        new_flows: bool,
        emit: &mut impl FnMut(K, Handshake),
    ) {
        let new = new_flows;
        if seg.ts_ns > self.now_ns {
            self.now_ns = seg.ts_ns;
            if !self.flows.is_empty()
                && self.now_ns.saturating_sub(self.last_sweep_ns) > self.limits.idle_timeout_ns / 4
            {
                self.sweep(emit);
            }
        }
        if !self.flows.is_empty()
            && let Some(flow) = self.flows.get_mut(&key)
        {
            flow.last_ts = flow.last_ts.max(seg.ts_ns);
            if flow.done {
                if seg.fin || seg.rst || seg.syn {
                    self.flows.remove(&key);
                }
                return;
            }
            if seg.syn && seg.payload.is_empty() && side == flow.client_side {
                // Port reuse: the old attempt is over, the new one starts
                // with its own ClientHello. (A server's SYN-ACK may be a
                // retransmission and is ignored.)
                if let Some(flow) = self.flows.remove(&key) {
                    self.finished(flow.hint);
                    self.retire(key, flow, End::NewConnection, emit);
                }
                return;
            }
            let step = advance(
                flow,
                side,
                seg,
                &self.limits,
                &mut self.buffered,
                &mut self.stats,
            );
            self.stats.peak_buffered = self.stats.peak_buffered.max(self.buffered as u64);
            let end = match step {
                Step::Continue if seg.rst => Some(End::Rst),
                Step::Continue if seg.fin => Some(End::Fin),
                Step::Continue => None,
                Step::End(e) => Some(e),
            };
            match end {
                Some(End::Complete) if !(seg.fin || seg.rst) => {
                    // Emit now, keep a tombstone for the rest of the connection.
                    let hs = Handshake {
                        client_side: flow.client_side,
                        first_frame: flow.first_frame,
                        first_seen_ns: flow.first_ts,
                        client: flow.client_info.take().map(|b| *b),
                        server: flow.server_info.take().map(|b| *b),
                        end: End::Complete,
                        wrap: flow.tds.then_some(Wrap::Tds),
                    };
                    self.buffered -= flow.client.release() + flow.server.release();
                    flow.done = true;
                    let h = flow.hint;
                    self.finished(h);
                    self.stats.emitted += 1;
                    emit(key, hs);
                }
                Some(end) => {
                    if let Some(flow) = self.flows.remove(&key) {
                        self.finished(flow.hint);
                        self.retire(key, flow, end, emit);
                    }
                }
                None => {}
            }
            return;
        }
        if !new || seg.payload.is_empty() {
            return;
        }
        let sn = sniff(seg.payload);
        if sn != crate::record::Sniff::No {
            self.start(key, hint, side, seg, sn.is_client(), sn.is_tds(), emit);
        }
    }

    #[cold]
    #[allow(clippy::too_many_arguments)]
    fn start(
        &mut self,
        key: K,
        hint: u16,
        side: Side,
        seg: &Segment<'_>,
        client: bool,
        tds: bool,
        emit: &mut impl FnMut(K, Handshake),
    ) {
        let mut flow = PendingFlow {
            client_side: if client { side } else { side.opposite() },
            first_frame: seg.frame,
            first_ts: seg.ts_ns,
            last_ts: seg.ts_ns,
            client: Dir::new(),
            server: Dir::new(),
            client_info: None,
            server_info: None,
            done: false,
            hint,
            tds,
        };
        // Fast path: the whole hello is in this segment, nothing is copied.
        let dir = if client {
            &mut flow.client
        } else {
            &mut flow.server
        };
        dir.first_frame = seg.frame;
        dir.first_ts = seg.ts_ns;
        dir.next_seq = seg.seq.wrapping_add(seg.payload.len() as u32);
        if client {
            match client_scan(seg.payload, tds, seg.frame, seg.ts_ns) {
                Progress::Done(info) => {
                    flow.client.state = DirState::Done;
                    flow.client_info = Some(Box::new(info));
                }
                Progress::NeedMore => flow.client.state = DirState::Collecting,
                Progress::Failed(_) => {
                    self.stats.not_tls += 1;
                    return;
                }
            }
        } else {
            match server_scan(seg.payload, tds, seg.ts_ns) {
                Flight::Done(o, cert) => {
                    self.stats.flows += 1;
                    self.stats.emitted += 1;
                    let server = server_info(o, cert.flatten(), seg.frame, seg.ts_ns);
                    let hs = Handshake {
                        client_side: flow.client_side,
                        first_frame: seg.frame,
                        first_seen_ns: seg.ts_ns,
                        client: None,
                        server: Some(*server),
                        end: End::Complete,
                        wrap: tds.then_some(Wrap::Tds),
                    };
                    if !(seg.fin || seg.rst) && self.flows.len() < self.limits.max_flows {
                        // A tombstone absorbs retransmissions of this hello.
                        flow.done = true;
                        self.flows.insert(key.clone(), flow);
                    }
                    emit(key, hs);
                    return;
                }
                Flight::NeedMore(hello) => {
                    flow.server.state = DirState::Collecting;
                    flow.server_info = hello.map(|o| server_info(o, None, seg.frame, seg.ts_ns));
                }
                Flight::Failed(_) => {
                    self.stats.not_tls += 1;
                    return;
                }
            }
        }
        self.stats.flows += 1;
        if seg.rst || seg.fin {
            let end = if seg.rst { End::Rst } else { End::Fin };
            self.retire(key, flow, end, emit);
            return;
        }
        let dir = if client {
            &mut flow.client
        } else {
            &mut flow.server
        };
        if dir.state == DirState::Collecting {
            let n = seg.payload.len().min(self.limits.per_direction);
            if self.buffered + n > self.limits.max_buffered {
                self.stats.truncated += 1;
                self.retire(key, flow, End::Capacity, emit);
                return;
            }
            dir.buf.extend_from_slice(&seg.payload[..n]);
            self.buffered += n;
            self.stats.peak_buffered = self.stats.peak_buffered.max(self.buffered as u64);
        }
        if self.flows.len() >= self.limits.max_flows {
            self.sweep(emit);
            if self.flows.len() >= self.limits.max_flows {
                // Tombstones are the cheapest to lose.
                self.flows.retain(|_, f| !f.done);
            }
            if self.flows.len() >= self.limits.max_flows {
                self.stats.dropped_capacity += 1;
                self.buffered -= flow.held();
                return;
            }
        }
        let h = flow.hint;
        self.flows.insert(key, flow);
        self.unfinished += 1;
        self.hints[usize::from(h) % HINT_BUCKETS] += 1;
        self.stats.peak_flows = self.stats.peak_flows.max(self.flows.len() as u64);
    }

    fn retire(
        &mut self,
        key: K,
        mut flow: PendingFlow,
        end: End,
        emit: &mut impl FnMut(K, Handshake),
    ) {
        self.buffered -= flow.client.release() + flow.server.release();
        if flow.client_info.is_none() && flow.server_info.is_none() {
            // Nothing worth reporting: neither hello was captured whole.
            return;
        }
        self.stats.emitted += 1;
        emit(key, handshake_of(flow, end));
    }

    /// Evicts flows idle for longer than the timeout (capture time).
    fn sweep(&mut self, emit: &mut impl FnMut(K, Handshake)) {
        self.last_sweep_ns = self.now_ns;
        let deadline = self.now_ns.saturating_sub(self.limits.idle_timeout_ns);
        if !self.flows.values().any(|f| f.last_ts < deadline) {
            return;
        }
        let mut idle: Vec<(K, PendingFlow)> = Vec::new();
        self.flows.retain(|k, f| {
            if f.last_ts < deadline {
                idle.push((k.clone(), f.clone()));
                false
            } else {
                true
            }
        });
        idle.sort_by_key(|(_, f)| f.first_frame);
        for (_, f) in &idle {
            if !f.done {
                self.finished(f.hint);
            }
        }
        for (k, f) in idle {
            self.retire(k, f, End::Idle, emit);
        }
    }

    /// Emits every flow still in progress (those whose ClientHello was seen)
    /// with [`End::EndOfInput`], in order of their first frame.
    pub fn finish(mut self, emit: &mut impl FnMut(K, Handshake)) -> Stats {
        for (k, f) in self.take_pending() {
            if f.client_info.is_some() || f.server_info.is_some() {
                self.stats.emitted += 1;
                emit(k, handshake_of(f, End::EndOfInput));
            }
        }
        self.stats
    }

    /// Removes and returns the flows in progress, in order of their first
    /// frame, so that the next chunk of a capture can finish them
    /// ([`adopt`](Self::adopt) + [`push_tracked`](Self::push_tracked)).
    /// Connections whose handshake was already emitted are not returned.
    pub fn take_pending(&mut self) -> Vec<(K, PendingFlow)> {
        let mut v: Vec<(K, PendingFlow)> = self.flows.drain().filter(|(_, f)| !f.done).collect();
        v.sort_by_key(|(_, f)| f.first_frame);
        self.buffered = 0;
        self.unfinished = 0;
        self.hints.fill(0);
        v
    }

    /// True when some flow still waits for a hello (connections already
    /// emitted, kept only to absorb retransmissions, do not count).
    #[inline]
    pub fn has_unfinished(&self) -> bool {
        self.unfinished > 0
    }

    /// False when no flow pushed with this `hint` waits for a hello: a
    /// caller may then skip building the key of a segment that is neither a
    /// hello start nor carries SYN/FIN/RST (see [`push_with`](Self::push_with)).
    #[inline]
    pub fn may_await(&self, hint: u16) -> bool {
        self.hints[usize::from(hint) % HINT_BUCKETS] > 0
    }

    fn finished(&mut self, hint: u16) {
        self.unfinished -= 1;
        self.hints[usize::from(hint) % HINT_BUCKETS] -= 1;
    }

    /// Checks the internal counters against the flow table (for tests).
    #[doc(hidden)]
    pub fn check_invariants(&self) {
        let unfinished = self.flows.values().filter(|f| !f.done).count();
        assert_eq!(self.unfinished, unfinished, "unfinished counter");
        let mut hints = [0u32; HINT_BUCKETS];
        for f in self.flows.values().filter(|f| !f.done) {
            hints[usize::from(f.hint) % HINT_BUCKETS] += 1;
        }
        assert!(hints == *self.hints, "hint counters");
        let held: usize = self.flows.values().map(PendingFlow::held).sum();
        assert_eq!(self.buffered, held, "buffered counter");
    }

    /// Keys of connections whose handshake was emitted and which are still
    /// open (no FIN/RST/SYN or idle timeout since). A chunked reader uses
    /// them to ignore retransmitted hellos at the start of the next chunk.
    pub fn completed_keys(&self) -> Vec<K> {
        self.flows
            .iter()
            .filter(|(_, f)| f.done)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Takes over a flow from another tracker.
    pub fn adopt(&mut self, key: K, flow: PendingFlow) {
        self.buffered += flow.held();
        self.now_ns = self.now_ns.max(flow.last_ts);
        if !flow.done {
            self.unfinished += 1;
            self.hints[usize::from(flow.hint) % HINT_BUCKETS] += 1;
        }
        self.flows.insert(key, flow);
    }
}

fn handshake_of(flow: PendingFlow, end: End) -> Handshake {
    Handshake {
        client_side: flow.client_side,
        first_frame: flow.first_frame,
        first_seen_ns: flow.first_ts,
        client: flow.client_info.map(|b| *b),
        server: flow.server_info.map(|b| *b),
        end,
        wrap: flow.tds.then_some(Wrap::Tds),
    }
}

enum Step {
    Continue,
    End(End),
}

/// Adds a segment to its direction and rescans it.
fn advance(
    flow: &mut PendingFlow,
    side: Side,
    seg: &Segment<'_>,
    limits: &Limits,
    buffered: &mut usize,
    stats: &mut Stats,
) -> Step {
    if seg.payload.is_empty() {
        return Step::Continue;
    }
    let is_client = side == flow.client_side;
    let dir = if is_client {
        &mut flow.client
    } else {
        &mut flow.server
    };
    match dir.state {
        DirState::Done => return Step::Continue,
        DirState::Idle => {
            dir.state = DirState::Collecting;
            dir.first_frame = seg.frame;
            dir.first_ts = seg.ts_ns;
            dir.next_seq = seg.seq;
        }
        DirState::Collecting => {}
    }
    let before = dir.held();
    let grew = add_segment(dir, seg.seq, seg.payload, limits.per_direction);
    let after = dir.held();
    *buffered = *buffered + after - before;
    if *buffered > limits.max_buffered {
        stats.truncated += 1;
        return Step::End(End::Capacity);
    }
    if !grew {
        return Step::Continue;
    }
    if is_client {
        let (frame, ts) = (dir.first_frame, dir.first_ts);
        match client_scan(&dir.buf, flow.tds, frame, ts) {
            Progress::Done(info) => {
                dir.state = DirState::Done;
                *buffered -= dir.release();
                flow.client_info = Some(Box::new(info));
                Step::Continue
            }
            Progress::NeedMore if dir.buf.len() >= limits.per_direction => {
                stats.truncated += 1;
                Step::End(End::Capacity)
            }
            Progress::NeedMore => Step::Continue,
            Progress::Failed(_) => {
                // Without a ClientHello there is nothing to report: `retire`
                // drops the flow because `client_info` is None.
                stats.not_tls += 1;
                Step::End(End::ServerNotTls)
            }
        }
    } else {
        let (frame, ts) = (dir.first_frame, dir.first_ts);
        match server_scan(&dir.buf, flow.tds, ts) {
            Flight::Done(o, cert) => {
                dir.state = DirState::Done;
                *buffered -= dir.release();
                flow.server_info = Some(server_info(o, cert.flatten(), frame, ts));
                Step::End(End::Complete)
            }
            Flight::NeedMore(hello) => {
                let full = dir.buf.len() >= limits.per_direction;
                match hello {
                    // The ServerHello is known; its certificate chain is
                    // still coming (or did not fit: the row keeps the hello).
                    Some(o) => {
                        flow.server_info = Some(server_info(o, None, frame, ts));
                        if full {
                            stats.cert_truncated += 1;
                            return Step::End(End::Capacity);
                        }
                        Step::Continue
                    }
                    None if full => {
                        stats.truncated += 1;
                        Step::End(End::Capacity)
                    }
                    None => Step::Continue,
                }
            }
            Flight::Failed(_) => {
                stats.not_tls += 1;
                Step::End(End::ServerNotTls)
            }
        }
    }
}

/// Adds a segment at `seq` to a direction. Returns true when contiguous
/// bytes were appended (so a rescan can make progress).
fn add_segment(dir: &mut Dir, seq: u32, payload: &[u8], cap: usize) -> bool {
    let rel = seq.wrapping_sub(dir.next_seq) as i32;
    if rel > 0 {
        // A gap: keep a few out-of-order segments until it is filled.
        if dir.ooo.len() < 8 && dir.held() + payload.len() <= cap {
            dir.ooo.push((seq, payload.to_vec()));
        }
        return false;
    }
    let skip = rel.unsigned_abs() as usize;
    if skip >= payload.len() {
        return false; // a retransmission of bytes already held
    }
    append(dir, &payload[skip..], cap);
    while let Some(i) = dir
        .ooo
        .iter()
        .position(|(s, _)| s.wrapping_sub(dir.next_seq) as i32 <= 0)
    {
        let (s, b) = dir.ooo.swap_remove(i);
        let skip = dir.next_seq.wrapping_sub(s) as usize;
        if skip < b.len() {
            append(dir, &b[skip..], cap);
        }
    }
    true
}

fn append(dir: &mut Dir, bytes: &[u8], cap: usize) {
    let n = bytes.len().min(cap.saturating_sub(dir.buf.len()));
    dir.buf.extend_from_slice(&bytes[..n]);
    dir.next_seq = dir.next_seq.wrapping_add(bytes.len() as u32);
}

/// Printable ASCII as is, everything else (and `\`) as `\xNN`.
pub fn escape(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for &c in b {
        if c.is_ascii_graphic() && c != b'\\' {
            s.push(char::from(c));
        } else {
            s.push_str(&format!("\\x{c:02x}"));
        }
    }
    s
}
