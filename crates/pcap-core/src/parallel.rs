//! Using every core: many files at once ([`for_each_file`]), or one large
//! file cut into chunks ([`split`], [`map_ordered`]).
//!
//! # Many files
//!
//! ```no_run
//! use pcap_core::parallel;
//!
//! let paths = vec!["a.pcap", "b.pcapng", "c.erf"];
//! // One closure call per file, on all cores; results in the order of `paths`.
//! let counts = parallel::for_each_file(&paths, 0, |path, cap| {
//!     let cap = cap?; // one unreadable file does not stop the others
//!     let mut n = 0u64;
//!     for p in cap.packets() {
//!         p?;
//!         n += 1;
//!     }
//!     Ok::<_, pcap_core::Error>(n)
//! });
//! for (path, n) in paths.iter().zip(counts) {
//!     match n {
//!         Ok(n) => println!("{path}: {n} packets"),
//!         Err(e) => eprintln!("{e}"),
//!     }
//! }
//! ```
//!
//! # One file on all cores
//!
//! [`split`] cuts the file into chunks and runs a per-packet closure on
//! each chunk with its own state; the chunks come back in file order with
//! their first frame number, so per-chunk results merge into frame order.
//! Inside the closure `packet.frame` counts from 1 within the chunk: the
//! absolute frame number is `chunk.first_frame + packet.frame - 1`.
//!
//! ```no_run
//! use std::collections::HashMap;
//! use pcap_core::{Capture, FlowKey, L4, parallel};
//!
//! let cap = Capture::open("big.pcap")?;
//! // Per chunk: bytes per flow, and the chunk-local frame numbers of SYNs.
//! #[derive(Default)]
//! struct State { bytes: HashMap<FlowKey, u64>, syns: Vec<u64> }
//! let out = parallel::split(&cap, 0, State::default, |st, pkt| {
//!     let Ok(d) = pkt.decode() else { return };
//!     *st.bytes.entry(d.flow_key()).or_default() += u64::from(pkt.origlen);
//!     if let L4::Tcp(t) = d.l4 && t.syn() && !t.ack() {
//!         st.syns.push(pkt.frame);
//!     }
//! });
//! // Merge in frame order, turning chunk-local frame numbers into absolute ones.
//! let mut bytes: HashMap<FlowKey, u64> = HashMap::new();
//! let mut syn_frames = Vec::new();
//! for chunk in out.chunks {
//!     for (k, v) in chunk.state.bytes {
//!         *bytes.entry(k).or_default() += v;
//!     }
//!     syn_frames.extend(chunk.state.syns.iter().map(|f| chunk.first_frame + f - 1));
//! }
//! if let Some(e) = out.error {
//!     eprintln!("{e}"); // e.g. truncated at the end: everything before it was processed
//! }
//! println!("{} flows, SYNs at frames {:?}", bytes.len(), syn_frames);
//! # Ok::<(), pcap_core::Error>(())
//! ```
//!
//! For per-packet results, [`map_ordered`] does that bookkeeping: it
//! returns `(frame, value)` pairs in frame order.
//!
//! # How a file is cut, soundly
//!
//! Record formats have no sync marks, so a chunk boundary falls somewhere
//! inside a record. Each chunk but the first finds its first record by
//! scanning forward from its nominal start for an offset where a chain of
//! consecutive plausible records begins (pcap: 8 record headers with sane
//! lengths and timestamps; pcapng: 4 blocks with valid types, lengths and
//! matching trailing lengths, 4-byte aligned; ERF: 8 records with valid
//! types, lengths and timestamps). A chunk walks every record that starts
//! before its nominal end, so the walk of chunk *i* ends exactly where
//! chunk *i+1* must start. That is checked afterwards, together with the
//! format state (pcapng section byte order and interfaces): if a payload
//! contained a fake chain of records and fooled the scan, the check fails,
//! that chunk's results are thrown away and its region is walked again,
//! sequentially, from where the previous chunk really ended. The result
//! is always exactly what a sequential read gives; the closure may
//! therefore run on some packets whose results are discarded, so keep its
//! effects in the chunk state.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use crate::PcapLayout;
use crate::format::{self, Endian};
use crate::read::{NgWalk, Walker};
use crate::{Capture, Error, Packet, Packets};

mod region;
pub use region::packets_from;

/// The number of threads to use when `0` is passed: the available
/// parallelism of the machine.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn resolve(threads_wanted: usize) -> usize {
    if threads_wanted == 0 {
        threads()
    } else {
        threads_wanted
    }
}

