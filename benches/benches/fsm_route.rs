//! fsm-parse on a large single input: ~20 MB of Cisco IOS `show ip route`
//! output, generated deterministically here, parsed with the ntc-templates
//! `cisco_ios_show_ip_route` template (directly, and through the index).
//!
//! `records_alloc_free_20MB` times only deep-copying and dropping the
//! records of one run: the part of `template_run_20MB` that the
//! `Record`/`Value` API fixes, whatever the engine does.
//! `run_each_20MB` parses the same input through `Template::run_each`
//! (borrowed rows, no allocation per value), reading every value.
//!
//! The generated file is written to `$FSM_BENCH_DIR` (default
//! `<tmp>/netops-fsm-bench/show_ip_route.txt`) so that Python textfsm can be
//! timed on the very same bytes:
//! `python3 crates/fsm-parse/scripts/bench_textfsm.py file ...` (see
//! docs/BENCHMARKS.md).
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fsm_parse::{Index, Template};

/// Deterministic xorshift generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `show ip route` output of about `target` bytes: subnetted headers,
/// connected/local routes, one-line and two-line routes, ECMP next hops,
/// a default route, VRF sections.
fn generate(target: usize) -> String {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut s = String::with_capacity(target + 4096);
    s.push_str(
        "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP\n       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area\n\nGateway of last resort is 10.0.0.1 to network 0.0.0.0\n\nS*    0.0.0.0/0 [1/0] via 10.0.0.1\n",
    );
    let ifs = [
        "GigabitEthernet0/0/1",
        "TenGigabitEthernet1/1/4",
        "Vlan100",
        "Port-channel12",
    ];
    let protos = ["O", "O IA", "O E2", "B", "D", "D EX", "S", "R"];
    let mut block = 0u32;
    while s.len() < target {
        block += 1;
        if block.is_multiple_of(500) {
            let _ = write!(s, "\nRouting Table: VRF{}\n", block / 500);
            s.push_str("Gateway of last resort is not set\n\n");
        }
        let a = 10 + (block % 200);
        let b = (block / 200) % 256;
        let _ = writeln!(
            s,
            "      {a}.{b}.0.0/16 is variably subnetted, 12 subnets, 3 masks"
        );
        for i in 0..12u32 {
            let net = format!("{a}.{b}.{}.0", i * 16);
            let len = [24, 25, 26, 27, 28][r.below(5) as usize];
            let hop = format!("10.{}.{}.{}", r.below(256), r.below(256), 1 + r.below(254));
            let ifn = ifs[r.below(ifs.len() as u64) as usize];
            let up = format!("{}d{:02}h", r.below(60), r.below(24));
            match r.below(10) {
                0 => {
                    let _ = writeln!(s, "C        {net}/{len} is directly connected, {ifn}");
                    let _ = writeln!(
                        s,
                        "L        {a}.{b}.{}.1/32 is directly connected, {ifn}",
                        i * 16
                    );
                }
                1 => {
                    // Network on its own line, the rest below.
                    let p = protos[r.below(protos.len() as u64) as usize];
                    let _ = writeln!(s, "{p:<8} {net}/{len} ");
                    let _ = writeln!(
                        s,
                        "           [{}/{}] via {hop}, {up}, {ifn}",
                        90 + r.below(30),
                        r.below(100_000)
                    );
                }
                2 => {
                    // ECMP: two next hops.
                    let _ = writeln!(
                        s,
                        "O        {net}/{len} [110/{}] via {hop}, {up}, {ifn}",
                        r.below(1000)
                    );
                    let _ = writeln!(
                        s,
                        "                [110/{}] via 10.9.9.{}, {up}, {ifn}",
                        r.below(1000),
                        1 + r.below(254)
                    );
                }
                3 => {
                    let _ = writeln!(s, "B        {net}/{len} [20/0] via {hop}, {up}");
                }
                _ => {
                    let p = protos[r.below(protos.len() as u64) as usize];
                    let _ = writeln!(
                        s,
                        "{p:<8} {net}/{len} [{}/{}] via {hop}, {up}, {ifn}",
                        90 + r.below(30),
                        r.below(100_000)
                    );
                }
            }
        }
    }
    s
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/ntc/templates")
}

fn bench_dir() -> PathBuf {
    std::env::var_os("FSM_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("netops-fsm-bench"))
}

fn bench(c: &mut Criterion) {
    let size: usize = std::env::var("FSM_ROUTE_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20 << 20);
    let text = generate(size);
    let dir = bench_dir();
    std::fs::create_dir_all(&dir).expect("bench dir");
    let path = dir.join("show_ip_route.txt");
    if std::fs::read(&path).ok().as_deref() != Some(text.as_bytes()) {
        std::fs::write(&path, &text).expect("write generated input");
    }
    eprintln!("fsm_route: input {} ({} bytes)", path.display(), text.len());

    let tpath = corpus().join("cisco_ios_show_ip_route.textfsm");
    let t = Template::parse(&std::fs::read_to_string(&tpath).expect("template")).expect("compiles");
    let rows = t.run(&text).expect("parses");
    eprintln!("fsm_route: {} rows", rows.len());
    assert!(rows.len() > 100_000, "the generated routes are recognised");
    let idx = Index::load(corpus()).expect("index");

    let mut g = c.benchmark_group("fsm_route");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("template_run_20MB", |b| {
        b.iter(|| t.run(&text).expect("parses").len())
    });
    // The floor under template_run_20MB: allocating and freeing the
    // records one run returns (one String per non-empty value, one Vec per
    // row), with no parsing at all.
    g.bench_function("records_alloc_free_20MB", |b| {
        b.iter(|| drop(std::hint::black_box(rows.clone())))
    });
    // The same rows through the borrowed-row API: the callback reads every
    // value (the bytes a CSV or JSON writer would copy out), nothing is
    // allocated per value or per row.
    let mut want = (0usize, 0usize);
    t.run_each(&text, |row| {
        want.0 += 1;
        want.1 += row
            .values()
            .map(|v| v.as_str().map_or(0, str::len))
            .sum::<usize>();
    })
    .expect("parses");
    assert_eq!(want.0, rows.len(), "run_each gives run's rows");
    g.bench_function("run_each_20MB", |b| {
        b.iter(|| {
            let (mut n, mut bytes) = (0usize, 0usize);
            t.run_each(&text, |row| {
                n += 1;
                bytes += row
                    .values()
                    .map(|v| v.as_str().map_or(0, str::len))
                    .sum::<usize>();
            })
            .expect("parses");
            assert_eq!((n, bytes), want);
            n
        })
    });
    g.bench_function("index_parse_20MB", |b| {
        b.iter(|| {
            idx.parse("cisco_ios", "show ip route", &text)
                .expect("parses")
                .len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
