//! Spectral norms (largest singular values): certified upper bounds by Gram iteration, and power
//! iteration on AᵀA for the estimate from below.
//!
//! Every operator norm that enters a bound is an upper bound that holds for the matrix as
//! stored ([`gram_upper_bound`], [`conv2d_upper_bound`], [`affine_upper_bound`]): power
//! iteration returns a Rayleigh quotient, which is ≤ σ, and a bound computed from it can come out
//! below the valid one. The power-iteration value is kept next to it, so that the pair brackets σ.
//!
//! A convolution layer's norm is that of the convolution as a linear map on the layer's real
//! input size (Bartlett, Foster & Telgarsky 2017 need the operator norm), never of its reshaped
//! kernel: AᵀA v is computed as the gradient of ½‖A v‖² through burn's autodiff, which makes the
//! same code exact for any padding. Sedghi, Gupta & Long (ICLR 2019) give the exact singular
//! values of circularly padded convolutions, which the tests use as known answers.

use burn::prelude::*;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;

use crate::rng::SplitMix64;

/// Relative slack added to every certified bound for the rounding of f64 arithmetic. Each
/// product of Frobenius-normalized matrices of inner size n is off by at most ≈ n·2⁻⁵³ in
/// Frobenius norm (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.5); the squaring
/// doubles that error while the 2^t-th root divides it by 2^t, so the bound's relative error stays
/// below ≈ 2 √n · n · 2⁻⁵³ ≈ 10⁻¹⁰ for n ≤ 4 000. 10⁻⁹ covers it with room.
pub const ROUNDING_SLACK: f64 = 1e-9;

/// Squarings of Gram iteration at most (the bound's exponent is 2⁻ᵗ).
const GRAM_STEPS: usize = 40;

/// A certified upper bound on ‖A‖₂ of a dense `rows × cols` matrix stored row-major, by Gram
/// iteration (Delattre, Barthélemy, Araujo & Allauzen, ICML 2023): with G₀ = A and
/// G_{t+1} = G_tᵀ G_t, ‖A‖₂^(2^t) = ‖G_t‖₂ ≤ ‖G_t‖_F, so every step gives a valid bound and the
/// bound falls to ‖A‖₂ as t grows (the other singular values' share of the Frobenius norm
/// vanishes like (σ₂/σ₁)^(2^t)). Each step is rescaled to Frobenius norm 1, the scale kept as a
/// logarithm, so no power overflows. The least bound over the steps, times 1 + [`ROUNDING_SLACK`].
pub fn gram_upper_bound(matrix: &[f64], rows: usize, cols: usize) -> f64 {
    assert_eq!(matrix.len(), rows * cols, "a {rows} × {cols} matrix");
    let norm = frobenius(matrix);
    if norm == 0.0 || rows == 0 || cols == 0 {
        return 0.0;
    }
    if !norm.is_finite() {
        return f64::INFINITY;
    }
    let scaled: Vec<f64> = matrix.iter().map(|value| value / norm).collect();
    // G₁ on the smaller side: AᵀA (cols × cols) or AAᵀ (rows × rows) share their spectrum.
    let (mut gram, side) = if cols <= rows {
        (transpose_times_self(&scaled, rows, cols), cols)
    } else {
        (
            transpose_times_self(&transpose(&scaled, rows, cols), cols, rows),
            rows,
        )
    };
    // True G_t = e^log_scale · gram.
    let mut log_scale = 2.0 * norm.ln();
    let mut best = norm;
    let mut exponent = 1.0;
    for _ in 0..GRAM_STEPS {
        exponent *= 2.0;
        let size = frobenius(&gram);
        if size == 0.0 {
            return 0.0;
        }
        let bound = ((log_scale + size.ln()) / exponent).exp();
        let progress = bound < best * (1.0 - 1e-13);
        best = best.min(bound);
        if !progress {
            break;
        }
        gram.iter_mut().for_each(|value| *value /= size);
        log_scale = 2.0 * (log_scale + size.ln());
        gram = transpose_times_self(&gram, side, side);
    }
    best * (1.0 + ROUNDING_SLACK)
}

