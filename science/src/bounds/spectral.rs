//! Spectral norms (largest singular values) by power iteration on AᵀA.
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
        for (weight, input, stride, padding) in [
            (kernel(3, 2, 3, 1), [2, 6, 6], 1, Padding::Zeros(1)),
            (kernel(4, 1, 5, 2), [1, 8, 8], 1, Padding::Zeros(2)),
            (kernel(2, 3, 3, 3), [3, 7, 7], 2, Padding::Zeros(0)),
        ] {
            let (matrix, rows, cols) = dense_matrix(&weight, input, stride, padding);
            let dense = dense_spectral_norm(&matrix, rows, cols);
            let conv = conv2d_operator_norm(&weight, input, stride, padding, &device);
            assert!(conv.converged, "{conv:?}");
            assert!(
                relative(conv.sigma, dense.sigma) < 1e-4,
                "{padding:?}: conv {conv:?} vs dense {dense:?}"
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
        // The reshaped kernel's norm (here its Frobenius norm, a 1 × 9 matrix) is a different number.
        let frobenius = values
            .iter()
            .map(|v| f64::from(*v).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(relative(frobenius, largest) > 1e-3);
    }
}
