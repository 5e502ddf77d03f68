//! Studies: every study with its progress, and the form that queues a new one.

use std::time::Duration;

use leptos::prelude::*;
use memlab_shared::api::{
    Augmentation, DatasetInfo, ExperimentConfig, Health, InputRandomization, ModelKind,
    OptimizerKind, Randomization,
};
use memlab_shared::studies::{Study, StudyKind, StudyRequest};

use crate::api;
use crate::components::{ProgressBar, StatusBadge};

/// How often the list refreshes.
const REFRESH: Duration = Duration::from_secs(2);

/// The list and the form.
#[component]
pub fn StudiesPage() -> impl IntoView {
    let tick = RwSignal::new(0u64);
    if let Ok(handle) = set_interval_with_handle(move || tick.update(|count| *count += 1), REFRESH)
    {
        on_cleanup(move || handle.clear());
    }
    let studies = LocalResource::new(move || {
        tick.track();
        async move { api::get_json::<Vec<Study>>("/api/studies").await }
    });
    let form = LocalResource::new(|| async {
        let health = api::get_json::<Health>("/api/health").await?;
        let datasets = api::get_json::<Vec<DatasetInfo>>("/api/datasets").await?;
        Ok::<_, String>((health, datasets))
    });
    view! {
        <h1>"Studies"</h1>
        <p class="muted">
            "A study trains one architecture over a grid — label corruption p for the randomization \
             tests of Zhang et al. (2017), or the training-set size n — then computes each run's bound \
             panel, and plots training accuracy, test error and every bound against the grid."
        </p>
        <div class="gallery-layout">
            <section>
                <Transition fallback=|| view! { <p class="muted">"Loading studies…"</p> }>
                    {move || studies.get().map(|result| match result {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No studies yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <div class="grid" id="studies">
                                {list.into_iter().map(|study| view! {
                                    <a class="card study" data-id=study.id href=format!("/studies/{}", study.id)>
                                        <h3>{study.name.clone()}</h3>
                                        <p><StatusBadge status=study.status />{format!(" {} runs", study.members.len())}</p>
                                        <ProgressBar fraction=study.progress />
                                    </a>
                                }).collect_view()}
                            </div>
                        }.into_any(),
                        Err(message) => view! { <p class="error">{message}</p> }.into_any(),
                    })}
                </Transition>
            </section>
            <aside>
                <Suspense fallback=|| ()>
                    {move || form.get().map(|result| match result {
                        Ok((health, _)) if health.read_only => view! {
                            <p class="muted">"This is a read-only demo: new studies are disabled."</p>
                        }.into_any(),
                        Ok((_, datasets)) => view! { <NewStudy datasets /> }.into_any(),
                        Err(message) => view! { <p class="error">{message}</p> }.into_any(),
                    })}
                </Suspense>
            </aside>
        </div>
    }
}

/// The patch-ablation kind an option of the form names, if it names one.
fn patch_kind(value: &str) -> Option<StudyKind> {
    match value {
        "patch_whitening" => Some(StudyKind::PatchWhitening),
        "patch_atoms" => Some(StudyKind::PatchAtoms),
        "patch_neighbors" => Some(StudyKind::PatchNeighbors),
        "patch_size" => Some(StudyKind::PatchSize),
        _ => None,
    }
}

/// Parses a comma-separated list.
fn list<T: std::str::FromStr>(name: &str, text: &str) -> Result<Vec<T>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<T>()
                .map_err(|_| format!("{name}: '{item}' is not a number"))
        })
        .collect()
}

