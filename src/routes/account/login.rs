//! `GET,POST /login`, `POST /login/passkey/options`, `POST /login/passkey` (a login with a
//! passkey and no password: the login page's passkey button) and `POST /logout`.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::AccountError;
use crate::accounts::login::{LogIn, LoginStep};
use crate::auth::{MaybeUser, NewSession, TypedSession};
use crate::domain::SecretString;
use crate::domain::SignUpPolicy;
use crate::errors::{ApiError, AppError};
use crate::metrics::LoginOutcome;
use crate::oidc::ProviderInfo;
use crate::routes::Page;
use crate::state::AppState;
use crate::web::assets::passkey_script_url;
use crate::web::{ClientIp, PageContext, is_checked, local_path, render, see_other};

#[derive(Template)]
#[template(path = "account/login.html")]
struct LoginPage {
    page: PageContext,
    email: String,
    next: String,
    remember: bool,
    error: Option<String>,
    /// Shown after a password reset, a verified email, or a second step that took too long.
    notice: Option<&'static str>,
    /// The passkey script, when the site can use passkeys.
    passkey_script: Option<String>,
    /// The external providers people may sign in with.
    providers: Vec<ProviderInfo>,
    /// Sign-up is by invitation only: the page says so instead of offering it.
    invite_only: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: SecretString,
    remember: Option<String>,
    next: Option<String>,
    /// The browser's answer, when the passkey button sent the form.
    credential: String,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    reset: Option<String>,
    verified: Option<String>,
    expired: Option<String>,
    deleted: Option<String>,
}

/// The passkey script for the login pages, when passkeys work on this site.
pub(super) fn passkey_script(state: &AppState) -> Option<String> {
    state.accounts.passkeys_available().then(passkey_script_url)
}

#[get("/login")]
pub async fn show(
    state: web::Data<AppState>,
    page: Page,
    visitor: MaybeUser,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = local_path(query.next.as_deref());
    if visitor.user.is_some() {
        return Ok(see_other(next.as_deref().unwrap_or("/profile")));
    }
    let view = LoginPage {
        page: page.context(None),
        email: String::new(),
        next: next.unwrap_or_default(),
        remember: false,
        error: None,
        notice: notice(&query),
        passkey_script: passkey_script(&state),
        providers: state.providers.list(),
        invite_only: state.accounts.policies().sign_up == SignUpPolicy::InviteOnly,
    };
    render(StatusCode::OK, &view)
}

/// The message a redirect to the login page asked for.
fn notice(query: &NextQuery) -> Option<&'static str> {
    if query.reset.is_some() {
        Some("Your password was changed. Log in with the new one.")
    } else if query.verified.is_some() {
        Some("Thank you: your email address is verified. Log in to go on.")
    } else if query.deleted.is_some() {
        Some("Your account was deleted. A mail confirms it.")
    } else if query.expired.is_some() {
        Some("Your login took more than five minutes. Enter your password again.")
    } else {
        None
    }
}

#[post("/login")]
pub async fn submit(
    state: web::Data<AppState>,
    page: Page,
    login: NewSession,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let LoginForm {
        email,
        password,
        remember,
        next,
        credential: _,
    } = form.into_inner();
    let (next, remember) = (local_path(next.as_deref()), is_checked(&remember));
    let command = LogIn {
        email: email.clone(),
        password,
    };
    let result = state.accounts.log_in(command, login.ip()).await;
    // A login that goes on to its second step counts when that ends.
    if !matches!(result, Ok(LoginStep::SecondStep(_))) {
        state.metrics.count_login(outcome(&result));
    }
    let location = next.as_deref().unwrap_or("/profile");
    login.log_in_or_show_form(result, remember, location, |refusal| LoginPage {
        page: page.context(None),
        email: email.trim().to_string(),
        next: next.clone().unwrap_or_default(),
        remember,
        error: refusal.summary(),
        notice: None,
        passkey_script: passkey_script(&state),
        providers: state.providers.list(),
        invite_only: state.accounts.policies().sign_up == SignUpPolicy::InviteOnly,
    })
}

/// The first half of a passkey login: options for `navigator.credentials.get()`, with no
/// account named (the passkey says whose it is).
#[post("/login/passkey/options")]
pub async fn passkey_options(
    state: web::Data<AppState>,
    session: TypedSession,
) -> Result<HttpResponse, ApiError> {
    let start = state.accounts.start_passkey_login().await?;
    session.begin_passkey_ceremony(&start.id)?;
    Ok(super::passkeys::json(start.options))
}

#[post("/login/passkey")]
pub async fn passkey_submit(
    state: web::Data<AppState>,
    page: Page,
    session: TypedSession,
    login: NewSession,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let ceremony = session.take_passkey_ceremony();
    let result = state
        .accounts
        .log_in_with_passkey(&ceremony, &form.credential, login.ip())
        .await
        .map(LoginStep::Done);
    state.metrics.count_login(outcome(&result));
    let (next, remember) = (local_path(form.next.as_deref()), is_checked(&form.remember));
    let location = next.as_deref().unwrap_or("/profile");
    login.log_in_or_show_form(result, remember, location, |refusal| LoginPage {
        page: page.context(None),
        email: String::new(),
        next: next.clone().unwrap_or_default(),
        remember,
        error: refusal.summary(),
        notice: None,
        passkey_script: passkey_script(&state),
        providers: state.providers.list(),
        invite_only: state.accounts.policies().sign_up == SignUpPolicy::InviteOnly,
    })
}

/// How a login attempt counts in `gatehouse_logins_total`.
pub(super) fn outcome<T>(result: &Result<T, AccountError>) -> LoginOutcome {
    match result {
        Ok(_) => LoginOutcome::Success,
        Err(AccountError::Locked { .. }) => LoginOutcome::Locked,
        Err(_) => LoginOutcome::Failure,
    }
}

#[post("/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    visitor: MaybeUser,
    ip: ClientIp,
) -> Result<HttpResponse, AppError> {
    if let Some(user) = visitor.user {
        state.accounts.record_logout(&user, ip).await?;
    }
    visitor.session.log_out();
    let mut response = see_other("/login");
    // The browser forgets what it kept of the session: its cookies and cached pages.
    response.headers_mut().insert(
        HeaderName::from_static("clear-site-data"),
        HeaderValue::from_static("\"cache\", \"cookies\""),
    );
    Ok(response)
}
