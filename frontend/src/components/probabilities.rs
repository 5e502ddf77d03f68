//! Class probabilities as sorted bars.

use leptos::prelude::*;

/// The `top` most probable classes, largest first, with their probabilities.
#[component]
pub fn Probabilities(
    probabilities: Vec<f32>,
    class_names: Vec<String>,
    top: usize,
) -> impl IntoView {
    let mut order: Vec<usize> = (0..probabilities.len()).collect();
    order.sort_by(|a, b| probabilities[*b].total_cmp(&probabilities[*a]));
    order
        .into_iter()
        .take(top)
        .enumerate()
        .map(|(rank, class)| {
            let probability = probabilities[class];
            let name = class_names.get(class).cloned().unwrap_or_else(|| class.to_string());
            view! {
                <div class=if rank == 0 { "prob-row top" } else { "prob-row" } data-class=class.to_string()>
                    <span>{name}</span>
                    <div class="bar"><div style=format!("width: {:.1}%", probability * 100.0)></div></div>
                    <span>{format!("{:.2} %", probability * 100.0)}</span>
                </div>
            }
        })
        .collect_view()
}
