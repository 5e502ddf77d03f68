//! One type for every architecture, so storage, inference and the browser handle any of them.

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::{
    LeNet, LeNetConfig, Mlp, MlpConfig, PatchNet, PatchNetConfig, ScatterNet, ScatterNetConfig,
};

/// Which architecture to build, with its hyper-parameters (saved next to the weights).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "arch", rename_all = "snake_case")]
pub enum ClassifierConfig {
    /// A multi-layer perceptron.
    Mlp(MlpConfig),
    /// A LeNet-5 style CNN.
    Lenet(LeNetConfig),
    /// Whitened patches, a fixed dictionary encoding, and a linear head.
    Patches(PatchNetConfig),
    /// The scattering transform, then a linear classifier or a small CNN.
    Scattering(ScatterNetConfig),
}

/// A trained or freshly initialized classifier of any supported architecture.
// A model is built once and moved rarely, so the size of the larger variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Classifier {
    /// A multi-layer perceptron.
    Mlp(Mlp),
    /// A LeNet-5 style CNN.
    LeNet(LeNet),
    /// Whitened patches, a fixed dictionary encoding, and a linear head.
    Patches(PatchNet),
    /// The scattering transform, then a linear classifier or a small CNN.
    Scattering(ScatterNet),
}

impl ClassifierConfig {
    /// Builds the network with freshly initialized weights on `device`.
    pub fn init(&self, device: &Device) -> Classifier {
        match self {
            Self::Mlp(config) => Classifier::Mlp(config.init(device)),
            Self::Lenet(config) => Classifier::LeNet(config.init(device)),
            Self::Patches(config) => Classifier::Patches(config.init(device)),
            Self::Scattering(config) => Classifier::Scattering(config.init(device)),
        }
    }

    /// Number of output classes.
    pub fn num_classes(&self) -> usize {
        match self {
            Self::Mlp(config) => config.num_classes,
            Self::Lenet(config) => config.num_classes,
            Self::Patches(config) => config.num_classes,
            Self::Scattering(config) => config.num_classes,
        }
    }
}

impl Classifier {
    /// Penultimate features.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, features]`
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        match self {
            Self::Mlp(model) => model.features(images),
            Self::LeNet(model) => model.features(images),
            Self::Patches(model) => model.features(images),
            Self::Scattering(model) => model.features(images),
        }
    }

    /// What the trained layers of a model with a fixed encoder read: the standardized patch
    /// marks, or the standardized scattering coefficients (flattened); `None` for models that
    /// train from the pixels.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, encoding]`
    pub fn encoding(&self, images: Tensor<4>) -> Option<Tensor<2>> {
        match self {
            Self::Patches(model) => Some(model.standardize(model.marks(images))),
            Self::Scattering(model) => Some(model.coefficients(images)),
            Self::Mlp(_) | Self::LeNet(_) => None,
        }
    }

    /// Class logits from [`Self::encoding`]'s output: the trained layers alone; `None` for
    /// models without a fixed encoder.
    ///
    /// # Shapes
    /// - encoding: `[batch, encoding]`
    /// - output: `[batch, num_classes]`
    pub fn logits_of_encoding(&self, encoding: Tensor<2>) -> Option<Tensor<2>> {
        match self {
            Self::Patches(model) => Some(model.head.forward(model.read(encoding))),
            Self::Scattering(model) => Some(model.head.forward(model.read(encoding))),
            Self::Mlp(_) | Self::LeNet(_) => None,
        }
    }

    /// Class logits of penultimate `features` (the last layer alone).
    ///
    /// # Shapes
    /// - features: `[batch, features]`
    /// - output: `[batch, num_classes]`
    pub fn head(&self, features: Tensor<2>) -> Tensor<2> {
        match self {
            Self::Mlp(model) => model.head.forward(features),
            Self::LeNet(model) => model.head.forward(features),
            Self::Patches(model) => model.head.forward(features),
            Self::Scattering(model) => model.head.forward(features),
        }
    }

    /// Class logits.
    ///
    /// # Shapes
    /// - images: `[batch, channels, height, width]`
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        match self {
            Self::Mlp(model) => model.forward(images),
            Self::LeNet(model) => model.forward(images),
            Self::Patches(model) => model.forward(images),
            Self::Scattering(model) => model.forward(images),
        }
    }
}
