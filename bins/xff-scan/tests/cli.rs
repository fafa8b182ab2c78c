//! End-to-end tests of the `xff-scan` binary, and the differential test
//! against tshark.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use netops_testkit::xff::{self as synth, Container, TARGET_V4, TARGET_V6};
use pcap_core::Capture;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/xff")
}

fn xff() -> Command {
    Command::cargo_bin("xff-scan").expect("binary built")
}

fn run(args: &[&str]) -> (i32, String, String) {
    let o = xff().args(args).output().expect("runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn newcomer_command_on_the_testdata_directory() {
    let dir = testdata();
    let (code, out, err) = run(&["--ip", "203.0.113.77", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("file") && lines[0].contains("client_ip"),
        "{out}"
    );
    // every IPv4 hit the generators planted that the default scan finds
    let (_, h) = synth::headers_fixture(Container::Pcap);
    let (_, sp) = synth::split_fixture();
    let (_, re) = synth::reassemble_fixture();
    let v4 = |e: &[synth::Expected]| {
        e.iter()
            .filter(|e| e.client_ip.is_ipv4() && !e.reassemble_only)
            .count()
    };
    assert_eq!(lines.len() - 1, 2 * v4(&h) + v4(&sp) + v4(&re), "{out}");
    assert!(out.contains("headers.pcapng"));
    // reassemble.pcap has a header block whose first segment comes second
    assert!(err.contains("--reassemble"), "{err}");
    let (code, _, err) = run(&[
        "--ip",
        "203.0.113.77",
        "--reassemble",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(err.is_empty(), "{err}");
}

#[test]
fn jsonl_has_the_documented_fields_and_values() {
    let f = testdata().join("headers.pcap");
    let (code, out, _) = run(&[
        "--ip",
        &TARGET_V6.to_string(),
        "--format",
        "jsonl",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let (_, exp) = synth::headers_fixture(Container::Pcap);
    let exp: Vec<_> = exp.iter().filter(|e| e.client_ip.is_ipv6()).collect();
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), exp.len());
    for (r, e) in rows.iter().zip(exp) {
        assert_eq!(r["frame"], e.frame);
        assert_eq!(r["client_ip"], e.src.0.to_string());
        assert_eq!(r["client_port"], e.src.1);
        assert_eq!(r["server_ip"], e.dst.0.to_string());
        assert_eq!(r["server_port"], e.dst.1);
        assert_eq!(r["header"], e.header);
        assert_eq!(r["forwarded_ip"], TARGET_V6.to_string());
        assert_eq!(r["position"], e.position);
        assert_eq!(r["method"], e.method);
        match e.host {
            Some(h) => assert_eq!(r["http_host"], h),
            None => assert!(r["http_host"].is_null()),
        }
        assert!(
            r["ts"]
                .as_str()
                .unwrap()
                .starts_with("2026-11-25T10:00:00.")
        );
        assert_eq!(r["file"], f.to_str().unwrap());
    }
}

#[test]
fn summary_and_write_give_whole_conversations() {
    let dir = tempfile::tempdir().unwrap();
    let out_pcap = dir.path().join("client.pcapng");
    let f = testdata().join("split.pcap");
    let (code, out, err) = run(&[
        "--ip",
        "203.0.113.0/24",
        "--summary",
        "--format",
        "csv",
        "--write",
        out_pcap.to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut rdr = out.lines();
    assert_eq!(
        rdr.next().unwrap(),
        "file,client_ip,client_port,server_ip,server_port,transport,forwarded_ips,matching_packets,packets,bytes,first_seen,last_seen"
    );
    let rows: Vec<Vec<&str>> = rdr.map(|l| l.split(',').collect()).collect();
    // four split requests, each on its own connection: SYN, SYN-ACK, ACK,
    // two request segments, response, FIN, FIN, ACK = 9 packets
    assert_eq!(rows.len(), 4);
    for r in &rows {
        assert_eq!(r[5], "tcp");
        assert_eq!(r[6], "203.0.113.77");
        assert_eq!(r[7], "1");
        assert_eq!(r[8], "9");
        assert_eq!(r[4], "80");
    }
    let cap = Capture::open(&out_pcap).unwrap();
    assert_eq!(cap.packets().count(), 36);
}

#[test]
fn list_counts_addresses() {
    let f = testdata().join("headers.pcapng");
    let (code, out, _) = run(&["--list", "--format", "csv", f.to_str().unwrap()]);
    assert_eq!(code, 0);
    let row = out
        .lines()
        .find(|l| l.starts_with("203.0.113.77,"))
        .expect("target listed");
    let (_, exp) = synth::headers_fixture(Container::Pcapng);
    let n = exp.iter().filter(|e| e.client_ip.is_ipv4()).count();
    assert!(row.starts_with(&format!("203.0.113.77,{n},")), "{row}");
    assert!(
        !out.contains("203.0.113.43"),
        "a by= address is not a client"
    );
}

#[test]
fn exit_codes_and_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pcap");
    std::fs::write(&junk, b"this is not a capture").unwrap();
    let good = testdata().join("headers.pcap");
    // one bad file does not stop the others; exit 2
    let (code, out, err) = run(&[
        "--ip",
        "203.0.113.77",
        junk.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("junk.pcap"), "{err}");
    assert!(out.contains("headers.pcap"));
    // truncated capture: matches before the cut, the error names file and frame
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 30]).unwrap();
    let (code, out, err) = run(&["--ip", "203.0.113.77", cut.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("cut.pcap") && err.contains("frame"), "{err}");
    assert!(out.lines().count() > 5);
    // no match: 1, with a hint
    let (code, _, err) = run(&["--ip", "192.0.2.99", good.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("--list"), "{err}");
    // usage: 3 (bad CIDR) and clap's own 2 for missing arguments
    let (code, _, err) = run(&["--ip", "10.0.0.0/99", good.to_str().unwrap()]);
    assert_eq!(code, 3);
    assert!(err.contains("10.0.0.0/99"));
    let (code, _, err) = run(&[good.to_str().unwrap()]);
    assert_eq!(code, 3, "missing --ip is a usage error: {err}");
    assert!(err.contains("--ip"), "{err}");
}

#[test]
fn custom_header_list_replaces_the_default() {
    let f = testdata().join("headers.pcap");
    let (code, out, _) = run(&[
        "--ip",
        "203.0.113.77",
        "--header",
        "x-real-ip",
        "--format",
        "csv",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert!(
        rows[0].contains(",x-real-ip,203.0.113.77,0,DELETE,"),
        "{out}"
    );
}

#[test]
fn help_has_examples_and_exit_codes() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Examples:") && out.contains("Exit status:"));
}

fn tshark_frames(file: &std::path::Path, filter: &str) -> BTreeSet<u64> {
    // Dissect every segment on its own: the single-segment comparison.
    let options = ["-o", "tcp.desegment_tcp_streams:FALSE", "-Y", filter];
    netops_testkit::child::tshark_fields(file, &options, &["frame.number"])
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect()
}

fn our_frames(file: &std::path::Path, args: &[&str]) -> BTreeSet<u64> {
    let mut a = args.to_vec();
    a.extend([
        "--format",
        "csv",
        "--header",
        "X-Forwarded-For",
        file.to_str().unwrap(),
    ]);
    let (code, out, err) = run(&a);
    assert!(code == 0 || code == 1, "{err}");
    out.lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect()
}

#[test]
fn differential_against_tshark_x_forwarded_for() {
    if !netops_testkit::child::peer_available("tshark", "--version", "apt-get install tshark") {
        return;
    }
    let v4 = TARGET_V4.to_string().replace('.', "\\\\.");
    let filter_v4 = format!(
        "http.request and http.x_forwarded_for matches \"(^|,)[ \\t]*{v4}(:[0-9]+)?[ \\t]*(,|$)\""
    );
    let filter_v6 = "http.request and http.x_forwarded_for matches \"(?i)(^|,)[ \\t]*\\\\[?2001:db8:77::1\\\\]?(:[0-9]+)?[ \\t]*(,|$)\"";
    for name in ["headers.pcap", "headers.pcapng"] {
        let f = testdata().join(name);
        let theirs = tshark_frames(&f, &filter_v4);
        let ours = our_frames(&f, &["--ip", &TARGET_V4.to_string()]);
        assert!(!ours.is_empty());
        assert_eq!(ours, theirs, "{name}: IPv4 target");
        let theirs = tshark_frames(&f, filter_v6);
        let ours = our_frames(&f, &["--ip", &TARGET_V6.to_string()]);
        assert!(!ours.is_empty());
        assert_eq!(ours, theirs, "{name}: IPv6 target");
    }
    // A random capture: every request with an X-Forwarded-For, as --list sees them.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("random.pcap");
    let file = std::fs::File::create(&f).unwrap();
    let info = synth::bench_capture(file, 3 << 20, 20, 7).unwrap();
    assert!(info.requests > 100);
    let theirs = tshark_frames(&f, "http.request and http.x_forwarded_for");
    let ours = our_frames(&f, &["--ip", "0.0.0.0/0"]);
    assert_eq!(ours.len() as u64, info.requests);
    assert_eq!(ours, theirs);
}

#[test]
fn jsonl_fields_come_in_the_documented_order() {
    let f = testdata().join("headers.pcap");
    let (_, out, _) = run(&[
        "--ip",
        "203.0.113.77",
        "--format",
        "jsonl",
        f.to_str().unwrap(),
    ]);
    let first = out.lines().next().unwrap();
    let order = [
        "file",
        "frame",
        "ts",
        "client_ip",
        "client_port",
        "server_ip",
        "server_port",
        "header",
        "forwarded_ip",
        "position",
        "method",
        "http_host",
    ];
    let pos: Vec<usize> = order
        .iter()
        .map(|k| first.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{first}");
}

#[test]
fn gzipped_captures_in_directories_are_found() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("rotated");
    std::fs::create_dir(&sub).unwrap();
    let bytes = std::fs::read(testdata().join("headers.pcap")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).unwrap();
    std::fs::write(sub.join("headers.pcap.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(sub.join("notes.txt"), b"X-Forwarded-For: 203.0.113.77\n").unwrap();
    let plain = run(&[
        "--ip",
        "203.0.113.77",
        "--format",
        "csv",
        testdata().join("headers.pcap").to_str().unwrap(),
    ])
    .1;
    let (code, out, err) = run(&[
        "--ip",
        "203.0.113.77",
        "--format",
        "csv",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.is_empty(),
        "notes.txt is not a capture and is not read: {err}"
    );
    let strip = |s: &str| {
        s.lines()
            .skip(1)
            .map(|l| l.split_once(',').unwrap().1.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&out), strip(&plain));
    assert!(out.contains("headers.pcap.gz"));
}

#[test]
fn reassemble_flag_finds_more_on_the_reassembly_fixture() {
    let f = testdata().join("reassemble.pcap");
    let (_, exp) = synth::reassemble_fixture();
    let frames = |extra: &[&str]| -> BTreeSet<u64> {
        let mut a = vec!["--ip", "203.0.113.77", "--format", "csv"];
        a.extend_from_slice(extra);
        a.push(f.to_str().unwrap());
        let (code, out, err) = run(&a);
        assert_eq!(code, 0, "{err}");
        out.lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
            .collect()
    };
    let all: BTreeSet<u64> = exp.iter().map(|e| e.frame).collect();
    let plain: BTreeSet<u64> = exp
        .iter()
        .filter(|e| !e.reassemble_only)
        .map(|e| e.frame)
        .collect();
    assert_eq!(frames(&["--reassemble"]), all);
    assert_eq!(frames(&[]), plain);
    assert!(plain.len() < all.len());
}

/// `xff-scan --list big.pcap | head -0` used to exit 3 with "Broken
/// pipe"; a closed pipe is now quiet and keeps the run's status.
#[test]
fn closed_pipe_is_quiet_and_full_disk_exits_3() {
    let f = testdata().join("headers.pcapng");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = xff()
        .args(["--list", "--format", "csv"])
        .arg(&f)
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full");
        return;
    };
    let o = xff()
        .args(["--list", "--format", "jsonl"])
        .arg(&f)
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "xff-scan: cannot write the output: No space left on device (os error 28)\n"
    );
}

/// A Rust user gets the binary's `--summary` from `xff_scan::report`.
#[test]
fn library_report_is_what_the_binary_prints() {
    use xff_scan::report::{Kind, ReportOptions};
    let f = testdata().join("split.pcap");
    let (code, out, err) = run(&[
        "--ip",
        "203.0.113.0/24",
        "--summary",
        "--format",
        "jsonl",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let cli: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let matcher = xff_scan::Matcher::new(
        xff_scan::default_headers(),
        Some(xff_scan::TargetSet::parse(&["203.0.113.0/24"]).unwrap()),
    );
    let opts = ReportOptions {
        kind: Kind::Summary,
        ..Default::default()
    };
    let report =
        xff_scan::report::run(&[f], &matcher, &opts, |_| {}, |_, _| {}, |p| panic!("{p}")).unwrap();
    assert_eq!(report.conversations.len(), cli.len());
    for (c, row) in report.conversations.iter().zip(&cli) {
        assert_eq!(row["packets"], c.packets);
        assert_eq!(row["bytes"], c.bytes);
        assert_eq!(row["matching_packets"], c.matching_packets);
        assert_eq!(row["client_ip"], c.client.0.to_string());
        assert_eq!(row["client_port"], c.client.1);
        assert_eq!(row["server_ip"], c.server.0.to_string());
        assert_eq!(row["server_port"], c.server.1);
        let fwd: Vec<String> = c.client_ips.iter().map(|i| i.to_string()).collect();
        assert_eq!(row["forwarded_ips"], serde_json::json!(fwd));
    }
}
