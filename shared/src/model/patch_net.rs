//! The whitened-patch dictionary model of Thiry, Arbel, Belilovsky & Oyallon (ICLR 2021): every
//! p×p patch is marked by which of Q dictionary atoms are among its k nearest in whitened
//! distance (and which are among the k nearest of its negative), the marks are averaged over a
//! grid of image regions, and a linear head (after an optional hidden ReLU layer) reads them.
//!
//! The encoder is fixed, drawn from data by the science crate (`science/src/patches/`): with W the
//! whitening matrix, μ the mean patch and d̃ = d − μ an atom, ½‖W(x − μ) − W d̃‖² equals
//! ½‖W(x − μ)‖² − (⟨W²d̃, x⟩ − b⁺), b⁺ = ⟨W²d̃, μ⟩ + ½‖W d̃‖², so the nearest atoms are the largest
//! scores ⟨W²d̃, x⟩ − b⁺: a convolution with kernels W²d̃. The negative −(x − μ) scores
//! −⟨W²d̃, x⟩ − b⁻ with b⁻ = ½‖W d̃‖² − ⟨W²d̃, μ⟩.

use burn::module::Param;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::prelude::*;
use burn::tensor::module::{adaptive_avg_pool2d, conv2d};
use burn::tensor::ops::ConvOptions;

/// Configuration of a [`PatchNet`].
#[derive(Config, Debug)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatchNetConfig {
    /// Input channels (1 grayscale, 3 RGB).
    pub channels: usize,
    /// Input height in pixels.
    pub height: usize,
    /// Input width in pixels.
    pub width: usize,
    /// Number of classes.
    pub num_classes: usize,
    /// Patch side p.
    pub patch: usize,
    /// Dictionary size Q.
    pub atoms: usize,
    /// Atoms marked per patch, k (of Q).
    pub neighbors: usize,
    /// Side of the grid of regions the marks are averaged over.
    pub grid: usize,
    /// Training images (the first ones) the whitening and the atoms are drawn from.
    pub dictionary_images: usize,
    /// The whitening regularizer ε of (Σ + εI)^{-1/2}; `None`: no whitening (W = I).
    pub whitening: Option<f64>,
    /// Width of one hidden ReLU layer before the head; `None`: a linear head.
    pub hidden: Option<usize>,
}

/// Fixed patch encoder + linear head.
#[derive(Module, Debug)]
pub struct PatchNet {
    /// The Q kernels W²d̃, `[atoms, channels, patch, patch]` (fixed: never trained).
    pub kernels: Param<Tensor<4>>,
    /// b⁺ per atom (fixed).
    pub offsets: Param<Tensor<1>>,
    /// b⁻ per atom (fixed).
    pub negative_offsets: Param<Tensor<1>>,
    /// Mean of each pooled mark on the dictionary images (fixed): the head reads
    /// standardized marks.
    pub mark_mean: Param<Tensor<1>>,
    /// One over each mark's standard deviation on the dictionary images (fixed).
    pub mark_scale: Param<Tensor<1>>,
    /// The optional hidden layer, `2 · atoms · grid² → hidden`, followed by a ReLU.
    pub hidden: Option<Linear>,
    /// Linear head, `2 · atoms · grid² (or hidden) → num_classes`.
    pub head: Linear,
    /// The activation after the hidden layer.
    pub activation: Relu,
    /// k.
    pub neighbors: usize,
    /// Grid side.
    pub grid: usize,
}

impl PatchNetConfig {
    /// Length of the encoding the head reads: `2 · atoms · grid²`.
    pub fn encoding_len(&self) -> usize {
        2 * self.atoms * self.grid * self.grid
    }

