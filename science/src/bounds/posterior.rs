//! Optimized PAC-Bayes (Dziugaite & Roy 2017): a diagonal Gaussian posterior Q = N(w, diag(σ²))
//! over every parameter of a trained classifier, trained by gradient steps on the bound's
//! surrogate with a prior N(w₀, λI) centred at the run's random initialization (or, as an option,
//! at a network trained on a disjoint half of the training set: Pérez-Ortiz et al. 2021), then a
//! Monte-Carlo estimate of the stochastic error and the kl-inverse certificate.
//!
//! The networks are the shared model definitions: a sampled network is the mean network with
//! every parameter replaced by w + σ ⊙ ε ([`ModuleMapper`]), so autodiff reaches w and σ.

use std::collections::VecDeque;
use std::time::Instant;

use burn::module::{ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::Distribution;
use memlab_shared::bounds::{Bound, PacBayesPrior};
use memlab_shared::model::Classifier;

use crate::batch::batch;
use crate::bounds::facts::{computed, quantity};
use crate::bounds::pac_bayes::{DR_GRID, certificate, monte_carlo_upper, numerator, pinsker_gap};
use crate::data::{Dataset, Split};
use crate::rng::{SplitMix64, with_rng};

/// The stochastic classifier being trained: means, log standard deviations (one per
/// parameter, same layout as the network) and ln λ.
#[derive(Module, Debug)]
pub struct Posterior {
    /// The posterior mean w (starts at the trained weights).
    pub mean: Classifier,
    /// ln σ per parameter.
    pub log_std: Classifier,
    /// ln λ, the prior variance.
    pub log_prior_variance: Param<Tensor<1>>,
}

/// Every float parameter of a module, flattened, in visiting order.
struct Collect(Vec<Tensor<1>>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push(param.val().flatten::<1>(0, D - 1));
    }
}

/// The parameters of `module`, flattened, in visiting order.
pub fn parameters<M: Module>(module: &M) -> Vec<Tensor<1>> {
    let mut collect = Collect(Vec::new());
    module.visit(&mut collect);
    collect.0
}

/// Replaces every parameter with a fresh constant tensor of its shape (new parameter ids).
struct Fill(f64);

impl ModuleMapper for Fill {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let value = param.val();
        Param::from_tensor(Tensor::full(value.shape(), self.0, &value.device()))
    }
}

/// Replaces every parameter w with w + exp(ρ) ε, ε ~ N(0, 1), ρ taken in visiting order.
struct Sample(VecDeque<Tensor<1>>);

impl ModuleMapper for Sample {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let mean = param.val();
        let Some(log_std) = self.0.pop_front() else {
            return Param::initialized(ParamId::new(), mean);
        };
        let std = log_std.reshape(mean.shape()).exp();
        let noise = mean.random_like(Distribution::Normal(0.0, 1.0));
        Param::initialized(ParamId::new(), mean + std * noise)
    }
}

impl Posterior {
    /// A posterior centred at `trained` with every standard deviation `std` and prior variance
    /// `prior_variance`, on the autodiff `device`.
    pub fn new(trained: &Classifier, std: f64, prior_variance: f64, device: &Device) -> Self {
        let mean = trained.clone().fork(device).train();
        let log_std = mean.clone().map(&mut Fill(std.ln()));
        let log_prior_variance =
            Param::from_tensor(Tensor::from_floats([prior_variance.ln() as f32], device));
        Self {
            mean,
            log_std,
            log_prior_variance,
        }
    }

    /// One network drawn from Q (holding the generator lock: see [`with_rng`]).
    pub fn sample(&self) -> Classifier {
        let log_std: VecDeque<Tensor<1>> = parameters(&self.log_std).into();
        with_rng(|| {
            let network = self.mean.clone().map(&mut Sample(log_std));
            // Draw the noise now, inside the lock.
            let _ = parameters(&network);
            network
        })
    }

