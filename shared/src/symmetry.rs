//! Types of the learned-symmetry lab (`../shared/SCIENCE.md` §3): training L_θ against a
//! discriminator so that a model's representation ("from Φ") or the true label ("from f") is
//! kept while the image moves, and what it learned, scored against ground truth where the data
//! set has one (Glasses: L* toggles the glasses).

use serde::{Deserialize, Serialize};

use crate::analysis::AnalysisJob;
use crate::model::TransformNetConfig;

/// What L_θ must keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum SymmetryMode {
    /// The trained model's penultimate features: ‖Φ(L x) − Φ(x)‖² is small.
    #[default]
    FromPhi,
    /// The true label: the frozen model still classifies L x as y (cross-entropy).
    FromLabels,
}

impl SymmetryMode {
    /// Both modes.
    pub const ALL: [Self; 2] = [Self::FromPhi, Self::FromLabels];

    /// The name in URLs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FromPhi => "from_phi",
            Self::FromLabels => "from_labels",
        }
    }

    /// The name people read.
    pub fn label(self) -> &'static str {
        match self {
            Self::FromPhi => "from Φ (keep the model's features)",
            Self::FromLabels => "from f (keep the true label)",
        }
    }

    /// The mode named `text` in a URL.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|mode| mode.as_str() == text)
    }
}

/// How L_θ is searched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum SymmetrySearch {
    /// L starts at the identity and only the game moves it.
    #[default]
    Game,
    /// An autoencoder's codes are reflected across a hyperplane found within the groups without
    /// attribute labels; the best reflection's edit is distilled into L, then the game refines.
    Reflection,
}

impl SymmetrySearch {
    /// Both searches.
    pub const ALL: [Self; 2] = [Self::Game, Self::Reflection];

    /// The name in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Game => "game",
            Self::Reflection => "reflection",
        }
    }
}

/// `POST /api/experiments/{id}/symmetry/{mode}` (every field optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SymmetryRequest {
    /// Generator steps (each after one discriminator step).
    #[serde(default)]
    pub steps: Option<usize>,
    /// Images per step.
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// Adam step size of both networks.
    #[serde(default)]
    pub learning_rate: Option<f64>,
    /// λ_adv: weight of the adversarial term.
    #[serde(default)]
    pub adversarial_weight: Option<f64>,
    /// λ_nt: weight of the non-triviality term.
    #[serde(default)]
    pub nontrivial_weight: Option<f64>,
    /// τ: the least root-mean-square change L must make to an image (pixels in `[0, 1]`),
    /// measured after 2×2 average pooling over the `change_fraction` of those pooled pixels
    /// that change most.
    #[serde(default)]
    pub min_change: Option<f64>,
    /// q in `(0, 1]`: the fraction of (pooled) pixels, those that change most, over which the
    /// change is measured. 1 measures the whole image (a faint change everywhere counts); a
    /// small q asks for a strong change somewhere (a local edit, like glasses).
    #[serde(default)]
    pub change_fraction: Option<f64>,
    /// λ_1: weight of the mean of the mask L paints through (a sparsity prior: a local edit
    /// costs less than a faint change everywhere).
    #[serde(default)]
    pub sparsity_weight: Option<f64>,
    /// λ_inv: weight of the involution term ‖L(L x) − x‖² (0: off).
    #[serde(default)]
    pub involution_weight: Option<f64>,
    /// λ_flip: weight of the flip term BCE(S(L x), 1 − S(x)) through the discovered splitter S
    /// (stage A of discovery, trained without any attribute label); 0 skips discovery.
    #[serde(default)]
    pub flip_weight: Option<f64>,
    /// Self-training rounds of the splitter.
    #[serde(default)]
    pub splitter_rounds: Option<usize>,
    /// Where L starts: at the identity (the game alone) or at the best latent reflection,
    /// distilled, then refined by the game; `game` when absent.
    #[serde(default)]
    pub search: Option<SymmetrySearch>,
    /// Diagnosis only (data sets with a known symmetry): L is first fitted to the oracle's
    /// pairs (x, L* x) for this many steps, then the game runs from there, and the toggle rate
    /// is read at checkpoints (0: off). A run that uses it has not learned L on its own.
    #[serde(default)]
    pub basin_steps: Option<usize>,
    /// Discriminator steps per generator step (each on fresh images); 2 when absent.
    #[serde(default)]
    pub discriminator_steps: Option<usize>,
    /// A sample grid is stored every this many steps.
    #[serde(default)]
    pub sample_every: Option<usize>,
    /// Seed of the networks' initialization and of the batches.
    #[serde(default)]
    pub seed: Option<u64>,
}

