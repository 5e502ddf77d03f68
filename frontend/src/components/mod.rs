//! Reusable view pieces, one component a file.

mod analysis_job;
mod bound_chart;
mod bound_comparison;
mod bound_panel;
pub mod curves;
mod experiment_card;
mod invariance_curve;
mod lie_section;
pub mod line_chart;
mod new_experiment;
mod patch_geometry;
mod preview;
mod probabilities;
mod probe_section;
mod progress_bar;
mod status_badge;
mod symmetry_section;

pub use analysis_job::writable;
pub use bound_chart::BoundChart;
pub use bound_comparison::{BoundComparison, tightest_bound};
pub use bound_panel::{BoundSection, number};
pub use curves::Curves;
pub use experiment_card::ExperimentCard;
pub use invariance_curve::InvarianceCurve;
pub use lie_section::LieSection;
pub use line_chart::LineChart;
pub use new_experiment::NewExperiment;
pub use patch_geometry::PatchGeometryPanel;
pub use preview::Preview;
pub use probabilities::Probabilities;
pub use probe_section::ProbeSection;
pub use progress_bar::ProgressBar;
pub use status_badge::StatusBadge;
pub use symmetry_section::SymmetrySection;
