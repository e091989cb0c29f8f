//! Lines drawn one per row, each cut at the area's right edge: what `Paragraph::new(lines)`
//! (no wrap, no scroll) draws, cell for cell, for a fraction of the work. Ratatui's paragraph
//! splits every span into grapheme clusters and measures each one; a log pane of 200 columns
//! is mostly printable ASCII, where every byte is one cluster one column wide, so such a span
//! is written byte by byte and only the rest goes through clusters, the paragraph's way.

use ratatui::buffer::{Buffer, CellWidth};
use ratatui::layout::{Alignment, Position, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

/// Lines, the first at the area's top, each left-aligned unless it says otherwise.
pub struct Lines<'a> {
    lines: Vec<Line<'a>>,
    style: Style,
}

impl<'a> Lines<'a> {
    pub fn new(lines: Vec<Line<'a>>) -> Self {
        Lines {
            lines,
            style: Style::default(),
        }
    }

    /// The style of the whole area beneath the text, as `Paragraph::style`.
    pub fn style(mut self, style: Style) -> Self {
        self.style = style;
        self
    }
}

impl Widget for Lines<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        // The paragraph patches every cell with its style; the default style changes none.
        if self.style != Style::default() {
            buf.set_style(area, self.style);
        }
        for (row, line) in self.lines.into_iter().take(area.height.into()).enumerate() {
            let y = area.y + row as u16;
            match line.alignment {
                None | Some(Alignment::Left) => left_aligned(&line, area.x, y, area.width, buf),
                // Centred and right-aligned lines are rare here: drawn by the paragraph itself.
                Some(_) => Paragraph::new(line).render(Rect::new(area.x, y, area.width, 1), buf),
            }
        }
    }
}

/// One line from `x`, cut where the next cluster would pass `max` columns; a cluster wider
/// than the whole row is left out, and one of no width is not drawn (the paragraph's rules).
fn left_aligned(line: &Line<'_>, x: u16, y: u16, max: u16, buf: &mut Buffer) {
    let mut used: u16 = 0;
    for span in &line.spans {
        let style = line.style.patch(span.style);
        let content: &str = &span.content;
        if content.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            // The row's cells from here on, found once; what does not fit is cut.
            let room = usize::from(max - used);
            if room == 0 {
                if content.is_empty() {
                    continue;
                }
                return;
            }
            let at = buf.index_of(x + used, y);
            let cells = &mut buf.content[at..at + room];
            for (cell, b) in cells.iter_mut().zip(content.bytes()) {
                cell.set_char(char::from(b)).set_style(style);
            }
            if content.len() > room {
                return;
            }
            used += content.len() as u16;
            continue;
        }
        for g in span.styled_graphemes(line.style) {
            let w = g.symbol.cell_width();
            if w > max {
                continue;
            }
            if used + w > max {
                return;
            }
            if w == 0 {
                continue;
            }
            let symbol = if g.symbol.is_empty() { " " } else { g.symbol };
            buf[Position::new(x + used, y)]
                .set_symbol(symbol)
                .set_style(g.style);
            used += w;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ratatui::style::{Color, Modifier};
    use ratatui::text::Span;

    fn drawn(widget: impl Widget, width: u16, height: u16) -> Buffer {
        // Something beneath, so that a cell left alone differs from one written blank.
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::filled(
            area,
            ratatui::buffer::Cell::new("x")
                .set_style(Style::default().fg(Color::Blue))
                .clone(),
        );
        widget.render(
            Rect::new(1, 1, width.saturating_sub(2), height.saturating_sub(1)),
            &mut buf,
        );
        buf
    }

    fn same_as_paragraph(lines: Vec<Line<'static>>, width: u16, height: u16, style: Style) {
        let ours = drawn(Lines::new(lines.clone()).style(style), width, height);
        let theirs = drawn(Paragraph::new(lines).style(style), width, height);
        assert_eq!(ours, theirs);
    }

    #[test]
    fn draws_what_the_paragraph_draws() {
        let red = Style::default().fg(Color::Red);
        let lines = vec![
            Line::from(vec![
                Span::styled("12:00:01 ", red),
                Span::raw("alice      "),
                Span::styled(
                    "NOTE       payments down",
                    Style::default().bg(Color::Black),
                ),
            ]),
            Line::styled("⚠ am unreachable — 支払いの遅延 …", red),
            Line::from("a line far longer than the area it is drawn in, cut at its edge"),
            Line::from("centred").centered(),
            Line::from("right").right_aligned(),
            Line::from(vec![Span::raw(
                "tab\there, e\u{301} combined, 👍🏽 and a bell\u{7}",
            )])
            .style(Style::default().add_modifier(Modifier::BOLD)),
            Line::from(""),
        ];
        for width in [0, 1, 2, 3, 5, 12, 40, 80] {
            for height in [0, 1, 3, 9] {
                same_as_paragraph(lines.clone(), width, height, Style::default());
                same_as_paragraph(lines.clone(), width, height, red);
            }
        }
    }

    proptest! {
        #[test]
        fn any_text_is_drawn_as_the_paragraph_draws_it(
            texts in proptest::collection::vec(
                proptest::collection::vec("[ -~]{0,12}|\\PC{0,6}|[\u{0}-\u{1f}\u{300}\u{200d}支👍🏽ﾞa ]{0,6}", 0..4),
                0..6,
            ),
            width in 0u16..30,
            height in 0u16..8,
        ) {
            let styles = [
                Style::default(),
                Style::default().fg(Color::Red),
                Style::default().bg(Color::Green).add_modifier(Modifier::CROSSED_OUT),
            ];
            let lines: Vec<Line<'static>> = texts
                .into_iter()
                .enumerate()
                .map(|(n, spans)| {
                    Line::from(
                        spans
                            .into_iter()
                            .enumerate()
                            .map(|(k, s)| Span::styled(s, styles[(n + k) % 3]))
                            .collect::<Vec<_>>(),
                    )
                    .style(styles[n % 3])
                })
                .collect();
            same_as_paragraph(lines, width, height, Style::default());
        }
    }
}