/// The training objective's terms for one transform, each averaged over the scored test
/// images (the same definitions as in [`SymmetryStep`]; the mask mean is the fraction of pixels
/// the transform paints), and their weighted sum under the run's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Objective {
    /// The keep term.
    pub keep: f64,
    /// softplus(−D(L x)) under the final discriminator.
    pub adversarial: f64,
    /// max(0, τ − RMS_q(P(L x − x))): the change over the q most changed pooled pixels.
    pub nontriviality: f64,
    /// ‖L(L x) − x‖² per value.
    pub involution: f64,
    /// The mean of the mask.
    pub sparsity: f64,
    /// keep + λ_adv adversarial + λ_nt nontriviality + λ_inv involution + λ_1 sparsity.
    pub total: f64,
}

impl Objective {
    /// The terms with their weighted total under `settings` (an absent weight counts as 0).
    pub fn new(
        settings: &SymmetryRequest,
        keep: f64,
        adversarial: f64,
        nontriviality: f64,
        involution: f64,
        sparsity: f64,
    ) -> Self {
        let weight = |value: Option<f64>| value.unwrap_or(0.0);
        let total = keep
            + weight(settings.adversarial_weight) * adversarial
            + weight(settings.nontrivial_weight) * nontriviality
            + weight(settings.involution_weight) * involution
            + weight(settings.sparsity_weight) * sparsity;
        Self {
            keep,
            adversarial,
            nontriviality,
            involution,
            sparsity,
            total,
        }
    }

    /// [`Objective::new`] from the terms in this struct's order: keep, adversarial,
    /// non-triviality, involution, mask.
    pub fn from_terms(settings: &SymmetryRequest, terms: [f64; 5]) -> Self {
        let [keep, adversarial, nontriviality, involution, sparsity] = terms;
        Self::new(
            settings,
            keep,
            adversarial,
            nontriviality,
            involution,
            sparsity,
        )
    }

    /// The total with the adversarial term at ln 2, its value when the discriminator's logit is
    /// 0. Against the optimal discriminator D* = ln(p_data / p_L) the adversarial term is
    /// E_{p_L} ln(1 + p_L/p_data) ≥ ln 2 (Jensen, then ∫p_L²/p_data ≥ 1 by Cauchy–Schwarz), with
    /// equality exactly when L x is distributed like x. So this is a lower bound on the
    /// transform's objective at the game's equilibrium, and its value there for a transform that
    /// keeps the data distribution (Glasses' L*: glasses are on with probability ½,
    /// independently of everything else, so toggling them keeps the distribution).
    pub fn at_equilibrium(&self, settings: &SymmetryRequest) -> f64 {
        let weight = settings.adversarial_weight.unwrap_or(0.0);
        self.total + weight * (std::f64::consts::LN_2 - self.adversarial)
    }

