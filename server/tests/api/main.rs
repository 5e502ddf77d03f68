//! The HTTP API through `app(state)` with `oneshot`: answers, and JSON 4xx for bad input.

#[path = "../common/mod.rs"]
mod common;

mod bounds;
mod datasets;
mod experiments;
mod lie;
mod openapi;
mod probes;
mod replications;
mod studies;
mod symmetry;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use memlab_server::state::AppState;
use memlab_shared::analysis::AnalysisJob;
use memlab_shared::api::{DatasetInfo, ErrorBody, Experiment, Health, JobStatus, Prediction};
use memlab_shared::bounds::BoundJob;
use memlab_shared::lie::LieJob;
use memlab_shared::preprocess::png_header_only;
use memlab_shared::probes::ProbeJob;
use memlab_shared::studies::Study;
use memlab_shared::symmetry::SymmetryJob;
use memlab_shared::transform::TransformKind;
use serde::de::DeserializeOwned;

use common::{Runner, bright_png, send, toy_config, toy_state};

async fn get(state: &AppState, uri: &str) -> (StatusCode, Vec<u8>) {
    send(
        state,
        Request::get(uri).body(Body::empty()).expect("request"),
    )
    .await
}

fn post_json(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .expect("request")
}

fn multipart(uri: &str, field: &str, bytes: &[u8]) -> Request<Body> {
    let mut body = format!(
        "--BOUNDARY\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"x.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(b"\r\n--BOUNDARY--\r\n");
    Request::post(uri)
        .header(
            header::CONTENT_TYPE,
            "multipart/form-data; boundary=BOUNDARY",
        )
        .body(Body::from(body))
        .expect("request")
}

/// Asserts a JSON error answer of `status` and `kind`.
fn check_error(
    (status, body): (StatusCode, Vec<u8>),
    expected: StatusCode,
    kind: &str,
) -> ErrorBody {
    let error: ErrorBody = serde_json::from_slice(&body)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&body)));
    assert_eq!(status, expected, "{error:?}");
    assert_eq!(error.error, kind, "{error:?}");
    assert!(!error.detail.is_empty());
    error
}

async fn create_and_train(state: &AppState) -> Experiment {
    train_config(state, &toy_config(1)).await
}

/// Queues `config` through the API and waits for the run to finish.
async fn train_config(
    state: &AppState,
    config: &memlab_shared::api::ExperimentConfig,
) -> Experiment {
    let worker = memlab_server::jobs::spawn_worker(state.clone());
    let (status, body) = send(
        state,
        post_json(
            "/api/experiments",
            &serde_json::to_string(config).expect("json"),
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let created: Experiment = serde_json::from_slice(&body).expect("experiment");
    assert_eq!(created.status, JobStatus::Queued);
    for _ in 0..600 {
        let (_, body) = get(state, &format!("/api/experiments/{}", created.id)).await;
        let experiment: Experiment = serde_json::from_slice(&body).expect("experiment");
        match experiment.status {
            JobStatus::Done => {
                worker.abort();
                return experiment;
            }
            JobStatus::Failed => panic!("training failed: {:?}", experiment.error),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("training did not finish in 60 s")
}

async fn wait_for_panel(state: &AppState, url: &str) -> BoundJob {
    wait_for(state, url).await
}

/// The stored analysis at `url` once it is neither queued nor running (the runner runs while
/// it waits).
async fn wait_for<R: DeserializeOwned, T: DeserializeOwned>(
    state: &AppState,
    url: &str,
) -> AnalysisJob<R, T> {
    let _runner = Runner::start(state);
    for _ in 0..1200 {
        let job: AnalysisJob<R, T> = serde_json::from_slice(&get(state, url).await.1).expect("job");
        if !matches!(job.status, JobStatus::Queued | JobStatus::Running) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the job at {url} did not finish in 120 s")
}

/// Study `id` once it is done or failed (or as it is after 180 s).
async fn wait_for_study(state: &AppState, id: i64) -> Study {
    let _runner = Runner::start(state);
    let url = format!("/api/studies/{id}");
    let mut study: Study = serde_json::from_slice(&get(state, &url).await.1).expect("study");
    for _ in 0..1800 {
        if matches!(study.status, JobStatus::Done | JobStatus::Failed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        study = serde_json::from_slice(&get(state, &url).await.1).expect("study");
    }
    study
}

/// Splits one CSV row, honouring quoted fields with doubled quotes.
fn csv_fields(row: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = row.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().expect("field").push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().expect("field").push(c),
        }
    }
    fields
}
