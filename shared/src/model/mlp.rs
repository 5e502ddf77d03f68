//! A multi-layer perceptron on flattened images.

use burn::nn::{Linear, LinearConfig, Relu};
use burn::prelude::*;

/// Configuration of a [`Mlp`].
#[derive(Config, Debug)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MlpConfig {
    /// Number of input values (channels × height × width).
    pub input_size: usize,
    /// Width of each hidden layer, in order.
    pub hidden_sizes: Vec<usize>,
    /// Number of classes.
    pub num_classes: usize,
}

/// Fully connected ReLU network: flatten, hidden layers, linear head.
#[derive(Module, Debug)]
pub struct Mlp {
    /// Hidden layers, applied in order, each followed by a ReLU.
    pub hidden: Vec<Linear>,
    /// Linear classification head producing the logits.
    pub head: Linear,
    /// The activation between layers.
    pub activation: Relu,
}

impl MlpConfig {
    /// Builds the network with freshly initialized weights on `device`.
    pub fn init(&self, device: &Device) -> Mlp {
        let mut width = self.input_size;
        let mut hidden = Vec::with_capacity(self.hidden_sizes.len());
        for &size in &self.hidden_sizes {
            hidden.push(LinearConfig::new(width, size).init(device));
            width = size;
        }
        Mlp {
            hidden,
            head: LinearConfig::new(width, self.num_classes).init(device),
            activation: Relu::new(),
        }
    }
}

impl Mlp {
    /// Penultimate features: the output of the last hidden layer.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, last_hidden]`
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = images.flatten::<2>(1, 3); // [batch, channels * height * width]
        for layer in &self.hidden {
            x = self.activation.forward(layer.forward(x)); // [batch, hidden]
        }
        x
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
