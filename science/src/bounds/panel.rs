//! The bound panel of one trained network: forward passes for margins and errors, per-layer
//! norms, then every bound, with progress reported as it goes.

use std::time::Instant;

use burn::prelude::*;
use memlab_shared::api::ExperimentConfig;
use memlab_shared::bounds::{BoundPanel, LayerNorms, MarginSummary};
use memlab_shared::model::{Classifier, ClassifierConfig};
use memlab_shared::preprocess::InputSpec;

use super::bft::{Reference, bft_bound};
use super::encoded;
use super::facts::{Facts, LayerFacts};
use super::linear_pac_bayes::{DataPrior, LinearHead, data_prior_bounds, linear_pac_bayes_bounds};
use super::margin::margins;
use super::nbs::nbs_bound;
use super::network::{Activation, Layer, Network};
use super::rademacher::{NormBound, norm_bound};
use super::vc::vc_bound;
use crate::batch::batch;
use crate::bounds::posterior::{PacBayesSettings, optimize_and_certify};
use crate::data::{Dataset, Split};

/// Examples per forward pass.
const BATCH: usize = 1000;

/// What the panel is computed for.
pub struct PanelInput<'a> {
    /// The data set the network was trained on.
    pub dataset: &'a Dataset,
    /// The trained network.
    pub model: &'a Classifier,
    /// The same network before training.
    pub initial: &'a Classifier,
    /// Its architecture (a fixed encoder's own training images are left out of the bounds).
    pub model_config: &'a ClassifierConfig,
    /// The run's config: a data-dependent prior head is trained with its recipe.
    pub run: &'a ExperimentConfig,
    /// The training examples used (the first `n_train` of the training split).
    pub n_train: usize,
    /// Confidence parameter.
    pub delta: f64,
    /// Also optimize and certify a PAC-Bayes posterior.
    pub pac_bayes: Option<PacBayesSettings>,
    /// Where forward passes and power iterations run.
    pub device: &'a Device,
    /// A name for `device`.
    pub device_name: &'a str,
}

/// Margins of the examples `range` of `split`, and Σ‖xᵢ‖², max ‖xᵢ‖² of what the theorems'
/// network reads: the normalized pixels, or a fixed encoder's standardized encoding.
/// What one pass over a sample gives.
struct Pass {
    /// Margins.
    margins: Vec<f64>,
    /// Σ‖xᵢ‖².
    sum: f64,
    /// max ‖xᵢ‖².
    max: f64,
    /// Logits, row-major.
    logits: Vec<f64>,
    /// ‖xᵢ‖² of each input.
    norms: Vec<f64>,
    /// Labels.
    labels: Vec<usize>,
    /// The encodings of the first `keep` examples (fixed-encoder models), row-major.
    kept: Vec<f32>,
}

/// Which examples a pass reads: `range` of `split`, keeping the encodings of the first `keep`.
struct Sample<'a> {
    split: &'a Split,
    range: std::ops::Range<usize>,
    keep: usize,
}

fn pass(
    model: &Classifier,
    Sample { split, range, keep }: Sample<'_>,
    spec: &InputSpec,
    classes: usize,
    device: &Device,
    progress: &mut dyn FnMut(f64),
) -> Pass {
    let mut kept = Vec::new();
    let count = range.len();
    let mut all = Vec::with_capacity(count);
    let (mut sum, mut max) = (0.0f64, 0.0f64);
    let mut all_logits = Vec::with_capacity(count * classes);
    let mut norms = Vec::with_capacity(count);
    let indices: Vec<usize> = range.collect();
    for chunk in indices.chunks(BATCH) {
        let logits = match encoded::encode_batch(model, split, spec, chunk, device) {
            Some(encoding) => {
                let rows: Vec<f32> = encoding
                    .clone()
                    .into_data()
                    .try_into_vec()
                    .unwrap_or_default();
                for row in rows.chunks(rows.len() / chunk.len().max(1)) {
                    let norm: f64 = row.iter().map(|&v| f64::from(v).powi(2)).sum();
                    sum += norm;
                    max = max.max(norm);
                    if norms.len() < keep {
                        kept.extend_from_slice(row);
                    }
                    norms.push(norm);
                }
                model
                    .logits_of_encoding(encoding)
                    .expect("a model with an encoding has logits of it")
            }
            None => {
                for &index in chunk {
                    let norm = squared_norm(split.image(index), spec);
                    sum += norm;
                    max = max.max(norm);
                    norms.push(norm);
                }
                model.forward(batch(split, spec, chunk, device).0)
            }
        };
        let logits: Vec<f32> = logits.into_data().try_into_vec().unwrap_or_default();
        let labels: Vec<u8> = chunk.iter().map(|&index| split.labels[index]).collect();
        all.extend(margins(&logits, &labels, classes));
        all_logits.extend(logits.iter().map(|&v| f64::from(v)));
        progress(all.len() as f64 / count.max(1) as f64);
    }
    Pass {
        margins: all,
        sum,
        max,
        logits: all_logits,
        norms,
        labels: range_labels(split, &indices),
        kept,
    }
}

