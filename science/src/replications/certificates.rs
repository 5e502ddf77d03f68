//! Claims about certificates read from bound panels: an optimized PAC-Bayes bound is
//! non-vacuous on MNIST (Dziugaite & Roy 2017); a data-dependent prior tightens it (Pérez-Ortiz
//! et al. 2021); norm and spectral bounds do not fall with m while the test error does
//! (Nagarajan & Kolter 2019); PAC-Bayes-type measures rank runs by their generalization gap
//! better than norm-based ones (Jiang et al. 2020).

use memlab_shared::replications::{Measured, Plot, Series, Verdict};

use super::Panel;
use super::rank::kendall_tau;

fn verdict(reproduced: bool) -> Verdict {
    if reproduced {
        Verdict::Reproduced
    } else {
        Verdict::Differs
    }
}

/// Dziugaite & Roy: the smallest optimized PAC-Bayes certificate among `panels` (each with the
/// name of its run) is below 1 (non-vacuous). `None` when no panel has one.
pub fn non_vacuous(panels: &[(String, Panel)]) -> Option<Measured> {
    let (name, panel, certificate) = panels
        .iter()
        .filter_map(|(name, panel)| panel.certificate().map(|c| (name, panel, c)))
        .min_by(|a, b| a.2.total_cmp(&b.2))?;
    Some(Measured {
        value: format!(
            "{certificate:.3} on {name} (its test error {:.3}; {} other panels with a certificate)",
            panel.test_error,
            panels
                .iter()
                .filter(|(_, p)| p.certificate().is_some())
                .count()
                - 1
        ),
        verdict: verdict(certificate < 1.0),
        plot: None,
    })
}

/// Pérez-Ortiz et al.: on the same network, the data-dependent prior's certificate `dr_data`
/// is below the data-free one's `dr`. `pairs`: each run's name and its panel holding both
/// (the server merges the panels of runs with the same configuration). Reproduced when it holds
/// on every pair; `None` without a pair.
pub fn data_prior(pairs: &[(String, Panel)]) -> Option<Measured> {
    let both: Vec<(&String, f64, f64)> = pairs
        .iter()
        .filter_map(|(name, panel)| Some((name, panel.value("dr")?, panel.value("dr_data")?)))
        .collect();
    if both.is_empty() {
        return None;
    }
    let tighter = both.iter().filter(|(_, free, data)| data < free).count();
    let best = both
        .iter()
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .expect("not empty");
    Some(Measured {
        value: format!(
            "data-dependent below data-free on {tighter} of {} networks; best: {:.3} against {:.3} ({})",
            both.len(),
            best.2,
            best.1,
            best.0
        ),
        verdict: verdict(tighter == both.len()),
        plot: None,
    })
}

/// The norm- and spectral-based bounds Nagarajan & Kolter and Jiang et al. read.
pub const NORM_BASED: [&str; 5] = ["bft_zero", "bft_init", "nbs", "grs", "nts"];
/// The PAC-Bayes-type measures (optimized certificates, the linear head's PAC-Bayes).
pub const PAC_BAYES: [&str; 6] = [
    "dr",
    "dr_data",
    "linear_pac_bayes",
    "linear_pac_bayes_q",
    "linear_pac_bayes_data",
    "linear_pac_bayes_data_q",
];

/// How much a bound may fall from the smallest to the largest m and still "not fall".
pub const NOT_FALLING: f64 = 0.9;

