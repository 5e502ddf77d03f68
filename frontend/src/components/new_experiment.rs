//! The form that queues a training run.

use leptos::prelude::*;
use memlab_shared::api::{
    Augmentation, DatasetInfo, Experiment, ExperimentConfig, InputRandomization, ModelKind,
    OptimizerKind, PatchSettings, Randomization, ScatteringSettings,
};

use crate::api;

/// A labelled number input bound to a string signal.
#[component]
fn NumberField(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    step: &'static str,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        // The field is not redrawn from the signal while typing: a number input reports ""
        // for a partial entry such as "0.", which written back would erase what was typed.
        <input id=id type="number" step=step value=value.get_untracked()
            on:input=move |event| value.set(event_target_value(&event)) />
    }
}

/// The form's fields as typed.
#[derive(Debug, Clone, Default)]
struct Form {
    dataset: String,
    model: String,
    n_train: String,
    epochs: String,
    batch_size: String,
    learning_rate: String,
    optimizer: String,
    seed: String,
    label_corruption: String,
    inputs: String,
    stop_at: String,
    rotation: String,
    translation: String,
    scale: String,
    flip: bool,
    patch: String,
    atoms: String,
    neighbors: String,
    grid: String,
    whitening: String,
    dictionary_images: String,
    hidden: String,
    scales: String,
    angles: String,
    calibration_images: String,
    cnn_width: String,
}

/// Reads the form into a config, or says which field is not a number.
fn config_from(form: Form) -> Result<ExperimentConfig, String> {
    let whole = |name: &str, text: &str| {
        text.trim()
            .parse::<usize>()
            .map_err(|_| format!("{name} must be a whole number, got '{text}'"))
    };
    let number = |name: &str, text: &str| {
        text.trim()
            .parse::<f64>()
            .map_err(|_| format!("{name} must be a number, got '{text}'"))
    };
    Ok(ExperimentConfig {
        name: None,
        model: match form.model.as_str() {
            "mlp" => ModelKind::Mlp,
            "patches" => ModelKind::Patches,
            "scattering" => ModelKind::Scattering,
            _ => ModelKind::Lenet,
        },
        scattering: if form.model == "scattering" {
            ScatteringSettings {
                scales: whole("scales J", &form.scales)?,
                angles: whole("angles L", &form.angles)?,
                calibration_images: whole("calibration images", &form.calibration_images)?,
                hidden: if form.cnn_width.trim().is_empty() {
                    None
                } else {
                    Some(whole("CNN width", &form.cnn_width)?)
                },
            }
        } else {
            ScatteringSettings::default()
        },
        patches: if form.model == "patches" {
            PatchSettings {
                patch: whole("patch side", &form.patch)?,
                atoms: whole("atoms", &form.atoms)?,
                neighbors: if form.neighbors.trim().is_empty() {
                    None
                } else {
                    Some(whole("neighbours k", &form.neighbors)?)
                },
                grid: whole("grid", &form.grid)?,
                whitening: if form.whitening.trim().is_empty() {
                    None
                } else {
                    Some(number("whitening ε", &form.whitening)?)
                },
                dictionary_images: whole("dictionary images", &form.dictionary_images)?,
                hidden: if form.hidden.trim().is_empty() {
                    None
                } else {
                    Some(whole("hidden layer width", &form.hidden)?)
                },
            }
        } else {
            PatchSettings::default()
        },
        n_train: if form.n_train.trim().is_empty() {
            None
        } else {
            Some(whole("training examples", &form.n_train)?)
        },
        epochs: whole("epochs", &form.epochs)?,
        seed: form
            .seed
            .trim()
            .parse()
            .map_err(|_| format!("seed must be a whole number, got '{}'", form.seed))?,
        learning_rate: number("learning rate", &form.learning_rate)?,
        batch_size: whole("batch size", &form.batch_size)?,
        optimizer: if form.optimizer == "sgd" {
            OptimizerKind::Sgd
        } else {
            OptimizerKind::Adam
        },
        randomization: Randomization {
            label_corruption: number("label corruption", &form.label_corruption)?,
            inputs: match form.inputs.as_str() {
                "shuffled_pixels" => InputRandomization::ShuffledPixels,
                "random_pixels" => InputRandomization::RandomPixels,
                "gaussian" => InputRandomization::Gaussian,
                _ => InputRandomization::None,
            },
        },
        stop_at_train_accuracy: if form.stop_at.trim().is_empty() {
            None
        } else {
            Some(number("stop at training accuracy", &form.stop_at)?)
        },
        augmentation: Augmentation {
            rotation: number("augmentation rotation", &form.rotation)?,
            translation: number("augmentation translation", &form.translation)?,
            scale: number("augmentation scale", &form.scale)?,
            horizontal_flip: form.flip,
        },
        dataset: form.dataset,
    })
}

