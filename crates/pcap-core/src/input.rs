//! Opening what a user names as a capture: one policy for every tool.
//!
//! [`Input::open`] decides how a path is read:
//!
//! | path | read as |
//! |---|---|
//! | a regular file | a [`Capture`]: memory-mapped, guarded against shrinking (see [`Error::Changed`]) |
//! | a regular `.gz` file (gzip magic) | a [`Stream`]: inflated as it is walked, never to memory or disk as a whole |
//! | `-` | a [`Stream`] over standard input |
//! | a FIFO, `/dev/stdin`, `<(...)`, a character device | a [`Stream`]; a FIFO waits at most [`InputOptions::fifo_timeout`] for a writer |
//!
//! A [`Stream`] reads into one reused buffer (1 MiB, growing only to the
//! largest record the format allows), so memory stays bounded on an
//! endless live capture, and it reports a stream that stops mid-record
//! with [`Error::StreamEnded`] at the right byte offset.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::read::{Packets, Walker};
use crate::{Capture, Error, Format, GZIP_MAGIC, Packet};

/// Bytes of a (decompressed) stream looked at before deciding it is not a
/// capture.
pub(crate) const SNIFF_BYTES: usize = 1024;

/// The largest ERF record (its length field is 16 bits): how far the
/// sniff reads when the start looks like ERF.
const ERF_SNIFF_BYTES: usize = 8 * 65_536;

/// First size of a stream's buffer.
const STREAM_BUFFER: usize = 1 << 20;

/// Limits on decompressing a `.gz` capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GunzipLimits {
    /// The decompressed data may be at most this many times the
    /// compressed size (default 100; real captures compress 1.1-10x,
    /// a gzip bomb about 1000x) ...
    pub max_ratio: u64,
    /// ... or this many bytes, whichever is larger (default 64 MiB, so
    /// that small, very regular captures still open).
    pub ratio_floor: u64,
    /// An absolute cap on the decompressed size (default none).
    pub max_bytes: Option<u64>,
}

impl Default for GunzipLimits {
    fn default() -> Self {
        GunzipLimits {
            max_ratio: 100,
            ratio_floor: 64 << 20,
            max_bytes: None,
        }
    }
}

impl GunzipLimits {
    /// The most bytes a `.gz` of `gz_len` bytes may decompress to.
    pub fn max_output(&self, gz_len: u64) -> u64 {
        let by_ratio = gz_len.saturating_mul(self.max_ratio).max(self.ratio_floor);
        self.max_bytes.map_or(by_ratio, |m| by_ratio.min(m))
    }

    pub(crate) fn exceeded(path: &Path, max: u64, gz_len: u64) -> Error {
        Error::Limit {
            path: path.to_path_buf(),
            what: format!(
                "gzip data decompresses to more than {max} bytes ({}x its {gz_len} compressed bytes): \
                 refused as a likely gzip bomb; raise NETOPS_GZ_MAX_RATIO / NETOPS_GZ_MAX_BYTES \
                 (docs/LIMITS.md) if the capture is genuine",
                max / gz_len.max(1)
            ),
        }
    }
}

/// How [`Input::open`] treats what is not a plain file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputOptions {
    /// How long to wait for a writer to open a FIFO (and send its first
    /// bytes) before giving up with a message; `None` waits forever.
    /// Default 10 s.
    pub fifo_timeout: Option<Duration>,
    /// Limits on `.gz` data.
    pub gunzip: GunzipLimits,
}

impl Default for InputOptions {
    fn default() -> Self {
        InputOptions {
            fifo_timeout: Some(Duration::from_secs(10)),
            gunzip: GunzipLimits::default(),
        }
    }
}

impl InputOptions {
    /// The defaults, overridden by the environment (what every capture
    /// tool uses): `NETOPS_FIFO_TIMEOUT` (seconds, `0` = wait forever),
    /// `NETOPS_GZ_MAX_RATIO`, `NETOPS_GZ_MAX_BYTES`. A value that does not
    /// parse is an error naming the variable.
    pub fn from_env() -> Result<InputOptions, String> {
        let mut o = InputOptions::default();
        let var = |name: &str| -> Result<Option<f64>, String> {
            match std::env::var(name) {
                Ok(v) => v
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .map(Some)
                    .ok_or_else(|| format!("{name}={v:?} is not a non-negative number")),
                Err(_) => Ok(None),
            }
        };
        if let Some(t) = var("NETOPS_FIFO_TIMEOUT")? {
            o.fifo_timeout = (t > 0.0).then(|| Duration::from_secs_f64(t));
        }
        if let Some(r) = var("NETOPS_GZ_MAX_RATIO")? {
            o.gunzip.max_ratio = r as u64;
        }
        if let Some(b) = var("NETOPS_GZ_MAX_BYTES")? {
            o.gunzip.max_bytes = Some(b as u64);
            o.gunzip.ratio_floor = o.gunzip.ratio_floor.min(b as u64);
        }
        Ok(o)
    }
}

