//! `GET,POST /register`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::SignUpForm;
use crate::accounts::FieldErrors;
use crate::accounts::login::LoginStep;
use crate::auth::{MaybeUser, NewSession};
use crate::domain::SignUpPolicy;
use crate::errors::AppError;
use crate::oidc::ProviderInfo;
use crate::routes::Page;
use crate::state::AppState;
use crate::web::{PageContext, render, see_other};

#[derive(Template)]
#[template(path = "account/register.html")]
struct RegisterPage {
    page: PageContext,
    name: String,
    email: String,
    errors: FieldErrors,
    providers: Vec<ProviderInfo>,
    /// Sign-up is by invitation only: the page says how to get in instead.
    invite_only: bool,
}

#[get("/register")]
pub async fn show(
    state: web::Data<AppState>,
    page: Page,
    visitor: MaybeUser,
) -> Result<HttpResponse, AppError> {
    if visitor.user.is_some() {
        return Ok(see_other("/profile"));
    }
    render(
        StatusCode::OK,
        &RegisterPage {
            page: page.context(None),
            name: String::new(),
            email: String::new(),
            errors: FieldErrors::default(),
            providers: state.providers.list(),
            invite_only: state.accounts.policies().sign_up == SignUpPolicy::InviteOnly,
        },
    )
}

#[post("/register")]
pub async fn submit(
    state: web::Data<AppState>,
    page: Page,
    login: NewSession,
    form: web::Form<SignUpForm>,
) -> Result<HttpResponse, AppError> {
    let result = state.accounts.sign_up(form.command(), login.ip()).await;
    login.log_in_or_show_form(result.map(LoginStep::Done), false, "/profile", |refusal| {
        RegisterPage {
            page: page.context(None),
            name: form.name.clone(),
            email: form.email.clone(),
            errors: refusal.errors.clone(),
            providers: state.providers.list(),
            invite_only: state.accounts.policies().sign_up == SignUpPolicy::InviteOnly,
        }
    })
}
