//! What every analysis of a finished training run starts from: its data and its model.

use std::sync::Arc;

use memlab_shared::model::Classifier;

use crate::data::Dataset;
use crate::weights::ModelCard;

/// A finished run, loaded.
pub struct Finished {
    /// The data the run trained and was evaluated on (randomized as it was).
    pub dataset: Arc<Dataset>,
    /// The saved model card.
    pub card: ModelCard,
    /// The trained model.
    pub model: Classifier,
}