    /// What the comparison at the equilibrium says: whether the terms other than realism
    /// already prefer L* to the learned L, granting L perfect realism.
    pub fn equilibrium_verdict(&self, truth: &Objective, settings: &SymmetryRequest) -> String {
        let (learned, true_l) = (
            self.at_equilibrium(settings),
            truth.at_equilibrium(settings),
        );
        if true_l < learned {
            format!(
                "At the equilibrium (a discriminator that cannot be fooled more than by chance), L \
                 would score at least {learned:.4} and L* exactly {true_l:.4}: the objective prefers \
                 L* by {:.4} even granting L perfect realism.",
                learned - true_l
            )
        } else {
            format!(
                "At the equilibrium, L could score as low as {learned:.4} against L*'s {true_l:.4}: \
                 granted perfect realism, the other terms do not prefer the true symmetry."
            )
        }
    }

    /// What the comparison of a learned transform's objective with the true symmetry's says:
    /// if the truth scores lower, the search did not find it; otherwise the terms themselves
    /// prefer what was learned.
    pub fn verdict(&self, truth: &Objective) -> &'static str {
        if truth.total < self.total {
            "The objective scores L* lower than the learned L: the true symmetry is the better \
             optimum, and training did not reach it."
        } else {
            "The objective scores the learned L no higher than L*: with these weights the terms \
             themselves do not prefer the true symmetry."
        }
    }
}

/// A known transform T scored as if it were L: its objective under the run's settings and the
/// final discriminator, on the same test images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReferenceScore {
    /// What T is ("mirror", "shift 1 px (circular)", …).
    pub name: String,
    /// The objective's terms for T (its mask: the pixels T changes).
    pub objective: Objective,
    /// P[argmax Φ(T x) = argmax Φ(x)].
    pub prediction_kept: f64,
    /// Fraction of the T x the final discriminator calls real.
    pub judged_real: f64,
    /// On Glasses, for the local rivals (one identity attribute changed): the fraction of T x
    /// the identity oracle still calls the same person.
    #[serde(default)]
    pub identity_kept: Option<f64>,
}

/// The known transforms that could score below the true symmetry at the equilibrium: those
/// whose lower bound [`Objective::at_equilibrium`] is under L*'s value there, lowest first.
/// (Under the final discriminator their adversarial terms say little: it was trained against
/// the learned L, never against them.) The rest cannot beat L* once D is optimal.
pub fn rivals_of_truth<'a>(
    references: &'a [ReferenceScore],
    truth: &Objective,
    settings: &SymmetryRequest,
) -> Vec<&'a ReferenceScore> {
    let bar = truth.at_equilibrium(settings);
    let mut rivals: Vec<&ReferenceScore> = references
        .iter()
        .filter(|reference| reference.objective.at_equilibrium(settings) < bar)
        .collect();
    rivals.sort_by(|a, b| {
        a.objective
            .at_equilibrium(settings)
            .total_cmp(&b.objective.at_equilibrium(settings))
    });
    rivals
}

/// The losses at one logged step (means over the step's batch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SymmetryStep {
    /// Generator steps done.
    pub step: usize,
    /// The keep term: feature distance (from Φ, divided by the features' spread) or
    /// cross-entropy (from f).
    pub keep: f64,
    /// The generator's adversarial loss, softplus(−D(L x)).
    pub adversarial: f64,
    /// max(0, τ − RMS_q(P(L x − x))) with P the 2×2 average pooling and RMS_q taken over the
    /// fraction q of pooled pixels that change most, averaged.
    pub nontriviality: f64,
    /// ‖L(L x) − x‖² per value (0 when the term is off).
    pub involution: f64,
    /// Mean of L's mask (the sparsity term before its weight).
    #[serde(default)]
    pub sparsity: f64,
    /// The discriminator's loss.
    pub discriminator_loss: f64,
    /// The discriminator's accuracy on the batch (real and transformed).
    pub discriminator_accuracy: f64,
    /// Mean RMS(L x − x).
    pub mean_change: f64,
    /// The flip term BCE(S(L x), 1 − S(x)) (0 without a splitter).
    #[serde(default)]
    pub flip: f64,
}

