//! Learned symmetries of a finished experiment: train L_θ in either mode (keep Φ's features,
//! or keep the true label) on the server, watch its losses and sample grids as it trains, and
//! read its scores (against the true symmetry on Glasses). Numbers are the stored report's.

use leptos::prelude::*;

use super::{ClassEffects, DiscoveryView, GroupModesView, Permalink, ReflectionView};
use leptos::task::spawn_local;
use memlab_shared::api::JobStatus;
use memlab_shared::symmetry::{
    Objective, ReferenceScore, SymmetryJob, SymmetryMode, SymmetryReport, SymmetryRequest,
    SymmetrySearch, rivals_of_truth,
};

use super::analysis_job::{JobState, Polled, writable};
use super::discovery_view::percent;
use super::line_chart::{Line, LineChart};
use crate::api;

/// The section on the experiment page.
#[component]
pub fn SymmetrySection(id: i64) -> impl IntoView {
    let writable = writable();
    let mode = RwSignal::new("from_phi".to_owned());
    let steps = RwSignal::new("1500".to_owned());
    let involution = RwSignal::new("1".to_owned());
    let min_change = RwSignal::new("0.05".to_owned());
    let change_fraction = RwSignal::new("1".to_owned());
    let flip = RwSignal::new("1".to_owned());
    let rounds = RwSignal::new("3".to_owned());
    let search = RwSignal::new("reflection".to_owned());
    let message = RwSignal::new(None::<String>);
    let polls = SymmetryMode::ALL.map(|mode| {
        (
            mode,
            Polled::<SymmetryRequest, SymmetryReport>::new(format!(
                "/api/experiments/{id}/symmetry/{}",
                mode.as_str()
            )),
        )
    });
    let start = move |_| {
        message.set(None);
        let number = |text: String, name: &str| {
            text.trim()
                .parse::<f64>()
                .map_err(|_| format!("{name} must be a number"))
        };
        let request = (|| -> Result<SymmetryRequest, String> {
            Ok(SymmetryRequest {
                steps: Some(
                    steps
                        .get_untracked()
                        .trim()
                        .parse()
                        .map_err(|_| "steps must be a whole number".to_owned())?,
                ),
                involution_weight: Some(number(involution.get_untracked(), "λ_inv")?),
                min_change: Some(number(min_change.get_untracked(), "τ")?),
                change_fraction: Some(number(change_fraction.get_untracked(), "q")?),
                flip_weight: Some(number(flip.get_untracked(), "λ_flip")?),
                splitter_rounds: Some(
                    rounds
                        .get_untracked()
                        .trim()
                        .parse()
                        .map_err(|_| "splitter rounds must be a whole number".to_owned())?,
                ),
                search: SymmetrySearch::ALL
                    .into_iter()
                    .find(|s| s.as_str() == search.get_untracked()),
                ..Default::default()
            })
        })();
        let request = match request {
            Ok(request) => request,
            Err(text) => return message.set(Some(text)),
        };
        let chosen = mode.get_untracked();
        let poll = polls
            .iter()
            .find(|(m, _)| m.as_str() == chosen)
            .map(|(_, poll)| *poll);
        spawn_local(async move {
            let url = format!("/api/experiments/{id}/symmetry/{chosen}");
            match api::post_json::<_, SymmetryJob>(&url, &request).await {
                Ok(_) => {
                    if let Some(poll) = poll {
                        poll.refresh();
                    }
                }
                Err(error) => message.set(Some(error)),
            }
        });
    };
    view! {
        <div class="card" id="symmetry">
            <h3>"Learned symmetry L_θ" " " <Permalink anchor="symmetry" /></h3>
            <p class="muted">
                "A network L learns to move images while a discriminator checks they still look real, \
                 L moves each image by at least τ (RMS, pixels in [0, 1], after 2×2 averaging, over the \
                 fraction q of those averaged pixels that change most: q = 1 the whole image, a small q \
                 a strong local edit), and either the model's \
                 penultimate features (from Φ) or its classification of the true label (from f) stay \
                 the same. With λ_flip > 0, a splitter S is first found without attribute labels \
                 (clusters within each class, then self-trained on nuisance-moved copies) and L is also \
                 asked to flip S's decision. With the latent-reflection start, L first learns the best \
                 reflection of an autoencoder's codes across a boundary found within each class (no \
                 attribute labels), then the game refines it. On Glasses, oracles trained on the generator's ground truth say whether L \
                 toggled the glasses and kept the identity."
            </p>
            {move || writable().then(|| view! {
                <div class="inline-form">
                    <label for="symmetry-mode">"keep"</label>
                    <select id="symmetry-mode" on:change=move |event| mode.set(event_target_value(&event))>
                        <option value="from_phi">"Φ's features (from Φ)"</option>
                        <option value="from_labels">"the true label (from f)"</option>
                    </select>
                    <label for="symmetry-steps">"steps"</label>
                    <input id="symmetry-steps" type="text" size="6" prop:value=move || steps.get()
                        on:input=move |event| steps.set(event_target_value(&event)) />
                    <label for="symmetry-tau">"τ"</label>
                    <input id="symmetry-tau" type="text" size="5" prop:value=move || min_change.get()
                        on:input=move |event| min_change.set(event_target_value(&event)) />
                    <label for="symmetry-fraction" title="the fraction of pixels, those that change most, over which τ is measured (1: the whole image)">"over q"</label>
                    <input id="symmetry-fraction" type="text" size="5" prop:value=move || change_fraction.get()
                        on:input=move |event| change_fraction.set(event_target_value(&event)) />
                    <label for="symmetry-involution">"λ_inv (L∘L = id)"</label>
                    <input id="symmetry-involution" type="text" size="4" prop:value=move || involution.get()
                        on:input=move |event| involution.set(event_target_value(&event)) />
                    <label for="symmetry-flip" title="weight of the flip term BCE(S(L x), 1 − S(x)) through the splitter S found without attribute labels (0: no discovery)">"λ_flip"</label>
                    <input id="symmetry-flip" type="text" size="4" prop:value=move || flip.get()
                        on:input=move |event| flip.set(event_target_value(&event)) />
                    <label for="symmetry-rounds" title="self-training rounds of the splitter S (stage A)">"S rounds"</label>
                    <input id="symmetry-rounds" type="text" size="3" prop:value=move || rounds.get()
                        on:input=move |event| rounds.set(event_target_value(&event)) />
                    <label for="symmetry-search" title="where L starts: the identity, or the best reflection of an autoencoder's codes found within the classes without attribute labels (distilled into L, then refined by the game)">"start"</label>
                    <select id="symmetry-search" on:change=move |event| search.set(event_target_value(&event))>
                        <option value="reflection">"latent reflection"</option>
                        <option value="game">"identity (game only)"</option>
                    </select>
                    <button id="learn-symmetry" on:click=start>"Learn L"</button>
                </div>
            })}
            {move || message.get().map(|text| view! { <p class="error">{text}</p> })}
            // One mode under the other: each objective table has a column per transform.
            <div class="plots stacked">
                {polls.into_iter().map(|(mode, poll)| view! {
                    <div class="card" id=format!("symmetry-{}", mode.as_str())>
                        <h4>{mode.label()}</h4>
                        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                            {move || poll.job.get().map(|result| match result {
                                Ok(job) => view! { <SymmetryJobView job /> }.into_any(),
                                Err(_) => view! { <p class="muted">"Not learned yet."</p> }.into_any(),
                            })}
                        </Transition>
                    </div>
                }).collect_view()}
            </div>
        </div>
    }
}