/// ‖M‖_F of a matrix stored as a slice, scaled by its largest entry so no square overflows.
fn frobenius(matrix: &[f64]) -> f64 {
    let largest = matrix.iter().fold(0f64, |acc, value| acc.max(value.abs()));
    if largest == 0.0 || !largest.is_finite() {
        return largest;
    }
    largest
        * matrix
            .iter()
            .map(|value| (value / largest).powi(2))
            .sum::<f64>()
            .sqrt()
}

/// Mᵀ of a `rows × cols` matrix.
fn transpose(matrix: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; rows * cols];
    for row in 0..rows {
        for col in 0..cols {
            out[col * rows + row] = matrix[row * cols + col];
        }
    }
    out
}

/// MᵀM (`cols × cols`) of a `rows × cols` matrix, row by row of M.
fn transpose_times_self(matrix: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut out = vec![0.0; cols * cols];
    for row in matrix.chunks_exact(cols).take(rows) {
        for (i, &a) in row.iter().enumerate() {
            if a == 0.0 {
                continue;
            }
            let target = &mut out[i * cols..(i + 1) * cols];
            for (slot, &b) in target.iter_mut().zip(row) {
                *slot += a * b;
            }
        }
    }
    out
}

/// A certified upper bound on ‖A'‖₂ of a linear map with its bias folded in,
/// A'(x, t) = (A x + t·b, c·t) with c = 1 when a constant unit carries the bias on (hidden
/// layers) and 0 otherwise, from upper bounds a ≥ ‖A‖₂ and β ≥ ‖b‖₂:
/// ‖A x + t b‖² + c²t² ≤ (a‖x‖ + β|t|)² + c²t² = ‖M (‖x‖, |t|)‖² with M = [[a, β], [0, c]], so
/// ‖A'‖₂ ≤ ‖M‖₂, itself bounded by [`gram_upper_bound`].
pub fn affine_upper_bound(linear: f64, bias: f64, constant_unit: bool) -> f64 {
    let c = if constant_unit { 1.0 } else { 0.0 };
    gram_upper_bound(&[linear, bias, 0.0, c], 2, 2)
}

/// A certified upper bound on ‖A'‖₂ of A'(x, t) = (A x + t·β u, c·t) (u a unit vector, c = 1
/// with a constant unit, else 0), tighter than [`affine_upper_bound`] when the bias direction u
/// is far from A's top output direction: from a ≥ ‖A‖₂, β = ‖b‖₂ and g ≥ ‖Aᵀ u‖₂,
/// ‖A x + tβ u‖² + c²t² = ‖A x‖² + 2tβ⟨x, Aᵀu⟩ + (β² + c²)t² ≤ vᵀ M v with v = (‖x‖, |t|) and
/// M = [[a², βg], [βg, β² + c²]], so ‖A'‖₂² ≤ λ_max(M) = (p + r)/2 + √(((p − r)/2)² + q²).
pub fn affine_upper_bound_aligned(
    linear: f64,
    bias: f64,
    alignment: f64,
    constant_unit: bool,
) -> f64 {
    let c2 = if constant_unit { 1.0 } else { 0.0 };
    let (p, q, r) = (linear * linear, bias * alignment, bias * bias + c2);
    let largest = (p + r) / 2.0 + (((p - r) / 2.0).powi(2) + q * q).sqrt();
    (largest.sqrt() * (1.0 + ROUNDING_SLACK)).min(affine_upper_bound(linear, bias, constant_unit))
}

