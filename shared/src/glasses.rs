//! The "Glasses" data set: procedural faces whose class is an identity (a fixed combination of
//! face shape, skin tone, eye spacing, hair and mouth) under nuisance pose, lighting and noise,
//! with an eyeglasses overlay that can be toggled. The true symmetry L* toggles the glasses:
//! it keeps the identity and changes nothing but the glasses' pixels
//! (`../shared/SCIENCE.md` §5). Everything is a pure function of a seed.
//!
//! Shapes are drawn analytically in face coordinates (the face centre at 0, the image spanning
//! `[−1, 1]`), each pixel mapped back through the pose, with a one-pixel soft edge; lighting and
//! noise are applied per pixel after the overlay, so the toggle moves only pixels the glasses
//! cover.

use serde::{Deserialize, Serialize};

/// Face widths (half-axes, as a fraction of the half image).
const FACE_SHAPES: [(f32, f32); 3] = [(0.50, 0.66), (0.58, 0.62), (0.46, 0.74)];
/// Skin tones (RGB in `[0, 1]`).
const SKIN: [[f32; 3]; 4] = [
    [0.96, 0.80, 0.69],
    [0.87, 0.67, 0.50],
    [0.66, 0.46, 0.32],
    [0.42, 0.28, 0.20],
];
/// Distance between the eyes' centres.
const EYE_SPACING: [f32; 3] = [0.26, 0.40, 0.54];
/// Hair colours.
const HAIR_COLOURS: [[f32; 3]; 3] = [[0.10, 0.08, 0.06], [0.55, 0.35, 0.15], [0.85, 0.75, 0.45]];
/// Hair styles: 0 short, 1 long (down the sides), 2 fringe, 3 bald.
const HAIR_STYLES: usize = 4;
/// Mouths: width and curvature (positive smiles).
const MOUTHS: [(f32, f32); 3] = [(0.14, 0.08), (0.32, 0.0), (0.22, -0.08)];
/// Changes whenever the same seed would render different pixels (oracles trained on older
/// pixels are then retrained).
pub const GENERATOR_VERSION: u32 = 1;

/// The number of distinct identities the attributes allow.
pub const MAX_IDENTITIES: usize = FACE_SHAPES.len()
    * SKIN.len()
    * EYE_SPACING.len()
    * HAIR_COLOURS.len()
    * HAIR_STYLES
    * MOUTHS.len();

/// How a Glasses data set is generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GlassesConfig {
    /// Seed of the identities and of every example.
    pub seed: u64,
    /// Number of identities (classes), at most [`MAX_IDENTITIES`].
    pub identities: usize,
    /// Image side in pixels.
    pub size: usize,
    /// Training images per identity.
    pub train_per_identity: usize,
    /// Test images per identity.
    pub test_per_identity: usize,
}

impl Default for GlassesConfig {
    fn default() -> Self {
        Self {
            seed: 2026,
            identities: 40,
            size: 32,
            train_per_identity: 100,
            test_per_identity: 25,
        }
    }
}

/// The attributes that make an identity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Identity {
    /// Index into the face shapes.
    pub face: usize,
    /// Index into the skin tones.
    pub skin: usize,
    /// Index into the eye spacings.
    pub eyes: usize,
    /// Index into the hair colours.
    pub hair_colour: usize,
    /// Hair style (0 short, 1 long, 2 fringe, 3 bald).
    pub hair_style: usize,
    /// Index into the mouths.
    pub mouth: usize,
}

/// An identity attribute that a local edit can change (the local rivals of the true symmetry:
/// each paints a small part of the face, as the glasses do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    /// The mouth's width and curvature.
    Mouth,
    /// The eyes' spacing.
    Eyes,
    /// The hair style.
    HairStyle,
    /// The hair colour.
    HairColour,
}

