//! Simulated BMCs over IPMI v2.0 LAN (RMCP+, UDP): one socket per BMC on
//! 127.0.0.1, each with its own users, cipher suites, SEL and SDR
//! repository, built on `ipmi_sel::lan::wire` (the same packet layout the
//! client uses, so the crypto is checked against ipmitool by the tests, not
//! against itself). Switchable at run time through [`LanControl`]: go quiet
//! (drop every packet) now or after N more answers, and refuse reads longer
//! than N bytes (BMCs that need partial reads).
//!
//! Answers: Get Channel Authentication Capabilities, Get Channel Cipher
//! Suites, Open Session, RAKP 1-4, Get Device ID, Set Session Privilege
//! Level, Close Session, Get SEL Info / Reserve SEL / Get SEL Entry / Clear
//! SEL / Get SEL Time, Get SDR Repository Info / Reserve SDR / Get SDR;
//! anything else gets "invalid command" (0xc1).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use ipmi_sel::decode::RECORD_LEN;
use ipmi_sel::lan::wire::{
    self, CipherSuite, IpmiMsg, OpenSessionRequest, OpenSessionResponse, Rakp1, Rakp2, Rakp34,
    SessionKeys, payload,
};
use tokio::net::UdpSocket;

/// One simulated LAN BMC.
#[derive(Debug, Clone)]
pub struct LanBmc {
    /// Users: (name, password).
    pub users: Vec<(String, String)>,
    /// Cipher suites it accepts.
    pub suites: Vec<CipherSuite>,
    /// SEL records; record IDs are set to 1, 2, ...
    pub records: Vec<[u8; RECORD_LEN]>,
    /// SDR records (header included); record IDs are set to 1, 2, ...
    pub sdrs: Vec<Vec<u8>>,
    /// Refuse (0xca) Get SEL Entry / Get SDR reads of more than this many
    /// bytes, as BMCs with small buffers do.
    pub max_read: Option<u8>,
    /// The BMC's GUID.
    pub guid: [u8; 16],
}

impl LanBmc {
    /// A BMC with user `admin`/`password`, suites 3 and 17, these records and
    /// the SDRs naming their sensors ([`fixture_sdrs`]).
    pub fn new(password: &str, records: Vec<[u8; RECORD_LEN]>) -> Self {
        LanBmc {
            users: vec![("admin".into(), password.into())],
            suites: vec![CipherSuite::Sha1, CipherSuite::Sha256],
            sdrs: fixture_sdrs(),
            records,
            max_read: None,
            guid: *b"netops-bmc-sim-0",
        }
    }
}

/// Compact sensor records naming the sensors of
/// [`crate::fixture_records`] (owner 0x20 and 0x33).
pub fn fixture_sdrs() -> Vec<Vec<u8>> {
    vec![
        compact_sdr(0x20, 0x51, 0x05, 0x6f, "Chassis Intru"),
        compact_sdr(0x20, 0x02, 0x14, 0x6f, "Power Button"),
        compact_sdr(0x20, 0x31, 0x01, 0x01, "CPU Temp"),
        compact_sdr(0x33, 0x08, 0x0c, 0x6f, "DIMM Status"),
        compact_sdr(0x33, 0x00, 0x13, 0x6f, "PCI Bus"),
    ]
}

/// A compact sensor record (type 0x02, section 43.2); record ID 0.
pub fn compact_sdr(owner: u8, number: u8, sensor_type: u8, event_type: u8, name: &str) -> Vec<u8> {
    let name = &name.as_bytes()[..name.len().min(16)];
    let mut body = vec![owner, 0, number, 0x07, 1, 0, 0, sensor_type, event_type];
    body.resize(26, 0);
    body.push(0xc0 | name.len() as u8);
    body.extend_from_slice(name);
    let mut r = vec![0, 0, 0x51, 0x02, body.len() as u8];
    r.extend_from_slice(&body);
    r
}