/// A picture of what L does: rows of x, L x and |L x − x| (amplified).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SampleGrid {
    /// Generator steps done when it was drawn.
    pub step: usize,
    /// A PNG data URL.
    pub png: String,
}

/// What L does to the scored test images of one class (which classes it changes, and how: its
/// grid shows a few of them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClassEffect {
    /// The class (of the test image's label).
    pub class: usize,
    /// Its name.
    pub name: String,
    /// Scored test images of the class.
    pub images: usize,
    /// Mean RMS(L x − x) over them.
    pub mean_change: f64,
    /// P[argmax Φ(L x) = argmax Φ(x)] over them.
    pub prediction_kept: f64,
    /// x, L x and |L x − x| of the first few of them (step: the steps L was trained).
    pub grid: SampleGrid,
    /// How L changes their shape (data sets of light strokes on a dark ground, such as digits;
    /// absent elsewhere and in reports stored before it existed).
    #[serde(default)]
    pub shape: Option<ShapeChange>,
}

/// Shape measures of a class's scored test images, as means over x and over L x: what L does
/// to them where no ground truth says what it should do.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShapeChange {
    /// Mean pixel value (the amount of ink) of x and of L x.
    pub ink: [f64; 2],
    /// Mean stroke width in pixels (twice the ink area over its perimeter, ink: values > ½).
    pub width: [f64; 2],
    /// Mean slant in degrees (positive: leaning right as the stroke goes up).
    pub slant: [f64; 2],
    /// Mean number of closed loops (background regions the ink encloses).
    pub loops: [f64; 2],
    /// Fraction of the images whose number of closed loops L changes.
    pub loops_changed: f64,
}

