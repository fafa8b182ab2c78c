//! Long inputs generated deterministically, shared by the tests that
//! compare them with Python textfsm (`large_input.rs`) and the tests that
//! compare `Template::run_each` with `Template::run` (`run_each.rs`).
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The ntc-templates sample corpus (`testdata/ntc`).
pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ntc")
}

/// Every `.raw` recorded output below `dir`, sorted, recursively.
pub fn raw_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            raw_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "raw") {
            out.push(p);
        }
    }
}

/// Whether python3 with textfsm 2.x is here; panics when it must be
/// (`NETOPS_REQUIRE_PEERS=1`), otherwise says that `what` is skipped.
pub fn have_textfsm(what: &str) -> bool {
    let ok = Command::new("python3")
        .args([
            "-c",
            "import sys, textfsm; sys.exit(0 if textfsm.__version__.startswith('2.') else 1)",
        ])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        let msg = "python3 with textfsm 2.x not found (pip install textfsm==2.1.0)";
        if std::env::var("NETOPS_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("{msg}, and NETOPS_REQUIRE_PEERS=1");
        }
        eprintln!("skipping {what}: {msg}");
    }
    ok
}

/// The ntc-templates `cisco_ios_show_ip_route` template.
pub fn route_template() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/ntc/templates/cisco_ios_show_ip_route.textfsm"),
    )
    .expect("template")
}

/// Deterministic xorshift generator.
pub struct Rng(pub u64);
impl Rng {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// `show ip route` output: subnet headers, connected, one-line, two-line
/// and ECMP routes, VRF sections, with odd lines (a 4-digit octet, a
/// missing via) that make rules fail late.
pub fn route_text(blocks: u32) -> String {
    let mut r = Rng(0x2545_F491_4F6C_DD1D);
    let mut s = String::from(
        "Codes: L - local, C - connected, S - static\n\nGateway of last resort is 10.0.0.1 to network 0.0.0.0\n\n",
    );
    let protos = ["O", "O IA", "O E2", "B", "D EX", "S*", "R"];
    let ifs = ["GigabitEthernet0/0/1", "Vlan100", "Port-channel12"];
    for block in 0..blocks {
        if block % 40 == 39 {
            let _ = write!(
                s,
                "\nRouting Table: VRF{block}\nGateway of last resort is not set\n\n"
            );
        }
        let _ = writeln!(
            s,
            "      10.{block}.0.0/16 is variably subnetted, 8 subnets, 2 masks"
        );
        for i in 0..8u64 {
            let net = format!("10.{block}.{}.0", i * 16);
            let hop = format!("10.{}.{}.{}", r.below(256), r.below(256), 1 + r.below(254));
            let p = protos[r.below(protos.len() as u64) as usize];
            let ifn = ifs[r.below(ifs.len() as u64) as usize];
            match r.below(40) {
                0 => {
                    let _ = writeln!(s, "C        {net}/24 is directly connected, {ifn}");
                    let _ = writeln!(
                        s,
                        "L        10.{block}.{}.1/32 is directly connected, {ifn}",
                        i * 16
                    );
                }
                1 => {
                    let _ = writeln!(s, "{p:<8} {net}/25 ");
                    let _ = writeln!(
                        s,
                        "           [110/{}] via {hop}, 2d03h, {ifn}",
                        r.below(999)
                    );
                }
                2 => {
                    let _ = writeln!(
                        s,
                        "O        {net}/26 [110/{}] via {hop}, 1w2d, {ifn}",
                        r.below(99)
                    );
                    let _ = writeln!(
                        s,
                        "                [110/{}] via 10.9.9.{}, 1w2d, {ifn}",
                        r.below(99),
                        1 + r.below(254)
                    );
                }
                3 => {
                    let _ = writeln!(
                        s,
                        "B        {net}/27 [20/0] via {hop}, 00:1{}:22",
                        r.below(10)
                    );
                }
                4 => {
                    // A 4-digit "octet": Python's `.` still lets some rules match.
                    let _ = writeln!(s, "S        1234.{block}.1.0/24 [1/0] via {hop}");
                }
                5 => {
                    let _ = writeln!(s, "S        {net} [1/0] via {hop}");
                }
                _ => {
                    let _ = writeln!(
                        s,
                        "{p:<8} {net}/24 [{}/{}] via {hop}, {}d{:02}h, {ifn}",
                        90 + r.below(30),
                        r.below(100_000),
                        r.below(60),
                        r.below(24)
                    );
                }
            }
        }
    }
    s
}

/// A template whose first rule matches every line of some stretches of
/// [`SWING_TEXT`] (it stops running its DFA pass) and no line of others
/// (the VM alone must say no, then the DFA pass comes back); the second
/// rule sets no value.
pub const SWING_TEMPLATE: &str = "Value A (\\d+)\nValue B (\\w+)\nValue C (\\S+)\n\nStart\n  ^${A}\\s+${B}$$ -> Record\n  ^\\d+\\s+${C} -> Record\n  ^\\d+ -> Record\n";

/// Input for [`SWING_TEMPLATE`]: stretches of lines that all match its
/// first rule, lines that match only its second, and bare numbers.
pub fn swing_text() -> String {
    let mut text = String::new();
    let mut r = Rng(7);
    for stretch in 0..12u64 {
        for i in 0..(40 + r.below(200)) {
            match (stretch % 3, r.below(10)) {
                (0, _) | (1, 0..=8) => {
                    let _ = writeln!(text, "{i} name{}", r.below(1000));
                }
                (1, _) | (2, 0..=6) => {
                    let _ = writeln!(text, "{i} x-{}", r.below(1000));
                }
                _ => {
                    let _ = writeln!(text, "{i}");
                }
            }
        }
    }
    text
}
