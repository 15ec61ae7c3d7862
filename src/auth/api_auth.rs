//! Who is calling `/api`: `Authorization: Bearer <token>` (a personal API token, limited
//! per token) or the session cookie (then unsafe methods must carry `X-CSRF-Token`). The
//! owner is loaded from the database on every request, so a token acts with its owner's
//! role and status of the moment. Every refusal is an [`ApiError`] (JSON); the admin
//! flavour of this gate is `admin_guard::ApiAdmin`.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};

use super::TypedSession;
use super::csrf::{HEADER as CSRF_HEADER, is_unsafe};
use super::current_user::load_active_user;
use crate::accounts::User;
use crate::crypto;
use crate::errors::ApiError;
use crate::state::AppState;
use crate::web::{ClientIp, LoggedInUserId};

/// An authenticated, active caller of the API.
pub struct ApiCaller {
    pub user: User,
    pub ip: ClientIp,
}

impl FromRequest for ApiCaller {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(authenticate(&req).await?) })
    }
}

async fn authenticate(req: &HttpRequest) -> Result<ApiCaller, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
    let user = match bearer_token(req)? {
        Some(secret) => by_token(state, secret).await?,
        None => by_session(req).await?,
    };
    req.extensions_mut().insert(LoggedInUserId(user.id));
    Ok(ApiCaller {
        user,
        ip: ClientIp::of(req),
    })
}

/// The token of an `Authorization: Bearer` header; any other scheme is refused.
fn bearer_token(req: &HttpRequest) -> Result<Option<&str>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or_default();
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(ApiError::Unauthorized(
            "Use Authorization: Bearer <token> with a token from /profile/tokens",
        )),
    }
}

async fn by_token(state: &AppState, secret: &str) -> Result<User, ApiError> {
    let found = state.accounts.authenticate_api_token(secret).await?;
    let Some((token, owner)) = found else {
        return Err(ApiError::Unauthorized(
            "This token is not valid: it may have expired or been revoked",
        ));
    };
    if !owner.active {
        return Err(ApiError::Unauthorized(
            "The account of this token is disabled",
        ));
    }
    state
        .api_token_limiter
        .check(token.id)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
    Ok(owner)
}

async fn by_session(req: &HttpRequest) -> Result<User, ApiError> {
    let session = TypedSession::of(req);
    let user = load_active_user(req, &session)
        .await?
        .ok_or(ApiError::Unauthorized(
            "Log in, or send Authorization: Bearer <token>",
        ))?;
    if is_unsafe(req.method()) {
        let sent = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        let valid = matches!((session.csrf_token(), sent), (Some(expected), Some(sent))
            if crypto::constant_time_eq(expected.as_bytes(), sent.as_bytes()));
        if !valid {
            return Err(ApiError::Forbidden(
                "With the session cookie, send the session's CSRF token in X-CSRF-Token",
            ));
        }
    }
    Ok(user)
}
