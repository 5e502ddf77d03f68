//! A small convolutional autoencoder of images in `[0, 1]`: the latent space in which the
//! latent-reflection search of a learned symmetry reflects codes (`science` of issue 19). Two
//! 4×4 stride-2 convolutions and a linear map encode; a linear map and two resize-convolutions
//! decode, with a sigmoid on the pixels. Height and width must be multiples of 4.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d, Relu};
use burn::prelude::*;
use burn::tensor::activation::sigmoid;

use super::transform_net::repeat_2x2;

/// Configuration of an [`Autoencoder`].
#[derive(Config, Debug, PartialEq)]
pub struct AutoencoderConfig {
    /// Image channels.
    pub channels: usize,
    /// Image height (a multiple of 4).
    pub height: usize,
    /// Image width (a multiple of 4).
    pub width: usize,
    /// Length of a code.
    #[config(default = "32")]
    pub latent: usize,
    /// Feature maps at half resolution (twice as many at a quarter).
    #[config(default = "32")]
    pub hidden: usize,
}

/// Encoder `x → z` and decoder `z → x̂`.
#[derive(Module, Debug)]
pub struct Autoencoder {
    /// `channels → hidden`, 4×4, stride 2.
    pub down1: Conv2d,
    /// `hidden → 2·hidden`, 4×4, stride 2.
    pub down2: Conv2d,
    /// `2·hidden · h/4 · w/4 → latent`.
    pub encode: Linear,
    /// `latent → 2·hidden · h/4 · w/4`.
    pub decode: Linear,
    /// `2·hidden → hidden`, 3×3, on the features repeated 2×2.
    pub up1: Conv2d,
    /// `hidden → channels`, 3×3, on the features repeated 2×2.
    pub up2: Conv2d,
    /// The activation between layers.
    pub activation: Relu,
    /// `[2·hidden, h/4, w/4]`, the shape the decoder's linear map fills.
    pub grid: [usize; 3],
}

impl AutoencoderConfig {
    /// Builds the network with random weights on `device`.
    pub fn init(&self, device: &Device) -> Autoencoder {
        let h = self.hidden;
        let grid = [2 * h, self.height / 4, self.width / 4];
        let flat = grid.iter().product();
        let down = |from: usize, to: usize| {
            Conv2dConfig::new([from, to], [4, 4])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        let up = |from: usize, to: usize| {
            Conv2dConfig::new([from, to], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        Autoencoder {
            down1: down(self.channels, h),
            down2: down(h, 2 * h),
            encode: LinearConfig::new(flat, self.latent).init(device),
            decode: LinearConfig::new(self.latent, flat).init(device),
            up1: up(2 * h, h),
            up2: up(h, self.channels),
            activation: Relu::new(),
            grid,
        }
    }
}

impl Autoencoder {
    /// The codes of `images`.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, latent]`
    pub fn encode(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self.activation.forward(self.down1.forward(images)); // [b, h, H/2, W/2]
        let x = self.activation.forward(self.down2.forward(x)); // [b, 2h, H/4, W/4]
        self.encode.forward(x.flatten(1, 3)) // [b, latent]
    }

    /// The images the codes `z` decode to, values in `(0, 1)`.
    ///
    /// # Shapes
    /// - z: `[batch, latent]`
    /// - output: `[batch, channels, height, width]`
    pub fn decode(&self, z: Tensor<2>) -> Tensor<4> {
        let [batch, _] = z.dims();
        let [c, h, w] = self.grid;
        let x = self
            .activation
            .forward(self.decode.forward(z).reshape([batch, c, h, w])); // [b, 2h, H/4, W/4]
        let x = self.activation.forward(self.up1.forward(repeat_2x2(x))); // [b, h, H/2, W/2]
        sigmoid(self.up2.forward(repeat_2x2(x))) // [b, channels, H, W]
    }

    /// The reconstruction decode(encode(x)).
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, channels, height, width]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<4> {
        self.decode(self.encode(images))
    }
}
