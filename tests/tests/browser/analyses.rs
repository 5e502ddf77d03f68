//! Analyses of the LeNet demo from its page: the invariance probe, Lie generators, a short
//! learned symmetry and its orbit on the probe page against the native L_θ.

use std::time::Duration;

use anyhow::{Context, bail};
use fantoccini::{Client, Locator};
use memlab_e2e::TestApp;
use memlab_shared::api::JobStatus;
use memlab_shared::lie::LieJob;
use memlab_shared::preprocess::decode_image;
use memlab_shared::probes::{ProbeJob, ProbeReport};
use memlab_shared::symmetry::{SymmetryJob, SymmetrySearch};
use memlab_shared::transform::{TransformKind, rotate};

use crate::page::*;

/// Reads `#orbit`'s probabilities once its key ends with `key_suffix`.
pub async fn orbit_for(client: &Client, key_suffix: &str) -> anyhow::Result<Vec<Vec<f32>>> {
    keyed_probabilities(client, "#orbit", "#orbit-error", key_suffix).await
}

/// The learned symmetry's orbit on the probe page, x, L x, …, L⁴ x, computed in the browser on
/// its default backend and on the CPU fallback, for test image 0 at 20°, an uploaded digit and a
/// drawn stroke (the sliders stay at 20° for both): each prediction equals the native model's on
/// the native L_θ's orbit from the stored weights (1e-4).
pub async fn check_orbit(app: &TestApp, client: &Client, id: i64) -> anyhow::Result<()> {
    let device = burn::prelude::Device::flex();
    let (card, model) =
        memlab_store::artifacts::load(&memlab_store::LocalDir::new(&app.data_dir), id, &device)?;
    let record = memlab_store::artifacts::read(
        &memlab_store::LocalDir::new(&app.data_dir),
        &memlab_store::artifacts::symmetry_key(id, "from_phi"),
    )?;
    let job: SymmetryJob = app
        .get_json(&format!("/api/experiments/{id}/symmetry/from_phi"))
        .await?;
    let network = job.result.context("the symmetry has no report")?.network;
    let transform = memlab_science::weights::load_into(network.init(&device), &record)?;
    // The native orbit's predictions of `png` as the page shows it (decoded, rotated 20°).
    let native = |png: &[u8]| -> anyhow::Result<Vec<Vec<f32>>> {
        let pixels = rotate(&decode_image(png, &card.input)?, 20.0);
        let shape = [1, 1, pixels.height, pixels.width];
        let mut current = burn::prelude::Tensor::<4>::from_data(
            burn::prelude::TensorData::new(pixels.values.clone(), shape),
            &device,
        );
        let mut rows = Vec::new();
        for power in 0..5 {
            if power > 0 {
                current = transform.forward(current);
            }
            let values = current
                .clone()
                .into_data()
                .try_into_vec::<f32>()
                .map_err(|error| anyhow::anyhow!("{error:?}"))?;
            let image = memlab_shared::preprocess::Pixels {
                values,
                ..pixels.clone()
            };
            rows.push(
                memlab_server::inference::predict_pixels(&model, &card, &image, &device)
                    .probabilities,
            );
        }
        Ok(rows)
    };
    let compare = |browser: &[Vec<f32>], native: &[Vec<f32>], what: &str| {
        assert_eq!(browser.len(), 5, "x and four powers of L ({what})");
        for (power, (row, expected)) in browser.iter().zip(native).enumerate() {
            assert_close(row, expected, &format!("L^{power} x of {what}"));
        }
    };
    let dir = tempfile::tempdir()?;
    let upload = sample_png(app, 3).await?;
    let upload_path = dir.path().join("digit.png");
    std::fs::write(&upload_path, &upload)?;
    let test_image = native(&sample_png(app, 0).await?)?;
    let uploaded = native(&upload)?;
    let mut backends = Vec::new();
    for query in ["", "&backend=cpu"] {
        client
            .goto(&app.url(&format!(
                "/experiments/{id}/probe?sample=0&rotation=20{query}"
            )))
            .await?;
        let browser = orbit_for(client, "test image 0 of mnist|rotation=20|from_phi").await?;
        let backend = backend(client).await?;
        compare(&browser, &test_image, &format!("test image 0 on {backend}"));
        client
            .find(Locator::Css("#upload"))
            .await?
            .send_keys(&upload_path.display().to_string())
            .await?;
        let browser = orbit_for(client, "upload digit.png|rotation=20|from_phi").await?;
        compare(
            &browser,
            &uploaded,
            &format!("the uploaded digit on {backend}"),
        );
        let drawn = draw_stroke(client).await?;
        let browser = orbit_for(client, "drawing|rotation=20|from_phi").await?;
        compare(
            &browser,
            &native(&drawn)?,
            &format!("the drawing on {backend}"),
        );
        wait_for(client, Locator::Id("orbit-heat")).await?;
        client
            .execute(
                "document.getElementById('orbit-section').scrollIntoView();",
                vec![],
            )
            .await?;
        screenshot(client, &format!("probe-orbit-drawing-{backend}.png")).await?;
        backends.push(backend);
    }
    eprintln!("orbit of L_θ checked on: {}", backends.join(", "));
    assert_eq!(backends.last().map(String::as_str), Some("cpu"));
    Ok(())
}

