//! Sources against the simulator (a real HTTP server on 127.0.0.1, own
//! thread and runtime), with each fault switched on.

use std::time::Duration;

use bmc_sim::{self as sim, Faults, SimConfig, SimServer};
use ipmi_sel::Error;
use ipmi_sel::Severity;
use ipmi_sel::source::{
    Credentials, HttpOptions, RedfishAuth, RedfishSource, Secret, SelSource, SupermicroSource,
    build_client,
};

const PW: &str = "s3cret-Pa55";

fn start(count: usize, page_size: usize) -> SimServer {
    let cfg = SimConfig {
        count,
        password: PW.into(),
        page_size,
        ..SimConfig::default()
    };
    sim::spawn(cfg, "127.0.0.1:0".parse().unwrap()).unwrap()
}

fn creds(pw: &str) -> Credentials {
    Credentials {
        user: "ADMIN".into(),
        password: Secret::new(pw),
    }
}

fn client(timeout_ms: u64) -> reqwest::Client {
    build_client(
        &HttpOptions {
            timeout: Duration::from_millis(timeout_ms),
            ..HttpOptions::default()
        },
        "test",
    )
    .unwrap()
}

async fn set_faults(srv: &SimServer, n: usize, f: &Faults) {
    let r = reqwest::Client::new()
        .post(format!("{}/_sim/faults", srv.url(n)))
        .json(f)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}

