//! What the commands share: the data and datasets folders, the device (the one place a
//! backend is named), opening a stored experiment, and running an analysis with a progress bar.

use std::path::PathBuf;

use anyhow::bail;
use burn::prelude::Device;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use memlab_server::jobs::analysis::{Analysis, Context, execute};
use memlab_shared::api::Experiment;
use memlab_store::{self as store};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum DeviceChoice {
    /// burn's flex CPU backend (always available).
    Cpu,
    /// burn's wgpu runtime on a GPU (build with `--features wgpu`).
    Wgpu,
}

#[derive(Debug, Args)]
pub(crate) struct Common {
    /// Folder of the SQLite store and the experiments' artifacts.
    #[arg(long, env = "MEMLAB_DATA_DIR", default_value = "memlab-data")]
    pub(crate) data_dir: PathBuf,
    /// Folder of the data sets (`cargo xtask setup` fills it).
    #[arg(long, env = "MEMLAB_DATASETS_DIR")]
    pub(crate) datasets_dir: Option<PathBuf>,
    /// Device to train on.
    #[arg(long, value_enum, default_value = "cpu")]
    pub(crate) device: DeviceChoice,
}

/// The one place a backend is named.
pub(crate) fn choose_device(choice: DeviceChoice) -> anyhow::Result<(Device, String)> {
    match choice {
        DeviceChoice::Cpu => Ok((Device::flex(), "flex (CPU)".into())),
        #[cfg(feature = "wgpu")]
        DeviceChoice::Wgpu => {
            use anyhow::Context;
            let device = Device::wgpu_options().init().context("initializing wgpu")?;
            Ok((device, "wgpu (GPU)".into()))
        }
        #[allow(unreachable_patterns)]
        other => bail!(
            "device {other:?} is not compiled in: rebuild with `--features {}`",
            format!("{other:?}").to_lowercase()
        ),
    }
}

pub(crate) fn datasets_dir(common: &Common) -> PathBuf {
    common
        .datasets_dir
        .clone()
        .unwrap_or_else(memlab_science::data::default_dir)
}

/// Runs one analysis of stored experiment `id` in this process with a progress bar, through
/// the runner's own path ([`execute`]): queued, progress, result and failure stored like one a
/// server ran. Returns the experiment and the result.
pub(crate) async fn run_analysis<A: Analysis>(
    common: &Common,
    id: i64,
    analysis: &A,
    request: &A::Request,
) -> anyhow::Result<(Experiment, A::Report)> {
    let (device, device_name) = choose_device(common.device)?;
    let (pool, experiment, catalog) = open_experiment(common, id).await?;
    let files = memlab_store::LocalDir::new(&common.data_dir);
    let ctx = Context {
        files: &files,
        catalog: &catalog,
        device: &device,
        device_name: &device_name,
        stopping: None,
    };
    let pool = &pool;
    let experiment = &experiment;
    let ctx = &ctx;
    let kind = analysis.kind();
    if !store::analyses::queue(pool, experiment.id, kind, request).await? {
        bail!(
            "the {} of experiment {} is being computed by a server",
            kind.label(),
            experiment.id
        );
    }
    let bar = ProgressBar::new(1000);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {percent:>3}% {msg}",
    )?);
    let runtime = tokio::runtime::Handle::current();
    let outcome = tokio::task::block_in_place(|| {
        execute(
            ctx,
            &runtime,
            pool,
            experiment,
            analysis,
            request,
            &mut |fraction, stage| {
                bar.set_position((fraction * 1000.0) as u64);
                bar.set_message(stage.to_owned());
            },
        )
    });
    bar.finish_and_clear();
    let report = outcome.map_err(anyhow::Error::msg)?;
    Ok((experiment.clone(), report))
}

/// The store, the stored experiment `id` (or why not) and the data-set catalog.
pub(crate) async fn open_experiment(
    common: &Common,
    id: i64,
) -> anyhow::Result<(store::SqlitePool, Experiment, memlab_science::data::Catalog)> {
    let pool = store::connect(&common.data_dir).await?;
    let Some(experiment) = store::experiments::get(&pool, id).await? else {
        bail!("no experiment {id} in {}", common.data_dir.display());
    };
    Ok((
        pool,
        experiment,
        memlab_science::data::Catalog::new(datasets_dir(common)),
    ))
}