/// An opened input: a mapped file, or a stream read in order.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Input {
    /// A regular file, mapped (random access, splittable over threads).
    Mapped(Capture),
    /// A pipe, FIFO, standard input, device or `.gz` file, read once in
    /// order through a bounded buffer.
    Stream(Stream),
}

impl Input {
    /// Opens `path` as the table in the [module docs](self) says.
    pub fn open(path: impl AsRef<Path>, opts: &InputOptions) -> Result<Input, Error> {
        let path = path.as_ref();
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        if path.as_os_str() == "-" {
            return Stream::new(path, Box::new(io::stdin()), opts).map(Input::Stream);
        }
        let meta = std::fs::metadata(path).map_err(io)?;
        let kind = meta.file_type();
        if meta.is_file() {
            let mut f = std::fs::File::open(path).map_err(io)?;
            let mut magic = [0u8; 2];
            let gz = f.read_exact(&mut magic).is_ok() && magic == GZIP_MAGIC;
            if gz {
                drop(f);
                let f = std::fs::File::open(path).map_err(io)?;
                return Stream::new(path, Box::new(f), opts).map(Input::Stream);
            }
            return Capture::open_with(path, &opts.gunzip).map(Input::Mapped);
        }
        if meta.is_dir() {
            return Err(io(io::Error::other(
                "it is a directory; pass the capture files in it",
            )));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if kind.is_fifo() {
                let f = open_fifo(path, opts.fifo_timeout).map_err(|e| {
                    if e.kind() == io::ErrorKind::TimedOut {
                        Error::Limit {
                            path: path.to_path_buf(),
                            what: e.to_string(),
                        }
                    } else {
                        io(e)
                    }
                })?;
                return Stream::new(path, Box::new(f), opts).map(Input::Stream);
            }
            if kind.is_socket() {
                return Err(io(io::Error::other(
                    "it is a socket, not a capture file; connect to it with another tool and pipe the capture in",
                )));
            }
        }
        let f = std::fs::File::open(path).map_err(io)?;
        Stream::new(path, Box::new(f), opts).map(Input::Stream)
    }

    /// The name it was opened by.
    pub fn path(&self) -> &Path {
        match self {
            Input::Mapped(c) => c.path(),
            Input::Stream(s) => s.path(),
        }
    }
}

/// Whether [`Input::open`] reads `path` as a one-time stream that cannot be
/// opened a second time: `-`, FIFOs, character devices, `/dev/stdin` and
/// `<(...)` (not `.gz` files, which can be read again).
pub fn is_stream(path: &Path) -> bool {
    path.as_os_str() == "-" || std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Opens a file without blocking (a FIFO with no writer would block in
/// `open`); the descriptor is left non-blocking, which changes nothing for
/// regular files.
pub(crate) fn open_nonblocking(path: &Path) -> io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK);
    }
    o.open(path)
}

/// "a FIFO", "a socket", ... for messages.
pub(crate) fn describe_kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    if t.is_dir() {
        return "a directory";
    }
    "not a regular file"
}

/// Opens a FIFO for reading without blocking forever: waits up to
/// `timeout` for a writer to send its first bytes (or to come and go).
#[cfg(unix)]
fn open_fifo(path: &Path, timeout: Option<Duration>) -> io::Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    let f = open_nonblocking(path)?;
    let fd = f.as_raw_fd();
    let deadline = timeout.map(|t| std::time::Instant::now() + t);
    loop {
        let wait_ms = match deadline {
            None => -1,
            Some(d) => {
                let left = d.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "it is a FIFO and no writer sent anything within {:.1} s; start the \
                             capture writer first, or set NETOPS_FIFO_TIMEOUT (seconds, 0 = wait forever)",
                            timeout.unwrap_or_default().as_secs_f64()
                        ),
                    ));
                }
                i32::try_from(left.as_millis().max(1)).unwrap_or(i32::MAX)
            }
        };
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, wait_ms) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if r > 0 {
            break;
        }
    }
    // Blocking reads from here on (the writer is there).
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
    Ok(f)
}

#[cfg(not(unix))]
fn open_fifo(path: &Path, _timeout: Option<Duration>) -> io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// Why [`sniff`] stopped.
pub(crate) enum SniffError {
    /// The start is not a capture.
    Format(Error),
    /// Reading failed (the bytes read so far are in the buffer).
    Read(io::Error),
}

