//! Image decoding and normalization: the one path from bytes or stored pixels to model input.
//!
//! Training reads raw 8-bit pixels from the data set; the browser and `/predict` decode an image
//! file. Both end in [`Pixels`] (values in `[0, 1]`, channels first) and then [`normalize`], so a
//! data set image served as PNG and decoded again gives exactly the training input.

use std::io::Cursor;

use image::{DynamicImage, ImageReader, Limits, imageops::FilterType};
use serde::{Deserialize, Serialize};

pub use crate::limits::{MAX_DECODE_BYTES, MAX_DECODE_SIDE};

/// The input a model expects: its size and the per-channel normalization used in training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InputSpec {
    /// 1 for grayscale, 3 for RGB.
    pub channels: usize,
    /// Height in pixels.
    pub height: usize,
    /// Width in pixels.
    pub width: usize,
    /// Per-channel mean subtracted after scaling pixels to `[0, 1]`.
    pub mean: Vec<f32>,
    /// Per-channel standard deviation divided by after subtracting the mean.
    pub std: Vec<f32>,
}

impl InputSpec {
    /// A spec that keeps pixels as they are, in `[0, 1]` (mean 0, standard deviation 1).
    pub fn raw(channels: usize, height: usize, width: usize) -> Self {
        Self {
            channels,
            height,
            width,
            mean: vec![0.0; channels],
            std: vec![1.0; channels],
        }
    }

    /// Number of values in one image (`channels × height × width`).
    pub fn len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Whether the spec describes an empty image.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends to `out` the model's input for one image of values in `[0, 1]` (channels first,
    /// this spec's shape; `scaled` gives a value from a stored one): each value minus its
    /// channel's mean, over its channel's standard deviation.
    pub fn extend_normalized<T: Copy>(
        &self,
        image: &[T],
        scaled: impl Fn(T) -> f32,
        out: &mut Vec<f32>,
    ) {
        debug_assert_eq!(image.len(), self.len(), "an image of another shape");
        standardize_planes(self, self.height * self.width, image, scaled, out);
    }

    /// [`InputSpec::extend_normalized`] of 8-bit values (a value v is v / 255).
    pub fn extend_normalized_bytes(&self, image: &[u8], out: &mut Vec<f32>) {
        self.extend_normalized(image, |byte| f32::from(byte) / 255.0, out);
    }
}

/// An image as floats in `[0, 1]`, channels first (`[channels, height, width]`, row-major).
#[derive(Debug, Clone, PartialEq)]
pub struct Pixels {
    /// Number of channels.
    pub channels: usize,
    /// Height in pixels.
    pub height: usize,
    /// Width in pixels.
    pub width: usize,
    /// `channels × height × width` values.
    pub values: Vec<f32>,
}

/// Why an image could not be turned into model input.
#[derive(Debug, thiserror::Error)]
pub enum PreprocessError {
    /// The bytes are not an image in a supported format (PNG, JPEG, WebP, GIF), or are
    /// truncated.
    #[error("not a readable PNG, JPEG, WebP or GIF image: {0}")]
    Decode(String),
    /// The image declares more pixels than the server and browser agree to decode.
    #[error("image too large: {width}×{height} pixels (at most {max}×{max})")]
    TooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The limit per side.
        max: u32,
    },
    /// The spec has a channel count other than 1 or 3.
    #[error("unsupported channel count {0} (expected 1 or 3)")]
    Channels(usize),
}

impl Pixels {
    /// Converts 8-bit pixels laid out channels first into `[0, 1]` floats.
    pub fn from_u8(channels: usize, height: usize, width: usize, bytes: &[u8]) -> Self {
        Self {
            channels,
            height,
            width,
            values: bytes.iter().map(|&byte| f32::from(byte) / 255.0).collect(),
        }
    }

    /// Back to 8-bit values, rounding and clamping (for display and PNG export).
    pub fn to_u8(&self) -> Vec<u8> {
        self.values
            .iter()
            .map(|value| (value.clamp(0.0, 1.0) * 255.0).round() as u8)
            .collect()
    }

