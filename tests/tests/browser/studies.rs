//! Studies from the studies page: a randomization study, an augmentation study and a patch
//! ablation, each followed to the end and plotted.

use std::time::Duration;

use anyhow::Context;
use fantoccini::{Client, Locator};
use memlab_e2e::TestApp;
use memlab_shared::api::JobStatus;
use memlab_shared::studies::Study;
use memlab_shared::transform::TransformKind;

use crate::page::*;

/// Submits the new-study form (filled by the caller), follows the page to the study and waits
/// (10 min at most) until it is no longer queued or running.
pub async fn submit_study(app: &TestApp, client: &Client) -> anyhow::Result<Study> {
    client
        .find(Locator::Css("#new-study button"))
        .await?
        .click()
        .await?;
    let mut address = client.current_url().await?;
    for _ in 0..100 {
        if address.path().starts_with("/studies/") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        address = client.current_url().await?;
    }
    let id: i64 = address
        .path()
        .trim_start_matches("/studies/")
        .parse()
        .with_context(|| format!("moved to {address}"))?;
    let mut study: Study = app.get_json(&format!("/api/studies/{id}")).await?;
    for _ in 0..1200 {
        if !matches!(study.status, JobStatus::Queued | JobStatus::Running) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        study = app.get_json(&format!("/api/studies/{id}")).await?;
    }
    assert_eq!(study.status, JobStatus::Done, "{study:?}");
    Ok(study)
}

/// Loads the study page afresh and waits for each plot to be drawn.
pub async fn show_study(
    app: &TestApp,
    client: &Client,
    id: i64,
    plots: &[&str],
) -> anyhow::Result<()> {
    client.goto(&app.url(&format!("/studies/{id}"))).await?;
    for plot in plots {
        client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(&format!("#{plot} svg")))
            .await
            .with_context(|| format!("{plot} not drawn"))?;
    }
    Ok(())
}

/// A randomization study from the studies page: the form queues it, the page follows it to the
/// end, every run fits its (random) labels, and the plots render.
pub async fn check_study(app: &TestApp, client: &Client) -> anyhow::Result<()> {
    client.goto(&app.url("/studies")).await?;
    wait_for(client, Locator::Id("new-study")).await?;
    fill(client, "study-n", "500").await?;
    fill(client, "study-grid", "0, 1").await?;
    fill(client, "study-epochs", "300").await?;
    let study = submit_study(app, client).await?;
    for member in &study.members {
        let metrics = member.experiment.metrics.as_ref().context("metrics")?;
        assert!(
            metrics.fitted_at_step.is_some(),
            "{} did not reach 100 % training accuracy: {metrics:?}",
            member.label
        );
    }
    let random = study
        .members
        .iter()
        .find(|m| m.label == "p = 1")
        .context("p = 1")?;
    let chance = random
        .experiment
        .metrics
        .as_ref()
        .context("metrics")?
        .test_accuracy;
    assert!(
        chance < 0.2,
        "random labels generalize at chance, got {chance}"
    );
    // The page polls while the study runs; a fresh load shows the finished study.
    let plots = ["plot-training", "plot-errors", "plot-bounds", "plot-fit"];
    show_study(app, client, study.id, &plots).await?;
    screenshot(client, "study.png").await?;
    // The Replications page reads the finished study into Zhang et al.'s row, linked.
    check_replication(app, client, "zhang-fit", study.id).await?;
    screenshot(client, "replications.png").await
}

/// The Replications page's row `key`: memlab's number from study `id`, a link to it, and a
/// verdict (the API's, shown).
pub async fn check_replication(
    app: &TestApp,
    client: &Client,
    key: &str,
    id: i64,
) -> anyhow::Result<()> {
    client.goto(&app.url("/replications")).await?;
    let row = format!("#replications tr[data-key='{key}']");
    let link = wait_text(client, &format!("{row} .measured a[href='/studies/{id}']")).await?;
    assert!(link.contains(&format!("study {id}")), "{link}");
    let value = wait_text(client, &format!("{row} .measured > span")).await?;
    let rows: Vec<memlab_shared::replications::Replication> =
        app.get_json("/api/replications").await?;
    assert!(rows.len() >= 9);
    let expected = rows
        .iter()
        .find(|r| r.key == key)
        .with_context(|| format!("no row {key}"))?;
    let measured = expected.measured.as_ref().context("measured")?;
    assert_eq!(value, measured.value);
    let verdict = wait_text(client, &format!("{row} .verdict")).await?;
    assert_eq!(verdict, expected.verdict().label());
    println!("replication {key}: {verdict}: {value}");
    Ok(())
}