/// Reads the first [`SNIFF_BYTES`] (more if the start looks like ERF,
/// whose detection needs whole records) of `r` into `out` and checks that
/// they start a capture. A stream shorter than that is left to the walk
/// (which reports a truncated header).
pub(crate) fn sniff(path: &Path, r: &mut dyn Read, out: &mut Vec<u8>) -> Result<(), SniffError> {
    fill(r, out, SNIFF_BYTES).map_err(SniffError::Read)?;
    if out.len() < SNIFF_BYTES || out.starts_with(&GZIP_MAGIC) {
        return Ok(());
    }
    match crate::detect(path, out) {
        Ok(_) => Ok(()),
        Err(Error::UnknownFormat { .. }) if erf_start(out) => {
            fill(r, out, ERF_SNIFF_BYTES).map_err(SniffError::Read)?;
            crate::detect(path, out)
                .map(|_| ())
                .map_err(SniffError::Format)
        }
        Err(e) => Err(SniffError::Format(e)),
    }
}

/// Whether the first ERF record header is plausible (the full check needs
/// the records).
fn erf_start(b: &[u8]) -> bool {
    use crate::format::erf::*;
    b.len() >= HEADER_LEN && {
        let kind = b[TYPE] & 0x7f;
        kind != 0 && kind <= TYPE_MAX
    }
}

