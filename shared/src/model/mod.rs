//! Architectures shared by training (server) and inference (server and browser): the
//! classifiers (an MLP, LeNet, the whitened-patch dictionary model), and the learned transform L_θ with its discriminator.

mod classifier;
mod discriminator;
mod lenet;
mod mlp;
mod patch_net;
mod transform_net;

pub use classifier::{Classifier, ClassifierConfig};
pub use discriminator::{Discriminator, DiscriminatorConfig};
pub use lenet::{LeNet, LeNetConfig};
pub use mlp::{Mlp, MlpConfig};
pub use patch_net::{PatchNet, PatchNetConfig};
pub use transform_net::{TransformNet, TransformNetConfig};