/// Nagarajan & Kolter, over the panels of a sample-size study (`x` = m): the test error falls
/// (Kendall τ(m, test error) < 0) while BFT's bound at the largest m is at least
/// [`NOT_FALLING`] × its value at the smallest. `None` with fewer than two panels or no BFT.
pub fn sample_size(panels: &[Panel]) -> Option<Measured> {
    let mut grid: Vec<&Panel> = panels.iter().collect();
    grid.sort_by(|a, b| a.x.total_cmp(&b.x));
    if grid.len() < 2 {
        return None;
    }
    let (first, last) = (grid[0], grid[grid.len() - 1]);
    let (small, large) = (first.value("bft_zero")?, last.value("bft_zero")?);
    let ms: Vec<f64> = grid.iter().map(|p| p.x).collect();
    let errors: Vec<f64> = grid.iter().map(|p| p.test_error).collect();
    let tau = kendall_tau(&ms, &errors);
    let falls = tau.is_some_and(|tau| tau < 0.0);
    let reproduced = falls && large >= NOT_FALLING * small;
    let series = |key: &str| Series {
        name: key.to_owned(),
        points: grid
            .iter()
            .filter_map(|p| p.value(key).map(|v| (p.x, v.max(1e-12).log10())))
            .collect(),
    };
    let mut lines: Vec<Series> = NORM_BASED
        .iter()
        .map(|key| series(key))
        .filter(|s| !s.points.is_empty())
        .collect();
    lines.push(Series {
        name: "test error".into(),
        points: grid
            .iter()
            .map(|p| (p.x, p.test_error.max(1e-12).log10()))
            .collect(),
    });
    Some(Measured {
        value: format!(
            "m {} → {}: test error {:.3} → {:.3} (Kendall τ {}), BFT {small:.3e} → {large:.3e} ({:.2}×)",
            first.x,
            last.x,
            first.test_error,
            last.test_error,
            tau.map_or("–".into(), |t| format!("{t:.2}")),
            large / small
        ),
        verdict: verdict(reproduced),
        plot: Some(Plot {
            x_label: "training examples m".into(),
            y_label: "log₁₀ value".into(),
            series: lines,
        }),
    })
}

/// Each measure's Kendall τ with the generalization gap (test error − training error) over
/// `panels`, for the measures every panel computed, best first.
pub fn gap_correlations(panels: &[Panel]) -> Vec<(String, f64)> {
    let gaps: Vec<f64> = panels
        .iter()
        .map(|p| p.test_error - p.train_error)
        .collect();
    let mut keys: Vec<&str> = NORM_BASED.iter().chain(&PAC_BAYES).copied().collect();
    keys.push("vc");
    let mut taus: Vec<(String, f64)> = keys
        .into_iter()
        .filter_map(|key| {
            let values: Option<Vec<f64>> = panels.iter().map(|p| p.value(key)).collect();
            kendall_tau(&values?, &gaps).map(|tau| (key.to_owned(), tau))
        })
        .collect();
    taus.sort_by(|a, b| b.1.total_cmp(&a.1));
    taus
}

