//! `GET,POST /reauth`: the password typed again before a sensitive change, and a code from
//! the authenticator app when two-step login is on.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::{FieldErrors, User};
use crate::auth::CurrentUser;
use crate::domain::SecretString;
use crate::errors::AppError;
use crate::oidc::ProviderInfo;
use crate::routes::Page;
use crate::state::AppState;
use crate::web::{ClientIp, FormRefusal, PageContext, local_path, render, see_other};

#[derive(Template)]
#[template(path = "account/reauth.html")]
struct ReauthPage {
    page: PageContext,
    next: String,
    /// Ask for a code too.
    two_factor: bool,
    /// Ask for the password (else the account confirms with a provider).
    has_password: bool,
    /// For an account without a password: its linked providers, to confirm with instead.
    providers: Vec<ProviderInfo>,
    errors: FieldErrors,
}

/// The linked providers an account without a password confirms it's them with.
async fn confirm_with(state: &AppState, user: &User) -> Result<Vec<ProviderInfo>, AppError> {
    if user.has_password() {
        return Ok(Vec::new());
    }
    let linked = state.accounts.linked_providers(user).await?;
    Ok(state
        .providers
        .list()
        .into_iter()
        .filter(|p| linked.iter().any(|l| l.provider == p.name))
        .collect())
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReauthForm {
    password: SecretString,
    code: String,
    next: Option<String>,
}

#[get("/reauth")]
pub async fn show(
    state: web::Data<AppState>,
    page: Page,
    me: CurrentUser,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let view = ReauthPage {
        page: page.context(Some(&me.user)),
        next: local_path(query.next.as_deref()).unwrap_or_default(),
        two_factor: me.user.has_two_factor(),
        has_password: me.user.has_password(),
        providers: confirm_with(&state, &me.user).await?,
        errors: FieldErrors::default(),
    };
    render(StatusCode::OK, &view)
}

#[post("/reauth")]
pub async fn submit(
    state: web::Data<AppState>,
    page: Page,
    me: CurrentUser,
    ip: ClientIp,
    form: web::Form<ReauthForm>,
) -> Result<HttpResponse, AppError> {
    let next = local_path(form.next.as_deref());
    match state
        .accounts
        .reauthenticate(&me.user, &form.password, &form.code, ip)
        .await
    {
        Ok(()) => {
            me.session.reauthenticated(state.now())?;
            Ok(see_other(next.as_deref().unwrap_or("/profile")))
        }
        Err(error) => {
            let providers = confirm_with(&state, &me.user).await?;
            FormRefusal::show(error, |refusal| ReauthPage {
                page: page.context(Some(&me.user)),
                next: next.clone().unwrap_or_default(),
                two_factor: me.user.has_two_factor(),
                has_password: me.user.has_password(),
                providers,
                // A wrong code is said at the code; anything else (a wrong password, a lock)
                // where the password goes.
                errors: match refusal.errors.get("code") {
                    Some(message) => FieldErrors::single("code", message),
                    None => FieldErrors::single("password", refusal.summary().unwrap_or_default()),
                },
            })
        }
    }
}

/// The page again for an account without a password whose code was refused before it went
/// to its provider (`routes::account::providers::confirm`): the message at the code.
pub(super) async fn code_refused(
    state: &AppState,
    page: &Page,
    me: &CurrentUser,
    next: String,
    error: crate::accounts::AccountError,
) -> Result<HttpResponse, AppError> {
    let refusal = FormRefusal::from_error(error)?;
    let view = ReauthPage {
        page: page.context(Some(&me.user)),
        next,
        two_factor: me.user.has_two_factor(),
        has_password: false,
        providers: confirm_with(state, &me.user).await?,
        errors: refusal.errors_at("code"),
    };
    refusal.render(&view)
}
