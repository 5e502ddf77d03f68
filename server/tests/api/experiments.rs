//! Experiments: validation, training, prediction, uploads, weights, restarts and resumes.

use super::*;

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

    let initial = memlab_store::artifacts::Artifact::Initial.key(id);
    assert!(
        !memlab_store::artifacts::read(state.files.as_ref(), &initial)
            .expect("init.bpk")
            .is_empty(),
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
    memlab_store::checkpoint::save(state.files.as_ref(), saved, &first).expect("save");
    first.model.truncate(10);
    memlab_store::checkpoint::save(state.files.as_ref(), damaged, &first).expect("save");
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
    assert!(memlab_store::checkpoint::load(state.files.as_ref(), saved).is_none());

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
