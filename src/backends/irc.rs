//! Posting a status update to an IRC channel (`[[webhook]] kind = "irc"`): connect (TLS with
//! rustls when asked), register (PASS, NICK, USER; a taken nick is tried again with `_`, then
//! `__`), wait for the welcome (001), JOIN, one PRIVMSG per line of text, a PING to learn that
//! the server took them all, then QUIT. Every wait on the server has the webhook's timeout.
//!
//! Nothing in the update can become a command: the text is cut into lines at its line breaks,
//! every other control character (NUL, CR, LF, tab, IRC's colour and bold codes, C1) is
//! replaced, and [`Connection::send`] refuses any line holding CR, LF or NUL, whatever it comes
//! from (a password or channel key from the environment included). Lines are cut at word
//! boundaries, never inside a UTF-8 character, short enough that the line a server relays
//! (with its `:nick!user@host` prefix) stays within IRC's 512 bytes. After a short burst the
//! lines are paced, as servers' flood control expects.

use super::webhook::{Outcome, UpdateMessage};
use crate::config::{IrcTarget, WebhookConfig};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

mod lines;
pub use lines::{LINE_LIMIT, TEXT_BYTES, cut, message_lines, neutralise, text_budget};

/// Lines sent at once before pacing starts, and the pace after.
const BURST: usize = 4;
const PACE: Duration = Duration::from_millis(500);
/// A server line longer than this (without a line end) ends the delivery.
const MAX_SERVER_LINE: usize = 8192;
/// How long a QUIT is given to be answered before the connection is dropped.
const QUIT_GRACE: Duration = Duration::from_secs(2);
/// Suffixes tried, in order, when the nick is taken.
const NICK_SUFFIXES: [&str; 3] = ["", "_", "__"];

/// Posts `msg` to the IRC channel of `hook`, retrying what may pass on a second try (refused,
/// no answer, connection lost) with the webhooks' backoff; a refusal (nick taken, password
/// refused, banned, kicked) is final at once.
pub async fn deliver(hook: &WebhookConfig, msg: &UpdateMessage) -> Outcome {
    let target_name = hook.display_name();
    let failed = |detail: String, attempts: u32| Outcome {
        target: target_name.clone(),
        ok: false,
        detail,
        attempts,
    };
    let target = match hook.irc_target() {
        Ok(t) => t,
        Err(e) => return failed(e, 0),
    };
    let timeout = hook.timeout().to_std().unwrap_or(Duration::from_secs(10));
    let tries = 1 + hook.retries.unwrap_or(2).min(10);
    let mut detail = String::new();
    for attempt in 1..=tries {
        if attempt > 1 {
            super::webhook::backoff(attempt).await;
        }
        match post(&target, msg, timeout).await {
            Ok(done) => {
                return Outcome {
                    target: target_name,
                    ok: true,
                    detail: done,
                    attempts: attempt,
                };
            }
            Err(Failure::Final(why)) => return failed(why, attempt),
            Err(Failure::Retry(why)) => detail = why,
        }
    }
    failed(detail, tries)
}

/// Why a delivery failed, and whether another try may pass.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Failure {
    Retry(String),
    Final(String),
}

/// One whole delivery on one connection: what to journal when it went through.
async fn post(
    target: &IrcTarget,
    msg: &UpdateMessage,
    timeout: Duration,
) -> Result<String, Failure> {
    let stream = connect(target, timeout).await?;
    let mut conn = Connection {
        stream,
        buf: Vec::new(),
        timeout,
        nick: target.nick.clone(),
    };
    let posted = conn.post(target, msg).await;
    match &posted {
        Ok(_) => conn.quit().await,
        // A polite goodbye even so; the failure is what is reported.
        Err(_) => {
            let _ = conn.send("QUIT :status update not posted").await;
        }
    }
    posted
}

