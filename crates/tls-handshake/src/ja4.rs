//! JA4 TLS client fingerprint (FoxIO JA4 specification, `technical_details/JA4.md`)
//! and JA4S, the ServerHello fingerprint (`technical_details/JA4S.md`).
//!
//! `t13d1516h2_8daaf6152771_e5627efa2ab1` = protocol `t` (TLS over TCP),
//! version, `d`/`i` (SNI present or not), cipher count, extension count,
//! first+last character of the first ALPN value, then the truncated SHA-256
//! of the sorted cipher list and of the sorted extension list (without SNI and
//! ALPN) followed by the signature algorithms in wire order. GREASE values are
//! ignored everywhere.

use sha2::{Digest, Sha256};

use crate::hello::{ClientHello, ServerHello, ext, non_grease};
use crate::version::Version;

/// The transport a hello travelled over: the first character of JA4 and
/// JA4S (`t` TLS over TCP, `q` QUIC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Transport {
    /// TLS over TCP.
    #[default]
    Tcp,
    /// QUIC (the hellos in CRYPTO frames of Initial packets).
    Quic,
}

impl Transport {
    /// `tcp` or `quic`, as in the `transport` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Quic => "quic",
        }
    }

    /// The JA4/JA4S protocol character: `t` or `q`.
    pub fn ja4_char(self) -> char {
        match self {
            Transport::Tcp => 't',
            Transport::Quic => 'q',
        }
    }
}

/// The JA4 fingerprint of a ClientHello sent over TCP.
pub fn ja4(hello: &ClientHello<'_>) -> String {
    ja4_over(hello, Transport::Tcp)
}

/// The JA4 fingerprint of a ClientHello sent over `transport` (`q...` for
/// QUIC).
///
/// Built in one string of its final size: the lists are hashed as they are
/// written in hex, with no intermediate strings (one runs per connection).
pub fn ja4_over(hello: &ClientHello<'_>, transport: Transport) -> String {
    let p = Parts::of(hello, transport);
    let mut out = String::with_capacity(36);
    p.push_a(&mut out);
    out.push('_');
    push_hash12(&mut out, &[&p.ciphers]);
    out.push('_');
    if p.exts.is_empty() {
        out.push_str(ZERO_HASH);
    } else if p.sigs.is_empty() {
        push_hash12(&mut out, &[&p.exts]);
    } else {
        push_hash12(&mut out, &[&p.exts, &p.sigs]);
    }
    out
}

/// The raw (unhashed, sorted) JA4 string, `JA4_r` in the specification.
pub fn ja4_raw(hello: &ClientHello<'_>) -> String {
    let p = Parts::of(hello, Transport::Tcp);
    let mut out = String::new();
    p.push_a(&mut out);
    out.push('_');
    out.push_str(&hex_list(p.ciphers.iter().copied()));
    out.push('_');
    out.push_str(&hex_list(p.exts.iter().copied()));
    if !p.sigs.is_empty() {
        out.push('_');
        out.push_str(&hex_list(p.sigs.iter().copied()));
    }
    out
}

/// The hash part of an empty list.
const ZERO_HASH: &str = "000000000000";

