//! Low-complexity models on image patches (`../shared/SCIENCE.md` §4): patch extraction,
//! ZCA whitening, the geometry of patch sets (PCA spectra, intrinsic dimension), and the
//! whitened-patch dictionary model of Thiry et al. (2021).
//!
//! - [`extract`]: p×p windows of normalized images, in a convolution kernel's layout.
//! - [`train`]: a patch run (encoder fit, one encoding pass, the head trained alone).
//! - [`whitening`]: ZCA whitening (Σ + εI)^{-1/2}.
//! - [`dictionary`]: the data-dependent encoder (whitening, atoms, kernels, offsets).
//! - [`encode`]: the encoding of whole data sets (selection on the host, in parallel).
//! - [`geometry`]: PCA spectra and intrinsic-dimension estimators (TwoNN, Levina–Bickel).

pub mod dictionary;
pub mod encode;
pub mod extract;
pub mod geometry;
pub mod train;
pub mod whitening;
