//! Bound panels on the experiment page: the stored numbers shown, recomputed from the page,
//! the PAC-Bayes certificate, and the charts' hover values and downloads.

use std::time::Duration;

use anyhow::{Context, bail};
use fantoccini::{Client, Locator};
use memlab_e2e::TestApp;
use memlab_shared::api::JobStatus;
use memlab_shared::bounds::{BoundJob, BoundPanel};

use crate::page::*;

/// Runs the independent numpy checker (`tests/checker/check_bounds.py`) on the stored panel of
/// `id`: it recomputes the norms, margins and bounds from the exported weights and MNIST's files
/// and fails on any difference above 1e-3 relative (or a certified norm below the SVD's).
pub async fn numpy_checker_agrees(app: &TestApp, id: i64) -> anyhow::Result<()> {
    let python = std::env::var("MEMLAB_CHECKER_PYTHON").context(
        "MEMLAB_CHECKER_PYTHON is not set: run the tests through `cargo xtask test`, which \
         installs the checker's numpy",
    )?;
    let datasets = std::env::var("MEMLAB_DATASETS_DIR").context("MEMLAB_DATASETS_DIR")?;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("checker/check_bounds.py");
    let mut command = std::process::Command::new(&python);
    command
        .arg(&script)
        .arg(&app.base_url)
        .arg(id.to_string())
        .arg(std::path::Path::new(&datasets).join("mnist"));
    let output = tokio::task::spawn_blocking(move || command.output())
        .await?
        .with_context(|| format!("starting {python}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{text}");
    if !output.status.success() {
        bail!("the numpy checker disagrees with the panel of {id}:\n{text}");
    }
    Ok(())
}

/// Waits until the stored bound job of `id` is finished and returns its panel.
pub async fn stored_panel(app: &TestApp, id: i64) -> anyhow::Result<BoundPanel> {
    for _ in 0..600 {
        if let Ok(job) = app
            .get_json::<BoundJob>(&format!("/api/experiments/{id}/bounds"))
            .await
            && !matches!(job.status, JobStatus::Queued | JobStatus::Running)
        {
            return job
                .result
                .with_context(|| format!("no panel: {:?}", job.error));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("the bound panel of {id} did not finish within 5 min")
}

/// The first finished panel of `id` that satisfies `wanted` (the button's request may land
/// after an older panel is read), within 5 min.
pub async fn panel_where(
    app: &TestApp,
    id: i64,
    wanted: impl Fn(&BoundPanel) -> bool,
) -> anyhow::Result<BoundPanel> {
    for _ in 0..600 {
        let panel = stored_panel(app, id).await?;
        if wanted(&panel) {
            return Ok(panel);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("no panel of {id} as wanted within 5 min")
}

/// Scrolls to the panel, takes a screenshot and logs the bounds of the `label` demo.
pub async fn record_panel(
    client: &Client,
    panel: &BoundPanel,
    file: &str,
    label: &str,
) -> anyhow::Result<()> {
    client
        .execute(
            "document.getElementById('bounds').scrollIntoView();",
            vec![],
        )
        .await?;
    screenshot(client, file).await?;
    let values: Vec<_> = panel
        .bounds
        .iter()
        .map(|bound| (bound.key.as_str(), bound.value))
        .collect();
    eprintln!(
        "bound panel of the {label} demo in {:.2} s: {values:?}",
        panel.seconds
    );
    Ok(())
}

/// Every bound value the page shows equals the stored one (to the digits shown).
pub async fn check_shown_bounds(client: &Client, panel: &BoundPanel) -> anyhow::Result<()> {
    let script = "return Array.from(document.querySelectorAll('#bounds-table .bound-row')).map(row => \
        [row.dataset.key, (row.querySelector('.bound') || {textContent: ''}).textContent, \
         (row.querySelector('.why-vacuous') || {textContent: ''}).textContent]);";
    let shown: Vec<(String, String, String)> =
        serde_json::from_value(client.execute(script, vec![]).await?)?;
    assert_eq!(shown.len(), panel.bounds.len());
    for ((key, text, why), bound) in shown.iter().zip(&panel.bounds) {
        assert_eq!(key, &bound.key);
        // Each vacuous bound says why, in one line, and only those.
        assert_eq!(
            bound.why_vacuous.is_some(),
            bound.vacuous && bound.value.is_some(),
            "{key}"
        );
        assert_eq!(
            why,
            bound.why_vacuous.as_deref().unwrap_or_default(),
            "{key}"
        );
        match bound.value {
            Some(stored) => {
                let value: f64 = text.parse().with_context(|| format!("{key}: {text:?}"))?;
                assert!(
                    (value - stored).abs() <= (5e-4 * stored.abs()).max(5e-5),
                    "{key}: page {value} vs stored {stored}"
                );
            }
            None => assert!(text.is_empty(), "{key} has no value but shows {text:?}"),
        }
    }
    let summary = wait_text(client, "#bounds-summary").await?;
    assert!(
        summary.contains(&format!("test error {:.4}", panel.test_error))
            && summary.contains(&format!("δ = {}", panel.delta)),
        "{summary}"
    );
    check_chart(
        client,
        "bound-chart",
        panel.bounds.iter().filter(|b| b.value.is_some()).count(),
    )
    .await
}

/// A chart on the page: its SVG has a hover value per point or bar (`values`), its SVG
/// download is that SVG, and its PNG download renders.
pub async fn check_chart(client: &Client, id: &str, values: usize) -> anyhow::Result<()> {
    let read = format!(
        "const f = document.getElementById('{id}');
         return [f.querySelectorAll('svg circle.hover title').length,
                 f.querySelector('a.download-svg').getAttribute('href').slice(0, 26),
                 atob(f.querySelector('a.download-svg').getAttribute('href').split(',')[1])
                   .includes('<title>')];"
    );
    let (hover, href, titled): (usize, String, bool) =
        serde_json::from_value(client.execute(&read, vec![]).await?)?;
    assert_eq!(hover, values, "{id}: hover values");
    assert_eq!(href, "data:image/svg+xml;base64,", "{id}");
    assert!(titled, "{id}: the SVG download carries the hover values");
    client
        .execute(
            &format!("document.querySelector('#{id} button.download-png').click();"),
            vec![],
        )
        .await?;
    let saved = wait_text(client, &format!("#{id} .saved")).await?;
    assert!(
        saved.starts_with("saved ") && saved.contains(".png ("),
        "{saved}"
    );
    Ok(())
}

/// The bound panels: each demo's is computed when it finishes training and shown on its page
/// with the stored numbers; the button recomputes it with another δ.
pub async fn check_bound_panels(
    app: &TestApp,
    client: &Client,
    lenet: i64,
    mlp: i64,
) -> anyhow::Result<()> {
    let panel = stored_panel(app, lenet).await?;
    numpy_checker_agrees(app, lenet).await?;
    client
        .goto(&app.url(&format!("/experiments/{lenet}")))
        .await?;
    wait_for(client, Locator::Id("bounds-table")).await?;
    check_shown_bounds(client, &panel).await?;
    wait_for(client, Locator::Id("delta")).await?;
    fill(client, "delta", "0.01").await?;
    // The finished run's page stays as it is (no redraw that would lose what was typed, as
    // when the ended event stream reconnected every few seconds).
    tokio::time::sleep(Duration::from_secs(7)).await;
    let typed = client
        .execute("return document.getElementById('delta').value;", vec![])
        .await?;
    assert_eq!(typed.as_str(), Some("0.01"), "the page was redrawn");
    client
        .find(Locator::Id("compute-bounds"))
        .await?
        .click()
        .await?;
    let panel = panel_where(app, lenet, |panel| panel.delta == 0.01).await?;
    assert_eq!(panel.delta, 0.01);
    client
        .goto(&app.url(&format!("/experiments/{lenet}")))
        .await?;
    wait_for(client, Locator::Id("bounds-table")).await?;
    check_shown_bounds(client, &panel).await?;
    record_panel(client, &panel, "bounds.png", "LeNet").await?;

    // Every bound applies to the fully connected demo, but those of a linear head on fixed
    // features.
    let panel = stored_panel(app, mlp).await?;
    numpy_checker_agrees(app, mlp).await?;
    assert!(
        panel
            .bounds
            .iter()
            .all(|bound| bound.value.is_some() != bound.key.starts_with("linear_pac_bayes")),
        "{:?}",
        panel.bounds
    );
    client
        .goto(&app.url(&format!("/experiments/{mlp}")))
        .await?;
    wait_for(client, Locator::Id("bounds-table")).await?;
    check_shown_bounds(client, &panel).await?;

    // The optimized PAC-Bayes certificate from the page, briefly trained.
    wait_for(client, Locator::Id("pac-bayes"))
        .await?
        .click()
        .await?;
    fill(client, "pb-steps", "100").await?;
    fill(client, "pb-samples", "1000").await?;
    client
        .find(Locator::Id("compute-bounds"))
        .await?
        .click()
        .await?;
    let panel = panel_where(app, mlp, |panel| {
        panel.bounds.iter().any(|bound| bound.key == "dr")
    })
    .await?;
    let certificate = panel
        .bounds
        .iter()
        .find(|bound| bound.key == "dr")
        .context("no PAC-Bayes certificate")?;
    let value = certificate.value.context("certificate value")?;
    assert!((0.0..=1.0).contains(&value), "{value}");
    client
        .goto(&app.url(&format!("/experiments/{mlp}")))
        .await?;
    wait_for(
        client,
        Locator::Css("#bounds-table .bound-row[data-key='dr']"),
    )
    .await?;
    check_shown_bounds(client, &panel).await?;
    record_panel(client, &panel, "bounds-mlp.png", "MLP").await?;
    Ok(())
}
