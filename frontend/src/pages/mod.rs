//! One page a file; each page renders its own errors as readable messages.

mod benchmark;
mod experiment;
mod gallery;
mod models;
mod not_found;
mod probe;
mod studies;
mod study;

pub use benchmark::BenchmarkPage;
pub use experiment::ExperimentPage;
pub use gallery::GalleryPage;
pub use models::ModelsPage;
pub use not_found::NotFoundPage;
pub use probe::ProbePage;
pub use studies::StudiesPage;
pub use study::StudyPage;
