//! Studies: randomization, augmentation and patch-ablation grids, their members and panels.

use super::*;

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
