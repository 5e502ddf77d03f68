//! Small dense linear algebra in f64 for statistics on features: the eigenvalues of a
//! symmetric matrix (cyclic Jacobi), means and covariances, and the Fréchet distance between
//! the Gaussians two samples define.

// Matrix code reads best with the indices of its formulas.
#![allow(clippy::needless_range_loop)]

/// A square matrix, row-major.
pub type Matrix = Vec<Vec<f64>>;

/// Eigenvalues and eigenvectors (columns of the second value) of the symmetric `matrix`, by
/// cyclic Jacobi rotations until the off-diagonal mass is below 1e-24 of the total (or 100
/// sweeps).
pub fn symmetric_eigen(matrix: &Matrix) -> (Vec<f64>, Matrix) {
    let n = matrix.len();
    let mut a = matrix.clone();
    let mut v: Matrix = (0..n)
        .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    let total: f64 = a
        .iter()
        .flatten()
        .map(|x| x * x)
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    for _ in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        if off <= 1e-24 * total {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if a[p][q] == 0.0 {
                    continue;
                }
                // The rotation that zeroes a[p][q] (Golub & Van Loan, Alg. 8.4.1).
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let sign = if theta >= 0.0 { 1.0 } else { -1.0 };
                let t = sign / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in a.iter_mut() {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (row_p, row_q) = (a[p].clone(), a[q].clone());
                for (k, (apk, aqk)) in row_p.into_iter().zip(row_q).enumerate() {
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for row in v.iter_mut() {
                    let (vkp, vkq) = (row[p], row[q]);
                    row[p] = c * vkp - s * vkq;
                    row[q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i][i]).collect(), v)
}

/// Mean and (unbiased) covariance of the rows of `rows` (`dim` columns).
pub fn mean_and_covariance(rows: &[f32], dim: usize) -> (Vec<f64>, Matrix) {
    let n = rows.len() / dim.max(1);
    let mut mean = vec![0.0; dim];
    for row in rows.chunks(dim) {
        for (sum, &value) in mean.iter_mut().zip(row) {
            *sum += f64::from(value);
        }
    }
    mean.iter_mut().for_each(|sum| *sum /= n.max(1) as f64);
    let mut covariance = vec![vec![0.0; dim]; dim];
    for row in rows.chunks(dim) {
        let centred: Vec<f64> = row
            .iter()
            .zip(&mean)
            .map(|(&x, m)| f64::from(x) - m)
            .collect();
        for i in 0..dim {
            for j in i..dim {
                covariance[i][j] += centred[i] * centred[j];
            }
        }
    }
    let scale = 1.0 / (n.max(2) - 1) as f64;
    for i in 0..dim {
        for j in i..dim {
            covariance[i][j] *= scale;
            covariance[j][i] = covariance[i][j];
        }
    }
    (mean, covariance)
}

fn multiply(a: &Matrix, b: &Matrix) -> Matrix {
    let n = a.len();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..n).map(|k| a[i][k] * b[k][j]).sum())
                .collect()
        })
        .collect()
}

/// `f` applied to the eigenvalues of a symmetric matrix: V f(Λ) Vᵀ.
fn spectral(matrix: &Matrix, f: impl Fn(f64) -> f64) -> Matrix {
    let (values, vectors) = symmetric_eigen(matrix);
    let n = matrix.len();
    let mapped: Vec<f64> = values.into_iter().map(f).collect();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    (0..n)
                        .map(|k| vectors[i][k] * mapped[k] * vectors[j][k])
                        .sum()
                })
                .collect()
        })
        .collect()
}

/// The symmetric square root of a positive semi-definite matrix (negative eigenvalues, from
/// rounding, count as 0).
pub fn psd_sqrt(matrix: &Matrix) -> Matrix {
    spectral(matrix, |value| value.max(0.0).sqrt())
}

/// The inverse symmetric square root of a positive definite matrix (eigenvalues below 1e-12
/// of the largest count as that floor).
pub fn psd_inverse_sqrt(matrix: &Matrix) -> Matrix {
    let (values, _) = symmetric_eigen(matrix);
    let floor = values.iter().fold(0.0f64, |m, v| m.max(v.abs())) * 1e-12;
    spectral(matrix, |value| {
        1.0 / value.max(floor).max(f64::MIN_POSITIVE).sqrt()
    })
}

/// Matrix product.
pub fn multiply_matrices(a: &Matrix, b: &Matrix) -> Matrix {
    multiply(a, b)
}

