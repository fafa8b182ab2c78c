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

use std::fmt::Write as _;
use std::io::Write as _;

use pcap_core::{Error, Input, InputOptions, L4, LinkType};

const HELP: &str = "\
capinfo: summarise captures (pcap, pcapng, ERF, .gz) with pcap-core

usage: capinfo [--jsonl] PATH...
  PATH     a capture file, a directory searched recursively, or - for
           standard input (pipes, FIFOs and <(...) are streamed too)
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

fn summarise(input: &mut Input) -> Summary {
    let mut s = Summary {
        format: input.format().to_string(),
        ..Summary::default()
    };
    if input.gzipped() {
        s.format.push_str(", gzip");
    }
    let mut it = input.walk();
    while let Some(p) = it.next_packet() {
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

fn print_text(o: &mut String, path: &Path, r: &Result<Summary, Error>) {
    let _ = writeln!(o, "{}", path.display());
    let s = match r {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(o, "  error       {e}");
            return;
        }
    };
    let _ = writeln!(o, "  format      {}", s.format);
    let _ = writeln!(
        o,
        "  link types  {}",
        if s.linktypes.is_empty() {
            "-".into()
        } else {
            linktypes(s)
        }
    );
    let _ = writeln!(o, "  packets     {}", s.packets);
    let _ = writeln!(
        o,
        "  bytes       {} captured, {} on the wire",
        s.captured, s.wire
    );
    let _ = writeln!(o, "  first       {}", s.first.map_or("-".into(), rfc3339));
    let _ = writeln!(o, "  last        {}", s.last.map_or("-".into(), rfc3339));
    let _ = writeln!(
        o,
        "  l4          tcp {}, udp {}, later fragments {}, other ip {}, not ip/undecodable {}",
        s.tcp, s.udp, s.fragments, s.other_ip, s.not_decoded
    );
    if s.lost > 0 {
        let _ = writeln!(
            o,
            "  lost        {} (reported by the capture device)",
            s.lost
        );
    }
    if let Some(e) = &s.error {
        let _ = writeln!(o, "  error       {e}");
    }
}

fn print_jsonl(o: &mut String, path: &Path, r: &Result<Summary, Error>) {
    let p = json_str(&path.display().to_string());
    match r {
        Err(e) => {
            let _ = writeln!(o, "{{\"path\":{p},\"error\":{}}}", json_str(&e.to_string()));
        }
        Ok(s) => {
            let _ = writeln!(
                o,
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
            );
        }
    }
}

/// Writes to standard output; a closed pipe (`capinfo ... | head`) ends
/// the program quietly with status 0, any other write error with 3.
fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("capinfo: cannot write the output: {e}");
        std::process::exit(3);
    }
}

fn main() {
    let mut jsonl = false;
    let mut paths = Vec::new();
    for a in std::env::args_os().skip(1) {
        match a.to_str() {
            Some("-h" | "--help") => {
                emit(&format!("{HELP}\n"));
                return;
            }
            Some("--jsonl") => jsonl = true,
            Some(s) if s.starts_with('-') && s != "-" => {
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
    let opts = match InputOptions::from_env() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("capinfo: {e}");
            std::process::exit(3);
        }
    };
    let found = pcap_core::inputs::expand_noted(&paths);
    let files = found.files;
    let mut failed = false;
    for (p, e) in &found.errors {
        eprintln!("capinfo: {}: {e}", p.display());
        failed = true;
    }
    for (p, why) in &found.skipped {
        eprintln!("capinfo: note: {}: {why}", p.display());
    }
    // Files in parallel, reported in the order given.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<Result<Summary, Error>>>> =
        files.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let threads = pcap_core::parallel::threads().min(files.len()).max(1);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let r = Input::open(path, &opts).map(|mut input| summarise(&mut input));
                    *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                }
            });
        }
    });
    let results: Vec<Result<Summary, Error>> = slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every file was read")
        })
        .collect();
    for (path, r) in files.iter().zip(&results) {
        failed |= !matches!(r, Ok(Summary { error: None, .. }));
        let mut o = String::new();
        if jsonl {
            print_jsonl(&mut o, path, r);
        } else {
            print_text(&mut o, path, r);
        }
        emit(&o);
    }
    if !jsonl {
        let bad = results
            .iter()
            .filter(|r| !matches!(r, Ok(Summary { error: None, .. })))
            .count();
        emit(&format!(
            "{} file(s), {} read completely, {} with errors\n",
            files.len(),
            files.len() - bad,
            bad
        ));
    }
    std::process::exit(if failed { 2 } else { 0 });
}
