//! `bmc-sim`: serve simulated BMCs (Supermicro CGI + Redfish SEL) for trying
//! `ipmi-sel` and for its tests. Logic lives in the `bmc_sim` library.
use std::io::Write;

use bmc_sim::{Faults, SimConfig};
use clap::Parser;

/// Simulated Supermicro/Redfish BMCs on one HTTP port.
#[derive(Parser)]
#[command(
    version,
    after_help = "\
BMC n is served under http://ADDR/bmc/n (BMC 0 also at http://ADDR/).
The password is read from the env var BMC_SIM_PASSWORD (default ADMIN);
the user is ADMIN unless --user is given. The first line on stdout is
`bmc-sim: listening on http://ADDR (N BMCs)`.

Faults (per BMC, or `all`): wrong_password, expire_once, expire_always,
slow_ms=N, http_500, truncated, html_error, csrf. Change them at run time:
  curl -X POST -d '{\"http_500\":true}' http://ADDR/bmc/2/_sim/faults
  curl -X POST http://ADDR/bmc/2/_sim/clear          # SEL cleared
  curl -X POST -d 020002124c015d33000413006fa58012 http://ADDR/bmc/2/_sim/add

Examples:
  bmc-sim --listen 127.0.0.1:9623 --count 3
  bmc-sim --lan --listen 127.0.0.1:16230 --count 1000 --write-inventory /tmp/lan.toml
  bmc-sim --count 1000 --listen 127.0.0.1:0 --write-inventory /tmp/fleet.toml
  bmc-sim --tls-cert-out /tmp/bmc.pem     # HTTPS; then ipmi-sel fetch --pinned-cert /tmp/bmc.pem ...
  BMC_SIM_PASSWORD=secret bmc-sim --count 1000 --fault 5:wrong_password --fault all:csrf
  bmc-sim --hostile endless-body --listen 127.0.0.1:0   # prints `bmc-sim: hostile endless-body on http://ADDR`

Exit codes: 0 stopped by Ctrl-C/SIGTERM, 3 usage error or cannot listen."
)]
struct Args {
    /// Address to listen on (keep it on loopback: the control API has no auth).
    #[arg(long, default_value = "127.0.0.1:9623")]
    listen: std::net::SocketAddr,
    /// Number of simulated BMCs.
    #[arg(long, default_value_t = 3)]
    count: usize,
    /// Login user every BMC accepts.
    #[arg(long, default_value = "ADMIN")]
    user: String,
    /// Routine records per BMC (every third BMC also gets a PCI SERR and PERR).
    #[arg(long, default_value_t = 12)]
    records: usize,
    /// Redfish entries per page.
    #[arg(long, default_value_t = 50)]
    page_size: usize,
    /// Write an inventory for `ipmi-sel --inventory` pointing at these BMCs
    /// (password_env = BMC_SIM_PASSWORD).
    #[arg(long, value_name = "PATH")]
    write_inventory: Option<std::path::PathBuf>,
    /// Serve HTTPS with a fresh self-signed certificate, written (PEM) to
    /// this path so that clients can pin it.
    #[arg(long, value_name = "PEM")]
    tls_cert_out: Option<std::path::PathBuf>,
    /// Fault to switch on at start: `N:name[=value]` or `all:name[=value]`.
    #[arg(long = "fault", value_name = "BMC:FAULT")]
    faults: Vec<String>,
    /// Instead of the simulated BMCs, misbehave (tests of ipmi-sel's
    /// resource limits): endless-body, huge-body, next-link-loop,
    /// next-link-endless, redirect, status-999, billion-laughs, drip.
    #[arg(long, value_name = "MODE")]
    hostile: Option<String>,
    /// Serve IPMI v2.0 over LAN (RMCP+, UDP, cipher suites 3 and 17) instead
    /// of HTTP: one UDP port per BMC, from the --listen port on (port 0:
    /// ephemeral ports); the inventory then has kind = "ipmi" hosts.
    #[arg(long, conflicts_with_all = ["tls_cert_out", "faults"])]
    lan: bool,
}

