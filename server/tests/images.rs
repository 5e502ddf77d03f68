//! Images published for share links: `POST /api/images` and `GET /api/images/{image}` through
//! `app(state)`: content addresses, the canonical PNG (same pixels for the model), limits, bad
//! input, and the per-client rate limit.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use memlab_shared::api::{ErrorBody, PublishedImage};
use memlab_shared::limits::{MAX_PUBLISHED_BYTES, MAX_PUBLISHED_PER_CLIENT, MAX_PUBLISHED_SIDE};
use memlab_shared::preprocess::{InputSpec, Pixels, decode_image};

use common::{send, toy_state};

async fn publish(
    state: &memlab_server::state::AppState,
    body: Vec<u8>,
    client: Option<&str>,
) -> (StatusCode, Vec<u8>) {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/api/images")
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(body))
        .expect("request");
    if let Some(client) = client {
        let address: SocketAddr = client.parse().expect("address");
        request.extensions_mut().insert(ConnectInfo(address));
    }
    send(state, request).await
}

async fn get(state: &memlab_server::state::AppState, path: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::builder()
        .uri(path)
        .body(Body::empty())
        .expect("request");
    send(state, request).await
}

fn error_kind(body: &[u8]) -> String {
    serde_json::from_slice::<ErrorBody>(body)
        .map(|error| error.error)
        .unwrap_or_else(|_| String::from_utf8_lossy(body).into_owned())
}

/// A 40×30 RGB gradient as a JPEG (lossy, so only its decoded pixels can be compared).
fn gradient_jpeg() -> Vec<u8> {
    let image = image::RgbImage::from_fn(40, 30, |x, y| {
        image::Rgb([(x * 6) as u8, (y * 8) as u8, ((x + y) * 3) as u8])
    });
    let mut jpeg = Vec::new();
    image
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .expect("jpeg");
    jpeg
}

#[tokio::test]
async fn a_published_image_is_served_with_the_same_pixels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let jpeg = gradient_jpeg();
    let (status, body) = publish(&state, jpeg.clone(), None).await;
    assert_eq!(status, StatusCode::CREATED, "{}", error_kind(&body));
    let published: PublishedImage = serde_json::from_slice(&body).expect("answer");
    assert_eq!((published.width, published.height), (40, 30));
    assert!(memlab_shared::api::is_image_id(&published.id));
    // The same image again: the same address, nothing new stored.
    let (status, again) = publish(&state, jpeg.clone(), None).await;
    assert_eq!(status, StatusCode::CREATED);
    let again: PublishedImage = serde_json::from_slice(&again).expect("answer");
    assert_eq!(again, published);
    assert_eq!(
        std::fs::read_dir(dir.path().join("data/images"))
            .expect("folder")
            .count(),
        1
    );
    let (status, png) = get(&state, &format!("/api/images/{}", published.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(png.len(), published.bytes);
    // What a model sees from the stored PNG is what it saw from the upload, for a gray 28×28
    // input and an RGB 32×32 one alike.
    for spec in [InputSpec::raw(1, 28, 28), InputSpec::raw(3, 32, 32)] {
        assert_eq!(
            decode_image(&png, &spec).expect("stored"),
            decode_image(&jpeg, &spec).expect("upload")
        );
    }
}

#[tokio::test]
async fn bad_publications_and_addresses_are_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let (status, body) = publish(&state, Vec::new(), None).await;
    assert_eq!(
        (status, error_kind(&body).as_str()),
        (StatusCode::BAD_REQUEST, "missing_image")
    );
    let (status, body) = publish(&state, b"not an image at all".to_vec(), None).await;
    assert_eq!(
        (status, error_kind(&body).as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_image")
    );
    let wide = Pixels::from_u8(
        1,
        1,
        MAX_PUBLISHED_SIDE as usize + 1,
        &vec![9; MAX_PUBLISHED_SIDE as usize + 1],
    )
    .to_png()
    .expect("png");
    let (status, body) = publish(&state, wide, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let detail = serde_json::from_slice::<ErrorBody>(&body)
        .expect("error")
        .detail;
    assert!(detail.contains("too large"), "{detail}");
    let (status, body) = publish(&state, vec![0; MAX_PUBLISHED_BYTES + 1], None).await;
    assert_eq!(
        (status, error_kind(&body).as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    let (status, body) = get(&state, "/api/images/..%2F..%2Fmemlab.db").await;
    assert_eq!(
        (status, error_kind(&body).as_str()),
        (StatusCode::BAD_REQUEST, "invalid_image_id")
    );
    let (status, body) = get(&state, &format!("/api/images/{}", "0".repeat(64))).await;
    assert_eq!(
        (status, error_kind(&body).as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    assert!(
        !dir.path().join("data/images").exists(),
        "nothing was stored"
    );
}

#[tokio::test]
async fn publishing_is_rate_limited_per_client() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let image = |value: u8| Pixels::from_u8(1, 2, 2, &[value; 4]).to_png().expect("png");
    for count in 0..MAX_PUBLISHED_PER_CLIENT {
        let (status, _) = publish(&state, image(count as u8), Some("10.1.1.1:5000")).await;
        assert_eq!(status, StatusCode::CREATED, "publication {count}");
    }
    let (status, body) = publish(&state, image(200), Some("10.1.1.1:5001")).await;
    assert_eq!(
        (status, error_kind(&body).as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
    );
    // Another address is not held back.
    let (status, _) = publish(&state, image(200), Some("10.1.1.2:5000")).await;
    assert_eq!(status, StatusCode::CREATED);
}
