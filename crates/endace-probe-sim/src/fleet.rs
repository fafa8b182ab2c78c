//! Running simulated probes behind real `sshd` processes.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::cli::{ProbeState, fault, run_shell};

/// Options for [`SimFleet::start`].
#[derive(Debug, Clone)]
pub struct FleetOptions {
    /// Number of probes.
    pub count: usize,
    /// How long a probe stays down after `reload`.
    pub reload_delay: Duration,
    /// The simulator binary `sshd` runs for each session (`endace-probe-sim`).
    pub sim_binary: PathBuf,
    /// The `sshd` binary.
    pub sshd: PathBuf,
    /// Host name prefix (`probe-01`, ...).
    pub prefix: String,
}

impl FleetOptions {
    /// `count` probes, 1 s reload delay, `/usr/sbin/sshd`.
    pub fn new(count: usize, sim_binary: impl Into<PathBuf>) -> Self {
        Self {
            count,
            reload_delay: Duration::from_secs(1),
            sim_binary: sim_binary.into(),
            sshd: PathBuf::from("/usr/sbin/sshd"),
            prefix: "probe-".into(),
        }
    }
}

/// One simulated probe.
#[derive(Debug)]
pub struct SimProbe {
    /// Host name.
    pub name: String,
    /// TCP port of its sshd on 127.0.0.1.
    pub port: u16,
    /// Its state.
    pub state: ProbeState,
    config: PathBuf,
    child: Option<Child>,
    down_until: Option<Instant>,
}

/// A running fleet of simulated probes. Dropping it stops every `sshd`.
#[derive(Debug)]
pub struct SimFleet {
    dir: PathBuf,
    probes: Arc<Mutex<Vec<SimProbe>>>,
    stop: Arc<AtomicBool>,
    supervisor: Option<std::thread::JoinHandle<()>>,
    opts: FleetOptions,
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

fn keygen(path: &Path) -> Result<(), String> {
    if path.exists() {
        return Ok(());
    }
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "netops-sim", "-f"])
        .arg(path))
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Why the fleet cannot run here (not root, no sshd, ...), if it cannot.
pub fn unavailable_reason(opts: &FleetOptions) -> Option<String> {
    // SAFETY-free check of the effective uid through /proc.
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(str::to_string))
        });
    if uid.as_deref() != Some("0") {
        return Some("the simulated fleet runs sshd and mount namespaces: it needs root".into());
    }
    if !opts.sshd.exists() {
        return Some(format!(
            "{} not found (apt-get install openssh-server)",
            opts.sshd.display()
        ));
    }
    for tool in ["ssh-keygen", "unshare", "chroot"] {
        if Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .map(|s| !s.success())
            .unwrap_or(true)
        {
            return Some(format!("{tool} not found"));
        }
    }
    None
}

impl SimFleet {
    /// Create `opts.count` probes under `dir` and start their sshd. Writes
    /// `dir/client_ed25519` (login key), `dir/known_hosts` and `dir/inventory.toml`.
    pub fn start(dir: impl Into<PathBuf>, opts: FleetOptions) -> Result<Self, String> {
        if let Some(r) = unavailable_reason(&opts) {
            return Err(r);
        }
        let dir: PathBuf = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        std::fs::create_dir_all("/run/sshd").map_err(|e| format!("/run/sshd: {e}"))?;
        let client_key = dir.join("client_ed25519");
        keygen(&client_key)?;
        std::fs::copy(dir.join("client_ed25519.pub"), dir.join("authorized_keys"))
            .map_err(|e| e.to_string())?;
        let mut probes = Vec::new();
        for i in 0..opts.count {
            let name = format!("{}{:02}", opts.prefix, i + 1);
            let pdir = dir.join(&name);
            let state =
                ProbeState::create(&pdir, &name).map_err(|e| format!("{}: {e}", pdir.display()))?;
            keygen(&pdir.join("ssh_host_ed25519_key"))?;
            let port = free_port().map_err(|e| e.to_string())?;
            let config = pdir.join("sshd_config");
            let mut p = SimProbe {
                name,
                port,
                state,
                config,
                child: None,
                down_until: None,
            };
            // The port was free a moment ago; another process may take it
            // before sshd binds it: then try a fresh port.
            let mut attempt = 0;
            loop {
                write_sshd_config(&dir, &p, &opts)?;
                match start_sshd(&mut p, &opts) {
                    Ok(()) => break,
                    Err(e) if attempt >= 4 => return Err(e),
                    Err(_) => {
                        attempt += 1;
                        p.port = free_port().map_err(|e| e.to_string())?;
                    }
                }
            }
            probes.push(p);
        }
        let fleet = Self {
            dir: dir.clone(),
            probes: Arc::new(Mutex::new(probes)),
            stop: Arc::new(AtomicBool::new(false)),
            supervisor: None,
            opts,
        };
        fleet.write_client_files()?;
        let mut fleet = fleet;
        let (probes, stop, o) = (fleet.probes.clone(), fleet.stop.clone(), fleet.opts.clone());
        fleet.supervisor = Some(std::thread::spawn(move || supervise(&probes, &stop, &o)));
        Ok(fleet)
    }

