//! The `memlab` command's subcommands, one file each, and what they share ([`common`]).

pub(crate) mod bounds;
pub(crate) mod common;
pub(crate) mod geometry;
pub(crate) mod lie;
pub(crate) mod probe;
pub(crate) mod replicate;
pub(crate) mod scattering;
pub(crate) mod serve;
pub(crate) mod symmetry;
pub(crate) mod train;
