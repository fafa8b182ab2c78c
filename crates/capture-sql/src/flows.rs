//! The `flows` table: one row per TCP/UDP flow (5-tuple) of a file, like a
//! Zeek conn log.

use std::collections::HashMap;
use std::sync::Arc;

use pcap_core::{Capture, FlowKey, L4, TcpFlags};

use crate::exec::Emitter;
use crate::spec::{ScanSpec, ScanUnit};

pub use capture_arrow::flows::{ADDRESS_COLUMNS, Flow, column, flag_letters, schema};

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

    /// Adds the flows of `later`, a table of the packets that follow
    /// this table's in the file: the result is the table of all of them
    /// (what [`FlowTable::packet`] gives on the packets in file order).
    /// A flow seen in both keeps the earliest and latest times, sums its
    /// counts, joins its flags, and is decided by this table's SYN if it
    /// saw one, else by `later`'s, else by its first packet (here).
    pub fn append(&mut self, later: FlowTable) {
        for (key, b) in later.flows {
            match self.index.get(&key) {
                Some(&i) => {
                    let a = &mut self.flows[i].1;
                    a.first_seen_ns = a.first_seen_ns.min(b.first_seen_ns);
                    a.last_seen_ns = a.last_seen_ns.max(b.last_seen_ns);
                    for d in 0..2 {
                        a.packets[d] += b.packets[d];
                        a.bytes[d] += b.bytes[d];
                    }
                    a.flags |= b.flags;
                    if !a.by_syn && b.by_syn {
                        a.by_syn = true;
                        a.client_is_lower = b.client_is_lower;
                    }
                }
                None => {
                    self.index.insert(key, self.flows.len());
                    self.flows.push((key, b));
                }
            }
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

/// Scans one whole file (flows aggregate over all of it). When the
/// scan has fewer partitions than the machine has cores, the file is cut
/// at verified record boundaries and walked on the spare cores
/// (`pcap_core::parallel::split_each`), the chunks' tables joined in file
/// order ([`FlowTable::append`]): the rows are the sequential walk's.
pub(crate) fn scan_unit(
    cap: &Capture,
    _unit: &ScanUnit,
    spec: &ScanSpec,
    out: &mut Emitter<Flow>,
) -> Option<pcap_core::Error> {
    let filter = &spec.filter;
    let file: Arc<str> = cap.path().display().to_string().into();
    let count = |t: &mut FlowTable, p: &pcap_core::Packet<'_>| {
        if !filter.addresses.is_empty() {
            match p.decode() {
                Ok(d) if filter.addresses_match(d.src, d.dst) => {}
                _ => return,
            }
        }
        t.packet(p);
    };
    // With one thread the walk runs here.
    let opts = pcap_core::parallel::SplitOptions {
        threads: spec.spare_threads(),
        chunk_size: 0,
        lanes: 1,
    };
    let mut table = FlowTable::default();
    let end = pcap_core::parallel::split_each(cap, opts, FlowTable::default, count, |c| {
        table.append(c.state)
    });
    for f in table.finish(&file) {
        out.push(f);
        if out.stopped() {
            break;
        }
    }
    end.error
}
