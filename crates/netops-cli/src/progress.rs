//! The progress-bar policy: a bar on standard error only when standard
//! error is a terminal and the user did not ask for quiet. Standard output
//! is never touched, so rows piped elsewhere stay clean.

use std::fmt::Display;
use std::io::IsTerminal;

/// A progress bar, or nothing when the policy says no bar. Cheap to clone
/// and `Send + Sync`: workers can call [`Progress::inc`] directly.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// Whether a bar would be shown: not `quiet` and standard error is a
    /// terminal.
    pub fn wanted(quiet: bool) -> bool {
        !quiet && std::io::stderr().is_terminal()
    }

    /// No bar.
    pub fn hidden() -> Progress {
        Progress { bar: None }
    }

    /// A bar over `total` bytes (the sizes of the input files), if
    /// [`Progress::wanted`].
    pub fn bytes(total: u64, quiet: bool) -> Progress {
        Self::styled(
            total,
            quiet,
            "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, {eta})",
        )
    }

    /// A bar over the summed sizes of `files` (those that can be read; a
    /// file that cannot is reported by the scan itself), if
    /// [`Progress::wanted`].
    pub fn files<P: AsRef<std::path::Path>>(files: &[P], quiet: bool) -> Progress {
        let total = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        Self::bytes(total, quiet)
    }

    /// A bar over `total` items of `unit` (e.g. `hosts`), if
    /// [`Progress::wanted`].
    pub fn count(total: u64, unit: &str, quiet: bool) -> Progress {
        let unit = unit.replace(['{', '}'], "");
        Self::styled(
            total,
            quiet,
            &format!("{{bar:40}} {{pos}}/{{len}} {unit} {{elapsed}}"),
        )
    }

    fn styled(total: u64, quiet: bool, template: &str) -> Progress {
        if !Self::wanted(quiet) {
            return Progress::hidden();
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Progress { bar: Some(bar) }
    }

    /// Advances by `n`.
    pub fn inc(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    /// Prints `PROGRAM: MESSAGE` on standard error above the bar.
    pub fn warn(&self, msg: impl Display) {
        match &self.bar {
            Some(b) => b.suspend(|| crate::exit::warn(msg)),
            None => crate::exit::warn(msg),
        }
    }

    /// Removes the bar (call before printing a final summary).
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }

    /// Whether a bar is shown.
    pub fn is_visible(&self) -> bool {
        self.bar.is_some()
    }

    /// The indicatif bar, for a tool that draws more (messages, several
    /// bars in an `indicatif::MultiProgress`).
    pub fn bar(&self) -> Option<&indicatif::ProgressBar> {
        self.bar.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_means_no_bar() {
        let p = Progress::bytes(100, true);
        assert!(!p.is_visible());
        p.inc(5); // no bar: nothing happens, nothing panics
        p.finish();
        assert!(!Progress::count(3, "hosts", true).is_visible());
        assert!(!Progress::wanted(true));
    }

    #[test]
    fn no_bar_when_stderr_is_not_a_terminal() {
        // Under `cargo test` standard error is captured or piped.
        if !std::io::stderr().is_terminal() {
            assert!(!Progress::bytes(100, false).is_visible());
        }
    }
}