impl ShapeChange {
    /// What changes, in words, largest relative change first: e.g. "strokes thicker (1.9 →
    /// 2.4 px), slant +6.1°, loops closed or opened in 22 %"; changes too small to notice are
    /// left out ("no change in shape" when none is left).
    pub fn describe(&self) -> String {
        let mut parts: Vec<(f64, String)> = Vec::new();
        let [w0, w1] = self.width;
        if w0 > 0.0 && ((w1 - w0) / w0).abs() >= 0.05 {
            let word = if w1 > w0 { "thicker" } else { "thinner" };
            parts.push((
                ((w1 - w0) / w0).abs(),
                format!("strokes {word} ({w0:.2} → {w1:.2} px)"),
            ));
        }
        let [i0, i1] = self.ink;
        if i0 > 0.0 && ((i1 - i0) / i0).abs() >= 0.05 {
            let word = if i1 > i0 { "more" } else { "less" };
            parts.push((
                ((i1 - i0) / i0).abs(),
                format!("{word} ink ({:+.0} %)", 100.0 * (i1 - i0) / i0),
            ));
        }
        let [s0, s1] = self.slant;
        if (s1 - s0).abs() >= 2.0 {
            parts.push(((s1 - s0).abs() / 20.0, format!("slant {:+.1}°", s1 - s0)));
        }
        if self.loops_changed >= 0.05 {
            let [l0, l1] = self.loops;
            let word = if l1 > l0 {
                "more closed loops"
            } else if l1 < l0 {
                "fewer closed loops"
            } else {
                "loops closed and opened"
            };
            parts.push((
                self.loops_changed,
                format!(
                    "{word} ({l0:.2} → {l1:.2}; changed in {:.0} %)",
                    100.0 * self.loops_changed
                ),
            ));
        }
        if parts.is_empty() {
            return "no change in shape".into();
        }
        parts.sort_by(|a, b| b.0.total_cmp(&a.0));
        parts
            .into_iter()
            .map(|(_, text)| text)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// L_θ against the known symmetry L* (Glasses: toggle the glasses), on test faces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroundTruthScore {
    /// Test faces scored.
    pub n: usize,
    /// Fraction of faces whose glasses the oracle sees toggled in L x.
    pub toggle_rate: f64,
    /// Fraction of faces the identity oracle still recognizes in L x.
    pub identity_kept: f64,
    /// Mean RMS(L x − L* x).
    pub distance_to_truth: f64,
    /// Mean RMS(x − L* x): how far the true symmetry moves an image.
    pub truth_change: f64,
    /// The glasses oracle's accuracy on the real test faces x.
    pub glasses_oracle_accuracy: f64,
    /// The identity oracle's accuracy on real test faces.
    pub identity_oracle_accuracy: f64,
    /// Toggle rate of L* itself as the oracle sees it (its accuracy on L* x).
    pub truth_toggle_rate: f64,
    /// What L* would cost the "from Φ" keep term: E‖Φ(L* x) − Φ(x)‖² / spread.
    #[serde(default)]
    pub truth_keep: f64,
    /// P[argmax Φ(L* x) = argmax Φ(x)]: whether the model itself treats L* as a symmetry.
    #[serde(default)]
    pub truth_prediction_kept: f64,
    /// Fraction of the L* x the final discriminator calls real (of the real x: see the
    /// report's discriminator accuracy).
    #[serde(default)]
    pub truth_judged_real: f64,
    /// What L* scores under the training objective (its mask: the glasses pixels), to set
    /// next to the learned L's: lower means the objective prefers the true symmetry.
    #[serde(default)]
    pub truth_objective: Objective,
    /// Of the faces wearing glasses, the fraction whose glasses the oracle sees gone in L x.
    #[serde(default)]
    pub toggle_on_to_off: f64,
    /// Of the faces without glasses, the fraction the oracle sees wearing them in L x.
    #[serde(default)]
    pub toggle_off_to_on: f64,
    /// The Fréchet distance between L* x and the real test images, in the report's feature
    /// space (the yardstick for L's).
    #[serde(default)]
    pub truth_frechet_distance: Option<f64>,
}

/// A trained L_θ: its history, pictures and scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SymmetryReport {
    /// Which term kept what.
    pub mode: SymmetryMode,
    /// The architecture (rebuild it to load the weights).
    pub network: TransformNetConfig,
    /// The settings used, every default filled in.
    pub settings: SymmetryRequest,
    /// Logged steps.
    pub history: Vec<SymmetryStep>,
    /// Sample grids over training (the last one is the final L).
    pub samples: Vec<SampleGrid>,
    /// Whether training finished (a running job shows its progress so far).
    pub finished: bool,
    /// Test images scored below.
    pub n_test: usize,
    /// P[argmax Φ(L x) = argmax Φ(x)] on test images.
    pub prediction_kept: f64,
    /// P[argmax Φ(L x) = y] on test images.
    pub accuracy_on_transformed: f64,
    /// Mean RMS(L x − x) on test images.
    pub mean_change: f64,
    /// Accuracy of the final discriminator on test images and their transforms (0.5: it
    /// cannot tell them apart).
    pub discriminator_accuracy: f64,
    /// Fréchet distance between real and transformed test images in a fixed feature space.
    pub frechet_distance: f64,
    /// Which features the Fréchet distance uses.
    pub frechet_features: String,
    /// The training objective of the final L on test images.
    #[serde(default)]
    pub objective: Objective,
    /// Against the true symmetry, where the data set has one.
    pub ground_truth: Option<GroundTruthScore>,
    /// Known transforms (shift, mirror, rotation, brightening) under the same objective.
    #[serde(default)]
    pub references: Vec<ReferenceScore>,
    /// The basin test, when the settings asked for it.
    #[serde(default)]
    pub basin: Option<BasinReport>,
    /// Stage A of discovery (the splitter S whose flip L is trained to cause), when it ran.
    #[serde(default)]
    pub discovery: Option<DiscoveryReport>,
    /// Fraction of test images whose splitter decision L x differs from x's (compare with the
    /// oracle's toggle rate: a larger S-flip rate means L fools S).
    #[serde(default)]
    pub splitter_flip_rate: Option<f64>,
    /// That fraction per class of the scored test images (which classes L changes).
    #[serde(default)]
    pub splitter_flip_by_class: Vec<f64>,
    /// What L does to each class of the scored test images (without a ground truth, the
    /// evidence of what it found).
    #[serde(default)]
    pub by_class: Vec<ClassEffect>,
    /// From f: the classifier f̂ (not Φ) the keep term's true labels go through.
    #[serde(default)]
    pub label_model: Option<LabelModelReport>,
    /// The latent-reflection search, when it ran.
    #[serde(default)]
    pub reflection: Option<ReflectionReport>,
    /// Wall time so far, seconds.
    pub seconds: f64,
    /// The device it ran on.
    pub device: String,
}

