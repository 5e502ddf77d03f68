//! `memlab geometry`: the PCA spectra and intrinsic dimension of a data set's patches.

use std::path::PathBuf;

use super::common::{Common, datasets_dir};
use clap::Args;
use memlab_science::patches::geometry;
use memlab_shared::geometry::GeometryQuery;

#[derive(Debug, Args)]
pub(crate) struct GeometryArgs {
    #[command(flatten)]
    common: Common,
    /// Data set name.
    #[arg(long, default_value = "mnist")]
    dataset: String,
    /// Smallest patch side.
    #[arg(long, default_value_t = 3)]
    min_patch: usize,
    /// Largest patch side.
    #[arg(long, default_value_t = 9)]
    max_patch: usize,
    /// Patches drawn per side (distinct ones enter the nearest-neighbour estimators).
    #[arg(long, default_value_t = 4000)]
    patches: usize,
    /// Training images the patches are drawn from (the first ones).
    #[arg(long, default_value_t = 10_000)]
    images: usize,
    /// Whitening regularizer ε.
    #[arg(long, default_value_t = 1e-3)]
    whitening: f64,
    /// Levina–Bickel neighbours.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Seed of the draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the full result (spectra included) as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

pub(crate) fn geometry_command(args: GeometryArgs) -> anyhow::Result<()> {
    let catalog = memlab_science::data::Catalog::new(datasets_dir(&args.common));
    let dataset = catalog.get(&args.dataset)?;
    let spec = &dataset.info.input;
    let query = GeometryQuery {
        min_patch: args.min_patch,
        max_patch: args.max_patch,
        patches: args.patches,
        images: args.images,
        whitening: args.whitening,
        k: args.k,
        seed: args.seed,
    };
    let (settings, images) =
        geometry::settings(&query, spec, dataset.train.len()).map_err(anyhow::Error::msg)?;
    let started = std::time::Instant::now();
    let result =
        geometry::patch_geometry(&dataset.train, spec, &images, &settings, &mut |_, stage| {
            eprintln!("{stage}");
        });
    let show = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2}"));
    println!(
        "{} patches from {} images of {}; ε = {}, Levina–Bickel k = {}",
        args.patches,
        images.len(),
        args.dataset,
        args.whitening,
        args.k
    );
    println!("  p   dim  PCs(90%)  distinct  TwoNN raw  MLE raw  TwoNN white  MLE white");
    for g in &result {
        println!(
            "{:>3} {:>5} {:>9} {:>9} {:>10} {:>8} {:>12} {:>10}",
            g.patch,
            g.spectrum.len(),
            g.components_90,
            g.raw.points,
            show(g.raw.two_nn),
            show(g.raw.levina_bickel),
            show(g.whitened.two_nn),
            show(g.whitened.levina_bickel)
        );
    }
    println!("({:.1} s)", started.elapsed().as_secs_f64());
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&result)?)?;
        println!("spectra written to {}", path.display());
    }
    Ok(())
}
