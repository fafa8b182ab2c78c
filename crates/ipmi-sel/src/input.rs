//! What a `decode` argument is (a file, `-` for stdin, or hex records typed
//! on the command line) and reading it into [`Event`]s.
//!
//! ```
//! use ipmi_sel::input::Input;
//! let i = Input::classify("020002124c015d33000413006fa58012").unwrap();
//! assert!(matches!(i, Input::Hex(_)));
//! assert_eq!(i.read().unwrap()[0].description, "PCI SERR @Bus80(DevFn12)");
//! ```

use std::io::Read;
use std::path::PathBuf;

use crate::error::Error;
use crate::event::Event;
use crate::parse;

/// Largest saved input read, bytes: 64 MiB. The biggest real one, a full
/// SEL (65,534 records) as Redfish JSON, is about 35 MB; past the cap the
/// read stops (`decode /dev/zero` ends with an error, not out of memory).
pub const MAX_INPUT_BYTES: u64 = 64 << 20;

/// Read at most [`MAX_INPUT_BYTES`] from `r`; more is an error naming
/// `origin`.
pub fn read_capped(r: impl Read, origin: &str) -> Result<Vec<u8>, Error> {
    let mut b = Vec::new();
    r.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut b)
        .map_err(|e| Error::io(origin, e))?;
    if b.len() as u64 > MAX_INPUT_BYTES {
        return Err(Error::Parse {
            origin: origin.into(),
            detail: format!(
                "larger than {MAX_INPUT_BYTES} bytes, the most a saved SEL can take (a full SEL is about 35 MB even as Redfish JSON); this is not a SEL"
            ),
        });
    }
    Ok(b)
}

/// One `decode` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// `-`: read standard input (kind sniffed from content).
    Stdin,
    /// An existing file (kind sniffed from content).
    File(PathBuf),
    /// Hex records given directly (32 hex digits per record).
    Hex(String),
}

impl Input {
    /// Classify an argument: `-` is stdin, an existing path is a file, text
    /// that [looks like hex records](looks_hex) is hex. Anything else is an
    /// [`Error::Parse`] naming the argument.
    pub fn classify(arg: &str) -> Result<Input, Error> {
        if arg == "-" {
            Ok(Input::Stdin)
        } else if std::path::Path::new(arg).exists() {
            Ok(Input::File(PathBuf::from(arg)))
        } else if looks_hex(arg) {
            Ok(Input::Hex(arg.to_string()))
        } else {
            Err(Error::Parse {
                origin: arg.to_string(),
                detail: "no such file, and not hex records (32 hex digits per record)".into(),
            })
        }
    }

    /// Read and decode the input. Errors name the file, `<stdin>` or
    /// `argument`. Each event names its file ([`Event::file`]: the path as
    /// given, `-` for stdin; none for hex arguments).
    pub fn read(&self) -> Result<Vec<Event>, Error> {
        let mut evs = self.read_events()?;
        let file = match self {
            Input::Stdin => Some("-".to_string()),
            Input::File(p) => Some(p.display().to_string()),
            Input::Hex(_) => None,
        };
        if file.is_some() {
            for e in &mut evs {
                e.file.clone_from(&file);
            }
        }
        Ok(evs)
    }

    fn read_events(&self) -> Result<Vec<Event>, Error> {
        match self {
            Input::Stdin => {
                let b = read_capped(std::io::stdin().lock(), "<stdin>")?;
                parse::parse_any(&b, "<stdin>")
            }
            Input::File(p) => {
                let name = p.display().to_string();
                let f = std::fs::File::open(p).map_err(|e| Error::io(p, e))?;
                let b = read_capped(f, &name)?;
                parse::parse_any(&b, &name)
            }
            Input::Hex(s) => parse::parse_hex(s, "argument"),
        }
    }
}

/// Does a command-line argument look like hex records: at least 32 hex
/// digits, and nothing but hex digits and the separators ` : - , x X`?
pub fn looks_hex(s: &str) -> bool {
    let digits = s.bytes().filter(u8::is_ascii_hexdigit).count();
    digits >= 32
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() || matches!(b, b' ' | b':' | b'-' | b',' | b'x' | b'X'))
}

/// [`Input::classify`] then [`Input::read`].
pub fn decode_arg(arg: &str) -> Result<Vec<Event>, Error> {
    Input::classify(arg)?.read()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_each_kind() {
        assert_eq!(Input::classify("-").unwrap(), Input::Stdin);
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sel.bin");
        std::fs::write(&p, [0u8; 16]).unwrap();
        assert_eq!(
            Input::classify(p.to_str().unwrap()).unwrap(),
            Input::File(p.clone())
        );
        let hex = "02:00:02:12:4c:01:5d:33:00:04:13:00:6f:a5:80:12";
        assert_eq!(Input::classify(hex).unwrap(), Input::Hex(hex.to_string()));
        let e = Input::classify("nosuchfile.xml").unwrap_err().to_string();
        assert!(
            e.starts_with("nosuchfile.xml: no such file, and not hex records"),
            "{e}"
        );
        // Too short to be a record, and not hex.
        assert!(Input::classify("0200").is_err());
        assert!(Input::classify("zz02002124c015d33000413006fa58012").is_err());
    }

    #[test]
    fn file_errors_name_the_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("empty.bin");
        std::fs::write(&p, b"").unwrap();
        let e = decode_arg(p.to_str().unwrap()).unwrap_err().to_string();
        assert!(e.contains("empty.bin"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn classify_never_panics(s in "\\PC{0,80}") {
            if let Ok(Input::Hex(h)) = Input::classify(&s) {
                let _ = Input::Hex(h).read();
            }
        }
    }
}
