//! The Replications page's API: every claim listed, not yet run on an empty store; queueing
//! refuses unknown claims and missing data sets; a finished randomization study is read into
//! the Zhang rows with a link to it.

use memlab_shared::replications::{Replication, Verdict};

use super::*;

async fn rows(state: &AppState) -> Vec<Replication> {
    let (status, body) = get(state, "/api/replications").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).expect("rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replications_read_the_servers_own_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let empty = rows(&state).await;
    assert!(empty.len() >= 9, "{empty:#?}");
    assert!(
        empty
            .iter()
            .all(|row| row.measured.is_none() && row.verdict() == Verdict::NotYetRun)
    );
    for key in ["nonsense", "glasses-symmetry"] {
        check_error(
            send(&state, post_json(&format!("/api/replications/{key}"), "")).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
    // The recipes train on MNIST, which this server's data sets folder lacks: refused, and
    // nothing queued.
    let error = check_error(
        send(&state, post_json("/api/replications/zhang-fit", "")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    assert!(error.detail.contains("mnist"), "{}", error.detail);
    let (_, body) = get(&state, "/api/studies").await;
    assert_eq!(
        serde_json::from_slice::<Vec<Study>>(&body)
            .expect("studies")
            .len(),
        0
    );

    // A randomization study on the toy set, then the two Zhang rows read it.
    let mut base = toy_config(3);
    base.epochs = 60;
    base.stop_at_train_accuracy = Some(1.0);
    let body = format!(
        r#"{{"kind": "randomization", "base": {}, "label_corruptions": [0, 1]}}"#,
        serde_json::to_string(&base).expect("json")
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
    assert_eq!(study.status, JobStatus::Done, "{study:#?}");
    let rows = rows(&state).await;
    let row = |key: &str| rows.iter().find(|row| row.key == key).expect(key).clone();
    let fit = row("zhang-fit");
    let measured = fit.measured.expect("measured from the study");
    assert!(
        measured.value.contains("of 2 runs fit"),
        "{}",
        measured.value
    );
    assert_ne!(measured.verdict, Verdict::NotYetRun);
    assert_eq!(fit.evidence[0].href, format!("/studies/{}", study.id));
    // Its panels have no optimized certificate: the bound claim waits for one.
    let bounds = row("zhang-bounds");
    let measured = bounds.measured.expect("measured from the panels");
    assert_eq!(measured.verdict, Verdict::NotYetRun, "{}", measured.value);
    assert!(
        measured.value.contains("not computed"),
        "{}",
        measured.value
    );
    assert!(row("scattering").measured.is_none());
}
