//! The probe page: the shared model in the browser (WebGPU and the CPU fallback) against the
//! server's `/predict`, share links, uploads and the studio's other inputs.

use std::time::Duration;

use anyhow::Context;
use fantoccini::{Client, Locator};
use memlab_e2e::TestApp;
use memlab_e2e::browser::{Driver, browser};
use memlab_shared::api::Experiment;
use memlab_shared::preprocess::decode_image;
use memlab_shared::transform::{Adjustments, rotate};

use crate::page::*;

/// Loads the probe page with `query` and checks the browser against the server.
pub async fn check_probe(
    app: &TestApp,
    client: &Client,
    demo: &Experiment,
    query: &str,
) -> anyhow::Result<String> {
    let id = demo.id;
    let (browser_probabilities, backend) = open_probe(app, client, id, query).await?;

    // The rotation slider re-runs the model; compare with the same rotation done natively.
    client
        .execute(
            "const r = document.getElementById('rotation'); r.value = '90';
             r.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![],
        )
        .await?;
    let rotated_browser = prediction_for(client, "test image 0 of mnist|rotation=90").await?;
    let rotated = native_prediction(app, id, &sample_png(app, 0).await?, 90.0).await?;
    assert_close(
        &rotated_browser,
        &rotated,
        &format!("sample 0 rotated 90° on {backend}"),
    );
    // The live invariance curve (all 65 rotations in one batched pass) agrees with the single
    // forward pass at the slider's 90°, for the class of the untransformed image.
    let read =
        "const e = document.querySelector(\"#invariance-curve[data-key='rotation=90|rotation']\");
                return e ? [e.dataset.original, e.dataset.points] : null;";
    let mut curve = None;
    for _ in 0..300 {
        if let Some([original, points]) = client
            .execute(read, vec![])
            .await?
            .as_array()
            .map(Vec::as_slice)
        {
            curve = Some((
                original.as_str().unwrap_or_default().parse::<usize>()?,
                serde_json::from_str::<Vec<(f32, f32, f32)>>(points.as_str().unwrap_or_default())?,
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (original, points) = curve.context("no invariance curve for rotation")?;
    assert_eq!(original, memlab_shared::api::argmax(&browser_probabilities));
    assert_eq!(points.len(), 65);
    let at_90 = points
        .iter()
        .find(|(degrees, _, _)| *degrees == 90.0)
        .context("the curve has 90°")?;
    assert!(
        (at_90.1 - rotated_browser[original]).abs() < 1e-4,
        "batched {} vs single {} on {backend}",
        at_90.1,
        rotated_browser[original]
    );
    let at_0 = points
        .iter()
        .find(|(degrees, _, _)| *degrees == 0.0)
        .context("0°")?;
    assert!(at_0.2 < 1e-4, "no feature distance at 0°: {at_0:?}");
    let batched = wait_text(client, "#invariance-latency").await?;
    eprintln!("{backend}: invariance curve: {batched}");
    let latency = wait_text(client, "#latency").await?;
    eprintln!("{backend}: {latency}");
    assert!(latency.contains(" ms"), "{latency}");
    let address = client.current_url().await?;
    assert!(
        address.as_str().contains("sample=0&rotation=90"),
        "the address follows the view: {address}"
    );
    assert_eq!(
        client
            .find(Locator::Css("#true-label strong"))
            .await?
            .text()
            .await?,
        "7"
    );
    screenshot(client, &format!("probe-{backend}.png")).await?;
    client
        .execute(
            "document.getElementById('invariance').scrollIntoView();",
            vec![],
        )
        .await?;
    screenshot(client, &format!("probe-curve-{backend}.png")).await?;
    Ok(backend)
}

/// Share: every slider moved and the mirror on; the link, opened in a new browser session,
/// shows the same sliders and the same numbers, which are the native model's for the same
/// transforms of the same test image.
pub async fn check_share(
    app: &TestApp,
    driver: &Driver,
    client: &Client,
    id: i64,
) -> anyhow::Result<()> {
    open_sample(app, client, id, 3, "").await?;
    client
        .execute(
            "for (const [key, value] of [['scale', '1.2'], ['rotation', '30'], ['tx', '2'],
                 ['ty', '-1.5'], ['brightness', '0.1'], ['contrast', '0.8']]) {
               const r = document.getElementById(key); r.value = value;
               r.dispatchEvent(new Event('input', { bubbles: true }));
             }
             const f = document.getElementById('flip'); f.checked = true;
             f.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await?;
    let query = "scale=1.2&rotation=30&tx=2&ty=-1.5&brightness=0.1&contrast=0.8&flip=1";
    let key = format!("test image 3 of mnist|{query}");
    let first = prediction_for(client, &key).await?;
    let link = share(client).await?;
    assert!(link.contains(&format!("sample=3&{query}")), "{link}");

    let other = browser(driver).await?;
    let seen = async {
        other.goto(&link).await?;
        let second = prediction_for(&other, &key).await?;
        let sliders = other
            .execute(
                "return ['scale', 'rotation', 'tx', 'ty', 'brightness', 'contrast']
                   .map(k => document.getElementById(k).value)
                   .concat([String(document.getElementById('flip').checked),
                            document.getElementById('sample').value]);",
                vec![],
            )
            .await?;
        screenshot(&other, "probe-shared.png").await?;
        anyhow::Ok((second, sliders))
    }
    .await;
    other.close().await?;
    let (second, sliders) = seen?;
    assert_eq!(
        sliders,
        serde_json::json!(["1.2", "30", "2", "-1.5", "0.1", "0.8", "true", "3"])
    );
    assert_close(&second, &first, "the shared view in a new session");

    let device = burn::prelude::Device::flex();
    let (card, model) =
        memlab_store::artifacts::load(&memlab_store::LocalDir::new(&app.data_dir), id, &device)?;
    let pixels = decode_image(&sample_png(app, 3).await?, &card.input)?;
    let settings = Adjustments::from_query(|name| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_owned))
    });
    let native =
        memlab_server::inference::predict_pixels(&model, &card, &settings.apply(&pixels), &device)
            .probabilities;
    assert_close(&first, &native, "every slider at once");
    Ok(())
}

