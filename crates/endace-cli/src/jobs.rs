//! The jobs `endace` runs on each probe: `run`, `hotfix`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::driver::{EndaceOs, Mode};
use crate::error::Error;
use crate::fleet::{Done, HostResult, Progress, Status, connect_with_retry};
use crate::session::{CliSession, Connection, Target, connect};

/// Common per-host settings for jobs.
#[derive(Debug, Clone)]
pub struct JobOptions {
    /// Connection retries.
    pub retries: u32,
    /// First back-off.
    pub backoff: Duration,
    /// Write `<host>.log` transcripts (secrets redacted) here.
    pub transcript_dir: Option<PathBuf>,
}

impl Default for JobOptions {
    fn default() -> Self {
        Self {
            retries: 2,
            backoff: Duration::from_millis(500),
            transcript_dir: None,
        }
    }
}

/// Open a CLI session (connect with retries, PTY, prompt, paging off, enable).
pub async fn open_cli(t: &Target, o: &JobOptions) -> Result<CliSession, Error> {
    let conn = connect_with_retry(t, o.retries, o.backoff).await?;
    CliSession::open(conn, Box::new(EndaceOs::default())).await
}

/// Save the session transcript if asked (mode 0600).
pub fn save_transcript(s: &CliSession, o: &JobOptions, suffix: &str) {
    if let Some(dir) = &o.transcript_dir {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let _ = std::fs::create_dir_all(dir);
        let p = dir.join(format!("{}{suffix}.log", s.host()));
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&p)
        {
            let _ = f.write_all(s.transcript().text().as_bytes());
        }
    }
}

/// `endace run CMD` on one host: the output of the command. Output with
/// the device's error marker (the driver's, or the host's
/// `error_patterns`) fails the host, with that line as the message and
/// the output kept.
pub async fn run_command(t: Target, o: JobOptions, cmd: String) -> Result<Done<String>, Error> {
    let mut s = open_cli(&t, &o).await?;
    let r = s.send_command(&cmd).await;
    save_transcript(&s, &o, "");
    let refused = r.as_ref().ok().and_then(|out| s.error_in(out));
    s.close().await;
    let out = r?;
    if let Some(line) = refused {
        return Ok(Done {
            status: Status::Failed,
            message: format!("the device refused {cmd:?}: {line}"),
            data: Some(out),
        });
    }
    let first = out
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string();
    Ok(Done {
        status: Status::Ok,
        message: first,
        data: Some(out),
    })
}

/// `endace run` as text: each host's output under a `=== host (status) ===`
/// line (the error message when there is no output), then an empty line.
pub fn run_output_text(results: &[HostResult<String>]) -> String {
    let mut s = String::new();
    for r in results {
        s.push_str(&format!("=== {} ({}) ===\n", r.host, r.status));
        match &r.data {
            Some(out) => s.push_str(out),
            None => {
                s.push_str(&r.message);
                s.push('\n');
            }
        }
    }
    s.push('\n');
    s
}

/// Is `name` listed in `show packages` output (first column)?
pub fn package_installed(show_packages: &str, name: &str) -> bool {
    show_packages
        .lines()
        .any(|l| l.split_whitespace().next() == Some(name))
}

/// Hotfix settings.
#[derive(Debug, Clone)]
pub struct HotfixOptions {
    /// Local package file.
    pub file: PathBuf,
    /// Remote directory (`/endace/packages`).
    pub remote_dir: String,
    /// Package name as `show packages` lists it (default: file name without `.pkg`).
    pub package_name: String,
    /// Check only: reachability, login, free space, installed state.
    pub dry_run: bool,
    /// Read the upload back and compare SHA-256 (the device has no checksum command).
    pub verify_checksum: bool,
    /// SFTP writes in flight.
    pub in_flight: usize,
    /// Deadline for `package install`.
    pub install_timeout: Duration,
    /// How long to wait for the probe to go down after `reload`.
    pub down_grace: Duration,
    /// Deadline for the probe to come back after `reload`.
    pub up_deadline: Duration,
    /// Poll interval while waiting.
    pub poll: Duration,
}

