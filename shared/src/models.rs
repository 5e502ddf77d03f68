//! The models page's table: for each data set, the best finished run of each architecture
//! (highest test accuracy), next to each other, with what each trains and how big it is.

use serde::{Deserialize, Serialize};

use crate::api::{Experiment, JobStatus, ModelKind};
use crate::model::ClassifierConfig;

/// One architecture's best run on one data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelRow {
    /// The data set.
    pub dataset: String,
    /// The architecture.
    pub model: ModelKind,
    /// The architecture with its head, e.g. `Scattering + linear` (rows are per this label).
    pub architecture: String,
    /// The run.
    pub experiment: i64,
    /// The run's name.
    pub name: String,
    /// Its test accuracy.
    pub test_accuracy: f64,
    /// Its training accuracy (final weights).
    pub train_accuracy: f64,
    /// Training examples it used (`None`: the whole training split).
    pub n_train: Option<usize>,
    /// Parameters that training changes (for the patch model: the head only).
    pub trained_parameters: usize,
    /// All parameters, fixed ones included.
    pub parameters: usize,
    /// Training time in seconds.
    pub seconds: f64,
    /// Finished runs of this architecture on this data set.
    pub runs: usize,
    /// The architecture's settings, for people.
    pub settings: String,
}

/// Parameters training changes: every parameter, except for the fixed-encoder models. The
/// patch model trains its head, `classes × (encoding + 1)`, or with a hidden layer of width h
/// `h × (encoding + 1) + classes × (h + 1)`; the scattering network its linear classifier on
/// the C coefficient maps of size s, `classes × (C·s + 1)`, or with the hybrid CNN of width w
/// `w(9C + 1) + w(9w + 1) + classes × (w·s + 1)`.
pub fn trained_parameters(model: &ClassifierConfig, parameters: usize) -> usize {
    match model {
        ClassifierConfig::Patches(config) => match config.hidden {
            Some(width) => width * (config.encoding_len() + 1) + config.num_classes * (width + 1),
            None => config.num_classes * (config.encoding_len() + 1),
        },
        ClassifierConfig::Scattering(config) => {
            let channels = config.map_channels();
            let [rows, columns] = config.scattering().output_size();
            let map = rows * columns;
            match config.hidden {
                Some(width) => {
                    width * (9 * channels + 1)
                        + width * (9 * width + 1)
                        + config.num_classes * (width * map + 1)
                }
                None => config.num_classes * (channels * map + 1),
            }
        }
        _ => parameters,
    }
}

/// The architecture with its head, as the models page names it.
pub fn architecture(config: &crate::api::ExperimentConfig) -> String {
    match config.model {
        ModelKind::Patches if config.patches.hidden.is_some() => {
            "Whitened patches + hidden layer".into()
        }
        ModelKind::Patches => "Whitened patches + linear".into(),
        ModelKind::Scattering if config.scattering.hidden.is_some() => {
            "Scattering + CNN (hybrid)".into()
        }
        ModelKind::Scattering => "Scattering + linear".into(),
        other => other.label().into(),
    }
}