    fn write_client_files(&self) -> Result<(), String> {
        let probes = self.probes.lock().map_err(|e| e.to_string())?;
        let mut kh = String::new();
        let mut inv = format!(
            "# Simulated probe fleet (endace-probe-sim). Log in as root with the fleet key.\n[defaults]\nuser = \"root\"\nkey_file = \"{}\"\nknown_hosts = \"{}\"\n\n[groups.sim]\n\n",
            self.dir.join("client_ed25519").display(),
            self.dir.join("known_hosts").display()
        );
        for p in probes.iter() {
            let pubkey = std::fs::read_to_string(p.state.dir().join("ssh_host_ed25519_key.pub"))
                .map_err(|e| e.to_string())?;
            let mut it = pubkey.split_whitespace();
            let _ = writeln!(
                kh,
                "[127.0.0.1]:{} {} {}",
                p.port,
                it.next().unwrap_or(""),
                it.next().unwrap_or("")
            );
            let _ = writeln!(
                inv,
                "[hosts.{}]\naddress = \"127.0.0.1\"\nport = {}\ngroups = [\"sim\"]\n",
                p.name, p.port
            );
        }
        std::fs::write(self.dir.join("known_hosts"), kh).map_err(|e| e.to_string())?;
        std::fs::write(self.dir.join("inventory.toml"), inv).map_err(|e| e.to_string())?;
        Ok(())
    }

