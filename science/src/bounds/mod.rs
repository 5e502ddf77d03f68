//! The mathematics of generalization bounds (`../shared/SCIENCE.md` §1), each piece tested
//! against known answers before any bound is built from it.
//!
//! - [`kl`]: the binary relative entropy and its upper inverse (PAC-Bayes-kl certificates).
//! - [`gaussian`]: KL divergence of a diagonal Gaussian posterior from an isotropic prior.
//! - [`margin`]: multi-class margins, the margin loss L̂_γ and the ramp loss R̂_γ.
//! - [`spectral`]: certified upper bounds on operator norms (Gram iteration; convolutions through
//!   their Fourier blocks) and power-iteration estimates, for dense layers and for convolutions
//!   as linear maps on their real input size.
//! - [`network`]: a trained classifier as a chain of linear maps with their norms;
//!   [`encoded`]: models with a fixed encoder (the sample split, sup of the encoding's norm).
//! - [`grid`]: the finite grids that union bounds run over.
//! - [`facts`]: the numbers the formulas read; [`vc`], [`rademacher`], [`bft`], [`nbs`]: the
//!   bounds, each a pure function of the facts.
//! - [`why`]: the one-line reason a vacuous bound is vacuous, from its own inputs.
//! - [`linear_pac_bayes`]: the PAC-Bayes margin bound of a linear head on fixed features.
//! - [`pac_bayes`]: the arithmetic of the optimized PAC-Bayes certificate (λ grid, kl steps);
//!   [`posterior`]: the posterior it certifies, trained, and its Monte-Carlo certificate.
//! - [`panel`]: computes the facts of a trained network and every bound; [`settings`]: what a
//!   panel request asks for, defaults filled in.

pub mod bft;
pub mod encoded;
pub mod facts;
pub mod gaussian;
pub mod grid;
pub mod kl;
pub mod linear_pac_bayes;
pub mod margin;
pub mod nbs;
pub mod network;
pub mod pac_bayes;
pub mod panel;
pub mod posterior;
pub mod rademacher;
pub mod settings;
pub mod spectral;
pub mod vc;
pub mod why;