    /// Encodes the pixels as a PNG file (grayscale or RGB).
    pub fn to_png(&self) -> Result<Vec<u8>, PreprocessError> {
        let plane = self.height * self.width;
        let bytes = self.to_u8();
        let interleaved: Vec<u8> = (0..plane)
            .flat_map(|index| (0..self.channels).map(move |channel| channel * plane + index))
            .map(|source| bytes[source])
            .collect();
        let color = match self.channels {
            1 => image::ExtendedColorType::L8,
            3 => image::ExtendedColorType::Rgb8,
            other => return Err(PreprocessError::Channels(other)),
        };
        let mut out = Vec::new();
        image::ImageEncoder::write_image(
            image::codecs::png::PngEncoder::new(&mut out),
            &interleaved,
            self.width as u32,
            self.height as u32,
            color,
        )
        .map_err(|error| PreprocessError::Decode(error.to_string()))?;
        Ok(out)
    }
}

/// The pixels as a `data:image/png;base64,...` URL (what the browser shows as the model input).
pub fn png_data_url(pixels: &Pixels) -> Result<String, PreprocessError> {
    Ok(format!(
        "data:image/png;base64,{}",
        base64(&pixels.to_png()?)
    ))
}

/// Standard base64 (RFC 4648) with padding.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes an image file (PNG, JPEG, WebP, or a GIF's first frame) and brings it to the size
/// and channels of `spec`.
///
/// Grayscale specs use the luma conversion of the `image` crate; a resize (only when the size
/// differs) uses bilinear filtering.
pub fn decode_image(bytes: &[u8], spec: &InputSpec) -> Result<Pixels, PreprocessError> {
    // Reading the header allocates nothing, so it runs without limits: a declared size over the
    // limit gets its own message instead of a generic decoding error.
    let mut header = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(decode_error)?;
    header.no_limits();
    let (width, height) = header.into_dimensions().map_err(decode_error)?;
    if width > MAX_DECODE_SIDE || height > MAX_DECODE_SIDE {
        return Err(PreprocessError::TooLarge {
            width,
            height,
            max: MAX_DECODE_SIDE,
        });
    }
    let image = reader(bytes)?.decode().map_err(decode_error)?;
    from_dynamic(image, spec)
}

/// An image file brought to one canonical form for publishing: its pixels (a GIF's first frame)
/// as a PNG, without metadata, and its size. Decoding the PNG gives the same pixels as decoding
/// `bytes`, so a model sees the same input from either. Refused: a side over `max_side`.
pub fn canonical_png(bytes: &[u8], max_side: u32) -> Result<(Vec<u8>, u32, u32), PreprocessError> {
    let mut header = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(decode_error)?;
    header.no_limits();
    let (width, height) = header.into_dimensions().map_err(decode_error)?;
    let max = max_side.min(MAX_DECODE_SIDE);
    if width > max || height > max {
        return Err(PreprocessError::TooLarge { width, height, max });
    }
    let image = reader(bytes)?.decode().map_err(decode_error)?;
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(decode_error)?;
    Ok((png, width, height))
}

/// A reader over `bytes` that guesses the format and refuses oversized allocations.
fn reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, PreprocessError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(decode_error)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODE_SIDE);
    limits.max_image_height = Some(MAX_DECODE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    Ok(reader)
}

fn decode_error(error: impl std::fmt::Display) -> PreprocessError {
    PreprocessError::Decode(error.to_string())
}

/// Brings a decoded image to the size and channels of `spec`.
fn from_dynamic(image: DynamicImage, spec: &InputSpec) -> Result<Pixels, PreprocessError> {
    let (width, height) = (spec.width as u32, spec.height as u32);
    let image = if image.width() == width && image.height() == height {
        image
    } else {
        image.resize_exact(width, height, FilterType::Triangle)
    };
    let plane = spec.height * spec.width;
    let values = match spec.channels {
        1 => image.to_luma8().into_raw(),
        3 => {
            let rgb = image.to_rgb8().into_raw();
            let rgb = &rgb;
            (0..3)
                .flat_map(|channel| (0..plane).map(move |index| rgb[index * 3 + channel]))
                .collect()
        }
        other => return Err(PreprocessError::Channels(other)),
    };
    Ok(Pixels::from_u8(
        spec.channels,
        spec.height,
        spec.width,
        &values,
    ))
}

