//! Zhang et al. 2017's claims read from a randomization study: every variant fits its training
//! set and the time to fit grows by a small factor with the label corruption p; on random labels
//! the bounds grow with p, say nothing at p = 1 and (optimized PAC-Bayes) something at p = 0.

use memlab_shared::replications::{Measured, Plot, Series, Verdict};

use super::rank::kendall_tau;
use super::{Panel, Run};

/// A run has fitted its training set once its training accuracy reaches this (Zhang et al.
/// report 100 %).
pub const FIT_ACCURACY: f64 = 0.99;
/// The most the time to fit may grow from p = 0 to the largest p for "a small factor".
pub const SMALL_FACTOR: f64 = 10.0;

/// The first epoch (from 1) whose training accuracy reaches [`FIT_ACCURACY`].
pub fn epochs_to_fit(run: &Run) -> Option<usize> {
    run.train_accuracy
        .iter()
        .position(|&accuracy| accuracy >= FIT_ACCURACY)
        .map(|index| index + 1)
}

/// Claim 1, over the finished runs of a randomization study (`x` = p): every run fits; epochs
/// to fit at the largest p over those at p = 0 lies in [1, [`SMALL_FACTOR`]]. `None` until the
/// p = 0 run and another grid run have finished.
pub fn fit(runs: &[Run], model: &str) -> Option<Measured> {
    let mut grid: Vec<&Run> = runs.iter().filter(|run| run.on_grid).collect();
    grid.sort_by(|a, b| a.x.total_cmp(&b.x));
    let (first, last) = (*grid.first()?, *grid.last()?);
    if first.x != 0.0 || grid.len() < 2 {
        return None;
    }
    let fitted = runs
        .iter()
        .filter(|run| epochs_to_fit(run).is_some())
        .count();
    let lowest = runs
        .iter()
        .filter_map(|run| run.train_accuracy.last().copied())
        .fold(f64::INFINITY, f64::min);
    let (to_first, to_last) = (epochs_to_fit(first), epochs_to_fit(last));
    let factor = to_first.zip(to_last).map(|(a, b)| b as f64 / a as f64);
    let reproduced =
        fitted == runs.len() && factor.is_some_and(|factor| (1.0..=SMALL_FACTOR).contains(&factor));
    let timing = match (to_first, to_last, factor) {
        (Some(a), Some(b), Some(factor)) => format!(
            "epochs to fit: {a} at p = 0, {b} at p = {} ({factor:.1}×)",
            last.x
        ),
        (None, _, _) => "the run at p = 0 never fitted".to_owned(),
        _ => format!("the run at p = {} never fitted", last.x),
    };
    Some(Measured {
        value: format!(
            "{fitted} of {} runs fit (lowest final training accuracy {:.1} %); {timing}",
            runs.len(),
            100.0 * lowest
        ),
        verdict: if reproduced {
            Verdict::Reproduced
        } else {
            Verdict::Differs
        },
        plot: Some(Plot {
            x_label: "label corruption p".into(),
            y_label: format!("epochs to {:.0} % training accuracy", 100.0 * FIT_ACCURACY),
            series: vec![Series {
                name: model.to_owned(),
                points: grid
                    .iter()
                    .filter_map(|run| epochs_to_fit(run).map(|e| (run.x, e as f64)))
                    .collect(),
            }],
        }),
    })
}

