//! Multi-class margins and the empirical margin loss (SCIENCE.md, notation):
//! γ(x, y) = f(x)_y − max_{j≠y} f(x)_j and L̂_γ = (1/m) #{i : γ(x_i, y_i) ≤ γ}, and the ramp
//! version R̂_γ that Bartlett–Foster–Telgarsky (Lemma 3.1) and Mohri et al. (Thm 9.2) state.

/// The margin of each example: its true class's logit minus the largest other logit.
///
/// `logits` holds `labels.len()` rows of `n_classes` values, row-major. Negative margins are
/// misclassified examples; a tie with another class gives 0.
pub fn margins(logits: &[f32], labels: &[u8], n_classes: usize) -> Vec<f64> {
    labels
        .iter()
        .enumerate()
        .map(|(row, &label)| {
            let values = &logits[row * n_classes..(row + 1) * n_classes];
            let label = usize::from(label);
            let best_other = values
                .iter()
                .enumerate()
                .filter(|(class, _)| *class != label)
                .map(|(_, value)| f64::from(*value))
                .fold(f64::NEG_INFINITY, f64::max);
            f64::from(values[label]) - best_other
        })
        .collect()
}

/// L̂_γ: the fraction of margins at most `gamma` (at γ = 0, the training error counting ties as
/// errors).
pub fn margin_loss(margins: &[f64], gamma: f64) -> f64 {
    if margins.is_empty() {
        return 0.0;
    }
    margins.iter().filter(|&&margin| margin <= gamma).count() as f64 / margins.len() as f64
}

/// R̂_γ: the mean ramp loss, ℓ_γ(−M) = 1 for M < 0, 1 − M/γ for 0 ≤ M ≤ γ, 0 above (BFT §3.1;
/// Mohri et al.'s Φ_ρ). Between the training error and L̂_γ.
pub fn ramp_loss(margins: &[f64], gamma: f64) -> f64 {
    if margins.is_empty() {
        return 0.0;
    }
    let total: f64 = margins
        .iter()
        .map(|&margin| (1.0 - margin / gamma).clamp(0.0, 1.0))
        .sum();
    total / margins.len() as f64
}

/// The q-quantile of `values` (nearest rank); NaN when empty.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Which margin a bound is reported at, among grid values that its union bound pays for (so
/// every choice is a valid bound).
#[derive(Debug, Clone, PartialEq)]
pub struct MarginChoice<T> {
    /// The margin.
    pub gamma: f64,
    /// The bound at `gamma`.
    pub value: f64,
    /// What the bound computed along the way at `gamma`.
    pub detail: T,
    /// The smallest value over every grid margin.
    pub smallest: f64,
    /// How `gamma` was chosen.
    pub rule: &'static str,
}

