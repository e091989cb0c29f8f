//! End to end: running out of file descriptors is never a verdict.
//!
//! The release binary runs with a file limit of 1,024, soft and hard (so raising the soft
//! limit cannot help), and this test opens 1,100 slow-loris connections to its share port:
//! each sends a request head a byte at a time and never ends it. Meanwhile a follower that
//! was already streaming must receive every note and never hear "revoked", and a console
//! hosting the server must still record. The test itself is the slow-loris client: bounded
//! in count (1,100) and time (the flood ends when the test does), on loopback only.
#![cfg(target_os = "linux")]

use crate::common::{ChildGuard, log_json, open_incident, printed_token, run, warroom};
use crate::support::release;
use crate::support::tmux::{Tmux, has_line, quote};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Slow-loris connections kept open at once.
const LORIS: usize = 1_100;
/// The limit the binary runs under: soft = hard.
const NOFILE: &str = "--nofile=1024:1024";
/// How long a note may take to reach the follower (it looks twice a second at most).
const LIVE: Duration = Duration::from_secs(5);

/// A data directory with one shared incident, and the config that shares it.
struct Shared {
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
    config: std::path::PathBuf,
    id: String,
    token: String,
    addr: SocketAddr,
}

fn shared_incident() -> Shared {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let id = open_incident(&data, "alice", "Checkout 500s", "sev1");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port();
    let config = data.join("config.toml");
    std::fs::write(&config, format!("[share]\nlisten = \"127.0.0.1:{port}\"\n")).unwrap();
    let ran = run({
        let mut c = warroom(&data, "alice");
        c.env("WARROOM_CONFIG", &config).args(["share", &id]);
        c
    });
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let token = printed_token(&ran.stdout);
    Shared {
        _dir: dir,
        data,
        config,
        id,
        token,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
    }
}

/// This process needs more than LORIS descriptors: its soft limit goes up to the hard one.
fn enough_descriptors_for_the_flood() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    let limit = unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        lim.rlim_cur = lim.rlim_max;
        let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        lim.rlim_cur
    };
    assert!(
        limit >= LORIS as u64 + 200,
        "this test needs a hard file limit above {} (it is {limit})",
        LORIS + 200
    );
}

fn wait_for_port(addr: SocketAddr) {
    let until = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(Instant::now() < until, "nothing listens on {addr}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One server-sent event: its kind and data.
type Sse = (String, String);

/// A follower on a plain socket: every event it reads, in order, on a channel; ("closed", …)
/// when the stream ends.
fn follower(addr: SocketAddr, id: &str, token: &str) -> Receiver<Sse> {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut stream = TcpStream::connect(addr).expect("the follower connects");
    write!(
        stream,
        "GET /v1/incidents/{id}/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    .expect("the follower's request");
    std::thread::spawn(move || {
        let mut kind = String::from("message");
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            // Chunked transfer: chunk sizes and SSE lines alike; only SSE fields count (each
            // event is one chunk, and its data one line).
            if let Some(k) = line.strip_prefix("event: ") {
                kind = k.to_string();
            } else if let Some(d) = line.strip_prefix("data: ") {
                let kind = std::mem::replace(&mut kind, "message".into());
                if tx.send((kind, d.to_string())).is_err() {
                    return;
                }
            }
        }
        let _ = tx.send(("closed".into(), String::new()));
    });
    rx
}

/// Waits for an `entry` event holding `text`; fails on `revoked`, a closed stream, or after
/// `within`.
fn wait_for_entry(rx: &Receiver<Sse>, text: &str, within: Duration) {
    let until = Instant::now() + within;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((kind, data)) if kind == "entry" && data.contains(text) => return,
            Ok((kind, data)) if kind == "revoked" || kind == "closed" => {
                panic!("the follower was told {kind:?} ({data}) while waiting for {text:?}")
            }
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout) => {
                panic!("{text:?} did not reach the follower in {within:?}")
            }
            Err(RecvTimeoutError::Disconnected) => panic!("the follower's reader ended"),
        }
    }
}

