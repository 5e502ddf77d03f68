//! L_θ, a learned image transform (the seed's Figure 1): a small encoder–decoder that paints
//! new content through a soft mask, `L x = (1 − m) ⊙ x + m ⊙ c` with `m = σ(g_m(x) − 4)` and
//! `c = σ(g_c(x))`, on pixels in `[0, 1]` (a masked edit, so a sparsity prior on m favours local
//! edits over faint global ones). The last layer starts at zero: an untrained L changes every
//! value by less than 0.02.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Initializer, PaddingConfig2d, Relu};
use burn::prelude::*;
use burn::tensor::activation::sigmoid;

/// Configuration of a [`TransformNet`].
#[derive(Config, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransformNetConfig {
    /// Image channels (1 grayscale, 3 RGB).
    pub channels: usize,
    /// Feature maps at half resolution.
    #[config(default = "24")]
    pub hidden: usize,
    /// Feature maps of an extra 3×3 convolution at full resolution before the output (`None`
    /// or 0: none, the output reads the up-sampled features directly, as every L_θ stored
    /// before it did: an `Option` so that their reports, which name no such field, still
    /// read). Where L paints strokes a pixel wide, one 3×3 layer over features repeated 2×2 can
    /// only paint them as soft bands.
    #[config(default = "None")]
    pub fine: Option<usize>,
}

/// down (4×4, stride 2) → three 3×3 convolutions at half resolution, dilated 1, 2 and 4 (a
/// view as wide as a small face) → up (each value repeated 2×2, then a 3×3 convolution: a
/// resize-convolution, which cannot paint the period-2 checkerboard a transposed convolution
/// left on every edit) → when `fine` > 0, a 3×3 convolution at full resolution of the up-sampled
/// features next to the input → a 3×3 convolution of those features next to the input, to the
/// mask logit and the content. Height and width must be even.
#[derive(Module, Debug)]
pub struct TransformNet {
    /// `channels → hidden`, 4×4, stride 2.
    pub down: Conv2d,
    /// `hidden → hidden`, 3×3.
    pub near: Conv2d,
    /// `hidden → hidden`, 3×3, dilation 2.
    pub wide: Conv2d,
    /// `hidden → hidden`, 3×3, dilation 4.
    pub wider: Conv2d,
    /// `hidden → hidden`, 3×3, on the features repeated 2×2.
    pub up: Conv2d,
    /// `hidden + channels → fine`, 3×3 at full resolution (absent when `fine` is 0).
    pub refine: Option<Conv2d>,
    /// `hidden + channels → 1 + channels` (mask logit, content logits; `fine + channels` in when
    /// `refine` is present), 3×3, initialized to zero.
    pub out: Conv2d,
    /// The activation between layers.
    pub activation: Relu,
}

impl TransformNetConfig {
    /// Builds the network on `device`: random weights, a zero last layer (L = identity).
    pub fn init(&self, device: &Device) -> TransformNet {
        let (c, h, f) = (self.channels, self.hidden, self.fine.unwrap_or(0));
        let dilated = |dilation: usize| {
            Conv2dConfig::new([h, h], [3, 3])
                .with_dilation([dilation, dilation])
                .with_padding(PaddingConfig2d::Explicit(
                    dilation, dilation, dilation, dilation,
                ))
                .init(device)
        };
        TransformNet {
            down: Conv2dConfig::new([c, h], [4, 4])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device),
            near: dilated(1),
            wide: dilated(2),
            wider: dilated(4),
            up: dilated(1),
            refine: (f > 0).then(|| {
                Conv2dConfig::new([h + c, f], [3, 3])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .init(device)
            }),
            out: Conv2dConfig::new([if f > 0 { f } else { h } + c, 1 + c], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_initializer(Initializer::Zeros)
                .init(device),
            activation: Relu::new(),
        }
    }
}

