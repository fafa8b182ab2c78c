//! The one capture writer of the fixtures: Ethernet frames into a classic
//! pcap or a one-interface pcapng stream, through `pcap_core::writer`,
//! numbered as Wireshark numbers them.

use std::io::{self, Write};

use pcap_core::writer::{PcapOptions, PcapWriter, PcapngWriter, TsResolution};
use pcap_core::{Endian, LinkType};

/// Output container of a synthetic capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    /// Classic libpcap, little endian, Ethernet.
    Pcap,
    /// pcapng: one little-endian section, one Ethernet interface, Enhanced
    /// Packet Blocks.
    Pcapng,
}

enum Inner<W: Write> {
    Pcap(PcapWriter<W>),
    Pcapng(PcapngWriter<W>),
}

/// Writes Ethernet frames into a pcap or pcapng stream and numbers them.
pub struct CaptureWriter<W: Write> {
    inner: Inner<W>,
    frames: u64,
    next_ts_ns: i64,
    step_ns: i64,
}

impl<W: Write> std::fmt::Debug for CaptureWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureWriter")
            .field("frames", &self.frames)
            .field("next_ts_ns", &self.next_ts_ns)
            .finish_non_exhaustive()
    }
}

impl<W: Write> CaptureWriter<W> {
    /// Writes the file header (and the interface, for pcapng): snapshot
    /// length `snaplen`, nanosecond timestamps when `nanos` (microseconds
    /// otherwise). [`CaptureWriter::frame`] stamps frames from `t0_ns`
    /// on, `step_ns` apart.
    pub fn new(
        out: W,
        container: Container,
        snaplen: u32,
        nanos: bool,
        t0_ns: i64,
        step_ns: i64,
    ) -> io::Result<CaptureWriter<W>> {
        let inner = match container {
            Container::Pcap => {
                let mut o = PcapOptions::new(LinkType::ETHERNET);
                o.snaplen = snaplen;
                o.nanos = nanos;
                Inner::Pcap(PcapWriter::new(out, o)?)
            }
            Container::Pcapng => {
                let mut w = PcapngWriter::new(out, Endian::Little)?;
                let res = TsResolution::Decimal(if nanos { 9 } else { 6 });
                w.add_interface(LinkType::ETHERNET, snaplen, res)?;
                Inner::Pcapng(w)
            }
        };
        Ok(CaptureWriter {
            inner,
            frames: 0,
            next_ts_ns: t0_ns,
            step_ns,
        })
    }

    /// Frames written so far (the next frame's number minus one).
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Timestamp of the next [`CaptureWriter::frame`] in ns since the epoch.
    pub fn next_ts_ns(&self) -> i64 {
        self.next_ts_ns
    }

    /// Writes one frame at the next timestamp; returns its 1-based frame number.
    pub fn frame(&mut self, data: &[u8]) -> io::Result<u64> {
        let ts = self.next_ts_ns;
        self.next_ts_ns += self.step_ns;
        self.frame_at(ts, data)
    }

    /// Writes one frame at `ts_ns`; returns its 1-based frame number.
    pub fn frame_at(&mut self, ts_ns: i64, data: &[u8]) -> io::Result<u64> {
        let len = data.len() as u32;
        match &mut self.inner {
            Inner::Pcap(w) => w.write_packet(ts_ns, len, data)?,
            Inner::Pcapng(w) => w.write_packet(0, ts_ns, len, data)?,
        }
        self.frames += 1;
        Ok(self.frames)
    }

    /// Flushes and returns the inner writer.
    pub fn finish(self) -> io::Result<W> {
        match self.inner {
            Inner::Pcap(w) => w.into_inner(),
            Inner::Pcapng(w) => w.into_inner(),
        }
    }
}
