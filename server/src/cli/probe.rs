//! `memlab probe`: the invariance probes of a finished run, stored and printed.

use super::common::{Common, run_analysis};
use clap::Args;
use memlab_server::jobs::probes::Probes;
use memlab_shared::probes::ProbeRequest;

#[derive(Debug, Args)]
pub(crate) struct ProbeArgs {
    #[command(flatten)]
    common: Common,
    /// The experiment's id.
    #[arg(long)]
    experiment: i64,
    /// Test images probed.
    #[arg(long, default_value_t = memlab_science::probes::N_IMAGES)]
    images: usize,
    /// Seed of the test subset.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub(crate) async fn probe(args: ProbeArgs) -> anyhow::Result<()> {
    let request = ProbeRequest {
        sweeps: None,
        n_images: Some(args.images),
        seed: Some(args.seed),
    };
    let (experiment, report) =
        run_analysis(&args.common, args.experiment, &Probes, &request).await?;
    println!(
        "experiment {}: {} test images, accuracy {:.4}, {:.1} s on {}",
        experiment.id, report.n_images, report.accuracy, report.seconds, report.device
    );
    for curve in &report.curves {
        println!(
            "  {:<16} mean consistency {:.3}",
            curve.sweep.transform.label(),
            curve.mean_consistency()
        );
        for (index, t) in curve.parameters.iter().enumerate() {
            let ratio = |value: Option<f64>| value.map_or("n/a".to_owned(), |v| format!("{v:.4}"));
            println!(
                "    {t:>8.2} {:<3} consistency {:.3}  accuracy {:.3}  S(logits) {:>7}  S(features) {:>7}",
                curve.sweep.transform.unit().split(' ').next().unwrap_or(""),
                curve.consistency[index],
                curve.accuracy[index],
                ratio(curve.sensitivity_logits[index]),
                ratio(curve.sensitivity_features[index]),
            );
        }
    }
    Ok(())
}