impl Attribute {
    /// Every local attribute, in the report's order.
    pub const LOCAL: [Self; 4] = [Self::Mouth, Self::Eyes, Self::HairStyle, Self::HairColour];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mouth => "mouth",
            Self::Eyes => "eye spacing",
            Self::HairStyle => "hair style",
            Self::HairColour => "hair colour",
        }
    }

    /// How many values it takes.
    pub fn values(self) -> usize {
        match self {
            Self::Mouth => MOUTHS.len(),
            Self::Eyes => EYE_SPACING.len(),
            Self::HairStyle => HAIR_STYLES,
            Self::HairColour => HAIR_COLOURS.len(),
        }
    }

    /// `identity` with this attribute moved on to its next value (cyclically): everything
    /// else, and so the rest of the face, unchanged.
    pub fn next(self, identity: Identity) -> Identity {
        let mut moved = identity;
        let field = match self {
            Self::Mouth => &mut moved.mouth,
            Self::Eyes => &mut moved.eyes,
            Self::HairStyle => &mut moved.hair_style,
            Self::HairColour => &mut moved.hair_colour,
        };
        *field = (*field + 1) % self.values();
        moved
    }
}

/// What varies between images of one identity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Nuisance {
    /// Horizontal shift of the face, as a fraction of the half image.
    pub shift_x: f32,
    /// Vertical shift.
    pub shift_y: f32,
    /// In-plane head tilt, degrees.
    pub tilt: f32,
    /// Overall light level (multiplies every value).
    pub light: f32,
    /// Strength of a left–right light gradient.
    pub light_gradient: f32,
    /// Standard deviation of the pixel noise.
    pub noise: f32,
    /// Seed of the pixel noise.
    pub noise_seed: u64,
}

/// One example: who, how, and whether the glasses are on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Example {
    /// The class.
    pub label: usize,
    /// The identity's attributes.
    pub identity: Identity,
    /// Pose, light and noise.
    pub nuisance: Nuisance,
    /// Whether the glasses are on.
    pub glasses: bool,
}

/// SplitMix64: the same stream on every platform.
#[derive(Debug, Clone)]
struct Stream(u64);

impl Stream {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f32 {
        ((self.next() >> 40) as f32) / (1u64 << 24) as f32
    }

    /// Uniform in `[low, high)`.
    fn range(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.unit()
    }

    /// A standard normal draw (Box–Muller).
    fn normal(&mut self) -> f32 {
        let u = self.unit().max(1e-7);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f32::consts::PI * v).cos()
    }
}

impl GlassesConfig {
    /// The identities, in class order: distinct attribute combinations in a seeded order.
    pub fn identity_list(&self) -> Vec<Identity> {
        let mut all: Vec<Identity> = Vec::with_capacity(MAX_IDENTITIES);
        for face in 0..FACE_SHAPES.len() {
            for skin in 0..SKIN.len() {
                for eyes in 0..EYE_SPACING.len() {
                    for hair_colour in 0..HAIR_COLOURS.len() {
                        for hair_style in 0..HAIR_STYLES {
                            for mouth in 0..MOUTHS.len() {
                                all.push(Identity {
                                    face,
                                    skin,
                                    eyes,
                                    hair_colour,
                                    hair_style,
                                    mouth,
                                });
                            }
                        }
                    }
                }
            }
        }
        let mut stream = Stream::new(self.seed ^ 0x01d3_e771_71e5);
        for index in (1..all.len()).rev() {
            let other = (stream.next() % (index as u64 + 1)) as usize;
            all.swap(index, other);
        }
        all.truncate(self.identities.min(MAX_IDENTITIES));
        all
    }

    /// Example `index` of the training (`test = false`) or test split: identity `index mod k`,
    /// a fresh nuisance, glasses on with probability 1/2.
    pub fn example(&self, identities: &[Identity], test: bool, index: usize) -> Example {
        let label = index % identities.len().max(1);
        let split = if test { 0x7465_7374 } else { 0x0074_7261_696e };
        let mut stream = Stream::new(
            self.seed
                .wrapping_mul(0x2545_f491_4f6c_dd1d)
                .wrapping_add(split)
                .wrapping_add((index as u64).wrapping_mul(0x9e37_79b9)),
        );
        let nuisance = Nuisance {
            shift_x: stream.range(-0.06, 0.06),
            shift_y: stream.range(-0.06, 0.06),
            tilt: stream.range(-8.0, 8.0),
            light: stream.range(0.9, 1.05),
            light_gradient: stream.range(-0.08, 0.08),
            noise: 0.03,
            noise_seed: stream.next(),
        };
        Example {
            label,
            identity: identities[label],
            nuisance,
            glasses: stream.unit() < 0.5,
        }
    }
}

