//! CLI drivers: what differs between Cisco-like appliance CLIs.
//!
//! A [`Driver`] describes prompts, the commands for paging, enable,
//! configuration mode and saving, and the questions the CLI may ask. The
//! session logic in [`crate::session`] is shared; a new CLI is a new driver.

use regex::Regex;

/// The CLI mode a prompt shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Unprivileged (`host >`).
    User,
    /// Privileged (`host #`).
    Enable,
    /// Configuration (`host (config) #`).
    Config,
    /// Maintenance configuration (`(maintenance) host (configuration) #`).
    Maintenance,
}

/// What a Cisco-like CLI looks like.
pub trait Driver: Send + Sync + std::fmt::Debug {
    /// Short name (`endaceos`).
    fn name(&self) -> &'static str;
    /// Matches any prompt of this CLI at the end of the received text, with
    /// a capture group named `host` for the host name.
    fn any_prompt(&self) -> &Regex;
    /// A regex matching this host's prompts only, at the end of the text.
    fn host_prompt(&self, host: &str) -> Regex;
    /// The mode a prompt line shows.
    fn mode_of(&self, prompt: &str) -> Mode;
    /// Commands that turn paging off (sent once after login, in enable mode).
    fn paging_off(&self) -> &'static [&'static str];
    /// The command that enters enable mode.
    fn enable_command(&self) -> &'static str {
        "enable"
    }
    /// The password question `enable` may ask.
    fn enable_password_prompt(&self) -> &Regex;
    /// The command that enters configuration mode.
    fn config_command(&self) -> &'static str {
        "configure terminal"
    }
    /// The command that leaves configuration mode.
    fn exit_config_command(&self) -> &'static str {
        "exit"
    }
    /// The command that saves the configuration (configuration mode).
    fn save_command(&self) -> &'static str;
    /// Questions the CLI may ask before proceeding, and the answer that proceeds.
    fn confirm(&self) -> (&Regex, &'static str);
    /// Lines of output that mean the command failed.
    fn error_line(&self) -> &Regex;
}

/// The EndaceOS driver.
#[derive(Debug)]
pub struct EndaceOs {
    any: Regex,
    enable_pw: Regex,
    confirm: Regex,
    error: Regex,
}

impl Default for EndaceOs {
    fn default() -> Self {
        Self {
            // `host >`, `host #`, `host (config) #`, `(maintenance) host (configuration) #`
            any: Regex::new(
                r"(?:\((?:maintenance)\) )?(?P<host>[A-Za-z0-9][A-Za-z0-9._-]*) (?:>|#|\(config\) #|\(configuration\) #|\(config[a-z-]*\) #) ?$",
            )
            .expect("static regex"),
            enable_pw: Regex::new(r"(?i)password: ?$").expect("static regex"),
            confirm: Regex::new(r"(?i)(?:\(YES/no\)|\[yes/no\]|\(yes/no\)) ?[:?]? ?$")
                .expect("static regex"),
            error: Regex::new(r"(?m)^% .*$").expect("static regex"),
        }
    }
}

impl Driver for EndaceOs {
    fn name(&self) -> &'static str {
        "endaceos"
    }
    fn any_prompt(&self) -> &Regex {
        &self.any
    }
    fn host_prompt(&self, host: &str) -> Regex {
        let h = regex::escape(host);
        Regex::new(&format!(
            r"(?:^|\n)(?:\(maintenance\) )?{h} (?:>|#|\(config\) #|\(configuration\) #|\(config[a-z-]*\) #) ?$"
        ))
        .expect("escaped host name makes a valid regex")
    }
    fn mode_of(&self, prompt: &str) -> Mode {
        let p = prompt.trim_end();
        if p.starts_with("(maintenance)") {
            Mode::Maintenance
        } else if p.ends_with(") #") {
            Mode::Config
        } else if p.ends_with('#') {
            Mode::Enable
        } else {
            Mode::User
        }
    }
    fn paging_off(&self) -> &'static [&'static str] {
        &["no cli session paging enable"]
    }
    fn enable_password_prompt(&self) -> &Regex {
        &self.enable_pw
    }
    fn save_command(&self) -> &'static str {
        "configuration write"
    }
    fn confirm(&self) -> (&Regex, &'static str) {
        (&self.confirm, "YES")
    }
    fn error_line(&self) -> &Regex {
        &self.error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_and_modes() {
        let d = EndaceOs::default();
        for (text, host, mode) in [
            ("banner\r\nprobe-01 > ", "probe-01", Mode::User),
            ("x\nprobe-01 # ", "probe-01", Mode::Enable),
            ("probe-01 (config) # ", "probe-01", Mode::Config),
            (
                "\n(maintenance) probe.lab-2 (configuration) # ",
                "probe.lab-2",
                Mode::Maintenance,
            ),
        ] {
            let text = text.replace('\r', "");
            let c = d
                .any_prompt()
                .captures(&text)
                .unwrap_or_else(|| panic!("{text:?}"));
            assert_eq!(&c["host"], host);
            let line = text.rsplit('\n').next().unwrap();
            assert_eq!(d.mode_of(line), mode, "{line:?}");
            assert!(d.host_prompt(host).is_match(&text));
            assert!(!d.host_prompt("other").is_match(&text));
        }
        // Output that merely contains a '#' mid-line is not a prompt.
        assert!(
            !d.any_prompt()
                .is_match("probe-01 # show packages\nName  Version")
        );
        assert!(!d.any_prompt().is_match("a line with # inside"));
        assert!(
            d.confirm()
                .0
                .is_match("Enter configuration mode anyway? (YES/no) ")
        );
        assert!(
            d.error_line()
                .is_match("ok\n% Unrecognized command \"foo\".\n")
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        #[test]
        fn prompt_detection_never_panics(text in "\\PC{0,200}", host in "\\PC{0,30}") {
            let d = EndaceOs::default();
            if let Some(c) = d.any_prompt().captures(&text) {
                // A host name captured from a prompt yields a host regex that
                // recognises a fresh prompt line for it.
                let h = c["host"].to_string();
                let line = format!("out\n{h} # ");
                proptest::prop_assert!(d.host_prompt(&h).is_match(&line));
            }
            let _ = d.host_prompt(&host).is_match(&text);
            let _ = d.mode_of(&text);
        }
    }
}
