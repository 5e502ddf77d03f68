//! Scattering networks (Oyallon, Belilovsky & Zagoruyko, ICCV 2017): the fixed order-2
//! scattering transform, its channels standardized by fixed statistics, then either a linear
//! classifier or the "hybrid" small CNN (two 3×3 convolutions with ReLU) and a linear head.
//! Only the layers after the scattering are ever trained.

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d, Relu};
use burn::prelude::*;

use super::{Scattering, ScatteringConfig};
use crate::scattering::filters::output_len;

/// Configuration of a [`ScatterNet`].
#[derive(Config, Debug)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScatterNetConfig {
    /// Input channels (1 grayscale, 3 RGB).
    pub channels: usize,
    /// Input height in pixels.
    pub height: usize,
    /// Input width in pixels.
    pub width: usize,
    /// Number of classes.
    pub num_classes: usize,
    /// Scales J.
    pub scales: usize,
    /// Angles L.
    pub angles: usize,
    /// Training images (the first ones) the standardization statistics come from.
    pub calibration_images: usize,
    /// Width of the hybrid CNN's two convolutions; `None`: a linear classifier.
    pub hidden: Option<usize>,
}

/// The hybrid network's convolutions on the scattering maps.
#[derive(Module, Debug)]
pub struct HybridCnn {
    /// 3×3, `channels · K → width`, zero padding 1.
    pub conv1: Conv2d,
    /// 3×3, `width → width`, zero padding 1.
    pub conv2: Conv2d,
}

/// Fixed scattering + standardization, then the trained layers.
#[derive(Module, Debug)]
pub struct ScatterNet {
    /// The fixed transform.
    pub scattering: Scattering,
    /// Mean of each scattering channel on the calibration images (fixed).
    pub channel_mean: Param<Tensor<1>>,
    /// One over each channel's standard deviation there (fixed; 0 for a constant channel).
    pub channel_scale: Param<Tensor<1>>,
    /// The hybrid CNN, if any.
    pub cnn: Option<HybridCnn>,
    /// Linear head on the flattened maps (or the CNN's output).
    pub head: Linear,
    /// The activation after each convolution.
    pub activation: Relu,
}

impl ScatterNetConfig {
    /// The transform's configuration.
    pub fn scattering(&self) -> ScatteringConfig {
        ScatteringConfig::new(self.height, self.width, self.scales, self.angles)
    }

    /// Channels of the standardized maps: `channels · (1 + JL + L²J(J−1)/2)`.
    pub fn map_channels(&self) -> usize {
        self.channels * self.scattering().channels()
    }

    /// Length of the standardized coefficients of one image (what a run caches).
    pub fn coefficients_len(&self) -> usize {
        let [rows, columns] = self.scattering().output_size();
        self.map_channels() * rows * columns
    }

    /// Builds the network: the filters, identity standardization and fresh trained layers.
    pub fn init(&self, device: &Device) -> ScatterNet {
        let [rows, columns] = self.scattering().output_size();
        let channels = self.map_channels();
        let cnn = self.hidden.map(|width| HybridCnn {
            conv1: Conv2dConfig::new([channels, width], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device),
            conv2: Conv2dConfig::new([width, width], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device),
        });
        let head_inputs = self.hidden.unwrap_or(channels) * rows * columns;
        ScatterNet {
            scattering: self.scattering().init(device),
            channel_mean: Param::from_tensor(Tensor::zeros([channels], device)),
            channel_scale: Param::from_tensor(Tensor::ones([channels], device)),
            cnn,
            head: LinearConfig::new(head_inputs, self.num_classes).init(device),
            activation: Relu::new(),
        }
    }
}

impl ScatterNet {
    /// The scattering coefficients standardized per channel, flattened.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, channels · K · out_h · out_w]`
    pub fn coefficients(&self, images: Tensor<4>) -> Tensor<2> {
        let maps = self.scattering.forward(images);
        let channels = maps.dims()[1];
        let per_channel =
            |param: &Param<Tensor<1>>| param.val().detach().reshape([1, channels, 1, 1]);
        ((maps - per_channel(&self.channel_mean)) * per_channel(&self.channel_scale)).flatten(1, 3)
    }

    /// What the head reads, from standardized coefficients: themselves, or the CNN's maps.
    ///
    /// # Shapes
    /// - coefficients: `[batch, channels · K · out_h · out_w]`
    /// - output: `[batch, head inputs]`
    pub fn read(&self, coefficients: Tensor<2>) -> Tensor<2> {
        match &self.cnn {
            Some(cnn) => {
                let batch = coefficients.dims()[0];
                let channels = self.channel_mean.dims()[0];
                let scattering = &self.scattering;
                let rows = output_len(scattering.height, scattering.scales);
                let columns = output_len(scattering.width, scattering.scales);
                let maps = coefficients.reshape([batch, channels, rows, columns]);
                let hidden = self.activation.forward(cnn.conv1.forward(maps));
                self.activation
                    .forward(cnn.conv2.forward(hidden))
                    .flatten(1, 3)
            }
            None => coefficients,
        }
    }

    /// Penultimate features.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, head inputs]`
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        self.read(self.coefficients(images))
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
