//! The simulated EndaceOS CLI: one shell session over a probe state directory.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Marker files in a probe state directory that switch faults on.
pub mod fault {
    /// `package install` fails with a signature error.
    pub const INSTALL_FAILS: &str = "fault-install";
    /// `show files system` never returns (command timeout).
    pub const HANG_SHOW: &str = "fault-hang";
    /// After `reload` the probe never comes back.
    pub const NEVER_RETURN: &str = "never-return";
    /// `reload` ends the session but the probe does not reboot.
    pub const RELOAD_IGNORED: &str = "fault-reload-ignored";
    /// Another session holds configuration mode: `configure terminal` asks.
    pub const CONFIG_LOCK: &str = "config-lock";
}

/// The files of one simulated probe.
#[derive(Debug, Clone)]
pub struct ProbeState {
    dir: PathBuf,
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// Package name (file name without `.pkg`).
    pub name: String,
    /// Size of the installed file in bytes.
    pub size: u64,
    /// When (text).
    pub when: String,
}

impl ProbeState {
    /// State in `dir` (created by [`ProbeState::create`]).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Create the layout for probe `hostname`.
    pub fn create(dir: impl Into<PathBuf>, hostname: &str) -> std::io::Result<Self> {
        let s = Self::new(dir);
        std::fs::create_dir_all(s.packages_dir())?;
        std::fs::write(s.dir.join("hostname"), hostname)?;
        if !s.dir.join("installed").exists() {
            std::fs::write(
                s.dir.join("installed"),
                "endaceos-base\t0\t2026-01-12 10:04:11\n",
            )?;
        }
        Ok(s)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// Where uploads land (`/endace/packages` on the probe).
    pub fn packages_dir(&self) -> PathBuf {
        self.dir.join("packages")
    }
    /// The probe host name.
    pub fn hostname(&self) -> String {
        std::fs::read_to_string(self.dir.join("hostname"))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "probe".into())
    }
    /// Is a fault marker present?
    pub fn has(&self, marker: &str) -> bool {
        self.dir.join(marker).exists()
    }
    /// Set or clear a marker file.
    pub fn set(&self, marker: &str, on: bool) -> std::io::Result<()> {
        let p = self.dir.join(marker);
        if on {
            std::fs::write(p, "")
        } else {
            match std::fs::remove_file(p) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        }
    }
    /// Installed packages.
    pub fn installed(&self) -> Vec<Installed> {
        let text = std::fs::read_to_string(self.dir.join("installed")).unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let mut f = l.split('\t');
                Some(Installed {
                    name: f.next()?.to_string(),
                    size: f.next()?.parse().ok()?,
                    when: f.next().unwrap_or("").to_string(),
                })
            })
            .collect()
    }
    /// Number of completed reloads.
    pub fn boots(&self) -> u64 {
        std::fs::read_to_string(self.dir.join("boot-count"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }
    fn used_bytes(&self) -> u64 {
        std::fs::read_dir(self.packages_dir())
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }
}

/// A stable small number from the host name, so each probe has its own figures.
fn seed(host: &str) -> u64 {
    host.bytes().fold(1469598103934665603u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(1099511628211)
    })
}

/// `show files system` for this probe (figures in GB).
pub fn show_files_system(state: &ProbeState) -> String {
    let s = seed(&state.hostname());
    let total = 3985.21 + (s % 8) as f64 * 500.0;
    let pkg_gb = state.used_bytes() as f64 / 1e9;
    let used = total * (0.55 + (s >> 8) as f64 % 40.0 / 100.0) + pkg_gb;
    let usable = total - 85.21;
    let free = usable - used;
    let sys_total = 7.81;
    let sys_used = 1.2 + ((s >> 16) % 100) as f64 / 100.0;
    let mut out = String::new();
    for (fs, t, u, us, f) in [
        (
            "/config",
            sys_total,
            sys_used,
            sys_total - 0.4,
            sys_total - 0.4 - sys_used,
        ),
        ("/endace", total, used, usable, free),
    ] {
        out.push_str(&format!(
            "Filesystem {fs}:\n    Bytes Total      {t:.2}\n    Bytes Used       {u:.2}\n    Bytes Usable     {us:.2}\n    Bytes Free       {f:.2}\n\n"
        ));
    }
    out
}

