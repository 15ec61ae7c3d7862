//! `/profile/two-factor`: turning two-step login on (a QR code drawn here, no JavaScript,
//! and the secret as text), its recovery codes (shown once), and turning it off. Set-up and
//! new codes need a recent password; turning off asks for the password and a code itself.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use qrcode::QrCode;
use qrcode::render::svg;
use serde::Deserialize;

use crate::accounts::two_factor::RecoveryCodes;
use crate::accounts::{FieldErrors, User};
use crate::auth::{CurrentUser, RecentlyAuthenticated};
use crate::domain::SecretString;
use crate::errors::AppError;
use crate::routes::Page;
use crate::state::AppState;
use crate::web::{ClientIp, FormRefusal, PageContext, format_time, render, see_other};

#[derive(Template)]
#[template(path = "account/two_factor.html")]
struct TwoFactorPage {
    page: PageContext,
    /// While it is off: what to scan or type.
    setup: Option<SetupView>,
    /// While it is on: since when, and how many recovery codes are left.
    since: String,
    codes_left: i64,
    /// Just made: shown this once.
    new_codes: Vec<String>,
    /// Messages of the set-up form (`code`).
    errors: FieldErrors,
    /// Messages of the turn-off form (`password`, `off_code`).
    off_errors: FieldErrors,
}

struct SetupView {
    secret: String,
    qr_svg: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TurnOffForm {
    password: SecretString,
    off_code: String,
}

#[get("/profile/two-factor")]
pub async fn show(
    state: web::Data<AppState>,
    page: Page,
    RecentlyAuthenticated(me): RecentlyAuthenticated,
) -> Result<HttpResponse, AppError> {
    let view = two_factor_page(&state, &page, &me.user, Vec::new()).await?;
    render(StatusCode::OK, &view)
}

#[post("/profile/two-factor")]
pub async fn confirm(
    state: web::Data<AppState>,
    page: Page,
    RecentlyAuthenticated(me): RecentlyAuthenticated,
    ip: ClientIp,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let result = state
        .accounts
        .confirm_two_factor(&me.user, &form.code, ip)
        .await;
    match result {
        Ok(codes) => show_new_codes(&state, &page, &me, codes).await,
        Err(error) => {
            let refusal = FormRefusal::from_error(error)?;
            let mut view = two_factor_page(&state, &page, &me.user, Vec::new()).await?;
            view.errors = refusal.errors.clone();
            refusal.render(&view)
        }
    }
}

#[post("/profile/two-factor/recovery-codes")]
pub async fn new_recovery_codes(
    state: web::Data<AppState>,
    page: Page,
    RecentlyAuthenticated(me): RecentlyAuthenticated,
    ip: ClientIp,
) -> Result<HttpResponse, AppError> {
    let codes = state.accounts.new_recovery_codes(&me.user, ip).await?;
    show_new_codes(&state, &page, &me, codes).await
}

#[post("/profile/two-factor/off")]
pub async fn turn_off(
    state: web::Data<AppState>,
    page: Page,
    me: CurrentUser,
    ip: ClientIp,
    form: web::Form<TurnOffForm>,
) -> Result<HttpResponse, AppError> {
    let result = state
        .accounts
        .turn_off_two_factor(&me.user, &form.password, &form.off_code, ip)
        .await;
    match result {
        Ok(()) => {
            me.session.set_flash("Two-step login is off.")?;
            Ok(see_other("/profile/two-factor"))
        }
        Err(error) => {
            let refusal = FormRefusal::from_error(error)?;
            let mut view = two_factor_page(&state, &page, &me.user, Vec::new()).await?;
            view.off_errors = off_form_errors(&refusal);
            refusal.render(&view)
        }
    }
}

/// The turn-off form's messages: its code field is `off_code`; a lock is said at the password.
fn off_form_errors(refusal: &FormRefusal) -> FieldErrors {
    if let Some(message) = &refusal.message {
        return FieldErrors::single("password", message.clone());
    }
    let mut errors = FieldErrors::default();
    for error in refusal.errors.iter() {
        let field = if error.field == "code" {
            "off_code"
        } else {
            error.field
        };
        errors.add(field, error.message.clone());
    }
    errors
}

/// The page as it is now, for the account as it is now (just turned on or off included).
async fn show_new_codes(
    state: &AppState,
    page: &Page,
    me: &CurrentUser,
    codes: RecoveryCodes,
) -> Result<HttpResponse, AppError> {
    let user = state
        .accounts
        .active_user(me.user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let view = two_factor_page(state, page, &user, codes.0).await?;
    render(StatusCode::OK, &view)
}

async fn two_factor_page(
    state: &AppState,
    page: &Page,
    user: &User,
    new_codes: Vec<String>,
) -> Result<TwoFactorPage, AppError> {
    let (setup, codes_left) = match user.two_factor_since {
        Some(_) => (None, state.accounts.recovery_codes_left(user).await?),
        None => {
            let setup = state.accounts.two_factor_setup(user).await?;
            let view = SetupView {
                qr_svg: qr_svg(&setup.url)?,
                secret: spaced(&setup.secret),
            };
            (Some(view), 0)
        }
    };
    Ok(TwoFactorPage {
        page: page.context(Some(user)),
        setup,
        since: user.two_factor_since.map(format_time).unwrap_or_default(),
        codes_left,
        new_codes,
        errors: FieldErrors::default(),
        off_errors: FieldErrors::default(),
    })
}

/// The `otpauth://` URL as an inline SVG QR code, labelled for screen readers.
fn qr_svg(url: &str) -> Result<String, AppError> {
    let code = QrCode::new(url.as_bytes())
        .map_err(|e| AppError::internal(format!("cannot draw the QR code: {e}")))?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    let start = image.find("<svg").unwrap_or(0);
    Ok(image[start..].replacen(
        "<svg ",
        "<svg role=\"img\" aria-label=\"QR code to scan with your authenticator app\" ",
        1,
    ))
}

/// The secret in groups of four, as authenticator apps accept it typed.
fn spaced(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
