//! `endace collect`: capacity tables parsed with `fsm-parse` (TextFSM) templates.
//!
//! Two tables, each from one command and one template shipped inside the
//! crate (replaceable with a file of the same name in `--templates DIR`):
//!
//! | table | command | template file |
//! |---|---|---|
//! | `files_system` | `show files system` | `endace_show_files_system.textfsm` |
//! | `rotation_file` | `show erfstream rotation-file` | `endace_show_erfstream_rotation_file.textfsm` |
//!
//! Rows get a `Device` column (the inventory name) in front of the template's
//! values. With the shipped rotation-file template the CSV header is the
//! capacity report's: `Device, Rot File Name, User Size Limit (GB), ...`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::error::Error;
use crate::fleet::{Done, Status};
use crate::jobs::{JobOptions, open_cli, save_transcript};
use crate::session::Target;

/// One table definition.
#[derive(Debug, Clone)]
pub struct TableDef {
    /// Table name (`files_system`), also the CSV file stem.
    pub name: &'static str,
    /// The CLI command.
    pub command: &'static str,
    /// Template file name.
    pub file: &'static str,
    /// Shipped template text.
    pub shipped: &'static str,
    /// Report headers for the shipped template's values.
    pub headers: &'static [&'static str],
}

/// The tables `collect` gathers.
pub const TABLES: &[TableDef] = &[
    TableDef {
        name: "files_system",
        command: "show files system",
        file: "endace_show_files_system.textfsm",
        shipped: include_str!("../templates/endace_show_files_system.textfsm"),
        headers: &[
            "Filesystem",
            "Total Capacity (GB)",
            "Used Capacity (GB)",
            "Usable Capacity (GB)",
            "Free Capacity (GB)",
        ],
    },
    TableDef {
        name: "rotation_file",
        command: "show erfstream rotation-file",
        file: "endace_show_erfstream_rotation_file.textfsm",
        shipped: include_str!("../templates/endace_show_erfstream_rotation_file.textfsm"),
        headers: &[
            "Rot File Name",
            "User Size Limit (GB)",
            "Actual Size Limit (GB)",
            "Disk Usage (GB)",
            "Vision Retention Time",
            "Vision Size (GB)",
            "Current Size (GB)",
            "Source",
        ],
    },
];

/// A compiled table: definition, template, CSV header.
#[derive(Debug, Clone)]
pub struct Table {
    /// Definition.
    pub def: TableDef,
    /// The template in use.
    pub template: Arc<fsm_parse::Template>,
    /// `Device` + value headers.
    pub header: Vec<String>,
}

/// Compile the templates (shipped, or from `dir` when a file of the same name is there).
pub fn load_tables(dir: Option<&Path>) -> Result<Vec<Table>, Error> {
    let mut out = Vec::new();
    for def in TABLES {
        let (text, origin) = match dir.map(|d| d.join(def.file)) {
            Some(p) if p.exists() => {
                let t = std::fs::read_to_string(&p).map_err(|e| Error::Inventory {
                    path: p.display().to_string(),
                    message: format!("cannot read template: {e}"),
                })?;
                (t, p.display().to_string())
            }
            _ => (def.shipped.to_string(), format!("(built-in) {}", def.file)),
        };
        let template = fsm_parse::Template::parse(&text).map_err(|e| Error::Inventory {
            path: origin.clone(),
            message: format!("invalid template: {e}"),
        })?;
        let names = template.value_names();
        let shipped_names = fsm_parse::Template::parse(def.shipped)
            .map(|t| t.value_names().to_vec())
            .unwrap_or_default();
        let mut header = vec!["Device".to_string()];
        if names == shipped_names.as_slice() && names.len() == def.headers.len() {
            header.extend(def.headers.iter().map(|s| s.to_string()));
        } else {
            header.extend(names.iter().cloned());
        }
        out.push(Table {
            def: def.clone(),
            template: Arc::new(template),
            header,
        });
    }
    Ok(out)
}

/// Parse one command's output into rows (values as text).
pub fn parse_rows(table: &Table, output: &str) -> Result<Vec<Vec<String>>, String> {
    let recs = table.template.run(output).map_err(|e| e.to_string())?;
    Ok(recs
        .iter()
        .map(|r| r.values().iter().map(|v| v.to_string()).collect())
        .collect())
}

