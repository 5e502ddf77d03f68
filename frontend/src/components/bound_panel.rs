//! The generalization-bound panel of a finished experiment: start the server job, follow its
//! progress, then the bars, every bound with its inputs and source, per-layer norms, margins and
//! downloads. Every number shown is the stored one from `GET /api/experiments/{id}/bounds`.

use leptos::prelude::*;

use super::Permalink;
use leptos::task::spawn_local;
use memlab_shared::api::JobStatus;
use memlab_shared::bounds::{
    Bound, BoundJob, BoundPanel, BoundRequest, LayerNorms, PacBayesPrior, PacBayesRequest,
};

use super::analysis_job::{JobState, Polled, writable};
use super::{BoundChart, BoundComparison};
use crate::api;

/// A number as people read it: fixed for ordinary sizes, scientific for huge or tiny ones.
pub fn number(value: f64) -> String {
    if value == 0.0 {
        "0".into()
    } else if !(1e-3..1e4).contains(&value.abs()) {
        format!("{value:.3e}")
    } else {
        format!("{value:.4}")
    }
}

/// What a σ′ cell's tooltip says: the certificate and power iteration's estimate below it, or
/// for a panel stored before certificates, that the value is only an estimate.
fn norm_note(layer: &LayerNorms) -> String {
    let iterations = format!(
        "{} power iterations{}",
        layer.power_iterations,
        if layer.converged {
            ""
        } else {
            ", not converged"
        }
    );
    match layer.spectral_with_bias_estimate {
        Some(estimate) => format!(
            "certified upper bound; power iteration's estimate (from below): {} ({iterations})",
            number(estimate)
        ),
        None => format!(
            "power iteration's estimate, not certified: this panel was computed before \
             certified norms; recompute it ({iterations})"
        ),
    }
}

/// The section on the experiment page.
#[component]
pub fn BoundSection(
    id: i64,
    /// The data set to compare the tightest bound with the CNN's on (fixed-encoder models).
    compare_on: Option<String>,
) -> impl IntoView {
    let polled = Polled::<BoundRequest, BoundPanel>::new(format!("/api/experiments/{id}/bounds"));
    let busy = move || polled.busy();
    let writable = writable();
    let delta = RwSignal::new("0.05".to_owned());
    let optimize = RwSignal::new(false);
    let steps = RwSignal::new("3000".to_owned());
    let samples = RwSignal::new("20000".to_owned());
    let prior = RwSignal::new("initialization".to_owned());
    let message = RwSignal::new(None::<String>);
    let start = move |_| {
        message.set(None);
        let Ok(delta) = delta.get_untracked().trim().parse::<f64>() else {
            message.set(Some("δ must be a number, e.g. 0.05".into()));
            return;
        };
        let pac_bayes = if optimize.get_untracked() {
            let (Ok(steps), Ok(samples)) = (
                steps.get_untracked().trim().parse::<usize>(),
                samples.get_untracked().trim().parse::<usize>(),
            ) else {
                message.set(Some("steps and samples must be whole numbers".into()));
                return;
            };
            Some(PacBayesRequest {
                steps: Some(steps),
                samples: Some(samples),
                prior: Some(if prior.get_untracked() == "data_dependent" {
                    PacBayesPrior::DataDependent
                } else {
                    PacBayesPrior::Initialization
                }),
                learning_rate: None,
                initial_std: None,
            })
        } else {
            None
        };
        let request = BoundRequest {
            delta: Some(delta),
            pac_bayes,
        };
        spawn_local(async move {
            let url = format!("/api/experiments/{id}/bounds");
            match api::post_json::<_, BoundJob>(&url, &request).await {
                Ok(_) => polled.refresh(),
                Err(error) => message.set(Some(error)),
            }
        });
    };
    view! {
        <div class="card" id="bounds">
            <h3>"Generalization bounds" " " <Permalink anchor="bounds" /></h3>
            <p class="muted">
                "Every classical bound on this network's test error, computed on the server from its weights, \
                 its initialization and its training set. A bound above 1 says nothing (vacuous)."
            </p>
            {move || if writable() {
                view! {
            <div class="inline-form">
                        <label for="delta">"confidence δ"</label>
                        <input id="delta" type="text" size="6" prop:value=move || delta.get()
                            on:input=move |event| delta.set(event_target_value(&event)) />
                        <button id="compute-bounds" on:click=start disabled=busy>"Compute bounds"</button>
                    </div>
                    <div class="inline-form">
                        <input id="pac-bayes" type="checkbox" prop:checked=move || optimize.get()
                            on:change=move |event| optimize.set(event_target_checked(&event)) />
                        <label for="pac-bayes">"also optimize a PAC-Bayes posterior (Dziugaite–Roy; minutes):"</label>
                        <label for="pb-steps">"steps"</label>
                        <input id="pb-steps" type="text" size="6" prop:value=move || steps.get()
                            on:input=move |event| steps.set(event_target_value(&event)) />
                        <label for="pb-samples">"Monte-Carlo draws"</label>
                        <input id="pb-samples" type="text" size="7" prop:value=move || samples.get()
                            on:input=move |event| samples.set(event_target_value(&event)) />
                        <label for="pb-prior">"prior centred at"</label>
                        <select id="pb-prior" on:change=move |event| prior.set(event_target_value(&event))>
                            <option value="initialization">"the initialization (data-free)"</option>
                            <option value="data_dependent">"a network trained on a held-out half"</option>
                        </select>
                    </div>
                        }.into_any()
            } else {
                view! {
                    <p class="muted">"This read-only demo shows the panel computed when the run finished."</p>
                }.into_any()
            }}
            {move || message.get().map(|text| view! { <p class="error">{text}</p> })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || polled.job.get().map(|result| match result {
                    Ok(job) => view! { <JobView job compare_on=compare_on.clone() /> }.into_any(),
                    Err(text) => view! { <p class="muted" id="bounds-empty">{text}</p> }.into_any(),
                })}
            </Transition>
        </div>
    }
}

