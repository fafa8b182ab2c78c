//! Decoder tests. Expected values are derived by hand from the IPMI 2.0
//! specification (section 32 record layout, tables 42-1..42-3, table 5-4)
//! and from the `TIME` attributes the BMC itself wrote next to each record.

use ipmi_sel::decode::{self, EventClass, RecordBody, SelRecord, Severity, Timestamp};
use ipmi_sel::parse;
use ipmi_sel::tables;
use proptest::prelude::*;

fn rec(hex: &str) -> SelRecord {
    let v = decode::parse_hex_records(hex).unwrap();
    assert_eq!(v.len(), 1);
    v.into_iter().next().unwrap()
}

const NOTES_XML: &str = include_str!("../../../testdata/ipmi/supermicro_sel_info_notes.xml");

#[test]
fn notes_record_2_pci_serr() {
    // 02 00 | 02 | 12 4c 01 5d | 33 00 | 04 | 13 | 00 | 6f | a5 | 80 | 12
    let r = rec("020002124c015d33000413006fa58012");
    assert_eq!(r.record_id, 2);
    assert_eq!(r.record_type, 0x02);
    // 0x5d014c12 = 1560366098 s; the BMC's TIME attribute says 2019/06/12 19:01:38.
    assert_eq!(r.timestamp, Some(Timestamp::Utc(0x5d01_4c12)));
    assert_eq!(r.timestamp.unwrap().to_string(), "2019-06-12T19:01:38Z");
    let e = r.system().unwrap();
    // Byte 7 = 0x33: bit 0 set = system software ID; 0x33 lies in table 5-4's
    // SMI Handler range 0x21-0x3F (7-bit ID 0x19).
    assert!(e.generator.software);
    assert_eq!(e.generator.raw, 0x0033);
    assert_eq!(tables::software_id_kind(e.generator.id), "SMI Handler");
    assert_eq!(e.generator.id >> 1, 0x19);
    assert_eq!(e.generator.channel, 0);
    assert_eq!(e.evm_rev, 0x04);
    assert_eq!(e.sensor_type, 0x13);
    assert_eq!(e.sensor_number, 0x00);
    assert!(!e.deassertion);
    assert_eq!(e.event_type, 0x6F);
    assert_eq!(EventClass::of(e.event_type), EventClass::SensorSpecific);
    // 0xa5 = 10 10 0101: data 2 and data 3 hold OEM codes, offset 5.
    assert_eq!(e.offset(), 5);
    assert_eq!(e.data2_kind(), 2);
    assert_eq!(e.data3_kind(), 2);
    assert_eq!(e.offset_description(), Some("PCI SERR"));
    assert_eq!(e.pci_location(), Some((0x80, 0x12)));
    assert_eq!(r.severity(), Severity::Critical);
    assert_eq!(r.description(), "PCI SERR @Bus80(DevFn12)");
}

#[test]
fn notes_record_1_chassis_intrusion() {
    let r = rec("0100029e40c45c20000405516ff0ffff");
    let e = r.system().unwrap();
    assert_eq!(r.record_id, 1);
    assert!(!e.generator.software);
    assert_eq!(e.generator.id, 0x20); // the BMC's slave address
    assert_eq!(e.sensor_type, 0x05);
    assert_eq!(tables::sensor_type_name(e.sensor_type), "Physical Security");
    assert_eq!(e.sensor_number, 0x51);
    assert_eq!(e.offset(), 0);
    assert_eq!(r.description(), "General Chassis Intrusion");
    assert_eq!(r.severity(), Severity::Warning);
    assert_eq!(e.pci_location(), None);
    assert_eq!(r.timestamp.unwrap().to_string(), "2019-04-27T11:44:30Z");
}

#[test]
fn notes_record_3_oem_sensor_type() {
    let r = rec("0300021fe3035d200004c8ff6fa0ffff");
    let e = r.system().unwrap();
    assert_eq!(e.sensor_type, 0xC8);
    assert_eq!(tables::sensor_type_name(0xC8), "OEM");
    assert_eq!(e.sensor_number, 0xFF);
    assert_eq!(e.offset_description(), None);
    assert_eq!(r.description(), "OEM sensor type 0xc8, offset 0x0");
    assert_eq!(r.severity(), Severity::Info);
}

