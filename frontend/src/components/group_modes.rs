//! The two modes congealing found in each group: the two sides' aligned means and their
//! difference, how many images fall on each side, the share of the aligned spread the split
//! explains and, on digits, how the two means' shapes differ. Without a ground truth (MNIST)
//! this is what the discovery split each class on.

use leptos::prelude::*;
use memlab_shared::symmetry::GroupModes;

use super::discovery_view::percent;

/// The table of one report's modes (nothing when there are none).
#[component]
pub fn GroupModesView(mode: &'static str, modes: Vec<GroupModes>) -> impl IntoView {
    (!modes.is_empty()).then(|| {
        view! {
            <h4>"The two modes of each class (congealing)"</h4>
            <p class="muted">
                "Each class's training images aligned by shift, tilt and light, split in two by \
                 2-means; side 1 is the same factor in every class (one polarity). Pictures: \
                 side 0's mean, side 1's mean, |difference| × 2, on a grid twice as fine as the \
                 images'."
            </p>
            <table class="group-modes" id=format!("symmetry-modes-{mode}")>
                <tr>
                    <th>"class"</th><th>"images"</th><th>"on side 1"</th>
                    <th>"aligned share"</th><th>"side 0 → side 1"</th>
                    <th>"means: side 0, side 1, |difference| × 2"</th>
                </tr>
                {modes.into_iter().map(|found| view! {
                    <tr data-group=found.group>
                        <td>{found.name.clone()}</td>
                        <td>{found.images}</td>
                        <td>{percent(found.side_one)}</td>
                        <td>{format!("{:.3}", found.explained)}</td>
                        <td class="shape">{found.shape.map_or_else(
                            || "—".to_owned(),
                            |shape| shape.describe(),
                        )}</td>
                        <td><img class="modes-grid" src=found.png
                            alt=format!("class {}: the two modes' means and their difference", found.name) /></td>
                    </tr>
                }).collect_view()}
            </table>
        }
    })
}
