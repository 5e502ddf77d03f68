//! A trained classifier seen as the theorems see it: a chain of linear maps (dense or
//! convolution, on their real input sizes) with biases, each followed by a fixed activation,
//! plus the norms every bound needs.
//!
//! Biases are handled the standard way: a constant input 1 rides along, so layer i computes the
//! bias-free map A'ᵢ = [[Aᵢ, bᵢ], [0, 1]] (the last layer [A_L, b_L]), ReLU keeps the constant at
//! 1, and inputs become x' = (x, 1). Bounds stated for bias-free networks then apply to A'.

use burn::module::Param;
use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use memlab_shared::model::Classifier;
use memlab_shared::scattering::filters::output_len;

use super::spectral::{
    OperatorNorm, Padding, ROUNDING_SLACK, affine_conv2d_operator_norm, affine_upper_bound,
    affine_upper_bound_aligned, conv2d_transpose_apply, conv2d_upper_bound, dense_spectral_norm,
    gram_upper_bound,
};

/// What follows a linear map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// Element-wise max(0, z).
    Relu,
    /// ReLU, then non-overlapping `size × size` max pooling.
    ReluMaxPool {
        /// Window side (and stride).
        size: usize,
    },
    /// Nothing: the logits.
    Identity,
}

impl Activation {
    /// How people read it.
    pub fn label(self) -> String {
        match self {
            Self::Relu => "ReLU".into(),
            Self::ReluMaxPool { size } => format!("ReLU, max-pool {size}×{size}"),
            Self::Identity => "none".into(),
        }
    }
}

/// The linear part of a layer.
#[derive(Debug, Clone, PartialEq)]
pub enum LinearMap {
    /// y = A x with A of `rows × cols`, stored row-major.
    Dense {
        /// Outputs.
        rows: usize,
        /// Inputs.
        cols: usize,
    },
    /// A stride-1 convolution with zero padding, stored `[out, in, k, k]`.
    Conv {
        /// Input `[channels, height, width]`.
        input: [usize; 3],
        /// Output channels.
        out_channels: usize,
        /// Kernel side.
        kernel: usize,
        /// Zeros added on every side.
        padding: usize,
    },
}

/// One weight layer with its initialization.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Parameter name in the model.
    pub name: String,
    /// Dense or convolution.
    pub map: LinearMap,
    /// Weights (dense: `rows × cols` row-major; conv: `[out, in, k, k]`).
    pub weight: Vec<f64>,
    /// One bias per output channel or unit.
    pub bias: Vec<f64>,
    /// Weights at initialization.
    pub init_weight: Vec<f64>,
    /// Biases at initialization.
    pub init_bias: Vec<f64>,
    /// What follows.
    pub activation: Activation,
}

/// A classifier as a chain of layers.
#[derive(Debug, Clone)]
pub struct Network {
    /// Input `[channels, height, width]`.
    pub input: [usize; 3],
    /// The layers, input to output; the last one computes the logits.
    pub layers: Vec<Layer>,
}

fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f64> {
    tensor
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap_or_default()
        .into_iter()
        .map(f64::from)
        .collect()
}

fn bias(bias: &Option<Param<Tensor<1>>>, outputs: usize) -> Vec<f64> {
    bias.as_ref()
        .map(|b| values(b.val()))
        .unwrap_or_else(|| vec![0.0; outputs])
}

/// burn stores a linear layer's weight as `[in, out]` (y = x W + b); the theorems' A is Wᵀ.
fn dense_layer(name: &str, trained: &Linear, initial: &Linear, activation: Activation) -> Layer {
    let [cols, rows] = trained.weight.val().dims();
    let transpose = |linear: &Linear| values(linear.weight.val().transpose());
    Layer {
        name: name.into(),
        map: LinearMap::Dense { rows, cols },
        weight: transpose(trained),
        bias: bias(&trained.bias, rows),
        init_weight: transpose(initial),
        init_bias: bias(&initial.bias, rows),
        activation,
    }
}

fn conv_layer(
    name: &str,
    trained: &Conv2d,
    initial: &Conv2d,
    input: [usize; 3],
    padding: usize,
    activation: Activation,
) -> Layer {
    let [out_channels, _, kernel, _] = trained.weight.val().dims();
    Layer {
        name: name.into(),
        map: LinearMap::Conv {
            input,
            out_channels,
            kernel,
            padding,
        },
        weight: values(trained.weight.val()),
        bias: bias(&trained.bias, out_channels),
        init_weight: values(initial.weight.val()),
        init_bias: bias(&initial.bias, out_channels),
        activation,
    }
}

