//! The bounds as horizontal bars on a log scale, with the line at 1 (above it a bound says
//! nothing) and the measured test error marked.

use leptos::prelude::*;
use memlab_shared::bounds::BoundPanel;

const WIDTH: f64 = 720.0;
const ROW: f64 = 30.0;
const LEFT: f64 = 190.0;
const RIGHT: f64 = 90.0;
const TOP: f64 = 26.0;

/// Decades covered by the axis: from below the test error to above the largest bound.
fn decades(panel: &BoundPanel) -> (i32, i32) {
    let values = panel
        .bounds
        .iter()
        .filter_map(|bound| bound.value)
        .chain([panel.test_error.max(1e-4), 1.0]);
    let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let low = low.log10().floor() as i32;
    let high = (high.log10().ceil() as i32).max(low + 1);
    (low, high)
}

/// The chart.
#[component]
pub fn BoundChart(panel: BoundPanel) -> impl IntoView {
    let (low, high) = decades(&panel);
    let span = f64::from(high - low);
    let x_of = move |value: f64| {
        let decade = value.max(10f64.powi(low)).log10() - f64::from(low);
        LEFT + decade / span * (WIDTH - LEFT - RIGHT)
    };
    let height = TOP + ROW * panel.bounds.len() as f64 + 30.0;
    let bottom = height - 30.0;
    let ticks = (low..=high)
        .map(|exponent| {
            let x = x_of(10f64.powi(exponent));
            view! {
                <line x1=x y1=TOP - 6.0 x2=x y2=bottom stroke="#e3e6ee" />
                <text x=x y=bottom + 16.0 font-size="11" text-anchor="middle">{format!("1e{exponent}")}</text>
            }
        })
        .collect_view();
    let bars = panel
        .bounds
        .iter()
        .enumerate()
        .map(|(index, bound)| {
            let y = TOP + ROW * index as f64;
            let label = if bound.short_name.is_empty() { bound.key.clone() } else { bound.short_name.clone() };
            match bound.value {
                Some(value) => {
                    let color = if bound.vacuous { "#c8553d" } else { "#1e7a3c" };
                    view! {
                        <text x=LEFT - 8.0 y=y + 17.0 font-size="12" text-anchor="end">{label}</text>
                        <rect x=LEFT y=y + 5.0 width=(x_of(value) - LEFT).max(1.0) height=ROW - 10.0 fill=color>
                            <title>{format!("{}: {value:.4e}", bound.name)}</title>
                        </rect>
                        <text x=x_of(value) + 4.0 y=y + 17.0 font-size="11">{format!("{value:.3e}")}</text>
                    }
                    .into_any()
                }
                None => view! {
                    <text x=LEFT - 8.0 y=y + 17.0 font-size="12" text-anchor="end" fill="#8a90a0">{label}</text>
                    <text x=LEFT + 4.0 y=y + 17.0 font-size="11" fill="#8a90a0">"not applicable to this network"</text>
                }
                .into_any(),
            }
        })
        .collect_view();
    let one = x_of(1.0);
    let test = x_of(panel.test_error.max(10f64.powi(low)));
    view! {
        <svg class="plot" id="bound-chart" viewBox=format!("0 0 {WIDTH} {height}")>
            {ticks}
            {bars}
            <line x1=one y1=TOP - 10.0 x2=one y2=bottom stroke="#1d2330" stroke-width="2" />
            <text x=one + 3.0 y=TOP - 12.0 font-size="11">"1 (vacuous above)"</text>
            <line x1=test y1=TOP - 10.0 x2=test y2=bottom stroke="#2f6fde" stroke-width="2" stroke-dasharray="5 3" />
            <text x=test - 3.0 y=TOP - 12.0 font-size="11" fill="#2f6fde" text-anchor="end">{format!("test error {:.4}", panel.test_error)}</text>
            <text x=(LEFT + WIDTH - RIGHT) / 2.0 y=height - 2.0 font-size="11" text-anchor="middle">"bound on the test error (log scale)"</text>
        </svg>
    }
}
