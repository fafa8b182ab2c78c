//! The writer against real devices: a full disk (`/dev/full`) and a pipe
//! whose reader went away. (The binaries' own tests run the same cases
//! through a whole process: `bins/tls-audit/tests/cli.rs`.)

use std::io::{self, Read};

use netops_cli::{Finished, Format, TableStyle, Value, Writer, columns, exit};

fn fill(w: &mut Writer<impl io::Write>, n: u32) {
    for i in 0..n {
        w.row(&[
            Value::U64(u64::from(i)),
            "some text, quoted \"here\"".into(),
        ]);
    }
}

#[test]
fn dev_full_is_a_reported_failure_with_exit_3() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full on this system");
        return;
    };
    for format in [Format::Table, Format::Csv, Format::Jsonl, Format::Json] {
        let mut w = Writer::new(
            format,
            columns(&["n", "text"]),
            io::BufWriter::new(full.try_clone().unwrap()),
        );
        fill(&mut w, 5);
        let f = w.finish();
        let Finished::Failed(e) = f else {
            panic!("{format:?}: {f:?}");
        };
        assert_eq!(e.io().raw_os_error(), Some(28), "{format:?}: ENOSPC");
        assert!(
            e.to_string()
                .starts_with("cannot write the output: No space left on device"),
            "{e}"
        );
        assert_eq!(Finished::Failed(e).code(exit::OK), exit::USAGE);
    }
}

#[test]
fn dev_full_failure_is_found_before_finish_once_the_buffer_spills() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full on this system");
        return;
    };
    let mut w = Writer::new(Format::Table, columns(&["n", "text"]), full)
        .table_style(TableStyle::new().sample(10));
    fill(&mut w, 100);
    assert!(w.is_failed(), "a streaming table writes before finish");
    assert!(matches!(w.finish(), Finished::Failed(_)));
}

#[test]
fn closed_pipe_is_quiet_and_keeps_the_status() {
    for format in [Format::Table, Format::Csv, Format::Jsonl, Format::Json] {
        let (reader, writer) = io::pipe().unwrap();
        drop(reader);
        let mut w = Writer::new(format, columns(&["n", "text"]), writer);
        fill(&mut w, 1000);
        let f = w.finish();
        assert!(matches!(f, Finished::Closed), "{format:?}: {f:?}");
        assert_eq!(f.code(exit::FOUND), exit::FOUND);
    }
}

#[test]
fn reader_that_stops_early_closes_the_pipe() {
    // `tool | head -c 100`: the reader takes a little, then goes away.
    let (mut reader, writer) = io::pipe().unwrap();
    let head = std::thread::spawn(move || {
        let mut buf = [0u8; 100];
        reader.read_exact(&mut buf).unwrap();
        buf
    });
    let mut w = Writer::new(Format::Csv, columns(&["n", "text"]), writer);
    // More than the pipe holds: the writer blocks until the reader took
    // its 100 bytes and left, then gets EPIPE.
    fill(&mut w, 100_000);
    assert!(w.is_failed());
    assert!(matches!(w.finish(), Finished::Closed));
    let first = head.join().unwrap();
    assert_eq!(&first[..7], b"n,text\n");
}