    /// KL(Q ‖ N(w₀, λI)) as a differentiable scalar, with λ = exp(`log_lambda`).
    pub fn kl(&self, prior_mean: &[Tensor<1>], log_lambda: Tensor<1>) -> Tensor<1> {
        let lambda = log_lambda.clone().exp();
        let mut trace = None::<Tensor<1>>;
        let mut distance = None::<Tensor<1>>;
        let mut log_det = None::<Tensor<1>>;
        let mut dimension = 0usize;
        let means = parameters(&self.mean);
        let log_stds = parameters(&self.log_std);
        let add = |total: Option<Tensor<1>>, term: Tensor<1>| match total {
            Some(total) => Some(total + term),
            None => Some(term),
        };
        for ((mean, log_std), prior) in means.into_iter().zip(log_stds).zip(prior_mean) {
            dimension += mean.dims()[0];
            trace = add(trace, (log_std.clone() * 2.0).exp().sum());
            distance = add(distance, (mean - prior.clone()).powf_scalar(2.0).sum());
            log_det = add(log_det, (log_std * 2.0).sum());
        }
        let device = lambda.device();
        let zero = || Tensor::<1>::zeros([1], &device);
        let d = dimension as f64;
        ((trace.unwrap_or_else(zero) + distance.unwrap_or_else(zero)) / lambda
            - log_det.unwrap_or_else(zero)
            + log_lambda * d
            - d)
            * 0.5
    }
}

/// What the optimization and the certificate are run with.
#[derive(Debug, Clone, PartialEq)]
pub struct PacBayesSettings {
    /// Gradient steps on the surrogate.
    pub steps: usize,
    /// Examples per step.
    pub batch_size: usize,
    /// Adam step size.
    pub learning_rate: f64,
    /// Initial posterior standard deviation of every parameter.
    pub initial_std: f64,
    /// Initial prior variance λ.
    pub initial_prior_variance: f64,
    /// Monte-Carlo draws (network, example) for the certificate.
    pub samples: usize,
    /// Confidence of the PAC-Bayes step (the requested δ less `delta_mc`).
    pub delta: f64,
    /// Confidence of the Monte-Carlo step; the certificate holds at 1 − `delta` − `delta_mc`.
    pub delta_mc: f64,
    /// Seed of minibatch order and of the noise.
    pub seed: u64,
    /// Where the prior is centred.
    pub prior: PacBayesPrior,
}

/// The examples the bound is about and those that may shape the prior.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleSplit {
    /// Indices the prior is trained on (empty for a data-free prior).
    pub prior: Vec<usize>,
    /// Indices of S, the sample the bound is about (never seen by the prior).
    pub bound: Vec<usize>,
}

/// The split the prior choice implies for the first `n_train` training examples: everything for
/// a data-free prior; the first half for the prior and the rest for the bound otherwise.
pub fn split(n_train: usize, prior: PacBayesPrior) -> SampleSplit {
    match prior {
        PacBayesPrior::Initialization => SampleSplit {
            prior: Vec::new(),
            bound: (0..n_train).collect(),
        },
        PacBayesPrior::DataDependent => SampleSplit {
            prior: (0..n_train / 2).collect(),
            bound: (n_train / 2..n_train).collect(),
        },
    }
}

fn count_right(logits: Tensor<2>, labels: Tensor<1, Int>) -> usize {
    let right: i64 = logits
        .argmax(1)
        .squeeze_dim::<1>(1)
        .equal(labels)
        .int()
        .sum()
        .into_scalar();
    right as usize
}

/// Errors of networks drawn independently for each of `count` examples taken uniformly (with
/// replacement) from `indices` of `split`: i.i.d. Bernoulli trials of mean ê_Q.
#[allow(clippy::too_many_arguments)]
pub fn monte_carlo_errors(
    posterior: &Posterior,
    split: &Split,
    spec: &memlab_shared::preprocess::InputSpec,
    indices: &[usize],
    count: usize,
    generator: &mut SplitMix64,
    device: &Device,
    progress: &mut dyn FnMut(f64),
) -> usize {
    let mut wrong = 0usize;
    for draw in 0..count {
        let index = indices[(generator.next_u64() % indices.len() as u64) as usize];
        let network = posterior.sample();
        let (image, label) = batch(split, spec, &[index], device);
        let right = count_right(network.forward(image), label);
        wrong += 1 - right;
        if draw.is_multiple_of(256) {
            progress(draw as f64 / count as f64);
        }
    }
    wrong
}

/// The result: the bound with all its inputs, and the optimized posterior.
pub struct Certified {
    /// The certificate, as a panel entry.
    pub bound: Bound,
    /// The trained posterior.
    pub posterior: Posterior,
}

