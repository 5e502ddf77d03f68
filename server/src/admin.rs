//! Who may change a public server: on a read-only (public demo) server, every API request that
//! starts work or writes (any method but GET and HEAD, except the `/predict` upload, which only
//! reads a model, and publishing an image for share links, which is rate-limited per client and
//! cannot change anything stored) needs the admin bearer token, compared in constant time; without one it is
//! 403 `read_only`, and a wrong token is 401 on any request. A server that is not read-only
//! lets everything through. This is the one place write access is decided.

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::state::AppState;

/// Whether `method` on `path` starts work or writes.
pub fn writes(method: &Method, path: &str) -> bool {
    !(method == Method::GET
        || method == Method::HEAD
        || path.ends_with("/predict")
        || path == "/images"
        || path == "/api/images")
}

/// Equality of two secrets in a time that depends only on their lengths' maximum, never on
/// where they first differ.
pub fn constant_time_eq(given: &[u8], expected: &[u8]) -> bool {
    let length = given.len().max(expected.len()).max(1);
    let mut difference = u8::from(given.len() != expected.len());
    for index in 0..length {
        let a = given.get(index).copied().unwrap_or(0);
        let b = expected.get(index).copied().unwrap_or(0);
        difference |= a ^ b;
    }
    difference == 0
}

/// The bearer token of a request, if it sends one.
fn bearer(request: &Request) -> Option<&str> {
    request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The middleware: lets a request through, or answers 401/403.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !state.read_only {
        return next.run(request).await;
    }
    let given = bearer(&request);
    let admin = match (given, state.admin_token.as_deref()) {
        (Some(given), Some(token)) => constant_time_eq(given.as_bytes(), token.as_bytes()),
        _ => false,
    };
    if given.is_some() && !admin {
        return AppError::Unauthorized("the bearer token is not this server's admin token".into())
            .into_response();
    }
    if !admin && writes(request.method(), request.uri().path()) {
        return AppError::Forbidden(format!(
            "this server is a read-only public demo: {} {} changes it and needs the admin token \
             (Authorization: Bearer …)",
            request.method(),
            request.uri().path()
        ))
        .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_equal_only_when_equal() {
        assert!(constant_time_eq(
            b"correct horse battery",
            b"correct horse battery"
        ));
        assert!(!constant_time_eq(
            b"correct horse battery",
            b"correct horse batterz"
        ));
        assert!(!constant_time_eq(
            b"correct horse",
            b"correct horse battery"
        ));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
        // A prefix padded with zero bytes is still not the secret.
        assert!(!constant_time_eq(b"ab\0", b"ab"));
    }

    #[test]
    fn reads_and_uploads_do_not_write() {
        assert!(!writes(&Method::GET, "/api/experiments"));
        assert!(!writes(&Method::HEAD, "/api/experiments/1"));
        assert!(!writes(&Method::POST, "/api/experiments/1/predict"));
        assert!(writes(&Method::POST, "/api/experiments"));
        assert!(writes(&Method::POST, "/api/experiments/1/bounds"));
        assert!(writes(&Method::DELETE, "/api/experiments/1"));
        assert!(writes(&Method::PUT, "/api/studies"));
    }
}
