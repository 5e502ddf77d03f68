//! Architectures shared by training (server) and inference (server and browser): the
//! classifiers (an MLP, LeNet, the whitened-patch dictionary model, scattering networks), and the learned transform L_θ with its discriminator, and the autoencoder its latent search
//! reflects codes in.

mod autoencoder;
mod classifier;
mod discriminator;
mod lenet;
mod mlp;
mod patch_net;
mod scatter_net;
mod scattering;
mod transform_net;

pub use autoencoder::{Autoencoder, AutoencoderConfig};
pub use classifier::{Classifier, ClassifierConfig};
pub use discriminator::{Discriminator, DiscriminatorConfig};
pub use lenet::{LeNet, LeNetConfig};
pub use mlp::{Mlp, MlpConfig};
pub use patch_net::{PatchNet, PatchNetConfig};
pub use scatter_net::{HybridCnn, ScatterNet, ScatterNetConfig};
pub use scattering::{Scattering, ScatteringConfig};
pub use transform_net::{TransformNet, TransformNetConfig};
