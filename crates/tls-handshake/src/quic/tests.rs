//! The test vectors of RFC 9001 Appendix A (QUIC v1) and RFC 9369
//! Appendix A (QUIC v2): keys, header protection, and the sample client and
//! server Initials both ways (our `seal` gives the RFC's bytes, our `open`
//! gives the RFC's plaintext).

use super::*;
use crate::ClientHello;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const DCID: &str = "8394c8f03e515708";

/// RFC 9001 A.2 / RFC 9369 A.2: the CRYPTO frame of the client Initial
/// (a ClientHello for example.com), padded to 1162 bytes.
const CLIENT_CRYPTO_FRAME: &str = "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868\
    04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578\
    616d706c652e636f6dff01000100000a00080006001d00170018001000070005\
    04616c706e000500050100000000003300260024001d00209370b2c9caa47fba\
    baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400\
    0d0010000e0403050306030203080408050806002d00020101001c0002400100\
    3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000\
    75300901100f088394c8f03e51570806048000ffff";

/// RFC 9001 A.3 / RFC 9369 A.3: the server Initial's payload (ACK + CRYPTO
/// with the ServerHello).
const SERVER_PAYLOAD: &str = "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739\
    88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94\
    0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00\
    020304";

fn client_plaintext() -> Vec<u8> {
    let mut p = hex(CLIENT_CRYPTO_FRAME);
    assert_eq!(p.len(), 245);
    p.resize(1162, 0);
    p
}

