//! Charts as SVG: the impact chart of an incident (its most affected service's key metric with
//! the incident's milestones marked on it) and the monthly charts of the report (incidents per
//! month by severity, time to resolve per month).
//!
//! Plain data in, an SVG string out: nothing here reads a journal, a clock or a file, and
//! nothing of the console or the CLI is imported. Drawn with `plotters`' SVG backend alone, so
//! no font or native library is needed: text is written as SVG `<text>` for the viewer to set.
//! Every chart reads in black and white and to a colour-blind reader: the Okabe-Ito colours,
//! and what tells series apart is also written (direct labels, hatching, marker shapes).

mod impact;
mod monthly;

pub use impact::{ImpactChart, ImpactSvg, Milestone, MilestoneKind, TimeAxis, impact_svg};
pub use monthly::{MonthCount, MonthResolve, incidents_per_month_svg, time_to_resolve_svg};

use plotters::style::RGBColor;

/// Why a chart could not be drawn (plotters refused a drawing operation).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot draw the chart: {0}")]
pub struct ChartError(pub String);

fn failed<E: std::fmt::Display>(e: E) -> ChartError {
    ChartError(e.to_string())
}

/// The Okabe-Ito palette: told apart by readers with any common colour-vision deficiency.
pub mod palette {
    use super::RGBColor;
    pub const BLACK: RGBColor = RGBColor(0, 0, 0);
    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    pub const BLUISH_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    pub const REDDISH_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
    /// Grid lines: light enough to vanish behind the data when printed.
    pub const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
}

/// `svg` (one drawn at `width`×`height` pixels) with a `viewBox`, so a page narrower than the
/// chart (a phone) scales the whole drawing down instead of cutting its right side off.
fn scalable(svg: String, width: u32, height: u32) -> String {
    let Some(start) = svg.find("<svg") else {
        return svg;
    };
    let tag_end = svg[start..].find('>').map_or(svg.len(), |e| start + e);
    if svg[start..tag_end].contains("viewBox") {
        return svg;
    }
    let at = start + "<svg".len();
    format!(
        "{} viewBox=\"0 0 {width} {height}\" preserveAspectRatio=\"xMinYMin meet\"{}",
        &svg[..at],
        &svg[at..]
    )
}

/// The font every chart asks the viewer for.
const FONT: &str = "sans-serif";

/// `0.301`, `12`, `1.5k`: a value short enough for an axis or a label.
pub fn short_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1_000_000.0 {
        format!("{:.1}M", v / 1_000_000.0)
    } else if a >= 10_000.0 {
        format!("{:.0}k", v / 1_000.0)
    } else if a >= 1_000.0 {
        format!("{:.1}k", v / 1_000.0)
    } else if a >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::short_number;

    #[test]
    fn every_chart_scales_to_a_narrow_page() {
        let svg = super::scalable(
            "<svg width=\"900\" height=\"300\"><g/></svg>".into(),
            900,
            300,
        );
        assert!(
            svg.starts_with(
                "<svg viewBox=\"0 0 900 300\" preserveAspectRatio=\"xMinYMin meet\" width=\"900\""
            ),
            "{svg}"
        );
        // Added once only.
        assert_eq!(super::scalable(svg.clone(), 900, 300), svg);
    }

    #[test]
    fn numbers_are_short_for_axes() {
        assert_eq!(short_number(0.301), "0.301");
        assert_eq!(short_number(0.05), "0.05");
        assert_eq!(short_number(12.0), "12");
        assert_eq!(short_number(1.25), "1.2");
        assert_eq!(short_number(1500.0), "1.5k");
        assert_eq!(short_number(25_000.0), "25k");
        assert_eq!(short_number(0.0), "0");
    }
}
