//! Public demo mode: every route of the API (read from its OpenAPI document, so a new route
//! cannot be missed) on a read-only server. Reads and uploads to probe work without a token; every route
//! that starts work or writes answers 403 without the admin token, 401 with a wrong one, and
//! gets through with the right one.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use memlab_server::state::AppState;
use memlab_shared::api::{ErrorBody, Experiment, JobStatus};

use common::{ADMIN_TOKEN, bright_png, send, toy_config, toy_state};

/// Every (method, path) the API serves, from its OpenAPI document (which lists exactly the
/// routes `app()` answers: `tests/api/openapi.rs`), so a new route cannot be missed.
fn routes() -> Vec<(Method, String)> {
    let document =
        serde_json::to_value(memlab_server::routes::docs::openapi()).expect("the document");
    let mut routes = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (name, method) in [
            ("get", Method::GET),
            ("post", Method::POST),
            ("put", Method::PUT),
            ("patch", Method::PATCH),
            ("delete", Method::DELETE),
        ] {
            if item[name].is_object() {
                routes.push((method, path.clone()));
            }
        }
    }
    routes
}

/// A body that lets the route's own validation pass where it can (small jobs).
fn body_for(method: &Method, path: &str) -> (Option<&'static str>, Vec<u8>) {
    if *method == Method::GET {
        return (None, Vec::new());
    }
    let json =
        |value: serde_json::Value| (Some("application/json"), value.to_string().into_bytes());
    if path.ends_with("/predict") {
        let mut body = b"--B\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\nContent-Type: image/png\r\n\r\n".to_vec();
        body.extend(bright_png());
        body.extend(b"\r\n--B--\r\n");
        return (Some("multipart/form-data; boundary=B"), body);
    }
    if path == "/api/images" {
        return (Some("image/png"), bright_png());
    }
    if path == "/api/experiments" {
        return json(serde_json::to_value(toy_config(4)).expect("config"));
    }
    if path.ends_with("/probes") {
        return json(serde_json::json!({"n_images": 2, "sweeps": [
            {"transform": "rotation", "from": 0, "to": 10, "points": 2}]}));
    }
    if path.ends_with("/lie") {
        return json(serde_json::json!({"n_images": 2}));
    }
    if path.contains("/symmetry/") {
        return json(serde_json::json!({"steps": 1, "batch_size": 2}));
    }
    if path.ends_with("/geometry") {
        return json(serde_json::json!({"min_patch": 3, "max_patch": 3, "patches": 300, "k": 5}));
    }
    json(serde_json::json!({}))
}

/// The route's request, with `token` as the bearer token when given.
async fn request(
    state: &AppState,
    method: &Method,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, Vec<u8>) {
    let (content_type, body) = body_for(method, path);
    let mut request = Request::builder().method(method.clone()).uri(path);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    send(state, request.body(Body::from(body)).expect("request")).await
}

fn kind(body: &[u8]) -> String {
    serde_json::from_slice::<ErrorBody>(body)
        .map(|error| error.error)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_servers_refuse_writes_without_the_admin_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A finished run, trained while the server was writable.
    let id = {
        let state = toy_state(dir.path(), false).await;
        let worker = memlab_server::jobs::spawn_worker(state.clone());
        let id = memlab_store::experiments::insert(
            &state.pool,
            "run",
            &toy_config(1),
            JobStatus::Queued,
            false,
        )
        .await
        .expect("insert");
        state.wake.all();
        let mut done = false;
        for _ in 0..600 {
            let experiment: Option<Experiment> = memlab_store::experiments::get(&state.pool, id)
                .await
                .expect("read");
            if experiment.is_some_and(|e| e.status == JobStatus::Done) {
                done = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        worker.abort();
        assert!(done, "the toy run trains");
        id
    };
    let state = toy_state(dir.path(), true).await;
    // Publishing an image for share links needs no token (it is rate-limited instead).
    let (status, body) = request(&state, &Method::POST, "/api/images", None).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let published = serde_json::from_slice::<memlab_shared::api::PublishedImage>(&body)
        .expect("published")
        .id;
    let routes = routes();
    assert!(routes.len() >= 20, "{routes:?}");
    let mut wrong = Vec::new();
    let mut writes = 0;
    for (method, template) in &routes {
        let path = template
            .replace("{id}", &id.to_string())
            .replace("{mode}", "from_phi")
            .replace("{name}", "toy")
            .replace("{index}", "0")
            .replace("{image}", &published)
            .replace("{job}", "1")
            .replace("{key}", "zhang-fit");
        let is_write = memlab_server::admin::writes(method, &path);
        writes += usize::from(is_write);
        let (status, body) = request(&state, method, &path, None).await;
        let refused = status == StatusCode::FORBIDDEN && kind(&body) == "read_only";
        if is_write != refused {
            wrong.push(format!(
                "{method} {path} without a token: {status} {}",
                kind(&body)
            ));
        }
        let (status, body) = request(&state, method, &path, Some("not-the-admin-token")).await;
        if status != StatusCode::UNAUTHORIZED || kind(&body) != "invalid_token" {
            wrong.push(format!("{method} {path} with a wrong token: {status}"));
        }
        let (status, body) = request(&state, method, &path, Some(ADMIN_TOKEN)).await;
        if status == StatusCode::FORBIDDEN
            || status == StatusCode::UNAUTHORIZED
            || status.is_server_error()
        {
            wrong.push(format!(
                "{method} {path} with the token: {status} {}",
                kind(&body)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The write routes: create a run, start each analysis, create a study, resume, measure a
    // data set's patch geometry, queue a replication's runs.
    assert_eq!(writes, 9, "{writes} write routes of {routes:?}");
    // The admin's run was really created.
    let (status, body) = request(&state, &Method::GET, "/api/experiments", None).await;
    assert_eq!(status, StatusCode::OK);
    let listed: Vec<Experiment> = serde_json::from_slice(&body).expect("list");
    assert_eq!(listed.len(), 2, "the admin's POST created a run");
}