/// A patch ablation from the form (the dictionary size Q, small ones so the debug build is
/// quick), on 2 000 MNIST images: each member trained and bounded; the page plots test error and
/// bounds against Q. (Whitening ablations, with their off-curve references, are tested in the
/// server's API tests.)
pub async fn check_patch_ablation(app: &TestApp, client: &Client) -> anyhow::Result<()> {
    client.goto(&app.url("/studies")).await?;
    wait_for(client, Locator::Id("new-study")).await?;
    client
        .find(Locator::Id("study-kind"))
        .await?
        .select_by_value("patch_atoms")
        .await?;
    wait_for(client, Locator::Id("study-patch-note")).await?;
    fill(client, "study-n", "2000").await?;
    fill(client, "study-grid", "8, 32").await?;
    fill(client, "study-epochs", "2").await?;
    let study = submit_study(app, client).await?;
    let labels: Vec<&str> = study.members.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, ["Q = 8", "Q = 32"]);
    for member in &study.members {
        let metrics = member.experiment.metrics.as_ref().context("metrics")?;
        let panel = member
            .bounds
            .as_ref()
            .and_then(|job| job.result.as_ref())
            .context("bound panel")?;
        assert_eq!(panel.held_out, 1000);
        println!(
            "patch ablation, 2 000 images: {} test accuracy {:.4}, tightest bound {:?}",
            member.label,
            metrics.test_accuracy,
            panel.tightest().map(|t| t.value())
        );
    }
    show_study(app, client, study.id, &["plot-errors", "plot-bounds"]).await?;
    screenshot(client, "patch-ablation.png").await?;
    check_replication(app, client, "thiry-atoms", study.id).await
}

/// An augmentation study from the form: LeNet with and without rotations of any angle, each
/// probed and its Lie generators found; the augmented model is more consistent under rotation,
/// and the page says so; its most invariant generator is close to rotation.
pub async fn check_augmentation_study(app: &TestApp, client: &Client) -> anyhow::Result<()> {
    client.goto(&app.url("/studies")).await?;
    wait_for(client, Locator::Id("new-study")).await?;
    client
        .find(Locator::Id("study-kind"))
        .await?
        .select_by_value("augmentation")
        .await?;
    client
        .find(Locator::Id("study-model"))
        .await?
        .select_by_value("lenet")
        .await?;
    fill(client, "study-n", "10000").await?;
    fill(client, "study-grid", "180").await?;
    fill(client, "study-epochs", "3").await?;
    let study = submit_study(app, client).await?;
    let labels: Vec<&str> = study.members.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, ["no augmentation", "rotation ±180°"]);
    let rotation = study
        .comparisons
        .iter()
        .find(|c| c.transform == TransformKind::Rotation)
        .context("no rotation comparison")?;
    eprintln!("augmentation study: {}", rotation.sentence());
    assert!(
        rotation.with_augmentation > rotation.without_augmentation,
        "{rotation:?}"
    );
    show_study(app, client, study.id, &["plot-consistency-rotation"]).await?;
    let finding = wait_text(client, "#study-findings .finding").await?;
    assert_eq!(finding, rotation.sentence());
    assert!(finding.contains("more invariant"), "{finding}");
    let cosines: Vec<(String, String)> = serde_json::from_value(
        client
            .execute(
                "return Array.from(document.querySelectorAll('#study-lie .lie-row')).map(r => \
                 [r.dataset.label, r.querySelector('.rotation-cosine').textContent]);",
                vec![],
            )
            .await?,
    )?;
    eprintln!("most invariant Lie generator, cosine to rotation: {cosines:?}");
    let augmented = study.members[1]
        .lie
        .as_ref()
        .and_then(|job| job.result.as_ref())
        .and_then(|report| report.generators.first())
        .context("no generators")?;
    assert_eq!(cosines.len(), 2);
    assert_eq!(cosines[1].1, format!("{:.3}", augmented.cosines[2]));
    assert_eq!(augmented.closest, "rotation", "{augmented:?}");
    assert!(augmented.cosines[2] >= 0.95, "{augmented:?}");
    screenshot(client, "augmentation-study.png").await
}
