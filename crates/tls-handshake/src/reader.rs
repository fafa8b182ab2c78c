//! The cursor the hello parsers read with: bounds-checked, big-endian,
//! every shortfall a [`ParseError::Truncated`] naming the field and its
//! offset in the caller's slice.

use crate::error::ParseError;

/// A bounds-checked big-endian reader over a byte slice.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf[0]` in the caller's slice, for error messages.
    base: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], base: usize) -> Self {
        Reader { buf, pos: 0, base }
    }
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }
    pub(crate) fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ParseError> {
        if self.remaining() < n {
            return Err(ParseError::Truncated {
                what,
                offset: self.offset(),
                need: n - self.remaining(),
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, ParseError> {
        Ok(self.bytes(1, what)?[0])
    }
    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, ParseError> {
        let b = self.bytes(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    /// A 24-bit length.
    pub(crate) fn u24(&mut self, what: &'static str) -> Result<usize, ParseError> {
        let b = self.bytes(3, what)?;
        Ok((usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2]))
    }
    /// A vector with a one-byte length prefix.
    pub(crate) fn vec8(&mut self, what: &'static str) -> Result<&'a [u8], ParseError> {
        let n = usize::from(self.u8(what)?);
        self.bytes(n, what)
    }
    /// A vector with a two-byte length prefix.
    pub(crate) fn vec16(&mut self, what: &'static str) -> Result<&'a [u8], ParseError> {
        let n = usize::from(self.u16(what)?);
        self.bytes(n, what)
    }
}
