//! The Replications page's rows: each claim of `science::replications::catalog` with memlab's
//! number read from this server's runs (the latest finished study of the claim's kind, every
//! bound panel with an optimized certificate, every scattering run on MNIST, every learned
//! symmetry on Glasses) and links to those runs.

use memlab_science::replications::catalog::{self, Source};
use memlab_science::replications::symmetry::Scored;
use memlab_science::replications::{Panel, Run, certificates, encoders, randomization, symmetry};
use memlab_shared::api::{Experiment, JobStatus, ModelKind};
use memlab_shared::replications::{Evidence, Replication};
use memlab_shared::studies::{Study, StudyKind, StudyMember};
use memlab_shared::symmetry::{SymmetryReport, SymmetryRequest};
use memlab_store::analyses::AnalysisKind;
use memlab_store::{self as store, DbError};

use crate::state::AppState;
use crate::studies;

/// A finished run as a claim reads it.
fn run(x: f64, member: &StudyMember) -> Option<Run> {
    let metrics = member.experiment.metrics.as_ref()?;
    (member.experiment.status == JobStatus::Done).then(|| Run {
        x,
        on_grid: member.on_grid,
        train_accuracy: member
            .experiment
            .curves
            .iter()
            .map(|epoch| epoch.train_accuracy)
            .collect(),
        test_accuracy: metrics.test_accuracy,
    })
}

/// A member's finished bound panel.
fn panel(member: &StudyMember) -> Option<Panel> {
    let job = member.bounds.as_ref()?;
    (job.status == JobStatus::Done)
        .then_some(job.result.as_ref())
        .flatten()
        .map(|result| Panel::of(member.value, result))
}

fn study_link(study: &Study) -> Evidence {
    Evidence {
        label: format!("study {}: {}", study.id, study.name),
        href: format!("/studies/{}", study.id),
    }
}

fn experiment_link(experiment: &Experiment) -> Evidence {
    Evidence {
        label: format!("experiment {}: {}", experiment.id, experiment.name),
        href: format!("/experiments/{}", experiment.id),
    }
}

/// The newest study of `kind` with at least one finished run.
fn latest(studies: &[Study], kind: StudyKind) -> Option<&Study> {
    studies
        .iter()
        .filter(|study| {
            study.kind == kind
                && study
                    .members
                    .iter()
                    .any(|m| m.experiment.status == JobStatus::Done)
        })
        .max_by_key(|study| (study.created_at, study.id))
}

/// What the server knows that the claims read.
struct Runs {
    studies: Vec<Study>,
    /// Finished experiments with their finished bound panel, when any.
    experiments: Vec<(Experiment, Option<Panel>)>,
    /// Finished learned symmetries on Glasses runs: the run and the report.
    symmetries: Vec<(Experiment, SymmetryReport)>,
}

async fn gather(state: &AppState) -> Result<Runs, DbError> {
    let mut studies = Vec::new();
    for row in store::studies::list(&state.pool).await? {
        studies.push(studies::view(state, row).await?);
    }
    let mut experiments = Vec::new();
    let mut symmetries = Vec::new();
    for experiment in store::experiments::list(&state.pool).await? {
        if experiment.status != JobStatus::Done {
            continue;
        }
        let panel = store::analyses::bound_job(&state.pool, experiment.id)
            .await?
            .filter(|job| job.status == JobStatus::Done)
            .and_then(|job| job.result)
            .map(|result| Panel::of(0.0, &result));
        if experiment.config.dataset == memlab_science::data::glasses::NAME {
            for kind in [
                AnalysisKind::SymmetryFromPhi,
                AnalysisKind::SymmetryFromLabels,
            ] {
                let job = store::analyses::get::<SymmetryRequest, SymmetryReport>(
                    &state.pool,
                    experiment.id,
                    kind,
                )
                .await?;
                if let Some(report) = job
                    .filter(|job| job.status == JobStatus::Done)
                    .and_then(|job| job.result)
                {
                    symmetries.push((experiment.clone(), report));
                }
            }
        }
        experiments.push((experiment, panel));
    }
    Ok(Runs {
        studies,
        experiments,
        symmetries,
    })
}

/// Every claim with memlab's number and its runs.
pub async fn rows(state: &AppState) -> Result<Vec<Replication>, DbError> {
    let runs = gather(state).await?;
    Ok(catalog::claims()
        .into_iter()
        .map(|claim| {
            let mut row = claim.row;
            let (measured, evidence) = measure(&row.key, claim.source, &runs);
            row.measured = measured;
            row.evidence = evidence;
            row
        })
        .collect())
}

type Measurement = (Option<memlab_shared::replications::Measured>, Vec<Evidence>);

