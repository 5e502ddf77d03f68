//! Test helpers of the science tests.

#![allow(dead_code)]

mod toy;

pub use toy::*;