impl Network {
    /// The layers of `trained`, with the weights of `initial` (the same architecture before
    /// training) as each layer's initialization; `input` is `[channels, height, width]`. For a
    /// model with a fixed encoder (whitened patches, scattering), the network is its trained
    /// layers and its input the standardized encoding ([`Classifier::encoding`]).
    pub fn from_classifier(
        trained: &Classifier,
        initial: &Classifier,
        input: [usize; 3],
    ) -> Result<Self, String> {
        let layers = match (trained, initial) {
            (Classifier::Mlp(model), Classifier::Mlp(init)) => {
                let mut layers: Vec<Layer> = model
                    .hidden
                    .iter()
                    .zip(&init.hidden)
                    .enumerate()
                    .map(|(index, (layer, first))| {
                        dense_layer(&format!("hidden.{index}"), layer, first, Activation::Relu)
                    })
                    .collect();
                layers.push(dense_layer(
                    "head",
                    &model.head,
                    &init.head,
                    Activation::Identity,
                ));
                layers
            }
            (Classifier::LeNet(model), Classifier::LeNet(init)) => {
                let [_, height, width] = input;
                let pooled = [6, height / 2, width / 2];
                vec![
                    conv_layer(
                        "conv1",
                        &model.conv1,
                        &init.conv1,
                        input,
                        2,
                        Activation::ReluMaxPool { size: 2 },
                    ),
                    conv_layer(
                        "conv2",
                        &model.conv2,
                        &init.conv2,
                        pooled,
                        0,
                        Activation::ReluMaxPool { size: 2 },
                    ),
                    dense_layer("fc1", &model.fc1, &init.fc1, Activation::Relu),
                    dense_layer("fc2", &model.fc2, &init.fc2, Activation::Relu),
                    dense_layer("head", &model.head, &init.head, Activation::Identity),
                ]
            }
            (Classifier::Patches(model), Classifier::Patches(init)) => {
                // The trained layers on the fixed, standardized encoding.
                let encoding = model.mark_mean.dims()[0];
                let input = [encoding, 1, 1];
                let mut layers = Vec::new();
                if let (Some(hidden), Some(first)) = (&model.hidden, &init.hidden) {
                    layers.push(dense_layer("hidden", hidden, first, Activation::Relu));
                }
                layers.push(dense_layer(
                    "head",
                    &model.head,
                    &init.head,
                    Activation::Identity,
                ));
                return Ok(Self { input, layers });
            }
            (Classifier::Scattering(model), Classifier::Scattering(init)) => {
                // The trained layers on the fixed, standardized scattering maps.
                let scattering = &model.scattering;
                let maps = [
                    model.channel_mean.dims()[0],
                    output_len(scattering.height, scattering.scales),
                    output_len(scattering.width, scattering.scales),
                ];
                let mut layers = Vec::new();
                if let (Some(cnn), Some(first)) = (&model.cnn, &init.cnn) {
                    let width = cnn.conv1.weight.dims()[0];
                    layers.push(conv_layer(
                        "cnn.conv1",
                        &cnn.conv1,
                        &first.conv1,
                        maps,
                        1,
                        Activation::Relu,
                    ));
                    layers.push(conv_layer(
                        "cnn.conv2",
                        &cnn.conv2,
                        &first.conv2,
                        [width, maps[1], maps[2]],
                        1,
                        Activation::Relu,
                    ));
                }
                layers.push(dense_layer(
                    "head",
                    &model.head,
                    &init.head,
                    Activation::Identity,
                ));
                return Ok(Self {
                    input: maps,
                    layers,
                });
            }
            _ => return Err("the initial weights belong to another architecture".into()),
        };
        Ok(Self { input, layers })
    }

    /// Number of trainable parameters.
    pub fn parameters(&self) -> usize {
        self.layers.iter().map(Layer::parameters).sum()
    }

    /// Whether every activation acts element-wise (no pooling): what the Rademacher and
    /// PAC-Bayes theorems for "layered ReLU networks" assume.
    pub fn elementwise_relu(&self) -> bool {
        self.layers
            .iter()
            .all(|layer| !matches!(layer.activation, Activation::ReluMaxPool { .. }))
    }

