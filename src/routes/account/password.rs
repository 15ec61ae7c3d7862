//! `GET,POST /password`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use crate::accounts::profile::{PasswordForm, change_password};
use crate::auth::CurrentUser;
use crate::errors::AppError;
use crate::state::AppState;
use crate::web::{ClientIp, FormErrors, Page, PageContext, render, see_other};

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    page: PageContext,
    errors: FormErrors,
}

#[get("/password")]
pub async fn show(page: Page, me: CurrentUser) -> Result<HttpResponse, AppError> {
    render(
        StatusCode::OK,
        &PasswordPage {
            page: page.context(Some(&me.user)),
            errors: FormErrors::default(),
        },
    )
}

#[post("/password")]
pub async fn submit(
    state: web::Data<AppState>,
    page: Page,
    me: CurrentUser,
    ip: ClientIp,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    match change_password(&state, &me.user, &form, me.session.public_id(), ip).await {
        Ok(()) => {
            me.session
                .set_flash("Your password was changed. Every other session was logged out.")?;
            Ok(see_other("/profile"))
        }
        Err(error) => {
            let view = PasswordPage {
                page: page.context(Some(&me.user)),
                errors: error.into_form_errors()?,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
    }
}
