//! Fuzz target: decoding and preprocessing an uploaded image (PNG, JPEG, WebP, GIF, anything)
//! for a grayscale 28×28 and an RGB 32×32 model: never a panic, never past the decoding limits,
//! and what it accepts has the model's size; an image published for links (its canonical PNG)
//! gives both models exactly what the upload gives them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use memlab_shared::preprocess::{InputSpec, canonical_png, decode_image};

fuzz_target!(|data: &[u8]| {
    let published = canonical_png(data, 1024).ok();
    for (channels, side) in [(1, 28), (3, 32)] {
        let spec = InputSpec {
            channels,
            height: side,
            width: side,
            mean: vec![0.5; channels],
            std: vec![0.25; channels],
        };
        if let Ok(pixels) = decode_image(data, &spec) {
            assert_eq!(pixels.values.len(), channels * side * side);
            assert!(pixels.values.iter().all(|v| (0.0..=1.0).contains(v)));
            if let Some((png, _, _)) = &published {
                assert_eq!(decode_image(png, &spec).ok(), Some(pixels));
            }
        }
    }
});
