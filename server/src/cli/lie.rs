//! `memlab lie`: the affine generators a finished run's model is invariant to.

use super::common::{Common, run_analysis};
use clap::Args;
use memlab_science::lie;
use memlab_server::jobs::lie::Lie;
use memlab_shared::lie::{CANONICAL, LieRequest};

#[derive(Debug, Args)]
pub(crate) struct LieArgs {
    #[command(flatten)]
    common: Common,
    /// The experiment's id.
    #[arg(long)]
    experiment: i64,
    /// Test images.
    #[arg(long)]
    images: Option<usize>,
    /// Finite-difference step (RMS pixel displacement).
    #[arg(long)]
    step: Option<f64>,
}

pub(crate) async fn lie_command(args: LieArgs) -> anyhow::Result<()> {
    let request = LieRequest {
        n_images: args.images,
        step: args.step,
    };
    lie::settings(&request).map_err(anyhow::Error::msg)?;
    let (experiment, report) = run_analysis(&args.common, args.experiment, &Lie, &request).await?;
    println!(
        "experiment {}: {} test images, step {} px, {:.1} s on {}",
        experiment.id, report.n_images, report.step, report.seconds, report.device
    );
    println!("  canonical sensitivities (feature change per image change):");
    for (name, value) in CANONICAL.iter().zip(&report.canonical_sensitivity) {
        println!("    {name:<14} {value:.5}");
    }
    println!("  generators, most invariant first (coefficients on {CANONICAL:?}):");
    for generator in &report.generators {
        let coefficients: Vec<String> = generator
            .coefficients
            .iter()
            .map(|c| format!("{c:+.3}"))
            .collect();
        println!(
            "    sensitivity {:.5}  closest {:<14} [{}]",
            generator.sensitivity,
            generator.closest,
            coefficients.join(", ")
        );
    }
    Ok(())
}
