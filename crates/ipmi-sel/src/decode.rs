//! Decoding of 16-byte SEL records (IPMI 2.0 section 32) without any I/O.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::tables;

/// Length of one SEL record in bytes.
pub const RECORD_LEN: usize = 16;

/// Timestamps up to and including this value count from system
/// initialisation, not from 1970 (IPMI 2.0 section 37.1).
pub const PRE_INIT_MAX: u32 = 0x2000_0000;

/// Severity assigned to each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Nothing to act on.
    Info,
    /// Degraded or predictive; look at it.
    Warning,
    /// Hardware failure or crash precursor (PCI PERR/SERR, uncorrectable...).
    Critical,
}

impl Severity {
    /// Lower-case name (`info`, `warning`, `critical`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
    /// Parse `info`/`warning`/`critical` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "info" | "ok" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "critical" | "crit" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SEL timestamp (IPMI 2.0 section 37.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamp {
    /// 0xFFFFFFFF: the BMC did not know the time.
    Unspecified,
    /// 0x00000000-0x20000000: seconds since system initialisation.
    PreInit(u32),
    /// Seconds since 1970-01-01 UTC.
    Utc(u32),
}

impl Timestamp {
    /// Classify a raw 32-bit timestamp.
    pub fn from_raw(v: u32) -> Self {
        if v == u32::MAX {
            Timestamp::Unspecified
        } else if v <= PRE_INIT_MAX {
            Timestamp::PreInit(v)
        } else {
            Timestamp::Utc(v)
        }
    }
    /// Seconds since 1970 when the timestamp is absolute.
    pub fn unix(self) -> Option<u32> {
        match self {
            Timestamp::Utc(v) => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Timestamp::Unspecified => f.write_str("unspecified"),
            Timestamp::PreInit(s) => write!(f, "pre-init +{s}s"),
            Timestamp::Utc(s) => f.write_str(&format_utc(i64::from(*s))),
        }
    }
}

/// Format seconds since 1970 as RFC 3339 UTC (`2019-06-12T19:01:38Z`).
pub fn format_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) to days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parse `YYYY-MM-DD?HH:MM:SS` with an optional `Z` or `+hh:mm`/`-hh:mm`
/// offset (RFC 3339 as Redfish writes it, or `2019/06/12 19:01:38` as the
/// Supermicro UI does) into seconds since 1970 UTC.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = std::str::from_utf8(b.get(r)?).ok()?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &rest[1 + n..];
    }
    let offset = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let hh = i64::from((h1 - b'0') * 10 + (h2 - b'0'));
            let mm = i64::from((m1 - b'0') * 10 + (m2 - b'0'));
            let o = hh * 3600 + mm * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    Some(days * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

/// Who generated a system event record (bytes 7-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generator {
    /// The raw 16-bit generator ID as ipmitool prints it (`0x0033`).
    pub raw: u16,
    /// `true`: system software ID; `false`: IPMB slave address.
    pub software: bool,
    /// 8-bit slave address or software ID (byte 7 as is, bit 0 included).
    pub id: u8,
    /// Channel number (byte 8 bits 7-4).
    pub channel: u8,
    /// IPMB device LUN (byte 8 bits 1-0).
    pub lun: u8,
}

impl fmt::Display for Generator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.software {
            write!(
                f,
                "{} (software ID 0x{:02x}, channel {})",
                tables::software_id_kind(self.id),
                self.id >> 1,
                self.channel
            )
        } else {
            let who = if self.id == 0x20 { "BMC" } else { "IPMB" };
            write!(
                f,
                "{who} (slave address 0x{:02x}, channel {}, LUN {})",
                self.id, self.channel, self.lun
            )
        }
    }
}

/// Class of an event/reading type code (IPMI 2.0 table 42-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventClass {
    /// 0x00.
    Unspecified,
    /// 0x01.
    Threshold,
    /// 0x02-0x0C.
    Generic,
    /// 0x6F.
    SensorSpecific,
    /// 0x70-0x7F.
    Oem,
    /// Anything else.
    Reserved,
}

