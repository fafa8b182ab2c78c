//! Parsers for what BMCs return (and what users save from them): the
//! Supermicro `SEL_INFO.XML` answer, Redfish `LogEntryCollection` JSON, raw
//! binary SEL dumps and hex records. No I/O; errors name the origin.

use crate::decode::{self, RECORD_LEN, SelRecord, Severity};
use crate::error::Error;
use crate::event::Event;
use crate::tables;

/// Input kinds `decode` recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// Supermicro `SEL_INFO.XML` answer.
    Xml,
    /// Redfish log entries JSON.
    RedfishJson,
    /// Raw binary, 16 bytes per record.
    Binary,
    /// Hex text, 32 hex digits per record.
    Hex,
}

/// Guess the kind of a saved input from its first non-blank bytes.
pub fn sniff(bytes: &[u8]) -> InputKind {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let rest = &bytes[start..];
    let binary = rest
        .iter()
        .take(4096)
        .any(|&b| b >= 0x80 || (b < 0x20 && !b.is_ascii_whitespace()));
    if binary {
        return InputKind::Binary;
    }
    match rest.first() {
        Some(b'<') => InputKind::Xml,
        Some(b'{') | Some(b'[') => InputKind::RedfishJson,
        _ => {
            let text_like = rest.iter().take(4096).all(|b| {
                b.is_ascii_hexdigit()
                    || b.is_ascii_whitespace()
                    || matches!(b, b':' | b'-' | b',' | b'x' | b'X')
            });
            if text_like && !rest.is_empty() {
                InputKind::Hex
            } else {
                InputKind::Binary
            }
        }
    }
}

/// Decode any saved input (kind sniffed from content). `origin` names it in
/// errors (file name or host).
pub fn parse_any(bytes: &[u8], origin: &str) -> Result<Vec<Event>, Error> {
    match sniff(bytes) {
        InputKind::Xml => {
            let text = utf8(bytes, origin)?;
            parse_sel_xml(text, origin)
        }
        InputKind::RedfishJson => {
            let text = utf8(bytes, origin)?;
            Ok(parse_redfish_entries(text, origin)?.0)
        }
        InputKind::Hex => {
            let text = utf8(bytes, origin)?;
            parse_hex(text, origin)
        }
        InputKind::Binary => parse_binary(bytes, origin),
    }
}

fn utf8<'a>(bytes: &'a [u8], origin: &str) -> Result<&'a str, Error> {
    std::str::from_utf8(bytes).map_err(|e| Error::Parse {
        origin: origin.to_string(),
        detail: format!(
            "byte offset {}: not valid UTF-8; save the BMC answer unmodified",
            e.valid_up_to()
        ),
    })
}

/// Hex records (see [`decode::parse_hex_records`]).
pub fn parse_hex(text: &str, origin: &str) -> Result<Vec<Event>, Error> {
    decode::parse_hex_records(text)
        .map(|v| v.iter().map(Event::from_record).collect())
        .map_err(|detail| Error::Parse {
            origin: origin.to_string(),
            detail,
        })
}

/// Raw binary SEL dump: consecutive 16-byte records.
pub fn parse_binary(bytes: &[u8], origin: &str) -> Result<Vec<Event>, Error> {
    if bytes.is_empty() {
        return Err(Error::Parse {
            origin: origin.into(),
            detail: "empty input: expected 16-byte SEL records".into(),
        });
    }
    if !bytes.len().is_multiple_of(RECORD_LEN) {
        let off = bytes.len() - bytes.len() % RECORD_LEN;
        return Err(Error::Parse {
            origin: origin.into(),
            detail: format!(
                "byte offset {off}: truncated record ({} of 16 bytes); a raw SEL dump is a multiple of 16 bytes",
                bytes.len() - off
            ),
        });
    }
    Ok(bytes
        .chunks_exact(RECORD_LEN)
        .filter_map(SelRecord::from_slice)
        .map(|r| Event::from_record(&r))
        .collect())
}

fn looks_like_html(text: &str) -> Option<String> {
    let head: String = text
        .chars()
        .take(2048)
        .collect::<String>()
        .to_ascii_lowercase();
    if head.contains("<html") || head.contains("<!doctype html") {
        let title = head
            .find("<title>")
            .and_then(|s| {
                let t = &head[s + 7..];
                t.find("</title>").map(|e| t[..e].trim().to_string())
            })
            .unwrap_or_default();
        Some(title)
    } else {
        None
    }
}

