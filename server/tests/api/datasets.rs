//! Health and data sets: the list, single images, patch geometry.

use super::*;
use memlab_shared::geometry::GeometryJob;

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

/// Patch geometry of the toy set's 16×16 images as a job: queued by POST, computed by the
/// runner (one entry per size, spectra of the patch length, estimates present), the same
/// request again answers the same finished job (200), a restart keeps it; out-of-range and
/// unknown parameters are 4xx, an unknown data set 422, an unknown job 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_geometry_per_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let request = r#"{"min_patch": 3, "max_patch": 4, "patches": 300, "k": 5}"#;
    let (status, body) = send(&state, post_json("/api/datasets/toy/geometry", request)).await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let queued: GeometryJob = serde_json::from_slice(&body).expect("job");
    assert_eq!(queued.status, JobStatus::Queued);
    assert_eq!((queued.request.min_patch, queued.request.max_patch), (3, 4));
    let url = format!("/api/datasets/toy/geometry/{}", queued.id);
    let job: GeometryJob = {
        let _runner = Runner::start(&state);
        let mut job: GeometryJob = serde_json::from_slice(&get(&state, &url).await.1).expect("job");
        for _ in 0..1200 {
            if !matches!(job.status, JobStatus::Queued | JobStatus::Running) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            job = serde_json::from_slice(&get(&state, &url).await.1).expect("job");
        }
        job
    };
    assert_eq!(job.status, JobStatus::Done, "{job:?}");
    let geometry = job.result.expect("result");
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
    // Asked again (fields in another order): the stored answer, nothing recomputed.
    let again = r#"{"k": 5, "patches": 300, "max_patch": 4, "min_patch": 3}"#;
    let (status, body) = send(&state, post_json("/api/datasets/toy/geometry", again)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let same: GeometryJob = serde_json::from_slice(&body).expect("job");
    assert_eq!(same.id, queued.id);
    assert_eq!(same.result.as_deref(), Some(&geometry[..]));

    for (query, field) in [
        (r#"{"max_patch": 17}"#, "max_patch"),
        (r#"{"min_patch": 5, "max_patch": 4}"#, "max_patch"),
        (r#"{"patches": 50}"#, "patches"),
        (r#"{"k": 1}"#, "k"),
        (r#"{"images": 0}"#, "images"),
        (r#"{"whitening": -1}"#, "whitening"),
        (r#"{"colour": "blue"}"#, "colour"),
    ] {
        let error = check_error(
            send(&state, post_json("/api/datasets/toy/geometry", query)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        );
        assert!(error.detail.contains(field), "{query}: {error:?}");
    }
    check_error(
        send(&state, post_json("/api/datasets/toy/geometry", "{")).await,
        StatusCode::BAD_REQUEST,
        "invalid_json",
    );
    check_error(
        send(&state, post_json("/api/datasets/nope/geometry", "")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    check_error(
        get(&state, "/api/datasets/toy/geometry/999").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // A job is found under its own data set only.
    check_error(
        get(
            &state,
            &format!("/api/datasets/other/geometry/{}", queued.id),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}
