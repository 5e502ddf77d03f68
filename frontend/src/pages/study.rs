//! One study: its runs in a table and its plots (training accuracy against steps, steps to fit,
//! test error and every bound against the grid), refreshed while it runs.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use memlab_shared::api::JobStatus;
use memlab_shared::studies::{Study, StudyKind, StudyMember};

use crate::api;
use crate::components::line_chart::Line;
use crate::components::{LineChart, ProgressBar, StatusBadge, number};

/// How often a running study is refreshed.
const REFRESH: Duration = Duration::from_secs(2);

/// The page.
#[component]
pub fn StudyPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let tick = RwSignal::new(0u64);
    let study = LocalResource::new(move || {
        tick.track();
        let id = id();
        async move {
            match id {
                Some(id) => api::get_json::<Study>(&format!("/api/studies/{id}")).await,
                None => Err("the address names no study id".to_owned()),
            }
        }
    });
    let running = move || {
        study.get().is_some_and(|result| {
            result.is_ok_and(|s| matches!(s.status, JobStatus::Queued | JobStatus::Running))
        })
    };
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if running() {
                tick.update(|count| *count += 1);
            }
        },
        REFRESH,
    ) {
        on_cleanup(move || handle.clear());
    }
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || study.get().map(|result| match result {
                Ok(study) => view! { <StudyView study /> }.into_any(),
                Err(message) => view! { <p class="error">{message}</p> }.into_any(),
            })}
        </Transition>
    }
}

fn test_error(member: &StudyMember) -> Option<f64> {
    member
        .experiment
        .metrics
        .as_ref()
        .map(|m| 1.0 - m.test_accuracy)
}

fn train_error(member: &StudyMember) -> Option<f64> {
    member
        .experiment
        .metrics
        .as_ref()
        .map(|m| 1.0 - m.train_accuracy)
}

/// Every bound key with its chart label, in panel order, over the members that have panels.
fn bound_keys(members: &[StudyMember]) -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = Vec::new();
    for member in members {
        if let Some(panel) = member.bounds.as_ref().and_then(|job| job.result.as_ref()) {
            for bound in &panel.bounds {
                if bound.value.is_some() && !keys.iter().any(|(key, _)| *key == bound.key) {
                    keys.push((bound.key.clone(), bound.short_name.clone()));
                }
            }
        }
    }
    keys
}

fn bound_value(member: &StudyMember, key: &str) -> Option<f64> {
    member
        .bounds
        .as_ref()
        .and_then(|job| job.result.as_ref())
        .and_then(|panel| panel.bounds.iter().find(|b| b.key == key))
        .and_then(|bound| bound.value)
}

#[component]
fn StudyView(study: Study) -> impl IntoView {
    let (variable, log_x) = match study.kind {
        StudyKind::Randomization => ("label corruption p", false),
        StudyKind::SampleSize => ("training examples n", true),
    };
    let grid: Vec<StudyMember> = study
        .members
        .iter()
        .filter(|m| m.on_grid)
        .cloned()
        .collect();
    let keys = bound_keys(&study.members);
    let training = study
        .members
        .iter()
        .map(|member| {
            Line::new(
                member.label.clone(),
                member
                    .experiment
                    .curves
                    .iter()
                    .map(|c| (c.steps as f64, c.train_accuracy))
                    .collect(),
            )
        })
        .collect::<Vec<_>>();
    let errors = vec![
        Line::new(
            "test error",
            grid.iter()
                .filter_map(|m| test_error(m).map(|e| (m.value, e)))
                .collect(),
        ),
        Line {
            dashed: true,
            ..Line::new(
                "training error",
                grid.iter()
                    .filter_map(|m| train_error(m).map(|e| (m.value, e)))
                    .collect(),
            )
        },
    ];
    let mut bounds: Vec<Line> = keys
        .iter()
        .map(|(key, label)| {
            Line::new(
                label.clone(),
                grid.iter()
                    .filter_map(|m| bound_value(m, key).map(|v| (m.value, v)))
                    .collect(),
            )
        })
        .collect();
    bounds.push(Line {
        dashed: true,
        ..Line::new(
            "test error",
            grid.iter()
                .filter_map(|m| test_error(m).map(|e| (m.value, e)))
                .collect(),
        )
    });
    let fit = vec![Line::new(
        "steps to fit",
        grid.iter()
            .filter_map(|m| {
                m.experiment
                    .metrics
                    .as_ref()
                    .and_then(|metrics| metrics.fitted_at_step)
                    .map(|steps| (m.value, steps as f64))
            })
            .collect(),
    )];
    let rows = study.members.clone();
    let header_keys = keys.clone();
    view! {
        <h1>{study.name.clone()}</h1>
        <p><StatusBadge status=study.status />{format!(" {:.0} % done", study.progress * 100.0)}</p>
        <ProgressBar fraction=study.progress />
        <table id="study-members">
            <tr>
                <th>"run"</th><th>"status"</th><th>"epochs"</th><th>"fitted at step"</th>
                <th>"train error"</th><th>"test error"</th>
                {header_keys.iter().map(|(_, label)| view! { <th>{label.clone()}</th> }).collect_view()}
            </tr>
            {rows.into_iter().map(|member| {
                let metrics = member.experiment.metrics.clone();
                let values: Vec<String> = keys
                    .iter()
                    .map(|(key, _)| bound_value(&member, key).map(number).unwrap_or_else(|| "…".into()))
                    .collect();
                view! {
                    <tr class="member" data-label=member.label.clone()>
                        <td><a href=format!("/experiments/{}", member.experiment.id)>{member.label.clone()}</a></td>
                        <td><StatusBadge status=member.experiment.status /></td>
                        <td>{metrics.as_ref().map(|m| m.epochs_run.to_string()).unwrap_or_default()}</td>
                        <td>{metrics.as_ref().and_then(|m| m.fitted_at_step).map(|s| s.to_string()).unwrap_or_else(|| "–".into())}</td>
                        <td>{train_error(&member).map(number).unwrap_or_default()}</td>
                        <td class="test-error">{test_error(&member).map(number).unwrap_or_default()}</td>
                        {values.into_iter().map(|v| view! { <td>{v}</td> }).collect_view()}
                    </tr>
                }
            }).collect_view()}
        </table>
        <div class="plots" id="study-plots">
            <div class="card">
                <LineChart title="Training accuracy during training".into() x_label="optimizer steps".into()
                    y_label="training accuracy".into() lines=training id="plot-training".into() />
            </div>
            <div class="card">
                <LineChart title=format!("Test and training error against {variable}") x_label=variable.into()
                    y_label="error".into() lines=errors log_x=log_x id="plot-errors".into() />
            </div>
            <div class="card">
                <LineChart title=format!("Bounds against {variable} (log scale)") x_label=variable.into()
                    y_label="bound on the test error".into() lines=bounds log_x=log_x log_y=true
                    reference=(1.0, "1: vacuous above".to_owned()) id="plot-bounds".into() />
            </div>
            {(study.kind == StudyKind::Randomization).then(|| view! {
                <div class="card">
                    <LineChart title="Time to fit against p".into() x_label=variable.into()
                        y_label="steps to the accuracy target".into() lines=fit id="plot-fit".into() />
                </div>
            })}
        </div>
    }
}
