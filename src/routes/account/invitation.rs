//! `GET,POST /invite/{token}`: the invited person chooses a name and a password and arrives
//! logged in, verified, with the role they were invited as. A used, revoked or expired link
//! is the "link expired" page (410). The rules are `accounts::invitations`'.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::SignUpForm;
use crate::accounts::FieldErrors;
use crate::accounts::invitations::AcceptInvitation;
use crate::accounts::login::LoginStep;
use crate::auth::NewSession;
use crate::errors::AppError;
use crate::routes::Page;
use crate::state::AppState;
use crate::web::{PageContext, render};

#[derive(Template)]
#[template(path = "account/invitation.html")]
struct InvitationPage {
    page: PageContext,
    token: String,
    email: String,
    role: &'static str,
    name: String,
    errors: FieldErrors,
}

#[get("/invite/{token}")]
pub async fn show(
    state: web::Data<AppState>,
    page: Page,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let invitation = state.accounts.invitation(&token).await?;
    let view = InvitationPage {
        page: page.context(None),
        token: token.into_inner(),
        email: invitation.email,
        role: invitation.role.as_str(),
        name: String::new(),
        errors: FieldErrors::default(),
    };
    render(StatusCode::OK, &view)
}

/// The sign-up form's fields (its `email` is ignored: the invitation says whose it is).
#[post("/invite/{token}")]
pub async fn accept(
    state: web::Data<AppState>,
    page: Page,
    login: NewSession,
    token: web::Path<String>,
    form: web::Form<SignUpForm>,
) -> Result<HttpResponse, AppError> {
    let invitation = state.accounts.invitation(&token).await?;
    let command = AcceptInvitation {
        name: form.name.clone(),
        password: form.password.clone(),
        password_confirm: Some(form.password_confirm.clone()),
    };
    let result = state
        .accounts
        .accept_invitation(&token, command, login.ip())
        .await;
    login.log_in_or_show_form(result.map(LoginStep::Done), false, "/profile", |refusal| {
        InvitationPage {
            page: page.context(None),
            token: token.clone(),
            email: invitation.email.clone(),
            role: invitation.role.as_str(),
            name: form.name.clone(),
            errors: refusal.errors.clone(),
        }
    })
}