/// A learned symmetry of the LeNet demo from its page (a short run): the stored report's
/// scores, chart and last sample grid are shown.
pub async fn check_symmetry(app: &TestApp, client: &Client, id: i64) -> anyhow::Result<()> {
    client.goto(&app.url(&format!("/experiments/{id}"))).await?;
    wait_for(client, Locator::Id("learn-symmetry")).await?;
    fill(client, "symmetry-steps", "30").await?;
    // Discovery on (λ_flip 1), one self-training round of the splitter to keep it short; L
    // starts at the latent reflection (the page's default start).
    fill(client, "symmetry-flip", "1").await?;
    fill(client, "symmetry-rounds", "1").await?;
    let start = client
        .find(Locator::Id("symmetry-search"))
        .await?
        .prop("value")
        .await?;
    assert_eq!(start.as_deref(), Some("reflection"));
    client
        .find(Locator::Id("learn-symmetry"))
        .await?
        .click()
        .await?;
    let url = format!("/api/experiments/{id}/symmetry/from_phi");
    let started = std::time::Instant::now();
    let mut report = None;
    // A hang, not a speed, is what the limit catches: the run shares two cores with another
    // scenario.
    for _ in 0..3600 {
        if let Ok(job) = app.get_json::<SymmetryJob>(&url).await
            && !matches!(job.status, JobStatus::Queued | JobStatus::Running)
        {
            report = Some(
                job.result
                    .with_context(|| format!("no report: {:?}", job.error))?,
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let report = report.context("the symmetry did not finish within 30 min")?;
    eprintln!(
        "symmetry job (stage A, one round, the latent reflection, 30 steps): {:.0} s from the click, {:.0} s of work",
        started.elapsed().as_secs_f64(),
        report.seconds
    );
    assert!(report.finished && report.history.last().map(|s| s.step) == Some(30));
    let discovery = report.discovery.as_ref().context("no discovery report")?;
    assert_eq!(discovery.rounds.len(), 1);
    assert_eq!(report.splitter_flip_by_class.len(), 10);
    client.goto(&app.url(&format!("/experiments/{id}"))).await?;
    wait_for(client, Locator::Id("symmetry-grid-from_phi")).await?;
    wait_for(client, Locator::Css("#symmetry-chart-from_phi svg")).await?;
    let kept = wait_text(client, "#symmetry-scores-from_phi .kept").await?;
    assert_eq!(kept, format!("{:.1} %", report.prediction_kept * 100.0));
    wait_for(client, Locator::Id("symmetry-discovery-from_phi")).await?;
    let by_class = wait_text(client, "#symmetry-by-class-from_phi").await?;
    assert!(by_class.contains("9: "), "{by_class}");
    // What L does to each digit (MNIST has no ground truth: this is the evidence), with the
    // stored numbers: a row and a grid per digit.
    assert_eq!(
        report.by_class.len(),
        10,
        "every digit is among 500 test images"
    );
    let rows = client
        .find_all(Locator::Css(
            "#symmetry-classes-from_phi tr[data-class] img.class-grid",
        ))
        .await?;
    assert_eq!(rows.len(), 10);
    let most = wait_text(client, "#symmetry-most-changed-from_phi").await?;
    let top = report
        .by_class
        .iter()
        .max_by(|a, b| a.mean_change.total_cmp(&b.mean_change))
        .context("no class")?;
    // How: MNIST's digits are strokes on a dark ground, so every class has its shape measured.
    let shape = top.shape.context("no shape measures on MNIST")?;
    assert!(
        most.starts_with(&format!(
            "L changes most: {} ({:.4}: {})",
            top.name,
            top.mean_change,
            shape.describe()
        )),
        "{most}"
    );
    let cells = client
        .find_all(Locator::Css(
            "#symmetry-classes-from_phi tr[data-class] td.shape",
        ))
        .await?;
    assert_eq!(cells.len(), 10);
    for (cell, effect) in cells.iter().zip(&report.by_class) {
        let shape = effect.shape.context("a digit without shape measures")?;
        assert_eq!(cell.text().await?, shape.describe());
    }
    eprintln!("MNIST learned symmetry by digit: {most}");
    client
        .execute(
            "document.getElementById('symmetry-classes-from_phi').scrollIntoView();",
            vec![],
        )
        .await?;
    screenshot(client, "symmetry-by-digit.png").await?;
    // The latent reflection L started from: every candidate in the table, the chosen one marked.
    let reflection = report
        .reflection
        .as_ref()
        .context("no latent-reflection report")?;
    assert!(
        reflection.candidates.len() >= 9,
        "{:?}",
        reflection.candidates
    );
    assert_eq!(report.settings.search, Some(SymmetrySearch::Reflection));
    for candidate in &reflection.candidates {
        eprintln!(
            "MNIST reflection candidate: {}: bimodality {:.3}, kept {:.3}, change {:.4}, S flips {:?}",
            candidate.name,
            candidate.bimodality,
            candidate.kept,
            candidate.mean_change,
            candidate.splitter_flip_rate
        );
    }
    let rows = client
        .find_all(Locator::Css("#symmetry-reflection-from_phi tr"))
        .await?;
    assert_eq!(rows.len(), reflection.candidates.len() + 1);
    let chosen = wait_text(
        client,
        &format!(
            "#symmetry-reflection-from_phi tr:nth-child({}) td:first-child",
            reflection.chosen + 2
        ),
    )
    .await?;
    assert_eq!(chosen, format!("{} ✓", reflection.chosen + 1));
    client
        .execute(
            "document.getElementById('symmetry-reflection-from_phi').scrollIntoView();",
            vec![],
        )
        .await?;
    screenshot(client, "symmetry-reflection.png").await?;
    eprintln!(
        "symmetry of the LeNet demo (30 steps): kept {kept}, RMS change {:.4}, D accuracy {:.3}",
        report.mean_change, report.discriminator_accuracy
    );
    client
        .execute(
            "document.getElementById('symmetry').scrollIntoView();",
            vec![],
        )
        .await?;
    screenshot(client, "symmetry.png").await?;
    // The objective's total of the final L, as stored (MNIST has no L* column), then each
    // known transform's, and their totals at the equilibrium.
    let row = |class: &str, column: usize| {
        format!("#symmetry-objective-from_phi tr.{class} td:nth-child({column})")
    };
    let total = wait_text(client, &row("objective-total", 2)).await?;
    assert_eq!(total, format!("{:.4}", report.objective.total));
    assert_eq!(report.references.len(), 4, "{:?}", report.references);
    for (column, reference) in (3..).zip(&report.references) {
        let shown = wait_text(client, &row("objective-total", column)).await?;
        assert_eq!(
            shown,
            format!("{:.4}", reference.objective.total),
            "{}",
            reference.name
        );
        let bound = wait_text(client, &row("objective-equilibrium", column)).await?;
        let expected = reference.objective.at_equilibrium(&report.settings);
        assert_eq!(bound, format!("{expected:.4}"), "{}", reference.name);
    }
    client
        .execute(
            "document.getElementById('symmetry-objective-from_phi').scrollIntoView();",
            vec![],
        )
        .await?;
    screenshot(client, "symmetry-objective.png").await
}

/// The finished invariance probe of `id` over `images` test images, within 5 min.
pub async fn stored_probe(app: &TestApp, id: i64, images: usize) -> anyhow::Result<ProbeReport> {
    let url = format!("/api/experiments/{id}/probes");
    for _ in 0..600 {
        if let Ok(job) = app.get_json::<ProbeJob>(&url).await
            && !matches!(job.status, JobStatus::Queued | JobStatus::Running)
            && let Some(report) = job.result.filter(|r| r.n_images == images)
        {
            return Ok(report);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("no probe of {images} images of {id} within 5 min")
}

/// The invariance probe of the LeNet demo, computed when it finished: curves on its page with
/// the stored numbers; the button probes again with fewer images.
pub async fn check_probes(app: &TestApp, client: &Client, id: i64) -> anyhow::Result<()> {
    let report = stored_probe(app, id, 500).await?;
    let kinds: Vec<TransformKind> = report.curves.iter().map(|c| c.sweep.transform).collect();
    assert_eq!(kinds, TransformKind::CLASSICAL);
    client.goto(&app.url(&format!("/experiments/{id}"))).await?;
    for plot in [
        "rotation",
        "translatex",
        "translatey",
        "scale",
        "brightness",
    ] {
        wait_for(client, Locator::Css(&format!("#probe-{plot} svg"))).await?;
    }
    let means = wait_text(client, "#probes-means").await?;
    for curve in &report.curves {
        let shown = format!(
            "{} {:.3}",
            curve.sweep.transform.label(),
            curve.mean_consistency()
        );
        assert!(means.contains(&shown), "{shown} not in {means}");
    }
    eprintln!("probe of the LeNet demo: {means}");
    client
        .execute(
            "document.getElementById('probes').scrollIntoView();",
            vec![],
        )
        .await?;
    screenshot(client, "probes.png").await?;
    fill(client, "probe-images", "100").await?;
    client
        .find(Locator::Id("run-probes"))
        .await?
        .click()
        .await?;
    let again = stored_probe(app, id, 100).await?;
    assert_eq!(again.curves.len(), report.curves.len());

    // Lie generators from the same page.
    client
        .find(Locator::Id("find-generators"))
        .await?
        .click()
        .await?;
    let url = format!("/api/experiments/{id}/lie");
    let mut lie = None;
    let mut last = String::from("no job");
    for attempt in 0..600 {
        match app.get_json::<LieJob>(&url).await {
            Ok(job) if !matches!(job.status, JobStatus::Queued | JobStatus::Running) => {
                lie = Some(
                    job.result
                        .with_context(|| format!("no generators: {:?}", job.error))?,
                );
                break;
            }
            Ok(job) => {
                last = format!(
                    "{:?} at {:.0} %: {}",
                    job.status,
                    job.progress * 100.0,
                    job.stage
                );
            }
            Err(_) if attempt == 40 => {
                // No job 20 s after the click: say what the page shows, then press again.
                let shown = client
                    .execute(
                        "const e = document.querySelector('#lie .error'); return e ? e.textContent : '';",
                        vec![],
                    )
                    .await?;
                eprintln!(
                    "no Lie job 20 s after the click (the page says {shown}); clicking again"
                );
                wait_for(client, Locator::Id("find-generators"))
                    .await?
                    .click()
                    .await?;
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let lie = lie.with_context(|| format!("discovery did not finish within 5 min ({last})"))?;
    client.goto(&app.url(&format!("/experiments/{id}"))).await?;
    let summary = wait_text(client, "#lie-summary").await?;
    let best = &lie.generators[0];
    assert!(
        summary.contains(&format!("closest to {}", best.closest)),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("sensitivity {:.4}", best.sensitivity)),
        "{summary}"
    );
    eprintln!("Lie generators of the LeNet demo: {summary}");
    Ok(())
}