/// Smooth coverage of a region whose signed distance (negative inside) is `distance`, with a
/// soft edge `edge` wide.
fn coverage(distance: f32, edge: f32) -> f32 {
    (0.5 - distance / edge).clamp(0.0, 1.0)
}

/// Signed distance-like value of an axis-aligned ellipse centred at `(cx, cy)`.
fn ellipse(x: f32, y: f32, cx: f32, cy: f32, a: f32, b: f32) -> f32 {
    let (u, v) = ((x - cx) / a, (y - cy) / b);
    ((u * u + v * v).sqrt() - 1.0) * a.min(b)
}

fn blend(colour: &mut [f32; 3], paint: [f32; 3], alpha: f32) {
    for (channel, value) in colour.iter_mut().zip(paint) {
        *channel += (value - *channel) * alpha;
    }
}

/// Where the glasses are drawn at face coordinates `(x, y)`: frame alpha and lens alpha.
fn glasses_at(identity: &Identity, x: f32, y: f32, edge: f32) -> (f32, f32) {
    let spacing = EYE_SPACING[identity.eyes];
    let eye_y = -0.12;
    let radius = 0.15;
    let thickness = 0.05;
    let mut frame: f32 = 0.0;
    let mut lens: f32 = 0.0;
    for side in [-1.0f32, 1.0] {
        let (cx, cy) = (side * spacing / 2.0, eye_y);
        let distance = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
        frame = frame.max(coverage((distance - radius).abs() - thickness / 2.0, edge));
        lens = lens.max(coverage(distance - radius, edge));
        // Temple: a bar from the lens outwards to the side of the face.
        let outer = cx + side * radius;
        let (low, high) = if side < 0.0 {
            (outer - 0.3, outer)
        } else {
            (outer, outer + 0.3)
        };
        if x >= low && x <= high {
            frame = frame.max(coverage((y - cy).abs() - thickness / 2.0, edge));
        }
    }
    // Bridge between the lenses.
    let inner = spacing / 2.0 - radius;
    if x.abs() <= inner.max(0.0) + edge {
        frame = frame.max(coverage((y - (eye_y - 0.02)).abs() - thickness / 2.0, edge));
    }
    (frame, lens)
}

/// The face without glasses (before lighting) at face coordinates `(x, y)`.
fn face_at(identity: &Identity, x: f32, y: f32, edge: f32) -> [f32; 3] {
    let mut colour = [0.62, 0.70, 0.80]; // background
    let (a, b) = FACE_SHAPES[identity.face];
    let hair = HAIR_COLOURS[identity.hair_colour];
    let skin = SKIN[identity.skin];
    // Long hair falls behind the face, down the sides.
    if identity.hair_style == 1 {
        let behind = ellipse(x, y, 0.0, 0.05, a + 0.14, b + 0.12).max(y - 0.55);
        blend(&mut colour, hair, coverage(behind, edge));
    }
    let face = ellipse(x, y, 0.0, 0.0, a, b);
    blend(&mut colour, skin, coverage(face, edge));
    // Hair on top of the head: the part of a larger ellipse above the hairline.
    let hairline = match identity.hair_style {
        0 => -0.38,
        1 => -0.30,
        2 => -0.22, // fringe: lower over the forehead
        _ => f32::NEG_INFINITY,
    };
    if hairline.is_finite() {
        let cap = ellipse(x, y, 0.0, -0.06, a + 0.07, b + 0.07).max(y - hairline);
        blend(&mut colour, hair, coverage(cap, edge));
    }
    // Eyes: white, then the iris.
    let spacing = EYE_SPACING[identity.eyes];
    for side in [-1.0f32, 1.0] {
        let cx = side * spacing / 2.0;
        blend(
            &mut colour,
            [0.97, 0.97, 0.97],
            coverage(ellipse(x, y, cx, -0.12, 0.09, 0.05), edge),
        );
        blend(
            &mut colour,
            [0.15, 0.20, 0.35],
            coverage(ellipse(x, y, cx, -0.12, 0.045, 0.045), edge),
        );
    }
    // Nose: a darker vertical stroke.
    let nose = (x.abs() - 0.025).max((y - 0.08).abs() - 0.08);
    blend(&mut colour, skin.map(|c| c * 0.8), coverage(nose, edge));
    // Mouth: a thick arc y = y0 + c (1 − (x / w)²).
    let (width, curve) = MOUTHS[identity.mouth];
    if x.abs() <= width {
        let arc = 0.33 + curve * (1.0 - (x / width).powi(2));
        blend(
            &mut colour,
            [0.70, 0.20, 0.22],
            coverage((y - arc).abs() - 0.035, edge),
        );
    }
    colour
}

