//! The HTTP API through `app(state)` with `oneshot`: answers, and JSON 4xx for bad input.

mod common;

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

use common::{bright_png, send, toy_config, toy_state};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_datasets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    // A user's broken folder is left out of the list instead of breaking it.
    let broken = dir.path().join("datasets/broken/train/a");
    std::fs::create_dir_all(&broken).expect("mkdir");
    std::fs::write(broken.join("x.png"), b"not an image").expect("write");
    let (status, body) = get(&state, "/api/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<Health>(&body)
            .expect("health")
            .status,
        "ok"
    );
    let (status, body) = get(&state, "/api/datasets").await;
    assert_eq!(status, StatusCode::OK);
    let datasets: Vec<DatasetInfo> = serde_json::from_slice(&body).expect("datasets");
    let names: Vec<&str> = datasets.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        ["glasses", "toy"],
        "the generated set, then the user's folder"
    );
    assert_eq!((datasets[1].n_train, datasets[1].n_test), (40, 10));
    let glasses = &datasets[0];
    assert_eq!((glasses.n_train, glasses.n_test), (4000, 1000));
    assert_eq!((glasses.input.channels, glasses.input.height), (3, 32));
    assert_eq!(glasses.class_names.len(), 40);
    let (status, body) = get(&state, "/api/datasets/toy/samples/0").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&body[1..4], b"PNG");
    check_error(
        get(&state, "/api/datasets/toy/samples/10").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    check_error(
        get(&state, "/api/datasets/toy/samples/0?split=dev").await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    check_error(
        get(&state, "/api/datasets/nope/samples/0").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    check_error(
        get(&state, "/api/nothing-here").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

/// Patch geometry of the toy set's 16×16 images: one entry per size, spectra of the patch
/// length, estimates present; out-of-range and unknown parameters are 4xx, an unknown data
/// set 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_geometry_per_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let (status, body) = get(
        &state,
        "/api/datasets/toy/geometry?min_patch=3&max_patch=4&patches=300&k=5",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let geometry: Vec<memlab_shared::geometry::PatchGeometry> =
        serde_json::from_slice(&body).expect("geometry");
    assert_eq!(geometry.len(), 2);
    for (g, p) in geometry.iter().zip([3usize, 4]) {
        assert_eq!(g.patch, p);
        assert_eq!(g.spectrum.len(), p * p);
        assert_eq!(g.whitened_spectrum.len(), p * p);
        assert!(g.spectrum.windows(2).all(|w| w[0] >= w[1]));
        assert!(
            g.raw.two_nn.is_some() && g.whitened.levina_bickel.is_some(),
            "{g:?}"
        );
        assert!((1..=p * p).contains(&g.components_90));
    }
    for (query, field) in [
        ("max_patch=17", "max_patch"),
        ("min_patch=5&max_patch=4", "max_patch"),
        ("patches=50", "patches"),
        ("k=1", "k"),
        ("images=0", "images"),
        ("whitening=-1", "whitening"),
    ] {
        let error = check_error(
            get(&state, &format!("/api/datasets/toy/geometry?{query}")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(error.detail.contains(field), "{query}: {error:?}");
    }
    let (status, _) = get(&state, "/api/datasets/toy/geometry?colour=blue").await;
    assert!(status.is_client_error(), "{status}");
    check_error(
        get(&state, "/api/datasets/nope/geometry").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_experiments_are_refused_with_422_or_400() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let good = serde_json::to_value(toy_config(1)).expect("json");
    let with = |key: &str, value: serde_json::Value| {
        let mut config = good.clone();
        config[key] = value;
        config.to_string()
    };
    let cases = [
        (with("epochs", 0.into()), "epochs"),
        (with("batch_size", 0.into()), "batch_size"),
        (with("learning_rate", (-1.0).into()), "learning_rate"),
        (with("n_train", 100_000.into()), "n_train"),
        (with("dataset", "cifar-10".into()), "no data set named"),
        (with("model", "transformer".into()), "model"),
        (with("typo", 1.into()), "typo"),
    ];
    for (body, needle) in cases {
        let error = check_error(
            send(&state, post_json("/api/experiments", &body)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(error.detail.contains(needle), "{needle}: {}", error.detail);
    }
    check_error(
        send(&state, post_json("/api/experiments", "{not json")).await,
        StatusCode::BAD_REQUEST,
        "invalid_json",
    );
    let no_type = Request::post("/api/experiments")
        .body(Body::from(good.to_string()))
        .expect("request");
    check_error(
        send(&state, no_type).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    check_error(
        get(&state, "/api/experiments/42").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    check_error(
        get(&state, "/api/experiments/abc").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (_, body) = get(&state, "/api/experiments").await;
    assert!(
        serde_json::from_slice::<Vec<Experiment>>(&body)
            .expect("list")
            .is_empty(),
        "nothing was stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_servers_refuse_training() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), true).await;
    let body = serde_json::to_string(&toy_config(1)).expect("json");
    check_error(
        send(&state, post_json("/api/experiments", &body)).await,
        StatusCode::FORBIDDEN,
        "read_only",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn train_predict_and_refuse_bad_uploads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let experiment = create_and_train(&state).await;
    let id = experiment.id;
    let metrics = experiment.metrics.expect("metrics");
    assert_eq!(metrics.train_accuracy, 1.0, "the toy set is separable");
    assert_eq!(experiment.curves.len(), 3);

    let predict = format!("/api/experiments/{id}/predict");
    let (status, body) = send(&state, multipart(&predict, "image", &bright_png())).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let prediction: Prediction = serde_json::from_slice(&body).expect("prediction");
    assert_eq!(prediction.class_names[prediction.predicted], "bright");
    assert!((prediction.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-5);

    check_error(
        send(&state, multipart(&predict, "image", b"plain text")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_image",
    );
    let png = bright_png();
    check_error(
        send(&state, multipart(&predict, "image", &png[..png.len() - 20])).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_image",
    );
    let bomb = check_error(
        send(
            &state,
            multipart(&predict, "image", &png_header_only(50_000, 50_000)),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_image",
    );
    assert!(bomb.detail.contains("50000×50000"), "{}", bomb.detail);
    check_error(
        send(&state, multipart(&predict, "picture", &png)).await,
        StatusCode::BAD_REQUEST,
        "missing_field",
    );
    let huge = multipart(&predict, "image", &vec![0u8; 100 * 1024 * 1024]);
    check_error(
        send(&state, huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    let not_multipart = post_json(&predict, "{}");
    check_error(
        send(&state, not_multipart).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    check_error(
        send(
            &state,
            multipart("/api/experiments/999/predict", "image", &png),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    let initial = memlab_store::artifacts::initial_record_path(&state.data_dir, id);
    assert!(
        std::fs::metadata(initial).expect("init.bpk").len() > 0,
        "initial weights are kept"
    );
    let (status, weights) = get(&state, &format!("/api/experiments/{id}/weights")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!weights.is_empty());
    let (status, export) = get(
        &state,
        &format!("/api/experiments/{id}/weights.safetensors"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let tensors = safetensors::SafeTensors::deserialize(&export).expect("safetensors");
    let mut names = tensors.names();
    names.sort();
    assert_eq!(
        names,
        [
            "head.bias",
            "head.weight",
            "hidden.0.bias",
            "hidden.0.weight",
            "hidden.1.bias",
            "hidden.1.weight"
        ]
    );
    assert_eq!(
        tensors.tensor("hidden.0.weight").expect("tensor").shape(),
        [256, SIDE_LEN]
    );

    // SSE on a finished run: the stream says done and ends.
    let (status, body) = get(&state, &format!("/api/experiments/{id}/events")).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(body).expect("utf8");
    assert!(
        text.contains("event: status") && text.contains("\"done\""),
        "{text}"
    );
}

const SIDE_LEN: usize = common::SIDE * common::SIDE;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weights_of_unfinished_runs_are_409() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let body = serde_json::to_string(&toy_config(1)).expect("json");
    let (status, body) = send(&state, post_json("/api/experiments", &body)).await;
    assert_eq!(status, StatusCode::CREATED);
    let experiment: Experiment = serde_json::from_slice(&body).expect("experiment");
    check_error(
        get(
            &state,
            &format!("/api/experiments/{}/weights", experiment.id),
        )
        .await,
        StatusCode::CONFLICT,
        "not_ready",
    );
    check_error(
        send(
            &state,
            multipart(
                &format!("/api/experiments/{}/predict", experiment.id),
                "image",
                &bright_png(),
            ),
        )
        .await,
        StatusCode::CONFLICT,
        "not_ready",
    );
}

/// A run left `running` by a stopped server is `interrupted` at the next start, and a demo that
/// did not finish is queued again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_mark_interrupted_runs_and_requeue_the_demo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let config = toy_config(1);
    let orphan = memlab_store::experiments::insert(
        &state.pool,
        "orphan",
        &config,
        JobStatus::Running,
        false,
    )
    .await
    .expect("insert");
    let settings = memlab_server::demo::DemoSettings::default();
    let lenet = memlab_server::demo::demo_config(&settings);
    let demo = memlab_store::experiments::insert(
        &state.pool,
        lenet.name.as_deref().expect("named"),
        &lenet,
        JobStatus::Running,
        true,
    )
    .await
    .expect("insert");
    drop(state);
    let state = toy_state(dir.path(), false).await;
    let (_, body) = get(&state, &format!("/api/experiments/{orphan}")).await;
    let experiment: Experiment = serde_json::from_slice(&body).expect("experiment");
    assert_eq!(experiment.status, JobStatus::Interrupted);
    assert!(experiment.error.expect("error").contains("stopped"));
    let ids = memlab_server::demo::ensure_demos(&state.pool, &settings)
        .await
        .expect("demos");
    assert_eq!(ids.len(), 2, "LeNet and the MLP");
    assert_eq!(ids[0], demo, "the interrupted LeNet demo is reused");
    assert_eq!(
        memlab_server::demo::ensure_demos(&state.pool, &settings)
            .await
            .expect("demos"),
        ids,
        "nothing new is queued twice"
    );
    let (_, body) = get(&state, &format!("/api/experiments/{demo}")).await;
    assert_eq!(
        serde_json::from_slice::<Experiment>(&body)
            .expect("experiment")
            .status,
        JobStatus::Queued
    );
}

/// At start-up an interrupted run with a checkpoint is queued to go on from it (and one whose
/// checkpoint is damaged starts over); `POST /resume` queues any interrupted or failed run and
/// refuses others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_runs_resume_from_their_checkpoints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let config = toy_config(3);
    let insert = |name: &'static str| {
        let (pool, config) = (state.pool.clone(), config.clone());
        async move {
            memlab_store::experiments::insert(&pool, name, &config, JobStatus::Running, false)
                .await
                .expect("insert")
        }
    };
    let (saved, damaged, bare) = (
        insert("checkpointed").await,
        insert("damaged").await,
        insert("bare").await,
    );
    // A real checkpoint after the first epoch, and a damaged one.
    let dataset = state.catalog.get("toy").expect("toy");
    let mut first = None;
    let whole = memlab_science::run::train_resumable(
        &dataset,
        &config,
        &state.device,
        None,
        &mut |_| {},
        &mut |checkpoint| {
            first.get_or_insert(checkpoint);
            Ok(())
        },
        &|| false,
    )
    .expect("train");
    let mut first = first.expect("a checkpoint");
    memlab_store::checkpoint::save(&state.data_dir, saved, &first).expect("save");
    first.model.truncate(10);
    memlab_store::checkpoint::save(&state.data_dir, damaged, &first).expect("save");
    drop(state);

    let state = toy_state(dir.path(), false).await;
    let status = |id: i64| {
        let state = state.clone();
        async move {
            let (_, body) = get(&state, &format!("/api/experiments/{id}")).await;
            serde_json::from_slice::<Experiment>(&body).expect("experiment")
        }
    };
    assert_eq!(status(saved).await.status, JobStatus::Queued);
    assert_eq!(status(damaged).await.status, JobStatus::Queued);
    assert_eq!(
        status(bare).await.status,
        JobStatus::Interrupted,
        "nothing to go on from"
    );
    check_error(
        send(&state, post_json("/api/experiments/999/resume", "")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    check_error(
        send(
            &state,
            post_json(&format!("/api/experiments/{saved}/resume"), ""),
        )
        .await,
        StatusCode::CONFLICT,
        "not_ready",
    );
    let (code, body) = send(
        &state,
        post_json(&format!("/api/experiments/{bare}/resume"), ""),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    let queued: Experiment = serde_json::from_slice(&body).expect("experiment");
    assert_eq!(queued.status, JobStatus::Queued);

    let worker = memlab_server::jobs::spawn_worker(state.clone());
    let mut finished = Vec::new();
    for id in [saved, damaged, bare] {
        for _ in 0..600 {
            let experiment = status(id).await;
            if !matches!(experiment.status, JobStatus::Queued | JobStatus::Running) {
                finished.push(experiment);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    worker.abort();
    assert_eq!(finished.len(), 3, "all three finished");
    for experiment in &finished {
        assert_eq!(experiment.status, JobStatus::Done, "{:?}", experiment.error);
        assert_eq!(experiment.curves.len(), config.epochs);
        assert_eq!(
            experiment.metrics.as_ref().expect("metrics").test_loss,
            whole.metrics.test_loss,
            "the same seed ends the same, resumed or not"
        );
    }
    assert_eq!(finished[0].resumed_from_epoch, Some(1));
    assert_eq!(
        finished[1].resumed_from_epoch, None,
        "the damaged checkpoint was dropped"
    );
    assert_eq!(finished[2].resumed_from_epoch, None);
    assert!(memlab_store::checkpoint::load(&state.data_dir, saved).is_none());

    let read_only = toy_state(dir.path(), true).await;
    check_error(
        send(
            &read_only,
            post_json(&format!("/api/experiments/{bare}/resume"), ""),
        )
        .await,
        StatusCode::FORBIDDEN,
        "read_only",
    );
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

/// The bound panel: refused before training, then computed in the background, stored, served as
/// JSON and CSV with the same numbers; bad requests are 4xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bound_panel_lifecycle_and_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let queued = memlab_store::experiments::insert(
        &state.pool,
        "queued",
        &toy_config(2),
        JobStatus::Queued,
        false,
    )
    .await
    .expect("insert");
    check_error(
        send(
            &state,
            post_json(&format!("/api/experiments/{queued}/bounds"), "{}"),
        )
        .await,
        StatusCode::CONFLICT,
        "not_ready",
    );
    let experiment = create_and_train(&state).await;
    let id = experiment.id;
    let url = format!("/api/experiments/{id}/bounds");
    check_error(get(&state, &url).await, StatusCode::NOT_FOUND, "not_found");
    check_error(
        get(&state, &format!("{url}.csv")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    for bad in [
        r#"{"delta": 0}"#,
        r#"{"delta": 0.7}"#,
        r#"{"delta": "x"}"#,
        r#"{"gamma": 1}"#,
        "null",
    ] {
        check_error(
            send(&state, post_json(&url, bad)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
    }
    check_error(
        send(&state, post_json("/api/experiments/999/bounds", "{}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    check_error(
        send(&state, post_json("/api/experiments/abc/bounds", "{}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // An empty body asks for the defaults.
    let (status, body) = send(
        &state,
        Request::post(&url).body(Body::empty()).expect("request"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let mut job: BoundJob = serde_json::from_slice(&body).expect("job");
    for _ in 0..600 {
        if !matches!(job.status, JobStatus::Queued | JobStatus::Running) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        job = serde_json::from_slice(&get(&state, &url).await.1).expect("job");
    }
    assert_eq!(job.status, JobStatus::Done, "{:?}", job.error);
    let panel = job.result.expect("panel");
    assert_eq!(panel.delta, 0.05);
    assert_eq!((panel.n_train, panel.n_test), (40, 10));
    let metrics = experiment.metrics.expect("metrics");
    assert!((panel.test_error - (1.0 - metrics.test_accuracy)).abs() < 1e-9);
    assert_eq!(panel.n_parameters, metrics.n_parameters);
    assert_eq!(panel.layers.len(), 3);
    let keys: Vec<&str> = panel.bounds.iter().map(|b| b.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "vc",
            "nts",
            "grs",
            "bft_zero",
            "bft_init",
            "nbs",
            "linear_pac_bayes_q",
            "linear_pac_bayes",
            "linear_pac_bayes_data_q",
            "linear_pac_bayes_data"
        ]
    );
    // The MLP trains from the pixels: the linear-head bounds say so.
    for bound in &panel.bounds[6..] {
        let why = bound.not_applicable.as_deref().expect("reason");
        assert!(why.contains("linear classifier on fixed features"), "{why}");
    }
    assert_eq!(panel.bounds.len(), 10);
    for bound in &panel.bounds[..6] {
        let value = bound
            .value
            .unwrap_or_else(|| panic!("{} not computed", bound.key));
        assert!(value >= panel.train_error, "{}: {value}", bound.key);
        assert_eq!(bound.vacuous, value > 1.0);
        assert!(!bound.source.is_empty() && !bound.formula.is_empty() && !bound.inputs.is_empty());
    }

    // The CSV carries the stored numbers, in the same order.
    let (status, csv) = get(&state, &format!("{url}.csv")).await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).expect("utf-8");
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), panel.bounds.len());
    for (row, bound) in rows.iter().zip(&panel.bounds) {
        let fields = csv_fields(row);
        assert_eq!(fields[0], bound.key);
        assert_eq!(fields[1], bound.name);
        // A bound that does not apply has an empty value.
        let value: Option<f64> =
            (!fields[2].is_empty()).then(|| fields[2].parse().expect("number"));
        assert_eq!(value, bound.value);
    }
    let (status, layers) = get(&state, &format!("{url}/layers.csv")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(String::from_utf8(layers).expect("utf-8").lines().count(), 4);

    // A restart turns an unfinished panel into an interrupted one.
    memlab_store::analyses::set_progress(
        &state.pool,
        id,
        memlab_store::analyses::AnalysisKind::Bounds,
        0.5,
        "halfway",
    )
    .await
    .expect("progress");
    drop(state);
    let state = toy_state(dir.path(), false).await;
    let job: BoundJob = serde_json::from_slice(&get(&state, &url).await.1).expect("job");
    assert_eq!(job.status, JobStatus::Interrupted);
    // Were it a demo, its panel would be computed again at start-up (read-only demos cannot ask).
    sqlx::query("UPDATE experiments SET is_demo = 1 WHERE id = ?")
        .bind(id)
        .execute(&state.pool)
        .await
        .expect("flag");
    memlab_server::demo::resume_demo_panels(&state)
        .await
        .expect("resume");
    let job = wait_for_panel(&state, &url).await;
    assert_eq!(job.status, JobStatus::Done, "{:?}", job.error);

    let read_only = toy_state(dir.path(), true).await;
    check_error(
        send(&read_only, post_json(&url, "{}")).await,
        StatusCode::FORBIDDEN,
        "read_only",
    );
}

async fn wait_for_panel(state: &AppState, url: &str) -> BoundJob {
    wait_for(state, url).await
}

/// The stored analysis at `url` once it is neither queued nor running.
async fn wait_for<R: DeserializeOwned, T: DeserializeOwned>(
    state: &AppState,
    url: &str,
) -> AnalysisJob<R, T> {
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

/// Invariance probes: refused before training and for bad sweeps, computed in the background,
/// stored, served as JSON and CSV with the same numbers; identity points are exact; a demo gets
/// its probe at start-up; a read-only server refuses to start one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_lifecycle_and_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let queued = memlab_store::experiments::insert(
        &state.pool,
        "queued",
        &toy_config(2),
        JobStatus::Queued,
        false,
    )
    .await
    .expect("insert");
    check_error(
        send(
            &state,
            post_json(&format!("/api/experiments/{queued}/probes"), "{}"),
        )
        .await,
        StatusCode::CONFLICT,
        "not_ready",
    );
    let experiment = create_and_train(&state).await;
    let id = experiment.id;
    let url = format!("/api/experiments/{id}/probes");
    check_error(get(&state, &url).await, StatusCode::NOT_FOUND, "not_found");
    check_error(
        get(&state, &format!("{url}.csv")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    for bad in [
        r#"{"n_images": 1}"#,
        r#"{"n_images": 1000000}"#,
        r#"{"sweeps": []}"#,
        r#"{"sweeps": [{"transform": "rotation", "from": 0, "to": 90, "points": 0}]}"#,
        r#"{"sweeps": [{"transform": "rotation", "from": 0, "to": 90, "points": 100000}]}"#,
        r#"{"sweeps": [{"transform": "scale", "from": -1, "to": 2, "points": 3}]}"#,
        r#"{"sweeps": [{"transform": "shear", "from": 0, "to": 1, "points": 3}]}"#,
        r#"{"sweeps": [{"transform": "rotation", "from": 0, "to": 1e30, "points": 3}]}"#,
        r#"{"colour": 1}"#,
    ] {
        check_error(
            send(&state, post_json(&url, bad)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
    }
    check_error(
        send(&state, post_json("/api/experiments/999/probes", "{}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let request = r#"{"n_images": 10, "seed": 3, "sweeps": [
        {"transform": "rotation", "from": -90, "to": 90, "points": 5},
        {"transform": "horizontal_flip", "from": 0, "to": 1, "points": 2}]}"#;
    let (status, body) = send(&state, post_json(&url, request)).await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let job: ProbeJob = wait_for(&state, &url).await;
    assert_eq!(job.status, JobStatus::Done, "{:?}", job.error);
    let report = job.result.expect("report");
    assert_eq!((report.n_images, report.seed), (10, 3));
    assert_eq!(report.curves.len(), 2);
    let rotation = &report.curves[0];
    assert_eq!(rotation.parameters, vec![-90.0, -45.0, 0.0, 45.0, 90.0]);
    // The identity point is exact: same predictions, zero sensitivity, the plain accuracy.
    assert_eq!(rotation.consistency[2], 1.0);
    assert_eq!(rotation.sensitivity_logits[2], Some(0.0));
    assert_eq!(rotation.sensitivity_features[2], Some(0.0));
    assert_eq!(rotation.accuracy[2], report.accuracy);
    assert!(report.logit_spread > 0.0 && report.feature_spread > 0.0);
    // The CSV carries the stored numbers.
    let (status, csv) = get(&state, &format!("{url}.csv")).await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).expect("utf-8");
    let rows: Vec<Vec<String>> = csv.lines().skip(1).map(csv_fields).collect();
    assert_eq!(rows.len(), 7);
    for (row, index) in rows.iter().take(5).zip(0..) {
        assert_eq!(row[0], "rotation");
        assert_eq!(
            row[2].parse::<f64>().expect("t"),
            rotation.parameters[index]
        );
        assert_eq!(
            row[3].parse::<f64>().expect("C"),
            rotation.consistency[index]
        );
    }
    // One at a time: a second request while it runs is a conflict, then it can be replaced.
    let (status, _) = send(&state, post_json(&url, "")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let again = send(&state, post_json(&url, "")).await;
    if again.0 != StatusCode::ACCEPTED {
        check_error(again, StatusCode::CONFLICT, "not_ready");
    }
    let job: ProbeJob = wait_for(&state, &url).await;
    assert_eq!(job.status, JobStatus::Done, "{:?}", job.error);
    assert_eq!(job.result.expect("report").curves.len(), 7);

    // A demo without a probe gets one at start-up (with its bound panel).
    drop(state);
    let state = toy_state(dir.path(), false).await;
    sqlx::query("UPDATE experiments SET is_demo = 1 WHERE id = ?")
        .bind(id)
        .execute(&state.pool)
        .await
        .expect("flag");
    sqlx::query("DELETE FROM analysis_jobs WHERE experiment_id = ?")
        .bind(id)
        .execute(&state.pool)
        .await
        .expect("forget");
    memlab_server::demo::resume_demo_panels(&state)
        .await
        .expect("resume");
    let job: ProbeJob = wait_for(&state, &url).await;
    assert_eq!(job.status, JobStatus::Done, "{:?}", job.error);
    let job = wait_for_panel(&state, &format!("/api/experiments/{id}/bounds")).await;
    assert_eq!(job.status, JobStatus::Done, "{:?}", job.error);

    let read_only = toy_state(dir.path(), true).await;
    check_error(
        send(&read_only, post_json(&url, "{}")).await,
        StatusCode::FORBIDDEN,
        "read_only",
    );
}

/// Fixed-encoder models (whitened patches, scattering): the panel is about their trained layers
/// on the encoding and the training images after the encoder's own (a sample split, stated),
/// and the optimized PAC-Bayes certificate says why it does not apply yet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_encoder_bound_panels_use_a_sample_split() {
    use memlab_shared::api::{ModelKind, ScatteringSettings};
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let patches = common::toy_patches(1, 6);
    let scattering = memlab_shared::api::ExperimentConfig {
        model: ModelKind::Scattering,
        epochs: 6,
        scattering: ScatteringSettings {
            scales: 2,
            angles: 4,
            calibration_images: 10,
            hidden: None,
        },
        ..toy_config(1)
    };
    for (config, layers) in [(patches, 1), (scattering, 1)] {
        let experiment = train_config(&state, &config).await;
        let url = format!("/api/experiments/{}/bounds", experiment.id);
        let (status, answer) = send(
            &state,
            post_json(&url, r#"{"pac_bayes": {"steps": 10, "samples": 100}}"#),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::ACCEPTED,
            "{}",
            String::from_utf8_lossy(&answer)
        );
        let job = wait_for_panel(&state, &url).await;
        assert_eq!(job.status, JobStatus::Done, "{:?}", job.error);
        let panel = job.result.expect("panel");
        // 40 training images, the first 10 the encoder's.
        assert_eq!((panel.n_train, panel.held_out, panel.n_test), (30, 10, 10));
        let note = panel.sample_split.as_deref().expect("split stated");
        assert!(
            note.contains("first 10 training images") && note.contains("m = 30"),
            "{note}"
        );
        assert_eq!(panel.layers.len(), layers);
        let model = experiment.model.as_ref().expect("architecture");
        assert_eq!(
            panel.n_parameters,
            memlab_shared::models::trained_parameters(model, 0)
        );
        let metrics = experiment.metrics.expect("metrics");
        assert!((panel.test_error - (1.0 - metrics.test_accuracy)).abs() < 1e-9);
        assert!(panel.max_input_norm <= panel.domain_input_norm);
        let keys: Vec<&str> = panel.bounds.iter().map(|b| b.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "vc",
                "nts",
                "grs",
                "bft_zero",
                "bft_init",
                "nbs",
                "linear_pac_bayes_q",
                "linear_pac_bayes",
                "linear_pac_bayes_data_q",
                "linear_pac_bayes_data",
                "dr"
            ]
        );
        for bound in &panel.bounds[..10] {
            let value = bound.value.unwrap_or_else(|| {
                panic!("{} not computed: {:?}", bound.key, bound.not_applicable)
            });
            assert!(value >= panel.train_error, "{}: {value}", bound.key);
        }
        // The data-dependent prior's head trained on the first half of the 30.
        let data = &panel.bounds[8];
        let m2 = data
            .inputs
            .iter()
            .find(|q| q.symbol == "m₂")
            .expect("m₂")
            .value;
        assert_eq!(m2, 15.0);
        assert!(
            panel
                .timings
                .iter()
                .any(|(stage, _)| stage.starts_with("prior head"))
        );
        let why = panel.bounds[10]
            .not_applicable
            .as_deref()
            .expect("not applicable");
        assert!(why.contains("fixed encoder"), "{why}");
    }
}

/// The optimized PAC-Bayes certificate runs as part of the panel when asked, with either prior;
/// its options are validated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optimized_pac_bayes_on_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let id = create_and_train(&state).await.id;
    let url = format!("/api/experiments/{id}/bounds");
    for bad in [
        r#"{"pac_bayes": {"steps": 0}}"#,
        r#"{"pac_bayes": {"samples": 10}}"#,
        r#"{"pac_bayes": {"learning_rate": 1.5}}"#,
        r#"{"pac_bayes": {"initial_std": 0.5}}"#,
        r#"{"pac_bayes": {"prior": "posterior"}}"#,
        r#"{"pac_bayes": {"epochs": 3}}"#,
    ] {
        check_error(
            send(&state, post_json(&url, bad)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
    }
    for (prior, key, m) in [
        ("initialization", "dr", 40.0),
        ("data_dependent", "dr_data", 20.0),
    ] {
        let body =
            format!(r#"{{"pac_bayes": {{"steps": 30, "samples": 400, "prior": "{prior}"}}}}"#);
        let (status, answer) = send(&state, post_json(&url, &body)).await;
        assert_eq!(
            status,
            StatusCode::ACCEPTED,
            "{}",
            String::from_utf8_lossy(&answer)
        );
        let job = wait_for_panel(&state, &url).await;
        assert_eq!(job.status, JobStatus::Done, "{:?}", job.error);
        let panel = job.result.expect("panel");
        let bound = panel.bounds.last().expect("bounds");
        assert_eq!(bound.key, key);
        let input = |symbol: &str| {
            bound
                .inputs
                .iter()
                .find(|q| q.symbol == symbol)
                .unwrap_or_else(|| panic!("{symbol} missing"))
                .value
        };
        assert_eq!(input("m"), m);
        assert_eq!(input("n"), 400.0);
        let value = bound.value.expect("value");
        // The certificate sits above the Monte-Carlo upper bound and is a probability.
        assert!(input("kl⁻¹(ê_n)") <= value && value <= 1.0, "{value}");
        assert!(input("KL") > 0.0 && input("λ") < 0.1);
    }
}

/// Studies: a randomization grid is validated, queued, trained to the accuracy target and each
/// member gets its bound panel; a sample-size grid is checked against the data set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn studies_queue_train_and_bound_their_members() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let mut base = toy_config(3);
    base.epochs = 60;
    base.stop_at_train_accuracy = Some(1.0);
    let request = |extra: &str| {
        format!(
            r#"{{"kind": "randomization", "base": {}{extra}}}"#,
            serde_json::to_string(&base).expect("json")
        )
    };
    for (bad, needle) in [
        (
            request(r#", "label_corruptions": [0, 2]"#),
            "label corruption",
        ),
        (request(r#", "label_corruptions": [0.5, 0.5]"#), "twice"),
        (request(r#", "sizes": [10]"#), "randomization studies"),
        (request(r#", "input_variants": ["none"]"#), "input_variants"),
        (
            request(
                r#", "label_corruptions": [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 1]"#,
            ),
            "at most",
        ),
        (
            format!(
                r#"{{"kind": "sample_size", "base": {}, "sizes": [10, 41]}}"#,
                serde_json::to_string(&base).expect("json")
            ),
            "between 1 and 40",
        ),
    ] {
        let error = check_error(
            send(&state, post_json("/api/studies", &bad)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(error.detail.contains(needle), "{needle}: {}", error.detail);
    }
    check_error(
        send(
            &state,
            post_json("/api/studies", r#"{"kind": "randomization"}"#),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(
        get(&state, "/api/studies/77").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    let worker = memlab_server::jobs::spawn_worker(state.clone());
    let body = request(r#", "label_corruptions": [0, 1], "input_variants": ["shuffled_pixels"]"#);
    let (status, answer) = send(&state, post_json("/api/studies", &body)).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let study: Study = serde_json::from_slice(&answer).expect("study");
    assert_eq!(study.members.len(), 3);
    assert_eq!(
        study.status,
        JobStatus::Queued,
        "the answer is the study as queued"
    );
    let study = wait_for_study(&state, study.id).await;
    worker.abort();
    assert_eq!(study.status, JobStatus::Done, "{study:#?}");
    assert_eq!(study.progress, 1.0);
    let labels: Vec<&str> = study.members.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, ["p = 0", "p = 1", "shuffled pixels"]);
    assert_eq!(
        study.members.iter().map(|m| m.on_grid).collect::<Vec<_>>(),
        [true, true, false]
    );
    for member in &study.members {
        assert_eq!(member.experiment.study_id, Some(study.id));
        let metrics = member.experiment.metrics.as_ref().expect("metrics");
        // The 40-example toy set is memorized at every p within the cap.
        // Training stops at the end of the first epoch that reaches the target, else at the cap.
        match metrics.fitted_at_step {
            Some(fitted) => {
                assert_eq!(fitted, metrics.epochs_run * 5, "5 steps of 8 per epoch");
                assert_eq!(
                    member.experiment.curves.last().map(|c| c.steps),
                    Some(fitted)
                );
                assert!(
                    member
                        .experiment
                        .curves
                        .last()
                        .is_some_and(|c| c.train_accuracy >= 1.0)
                );
            }
            None => assert_eq!(metrics.epochs_run, 60, "{}", member.label),
        }
        if member.label == "p = 0" {
            assert!(metrics.fitted_at_step.is_some(), "true labels are fitted");
        }
        let panel = member
            .bounds
            .as_ref()
            .and_then(|job| job.result.as_ref())
            .expect("bound panel");
        assert_eq!(panel.n_train, 40);
    }
    let listed: Vec<Study> =
        serde_json::from_slice(&get(&state, "/api/studies").await.1).expect("list");
    assert_eq!(listed.len(), 1);

    let read_only = toy_state(dir.path(), true).await;
    check_error(
        send(&read_only, post_json("/api/studies", &body)).await,
        StatusCode::FORBIDDEN,
        "read_only",
    );
}

/// Augmentation studies: validated, each member (none, and each augmentation) trained and
/// probed, and the study compares the consistency of each augmented model on the transforms it
/// was trained with against the plain model's, from the stored probes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn augmentation_study_probes_and_compares_its_members() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let base = serde_json::to_string(&toy_config(4)).expect("json");
    let request = |extra: &str| {
        format!(r#"{{"kind": "augmentation", "base": {base}, "bounds": false{extra}}}"#)
    };
    for (bad, needle) in [
        (request(r#", "sizes": [10]"#), "augmentation studies"),
        (
            request(r#", "augmentations": [{"rotation": 10}, {"rotation": 10}]"#),
            "distinct",
        ),
        (request(r#", "augmentations": [{}]"#), "not empty"),
        (
            request(r#", "augmentations": [{"rotation": 200}]"#),
            "rotation",
        ),
        (
            request(r#", "augmentations": [{"translation": 99}]"#),
            "translation",
        ),
        (request(r#", "augmentations": [{"shear": 1}]"#), "shear"),
    ] {
        let error = check_error(
            send(&state, post_json("/api/studies", &bad)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(error.detail.contains(needle), "{needle}: {}", error.detail);
    }
    let worker = memlab_server::jobs::spawn_worker(state.clone());
    let body = request(
        r#", "augmentations": [{"rotation": 30}, {"horizontal_flip": true, "translation": 1}]"#,
    );
    let (status, answer) = send(&state, post_json("/api/studies", &body)).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let study: Study = serde_json::from_slice(&answer).expect("study");
    let study = wait_for_study(&state, study.id).await;
    worker.abort();
    assert_eq!(study.status, JobStatus::Done, "{study:#?}");
    let labels: Vec<&str> = study.members.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "no augmentation",
            "rotation ±30°",
            "translation ±1 px, horizontal flips"
        ]
    );
    let mean = |member: usize, transform: TransformKind| {
        let report = study.members[member]
            .probes
            .as_ref()
            .and_then(|job| job.result.as_ref())
            .expect("probe");
        report
            .curves
            .iter()
            .find(|curve| curve.sweep.transform == transform)
            .expect("curve")
            .mean_consistency()
    };
    for member in &study.members {
        assert!(member.bounds.is_none(), "bounds were not asked for");
        let lie = member
            .lie
            .as_ref()
            .and_then(|job| job.result.as_ref())
            .expect("generators");
        assert_eq!(lie.generators.len(), 6);
    }
    let found: Vec<(String, TransformKind)> = study
        .comparisons
        .iter()
        .map(|c| (c.member.clone(), c.transform))
        .collect();
    assert_eq!(
        found,
        [
            ("rotation ±30°".to_owned(), TransformKind::Rotation),
            (
                "translation ±1 px, horizontal flips".to_owned(),
                TransformKind::TranslateX
            ),
            (
                "translation ±1 px, horizontal flips".to_owned(),
                TransformKind::TranslateY
            ),
            (
                "translation ±1 px, horizontal flips".to_owned(),
                TransformKind::HorizontalFlip
            ),
        ]
    );
    for comparison in &study.comparisons {
        let member = usize::from(comparison.transform != TransformKind::Rotation) + 1;
        assert_eq!(
            comparison.with_augmentation,
            mean(member, comparison.transform)
        );
        assert_eq!(
            comparison.without_augmentation,
            mean(0, comparison.transform)
        );
        assert!(comparison.sentence().contains(comparison.transform.label()));
    }
}

/// Learned symmetries: bad requests refused, both modes train in the background with their
/// report growing while they run, finish with scores, and the weights load into the shared
/// network.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symmetry_lifecycle_and_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let experiment = create_and_train(&state).await;
    let id = experiment.id;
    let url = |mode: &str| format!("/api/experiments/{id}/symmetry/{mode}");
    check_error(
        get(&state, &url("from_phi")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    check_error(
        send(&state, post_json(&url("sideways"), "{}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    for bad in [
        r#"{"steps": 0}"#,
        r#"{"batch_size": 1}"#,
        r#"{"min_change": 2}"#,
        r#"{"change_fraction": 0}"#,
        r#"{"learning_rate": -1}"#,
        r#"{"gamma": 1}"#,
    ] {
        check_error(
            send(&state, post_json(&url("from_phi"), bad)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
    }
    check_error(
        get(&state, &format!("{}/weights", url("from_phi"))).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    for mode in ["from_phi", "from_labels"] {
        let body = r#"{"steps": 12, "batch_size": 8, "sample_every": 4, "involution_weight": 1}"#;
        let (status, answer) = send(&state, post_json(&url(mode), body)).await;
        assert_eq!(
            status,
            StatusCode::ACCEPTED,
            "{}",
            String::from_utf8_lossy(&answer)
        );
        let job: SymmetryJob = wait_for(&state, &url(mode)).await;
        assert_eq!(job.status, JobStatus::Done, "{:?}", job.error);
        let report = job.result.expect("report");
        assert!(report.finished);
        assert_eq!(report.mode.as_str(), mode);
        assert_eq!(report.history.last().map(|s| s.step), Some(12));
        assert_eq!(
            report.samples.iter().map(|s| s.step).collect::<Vec<_>>(),
            [0, 4, 8, 12]
        );
        assert!(
            report
                .samples
                .iter()
                .all(|s| s.png.starts_with("data:image/png;base64,"))
        );
        assert_eq!(report.n_test, 10);
        assert!((0.0..=1.0).contains(&report.prediction_kept));
        assert!(
            report.ground_truth.is_none(),
            "the toy set has no known symmetry"
        );
        // The known transforms are scored on the same test images, with the run's settings
        // filled in (q = 1 when not given).
        let names: Vec<&str> = report.references.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "shift 1 px (circular)",
                "mirror",
                "rotation 10°",
                "brightness +0.05"
            ]
        );
        assert_eq!(report.settings.change_fraction, Some(1.0));
        assert!(
            report
                .references
                .iter()
                .all(|r| r.objective.total.is_finite() && (0.0..=1.0).contains(&r.prediction_kept))
        );
        assert!(
            report
                .history
                .iter()
                .all(|s| s.involution.is_finite() && s.keep.is_finite())
        );
        // The weights rebuild the shared network.
        let (status, bytes) = get(&state, &format!("{}/weights", url(mode))).await;
        assert_eq!(status, StatusCode::OK);
        let device = burn::prelude::Device::flex();
        memlab_science::weights::load_into(report.network.init(&device), &bytes)
            .expect("weights load");
    }
    let read_only = toy_state(dir.path(), true).await;
    check_error(
        send(&read_only, post_json(&url("from_phi"), "{}")).await,
        StatusCode::FORBIDDEN,
        "read_only",
    );
}

/// Lie-generator discovery: bad requests refused, then six unit generators sorted from the
/// most invariant, with the canonical sensitivities.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lie_discovery_lifecycle_and_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let experiment = create_and_train(&state).await;
    let url = format!("/api/experiments/{}/lie", experiment.id);
    check_error(get(&state, &url).await, StatusCode::NOT_FOUND, "not_found");
    for bad in [
        r#"{"step": 0}"#,
        r#"{"step": 9}"#,
        r#"{"n_images": 1}"#,
        r#"{"x": 1}"#,
    ] {
        check_error(
            send(&state, post_json(&url, bad)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
    }
    let (status, body) = send(&state, post_json(&url, r#"{"n_images": 10}"#)).await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let job: LieJob = wait_for(&state, &url).await;
    assert_eq!(job.status, JobStatus::Done, "{:?}", job.error);
    let report = job.result.expect("report");
    assert_eq!(report.n_images, 10);
    assert_eq!(report.canonical_sensitivity.len(), 6);
    assert_eq!(report.generators.len(), 6);
    for pair in report.generators.windows(2) {
        assert!(pair[0].sensitivity <= pair[1].sensitivity);
    }
    for generator in &report.generators {
        let norm: f64 = generator.coefficients.iter().map(|c| c * c).sum();
        assert!((norm - 1.0).abs() < 1e-9, "{generator:?}");
        assert!(memlab_shared::lie::CANONICAL.contains(&generator.closest.as_str()));
    }
    let read_only = toy_state(dir.path(), true).await;
    check_error(
        send(&read_only, post_json(&url, "{}")).await,
        StatusCode::FORBIDDEN,
        "read_only",
    );
}

/// Patch ablations: the base patch run with one setting varied over the grid (whitening with
/// its two references off the curve), each member trained and bounded; bad grids are 422.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_ablation_studies_vary_one_setting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let base = common::toy_patches(1, 3);
    let request = |kind: &str, extra: &str| {
        format!(
            r#"{{"kind": "{kind}", "base": {}{extra}}}"#,
            serde_json::to_string(&base).expect("json")
        )
    };
    let mlp = format!(
        r#"{{"kind": "patch_atoms", "base": {}}}"#,
        serde_json::to_string(&toy_config(1)).expect("json")
    );
    for (bad, needle) in [
        (mlp, "base.model must be \"patches\""),
        (request("patch_whitening", r#", "values": [0]"#), "positive"),
        (request("patch_atoms", r#", "values": [8, 8]"#), "twice"),
        (
            request("patch_size", r#", "values": [2.5]"#),
            "whole numbers",
        ),
        (
            request("patch_size", r#", "values": [17]"#),
            "patches.patch",
        ),
        (
            request("patch_atoms", r#", "sizes": [10]"#),
            "do not belong",
        ),
        (
            request("randomization", r#", "values": [1]"#),
            "patch ablations only",
        ),
    ] {
        let error = check_error(
            send(&state, post_json("/api/studies", &bad)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(error.detail.contains(needle), "{needle}: {}", error.detail);
    }
    let worker = memlab_server::jobs::spawn_worker(state.clone());
    let body = request("patch_whitening", r#", "values": [0.01, 1]"#);
    let (status, answer) = send(&state, post_json("/api/studies", &body)).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let study: Study = serde_json::from_slice(&answer).expect("study");
    let study = wait_for_study(&state, study.id).await;
    worker.abort();
    assert_eq!(study.status, JobStatus::Done, "{study:#?}");
    assert!(study.name.contains("whitening ε"), "{}", study.name);
    let summary: Vec<(&str, f64, bool)> = study
        .members
        .iter()
        .map(|m| (m.label.as_str(), m.value, m.on_grid))
        .collect();
    assert_eq!(
        summary,
        [
            ("no whitening", 0.0, false),
            ("ε = 0", 0.0, false),
            ("ε = 0.01", 0.01, true),
            ("ε = 1", 1.0, true)
        ]
    );
    for member in &study.members {
        let config = &member.experiment.config;
        assert_eq!((config.patches.atoms, config.patches.patch), (16, 4));
        let panel = member
            .bounds
            .as_ref()
            .and_then(|job| job.result.as_ref())
            .expect("bound panel");
        assert_eq!(panel.held_out, 10);
    }
    assert_eq!(study.members[0].experiment.config.patches.whitening, None);
}
