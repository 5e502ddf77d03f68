//! A line chart in SVG for any number of named series, with linear or log axes, tick labels,
//! axis titles, a legend, an optional horizontal reference line and hover values.

use leptos::prelude::*;

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
pub const PALETTE: [&str; 8] = [
    "#2f6fde", "#c8553d", "#1e7a3c", "#8e44ad", "#d4a017", "#17a2b8", "#6c757d", "#e83e8c",
];

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 58.0;
const RIGHT: f64 = 150.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

/// One axis: its range and scale.
#[derive(Debug, Clone, Copy)]
struct Axis {
    low: f64,
    high: f64,
    log: bool,
}

impl Axis {
    fn fit(values: impl Iterator<Item = f64>, log: bool, extra: Option<f64>) -> Option<Self> {
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
            Self { low, high, log }
        })
    }

    /// Position of `value` in [0, 1] along the axis.
    fn unit(&self, value: f64) -> f64 {
        let v = if self.log { value.log10() } else { value };
        (v - self.low) / (self.high - self.low)
    }

    fn shows(&self, value: f64) -> bool {
        value.is_finite() && (!self.log || value > 0.0)
    }

    /// Tick values and labels.
    fn ticks(&self) -> Vec<(f64, String)> {
        if self.log {
            (self.low as i32..=self.high as i32)
                .map(|e| (10f64.powi(e), format!("1e{e}")))
                .collect()
        } else {
            (0..=4)
                .map(|i| {
                    let v = self.low + (self.high - self.low) * f64::from(i) / 4.0;
                    (v, short(v))
                })
                .collect()
        }
    }
}

/// A compact number for tick labels.
fn short(value: f64) -> String {
    if value != 0.0 && !(1e-2..1e5).contains(&value.abs()) {
        format!("{value:.1e}")
    } else if value.fract() == 0.0 || value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

/// The chart.
#[component]
pub fn LineChart(
    /// Caption.
    title: String,
    /// Horizontal axis title.
    x_label: String,
    /// Vertical axis title.
    y_label: String,
    /// The series.
    lines: Vec<Line>,
    /// Logarithmic horizontal axis.
    #[prop(optional)]
    log_x: bool,
    /// Logarithmic vertical axis.
    #[prop(optional)]
    log_y: bool,
    /// A horizontal line at this value with this label (e.g. 1: vacuous above).
    #[prop(optional)]
    reference: Option<(f64, String)>,
    /// DOM id of the figure.
    #[prop(optional)]
    id: Option<String>,
) -> impl IntoView {
    let points = || lines.iter().flat_map(|line| line.points.iter().copied());
    let (Some(x), Some(y)) = (
        Axis::fit(points().map(|p| p.0), log_x, None),
        Axis::fit(
            points().map(|p| p.1),
            log_y,
            reference.as_ref().map(|r| r.0),
        ),
    ) else {
        return view! { <p class="muted">{format!("{title}: no data yet")}</p> }.into_any();
    };
    let px = move |v: f64| LEFT + x.unit(v) * (WIDTH - LEFT - RIGHT);
    let py = move |v: f64| HEIGHT - BOTTOM - y.unit(v) * (HEIGHT - TOP - BOTTOM);
    let x_ticks = x
        .ticks()
        .into_iter()
        .map(|(v, label)| {
            view! {
                <line x1=px(v) y1=HEIGHT - BOTTOM x2=px(v) y2=HEIGHT - BOTTOM + 4.0 stroke="#999" />
                <text x=px(v) y=HEIGHT - BOTTOM + 16.0 font-size="10" text-anchor="middle">{label}</text>
            }
        })
        .collect_view();
    let y_ticks = y
        .ticks()
        .into_iter()
        .map(|(v, label)| {
            view! {
                <line x1=LEFT y1=py(v) x2=WIDTH - RIGHT y2=py(v) stroke="#eef0f4" />
                <text x=LEFT - 5.0 y=py(v) + 3.0 font-size="10" text-anchor="end">{label}</text>
            }
        })
        .collect_view();
    let series = lines
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let color = PALETTE[index % PALETTE.len()];
            let shown: Vec<(f64, f64)> = line
                .points
                .iter()
                .copied()
                .filter(|&(a, b)| x.shows(a) && y.shows(b))
                .collect();
            let path: String = shown
                .iter()
                .map(|&(a, b)| format!("{:.1},{:.1} ", px(a), py(b)))
                .collect();
            let legend_y = TOP + 12.0 + 14.0 * index as f64;
            let name = line.name.clone();
            view! {
                <polyline points=path fill="none" stroke=color stroke-width="2"
                    stroke-dasharray=if line.dashed { "6 3" } else { "none" } />
                {shown.iter().map(|&(a, b)| view! {
                    <circle cx=px(a) cy=py(b) r="3.5" fill=color>
                        <title>{format!("{name}: x = {}, y = {}", short(a), short(b))}</title>
                    </circle>
                }).collect_view()}
                <line x1=WIDTH - RIGHT + 10.0 y1=legend_y - 4.0 x2=WIDTH - RIGHT + 26.0 y2=legend_y - 4.0
                    stroke=color stroke-width="2" stroke-dasharray=if line.dashed { "4 2" } else { "none" } />
                <text x=WIDTH - RIGHT + 30.0 y=legend_y font-size="11">{line.name.clone()}</text>
            }
        })
        .collect_view();
    let reference_view = reference.map(|(value, label)| {
        view! {
            <line x1=LEFT y1=py(value) x2=WIDTH - RIGHT y2=py(value) stroke="#1d2330" stroke-width="1.5" />
            <text x=LEFT + 4.0 y=py(value) - 4.0 font-size="10">{label}</text>
        }
    });
    view! {
        <figure id=id>
            <figcaption>{title}</figcaption>
            <svg class="plot" viewBox=format!("0 0 {WIDTH} {HEIGHT}")>
                {y_ticks}
                <line x1=LEFT y1=HEIGHT - BOTTOM x2=WIDTH - RIGHT y2=HEIGHT - BOTTOM stroke="#999" />
                <line x1=LEFT y1=TOP x2=LEFT y2=HEIGHT - BOTTOM stroke="#999" />
                {x_ticks}
                {reference_view}
                {series}
                <text x=(LEFT + WIDTH - RIGHT) / 2.0 y=HEIGHT - 6.0 font-size="11" text-anchor="middle">{x_label}</text>
                <text x=12.0 y=(TOP + HEIGHT - BOTTOM) / 2.0 font-size="11" text-anchor="middle"
                    transform=format!("rotate(-90 12 {})", (TOP + HEIGHT - BOTTOM) / 2.0)>{y_label}</text>
            </svg>
        </figure>
    }
    .into_any()
}
