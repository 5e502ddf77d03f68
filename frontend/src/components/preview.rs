//! The preprocessed model input, shown enlarged with crisp pixels.

use leptos::prelude::*;
use memlab_shared::preprocess::Pixels;

/// A `data:` URL of the pixels as PNG, or `None` if they cannot be encoded.
pub fn png_data_url(pixels: &Pixels) -> Option<String> {
    pixels
        .to_png()
        .ok()
        .map(|png| format!("data:image/png;base64,{}", base64(&png)))
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let word = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for position in 0..4 {
            if position <= chunk.len() {
                out.push(TABLE[(word >> (18 - 6 * position) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The image as the model sees it (after resizing, grayscale and rotation).
#[component]
pub fn Preview(src: Option<String>) -> impl IntoView {
    match src {
        Some(src) => {
            view! { <img id="preprocessed" class="preview" src=src alt="model input" /> }.into_any()
        }
        None => view! { <div class="preview"></div> }.into_any(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_known_answers() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
