//! How long computations report: the fraction done (0 to 1) and the stage they are in.

/// A progress callback: `report(fraction, stage)`.
pub type Report<'a> = &'a mut dyn FnMut(f64, &str);