/// The classifier f̂ of the "from f" mode: trained apart from Φ on the training images and their
/// true labels, so that keeping f's label and keeping Φ's features are different demands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LabelModelReport {
    /// What it is and how it was trained.
    pub description: String,
    /// Its accuracy on the test split.
    pub test_accuracy: f64,
    /// How often its prediction on a test image equals Φ's.
    pub agreement_with_phi: f64,
}

/// Stage A of discovery: a binary factor found *within* groups of training images without its
/// labels (2-means per group, polarities aligned, a self-trained splitter S).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiscoveryReport {
    /// How the training images were grouped (true labels, or Φ's argmax).
    pub grouping: String,
    /// Number of groups.
    pub groups: usize,
    /// Agreement of the clustering's pseudo-labels with the ground truth on training images,
    /// up to polarity (scored only; absent without a ground truth).
    pub cluster_agreement: Option<f64>,
    /// The self-training rounds.
    pub rounds: Vec<SplitterRound>,
}

/// The latent-reflection search: an autoencoder, candidate reflections of its codes, the one
/// chosen, and how closely L_θ learned its edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReflectionReport {
    /// Length of a code.
    pub latent: usize,
    /// Training images the autoencoder and the candidates saw.
    pub images: usize,
    /// RMS of x − Dec(Enc(x)) on test images (values in `[0, 1]`).
    pub reconstruction_rms: f64,
    /// Every candidate, the best first (by the aligned share where measured, else bimodality).
    pub candidates: Vec<ReflectionCandidate>,
    /// Index of the chosen one in `candidates`.
    pub chosen: usize,
    /// Why it was chosen.
    pub rule: String,
    /// Regression steps distilling its edit into L_θ.
    pub distill_steps: usize,
    /// Weight of the keep term next to the regression in the distillation (0: none; reports
    /// stored before it existed read 0).
    #[serde(default)]
    pub distill_keep_weight: f64,
    /// What that keep term is (empty in reports stored before it was said).
    #[serde(default)]
    pub distill_keep_term: String,
    /// RMS of L_θ x − (the chosen edit of x) on test images after the distillation.
    pub distill_rms: f64,
    /// With a ground truth, scored only: RMS of the chosen edit of x − L* x on the same test
    /// images (what the distillation could at best inherit).
    #[serde(default)]
    pub edit_truth_rms: Option<f64>,
    /// The two modes congealing found in each group (empty in reports stored before they were
    /// shown).
    #[serde(default)]
    pub modes: Vec<GroupModes>,
}

/// One group's two modes after congealing: the means of its two sides, its images aligned by
/// pose and light, with one polarity for every group (side 1 is the same factor everywhere).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupModes {
    /// The group (a class: true label from f, Φ's prediction from Φ).
    pub group: usize,
    /// Its name.
    pub name: String,
    /// Its training images.
    pub images: usize,
    /// The share of them on side 1.
    pub side_one: f64,
    /// The share of the aligned images' spread the two sides explain.
    pub explained: f64,
    /// Side 0's mean, side 1's mean and their difference |m₁ − m₀| × 2, side by side, on the
    /// frame's grid (twice as fine as the images').
    pub png: String,
    /// How side 1's images differ in shape from side 0's (stroke images only): means over each
    /// side; there `loops_changed` is the difference of the sides' shares of images with a
    /// closed loop.
    pub shape: Option<ShapeChange>,
}

