//! `GET,POST /password`. A user with API tokens is sent on to them afterwards: a password
//! change keeps them working, and that page offers to revoke them.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::FieldErrors;
use crate::accounts::profile::PasswordChange;
use crate::auth::CurrentUser;
use crate::domain::SecretString;
use crate::errors::AppError;
use crate::routes::Page;
use crate::state::AppState;
use crate::web::{ClientIp, FormRefusal, PageContext, render, see_other};

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    page: PageContext,
    /// Ask for a code too.
    two_factor: bool,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    current_password: SecretString,
    new_password: SecretString,
    new_password_confirm: SecretString,
    code: String,
}

#[get("/password")]
pub async fn show(page: Page, me: CurrentUser) -> Result<HttpResponse, AppError> {
    render(
        StatusCode::OK,
        &PasswordPage {
            page: page.context(Some(&me.user)),
            two_factor: me.user.has_two_factor(),
            errors: FieldErrors::default(),
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
    let PasswordForm {
        current_password,
        new_password,
        new_password_confirm,
        code,
    } = form.into_inner();
    let change = PasswordChange {
        current_password,
        new_password,
        new_password_confirm,
        code,
    };
    let this_session = me.session.public_id();
    match state
        .accounts
        .change_password(&me.user, change, this_session, ip)
        .await
    {
        Ok(changed) => {
            // The current password was just typed: that counts as confirming it.
            me.session.reauthenticated(state.now())?;
            let done = "Your password was changed. Every other session was logged out.";
            if changed.api_tokens == 0 {
                me.session.set_flash(done)?;
                return Ok(see_other("/profile"));
            }
            me.session.set_flash(&format!(
                "{done} Your API tokens still work: revoke any that may be in the wrong hands."
            ))?;
            Ok(see_other("/profile/tokens"))
        }
        Err(error) => FormRefusal::show(error, |refusal| PasswordPage {
            page: page.context(Some(&me.user)),
            two_factor: me.user.has_two_factor(),
            errors: refusal.errors_at("current_password"),
        }),
    }
}