/// Evaluates `bound` at every margin of `grid` and picks one: the minimizer when the bound is
/// non-vacuous there (the tightest certificate); otherwise the minimizer among margins at most
/// the (ε + 0.1)-quantile of the training margins, ε the fraction of margins ≤ 0 (so L̂_γ stays
/// within 0.1 of the training error), so a vacuous bound shows by how much it fails instead of
/// the trivial ≈ 1 that a huge margin (L̂_γ = 1, no complexity) gives.
pub fn choose_margin<T: Clone>(
    grid: impl Iterator<Item = f64>,
    margins: &[f64],
    mut bound: impl FnMut(f64) -> Option<(f64, T)>,
) -> Option<MarginChoice<T>> {
    let errors = margin_loss(margins, 0.0);
    let cap = quantile(margins, (errors + 0.1).min(1.0));
    let mut best: Option<(f64, f64, T)> = None;
    let mut best_below_cap: Option<(f64, f64, T)> = None;
    let keep = |slot: &mut Option<(f64, f64, T)>, gamma: f64, value: f64, detail: T| {
        if slot.as_ref().is_none_or(|(_, current, _)| value < *current) {
            *slot = Some((gamma, value, detail));
        }
    };
    for gamma in grid {
        let Some((value, detail)) = bound(gamma) else {
            continue;
        };
        if gamma <= cap {
            keep(&mut best_below_cap, gamma, value, detail.clone());
        }
        keep(&mut best, gamma, value, detail);
    }
    let (gamma, smallest, detail) = best?;
    if smallest <= 1.0 {
        return Some(MarginChoice {
            gamma,
            value: smallest,
            detail,
            smallest,
            rule: "the grid margin minimizing the bound",
        });
    }
    Some(match best_below_cap {
        Some((gamma, value, detail)) => MarginChoice {
            gamma,
            value,
            detail,
            smallest,
            rule: "vacuous at every margin: the grid margin minimizing the bound among those \
                   with at most 10 % more training margins below it than errors",
        },
        None => MarginChoice {
            gamma,
            value: smallest,
            detail,
            smallest,
            rule: "the grid margin minimizing the bound",
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_known_answers() {
        // Rows: correct by 1.5, wrong by 2, tied.
        let logits = [2.0, 0.5, -1.0, 0.0, 3.0, 1.0, 1.0, 1.0, 0.0];
        let labels = [0, 2, 1];
        assert_eq!(margins(&logits, &labels, 3), vec![1.5, -2.0, 0.0]);
    }

    #[test]
    fn margin_loss_known_answers() {
        let values = [1.5, -2.0, 0.0, 0.3];
        assert_eq!(margin_loss(&values, 0.0), 0.5);
        assert_eq!(margin_loss(&values, 0.3), 0.75);
        assert_eq!(margin_loss(&values, -5.0), 0.0);
        assert_eq!(margin_loss(&values, 10.0), 1.0);
        assert_eq!(margin_loss(&[], 1.0), 0.0);
    }

    #[test]
    fn margin_choice_rules() {
        let margins: Vec<f64> = (1..=100).map(f64::from).collect();
        let grid = || [1.0, 5.0, 10.0, 50.0, 200.0].into_iter();
        // Non-vacuous somewhere: the minimizer wins (γ = 50: 0.5 + 0.2).
        let tight = choose_margin(grid(), &margins, |g| {
            Some((margin_loss(&margins, g) + 10.0 / g, ()))
        })
        .expect("grid");
        assert_eq!(tight.gamma, 50.0);
        assert!((tight.value - 0.7).abs() < 1e-12);
        // Vacuous everywhere: the best margin ≤ the 10 % quantile (11) is shown.
        let loose = choose_margin(grid(), &margins, |g| {
            Some((margin_loss(&margins, g) + 1000.0 / g, ()))
        })
        .expect("grid");
        assert_eq!(loose.gamma, 10.0);
        assert!((loose.value - (0.1 + 100.0)).abs() < 1e-12);
        assert!((loose.smallest - 6.0).abs() < 1e-12, "γ = 200: 1 + 5");
        assert_eq!(quantile(&margins, 0.5), 51.0);
        // With 20 % training errors the cap moves to the 30 % quantile (31 → γ = 10 still; 50
        // is above it).
        let mut shifted = margins.clone();
        shifted[..20].iter_mut().for_each(|m| *m = -1.0);
        let loose = choose_margin(grid(), &shifted, |g| {
            Some((margin_loss(&shifted, g) + 1000.0 / g, ()))
        })
        .expect("grid");
        assert_eq!(loose.gamma, 10.0);
    }

    #[test]
    fn ramp_loss_known_answers() {
        // Losses at γ = 1: 0 (1.5), 1 (−2), 1 (0), 0.7 (0.3).
        let values = [1.5, -2.0, 0.0, 0.3];
        assert!((ramp_loss(&values, 1.0) - 2.7 / 4.0).abs() < 1e-12);
        assert!(ramp_loss(&values, 1.0) <= margin_loss(&values, 1.0));
        // At least the fraction of negative margins (the one at −2).
        assert!(ramp_loss(&values, 1.0) >= 0.25);
    }
}
