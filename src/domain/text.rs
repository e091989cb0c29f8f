//! Text that came from outside (typed notes, alert labels, a server's answer, a journal
//! written elsewhere) on its way to a terminal: a control character in it would be obeyed,
//! not shown — ESC starts sequences that retitle the window (OSC 2), write the reader's
//! clipboard (OSC 52) or clear the screen (CSI 2J), CR rewrites a line, BEL rings, and C1
//! characters (U+0080–U+009F, such as U+009B, CSI) do the same on terminals that read them.
//! Every text output of warroom — the console, the CLI's verbs, its messages — goes through
//! [`for_terminal`] or [`for_terminal_line`]; JSON goes through [`json_for_terminal`].

use std::borrow::Cow;

/// What a control character is shown as.
pub const SHOWN_CONTROL: char = '·';

/// `s` with every control character (C0, DEL, C1) but line feed and tab shown as `·`.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    replace(s, |c| match c {
        '\n' | '\t' => None,
        c if c.is_control() => Some(SHOWN_CONTROL),
        _ => None,
    })
}

/// One line of `s`: as [`for_terminal`], and a tab is a space, a line break a `·`.
pub fn for_terminal_line(s: &str) -> Cow<'_, str> {
    replace(s, |c| match c {
        '\t' => Some(' '),
        c if c.is_control() => Some(SHOWN_CONTROL),
        _ => None,
    })
}

/// JSON text (as `serde_json` writes it, C0 already escaped) with DEL and the C1 characters
/// escaped too (`\u007f`, `\u009b`): the same value for a program, nothing a terminal obeys.
/// Outside strings JSON has no such characters, so only string contents change.
pub fn json_for_terminal(json: &str) -> Cow<'_, str> {
    if !json.chars().any(|c| c.is_control() && c as u32 >= 0x7f) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c.is_control() && c as u32 >= 0x7f {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn replace(s: &str, with: impl Fn(char) -> Option<char>) -> Cow<'_, str> {
    if !s.chars().any(|c| with(c).is_some()) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(|c| with(c).unwrap_or(c)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_character_is_shown_not_sent() {
        let hostile = "a\x1b]52;c;eA==\x07b\x1b[2J\rc\u{9b}31m\u{7f}d\u{85}";
        assert_eq!(for_terminal(hostile), "a·]52;c;eA==·b·[2J·c·31m·d·");
        assert_eq!(for_terminal("line\n\tindented"), "line\n\tindented");
        assert_eq!(for_terminal_line("a\tb\nc\x1b"), "a b·c·");
        assert!(matches!(for_terminal("plain ünïcode"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_keeps_its_value_and_loses_the_raw_c1() {
        let value = serde_json::json!({"t": "x\x1b[2J\u{9b}y\u{7f}"});
        let text = serde_json::to_string(&value).unwrap();
        let safe = json_for_terminal(&text);
        assert!(!safe.chars().any(char::is_control), "{safe}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&safe).unwrap(),
            value
        );
    }
}
