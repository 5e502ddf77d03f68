//! Classifier architectures shared by training (server) and inference (server and browser).

mod classifier;
mod lenet;
mod mlp;

pub use classifier::{Classifier, ClassifierConfig};
pub use lenet::{LeNet, LeNetConfig};
pub use mlp::{Mlp, MlpConfig};