impl Connection {
    /// Registers, joins, and says every line of `msg`; what to journal when it went through.
    async fn post(&mut self, target: &IrcTarget, msg: &UpdateMessage) -> Result<String, Failure> {
        self.register(target).await?;
        self.join(target).await?;
        let longest_nick = target.nick.len() + NICK_SUFFIXES[NICK_SUFFIXES.len() - 1].len();
        let lines = message_lines(msg, text_budget(longest_nick, &target.channel));
        for (n, line) in lines.iter().enumerate() {
            if n >= BURST {
                // Pacing, and meanwhile whatever the server says (a KICK, a 404) is heard.
                self.drain_until(Instant::now() + PACE, target).await?;
            }
            self.send(&format!("PRIVMSG {} :{line}", target.channel))
                .await?;
        }
        // A PING answered after the PRIVMSGs means the server has read them all; an error it
        // sent about them (cannot send, kicked) comes before the PONG.
        self.send("PING :warroom-posted").await?;
        self.wait_for(target, "the answer to PING", |m| {
            (m.command == "PONG" && m.params.last() == Some(&"warroom-posted")).then_some(())
        })
        .await?;
        Ok(format!(
            "posted in {} lines to {} as {}",
            lines.len(),
            target.shown(),
            self.nick
        ))
    }
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

async fn connect(target: &IrcTarget, timeout: Duration) -> Result<Box<dyn Stream>, Failure> {
    let addr = format!("{}:{}", target.server, target.port);
    let tcp = match tokio::time::timeout(
        timeout,
        tokio::net::TcpStream::connect((target.server.as_str(), target.port)),
    )
    .await
    {
        Err(_) => return Err(no_answer(timeout, &format!("connecting to {addr}"))),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Err(Failure::Retry(format!(
                "connection refused or unreachable ({addr})"
            )));
        }
        Ok(Err(e)) => return Err(Failure::Retry(format!("cannot connect to {addr}: {e}"))),
        Ok(Ok(s)) => s,
    };
    let _ = tcp.set_nodelay(true);
    if !target.tls {
        return Ok(Box::new(tcp));
    }
    let config = tls_config(target).map_err(Failure::Final)?;
    let name = rustls::pki_types::ServerName::try_from(target.server.clone())
        .map_err(|e| Failure::Final(format!("TLS: '{}': {e}", target.server)))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    match tokio::time::timeout(timeout, connector.connect(name, tcp)).await {
        Err(_) => Err(no_answer(timeout, "the TLS handshake")),
        Ok(Err(e)) => Err(Failure::Final(format!("TLS with {addr}: {e}"))),
        Ok(Ok(s)) => Ok(Box::new(s)),
    }
}

/// rustls with the ring provider, trusting `ca_file` when given, else the system's roots.
fn tls_config(target: &IrcTarget) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let Some(ca) = &target.ca_file else {
        let verifier = rustls_platform_verifier::Verifier::new(provider)
            .map_err(|e| format!("TLS: the system's certificate roots: {e}"))?;
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth());
    };
    let mut roots = rustls::RootCertStore::empty();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca)
        .and_then(|it| it.collect::<Result<_, _>>())
        .map_err(|e| format!("ca_file {}: {e}", ca.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "ca_file {}: no CERTIFICATE in the file",
            ca.display()
        ));
    }
    for c in certs {
        roots
            .add(c)
            .map_err(|e| format!("ca_file {}: {e}", ca.display()))?;
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

const CLOSED: &str = "the server closed the connection";

/// A read or write that failed: a hang-up is said as one.
fn lost(e: std::io::Error) -> Failure {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
    Failure::Retry(match e.kind() {
        BrokenPipe | ConnectionReset | ConnectionAborted => CLOSED.to_string(),
        _ => format!("connection lost: {e}"),
    })
}

fn no_answer(timeout: Duration, waiting_for: &str) -> Failure {
    Failure::Retry(format!(
        "no answer within {}s ({waiting_for})",
        timeout.as_secs_f32()
    ))
}

/// A line from the server: `[:prefix] COMMAND params… [:trailing]`.
#[derive(Debug, PartialEq, Eq)]
struct Message<'a> {
    prefix: Option<&'a str>,
    command: &'a str,
    params: Vec<&'a str>,
}

