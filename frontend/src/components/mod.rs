//! Reusable view pieces, one component a file.

pub mod curves;
mod experiment_card;
mod new_experiment;
mod preview;
mod probabilities;
mod progress_bar;
mod status_badge;

pub use curves::Curves;
pub use experiment_card::ExperimentCard;
pub use new_experiment::NewExperiment;
pub use preview::Preview;
pub use probabilities::Probabilities;
pub use progress_bar::ProgressBar;
pub use status_badge::StatusBadge;
