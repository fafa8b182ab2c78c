//! The `flows` table: one row per TCP/UDP flow (5-tuple) of a file, like a
//! Zeek conn log.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use arrow_array::ArrayRef;
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use pcap_core::TcpFlags;

use crate::columns::{display_strs, owned_strs, strs, timestamps, ts_type, u8s, u16s, u64s};

/// The schema of `flows`: `file, transport ('tcp'/'udp'), client_ip,
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
            Field::new("transport", DataType::Utf8, false),
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

/// The address columns of [`schema`].
pub const ADDRESS_COLUMNS: [&str; 2] = ["client_ip", "server_ip"];

/// One finished flow: one row of `flows`.
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

/// Builds column `i` of [`schema`] from `rows`.
pub fn column(i: usize, rows: &[Flow]) -> ArrayRef {
    let r = rows.iter();
    match i {
        0 => strs(r.map(|f| Some(&*f.file))),
        1 => strs(r.map(|f| Some(if f.proto == 6 { "tcp" } else { "udp" }))),
        2 => display_strs(r.map(|f| f.client.0)),
        3 => u16s(r.map(|f| f.client.1)),
        4 => display_strs(r.map(|f| f.server.0)),
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