/// Jiang et al., over the panels of runs that differ in one hyperparameter: the best
/// PAC-Bayes-type measure ranks the runs by their gap better (higher τ) than the best
/// norm-based one. `None` with fewer than three panels; not yet run without a PAC-Bayes-type
/// measure on every panel.
pub fn ranking(panels: &[Panel]) -> Option<Measured> {
    if panels.len() < 3 {
        return None;
    }
    let taus = gap_correlations(panels);
    let best_of = |keys: &[&str]| {
        taus.iter()
            .find(|(key, _)| keys.contains(&key.as_str()))
            .cloned()
    };
    let listed = taus
        .iter()
        .map(|(key, tau)| format!("{key} {tau:.2}"))
        .collect::<Vec<_>>()
        .join(", ");
    let (pac, norm) = (best_of(&PAC_BAYES), best_of(&NORM_BASED));
    let verdict = match (&pac, &norm) {
        (Some((_, pac)), Some((_, norm))) => verdict(pac > norm),
        _ => Verdict::NotYetRun,
    };
    Some(Measured {
        value: format!(
            "Kendall τ with the gap over {} runs: {}",
            panels.len(),
            if listed.is_empty() {
                "no measure on every run".to_owned()
            } else {
                listed
            }
        ),
        verdict,
        plot: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel(x: f64, test_error: f64, bounds: &[(&str, f64)]) -> Panel {
        Panel {
            x,
            classes: 10,
            train_error: 0.0,
            test_error,
            bounds: bounds.iter().map(|&(k, v)| (k.to_owned(), v)).collect(),
        }
    }

    /// The smallest certificate is reported; below 1 is reproduced, above differs; no
    /// certificate, no measurement.
    #[test]
    fn non_vacuous_reads_the_smallest_certificate() {
        let panels = vec![
            (
                "a".to_owned(),
                panel(0.0, 0.02, &[("dr", 0.4), ("vc", 3.0)]),
            ),
            ("b".to_owned(), panel(0.0, 0.02, &[("dr_data", 0.1)])),
            ("c".to_owned(), panel(0.0, 0.02, &[("vc", 0.05)])),
        ];
        let measured = non_vacuous(&panels).expect("a certificate");
        assert!(
            measured.value.starts_with("0.100 on b"),
            "{}",
            measured.value
        );
        assert_eq!(measured.verdict, Verdict::Reproduced);
        let vacuous = vec![("a".to_owned(), panel(0.0, 0.5, &[("dr", 1.2)]))];
        assert_eq!(
            non_vacuous(&vacuous).expect("one").verdict,
            Verdict::Differs
        );
        assert_eq!(non_vacuous(&panels[2..]), None);
    }

    /// Reproduced only when the data-dependent certificate is tighter on every pair.
    #[test]
    fn data_prior_compares_on_each_network() {
        let pairs = vec![
            (
                "a".to_owned(),
                panel(0.0, 0.0, &[("dr", 0.3), ("dr_data", 0.1)]),
            ),
            (
                "b".to_owned(),
                panel(0.0, 0.0, &[("dr", 0.2), ("dr_data", 0.15)]),
            ),
        ];
        let measured = data_prior(&pairs).expect("pairs");
        assert_eq!(measured.verdict, Verdict::Reproduced);
        assert!(measured.value.contains("2 of 2"), "{}", measured.value);
        let mut worse = pairs.clone();
        worse[1].1.bounds[1].1 = 0.25;
        assert_eq!(data_prior(&worse).expect("pairs").verdict, Verdict::Differs);
        assert_eq!(
            data_prior(&[("a".into(), panel(0.0, 0.0, &[("dr", 0.3)]))]),
            None
        );
    }

    /// Test error falling and BFT growing: reproduced; BFT halving: differs.
    #[test]
    fn sample_size_reads_the_trends() {
        let grows = vec![
            panel(1000.0, 0.10, &[("bft_zero", 5e6)]),
            panel(4000.0, 0.05, &[("bft_zero", 8e6)]),
            panel(16000.0, 0.02, &[("bft_zero", 9e6)]),
        ];
        let measured = sample_size(&grows).expect("a trend");
        assert_eq!(measured.verdict, Verdict::Reproduced, "{}", measured.value);
        assert!(measured.value.contains("τ -1.00"), "{}", measured.value);
        let mut falls = grows.clone();
        falls[2].bounds[0].1 = 2.5e6;
        assert_eq!(
            sample_size(&falls).expect("a trend").verdict,
            Verdict::Differs
        );
        assert_eq!(sample_size(&grows[..1]), None);
    }

    /// A PAC-Bayes measure ordered like the gap beats a norm bound ordered against it; the
    /// ranking waits for a PAC-Bayes measure on every run.
    #[test]
    fn ranking_compares_the_best_of_each_kind() {
        let panels = vec![
            panel(0.0, 0.01, &[("dr", 0.1), ("bft_zero", 9.0)]),
            panel(1.0, 0.05, &[("dr", 0.2), ("bft_zero", 8.0)]),
            panel(2.0, 0.30, &[("dr", 0.6), ("bft_zero", 7.0)]),
        ];
        let taus = gap_correlations(&panels);
        assert_eq!(taus[0], ("dr".to_owned(), 1.0));
        assert_eq!(taus[1], ("bft_zero".to_owned(), -1.0));
        assert_eq!(ranking(&panels).expect("runs").verdict, Verdict::Reproduced);
        let mut norms_only = panels.clone();
        norms_only[0].bounds.remove(0);
        assert_eq!(
            ranking(&norms_only).expect("runs").verdict,
            Verdict::NotYetRun
        );
        assert_eq!(ranking(&panels[..2]), None);
    }
}
