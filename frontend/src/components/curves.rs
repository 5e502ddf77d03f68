//! Per-epoch curves as an SVG line plot.

use leptos::prelude::*;

/// One named series of `(epoch, value)` points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: &'static str,
    /// Stroke colour.
    pub color: &'static str,
    /// Points, x = epoch.
    pub points: Vec<(f64, f64)>,
}

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 240.0;
const MARGIN: f64 = 40.0;

/// Plots the series on shared axes with the y range fitted to the data.
#[component]
pub fn Curves(title: &'static str, series: Vec<Series>) -> impl IntoView {
    let all: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .collect();
    if all.is_empty() {
        return view! { <p class="muted">{format!("{title}: no epochs finished yet")}</p> }
            .into_any();
    }
    let (x_min, x_max) = bounds(all.iter().map(|p| p.0));
    let (y_min, y_max) = bounds(all.iter().map(|p| p.1));
    let x_of = move |x: f64| MARGIN + (x - x_min) / (x_max - x_min) * (WIDTH - 2.0 * MARGIN);
    let y_of =
        move |y: f64| HEIGHT - MARGIN + -(y - y_min) / (y_max - y_min) * (HEIGHT - 2.0 * MARGIN);
    let lines = series
        .into_iter()
        .enumerate()
        .map(|(index, s)| {
            let points: String = s.points.iter().map(|(x, y)| format!("{:.1},{:.1} ", x_of(*x), y_of(*y))).collect();
            let legend_y = 14.0 + 14.0 * index as f64;
            view! {
                <polyline points=points fill="none" stroke=s.color stroke-width="2" />
                {s.points.iter().map(|(x, y)| view! { <circle cx=x_of(*x) cy=y_of(*y) r="3" fill=s.color /> }).collect_view()}
                <text x=WIDTH - 150.0 y=legend_y fill=s.color font-size="12">{s.name}</text>
            }
        })
        .collect_view();
    view! {
        <figure>
            <figcaption>{title}</figcaption>
            <svg class="plot" viewBox=format!("0 0 {WIDTH} {HEIGHT}")>
                <line x1=MARGIN y1=HEIGHT - MARGIN x2=WIDTH - MARGIN y2=HEIGHT - MARGIN stroke="#999" />
                <line x1=MARGIN y1=MARGIN x2=MARGIN y2=HEIGHT - MARGIN stroke="#999" />
                <text x=2 y=MARGIN + 4.0 font-size="11">{format!("{y_max:.3}")}</text>
                <text x=2 y=HEIGHT - MARGIN font-size="11">{format!("{y_min:.3}")}</text>
                <text x=WIDTH / 2.0 y=HEIGHT - 8.0 font-size="11">"epoch"</text>
                {lines}
            </svg>
        </figure>
    }
    .into_any()
}

/// Min and max, widened when they coincide so the scale never divides by zero.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (min, max) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if (max - min).abs() < 1e-12 {
        (min - 0.5, max + 0.5)
    } else {
        (min, max)
    }
}
