//! `GET,POST /profile/tokens`, `POST /profile/tokens/{id}/revoke`,
//! `POST /profile/tokens/revoke-all`: the user's personal API tokens. A new token is shown
//! once, on the page after it was made; making or revoking tokens needs the password typed
//! within ten minutes (`auth::reauth`). The rules are in `accounts::api_tokens`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use serde::Deserialize;

use crate::accounts::api_tokens::TokenRequest;
use crate::accounts::{ApiTokenRow, FieldErrors};
use crate::auth::{CurrentUser, RecentlyAuthenticated};
use crate::errors::AppError;
use crate::routes::Page;
use crate::state::AppState;
use crate::web::{ClientIp, FormRefusal, PageContext, format_time, render, see_other};

/// The create form: a name, and the days until it expires (blank: never).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewTokenForm {
    name: String,
    expires_days: String,
}

struct TokenView {
    id: i64,
    name: String,
    created: String,
    expires: String,
    last_used: String,
}

impl TokenView {
    fn new(row: ApiTokenRow, now: i64) -> Self {
        Self {
            id: row.id,
            created: format_time(row.created_at),
            expires: match row.expires_at {
                None => "never".into(),
                Some(at) if at <= now => format!("expired {}", format_time(at)),
                Some(at) => format_time(at),
            },
            last_used: row.last_used_at.map_or("never".into(), format_time),
            name: row.name,
        }
    }
}

#[derive(Template)]
#[template(path = "account/tokens.html")]
struct TokensPage {
    page: PageContext,
    tokens: Vec<TokenView>,
    new_token: Option<String>,
    name: String,
    expires_days: String,
    errors: FieldErrors,
}

async fn tokens_page(
    state: &AppState,
    page: &Page,
    me: &CurrentUser,
    form: &NewTokenForm,
    errors: FieldErrors,
) -> Result<TokensPage, AppError> {
    let now = state.now();
    let rows = state.accounts.api_tokens(&me.user).await?;
    Ok(TokensPage {
        page: page.context(Some(&me.user)),
        tokens: rows
            .into_iter()
            .map(|row| TokenView::new(row, now))
            .collect(),
        new_token: me.session.take_new_api_token(),
        name: form.name.clone(),
        expires_days: form.expires_days.clone(),
        errors,
    })
}

#[get("/profile/tokens")]
pub async fn list(
    state: web::Data<AppState>,
    page: Page,
    me: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let view = tokens_page(
        &state,
        &page,
        &me,
        &NewTokenForm::default(),
        FieldErrors::default(),
    )
    .await?;
    render(StatusCode::OK, &view)
}

#[post("/profile/tokens")]
pub async fn create(
    state: web::Data<AppState>,
    page: Page,
    RecentlyAuthenticated(me): RecentlyAuthenticated,
    ip: ClientIp,
    form: web::Form<NewTokenForm>,
) -> Result<HttpResponse, AppError> {
    let request = TokenRequest {
        name: form.name.clone(),
        expires_days: form.expires_days.clone(),
    };
    match state.accounts.create_api_token(&me.user, request, ip).await {
        Ok(token) => {
            me.session.set_new_api_token(&token.secret)?;
            Ok(see_other("/profile/tokens"))
        }
        Err(error) => {
            let refusal = FormRefusal::from_error(error)?;
            let view = tokens_page(&state, &page, &me, &form, refusal.errors.clone()).await?;
            refusal.render(&view)
        }
    }
}

#[post("/profile/tokens/{id}/revoke")]
pub async fn revoke(
    state: web::Data<AppState>,
    RecentlyAuthenticated(me): RecentlyAuthenticated,
    ip: ClientIp,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let token = state
        .accounts
        .revoke_api_token(&me.user, id.into_inner(), ip)
        .await?;
    me.session
        .set_flash(&format!("Revoked the token “{}”.", token.name))?;
    Ok(see_other("/profile/tokens"))
}

#[post("/profile/tokens/revoke-all")]
pub async fn revoke_all(
    state: web::Data<AppState>,
    RecentlyAuthenticated(me): RecentlyAuthenticated,
    ip: ClientIp,
) -> Result<HttpResponse, AppError> {
    let revoked = state.accounts.revoke_all_api_tokens(&me.user, ip).await?;
    me.session.set_flash(&match revoked {
        0 => "You had no tokens.".to_string(),
        1 => "Revoked your token.".to_string(),
        n => format!("Revoked all {n} of your tokens."),
    })?;
    Ok(see_other("/profile/tokens"))
}
