//! QUIC connections over a capture: Initial packets in, one
//! [`Handshake`] per connection out.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash};

use super::frames::{CryptoStream, Frame, frames};
use super::{InitialKeys, LongHeader, PacketType, open};
use crate::hello::{ClientHello, HANDSHAKE_CLIENT_HELLO, HANDSHAKE_SERVER_HELLO, ServerHello};
use crate::ja4::Transport;
use crate::tracker::{ClientInfo, End, FlowHasher, Handshake, Limits, ServerInfo, Side, Stats};

#[derive(Clone, Debug, Default)]
struct Dir {
    stream: CryptoStream,
    largest_pn: Option<u64>,
    /// Frame and time of the first packet whose CRYPTO data was taken.
    first: Option<(u64, i64)>,
    done: bool,
}

#[derive(Debug)]
struct Conn {
    /// `None` once the handshake was reported (a tombstone).
    keys: Option<Box<InitialKeys>>,
    /// The client's original DCID and the server's SCID: a later client
    /// Initial carrying either belongs to this connection.
    odcid: Vec<u8>,
    server_cid: Option<Vec<u8>>,
    client_side: Side,
    first_frame: u64,
    first_ts: i64,
    last_ts: i64,
    client: Dir,
    server: Dir,
    client_info: Option<ClientInfo>,
    server_info: Option<ServerInfo>,
    emitted: bool,
    /// The server sent a Retry: the client's next Initial uses new keys.
    retry: bool,
}

impl Conn {
    fn held(&self) -> usize {
        self.client.stream.held() + self.server.stream.held()
    }

    fn handshake(&mut self, end: End) -> Handshake {
        Handshake {
            client_side: self.client_side,
            first_frame: self.first_frame,
            first_seen_ns: self.first_ts,
            client: self.client_info.take(),
            server: self.server_info.take(),
            end,
            wrap: None,
        }
    }
}

/// Reassembles the hellos of QUIC connections from their Initial packets.
///
/// Connections are keyed by the caller's direction-independent flow key
/// (the UDP 5-tuple) and recognised by the client's first Initial, which
/// decrypts with keys derived from its own Destination Connection ID; the
/// server's Initials (and the client's later ones, whatever their DCID)
/// decrypt with the keys of that original DCID. A client Initial on the
/// same 5-tuple that needs other keys starts a new connection, unless the
/// server sent a Retry (then the keys change, the connection stays).
/// A handshake is reported when the ServerHello is complete, or when the
/// connection goes idle or the input ends; afterwards the entry stays as a
/// tombstone so that retransmitted Initials do not report it again.
///
/// ```
/// use tls_handshake::quic::QuicTracker;
/// use tls_handshake::tracker::Side;
/// use netops_testkit::tls::quic::{InitialSpec, client_initials, server_initials};
/// use netops_testkit::tls::hello::{ClientSpec, ServerSpec};
///
/// let spec = InitialSpec::v1(b"\x83\x94\xc8\xf0\x3e\x51\x57\x08");
/// let ch = client_initials(&spec, &ClientSpec::tls13("example.org"));
/// let sh = server_initials(&spec, &ServerSpec::tls13());
/// let mut t = QuicTracker::new(Default::default());
/// let mut rows = Vec::new();
/// for d in &ch {
///     t.push("flow", Side::A, 1, 0, d, &mut |k, h| rows.push((k, h)));
/// }
/// for d in &sh {
///     t.push("flow", Side::B, 2, 0, d, &mut |k, h| rows.push((k, h)));
/// }
/// let (_, h) = &rows[0];
/// assert_eq!(h.client.as_ref().unwrap().sni.as_deref(), Some("example.org"));
/// assert!(h.client.as_ref().unwrap().ja4.starts_with("q13d"));
/// ```
pub struct QuicTracker<K> {
    conns: HashMap<K, Conn, BuildHasherDefault<FlowHasher>>,
    limits: Limits,
    scratch: Vec<u8>,
    buffered: usize,
    now_ns: i64,
    last_sweep_ns: i64,
    stats: Stats,
}