impl EventClass {
    /// Classify an event/reading type code (7 bits).
    pub fn of(code: u8) -> Self {
        match code {
            0x00 => EventClass::Unspecified,
            0x01 => EventClass::Threshold,
            0x02..=0x0C => EventClass::Generic,
            0x6F => EventClass::SensorSpecific,
            0x70..=0x7F => EventClass::Oem,
            _ => EventClass::Reserved,
        }
    }
    /// Short name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventClass::Unspecified => "unspecified",
            EventClass::Threshold => "threshold",
            EventClass::Generic => "generic",
            EventClass::SensorSpecific => "sensor-specific",
            EventClass::Oem => "oem",
            EventClass::Reserved => "reserved",
        }
    }
}

/// Decoded content of a system event record (record type 0x02).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemEvent {
    /// Generator (bytes 7-8).
    pub generator: Generator,
    /// Event message format revision (byte 9; 0x04 for IPMI 1.5/2.0).
    pub evm_rev: u8,
    /// Sensor type code (byte 10).
    pub sensor_type: u8,
    /// Sensor number (byte 11).
    pub sensor_number: u8,
    /// `true` for deassertion (byte 12 bit 7).
    pub deassertion: bool,
    /// Event/reading type code (byte 12 bits 6-0).
    pub event_type: u8,
    /// Event data 1-3 (bytes 13-15).
    pub event_data: [u8; 3],
}

impl SystemEvent {
    /// Offset (event data 1 bits 3-0).
    pub fn offset(&self) -> u8 {
        self.event_data[0] & 0x0F
    }
    /// What event data 2 holds (event data 1 bits 7-6).
    pub fn data2_kind(&self) -> u8 {
        self.event_data[0] >> 6
    }
    /// What event data 3 holds (event data 1 bits 5-4).
    pub fn data3_kind(&self) -> u8 {
        (self.event_data[0] >> 4) & 0x3
    }
    /// Offset description from table 42-2 or 42-3.
    pub fn offset_description(&self) -> Option<&'static str> {
        match EventClass::of(self.event_type) {
            EventClass::Threshold | EventClass::Generic => {
                tables::generic_offset(self.event_type, self.offset())
            }
            EventClass::SensorSpecific => {
                tables::sensor_specific_offset(self.sensor_type, self.offset())
            }
            _ => None,
        }
    }
    /// PCI bus and device/function as Supermicro's BIOS logs them for
    /// Critical Interrupt (0x13) events: event data 2 = bus, event data 3 =
    /// devfn (event data 1 flags both bytes as present).
    pub fn pci_location(&self) -> Option<(u8, u8)> {
        if self.sensor_type == 0x13
            && self.event_type == 0x6F
            && self.data2_kind() != 0
            && self.data3_kind() >= 2
        {
            Some((self.event_data[1], self.event_data[2]))
        } else {
            None
        }
    }
}

/// The body of a record, by record type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordBody {
    /// Record type 0x02.
    System(SystemEvent),
    /// Record types 0xC0-0xDF: timestamp, manufacturer ID, 6 OEM bytes.
    OemTimestamped {
        /// IANA manufacturer ID (bytes 7-9, little-endian).
        manufacturer_id: u32,
        /// OEM-defined bytes 10-15.
        data: [u8; 6],
    },
    /// Record types 0xE0-0xFF: 13 OEM bytes.
    OemNonTimestamped {
        /// OEM-defined bytes 3-15.
        data: [u8; 13],
    },
    /// Any other (reserved) record type; bytes 3-15 kept as is.
    Unknown {
        /// Bytes 3-15.
        data: [u8; 13],
    },
}