#[test]
fn every_notes_record_time_matches_the_bmc_time_attribute() {
    let doc = roxmltree::Document::parse(NOTES_XML).unwrap();
    let mut n = 0;
    for node in doc.descendants().filter(|n| n.has_attribute("SEL_RD")) {
        let r = rec(node.attribute("SEL_RD").unwrap());
        // "2019/04/27 11:44:30" -> "2019-04-27T11:44:30Z"
        let want = format!(
            "{}Z",
            node.attribute("TIME")
                .unwrap()
                .replace('/', "-")
                .replace(' ', "T")
        );
        assert_eq!(r.timestamp.unwrap().to_string(), want);
        n += 1;
    }
    assert_eq!(n, 17);
}

#[test]
fn notes_xml_parses_to_17_events_with_4_pci_serr() {
    let evs = parse::parse_sel_xml(NOTES_XML, "notes.xml").unwrap();
    assert_eq!(evs.len(), 17); // TOTAL_NUMBER="0011"
    let pci: Vec<_> = evs
        .iter()
        .filter(|e| e.sensor_type_code == Some(0x13))
        .collect();
    assert_eq!(
        pci.iter().map(|e| e.record_id).collect::<Vec<_>>(),
        [2, 5, 8, 17]
    );
    for e in &pci {
        assert_eq!((e.bus, e.devfn), (Some(0x80), Some(0x12)));
        assert_eq!(e.severity, Severity::Critical);
        assert_eq!(e.sensor_name.as_deref(), Some("NO Sensor String"));
    }
    assert_eq!(evs[0].sensor_name.as_deref(), Some("Chassis Intru"));
}

#[test]
fn jsonl_field_names_and_types() {
    let evs = parse::parse_hex("020002124c015d33000413006fa58012", "argv").unwrap();
    let v = serde_json::to_value(&evs[0]).unwrap();
    assert_eq!(v["record_id"], 2);
    assert_eq!(v["ts"], "2019-06-12T19:01:38Z");
    assert_eq!(v["sensor_type_code"], 19); // integer 0x13
    assert_eq!(v["sensor_type"], "Critical Interrupt");
    assert_eq!(v["sensor_number"], 0);
    assert_eq!(v["event_type_code"], 0x6f);
    assert_eq!(v["direction"], "assertion");
    assert_eq!(v["description"], "PCI SERR @Bus80(DevFn12)");
    assert_eq!(v["severity"], "critical");
    assert_eq!(v["bus"], 0x80);
    assert_eq!(v["devfn"], 0x12);
    assert_eq!(v["generator"], "0x0033");
    assert_eq!(
        v["generator_desc"],
        "SMI Handler (software ID 0x19, channel 0)"
    );
    assert_eq!(v["evm_rev"], 4);
    assert_eq!(v["event_data"], "a58012");
    // No bus/devfn keys for non-PCI records.
    let evs = parse::parse_hex("0100029e40c45c20000405516ff0ffff", "argv").unwrap();
    let v = serde_json::to_value(&evs[0]).unwrap();
    assert!(v.get("bus").is_none() && v.get("devfn").is_none());
    assert_eq!(
        v["generator_desc"],
        "BMC (slave address 0x20, channel 0, LUN 0)"
    );
}

#[test]
fn threshold_upper_critical() {
    let r = rec("2a000200000060200004013001595a50");
    let e = r.system().unwrap();
    assert_eq!(r.record_id, 0x2a);
    assert_eq!(e.sensor_type, 0x01);
    assert_eq!(EventClass::of(e.event_type), EventClass::Threshold);
    assert_eq!(
        r.description(),
        "Upper Critical going high, reading 0x5a, threshold 0x50"
    );
    assert_eq!(r.severity(), Severity::Critical);
    // 0x60000000 = 1610612736 s = 2021-01-14T08:25:36Z
    assert_eq!(r.timestamp.unwrap().to_string(), "2021-01-14T08:25:36Z");
    // Same record, deasserted (byte 12 bit 7): informational.
    let r = rec("2a000200000060200004013081595a50");
    assert!(r.system().unwrap().deassertion);
    assert_eq!(r.severity(), Severity::Info);
    // Lower Non-critical going low (offset 0): warning.
    let r = rec("2b000200000060200004023001500000");
    assert_eq!(
        r.description(),
        "Lower Non-critical going low, reading 0x00, threshold 0x00"
    );
    assert_eq!(r.severity(), Severity::Warning);
}

