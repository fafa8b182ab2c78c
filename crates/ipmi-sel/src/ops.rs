//! `sel info`, `sel get ID` and `sel clear`, as ipmitool has them, on every
//! source kind that can do them:
//!
//! | kind | info | get | clear |
//! |---|---|---|---|
//! | ipmi (RMCP+) | Get SEL Info: every field | Get SEL Entry of that ID | Clear SEL |
//! | redfish | entries, `MaxNumberOfRecords`, overwrite policy | from the entries | `LogService.ClearLog` |
//! | supermicro (web CGI) | entries | from the entries | not supported |
//! | offline (file) | entries | from the entries | not supported |
//!
//! An operation a kind cannot do is [`Error::Unsupported`] (the tools exit
//! 3); a record ID the SEL does not hold is [`Error::NoRecord`] (exit 2).

use serde::Serialize;

use crate::decode;
use crate::error::Error;
use crate::event::Event;
use crate::lan::SelInfo;
use crate::source::{AnySource, SelSource};

/// What `sel info` reports; fields a source kind does not know are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelSummary {
    /// Host (inventory name).
    pub host: String,
    /// Source kind (`ipmi`, `redfish`, `supermicro`, `offline`).
    pub kind: &'static str,
    /// SEL version as ipmitool prints it (`1.5` for 0x51).
    pub version: Option<String>,
    /// Entries in the SEL.
    pub entries: u64,
    /// Free space, bytes (IPMI).
    pub free_bytes: Option<u64>,
    /// Most entries the log holds (Redfish `MaxNumberOfRecords`).
    pub max_entries: Option<u64>,
    /// Last addition, RFC 3339 UTC (IPMI; none when the BMC says "not
    /// available").
    pub last_add: Option<String>,
    /// Last erase, RFC 3339 UTC (IPMI; none when not available).
    pub last_erase: Option<String>,
    /// The SEL overflowed: entries were dropped (IPMI).
    pub overflow: Option<bool>,
    /// Optional commands the SEL supports, named as ipmitool does
    /// (`Delete`, `Partial Add`, `Reserve`, `Get Alloc Info`), or the
    /// Redfish overwrite policy (`WrapsWhenFull`, ...).
    pub supports: Vec<String>,
}

/// The columns of [`SelSummary::cells`], for `--format table|csv`.
pub const SUMMARY_COLUMNS: [&str; 10] = [
    "host",
    "kind",
    "version",
    "entries",
    "free_bytes",
    "max_entries",
    "last_add",
    "last_erase",
    "overflow",
    "supports",
];

impl SelSummary {
    fn counted(host: &str, kind: &'static str, entries: usize) -> SelSummary {
        SelSummary {
            host: host.into(),
            kind,
            version: None,
            entries: entries as u64,
            free_bytes: None,
            max_entries: None,
            last_add: None,
            last_erase: None,
            overflow: None,
            supports: Vec::new(),
        }
    }

    /// From a Get SEL Info answer (IPMI 2.0 section 31.2).
    pub fn from_ipmi(host: &str, i: &SelInfo) -> SelSummary {
        // 0x00000000 and 0xFFFFFFFF: "Not Available" (ipmitool's reading);
        // small values are seconds since the BMC started (`pre-init +Ns`,
        // ipmitool's `S+ HH:MM:SS`).
        let time =
            |t: u32| (t != 0 && t != u32::MAX).then(|| decode::Timestamp::from_raw(t).to_string());
        let supports = [
            (0x08, "Delete"),
            (0x04, "Partial Add"),
            (0x02, "Reserve"),
            (0x01, "Get Alloc Info"),
        ]
        .iter()
        .filter(|(bit, _)| i.operations & bit != 0)
        .map(|(_, n)| n.to_string())
        .collect();
        SelSummary {
            host: host.into(),
            kind: "ipmi",
            version: Some(format!("{}.{}", i.version & 0x0f, i.version >> 4)),
            entries: u64::from(i.entries),
            free_bytes: Some(u64::from(i.free_bytes)),
            max_entries: None,
            last_add: time(i.last_add),
            last_erase: time(i.last_erase),
            overflow: Some(i.operations & 0x80 != 0),
            supports,
        }
    }

