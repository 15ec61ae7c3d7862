//! `GET,POST /register`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::log_in_and_redirect;
use crate::accounts::registration::{SignUpForm, register};
use crate::auth::{MaybeUser, TypedSession};
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::{ClientIp, FormErrors, Page, PageContext, render, see_other};

#[derive(Template)]
#[template(path = "account/register.html")]
struct RegisterPage {
    page: PageContext,
    name: String,
    email: String,
    errors: FormErrors,
}

#[get("/register")]
pub async fn show(page: Page, visitor: MaybeUser) -> Result<HttpResponse, AppError> {
    if visitor.user.is_some() {
        return Ok(see_other("/profile"));
    }
    render(
        StatusCode::OK,
        &RegisterPage {
            page: page.context(None),
            name: String::new(),
            email: String::new(),
            errors: FormErrors::default(),
        },
    )
}

#[post("/register")]
pub async fn submit(
    state: web::Data<AppState>,
    page: Page,
    session: TypedSession,
    ip: ClientIp,
    req: HttpRequest,
    form: web::Form<SignUpForm>,
) -> Result<HttpResponse, AppError> {
    match register(&state, &form, ip).await {
        Ok(user) => log_in_and_redirect(&session, &req, &user, false, ip, "/profile"),
        Err(error) => {
            let view = RegisterPage {
                page: page.context(None),
                name: form.name.clone(),
                email: form.email.clone(),
                errors: error.into_form_errors()?,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
    }
}