fn measure(key: &str, source: Source, runs: &Runs) -> Measurement {
    match source {
        Source::Randomization => {
            let Some(study) = latest(&runs.studies, StudyKind::Randomization) else {
                return (None, Vec::new());
            };
            let measured = if key == "zhang-fit" {
                let finished: Vec<Run> = study
                    .members
                    .iter()
                    .filter_map(|m| run(m.value, m))
                    .collect();
                randomization::fit(&finished, study.request.base.model.label())
            } else {
                let panels: Vec<Panel> = study
                    .members
                    .iter()
                    .filter(|m| m.on_grid)
                    .filter_map(panel)
                    .collect();
                randomization::bounds(&panels)
            };
            (measured, vec![study_link(study)])
        }
        Source::SampleSize => {
            let Some(study) = latest(&runs.studies, StudyKind::SampleSize) else {
                return (None, Vec::new());
            };
            let panels: Vec<Panel> = study.members.iter().filter_map(panel).collect();
            let measured = if key == "jiang" {
                certificates::ranking(&panels)
            } else {
                let grid: Vec<Panel> = study
                    .members
                    .iter()
                    .filter(|m| m.on_grid)
                    .filter_map(panel)
                    .collect();
                certificates::sample_size(&grid)
            };
            (measured, vec![study_link(study)])
        }
        Source::PatchWhitening => {
            let Some(study) = latest(&runs.studies, StudyKind::PatchWhitening) else {
                return (None, Vec::new());
            };
            let grid: Vec<Run> = study
                .members
                .iter()
                .filter(|m| m.experiment.config.patches.whitening.is_some())
                .filter_map(|m| run(m.value, m))
                .collect();
            let unwhitened = study
                .members
                .iter()
                .find(|m| m.experiment.config.patches.whitening.is_none())
                .and_then(|m| run(m.value, m));
            (
                encoders::whitening(&grid, unwhitened.as_ref()),
                vec![study_link(study)],
            )
        }
        Source::PatchAtoms => {
            let Some(study) = latest(&runs.studies, StudyKind::PatchAtoms) else {
                return (None, Vec::new());
            };
            let grid: Vec<Run> = study
                .members
                .iter()
                .filter_map(|m| run(m.value, m))
                .collect();
            (encoders::atoms(&grid), vec![study_link(study)])
        }
        Source::Certificates => {
            let with: Vec<&(Experiment, Option<Panel>)> = runs
                .experiments
                .iter()
                .filter(|(e, p)| {
                    e.config.dataset == "mnist"
                        && p.as_ref().is_some_and(|p| p.certificate().is_some())
                })
                .collect();
            let evidence = with.iter().map(|(e, _)| experiment_link(e)).collect();
            let named: Vec<(String, Panel)> = with
                .iter()
                .filter_map(|(e, p)| Some((e.name.clone(), p.clone()?)))
                .collect();
            let measured = if key == "perez-ortiz" {
                certificates::data_prior(&merged_by_config(&with))
            } else {
                certificates::non_vacuous(&named)
            };
            (measured, evidence)
        }
        Source::Scattering => {
            let scattering: Vec<&Experiment> = runs
                .experiments
                .iter()
                .map(|(e, _)| e)
                .filter(|e| e.config.model == ModelKind::Scattering && e.config.dataset == "mnist")
                .collect();
            let accuracies: Vec<(String, f64)> = scattering
                .iter()
                .filter_map(|e| Some((e.name.clone(), e.metrics.as_ref()?.test_accuracy)))
                .collect();
            (
                encoders::scattering(&accuracies),
                scattering.iter().map(|e| experiment_link(e)).collect(),
            )
        }
        Source::Symmetry => {
            let scored: Vec<Scored> = runs
                .symmetries
                .iter()
                .filter_map(|(experiment, report)| {
                    let truth = report.ground_truth.as_ref()?;
                    Some(Scored {
                        name: format!("{} (experiment {})", report.mode.label(), experiment.id),
                        on_to_off: truth.toggle_on_to_off,
                        off_to_on: truth.toggle_off_to_on,
                        identity_kept: truth.identity_kept,
                        prediction_kept: report.prediction_kept,
                    })
                })
                .collect();
            let mut evidence: Vec<Evidence> = runs
                .symmetries
                .iter()
                .map(|(experiment, _)| experiment_link(experiment))
                .collect();
            evidence.dedup();
            (symmetry::glasses(&scored), evidence)
        }
    }
}

/// Panels of runs with the same configuration (all but the name), their bounds together: a
/// network whose data-free and data-dependent certificates were computed on two copies.
fn merged_by_config(with: &[&(Experiment, Option<Panel>)]) -> Vec<(String, Panel)> {
    let mut merged: Vec<(String, memlab_shared::api::ExperimentConfig, Panel)> = Vec::new();
    for (experiment, panel) in with {
        let Some(panel) = panel else { continue };
        let mut config = experiment.config.clone();
        config.name = None;
        match merged.iter_mut().find(|(_, c, _)| *c == config) {
            Some((_, _, into)) => {
                for bound in &panel.bounds {
                    if into.value(&bound.0).is_none() {
                        into.bounds.push(bound.clone());
                    }
                }
            }
            None => merged.push((experiment.name.clone(), config, panel.clone())),
        }
    }
    merged
        .into_iter()
        .map(|(name, _, panel)| (name, panel))
        .collect()
}
