//! KL divergence of a diagonal Gaussian posterior Q = N(w, diag(s)) from an isotropic Gaussian
//! prior P = N(w₀, λ I) (Dziugaite & Roy 2017, §3; SCIENCE.md §1):
//!
//! KL(Q‖P) = ½ [ Σᵢ sᵢ/λ + ‖w − w₀‖²/λ − D + D ln λ − Σᵢ ln sᵢ ].

/// KL(N(mean, diag(variance)) ‖ N(prior_mean, prior_variance · I)) in nats.
///
/// `variance` are the posterior variances sᵢ (not standard deviations). Returns NaN when the
/// lengths differ or a variance is not positive.
pub fn kl_diagonal_vs_isotropic(
    mean: &[f64],
    variance: &[f64],
    prior_mean: &[f64],
    prior_variance: f64,
) -> f64 {
    let dimension = mean.len();
    if variance.len() != dimension || prior_mean.len() != dimension || prior_variance <= 0.0 {
        return f64::NAN;
    }
    if variance.iter().any(|&s| s <= 0.0 || s.is_nan()) {
        return f64::NAN;
    }
    let trace: f64 = variance.iter().sum::<f64>() / prior_variance;
    let distance: f64 = mean
        .iter()
        .zip(prior_mean)
        .map(|(w, w0)| (w - w0).powi(2))
        .sum::<f64>()
        / prior_variance;
    let log_det: f64 = variance.iter().map(|s| s.ln()).sum();
    let d = dimension as f64;
    0.5 * (trace + distance - d + d * prior_variance.ln() - log_det)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// KL between two univariate Gaussians, from its textbook form.
    fn univariate(mean: f64, variance: f64, prior_mean: f64, prior_variance: f64) -> f64 {
        0.5 * (prior_variance / variance).ln()
            + (variance + (mean - prior_mean).powi(2)) / (2.0 * prior_variance)
            - 0.5
    }

    #[test]
    fn matches_the_sum_of_univariate_divergences() {
        let mean = [0.3, -1.2, 2.0, 0.0];
        let variance = [0.01, 0.5, 2.0, 1e-4];
        let prior_mean = [0.0, -1.0, 1.5, 0.2];
        let lambda = 0.7;
        let direct: f64 = (0..4)
            .map(|i| univariate(mean[i], variance[i], prior_mean[i], lambda))
            .sum();
        let formula = kl_diagonal_vs_isotropic(&mean, &variance, &prior_mean, lambda);
        assert!((direct - formula).abs() < 1e-12, "{direct} vs {formula}");
    }

    #[test]
    fn zero_for_identical_and_nan_for_invalid() {
        assert!(kl_diagonal_vs_isotropic(&[1.0, 2.0], &[0.5, 0.5], &[1.0, 2.0], 0.5).abs() < 1e-15);
        assert!(kl_diagonal_vs_isotropic(&[1.0], &[0.0], &[1.0], 0.5).is_nan());
        assert!(kl_diagonal_vs_isotropic(&[1.0], &[1.0, 1.0], &[1.0], 0.5).is_nan());
    }
}
