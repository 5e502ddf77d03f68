//! memlab's store: everything kept between runs of the server, and the only crate that names
//! sqlx or a path on disk.
//!
//! - The database: [`sql`] (opening it, migrations from `store/migrations`, the error type);
//!   repositories [`experiments`], [`analyses`] (of a run), [`dataset_jobs`] (of a data set),
//!   [`studies`].
//! - Files, behind one small trait ([`files::Files`]; a local directory today): [`artifacts`]
//!   (a run's weights and model card), [`checkpoint`] (training checkpoints, put whole),
//!   [`oracles`] (the Glasses oracles, trained once), [`images`] (published images,
//!   content-addressed).

pub mod analyses;
pub mod artifacts;
pub mod checkpoint;
pub mod dataset_jobs;
pub mod experiments;
pub mod files;
pub mod images;
pub mod oracles;
pub mod sql;
pub mod studies;

pub use files::{Files, LocalDir};
pub use sql::{DbError, connect};
pub use sqlx::SqlitePool;