/// The slow-loris flood: LORIS connections, each trickling a request head that never ends,
/// reopened when the server closes one; stopped (every socket closed) on drop.
struct Flood {
    stop: Arc<AtomicBool>,
    connects: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Flood {
    fn start(addr: SocketAddr, id: &str) -> Flood {
        let stop = Arc::new(AtomicBool::new(false));
        let connects = Arc::new(AtomicUsize::new(0));
        let head = format!(
            "GET /v1/incidents/{id}/events HTTP/1.1\r\nHost: {addr}\r\nX-Slow: {}",
            "a".repeat(4_000)
        )
        .into_bytes();
        let thread = {
            let (stop, connects) = (stop.clone(), connects.clone());
            std::thread::spawn(move || {
                let mut socks: Vec<Option<(TcpStream, usize)>> = (0..LORIS).map(|_| None).collect();
                while !stop.load(Ordering::Relaxed) {
                    let round = Instant::now();
                    for slot in socks.iter_mut() {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        if slot.is_none() {
                            // A connect the server's queue cannot take waits a little, not
                            // for ever: the round goes on.
                            if round.elapsed() > Duration::from_secs(2) {
                                continue;
                            }
                            if let Ok(s) =
                                TcpStream::connect_timeout(&addr, Duration::from_millis(20))
                            {
                                let _ = s.set_nonblocking(true);
                                connects.fetch_add(1, Ordering::Relaxed);
                                *slot = Some((s, 0));
                            }
                            continue;
                        }
                        let Some((s, sent)) = slot.as_mut() else {
                            continue;
                        };
                        // Closed by the server (end of stream or an error): open another.
                        let mut probe = [0u8; 512];
                        let closed = match s.read(&mut probe) {
                            Ok(_) => true,
                            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
                        };
                        let wrote = *sent < head.len() && s.write(&head[*sent..*sent + 1]).is_ok();
                        if closed || (*sent < head.len() && !wrote) {
                            *slot = None;
                        } else if wrote {
                            *sent += 1;
                        }
                    }
                    std::thread::sleep(Duration::from_millis(300));
                }
            })
        };
        Flood {
            stop,
            connects,
            thread: Some(thread),
        }
    }

    /// Waits until every slow connection has been opened once.
    fn wait_full(&self) {
        let until = Instant::now() + Duration::from_secs(30);
        while self.connects.load(Ordering::Relaxed) < LORIS {
            assert!(
                Instant::now() < until,
                "only {} of {LORIS} slow connections opened",
                self.connects.load(Ordering::Relaxed)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Flood {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn warroom_serve_under_a_slow_loris_flood_keeps_streaming_every_note() {
    enough_descriptors_for_the_flood();
    let s = shared_incident();
    let mut serve = ChildGuard(
        Command::new("prlimit")
            .arg(NOFILE)
            .arg("--")
            .arg(release::warroom())
            .args(["--as", "alice", "serve"])
            .env("WARROOM_DATA_DIR", &s.data)
            .env("WARROOM_CONFIG", &s.config)
            .env_remove("WARROOM_USER")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prlimit warroom serve"),
    );
    wait_for_port(s.addr);
    let events = follower(s.addr, &s.id, &s.token);
    wait_for_entry(&events, "Checkout 500s", LIVE);

    let flood = Flood::start(s.addr, &s.id);
    flood.wait_full();
    // Notes over 15 s: past the share record's re-reads (twice a second) and the slow
    // connections' 10 s head timeout, so they are closed and opened again meanwhile.
    for n in 1..=5 {
        let text = format!("note {n} during the flood");
        let ran = run({
            let mut c = warroom(&s.data, "alice");
            c.args(["note", &s.id, &text]);
            c
        });
        assert_eq!(ran.code, Some(0), "{}", ran.stderr);
        wait_for_entry(&events, &text, LIVE);
        std::thread::sleep(Duration::from_secs(3));
    }
    assert!(
        serve.0.try_wait().is_ok_and(|s| s.is_none()),
        "warroom serve is still running"
    );
    drop(flood);
    // Afterwards a new follower is served as before.
    let fresh = follower(s.addr, &s.id, &s.token);
    wait_for_entry(&fresh, "note 5 during the flood", LIVE);
}

#[test]
fn a_console_hosting_the_share_server_records_under_a_slow_loris_flood() {
    enough_descriptors_for_the_flood();
    let Some(tmux) = Tmux::new("share-fds", Duration::from_secs(10)) else {
        return;
    };
    let s = shared_incident();
    let lead = tmux.shell(
        "lead",
        &format!(
            "exec env -u WARROOM_USER -u WARROOM_THEME -u NO_COLOR WARROOM_DATA_DIR={} WARROOM_CONFIG={}",
            quote(&s.data.display().to_string()),
            quote(&s.config.display().to_string())
        ),
    );
    lead.run_line(&format!(
        "prlimit {NOFILE} -- {} --as alice; echo warroom-exit-$?",
        quote(&release::warroom().display().to_string())
    ));
    lead.wait_line("the incident in the list", &[&s.id, "Checkout 500s"]);
    lead.press(&["Enter"]);
    lead.wait_for("alice leading the incident", |sc| {
        sc.contains("next update in")
    });
    wait_for_port(s.addr);
    let events = follower(s.addr, &s.id, &s.token);
    wait_for_entry(&events, "Checkout 500s", LIVE);

    let flood = Flood::start(s.addr, &s.id);
    flood.wait_full();
    for n in 1..=3 {
        let text = format!("console note {n} during the flood");
        lead.press(&["n"]);
        lead.wait_for("the note editor", |sc| sc.contains("Observation"));
        lead.type_text(&text);
        lead.press(&["C-s"]);
        let shown = &text[..20];
        lead.wait_for("the note in the outage log", |sc| {
            has_line(sc, &["alice", "NOTE", shown])
        });
        wait_for_entry(&events, &text, LIVE);
        let screen = lead.screen();
        assert!(
            !screen.contains("not recorded") && !screen.contains("Too many open files"),
            "{screen}"
        );
        std::thread::sleep(Duration::from_secs(4));
    }
    drop(flood);
    let notes: Vec<String> = log_json(&s.data, &s.id)
        .iter()
        .filter(|l| l["event"]["type"] == "note")
        .map(|l| l["event"]["text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        notes,
        (1..=3)
            .map(|n| format!("console note {n} during the flood"))
            .collect::<Vec<_>>()
    );
}
