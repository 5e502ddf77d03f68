//! The mathematics of generalization bounds (`../shared/SCIENCE.md` §1), each piece tested
//! against known answers before any bound is built from it.
//!
//! - [`kl`]: the binary relative entropy and its upper inverse (PAC-Bayes-kl certificates).
//! - [`gaussian`]: KL divergence of a diagonal Gaussian posterior from an isotropic prior.
//! - [`margin`]: multi-class margins and the empirical margin loss L̂_γ.
//! - [`spectral`]: operator norms by power iteration, for dense layers and for convolutions as
//!   linear maps on their real input size.

pub mod gaussian;
pub mod kl;
pub mod margin;
pub mod spectral;