fn range_labels(split: &Split, indices: &[usize]) -> Vec<usize> {
    indices
        .iter()
        .map(|&index| usize::from(split.labels[index]))
        .collect()
}

/// ‖x‖² of one 8-bit image after normalization (as [`batch`] computes it), by a table of the
/// 256 values per channel.
fn squared_norm(image: &[u8], spec: &InputSpec) -> f64 {
    let plane = spec.height * spec.width;
    let mut total = 0.0;
    for (channel, pixels) in image.chunks(plane).enumerate() {
        let (mean, std) = (spec.mean[channel], spec.std[channel]);
        let mut counts = [0u32; 256];
        for &byte in pixels {
            counts[usize::from(byte)] += 1;
        }
        for (byte, &count) in counts.iter().enumerate() {
            if count > 0 {
                let value = f64::from((byte as f32 / 255.0 - mean) / std);
                total += value * value * f64::from(count);
            }
        }
    }
    total
}

/// sup ‖x‖₂ over every input with pixel values in [0, 1], after normalization.
pub fn domain_norm(spec: &InputSpec) -> f64 {
    let plane = (spec.height * spec.width) as f64;
    (0..spec.channels)
        .map(|c| {
            let (mean, std) = (f64::from(spec.mean[c]), f64::from(spec.std[c]));
            let extreme = mean.abs().max((1.0 - mean).abs()) / std;
            extreme * extreme * plane
        })
        .sum::<f64>()
        .sqrt()
}

fn fraction_non_positive(margins: &[f64]) -> f64 {
    margins.iter().filter(|&&m| m <= 0.0).count() as f64 / margins.len().max(1) as f64
}

fn summary(margins: &[f64]) -> MarginSummary {
    let mut sorted = margins.to_vec();
    sorted.sort_by(f64::total_cmp);
    let quantiles = [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]
        .into_iter()
        .filter(|_| !sorted.is_empty())
        .map(|q| {
            let index = ((sorted.len() - 1) as f64 * q).round() as usize;
            (q, sorted[index])
        })
        .collect();
    MarginSummary {
        quantiles,
        fraction_non_positive: fraction_non_positive(margins),
    }
}

/// Examples of the sample (its first ones) whose encodings train a data-dependent prior head:
/// half of it for a fixed-encoder model, none otherwise.
fn prior_examples(input: &PanelInput<'_>, m: usize) -> usize {
    match encoded::held_out(input.model_config) {
        Some(_) => m / 2,
        None => 0,
    }
}

/// A linear head on fixed features, as the linear PAC-Bayes bounds read it, with a prior head
/// trained by the run's recipe on the first half of the sample; `None` for other networks.
fn linear_head(
    input: &PanelInput<'_>,
    network: &Network,
    train: &Pass,
    announce: &mut dyn FnMut(),
) -> Result<Option<LinearHead>, String> {
    if encoded::held_out(input.model_config).is_none() {
        return Ok(None);
    }
    let [head] = network.layers.as_slice() else {
        return Ok(None);
    };
    let prior = data_prior(
        input.initial,
        input.run,
        input.device,
        network.input,
        &train.kept,
        &train.labels,
        announce,
    )?;
    Ok(Some(LinearHead {
        logits: train.logits.clone(),
        labels: train.labels.clone(),
        input_norms_squared: train.norms.iter().map(|n| n + 1.0).collect(),
        weight_norm_squared: head.parameter_norm_squared(),
        weights: flat(head),
        prior,
    }))
}

