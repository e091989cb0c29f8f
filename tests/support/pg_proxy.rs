//! A TCP proxy between warroom and PostgreSQL that reads the frontend protocol going to the
//! server, so a test can cut a connection at the worst moment: right after a `COMMIT` was
//! forwarded (the server commits, the client never hears it), or stop forwarding altogether
//! (a database that hangs rather than goes away). Plain TCP only (`sslmode=disable`).
//! Its listener and every connection end when it is dropped.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forwards everything.
    Forward,
    /// Forwards every `COMMIT`, and for one in `every` of them closes the connection right
    /// after, the server's answer never forwarded.
    CutAfterCommit { every: u32 },
    /// Accepts connections and forwards nothing either way: a database that stopped answering.
    Silent,
}

struct State {
    mode: Mutex<Mode>,
    commits: AtomicU32,
    cuts: AtomicUsize,
    done: AtomicBool,
    streams: Mutex<Vec<TcpStream>>,
}

pub struct Proxy {
    pub port: u16,
    state: Arc<State>,
}

impl Proxy {
    /// A proxy on a free port of 127.0.0.1 to PostgreSQL on `upstream_port`.
    pub fn start(upstream_port: u16, mode: Mode) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State {
            mode: Mutex::new(mode),
            commits: AtomicU32::new(0),
            cuts: AtomicUsize::new(0),
            done: AtomicBool::new(false),
            streams: Mutex::new(Vec::new()),
        });
        let st = state.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if st.done.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream_port)) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                {
                    let mut streams = st.streams.lock().unwrap();
                    for s in [&client, &server] {
                        if let Ok(c) = s.try_clone() {
                            streams.push(c);
                        }
                    }
                }
                connection(st.clone(), client, server);
            }
        });
        Proxy { port, state }
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.state.mode.lock().unwrap() = mode;
    }

    /// How many connections were cut right after a forwarded COMMIT.
    pub fn cuts(&self) -> usize {
        self.state.cuts.load(Ordering::SeqCst)
    }

    /// `url` (a `postgres://…@127.0.0.1:PORT/…` URL) pointed at the proxy instead.
    pub fn url(&self, url: &str, upstream_port: u16) -> String {
        url.replace(
            &format!("@127.0.0.1:{upstream_port}/"),
            &format!("@127.0.0.1:{}/", self.port),
        )
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.state.done.store(true, Ordering::SeqCst);
        for s in self.state.streams.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
        // Wake the accept loop so it sees `done`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn connection(st: Arc<State>, client: TcpStream, server: TcpStream) {
    // Set once the answer to a COMMIT must never reach the client.
    let muted = Arc::new(AtomicBool::new(false));
    {
        let (st, muted) = (st.clone(), muted.clone());
        let (mut from, mut to) = (server.try_clone().unwrap(), client.try_clone().unwrap());
        std::thread::spawn(move || {
            let mut buf = [0u8; 16 * 1024];
            loop {
                let n = match from.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                loop {
                    let mode = *st.mode.lock().unwrap();
                    if mode != Mode::Silent || st.done.load(Ordering::SeqCst) {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                if muted.load(Ordering::SeqCst) || to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            let _ = to.shutdown(Shutdown::Both);
        });
    }
    std::thread::spawn(move || {
        let (mut from, mut to) = (client, server);
        // The startup phase: messages without a type byte (SSLRequest, then StartupMessage).
        loop {
            let Some(msg) = read_untyped(&mut from) else {
                return;
            };
            if to.write_all(&msg).is_err() {
                return;
            }
            let code = u32::from_be_bytes([msg[4], msg[5], msg[6], msg[7]]);
            // SSLRequest and GSSENCRequest are followed by the real StartupMessage.
            if code != 80877103 && code != 80877104 {
                break;
            }
        }
        while let Some(msg) = read_typed(&mut from) {
            loop {
                let mode = *st.mode.lock().unwrap();
                if mode != Mode::Silent || st.done.load(Ordering::SeqCst) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let commit = msg[0] == b'Q' && msg[5..].to_ascii_uppercase().starts_with(b"COMMIT");
            let cut = commit
                && match *st.mode.lock().unwrap() {
                    Mode::CutAfterCommit { every } => st
                        .commits
                        .fetch_add(1, Ordering::SeqCst)
                        .is_multiple_of(every.max(1)),
                    _ => false,
                };
            if cut {
                muted.store(true, Ordering::SeqCst);
            }
            if to.write_all(&msg).is_err() {
                break;
            }
            if cut {
                // Let the server read the COMMIT and commit it, then cut both sides.
                std::thread::sleep(Duration::from_millis(50));
                st.cuts.fetch_add(1, Ordering::SeqCst);
                break;
            }
        }
        let _ = from.shutdown(Shutdown::Both);
        let _ = to.shutdown(Shutdown::Both);
    });
}

fn read_untyped(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).ok()?;
    let n = u32::from_be_bytes(len) as usize;
    if !(8..=1 << 20).contains(&n) {
        return None;
    }
    let mut msg = len.to_vec();
    msg.resize(n, 0);
    s.read_exact(&mut msg[4..]).ok()?;
    Some(msg)
}

fn read_typed(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = [0u8; 5];
    s.read_exact(&mut head).ok()?;
    let n = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if !(4..=1 << 30).contains(&n) {
        return None;
    }
    let mut msg = head.to_vec();
    msg.resize(n + 1, 0);
    s.read_exact(&mut msg[5..]).ok()?;
    Some(msg)
}
