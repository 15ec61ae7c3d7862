//! `GET,POST /login` and `POST /logout`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::log_in_and_redirect;
use crate::accounts::login::{LoginError, LoginForm, authenticate};
use crate::audit::{AuditEntry, action};
use crate::auth::{MaybeUser, TypedSession};
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::{ClientIp, Page, PageContext, local_path, render, see_other};

#[derive(Template)]
#[template(path = "account/login.html")]
struct LoginPage {
    page: PageContext,
    email: String,
    next: String,
    remember: bool,
    error: Option<String>,
    /// Shown after a password reset.
    notice: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    reset: Option<String>,
    verified: Option<String>,
}

#[get("/login")]
pub async fn show(
    page: Page,
    visitor: MaybeUser,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = local_path(query.next.as_deref());
    if visitor.user.is_some() {
        return Ok(see_other(next.as_deref().unwrap_or("/profile")));
    }
    let view = LoginPage {
        page: page.context(None),
        email: String::new(),
        next: next.unwrap_or_default(),
        remember: false,
        error: None,
        notice: notice(&query),
    };
    render(StatusCode::OK, &view)
}

/// The message a redirect to the login page asked for.
fn notice(query: &NextQuery) -> Option<&'static str> {
    if query.reset.is_some() {
        Some("Your password was changed. Log in with the new one.")
    } else if query.verified.is_some() {
        Some("Thank you: your email address is verified. Log in to go on.")
    } else {
        None
    }
}

#[post("/login")]
pub async fn submit(
    state: web::Data<AppState>,
    page: Page,
    session: TypedSession,
    ip: ClientIp,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let next = local_path(form.next.as_deref());
    match authenticate(&state, &form, ip).await {
        Ok(user) => log_in_and_redirect(
            &session,
            &req,
            &user,
            form.remember(),
            ip,
            next.as_deref().unwrap_or("/profile"),
        ),
        Err(LoginError::App(error)) => Err(error),
        Err(refusal) => {
            let (status, retry_after) = match &refusal {
                LoginError::Locked { retry_after } => {
                    (StatusCode::TOO_MANY_REQUESTS, Some(*retry_after))
                }
                _ => (StatusCode::UNAUTHORIZED, None),
            };
            let view = LoginPage {
                page: page.context(None),
                email: form.email.trim().to_string(),
                next: next.unwrap_or_default(),
                remember: form.remember(),
                error: Some(refusal.to_string()),
                notice: None,
            };
            let mut response = render(status, &view)?;
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
            }
            Ok(response)
        }
    }
}

#[post("/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    visitor: MaybeUser,
    ip: ClientIp,
) -> Result<HttpResponse, AppError> {
    if let Some(user) = visitor.user {
        let now = state.clock.now();
        let audit = AuditEntry::own(action::LOGOUT, &user, ip);
        state.db.run(move |conn| audit.write(conn, now)).await?;
    }
    visitor.session.log_out();
    Ok(see_other("/login"))
}
