//! Bar charts of values spanning decades (bounds): horizontal bars on a log axis, each named
//! on its left with its value at its end, vertical marks across them (a threshold, a
//! measurement), a hover value on each bar.

use plotters::prelude::*;

const WIDTH: u32 = 760;
const ROW: u32 = 30;
/// Room for the bounds' names, left of the bars.
const NAMES: u32 = 190;
const FONT: &str = "sans-serif";
const INK: RGBColor = RGBColor(0x1d, 0x23, 0x30);
const GOOD: RGBColor = RGBColor(0x1e, 0x7a, 0x3c);
const BAD: RGBColor = RGBColor(0xc8, 0x55, 0x3d);
const TEST: RGBColor = RGBColor(0x2f, 0x6f, 0xde);
const MISSING: RGBColor = RGBColor(0x8a, 0x90, 0xa0);

/// One bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Name left of the bar.
    pub label: String,
    /// Its length; `None` (or not positive and finite) draws `missing` instead.
    pub value: Option<f64>,
    /// Drawn red (e.g. a vacuous bound) instead of green.
    pub bad: bool,
    /// Hover text (the value is appended).
    pub name: String,
    /// What the row says when there is no value.
    pub missing: String,
}

/// A vertical line across the bars.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// Where (a value on the axis).
    pub value: f64,
    /// Its label, above the bars.
    pub label: String,
    /// Dashed and blue (a measurement), else solid and dark (a threshold).
    pub measured: bool,
}

impl Mark {
    /// The line at 1 of a bound chart: a bound above it says nothing (a threshold).
    pub fn vacuous_line() -> Self {
        Self {
            value: 1.0,
            label: "1 (vacuous above)".into(),
            measured: false,
        }
    }

    /// A measured value, drawn dashed.
    pub fn measured(value: f64, label: impl Into<String>) -> Self {
        Self {
            value,
            label: label.into(),
            measured: true,
        }
    }
}

/// Decades covered by the axis: from below the smallest to above the largest value or mark
/// (at least one decade; values below 1e-4 count as 1e-4).
pub fn decades(bars: &[Bar], marks: &[Mark]) -> (i32, i32) {
    let values = bars
        .iter()
        .filter_map(|bar| bar.value)
        .chain(marks.iter().map(|mark| mark.value))
        .filter(|value| value.is_finite() && *value > 0.0)
        .map(|value| value.max(1e-4));
    let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let low = low.log10().floor() as i32;
    let high = (high.log10().ceil() as i32).max(low + 1);
    (low, high)
}

