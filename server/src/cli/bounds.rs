//! `memlab bounds`: the generalization-bound panel of a finished run, stored and printed.

use super::common::{Common, run_analysis};
use clap::Args;
use memlab_science::bounds::settings as bound_settings;
use memlab_server::jobs::bounds::Bounds;
use memlab_shared::bounds::{BoundRequest, PacBayesPrior, PacBayesRequest};

#[derive(Debug, Args)]
pub(crate) struct BoundsArgs {
    #[command(flatten)]
    common: Common,
    /// The experiment's id.
    #[arg(long)]
    experiment: i64,
    /// Confidence parameter δ of every bound.
    #[arg(long, default_value_t = bound_settings::DEFAULT_DELTA)]
    delta: f64,
    /// Also optimize and certify a PAC-Bayes posterior (Dziugaite & Roy).
    #[arg(long)]
    pac_bayes: bool,
    /// Gradient steps of the PAC-Bayes posterior.
    #[arg(long)]
    steps: Option<usize>,
    /// Monte-Carlo draws of the PAC-Bayes certificate.
    #[arg(long)]
    samples: Option<usize>,
    /// Adam step size of the PAC-Bayes posterior.
    #[arg(long)]
    learning_rate: Option<f64>,
    /// Initial prior (and posterior) standard deviation of the PAC-Bayes posterior.
    #[arg(long)]
    initial_std: Option<f64>,
    /// Centre the PAC-Bayes prior on a network trained on the first half of the training set.
    #[arg(long)]
    data_dependent_prior: bool,
}

pub(crate) async fn bounds(args: BoundsArgs) -> anyhow::Result<()> {
    let request = BoundRequest {
        delta: Some(args.delta),
        pac_bayes: args.pac_bayes.then_some(PacBayesRequest {
            steps: args.steps,
            samples: args.samples,
            learning_rate: args.learning_rate,
            initial_std: args.initial_std,
            prior: Some(if args.data_dependent_prior {
                PacBayesPrior::DataDependent
            } else {
                PacBayesPrior::Initialization
            }),
        }),
    };
    // Refused here, before anything is queued, like the route refuses it (the seed only seeds
    // the posterior: whether a request is valid does not depend on it).
    bound_settings::settings(&request, 0).map_err(anyhow::Error::msg)?;
    let started = std::time::Instant::now();
    let (experiment, panel) =
        run_analysis(&args.common, args.experiment, &Bounds, &request).await?;
    println!(
        "experiment {}: train error {:.4}, test error {:.4}, m = {}, δ = {}",
        experiment.id, panel.train_error, panel.test_error, panel.n_train, panel.delta
    );
    for layer in &panel.layers {
        println!(
            "  {:<10} {:<42} σ ≤ {:>10.4}  σ' ≤ {:>10.4} ({})  F {:>10.4}  2,1 {:>12.4}  Δ₀ {:>9.4}{}",
            layer.name,
            layer.description,
            layer.spectral,
            layer.spectral_with_bias,
            match layer.spectral_with_bias_estimate {
                Some(estimate) => format!("power iteration {estimate:.4}"),
                None => "an estimate, not certified".into(),
            },
            layer.frobenius,
            layer.two_one,
            layer.distance_from_init,
            if layer.converged {
                ""
            } else {
                "  (power iteration not converged)"
            }
        );
    }
    for bound in &panel.bounds {
        match (bound.value, &bound.not_applicable) {
            (Some(value), _) => println!(
                "  {:<68} {:>12.4e}{}",
                bound.name,
                value,
                if bound.vacuous { "  vacuous" } else { "" }
            ),
            (None, Some(why)) => println!("  {:<68} n/a: {why}", bound.name),
            (None, None) => println!("  {:<68} n/a", bound.name),
        }
    }
    if let Some(note) = &panel.sample_split {
        println!("  {note}");
    }
    // The optimized certificates' and the linear head's inputs (once).
    for bound in panel
        .bounds
        .iter()
        .filter(|b| {
            b.key.starts_with("dr")
                || b.key == "linear_pac_bayes"
                || b.key == "linear_pac_bayes_data"
        })
        .filter(|b| b.value.is_some())
    {
        println!("  {}:", bound.short_name);
        for input in &bound.inputs {
            println!(
                "    {:<18} {:>14.6}  {}",
                input.symbol, input.value, input.name
            );
        }
    }
    for (stage, seconds) in &panel.timings {
        println!("  {stage:<40} {seconds:>8.3} s");
    }
    println!(
        "panel computed in {:.2} s ({:.2} s with loading)",
        panel.seconds,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