impl<'a> Message<'a> {
    fn parse(line: &'a str) -> Message<'a> {
        let mut rest = line.trim_start();
        let mut prefix = None;
        if let Some(p) = rest.strip_prefix(':') {
            let (pre, after) = p.split_once(' ').unwrap_or((p, ""));
            prefix = Some(pre);
            rest = after.trim_start();
        }
        let (command, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
        let mut params = Vec::new();
        loop {
            rest = rest.trim_start_matches(' ');
            if rest.is_empty() {
                break;
            }
            if let Some(trailing) = rest.strip_prefix(':') {
                params.push(trailing);
                break;
            }
            let (p, after) = rest.split_once(' ').unwrap_or((rest, ""));
            params.push(p);
            rest = after;
        }
        Message {
            prefix,
            command,
            params,
        }
    }

    /// The nick of the prefix (`nick!user@host`).
    fn sender(&self) -> Option<&'a str> {
        self.prefix.map(|p| p.split(['!', '@']).next().unwrap_or(p))
    }

    /// The text a numeric reply gives after its own parameters.
    fn text(&self) -> String {
        super::http::one_line(self.params.last().copied().unwrap_or(""))
    }
}

struct Connection {
    stream: Box<dyn Stream>,
    buf: Vec<u8>,
    timeout: Duration,
    /// The nick in use (a suffixed one when the first was taken).
    nick: String,
}

impl Connection {
    /// Sends one command line; a line holding CR, LF or NUL is refused whatever it came from,
    /// so nothing can ever add a second command.
    async fn send(&mut self, line: &str) -> Result<(), Failure> {
        if line.contains(['\r', '\n', '\0']) {
            let command = line.split(' ').next().unwrap_or("");
            return Err(Failure::Final(format!(
                "refused to send a {command} holding a line break or NUL (from the config or its environment variables)"
            )));
        }
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        match tokio::time::timeout(self.timeout, self.stream.write_all(&bytes)).await {
            Err(_) => Err(no_answer(self.timeout, "sending")),
            Ok(Err(e)) => Err(lost(e)),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// The next line, or `None` when `deadline` came first.
    async fn next_line(&mut self, deadline: Instant) -> Result<Option<String>, Failure> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let raw: Vec<u8> = self.buf.drain(..=end).collect();
                let line = String::from_utf8_lossy(&raw)
                    .trim_end_matches(['\r', '\n'])
                    .to_string();
                if line.is_empty() {
                    continue;
                }
                return Ok(Some(line));
            }
            if self.buf.len() > MAX_SERVER_LINE {
                return Err(Failure::Retry(format!(
                    "the server sent a line longer than {MAX_SERVER_LINE} bytes"
                )));
            }
            let mut chunk = [0u8; 4096];
            let read = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await;
            match read {
                Err(_) => return Ok(None),
                Ok(Err(e)) => return Err(lost(e)),
                Ok(Ok(0)) => return Err(Failure::Retry(CLOSED.to_string())),
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Reads lines until `done` picks one, answering PINGs and failing on what ends the
    /// delivery (see [`Connection::refusal`]); `waiting_for` names it in a timeout.
    async fn wait_for<T>(
        &mut self,
        target: &IrcTarget,
        waiting_for: &str,
        mut done: impl FnMut(&Message) -> Option<T>,
    ) -> Result<T, Failure> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let Some(line) = self.next_line(deadline).await? else {
                return Err(no_answer(self.timeout, waiting_for));
            };
            let m = Message::parse(&line);
            if let Some(found) = done(&m) {
                return Ok(found);
            }
            self.answer(&m, target).await?;
        }
    }

    /// Reads (and answers) what the server says until `deadline`.
    async fn drain_until(&mut self, deadline: Instant, target: &IrcTarget) -> Result<(), Failure> {
        while let Some(line) = self.next_line(deadline).await? {
            self.answer(&Message::parse(&line), target).await?;
        }
        Ok(())
    }

