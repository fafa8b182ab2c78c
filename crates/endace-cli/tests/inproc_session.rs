//! CLI sessions (password and keyboard-interactive logins, modes,
//! reload, timeouts) against the simulated EndaceOS CLI served by the
//! in-process russh server of `endace-probe-sim`.

use std::time::Duration;

use endace_cli::driver::{EndaceOs, Mode};
use endace_cli::error::Error;
use endace_cli::known_hosts::KnownHosts;
use endace_cli::session::{CliSession, Credentials, HostKeyPolicy, Secret, Target, connect};
use endace_probe_sim::{InProcServer, ProbeState, fault, start_inproc, start_inproc_with};

async fn setup(dir: &std::path::Path) -> (ProbeState, InProcServer, Target) {
    let st = ProbeState::create(dir.join("p"), "probe-42").unwrap();
    let srv = start_inproc(st.clone(), "admin", "pa55word").await.unwrap();
    let kh = KnownHosts::new(dir.join("known_hosts"));
    let creds = Credentials {
        user: "admin".into(),
        password: Some(Secret::new("pa55word")),
        ..Default::default()
    };
    let mut t = Target::new("probe-42", "127.0.0.1", srv.port, creds, kh);
    t.host_key_policy = HostKeyPolicy::AcceptNew;
    t.command_timeout = Duration::from_secs(5);
    (st, srv, t)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_session_modes_and_reload() {
    let d = tempfile::tempdir().unwrap();
    let (st, srv, t) = setup(d.path()).await;
    st.set(fault::CONFIG_LOCK, true).unwrap();
    let conn = connect(&t).await.unwrap();
    let mut s = CliSession::open(conn, Box::new(EndaceOs::default()))
        .await
        .unwrap();
    assert_eq!(s.cli_hostname(), "probe-42");
    assert_eq!(s.mode(), Mode::Enable);
    let out = s.send_command("show packages").await.unwrap();
    assert!(
        out.starts_with("Name ") && out.contains("endaceos-base"),
        "{out:?}"
    );
    assert!(
        s.send_command_checked("frobnicate")
            .await
            .unwrap_err()
            .to_string()
            .contains("Unrecognized command")
    );
    s.config_mode().await.unwrap();
    assert_eq!(s.mode(), Mode::Config);
    s.send_command("maintenance-mode noconfirm").await.unwrap();
    assert_eq!(s.mode(), Mode::Maintenance);
    s.exit_config_mode().await.unwrap();
    assert_eq!(s.mode(), Mode::Enable);
    let out = s
        .send_command_timing("reload", Duration::from_millis(300), Duration::from_secs(5))
        .await
        .unwrap();
    assert!(out.contains("Rebooting"), "{out:?}");
    assert!(st.dir().join("reload-request").exists());
    let tr = s.transcript().text().to_string();
    assert!(tr.contains("maintenance-mode noconfirm") && !tr.contains("pa55word"));
    s.close().await;
    // The host key was accepted once (accept-new) and is now known.
    let text = std::fs::read_to_string(d.path().join("known_hosts")).unwrap();
    assert!(text.starts_with(&format!("[127.0.0.1]:{} ssh-ed25519 ", srv.port)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_interactive_only_server() {
    let d = tempfile::tempdir().unwrap();
    let st = ProbeState::create(d.path().join("p"), "probe-43").unwrap();
    let srv = start_inproc_with(st, "admin", "kbd-pw", false)
        .await
        .unwrap();
    let kh = KnownHosts::new(d.path().join("known_hosts"));
    let creds = Credentials {
        user: "admin".into(),
        password: Some(Secret::new("kbd-pw")),
        ..Default::default()
    };
    let mut t = Target::new("probe-43", "127.0.0.1", srv.port, creds, kh);
    t.host_key_policy = HostKeyPolicy::AcceptNew;
    let conn = connect(&t).await.unwrap();
    let mut s = CliSession::open(conn, Box::new(EndaceOs::default()))
        .await
        .unwrap();
    assert!(
        s.send_command("show version")
            .await
            .unwrap()
            .contains("probe-43")
    );
    s.close().await;
    t.credentials.password = Some(Secret::new("wrong"));
    let e = connect(&t).await.unwrap_err().to_string();
    assert!(
        e.contains("keyboard-interactive") && !e.contains("wrong"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_command_timeout() {
    let d = tempfile::tempdir().unwrap();
    let (st, _srv, mut t) = setup(d.path()).await;
    let mut bad = t.clone();
    bad.credentials.password = Some(Secret::new("nope"));
    let e = connect(&bad).await.unwrap_err();
    assert!(matches!(e, Error::Auth { .. }), "{e}");
    assert!(!e.to_string().contains("nope"));

    st.set(fault::HANG_SHOW, true).unwrap();
    t.command_timeout = Duration::from_millis(700);
    let conn = connect(&t).await.unwrap();
    let mut s = CliSession::open(conn, Box::new(EndaceOs::default()))
        .await
        .unwrap();
    let e = s.send_command("show files system").await.unwrap_err();
    assert!(
        matches!(e, Error::Timeout { .. }) && e.to_string().starts_with("probe-42: timed out"),
        "{e}"
    );
    s.close().await;
}
