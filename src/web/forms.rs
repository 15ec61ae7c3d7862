//! HTML forms: the body size limit, checkboxes, and how a form page answers when a use
//! case refused its input: the form again ([`FormRefusal`], decided in `errors`) with its
//! status, each message next to its field (the templates read `accounts::FieldErrors`),
//! and `Retry-After` where it applies.

use actix_web::HttpResponse;
use actix_web::http::header;

use crate::accounts::AccountError;
pub use crate::errors::FormRefusal;
use crate::errors::{AppError, error_response};

/// The largest form (or JSON) body accepted anywhere; larger ones are answered 413.
pub const FORM_LIMIT_BYTES: usize = 64 * 1024;

/// Whether an HTML checkbox was ticked: browsers send its `value` (default `on`) or nothing.
pub fn is_checked(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

impl FormRefusal {
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