/// `show erfstream rotation-file`: one block per rotation file.
pub fn show_rotation_files(state: &ProbeState) -> String {
    let s = seed(&state.hostname());
    let n = 1 + (s % 3) as usize;
    let mut out = String::new();
    for i in 0..n {
        let user = [2000u64, 1500, 500][i];
        let actual = user - user % 4; // 4 GB blocks
        let current = actual as f64 - ((s >> (8 + i)) % 97) as f64 / 10.0;
        let disk = current + 0.25;
        let vision = (current * 0.0061 * 100.0).round() / 100.0;
        let ret_s = 86_400 * (1 + (s >> i) % 6) + (s >> (4 * i)) % 86_400;
        out.push_str(&format!(
            "Rotation file: {name}\n  User size limit:        {user} GB\n  Actual size limit:      {actual} GB\n  Disk usage:             {disk:.2} GB\n  Vision retention time:  {d}d {h:02}:{m:02}:{sec:02}\n  Vision size:            {vision:.2} GB\n  Current size:           {current:.2} GB\n  Source:                 {src}\n\n",
            name = ["rotfile_main", "rotfile_voip", "rotfile_mgmt"][i],
            d = ret_s / 86_400,
            h = ret_s % 86_400 / 3600,
            m = ret_s % 3600 / 60,
            sec = ret_s % 60,
            src = ["dag0:0 (stream 0)", "dag0:2 (stream 2)", "dag1:0 (stream 4)"][i],
        ));
    }
    out
}

/// `show packages`.
pub fn show_packages(state: &ProbeState) -> String {
    let mut out = format!("{:<40} {:>12}  {}\n", "Name", "Size", "Installed");
    for p in state.installed() {
        out.push_str(&format!("{:<40} {:>12}  {}\n", p.name, p.size, p.when));
    }
    out
}

/// Now, as `YYYY-MM-DD HH:MM:SS` UTC.
fn now_text() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // civil-from-days (Howard Hinnant)
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    User,
    Enable,
    Config,
    Maintenance,
}

