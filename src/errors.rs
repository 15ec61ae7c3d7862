//! The one error type handlers return. Each variant knows its status; the bodies of error
//! responses are written by `web::error_pages` (HTML, or JSON under `/api`), so nothing
//! here ever puts internals (SQL, stack traces) into a response.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use diesel::r2d2;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("Page not found")]
    NotFound,
    /// A one-time link that was used, expired or never existed.
    #[error("This link has expired or was already used. Ask for a new one.")]
    LinkExpired,
    /// The request itself is wrong (a bad query parameter); the message says how.
    #[error("{0}")]
    BadRequest(String),
    #[error("You do not have access to this page")]
    Forbidden,
    #[error("Please log in to continue")]
    LoginRequired { next: String },
    /// A sensitive change needs the password typed again (see `auth::reauth`).
    #[error("Please confirm your password to continue")]
    ReauthenticationRequired { next: String },
    #[error("This form has expired or did not come from this site. Reload the page and try again.")]
    CsrfRejected,
    #[error("The request is too large")]
    PayloadTooLarge,
    #[error("The server is busy; try again in a moment")]
    Busy,
    /// Too many requests from one address (the per-IP limit).
    #[error("Too many attempts from your network address. Try again in {retry_after} seconds.")]
    TooManyRequests { retry_after: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::Internal(anyhow::anyhow!("{message}"))
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::NotFound => Self::NotFound,
            other => Self::Internal(anyhow::Error::new(other).context("database query failed")),
        }
    }
}

impl From<r2d2::PoolError> for AppError {
    fn from(error: r2d2::PoolError) -> Self {
        Self::Internal(anyhow::Error::new(error).context("no database connection available"))
    }
}

/// True when a Diesel error is a unique-constraint violation (e.g. an email taken meanwhile).
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::LinkExpired => StatusCode::GONE,
            Self::Forbidden | Self::CsrfRejected => StatusCode::FORBIDDEN,
            Self::LoginRequired { .. } | Self::ReauthenticationRequired { .. } => {
                StatusCode::SEE_OTHER
            }
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::LoginRequired { next } => {
                let location = format!("/login?next={}", crate::web::url_encode(next));
                response.insert_header((header::LOCATION, location));
            }
            Self::ReauthenticationRequired { next } => {
                let location = format!("/reauth?next={}", crate::web::url_encode(next));
                response.insert_header((header::LOCATION, location));
            }
            Self::Busy => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            Self::TooManyRequests { retry_after } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            _ => {}
        }
        // The page itself is rendered by `web::error_pages` from the status and this message.
        response
            .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
            .body(self.public_message())
    }
}

impl AppError {
    /// What the visitor may read: never the inner error of `Internal`.
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "Something went wrong on our side.".into(),
            other => other.to_string(),
        }
    }
}