impl ReflectionReport {
    /// What the distillation fitted, for people: "the keep term … at weight w" next to the
    /// regression, or "the regression alone".
    pub fn distillation(&self) -> String {
        if self.distill_keep_weight > 0.0 {
            format!(
                "with the keep term {} at weight {}",
                self.distill_keep_term, self.distill_keep_weight
            )
        } else {
            "the regression alone".into()
        }
    }
}

/// One candidate reflection T z = z − 2(⟨n, z⟩ − b_g) n and its edit x + Dec(T z) − Dec(z).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReflectionCandidate {
    /// Where its direction n comes from.
    pub name: String,
    /// Within-group bimodality of the codes along n: the share of their variance that the best
    /// split into two modes explains (2/π ≈ 0.64 for a Gaussian, 1 for two points).
    pub bimodality: f64,
    /// The share of the spread of the training images, each aligned to its group's mean by the
    /// data's nuisances (shift, tilt, light: congealing), that the candidate's two sides
    /// explain: one measure for every candidate, latent or not (absent in reports stored
    /// before it existed).
    #[serde(default)]
    pub aligned_share: Option<f64>,
    /// Fraction of held-out training images whose kept quantity survives the edit (Φ's
    /// prediction from Φ; f̂ giving the true label from f).
    pub kept: f64,
    /// Mean RMS change of the edit on them.
    pub mean_change: f64,
    /// Fraction on which the splitter decides differently (when stage A ran).
    pub splitter_flip_rate: Option<f64>,
    /// Scored only (data sets with a ground truth): the glasses oracle's toggle rate on test
    /// images.
    pub toggle_rate: Option<f64>,
    /// Scored only: of the test faces with glasses, the fraction the edit takes them from; and
    /// of those without, the fraction it gives them to.
    #[serde(default)]
    pub on_to_off: Option<f64>,
    /// See `on_to_off`.
    #[serde(default)]
    pub off_to_on: Option<f64>,
    /// Scored only: the identity oracle's agreement with the true identity of edited test images.
    pub identity_kept: Option<f64>,
}

/// The basin test: L started at a regression onto the oracle pairs (x, L* x), then the game;
/// the glasses oracle's toggle rate at checkpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BasinReport {
    /// Regression steps before the game.
    pub regression_steps: usize,
    /// Test images each checkpoint reads.
    pub n: usize,
    /// (game step, toggle rate), from step 0 (the regression's result).
    pub checkpoints: Vec<(usize, f64)>,
}

/// One self-training round of the splitter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SplitterRound {
    /// From 1.
    pub round: usize,
    /// Fraction of training pseudo-labels this round changed.
    pub relabelled: f64,
    /// Agreement of S with the ground truth on test images, up to polarity (scored only).
    pub test_agreement: Option<f64>,
    /// The least such agreement over the classes.
    pub worst_group_agreement: Option<f64>,
    /// Fraction of test decisions unchanged by a draw of the nuisances (shift, tilt, light,
    /// noise).
    pub augmentation_consistency: f64,
    /// The least fraction of a = 1 over the groups (training pseudo-labels).
    pub balance_low: f64,
    /// The largest.
    pub balance_high: f64,
}

