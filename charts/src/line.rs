//! Line charts: any number of named series, linear or log axes with ticks and titles, a
//! legend column, an optional horizontal reference line, a hover value on every point.

use plotters::prelude::*;

/// One named series.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Legend text.
    pub name: String,
    /// Points `(x, y)`; points that a log axis cannot show are left out.
    pub points: Vec<(f64, f64)>,
    /// Drawn dashed (e.g. a measured error next to bounds).
    pub dashed: bool,
}

impl Line {
    /// A solid series.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            dashed: false,
        }
    }
}

/// Series colours, in order.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0x2f, 0x6f, 0xde),
    RGBColor(0xc8, 0x55, 0x3d),
    RGBColor(0x1e, 0x7a, 0x3c),
    RGBColor(0x8e, 0x44, 0xad),
    RGBColor(0xd4, 0xa0, 0x17),
    RGBColor(0x17, 0xa2, 0xb8),
    RGBColor(0x6c, 0x75, 0x7d),
    RGBColor(0xe8, 0x3e, 0x8c),
];

const WIDTH: u32 = 600;
const HEIGHT: u32 = 320;
/// Width of the legend column, right of the plot.
const LEGEND: u32 = 160;
const FONT: &str = "sans-serif";

/// One axis: its range (in log10 units when logarithmic) and scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    /// Lower end (log10 of the value on a log axis).
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Logarithmic.
    pub log: bool,
}

impl Axis {
    /// The range of `values` (and `extra`), whole decades on a log axis, widened when all
    /// values coincide; `None` when no value can be shown.
    pub fn fit(values: impl Iterator<Item = f64>, log: bool, extra: Option<f64>) -> Option<Self> {
        let (low, high) = values
            .chain(extra)
            .filter(|v| v.is_finite() && (!log || *v > 0.0))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if !low.is_finite() {
            return None;
        }
        Some(if log {
            let (low, high) = (low.log10().floor(), high.log10().ceil());
            Self {
                low,
                high: if high > low { high } else { low + 1.0 },
                log,
            }
        } else if (high - low).abs() < 1e-12 {
            Self {
                low: low - 0.5,
                high: high + 0.5,
                log,
            }
        } else {
            let pad = (high - low) * 0.03;
            Self {
                low: low - pad,
                high: high + pad,
                log,
            }
        })
    }

    /// Whether `value` can be drawn on this axis.
    pub fn shows(&self, value: f64) -> bool {
        value.is_finite() && (!self.log || value > 0.0)
    }

    /// The plotted coordinate of `value` (log10 on a log axis).
    pub fn at(&self, value: f64) -> f64 {
        if self.log { value.log10() } else { value }
    }

    /// A tick label for the plotted coordinate `coordinate`.
    pub fn label(&self, coordinate: f64) -> String {
        if self.log {
            if (coordinate - coordinate.round()).abs() < 1e-9 {
                format!("1e{}", coordinate.round())
            } else {
                short(10f64.powf(coordinate))
            }
        } else {
            short(coordinate)
        }
    }

    /// Tick count: one a decade on a log axis.
    pub fn ticks(&self) -> usize {
        if self.log {
            ((self.high - self.low).round() as usize + 1).clamp(2, 12)
        } else {
            6
        }
    }
}

/// A compact number for tick labels and hover values.
pub fn short(value: f64) -> String {
    if value != 0.0 && !(1e-2..1e5).contains(&value.abs()) {
        format!("{value:.2e}")
    } else if value.fract() == 0.0 || value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

/// A line chart to draw.
pub struct Spec<'a> {
    /// The series.
    pub lines: &'a [Line],
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// Horizontal axis title.
    pub x_label: &'a str,
    /// Vertical axis title.
    pub y_label: &'a str,
    /// A horizontal line at this value with this label.
    pub reference: Option<&'a (f64, String)>,
}

