//! Issue 17: `decode a b c` names each record's file (table FILE column,
//! `file` in CSV and JSON Lines, also for a single file), and the table and
//! CSV carry the sensor's name (SENSOR / `sensor_name`) as JSON Lines do,
//! for files and for fetched hosts of the ipmi and web kinds.

use std::process::Command;

use bmc_sim::lan::{LanBmc, spawn_lan_blocking};

const BIN: &str = env!("CARGO_BIN_EXE_ipmi-sel");
const PW: &str = "columns-Pa55";
const NOTES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/ipmi/supermicro_sel_info_notes.xml"
);

fn run(args: &[&str]) -> String {
    let o = Command::new(BIN)
        .args(args)
        .env("COLUMNS_PW", PW)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
    String::from_utf8(o.stdout).unwrap()
}

fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let head: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            head.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

#[test]
fn decode_names_the_file_of_every_record_in_every_format() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a.hex");
    std::fs::write(&a, "020002124c015d33000413006fa58012\n").unwrap();
    let b = d.path().join("b.hex");
    std::fs::write(
        &b,
        "0100029e40c45c20000405516ff0ffff\n0300021fe3035d200004c8ff6fa0ffff\n",
    )
    .unwrap();
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let args = |f: &'static str| ["decode", "--format", f, a, b, NOTES];
    let want_files = |n_notes: usize| {
        let mut v = vec![a.to_string(), b.to_string(), b.to_string()];
        v.extend(std::iter::repeat_n(NOTES.to_string(), n_notes));
        v
    };

    let jl: Vec<serde_json::Value> = run(&args("jsonl"))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let n_notes = jl.len() - 3;
    assert!(n_notes > 0);
    let files: Vec<String> = jl
        .iter()
        .map(|v| v["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(files, want_files(n_notes));

    let rows = csv_rows(&run(&args("csv")));
    let files: Vec<String> = rows.iter().map(|r| r["file"].clone()).collect();
    assert_eq!(files, want_files(n_notes));
    // The XML's SENSOR_ID is in the CSV now, as in JSON Lines.
    assert_eq!(
        rows[3]["sensor_name"],
        jl[3]["sensor_name"].as_str().unwrap()
    );
    assert!(rows.iter().any(|r| r["sensor_name"] == "Chassis Intru"));

    let table = run(&args("table"));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("file "), "{table}");
    assert!(lines[0].contains(" sensor_name "), "{table}");
    assert!(lines[1].starts_with(a), "{table}");
    assert!(
        lines[2].starts_with(b) && lines[3].starts_with(b),
        "{table}"
    );
    assert!(lines[4].starts_with(NOTES), "{table}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(NOTES) && l.contains("Chassis Intru")),
        "{table}"
    );

    // One file: the column stays (one schema); stdin is `-`.
    let one = run(&["decode", "--format", "csv", a]);
    assert_eq!(csv_rows(&one)[0]["file"], a);
    let o = Command::new(BIN)
        .args(["decode", "--format", "jsonl", "-"])
        .stdin(std::fs::File::open(b).unwrap())
        .output()
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&o.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(v["file"], "-");
}

#[test]
fn fetched_rows_carry_sensor_names_in_table_and_csv() {
    let (_rt, fleet) =
        spawn_lan_blocking(vec![LanBmc::new(PW, bmc_sim::fixture_records(0, 6))]).unwrap();
    let url = fleet.url(0);
    let base = [
        "fetch",
        "--kind",
        "ipmi",
        "--url",
        &url,
        "--user",
        "admin",
        "--password-env",
        "COLUMNS_PW",
    ];
    let rows = csv_rows(&run(&[&base[..], &["--format", "csv"]].concat()));
    assert_eq!(rows[0]["sensor_name"], "Chassis Intru");
    assert_eq!(rows[6]["sensor_name"], "PCI Bus");
    assert_eq!(rows[0]["file"], "");
    let table = run(&base);
    let head = table.lines().next().unwrap();
    assert!(
        head.starts_with("host ") && head.contains(" sensor_name "),
        "{table}"
    );
    assert!(
        table.contains("Chassis Intru") && table.contains("PCI Bus"),
        "{table}"
    );

    // The web kind: SENSOR_ID of the CGI answer.
    let cfg = bmc_sim::SimConfig {
        count: 1,
        password: PW.into(),
        ..Default::default()
    };
    let sim = bmc_sim::spawn(cfg, "127.0.0.1:0".parse().unwrap()).unwrap();
    let u = sim.url(0);
    let table = run(&["fetch", "--url", &u, "--password-env", "COLUMNS_PW"]);
    assert!(
        table.lines().next().unwrap().contains(" sensor_name "),
        "{table}"
    );
    let rows = csv_rows(&run(&[
        "fetch",
        "--url",
        &u,
        "--password-env",
        "COLUMNS_PW",
        "--format",
        "csv",
    ]));
    assert!(
        rows.iter().any(|r| !r["sensor_name"].is_empty()),
        "{rows:?}"
    );
}
