//! Architectures shared by training (server) and inference (server and browser): the
//! classifiers, and the learned transform L_θ with its discriminator.

mod classifier;
mod discriminator;
mod lenet;
mod mlp;
mod transform_net;

pub use classifier::{Classifier, ClassifierConfig};
pub use discriminator::{Discriminator, DiscriminatorConfig};
pub use lenet::{LeNet, LeNetConfig};
pub use mlp::{Mlp, MlpConfig};
pub use transform_net::{TransformNet, TransformNetConfig};
