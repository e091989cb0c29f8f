//! A real IRC server for the IRC delivery tests: ngIRCd (Debian `ngircd`) in the foreground on
//! a free loopback port, with a test configuration in a temp dir (no PAM, no ident, no DNS, its
//! own pid file and MOTD), killed when dropped; and a small blocking IRC client that reads
//! everything the server relays to it.
#![allow(dead_code)]

use super::servers::{free_port, require};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Ngircd {
    pub port: u16,
    /// The TLS port, when started with a certificate.
    pub tls_port: Option<u16>,
    pub dir: tempfile::TempDir,
    child: Child,
    log: PathBuf,
}

impl Ngircd {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `ngircd --version`'s first line.
    pub fn version() -> String {
        Command::new("ngircd")
            .arg("--version")
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_default()
    }
}

impl Drop for Ngircd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts ngIRCd; `None` (after a loud SKIPPED) when it is not installed outside CI.
pub fn start() -> Option<Ngircd> {
    start_with("", None)
}

/// Starts ngIRCd with `global` (e.g. `Password = …\n`) added to its `[Global]` section and,
/// given a PEM certificate and key (readable by anyone: started as root, ngIRCd runs as
/// nobody), a TLS port besides the plain one.
pub fn start_with(global: &str, tls: Option<(&Path, &Path)>) -> Option<Ngircd> {
    let bin = require("ngIRCd (Debian package ngircd)", &["ngircd"])?;
    let dir = tempfile::tempdir().expect("tempdir");
    // Started as root, ngIRCd runs as nobody: its pid file's directory must be reachable.
    let run = dir.path().join("run");
    std::fs::create_dir(&run).expect("create run dir");
    use std::os::unix::fs::PermissionsExt;
    for (p, mode) in [(dir.path(), 0o755), (run.as_path(), 0o777)] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    let port = free_port();
    let tls_port = tls.map(|_| free_port());
    let ssl = match tls {
        Some((cert, key)) => format!(
            "[SSL]\nCertFile = {}\nKeyFile = {}\nPorts = {}\n",
            cert.display(),
            key.display(),
            tls_port.unwrap_or_default()
        ),
        None => String::new(),
    };
    let config = dir.path().join("ngircd.conf");
    std::fs::write(
        &config,
        format!(
            "[Global]\nName = irc.warroom.test\nInfo = warroom test server\n\
             AdminInfo1 = warroom tests\nAdminInfo2 = loopback\nAdminEMail = tests@localhost\n\
             Listen = 127.0.0.1\nPorts = {port}\nPidFile = {}\nMotdPhrase = warroom test server\n{global}\
             [Limits]\nMaxConnectionsIP = 0\nMaxNickLength = 30\nPingTimeout = 120\nPongTimeout = 20\n\
             [Options]\nPAM = no\nIdent = no\nDNS = no\n{ssl}",
            run.join("ngircd.pid").display()
        ),
    )
    .expect("write ngircd.conf");
    let check = Command::new(&bin)
        .args(["--configtest", "--config"])
        .arg(&config)
        .output()
        .expect("run ngircd --configtest");
    assert!(
        check.status.success(),
        "ngircd --configtest failed:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let log = dir.path().join("ngircd.log");
    let out = std::fs::File::create(&log).expect("create log");
    let err = out.try_clone().expect("clone log");
    let child = Command::new(&bin)
        .arg("--nodaemon")
        .arg("--config")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("start ngircd");
    let mut server = Ngircd {
        port,
        tls_port,
        dir,
        child,
        log,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listening = |p: u16| TcpStream::connect(("127.0.0.1", p)).is_ok();
        if listening(port) && tls_port.is_none_or(listening) {
            return Some(server);
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!(
                "ngircd exited ({status}) before listening:\n{}",
                server.log()
            );
        }
        assert!(
            Instant::now() < deadline,
            "ngircd not listening within 30s:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A registered IRC connection of the test's own; every line it read is kept in `seen`.
pub struct Client {
    pub nick: String,
    writer: TcpStream,
    reader: BufReader<TcpStream>,
    /// A line read in part when the read timed out.
    partial: Vec<u8>,
    pub seen: Vec<String>,
}

impl Client {
    /// Connects as `nick` and waits for the welcome (001).
    pub fn connect(port: u16, nick: &str) -> Client {
        Client::register(port, nick, None)
    }

    /// Connects to a server that asks for a password.
    pub fn connect_with_password(port: u16, nick: &str, password: &str) -> Client {
        Client::register(port, nick, Some(password))
    }

    fn register(port: u16, nick: &str, password: Option<&str>) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to ngircd");
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("read timeout");
        let mut c = Client {
            nick: nick.to_string(),
            writer: stream.try_clone().expect("clone stream"),
            reader: BufReader::new(stream),
            partial: Vec::new(),
            seen: Vec::new(),
        };
        if let Some(p) = password {
            c.send(&format!("PASS {p}"));
        }
        c.send(&format!("NICK {nick}"));
        c.send(&format!("USER {nick} 0 * :test client"));
        c.expect(|l| command(l) == "001", "the welcome");
        c
    }

    pub fn send(&mut self, line: &str) {
        write!(self.writer, "{line}\r\n").expect("write to ngircd");
    }

    /// Joins `channel` and waits for the end of its names list (366).
    pub fn join(&mut self, channel: &str) {
        self.send(&format!("JOIN {channel}"));
        self.expect(|l| command(l) == "366", "the names list");
    }

    /// Reads (answering PINGs) until a line satisfies `done`, for up to 20 s; returns it.
    pub fn expect(&mut self, done: impl Fn(&str) -> bool, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(line) = self.read_line()
                && done(&line)
            {
                return line;
            }
        }
        panic!(
            "{}: no {what} within 20s; read:\n{}",
            self.nick,
            self.seen.join("\n")
        );
    }

    /// Reads whatever comes for `within`.
    pub fn read_for(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            self.read_line();
        }
    }

    /// One line (CR LF removed, kept in `seen` as sent), or `None` after 200 ms of silence.
    fn read_line(&mut self) -> Option<String> {
        match self.reader.read_until(b'\n', &mut self.partial) {
            Ok(_) if self.partial.ends_with(b"\n") => {
                let raw = std::mem::take(&mut self.partial);
                let line = String::from_utf8(raw).expect("the server relays UTF-8 as it was sent");
                self.seen.push(line.clone());
                let line = line.trim_end_matches(['\r', '\n']).to_string();
                if let Some(token) = line.strip_prefix("PING ") {
                    self.send(&format!("PONG {token}"));
                }
                Some(line)
            }
            Ok(_) => {
                // The end of the connection.
                std::thread::sleep(Duration::from_millis(50));
                None
            }
            Err(_) => None,
        }
    }
}

/// The command of a server line (`:prefix COMMAND …`).
pub fn command(line: &str) -> &str {
    let rest = if line.starts_with(':') {
        line.split_once(' ').map_or("", |(_, r)| r)
    } else {
        line
    };
    rest.split(' ').next().unwrap_or("")
}

/// The nick a relayed line comes from.
pub fn from_nick(line: &str) -> Option<&str> {
    line.strip_prefix(':')?.split(['!', '@', ' ']).next()
}