impl<K: Hash + Eq + Clone> QuicTracker<K> {
    /// A tracker with the given limits (`per_direction` caps each CRYPTO
    /// stream, `max_flows` the connections, `max_buffered` the bytes held,
    /// `idle_timeout_ns` ends a connection).
    pub fn new(limits: Limits) -> Self {
        QuicTracker {
            conns: HashMap::default(),
            limits,
            scratch: Vec::new(),
            buffered: 0,
            now_ns: i64::MIN,
            last_sweep_ns: i64::MIN,
            stats: Stats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Connections tracked (tombstones included).
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// True when nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// True when a connection whose first frame lies in `frames` has not
    /// been reported yet (a split scan reads past its region until the
    /// connections that started inside it are done).
    pub fn has_unfinished_in(&self, frames: std::ops::Range<u64>) -> bool {
        self.conns
            .values()
            .any(|c| !c.emitted && frames.contains(&c.first_frame))
    }

    /// True when `key` is tracked (its handshake in progress, or reported
    /// and kept to absorb retransmissions).
    pub fn is_tracking(&self, key: &K) -> bool {
        self.conns.contains_key(key)
    }

    /// True when some connection's handshake is not reported yet and it
    /// was active within the idle timeout before `now_ns` (one idle for
    /// longer is reported as it is at the next sweep anyway). Walks the
    /// connections: call it now and then, not per packet.
    pub fn has_unfinished(&self, now_ns: i64) -> bool {
        let deadline = now_ns.saturating_sub(self.limits.idle_timeout_ns);
        self.conns
            .values()
            .any(|c| !c.emitted && c.last_ts >= deadline)
    }

    /// Feeds one UDP datagram sent by `side` of the flow `key` (all its
    /// coalesced long-header packets). Reported handshakes go to `emit`.
    /// Returns true when the datagram held at least one long-header
    /// packet of a known QUIC version.
    pub fn push(
        &mut self,
        key: K,
        side: Side,
        frame: u64,
        ts_ns: i64,
        datagram: &[u8],
        emit: &mut impl FnMut(K, Handshake),
    ) -> bool {
        if ts_ns > self.now_ns {
            self.now_ns = ts_ns;
            if !self.conns.is_empty()
                && self.now_ns.saturating_sub(self.last_sweep_ns) > self.limits.idle_timeout_ns / 4
            {
                self.sweep(emit);
            }
        }
        let mut off = 0;
        let mut any = false;
        while let Some(rest) = datagram.get(off..).filter(|r| !r.is_empty()) {
            let Ok(hdr) = LongHeader::parse(rest) else {
                break;
            };
            any = true;
            match hdr.packet_type {
                PacketType::Initial => self.initial(&key, side, frame, ts_ns, rest, &hdr, emit),
                PacketType::Retry => {
                    if let Some(c) = self.conns.get_mut(&key)
                        && c.client_side != side
                    {
                        c.retry = true;
                    }
                }
                PacketType::Handshake | PacketType::ZeroRtt => {}
            }
            off += hdr.end;
        }
        any
    }

    #[allow(clippy::too_many_arguments)]
    fn initial(
        &mut self,
        key: &K,
        side: Side,
        frame: u64,
        ts_ns: i64,
        pkt: &[u8],
        hdr: &LongHeader<'_>,
        emit: &mut impl FnMut(K, Handshake),
    ) {
        if let Some(c) = self.conns.get_mut(key) {
            c.last_ts = c.last_ts.max(ts_ns);
            let from_client = side == c.client_side;
            if c.emitted {
                // A retransmission of the reported handshake, or (from the
                // client, with a new DCID) a new connection.
                if !from_client
                    || hdr.dcid == c.odcid.as_slice()
                    || c.server_cid.as_deref() == Some(hdr.dcid)
                {
                    return;
                }
            } else if let Some(keys) = c.keys.as_deref() {
                let k = if from_client {
                    &keys.client
                } else {
                    &keys.server
                };
                let dir = if from_client { &c.client } else { &c.server };
                if let Ok(o) = open(pkt, hdr, k, dir.largest_pn, &mut self.scratch) {
                    if !from_client && c.server_cid.is_none() {
                        c.server_cid = Some(hdr.scid.to_vec());
                    }
                    let payload = &self.scratch[o.header_len..];
                    self.absorb(key, from_client, o.pn, frame, ts_ns, payload.len(), emit);
                    return;
                }
                if !from_client {
                    return;
                }
            }
        }
        // Not (or no longer) a packet of a tracked connection: a client's
        // first Initial decrypts with keys from its own DCID.
        let keys = InitialKeys::derive(hdr.version, hdr.dcid);
        let Ok(o) = open(pkt, hdr, &keys.client, None, &mut self.scratch) else {
            return;
        };
        if let Some(c) = self.conns.get_mut(key)
            && c.client_side == side
            && c.retry
            && !c.emitted
            && c.server_info.is_none()
        {
            // The client starting again after a Retry: same connection,
            // keys from the Retry's connection ID.
            c.keys = Some(Box::new(keys));
            c.retry = false;
            c.odcid = hdr.dcid.to_vec();
        } else {
            if let Some(mut old) = self.conns.remove(key) {
                self.buffered -= old.held();
                if !old.emitted {
                    self.stats.emitted += 1;
                    emit(key.clone(), old.handshake(End::NewConnection));
                }
            }
            if self.conns.len() >= self.limits.max_flows {
                self.sweep(emit);
                if self.conns.len() >= self.limits.max_flows {
                    self.stats.dropped_capacity += 1;
                    return;
                }
            }
            self.stats.flows += 1;
            self.conns.insert(
                key.clone(),
                Conn {
                    keys: Some(Box::new(keys)),
                    odcid: hdr.dcid.to_vec(),
                    server_cid: None,
                    client_side: side,
                    first_frame: frame,
                    first_ts: ts_ns,
                    last_ts: ts_ns,
                    client: Dir::default(),
                    server: Dir::default(),
                    client_info: None,
                    server_info: None,
                    emitted: false,
                    retry: false,
                },
            );
            self.stats.peak_flows = self.stats.peak_flows.max(self.conns.len() as u64);
        }
        let len = self.scratch.len() - o.header_len;
        self.absorb(key, true, o.pn, frame, ts_ns, len, emit);
    }

    /// Takes the CRYPTO frames of the decrypted payload (the last `len`
    /// bytes of `scratch`) into one direction of `key`'s connection and
    /// reports the handshake when the ServerHello is complete.
    #[allow(clippy::too_many_arguments)]
    fn absorb(
        &mut self,
        key: &K,
        from_client: bool,
        pn: u64,
        frame: u64,
        ts_ns: i64,
        len: usize,
        emit: &mut impl FnMut(K, Handshake),
    ) {
        let Some(c) = self.conns.get_mut(key) else {
            return;
        };
        let payload = &self.scratch[self.scratch.len() - len..];
        let before = c.held();
        // Past the total buffer cap every new byte overflows: the hello is
        // abandoned (counted in `truncated`), as on the TCP side.
        let cap = if self.buffered < self.limits.max_buffered {
            self.limits.per_direction
        } else {
            0
        };
        let dir = if from_client {
            &mut c.client
        } else {
            &mut c.server
        };
        dir.largest_pn = Some(dir.largest_pn.map_or(pn, |l| l.max(pn)));
        let mut grew = false;
        for f in frames(payload) {
            match f {
                Ok(Frame::Crypto { offset, data }) if !dir.done => {
                    dir.first.get_or_insert((frame, ts_ns));
                    grew |= dir.stream.insert(offset, data, cap);
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        if grew {
            if from_client {
                client_hello(c, &mut self.stats);
            } else {
                server_hello(c, &mut self.stats);
            }
        }
        let dir = if from_client { &c.client } else { &c.server };
        if !dir.done && dir.stream.overflowed() {
            self.stats.truncated += 1;
            let d = if from_client {
                &mut c.client
            } else {
                &mut c.server
            };
            d.done = true;
            d.stream.release();
        }
        self.buffered = self.buffered + c.held() - before;
        self.stats.peak_buffered = self.stats.peak_buffered.max(self.buffered as u64);
        if c.server.done && !c.emitted {
            self.buffered -= c.held();
            c.client.stream.release();
            c.server.stream.release();
            c.keys = None;
            c.emitted = true;
            let end = if c.server_info.is_some() {
                End::Complete
            } else if c.server.stream.overflowed() {
                End::Capacity
            } else {
                End::ServerNotTls
            };
            self.stats.emitted += 1;
            let h = c.handshake(end);
            emit(key.clone(), h);
        }
    }

    /// Reports and forgets connections idle for longer than the timeout
    /// (in order of their first frame).
    fn sweep(&mut self, emit: &mut impl FnMut(K, Handshake)) {
        self.last_sweep_ns = self.now_ns;
        let deadline = self.now_ns.saturating_sub(self.limits.idle_timeout_ns);
        let idle: Vec<K> = self
            .conns
            .iter()
            .filter(|(_, c)| c.last_ts < deadline)
            .map(|(k, _)| k.clone())
            .collect();
        let mut out: Vec<(K, Conn)> = idle
            .into_iter()
            .filter_map(|k| self.conns.remove(&k).map(|c| (k, c)))
            .collect();
        out.sort_by_key(|(_, c)| c.first_frame);
        for (k, mut c) in out {
            self.buffered -= c.held();
            if !c.emitted {
                self.stats.emitted += 1;
                emit(k, c.handshake(End::Idle));
            }
        }
    }

    /// Reports every connection not reported yet (in order of their first
    /// frame) and returns the counters.
    pub fn finish(mut self, emit: &mut impl FnMut(K, Handshake)) -> Stats {
        let mut out: Vec<(K, Conn)> = self.conns.drain().filter(|(_, c)| !c.emitted).collect();
        out.sort_by_key(|(_, c)| c.first_frame);
        for (k, mut c) in out {
            self.stats.emitted += 1;
            emit(k, c.handshake(End::EndOfInput));
        }
        self.stats
    }
}

/// The first handshake message of `data` when complete: (type, body, size).
fn message(data: &[u8]) -> Option<(u8, &[u8], usize)> {
    let head = data.get(..4)?;
    let len = usize::from(head[1]) << 16 | usize::from(head[2]) << 8 | usize::from(head[3]);
    let body = data.get(4..4 + len)?;
    Some((head[0], body, 4 + len))
}

fn client_hello(c: &mut Conn, stats: &mut Stats) {
    let (frame, ts) = c.client.first.unwrap_or((c.first_frame, c.first_ts));
    let Some((ty, body, _)) = message(c.client.stream.contiguous()) else {
        return;
    };
    c.client.done = true;
    match (ty == HANDSHAKE_CLIENT_HELLO)
        .then(|| ClientHello::parse(body))
        .and_then(Result::ok)
    {
        Some(h) => {
            c.client_info = Some(ClientInfo::from_hello_over(&h, frame, ts, Transport::Quic))
        }
        None => stats.not_tls += 1,
    }
}

fn server_hello(c: &mut Conn, stats: &mut Stats) {
    let (frame, ts) = c.server.first.unwrap_or((c.first_frame, c.first_ts));
    let mut data = c.server.stream.contiguous();
    let mut hrr = false;
    while let Some((ty, body, n)) = message(data) {
        let parsed = (ty == HANDSHAKE_SERVER_HELLO)
            .then(|| ServerHello::parse(body))
            .and_then(Result::ok);
        match parsed {
            Some(h) if h.is_hello_retry_request() => {
                hrr = true;
                data = &data[n..];
            }
            Some(h) => {
                c.server_info = Some(ServerInfo::from_hello(&h, frame, ts, hrr, Transport::Quic));
                c.server.done = true;
                return;
            }
            None => {
                stats.not_tls += 1;
                c.server.done = true;
                return;
            }
        }
    }
}
