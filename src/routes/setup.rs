//! `GET,POST /setup/{token}`: creating the first admin through the one-time link.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::account::log_in_and_redirect;
use crate::accounts::registration::SignUpForm;
use crate::accounts::{AccountError, setup};
use crate::auth::TypedSession;
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::{ClientIp, FormErrors, Page, PageContext, render};

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    page: PageContext,
    token: String,
    name: String,
    email: String,
    errors: FormErrors,
}

#[get("/setup/{token}")]
pub async fn show(
    state: web::Data<AppState>,
    page: Page,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    if !setup::token_is_usable(&state, &token).await? {
        return Err(AppError::NotFound);
    }
    let view = SetupPage {
        page: page.context(None),
        token: token.into_inner(),
        name: String::new(),
        email: String::new(),
        errors: FormErrors::default(),
    };
    render(StatusCode::OK, &view)
}

#[post("/setup/{token}")]
pub async fn submit(
    state: web::Data<AppState>,
    page: Page,
    session: TypedSession,
    ip: ClientIp,
    req: HttpRequest,
    token: web::Path<String>,
    form: web::Form<SignUpForm>,
) -> Result<HttpResponse, AppError> {
    match setup::complete(&state, &token, &form, ip).await {
        Ok(user) => log_in_and_redirect(&session, &req, &user, false, ip, "/profile"),
        Err(AccountError::App(error)) => Err(error),
        Err(error) => {
            let view = SetupPage {
                page: page.context(None),
                token: token.into_inner(),
                name: form.name.clone(),
                email: form.email.clone(),
                errors: error.into_form_errors()?,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
    }
}
