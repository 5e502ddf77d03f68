//! `memlab replicate`: queues the runs of the Replications page's claims in this data folder,
//! runs them here with the job runner, and prints each claim with memlab's number and verdict.

use std::time::Duration;

use super::common::{Common, choose_device, datasets_dir};
use anyhow::Context;
use clap::Args;
use memlab_science::replications::catalog;
use memlab_server::ServeOptions;
use memlab_server::{jobs, replicate, replications};

#[derive(Debug, Args)]
pub(crate) struct ReplicateArgs {
    #[command(flatten)]
    common: Common,
    /// The cheap sizes (smaller grids and training sets; minutes to an hour on 2 cores).
    #[arg(long)]
    quick: bool,
    /// Only these claims (keys, e.g. `zhang-fit`); every claim whose runs can be queued when
    /// absent.
    #[arg(long)]
    only: Vec<String>,
}

/// How often the waiting loop looks at the runs.
const POLL: Duration = Duration::from_secs(5);

pub(crate) async fn replicate_command(args: ReplicateArgs) -> anyhow::Result<()> {
    let claims = catalog::claims();
    for key in &args.only {
        if !claims
            .iter()
            .any(|claim| claim.row.key == *key && claim.row.runnable)
        {
            anyhow::bail!(
                "no claim {key} whose runs can be queued; the claims: {}",
                claims
                    .iter()
                    .filter(|c| c.row.runnable)
                    .map(|c| c.row.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let (device, device_name) = choose_device(args.common.device)?;
    let state = memlab_server::build_state(ServeOptions {
        datasets_dir: datasets_dir(&args.common),
        data_dir: args.common.data_dir.clone(),
        static_dir: "dist".into(),
        demo: None,
        read_only: false,
        admin_token: None,
        device,
        device_name,
    })
    .await?;
    let mut recipes = Vec::new();
    for claim in claims
        .iter()
        .filter(|c| args.only.is_empty() || args.only.contains(&c.row.key))
    {
        for recipe in replicate::recipes(&claim.row.key, args.quick) {
            if !recipes.contains(&recipe) {
                recipes.push(recipe);
            }
        }
    }
    let mut targets = Vec::new();
    for recipe in &recipes {
        let (evidence, target) = replicate::queue(&state, recipe)
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))
            .context("queueing a replication's runs")?;
        println!("queued: {}", evidence.label);
        targets.push(target);
    }
    let worker = jobs::spawn_worker(state.clone());
    let started = std::time::Instant::now();
    loop {
        let mut open = 0;
        for &target in &targets {
            if !replicate::settled(&state, target)
                .await
                .map_err(|error| anyhow::anyhow!("{error}"))?
            {
                open += 1;
            }
        }
        if open == 0 {
            break;
        }
        tracing::info!(
            open,
            seconds = started.elapsed().as_secs(),
            "replication runs still going"
        );
        tokio::time::sleep(POLL).await;
    }
    state.stop();
    worker.abort();
    println!(
        "runs settled in {:.0} s; the claims:",
        started.elapsed().as_secs_f64()
    );
    for row in replications::rows(&state).await? {
        println!(
            "  {:<18} {:<12} {}",
            row.key,
            row.verdict().label(),
            row.measured
                .as_ref()
                .map_or("no run yet", |measured| measured.value.as_str())
        );
    }
    Ok(())
}
