//! The 2-D Morlet filter bank of the scattering transform, built in the Fourier domain exactly as
//! Kymatio's `Scattering2D` builds it (`kymatio/scattering2d/filter_bank.py`, version 0.3): the
//! same Gaussian widths, centre frequencies, angles, slant, periodization over 5×5 copies of
//! the grid, normalization constant, and the same cropping of a filter to coarser resolutions.
//! Pure f64 arithmetic, no tensors: the network turns the values into fixed tensors.

use std::f64::consts::PI;

/// Kymatio divides each Gabor filter by 2 · 3.1415 · σ² / slant: its rounded π, kept so the
/// coefficients match its own to the last digits.
#[allow(clippy::approx_constant)] // Kymatio's own rounding, on purpose.
const KYMATIO_PI: f64 = 3.1415;

/// Side of the padded grid the transform works on, for an input side `len` and `scales` = J
/// (Kymatio's `compute_padding`): the next multiple of 2^J above `len + 2^J`.
pub fn padded_len(len: usize, scales: usize) -> usize {
    let step = 1 << scales;
    ((len + step) / step + 1) * step
}

/// Side of the output maps: the padded side subsampled by 2^J, less one coefficient at each
/// border (Kymatio's `unpad`).
pub fn output_len(len: usize, scales: usize) -> usize {
    (padded_len(len, scales) >> scales) - 2
}

/// Scattering channels per input channel: 1 + J·L + L²·J(J − 1)/2 (orders 0, 1 and 2).
pub fn channel_count(scales: usize, angles: usize) -> usize {
    1 + scales * angles + angles * angles * scales * scales.saturating_sub(1) / 2
}

/// Resolutions 2^r, r < this, at which the wavelets are kept: the first-order pass uses r = 0,
/// a second-order path (j1, j2) uses r = j1 ≤ J − 2 (Kymatio's `max(J − 1, 1)`).
pub fn wavelet_levels(scales: usize) -> usize {
    scales.saturating_sub(1).max(1)
}

/// A complex number (the filter bank's own arithmetic; the network uses pairs of tensors).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Complex {
    re: f64,
    im: f64,
}

impl Complex {
    fn mul(self, other: Self) -> Self {
        Self {
            re: self.re * other.re - self.im * other.im,
            im: self.re * other.im + self.im * other.re,
        }
    }

    fn div(self, other: Self) -> Self {
        let norm = other.re * other.re + other.im * other.im;
        Self {
            re: (self.re * other.re + self.im * other.im) / norm,
            im: (self.im * other.re - self.re * other.im) / norm,
        }
    }
}

/// One wavelet ψ_{j,θ} in the Fourier domain at resolutions 2^0, 2^1, …
#[derive(Clone, Debug)]
pub struct Wavelet {
    /// Scale j (0-based).
    pub scale: usize,
    /// Angle index θ (0-based, of L).
    pub angle: usize,
    /// `levels[r]`: the filter cropped to the grid subsampled by 2^r, row-major.
    pub levels: Vec<Vec<f64>>,
}

/// The whole bank for a padded `rows`×`columns` grid.
#[derive(Clone, Debug)]
pub struct FilterBank {
    /// Padded height M.
    pub rows: usize,
    /// Padded width N.
    pub columns: usize,
    /// The wavelets in Kymatio's order: scale major, angle minor.
    pub wavelets: Vec<Wavelet>,
    /// The low-pass φ_J at resolutions 2^0 … 2^(J−1).
    pub lowpass: Vec<Vec<f64>>,
}

/// A Gabor filter g_σ(u) e^{i ξ·u} on the `rows`×`columns` grid, summed over the 5×5 periodic
/// copies of the grid (Kymatio's `gabor_2d`, offset 0). Kymatio builds the rotation in
/// single precision, and so does this.
fn gabor(rows: usize, columns: usize, sigma: f64, theta: f64, xi: f64, slant: f64) -> Vec<Complex> {
    let (c, s) = (f64::from(theta.cos() as f32), f64::from(theta.sin() as f32));
    // curv = R · diag(1, slant²) · R⁻¹ / (2σ²)
    let slant2 = slant * slant;
    let denominator = 2.0 * sigma * sigma;
    let c00 = (c * c + s * s * slant2) / denominator;
    let c01 = (c * s - s * c * slant2) / denominator;
    let c10 = (s * c - c * s * slant2) / denominator;
    let c11 = (s * s + c * c * slant2) / denominator;
    let (kx, ky) = (xi * theta.cos(), xi * theta.sin());
    let mut values = vec![Complex::default(); rows * columns];
    for ex in -2i64..=2 {
        for ey in -2i64..=2 {
            for r in 0..rows {
                let xx = r as f64 + (ex * rows as i64) as f64;
                for col in 0..columns {
                    let yy = col as f64 + (ey * columns as i64) as f64;
                    let magnitude =
                        (-(c00 * xx * xx + (c01 + c10) * xx * yy + c11 * yy * yy)).exp();
                    let phase = xx * kx + yy * ky;
                    let value = &mut values[r * columns + col];
                    value.re += magnitude * phase.cos();
                    value.im += magnitude * phase.sin();
                }
            }
        }
    }
    let norm = 2.0 * KYMATIO_PI * sigma * sigma / slant;
    for value in &mut values {
        value.re /= norm;
        value.im /= norm;
    }
    values
}

