//! What a learned symmetry does to each class of the scored test images: how much it changes
//! them, how often Φ keeps its prediction, how often the splitter S flips, how their shape
//! changes (stroke width, slant, closed loops, on digits), and a grid of a few of them (x, L x,
//! |L x − x|). Where the data set has no ground truth (MNIST), this is the
//! evidence of what L found.

use leptos::prelude::*;
use memlab_shared::symmetry::SymmetryReport;

use super::discovery_view::{maybe, percent};

/// The classes L changes most, by RMS change, in one sentence.
fn most_changed(report: &SymmetryReport) -> Option<String> {
    let mut order: Vec<_> = report.by_class.iter().collect();
    order.sort_by(|a, b| b.mean_change.total_cmp(&a.mean_change));
    let named: Vec<String> = order
        .iter()
        .take(3)
        .map(|effect| match effect.shape {
            Some(shape) => format!(
                "{} ({:.4}: {})",
                effect.name,
                effect.mean_change,
                shape.describe()
            ),
            None => format!("{} ({:.4})", effect.name, effect.mean_change),
        })
        .collect();
    let least = order.last()?;
    Some(format!(
        "L changes most: {}. Least: {} ({:.4}).",
        named.join("; "),
        least.name,
        least.mean_change
    ))
}

/// The per-class table of one report (nothing when the report has none).
#[component]
pub fn ClassEffects(mode: &'static str, report: SymmetryReport) -> impl IntoView {
    let summary = most_changed(&report);
    let flips = report.splitter_flip_by_class.clone();
    (!report.by_class.is_empty()).then(|| {
        view! {
            <h4>"By class (test images)"</h4>
            <p class="verdict" id=format!("symmetry-most-changed-{mode}")>{summary}</p>
            <table class="class-effects" id=format!("symmetry-classes-{mode}")>
                <tr>
                    <th>"class"</th><th>"images"</th><th>"RMS change"</th><th>"Φ kept"</th>
                    <th>"S flips"</th><th>"how (means over x → L x)"</th>
                    <th>"x, L x, |L x − x| × 4"</th>
                </tr>
                {report.by_class.into_iter().map(|effect| {
                    let flip = flips.get(effect.class).copied();
                    view! {
                        <tr data-class=effect.class>
                            <td>{effect.name.clone()}</td>
                            <td>{effect.images}</td>
                            <td>{format!("{:.4}", effect.mean_change)}</td>
                            <td>{percent(effect.prediction_kept)}</td>
                            <td>{maybe(flip)}</td>
                            <td class="shape">{effect.shape.map_or_else(
                                || "—".to_owned(),
                                |shape| shape.describe(),
                            )}</td>
                            <td><img class="class-grid" src=effect.grid.png
                                alt=format!("class {}: rows x, L x, |L x − x|", effect.name) /></td>
                        </tr>
                    }
                }).collect_view()}
            </table>
        }
    })
}
