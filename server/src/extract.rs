//! Extractors whose rejections become [`AppError`]s, so every refusal has the JSON error shape.

use axum::extract::{FromRequest, FromRequestParts};

use crate::error::AppError;

/// `axum::Json` with [`AppError`] rejections.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

/// `axum::extract::Path` with [`AppError`] rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

/// `axum::extract::Query` with [`AppError`] rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);
