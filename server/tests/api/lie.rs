//! Lie-generator discovery: lifecycle and bad input.

use super::*;

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