/// `GET /api/experiments/{id}/symmetry/{mode}`: the job and its report (partial while it runs).
pub type SymmetryJob = AnalysisJob<SymmetryRequest, SymmetryReport>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The description names what changes beyond its threshold, largest first, and nothing
    /// else.
    #[test]
    fn shape_changes_are_described() {
        let same = ShapeChange {
            ink: [0.1, 0.102],
            width: [2.0, 2.05],
            slant: [5.0, 6.0],
            loops: [0.5, 0.5],
            loops_changed: 0.01,
        };
        assert_eq!(same.describe(), "no change in shape");
        let thicker = ShapeChange {
            ink: [0.1, 0.13],
            width: [2.0, 2.5],
            slant: [5.0, 12.0],
            loops: [0.2, 0.6],
            loops_changed: 0.4,
        };
        assert_eq!(
            thicker.describe(),
            "more closed loops (0.20 → 0.60; changed in 40 %), slant +7.0°, more ink (+30 %), \
             strokes thicker (2.00 → 2.50 px)"
        );
    }

    #[test]
    fn the_objective_weighs_its_terms_like_training() {
        let settings = SymmetryRequest {
            adversarial_weight: Some(0.5),
            nontrivial_weight: Some(10.0),
            sparsity_weight: Some(2.0),
            ..Default::default()
        };
        let objective = Objective::new(&settings, 0.1, 0.7, 0.01, 3.0, 0.05);
        // 0.1 + 0.5·0.7 + 10·0.01 + 0·3 + 2·0.05
        assert!(
            (objective.total - 0.65).abs() < 1e-12,
            "{}",
            objective.total
        );
        assert_eq!(objective.involution, 3.0);
        let lower = Objective::new(&settings, 0.0, 0.0, 0.0, 0.0, 0.0);
        assert!(objective.verdict(&lower).contains("did not reach"));
        assert!(lower.verdict(&objective).contains("do not prefer"));
    }

    /// By hand: λ_adv = 0.5, so ln 2 replaces the adversarial 0.7 at half weight.
    #[test]
    fn the_equilibrium_total_puts_the_adversarial_term_at_ln_2() {
        let settings = SymmetryRequest {
            adversarial_weight: Some(0.5),
            nontrivial_weight: Some(10.0),
            sparsity_weight: Some(1.0),
            ..Default::default()
        };
        let learned = Objective::new(&settings, 0.01, 0.7, 0.005, 0.0, 0.06);
        // 0.01 + 0.5 ln 2 + 0.05 + 0.06
        let expected = 0.12 + 0.5 * std::f64::consts::LN_2;
        assert!((learned.at_equilibrium(&settings) - expected).abs() < 1e-12);
        // L* at 0.13 + 0.5 ln 2 however low its adversarial term under the final D.
        let truth = Objective::new(&settings, 0.05, 0.2, 0.0, 0.0, 0.08);
        assert!(
            learned
                .equilibrium_verdict(&truth, &settings)
                .contains("do not prefer")
        );
        let cheaper = Objective::new(&settings, 0.03, 0.2, 0.0, 0.0, 0.08);
        assert!(
            learned
                .equilibrium_verdict(&cheaper, &settings)
                .contains("prefers L* by 0.0100")
        );
    }

    #[test]
    fn rivals_are_the_references_whose_equilibrium_bound_is_below_the_truth() {
        let settings = SymmetryRequest {
            adversarial_weight: Some(0.5),
            ..Default::default()
        };
        // Adversarial terms under the final D differ; only the other terms (and ln 2) count.
        let reference = |name: &str, keep: f64, adversarial: f64| ReferenceScore {
            name: name.to_owned(),
            objective: Objective::new(&settings, keep, adversarial, 0.0, 0.0, 0.0),
            prediction_kept: 1.0,
            judged_real: 0.5,
            identity_kept: None,
        };
        let references = [
            reference("a", 0.3, 0.0),
            reference("b", 0.1, 5.0),
            reference("c", 0.2, 0.0),
        ];
        let truth = Objective::new(&settings, 0.25, 0.0, 0.0, 0.0, 0.0);
        let names: Vec<&str> = rivals_of_truth(&references, &truth, &settings)
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, ["b", "c"]);
    }
}
