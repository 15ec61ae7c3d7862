//! What every page's layout needs (CSRF token, stylesheet, who is logged in, a flash
//! message) and the helpers that turn a template into a response.

use std::future::{Ready, ready};

use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, dev::Payload};

use crate::auth::{CsrfToken, TypedSession};
use crate::db::models::User;
use crate::errors::AppError;

/// The logged-in user as the header shows them.
#[derive(Debug, Clone)]
pub struct NavUser {
    pub name: String,
    pub is_admin: bool,
    /// False shows the "verify your email" banner.
    pub email_verified: bool,
}

/// The layout's data, passed to every template as `page`.
#[derive(Debug, Clone)]
pub struct PageContext {
    pub csrf_token: String,
    pub stylesheet: String,
    pub user: Option<NavUser>,
    pub flash: Option<String>,
}

impl PageContext {
    /// For pages rendered outside a handler (error pages).
    pub fn bare(req: &HttpRequest) -> Self {
        Self {
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

/// Extractor that gathers the layout's data for a handler.
pub struct Page {
    csrf_token: String,
    session: TypedSession,
}

impl FromRequest for Page {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let csrf_token = req.extensions().get::<CsrfToken>().map(|t| t.0.clone());
        let session = TypedSession::from_request(req, payload).into_inner();
        ready(match (csrf_token, session) {
            (Some(csrf_token), Ok(session)) => Ok(Self {
                csrf_token,
                session,
            }),
            (None, _) => Err(AppError::internal("CSRF middleware is not installed").into()),
            (_, Err(e)) => Err(e),
        })
    }
}

impl Page {
    /// The layout data for `user`; shows (and clears) a pending flash message.
    pub fn context(&self, user: Option<&User>) -> PageContext {
        PageContext {
            csrf_token: self.csrf_token.clone(),
            stylesheet: super::assets::stylesheet_url(),
            user: user.map(|u| NavUser {
                name: u.name.clone(),
                is_admin: u.is_admin(),
                email_verified: u.email_verified_at.is_some(),
            }),
            flash: user.and_then(|_| self.session.take_flash()),
        }
    }
}

/// Renders a page; account pages must never be stored by a shared cache or the back button.
pub fn render(
    status: StatusCode,
    template: &impl askama::Template,
) -> Result<HttpResponse, AppError> {
    let body = template
        .render()
        .map_err(|e| AppError::internal(format!("template failed: {e}")))?;
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