fn main() {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { 3 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    if let Err(e) = run(args) {
        eprintln!("bmc-sim: {e}");
        std::process::exit(3);
    }
}

fn run(args: Args) -> Result<(), String> {
    if args.count == 0 || args.count > 100_000 {
        return Err("--count must be between 1 and 100000".into());
    }
    let mut faults = vec![Faults::default(); args.count];
    for spec in &args.faults {
        let (who, what) = spec
            .split_once(':')
            .ok_or_else(|| format!("--fault {spec:?}: write BMC:FAULT, e.g. 2:http_500"))?;
        if who == "all" {
            for f in &mut faults {
                f.set(what)?;
            }
        } else {
            let n: usize = who
                .parse()
                .map_err(|_| format!("--fault {spec:?}: {who:?} is not a BMC number or all"))?;
            faults
                .get_mut(n)
                .ok_or_else(|| format!("--fault {spec:?}: there are only {} BMCs", args.count))?
                .set(what)?;
        }
    }
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "bmc-sim: warning: listening on a non-loopback address; the control API has no authentication"
        );
    }
    let cfg = SimConfig {
        count: args.count,
        user: args.user,
        password: std::env::var("BMC_SIM_PASSWORD").unwrap_or_else(|_| "ADMIN".into()),
        page_size: args.page_size.max(1),
        records: args.records,
        faults,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    if let Some(m) = &args.hostile {
        let mode: bmc_sim::hostile::Mode = m.parse()?;
        return rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind(args.listen)
                .await
                .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "bmc-sim: hostile {m} on http://{addr}");
                let _ = out.flush();
            }
            bmc_sim::hostile::serve(mode, listener, shutdown_signal())
                .await
                .map_err(|e| format!("server error: {e}"))
        });
    }
    if args.lan {
        return rt.block_on(serve_lan(args.listen, args.write_inventory, cfg));
    }
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let tls = match &args.tls_cert_out {
            Some(p) => {
                let id = bmc_sim::TlsIdentity::self_signed(&[
                    "localhost",
                    "127.0.0.1",
                    "bmc-sim.invalid",
                ])?;
                std::fs::write(p, &id.cert_pem).map_err(|e| format!("{}: {e}", p.display()))?;
                Some(id)
            }
            None => None,
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        if let Some(p) = &args.write_inventory {
            let mut t = bmc_sim::inventory_toml(addr, cfg.count, "BMC_SIM_PASSWORD", 100);
            if let Some(pem) = &args.tls_cert_out {
                let abs = std::fs::canonicalize(pem).unwrap_or_else(|_| pem.clone());
                t = t.replace("url = \"http://", "url = \"https://").replace(
                    "user = \"ADMIN\"\n",
                    &format!(
                        "user = \"ADMIN\"\npinned_cert = {:?}\n",
                        abs.display().to_string()
                    ),
                );
            }
            std::fs::write(p, t).map_err(|e| format!("{}: {e}", p.display()))?;
        }
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "bmc-sim: listening on {scheme}://{addr} ({} BMCs)",
                cfg.count
            );
            let _ = out.flush();
        }
        let shutdown = shutdown_signal();
        match tls {
            Some(id) => bmc_sim::serve_tls(cfg, listener, &id, shutdown).await,
            None => bmc_sim::serve(cfg, listener, shutdown).await,
        }
        .map_err(|e| format!("server error: {e}"))
    })
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let term = async {
        #[cfg(unix)]
        {
            if let Ok(mut s) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            {
                s.recv().await;
            } else {
                std::future::pending::<()>().await;
            }
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term => {},
    }
}

/// `--lan`: RMCP+ BMCs, one UDP port each.
async fn serve_lan(
    listen: std::net::SocketAddr,
    write_inventory: Option<std::path::PathBuf>,
    cfg: SimConfig,
) -> Result<(), String> {
    let bmcs = (0..cfg.count)
        .map(|n| {
            let mut b =
                bmc_sim::lan::LanBmc::new(&cfg.password, bmc_sim::fixture_records(n, cfg.records));
            b.users = vec![(cfg.user.clone(), cfg.password.clone())];
            b
        })
        .collect();
    let first = (listen.port() != 0).then_some(listen.port());
    if !listen.ip().is_loopback() {
        return Err("--lan listens on 127.0.0.1 only".into());
    }
    let fleet = bmc_sim::lan::spawn_lan(bmcs, first)
        .await
        .map_err(|e| format!("cannot bind the UDP ports: {e}"))?;
    if let Some(p) = &write_inventory {
        let t = bmc_sim::lan::inventory_toml(&fleet.addrs, &cfg.user, "BMC_SIM_PASSWORD", 100);
        std::fs::write(p, t).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "bmc-sim: listening on ipmi://{} .. ipmi://{} ({} BMCs)",
            fleet.addrs[0],
            fleet.addrs[fleet.addrs.len() - 1],
            cfg.count
        );
        let _ = out.flush();
    }
    shutdown_signal().await;
    drop(fleet);
    Ok(())
}
