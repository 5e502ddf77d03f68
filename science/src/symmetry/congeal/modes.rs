//! The two modes congealing found in each group, for people: the two sides' aligned means side
//! by side with their difference, and (on stroke images) how the two sides' images differ in
//! shape. Where a data
//! set has no ground truth (MNIST), this is what the discovery split each class on.

use memlab_shared::preprocess::{Pixels, png_data_url};
use memlab_shared::symmetry::{GroupModes, ShapeChange};

use super::Congealed;
use super::registration::gray;
use crate::symmetry::shape::{self, Shape};

/// The difference panel is amplified this much (clipped to [0, 1]).
const AMPLIFY: f32 = 2.0;

impl Congealed {
    /// Every split group's two modes, side 1 with one polarity for all groups; `names` are the
    /// groups' names. `strokes`: the congealed images, where they are light strokes on a dark
    /// ground (so that shape measures mean something): each side's images are measured.
    pub fn modes(
        &self,
        names: &[String],
        strokes: Option<&[Vec<f32>]>,
    ) -> Result<Vec<GroupModes>, String> {
        let polarity = self.polarity();
        let fine = self.dims.fine(self.dims.channels);
        let mut out = Vec::new();
        for (g, group) in self.groups.iter().enumerate() {
            let Some([m0, m1]) = group.sides.as_ref() else {
                continue;
            };
            let (m0, m1) = if polarity[g] { (m1, m0) } else { (m0, m1) };
            let (on, total) = self
                .sides
                .iter()
                .zip(&self.group_of)
                .filter(|&(_, &member)| member == g)
                .fold((0usize, 0usize), |(on, total), (&side, _)| {
                    (on + usize::from(side != polarity[g]), total + 1)
                });
            let difference: Vec<f32> = m1
                .iter()
                .zip(m0)
                .map(|(a, b)| ((a - b).abs() * AMPLIFY).clamp(0.0, 1.0))
                .collect();
            let png = png_data_url(&side_by_side(
                &[m0, m1, &difference],
                fine.channels,
                fine.height,
                fine.width,
            ))
            .map_err(|error| error.to_string())?;
            let shape = strokes.map(|images| {
                let side = |one: bool| -> Vec<Shape> {
                    self.group_of
                        .iter()
                        .zip(&self.sides)
                        .zip(images)
                        .filter(|((member, side), _)| {
                            **member == g && (**side != polarity[g]) == one
                        })
                        .map(|(_, image)| {
                            let gray = gray(image, self.dims);
                            shape::measure(&gray, self.dims.height, self.dims.width)
                        })
                        .collect()
                };
                sides_change(&side(false), &side(true))
            });
            out.push(GroupModes {
                group: g,
                name: names.get(g).cloned().unwrap_or_else(|| g.to_string()),
                images: total,
                side_one: on as f64 / total.max(1) as f64,
                explained: group.explained,
                png,
                shape,
            });
        }
        Ok(out)
    }
}

/// The shape measures of side 0's images against side 1's, as means; `loops_changed` is the
/// difference of the two sides' shares of images with a closed loop (the sides are not paired
/// image by image).
fn sides_change(from: &[Shape], to: &[Shape]) -> ShapeChange {
    let mean = |shapes: &[Shape], f: fn(&Shape) -> f64| {
        shapes.iter().map(f).sum::<f64>() / shapes.len().max(1) as f64
    };
    let both = |f: fn(&Shape) -> f64| [mean(from, f), mean(to, f)];
    let closed = |s: &Shape| f64::from(u8::from(s.loops > 0));
    ShapeChange {
        ink: both(|s| s.ink),
        width: both(|s| s.width),
        slant: both(|s| s.slant),
        loops: both(|s| s.loops as f64),
        loops_changed: (mean(to, closed) - mean(from, closed)).abs(),
    }
}

/// Planar images (`channels × height × width` each) placed left to right.
fn side_by_side(images: &[&[f32]], channels: usize, height: usize, width: usize) -> Pixels {
    let total = images.len() * width;
    let mut values = vec![0.0; channels * height * total];
    for (k, image) in images.iter().enumerate() {
        for c in 0..channels {
            for y in 0..height {
                for x in 0..width {
                    values[(c * height + y) * total + k * width + x] =
                        image[(c * height + y) * width + x].clamp(0.0, 1.0);
                }
            }
        }
    }
    Pixels {
        channels,
        height,
        width: total,
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Means per side by hand; loops compare the sides' shares with a closed loop (½ and 1).
    #[test]
    fn sides_are_compared_by_their_means() {
        let shape = |ink: f64, width: f64, slant: f64, loops: usize| Shape {
            ink,
            width,
            slant,
            loops,
        };
        let change = sides_change(
            &[shape(0.1, 2.0, 0.0, 0), shape(0.3, 1.0, 4.0, 2)],
            &[shape(0.2, 3.0, 10.0, 1)],
        );
        assert_eq!(change.ink, [0.2, 0.2]);
        assert_eq!(change.width, [1.5, 3.0]);
        assert_eq!(change.slant, [2.0, 10.0]);
        assert_eq!(change.loops, [1.0, 1.0]);
        assert_eq!(change.loops_changed, 0.5);
    }

    /// Two 1×2×2 images placed side by side keep their pixels in place.
    #[test]
    fn images_are_placed_left_to_right() {
        let a = [0.1, 0.2, 0.3, 0.4];
        let b = [0.5, 0.6, 0.7, 0.8];
        let pixels = side_by_side(&[&a, &b], 1, 2, 2);
        assert_eq!((pixels.height, pixels.width), (2, 4));
        assert_eq!(pixels.values, vec![0.1, 0.2, 0.5, 0.6, 0.3, 0.4, 0.7, 0.8]);
    }
}
