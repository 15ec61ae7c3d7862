//! HTML forms: the body size limit, checkboxes, and how a form page answers when a use
//! case refused its input ([`FormRefusal`]): the form again with its status, each message
//! next to its field (the page's templates read [`FieldErrors`]), and `Retry-After` where
//! it applies.

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};

use crate::accounts::{AccountError, FieldErrors};
use crate::errors::{AppError, error_response};

/// The largest form (or JSON) body accepted anywhere; larger ones are answered 413.
pub const FORM_LIMIT_BYTES: usize = 64 * 1024;

/// Whether an HTML checkbox was ticked: browsers send its `value` (default `on`) or nothing.
pub fn is_checked(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// A use case's refusal as a form page shows it.
#[derive(Debug)]
pub struct FormRefusal {
    status: StatusCode,
    /// Messages at their fields (a taken email is an `email` message).
    pub errors: FieldErrors,
    /// A message for the whole form (a refused login, a lock), if any.
    pub message: Option<String>,
    retry_after: Option<u64>,
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

    /// The form again after `error`, as `form_again` makes it from the refusal (with the
    /// refusal's status and headers); an error no form can show is an error page.
    pub fn show<V: askama::Template>(
        error: AccountError,
        form_again: impl FnOnce(&Self) -> V,
    ) -> Result<HttpResponse, AppError> {
        let refusal = Self::from_error(error)?;
        refusal.render(&form_again(&refusal))
    }

    /// The form page `view`, rendered with this refusal's status and headers.
    pub fn render(&self, view: &impl askama::Template) -> Result<HttpResponse, AppError> {
        let body = super::page::render_body(view)?;
        Ok(error_response(self.status, self.retry_after)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_checkbox_is_ticked_only_when_sent_with_a_value() {
        assert!(super::is_checked(&Some("on".into())));
        assert!(!super::is_checked(&None));
        assert!(!super::is_checked(&Some("false".into())));
    }
}