/// Trains the posterior and certifies it.
///
/// `trained` and `initial` live on a plain device; `device` is that plain device.
#[allow(clippy::too_many_arguments)]
pub fn optimize_and_certify(
    dataset: &Dataset,
    trained: &Classifier,
    initial: &Classifier,
    n_train: usize,
    settings: &PacBayesSettings,
    device: &Device,
    progress: &mut dyn FnMut(f64, &str),
) -> Result<Certified, String> {
    let started = Instant::now();
    let autodiff = device.clone().autodiff();
    let spec = &dataset.info.input;
    let parts = split(n_train, settings.prior);
    if parts.bound.len() < 8 {
        return Err("the PAC-Bayes-kl bound needs at least 8 examples".into());
    }
    let m = parts.bound.len();
    let mut generator = SplitMix64::new(settings.seed);
    with_rng(|| device.seed(settings.seed));

    // The prior's centre: the initialization, or a network trained from it on the prior half.
    progress(0.0, "prior");
    let prior_network = prior_centre(
        dataset,
        initial,
        &parts,
        settings,
        &autodiff,
        &mut generator,
        &mut |f| progress(0.3 * f, "training the prior on the held-out half"),
    );
    let prior_mean: Vec<Tensor<1>> = parameters(&prior_network)
        .into_iter()
        .map(|tensor| Tensor::from_data(tensor.into_data(), &autodiff))
        .collect();
    let start = match settings.prior {
        PacBayesPrior::Initialization => trained,
        PacBayesPrior::DataDependent => &prior_network,
    };
    let mut posterior = Posterior::new(
        start,
        settings.initial_std,
        settings.initial_prior_variance,
        &autodiff,
    );
    let mut optimizer = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&autodiff);
    let (c, b) = (DR_GRID.c, DR_GRID.b);
    let constant = (2.0 * (m as f64).sqrt()).ln()
        + (std::f64::consts::PI.powi(2) / (6.0 * settings.delta)).ln();
    // The posterior may use every training example; the bound's risk term only S.
    let all: Vec<usize> = (0..n_train).collect();
    let mut order = all.clone();
    let share = if settings.prior == PacBayesPrior::DataDependent {
        0.3
    } else {
        0.0
    };
    let mut step = 0usize;
    let mut skipped = 0usize;
    while step < settings.steps {
        generator.shuffle(&mut order);
        for chunk in order.chunks(settings.batch_size) {
            if step >= settings.steps {
                break;
            }
            let network = posterior.sample();
            let (images, labels) = batch(&dataset.train, spec, chunk, &autodiff);
            let surrogate =
                loss_fn.forward(network.forward(images), labels) / std::f64::consts::LN_2;
            // λ below c e^{-1/b}, so j = b ln(c/λ) ≥ 1 and the union term stays defined.
            let log_lambda = posterior
                .log_prior_variance
                .val()
                .clamp_max((c.ln() - 1.0 / b) as f32);
            let j = (log_lambda.clone().neg() + c.ln()) * b;
            let kl = posterior.kl(&prior_mean, log_lambda);
            let numerator = kl + j.log() * 2.0 + constant;
            let objective = surrogate + (numerator.clamp_min(1e-6) / (2.0 * m as f64)).sqrt();
            step += 1;
            // A draw whose loss overflows teaches nothing: skip it rather than let NaN in.
            let value: f32 = objective.clone().into_scalar();
            if !value.is_finite() {
                skipped += 1;
                continue;
            }
            let gradients = GradientsParams::from_grads(objective.backward(), &posterior);
            posterior = optimizer.step(settings.learning_rate, posterior, gradients);
            if step.is_multiple_of(10) {
                progress(
                    share + (0.75 - share) * step as f64 / settings.steps as f64,
                    &format!("optimizing the posterior: step {step}/{}", settings.steps),
                );
            }
        }
    }

    // Round λ to its grid point and compute the exact KL there, in f64.
    let posterior_valid = posterior.valid();
    let log_lambda: f32 = posterior_valid.log_prior_variance.val().into_scalar();
    let j = DR_GRID.nearest(f64::from(log_lambda).exp());
    let lambda = DR_GRID.lambda(j);
    let flat = |tensors: Vec<Tensor<1>>| -> Vec<f64> {
        tensors
            .into_iter()
            .flat_map(|t| {
                t.into_data()
                    .convert::<f32>()
                    .try_into_vec::<f32>()
                    .unwrap_or_default()
            })
            .map(f64::from)
            .collect()
    };
    let mean = flat(parameters(&posterior_valid.mean));
    let variance: Vec<f64> = flat(parameters(&posterior_valid.log_std))
        .into_iter()
        .map(|log_std| (2.0 * log_std).exp())
        .collect();
    let prior = flat(parameters(&prior_network));
    let kl = crate::bounds::gaussian::kl_diagonal_vs_isotropic(&mean, &variance, &prior, lambda);
    let numerator_value = numerator(kl, j, m, settings.delta);

    progress(0.75, "Monte Carlo on the bound's sample");
    let errors = monte_carlo_errors(
        &posterior_valid,
        &dataset.train,
        spec,
        &parts.bound,
        settings.samples,
        &mut generator,
        device,
        &mut |f| progress(0.75 + 0.2 * f, "Monte Carlo on the bound's sample"),
    );
    let empirical = errors as f64 / settings.samples as f64;
    let upper = monte_carlo_upper(errors, settings.samples, settings.delta_mc);
    let value = certificate(upper, numerator_value, m);
    let test_indices: Vec<usize> = (0..dataset.test.len()).collect();
    let test_samples = settings.samples.min(20_000);
    let test_errors = monte_carlo_errors(
        &posterior_valid,
        &dataset.test,
        spec,
        &test_indices,
        test_samples,
        &mut generator,
        device,
        &mut |f| progress(0.95 + 0.05 * f, "Monte Carlo on the test set"),
    );
    let mean_std =
        (variance.iter().map(|v| v.sqrt()).sum::<f64>() / variance.len() as f64).max(0.0);
    let distance = mean
        .iter()
        .zip(&prior)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        .sqrt();
    let (key, name, source) = match settings.prior {
        PacBayesPrior::Initialization => (
            "dr",
            "Optimized PAC-Bayes (Dziugaite–Roy), prior at initialization; bounds the stochastic network Q",
            "Dziugaite & Roy (UAI 2017, arXiv 1703.11008): posterior N(w, diag σ²) trained on the \
             surrogate CE/ln2 + √(numerator/(2m)), prior N(w₀, λ), λ on c·e^(−j/b) (c = 0.1, b = 100) \
             with a 6/(π²j²) union bound; PAC-Bayes-kl (Maurer 2004); Monte Carlo by Langford & \
             Caruana (2002)",
        ),
        PacBayesPrior::DataDependent => (
            "dr_data",
            "Optimized PAC-Bayes, data-dependent prior (Pérez-Ortiz et al.); bounds the stochastic network Q",
            "Pérez-Ortiz, Rivasplata, Shawe-Taylor & Szepesvári (JMLR 2021): prior mean trained from \
             the initialization on the first half of the training set only; the bound is about the \
             second half (m = n/2), with Dziugaite & Roy's λ grid, PAC-Bayes-kl and Monte Carlo",
        ),
    };
    let bound = computed(
        key,
        name,
        value,
        source,
        "kl⁻¹(kl⁻¹(ê_n, ln(2/δ′)/n), (KL + ln(2√m) + 2 ln j + ln(π²/(6δ)))/m), λ = 0.1·e^(−j/100)",
        vec![
            quantity(
                "ê_n",
                "Monte-Carlo error of Q on the bound's sample",
                empirical,
            ),
            quantity(
                "n",
                "Monte-Carlo draws (network, example)",
                settings.samples as f64,
            ),
            quantity(
                "kl⁻¹(ê_n)",
                "upper bound on ê_Q (probability 1 − δ′)",
                upper,
            ),
            quantity("KL", "KL(Q‖P), nats", kl),
            quantity("λ", "prior variance (grid point)", lambda),
            quantity("j", "grid index of λ", j as f64),
            quantity(
                "numerator",
                "KL + ln(2√m) + 2 ln j + ln(π²/(6δ))",
                numerator_value,
            ),
            quantity("m", "examples the bound is about", m as f64),
            quantity("mean σ", "average posterior standard deviation", mean_std),
            quantity(
                "‖w − w_P‖₂",
                "distance of the posterior mean from the prior mean",
                distance,
            ),
            quantity("D", "parameters", mean.len() as f64),
            quantity(
                "test error of Q",
                "Monte-Carlo error of Q on the test set",
                test_errors as f64 / test_samples as f64,
            ),
            quantity(
                "surrogate gap",
                "√(numerator/(2m)) at the end",
                pinsker_gap(numerator_value, m),
            ),
            quantity(
                "steps",
                "gradient steps on the posterior",
                settings.steps as f64,
            ),
            quantity(
                "skipped steps",
                "draws whose surrogate overflowed (no update)",
                skipped as f64,
            ),
            quantity("δ", "confidence of the PAC-Bayes step", settings.delta),
            quantity(
                "δ′",
                "confidence of the Monte-Carlo step",
                settings.delta_mc,
            ),
            quantity(
                "δ + δ′",
                "the certificate fails with probability at most this (the panel's δ)",
                settings.delta + settings.delta_mc,
            ),
            quantity(
                "seconds",
                "wall time of optimization and certificate",
                started.elapsed().as_secs_f64(),
            ),
        ],
    );
    Ok(Certified {
        bound,
        posterior: posterior_valid,
    })
}