    /// Whether every layer is dense (a fully connected network).
    pub fn fully_connected(&self) -> bool {
        self.layers
            .iter()
            .all(|layer| matches!(layer.map, LinearMap::Dense { .. }))
    }

    /// Computes the logits of one input (flattened, channels first) from the stored layers: an
    /// independent check that the layers describe the model.
    pub fn forward(&self, input: &[f64]) -> Vec<f64> {
        let mut x = input.to_vec();
        for layer in &self.layers {
            x = layer.apply(&x);
            let [channels, height, width] = layer.output_shape();
            x = match layer.activation {
                Activation::Identity => x,
                Activation::Relu => x.into_iter().map(|v| v.max(0.0)).collect(),
                Activation::ReluMaxPool { size } => {
                    let x: Vec<f64> = x.into_iter().map(|v| v.max(0.0)).collect();
                    let (out_h, out_w) = (height / size, width / size);
                    let mut pooled = Vec::with_capacity(channels * out_h * out_w);
                    for c in 0..channels {
                        for oy in 0..out_h {
                            for ox in 0..out_w {
                                let mut best = f64::NEG_INFINITY;
                                for dy in 0..size {
                                    for dx in 0..size {
                                        let (y, x_) = (oy * size + dy, ox * size + dx);
                                        best = best.max(x[(c * height + y) * width + x_]);
                                    }
                                }
                                pooled.push(best);
                            }
                        }
                    }
                    pooled
                }
            };
        }
        x
    }
}

/// For a stride-1 convolution: how many output positions along one axis see kernel tap `tap`
/// inside the input (the rest fall on padding).
fn positions_touching(tap: usize, side: usize, kernel: usize, padding: usize) -> usize {
    let outputs = side + 2 * padding + 1 - kernel;
    (0..outputs)
        .filter(|&o| {
            let position = o + tap;
            position >= padding && position < side + padding
        })
        .count()
}

impl Layer {
    /// Output `[channels, height, width]` before the activation (`[rows, 1, 1]` for dense).
    pub fn output_shape(&self) -> [usize; 3] {
        match &self.map {
            LinearMap::Dense { rows, .. } => [*rows, 1, 1],
            LinearMap::Conv {
                input,
                out_channels,
                kernel,
                padding,
            } => [
                *out_channels,
                input[1] + 2 * padding + 1 - kernel,
                input[2] + 2 * padding + 1 - kernel,
            ],
        }
    }

    /// Input dimension (flattened).
    pub fn inputs(&self) -> usize {
        match &self.map {
            LinearMap::Dense { cols, .. } => *cols,
            LinearMap::Conv { input, .. } => input.iter().product(),
        }
    }

    /// Output dimension (flattened) of the linear map.
    pub fn outputs(&self) -> usize {
        self.output_shape().iter().product()
    }

    /// Trainable parameters.
    pub fn parameters(&self) -> usize {
        self.weight.len() + self.bias.len()
    }

    /// Whether this layer computes the logits (no constant unit is carried past it).
    pub fn is_last(&self) -> bool {
        self.activation == Activation::Identity
    }

    /// People's description of the map.
    pub fn description(&self) -> String {
        match &self.map {
            LinearMap::Dense { rows, cols } => format!("dense {cols} → {rows}"),
            LinearMap::Conv {
                input,
                kernel,
                padding,
                ..
            } => {
                let [c, h, w] = self.output_shape();
                format!(
                    "conv {kernel}×{kernel}, pad {padding}: {}×{}×{} → {c}×{h}×{w}",
                    input[0], input[1], input[2]
                )
            }
        }
    }

