//! The runs each replicable claim needs (studies and plain runs, at a reduced size for this
//! CPU, or `quick` smaller still), and queueing them: the Replications page's admin button and
//! `memlab replicate` both come here.

use memlab_science::replications::randomization::FIT_ACCURACY;
use memlab_shared::api::{
    ExperimentConfig, InputRandomization, JobStatus, ModelKind, PatchSettings,
};
use memlab_shared::bounds::{PacBayesPrior, PacBayesRequest};
use memlab_shared::replications::Evidence;
use memlab_shared::studies::{StudyKind, StudyRequest};
use memlab_store as store;

use crate::error::AppError;
use crate::state::AppState;
use crate::studies;

/// What a claim's runs are.
#[derive(Debug, Clone, PartialEq)]
pub enum Recipe {
    /// A study (its members train, then their panels are computed).
    Study(Box<StudyRequest>),
    /// One training run.
    Run(Box<ExperimentConfig>),
}

/// An MLP on the first `n` MNIST training images, seed 1, Adam 1e-3 (the demo's other
/// settings).
fn mlp(n: usize, epochs: usize) -> ExperimentConfig {
    ExperimentConfig {
        name: None,
        model: ModelKind::Mlp,
        n_train: Some(n),
        epochs,
        seed: 1,
        learning_rate: 1e-3,
        ..crate::demo::demo_config(&crate::demo::DemoSettings::default())
    }
}

fn pac_bayes(prior: PacBayesPrior) -> Option<PacBayesRequest> {
    Some(PacBayesRequest {
        prior: Some(prior),
        ..Default::default()
    })
}

fn study(kind: StudyKind, name: &str, base: ExperimentConfig) -> StudyRequest {
    StudyRequest {
        name: Some(name.into()),
        kind,
        base,
        label_corruptions: Vec::new(),
        input_variants: Vec::new(),
        sizes: Vec::new(),
        augmentations: Vec::new(),
        values: Vec::new(),
        bounds: Some(true),
        pac_bayes: None,
    }
}

/// The sample-size grid of the certificate claims.
fn sizes(quick: bool) -> Vec<usize> {
    if quick {
        vec![500, 1000, 2000, 4000]
    } else {
        vec![1000, 2000, 4000, 8000, 16000]
    }
}

/// The runs of claim `key` (empty for one the page cannot queue).
pub fn recipes(key: &str, quick: bool) -> Vec<Recipe> {
    let n = if quick { 2000 } else { 5000 };
    match key {
        "zhang-fit" | "zhang-bounds" => {
            let mut request = study(
                StudyKind::Randomization,
                "Replication: randomization (Zhang et al.)",
                ExperimentConfig {
                    stop_at_train_accuracy: Some(FIT_ACCURACY),
                    ..mlp(n, 200)
                },
            );
            request.label_corruptions = vec![0.0, 0.5, 1.0];
            request.input_variants = if quick {
                vec![InputRandomization::RandomPixels]
            } else {
                vec![
                    InputRandomization::ShuffledPixels,
                    InputRandomization::RandomPixels,
                    InputRandomization::Gaussian,
                ]
            };
            request.pac_bayes = pac_bayes(PacBayesPrior::DataDependent);
            vec![Recipe::Study(Box::new(request))]
        }
        "dziugaite-roy" | "nagarajan-kolter" | "jiang" => {
            let mut request = study(
                StudyKind::SampleSize,
                "Replication: sample size (Nagarajan & Kolter, Jiang et al., Dziugaite & Roy)",
                mlp(n, 10),
            );
            request.sizes = sizes(quick);
            request.pac_bayes = pac_bayes(PacBayesPrior::Initialization);
            vec![Recipe::Study(Box::new(request))]
        }
        "perez-ortiz" => [PacBayesPrior::Initialization, PacBayesPrior::DataDependent]
            .into_iter()
            .map(|prior| {
                let mut request = study(
                    StudyKind::SampleSize,
                    &format!(
                        "Replication: {} prior (Pérez-Ortiz et al.)",
                        match prior {
                            PacBayesPrior::Initialization => "data-free",
                            PacBayesPrior::DataDependent => "data-dependent",
                        }
                    ),
                    mlp(n, 10),
                );
                request.sizes = vec![n];
                request.pac_bayes = pac_bayes(prior);
                Recipe::Study(Box::new(request))
            })
            .collect(),
        "thiry-whitening" | "thiry-atoms" => {
            let kind = if key == "thiry-whitening" {
                StudyKind::PatchWhitening
            } else {
                StudyKind::PatchAtoms
            };
            let base = ExperimentConfig {
                model: ModelKind::Patches,
                patches: PatchSettings {
                    atoms: if quick { 128 } else { 256 },
                    ..Default::default()
                },
                ..mlp(if quick { 5000 } else { 20000 }, 5)
            };
            let mut request = study(
                kind,
                &format!("Replication: {} (Thiry et al.)", kind.as_str()),
                base,
            );
            request.bounds = Some(false);
            if kind == StudyKind::PatchAtoms {
                request.values = if quick {
                    vec![32.0, 64.0, 128.0]
                } else {
                    vec![64.0, 128.0, 256.0, 512.0]
                };
            }
            vec![Recipe::Study(Box::new(request))]
        }
        "scattering" => vec![Recipe::Run(Box::new(ExperimentConfig {
            name: Some("Replication: scattering + linear head on MNIST".into()),
            model: ModelKind::Scattering,
            n_train: if quick { Some(10000) } else { None },
            ..mlp(0, 5)
        }))],
        _ => Vec::new(),
    }
}