/// Fréchet distance between N(μ₁, Σ₁) and N(μ₂, Σ₂):
/// ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}.
pub fn frechet_distance(mean1: &[f64], cov1: &Matrix, mean2: &[f64], cov2: &Matrix) -> f64 {
    let shift: f64 = mean1.iter().zip(mean2).map(|(a, b)| (a - b).powi(2)).sum();
    let trace = |m: &Matrix| (0..m.len()).map(|i| m[i][i]).sum::<f64>();
    let root = psd_sqrt(cov1);
    let product = multiply(&multiply(&root, cov2), &root);
    let (values, _) = symmetric_eigen(&product);
    let cross: f64 = values.iter().map(|v| v.max(0.0).sqrt()).sum();
    (shift + trace(cov1) + trace(cov2) - 2.0 * cross).max(0.0)
}

/// The Fréchet distance between the Gaussians fitted to two samples (rows of `dim` values).
pub fn sample_frechet_distance(a: &[f32], b: &[f32], dim: usize) -> f64 {
    let (mean1, cov1) = mean_and_covariance(a, dim);
    let (mean2, cov2) = mean_and_covariance(b, dim);
    frechet_distance(&mean1, &cov1, &mean2, &cov2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigenvalues_of_a_known_matrix() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let (mut values, vectors) = symmetric_eigen(&vec![vec![2.0, 1.0], vec![1.0, 2.0]]);
        values.sort_by(f64::total_cmp);
        assert!((values[0] - 1.0).abs() < 1e-12 && (values[1] - 3.0).abs() < 1e-12);
        // Eigenvectors are orthonormal.
        let dot: f64 = (0..2).map(|k| vectors[k][0] * vectors[k][1]).sum();
        assert!(dot.abs() < 1e-12);
        // 3 I + the all-ones matrix: eigenvalues 3, 3 and 6.
        let m = vec![
            vec![4.0, 1.0, 1.0],
            vec![1.0, 4.0, 1.0],
            vec![1.0, 1.0, 4.0],
        ];
        let (mut values, _) = symmetric_eigen(&m);
        values.sort_by(f64::total_cmp);
        for (got, want) in values.iter().zip([3.0, 3.0, 6.0]) {
            assert!((got - want).abs() < 1e-10, "{values:?}");
        }
    }

    #[test]
    fn inverse_square_root_by_hand() {
        let m = vec![vec![4.0, 0.0], vec![0.0, 9.0]];
        let inverse = psd_inverse_sqrt(&m);
        assert!((inverse[0][0] - 0.5).abs() < 1e-12 && (inverse[1][1] - 1.0 / 3.0).abs() < 1e-12);
        assert!(inverse[0][1].abs() < 1e-12);
    }

    #[test]
    fn square_root_squares_back() {
        let m = vec![
            vec![4.0, 1.0, 0.5],
            vec![1.0, 3.0, 0.2],
            vec![0.5, 0.2, 2.0],
        ];
        let root = psd_sqrt(&m);
        let back = multiply(&root, &root);
        for (row, want) in back.iter().zip(&m) {
            for (got, want) in row.iter().zip(want) {
                assert!((got - want).abs() < 1e-10);
            }
        }
    }

    #[test]
    fn frechet_distance_known_answers() {
        let identity = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        // Same Gaussian: 0.
        assert!(frechet_distance(&[1.0, 2.0], &identity, &[1.0, 2.0], &identity).abs() < 1e-12);
        // Shifted means only: the squared distance.
        assert!(
            (frechet_distance(&[0.0, 0.0], &identity, &[3.0, 4.0], &identity) - 25.0).abs() < 1e-10
        );
        // Diagonal covariances: Σ (√a − √b)².
        let a = vec![vec![4.0, 0.0], vec![0.0, 9.0]];
        let b = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        let want = (2.0f64 - 1.0).powi(2) + (3.0f64 - 1.0).powi(2);
        assert!((frechet_distance(&[0.0, 0.0], &a, &[0.0, 0.0], &b) - want).abs() < 1e-10);
    }

    #[test]
    fn sample_statistics_by_hand() {
        let rows = [1.0f32, 2.0, 3.0, 6.0];
        let (mean, cov) = mean_and_covariance(&rows, 2);
        assert_eq!(mean, vec![2.0, 4.0]);
        // Deviations (−1, −2) and (1, 2): unbiased covariance with n − 1 = 1.
        assert_eq!(cov, vec![vec![2.0, 4.0], vec![4.0, 8.0]]);
        assert!(sample_frechet_distance(&rows, &rows, 2).abs() < 1e-9);
    }
}
