//! What the server and the browser both compile: model definitions, preprocessing, image
//! transforms and the HTTP API's types.
//!
//! - [`model`]: burn modules (MLP, LeNet, the whitened-patch model) with their configs; no
//!   backend is named here. [`models`]: the models page's comparison of architectures.
//! - [`scattering`]: Kymatio's Morlet filter bank and the Fourier-domain arithmetic of the
//!   scattering transform.
//! - [`geometry`]: the types of patch geometry (spectra, intrinsic dimension).
//! - [`glasses`]: the procedural face data set whose true symmetry (toggle glasses) is known.
//! - [`preprocess`]: image decoding, resizing and normalization exactly as training saw it;
//!   [`upload_form`]: uploads brought to a data set's form (polarity, crop, box, centring).
//! - [`transform`]: image transforms (rotation, translation, scale, flip, brightness, contrast,
//!   circular shifts) on preprocessed pixels; [`probes`]: the types of invariance probes.
//! - [`api`]: the serde types of the JSON API; [`analysis`]: the job of an analysis of a run;
//!   [`bounds`]: the bound panel's types; [`studies`]: those of studies (grids of runs);
//!   [`symmetry`]: those of learned symmetries L_θ; [`lie`]: those of Lie-generator discovery;
//!   [`replications`]: those of the Replications page.
//!
//! **Architecture Invariant:** this crate does no IO and chooses no device; callers pass a
//! `burn::tensor::Device` in.

pub mod analysis;
pub mod api;
pub mod bounds;
pub mod geometry;
pub mod glasses;
pub mod lie;
pub mod limits;
pub mod model;
pub mod models;
pub mod preprocess;
pub mod probes;
pub mod replications;
pub mod scattering;
pub mod studies;
pub mod symmetry;
pub mod transform;
pub mod upload_form;
