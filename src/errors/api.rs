//! The one error type of `/api`: every variant renders `{"error": "…"}` (plus `"fields"`
//! for invalid values) with its status, never HTML and never internals. Made from an
//! [`AccountError`] in one place (`From` below), with the core's field names as they are:
//! they are the API's field names.

use std::collections::BTreeMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use super::{AppError, error_response};
use crate::accounts::AccountError;

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
    #[error("{}", AccountError::Locked { retry_after: *retry_after })]
    Locked { retry_after: u64 },
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

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Busy => Some(1),
            Self::TooManyRequests { retry_after } | Self::Locked { retry_after } => {
                Some(*retry_after)
            }
            _ => None,
        }
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
            Self::TooManyRequests { .. } | Self::Locked { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = error_response(self.status_code(), self.retry_after());
        if let Self::Unauthorized(_) = self {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
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

/// Where the API meets an account rule: the one mapping from [`AccountError`] to JSON.
impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Invalid(errors) => Self::Invalid(
                errors
                    .iter()
                    .map(|e| (e.field.to_string(), e.message.clone()))
                    .collect(),
            ),
            AccountError::EmailTaken => Self::EmailTaken,
            AccountError::NotFound => Self::UserNotFound,
            AccountError::LinkExpired | AccountError::LoginRefused => {
                Self::Unauthorized("Authentication required")
            }
            AccountError::Locked { retry_after } => Self::Locked { retry_after },
            AccountError::Busy => Self::Busy,
            AccountError::SignUpClosed => Self::Forbidden("This site is open by invitation only"),
            AccountError::Internal(error) => Self::Internal(error),
        }
    }
}

/// The gates in front of `/api` share the page's session and CSRF machinery; what they
/// raise is answered as JSON too.
impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Internal(error) => Self::Internal(error),
            error @ AppError::RequestTimeout => Self::BadRequest(error.to_string()),
            AppError::Busy => Self::Busy,
            AppError::PayloadTooLarge => Self::PayloadTooLarge,
            AppError::BadRequest(message) | AppError::Invalid(message) => Self::BadRequest(message),
            AppError::NotFound => Self::UserNotFound,
            AppError::TooManyRequests { retry_after } => Self::TooManyRequests { retry_after },
            AppError::Locked { retry_after } => Self::Locked { retry_after },
            AppError::Forbidden | AppError::CsrfRejected | AppError::Refused(_) => {
                Self::Forbidden("You may not do this")
            }
            AppError::TwoFactorRequired => Self::Forbidden(
                "This site requires admins to use two-step login: turn it on at /profile/two-factor first",
            ),
            AppError::ReauthenticationRequired { .. } => {
                Self::Forbidden("Confirm your password in the browser first")
            }
            AppError::LoginRequired { .. } | AppError::LinkExpired | AppError::Unauthorized(_) => {
                Self::Unauthorized("Authentication required")
            }
        }
    }
}
