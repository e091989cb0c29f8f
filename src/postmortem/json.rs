//! The post-mortem draft as JSON: the same facts as the Markdown, for scripts and other tools.
//! Field names are stable (see `docs/postmortem-format.md`): snake_case, durations in whole
//! seconds (`*_seconds`), times RFC 3339 in UTC.

use super::report::Report;

/// Pretty-printed, with a final newline; DEL and C1 characters escaped like the rest of the
/// control characters, so the draft is safe to `cat` on a terminal.
pub fn render(r: &Report) -> String {
    // Serializing plain structs of strings, numbers and enums cannot fail; an empty object
    // would still be valid JSON if it ever did.
    let s = serde_json::to_string_pretty(r).unwrap_or_else(|_| "{}".to_string());
    let mut s = match crate::domain::json_for_terminal(&s) {
        std::borrow::Cow::Owned(escaped) => escaped,
        std::borrow::Cow::Borrowed(_) => s,
    };
    s.push('\n');
    s
}
