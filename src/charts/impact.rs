//! The impact chart: one service's key metric over the incident's window, the stretches
//! without a reading left as gaps, and the incident's milestones as labelled vertical lines.

use super::{ChartError, FONT, failed, palette, short_number};
use chrono::{DateTime, Utc};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 440;
/// Milestones closer than this many pixels share one label, so no two labels overprint.
const SAME_PLACE: i32 = 12;

/// What a milestone marks; each kind has its own colour and line (solid for the ends of the
/// incident, dashed for what happened within it), and its label says what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MilestoneKind {
    Opened,
    Severity,
    Action,
    Verified,
    StatusUpdate,
    Resolved,
}

impl MilestoneKind {
    fn colour(self) -> RGBColor {
        match self {
            MilestoneKind::Opened | MilestoneKind::Resolved => palette::BLACK,
            MilestoneKind::Severity => palette::VERMILLION,
            MilestoneKind::Action => palette::BLUE,
            MilestoneKind::Verified => palette::BLUISH_GREEN,
            MilestoneKind::StatusUpdate => palette::REDDISH_PURPLE,
        }
    }

    fn dashed(self) -> bool {
        !matches!(self, MilestoneKind::Opened | MilestoneKind::Resolved)
    }
}

/// Something that happened at a time, marked on the chart with its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    pub at: DateTime<Utc>,
    pub label: String,
    pub kind: MilestoneKind,
}

/// What the impact chart shows: `points` are readings of `metric` for `service` (none: no
/// reading, drawn as a gap), over the window `from..until`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImpactChart {
    pub service: String,
    pub metric: String,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub points: Vec<(DateTime<Utc>, Option<f64>)>,
    pub milestones: Vec<Milestone>,
}

impl ImpactChart {
    /// The runs of readings with no gap in them, in time order, each within the window.
    pub fn segments(&self) -> Vec<Vec<(DateTime<Utc>, f64)>> {
        let mut points: Vec<_> = self
            .points
            .iter()
            .filter(|(t, _)| *t >= self.from && *t <= self.until)
            .collect();
        points.sort_by_key(|(t, _)| *t);
        let mut out: Vec<Vec<(DateTime<Utc>, f64)>> = Vec::new();
        let mut run = Vec::new();
        for (t, v) in points {
            match v.filter(|v| v.is_finite()) {
                Some(v) => run.push((*t, v)),
                None if !run.is_empty() => out.push(std::mem::take(&mut run)),
                None => {}
            }
        }
        if !run.is_empty() {
            out.push(run);
        }
        out
    }
}

impl ImpactChart {
    /// The value axis: from 0 (or 15 % below the lowest reading, when one is negative) to
    /// 15 % above the highest, so the peak never touches the top; 0 to 1 without readings.
    pub fn value_bounds(&self) -> (f64, f64) {
        let values = self.segments().into_iter().flatten().map(|(_, v)| v);
        let (low, high) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let top = if high > 0.0 { high * 1.15 } else { 1.0 };
        let bottom = if low < 0.0 { low * 1.15 } else { 0.0 };
        (bottom, top)
    }
}

/// How the chart maps time to pixels across: what a test, or anything placing marks beside the
/// chart, asks where a time is drawn.
#[derive(Clone)]
pub struct TimeAxis {
    /// Midnight UTC of the window's first day: the axis counts from there, so its ticks fall
    /// on round clock times.
    origin: DateTime<Utc>,
    /// Seconds in one unit of the axis: a minute, or an hour for a window over 12 hours.
    unit: f64,
    coord: Cartesian2d<RangedCoordf64, RangedCoordf64>,
    pixels: Range<i32>,
}

impl TimeAxis {
    /// The x pixel at which time `t` is drawn.
    pub fn x_of(&self, t: DateTime<Utc>) -> i32 {
        self.coord.translate(&(self.offset(t), 0.0)).0
    }

    fn offset(&self, t: DateTime<Utc>) -> f64 {
        seconds(self.origin, t) / self.unit
    }

