//! Bound panels: lifecycle, bad input, the CSV, fixed-encoder sample splits, optimized PAC-Bayes.

use super::*;
use memlab_science::bounds::pac_bayes;

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
    let job: BoundJob = serde_json::from_slice(&body).expect("job");
    assert_eq!(job.status, JobStatus::Queued);
    let job = wait_for_panel(&state, &url).await;
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

    // A restart queues an unfinished panel again; the runner then computes it.
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
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(job.progress, 0.0);
    // A demo's panel is not queued twice at start-up (read-only demos cannot ask).
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
        // Recomputed from the inputs it shows, and its two steps' confidences add up to at most
        // the panel's δ.
        let (delta, delta_mc) = (input("δ"), input("δ′"));
        assert!(
            delta + delta_mc <= panel.delta + 1e-15,
            "{delta} + {delta_mc}"
        );
        assert_eq!(input("δ + δ′"), delta + delta_mc);
        let errors = (input("ê_n") * input("n")).round() as usize;
        let upper = pac_bayes::monte_carlo_upper(errors, 400, delta_mc);
        assert!((upper - input("kl⁻¹(ê_n)")).abs() < 1e-6);
        let numerator = pac_bayes::numerator(input("KL"), input("j") as u64, m as usize, delta);
        assert!((numerator - input("numerator")).abs() < 1e-6 * numerator.max(1.0));
        let recomputed = pac_bayes::certificate(upper, numerator, m as usize);
        assert!((recomputed - value).abs() < 1e-6, "{recomputed} vs {value}");
    }
}
