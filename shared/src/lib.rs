//! What the server and the browser both compile: model definitions, preprocessing, image
//! transforms and the HTTP API's types.
//!
//! - [`model`]: burn modules (MLP, LeNet) with their configs; no backend is named here.
//! - [`preprocess`]: image decoding, resizing and normalization exactly as training saw it.
//! - [`transform`]: geometric transforms applied to preprocessed pixels (rotation).
//! - [`api`]: the serde types of the JSON API; [`bounds`]: those of the bound panel;
//!   [`studies`]: those of studies (grids of runs).
//!
//! **Architecture Invariant:** this crate does no IO and chooses no device; callers pass a
//! `burn::tensor::Device` in.

pub mod api;
pub mod bounds;
pub mod model;
pub mod preprocess;
pub mod studies;
pub mod transform;
