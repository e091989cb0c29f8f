//! The report as one self-contained HTML file: inline CSS, no script, nothing fetched from
//! anywhere, readable on a phone (viewport, tables that scroll sideways in their own box).
//! Every text is escaped for HTML.

use super::Figures;
use super::sections::{scope, sections, title};
use std::fmt::Write;

/// `&`, `<`, `>`, `"` and `'` as entities; control characters (but line breaks) dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push('\n'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;\
max-width:60rem;padding:1rem;line-height:1.45;color:#111;background:#fff}\
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #999}\
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}\
table{border-collapse:collapse;min-width:100%;font-size:.95rem}\
th,td{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}\
th{background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.note{font-weight:bold;border-left:4px solid #333;padding-left:.5rem}\
.charts{border:1px dashed #666;padding:.5rem}\
@media print{.scroll{overflow:visible}}";

/// Where the charts go: incidents per month by severity and time to resolve per month.
pub const CHARTS_PLACE: &str =
    "<!-- charts: incidents per month by severity; time to resolve per month -->";

fn numeric(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '%')
}

/// The report, with `charts` (SVG markup made by warroom itself, already safe) put in its
/// place; none leaves the place marked and empty.
pub fn render_with(f: &Figures, charts: Option<&str>) -> String {
    let mut out = String::new();
    let t = escape(&title(f));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{t}</h1>\n<p>{}</p>\n",
        escape(&scope(f))
    );
    if let Some(n) = &f.note {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(n));
    }
    let _ = writeln!(
        out,
        "<section class=\"charts\" id=\"charts\">\n{CHARTS_PLACE}\n{}</section>",
        charts.unwrap_or("")
    );
    for s in sections(f) {
        let _ = writeln!(out, "<h2>{}</h2>", escape(s.title));
        for l in &s.lines {
            let _ = writeln!(out, "<p>{}</p>", escape(l));
        }
        if let Some(table) = &s.table {
            out.push_str("<div class=\"scroll\"><table>\n<tr>");
            for h in &table.head {
                let _ = write!(out, "<th scope=\"col\">{}</th>", escape(h));
            }
            out.push_str("</tr>\n");
            for r in &table.rows {
                out.push_str("<tr>");
                for c in r {
                    let class = if numeric(c) { " class=\"n\"" } else { "" };
                    let _ = write!(out, "<td{class}>{}</td>", escape(c));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</table></div>\n");
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

pub fn render(f: &Figures) -> String {
    render_with(f, None)
}