struct Vectors {
    version: QuicVersion,
    initial_secret: &'static str,
    client_secret: &'static str,
    client: [&'static str; 3],
    server_secret: &'static str,
    server: [&'static str; 3],
    client_header: &'static str,
    client_packet: &'static str,
    server_header: &'static str,
    server_packet: &'static str,
}

const V1: Vectors = Vectors {
    version: QuicVersion::V1,
    initial_secret: "7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44",
    client_secret: "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
    client: [
        "1f369613dd76d5467730efcbe3b1a22d",
        "fa044b2f42a3fd3b46fb255c",
        "9f50449e04a0e810283a1e9933adedd2",
    ],
    server_secret: "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b",
    server: [
        "cf3a5331653c364c88f0f379b6067e37",
        "0ac1493ca1905853b0bba03e",
        "c206b8d9b9f0f37644430b490eeaa314",
    ],
    client_header: "c300000001088394c8f03e5157080000449e00000002",
    client_packet: include_str!("vectors/rfc9001-a2-client-initial.hex"),
    server_header: "c1000000010008f067a5502a4262b50040750001",
    server_packet: "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a\
        5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3\
        dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84\
        022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4\
        2158407dd074ee",
};

const V2: Vectors = Vectors {
    version: QuicVersion::V2,
    initial_secret: "2062e8b3cd8d52092614b8071d0aa1fb7c2e3ac193f78b280e72d8f5751f6aba",
    client_secret: "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b",
    client: [
        "8b1a0bc121284290a29e0971b5cd045d",
        "91f73e2351d8fa91660e909f",
        "45b95e15235d6f45a6b19cbcb0294ba9",
    ],
    server_secret: "0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1",
    server: [
        "82db637861d55e1d011f19ea71d5d2a7",
        "dd13c276499c0249d3310652",
        "edf6d05c83121201b436e16877593c3a",
    ],
    client_header: "d36b3343cf088394c8f03e5157080000449e00000002",
    client_packet: include_str!("vectors/rfc9369-a2-client-initial.hex"),
    server_header: "d16b3343cf0008f067a5502a4262b50040750001",
    server_packet: "dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698\
        baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17\
        f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2\
        c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca8\
        4bed8521e2e140",
};

fn check_keys(v: &Vectors) {
    let (prk, _) = Hkdf::<Sha256>::extract(Some(v.version.salt()), &hex(DCID));
    assert_eq!(
        prk.as_slice(),
        hex(v.initial_secret),
        "{:?} initial_secret",
        v.version
    );
    let k = InitialKeys::derive(v.version, &hex(DCID));
    assert_eq!(k.client_secret.to_vec(), hex(v.client_secret));
    assert_eq!(k.server_secret.to_vec(), hex(v.server_secret));
    for (keys, want) in [(&k.client, &v.client), (&k.server, &v.server)] {
        assert_eq!(keys.key.to_vec(), hex(want[0]), "{:?} key", v.version);
        assert_eq!(keys.iv.to_vec(), hex(want[1]), "{:?} iv", v.version);
        assert_eq!(keys.hp.to_vec(), hex(want[2]), "{:?} hp", v.version);
    }
}

fn check_packets(v: &Vectors) {
    let keys = InitialKeys::derive(v.version, &hex(DCID));
    // Sealed here, the client Initial is the RFC's, byte for byte.
    let sealed = seal(&hex(v.client_header), 2, &client_plaintext(), &keys.client).unwrap();
    assert_eq!(
        sealed,
        hex(v.client_packet),
        "{:?} client Initial",
        v.version
    );
    // The RFC's packet, opened here, gives its plaintext and a ClientHello.
    let pkt = hex(v.client_packet);
    assert!(is_long_header_candidate(&pkt));
    let hdr = LongHeader::parse(&pkt).unwrap();
    assert_eq!(hdr.version, v.version);
    assert_eq!(hdr.packet_type, PacketType::Initial);
    assert_eq!(hdr.dcid, hex(DCID).as_slice());
    assert_eq!((hdr.pn_offset, hdr.end), (18, 1200));
    let mut out = Vec::new();
    let o = open(&pkt, &hdr, &keys.client, None, &mut out).unwrap();
    assert_eq!(o.pn, 2);
    assert_eq!(&out[..o.header_len], hex(v.client_header).as_slice());
    assert_eq!(&out[o.header_len..], client_plaintext().as_slice());
    let crypto: Vec<_> = frames(&out[o.header_len..])
        .filter_map(|f| match f.unwrap() {
            Frame::Crypto { offset, data } => Some((offset, data.to_vec())),
            _ => None,
        })
        .collect();
    assert_eq!(crypto.len(), 1);
    let ch = ClientHello::parse(&crypto[0].1[4..]).unwrap();
    assert_eq!(ch.sni(), Some(&b"example.com"[..]));
    // The server keys do not open it.
    assert_eq!(
        open(&pkt, &hdr, &keys.server, None, &mut out),
        Err(Error::Decrypt)
    );

    // The server Initial (packet number 1, 2-byte encoding) both ways.
    let payload = hex(SERVER_PAYLOAD);
    let sealed = seal(&hex(v.server_header), 1, &payload, &keys.server).unwrap();
    assert_eq!(
        sealed,
        hex(v.server_packet),
        "{:?} server Initial",
        v.version
    );
    let pkt = hex(v.server_packet);
    let hdr = LongHeader::parse(&pkt).unwrap();
    assert_eq!(hdr.packet_type, PacketType::Initial);
    let o = open(&pkt, &hdr, &keys.server, None, &mut out).unwrap();
    assert_eq!(o.pn, 1);
    assert_eq!(&out[o.header_len..], payload.as_slice());
}

#[test]
fn rfc9001_appendix_a_v1_keys() {
    check_keys(&V1);
}

#[test]
fn rfc9001_appendix_a_v1_packets() {
    check_packets(&V1);
}

#[test]
fn rfc9369_appendix_a_v2_keys() {
    check_keys(&V2);
}

#[test]
fn rfc9369_appendix_a_v2_packets() {
    check_packets(&V2);
}

#[test]
fn rfc9001_a2_header_protection_sample_and_mask() {
    // A.2: sample d1b1c98dd7689fb8ec11d242b123dc9b, mask 437b9aec36.
    let keys = InitialKeys::derive(QuicVersion::V1, &hex(DCID));
    let sample: [u8; 16] = hex("d1b1c98dd7689fb8ec11d242b123dc9b").try_into().unwrap();
    assert_eq!(keys.client.mask(&sample).to_vec(), hex("437b9aec36"));
    // A.3: sample 2cd0991cd25b0aac406a5816b6394100, mask 2ec0d8356a.
    let sample: [u8; 16] = hex("2cd0991cd25b0aac406a5816b6394100").try_into().unwrap();
    assert_eq!(keys.server.mask(&sample).to_vec(), hex("2ec0d8356a"));
}

#[test]
fn packet_types_follow_the_version() {
    // v1: Initial 00, 0-RTT 01, Handshake 10, Retry 11 (bits 5-4).
    assert_eq!(QuicVersion::V1.packet_type(0xc0), PacketType::Initial);
    assert_eq!(QuicVersion::V1.packet_type(0xe0), PacketType::Handshake);
    assert_eq!(QuicVersion::V1.packet_type(0xf0), PacketType::Retry);
    // v2: Initial 01, 0-RTT 10, Handshake 11, Retry 00 (RFC 9369, 3.2).
    assert_eq!(QuicVersion::V2.packet_type(0xd0), PacketType::Initial);
    assert_eq!(QuicVersion::V2.packet_type(0xe0), PacketType::ZeroRtt);
    assert_eq!(QuicVersion::V2.packet_type(0xf0), PacketType::Handshake);
    assert_eq!(QuicVersion::V2.packet_type(0xc0), PacketType::Retry);
    assert_eq!(
        QuicVersion::from_wire(0xff00_001d),
        Some(QuicVersion::Draft(29))
    );
    assert_eq!(QuicVersion::from_wire(0xff00_001c), None);
    assert_eq!(QuicVersion::from_wire(0), None);
    // Short headers and unknown versions are not candidates.
    assert!(!is_long_header_candidate(&[0x40, 0, 0, 0, 1]));
    assert!(!is_long_header_candidate(&[0xc0, 0, 0, 0, 2]));
    assert!(!is_long_header_candidate(&[0xc0, 0, 0, 0]));
}

#[test]
fn packet_numbers_decode_as_rfc9000_a3() {
    // RFC 9000 A.3 example: largest 0xa82f30ea, truncated 0x9b32 (16 bits).
    assert_eq!(
        decode_packet_number(Some(0xa82f_30ea), 0x9b32, 2),
        0xa82f_9b32
    );
    assert_eq!(decode_packet_number(None, 0, 1), 0);
    assert_eq!(decode_packet_number(Some(0xff), 0x00, 1), 0x100);
    assert_eq!(decode_packet_number(Some(u64::MAX), 0xff, 1), (1 << 62) - 1);
}

#[test]
fn damaged_packets_do_not_decrypt() {
    let keys = InitialKeys::derive(QuicVersion::V1, &hex(DCID));
    let good = hex(V1.client_packet);
    let mut out = Vec::new();
    for at in [0usize, 7, 30, 600, 1199] {
        let mut pkt = good.clone();
        pkt[at] ^= 0x40;
        if let Ok(hdr) = LongHeader::parse(&pkt) {
            assert!(
                open(&pkt, &hdr, &keys.client, None, &mut out).is_err(),
                "byte {at}"
            );
        }
    }
    // Cut anywhere: an error, never a panic.
    for n in 0..good.len() {
        if let Ok(hdr) = LongHeader::parse(&good[..n]) {
            assert!(open(&good[..n], &hdr, &keys.client, None, &mut out).is_err());
        }
    }
}