#[test]
fn timestamps_pre_init_and_unspecified() {
    let r = rec("01000210000000200004050f6ff0ffff");
    assert_eq!(r.timestamp, Some(Timestamp::PreInit(16)));
    assert_eq!(r.timestamp.unwrap().to_string(), "pre-init +16s");
    let r = rec("010002ffffffff200004050f6ff0ffff");
    assert_eq!(r.timestamp, Some(Timestamp::Unspecified));
    let ev = ipmi_sel::Event::from_record(&r);
    assert_eq!(ev.timestamp, None);
    // 0x20000000 is the last pre-init value, 0x20000001 the first absolute.
    assert_eq!(
        Timestamp::from_raw(0x2000_0000),
        Timestamp::PreInit(0x2000_0000)
    );
    assert_eq!(
        Timestamp::from_raw(0x2000_0001),
        Timestamp::Utc(0x2000_0001)
    );
}

#[test]
fn calendar_arithmetic() {
    assert_eq!(decode::format_utc(0), "1970-01-01T00:00:00Z");
    // 946684800 = 2000-01-01; 59 days later is the leap day.
    assert_eq!(
        decode::format_utc(946_684_800 + 59 * 86_400),
        "2000-02-29T00:00:00Z"
    );
    assert_eq!(
        decode::format_utc(i64::from(u32::MAX - 1)),
        "2106-02-07T06:28:14Z"
    );
    assert_eq!(
        decode::parse_datetime("2019-06-12T19:01:38Z"),
        Some(1_560_366_098)
    );
    assert_eq!(
        decode::parse_datetime("2019-06-12T21:01:38+02:00"),
        Some(1_560_366_098)
    );
    assert_eq!(
        decode::parse_datetime("2019/06/12 19:01:38"),
        Some(1_560_366_098)
    );
    assert_eq!(
        decode::parse_datetime("2019-06-12T19:01:38.123-00:30"),
        Some(1_560_367_898)
    );
    assert_eq!(decode::parse_datetime("garbage"), None);
    assert_eq!(decode::parse_datetime("2019-13-12T19:01:38Z"), None);
}

#[test]
fn oem_records_kept_raw() {
    // 0xC1: timestamped OEM; manufacturer 0x002a7c = 10876 (Supermicro's IANA number).
    let r = rec("0700c1124c015d7c2a00010203040506");
    assert_eq!(r.timestamp.unwrap().to_string(), "2019-06-12T19:01:38Z");
    match r.body {
        RecordBody::OemTimestamped {
            manufacturer_id,
            data,
        } => {
            assert_eq!(manufacturer_id, 10876);
            assert_eq!(data, [1, 2, 3, 4, 5, 6]);
        }
        ref b => panic!("unexpected {b:?}"),
    }
    assert_eq!(
        r.description(),
        "OEM record type 0xc1, manufacturer ID 10876, data 010203040506"
    );
    let ev = ipmi_sel::Event::from_record(&r);
    assert_eq!(ev.sensor_type_code, None);
    assert_eq!(ev.raw.as_deref(), Some("0700c1124c015d7c2a00010203040506"));
    // 0xE0: non-timestamped, 13 OEM bytes from byte 3.
    let r = rec("0800e0000102030405060708090a0b0c");
    assert_eq!(r.timestamp, None);
    assert_eq!(
        r.description(),
        "OEM record type 0xe0, data 000102030405060708090a0b0c"
    );
    assert_eq!(r.severity(), Severity::Info);
}

