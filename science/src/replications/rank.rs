//! Kendall's rank correlation τ_b between two measurements of the same runs (Jiang et al. 2020
//! rank generalization measures by it), ties counted as Kendall's τ_b counts them.

/// τ_b = (C − D) / √((n₀ − n₁)(n₀ − n₂)) over the pairs of runs: C concordant, D discordant,
/// n₀ all pairs, n₁ and n₂ those tied in `xs` and in `ys`. `None` with fewer than two runs, a
/// length mismatch, or a side all tied.
pub fn kendall_tau(xs: &[f64], ys: &[f64]) -> Option<f64> {
    if xs.len() != ys.len() || xs.len() < 2 {
        return None;
    }
    let (mut concordant, mut discordant) = (0i64, 0i64);
    let (mut tied_x, mut tied_y, mut pairs) = (0i64, 0i64, 0i64);
    for i in 0..xs.len() {
        for j in i + 1..xs.len() {
            pairs += 1;
            let dx = xs[i] - xs[j];
            let dy = ys[i] - ys[j];
            if dx == 0.0 {
                tied_x += 1;
            }
            if dy == 0.0 {
                tied_y += 1;
            }
            if dx * dy > 0.0 {
                concordant += 1;
            } else if dx * dy < 0.0 {
                discordant += 1;
            }
        }
    }
    let denominator = (((pairs - tied_x) * (pairs - tied_y)) as f64).sqrt();
    (denominator > 0.0).then(|| (concordant - discordant) as f64 / denominator)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answers: the same order 1, the reverse −1; by hand, (1, 2, 3, 4) against
    /// (1, 3, 2, 4): 5 concordant, 1 discordant, τ = 4/6; with a tie, (1, 2, 3) against
    /// (1, 1, 2): C = 2, D = 0, n₀ = 3, n₂ = 1: τ_b = 2/√(3·2).
    #[test]
    fn kendall_tau_has_known_answers() {
        let up = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(kendall_tau(&up, &[10.0, 20.0, 30.0, 40.0]), Some(1.0));
        assert_eq!(kendall_tau(&up, &[4.0, 3.0, 2.0, 1.0]), Some(-1.0));
        let tau = kendall_tau(&up, &[1.0, 3.0, 2.0, 4.0]).expect("defined");
        assert!((tau - 4.0 / 6.0).abs() < 1e-12);
        let tied = kendall_tau(&[1.0, 2.0, 3.0], &[1.0, 1.0, 2.0]).expect("defined");
        assert!((tied - 2.0 / 6f64.sqrt()).abs() < 1e-12);
        assert_eq!(kendall_tau(&[1.0], &[2.0]), None);
        assert_eq!(kendall_tau(&[1.0, 2.0], &[3.0, 3.0]), None);
        assert_eq!(kendall_tau(&[1.0, 2.0], &[3.0]), None);
    }
}