impl HotfixOptions {
    /// Defaults for `file`.
    pub fn new(file: impl Into<PathBuf>) -> Self {
        let file = file.into();
        let base = file
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = base.strip_suffix(".pkg").unwrap_or(&base).to_string();
        Self {
            file,
            remote_dir: "/endace/packages".into(),
            package_name: name,
            dry_run: false,
            verify_checksum: false,
            in_flight: 32,
            install_timeout: Duration::from_secs(600),
            down_grace: Duration::from_secs(60),
            up_deadline: Duration::from_secs(900),
            poll: Duration::from_secs(2),
        }
    }
    fn base_name(&self) -> String {
        self.file
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// What one hotfix did.
#[derive(Debug, Clone, Serialize)]
pub struct HotfixReport {
    /// Bytes uploaded.
    pub uploaded_bytes: u64,
    /// Upload time, seconds.
    pub upload_seconds: f64,
    /// SHA-256 of the package.
    pub sha256: String,
    /// Seconds from `reload` until the probe answered again.
    pub reboot_seconds: f64,
}

fn step(t: &Target, step: &str, message: impl Into<String>) -> Error {
    Error::Step {
        host: t.name.clone(),
        step: step.into(),
        message: message.into(),
    }
}

/// Hash a local file.
pub fn sha256_file(p: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(p)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Upload `local` to `remote` over SFTP with many writes in flight; verify the
/// size (and optionally the SHA-256 by reading it back). Returns (bytes, seconds).
pub async fn upload(
    conn: &Connection,
    local: &Path,
    remote: &str,
    in_flight: usize,
    verify_sha: Option<&str>,
) -> Result<(u64, f64), Error> {
    let sftp = conn.sftp(in_flight).await?;
    let r = upload_with(&sftp, &conn.target.name, local, remote, verify_sha).await;
    let _ = sftp.close().await;
    r
}

/// [`upload`] on an open SFTP session (`host` names the probe in errors).
pub async fn upload_with(
    sftp: &russh_sftp::client::SftpSession,
    host: &str,
    local: &Path,
    remote: &str,
    verify_sha: Option<&str>,
) -> Result<(u64, f64), Error> {
    let e = |m: String| Error::Sftp {
        host: host.to_string(),
        message: m,
    };
    let size = std::fs::metadata(local)
        .map_err(|x| e(format!("{}: {x}", local.display())))?
        .len();
    let start = Instant::now();
    let mut src = tokio::fs::File::open(local)
        .await
        .map_err(|x| e(format!("{}: {x}", local.display())))?;
    let mut dst = sftp
        .create(remote)
        .await
        .map_err(|x| e(format!("create {remote}: {x}")))?;
    let mut buf = vec![0u8; 1 << 18];
    loop {
        let n = src
            .read(&mut buf)
            .await
            .map_err(|x| e(format!("read {}: {x}", local.display())))?;
        if n == 0 {
            break;
        }
        dst.write_all(&buf[..n])
            .await
            .map_err(|x| e(format!("write {remote} (upload cut?): {x}")))?;
    }
    // The remote file is complete only once it is shut down (all writes acknowledged, CLOSE sent).
    dst.shutdown()
        .await
        .map_err(|x| e(format!("close {remote}: {x}")))?;
    let secs = start.elapsed().as_secs_f64();
    let md = sftp
        .metadata(remote)
        .await
        .map_err(|x| e(format!("stat {remote}: {x}")))?;
    let rsize = md.size.unwrap_or(0);
    if rsize != size {
        return Err(e(format!(
            "size check failed for {remote}: local {size} bytes, remote {rsize} bytes; re-run to upload again"
        )));
    }
    if let Some(want) = verify_sha {
        let mut f = sftp
            .open(remote)
            .await
            .map_err(|x| e(format!("open {remote} to verify: {x}")))?;
        let mut h = Sha256::new();
        loop {
            let n = f
                .read(&mut buf)
                .await
                .map_err(|x| e(format!("read back {remote}: {x}")))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        let got: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        if got != want {
            return Err(e(format!(
                "checksum mismatch for {remote}: local sha256 {want}, remote {got}"
            )));
        }
    }
    Ok((size, secs))
}

/// Free bytes in `dir` on the probe (SFTP statvfs), if the server supports it.
pub async fn free_bytes(
    sftp: &russh_sftp::client::SftpSession,
    host: &str,
    dir: &str,
) -> Result<Option<u64>, Error> {
    let r = sftp.fs_info(dir).await.map_err(|x| Error::Sftp {
        host: host.into(),
        message: format!("statvfs {dir}: {x}"),
    })?;
    Ok(r.map(|v| v.blocks_avail.saturating_mul(v.fragment_size)))
}

/// Roll the hotfix out to one probe (see the crate docs for the steps).
pub async fn hotfix(
    t: Target,
    o: JobOptions,
    h: HotfixOptions,
    progress: Progress,
) -> Result<Done<HotfixReport>, Error> {
    let p = |m: &str| progress(&t.name, m);
    p("connecting");
    let mut s = open_cli(&t, &o).await?;
    let r = hotfix_session(&t, &o, &h, &progress, &mut s).await;
    save_transcript(&s, &o, "");
    match r {
        Ok(Ok(done)) => {
            s.close().await;
            Ok(done)
        }
        Ok(Err(up)) => {
            // Rebooting: wait for the probe to come back, then verify.
            let reload_at = Instant::now();
            drop(s);
            p("waiting for the probe to go down");
            if !wait_down(&t, h.down_grace, h.poll.min(Duration::from_millis(200))).await {
                // Verifying now would read the old, not rebooted, system.
                return Err(step(
                    &t,
                    "reload",
                    format!(
                        "SSH still answers {:?} after `reload`: the probe did not reboot; the package is installed but not active: reload it by hand",
                        h.down_grace
                    ),
                ));
            }
            p("waiting for the probe to come back");
            let mut s2 = wait_up(&t, &o, &h).await?;
            let reboot = reload_at.elapsed().as_secs_f64();
            p("verifying after reboot");
            let pk = s2.send_command("show packages").await;
            save_transcript(&s2, &o, ".after-reload");
            s2.close().await;
            if !package_installed(&pk?, &h.package_name) {
                return Err(step(
                    &t,
                    "verify after reload",
                    format!(
                        "{} is not listed by `show packages` after the reboot",
                        h.package_name
                    ),
                ));
            }
            Ok(Done {
                status: Status::Ok,
                message: format!("installed {}; back after {reboot:.1} s", h.package_name),
                data: Some(HotfixReport {
                    reboot_seconds: reboot,
                    ..up
                }),
            })
        }
        Err(e) => {
            s.close().await;
            Err(e)
        }
    }
}

/// Steps up to `reload`. `Ok(Ok(done))` = finished without reboot (skip/dry-run);
/// `Ok(Err(report))` = uploaded, installed and reload sent.
async fn hotfix_session(
    t: &Target,
    o: &JobOptions,
    h: &HotfixOptions,
    progress: &Progress,
    s: &mut CliSession,
) -> Result<Result<Done<HotfixReport>, HotfixReport>, Error> {
    let _ = o;
    let p = |m: &str| progress(&t.name, m);
    let size = std::fs::metadata(&h.file)
        .map_err(|e| step(t, "read package", format!("{}: {e}", h.file.display())))?
        .len();
    p("checking installed packages");
    let pk = s.send_command("show packages").await?;
    if package_installed(&pk, &h.package_name) {
        return Ok(Ok(Done {
            status: Status::Skipped,
            message: format!("{} already installed", h.package_name),
            data: None,
        }));
    }
    p("checking free space");
    // One SFTP session for the free-space check and the upload.
    let sftp = s.connection().sftp(h.in_flight).await?;
    let free = free_bytes(&sftp, &t.name, &h.remote_dir).await?;
    if let Some(f) = free
        && f < size.saturating_mul(2)
    {
        return Err(step(
            t,
            "free space",
            format!(
                "{} has {f} bytes free; the package needs {size} (x2 for install): free space first",
                h.remote_dir
            ),
        ));
    }
    if h.dry_run {
        let free_txt = free
            .map(|f| format!("{:.1} GB free", f as f64 / 1e9))
            .unwrap_or_else(|| "free space unknown".into());
        return Ok(Ok(Done {
            status: Status::Ok,
            message: format!(
                "dry run: reachable, login ok, {free_txt}, {} not installed: would install",
                h.package_name
            ),
            data: None,
        }));
    }
    p("uploading");
    let sha = sha256_file(&h.file)
        .map_err(|e| step(t, "read package", format!("{}: {e}", h.file.display())))?;
    let remote = format!("{}/{}", h.remote_dir.trim_end_matches('/'), h.base_name());
    let (bytes, secs) = upload_with(
        &sftp,
        &t.name,
        &h.file,
        &remote,
        h.verify_checksum.then_some(sha.as_str()),
    )
    .await?;
    let _ = sftp.close().await;
    p(&format!(
        "uploaded {bytes} bytes in {secs:.2} s; entering maintenance mode"
    ));
    s.config_mode().await?;
    s.send_command_checked("maintenance-mode noconfirm").await?;
    if s.mode() != Mode::Maintenance {
        return Err(step(
            t,
            "maintenance mode",
            format!(
                "the prompt {:?} does not show (maintenance); not installing",
                s.prompt()
            ),
        ));
    }
    p("installing");
    let out = s
        .send_command_timeout(
            &format!("package install {}", h.base_name()),
            h.install_timeout,
        )
        .await?;
    let failed = EndaceOsErrors::first(&out);
    if failed.is_some()
        || !package_installed(&s.send_command("show packages").await?, &h.package_name)
    {
        // Leave the probe as we found it: out of maintenance mode.
        let _ = s.send_command("no maintenance-mode").await;
        let _ = s.exit_config_mode().await;
        let why = failed.unwrap_or_else(|| {
            format!(
                "{} not listed by `show packages` after install",
                h.package_name
            )
        });
        return Err(step(
            t,
            "package install",
            format!("{why} (maintenance mode left; probe not reloaded)"),
        ));
    }
    p("saving configuration");
    s.save_config().await?;
    p("reloading");
    s.send_command_timing(
        "reload",
        Duration::from_millis(500),
        Duration::from_secs(10),
    )
    .await?;
    Ok(Err(HotfixReport {
        uploaded_bytes: bytes,
        upload_seconds: secs,
        sha256: sha,
        reboot_seconds: 0.0,
    }))
}

struct EndaceOsErrors;
impl EndaceOsErrors {
    fn first(out: &str) -> Option<String> {
        out.lines()
            .find(|l| l.starts_with("% "))
            .map(|l| l.trim_start_matches("% ").trim().to_string())
    }
}

/// Wait until the SSH port stops accepting connections, or `grace` passes.
/// Returns false if it still answers after `grace`.
async fn wait_down(t: &Target, grace: Duration, poll: Duration) -> bool {
    let end = Instant::now() + grace;
    while Instant::now() < end {
        let c = tokio::time::timeout(
            Duration::from_secs(2),
            tokio::net::TcpStream::connect((t.address.as_str(), t.port)),
        )
        .await;
        if !matches!(c, Ok(Ok(_))) {
            return true;
        }
        tokio::time::sleep(poll).await;
    }
    false
}

/// Poll connect + auth + CLI until it works or the deadline passes.
async fn wait_up(t: &Target, o: &JobOptions, h: &HotfixOptions) -> Result<CliSession, Error> {
    let end = Instant::now() + h.up_deadline;
    let mut last = String::from("no attempt");
    let mut delay = h.poll.min(Duration::from_millis(250));
    while Instant::now() < end {
        match connect(t).await {
            Ok(c) => match CliSession::open(c, Box::new(EndaceOs::default())).await {
                Ok(s) => return Ok(s),
                Err(e) => last = e.to_string(),
            },
            Err(e @ (Error::HostKey { .. } | Error::Auth { .. })) => return Err(e),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(h.poll);
    }
    let _ = o;
    Err(step(
        t,
        "wait for reboot",
        format!(
            "the probe did not come back within {:?} after reload (last: {last}); check its console",
            h.up_deadline
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_by_first_column() {
        let out = "Name  Size  Installed\nendaceos-base  0  x\nhf-1  7  2026\n";
        assert!(package_installed(out, "hf-1"));
        assert!(!package_installed(out, "hf"));
        assert!(!package_installed("hf-1.pkg missing", "hf-1"));
        assert_eq!(HotfixOptions::new("/x/hf-2.pkg").package_name, "hf-2");
        assert_eq!(
            EndaceOsErrors::first("a\n% boom here\n"),
            Some("boom here".into())
        );
    }
}
