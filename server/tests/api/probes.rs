//! Invariance probes: lifecycle and bad input.

use super::*;

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