async fn stats(srv: &SimServer) -> serde_json::Value {
    reqwest::get(format!("http://{}/_sim/stats", srv.addr))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn smc(srv: &SimServer, n: usize, pw: &str, timeout_ms: u64) -> SupermicroSource {
    SupermicroSource::new(
        &format!("bmc{n}"),
        &srv.url(n),
        client(timeout_ms),
        creds(pw),
    )
    .unwrap()
}

fn rf(srv: &SimServer, n: usize, pw: &str, auth: RedfishAuth) -> RedfishSource {
    RedfishSource::new(
        &format!("rf{n}"),
        &srv.url(n),
        client(5000),
        creds(pw),
        auth,
        None,
    )
    .unwrap()
}

fn no_secret(e: &Error) -> String {
    let s = e.to_string();
    assert!(!s.contains(PW), "password leaked in {s}");
    assert!(!format!("{e:?}").contains(PW), "password leaked in debug");
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supermicro_fetch_decodes_pci_errors_and_logs_out() {
    let srv = start(3, 50);
    let evs = smc(&srv, 0, PW, 5000).fetch().await.unwrap();
    // 12 routine records + a PCI SERR and a PCI PERR on BMC 0 (index % 3 == 0).
    assert_eq!(evs.len(), 14);
    let pci: Vec<_> = evs
        .iter()
        .filter(|e| e.sensor_type_code == Some(0x13))
        .collect();
    assert_eq!(pci.len(), 2);
    assert_eq!(pci[0].description, "PCI SERR @Bus80(DevFn12)");
    assert_eq!(pci[1].description, "PCI PERR @Bus80(DevFn10)");
    assert!(pci.iter().all(|e| e.severity == Severity::Critical));
    assert!(evs.iter().all(|e| e.host.as_deref() == Some("bmc0")));
    // BMC 1 has no PCI errors.
    let evs1 = smc(&srv, 1, PW, 5000).fetch().await.unwrap();
    assert_eq!(evs1.len(), 12);
    assert!(evs1.iter().all(|e| e.sensor_type_code != Some(0x13)));
    let st = stats(&srv).await;
    assert_eq!(
        st["logins"], st["logouts"],
        "every session is logged out: {st}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supermicro_faults_give_clear_errors() {
    let srv = start(1, 50);
    // Wrong password: HTTP 200 without a session is still a failed login.
    let e = smc(&srv, 0, "wrong", 5000).fetch().await.unwrap_err();
    assert!(matches!(e, Error::LoginFailed { .. }), "{e}");
    assert!(no_secret(&e).starts_with("bmc0: login failed"));

    set_faults(
        &srv,
        0,
        &Faults {
            wrong_password: true,
            ..Faults::default()
        },
    )
    .await;
    let e = smc(&srv, 0, PW, 5000).fetch().await.unwrap_err();
    assert!(matches!(e, Error::LoginFailed { .. }), "{e}");

    set_faults(
        &srv,
        0,
        &Faults {
            http_500: true,
            ..Faults::default()
        },
    )
    .await;
    let e = smc(&srv, 0, PW, 5000).fetch().await.unwrap_err();
    assert!(
        no_secret(&e).starts_with("bmc0: HTTP 500 from /cgi/login.cgi"),
        "{e}"
    );

    set_faults(
        &srv,
        0,
        &Faults {
            truncated: true,
            ..Faults::default()
        },
    )
    .await;
    let e = smc(&srv, 0, PW, 5000).fetch().await.unwrap_err();
    let s = no_secret(&e);
    assert!(
        s.starts_with("bmc0: line ") && s.contains("broken SEL XML"),
        "{s}"
    );

    set_faults(
        &srv,
        0,
        &Faults {
            html_error: true,
            ..Faults::default()
        },
    )
    .await;
    let e = smc(&srv, 0, PW, 5000).fetch().await.unwrap_err();
    assert!(matches!(e, Error::HtmlPage { .. }), "{e}");

    set_faults(
        &srv,
        0,
        &Faults {
            expire_always: true,
            ..Faults::default()
        },
    )
    .await;
    let e = smc(&srv, 0, PW, 5000).fetch().await.unwrap_err();
    assert!(matches!(e, Error::SessionExpired { .. }), "{e}");

    set_faults(
        &srv,
        0,
        &Faults {
            slow_ms: 800,
            ..Faults::default()
        },
    )
    .await;
    let e = smc(&srv, 0, PW, 200).fetch().await.unwrap_err();
    assert!(no_secret(&e).contains("timed out"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supermicro_session_expiry_mid_run_relogs_in_and_csrf_is_sent() {
    let srv = start(1, 50);
    set_faults(
        &srv,
        0,
        &Faults {
            expire_once: true,
            csrf: true,
            ..Faults::default()
        },
    )
    .await;
    let before = stats(&srv).await["logins"].as_u64().unwrap();
    let evs = smc(&srv, 0, PW, 5000).fetch().await.unwrap();
    assert_eq!(evs.len(), 14);
    let after = stats(&srv).await["logins"].as_u64().unwrap();
    assert_eq!(after - before, 2, "one re-login after the expiry");
    // Slow but within the timeout still works.
    set_faults(
        &srv,
        0,
        &Faults {
            slow_ms: 50,
            csrf: true,
            ..Faults::default()
        },
    )
    .await;
    assert_eq!(smc(&srv, 0, PW, 5000).fetch().await.unwrap().len(), 14);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_firmware_rejects_requests_without_the_token() {
    // A client that ignores the token gets an error page, not data: this is
    // what makes the positive test above meaningful.
    let srv = start(1, 50);
    set_faults(
        &srv,
        0,
        &Faults {
            csrf: true,
            ..Faults::default()
        },
    )
    .await;
    let c = reqwest::Client::new();
    let r = c
        .post(format!("{}/cgi/login.cgi", srv.url(0)))
        .form(&[("name", "ADMIN"), ("pwd", PW)])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let body = c
        .post(format!("{}/cgi/ipmi.cgi", srv.url(0)))
        .header("Cookie", cookie)
        .form(&[("SEL_INFO.XML", "(1,c0)")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let e = ipmi_sel::parse::parse_sel_xml(&body, "bmc0").unwrap_err();
    assert!(matches!(e, Error::HtmlPage { .. }), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redfish_matches_supermicro_with_paging_and_both_auths() {
    let srv = start(1, 5); // 14 entries in pages of 5: three pages
    let cgi = smc(&srv, 0, PW, 5000).fetch().await.unwrap();
    for auth in [RedfishAuth::Session, RedfishAuth::Basic] {
        let evs = rf(&srv, 0, PW, auth).fetch().await.unwrap();
        assert_eq!(evs.len(), cgi.len(), "{auth:?}");
        for (a, b) in evs.iter().zip(&cgi) {
            assert_eq!(a.record_id, b.record_id);
            assert_eq!(a.timestamp, b.timestamp);
            assert_eq!(a.sensor_type_code, b.sensor_type_code);
            assert_eq!(a.severity, b.severity, "{a:?}");
            assert_eq!((a.bus, a.devfn), (b.bus, b.devfn));
            assert_eq!(a.direction, b.direction);
        }
    }
    let st = stats(&srv).await;
    assert_eq!(st["logins"], st["logouts"], "{st}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redfish_faults() {
    let srv = start(1, 50);
    let e = rf(&srv, 0, "nope", RedfishAuth::Session)
        .fetch()
        .await
        .unwrap_err();
    assert!(no_secret(&e).starts_with("rf0: login failed"), "{e}");
    let e = rf(&srv, 0, "nope", RedfishAuth::Basic)
        .fetch()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::LoginFailed { .. }), "{e}");

    set_faults(
        &srv,
        0,
        &Faults {
            expire_once: true,
            ..Faults::default()
        },
    )
    .await;
    assert_eq!(
        rf(&srv, 0, PW, RedfishAuth::Session)
            .fetch()
            .await
            .unwrap()
            .len(),
        14
    );

    set_faults(
        &srv,
        0,
        &Faults {
            truncated: true,
            ..Faults::default()
        },
    )
    .await;
    let e = rf(&srv, 0, PW, RedfishAuth::Session)
        .fetch()
        .await
        .unwrap_err();
    assert!(no_secret(&e).contains("broken Redfish JSON"), "{e}");

    set_faults(
        &srv,
        0,
        &Faults {
            http_500: true,
            ..Faults::default()
        },
    )
    .await;
    let e = rf(&srv, 0, PW, RedfishAuth::Session)
        .fetch()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Status { status: 500, .. }), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sel_clear_and_added_events() {
    let srv = start(1, 50);
    let c = reqwest::Client::new();
    c.post(format!("{}/_sim/clear", srv.url(0)))
        .send()
        .await
        .unwrap();
    let evs = smc(&srv, 0, PW, 5000).fetch().await.unwrap();
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].record_id, 1);
    assert_eq!(evs[0].description, "Log Area Reset/Cleared");
    let r: serde_json::Value = c
        .post(format!("{}/_sim/add", srv.url(0)))
        .body("0000021fe3035d33000413006fa48112")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["ids"][0], 2);
    let evs = smc(&srv, 0, PW, 5000).fetch().await.unwrap();
    assert_eq!(evs.len(), 2);
    assert_eq!(evs[1].description, "PCI PERR @Bus81(DevFn12)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_host_is_a_connect_error_naming_the_host() {
    // Bind and drop to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut s = SupermicroSource::new(
        "deadbmc",
        &format!("http://127.0.0.1:{port}"),
        client(2000),
        creds(PW),
    )
    .unwrap();
    let e = s.fetch().await.unwrap_err();
    let m = no_secret(&e);
    assert!(m.starts_with("deadbmc: cannot connect"), "{m}");
}

#[test]
fn urls_with_credentials_are_refused() {
    let e = SupermicroSource::new("h", "https://ADMIN:pw@10.0.0.5", client(1000), creds(PW))
        .err()
        .unwrap();
    assert!(
        e.to_string()
            .contains("credentials in the URL are not allowed"),
        "{e}"
    );
}
