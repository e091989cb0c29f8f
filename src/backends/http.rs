//! The HTTP plumbing the backend clients share: a base URL that may carry a path prefix
//! (Grafana serves Alertmanager under `/api/alertmanager/grafana`), extra headers (a bearer
//! token, `X-Grafana-Org-Id`), a timeout on every request, bounded body reads, and every
//! failure turned into a [`BackendError`] that reads well in a status line.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, RequestBuilder, StatusCode};
use std::time::Duration;

/// Largest answer read from a backend (64 MiB: 10,000 Alertmanager alerts are ~6 MiB).
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// Why a call to a backend failed. `Display` is one line naming the URL and what went wrong,
/// with every configured secret redacted (a server may echo a token or a webhook key back in
/// its answer; see [`crate::config::secrets`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendError {
    /// The configured URL (or a header value) cannot be used.
    BadUrl { url: String, reason: String },
    /// Nothing listens there, or the host cannot be reached.
    Unreachable { url: String },
    /// Connected (or tried to) but no complete answer within the timeout.
    Timeout { url: String, after: Duration },
    /// 401/403: the token is missing, wrong or lacks the rights.
    Unauthorized {
        url: String,
        status: u16,
        detail: String,
    },
    /// 429 on every try, even after waiting as told.
    RateLimited { url: String, tries: u32 },
    /// Any other non-success status, with the start of the body.
    Http {
        url: String,
        status: u16,
        body: String,
    },
    /// The service answered with its own error object (Prometheus `status: "error"`).
    Api {
        url: String,
        error_type: String,
        message: String,
    },
    /// The answer is not the JSON we expect (truncated, HTML from a proxy, …).
    Decode { url: String, detail: String },
    /// The answer exceeded [`MAX_BODY_BYTES`].
    TooLarge { url: String, limit: usize },
    /// Set-up problem before any request (an unset token variable, …).
    Setup(String),
    /// The TLS handshake failed: the server's certificate is not trusted (another CA, a
    /// name it was not made for, expired) or TLS itself was refused.
    Tls { url: String, detail: String },
    /// Anything else reqwest reports.
    Other { url: String, detail: String },
}

impl std::error::Error for BackendError {}

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            BackendError::BadUrl { url, reason } => format!("{url}: bad URL: {reason}"),
            BackendError::Unreachable { url } => {
                format!("{url}: connection refused or host unreachable")
            }
            BackendError::Timeout { url, after } => {
                format!("{url}: no answer within {}s", after.as_secs_f32())
            }
            BackendError::Unauthorized {
                url,
                status,
                detail,
            } => format!(
                "{url}: token rejected (HTTP {status}){}",
                detail_suffix(detail)
            ),
            BackendError::RateLimited { url, tries } => {
                format!("{url}: rate limited (HTTP 429) after {tries} tries")
            }
            BackendError::Http { url, status, body } => {
                format!("{url}: HTTP {status}{}", detail_suffix(body))
            }
            BackendError::Api {
                url,
                error_type,
                message,
            } => format!("{url}: {error_type}: {message}"),
            BackendError::Decode { url, detail } => format!("{url}: unreadable answer: {detail}"),
            BackendError::TooLarge { url, limit } => {
                format!("{url}: answer larger than {limit} bytes; refusing to read it all")
            }
            BackendError::Setup(s) => s.clone(),
            BackendError::Tls { url, detail } => {
                format!("{url}: TLS refused: {detail} (is the CA file the server's CA?)")
            }
            BackendError::Other { url, detail } => format!("{url}: request failed: {detail}"),
        };
        f.write_str(&crate::config::secrets::redact(&text))
    }
}

fn detail_suffix(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!(": {s}")
    }
}

