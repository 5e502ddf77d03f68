//! Shape measures of a gray image with light strokes on a dark ground (a digit): ink, stroke
//! width, slant and closed loops. Where a data set has no ground truth symmetry, they say *how*
//! a learned L changes each class (thicker strokes, more slant, a 4 closed at the top), by
//! measuring x and L x alike.

/// A pixel is ink when its value is above this.
const INK: f32 = 0.5;

/// Images whose mean value is below this are taken for light strokes on a dark ground.
const STROKE_INK: f64 = 1.0 / 3.0;

/// Whether one-channel images of mean value `mean_ink` are light strokes on a dark ground
/// (digits, sketches), where these measures mean something; on faces or photographs they do
/// not.
pub fn strokes_on_dark(mean_ink: f64) -> bool {
    mean_ink < STROKE_INK
}

/// The shape measures of one image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Mean value of the image (the amount of ink).
    pub ink: f64,
    /// Mean stroke width in pixels: twice the ink area over its perimeter (a stroke of length
    /// l ≫ w has area w l and perimeter about 2 l).
    pub width: f64,
    /// Slant in degrees: how far the ink leans right as it goes up, from its second moments
    /// (atan of −μ_xy / μ_yy, rows growing downward); 0 for an upright stroke.
    pub slant: f64,
    /// Closed loops: regions of background (4-connected) the ink encloses, not touching the
    /// border.
    pub loops: usize,
}

/// The shape measures of `image` (`height × width` values in `[0, 1]`, row-major).
pub fn measure(image: &[f32], height: usize, width: usize) -> Shape {
    let ink = image.iter().map(|&v| f64::from(v)).sum::<f64>() / image.len().max(1) as f64;
    let on = |r: usize, c: usize| image[r * width + c] > INK;
    let mut area = 0usize;
    let mut perimeter = 0usize;
    for r in 0..height {
        for c in 0..width {
            if !on(r, c) {
                continue;
            }
            area += 1;
            // Each side of an ink pixel facing background (or the border) is an edge.
            perimeter += usize::from(r == 0 || !on(r - 1, c))
                + usize::from(r + 1 == height || !on(r + 1, c))
                + usize::from(c == 0 || !on(r, c - 1))
                + usize::from(c + 1 == width || !on(r, c + 1));
        }
    }
    let stroke = if perimeter == 0 {
        0.0
    } else {
        2.0 * area as f64 / perimeter as f64
    };
    Shape {
        ink,
        width: stroke,
        slant: slant(image, height, width),
        loops: loops(image, height, width),
    }
}

/// The slant in degrees from the intensity-weighted second moments.
fn slant(image: &[f32], height: usize, width: usize) -> f64 {
    let mut mass = 0.0f64;
    let (mut mx, mut my) = (0.0f64, 0.0f64);
    for r in 0..height {
        for c in 0..width {
            let v = f64::from(image[r * width + c]);
            mass += v;
            mx += v * c as f64;
            my += v * r as f64;
        }
    }
    if mass <= 0.0 {
        return 0.0;
    }
    let (mx, my) = (mx / mass, my / mass);
    let (mut xy, mut yy) = (0.0f64, 0.0f64);
    for r in 0..height {
        for c in 0..width {
            let v = f64::from(image[r * width + c]);
            xy += v * (c as f64 - mx) * (r as f64 - my);
            yy += v * (r as f64 - my).powi(2);
        }
    }
    if yy <= 0.0 {
        return 0.0;
    }
    (-xy / yy).atan().to_degrees()
}