/// Where a recipe's runs are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A study's id.
    Study(i64),
    /// A run's id.
    Experiment(i64),
}

/// Queues `recipe` on `state` and says where its runs are; a study or run with the same
/// request already queued, running or finished is not queued twice.
pub async fn queue(state: &AppState, recipe: &Recipe) -> Result<(Evidence, Target), AppError> {
    match recipe {
        Recipe::Study(request) => {
            for row in store::studies::list(&state.pool).await? {
                if row.request == **request {
                    let view = studies::view(state, row).await?;
                    if view.status != JobStatus::Failed {
                        return Ok((
                            Evidence {
                                label: format!("study {}: {}", view.id, view.name),
                                href: format!("/studies/{}", view.id),
                            },
                            Target::Study(view.id),
                        ));
                    }
                }
            }
            let id = crate::queue::create_study(state, request).await?;
            state.wake.all();
            let name = request.name.clone().unwrap_or_default();
            Ok((
                Evidence {
                    label: format!("study {id}: {name}"),
                    href: format!("/studies/{id}"),
                },
                Target::Study(id),
            ))
        }
        Recipe::Run(config) => {
            for experiment in store::experiments::list(&state.pool).await? {
                if experiment.config == **config && experiment.status != JobStatus::Failed {
                    return Ok((
                        Evidence {
                            label: format!("experiment {}: {}", experiment.id, experiment.name),
                            href: format!("/experiments/{}", experiment.id),
                        },
                        Target::Experiment(experiment.id),
                    ));
                }
            }
            let id = crate::queue::create_experiment(state, config).await?;
            let name = config.name.clone().unwrap_or_default();
            state.wake.all();
            Ok((
                Evidence {
                    label: format!("experiment {id}: {name}"),
                    href: format!("/experiments/{id}"),
                },
                Target::Experiment(id),
            ))
        }
    }
}

/// Whether the runs of `target` are over (finished, failed or interrupted), bound panels and
/// all.
pub async fn settled(state: &AppState, target: Target) -> Result<bool, AppError> {
    let over = |status: JobStatus| !matches!(status, JobStatus::Queued | JobStatus::Running);
    Ok(match target {
        Target::Study(id) => match store::studies::get(&state.pool, id).await? {
            Some(row) => over(studies::view(state, row).await?.status),
            None => true,
        },
        Target::Experiment(id) => store::experiments::get(&state.pool, id)
            .await?
            .is_none_or(|experiment| over(experiment.status)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every runnable claim of the catalog has runs; the symmetry has none (it is learned
    /// from a Glasses run's page); unknown keys have none.
    #[test]
    fn every_runnable_claim_has_a_recipe() {
        for claim in memlab_science::replications::catalog::claims() {
            for quick in [true, false] {
                let recipes = recipes(&claim.row.key, quick);
                assert_eq!(!recipes.is_empty(), claim.row.runnable, "{}", claim.row.key);
            }
        }
        assert!(recipes("nonsense", true).is_empty());
        // The two Zhang claims share one study.
        assert_eq!(recipes("zhang-fit", true), recipes("zhang-bounds", true));
    }
}
