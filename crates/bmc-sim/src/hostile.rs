//! A hostile "BMC": an HTTP/1.1 server, written on raw TCP so that it can
//! send what a well-behaved framework would refuse (status 999, endless
//! chunked bodies, a `Content-Length` of 200 MB), for testing that
//! `ipmi-sel` stays bounded in memory and time whatever a host sends
//! (issue 18). Logins succeed (user and password are not checked), then the
//! SEL request gets the misbehaviour of the chosen [`Mode`].

use std::str::FromStr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use ipmi_sel::decode::RECORD_LEN;

/// What the hostile server does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The SEL answer (`ipmi.cgi`, Redfish `Entries`) is an endless
    /// chunked body of well-formed-looking records.
    EndlessBody,
    /// The SEL answer declares `Content-Length: 209715200` (200 MB) and
    /// sends it.
    HugeBody,
    /// Redfish: every `Entries` page holds 1,400 entries and its
    /// `Members@odata.nextLink` points to itself.
    NextLinkLoop,
    /// Redfish: every `Entries` page holds 1,400 entries and links to a new
    /// page (`?page=N+1`), without end.
    NextLinkEndless,
    /// Every request is answered `302 Found` to itself (a redirect loop).
    Redirect,
    /// Every request is answered with the bogus status 999.
    Status999,
    /// The SEL answer is the "billion laughs" XML entity bomb.
    BillionLaughs,
    /// The SEL answer trickles: one byte every 100 ms, never ending (under
    /// any body cap; only a deadline stops it).
    Drip,
}

impl Mode {
    /// Every mode's name, as [`Mode::from_str`] takes it.
    pub const NAMES: [&'static str; 8] = [
        "endless-body",
        "huge-body",
        "next-link-loop",
        "next-link-endless",
        "redirect",
        "status-999",
        "billion-laughs",
        "drip",
    ];
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "endless-body" => Mode::EndlessBody,
            "huge-body" => Mode::HugeBody,
            "next-link-loop" => Mode::NextLinkLoop,
            "next-link-endless" => Mode::NextLinkEndless,
            "redirect" => Mode::Redirect,
            "status-999" => Mode::Status999,
            "billion-laughs" => Mode::BillionLaughs,
            "drip" => Mode::Drip,
            _ => {
                return Err(format!(
                    "unknown hostile mode {s:?}; one of {}",
                    Mode::NAMES.join(", ")
                ));
            }
        })
    }
}

/// The billion-laughs document: ten levels of ten references, 10^9 "lol"s
/// once expanded.
pub const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<IPMI><SEL_INFO><SEL TOTAL_NUMBER="0001"/><SEL TIME="&lol9;" SEL_RD="020002124c015d33000413006fa58012" SENSOR_ID="x" ERTYPE="FF"/></SEL_INFO></IPMI>
"#;

/// Serve `mode` on `listener` until `shutdown` resolves.
pub async fn serve(
    mode: Mode,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            r = listener.accept() => {
                let (sock, _) = r?;
                tokio::spawn(async move {
                    let _ = connection(mode, sock).await;
                });
            }
        }
    }
}

struct Request {
    method: String,
    path: String,
    /// `Connection: close` was asked for.
    close: bool,
}

/// Read one request head (at most 64 KiB) and skip its body.
async fn read_request(sock: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<Option<Request>> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end + 4);
            let mut lines = head.lines();
            let mut first = lines.next().unwrap_or("").split(' ');
            let method = first.next().unwrap_or("").to_string();
            let path = first.next().unwrap_or("/").to_string();
            let headers: Vec<(&str, &str)> = lines.filter_map(|l| l.split_once(':')).collect();
            let header = |name: &str| {
                headers
                    .iter()
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim())
            };
            let len: usize = header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let close = header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
            while buf.len() < len {
                let mut tmp = [0u8; 4096];
                let n = sock.read(&mut tmp).await?;
                if n == 0 {
                    return Ok(None);
                }
                buf.extend_from_slice(&tmp[..n]);
            }
            buf.drain(..len);
            return Ok(Some(Request {
                method,
                path,
                close,
            }));
        }
        if buf.len() > 64 << 10 {
            return Ok(None);
        }
        let mut tmp = [0u8; 4096];
        let n = sock.read(&mut tmp).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&tmp[..n]);
    }
}

async fn connection(mode: Mode, mut sock: TcpStream) -> std::io::Result<()> {
    let mut buf = Vec::new();
    while let Some(req) = read_request(&mut sock, &mut buf).await? {
        respond(mode, &mut sock, &req).await?;
        if req.close {
            break;
        }
    }
    Ok(())
}

async fn simple(
    sock: &mut TcpStream,
    status: &str,
    headers: &[(&str, String)],
    body: &str,
) -> std::io::Result<()> {
    let mut s = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s.push_str(body);
    sock.write_all(s.as_bytes()).await
}

