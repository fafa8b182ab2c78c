//! The frames of an Initial packet's payload and the reassembly of the
//! CRYPTO stream.

use std::collections::BTreeMap;

use super::Error;

/// Reads a QUIC variable-length integer (RFC 9000, 16): the value and the
/// bytes it took, or `None` when `b` is too short.
#[inline]
pub fn read_varint(b: &[u8]) -> Option<(u64, usize)> {
    let first = *b.first()?;
    let n = 1usize << (first >> 6);
    let bytes = b.get(..n)?;
    let mut v = u64::from(first & 0x3f);
    for &x in &bytes[1..] {
        v = (v << 8) | u64::from(x);
    }
    Some((v, n))
}

/// A frame an Initial packet may carry (RFC 9000, 12.4: PADDING, PING,
/// ACK, CRYPTO, CONNECTION_CLOSE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// One or more PADDING bytes (a run counts as one frame).
    Padding(usize),
    /// PING.
    Ping,
    /// ACK (with or without ECN counts): the largest acknowledged.
    Ack {
        /// Largest Acknowledged.
        largest: u64,
    },
    /// CRYPTO: `data` at `offset` of the handshake stream.
    Crypto {
        /// Offset in the CRYPTO stream.
        offset: u64,
        /// The stream bytes.
        data: &'a [u8],
    },
    /// CONNECTION_CLOSE (type 0x1c or 0x1d).
    ConnectionClose {
        /// The error code.
        error_code: u64,
        /// The reason phrase.
        reason: &'a [u8],
    },
}

/// Iterator over the frames of a decrypted payload; yields an error (and
/// then stops) on a truncated frame or a frame type not allowed in an
/// Initial packet.
#[derive(Clone, Debug)]
pub struct Frames<'a> {
    buf: &'a [u8],
    pos: usize,
    failed: bool,
}

/// The frames of a decrypted Initial payload.
pub fn frames(payload: &[u8]) -> Frames<'_> {
    Frames {
        buf: payload,
        pos: 0,
        failed: false,
    }
}

impl<'a> Frames<'a> {
    fn varint(&mut self, what: &'static str) -> Result<u64, Error> {
        let rest = self.buf.get(self.pos..).unwrap_or(&[]);
        let (v, n) = read_varint(rest).ok_or(Error::Truncated {
            what,
            offset: self.pos,
        })?;
        self.pos += n;
        Ok(v)
    }

    fn bytes(&mut self, n: u64, what: &'static str) -> Result<&'a [u8], Error> {
        let err = Error::Truncated {
            what,
            offset: self.pos,
        };
        let n = usize::try_from(n).map_err(|_| err.clone())?;
        let end = self.pos.checked_add(n).ok_or(err.clone())?;
        let s = self.buf.get(self.pos..end).ok_or(err)?;
        self.pos = end;
        Ok(s)
    }

    fn frame(&mut self) -> Result<Frame<'a>, Error> {
        let at = self.pos;
        let ty = self.varint("frame type")?;
        Ok(match ty {
            0x00 => {
                let run = self.buf[self.pos..].iter().take_while(|&&b| b == 0).count();
                self.pos += run;
                Frame::Padding(run + 1)
            }
            0x01 => Frame::Ping,
            0x02 | 0x03 => {
                let largest = self.varint("ACK largest acknowledged")?;
                self.varint("ACK delay")?;
                let ranges = self.varint("ACK range count")?;
                self.varint("ACK first range")?;
                for _ in 0..ranges {
                    // Each range is two varints of at least one byte: a
                    // count larger than the bytes left fails here quickly.
                    self.varint("ACK gap")?;
                    self.varint("ACK range length")?;
                }
                if ty == 0x03 {
                    for _ in 0..3 {
                        self.varint("ACK ECN count")?;
                    }
                }
                Frame::Ack { largest }
            }
            0x06 => {
                let offset = self.varint("CRYPTO offset")?;
                let len = self.varint("CRYPTO length")?;
                let data = self.bytes(len, "CRYPTO data")?;
                if offset.checked_add(len).is_none_or(|e| e >= 1 << 62) {
                    return Err(Error::Invalid {
                        what: "CRYPTO offset",
                        offset: at,
                    });
                }
                Frame::Crypto { offset, data }
            }
            0x1c | 0x1d => {
                let error_code = self.varint("CONNECTION_CLOSE error code")?;
                if ty == 0x1c {
                    self.varint("CONNECTION_CLOSE frame type")?;
                }
                let n = self.varint("CONNECTION_CLOSE reason length")?;
                let reason = self.bytes(n, "CONNECTION_CLOSE reason")?;
                Frame::ConnectionClose { error_code, reason }
            }
            _ => {
                return Err(Error::Invalid {
                    what: "frame type in an Initial packet",
                    offset: at,
                });
            }
        })
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<Frame<'a>, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.buf.len() {
            return None;
        }
        let r = self.frame();
        self.failed = r.is_err();
        Some(r)
    }
}

/// One direction's CRYPTO stream, reassembled by offset from frames that
/// arrive in any order, repeated or overlapping, up to a byte cap.
#[derive(Clone, Debug, Default)]
pub struct CryptoStream {
    /// The contiguous bytes from offset 0.
    data: Vec<u8>,
    /// Frames beyond a gap: offset -> bytes.
    pending: BTreeMap<u64, Vec<u8>>,
    pending_bytes: usize,
    /// Set when a frame reached beyond the cap.
    overflow: bool,
}

