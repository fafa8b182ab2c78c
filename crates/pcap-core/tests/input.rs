//! The input layer: streams read like mapped files, files that shrink under
//! a walk, FIFOs, gzip limits.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use netops_testkit::pcap::{self as synth};
use pcap_core::{Capture, Error, Input, InputOptions, Stream};
use proptest::prelude::*;

/// A reader that hands out at most `step` bytes per call, like a pipe fed
/// by a writer doing small writes.
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    step: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

type Row = (u64, i64, u32, Vec<u8>);

fn mapped_rows(cap: &Capture) -> (Vec<Row>, Option<Error>) {
    let mut v = Vec::new();
    for p in cap.packets() {
        match p {
            Ok(p) => v.push((p.frame, p.ts_ns, p.origlen, p.data.to_vec())),
            Err(e) => return (v, Some(e)),
        }
    }
    (v, None)
}

fn stream_rows(s: &mut Stream) -> (Vec<Row>, Option<Error>) {
    let mut v = Vec::new();
    while let Some(p) = s.next_packet() {
        match p {
            Ok(p) => v.push((p.frame, p.ts_ns, p.origlen, p.data.to_vec())),
            Err(e) => return (v, Some(e)),
        }
    }
    (v, None)
}

fn stream_of(name: &str, data: &[u8], step: usize) -> Result<Stream, Error> {
    Stream::new(
        name,
        Box::new(Trickle {
            data: data.to_vec(),
            pos: 0,
            step,
        }),
        &InputOptions::default(),
    )
}

/// (offset, frame) of an error, the kind aside: a stream reports a cut
/// record as `StreamEnded` where a file says `Truncated`.
fn at(e: &Error) -> (Option<u64>, Option<u64>) {
    (e.offset(), e.frame())
}

#[test]
fn every_testdata_file_streams_like_it_maps_in_small_and_large_reads() {
    for f in synth::testdata() {
        let cap = Capture::from_vec(f.name, f.bytes.clone()).unwrap();
        let (want, want_err) = mapped_rows(&cap);
        for step in [1, 7, 4096, 1 << 20] {
            let mut s = stream_of(f.name, &f.bytes, step).unwrap();
            assert_eq!(s.format(), cap.format(), "{}", f.name);
            let (got, err) = stream_rows(&mut s);
            assert_eq!(got, want, "{} step {step}", f.name);
            assert_eq!(
                err.as_ref().map(at),
                want_err.as_ref().map(at),
                "{} step {step}: {err:?} vs {want_err:?}",
                f.name
            );
            if let Some(Error::Truncated { .. }) = want_err {
                assert!(
                    matches!(err, Some(Error::StreamEnded { .. })),
                    "{} step {step}: {err:?}",
                    f.name
                );
            }
            assert_eq!(s.lost(), mapped_lost(&cap), "{}", f.name);
        }
    }
}

fn mapped_lost(cap: &Capture) -> u64 {
    let mut it = cap.packets();
    for _ in it.by_ref() {}
    it.lost()
}

#[test]
fn a_stream_that_stops_mid_record_says_where() {
    let raw = big_pcap(200_000, 3);
    let cap = Capture::from_vec("full.pcap", raw.clone()).unwrap();
    let (all, _) = mapped_rows(&cap);
    // Cut in the middle of the 10th record's data.
    let mut off = 24usize;
    for (_, _, _, d) in all.iter().take(9) {
        off += 16 + d.len();
    }
    let cut = off + 16 + 5;
    let mut s = stream_of("-", &raw[..cut], 333).unwrap();
    let (got, err) = stream_rows(&mut s);
    assert_eq!(got.len(), 9);
    let err = err.expect("an error");
    let msg = err.to_string();
    assert!(
        matches!(err, Error::StreamEnded { offset, frame: 10, .. } if offset == off as u64),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("byte offset {off}")) && msg.contains("stream ended mid-record"),
        "{msg}"
    );
    assert!(!msg.contains("cut off while being written"), "{msg}");
}

#[test]
fn a_gzip_stream_inflates_as_it_walks() {
    // Several read-ahead chunks (1 MiB each) when a second core inflates.
    let raw = big_pcap(9 << 20, 4);
    let z = gz(&raw);
    let cap = Capture::from_vec("a.pcap", raw.clone()).unwrap();
    let mut s = stream_of("a.pcap.gz", &z, 1000).unwrap();
    assert!(s.gzipped());
    let (got, err) = stream_rows(&mut s);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, mapped_rows(&cap).0);
    // Damaged gzip: the packets before the damage, then a gzip error.
    let mut bad = z.clone();
    bad.truncate(z.len() / 2);
    let mut s = stream_of("cut.pcap.gz", &bad, 4096).unwrap();
    let (got, err) = stream_rows(&mut s);
    assert!(!got.is_empty());
    assert_eq!(got[..], mapped_rows(&cap).0[..got.len()]);
    let err = err.expect("damage reported");
    assert!(
        matches!(err, Error::Gzip { .. } | Error::StreamEnded { .. }),
        "{err}"
    );
}

