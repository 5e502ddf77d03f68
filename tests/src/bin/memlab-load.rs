//! A bounded load test of `POST /api/experiments/{id}/predict` on a server at 127.0.0.1 (run by
//! `bench/load.sh`): `--concurrency` clients send a 28×28 digit as fast as answers come, for
//! `--seconds` or `--max-requests`, whichever ends first; prints the throughput, the errors and
//! the latency percentiles. With `--background-training` it first queues a long LeNet run, so
//! the server trains while it answers. Never a test: numbers go to the notes, not assertions.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use memlab_shared::api::{Experiment, ExperimentConfig, JobStatus, ModelKind, OptimizerKind};
use memlab_shared::preprocess::Pixels;

struct Options {
    base: String,
    background: bool,
    experiment: i64,
    seconds: f64,
    concurrency: usize,
    max_requests: usize,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        base: String::new(),
        background: false,
        experiment: 1,
        seconds: 30.0,
        concurrency: 8,
        max_requests: 1_000_000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--background-training" {
            options.background = true;
            continue;
        }
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--base" => options.base = value,
            "--experiment" => options.experiment = value.parse()?,
            "--seconds" => options.seconds = value.parse()?,
            "--concurrency" => options.concurrency = value.parse()?,
            "--max-requests" => options.max_requests = value.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"];
    if !loopback
        .iter()
        .any(|prefix| options.base.starts_with(prefix))
    {
        bail!("--base must be a server on this machine (http://127.0.0.1:PORT)");
    }
    if !(1.0..=600.0).contains(&options.seconds)
        || !(1..=256).contains(&options.concurrency)
        || !(1..=1_000_000).contains(&options.max_requests)
    {
        bail!("bounds: 1–600 s, 1–256 clients, 1–1 000 000 requests");
    }
    Ok(options)
}

/// A digit-like 28×28 stroke (a ring), as PNG.
fn digit_png() -> anyhow::Result<Vec<u8>> {
    let bytes: Vec<u8> = (0..28 * 28)
        .map(|p| {
            let (row, col) = ((p / 28) as f64 - 13.5, (p % 28) as f64 - 13.5);
            let radius = (row * row + col * col).sqrt();
            if (6.0..9.0).contains(&radius) { 255 } else { 0 }
        })
        .collect();
    Pixels::from_u8(1, 28, 28, &bytes)
        .to_png()
        .map_err(|error| anyhow::anyhow!("{error}"))
}

/// Experiment `id` as the server reports it.
async fn experiment(client: &reqwest::Client, base: &str, id: i64) -> anyhow::Result<Experiment> {
    Ok(client
        .get(format!("{base}/api/experiments/{id}"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// The status of experiment `id`.
async fn status(client: &reqwest::Client, base: &str, id: i64) -> anyhow::Result<JobStatus> {
    Ok(experiment(client, base, id).await?.status)
}

/// Queues a long LeNet run on MNIST and waits until it trains; returns its id.
async fn start_training(client: &reqwest::Client, base: &str) -> anyhow::Result<i64> {
    let config = ExperimentConfig {
        name: Some("background training".into()),
        dataset: "mnist".into(),
        model: ModelKind::Lenet,
        n_train: None,
        epochs: 50,
        seed: 2,
        learning_rate: 1e-3,
        batch_size: 64,
        optimizer: OptimizerKind::Adam,
        randomization: Default::default(),
        stop_at_train_accuracy: None,
        augmentation: Default::default(),
        patches: Default::default(),
        scattering: Default::default(),
    };
    let created: Experiment = client
        .post(format!("{base}/api/experiments"))
        .json(&config)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    for _ in 0..600 {
        if status(client, base, created.id).await? == JobStatus::Running {
            println!("background training (experiment {}): running", created.id);
            return Ok(created.id);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the background run did not start within a minute")
}

/// The value at quantile `q` of sorted `values`.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = options()?;
    let png = digit_png()?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(options.concurrency)
        .build()?;
    let url = format!(
        "{}/api/experiments/{}/predict",
        options.base.trim_end_matches('/'),
        options.experiment
    );
    let base = options.base.trim_end_matches('/');
    let training = if options.background {
        Some(start_training(&client, base).await?)
    } else {
        None
    };
    let deadline = Instant::now() + Duration::from_secs_f64(options.seconds);
    let budget = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(options.max_requests));
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..options.concurrency {
        let (client, url, png, budget) = (client.clone(), url.clone(), png.clone(), budget.clone());
        clients.push(tokio::spawn(async move {
            let (mut latencies, mut errors, mut first_error) = (Vec::new(), 0usize, None);
            while Instant::now() < deadline
                && budget
                    .fetch_update(
                        std::sync::atomic::Ordering::SeqCst,
                        std::sync::atomic::Ordering::SeqCst,
                        |left| left.checked_sub(1),
                    )
                    .is_ok()
            {
                let form = reqwest::multipart::Form::new().part(
                    "image",
                    reqwest::multipart::Part::bytes(png.clone()).file_name("digit.png"),
                );
                let sent = Instant::now();
                let outcome = client.post(&url).multipart(form).send().await;
                let ok = match outcome {
                    Ok(response) => {
                        let status = response.status();
                        let body = response.bytes().await;
                        if !status.is_success() && first_error.is_none() {
                            first_error = Some(format!(
                                "{status}: {}",
                                String::from_utf8_lossy(&body.unwrap_or_default())
                            ));
                        }
                        status.is_success()
                    }
                    Err(error) => {
                        first_error.get_or_insert(error.to_string());
                        false
                    }
                };
                latencies.push(sent.elapsed());
                errors += usize::from(!ok);
            }
            (latencies, errors, first_error)
        }));
    }
    let (mut latencies, mut errors, mut first_error) = (Vec::new(), 0, None);
    for client in clients {
        let (mine, failed, error) = client.await?;
        latencies.extend(mine);
        errors += failed;
        first_error = first_error.or(error);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "load: {} requests in {elapsed:.1} s from {} clients: {:.1} requests/s, {errors} errors",
        latencies.len(),
        options.concurrency,
        latencies.len() as f64 / elapsed
    );
    println!(
        "latency: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(quantile(&latencies, 0.5)),
        ms(quantile(&latencies, 0.9)),
        ms(quantile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default())
    );
    if let Some(error) = first_error {
        println!("first error: {error}");
    }
    if let Some(id) = training {
        let run = experiment(&client, base, id).await?;
        match run.progress {
            Some(p) => println!(
                "background training (experiment {id}): {:?}, epoch {} step {}/{}, {:.0} images/s in this epoch",
                run.status, p.epoch, p.step, p.steps_per_epoch, p.images_per_second
            ),
            None => println!("background training (experiment {id}): {:?}", run.status),
        }
    }
    Ok(())
}