/// A Morlet filter: the Gabor filter less K times its envelope, K chosen so the sum is zero
/// (Kymatio's `morlet_2d`).
fn morlet(
    rows: usize,
    columns: usize,
    sigma: f64,
    theta: f64,
    xi: f64,
    slant: f64,
) -> Vec<Complex> {
    let wave = gabor(rows, columns, sigma, theta, xi, slant);
    let envelope = gabor(rows, columns, sigma, theta, 0.0, slant);
    let sum = |values: &[Complex]| {
        values.iter().fold(Complex::default(), |acc, v| Complex {
            re: acc.re + v.re,
            im: acc.im + v.im,
        })
    };
    let k = sum(&wave).div(sum(&envelope));
    wave.iter()
        .zip(&envelope)
        .map(|(w, e)| {
            let scaled = k.mul(*e);
            Complex {
                re: w.re - scaled.re,
                im: w.im - scaled.im,
            }
        })
        .collect()
}

/// The 2-D discrete Fourier transform of `values` (`rows`×`columns`),
/// X[k, l] = Σ x[m, n] e^{−2πi(km/M + ln/N)}, along the columns, then along the rows.
fn dft2(values: &[Complex], rows: usize, columns: usize) -> Vec<Complex> {
    let twiddles = |len: usize| -> Vec<Complex> {
        (0..len)
            .map(|t| {
                let angle = -2.0 * PI * t as f64 / len as f64;
                Complex {
                    re: angle.cos(),
                    im: angle.sin(),
                }
            })
            .collect()
    };
    let (row_twiddles, column_twiddles) = (twiddles(rows), twiddles(columns));
    let mut along_columns = vec![Complex::default(); rows * columns];
    for r in 0..rows {
        for l in 0..columns {
            let mut acc = Complex::default();
            for n in 0..columns {
                let term = values[r * columns + n].mul(column_twiddles[(l * n) % columns]);
                acc.re += term.re;
                acc.im += term.im;
            }
            along_columns[r * columns + l] = acc;
        }
    }
    let mut out = vec![Complex::default(); rows * columns];
    for k in 0..rows {
        for l in 0..columns {
            let mut acc = Complex::default();
            for m in 0..rows {
                let term = along_columns[m * columns + l].mul(row_twiddles[(k * m) % rows]);
                acc.re += term.re;
                acc.im += term.im;
            }
            out[k * columns + l] = acc;
        }
    }
    out
}

/// The real part of the DFT of `values`: the filters are Hermitian in space, so their
/// transforms are real (Kymatio drops the imaginary part, zero up to rounding).
fn real_dft2(values: &[Complex], rows: usize, columns: usize) -> Vec<f64> {
    dft2(values, rows, columns).iter().map(|z| z.re).collect()
}

/// ‖g‖₁ = Σ |g[m, n]| of the spatial filter g whose DFT is `fourier` (`rows`×`columns`, real):
/// a convolution with g (circular, then subsampled or not) multiplies the largest |value| of a
/// signal by at most this.
pub fn spatial_l1(fourier: &[f64], rows: usize, columns: usize) -> f64 {
    let values: Vec<Complex> = fourier.iter().map(|&re| Complex { re, im: 0.0 }).collect();
    // The inverse DFT is the conjugate of the forward one of the conjugate, over MN; the
    // spectrum is real, so only the conjugate and the scale remain.
    let spatial = dft2(&values, rows, columns);
    let scale = (rows * columns) as f64;
    spatial
        .iter()
        .map(|z| (z.re * z.re + z.im * z.im).sqrt() / scale)
        .sum()
}

/// A filter cropped to the grid subsampled by 2^`level` (Kymatio's `periodize_filter_fft`):
/// the frequencies in the middle band are zeroed, then the M/2^r × N/2^r blocks are summed.
pub fn periodize(filter: &[f64], rows: usize, columns: usize, level: usize) -> Vec<f64> {
    let factor = 1usize << level;
    let (out_rows, out_columns) = (rows / factor, columns / factor);
    let band = |len: usize| {
        let start = (len as f64 * 2f64.powi(-(level as i32) - 1)) as usize;
        let width = (len as f64 * (1.0 - 2f64.powi(-(level as i32)))) as usize;
        start..start + width
    };
    let (row_band, column_band) = (band(rows), band(columns));
    let mut out = vec![0.0; out_rows * out_columns];
    for k in 0..out_rows {
        for l in 0..out_columns {
            let mut acc = 0.0;
            for i in 0..factor {
                for j in 0..factor {
                    let (r, c) = (k + i * out_rows, l + j * out_columns);
                    if !row_band.contains(&r) && !column_band.contains(&c) {
                        acc += filter[r * columns + c];
                    }
                }
            }
            out[k * out_columns + l] = acc;
        }
    }
    out
}