impl CryptoStream {
    /// An empty stream.
    pub fn new() -> Self {
        CryptoStream::default()
    }

    /// The bytes received contiguously from offset 0.
    pub fn contiguous(&self) -> &[u8] {
        &self.data
    }

    /// True when some data was refused because it lay beyond the cap.
    pub fn overflowed(&self) -> bool {
        self.overflow
    }

    /// Bytes held (contiguous and pending).
    pub fn held(&self) -> usize {
        self.data.len() + self.pending_bytes
    }

    /// Adds the frame `data` at `offset`. Bytes at or beyond `cap` are
    /// dropped (and [`overflowed`](Self::overflowed) set); bytes already
    /// held are kept as first received. Returns true when the contiguous
    /// prefix grew.
    pub fn insert(&mut self, offset: u64, data: &[u8], cap: usize) -> bool {
        let cap = cap as u64;
        let end = offset.saturating_add(data.len() as u64);
        let data = if end > cap {
            self.overflow = true;
            if offset >= cap {
                return false;
            }
            &data[..(cap - offset) as usize]
        } else {
            data
        };
        let end = offset + data.len() as u64;
        let have = self.data.len() as u64;
        if end <= have || data.is_empty() {
            return false;
        }
        if offset > have {
            // Beyond a gap: keep it (the longer one if the offset repeats).
            let e = self.pending.entry(offset).or_default();
            if e.len() < data.len() {
                self.pending_bytes += data.len() - e.len();
                *e = data.to_vec();
            }
            return false;
        }
        self.data
            .extend_from_slice(&data[(have - offset) as usize..]);
        // Pull in pending frames the prefix now reaches.
        while let Some((&off, _)) = self.pending.first_key_value() {
            let have = self.data.len() as u64;
            if off > have {
                break;
            }
            let Some((_, bytes)) = self.pending.pop_first() else {
                break;
            };
            self.pending_bytes -= bytes.len();
            let end = off + bytes.len() as u64;
            if end > have {
                self.data.extend_from_slice(&bytes[(have - off) as usize..]);
            }
        }
        true
    }

    /// Frees the buffers (the stream keeps saying it is done through the
    /// caller's state).
    pub fn release(&mut self) {
        self.data = Vec::new();
        self.pending = BTreeMap::new();
        self.pending_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_of_rfc9000_appendix_a1() {
        assert_eq!(
            read_varint(&[0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c]),
            Some((151_288_809_941_952_652, 8))
        );
        assert_eq!(
            read_varint(&[0x9d, 0x7f, 0x3e, 0x7d]),
            Some((494_878_333, 4))
        );
        assert_eq!(read_varint(&[0x7b, 0xbd]), Some((15_293, 2)));
        assert_eq!(read_varint(&[0x25]), Some((37, 1)));
        assert_eq!(read_varint(&[0x40, 0x25]), Some((37, 2)));
        assert_eq!(read_varint(&[0x7b]), None);
        assert_eq!(read_varint(&[]), None);
    }

    #[test]
    fn crypto_stream_reassembles_out_of_order_and_repeated() {
        let msg: Vec<u8> = (0..100u8).collect();
        let mut s = CryptoStream::new();
        assert!(!s.insert(60, &msg[60..], 1000));
        assert!(!s.insert(30, &msg[30..50], 1000));
        assert!(!s.insert(30, &msg[30..45], 1000)); // shorter repeat
        assert!(s.insert(0, &msg[..35], 1000));
        assert_eq!(s.contiguous(), &msg[..50]);
        assert!(s.insert(45, &msg[45..70], 1000));
        assert_eq!(s.contiguous(), &msg[..]);
        assert!(!s.insert(0, &msg[..10], 1000)); // retransmission
        assert_eq!(s.held(), 100);
    }

    #[test]
    fn crypto_stream_caps_bytes() {
        let mut s = CryptoStream::new();
        s.insert(0, &[1; 10], 8);
        assert_eq!(s.contiguous(), &[1; 8]);
        assert!(s.overflowed());
        s.insert(u64::MAX - 1, &[1; 10], 8);
        assert_eq!(s.held(), 8);
    }

    #[test]
    fn frames_of_an_initial() {
        // PADDING x3, PING, ACK(largest 5, delay 0, 1 range), CRYPTO(2, "ab"),
        // ACK_ECN, CONNECTION_CLOSE(0x0a, type 6, "x")
        let p = [
            0, 0, 0, 1, 2, 5, 0, 1, 0, 0, 0, 6, 2, 2, b'a', b'b', 3, 1, 0, 0, 0, 0, 0, 0, 0x1c,
            0x0a, 6, 1, b'x',
        ];
        let f: Vec<_> = frames(&p).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            f,
            vec![
                Frame::Padding(3),
                Frame::Ping,
                Frame::Ack { largest: 5 },
                Frame::Crypto {
                    offset: 2,
                    data: b"ab"
                },
                Frame::Ack { largest: 1 },
                Frame::ConnectionClose {
                    error_code: 0x0a,
                    reason: b"x"
                },
            ]
        );
        // STREAM is not allowed in an Initial; a cut CRYPTO frame is an error.
        assert!(frames(&[0x08, 0]).next().unwrap().is_err());
        let mut it = frames(&[1, 6, 0, 5, b'a']);
        assert_eq!(it.next(), Some(Ok(Frame::Ping)));
        assert!(it.next().unwrap().is_err());
        assert_eq!(it.next(), None);
    }
}
