//! Multi-class margins and the empirical margin loss (SCIENCE.md, notation):
//! γ(x, y) = f(x)_y − max_{j≠y} f(x)_j and L̂_γ = (1/m) #{i : γ(x_i, y_i) ≤ γ}.

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
}
