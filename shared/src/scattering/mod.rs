//! The 2-D scattering transform's parts that are not a network: Kymatio's Morlet filter bank
//! ([`filters`]) and complex spectra as tensor pairs ([`fourier`]). The transform itself is the
//! module [`crate::model::Scattering`].

pub mod filters;
pub mod fourier;