impl BackendError {
    /// Whether trying again later may help (no answer, 5xx, 429), as opposed to a refusal.
    pub fn is_transient(&self) -> bool {
        match self {
            BackendError::Unreachable { .. }
            | BackendError::Timeout { .. }
            | BackendError::RateLimited { .. }
            | BackendError::Other { .. } => true,
            BackendError::Http { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

/// How long and how often to wait out a 429 (PagerDuty, OpsGenie, Jira Service Management,
/// Datadog, New Relic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub tries: u32,
    /// Longest wait between tries, whatever the service asks.
    pub max_wait: Duration,
    /// The headers that say how long to wait, read in this order, the first readable one
    /// winning: seconds to wait, or (`Retry-After`) an HTTP date. Datadog says it in
    /// `X-RateLimit-Reset`, most services in `Retry-After`.
    pub wait_headers: &'static [&'static str],
    /// The wait when no header says: doubled at each try (1, 2, 4… times this).
    pub first_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            tries: 4,
            max_wait: Duration::from_secs(30),
            wait_headers: &["retry-after"],
            first_wait: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// How long to wait after the `attempt`-th try (1 for the first) was answered `reply`:
    /// what the first readable header of [`RetryPolicy::wait_headers`] says, else the
    /// doubling default, never more than [`RetryPolicy::max_wait`].
    pub(crate) fn wait(
        &self,
        reply: &Reply,
        attempt: u32,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Duration {
        self.wait_headers
            .iter()
            .find_map(|h| header_wait(reply, h, now))
            .unwrap_or_else(|| self.first_wait * (1u32 << (attempt.max(1) - 1).min(4)))
            .min(self.max_wait)
    }
}

/// A backend's base URL with the headers and timeout every request to it carries.
///
/// Cheap to clone (the `reqwest::Client` inside is a handle).
#[derive(Debug, Clone)]
pub struct Endpoint {
    client: reqwest::Client,
    base: String,
    headers: HeaderMap,
    timeout: Duration,
    max_body: usize,
}

/// An answer read in full: status, headers and body bytes.
#[derive(Debug)]
pub(crate) struct Reply {
    /// Where it came from, without the query, for messages.
    pub url: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Endpoint {
    /// `base_url` must be `http://` or `https://` with a host; it may carry a path prefix
    /// (`https://grafana.example/api/alertmanager/grafana`). A trailing `/` is ignored.
    pub fn new(
        client: reqwest::Client,
        base_url: &str,
        timeout: Duration,
    ) -> Result<Endpoint, BackendError> {
        let base = check_url(base_url)?;
        Ok(Endpoint {
            client,
            base,
            headers: HeaderMap::new(),
            timeout,
            max_body: MAX_BODY_BYTES,
        })
    }

    /// Reads answers of at most `limit` bytes (never more than [`MAX_BODY_BYTES`]): for an
    /// API whose answers are paged and small, a huge one is refused early.
    pub fn with_max_body(mut self, limit: usize) -> Endpoint {
        self.max_body = limit.min(MAX_BODY_BYTES);
        self
    }

    /// Adds a header sent with every request (e.g. `X-Grafana-Org-Id`).
    pub fn with_header(mut self, name: &str, value: &str) -> Result<Endpoint, BackendError> {
        let bad = |reason: String| BackendError::BadUrl {
            url: self.base.clone(),
            reason,
        };
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| bad(format!("bad header name {name:?}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| bad(format!("header {name} has characters HTTP cannot carry")))?;
        self.headers.insert(name, value);
        Ok(self)
    }

    /// Adds `Authorization: <scheme> <secret>`, marked sensitive so it never shows in `Debug`
    /// and remembered as a secret, so no error that echoes it shows it.
    pub fn with_authorization(self, value: &str) -> Result<Endpoint, BackendError> {
        self.with_secret_header(reqwest::header::AUTHORIZATION.as_str(), value)
    }

    /// Adds a header whose value is a secret (an API key header such as `DD-API-KEY`): marked
    /// sensitive so it never shows in `Debug`, and remembered so no error that echoes it
    /// shows it.
    pub fn with_secret_header(mut self, name: &str, value: &str) -> Result<Endpoint, BackendError> {
        crate::config::secrets::remember(value);
        let bad = |reason: String| BackendError::BadUrl {
            url: self.base.clone(),
            reason,
        };
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| bad(format!("bad header name {name:?}")))?;
        let mut v = HeaderValue::from_str(value)
            .map_err(|_| bad("the token has characters HTTP cannot carry".into()))?;
        v.set_sensitive(true);
        self.headers.insert(name, v);
        Ok(self)
    }

    /// Adds `Authorization: Basic <user:password in base64>`; the password and the header
    /// value are remembered as secrets.
    pub fn with_basic(self, user: &str, password: &str) -> Result<Endpoint, BackendError> {
        if !password.is_empty() {
            crate::config::secrets::remember(password);
        }
        self.with_authorization(&format!(
            "Basic {}",
            base64(format!("{user}:{password}").as_bytes())
        ))
    }

    /// Adds `Authorization: Bearer <token>`.
    pub fn with_bearer(self, token: &str) -> Result<Endpoint, BackendError> {
        self.with_authorization(&format!("Bearer {}", token.trim()))
    }

    /// Replaces the per-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Endpoint {
        self.timeout = timeout;
        self
    }

    /// The base URL without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The extra headers sent with every request.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// `base` + `/` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    /// A request to `path` with this endpoint's headers and timeout.
    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .headers(self.headers.clone())
            .timeout(self.timeout)
    }

    /// Sends and reads the whole answer (bounded by [`MAX_BODY_BYTES`], or less when
    /// [`Endpoint::with_max_body`] says so, and the timeout),
    /// whatever its status.
    pub(crate) async fn send(&self, req: RequestBuilder) -> Result<Reply, BackendError> {
        let url = request_url(&req, &self.base);
        let mut resp = req.send().await.map_err(|e| self.transport(&url, e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > self.max_body {
                        return Err(BackendError::TooLarge {
                            url,
                            limit: self.max_body,
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.transport(&url, e)),
            }
        }
        Ok(Reply {
            url,
            status,
            headers,
            body,
        })
    }

    /// Sends, requires a 2xx and decodes the body as JSON `T`. 401/403 become
    /// [`BackendError::Unauthorized`], other statuses [`BackendError::Http`].
    pub(crate) async fn json<T: serde::de::DeserializeOwned>(
        &self,
        req: RequestBuilder,
    ) -> Result<T, BackendError> {
        let reply = self.send_ok(req).await?;
        decode(&reply.url, &reply.body)
    }

    /// Sends and requires a 2xx.
    pub(crate) async fn send_ok(&self, req: RequestBuilder) -> Result<Reply, BackendError> {
        let reply = self.send(req).await?;
        check_status(&reply)?;
        Ok(reply)
    }

    /// Sends (rebuilding the request for each try), waiting out 429s as the policy's headers
    /// say (bounded by the policy; without one 2, 4, 8… s by default); the answer, whatever its status but
    /// 429. A 429 on the last try is [`BackendError::RateLimited`].
    pub(crate) async fn send_retrying(
        &self,
        build: impl Fn() -> RequestBuilder,
        retry: RetryPolicy,
    ) -> Result<Reply, BackendError> {
        let tries = retry.tries.max(1);
        let mut attempt = 1;
        loop {
            let reply = self.send(build()).await?;
            if reply.status != StatusCode::TOO_MANY_REQUESTS {
                return Ok(reply);
            }
            if attempt >= tries {
                return Err(BackendError::RateLimited {
                    url: reply.url,
                    tries,
                });
            }
            tokio::time::sleep(retry.wait(&reply, attempt, chrono::Utc::now())).await;
            attempt += 1;
        }
    }

    fn transport(&self, url: &str, e: reqwest::Error) -> BackendError {
        let url = url.to_string();
        if e.is_timeout() {
            BackendError::Timeout {
                url,
                after: self.timeout,
            }
        } else if let Some(detail) = tls_failure(&e) {
            BackendError::Tls { url, detail }
        } else if e.is_connect() {
            BackendError::Unreachable { url }
        } else {
            BackendError::Other {
                url,
                detail: one_line(&error_chain(&e)),
            }
        }
    }
}

/// The TLS cause of a failed request, if it is one: the innermost error rustls gave
/// (`invalid peer certificate: UnknownIssuer`), which reqwest reports as a failed connect.
fn tls_failure(e: &reqwest::Error) -> Option<String> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(r) = c.downcast_ref::<rustls::Error>() {
            return Some(one_line(&r.to_string()));
        }
        // An io::Error's `source` skips the error it wraps: look inside it instead.
        cause = match c.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|i| i as &(dyn std::error::Error + 'static)),
            None => c.source(),
        };
    }
    None
}

/// How long header `name` of `reply` says to wait: whole seconds, or an HTTP date.
fn header_wait(reply: &Reply, name: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let v = reply.headers.get(name)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v)
        .ok()?
        .with_timezone(&chrono::Utc);
    (at - now).to_std().ok()
}

/// Standard base64 with padding (RFC 4648 §4), for basic auth.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        for (k, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if k <= chunk.len() {
                out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The URL a request goes to, without its query, for messages.
pub(crate) fn request_url(req: &RequestBuilder, fallback: &str) -> String {
    req.try_clone()
        .and_then(|r| r.build().ok())
        .map(|r| strip_query(r.url().as_str()))
        .unwrap_or_else(|| fallback.to_string())
}

fn strip_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

/// 2xx passes; 401/403 is a rejected token; anything else is an HTTP error with the body.
pub(crate) fn check_status(reply: &Reply) -> Result<(), BackendError> {
    check_status_saying(reply, |body| one_line(&String::from_utf8_lossy(body)))
}

/// [`check_status`], the failure's detail read from the body by `detail` (a vendor's own
/// error object: PagerDuty's `error`, Datadog's `errors`).
pub(crate) fn check_status_saying(
    reply: &Reply,
    detail: impl Fn(&[u8]) -> String,
) -> Result<(), BackendError> {
    let url = &reply.url;
    let status = reply.status;
    if status.is_success() {
        return Ok(());
    }
    let body = detail(&reply.body);
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return Err(BackendError::Unauthorized {
            url: url.to_string(),
            status: status.as_u16(),
            detail: body,
        });
    }
    Err(BackendError::Http {
        url: url.to_string(),
        status: status.as_u16(),
        body,
    })
}

/// Decodes JSON, naming the URL and serde's line and column on failure.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    url: &str,
    body: &[u8],
) -> Result<T, BackendError> {
    serde_json::from_slice(body).map_err(|e| BackendError::Decode {
        url: url.to_string(),
        detail: if body.is_empty() {
            "empty body".to_string()
        } else {
            e.to_string()
        },
    })
}