#[test]
fn firmware_progress_error_code() {
    let r = rec("090002000000600100040f006fc001ff");
    assert_eq!(
        r.description(),
        "System Firmware Error (POST Error): No system memory is physically installed in the system"
    );
    assert_eq!(r.severity(), Severity::Warning);
    // Offset 2 progress, code 0x07 = PCI resource configuration.
    let r = rec("090002000000600100040f006fc207ff");
    assert_eq!(
        r.description(),
        "System Firmware Progress: PCI resource configuration"
    );
    assert_eq!(r.severity(), Severity::Info);
    // Memory (0x0C) offset 1 uncorrectable ECC, data 3 = module 3.
    let r = rec("0a000200000060010004 0c 08 6f b1 ff 03"
        .replace(' ', "")
        .as_str());
    assert_eq!(
        r.description(),
        "Uncorrectable ECC / other uncorrectable memory error, memory module/device 3"
    );
    assert_eq!(r.severity(), Severity::Critical);
}

#[test]
fn more_sensor_specific_event_data() {
    // Session Audit (0x2A) offset 0 activated, ed1 = 11 11 0000:
    // ed2 = 0x02 -> user ID 2; ed3 = 0x01 -> channel 1, cause unspecified.
    let r = rec("10000200000060200004 2a 01 6f f0 02 01"
        .replace(' ', "")
        .as_str());
    assert_eq!(r.description(), "Session Activated, user ID 2, channel 1");
    // Offset 1 deactivated, ed3 = 0x21: cause 10 = timeout, channel 1.
    let r = rec("11000200000060200004 2a 01 6f f1 02 21"
        .replace(' ', "")
        .as_str());
    assert_eq!(
        r.description(),
        "Session Deactivated, user ID 2, channel 1, deactivated by timeout"
    );
    // Slot/Connector (0x21) offset 2 installed, ed2 = 0x09 PCI Express, ed3 = slot 4.
    let r = rec("12000200000060200004 21 10 6f f2 09 04"
        .replace(' ', "")
        .as_str());
    assert_eq!(
        r.description(),
        "Slot / Connector Device installed/attached: PCI Express slot 4"
    );
    // Watchdog 2 (0x23) offset 1 hard reset, ed2 = 0x24: NMI, SMS/OS.
    let r = rec("13000200000060200004 23 11 6f c1 24 ff"
        .replace(' ', "")
        .as_str());
    assert_eq!(
        r.description(),
        "Hard Reset, interrupt: NMI, timer use: SMS/OS"
    );
    assert_eq!(r.severity(), Severity::Warning);
    // FRU State (0x2C) offset 7 communication lost, ed2 = 0x54: cause 5, previous 4 (FRU Active).
    let r = rec("14000200000060200004 2c 12 6f c7 54 ff"
        .replace(' ', "")
        .as_str());
    assert_eq!(
        r.description(),
        "FRU Communication Lost, cause: Communication Lost, previous state: FRU Active"
    );
    // Power Supply config error (0x08 offset 6), ed3 = 0x03 rating mismatch.
    let r = rec("15000200000060200004 08 13 6f 36 ff 03"
        .replace(' ', "")
        .as_str());
    assert_eq!(
        r.description(),
        "Configuration error: Power Supply rating mismatch"
    );
    // Generic discrete with previous state + severity in ed2 (ed1 bits 7:6 = 01):
    // ed2 = 0x21 -> severity offset 2 (critical from less severe), previous state 1.
    let r = rec("16000200000060200004 02 14 03 41 21 ff"
        .replace(' ', "")
        .as_str());
    assert_eq!(
        r.description(),
        "State Asserted, severity: Transition to Critical from less severe, previous state offset 0x1"
    );
}

#[test]
fn critical_interrupt_severities() {
    // Per offset: 4 PERR, 5 SERR, 8 uncorrectable, 9 fatal NMI, A bus fatal -> critical.
    for (off, want) in [
        (0u8, Severity::Warning),
        (3, Severity::Info),
        (4, Severity::Critical),
        (5, Severity::Critical),
        (7, Severity::Warning),
        (8, Severity::Critical),
        (9, Severity::Critical),
        (0xA, Severity::Critical),
        (0xB, Severity::Warning),
    ] {
        let hex = format!("0100020000006033000413016fa{off:x}0010");
        let r = rec(&hex);
        assert_eq!(r.severity(), want, "offset {off}");
        assert_eq!(
            r.system().unwrap().pci_location(),
            Some((0x00, 0x10)),
            "bus 0 is still a bus"
        );
    }
    // ed1 says data 2/3 unspecified (00 00): no PCI location claimed.
    let r = rec("01000200000060330004130 16f05ffff"
        .replace(' ', "")
        .as_str());
    assert_eq!(r.system().unwrap().pci_location(), None);
    assert_eq!(r.description(), "PCI SERR");
}

