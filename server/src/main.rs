//! The `memlab` command: `serve` (HTTP API + frontend + training queue), `train` (one run
//! from the command line with a progress bar) and `bounds` (the bound panel of a finished run).
//! The device is chosen here, once.

mod cli;

use clap::{Parser, Subcommand};

use cli::bounds::{BoundsArgs, bounds};
use cli::geometry::{GeometryArgs, geometry_command};
use cli::lie::{LieArgs, lie_command};
use cli::probe::{ProbeArgs, probe};
use cli::replicate::{ReplicateArgs, replicate_command};
use cli::scattering::{ScatteringArgs, scattering_command};
use cli::serve::{ServeArgs, serve};
use cli::symmetry::{SymmetryArgs, symmetry};
use cli::train::{TrainArgs, train};

#[derive(Debug, Parser)]
#[command(
    name = "memlab",
    version,
    about = "A lab for memorization in deep learning"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API and the browser app, and train queued experiments.
    Serve(ServeArgs),
    /// Train one experiment from the command line (stored like one queued in the app).
    Train(TrainArgs),
    /// Compute the generalization-bound panel of a finished experiment and store it.
    Bounds(BoundsArgs),
    /// Probe a finished experiment's invariance to the classical transforms and store it.
    Probe(ProbeArgs),
    /// Learn a symmetry L_θ of a finished experiment's model against a discriminator.
    Symmetry(SymmetryArgs),
    /// Find the affine generators a finished experiment's model is invariant to.
    Lie(LieArgs),
    /// The geometry of a data set's patches: PCA spectra and intrinsic dimension per size.
    Geometry(GeometryArgs),
    /// The scattering transform of a few test images, with its filters, as JSON (what
    /// `bench/scattering_kymatio.sh` compares with Kymatio).
    Scattering(ScatteringArgs),
    /// Queue and run the Replications page's claims here, then print memlab's number and the
    /// verdict of each.
    Replicate(ReplicateArgs),
}

fn main() -> anyhow::Result<()> {
    memlab_server::allocator::keep_freed_memory();
    memlab_science::cpu::init_threads();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_start(memlab_science::cpu::flush_subnormals)
        .build()?
        .block_on(run_command())
}

async fn run_command() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve(args) => serve(args).await,
        Command::Train(args) => train(args).await,
        Command::Bounds(args) => bounds(args).await,
        Command::Probe(args) => probe(args).await,
        Command::Symmetry(args) => symmetry(args).await,
        Command::Lie(args) => lie_command(args).await,
        Command::Geometry(args) => geometry_command(args),
        Command::Scattering(args) => scattering_command(args),
        Command::Replicate(args) => replicate_command(args).await,
    }
}
