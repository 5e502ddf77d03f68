//! The one error type of the HTTP edge and its single `IntoResponse`: user errors get a 4xx with
//! a JSON `{error, detail}` body, server faults are logged and get a 500 with the same shape.

use axum::Json;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use memlab_shared::api::ErrorBody;
use memlab_shared::preprocess::PreprocessError;

use memlab_science::data::DataError;
use memlab_store::DbError;
use memlab_store::artifacts::ArtifactError;

/// Everything a handler can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Malformed request (bad JSON syntax, bad multipart, missing field).
    #[error("{detail}")]
    BadRequest {
        /// Machine-readable kind.
        kind: &'static str,
        /// Human-readable explanation.
        detail: String,
    },
    /// Well-formed but invalid values.
    #[error("{0}")]
    Invalid(String),
    /// The uploaded file is not a usable image.
    #[error("{0}")]
    BadImage(String),
    /// Nothing at that address.
    #[error("{0}")]
    NotFound(String),
    /// The resource exists but is not ready (e.g. weights of a run still training).
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than the server accepts.
    #[error("{0}")]
    TooLarge(String),
    /// A bearer token that is not the admin token.
    #[error("{0}")]
    Unauthorized(String),
    /// The server runs read-only (hosted demo).
    #[error("{0}")]
    Forbidden(String),
    /// Unsupported `Content-Type`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The route exists but not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// One client asks for more at once than the server serves it (`limits`).
    #[error("{0}")]
    TooManyRequests(String),
    /// A fault of the server, not of the request.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest { kind, .. } => (StatusCode::BAD_REQUEST, kind),
            Self::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
            Self::BadImage(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_image"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "not_ready"),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "read_only"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "invalid_token"),
            Self::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// A 4xx for a rejected body or path, chosen by the status the rejection carries.
    fn from_status(status: StatusCode, detail: String) -> Self {
        match status {
            StatusCode::PAYLOAD_TOO_LARGE => Self::TooLarge(detail),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType(detail),
            StatusCode::UNPROCESSABLE_ENTITY => Self::Invalid(detail),
            StatusCode::NOT_FOUND => Self::NotFound(detail),
            _ => Self::BadRequest {
                kind: "bad_request",
                detail,
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, kind) = self.parts();
        let detail = match &self {
            Self::Internal(message) => {
                tracing::error!(%message, "internal error");
                "the server failed while handling this request; it has been logged".to_owned()
            }
            other => other.to_string(),
        };
        (
            status,
            Json(ErrorBody {
                error: kind.to_owned(),
                detail,
            }),
        )
            .into_response()
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        let detail = rejection.body_text();
        match rejection {
            JsonRejection::JsonSyntaxError(_) => Self::BadRequest {
                kind: "invalid_json",
                detail,
            },
            other => Self::from_status(other.status(), detail),
        }
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        Self::NotFound(format!("no such resource: {}", rejection.body_text()))
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        Self::BadRequest {
            kind: "invalid_query",
            detail: rejection.body_text(),
        }
    }
}

impl From<MultipartRejection> for AppError {
    fn from(rejection: MultipartRejection) -> Self {
        Self::from_status(rejection.status(), rejection.body_text())
    }
}

impl From<MultipartError> for AppError {
    fn from(error: MultipartError) -> Self {
        Self::from_status(error.status(), error.body_text())
    }
}

impl From<PreprocessError> for AppError {
    fn from(error: PreprocessError) -> Self {
        Self::BadImage(error.to_string())
    }
}

impl From<DataError> for AppError {
    fn from(error: DataError) -> Self {
        match error {
            DataError::Unknown(_) => Self::NotFound(error.to_string()),
            DataError::Missing { .. } => Self::Conflict(error.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<DbError> for AppError {
    fn from(error: DbError) -> Self {
        Self::Internal(error.to_string())
    }
}

impl From<ArtifactError> for AppError {
    fn from(error: ArtifactError) -> Self {
        Self::Internal(error.to_string())
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(error: tokio::task::JoinError) -> Self {
        Self::Internal(format!("worker task failed: {error}"))
    }
}