#[test]
fn generic_discrete_types() {
    // Redundancy (0x0B) offset 1 Redundancy Lost on a power unit (0x09).
    let r = rec("0c00020000006020000409400b01ffff");
    assert_eq!(r.description(), "Redundancy Lost");
    assert_eq!(r.severity(), Severity::Warning);
    // Severity (0x07) offset 2: transition to critical.
    let r = rec("0d0002000000602000040140 07 02 ffff"
        .replace(' ', "")
        .as_str());
    assert_eq!(r.description(), "Transition to Critical from less severe");
    assert_eq!(r.severity(), Severity::Critical);
}

#[test]
fn sensor_type_names_cover_the_standard_range() {
    for c in 0x01u8..=0x2C {
        let n = tables::sensor_type_name(c);
        assert_ne!(n, "Reserved", "0x{c:02x}");
        assert_eq!(tables::sensor_type_code(n), Some(c), "{n}");
    }
    assert_eq!(tables::sensor_type_code("CriticalInterrupt"), Some(0x13));
    assert_eq!(
        tables::sensor_type_code("Platform Security Violation Attempt"),
        Some(0x06)
    );
    assert_eq!(tables::sensor_type_name(0x2D), "Reserved");
    assert_eq!(tables::sensor_type_name(0xC0), "OEM");
}

#[test]
fn hex_input_errors_name_position() {
    let e = decode::parse_hex_records("0200zz").unwrap_err();
    assert!(e.contains("character 5"), "{e}");
    let e = decode::parse_hex_records("0200").unwrap_err();
    assert!(e.contains("multiple of 32"), "{e}");
    // Separators and 0x prefixes are accepted.
    let v =
        decode::parse_hex_records("0x02 00 02 12 4c 01 5d 33 00 04 13 00 6f a5 80 12\n").unwrap();
    assert_eq!(v[0].record_id, 2);
}

#[test]
fn binary_dump_and_truncation_offset() {
    let mut bytes = Vec::new();
    for hexrec in [
        "0100029e40c45c20000405516ff0ffff",
        "020002124c015d33000413006fa58012",
    ] {
        bytes.extend(decode::parse_hex_records(hexrec).unwrap()[0].raw);
    }
    let evs = parse::parse_any(&bytes, "dump.bin").unwrap();
    assert_eq!(evs.len(), 2);
    assert_eq!(evs[1].bus, Some(0x80));
    let err = parse::parse_any(&bytes[..27], "dump.bin")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("dump.bin: byte offset 16: truncated record (11 of 16 bytes)"),
        "{err}"
    );
}

#[test]
fn xml_faults_give_clear_errors() {
    let cut = NOTES_XML.find("</IPMI>").unwrap();
    // Every truncation of the answer is an error, never fewer events.
    for len in (0..cut).step_by(7) {
        let r = parse::parse_sel_xml(&NOTES_XML[..len], "bmc1");
        assert!(
            r.is_err(),
            "prefix {len} parsed as {:?}",
            r.map(|v| v.len())
        );
    }
    // A well-formed answer missing records (count mismatch) is an error too.
    let mut lines: Vec<&str> = NOTES_XML.lines().collect();
    lines.remove(5);
    let short = lines.join("\n");
    let e = parse::parse_sel_xml(&short, "bmc1")
        .unwrap_err()
        .to_string();
    assert!(e.contains("TOTAL_NUMBER says 17 records but 16"), "{e}");
    let e = parse::parse_sel_xml("<html><head><title>Error</title></head></html>", "bmc1")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("bmc1: the BMC answered with an HTML page (\"error\")"),
        "{e}"
    );
    let e = parse::parse_sel_xml("<IPMI><SEL_INFO><SEL", "bmc1")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("bmc1: line 1, column"), "{e}");
    // A bad SEL_RD is reported with its line.
    let bad = "<?xml version=\"1.0\"?>\n<IPMI><SEL_INFO>\n<SEL TOTAL_NUMBER=\"0001\"/>\n<SEL SEL_RD=\"0200zz\"/>\n</SEL_INFO></IPMI>";
    let e = parse::parse_sel_xml(bad, "bmc1").unwrap_err().to_string();
    assert!(
        e.starts_with("bmc1: line 4: SEL_RD \"0200zz\": character 5"),
        "{e}"
    );
    // Empty SEL: count 0, no records: fine and empty.
    let empty =
        r#"<?xml version="1.0"?><IPMI><SEL_INFO><SEL TOTAL_NUMBER="0000"/></SEL_INFO></IPMI>"#;
    assert!(parse::parse_sel_xml(empty, "bmc1").unwrap().is_empty());
}