/// Aᵀ y of the zero-padded, stride-1 convolution with `weight` (`[out, in, k, k]`) on
/// `[in, height, width]` inputs, for `y` on its `[out, height + 2p − k + 1, width + 2p − k + 1]`
/// outputs, in f64.
pub fn conv2d_transpose_apply(
    weight: &[f64],
    shape: [usize; 4],
    input: [usize; 3],
    padding: usize,
    y: &[f64],
) -> Vec<f64> {
    let [out, inp, kernel_rows, kernel_cols] = shape;
    let [_, height, width] = input;
    let (out_h, out_w) = (
        height + 2 * padding + 1 - kernel_rows,
        width + 2 * padding + 1 - kernel_cols,
    );
    assert_eq!(y.len(), out * out_h * out_w);
    let mut x = vec![0.0; inp * height * width];
    for o in 0..out {
        for oy in 0..out_h {
            for ox in 0..out_w {
                let value = y[(o * out_h + oy) * out_w + ox];
                if value == 0.0 {
                    continue;
                }
                for i in 0..inp {
                    for a in 0..kernel_rows {
                        let Some(row) = (oy + a).checked_sub(padding).filter(|&r| r < height)
                        else {
                            continue;
                        };
                        for b in 0..kernel_cols {
                            let Some(col) = (ox + b).checked_sub(padding).filter(|&c| c < width)
                            else {
                                continue;
                            };
                            let w = weight[((o * inp + i) * kernel_rows + a) * kernel_cols + b];
                            x[(i * height + row) * width + col] += w * value;
                        }
                    }
                }
            }
        }
    }
    x
}

/// A certified upper bound on ‖A‖₂ of the convolution with `weight` (`[out, in, k, k]`, f64,
/// row-major) on inputs of `[in, height, width]`, at any stride. With zero padding p the map is a
/// part of the circular convolution on the (height + 2p) × (width + 2p) torus (embed the input
/// with zeros; no output of the window wraps around; a stride only drops outputs), and that
/// circular map is block-diagonal in the 2-D discrete Fourier basis with blocks K̂(u, v), the
/// out × in matrices of the kernel's transform (Sedghi, Gupta & Long, ICLR 2019, Theorem 6), so
/// ‖A‖₂ ≤ max over (u, v) of ‖K̂(u, v)‖₂. Each block is bounded by [`gram_upper_bound`] on its
/// real form [[Re, −Im], [Im, Re]], which has the same singular values. Circular padding p with
/// 2p < k is itself a part of the circular map on the height × width torus; larger circular
/// padding repeats outputs and is not covered (∞).
pub fn conv2d_upper_bound(
    weight: &[f64],
    shape: [usize; 4],
    input: [usize; 3],
    padding: Padding,
) -> f64 {
    let [out, inp, kernel_rows, kernel_cols] = shape;
    assert_eq!(weight.len(), out * inp * kernel_rows * kernel_cols);
    assert_eq!(inp, input[0], "the kernel's input channels");
    let [_, height, width] = input;
    let torus = match padding {
        Padding::Zeros(n) => [height + 2 * n, width + 2 * n],
        Padding::Circular(n) if 2 * n < kernel_rows && 2 * n < kernel_cols => [height, width],
        Padding::Circular(_) => return f64::INFINITY,
    };
    if kernel_rows > torus[0] || kernel_cols > torus[1] {
        return f64::INFINITY;
    }
    let angle = |frequency: usize, tap: usize, size: usize| {
        -2.0 * std::f64::consts::PI * ((frequency * tap) % size) as f64 / size as f64
    };
    let mut largest = 0f64;
    let mut block = vec![0.0; 4 * out * inp];
    for u in 0..torus[0] {
        for v in 0..torus[1] {
            // The real form: rows 0..out are (Re, −Im), rows out..2out are (Im, Re).
            for o in 0..out {
                for i in 0..inp {
                    let (mut real, mut imaginary) = (0.0, 0.0);
                    for a in 0..kernel_rows {
                        for b in 0..kernel_cols {
                            let value = weight[((o * inp + i) * kernel_rows + a) * kernel_cols + b];
                            let phase = angle(u, a, torus[0]) + angle(v, b, torus[1]);
                            real += value * phase.cos();
                            imaginary += value * phase.sin();
                        }
                    }
                    let cols = 2 * inp;
                    block[o * cols + i] = real;
                    block[o * cols + inp + i] = -imaginary;
                    block[(out + o) * cols + i] = imaginary;
                    block[(out + o) * cols + inp + i] = real;
                }
            }
            largest = largest.max(gram_upper_bound(&block, 2 * out, 2 * inp));
        }
    }
    largest
}