/// Background regions (4-connected) that do not reach the border.
fn loops(image: &[f32], height: usize, width: usize) -> usize {
    let mut seen = vec![false; height * width];
    let mut count = 0;
    for start in 0..height * width {
        if seen[start] || image[start] > INK {
            continue;
        }
        let mut stack = vec![start];
        seen[start] = true;
        let mut border = false;
        while let Some(at) = stack.pop() {
            let (r, c) = (at / width, at % width);
            border |= r == 0 || c == 0 || r + 1 == height || c + 1 == width;
            let mut push = |next: usize| {
                if !seen[next] && image[next] <= INK {
                    seen[next] = true;
                    stack.push(next);
                }
            };
            if r > 0 {
                push(at - width);
            }
            if r + 1 < height {
                push(at + width);
            }
            if c > 0 {
                push(at - 1);
            }
            if c + 1 < width {
                push(at + 1);
            }
        }
        count += usize::from(!border);
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `size × size` image with `ink` at the listed pixels.
    fn draw(size: usize, pixels: impl IntoIterator<Item = (usize, usize)>) -> Vec<f32> {
        let mut image = vec![0.0; size * size];
        for (r, c) in pixels {
            image[r * size + c] = 1.0;
        }
        image
    }

    /// A vertical bar 3 wide and 20 tall: area 60, perimeter 46, width 120/46; upright; no loop;
    /// ink 60 / 784.
    #[test]
    fn an_upright_bar_has_known_measures() {
        let bar = draw(28, (4..24).flat_map(|r| (12..15).map(move |c| (r, c))));
        let shape = measure(&bar, 28, 28);
        assert!((shape.ink - 60.0 / 784.0).abs() < 1e-12);
        assert!((shape.width - 120.0 / 46.0).abs() < 1e-12);
        assert!(shape.slant.abs() < 1e-9);
        assert_eq!(shape.loops, 0);
    }

    /// A bar sheared by one column per two rows, leaning right at the top: x = c0 − (r − r0)/2,
    /// so its slant is the staircase's least-squares lean, near atan(1/2) = 26.57°.
    #[test]
    fn a_sheared_bar_has_its_slant() {
        let line = draw(28, (4..24).map(|r| (r, 20 - (r - 4) / 2)));
        let shape = measure(&line, 28, 28);
        // The staircase's moments: the least-squares slope of c on r over rows 4..24.
        let rows: Vec<f64> = (4..24).map(f64::from).collect();
        let cols: Vec<f64> = (4..24).map(|r| f64::from(20 - (r - 4) / 2)).collect();
        let (mr, mc) = (
            rows.iter().sum::<f64>() / 20.0,
            cols.iter().sum::<f64>() / 20.0,
        );
        let xy: f64 = rows
            .iter()
            .zip(&cols)
            .map(|(r, c)| (r - mr) * (c - mc))
            .sum();
        let yy: f64 = rows.iter().map(|r| (r - mr).powi(2)).sum();
        assert!((shape.slant - (-xy / yy).atan().to_degrees()).abs() < 1e-9);
        assert!((shape.slant - 26.565).abs() < 1.0, "{}", shape.slant);
        // Leaning the other way gives the opposite sign.
        let mirrored: Vec<f32> = (0..28 * 28)
            .map(|i| line[(i / 28) * 28 + 27 - i % 28])
            .collect();
        assert!((measure(&mirrored, 28, 28).slant + shape.slant).abs() < 1e-9);
    }

    /// A ring (an 0) has one loop; an 8 drawn as two rings has two; a ring with a gap (an open
    /// 4's top) has none; a ring touching the border's background still encloses its inside.
    #[test]
    fn loops_are_counted() {
        let ring = |top: usize, left: usize, side: usize| {
            (0..side).flat_map(move |k| {
                [
                    (top, left + k),
                    (top + side - 1, left + k),
                    (top + k, left),
                    (top + k, left + side - 1),
                ]
            })
        };
        assert_eq!(measure(&draw(28, ring(5, 5, 10)), 28, 28).loops, 1);
        let eight = draw(28, ring(2, 8, 10).chain(ring(11, 8, 12)));
        assert_eq!(measure(&eight, 28, 28).loops, 2);
        let open = draw(28, ring(5, 5, 10).filter(|&(r, c)| !(r == 5 && c == 9)));
        assert_eq!(measure(&open, 28, 28).loops, 0);
        assert_eq!(measure(&draw(12, ring(0, 0, 12)), 12, 12).loops, 1);
        assert_eq!(measure(&[0.0; 16], 4, 4).loops, 0);
    }
}
