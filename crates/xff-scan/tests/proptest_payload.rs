//! Property tests of the payload matcher: planted headers are found exactly
//! where planted, decoys never match, and no input panics.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use xff_scan::{Matcher, RequestStream, TargetSet, default_headers};

/// Randomises the ASCII case of every letter.
fn recase(name: &str, mask: u64) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// A node as a proxy might write it; `form` picks the spelling.
fn node(ip: IpAddr, form: u8, forwarded: bool) -> String {
    match (ip, forwarded, form % 3) {
        (IpAddr::V4(a), false, 0) => a.to_string(),
        (IpAddr::V4(a), false, 1) => format!("{a}:{}", 1000 + u16::from(form)),
        (IpAddr::V4(a), false, _) => format!("\"{a}\""),
        (IpAddr::V4(a), true, 0) => a.to_string(),
        (IpAddr::V4(a), true, _) => format!("\"{a}:{}\"", 80 + u16::from(form)),
        (IpAddr::V6(a), false, 0) => a.to_string(),
        (IpAddr::V6(a), false, 1) => format!("[{a}]:{}", 1000 + u16::from(form)),
        (IpAddr::V6(a), false, _) => format!("[{a}]"),
        (IpAddr::V6(a), true, 0) => format!("\"[{a}]\""),
        (IpAddr::V6(a), true, _) => format!("\"[{a}]:{}\"", 80 + u16::from(form)),
    }
}

fn ows(n: u8) -> &'static str {
    ["", " ", "  ", "\t", " \t "][usize::from(n % 5)]
}

/// Addresses that are never the target (documentation ranges / ULA).
fn other_ip(i: u32, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::new(
            0xfd00,
            0,
            0,
            0,
            0,
            0,
            0,
            (i % 60000) as u16 + 1,
        ))
    } else {
        IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | ((i % 0xffff) + 1)))
    }
}

#[derive(Debug, Clone)]
struct Plan {
    header: usize,
    case_mask: u64,
    v6: bool,
    before: usize,
    after: usize,
    form: u8,
    ows: u8,
    headers_before: usize,
    headers_after: usize,
    crlf: bool,
    seed: u32,
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        0usize..5,
        any::<u64>(),
        any::<bool>(),
        0usize..4,
        0usize..4,
        any::<u8>(),
        any::<u8>(),
        (0usize..5, 0usize..5),
        any::<bool>(),
        any::<u32>(),
    )
        .prop_map(
            |(header, case_mask, v6, before, after, form, ows, (hb, ha), crlf, seed)| Plan {
                header,
                case_mask,
                v6,
                before,
                after,
                form,
                ows,
                headers_before: hb,
                headers_after: ha,
                crlf,
                seed,
            },
        )
}

const TARGET_V4: &str = "203.0.113.77";
const TARGET_V6: &str = "2001:db8:77::1";