/// A layer's weights and bias, flattened as [`LinearHead::weights`].
fn flat(layer: &Layer) -> Vec<f64> {
    layer.weight.iter().chain(&layer.bias).copied().collect()
}

/// The data-dependent prior head: trained by the run's recipe from the initialization on the
/// kept encodings (`kept`, the sample's first examples, each of the encoding's `shape`) and their
/// labels only. `labels` are the whole sample's: those past the kept rows are the bound's and must
/// never be read (tested by permuting them). `None` when the kept rows are not a proper part;
/// `announce` is called before the training.
fn data_prior(
    initial: &Classifier,
    run: &ExperimentConfig,
    device: &Device,
    shape: [usize; 3],
    kept: &[f32],
    labels: &[usize],
    announce: &mut dyn FnMut(),
) -> Result<Option<DataPrior>, String> {
    let split = kept.len() / shape.iter().product::<usize>().max(1);
    if split < 2 || split >= labels.len() {
        return Ok(None);
    }
    announce();
    let trained = encoded::train_prior(initial, kept, &labels[..split], run, device)?;
    let layers = Network::from_classifier(&trained, initial, shape)?;
    Ok(Some(DataPrior {
        weights: flat(&layers.layers[0]),
        split,
    }))
}

/// What the formulas read of one layer, given ‖A'‖_σ (computed by the caller, which times it).
pub fn facts_of(layer: &Layer, spectral_with_bias: f64) -> LayerFacts {
    let [channels, height, width] = layer.output_shape();
    let pooling = match layer.activation {
        Activation::ReluMaxPool { size } => {
            Some((channels * (height / size) * (width / size), size * size))
        }
        _ => None,
    };
    LayerFacts {
        parameters: layer.parameters(),
        inputs: layer.inputs(),
        outputs: layer.outputs(),
        pooling,
        spectral: spectral_with_bias,
        frobenius: layer.frobenius_with_bias(),
        max_row_norm: layer.max_row_norm(),
        two_one: layer.two_one(),
        two_one_from_init: layer.two_one_from_init(),
        is_last: layer.is_last(),
    }
}

