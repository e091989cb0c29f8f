//! Secrets out of sight: every value an action takes from warroom's environment (`${VAR}`)
//! is replaced by `[redacted]` before its output goes anywhere — the stream on screen, the
//! journal, and so every export of the log; so is every configured secret (tokens, webhook
//! URLs) in the text of a backend's error (`config::secrets`).

/// What a secret is replaced by.
pub const REDACTED: &str = "[redacted]";

/// The secret values of one run.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is replaced whole.
    secrets: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Redactor {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Redactor { secrets }
    }

    /// Adds one more secret (an empty one is ignored).
    pub fn add(&mut self, secret: &str) {
        if secret.is_empty() || self.secrets.iter().any(|s| s == secret) {
            return;
        }
        self.secrets.push(secret.to_string());
        self.secrets
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The length in bytes of the longest secret: text cut into pieces must keep this much
    /// less one byte back, as it may be the start of a secret the next piece completes.
    pub fn longest(&self) -> usize {
        self.secrets.first().map_or(0, String::len)
    }

    /// Cuts the first piece off `text`, a line too long to wait for its end: the piece is
    /// redacted and ends where no secret can straddle it (before the last `longest() - 1`
    /// bytes, at a character boundary, outside any `[redacted]`). `text` keeps the rest,
    /// redacted where a whole secret was already there, for the next piece. `None` if the
    /// whole of `text` has to wait.
    pub fn cut_piece(&self, text: &mut Vec<u8>) -> Option<String> {
        // A character the next read completes waits for it.
        let valid = match std::str::from_utf8(text) {
            Ok(_) => text.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => text.len(),
        };
        let rest = text.split_off(valid);
        let redacted = self.redact(&String::from_utf8_lossy(text));
        let mut cut = redacted
            .len()
            .saturating_sub(self.longest().saturating_sub(1));
        while !redacted.is_char_boundary(cut) {
            cut -= 1;
        }
        if let Some((at, _)) = redacted
            .match_indices(REDACTED)
            .find(|(at, m)| *at < cut && cut < at + m.len())
        {
            cut = at;
        }
        text.clear();
        text.extend_from_slice(&redacted.as_bytes()[cut..]);
        text.extend_from_slice(&rest);
        (cut > 0).then(|| redacted[..cut].to_string())
    }

    /// `text` with every secret replaced.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
            // A secret with a line break in it reaches the output one line at a time; each of
            // its lines is a secret too.
            if s.contains('\n') {
                for part in s.lines().filter(|p| p.len() >= 4) {
                    out = out.replace(part, REDACTED);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occurrence_is_replaced_longest_first() {
        let r = Redactor::new(["abc".to_string(), "abcdef".to_string(), String::new()]);
        assert_eq!(r.redact("x abcdef y abc"), "x [redacted] y [redacted]");
        assert_eq!(r.redact("nothing here"), "nothing here");
    }

    #[test]
    fn pieces_never_cut_a_secret_or_its_mark() {
        let r = Redactor::new(["SECRET".to_string()]);
        for n in 0..20 {
            // The secret cut at every place by the end of what has been read so far.
            let whole = format!("{}SECRET tail", "x".repeat(n));
            for end in 0..=whole.len() {
                let mut text = whole.as_bytes()[..end].to_vec();
                let mut shown = r.cut_piece(&mut text).unwrap_or_default();
                text.extend_from_slice(&whole.as_bytes()[end..]);
                shown.push_str(&r.redact(&String::from_utf8(text).unwrap()));
                assert_eq!(
                    shown,
                    format!("{}[redacted] tail", "x".repeat(n)),
                    "{n} {end}"
                );
            }
        }
        let mut split_char = "é".as_bytes()[..1].to_vec();
        assert_eq!(r.cut_piece(&mut split_char), None);
        assert_eq!(split_char, "é".as_bytes()[..1]);
    }
}