/// One decoded SEL record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelRecord {
    /// The 16 bytes as read.
    pub raw: [u8; RECORD_LEN],
    /// Record ID (bytes 0-1).
    pub record_id: u16,
    /// Record type (byte 2).
    pub record_type: u8,
    /// Timestamp (bytes 3-6) for record types that have one.
    pub timestamp: Option<Timestamp>,
    /// Type-specific body.
    pub body: RecordBody,
}

impl SelRecord {
    /// Decode one 16-byte record. Every byte pattern decodes to something;
    /// reserved values are kept and shown raw.
    pub fn decode(raw: [u8; RECORD_LEN]) -> Self {
        let record_id = u16::from_le_bytes([raw[0], raw[1]]);
        let record_type = raw[2];
        let ts = Timestamp::from_raw(u32::from_le_bytes([raw[3], raw[4], raw[5], raw[6]]));
        let mut tail = [0u8; 13];
        tail.copy_from_slice(&raw[3..16]);
        let (timestamp, body) = match record_type {
            0x02 => (
                Some(ts),
                RecordBody::System(SystemEvent {
                    generator: Generator {
                        raw: u16::from_le_bytes([raw[7], raw[8]]),
                        software: raw[7] & 1 == 1,
                        id: raw[7],
                        channel: raw[8] >> 4,
                        lun: raw[8] & 0x3,
                    },
                    evm_rev: raw[9],
                    sensor_type: raw[10],
                    sensor_number: raw[11],
                    deassertion: raw[12] & 0x80 != 0,
                    event_type: raw[12] & 0x7F,
                    event_data: [raw[13], raw[14], raw[15]],
                }),
            ),
            0xC0..=0xDF => {
                let mut data = [0u8; 6];
                data.copy_from_slice(&raw[10..16]);
                (
                    Some(ts),
                    RecordBody::OemTimestamped {
                        manufacturer_id: u32::from_le_bytes([raw[7], raw[8], raw[9], 0]),
                        data,
                    },
                )
            }
            0xE0..=0xFF => (None, RecordBody::OemNonTimestamped { data: tail }),
            _ => (None, RecordBody::Unknown { data: tail }),
        };
        SelRecord {
            raw,
            record_id,
            record_type,
            timestamp,
            body,
        }
    }

    /// Decode from a slice; `None` unless it is exactly 16 bytes.
    pub fn from_slice(b: &[u8]) -> Option<Self> {
        let raw: [u8; RECORD_LEN] = b.try_into().ok()?;
        Some(Self::decode(raw))
    }

    /// The system event body, if this is a type 0x02 record.
    pub fn system(&self) -> Option<&SystemEvent> {
        match &self.body {
            RecordBody::System(e) => Some(e),
            _ => None,
        }
    }

    /// Lower-case hex of the 16 bytes, as `SEL_RD` carries it.
    pub fn raw_hex(&self) -> String {
        hex(&self.raw)
    }

    /// Human description: the offset's meaning from the spec's tables plus
    /// what event data 2/3 carry where the spec (or Supermicro for PCI
    /// errors) gives them meaning.
    pub fn description(&self) -> String {
        match &self.body {
            RecordBody::System(e) => describe_system(e),
            RecordBody::OemTimestamped {
                manufacturer_id,
                data,
            } => format!(
                "OEM record type 0x{:02x}, manufacturer ID {manufacturer_id}, data {}",
                self.record_type,
                hex(data)
            ),
            RecordBody::OemNonTimestamped { data } => {
                format!(
                    "OEM record type 0x{:02x}, data {}",
                    self.record_type,
                    hex(data)
                )
            }
            RecordBody::Unknown { data } => format!(
                "reserved record type 0x{:02x}, data {}",
                self.record_type,
                hex(data)
            ),
        }
    }

    /// Severity of the record (see the crate docs for the rules).
    pub fn severity(&self) -> Severity {
        match &self.body {
            RecordBody::System(e) => system_severity(e),
            _ => Severity::Info,
        }
    }
}

/// Lower-case hex string of bytes.
pub fn hex(b: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(char::from(D[usize::from(x >> 4)]));
        s.push(char::from(D[usize::from(x & 0x0F)]));
    }
    s
}