    /// PING is answered; what ends the delivery is an error.
    async fn answer(&mut self, m: &Message<'_>, target: &IrcTarget) -> Result<(), Failure> {
        if m.command == "PING" {
            let token = m.params.first().copied().unwrap_or("");
            return self.send(&format!("PONG :{token}")).await;
        }
        match self.refusal(m, target) {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }

    /// What in `m` ends this delivery, said for a person.
    fn refusal(&self, m: &Message, target: &IrcTarget) -> Option<Failure> {
        let channel = &target.channel;
        let final_ = |s: String| Some(Failure::Final(s));
        match m.command {
            // A refused password is final (ngIRCd says so in its ERROR, not with a 464).
            "ERROR" => {
                let why = format!("{CLOSED}: {}", m.text());
                Some(if why.to_ascii_lowercase().contains("password") {
                    Failure::Final(why)
                } else {
                    Failure::Retry(why)
                })
            }
            "464" => final_("the server refused the password (464)".into()),
            "465" => final_(format!("banned from this server (465: {})", m.text())),
            "432" => final_(format!(
                "the server refuses the nick {} (432: {})",
                self.nick,
                m.text()
            )),
            "471" => final_(format!("{channel} is full (471)")),
            "473" => final_(format!("{channel} is invite-only (473)")),
            "474" => final_(format!("banned from {channel} (474)")),
            "475" => final_(format!("wrong or missing key for {channel} (475)")),
            "477" => final_(format!(
                "{channel} needs a registered nick (477: {})",
                m.text()
            )),
            "403" | "405" | "476" => final_(format!(
                "cannot join {channel} ({}: {})",
                m.command,
                m.text()
            )),
            "404" => final_(format!("cannot send to {channel} (404: {})", m.text())),
            "KICK"
                if m.params
                    .first()
                    .is_some_and(|c| c.eq_ignore_ascii_case(channel))
                    && m.params
                        .get(1)
                        .is_some_and(|n| n.eq_ignore_ascii_case(&self.nick)) =>
            {
                final_(format!(
                    "kicked from {channel} by {}: {}",
                    m.sender().unwrap_or("the server"),
                    super::http::one_line(m.params.get(2).copied().unwrap_or(""))
                ))
            }
            _ => None,
        }
    }

    /// PASS, NICK, USER, and the welcome; a taken nick is tried with each suffix in turn.
    async fn register(&mut self, target: &IrcTarget) -> Result<(), Failure> {
        if let Some(password) = &target.password {
            self.send(&format!("PASS :{password}")).await?;
        }
        let mut suffixes = NICK_SUFFIXES.iter();
        let first = suffixes.next().copied().unwrap_or("");
        self.nick = format!("{}{first}", target.nick);
        self.send(&format!("NICK {}", self.nick)).await?;
        self.send("USER warroom 0 * :warroom status updates")
            .await?;
        let mut tried = vec![self.nick.clone()];
        loop {
            let welcome = self
                .wait_for(target, "the server's welcome", |m| match m.command {
                    "001" => Some(true),
                    "433" | "436" | "437" => Some(false),
                    _ => None,
                })
                .await?;
            if welcome {
                return Ok(());
            }
            let Some(suffix) = suffixes.next() else {
                return Err(Failure::Final(format!(
                    "nick in use: {} (433)",
                    tried.join(", ")
                )));
            };
            self.nick = format!("{}{suffix}", target.nick);
            tried.push(self.nick.clone());
            self.send(&format!("NICK {}", self.nick)).await?;
        }
    }

    /// JOIN, and the server's word that we are in: our own JOIN echoed back.
    async fn join(&mut self, target: &IrcTarget) -> Result<(), Failure> {
        match &target.channel_key {
            Some(key) if key.contains([' ', ',']) => {
                return Err(Failure::Final(
                    "the channel key holds a space or a comma, which IRC cannot send".into(),
                ));
            }
            Some(key) => self.send(&format!("JOIN {} {key}", target.channel)).await?,
            None => self.send(&format!("JOIN {}", target.channel)).await?,
        }
        let nick = self.nick.clone();
        let waiting = format!("joining {}", target.channel);
        self.wait_for(target, &waiting, |m| {
            (m.command == "JOIN"
                && m.sender().is_some_and(|n| n.eq_ignore_ascii_case(&nick))
                && m.params
                    .first()
                    .is_some_and(|c| c.eq_ignore_ascii_case(&target.channel)))
            .then_some(())
        })
        .await
    }

    /// QUIT, then a short wait for the server to close the connection, so the QUIT is read
    /// before the connection goes.
    async fn quit(&mut self) {
        if self.send("QUIT :status update posted").await.is_err() {
            return;
        }
        let deadline = Instant::now() + QUIT_GRACE;
        while let Ok(Some(_)) = self.next_line(deadline).await {}
        let _ = self.stream.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_lines_parse_into_prefix_command_and_params() {
        let m = Message::parse(":bob!~b@host KICK #ops warroom :go away now");
        assert_eq!(m.sender(), Some("bob"));
        assert_eq!(m.command, "KICK");
        assert_eq!(m.params, ["#ops", "warroom", "go away now"]);
        let m = Message::parse("PING :irc.example");
        assert_eq!((m.prefix, m.params[0]), (None, "irc.example"));
    }
}
