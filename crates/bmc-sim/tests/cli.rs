//! The `bmc-sim` binary: it announces its address, serves the BMCs it was
//! asked for with the password from the environment, writes an inventory,
//! applies `--fault` and rejects bad usage with exit code 3.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_bmc-sim");

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `bmc-sim` with `args` on an ephemeral port; returns it and the
/// `host:port` of its first stdout line.
fn start(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env("BMC_SIM_PASSWORD", "s3cret")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start bmc-sim");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .strip_prefix("bmc-sim: listening on http://")
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (Running(child), addr)
}

/// GETs `path` with an optional `user:password` (HTTP Basic); returns the
/// status code and body.
fn get(addr: &str, path: &str, basic: Option<&str>) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let auth = basic.map_or(String::new(), |b| format!("Authorization: Basic {b}\r\n"));
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let code = resp
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not HTTP: {resp:?}"));
    (code, resp)
}

/// `ADMIN:s3cret` and `ADMIN:ADMIN` in Basic encoding.
const RIGHT: &str = "QURNSU46czNjcmV0";
const WRONG: &str = "QURNSU46QURNSU4=";

#[test]
fn serves_the_bmcs_it_announces_and_writes_an_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("fleet.toml");
    let (_sim, addr) = start(&[
        "--count",
        "3",
        "--write-inventory",
        inv.to_str().unwrap(),
        "--fault",
        "2:http_500",
    ]);
    let (code, stats) = get(&addr, "/_sim/stats", None);
    assert_eq!(code, 200, "{stats}");
    let text = std::fs::read_to_string(&inv).unwrap();
    for n in 0..3 {
        assert!(text.contains(&format!("http://{addr}/bmc/{n}")), "{text}");
    }
    assert!(!text.contains("/bmc/3"), "{text}");
    assert!(text.contains("BMC_SIM_PASSWORD"), "{text}");
    assert!(!text.contains("s3cret"), "password leaked: {text}");
    // The password comes from BMC_SIM_PASSWORD; BMC 2 was started with
    // the http_500 fault, BMC 1 was not.
    let entries = "redfish/v1/Systems/1/LogServices/SEL/Entries";
    let (code, body) = get(&addr, &format!("/bmc/1/{entries}"), Some(RIGHT));
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"Members\""), "{body}");
    assert_eq!(get(&addr, &format!("/bmc/1/{entries}"), Some(WRONG)).0, 401);
    assert_eq!(get(&addr, &format!("/bmc/2/{entries}"), Some(RIGHT)).0, 500);
}

#[test]
fn bad_usage_exits_3_with_a_message() {
    for args in [
        &["--count", "0"][..],
        &["--fault", "7:http_500"],
        &["--fault", "nonsense"],
    ] {
        let out = Command::new(BIN)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("bmc-sim: "), "{args:?}: {err}");
    }
}

/// `--hostile MODE` replaces the BMCs by a misbehaving server (the limit
/// tests of ipmi-sel use the same code in-process); an unknown mode is a
/// usage error.
#[test]
fn hostile_modes_misbehave_as_named() {
    let start_hostile = |mode: &str| {
        let mut child = Command::new(BIN)
            .args(["--listen", "127.0.0.1:0", "--hostile", mode])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start bmc-sim");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .strip_prefix(&format!("bmc-sim: hostile {mode} on http://"))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        (Running(child), addr)
    };
    let (_r, addr) = start_hostile("status-999");
    assert_eq!(get(&addr, "/cgi/login.cgi", None).0, 999);
    let (_r, addr) = start_hostile("redirect");
    let (code, resp) = get(&addr, "/x/cgi/login.cgi", None);
    assert_eq!(code, 302);
    assert!(resp.contains("Location: /x/cgi/login.cgi"), "{resp}");
    let (_r, addr) = start_hostile("next-link-loop");
    let path = "/redfish/v1/Systems/1/LogServices/SEL/Entries";
    let (code, resp) = get(&addr, path, None);
    assert_eq!(code, 200);
    let body = resp.split_once("\r\n\r\n").unwrap().1;
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["Members"].as_array().unwrap().len(), 1400);
    assert_eq!(v["Members@odata.nextLink"], path);
    let o = Command::new(BIN)
        .args(["--hostile", "polite"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown hostile mode \"polite\""));
}
