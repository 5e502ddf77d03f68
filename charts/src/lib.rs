//! memlab's charts, drawn by plotters into SVG strings (no IO, no DOM): the browser shows them
//! and offers them for download; native tests check them. Why plotters: a Rust charting
//! library that compiles to wasm32 (text measured by the browser there), draws axes, ticks,
//! log scales and legends, and renders SVG that downloads as is.

pub mod bars;
pub mod line;
pub mod svg;