/// Applies the training normalization `(value - mean[c]) / std[c]` channel by channel.
pub fn normalize(pixels: &Pixels, spec: &InputSpec) -> Vec<f32> {
    let mut out = Vec::with_capacity(pixels.values.len());
    standardize_planes(
        spec,
        pixels.height * pixels.width,
        &pixels.values,
        |value| value,
        &mut out,
    );
    out
}

/// Appends `(scaled(v) − mean_c) / std_c` for each value v of `values`, whose planes of `plane`
/// values are channels 0, 1, …: a plane at a time, so no value pays a division to find its
/// channel (that division cost about 3 % of a LeNet training step).
fn standardize_planes<T: Copy>(
    spec: &InputSpec,
    plane: usize,
    values: &[T],
    scaled: impl Fn(T) -> f32,
    out: &mut Vec<f32>,
) {
    for ((plane_values, &mean), &std) in values.chunks(plane.max(1)).zip(&spec.mean).zip(&spec.std)
    {
        out.extend(
            plane_values
                .iter()
                .map(|&value| (scaled(value) - mean) / std),
        );
    }
}

/// A PNG signature, a valid IHDR chunk declaring `width × height` 8-bit grayscale pixels, and
/// an empty IDAT and IEND: no pixel data behind the claim, the shape of a decompression-bomb
/// upload, for tests.
pub fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&width.to_be_bytes());
    chunk.extend_from_slice(&height.to_be_bytes());
    chunk.extend_from_slice(&[8, 0, 0, 0, 0]); // depth 8, grayscale, deflate, no filter, no interlace
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&chunk);
    png.extend_from_slice(&crc32(&chunk).to_be_bytes());
    for name in [b"IDAT", b"IEND"] {
        png.extend_from_slice(&0u32.to_be_bytes());
        png.extend_from_slice(name);
        png.extend_from_slice(&crc32(name).to_be_bytes());
    }
    png
}

