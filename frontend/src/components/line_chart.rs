//! A line chart on the page: `memlab_charts::line` draws it (plotters, SVG, hover values),
//! `chart_figure.rs` shows it with SVG/PNG download.

use leptos::prelude::*;
pub use memlab_charts::line::Line;

use super::chart_figure::ChartFigure;

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
    let drawn =
        memlab_charts::line::chart(&lines, log_x, log_y, &x_label, &y_label, reference.as_ref());
    match drawn {
        None => view! { <p class="muted">{format!("{title}: no data yet")}</p> }.into_any(),
        Some(Ok(svg)) => view! { <ChartFigure title svg id /> }.into_any(),
        Some(Err(message)) => {
            view! { <p class="error">{format!("{title}: cannot draw ({message})")}</p> }.into_any()
        }
    }
}
