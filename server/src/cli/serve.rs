//! `memlab serve`: the HTTP API, the frontend and the job runner, until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::common::{Common, choose_device, datasets_dir};
use anyhow::{Context, bail};
use clap::Args;
use memlab_server::ServeOptions;
use memlab_server::demo::DemoSettings;

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    common: Common,
    /// Address to listen on.
    #[arg(long, env = "MEMLAB_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The built frontend (Trunk's output).
    #[arg(long, env = "MEMLAB_STATIC_DIR", default_value = "dist")]
    static_dir: PathBuf,
    /// Do not queue the demo experiment on an empty store.
    #[arg(long)]
    no_demo: bool,
    /// Epochs of the demo run.
    #[arg(long, default_value_t = DemoSettings::default().epochs)]
    demo_epochs: usize,
    /// Training examples of the demo run (default: all).
    #[arg(long)]
    demo_n_train: Option<usize>,
    /// Do not search for the LeNet demo's learned symmetry once it has trained (minutes of
    /// CPU).
    #[arg(long)]
    demo_no_symmetry: bool,
    /// Public demo: serve everything read-only (browsing, probing, uploads to probe); requests
    /// that start work or write need the admin token.
    #[arg(long, visible_alias = "public")]
    read_only: bool,
    /// A file holding the admin bearer token of a public server (at least 16 characters).
    #[arg(long, env = "MEMLAB_ADMIN_TOKEN_FILE")]
    admin_token_file: Option<PathBuf>,
}

pub(crate) async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let (device, device_name) = choose_device(args.common.device)?;
    if !args.static_dir.join("index.html").is_file() {
        tracing::warn!(dir = %args.static_dir.display(), "no built frontend: run `cargo xtask build-web` (the API still works)");
    }
    let demo = (!args.no_demo).then_some(DemoSettings {
        n_train: args.demo_n_train,
        epochs: args.demo_epochs,
        symmetry: !args.demo_no_symmetry,
    });
    let admin_token = match &args.admin_token_file {
        Some(path) => {
            let token = std::fs::read_to_string(path)
                .with_context(|| format!("reading the admin token from {}", path.display()))?
                .trim()
                .to_owned();
            if token.chars().count() < 16 {
                bail!(
                    "the admin token in {} must have at least 16 characters",
                    path.display()
                );
            }
            Some(token)
        }
        None => None,
    };
    let state = memlab_server::build_state(ServeOptions {
        datasets_dir: datasets_dir(&args.common),
        data_dir: args.common.data_dir,
        static_dir: args.static_dir,
        demo,
        read_only: args.read_only,
        admin_token,
        device,
        device_name,
    })
    .await?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("binding {}", args.addr))?;
    let address = listener.local_addr()?;
    println!("memlab is serving on http://{address}/");
    memlab_server::run(listener, state, shutdown_signal()).await?;
    Ok(())
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM: the server then stops taking requests,
/// and the run in training checkpoints after its current step.
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down: the run in training checkpoints and stops");
}
