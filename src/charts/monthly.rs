//! The report's monthly charts: incidents per month stacked by severity, and time to resolve
//! per month (median and 90th percentile). One column per month given, in the order given.

use super::{ChartError, FONT, failed, palette, short_number};
use crate::domain::Severity;
use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::BTreeMap;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 420;

/// How many incidents of each severity were opened in `month` (its first day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthCount {
    pub month: NaiveDate,
    pub counts: BTreeMap<Severity, u32>,
}

/// How long the incidents opened in `month` (its first day) took to resolve: the median and
/// the 90th percentile, none when no incident of the month was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthResolve {
    pub month: NaiveDate,
    pub median: Option<chrono::Duration>,
    pub p90: Option<chrono::Duration>,
    pub resolved: u32,
}

/// How a severity is filled: its colour, and a hatching that tells it apart without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hatch {
    Cross,
    Horizontal,
    Vertical,
    None,
}

fn fill(severity: Severity) -> (RGBColor, Hatch) {
    match severity {
        Severity::Sev1 => (palette::VERMILLION, Hatch::Cross),
        Severity::Sev2 => (palette::ORANGE, Hatch::Horizontal),
        Severity::Sev3 => (palette::SKY_BLUE, Hatch::Vertical),
        Severity::Sev4 => (palette::YELLOW, Hatch::None),
    }
}

fn month_label(m: NaiveDate) -> String {
    m.format("%b %Y").to_string()
}

/// Which of a month's figures a line draws.
type Pick = fn(&MonthResolve) -> Option<chrono::Duration>;

type Frame<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The frame both charts share: one column per month, labelled under it, and a y axis.
fn frame<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    caption: &str,
    months: &[String],
    top: f64,
    y_desc: &str,
    y_label: &dyn Fn(&f64) -> String,
) -> Result<Frame<'a, 'b>, ChartError> {
    root.fill(&WHITE).map_err(failed)?;
    let n = months.len().max(1) as f64;
    let mut ctx = ChartBuilder::on(root)
        .margin(16)
        .margin_top(48)
        .caption(caption, (FONT, 18).into_font())
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..n, 0f64..top)
        .map_err(failed)?;
    ctx.configure_mesh()
        .disable_x_mesh()
        .light_line_style(palette::GRID.mix(0.4))
        .bold_line_style(palette::GRID)
        .x_labels(0)
        .x_label_formatter(&|_| String::new())
        .y_labels(6)
        .y_label_formatter(y_label)
        .y_desc(y_desc)
        .label_style((FONT, 13))
        .draw()
        .map_err(failed)?;
    let centred = (FONT, 13)
        .into_font()
        .color(&palette::BLACK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    ctx.draw_series(months.iter().enumerate().map(|(i, m)| {
        EmptyElement::at((i as f64 + 0.5, 0.0)) + Text::new(m.clone(), (0, 8), centred.clone())
    }))
    .map_err(failed)?;
    Ok(ctx)
}

