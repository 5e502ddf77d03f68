//! The bad-input suite: the real server on a socket (port 0), a trained toy run, and one
//! request per way of getting a route wrong. Each answer must be the expected 4xx with a JSON
//! `{error, detail}` body, and the server must still answer `/api/health` afterwards.

mod common;

use std::time::Duration;

use memlab_shared::api::{ErrorBody, Experiment, JobStatus};
use memlab_shared::preprocess::Pixels;
use reqwest::Method;

use common::{bright_png, toy_config, toy_state};

/// What a case sends.
enum Body {
    Empty,
    Json(String),
    Raw(&'static str, Vec<u8>),
    Image(&'static str, Vec<u8>),
}

struct Case {
    method: Method,
    path: String,
    body: Body,
    status: u16,
    kind: &'static str,
}

fn case(
    method: Method,
    path: impl Into<String>,
    body: Body,
    status: u16,
    kind: &'static str,
) -> Case {
    Case {
        method,
        path: path.into(),
        body,
        status,
        kind,
    }
}

fn json(value: serde_json::Value) -> Body {
    Body::Json(value.to_string())
}

/// A valid run config with `field` set to `value`.
fn config_with(field: &str, value: serde_json::Value) -> Body {
    let mut config = serde_json::to_value(toy_config(1)).expect("config");
    config[field] = value;
    json(config)
}

/// A PNG whose header claims `side × side` pixels, with a tiny (corrupt) body: decoding it
/// would allocate gigabytes.
fn claimed_png(side: u32) -> Vec<u8> {
    let mut png = bright_png();
    // IHDR starts at byte 16: width, height (big-endian).
    png[16..20].copy_from_slice(&side.to_be_bytes());
    png[20..24].copy_from_slice(&side.to_be_bytes());
    png
}

fn cases(done: i64) -> Vec<Case> {
    use serde_json::json as j;
    let e = |rest: &str| format!("/api/experiments/{done}{rest}");
    let post = Method::POST;
    let get = Method::GET;
    vec![
        // Creating runs.
        case(
            post.clone(),
            "/api/experiments",
            Body::Raw("application/json", b"{".to_vec()),
            400,
            "invalid_json",
        ),
        case(
            post.clone(),
            "/api/experiments",
            Body::Raw("text/plain", b"{}".to_vec()),
            415,
            "unsupported_media_type",
        ),
        case(
            post.clone(),
            "/api/experiments",
            json(j!({})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("epochs", j!(0)),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("epochs", j!(1001)),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("epochs", j!(-3)),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("batch_size", j!(0)),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("learning_rate", j!(0.0)),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("learning_rate", j!(100.0)),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("learning_rate", j!("fast")),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("dataset", j!("../../etc")),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("n_train", j!(0)),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("n_train", j!(1_000_000)),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("model", j!("transformer")),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("randomization", j!({"label_corruption": 1.5})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("stop_at_train_accuracy", j!(0.0)),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("augmentation", j!({"rotation": 200.0})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("augmentation", j!({"translation": 100.0})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("patches", j!({"atoms": 64})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("patches", j!({"grid": "two"})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("patches", j!({"kernel": 3})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("name", j!("   ")),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("name", j!("x".repeat(201))),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            config_with("colour", j!("blue")),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments",
            Body::Raw("application/json", vec![b' '; 17 * 1024 * 1024]),
            413,
            "payload_too_large",
        ),
        // Reading.
        case(
            get.clone(),
            "/api/experiments/abc",
            Body::Empty,
            404,
            "not_found",
        ),
        case(
            get.clone(),
            "/api/experiments/99999999999999999999999",
            Body::Empty,
            404,
            "not_found",
        ),
        case(
            get.clone(),
            "/api/experiments/999999",
            Body::Empty,
            404,
            "not_found",
        ),
        case(
            get.clone(),
            "/api/experiments/-1",
            Body::Empty,
            404,
            "not_found",
        ),
        case(
            get.clone(),
            "/api/experiments/..%2F..%2Fmemlab.sqlite/weights",
            Body::Empty,
            404,
            "not_found",
        ),
        case(
            get.clone(),
            "/api/experiments/999999/weights",
            Body::Empty,
            404,
            "not_found",
        ),
        case(
            get.clone(),
            "/api/nothing/here",
            Body::Empty,
            404,
            "not_found",
        ),
        case(
            Method::DELETE,
            "/api/experiments",
            Body::Empty,
            405,
            "method_not_allowed",
        ),
        case(
            get.clone(),
            "/api/datasets/nope/samples/0",
            Body::Empty,
            404,
            "not_found",
        ),
        case(
            get.clone(),
            "/api/datasets/toy/samples/999999",
            Body::Empty,
            404,
            "not_found",
        ),
        case(
            get.clone(),
            "/api/datasets/toy/samples/0?split=banana",
            Body::Empty,
            400,
            "invalid_query",
        ),
        case(
            get.clone(),
            "/api/studies/999999",
            Body::Empty,
            404,
            "not_found",
        ),
        case(get.clone(), e("/bounds"), Body::Empty, 404, "not_found"),
        case(
            get.clone(),
            e("/symmetry/sideways"),
            Body::Empty,
            404,
            "not_found",
        ),
        // Uploads.
        case(
            post.clone(),
            e("/predict"),
            json(j!({"image": "x"})),
            400,
            "bad_request",
        ),
        case(
            post.clone(),
            e("/predict"),
            Body::Image("picture", bright_png()),
            400,
            "missing_field",
        ),
        case(
            post.clone(),
            e("/predict"),
            Body::Image("image", b"not an image at all".to_vec()),
            422,
            "invalid_image",
        ),
        case(
            post.clone(),
            e("/predict"),
            Body::Image("image", Vec::new()),
            422,
            "invalid_image",
        ),
        case(
            post.clone(),
            e("/predict"),
            Body::Image("image", claimed_png(100_000)),
            422,
            "invalid_image",
        ),
        case(
            post.clone(),
            e("/predict"),
            Body::Image("image", claimed_png(4_000)),
            422,
            "invalid_image",
        ),
        case(
            post.clone(),
            "/api/experiments/999999/predict",
            Body::Image("image", bright_png()),
            404,
            "not_found",
        ),
        // Images published for share links.
        case(
            post.clone(),
            "/api/images",
            Body::Raw("image/png", claimed_png(100_000)),
            422,
            "invalid_image",
        ),
        case(
            post.clone(),
            "/api/images",
            Body::Raw("image/gif", b"GIF89a truncated".to_vec()),
            422,
            "invalid_image",
        ),
        case(
            post.clone(),
            "/api/images",
            Body::Empty,
            400,
            "missing_image",
        ),
        case(
            get.clone(),
            "/api/images/not-a-hash",
            Body::Empty,
            400,
            "invalid_image_id",
        ),
        // Bound panels.
        case(
            post.clone(),
            e("/bounds"),
            Body::Raw("application/json", b"{\"delta\":".to_vec()),
            400,
            "invalid_json",
        ),
        case(
            post.clone(),
            e("/bounds"),
            json(j!({"delta": 0.0})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            e("/bounds"),
            json(j!({"delta": 0.9})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            e("/bounds"),
            json(j!({"pac_bayes": {"steps": 0}})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            e("/bounds"),
            json(j!({"pac_bayes": {"samples": 10}})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            e("/bounds"),
            json(j!({"pac_bayes": {"prior": "oracle"}})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/experiments/999999/bounds",
            json(j!({})),
            404,
            "not_found",
        ),
        // Probes.
        case(
            post.clone(),
            e("/probes"),
            json(j!({"sweeps": []})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            e("/probes"),
            json(j!({"sweeps": [{"transform": "rotation", "from": 0, "to": 10, "points": 0}]})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            e("/probes"),
            json(j!({"sweeps": [{"transform": "rotation", "from": -1e6, "to": 10, "points": 5}]})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            e("/probes"),
            json(j!({"sweeps": [{"transform": "warp_drive", "from": 0, "to": 1, "points": 5}]})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            e("/probes"),
            json(j!({"n_images": 1})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            e("/probes"),
            Body::Raw("application/json", b"[".to_vec()),
            400,
            "invalid_json",
        ),
        // Lie discovery.
        case(
            post.clone(),
            e("/lie"),
            json(j!({"n_images": 1})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            e("/lie"),
            json(j!({"step": 0.0})),
            422,
            "invalid_input",
        ),
        // Learned symmetries.
        case(
            post.clone(),
            e("/symmetry/from_phi"),
            json(j!({"steps": 0})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            e("/symmetry/from_phi"),
            json(j!({"batch_size": 1})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            e("/symmetry/from_labels"),
            json(j!({"involution_weight": -1.0})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            e("/symmetry/from_phi"),
            json(j!({"temperature": 3})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            e("/symmetry/sideways"),
            json(j!({})),
            404,
            "not_found",
        ),
        case(
            post.clone(),
            e("/symmetry/from_phi"),
            Body::Raw("application/json", b"{\"steps\": 3".to_vec()),
            400,
            "invalid_json",
        ),
        case(
            post.clone(),
            e("/lie"),
            Body::Raw("application/json", b"[1, 2".to_vec()),
            400,
            "invalid_json",
        ),
        // Studies.
        case(
            post.clone(),
            "/api/studies",
            json(j!({"kind": "astrology", "base": toy_config(1)})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/studies",
            json(j!({"kind": "randomization", "base": toy_config(1), "label_corruptions": [2.0]})),
            422,
            "invalid_input",
        ),
        case(
            post.clone(),
            "/api/studies",
            json(
                j!({"kind": "sample_size", "base": toy_config(1), "sizes": (1..=17).collect::<Vec<_>>()}),
            ),
            422,
            "invalid_input",
        ),
        // Resuming.
        case(post.clone(), e("/resume"), Body::Empty, 409, "not_ready"),
        case(
            post,
            "/api/experiments/999999/resume",
            Body::Empty,
            404,
            "not_found",
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_request_gets_a_clear_4xx_and_the_server_stays_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let server = tokio::spawn(memlab_server::run(listener, state, std::future::pending()));
    let client = reqwest::Client::new();
    // Health checks on fresh connections: after refusing a body it did not read (413), the
    // server closes that connection, and a pooled one could be that one.
    let health_client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");

    // A trained run for the routes that need one.
    let created: Experiment = client
        .post(format!("{base}/api/experiments"))
        .json(&toy_config(1))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("experiment");
    for _ in 0..600 {
        let experiment: Experiment = client
            .get(format!("{base}/api/experiments/{}", created.id))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("experiment");
        if experiment.status == JobStatus::Done {
            break;
        }
        assert_ne!(
            experiment.status,
            JobStatus::Failed,
            "{:?}",
            experiment.error
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let cases = cases(created.id);
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut wrong = Vec::new();
    for (index, case) in cases.into_iter().enumerate() {
        let request = client.request(case.method.clone(), format!("{base}{}", case.path));
        let request = match case.body {
            Body::Empty => request,
            Body::Json(text) => request
                .header("content-type", "application/json")
                .body(text),
            Body::Raw(content_type, bytes) => {
                request.header("content-type", content_type).body(bytes)
            }
            Body::Image(field, bytes) => request.multipart(reqwest::multipart::Form::new().part(
                field,
                reqwest::multipart::Part::bytes(bytes).file_name("x.png"),
            )),
        };
        let what = format!("case {index}: {} {}", case.method, case.path);
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = response.status().as_u16();
        let body = response.bytes().await.expect("body");
        let error: ErrorBody = serde_json::from_slice(&body).unwrap_or_else(|_| {
            panic!(
                "{what}: not a JSON error: {status} {}",
                String::from_utf8_lossy(&body)
            )
        });
        if (status, error.error.as_str()) != (case.status, case.kind) {
            wrong.push(format!(
                "{what}: {status} {} ({}), expected {} {}",
                error.error, error.detail, case.status, case.kind
            ));
        }
        assert!(
            error.detail.len() > 10,
            "{what}: the detail says too little: {error:?}"
        );
        let health = health_client
            .get(format!("{base}/api/health"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("after {what}: {e}"));
        assert_eq!(health.status(), 200, "after {what}");
    }

    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // A traversal through the static files never leaves the frontend folder.
    for path in [
        "/../memlab.sqlite",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2fdata%2fmemlab.sqlite",
    ] {
        let response = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("get");
        let body = response.bytes().await.expect("body");
        assert!(
            !body.starts_with(b"SQLite format") && !body.windows(5).any(|w| w == b"root:"),
            "{path} leaked a file"
        );
    }
    // An image decoded within the limits is still answered.
    let small = Pixels::from_u8(1, 40, 40, &[128; 1600])
        .to_png()
        .expect("png");
    let response = client
        .post(format!("{base}/api/experiments/{}/predict", created.id))
        .multipart(reqwest::multipart::Form::new().part(
            "image",
            reqwest::multipart::Part::bytes(small).file_name("x.png"),
        ))
        .send()
        .await
        .expect("predict");
    assert_eq!(response.status(), 200);
    server.abort();
}
