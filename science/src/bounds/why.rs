//! Why a vacuous bound is vacuous, in one line for people: the term that passes 1 and the
//! quantity that drives it, read from the bound's own stated inputs.

use memlab_shared::bounds::Bound;

/// The one-line reason a computed bound exceeds 1, or `None` when it does not (or was not
/// computed).
pub fn why_vacuous(bound: &Bound) -> Option<String> {
    let value = bound.value?;
    if !bound.vacuous {
        return None;
    }
    Some(match reason(bound) {
        Some(reason) => format!("vacuous ({} > 1): {reason}", short(value)),
        None => format!("the bound is {} > 1", short(value)),
    })
}

/// The cause, from the inputs each kind of bound states; `None` for a kind not covered or
/// inputs missing.
fn reason(bound: &Bound) -> Option<String> {
    let input = |symbol: &str| {
        bound
            .inputs
            .iter()
            .find(|quantity| quantity.symbol == symbol)
            .map(|quantity| quantity.value)
    };
    let key = bound.key.as_str();
    let reason = match key {
        "vc" => {
            let (w, l, m) = (input("W")?, input("L")?, input("m")?);
            let complexity = input("2√(2 ln Π/m)")?;
            format!(
                "{} parameters in {} layers against m = {} examples: the growth-function term \
                 2√(2 ln Π/m) is {} alone",
                count(w),
                count(l),
                count(m),
                short(complexity)
            )
        }
        "bft_zero" | "bft_init" => {
            let spectral: f64 = spectral_product(bound, "s_");
            format!(
                "the spectral complexity R_A = {} (the product of the layers' spectral norms, \
                 ∏ s_i = {}) against the margin γ = {}: the complexity term is {}",
                short(input("R_A")?),
                short(spectral),
                short(input("γ")?),
                short(input("complexity")?)
            )
        }
        "nts" | "grs" => format!(
            "the product of the layers' norms ∏ M_j = {} against the margin ρ = {} and m = {}: \
             the Rademacher complexity term is {}",
            short(input("∏ M_j")?),
            short(input("ρ")?),
            count(input("m")?),
            short(4.0 * input("k")? / input("ρ")? * input("R̂_S(Π₁H)")?)
        ),
        "nbs" => format!(
            "the product of the layers' spectral norms ∏ s_i = {} forces a small perturbation σ \
             = {}, so KL = ‖w‖²/(2σ²) = {} nats against m = {} examples",
            short(input("∏ s_i")?),
            short(input("σ")?),
            short(input("KL")?),
            count(input("m")?)
        ),
        "linear_pac_bayes"
        | "linear_pac_bayes_q"
        | "linear_pac_bayes_data"
        | "linear_pac_bayes_data_q"
        | "dr"
        | "dr_data" => {
            let m = input("m").or_else(|| input("m₂"))?;
            format!(
                "KL(Q‖P) = {} nats against m = {} examples",
                short(input("KL")?),
                count(m)
            )
        }
        _ => return None,
    };
    Some(reason)
}

/// ∏ of the inputs whose symbols start with `prefix` (the rounded-up per-layer norms).
fn spectral_product(bound: &Bound, prefix: &str) -> f64 {
    bound
        .inputs
        .iter()
        .filter(|quantity| quantity.symbol.starts_with(prefix))
        .map(|quantity| quantity.value)
        .product()
}

/// A count with thin-space thousands, e.g. `60 000`.
fn count(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(digit);
    }
    out
}

/// A number in three significant figures, scientific when huge or tiny.
fn short(value: f64) -> String {
    if value != 0.0 && !(1e-3..1e5).contains(&value.abs()) {
        format!("{value:.2e}")
    } else {
        format!("{:.3}", value)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bounds::facts::{computed, not_applicable, quantity};

    #[test]
    fn vacuous_bounds_name_their_cause() {
        let vc = computed(
            "vc",
            "VC",
            12.97,
            "",
            "",
            vec![
                quantity("m", "", 60_000.0),
                quantity("W", "", 61_706.0),
                quantity("L", "", 5.0),
                quantity("2√(2 ln Π/m)", "", 12.9),
            ],
        );
        assert_eq!(
            why_vacuous(&vc).as_deref(),
            Some(
                "vacuous (12.97 > 1): 61 706 parameters in 5 layers against m = 60 000 \
                 examples: the growth-function term 2√(2 ln Π/m) is 12.9 alone"
            )
        );
        let bft = computed(
            "bft_zero",
            "BFT",
            5.1e7,
            "",
            "",
            vec![
                quantity("s_1", "", 2.0),
                quantity("s_2", "", 8.0),
                quantity("b_1", "", 3.0),
                quantity("R_A", "", 420.5),
                quantity("γ", "", 4.0),
                quantity("complexity", "", 5.1e7),
            ],
        );
        let text = why_vacuous(&bft).expect("vacuous");
        assert!(
            text.starts_with("vacuous (5.10e7 > 1): the spectral complexity R_A = 420.5")
                && text.contains("∏ s_i = 16)")
                && text.contains("γ = 4:"),
            "{text}"
        );
        let pac_bayes = computed(
            "dr_data",
            "",
            1.5,
            "",
            "",
            vec![quantity("KL", "", 38_000.0), quantity("m", "", 30_000.0)],
        );
        assert_eq!(
            why_vacuous(&pac_bayes).as_deref(),
            Some("vacuous (1.5 > 1): KL(Q‖P) = 38000 nats against m = 30 000 examples")
        );
        // Non-vacuous and not-applicable bounds have no reason; unknown keys a plain one.
        let tight = computed("vc", "", 0.3, "", "", Vec::new());
        assert_eq!(why_vacuous(&tight), None);
        assert_eq!(
            why_vacuous(&not_applicable("nbs", "", "", "", "x".into())),
            None
        );
        let other = computed("other", "", 2.0, "", "", Vec::new());
        assert_eq!(why_vacuous(&other).as_deref(), Some("the bound is 2 > 1"));
    }
}
