//! What every scenario uses: waiting for the page, reading its keyed probabilities, comparing
//! them with the server's, samples, screenshots and form filling.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use fantoccini::{Client, Locator};
use memlab_e2e::TestApp;
use memlab_shared::api::{ErrorBody, Prediction};
use memlab_shared::preprocess::decode_image;
use memlab_shared::transform::rotate;

pub const TOLERANCE: f32 = 1e-4;

pub fn assert_close(browser: &[f32], server: &[f32], what: &str) {
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
pub async fn keyed_probabilities<T: serde::de::DeserializeOwned>(
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
pub async fn prediction_for(client: &Client, key_suffix: &str) -> anyhow::Result<Vec<f32>> {
    keyed_probabilities(
        client,
        "#prediction[data-state=ready]",
        "#probe-error",
        key_suffix,
    )
    .await
}

pub async fn server_prediction(app: &TestApp, id: i64, png: Vec<u8>) -> anyhow::Result<Prediction> {
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

pub async fn sample_png(app: &TestApp, index: usize) -> anyhow::Result<Vec<u8>> {
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

pub async fn screenshot(client: &Client, name: &str) -> anyhow::Result<()> {
    let png = client.screenshot().await?;
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, png)?;
    eprintln!("screenshot: {}", path.display());
    Ok(())
}

/// Opens the probe page on test image `sample` (with `query` appended to its address, no
/// transform in it) and waits for the prediction.
pub async fn open_sample(
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

/// The backend the open probe page runs its model on (`webgpu` or `cpu`).
pub async fn backend(client: &Client) -> anyhow::Result<String> {
    Ok(client
        .find(Locator::Css("#backend"))
        .await?
        .attr("data-backend")
        .await?
        .unwrap_or_default())
}

/// Opens the probe page of run `id` on test image 0 with `query` and checks the browser's
/// prediction against the server's (1e-4); returns it and the backend the page ran on.
pub async fn open_probe(
    app: &TestApp,
    client: &Client,
    id: i64,
    query: &str,
) -> anyhow::Result<(Vec<f32>, String)> {
    let browser = open_sample(app, client, id, 0, query).await?;
    let backend = backend(client).await?;
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
pub async fn share(client: &Client) -> anyhow::Result<String> {
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

/// The text of the first element matching `css`, read in one script (the gallery re-renders
/// every two seconds, so a found element can be gone by the time it is read).
pub async fn wait_text(client: &Client, css: &str) -> anyhow::Result<String> {
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
pub async fn wait_for(
    client: &Client,
    locator: Locator<'_>,
) -> anyhow::Result<fantoccini::elements::Element> {
    Ok(client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(locator)
        .await?)
}

pub async fn fill(client: &Client, id: &str, value: &str) -> anyhow::Result<()> {
    let input = client.find(Locator::Id(id)).await?;
    input.clear().await?;
    input.send_keys(value).await?;
    Ok(())
}

pub async fn expect_error(response: reqwest::Response, status: u16) -> anyhow::Result<ErrorBody> {
    assert_eq!(response.status().as_u16(), status);
    Ok(response.json::<ErrorBody>().await?)
}

/// The native prediction for `png` rotated by `degrees`, from the stored weights.
pub async fn native_prediction(
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

/// Opens the studio's drawing pad and draws one stroke (a slightly slanted vertical line);
/// answers the canvas' pixels as a PNG, which is what the page hands on as the drawing.
pub async fn draw_stroke(client: &Client) -> anyhow::Result<Vec<u8>> {
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
    Ok(memlab_shared::preprocess::Pixels::from_u8(3, 224, 224, &planes).to_png()?)
}