/// Uploads in the page: a bad file gives a readable message and the page keeps working; a
/// good one is predicted like the server predicts it (at the slider's current 90°).
pub async fn check_uploads(app: &TestApp, client: &Client, id: i64) -> anyhow::Result<()> {
    // The probe page with the rotation slider at 90°: an upload keeps the sliders as they are.
    client
        .goto(&app.url(&format!("/experiments/{id}/probe?sample=0&rotation=90")))
        .await?;
    prediction_for(client, "test image 0 of mnist|rotation=90").await?;
    let dir = tempfile::tempdir()?;
    let bad = dir.path().join("not-an-image.png");
    std::fs::write(&bad, b"this is not a PNG")?;
    client
        .find(Locator::Css("#upload"))
        .await?
        .send_keys(&bad.display().to_string())
        .await?;
    let message = wait_for(client, Locator::Css("#input-error"))
        .await?
        .text()
        .await?;
    assert!(message.contains("not-an-image.png"), "{message}");
    client
        .find(Locator::Css("#prediction[data-state=ready]"))
        .await?;
    screenshot(client, "probe-bad-upload.png").await?;

    let png = sample_png(app, 3).await?;
    let good = dir.path().join("digit.png");
    std::fs::write(&good, &png)?;
    client
        .find(Locator::Css("#upload"))
        .await?
        .send_keys(&good.display().to_string())
        .await?;
    let browser_probabilities = prediction_for(client, "upload digit.png|rotation=90").await?;
    assert_close(
        &browser_probabilities,
        &native_prediction(app, id, &png, 90.0).await?,
        "uploaded digit at 90°",
    );
    assert!(
        client.find(Locator::Css("#input-error")).await.is_err(),
        "the error is cleared"
    );
    Ok(())
}