/// The filter bank for a padded `rows`×`columns` grid, J = `scales`, L = `angles`
/// (Kymatio's `filter_bank`): ψ_{j,θ} with σ = 0.8 · 2^j, ξ = 3π/4 / 2^j, slant 4/L and angle
/// (⌊L − L/2 − 1⌋ − θ)π/L; φ_J a Gaussian with σ = 0.8 · 2^(J−1).
pub fn filter_bank(rows: usize, columns: usize, scales: usize, angles: usize) -> FilterBank {
    let mut wavelets = Vec::with_capacity(scales * angles);
    let first_angle = (angles as f64 - angles as f64 / 2.0 - 1.0).trunc();
    for scale in 0..scales {
        for angle in 0..angles {
            let spatial = morlet(
                rows,
                columns,
                0.8 * 2f64.powi(scale as i32),
                (first_angle - angle as f64) * PI / angles as f64,
                0.75 * PI / 2f64.powi(scale as i32),
                4.0 / angles as f64,
            );
            let fourier = real_dft2(&spatial, rows, columns);
            let levels = (0..(scale + 1).min(wavelet_levels(scales)))
                .map(|level| periodize(&fourier, rows, columns, level))
                .collect();
            wavelets.push(Wavelet {
                scale,
                angle,
                levels,
            });
        }
    }
    let spatial = gabor(
        rows,
        columns,
        0.8 * 2f64.powi(scales as i32 - 1),
        0.0,
        0.0,
        1.0,
    );
    let fourier = real_dft2(&spatial, rows, columns);
    let lowpass = (0..scales)
        .map(|level| periodize(&fourier, rows, columns, level))
        .collect();
    FilterBank {
        rows,
        columns,
        wavelets,
        lowpass,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_kymatio() {
        assert_eq!(padded_len(28, 2), 36);
        assert_eq!(padded_len(28, 3), 40);
        assert_eq!(padded_len(32, 3), 48);
        assert_eq!(output_len(28, 2), 7);
        assert_eq!(output_len(28, 3), 3);
        // 1 + 16 + 64 and 1 + 24 + 192.
        assert_eq!(channel_count(2, 8), 81);
        assert_eq!(channel_count(3, 8), 217);
        assert_eq!(channel_count(1, 4), 5);
    }

    #[test]
    fn lowpass_is_a_unit_mass_gaussian_and_wavelets_have_zero_mean() {
        let bank = filter_bank(16, 16, 2, 4);
        // φ̂(0) is the sum of φ: 1/(2·3.1415·σ²) times the Gaussian's sum ≈ 2πσ²: π/3.1415.
        let dc = bank.lowpass[0][0];
        assert!((dc - PI / KYMATIO_PI).abs() < 1e-3, "{dc}");
        for wavelet in &bank.wavelets {
            assert!(
                wavelet.levels[0][0].abs() < 1e-12,
                "ψ̂(0) = {}",
                wavelet.levels[0][0]
            );
        }
        assert_eq!(bank.wavelets.len(), 8);
        // J = 2: wavelets are needed at resolution 1 only; φ at 1 and 1/2.
        assert!(bank.wavelets.iter().all(|w| w.levels.len() == 1));
        assert_eq!(bank.lowpass[1].len(), 8 * 8);
    }

    #[test]
    fn spatial_l1_norms_by_hand() {
        // A flat spectrum is a unit impulse in space; a spectrum 1 at (0, 0) only is the
        // constant 1/(MN) everywhere: both have ‖g‖₁ = 1. e^{2πi m/4} along one axis (spectrum
        // 4·δ(k − 1) on a 4×1 grid) has |g| = 1 at 4 places.
        assert!((spatial_l1(&[1.0; 12], 3, 4) - 1.0).abs() < 1e-12);
        let mut dc = vec![0.0; 12];
        dc[0] = 1.0;
        assert!((spatial_l1(&dc, 3, 4) - 1.0).abs() < 1e-12);
        assert!((spatial_l1(&[0.0, 4.0, 0.0, 0.0], 4, 1) - 4.0).abs() < 1e-12);
        // φ is a positive Gaussian: its ℓ1 norm is its sum, φ̂(0).
        let bank = filter_bank(16, 16, 2, 4);
        let phi = spatial_l1(&bank.lowpass[0], 16, 16);
        assert!((phi - bank.lowpass[0][0]).abs() < 1e-9, "{phi}");
    }

    #[test]
    fn periodizing_sums_the_blocks_outside_the_middle_band() {
        // 4×4 filter, level 1: band rows/columns 1..3 zeroed; out[k, l] sums x[k + 2i, l + 2j]
        // over the kept positions, i.e. rows and columns in {0, 3}.
        let filter: Vec<f64> = (0..16).map(f64::from).collect();
        let out = periodize(&filter, 4, 4, 1);
        // out[0,0] = x[0,0]; out[0,1] = x[0,3]; out[1,0] = x[3,0]; out[1,1] = x[3,3].
        assert_eq!(out, vec![0.0, 3.0, 12.0, 15.0]);
        assert_eq!(periodize(&filter, 4, 4, 0), filter);
    }
}
