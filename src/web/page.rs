//! What every page's layout needs (CSRF token, stylesheet, who is logged in, a flash
//! message) and the helpers that turn a template into a response. The extractor that
//! gathers it for a handler is `routes::Page`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use crate::accounts::User;
use crate::config::DEFAULT_SITE_NAME;
use crate::errors::AppError;
use crate::state::AppState;

/// The CSRF token to put into this request's forms and `<meta name="csrf-token">`; put
/// into the request by `auth::csrf`.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// The logged-in user as the header shows them.
#[derive(Debug, Clone)]
pub struct NavUser {
    pub name: String,
    pub is_admin: bool,
    /// False shows the "verify your email" banner.
    pub email_verified: bool,
}

impl From<&User> for NavUser {
    fn from(user: &User) -> Self {
        Self {
            name: user.name.clone(),
            is_admin: user.is_admin(),
            email_verified: user.email_verified_at.is_some(),
        }
    }
}

/// The layout's data, passed to every template as `page`.
#[derive(Debug, Clone)]
pub struct PageContext {
    /// `GATEHOUSE_SITE_NAME`: the header's brand and the end of every title.
    pub site_name: String,
    pub csrf_token: String,
    pub stylesheet: String,
    pub user: Option<NavUser>,
    pub flash: Option<String>,
}

impl PageContext {
    /// For pages rendered outside a handler (error pages).
    pub fn bare(req: &HttpRequest) -> Self {
        Self {
            site_name: site_name(req),
            csrf_token: req
                .extensions()
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            stylesheet: super::assets::stylesheet_url(),
            user: None,
            flash: None,
        }
    }
}

/// The site's name, from the configuration this request is served with.
pub fn site_name(req: &HttpRequest) -> String {
    req.app_data::<web::Data<AppState>>()
        .map_or(DEFAULT_SITE_NAME, |state| state.settings.site_name.as_str())
        .to_string()
}

pub(super) fn render_body(template: &impl askama::Template) -> Result<String, AppError> {
    template
        .render()
        .map_err(|e| AppError::internal(format!("template failed: {e}")))
}

/// Renders a page; account pages must never be stored by a shared cache or the back button.
pub fn render(
    status: StatusCode,
    template: &impl askama::Template,
) -> Result<HttpResponse, AppError> {
    let body = render_body(template)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// The answer to a successful POST (post/redirect/get).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