#[component]
fn JobView(job: BoundJob, compare_on: Option<String>) -> impl IntoView {
    match (job.status, job.result) {
        (JobStatus::Done, Some(panel)) => {
            view! { <PanelView id=job.experiment_id panel compare_on /> }.into_any()
        }
        (status, _) => view! {
            <JobState prefix="bounds" status progress=job.progress stage=job.stage error=job.error />
        }
        .into_any(),
    }
}

#[component]
fn PanelView(id: i64, panel: BoundPanel, compare_on: Option<String>) -> impl IntoView {
    let comparison = compare_on.and_then(|dataset| {
        let ours = panel.tightest()?;
        Some(view! { <BoundComparison dataset ours /> })
    });
    let summary = format!(
        "m = {} training examples, {} test examples, {} parameters, δ = {} · train error {:.4} · test error {:.4} · computed in {:.2} s on {}",
        panel.n_train,
        panel.n_test,
        panel.n_parameters,
        panel.delta,
        panel.train_error,
        panel.test_error,
        panel.seconds,
        panel.device
    );
    let bounds = panel.bounds.clone();
    let layers = panel.layers.clone();
    let margins = panel.margins.clone();
    let split = panel.sample_split.clone();
    view! {
        <p id="bounds-summary">{summary}</p>
        {comparison}
        {split.map(|note| view! {
            <p class="note" id="bounds-sample-split">{note}
                " Inputs below are the standardized encoding: ‖X‖ = "{number(panel.data_norm)}
                ", sup ‖x‖ over all images ≤ "{number(panel.domain_input_norm)}"."
            </p>
        })}
        <BoundChart panel=panel.clone() />
        <table id="bounds-table">
            <tr><th>"bound"</th><th>"value"</th><th>"inputs and source"</th></tr>
            {bounds.into_iter().map(|bound| view! { <BoundRow bound /> }).collect_view()}
        </table>
        <h4>"Per-layer norms"</h4>
        <p class="muted">
            "Each layer as the linear map it computes on its real input size (convolutions are not \
             reshaped kernels). σ′ and ‖·‖₂,₁ include the bias as a column and, for hidden layers, \
             the constant unit that carries it. Spectral norms are certified upper bounds (Gram \
             iteration; a convolution through the Fourier blocks of the circular map that \
             contains it): power iteration's estimate, from below, is in each σ′ cell's tooltip."
        </p>
        <table id="layer-norms">
            <tr>
                <th>"layer"</th><th>"map"</th><th>"params"</th><th>"‖A‖σ"</th><th>"‖A′‖σ"</th>
                <th>"‖A‖F"</th><th>"‖A′ᵀ‖₂,₁"</th><th>"‖(A′−M′)ᵀ‖₂,₁"</th><th>"‖θ−θ₀‖₂"</th><th>"then"</th>
            </tr>
            {layers.into_iter().map(|layer| {
                let note = norm_note(&layer);
                view! {
                <tr>
                    <td>{layer.name}</td>
                    <td>{layer.description}</td>
                    <td>{layer.parameters}</td>
                    <td>{number(layer.spectral)}</td>
                    <td title=note>
                        {number(layer.spectral_with_bias)}
                        {layer.spectral_with_bias_estimate.is_none().then_some(" (estimate)")}
                    </td>
                    <td>{number(layer.frobenius)}</td>
                    <td>{number(layer.two_one)}</td>
                    <td>{number(layer.two_one_from_init)}</td>
                    <td>{number(layer.distance_from_init)}</td>
                    <td>{layer.activation}</td>
                </tr>
                }
            }).collect_view()}
        </table>
        <h4>"Training margins: f(x)ᵧ minus the largest other logit"</h4>
        <table id="margins">
            <tr>{margins.quantiles.iter().map(|(q, _)| view! { <th>{format!("q {q}")}</th> }).collect_view()}</tr>
            <tr>{margins.quantiles.iter().map(|(_, v)| view! { <td>{number(*v)}</td> }).collect_view()}</tr>
        </table>
        <p>
            "Download: "
            <a href=format!("/api/experiments/{id}/bounds") rel="external" download=format!("memlab-{id}-bounds.json")>"JSON"</a>" · "
            <a href=format!("/api/experiments/{id}/bounds.csv") rel="external">"bounds CSV"</a>" · "
            <a href=format!("/api/experiments/{id}/bounds/layers.csv") rel="external">"layer norms CSV"</a>
        </p>
    }
}