/// Rows per table for one device.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Collected {
    /// table name -> rows (without the Device column).
    pub tables: BTreeMap<String, Vec<Vec<String>>>,
}

/// Collect every table from one probe.
pub async fn collect(
    t: Target,
    o: JobOptions,
    tables: Arc<Vec<Table>>,
) -> Result<Done<Collected>, Error> {
    let mut s = open_cli(&t, &o).await?;
    let mut c = Collected::default();
    let mut res = Ok(());
    for tb in tables.iter() {
        match s.send_command(tb.def.command).await {
            Ok(out) => match parse_rows(tb, &out) {
                Ok(rows) => {
                    c.tables.insert(tb.def.name.to_string(), rows);
                }
                Err(e) => {
                    res = Err(Error::Step {
                        host: t.name.clone(),
                        step: format!("parse {:?} with {}", tb.def.command, tb.def.file),
                        message: e,
                    });
                    break;
                }
            },
            Err(e) => {
                res = Err(e);
                break;
            }
        }
    }
    save_transcript(&s, &o, "");
    s.close().await;
    res?;
    let n: usize = c.tables.values().map(Vec::len).sum();
    let msg = c
        .tables
        .iter()
        .map(|(k, v)| format!("{k}: {} rows", v.len()))
        .collect::<Vec<_>>()
        .join(", ");
    if n == 0 {
        return Err(Error::Step { host: t.name.clone(), step: "collect".into(), message: "no rows parsed from any command; check the templates against the device output (--transcript-dir)".into() });
    }
    Ok(Done {
        status: Status::Ok,
        message: msg,
        data: Some(c),
    })
}

/// Write one CSV per table (`<out>/<table>.csv`) with a Device column. Returns the paths.
pub fn write_csvs(
    out: &Path,
    tables: &[Table],
    per_host: &[(String, Collected)],
) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(out)?;
    let mut paths = Vec::new();
    for tb in tables {
        let p = out.join(format!("{}.csv", tb.def.name));
        let mut w = csv::Writer::from_path(&p)?;
        w.write_record(&tb.header)?;
        for (host, c) in per_host {
            for row in c.tables.get(tb.def.name).into_iter().flatten() {
                let mut rec = vec![host.clone()];
                rec.extend(row.iter().cloned());
                w.write_record(&rec)?;
            }
        }
        w.flush()?;
        paths.push(p);
    }
    Ok(paths)
}

