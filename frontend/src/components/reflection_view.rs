//! The latent-reflection search as the report stores it: the autoencoder, each candidate edit
//! (a reflection of its codes, or congealing's template edit: bimodality, the aligned share it
//! is ranked by, what it keeps, how often the splitter flips, and, scored only, the oracles'
//! toggle and identity rates), the one chosen and how closely L_θ learned it.

use leptos::prelude::*;
use memlab_shared::symmetry::ReflectionReport;

use super::discovery_view::{maybe, percent};

/// The candidates table of one report's search.
#[component]
pub fn ReflectionView(mode: &'static str, reflection: ReflectionReport) -> impl IntoView {
    let chosen = reflection.chosen;
    view! {
        <h4>"Latent reflection (where L started)"</h4>
        <p class="muted">{format!(
            "An autoencoder of {} training images (codes of {}, test reconstruction RMS {:.4}). Each \
             candidate direction n reflects a code across ⟨n, z⟩ = b_g (b_g: the midpoint of the two \
             modes in group g) and edits x + Dec(T z) − Dec(z); congealing aligns each group's images \
             by pose and light, splits them in two and moves an image by the other side's mean, in \
             its own pose and light. Chosen: {} ({}). Distilled into L_θ by \
             {} regression steps ({}; RMS from the chosen edit on test images {:.4}), then refined \
             by the game.",
            reflection.images,
            reflection.latent,
            reflection.reconstruction_rms,
            chosen + 1,
            reflection.rule,
            reflection.distill_steps,
            reflection.distillation(),
            reflection.distill_rms
        )}{reflection.edit_truth_rms.map(|edit| format!(
            " The chosen edit's own RMS from L* x on those images (scored only): {edit:.4}."
        ))}</p>
        <table id=format!("symmetry-reflection-{mode}")>
            <tr>
                <th>""</th><th>"direction"</th><th>"bimodality"</th>
                <th title="share of the spread of the images, aligned in their groups by pose and light, that its two sides explain (candidates are ranked by it)">"aligned share"</th>
                <th>"kept"</th><th>"RMS change"</th>
                <th>"S flips"</th><th>"toggled (oracle)"</th><th>"on → off, off → on"</th>
                <th>"identity kept (oracle)"</th>
            </tr>
            {reflection.candidates.into_iter().enumerate().map(|(k, candidate)| view! {
                <tr class=if k == chosen { "chosen" } else { "" }>
                    <td>{if k == chosen { format!("{} ✓", k + 1) } else { (k + 1).to_string() }}</td>
                    <td>{candidate.name}</td>
                    <td>{format!("{:.3}", candidate.bimodality)}</td>
                    <td>{candidate.aligned_share.map_or("–".to_owned(), |v| format!("{v:.3}"))}</td>
                    <td>{percent(candidate.kept)}</td>
                    <td>{format!("{:.4}", candidate.mean_change)}</td>
                    <td>{maybe(candidate.splitter_flip_rate)}</td>
                    <td>{maybe(candidate.toggle_rate)}</td>
                    <td>{format!("{}, {}", maybe(candidate.on_to_off), maybe(candidate.off_to_on))}</td>
                    <td>{maybe(candidate.identity_kept)}</td>
                </tr>
            }).collect_view()}
        </table>
    }
}
