//! One study: its runs in a table and its plots (training accuracy against steps, steps to fit,
//! test error and every bound against the grid), refreshed while it runs.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use memlab_shared::api::JobStatus;
use memlab_shared::probes::ProbeReport;
use memlab_shared::studies::{Study, StudyKind, StudyMember};
use memlab_shared::transform::TransformKind;

use crate::api;
use crate::components::line_chart::Line;
use crate::components::{LineChart, ProgressBar, StatusBadge, number};
use crate::page_error::PageError;

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
            {move || study.get().map(|result| {
                result.map_err(PageError::Load).map(|study| view! { <StudyView study /> })
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
    let (variable, log_x) = study.kind.variable();
    let augmentation = study.kind == StudyKind::Augmentation;
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
        {augmentation.then(|| view! { <InvarianceView study=study.clone() /> })}
        <div class="plots" id="study-plots">
            <div class="card">
                <LineChart title="Training accuracy during training".into() x_label="optimizer steps".into()
                    y_label="training accuracy".into() lines=training id="plot-training".into() />
            </div>
            {(!augmentation).then(|| view! {
            <div class="card">
                <LineChart title=format!("Test and training error against {variable}") x_label=variable.into()
                    y_label="error".into() lines=errors log_x=log_x id="plot-errors".into() />
            </div>
            <div class="card">
                <LineChart title=format!("Bounds against {variable} (log scale)") x_label=variable.into()
                    y_label="bound on the test error".into() lines=bounds log_x=log_x log_y=true
                    reference=(1.0, "1: vacuous above".to_owned()) id="plot-bounds".into() />
            </div>
            })}
            {(study.kind == StudyKind::Randomization).then(|| view! {
                <div class="card">
                    <LineChart title="Time to fit against p".into() x_label=variable.into()
                        y_label="steps to the accuracy target".into() lines=fit id="plot-fit".into() />
                </div>
            })}
        </div>
    }
}

/// Augmentation studies: what augmentation did to invariance (the server's comparisons), the
/// mean consistency of every member under every probed transform, and the consistency curves
/// of the transforms the augmentations include, one line per member.
#[component]
fn InvarianceView(study: Study) -> impl IntoView {
    let reports: Vec<(String, ProbeReport)> = study
        .members
        .iter()
        .filter_map(|member| {
            let report = member.probes.as_ref().and_then(|job| job.result.clone())?;
            Some((member.label.clone(), report))
        })
        .collect();
    let transforms: Vec<TransformKind> = reports
        .first()
        .map(|(_, report)| {
            report
                .curves
                .iter()
                .map(|curve| curve.sweep.transform)
                .collect()
        })
        .unwrap_or_default();
    let mut charted: Vec<TransformKind> = Vec::new();
    for comparison in &study.comparisons {
        if !charted.contains(&comparison.transform) {
            charted.push(comparison.transform);
        }
    }
    let charts = charted
        .into_iter()
        .map(|transform| {
            let lines: Vec<Line> = reports
                .iter()
                .filter_map(|(label, report)| {
                    let curve = report.curves.iter().find(|c| c.sweep.transform == transform)?;
                    Some(Line::new(
                        label.clone(),
                        curve.parameters.iter().copied().zip(curve.consistency.iter().copied()).collect(),
                    ))
                })
                .collect();
            let slug = format!("{transform:?}").to_lowercase();
            view! {
                <div class="card">
                    <LineChart title=format!("Consistency under {}", transform.label())
                        x_label=format!("{} ({})", transform.label(), transform.unit())
                        y_label="prediction consistency".into() lines id=format!("plot-consistency-{slug}") />
                </div>
            }
        })
        .collect_view();
    let header = transforms.clone();
    view! {
        <div class="card" id="study-findings">
            <h3>"What augmentation did to invariance"</h3>
            {if study.comparisons.is_empty() {
                view! { <p class="muted">"Waiting for the members' probes."</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {study.comparisons.iter().map(|c| view! { <li class="finding">{c.sentence()}</li> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <table id="study-consistency">
                <tr>
                    <th>"run"</th><th>"accuracy"</th>
                    {header.iter().map(|t| view! { <th>{t.label()}</th> }).collect_view()}
                </tr>
                {reports.iter().map(|(label, report)| view! {
                    <tr>
                        <td>{label.clone()}</td>
                        <td>{format!("{:.3}", report.accuracy)}</td>
                        {transforms.iter().map(|&t| {
                            let mean = report.curves.iter().find(|c| c.sweep.transform == t).map(|c| c.mean_consistency());
                            view! { <td>{mean.map(|m| format!("{m:.3}")).unwrap_or_default()}</td> }
                        }).collect_view()}
                    </tr>
                }).collect_view()}
            </table>
            <p class="muted">"Mean prediction consistency over each probe's sweep (500 test images)."</p>
            <h4>"Most invariant Lie generator"</h4>
            <table id="study-lie">
                <tr><th>"run"</th><th>"closest canonical generator"</th><th>"cosine to rotation"</th><th>"sensitivity"</th></tr>
                {study.members.iter().filter_map(|member| {
                    let report = member.lie.as_ref().and_then(|job| job.result.clone())?;
                    let best = report.generators.first()?.clone();
                    Some(view! {
                        <tr class="lie-row" data-label=member.label.clone()>
                            <td>{member.label.clone()}</td>
                            <td>{best.closest.clone()}</td>
                            <td class="rotation-cosine">{format!("{:.3}", best.cosines[2])}</td>
                            <td>{format!("{:.4}", best.sensitivity)}</td>
                        </tr>
                    })
                }).collect_view()}
            </table>
        </div>
        <div class="plots">{charts}</div>
    }
}
