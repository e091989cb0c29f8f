//! What stands before a push is read: its secret, compared in constant time, and the
//! source's rate.

use axum::http::{HeaderMap, header};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// The secret a request carries, in whichever way the sender can send one: `Authorization:
/// Bearer S` (Alertmanager's `http_config.authorization`, Grafana's authorization header),
/// `Authorization: Basic` with S as the password (Alertmanager's `basic_auth`, Grafana's
/// username and password, an SNS subscription URL with user:password), the header
/// `X-Warroom-Secret: S`, or `?secret=S` in the URL (for senders that can set nothing else).
pub fn presented(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some((scheme, rest)) = value.split_once(' ')
    {
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
            return Some(rest.to_string());
        }
        if scheme.eq_ignore_ascii_case("basic") {
            use base64::Engine;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest)
                .ok()?;
            let text = String::from_utf8(decoded).ok()?;
            let (_, password) = text.split_once(':')?;
            return Some(password.to_string());
        }
    }
    if let Some(v) = headers
        .get("x-warroom-secret")
        .and_then(|v| v.to_str().ok())
    {
        return Some(v.trim().to_string());
    }
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == "secret").then(|| percent_decode(v))
    })
}

/// `%XX` and `+` decoded; a `%` not followed by two hex digits is kept as written.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(v)) => {
                out.push(v);
                i += 2;
            }
            (c, _) => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `given` is `secret`, in time that does not depend on where they differ (nor on
/// their lengths: both are hashed first).
pub fn secret_matches(given: &str, secret: &str) -> bool {
    use sha2::{Digest, Sha256};
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(secret.as_bytes());
    a.ct_eq(&b).into()
}

/// A token bucket: `rate` pushes a second, bursts of up to one second's worth.
#[derive(Debug)]
pub struct Bucket {
    rate: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    pub fn new(rate: u32, now: Instant) -> Bucket {
        let rate = f64::from(rate.max(1));
        Bucket {
            rate,
            tokens: rate,
            at: now,
        }
    }

    /// Takes one push; `Err(wait)` when none is left, with how long until one is.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_found_wherever_senders_put_it() {
        let mut h = HeaderMap::new();
        assert_eq!(
            presented(&h, Some("a=1&secret=s%3Dx+y")),
            Some("s=x y".into())
        );
        h.insert("x-warroom-secret", "hdr".parse().unwrap());
        assert_eq!(presented(&h, None), Some("hdr".into()));
        // "am:pw" in base64
        h.insert(header::AUTHORIZATION, "Basic YW06cHc=".parse().unwrap());
        assert_eq!(presented(&h, None), Some("pw".into()));
        h.insert(header::AUTHORIZATION, "bearer tok".parse().unwrap());
        assert_eq!(presented(&h, None), Some("tok".into()));
        assert!(secret_matches("tok", "tok"));
        assert!(!secret_matches("tok", "tok2"));
        assert!(!secret_matches("", "tok"));
    }

    #[test]
    fn the_bucket_takes_a_seconds_worth_then_says_how_long_to_wait() {
        let t0 = Instant::now();
        let mut b = Bucket::new(10, t0);
        for _ in 0..10 {
            b.take(t0).unwrap();
        }
        let wait = b.take(t0).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        b.take(t0 + Duration::from_millis(100)).unwrap();
    }
}