    /// A x + b for one input.
    pub fn apply(&self, x: &[f64]) -> Vec<f64> {
        match &self.map {
            LinearMap::Dense { rows, cols } => (0..*rows)
                .map(|r| {
                    self.bias[r]
                        + (0..*cols)
                            .map(|c| self.weight[r * cols + c] * x[c])
                            .sum::<f64>()
                })
                .collect(),
            LinearMap::Conv {
                input,
                out_channels,
                kernel,
                padding,
            } => {
                let [channels, height, width] = *input;
                let [_, out_h, out_w] = self.output_shape();
                let mut y = Vec::with_capacity(out_channels * out_h * out_w);
                for o in 0..*out_channels {
                    for oy in 0..out_h {
                        for ox in 0..out_w {
                            let mut sum = self.bias[o];
                            for c in 0..channels {
                                for ky in 0..*kernel {
                                    for kx in 0..*kernel {
                                        let (py, px) = (oy + ky, ox + kx);
                                        if py < *padding
                                            || px < *padding
                                            || py - padding >= height
                                            || px - padding >= width
                                        {
                                            continue;
                                        }
                                        let w = self.weight
                                            [((o * channels + c) * kernel + ky) * kernel + kx];
                                        sum += w * x
                                            [(c * height + py - padding) * width + px - padding];
                                    }
                                }
                            }
                            y.push(sum);
                        }
                    }
                }
                y
            }
        }
    }

    /// ‖A‖_F of the map as a dense matrix (a convolution weight counts once per output position
    /// whose window puts it inside the input).
    pub fn frobenius(&self) -> f64 {
        self.frobenius_squared(&self.weight).sqrt()
    }

    fn frobenius_squared(&self, weight: &[f64]) -> f64 {
        match &self.map {
            LinearMap::Dense { .. } => weight.iter().map(|w| w * w).sum(),
            LinearMap::Conv {
                input,
                out_channels,
                kernel,
                padding,
            } => {
                let channels = input[0];
                let mut total = 0.0;
                for o in 0..*out_channels {
                    for c in 0..channels {
                        for ky in 0..*kernel {
                            let rows = positions_touching(ky, input[1], *kernel, *padding);
                            for kx in 0..*kernel {
                                let cols = positions_touching(kx, input[2], *kernel, *padding);
                                let w = weight[((o * channels + c) * kernel + ky) * kernel + kx];
                                total += w * w * (rows * cols) as f64;
                            }
                        }
                    }
                }
                total
            }
        }
    }

    /// ‖A'‖_F of the map with its bias column (one bias per output unit) and, for hidden layers,
    /// the constant unit.
    pub fn frobenius_with_bias(&self) -> f64 {
        let [_, h, w] = self.output_shape();
        let bias: f64 = self.bias.iter().map(|b| b * b).sum::<f64>() * (h * w) as f64;
        let constant = if self.is_last() { 0.0 } else { 1.0 };
        (self.frobenius_squared(&self.weight) + bias + constant).sqrt()
    }

    /// The ℓ₂ norm of each output unit's row (weights inside the input, and bias) of the map
    /// with weights `weight` and biases `bias`.
    fn row_norms(&self, weight: &[f64], bias: &[f64]) -> Vec<f64> {
        match &self.map {
            LinearMap::Dense { rows, cols } => (0..*rows)
                .map(|r| {
                    (weight[r * cols..(r + 1) * cols]
                        .iter()
                        .map(|w| w * w)
                        .sum::<f64>()
                        + bias[r] * bias[r])
                        .sqrt()
                })
                .collect(),
            LinearMap::Conv {
                input,
                out_channels,
                kernel,
                padding,
            } => {
                let channels = input[0];
                let [_, out_h, out_w] = self.output_shape();
                let mut norms = Vec::with_capacity(out_channels * out_h * out_w);
                for o in 0..*out_channels {
                    // Squared weight per tap, summed over input channels.
                    let taps: Vec<f64> = (0..kernel * kernel)
                        .map(|tap| {
                            (0..channels)
                                .map(|c| weight[(o * channels + c) * kernel * kernel + tap].powi(2))
                                .sum()
                        })
                        .collect();
                    for oy in 0..out_h {
                        for ox in 0..out_w {
                            let mut sum = bias[o] * bias[o];
                            for ky in 0..*kernel {
                                let py = oy + ky;
                                if py < *padding || py - padding >= input[1] {
                                    continue;
                                }
                                for kx in 0..*kernel {
                                    let px = ox + kx;
                                    if px < *padding || px - padding >= input[2] {
                                        continue;
                                    }
                                    sum += taps[ky * kernel + kx];
                                }
                            }
                            norms.push(sum.sqrt());
                        }
                    }
                }
                norms
            }
        }
    }

    /// ‖A'ᵀ‖₂,₁ = Σ over rows of A' of their ℓ₂ norms (the constant unit's row counts 1).
    pub fn two_one(&self) -> f64 {
        let constant = if self.is_last() { 0.0 } else { 1.0 };
        self.row_norms(&self.weight, &self.bias).iter().sum::<f64>() + constant
    }