impl TransformNet {
    /// The logit z of the soft mask (m = σ(z)) and the content c that L paints through it.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]` (height and width even)
    /// - output: mask logit `[batch, 1, height, width]`, content `[batch, channels, height, width]`
    pub fn edit(&self, images: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        let [_, channels, _, _] = images.dims();
        let x = self.activation.forward(self.down.forward(images.clone())); // [b, h, H/2, W/2]
        let x = self.activation.forward(self.near.forward(x)); // [b, h, H/2, W/2]
        let x = self.activation.forward(self.wide.forward(x)); // [b, h, H/2, W/2]
        let x = self.activation.forward(self.wider.forward(x)); // [b, h, H/2, W/2]
        let x = self.activation.forward(self.up.forward(repeat_2x2(x))); // [b, h, H, W]
        let x = match &self.refine {
            // [b, fine, H, W]
            Some(refine) => self
                .activation
                .forward(refine.forward(Tensor::cat(vec![x, images.clone()], 1))),
            None => x,
        };
        let out = self.out.forward(Tensor::cat(vec![x, images], 1)); // [b, 1 + channels, H, W]
        let logit = out.clone().narrow(1, 0, 1).sub_scalar(4.0); // [b, 1, H, W]
        let content = sigmoid(out.narrow(1, 1, channels)); // [b, channels, H, W]
        (logit, content)
    }

    /// (1 − m) ⊙ x + m ⊙ c for the mask `m` (one channel, shared by all) and the content `c`.
    ///
    /// # Shapes
    /// - images, content: `[batch, channels, height, width]`; mask: `[batch, 1, height, width]`
    /// - output: `[batch, channels, height, width]`
    pub fn paint(images: Tensor<4>, mask: Tensor<4>, content: Tensor<4>) -> Tensor<4> {
        let [_, channels, _, _] = images.dims();
        let mask = mask.repeat_dim(1, channels);
        images.clone() + mask * (content - images)
    }

    /// L x = (1 − m) ⊙ x + m ⊙ c.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]` (height and width even)
    /// - output: `[batch, channels, height, width]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<4> {
        let (logit, content) = self.edit(images.clone());
        Self::paint(images, sigmoid(logit), content)
    }
}

/// Nearest-neighbour up-sampling by 2: every value repeated over a 2×2 block.
///
/// # Shapes
/// - x: `[batch, channels, height, width]`
/// - output: `[batch, channels, 2 height, 2 width]`
pub(crate) fn repeat_2x2(x: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    x.reshape([b, c, h, 1, w, 1])
        .repeat_dim(3, 2)
        .repeat_dim(5, 2)
        .reshape([b, c, 2 * h, 2 * w])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_sampling_repeats_each_value_over_a_block() {
        let device = Device::flex();
        // Two channels of 1×2: [1, 2] and [3, 4].
        let x = Tensor::<4>::from_data(
            TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0], [1, 2, 1, 2]),
            &device,
        );
        let up: Vec<f32> = repeat_2x2(x).into_data().iter::<f32>().collect();
        #[rustfmt::skip]
        let expected = vec![
            1.0, 1.0, 2.0, 2.0,
            1.0, 1.0, 2.0, 2.0,
            3.0, 3.0, 4.0, 4.0,
            3.0, 3.0, 4.0, 4.0,
        ];
        assert_eq!(up, expected);
    }

    /// A report stored before `fine` existed names no such field: it reads as 0, and the
    /// weights of such an L_θ (no full-resolution layer) load into the network it describes.
    #[test]
    fn an_architecture_stored_before_the_fine_layer_still_loads() {
        let old: TransformNetConfig =
            serde_json::from_str(r#"{"channels": 1, "hidden": 24}"#).expect("parses");
        assert_eq!(old, TransformNetConfig::new(1));
        assert_eq!(old.fine, None);
        let device = Device::flex();
        let saved = old.init(&device);
        assert!(saved.refine.is_none());
        let loaded = old.init(&device).load_record(saved.clone().into_record());
        let x = Tensor::<4>::ones([1, 1, 4, 4], &device) * 0.3;
        let (a, b) = (saved.forward(x.clone()), loaded.forward(x));
        assert_eq!(
            a.into_data().iter::<f32>().collect::<Vec<_>>(),
            b.into_data().iter::<f32>().collect::<Vec<_>>()
        );
    }

    /// With the full-resolution layer the output layer reads `fine + channels` maps, and an
    /// untrained L still changes every value by less than 0.02 (its last layer starts at zero).
    #[test]
    fn the_fine_layer_keeps_an_untrained_l_near_the_identity() {
        let device = Device::flex();
        let net = TransformNetConfig::new(3).with_fine(Some(8)).init(&device);
        assert_eq!(net.out.weight.dims(), [4, 8 + 3, 3, 3]);
        let x = Tensor::<4>::ones([2, 3, 8, 8], &device) * 0.7;
        let moved = net.forward(x.clone());
        assert_eq!(moved.dims(), [2, 3, 8, 8]);
        let largest: f32 = (moved - x).abs().max().into_scalar();
        assert!(largest < 0.02, "{largest}");
    }
}
