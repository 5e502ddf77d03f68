//! Registration for congealing: where an image sits relative to its group's frame (shift,
//! tilt, a light gain and a left–right light gradient), found by coordinate descent and
//! Gauss–Newton against a template on a grid finer than the images'; images carried into and
//! out of the frame; means splatted onto the fine grid.
//!
//! Images are channels-first `[c, h, w]` values in `[0, 1]`; pixel centres sit at
//! u = (col + ½ − w/2)/(w/2) in `[−1, 1]` (rows likewise), the convention of the Glasses
//! renderer, whose face frame is f = R(θ)(p − s) with R(θ) = [[cos θ, sin θ], [−sin θ, cos θ]].

/// Largest shift a registration may reach, in normalized units (a fifth of the half image).
const MAX_SHIFT: f32 = 0.2;
/// Largest tilt, radians (20°).
const MAX_TILT: f32 = 0.35;

/// The shape of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    /// Channels.
    pub channels: usize,
    /// Height.
    pub height: usize,
    /// Width.
    pub width: usize,
}

impl Dims {
    pub(super) fn plane(self) -> usize {
        self.height * self.width
    }

    pub(super) fn len(self) -> usize {
        self.channels * self.plane()
    }

    /// The normalized coordinates (u, v) of pixel (row, col).
    pub(super) fn coordinates(self, row: usize, col: usize) -> (f32, f32) {
        let (hw, hh) = (self.width as f32 / 2.0, self.height as f32 / 2.0);
        ((col as f32 + 0.5 - hw) / hw, (row as f32 + 0.5 - hh) / hh)
    }
}

/// Where an image sits relative to its group's frame, and its light.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    /// Shift s = (sx, sy), normalized units.
    pub shift: (f32, f32),
    /// Tilt θ, radians.
    pub tilt: f32,
    /// Light gain a.
    pub gain: f32,
    /// Light gradient b: the shade at u is a (1 + b u).
    pub gradient: f32,
}

impl Default for Pose {
    fn default() -> Self {
        Self {
            shift: (0.0, 0.0),
            tilt: 0.0,
            gain: 1.0,
            gradient: 0.0,
        }
    }
}

impl Pose {
    /// The image point p = R(θ)ᵀ f + s of frame point f.
    pub(super) fn image_point(&self, f: (f32, f32)) -> (f32, f32) {
        let (sin, cos) = self.tilt.sin_cos();
        (
            cos * f.0 - sin * f.1 + self.shift.0,
            sin * f.0 + cos * f.1 + self.shift.1,
        )
    }

    /// The frame point f = R(θ)(p − s) of image point p.
    pub(super) fn frame_point(&self, p: (f32, f32)) -> (f32, f32) {
        let (sin, cos) = self.tilt.sin_cos();
        let (u, v) = (p.0 - self.shift.0, p.1 - self.shift.1);
        (cos * u + sin * v, -sin * u + cos * v)
    }

    /// The shade a (1 + b u) at image point p (u measured from the shifted centre).
    pub(super) fn shade(&self, p: (f32, f32)) -> f32 {
        self.gain * (1.0 + self.gradient * (p.0 - self.shift.0))
    }
}