    /// The largest ℓ₂ norm of an output unit's row (weights and bias).
    pub fn max_row_norm(&self) -> f64 {
        self.row_norms(&self.weight, &self.bias)
            .into_iter()
            .fold(0.0, f64::max)
    }

    /// ‖(A' − M')ᵀ‖₂,₁ with M' the initialization (the constant rows cancel).
    pub fn two_one_from_init(&self) -> f64 {
        let weight: Vec<f64> = self
            .weight
            .iter()
            .zip(&self.init_weight)
            .map(|(a, b)| a - b)
            .collect();
        let bias: Vec<f64> = self
            .bias
            .iter()
            .zip(&self.init_bias)
            .map(|(a, b)| a - b)
            .collect();
        self.row_norms(&weight, &bias).iter().sum()
    }

    /// ‖θ − θ₀‖₂ over this layer's parameters.
    pub fn distance_from_init(&self) -> f64 {
        let weights = self.weight.iter().zip(&self.init_weight);
        let biases = self.bias.iter().zip(&self.init_bias);
        weights
            .chain(biases)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt()
    }

    /// Σ θ² over this layer's parameters (weights and biases, each counted once).
    pub fn parameter_norm_squared(&self) -> f64 {
        self.weight.iter().chain(&self.bias).map(|v| v * v).sum()
    }

