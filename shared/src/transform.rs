//! Image transforms on [`Pixels`] (rotation, translation, scale, flip, brightness, contrast,
//! circular shifts), shared by the browser sliders, server-side probes and training
//! augmentation, so all three apply exactly the same arithmetic.
//!
//! Geometry is an affine map of the image plane about the image centre, in pixels, with y
//! pointing down (screen coordinates): each output pixel reads the source at the inverse image
//! of its position by bilinear interpolation; outside the image reads 0 (black) or wraps around.

use serde::{Deserialize, Serialize};

use crate::preprocess::Pixels;

/// A transform with one real parameter `t`; `identity()` is the value that changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TransformKind {
    /// Rotation by `t` degrees, counter-clockwise on screen.
    Rotation,
    /// Translation by `t` pixels to the right (zero fill).
    TranslateX,
    /// Translation by `t` pixels down (zero fill).
    TranslateY,
    /// Zoom by the factor `t` about the centre (`t` > 1 enlarges).
    Scale,
    /// Mirror left–right when `t` ≥ 0.5.
    HorizontalFlip,
    /// Add `t` to every value, then clip to `[0, 1]`.
    Brightness,
    /// Scale each channel's deviation from its mean by `t`, then clip to `[0, 1]`.
    Contrast,
    /// Translation by `t` pixels to the right, wrapping around (a torus).
    CircularShiftX,
    /// Translation by `t` pixels down, wrapping around (a torus).
    CircularShiftY,
}

impl TransformKind {
    /// The classical probes, in display order.
    pub const CLASSICAL: [Self; 7] = [
        Self::Rotation,
        Self::TranslateX,
        Self::TranslateY,
        Self::Scale,
        Self::HorizontalFlip,
        Self::Brightness,
        Self::Contrast,
    ];

    /// Every transform.
    pub const ALL: [Self; 9] = [
        Self::Rotation,
        Self::TranslateX,
        Self::TranslateY,
        Self::Scale,
        Self::HorizontalFlip,
        Self::Brightness,
        Self::Contrast,
        Self::CircularShiftX,
        Self::CircularShiftY,
    ];

    /// The name people read.
    pub fn label(self) -> &'static str {
        match self {
            Self::Rotation => "rotation",
            Self::TranslateX => "translation x",
            Self::TranslateY => "translation y",
            Self::Scale => "scale",
            Self::HorizontalFlip => "horizontal flip",
            Self::Brightness => "brightness",
            Self::Contrast => "contrast",
            Self::CircularShiftX => "circular shift x",
            Self::CircularShiftY => "circular shift y",
        }
    }

    /// The unit of the parameter.
    pub fn unit(self) -> &'static str {
        match self {
            Self::Rotation => "°",
            Self::TranslateX | Self::TranslateY | Self::CircularShiftX | Self::CircularShiftY => {
                "px"
            }
            Self::Scale | Self::Contrast => "×",
            Self::HorizontalFlip => "on/off",
            Self::Brightness => "Δ (of the [0, 1] range)",
        }
    }

    /// The parameter value that leaves every image unchanged.
    pub fn identity(self) -> f32 {
        match self {
            Self::Scale | Self::Contrast => 1.0,
            _ => 0.0,
        }
    }

    /// The default sweep `(from, to, points)` for an image `width` pixels wide.
    pub fn default_sweep(self, width: usize) -> (f32, f32, usize) {
        let quarter = (width / 4) as f32;
        match self {
            Self::Rotation => (-180.0, 180.0, 25),
            Self::TranslateX | Self::TranslateY => (-quarter, quarter, 2 * quarter as usize + 1),
            Self::Scale => (0.5, 1.5, 11),
            Self::HorizontalFlip => (0.0, 1.0, 2),
            Self::Brightness => (-0.5, 0.5, 11),
            Self::Contrast => (0.0, 2.0, 11),
            Self::CircularShiftX | Self::CircularShiftY => (0.0, (width - 1) as f32, width),
        }
    }
}

/// What a sample outside the image reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// Zero (black).
    Zero,
    /// The pixel at the position modulo the image size.
    Wrap,
}

