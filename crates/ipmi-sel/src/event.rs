//! The flat, serialisable view of one SEL entry that every source produces
//! and every output format prints.

use serde::{Deserialize, Serialize};

use crate::decode::{RecordBody, SelRecord, Severity, Timestamp};
use crate::tables;

/// One SEL entry as printed by `--format jsonl` and sent to alert sinks.
///
/// Field names are the stable interface: `record_id, ts,
/// sensor_type_code, sensor_type, sensor_number, event_type_code,
/// direction, description, severity`, and `bus`/`devfn` for PCI errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Host (inventory name) the entry came from, when fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// File the entry was decoded from (`decode`): its path as given, `-`
    /// for standard input; absent for fetched entries and hex arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// SEL record ID.
    pub record_id: u32,
    /// RFC 3339 UTC time, `pre-init +Ns` for the spec's pre-init range, or
    /// null when the record has no timestamp / it is unspecified. Printed
    /// as `ts`, the event-time name of docs/CLI-CONTRACT.md (state files
    /// written as `timestamp` still read).
    #[serde(rename = "ts", alias = "timestamp")]
    pub timestamp: Option<String>,
    /// Sensor type code (null for OEM records).
    pub sensor_type_code: Option<u8>,
    /// Sensor type name from IPMI 2.0 table 42-3.
    pub sensor_type: Option<String>,
    /// Sensor number.
    pub sensor_number: Option<u8>,
    /// Event/reading type code (byte 12 bits 6-0).
    pub event_type_code: Option<u8>,
    /// `assertion` or `deassertion` (null for OEM records).
    pub direction: Option<String>,
    /// What happened, from the spec's tables.
    pub description: String,
    /// `info`, `warning` or `critical`.
    pub severity: Severity,
    /// PCI bus (event data 2) for Critical Interrupt events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bus: Option<u8>,
    /// PCI device/function (event data 3) for Critical Interrupt events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devfn: Option<u8>,
    /// Record type (0x02 system event, 0xC0-0xFF OEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_type: Option<u8>,
    /// Generator ID as ipmitool prints it, e.g. `0x0033`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<String>,
    /// Who generated it, e.g. `SMI Handler (software ID 0x19, channel 0)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator_desc: Option<String>,
    /// Event message format revision (0x04 for IPMI 1.5/2.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evm_rev: Option<u8>,
    /// Event data 1-3 as hex, e.g. `a58012`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_data: Option<String>,
    /// Sensor name as the BMC reports it (`SENSOR_ID`), trimmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensor_name: Option<String>,
    /// The 16 raw bytes as hex, when the source gave them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// Seconds since 1970 UTC, when known (used for de-duplication).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unix_time: Option<i64>,
}

impl Event {
    /// Build from a decoded record.
    pub fn from_record(r: &SelRecord) -> Self {
        let timestamp = match r.timestamp {
            None | Some(Timestamp::Unspecified) => None,
            Some(t) => Some(t.to_string()),
        };
        let unix_time = r.timestamp.and_then(|t| t.unix()).map(i64::from);
        let mut ev = Event {
            host: None,
            file: None,
            record_id: u32::from(r.record_id),
            timestamp,
            sensor_type_code: None,
            sensor_type: None,
            sensor_number: None,
            event_type_code: None,
            direction: None,
            description: r.description(),
            severity: r.severity(),
            bus: None,
            devfn: None,
            record_type: Some(r.record_type),
            generator: None,
            generator_desc: None,
            evm_rev: None,
            event_data: None,
            sensor_name: None,
            raw: Some(r.raw_hex()),
            unix_time,
        };
        if let RecordBody::System(e) = &r.body {
            ev.sensor_type_code = Some(e.sensor_type);
            ev.sensor_type = Some(tables::sensor_type_name(e.sensor_type).to_string());
            ev.sensor_number = Some(e.sensor_number);
            ev.event_type_code = Some(e.event_type);
            ev.direction = Some(
                if e.deassertion {
                    "deassertion"
                } else {
                    "assertion"
                }
                .into(),
            );
            ev.generator = Some(format!("0x{:04x}", e.generator.raw));
            ev.generator_desc = Some(e.generator.to_string());
            ev.evm_rev = Some(e.evm_rev);
            ev.event_data = Some(crate::decode::hex(&e.event_data));
            if let Some((bus, devfn)) = e.pci_location() {
                ev.bus = Some(bus);
                ev.devfn = Some(devfn);
            }
        }
        ev
    }

    /// Supermicro-style PCI location, e.g. `Bus80(DevFn12)`.
    pub fn pci_location(&self) -> Option<String> {
        Some(format!("Bus{:02X}(DevFn{:02X})", self.bus?, self.devfn?))
    }

    /// A key that identifies this entry across polls even when record IDs
    /// are reused after a SEL clear or wrap: id + time + raw bytes (or
    /// description when the source gave no raw bytes).
    pub fn identity(&self) -> String {
        format!(
            "{}|{}|{}",
            self.record_id,
            self.unix_time
                .map(|t| t.to_string())
                .or_else(|| self.timestamp.clone())
                .unwrap_or_default(),
            self.raw.as_deref().unwrap_or(&self.description)
        )
    }
}

/// CSV columns, in the order of [`Event::csv_record`]: the same for
/// `fetch` (`file` empty) and `decode` (`host` empty).
pub const CSV_COLUMNS: [&str; 15] = [
    "host",
    "file",
    "record_id",
    "ts",
    "sensor_type_code",
    "sensor_type",
    "sensor_number",
    "sensor_name",
    "event_type_code",
    "direction",
    "description",
    "severity",
    "bus",
    "devfn",
    "raw",
];

