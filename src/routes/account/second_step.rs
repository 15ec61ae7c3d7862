//! `GET,POST /login/two-factor`: the second step of a login with two-step login on. Only a
//! session that typed the right password in the last five minutes gets here; anyone else is
//! sent back to `/login`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::login::PendingLogin;
use crate::accounts::{AccountError, FieldErrors};
use crate::auth::{NewSession, TypedSession};
use crate::errors::AppError;
use crate::routes::Page;
use crate::state::AppState;
use crate::web::{FormRefusal, PageContext, render, see_other};

use super::login::outcome;

#[derive(Template)]
#[template(path = "account/login_two_factor.html")]
struct SecondStepPage {
    page: PageContext,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SecondStepForm {
    code: String,
}

/// Back to the password: the half-done login is missing or too old.
fn start_again() -> HttpResponse {
    see_other("/login?expired=1")
}

#[get("/login/two-factor")]
pub async fn show(
    state: web::Data<AppState>,
    page: Page,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    let pending = session.second_step().map(|step| PendingLogin {
        user_id: step.user_id,
        since: step.since,
    });
    if pending.is_none_or(|pending| pending.is_expired(state.now())) {
        return Ok(start_again());
    }
    let view = SecondStepPage {
        page: page.context(None),
        errors: FieldErrors::default(),
    };
    render(StatusCode::OK, &view)
}

#[post("/login/two-factor")]
pub async fn submit(
    state: web::Data<AppState>,
    page: Page,
    session: TypedSession,
    login: NewSession,
    form: web::Form<SecondStepForm>,
) -> Result<HttpResponse, AppError> {
    let Some(step) = session.second_step() else {
        return Ok(start_again());
    };
    let pending = PendingLogin {
        user_id: step.user_id,
        since: step.since,
    };
    let result = state
        .accounts
        .finish_login(pending, &form.code, login.ip())
        .await;
    state.metrics.count_login(outcome(&result));
    match result {
        Ok(user) => login.start(&user, step.remember, &step.next),
        Err(AccountError::LinkExpired | AccountError::LoginRefused) => Ok(start_again()),
        Err(error) => FormRefusal::show(error, |refusal| SecondStepPage {
            page: page.context(None),
            errors: match refusal.message.clone() {
                Some(message) => FieldErrors::single("code", message),
                None => refusal.errors.clone(),
            },
        }),
    }
}
