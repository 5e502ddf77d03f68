//! Binary relative entropy kl(q‖p) and its upper inverse, as PAC-Bayes-kl bounds use them
//! (Seeger 2002; Maurer 2004; Langford & Caruana 2002 for the Monte-Carlo step).

/// Steps of bisection in [`kl_inverse_upper`]: 2⁻¹⁰⁰ of the unit interval, below f64 precision.
const BISECTION_STEPS: usize = 100;

/// kl(q‖p) = q ln(q/p) + (1 − q) ln((1 − q)/(1 − p)), in nats, with 0 ln 0 = 0.
///
/// Infinite when p ∈ {0, 1} and q ≠ p. Inputs outside [0, 1] give NaN.
pub fn kl_bernoulli(q: f64, p: f64) -> f64 {
    if !(0.0..=1.0).contains(&q) || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let term = |a: f64, b: f64| {
        if a == 0.0 {
            0.0
        } else if b == 0.0 {
            f64::INFINITY
        } else {
            a * (a / b).ln()
        }
    };
    term(q, p) + term(1.0 - q, 1.0 - p)
}

/// kl⁻¹(q, c) = sup{p ∈ [q, 1] : kl(q‖p) ≤ c}, by bisection (kl(q‖·) increases on [q, 1]).
///
/// The largest error rate consistent with an empirical rate `q` and a complexity budget `c`
/// (nats). Returns NaN for q outside [0, 1] or a negative or NaN `c`.
pub fn kl_inverse_upper(q: f64, c: f64) -> f64 {
    if !(0.0..=1.0).contains(&q) || c.is_nan() || c < 0.0 {
        return f64::NAN;
    }
    if kl_bernoulli(q, 1.0) <= c {
        return 1.0;
    }
    let (mut low, mut high) = (q, 1.0);
    for _ in 0..BISECTION_STEPS {
        let middle = 0.5 * (low + high);
        if kl_bernoulli(q, middle) <= c {
            low = middle;
        } else {
            high = middle;
        }
    }
    low
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn kl_known_answers() {
        // By hand: 0.1 ln(0.5) + 0.9 ln(0.9 / 0.8).
        assert!(close(
            kl_bernoulli(0.1, 0.2),
            0.1 * 0.5f64.ln() + 0.9 * (0.9f64 / 0.8).ln(),
            1e-15
        ));
        assert!(close(
            kl_bernoulli(0.1, 0.2),
            0.036_690_014_034_750_4,
            1e-12
        ));
        assert_eq!(kl_bernoulli(0.3, 0.3), 0.0);
        assert!(close(kl_bernoulli(0.0, 0.5), 2f64.ln(), 1e-15));
        assert_eq!(kl_bernoulli(0.5, 0.0), f64::INFINITY);
        assert!(kl_bernoulli(1.5, 0.5).is_nan());
    }

    #[test]
    fn inverse_known_answers() {
        // kl(0‖p) = −ln(1 − p), so kl⁻¹(0, c) = 1 − e^{−c}.
        for c in [0.01, 0.1, 1.0, 3.0] {
            assert!(
                close(kl_inverse_upper(0.0, c), 1.0 - (-c).exp(), 1e-12),
                "c = {c}"
            );
        }
        // At c = 0 the answer is q itself, up to the rounding of kl near its minimum, where kl
        // grows like (p − q)²: an error of 1e-17 in kl moves p by about 1e-8.
        assert!(close(kl_inverse_upper(0.2, 0.0), 0.2, 1e-7));
        assert_eq!(kl_inverse_upper(1.0, 0.3), 1.0);
        // kl(0.5‖p) reaches 10 nats only within about e⁻²⁰ of p = 1.
        let p = kl_inverse_upper(0.5, 10.0);
        assert!(
            p < 1.0 && 1.0 - p < 2e-9 && close(kl_bernoulli(0.5, p), 10.0, 1e-6),
            "{p}"
        );
        assert!(kl_inverse_upper(0.5, -1.0).is_nan());
        // The inverse lands on the level set: kl(q‖kl⁻¹(q, c)) = c.
        for (q, c) in [(0.01, 0.05), (0.1, 0.2), (0.3, 0.01)] {
            let p = kl_inverse_upper(q, c);
            assert!(
                p > q && close(kl_bernoulli(q, p), c, 1e-9),
                "q = {q}, c = {c}, p = {p}"
            );
        }
        // Dziugaite & Roy's scale: 2 % empirical error, budget 0.05 nats → ≈ 9.9 % certificate.
        let p = kl_inverse_upper(0.02, 0.05);
        assert!((0.09..0.10).contains(&p), "{p}");
    }
}
