//! `memlab scattering`: the scattering transform of a few test images, with its filters, as
//! JSON (what `bench/scattering_kymatio.sh` compares with Kymatio).

use std::path::PathBuf;

use super::common::{Common, choose_device, datasets_dir};
use anyhow::bail;
use clap::Args;
use memlab_science::batch;

#[derive(Debug, Args)]
pub(crate) struct ScatteringArgs {
    #[command(flatten)]
    common: Common,
    /// Data set name.
    #[arg(long, default_value = "mnist")]
    dataset: String,
    /// Test images (the first ones).
    #[arg(long, default_value_t = 3)]
    images: usize,
    /// Scales J.
    #[arg(long, default_value_t = 2)]
    scales: usize,
    /// Angles L.
    #[arg(long, default_value_t = 8)]
    angles: usize,
    /// Where the JSON goes.
    #[arg(long)]
    json: PathBuf,
}

/// Writes the scattering transform of the first test images of a data set, the input as the
/// network sees it (normalized) and every filter, as JSON.
pub(crate) fn scattering_command(args: ScatteringArgs) -> anyhow::Result<()> {
    use memlab_shared::model::ScatteringConfig;
    let (device, _) = choose_device(args.common.device)?;
    let catalog = memlab_science::data::Catalog::new(datasets_dir(&args.common));
    let dataset = catalog.get(&args.dataset)?;
    let spec = &dataset.info.input;
    let side = spec.height.min(spec.width);
    if args.scales == 0 || 1usize << args.scales > side || args.angles == 0 {
        bail!("need J ≥ 1 with 2^J ≤ {side}, and L ≥ 1");
    }
    let count = args.images.clamp(1, dataset.test.len());
    let indices: Vec<usize> = (0..count).collect();
    let (images, _) = batch::batch(&dataset.test, spec, &indices, &device);
    let config = ScatteringConfig::new(spec.height, spec.width, args.scales, args.angles);
    let started = std::time::Instant::now();
    let coefficients = config.init(&device).forward(images.clone());
    let shape = coefficients.dims();
    let values = |t: burn::Tensor<4>| -> anyhow::Result<Vec<f32>> {
        t.into_data()
            .try_into_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("{e:?}"))
    };
    let (inputs, coefficients) = (values(images)?, values(coefficients)?);
    let seconds = started.elapsed().as_secs_f64();
    let bank = config.filter_bank();
    let json = serde_json::json!({
        "dataset": args.dataset,
        "scales": args.scales,
        "angles": args.angles,
        "input_shape": [count, spec.channels, spec.height, spec.width],
        "input": inputs,
        "shape": shape,
        "coefficients": coefficients,
        "padded": [bank.rows, bank.columns],
        "wavelets": bank.wavelets.iter().map(|w| serde_json::json!({
            "scale": w.scale, "angle": w.angle, "levels": w.levels,
        })).collect::<Vec<_>>(),
        "lowpass": bank.lowpass,
    });
    std::fs::write(&args.json, serde_json::to_vec(&json)?)?;
    println!(
        "{count} images of {}: {shape:?} coefficients in {seconds:.2} s, written to {}",
        args.dataset,
        args.json.display()
    );
    Ok(())
}