fn build(p: &Plan) -> (String, usize) {
    let specs = default_headers();
    let spec = &specs[p.header];
    let forwarded = spec.name() == "Forwarded";
    let target: IpAddr = if p.v6 { TARGET_V6 } else { TARGET_V4 }.parse().unwrap();
    // Single-valued headers (X-Real-IP, ...) get only the target in
    // real life, but lists there must work too.
    let mut nodes = vec![];
    for i in 0..p.before {
        nodes.push(node(
            other_ip(p.seed.wrapping_add(i as u32), p.v6),
            p.form.wrapping_add(i as u8),
            forwarded,
        ));
    }
    nodes.push(node(target, p.form, forwarded));
    for i in 0..p.after {
        nodes.push(node(
            other_ip(p.seed.wrapping_add(100 + i as u32), !p.v6),
            p.form.wrapping_add(3 * i as u8),
            forwarded,
        ));
    }
    let sep = format!("{},{}", ows(p.ows), ows(p.ows.wrapping_add(1)));
    let value = if forwarded {
        nodes
            .iter()
            .map(|n| format!("for={n};proto=https"))
            .collect::<Vec<_>>()
            .join(&sep)
    } else {
        nodes.join(&sep)
    };
    let eol = if p.crlf { "\r\n" } else { "\n" };
    let decoys = [
        format!("Referer: http://{TARGET_V4}/x?ip={TARGET_V6}"),
        "Accept: */*".to_string(),
        format!("User-Agent: probe/{TARGET_V4}"),
        "Cookie: a=b; c=d".to_string(),
        format!("X-Original-For: {TARGET_V4}"),
    ];
    let mut s = format!("GET /p?c={TARGET_V4} HTTP/1.1{eol}");
    for d in decoys
        .iter()
        .cycle()
        .skip(p.seed as usize % 5)
        .take(p.headers_before)
    {
        s.push_str(d);
        s.push_str(eol);
    }
    let name = recase(spec.name(), p.case_mask);
    s.push_str(&format!(
        "{name}:{}{value}{}{eol}",
        ows(p.ows),
        ows(p.ows / 5)
    ));
    for d in decoys.iter().take(p.headers_after) {
        s.push_str(d);
        s.push_str(eol);
    }
    let body = format!("X-Forwarded-For: {TARGET_V4}\r\nForwarded: for={TARGET_V4}");
    s.push_str(&format!("Content-Length: {}{eol}{eol}{body}", body.len()));
    (s, p.before)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn planted_header_found_exactly_once_where_planted(p in plan()) {
        let (payload, position) = build(&p);
        let m = Matcher::new(default_headers(), Some(TargetSet::parse(&[TARGET_V4, TARGET_V6]).unwrap()));
        let mut hits = vec![];
        prop_assert!(m.scan_payload(payload.as_bytes(), &mut hits).is_none());
        prop_assert_eq!(hits.len(), 1, "{}", payload);
        let h = &hits[0];
        prop_assert_eq!(h.header, p.header);
        prop_assert_eq!(h.position as usize, position);
        let want: IpAddr = if p.v6 { TARGET_V6 } else { TARGET_V4 }.parse().unwrap();
        prop_assert_eq!(h.client_ip, want);
        prop_assert_eq!(&*h.method, "GET");

        // Split anywhere after the request line: still exactly one hit.
        let start = payload.find('\n').unwrap() + 1;
        let cut = start + (p.seed as usize % (payload.len() - start));
        let (a, b) = payload.as_bytes().split_at(cut);
        let mut hits2 = vec![];
        let carry = m.scan_payload(a, &mut hits2);
        if let Some(c) = carry {
            let _ = m.scan_continuation(c, b, &mut hits2);
        }
        prop_assert_eq!(hits2.len(), 1, "cut at {}: {}", cut, payload);
        prop_assert_eq!(hits2[0].position as usize, position);
    }

    #[test]
    fn list_mode_reports_every_address(p in plan()) {
        let (payload, _) = build(&p);
        let m = Matcher::new(default_headers(), None);
        let mut hits = vec![];
        let _ = m.scan_payload(payload.as_bytes(), &mut hits);
        prop_assert_eq!(hits.len(), p.before + 1 + p.after);
        for (i, h) in hits.iter().enumerate() {
            prop_assert_eq!(h.position as usize, i);
        }
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600), cut in any::<usize>()) {
        let m = Matcher::new(default_headers(), None);
        let mut hits = vec![];
        if let Some(c) = m.scan_payload(&bytes, &mut hits) {
            let _ = m.scan_continuation(c, &bytes, &mut hits);
        }
        // Garbage behind a valid request line and header prefix.
        let mut v = b"POST / HTTP/1.1\r\nX-Forwarded-For: ".to_vec();
        v.extend_from_slice(&bytes);
        let cut = cut % (v.len() + 1);
        let (a, b) = v.split_at(cut);
        if let Some(c) = m.scan_payload(a, &mut hits)
            && let Some(c) = m.scan_continuation(c, b, &mut hits)
        {
            let _ = m.scan_continuation(c, &bytes, &mut hits);
        }
    }

    #[test]
    fn truncated_requests_never_panic_and_only_lose_hits(p in plan(), cut in any::<usize>()) {
        let (payload, _) = build(&p);
        let m = Matcher::new(default_headers(), None);
        let cut = cut % (payload.len() + 1);
        let mut full = vec![];
        let _ = m.scan_payload(payload.as_bytes(), &mut full);
        let mut part = vec![];
        let _ = m.scan_payload(&payload.as_bytes()[..cut], &mut part);
        prop_assert!(part.len() <= full.len());
        for (a, b) in part.iter().zip(&full) {
            prop_assert_eq!(a.client_ip, b.client_ip);
        }
    }
}

