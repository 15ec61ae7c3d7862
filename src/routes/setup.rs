//! `GET,POST /setup/{token}`: creating the first admin through the one-time link.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::Page;
use super::account::SignUpForm;
use crate::accounts::FieldErrors;
use crate::accounts::login::LoginStep;
use crate::auth::NewSession;
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::{PageContext, render};

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    page: PageContext,
    token: String,
    name: String,
    email: String,
    errors: FieldErrors,
}

#[get("/setup/{token}")]
pub async fn show(
    state: web::Data<AppState>,
    page: Page,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    if !state.accounts.setup_link_is_usable(&token).await? {
        return Err(AppError::NotFound);
    }
    let view = SetupPage {
        page: page.context(None),
        token: token.into_inner(),
        name: String::new(),
        email: String::new(),
        errors: FieldErrors::default(),
    };
    render(StatusCode::OK, &view)
}

#[post("/setup/{token}")]
pub async fn submit(
    state: web::Data<AppState>,
    page: Page,
    login: NewSession,
    token: web::Path<String>,
    form: web::Form<SignUpForm>,
) -> Result<HttpResponse, AppError> {
    let result = state
        .accounts
        .complete_setup(&token, form.command(), login.ip())
        .await;
    login.log_in_or_show_form(result.map(LoginStep::Done), false, "/profile", |refusal| {
        SetupPage {
            page: page.context(None),
            token: token.into_inner(),
            name: form.name.clone(),
            email: form.email.clone(),
            errors: refusal.errors.clone(),
        }
    })
}
