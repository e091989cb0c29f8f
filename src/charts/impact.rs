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

/// How the chart maps time to pixels across: what a test, or anything placing marks beside the
/// chart, asks where a time is drawn.
#[derive(Clone)]
pub struct TimeAxis {
    from: DateTime<Utc>,
    coord: Cartesian2d<RangedCoordf64, RangedCoordf64>,
    pixels: Range<i32>,
}

impl TimeAxis {
    /// The x pixel at which time `t` is drawn.
    pub fn x_of(&self, t: DateTime<Utc>) -> i32 {
        self.coord.translate(&(seconds(self.from, t), 0.0)).0
    }

    /// The pixels across the plotting area: `x_of(from)` is its start, `x_of(until)` its end.
    pub fn pixels(&self) -> Range<i32> {
        self.pixels.clone()
    }
}

impl std::fmt::Debug for TimeAxis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimeAxis")
            .field("from", &self.from)
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
    let values = segments.iter().flatten().map(|(_, v)| *v);
    let (low, high) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let top = if high > 0.0 { high * 1.15 } else { 1.0 };
    let bottom = if low < 0.0 { low * 1.15 } else { 0.0 };
    let long = span > 86_400.0;
    let from = chart.from;
    let time_label = move |s: &f64| {
        let t = from + chrono::Duration::milliseconds((s * 1000.0) as i64);
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
            .build_cartesian_2d(0f64..span, bottom..top)
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
            let line = run.iter().map(|(t, v)| (seconds(from, *t), *v));
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
            from,
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
