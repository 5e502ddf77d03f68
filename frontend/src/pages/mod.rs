//! One page a file. Each page sits in a `PageFrame` (an error boundary, `page_error.rs`):
//! what stops a page from showing its subject is a typed `PageError` it renders; smaller
//! failures are messages in the page itself.

mod benchmark;
mod experiment;
mod gallery;
mod models;
mod not_found;
mod probe;
mod replications;
mod studies;
mod study;

pub use benchmark::BenchmarkPage;
pub use experiment::ExperimentPage;
pub use gallery::GalleryPage;
pub use models::ModelsPage;
pub use not_found::NotFoundPage;
pub use probe::ProbePage;
pub use replications::ReplicationsPage;
pub use studies::StudiesPage;
pub use study::StudyPage;