/// CRC-32 (IEEE 802.3, reflected), as PNG chunks use.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gray(side: usize) -> InputSpec {
        InputSpec {
            channels: 1,
            height: side,
            width: side,
            mean: vec![0.5],
            std: vec![0.25],
        }
    }

    #[test]
    fn png_round_trip_is_exact() {
        let bytes: Vec<u8> = (0..16).map(|value| value * 16).collect();
        let pixels = Pixels::from_u8(1, 4, 4, &bytes);
        let decoded = decode_image(&pixels.to_png().expect("encode"), &gray(4)).expect("decode");
        assert_eq!(decoded, pixels);
    }

    #[test]
    fn rgb_round_trip_keeps_channel_planes() {
        let bytes: Vec<u8> = (0..12).map(|value| value * 20).collect();
        let pixels = Pixels::from_u8(3, 2, 2, &bytes);
        let spec = InputSpec::raw(3, 2, 2);
        let decoded = decode_image(&pixels.to_png().expect("encode"), &spec).expect("decode");
        assert_eq!(decoded, pixels);
    }

    /// A 6×5 gray pattern with the three levels a GIF palette holds exactly.
    fn three_levels() -> Pixels {
        let bytes: Vec<u8> = (0..30).map(|index| [0, 128, 255][index % 3]).collect();
        Pixels::from_u8(1, 5, 6, &bytes)
    }

    fn rgba(pixels: &Pixels) -> image::RgbaImage {
        let bytes = pixels.values.iter().flat_map(|&value| {
            let level = (value * 255.0).round() as u8;
            [level, level, level, 255]
        });
        image::RgbaImage::from_raw(pixels.width as u32, pixels.height as u32, bytes.collect())
            .expect("buffer size")
    }

    /// The 5×6 grayscale spec of [`three_levels`].
    fn five_by_six() -> InputSpec {
        InputSpec {
            height: 5,
            width: 6,
            ..gray(1)
        }
    }

    /// An animated GIF with one frame per image.
    fn gif_of(frames: &[&Pixels]) -> Vec<u8> {
        let mut gif = Vec::new();
        {
            let mut encoder = image::codecs::gif::GifEncoder::new(&mut gif);
            for pixels in frames {
                encoder
                    .encode_frame(image::Frame::new(rgba(pixels)))
                    .expect("frame");
            }
        }
        gif
    }

    #[test]
    fn lossless_webp_decodes_like_the_png() {
        let pixels = three_levels();
        let mut webp = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
            .encode(
                rgba(&pixels).as_raw(),
                6,
                5,
                image::ExtendedColorType::Rgba8,
            )
            .expect("encode");
        let spec = five_by_six();
        assert_eq!(decode_image(&webp, &spec).expect("decode"), pixels);
    }

    #[test]
    fn a_gif_gives_its_first_frame() {
        let first = three_levels();
        let second = Pixels::from_u8(1, 5, 6, &[255; 30]);
        let gif = gif_of(&[&first, &second]);
        let spec = five_by_six();
        assert_eq!(decode_image(&gif, &spec).expect("decode"), first);
    }

    #[test]
    fn canonical_png_keeps_what_the_model_sees() {
        let first = three_levels();
        let gif = gif_of(&[&first]);
        let spec = five_by_six();
        let (png, width, height) = canonical_png(&gif, 64).expect("canonical");
        assert_eq!((width, height), (6, 5));
        assert_eq!(&png[1..4], b"PNG");
        assert_eq!(
            decode_image(&png, &spec).expect("png"),
            decode_image(&gif, &spec).expect("gif")
        );
        // Resized inputs agree too (RGB planes of a smaller model input).
        let small = InputSpec::raw(3, 3, 3);
        assert_eq!(
            decode_image(&png, &small).expect("png"),
            decode_image(&gif, &small).expect("gif")
        );
        assert!(matches!(
            canonical_png(&gif, 5),
            Err(PreprocessError::TooLarge { max: 5, .. })
        ));
        assert!(matches!(
            canonical_png(b"not an image", 64),
            Err(PreprocessError::Decode(_))
        ));
    }

    #[test]
    fn base64_known_answers() {
        // RFC 4648, section 10.
        for (input, output) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), output);
        }
    }

    #[test]
    fn crc32_known_answer() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn normalize_known_answer() {
        let pixels = Pixels {
            channels: 1,
            height: 1,
            width: 2,
            values: vec![0.5, 1.0],
        };
        assert_eq!(normalize(&pixels, &gray(1)), vec![0.0, 2.0]);
    }

    #[test]
    fn bytes_are_normalized_per_channel() {
        let spec = InputSpec {
            channels: 2,
            height: 1,
            width: 2,
            mean: vec![0.5, 0.0],
            std: vec![0.25, 2.0],
        };
        let mut out = vec![9.0];
        spec.extend_normalized_bytes(&[0, 255, 51, 255], &mut out);
        // (0 − 0.5)/0.25, (1 − 0.5)/0.25; then 0.2/2, 1/2.
        let expected = [9.0, -2.0, 2.0, 0.1, 0.5];
        assert_eq!(out.len(), expected.len());
        for (got, want) in out.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{out:?}");
        }
        let pixels = Pixels::from_u8(2, 1, 2, &[0, 255, 51, 255]);
        assert_eq!(normalize(&pixels, &spec), out[1..]);
    }

    #[test]
    fn garbage_and_truncated_files_are_errors() {
        assert!(matches!(
            decode_image(b"hello", &gray(4)),
            Err(PreprocessError::Decode(_))
        ));
        let png = Pixels::from_u8(1, 4, 4, &[7; 16]).to_png().expect("encode");
        let truncated = &png[..png.len() / 2];
        assert!(matches!(
            decode_image(truncated, &gray(4)),
            Err(PreprocessError::Decode(_))
        ));
    }

    #[test]
    fn huge_declared_size_is_refused_before_decoding() {
        let png = png_header_only(50_000, 50_000);
        assert!(matches!(
            decode_image(&png, &gray(4)),
            Err(PreprocessError::TooLarge { .. })
        ));
    }
}