/// Checks a configured base URL: http(s), a host, no query or fragment. Returns it without a
/// trailing `/`.
pub fn check_url(base_url: &str) -> Result<String, BackendError> {
    crate::config::url::base_url(base_url).map_err(|reason| BackendError::BadUrl {
        url: base_url.to_string(),
        reason,
    })
}

/// Percent-encodes one path segment (an ID from a server or a user).
pub(crate) fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A body or message cut to one readable line of at most 200 characters.
pub(crate) fn one_line(s: &str) -> String {
    one_line_cut(s, 200)
}

/// `s` on one line (runs of white space, line breaks included, become one space; any other
/// control character is shown as `·`, see [`crate::domain::for_terminal`]), at most `max`
/// characters: text from a server is not ours to trust on a terminal.
pub(crate) fn one_line_cut(s: &str, max: usize) -> String {
    let line: String = s
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .take(max)
        .collect();
    crate::domain::for_terminal_line(&line)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `null` reads as the default, like an absent field.
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    Ok(<Option<T> as serde::Deserialize>::deserialize(d)?.unwrap_or_default())
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_keep_their_prefix_and_lose_the_trailing_slash() {
        assert_eq!(
            check_url("http://g.example:3000/api/alertmanager/grafana/").unwrap(),
            "http://g.example:3000/api/alertmanager/grafana"
        );
        assert_eq!(
            check_url("http://127.0.0.1:9093").unwrap(),
            "http://127.0.0.1:9093"
        );
        assert!(check_url("ftp://x").is_err());
        assert!(check_url("localhost:9093").is_err());
        assert!(check_url("http://u:p@host/").is_err());
        assert!(check_url("http://host/?a=b").is_err());
    }

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded, "{plain}");
        }
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode_segment("ab-12_3.x~"), "ab-12_3.x~");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn a_retry_policy_reads_its_headers_in_order_and_bounds_the_wait() {
        let reply = |headers: &[(&str, &str)]| Reply {
            url: "http://x".into(),
            status: StatusCode::TOO_MANY_REQUESTS,
            headers: headers
                .iter()
                .map(|(n, v)| {
                    (
                        HeaderName::from_bytes(n.as_bytes()).unwrap(),
                        HeaderValue::from_str(v).unwrap(),
                    )
                })
                .collect(),
            body: Vec::new(),
        };
        let now = chrono::DateTime::parse_from_rfc2822("Sat, 05 Dec 2026 04:00:00 GMT")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let datadog = RetryPolicy {
            tries: 2,
            max_wait: Duration::from_secs(2),
            wait_headers: &["x-ratelimit-reset", "retry-after"],
            first_wait: Duration::from_secs(1),
        };
        let both = reply(&[("X-RateLimit-Reset", "1"), ("Retry-After", "2")]);
        assert_eq!(datadog.wait(&both, 1, now), Duration::from_secs(1));
        let plain = RetryPolicy::default();
        assert_eq!(plain.wait(&both, 1, now), Duration::from_secs(2));
        // An unreadable first header gives way to the next; a long ask is cut to max_wait.
        let odd = reply(&[("X-RateLimit-Reset", "soon"), ("Retry-After", "60")]);
        assert_eq!(datadog.wait(&odd, 1, now), Duration::from_secs(2));
        let date = reply(&[("Retry-After", "Sat, 05 Dec 2026 04:00:07 GMT")]);
        assert_eq!(plain.wait(&date, 1, now), Duration::from_secs(7));
        // No header: doubling from first_wait, bounded.
        let none = reply(&[]);
        assert_eq!(plain.wait(&none, 1, now), Duration::from_secs(2));
        assert_eq!(plain.wait(&none, 3, now), Duration::from_secs(8));
        assert_eq!(plain.wait(&none, 9, now), Duration::from_secs(30));
        assert_eq!(datadog.wait(&none, 1, now), Duration::from_secs(1));
    }

    #[test]
    fn one_line_collapses_whitespace_and_cuts() {
        assert_eq!(one_line("  a\n\tb  "), "a b");
        assert_eq!(one_line(&"x".repeat(500)).len(), 200);
    }
}