/// Table columns, in the order of [`Event::table_cells`]. The first names
/// where the entry came from: `host` for fetched entries, [`FILE_COLUMN`]
/// (with [`Event::file`] in its cell) for decoded files. The names are the
/// CSV's (snake_case, docs/CLI-CONTRACT.md).
pub const TABLE_COLUMNS: [&str; 9] = [
    "host",
    "record_id",
    "ts",
    "severity",
    "sensor_type",
    "sensor_number",
    "sensor_name",
    "direction",
    "description",
];

/// The table's first column for `decode` output, in place of `host`.
pub const FILE_COLUMN: &str = "file";

impl Event {
    /// The CSV row ([`CSV_COLUMNS`]): numbers in decimal, missing values empty.
    pub fn csv_record(&self) -> [String; 15] {
        let opt = |v: Option<u8>| v.map(|x| x.to_string()).unwrap_or_default();
        [
            self.host.clone().unwrap_or_default(),
            self.file.clone().unwrap_or_default(),
            self.record_id.to_string(),
            self.timestamp.clone().unwrap_or_default(),
            opt(self.sensor_type_code),
            self.sensor_type.clone().unwrap_or_default(),
            opt(self.sensor_number),
            self.sensor_name.clone().unwrap_or_default(),
            opt(self.event_type_code),
            self.direction.clone().unwrap_or_default(),
            self.description.clone(),
            self.severity.to_string(),
            opt(self.bus),
            opt(self.devfn),
            self.raw.clone().unwrap_or_default(),
        ]
    }

    /// The table row ([`TABLE_COLUMNS`]): sensor type with its code in hex,
    /// sensor number in hex, the sensor's name, `-` for missing values.
    /// The first cell is the host, or with `file` true the file
    /// ([`FILE_COLUMN`]).
    pub fn table_cells(&self, file: bool) -> [String; 9] {
        let dash = || "-".to_string();
        let origin = if file { &self.file } else { &self.host };
        [
            origin.clone().unwrap_or_else(dash),
            self.record_id.to_string(),
            self.timestamp.clone().unwrap_or_else(dash),
            self.severity.to_string(),
            match (self.sensor_type.as_deref(), self.sensor_type_code) {
                (Some(n), Some(c)) => format!("{n} (0x{c:02x})"),
                (Some(n), None) => n.to_string(),
                _ => dash(),
            },
            self.sensor_number
                .map(|n| format!("0x{n:02x}"))
                .unwrap_or_else(dash),
            self.sensor_name.clone().unwrap_or_else(dash),
            self.direction.clone().unwrap_or_else(dash),
            self.description.clone(),
        ]
    }
}

/// Which events are shown and which make a run fail (`--min-severity`,
/// `--fail-on`).
///
/// ```
/// use ipmi_sel::{Severity, event::SeverityFilter};
/// let evs = ipmi_sel::parse::parse_hex("020002124c015d33000413006fa58012", "x").unwrap();
/// let f = SeverityFilter { min: Severity::Info, fail_on: Some(Severity::Critical) };
/// assert_eq!(f.shown(&evs).count(), 1);
/// assert!(f.fails(&evs)); // PCI SERR is critical
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeverityFilter {
    /// Show only entries at or above this severity.
    pub min: Severity,
    /// An entry at or above this severity fails the run (exit 1).
    pub fail_on: Option<Severity>,
}

impl Default for SeverityFilter {
    /// Show everything, never fail.
    fn default() -> Self {
        SeverityFilter {
            min: Severity::Info,
            fail_on: None,
        }
    }
}

impl SeverityFilter {
    /// The entries to show, in input order. Entries below `min` still count
    /// for [`fails`](Self::fails).
    pub fn shown<'a>(&self, evs: &'a [Event]) -> impl Iterator<Item = &'a Event> + use<'a> {
        let min = self.min;
        evs.iter().filter(move |e| e.severity >= min)
    }

    /// Is any entry (shown or not) at or above `fail_on`?
    pub fn fails(&self, evs: &[Event]) -> bool {
        self.fail_on
            .is_some_and(|f| evs.iter().any(|e| e.severity >= f))
    }
}

#[cfg(test)]
mod filter_tests {
    use super::*;

    fn ev(sev: Severity) -> Event {
        let mut e =
            crate::parse::parse_hex("020002124c015d33000413006fa58012", "t").unwrap()[0].clone();
        e.severity = sev;
        e
    }

    #[test]
    fn fail_on_counts_entries_below_min_severity() {
        let evs = [ev(Severity::Info), ev(Severity::Warning)];
        let f = SeverityFilter {
            min: Severity::Critical,
            fail_on: Some(Severity::Warning),
        };
        assert_eq!(f.shown(&evs).count(), 0);
        assert!(f.fails(&evs));
        let f = SeverityFilter {
            min: Severity::Warning,
            fail_on: Some(Severity::Critical),
        };
        assert_eq!(f.shown(&evs).count(), 1);
        assert!(!f.fails(&evs));
        assert!(!SeverityFilter::default().fails(&evs));
        assert_eq!(SeverityFilter::default().shown(&evs).count(), 2);
    }

    #[test]
    fn rows_match_the_columns() {
        let e = ev(Severity::Critical);
        let c = e.csv_record();
        assert_eq!(c.len(), CSV_COLUMNS.len());
        assert_eq!(c[10], "PCI SERR @Bus80(DevFn12)");
        assert_eq!(c[11], "critical");
        let t = e.table_cells(false);
        assert_eq!(t.len(), TABLE_COLUMNS.len());
        assert_eq!(t[0], "-");
        assert_eq!(t[5], "0x00");
        assert!(t[4].ends_with("(0x13)"), "{}", t[4]);
    }
}
