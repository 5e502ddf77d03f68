//! The product path end to end: `memlab serve` on an empty data folder trains the demo (LeNet
//! on MNIST, ≥ 98 % test accuracy), a real headless Chromium loads its weights and runs the
//! shared model (WebGPU, and the wasm CPU fallback), its probabilities equal the server's
//! `/predict` to 1e-4, bad input gets JSON 4xx answers over a real socket, and a second start
//! reuses the demo.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use fantoccini::{Client, Locator};
use memlab_e2e::browser::{Driver, browser, start_driver};
use memlab_e2e::{TestApp, options};
use memlab_server::demo::DemoSettings;
use memlab_shared::api::{ErrorBody, Experiment, JobStatus, Prediction};
use memlab_shared::bounds::{BoundJob, BoundPanel};
use memlab_shared::lie::LieJob;
use memlab_shared::preprocess::{decode_image, png_header_only};
use memlab_shared::probes::ProbeJob;
use memlab_shared::studies::Study;
use memlab_shared::symmetry::{SymmetryJob, SymmetrySearch};
use memlab_shared::transform::{Adjustments, TransformKind, rotate};

const TOLERANCE: f32 = 1e-4;

fn assert_close(browser: &[f32], server: &[f32], what: &str) {
    assert_eq!(browser.len(), server.len(), "{what}: class counts differ");
    for (class, (a, b)) in browser.iter().zip(server).enumerate() {
        assert!(
            (a - b).abs() <= TOLERANCE,
            "{what}: class {class}: browser {a} vs server {b}"
        );
    }
}

/// Waits until the element `css` finds has a `data-key` ending with `key_suffix` and answers its
/// `data-probabilities`; fails with the page's message if `error_css` finds one. One script
/// reads both attributes, so a re-render between two reads cannot mix them up.
async fn keyed_probabilities<T: serde::de::DeserializeOwned>(
    client: &Client,
    css: &str,
    error_css: &str,
    key_suffix: &str,
) -> anyhow::Result<T> {
    let read = format!(
        "const e = document.querySelector('{css}');
         const failed = document.querySelector('{error_css}');
         return failed ? ['error', failed.textContent]
              : e ? [e.dataset.key, e.dataset.probabilities] : null;"
    );
    for _ in 0..600 {
        let value = client.execute(&read, vec![]).await?;
        if let Some([key, text]) = value.as_array().map(Vec::as_slice) {
            let (key, text) = (
                key.as_str().unwrap_or_default(),
                text.as_str().unwrap_or_default(),
            );
            if key == "error" {
                bail!("{css} failed: {text}");
            }
            if key.ends_with(key_suffix) {
                return serde_json::from_str(text)
                    .with_context(|| format!("{css} data-probabilities = {text}"));
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("no {css} for '{key_suffix}' within 120 s")
}

/// Waits for the prediction panel to show the result for `key`, returns its probabilities.
async fn prediction_for(client: &Client, key_suffix: &str) -> anyhow::Result<Vec<f32>> {
    keyed_probabilities(
        client,
        "#prediction[data-state=ready]",
        "#probe-error",
        key_suffix,
    )
    .await
}

async fn server_prediction(app: &TestApp, id: i64, png: Vec<u8>) -> anyhow::Result<Prediction> {
    let part = reqwest::multipart::Part::bytes(png)
        .file_name("sample.png")
        .mime_str("image/png")?;
    let form = reqwest::multipart::Form::new().part("image", part);
    let response = app
        .client
        .post(app.url(&format!("/api/experiments/{id}/predict")))
        .multipart(form)
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("predict: {status}: {text}");
    }
    Ok(serde_json::from_str(&text)?)
}

async fn sample_png(app: &TestApp, index: usize) -> anyhow::Result<Vec<u8>> {
    let response = app
        .client
        .get(app.url(&format!("/api/datasets/mnist/samples/{index}")))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "sample {index}: {}",
        response.status()
    );
    Ok(response.bytes().await?.to_vec())
}

async fn screenshot(client: &Client, name: &str) -> anyhow::Result<()> {
    let png = client.screenshot().await?;
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, png)?;
    eprintln!("screenshot: {}", path.display());
    Ok(())
}

