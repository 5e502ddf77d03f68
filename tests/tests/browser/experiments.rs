//! Experiments: live training on the gallery and the experiment page, bad input over a real
//! socket, and the new-experiment form for a CNN, a whitened-patch model and a scattering
//! network.

use std::time::Duration;

use anyhow::{Context, bail};
use fantoccini::{Client, Locator};
use memlab_e2e::TestApp;
use memlab_shared::preprocess::png_header_only;

use crate::bounds::*;
use crate::page::*;

/// Bad input over a real socket: each gets a JSON 4xx and the server keeps serving.
pub async fn check_bad_input(app: &TestApp, id: i64) -> anyhow::Result<()> {
    let predict = app.url(&format!("/api/experiments/{id}/predict"));
    let upload = |bytes: Vec<u8>| {
        let part = reqwest::multipart::Part::bytes(bytes).file_name("upload.png");
        app.client
            .post(&predict)
            .multipart(reqwest::multipart::Form::new().part("image", part))
            .send()
    };
    expect_error(upload(b"GIF89a nonsense".to_vec()).await?, 422).await?;
    let png = sample_png(app, 1).await?;
    expect_error(upload(png[..png.len() / 2].to_vec()).await?, 422).await?;
    let body = expect_error(upload(png_header_only(50_000, 50_000)).await?, 422).await?;
    assert!(body.detail.contains("too large"), "{}", body.detail);
    let huge = vec![0u8; 100 * 1024 * 1024];
    let response = app
        .client
        .post(&predict)
        .header("content-type", "multipart/form-data; boundary=x")
        .body(huge)
        .send()
        .await;
    match response {
        Ok(response) => {
            expect_error(response, 413).await?;
        }
        // The server may close the connection once the limit is hit, before reading it all.
        Err(error) => assert!(error.is_request() || error.is_body(), "{error}"),
    }
    let bad_json = app
        .client
        .post(app.url("/api/experiments"))
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await?;
    assert_eq!(expect_error(bad_json, 400).await?.error, "invalid_json");
    let unknown = app
        .client
        .get(app.url("/api/experiments/987654"))
        .send()
        .await?;
    expect_error(unknown, 404).await?;
    let health = app.client.get(app.url("/api/health")).send().await?;
    assert!(health.status().is_success());
    Ok(())
}

