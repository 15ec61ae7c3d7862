//! `GET,POST /password-reset` and `GET,POST /password-reset/{token}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::FieldErrors;
use crate::accounts::password_reset::NewPasswordTwice;
use crate::domain::SecretString;
use crate::errors::AppError;
use crate::routes::Page;
use crate::state::AppState;
use crate::web::{ClientIp, FormRefusal, PageContext, render, see_other};

#[derive(Template)]
#[template(path = "account/password_reset.html")]
struct RequestPage {
    page: PageContext,
    email: String,
    sent: bool,
    errors: FieldErrors,
}

#[derive(Debug, Deserialize)]
pub struct SentQuery {
    sent: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetRequestForm {
    email: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewPasswordForm {
    new_password: SecretString,
    new_password_confirm: SecretString,
}

#[get("/password-reset")]
pub async fn show(page: Page, query: web::Query<SentQuery>) -> Result<HttpResponse, AppError> {
    let view = RequestPage {
        page: page.context(None),
        email: String::new(),
        sent: query.sent.is_some(),
        errors: FieldErrors::default(),
    };
    render(StatusCode::OK, &view)
}

#[post("/password-reset")]
pub async fn submit(
    state: web::Data<AppState>,
    page: Page,
    ip: ClientIp,
    form: web::Form<ResetRequestForm>,
) -> Result<HttpResponse, AppError> {
    match state.accounts.request_password_reset(&form.email, ip).await {
        Ok(()) => Ok(see_other("/password-reset?sent=1")),
        Err(error) => FormRefusal::show(error, |refusal| RequestPage {
            page: page.context(None),
            email: form.email.clone(),
            sent: false,
            errors: refusal.errors.clone(),
        }),
    }
}

#[derive(Template)]
#[template(path = "account/password_reset_new.html")]
struct NewPasswordPage {
    page: PageContext,
    email: String,
    errors: FieldErrors,
}

#[get("/password-reset/{token}")]
pub async fn show_link(
    state: web::Data<AppState>,
    page: Page,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = state.accounts.account_for_reset_link(&token).await?;
    let view = NewPasswordPage {
        page: page.context(None),
        email: user.email,
        errors: FieldErrors::default(),
    };
    render(StatusCode::OK, &view)
}

#[post("/password-reset/{token}")]
pub async fn submit_link(
    state: web::Data<AppState>,
    page: Page,
    ip: ClientIp,
    token: web::Path<String>,
    form: web::Form<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let NewPasswordForm {
        new_password,
        new_password_confirm,
    } = form.into_inner();
    let new = NewPasswordTwice {
        new_password,
        new_password_confirm,
    };
    match state.accounts.reset_password(&token, new, ip).await {
        Ok(_) => Ok(see_other("/login?reset=1")),
        Err(error) => {
            let user = state.accounts.account_for_reset_link(&token).await?;
            FormRefusal::show(error, |refusal| NewPasswordPage {
                page: page.context(None),
                email: user.email,
                errors: refusal.errors.clone(),
            })
        }
    }
}