/// Draws the chart; answers its SVG with a hover target (and value) on every point.
pub fn draw(spec: &Spec) -> Result<String, String> {
    let Spec { x, y, .. } = *spec;
    let mut svg = String::new();
    let mut targets = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|error| error.to_string())?;
        let (plot, legend) = root.split_horizontally(WIDTH - LEGEND);
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(62)
            .build_cartesian_2d(x.low..x.high, y.low..y.high)
            .map_err(|error| error.to_string())?;
        chart
            .configure_mesh()
            .x_desc(spec.x_label)
            .y_desc(spec.y_label)
            .x_labels(x.ticks())
            .y_labels(y.ticks())
            .x_label_formatter(&|value| x.label(*value))
            .y_label_formatter(&|value| y.label(*value))
            .label_style((FONT, 11))
            .axis_desc_style((FONT, 12))
            .light_line_style(RGBColor(0xee, 0xf0, 0xf4))
            // On a log axis minor lines would be linear in the exponent: none then.
            .max_light_lines(if x.log || y.log { 0 } else { 4 })
            .bold_line_style(RGBColor(0xe0, 0xe3, 0xea))
            .axis_style(RGBColor(0x99, 0x99, 0x99))
            .draw()
            .map_err(|error| error.to_string())?;
        if let Some((value, label)) = spec.reference
            && y.shows(*value)
        {
            let at = y.at(*value);
            let style = RGBColor(0x1d, 0x23, 0x30).stroke_width(2);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x.low, at), (x.high, at)],
                    style,
                )))
                .map_err(|error| error.to_string())?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label.clone(),
                    (x.low + (x.high - x.low) * 0.01, at),
                    (FONT, 11).into_font().color(&RGBColor(0x1d, 0x23, 0x30)),
                )))
                .map_err(|error| error.to_string())?;
        }
        for (index, line) in spec.lines.iter().enumerate() {
            let color = PALETTE[index % PALETTE.len()];
            let shown: Vec<(f64, f64)> = line
                .points
                .iter()
                .filter(|&&(a, b)| x.shows(a) && y.shows(b))
                .map(|&(a, b)| (x.at(a), y.at(b)))
                .collect();
            let style = color.stroke_width(2);
            if line.dashed {
                chart
                    .draw_series(DashedLineSeries::new(shown.clone(), 6, 4, style))
                    .map_err(|error| error.to_string())?;
            } else {
                chart
                    .draw_series(LineSeries::new(shown.clone(), style))
                    .map_err(|error| error.to_string())?;
            }
            chart
                .draw_series(
                    shown
                        .iter()
                        .map(|&point| Circle::new(point, 3, color.filled())),
                )
                .map_err(|error| error.to_string())?;
            for (&(a, b), &point) in line
                .points
                .iter()
                .filter(|&&(a, b)| x.shows(a) && y.shows(b))
                .zip(&shown)
            {
                let (left, top) = chart.backend_coord(&point);
                targets.push((
                    left,
                    top,
                    format!("{}: x = {}, y = {}", line.name, short(a), short(b)),
                ));
            }
            // The legend, in its own column.
            let row = 20 + 18 * index as i32;
            let sample = if line.dashed {
                vec![(6, row), (14, row), (18, row), (26, row)]
            } else {
                vec![(6, row), (26, row)]
            };
            legend
                .draw(&PathElement::new(sample, style))
                .map_err(|error| error.to_string())?;
            legend
                .draw(&Text::new(
                    line.name.clone(),
                    (32, row - 6),
                    (FONT, 11).into_font(),
                ))
                .map_err(|error| error.to_string())?;
        }
        root.present().map_err(|error| error.to_string())?;
    }
    Ok(crate::svg::finish(&svg, &targets))
}

/// The chart of `lines` with axes fitted to them (and to `reference`); `None` when nothing
/// can be drawn.
pub fn chart(
    lines: &[Line],
    log_x: bool,
    log_y: bool,
    x_label: &str,
    y_label: &str,
    reference: Option<&(f64, String)>,
) -> Option<Result<String, String>> {
    let points = || lines.iter().flat_map(|line| line.points.iter().copied());
    let x = Axis::fit(points().map(|p| p.0), log_x, None)?;
    let y = Axis::fit(points().map(|p| p.1), log_y, reference.map(|r| r.0))?;
    Some(draw(&Spec {
        lines,
        x,
        y,
        x_label,
        y_label,
        reference,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axes_cover_whole_decades() {
        let axis = Axis::fit([0.03, 0.5, 7.0].into_iter(), true, None).expect("axis");
        assert_eq!((axis.low, axis.high), (-2.0, 1.0));
        assert_eq!(axis.label(-2.0), "1e-2");
        assert_eq!(axis.at(100.0), 2.0);
        assert!(!axis.shows(0.0));
        assert_eq!(axis.ticks(), 4);
    }

    #[test]
    fn a_constant_series_gets_a_visible_range() {
        let axis = Axis::fit([2.0, 2.0].into_iter(), false, None).expect("axis");
        assert_eq!((axis.low, axis.high), (1.5, 2.5));
        assert!(Axis::fit([f64::NAN].into_iter(), false, None).is_none());
    }

    #[test]
    fn every_point_gets_a_hover_value() {
        let lines = vec![
            Line::new("train", vec![(1.0, 0.5), (2.0, 0.25)]),
            Line {
                name: "test".into(),
                points: vec![(1.0, 0.6), (2.0, -1.0)],
                dashed: true,
            },
        ];
        let spec = Spec {
            lines: &lines,
            x: Axis::fit([1.0, 2.0].into_iter(), false, None).expect("x"),
            y: Axis::fit([0.25, 0.6].into_iter(), true, None).expect("y"),
            x_label: "epoch",
            y_label: "loss",
            reference: None,
        };
        let svg = draw(&spec).expect("drawn");
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        // The negative value cannot be drawn on a log axis: three targets, not four.
        assert_eq!(svg.matches("<title>").count(), 3, "{svg}");
        assert!(svg.contains("<title>train: x = 2, y = 0.250</title>"));
    }
}