/// Run one CLI session: read lines from `input`, write to `output`.
///
/// `echo`: write the typed line back (when not on a TTY, which echoes itself).
/// Returns when the user exits, input ends, or `reload` is given (then the
/// `reload-request` file is written for the supervisor).
pub fn run_shell<R: BufRead, W: Write>(
    state: &ProbeState,
    mut input: R,
    mut out: W,
    echo: bool,
) -> std::io::Result<()> {
    let host = state.hostname();
    let mut mode = Mode::User;
    let mut paging = true;
    let mut dirty = false;
    writeln!(out, "EndaceOS (simulated) on {host}\r")?;
    loop {
        let prompt = match mode {
            Mode::User => format!("{host} > "),
            Mode::Enable => format!("{host} # "),
            Mode::Config => format!("{host} (config) # "),
            Mode::Maintenance => format!("(maintenance) {host} (configuration) # "),
        };
        write!(out, "{prompt}")?;
        out.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if echo {
            write!(out, "{}\r\n", line.trim_end_matches(['\r', '\n']))?;
        }
        let cmd = line.trim();
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let mut reply = String::new();
        match (mode, words.as_slice()) {
            (_, []) => {}
            (_, ["exit"] | ["quit"]) if mode == Mode::User || mode == Mode::Enable => return Ok(()),
            (Mode::Config | Mode::Maintenance, ["exit"]) => mode = Mode::Enable,
            (Mode::User, ["enable"] | ["en"]) => mode = Mode::Enable,
            (_, ["enable"]) => {}
            (_, ["no", "cli", "session", "paging", "enable"]) => paging = false,
            (_, ["cli", "session", "paging", "enable"]) => paging = true,
            (_, ["show", "version"]) => {
                reply = format!("Product name:      EndaceProbe (simulated)\nProduct release:   EndaceOS 7.2.1\nHostname:          {host}\nBoot count:        {}\n", state.boots());
            }
            (_, ["show", "files", "system"]) => {
                if state.has(fault::HANG_SHOW) {
                    // Never answer: the client's command deadline must fire.
                    std::thread::sleep(Duration::from_secs(3600));
                }
                reply = show_files_system(state);
            }
            (_, ["show", "erfstream", "rotation-file"]) => reply = show_rotation_files(state),
            (_, ["show", "packages"]) => reply = show_packages(state),
            (Mode::User, ["configure", ..] | ["conf", ..]) => {
                reply = "% Command requires enable mode. Type \"enable\" first.\n".into()
            }
            (Mode::Enable, ["configure", "terminal"] | ["conf", "t"]) => {
                if state.has(fault::CONFIG_LOCK) {
                    write!(out, "Another session is in configuration mode. Enter configuration mode anyway? (YES/no) ")?;
                    out.flush()?;
                    let mut ans = String::new();
                    if input.read_line(&mut ans)? == 0 {
                        return Ok(());
                    }
                    if echo {
                        write!(out, "{}\r\n", ans.trim_end())?;
                    }
                    if ans.trim() == "YES" {
                        mode = Mode::Config;
                    } else {
                        reply = "% Not entering configuration mode.\n".into();
                    }
                } else {
                    mode = Mode::Config;
                }
            }
            (Mode::Config | Mode::Maintenance, ["maintenance-mode", "noconfirm"]) => mode = Mode::Maintenance,
            (Mode::Config, ["maintenance-mode"]) => {
                reply = "% Use \"maintenance-mode noconfirm\" to enter maintenance mode without a prompt.\n".into()
            }
            (Mode::Maintenance, ["no", "maintenance-mode"]) => mode = Mode::Config,
            (Mode::Config | Mode::Maintenance, ["configuration", "write"]) | (Mode::Enable | Mode::Config | Mode::Maintenance, ["write", "memory"]) => {
                dirty = false;
                std::fs::write(state.dir().join("config-saved"), now_text())?;
            }
            (Mode::Config, ["package", "install", _]) => {
                reply = "% Package installation requires maintenance mode (maintenance-mode noconfirm).\n".into()
            }
            (Mode::Maintenance, ["package", "install", file]) => {
                reply = install(state, file)?;
                dirty = true;
            }
            (Mode::Enable | Mode::Config | Mode::Maintenance, ["reload"]) => {
                if dirty {
                    // Like the real CLI: unsaved changes are simply lost; say so.
                    reply.push_str("Warning: unsaved configuration changes will be lost.\n");
                }
                reply.push_str("Rebooting...\n");
                write!(out, "{}", reply.replace('\n', "\r\n"))?;
                out.flush()?;
                if !state.has(fault::RELOAD_IGNORED) {
                    std::fs::write(state.dir().join("reload-request"), now_text())?;
                }
                return Ok(());
            }
            (_, ["reload"]) => reply = "% Command requires enable mode.\n".into(),
            (_, _) => reply = format!("% Unrecognized command \"{cmd}\".\nType \"?\" for help.\n"),
        }
        if paging && reply.lines().count() > PAGE_LINES {
            // Like the real CLI with paging on: stop every PAGE_LINES lines
            // until a key (a line, on a cooked TTY) arrives; `q` stops.
            let lines: Vec<&str> = reply.lines().collect();
            for (i, chunk) in lines.chunks(PAGE_LINES).enumerate() {
                for l in chunk {
                    write!(out, "{l}\r\n")?;
                }
                if (i + 1) * PAGE_LINES < lines.len() {
                    write!(out, "--More--")?;
                    out.flush()?;
                    let mut k = String::new();
                    if input.read_line(&mut k)? == 0 {
                        return Ok(());
                    }
                    write!(out, "\r        \r")?;
                    if k.trim() == "q" {
                        break;
                    }
                }
            }
        } else {
            write!(out, "{}", reply.replace('\n', "\r\n"))?;
        }
    }
}

/// Lines per page while paging is on.
pub const PAGE_LINES: usize = 24;

