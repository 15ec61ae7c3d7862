//! `GET,POST /password-reset` and `GET,POST /password-reset/{token}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::AccountError;
use crate::accounts::password_reset::{self, NewPasswordForm, ResetRequestForm};
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::{ClientIp, FormErrors, Page, PageContext, render, see_other};

#[derive(Template)]
#[template(path = "account/password_reset.html")]
struct RequestPage {
    page: PageContext,
    email: String,
    sent: bool,
    errors: FormErrors,
}

#[derive(Debug, Deserialize)]
pub struct SentQuery {
    sent: Option<String>,
}

#[get("/password-reset")]
pub async fn show(page: Page, query: web::Query<SentQuery>) -> Result<HttpResponse, AppError> {
    let view = RequestPage {
        page: page.context(None),
        email: String::new(),
        sent: query.sent.is_some(),
        errors: FormErrors::default(),
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
    match password_reset::request(&state, &form, ip).await {
        Ok(()) => Ok(see_other("/password-reset?sent=1")),
        Err(error) => {
            let view = RequestPage {
                page: page.context(None),
                email: form.email.clone(),
                sent: false,
                errors: error.into_form_errors()?,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
    }
}

#[derive(Template)]
#[template(path = "account/password_reset_new.html")]
struct NewPasswordPage {
    page: PageContext,
    email: String,
    errors: FormErrors,
}

#[get("/password-reset/{token}")]
pub async fn show_link(
    state: web::Data<AppState>,
    page: Page,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = password_reset::account_for_link(&state, &token).await?;
    let view = NewPasswordPage {
        page: page.context(None),
        email: user.email,
        errors: FormErrors::default(),
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
    match password_reset::complete(&state, &token, &form, ip).await {
        Ok(_) => Ok(see_other("/login?reset=1")),
        Err(AccountError::App(error)) => Err(error),
        Err(error) => {
            let user = password_reset::account_for_link(&state, &token).await?;
            let view = NewPasswordPage {
                page: page.context(None),
                email: user.email,
                errors: error.into_form_errors()?,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
    }
}
