//! Fuzz target: the IDX reader (MNIST's format) on arbitrary bytes: never a panic, and what it
//! accepts has exactly as many values as its dimensions say.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(array) = memlab_science::data::idx::parse_idx(data) {
        let count = array
            .dims
            .iter()
            .try_fold(1usize, |product, &dim| product.checked_mul(dim));
        assert_eq!(count, Some(array.values.len()));
    }
});
