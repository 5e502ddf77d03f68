//! The models page: per data set, the best finished run of each architecture side by side
//! (the CNN next to the low-complexity whitened-patch model), from the stored runs; and the
//! geometry of a data set's patches.

use leptos::prelude::*;
use memlab_shared::api::{DatasetInfo, Experiment, ModelKind};
use memlab_shared::models::{ModelRow, best_models};

use crate::api;
use crate::components::{PatchGeometryPanel, describe, number, tightest_bound, versus};

/// A row's tightest bound on the trained network (vacuous ones marked, with the confidence the
/// minimum holds at), and how it compares with the CNN's of the same table (no ratio between
/// two vacuous values).
#[component]
fn BoundCell(id: i64, cnn: Option<i64>) -> impl IntoView {
    let bounds = LocalResource::new(move || async move {
        let ours = tightest_bound(id).await;
        let theirs = match cnn {
            Some(other) if other != id => tightest_bound(other).await,
            _ => None,
        };
        (ours, theirs)
    });
    view! {
        <Suspense fallback=|| "…">
            {move || bounds.get().map(|(ours, theirs)| match ours {
                Some(ours) => {
                    let against = theirs
                        .map(|theirs| match versus(&ours, &theirs) {
                            Some(ratio) => format!(" · {ratio} than LeNet's {}", number(theirs.value())),
                            None => " · LeNet's is vacuous too: no ratio".to_owned(),
                        })
                        .unwrap_or_default();
                    view! {
                        <span class="tightest-bound" data-value=ours.value().to_string()
                            data-vacuous=ours.bound.vacuous.to_string()>
                            {format!("{}{against}", describe(&ours))}
                        </span>
                    }.into_any()
                }
                None => view! { <span class="muted">"no panel yet"</span> }.into_any(),
            })}
        </Suspense>
    }
}

/// One data set's rows.
#[component]
fn DatasetTable(dataset: String, rows: Vec<ModelRow>) -> impl IntoView {
    let cnn = rows
        .iter()
        .find(|row| row.model == ModelKind::Lenet)
        .map(|row| row.experiment);
    view! {
        <div class="card">
            <h3>{dataset.clone()}</h3>
            <table class="models" data-dataset=dataset>
                <tr>
                    <th>"model"</th><th>"test accuracy"</th><th>"train accuracy"</th>
                    <th>"trained parameters"</th><th>"all parameters"</th>
                    <th>"training examples"</th><th>"training time"</th><th>"runs"</th>
                    <th>"tightest bound"</th><th>"settings"</th>
                </tr>
                {rows.into_iter().map(|row| {
                    let href = format!("/experiments/{}", row.experiment);
                    view! {
                        <tr data-model=format!("{:?}", row.model).to_lowercase()
                            data-test-accuracy=row.test_accuracy.to_string()>
                            <td><a href=href>{row.architecture}</a></td>
                            <td>{format!("{:.2} %", 100.0 * row.test_accuracy)}</td>
                            <td>{format!("{:.2} %", 100.0 * row.train_accuracy)}</td>
                            <td>{row.trained_parameters}</td>
                            <td>{row.parameters}</td>
                            <td>{row.n_train.map_or("all".to_owned(), |n| n.to_string())}</td>
                            <td>{format!("{:.1} s", row.seconds)}</td>
                            <td>{row.runs}</td>
                            <td><BoundCell id=row.experiment cnn /></td>
                            <td class="muted">{row.settings}</td>
                        </tr>
                    }
                }).collect_view()}
            </table>
        </div>
    }
}

/// Every data set with finished runs, its architectures' best runs.
#[component]
pub fn ModelsPage() -> impl IntoView {
    let experiments =
        LocalResource::new(|| async { api::get_json::<Vec<Experiment>>("/api/experiments").await });
    let datasets =
        LocalResource::new(|| async { api::get_json::<Vec<DatasetInfo>>("/api/datasets").await });
    view! {
        <h1>"Models"</h1>
        <p class="muted">
            "The best finished run of each architecture on each data set (runs of randomization \
             tests left out). The whitened-patch model trains only its head: its encoder \
             (whitening and atoms) is drawn from its first dictionary images. The scattering \
             networks train only what follows the fixed scattering transform (Kymatio's Morlet \
             filters; its channels standardized on the first calibration images)."
        </p>
        <Suspense fallback=|| view! { <p class="muted">"Loading runs…"</p> }>
            {move || experiments.get().map(|result| match result {
                Ok(list) => {
                    let rows = best_models(&list);
                    if rows.is_empty() {
                        return view! { <p class="muted" id="models-empty">"No finished runs yet."</p> }.into_any();
                    }
                    let mut datasets: Vec<String> = rows.iter().map(|r| r.dataset.clone()).collect();
                    datasets.dedup();
                    view! {
                        <div id="models">
                            {datasets.into_iter().map(|dataset| {
                                let rows: Vec<ModelRow> = rows.iter().filter(|r| r.dataset == dataset).cloned().collect();
                                view! { <DatasetTable dataset rows /> }
                            }).collect_view()}
                        </div>
                    }.into_any()
                }
                Err(message) => view! { <p class="error">{message}</p> }.into_any(),
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || datasets.get().map(|result| match result {
                Ok(datasets) => view! { <PatchGeometryPanel datasets /> }.into_any(),
                Err(message) => view! { <p class="error">{message}</p> }.into_any(),
            })}
        </Suspense>
    }
}
