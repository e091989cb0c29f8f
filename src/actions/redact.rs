//! Secrets out of sight: every value an action takes from warroom's environment (`${VAR}`)
//! is replaced by `[redacted]` before its output goes anywhere — the stream on screen, the
//! journal, and so every export of the log.

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

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
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
}
