//! The `flows` table: one row per TCP/UDP flow (5-tuple) of a file, like a
//! Zeek conn log.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use arrow::array::ArrayRef;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use pcap_core::{Capture, FlowKey, L4, TcpFlags};

use crate::columns::{owned_strs, strs, timestamps, ts_type, u8s, u16s, u64s};
use crate::exec::Emitter;
use crate::spec::{ScanSpec, ScanUnit};

/// The schema of `flows`: `file, protocol ('tcp'/'udp'), client_ip,
/// client_port, server_ip, server_port, first_seen, last_seen,
/// client_packets, client_bytes, server_packets, server_bytes, tcp_flags,
/// tcp_flag_bits`. The client is the side that sent the first SYN without
/// ACK, else the source of the flow's first packet; bytes are frame lengths
/// on the wire; `tcp_flags` lists the flags seen in either direction in the
/// order `SAFRPUEC` (`tcp_flag_bits` is the same as a bit mask, FIN = 1).
pub fn schema() -> SchemaRef {
    static S: OnceLock<SchemaRef> = OnceLock::new();
    S.get_or_init(|| {
        Arc::new(Schema::new(vec![
            Field::new("file", DataType::Utf8, false),
            Field::new("protocol", DataType::Utf8, false),
            Field::new("client_ip", DataType::Utf8, false),
            Field::new("client_port", DataType::UInt16, false),
            Field::new("server_ip", DataType::Utf8, false),
            Field::new("server_port", DataType::UInt16, false),
            Field::new("first_seen", ts_type(), false),
            Field::new("last_seen", ts_type(), false),
            Field::new("client_packets", DataType::UInt64, false),
            Field::new("client_bytes", DataType::UInt64, false),
            Field::new("server_packets", DataType::UInt64, false),
            Field::new("server_bytes", DataType::UInt64, false),
            Field::new("tcp_flags", DataType::Utf8, false),
            Field::new("tcp_flag_bits", DataType::UInt8, false),
        ]))
    })
    .clone()
}

/// The address columns.
pub(crate) const ADDRESS_COLUMNS: [&str; 2] = ["client_ip", "server_ip"];

/// One flow, finished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    /// The file.
    pub file: Arc<str>,
    /// 6 (TCP) or 17 (UDP).
    pub proto: u8,
    /// Client address and port.
    pub client: (IpAddr, u16),
    /// Server address and port.
    pub server: (IpAddr, u16),
    /// First packet, ns since the epoch.
    pub first_seen_ns: i64,
    /// Last packet.
    pub last_seen_ns: i64,
    /// Packets client to server.
    pub client_packets: u64,
    /// Frame bytes client to server.
    pub client_bytes: u64,
    /// Packets server to client.
    pub server_packets: u64,
    /// Frame bytes server to client.
    pub server_bytes: u64,
    /// TCP flags seen (bit mask, [`TcpFlags`] values).
    pub flags: u8,
}

/// `SAFRPUEC` letters of the flags in `bits`.
pub fn flag_letters(bits: u8) -> String {
    [
        (TcpFlags::SYN, 'S'),
        (TcpFlags::ACK, 'A'),
        (TcpFlags::FIN, 'F'),
        (TcpFlags::RST, 'R'),
        (TcpFlags::PSH, 'P'),
        (TcpFlags::URG, 'U'),
        (TcpFlags::ECE, 'E'),
        (TcpFlags::CWR, 'C'),
    ]
    .iter()
    .filter(|(b, _)| bits & b != 0)
    .map(|(_, c)| *c)
    .collect()
}

pub(crate) fn column(i: usize, rows: &[Flow]) -> ArrayRef {
    let r = rows.iter();
    match i {
        0 => strs(r.map(|f| Some(&*f.file))),
        1 => strs(r.map(|f| Some(if f.proto == 6 { "tcp" } else { "udp" }))),
        2 => owned_strs(r.map(|f| f.client.0.to_string())),
        3 => u16s(r.map(|f| f.client.1)),
        4 => owned_strs(r.map(|f| f.server.0.to_string())),
        5 => u16s(r.map(|f| f.server.1)),
        6 => timestamps(r.map(|f| f.first_seen_ns)),
        7 => timestamps(r.map(|f| f.last_seen_ns)),
        8 => u64s(r.map(|f| f.client_packets)),
        9 => u64s(r.map(|f| f.client_bytes)),
        10 => u64s(r.map(|f| f.server_packets)),
        11 => u64s(r.map(|f| f.server_bytes)),
        12 => owned_strs(r.map(|f| flag_letters(f.flags))),
        _ => u8s(r.map(|f| f.flags)),
    }
}