/// One `SEL_INFO.XML` record line, repeated to fill endless bodies.
fn sel_line() -> String {
    let raw: [u8; RECORD_LEN] = crate::fixture_records(0, 1)[0];
    format!(
        "<SEL TIME=\"2026/11/01 00:00:00\" SEL_RD=\"{}\" SENSOR_ID=\"Chassis Intru   \" ERTYPE=\"6f\"/>\n",
        ipmi_sel::decode::hex(&raw)
    )
}

/// Send `head` then endless chunks of `unit` (until the peer goes away).
async fn endless_chunked(sock: &mut TcpStream, head: &str, unit: &str) -> std::io::Result<()> {
    sock.write_all(
        format!("HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{head}\r\n", head.len())
            .as_bytes(),
    )
    .await?;
    let mut data = String::new();
    while data.len() < 64 << 10 {
        data.push_str(unit);
    }
    let chunk = format!("{:x}\r\n{data}\r\n", data.len());
    loop {
        sock.write_all(chunk.as_bytes()).await?;
    }
}

fn entries_page(path: &str, next: Option<String>) -> String {
    let prefix = path.split("/redfish/").next().unwrap_or("");
    let recs = crate::fixture_records(0, 6);
    let members: Vec<_> = (0..1400)
        .map(|i| crate::redfish_entry(prefix, &recs[i % recs.len()]))
        .collect();
    let mut v = serde_json::json!({
        "@odata.id": path,
        "Name": "Log Entry Collection",
        "Members@odata.count": 1_000_000,
        "Members": members,
    });
    if let Some(n) = next {
        v["Members@odata.nextLink"] = n.into();
    }
    v.to_string()
}

async fn respond(mode: Mode, sock: &mut TcpStream, req: &Request) -> std::io::Result<()> {
    let path = req.path.as_str();
    match mode {
        Mode::Redirect => {
            return simple(sock, "302 Found", &[("Location", path.to_string())], "").await;
        }
        Mode::Status999 => return simple(sock, "999 Whatever", &[], "odd").await,
        _ => {}
    }
    let is_sel = path.ends_with("/cgi/ipmi.cgi") || path.contains("/Entries");
    if req.method == "POST" && path.ends_with("/cgi/login.cgi") {
        return simple(
            sock,
            "200 OK",
            &[("Set-Cookie", "SID=hostile; path=/".into())],
            "<html>ok</html>",
        )
        .await;
    }
    if req.method == "POST" && path.ends_with("/SessionService/Sessions") {
        return simple(
            sock,
            "201 Created",
            &[
                ("X-Auth-Token", "hostile".into()),
                (
                    "Location",
                    format!("{path}/hostile").replace("//hostile", "/hostile"),
                ),
            ],
            "{}",
        )
        .await;
    }
    if !is_sel {
        if req.method == "DELETE" {
            return simple(sock, "204 No Content", &[], "").await;
        }
        return simple(sock, "404 Not Found", &[], "").await;
    }
    let redfish = path.contains("/Entries");
    match mode {
        Mode::EndlessBody if redfish => {
            endless_chunked(
                sock,
                "{\"Members\":[",
                "{\"Id\":\"1\",\"EntryType\":\"SEL\",\"Message\":\"x\"},",
            )
            .await
        }
        Mode::EndlessBody => {
            endless_chunked(sock, "<?xml version=\"1.0\"?><IPMI><SEL_INFO>", &sel_line()).await
        }
        Mode::HugeBody => {
            let total: usize = 200 << 20;
            sock.write_all(
                format!("HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: {total}\r\n\r\n")
                    .as_bytes(),
            )
            .await?;
            let unit = sel_line();
            let mut data = String::new();
            while data.len() < 64 << 10 {
                data.push_str(&unit);
            }
            let mut sent = 0;
            while sent < total {
                let n = data.len().min(total - sent);
                sock.write_all(&data.as_bytes()[..n]).await?;
                sent += n;
            }
            Ok(())
        }
        Mode::NextLinkLoop => {
            let body = entries_page(path, Some(path.to_string()));
            simple(
                sock,
                "200 OK",
                &[("Content-Type", "application/json".into())],
                &body,
            )
            .await
        }
        Mode::NextLinkEndless => {
            let (base, q) = path.split_once('?').unwrap_or((path, ""));
            let n: u64 = q
                .strip_prefix("page=")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let body = entries_page(path, Some(format!("{base}?page={}", n + 1)));
            simple(
                sock,
                "200 OK",
                &[("Content-Type", "application/json".into())],
                &body,
            )
            .await
        }
        Mode::BillionLaughs => {
            simple(
                sock,
                "200 OK",
                &[("Content-Type", "application/xml".into())],
                BILLION_LAUGHS,
            )
            .await
        }
        Mode::Drip => {
            sock.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\n",
            )
            .await?;
            loop {
                sock.write_all(b"1\r\n \r\n").await?;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Mode::Redirect | Mode::Status999 => Ok(()),
    }
}