/// Run-time switches of one simulated BMC.
#[derive(Debug)]
pub struct LanControl {
    /// Drop every packet.
    pub quiet: AtomicBool,
    /// Answers still given before going quiet; negative: unlimited.
    pub answers_left: AtomicI64,
    /// Packets received.
    pub packets: AtomicU64,
    /// Sessions activated (RAKP 4 sent with success).
    pub sessions: AtomicU64,
    /// SDR repository requests answered in a session (Get SDR Repository
    /// Info, Reserve SDR Repository, Get SDR): shows when a client reads
    /// the sensor names.
    pub sdr_requests: AtomicU64,
}

impl Default for LanControl {
    fn default() -> Self {
        LanControl {
            quiet: AtomicBool::new(false),
            answers_left: AtomicI64::new(-1),
            packets: AtomicU64::new(0),
            sessions: AtomicU64::new(0),
            sdr_requests: AtomicU64::new(0),
        }
    }
}

impl LanControl {
    /// Answer `n` more packets, then go quiet.
    pub fn quiet_after(&self, n: i64) {
        self.answers_left.store(n, Ordering::SeqCst);
    }
    /// Answer again, without limit.
    pub fn resume(&self) {
        self.quiet.store(false, Ordering::SeqCst);
        self.answers_left.store(-1, Ordering::SeqCst);
    }
    fn may_answer(&self) -> bool {
        if self.quiet.load(Ordering::SeqCst) {
            return false;
        }
        let left = self.answers_left.load(Ordering::SeqCst);
        if left < 0 {
            return true;
        }
        if left == 0 {
            self.quiet.store(true, Ordering::SeqCst);
            return false;
        }
        self.answers_left.fetch_sub(1, Ordering::SeqCst);
        true
    }
}

/// Running simulated LAN BMCs; stops them when dropped.
pub struct LanFleet {
    /// Address of each BMC.
    pub addrs: Vec<SocketAddr>,
    /// Switches of each BMC.
    pub controls: Vec<Arc<LanControl>>,
    /// Shared state of each BMC (add records at run time).
    pub states: Vec<Arc<std::sync::Mutex<LanBmc>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl LanFleet {
    /// `ipmi://127.0.0.1:PORT` of BMC `n`.
    pub fn url(&self, n: usize) -> String {
        format!("ipmi://{}", self.addrs[n])
    }
    /// Replace BMC `n`'s SEL by `recs`, record IDs as given (they need
    /// not be consecutive: the next-record chain follows the list).
    pub fn set_records(&self, n: usize, recs: Vec<[u8; RECORD_LEN]>) {
        self.states[n]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .records = recs;
    }

    /// Append a record (its ID is assigned) to BMC `n`'s SEL.
    pub fn add_record(&self, n: usize, mut rec: [u8; RECORD_LEN]) {
        let mut b = self.states[n].lock().unwrap_or_else(|e| e.into_inner());
        let id = b
            .records
            .last()
            .map_or(1, |r| u16::from_le_bytes([r[0], r[1]]) + 1);
        rec[..2].copy_from_slice(&id.to_le_bytes());
        b.records.push(rec);
    }
}

impl Drop for LanFleet {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// [`spawn_lan`] on a runtime of its own (one worker thread), for callers
/// without one, e.g. tests that drive the BMCs from another process. Keep
/// the runtime as long as the fleet is used.
pub fn spawn_lan_blocking(
    bmcs: Vec<LanBmc>,
) -> std::io::Result<(tokio::runtime::Runtime, LanFleet)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let fleet = rt.block_on(spawn_lan(bmcs, None))?;
    Ok((rt, fleet))
}

/// Start one UDP socket per BMC on 127.0.0.1 (ephemeral ports, or
/// `first_port`, `first_port + 1`, ... when given).
pub async fn spawn_lan(bmcs: Vec<LanBmc>, first_port: Option<u16>) -> std::io::Result<LanFleet> {
    let mut fleet = LanFleet {
        addrs: Vec::new(),
        controls: Vec::new(),
        states: Vec::new(),
        tasks: Vec::new(),
    };
    for (i, mut b) in bmcs.into_iter().enumerate() {
        for (n, r) in b.records.iter_mut().enumerate() {
            r[..2].copy_from_slice(&(n as u16 + 1).to_le_bytes());
        }
        for (n, r) in b.sdrs.iter_mut().enumerate() {
            if r.len() >= 2 {
                r[..2].copy_from_slice(&(n as u16 + 1).to_le_bytes());
            }
        }
        let port = first_port.map_or(0, |p| p.wrapping_add(i as u16));
        let sock = UdpSocket::bind(("127.0.0.1", port)).await?;
        fleet.addrs.push(sock.local_addr()?);
        let ctl = Arc::new(LanControl::default());
        let state = Arc::new(std::sync::Mutex::new(b));
        fleet.controls.push(ctl.clone());
        fleet.states.push(state.clone());
        fleet
            .tasks
            .push(tokio::spawn(serve_lan(sock, state, ctl, i as u64)));
    }
    Ok(fleet)
}

/// Tiny xorshift generator: session IDs, random numbers and IVs of a
/// simulator need no cryptographic strength.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        for c in b.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
        b
    }
}