#[component]
fn SymmetryJobView(job: SymmetryJob) -> impl IntoView {
    let id = job.experiment_id;
    let running = matches!(job.status, JobStatus::Queued | JobStatus::Running);
    let state = (job.status != JobStatus::Done).then(|| {
        view! {
            <JobState prefix="symmetry" status=job.status progress=job.progress
                stage=job.stage.clone() error=job.error.clone() />
        }
    });
    let report = job
        .result
        .map(|report| view! { <ReportView id report running /> });
    view! { {state} {report} }
}

#[component]
fn ReportView(id: i64, report: SymmetryReport, running: bool) -> impl IntoView {
    let mode = report.mode.as_str();
    let history = &report.history;
    let series = |name: &str, value: fn(&memlab_shared::symmetry::SymmetryStep) -> f64| {
        Line::new(
            name,
            history.iter().map(|s| (s.step as f64, value(s))).collect(),
        )
    };
    let lines = vec![
        series("keep term", |s| s.keep),
        series("adversarial", |s| s.adversarial),
        series("D accuracy", |s| s.discriminator_accuracy),
        series("RMS change", |s| s.mean_change),
        series("involution", |s| s.involution),
        series("mean mask", |s| s.sparsity),
        series("flip (through S)", |s| s.flip),
    ];
    let latest = report.samples.last().cloned();
    let truth = report.ground_truth.clone();
    view! {
        <LineChart title="Training".into() x_label="generator steps".into() y_label="loss / accuracy".into()
            lines id=format!("symmetry-chart-{mode}") />
        {latest.map(|grid| view! {
            <figure>
                <img class="sample-grid" id=format!("symmetry-grid-{mode}") src=grid.png
                    alt="rows: x, L x, |L x − x| × 4" />
                <figcaption class="muted">{format!("step {}: rows x, L x and |L x − x| × 4", grid.step)}</figcaption>
            </figure>
        })}
        {(!running).then(|| view! {
            <table id=format!("symmetry-scores-{mode}")>
                <tr><td>"test images"</td><td>{report.n_test}</td></tr>
                <tr><td>"Φ's prediction kept"</td><td class="kept">{percent(report.prediction_kept)}</td></tr>
                <tr><td>"accuracy on L x"</td><td>{percent(report.accuracy_on_transformed)}</td></tr>
                <tr><td>"RMS change of L x"</td><td>{format!("{:.4}", report.mean_change)}</td></tr>
                <tr><td>"discriminator accuracy (0.5: fooled)"</td><td>{percent(report.discriminator_accuracy)}</td></tr>
                <tr><td>"Fréchet distance"</td><td>{format!("{:.3}", report.frechet_distance)}</td></tr>
                {truth.map(|t| view! {
                    <tr><td>"glasses toggled"</td><td class="toggle-rate">{percent(t.toggle_rate)}</td></tr>
                    <tr><td>"on → off, off → on"</td><td class="toggle-split">{format!(
                        "{}, {}", percent(t.toggle_on_to_off), percent(t.toggle_off_to_on)
                    )}</td></tr>
                    <tr><td>"identity kept (oracle)"</td><td class="identity-kept">{percent(t.identity_kept)}</td></tr>
                    <tr><td>"RMS to L* x (L* moves)"</td><td>{format!("{:.4} ({:.4})", t.distance_to_truth, t.truth_change)}</td></tr>
                    <tr><td>"L* itself: Φ's prediction kept, keep-term cost"</td><td>{format!(
                        "{}, {:.4}", percent(t.truth_prediction_kept), t.truth_keep
                    )}</td></tr>
                    <tr><td>"L* x the discriminator calls real"</td><td>{percent(t.truth_judged_real)}</td></tr>
                    <tr><td>"Fréchet distance of L* x (L x's above)"</td><td>{t.truth_frechet_distance.map_or("–".to_owned(), |d| format!("{d:.3}"))}</td></tr>
                    <tr><td>"oracles: glasses, identity, L* toggled"</td><td>{format!(
                        "{}, {}, {}", percent(t.glasses_oracle_accuracy), percent(t.identity_oracle_accuracy), percent(t.truth_toggle_rate)
                    )}</td></tr>
                })}
            </table>
            <DiscoveryView mode report=report.clone() />
            <ClassEffects mode report=report.clone() />
            {report.reflection.clone().map(|reflection| view! { <ReflectionView mode reflection /> })}
            {report.reflection.as_ref().map(|reflection| {
                let modes = reflection.modes.clone();
                view! { <GroupModesView mode modes /> }
            })}
            <ObjectiveTable mode settings=report.settings.clone() objective=report.objective.clone()
                truth=report.ground_truth.as_ref().map(|t| t.truth_objective.clone())
                references=report.references.clone() />
            {report.label_model.clone().map(|f| view! {
                <p class="muted" id=format!("symmetry-label-model-{mode}")>{format!(
                    "The true labels are kept through f̂, not Φ: {}. Test accuracy {}, same prediction as Φ on {} of test images.",
                    f.description, percent(f.test_accuracy), percent(f.agreement_with_phi)
                )}</p>
            })}
            <p class="muted">{format!("Fréchet distance in the {}. Trained in {:.0} s on {}.", report.frechet_features, report.seconds, report.device)}</p>
            <p class="muted" id=format!("symmetry-settings-{mode}")>{settings_line(&report.settings)}</p>
            <p><a href=format!("/api/experiments/{id}/symmetry/{mode}/weights") rel="external">"L_θ weights (burn record)"</a></p>
        })}
    }
}