    /// The row in [`SUMMARY_COLUMNS`] order; unknown fields empty.
    pub fn cells(&self) -> [String; 10] {
        let opt = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
        [
            self.host.clone(),
            self.kind.to_string(),
            self.version.clone().unwrap_or_default(),
            self.entries.to_string(),
            opt(self.free_bytes),
            opt(self.max_entries),
            self.last_add.clone().unwrap_or_default(),
            self.last_erase.clone().unwrap_or_default(),
            self.overflow.map(|b| b.to_string()).unwrap_or_default(),
            self.supports.join(";"),
        ]
    }
}

/// Parse a record ID as `sel get` takes it: decimal or `0x` hex, 0-0xFFFF.
pub fn parse_record_id(s: &str) -> Option<u16> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u16::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

impl AnySource {
    /// The kind's name as the inventory spells it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            AnySource::Supermicro(_) => "supermicro",
            AnySource::Redfish(_) => "redfish",
            AnySource::Offline(_) => "offline",
            AnySource::Lan(_) => "ipmi",
        }
    }

    fn unsupported(&self, op: &'static str, hint: &'static str) -> Error {
        Error::Unsupported {
            host: self.name().to_string(),
            op,
            kind: self.kind_name(),
            hint,
        }
    }

    /// `sel info`.
    pub async fn sel_info(&mut self) -> Result<SelSummary, Error> {
        let kind = self.kind_name();
        match self {
            AnySource::Lan(s) => {
                let i = s.sel_info().await?;
                Ok(SelSummary::from_ipmi(s.name(), &i))
            }
            AnySource::Redfish(s) => {
                let (n, max, policy) = s.sel_info().await?;
                let mut sum = SelSummary::counted(s.name(), kind, n);
                sum.max_entries = max;
                sum.supports.extend(policy);
                Ok(sum)
            }
            _ => {
                let n = self.fetch().await?.len();
                Ok(SelSummary::counted(self.name(), kind, n))
            }
        }
    }

    /// `sel get ID`: the entry with that record ID.
    pub async fn sel_get(&mut self, id: u16) -> Result<Event, Error> {
        let found = match self {
            AnySource::Lan(s) => s.sel_get(id).await?,
            _ => self
                .fetch()
                .await?
                .into_iter()
                .find(|e| e.record_id == u32::from(id)),
        };
        found.ok_or_else(|| Error::NoRecord {
            host: self.name().to_string(),
            id,
        })
    }

    /// `sel clear`: empty the SEL. Callers ask for an explicit flag first.
    pub async fn sel_clear(&mut self) -> Result<(), Error> {
        match self {
            AnySource::Lan(s) => s.sel_clear().await,
            AnySource::Redfish(s) => s.clear_log().await,
            AnySource::Supermicro(_) => Err(self.unsupported(
                "clear",
                "the web UI's CGI has no documented clear call; use --kind ipmi (IPMI over LAN) or --kind redfish for this BMC",
            )),
            AnySource::Offline(_) => Err(self.unsupported("clear", "a saved file is not a BMC")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_ids_and_ipmi_summary() {
        assert_eq!(parse_record_id("0x0010"), Some(16));
        assert_eq!(parse_record_id("16"), Some(16));
        assert_eq!(parse_record_id("0xFFFF"), Some(0xffff));
        assert_eq!(parse_record_id("65536"), None);
        assert_eq!(parse_record_id("x1"), None);
        let i = SelInfo {
            version: 0x51,
            entries: 3,
            free_bytes: 1000,
            last_add: 1_700_000_000,
            last_erase: u32::MAX,
            operations: 0x80 | 0x02 | 0x01,
        };
        let s = SelSummary::from_ipmi("h", &i);
        assert_eq!(s.version.as_deref(), Some("1.5"));
        assert_eq!(s.last_add.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(s.last_erase, None);
        assert_eq!(s.overflow, Some(true));
        assert_eq!(s.supports, ["Reserve", "Get Alloc Info"]);
        assert_eq!(s.cells().len(), SUMMARY_COLUMNS.len());
        assert_eq!(s.cells()[9], "Reserve;Get Alloc Info");
    }
}