/// Supermicro's wording for Critical Interrupt offsets on its web page.
pub fn supermicro_pci_wording(offset: u8) -> &'static str {
    match offset {
        4 => "PCI PERR",
        5 => "PCI SERR",
        7 => "PCI-e Correctable Error",
        8 => "PCI-e Non-Fatal Error",
        0xA => "PCI-e Fatal Error",
        _ => "PCI ERR",
    }
}

fn describe_system(e: &SystemEvent) -> String {
    let class = EventClass::of(e.event_type);
    let mut d = match e.offset_description() {
        Some(s) => s.to_string(),
        None => match class {
            EventClass::Oem => format!(
                "OEM event type 0x{:02x}, offset 0x{:x}",
                e.event_type,
                e.offset()
            ),
            EventClass::SensorSpecific if e.sensor_type >= 0xC0 => {
                format!(
                    "OEM sensor type 0x{:02x}, offset 0x{:x}",
                    e.sensor_type,
                    e.offset()
                )
            }
            _ => format!(
                "event type 0x{:02x}, offset 0x{:x} (not defined by the spec)",
                e.event_type,
                e.offset()
            ),
        },
    };
    let [_, d2, d3] = e.event_data;
    match class {
        EventClass::Threshold => {
            if e.data2_kind() == 1 {
                d.push_str(&format!(", reading 0x{d2:02x}"));
            }
            if e.data3_kind() == 1 {
                d.push_str(&format!(", threshold 0x{d3:02x}"));
            }
        }
        EventClass::Generic | EventClass::SensorSpecific => {
            if let Some((bus, devfn)) = e.pci_location() {
                d.push_str(&format!(" @Bus{bus:02X}(DevFn{devfn:02X})"));
            } else {
                match (e.sensor_type, e.offset(), e.data2_kind()) {
                    (0x0F, 0, 3) => {
                        let s = tables::firmware_error_code(d2).unwrap_or("OEM or reserved code");
                        d.push_str(&format!(": {s}"));
                    }
                    (0x0F, 1 | 2, 3) => {
                        let s =
                            tables::firmware_progress_code(d2).unwrap_or("OEM or reserved code");
                        d.push_str(&format!(": {s}"));
                    }
                    (0x10, 1, 3) => {
                        d.push_str(&format!(": event/reading type 0x{d2:02x}"));
                    }
                    (0x21, _, 3) => {
                        d.push_str(&format!(": {}", slot_type(d2 & 0x7F)));
                        if e.data3_kind() == 3 {
                            d.push_str(&format!(" {d3}"));
                        }
                    }
                    (0x23, _, 3) => {
                        d.push_str(&format!(
                            ", interrupt: {}, timer use: {}",
                            watchdog_interrupt(d2 >> 4),
                            watchdog_timer_use(d2 & 0x0F)
                        ));
                    }
                    (0x28, 4, 3) => d.push_str(&format!(", sensor 0x{d2:02x}")),
                    (0x2A, _, 3) if d2 & 0x3F != 0 => {
                        d.push_str(&format!(", user ID {}", d2 & 0x3F));
                    }
                    (0x2C, _, 3) => {
                        let prev = tables::sensor_specific_offset(0x2C, d2 & 0x0F)
                            .unwrap_or("reserved state");
                        d.push_str(&format!(
                            ", cause: {}, previous state: {prev}",
                            fru_state_cause(d2 >> 4)
                        ));
                    }
                    (0x12, 5, 3) => {
                        let clock = if d2 & 0x0F == 1 { "SDR" } else { "SEL" };
                        let which = if d2 & 0x80 != 0 { "second" } else { "first" };
                        d.push_str(&format!(
                            ": {clock} timestamp clock updated ({which} of pair)"
                        ));
                    }
                    _ => {}
                }
                // Event data 3 extensions.
                if e.data3_kind() == 3 {
                    match (e.sensor_type, e.offset()) {
                        (0x2A, _) => {
                            d.push_str(&format!(", channel {}", d3 & 0x0F));
                            let cause = match (d3 >> 4) & 0x3 {
                                1 => Some("Close Session command"),
                                2 => Some("timeout"),
                                3 => Some("configuration change"),
                                _ => None,
                            };
                            if let Some(c) = cause {
                                d.push_str(&format!(", deactivated by {c}"));
                            }
                        }
                        (0x08, 6) => {
                            let t = match d3 & 0x0F {
                                0 => "Vendor mismatch",
                                1 => "Revision mismatch",
                                2 => "Processor missing",
                                3 => "Power Supply rating mismatch",
                                4 => "Voltage rating mismatch",
                                _ => "reserved error type",
                            };
                            d.push_str(&format!(": {t}"));
                        }
                        _ => {}
                    }
                }
                if e.data2_kind() == 1 {
                    let sev = d2 >> 4;
                    let prev = d2 & 0x0F;
                    if sev != 0xF
                        && let Some(s) = tables::generic_offset(0x07, sev)
                    {
                        d.push_str(&format!(", severity: {s}"));
                    }
                    if prev != 0xF {
                        d.push_str(&format!(", previous state offset 0x{prev:x}"));
                    }
                }
                if e.sensor_type == 0x0C && e.data3_kind() == 3 && d3 != 0xFF {
                    d.push_str(&format!(", memory module/device {d3}"));
                }
            }
        }
        _ => {}
    }
    d
}

