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
//! Rows get a `device` column (the inventory name) in front of the template's
//! values. Column names are snake_case (docs/CLI-CONTRACT.md): with the
//! shipped templates the capacity report's columns, `device, rot_file_name,
//! user_size_limit_gb, ...`; with the user's templates their value names
//! (`TotalCapacity` becomes `total_capacity`).
//!
//! Templates written for netmiko work unchanged: each template reads the
//! command output with the prompt line in front
//! (`probe-01 # show files system`, see [`prompt_line`]), as netmiko users
//! feed TextFSM the output with the prompt that `find_prompt()` returned. A
//! template with its own `Device` value (any case; the usual first rule is
//! `^${Device} #`) fills the `Device` column itself; rows where it stays
//! empty get the inventory name. The header then holds `device` once.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::error::Error;
use crate::fleet::{Done, HostResult, Status};
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
    /// Report headers (snake_case) for the shipped template's values.
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
            "filesystem",
            "total_capacity_gb",
            "used_capacity_gb",
            "usable_capacity_gb",
            "free_capacity_gb",
        ],
    },
    TableDef {
        name: "rotation_file",
        command: "show erfstream rotation-file",
        file: "endace_show_erfstream_rotation_file.textfsm",
        shipped: include_str!("../templates/endace_show_erfstream_rotation_file.textfsm"),
        headers: &[
            "rot_file_name",
            "user_size_limit_gb",
            "actual_size_limit_gb",
            "disk_usage_gb",
            "vision_retention_time",
            "vision_size_gb",
            "current_size_gb",
            "source",
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
    /// `device` + value headers, snake_case.
    pub header: Vec<String>,
    /// Index of the template's own `Device` value (netmiko-style templates),
    /// which then fills the `Device` column.
    pub device: Option<usize>,
}

impl Table {
    /// The output row for one parsed row of `host`: `Device` first, then
    /// the values (without the template's own `Device` value, which fills
    /// the `Device` column when it is not empty).
    pub fn record(&self, host: &str, row: &[String]) -> Vec<String> {
        let mut rec = Vec::with_capacity(row.len() + 1);
        match self.device {
            Some(i) => {
                let dev = row.get(i).filter(|d| !d.is_empty()).map_or(host, |d| d);
                rec.push(dev.to_string());
                rec.extend(
                    row.iter()
                        .enumerate()
                        .filter(|&(k, _)| k != i)
                        .map(|(_, v)| v.clone()),
                );
            }
            None => {
                rec.push(host.to_string());
                rec.extend(row.iter().cloned());
            }
        }
        rec
    }
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
        let device = names.iter().position(|n| n.eq_ignore_ascii_case("device"));
        let mut header = vec!["device".to_string()];
        if names == shipped_names.as_slice() && names.len() == def.headers.len() {
            header.extend(def.headers.iter().map(|s| s.to_string()));
        } else {
            header.extend(
                names
                    .iter()
                    .enumerate()
                    .filter(|&(k, _)| Some(k) != device)
                    .map(|(_, n)| netops_cli::snake_case(n)),
            );
        }
        out.push(Table {
            def: def.clone(),
            template: Arc::new(template),
            header,
            device,
        });
    }
    Ok(out)
}

/// The line a template sees before the command output: the prompt the
/// command was typed at and the command, as on the device's screen
/// (`probe-01 # show files system`).
pub fn prompt_line(prompt: &str, command: &str) -> String {
    format!("{} {command}\n", prompt.trim())
}

/// Parse one command's output, as [`collect`] does: the [`prompt_line`]
/// first, then the output (netmiko-style templates read the device name
/// from it).
pub fn parse_output(table: &Table, prompt: &str, output: &str) -> Result<Vec<Vec<String>>, String> {
    let mut text = prompt_line(prompt, table.def.command);
    text.push_str(output);
    parse_rows(table, &text)
}

/// Parse text into rows (values as text, in template order).
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
    /// table name -> rows, the template's values in its order (see
    /// [`Table::record`] for the output row).
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
        let prompt = s.prompt().to_string();
        match s.send_command(tb.def.command).await {
            Ok(out) => match parse_output(tb, &prompt, &out) {
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

/// Write one CSV per table (`<out>/<table>.csv`) with a `device` column. Returns the paths.
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
                w.write_record(tb.record(host, row))?;
            }
        }
        w.flush()?;
        paths.push(p);
    }
    Ok(paths)
}

/// The same as JSON objects: `{table: [{device: .., header: value, ..}]}`.
pub fn to_json(tables: &[Table], per_host: &[(String, Collected)]) -> serde_json::Value {
    let mut obj = serde_json::Map::new();
    for tb in tables {
        let mut rows = Vec::new();
        for (host, c) in per_host {
            for row in c.tables.get(tb.def.name).into_iter().flatten() {
                let m: serde_json::Map<String, serde_json::Value> = tb
                    .header
                    .iter()
                    .cloned()
                    .zip(tb.record(host, row).into_iter().map(Into::into))
                    .collect();
                rows.push(serde_json::Value::Object(m));
            }
        }
        obj.insert(tb.def.name.to_string(), rows.into());
    }
    serde_json::Value::Object(obj)
}