    fn time(&self, offset: f64) -> DateTime<Utc> {
        self.origin + chrono::Duration::milliseconds((offset * self.unit * 1000.0).round() as i64)
    }

    /// The pixels across the plotting area: `x_of(from)` is its start, `x_of(until)` its end.
    pub fn pixels(&self) -> Range<i32> {
        self.pixels.clone()
    }
}

impl std::fmt::Debug for TimeAxis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimeAxis")
            .field("origin", &self.origin)
            .field("unit", &self.unit)
            .field("pixels", &self.pixels)
            .finish()
    }
}

/// The chart as SVG, and how it mapped time to pixels.
#[derive(Debug, Clone)]
pub struct ImpactSvg {
    pub svg: String,
    pub axis: TimeAxis,
}

fn seconds(from: DateTime<Utc>, t: DateTime<Utc>) -> f64 {
    (t - from).num_milliseconds() as f64 / 1000.0
}

/// Draws the impact chart.
pub fn impact_svg(chart: &ImpactChart) -> Result<ImpactSvg, ChartError> {
    let span = seconds(chart.from, chart.until).max(1.0);
    let segments = chart.segments();
    let (bottom, top) = chart.value_bounds();
    let long = span > 86_400.0;
    let origin = chart
        .from
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map_or(chart.from, |m| m.and_utc());
    let unit = if span > 12.0 * 3600.0 { 3600.0 } else { 60.0 };
    // The axis before it knows its pixels: for the range and the tick labels.
    let scale = TimeAxis {
        origin,
        unit,
        coord: Cartesian2d::new(0f64..1.0, 0f64..1.0, (0..1, 0..1)),
        pixels: 0..1,
    };
    let x_range = scale.offset(chart.from)..scale.offset(chart.from) + span / unit;
    let time_label = |x: &f64| {
        let t = scale.time(*x);
        if long {
            t.format("%m-%d %H:%M").to_string()
        } else {
            t.format("%H:%M").to_string()
        }
    };
    let mut svg = String::new();
    let axis;
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let caption = format!("{} — {} (times UTC)", chart.service, chart.metric);
        let mut ctx = ChartBuilder::on(&root)
            .margin(16)
            .caption(caption, (FONT, 18).into_font())
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(x_range, bottom..top)
            .map_err(failed)?;
        ctx.configure_mesh()
            .light_line_style(palette::GRID.mix(0.4))
            .bold_line_style(palette::GRID)
            .x_labels(8)
            .x_label_formatter(&time_label)
            .y_labels(6)
            .y_label_formatter(&|v| short_number(*v))
            .y_desc(chart.metric.as_str())
            .label_style((FONT, 13))
            .draw()
            .map_err(failed)?;

        for run in &segments {
            let line = run.iter().map(|(t, v)| (scale.offset(*t), *v));
            ctx.draw_series(LineSeries::new(line, palette::BLACK.stroke_width(2)).point_size(3))
                .map_err(failed)?;
        }
        if segments.is_empty() {
            let (xs, ys) = ctx.plotting_area().get_pixel_range();
            root.draw(&Text::new(
                "no reading recorded",
                ((xs.start + xs.end) / 2, (ys.start + ys.end) / 2),
                (FONT, 16)
                    .into_font()
                    .color(&palette::BLACK)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))
            .map_err(failed)?;
        }

        let (xs, ys) = ctx.plotting_area().get_pixel_range();
        axis = TimeAxis {
            origin,
            unit,
            coord: ctx.as_coord_spec().clone(),
            pixels: xs.clone(),
        };
        let mut marks: Vec<(i32, &Milestone)> = chart
            .milestones
            .iter()
            .filter(|m| m.at >= chart.from && m.at <= chart.until)
            .map(|m| (axis.x_of(m.at), m))
            .collect();
        marks.sort_by_key(|(x, m)| (*x, m.at));
        let mut label_at: Option<(i32, String, RGBColor)> = None;
        let mut labels = Vec::new();
        for (x, m) in &marks {
            draw_vertical(&root, *x, ys.clone(), m.kind).map_err(failed)?;
            match &mut label_at {
                Some((lx, text, _)) if x - *lx < SAME_PLACE => {
                    text.push_str(" · ");
                    text.push_str(&m.label);
                }
                _ => {
                    if let Some(done) = label_at.take() {
                        labels.push(done);
                    }
                    label_at = Some((*x, m.label.clone(), m.kind.colour()));
                }
            }
        }
        labels.extend(label_at);
        for (x, text, colour) in labels {
            let style = (FONT, 13)
                .into_font()
                .transform(FontTransform::Rotate90)
                .color(&colour)
                .pos(Pos::new(HPos::Left, VPos::Bottom));
            root.draw(&Text::new(text, (x, ys.start + 4), style))
                .map_err(failed)?;
        }
        root.present().map_err(failed)?;
    }
    let svg = super::scalable(svg, WIDTH, HEIGHT);
    Ok(ImpactSvg { svg, axis })
}

