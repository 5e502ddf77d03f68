//! The bound panel's bars: every bound on a log scale, the line at 1 (above it a bound says
//! nothing) and the measured test error (`memlab_charts::bars`), with SVG/PNG download.

use leptos::prelude::*;
use memlab_charts::bars::{Bar, Mark, draw};
use memlab_shared::bounds::BoundPanel;

use super::chart_figure::ChartFigure;

/// The chart.
#[component]
pub fn BoundChart(panel: BoundPanel) -> impl IntoView {
    let bars: Vec<Bar> = panel
        .bounds
        .iter()
        .map(|bound| Bar {
            label: if bound.short_name.is_empty() {
                bound.key.clone()
            } else {
                bound.short_name.clone()
            },
            value: bound.value,
            bad: bound.vacuous,
            name: bound.name.clone(),
            missing: "not applicable to this network".into(),
        })
        .collect();
    let marks = [
        Mark::vacuous_line(),
        Mark::measured(
            panel.test_error,
            format!("test error {:.4}", panel.test_error),
        ),
    ];
    match draw(&bars, &marks, "bound on the test error (log scale)") {
        Ok(svg) => view! {
            <ChartFigure title="Bounds on the test error".to_owned() svg id=Some("bound-chart".to_owned()) />
        }
        .into_any(),
        Err(message) => {
            view! { <p class="error">{format!("the bound chart cannot be drawn: {message}")}</p> }
                .into_any()
        }
    }
}