/// Runs `f` on every file, `threads` at a time (0 = all cores), and
/// returns the results in the order of `paths`. `f` receives the opened
/// capture or the error opening it, so one bad file never stops the rest.
pub fn for_each_file<P, R, F>(paths: &[P], threads: usize, f: F) -> Vec<R>
where
    P: AsRef<Path> + Sync,
    R: Send,
    F: Fn(&Path, Result<Capture, Error>) -> R + Sync,
{
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..paths.len()).map(|_| None).collect());
    let n = resolve(threads).min(paths.len()).max(1);
    std::thread::scope(|s| {
        for _ in 0..n {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(p) = paths.get(i) else { break };
                    let p = p.as_ref();
                    let r = f(p, Capture::open(p));
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// The result of one chunk of a [`split`] file.
#[derive(Debug)]
pub struct Chunk<S> {
    /// Absolute frame number of the chunk's first frame.
    pub first_frame: u64,
    /// Frame numbers the chunk covers.
    pub frames: u64,
    /// Byte offset of the chunk's first record.
    pub start: u64,
    /// Byte offset just past the chunk's last record.
    pub end: u64,
    /// Packets the capture device reported lost within the chunk (see
    /// [`Packets::lost`]).
    pub lost: u64,
    /// The state the closure built for this chunk.
    pub state: S,
    /// The format state at `start` (pcapng section and interfaces).
    walker: Walker,
}

impl<S> Chunk<S> {
    /// The chunk's packets again, in order, from its first record; frames
    /// count from 1 within the chunk (add `first_frame - 1`). For a second
    /// look at a stretch, like following flows that were unfinished at the
    /// end of the previous chunk.
    pub fn packets<'c>(&self, cap: &'c Capture) -> Packets<'c> {
        Packets::over(
            cap,
            self.start as usize,
            self.end as usize,
            self.walker.clone(),
        )
    }
}

/// Everything [`split`] produced.
#[derive(Debug)]
pub struct Split<S> {
    /// Chunks in file order; together they cover exactly the packets a
    /// sequential read yields (up to `error`).
    pub chunks: Vec<Chunk<S>>,
    /// The error that ended the file early (truncated or corrupt record),
    /// with its absolute frame number; the packets before it were processed.
    pub error: Option<Error>,
    /// Chunks whose speculative start turned out wrong and which were
    /// walked again sequentially (0 on ordinary captures).
    pub rewalked: usize,
}

struct Run<S> {
    /// Where the chunk started, and the format state it assumed there
    /// (`None`: the state does not matter, the chunk starts with a pcapng
    /// section header that resets it).
    start: Option<(usize, Option<Walker>)>,
    /// `None` when no record start was found in the chunk's region.
    walked: Option<Walked<S>>,
}

/// What walking one region gave.
struct Walked<S> {
    end: usize,
    end_walker: Walker,
    frames: u64,
    lost: u64,
    state: S,
    error: Option<Error>,
}

fn walk<S>(
    cap: &Capture,
    start: usize,
    end: usize,
    walker: Walker,
    init: &(impl Fn() -> S + Sync),
    f: &(impl Fn(&mut S, &Packet<'_>) + Sync),
) -> Walked<S> {
    let mut it = Packets::over(cap, start, end, walker);
    let mut st = init();
    let mut error = None;
    for r in it.by_ref() {
        match r {
            Ok(p) => f(&mut st, &p),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    walked(&it, st, error)
}

fn walked<S>(it: &Packets<'_>, state: S, error: Option<Error>) -> Walked<S> {
    Walked {
        end: it.offset() as usize,
        end_walker: it.walker.clone(),
        frames: it.frames(),
        lost: it.lost(),
        state,
        error,
    }
}

/// Where chunk `i` (nominal region `lo..hi`) starts, with the format state
/// assumed there (`None`: the chunk starts with a pcapng section header,
/// which sets it); `None` when no record starts in the region.
fn chunk_start(
    cap: &Capture,
    resync: &Resync,
    i: usize,
    lo: usize,
    hi: usize,
) -> Option<(usize, Option<Walker>)> {
    if i == 0 {
        Some((lo, Some(cap.walker().clone())))
    } else {
        resync.find(cap.bytes(), lo, hi)
    }
}

/// Finds chunk `i`'s start and walks it with the prefetching walk.
fn walk_chunk<S>(
    cap: &Capture,
    resync: &Resync,
    bounds: &[(usize, usize)],
    i: usize,
    init: &(impl Fn() -> S + Sync),
    f: &(impl Fn(&mut S, &Packet<'_>) + Sync),
) -> Run<S> {
    let (lo, hi) = bounds[i];
    let start = chunk_start(cap, resync, i, lo, hi);
    let walked = start
        .as_ref()
        .map(|(pos, assumed)| walk(cap, *pos, hi, walker_at(assumed), init, f));
    Run { start, walked }
}

/// The walker to start a chunk with, from what [`chunk_start`] assumed.
fn walker_at(assumed: &Option<Walker>) -> Walker {
    assumed
        .clone()
        .unwrap_or_else(|| Walker::Pcapng(NgWalk::default()))
}

/// One chunk being walked in a group of interleaved lanes.
struct Lane<'c, S> {
    index: usize,
    start: Option<(usize, Option<Walker>)>,
    walk: Option<(Packets<'c>, S)>,
}

/// Walks the chunks `first..first + lanes` on the calling thread, one
/// packet of each in turn, with headers-only walks: the cache misses of the
/// lanes overlap, and payload bytes the closure does not read are never
/// fetched.
#[allow(clippy::too_many_arguments)]
fn walk_lanes<'c, S>(
    cap: &'c Capture,
    first: usize,
    lanes: usize,
    ahead: usize,
    bounds: &[(usize, usize)],
    resync: &Resync,
    init: &(impl Fn() -> S + Sync),
    f: &(impl Fn(&mut S, &Packet<'_>) + Sync),
    done: &mut impl FnMut(usize, Run<S>),
) {
    let mut live: Vec<Lane<'c, S>> = Vec::with_capacity(lanes);
    for (index, &(lo, hi)) in bounds.iter().enumerate().skip(first).take(lanes) {
        let start = chunk_start(cap, resync, index, lo, hi);
        let walk = start.as_ref().map(|(pos, assumed)| {
            let it = Packets::over(cap, *pos, hi, walker_at(assumed))
                .sparse()
                .ahead(ahead);
            (it, init())
        });
        if walk.is_none() {
            done(
                index,
                Run {
                    start,
                    walked: None,
                },
            );
        } else {
            live.push(Lane { index, start, walk });
        }
    }
    // Every lane walks the same file: the format's own step is chosen
    // once here, and the loop below is built once per format around it.
    let walker = live
        .first()
        .and_then(|l| l.walk.as_ref())
        .map(|w| &w.0.walker);
    match walker {
        // Little-endian pcap: what nearly every capture tool writes.
        // Big-endian files take the general step.
        Some(&Walker::Pcap(w)) if w.endian == Endian::Little => {
            round_robin(live, f, done, |it| it.lane_step_pcap::<false>(&w))
        }
        Some(Walker::Pcapng(NgWalk {
            endian: Some(Endian::Big),
            ..
        })) => round_robin(live, f, done, |it| it.lane_step_epb::<true>()),
        Some(Walker::Pcapng(_)) => round_robin(live, f, done, |it| it.lane_step_epb::<false>()),
        Some(Walker::Erf) => round_robin(live, f, done, |it| it.lane_step_erf()),
        _ => round_robin(live, f, done, |it| it.next_sparse()),
    }
}

/// Steps the live lanes one packet each in turn until every one has
/// ended: `fast` first (a format's inlined step, `None` when it does not
/// apply), else the lane's general walk (straight to it: after a fast
/// step that declined, trying another would take a pcapng block whose
/// trailer was just found bad again).
#[inline(always)]
fn round_robin<'c, S>(
    mut live: Vec<Lane<'c, S>>,
    f: &(impl Fn(&mut S, &Packet<'_>) + Sync),
    done: &mut impl FnMut(usize, Run<S>),
    fast: impl Fn(&mut Packets<'c>) -> Option<Packet<'c>>,
) {
    while !live.is_empty() {
        let mut i = 0;
        while i < live.len() {
            let lane = &mut live[i];
            let (it, st) = lane.walk.as_mut().expect("live lanes walk");
            if let Some(p) = fast(it) {
                f(st, &p);
                i += 1;
                continue;
            }
            let ended = match it.next_general() {
                Some(Ok(p)) => {
                    f(st, &p);
                    None
                }
                Some(Err(e)) => Some(Some(e)),
                None => Some(None),
            };
            match ended {
                None => i += 1,
                Some(error) => {
                    let lane = live.swap_remove(i);
                    let (it, st) = lane.walk.expect("live lanes walk");
                    let walked = Some(walked(&it, st, error));
                    done(
                        lane.index,
                        Run {
                            start: lane.start,
                            walked,
                        },
                    );
                }
            }
        }
    }
}

/// Smallest chunk worth a thread.
const MIN_CHUNK: usize = 1 << 20;
/// Records or blocks that must chain up for a resynchronisation point.
const PCAP_CHAIN: usize = 8;
const PCAPNG_CHAIN: usize = 4;
const ERF_CHAIN: usize = 8;

/// Runs `f` over every packet of `cap`, cutting the file into chunks
/// processed on `threads` threads (0 = all cores), each chunk with its own
/// state from `init`. See the [module documentation](self) for an example
/// and for how the cut is made and verified.
pub fn split<S, I, F>(cap: &Capture, threads: usize, init: I, f: F) -> Split<S>
where
    S: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &Packet<'_>) + Sync,
{
    split_with(cap, threads, 0, init, f)
}

/// [`split`] with an explicit chunk size (0 = automatic), for tests and
/// tuning.
pub fn split_with<S, I, F>(
    cap: &Capture,
    threads: usize,
    chunk_size: usize,
    init: I,
    f: F,
) -> Split<S>
where
    S: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &Packet<'_>) + Sync,
{
    let opts = SplitOptions {
        threads,
        chunk_size,
        lanes: 1,
    };
    split_opts(cap, opts, init, f)
}

/// Lanes per thread that [`header_lanes`] picks for a cached capture.
pub const LANES: usize = 16;

/// Lanes per thread that [`header_lanes`] picks for a cached capture of
/// small records (a mean of at most [`SMALL_RECORD`] bytes each).
pub const SMALL_RECORD_LANES: usize = 4;

/// Mean record length (header included) up to which [`header_lanes`]
/// takes [`SMALL_RECORD_LANES`].
pub const SMALL_RECORD: usize = 256;

/// How far past each next record the lanes also prefetch when the
/// capture's records are small (a mean of at most [`SMALL_RECORD`]
/// bytes): such records use nearly every line of the file, so the lanes
/// stream it like the in-order walk instead of waiting on a miss per
/// record. Measured on 256 MiB captures of 64-200 byte frames
/// (docs/BENCHMARKS.md): xff-scan 37.7 -> 33.3 ms; on mixed frames
/// (16 lanes) the same prefetch costs 5-8 %, so only small records take it.
pub const SMALL_RECORD_AHEAD: usize = 4096;

/// Records [`header_lanes`] measures at the start of a capture.
const SAMPLE_RECORDS: u64 = 512;

/// How many lanes a scan that reads only the first bytes of each packet
/// should use on `cap`: for files mostly in the page cache [`LANES`], or
/// [`SMALL_RECORD_LANES`] when the capture's first records average at most
/// [`SMALL_RECORD`] bytes; otherwise 1: from disk, reading in order is
/// faster (the kernel's readahead follows one sequential stream, and
/// lanes read many places at once). pcapng blocks end with a copy of
/// their length; the headers-only walk fetches it with the next block's
/// header and checks it one step later, so it costs no extra wait.
///
/// Why fewer lanes for small records: lanes overlap the cache misses of
/// records far apart, but records of 64-200 bytes lie a line or two
/// apart and the hardware prefetcher already streams them; sixteen lanes
/// then only add the lanes' state (each its own scan state) to the first-
/// level cache. Measured on 256 MiB captures (docs/BENCHMARKS.md): small
/// frames 4 lanes ~9 % faster than 16, mixed and large frames 16 lanes
/// 5-15 % faster than 4.
pub fn header_lanes(cap: &Capture) -> usize {
    if cap.cached_fraction() < 0.5 {
        1
    } else if has_small_records(cap) {
        SMALL_RECORD_LANES
    } else {
        LANES
    }
}

/// Whether `cap`'s first records average at most [`SMALL_RECORD`] bytes:
/// the rule for [`SMALL_RECORD_LANES`] and [`SMALL_RECORD_AHEAD`].
fn has_small_records(cap: &Capture) -> bool {
    mean_record_len(cap).is_some_and(|m| m <= SMALL_RECORD)
}

/// The mean length in bytes, record header included, of the first
/// 512 records of `cap` (fewer if it has fewer, stopping at
/// the first error); `None` when it has none.
pub fn mean_record_len(cap: &Capture) -> Option<usize> {
    let start = cap.data_start().min(cap.bytes().len());
    let mut it = Packets::over(cap, start, cap.bytes().len(), cap.walker().clone());
    let mut n = 0u64;
    while n < SAMPLE_RECORDS {
        match it.next() {
            Some(Ok(_)) => n += 1,
            _ => break,
        }
    }
    let walked = it.offset().saturating_sub(start as u64);
    (n > 0).then(|| usize::try_from(walked / n).unwrap_or(usize::MAX))
}

/// How [`split_opts`] cuts a file and walks the chunks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SplitOptions {
    /// Threads (0 = all cores).
    pub threads: usize,
    /// Nominal chunk size in bytes (0 = automatic).
    pub chunk_size: usize,
    /// Chunks each thread walks at once, one packet of each in turn
    /// (0 and 1: one chunk at a time, with the prefetching walk of
    /// [`Capture::packets`]).
    ///
    /// For closures that read only the first bytes of each packet (the
    /// headers, the first bytes of a payload), more lanes are much faster:
    /// each lane's walk fetches only the first [`SPARSE_BYTES`](crate::SPARSE_BYTES)
    /// of each record, and the lanes' cache misses overlap, so a capture
    /// of large packets is not streamed through the CPU at all. On the
    /// 256 MiB benchmark capture, 16 lanes on one core walk every record
    /// in about a third of the time it takes to read the file once
    /// (`docs/BENCHMARKS.md`). Closures that read whole payloads should
    /// keep one lane: they would fetch every byte anyway, and the
    /// prefetching walk does that at full memory bandwidth.
    pub lanes: usize,
}

/// [`split`] with every option: threads, chunk size and interleaved lanes
/// (see [`SplitOptions`]). The result is the same whatever the options:
/// exactly what a sequential read gives.
pub fn split_opts<S, I, F>(cap: &Capture, opts: SplitOptions, init: I, f: F) -> Split<S>
where
    S: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &Packet<'_>) + Sync,
{
    let mut chunks = Vec::new();
    let end = split_each(cap, opts, init, f, |c| chunks.push(c));
    Split {
        chunks,
        error: end.error,
        rewalked: end.rewalked,
    }
}

/// How a [`split_each`] ended.
#[derive(Debug)]
pub struct SplitEnd {
    /// The error that ended the file early (truncated or corrupt record),
    /// with its absolute frame number; every packet before it was
    /// processed and its chunk delivered.
    pub error: Option<Error>,
    /// Chunks whose speculative start turned out wrong and which were
    /// walked again sequentially (0 on ordinary captures).
    pub rewalked: usize,
}

/// Bytes of capture a thread may have walked ahead of the chunk being
/// delivered, when the chunk size is automatic: it bounds the memory of
/// chunk states on captures of any size ([`split_each`] holds at most
/// `2 × lanes` chunks per thread).
const IN_FLIGHT_PER_THREAD: usize = 128 << 20;

/// [`split_opts`] as a stream: `on_chunk` gets each chunk on the calling
/// thread, in file order, as soon as it and every chunk before it are
/// done. Workers walk at most `2 × threads × lanes` chunks ahead of the
/// one being delivered, so memory stays bounded by the chunk states in
/// flight, not by the size of the capture.
pub fn split_each<S, I, F, C>(
    cap: &Capture,
    opts: SplitOptions,
    init: I,
    f: F,
    mut on_chunk: C,
) -> SplitEnd
where
    S: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &Packet<'_>) + Sync,
    C: FnMut(Chunk<S>),
{
    let threads = resolve(opts.threads);
    let lanes = opts.lanes.max(1);
    let bytes = cap.bytes();
    let first = cap.data_start().min(bytes.len());
    let span = bytes.len() - first;
    let max_chunk = (IN_FLIGHT_PER_THREAD / (2 * lanes)).max(MIN_CHUNK);
    let chunk = if opts.chunk_size > 0 {
        opts.chunk_size
    } else if lanes > 1 {
        span.div_ceil(threads * lanes * 2)
            .clamp(MIN_CHUNK, max_chunk)
    } else {
        span.div_ceil(threads * 4).clamp(MIN_CHUNK, max_chunk)
    };
    let n = span.div_ceil(chunk).max(1);
    let bounds: Vec<(usize, usize)> = (0..n)
        .map(|i| {
            (
                first + i * chunk,
                (first + (i + 1) * chunk).min(bytes.len()),
            )
        })
        .collect();
    let ahead = if lanes > 1 && has_small_records(cap) {
        SMALL_RECORD_AHEAD
    } else {
        0
    };
    let resync = Resync::new(cap);
    let mut order = Order {
        pos: first,
        walker: cap.walker().clone(),
        frames: 0,
        end: SplitEnd {
            error: None,
            rewalked: 0,
        },
    };
    if threads == 1 {
        // One thread: everything on the calling thread, group by group, so
        // that one thread really is one core.
        for i in (0..n).step_by(lanes) {
            let mut runs: Vec<(usize, Run<S>)> = Vec::with_capacity(lanes);
            if lanes > 1 {
                walk_lanes(
                    cap,
                    i,
                    lanes,
                    ahead,
                    &bounds,
                    &resync,
                    &init,
                    &f,
                    &mut |j, run| runs.push((j, run)),
                );
                runs.sort_by_key(|(j, _)| *j);
            } else {
                runs.push((i, walk_chunk(cap, &resync, &bounds, i, &init, &f)));
            }
            for (j, run) in runs {
                if !order.deliver(cap, bounds[j].1, run, &init, &f, &mut on_chunk) {
                    return order.end;
                }
            }
        }
        return order.end;
    }
    let window = 2 * threads * lanes;
    let shared = Shared {
        state: Mutex::new(Flow {
            next: 0,
            delivered: 0,
            stop: false,
            failed: false,
            runs: (0..n).map(|_| None).collect(),
        }),
        changed: Condvar::new(),
    };
    std::thread::scope(|s| {
        for _ in 0..threads.min(n.div_ceil(lanes)) {
            s.spawn(|| {
                let _guard = PanicFlag(&shared);
                let mut done = |i: usize, run: Run<S>| {
                    shared.lock().runs[i] = Some(run);
                    shared.changed.notify_all();
                };
                while let Some(i) = shared.claim(lanes, window, n) {
                    // This thread tears down the page tables of the chunks
                    // it walked, not the last one at exit (see
                    // `Capture::release`): a group's chunks at once, as
                    // each call interrupts every other core running this
                    // process to flush its TLB.
                    if lanes > 1 {
                        walk_lanes(cap, i, lanes, ahead, &bounds, &resync, &init, &f, &mut done);
                        let last = (i + lanes).min(n) - 1;
                        cap.release(bounds[i].0, bounds[last].1);
                        continue;
                    }
                    done(i, walk_chunk(cap, &resync, &bounds, i, &init, &f));
                    cap.release(bounds[i].0, bounds[i].1);
                }
            });
        }

        // Verify and deliver in file order, on this thread. Whatever ends
        // the delivery (done, an error, a panic in `on_chunk`) stops the
        // workers claiming more.
        let _stop = StopOnDrop(&shared);
        for (i, &(_, hi)) in bounds.iter().enumerate() {
            let Some(run) = shared.take(i) else {
                break; // a worker panicked; the scope re-raises it
            };
            let go_on = order.deliver(cap, hi, run, &init, &f, &mut on_chunk);
            shared.delivered(i + 1);
            if !go_on {
                break;
            }
        }
    });
    order.end
}

/// The in-order delivery of [`split_each`]: checks that each chunk started
/// where the previous one ended (re-walking it otherwise) and hands it on.
struct Order {
    pos: usize,
    walker: Walker,
    frames: u64,
    end: SplitEnd,
}

impl Order {
    /// Delivers the chunk whose region ends at `hi`; `false` once an error
    /// ended the file.
    fn deliver<S>(
        &mut self,
        cap: &Capture,
        hi: usize,
        run: Run<S>,
        init: &(impl Fn() -> S + Sync),
        f: &(impl Fn(&mut S, &Packet<'_>) + Sync),
        on_chunk: &mut impl FnMut(Chunk<S>),
    ) -> bool {
        let verified = match &run.start {
            Some((p, assumed)) => {
                *p == self.pos && assumed.as_ref().is_none_or(|a| *a == self.walker)
            }
            None => false,
        };
        let w = match run.walked {
            Some(w) if verified => w,
            // the previous chunk's last record reached past this region
            _ if self.pos >= hi => return true,
            _ => {
                self.end.rewalked += 1;
                walk(cap, self.pos, hi, self.walker.clone(), init, f)
            }
        };
        on_chunk(Chunk {
            first_frame: self.frames + 1,
            frames: w.frames,
            start: self.pos as u64,
            end: w.end as u64,
            lost: w.lost,
            state: w.state,
            walker: self.walker.clone(),
        });
        if let Some(e) = w.error {
            self.end.error = Some(e.shift_frame(self.frames));
            return false;
        }
        self.frames += w.frames;
        self.pos = w.end;
        self.walker = w.end_walker;
        true
    }
}

/// Work distribution of [`split_each`]: which chunk is next, which are done.
struct Flow<S> {
    /// The next chunk to claim.
    next: usize,
    /// Chunks delivered so far (claims stay within a window ahead of it).
    delivered: usize,
    /// Set when delivery ended (error or done): claim nothing more.
    stop: bool,
    /// Set when a worker panicked: the deliverer stops waiting.
    failed: bool,
    runs: Vec<Option<Run<S>>>,
}

struct Shared<S> {
    state: Mutex<Flow<S>>,
    changed: Condvar,
}

impl<S> Shared<S> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Flow<S>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'g>(
        &self,
        g: std::sync::MutexGuard<'g, Flow<S>>,
    ) -> std::sync::MutexGuard<'g, Flow<S>> {
        self.changed.wait(g).unwrap_or_else(|e| e.into_inner())
    }

    /// The first of the next `lanes` chunks, once it is within `window`
    /// of the delivered ones; `None` when there is nothing left to do.
    fn claim(&self, lanes: usize, window: usize, n: usize) -> Option<usize> {
        let mut g = self.lock();
        loop {
            if g.stop || g.next >= n {
                return None;
            }
            if g.next < g.delivered + window {
                let i = g.next;
                g.next += lanes;
                return Some(i);
            }
            g = self.wait(g);
        }
    }

    /// Waits for chunk `i`'s run (`None`: a worker panicked).
    fn take(&self, i: usize) -> Option<Run<S>> {
        let mut g = self.lock();
        loop {
            if let Some(run) = g.runs[i].take() {
                return Some(run);
            }
            if g.failed {
                return None;
            }
            g = self.wait(g);
        }
    }

    fn delivered(&self, upto: usize) {
        self.lock().delivered = upto;
        self.changed.notify_all();
    }

    fn stop(&self) {
        self.lock().stop = true;
        self.changed.notify_all();
    }
}

/// Stops the workers when the deliverer is done, returns early or unwinds.
struct StopOnDrop<'a, S>(&'a Shared<S>);

impl<S> Drop for StopOnDrop<'_, S> {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Tells the deliverer when a worker unwinds, so it does not wait forever
/// for a chunk that will never come.
struct PanicFlag<'a, S>(&'a Shared<S>);

impl<S> Drop for PanicFlag<'_, S> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock().failed = true;
            self.0.changed.notify_all();
        }
    }
}

/// Runs `f` on every packet on all cores and returns the `Some` results
/// as `(frame, value)` in frame order, with the error that ended the file
/// early, if any.
///
/// ```
/// use netops_testkit::pcap as synth;
/// use pcap_core::{Capture, parallel};
///
/// let mut bytes = Vec::new();
/// synth::write_mixed_pcap(&mut bytes, 200_000, 7).unwrap();
/// let cap = Capture::from_vec("mixed.pcap", bytes).unwrap();
/// let (ports, err) = parallel::map_ordered(&cap, 0, |p| p.decode().ok()?.ports());
/// assert!(err.is_none());
/// let seq: Vec<_> = cap.packets().filter_map(|p| {
///     let p = p.unwrap();
///     Some((p.frame, p.decode().ok()?.ports()?))
/// }).collect();
/// assert_eq!(ports, seq);
/// ```
pub fn map_ordered<T, F>(cap: &Capture, threads: usize, f: F) -> (Vec<(u64, T)>, Option<Error>)
where
    T: Send,
    F: Fn(&Packet<'_>) -> Option<T> + Sync,
{
    let out = split(cap, threads, Vec::new, |v: &mut Vec<(u64, T)>, p| {
        if let Some(t) = f(p) {
            v.push((p.frame, t));
        }
    });
    let mut all = Vec::with_capacity(out.chunks.iter().map(|c| c.state.len()).sum());
    for c in out.chunks {
        all.extend(
            c.state
                .into_iter()
                .map(|(fr, t)| (c.first_frame + fr - 1, t)),
        );
    }
    (all, out.error)
}

/// Finds plausible record starts for chunks after the first.
enum Resync {
    Pcap {
        w: PcapLayout,
        first_sec: Option<u32>,
    },
    Pcapng {
        assumed: Option<Walker>,
        endian: Option<Endian>,
    },
    Erf {
        /// The type byte of the file's first record.
        first_type: Option<u8>,
    },
}

impl Resync {
    fn new(cap: &Capture) -> Resync {
        match cap.walker() {
            Walker::Pcap(w) => {
                let b = cap.bytes();
                let at = cap.data_start();
                let first_sec = (b.len() >= at + w.header_len())
                    .then(|| w.endian.u32(b, at + format::pcap::REC_TS_SEC));
                Resync::Pcap { w: *w, first_sec }
            }
            Walker::Pcapng(_) => {
                // The state after the first packet: the first section's
                // interfaces, which a chunk in that section most likely has.
                let mut it = cap.packets();
                let assumed = match it.next() {
                    Some(Ok(_)) => Some(it.walker.clone()),
                    _ => None,
                };
                let endian = match &assumed {
                    Some(Walker::Pcapng(ng)) => ng.endian,
                    _ => None,
                };
                Resync::Pcapng { assumed, endian }
            }
            Walker::Erf => Resync::Erf {
                first_type: cap
                    .bytes()
                    .get(cap.data_start() + format::erf::TYPE)
                    .copied(),
            },
        }
    }

    fn find(&self, b: &[u8], lo: usize, hi: usize) -> Option<(usize, Option<Walker>)> {
        match self {
            Resync::Pcap { w, first_sec } => (lo..hi)
                .find(|&p| pcap_chain_ok(b, p, w, *first_sec))
                .map(|p| (p, Some(Walker::Pcap(*w)))),
            Resync::Pcapng { assumed, endian } => {
                let endian = (*endian)?;
                let mut p = lo.next_multiple_of(4);
                while p < hi {
                    if let Some(is_shb) = pcapng_chain_ok(b, p, endian) {
                        return Some((p, if is_shb { None } else { Some(assumed.clone()?) }));
                    }
                    p += 4;
                }
                None
            }
            Resync::Erf { first_type } => {
                let ok = |p| crate::erf_chain_ok(b, p, ERF_CHAIN, true);
                first_type
                    .and_then(|t| find_by_byte(b, lo, hi, format::erf::TYPE, t, ok))
                    .or_else(|| (lo..hi).find(|&p| ok(p)))
                    .map(|p| (p, Some(Walker::Erf)))
            }
        }
    }
}

/// The first `p` in `lo..hi` with `b[p + off] == byte` where `chain_ok(p)`
/// holds, the candidates found by `memchr`: a byte every record of a
/// capture nearly always shares (an ERF record's type: a DAG card writes
/// one) skips the offsets where no record starts without testing them one
/// by one (that cost 5 % of a scan of ERF: perf, 1 GiB, 256 chunk
/// starts; for pcap, keyed on the seconds' high byte, it measured no
/// gain: 1 GiB of large frames, 9 alternated rounds). `None` sends the
/// caller to the test of every offset, which also finds records that do
/// not share the byte.
fn find_by_byte(
    b: &[u8],
    lo: usize,
    hi: usize,
    off: usize,
    byte: u8,
    chain_ok: impl Fn(usize) -> bool,
) -> Option<usize> {
    let mut p = lo;
    while p < hi {
        let hay = b.get(p + off..(hi + off).min(b.len()))?;
        p += memchr::memchr(byte, hay)?;
        if chain_ok(p) {
            return Some(p);
        }
        p += 1;
    }
    None
}

fn pcap_chain_ok(b: &[u8], mut p: usize, w: &PcapLayout, first_sec: Option<u32>) -> bool {
    use format::pcap::*;
    let hl = w.header_len();
    let frac_max = if w.nanos { 1_000_000_000 } else { 1_000_000 };
    let mut prev_sec = first_sec;
    for i in 0..PCAP_CHAIN {
        if p == b.len() {
            return i > 0;
        }
        if b.len() - p < hl {
            return i > 0;
        }
        let caplen = w.endian.u32(b, p + REC_CAPLEN);
        let origlen = w.endian.u32(b, p + REC_ORIGLEN);
        let frac = w.endian.u32(b, p + REC_TS_FRAC);
        let sec = w.endian.u32(b, p + REC_TS_SEC);
        // An empty frame (original length 0) is no record a capture
        // holds, while a run of zero bytes (a mostly-zero payload) reads
        // as a chain of them: without this test a cut point landed inside
        // such a payload, the chunk before it had to walk on to the real
        // boundary, and a mostly-zero pcap lost its lanes and its threads.
        if origlen == 0
            || caplen > w.max_caplen
            || caplen > origlen
            || origlen > MAX_SNAPLEN_LIMIT
            || frac >= frac_max
        {
            return false;
        }
        // consecutive records (and the first record of the file) lie within a day
        if let Some(prev) = prev_sec
            && prev.abs_diff(sec) > 86_400
            && i > 0
        {
            return false;
        }
        prev_sec = Some(sec);
        p += hl + caplen as usize;
        if p > b.len() {
            return i > 0;
        }
    }
    true
}

/// `Some(starts_with_section_header)` if a chain of valid blocks starts at `p`.
fn pcapng_chain_ok(b: &[u8], mut p: usize, endian: Endian) -> Option<bool> {
    use format::pcapng::*;
    let mut first_shb = None;
    let mut endian = endian;
    for i in 0..PCAPNG_CHAIN {
        if p == b.len() {
            return if i > 0 { first_shb } else { None };
        }
        if b.len() - p < MIN_BLOCK_LEN {
            return None;
        }
        let raw = Endian::Little.u32(b, p);
        let shb = raw == SHB;
        if shb {
            let bom = Endian::Little.u32(b, p + BLOCK_BODY);
            endian = if bom == BYTE_ORDER_MAGIC {
                Endian::Little
            } else if bom.swap_bytes() == BYTE_ORDER_MAGIC {
                Endian::Big
            } else {
                return None;
            };
        }
        let t = endian.u32(b, p);
        if !matches!(
            t,
            SHB | IDB | PB | SPB | NRB | ISB | EPB | DSB | CUSTOM | CUSTOM_NOCOPY | SYSTEMD_JOURNAL
        ) {
            return None;
        }
        let len = endian.u32(b, p + BLOCK_LEN);
        if len > MAX_BLOCK_LEN
            || (len as usize) < MIN_BLOCK_LEN
            || !len.is_multiple_of(4)
            || len as usize > b.len() - p
        {
            return None;
        }
        if endian.u32(b, p + len as usize - 4) != len {
            return None;
        }
        if i == 0 {
            first_shb = Some(shb);
        }
        p += len as usize;
    }
    first_shb
}