/// Data set, model and hyper-parameters; the server validates and queues the run.
#[component]
pub fn NewExperiment(datasets: Vec<DatasetInfo>) -> impl IntoView {
    let dataset = RwSignal::new(datasets.first().map(|d| d.name.clone()).unwrap_or_default());
    let model = RwSignal::new("lenet".to_owned());
    let optimizer = RwSignal::new("adam".to_owned());
    let n_train = RwSignal::new(String::new());
    let epochs = RwSignal::new("2".to_owned());
    let batch_size = RwSignal::new("64".to_owned());
    let learning_rate = RwSignal::new("0.002".to_owned());
    let seed = RwSignal::new("1".to_owned());
    let label_corruption = RwSignal::new("0".to_owned());
    let inputs = RwSignal::new("none".to_owned());
    let stop_at = RwSignal::new(String::new());
    let rotation = RwSignal::new("0".to_owned());
    let translation = RwSignal::new("0".to_owned());
    let scale = RwSignal::new("0".to_owned());
    let flip = RwSignal::new(false);
    let defaults = PatchSettings::default();
    let patch = RwSignal::new(defaults.patch.to_string());
    let atoms = RwSignal::new(defaults.atoms.to_string());
    let neighbors = RwSignal::new(String::new());
    let grid = RwSignal::new(defaults.grid.to_string());
    let whitening = RwSignal::new(
        defaults
            .whitening
            .map(|e| e.to_string())
            .unwrap_or_default(),
    );
    let dictionary_images = RwSignal::new(defaults.dictionary_images.to_string());
    let hidden = RwSignal::new(String::new());
    let scattering_defaults = ScatteringSettings::default();
    let scales = RwSignal::new(scattering_defaults.scales.to_string());
    let angles = RwSignal::new(scattering_defaults.angles.to_string());
    let calibration_images = RwSignal::new(scattering_defaults.calibration_images.to_string());
    let cnn_width = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Taken while the component is built: the router's context is not reachable from a task.
    let navigate = leptos_router::hooks::use_navigate();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let config = config_from(Form {
            dataset: dataset.get_untracked(),
            model: model.get_untracked(),
            n_train: n_train.get_untracked(),
            epochs: epochs.get_untracked(),
            batch_size: batch_size.get_untracked(),
            learning_rate: learning_rate.get_untracked(),
            optimizer: optimizer.get_untracked(),
            seed: seed.get_untracked(),
            label_corruption: label_corruption.get_untracked(),
            inputs: inputs.get_untracked(),
            stop_at: stop_at.get_untracked(),
            rotation: rotation.get_untracked(),
            translation: translation.get_untracked(),
            scale: scale.get_untracked(),
            flip: flip.get_untracked(),
            patch: patch.get_untracked(),
            atoms: atoms.get_untracked(),
            neighbors: neighbors.get_untracked(),
            grid: grid.get_untracked(),
            whitening: whitening.get_untracked(),
            dictionary_images: dictionary_images.get_untracked(),
            hidden: hidden.get_untracked(),
            scales: scales.get_untracked(),
            angles: angles.get_untracked(),
            calibration_images: calibration_images.get_untracked(),
            cnn_width: cnn_width.get_untracked(),
        });
        let config = match config {
            Ok(config) => config,
            Err(message) => return error.set(Some(message)),
        };
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::post_json::<_, Experiment>("/api/experiments", &config).await {
                Ok(experiment) => {
                    navigate(
                        &format!("/experiments/{}", experiment.id),
                        Default::default(),
                    );
                }
                Err(message) => error.set(Some(message)),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="card" id="new-experiment" on:submit=submit>
            <h3>"New experiment"</h3>
            <label for="dataset">"Data set"</label>
            <select id="dataset" on:change=move |event| dataset.set(event_target_value(&event))>
                {datasets.into_iter().map(|info| {
                    let label = format!("{} ({} train, {} test)", info.name, info.n_train, info.n_test);
                    view! { <option value=info.name.clone()>{label}</option> }
                }).collect_view()}
            </select>
            <label for="model">"Model"</label>
            <select id="model" on:change=move |event| model.set(event_target_value(&event))>
                <option value="lenet">"LeNet (CNN)"</option>
                <option value="mlp">"MLP (2 × 256)"</option>
                <option value="patches">"Whitened patches (Thiry et al. 2021)"</option>
                <option value="scattering">"Scattering (Oyallon et al. 2017)"</option>
            </select>
            <Show when=move || model.get() == "patches">
                <fieldset id="patch-settings">
                    <legend>"Whitened-patch model: only the head trains"</legend>
                    <NumberField id="patch" label="Patch side p" value=patch step="1" />
                    <NumberField id="atoms" label="Dictionary atoms Q" value=atoms step="1" />
                    <NumberField id="neighbors" label="Nearest atoms marked k (empty: 0.4 Q)" value=neighbors step="1" />
                    <NumberField id="grid" label="Pooling grid (side)" value=grid step="1" />
                    <NumberField id="whitening" label="Whitening ε (empty: no whitening)" value=whitening step="any" />
                    <NumberField id="dictionary_images" label="Dictionary images (the first ones; bounds use the rest)" value=dictionary_images step="1" />
                    <NumberField id="hidden" label="Hidden ReLU layer width (empty: linear head)" value=hidden step="1" />
                </fieldset>
            </Show>
            <Show when=move || model.get() == "scattering">
                <fieldset id="scattering-settings">
                    <legend>"Scattering network: the transform is fixed, the layers after it train"</legend>
                    <NumberField id="scales" label="Scales J (2^J at most the image side)" value=scales step="1" />
                    <NumberField id="angles" label="Angles L" value=angles step="1" />
                    <NumberField id="calibration_images" label="Calibration images (the first ones; bounds use the rest)" value=calibration_images step="1" />
                    <NumberField id="cnn_width" label="Hybrid CNN width (empty: linear classifier)" value=cnn_width step="1" />
                </fieldset>
            </Show>
            <label for="optimizer">"Optimizer"</label>
            <select id="optimizer" on:change=move |event| optimizer.set(event_target_value(&event))>
                <option value="adam">"Adam"</option>
                <option value="sgd">"SGD"</option>
            </select>
            <NumberField id="n_train" label="Training examples (empty: all)" value=n_train step="1" />
            <NumberField id="epochs" label="Epochs" value=epochs step="1" />
            <NumberField id="batch_size" label="Batch size" value=batch_size step="1" />
            <NumberField id="learning_rate" label="Learning rate" value=learning_rate step="any" />
            <NumberField id="seed" label="Seed" value=seed step="1" />
            <details>
                <summary>"Randomization test (Zhang et al. 2017)"</summary>
                <NumberField id="label_corruption" label="Label corruption p (0 to 1)" value=label_corruption step="any" />
                <label for="inputs">"Inputs"</label>
                <select id="inputs" on:change=move |event| inputs.set(event_target_value(&event))>
                    <option value="none">"real images"</option>
                    <option value="shuffled_pixels">"shuffled pixels (one permutation)"</option>
                    <option value="random_pixels">"random pixels (a permutation per image)"</option>
                    <option value="gaussian">"Gaussian noise"</option>
                </select>
                <NumberField id="stop_at" label="Stop at training accuracy (empty: run all epochs)" value=stop_at step="any" />
            </details>
            <details>
                <summary>"Data augmentation (each training image, each time it is drawn)"</summary>
                <NumberField id="aug_rotation" label="Rotation up to ± degrees" value=rotation step="any" />
                <NumberField id="aug_translation" label="Translation up to ± pixels" value=translation step="any" />
                <NumberField id="aug_scale" label="Zoom by a factor in [1 − s, 1 + s], s =" value=scale step="any" />
                <label for="aug_flip">"Mirror left–right half of the time"</label>
                <input id="aug_flip" type="checkbox" prop:checked=move || flip.get()
                    on:change=move |event| flip.set(event_target_checked(&event)) />
            </details>
            {move || error.get().map(|message| view! { <p class="error" id="form-error">{message}</p> })}
            <p><button type="submit" prop:disabled=move || busy.get()>"Train"</button></p>
        </form>
    }
}