/// Trains a copy of `initial` on `indices` only (5 epochs of the settings' batch size, Adam at
/// 1e-3): the data-dependent prior's centre.
/// The prior's centre: the initialization, or a network trained from it on `parts.prior` only
/// (the bound's sample S is never read: tested by permuting its labels).
fn prior_centre(
    dataset: &Dataset,
    initial: &Classifier,
    parts: &SampleSplit,
    settings: &PacBayesSettings,
    autodiff: &Device,
    generator: &mut SplitMix64,
    progress: &mut dyn FnMut(f64),
) -> Classifier {
    match settings.prior {
        PacBayesPrior::Initialization => initial.clone(),
        PacBayesPrior::DataDependent => train_prior(
            dataset,
            initial,
            &parts.prior,
            settings,
            autodiff,
            generator,
            progress,
        ),
    }
}

fn train_prior(
    dataset: &Dataset,
    initial: &Classifier,
    indices: &[usize],
    settings: &PacBayesSettings,
    autodiff: &Device,
    generator: &mut SplitMix64,
    progress: &mut dyn FnMut(f64),
) -> Classifier {
    let mut model = initial.clone().fork(autodiff).train();
    let mut optimizer = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(autodiff);
    let mut order = indices.to_vec();
    let epochs = 5;
    for epoch in 0..epochs {
        generator.shuffle(&mut order);
        let chunks = order.len().div_ceil(settings.batch_size);
        for (index, chunk) in order.chunks(settings.batch_size).enumerate() {
            let (images, labels) = batch(&dataset.train, &dataset.info.input, chunk, autodiff);
            let loss = loss_fn.forward(model.forward(images), labels);
            let gradients = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(1e-3, model, gradients);
            if index.is_multiple_of(20) {
                progress((epoch * chunks + index) as f64 / (epochs * chunks) as f64);
            }
        }
    }
    model.valid()
}

