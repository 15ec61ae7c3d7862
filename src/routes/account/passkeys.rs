//! `GET,POST /profile/passkeys`, `POST /profile/passkeys/options`,
//! `POST /profile/passkeys/{id}/rename`, `POST /profile/passkeys/{id}/remove`: the user's
//! passkeys. Everything here needs the password typed within ten minutes (`auth::reauth`).
//! Adding one is a ceremony: the script asks `/options` (JSON) and then sends the form with
//! the browser's answer; the rules are in `accounts::passkeys`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::passkeys::{NewPasskeyForm, PasskeySummary};
use crate::accounts::{AccountError, FieldErrors};
use crate::auth::{CurrentUser, RecentlyAuthenticated};
use crate::errors::{ApiError, AppError};
use crate::routes::Page;
use crate::state::AppState;
use crate::web::assets::passkey_script_url;
use crate::web::{ClientIp, FormRefusal, PageContext, format_time, render, see_other};

const PAGE: &str = "/profile/passkeys";

/// The add form, and the rename form (which sends only `name`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasskeyForm {
    name: String,
    credential: String,
}

struct PasskeyView {
    id: i64,
    name: String,
    created: String,
    last_used: String,
    /// Whether the passkey is copied to the owner's other devices (a synced passkey).
    synced: bool,
}

impl From<PasskeySummary> for PasskeyView {
    fn from(row: PasskeySummary) -> Self {
        Self {
            id: row.id,
            created: format_time(row.created_at),
            last_used: row.last_used_at.map_or("never".into(), format_time),
            synced: row.backup_state,
            name: row.name,
        }
    }
}

#[derive(Template)]
#[template(path = "account/passkeys.html")]
struct PasskeysPage {
    page: PageContext,
    script: String,
    available: bool,
    passkeys: Vec<PasskeyView>,
    name: String,
    credential: String,
    errors: FieldErrors,
}

async fn passkeys_page(
    state: &AppState,
    page: &Page,
    me: &CurrentUser,
    form: &PasskeyForm,
    errors: FieldErrors,
) -> Result<PasskeysPage, AppError> {
    let rows = state.accounts.passkeys(&me.user).await?;
    Ok(PasskeysPage {
        page: page.context(Some(&me.user)),
        script: passkey_script_url(),
        available: state.accounts.passkeys_available(),
        passkeys: rows.into_iter().map(PasskeyView::from).collect(),
        name: form.name.clone(),
        credential: form.credential.clone(),
        errors,
    })
}

/// The page again with the refusal's messages (a wrong name keeps the browser's answer, so
/// nothing is lost: the ceremony waits for it).
async fn refused(
    state: &AppState,
    page: &Page,
    me: &CurrentUser,
    form: &PasskeyForm,
    error: AccountError,
) -> Result<HttpResponse, AppError> {
    let refusal = FormRefusal::from_error(error)?;
    let view = passkeys_page(state, page, me, form, refusal.errors.clone()).await?;
    refusal.render(&view)
}

#[get("/profile/passkeys")]
pub async fn list(
    state: web::Data<AppState>,
    page: Page,
    RecentlyAuthenticated(me): RecentlyAuthenticated,
) -> Result<HttpResponse, AppError> {
    let form = PasskeyForm::default();
    let view = passkeys_page(&state, &page, &me, &form, FieldErrors::default()).await?;
    render(StatusCode::OK, &view)
}

/// The first half of adding a passkey: the options for `navigator.credentials.create()`.
#[post("/profile/passkeys/options")]
pub async fn options(
    state: web::Data<AppState>,
    me: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    if !me.session.authenticated_recently(state.now()) {
        return Err(ApiError::Unauthorized(
            "Your password confirmation has lapsed: reload the page and confirm it again.",
        ));
    }
    let start = state.accounts.start_passkey_registration(&me.user).await?;
    me.session
        .begin_passkey_ceremony(&start.id)
        .map_err(ApiError::from)?;
    Ok(json(start.options))
}

#[post("/profile/passkeys")]
pub async fn add(
    state: web::Data<AppState>,
    page: Page,
    RecentlyAuthenticated(me): RecentlyAuthenticated,
    ip: ClientIp,
    form: web::Form<PasskeyForm>,
) -> Result<HttpResponse, AppError> {
    let ceremony = me.session.take_passkey_ceremony();
    let new = NewPasskeyForm {
        name: form.name.clone(),
        credential: form.credential.clone(),
    };
    match state
        .accounts
        .add_passkey(&me.user, &ceremony, new, ip)
        .await
    {
        Ok(passkey) => {
            me.session
                .set_flash(&format!("Added the passkey “{}”.", passkey.name))?;
            Ok(see_other(PAGE))
        }
        Err(error) => {
            let mut form = form.into_inner();
            if is_name_error(&error) {
                // The ceremony was not used: keep it for the corrected form.
                me.session.begin_passkey_ceremony(&ceremony)?;
            } else {
                // The ceremony is spent: the page must not send this answer again, the next
                // try asks the authenticator anew.
                form.credential.clear();
            }
            refused(&state, &page, &me, &form, error).await
        }
    }
}

#[post("/profile/passkeys/{id}/rename")]
pub async fn rename(
    state: web::Data<AppState>,
    page: Page,
    RecentlyAuthenticated(me): RecentlyAuthenticated,
    ip: ClientIp,
    id: web::Path<i64>,
    form: web::Form<PasskeyForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    match state
        .accounts
        .rename_passkey(&me.user, id, &form.name, ip)
        .await
    {
        Ok(()) => {
            me.session.set_flash("Renamed the passkey.")?;
            Ok(see_other(PAGE))
        }
        Err(AccountError::Invalid(errors)) => {
            let message = errors.iter().next().map(|e| e.message.clone());
            let errors = FieldErrors::single("rename", message.unwrap_or_default());
            let form = PasskeyForm::default();
            refused(&state, &page, &me, &form, AccountError::Invalid(errors)).await
        }
        Err(error) => Err(error.into()),
    }
}

#[post("/profile/passkeys/{id}/remove")]
pub async fn remove(
    state: web::Data<AppState>,
    page: Page,
    RecentlyAuthenticated(me): RecentlyAuthenticated,
    ip: ClientIp,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    match state
        .accounts
        .remove_passkey(&me.user, id.into_inner(), ip)
        .await
    {
        Ok(passkey) => {
            me.session
                .set_flash(&format!("Removed the passkey “{}”.", passkey.name))?;
            Ok(see_other(PAGE))
        }
        Err(error @ AccountError::Invalid(_)) => {
            refused(&state, &page, &me, &PasskeyForm::default(), error).await
        }
        Err(error) => Err(error.into()),
    }
}

fn is_name_error(error: &AccountError) -> bool {
    matches!(error, AccountError::Invalid(errors) if errors.get("name").is_some())
}

/// Ceremony options, as the script reads them.
pub(super) fn json(ceremony_options: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(ceremony_options)
}