/// `endace collect --format json`: `{"tables": ..., "results": ...}`, the
/// tables as [`to_json`] and the per-host results without their data.
pub fn report_json(tables: &[Table], results: &[HostResult<Collected>]) -> serde_json::Value {
    let per_host = per_host(results);
    let summary: Vec<HostResult<()>> = results
        .iter()
        .map(|r| HostResult {
            host: r.host.clone(),
            status: r.status,
            message: r.message.clone(),
            seconds: r.seconds,
            data: None,
        })
        .collect();
    serde_json::json!({ "tables": to_json(tables, &per_host), "results": summary })
}

/// The collected data of the hosts that have some, in result order.
pub fn per_host(results: &[HostResult<Collected>]) -> Vec<(String, Collected)> {
    results
        .iter()
        .filter_map(|r| Some((r.host.clone(), r.data.clone()?)))
        .collect()
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
        assert_eq!(t.header[0], "device");
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
            "device,rot_file_name,user_size_limit_gb,actual_size_limit_gb,disk_usage_gb,vision_retention_time,vision_size_gb,current_size_gb,source"
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
        assert_eq!(t[0].header, vec!["device", "free"]);
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
            "device,filesystem,total_capacity_gb,used_capacity_gb,usable_capacity_gb,free_capacity_gb\nprobe-01,,3985.21,3850.10,3900.00,135.11\n"
        );
        let j = to_json(&t, &[("probe-01".into(), c)]);
        assert_eq!(j["files_system"][0]["device"], "probe-01");
        assert_eq!(j["files_system"][0]["free_capacity_gb"], "135.11");
        assert_eq!(j["rotation_file"].as_array().unwrap().len(), 0);
    }

    /// The field notes' template, written for netmiko.
    const NETMIKO_TEMPLATE: &str = "Value Filldown Device (\\S+)\nValue Required TotalCapacity (\\d+.?\\d*)\nValue UsedCapacity (\\d+.?\\d*)\nValue UsableCapacity (\\d+.?\\d*)\nValue FreeCapacity (\\d+.?\\d*)\n\nStart\n  ^${Device} #\n  ^\\s+Bytes Total\\s+${TotalCapacity}\n  ^\\s+Bytes Used\\s+${UsedCapacity}\n  ^\\s+Bytes Usable\\s+${UsableCapacity}\n  ^\\s+Bytes Free\\s+${FreeCapacity} -> Record\n";

    #[test]
    fn netmiko_template_reads_device_from_the_prompt_line() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("endace_show_files_system.textfsm"),
            NETMIKO_TEMPLATE,
        )
        .unwrap();
        let t = load_tables(Some(d.path())).unwrap();
        assert_eq!(
            t[0].header,
            [
                "device",
                "total_capacity",
                "used_capacity",
                "usable_capacity",
                "free_capacity"
            ]
        );
        assert_eq!(t[0].device, Some(0));
        // What the session returns: the output without echo and prompt.
        let output = NOTES_SAMPLE.split_once('\n').unwrap().1;
        let rows = parse_output(&t[0], "probe-01 # ", output).unwrap();
        assert_eq!(
            rows,
            vec![vec!["probe-01", "3985.21", "3850.10", "3900.00", "135.11"]]
        );
        let mut c = Collected::default();
        c.tables.insert("files_system".into(), rows);
        // The prompt's name wins over the inventory name; CSV and JSON agree.
        let per_host = [("inventory-name".to_string(), c)];
        let paths = write_csvs(d.path(), &t, &per_host).unwrap();
        assert_eq!(
            std::fs::read_to_string(&paths[0]).unwrap(),
            "device,total_capacity,used_capacity,usable_capacity,free_capacity\nprobe-01,3985.21,3850.10,3900.00,135.11\n"
        );
        let j = to_json(&t, &per_host);
        assert_eq!(j["files_system"][0]["device"], "probe-01");
        assert_eq!(j["files_system"][0]["free_capacity"], "135.11");
        assert_eq!(j["files_system"][0].as_object().unwrap().len(), 5);
    }

    #[test]
    fn an_empty_template_device_falls_back_to_the_inventory_name() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("endace_show_files_system.textfsm"),
            "Value Free (\\S+)\nValue DEVICE (\\S+)\n\nStart\n  ^\\s+Bytes Free\\s+${Free} -> Record\n",
        )
        .unwrap();
        let t = load_tables(Some(d.path())).unwrap();
        assert_eq!(t[0].header, ["device", "free"]);
        let rows = parse_output(&t[0], "x >", "    Bytes Free  1.5\n").unwrap();
        assert_eq!(t[0].record("probe-07", &rows[0]), ["probe-07", "1.5"]);
    }

    #[test]
    fn shipped_templates_ignore_the_prompt_line() {
        let t = tables();
        let output = NOTES_SAMPLE.split_once('\n').unwrap().1;
        assert_eq!(
            parse_output(&t[0], "probe-01 #", output).unwrap(),
            parse_rows(&t[0], NOTES_SAMPLE).unwrap()
        );
        assert_eq!(t[0].device, None);
        assert_eq!(
            prompt_line("\nprobe-01 # ", "show x"),
            "probe-01 # show x\n"
        );
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