#[component]
fn BoundRow(bound: Bound) -> impl IntoView {
    let value = match (bound.value, &bound.not_applicable) {
        (Some(value), _) => view! {
            <span class=if bound.vacuous { "bound vacuous" } else { "bound tight" }>{number(value)}</span>
            {bound.vacuous.then(|| view! { <span class="status failed">"vacuous"</span> })}
            {bound.why_vacuous.clone().map(|why| view! { <div class="why-vacuous muted">{why}</div> })}
        }
        .into_any(),
        (None, why) => view! {
            <span class="muted">{format!("n/a: {}", why.clone().unwrap_or_default())}</span>
        }
        .into_any(),
    };
    view! {
        <tr class="bound-row" data-key=bound.key.clone()>
            <td>{bound.name.clone()}</td>
            <td>{value}</td>
            <td>
                <details>
                    <summary>{format!("{} inputs", bound.inputs.len())}</summary>
                    <p><code>{bound.formula.clone()}</code></p>
                    <table class="inputs">
                        {bound.inputs.iter().map(|q| view! {
                            <tr><td>{q.symbol.clone()}</td><td>{number(q.value)}</td><td class="muted">{q.name.clone()}</td></tr>
                        }).collect_view()}
                    </table>
                </details>
                <p class="source muted">{bound.source.clone()}</p>
            </td>
        </tr>
    }
}