/// Horizontal bars on a log axis titled `axis`, with `marks`; answers the SVG with a hover
/// value at the end of each bar.
pub fn draw(bars: &[Bar], marks: &[Mark], axis: &str) -> Result<String, String> {
    let (low, high) = decades(bars, marks);
    let (low, high) = (f64::from(low), f64::from(high));
    let rows = bars.len().max(1);
    let height = 70 + ROW * rows as u32;
    // Row i (from the top) is centred at y = rows − i − 0.5.
    let centre = |index: usize| rows as f64 - index as f64 - 0.5;
    let mut svg = String::new();
    let mut targets = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|error| error.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .margin_top(26)
            .margin_right(90)
            .margin_left(8)
            .margin_bottom(6)
            .x_label_area_size(40)
            .y_label_area_size(NAMES)
            .build_cartesian_2d(low..high, 0.0..rows as f64)
            .map_err(|error| error.to_string())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels((high - low) as usize + 1)
            .x_label_formatter(&|value| format!("1e{}", value.round()))
            .x_desc(axis)
            .label_style((FONT, 11))
            .axis_desc_style((FONT, 12))
            // Minor lines would be linear in the exponent, not at 2×, 3×, …: none.
            .max_light_lines(0)
            .bold_line_style(RGBColor(0xe3, 0xe6, 0xee))
            .axis_style(RGBColor(0x99, 0x99, 0x99))
            .draw()
            .map_err(|error| error.to_string())?;
        let text = |color: RGBColor, size: u32| (FONT, size).into_font().color(&color);
        for (index, bar) in bars.iter().enumerate() {
            let y = centre(index);
            let (name_x, name_y) = chart.backend_coord(&(low, y));
            let shown = bar.value.filter(|value| value.is_finite() && *value > 0.0);
            let name_color = if shown.is_some() { INK } else { MISSING };
            let style = text(name_color, 12).pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Right,
                plotters::style::text_anchor::VPos::Center,
            ));
            root.draw(&Text::new(bar.label.clone(), (name_x - 8, name_y), style))
                .map_err(|error| error.to_string())?;
            match shown {
                Some(value) => {
                    let end = value.log10().clamp(low, high);
                    let color = if bar.bad { BAD } else { GOOD };
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(low, y - 0.33), (end, y + 0.33)],
                            color.filled(),
                        )))
                        .map_err(|error| error.to_string())?;
                    let (end_x, end_y) = chart.backend_coord(&(end, y));
                    root.draw(&Text::new(
                        format!("{value:.3e}"),
                        (end_x + 4, end_y - 6),
                        text(INK, 11),
                    ))
                    .map_err(|error| error.to_string())?;
                    targets.push((end_x, end_y, format!("{}: {value:.4e}", bar.name)));
                }
                None => {
                    let (x, y) = chart.backend_coord(&(low, y));
                    let reason = if bar.value.is_some() {
                        "not finite".to_owned()
                    } else {
                        bar.missing.clone()
                    };
                    root.draw(&Text::new(reason, (x + 4, y - 6), text(MISSING, 11)))
                        .map_err(|error| error.to_string())?;
                }
            }
        }
        for mark in marks {
            let x = mark.value.max(10f64.powf(low)).log10().min(high);
            let (color, dashed, label) = if mark.measured {
                (TEST, true, mark.label.clone())
            } else {
                (INK, false, mark.label.clone())
            };
            let style = color.stroke_width(2);
            let line = vec![(x, 0.0), (x, rows as f64)];
            if dashed {
                chart
                    .draw_series(DashedLineSeries::new(line, 5, 3, style))
                    .map_err(|error| error.to_string())?;
            } else {
                chart
                    .draw_series(LineSeries::new(line, style))
                    .map_err(|error| error.to_string())?;
            }
            let (top_x, top_y) = chart.backend_coord(&(x, rows as f64));
            let anchor = if dashed {
                plotters::style::text_anchor::HPos::Right
            } else {
                plotters::style::text_anchor::HPos::Left
            };
            let style = text(color, 11).pos(plotters::style::text_anchor::Pos::new(
                anchor,
                plotters::style::text_anchor::VPos::Bottom,
            ));
            let shift = if dashed { -3 } else { 3 };
            root.draw(&Text::new(label, (top_x + shift, top_y - 4), style))
                .map_err(|error| error.to_string())?;
        }
        root.present().map_err(|error| error.to_string())?;
    }
    Ok(crate::svg::finish(&svg, &targets))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: Option<f64>) -> Bar {
        Bar {
            label: label.into(),
            value,
            bad: value.is_some_and(|v| v > 1.0),
            name: format!("the {label} bound"),
            missing: "not applicable".into(),
        }
    }

    #[test]
    fn decades_span_every_value_and_mark() {
        let bars = [bar("a", Some(0.02)), bar("b", Some(350.0)), bar("c", None)];
        let marks = [Mark {
            value: 1.0,
            label: "1".into(),
            measured: false,
        }];
        assert_eq!(decades(&bars, &marks), (-2, 3));
        // Tiny values are shown from 1e-4; a single value still gets one decade.
        assert_eq!(decades(&[bar("t", Some(1e-9))], &[]), (-4, -3));
    }

    #[test]
    fn each_value_is_a_bar_with_its_hover_value() {
        let bars = [
            bar("vc", Some(12.5)),
            bar("pac", Some(0.3)),
            bar("nn", None),
        ];
        let marks = [Mark::vacuous_line(), Mark::measured(0.012, "test error")];
        let svg = draw(&bars, &marks, "bound (log scale)").expect("drawn");
        assert!(
            svg.contains("<title>the vc bound: 1.2500e1</title>"),
            "{svg}"
        );
        assert!(svg.contains("<title>the pac bound: 3.0000e-1</title>"));
        assert_eq!(svg.matches("<title>").count(), 2);
        assert!(svg.contains("not applicable"));
        assert!(svg.contains("1.250e1") && svg.contains("test error"));
    }
}