/// Opens the probe page on test image `sample` (with `query` appended to its address, no
/// transform in it) and waits for the prediction.
async fn open_sample(
    app: &TestApp,
    client: &Client,
    id: i64,
    sample: usize,
    query: &str,
) -> anyhow::Result<Vec<f32>> {
    client
        .goto(&app.url(&format!("/experiments/{id}/probe?sample={sample}{query}")))
        .await?;
    prediction_for(client, &format!("test image {sample} of mnist|")).await
}

/// Opens the probe page of run `id` on test image 0 with `query` and checks the browser's
/// prediction against the server's (1e-4); returns it and the backend the page ran on.
async fn open_probe(
    app: &TestApp,
    client: &Client,
    id: i64,
    query: &str,
) -> anyhow::Result<(Vec<f32>, String)> {
    let browser = open_sample(app, client, id, 0, query).await?;
    let backend = client
        .find(Locator::Css("#backend"))
        .await?
        .attr("data-backend")
        .await?
        .unwrap_or_default();
    let server = server_prediction(app, id, sample_png(app, 0).await?).await?;
    assert_close(
        &browser,
        &server.probabilities,
        &format!("run {id}, sample 0 on {backend}"),
    );
    Ok((browser, backend))
}

/// Presses Share and answers the link the page hands out (publishing an upload first takes a
/// moment).
async fn share(client: &Client) -> anyhow::Result<String> {
    wait_for(client, Locator::Id("share"))
        .await?
        .click()
        .await?;
    for _ in 0..100 {
        let link = client
            .execute(
                "const e = document.getElementById('share-link'); return e ? e.value : '';",
                vec![],
            )
            .await?;
        if let Some(link) = link.as_str().filter(|link| !link.is_empty()) {
            return Ok(link.to_owned());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("Share handed out no link within 10 s")
}

/// Reads `#orbit`'s probabilities once its key ends with `key_suffix`.
async fn orbit_for(client: &Client, key_suffix: &str) -> anyhow::Result<Vec<Vec<f32>>> {
    keyed_probabilities(client, "#orbit", "#orbit-error", key_suffix).await
}

/// The learned symmetry's orbit on the probe page: x, L x, …, L⁴ x of test image 0 (at 20°)
/// computed in the browser, each prediction equal to the native model's on the native L_θ's
/// orbit from the stored weights.
async fn check_orbit(app: &TestApp, client: &Client, id: i64) -> anyhow::Result<()> {
    client
        .goto(&app.url(&format!("/experiments/{id}/probe?sample=0&rotation=20")))
        .await?;
    let browser = orbit_for(client, "test image 0 of mnist|rotation=20|from_phi").await?;
    let device = burn::prelude::Device::flex();
    let (card, model) =
        memlab_store::artifacts::load(&memlab_store::LocalDir::new(&app.data_dir), id, &device)?;
    let record = memlab_store::artifacts::read(
        &memlab_store::LocalDir::new(&app.data_dir),
        &memlab_store::artifacts::symmetry_key(id, "from_phi"),
    )?;
    let transform = memlab_science::weights::load_into(
        memlab_shared::model::TransformNetConfig::new(1).init(&device),
        &record,
    )?;
    let pixels = rotate(
        &decode_image(&sample_png(app, 0).await?, &card.input)?,
        20.0,
    );
    let shape = [1, 1, pixels.height, pixels.width];
    let mut current = burn::prelude::Tensor::<4>::from_data(
        burn::prelude::TensorData::new(pixels.values.clone(), shape),
        &device,
    );
    assert_eq!(browser.len(), 5, "x and four powers of L");
    for (power, row) in browser.iter().enumerate() {
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
        let native = memlab_server::inference::predict_pixels(&model, &card, &image, &device);
        assert_close(row, &native.probabilities, &format!("L^{power} x"));
    }
    wait_for(client, Locator::Id("orbit-heat")).await?;
    client
        .execute(
            "document.getElementById('orbit-section').scrollIntoView();",
            vec![],
        )
        .await?;
    screenshot(client, "probe-orbit.png").await
}

/// Inputs of the studio: a pasted image, a GIF upload, publishing it for a link that a new
/// browser session opens with the same numbers, a drawing, links to things that do not exist,
/// and the page at phone width. Each prediction equals the server's `/predict` on the same file.
async fn check_studio_inputs(
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
    client
        .execute("document.getElementById('draw').open = true;", vec![])
        .await?;
    wait_for(client, Locator::Id("drawing")).await?;
    let canvas = client
        .execute(
            "const c = document.getElementById('drawing'); const r = c.getBoundingClientRect();
             const at = (x, y) => ({ clientX: r.left + x * r.width / 224,
               clientY: r.top + y * r.height / 224, bubbles: true, pointerId: 1 });
             c.dispatchEvent(new PointerEvent('pointerdown', at(110, 40)));
             for (let y = 40; y <= 184; y += 8) {
               c.dispatchEvent(new PointerEvent('pointermove', at(110 + (y - 40) / 12, y)));
             }
             c.dispatchEvent(new PointerEvent('pointerup', at(122, 184)));
             return Array.from(c.getContext('2d').getImageData(0, 0, 224, 224).data);",
            vec![],
        )
        .await?;
    let rgba: Vec<u8> = serde_json::from_value(canvas)?;
    anyhow::ensure!(rgba.len() == 224 * 224 * 4, "canvas size");
    let planes: Vec<u8> = (0..3)
        .flat_map(|channel| (0..224 * 224).map(move |index| (index, channel)))
        .map(|(index, channel)| rgba[index * 4 + channel])
        .collect();
    let drawn = memlab_shared::preprocess::Pixels::from_u8(3, 224, 224, &planes).to_png()?;
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

/// Loads the probe page with `query` and checks the browser against the server.
async fn check_probe(
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
async fn check_share(
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

/// The native prediction for `png` rotated by `degrees`, from the stored weights.
async fn native_prediction(
    app: &TestApp,
    id: i64,
    png: &[u8],
    degrees: f32,
) -> anyhow::Result<Vec<f32>> {
    let device = burn::prelude::Device::flex();
    let (card, model) =
        memlab_store::artifacts::load(&memlab_store::LocalDir::new(&app.data_dir), id, &device)?;
    let pixels = decode_image(png, &card.input)?;
    Ok(
        memlab_server::inference::predict_pixels(&model, &card, &rotate(&pixels, degrees), &device)
            .probabilities,
    )
}

/// Uploads in the page: a bad file gives a readable message and the page keeps working; a
/// good one is predicted like the server predicts it (at the slider's current 90°).
async fn check_uploads(app: &TestApp, client: &Client, id: i64) -> anyhow::Result<()> {
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

async fn expect_error(response: reqwest::Response, status: u16) -> anyhow::Result<ErrorBody> {
    assert_eq!(response.status().as_u16(), status);
    Ok(response.json::<ErrorBody>().await?)
}

/// Bad input over a real socket: each gets a JSON 4xx and the server keeps serving.
async fn check_bad_input(app: &TestApp, id: i64) -> anyhow::Result<()> {
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
async fn check_live_training(app: &TestApp, client: &Client, id: i64) -> anyhow::Result<()> {
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

/// The text of the first element matching `css`, read in one script (the gallery re-renders
/// every two seconds, so a found element can be gone by the time it is read).
async fn wait_text(client: &Client, css: &str) -> anyhow::Result<String> {
    let script = "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;";
    for _ in 0..300 {
        if let Some(text) = client.execute(script, vec![css.into()]).await?.as_str() {
            return Ok(text.to_owned());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("nothing matched {css} within 60 s")
}

/// Waits up to 30 s for an element.
async fn wait_for(
    client: &Client,
    locator: Locator<'_>,
) -> anyhow::Result<fantoccini::elements::Element> {
    Ok(client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(locator)
        .await?)
}

async fn submit_new_experiment(client: &Client) -> anyhow::Result<()> {
    client
        .find(Locator::Css("#new-experiment button"))
        .await?
        .click()
        .await?;
    Ok(())
}

async fn fill(client: &Client, id: &str, value: &str) -> anyhow::Result<()> {
    let input = client.find(Locator::Id(id)).await?;
    input.clear().await?;
    input.send_keys(value).await?;
    Ok(())
}

/// Submits the New experiment form and returns the id of the run the page moved to.
async fn submit_and_follow(client: &Client) -> anyhow::Result<i64> {
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
async fn check_new_experiment(app: &TestApp, client: &Client) -> anyhow::Result<()> {
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
async fn check_patch_model(app: &TestApp, client: &Client) -> anyhow::Result<()> {
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
async fn check_scattering_model(app: &TestApp, client: &Client, cnn: i64) -> anyhow::Result<()> {
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
    let comparison = wait_for(client, Locator::Css("#bound-comparison[data-ratio]")).await?;
    let ratio: f64 = comparison
        .attr("data-ratio")
        .await?
        .context("ratio")?
        .parse()?;
    let expected = theirs.value.context("value")? / ours.value.context("value")?;
    assert!(
        (ratio - expected).abs() <= 1e-9 * expected,
        "{ratio} vs {expected}"
    );
    println!(
        "scattering (3000 images): tightest bound {} ({}) vs the demo CNN's {} ({}): ratio {ratio:.2}",
        ours.value.unwrap_or_default(),
        ours.key,
        theirs.value.unwrap_or_default(),
        theirs.key
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
    screenshot(client, "models-bounds.png").await?;
    Ok(())
}

/// Waits until the stored bound job of `id` is finished and returns its panel.
async fn stored_panel(app: &TestApp, id: i64) -> anyhow::Result<BoundPanel> {
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
async fn panel_where(
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
async fn record_panel(
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
async fn check_shown_bounds(client: &Client, panel: &BoundPanel) -> anyhow::Result<()> {
    let script = "return Array.from(document.querySelectorAll('#bounds-table .bound-row')).map(row => \
        [row.dataset.key, (row.querySelector('.bound') || {textContent: ''}).textContent]);";
    let shown: Vec<(String, String)> =
        serde_json::from_value(client.execute(script, vec![]).await?)?;
    assert_eq!(shown.len(), panel.bounds.len());
    for ((key, text), bound) in shown.iter().zip(&panel.bounds) {
        assert_eq!(key, &bound.key);
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
async fn check_chart(client: &Client, id: &str, values: usize) -> anyhow::Result<()> {
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
async fn check_bound_panels(
    app: &TestApp,
    client: &Client,
    lenet: i64,
    mlp: i64,
) -> anyhow::Result<()> {
    let panel = stored_panel(app, lenet).await?;
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

/// Submits the new-study form (filled by the caller), follows the page to the study and waits
/// (10 min at most) until it is no longer queued or running.
async fn submit_study(app: &TestApp, client: &Client) -> anyhow::Result<Study> {
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
async fn show_study(app: &TestApp, client: &Client, id: i64, plots: &[&str]) -> anyhow::Result<()> {
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
async fn check_study(app: &TestApp, client: &Client) -> anyhow::Result<()> {
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
    screenshot(client, "study.png").await
}

/// A patch ablation from the form (the dictionary size Q, small ones so the debug build is
/// quick), on 2 000 MNIST images: each member trained and bounded; the page plots test error and
/// bounds against Q. (Whitening ablations, with their off-curve references, are tested in the
/// server's API tests.)
async fn check_patch_ablation(app: &TestApp, client: &Client) -> anyhow::Result<()> {
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
            panel.tightest().and_then(|b| b.value)
        );
    }
    show_study(app, client, study.id, &["plot-errors", "plot-bounds"]).await?;
    screenshot(client, "patch-ablation.png").await
}

/// An augmentation study from the form: LeNet with and without rotations of any angle, each
/// probed and its Lie generators found; the augmented model is more consistent under rotation,
/// and the page says so; its most invariant generator is close to rotation.
async fn check_augmentation_study(app: &TestApp, client: &Client) -> anyhow::Result<()> {
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

/// A learned symmetry of the LeNet demo from its page (a short run): the stored report's
/// scores, chart and last sample grid are shown.
async fn check_symmetry(app: &TestApp, client: &Client, id: i64) -> anyhow::Result<()> {
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
    for _ in 0..1800 {
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
    let report = report.context("the symmetry did not finish within 15 min")?;
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

/// The invariance probe of the LeNet demo, computed when it finished: curves on its page with
/// the stored numbers; the button probes again with fewer images.
async fn check_probes(app: &TestApp, client: &Client, id: i64) -> anyhow::Result<()> {
    let url = format!("/api/experiments/{id}/probes");
    let url = &url;
    let stored = |wanted: usize| async move {
        for _ in 0..600 {
            if let Ok(job) = app.get_json::<ProbeJob>(url).await
                && !matches!(job.status, JobStatus::Queued | JobStatus::Running)
                && let Some(report) = job.result.filter(|r| r.n_images == wanted)
            {
                return Ok(report);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        bail!("no probe of {wanted} images within 5 min")
    };
    let report = stored(500).await?;
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
    let again = stored(100).await?;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_trains_and_the_browser_agrees_with_the_server() -> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let app = TestApp::with_demos(data.path()).await?;
    let list: Vec<Experiment> = app.get_json("/api/experiments").await?;
    assert_eq!(list.len(), 2, "an empty store queues the two demos");
    let demo_named = |name: &str| {
        list.iter()
            .find(|experiment| experiment.name == name)
            .map(|experiment| experiment.id)
            .with_context(|| format!("no demo named {name}"))
    };
    let id = demo_named("Demo: LeNet on MNIST")?;
    let mlp = demo_named("Demo: MLP on MNIST (SGD)")?;

    let driver = start_driver()?;
    let client = browser(&driver).await?;
    let outcome = async {
        check_live_training(&app, &client, id).await?;
        let demo = app.wait_done(id, Duration::from_secs(900)).await?;
        let metrics = demo.metrics.clone().context("done without metrics")?;
        eprintln!("demo: {metrics:?}");
        assert!(
            metrics.test_accuracy >= 0.98,
            "demo test accuracy {}",
            metrics.test_accuracy
        );
        assert_eq!(demo.curves.len(), demo.config.epochs);
        check_bad_input(&app, id).await?;

        client.goto(&app.url("/")).await?;
        let accuracy =
            wait_text(&client, &format!(".experiment[data-id='{id}'] .accuracy")).await?;
        assert!(accuracy.contains("test accuracy"), "{accuracy}");
        screenshot(&client, "gallery.png").await?;
        let default_backend = check_probe(&app, &client, &demo, "").await?;
        check_share(&app, &driver, &client, id).await?;
        // A new page load chooses its engine again, so the link can force the CPU fallback.
        let cpu_backend = check_probe(&app, &client, &demo, "&backend=cpu").await?;
        check_uploads(&app, &client, id).await?;
        check_new_experiment(&app, &client).await?;
        check_patch_model(&app, &client).await?;
        client.goto(&app.url(&format!("/experiments/{id}"))).await?;
        wait_for(&client, Locator::Css("#metrics")).await?;
        screenshot(&client, "experiment.png").await?;
        // Training curves: train and test accuracy at each epoch.
        check_chart(&client, "accuracy-chart", 2 * demo.config.epochs).await?;
        app.wait_done(mlp, Duration::from_secs(600)).await?;
        check_bound_panels(&app, &client, id, mlp).await?;
        check_scattering_model(&app, &client, id).await?;
        check_probes(&app, &client, id).await?;
        check_symmetry(&app, &client, id).await?;
        check_orbit(&app, &client, id).await?;
        check_studio_inputs(&app, &driver, &client, id).await?;
        check_study(&app, &client).await?;
        check_augmentation_study(&app, &client).await?;
        check_patch_ablation(&app, &client).await?;
        anyhow::Ok((default_backend, cpu_backend))
    }
    .await;
    client.close().await?;
    let (default_backend, cpu_backend) = outcome?;
    eprintln!("backends: default {default_backend}, forced {cpu_backend}");
    assert_eq!(cpu_backend, "cpu");
    app.stop().await?;

    // A second start on the same folder reuses the demo: nothing new is queued or trained.
    let again = TestApp::spawn(options(
        data.path().to_owned(),
        Some(DemoSettings::default()),
    ))
    .await?;
    let list: Vec<Experiment> = again.get_json("/api/experiments").await?;
    assert_eq!(
        list.len(),
        11,
        "the two demos, the three runs queued from the form, and the three studies' two runs each"
    );
    let demo = list
        .iter()
        .find(|experiment| experiment.id == id)
        .context("demo kept")?;
    assert_eq!(demo.status, JobStatus::Done);
    again.stop().await
}