/// Claim 2, over the grid panels of a randomization study (`x` = p): BFT's spectral bound
/// grows with p (Kendall τ > 0, and larger at p = 1 than at p = 0); at p = 1 every computed
/// bound is at or above the chance error; at p = 0 the optimized PAC-Bayes certificate (`dr`
/// or `dr_data`, the smaller) is below it. `None` until p = 0 and p = 1 have panels; without an
/// optimized certificate at p = 0 the verdict waits for one (the value says so).
pub fn bounds(panels: &[Panel]) -> Option<Measured> {
    let mut grid: Vec<&Panel> = panels.iter().collect();
    grid.sort_by(|a, b| a.x.total_cmp(&b.x));
    let (zero, one) = (*grid.first()?, *grid.last()?);
    if zero.x != 0.0 || one.x != 1.0 {
        return None;
    }
    let spectral: Vec<(f64, f64)> = grid
        .iter()
        .filter_map(|panel| panel.value("bft_zero").map(|v| (panel.x, v)))
        .collect();
    let (ps, values): (Vec<f64>, Vec<f64>) = spectral.iter().copied().unzip();
    let tau = kendall_tau(&ps, &values);
    let grows = tau.is_some_and(|tau| tau > 0.0) && one.value("bft_zero") > zero.value("bft_zero");
    let chance = one.chance_error();
    let lowest_at_one = one
        .bounds
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .cloned();
    let silent_at_one = lowest_at_one.as_ref().is_none_or(|(_, v)| *v >= chance);
    let certificate = zero.certificate();
    let at_one = lowest_at_one.map_or("no bound computed at p = 1".to_owned(), |(key, v)| {
        format!("lowest bound at p = 1: {key} {v:.3}")
    });
    let spectral_text = match (zero.value("bft_zero"), one.value("bft_zero")) {
        (Some(a), Some(b)) => format!(
            "BFT {a:.3e} at p = 0 → {b:.3e} at p = 1 (Kendall τ over p {})",
            tau.map_or("–".into(), |t| format!("{t:.2}"))
        ),
        _ => "BFT not computed".into(),
    };
    let (certificate_text, verdict) = match certificate {
        Some(c) => (
            format!("optimized PAC-Bayes at p = 0: {c:.3}"),
            if grows && silent_at_one && c < zero.chance_error() {
                Verdict::Reproduced
            } else {
                Verdict::Differs
            },
        ),
        None => (
            "optimized PAC-Bayes not computed at p = 0 (rerun the study with it)".into(),
            Verdict::NotYetRun,
        ),
    };
    Some(Measured {
        value: format!("{spectral_text}; {at_one} (chance {chance:.2}); {certificate_text}"),
        verdict,
        plot: Some(Plot {
            x_label: "label corruption p".into(),
            y_label: "log₁₀ bound".into(),
            series: ["bft_zero", "dr", "dr_data"]
                .iter()
                .map(|key| Series {
                    name: (*key).into(),
                    points: grid
                        .iter()
                        .filter_map(|panel| {
                            panel.value(key).map(|v| (panel.x, v.max(1e-12).log10()))
                        })
                        .collect(),
                })
                .filter(|series| !series.points.is_empty())
                .collect(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(x: f64, on_grid: bool, curve: &[f64]) -> Run {
        Run {
            x,
            on_grid,
            train_accuracy: curve.to_vec(),
            test_accuracy: 0.5,
        }
    }

    /// p = 0 fits at epoch 2, p = 1 at epoch 6: 3×, every run fits: reproduced; a run that
    /// stops at 0.98 makes it differ; without p = 0 there is no measurement.
    #[test]
    fn fit_reads_epochs_to_fit() {
        let runs = vec![
            run(0.0, true, &[0.9, 0.995, 1.0]),
            run(0.5, true, &[0.3, 0.6, 0.9, 0.99]),
            run(1.0, true, &[0.1, 0.2, 0.4, 0.7, 0.9, 1.0]),
            run(0.0, false, &[0.5, 0.999]),
        ];
        assert_eq!(epochs_to_fit(&runs[0]), Some(2));
        assert_eq!(epochs_to_fit(&runs[1]), Some(4));
        let measured = fit(&runs, "mlp").expect("measured");
        assert_eq!(measured.verdict, Verdict::Reproduced, "{}", measured.value);
        assert!(
            measured.value.contains("4 of 4 runs fit") && measured.value.contains("(3.0×)"),
            "{}",
            measured.value
        );
        let plot = measured.plot.expect("a plot");
        assert_eq!(
            plot.series[0].points,
            vec![(0.0, 2.0), (0.5, 4.0), (1.0, 6.0)]
        );
        let mut short = runs.clone();
        short[3].train_accuracy = vec![0.5, 0.98];
        assert_eq!(
            fit(&short, "mlp").expect("measured").verdict,
            Verdict::Differs
        );
        assert_eq!(fit(&runs[1..3], "mlp"), None);
    }

    fn panel(x: f64, bounds: &[(&str, f64)]) -> Panel {
        Panel {
            x,
            classes: 10,
            train_error: 0.0,
            test_error: 0.1,
            bounds: bounds.iter().map(|&(k, v)| (k.to_owned(), v)).collect(),
        }
    }

    /// BFT growing with p, every bound ≥ 0.9 at p = 1 and a certificate of 0.3 at p = 0:
    /// reproduced. A bound of 0.5 at p = 1 (below chance) differs; no certificate waits.
    #[test]
    fn bounds_reads_growth_silence_and_the_certificate() {
        let panels = vec![
            panel(0.0, &[("bft_zero", 1e5), ("dr", 0.3)]),
            panel(0.5, &[("bft_zero", 1e6)]),
            panel(1.0, &[("bft_zero", 1e7), ("dr", 0.95)]),
        ];
        let measured = bounds(&panels).expect("measured");
        assert_eq!(measured.verdict, Verdict::Reproduced, "{}", measured.value);
        let plot = measured.plot.expect("a plot");
        assert_eq!(
            plot.series[0].points,
            vec![(0.0, 5.0), (0.5, 6.0), (1.0, 7.0)]
        );
        let mut speaking = panels.clone();
        speaking[2].bounds[1].1 = 0.5;
        assert_eq!(
            bounds(&speaking).expect("measured").verdict,
            Verdict::Differs
        );
        let mut without = panels.clone();
        without[0].bounds.pop();
        assert_eq!(
            bounds(&without).expect("measured").verdict,
            Verdict::NotYetRun
        );
        assert_eq!(bounds(&panels[..2]), None);
    }
}