/// A client-to-server stream of pipelined requests with bodies of every
/// framing; returns it and the client addresses in order.
fn pipeline(seed: u32, n: usize) -> (Vec<u8>, Vec<IpAddr>) {
    let mut s = Vec::new();
    let mut ips = Vec::new();
    for i in 0..n {
        let ip = other_ip(seed.wrapping_add(i as u32), i % 3 == 0);
        ips.push(ip);
        let kind = (seed as usize + i) % 3;
        s.extend_from_slice(
            format!(
                "POST /r{i} HTTP/1.1\r\nX-Forwarded-For: {}\r\n",
                node(ip, i as u8, false)
            )
            .as_bytes(),
        );
        let decoy =
            format!("X-Real-IP: {TARGET_V4}\r\n\r\nGET / HTTP/1.1\r\nX-Real-IP: {TARGET_V4}\r\n");
        match kind {
            0 => s.extend_from_slice(format!("Content-Length: {}\r\n\r\n{decoy}", decoy.len()).as_bytes()),
            1 => s.extend_from_slice(
                format!("Transfer-Encoding: chunked\r\n\r\n{:x};ext=1\r\n{decoy}\r\n3\r\nabc\r\n0\r\nTrailer: x\r\n\r\n", decoy.len())
                    .as_bytes(),
            ),
            _ => s.extend_from_slice(b"\r\n"),
        }
    }
    (s, ips)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn request_stream_cut_anywhere_gives_the_same_hits(
        seed in any::<u32>(),
        n in 1usize..6,
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let (stream, ips) = pipeline(seed, n);
        let m = Matcher::new(default_headers(), None);
        let mut whole = vec![];
        RequestStream::from_start().feed(&m, &stream, true, &mut whole);
        let got: Vec<IpAddr> = whole.iter().map(|h| h.client_ip).collect();
        prop_assert_eq!(&got, &ips);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (stream.len() + 1)).collect();
        cuts.sort_unstable();
        let mut pieces = vec![];
        let mut st = RequestStream::from_start();
        let mut prev = 0;
        for c in cuts.into_iter().chain([stream.len()]) {
            st.feed(&m, &stream[prev..c], true, &mut pieces);
            prev = c;
        }
        let got: Vec<IpAddr> = pieces.iter().map(|h| h.client_ip).collect();
        prop_assert_eq!(got, ips);
    }

    #[test]
    fn request_stream_garbage_never_panics(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..8)) {
        let m = Matcher::new(default_headers(), None);
        let mut st = RequestStream::from_start();
        let mut out = vec![];
        st.feed(&m, b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", true, &mut out);
        for c in &chunks {
            st.feed(&m, c, true, &mut out);
        }
        let mut st = RequestStream::mid_stream();
        for c in &chunks {
            st.feed(&m, c, false, &mut out);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn node_parser_agrees_with_std_on_dotted_text(s in "[0-9.]{0,20}") {
        let want = s.parse::<Ipv4Addr>().ok().map(IpAddr::V4);
        prop_assert_eq!(xff_scan::parse_node(s.as_bytes()), want);
    }

    #[test]
    fn node_parser_reads_every_address_and_port(ip in any::<u32>(), port in any::<u16>(), with_port in any::<bool>()) {
        let a = Ipv4Addr::from(ip);
        let s = if with_port { format!("{a}:{port}") } else { a.to_string() };
        prop_assert_eq!(xff_scan::parse_node(s.as_bytes()), Some(IpAddr::V4(a)));
        let bad = format!("{s}x");
        prop_assert_eq!(xff_scan::parse_node(bad.as_bytes()), None);
    }
}