#[test]
fn redfish_entries() {
    let json = r#"{
      "@odata.id": "/redfish/v1/Systems/1/LogServices/Log1/Entries",
      "Members@odata.count": 3,
      "Members": [
        {"Id": "2", "EntryType": "SEL", "Created": "2019-06-12T19:01:38+00:00",
         "SensorType": "Critical Interrupt", "SensorNumber": 0, "EntryCode": "Assert",
         "Message": "PCI SERR @Bus80(DevFn12)", "Severity": "Warning", "GeneratorId": "0x0033"},
        {"Id": "3", "EntryType": "Event", "Message": "not a SEL entry"},
        {"Id": "4", "EntryType": "SEL", "Created": "2019-06-14T18:14:23Z",
         "SensorType": "Physical Security", "SensorNumber": 81, "EntryCode": "Deassert",
         "Message": "General Chassis Intrusion", "Severity": "OK"}
      ],
      "Members@odata.nextLink": "/redfish/v1/Systems/1/LogServices/Log1/Entries?$skip=3"
    }"#;
    let (evs, next) = parse::parse_redfish_entries(json, "rf1").unwrap();
    assert_eq!(
        next.as_deref(),
        Some("/redfish/v1/Systems/1/LogServices/Log1/Entries?$skip=3")
    );
    assert_eq!(evs.len(), 2);
    assert_eq!(evs[0].record_id, 2);
    assert_eq!(evs[0].sensor_type_code, Some(0x13));
    assert_eq!(evs[0].timestamp.as_deref(), Some("2019-06-12T19:01:38Z"));
    assert_eq!((evs[0].bus, evs[0].devfn), (Some(0x80), Some(0x12)));
    // The BMC said Warning; a PCI SERR is critical by our rules.
    assert_eq!(evs[0].severity, Severity::Critical);
    assert_eq!(evs[1].direction.as_deref(), Some("deassertion"));
    assert_eq!(evs[1].severity, Severity::Info);
    let e = parse::parse_redfish_entries("{\"x\":1}", "rf1")
        .unwrap_err()
        .to_string();
    assert!(e.contains("no \"Members\" array"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_16_bytes_decode(raw in proptest::array::uniform16(any::<u8>())) {
        let r = SelRecord::decode(raw);
        prop_assert_eq!(r.raw, raw);
        prop_assert!(!r.description().is_empty());
        let ev = ipmi_sel::Event::from_record(&r);
        let line = serde_json::to_string(&ev).unwrap();
        let back: ipmi_sel::Event = serde_json::from_str(&line).unwrap();
        prop_assert_eq!(back, ev);
        // Hex round trip.
        let again = decode::parse_hex_records(&r.raw_hex()).unwrap();
        prop_assert_eq!(&again[0], &r);
    }

    #[test]
    fn arbitrary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse::parse_any(&bytes, "fuzz");
        if let Ok(s) = std::str::from_utf8(&bytes) {
            let _ = parse::parse_sel_xml(s, "fuzz");
            let _ = parse::parse_redfish_entries(s, "fuzz");
            let _ = decode::parse_datetime(s);
        }
    }

    #[test]
    fn truncated_xml_never_panics(cut in 0usize..2000, flip in any::<u8>(), at in 0usize..2000) {
        let mut b = NOTES_XML.as_bytes().to_vec();
        let at = at % b.len();
        b[at] ^= flip;
        b.truncate(cut.min(b.len()));
        let _ = parse::parse_any(&b, "fuzz");
    }
}
