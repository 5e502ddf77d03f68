//! Learned symmetries: lifecycle and bad input.

use super::*;

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
