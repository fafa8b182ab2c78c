//! capinfo: a summary of every capture given (directories are recursed),
//! like Wireshark's `capinfos`, built on pcap-core.
//!
//! ```text
//! cargo run --release -p pcap-core --example capinfo -- testdata/pcap
//! ```
//!
//! Files are read in parallel; the report keeps the order of the paths.
//! A file that cannot be read completely shows its error (file, byte
//! offset, frame) after what was read before it, and the others go on.
//!
//! Exit status: 0 every file read completely; 2 some file could not be
//! opened or ended with an error; 3 usage error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pcap_core::{Capture, Error, L4, LinkType, parallel};

const HELP: &str = "\
capinfo: summarise captures (pcap, pcapng, ERF, .gz) with pcap-core

usage: capinfo [--jsonl] PATH...
  PATH     a capture file, or a directory searched recursively
  --jsonl  one JSON object per file instead of the text report

examples:
  capinfo testdata/pcap
  capinfo --jsonl /var/captures/*.pcapng

exit status: 0 all files read completely, 2 some file failed or ended early
(truncated/corrupt; what came before is still reported), 3 usage error";

#[derive(Default)]
struct Summary {
    format: String,
    linktypes: BTreeMap<LinkType, u64>,
    packets: u64,
    captured: u64,
    wire: u64,
    first: Option<i64>,
    last: Option<i64>,
    tcp: u64,
    udp: u64,
    fragments: u64,
    other_ip: u64,
    not_decoded: u64,
    lost: u64,
    error: Option<Error>,
}

fn summarise(cap: &Capture) -> Summary {
    let mut s = Summary {
        format: cap.format().to_string(),
        ..Summary::default()
    };
    if cap.gzipped() {
        s.format.push_str(", gzip");
    }
    let mut it = cap.packets();
    for p in it.by_ref() {
        let p = match p {
            Ok(p) => p,
            Err(e) => {
                s.error = Some(e);
                break;
            }
        };
        s.packets += 1;
        s.captured += u64::from(p.caplen);
        s.wire += u64::from(p.origlen);
        *s.linktypes.entry(p.linktype).or_default() += 1;
        if p.ts_ns != 0 {
            s.first = Some(s.first.map_or(p.ts_ns, |f| f.min(p.ts_ns)));
            s.last = Some(s.last.map_or(p.ts_ns, |l| l.max(p.ts_ns)));
        }
        match p.decode().map(|d| d.l4) {
            Ok(L4::Tcp(_)) => s.tcp += 1,
            Ok(L4::Udp(_)) => s.udp += 1,
            Ok(L4::Fragment) => s.fragments += 1,
            Ok(L4::Other { .. }) => s.other_ip += 1,
            Err(_) => s.not_decoded += 1,
        }
    }
    s.lost = it.lost();
    s
}

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` from nanoseconds since the epoch.
fn rfc3339(ts_ns: i64) -> String {
    pcap_core::time::format_rfc3339(ts_ns, 9)
}

fn linktypes(s: &Summary) -> String {
    s.linktypes
        .keys()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn print_text(path: &Path, r: &Result<Summary, Error>) {
    println!("{}", path.display());
    let s = match r {
        Ok(s) => s,
        Err(e) => {
            println!("  error       {e}");
            return;
        }
    };
    println!("  format      {}", s.format);
    println!(
        "  link types  {}",
        if s.linktypes.is_empty() {
            "-".into()
        } else {
            linktypes(s)
        }
    );
    println!("  packets     {}", s.packets);
    println!(
        "  bytes       {} captured, {} on the wire",
        s.captured, s.wire
    );
    println!("  first       {}", s.first.map_or("-".into(), rfc3339));
    println!("  last        {}", s.last.map_or("-".into(), rfc3339));
    println!(
        "  l4          tcp {}, udp {}, later fragments {}, other ip {}, not ip/undecodable {}",
        s.tcp, s.udp, s.fragments, s.other_ip, s.not_decoded
    );
    if s.lost > 0 {
        println!("  lost        {} (reported by the capture device)", s.lost);
    }
    if let Some(e) = &s.error {
        println!("  error       {e}");
    }
}

fn print_jsonl(path: &Path, r: &Result<Summary, Error>) {
    let p = json_str(&path.display().to_string());
    match r {
        Err(e) => println!("{{\"path\":{p},\"error\":{}}}", json_str(&e.to_string())),
        Ok(s) => println!(
            "{{\"path\":{p},\"format\":{},\"linktypes\":[{}],\"packets\":{},\"captured_bytes\":{},\"wire_bytes\":{},\
\"first\":{},\"last\":{},\"tcp\":{},\"udp\":{},\"later_fragments\":{},\"other_ip\":{},\"not_decoded\":{},\"lost\":{},\"error\":{}}}",
            json_str(&s.format),
            s.linktypes
                .keys()
                .map(|l| l.0.to_string())
                .collect::<Vec<_>>()
                .join(","),
            s.packets,
            s.captured,
            s.wire,
            s.first.map_or("null".into(), |t| json_str(&rfc3339(t))),
            s.last.map_or("null".into(), |t| json_str(&rfc3339(t))),
            s.tcp,
            s.udp,
            s.fragments,
            s.other_ip,
            s.not_decoded,
            s.lost,
            s.error
                .as_ref()
                .map_or("null".into(), |e| json_str(&e.to_string())),
        ),
    }
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for e in entries {
            if e.is_dir() {
                collect(&e, out)?;
            } else if !e.extension().is_some_and(|x| x == "md" || x == "txt") {
                out.push(e);
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

fn main() {
    let mut jsonl = false;
    let mut paths = Vec::new();
    for a in std::env::args_os().skip(1) {
        match a.to_str() {
            Some("-h" | "--help") => {
                println!("{HELP}");
                return;
            }
            Some("--jsonl") => jsonl = true,
            Some(s) if s.starts_with('-') => {
                eprintln!("capinfo: unknown option {s}; see --help");
                std::process::exit(3);
            }
            _ => paths.push(PathBuf::from(a)),
        }
    }
    if paths.is_empty() {
        eprintln!("capinfo: no capture given; usage: capinfo [--jsonl] PATH... (see --help)");
        std::process::exit(3);
    }
    let mut files = Vec::new();
    let mut failed = false;
    for p in &paths {
        if let Err(e) = collect(p, &mut files) {
            eprintln!("capinfo: {}: cannot list: {e}", p.display());
            failed = true;
        }
    }
    let results = parallel::for_each_file(&files, 0, |_, cap| cap.map(|c| summarise(&c)));
    for (path, r) in files.iter().zip(&results) {
        failed |= !matches!(r, Ok(Summary { error: None, .. }));
        if jsonl {
            print_jsonl(path, r);
        } else {
            print_text(path, r);
        }
    }
    if !jsonl {
        let bad = results
            .iter()
            .filter(|r| !matches!(r, Ok(Summary { error: None, .. })))
            .count();
        println!(
            "{} file(s), {} read completely, {} with errors",
            files.len(),
            files.len() - bad,
            bad
        );
    }
    std::process::exit(if failed { 2 } else { 0 });
}