/// While the demo trains: the gallery shows a progress bar, and the experiment page shows live
/// progress streamed over SSE.
pub async fn check_live_training(app: &TestApp, client: &Client, id: i64) -> anyhow::Result<()> {
    client.goto(&app.url("/")).await?;
    wait_text(client, &format!(".experiment[data-id='{id}'] .bar")).await?;
    screenshot(client, "gallery-training.png").await?;
    client.goto(&app.url(&format!("/experiments/{id}"))).await?;
    for _ in 0..300 {
        let text = wait_text(client, "#live").await?;
        if text.contains("images/s") {
            screenshot(client, "experiment-training.png").await?;
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("no live progress on the experiment page within 30 s")
}

pub async fn submit_new_experiment(client: &Client) -> anyhow::Result<()> {
    client
        .find(Locator::Css("#new-experiment button"))
        .await?
        .click()
        .await?;
    Ok(())
}

/// Submits the New experiment form and returns the id of the run the page moved to.
pub async fn submit_and_follow(client: &Client) -> anyhow::Result<i64> {
    // Read in one script: the form redraws its message (and so replaces the element) on submit.
    let form_error = || async {
        let text = client
            .execute(
                "const e = document.getElementById('form-error'); return e ? e.textContent : null;",
                vec![],
            )
            .await?;
        anyhow::Ok(text.as_str().map(str::to_owned))
    };
    // A message from an earlier, refused submission may still show until this one is answered.
    let earlier = form_error().await?;
    submit_new_experiment(client).await?;
    let mut address = client.current_url().await?;
    // Up to a minute: the server may be busy training or computing a panel.
    for _ in 0..600 {
        if address.path() != "/" {
            break;
        }
        if let Some(message) = form_error().await?
            && Some(&message) != earlier.as_ref()
        {
            bail!("the form was refused: {message}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        address = client.current_url().await?;
    }
    let id: i64 = address
        .path()
        .trim_start_matches("/experiments/")
        .parse()
        .with_context(|| format!("moved to {address}"))?;
    Ok(id)
}

/// The gallery's form: an invalid value is refused with the server's message; a valid run is
/// queued, the page moves to it, and it trains to the end.
pub async fn check_new_experiment(app: &TestApp, client: &Client) -> anyhow::Result<()> {
    client.goto(&app.url("/")).await?;
    wait_for(client, Locator::Id("new-experiment")).await?;
    fill(client, "epochs", "0").await?;
    submit_new_experiment(client).await?;
    let error = wait_for(client, Locator::Id("form-error")).await?;
    let message = error.text().await?;
    assert!(message.contains("epochs"), "{message}");
    client
        .find(Locator::Id("model"))
        .await?
        .select_by_value("mlp")
        .await?;
    fill(client, "n_train", "2000").await?;
    fill(client, "epochs", "1").await?;
    let id = submit_and_follow(client).await?;
    let experiment = app.wait_done(id, Duration::from_secs(300)).await?;
    assert_eq!(experiment.config.n_train, Some(2000));
    wait_for(client, Locator::Id("metrics")).await?;
    screenshot(client, "new-experiment-done.png").await
}

/// A whitened-patch run from the form (its settings appear with the model), trained on the
/// server; its probe page runs the same network in the browser (`topk` on WebGPU, or the wasm
/// CPU) and agrees with the server's prediction, on both backends.
pub async fn check_patch_model(app: &TestApp, client: &Client) -> anyhow::Result<()> {
    client.goto(&app.url("/")).await?;
    wait_for(client, Locator::Id("new-experiment")).await?;
    client
        .find(Locator::Id("model"))
        .await?
        .select_by_value("patches")
        .await?;
    wait_for(client, Locator::Id("patch-settings")).await?;
    fill(client, "n_train", "3000").await?;
    fill(client, "epochs", "3").await?;
    fill(client, "atoms", "64").await?;
    fill(client, "dictionary_images", "500").await?;
    let id = submit_and_follow(client).await?;
    let experiment = app.wait_done(id, Duration::from_secs(300)).await?;
    let settings = experiment.config.patches;
    assert_eq!((settings.atoms, settings.dictionary_images), (64, 500));
    let metrics = experiment.metrics.context("metrics")?;
    assert!(
        metrics.test_accuracy > 0.8,
        "patch model test accuracy {}",
        metrics.test_accuracy
    );
    let shown = wait_text(client, "#patch-config").await?;
    assert!(shown.contains("Q = 64, k = 26"), "{shown}");
    screenshot(client, "patch-experiment.png").await?;
    for query in ["", "&backend=cpu"] {
        let (_, backend) = open_probe(app, client, id, query).await?;
        screenshot(client, &format!("patch-probe-{backend}.png")).await?;
    }
    // The models page puts it next to the CNN on MNIST, with its stored accuracy.
    client.goto(&app.url("/models")).await?;
    let row = wait_for(
        client,
        Locator::Css("table[data-dataset=mnist] tr[data-model=patches]"),
    )
    .await?;
    let shown: f64 = row
        .attr("data-test-accuracy")
        .await?
        .context("accuracy")?
        .parse()?;
    assert_eq!(shown, metrics.test_accuracy);
    wait_for(
        client,
        Locator::Css("table[data-dataset=mnist] tr[data-model=lenet]"),
    )
    .await?;
    screenshot(client, "models.png").await?;
    // The patch geometry of MNIST, measured on the server and plotted.
    client
        .find(Locator::Id("geometry-dataset"))
        .await?
        .select_by_value("mnist")
        .await?;
    client
        .find(Locator::Id("geometry-measure"))
        .await?
        .click()
        .await?;
    let plot = client
        .wait()
        .at_most(Duration::from_secs(300))
        .for_element(Locator::Css("#plot-dimension"))
        .await?;
    plot.find(Locator::Css("polyline")).await?;
    client
        .execute(
            "document.getElementById('patch-geometry').scrollIntoView();",
            vec![],
        )
        .await?;
    screenshot(client, "patch-geometry.png").await?;
    Ok(())
}

/// A scattering network from the form: trained on the server, run by the browser on both
/// engines (the same probabilities as the server), its bound panel computed from the page
/// about the images after its calibration ones (said on the page) and compared with the
/// demo CNN's; the models page lists it with its tightest bound.
pub async fn check_scattering_model(
    app: &TestApp,
    client: &Client,
    cnn: i64,
) -> anyhow::Result<()> {
    // The CNN's panel (computed at start-up) is what the scattering model is compared with.
    let cnn_panel = stored_panel(app, cnn).await?;
    client.goto(&app.url("/")).await?;
    wait_for(client, Locator::Id("new-experiment")).await?;
    client
        .find(Locator::Id("model"))
        .await?
        .select_by_value("scattering")
        .await?;
    wait_for(client, Locator::Id("scattering-settings")).await?;
    fill(client, "n_train", "3000").await?;
    fill(client, "epochs", "3").await?;
    fill(client, "learning_rate", "0.0005").await?;
    fill(client, "calibration_images", "500").await?;
    let id = submit_and_follow(client).await?;
    let experiment = app.wait_done(id, Duration::from_secs(300)).await?;
    assert_eq!(experiment.config.scattering.calibration_images, 500);
    // A decimal typed into a number field arrives whole (a partial "0." is not written back).
    assert_eq!(experiment.config.learning_rate, 0.0005);
    let metrics = experiment.metrics.context("metrics")?;
    assert!(
        metrics.test_accuracy > 0.9,
        "scattering test accuracy {}",
        metrics.test_accuracy
    );
    let shown = wait_text(client, "#scattering-config").await?;
    assert!(shown.contains("J = 2, L = 8 (81 channels)"), "{shown}");
    for query in ["", "&backend=cpu"] {
        let (_, backend) = open_probe(app, client, id, query).await?;
        screenshot(client, &format!("scattering-probe-{backend}.png")).await?;
    }
    client.goto(&app.url(&format!("/experiments/{id}"))).await?;
    wait_for(client, Locator::Id("compute-bounds"))
        .await?
        .click()
        .await?;
    let panel = panel_where(app, id, |panel| panel.held_out == 500).await?;
    assert_eq!(panel.n_train, 2500);
    let ours = panel.tightest().context("a computed bound")?;
    let theirs = cnn_panel.tightest().context("the CNN's computed bound")?;
    client.goto(&app.url(&format!("/experiments/{id}"))).await?;
    let note = wait_text(client, "#bounds-sample-split").await?;
    assert!(note.contains("first 500 training images"), "{note}");
    // Both bounds are on the trained networks; a ratio is drawn unless both are vacuous.
    let comparison = wait_for(client, Locator::Css("#bound-comparison.note")).await?;
    let text = comparison.text().await?;
    let ratio = comparison.attr("data-ratio").await?;
    if ours.bound.vacuous && theirs.bound.vacuous {
        assert!(ratio.is_none(), "a ratio of two vacuous bounds: {text}");
        assert!(text.contains("both vacuous"), "{text}");
    } else {
        let ratio: f64 = ratio.context("ratio")?.parse()?;
        let expected = theirs.value() / ours.value();
        assert!(
            (ratio - expected).abs() <= 1e-9 * expected,
            "{ratio} vs {expected}"
        );
    }
    assert!(text.contains(&ours.confidence_text()), "{text}");
    println!(
        "scattering (3000 images): tightest bound {} ({}) vs the demo CNN's {} ({}): {text}",
        ours.value(),
        ours.bound.key,
        theirs.value(),
        theirs.bound.key
    );
    client
        .execute(
            "document.getElementById('bounds').scrollIntoView();",
            vec![],
        )
        .await?;
    screenshot(client, "scattering-bounds.png").await?;
    client.goto(&app.url("/models")).await?;
    let row = wait_for(
        client,
        Locator::Css("table[data-dataset=mnist] tr[data-model=scattering]"),
    )
    .await?;
    row.find(Locator::Css(".tightest-bound")).await?;
    // The CNN's row: its tightest bound on the network, marked vacuous when it is, with the
    // confidence of the minimum.
    let cnn = wait_for(
        client,
        Locator::Css("table[data-dataset=mnist] tr[data-model=lenet] .tightest-bound"),
    )
    .await?;
    let shown: f64 = cnn.attr("data-value").await?.context("value")?.parse()?;
    assert_eq!(shown, theirs.value(), "the demo CNN is MNIST's only LeNet");
    let text = cnn.text().await?;
    let vacuous = cnn.attr("data-vacuous").await?;
    assert_eq!(vacuous.as_deref() == Some("true"), theirs.bound.vacuous);
    assert_eq!(text.contains("vacuous"), theirs.bound.vacuous, "{text}");
    assert!(text.contains(&theirs.confidence_text()), "{text}");
    screenshot(client, "models-bounds.png").await?;
    Ok(())
}