    /// ‖A‖_σ of the map, or with `with_bias` of A' (bias column and, for hidden layers, the
    /// constant unit), on the real input size: a certified upper bound (Gram iteration; for a
    /// convolution, its Fourier blocks) and power iteration's estimate from below.
    pub fn spectral(&self, with_bias: bool, device: &Device) -> OperatorNorm {
        match &self.map {
            LinearMap::Dense { rows, cols } => {
                if !with_bias {
                    let estimate = dense_spectral_norm(&self.weight, *rows, *cols);
                    return OperatorNorm {
                        upper: gram_upper_bound(&self.weight, *rows, *cols),
                        estimate: estimate.sigma,
                        iterations: estimate.iterations,
                        converged: estimate.converged,
                    };
                }
                let constant = usize::from(!self.is_last());
                let (out, inp) = (rows + constant, cols + 1);
                let mut matrix = vec![0.0; out * inp];
                for r in 0..*rows {
                    matrix[r * inp..r * inp + cols]
                        .copy_from_slice(&self.weight[r * cols..(r + 1) * cols]);
                    matrix[r * inp + cols] = self.bias[r];
                }
                if constant == 1 {
                    matrix[out * inp - 1] = 1.0;
                }
                let estimate = dense_spectral_norm(&matrix, out, inp);
                OperatorNorm {
                    upper: gram_upper_bound(&matrix, out, inp),
                    estimate: estimate.sigma,
                    iterations: estimate.iterations,
                    converged: estimate.converged,
                }
            }
            LinearMap::Conv {
                input,
                out_channels,
                kernel,
                padding,
            } => {
                let shape = [*out_channels, input[0], *kernel, *kernel];
                let weight: Vec<f32> = self.weight.iter().map(|&w| w as f32).collect();
                let data = TensorData::new(weight, shape);
                let bias: Vec<f32> = self.bias.iter().map(|&b| b as f32).collect();
                let estimate = affine_conv2d_operator_norm(
                    &data,
                    with_bias.then_some(bias.as_slice()),
                    *input,
                    1,
                    Padding::Zeros(*padding),
                    device,
                );
                let linear =
                    conv2d_upper_bound(&self.weight, shape, *input, Padding::Zeros(*padding));
                let upper = if with_bias {
                    // The bias image u·β: b_c on each of the channel's output positions.
                    let [_, height, width] = self.output_shape();
                    let image: Vec<f64> = self
                        .bias
                        .iter()
                        .flat_map(|&b| std::iter::repeat_n(b, height * width))
                        .collect();
                    let bias_norm = image.iter().map(|b| b * b).sum::<f64>().sqrt();
                    if bias_norm == 0.0 {
                        affine_upper_bound(linear, 0.0, true)
                    } else {
                        let unit: Vec<f64> = image.iter().map(|b| b / bias_norm).collect();
                        let pulled =
                            conv2d_transpose_apply(&self.weight, shape, *input, *padding, &unit);
                        let alignment = pulled.iter().map(|v| v * v).sum::<f64>().sqrt();
                        affine_upper_bound_aligned(
                            linear,
                            bias_norm * (1.0 + ROUNDING_SLACK),
                            alignment * (1.0 + ROUNDING_SLACK),
                            true,
                        )
                    }
                } else {
                    linear
                };
                OperatorNorm {
                    upper,
                    estimate: estimate.sigma,
                    iterations: estimate.iterations,
                    converged: estimate.converged,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;
    use memlab_shared::model::{ClassifierConfig, LeNetConfig, MlpConfig};

    fn random_input(len: usize, seed: u64) -> Vec<f32> {
        let mut generator = SplitMix64::new(seed);
        (0..len)
            .map(|_| (generator.next_u64() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0)
            .collect()
    }

    /// The layers reproduce burn's forward pass: layouts, transposes, padding and pooling are
    /// read correctly.
    #[test]
    fn layers_compute_the_model() {
        let device = Device::flex();
        for (config, input) in [
            (
                ClassifierConfig::Lenet(LeNetConfig::new(1, 28, 28, 10)),
                [1, 28, 28],
            ),
            (
                ClassifierConfig::Mlp(MlpConfig::new(48, vec![16, 8], 3)),
                [3, 4, 4],
            ),
        ] {
            let model = config.init(&device);
            let network = Network::from_classifier(&model, &model, input).expect("same arch");
            let x = random_input(input.iter().product(), 3);
            let logits: Vec<f32> = model
                .forward(Tensor::from_data(
                    TensorData::new(x.clone(), [1, input[0], input[1], input[2]]),
                    &device,
                ))
                .into_data()
                .try_into_vec()
                .expect("f32");
            let ours = network.forward(&x.iter().map(|&v| f64::from(v)).collect::<Vec<_>>());
            assert_eq!(ours.len(), logits.len());
            for (a, b) in ours.iter().zip(&logits) {
                assert!((a - f64::from(*b)).abs() < 1e-4, "{ours:?} vs {logits:?}");
            }
            assert_eq!(network.parameters(), model.num_params());
        }
    }

    /// For fixed-encoder models the layers are the trained ones, on the encoding: they give
    /// the model's logits from `Classifier::encoding`, and count only the trained parameters.
    #[test]
    fn fixed_encoder_layers_compute_the_model_from_its_encoding() {
        use memlab_shared::model::{PatchNetConfig, ScatterNetConfig};
        let device = Device::flex();
        for (channels, config) in [
            (
                1,
                ClassifierConfig::Patches(
                    PatchNetConfig::new(1, 12, 12, 3, 3, 8, 3, 2, 10).with_hidden(Some(5)),
                ),
            ),
            (
                1,
                ClassifierConfig::Scattering(ScatterNetConfig::new(1, 12, 12, 3, 2, 4, 10)),
            ),
            (
                2,
                ClassifierConfig::Scattering(
                    ScatterNetConfig::new(2, 12, 12, 3, 1, 3, 10).with_hidden(Some(4)),
                ),
            ),
        ] {
            let model = config.init(&device);
            let network =
                Network::from_classifier(&model, &model, [channels, 12, 12]).expect("same arch");
            let x = random_input(channels * 144, 5);
            let images = Tensor::from_data(TensorData::new(x, [1, channels, 12, 12]), &device);
            let encoding = model.encoding(images.clone()).expect("fixed encoder");
            let e = values(encoding);
            assert_eq!(e.len(), network.input.iter().product::<usize>());
            let logits: Vec<f64> = values(model.forward(images));
            let ours = network.forward(&e);
            for (a, b) in ours.iter().zip(&logits) {
                assert!((a - b).abs() < 1e-4, "{ours:?} vs {logits:?}");
            }
            assert_eq!(
                network.parameters(),
                memlab_shared::models::trained_parameters(&config, 0)
            );
        }
    }

    fn tiny_conv() -> Layer {
        Layer {
            name: "c".into(),
            map: LinearMap::Conv {
                input: [1, 3, 3],
                out_channels: 1,
                kernel: 3,
                padding: 1,
            },
            weight: (1..=9).map(f64::from).collect(),
            bias: vec![0.5],
            init_weight: vec![1.0; 9],
            init_bias: vec![0.0],
            activation: Activation::Relu,
        }
    }

    /// The convolution's dense matrix, built column by column from `apply` on basis vectors.
    fn dense_of(layer: &Layer) -> (Vec<f64>, usize, usize) {
        let (cols, rows) = (layer.inputs(), layer.outputs());
        let mut matrix = vec![0.0; rows * cols];
        for c in 0..cols {
            let mut basis = vec![0.0; cols];
            basis[c] = 1.0;
            let zero = layer.apply(&vec![0.0; cols]);
            for (r, value) in layer.apply(&basis).iter().enumerate() {
                matrix[r * cols + c] = value - zero[r];
            }
        }
        (matrix, rows, cols)
    }

    #[test]
    fn conv_norms_equal_those_of_the_dense_matrix() {
        let layer = tiny_conv();
        let (matrix, rows, cols) = dense_of(&layer);
        let frobenius: f64 = matrix.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((layer.frobenius() - frobenius).abs() < 1e-9);
        // Rows with the bias 0.5 appended, plus the constant unit's row of norm 1.
        let two_one: f64 = (0..rows)
            .map(|r| {
                (matrix[r * cols..(r + 1) * cols]
                    .iter()
                    .map(|v| v * v)
                    .sum::<f64>()
                    + 0.25)
                    .sqrt()
            })
            .sum::<f64>()
            + 1.0;
        assert!((layer.two_one() - two_one).abs() < 1e-9);
        // The augmented matrix [[A, b], [0, 1]] against the autodiff power iteration.
        let mut augmented = vec![0.0; (rows + 1) * (cols + 1)];
        for r in 0..rows {
            augmented[r * (cols + 1)..r * (cols + 1) + cols]
                .copy_from_slice(&matrix[r * cols..(r + 1) * cols]);
            augmented[r * (cols + 1) + cols] = 0.5;
        }
        augmented[(rows + 1) * (cols + 1) - 1] = 1.0;
        let dense = dense_spectral_norm(&augmented, rows + 1, cols + 1).sigma;
        let device = Device::flex();
        let conv = layer.spectral(true, &device);
        assert!(conv.converged);
        assert!(
            (conv.estimate - dense).abs() / dense < 1e-4,
            "{conv:?} vs {dense}"
        );
        // The certificate holds for the exact matrix and stays close to it (the Fourier blocks
        // of the enclosing circular map, and the bias folded in by the 2 × 2 block bound).
        let exact = gram_upper_bound(&augmented, rows + 1, cols + 1);
        assert!(
            conv.upper >= exact / (1.0 + ROUNDING_SLACK) && conv.upper < 1.5 * exact,
            "{conv:?} vs {exact}"
        );
        let plain = dense_spectral_norm(&matrix, rows, cols).sigma;
        let linear = layer.spectral(false, &device);
        assert!((linear.estimate - plain).abs() / plain < 1e-4);
        assert!(linear.upper >= plain * (1.0 - 1e-9) && linear.upper <= conv.upper);
    }

    #[test]
    fn dense_norms_by_hand() {
        // A = [[3, 0], [0, 4]], b = (0, 0), initialized at A₀ = 0: hidden layer.
        let layer = Layer {
            name: "d".into(),
            map: LinearMap::Dense { rows: 2, cols: 2 },
            weight: vec![3.0, 0.0, 0.0, 4.0],
            bias: vec![0.0, 0.0],
            init_weight: vec![0.0; 4],
            init_bias: vec![0.0; 2],
            activation: Activation::Relu,
        };
        let device = Device::flex();
        for with_bias in [false, true] {
            // A = diag(3, 4); A' = diag(3, 4, 1): σ = 4 both ways, certified to the slack.
            let norm = layer.spectral(with_bias, &device);
            assert!((norm.estimate - 4.0).abs() < 1e-9);
            assert!(norm.upper >= 4.0 && norm.upper < 4.0 * (1.0 + 2.0 * ROUNDING_SLACK));
        }
        assert!((layer.frobenius() - 5.0).abs() < 1e-12);
        assert!((layer.frobenius_with_bias() - 26f64.sqrt()).abs() < 1e-12);
        assert!((layer.two_one() - 8.0).abs() < 1e-12);
        assert!((layer.two_one_from_init() - 7.0).abs() < 1e-12);
        assert!((layer.distance_from_init() - 5.0).abs() < 1e-12);
    }
}