/// The best finished run (highest test accuracy; the earliest on ties) of each architecture
/// on each data set, among runs on real data (no randomization test), sorted by data set and
/// then by test accuracy, best first.
pub fn best_models(experiments: &[Experiment]) -> Vec<ModelRow> {
    let mut rows: Vec<ModelRow> = Vec::new();
    let mut finished: Vec<&Experiment> = experiments
        .iter()
        .filter(|e| e.status == JobStatus::Done && e.config.randomization.is_none())
        .collect();
    finished.sort_by_key(|e| e.id);
    for experiment in finished {
        let (Some(metrics), Some(model)) = (&experiment.metrics, &experiment.model) else {
            continue;
        };
        let config = &experiment.config;
        let settings = match config.model {
            ModelKind::Patches => config.patches.describe(),
            ModelKind::Scattering => config.scattering.describe(),
            _ if !config.augmentation.is_none() => {
                format!("augmentation: {}", config.augmentation.describe())
            }
            _ => String::new(),
        };
        let row = ModelRow {
            dataset: config.dataset.clone(),
            model: config.model,
            architecture: architecture(config),
            experiment: experiment.id,
            name: experiment.name.clone(),
            test_accuracy: metrics.test_accuracy,
            train_accuracy: metrics.train_accuracy,
            n_train: config.n_train,
            trained_parameters: trained_parameters(model, metrics.n_parameters),
            parameters: metrics.n_parameters,
            seconds: metrics.train_seconds,
            runs: 1,
            settings,
        };
        match rows
            .iter_mut()
            .find(|r| r.dataset == row.dataset && r.architecture == row.architecture)
        {
            Some(best) => {
                let runs = best.runs + 1;
                if row.test_accuracy > best.test_accuracy {
                    *best = row;
                }
                best.runs = runs;
            }
            None => rows.push(row),
        }
    }
    rows.sort_by(|a, b| {
        a.dataset
            .cmp(&b.dataset)
            .then(b.test_accuracy.total_cmp(&a.test_accuracy))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{ExperimentConfig, FinalMetrics, OptimizerKind, PatchSettings};
    use crate::model::{LeNetConfig, PatchNetConfig};

    fn run(
        id: i64,
        dataset: &str,
        model: ModelKind,
        accuracy: f64,
        status: JobStatus,
    ) -> Experiment {
        let config = ExperimentConfig {
            name: None,
            dataset: dataset.into(),
            model,
            n_train: None,
            epochs: 1,
            seed: 0,
            learning_rate: 0.1,
            batch_size: 8,
            optimizer: OptimizerKind::Adam,
            randomization: Default::default(),
            stop_at_train_accuracy: None,
            augmentation: Default::default(),
            patches: PatchSettings {
                atoms: 10,
                grid: 2,
                ..Default::default()
            },
            scattering: Default::default(),
        };
        let architecture = match model {
            ModelKind::Patches => {
                ClassifierConfig::Patches(PatchNetConfig::new(1, 28, 28, 10, 5, 10, 4, 2, 100))
            }
            _ => ClassifierConfig::Lenet(LeNetConfig::new(1, 28, 28, 10)),
        };
        Experiment {
            id,
            name: format!("run {id}"),
            config,
            status,
            created_at: 0,
            curves: Vec::new(),
            metrics: Some(FinalMetrics {
                train_loss: 0.0,
                train_accuracy: 1.0,
                test_loss: 0.0,
                test_accuracy: accuracy,
                n_parameters: 1000,
                train_seconds: 1.0,
                epochs_run: 1,
                fitted_at_step: None,
            }),
            progress: None,
            error: None,
            model: Some(architecture),
            input: None,
            class_names: Vec::new(),
            study_id: None,
            resumed_from_epoch: None,
        }
    }

    #[test]
    fn the_best_finished_run_of_each_architecture_per_data_set() {
        let mut corrupted = run(6, "mnist", ModelKind::Lenet, 0.99, JobStatus::Done);
        corrupted.config.randomization.label_corruption = 0.5;
        let experiments = vec![
            run(1, "mnist", ModelKind::Lenet, 0.97, JobStatus::Done),
            run(2, "mnist", ModelKind::Lenet, 0.98, JobStatus::Done),
            run(3, "mnist", ModelKind::Patches, 0.975, JobStatus::Done),
            run(4, "mnist", ModelKind::Lenet, 0.995, JobStatus::Running),
            run(5, "fashion-mnist", ModelKind::Lenet, 0.9, JobStatus::Done),
            corrupted,
            run(7, "mnist", ModelKind::Patches, 0.975, JobStatus::Done),
        ];
        let rows = best_models(&experiments);
        let summary: Vec<(&str, ModelKind, i64, usize)> = rows
            .iter()
            .map(|r| (r.dataset.as_str(), r.model, r.experiment, r.runs))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("fashion-mnist", ModelKind::Lenet, 5, 1),
                ("mnist", ModelKind::Lenet, 2, 2),
                ("mnist", ModelKind::Patches, 3, 2),
            ]
        );
        // The patch model trains only its head: 10 classes × (2 · 10 atoms · 2² + 1).
        assert_eq!(rows[2].trained_parameters, 10 * 81);
        assert_eq!(rows[1].trained_parameters, 1000);
        // With a hidden layer of 5: 5 × (80 + 1) + 10 × (5 + 1).
        let deeper = PatchNetConfig::new(1, 28, 28, 10, 5, 10, 4, 2, 100).with_hidden(Some(5));
        assert_eq!(
            trained_parameters(&ClassifierConfig::Patches(deeper), 0),
            5 * 81 + 10 * 6
        );
        assert!(rows[2].settings.contains("Q = 10"), "{}", rows[2].settings);
        assert_eq!(rows[2].architecture, "Whitened patches + linear");
    }

    #[test]
    fn a_scattering_network_trains_the_layers_after_the_transform() {
        use crate::model::{ClassifierConfig, ScatterNetConfig};
        // 28×28, J = 2, L = 8: 81 maps of 7×7.
        let linear = ScatterNetConfig::new(1, 28, 28, 10, 2, 8, 100);
        let total = |config: &ScatterNetConfig| {
            use burn::module::Module;
            config.init(&burn::tensor::Device::flex()).num_params()
        };
        let fixed = total(&linear) - 10 * (81 * 49 + 1);
        assert_eq!(
            trained_parameters(&ClassifierConfig::Scattering(linear.clone()), 0),
            10 * (81 * 49 + 1)
        );
        // The hybrid CNN of width 4 adds its two convolutions; the fixed part is the same.
        let hybrid = linear.with_hidden(Some(4));
        let trained = trained_parameters(&ClassifierConfig::Scattering(hybrid.clone()), 0);
        assert_eq!(
            trained,
            4 * (9 * 81 + 1) + 4 * (9 * 4 + 1) + 10 * (4 * 49 + 1)
        );
        assert_eq!(total(&hybrid) - trained, fixed);
    }
}
