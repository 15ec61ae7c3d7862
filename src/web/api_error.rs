//! The one error type of `/api`: a `thiserror` enum whose every variant renders
//! `{"error": "…"}` (plus `"fields"` for invalid values) with its status, never HTML and
//! never internals. Page handlers use `errors::AppError` instead; conversions from it and
//! from `AccountError` live here, as do the extractor configs that make actix's own
//! parse errors JSON too.

use std::collections::BTreeMap;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::AccountError;
use crate::auth::csrf::FORM_LIMIT_BYTES;
use crate::errors::AppError;

/// The body of every `/api` error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for people.
    #[schema(example = "User not found")]
    pub error: String,
    /// For 422: a message per invalid field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("User not found")]
    UserNotFound,
    #[error("{0}")]
    NotFound(&'static str),
    #[error("This endpoint does not accept that method")]
    MethodNotAllowed,
    #[error("An account with this email already exists")]
    EmailTaken,
    #[error("The request body is too large")]
    PayloadTooLarge,
    #[error("Send the body as application/json")]
    UnsupportedMediaType,
    #[error("Some values are not valid")]
    Invalid(BTreeMap<String, String>),
    #[error("Too many requests with this token; try again in {retry_after} seconds")]
    TooManyRequests { retry_after: u64 },
    #[error("The server is busy; try again in a moment")]
    Busy,
    #[error("Something went wrong on our side")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// One invalid field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(BTreeMap::from([(field.to_string(), message.into())]))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::UserNotFound | Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::EmailTaken => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::TooManyRequests { retry_after } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            Self::Busy => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        if let Self::Internal(error) = self {
            log::error!("API request failed: {error:?}");
        }
        let fields = match self {
            Self::Invalid(fields) => Some(fields.clone()),
            _ => None,
        };
        response.json(ErrorBody {
            error: self.to_string(),
            fields,
        })
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::NotFound => Self::UserNotFound,
            AppError::BadRequest(message) => Self::BadRequest(message),
            AppError::Forbidden | AppError::CsrfRejected => Self::Forbidden("You may not do this"),
            AppError::ReauthenticationRequired { .. } => {
                Self::Forbidden("Confirm your password in the browser first")
            }
            AppError::LoginRequired { .. } | AppError::LinkExpired => {
                Self::Unauthorized("Authentication required")
            }
            AppError::PayloadTooLarge => Self::PayloadTooLarge,
            AppError::Busy => Self::Busy,
            AppError::TooManyRequests { retry_after } => Self::TooManyRequests { retry_after },
            AppError::Internal(error) => Self::Internal(error),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Invalid(errors) => Self::Invalid(
                errors
                    .iter()
                    .map(|e| (api_field(e.field).to_string(), e.message.clone()))
                    .collect(),
            ),
            AccountError::EmailTaken => Self::EmailTaken,
            AccountError::App(error) => error.into(),
        }
    }
}

/// The API's name for a field the shared rules name after a form field.
fn api_field(form_field: &str) -> &str {
    match form_field {
        "new_password" => "password",
        "confirm" => "id",
        other => other,
    }
}

/// The largest JSON body accepted.
pub const JSON_LIMIT_BYTES: usize = FORM_LIMIT_BYTES;

/// Body parsing for `/api`: 413, 415 or 400, as JSON.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_LIMIT_BYTES)
        .error_handler(|error, _req: &HttpRequest| {
            match error {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => ApiError::PayloadTooLarge,
                JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
                JsonPayloadError::Deserialize(error) => {
                    ApiError::BadRequest(format!("The JSON body is not valid: {error}"))
                }
                _ => ApiError::BadRequest("The request body could not be read".into()),
            }
            .into()
        })
}

/// An id in the path that is not a number names no user.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|_: PathError, _req: &HttpRequest| ApiError::UserNotFound.into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error: QueryPayloadError, _req: &HttpRequest| {
        ApiError::BadRequest(format!("The query string is not valid: {error}")).into()
    })
}