/// Channel `channel` of `image` at normalized point (u, v), bilinear, the border repeated.
pub(super) fn sample(image: &[f32], dims: Dims, channel: usize, (u, v): (f32, f32)) -> f32 {
    let (hw, hh) = (dims.width as f32 / 2.0, dims.height as f32 / 2.0);
    let x = (u * hw + hw - 0.5).clamp(0.0, dims.width as f32 - 1.0);
    let y = (v * hh + hh - 0.5).clamp(0.0, dims.height as f32 - 1.0);
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(dims.width - 1), (y0 + 1).min(dims.height - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let base = channel * dims.plane();
    let at = |r: usize, c: usize| image[base + r * dims.width + c];
    let top = at(y0, x0) * (1.0 - fx) + at(y0, x1) * fx;
    let bottom = at(y1, x0) * (1.0 - fx) + at(y1, x1) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// `image` seen in the group's frame under `pose`, its light divided out.
pub fn aligned(image: &[f32], dims: Dims, pose: &Pose) -> Vec<f32> {
    let mut out = vec![0.0; dims.len()];
    for row in 0..dims.height {
        for col in 0..dims.width {
            let p = pose.image_point(dims.coordinates(row, col));
            let shade = pose.shade(p).max(1e-3);
            for channel in 0..dims.channels {
                out[channel * dims.plane() + row * dims.width + col] =
                    sample(image, dims, channel, p) / shade;
            }
        }
    }
    out
}

/// `image` plus `delta` (given on the frame's fine grid) carried into the image's pose and
/// light, clamped to `[0, 1]`.
pub fn add_in_pose(image: &[f32], delta: &[f32], dims: Dims, pose: &Pose) -> Vec<f32> {
    let fine = dims.fine(dims.channels);
    let mut out = image.to_vec();
    for row in 0..dims.height {
        for col in 0..dims.width {
            let p = dims.coordinates(row, col);
            let f = pose.frame_point(p);
            let shade = pose.shade(p);
            for channel in 0..dims.channels {
                let index = channel * dims.plane() + row * dims.width + col;
                out[index] = (out[index] + shade * sample(delta, fine, channel, f)).clamp(0.0, 1.0);
            }
        }
    }
    out
}

/// The mean over channels of each pixel: what registration compares.
pub(super) fn gray(image: &[f32], dims: Dims) -> Vec<f32> {
    (0..dims.plane())
        .map(|i| {
            (0..dims.channels)
                .map(|c| image[c * dims.plane() + i])
                .sum::<f32>()
                / dims.channels as f32
        })
        .collect()
}

/// The frame's grid is this many times finer than the images': the means are built by
/// splatting many images at different sub-pixel poses (as drizzle does), so the template edit
/// is not blurred twice by interpolation.
pub(super) const SCALE: usize = 2;

impl Dims {
    /// The frame's fine grid for `channels` channels.
    pub(super) fn fine(self, channels: usize) -> Dims {
        Dims {
            channels,
            height: self.height * SCALE,
            width: self.width * SCALE,
        }
    }
}

/// The squared error of gray `image` against the gray fine `template` under the geometry of
/// `pose`, compared on the image's own pixels (the template sampled at each pixel's frame
/// point), with the light (a, b) fitted by least squares; returns the error and the pose with
/// that light.
pub(super) fn light_fit(image: &[f32], template: &[f32], dims: Dims, pose: &Pose) -> (f64, Pose) {
    let (residuals, fitted) = residuals(image, template, dims, pose);
    (residuals.iter().map(|r| r * r).sum(), fitted)
}

/// Each pixel's residual x(p) − a (1 + b u) T(f) under the geometry of `pose`, with the light
/// (a, b) that minimizes their squares, and the pose with that light.
fn residuals(image: &[f32], template: &[f32], dims: Dims, pose: &Pose) -> (Vec<f64>, Pose) {
    let fine = dims.fine(1);
    // x(p) ≈ α T(f) + β T(f) u: normal equations in (α, β), then a = α, b = β / α.
    let mut samples = Vec::with_capacity(dims.plane());
    let (mut tt, mut tu, mut uu, mut xt, mut xu) = (0.0f64, 0.0, 0.0, 0.0, 0.0);
    for row in 0..dims.height {
        for col in 0..dims.width {
            let p = dims.coordinates(row, col);
            let x = f64::from(image[row * dims.width + col]);
            let t = f64::from(sample(template, fine, 0, pose.frame_point(p)));
            let u = f64::from(p.0 - pose.shift.0);
            let (a, b) = (t, t * u);
            tt += a * a;
            tu += a * b;
            uu += b * b;
            xt += x * a;
            xu += x * b;
            samples.push((x, a, b));
        }
    }
    let det = tt * uu - tu * tu;
    let (alpha, beta) = if det.abs() > 1e-12 {
        ((xt * uu - xu * tu) / det, (tt * xu - tu * xt) / det)
    } else {
        (xt / tt.max(1e-12), 0.0)
    };
    let (alpha, gradient) = bounded_light(alpha, beta, [tt, tu, uu, xt, xu]);
    let beta = alpha * gradient;
    let residuals = samples
        .iter()
        .map(|(x, a, b)| x - alpha * a - beta * b)
        .collect();
    (
        residuals,
        Pose {
            gain: alpha as f32,
            gradient: gradient as f32,
            ..*pose
        },
    )
}

/// The light's least gain (below it an image is mostly background and the fit is unstable).
const MIN_GAIN: f64 = 0.5;
/// The light's greatest gain.
const MAX_GAIN: f64 = 2.0;
/// The light's steepest gradient: the shade varies by at most this share across half the image.
const MAX_GRADIENT: f64 = 0.3;

/// The gain a and gradient b within their bounds, from the unconstrained least-squares fit
/// (α = a, β = a b) and its sums [Σ t², Σ t·tu, Σ (tu)², Σ x t, Σ x tu]: a gradient out of bounds
/// is clamped and the gain refitted for it; a gain out of bounds is clamped and the gradient
/// refitted for it. Without bounds a faint fit (α near 0) makes b = β / α, and the light
/// divided out, explode.
fn bounded_light(alpha: f64, beta: f64, [tt, tu, uu, xt, xu]: [f64; 5]) -> (f64, f64) {
    let mut gradient = if alpha.abs() > 1e-12 {
        (beta / alpha).clamp(-MAX_GRADIENT, MAX_GRADIENT)
    } else {
        0.0
    };
    let mut gain = alpha;
    if alpha.abs() <= 1e-12 || (beta / alpha).abs() > MAX_GRADIENT {
        // x ≈ a (t + b tu) with b fixed: a = Σ x g / Σ g², g = t + b tu.
        let gg = tt + 2.0 * gradient * tu + gradient * gradient * uu;
        gain = (xt + gradient * xu) / gg.max(1e-12);
    }
    if !(MIN_GAIN..=MAX_GAIN).contains(&gain) {
        gain = gain.clamp(MIN_GAIN, MAX_GAIN);
        // x − a t ≈ a b tu with a fixed: b = Σ (x − a t) tu / (a Σ (tu)²).
        gradient = ((xu - gain * tu) / (gain * uu.max(1e-12))).clamp(-MAX_GRADIENT, MAX_GRADIENT);
    }
    (gain, gradient)
}

/// Gauss–Newton steps on shift and tilt from `start` (the light refitted at each, derivatives by
/// central differences), each kept only if it lowers the error: what coordinate descent leaves
/// in a valley along which shift and tilt trade off.
fn gauss_newton(image: &[f32], template: &[f32], dims: Dims, start: Pose, error: f64) -> Pose {
    let (mut pose, mut error) = (start, error);
    let pixel = 2.0 / dims.width as f32;
    let deltas = [0.05 * pixel, 0.05 * pixel, 0.003];
    let moved = |pose: &Pose, axis: usize, by: f32| {
        let mut trial = *pose;
        match axis {
            0 => trial.shift.0 = (trial.shift.0 + by).clamp(-MAX_SHIFT, MAX_SHIFT),
            1 => trial.shift.1 = (trial.shift.1 + by).clamp(-MAX_SHIFT, MAX_SHIFT),
            _ => trial.tilt = (trial.tilt + by).clamp(-MAX_TILT, MAX_TILT),
        }
        trial
    };
    for _ in 0..GAUSS_NEWTON {
        let (r, _) = residuals(image, template, dims, &pose);
        let jacobian: Vec<Vec<f64>> = (0..3)
            .map(|axis| {
                let (plus, _) = residuals(image, template, dims, &moved(&pose, axis, deltas[axis]));
                let (minus, _) =
                    residuals(image, template, dims, &moved(&pose, axis, -deltas[axis]));
                plus.iter()
                    .zip(&minus)
                    .map(|(a, b)| (a - b) / (2.0 * f64::from(deltas[axis])))
                    .collect()
            })
            .collect();
        let mut normal = vec![vec![0.0; 3]; 3];
        let mut gradient = vec![0.0; 3];
        for a in 0..3 {
            for b in 0..3 {
                normal[a][b] = jacobian[a]
                    .iter()
                    .zip(&jacobian[b])
                    .map(|(x, y)| x * y)
                    .sum();
            }
            gradient[a] = jacobian[a].iter().zip(&r).map(|(x, y)| x * y).sum();
            normal[a][a] *= 1.0 + 1e-6;
        }
        let Some(step) = solve3(&normal, &gradient) else {
            break;
        };
        let mut trial = pose;
        for (axis, value) in step.iter().enumerate() {
            trial = moved(&trial, axis, -*value as f32);
        }
        let (e, fitted) = light_fit(image, template, dims, &trial);
        if e >= error {
            break;
        }
        (pose, error) = (fitted, e);
    }
    pose
}

/// The solution of the 3×3 system `a` x = `b` by Cramer's rule; `None` when `a` is singular.
fn solve3(a: &[Vec<f64>], b: &[f64]) -> Option<[f64; 3]> {
    let det = |m: [[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let matrix = [
        [a[0][0], a[0][1], a[0][2]],
        [a[1][0], a[1][1], a[1][2]],
        [a[2][0], a[2][1], a[2][2]],
    ];
    let whole = det(matrix);
    if whole.abs() < 1e-300 || !whole.is_finite() {
        return None;
    }
    let mut x = [0.0; 3];
    for (column, value) in x.iter_mut().enumerate() {
        let mut replaced = matrix;
        for row in 0..3 {
            replaced[row][column] = b[row];
        }
        *value = det(replaced) / whole;
    }
    Some(x)
}

/// Gauss–Newton steps after coordinate descent, at most.
const GAUSS_NEWTON: usize = 5;

/// The pose of gray `image` (`dims.height × dims.width`) against the gray fine `template`, by
/// coordinate descent on shift and tilt from `start` (steps halved until a twentieth of a pixel
/// and a sixth of a degree), the light fitted at each trial.
pub fn register(image: &[f32], template: &[f32], dims: Dims, start: &Pose) -> Pose {
    let (mut error, mut pose) = light_fit(image, template, dims, start);
    let pixel = 2.0 / dims.width as f32;
    let mut steps = [pixel, pixel, 0.06];
    while steps[0] > 0.05 * pixel || steps[2] > 0.003 {
        let mut moved = false;
        for axis in 0..3 {
            for sign in [-1.0f32, 1.0] {
                let mut trial = pose;
                match axis {
                    0 => {
                        trial.shift.0 =
                            (trial.shift.0 + sign * steps[0]).clamp(-MAX_SHIFT, MAX_SHIFT)
                    }
                    1 => {
                        trial.shift.1 =
                            (trial.shift.1 + sign * steps[1]).clamp(-MAX_SHIFT, MAX_SHIFT)
                    }
                    _ => trial.tilt = (trial.tilt + sign * steps[2]).clamp(-MAX_TILT, MAX_TILT),
                }
                let (e, fitted) = light_fit(image, template, dims, &trial);
                if e < error {
                    (error, pose, moved) = (e, fitted, true);
                    break;
                }
            }
        }
        if !moved {
            steps.iter_mut().for_each(|s| *s /= 2.0);
        }
    }
    gauss_newton(image, template, dims, pose, error)
}

/// The mean, on the frame's fine grid, of `images` (each with `channels` channels of
/// `dims.height × dims.width`) seen at their `poses` with their light divided out: every pixel
/// is splatted at its frame point with bilinear weights. Fine pixels no image reached lean on
/// the plain mean of the images aligned at the image resolution.
pub(super) fn splat_mean(
    images: &[&[f32]],
    poses: &[Pose],
    dims: Dims,
    channels: usize,
) -> Vec<f32> {
    let fine = dims.fine(channels);
    let coarse = Dims { channels, ..dims };
    let mut sums = vec![0.0f64; fine.len()];
    let mut weights = vec![0.0f64; fine.plane()];
    let (hw, hh) = (fine.width as f32 / 2.0, fine.height as f32 / 2.0);
    for (image, pose) in images.iter().zip(poses) {
        for row in 0..dims.height {
            for col in 0..dims.width {
                let p = dims.coordinates(row, col);
                let f = pose.frame_point(p);
                let shade = pose.shade(p).max(1e-3);
                let x = f.0 * hw + hw - 0.5;
                let y = f.1 * hh + hh - 0.5;
                if x < 0.0 || y < 0.0 || x > fine.width as f32 - 1.0 || y > fine.height as f32 - 1.0
                {
                    continue;
                }
                let (x0, y0) = (x.floor() as usize, y.floor() as usize);
                let (fx, fy) = (f64::from(x - x0 as f32), f64::from(y - y0 as f32));
                for (r, c, w) in [
                    (y0, x0, (1.0 - fx) * (1.0 - fy)),
                    (y0, x0 + 1, fx * (1.0 - fy)),
                    (y0 + 1, x0, (1.0 - fx) * fy),
                    (y0 + 1, x0 + 1, fx * fy),
                ] {
                    if r >= fine.height || c >= fine.width || w == 0.0 {
                        continue;
                    }
                    let at = r * fine.width + c;
                    weights[at] += w;
                    for channel in 0..channels {
                        let value = image[channel * dims.plane() + row * dims.width + col] / shade;
                        sums[channel * fine.plane() + at] += w * f64::from(value);
                    }
                }
            }
        }
    }
    let aligned_mean = mean_of(
        images
            .iter()
            .zip(poses)
            .map(|(image, pose)| aligned(image, coarse, pose))
            .collect::<Vec<_>>()
            .iter(),
        coarse.len(),
    );
    // A small weight towards the coarse mean fills holes and barely moves covered pixels.
    const PRIOR: f64 = 0.05;
    let mut out = vec![0.0; fine.len()];
    for row in 0..fine.height {
        for col in 0..fine.width {
            let at = row * fine.width + col;
            let (u, v) = fine.coordinates(row, col);
            for channel in 0..channels {
                let prior = f64::from(sample(&aligned_mean, coarse, channel, (u, v)));
                let index = channel * fine.plane() + at;
                out[index] = ((sums[index] + PRIOR * prior) / (weights[at] + PRIOR)) as f32;
            }
        }
    }
    out
}

/// The element-wise mean of `rows` (all of length `len`).
pub(super) fn mean_of<'a>(rows: impl Iterator<Item = &'a Vec<f32>>, len: usize) -> Vec<f32> {
    let mut sum = vec![0.0f64; len];
    let mut count = 0usize;
    for row in rows {
        count += 1;
        for (s, v) in sum.iter_mut().zip(row) {
            *s += f64::from(*v);
        }
    }
    sum.into_iter()
        .map(|s| (s / count.max(1) as f64) as f32)
        .collect()
}

#[cfg(test)]
/// A smooth, asymmetric gray scene at frame point f (a blob off centre and a ramp), with an
/// optional small square: images of it at known poses test registration and the edit.
pub(super) fn scene(f: (f32, f32), square: bool) -> f32 {
    let bump =
        |cx: f32, cy: f32, width: f32| (-((f.0 - cx).powi(2) + (f.1 - cy).powi(2)) / width).exp();
    // A square with a one-pixel soft edge, as the Glasses renderer draws its shapes.
    let inside = 0.12 - (f.0 + 0.3).abs().max((f.1 - 0.3).abs());
    let mark = if square {
        -0.25 * (inside / 0.0625 + 0.5).clamp(0.0, 1.0)
    } else {
        0.0
    };
    0.3 + 0.4 * bump(0.2, -0.1, 0.05) + 0.3 * bump(-0.25, -0.3, 0.02) + mark
}

#[cfg(test)]
/// `scene` rendered at `pose` (pixel p shows the frame point R(θ)(p − s), times the shade).
pub(super) fn at_pose(dims: Dims, pose: &Pose, square: bool) -> Vec<f32> {
    let mut image = Vec::with_capacity(dims.len());
    for row in 0..dims.height {
        for col in 0..dims.width {
            let p = dims.coordinates(row, col);
            image.push(pose.shade(p) * scene(pose.frame_point(p), square));
        }
    }
    image
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sums `bounded_light` takes, of template values `t` at offsets `u` against `x`.
    fn sums(t: &[f64], u: &[f64], x: &[f64]) -> (f64, f64, [f64; 5]) {
        let mut s = [0.0; 5];
        for ((t, u), x) in t.iter().zip(u).zip(x) {
            let (a, b) = (*t, t * u);
            s[0] += a * a;
            s[1] += a * b;
            s[2] += b * b;
            s[3] += x * a;
            s[4] += x * b;
        }
        let det = s[0] * s[2] - s[1] * s[1];
        let alpha = (s[3] * s[2] - s[4] * s[1]) / det;
        let beta = (s[0] * s[4] - s[1] * s[3]) / det;
        (alpha, beta, s)
    }

    /// Light within bounds is the least-squares fit itself; a gradient too steep is clamped and
    /// the gain is the best for it (brute force over gains); a faint image gets the least gain,
    /// and the gradient best for it (brute force over gradients).
    #[test]
    fn bounded_light_has_known_answers() {
        let t = [1.0, 0.5, 0.8, 1.0, 0.3];
        let u = [-1.0, -0.5, 0.0, 0.5, 1.0];
        let render = |a: f64, b: f64| -> Vec<f64> {
            t.iter()
                .zip(&u)
                .map(|(t, u)| a * t * (1.0 + b * u))
                .collect()
        };
        let error = |x: &[f64], a: f64, b: f64| -> f64 {
            render(a, b)
                .iter()
                .zip(x)
                .map(|(r, x)| (r - x).powi(2))
                .sum()
        };
        let x = render(1.2, 0.1);
        let (alpha, beta, s) = sums(&t, &u, &x);
        let (gain, gradient) = bounded_light(alpha, beta, s);
        assert!((gain - 1.2).abs() < 1e-9 && (gradient - 0.1).abs() < 1e-9);

        let x = render(1.0, 0.9);
        let (alpha, beta, s) = sums(&t, &u, &x);
        let (gain, gradient) = bounded_light(alpha, beta, s);
        assert_eq!(gradient, MAX_GRADIENT);
        let best = (0..=20_000)
            .map(|k| 0.5 + k as f64 * 1e-4)
            .min_by(|a, b| error(&x, *a, MAX_GRADIENT).total_cmp(&error(&x, *b, MAX_GRADIENT)))
            .expect("gains to try");
        assert!((gain - best).abs() < 2e-4, "{gain} vs {best}");

        let x = render(0.05, -0.2);
        let (alpha, beta, s) = sums(&t, &u, &x);
        let (gain, gradient) = bounded_light(alpha, beta, s);
        assert_eq!(gain, MIN_GAIN);
        let best = (0..=6_000)
            .map(|k| -MAX_GRADIENT + k as f64 * 1e-4)
            .min_by(|a, b| error(&x, MIN_GAIN, *a).total_cmp(&error(&x, MIN_GAIN, *b)))
            .expect("gradients to try");
        assert!((gradient - best).abs() < 2e-4, "{gradient} vs {best}");
    }

    /// By hand: [[2, 0, 0], [0, 3, 1], [0, 1, 1]] x = (2, 5, 3) has x = (1, 1, 2); a singular
    /// matrix has no solution.
    #[test]
    fn solve3_has_known_answers() {
        let a = vec![
            vec![2.0, 0.0, 0.0],
            vec![0.0, 3.0, 1.0],
            vec![0.0, 1.0, 1.0],
        ];
        let x = solve3(&a, &[2.0, 5.0, 3.0]).expect("regular");
        for (v, e) in x.iter().zip([1.0, 1.0, 2.0]) {
            assert!((v - e).abs() < 1e-12, "{x:?}");
        }
        assert!(
            solve3(
                &[vec![1.0; 3], vec![1.0; 3], vec![0.0, 1.0, 2.0]],
                &[1.0; 3]
            )
            .is_none()
        );
    }

    /// `frame_point` undoes `image_point` for any pose, and the shade at the shifted centre is the gain.
    #[test]
    fn frame_and_image_maps_are_inverse() {
        let pose = Pose {
            shift: (0.07, -0.03),
            tilt: 0.2,
            gain: 0.9,
            gradient: 0.05,
        };
        for f in [(0.0, 0.0), (0.5, -0.25), (-0.9, 0.8)] {
            let back = pose.frame_point(pose.image_point(f));
            assert!(
                (back.0 - f.0).abs() < 1e-6 && (back.1 - f.1).abs() < 1e-6,
                "{back:?}"
            );
        }
        assert!((pose.shade((0.07, 0.5)) - 0.9).abs() < 1e-7);
        // By hand: θ = 0, s = (0.1, 0): p = (0.3, 0.2) is frame point (0.2, 0.2).
        let shifted = Pose {
            shift: (0.1, 0.0),
            ..Pose::default()
        };
        let f = shifted.frame_point((0.3, 0.2));
        assert!((f.0 - 0.2).abs() < 1e-7 && (f.1 - 0.2).abs() < 1e-7);
    }

    /// Registration against the scene's own template recovers a known shift, tilt and light to
    /// within a tenth of a pixel, a third of a degree and a percent.
    #[test]
    fn registration_recovers_a_known_pose() {
        let dims = Dims {
            channels: 1,
            height: 32,
            width: 32,
        };
        let fine = dims.fine(1);
        let mut template = Vec::with_capacity(fine.len());
        for row in 0..fine.height {
            for col in 0..fine.width {
                template.push(scene(fine.coordinates(row, col), false));
            }
        }
        let truth = Pose {
            shift: (0.05, -0.04),
            tilt: 0.09,
            gain: 0.95,
            gradient: 0.06,
        };
        let image = at_pose(dims, &truth, false);
        let found = register(&image, &template, dims, &Pose::default());
        let pixel = 2.0 / 32.0;
        assert!(
            (found.shift.0 - truth.shift.0).abs() < 0.1 * pixel,
            "{found:?}"
        );
        assert!(
            (found.shift.1 - truth.shift.1).abs() < 0.1 * pixel,
            "{found:?}"
        );
        assert!((found.tilt - truth.tilt).abs() < 0.006, "{found:?}");
        assert!((found.gain - truth.gain).abs() < 0.01, "{found:?}");
        assert!((found.gradient - truth.gradient).abs() < 0.01, "{found:?}");
    }
}