/// The new-study form.
#[component]
fn NewStudy(datasets: Vec<DatasetInfo>) -> impl IntoView {
    let kind = RwSignal::new("randomization".to_owned());
    let dataset = RwSignal::new(datasets.first().map(|d| d.name.clone()).unwrap_or_default());
    let model = RwSignal::new("mlp".to_owned());
    let n_train = RwSignal::new("5000".to_owned());
    let epochs = RwSignal::new("100".to_owned());
    let learning_rate = RwSignal::new("0.001".to_owned());
    let batch_size = RwSignal::new("128".to_owned());
    let seed = RwSignal::new("1".to_owned());
    let grid = RwSignal::new("0, 0.5, 1".to_owned());
    let stop_at = RwSignal::new("1".to_owned());
    let variants = RwSignal::new(Vec::<InputRandomization>::new());
    let error = RwSignal::new(None::<String>);
    let navigate = leptos_router::hooks::use_navigate();
    let on_kind = move |event: leptos::ev::Event| {
        let value = event_target_value(&event);
        if value == "sample_size" {
            grid.set("500, 1000, 2000, 5000, 10000, 60000".into());
            stop_at.set(String::new());
            epochs.set("5".into());
        } else if let Some(ablation) = patch_kind(&value) {
            grid.set(
                match ablation {
                    StudyKind::PatchWhitening => "0.001, 0.01, 0.1, 1, 10",
                    StudyKind::PatchAtoms => "64, 128, 256, 512",
                    StudyKind::PatchNeighbors => "26, 64, 102, 154",
                    _ => "3, 4, 5, 6, 7",
                }
                .into(),
            );
            stop_at.set(String::new());
            epochs.set("5".into());
            n_train.set("10000".into());
            learning_rate.set("0.002".into());
            batch_size.set("64".into());
        } else if value == "augmentation" {
            grid.set("30".into());
            stop_at.set(String::new());
            epochs.set("3".into());
            n_train.set("20000".into());
        } else {
            grid.set("0, 0.5, 1".into());
            stop_at.set("1".into());
            epochs.set("100".into());
        }
        kind.set(value);
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let request = (|| -> Result<StudyRequest, String> {
            let whole = |name: &str, text: String| {
                text.trim()
                    .parse::<usize>()
                    .map_err(|_| format!("{name} must be a whole number"))
            };
            let randomization = kind.get_untracked() == "randomization";
            let augmentation = kind.get_untracked() == "augmentation";
            let ablation = patch_kind(&kind.get_untracked());
            let stop = stop_at.get_untracked();
            let base = ExperimentConfig {
                name: None,
                dataset: dataset.get_untracked(),
                model: if ablation.is_some() {
                    ModelKind::Patches
                } else if model.get_untracked() == "lenet" {
                    ModelKind::Lenet
                } else {
                    ModelKind::Mlp
                },
                n_train: if randomization || augmentation || ablation.is_some() {
                    Some(whole("training examples", n_train.get_untracked())?)
                } else {
                    None
                },
                epochs: whole("epochs", epochs.get_untracked())?,
                seed: whole("seed", seed.get_untracked())? as u64,
                learning_rate: learning_rate
                    .get_untracked()
                    .trim()
                    .parse()
                    .map_err(|_| "learning rate must be a number".to_owned())?,
                batch_size: whole("batch size", batch_size.get_untracked())?,
                optimizer: OptimizerKind::Adam,
                randomization: Randomization::default(),
                augmentation: Default::default(),
                patches: Default::default(),
                scattering: Default::default(),
                stop_at_train_accuracy: if stop.trim().is_empty() {
                    None
                } else {
                    Some(
                        stop.trim()
                            .parse()
                            .map_err(|_| "stop at accuracy must be a number".to_owned())?,
                    )
                },
            };
            Ok(StudyRequest {
                name: None,
                kind: if let Some(kind) = ablation {
                    kind
                } else if randomization {
                    StudyKind::Randomization
                } else if augmentation {
                    StudyKind::Augmentation
                } else {
                    StudyKind::SampleSize
                },
                base,
                label_corruptions: if randomization {
                    list("label corruptions", &grid.get_untracked())?
                } else {
                    Vec::new()
                },
                input_variants: if randomization {
                    variants.get_untracked()
                } else {
                    Vec::new()
                },
                values: if ablation.is_some() {
                    list("values", &grid.get_untracked())?
                } else {
                    Vec::new()
                },
                sizes: if randomization || augmentation || ablation.is_some() {
                    Vec::new()
                } else {
                    list("sizes", &grid.get_untracked())?
                },
                augmentations: if augmentation {
                    list::<f64>("rotations", &grid.get_untracked())?
                        .into_iter()
                        .map(|rotation| Augmentation {
                            rotation,
                            ..Default::default()
                        })
                        .collect()
                } else {
                    Vec::new()
                },
                bounds: Some(!augmentation),
                pac_bayes: None,
            })
        })();
        let request = match request {
            Ok(request) => request,
            Err(message) => return error.set(Some(message)),
        };
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::post_json::<_, Study>("/api/studies", &request).await {
                Ok(study) => navigate(&format!("/studies/{}", study.id), Default::default()),
                Err(message) => error.set(Some(message)),
            }
        });
    };
    let variant = move |value: InputRandomization, label: &'static str, id: &'static str| {
        view! {
            <label class="check" for=id>
                <input id=id type="checkbox" on:change=move |event| {
                    let on = event_target_checked(&event);
                    variants.update(|list| {
                        list.retain(|v| *v != value);
                        if on {
                            list.push(value);
                        }
                    });
                } />
                {label}
            </label>
        }
    };
    let field = |id: &'static str, label: &'static str, value: RwSignal<String>| {
        view! {
            <label for=id>{label}</label>
            <input id=id type="text" prop:value=move || value.get()
                on:input=move |event| value.set(event_target_value(&event)) />
        }
    };
    view! {
        <form class="card" id="new-study" on:submit=submit>
            <h3>"New study"</h3>
            <label for="study-kind">"Kind"</label>
            <select id="study-kind" on:change=on_kind>
                <option value="randomization">"randomization test (grid of p)"</option>
                <option value="sample_size">"sample size (grid of n)"</option>
                <option value="augmentation">"rotation augmentation (probed for invariance)"</option>
                <option value="patch_whitening">"whitened patches: whitening ε (with ε = 0 and none)"</option>
                <option value="patch_atoms">"whitened patches: dictionary size Q"</option>
                <option value="patch_neighbors">"whitened patches: atoms marked k"</option>
                <option value="patch_size">"whitened patches: patch side p"</option>
            </select>
            <label for="study-dataset">"Data set"</label>
            <select id="study-dataset" on:change=move |event| dataset.set(event_target_value(&event))>
                {datasets.into_iter().map(|info| view! { <option value=info.name.clone()>{info.name.clone()}</option> }).collect_view()}
            </select>
            {move || patch_kind(&kind.get()).is_none().then(|| view! {
                <label for="study-model">"Model"</label>
                <select id="study-model" on:change=move |event| model.set(event_target_value(&event))>
                    <option value="mlp" selected=move || model.get() == "mlp">"MLP (2 × 256)"</option>
                    <option value="lenet" selected=move || model.get() == "lenet">"LeNet (CNN)"</option>
                </select>
            })}
            {move || patch_kind(&kind.get()).is_some().then(|| view! {
                <p class="muted" id="study-patch-note">
                    "Whitened-patch model (Q = 256, k = 0.4 Q, p = 5, grid 2, ε = 1e-3, linear head) \
                     with one setting varied over the grid; test error and bounds are plotted \
                     against it."
                </p>
            })}
            {move || (kind.get() != "sample_size").then(|| field("study-n", "Training examples", n_train))}
            {field("study-grid", "Grid (comma-separated p, n, rotation ranges in degrees, or the patch setting)", grid)}
            {field("study-epochs", "Epochs (a cap when stopping at an accuracy)", epochs)}
            {field("study-stop", "Stop at training accuracy (empty: all epochs)", stop_at)}
            {field("study-lr", "Learning rate (Adam)", learning_rate)}
            {field("study-batch", "Batch size", batch_size)}
            {field("study-seed", "Seed", seed)}
            {move || (kind.get() == "randomization").then(|| view! {
                <p class="muted">"Also with true labels and:"</p>
                {variant(InputRandomization::ShuffledPixels, "shuffled pixels", "variant-shuffled")}
                {variant(InputRandomization::RandomPixels, "random pixels", "variant-random")}
                {variant(InputRandomization::Gaussian, "Gaussian inputs", "variant-gaussian")}
            })}
            {move || error.get().map(|message| view! { <p class="error" id="study-error">{message}</p> })}
            <p><button type="submit">"Start study"</button></p>
        </form>
    }
}
