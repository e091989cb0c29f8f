//! Text in a fixed number of terminal columns, the one way every pane and popup does it:
//! a cut is always marked with "…", wrapping breaks between words (a word longer than a line
//! is broken where the line ends, so nothing is dropped), and widths are counted in columns
//! (a CJK character or an emoji takes two).

use ratatui::text::{Line, Span};
use std::borrow::Cow;
use unicode_width::UnicodeWidthChar;

/// What marks a cut.
pub const ELLIPSIS: &str = "…";

/// Columns a character takes; control characters take none (they are never drawn as such).
pub fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Columns a string takes.
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// The longest start of `s` that fits in `max` columns, and its width.
fn fitting(s: &str, max: usize) -> (&str, usize) {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let w = char_width(c);
        if used + w > max {
            return (&s[..i], used);
        }
        used += w;
    }
    (s, used)
}

/// The start of `s` for a row of `max` columns: what fits, or its first character alone when
/// even that is wider than the row (a row is never empty while text is left).
fn row_start(s: &str, max: usize) -> &str {
    match fitting(s, max) {
        ("", _) => &s[..s.chars().next().map_or(0, char::len_utf8)],
        (start, _) => start,
    }
}

/// `s` in at most `max` columns: whole when it fits, else cut and ended with "…".
pub fn cut(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let (start, _) = fitting(s, max - 1);
    Cow::Owned(format!("{start}{ELLIPSIS}"))
}

/// A styled line in at most `max` columns: whole when it fits, else cut and ended with "…"
/// in the style of the text it cut.
pub fn cut_line(line: Line<'_>, max: usize) -> Line<'_> {
    let total: usize = line.spans.iter().map(|s| width(&s.content)).sum();
    if total <= max {
        return line;
    }
    let budget = max.saturating_sub(1);
    let mut used = 0;
    let mut spans: Vec<Span> = Vec::with_capacity(line.spans.len() + 1);
    let mut style = ratatui::style::Style::default();
    for span in line.spans {
        style = span.style;
        let w = width(&span.content);
        if used + w <= budget {
            used += w;
            spans.push(span);
            continue;
        }
        let (start, _) = fitting(&span.content, budget - used);
        if !start.is_empty() {
            spans.push(Span::styled(start.to_string(), span.style));
        }
        break;
    }
    if max > 0 {
        spans.push(Span::styled(ELLIPSIS, style));
    }
    Line { spans, ..line }
}

/// Every line in at most `max` columns (see [`cut_line`]).
pub fn cut_lines(lines: Vec<Line<'_>>, max: usize) -> Vec<Line<'_>> {
    lines.into_iter().map(|l| cut_line(l, max)).collect()
}

/// `s` wrapped between words into lines of at most `max` columns. Its own line breaks are
/// kept; a word longer than a line is broken where the line ends. Nothing is dropped but the
/// spaces a line break replaces.
pub fn wrap(s: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut out = Vec::new();
    for paragraph in s.split('\n') {
        let paragraph = crate::domain::for_terminal_line(paragraph);
        let mut line = String::new();
        let mut used = 0;
        for (n, word) in paragraph.split(' ').enumerate() {
            let w = width(word);
            if n > 0 {
                if used + 1 + w <= max {
                    line.push(' ');
                    line.push_str(word);
                    used += 1 + w;
                    continue;
                }
                out.push(std::mem::take(&mut line));
            }
            // A word on a line of its own, broken where it is longer than a line.
            let mut rest = word;
            while width(rest) > max {
                let start = row_start(rest, max);
                out.push(start.to_string());
                rest = &rest[start.len()..];
            }
            line.push_str(rest);
            used = width(rest);
        }
        out.push(line);
    }
    out
}

/// `s` broken into rows of exactly `max` columns (the last shorter), keeping every character,
/// spaces included: reading the rows one after another gives `s` back. For what must be copied
/// whole, such as a share token.
pub fn wrap_exact(s: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut out = Vec::new();
    for paragraph in s.split('\n') {
        let mut rest = paragraph;
        loop {
            let start = row_start(rest, max);
            out.push(start.to_string());
            rest = &rest[start.len()..];
            if rest.is_empty() {
                break;
            }
        }
    }
    out
}

/// What a list shows of `total` rows in `rows` rows, starting near `first`: the first row
/// shown (so that the view never scrolls past the end) and how many are hidden below.
pub fn window(total: usize, rows: usize, first: usize) -> (usize, usize) {
    let first = first.min(total.saturating_sub(rows));
    let below = total.saturating_sub(first + rows);
    (first, below)
}

/// What a scrolled view holds beyond what it shows: "↑ 3 above · +12 more ↓", or nothing.
pub fn more_hint(above: usize, below: usize) -> String {
    match (above, below) {
        (0, 0) => String::new(),
        (0, n) => format!("+{n} more ↓"),
        (a, 0) => format!("↑ {a} above"),
        (a, n) => format!("↑ {a} above · +{n} more ↓"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_marks_every_cut_and_counts_columns() {
        assert_eq!(cut("checkout", 8), "checkout");
        assert_eq!(cut("checkout", 7), "checko…");
        assert_eq!(width(&cut("checkout", 7)), 7);
        // Two columns each: four fit in nine with the mark.
        assert_eq!(cut("支払いの遅延", 9), "支払いの…");
        assert_eq!(width(&cut("支払いの遅延", 9)), 9);
        assert_eq!(cut("支払い", 2), "…");
        assert_eq!(cut("abc", 0), "");
    }

    #[test]
    fn cut_line_keeps_styles_and_marks_the_cut() {
        use ratatui::style::{Color, Style};
        let red = Style::default().fg(Color::Red);
        let l = Line::from(vec![
            Span::raw("12:00 "),
            Span::styled("payments down", red),
        ]);
        let c = cut_line(l.clone(), 12);
        assert_eq!(c.to_string(), "12:00 payme…");
        assert_eq!(c.spans.last().map(|s| s.style), Some(red));
        assert_eq!(cut_line(l.clone(), 19).to_string(), "12:00 payments down");
    }

    #[test]
    fn wrap_breaks_between_words_and_loses_no_character() {
        assert_eq!(
            wrap("the rollback of pricing v42", 12),
            vec!["the rollback", "of pricing", "v42"]
        );
        assert_eq!(wrap("a\nb", 5), vec!["a", "b"]);
        assert_eq!(
            wrap("token Zq3_vK9mXw-Lr8T end", 6),
            vec!["token", "Zq3_vK", "9mXw-L", "r8T", "end"]
        );
        for l in wrap("支払いの遅延 支払いの遅延", 5) {
            assert!(width(&l) <= 5, "{l}");
        }
    }

    #[test]
    fn wrap_exact_gives_the_text_back() {
        let s = "warroom follow http://h:1/v1/incidents/INC-1 --token Zq3_vK9mXw-Lr8T";
        let rows = wrap_exact(s, 10);
        assert!(rows.iter().all(|r| width(r) <= 10));
        assert_eq!(rows.concat(), s);
    }

    #[test]
    fn window_never_scrolls_past_the_end() {
        assert_eq!(window(10, 4, 0), (0, 6));
        assert_eq!(window(10, 4, 5), (5, 1));
        assert_eq!(window(10, 4, 9), (6, 0));
        assert_eq!(window(3, 4, 2), (0, 0));
    }
}
