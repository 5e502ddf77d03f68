//! memlab's science: every computation the lab runs, as plain functions of data.
//!
//! A function here takes what it computes from (data sets, models, settings), a progress
//! callback ([`progress::Report`]) where it runs long, and returns its result. It never sees
//! HTTP, SQL, a job queue or the app's state, and it reads only the files it is handed: the
//! CLI, the server's jobs and (next) remote workers all call the same functions.
//!
//! - Data: [`data`] (IDX, image folders, CIFAR-10, the Glasses generator, augmentation,
//!   randomization).
//! - Training: [`run`] (the entry point for every model kind), [`training`] (the network loop,
//!   evaluation, resumable checkpoints as bytes), [`patches`] and [`scattering`] (fixed
//!   encoders and their fits, sharing [`encoded`]), [`batch`] (splits as tensors), [`rng`]
//!   (seeded randomness), [`weights`] (models as bytes), [`cpu`] (threads that flush
//!   subnormals).
//! - Bounds: [`bounds`] (the mathematics, the panel, optimized PAC-Bayes).
//! - Symmetries: [`probes`] (invariance under classical transforms), [`lie`] (invariant affine
//!   generators), [`symmetry`] (learned symmetries L_θ), [`oracles`] (the Glasses oracles that
//!   score them).
//! - [`replications`]: published claims read from memlab's own runs (the Replications page).
//! - Shared by analyses: [`finished`] (a finished run, loaded), [`linalg`].
//!
//! **Architecture Invariant:** no tokio, axum or sqlx in this crate's dependency tree (checked
//! by `cargo xtask lint`), and no backend named: callers pass the device.

pub mod batch;
pub mod bounds;
pub mod cpu;
pub mod data;
pub mod encoded;
pub mod finished;
pub mod lie;
pub mod linalg;
pub mod oracles;
pub mod patches;
pub mod probes;
pub mod progress;
pub mod replications;
pub mod rng;
pub mod run;
pub mod scattering;
pub mod symmetry;
pub mod training;
pub mod weights;