/// Renders `example` (glasses as the example says, or toggled when `toggle`) as `[3, size,
/// size]` values in `[0, 1]`, channels first.
pub fn render(example: &Example, size: usize, toggle: bool) -> Vec<f32> {
    let glasses = example.glasses != toggle;
    let Nuisance {
        shift_x,
        shift_y,
        tilt,
        light,
        light_gradient,
        noise,
        noise_seed,
    } = example.nuisance;
    let plane = size * size;
    let mut values = vec![0.0; 3 * plane];
    let half = size as f32 / 2.0;
    let edge = 2.0 / size as f32; // one pixel, in face coordinates
    let (sin, cos) = tilt.to_radians().sin_cos();
    let mut noise_stream = Stream::new(noise_seed);
    for row in 0..size {
        for col in 0..size {
            // Pixel centre in image coordinates [−1, 1], then into the face's frame.
            let u = (col as f32 + 0.5 - half) / half - shift_x;
            let v = (row as f32 + 0.5 - half) / half - shift_y;
            let (x, y) = (cos * u + sin * v, -sin * u + cos * v);
            let mut colour = face_at(&example.identity, x, y, edge);
            if glasses {
                let (frame, lens) = glasses_at(&example.identity, x, y, edge);
                blend(&mut colour, [0.55, 0.75, 0.85], 0.3 * lens);
                blend(&mut colour, [0.05, 0.05, 0.07], frame);
            }
            let shade = light * (1.0 + light_gradient * u);
            for (channel, value) in colour.iter().enumerate() {
                let noisy = value * shade + noise * noise_stream.normal();
                values[channel * plane + row * size + col] = noisy.clamp(0.0, 1.0);
            }
        }
    }
    values
}

/// Which pixels the glasses of `example` cover (frame or lens, any coverage), row-major.
pub fn glasses_mask(example: &Example, size: usize) -> Vec<bool> {
    let half = size as f32 / 2.0;
    let edge = 2.0 / size as f32;
    let (sin, cos) = example.nuisance.tilt.to_radians().sin_cos();
    let mut mask = Vec::with_capacity(size * size);
    for row in 0..size {
        for col in 0..size {
            let u = (col as f32 + 0.5 - half) / half - example.nuisance.shift_x;
            let v = (row as f32 + 0.5 - half) / half - example.nuisance.shift_y;
            let (x, y) = (cos * u + sin * v, -sin * u + cos * v);
            let (frame, lens) = glasses_at(&example.identity, x, y, edge);
            mask.push(frame > 0.0 || lens > 0.0);
        }
    }
    mask
}