/// Slot/connector types (sensor type 0x21, event data 2).
fn slot_type(t: u8) -> String {
    match t {
        0 => "PCI slot".into(),
        1 => "Drive Array slot".into(),
        2 => "External Peripheral Connector".into(),
        3 => "Docking slot".into(),
        4 => "other standard internal expansion slot".into(),
        5 => "slot of the sensor's entity".into(),
        6 => "AdvancedTCA slot".into(),
        7 => "DIMM/memory device slot".into(),
        8 => "FAN slot".into(),
        9 => "PCI Express slot".into(),
        10 => "SCSI (parallel) slot".into(),
        11 => "SATA / SAS slot".into(),
        _ => format!("slot type 0x{t:02x}"),
    }
}

fn watchdog_interrupt(t: u8) -> &'static str {
    match t {
        0 => "none",
        1 => "SMI",
        2 => "NMI",
        3 => "messaging interrupt",
        0xF => "unspecified",
        _ => "reserved",
    }
}

fn watchdog_timer_use(t: u8) -> &'static str {
    match t {
        1 => "BIOS FRB2",
        2 => "BIOS/POST",
        3 => "OS Load",
        4 => "SMS/OS",
        5 => "OEM",
        0xF => "unspecified",
        _ => "reserved",
    }
}

fn fru_state_cause(c: u8) -> &'static str {
    match c {
        0 => "Normal State Change",
        1 => "Change Commanded by software external to FRU",
        2 => "State Change due to operator changing a Handle latch",
        3 => "State Change due to operator pressing the hotswap push button",
        4 => "State Change due to FRU programmatic action",
        5 => "Communication Lost",
        6 => "Communication Lost due to local failure",
        7 => "State Change due to unexpected extraction",
        8 => "State Change due to operator intervention/update",
        9 => "Unable to compute IPMB address",
        0xA => "Unexpected Deactivation",
        0xF => "State Change, Cause Unknown",
        _ => "reserved cause",
    }
}