#[cfg(test)]
mod tests {
    use super::*;
    use memlab_shared::model::{ClassifierConfig, MlpConfig};

    fn tiny() -> Classifier {
        ClassifierConfig::Mlp(MlpConfig::new(4, vec![3], 2)).init(&Device::flex())
    }

    #[test]
    fn kl_tensor_matches_the_closed_form() {
        let autodiff = Device::flex().autodiff();
        let model = tiny();
        let prior = tiny();
        let posterior = Posterior::new(&model, 0.05, 0.01, &autodiff);
        let prior_mean: Vec<Tensor<1>> = parameters(&prior)
            .into_iter()
            .map(|t| Tensor::from_data(t.into_data(), &autodiff))
            .collect();
        let kl: f32 = posterior
            .kl(&prior_mean, Tensor::from_floats([0.01f32.ln()], &autodiff))
            .into_scalar();
        let flat = |m: &Classifier| -> Vec<f64> {
            parameters(m)
                .into_iter()
                .flat_map(|t| t.into_data().try_into_vec::<f32>().expect("f32"))
                .map(f64::from)
                .collect()
        };
        let mean = flat(&model);
        let variance = vec![0.05f64 * 0.05; mean.len()];
        let expected = crate::bounds::gaussian::kl_diagonal_vs_isotropic(
            &mean,
            &variance,
            &flat(&prior),
            0.01,
        );
        assert!(
            (f64::from(kl) - expected).abs() < 1e-3 * expected.abs().max(1.0),
            "{kl} vs {expected}"
        );
    }