/// The run's settings in one line, as the objective names them.
fn settings_line(settings: &SymmetryRequest) -> String {
    let number = |value: Option<f64>| value.map_or("–".to_owned(), |v| format!("{v}"));
    let count = |value: Option<usize>| value.map_or("–".to_owned(), |v| v.to_string());
    format!(
        "Settings: {} steps, batch {}, step size {}, λ_adv {}, λ_nt {}, τ {} over q = {}, λ_1 {}, \
         λ_inv {}, λ_flip {} ({} splitter rounds), start {}, {} discriminator steps per step, seed {}.",
        count(settings.steps),
        count(settings.batch_size),
        number(settings.learning_rate),
        number(settings.adversarial_weight),
        number(settings.nontrivial_weight),
        number(settings.min_change),
        number(settings.change_fraction),
        number(settings.sparsity_weight),
        number(settings.involution_weight),
        number(settings.flip_weight),
        count(settings.splitter_rounds),
        settings.search.unwrap_or_default().as_str(),
        count(settings.discriminator_steps),
        settings.seed.map_or("–".to_owned(), |v| v.to_string()),
    )
}

/// Reads one term of an objective.
type Term = fn(&Objective) -> f64;

/// The training objective of the final L on test images, term by term, next to what the true
/// symmetry L* and known transforms (shift, mirror, …) score as L, which of L and L* the
/// objective prefers, and which known transforms it prefers to L*.
#[component]
fn ObjectiveTable(
    mode: &'static str,
    settings: SymmetryRequest,
    objective: Objective,
    truth: Option<Objective>,
    references: Vec<ReferenceScore>,
) -> impl IntoView {
    let verdict = truth.as_ref().map(|truth| objective.verdict(truth));
    let equilibrium = truth
        .as_ref()
        .map(|truth| objective.equilibrium_verdict(truth, &settings));
    let at_equilibrium = |o: &Objective| format!("{:.4}", o.at_equilibrium(&settings));
    let rivals = truth.as_ref().map(|truth| {
        let names: Vec<String> = rivals_of_truth(&references, truth, &settings)
            .iter()
            .map(|r| r.name.clone())
            .collect();
        if names.is_empty() {
            "None of the known transforms or local rivals can score below L* at the equilibrium."
                .to_owned()
        } else {
            format!(
                "At the equilibrium these transforms could score below L*: {}.",
                names.join(", ")
            )
        }
    });
    let headers: Vec<String> = references.iter().map(|r| r.name.clone()).collect();
    let kept: Vec<String> = references
        .iter()
        .map(|r| {
            let identity = r
                .identity_kept
                .map_or_else(String::new, |kept| format!(" · id {}", percent(kept)));
            format!(
                "Φ {} · D {}{identity}",
                percent(r.prediction_kept),
                percent(r.judged_real)
            )
        })
        .collect();
    let rows: [(&str, Term); 6] = [
        ("keep", |o| o.keep),
        ("adversarial", |o| o.adversarial),
        ("non-triviality", |o| o.nontriviality),
        ("involution", |o| o.involution),
        ("mask mean", |o| o.sparsity),
        ("weighted total", |o| o.total),
    ];
    view! {
        <h4>"Objective on test images"</h4>
        <table id=format!("symmetry-objective-{mode}")>
            <tr>
                <th>"term"</th><th>"learned L"</th>
                {truth.is_some().then(|| view! { <th>"true L*"</th> })}
                {headers.into_iter().map(|name| view! { <th>{name}</th> }).collect_view()}
            </tr>
            {rows.into_iter().map(|(name, term)| view! {
                <tr class=(name == "weighted total").then_some("objective-total")>
                    <td>{name}</td>
                    <td>{format!("{:.4}", term(&objective))}</td>
                    {truth.as_ref().map(|truth| view! { <td>{format!("{:.4}", term(truth))}</td> })}
                    {references.iter().map(|r| view! { <td>{format!("{:.4}", term(&r.objective))}</td> }).collect_view()}
                </tr>
            }).collect_view()}
            <tr class="objective-equilibrium" title="the adversarial term at ln 2: its least value against the optimal discriminator, reached when L x is distributed like x">
                <td>"total at equilibrium (adversarial = ln 2)"</td>
                <td>{at_equilibrium(&objective)}</td>
                {truth.as_ref().map(|truth| view! { <td>{at_equilibrium(truth)}</td> })}
                {references.iter().map(|r| view! { <td>{at_equilibrium(&r.objective)}</td> }).collect_view()}
            </tr>
            {(!kept.is_empty()).then(|| view! {
                <tr>
                    <td title="Φ: how often it keeps its prediction on T x; D: how often the final discriminator calls T x real; id: how often the identity oracle still sees the same person (local rivals)">"Φ kept · D real · id"</td>
                    <td></td>{truth.is_some().then(|| view! { <td></td> })}
                    {kept.into_iter().map(|text| view! { <td class="muted">{text}</td> }).collect_view()}
                </tr>
            })}
        </table>
        {verdict.map(|text| view! { <p class="verdict" id=format!("symmetry-verdict-{mode}")>{text}</p> })}
        {equilibrium.map(|text| view! { <p class="verdict" id=format!("symmetry-equilibrium-{mode}")>{text}</p> })}
        {rivals.map(|text| view! { <p class="verdict" id=format!("symmetry-rivals-{mode}")>{text}</p> })}
    }
}
