//! Following a shared incident: reads the server's event stream, checks every line's place in
//! the hash chain, and hands entries to the console. On disconnect it says so, waits (with
//! backoff) and resumes from the last entry it has: no gap, no duplicate.

use crate::domain::{Alert, BlastRadius, Entry};
use crate::journal::GENESIS as GENESIS_HASH;
use crate::journal::read_line;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Where to follow: `http(s)://host:port/v1/incidents/INC-7` (an `/events` suffix is fine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub base: String,
    pub id: String,
}

impl Target {
    pub fn parse(url: &str) -> Result<Target, String> {
        let u = url.trim().trim_end_matches('/');
        let u = u.strip_suffix("/events").unwrap_or(u);
        let (base, id) = u.rsplit_once("/v1/incidents/").ok_or_else(|| {
            format!("'{url}' is not a share URL (expected http://HOST:PORT/v1/incidents/INC-N)")
        })?;
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(format!("'{url}' must start with http:// or https://"));
        }
        let id = crate::journal::normalize_id(id)
            .ok_or_else(|| format!("'{id}' is not an incident ID"))?;
        Ok(Target {
            base: base.to_string(),
            id,
        })
    }

    pub fn events_url(&self, after: u64) -> String {
        format!(
            "{}/v1/incidents/{}/events?after={after}",
            self.base, self.id
        )
    }

    pub fn display(&self) -> String {
        format!("{}/v1/incidents/{}", self.base, self.id)
    }
}

/// What the follower tells the console.
#[derive(Debug, Clone)]
pub enum FollowEvent {
    /// Entries in order, each checked against the one before it.
    Entries(Vec<Entry>),
    /// The latest alerts and blast radius, as the leader sees them.
    Views {
        alerts: Vec<Alert>,
        blast: Option<BlastRadius>,
    },
    /// The leader's console shares no alerts or blast radius (it has no alert source and no
    /// metrics, or no console serves the incident: `warroom serve`).
    NoViews,
    Connected,
    /// Lost the stream; trying again after `retry_in`.
    Reconnecting {
        since: DateTime<Utc>,
        reason: String,
        retry_in: Duration,
    },
    /// Will not try again (token refused or revoked, broken chain).
    Stopped(String),
}

#[derive(serde::Deserialize)]
struct Views {
    #[serde(default)]
    alerts: Vec<Alert>,
    #[serde(default)]
    blast: Option<BlastRadius>,
    /// False when there is nothing to share (see [`crate::share::server::NO_VIEWS`]).
    #[serde(default = "shared")]
    shared: bool,
}

fn shared() -> bool {
    true
}

/// Follows until `send` fails (the console is gone) or the follow is refused.
pub async fn follow(
    client: reqwest::Client,
    target: Target,
    token: String,
    send: impl Fn(FollowEvent) -> bool,
) {
    let mut last_seq = 0u64;
    let mut last_hash = GENESIS_HASH.to_string();
    let mut failures: u32 = 0;
    let mut down_since: Option<DateTime<Utc>> = None;
    loop {
        let reason = match client
            .get(target.events_url(last_seq))
            .bearer_auth(&token)
            .header("Last-Event-ID", last_seq.to_string())
            .send()
            .await
        {
            Ok(resp) if resp.status().as_u16() == 401 || resp.status().as_u16() == 403 => {
                send(FollowEvent::Stopped(format!(
                    "the share token was refused (HTTP {}); ask the call leader for a new `warroom follow` line",
                    resp.status().as_u16()
                )));
                return;
            }
            Ok(resp) if !resp.status().is_success() => format!("HTTP {}", resp.status().as_u16()),
            Ok(resp) => {
                failures = 0;
                down_since = None;
                if !send(FollowEvent::Connected) {
                    return;
                }
                match read_stream(resp, &mut last_seq, &mut last_hash, &send).await {
                    Ok(StreamEnd::Closed) => "the server closed the stream".to_string(),
                    Ok(StreamEnd::ConsoleGone) => return,
                    Ok(StreamEnd::Revoked) => {
                        send(FollowEvent::Stopped(
                            "the call leader revoked or rotated the share token".into(),
                        ));
                        return;
                    }
                    Err(Fatal(why)) => {
                        send(FollowEvent::Stopped(why));
                        return;
                    }
                }
            }
            Err(e) if e.is_connect() => format!("cannot connect: {}", root_cause(&e)),
            Err(e) => root_cause(&e),
        };
        failures = failures.saturating_add(1);
        let retry_in = Duration::from_millis((250u64 << failures.min(6)).min(10_000));
        let since = *down_since.get_or_insert_with(Utc::now);
        if !send(FollowEvent::Reconnecting {
            since,
            reason,
            retry_in,
        }) {
            return;
        }
        tokio::time::sleep(retry_in).await;
    }
}

/// The innermost cause of an HTTP error: "connection refused", "invalid peer certificate:
/// UnknownIssuer", rather than reqwest's "error sending request".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

/// The HTTP client a follower uses: the usual one, or with `ca` (a PEM file) one that trusts
/// only that CA — for a share server with its own self-signed certificate.
pub fn http_client(ca: Option<&std::path::Path>) -> Result<reqwest::Client, String> {
    let Some(ca) = ca else {
        return crate::backends::http_client();
    };
    crate::backends::http_client_trusting(ca, "--ca")
}

