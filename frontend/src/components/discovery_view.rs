//! Stage A of a learned symmetry's discovery as the report stores it: how the training images
//! were grouped, how well clustering and each self-training round of the splitter S agree with
//! the ground truth where there is one (scored only), and how often S's decision flips under L;
//! plus the basin test's checkpoints when a diagnosis asked for them.

use leptos::prelude::*;
use memlab_shared::symmetry::SymmetryReport;

/// A fraction as a percentage with one decimal ("12.5 %").
pub(super) fn percent(value: f64) -> String {
    format!("{:.1} %", value * 100.0)
}

/// [`percent`], or "–" when there is no value.
pub(super) fn maybe(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), percent)
}

/// The discovery table and the basin line of one report.
#[component]
pub fn DiscoveryView(mode: &'static str, report: SymmetryReport) -> impl IntoView {
    let toggle = report.ground_truth.as_ref().map(|t| t.toggle_rate);
    let flip = report.splitter_flip_rate;
    let by_class: Vec<String> = report
        .splitter_flip_by_class
        .iter()
        .enumerate()
        .map(|(class, rate)| format!("{class}: {}", percent(*rate)))
        .collect();
    let by_class = (!by_class.is_empty()).then(|| {
        format!(
            "S flips, by class of the test image: {}.",
            by_class.join(", ")
        )
    });
    let basin = report.basin.clone().map(|basin| {
        let points: Vec<String> = basin
            .checkpoints
            .iter()
            .map(|(step, rate)| format!("step {step}: {}", percent(*rate)))
            .collect();
        format!(
            "Basin test (a diagnosis: L was first fitted to the oracle pairs (x, L* x) for {} steps, \
             so this L was not learned on its own). Glasses toggled on {} test faces: {}.",
            basin.regression_steps,
            basin.n,
            points.join(", ")
        )
    });
    let discovery = report.discovery.map(|discovery| {
        let gap = match (flip, toggle) {
            (Some(flip), Some(toggle)) => format!(
                "S flips its decision on {} of test images, the glasses oracle sees {} toggled \
                 (gap {:.1} points{}).",
                percent(flip),
                percent(toggle),
                (flip - toggle).abs() * 100.0,
                if flip - toggle > 0.05 { ": L fools S" } else { "" }
            ),
            (Some(flip), None) => format!("S flips its decision on {} of test images.", percent(flip)),
            _ => String::new(),
        };
        view! {
            <h4>"Discovery (stage A: the splitter S, trained without attribute labels)"</h4>
            <p class="muted">{format!(
                "{} groups by {}; 2-means per group on light-normalized, blurred images, polarities \
                 aligned across groups; clustering agrees with the ground truth on {} of training images.",
                discovery.groups, discovery.grouping, maybe(discovery.cluster_agreement)
            )}</p>
            <table id=format!("symmetry-discovery-{mode}")>
                <tr>
                    <th>"round"</th><th>"relabelled"</th><th>"S vs truth (test)"</th>
                    <th>"worst class"</th><th>"nuisance consistency"</th><th>"a = 1 per group"</th>
                </tr>
                {discovery.rounds.into_iter().map(|round| view! {
                    <tr>
                        <td>{round.round}</td>
                        <td>{percent(round.relabelled)}</td>
                        <td>{maybe(round.test_agreement)}</td>
                        <td>{maybe(round.worst_group_agreement)}</td>
                        <td>{percent(round.augmentation_consistency)}</td>
                        <td>{format!("{}–{}", percent(round.balance_low), percent(round.balance_high))}</td>
                    </tr>
                }).collect_view()}
            </table>
            <p class="verdict" id=format!("symmetry-splitter-{mode}")>{gap}</p>
            {by_class.map(|text| view! { <p class="muted" id=format!("symmetry-by-class-{mode}")>{text}</p> })}
        }
    });
    view! {
        {discovery}
        {basin.map(|text| view! { <p class="verdict" id=format!("symmetry-basin-{mode}")>{text}</p> })}
    }
}