fn install(state: &ProbeState, file: &str) -> std::io::Result<String> {
    if file.contains('/') && !file.starts_with("/endace/packages/") {
        return Ok(format!(
            "% Package file {file} must be in /endace/packages.\n"
        ));
    }
    let base = file.rsplit('/').next().unwrap_or(file);
    let path = state.packages_dir().join(base);
    let Ok(meta) = std::fs::metadata(&path) else {
        return Ok(format!(
            "% Package file /endace/packages/{base} not found.\n"
        ));
    };
    std::thread::sleep(Duration::from_millis(150));
    let head = std::fs::read(&path)
        .map(|b| b.iter().take(7).copied().collect::<Vec<u8>>())
        .unwrap_or_default();
    if state.has(fault::INSTALL_FAILS) || head == b"CORRUPT" {
        return Ok(format!(
            "Installing {base}...\n% Package installation failed: signature verification failed for {base}.\n"
        ));
    }
    let name = base.strip_suffix(".pkg").unwrap_or(base).to_string();
    let mut list: Vec<Installed> = state
        .installed()
        .into_iter()
        .filter(|p| p.name != name)
        .collect();
    list.push(Installed {
        name: name.clone(),
        size: meta.len(),
        when: now_text(),
    });
    let text: String = list
        .iter()
        .map(|p| format!("{}\t{}\t{}\n", p.name, p.size, p.when))
        .collect();
    std::fs::write(state.dir().join("installed"), text)?;
    Ok(format!(
        "Installing {base}...\nPackage {name} installed successfully. Reload to activate.\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(state: &ProbeState, input: &str) -> String {
        let mut out = Vec::new();
        run_shell(state, input.as_bytes(), &mut out, true).unwrap();
        String::from_utf8(out).unwrap().replace('\r', "")
    }

    #[test]
    fn modes_install_and_reload() {
        let d = tempfile::tempdir().unwrap();
        let st = ProbeState::create(d.path(), "probe-07").unwrap();
        std::fs::write(st.packages_dir().join("hf-1.pkg"), b"payload").unwrap();
        let out = run(
            &st,
            "enable\nconfigure terminal\npackage install hf-1.pkg\nmaintenance-mode noconfirm\npackage install hf-1.pkg\nshow packages\nconfiguration write\nreload\nnever read\n",
        );
        assert!(
            out.contains("probe-07 > enable\nprobe-07 # configure terminal\nprobe-07 (config) # "),
            "{out}"
        );
        assert!(out.contains("% Package installation requires maintenance mode"));
        assert!(
            out.contains("(maintenance) probe-07 (configuration) # package install hf-1.pkg\n")
        );
        assert!(out.contains("Package hf-1 installed successfully"));
        assert_eq!(
            st.installed()
                .iter()
                .filter(|p| p.name == "hf-1" && p.size == 7)
                .count(),
            1
        );
        assert!(out.contains("Rebooting..."));
        assert!(!out.contains("never read"));
        assert!(st.dir().join("reload-request").exists());
        assert!(st.dir().join("config-saved").exists());
    }

    #[test]
    fn install_faults_and_config_lock() {
        let d = tempfile::tempdir().unwrap();
        let st = ProbeState::create(d.path(), "p1").unwrap();
        std::fs::write(st.packages_dir().join("bad.pkg"), b"CORRUPT...").unwrap();
        st.set(fault::CONFIG_LOCK, true).unwrap();
        let out = run(
            &st,
            "en\nconf t\nYES\nmaintenance-mode noconfirm\npackage install bad.pkg\npackage install none.pkg\nfoo\n",
        );
        assert!(
            out.contains("Enter configuration mode anyway? (YES/no) YES\n(maintenance)")
                || out.contains("(YES/no) YES\np1 (config) # "),
            "{out}"
        );
        assert!(
            out.contains(
                "% Package installation failed: signature verification failed for bad.pkg."
            )
        );
        assert!(out.contains("% Package file /endace/packages/none.pkg not found."));
        assert!(out.contains("% Unrecognized command \"foo\"."));
        assert_eq!(st.installed().len(), 1);
    }

    #[test]
    fn paging_stops_until_turned_off() {
        let d = tempfile::tempdir().unwrap();
        let st = ProbeState::create(d.path(), "p2").unwrap();
        let many: String = (0..40).map(|i| format!("hf-{i}\t{i}\tx\n")).collect();
        std::fs::write(st.dir().join("installed"), many).unwrap();
        // Paging on: the output stops at --More--; the next line we send is eaten as the key.
        let out = run(&st, "show packages\nq\n");
        assert!(out.contains("--More--"), "{out}");
        assert!(out.contains("hf-22") && !out.contains("hf-39"), "{out}");
        let out = run(&st, "no cli session paging enable\nshow packages\n");
        assert!(!out.contains("--More--") && out.contains("hf-39"), "{out}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn shell_never_panics(input in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let d = tempfile::tempdir().unwrap();
            let st = ProbeState::create(d.path(), "px").unwrap();
            let mut out = Vec::new();
            // Invalid UTF-8 is an I/O error for read_line: must be an Err, not a panic.
            let _ = run_shell(&st, &input[..], &mut out, true);
        }
    }

    #[test]
    fn figures_are_consistent() {
        let d = tempfile::tempdir().unwrap();
        let st = ProbeState::create(d.path(), "probe-03").unwrap();
        let fs = show_files_system(&st);
        let nums: Vec<f64> = fs
            .lines()
            .filter_map(|l| l.split_whitespace().last()?.parse().ok())
            .collect();
        assert_eq!(nums.len(), 8);
        for c in nums.chunks(4) {
            // usable = used + free, used <= total
            assert!((c[2] - c[1] - c[3]).abs() < 0.02, "{fs}");
            assert!(c[1] <= c[0]);
        }
        let rf = show_rotation_files(&st);
        assert!(rf.matches("Rotation file: ").count() >= 1);
        assert_eq!(
            rf.matches("Rotation file: ").count(),
            rf.matches("  Source:").count()
        );
        assert!(now_text().starts_with("20"));
    }
}
