//! A text shown whole: a popup sized to the screen, the text wrapped between words, scrolled
//! by the arrow keys, with the rows it still holds said at its foot.

use super::modal::centered;
use super::pane;
use crate::console::state::Detail;
use crate::console::text::wrap;
use crate::console::theme::{Meaning, Theme};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

/// The popup's place on a screen of `area`, and the text's rows at its width.
fn layout(area: Rect, text: &str) -> (Rect, Vec<String>) {
    let w = area.width.saturating_sub(4).clamp(20, 110);
    let rows = wrap(text, usize::from(w.saturating_sub(2)));
    let h = u16::try_from(rows.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(2));
    (centered(area, w, h), rows)
}

/// The furthest a text can scroll on a screen of `size` (columns, rows).
pub fn max_scroll(size: (u16, u16), text: &str) -> u16 {
    let area = Rect::new(0, 0, size.0, size.1);
    let (r, rows) = layout(area, text);
    let shown = usize::from(r.height.saturating_sub(2));
    u16::try_from(rows.len().saturating_sub(shown)).unwrap_or(u16::MAX)
}

/// Rows of a text at its scroll, and how many are above and below.
pub fn render(d: &Detail, theme: &Theme, area: Rect, frame: &mut Frame) {
    let (r, rows) = layout(area, &d.text);
    let shown = usize::from(r.height.saturating_sub(2));
    let (first, below) = crate::console::text::window(rows.len(), shown, usize::from(d.scroll));
    let foot = match crate::console::text::more_hint(first, below) {
        h if h.is_empty() => " esc closes ".to_string(),
        h => format!(" {h} · esc closes "),
    };
    frame.render_widget(Clear, r);
    let block =
        pane(&d.title, theme, true).title_bottom(Span::styled(foot, theme.style(Meaning::Muted)));
    let lines: Vec<Line> = rows
        .into_iter()
        .skip(first)
        .take(shown)
        .map(|l| Line::styled(l, theme.style(Meaning::Text)))
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), r);
}