/// An affine map `p ↦ A p + b` of the plane, in pixels about the image centre (y down).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    /// The linear part, row-major: `[[a11, a12], [a21, a22]]` acting on `(x, y)`.
    pub linear: [[f32; 2]; 2],
    /// The translation `(bx, by)`.
    pub shift: [f32; 2],
}

impl Affine {
    /// The identity map.
    pub const IDENTITY: Self = Self {
        linear: [[1.0, 0.0], [0.0, 1.0]],
        shift: [0.0, 0.0],
    };

    /// Rotation by `degrees`, counter-clockwise on screen (y points down).
    pub fn rotation(degrees: f32) -> Self {
        let (sin, cos) = degrees.to_radians().sin_cos();
        Self {
            linear: [[cos, sin], [-sin, cos]],
            shift: [0.0, 0.0],
        }
    }

    /// Zoom by `factor` about the centre.
    pub fn scale(factor: f32) -> Self {
        Self {
            linear: [[factor, 0.0], [0.0, factor]],
            shift: [0.0, 0.0],
        }
    }

    /// Translation by `(x, y)` pixels (right, down).
    pub fn translation(x: f32, y: f32) -> Self {
        Self {
            linear: [[1.0, 0.0], [0.0, 1.0]],
            shift: [x, y],
        }
    }

    /// `self` after `first`: the map `p ↦ self(first(p))`.
    pub fn after(&self, first: &Self) -> Self {
        let [[a, b], [c, d]] = self.linear;
        let [[e, f], [g, h]] = first.linear;
        let [u, v] = first.shift;
        Self {
            linear: [
                [a * e + b * g, a * f + b * h],
                [c * e + d * g, c * f + d * h],
            ],
            shift: [a * u + b * v + self.shift[0], c * u + d * v + self.shift[1]],
        }
    }

    /// The inverse map, or `None` when the linear part is singular.
    pub fn inverse(&self) -> Option<Self> {
        let [[a, b], [c, d]] = self.linear;
        let determinant = a * d - b * c;
        if determinant.abs() < 1e-12 || !determinant.is_finite() {
            return None;
        }
        let linear = [
            [d / determinant, -b / determinant],
            [-c / determinant, a / determinant],
        ];
        let [x, y] = self.shift;
        Some(Self {
            linear,
            shift: [
                -(linear[0][0] * x + linear[0][1] * y),
                -(linear[1][0] * x + linear[1][1] * y),
            ],
        })
    }

    /// exp(t G) for an element `G` of the affine Lie algebra, written as an `Affine` (its
    /// linear part and translation are the algebra element's blocks): the 3×3 homogeneous
    /// matrix exponential, by scaling and squaring a 12-term Taylor series.
    pub fn exp(generator: &Self, t: f32) -> Self {
        let [[a, b], [c, d]] = generator.linear;
        let [u, v] = generator.shift;
        let norm = (a.abs() + b.abs() + u.abs())
            .max(c.abs() + d.abs() + v.abs())
            .max(0.0)
            * t.abs();
        let squarings = if norm > 0.5 {
            (norm / 0.5).log2().ceil() as i32
        } else {
            0
        };
        let scale = t / 2f32.powi(squarings);
        let step = Self {
            linear: [[a * scale, b * scale], [c * scale, d * scale]],
            shift: [u * scale, v * scale],
        };
        // Σ step^k / k!, with the homogeneous row (0, 0, 1) implicit: the identity plus terms
        // whose translation part accumulates.
        let mut sum = Self::IDENTITY;
        let mut term = Self::IDENTITY;
        for k in 1..=12 {
            // term ← term · step / k (as 3×3 matrices with last row (0, 0, 0) for k ≥ 1).
            let product = step.after_linear(&term, k == 1);
            term = Self {
                linear: product.linear.map(|row| row.map(|x| x / k as f32)),
                shift: product.shift.map(|x| x / k as f32),
            };
            for i in 0..2 {
                for j in 0..2 {
                    sum.linear[i][j] += term.linear[i][j];
                }
                sum.shift[i] += term.shift[i];
            }
        }
        for _ in 0..squarings {
            sum = sum.after(&sum);
        }
        sum
    }