#[test]
fn gzip_bombs_are_refused_early_and_bounded() {
    // 16 MiB of zeros: not a capture, refused after the first KiB.
    let zeros = gz(&vec![0u8; 16 << 20]);
    let e = stream_of("zeros.pcap.gz", &zeros, 1 << 16).unwrap_err();
    assert!(matches!(e, Error::UnknownFormat { .. }), "{e}");
    let e = Capture::from_vec("zeros.pcap.gz", zeros).unwrap_err();
    assert!(matches!(e, Error::UnknownFormat { .. }), "{e}");
    // A valid header followed by zeros (empty records) decompressing far
    // beyond the ratio limit: refused with the limit's message.
    let mut raw = big_pcap(100, 1)[..24].to_vec();
    raw.resize(200 << 20, 0);
    let z = gz(&raw);
    let opts = InputOptions::default();
    let max = opts.gunzip.max_output(z.len() as u64);
    assert!(max < raw.len() as u64, "the fixture exceeds the limit");
    let mut s = stream_of("bomb.pcap.gz", &z, 1 << 16).unwrap();
    let (_, err) = stream_rows(&mut s);
    let err = err.expect("refused");
    assert!(matches!(err, Error::Limit { .. }), "{err}");
    assert!(err.to_string().contains("NETOPS_GZ_MAX_RATIO"), "{err}");
    assert!(s.offset() <= max, "{} > {max}", s.offset());
    let e = Capture::from_vec("bomb.pcap.gz", z).unwrap_err();
    assert!(matches!(e, Error::Limit { .. }), "{e}");
}

#[test]
fn a_file_truncated_by_another_process_under_a_walk_ends_with_an_error_not_sigbus() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ring.pcap");
    let raw = big_pcap(8 << 20, 5);
    std::fs::write(&path, &raw).unwrap();
    let cap = Capture::open(&path).unwrap();
    let full = mapped_rows(&Capture::from_vec("x", raw.clone()).unwrap()).0;
    let mut it = cap.packets();
    let mut seen = Vec::new();
    for p in it.by_ref().take(100) {
        let p = p.unwrap();
        seen.push((p.frame, p.ts_ns, p.origlen, p.data.to_vec()));
    }
    // Another process cuts the file to 1 MiB, as a ring-buffer writer would.
    truncate(&path, 1 << 20);
    let mut err = None;
    for p in it {
        match p {
            Ok(p) => seen.push((p.frame, p.ts_ns, p.origlen, p.data.to_vec())),
            Err(e) => err = Some(e),
        }
    }
    let err = err.expect("the shrink is reported");
    let msg = err.to_string();
    assert!(matches!(err, Error::Changed { .. }), "{msg}");
    assert!(msg.contains("ring.pcap") && msg.contains("shrank"), "{msg}");
    let off = err.offset().unwrap();
    assert!(off <= 1 << 20, "{off}");
    // Every packet delivered is the file's, in order.
    let first_bad = seen.iter().zip(&full).position(|(a, b)| a != b);
    assert_eq!(first_bad, None, "{} seen, error {msg}", seen.len());
    assert!(seen.len() > 100);
    assert!(cap.intact_len() <= 1 << 20);
    // The parallel lanes walk reports it too (the mapping is zeros now).
    let split = pcap_core::parallel::split(&cap, 2, || 0u64, |n, _| *n += 1);
    let e = split.error.expect("split sees it");
    assert!(matches!(e, Error::Changed { .. }), "{e}");
    // The record cursor as well.
    let mut recs = cap.pcap_records().unwrap();
    let e = recs.find_map(|r| r.err()).expect("cursor sees it");
    assert!(matches!(e, Error::Changed { .. }), "{e}");
}

