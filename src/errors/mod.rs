//! The errors handlers answer with, one type per surface: [`AppError`] for pages (its body
//! is turned into the site's error page by `web::error_pages`) and [`ApiError`] for `/api`
//! (always JSON). An [`AccountError`] becomes a page here, in one place — a form shown
//! again ([`FormRefusal::from_error`]) where the person can act on it in the form, else an
//! error page (`From<AccountError> for AppError`) — and JSON in `api`. Every error response
//! starts at [`error_response`], the one place a `Retry-After` header is set. Nothing here
//! ever puts internals (SQL, stack traces) into a response.

pub mod api;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};

pub use api::ApiError;

use crate::accounts::{AccountError, FieldErrors};

/// Where an admin who must have two-step login sets it up.
const TWO_FACTOR_SETUP: &str = "/profile/two-factor";

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
    /// Values that break a rule, where no form can show them at their fields.
    #[error("{0}")]
    Invalid(String),
    /// Wrong credentials, where no form can say so.
    #[error("{0}")]
    Unauthorized(String),
    #[error("You do not have access to this page")]
    Forbidden,
    /// Refused for a reason the message says (sign-up closed).
    #[error("{0}")]
    Refused(String),
    /// An admin without two-step login where it is required of admins
    /// (`GATEHOUSE_REQUIRE_ADMIN_2FA`): sent to set it up.
    #[error("This site requires admins to use two-step login: turn it on to use the admin pages.")]
    TwoFactorRequired,
    #[error("Please log in to continue")]
    LoginRequired { next: String },
    /// A sensitive change needs the password typed again (see `auth::reauth`).
    #[error("Please confirm your password to continue")]
    ReauthenticationRequired { next: String },
    #[error("This form has expired or did not come from this site. Reload the page and try again.")]
    CsrfRejected,
    #[error("The request is too large")]
    PayloadTooLarge,
    /// The request's body did not arrive in time.
    #[error("The request took too long to arrive")]
    RequestTimeout,
    #[error("The server is busy; try again in a moment")]
    Busy,
    /// Too many requests from one address (the per-IP limit).
    #[error("Too many attempts from your network address. Try again in {retry_after} seconds.")]
    TooManyRequests { retry_after: u64 },
    /// Password login of this account is locked after failed attempts.
    #[error("{}", AccountError::Locked { retry_after: *retry_after })]
    Locked { retry_after: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::Internal(anyhow::anyhow!("{message}"))
    }

    /// What the visitor may read: never the inner error of `Internal`.
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "Something went wrong on our side.".into(),
            other => other.to_string(),
        }
    }

    /// How long to wait before trying again, for the answers that have one.
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

/// Where a page meets an account rule it did not handle itself: the one mapping from
/// [`AccountError`] to what a page answers.
impl From<AccountError> for AppError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Invalid(errors) => Self::Invalid(
                errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            error @ AccountError::EmailTaken => Self::Invalid(error.to_string()),
            AccountError::NotFound => Self::NotFound,
            AccountError::LinkExpired => Self::LinkExpired,
            error @ AccountError::LoginRefused => Self::Unauthorized(error.to_string()),
            AccountError::Locked { retry_after } => Self::Locked { retry_after },
            AccountError::Busy => Self::Busy,
            error @ AccountError::SignUpClosed => Self::Refused(error.to_string()),
            AccountError::Internal(error) => Self::Internal(error),
        }
    }
}

/// A use case's refusal as a form page shows it: the form again (rendered by
/// `web::forms`), rather than an error page.
#[derive(Debug)]
pub struct FormRefusal {
    pub(crate) status: StatusCode,
    /// Messages at their fields (a taken email is an `email` message).
    pub errors: FieldErrors,
    /// A message for the whole form (a refused login, a lock), if any.
    pub message: Option<String>,
    pub(crate) retry_after: Option<u64>,
}

impl FormRefusal {
    /// The refusals a person can act on in the form; anything else stays an error page.
    pub fn from_error(error: AccountError) -> Result<Self, AppError> {
        let refusal = |status, errors, message: Option<String>, retry_after| Self {
            status,
            errors,
            message,
            retry_after,
        };
        Ok(match error {
            AccountError::Invalid(errors) => {
                refusal(StatusCode::UNPROCESSABLE_ENTITY, errors, None, None)
            }
            error @ AccountError::EmailTaken => refusal(
                StatusCode::UNPROCESSABLE_ENTITY,
                FieldErrors::single("email", error.to_string()),
                None,
                None,
            ),
            error @ AccountError::LoginRefused => refusal(
                StatusCode::UNAUTHORIZED,
                FieldErrors::default(),
                Some(error.to_string()),
                None,
            ),
            AccountError::Locked { retry_after } => refusal(
                StatusCode::TOO_MANY_REQUESTS,
                FieldErrors::default(),
                Some(AccountError::Locked { retry_after }.to_string()),
                Some(retry_after),
            ),
            other => return Err(other.into()),
        })
    }

    /// The field messages, with a form-wide message (a lock) said at `field`.
    pub fn errors_at(&self, field: &'static str) -> FieldErrors {
        match &self.message {
            Some(message) if self.errors.is_empty() => FieldErrors::single(field, message.clone()),
            _ => self.errors.clone(),
        }
    }

    /// What a form with one message for everything shows: the form-wide message, else the
    /// first field's.
    pub fn summary(&self) -> Option<String> {
        self.message
            .clone()
            .or_else(|| self.errors.iter().next().map(|e| e.message.clone()))
    }
}

/// The start of every error answer, page or JSON: its status, and `Retry-After` when the
/// caller should wait. The one place that header is written.
pub fn error_response(status: StatusCode, retry_after: Option<u64>) -> HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    if let Some(seconds) = retry_after {
        response.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    response
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::LinkExpired => StatusCode::GONE,
            Self::Forbidden | Self::CsrfRejected | Self::Refused(_) => StatusCode::FORBIDDEN,
            Self::LoginRequired { .. }
            | Self::ReauthenticationRequired { .. }
            | Self::TwoFactorRequired => StatusCode::SEE_OTHER,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooManyRequests { .. } | Self::Locked { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = error_response(self.status_code(), self.retry_after());
        let back_to = |page: &str, next: &str| {
            let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
            format!("/{page}?next={next}")
        };
        match self {
            Self::LoginRequired { next } => {
                response.insert_header((header::LOCATION, back_to("login", next)));
            }
            Self::ReauthenticationRequired { next } => {
                response.insert_header((header::LOCATION, back_to("reauth", next)));
            }
            Self::TwoFactorRequired => {
                response.insert_header((header::LOCATION, TWO_FACTOR_SETUP));
            }
            _ => {}
        }
        // The page itself is rendered by `web::error_pages` from the status and this message.
        response
            .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
            .body(self.public_message())
    }
}
