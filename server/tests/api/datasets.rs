//! Health and data sets: the list, single images, patch geometry.

use super::*;

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
