//! The browser latency benchmark: starts memlab (in this process) on an empty folder, waits for
//! the LeNet demo to train, then opens its benchmark page (`/experiments/{id}/benchmark`) in
//! headless Chromium on WebGPU and on the wasm CPU fallback and prints each page's report: one
//! image's forward pass, one slider update and one batched pass of 64 images (median, 90th
//! percentile, best). `bench/browser_latency.sh` builds the frontend and runs it.
//!
//!   memlab-browser-bench [--runs 40]

use std::time::Duration;

use anyhow::{Context, bail};
use memlab_e2e::TestApp;
use memlab_e2e::browser::{browser, start_driver};
use memlab_shared::api::Experiment;

/// Waits for the page's report (its `data-report` JSON) or its error.
async fn report(client: &fantoccini::Client) -> anyhow::Result<serde_json::Value> {
    let read = "const e = document.getElementById('benchmark');
                const failed = document.getElementById('benchmark-error');
                return failed ? ['error', failed.textContent] : e ? ['ok', e.dataset.report] : null;";
    for _ in 0..3000 {
        let value = client.execute(read, vec![]).await?;
        if let Some([kind, text]) = value.as_array().map(Vec::as_slice) {
            let text = text.as_str().unwrap_or_default();
            if kind == "error" {
                bail!("the benchmark page failed: {text}");
            }
            return Ok(serde_json::from_str(text)?);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("no report within 10 min")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut runs = 40usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().context("--runs N")?.parse()?,
            other => bail!("unknown argument {other} (usage: memlab-browser-bench [--runs N])"),
        }
    }
    let data = tempfile::tempdir()?;
    let app = TestApp::with_demos(data.path()).await?;
    let list: Vec<Experiment> = app.get_json("/api/experiments").await?;
    let demo = list
        .iter()
        .find(|experiment| experiment.name == "Demo: LeNet on MNIST")
        .context("no LeNet demo")?;
    eprintln!("training the LeNet demo…");
    app.wait_done(demo.id, Duration::from_secs(1800)).await?;
    let driver = start_driver()?;
    let mut reports = Vec::new();
    for query in ["", "&backend=cpu"] {
        let client = browser(&driver).await?;
        let url = app.url(&format!(
            "/experiments/{}/benchmark?runs={runs}{query}",
            demo.id
        ));
        let result = async {
            client.goto(&url).await?;
            report(&client).await
        }
        .await;
        client.close().await?;
        reports.push(result?);
    }
    app.stop().await?;
    println!("LeNet demo (MNIST, 28×28), headless Chromium, {runs} timed passes after 3 untimed");
    for report in &reports {
        println!(
            "{} ({}):",
            report["backend"].as_str().unwrap_or("?"),
            report["adapter"].as_str().unwrap_or("no adapter")
        );
        for timing in report["timings"].as_array().into_iter().flatten() {
            println!(
                "  {:<40} median {:>8.2} ms  p90 {:>8.2} ms  best {:>8.2} ms",
                timing["what"].as_str().unwrap_or("?"),
                timing["median_ms"].as_f64().unwrap_or(f64::NAN),
                timing["p90_ms"].as_f64().unwrap_or(f64::NAN),
                timing["best_ms"].as_f64().unwrap_or(f64::NAN)
            );
        }
        println!(
            "  slider loop: {:.0} updates/s",
            report["updates_per_second"].as_f64().unwrap_or(f64::NAN)
        );
    }
    println!("{}", serde_json::to_string(&reports)?);
    Ok(())
}
