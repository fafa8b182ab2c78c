//! An EndaceOS-like probe simulator, served by a real OpenSSH `sshd`.
//!
//! Each probe is a state directory ([`ProbeState`]) and its own `sshd`
//! (own config, host key, port, pid file) on 127.0.0.1. `sshd` runs the
//! simulator for every session with `ForceCommand`:
//! - shells get the simulated CLI ([`run_shell`]);
//! - the `sftp` subsystem (declared as `internal-sftp`, routed through
//!   `ForceCommand`) runs OpenSSH's own `sftp-server` in a private mount
//!   namespace chrooted so that `/endace/packages` is the probe's
//!   `packages/` directory (needs root, `unshare` and `chroot`).
//!
//! `reload` writes a `reload-request` file and ends the session; the
//! supervisor in [`SimFleet`] then stops that probe's `sshd` and starts it
//! again after the reload delay (never, with the `never-return` fault).
//!
//! Start a fleet from a shell with `endace-probe-sim fleet --dir DIR --count N`.
//! [`start_inproc`] serves the same CLI from an in-process russh server
//! (no root, no `sshd`). Used by the `endace-cli`/`endace` tests and the
//! benchmark; no production package depends on it.
#![deny(missing_docs)]

mod cli;
mod fleet;
mod inproc;

pub use cli::{
    Installed, ProbeState, fault, run_shell, show_files_system, show_packages, show_rotation_files,
};
pub use fleet::{FleetOptions, SimFleet, SimProbe, serve_session, unavailable_reason};
pub use inproc::{InProcServer, start_inproc, start_inproc_with};
