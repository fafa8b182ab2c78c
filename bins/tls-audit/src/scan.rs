//! The capture scan: packets -> TCP segments -> [`Tracker`] -> [`Connection`]s.

use pcap_core::{Capture, FlowKey, L4, Packet};
use tls_handshake::tracker::{Handshake, Limits, Segment, Side, Stats, Tracker};

use crate::conn::Connection;

/// How often (in bytes of capture) the progress callback is called.
pub const PROGRESS_STEP: u64 = 8 << 20;

/// What a scan of one capture produced besides its rows.
#[derive(Debug, Default)]
pub struct ScanSummary {
    /// Packets read.
    pub packets: u64,
    /// Tracker counters (flows, drops, truncations).
    pub stats: Stats,
    /// The error that stopped the file early (rows found before it were
    /// delivered).
    pub error: Option<pcap_core::Error>,
}

/// Feeds one packet to the tracker. Returns nothing: rows go to `emit`.
#[inline]
pub fn feed(
    tracker: &mut Tracker<FlowKey>,
    pkt: &Packet<'_>,
    tracked_only: bool,
    emit: &mut impl FnMut(FlowKey, Handshake),
) {
    let Ok(d) = pkt.decode() else { return };
    let L4::Tcp(t) = d.l4 else { return };
    let (syn, fin, rst) = (t.syn(), t.fin(), t.rst());
    if t.payload.is_empty() && !(syn || fin || rst) {
        return; // pure ACK
    }
    if tracker.is_empty()
        && (tracked_only
            || tls_handshake::record::sniff(t.payload) == tls_handshake::record::Sniff::No)
    {
        return;
    }
    let key = FlowKey::new(d.src, t.src_port, d.dst, t.dst_port, d.ip_proto);
    let side = if key.is_from_lower(d.src, t.src_port) {
        Side::A
    } else {
        Side::B
    };
    let seg = Segment {
        frame: pkt.frame,
        ts_ns: pkt.ts_ns,
        seq: t.seq,
        fin,
        rst,
        syn,
        payload: t.payload,
    };
    if tracked_only {
        tracker.push_tracked(key, side, &seg, emit);
    } else {
        tracker.push(key, side, &seg, emit);
    }
}

/// Scans a whole capture on the calling thread, delivering rows to `sink`
/// in the order their handshakes complete. `progress` gets byte deltas.
pub fn scan_sequential(
    cap: &Capture,
    limits: Limits,
    progress: &(dyn Fn(u64) + Sync),
    sink: &mut dyn FnMut(Connection),
) -> ScanSummary {
    let file = cap.path().display().to_string();
    let mut tracker: Tracker<FlowKey> = Tracker::new(limits);
    let mut emit = |k: FlowKey, h: Handshake| sink(Connection::new(&file, &k, h));
    let mut out = ScanSummary::default();
    let mut it = cap.packets();
    let mut reported = 0u64;
    loop {
        match it.next() {
            Some(Ok(pkt)) => {
                out.packets += 1;
                feed(&mut tracker, &pkt, false, &mut emit);
                if out.packets % 4096 == 0 {
                    let off = it.offset();
                    if off - reported >= PROGRESS_STEP {
                        progress(off - reported);
                        reported = off;
                    }
                }
            }
            Some(Err(e)) => {
                out.error = Some(e);
                break;
            }
            None => break,
        }
    }
    progress((cap.bytes().len() as u64).saturating_sub(reported));
    out.stats = tracker.finish(&mut emit);
    out
}