#[cfg(test)]
fn hash12(list: &str) -> String {
    if list.is_empty() {
        ZERO_HASH.to_owned()
    } else {
        truncated_sha256(list)
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
fn truncated_sha256(s: &str) -> String {
    let mut out = String::new();
    push_digest12(&mut out, Sha256::digest(s.as_bytes()).as_slice());
    out
}

/// The first 6 bytes of a digest as 12 lower-case hex digits.
fn push_digest12(out: &mut String, digest: &[u8]) {
    for &b in &digest[..6] {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
}

/// `x` as 4 lower-case hex digits.
fn hex4(x: u16) -> [u8; 4] {
    [12u16, 8, 4, 0].map(|shift| HEX[usize::from((x >> shift) & 0x0f)])
}

/// Pushes the truncated SHA-256 of the lists written as [`hex_list`]s
/// joined by `_` (`000000000000` when they are all empty), hashing from a
/// stack buffer.
fn push_hash12(out: &mut String, lists: &[&[u16]]) {
    if lists.iter().all(|l| l.is_empty()) {
        out.push_str(ZERO_HASH);
        return;
    }
    let mut h = Sha256::new();
    let mut buf = [0u8; 160];
    let mut n = 0;
    for (i, list) in lists.iter().enumerate() {
        for (j, &x) in list.iter().enumerate() {
            if n + 5 > buf.len() {
                h.update(&buf[..n]);
                n = 0;
            }
            if i > 0 && j == 0 {
                buf[n] = b'_';
                n += 1;
            } else if j > 0 {
                buf[n] = b',';
                n += 1;
            }
            buf[n..n + 4].copy_from_slice(&hex4(x));
            n += 4;
        }
    }
    h.update(&buf[..n]);
    push_digest12(out, h.finalize().as_slice());
}

/// `0a0a,1301,...`: 4 lower-case hex digits per value, comma separated.
fn hex_list(v: impl Iterator<Item = u16>) -> String {
    let mut s = String::with_capacity(5 * 24);
    for (i, x) in v.enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.extend(hex4(x).map(char::from));
    }
    s
}

/// What JA4 is made of: `JA4_a`'s fields, the sorted cipher list, the
/// sorted extension list (without SNI and ALPN) and the signature
/// algorithms in wire order, GREASE removed.
struct Parts {
    transport: Transport,
    version: Version,
    sni: bool,
    n_ciphers: usize,
    n_exts: usize,
    alpn: [char; 2],
    ciphers: List16,
    exts: List16,
    sigs: List16,
}

/// A list of `u16` held on the stack up to [`List16::INLINE`] values (every
/// hello seen in practice: browsers offer 15-20 ciphers and extensions),
/// on the heap past that. JA4 is computed once per connection and its
/// three lists were three vectors, grown as they were collected: ~6
/// allocations per connection.
struct List16 {
    inline: [u16; List16::INLINE],
    len: usize,
    /// Every value, once there were more than `INLINE` of them.
    heap: Vec<u16>,
}

impl List16 {
    const INLINE: usize = 64;

    fn collect(it: impl Iterator<Item = u16>) -> List16 {
        let mut l = List16 {
            inline: [0; List16::INLINE],
            len: 0,
            heap: Vec::new(),
        };
        for x in it {
            if l.len < Self::INLINE {
                l.inline[l.len] = x;
            } else {
                if l.len == Self::INLINE {
                    l.heap.extend_from_slice(&l.inline);
                }
                l.heap.push(x);
            }
            l.len += 1;
        }
        l
    }

    fn as_slice(&self) -> &[u16] {
        if self.len <= Self::INLINE {
            &self.inline[..self.len]
        } else {
            &self.heap
        }
    }

    fn as_mut_slice(&mut self) -> &mut [u16] {
        if self.len <= Self::INLINE {
            &mut self.inline[..self.len]
        } else {
            &mut self.heap
        }
    }

    /// Keeps the values `keep` is true for, in order.
    fn retain(&mut self, keep: impl Fn(u16) -> bool) {
        let s = self.as_mut_slice();
        let mut n = 0;
        for i in 0..s.len() {
            if keep(s[i]) {
                s[n] = s[i];
                n += 1;
            }
        }
        if self.len > Self::INLINE {
            self.heap.truncate(n);
            if n <= Self::INLINE {
                self.inline[..n].copy_from_slice(&self.heap);
                self.heap = Vec::new();
            }
        }
        self.len = n;
    }
}

impl std::ops::Deref for List16 {
    type Target = [u16];
    fn deref(&self) -> &[u16] {
        self.as_slice()
    }
}

impl Parts {
    fn of(hello: &ClientHello<'_>, transport: Transport) -> Parts {
        let version = match hello.supported_versions() {
            Some(it) => it
                .filter(|v| !v.is_grease())
                .max_by_key(|v| v.0)
                .unwrap_or(hello.legacy_version),
            None => hello.legacy_version,
        };
        let version = if hello.sslv2 && hello.legacy_version == Version::SSL2 {
            Version::SSL2
        } else {
            version
        };
        let mut ciphers = List16::collect(non_grease(hello.cipher_suites()));
        let mut exts = List16::collect(non_grease(hello.extensions().map(|(t, _)| t)));
        let (n_ciphers, n_exts) = (ciphers.len(), exts.len());
        let sni = exts.contains(&ext::SERVER_NAME);
        ciphers.as_mut_slice().sort_unstable();
        exts.retain(|t| t != ext::SERVER_NAME && t != ext::ALPN);
        exts.as_mut_slice().sort_unstable();
        Parts {
            transport,
            version,
            sni,
            n_ciphers,
            n_exts,
            alpn: alpn_chars(hello.alpn().next()),
            ciphers,
            exts,
            sigs: List16::collect(non_grease(hello.signature_algorithms())),
        }
    }

    /// `JA4_a`: `t13d1516h2`.
    fn push_a(&self, out: &mut String) {
        out.push(self.transport.ja4_char());
        out.push_str(self.version.ja4_code());
        out.push(if self.sni { 'd' } else { 'i' });
        push_count(out, self.n_ciphers);
        push_count(out, self.n_exts);
        out.extend(self.alpn);
    }
}

/// A count as two decimal digits, capped at 99.
fn push_count(out: &mut String, n: usize) {
    let n = n.min(99) as u8;
    out.push(char::from(b'0' + n / 10));
    out.push(char::from(b'0' + n % 10));
}

/// The JA4S fingerprint of a ServerHello sent over `transport`:
/// `t120400_c030_4e8089b08790` = protocol, version (`supported_versions`
/// when present, else `legacy_version`), number of extensions, first and
/// last character of the ALPN the server chose (`00` when the ServerHello
/// has no ALPN extension, as in every TLS 1.3 and QUIC handshake, where the
/// choice travels in the encrypted EncryptedExtensions), the chosen cipher
/// in hex, and the truncated SHA-256 of the extensions in wire order.
///
/// Two points the JA4S definition leaves open are settled like JA4: the
/// ALPN characters follow JA4's rule (hex digits for a non-alphanumeric
/// value), and a ServerHello without extensions (SSL 3.0, many TLS 1.0
/// servers) hashes to `000000000000`. GREASE values are not removed: a
/// server may not send them in a ServerHello (RFC 8701, 3), so the
/// definition's "extensions in the order they appear" is taken literally.
pub fn ja4s(hello: &ServerHello<'_>, transport: Transport) -> String {
    let mut out = String::with_capacity(25);
    let exts = ja4s_a(&mut out, hello, transport);
    push_hash12(&mut out, &[&exts]);
    out
}

/// The raw JA4S (`JA4S_r`): the extension list unhashed.
pub fn ja4s_raw(hello: &ServerHello<'_>, transport: Transport) -> String {
    let mut out = String::new();
    let exts = ja4s_a(&mut out, hello, transport);
    out.push_str(&hex_list(exts.iter().copied()));
    out
}

/// Pushes `JA4S_a` and the cipher (`t120400_c030_`); returns the
/// extension types in wire order.
fn ja4s_a(out: &mut String, hello: &ServerHello<'_>, transport: Transport) -> List16 {
    let exts = List16::collect(hello.extensions().map(|(t, _)| t));
    let alpn = hello
        .extensions()
        .find(|&(t, _)| t == ext::ALPN)
        .and_then(|(_, d)| {
            // protocol_name_list (2-byte length) holding one vec8 name
            let list = d.get(2..)?;
            let n = usize::from(*list.first()?);
            list.get(1..1 + n)
        });
    out.push(transport.ja4_char());
    out.push_str(hello.version().ja4_code());
    push_count(out, exts.len());
    out.extend(alpn_chars(alpn));
    out.push('_');
    out.extend(hex4(hello.cipher_suite).map(char::from));
    out.push('_');
    exts
}

/// JA4's ALPN characters: first and last character of the first value, or
/// hex digits when either is not alphanumeric; `00` when there is none.
fn alpn_chars(first: Option<&[u8]>) -> [char; 2] {
    let Some(v) = first.filter(|v| !v.is_empty()) else {
        return ['0', '0'];
    };
    let (f, l) = (v[0], v[v.len() - 1]);
    if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() {
        [char::from(f), char::from(l)]
    } else {
        // First hex digit of the first byte and last hex digit of the last.
        [
            char::from(HEX[usize::from(f >> 4)]),
            char::from(HEX[usize::from(l & 0x0f)]),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list16_keeps_what_a_vector_keeps_on_either_side_of_its_inline_size() {
        for n in [0usize, 1, 63, 64, 65, 66, 129, 300] {
            let values: Vec<u16> = (0..n).map(|i| (i * 40_503 % 65_521) as u16).collect();
            let mut l = List16::collect(values.iter().copied());
            assert_eq!(l.as_slice(), &values[..], "n = {n}");
            // Dropping every third value takes lists past 64 back under it.
            let keep = |x: u16| !x.is_multiple_of(3);
            let mut v = values.clone();
            v.retain(|&x| keep(x));
            l.retain(keep);
            assert_eq!(l.as_slice(), &v[..], "n = {n}, retained");
            l.as_mut_slice().sort_unstable();
            v.sort_unstable();
            assert_eq!(&*l, &v[..], "n = {n}, sorted");
        }
    }

    #[test]
    fn alpn_rules_match_the_specification_examples() {
        assert_eq!(String::from_iter(alpn_chars(None)), "00");
        assert_eq!(String::from_iter(alpn_chars(Some(b""))), "00");
        assert_eq!(String::from_iter(alpn_chars(Some(b"h2"))), "h2");
        assert_eq!(String::from_iter(alpn_chars(Some(b"http/1.1"))), "h1");
        assert_eq!(String::from_iter(alpn_chars(Some(b"x"))), "xx");
        // The non-alphanumeric examples listed in JA4.md.
        assert_eq!(String::from_iter(alpn_chars(Some(&[0xab]))), "ab");
        assert_eq!(String::from_iter(alpn_chars(Some(&[0xab, 0xcd]))), "ad");
        assert_eq!(String::from_iter(alpn_chars(Some(&[0x30, 0xab]))), "3b");
        assert_eq!(
            String::from_iter(alpn_chars(Some(&[0x30, 0x31, 0xab, 0xcd]))),
            "3d"
        );
        assert_eq!(
            String::from_iter(alpn_chars(Some(&[0x30, 0xab, 0xcd, 0x31]))),
            "01"
        );
    }

    #[test]
    fn hashes_match_the_specification_worked_example() {
        assert_eq!(
            hash12("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9"),
            "8daaf6152771"
        );
        assert_eq!(
            truncated_sha256(
                "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"
            ),
            "e5627efa2ab1"
        );
        assert_eq!(
            truncated_sha256(
                "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01"
            ),
            "6d807ffa2a79"
        );
        assert_eq!(hash12(""), "000000000000");
    }

    #[test]
    fn ja4s_matches_the_specification_example() {
        // JA4S.md: a TLS 1.2 ServerHello choosing c030 with the extensions
        // 0005,0017,ff01,0000 and no ALPN is t120400_c030_4e8089b08790.
        let mut body = vec![0x03, 0x03];
        body.extend_from_slice(&[0x11; 32]);
        body.push(0); // session id
        body.extend_from_slice(&[0xc0, 0x30, 0x00]);
        let exts: &[u8] = &[
            0x00, 0x05, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0xff, 0x01, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00,
        ];
        body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        body.extend_from_slice(exts);
        let sh = ServerHello::parse(&body).unwrap();
        assert_eq!(ja4s(&sh, Transport::Tcp), "t120400_c030_4e8089b08790");
        assert_eq!(
            ja4s_raw(&sh, Transport::Tcp),
            "t120400_c030_0005,0017,ff01,0000"
        );
        assert_eq!(ja4s(&sh, Transport::Quic), "q120400_c030_4e8089b08790");
    }

    #[test]
    fn ja4s_takes_the_chosen_alpn_and_the_selected_version() {
        let mut body = vec![0x03, 0x03];
        body.extend_from_slice(&[0x22; 32]);
        body.push(0);
        body.extend_from_slice(&[0x13, 0x01, 0x00]);
        // supported_versions 0304, ALPN "h2"
        let exts: &[u8] = &[
            0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, b'h',
            b'2',
        ];
        body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        body.extend_from_slice(exts);
        let sh = ServerHello::parse(&body).unwrap();
        assert!(ja4s(&sh, Transport::Tcp).starts_with("t1302h2_1301_"));
        // No extensions at all: count 00 and the empty hash.
        let mut bare = vec![0x03, 0x01];
        bare.extend_from_slice(&[0x33; 32]);
        bare.extend_from_slice(&[0, 0x00, 0x2f, 0x00]);
        let sh = ServerHello::parse(&bare).unwrap();
        assert_eq!(ja4s(&sh, Transport::Tcp), "t100000_002f_000000000000");
    }

    /// The streamed hash equals the hash of the joined hex text, also when
    /// the lists overflow the stack buffer (more than 31 values).
    #[test]
    fn streamed_hash_matches_the_hex_text() {
        for (n, m) in [
            (0, 0),
            (1, 0),
            (0, 3),
            (5, 7),
            (31, 0),
            (32, 1),
            (33, 40),
            (200, 90),
        ] {
            let a: Vec<u16> = (0..n).map(|i| (i * 7919 + 3) as u16).collect();
            let b: Vec<u16> = (0..m).map(|i| (i * 104_729 + 11) as u16).collect();
            let mut text = hex_list(a.iter().copied());
            if !b.is_empty() {
                text.push('_');
                text.push_str(&hex_list(b.iter().copied()));
            }
            let mut got = String::new();
            push_hash12(&mut got, &[&a, &b]);
            let want = if a.is_empty() && b.is_empty() {
                ZERO_HASH.to_owned()
            } else {
                truncated_sha256(&text)
            };
            assert_eq!(got, want, "{n} + {m} values");
        }
    }
}
