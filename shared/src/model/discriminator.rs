//! D, the discriminator of the learned-symmetry game: tells real images from transformed ones.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{LeakyRelu, LeakyReluConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;

/// Configuration of a [`Discriminator`].
#[derive(Config, Debug)]
pub struct DiscriminatorConfig {
    /// Image channels.
    pub channels: usize,
    /// Image height in pixels (at least 8).
    pub height: usize,
    /// Image width in pixels (at least 8).
    pub width: usize,
    /// Feature maps of the first layer (doubled at each of the next two).
    #[config(default = "32")]
    pub hidden: usize,
}

/// Three 4×4 stride-2 convolutions with leaky ReLUs (slope 0.2), then one logit: "real".
#[derive(Module, Debug)]
pub struct Discriminator {
    /// `channels → hidden`.
    pub conv1: Conv2d,
    /// `hidden → 2·hidden`.
    pub conv2: Conv2d,
    /// `2·hidden → 4·hidden`.
    pub conv3: Conv2d,
    /// `4·hidden · h' · w' → 1`.
    pub head: Linear,
    /// The activation between layers.
    pub activation: LeakyRelu,
}

impl DiscriminatorConfig {
    /// The side after three 4×4, stride-2, padding-1 convolutions.
    fn reduced(side: usize) -> usize {
        let step = |n: usize| n.saturating_sub(2) / 2 + 1;
        step(step(step(side)))
    }

    /// Builds the network with random weights on `device`.
    pub fn init(&self, device: &Device) -> Discriminator {
        let h = self.hidden;
        let conv = |from: usize, to: usize| {
            Conv2dConfig::new([from, to], [4, 4])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        let flat = 4 * h * Self::reduced(self.height) * Self::reduced(self.width);
        Discriminator {
            conv1: conv(self.channels, h),
            conv2: conv(h, 2 * h),
            conv3: conv(2 * h, 4 * h),
            head: LinearConfig::new(flat, 1).init(device),
            activation: LeakyReluConfig::new().with_negative_slope(0.2).init(),
        }
    }
}

impl Discriminator {
    /// The logit that each image is real.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, 1]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self.activation.forward(self.conv1.forward(images)); // [b, h, H/2, W/2]
        let x = self.activation.forward(self.conv2.forward(x)); // [b, 2h, H/4, W/4]
        let x = self.activation.forward(self.conv3.forward(x)); // [b, 4h, H/8, W/8]
        self.head.forward(x.flatten::<2>(1, 3)) // [b, 1]
    }
}