/// Draws `(colour, hatch)` swatches with their names in a row at the top right.
fn legend(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    items: &[(String, RGBColor, Hatch)],
) -> Result<(), ChartError> {
    let mut x = WIDTH as i32 - 16 - 96 * items.len() as i32;
    let y = 34;
    for (name, colour, hatch) in items {
        swatch(root, (x, y), (x + 18, y + 14), *colour, *hatch)?;
        root.draw(&Text::new(
            name.clone(),
            (x + 24, y + 7),
            (FONT, 13)
                .into_font()
                .color(&palette::BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(failed)?;
        x += 96;
    }
    Ok(())
}

/// A filled rectangle in pixels, outlined in black, with its hatching every 4 pixels.
fn swatch(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    colour: RGBColor,
    hatch: Hatch,
) -> Result<(), ChartError> {
    let (left, right) = (x0.min(x1), x0.max(x1));
    let (top, bottom) = (y0.min(y1), y0.max(y1));
    root.draw(&Rectangle::new(
        [(left, top), (right, bottom)],
        colour.filled(),
    ))
    .map_err(failed)?;
    let ink = palette::BLACK.mix(0.55).stroke_width(1);
    if matches!(hatch, Hatch::Horizontal | Hatch::Cross) {
        for y in (top + 3..bottom).step_by(4) {
            root.draw(&PathElement::new(vec![(left, y), (right, y)], ink))
                .map_err(failed)?;
        }
    }
    if matches!(hatch, Hatch::Vertical | Hatch::Cross) {
        for x in (left + 3..right).step_by(4) {
            root.draw(&PathElement::new(vec![(x, top), (x, bottom)], ink))
                .map_err(failed)?;
        }
    }
    root.draw(&Rectangle::new(
        [(left, top), (right, bottom)],
        palette::BLACK.stroke_width(1),
    ))
    .map_err(failed)?;
    Ok(())
}

/// A number on a white box, so it stays readable over a hatched fill.
fn boxed_label(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    text: &str,
    (x, y): (i32, i32),
) -> Result<(), ChartError> {
    let half = 4 * text.chars().count() as i32 + 3;
    root.draw(&Rectangle::new(
        [(x - half, y - 8), (x + half, y + 8)],
        WHITE.filled(),
    ))
    .map_err(failed)?;
    root.draw(&Text::new(
        text.to_string(),
        (x, y),
        (FONT, 12)
            .into_font()
            .color(&palette::BLACK)
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))
    .map_err(failed)
}

/// Incidents per month, one stacked bar per month (SEV1 at the bottom), each part hatched
/// by its severity and labelled with its count when it is tall enough, the total above.
pub fn incidents_per_month_svg(months: &[MonthCount]) -> Result<String, ChartError> {
    let most = months
        .iter()
        .map(|m| m.counts.values().sum::<u32>())
        .max()
        .unwrap_or(0);
    let top = (f64::from(most) * 1.15).max(f64::from(most) + 1.0);
    let labels: Vec<String> = months.iter().map(|m| month_label(m.month)).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let ctx = frame(
            &root,
            "Incidents per month, by severity",
            &labels,
            top,
            "incidents",
            &|v| {
                if *v == v.trunc() {
                    format!("{v:.0}")
                } else {
                    String::new()
                }
            },
        )?;
        for (i, m) in months.iter().enumerate() {
            let (left, right) = (i as f64 + 0.18, i as f64 + 0.82);
            let mut base = 0u32;
            for severity in Severity::ALL {
                let count = m.counts.get(severity).copied().unwrap_or(0);
                if count == 0 {
                    continue;
                }
                let (colour, hatch) = fill(*severity);
                let a = ctx.backend_coord(&(left, f64::from(base)));
                let b = ctx.backend_coord(&(right, f64::from(base + count)));
                swatch(&root, a, b, colour, hatch)?;
                if (a.1 - b.1).abs() >= 18 {
                    boxed_label(
                        &root,
                        &count.to_string(),
                        ((a.0 + b.0) / 2, (a.1 + b.1) / 2),
                    )?;
                }
                base += count;
            }
            let (x, y) = ctx.backend_coord(&(i as f64 + 0.5, f64::from(base)));
            root.draw(&Text::new(
                base.to_string(),
                (x, y - 4),
                (FONT, 13)
                    .into_font()
                    .style(FontStyle::Bold)
                    .color(&palette::BLACK)
                    .pos(Pos::new(HPos::Center, VPos::Bottom)),
            ))
            .map_err(failed)?;
        }
        let items: Vec<(String, RGBColor, Hatch)> = Severity::ALL
            .iter()
            .map(|s| {
                let (c, h) = fill(*s);
                (s.label().to_string(), c, h)
            })
            .collect();
        legend(&root, &items)?;
        root.present().map_err(failed)?;
    }
    Ok(super::scalable(svg, WIDTH, HEIGHT))
}

/// `42m`, `3.5h`, `2.0d`: a duration short enough for a label.
fn short_duration(minutes: f64) -> String {
    if minutes < 120.0 {
        format!("{minutes:.0}m")
    } else if minutes < 48.0 * 60.0 {
        format!("{:.1}h", minutes / 60.0)
    } else {
        format!("{:.1}d", minutes / 1440.0)
    }
}

/// Time to resolve per month: the median (solid black, circles) and the 90th percentile
/// (blue, triangles), each point labelled with its value, each line named at its end; a
/// month without a resolved incident is a gap. Under each month, how many were resolved.
pub fn time_to_resolve_svg(months: &[MonthResolve]) -> Result<String, ChartError> {
    let minutes = |d: &Option<chrono::Duration>| d.map(|d| d.num_seconds() as f64 / 60.0);
    let most = months
        .iter()
        .flat_map(|m| [minutes(&m.median), minutes(&m.p90)])
        .flatten()
        .fold(0.0f64, f64::max);
    let hours = most >= 180.0;
    let scale = if hours { 60.0 } else { 1.0 };
    let top = if most > 0.0 { most / scale * 1.2 } else { 1.0 };
    let labels: Vec<String> = months
        .iter()
        .map(|m| format!("{} (n={})", month_label(m.month), m.resolved))
        .collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let mut ctx = frame(
            &root,
            "Time to resolve per month",
            &labels,
            top,
            if hours { "hours" } else { "minutes" },
            &|v| short_number(*v),
        )?;
        let series: [(&str, RGBColor, bool, Pick); 2] = [
            ("median", palette::BLACK, true, |m| m.median),
            ("p90", palette::BLUE, false, |m| m.p90),
        ];
        for (name, colour, circles, pick) in series {
            let values: Vec<Option<(f64, f64)>> = months
                .iter()
                .enumerate()
                .map(|(i, m)| minutes(&pick(m)).map(|v| (i as f64 + 0.5, v / scale)))
                .collect();
            for run in values.split(|v| v.is_none()) {
                let run: Vec<(f64, f64)> = run.iter().flatten().copied().collect();
                if run.is_empty() {
                    continue;
                }
                ctx.draw_series(LineSeries::new(run.clone(), colour.stroke_width(2)))
                    .map_err(failed)?;
                if circles {
                    ctx.draw_series(run.iter().map(|p| Circle::new(*p, 4, colour.filled())))
                        .map_err(failed)?;
                } else {
                    ctx.draw_series(
                        run.iter()
                            .map(|p| TriangleMarker::new(*p, 5, colour.filled())),
                    )
                    .map_err(failed)?;
                }
            }
            let dy = if circles { 14 } else { -14 };
            let label_style = (FONT, 12)
                .into_font()
                .color(&colour)
                .pos(Pos::new(HPos::Center, VPos::Center));
            ctx.draw_series(values.iter().flatten().map(|p| {
                EmptyElement::at(*p)
                    + Text::new(short_duration(p.1 * scale), (0, dy), label_style.clone())
            }))
            .map_err(failed)?;
            if let Some(last) = values.iter().flatten().last() {
                let name_style = (FONT, 13)
                    .into_font()
                    .style(FontStyle::Bold)
                    .color(&colour)
                    .pos(Pos::new(HPos::Left, VPos::Center));
                ctx.draw_series(std::iter::once(
                    EmptyElement::at(*last) + Text::new(name.to_string(), (10, 0), name_style),
                ))
                .map_err(failed)?;
            }
        }
        if months.iter().all(|m| m.median.is_none() && m.p90.is_none()) {
            let (xs, ys) = ctx.plotting_area().get_pixel_range();
            root.draw(&Text::new(
                "no incident resolved in these months",
                ((xs.start + xs.end) / 2, (ys.start + ys.end) / 2),
                (FONT, 16)
                    .into_font()
                    .color(&palette::BLACK)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))
            .map_err(failed)?;
        }
        root.present().map_err(failed)?;
    }
    Ok(super::scalable(svg, WIDTH, HEIGHT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, 1).unwrap()
    }

    fn texts(svg: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).expect("the chart parses as XML");
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text().map(|t| t.trim().to_string()))
            .collect()
    }

    fn counts() -> Vec<MonthCount> {
        let of = |pairs: &[(Severity, u32)]| pairs.iter().copied().collect();
        vec![
            MonthCount {
                month: month(1),
                counts: of(&[
                    (Severity::Sev1, 2),
                    (Severity::Sev2, 3),
                    (Severity::Sev3, 5),
                ]),
            },
            MonthCount {
                month: month(2),
                counts: of(&[]),
            },
            MonthCount {
                month: month(3),
                counts: of(&[(Severity::Sev2, 1), (Severity::Sev4, 7)]),
            },
        ]
    }

    fn resolves() -> Vec<MonthResolve> {
        let min = chrono::Duration::minutes;
        vec![
            MonthResolve {
                month: month(1),
                median: Some(min(42)),
                p90: Some(min(95)),
                resolved: 10,
            },
            MonthResolve {
                month: month(2),
                median: None,
                p90: None,
                resolved: 0,
            },
            MonthResolve {
                month: month(3),
                median: Some(min(30)),
                p90: Some(min(150)),
                resolved: 8,
            },
        ]
    }

    #[test]
    fn incidents_per_month_are_stacked_labelled_and_hatched() {
        let svg = incidents_per_month_svg(&counts()).unwrap();
        let t = texts(&svg);
        for want in [
            "Jan 2026", "Feb 2026", "Mar 2026", "SEV1", "SEV2", "SEV3", "SEV4",
        ] {
            assert!(t.iter().any(|x| x == want), "{want} missing from {t:?}");
        }
        // Totals above the bars (10, 0, 8) and each tall enough part's count.
        for want in ["10", "0", "8", "2", "3", "5", "7"] {
            assert!(t.iter().any(|x| x == want), "{want} missing from {t:?}");
        }
        // Colour is not alone: the okabe-ito fills are there, and so is hatching.
        for colour in ["#D55E00", "#E69F00", "#56B4E9", "#F0E442"] {
            assert!(svg.contains(colour), "{colour}");
        }
        assert!(
            svg.matches("stroke-opacity=\"0.55\"").count()
                + svg.matches("opacity=\"0.55\"").count()
                > 20
        );
    }

    #[test]
    fn time_to_resolve_names_its_lines_and_leaves_an_empty_month_out() {
        let svg = time_to_resolve_svg(&resolves()).unwrap();
        let t = texts(&svg);
        for want in [
            "median",
            "p90",
            "42m",
            "95m",
            "30m",
            "2.5h",
            "Jan 2026 (n=10)",
            "Feb 2026 (n=0)",
            "minutes",
        ] {
            assert!(t.iter().any(|x| x == want), "{want} missing from {t:?}");
        }
        // February has no value: each line is two pieces, not one through it.
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let lines = doc
            .descendants()
            .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("2"))
            .count();
        assert_eq!(
            lines, 4,
            "median and p90, each one point either side of the gap"
        );
    }

    #[test]
    fn no_month_and_no_resolution_say_so() {
        assert!(texts(&incidents_per_month_svg(&[]).unwrap()).len() > 1);
        let none: Vec<MonthResolve> = resolves()
            .into_iter()
            .map(|m| MonthResolve {
                median: None,
                p90: None,
                ..m
            })
            .collect();
        let t = texts(&time_to_resolve_svg(&none).unwrap());
        assert!(
            t.iter()
                .any(|x| x == "no incident resolved in these months")
        );
    }
}