/// Reads until `out` holds `want` bytes or the reader ends.
fn fill(r: &mut dyn Read, out: &mut Vec<u8>, want: usize) -> io::Result<()> {
    while out.len() < want {
        let have = out.len();
        out.resize(want, 0);
        match r.read(&mut out[have..]) {
            Ok(0) => {
                out.truncate(have);
                return Ok(());
            }
            Ok(n) => out.truncate(have + n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => out.truncate(have),
            Err(e) => {
                out.truncate(have);
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Counts the bytes read through it (the compressed side of a gzip
/// stream, for the ratio limit).
struct Counting<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// A capture read once, in order, from a pipe, FIFO, standard input,
/// device or `.gz` file, through one reused buffer.
///
/// [`Stream::next_packet`] is the walk: it lends each [`Packet`] until the
/// next call (the buffer is reused), checks every record as the mapped walk
/// does ([`Capture::packets`]: same formats, same rules, same errors with
/// byte offsets counted from the stream's start), and ends with
/// [`Error::StreamEnded`] if the stream stops in the middle of a record.
pub struct Stream {
    path: PathBuf,
    reader: Box<dyn Read + Send>,
    gz: Option<(std::sync::Arc<std::sync::atomic::AtomicU64>, GunzipLimits)>,
    buf: Vec<u8>,
    /// Unconsumed bytes are `buf[lo..hi]`; `buf[0]` is at stream offset `base`.
    lo: usize,
    hi: usize,
    base: u64,
    eof: bool,
    /// A read error that ended the stream (reported after the records
    /// before it).
    read_error: Option<io::Error>,
    format: Format,
    walker: Walker,
    frame: u64,
    loss: u64,
    done: bool,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("offset", &self.offset())
            .field("gzipped", &self.gz.is_some())
            .finish()
    }
}

impl Stream {
    /// Reads the start of `reader` (decompressing it if it is gzip) and
    /// detects the format. `name` is used in messages (`-` for standard
    /// input).
    pub fn new(
        name: impl Into<PathBuf>,
        reader: Box<dyn Read + Send>,
        opts: &InputOptions,
    ) -> Result<Stream, Error> {
        let path = name.into();
        let mut reader = reader;
        let mut head = Vec::with_capacity(STREAM_BUFFER);
        let io_err = |e: io::Error, path: &Path| Error::Io {
            path: path.to_path_buf(),
            source: e,
        };
        fill(&mut reader, &mut head, 2).map_err(|e| io_err(e, &path))?;
        let mut gz = None;
        if head.starts_with(&GZIP_MAGIC) {
            let count = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            let raw = Counting {
                inner: io::Cursor::new(std::mem::take(&mut head)).chain(reader),
                count: count.clone(),
            };
            reader = Box::new(flate2::read::MultiGzDecoder::new(raw));
            gz = Some((count, opts.gunzip));
        }
        let mut read_error = None;
        match sniff(&path, &mut reader, &mut head) {
            Ok(()) => {}
            Err(SniffError::Format(e)) => return Err(e),
            Err(SniffError::Read(e)) => read_error = Some(e),
        }
        if head.starts_with(&GZIP_MAGIC) && gz.is_some() {
            return Err(Error::Corrupt {
                path,
                offset: 0,
                frame: 1,
                reason: "gzip inside gzip; decompress the outer layer first".into(),
            });
        }
        // Detection needs the whole file header; a stream that ended
        // before it is reported by `detect` as truncated.
        let detected = crate::detect(&path, &head);
        let (format, walker, start) = match detected {
            Ok(d) => d,
            Err(Error::Truncated {
                path,
                what,
                needed,
                available,
                ..
            }) => {
                if let Some(e) = read_error {
                    return Err(read_failed(&path, gz.is_some(), e, 0, 1));
                }
                return Err(Error::StreamEnded {
                    path,
                    offset: 0,
                    frame: 1,
                    what,
                    needed,
                    available,
                });
            }
            Err(e) => return Err(e),
        };
        let hi = head.len();
        let eof = read_error.is_some() || hi < SNIFF_BYTES;
        if head.capacity() < STREAM_BUFFER {
            head.reserve(STREAM_BUFFER - head.len());
        }
        Ok(Stream {
            path,
            reader,
            gz,
            buf: head,
            lo: start,
            hi,
            base: 0,
            eof,
            read_error,
            format,
            walker,
            frame: 0,
            loss: 0,
            done: false,
        })
    }

    /// The name given to [`Stream::new`] (or the path).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The detected format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether the data was gzip-compressed.
    pub fn gzipped(&self) -> bool {
        self.gz.is_some()
    }

    /// Byte offset of the next record in the (decompressed) stream.
    pub fn offset(&self) -> u64 {
        self.base + self.lo as u64
    }

    /// Frame numbers used so far (see [`Packets::frames`]).
    pub fn frames(&self) -> u64 {
        self.frame
    }

    /// Packets the capture device reported lost so far (see
    /// [`Packets::lost`]).
    pub fn lost(&self) -> u64 {
        self.loss
    }

    /// The next packet, lent until the next call; `Err` once when the
    /// stream is damaged or ends mid-record, then `None`.
    pub fn next_packet(&mut self) -> Option<Result<Packet<'_>, Error>> {
        if self.done {
            return None;
        }
        loop {
            // Walk one record of what is buffered.
            let walker = std::mem::replace(&mut self.walker, Walker::Erf);
            let mut it = Packets::new(
                &self.path,
                &self.buf[..self.hi],
                self.lo,
                self.hi,
                walker,
                None,
            )
            .in_buffer(self.frame, self.loss);
            let step = it.next();
            let (pos, frame, loss) = (it.offset(), it.frames(), it.lost());
            self.walker = std::mem::replace(&mut it.walker, Walker::Erf);
            let step = match step {
                Some(Ok(p)) => {
                    // Note where the packet lies, let go of the walk's
                    // borrow, and lend it again from the buffer.
                    let at = p.data.as_ptr() as usize - self.buf.as_ptr() as usize;
                    Ok((
                        p.frame,
                        p.ts_ns,
                        p.caplen,
                        p.origlen,
                        p.linktype,
                        at,
                        p.data.len(),
                    ))
                }
                Some(Err(e)) => Err(Some(e)),
                None => Err(None),
            };
            match step {
                Ok((frame_no, ts_ns, caplen, origlen, linktype, at, n)) => {
                    self.lo = pos as usize;
                    self.frame = frame;
                    self.loss = loss;
                    return Some(Ok(Packet {
                        frame: frame_no,
                        ts_ns,
                        caplen,
                        origlen,
                        linktype,
                        data: &self.buf[at..at + n],
                    }));
                }
                Err(Some(e)) => {
                    if matches!(e, Error::Truncated { .. }) && !self.eof {
                        if let Err(e) = self.refill(&e) {
                            self.done = true;
                            return Some(Err(e));
                        }
                        continue;
                    }
                    self.done = true;
                    return Some(Err(self.finish_error(e)));
                }
                Err(None) => {
                    // Everything buffered was consumed (pcapng/ERF blocks
                    // without packets move the cursor too).
                    self.lo = pos as usize;
                    self.frame = frame;
                    self.loss = loss;
                    if self.eof {
                        self.done = true;
                        let (offset, frame) = (self.offset(), self.frame + 1);
                        let gz = self.gz.is_some();
                        return self
                            .read_error
                            .take()
                            .map(|e| Err(read_failed(&self.path, gz, e, offset, frame)));
                    }
                    if let Err(e) = self.refill_for(1) {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            }
        }
    }

    /// Turns a walk error into the stream's: offsets from the stream's
    /// start, and a record cut by the end of the stream is `StreamEnded`
    /// (or the read error that ended it).
    fn finish_error(&mut self, e: Error) -> Error {
        let e = e.shift_offset(self.base);
        match e {
            Error::Truncated {
                path,
                offset,
                frame,
                what,
                needed,
                available,
            } => {
                if let Some(r) = self.read_error.take() {
                    return read_failed(&path, self.gz.is_some(), r, offset, frame);
                }
                Error::StreamEnded {
                    path,
                    offset,
                    frame,
                    what,
                    needed,
                    available,
                }
            }
            e => e,
        }
    }

    /// Reads more after a walk stopped at a record cut by the buffer's end.
    fn refill(&mut self, e: &Error) -> Result<(), Error> {
        let need = match e {
            Error::Truncated { needed, .. } => *needed as usize,
            _ => 1,
        };
        self.refill_for(need)
    }

    /// Makes room for a record of `need` bytes at `lo` and reads at least
    /// one more byte (or sees the end).
    fn refill_for(&mut self, need: usize) -> Result<(), Error> {
        // Move the unconsumed tail to the front.
        if self.lo > 0 {
            self.buf.copy_within(self.lo..self.hi, 0);
            self.base += self.lo as u64;
            self.hi -= self.lo;
            self.lo = 0;
        }
        let want = need
            .max(self.hi + 1)
            .max(STREAM_BUFFER.min(self.buf.capacity()));
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        let cap = self.buf.len();
        loop {
            match self.reader.read(&mut self.buf[self.hi..cap]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.hi += n;
                    return self.check_ratio();
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.eof = true;
                    self.read_error = Some(e);
                    return Ok(());
                }
            }
        }
    }

    fn check_ratio(&self) -> Result<(), Error> {
        if let Some((count, limits)) = &self.gz {
            let gz_len = count.load(std::sync::atomic::Ordering::Relaxed);
            let max = limits.max_output(gz_len);
            let out = self.base + self.hi as u64;
            if out > max {
                return Err(GunzipLimits::exceeded(&self.path, max, gz_len));
            }
        }
        Ok(())
    }
}

/// The error for a read that failed at `offset` of the stream.
fn read_failed(path: &Path, gz: bool, e: io::Error, offset: u64, frame: u64) -> Error {
    if gz {
        Error::Gzip {
            path: path.to_path_buf(),
            offset,
            frame,
            reason: e.to_string(),
        }
    } else {
        Error::Io {
            path: path.to_path_buf(),
            source: e,
        }
    }
}

impl Input {
    /// The packets in order, whichever way the input is read: one loop for
    /// tools that look at each packet once (each [`Packet`] lives until the
    /// next call).
    pub fn walk(&mut self) -> Walk<'_> {
        match self {
            Input::Mapped(c) => Walk::Mapped(c.packets()),
            Input::Stream(s) => Walk::Stream(s),
        }
    }

    /// The detected format.
    pub fn format(&self) -> Format {
        match self {
            Input::Mapped(c) => c.format(),
            Input::Stream(s) => s.format(),
        }
    }

    /// Whether the data was gzip-compressed.
    pub fn gzipped(&self) -> bool {
        match self {
            Input::Mapped(c) => c.gzipped(),
            Input::Stream(s) => s.gzipped(),
        }
    }

    /// The size in bytes when known in advance (mapped files).
    pub fn len_hint(&self) -> Option<u64> {
        match self {
            Input::Mapped(c) => Some(c.bytes().len() as u64),
            Input::Stream(_) => None,
        }
    }
}

/// A walk over an [`Input`]'s packets: [`Packets`] for a mapped file, the
/// [`Stream`] itself for a stream.
#[derive(Debug)]
pub enum Walk<'a> {
    /// The mapped file's walk.
    Mapped(Packets<'a>),
    /// The stream.
    Stream(&'a mut Stream),
}

impl Walk<'_> {
    /// The next packet (lent until the next call); `Err` once, then `None`.
    #[inline]
    pub fn next_packet(&mut self) -> Option<Result<Packet<'_>, Error>> {
        match self {
            Walk::Mapped(p) => p.next(),
            Walk::Stream(s) => s.next_packet(),
        }
    }

    /// Byte offset of the next record.
    pub fn offset(&self) -> u64 {
        match self {
            Walk::Mapped(p) => p.offset(),
            Walk::Stream(s) => s.offset(),
        }
    }

    /// Packets the capture device reported lost so far.
    pub fn lost(&self) -> u64 {
        match self {
            Walk::Mapped(p) => p.lost(),
            Walk::Stream(s) => s.lost(),
        }
    }
}
