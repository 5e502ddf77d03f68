//! ZCA whitening of patches: W = (Σ + εI)^{-1/2} from the mean and covariance of a sample of
//! patches, so that W(x − μ) has covariance Σ(Σ + εI)⁻¹ (the identity at ε = 0).

// Matrix code reads best with the indices of its formulas.
#![allow(clippy::needless_range_loop)]

use crate::linalg::{Matrix, mean_and_covariance, symmetric_eigen};

/// A fitted whitening map x ↦ W(x − μ).
#[derive(Debug, Clone)]
pub struct Whitening {
    /// The mean patch μ.
    pub mean: Vec<f64>,
    /// W, symmetric (the identity when whitening is off).
    pub matrix: Matrix,
    /// The eigenvalues of the patch covariance Σ, largest first.
    pub spectrum: Vec<f64>,
}

impl Whitening {
    /// Fits μ and W = (Σ + εI)^{-1/2} to `rows` (`dim` columns); `epsilon: None` keeps W = I
    /// (centring only). Eigenvalues of Σ below 1e-12 of the largest count as that floor.
    pub fn fit(rows: &[f32], dim: usize, epsilon: Option<f64>) -> Self {
        let (mean, covariance) = mean_and_covariance(rows, dim);
        let (values, vectors) = symmetric_eigen(&covariance);
        let mut spectrum = values.clone();
        spectrum.sort_by(|a, b| b.total_cmp(a));
        let matrix = match epsilon {
            None => identity(dim),
            Some(epsilon) => {
                let floor = spectrum.first().copied().unwrap_or(0.0).max(0.0) * 1e-12;
                let scale: Vec<f64> = values
                    .iter()
                    .map(|v| 1.0 / (v.max(floor) + epsilon).max(f64::MIN_POSITIVE).sqrt())
                    .collect();
                let mut w = vec![vec![0.0; dim]; dim];
                for i in 0..dim {
                    for j in 0..dim {
                        w[i][j] = (0..dim)
                            .map(|k| vectors[i][k] * scale[k] * vectors[j][k])
                            .sum();
                    }
                }
                w
            }
        };
        Self {
            mean,
            matrix,
            spectrum,
        }
    }

    /// W(x − μ).
    pub fn apply(&self, row: &[f32]) -> Vec<f64> {
        let centred: Vec<f64> = row
            .iter()
            .zip(&self.mean)
            .map(|(x, m)| f64::from(*x) - m)
            .collect();
        self.matrix
            .iter()
            .map(|w| w.iter().zip(&centred).map(|(a, b)| a * b).sum())
            .collect()
    }

    /// W v for a vector already centred.
    pub fn multiply(&self, vector: &[f64]) -> Vec<f64> {
        self.matrix
            .iter()
            .map(|w| w.iter().zip(vector).map(|(a, b)| a * b).sum())
            .collect()
    }
}

fn identity(dim: usize) -> Matrix {
    (0..dim)
        .map(|i| (0..dim).map(|j| f64::from(u8::from(i == j))).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patches::geometry::pca_spectrum;
    use crate::rng::SplitMix64;

    /// Correlated 3-d rows: x = A z + c, z uniform.
    fn correlated(n: usize) -> Vec<f32> {
        let mut rng = SplitMix64::new(5);
        let mut rows = Vec::new();
        for _ in 0..n {
            let z: Vec<f64> = (0..3).map(|_| rng.next_f64() - 0.5).collect();
            rows.push((2.0 * z[0] + 1.0) as f32);
            rows.push((z[0] + 0.5 * z[1] - 2.0) as f32);
            rows.push((0.1 * z[2] - z[1] + 3.0) as f32);
        }
        rows
    }

    #[test]
    fn whitened_patches_have_identity_covariance_and_the_regularized_spectrum() {
        let rows = correlated(2000);
        let spectrum = pca_spectrum(&rows, 3);
        for epsilon in [0.0, 0.01, 1.0] {
            let whitening = Whitening::fit(&rows, 3, Some(epsilon));
            let whitened: Vec<f32> = rows
                .chunks(3)
                .flat_map(|row| whitening.apply(row))
                .map(|v| v as f32)
                .collect();
            let (mean, covariance) = mean_and_covariance(&whitened, 3);
            assert!(mean.iter().all(|m| m.abs() < 1e-5), "{mean:?}");
            // Σ(Σ + εI)⁻¹ shares Σ's eigenvectors with eigenvalues λ/(λ + ε).
            let got = pca_spectrum(&whitened, 3);
            for (g, l) in got.iter().zip(&spectrum) {
                assert!((g - l / (l + epsilon)).abs() < 1e-4, "ε {epsilon}: {got:?}");
            }
            if epsilon == 0.0 {
                for i in 0..3 {
                    for j in 0..3 {
                        let expected = f64::from(u8::from(i == j));
                        assert!((covariance[i][j] - expected).abs() < 1e-4, "{covariance:?}");
                    }
                }
            }
            // W is symmetric.
            for i in 0..3 {
                for j in 0..3 {
                    assert!((whitening.matrix[i][j] - whitening.matrix[j][i]).abs() < 1e-9);
                }
            }
        }
    }

    #[test]
    fn no_whitening_only_centres() {
        let rows = correlated(10);
        let whitening = Whitening::fit(&rows, 3, None);
        let first = whitening.apply(&rows[..3]);
        for k in 0..3 {
            assert!((first[k] - (f64::from(rows[k]) - whitening.mean[k])).abs() < 1e-12);
        }
    }
}