#[test]
fn a_file_rewritten_smaller_before_the_walk_reaches_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rot.pcap");
    let raw = big_pcap(4 << 20, 6);
    std::fs::write(&path, &raw).unwrap();
    let cap = Capture::open(&path).unwrap();
    // Rotated: emptied and a new, shorter capture written in its place.
    let newer = big_pcap(300_000, 7);
    truncate(&path, 0);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .write_all(&newer)
        .unwrap();
    let (rows, err) = mapped_rows(&cap);
    let err = err.expect("reported");
    assert!(matches!(err, Error::Changed { .. }), "{err}");
    // What was read came from the new bytes, up to the new end.
    assert!(err.offset().unwrap() as usize <= newer.len().next_multiple_of(4096));
    let _ = rows;
}

fn truncate(path: &Path, len: u64) {
    // A real writer process, as in production; fall back to doing it here.
    let ok = Command::new("truncate")
        .arg("-s")
        .arg(len.to_string())
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .unwrap()
            .set_len(len)
            .unwrap();
    }
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[cfg(unix)]
#[test]
fn a_fifo_without_a_writer_times_out_and_capture_open_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("nobody.pcap");
    mkfifo(&fifo);
    let opts = InputOptions {
        fifo_timeout: Some(Duration::from_millis(300)),
        ..InputOptions::default()
    };
    let t = Instant::now();
    let e = Input::open(&fifo, &opts).unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(20), "bounded wait");
    let msg = e.to_string();
    assert!(
        msg.contains("nobody.pcap") && msg.contains("FIFO") && msg.contains("NETOPS_FIFO_TIMEOUT"),
        "{msg}"
    );
    // The mapped API never blocks on it.
    let e = Capture::open(&fifo).unwrap_err();
    assert!(e.to_string().contains("FIFO"), "{e}");
}

#[cfg(unix)]
#[test]
fn a_fifo_with_a_writer_process_is_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("live.pcap");
    mkfifo(&fifo);
    let src = dir.path().join("src.pcap");
    let raw = big_pcap(2 << 20, 8);
    std::fs::write(&src, &raw).unwrap();
    // A writer child process, writing 512 bytes at a time.
    let mut child = Command::new("dd")
        .arg(format!("if={}", src.display()))
        .arg(format!("of={}", fifo.display()))
        .arg("bs=512")
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("dd");
    let input = Input::open(&fifo, &InputOptions::default()).unwrap();
    let Input::Stream(mut s) = input else {
        panic!("a FIFO is a stream")
    };
    let (got, err) = stream_rows(&mut s);
    child.wait().unwrap();
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, mapped_rows(&Capture::from_vec("x", raw).unwrap()).0);
}

#[test]
fn input_open_maps_files_and_streams_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.pcap");
    let raw = big_pcap(100_000, 9);
    std::fs::write(&p, &raw).unwrap();
    assert!(matches!(
        Input::open(&p, &InputOptions::default()).unwrap(),
        Input::Mapped(_)
    ));
    let g = dir.path().join("a.pcap.gz");
    std::fs::write(&g, gz(&raw)).unwrap();
    assert!(matches!(
        Input::open(&g, &InputOptions::default()).unwrap(),
        Input::Stream(_)
    ));
    let missing: PathBuf = dir.path().join("nope.pcap");
    assert!(Input::open(&missing, &InputOptions::default()).is_err());
}

fn big_pcap(target: usize, seed: u64) -> Vec<u8> {
    let mut v = Vec::new();
    synth::write_mixed_pcap(&mut v, target as u64, seed).unwrap();
    v
}

fn gz(raw: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(raw).unwrap();
    e.finish().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Any prefix of any testdata file, read in any read size, streams the
    /// same packets as the mapped walk, and stops at the same place.
    #[test]
    fn any_prefix_streams_like_it_maps(file in 0usize..32, cut in 0.0f64..1.0, step in 1usize..5000) {
        let files = synth::testdata();
        let f = &files[file % files.len()];
        if f.name.ends_with(".gz") {
            return Ok(());
        }
        let n = (f.bytes.len() as f64 * cut) as usize;
        let data = &f.bytes[..n];
        let mapped = Capture::from_vec(f.name, data.to_vec());
        let streamed = stream_of(f.name, data, step);
        match (mapped, streamed) {
            (Ok(cap), Ok(mut s)) => {
                let (want, werr) = mapped_rows(&cap);
                let (got, gerr) = stream_rows(&mut s);
                prop_assert_eq!(got, want);
                prop_assert_eq!(gerr.as_ref().map(at), werr.as_ref().map(at));
            }
            (Err(a), Err(b)) => prop_assert_eq!(at(&a), at(&b)),
            (a, b) => prop_assert!(false, "mapped {:?} vs streamed {:?}", a.err(), b.err()),
        }
    }
}