/// What a roxmltree error means for a SEL answer. A DTD (`<!DOCTYPE`,
/// `<!ENTITY`, the "billion laughs" entity bomb) is refused before any
/// entity is expanded: a BMC's `SEL_INFO.XML` never declares one.
fn xml_error_detail(e: &roxmltree::Error) -> String {
    let (row, col) = (e.pos().row, e.pos().col);
    match e {
        roxmltree::Error::DtdDetected => format!(
            "line {row}: the XML declares a DTD (<!DOCTYPE>/<!ENTITY>), which a BMC's SEL_INFO.XML never does; entity expansion is refused (an entity bomb such as billion laughs cannot expand); check what answers at this url"
        ),
        roxmltree::Error::EntityReferenceLoop(_) | roxmltree::Error::NodesLimitReached => format!(
            "line {row}, column {col}: the XML expands entities without end ({e}); refused, check what answers at this url"
        ),
        _ => format!(
            "line {row}, column {col}: broken SEL XML ({e}); the BMC answer is probably truncated, retry the fetch"
        ),
    }
}

/// Parse the Supermicro `SEL_INFO.XML=(1,c0)` answer.
///
/// The first `SEL` element carries `TOTAL_NUMBER` (hex); a record count that
/// disagrees with it means a truncated answer and is an error.
pub fn parse_sel_xml(text: &str, origin: &str) -> Result<Vec<Event>, Error> {
    if let Some(title) = looks_like_html(text) {
        return Err(Error::HtmlPage {
            host: origin.into(),
            title,
        });
    }
    let doc = roxmltree::Document::parse(text).map_err(|e| Error::Parse {
        origin: origin.into(),
        detail: xml_error_detail(&e),
    })?;
    let root = doc.root_element();
    let sel_info = root
        .descendants()
        .find(|n| n.has_tag_name("SEL_INFO"))
        .ok_or_else(|| Error::Parse {
            origin: origin.into(),
            detail: format!(
                "line {}: no <SEL_INFO> element under <{}>; this is not a SEL_INFO.XML answer",
                doc.text_pos_at(root.range().start).row,
                root.tag_name().name()
            ),
        })?;
    let mut total: Option<usize> = None;
    let mut out = Vec::new();
    for n in sel_info.children().filter(|n| n.has_tag_name("SEL")) {
        // Only computed for errors: text_pos_at scans from the start.
        let line = || doc.text_pos_at(n.range().start).row;
        if let Some(t) = n.attribute("TOTAL_NUMBER") {
            total = Some(
                usize::from_str_radix(t.trim(), 16).map_err(|_| Error::Parse {
                    origin: origin.into(),
                    detail: format!("line {}: TOTAL_NUMBER {t:?} is not hex", line()),
                })?,
            );
            continue;
        }
        let Some(rd) = n.attribute("SEL_RD") else {
            continue;
        };
        let recs = decode::parse_hex_records(rd).map_err(|d| Error::Parse {
            origin: origin.into(),
            detail: format!("line {}: SEL_RD {rd:?}: {d}", line()),
        })?;
        if recs.len() != 1 {
            return Err(Error::Parse {
                origin: origin.into(),
                detail: format!(
                    "line {}: SEL_RD must hold exactly one 16-byte record",
                    line()
                ),
            });
        }
        let mut ev = Event::from_record(&recs[0]);
        ev.sensor_name = n
            .attribute("SENSOR_ID")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        out.push(ev);
    }
    if let Some(t) = total
        && t != out.len()
    {
        return Err(Error::Parse {
            origin: origin.into(),
            detail: format!(
                "TOTAL_NUMBER says {t} records but {} were received; the answer is truncated, retry the fetch",
                out.len()
            ),
        });
    }
    Ok(out)
}

/// Parse one page of Redfish log entries (a `LogEntryCollection`, or a bare
/// array of `LogEntry`). Returns the events and `Members@odata.nextLink`.
pub fn parse_redfish_entries(
    text: &str,
    origin: &str,
) -> Result<(Vec<Event>, Option<String>), Error> {
    if let Some(title) = looks_like_html(text) {
        return Err(Error::HtmlPage {
            host: origin.into(),
            title,
        });
    }
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| Error::Parse {
        origin: origin.into(),
        detail: format!(
            "line {}, column {}: broken Redfish JSON ({e})",
            e.line(),
            e.column()
        ),
    })?;
    let (members, next) = match &v {
        serde_json::Value::Array(a) => (a.as_slice(), None),
        serde_json::Value::Object(o) => {
            let m = o.get("Members").and_then(|m| m.as_array()).ok_or_else(|| Error::Parse {
                origin: origin.into(),
                detail: "no \"Members\" array: not a Redfish LogEntryCollection (point at .../LogServices/<SEL>/Entries)".into(),
            })?;
            let next = o
                .get("Members@odata.nextLink")
                .and_then(|n| n.as_str())
                .map(str::to_string);
            (m.as_slice(), next)
        }
        _ => {
            return Err(Error::Parse {
                origin: origin.into(),
                detail: "expected a JSON object or array of log entries".into(),
            });
        }
    };
    let mut out = Vec::with_capacity(members.len());
    for (i, m) in members.iter().enumerate() {
        if let Some(ev) = redfish_entry(m, i) {
            out.push(ev);
        }
    }
    Ok((out, next))
}