    /// The fleet directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// `dir/inventory.toml`.
    pub fn inventory_path(&self) -> PathBuf {
        self.dir.join("inventory.toml")
    }
    /// `dir/known_hosts`.
    pub fn known_hosts_path(&self) -> PathBuf {
        self.dir.join("known_hosts")
    }
    /// `dir/client_ed25519`.
    pub fn client_key_path(&self) -> PathBuf {
        self.dir.join("client_ed25519")
    }
    /// (name, port, state) of every probe.
    pub fn probes(&self) -> Vec<(String, u16, ProbeState)> {
        self.probes
            .lock()
            .map(|v| {
                v.iter()
                    .map(|p| (p.name.clone(), p.port, p.state.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }
    /// Stop probe `i`'s sshd (host down) until [`SimFleet::start_probe`].
    pub fn stop_probe(&self, i: usize) {
        if let Ok(mut v) = self.probes.lock()
            && let Some(p) = v.get_mut(i)
        {
            kill(p);
            p.down_until = None;
        }
    }
    /// Start probe `i`'s sshd again.
    pub fn start_probe(&self, i: usize) -> Result<(), String> {
        let mut v = self.probes.lock().map_err(|e| e.to_string())?;
        let p = v.get_mut(i).ok_or("no such probe")?;
        if p.child.is_none() {
            start_sshd(p, &self.opts)?;
        }
        Ok(())
    }
    /// Is probe `i`'s sshd running?
    pub fn is_up(&self, i: usize) -> bool {
        self.probes
            .lock()
            .map(|v| v.get(i).is_some_and(|p| p.child.is_some()))
            .unwrap_or(false)
    }
    /// Block until every probe is up again or `timeout` passes.
    pub fn wait_all_up(&self, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if self
                .probes
                .lock()
                .map(|v| v.iter().all(|p| p.child.is_some()))
                .unwrap_or(false)
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for SimFleet {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.supervisor.take() {
            let _ = h.join();
        }
        if let Ok(mut v) = self.probes.lock() {
            for p in v.iter_mut() {
                kill(p);
            }
        }
    }
}

fn write_sshd_config(fleet_dir: &Path, p: &SimProbe, o: &FleetOptions) -> Result<(), String> {
    let d = p.state.dir();
    let text = format!(
        "# sshd for simulated probe {name}\nPort {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nPidFile {pid}\nAuthorizedKeysFile {ak}\nPermitRootLogin yes\nPubkeyAuthentication yes\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nUseDNS no\nPrintMotd no\nPrintLastLog no\nMaxStartups 200\nMaxSessions 20\nLogLevel ERROR\nSubsystem sftp internal-sftp\nForceCommand {sim} serve --state {state}\n",
        name = p.name,
        port = p.port,
        hk = d.join("ssh_host_ed25519_key").display(),
        pid = d.join("sshd.pid").display(),
        ak = fleet_dir.join("authorized_keys").display(),
        sim = o.sim_binary.display(),
        state = d.display(),
    );
    std::fs::write(&p.config, text).map_err(|e| format!("{}: {e}", p.config.display()))
}

fn start_sshd(p: &mut SimProbe, o: &FleetOptions) -> Result<(), String> {
    spawn_sshd(p, o)?;
    wait_listening(p)
}

/// Start the probe's sshd without waiting for it to listen.
fn spawn_sshd(p: &mut SimProbe, o: &FleetOptions) -> Result<(), String> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(p.state.dir().join("sshd.log"))
        .map_err(|e| e.to_string())?;
    let child = Command::new(&o.sshd)
        .arg("-D")
        .arg("-e")
        .arg("-f")
        .arg(&p.config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", o.sshd.display()))?;
    p.child = Some(child);
    Ok(())
}

/// Wait until the probe's sshd accepts connections (10 s at most).
fn wait_listening(p: &mut SimProbe) -> Result<(), String> {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if TcpStream::connect(("127.0.0.1", p.port)).is_ok() {
            // Make sure it is our sshd that answers, not a squatter on the port.
            std::thread::sleep(Duration::from_millis(30));
            if let Some(c) = p.child.as_mut()
                && matches!(c.try_wait(), Ok(None))
            {
                return Ok(());
            }
        }
        if let Some(c) = p.child.as_mut()
            && let Ok(Some(st)) = c.try_wait()
        {
            p.child = None;
            let log = std::fs::read_to_string(p.state.dir().join("sshd.log")).unwrap_or_default();
            return Err(format!(
                "sshd for {} exited ({st}): {}",
                p.name,
                log.lines().last().unwrap_or("")
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    kill(p);
    Err(format!(
        "sshd for {} did not listen on 127.0.0.1:{} within 10 s",
        p.name, p.port
    ))
}

fn kill(p: &mut SimProbe) {
    if let Some(mut c) = p.child.take() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

fn supervise(probes: &Mutex<Vec<SimProbe>>, stop: &AtomicBool, o: &FleetOptions) {
    while !stop.load(Ordering::SeqCst) {
        if let Ok(mut v) = probes.lock() {
            for p in v.iter_mut() {
                let req = p.state.dir().join("reload-request");
                if req.exists() {
                    let _ = std::fs::remove_file(&req);
                    kill(p);
                    p.down_until = Some(Instant::now() + o.reload_delay);
                }
                if let Some(t) = p.down_until
                    && Instant::now() >= t
                {
                    if p.state.has(fault::NEVER_RETURN) {
                        continue;
                    }
                    p.down_until = None;
                    let boots = p.state.boots() + 1;
                    let _ = std::fs::write(p.state.dir().join("boot-count"), boots.to_string());
                    // Do not wait for it to listen: every probe due now comes
                    // back at once, as real probes rebooting in parallel would.
                    if let Err(e) = spawn_sshd(p, o) {
                        let _ = writeln!(std::io::stderr(), "endace-probe-sim: {e}");
                        p.down_until = Some(Instant::now() + Duration::from_millis(200));
                    }
                } else if p.down_until.is_none()
                    && let Some(c) = p.child.as_mut()
                    && let Ok(Some(st)) = c.try_wait()
                {
                    // sshd died (e.g. its port was taken while it was down): retry.
                    let _ = writeln!(
                        std::io::stderr(),
                        "endace-probe-sim: sshd for {} exited ({st}); restarting",
                        p.name
                    );
                    p.child = None;
                    p.down_until = Some(Instant::now() + Duration::from_millis(200));
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Entry point for `endace-probe-sim serve --state DIR` (the sshd `ForceCommand`).
///
/// Returns the process exit code.
pub fn serve_session(state_dir: &Path) -> i32 {
    let state = ProbeState::new(state_dir);
    let original = std::env::var("SSH_ORIGINAL_COMMAND").unwrap_or_default();
    if original.contains("sftp") {
        return exec_sftp(&state);
    }
    if !original.trim().is_empty() {
        let _ = writeln!(
            std::io::stderr(),
            "% This probe only offers an interactive CLI (got command {original:?})."
        );
        return 1;
    }
    let stdin = std::io::stdin();
    let is_tty = is_terminal(&stdin);
    // A TTY echoes typed input itself; without one, echo like a device would.
    match run_shell(&state, stdin.lock(), std::io::stdout().lock(), !is_tty) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

fn is_terminal(s: &std::io::Stdin) -> bool {
    use std::io::IsTerminal;
    s.is_terminal()
}

/// Serve SFTP with OpenSSH's `sftp-server`, chrooted so that
/// `/endace/packages` is this probe's packages directory.
fn exec_sftp(state: &ProbeState) -> i32 {
    use std::os::unix::process::CommandExt;
    let script = r#"set -e
S="$1"; R="$S/.sftp-root"
mkdir -p "$R/usr" "$R/endace/packages" "$R/etc" "$R/dev"
for d in bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$d" ]; then [ -e "$R/$d" ] || [ -L "$R/$d" ] || ln -s "$(readlink "/$d")" "$R/$d";
  elif [ -d "/$d" ]; then mkdir -p "$R/$d"; mount --bind "/$d" "$R/$d"; fi
done
mount --bind /usr "$R/usr"
mount --bind /etc "$R/etc"
mount --bind /dev "$R/dev"
mount --bind "$S/packages" "$R/endace/packages"
cd "$R"
exec chroot "$R" /usr/lib/openssh/sftp-server
"#;
    let err = Command::new("unshare")
        .args([
            "--mount",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            script,
            "sftp-sim",
        ])
        .arg(state.dir())
        .exec();
    let _ = writeln!(
        std::io::stderr(),
        "endace-probe-sim: cannot start sftp-server: {err}"
    );
    1
}