/// Per-flow state while walking: counts kept by the lower/upper endpoint of
/// the key.
struct State {
    first_seen_ns: i64,
    last_seen_ns: i64,
    /// The client is the lower endpoint.
    client_is_lower: bool,
    /// A SYN without ACK decided the client.
    by_syn: bool,
    packets: [u64; 2],
    bytes: [u64; 2],
    flags: u8,
}

/// Aggregates packets into flows, in the order flows start.
#[derive(Default)]
pub struct FlowTable {
    index: HashMap<FlowKey, usize>,
    flows: Vec<(FlowKey, State)>,
}

impl FlowTable {
    /// Counts one TCP or UDP packet (other packets are ignored).
    pub fn packet(&mut self, pkt: &pcap_core::Packet<'_>) {
        let Ok(d) = pkt.decode() else { return };
        let (sport, dport, flags) = match d.l4 {
            L4::Tcp(t) => (t.src_port, t.dst_port, t.flags),
            L4::Udp(u) => (u.src_port, u.dst_port, 0),
            _ => return,
        };
        let key = FlowKey::new(d.src, sport, d.dst, dport, d.ip_proto);
        let from_lower = key.is_from_lower(d.src, sport);
        let i = *self.index.entry(key).or_insert_with(|| {
            self.flows.push((
                key,
                State {
                    first_seen_ns: pkt.ts_ns,
                    last_seen_ns: pkt.ts_ns,
                    client_is_lower: from_lower,
                    by_syn: false,
                    packets: [0; 2],
                    bytes: [0; 2],
                    flags: 0,
                },
            ));
            self.flows.len() - 1
        });
        let st = &mut self.flows[i].1;
        st.first_seen_ns = st.first_seen_ns.min(pkt.ts_ns);
        st.last_seen_ns = st.last_seen_ns.max(pkt.ts_ns);
        let dir = usize::from(!from_lower);
        st.packets[dir] += 1;
        st.bytes[dir] += u64::from(pkt.origlen);
        st.flags |= flags;
        if flags & (TcpFlags::SYN | TcpFlags::ACK) == TcpFlags::SYN && !st.by_syn {
            st.by_syn = true;
            st.client_is_lower = from_lower;
        }
    }

    /// The flows of `file`, in the order they started.
    pub fn finish(self, file: &Arc<str>) -> impl Iterator<Item = Flow> + '_ {
        self.flows.into_iter().map(move |(k, st)| {
            let (c, s) = if st.client_is_lower { (0, 1) } else { (1, 0) };
            let (client, server) = if st.client_is_lower {
                (k.lower(), k.upper())
            } else {
                (k.upper(), k.lower())
            };
            Flow {
                file: file.clone(),
                proto: k.proto(),
                client,
                server,
                first_seen_ns: st.first_seen_ns,
                last_seen_ns: st.last_seen_ns,
                client_packets: st.packets[c],
                client_bytes: st.bytes[c],
                server_packets: st.packets[s],
                server_bytes: st.bytes[s],
                flags: st.flags,
            }
        })
    }
}

/// Scans one whole file (flows aggregate over all of it).
pub(crate) fn scan_unit(
    cap: &Capture,
    _unit: &ScanUnit,
    spec: &ScanSpec,
    out: &mut Emitter<Flow>,
) -> Option<pcap_core::Error> {
    let filter = &spec.filter;
    let file: Arc<str> = cap.path().display().to_string().into();
    let mut table = FlowTable::default();
    let mut error = None;
    for pkt in cap.packets() {
        match pkt {
            Ok(p) => {
                if !filter.addresses.is_empty() {
                    match p.decode() {
                        Ok(d) if filter.addresses_match(d.src, d.dst) => {}
                        _ => continue,
                    }
                }
                table.packet(&p);
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    for f in table.finish(&file) {
        out.push(f);
        if out.stopped() {
            break;
        }
    }
    error
}
