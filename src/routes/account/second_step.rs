//! `GET,POST /login/two-factor` (and `/login/two-factor/passkey`, with its `/options`): the
//! second step of a login with two-step login on, with a code or one of the account's
//! passkeys. Only a session that typed the right password in the last five minutes gets
//! here; anyone else is sent back to `/login`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::login::PendingLogin;
use crate::accounts::{AccountError, FieldErrors, User};
use crate::auth::{NewSession, SecondStep, TypedSession};
use crate::errors::{ApiError, AppError};
use crate::routes::Page;
use crate::state::AppState;
use crate::web::assets::passkey_script_url;
use crate::web::{FormRefusal, PageContext, render, see_other};

use super::login::outcome;

#[derive(Template)]
#[template(path = "account/login_two_factor.html")]
struct SecondStepPage {
    page: PageContext,
    errors: FieldErrors,
    /// The passkey script, when the account has passkeys (they may stand in for the code).
    passkey_script: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SecondStepForm {
    code: String,
    /// The browser's answer, when the passkey button sent the form.
    credential: String,
}

/// The half-done login this session waits on.
fn pending_login(session: &TypedSession) -> Option<(PendingLogin, SecondStep)> {
    let step = session.second_step()?;
    let pending = PendingLogin {
        user_id: step.user_id,
        since: step.since,
    };
    Some((pending, step))
}

/// The page, with the passkey button when the account has a passkey.
async fn second_step_page(
    state: &AppState,
    page: &Page,
    pending: PendingLogin,
    errors: FieldErrors,
) -> Result<SecondStepPage, AppError> {
    let has_passkeys = state.accounts.passkeys_available()
        && state.accounts.passkey_count(pending.user_id).await? > 0;
    Ok(SecondStepPage {
        page: page.context(None),
        errors,
        passkey_script: has_passkeys.then(passkey_script_url),
    })
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
    let Some((pending, _)) = pending_login(&session) else {
        return Ok(start_again());
    };
    if pending.is_expired(state.now()) {
        return Ok(start_again());
    }
    let view = second_step_page(&state, &page, pending, FieldErrors::default()).await?;
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
    let Some((pending, step)) = pending_login(&session) else {
        return Ok(start_again());
    };
    let result = state
        .accounts
        .finish_login(pending, &form.code, login.ip())
        .await;
    finish(&state, &page, &login, pending, &step, result, "code").await
}

/// The first half of a second step with a passkey: options naming the account's passkeys.
#[post("/login/two-factor/passkey/options")]
pub async fn passkey_options(
    state: web::Data<AppState>,
    session: TypedSession,
) -> Result<HttpResponse, ApiError> {
    let Some((pending, _)) = pending_login(&session) else {
        return Err(AccountError::LinkExpired.into());
    };
    let start = state.accounts.start_passkey_second_step(pending).await?;
    session.begin_passkey_ceremony(&start.id)?;
    Ok(super::passkeys::json(start.options))
}

#[post("/login/two-factor/passkey")]
pub async fn passkey_submit(
    state: web::Data<AppState>,
    page: Page,
    session: TypedSession,
    login: NewSession,
    form: web::Form<SecondStepForm>,
) -> Result<HttpResponse, AppError> {
    let Some((pending, step)) = pending_login(&session) else {
        return Ok(start_again());
    };
    let ceremony = session.take_passkey_ceremony();
    let result = state
        .accounts
        .finish_login_with_passkey(pending, &ceremony, &form.credential, login.ip())
        .await;
    finish(&state, &page, &login, pending, &step, result, "passkey").await
}

/// The end of a second step, with a code or a passkey: logged in and on to where the login
/// was going; back to the password when the half-done login is gone; or the page again
/// with the refusal said at `field`.
async fn finish(
    state: &AppState,
    page: &Page,
    login: &NewSession,
    pending: PendingLogin,
    step: &SecondStep,
    result: Result<User, AccountError>,
    field: &'static str,
) -> Result<HttpResponse, AppError> {
    state.metrics.count_login(outcome(&result));
    match result {
        Ok(user) => login.start(&user, step.remember, &step.next),
        Err(AccountError::LinkExpired | AccountError::LoginRefused) => Ok(start_again()),
        Err(error) => {
            let refusal = FormRefusal::from_error(error)?;
            let view = second_step_page(state, page, pending, refusal.errors_at(field)).await?;
            refusal.render(&view)
        }
    }
}