struct SimSession {
    console_sid: u32,
    suite: CipherSuite,
    rm: [u8; 16],
    rc: [u8; 16],
    role: u8,
    user: Vec<u8>,
    password: Vec<u8>,
    keys: Option<SessionKeys>,
    out_seq: u32,
}

struct Bmc {
    state: Arc<std::sync::Mutex<LanBmc>>,
    sessions: HashMap<u32, SimSession>,
    sel_res: u16,
    sdr_res: u16,
    rng: Rng,
}

/// Serve one BMC on `sock` until the task is aborted.
pub async fn serve_lan(
    sock: UdpSocket,
    state: Arc<std::sync::Mutex<LanBmc>>,
    ctl: Arc<LanControl>,
    seed: u64,
) {
    let mut bmc = Bmc {
        state,
        sessions: HashMap::new(),
        sel_res: 0,
        sdr_res: 0,
        rng: Rng(0x9e37_79b9_7f4a_7c15 ^ (seed.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1)),
    };
    let mut buf = vec![0u8; 2048];
    loop {
        let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        ctl.packets.fetch_add(1, Ordering::Relaxed);
        if !ctl.may_answer() {
            continue;
        }
        if let Some(out) = bmc.handle(&buf[..n], &ctl) {
            let _ = sock.send_to(&out, peer).await;
        }
    }
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

impl Bmc {
    fn handle(&mut self, b: &[u8], ctl: &LanControl) -> Option<Vec<u8>> {
        if b.len() < 16 || b[4] & 0x0f != wire::AUTH_RMCP_PLUS {
            let p = wire::parse_packet(b, None).ok()?;
            let m = wire::parse_msg(&p.payload).ok()?;
            let resp = self.presession(&m)?;
            return Some(wire::encode_v15(&resp));
        }
        let sid = u32::from_le_bytes([b[6], b[7], b[8], b[9]]);
        if sid == 0 {
            let p = wire::parse_packet(b, None).ok()?;
            return match p.kind() {
                payload::IPMI => {
                    let m = wire::parse_msg(&p.payload).ok()?;
                    let resp = self.presession(&m)?;
                    Some(wire::encode_v2(payload::IPMI, 0, 0, &resp, None, [0; 16]))
                }
                payload::OPEN_SESSION_REQUEST => self.open_session(&p.payload),
                payload::RAKP1 => self.rakp1(&p.payload),
                payload::RAKP3 => self.rakp3(&p.payload, ctl),
                _ => None,
            };
        }
        let s = self.sessions.get(&sid)?;
        let keys = s.keys.clone()?;
        let (console_sid, last_seq) = (s.console_sid, s.out_seq);
        let p = wire::parse_packet(b, Some(&keys)).ok()?;
        if p.kind() != payload::IPMI || p.payload_type & wire::AUTHENTICATED == 0 {
            return None;
        }
        let m = wire::parse_msg(&p.payload).ok()?;
        if m.netfn == 0x0a && matches!(m.cmd, 0x20 | 0x22 | 0x23) {
            ctl.sdr_requests.fetch_add(1, Ordering::Relaxed);
        }
        let (cc, data) = self.command(sid, &m);
        let resp = wire::encode_response(&m, cc, &data);
        let iv = self.rng.bytes::<16>();
        // Close Session removed the session: answer with the keys kept above.
        let seq = last_seq.wrapping_add(1).max(1);
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.out_seq = seq;
        }
        Some(wire::encode_v2(
            payload::IPMI,
            console_sid,
            seq,
            &resp,
            Some(&keys),
            iv,
        ))
    }

    fn presession(&self, m: &IpmiMsg) -> Option<Vec<u8>> {
        match (m.netfn, m.cmd) {
            // Get Channel Authentication Capabilities: channel 1, IPMI v2.0
            // extended data, non-null user names, RMCP+ supported.
            (0x06, 0x38) => Some(wire::encode_response(
                m,
                0,
                &[0x01, 0x80 | 0x01, 0x04, 0x02, 0, 0, 0, 0],
            )),
            (0x06, 0x54) => {
                let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let mut recs = Vec::new();
                for s in &st.suites {
                    recs.extend_from_slice(&[
                        0xc0,
                        s.id(),
                        s.auth_alg(),
                        0x40 | s.integrity_alg(),
                        0x80 | s.crypt_alg(),
                    ]);
                }
                let idx = usize::from(m.data.get(2).copied().unwrap_or(0) & 0x3f);
                let part: Vec<u8> = recs.iter().skip(idx * 16).take(16).copied().collect();
                let mut d = vec![0x01];
                d.extend_from_slice(&part);
                Some(wire::encode_response(m, 0, &d))
            }
            _ => Some(wire::encode_response(m, 0xc1, &[])),
        }
    }

    fn open_session(&mut self, b: &[u8]) -> Option<Vec<u8>> {
        let req = OpenSessionRequest::parse(b).ok()?;
        let [auth, integ, crypt] = req.algorithms;
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let suite =
            CipherSuite::from_algorithms(auth, integ, crypt).filter(|s| st.suites.contains(s));
        let status = match suite {
            Some(_) => 0,
            None if !st.suites.iter().any(|s| s.auth_alg() == auth) => 0x04,
            None if !st.suites.iter().any(|s| s.integrity_alg() == integ) => 0x05,
            None if !st.suites.iter().any(|s| s.crypt_alg() == crypt) => 0x10,
            None => 0x11,
        };
        drop(st);
        let mut resp = OpenSessionResponse {
            tag: req.tag,
            status,
            max_privilege: 4,
            console_sid: req.console_sid,
            bmc_sid: 0,
            algorithms: req.algorithms,
        };
        if let Some(suite) = suite {
            let bmc_sid = (self.rng.next() as u32) | 1;
            self.sessions.insert(
                bmc_sid,
                SimSession {
                    console_sid: req.console_sid,
                    suite,
                    rm: [0; 16],
                    rc: [0; 16],
                    role: 0,
                    user: Vec::new(),
                    password: Vec::new(),
                    keys: None,
                    out_seq: 0,
                },
            );
            resp.bmc_sid = bmc_sid;
        }
        Some(wire::encode_v2(
            payload::OPEN_SESSION_RESPONSE,
            0,
            0,
            &resp.encode(),
            None,
            [0; 16],
        ))
    }

    fn rakp1(&mut self, b: &[u8]) -> Option<Vec<u8>> {
        let r1 = Rakp1::parse(b).ok()?;
        let rc = self.rng.bytes::<16>();
        let (guid, password) = {
            let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let pw = st
                .users
                .iter()
                .find(|(u, _)| u.as_bytes() == r1.user.as_slice())
                .map(|(_, p)| p.as_bytes().to_vec());
            (st.guid, pw)
        };
        let s = self.sessions.get_mut(&r1.bmc_sid)?;
        let mut r2 = Rakp2 {
            tag: r1.tag,
            status: 0,
            console_sid: s.console_sid,
            rc,
            guid,
            code: Vec::new(),
        };
        match password {
            None => r2.status = 0x0d,
            Some(pw) => {
                s.rm = r1.rm;
                s.rc = rc;
                s.role = r1.role;
                s.user = r1.user.clone();
                s.password = pw;
                let kuid = wire::user_key(&s.password);
                r2.code = wire::rakp2_code(
                    s.suite,
                    &kuid,
                    s.console_sid,
                    r1.bmc_sid,
                    &s.rm,
                    &rc,
                    &guid,
                    s.role,
                    &s.user,
                );
            }
        }
        Some(wire::encode_v2(
            payload::RAKP2,
            0,
            0,
            &r2.encode(),
            None,
            [0; 16],
        ))
    }

    fn rakp3(&mut self, b: &[u8], ctl: &LanControl) -> Option<Vec<u8>> {
        let r3 = Rakp34::parse(b).ok()?;
        let guid = self.state.lock().unwrap_or_else(|e| e.into_inner()).guid;
        let s = self.sessions.get_mut(&r3.sid)?;
        let kuid = wire::user_key(&s.password);
        let want = wire::rakp3_code(s.suite, &kuid, &s.rc, s.console_sid, s.role, &s.user);
        let mut r4 = Rakp34 {
            tag: r3.tag,
            status: 0,
            sid: s.console_sid,
            code: Vec::new(),
        };
        if r3.status != 0 || s.user.is_empty() && s.password.is_empty() {
            r4.status = 0x02;
        } else if r3.code != want {
            r4.status = 0x0f;
        } else {
            let sik = wire::session_integrity_key(s.suite, &kuid, &s.rm, &s.rc, s.role, &s.user);
            r4.code = wire::rakp4_icv(s.suite, &sik, &s.rm, r3.sid, &guid);
            s.keys = Some(SessionKeys::derive(s.suite, &sik));
            ctl.sessions.fetch_add(1, Ordering::Relaxed);
        }
        Some(wire::encode_v2(
            payload::RAKP4,
            0,
            0,
            &r4.encode(),
            None,
            [0; 16],
        ))
    }

    fn command(&mut self, sid: u32, m: &IpmiMsg) -> (u8, Vec<u8>) {
        let d = &m.data;
        match (m.netfn, m.cmd) {
            // Get Device ID: no device SDRs, SDR repository + SEL device.
            (0x06, 0x01) => (0, vec![0x20, 0x01, 0x01, 0x00, 0x51, 0x06, 0, 0, 0, 0, 0]),
            (0x06, 0x38) => (0, vec![0x01, 0x81, 0x04, 0x02, 0, 0, 0, 0]),
            (0x06, 0x3b) => (0, vec![d.first().copied().unwrap_or(4) & 0x0f]),
            (0x06, 0x3c) => {
                self.sessions.remove(&sid);
                (0, Vec::new())
            }
            (0x0a, 0x40) => {
                let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let n = st.records.len() as u16;
                let mut v = vec![0x51];
                v.extend_from_slice(&n.to_le_bytes());
                v.extend_from_slice(&(0xffffu16.saturating_sub(n * 16)).to_le_bytes());
                v.extend_from_slice(&[0; 8]);
                v.push(0x02 | 0x08); // reserve supported, delete not
                (0, v)
            }
            (0x0a, 0x42) => {
                self.sel_res = self.sel_res.wrapping_add(1).max(1);
                (0, self.sel_res.to_le_bytes().to_vec())
            }
            (0x0a, 0x43) => {
                let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let recs: Vec<&[u8]> = st.records.iter().map(|r| &r[..]).collect();
                read_from(&recs, d, self.sel_res, st.max_read)
            }
            (0x0a, 0x47) => {
                if d.len() < 6 || &d[2..5] != b"CLR" {
                    return (0xcc, Vec::new());
                }
                if le16(d, 0) != self.sel_res {
                    return (0xc5, Vec::new());
                }
                if d[5] == 0xaa {
                    self.state
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .records
                        .clear();
                }
                (0, vec![0x01])
            }
            (0x0a, 0x48) => (0, 0x6000_0000u32.to_le_bytes().to_vec()),
            (0x0a, 0x20) => {
                let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let mut v = vec![0x51];
                v.extend_from_slice(&(st.sdrs.len() as u16).to_le_bytes());
                v.extend_from_slice(&[0xff, 0xff]);
                v.extend_from_slice(&[0; 8]);
                v.push(0x02);
                (0, v)
            }
            (0x0a, 0x22) => {
                self.sdr_res = self.sdr_res.wrapping_add(1).max(1);
                (0, self.sdr_res.to_le_bytes().to_vec())
            }
            (0x0a, 0x23) => {
                let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let recs: Vec<&[u8]> = st.sdrs.iter().map(|r| &r[..]).collect();
                read_from(&recs, d, self.sdr_res, st.max_read)
            }
            _ => (0xc1, Vec::new()),
        }
    }
}

