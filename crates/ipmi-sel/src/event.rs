//! The flat, serialisable view of one SEL entry that every source produces
//! and every output format prints.

use serde::{Deserialize, Serialize};

use crate::decode::{RecordBody, SelRecord, Severity, Timestamp};
use crate::tables;

/// One SEL entry as printed by `--format jsonl` and sent to alert sinks.
///
/// Field names are the stable interface: `record_id, timestamp,
/// sensor_type_code, sensor_type, sensor_number, event_type_code,
/// direction, description, severity`, and `bus`/`devfn` for PCI errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Host (inventory name) the entry came from, when fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// SEL record ID.
    pub record_id: u32,
    /// RFC 3339 UTC time, `pre-init +Ns` for the spec's pre-init range, or
    /// null when the record has no timestamp / it is unspecified.
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