/// Map one Redfish `LogEntry` to an [`Event`]. Entries whose `EntryType`
/// is present and not `SEL` are skipped (returns `None`).
pub fn redfish_entry(m: &serde_json::Value, index: usize) -> Option<Event> {
    let s = |k: &str| m.get(k).and_then(|v| v.as_str());
    if let Some(t) = s("EntryType")
        && !t.eq_ignore_ascii_case("SEL")
    {
        return None;
    }
    // Some BMCs include the raw 16 bytes; prefer them when present.
    for key in ["SelRecord", "RawData", "SEL_RD"] {
        let raw = s(key).or_else(|| {
            m.get("Oem")
                .and_then(|o| o.as_object())
                .and_then(|o| o.values().find_map(|v| v.get(key).and_then(|x| x.as_str())))
        });
        if let Some(raw) = raw
            && let Ok(recs) = decode::parse_hex_records(raw)
            && recs.len() == 1
        {
            let mut ev = Event::from_record(&recs[0]);
            ev.sensor_name = s("Name").map(str::to_string);
            return Some(ev);
        }
    }
    let record_id = s("Id")
        .and_then(|id| id.trim().parse::<u32>().ok())
        .or_else(|| m.get("Id").and_then(|v| v.as_u64()).map(|v| v as u32))
        .unwrap_or(index as u32);
    let unix_time = s("Created").and_then(decode::parse_datetime);
    let sensor_type = s("SensorType").map(str::to_string);
    let sensor_type_code = sensor_type
        .as_deref()
        .and_then(tables::sensor_type_code)
        .or_else(|| {
            let o = s("OemSensorType")?.trim();
            let h = o
                .strip_prefix("0x")
                .or_else(|| o.strip_prefix("0X"))
                .unwrap_or(o);
            u8::from_str_radix(h, 16).ok()
        });
    let sensor_number = m
        .get("SensorNumber")
        .and_then(|v| v.as_u64())
        .and_then(|v| u8::try_from(v).ok());
    let entry_code = s("EntryCode").unwrap_or("");
    let direction = if entry_code.to_ascii_lowercase().starts_with("deassert") {
        "deassertion"
    } else {
        "assertion"
    };
    let message = s("Message").unwrap_or("").trim().to_string();
    let mut severity = s("Severity")
        .and_then(Severity::parse)
        .unwrap_or(Severity::Info);
    let (bus, devfn) = find_bus_devfn(&message).unzip();
    if sensor_type_code == Some(0x13) && direction == "assertion" {
        let up = message.to_ascii_uppercase();
        if ["PERR", "SERR", "FATAL", "UNCORRECTABLE", "NON-FATAL"]
            .iter()
            .any(|w| up.contains(w))
        {
            severity = Severity::Critical;
        }
    }
    let description = if message.is_empty() {
        entry_code.to_string()
    } else {
        message
    };
    Some(Event {
        host: None,
        record_id,
        timestamp: unix_time
            .map(decode::format_utc)
            .or_else(|| s("Created").map(str::to_string)),
        sensor_type_code,
        sensor_type,
        sensor_number,
        event_type_code: None,
        direction: Some(direction.into()),
        description,
        severity,
        bus,
        devfn,
        record_type: None,
        generator: s("GeneratorId").map(str::to_string),
        generator_desc: None,
        evm_rev: None,
        event_data: None,
        sensor_name: None,
        file: None,
        raw: None,
        unix_time,
    })
}

/// Find `Bus<hex>(DevFn<hex>)` in a message.
fn find_bus_devfn(msg: &str) -> Option<(u8, u8)> {
    let i = msg.find("Bus")?;
    let rest = &msg[i + 3..];
    let (bus_s, rest) = rest.split_once("(DevFn")?;
    let (devfn_s, _) = rest.split_once(')')?;
    Some((
        u8::from_str_radix(bus_s, 16).ok()?,
        u8::from_str_radix(devfn_s, 16).ok()?,
    ))
}