/// Get SEL Entry / Get SDR over `recs`: request reservation (2), record ID
/// (2; 0 first, 0xffff last), offset, count (0xff whole).
fn read_from(recs: &[&[u8]], d: &[u8], res: u16, max_read: Option<u8>) -> (u8, Vec<u8>) {
    if d.len() < 6 {
        return (0xc7, Vec::new());
    }
    let (id, offset, count) = (le16(d, 2), usize::from(d[4]), d[5]);
    let idx = match id {
        0 if !recs.is_empty() => 0,
        0xffff if !recs.is_empty() => recs.len() - 1,
        _ => match recs.iter().position(|r| r.len() >= 2 && le16(r, 0) == id) {
            Some(i) => i,
            None => return (0xcb, Vec::new()),
        },
    };
    let rec = recs[idx];
    let partial = offset != 0 || (count != 0xff && usize::from(count) < rec.len());
    if partial && le16(d, 0) != res {
        return (0xc5, Vec::new());
    }
    let want = if count == 0xff {
        rec.len() - offset.min(rec.len())
    } else {
        usize::from(count)
    };
    if let Some(max) = max_read
        && (count == 0xff || want > usize::from(max))
    {
        return (0xca, Vec::new());
    }
    if offset > rec.len() {
        return (0xc9, Vec::new());
    }
    let end = (offset + want).min(rec.len());
    let next = recs
        .get(idx + 1)
        .map_or(0xffff, |r| if r.len() >= 2 { le16(r, 0) } else { 0xffff });
    let mut v = next.to_le_bytes().to_vec();
    v.extend_from_slice(&rec[offset..end]);
    (0, v)
}

/// An inventory (TOML) of `kind = "ipmi"` hosts `lan0`, `lan1`, ... for
/// these addresses, user `user`, password from the env var `password_env`.
pub fn inventory_toml(
    addrs: &[SocketAddr],
    user: &str,
    password_env: &str,
    concurrency: usize,
) -> String {
    let mut s = format!(
        "# Generated by bmc-sim for {} simulated RMCP+ BMCs.\n\
         [settings]\nconcurrency = {concurrency}\ntimeout_secs = 8\nmin_severity = \"critical\"\n\n\
         [[sink]]\ntype = \"stdout\"\n\n",
        addrs.len()
    );
    for (n, a) in addrs.iter().enumerate() {
        s.push_str(&format!(
            "[[host]]\nname = \"lan{n}\"\nkind = \"ipmi\"\nurl = \"ipmi://{a}\"\nuser = {user:?}\npassword_env = \"{password_env}\"\n\n"
        ));
    }
    s
}