/// The same as JSON objects: `{table: [{Device: .., header: value, ..}]}`.
pub fn to_json(tables: &[Table], per_host: &[(String, Collected)]) -> serde_json::Value {
    let mut obj = serde_json::Map::new();
    for tb in tables {
        let mut rows = Vec::new();
        for (host, c) in per_host {
            for row in c.tables.get(tb.def.name).into_iter().flatten() {
                let mut m = serde_json::Map::new();
                m.insert(tb.header[0].clone(), host.clone().into());
                for (h, v) in tb.header[1..].iter().zip(row) {
                    m.insert(h.clone(), v.clone().into());
                }
                rows.push(serde_json::Value::Object(m));
            }
        }
        obj.insert(tb.def.name.to_string(), rows.into());
    }
    serde_json::Value::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> Vec<Table> {
        load_tables(None).unwrap()
    }

    /// The sample from the field notes (with its prompt line and `...`).
    const NOTES_SAMPLE: &str = "probe-01 # show files system\n...\n    Bytes Total      3985.21\n    Bytes Used       3850.10\n    Bytes Usable     3900.00\n    Bytes Free       135.11\n";

    #[test]
    fn files_system_notes_sample() {
        let t = &tables()[0];
        let rows = parse_rows(t, NOTES_SAMPLE).unwrap();
        assert_eq!(
            rows,
            vec![vec!["", "3985.21", "3850.10", "3900.00", "135.11"]]
        );
        assert_eq!(t.header[0], "Device");
    }

    #[test]
    fn files_system_two_filesystems() {
        let text = "Filesystem /config:\n    Bytes Total      7.81\n    Bytes Used       1.60\n    Bytes Usable     7.41\n    Bytes Free       5.81\n\nFilesystem /endace:\n    Bytes Total      4485.21\n    Bytes Used       3184.50\n    Bytes Usable     4400.00\n    Bytes Free       1215.50\n";
        let rows = parse_rows(&tables()[0], text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], vec!["/config", "7.81", "1.60", "7.41", "5.81"]);
        assert_eq!(
            rows[1],
            vec!["/endace", "4485.21", "3184.50", "4400.00", "1215.50"]
        );
    }

    #[test]
    fn rotation_file_blocks_with_a_missing_line() {
        let text = "Rotation file: rotfile_main\n  User size limit:        2000 GB\n  Actual size limit:      2000 GB\n  Disk usage:             1991.25 GB\n  Vision retention time:  4d 23:38:09\n  Vision size:            12.15 GB\n  Current size:           1991.00 GB\n  Source:                 dag0:0 (stream 0)\n\nRotation file: rotfile_voip\n  User size limit:        1500 GB\n  Actual size limit:      1500 GB\n  Current size:           1490.10 GB\n";
        let t = &tables()[1];
        let rows = parse_rows(t, text).unwrap();
        assert_eq!(
            rows[0],
            vec![
                "rotfile_main",
                "2000",
                "2000",
                "1991.25",
                "4d 23:38:09",
                "12.15",
                "1991.00",
                "dag0:0 (stream 0)"
            ]
        );
        assert_eq!(
            rows[1],
            vec!["rotfile_voip", "1500", "1500", "", "", "", "1490.10", ""]
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(
            t.header.join(","),
            "Device,Rot File Name,User Size Limit (GB),Actual Size Limit (GB),Disk Usage (GB),Vision Retention Time,Vision Size (GB),Current Size (GB),Source"
        );
    }

    #[test]
    fn override_dir_and_bad_template() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("endace_show_files_system.textfsm"),
            "Value Free (\\S+)\n\nStart\n  ^\\s+Bytes Free\\s+${Free} -> Record\n",
        )
        .unwrap();
        let t = load_tables(Some(d.path())).unwrap();
        assert_eq!(t[0].header, vec!["Device", "Free"]);
        assert_eq!(
            parse_rows(&t[0], NOTES_SAMPLE).unwrap(),
            vec![vec!["135.11"]]
        );
        std::fs::write(
            d.path().join("endace_show_files_system.textfsm"),
            "Value X (\n\nStart\n",
        )
        .unwrap();
        let e = load_tables(Some(d.path())).unwrap_err().to_string();
        assert!(
            e.contains("endace_show_files_system.textfsm") && e.contains("invalid template"),
            "{e}"
        );
    }

    #[test]
    fn csv_and_json_have_device_column() {
        let t = tables();
        let mut c = Collected::default();
        c.tables.insert(
            "files_system".into(),
            parse_rows(&t[0], NOTES_SAMPLE).unwrap(),
        );
        let d = tempfile::tempdir().unwrap();
        let paths = write_csvs(d.path(), &t, &[("probe-01".into(), c.clone())]).unwrap();
        let text = std::fs::read_to_string(&paths[0]).unwrap();
        assert_eq!(
            text,
            "Device,Filesystem,Total Capacity (GB),Used Capacity (GB),Usable Capacity (GB),Free Capacity (GB)\nprobe-01,,3985.21,3850.10,3900.00,135.11\n"
        );
        let j = to_json(&t, &[("probe-01".into(), c)]);
        assert_eq!(j["files_system"][0]["Device"], "probe-01");
        assert_eq!(j["files_system"][0]["Free Capacity (GB)"], "135.11");
        assert_eq!(j["rotation_file"].as_array().unwrap().len(), 0);
    }

    static TABLES_ONCE: std::sync::LazyLock<Vec<Table>> = std::sync::LazyLock::new(tables);

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        #[test]
        fn templates_never_panic(s in "\\PC{0,400}") {
            for t in TABLES_ONCE.iter() {
                let _ = parse_rows(t, &s);
            }
        }
        #[test]
        fn truncated_sample_never_panics(cut in 0usize..200) {
            let s: String = NOTES_SAMPLE.chars().take(cut).collect();
            let _ = parse_rows(&TABLES_ONCE[0], &s);
        }
    }
}
