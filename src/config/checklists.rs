//! `checklists.toml`: the call leader's checklist per phase, as data. Absent, the defaults
//! below (from the incident-command practice) apply; present, it replaces them whole, so a
//! team can drop an item as well as add one. Every error names the file, line and column.

use super::{ConfigError, parse_toml, read_text};
use crate::domain::practice::{Checklist, ChecklistItem, ChecklistPhase, Checklists};
use std::path::Path;
use toml::Spanned;

/// What warroom ships: the IC checklist per phase.
pub const DEFAULT_CHECKLISTS: &str = r#"# The call leader's checklist per phase. Replace this file to change it; a phase left out
# has no items.
start = [
  "assign a scribe",
  "set the severity",
  "first status update within 10 minutes",
]
during = [
  "status updates on cadence",
  "every task time-boxed",
]
escalation = [
  "announce to customers?",
]
before_resolving = [
  "exit criteria hold",
  "silences set during the incident to expire",
  "a post-mortem owner",
  "the scribe's open items turned into follow-ups",
]
"#;

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ChecklistsFile {
    #[serde(default)]
    start: Vec<Spanned<String>>,
    #[serde(default)]
    during: Vec<Spanned<String>>,
    #[serde(default)]
    escalation: Vec<Spanned<String>>,
    #[serde(default)]
    before_resolving: Vec<Spanned<String>>,
}

/// Reads `checklists.toml`; absent, the shipped defaults.
pub fn load_checklists(path: &Path) -> Result<Checklists, ConfigError> {
    match read_text(path)? {
        Some(text) => parse_checklists(path, &text),
        None => parse_checklists(Path::new("(built-in checklists)"), DEFAULT_CHECKLISTS),
    }
}

pub fn parse_checklists(path: &Path, text: &str) -> Result<Checklists, ConfigError> {
    let file: ChecklistsFile = parse_toml(path, text)?;
    let mut seen: Vec<String> = Vec::new();
    let mut lists = Vec::new();
    for (phase, items) in [
        (ChecklistPhase::Start, file.start),
        (ChecklistPhase::During, file.during),
        (ChecklistPhase::Escalation, file.escalation),
        (ChecklistPhase::BeforeResolving, file.before_resolving),
    ] {
        let mut out = Vec::new();
        for item in items {
            let t = item.get_ref().trim();
            let at = |reason: String| ConfigError::at(path, text, item.span().start, reason);
            if t.is_empty() {
                return Err(at(format!("{}: an item is empty", phase.as_str())));
            }
            if t.chars().any(char::is_control) || t.chars().count() > crate::domain::MAX_LINE_CHARS
            {
                return Err(at(format!(
                    "{}: an item must be one line of at most {} characters",
                    phase.as_str(),
                    crate::domain::MAX_LINE_CHARS
                )));
            }
            if seen.iter().any(|s| s == t) {
                return Err(at(format!(
                    "{}: '{t}' is listed twice (each item is answered once)",
                    phase.as_str()
                )));
            }
            seen.push(t.to_string());
            out.push(ChecklistItem {
                text: t.to_string(),
            });
        }
        if !out.is_empty() {
            lists.push(Checklist { phase, items: out });
        }
    }
    Ok(Checklists { lists })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_checklists_read() {
        let c = parse_checklists(Path::new("x"), DEFAULT_CHECKLISTS).unwrap();
        assert_eq!(c.lists.len(), 4);
        assert_eq!(c.lists[0].items[0].text, "assign a scribe");
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse_checklists(Path::new("checklists.toml"), "start = [\"a\",\n  \"\"]\n")
            .unwrap_err();
        assert_eq!((e.line, e.reason.as_str()), (2, "start: an item is empty"));
        let e = parse_checklists(Path::new("checklists.toml"), "\nstrat = [\"a\"]\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }
}