/// Computes the whole panel; `progress` receives (fraction done, stage).
pub fn compute(
    input: &PanelInput<'_>,
    progress: &mut dyn FnMut(f64, &str),
) -> Result<BoundPanel, String> {
    let started = Instant::now();
    let share = if input.pac_bayes.is_some() { 0.1 } else { 1.0 };
    let spec = &input.dataset.info.input;
    let classes = input.dataset.info.class_names.len();
    let n_test = input.dataset.test.len();
    // A fixed encoder's own images are not part of the sample the bounds are about.
    let first = encoded::held_out(input.model_config)
        .unwrap_or(0)
        .min(input.n_train);
    let m_count = input.n_train - first;
    if m_count < 2 || n_test == 0 {
        return Err(format!(
            "the bounds need at least 2 training examples (besides the {first} the encoder was \
             drawn from) and a test set"
        ));
    }
    progress(0.0, "margins on the training set");
    let train = pass(
        input.model,
        Sample {
            split: &input.dataset.train,
            range: first..input.n_train,
            keep: prior_examples(input, m_count),
        },
        spec,
        classes,
        input.device,
        &mut |f| progress(share * 0.5 * f, "margins on the training set"),
    );
    let mut timings = vec![(
        "training-set forward pass".to_owned(),
        started.elapsed().as_secs_f64(),
    )];
    let mut lap = Instant::now();
    let test = pass(
        input.model,
        Sample {
            split: &input.dataset.test,
            range: 0..n_test,
            keep: 0,
        },
        spec,
        classes,
        input.device,
        &mut |f| progress(share * (0.5 + 0.2 * f), "errors on the test set"),
    );
    timings.push(("test-set forward pass".into(), lap.elapsed().as_secs_f64()));
    lap = Instant::now();
    let network = Network::from_classifier(
        input.model,
        input.initial,
        [spec.channels, spec.height, spec.width],
    )?;
    let mut layers = Vec::new();
    let mut layer_facts = Vec::new();
    let count = network.layers.len();
    for (index, layer) in network.layers.iter().enumerate() {
        progress(
            share * (0.7 + 0.3 * index as f64 / count as f64),
            &format!("spectral norm of {}", layer.name),
        );
        let with_bias = layer.spectral(true, input.device);
        let plain = layer.spectral(false, input.device);
        timings.push((
            format!("spectral norms of {}", layer.name),
            lap.elapsed().as_secs_f64(),
        ));
        lap = Instant::now();
        layer_facts.push(facts_of(layer, with_bias.upper));
        layers.push(LayerNorms {
            name: layer.name.clone(),
            description: layer.description(),
            inputs: layer.inputs(),
            outputs: layer.outputs(),
            parameters: layer.parameters(),
            spectral: plain.upper,
            spectral_with_bias: with_bias.upper,
            spectral_with_bias_estimate: Some(with_bias.estimate),
            power_iterations: with_bias.iterations,
            converged: with_bias.converged && plain.converged,
            frobenius: layer.frobenius(),
            two_one: layer.two_one(),
            two_one_from_init: layer.two_one_from_init(),
            distance_from_init: layer.distance_from_init(),
            activation: layer.activation.label(),
        });
    }
    progress(share * 0.99, "bounds");
    let m = m_count as f64;
    let train_error = fraction_non_positive(&train.margins);
    let input_domain =
        encoded::encoding_domain_norm(input.model, spec).unwrap_or_else(|| domain_norm(spec));
    let facts = Facts {
        m: m_count,
        classes,
        train_error,
        margins: train.margins.clone(),
        data_norm: (train.sum + m).sqrt(),
        domain_norm: (input_domain.powi(2) + 1.0).sqrt(),
        parameter_norm_squared: network
            .layers
            .iter()
            .map(|layer| layer.parameter_norm_squared())
            .sum(),
        layers: layer_facts,
        delta: input.delta,
        elementwise_relu: network.elementwise_relu(),
        fully_connected: network.fully_connected(),
        linear_head: None,
    };
    timings.push(("other layer norms".into(), lap.elapsed().as_secs_f64()));
    lap = Instant::now();
    let facts = Facts {
        linear_head: linear_head(input, &network, &train, &mut || {
            progress(share * 0.99, "prior head on the first half of the sample")
        })?,
        ..facts
    };
    if facts.linear_head.is_some() {
        timings.push((
            "prior head on the first half".into(),
            lap.elapsed().as_secs_f64(),
        ));
        lap = Instant::now();
    }
    let mut bounds = vec![
        vc_bound(&facts),
        norm_bound(NormBound::Nts, &facts),
        norm_bound(NormBound::Grs, &facts),
        bft_bound(Reference::Zero, &facts),
        bft_bound(Reference::Init, &facts),
        nbs_bound(&facts),
    ];
    bounds.extend(linear_pac_bayes_bounds(&facts));
    bounds.extend(data_prior_bounds(&facts));
    timings.push(("bound formulas".into(), lap.elapsed().as_secs_f64()));
    if let (Some(settings), Some(_)) = (&input.pac_bayes, encoded::held_out(input.model_config)) {
        let key = match settings.prior {
            memlab_shared::bounds::PacBayesPrior::Initialization => "dr",
            memlab_shared::bounds::PacBayesPrior::DataDependent => "dr_data",
        };
        bounds.push(crate::bounds::facts::not_applicable(
            key,
            "Optimized PAC-Bayes (Dziugaite–Roy; Pérez-Ortiz et al.)",
            "Dziugaite & Roy (UAI 2017, arXiv 1703.11008); Pérez-Ortiz et al. (JMLR 2021)",
            "kl⁻¹(kl⁻¹(ê_n, ln(2/δ′)/n), (KL + ln(2√m) + 2 ln j + ln(π²/(6δ)))/m)",
            "the posterior here perturbs every parameter of the network, a fixed encoder's \
             included; a posterior over the trained layers alone on the fixed encoding is not \
             built yet"
                .into(),
        ));
    } else if let Some(settings) = &input.pac_bayes {
        lap = Instant::now();
        let certified = optimize_and_certify(
            input.dataset,
            input.model,
            input.initial,
            input.n_train,
            settings,
            input.device,
            &mut |f, stage| progress(share + (1.0 - share) * f, stage),
        )?;
        bounds.push(certified.bound);
        timings.push(("optimized PAC-Bayes".into(), lap.elapsed().as_secs_f64()));
    }
    for bound in &mut bounds {
        bound.why_vacuous = super::why::why_vacuous(bound);
    }
    Ok(BoundPanel {
        delta: input.delta,
        n_train: m_count,
        held_out: first,
        sample_split: encoded::split_note(input.model_config, first, m_count),
        n_test,
        n_classes: classes,
        n_parameters: network.parameters(),
        train_error,
        test_error: fraction_non_positive(&test.margins),
        data_norm: train.sum.sqrt(),
        max_input_norm: train.max.sqrt(),
        domain_input_norm: input_domain,
        layers,
        margins: summary(&train.margins),
        bounds,
        seconds: started.elapsed().as_secs_f64(),
        timings,
        device: input.device_name.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;
    use memlab_shared::api::{ModelKind, OptimizerKind};
    use memlab_shared::model::PatchNetConfig;

    /// Prior isolation by effect: the linear head's data-dependent prior is bit-identical when
    /// the labels of the bound's half are permuted, and moves when those of its own half are.
    #[test]
    fn the_prior_head_never_reads_the_bound_half() {
        let device = Device::flex();
        let model = ClassifierConfig::Patches(PatchNetConfig::new(1, 12, 12, 2, 3, 6, 2, 2, 10))
            .init(&device);
        let network = Network::from_classifier(&model, &model, [1, 12, 12]).expect("a head");
        let length: usize = network.input.iter().product();
        let (n, split) = (40, 20);
        let mut generator = SplitMix64::new(5);
        let kept: Vec<f32> = (0..split * length)
            .map(|_| (generator.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
            .collect();
        let labels: Vec<usize> = (0..n).map(|i| (i * 3 + i / 7) % 2).collect();
        let run = ExperimentConfig {
            name: None,
            dataset: "toy".into(),
            model: ModelKind::Patches,
            n_train: None,
            epochs: 2,
            seed: 1,
            learning_rate: 1e-2,
            batch_size: 8,
            optimizer: OptimizerKind::Adam,
            randomization: Default::default(),
            stop_at_train_accuracy: None,
            augmentation: Default::default(),
            patches: Default::default(),
            scattering: Default::default(),
        };
        let prior = |labels: &[usize]| {
            let mut announced = false;
            let prior = data_prior(
                &model,
                &run,
                &device,
                network.input,
                &kept,
                labels,
                &mut || announced = true,
            )
            .expect("trains")
            .expect("a proper part");
            assert!(announced && prior.split == split);
            prior.weights
        };
        let reference = prior(&labels);
        let mut bound_half = labels.clone();
        bound_half[split..].reverse();
        bound_half[split..].iter_mut().for_each(|l| *l = 1 - *l);
        assert_eq!(prior(&bound_half), reference, "the prior read S's labels");
        let mut own_half = labels.clone();
        own_half[..split].iter_mut().for_each(|l| *l = 1 - *l);
        assert_ne!(
            prior(&own_half),
            reference,
            "the prior ignores its own half"
        );
    }

    #[test]
    fn domain_norm_of_mnist_normalization() {
        let spec = InputSpec {
            channels: 1,
            height: 28,
            width: 28,
            mean: vec![0.1307],
            std: vec![0.3081],
        };
        // The farthest pixel value from the mean is 1: (1 − 0.1307)/0.3081 per pixel, 784 pixels.
        let expected = 28.0 * (1.0 - 0.1307f64) / 0.3081;
        assert!((domain_norm(&spec) - expected).abs() < 1e-4);
    }

    /// A 2 → 2 → 2 network written out by hand: A₁ = diag(2, 1), b₁ = 0; A₂ = I, b₂ = (0, 1),
    /// initialized at zero. Its facts, and the BFT bound built on them, by hand.
    #[test]
    fn tiny_network_facts_and_bound_by_hand() {
        use super::super::network::LinearMap;
        let dense = |weight: Vec<f64>, bias: Vec<f64>, activation| Layer {
            name: "d".into(),
            map: LinearMap::Dense { rows: 2, cols: 2 },
            weight,
            bias,
            init_weight: vec![0.0; 4],
            init_bias: vec![0.0; 2],
            activation,
        };
        let first = dense(vec![2.0, 0.0, 0.0, 1.0], vec![0.0, 0.0], Activation::Relu);
        let last = dense(
            vec![1.0, 0.0, 0.0, 1.0],
            vec![0.0, 1.0],
            Activation::Identity,
        );
        let device = Device::flex();
        // A'₁ = diag(2, 1, 1): σ = 2, ‖·‖_F = √6, rows 2, 1 and the constant 1: ‖A'ᵀ‖₂,₁ = 4.
        let one = facts_of(&first, first.spectral(true, &device).upper);
        // Certified norms: above σ by at most the rounding slack.
        assert!(one.spectral >= 2.0 && one.spectral - 2.0 < 1e-8);
        assert!((one.frobenius - 6f64.sqrt()).abs() < 1e-12);
        assert_eq!((one.two_one, one.two_one_from_init), (4.0, 3.0));
        // A'₂ = [[1, 0, 0], [0, 1, 1]]: σ = √2, rows of norm 1 and √2, largest row √2.
        let two = facts_of(&last, last.spectral(true, &device).upper);
        assert!(two.spectral >= 2f64.sqrt() && two.spectral - 2f64.sqrt() < 1e-8);
        assert!((two.two_one - (1.0 + 2f64.sqrt())).abs() < 1e-12);
        assert!((two.max_row_norm - 2f64.sqrt()).abs() < 1e-12);
        // The network maps x = (1, 1) to (2, 2) and x = (0, 3) to (0, 4): margins by hand.
        let network = Network {
            input: [2, 1, 1],
            layers: vec![first, last],
        };
        assert_eq!(network.forward(&[1.0, 1.0]), vec![2.0, 2.0]);
        assert_eq!(network.forward(&[0.0, 3.0]), vec![0.0, 4.0]);
        let facts = Facts {
            m: 2,
            classes: 2,
            train_error: 0.5,
            margins: vec![0.0, 4.0],
            data_norm: (2.0f64 + 9.0 + 2.0).sqrt(),
            domain_norm: 1.0,
            parameter_norm_squared: 7.0,
            layers: vec![one, two],
            delta: 0.5,
            elementwise_relu: true,
            fully_connected: true,
            linear_head: None,
        };
        // σ = (2, 2^(2/4)) sit on the grid, and their certificates a hair above (the rounding
        // slack), so s = (2^(5/4), 2^(3/4)); b = (4, 2^(5/4) ≥ 1 + √2 = 2.414: 2^(5/4) = 2.378 <
        // 2.414, so 2^(6/4)).
        let (s1, s2, b1, b2) = (2f64.powf(1.25), 2f64.powf(0.75), 4.0, 2f64.powf(1.5));
        let r = s1 * s2 * ((b1 / s1).powf(2.0 / 3.0) + (b2 / s2).powf(2.0 / 3.0)).powf(1.5);
        let spectral: Vec<f64> = facts.layers.iter().map(|l| l.spectral).collect();
        let rounded: Vec<f64> = spectral
            .iter()
            .map(|&s| super::super::grid::NORMS.round_up(s).expect("grid"))
            .collect();
        assert!((rounded[0] - s1).abs() < 1e-12 && (rounded[1] - s2).abs() < 1e-12);
        let bound = super::super::bft::bft_bound(super::super::bft::Reference::Zero, &facts);
        let r_shown = bound
            .inputs
            .iter()
            .find(|q| q.symbol == "R_A")
            .expect("R_A")
            .value;
        assert!((r_shown - r).abs() < 1e-9 * r, "{r_shown} vs {r}");
    }

    #[test]
    fn margin_summary_quantiles() {
        let values: Vec<f64> = (0..=100).map(|v| f64::from(v) - 10.0).collect();
        let summary = summary(&values);
        assert_eq!(summary.quantiles[0], (0.0, -10.0));
        assert_eq!(summary.quantiles[5], (0.5, 40.0));
        assert_eq!(summary.quantiles[8], (1.0, 90.0));
        assert!((summary.fraction_non_positive - 11.0 / 101.0).abs() < 1e-12);
    }
}