    #[test]
    fn samples_vary_and_gradients_reach_means_and_deviations() {
        let autodiff = Device::flex().autodiff();
        let posterior = Posterior::new(&tiny(), 0.1, 0.01, &autodiff);
        let x = Tensor::<4>::ones([2, 1, 2, 2], &autodiff);
        let a: Vec<f32> = posterior
            .sample()
            .forward(x.clone())
            .into_data()
            .try_into_vec()
            .expect("f32");
        let b: Vec<f32> = posterior
            .sample()
            .forward(x.clone())
            .into_data()
            .try_into_vec()
            .expect("f32");
        assert_ne!(a, b, "two draws differ");
        let loss = posterior.sample().forward(x).sum();
        let gradients = GradientsParams::from_grads(loss.backward(), &posterior);
        struct Count<'a>(&'a GradientsParams, usize, usize);
        impl ModuleVisitor for Count<'_> {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                self.1 += 1;
                if self.0.get::<D>(param.id).is_some() {
                    self.2 += 1;
                }
            }
        }
        let mut count = Count(&gradients, 0, 0);
        posterior.visit(&mut count);
        let (total, with_gradient) = (count.1, count.2);
        // Means and log-deviations of 2 weights and 2 biases (λ gets none from this loss).
        assert_eq!((total, with_gradient), (9, 8));
    }

    /// Prior isolation by effect: permuting the labels of the bound's half leaves the
    /// data-dependent prior bit-identical, while permuting those of the prior's half moves it
    /// (so the test can fail).
    #[test]
    fn the_data_dependent_prior_never_reads_the_bound_half() {
        let n = 48;
        let images: Vec<u8> = (0..n * 4).map(|i| ((i * 37) % 251) as u8).collect();
        let labels: Vec<u8> = (0..n).map(|i| ((i * 7 + i / 5) % 2) as u8).collect();
        let dataset = |labels: Vec<u8>| {
            let split = Split {
                images: images.clone(),
                labels,
                image_len: 4,
            };
            Dataset::new(
                "toy",
                String::new(),
                [1, 2, 2],
                vec!["a".into(), "b".into()],
                split.clone(),
                split,
            )
        };
        let settings = PacBayesSettings {
            steps: 1,
            batch_size: 8,
            learning_rate: 1e-3,
            initial_std: 0.01,
            initial_prior_variance: 1e-4,
            samples: 10,
            delta: 0.04,
            delta_mc: 0.01,
            seed: 3,
            prior: PacBayesPrior::DataDependent,
        };
        let parts = split(n, PacBayesPrior::DataDependent);
        let autodiff = Device::flex().autodiff();
        let initial = tiny();
        let centre = |labels: Vec<u8>| -> Vec<f32> {
            let prior = prior_centre(
                &dataset(labels),
                &initial,
                &parts,
                &settings,
                &autodiff,
                &mut SplitMix64::new(settings.seed),
                &mut |_| {},
            );
            parameters(&prior)
                .into_iter()
                .flat_map(|t| t.into_data().try_into_vec::<f32>().expect("f32"))
                .collect()
        };
        let reference = centre(labels.clone());
        let mut bound_half = labels.clone();
        bound_half[n / 2..].reverse();
        bound_half[n / 2..].iter_mut().for_each(|l| *l = 1 - *l);
        assert_ne!(bound_half, labels);
        assert_eq!(centre(bound_half), reference, "the prior read S's labels");
        let mut prior_half = labels.clone();
        prior_half[..n / 2].iter_mut().for_each(|l| *l = 1 - *l);
        assert_ne!(
            centre(prior_half),
            reference,
            "the prior ignores its own half"
        );
    }

    #[test]
    fn data_dependent_split_is_disjoint() {
        let parts = split(10, PacBayesPrior::DataDependent);
        assert_eq!(parts.prior, vec![0, 1, 2, 3, 4]);
        assert_eq!(parts.bound, vec![5, 6, 7, 8, 9]);
        let free = split(4, PacBayesPrior::Initialization);
        assert!(free.prior.is_empty() && free.bound.len() == 4);
    }
}
