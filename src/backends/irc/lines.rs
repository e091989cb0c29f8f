//! The update as IRC messages: cut into lines that fit, with nothing in them that could end a
//! line or start a command.

use crate::backends::webhook::UpdateMessage;

/// An IRC line, CR LF included.
pub const LINE_LIMIT: usize = 512;
/// The most text one PRIVMSG carries, whatever room the line would leave.
pub const TEXT_BYTES: usize = 400;

/// The update as PRIVMSG texts: a heading, then the text line by line, each cut to `budget`
/// bytes between words, with every control character neutralised. Blank lines are left out
/// (IRC has no empty message).
pub fn message_lines(msg: &UpdateMessage, budget: usize) -> Vec<String> {
    let heading = format!(
        "[{} {} {}] {} — status update by {}",
        msg.incident_id,
        msg.severity.label(),
        msg.status,
        msg.title,
        msg.by
    );
    let mut out = Vec::new();
    // The heading's fields are one line each: a line break in a title is only a space.
    out.extend(cut(
        &neutralise(&heading.replace(['\r', '\n'], " ")),
        budget,
    ));
    for line in msg.text.split("\r\n").flat_map(|l| l.split(['\r', '\n'])) {
        out.extend(cut(&neutralise(line), budget));
    }
    out
}

/// How many bytes of text fit in one PRIVMSG to `channel` sent as a nick of `nick_len` bytes,
/// counting what the server adds when it relays it (`:nick!user@host PRIVMSG #channel :`,
/// with a user name of up to 10 and a host of up to 63 bytes), at most [`TEXT_BYTES`].
pub fn text_budget(nick_len: usize, channel: &str) -> usize {
    let relayed = 1 + nick_len + 1 + 10 + 1 + 63 + " PRIVMSG ".len() + channel.len() + " :".len();
    (LINE_LIMIT - "\r\n".len())
        .saturating_sub(relayed)
        .clamp(64, TEXT_BYTES)
}

/// `line` with no control character left: a tab becomes a space, anything else (NUL, CR, LF,
/// DEL, IRC's formatting codes, C1 controls) the replacement character, so that what was
/// there still shows.
pub fn neutralise(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => char::REPLACEMENT_CHARACTER,
            c => c,
        })
        .collect()
}

/// `line` in pieces of at most `max` bytes, cut at the last space that fits (the space
/// dropped), or inside a word longer than a piece, but never inside a UTF-8 character.
/// Pieces of only spaces are left out.
pub fn cut(line: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line.trim_end();
    while rest.len() > max {
        let mut end = max;
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let space = if rest.as_bytes()[end] == b' ' {
            Some(end)
        } else {
            rest[..end].rfind(' ')
        };
        let (piece, next) = match space {
            Some(space) if !rest[..space].trim().is_empty() => (&rest[..space], &rest[space + 1..]),
            _ => (&rest[..end], &rest[end..]),
        };
        out.push(piece.to_string());
        rest = next;
    }
    if !rest.trim().is_empty() {
        out.push(rest.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_every_piece_within_the_budget_and_never_splits_a_character() {
        let text = "🔥 checkout ".repeat(80) + &"é".repeat(300);
        for max in [64, 100, 399, 400] {
            let pieces = cut(&text, max);
            assert!(pieces.iter().all(|p| p.len() <= max && !p.is_empty()));
            let joined: String = pieces.concat();
            let strip = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            assert_eq!(strip(&joined), strip(&text), "at {max}");
        }
    }

    #[test]
    fn cut_breaks_between_words_when_it_can() {
        let pieces = cut("alpha beta gamma delta", 11);
        assert_eq!(pieces, ["alpha beta", "gamma delta"]);
    }

    #[test]
    fn every_control_character_is_neutralised() {
        let out = neutralise("a\0b\rc\nd\x01e\x02f\x03g\x7fh\u{85}i\tj");
        assert!(!out.chars().any(char::is_control), "{out:?}");
        assert_eq!(out.matches(char::REPLACEMENT_CHARACTER).count(), 8);
        assert!(out.ends_with("i j"));
    }

    #[test]
    fn the_budget_leaves_room_for_the_relayed_prefix() {
        let channel = "#a-rather-long-channel-name-for-the-platform-team";
        let budget = text_budget(32, channel);
        let relayed = format!(
            ":{}!{}@{} PRIVMSG {channel} :{}\r\n",
            "n".repeat(32),
            "u".repeat(10),
            "h".repeat(63),
            "x".repeat(budget)
        );
        assert!(relayed.len() <= LINE_LIMIT, "{}", relayed.len());
        assert_eq!(text_budget(7, "#ops"), TEXT_BYTES);
    }
}