fn system_severity(e: &SystemEvent) -> Severity {
    use Severity::*;
    if e.deassertion {
        return Info;
    }
    let o = e.offset();
    match EventClass::of(e.event_type) {
        EventClass::Threshold => match o {
            // non-critical
            0 | 1 | 6 | 7 => Warning,
            // critical and non-recoverable
            2..=5 | 8..=0xB => Critical,
            _ => Info,
        },
        EventClass::Generic => match (e.event_type, o) {
            (0x04, 1) | (0x05, 1) | (0x06, 1) => Warning,
            (0x07, 1 | 4) => Warning,
            (0x07, 2 | 3 | 5 | 6) => Critical,
            (0x0A, 6 | 8) => Warning,
            (0x0B, 1 | 2 | 6 | 7) => Warning,
            (0x0B, 5) => Critical,
            _ => Info,
        },
        EventClass::SensorSpecific => match (e.sensor_type, o) {
            (0x05, _) | (0x06, _) => Warning,
            (0x07, 0..=4 | 6 | 0xB) => Critical,
            (0x07, 5 | 8 | 0xA | 0xC) => Warning,
            (0x08, 1) => Critical,
            (0x08, 2..=6) => Warning,
            (0x09, 5 | 6) => Critical,
            (0x09, 2..=4 | 7) => Warning,
            (0x0C, 1 | 2 | 0xA) => Critical,
            (0x0C, 0 | 3 | 4 | 5 | 7 | 9) => Warning,
            (0x0D, 1 | 6) => Critical,
            (0x0D, 2 | 5 | 8) => Warning,
            (0x0F, 1) => Critical,
            (0x0F, 0) => Warning,
            (0x10, 0 | 1 | 3 | 4 | 5 | 6) => Warning,
            (0x11, 0..=5) => Warning,
            (0x12, 2) => Critical,
            // Critical Interrupt: PCI PERR/SERR, bus uncorrectable, fatal
            // NMI and bus fatal stop the machine; the rest warn.
            (0x13, 4 | 5 | 8 | 9 | 0xA) => Critical,
            (0x13, 0 | 1 | 2 | 6 | 7 | 0xB) => Warning,
            (0x19, 0 | 1) => Critical,
            (0x1B, 1) => Warning,
            (0x1E, _) => Warning,
            (0x1F, 9 | 0xA) => Warning,
            (0x20, 0 | 1) => Critical,
            (0x20, 5) => Warning,
            (0x21, 0) => Warning,
            (0x23, 0..=3) => Warning,
            (0x28, _) => Warning,
            (0x29, 0) => Warning,
            (0x29, 1) => Critical,
            (0x2A, 2 | 3) => Warning,
            (0x2B, 2..=5) => Warning,
            (0x2C, 7) => Warning,
            _ => Info,
        },
        _ => Info,
    }
}

/// Parse hex records: 32 hex digits per record, separators (whitespace,
/// `:`, `-`, `,`) and an optional `0x` prefix ignored. Errors name the
/// character position.
pub fn parse_hex_records(text: &str) -> Result<Vec<SelRecord>, String> {
    let mut nibbles: Vec<u8> = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'0'
            && matches!(bytes.get(i + 1), Some(b'x' | b'X'))
            && nibbles.len().is_multiple_of(2)
        {
            i += 2;
            continue;
        }
        match c {
            b'0'..=b'9' => nibbles.push(c - b'0'),
            b'a'..=b'f' => nibbles.push(c - b'a' + 10),
            b'A'..=b'F' => nibbles.push(c - b'A' + 10),
            b' ' | b'\t' | b'\r' | b'\n' | b':' | b'-' | b',' => {}
            _ => {
                return Err(format!(
                    "character {} ({:?}) is not a hex digit; give 32 hex digits per record",
                    i + 1,
                    char::from(c)
                ));
            }
        }
        i += 1;
    }
    if !nibbles.len().is_multiple_of(32) {
        return Err(format!(
            "{} hex digits is not a multiple of 32 (one record is 16 bytes = 32 hex digits)",
            nibbles.len()
        ));
    }
    Ok(nibbles
        .chunks_exact(32)
        .map(|c| {
            let mut raw = [0u8; RECORD_LEN];
            for (k, b) in raw.iter_mut().enumerate() {
                *b = (c[2 * k] << 4) | c[2 * k + 1];
            }
            SelRecord::decode(raw)
        })
        .collect())
}