    /// The 3×3 product `self · term` where `term` is a power of an algebra element (its
    /// homogeneous row is (0, 0, 0)), or the identity when `first`.
    fn after_linear(&self, term: &Self, first: bool) -> Self {
        if first {
            return *self;
        }
        let [[a, b], [c, d]] = self.linear;
        let [[e, f], [g, h]] = term.linear;
        let [u, v] = term.shift;
        Self {
            linear: [
                [a * e + b * g, a * f + b * h],
                [c * e + d * g, c * f + d * h],
            ],
            // The algebra element's own translation meets the term's zero homogeneous entry.
            shift: [a * u + b * v, c * u + d * v],
        }
    }

    /// Where the map sends `(x, y)`.
    pub fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let [[a, b], [c, d]] = self.linear;
        (a * x + b * y + self.shift[0], c * x + d * y + self.shift[1])
    }
}

/// Moves the image content by `map` (about the centre): the output at `p` is the input at
/// `map⁻¹(p)`, bilinearly interpolated. A singular map gives an all-`fill` (black) image.
pub fn warp(pixels: &Pixels, map: &Affine, fill: Fill) -> Pixels {
    let (height, width) = (pixels.height, pixels.width);
    let plane = height * width;
    let mut values = vec![0.0; pixels.values.len()];
    let Some(inverse) = map.inverse() else {
        return Pixels {
            values,
            ..pixels.clone()
        };
    };
    let center_y = (height as f32 - 1.0) / 2.0;
    let center_x = (width as f32 - 1.0) / 2.0;
    for channel in 0..pixels.channels {
        let source = &pixels.values[channel * plane..(channel + 1) * plane];
        let target = &mut values[channel * plane..(channel + 1) * plane];
        for row in 0..height {
            for col in 0..width {
                let (x, y) = inverse.apply(col as f32 - center_x, row as f32 - center_y);
                target[row * width + col] =
                    bilinear(source, height, width, y + center_y, x + center_x, fill);
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

/// Rotates each channel by `degrees` (counter-clockwise on screen) about the image centre,
/// zero fill.
pub fn rotate(pixels: &Pixels, degrees: f32) -> Pixels {
    warp(pixels, &Affine::rotation(degrees), Fill::Zero)
}

/// Mirrors each channel left–right (exact: no interpolation).
pub fn flip_horizontal(pixels: &Pixels) -> Pixels {
    let (height, width) = (pixels.height, pixels.width);
    let mut values = pixels.values.clone();
    for line in values.chunks_mut(width) {
        line.reverse();
    }
    debug_assert_eq!(values.len(), pixels.channels * height * width);
    Pixels {
        values,
        ..pixels.clone()
    }
}

/// Applies `kind` with parameter `t`.
pub fn apply(kind: TransformKind, t: f32, pixels: &Pixels) -> Pixels {
    match kind {
        TransformKind::Rotation => warp(pixels, &Affine::rotation(t), Fill::Zero),
        TransformKind::TranslateX => warp(pixels, &Affine::translation(t, 0.0), Fill::Zero),
        TransformKind::TranslateY => warp(pixels, &Affine::translation(0.0, t), Fill::Zero),
        TransformKind::Scale => warp(pixels, &Affine::scale(t), Fill::Zero),
        TransformKind::CircularShiftX => warp(pixels, &Affine::translation(t, 0.0), Fill::Wrap),
        TransformKind::CircularShiftY => warp(pixels, &Affine::translation(0.0, t), Fill::Wrap),
        TransformKind::HorizontalFlip if t >= 0.5 => flip_horizontal(pixels),
        TransformKind::HorizontalFlip => pixels.clone(),
        TransformKind::Brightness => map_values(pixels, |_, value| value + t),
        TransformKind::Contrast => {
            let plane = pixels.height * pixels.width;
            let means: Vec<f32> = pixels
                .values
                .chunks(plane.max(1))
                .map(|channel| channel.iter().sum::<f32>() / plane.max(1) as f32)
                .collect();
            // t v + (1 − t) m: exactly v at t = 1.
            map_values(pixels, |channel, value| {
                value * t + means[channel] * (1.0 - t)
            })
        }
    }
}

/// `f(channel, value)` on every value, clipped to `[0, 1]`.
fn map_values(pixels: &Pixels, f: impl Fn(usize, f32) -> f32) -> Pixels {
    let plane = (pixels.height * pixels.width).max(1);
    let values = pixels
        .values
        .iter()
        .enumerate()
        .map(|(index, &value)| f(index / plane, value).clamp(0.0, 1.0))
        .collect();
    Pixels {
        values,
        ..pixels.clone()
    }
}

/// Bilinear sample of a `height × width` plane at a fractional position.
fn bilinear(plane: &[f32], height: usize, width: usize, y: f32, x: f32, fill: Fill) -> f32 {
    let y0 = y.floor();
    let x0 = x.floor();
    let fy = y - y0;
    let fx = x - x0;
    let (h, w) = (height as i64, width as i64);
    let at = |row: f32, col: f32| -> f32 {
        let (row, col) = (row as i64, col as i64);
        match fill {
            Fill::Zero if row < 0 || col < 0 || row >= h || col >= w => 0.0,
            Fill::Zero => plane[(row * w + col) as usize],
            Fill::Wrap => plane[(row.rem_euclid(h) * w + col.rem_euclid(w)) as usize],
        }
    };
    // Exact pixel positions read one value (no 0 × NaN-free but rounding-prone sums).
    if fx == 0.0 && fy == 0.0 {
        return at(y0, x0);
    }
    let top = at(y0, x0) * (1.0 - fx) + at(y0, x0 + 1.0) * fx;
    let bottom = at(y0 + 1.0, x0) * (1.0 - fx) + at(y0 + 1.0, x0 + 1.0) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Every classical transform of the probe studio at once, as its sliders set them: one affine
/// warp (zoom, then rotation, then translation, about the centre; zero fill), the mirror, then
/// brightness and contrast. The default changes nothing; a view's settings travel in its
/// address (`to_query` / `from_query`), so a link restores them exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adjustments {
    /// Degrees, counter-clockwise on screen.
    pub rotation: f32,
    /// Pixels to the right.
    pub translate_x: f32,
    /// Pixels down.
    pub translate_y: f32,
    /// Zoom factor.
    pub scale: f32,
    /// Mirror left–right.
    pub flip: bool,
    /// Added to every value.
    pub brightness: f32,
    /// Contrast factor about each channel's mean (1: unchanged).
    pub contrast: f32,
}

impl Default for Adjustments {
    fn default() -> Self {
        Self {
            rotation: 0.0,
            translate_x: 0.0,
            translate_y: 0.0,
            scale: 1.0,
            flip: false,
            brightness: 0.0,
            contrast: 1.0,
        }
    }
}

/// A slider: query key, label, least and greatest value, step.
pub struct Slider {
    /// The key in the address.
    pub key: &'static str,
    /// What the page calls it.
    pub label: &'static str,
    /// Least value.
    pub min: f32,
    /// Greatest value.
    pub max: f32,
    /// Step.
    pub step: f32,
}

impl Adjustments {
    /// The numeric sliders, in the order they are applied (the mirror is a checkbox, `flip`).
    pub const SLIDERS: [Slider; 6] = [
        Slider {
            key: "scale",
            label: "Zoom",
            min: 0.5,
            max: 2.0,
            step: 0.05,
        },
        Slider {
            key: "rotation",
            label: "Rotation (°)",
            min: -180.0,
            max: 180.0,
            step: 1.0,
        },
        Slider {
            key: "tx",
            label: "Shift right (px)",
            min: -16.0,
            max: 16.0,
            step: 0.5,
        },
        Slider {
            key: "ty",
            label: "Shift down (px)",
            min: -16.0,
            max: 16.0,
            step: 0.5,
        },
        Slider {
            key: "brightness",
            label: "Brightness",
            min: -0.5,
            max: 0.5,
            step: 0.01,
        },
        Slider {
            key: "contrast",
            label: "Contrast",
            min: 0.0,
            max: 2.0,
            step: 0.05,
        },
    ];

    /// The value of slider `key`.
    pub fn get(&self, key: &str) -> Option<f32> {
        Some(match key {
            "scale" => self.scale,
            "rotation" => self.rotation,
            "tx" => self.translate_x,
            "ty" => self.translate_y,
            "brightness" => self.brightness,
            "contrast" => self.contrast,
            _ => return None,
        })
    }

    /// These settings with slider `key` at `value` (clamped to its range; unknown keys and
    /// non-finite values change nothing).
    pub fn with(mut self, key: &str, value: f32) -> Self {
        let Some(slider) = Self::SLIDERS.iter().find(|slider| slider.key == key) else {
            return self;
        };
        if !value.is_finite() {
            return self;
        }
        let value = value.clamp(slider.min, slider.max);
        match key {
            "scale" => self.scale = value,
            "rotation" => self.rotation = value,
            "tx" => self.translate_x = value,
            "ty" => self.translate_y = value,
            "brightness" => self.brightness = value,
            _ => self.contrast = value,
        }
        self
    }

    /// The geometric part as one map.
    pub fn geometry(&self) -> Affine {
        Affine::translation(self.translate_x, self.translate_y)
            .after(&Affine::rotation(self.rotation).after(&Affine::scale(self.scale)))
    }

    /// The image these settings make of `pixels`.
    pub fn apply(&self, pixels: &Pixels) -> Pixels {
        let map = self.geometry();
        let mut out = if map == Affine::IDENTITY {
            pixels.clone()
        } else {
            warp(pixels, &map, Fill::Zero)
        };
        if self.flip {
            out = flip_horizontal(&out);
        }
        if self.brightness != 0.0 {
            out = apply(TransformKind::Brightness, self.brightness, &out);
        }
        if self.contrast != 1.0 {
            out = apply(TransformKind::Contrast, self.contrast, &out);
        }
        out
    }

    /// The settings that differ from the default, as `key=value` pairs joined by `&` (empty for
    /// the default).
    pub fn to_query(&self) -> String {
        let defaults = Self::default();
        let mut pairs: Vec<String> = Self::SLIDERS
            .iter()
            .filter_map(|slider| {
                let value = self.get(slider.key)?;
                (value != defaults.get(slider.key)?).then(|| format!("{}={value}", slider.key))
            })
            .collect();
        if self.flip {
            pairs.push("flip=1".into());
        }
        pairs.join("&")
    }

    /// Settings read from an address's query (`get(key)` gives a parameter's value); anything
    /// missing or unreadable keeps its default, values are clamped to the sliders' ranges.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let mut adjustments = Self::default();
        for slider in &Self::SLIDERS {
            if let Some(value) = get(slider.key).and_then(|text| text.trim().parse::<f32>().ok()) {
                adjustments = adjustments.with(slider.key, value);
            }
        }
        adjustments.flip = get("flip").is_some_and(|value| value == "1" || value == "true");
        adjustments
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn adjustments_default_to_nothing_and_travel_in_the_address() {
        let pixels = Pixels {
            channels: 1,
            height: 4,
            width: 4,
            values: (0..16).map(|v| v as f32 / 15.0).collect(),
        };
        let none = Adjustments::default();
        assert_eq!(none.apply(&pixels), pixels);
        assert_eq!(none.to_query(), "");
        // Rotation alone is the rotation the probes use, to the bit.
        let turned = none.with("rotation", 90.0);
        assert_eq!(turned.apply(&pixels), rotate(&pixels, 90.0));
        assert_eq!(turned.to_query(), "rotation=90");
        // Everything at once: the address gives the same settings back.
        let all = Adjustments {
            rotation: -30.0,
            translate_x: 2.5,
            translate_y: -1.0,
            scale: 1.25,
            flip: true,
            brightness: 0.1,
            contrast: 0.5,
        };
        let query = all.to_query();
        let back = Adjustments::from_query(|key| {
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix(&format!("{key}=")).map(str::to_owned))
        });
        assert_eq!(back, all);
        // By hand: flip then brightness on an unwarped image.
        let mirrored = Adjustments {
            flip: true,
            brightness: 0.5,
            ..Default::default()
        }
        .apply(&pixels);
        assert_eq!(mirrored.values[0], (3.0 / 15.0 + 0.5f32).min(1.0));
        assert_eq!(mirrored.values[3], 0.5);
        // Out-of-range and unreadable values: clamped, or left at the default.
        let odd = Adjustments::from_query(|key| match key {
            "rotation" => Some("999".into()),
            "scale" => Some("big".into()),
            "contrast" => Some("NaN".into()),
            _ => None,
        });
        assert_eq!((odd.rotation, odd.scale, odd.contrast), (180.0, 1.0, 1.0));
    }

    use super::*;

    fn image(values: Vec<f32>, side: usize) -> Pixels {
        Pixels {
            channels: 1,
            height: side,
            width: side,
            values,
        }
    }

    fn ramp(side: usize) -> Pixels {
        image(
            (0..side * side)
                .map(|value| (value % 7) as f32 / 7.0)
                .collect(),
            side,
        )
    }

    fn max_difference(a: &Pixels, b: &Pixels) -> f32 {
        a.values
            .iter()
            .zip(&b.values)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }

    #[test]
    fn identity_parameters_change_nothing() {
        let input = ramp(6);
        for kind in TransformKind::ALL {
            let output = apply(kind, kind.identity(), &input);
            assert!(max_difference(&input, &output) < 1e-6, "{kind:?}");
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
        let input = ramp(7);
        assert!(max_difference(&input, &rotate(&input, 360.0)) < 1e-4);
        // Four quarter turns compose to the identity too.
        let mut turned = input.clone();
        for _ in 0..4 {
            turned = rotate(&turned, 90.0);
        }
        assert!(max_difference(&input, &turned) < 1e-4);
    }

    #[test]
    fn translation_moves_right_and_down() {
        let mut values = vec![0.0; 16];
        values[5] = 1.0; // row 1, col 1
        let input = image(values, 4);
        let right = apply(TransformKind::TranslateX, 2.0, &input);
        assert_eq!(right.values[4 + 3], 1.0);
        assert_eq!(right.values.iter().sum::<f32>(), 1.0);
        let down = apply(TransformKind::TranslateY, 1.0, &input);
        assert_eq!(down.values[8 + 1], 1.0);
        // Moving by the whole width leaves a black image with zero fill, the same with wrap.
        assert_eq!(
            apply(TransformKind::TranslateX, 4.0, &input)
                .values
                .iter()
                .sum::<f32>(),
            0.0
        );
        let around = apply(TransformKind::CircularShiftX, 4.0, &input);
        assert_eq!(around, input);
        let wrapped = apply(TransformKind::CircularShiftX, 3.0, &input);
        assert_eq!(wrapped.values[4], 1.0); // col 1 + 3 = 4 ≡ 0
    }

    #[test]
    fn half_pixel_shift_interpolates() {
        let plane = [0.0, 1.0, 0.0, 1.0];
        assert!((bilinear(&plane, 2, 2, 0.0, 0.5, Fill::Zero) - 0.5).abs() < 1e-6);
        assert!((bilinear(&[1.0; 4], 2, 2, -1.0, 0.0, Fill::Zero)).abs() < 1e-6);
        // With wrap, x = 1.5 is halfway between column 1 and column 0.
        assert!((bilinear(&plane, 2, 2, 0.0, 1.5, Fill::Wrap) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn scale_doubles_distances_from_the_centre() {
        // 5×5, bright pixel one step right of the centre → two steps right after zoom ×2.
        let mut values = vec![0.0; 25];
        values[2 * 5 + 3] = 1.0;
        let zoomed = apply(TransformKind::Scale, 2.0, &image(values, 5));
        assert!(
            (zoomed.values[2 * 5 + 4] - 1.0).abs() < 1e-6,
            "{:?}",
            zoomed.values
        );
        // Halfway pixels read half the value.
        assert!((zoomed.values[2 * 5 + 3] - 0.5).abs() < 1e-6);
    }

    #[test]
    fn flip_is_an_exact_involution() {
        let input = Pixels {
            channels: 2,
            height: 2,
            width: 3,
            values: vec![
                1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0,
            ],
        };
        let flipped = apply(TransformKind::HorizontalFlip, 1.0, &input);
        assert_eq!(
            flipped.values,
            vec![
                3.0, 2.0, 1.0, 6.0, 5.0, 4.0, 9.0, 8.0, 7.0, 12.0, 11.0, 10.0
            ]
        );
        assert_eq!(apply(TransformKind::HorizontalFlip, 1.0, &flipped), input);
    }

    #[test]
    fn brightness_and_contrast_by_hand() {
        let input = image(vec![0.0, 0.2, 0.4, 0.6], 2);
        let brighter = apply(TransformKind::Brightness, 0.5, &input);
        let expected = [0.5, 0.7, 0.9, 1.0];
        for (got, want) in brighter.values.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6);
        }
        // Mean 0.3; contrast 2 → 0.3 + 2 (v − 0.3), clipped.
        let contrasted = apply(TransformKind::Contrast, 2.0, &input);
        let expected = [0.0, 0.1, 0.5, 0.9];
        for (got, want) in contrasted.values.iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{:?}", contrasted.values);
        }
        // Contrast 0 gives the flat mean image.
        let flat = apply(TransformKind::Contrast, 0.0, &input);
        assert!(flat.values.iter().all(|value| (value - 0.3).abs() < 1e-6));
    }

    #[test]
    fn exponentials_of_canonical_generators() {
        let close = |a: &Affine, b: &Affine| {
            a.linear
                .iter()
                .flatten()
                .zip(b.linear.iter().flatten())
                .chain(a.shift.iter().zip(&b.shift))
                .all(|(x, y)| (x - y).abs() < 1e-5)
        };
        // The rotation generator (derivative of `Affine::rotation` at 0, in radians).
        let rotation = Affine {
            linear: [[0.0, 1.0], [-1.0, 0.0]],
            shift: [0.0, 0.0],
        };
        for degrees in [10.0f32, 90.0, 250.0] {
            let got = Affine::exp(&rotation, degrees.to_radians());
            assert!(close(&got, &Affine::rotation(degrees)), "{got:?}");
        }
        let translation = Affine {
            linear: [[0.0, 0.0], [0.0, 0.0]],
            shift: [1.0, -2.0],
        };
        assert!(close(
            &Affine::exp(&translation, 3.0),
            &Affine::translation(3.0, -6.0)
        ));
        let scale = Affine {
            linear: [[1.0, 0.0], [0.0, 1.0]],
            shift: [0.0, 0.0],
        };
        assert!(close(&Affine::exp(&scale, 2f32.ln()), &Affine::scale(2.0)));
        // Rotation and translation together: exp of the sum moves the centre along an arc; it
        // equals the limit of small alternating steps, checked against composing 4096 steps.
        let both = Affine {
            linear: rotation.linear,
            shift: [2.0, 0.0],
        };
        let small = Affine::exp(&both, 1.0 / 4096.0);
        let mut composed = Affine::IDENTITY;
        for _ in 0..4096 {
            composed = small.after(&composed);
        }
        let got = Affine::exp(&both, 1.0);
        assert!(
            got.linear
                .iter()
                .flatten()
                .zip(composed.linear.iter().flatten())
                .all(|(x, y)| (x - y).abs() < 1e-3)
                && got
                    .shift
                    .iter()
                    .zip(&composed.shift)
                    .all(|(x, y)| (x - y).abs() < 1e-3),
            "{got:?} vs {composed:?}"
        );
        assert_eq!(Affine::exp(&both, 0.0), Affine::IDENTITY);
    }

    #[test]
    fn affine_algebra_by_hand() {
        let a = Affine::rotation(30.0);
        let b = Affine::translation(2.0, -1.0).after(&Affine::scale(3.0));
        let composed = a.after(&b);
        let (x, y) = b.apply(0.5, 1.5);
        let direct = a.apply(x, y);
        let through = composed.apply(0.5, 1.5);
        assert!((direct.0 - through.0).abs() < 1e-5 && (direct.1 - through.1).abs() < 1e-5);
        let round_trip = composed.inverse().expect("invertible").after(&composed);
        for (row, want) in round_trip.linear.iter().zip([[1.0, 0.0], [0.0, 1.0]]) {
            for (got, want) in row.iter().zip(want) {
                assert!((got - want).abs() < 1e-5);
            }
        }
        assert!(round_trip.shift.iter().all(|value| value.abs() < 1e-5));
        assert!(Affine::scale(0.0).inverse().is_none());
        assert!(
            warp(&ramp(3), &Affine::scale(0.0), Fill::Zero)
                .values
                .iter()
                .all(|value| *value == 0.0)
        );
    }
}
