//! A LeNet-5 style convolutional network for small images.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d, Relu};
use burn::prelude::*;
use memlab_kernels::conv2d_max_pool2d;

/// Configuration of a [`LeNet`].
#[derive(Config, Debug)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeNetConfig {
    /// Input channels (1 grayscale, 3 RGB).
    pub channels: usize,
    /// Input height in pixels (at least 12).
    pub height: usize,
    /// Input width in pixels (at least 12).
    pub width: usize,
    /// Number of classes.
    pub num_classes: usize,
}

/// conv(5×5, same) → ReLU → max-pool 2 → conv(5×5, valid) → ReLU → max-pool 2 → 120 → 84 → k.
#[derive(Module, Debug)]
pub struct LeNet {
    /// First convolution, `channels → 6`, 5×5, zero padding 2.
    pub conv1: Conv2d,
    /// Second convolution, `6 → 16`, 5×5, no padding.
    pub conv2: Conv2d,
    /// 2×2 max pooling with stride 2, used after each convolution.
    pub pool: MaxPool2d,
    /// First fully connected layer, `16 · h' · w' → 120`.
    pub fc1: Linear,
    /// Second fully connected layer, `120 → 84`.
    pub fc2: Linear,
    /// Classification head, `84 → num_classes`.
    pub head: Linear,
    /// The activation between layers.
    pub activation: Relu,
}

impl LeNetConfig {
    /// Height and width of the feature map entering `fc1`.
    pub fn feature_map_size(&self) -> [usize; 2] {
        let reduce = |side: usize| (side / 2).saturating_sub(4) / 2;
        [reduce(self.height), reduce(self.width)]
    }

    /// Builds the network with freshly initialized weights on `device`.
    pub fn init(&self, device: &Device) -> LeNet {
        let [map_height, map_width] = self.feature_map_size();
        LeNet {
            conv1: Conv2dConfig::new([self.channels, 6], [5, 5])
                .with_padding(PaddingConfig2d::Explicit(2, 2, 2, 2))
                .init(device),
            conv2: Conv2dConfig::new([6, 16], [5, 5]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            fc1: LinearConfig::new(16 * map_height * map_width, 120).init(device),
            fc2: LinearConfig::new(120, 84).init(device),
            head: LinearConfig::new(84, self.num_classes).init(device),
            activation: Relu::new(),
        }
    }
}

impl LeNet {
    /// Penultimate features: the 84 activations before the head. Each convolution and the
    /// pooling after it are the layers' own, computed together by memlab's CPU kernels on Flex
    /// and by burn elsewhere.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, 84]`
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        // ReLU after pooling: max and ReLU commute (max of ReLUs = ReLU of the max, exactly),
        // so the values are those of conv → ReLU → pool, on a quarter of the activations.
        let x = conv2d_max_pool2d(&self.conv1, &self.pool, images); // [batch, 6, h/2, w/2]
        let x = self.activation.forward(x);
        let x = conv2d_max_pool2d(&self.conv2, &self.pool, x); // [batch, 16, h', w']
        let x = self.activation.forward(x);
        let x = x.flatten::<2>(1, 3); // [batch, 16 * h' * w']
        let x = self.activation.forward(self.fc1.forward(x)); // [batch, 120]
        self.activation.forward(self.fc2.forward(x)) // [batch, 84]
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