/// Inputs of the studio: a pasted image, a GIF upload, publishing it for a link that a new
/// browser session opens with the same numbers, a drawing, links to things that do not exist,
/// and the page at phone width. Each prediction equals the server's `/predict` on the same file.
pub async fn check_studio_inputs(
    app: &TestApp,
    driver: &Driver,
    client: &Client,
    id: i64,
) -> anyhow::Result<()> {
    open_sample(app, client, id, 0, "").await?;
    // Paste (a clipboard event carrying a file, as a browser makes one on Ctrl+V).
    client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch('/api/datasets/mnist/samples/5').then(r => r.arrayBuffer()).then(buffer => {
               const transfer = new DataTransfer();
               transfer.items.add(new File([buffer], 'pasted.png', { type: 'image/png' }));
               document.body.dispatchEvent(new ClipboardEvent('paste',
                 { clipboardData: transfer, bubbles: true, cancelable: true }));
               done(true);
             });",
            vec![],
        )
        .await?;
    let pasted = prediction_for(client, "upload pasted.png|").await?;
    let server = server_prediction(app, id, sample_png(app, 5).await?).await?;
    assert_close(&pasted, &server.probabilities, "pasted test image 5");

    // A GIF (first frame used), published and shared.
    let digit = decode_image(
        &sample_png(app, 8).await?,
        &memlab_shared::preprocess::InputSpec::raw(1, 28, 28),
    )?;
    let frame = |pixels: &memlab_shared::preprocess::Pixels| {
        let rgba = pixels
            .to_u8()
            .into_iter()
            .flat_map(|v| [v, v, v, 255])
            .collect();
        image::Frame::new(image::RgbaImage::from_raw(28, 28, rgba).expect("28×28"))
    };
    let mut gif = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut gif);
        encoder.encode_frame(frame(&digit))?;
        encoder.encode_frame(frame(&rotate(&digit, 90.0)))?;
    }
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("eight.gif");
    std::fs::write(&path, &gif)?;
    client
        .find(Locator::Css("#upload"))
        .await?
        .send_keys(&path.display().to_string())
        .await?;
    let uploaded = prediction_for(client, "upload eight.gif|").await?;
    let server = server_prediction(app, id, gif.clone()).await?;
    assert_close(&uploaded, &server.probabilities, "GIF upload");
    wait_for(client, Locator::Id("original")).await?;
    wait_for(client, Locator::Id("publish-hint")).await?;
    screenshot(client, "probe-upload.png").await?;
    let link = share(client).await?;
    let image = link
        .split("image=")
        .nth(1)
        .map(|rest| rest.split('&').next().unwrap_or(rest).to_owned())
        .with_context(|| format!("the link names the published image: {link}"))?;
    let note = wait_text(client, "#publish-note").await?;
    assert!(note.contains("published as"), "{note}");
    let stored = app
        .client
        .get(app.url(&format!("/api/images/{image}")))
        .send()
        .await?;
    assert_eq!(stored.status().as_u16(), 200);
    let other = browser(driver).await?;
    let seen = async {
        other.goto(&link).await?;
        let shared = prediction_for(&other, &format!("published image {}|", &image[..12])).await?;
        wait_for(&other, Locator::Id("original")).await?;
        screenshot(&other, "probe-published.png").await?;
        anyhow::Ok(shared)
    }
    .await;
    other.close().await?;
    assert_close(&seen?, &uploaded, "the published GIF in a new session");

    // A drawing: one stroke, then the canvas' pixels go to the server as a PNG.
    let drawn = draw_stroke(client).await?;
    let drawing = prediction_for(client, "drawing|").await?;
    let server = server_prediction(app, id, drawn).await?;
    assert_close(&drawing, &server.probabilities, "the drawing");
    eprintln!(
        "drawing (one vertical stroke): predicted {} ({:.3})",
        server.predicted, server.probabilities[server.predicted]
    );
    screenshot(client, "probe-drawing.png").await?;

    // Links to things that do not exist give a clear page.
    client
        .goto(&app.url(&format!("/experiments/{id}/probe?image={}", "0".repeat(64))))
        .await?;
    let message = wait_text(client, "#input-error").await?;
    assert!(message.contains("cannot be opened"), "{message}");
    client.goto(&app.url("/experiments/999999/probe")).await?;
    let message = wait_text(client, "#probe-error").await?;
    assert!(message.contains("999999"), "{message}");

    // A link to a panel opens the page scrolled to it; pages of things that do not exist say so.
    client
        .goto(&app.url(&format!("/experiments/{id}#bounds")))
        .await?;
    wait_for(client, Locator::Css("#bounds .permalink")).await?;
    let mut top = f64::MAX;
    for _ in 0..50 {
        top = client
            .execute(
                "return document.getElementById('bounds').getBoundingClientRect().top;",
                vec![],
            )
            .await?
            .as_f64()
            .unwrap_or(f64::MAX);
        if top.abs() < 40.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(top.abs() < 40.0, "#bounds is {top} px from the top");
    for (path, what) in [
        ("/experiments/999999", "999999"),
        ("/studies/999999", "999999"),
    ] {
        client.goto(&app.url(path)).await?;
        let message = wait_text(client, ".error").await?;
        assert!(message.contains(what), "{path}: {message}");
    }

    // The latency benchmark page (a short run on the CPU fallback here; the numbers are
    // `bench/browser_latency.sh`'s to report).
    client
        .goto(&app.url(&format!("/experiments/{id}/benchmark?runs=5&backend=cpu")))
        .await?;
    let summary = wait_text(client, "#benchmark-summary").await?;
    assert!(summary.contains("updates/s"), "{summary}");
    let rows = client
        .execute(
            "return document.querySelectorAll('#benchmark tbody tr').length;",
            vec![],
        )
        .await?;
    assert_eq!(rows.as_u64(), Some(3), "single, slider, batch of 64");
    eprintln!("benchmark page (CPU, 5 runs): {summary}");

    // Phone width: one column, nothing wider than the screen.
    client.set_window_size(390, 844).await?;
    open_sample(app, client, id, 0, "").await?;
    let overflow = client
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await?
        .as_i64()
        .unwrap_or(i64::MAX);
    screenshot(client, "probe-phone.png").await?;
    client.set_window_size(1280, 900).await?;
    assert!(
        overflow <= 0,
        "the probe page is {overflow} px wider than a phone"
    );
    Ok(())
}
