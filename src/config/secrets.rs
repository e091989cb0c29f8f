//! Every secret warroom has read from its environment or configuration — backend tokens, the
//! `Authorization` values built from them, webhook URLs (and the parts of them that are the
//! key), a runbook's `${VAR}` values — remembered for this process, so that the text of an
//! error or of an answer from a server (which may echo what it was sent) is redacted before
//! it is shown or recorded. The backends' errors (`BackendError`'s `Display`) and delivery
//! outcomes pass through [`redact`]; a secret is remembered where it is read, so before any
//! request could echo it.

use crate::domain::redact::Redactor;
use std::sync::{Mutex, PoisonError};

static KNOWN: Mutex<Option<Redactor>> = Mutex::new(None);

/// Shorter values are not treated as secrets: redacting them would garble every message.
const MIN_SECRET: usize = 4;

/// Remembers `secret` (trimmed) for [`redact`].
pub fn remember(secret: &str) {
    let secret = secret.trim();
    if secret.len() < MIN_SECRET {
        return;
    }
    let mut known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    known.get_or_insert_with(Redactor::default).add(secret);
}

/// Remembers a URL that is a secret (a chat webhook): the whole of it, its path and query,
/// and each part of them that looks like a key — a server that echoes the request line shows
/// only those.
pub fn remember_url(url: &str) {
    let url = url.trim();
    remember(url);
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    let Some(slash) = after_scheme.find('/') else {
        return;
    };
    let path = &after_scheme[slash..];
    if path.len() >= 8 {
        remember(path);
    }
    for part in path.split(['/', '?', '&', '=', '#']) {
        let keyish =
            part.len() >= 20 || (part.len() >= 8 && part.bytes().any(|b| b.is_ascii_digit()));
        if keyish {
            remember(part);
        }
    }
}

/// `text` with every remembered secret replaced by `[redacted]`.
pub fn redact(text: &str) -> String {
    let known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    match known.as_ref() {
        Some(r) => r.redact(text),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_url_is_redacted_whole_and_by_its_key_parts() {
        remember_url("https://hooks.example/services/T0TEST123/B0TEST456/abcdefghijklmnopqrstuvwx");
        assert_eq!(
            redact("POST /services/T0TEST123/B0TEST456/abcdefghijklmnopqrstuvwx failed"),
            "POST [redacted] failed"
        );
        assert_eq!(
            redact("unknown key abcdefghijklmnopqrstuvwx for T0TEST123 at services"),
            "unknown key [redacted] for [redacted] at services"
        );
        remember("abc");
        assert_eq!(redact("abc"), "abc", "too short to be a secret");
    }
}
