//! Geometric transforms on [`Pixels`], shared by the browser sliders and server-side probes.

use crate::preprocess::Pixels;

/// Rotates each channel by `degrees` (counter-clockwise on screen) about the image centre.
///
/// Bilinear interpolation; samples falling outside the image read as 0 (black background).
/// The output has the input's size.
pub fn rotate(pixels: &Pixels, degrees: f32) -> Pixels {
    let (height, width) = (pixels.height, pixels.width);
    let (sin, cos) = degrees.to_radians().sin_cos();
    let center_y = (height as f32 - 1.0) / 2.0;
    let center_x = (width as f32 - 1.0) / 2.0;
    let plane = height * width;
    let mut values = vec![0.0; pixels.values.len()];
    for channel in 0..pixels.channels {
        let source = &pixels.values[channel * plane..(channel + 1) * plane];
        let target = &mut values[channel * plane..(channel + 1) * plane];
        for row in 0..height {
            for col in 0..width {
                // Inverse map: where in the source does this output pixel come from?
                let dy = row as f32 - center_y;
                let dx = col as f32 - center_x;
                let source_x = cos * dx - sin * dy + center_x;
                let source_y = sin * dx + cos * dy + center_y;
                target[row * width + col] = bilinear(source, height, width, source_y, source_x);
            }
        }
    }
    Pixels {
        channels: pixels.channels,
        height,
        width,
        values,
    }
}

/// Bilinear sample of a `height × width` plane at a fractional position, zero outside.
fn bilinear(plane: &[f32], height: usize, width: usize, y: f32, x: f32) -> f32 {
    let y0 = y.floor();
    let x0 = x.floor();
    let fy = y - y0;
    let fx = x - x0;
    let at = |row: f32, col: f32| -> f32 {
        if row < 0.0 || col < 0.0 || row >= height as f32 || col >= width as f32 {
            0.0
        } else {
            plane[row as usize * width + col as usize]
        }
    };
    let top = at(y0, x0) * (1.0 - fx) + at(y0, x0 + 1.0) * fx;
    let bottom = at(y0 + 1.0, x0) * (1.0 - fx) + at(y0 + 1.0, x0 + 1.0) * fx;
    top * (1.0 - fy) + bottom * fy
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(values: Vec<f32>, side: usize) -> Pixels {
        Pixels {
            channels: 1,
            height: side,
            width: side,
            values,
        }
    }

    #[test]
    fn zero_degrees_is_identity() {
        let input = image((0..25).map(|value| value as f32 / 25.0).collect(), 5);
        let output = rotate(&input, 0.0);
        for (a, b) in input.values.iter().zip(&output.values) {
            assert!((a - b).abs() < 1e-6);
        }
    }

    #[test]
    fn quarter_turn_moves_pixels_exactly() {
        // 3×3 with a single bright pixel at the right-middle (row 1, col 2).
        let mut values = vec![0.0; 9];
        values[5] = 1.0;
        let output = rotate(&image(values, 3), 90.0);
        // Counter-clockwise on screen (y down): right-middle goes to top-middle (row 0, col 1).
        let expected = [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        for (got, want) in output.values.iter().zip(expected) {
            assert!((got - want).abs() < 1e-5, "{:?}", output.values);
        }
    }

    #[test]
    fn full_turn_is_identity_up_to_rounding() {
        let input = image((0..49).map(|value| (value % 7) as f32 / 7.0).collect(), 7);
        let output = rotate(&input, 360.0);
        for (a, b) in input.values.iter().zip(&output.values) {
            assert!((a - b).abs() < 1e-4);
        }
    }

    #[test]
    fn half_pixel_shift_interpolates() {
        assert!((bilinear(&[0.0, 1.0, 0.0, 1.0], 2, 2, 0.0, 0.5) - 0.5).abs() < 1e-6);
        assert!((bilinear(&[1.0, 1.0, 1.0, 1.0], 2, 2, -1.0, 0.0)).abs() < 1e-6);
    }
}
