//! ipmi-sel: SEL decoding and polling a fleet of simulated BMCs.
//!
//! `cargo bench -p netops-benches --bench ipmi_fleet`
//! The fleet benchmark polls 1,000 simulated Supermicro BMCs (login,
//! SEL_INFO.XML, logout: 3-4 HTTP requests each) with concurrency 100; the
//! simulator runs in its own thread and runtime in the same process.
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use bmc_sim::{self as sim, SimConfig};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ipmi_sel::watch::{self, Inventory};

fn decode(c: &mut Criterion) {
    let recs: Vec<[u8; 16]> = (0..1000)
        .flat_map(|i| sim::fixture_records(i, 12))
        .collect();
    let xml = sim::render_sel_xml(&recs[..1000]);
    let mut g = c.benchmark_group("ipmi_decode");
    g.throughput(Throughput::Elements(recs.len() as u64));
    g.bench_function("decode_records_to_events", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for r in &recs {
                let e = ipmi_sel::Event::from_record(&ipmi_sel::SelRecord::decode(*r));
                n += e.description.len();
            }
            black_box(n)
        })
    });
    g.throughput(Throughput::Elements(1000));
    g.bench_function("parse_sel_info_xml_1000_records", |b| {
        b.iter(|| {
            black_box(
                ipmi_sel::parse::parse_sel_xml(black_box(&xml), "bench")
                    .unwrap()
                    .len(),
            )
        })
    });
    g.finish();
}

fn fleet(c: &mut Criterion) {
    const N: usize = 1000;
    let srv = sim::spawn(
        SimConfig {
            count: N,
            ..SimConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "ADMIN\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let text = sim::inventory_toml(srv.addr, N, "UNUSED", 100)
        .replace("password_env = \"UNUSED\"", "password_file = \"pw\"");
    let inv_path = dir.path().join("fleet.toml");
    std::fs::write(&inv_path, text).unwrap();
    let inv = Inventory::load(&inv_path).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("ipmi_fleet");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("fetch_1000_bmcs_concurrency_100", |b| {
        b.iter(|| {
            let r = rt.block_on(watch::fetch_all(&inv, Arc::new(|_: &str| {})));
            assert!(r.iter().all(|(_, x)| x.is_ok()));
            black_box(r.len())
        })
    });
    g.finish();
    srv.stop();
}

criterion_group!(benches, decode, fleet);
criterion_main!(benches);