/// The operator norm of one map: the certified upper bound the bounds use, and the power
/// iteration's estimate from below.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OperatorNorm {
    /// A certified upper bound on ‖A‖₂.
    pub upper: f64,
    /// Power iteration's Rayleigh quotient: ≤ ‖A‖₂ up to rounding.
    pub estimate: f64,
    /// Power iterations run.
    pub iterations: usize,
    /// Whether the power iteration met its tolerance.
    pub converged: bool,
}

/// The result of a power iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerIteration {
    /// The estimate of the largest singular value (from below: a Rayleigh quotient).
    pub sigma: f64,
    /// Iterations run.
    pub iterations: usize,
    /// Whether successive estimates of σ² agreed to the tolerance.
    pub converged: bool,
}

/// Power iteration for the largest eigenvalue of the positive semi-definite map `gram` = AᵀA on
/// vectors of length `dimension`, from a seeded random start; returns √λ = ‖A‖₂.
pub fn power_iteration(
    dimension: usize,
    mut gram: impl FnMut(&[f64]) -> Vec<f64>,
    max_iterations: usize,
    tolerance: f64,
    seed: u64,
) -> PowerIteration {
    let mut generator = SplitMix64::new(seed);
    let mut vector: Vec<f64> = (0..dimension)
        .map(|_| (generator.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5)
        .collect();
    normalize(&mut vector);
    let mut eigenvalue = 0.0;
    for iteration in 1..=max_iterations {
        let mut image = gram(&vector);
        let rayleigh: f64 = image.iter().zip(&vector).map(|(a, b)| a * b).sum();
        let norm = normalize(&mut image);
        if norm == 0.0 {
            return PowerIteration {
                sigma: 0.0,
                iterations: iteration,
                converged: true,
            };
        }
        let converged = (rayleigh - eigenvalue).abs() <= tolerance * rayleigh.abs();
        eigenvalue = rayleigh;
        vector = image;
        if converged {
            return PowerIteration {
                sigma: eigenvalue.max(0.0).sqrt(),
                iterations: iteration,
                converged,
            };
        }
    }
    PowerIteration {
        sigma: eigenvalue.max(0.0).sqrt(),
        iterations: max_iterations,
        converged: false,
    }
}

/// Scales `vector` to unit length; returns its former length.
fn normalize(vector: &mut [f64]) -> f64 {
    let norm = vector.iter().map(|value| value * value).sum::<f64>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|value| *value /= norm);
    }
    norm
}

/// ‖A‖₂ of a dense `rows × cols` matrix stored row-major.
pub fn dense_spectral_norm(matrix: &[f64], rows: usize, cols: usize) -> PowerIteration {
    let gram = |vector: &[f64]| {
        let image: Vec<f64> = (0..rows)
            .map(|row| {
                (0..cols)
                    .map(|col| matrix[row * cols + col] * vector[col])
                    .sum()
            })
            .collect();
        (0..cols)
            .map(|col| {
                (0..rows)
                    .map(|row| matrix[row * cols + col] * image[row])
                    .sum()
            })
            .collect()
    };
    power_iteration(cols, gram, 10_000, 1e-11, 0)
}

/// How a convolution pads its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// `n` zeros on every side (what memlab's models use).
    Zeros(usize),
    /// `n` wrapped-around pixels on every side (the case with closed-form singular values).
    Circular(usize),
}

/// Pads `[batch, channels, height, width]` circularly by `n` on every side.
fn pad_circular(input: Tensor<4>, n: usize) -> Tensor<4> {
    let [_, _, height, width] = input.dims();
    let rows = Tensor::cat(
        vec![
            input.clone().slice(s![.., .., height - n..height, ..]),
            input.clone(),
            input.slice(s![.., .., 0..n, ..]),
        ],
        2,
    );
    Tensor::cat(
        vec![
            rows.clone().slice(s![.., .., .., width - n..width]),
            rows.clone(),
            rows.slice(s![.., .., .., 0..n]),
        ],
        3,
    )
}

