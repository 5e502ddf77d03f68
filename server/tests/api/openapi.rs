//! The API reference: `/api/openapi.json` lists every route `app()` answers (and nothing it
//! does not), each operation is described, every schema it names exists, and `/api/docs`
//! shows them all.

use super::*;
use http_body_util::BodyExt;
use memlab_server::app::app;
use serde_json::Value;
use tower::ServiceExt;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every operation of the API, as a reader of the README expects to find it.
const OPERATIONS: [(&str, &str); 34] = [
    ("get", "/api/health"),
    ("get", "/api/openapi.json"),
    ("get", "/api/docs"),
    ("get", "/api/experiments"),
    ("post", "/api/experiments"),
    ("get", "/api/experiments/{id}"),
    ("get", "/api/experiments/{id}/events"),
    ("post", "/api/experiments/{id}/resume"),
    ("get", "/api/experiments/{id}/weights"),
    ("get", "/api/experiments/{id}/weights.safetensors"),
    ("post", "/api/experiments/{id}/predict"),
    ("get", "/api/experiments/{id}/bounds"),
    ("post", "/api/experiments/{id}/bounds"),
    ("get", "/api/experiments/{id}/bounds.csv"),
    ("get", "/api/experiments/{id}/bounds/layers.csv"),
    ("get", "/api/experiments/{id}/probes"),
    ("post", "/api/experiments/{id}/probes"),
    ("get", "/api/experiments/{id}/probes.csv"),
    ("get", "/api/experiments/{id}/lie"),
    ("post", "/api/experiments/{id}/lie"),
    ("get", "/api/experiments/{id}/symmetry/{mode}"),
    ("post", "/api/experiments/{id}/symmetry/{mode}"),
    ("get", "/api/experiments/{id}/symmetry/{mode}/weights"),
    ("get", "/api/studies"),
    ("post", "/api/studies"),
    ("get", "/api/studies/{id}"),
    ("get", "/api/replications"),
    ("post", "/api/replications/{key}"),
    ("post", "/api/images"),
    ("get", "/api/images/{image}"),
    ("get", "/api/datasets"),
    ("get", "/api/datasets/{name}/samples/{index}"),
    ("post", "/api/datasets/{name}/geometry"),
    ("get", "/api/datasets/{name}/geometry/{job}"),
];

/// `path` with each `{parameter}` given a value of the right shape.
fn concrete(path: &str) -> String {
    path.replace("{id}", "4242")
        .replace("{mode}", "from_phi")
        .replace("{image}", &"0".repeat(64))
        .replace("{name}", "toy")
        .replace("{index}", "0")
        .replace("{job}", "1")
        .replace("{key}", "zhang-fit")
}

async fn request(state: &AppState, method: &str, path: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::builder()
        .method(method.to_uppercase().as_str())
        .uri(concrete(path))
        .body(Body::empty())
        .expect("request");
    send(state, request).await
}

async fn document(state: &AppState) -> Value {
    let (status, body) = get(state, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    serde_json::from_slice(&body).expect("the document is JSON")
}

/// Every `$ref` anywhere in `value`.
fn references<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(reference)) => found.push(reference),
                    _ => references(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_the_app_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let document = document(&state).await;
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "{}",
        document["openapi"]
    );
    let paths = document["paths"].as_object().expect("paths");
    let mut listed = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            if item[method].is_object() {
                listed.push((method, path.as_str()));
            }
        }
    }
    let mut expected = OPERATIONS.to_vec();
    expected.sort_unstable();
    listed.sort_unstable();
    assert_eq!(listed, expected);

    for (path, item) in paths {
        for method in METHODS {
            let (status, body) = request(&state, method, path).await;
            let text = String::from_utf8_lossy(&body);
            if item[method].is_object() {
                // Routed: whatever the answer to a request without its parameters or body, it
                // is not the API's "no such route" or "wrong method".
                assert_ne!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path}: {text}"
                );
                assert!(
                    !text.contains("no API route"),
                    "{method} {path} is documented but not routed: {text}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} answers but is not documented: {text}"
                );
            }
        }
    }
    // A path the document does not have is not routed either.
    let (status, body) = get(&state, "/api/experiments/1/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&body).contains("no API route"));
}

#[tokio::test]
async fn every_operation_is_described_and_every_schema_it_names_exists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let document = document(&state).await;
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in METHODS {
            let operation = &item[method];
            if !operation.is_object() {
                continue;
            }
            let what = format!("{method} {path}");
            assert!(
                operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{what} has no summary"
            );
            assert!(operation["tags"][0].is_string(), "{what} has no tag");
            let responses = operation["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{what} documents no success"
            );
            for (status, response) in responses {
                if status.starts_with('4') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{what} {status}"
                    );
                }
            }
            for parameter in path.split('{').skip(1) {
                let name = parameter.split('}').next().expect("name");
                let declared = operation["parameters"].as_array().is_some_and(|list| {
                    list.iter().any(|p| p["name"] == name && p["in"] == "path")
                });
                assert!(declared, "{what}: path parameter {name} not declared");
            }
        }
    }
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("schemas");
    for name in [
        "Experiment",
        "ExperimentConfig",
        "BoundPanel",
        "ErrorBody",
        "StudyRequest",
    ] {
        assert!(schemas.contains_key(name), "no schema {name}");
    }
    let mut found = Vec::new();
    references(&document, &mut found);
    assert!(found.len() > 50, "{} references", found.len());
    for reference in found {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {reference}"));
        assert!(schemas.contains_key(name), "{reference} names no schema");
    }
}

#[tokio::test]
async fn the_docs_page_shows_every_operation_and_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = toy_state(dir.path(), false).await;
    let document = document(&state).await;
    let response = app(state.clone())
        .oneshot(
            Request::get("/api/docs")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    let page = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let page = String::from_utf8(page.to_vec()).expect("utf-8");
    for (method, path) in OPERATIONS {
        let shown = format!(
            "<span class=\"method {method}\">{method}</span> <span class=\"path\">{path}</span></h3>"
        );
        assert!(page.contains(&shown), "{method} {path} not on the page");
    }
    for name in document["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
    {
        assert!(
            page.contains(&format!("id=\"schema-{name}\"")),
            "schema {name} not on the page"
        );
    }
    assert!(
        page.contains("Authorization: Bearer"),
        "the shared rules are shown"
    );
}
