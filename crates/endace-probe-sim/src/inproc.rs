//! An in-process russh server running the simulated CLI: fast tests of the
//! session logic and password authentication without root or `sshd`.
//! (No SFTP: uploads are tested against the real `sshd` fleet.)

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{PrivateKey, PublicKey};
use russh::server::{Auth, Msg, Session};
use russh::{Channel, ChannelId};

use super::cli::{ProbeState, run_shell};

/// A running in-process server.
#[derive(Debug)]
pub struct InProcServer {
    /// Listening port on 127.0.0.1.
    pub port: u16,
    /// The server's host key (for a `known_hosts` line).
    pub host_key: PublicKey,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for InProcServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start a server for `state` accepting `user` with `password`.
pub async fn start_inproc(
    state: ProbeState,
    user: &str,
    password: &str,
) -> std::io::Result<InProcServer> {
    start_inproc_with(state, user, password, true).await
}

/// Like [`start_inproc`]; with `password_method = false` the password is
/// only accepted through keyboard-interactive (as PAM-only appliances do).
pub async fn start_inproc_with(
    state: ProbeState,
    user: &str,
    password: &str,
    password_method: bool,
) -> std::io::Result<InProcServer> {
    let seed: [u8; 32] = {
        let mut s = [7u8; 32];
        for (i, b) in state.hostname().bytes().enumerate() {
            s[i % 32] ^= b.wrapping_mul(31).wrapping_add(i as u8);
        }
        s
    };
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
    let host_key = key.public_key().clone();
    let config = Arc::new(russh::server::Config {
        keys: vec![key],
        auth_rejection_time: Duration::from_millis(10),
        auth_rejection_time_initial: Some(Duration::from_millis(0)),
        inactivity_timeout: Some(Duration::from_secs(600)),
        ..Default::default()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let (user, password) = (user.to_string(), password.to_string());
    let task = tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let h = ProbeHandler {
                state: state.clone(),
                user: user.clone(),
                password: password.clone(),
                password_method,
                input: None,
            };
            let cfg = config.clone();
            tokio::spawn(async move {
                if let Ok(s) = russh::server::run_stream(cfg, sock, h).await {
                    let _ = s.await;
                }
            });
        }
    });
    Ok(InProcServer {
        port,
        host_key,
        task,
    })
}

struct ProbeHandler {
    state: ProbeState,
    user: String,
    password: String,
    password_method: bool,
    input: Option<std::io::PipeWriter>,
}

impl russh::server::Handler for ProbeHandler {
    type Error = russh::Error;

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        response: Option<russh::server::Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        match response {
            None => Ok(Auth::Partial {
                name: "".into(),
                instructions: "".into(),
                prompts: vec![("Password: ".into(), false)].into(),
            }),
            Some(mut r) => {
                let ok = user == self.user && r.next().as_deref() == Some(self.password.as_bytes());
                Ok(if ok { Auth::Accept } else { Auth::reject() })
            }
        }
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        if !self.password_method {
            return Ok(Auth::reject());
        }
        Ok(if user == self.user && password == self.password {
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn channel_open_session(
        &mut self,
        _channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _s: &mut Session,
    ) -> Result<(), Self::Error> {
        reply.accept().await;
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _c: u32,
        _r: u32,
        _pw: u32,
        _ph: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let (in_r, in_w) = std::io::pipe()?;
        let (mut out_r, out_w) = std::io::pipe()?;
        self.input = Some(in_w);
        let state = self.state.clone();
        // The CLI is blocking code: run it and the output pump on threads.
        std::thread::spawn(move || {
            let _ = run_shell(&state, std::io::BufReader::new(in_r), out_w, true);
        });
        let handle = session.handle();
        let rt = tokio::runtime::Handle::current();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 8192];
            loop {
                match out_r.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if rt
                            .block_on(handle.data(channel, buf[..n].to_vec()))
                            .is_err()
                        {
                            return;
                        }
                    }
                }
            }
            let _ = rt.block_on(handle.eof(channel));
            let _ = rt.block_on(handle.close(channel));
        });
        session.channel_success(channel)
    }

    async fn data(
        &mut self,
        _channel: ChannelId,
        data: &[u8],
        _s: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(w) = self.input.as_mut() {
            // Like a TTY in cooked mode: CR becomes NL.
            let d: Vec<u8> = data
                .iter()
                .map(|&b| if b == b'\r' { b'\n' } else { b })
                .collect();
            let _ = w.write_all(&d);
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        _channel: ChannelId,
        _s: &mut Session,
    ) -> Result<(), Self::Error> {
        self.input = None;
        Ok(())
    }
}