/// Applies the convolution `weight` (`[out, in, k, k]`, stride `stride`, no bias) to `input`.
fn apply_conv(input: Tensor<4>, weight: Tensor<4>, stride: usize, padding: Padding) -> Tensor<4> {
    match padding {
        Padding::Zeros(n) => conv2d(
            input,
            weight,
            None,
            ConvOptions::new([stride; 2], [n; 2], [1; 2], 1),
        ),
        Padding::Circular(n) => conv2d(
            pad_circular(input, n),
            weight,
            None,
            ConvOptions::new([stride; 2], [0; 2], [1; 2], 1),
        ),
    }
}

/// ‖A‖₂ of the convolution with `weight` (`[out, in, k, k]`) as a linear map on inputs of
/// `[in, height, width]`, by power iteration with AᵀA v = ∇ ½‖A v‖² (burn autodiff on `device`).
pub fn conv2d_operator_norm(
    weight: &TensorData,
    input: [usize; 3],
    stride: usize,
    padding: Padding,
    device: &Device,
) -> PowerIteration {
    affine_conv2d_operator_norm(weight, None, input, stride, padding, device)
}

/// ‖A'‖₂ of the affine convolution with its bias folded in: A'(x, t) = (conv(x) + t·b, t), the
/// map a bias-free network computes when a constant input 1 rides along (`bias = None`: the plain
/// convolution). AᵀA v = ∇ ½‖A v‖², by burn autodiff on `device`.
pub fn affine_conv2d_operator_norm(
    weight: &TensorData,
    bias: Option<&[f32]>,
    input: [usize; 3],
    stride: usize,
    padding: Padding,
    device: &Device,
) -> PowerIteration {
    let autodiff = device.clone().autodiff();
    let kernel = Tensor::<4>::from_data(weight.clone(), &autodiff);
    let [channels, height, width] = input;
    let size = channels * height * width;
    let bias = bias.map(|values| {
        Tensor::<1>::from_data(TensorData::new(values.to_vec(), [values.len()]), &autodiff)
            .reshape([1, values.len(), 1, 1])
    });
    let gram = |vector: &[f64]| {
        let values: Vec<f32> = vector[..size].iter().map(|&value| value as f32).collect();
        let x = Tensor::<4>::from_data(
            TensorData::new(values, [1, channels, height, width]),
            &autodiff,
        )
        .require_grad();
        let mut y = apply_conv(x.clone(), kernel.clone(), stride, padding);
        let mut extra = None;
        if let Some(bias) = &bias {
            let t =
                Tensor::<1>::from_data(TensorData::new(vec![vector[size] as f32], [1]), &autodiff)
                    .require_grad();
            y = y + bias.clone() * t.clone().reshape([1, 1, 1, 1]);
            extra = Some(t);
        }
        let mut energy = (y.clone() * y).sum().mul_scalar(0.5);
        if let Some(t) = &extra {
            energy = energy + (t.clone() * t.clone()).sum().mul_scalar(0.5);
        }
        let gradients = energy.backward();
        let read = |tensor: Option<Tensor<1>>| -> Vec<f64> {
            tensor
                .and_then(|g| g.into_data().try_into_vec::<f32>().ok())
                .unwrap_or_default()
                .into_iter()
                .map(f64::from)
                .collect()
        };
        let mut gradient = read(x.grad(&gradients).map(|g| g.flatten::<1>(0, 3)));
        gradient.resize(size, 0.0);
        if let Some(t) = &extra {
            gradient.extend(read(t.grad(&gradients)));
            gradient.resize(size + 1, 0.0);
        }
        gradient
    };
    let dimension = size + usize::from(bias.is_some());
    power_iteration(dimension, gram, 5_000, 1e-9, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relative(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs().max(1e-12)
    }

    #[test]
    fn dense_known_answers() {
        // diag(3, −7, 2): σ = 7.
        let diagonal = [3.0, 0.0, 0.0, 0.0, -7.0, 0.0, 0.0, 0.0, 2.0];
        assert!(relative(dense_spectral_norm(&diagonal, 3, 3).sigma, 7.0) < 1e-9);
        // [[1, 2], [3, 4]]: AᵀA has trace 30 and determinant 4, so σ² = (30 + √(900 − 16)) / 2.
        let expected = ((30.0 + 884f64.sqrt()) / 2.0).sqrt();
        let result = dense_spectral_norm(&[1.0, 2.0, 3.0, 4.0], 2, 2);
        assert!(
            result.converged && relative(result.sigma, expected) < 1e-9,
            "{result:?}"
        );
        // A rank-one 2 × 3 matrix u vᵀ has σ = ‖u‖ ‖v‖.
        let (u, v) = ([1.0, 2.0], [2.0, -1.0, 2.0]);
        let outer: Vec<f64> = u
            .iter()
            .flat_map(|a| v.iter().map(move |b| a * b))
            .collect();
        assert!(relative(dense_spectral_norm(&outer, 2, 3).sigma, 5f64.sqrt() * 3.0) < 1e-9);
    }

    /// Within the rounding slack above σ, never below.
    fn certifies(upper: f64, sigma: f64) -> bool {
        upper >= sigma && upper <= sigma * (1.0 + 3.0 * ROUNDING_SLACK)
    }

    #[test]
    fn gram_iteration_known_answers() {
        let diagonal = [3.0, 0.0, 0.0, 0.0, -7.0, 0.0, 0.0, 0.0, 2.0];
        assert!(certifies(gram_upper_bound(&diagonal, 3, 3), 7.0));
        let expected = ((30.0 + 884f64.sqrt()) / 2.0).sqrt();
        assert!(certifies(
            gram_upper_bound(&[1.0, 2.0, 3.0, 4.0], 2, 2),
            expected
        ));
        // Wide and tall: the rank-one u vᵀ and its transpose, σ = ‖u‖ ‖v‖ = 3√5.
        let (u, v) = ([1.0, 2.0], [2.0, -1.0, 2.0]);
        let outer: Vec<f64> = u
            .iter()
            .flat_map(|a| v.iter().map(move |b| a * b))
            .collect();
        assert!(certifies(gram_upper_bound(&outer, 2, 3), 5f64.sqrt() * 3.0));
        assert!(certifies(
            gram_upper_bound(&transpose(&outer, 2, 3), 3, 2),
            5f64.sqrt() * 3.0
        ));
        // Equal singular values (the identity), the slowest case for the Frobenius norm.
        let identity: Vec<f64> = (0..50 * 50)
            .map(|k| if k % 51 == 0 { 2.5 } else { 0.0 })
            .collect();
        assert!(certifies(gram_upper_bound(&identity, 50, 50), 2.5));
        assert_eq!(gram_upper_bound(&[0.0; 6], 2, 3), 0.0);
        // Huge and tiny entries: the rescaling keeps every power finite.
        assert!(certifies(
            gram_upper_bound(&[1e200, 0.0, 0.0, 3e199], 2, 2),
            1e200
        ));
        assert!(certifies(gram_upper_bound(&[0.0, 1e-200], 1, 2), 1e-200));
    }

    /// Issue 21's known answer: A = s·diag(1, 1 − 10⁻⁴, …, 1 − 199·10⁻⁴) with
    /// s = 2^(1/4)(1 + 10⁻⁷). Power iteration stops while its Rayleigh quotient is still below s,
    /// and rounding that up to the norm grid lands on 2^(1/4) < s: the bound used a norm smaller
    /// than the layer's. The certificate rounds up to the next grid value, 2^(1/2).
    #[test]
    fn the_certificate_rounds_up_past_a_norm_power_iteration_misses() {
        use crate::bounds::grid::NORMS;
        let size = 200;
        let s = 2f64.powf(0.25) * (1.0 + 1e-7);
        let mut matrix = vec![0.0; size * size];
        for k in 0..size {
            matrix[k * size + k] = s * (1.0 - k as f64 * 1e-4);
        }
        let estimate = dense_spectral_norm(&matrix, size, size);
        assert!(estimate.sigma < s, "{estimate:?}");
        let rounded = NORMS.round_up(estimate.sigma).expect("on the grid");
        assert!(rounded < s, "the estimate rounds up to {rounded}");
        let upper = gram_upper_bound(&matrix, size, size);
        assert!(certifies(upper, s), "{upper} vs {s}");
        let rounded = NORMS.round_up(upper).expect("on the grid");
        assert!(rounded >= s && (rounded - 2f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn aligned_affine_bound_by_hand() {
        // A = diag(3, 1) on R², bias b = 2·e₂ (u = e₂, Aᵀu = e₂, g = 1), with the constant unit:
        // A' = [[3, 0, 0], [0, 1, 2], [0, 0, 1]]. Its σ² is the largest eigenvalue of
        // A'ᵀA' = diag(9) ⊕ [[1, 2], [2, 5]]: max(9, 3 + √8) = 9, so σ = 3; the bound reads
        // M = [[9, 2], [2, 5]]: λ = 7 + √8 = 9.83, √ = 3.135, below the 2 × 2 block bound's
        // σ([[3, 2], [0, 1]]) = 3.65.
        let aligned = affine_upper_bound_aligned(3.0, 2.0, 1.0, true);
        assert!(certifies(aligned, (7.0 + 8f64.sqrt()).sqrt()), "{aligned}");
        assert!(aligned >= 3.0 && aligned < affine_upper_bound(3.0, 2.0, true));
        // Aligned with the top direction (g = a): no better than the block bound, never worse.
        let top = affine_upper_bound_aligned(3.0, 2.0, 3.0, true);
        assert!(top <= affine_upper_bound(3.0, 2.0, true));
    }

    #[test]
    fn conv_transpose_is_the_adjoint() {
        // ⟨A x, y⟩ = ⟨x, Aᵀ y⟩ with A written out densely.
        let (shape, input, padding) = ([3, 2, 3, 3], [2, 5, 5], 1);
        let weight = kernel(3, 2, 3, 4);
        let (matrix, rows, cols) = dense_matrix(&weight, input, 1, Padding::Zeros(padding));
        let values: Vec<f64> = weight.iter::<f32>().map(f64::from).collect();
        let y: Vec<f64> = (0..rows).map(|r| ((r * 7) % 11) as f64 - 5.0).collect();
        let transpose = conv2d_transpose_apply(&values, shape, input, padding, &y);
        for col in 0..cols {
            let expected: f64 = (0..rows).map(|r| matrix[r * cols + col] * y[r]).sum();
            assert!((transpose[col] - expected).abs() < 1e-4, "{col}");
        }
    }

    #[test]
    fn affine_bound_by_hand() {
        // Last layer, no constant unit: [[3, 4], [0, 0]] has σ = 5.
        assert!(certifies(affine_upper_bound(3.0, 4.0, false), 5.0));
        // Hidden: [[2, 0], [0, 1]] has σ = 2; [[1, 1], [0, 1]] has σ = the golden ratio.
        assert!(certifies(affine_upper_bound(2.0, 0.0, true), 2.0));
        assert!(certifies(
            affine_upper_bound(1.0, 1.0, true),
            (1.0 + 5f64.sqrt()) / 2.0
        ));
    }

    fn kernel(out: usize, inp: usize, side: usize, seed: u64) -> TensorData {
        let mut generator = SplitMix64::new(seed);
        let values: Vec<f32> = (0..out * inp * side * side)
            .map(|_| ((generator.next_u64() >> 40) as f32 / (1u64 << 24) as f32) - 0.5)
            .collect();
        TensorData::new(values, [out, inp, side, side])
    }

    /// The convolution written out as a dense matrix, column by column from basis inputs.
    fn dense_matrix(
        weight: &TensorData,
        input: [usize; 3],
        stride: usize,
        padding: Padding,
    ) -> (Vec<f64>, usize, usize) {
        let device = Device::flex();
        let kernel = Tensor::<4>::from_data(weight.clone(), &device);
        let cols = input.iter().product::<usize>();
        let mut columns = Vec::with_capacity(cols);
        for index in 0..cols {
            let mut basis = vec![0f32; cols];
            basis[index] = 1.0;
            let x = Tensor::<4>::from_data(
                TensorData::new(basis, [1, input[0], input[1], input[2]]),
                &device,
            );
            let y: Vec<f32> = apply_conv(x, kernel.clone(), stride, padding)
                .into_data()
                .try_into_vec()
                .expect("f32");
            columns.push(y);
        }
        let rows = columns[0].len();
        let matrix = (0..rows)
            .flat_map(|row| columns.iter().map(move |column| f64::from(column[row])))
            .collect();
        (matrix, rows, cols)
    }

    #[test]
    fn conv_norm_equals_the_dense_matrix_norm() {
        let device = Device::flex();
        for (shape, seed, input, stride, padding) in [
            ([3, 2, 3, 3], 1, [2, 6, 6], 1, Padding::Zeros(1)),
            ([4, 1, 5, 5], 2, [1, 8, 8], 1, Padding::Zeros(2)),
            ([2, 3, 3, 3], 3, [3, 7, 7], 2, Padding::Zeros(0)),
        ] {
            let weight = kernel(shape[0], shape[1], shape[2], seed);
            let (matrix, rows, cols) = dense_matrix(&weight, input, stride, padding);
            let dense = dense_spectral_norm(&matrix, rows, cols);
            let conv = conv2d_operator_norm(&weight, input, stride, padding, &device);
            assert!(conv.converged, "{conv:?}");
            assert!(
                relative(conv.sigma, dense.sigma) < 1e-4,
                "{padding:?}: conv {conv:?} vs dense {dense:?}"
            );
            // The Fourier certificate is above the exact norm (Gram iteration on the dense
            // matrix) and near it.
            let exact = gram_upper_bound(&matrix, rows, cols);
            let values: Vec<f64> = weight.clone().iter::<f32>().map(f64::from).collect();
            let upper = conv2d_upper_bound(&values, shape, input, padding);
            assert!(
                upper * (1.0 + ROUNDING_SLACK) >= exact && upper < 1.5 * exact,
                "{padding:?}: certificate {upper} vs exact {exact}"
            );
        }
    }

    /// Sedghi, Gupta & Long (2019), Theorem 6: for one input and one output channel with
    /// circular padding on an n × n input, the singular values are |K̂(u, v)|, the magnitudes of
    /// the n × n discrete Fourier transform of the kernel.
    #[test]
    fn circular_conv_norm_matches_the_fourier_closed_form() {
        let device = Device::flex();
        let side = 3;
        let n = 8;
        let weight = kernel(1, 1, side, 7);
        let values: Vec<f32> = weight.clone().try_into_vec().expect("f32");
        let mut largest = 0f64;
        for u in 0..n {
            for v in 0..n {
                let (mut real, mut imaginary) = (0f64, 0f64);
                for a in 0..side {
                    for b in 0..side {
                        let angle =
                            -2.0 * std::f64::consts::PI * ((u * a + v * b) as f64) / n as f64;
                        real += f64::from(values[a * side + b]) * angle.cos();
                        imaginary += f64::from(values[a * side + b]) * angle.sin();
                    }
                }
                largest = largest.max(real.hypot(imaginary));
            }
        }
        let conv = conv2d_operator_norm(&weight, [1, n, n], 1, Padding::Circular(1), &device);
        assert!(
            relative(conv.sigma, largest) < 1e-4,
            "power iteration {conv:?} vs closed form {largest}"
        );
        let values64: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
        let upper = conv2d_upper_bound(
            &values64,
            [1, 1, side, side],
            [1, n, n],
            Padding::Circular(1),
        );
        assert!(
            upper >= largest && relative(upper, largest) < 1e-8,
            "certificate {upper} vs closed form {largest}"
        );
        // The reshaped kernel's norm (here its Frobenius norm, a 1 × 9 matrix) is a different number.
        let frobenius = values
            .iter()
            .map(|v| f64::from(*v).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(relative(frobenius, largest) > 1e-3);
    }
}