    /// Builds the network with a zero encoder (to be loaded or set from data) and a freshly
    /// initialized head on `device`.
    pub fn init(&self, device: &Device) -> PatchNet {
        let kernel_shape = [self.atoms, self.channels, self.patch, self.patch];
        PatchNet {
            kernels: Param::from_tensor(Tensor::zeros(kernel_shape, device)),
            offsets: Param::from_tensor(Tensor::zeros([self.atoms], device)),
            negative_offsets: Param::from_tensor(Tensor::zeros([self.atoms], device)),
            mark_mean: Param::from_tensor(Tensor::zeros([self.encoding_len()], device)),
            mark_scale: Param::from_tensor(Tensor::ones([self.encoding_len()], device)),
            hidden: self
                .hidden
                .map(|width| LinearConfig::new(self.encoding_len(), width).init(device)),
            head: LinearConfig::new(self.hidden.unwrap_or(self.encoding_len()), self.num_classes)
                .init(device),
            activation: Relu::new(),
            neighbors: self.neighbors,
            grid: self.grid,
        }
    }
}

impl PatchNet {
    /// Marks of the k largest scores along the atom axis: 1 where a score is at least the k-th
    /// largest of its patch, else 0 (ties at the threshold are all marked).
    ///
    /// # Shapes
    /// - scores: `[batch, atoms, h, w]`
    /// - output: `[batch, atoms, h, w]`
    fn nearest(&self, scores: Tensor<4>) -> Tensor<4> {
        let threshold = scores
            .clone()
            .topk(self.neighbors, 1)
            .narrow(1, self.neighbors - 1, 1); // [batch, 1, h, w]
        scores.greater_equal(threshold).float()
    }

    /// The pooled marks: for the patch and for its negative, averaged over the grid.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, 2 · atoms · grid²]` (atoms of the patch first, then of its negative)
    pub fn marks(&self, images: Tensor<4>) -> Tensor<2> {
        let kernels = self.kernels.val().detach();
        let atoms = kernels.dims()[0];
        let bias = |offsets: &Param<Tensor<1>>| offsets.val().detach().reshape([1, atoms, 1, 1]);
        let scores = conv2d(
            images,
            kernels,
            None,
            ConvOptions::new([1, 1], [0, 0], [1, 1], 1),
        ); // [batch, atoms, h − p + 1, w − p + 1]
        let positive = self.nearest(scores.clone() - bias(&self.offsets));
        let negative = self.nearest(scores.neg() - bias(&self.negative_offsets));
        let grid = [self.grid, self.grid];
        let marks = Tensor::cat(
            vec![
                adaptive_avg_pool2d(positive, grid),
                adaptive_avg_pool2d(negative, grid),
            ],
            1,
        ); // [batch, 2 · atoms, grid, grid]
        marks.flatten::<2>(1, 3)
    }

    /// What the head reads: the marks standardized, (marks − mean) ⊙ scale, through the
    /// hidden layer when there is one.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, 2 · atoms · grid²]` (or `[batch, hidden]`)
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        self.read(self.standardize(self.marks(images)))
    }

    /// The head's input from standardized marks: the hidden layer and its ReLU, if any.
    ///
    /// # Shapes
    /// - standardized: `[batch, 2 · atoms · grid²]`
    /// - output: `[batch, 2 · atoms · grid²]` (or `[batch, hidden]`)
    pub fn read(&self, standardized: Tensor<2>) -> Tensor<2> {
        match &self.hidden {
            Some(layer) => self.activation.forward(layer.forward(standardized)),
            None => standardized,
        }
    }

    /// (marks − mean) ⊙ scale.
    ///
    /// # Shapes
    /// - marks: `[batch, 2 · atoms · grid²]`
    /// - output: `[batch, 2 · atoms · grid²]`
    pub fn standardize(&self, marks: Tensor<2>) -> Tensor<2> {
        let mean = self.mark_mean.val().detach().unsqueeze_dim::<2>(0);
        let scale = self.mark_scale.val().detach().unsqueeze_dim::<2>(0);
        (marks - mean) * scale
    }

    /// Class logits.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.head.forward(self.features(images))
    }
}