/// Values in `[0, 1]` as 8-bit pixels (rounded), as the data set stores them.
pub fn to_u8(values: &[f32]) -> Vec<u8> {
    values
        .iter()
        .map(|value| (value * 255.0).round().clamp(0.0, 255.0) as u8)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> GlassesConfig {
        GlassesConfig {
            identities: 12,
            ..Default::default()
        }
    }

    /// Each local attribute cycles back to the identity after as many steps as it has values,
    /// and one step repaints a part of the face only (same pose, light and noise).
    #[test]
    fn local_attributes_cycle_and_paint_part_of_the_face() {
        let config = config();
        let identities = config.identity_list();
        for index in 0..12 {
            let example = config.example(&identities, true, index);
            let original = render(&example, config.size, false);
            for attribute in Attribute::LOCAL {
                let mut identity = example.identity;
                for _ in 0..attribute.values() {
                    identity = attribute.next(identity);
                }
                assert_eq!(identity, example.identity, "{}", attribute.name());
                let moved = Example {
                    identity: attribute.next(example.identity),
                    ..example
                };
                let changed = render(&moved, config.size, false)
                    .iter()
                    .zip(&original)
                    .filter(|(a, b)| a != b)
                    .count();
                let fraction = changed as f64 / original.len() as f64;
                if attribute == Attribute::HairColour && example.identity.hair_style == 3 {
                    assert_eq!(changed, 0, "a bald head shows no hair colour");
                    continue;
                }
                assert!(
                    fraction > 0.0 && fraction < 0.5,
                    "{} changes {fraction} of the values",
                    attribute.name()
                );
            }
        }
    }

    #[test]
    fn identities_are_distinct_and_seeded() {
        let config = config();
        let identities = config.identity_list();
        assert_eq!(identities.len(), 12);
        for (index, identity) in identities.iter().enumerate() {
            assert!(!identities[..index].contains(identity));
        }
        assert_eq!(identities, config.identity_list());
        let other = GlassesConfig { seed: 1, ..config };
        assert_ne!(identities, other.identity_list());
        assert_eq!(
            GlassesConfig {
                identities: 100_000,
                ..config
            }
            .identity_list()
            .len(),
            MAX_IDENTITIES
        );
    }

    #[test]
    fn rendering_is_deterministic() {
        let config = config();
        let identities = config.identity_list();
        for index in [0, 5, 77] {
            let a = config.example(&identities, false, index);
            let b = config.example(&identities, false, index);
            assert_eq!(a, b);
            assert_eq!(render(&a, 32, false), render(&b, 32, false));
            assert_ne!(a, config.example(&identities, true, index));
        }
    }

    #[test]
    fn toggle_changes_only_the_glasses_pixels() {
        let config = config();
        let identities = config.identity_list();
        for index in 0..40 {
            let example = config.example(&identities, true, index);
            let size = 32;
            let plain = render(&example, size, false);
            let toggled = render(&example, size, true);
            let mask = glasses_mask(&example, size);
            let covered = mask.iter().filter(|&&m| m).count();
            assert!(covered > 30 && covered < size * size / 3, "{covered}");
            let mut changed = 0;
            for channel in 0..3 {
                for pixel in 0..size * size {
                    let (a, b) = (
                        plain[channel * size * size + pixel],
                        toggled[channel * size * size + pixel],
                    );
                    if a != b {
                        assert!(mask[pixel], "pixel {pixel} changed outside the glasses");
                        changed += 1;
                    }
                }
            }
            assert!(changed > 20, "{changed}");
            // Toggling twice is the identity.
            let twice = Example {
                glasses: !example.glasses,
                ..example
            };
            assert_eq!(render(&twice, size, true), plain);
        }
    }

    #[test]
    fn glasses_are_balanced_and_labels_cycle() {
        let config = config();
        let identities = config.identity_list();
        let examples: Vec<Example> = (0..1200)
            .map(|index| config.example(&identities, false, index))
            .collect();
        let on = examples.iter().filter(|e| e.glasses).count();
        assert!((500..700).contains(&on), "{on}");
        assert!(examples.iter().enumerate().all(|(i, e)| e.label == i % 12));
        assert!(examples.iter().all(|e| e.identity == identities[e.label]));
    }
}