/// A milestone's line from the top of the plotting area to its bottom: solid, or dashed
/// (6 pixels on, 4 off) for the kinds within the incident.
fn draw_vertical<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    x: i32,
    ys: Range<i32>,
    kind: MilestoneKind,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let style = kind
        .colour()
        .stroke_width(if kind.dashed() { 1 } else { 2 });
    if !kind.dashed() {
        return root.draw(&PathElement::new(vec![(x, ys.start), (x, ys.end)], style));
    }
    let mut y = ys.start;
    while y < ys.end {
        let end = (y + 6).min(ys.end);
        root.draw(&PathElement::new(vec![(x, y), (x, end)], style))?;
        y += 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 14, h, m, 0).unwrap()
    }

    /// One reading a minute from 10:00 to 11:00, none from 10:20 to 10:30.
    fn chart() -> ImpactChart {
        let points = (0..=60)
            .map(|m| {
                let t = at(10, 0) + chrono::Duration::minutes(m);
                let v = (20..=30)
                    .contains(&m)
                    .then_some(())
                    .map_or(Some(0.01 + f64::from(m as u32) / 200.0), |_| None);
                (t, v)
            })
            .collect();
        let m = |h, mi, label: &str, kind| Milestone {
            at: at(h, mi),
            label: label.into(),
            kind,
        };
        ImpactChart {
            service: "checkout".into(),
            metric: "error ratio".into(),
            from: at(10, 0),
            until: at(11, 0),
            points,
            milestones: vec![
                m(10, 2, "opened SEV2", MilestoneKind::Opened),
                m(10, 8, "SEV2 → SEV1", MilestoneKind::Severity),
                m(10, 15, "ran restart-api", MilestoneKind::Action),
                m(10, 19, "restart-api verified: ok", MilestoneKind::Verified),
                m(10, 33, "status update", MilestoneKind::StatusUpdate),
                m(10, 52, "resolved", MilestoneKind::Resolved),
            ],
        }
    }

    /// A `<text>` element's text as a reader sees it (the SVG writer puts it on a line of its own).
    pub(crate) fn text_of<'a>(node: roxmltree::Node<'a, '_>) -> Option<&'a str> {
        node.text().map(str::trim)
    }

    fn num(node: roxmltree::Node, attr: &str) -> f64 {
        node.attribute(attr)
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    }

    /// The points of every polyline drawn in black two pixels wide with more than two points
    /// or not straight up: the metric's line runs (milestone lines are vertical).
    fn metric_runs(doc: &roxmltree::Document) -> Vec<Vec<(f64, f64)>> {
        doc.descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .filter(|n| n.attribute("stroke") == Some("#000000"))
            .filter(|n| n.attribute("stroke-width") == Some("2"))
            .map(|n| {
                n.attribute("points")
                    .unwrap_or_default()
                    .split_whitespace()
                    .filter_map(|p| {
                        let (x, y) = p.split_once(',')?;
                        Some((x.parse().ok()?, y.parse().ok()?))
                    })
                    .collect::<Vec<(f64, f64)>>()
            })
            .filter(|pts| pts.iter().any(|p| p.0 != pts[0].0))
            .collect()
    }

    #[test]
    fn the_impact_chart_is_svg_with_each_milestone_labelled_where_its_time_is() {
        let chart = chart();
        let out = impact_svg(&chart).unwrap();
        let doc = roxmltree::Document::parse(&out.svg).expect("the chart parses as XML");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        // The mapping runs across the plotting area, in proportion to time.
        let px = out.axis.pixels();
        assert_eq!(out.axis.x_of(chart.from), px.start);
        assert!((out.axis.x_of(chart.until) - px.end).abs() <= 1);
        let mid = out.axis.x_of(at(10, 30));
        assert!(
            (mid - (px.start + px.end) / 2).abs() <= 1,
            "{mid} in {px:?}"
        );
        for m in &chart.milestones {
            let x = out.axis.x_of(m.at);
            let text = doc
                .descendants()
                .find(|n| n.has_tag_name("text") && text_of(*n) == Some(m.label.as_str()))
                .unwrap_or_else(|| panic!("no label {:?} in {}", m.label, out.svg));
            assert_eq!(num(text, "x"), f64::from(x), "label {:?}", m.label);
            // And its line runs down from there at the same x.
            let line = doc.descendants().any(|n| {
                n.has_tag_name("polyline")
                    && n.attribute("points").is_some_and(|p| {
                        p.split_whitespace()
                            .all(|xy| xy.split(',').next() == Some(&x.to_string()))
                    })
            });
            assert!(line, "no vertical line at x={x} for {:?}", m.label);
        }
    }

    #[test]
    fn a_stretch_without_readings_is_a_gap_in_the_line() {
        let chart = chart();
        let out = impact_svg(&chart).unwrap();
        let doc = roxmltree::Document::parse(&out.svg).unwrap();
        let runs = metric_runs(&doc);
        assert_eq!(runs.len(), 2, "two runs either side of the gap: {runs:?}");
        let (gap_from, gap_until) = (
            f64::from(out.axis.x_of(at(10, 19))),
            f64::from(out.axis.x_of(at(10, 31))),
        );
        for p in runs.iter().flatten() {
            assert!(
                p.0 <= gap_from || p.0 >= gap_until,
                "a point at x={} lies in the gap {gap_from}..{gap_until}",
                p.0
            );
        }
        assert_eq!(runs[0].len(), 20);
        assert_eq!(runs[1].len(), 30);
    }

    #[test]
    fn milestones_in_one_place_share_a_label_and_text_is_escaped() {
        let mut chart = chart();
        chart.milestones = vec![
            Milestone {
                at: at(10, 10),
                label: "opened <SEV1>".into(),
                kind: MilestoneKind::Opened,
            },
            Milestone {
                at: at(10, 10) + chrono::Duration::seconds(5),
                label: "status update & more".into(),
                kind: MilestoneKind::StatusUpdate,
            },
        ];
        let out = impact_svg(&chart).unwrap();
        let doc = roxmltree::Document::parse(&out.svg).unwrap();
        let label = doc
            .descendants()
            .find(|n| {
                n.has_tag_name("text") && text_of(*n).is_some_and(|t| t.starts_with("opened"))
            })
            .expect("a label");
        assert_eq!(text_of(label), Some("opened <SEV1> · status update & more"));
    }

    #[test]
    fn no_reading_says_so() {
        let mut chart = chart();
        chart.points.iter_mut().for_each(|p| p.1 = None);
        let out = impact_svg(&chart).unwrap();
        let doc = roxmltree::Document::parse(&out.svg).unwrap();
        assert!(metric_runs(&doc).is_empty());
        assert!(
            doc.descendants()
                .any(|n| n.has_tag_name("text") && text_of(n) == Some("no reading recorded"))
        );
    }
}