enum StreamEnd {
    Closed,
    Revoked,
    ConsoleGone,
}

struct Fatal(String);

/// The server sends a keep-alive comment every 15 s: this long without a byte means the link
/// is dead even if TCP has not noticed (a laptop lid closed, a tunnel gone).
const SILENCE_LIMIT: Duration = Duration::from_secs(45);

async fn read_stream(
    resp: reqwest::Response,
    last_seq: &mut u64,
    last_hash: &mut String,
    send: &impl Fn(FollowEvent) -> bool,
) -> Result<StreamEnd, Fatal> {
    let mut resp = resp;
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let Ok(Ok(Some(chunk))) = tokio::time::timeout(SILENCE_LIMIT, resp.chunk()).await else {
            return Ok(StreamEnd::Closed);
        };
        buf.extend_from_slice(&chunk);
        let mut batch: Vec<Entry> = Vec::new();
        // Blocks are read in place and the buffer cut once: a backlog of thousands of
        // entries arriving in one chunk costs one pass.
        let mut at = 0;
        while let Some((end, next)) = next_block(&buf, at) {
            let block = String::from_utf8_lossy(&buf[at..end]).into_owned();
            at = next;
            let (kind, data) = parse_block(&block);
            match kind.as_str() {
                "entry" => {
                    let record = match read_line(&data, last_hash, *last_seq + 1) {
                        Ok(r) => r,
                        // A line we already have (resumed a little early): skip it.
                        Err(_) if seq_of(&data).is_some_and(|s| s <= *last_seq) => continue,
                        Err(why) => {
                            return Err(Fatal(format!(
                                "entry {} from the server does not verify: {why}; stopped to show nothing unverified",
                                *last_seq + 1
                            )));
                        }
                    };
                    *last_seq = record.entry.seq;
                    *last_hash = record.hash().to_string();
                    batch.push(record.entry);
                }
                "views" => {
                    if !batch.is_empty() && !send(FollowEvent::Entries(std::mem::take(&mut batch)))
                    {
                        return Ok(StreamEnd::ConsoleGone);
                    }
                    if let Ok(v) = serde_json::from_str::<Views>(&data)
                        && !send(if v.shared {
                            FollowEvent::Views {
                                alerts: v.alerts,
                                blast: v.blast,
                            }
                        } else {
                            FollowEvent::NoViews
                        })
                    {
                        return Ok(StreamEnd::ConsoleGone);
                    }
                }
                "revoked" => {
                    if !batch.is_empty() {
                        send(FollowEvent::Entries(batch));
                    }
                    return Ok(StreamEnd::Revoked);
                }
                _ => {}
            }
        }
        buf.drain(..at);
        if !batch.is_empty() && !send(FollowEvent::Entries(batch)) {
            return Ok(StreamEnd::ConsoleGone);
        }
    }
}

fn seq_of(line: &str) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Seq {
        seq: u64,
    }
    serde_json::from_str::<Seq>(line).ok().map(|s| s.seq)
}

/// The first whole SSE block at or after `from`: (where its text ends, where the next block
/// begins). A block ends at an empty line; lines end with LF or CRLF.
fn next_block(buf: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut line_start = from;
    while let Some(nl) = buf[line_start..].iter().position(|&b| b == b'\n') {
        let line_end = line_start + nl;
        let line = &buf[line_start..line_end];
        if line.is_empty() || line == b"\r" {
            return Some((line_start, line_end + 1));
        }
        line_start = line_end + 1;
    }
    None
}

/// The `event:` name and the joined `data:` lines of one SSE block.
fn parse_block(block: &str) -> (String, String) {
    let mut kind = "message".to_string();
    let mut data: Vec<&str> = Vec::new();
    for line in block.lines() {
        if let Some(k) = line.strip_prefix("event:") {
            kind = k.trim().to_string();
        } else if let Some(d) = line.strip_prefix("data:") {
            data.push(d.strip_prefix(' ').unwrap_or(d));
        }
    }
    (kind, data.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_urls_name_the_server_and_the_incident() {
        let t = Target::parse("http://10.0.0.5:7420/v1/incidents/INC-7/events").unwrap();
        assert_eq!(t.base, "http://10.0.0.5:7420");
        assert_eq!(t.id, "INC-7");
        assert_eq!(
            t.events_url(12),
            "http://10.0.0.5:7420/v1/incidents/INC-7/events?after=12"
        );
        assert!(Target::parse("ftp://x/v1/incidents/INC-1").is_err());
        assert!(Target::parse("http://x/v1/incidents/../etc").is_err());
        assert!(Target::parse("http://x/incidents/INC-1").is_err());
    }

    #[test]
    fn sse_blocks_are_split_and_read() {
        let b = b"id: 3\nevent: entry\ndata: {\"a\":1}\n\n: keep-alive\r\n\r\nevent: revoked\n";
        let (end, next) = next_block(b, 0).unwrap();
        let (kind, data) = parse_block(std::str::from_utf8(&b[..end]).unwrap());
        assert_eq!((kind.as_str(), data.as_str()), ("entry", "{\"a\":1}"));
        assert_eq!(&b[next..next + 1], b":");
        let (end2, next2) = next_block(b, next).unwrap();
        assert_eq!(&b[next..end2], b": keep-alive\r\n");
        // The last block is not whole yet.
        assert_eq!(next_block(b, next2), None);
    }
}
